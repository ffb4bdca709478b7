//! Keeping a single-threaded measurement on one processor (Linux; elsewhere it runs where the
//! scheduler puts it).
//!
//! On shared machines the processors do not all run the same code equally fast (a neighbour's
//! load on a sibling, another cache share): measured here, a cache-resident workload took
//! 19 us on one vCPU and 23-29 us on the other, for seconds at a time, while the allocator-bound
//! baseline moved little. A ratio timed partly on one and partly on the other depends on where
//! the scheduler happened to put the thread. Measuring on the same processor every time (the
//! lowest-numbered one the process may use) compares like with like, run after run.

/// Runs `work` with the calling thread kept on one processor, then lets it go back to the
/// processors it could use before.
pub fn on_one_cpu<T>(work: impl FnOnce() -> T) -> T {
    on_cpu(0, work)
}

/// [`on_one_cpu`] on the `index`-th processor the process may use (counting from 0, and
/// wrapping around when there are fewer): the pipeline's second thread keeps to the second
/// processor, so that its two threads run side by side, on the same processors every run.
pub fn on_cpu<T>(index: usize, work: impl FnOnce() -> T) -> T {
    let previous = pin_to_cpu(index);
    let result = work();
    if let Some(previous) = previous {
        restore(&previous);
    }
    result
}

#[cfg(target_os = "linux")]
type CpuSet = libc::cpu_set_t;
#[cfg(not(target_os = "linux"))]
type CpuSet = ();

/// Pins the calling thread to the `index`-th processor of its affinity mask (wrapping around);
/// the mask it had, if it could be read and changed.
#[cfg(target_os = "linux")]
fn pin_to_cpu(index: usize) -> Option<CpuSet> {
    let size = std::mem::size_of::<CpuSet>();
    // SAFETY: cpu_set_t is a plain bit array, for which all zeroes is a valid (empty) value.
    let mut current: CpuSet = unsafe { std::mem::zeroed() };
    // SAFETY: pid 0 is the calling thread; the kernel writes at most `size` bytes into
    // `current`, which is exactly that large and lives across the call.
    if unsafe { libc::sched_getaffinity(0, size, &mut current) } != 0 {
        return None;
    }
    // No allocation here: the pipeline's consumer pins itself while allocations are counted.
    let allowed = || {
        (0..libc::CPU_SETSIZE as usize).filter(|&cpu| {
            // SAFETY: `cpu` is below CPU_SETSIZE, the number of bits `current` holds.
            unsafe { libc::CPU_ISSET(cpu, &current) }
        })
    };
    let chosen = allowed().nth(index % allowed().count().max(1))?;
    // SAFETY: as above, all zeroes is the empty set.
    let mut one: CpuSet = unsafe { std::mem::zeroed() };
    // SAFETY: `chosen` is below CPU_SETSIZE; CPU_SET only sets that bit of `one`.
    unsafe { libc::CPU_SET(chosen, &mut one) };
    // SAFETY: pid 0 is the calling thread; the kernel reads `size` bytes of `one`, a live,
    // initialised set holding one processor the thread was already allowed to use.
    (unsafe { libc::sched_setaffinity(0, size, &one) } == 0).then_some(current)
}

#[cfg(target_os = "linux")]
fn restore(previous: &CpuSet) {
    // SAFETY: pid 0 is the calling thread; `previous` is the live mask read from the kernel
    // for this thread, `size_of::<CpuSet>()` bytes long. A failure leaves the thread pinned,
    // which costs only speed, so it is ignored.
    let _ = unsafe { libc::sched_setaffinity(0, std::mem::size_of::<CpuSet>(), previous) };
}

#[cfg(not(target_os = "linux"))]
fn pin_to_cpu(_: usize) -> Option<CpuSet> {
    None
}

#[cfg(not(target_os = "linux"))]
fn restore(_: &CpuSet) {}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    fn allowed() -> Vec<usize> {
        // SAFETY: all zeroes is the empty set, as in `pin_to_cpu`.
        let mut set: CpuSet = unsafe { std::mem::zeroed() };
        // SAFETY: as in `pin_to_cpu`: the calling thread, a set of exactly that size.
        let status = unsafe { libc::sched_getaffinity(0, std::mem::size_of::<CpuSet>(), &mut set) };
        assert_eq!(status, 0);
        (0..libc::CPU_SETSIZE as usize)
            // SAFETY: `cpu` is below CPU_SETSIZE.
            .filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) })
            .collect()
    }

    #[test]
    fn the_work_runs_on_one_cpu_and_the_mask_comes_back() {
        let before = allowed();
        let during = on_one_cpu(allowed);
        assert_eq!(during, vec![before[0]]);
        // SAFETY: sched_getcpu has no arguments and only reads the calling thread's state.
        let cpu = on_one_cpu(|| unsafe { libc::sched_getcpu() });
        assert_eq!(usize::try_from(cpu).ok(), Some(before[0]));
        assert_eq!(allowed(), before);
        let second = on_cpu(1, allowed);
        assert_eq!(second, vec![before[1 % before.len()]]);
        assert_eq!(allowed(), before);
    }
}
