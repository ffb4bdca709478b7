//! Asymmetric fences: a pair that orders memory as two `SeqCst` fences would, where one side (a
//! thread taking from its own magazine, millions of times a second) pays almost nothing and the
//! other (a thread taking from another's magazine: a trim, a get at a limit) pays a system call.
//! Folly's `asymmetricLightBarrier`/`asymmetricHeavyBarrier` and the C++ proposal P1202
//! ("Asymmetric Fences") are the same pair.
//!
//! Why: without them, an owner that others may rob takes its own buffer with an atomic swap, a
//! locked instruction that waits for every store before it to reach the cache. That was the
//! whole difference between the production pool and the fixed pool in get+return on an Intel
//! Xeon (Sapphire Rapids): 10.4 ns against 2.5 (`one_thread_loop`, see docs/measurement.md).
//!
//! On Linux the heavy fence is `membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)`: the kernel runs a
//! full memory barrier on every processor that runs one of this process's threads (a thread not
//! running passed one when it was switched out), so the light fence need only stop the compiler.
//! Elsewhere, or where the kernel refuses the call, [`available`] says no and the store never
//! relies on the pair: its owners take with the swap, as before (see `TieredStore::stealing`).
//! Under loom both are `SeqCst` fences, which loom models: the protocol built on the pair is
//! checked as if every processor ran a fence on both sides.
//!
//! Rust's memory model has no asymmetric fence: it describes `compiler_fence` only against a
//! signal handler on the same thread. That the pair orders memory as two `SeqCst` fences rests
//! on the kernel's documented guarantee for `membarrier` (a full barrier on every processor
//! running one of the process's threads, and at every switch), the argument folly and liburcu
//! rely on too, not on the language's model.

#[cfg(loom)]
mod imp {
    use loom::sync::atomic::{fence, Ordering};

    pub fn available() -> bool {
        true
    }

    pub fn light() {
        fence(Ordering::SeqCst);
    }

    pub fn heavy() -> bool {
        fence(Ordering::SeqCst);
        true
    }

    pub fn pause(_looks: u32) {
        loom::thread::yield_now();
    }
}

#[cfg(not(loom))]
mod imp {
    use std::sync::atomic::{compiler_fence, Ordering};

    /// Whether [`heavy`] works in this process: the first call registers the process for it.
    pub fn available() -> bool {
        #[cfg(target_os = "linux")]
        {
            static REGISTERED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
            *REGISTERED.get_or_init(|| membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED))
        }
        #[cfg(not(target_os = "linux"))]
        {
            false
        }
    }

    /// The fast side: keeps the compiler from moving memory accesses across it. With [`heavy`],
    /// the processor's own reordering is dealt with by the other side.
    #[inline(always)]
    pub fn light() {
        compiler_fence(Ordering::SeqCst);
    }

    /// The slow side: when it returns, every other thread of the process has run a full memory
    /// barrier since it was called. `false` if the kernel refused: after [`available`] said yes
    /// it should not (the call fails for a process that did not register, and with ENOMEM), and
    /// the store then takes nothing from other threads.
    pub fn heavy() -> bool {
        #[cfg(target_os = "linux")]
        {
            membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)
        }
        #[cfg(not(target_os = "linux"))]
        {
            false
        }
    }

    /// What a thread waiting for another's window does between looks, after `looks` looks: a
    /// window lasts a few nanoseconds while its thread runs, so spin first; yield once its
    /// thread may have been switched out, so that it can run (on a busy machine a thread that
    /// only yielded waited milliseconds per look).
    pub fn pause(looks: u32) {
        if looks < 64 {
            std::hint::spin_loop();
        } else {
            std::thread::yield_now();
        }
    }

    #[cfg(target_os = "linux")]
    const MEMBARRIER_CMD_PRIVATE_EXPEDITED: libc::c_int = 1 << 3;
    #[cfg(target_os = "linux")]
    const MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED: libc::c_int = 1 << 4;

    /// `membarrier(command, 0)` (linux/membarrier.h); whether it succeeded.
    #[cfg(target_os = "linux")]
    fn membarrier(command: libc::c_int) -> bool {
        // SAFETY: `membarrier` takes two integers and a CPU id (unused without
        // MEMBARRIER_CMD_FLAG_CPU): no pointer, nothing in this process's memory it may read or
        // write. A kernel without it answers ENOSYS, one that refuses the command EINVAL or
        // EPERM: an error, which this reports as `false`.
        let result = unsafe { libc::syscall(libc::SYS_membarrier, command, 0 as libc::c_uint, 0) };
        result == 0
    }
}

pub(super) use imp::{available, heavy, light, pause};

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    /// Where the pair is available (Linux 4.14 and later, here and in CI), the heavy fence
    /// succeeds, every time. (Where it is not, the stores never call it.)
    #[test]
    fn the_heavy_fence_works_wherever_it_is_available() {
        if available() {
            for _ in 0..3 {
                assert!(heavy(), "membarrier refused after registering");
            }
        }
    }
}
