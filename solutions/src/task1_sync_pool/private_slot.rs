//! The per-thread tier of [`SyncPool`](super::SyncPool): up to [`MAGAZINE`] buffers per thread
//! and pool, reached without a lock or an atomic read-modify-write (Go's per-P `private` field,
//! grown into a small stack, as Bonwick's magazines are).
//!
//! A request often holds several buffers at once (a header, a body, a reply): with one slot per
//! thread, all but one of them went through the shared store's lock on every get and return,
//! and two threads doing that contended for it (measured with `cargo bench -p solutions --bench
//! patterns`: 179 ns per buffer for 8 held at once on two threads, against 6 ns for one). The
//! magazine keeps a request's buffers on its thread: the one-buffer slot of the simple version
//! (`top`, still the whole fast path of a thread that takes one buffer and gives it back) and a
//! small stack behind it. When the stack overflows, or the magazine runs dry, it trades
//! [`BATCH`] buffers with the shared store under one lock, so the store is touched once per
//! several buffers (a thread that frees what another took, a pipeline's consumer, spills; the
//! producer refills).
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
                self.0.push(Box::new(Slot::new(shared)));
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

/// Buffers a thread keeps per pool, at most: one in the slot's `top`, the rest in its stack.
pub(super) const MAGAZINE: usize = 8;
/// Places of the stack behind `top`.
const STACK: usize = MAGAZINE - 1;
/// Buffers a full stack gives to the shared store at once, and an empty magazine takes.
pub(super) const BATCH: usize = MAGAZINE / 2;

/// A thread's magazine for one pool. `top` is the one-buffer slot of the simple version and the
/// fast path of a thread that takes one buffer and gives it back (a get or a return there is a
/// pointer moved in or out, as before the stack existed: the stack's count and index would add
/// a dependent load to every round trip, measured at 3-6 ns on `get_return`). The stack holds
/// what a request holding several buffers returns while `top` is taken.
///
/// Aligned, so that no other thread's data shares its cache lines (each thread allocates its
/// own slots, but an allocator may place two threads' small blocks side by side).
#[repr(align(128))]
struct Slot {
    top: Cell<Option<Box<Vec<u8>>>>,
    /// The collection cycle in which `top`'s buffer came back.
    top_stamp: Cell<u64>,
    /// How many of `stack` hold a buffer: those below it, the newest last.
    len: Cell<usize>,
    /// Each buffer with the collection cycle in which it came back. Stamps never fall from the
    /// bottom up (a buffer is only ever added on top, stamped with the cycle of then), so the
    /// bottom buffer is the one idle longest.
    stack: [Entry; STACK],
    pool_id: u64,
    home: Weak<Shared>,
}

/// One place of a magazine's stack.
struct Entry {
    buffer: Cell<Option<Box<Vec<u8>>>>,
    stamp: Cell<u64>,
}

impl Slot {
    fn new(shared: &Arc<Shared>) -> Slot {
        Slot {
            top: Cell::new(None),
            top_stamp: Cell::new(0),
            len: Cell::new(0),
            stack: std::array::from_fn(|_| Entry {
                buffer: Cell::new(None),
                stamp: Cell::new(0),
            }),
            pool_id: shared.id,
            home: Arc::downgrade(shared),
        }
    }

    /// Takes the bottom `count` buffers of the stack (the oldest) out, moving the rest down.
    fn take_bottom(&self, count: usize) -> impl Iterator<Item = Box<Vec<u8>>> + '_ {
        let len = self.len.get();
        let count = count.min(len);
        let taken: [Option<Box<Vec<u8>>>; STACK] = std::array::from_fn(|index| {
            if index < count {
                self.stack[index].buffer.take()
            } else {
                None
            }
        });
        for index in count..len {
            let (from, to) = (&self.stack[index], &self.stack[index - count]);
            to.buffer.set(from.buffer.take());
            to.stamp.set(from.stamp.get());
        }
        self.len.set(len - count);
        taken.into_iter().flatten()
    }

    /// Every buffer, `top` and the stack's.
    fn take_all(&self) -> impl Iterator<Item = Box<Vec<u8>>> + '_ {
        self.top.take().into_iter().chain(self.take_bottom(STACK))
    }

    /// Frees the buffers idle through two cycles by `cycle`; how many it freed.
    fn free_expired(&self, cycle: u64) -> usize {
        let mut freed = 0;
        if let Some(buffer) = self.top.take() {
            if idle_through_two_cycles(self.top_stamp.get(), cycle) {
                drop(buffer);
                freed += 1;
            } else {
                self.top.set(Some(buffer));
            }
        }
        let expired = (0..self.len.get())
            .take_while(|&index| idle_through_two_cycles(self.stack[index].stamp.get(), cycle))
            .count();
        self.take_bottom(expired).for_each(drop);
        freed + expired
    }
}

impl Drop for Slot {
    /// Runs when the thread ends (or the slot is pruned): the buffers go to their pool's shared
    /// store, where other threads can take them, or are freed with their pool.
    fn drop(&mut self) {
        if let Some(home) = self.home.upgrade() {
            home.lock_store().fresh.extend(self.take_all());
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

/// The fast path of a get: the buffer in `top` of this thread's slot for `shared`'s pool, if
/// that slot is the one used last and the buffer is not due to be freed. Anything else is for
/// [`take`], out of line, so that a get and the guard's drop stay small enough to be inlined
/// where they are used (with the stack's cases inline, `perf` showed the guard's drop left as a
/// call in the benchmark's loop, 1-3 ns per round trip).
#[inline]
pub(super) fn take_fast(shared: &Shared) -> Option<Box<Vec<u8>>> {
    let slot = hot(shared)?;
    let buffer = slot.top.take()?;
    if idle_through_two_cycles(slot.top_stamp.get(), shared.cycle.load(Ordering::Relaxed)) {
        slot.top.set(Some(buffer));
        return None;
    }
    Some(buffer)
}

/// The fast path of a return: `buffer`, within the cap, into the empty `top` of this thread's
/// slot for `shared`'s pool, if that slot is the one used last. Anything else is given back, for
/// the caller's out-of-line path (see [`take_fast`]).
#[inline]
pub(super) fn put_fast(shared: &Shared, buffer: Box<Vec<u8>>) -> Result<(), Box<Vec<u8>>> {
    if buffer.capacity() > shared.max_retained_capacity {
        return Err(buffer);
    }
    let Some(slot) = hot(shared) else {
        return Err(buffer);
    };
    match slot.top.take() {
        None => {
            slot.top.set(Some(buffer));
            slot.top_stamp.set(shared.cycle.load(Ordering::Relaxed));
            Ok(())
        }
        Some(top) => {
            slot.top.set(Some(top));
            Err(buffer)
        }
    }
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
    match slot.top.take() {
        Some(buffer)
            if !idle_through_two_cycles(
                slot.top_stamp.get(),
                shared.cycle.load(Ordering::Relaxed),
            ) =>
        {
            Some(buffer)
        }
        top => take_from_stack(slot, shared, top),
    }
}

/// [`take_from`] when `top` was empty or its buffer (`expired`) is to be freed: the stack's
/// newest buffer, once the expired ones are freed.
#[inline]
fn take_from_stack(
    slot: &Slot,
    shared: &Shared,
    expired: Option<Box<Vec<u8>>>,
) -> Option<Box<Vec<u8>>> {
    if let Some(buffer) = expired {
        drop(buffer);
        shared.count_dropped(1);
    }
    let len = slot.len.get().checked_sub(1)?;
    let cycle = shared.cycle.load(Ordering::Relaxed);
    if idle_through_two_cycles(slot.stack[0].stamp.get(), cycle) {
        let freed = slot.free_expired(cycle);
        shared.count_dropped(freed);
        let len = slot.len.get().checked_sub(1)?;
        slot.len.set(len);
        return slot.stack[len].buffer.take();
    }
    slot.len.set(len);
    slot.stack[len].buffer.take()
}

/// Puts `buffer` in this thread's magazine for `shared`'s pool (a full one spills its oldest
/// half to the shared store first), or gives it back if this thread's storage is being torn
/// down, so that the caller stores it elsewhere.
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
    match slot.top.take() {
        None => {
            slot.top.set(Some(buffer));
            slot.top_stamp.set(shared.cycle.load(Ordering::Relaxed));
        }
        Some(top) => put_behind_top(slot, shared, top, buffer),
    }
    Ok(())
}

/// [`put_into`] a magazine whose `top` (given back here) is taken: `buffer` goes on the stack,
/// and a full stack first gives its [`BATCH`] oldest buffers to the shared store, under one
/// lock.
#[inline]
fn put_behind_top(slot: &Slot, shared: &Shared, top: Box<Vec<u8>>, buffer: Box<Vec<u8>>) {
    slot.top.set(Some(top));
    if slot.len.get() == STACK {
        shared.lock_store().fresh.extend(slot.take_bottom(BATCH));
    }
    let len = slot.len.get();
    let entry = &slot.stack[len];
    entry.buffer.set(Some(buffer));
    entry.stamp.set(shared.cycle.load(Ordering::Relaxed));
    slot.len.set(len + 1);
}

/// How many buffers this thread's magazine for `shared`'s pool holds.
pub(super) fn holds(shared: &Shared) -> usize {
    with_slot(shared, |slot| {
        let top = slot.top.take();
        let held = usize::from(top.is_some()) + slot.len.get();
        slot.top.set(top);
        held
    })
    .unwrap_or(0)
}

/// After a collection cycle: frees this thread's buffers for `shared`'s pool that have been idle
/// through two cycles. Returns how many buffers it freed.
pub(super) fn free_if_idle(shared: &Shared) -> usize {
    let cycle = shared.cycle.load(Ordering::Relaxed);
    with_slot(shared, |slot| slot.free_expired(cycle)).unwrap_or(0)
}

/// Removes this thread's slot for `shared`'s pool, freeing its buffer: the pool is being dropped.
pub(super) fn forget(shared: &Shared) {
    let _ = SLOTS.try_with(|slots| {
        if let Ok(mut slots) = slots.try_borrow_mut() {
            if let Some(slot) = slots.remove(shared.id) {
                // Freed here rather than handed to a store that is about to go.
                slot.take_all().for_each(drop);
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
