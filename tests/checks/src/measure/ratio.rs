//! Throughput ratios that a busy machine cannot bias: the method every timing check uses.
//!
//! # Why not wall time
//!
//! Timing each side by the wall clock measures the machine as much as the code. On a laptop
//! with an editor, a browser and rust-analyzer busy, the measuring thread is preempted for
//! milliseconds at a time, and a preemption lands in whichever side happens to be running. The
//! longer side absorbs more of them, so the ratio is not merely noisy but biased; one side
//! preempted and not the other reads 0.75x or 5x for work that is 2x.
//!
//! # The method
//!
//! 1. **The thread's CPU time**, not the wall clock: time the thread spent off the processor
//!    does not count, so a preemption adds only the cache it cost, not its length.
//! 2. **Short interleaved slices**: each side is repeated until one slice takes about
//!    [`SLICE_TARGET`] (each side gets its own repeat count, so both slices are equally long
//!    and equally exposed), and the two sides alternate slice by slice.
//! 3. **Each side's minimum slice per round**: a slice can only be slowed down (by caches that
//!    a preemption or an interrupt flushed), never sped up, so the fastest of [`SLICES`] slices
//!    is the best estimate of the work's own cost. One round gives one ratio: the baseline's
//!    minimum time per run over the candidate's.
//! 4. **The median over rounds**, which one disturbed round cannot move.
//!
//! Counting allocations is switched off while timing ([`without_counting`]): its shared atomic
//! counters would slow the allocation-heavy baseline more than the pool.
//!
//! Work spread over several threads ([`threaded_ratio`]) is timed by the wall clock instead:
//! a thread that waits for a lock uses no CPU time, so CPU time would flatter a pool that makes
//! its threads wait. Those figures are shown, never graded. The pipeline workload, whose two
//! threads hand buffers to each other, reports each run's cost itself (both threads' CPU time,
//! summed, for the reasons in `workloads::pipeline`): [`ratios_of_costs`] applies the same
//! slices, minima and median to it.

use crate::counting::without_counting;
use crate::pool::BufferPool;
use crate::workloads::Workload;
use std::time::{Duration, Instant};

/// How long one slice of one side should take.
pub const SLICE_TARGET: Duration = Duration::from_micros(500);
/// Slices of each side per round; the round keeps each side's fastest.
pub const SLICES: usize = 5;
/// Rounds of a first measurement.
pub const ROUNDS: usize = 15;

/// The clock a measurement reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// The calling thread's CPU time (user and system): blind to preemption.
    ThreadCpu,
    /// The wall clock: for work spread over several threads.
    Wall,
}

impl Clock {
    /// A reading, as time since an arbitrary start: only differences mean anything.
    pub fn now(self) -> Duration {
        static WALL_START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
        let wall = || WALL_START.get_or_init(Instant::now).elapsed();
        match self {
            // A failed CPU-clock read (unheard of on Linux and macOS) falls back to the wall
            // clock for that reading, which is less robust but never wrong by much.
            Clock::ThreadCpu => cpu_time::ThreadTime::try_now()
                .map(|time| time.as_duration())
                .unwrap_or_else(|_| wall()),
            Clock::Wall => wall(),
        }
    }
}

/// A measured throughput ratio: candidate speed over baseline speed.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Ratio {
    /// The median of the rounds' ratios: the figure verdicts use.
    pub median: f64,
    /// The lowest round.
    pub lowest: f64,
    /// The highest round.
    pub highest: f64,
    /// How many rounds were run (0 in reports written before it was recorded).
    #[serde(default)]
    pub rounds: usize,
}

impl Ratio {
    /// The figures of a set of rounds' ratios.
    pub fn from_rounds(mut ratios: Vec<f64>) -> Ratio {
        ratios.sort_by(f64::total_cmp);
        Ratio {
            median: median_of_sorted(&ratios),
            lowest: ratios.first().copied().unwrap_or(0.0),
            highest: ratios.last().copied().unwrap_or(0.0),
            rounds: ratios.len(),
        }
    }
}

/// The median of sorted values (0 for none).
fn median_of_sorted(sorted: &[f64]) -> f64 {
    let count = sorted.len();
    match count {
        0 => 0.0,
        _ if count % 2 == 1 => sorted[count / 2],
        _ => (sorted[count / 2 - 1] + sorted[count / 2]) / 2.0,
    }
}

/// Times `rounds` rounds of `baseline` and `candidate` by the thread's CPU time (see the module
/// docs) and returns each round's ratio, baseline time over candidate time.
pub fn interleaved_ratios(
    baseline: &mut dyn FnMut(),
    candidate: &mut dyn FnMut(),
    rounds: usize,
) -> Vec<f64> {
    ratios_by(Clock::ThreadCpu, baseline, candidate, rounds)
}

/// [`interleaved_ratios`] on `clock`.
pub fn ratios_by(
    clock: Clock,
    baseline: &mut dyn FnMut(),
    candidate: &mut dyn FnMut(),
    rounds: usize,
) -> Vec<f64> {
    // One thread's work on one processor, the same one every run (see `affinity`); work on
    // several threads (the wall clock) is left where the scheduler puts it.
    let placed = |work: &mut dyn FnMut() -> Vec<f64>| match clock {
        Clock::ThreadCpu => super::affinity::on_one_cpu(work),
        Clock::Wall => work(),
    };
    placed(&mut || {
        without_counting(|| {
            // Warm-up: caches, branch predictors, the allocator's free lists, the pool's buffers.
            for _ in 0..2 {
                baseline();
                candidate();
            }
            let base_repeats = repeats_for(&mut |repeats| time(clock, baseline, repeats));
            let cand_repeats = repeats_for(&mut |repeats| time(clock, candidate, repeats));
            rounds_of_fastest_slices(
                rounds,
                &mut || per_run(time(clock, baseline, base_repeats), base_repeats),
                &mut || per_run(time(clock, candidate, cand_repeats), cand_repeats),
            )
        })
    })
}

/// [`ratios_by`] for work that measures itself: each call of `baseline` and `candidate` does
/// one run and returns what it cost (work spread over threads that each read their own CPU
/// time, as the pipeline's). Each side's slices add up runs until they cost about
/// [`SLICE_TARGET`]; the rounds, minima and median are those of [`ratios_by`]. Where the work
/// runs is the caller's choice.
pub fn ratios_of_costs(
    baseline: &mut dyn FnMut() -> Duration,
    candidate: &mut dyn FnMut() -> Duration,
    rounds: usize,
) -> Vec<f64> {
    let total = |side: &mut dyn FnMut() -> Duration, repeats: u32| -> Duration {
        (0..repeats).map(|_| side()).sum()
    };
    without_counting(|| {
        for _ in 0..2 {
            baseline();
            candidate();
        }
        let base_repeats = repeats_for(&mut |repeats| total(baseline, repeats));
        let cand_repeats = repeats_for(&mut |repeats| total(candidate, repeats));
        rounds_of_fastest_slices(
            rounds,
            &mut || per_run(total(baseline, base_repeats), base_repeats),
            &mut || per_run(total(candidate, cand_repeats), cand_repeats),
        )
    })
}

/// `rounds` rounds of [`SLICES`] slices of each side, the sides alternating (and which goes
/// first, so that neither always follows the other); each round's ratio is the baseline's
/// fastest slice over the candidate's. `time_*` time one slice, in seconds per run.
fn rounds_of_fastest_slices(
    rounds: usize,
    time_baseline: &mut dyn FnMut() -> f64,
    time_candidate: &mut dyn FnMut() -> f64,
) -> Vec<f64> {
    (0..rounds)
        .map(|round| {
            let (mut baseline, mut candidate) = (f64::MAX, f64::MAX);
            for slice in 0..SLICES {
                let mut base = || baseline = baseline.min(time_baseline());
                let mut cand = || candidate = candidate.min(time_candidate());
                if (round + slice) % 2 == 0 {
                    base();
                    cand();
                } else {
                    cand();
                    base();
                }
            }
            baseline / candidate.max(1e-12)
        })
        .collect()
}

/// The throughput ratio of `candidate` over `baseline`, re-measured with twice as many rounds
/// when the first median lands near `threshold` (within -20% / +25%); the verdict then uses the
/// median of all rounds. The threshold itself never moves.
pub fn robust_ratio(
    baseline: &mut dyn FnMut(),
    candidate: &mut dyn FnMut(),
    threshold: f64,
) -> Ratio {
    let mut ratios = interleaved_ratios(baseline, candidate, ROUNDS);
    if is_near(Ratio::from_rounds(ratios.clone()).median, threshold) {
        ratios.extend(interleaved_ratios(baseline, candidate, 2 * ROUNDS));
    }
    Ratio::from_rounds(ratios)
}

/// Whether `ratio` is close enough to `threshold` to be worth measuring again.
pub fn is_near(ratio: f64, threshold: f64) -> bool {
    (threshold * 0.8..threshold * 1.25).contains(&ratio)
}

/// Seconds per run of a slice of `repeats` runs that took `took`.
fn per_run(took: Duration, repeats: u32) -> f64 {
    took.as_secs_f64().max(1e-9) / f64::from(repeats)
}

/// How many runs make a slice of at least [`SLICE_TARGET`], where `time_runs(n)` times `n`
/// runs.
fn repeats_for(time_runs: &mut dyn FnMut(u32) -> Duration) -> u32 {
    let mut repeats = 1u32;
    loop {
        let took = time_runs(repeats);
        if took >= SLICE_TARGET || repeats >= 1 << 20 {
            return repeats;
        }
        // Aim a little past the target, at most 16x more per step.
        let factor =
            (SLICE_TARGET.as_secs_f64() * 1.2 / took.as_secs_f64().max(1e-9)).clamp(1.5, 16.0);
        repeats = ((f64::from(repeats) * factor).ceil() as u32).max(repeats + 1);
    }
}

fn time(clock: Clock, work: &mut dyn FnMut(), repeats: u32) -> Duration {
    let start = clock.now();
    for _ in 0..repeats {
        work();
    }
    clock.now().saturating_sub(start)
}

/// The ratio with `threads` threads running each side at once on the same pool, by the wall
/// clock (informational: two-thread figures depend on the allocator's arena locks and the
/// machine's history). Each thread serves the batch [`THREADED_REPEATS`] times per start.
///
/// The threads are started once and kept for the whole measurement, as a server keeps its
/// workers: starting threads for every timed run would time thread creation, and a pool's
/// per-thread tier that a new thread always finds empty, rather than the pool at work. Each
/// thread times its own batch and a run counts its slowest thread, so the time a sleeping
/// thread takes to wake up is not counted either. As in [`ratios_by`], the sides alternate,
/// each round keeps each side's fastest of [`SLICES`] runs, and the ratio is the median round.
pub fn threaded_ratio<P: BufferPool>(
    workload: Workload,
    pool: &P,
    sizes: &[usize],
    threads: usize,
) -> Ratio {
    let crew = Crew::new(threads);
    let serve = |side: Side| match side {
        Side::Baseline => {
            std::hint::black_box(workload.run_unpooled(sizes));
        }
        Side::Candidate => {
            std::hint::black_box(workload.run_pooled(pool, sizes));
        }
    };
    let ratios = without_counting(|| {
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|| crew.work(&serve));
            }
            // Warm-up: caches, the allocator's free lists, the pool's buffers and slots.
            for _ in 0..2 {
                crew.run(Side::Baseline);
                crew.run(Side::Candidate);
            }
            // The same number of repeats on both sides: the time per run's divisor cancels.
            let ratios = rounds_of_fastest_slices(
                ROUNDS,
                &mut || crew.run(Side::Baseline).as_secs_f64(),
                &mut || crew.run(Side::Candidate).as_secs_f64(),
            );
            crew.stop();
            ratios
        })
    });
    match crew.take_panic() {
        Some(panic) => std::panic::resume_unwind(panic),
        None => Ratio::from_rounds(ratios),
    }
}

/// Which side of a comparison the crew runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Baseline,
    Candidate,
}

/// Threads that run one side at a time, started together by [`Crew::run`], until stopped.
struct Crew {
    /// What the next start runs: `None` stops the crew.
    side: std::sync::Mutex<Option<Side>>,
    start: std::sync::Barrier,
    done: std::sync::Barrier,
    /// The slowest worker's time for the current run, in nanoseconds.
    slowest: std::sync::atomic::AtomicU64,
    /// The first panic of a worker, raised again once the crew has stopped (a worker that
    /// panicked keeps meeting the barriers, so the others never wait for it forever).
    panic: std::sync::Mutex<Option<Box<dyn std::any::Any + Send>>>,
}

impl Crew {
    fn new(threads: usize) -> Self {
        Crew {
            side: std::sync::Mutex::new(None),
            start: std::sync::Barrier::new(threads + 1),
            done: std::sync::Barrier::new(threads + 1),
            slowest: std::sync::atomic::AtomicU64::new(0),
            panic: std::sync::Mutex::new(None),
        }
    }

    /// A worker's life: wait for a start, serve the side [`THREADED_REPEATS`] times and time it,
    /// report done.
    fn work(&self, serve: &(dyn Fn(Side) + Sync)) {
        loop {
            self.start.wait();
            let Some(side) = *lock(&self.side) else {
                return;
            };
            if lock(&self.panic).is_none() {
                let started = Instant::now();
                let served = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    for _ in 0..THREADED_REPEATS {
                        serve(side);
                    }
                }));
                let took = started.elapsed().as_nanos().min(u128::from(u64::MAX)) as u64;
                self.slowest
                    .fetch_max(took, std::sync::atomic::Ordering::Relaxed);
                if let Err(panic) = served {
                    lock(&self.panic).get_or_insert(panic);
                }
            }
            self.done.wait();
        }
    }

    /// Runs `side` on every worker at once, waits until all are done, and returns the slowest
    /// worker's time.
    fn run(&self, side: Side) -> Duration {
        *lock(&self.side) = Some(side);
        self.slowest.store(0, std::sync::atomic::Ordering::Relaxed);
        self.start.wait();
        // The barrier orders every worker's `fetch_max` before this read.
        self.done.wait();
        Duration::from_nanos(self.slowest.load(std::sync::atomic::Ordering::Relaxed))
    }

    fn stop(&self) {
        *lock(&self.side) = None;
        self.start.wait();
    }

    fn take_panic(&self) -> Option<Box<dyn std::any::Any + Send>> {
        lock(&self.panic).take()
    }
}

fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// How many times each thread of [`threaded_ratio`] serves its batch per start.
pub const THREADED_REPEATS: usize = 8;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_resists_one_outlier() {
        let ratio = Ratio::from_rounds(vec![2.0, 2.1, 1.9, 50.0, 2.0]);
        assert_eq!(ratio.median, 2.0);
        assert_eq!(ratio.lowest, 1.9);
        assert_eq!(ratio.highest, 50.0);
        assert_eq!(Ratio::from_rounds(vec![1.0, 3.0]).median, 2.0);
        assert_eq!(Ratio::from_rounds(Vec::new()).median, 0.0);
    }

    fn spin(steps: u64) {
        let mut x = 1u64;
        for step in 0..steps {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(step));
        }
        std::hint::black_box(x);
    }

    #[test]
    fn half_the_work_measures_about_twice_as_fast() {
        // One measurement again if the first is out of range: a shared machine can disturb one
        // measurement from start to end (CI read 1.56 once, over 15 rounds from 1.53 to 1.65,
        // where this machine reads 2.00 quiet, busy and on one processor), while a broken method
        // (no division by the repeats reads 1.0, an inverted ratio 0.5) fails both.
        let expected = 1.6..2.5;
        let measure = || robust_ratio(&mut || spin(20_000), &mut || spin(10_000), 2.0);
        let first = measure();
        if expected.contains(&first.median) {
            return;
        }
        let second = measure();
        assert!(
            expected.contains(&second.median),
            "twice out of {expected:?}: {first:?}, then {second:?}"
        );
    }

    #[test]
    fn the_thread_cpu_clock_ignores_time_asleep() {
        let start = Clock::ThreadCpu.now();
        std::thread::sleep(Duration::from_millis(50));
        let asleep = Clock::ThreadCpu.now() - start;
        assert!(
            asleep < Duration::from_millis(10),
            "{asleep:?} of CPU time asleep"
        );
        let start = Clock::ThreadCpu.now();
        spin(2_000_000);
        assert!(Clock::ThreadCpu.now() > start, "spinning uses CPU time");
    }

    #[test]
    fn slices_are_long_enough_for_the_clock() {
        // The calibration's last slice took the target; a disturbance may have lengthened it, so
        // later slices are judged loosely (the longest of five, against a quarter of the target):
        // what this guards is a calibration that stops at a slice far too short to time.
        let mut work = || spin(100);
        let repeats = repeats_for(&mut |repeats| time(Clock::ThreadCpu, &mut work, repeats));
        let longest = (0..5)
            .map(|_| time(Clock::ThreadCpu, &mut work, repeats))
            .max()
            .unwrap_or_default();
        assert!(
            longest >= SLICE_TARGET / 4,
            "{repeats} repeats: {longest:?}"
        );
    }
}
