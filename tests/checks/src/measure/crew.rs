//! Threads that stay for a whole criterion benchmark: [`Crew`], for benchmarks that run on
//! several threads.

use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Barrier};
use std::thread::Scope;
use std::time::{Duration, Instant};

/// Threads that stay for a whole benchmark, warm-up and samples, and run each sample together:
/// the slowest one's time is the sample's. They end when the crew is dropped.
///
/// Why: criterion calls a benchmark's routine once per sample, so threads started there are new for
/// every sample, and they take buffers that the threads of earlier samples made. Where the
/// allocator put those can decide the figure, not the pool: glibc puts a buffer's header 32 bytes
/// before the next buffer's first byte, on one cache line at least half the time, and two threads
/// that hold such neighbours write one line on every get (docs/measurement.md). A server's workers
/// stay, and so do these.
///
/// In a criterion benchmark (the crew outlives the benchmark's every call of its routine):
///
/// ```text
/// std::thread::scope(|scope| {
///     let crew = Crew::start(scope, threads, |_worker, iterations| {
///         for _ in 0..iterations {
///             operation();
///         }
///     });
///     group.bench_function(name, |b| b.iter_custom(|iterations| crew.run(iterations)));
/// });
/// ```
pub struct Crew {
    orders: Vec<Sender<u64>>,
    times: Receiver<Duration>,
}

impl Crew {
    /// `threads` threads in `scope`, each running `work(its index, iterations)` once per
    /// [`Crew::run`], all starting together.
    pub fn start<'scope, 'env>(
        scope: &'scope Scope<'scope, 'env>,
        threads: usize,
        work: impl Fn(usize, u64) + Send + Sync + 'env,
    ) -> Crew {
        let (report, times) = channel();
        let start_line = Arc::new(Barrier::new(threads));
        let work = Arc::new(work);
        let orders = (0..threads)
            .map(|worker| {
                let (order, orders) = channel::<u64>();
                let (report, start_line, work) =
                    (report.clone(), Arc::clone(&start_line), Arc::clone(&work));
                scope.spawn(move || {
                    let _abort_on_panic = AbortOnPanic;
                    for iterations in orders {
                        start_line.wait();
                        let started = Instant::now();
                        work(worker, iterations);
                        if report.send(started.elapsed()).is_err() {
                            return;
                        }
                    }
                });
                order
            })
            .collect();
        Crew { orders, times }
    }

    /// One sample: every thread runs `iterations`; the slowest thread's time.
    pub fn run(&self, iterations: u64) -> Duration {
        for order in &self.orders {
            order
                .send(iterations)
                .expect("the crew's threads run until it is dropped");
        }
        (0..self.orders.len())
            .map(|_| self.times.recv().expect("every thread reports its time"))
            .max()
            .unwrap_or_default()
    }
}

/// Ends the process when a crew's thread panics (its message is printed first). Otherwise the
/// others would wait for it for ever: at the start line, for its time in [`Crew::run`], or, where
/// threads pass work to one another, for what it no longer sends. A benchmark has nothing to
/// recover.
struct AbortOnPanic;

impl Drop for AbortOnPanic {
    fn drop(&mut self) {
        if std::thread::panicking() {
            std::process::abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Mutex;

    #[test]
    fn every_thread_runs_every_sample_on_the_same_thread() {
        let iterations = [AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)];
        let seen: Mutex<Vec<(usize, std::thread::ThreadId)>> = Mutex::new(Vec::new());
        std::thread::scope(|scope| {
            let crew = Crew::start(scope, 3, |worker, count| {
                iterations[worker].fetch_add(count, Ordering::Relaxed);
                seen.lock()
                    .unwrap()
                    .push((worker, std::thread::current().id()));
            });
            crew.run(5);
            crew.run(7);
        });
        for count in &iterations {
            assert_eq!(count.load(Ordering::Relaxed), 12);
        }
        let seen = seen.into_inner().unwrap();
        assert_eq!(seen.len(), 6);
        for (worker, thread) in &seen {
            let threads_of_worker = seen.iter().filter(|(other, _)| other == worker);
            assert!(threads_of_worker.clone().count() == 2);
            assert!(threads_of_worker
                .into_iter()
                .all(|(_, other)| other == thread));
        }
        assert_ne!(seen[0].1, std::thread::current().id());
    }

    #[test]
    fn a_sample_lasts_as_long_as_its_slowest_thread() {
        std::thread::scope(|scope| {
            let crew = Crew::start(scope, 2, |worker, _| {
                if worker == 1 {
                    std::thread::sleep(Duration::from_millis(30));
                }
            });
            assert!(crew.run(1) >= Duration::from_millis(30));
        });
    }
}
