//! The per-thread tier of [`SyncPool`](super::SyncPool): one buffer per thread and pool, reached
//! without a lock or an atomic read-modify-write (Go's per-P `private` field).
//!
//! `thread_local!` is per thread, not per pool, so each thread keeps a slot per pool it has
//! returned a buffer to, told apart by the pool's id. When the thread ends, its
//! slots give their buffers to their pools' shared stores (if the pool still lives).
//!
//! # The simple version, and the shortcut in front of it
//!
//! The slots live in a list, `SLOTS`, behind a `RefCell`: every function here could find its
//! slot there, and the cold paths do. A `thread_local!` whose value needs dropping costs a check
//! that the thread's storage still lives on every access, and the `RefCell` a borrow flag: about
//! a nanosecond on each get and each return, where the whole round trip costs five. So `HOT`
//! remembers where the slot used last is: a pool id and a pointer, in a thread-local that needs
//! no dropping (a plain load). The fast paths, [`take`] and [`put`], use it; every change to the
//! list points it again.

use super::Shared;
use std::cell::{Cell, RefCell};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};

thread_local! {
    /// This thread's slots; the one used last comes first. Boxed, so that `HOT` can point at one
    /// while the list grows.
    static SLOTS: RefCell<Slots> = const { RefCell::new(Slots(Vec::new())) };

    /// The id of the pool whose slot this thread used last and a pointer to that slot (the first
    /// of `SLOTS`), or no pool's id and null. It needs no dropping, so reading it is a plain
    /// thread-local load.
    static HOT: Cell<(u64, *const Slot)> = const { Cell::new(NO_SLOT) };
}

/// What `HOT` holds when it points at nothing: no pool has this id (ids count up from 0).
const NO_SLOT: (u64, *const Slot) = (u64::MAX, std::ptr::null());

/// This thread's slots. A thread rarely uses more than one or two pools, so a linear search
/// beats any map.
struct Slots(Vec<Box<Slot>>);

impl Slots {
    /// The slot for pool `pool_id`, if this thread has one.
    fn find(&self, pool_id: u64) -> Option<&Slot> {
        self.0
            .iter()
            .find(|slot| slot.pool_id == pool_id)
            .map(|slot| &**slot)
    }

    /// The slot for `shared`'s pool, made the first (and created if this thread had none).
    #[cold]
    fn make_hot(&mut self, shared: &Arc<Shared>) -> &Slot {
        // Prune slots of pools that were dropped (their buffers are freed with them).
        self.0.retain(|slot| slot.home.strong_count() > 0);
        let index = match self.0.iter().position(|slot| slot.pool_id == shared.id) {
            Some(index) => index,
            None => {
                self.0.push(Box::new(Slot {
                    pool_id: shared.id,
                    home: Arc::downgrade(shared),
                    buffer: Cell::new(None),
                    stamp: Cell::new(0),
                }));
                self.0.len() - 1
            }
        };
        self.0.swap(0, index);
        self.point_hot_at_first();
        &self.0[0]
    }

    /// Removes the slot for pool `pool_id`, if any.
    fn remove(&mut self, pool_id: u64) -> Option<Box<Slot>> {
        let index = self.0.iter().position(|slot| slot.pool_id == pool_id)?;
        let slot = self.0.swap_remove(index);
        self.point_hot_at_first();
        Some(slot)
    }

    /// Points `HOT` at the first slot: it must follow every change of the list.
    fn point_hot_at_first(&self) {
        HOT.set(
            self.0
                .first()
                .map_or(NO_SLOT, |slot| (slot.pool_id, &**slot as *const Slot)),
        );
    }
}

impl Drop for Slots {
    /// The thread ends: `HOT` stops pointing at the slots before they go.
    fn drop(&mut self) {
        HOT.set(NO_SLOT);
    }
}

struct Slot {
    pool_id: u64,
    home: Weak<Shared>,
    buffer: Cell<Option<Box<Vec<u8>>>>,
    /// The collection cycle in which `buffer` came back.
    stamp: Cell<u64>,
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

/// This thread's slot for `shared`'s pool, if it is the one used last.
#[inline]
fn hot(shared: &Shared) -> Option<&Slot> {
    let (pool_id, slot) = HOT.get();
    if pool_id != shared.id {
        return None;
    }
    // SAFETY: `HOT` holds this pool's id, so it points at this thread's slot for this pool: the
    // first of `SLOTS`, boxed, set by `point_hot_at_first` after the list last changed. The slot
    // lives as long as the list holds its box, and only `make_hot` and `remove` (on this thread,
    // each pointing `HOT` again) and the list's destructor (which clears `HOT` first) change the
    // list. The callers use the reference for a few loads and stores of the slot's cells and
    // drop it before calling anything that could change the list (nothing they call touches
    // `SLOTS`), so it never outlives the box. `Cell`s are never borrowed across calls, so the
    // shared reference aliases no `&mut`.
    Some(unsafe { &*slot })
}

/// Takes the buffer from this thread's slot for `shared`'s pool, if there is one and it is not
/// due to be freed (then it is freed here, and `None` sends the caller to the shared store).
#[inline]
pub(super) fn take(shared: &Shared) -> Option<Box<Vec<u8>>> {
    match hot(shared) {
        Some(slot) => take_from(slot, shared),
        None => take_cold(shared),
    }
}

/// [`take`] from a slot that is not the one used last: found in the list.
#[cold]
fn take_cold(shared: &Shared) -> Option<Box<Vec<u8>>> {
    SLOTS
        .try_with(|slots| {
            // A failed borrow means re-entry (a buffer dropped from inside a slot's own drop):
            // fall back to the shared store rather than panic.
            let slots = slots.try_borrow().ok()?;
            take_from(slots.find(shared.id)?, shared)
        })
        .ok()
        .flatten()
}

#[inline]
fn take_from(slot: &Slot, shared: &Shared) -> Option<Box<Vec<u8>>> {
    let buffer = slot.buffer.take()?;
    if idle_through_two_cycles(slot.stamp.get(), shared.cycle.load(Ordering::Relaxed)) {
        drop(buffer);
        shared.count_dropped(1);
        return None;
    }
    Some(buffer)
}

/// Puts `buffer` in this thread's slot for `shared`'s pool, or gives it back if the slot is
/// taken (or this thread's storage is being torn down) so that the caller stores it elsewhere.
#[inline]
pub(super) fn put(shared: &Arc<Shared>, buffer: Box<Vec<u8>>) -> Result<(), Box<Vec<u8>>> {
    match hot(shared) {
        Some(slot) => put_into(slot, shared, buffer),
        None => put_cold(shared, buffer),
    }
}

/// [`put`] into a slot that is not the one used last: it is made the first (created if need be).
#[cold]
fn put_cold(shared: &Arc<Shared>, buffer: Box<Vec<u8>>) -> Result<(), Box<Vec<u8>>> {
    // Held outside the closure: if the thread-local is gone, the closure never runs and the
    // buffer must not be dropped with it.
    let mut buffer = Some(buffer);
    let _ = SLOTS.try_with(|slots| {
        let Ok(mut slots) = slots.try_borrow_mut() else {
            return;
        };
        let slot = slots.make_hot(shared);
        if let Some(ours) = buffer.take() {
            buffer = put_into(slot, shared, ours).err();
        }
    });
    buffer.map_or(Ok(()), Err)
}

#[inline]
fn put_into(slot: &Slot, shared: &Shared, buffer: Box<Vec<u8>>) -> Result<(), Box<Vec<u8>>> {
    match slot.buffer.take() {
        None => {
            slot.buffer.set(Some(buffer));
            slot.stamp.set(shared.cycle.load(Ordering::Relaxed));
            Ok(())
        }
        Some(parked) => {
            slot.buffer.set(Some(parked));
            Err(buffer)
        }
    }
}

/// How many buffers (0 or 1) this thread's slot for `shared`'s pool holds.
pub(super) fn holds(shared: &Shared) -> usize {
    with_slot(shared, |slot| {
        let buffer = slot.buffer.take();
        let held = usize::from(buffer.is_some());
        slot.buffer.set(buffer);
        held
    })
    .unwrap_or(0)
}

/// After a collection cycle: frees this thread's buffer for `shared`'s pool if it has been idle
/// through two cycles. Returns how many buffers it freed.
pub(super) fn free_if_idle(shared: &Shared) -> usize {
    let cycle = shared.cycle.load(Ordering::Relaxed);
    let expired = with_slot(shared, |slot| {
        if idle_through_two_cycles(slot.stamp.get(), cycle) {
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
            if let Some(slot) = slots.remove(shared.id) {
                // Freed here rather than handed to a store that is about to go.
                drop(slot.buffer.take());
            }
        }
    });
}

/// Runs `action` on this thread's slot for `shared`'s pool, if it has one.
fn with_slot<T>(shared: &Shared, action: impl FnOnce(&Slot) -> T) -> Option<T> {
    SLOTS
        .try_with(|slots| {
            let slots = slots.try_borrow().ok()?;
            slots.find(shared.id).map(action)
        })
        .ok()
        .flatten()
}
