//! Broken pools that prove the checks can fail. The grader's own tests grade each one and assert
//! that the check it targets does not pass (`grader/tests/fixtures.rs`); anyone can watch one
//! with `cargo run -p grader -- --fixture NAME`.
//!
//! Each fixture is a correct pool with one [`Flaw`] switched on, so that the flaw, and nothing
//! else, is what a check catches: for Task 1 a simple `sync.Pool` of our own
//! ([`flawed_sync_pool`]), for Tasks 2 and 4 the reference pools behind a wrapper
//! ([`flawed_wrapper`]).
//! A flaw that does not apply to a pool leaves it sound. `Flaw::None` is the control: it must
//! pass every check.

mod flawed_sync_pool;
mod flawed_wrapper;

use flawed_sync_pool::FlawedPool;
use flawed_wrapper::Flawed;
use pool_checks::task1::{SyncPoolConfig, Task1};
use pool_checks::task2::{AdaptiveConfig, FixedPoolConfig, SizeClassConfig, Task2};
use pool_checks::task3::{AllocationCount, Task3};
use pool_checks::task4::{LimitPolicy, PoolConfig, Task4};
use pool_checks::ConfigError;
use solutions::{
    task3_measure, task4_config, AdaptivePool, FixedPool, ProductionPool, SizeClassPool,
};

/// One mistake a student's pool can make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flaw {
    /// No mistake: the control.
    None,
    /// Task 1: new buffers do not come from the factory.
    IgnoresFactory,
    /// Every get allocates; every returned buffer is dropped.
    NeverReuses,
    /// Buffers are handed out as the previous holder left them.
    NeverResets,
    /// Task 1: `get_read` zeroes the whole buffer on every reuse.
    ZeroesReadBuffers,
    /// Buffers above the pool's limit are kept anyway.
    KeepsOversized,
    /// Task 1: `warm` does nothing.
    WarmDoesNothing,
    /// Task 1: `collect` frees every idle buffer at once.
    CollectFreesAtOnce,
    /// Task 1: `collect` frees nothing.
    CollectNeverFrees,
    /// Task 1: buffers returned on another thread are stranded.
    StrandsOtherThreads,
    /// Dropping the pool leaks its buffers.
    LeaksOnDrop,
    /// Now and then a held buffer is handed to a second holder.
    AliasesBuffers,
    /// Task 2: constructors accept configurations that break the rules.
    AcceptsBadConfigs,
    /// Task 2: the fixed pool ignores `preallocate`.
    IgnoresPreallocate,
    /// Task 2: the fixed and size-class pools keep every returned buffer.
    Unbounded,
    /// Task 2: `return_detached` accepts buffers of any size.
    AcceptsAnySize,
    /// Task 2: a power-of-two request is served from the next class up.
    OffByOneClasses,
    /// Task 2: returned buffers go to one list and serve any class.
    OneListForAllClasses,
    /// Task 2: a buffer that grew or shrank goes back to the class it came from.
    RemembersOrigin,
    /// Task 2: `waste()` reports no waste.
    MiscountsWaste,
    /// Task 2: every second returned buffer is dropped.
    LosesHalfItsReturns,
    /// Task 2: the adaptive pool never recalibrates.
    NeverRecalibrates,
    /// Task 2: `trim` ignores the recent peak.
    TrimIgnoresPeak,
    /// Task 2: the adaptive pool drops every buffer above 64 KiB.
    CapsRetainedAt64KiB,
    /// Every returned buffer is zeroed over its whole capacity (correct, and slow).
    ZeroesOnReturn,
    /// Task 3: the toolkit's counter reports no allocations.
    CountsNothing,
    /// Task 3: the toolkit's ratio is candidate time over baseline time.
    InvertsRatio,
    /// Task 4: the environment loader ignores `POOL_ZERO_ON_RETURN`.
    EnvIgnoresZeroOnReturn,
    /// Task 4: returns are counted twice for buffers dropped because the pool is full.
    MiscountsMetrics,
    /// Task 4: the gets counter is updated with a load and a store, and loses increments.
    RacyCounters,
    /// Task 4: Prometheus counters lack the `_total` suffix.
    CountersWithoutTotal,
    /// Task 4: policy `allocate` fails instead.
    FailsInsteadOfAllocating,
    /// Task 4: the limits are ignored.
    IgnoresLimits,
    /// Task 4: policy `wait` fails at once instead.
    FailsInsteadOfWaiting,
    /// Task 4: `shrink_to` frees nothing.
    ShrinkDoesNothing,
    /// Task 4: `zero_on_return` is ignored.
    IgnoresZeroOnReturn,
    /// Task 4: the leak report counts one buffer too few.
    MiscountsLeaks,
    /// Task 1: `warm` deadlocks.
    Deadlocks,
    /// Task 1: `get` spins forever on large requests.
    LoopsForever,
    /// Task 1: `collect` panics.
    Panics,
    /// Task 1: `get_read` aborts the process.
    Aborts,
    /// Task 1: returning an oversized buffer overflows the stack.
    OverflowsStack,
    /// Task 2: a request is served from the class below, and `Vec::reserve` grows the buffer.
    RoundsDownClasses,
    /// Task 4: `trim` frees nothing.
    TrimDoesNothing,
    /// Task 4: `max_bytes_in_use` is ignored (`max_in_use` is not).
    IgnoresByteLimit,
    /// Task 4: `zero_on_return` zeroes the buffer's length only, not its whole capacity.
    ZeroesOnlyLength,
    /// Every get keeps another 64 MiB for good.
    HoardsMemory,
    /// Every return locks the pool twice and never comes back.
    DeadlocksOnReturn,
    /// Never reuses, and prints a line that looks like the grader's "passed" verdict.
    FakesVerdict,
    // Correct pools written differently: each must pass the checks named in the grader's
    // fixture test, which once failed them.
    /// Correct: the bookkeeping of a lock-free queue that allocates blocks as it goes
    /// (crossbeam's `SegQueue`), beside every pool.
    AllocatesBookkeeping,
    /// Correct: a registration allocated on each thread's first get.
    RegistersThreads,
    /// Correct: the Prometheus high-water gauge listed before the in-use gauge it ends like.
    HighWaterFirst,
    /// Correct, and slow: every get works for 50 us, every return sleeps for 200 us.
    SlowButCorrect,
}

/// Every fixture: its flaw, its name on the command line, and what is wrong with it.
const FIXTURES: [(Flaw, &str, &str); 53] = [
    (
        Flaw::None,
        "sound",
        "no flaw: the control, which passes every check",
    ),
    (
        Flaw::IgnoresFactory,
        "ignores-factory",
        "new buffers come from Vec::new(), not the factory",
    ),
    (
        Flaw::NeverReuses,
        "never-reuses",
        "every get allocates; every returned buffer is dropped",
    ),
    (
        Flaw::NeverResets,
        "never-resets",
        "buffers are handed out as the previous holder left them",
    ),
    (
        Flaw::ZeroesReadBuffers,
        "zeroes-read-buffers",
        "get_read zeroes the whole buffer on every reuse",
    ),
    (
        Flaw::KeepsOversized,
        "keeps-oversized",
        "buffers above the pool's limit are kept anyway",
    ),
    (
        Flaw::WarmDoesNothing,
        "warm-does-nothing",
        "warm() does nothing",
    ),
    (
        Flaw::CollectFreesAtOnce,
        "collect-frees-at-once",
        "collect() frees every idle buffer at once",
    ),
    (
        Flaw::CollectNeverFrees,
        "collect-never-frees",
        "collect() frees nothing",
    ),
    (
        Flaw::StrandsOtherThreads,
        "strands-other-threads",
        "buffers returned on another thread are stranded",
    ),
    (
        Flaw::LeaksOnDrop,
        "leaks-on-drop",
        "dropping the pool leaks its buffers",
    ),
    (
        Flaw::AliasesBuffers,
        "aliases-buffers",
        "now and then a held buffer is handed to a second holder (unsafe)",
    ),
    (
        Flaw::AcceptsBadConfigs,
        "accepts-bad-configs",
        "constructors accept configurations that break the rules",
    ),
    (
        Flaw::IgnoresPreallocate,
        "ignores-preallocate",
        "the fixed pool ignores preallocate",
    ),
    (
        Flaw::Unbounded,
        "unbounded",
        "the fixed and size-class pools keep every returned buffer",
    ),
    (
        Flaw::AcceptsAnySize,
        "accepts-any-size",
        "return_detached accepts buffers of any size",
    ),
    (
        Flaw::OffByOneClasses,
        "off-by-one-classes",
        "a power-of-two request is served from the next class up",
    ),
    (
        Flaw::OneListForAllClasses,
        "one-list-for-all-classes",
        "returned buffers go to one list and serve any class",
    ),
    (
        Flaw::RemembersOrigin,
        "remembers-origin",
        "a buffer that grew or shrank goes back to its old class",
    ),
    (
        Flaw::MiscountsWaste,
        "miscounts-waste",
        "waste() reports no waste",
    ),
    (
        Flaw::LosesHalfItsReturns,
        "loses-half-its-returns",
        "every second returned buffer is dropped",
    ),
    (
        Flaw::NeverRecalibrates,
        "never-recalibrates",
        "the adaptive pool never learns from its requests",
    ),
    (
        Flaw::TrimIgnoresPeak,
        "trim-ignores-peak",
        "trim() shrinks to the floor, ignoring the recent peak",
    ),
    (
        Flaw::CapsRetainedAt64KiB,
        "caps-retained-at-64kib",
        "the adaptive pool drops every buffer above 64 KiB",
    ),
    (
        Flaw::ZeroesOnReturn,
        "zeroes-on-return",
        "every returned buffer is zeroed over its whole capacity",
    ),
    (
        Flaw::CountsNothing,
        "counts-nothing",
        "the toolkit's allocation counter reports zero",
    ),
    (
        Flaw::InvertsRatio,
        "inverts-ratio",
        "the toolkit's ratio is candidate time over baseline time",
    ),
    (
        Flaw::EnvIgnoresZeroOnReturn,
        "env-ignores-zero-on-return",
        "the environment loader ignores POOL_ZERO_ON_RETURN",
    ),
    (
        Flaw::MiscountsMetrics,
        "miscounts-metrics",
        "returns are counted twice for buffers dropped because the pool is full",
    ),
    (
        Flaw::RacyCounters,
        "racy-counters",
        "the gets counter is a load and a store, and loses increments between threads",
    ),
    (
        Flaw::CountersWithoutTotal,
        "counters-without-total",
        "Prometheus counters lack the _total suffix",
    ),
    (
        Flaw::FailsInsteadOfAllocating,
        "fails-instead-of-allocating",
        "policy allocate fails at the limit instead",
    ),
    (
        Flaw::IgnoresLimits,
        "ignores-limits",
        "max_in_use and max_bytes_in_use are ignored",
    ),
    (
        Flaw::FailsInsteadOfWaiting,
        "fails-instead-of-waiting",
        "policy wait fails at once instead",
    ),
    (
        Flaw::ShrinkDoesNothing,
        "shrink-does-nothing",
        "shrink_to frees nothing",
    ),
    (
        Flaw::IgnoresZeroOnReturn,
        "ignores-zero-on-return",
        "zero_on_return is ignored",
    ),
    (
        Flaw::MiscountsLeaks,
        "miscounts-leaks",
        "the leak report counts one buffer too few",
    ),
    (
        Flaw::Deadlocks,
        "deadlocks",
        "warm() locks the store twice and never returns",
    ),
    (
        Flaw::LoopsForever,
        "loops-forever",
        "get spins forever when asked for 10000 bytes or more",
    ),
    (Flaw::Panics, "panics", "collect() panics"),
    (Flaw::Aborts, "aborts", "get_read aborts the process"),
    (
        Flaw::OverflowsStack,
        "overflows-stack",
        "returning an oversized buffer recurses until the stack overflows",
    ),
    (
        Flaw::RoundsDownClasses,
        "rounds-down-classes",
        "a request is served from the class below and Vec::reserve grows the buffer",
    ),
    (
        Flaw::TrimDoesNothing,
        "trim-does-nothing",
        "trim() frees nothing",
    ),
    (
        Flaw::IgnoresByteLimit,
        "ignores-byte-limit",
        "max_bytes_in_use is ignored (max_in_use is not)",
    ),
    (
        Flaw::ZeroesOnlyLength,
        "zeroes-only-length",
        "zero_on_return zeroes the buffer's length only, not its whole capacity",
    ),
    (
        Flaw::HoardsMemory,
        "hoards-memory",
        "every get keeps another 64 MiB for good",
    ),
    (
        Flaw::DeadlocksOnReturn,
        "deadlocks-on-return",
        "every return locks the pool twice and never comes back",
    ),
    (
        Flaw::FakesVerdict,
        "fakes-a-verdict",
        "never reuses, and prints a line that looks like the grader's verdict: passed",
    ),
    (
        Flaw::AllocatesBookkeeping,
        "allocates-bookkeeping",
        "correct: a lock-free queue beside the pool allocates and frees its blocks as it goes",
    ),
    (
        Flaw::RegistersThreads,
        "registers-threads",
        "correct: each thread's first get allocates a registration for the thread",
    ),
    (
        Flaw::SlowButCorrect,
        "slow-but-correct",
        "correct, and slow: every get works for 50 us, every return sleeps for 200 us",
    ),
    (
        Flaw::HighWaterFirst,
        "high-water-first",
        "correct: the Prometheus high-water gauge comes before the in-use gauge it ends like",
    ),
];

impl Flaw {
    /// Every flaw, in the order of the table.
    pub fn all() -> impl Iterator<Item = Flaw> {
        FIXTURES.iter().map(|(flaw, ..)| *flaw)
    }

    /// The flaw called `name` on the command line.
    pub fn named(name: &str) -> Option<Flaw> {
        FIXTURES
            .iter()
            .find(|(_, fixture, _)| *fixture == name)
            .map(|(flaw, ..)| *flaw)
    }

    fn entry(self) -> &'static (Flaw, &'static str, &'static str) {
        FIXTURES
            .iter()
            .find(|(flaw, ..)| *flaw == self)
            .expect("every flaw is in the FIXTURES table")
    }

    /// Its name on the command line (`--fixture NAME`).
    pub fn name(self) -> &'static str {
        self.entry().1
    }

    /// What is wrong with it, in one line.
    pub fn description(self) -> &'static str {
        self.entry().2
    }
}

/// The fixtures' implementation of the workshop: every pool it builds has `flaw`.
#[derive(Debug, Clone, Copy)]
pub struct Workshop {
    flaw: Flaw,
}

impl Workshop {
    /// Pools with `flaw`.
    pub fn new(flaw: Flaw) -> Self {
        Workshop { flaw }
    }
}

/// What `AcceptsBadConfigs` builds instead of refusing: the nearest configuration that works.
const LARGE: usize = 1 << 16;

impl Task1 for Workshop {
    type SyncPool = Flawed<FlawedPool>;

    /// `FlawedPool` carries Task 1's flaws itself; the wrapper adds only the aliasing, which it
    /// implements once for every pool.
    fn sync_pool(&self, config: SyncPoolConfig) -> Self::SyncPool {
        let max_retained = config.max_retained_capacity;
        let wrapper_flaw = match self.flaw {
            flaw @ (Flaw::AliasesBuffers
            | Flaw::HoardsMemory
            | Flaw::DeadlocksOnReturn
            | Flaw::FakesVerdict
            | Flaw::AllocatesBookkeeping
            | Flaw::RegistersThreads
            | Flaw::SlowButCorrect) => flaw,
            _ => Flaw::None,
        };
        Flawed::new(
            wrapper_flaw,
            FlawedPool::new(self.flaw, config),
            max_retained,
        )
    }
}

impl Task2 for Workshop {
    type FixedPool = Flawed<FixedPool>;
    type SizeClassPool = Flawed<SizeClassPool>;
    type AdaptivePool = Flawed<AdaptivePool>;

    fn fixed_pool(&self, config: FixedPoolConfig) -> Result<Self::FixedPool, ConfigError> {
        let config = match self.flaw {
            Flaw::AcceptsBadConfigs => FixedPoolConfig {
                buffer_size: config.buffer_size.max(1),
                max_pooled: config.max_pooled.max(config.preallocate).max(1),
                ..config
            },
            Flaw::IgnoresPreallocate => FixedPoolConfig {
                preallocate: 0,
                ..config
            },
            Flaw::Unbounded => FixedPoolConfig {
                max_pooled: LARGE,
                ..config
            },
            _ => config,
        };
        let pool = FixedPool::new(config)?;
        Ok(Flawed::new(self.flaw, pool, config.buffer_size))
    }

    fn size_class_pool(&self, config: SizeClassConfig) -> Result<Self::SizeClassPool, ConfigError> {
        let config = match self.flaw {
            Flaw::AcceptsBadConfigs => {
                let min_size = config.min_size.max(1).next_power_of_two();
                SizeClassConfig {
                    min_size,
                    max_size: config.max_size.next_power_of_two().max(min_size),
                    max_per_class: config.max_per_class.max(1),
                }
            }
            Flaw::Unbounded => SizeClassConfig {
                max_per_class: LARGE,
                ..config
            },
            _ => config,
        };
        let pool = SizeClassPool::new(config)?;
        Ok(Flawed::new(self.flaw, pool, config.max_size))
    }

    fn adaptive_pool(&self, config: AdaptiveConfig) -> Result<Self::AdaptivePool, ConfigError> {
        let config = match self.flaw {
            Flaw::AcceptsBadConfigs => {
                let max_pooled = config.max_pooled.max(1);
                AdaptiveConfig {
                    max_pooled,
                    floor: config.floor.min(max_pooled),
                    window: config.window.max(1),
                    percentile: config.percentile.clamp(1, 100),
                }
            }
            Flaw::NeverRecalibrates => AdaptiveConfig {
                window: usize::MAX,
                ..config
            },
            _ => config,
        };
        let pool = AdaptivePool::new(config)?;
        Ok(Flawed::new(self.flaw, pool, usize::MAX))
    }
}

impl Task3 for Workshop {
    fn count_allocations(&self, work: &mut dyn FnMut()) -> AllocationCount {
        let counted = task3_measure::count_allocations(work);
        match self.flaw {
            Flaw::CountsNothing => AllocationCount::default(),
            _ => counted,
        }
    }

    fn throughput_ratio(
        &self,
        baseline: &mut dyn FnMut(),
        candidate: &mut dyn FnMut(),
        rounds: usize,
    ) -> f64 {
        let ratio = task3_measure::throughput_ratio(baseline, candidate, rounds);
        match self.flaw {
            Flaw::InvertsRatio => 1.0 / ratio,
            _ => ratio,
        }
    }
}

impl Task4 for Workshop {
    type ProductionPool = Flawed<ProductionPool>;

    fn production_pool(&self, config: PoolConfig) -> Result<Self::ProductionPool, ConfigError> {
        let asked_to_zero = config.zero_on_return;
        let config = match self.flaw {
            Flaw::AcceptsBadConfigs => PoolConfig {
                max_pooled: config.max_pooled.max(1),
                ..config
            },
            Flaw::FailsInsteadOfAllocating if config.on_limit == LimitPolicy::Allocate => {
                PoolConfig {
                    on_limit: LimitPolicy::Fail,
                    ..config
                }
            }
            Flaw::FailsInsteadOfWaiting if config.on_limit == LimitPolicy::Wait => PoolConfig {
                on_limit: LimitPolicy::Fail,
                ..config
            },
            Flaw::IgnoresLimits => PoolConfig {
                max_in_use: LARGE,
                max_bytes_in_use: usize::MAX / 2,
                ..config
            },
            Flaw::IgnoresByteLimit => PoolConfig {
                max_bytes_in_use: usize::MAX / 2,
                ..config
            },
            // The wrapper zeroes the length instead.
            Flaw::ZeroesOnlyLength => PoolConfig {
                zero_on_return: false,
                ..config
            },
            Flaw::IgnoresZeroOnReturn => PoolConfig {
                zero_on_return: false,
                ..config
            },
            _ => config,
        };
        let oversize_above = config.max_buffer_size;
        // Only a pool asked to zero gets the flawed zeroing.
        let flaw = match self.flaw {
            Flaw::ZeroesOnlyLength if !asked_to_zero => Flaw::None,
            flaw => flaw,
        };
        Ok(Flawed::new(
            flaw,
            ProductionPool::new(config)?,
            oversize_above,
        ))
    }

    fn config_from_toml(&self, text: &str) -> Result<PoolConfig, ConfigError> {
        task4_config::from_toml(text)
    }

    fn config_from_env(&self, vars: &[(String, String)]) -> Result<PoolConfig, ConfigError> {
        let config = task4_config::from_env(vars)?;
        Ok(match self.flaw {
            Flaw::EnvIgnoresZeroOnReturn => PoolConfig {
                zero_on_return: false,
                ..config
            },
            _ => config,
        })
    }
}
