//! What the benchmarks that run on several threads share: [`Crew`], threads that stay for a
//! whole benchmark.

use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Barrier};
use std::thread::Scope;
use std::time::{Duration, Instant};

/// Threads that stay for a whole benchmark, warm-up and samples, and run each sample together:
/// the slowest one's time is the sample's. They end when the crew is dropped.
///
/// Why: criterion calls a benchmark's routine once per sample, so threads started there are new for
/// every sample, and they take buffers that the threads of earlier samples made. Where the
/// allocator put those decides the figure, not the subject: glibc puts a buffer's header 32 bytes
/// before the next buffer's first byte, on one cache line at least half the time, and two threads
/// that hold such neighbours write one line on every get (`cargo run -p solutions --release
/// --example hold_samples`, and docs/measurement.md). A server's workers stay, and so do these.
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
/// others would wait for it for ever: at the start line, for its time in [`Crew::run`], or, in a
/// hand-off, for the buffers it no longer sends.
struct AbortOnPanic;

impl Drop for AbortOnPanic {
    fn drop(&mut self) {
        if std::thread::panicking() {
            std::process::abort();
        }
    }
}
