//! The standard workloads (packet server, framing, small buffers) on glibc's allocator: no pool,
//! every reference pool, and the pool crates a user would pick instead (`lockfree-object-pool`,
//! `object-pool`). `cargo bench -p solutions --bench workloads`; `--bench mimalloc` runs the
//! baseline and `SyncPool` on mimalloc, to see whether a modern allocator erases the gain.

use criterion::{criterion_group, criterion_main, Criterion};

mod support {
    pub mod cases;
}

fn workloads(c: &mut Criterion) {
    support::cases::workloads(c, "glibc", true);
}

criterion_group!(benches, workloads);
criterion_main!(benches);
