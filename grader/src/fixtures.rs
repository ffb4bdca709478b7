//! Broken pools that prove the checks can fail. The grader's own tests grade each one and assert
//! that the checks its row names report the status the row gives (`grader/tests/fixtures.rs`); anyone can watch one
//! with `cargo run -p grader -- --fixture NAME`.
//!
//! Each fixture is a correct pool with one [`Flaw`] switched on, so that the flaw, and nothing
//! else, is what a check catches: for Task 1 a simple `sync.Pool` of our own
//! ([`flawed_sync_pool`]), for Tasks 2 and 4 the reference pools behind a wrapper
//! ([`flawed_wrapper`]).
//! A flaw that does not apply to a pool leaves it sound. `Flaw::None` is the control: it must
//! pass every check. Every fixture is one row of [`FIXTURES`].

mod flawed_sync_pool;
mod flawed_wrapper;
mod locked_pools;
mod table;
mod thread_parking;
mod workshop;

pub use table::FIXTURES;
pub use workshop::Workshop;

/// What a fixture changes in the pools it builds: one mistake a student's pool can make, or
/// (for the [`Kind::Correct`] fixtures) one different way of being right.
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
    /// Task 1: no per-thread tier; every get and return takes the one shared lock.
    OneSharedLock,
    /// Task 1: a buffer returned while the thread's slot is taken is dropped, not stored.
    DropsWhenSlotIsTaken,
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
    /// Task 2: a returned buffer goes to the class its capacity rounds up to (3000 bytes: class
    /// 4096), where the get that finds it must grow it.
    ClassesReturnsUp,
    /// Task 2: `waste()` reports no waste.
    MiscountsWaste,
    /// Task 2: every second returned buffer is dropped.
    LosesHalfItsReturns,
    /// Task 2: the adaptive pool never recalibrates.
    NeverRecalibrates,
    /// Task 2: `trim` ignores the recent peak.
    TrimIgnoresPeak,
    /// Task 2: `trim` keeps the peak's count of idle buffers beside the ones still held, where
    /// the held ones are part of the peak.
    TrimKeepsPeakIdle,
    /// Task 2: the adaptive pool drops every buffer above 64 KiB.
    CapsRetainedAt64KiB,
    /// Task 2: the adaptive pool learns its typical size from the requests and the returned
    /// lengths together, so a small request's class outvotes what the buffers grew to.
    LearnsFromRequestsToo,
    /// Every returned buffer is zeroed over its whole capacity (correct, and slow).
    ZeroesOnReturn,
    /// Task 3: the toolkit's counter reports no allocations.
    CountsNothing,
    /// Task 3: the toolkit's ratio is candidate time over baseline time.
    InvertsRatio,
    /// Task 3: the toolkit's ratio times one long block of each side by the wall clock (no
    /// interleaving, no median).
    TimesByWallClock,
    /// Task 3: the toolkit's ratio is the reference method (interleaved slices, fastest of 5,
    /// median of rounds) timed by the wall clock instead of the thread's CPU time.
    TimesSlicesByWallClock,
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
    /// Task 4: a get served past the limit is counted as rejected as well as degraded.
    CountsServedGetsAsRejected,
    /// Task 4: `in_use` leaves out the gets served past the limit (degraded).
    LeavesDegradedOutOfUse,
    /// Task 4: each thread's last returned buffer is kept for that thread with its reservation,
    /// which no other thread can take back.
    KeepsReturnedReservations,
    /// Tasks 2 and 4: a thread's cache frees its parked buffer when the thread ends (and with it
    /// the buffer's limit reservation, which is never given back).
    FreesParkedOnExit,
    /// Task 2: gets served from a thread's cache never reach the adaptive pool's window.
    CacheHidesGetsFromWindow,
    /// Tasks 2 and 4: trim and shrink_to do not reach the buffers parked in threads' caches.
    HidesParkedFromTrim,
    /// Task 4: a return parks the buffer with its reservation in the thread's cache and wakes
    /// nobody; a waiting get takes parked reservations back only after its whole timeout.
    ParksWithoutWaking,
    /// Task 4: a thread's cache gives the reservation back when it parks a buffer and takes none
    /// when it hands the buffer out again.
    CountsParkedAsReturned,
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
    /// Task 4: `trim` rounds the share it keeps up (45% of 8 idle keeps 4, not 3).
    RoundsTrimUp,
    /// Task 4: under policy `wait`, a return wakes a waiting get only when the pool keeps the
    /// buffer, not when it drops it (full or oversized).
    WakesOnlyWhenKept,
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
    // Correct pools written differently (kind `Correct`): each must pass the checks its row
    // names, which once failed them.
    /// Correct: the bookkeeping of a lock-free queue that allocates blocks as it goes
    /// (crossbeam's `SegQueue`), beside every pool.
    AllocatesBookkeeping,
    /// Correct: a registration allocated on each thread's first get.
    RegistersThreads,
    /// Correct: the Prometheus high-water gauge listed before the in-use gauge it ends like.
    HighWaterFirst,
    /// Correct, and slow: every get works for 50 us, every return sleeps for 200 us.
    SlowButCorrect,
    /// Correct: Task 1's pool keeps up to 8 buffers per thread (a stack), not one.
    PerThreadStacks,
    /// Correct: Task 1's pool keeps one buffer per thread and the rest in a lock-free queue.
    SlotAndLockFreeQueue,
    /// Correct: the toolkit's ratio by the thread's CPU time in 1 ms slices with one repeat
    /// count for both sides, the mean of each side's fastest quarter of slices over all rounds.
    MeansFastestSlices,
    /// Correct: an unknown environment variable is named as it was given (`POOL_MAX_POOLD`), not
    /// as the field it would have set.
    NamesVariableAsGiven,
    /// Correct: Task 2's and Task 4's pools with no per-thread cache, each under a lock.
    NoThreadCache,
}

/// What a fixture is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// No flaw: it must pass every check, or the flawed fixtures prove nothing.
    Control,
    /// A pool with one mistake: the checks in its row must catch it.
    Broken,
    /// A correct pool written differently from the reference: the checks in its row, which
    /// once failed such a pool, must pass it.
    Correct,
}

/// One fixture: a row of [`FIXTURES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fixture {
    /// What it changes in the pools.
    pub flaw: Flaw,
    /// Its name on the command line (`--fixture NAME`).
    pub name: &'static str,
    /// What it is for.
    pub kind: Kind,
    /// What is wrong with it (or how it is right), in one line.
    pub description: &'static str,
    /// The checks that must grade it, each with the status it must report (a word of
    /// [`crate::status::Status::WORDS`]).
    pub expected: &'static [(&'static str, &'static str)],
}

impl Flaw {
    /// Whether its pools park one returned buffer per thread in front of the reference pool
    /// (`thread_parking`), and what a thread that ends does with it.
    pub fn parks_per_thread(self) -> Option<thread_parking::AtExit> {
        use thread_parking::AtExit;
        match self {
            Flaw::FreesParkedOnExit => Some(AtExit::Free),
            Flaw::CacheHidesGetsFromWindow
            | Flaw::HidesParkedFromTrim
            | Flaw::ParksWithoutWaking
            | Flaw::CountsParkedAsReturned => Some(AtExit::HandBack),
            _ => None,
        }
    }

    /// Its row of the table.
    pub fn fixture(self) -> &'static Fixture {
        FIXTURES
            .iter()
            .find(|fixture| fixture.flaw == self)
            .unwrap_or(&FIXTURES[0])
    }

    /// The flaw called `name` on the command line.
    pub fn named(name: &str) -> Option<Flaw> {
        FIXTURES
            .iter()
            .find(|fixture| fixture.name == name)
            .map(|fixture| fixture.flaw)
    }

    /// Its name on the command line (`--fixture NAME`).
    pub fn name(self) -> &'static str {
        self.fixture().name
    }
}

/// What the fixture called `name` gets wrong; a note if there is none by that name.
pub fn description_of(name: &str) -> &'static str {
    FIXTURES
        .iter()
        .find(|fixture| fixture.name == name)
        .map_or("(no fixture by that name)", |fixture| fixture.description)
}

/// The text of `--fixture list`: every fixture's name and description.
pub fn render_list() -> String {
    FIXTURES
        .iter()
        .map(|fixture| format!("{:<22} {}\n", fixture.name, fixture.description))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::Status;
    use pool_checks::CATALOGUE;

    #[test]
    fn every_flaw_has_one_row_and_the_control_comes_first() {
        assert_eq!(FIXTURES[0].kind, Kind::Control);
        for (index, fixture) in FIXTURES.iter().enumerate() {
            let same_flaw = FIXTURES.iter().filter(|f| f.flaw == fixture.flaw).count();
            let same_name = FIXTURES.iter().filter(|f| f.name == fixture.name).count();
            assert_eq!((same_flaw, same_name), (1, 1), "row {index}: {fixture:?}");
            assert_eq!(fixture.flaw.fixture(), fixture);
        }
    }

    #[test]
    fn every_row_expects_real_checks_and_statuses_of_its_kind() {
        for fixture in FIXTURES {
            assert_eq!(
                fixture.expected.is_empty(),
                fixture.kind == Kind::Control,
                "{}: only the control (graded on every check) has no row of checks",
                fixture.name
            );
            for (check, status) in fixture.expected {
                assert!(
                    CATALOGUE.iter().any(|info| info.id == *check),
                    "{}: no check {check}",
                    fixture.name
                );
                assert!(Status::WORDS.contains(status), "{}: {status}", fixture.name);
                let passes = *status == "passed";
                assert_eq!(
                    passes,
                    fixture.kind == Kind::Correct,
                    "{} on {check}: a broken fixture must not pass, a correct one must",
                    fixture.name
                );
            }
        }
    }

    #[test]
    fn every_check_names_a_fixture_whose_row_says_it_fails() {
        for info in CATALOGUE {
            let fixture = FIXTURES.iter().find(|fixture| fixture.name == info.fixture);
            let fixture =
                fixture.unwrap_or_else(|| panic!("{}: no fixture {}", info.id, info.fixture));
            assert!(
                fixture
                    .expected
                    .iter()
                    .any(|(check, status)| *check == info.id && *status != "passed"),
                "{}: the row of {} does not say it fails this check",
                info.id,
                fixture.name
            );
        }
    }
}
