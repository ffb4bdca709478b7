//! The synchronisation the tier is built from: the standard library's, or `loom`'s when the
//! tier's handover protocol is model-checked (`RUSTFLAGS="--cfg loom"`, see `loom_tests`). Loom
//! runs every interleaving of a small test's threads that these types allow, so every atomic,
//! lock and shared handle the protocol relies on comes from here.

#[cfg(loom)]
pub(super) use loom::sync::{
    atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering},
    Arc, Mutex, MutexGuard,
};

#[cfg(not(loom))]
pub(super) use std::sync::{
    atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering},
    Arc, Mutex, MutexGuard,
};
