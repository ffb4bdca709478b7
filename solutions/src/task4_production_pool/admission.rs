//! The production pool's limits: two exact gauges (buffers and bytes in use), the high-water
//! mark, and the policy that decides what a get at a limit gets. Mechanism only; the pool
//! counts what the policy decided.

use pool_contract::task4::{LimitPolicy, PoolConfig, PoolError};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// What the policy decided for a get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admitted {
    /// Within the limits.
    Within,
    /// Past a limit, served anyway (policy `allocate`): a degraded get.
    Outside,
}

/// Buffers and bytes in use, against their limits.
pub struct Limits {
    max_in_use: usize,
    max_bytes_in_use: usize,
    policy: LimitPolicy,
    wait_timeout: Duration,
    in_use: AtomicUsize,
    bytes_in_use: AtomicUsize,
    high_water: AtomicUsize,
    /// Gets waiting at the limit; a release wakes one.
    waiting: AtomicUsize,
    wait_lock: Mutex<()>,
    released: Condvar,
}

impl Limits {
    /// The limits of `config`, nothing in use.
    pub fn new(config: &PoolConfig) -> Self {
        Limits {
            max_in_use: config.max_in_use,
            max_bytes_in_use: config.max_bytes_in_use,
            policy: config.on_limit,
            wait_timeout: Duration::from_millis(config.wait_timeout_ms),
            in_use: AtomicUsize::new(0),
            bytes_in_use: AtomicUsize::new(0),
            high_water: AtomicUsize::new(0),
            waiting: AtomicUsize::new(0),
            wait_lock: Mutex::new(()),
            released: Condvar::new(),
        }
    }

    /// Buffers in use now.
    pub fn in_use(&self) -> usize {
        self.in_use.load(Ordering::Acquire)
    }

    /// The most buffers in use at once.
    pub fn high_water(&self) -> usize {
        self.high_water.load(Ordering::Acquire)
    }

    /// Admits one buffer of `bytes` as the policy says: within the limits, outside them
    /// (`allocate`), or not at all (`fail` at once, `wait` after its timeout).
    pub fn admit(&self, bytes: usize) -> Result<Admitted, PoolError> {
        if self.reserve(bytes) {
            return Ok(Admitted::Within);
        }
        match self.policy {
            LimitPolicy::Allocate => {
                self.reserve_anyway(bytes);
                Ok(Admitted::Outside)
            }
            LimitPolicy::Fail => Err(self.limit_error(bytes)),
            LimitPolicy::Wait => self.wait_for_room(bytes).map(|()| Admitted::Within),
        }
    }

    /// Takes one buffer and `bytes` whatever the limits: a get that must not fail.
    pub fn reserve_anyway(&self, bytes: usize) {
        self.in_use.fetch_add(1, Ordering::AcqRel);
        self.bytes_in_use.fetch_add(bytes, Ordering::AcqRel);
    }

    /// The buffer admitted for `reserved` bytes was handed out with `handed_out` bytes of
    /// capacity: counts the real figure, and moves the high-water mark.
    pub fn handed_out(&self, reserved: usize, handed_out: usize) {
        if handed_out > reserved {
            self.bytes_in_use
                .fetch_add(handed_out - reserved, Ordering::AcqRel);
        } else {
            self.bytes_in_use
                .fetch_sub(reserved - handed_out, Ordering::AcqRel);
        }
        // A read first: the read-modify-write is needed only when the mark moves.
        let in_use = self.in_use.load(Ordering::Acquire);
        if in_use > self.high_water.load(Ordering::Relaxed) {
            self.high_water.fetch_max(in_use, Ordering::AcqRel);
        }
    }

    /// A buffer of `capacity` bytes came back: releases its slot and wakes one waiter.
    pub fn release(&self, capacity: usize) {
        let _ = self
            .bytes_in_use
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |held| {
                Some(held.saturating_sub(capacity))
            });
        self.release_slot();
    }

    /// Reserves one buffer and `bytes` within the limits; false (and nothing reserved) at a
    /// limit.
    fn reserve(&self, bytes: usize) -> bool {
        let max = self.max_in_use;
        let slot = self
            .in_use
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            });
        if slot.is_err() {
            return false;
        }
        let max_bytes = self.max_bytes_in_use;
        let room = self
            .bytes_in_use
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |held| {
                (held + bytes <= max_bytes).then_some(held + bytes)
            });
        if room.is_err() {
            self.release_slot();
            return false;
        }
        true
    }

    fn release_slot(&self) {
        self.in_use.fetch_sub(1, Ordering::AcqRel);
        if self.waiting.load(Ordering::Acquire) > 0 {
            // Taking the lock orders this wake-up after the waiter's last check.
            let _lock = self.lock_waiters();
            self.released.notify_one();
        }
    }

    fn lock_waiters(&self) -> MutexGuard<'_, ()> {
        self.wait_lock
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn limit_error(&self, bytes: usize) -> PoolError {
        if self.in_use() >= self.max_in_use {
            PoolError::LimitReached {
                limit: "max_in_use",
                value: self.max_in_use,
            }
        } else {
            PoolError::LimitReached {
                limit: "max_bytes_in_use",
                value: self.max_bytes_in_use.max(bytes),
            }
        }
    }

    fn wait_for_room(&self, bytes: usize) -> Result<(), PoolError> {
        let started = Instant::now();
        let mut lock = self.lock_waiters();
        self.waiting.fetch_add(1, Ordering::AcqRel);
        let result = loop {
            if self.reserve(bytes) {
                break Ok(());
            }
            let Some(left) = self
                .wait_timeout
                .checked_sub(started.elapsed())
                .filter(|left| !left.is_zero())
            else {
                break Err(PoolError::Timeout {
                    waited_ms: started.elapsed().as_millis() as u64,
                });
            };
            lock = match self.released.wait_timeout(lock, left) {
                Ok((lock, _)) => lock,
                Err(poisoned) => poisoned.into_inner().0,
            };
        };
        self.waiting.fetch_sub(1, Ordering::AcqRel);
        result
    }
}
