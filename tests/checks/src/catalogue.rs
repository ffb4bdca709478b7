//! The catalogue: every graded check as data, in syllabus order. Everything the grader prints
//! about a check, and everything it needs to schedule one, is here; the functions that run the
//! checks live in one module per pool and register under the same ids (see
//! [`crate::checks`]). A test proves the two match one to one.
//!
//! Adding a check: one entry here, and one function registered in its pool's module.

use std::time::Duration;

/// One workshop task, as the grader lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskInfo {
    /// 1 to 4.
    pub number: u8,
    /// The task's name.
    pub title: &'static str,
    /// What the student builds, in one line.
    pub summary: &'static str,
}

/// The workshop's four tasks, in order.
pub const TASKS: [TaskInfo; 4] = [
    TaskInfo {
        number: 1,
        title: "The standard pool, done right",
        summary: "a sync.Pool for Rust: per-thread cache, factory, reset, capacity cap, warming, collection",
    },
    TaskInfo {
        number: 2,
        title: "Custom buffer pools",
        summary: "fixed-size, size-class and adaptive pools",
    },
    TaskInfo {
        number: 3,
        title: "Pool performance analysis",
        summary: "counting allocations, robust throughput ratios, benchmarks, trade-offs",
    },
    TaskInfo {
        number: 4,
        title: "Production pool design",
        summary: "configuration, metrics, graceful degradation, leak reports",
    },
];

/// What a check grades: one of the workshop's pools, or the student's measurement toolkit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pool {
    /// Task 1's `SyncPool`.
    Sync,
    /// Task 2's `FixedPool`.
    Fixed,
    /// Task 2's `SizeClassPool`.
    SizeClass,
    /// Task 2's `AdaptivePool`.
    Adaptive,
    /// Task 3's measurement toolkit (`count_allocations`, `throughput_ratio`).
    Toolkit,
    /// Task 4's `ProductionPool` and its configuration loaders.
    Production,
}

/// Which of the exercise's success criteria a check counts towards, beside its own verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// It proves its pool correct; a strategy counts as done when all of these pass.
    Correctness,
    /// It measures its pool against the criteria (80% fewer allocations, 2x throughput, stable
    /// memory) and reports the figures.
    Criteria,
    /// It proves the pool's monitoring (metrics and their export) exact.
    Monitoring,
}

/// The static description of a check: everything the grader prints about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckInfo {
    /// Stable identifier, e.g. `sync-reuse`; used by `--check ID` and `hint ID`.
    pub id: &'static str,
    /// The task it grades (1 to 4).
    pub task: u8,
    /// The pool it grades.
    pub pool: Pool,
    /// The file, under the graded crate's `src/`, that holds the code it grades: where a
    /// student looks when it fails.
    pub file: &'static str,
    /// Which success criterion it counts towards.
    pub role: Role,
    /// What it proves, as a short sentence.
    pub title: &'static str,
    /// Why the property matters in a real program.
    pub why: &'static str,
    /// What to look at when it fails.
    pub hint: &'static str,
    /// The grader's broken fixture (by its `--fixture` name) that this check must fail: the
    /// grader's own tests prove it does, and `hint` shows what that fixture gets wrong.
    pub fixture: &'static str,
    /// How long the check may run before it counts as timed out.
    pub time_limit: Duration,
    /// Whether it measures time: the grader then runs it alone, after the others, and never
    /// while another grader on the machine is timing.
    pub timed: bool,
}

const SECONDS_5: Duration = Duration::from_secs(5);
const SECONDS_10: Duration = Duration::from_secs(10);
const SECONDS_30: Duration = Duration::from_secs(30);
const SECONDS_60: Duration = Duration::from_secs(60);

/// Why the criteria checks matter (the same for every strategy).
const CRITERIA_WHY: &str = "the exercise's success criteria: a pool earns its complexity only \
    if it removes most allocations and at least doubles throughput where buffers are expensive \
    (64 KiB zeroed read buffers), without its memory creeping up";
/// What to look at when a criteria check fails.
const CRITERIA_HINT: &str = "get_read must hand a reused buffer back without zeroing it again \
    (keep its length on return, resize on get), and put must keep 64 KiB buffers; the check's \
    message says which criterion failed";

/// Every check, in the order a student meets them.
pub const CATALOGUE: &[CheckInfo] = &[
    // Task 1.
    CheckInfo {
        id: "sync-factory",
        task: 1,
        pool: Pool::Sync,
        file: "task1_sync_pool.rs",
        role: Role::Correctness,
        title: "new buffers come from the factory (Go's New)",
        why: "the factory is where a pool's buffers get their size and shape; a pool that ignores \
            it cannot be configured",
        hint: "when get finds no idle buffer, call (config.factory)() and grow the result if the \
            caller asked for more capacity",
        fixture: "ignores-factory",
        time_limit: SECONDS_5,
        timed: false,
    },
    CheckInfo {
        id: "sync-reuse",
        task: 1,
        pool: Pool::Sync,
        file: "task1_sync_pool.rs",
        role: Role::Correctness,
        title: "a returned buffer is reused: the same allocation, no new buffer",
        why: "reuse is the whole point of a pool: each get that allocates is the cost pooling \
            exists to remove",
        hint:
            "put must keep the buffer (in the calling thread's cache or the shared store) and get \
            must look there before calling the factory",
        fixture: "never-reuses",
        time_limit: SECONDS_5,
        timed: false,
    },
    CheckInfo {
        id: "sync-reset",
        task: 1,
        pool: Pool::Sync,
        file: "task1_sync_pool.rs",
        role: Role::Correctness,
        title: "buffers are reset before reuse (empty on get, exact length on get_read)",
        why:
            "a buffer that still holds the previous request's bytes corrupts the next message and \
            can leak one user's data to another",
        hint: "get must clear() the buffer (keeping its capacity) and reserve what was asked; \
            get_read must truncate or resize it to exactly the length asked",
        fixture: "never-resets",
        time_limit: SECONDS_5,
        timed: false,
    },
    CheckInfo {
        id: "sync-read-reuse",
        task: 1,
        pool: Pool::Sync,
        file: "task1_sync_pool.rs",
        role: Role::Correctness,
        title: "read buffers are zeroed once, not on every reuse",
        why:
            "zeroing a 64 KiB buffer costs about as much as allocating a fresh zeroed one: a pool \
            that zeroes on every reuse erases its own gain",
        hint: "keep the buffer's length when it comes back (its bytes stay initialised); get_read \
            then truncates, or resizes with zeros only past what was initialised",
        fixture: "zeroes-read-buffers",
        time_limit: SECONDS_5,
        timed: false,
    },
    CheckInfo {
        id: "sync-oversized",
        task: 1,
        pool: Pool::Sync,
        file: "task1_sync_pool.rs",
        role: Role::Correctness,
        title: "a buffer that grew past max_retained_capacity is dropped, not kept",
        why: "one request for a huge buffer must not pin that memory in the pool forever \
            (golang/go#23199)",
        hint: "in put, compare the buffer's capacity (not its length) with \
            config.max_retained_capacity and let it drop when it is larger",
        fixture: "keeps-oversized",
        time_limit: SECONDS_5,
        timed: false,
    },
    CheckInfo {
        id: "sync-warm",
        task: 1,
        pool: Pool::Sync,
        file: "task1_sync_pool.rs",
        role: Role::Correctness,
        title: "warm(n) makes the first n gets allocation-free",
        why: "a warmed pool serves its first burst of traffic without allocating, so the first \
            requests are as fast as the rest",
        hint: "warm(n) calls the factory n times and stores every buffer where get will find it \
            (the shared store: one thread's slot holds one buffer)",
        fixture: "warm-does-nothing",
        time_limit: SECONDS_5,
        timed: false,
    },
    CheckInfo {
        id: "sync-collect-one",
        task: 1,
        pool: Pool::Sync,
        file: "task1_sync_pool.rs",
        role: Role::Correctness,
        title: "an idle buffer survives one collection cycle (victim cache)",
        why:
            "a collection that empties the pool at once makes every cycle a cold start: a pool in \
            steady use would keep allocating after each one",
        hint: "collect() moves the idle buffers to a victim list and frees the previous victims; \
            get looks in the victim list before calling the factory",
        fixture: "collect-frees-at-once",
        time_limit: SECONDS_5,
        timed: false,
    },
    CheckInfo {
        id: "sync-collect-two",
        task: 1,
        pool: Pool::Sync,
        file: "task1_sync_pool.rs",
        role: Role::Correctness,
        title: "buffers idle through two collection cycles are freed",
        why: "an idle pool must give its memory back, or a traffic spike pins memory for the life \
            of the process",
        hint:
            "the second collect() must free the victims of the first, including the buffer in the \
            calling thread's cache (freed by collect() itself or at that thread's next get)",
        fixture: "collect-never-frees",
        time_limit: SECONDS_5,
        timed: false,
    },
    CheckInfo {
        id: "sync-per-thread",
        task: 1,
        pool: Pool::Sync,
        file: "task1_sync_pool.rs",
        role: Role::Correctness,
        title: "a returned buffer waits in its thread's own slot: that thread gets it back, no \
            other thread takes it",
        why: "a get and a return on the same thread are a server's common case; served from the \
            thread's own slot they take no lock and touch no memory another thread writes, \
            where a store behind one lock makes every thread wait for every other",
        hint: "put keeps the buffer in the calling thread's slot (a thread_local!, one slot per \
            pool) when that slot is empty, and only then uses the shared store; get looks in the \
            calling thread's slot first; no thread takes from another live thread's slot",
        fixture: "one-shared-lock",
        time_limit: SECONDS_5,
        timed: false,
    },
    CheckInfo {
        id: "sync-cross-thread",
        task: 1,
        pool: Pool::Sync,
        file: "task1_sync_pool.rs",
        role: Role::Correctness,
        title: "a buffer returned on another thread comes back into use",
        why: "servers hand buffers between threads; a pool that strands them in a dead thread's \
            cache leaks memory and keeps allocating",
        hint: "when a thread ends, its cache must give its buffers to the shared store (a \
            thread_local! value's Drop runs at thread exit)",
        fixture: "strands-other-threads",
        time_limit: SECONDS_5,
        timed: false,
    },
    CheckInfo {
        id: "sync-stress",
        task: 1,
        pool: Pool::Sync,
        file: "task1_sync_pool.rs",
        role: Role::Correctness,
        title: "8 threads x 2000 rounds: no buffer shared by two holders, none lost or leaked",
        why: "under load a pool's mistakes add up: a buffer handed to two holders at once \
            corrupts both messages, silently; one lost on return costs an allocation each time, \
            one leaked costs memory for good",
        hint: "the message says which was seen; for two holders: every path that moves a buffer \
            between threads must go through a lock or an atomic hand-off, and unsafe code that \
            aliases a buffer is the usual culprit",
        fixture: "aliases-buffers",
        time_limit: SECONDS_30,
        timed: false,
    },
    // Task 2.
    CheckInfo {
        id: "fixed-config",
        task: 2,
        pool: Pool::Fixed,
        file: "task2_fixed_pool.rs",
        role: Role::Correctness,
        title: "fixed: a bad configuration is refused with an error naming the field",
        why: "a pool with buffer_size 0 or no room to keep anything is a configuration mistake; \
            saying so beats a panic or a pool that silently does nothing",
        hint: "validate in FixedPool::new and return ConfigError::new(field, value, rule)",
        fixture: "accepts-bad-configs",
        time_limit: SECONDS_5,
        timed: false,
    },
    CheckInfo {
        id: "fixed-prealloc",
        task: 2,
        pool: Pool::Fixed,
        file: "task2_fixed_pool.rs",
        role: Role::Correctness,
        title: "fixed: preallocate = N makes the first N gets allocation-free",
        why: "preallocation moves the allocation cost to start-up, before the first request",
        hint: "allocate config.preallocate buffers of buffer_size in new() and store them",
        fixture: "ignores-preallocate",
        time_limit: SECONDS_5,
        timed: false,
    },
    CheckInfo {
        id: "fixed-reuse",
        task: 2,
        pool: Pool::Fixed,
        file: "task2_fixed_pool.rs",
        role: Role::Correctness,
        title: "fixed: every buffer has exactly buffer_size capacity and is reused",
        why: "one size for everything is what makes this pool simple and its memory predictable",
        hint: "allocate Vec::with_capacity(buffer_size) whatever was asked (up to buffer_size); \
            keep returned buffers and hand them out again",
        fixture: "never-reuses",
        time_limit: SECONDS_5,
        timed: false,
    },
    CheckInfo {
        id: "fixed-bound",
        task: 2,
        pool: Pool::Fixed,
        file: "task2_fixed_pool.rs",
        role: Role::Correctness,
        title: "fixed: at most max_pooled idle buffers are kept",
        why: "an unbounded pool keeps the memory of its worst burst forever",
        hint: "in put, drop the buffer when the store already holds max_pooled",
        fixture: "unbounded",
        time_limit: SECONDS_5,
        timed: false,
    },
    CheckInfo {
        id: "fixed-oversize",
        task: 2,
        pool: Pool::Fixed,
        file: "task2_fixed_pool.rs",
        role: Role::Correctness,
        title: "fixed: a request above buffer_size is served, counted as a miss, and never kept",
        why: "refusing large requests breaks callers; keeping them breaks the pool's one size",
        hint: "serve it with a plain allocation of the size asked; in put, drop any buffer whose \
            capacity is not buffer_size; count it in stats().created",
        fixture: "keeps-oversized",
        time_limit: SECONDS_5,
        timed: false,
    },
    CheckInfo {
        id: "fixed-detached",
        task: 2,
        pool: Pool::Fixed,
        file: "task2_fixed_pool.rs",
        role: Role::Correctness,
        title:
            "fixed: return_detached refuses a wrong-size buffer with an error that gives it back",
        why: "a buffer of the wrong size in a fixed pool breaks the next holder; a panic or a \
            silently dropped buffer hides the caller's bug",
        hint: "compare the capacity with buffer_size; on mismatch return Err(Rejected { buffer, \
            expected_capacity })",
        fixture: "accepts-any-size",
        time_limit: SECONDS_5,
        timed: false,
    },
    CheckInfo {
        id: "fixed-reset",
        task: 2,
        pool: Pool::Fixed,
        file: "task2_fixed_pool.rs",
        role: Role::Correctness,
        title: "fixed: buffers are reset before reuse",
        why: "a buffer that still holds the previous request's bytes corrupts the next message",
        hint: "clear() on get (keep the length for get_read, which resizes)",
        fixture: "never-resets",
        time_limit: SECONDS_5,
        timed: false,
    },
    CheckInfo {
        id: "fixed-thread-exit",
        task: 2,
        pool: Pool::Fixed,
        file: "task2_fixed_pool.rs",
        role: Role::Correctness,
        title: "fixed: buffers returned on threads that then ended are reused, not lost",
        why: "servers start and stop threads (a pool of workers that grows and shrinks, a thread per connection); a buffer lost with each thread that ends is an allocation for every one that starts",
        hint: "the message says what was lost; a pool without a per-thread cache passes as it is, and one with a cache must hand the cache's buffers to the shared store when its thread ends (a thread_local! value's Drop runs at thread exit)",
        fixture: "frees-parked-on-exit",
        time_limit: SECONDS_10,
        timed: false,
    },
    CheckInfo {
        id: "fixed-stress",
        task: 2,
        pool: Pool::Fixed,
        file: "task2_fixed_pool.rs",
        role: Role::Correctness,
        title: "fixed: 8 threads x 2000 rounds, no buffer shared, none lost or leaked",
        why: "a buffer handed to two holders at once corrupts both messages, silently, under load",
        hint: "guard the store with a Mutex (or a lock-free queue); never alias a buffer",
        fixture: "leaks-on-drop",
        time_limit: SECONDS_30,
        timed: false,
    },
    CheckInfo {
        id: "class-config",
        task: 2,
        pool: Pool::SizeClass,
        file: "task2_size_class_pool.rs",
        role: Role::Correctness,
        title: "size-class: a bad configuration is refused with an error naming the field",
        why: "classes are powers of two from min_size to max_size; anything else cannot be served",
        hint:
            "validate in SizeClassPool::new: sizes non-zero powers of two, max >= min, bound >= 1",
        fixture: "accepts-bad-configs",
        time_limit: SECONDS_5,
        timed: false,
    },
    CheckInfo {
        id: "class-select",
        task: 2,
        pool: Pool::SizeClass,
        file: "task2_size_class_pool.rs",
        role: Role::Correctness,
        title: "size-class: a request is served from the smallest class that fits",
        why: "the class arithmetic decides both the waste and the reuse; off by one on a boundary \
            and every 64-byte request takes a 128-byte buffer",
        hint:
            "the class of n is the next power of two at or above max(n, min_size); write it as a \
            small pure function and test its boundaries",
        fixture: "off-by-one-classes",
        time_limit: SECONDS_5,
        timed: false,
    },
    CheckInfo {
        id: "class-own",
        task: 2,
        pool: Pool::SizeClass,
        file: "task2_size_class_pool.rs",
        role: Role::Correctness,
        title: "size-class: a returned buffer goes back into its own class",
        why: "a buffer in the wrong class is either wasted or too small for the next request",
        hint: "in put, compute the class from the buffer's capacity and push it there",
        fixture: "one-list-for-all-classes",
        time_limit: SECONDS_5,
        timed: false,
    },
    CheckInfo {
        id: "class-bound",
        task: 2,
        pool: Pool::SizeClass,
        file: "task2_size_class_pool.rs",
        role: Role::Correctness,
        title: "size-class: each class keeps at most max_per_class idle buffers",
        why: "without a bound per class, one burst of one size pins its memory forever",
        hint: "in put, drop the buffer when its class already holds max_per_class",
        fixture: "unbounded",
        time_limit: SECONDS_5,
        timed: false,
    },
    CheckInfo {
        id: "class-above-max",
        task: 2,
        pool: Pool::SizeClass,
        file: "task2_size_class_pool.rs",
        role: Role::Correctness,
        title: "size-class: a request above the largest class is served and never kept",
        why: "the largest class is the most memory the pool will pin per buffer",
        hint: "serve it with a plain allocation; in put, drop buffers larger than max_size",
        fixture: "keeps-oversized",
        time_limit: SECONDS_5,
        timed: false,
    },
    CheckInfo {
        id: "class-regrown",
        task: 2,
        pool: Pool::SizeClass,
        file: "task2_size_class_pool.rs",
        role: Role::Correctness,
        title: "size-class: a buffer that grew or shrank moves to the class it now fits",
        why:
            "a holder may grow or shrink a buffer; putting it back by its old class hands out the \
            wrong size later, and putting it in the class above (capacity 3000 in class 4096) \
            makes the get that finds it grow it again: an allocation on a hit",
        hint: "classify returned buffers by capacity, rounding down (a 3000-byte buffer serves \
            class 2048, allocation-free), and drop those below min_size",
        fixture: "remembers-origin",
        time_limit: SECONDS_5,
        timed: false,
    },
    CheckInfo {
        id: "class-waste",
        task: 2,
        pool: Pool::SizeClass,
        file: "task2_size_class_pool.rs",
        role: Role::Correctness,
        title: "size-class: waste() reports bytes asked for and capacity handed out, exactly",
        why: "waste is the price of size classes; monitoring that misreports it hides the cost",
        hint: "on every get and get_read, add the size asked and the capacity handed out to two \
            atomic counters",
        fixture: "miscounts-waste",
        time_limit: SECONDS_5,
        timed: false,
    },
    CheckInfo {
        id: "class-reset",
        task: 2,
        pool: Pool::SizeClass,
        file: "task2_size_class_pool.rs",
        role: Role::Correctness,
        title: "size-class: buffers are reset before reuse",
        why: "a buffer that still holds the previous request's bytes corrupts the next message",
        hint: "clear() on get (keep the length for get_read, which resizes)",
        fixture: "never-resets",
        time_limit: SECONDS_5,
        timed: false,
    },
    CheckInfo {
        id: "class-thread-exit",
        task: 2,
        pool: Pool::SizeClass,
        file: "task2_size_class_pool.rs",
        role: Role::Correctness,
        title: "class: buffers returned on threads that then ended are reused, not lost",
        why: "servers start and stop threads (a pool of workers that grows and shrinks, a thread per connection); a buffer lost with each thread that ends is an allocation for every one that starts",
        hint: "the message says what was lost; a pool without a per-thread cache passes as it is, and one with a cache must hand the cache's buffers to the shared store when its thread ends (a thread_local! value's Drop runs at thread exit)",
        fixture: "frees-parked-on-exit",
        time_limit: SECONDS_10,
        timed: false,
    },
    CheckInfo {
        id: "class-stress",
        task: 2,
        pool: Pool::SizeClass,
        file: "task2_size_class_pool.rs",
        role: Role::Correctness,
        title: "size-class: 8 threads x 2000 rounds, no buffer shared, none lost or leaked",
        why: "a buffer handed to two holders at once corrupts both messages, silently, under load",
        hint: "one Mutex per class (or one for all) around the class stacks",
        fixture: "loses-half-its-returns",
        time_limit: SECONDS_30,
        timed: false,
    },
    CheckInfo {
        id: "adaptive-config",
        task: 2,
        pool: Pool::Adaptive,
        file: "task2_adaptive_pool.rs",
        role: Role::Correctness,
        title: "adaptive: a bad configuration is refused with an error naming the field",
        why: "a percentile of 0 or a window of 0 cannot be calibrated; say so at start-up",
        hint: "validate in AdaptivePool::new: max_pooled >= 1, floor <= max_pooled, window >= 1, \
            percentile in 1..=100",
        fixture: "accepts-bad-configs",
        time_limit: SECONDS_5,
        timed: false,
    },
    CheckInfo {
        id: "adaptive-burst",
        task: 2,
        pool: Pool::Adaptive,
        file: "task2_adaptive_pool.rs",
        role: Role::Correctness,
        title:
            "adaptive: after a burst of huge requests, memory falls back to the small working set",
        why: "one burst must not pin its memory forever (golang/go#23199); the pool must learn \
            that huge is no longer normal",
        hint: "at the end of each window, set the largest size worth keeping from the window's \
            percentile, free idle buffers above it, and drop returned ones above it",
        fixture: "never-recalibrates",
        time_limit: SECONDS_5,
        timed: false,
    },
    CheckInfo {
        id: "adaptive-idle",
        task: 2,
        pool: Pool::Adaptive,
        file: "task2_adaptive_pool.rs",
        role: Role::Correctness,
        title: "adaptive: trim() keeps the recent peak, and shrinks an idle pool to its floor",
        why: "a quiet server should give memory back, but not so eagerly that the next request \
            allocates; the peak counts the buffers still held, so a trim while 3 of a peak of 3 \
            are out keeps no more idle than the floor",
        hint:
            "track the most buffers held at once since the last trim; trim keeps that many (held \
            + idle: peak minus held idle), at least floor idle, and resets the peak to what is \
            held",
        fixture: "trim-ignores-peak",
        time_limit: SECONDS_5,
        timed: false,
    },
    CheckInfo {
        id: "adaptive-steady",
        task: 2,
        pool: Pool::Adaptive,
        file: "task2_adaptive_pool.rs",
        role: Role::Correctness,
        title: "adaptive: under a steady load of 100-200 KiB buffers, 0 allocations; new buffers \
            as large as returned ones grew",
        why: "the point of adapting is to serve the actual load without allocating, whatever its \
            size; a holder that asks for 64 bytes and grows the buffer to 4 KiB needed 4 KiB, \
            and new buffers made at 64 bytes are regrown (reallocated) by every such holder",
        hint: "learn the typical size from the lengths buffers come back with (the most frequent \
            class; requests only when every buffer came back empty), make new buffers at least \
            that large, and keep every buffer up to the learned percentile",
        fixture: "caps-retained-at-64kib",
        time_limit: SECONDS_5,
        timed: false,
    },
    CheckInfo {
        id: "adaptive-reset",
        task: 2,
        pool: Pool::Adaptive,
        file: "task2_adaptive_pool.rs",
        role: Role::Correctness,
        title: "adaptive: buffers are reset before reuse",
        why: "a buffer that still holds the previous request's bytes corrupts the next message",
        hint: "clear() on get (keep the length for get_read, which resizes)",
        fixture: "never-resets",
        time_limit: SECONDS_5,
        timed: false,
    },
    CheckInfo {
        id: "adaptive-thread-exit",
        task: 2,
        pool: Pool::Adaptive,
        file: "task2_adaptive_pool.rs",
        role: Role::Correctness,
        title: "adaptive: buffers and gets of threads that ended still count: buffers reused, gets in the window",
        why: "servers start and stop threads; a pool that loses what an ended thread returned allocates again, and one that loses the gets it made calibrates on part of its traffic",
        hint: "a thread's cache must hand its buffers to the shared store when the thread ends, and any gets it counted on its own must reach the window; the message says which was lost",
        fixture: "cache-hides-gets-from-window",
        time_limit: SECONDS_10,
        timed: false,
    },
    CheckInfo {
        id: "adaptive-trim-caches",
        task: 2,
        pool: Pool::Adaptive,
        file: "task2_adaptive_pool.rs",
        role: Role::Correctness,
        title: "adaptive: trim() frees idle buffers parked in every thread's cache",
        why: "trim is how an operator gives memory back under pressure; buffers idle in worker threads' caches are most of what a quiet server holds",
        hint: "trim must take back the buffers parked in other threads' caches, not only those in the shared store; a pool without a per-thread cache passes as it is",
        fixture: "hides-parked-from-trim",
        time_limit: SECONDS_10,
        timed: false,
    },
    CheckInfo {
        id: "adaptive-stress",
        task: 2,
        pool: Pool::Adaptive,
        file: "task2_adaptive_pool.rs",
        role: Role::Correctness,
        title: "adaptive: 8 threads x 2000 rounds, no buffer shared, none lost or leaked",
        why: "a buffer handed to two holders at once corrupts both messages, silently, under load",
        hint: "keep the counters (held, peak, histogram) and the store under one Mutex",
        fixture: "leaks-on-drop",
        time_limit: SECONDS_30,
        timed: false,
    },
    // Task 3.
    CheckInfo {
        id: "measure-count",
        task: 3,
        pool: Pool::Toolkit,
        file: "task3_measure.rs",
        role: Role::Correctness,
        title: "toolkit: count_allocations counts allocator calls exactly",
        why:
            "allocation counts are the evidence behind every pooling claim; a counter that is off \
            by one, or misses reallocations, proves nothing",
        hint: "take a stats_alloc Region on &stats_alloc::INSTRUMENTED_SYSTEM before the work and \
            read region.change() after; allocations + reallocations are the calls that obtained \
            memory",
        fixture: "counts-nothing",
        time_limit: SECONDS_30,
        timed: true,
    },
    CheckInfo {
        id: "measure-ratio",
        task: 3,
        pool: Pool::Toolkit,
        file: "task3_measure.rs",
        role: Role::Correctness,
        title: "toolkit: throughput_ratio finds 2x, 1x and 0.25x on known work",
        why: "a busy machine makes wall-clock timings lie: while another thread has the processor \
            the wall clock keeps counting, and the side that loses it more reads slower. This \
            check gives the processor to another thread for 1 ms before every baseline run: a \
            wall clock counts that time, the thread's CPU time does not. The thread's CPU time, \
            the fastest of short interleaved slices and a median over rounds are what make a 2x \
            claim repeatable on a laptop with other work running",
        hint: "time by cpu_time::ThreadTime, not Instant (which counts the time another thread \
            had your processor); warm both up; give each side the repeat count that makes a \
            slice of about 0.5 ms; per round keep each side's fastest of 5 slices (alternating \
            which goes first); return the median of baseline over candidate time per run",
        fixture: "times-by-wall-clock",
        time_limit: SECONDS_30,
        timed: true,
    },
    CheckInfo {
        id: "criteria-sync",
        task: 3,
        pool: Pool::Sync,
        file: "task1_sync_pool.rs",
        role: Role::Criteria,
        title: "SyncPool on the packet server: >=80% fewer allocations, >=2x throughput, stable \
            memory",
        why: CRITERIA_WHY,
        hint: CRITERIA_HINT,
        fixture: "zeroes-on-return",
        time_limit: SECONDS_60,
        timed: true,
    },
    CheckInfo {
        id: "criteria-fixed",
        task: 3,
        pool: Pool::Fixed,
        file: "task2_fixed_pool.rs",
        role: Role::Criteria,
        title: "FixedPool on the packet server: >=80% fewer allocations, >=2x throughput, stable \
            memory",
        why: CRITERIA_WHY,
        hint: CRITERIA_HINT,
        fixture: "zeroes-on-return",
        time_limit: SECONDS_60,
        timed: true,
    },
    CheckInfo {
        id: "criteria-class",
        task: 3,
        pool: Pool::SizeClass,
        file: "task2_size_class_pool.rs",
        role: Role::Criteria,
        title:
            "SizeClassPool on the packet server: >=80% fewer allocations, >=2x throughput, stable \
            memory",
        why: CRITERIA_WHY,
        hint: CRITERIA_HINT,
        fixture: "zeroes-on-return",
        time_limit: SECONDS_60,
        timed: true,
    },
    CheckInfo {
        id: "criteria-adaptive",
        task: 3,
        pool: Pool::Adaptive,
        file: "task2_adaptive_pool.rs",
        role: Role::Criteria,
        title:
            "AdaptivePool on the packet server: >=80% fewer allocations, >=2x throughput, stable \
            memory",
        why: CRITERIA_WHY,
        hint: CRITERIA_HINT,
        fixture: "never-reuses",
        time_limit: SECONDS_60,
        timed: true,
    },
    CheckInfo {
        id: "criteria-prod",
        task: 3,
        pool: Pool::Production,
        file: "task4_production_pool.rs",
        role: Role::Criteria,
        title: "ProductionPool on the packet server: >=80% fewer allocations, >=2x throughput, \
            stable memory",
        why: CRITERIA_WHY,
        hint: CRITERIA_HINT,
        fixture: "never-reuses",
        time_limit: SECONDS_60,
        timed: true,
    },
    // Task 4.
    CheckInfo {
        id: "prod-config-errors",
        task: 4,
        pool: Pool::Production,
        file: "task4_config.rs",
        role: Role::Correctness,
        title: "prod: every bad configuration value is refused with the field, the value and the \
            rule",
        why: "a pool misconfigured in production fails at start-up with a message an operator can \
            act on, not with a panic at the first burst",
        hint:
            "deserialize with serde (deny_unknown_fields), map toml's errors to ConfigError, then \
            validate every rule in one function used by TOML, environment and code alike; an \
            unknown key or variable is named as it was given (POOL_MAX_POOLD) or as the field it \
            would set (max_poold)",
        fixture: "accepts-bad-configs",
        time_limit: SECONDS_10,
        timed: false,
    },
    CheckInfo {
        id: "prod-config-sources",
        task: 4,
        pool: Pool::Production,
        file: "task4_config.rs",
        role: Role::Correctness,
        title: "prod: TOML, environment variables and code give the same configuration",
        why: "operators configure by file in one place and by environment in another; both must \
            mean the same pool",
        hint: "POOL_ + the field name in capitals; parse each value with the field's type; ignore \
            other variables",
        fixture: "env-ignores-zero-on-return",
        time_limit: SECONDS_10,
        timed: false,
    },
    CheckInfo {
        id: "prod-metrics-exact",
        task: 4,
        pool: Pool::Production,
        file: "task4_production_pool.rs",
        role: Role::Monitoring,
        title: "prod: after a scripted sequence, every counter and gauge is exact",
        why: "metrics that drift are worse than none: an operator tunes the pool by them",
        hint: "count at the one place each event happens (get: hit or miss; put: kept, full or \
            oversized); gauges from the state itself",
        fixture: "miscounts-metrics",
        time_limit: SECONDS_10,
        timed: false,
    },
    CheckInfo {
        id: "prod-metrics-threads",
        task: 4,
        pool: Pool::Production,
        file: "task4_production_pool.rs",
        role: Role::Monitoring,
        title: "prod: under 8 threads the counters still add up",
        why: "a counter updated with a plain load-then-store loses increments under load",
        hint: "atomic counters (one set per thread, so that they do not serialize the threads)",
        fixture: "racy-counters",
        time_limit: SECONDS_10,
        timed: false,
    },
    CheckInfo {
        id: "prod-exports",
        task: 4,
        pool: Pool::Production,
        file: "task4_production_pool.rs",
        role: Role::Monitoring,
        title: "prod: Prometheus text and JSON parse and agree with metrics()",
        why: "a scraper rejects a whole page for one malformed line; dashboards need the same \
            numbers",
        hint: "one HELP and one TYPE line per metric; counters named pool_…_total; JSON from the \
            same snapshot, with hit_rate",
        fixture: "counters-without-total",
        time_limit: SECONDS_10,
        timed: false,
    },
    CheckInfo {
        id: "prod-limit-allocate",
        task: 4,
        pool: Pool::Production,
        file: "task4_production_pool.rs",
        role: Role::Correctness,
        title: "prod: policy allocate serves past the limit and counts it as degraded",
        why: "degrading gracefully means serving the request and telling the operator it \
            happened; a buffer served past the limit holds memory, so in_use shows it (3 held \
            at a limit of 2 read as in use 3)",
        hint: "at the limit, serve anyway and count degraded; the buffer is in use like any \
            other (in_use and the high-water mark count it), and its return counts as one",
        fixture: "fails-instead-of-allocating",
        time_limit: SECONDS_10,
        timed: false,
    },
    CheckInfo {
        id: "prod-limit-fail",
        task: 4,
        pool: Pool::Production,
        file: "task4_production_pool.rs",
        role: Role::Correctness,
        title: "prod: policy fail refuses at once with LimitReached, and recovers after a return",
        why: "load shedding: refusing fast keeps a server responsive when memory is the bottleneck",
        hint:
            "check in_use + 1 against max_in_use, and the bytes in use plus the buffer's capacity \
            against max_bytes_in_use, before taking a buffer; count a refused try_get as rejected, \
            and a get served past the limit (get never fails) as degraded only",
        fixture: "ignores-limits",
        time_limit: SECONDS_10,
        timed: false,
    },
    CheckInfo {
        id: "prod-limit-wait",
        task: 4,
        pool: Pool::Production,
        file: "task4_production_pool.rs",
        role: Role::Correctness,
        title: "prod: policy wait waits for a return, or fails with Timeout",
        why: "back-pressure: a get that waits briefly for a buffer smooths bursts without \
            unbounded memory",
        hint:
            "a Mutex and a Condvar: wait_timeout until in_use drops below the limit; put notifies",
        fixture: "fails-instead-of-waiting",
        time_limit: SECONDS_10,
        timed: false,
    },
    CheckInfo {
        id: "prod-limit-stress",
        task: 4,
        pool: Pool::Production,
        file: "task4_production_pool.rs",
        role: Role::Correctness,
        title: "prod: 8 threads at a limit of 4 (wait): no deadlock, none lost, never more than 4",
        why: "limits and waits are where deadlocks and lost wake-ups hide: a get waiting at the \
            limit while the returns are dropped (max_pooled idle already) is woken only by a put \
            that wakes for every return",
        hint:
            "release the in-use slot and notify in put, even for buffers the pool drops (full or \
            oversized): a put that notifies only when it keeps the buffer leaves the waiter asleep \
            until its timeout",
        fixture: "ignores-limits",
        time_limit: SECONDS_10,
        timed: false,
    },
    CheckInfo {
        id: "prod-limit-threads",
        task: 4,
        pool: Pool::Production,
        file: "task4_production_pool.rs",
        role: Role::Correctness,
        title: "prod: 8 threads at both limits (fail): never over a limit, every get and refusal \
            counted",
        why: "a limit that holds on one thread but not under load is no limit: two threads that \
            both see room and both take it put the server over its memory budget",
        hint: "reserve the slot and the bytes with atomic read-modify-writes (fetch_update or a \
            compare-and-swap loop), never a load then a store; give back what was reserved when \
            the other limit refuses",
        fixture: "ignores-byte-limit",
        time_limit: SECONDS_10,
        timed: false,
    },
    CheckInfo {
        id: "prod-limit-returned",
        task: 4,
        pool: Pool::Production,
        file: "task4_production_pool.rs",
        role: Role::Correctness,
        title: "prod: a buffer returned on another thread never counts against the limit",
        why: "the limit bounds buffers held; a returned buffer still counted as held, in a \
            thread that is busy elsewhere, refuses gets while nothing is out",
        hint: "a return releases the buffer's slot and bytes; if a per-thread cache keeps a \
            returned buffer's reservation for speed, a get at the limit must take it back from \
            that thread's cache (and in_use counts held buffers only)",
        fixture: "keeps-returned-reservations",
        time_limit: SECONDS_10,
        timed: false,
    },
    CheckInfo {
        id: "prod-thread-exit",
        task: 4,
        pool: Pool::Production,
        file: "task4_production_pool.rs",
        role: Role::Correctness,
        title: "prod: after many threads took, returned and ended, the limit is whole and their buffers reused",
        why: "a limit that shrinks with every thread that ends refuses all gets after a while, with nothing out: an outage that looks like load",
        hint: "a thread's cache that holds a buffer with its reservation must give both back when the thread ends: the buffer to the shared store, the reservation to the limit",
        fixture: "frees-parked-on-exit",
        time_limit: SECONDS_10,
        timed: false,
    },
    CheckInfo {
        id: "prod-limit-cached",
        task: 4,
        pool: Pool::Production,
        file: "task4_production_pool.rs",
        role: Role::Correctness,
        title: "prod: buffers served from threads' caches count against the limit, and returned ones do not",
        why: "a limit that a thread's cache can bypass bounds nothing: the memory it promised to cap grows past it",
        hint: "a buffer a thread's cache hands out again counts as in use, as one from the shared store does: take a reservation when you hand it out, or keep the reservation parked with it",
        fixture: "counts-parked-as-returned",
        time_limit: SECONDS_10,
        timed: false,
    },
    CheckInfo {
        id: "prod-limit-wake",
        task: 4,
        pool: Pool::Production,
        file: "task4_production_pool.rs",
        role: Role::Correctness,
        title: "prod: a get waiting at the limit is served when another thread returns a buffer and lives on",
        why: "a waiter that sleeps while a buffer sits idle in another thread's cache turns a full pool into timeouts",
        hint: "every return must let a waiting get proceed, whatever happens to the buffer: kept in the shared store, dropped, or parked in the returning thread's cache (wake the waiters, and let them take that reservation back)",
        fixture: "parks-without-waking",
        time_limit: SECONDS_10,
        timed: false,
    },
    CheckInfo {
        id: "prod-trim-caches",
        task: 4,
        pool: Pool::Production,
        file: "task4_production_pool.rs",
        role: Role::Correctness,
        title: "prod: shrink_to and trim free idle buffers parked in every thread's cache",
        why: "shrink_to and trim are how an operator gives memory back under pressure; buffers idle in worker threads' caches are most of what a quiet server holds",
        hint: "shrink_to and trim must take back the buffers parked in other threads' caches, not only those in the shared store; a pool without a per-thread cache passes as it is",
        fixture: "hides-parked-from-trim",
        time_limit: SECONDS_10,
        timed: false,
    },
    CheckInfo {
        id: "prod-shrink",
        task: 4,
        pool: Pool::Production,
        file: "task4_production_pool.rs",
        role: Role::Correctness,
        title:
            "prod: shrink_to(bytes) frees idle buffers down to the target; trim() keeps its share",
        why: "under memory pressure the process must be able to ask its pools for memory back",
        hint: "shrink_to: pop idle buffers while the idle capacity exceeds the target; trim: pop \
            all but trim_keep_percent of the idle buffers (rounded down); count both as trimmed",
        fixture: "shrink-does-nothing",
        time_limit: SECONDS_10,
        timed: false,
    },
    CheckInfo {
        id: "prod-zero",
        task: 4,
        pool: Pool::Production,
        file: "task4_production_pool.rs",
        role: Role::Correctness,
        title: "prod: with zero_on_return, no byte of a previous holder's secret is visible",
        why: "a pool that serves passwords or keys must not hand them to the next request",
        hint: "in put, when zero_on_return is set, zero the buffer's whole capacity, past its \
            length too (a holder may have truncated it): clear it, then resize it to its capacity \
            with zeros",
        fixture: "ignores-zero-on-return",
        time_limit: SECONDS_10,
        timed: false,
    },
    CheckInfo {
        id: "prod-leaks",
        task: 4,
        pool: Pool::Production,
        file: "task4_production_pool.rs",
        role: Role::Correctness,
        title:
            "prod: the leak report counts outstanding buffers exactly, with where each was taken",
        why: "a buffer never returned is a slow leak; knowing where it was taken finds the bug",
        hint:
            "outstanding = gets - returns; with track_leaks, keep a Backtrace per buffer out (by \
            the address of its box) and remove it on return",
        fixture: "miscounts-leaks",
        time_limit: SECONDS_10,
        timed: false,
    },
    CheckInfo {
        id: "prod-reset",
        task: 4,
        pool: Pool::Production,
        file: "task4_production_pool.rs",
        role: Role::Correctness,
        title: "prod: buffers are reset before reuse",
        why: "a buffer that still holds the previous request's bytes corrupts the next message",
        hint: "Pooled::growable and Pooled::readable",
        fixture: "never-resets",
        time_limit: SECONDS_10,
        timed: false,
    },
    CheckInfo {
        id: "prod-stress",
        task: 4,
        pool: Pool::Production,
        file: "task4_production_pool.rs",
        role: Role::Correctness,
        title: "prod: 8 threads x 2000 rounds, no buffer shared, none lost or leaked",
        why: "a buffer handed to two holders at once corrupts both messages, silently, under load",
        hint: "the idle buffers behind one lock-free queue or mutex; counters atomic",
        fixture: "leaks-on-drop",
        time_limit: SECONDS_30,
        timed: false,
    },
];
