//! A competitor for the measuring processor: what a busy laptop does to a measurement, done on
//! purpose and to one side only, so that `measure-ratio` tells a toolkit that times by the
//! thread's CPU time from one that times by the wall clock.
//!
//! Every run of the baseline that the check passes to the toolkit begins by handing the
//! processor to a competing thread: it wakes the competitor and waits while the competitor
//! spins for [`BURST`], then does its work. The candidate never loses the processor. On Linux
//! the check keeps its thread on one processor (the lowest-numbered it may use) and the
//! competitor, which inherits that processor, spins on it; elsewhere the competitor runs where
//! the scheduler puts it, and the baseline waits for its turn all the same. Every slice of the
//! baseline, however short, loses the processor at least once: a wall clock counts the
//! competitor's turns as the baseline's time and reads the ratio too high in every slice, so
//! neither a fastest slice nor a median removes it; the thread's CPU time stops while the
//! thread is off the processor.
//!
//! The thread waits rather than letting the scheduler preempt it because a woken thread does
//! not reliably run at once: measured on Linux 6.18 (EEVDF), a competitor woken (and yielded
//! to) at each baseline run took the processor in only 6 of 20 half-millisecond slices of the
//! baseline, so a toolkit keeping each side's fastest slice by the wall clock never saw it.
//!
//! What this adds to the measured thread's own CPU time is small: one hand-over (waking the
//! competitor, waiting, being woken) per baseline run, about 3 us measured here, beside the
//! check's baseline runs of 250-500 us, so about 1%: the reference toolkit read 2.00-2.04x for
//! 2x in 20 quiet runs (2.00-2.09x with a busy loop on every core), against a range of
//! 1.5-2.7x.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle, Thread};
use std::time::{Duration, Instant};

/// How long the competitor keeps the processor at each hand-over: a scheduler's turn on a busy
/// laptop, and 2-4 times a baseline run of the check, so that a wall clock reads the baseline
/// at least twice as slow even when a busy machine also slows the work itself.
pub const BURST: Duration = Duration::from_millis(1);

/// The competitor is parked: the measuring thread runs.
const PARKED: u8 = 0;
/// The competitor has the processor; the measuring thread waits.
const AWAKE: u8 = 1;
/// The competitor must end.
const STOP: u8 = 2;

/// What the measuring thread and the competitor share.
#[derive(Debug)]
struct Shared {
    /// [`PARKED`], [`AWAKE`] or [`STOP`].
    state: AtomicU8,
    /// The thread that runs the closures, woken when the competitor's burst is over.
    measuring: Thread,
}

/// A thread that takes the measuring processor from the baseline. Dropping it stops and joins
/// the thread (also when a toolkit panics, so no thread is left parked).
#[derive(Debug)]
pub struct Competitor {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Competitor {
    /// Starts a competitor on the calling thread's processors (call it with the thread kept on
    /// one, and hand over from this thread only); `None` if no thread could be started.
    pub fn start() -> Option<Competitor> {
        let shared = Arc::new(Shared {
            state: AtomicU8::new(PARKED),
            measuring: thread::current(),
        });
        let theirs = Arc::clone(&shared);
        let thread = thread::Builder::new()
            .name("measure-ratio competitor".into())
            .spawn(move || compete(&theirs))
            .ok()?;
        Some(Competitor {
            shared,
            thread: Some(thread),
        })
    }

    /// Gives the processor to the competitor for a [`BURST`]: wakes it (it is always parked
    /// here, the hand-over being over before this returns) and waits until its burst is over.
    pub fn hand_over(&self) {
        let Some(thread) = &self.thread else {
            return;
        };
        let state = &self.shared.state;
        if state
            .compare_exchange(PARKED, AWAKE, Ordering::AcqRel, Ordering::Relaxed)
            .is_ok()
        {
            thread.thread().unpark();
            // A wake-up that comes before `park` is kept by the thread's token: none is lost.
            while state.load(Ordering::Acquire) == AWAKE {
                thread::park();
            }
        }
    }
}

impl Drop for Competitor {
    fn drop(&mut self) {
        self.shared.state.store(STOP, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            thread.thread().unpark();
            // The competitor only spins and parks: it cannot panic, and it ends within a BURST.
            let _ = thread.join();
        }
    }
}

/// The competitor's life: park until woken, spin for a [`BURST`], give the processor back to
/// the measuring thread; end when told to.
fn compete(shared: &Shared) {
    loop {
        while shared.state.load(Ordering::Acquire) == PARKED {
            thread::park();
        }
        if shared.state.load(Ordering::Acquire) == STOP {
            return;
        }
        let woken = Instant::now();
        while woken.elapsed() < BURST {
            std::hint::spin_loop();
        }
        // Back to parked, unless told to stop meanwhile.
        let _ = shared
            .state
            .compare_exchange(AWAKE, PARKED, Ordering::AcqRel, Ordering::Relaxed);
        shared.measuring.unpark();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hand_over_takes_a_burst_of_wall_time_and_the_competitor_stops_when_dropped() {
        let competitor = Competitor::start().expect("a thread can be started");
        for _ in 0..3 {
            let started = Instant::now();
            competitor.hand_over();
            assert!(started.elapsed() >= BURST);
        }
        drop(competitor);
    }
}
