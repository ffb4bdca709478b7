//! The strategies the success criteria measure, and each one's pool built from a workshop as
//! the standard for a workload: what the criteria checks and Task 3's table both measure.

use crate::catalogue::Pool;
use crate::check::Failure;
use crate::config::ConfigError;
use crate::pool::BufferPool;
use crate::task1::{SyncPoolConfig, Task1};
use crate::task2::{AdaptiveConfig, FixedPoolConfig, SizeClassConfig, Task2};
use crate::task4::{PoolConfig, Task4};
use crate::workloads::{Workload, FRAMING_HINT, PACKET_BUFFER, READ_BUFFER, SMALL_BUFFER};

/// A pooling strategy the success criteria measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// Task 1's `SyncPool`.
    Sync,
    /// Task 2's `FixedPool`.
    Fixed,
    /// Task 2's `SizeClassPool`.
    SizeClass,
    /// Task 2's `AdaptivePool`.
    Adaptive,
    /// Task 4's `ProductionPool`.
    Production,
}

impl Strategy {
    /// Every strategy.
    pub const ALL: [Strategy; 5] = [
        Strategy::Sync,
        Strategy::Fixed,
        Strategy::SizeClass,
        Strategy::Adaptive,
        Strategy::Production,
    ];

    /// Its name in reports and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Sync => "sync",
            Strategy::Fixed => "fixed",
            Strategy::SizeClass => "class",
            Strategy::Adaptive => "adaptive",
            Strategy::Production => "prod",
        }
    }

    /// The pool it measures, as the catalogue names it.
    pub fn pool(self) -> Pool {
        match self {
            Strategy::Sync => Pool::Sync,
            Strategy::Fixed => Pool::Fixed,
            Strategy::SizeClass => Pool::SizeClass,
            Strategy::Adaptive => Pool::Adaptive,
            Strategy::Production => Pool::Production,
        }
    }

    /// The strategy called `name`.
    pub fn named(name: &str) -> Option<Strategy> {
        Strategy::ALL
            .into_iter()
            .find(|strategy| strategy.name() == name)
    }
}

/// Something to do with a pool, whatever its type (a generic closure, as a trait).
pub trait WithPool {
    /// What it gives back.
    type Output;
    /// Does it.
    fn with<P: BufferPool>(self, pool: &P) -> Self::Output;
}

/// Builds `strategy`'s pool from `workshop`, configured as the workshop's standard for
/// `workload`, and hands it to `visitor`.
pub fn with_strategy<W: Task1 + Task2 + Task4, V: WithPool>(
    workshop: &W,
    strategy: Strategy,
    workload: Workload,
    visitor: V,
) -> Result<V::Output, Failure> {
    // The natural buffer size of each workload: what a fixed pool and a factory would use.
    let natural = match workload {
        Workload::PacketServer => READ_BUFFER,
        Workload::Framing => 64 * 1024,
        Workload::SmallBuffers => SMALL_BUFFER,
        Workload::Bursts | Workload::Pipeline => PACKET_BUFFER,
    };
    let refused = |error: ConfigError| {
        Failure::new(
            format!(
                "the {} pool built from the standard configuration",
                strategy.name()
            ),
            format!("refused: {error}"),
        )
    };
    Ok(match strategy {
        Strategy::Sync => {
            let capacity = match workload {
                Workload::Framing => FRAMING_HINT,
                _ => natural,
            };
            let pool = workshop.sync_pool(SyncPoolConfig::with_capacity(capacity, 1024 * 1024));
            visitor.with(&pool)
        }
        Strategy::Fixed => {
            let config = FixedPoolConfig {
                buffer_size: natural,
                preallocate: 0,
                max_pooled: 64,
            };
            visitor.with(&workshop.fixed_pool(config).map_err(refused)?)
        }
        Strategy::SizeClass => {
            let pool = workshop.size_class_pool(SizeClassConfig::default());
            visitor.with(&pool.map_err(refused)?)
        }
        Strategy::Adaptive => {
            let pool = workshop.adaptive_pool(AdaptiveConfig::default());
            visitor.with(&pool.map_err(refused)?)
        }
        Strategy::Production => {
            let config = PoolConfig {
                buffer_size: natural,
                max_buffer_size: natural.max(1024 * 1024),
                ..PoolConfig::default()
            };
            visitor.with(&workshop.production_pool(config).map_err(refused)?)
        }
    })
}

/// Everything Task 3's table shows for one strategy on one workload.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    /// Allocator calls per message, pooled and unpooled.
    pub allocations: crate::measure::AllocationsPerMessage,
    /// Throughput ratio, one thread.
    pub one_thread: crate::measure::Ratio,
    /// Throughput ratio, two threads on one pool (informational). None for the pipeline, which
    /// is two threads already (its `one_thread` is its one reader and one consumer).
    pub two_threads: Option<crate::measure::Ratio>,
    /// Live memory over a long run of the pooled workload.
    pub memory: crate::measure::MemoryProfile,
    /// The unpooled baseline's peak live bytes.
    pub unpooled_peak: i64,
}

/// Measures everything Task 3's table shows for `strategy` on `workload`.
pub fn analyse<W: Task1 + Task2 + Task4>(
    workshop: &W,
    strategy: Strategy,
    workload: Workload,
) -> Result<Figures, Failure> {
    struct Analysis(Workload);
    impl WithPool for Analysis {
        type Output = Figures;
        fn with<P: BufferPool>(self, pool: &P) -> Figures {
            use crate::measure::{
                allocations_per_message, interleaved_ratios, memory_profile, threaded_ratio,
                unpooled_peak, Ratio, ROUNDS,
            };
            let workload = self.0;
            let sizes = workload.message_sizes(256, 42);
            if workload == Workload::Pipeline {
                return pipeline_figures(pool, &sizes);
            }
            let memory = memory_profile(workload, pool, &sizes, 8);
            let unpooled_peak = unpooled_peak(workload, &sizes);
            let allocations = allocations_per_message(workload, pool, &sizes);
            let one_thread = Ratio::from_rounds(interleaved_ratios(
                &mut || {
                    workload.run_unpooled(&sizes);
                },
                &mut || {
                    workload.run_pooled(pool, &sizes);
                },
                ROUNDS,
            ));
            let two_threads = Some(threaded_ratio(workload, pool, &sizes, 2));
            Figures {
                allocations,
                one_thread,
                two_threads,
                memory,
                unpooled_peak,
            }
        }
    }
    crate::counting::ensure_counting()?;
    with_strategy(workshop, strategy, workload, Analysis(workload))
}

/// [`analyse`]'s figures for the pipeline, with one reader (this thread, on the first
/// processor) and one consumer thread (on the second) kept for the whole measurement: the
/// allocations and memory of its runs, and the ratio of both threads' CPU time per run (why:
/// [`crate::workloads::pipeline`]).
fn pipeline_figures<P: BufferPool>(pool: &P, sizes: &[usize]) -> Figures {
    use crate::counting::{count_allocations, live_bytes};
    use crate::measure::affinity::on_one_cpu;
    use crate::measure::{ratios_of_costs, AllocationsPerMessage, MemoryProfile, Ratio, ROUNDS};
    use crate::workloads::pipeline::Rig;
    const PASSES: usize = 8;
    // Its rounds spread more than one thread's (two threads, and the channel's wake-ups): three
    // times as many keep the median within a few percent from run to run, for 0.2 s more.
    const PIPELINE_ROUNDS: usize = 3 * ROUNDS;
    on_one_cpu(|| {
        std::thread::scope(|scope| {
            let rig = Rig::start(scope);
            // Memory first, while the pool is new (as `measure::memory_profile`).
            let (peaks, calls) = count_allocations(|| {
                let start = live_bytes();
                (0..PASSES)
                    .map(|_| {
                        let mut peak = i64::MIN;
                        rig.serve_pooled(pool, sizes, &mut || {
                            peak = peak.max(live_bytes() - start);
                        });
                        peak
                    })
                    .collect::<Vec<_>>()
            });
            let memory = MemoryProfile {
                first_half_peak: peaks[..PASSES / 2].iter().copied().max().unwrap_or(0),
                second_half_peak: peaks[PASSES / 2..].iter().copied().max().unwrap_or(0),
                retained: calls.net_bytes(),
            };
            let start = live_bytes();
            let mut unpooled_peak = 0;
            rig.serve_unpooled(sizes, &mut || {
                unpooled_peak = i64::max(unpooled_peak, live_bytes() - start);
            });
            let (_, pooled) = count_allocations(|| rig.serve_pooled(pool, sizes, &mut || {}));
            let (_, unpooled) = count_allocations(|| rig.serve_unpooled(sizes, &mut || {}));
            let messages = sizes.len().max(1) as f64;
            let allocations = AllocationsPerMessage {
                pooled: pooled.allocations as f64 / messages,
                unpooled: unpooled.allocations as f64 / messages,
            };
            let one_thread = Ratio::from_rounds(ratios_of_costs(
                &mut || rig.serve_unpooled(sizes, &mut || {}).cpu,
                &mut || rig.serve_pooled(pool, sizes, &mut || {}).cpu,
                PIPELINE_ROUNDS,
            ));
            Figures {
                allocations,
                one_thread,
                two_threads: None,
                memory,
                unpooled_peak,
            }
        })
    })
}
