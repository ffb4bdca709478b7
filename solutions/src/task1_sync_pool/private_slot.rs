//! The per-thread tier of [`SyncPool`](super::SyncPool): one buffer per thread and pool, reached
//! without a lock or an atomic read-modify-write (Go's per-P `private` field).
//!
//! `thread_local!` is per thread, not per pool, so each thread keeps a slot per pool it has
//! returned a buffer to, told apart by the pool's id. When the thread ends, its
//! slots give their buffers to their pools' shared stores (if the pool still lives).

use super::Shared;
use std::cell::RefCell;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};

thread_local! {
    static SLOTS: RefCell<Slots> = const { RefCell::new(Slots::new()) };
}

/// This thread's slots: the most recently used one inline, so that the common case (one pool
/// per thread) is one comparison away, and the others in a list. A thread rarely uses more than
/// one or two pools, so a linear search beats any map for the rest.
struct Slots {
    hot: Slot,
    others: Vec<Slot>,
}

impl Slots {
    const fn new() -> Self {
        Slots {
            hot: Slot::EMPTY,
            others: Vec::new(),
        }
    }

    /// The slot for pool `pool_id`, if this thread has one.
    #[inline]
    fn find(&mut self, pool_id: u64) -> Option<&mut Slot> {
        if self.hot.pool_id == pool_id {
            return Some(&mut self.hot);
        }
        self.others.iter_mut().find(|slot| slot.pool_id == pool_id)
    }

    /// The slot for `shared`'s pool, made the hot one (and created if this thread had none).
    #[inline]
    fn find_or_add(&mut self, shared: &Arc<Shared>) -> &mut Slot {
        if self.hot.pool_id != shared.id {
            self.make_hot(shared);
        }
        &mut self.hot
    }

    #[cold]
    fn make_hot(&mut self, shared: &Arc<Shared>) {
        // Prune slots of pools that were dropped (their buffers are freed with them).
        self.others.retain(|slot| slot.home.strong_count() > 0);
        let slot = match self
            .others
            .iter()
            .position(|slot| slot.pool_id == shared.id)
        {
            Some(index) => self.others.swap_remove(index),
            None => Slot {
                pool_id: shared.id,
                home: Arc::downgrade(shared),
                buffer: None,
                stamp: 0,
            },
        };
        let previous = std::mem::replace(&mut self.hot, slot);
        if previous.pool_id != Slot::EMPTY.pool_id {
            self.others.push(previous);
        }
    }

    /// Removes the slot for pool `pool_id`, if any.
    fn remove(&mut self, pool_id: u64) -> Option<Slot> {
        if self.hot.pool_id == pool_id {
            return Some(std::mem::replace(&mut self.hot, Slot::EMPTY));
        }
        let index = self
            .others
            .iter()
            .position(|slot| slot.pool_id == pool_id)?;
        Some(self.others.swap_remove(index))
    }
}

struct Slot {
    pool_id: u64,
    home: Weak<Shared>,
    buffer: Option<Box<Vec<u8>>>,
    /// The collection cycle in which `buffer` came back.
    stamp: u64,
}

impl Slot {
    /// No pool's slot (pool ids count up from 0 and never reach `u64::MAX`).
    const EMPTY: Slot = Slot {
        pool_id: u64::MAX,
        home: Weak::new(),
        buffer: None,
        stamp: 0,
    };
}

impl Drop for Slot {
    /// Runs when the thread ends (or the slot is pruned): the buffer goes to its pool's shared
    /// store, where other threads can take it, or is freed with its pool.
    fn drop(&mut self) {
        if let (Some(buffer), Some(home)) = (self.buffer.take(), self.home.upgrade()) {
            home.store(buffer);
        }
    }
}

/// A buffer that came back in cycle `stamp` has been idle through two cycles by `cycle`.
fn idle_through_two_cycles(stamp: u64, cycle: u64) -> bool {
    cycle.wrapping_sub(stamp) >= 2
}

/// Takes the buffer from this thread's slot for `shared`'s pool, if there is one and it is not
/// due to be freed (then it is freed here, and `None` sends the caller to the shared store).
#[inline]
pub(super) fn take(shared: &Shared) -> Option<Box<Vec<u8>>> {
    SLOTS
        .try_with(|slots| {
            // A failed borrow means re-entry (a buffer dropped from inside a slot's own drop):
            // fall back to the shared store rather than panic.
            let mut slots = slots.try_borrow_mut().ok()?;
            let slot = slots.find(shared.id)?;
            let buffer = slot.buffer.take()?;
            if idle_through_two_cycles(slot.stamp, shared.cycle.load(Ordering::Relaxed)) {
                shared.count_dropped(1);
                return None;
            }
            Some(buffer)
        })
        .ok()
        .flatten()
}

/// Puts `buffer` in this thread's slot for `shared`'s pool, or gives it back if the slot is
/// taken (or this thread's storage is being torn down) so that the caller stores it elsewhere.
#[inline]
pub(super) fn put(shared: &Arc<Shared>, buffer: Box<Vec<u8>>) -> Result<(), Box<Vec<u8>>> {
    // Held outside the closure: if the thread-local is gone, the closure never runs and the
    // buffer must not be dropped with it.
    let mut buffer = Some(buffer);
    let _ = SLOTS.try_with(|slots| {
        let Ok(mut slots) = slots.try_borrow_mut() else {
            return;
        };
        let slot = slots.find_or_add(shared);
        if slot.buffer.is_none() {
            slot.buffer = buffer.take();
            slot.stamp = shared.cycle.load(Ordering::Relaxed);
        }
    });
    match buffer {
        None => Ok(()),
        Some(buffer) => Err(buffer),
    }
}

/// How many buffers (0 or 1) this thread's slot for `shared`'s pool holds.
pub(super) fn holds(shared: &Shared) -> usize {
    with_slot(shared, |slot| usize::from(slot.buffer.is_some())).unwrap_or(0)
}

/// After a collection cycle: frees this thread's buffer for `shared`'s pool if it has been idle
/// through two cycles. Returns how many buffers it freed.
pub(super) fn free_if_idle(shared: &Shared) -> usize {
    let cycle = shared.cycle.load(Ordering::Relaxed);
    let expired = with_slot(shared, |slot| {
        if idle_through_two_cycles(slot.stamp, cycle) {
            slot.buffer.take()
        } else {
            None
        }
    });
    usize::from(expired.flatten().is_some())
}

/// Removes this thread's slot for `shared`'s pool, freeing its buffer: the pool is being dropped.
pub(super) fn forget(shared: &Shared) {
    let _ = SLOTS.try_with(|slots| {
        if let Ok(mut slots) = slots.try_borrow_mut() {
            if let Some(mut slot) = slots.remove(shared.id) {
                // Freed here rather than handed to a store that is about to go.
                slot.buffer = None;
            }
        }
    });
}

/// Runs `action` on this thread's slot for `shared`'s pool, if it has one.
fn with_slot<T>(shared: &Shared, action: impl FnOnce(&mut Slot) -> T) -> Option<T> {
    SLOTS
        .try_with(|slots| {
            let mut slots = slots.try_borrow_mut().ok()?;
            slots.find(shared.id).map(action)
        })
        .ok()
        .flatten()
}
