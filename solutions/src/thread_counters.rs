//! Counters that cost almost nothing to bump: one set per thread, each written by its own thread
//! only, and summed when someone reads them. Task 2's waste figures and Task 4's metrics use
//! them.
//!
//! A shared atomic counter costs a locked read-modify-write on every bump (about 6 ns here,
//! and far more when threads fight over its cache line: a size-class pool with two shared
//! counters went from 27 ns per get+return on one thread to over 600 ns on two). Spreading
//! them over several cache lines removes the fight but still pays the locked instruction. Here
//! every thread has counters of its own, and since nobody else writes them, a bump is a plain
//! load and store (no lock prefix): a nanosecond or two. A reader sums every thread's counters; it sees each thread's
//! latest stores, exactly so once the threads it waits for are done.
//!
//! Gauges work too: a thread may subtract what another added (its own counter wraps below zero),
//! and the wrapping sum is exact.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// How many counters a set has.
pub const COUNTERS: usize = 16;

/// One thread's counters for one set.
type Slots = Arc<[AtomicU64; COUNTERS]>;

fn new_slots() -> Slots {
    Arc::new(std::array::from_fn(|_| AtomicU64::new(0)))
}

/// A set of [`COUNTERS`] counters, kept per thread. See the module docs.
pub struct ThreadCounters {
    id: u64,
    /// Every thread's counters, including threads that have ended.
    threads: Mutex<Vec<Slots>>,
}

thread_local! {
    /// This thread's counters, by the id of their set; the set used last comes first.
    static LOCAL: RefCell<Vec<(u64, Slots)>> = const { RefCell::new(Vec::new()) };
}

impl Default for ThreadCounters {
    fn default() -> Self {
        static NEXT_ID: AtomicU64 = AtomicU64::new(0);
        ThreadCounters {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            threads: Mutex::new(Vec::new()),
        }
    }
}

impl ThreadCounters {
    fn lock(&self) -> MutexGuard<'_, Vec<Slots>> {
        self.threads
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `bump` on this thread's counters; `bump` calls [`Bump::add`] and [`Bump::sub`].
    #[inline]
    pub fn update(&self, bump: impl FnOnce(&Bump<'_>)) {
        if cfg!(feature = "uncounted-metrics") {
            return;
        }
        let mut bump = Some(bump);
        let _ = LOCAL.try_with(|local| {
            let Ok(mut local) = local.try_borrow_mut() else {
                return;
            };
            if local.first().map(|(id, _)| *id) != Some(self.id) {
                self.make_first(&mut local);
            }
            if let Some(bump) = bump.take() {
                bump(&Bump(&local[0].1));
            }
        });
        if let Some(bump) = bump {
            // Thread teardown or re-entry: count in a set of its own, registered for the sum.
            let slots = new_slots();
            bump(&Bump(&slots));
            self.lock().push(slots);
        }
    }

    /// Moves this set's counters to the front of the thread's list, registering new ones if the
    /// thread has none yet.
    #[cold]
    fn make_first(&self, local: &mut Vec<(u64, Slots)>) {
        // Prune the counters of sets that are gone (only this thread still holds them).
        local.retain(|(_, slots)| Arc::strong_count(slots) > 1);
        let index = match local.iter().position(|(id, _)| *id == self.id) {
            Some(index) => index,
            None => {
                let slots = new_slots();
                self.lock().push(Arc::clone(&slots));
                local.push((self.id, slots));
                local.len() - 1
            }
        };
        local.swap(0, index);
    }

    /// The sum of counter `index` over every thread.
    pub fn sum(&self, index: usize) -> u64 {
        self.lock().iter().fold(0u64, |sum, slots| {
            sum.wrapping_add(slots[index].load(Ordering::Relaxed))
        })
    }
}

/// This thread's counters, inside [`ThreadCounters::update`].
pub struct Bump<'a>(&'a [AtomicU64; COUNTERS]);

impl Bump<'_> {
    /// Adds `amount` to counter `index`. Only this thread writes these counters, so a plain load
    /// and store cannot lose an update.
    #[inline]
    pub fn add(&self, index: usize, amount: u64) {
        let counter = &self.0[index];
        counter.store(
            counter.load(Ordering::Relaxed).wrapping_add(amount),
            Ordering::Relaxed,
        );
    }

    /// Subtracts `amount` from counter `index` (for gauges).
    #[inline]
    pub fn sub(&self, index: usize, amount: u64) {
        self.add(index, amount.wrapping_neg());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_every_threads_counters_including_ended_threads() {
        let counters = ThreadCounters::default();
        std::thread::scope(|scope| {
            for _ in 0..8 {
                scope.spawn(|| {
                    for _ in 0..1000 {
                        counters.update(|bump| {
                            bump.add(0, 1);
                            bump.add(1, 3);
                        });
                    }
                });
            }
        });
        assert_eq!(counters.sum(0), 8000);
        assert_eq!(counters.sum(1), 24_000);
    }

    #[test]
    fn a_gauge_can_go_down_on_another_thread() {
        let counters = ThreadCounters::default();
        counters.update(|bump| bump.add(2, 100));
        std::thread::scope(|scope| {
            scope.spawn(|| counters.update(|bump| bump.sub(2, 60)));
        });
        assert_eq!(counters.sum(2), 40);
    }

    #[test]
    fn two_sets_on_one_thread_stay_apart() {
        let (a, b) = (ThreadCounters::default(), ThreadCounters::default());
        a.update(|bump| bump.add(0, 1));
        b.update(|bump| bump.add(0, 5));
        a.update(|bump| bump.add(0, 1));
        assert_eq!((a.sum(0), b.sum(0)), (2, 5));
    }
}
