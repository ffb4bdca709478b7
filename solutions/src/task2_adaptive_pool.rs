//! Task 2: `AdaptivePool`, a pool that grows and shrinks with demand (valyala/bytebufferpool's
//! calibration, .NET's trimming on memory pressure).
//!
//! It learns from what it serves, in windows of `window` gets:
//!
//! - **How large**: it keeps a histogram (by power of two) of the sizes asked for and of the
//!   lengths buffers come back with (a buffer asked for with 1 KiB may come back holding a 40 KiB
//!   message: bytebufferpool calibrates on returned lengths for this reason). At the end of each
//!   window it sets the *typical size* (the most frequent class; new buffers are made at least
//!   that large) and the *largest size worth keeping* (the class of the `percentile`-th
//!   percentile). Idle buffers above it are freed at once, and returned ones above it dropped,
//!   so a burst of huge requests is forgotten after one window of normal traffic
//!   (golang/go#23199).
//! - **How many**: it tracks the most buffers held at once since the last [`trim`]; `trim` keeps
//!   that many (held and idle together) and at least `floor` idle, and frees the rest. Two trims
//!   with no use in between shrink the pool to its floor.
//!
//! No clock is involved: the same sequence of requests and trims always gives the same pool,
//! which is what makes its behaviour testable. A server calls `trim` from a timer or when memory
//! runs short.
//!
//! It suits servers whose load changes over the day or whose message sizes drift. It is the wrong
//! choice when the load is known and fixed (a fixed-size pool is simpler and cheaper) or when
//! every nanosecond counts: its bookkeeping runs under one lock on every get and return.
//!
//! # One lock
//!
//! Its decisions depend on everything it knows at once (the window's sizes, the buffers held, the
//! idle ones), so its state lives under one lock. Unlike the fixed-size and size-class pools it
//! has no per-thread tier: what it learns is defined over the sequence of all requests, and a
//! tier that counted them per thread would make it depend on how threads interleave. The lock
//! spins briefly before it sleeps (`parking_lot::Mutex`): the critical sections last
//! nanoseconds, and `std::sync::Mutex`, which puts a thread to sleep and wakes it through the
//! kernel when two collide, made two threads cost 143 ns per get+return instead of about 50.
//!
//! [`trim`]: AdaptivePoolApi::trim

use parking_lot::{Mutex, MutexGuard};
use pool_contract::task2::{AdaptiveConfig, AdaptivePoolApi};
use pool_contract::{BufferPool, ConfigError, PoolStats, Pooled};

/// A pool that learns how many buffers to keep and how large. See the module docs.
pub struct AdaptivePool {
    config: AdaptiveConfig,
    state: Locked,
}

/// The state's lock, on cache lines of its own, so that writing it does not evict the fields
/// beside it from other threads' caches.
#[repr(align(128))]
struct Locked(Mutex<State>);

/// Everything the pool knows, under one lock: the decisions depend on all of it at once.
struct State {
    idle: Vec<Box<Vec<u8>>>,
    held: usize,
    /// The most buffers held at once since the last trim.
    peak_held: usize,
    window: Window,
    /// New buffers are made at least this large (0 until the first calibration).
    typical_size: usize,
    /// Returned buffers larger than this are dropped (unbounded until the first calibration).
    max_retained: usize,
    created: u64,
    dropped: u64,
}

/// The sizes seen in the current window (asked for, and returned lengths), counted by
/// power-of-two class (class `i` holds sizes in `(2^(i-1), 2^i]`). A fixed array: counting
/// allocates nothing. The window ends after `gets` requests.
struct Window {
    counts: [u32; usize::BITS as usize + 1],
    /// Sizes counted (requests and returns).
    samples: usize,
    /// Requests counted.
    gets: usize,
}

impl Window {
    const fn new() -> Self {
        Window {
            counts: [0; usize::BITS as usize + 1],
            samples: 0,
            gets: 0,
        }
    }

    /// Counts a request for `size` bytes.
    fn record_request(&mut self, size: usize) {
        self.record(size);
        self.gets += 1;
    }

    /// Counts a size seen some other way (the length a buffer came back with).
    fn record(&mut self, size: usize) {
        self.counts[size_class(size)] += 1;
        self.samples += 1;
    }

    /// The capacity of the most frequent class (the smaller one on a tie).
    fn typical_size(&self) -> usize {
        let (class, _) = self
            .counts
            .iter()
            .enumerate()
            .rev()
            .max_by_key(|&(_, count)| *count)
            .unwrap_or((0, &0));
        class_capacity(class)
    }

    /// The capacity of the class that holds the `percentile`-th percentile request.
    fn percentile_size(&self, percentile: u8) -> usize {
        let needed = (self.samples * percentile as usize).div_ceil(100).max(1);
        let mut seen = 0;
        for (class, &count) in self.counts.iter().enumerate() {
            seen += count as usize;
            if seen >= needed {
                return class_capacity(class);
            }
        }
        usize::MAX
    }
}

/// The power-of-two class of a request: the smallest `i` with `2^i >= size`.
fn size_class(size: usize) -> usize {
    match size.checked_next_power_of_two() {
        Some(power) => power.trailing_zeros() as usize,
        None => usize::BITS as usize,
    }
}

/// The capacity of class `i`: `2^i`, saturating for the class above every power of two.
fn class_capacity(class: usize) -> usize {
    1usize.checked_shl(class as u32).unwrap_or(usize::MAX)
}

impl AdaptivePool {
    /// An adaptive pool. Refuses a zero `max_pooled` or `window`, a `floor` above `max_pooled`,
    /// and a `percentile` outside 1..=100.
    pub fn new(config: AdaptiveConfig) -> Result<Self, ConfigError> {
        if config.max_pooled == 0 {
            return Err(ConfigError::new("max_pooled", 0, "must be at least 1"));
        }
        if config.floor > config.max_pooled {
            return Err(ConfigError::new(
                "floor",
                config.floor,
                format!("must be at most max_pooled ({})", config.max_pooled),
            ));
        }
        if config.window == 0 {
            return Err(ConfigError::new("window", 0, "must be at least 1"));
        }
        if !(1..=100).contains(&config.percentile) {
            return Err(ConfigError::new(
                "percentile",
                config.percentile,
                "must be from 1 to 100",
            ));
        }
        Ok(AdaptivePool {
            config,
            state: Locked(Mutex::new(State {
                idle: Vec::with_capacity(config.max_pooled),
                held: 0,
                peak_held: 0,
                window: Window::new(),
                typical_size: 0,
                max_retained: usize::MAX,
                created: 0,
                dropped: 0,
            })),
        })
    }

    /// The state. (`parking_lot`'s lock is not poisoned by a panic; none can happen under it
    /// anyway, since no user code runs there.)
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.0.lock()
    }

    /// Records the request, hands out the smallest idle buffer that fits or a new one, and
    /// recalibrates at the end of a window. Buffers to free are freed after the lock is released.
    fn take(&self, size: usize) -> Box<Vec<u8>> {
        let (buffer, freed) = {
            let mut state = self.lock();
            state.window.record_request(size);
            state.held += 1;
            state.peak_held = state.peak_held.max(state.held);
            let freed = if state.window.gets >= self.config.window {
                self.calibrate(&mut state)
            } else {
                Vec::new()
            };
            let best_fit = (0..state.idle.len())
                .filter(|&index| state.idle[index].capacity() >= size)
                .min_by_key(|&index| state.idle[index].capacity());
            let buffer = match best_fit {
                Some(index) => Some(state.idle.swap_remove(index)),
                None => {
                    state.created += 1;
                    None
                }
            };
            (buffer.map(Ok).unwrap_or(Err(state.typical_size)), freed)
        };
        drop(freed);
        // New buffers are rounded up to their class, so that requests of one class share them.
        buffer.unwrap_or_else(|typical| {
            let capacity = class_capacity(size_class(size)).max(typical);
            Box::new(Vec::with_capacity(capacity))
        })
    }

    /// Learns the typical and the largest retained size from the window that just ended, and
    /// takes the idle buffers above the latter out of the pool (returned to be freed).
    fn calibrate(&self, state: &mut State) -> Vec<Box<Vec<u8>>> {
        state.typical_size = state.window.typical_size();
        state.max_retained = state.window.percentile_size(self.config.percentile);
        state.window = Window::new();
        let max_retained = state.max_retained;
        // In place, so that calibrating allocates nothing unless it frees something.
        let mut free = Vec::new();
        let mut index = 0;
        while index < state.idle.len() {
            if state.idle[index].capacity() > max_retained {
                free.push(state.idle.swap_remove(index));
            } else {
                index += 1;
            }
        }
        state.dropped += free.len() as u64;
        free
    }
}

impl BufferPool for AdaptivePool {
    fn get(&self, capacity: usize) -> Pooled<'_, Self> {
        Pooled::growable(self, self.take(capacity), capacity)
    }

    fn get_read(&self, len: usize) -> Pooled<'_, Self> {
        Pooled::readable(self, self.take(len), len)
    }

    fn put(&self, buffer: Box<Vec<u8>>) {
        let mut state = self.lock();
        state.held = state.held.saturating_sub(1);
        // What the holder really used; a buffer returned empty says nothing new.
        if !buffer.is_empty() {
            state.window.record(buffer.len());
        }
        if buffer.capacity() <= state.max_retained && state.idle.len() < self.config.max_pooled {
            state.idle.push(buffer);
        } else {
            state.dropped += 1;
            drop(state);
            drop(buffer);
        }
    }

    fn stats(&self) -> PoolStats {
        let state = self.lock();
        PoolStats {
            created: state.created,
            dropped: state.dropped,
            idle: state.idle.len(),
        }
    }
}

impl AdaptivePoolApi for AdaptivePool {
    fn trim(&self) {
        let freed = {
            let mut state = self.lock();
            let keep_idle = state
                .peak_held
                .saturating_sub(state.held)
                .max(self.config.floor);
            // The most recently returned buffers stay: they are the ones in use lately.
            let excess = state.idle.len().saturating_sub(keep_idle);
            let freed: Vec<_> = state.idle.drain(..excess).collect();
            state.dropped += freed.len() as u64;
            state.peak_held = state.held;
            freed
        };
        drop(freed);
    }
}

impl std::fmt::Debug for AdaptivePool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.lock();
        f.debug_struct("AdaptivePool")
            .field("config", &self.config)
            .field("held", &state.held)
            .field("idle", &state.idle.len())
            .field("typical_size", &state.typical_size)
            .field("max_retained", &state.max_retained)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window_of(sizes: &[usize]) -> Window {
        let mut window = Window::new();
        for &size in sizes {
            window.record_request(size);
        }
        window
    }

    #[test]
    fn classes_are_powers_of_two() {
        assert_eq!(size_class(0), 0);
        assert_eq!(size_class(1), 0);
        assert_eq!(size_class(2), 1);
        assert_eq!(size_class(3), 2);
        assert_eq!(size_class(4096), 12);
        assert_eq!(size_class(4097), 13);
        assert_eq!(size_class(usize::MAX), usize::BITS as usize);
        assert_eq!(class_capacity(usize::BITS as usize), usize::MAX);
    }

    #[test]
    fn the_typical_size_is_the_most_frequent_class() {
        let window = window_of(&[100, 120, 3000, 3000, 3000, 1 << 20]);
        assert_eq!(window.typical_size(), 4096);
    }

    #[test]
    fn the_percentile_ignores_a_rare_burst() {
        let mut sizes = vec![1000; 96];
        sizes.extend([1 << 22; 4]);
        let window = window_of(&sizes);
        assert_eq!(window.percentile_size(95), 1024);
        assert_eq!(window.percentile_size(100), 1 << 22);
    }

    #[test]
    fn returned_buffers_above_the_learned_size_are_dropped() {
        let pool = AdaptivePool::new(AdaptiveConfig {
            window: 20,
            ..AdaptiveConfig::default()
        })
        .unwrap();
        let big = pool.get(1 << 20);
        for _ in 0..19 {
            drop(pool.get(100));
        }
        drop(big);
        assert_eq!(
            pool.stats().dropped,
            1,
            "the 1 MiB buffer came back after calibration"
        );
        assert_eq!(pool.stats().idle, 1);
    }
}
