//! Task 2, custom buffer pools: three strategies beside Task 1's `SyncPool`, what each must
//! offer.
//!
//! - A **fixed-size pool** ([`FixedPoolApi`], built from a [`FixedPoolConfig`]): one buffer size,
//!   preallocated, bounded; the pooling guide's `BufferPool`.
//! - A **size-class pool** ([`SizeClassPoolApi`], [`SizeClassConfig`]): power-of-two classes,
//!   each bounded; .NET's `ArrayPool.Shared`.
//! - An **adaptive pool** ([`AdaptivePoolApi`], [`AdaptiveConfig`]): learns from what it serves
//!   how many buffers to keep and how large; valyala/bytebufferpool's calibration.
//!
//! All three are [`BufferPool`]s, so every check, workload and benchmark runs on any of them. An
//! implementation of the workshop provides them through [`Task2`].

use crate::config::ConfigError;
use crate::pool::BufferPool;
use std::fmt;

/// How to build a fixed-size pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedPoolConfig {
    /// The capacity of every pooled buffer. At least 1.
    pub buffer_size: usize,
    /// How many buffers to allocate up front. At most `max_pooled`.
    pub preallocate: usize,
    /// How many idle buffers the pool keeps at most; returned buffers beyond it are dropped. At
    /// least 1.
    pub max_pooled: usize,
}

/// How to build a size-class pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SizeClassConfig {
    /// The smallest class's capacity: a power of two, at least 1.
    pub min_size: usize,
    /// The largest class's capacity: a power of two, at least `min_size`. Larger requests are
    /// served by a plain allocation that is never kept.
    pub max_size: usize,
    /// How many idle buffers each class keeps at most. At least 1.
    pub max_per_class: usize,
}

impl Default for SizeClassConfig {
    /// Classes from 64 B to 1 MiB, 32 idle buffers each.
    fn default() -> Self {
        SizeClassConfig {
            min_size: 64,
            max_size: 1024 * 1024,
            max_per_class: 32,
        }
    }
}

/// How to build an adaptive pool. Its decisions depend only on the sequence of requests it
/// serves and on calls to [`AdaptivePoolApi::trim`], never on a clock, so the same sequence always
/// gives the same pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdaptiveConfig {
    /// Idle buffers kept however quiet the pool gets (at most `max_pooled`).
    pub floor: usize,
    /// Idle buffers kept at most, however busy the pool gets. At least 1.
    pub max_pooled: usize,
    /// Gets per calibration window: at the end of each window the pool re-learns the typical
    /// size (new buffers are made at least that large) and the largest size worth keeping. At
    /// least 1.
    ///
    /// The typical size is the most frequent power-of-two class of the lengths buffers came
    /// back with in the window (a buffer returned empty says nothing): what a holder grew its
    /// buffer to is what it needed, where its request may have been a small hint (a message
    /// built by appending asks for 64 bytes and grows to 4 KiB). Only in a window whose buffers
    /// all came back empty do the sizes asked for decide.
    pub window: usize,
    /// Returned buffers larger than this percentile of the sizes the window saw (requests and
    /// returned lengths together, rounded up to a power of two) are dropped, and idle ones freed
    /// at calibration. From 1 to 100.
    pub percentile: u8,
}

impl Default for AdaptiveConfig {
    /// Floor 2, at most 64 idle, windows of 1000 gets, the 95th percentile.
    fn default() -> Self {
        AdaptiveConfig {
            floor: 2,
            max_pooled: 64,
            window: 1000,
            percentile: 95,
        }
    }
}

/// How many bytes were asked for and how many were handed out (capacity), since the pool was
/// created. Their difference is the price of serving requests from fixed sizes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Waste {
    /// The sum of the sizes asked for, by `get(capacity)` and `get_read(len)`.
    pub requested_bytes: u64,
    /// The sum of the capacities of the buffers handed out for them.
    pub handed_out_bytes: u64,
}

impl Waste {
    /// Bytes handed out beyond what was asked.
    pub fn wasted_bytes(&self) -> u64 {
        self.handed_out_bytes.saturating_sub(self.requested_bytes)
    }
}

/// A buffer a fixed-size pool refused to take back, given back to the caller with the reason.
#[derive(Debug, PartialEq, Eq)]
pub struct Rejected {
    /// The refused buffer: still yours, nothing is lost.
    pub buffer: Vec<u8>,
    /// The capacity the pool's buffers have.
    pub expected_capacity: usize,
}

impl fmt::Display for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "buffer size mismatch: this pool keeps buffers of capacity {}, this one has capacity {}",
            self.expected_capacity,
            self.buffer.capacity()
        )
    }
}

impl std::error::Error for Rejected {}

/// A fixed-size pool: every buffer has `buffer_size` bytes of capacity.
pub trait FixedPoolApi: BufferPool {
    /// Takes back a buffer that was detached from its guard ([`crate::Pooled::detach`]) and
    /// handed around. A buffer whose capacity is not the pool's `buffer_size` is refused with
    /// [`Rejected`], which gives it back: never a panic, never a silently kept buffer.
    fn return_detached(&self, buffer: Vec<u8>) -> Result<(), Rejected>;
}

/// A size-class pool. A request takes the smallest class that fits it; a returned buffer goes
/// to the class its capacity fits now, the largest class not above its capacity (a buffer
/// regrown to 3000 bytes serves class 2048 with no allocation), and one below `min_size` is
/// dropped.
pub trait SizeClassPoolApi: BufferPool {
    /// Bytes asked for and handed out since the pool was created.
    fn waste(&self) -> Waste;
}

/// An adaptive pool.
pub trait AdaptivePoolApi: BufferPool {
    /// Frees idle buffers beyond what recent demand needs: the pool keeps as many buffers (held
    /// and idle together) as were held at once at the peak since the previous `trim`, and never
    /// fewer idle ones than `floor`. Called from a timer or on memory pressure; two calls with no
    /// use in between shrink the pool to its floor.
    fn trim(&self);
}

/// What an implementation of the workshop provides for Task 2. Each constructor refuses a
/// configuration that breaks a documented rule with a [`ConfigError`] naming the field.
pub trait Task2 {
    /// Its fixed-size pool.
    type FixedPool: FixedPoolApi;
    /// Its size-class pool.
    type SizeClassPool: SizeClassPoolApi;
    /// Its adaptive pool.
    type AdaptivePool: AdaptivePoolApi;

    /// Builds a fixed-size pool (usually `FixedPool::new(config)`).
    fn fixed_pool(&self, config: FixedPoolConfig) -> Result<Self::FixedPool, ConfigError>;
    /// Builds a size-class pool (usually `SizeClassPool::new(config)`).
    fn size_class_pool(&self, config: SizeClassConfig) -> Result<Self::SizeClassPool, ConfigError>;
    /// Builds an adaptive pool (usually `AdaptivePool::new(config)`).
    fn adaptive_pool(&self, config: AdaptiveConfig) -> Result<Self::AdaptivePool, ConfigError>;
}
