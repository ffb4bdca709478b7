//! The per-thread tier that the Task 2 and Task 4 pools put in front of their shared store: for
//! each pool and class, one **slot** per thread, then a **bounded shared store**, and counters kept
//! beside the slots. It is .NET's `ArrayPool.Shared` in miniature (a thread-local slot in front of
//! shared stacks) and Go's per-P `private` field.
//!
//! # Why a tier per thread
//!
//! A shared store costs at least one atomic read-modify-write per get and one per return, and
//! when two threads use the pool at once they fight over its cache lines: a lock-free queue that
//! costs 13 ns on one thread costs 50 to 350 ns per round trip on two. A thread that takes a
//! buffer and gives it back, request after request, needs no other thread's memory at all: here it
//! finds the buffer in its own slot.
//!
//! # How a slot works
//!
//! - The owner **parks** a buffer with a plain store (no locked instruction). Other threads
//!   touch a slot only to empty it, and only the owner stores into it, into an empty slot.
//! - How the owner **takes** it back depends on the pool ([`Parking::OTHERS_MAY_TAKE`]). In the
//!   production pool, other threads may empty a live thread's slot (its `trim` and `shrink_to`
//!   reach every thread's idle buffer, and a get at a limit takes back a parked buffer's
//!   reservation), so the owner takes with one atomic swap, which settles every race: whoever
//!   swaps first owns the buffer. In Task 2's pools only a slot whose thread has ended is emptied
//!   by others, so the owner takes with a plain load and store.
//! - **The bound stays exact**: a slot may hold a buffer only while it holds a *place* in its
//!   class's bound, taken once from the shared store (idle buffers in the store plus places held
//!   by slots never exceed the bound). At most half of a bound goes to slots, so that threads
//!   without a place still find room in the store. The price: a place held by a thread whose
//!   buffer is out is room the store cannot use meanwhile.
//! - **Threads that end** leave nothing stranded: their slots stay registered; the next thread to
//!   register with the pool moves the buffers they parked to the shared store and frees their
//!   places
//!   ([`Parking::unparked`] tells the pool, which may have reserved something for each).
//!
//! # Counters
//!
//! Each thread's entry also holds [`COUNTERS`] counters that only that thread writes: a bump is a
//! plain load and store, a reader sums every entry (and those of threads that ended). The sum is
//! exact once the threads being counted are done.

use std::cell::{Cell, RefCell};
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// How many counters each thread's entry has: enough for the adaptive pool's histogram of sizes
/// by power of two (65 classes) and its few other figures.
pub const COUNTERS: usize = 72;

/// How a pool uses its slots: whether other threads may empty a slot while its owner lives, and
/// what the pool reserved for each parked buffer. Pools without reservations use `()`.
pub trait Parking: Send + Sync {
    /// Whether threads other than the owner may take a parked buffer while the owner lives
    /// ([`TieredStore::take_parked_anywhere`]). Then the owner must take its own with an atomic
    /// swap (about 3.5 ns); otherwise a plain load and store do, since other threads touch a slot
    /// only once its owner has ended.
    const OTHERS_MAY_TAKE: bool;

    /// A parked buffer of `capacity` bytes left its slot for the shared store (its thread ended).
    fn unparked(&self, capacity: usize);

    /// A thread that ended left these counters (they are also added to [`TieredStore::sum`]'s
    /// totals). For pools that keep per-thread figures they must account for themselves. Called
    /// while the registering thread may hold any lock of the pool's: it must take none that the
    /// pool holds while it uses the store.
    fn retired(&self, _counters: &[u64; COUNTERS]) {}
}

impl Parking for () {
    const OTHERS_MAY_TAKE: bool = false;

    fn unparked(&self, _capacity: usize) {}
}

/// Per-thread slots in front of bounded shared stores, one per class, and per-thread counters.
/// See the module docs.
pub struct TieredStore<P: Parking = ()> {
    id: u64,
    classes: Box<[SharedClass]>,
    registry: Mutex<Registry>,
    parking: P,
}

/// One class's shared store and bound.
struct SharedClass {
    max_idle: usize,
    max_slot_places: usize,
    state: Mutex<ClassState>,
}

struct ClassState {
    idle: Vec<Box<Vec<u8>>>,
    /// Places in the bound held by threads' slots (full or empty).
    slot_places: usize,
}

/// What retiring the entries of threads that ended found: the capacities of the buffers they had
/// parked, and each one's counters.
struct Retired {
    unparked: Vec<usize>,
    counters: Vec<[u64; COUNTERS]>,
}

/// Every thread's entry, and the counts of entries retired (threads that ended).
struct Registry {
    entries: Vec<Arc<Entry>>,
    retired: [u64; COUNTERS],
}

/// One thread's slots (one per class) and counters for one store. Aligned so that no other
/// thread's data shares its cache lines: two threads writing neighbouring lines would make each
/// other's plain stores miss the cache, and two threads cost ten times what one does.
#[repr(align(128))]
struct Entry {
    slots: Box<[Slot]>,
    counters: [AtomicU64; COUNTERS],
}

/// Aligned for the same reason as [`Entry`]: the slots live in an allocation of their own.
#[repr(align(128))]
struct Slot {
    /// A buffer parked by the owner (`Box::into_raw`), or null.
    parked: AtomicPtr<Vec<u8>>,
    /// The capacity of the parked buffer, for `idle_bytes` (written by the owner when it parks).
    capacity: AtomicUsize,
    /// Whether this slot holds a place in its class's bound. Written by the owner, and by whoever
    /// retires the entry once the owner has ended.
    has_place: AtomicBool,
}

impl Entry {
    fn new(classes: usize) -> Self {
        Entry {
            slots: (0..classes)
                .map(|_| Slot {
                    parked: AtomicPtr::new(ptr::null_mut()),
                    capacity: AtomicUsize::new(0),
                    has_place: AtomicBool::new(false),
                })
                .collect(),
            counters: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }
}

impl Slot {
    /// Empties the slot: the buffer parked there, if any. Any thread may call it (the owner too).
    fn take(&self) -> Option<Box<Vec<u8>>> {
        let parked = self.parked.swap(ptr::null_mut(), Ordering::Acquire);
        // SAFETY: a non-null pointer in a slot was made by `Box::into_raw` in `Local::park`, and
        // the swap that just replaced it with null is the only way out of the slot: this thread
        // now owns the box, exactly once.
        (!parked.is_null()).then(|| unsafe { Box::from_raw(parked) })
    }
}

impl Drop for Entry {
    /// Frees what is still parked (the store was dropped).
    fn drop(&mut self) {
        for slot in self.slots.iter() {
            drop(slot.take());
        }
    }
}

thread_local! {
    /// This thread's entries, by the id of their store; the one used last comes first. They live
    /// here, and `HOT` points at the first.
    static LOCAL: RefCell<Entries> = const { RefCell::new(Entries(Vec::new())) };

    /// The id of the store used last on this thread and a pointer to this thread's entry in it
    /// (the first of `LOCAL`), or no store's id (`u64::MAX`) and null. It has no destructor, so
    /// reading it is a plain thread-local load: no check that the thread's storage is still
    /// alive and no borrow flag, which `LOCAL` costs on every access (about 1 ns, which a get+return
    /// pays twice).
    static HOT: Cell<(u64, *const Entry)> = const { Cell::new(NO_ENTRY) };
}

/// What `HOT` holds when it points at nothing: no store has this id (ids count up from 0).
const NO_ENTRY: (u64, *const Entry) = (u64::MAX, ptr::null());

/// This thread's entries. `HOT` points into them, so it is set (by `point_hot_at_first`) after
/// every change and cleared before they are dropped.
struct Entries(Vec<(u64, Arc<Entry>)>);

impl Entries {
    /// Points `HOT` at the first entry: it must follow every change of the list.
    fn point_hot_at_first(&self) {
        let hot = self
            .0
            .first()
            .map_or(NO_ENTRY, |(id, entry)| (*id, Arc::as_ptr(entry)));
        let _ = HOT.try_with(|cell| cell.set(hot));
    }
}

impl Drop for Entries {
    /// The thread ends: `HOT` stops pointing at the entries before they go.
    fn drop(&mut self) {
        let _ = HOT.try_with(|cell| cell.set(NO_ENTRY));
    }
}

impl TieredStore<()> {
    /// A store of `classes` classes, each keeping at most `max_idle` idle buffers.
    pub fn new(classes: usize, max_idle: usize) -> Self {
        TieredStore::with_parking(classes, max_idle, ())
    }
}

impl<P: Parking> TieredStore<P> {
    /// A store whose parked buffers hold reservations that `parking` releases.
    pub fn with_parking(classes: usize, max_idle: usize, parking: P) -> Self {
        static NEXT_ID: AtomicU64 = AtomicU64::new(0);
        TieredStore {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            classes: (0..classes)
                .map(|_| SharedClass {
                    max_idle,
                    max_slot_places: max_idle / 2,
                    state: Mutex::new(ClassState {
                        idle: Vec::new(),
                        slot_places: 0,
                    }),
                })
                .collect(),
            registry: Mutex::new(Registry {
                entries: Vec::new(),
                retired: [0; COUNTERS],
            }),
            parking,
        }
    }

    /// What releases the parked buffers' reservations.
    pub fn parking(&self) -> &P {
        &self.parking
    }

    /// Runs `work` with this thread's slots and counters.
    #[inline]
    pub fn local<R>(&self, work: impl FnOnce(&Local<'_, P>) -> R) -> R {
        match self.hot_entry() {
            Some(entry) => work(&Local { store: self, entry }),
            None => self.local_cold(work),
        }
    }

    /// Runs `work` with this thread's slots and counters and `value` if this store is the one
    /// the thread used last (the fast path); otherwise gives `value` back, for the caller's slow
    /// path (which uses [`TieredStore::local`]). Unlike `local`, whose cold path takes `work`
    /// itself (so every call writes the closure's captures to the stack, in case), the rare case
    /// here is the caller's own call, which takes nothing by reference.
    #[inline]
    pub fn try_local<T, R>(
        &self,
        value: T,
        work: impl FnOnce(&Local<'_, P>, T) -> R,
    ) -> Result<R, T> {
        match self.hot_entry() {
            Some(entry) => Ok(work(&Local { store: self, entry }, value)),
            None => Err(value),
        }
    }

    /// This thread's entry, if this store is the one the thread used last (`HOT` points at it).
    #[inline]
    fn hot_entry(&self) -> Option<&Entry> {
        let (id, entry) = HOT.try_with(Cell::get).unwrap_or(NO_ENTRY);
        if id != self.id {
            return None;
        }
        // SAFETY: `HOT` holds this store's id, so it points at this thread's entry in this store:
        // the first of `LOCAL`, set by `point_hot_at_first` after the list last changed. That
        // entry is alive: `LOCAL` holds an `Arc` of it, which only `local_cold` (on this thread)
        // and the list's destructor drop. `local_cold` drops only entries whose store is gone
        // (this one lives: `self` borrows it) and otherwise moves `Arc`s, never the entries they
        // point to; the destructor clears `HOT` first, and a thread's destructors run one after
        // another, never inside a call that borrows `self`. So the reference stays valid for as
        // long as `self` is borrowed, even if the caller uses other stores on this thread
        // meanwhile (which repoints `HOT`).
        Some(unsafe { &*entry })
    }

    /// The first use of this store on this thread (or of another store since): finds or registers
    /// this thread's entry and puts it first. In thread teardown, or re-entered from inside
    /// `local`, it works on an entry of its own, registered so that its counts and its parked
    /// buffer are not lost.
    #[cold]
    fn local_cold<R>(&self, work: impl FnOnce(&Local<'_, P>) -> R) -> R {
        let entry = LOCAL
            .try_with(|entries| {
                let mut entries = entries.try_borrow_mut().ok()?;
                let list = &mut entries.0;
                // Entries of stores that were dropped: only this thread still holds them.
                list.retain(|(_, entry)| Arc::strong_count(entry) > 1);
                let index = match list.iter().position(|(id, _)| *id == self.id) {
                    Some(index) => index,
                    None => {
                        list.push((self.id, self.register()));
                        list.len() - 1
                    }
                };
                list.swap(0, index);
                let entry = Arc::clone(&list[0].1);
                entries.point_hot_at_first();
                Some(entry)
            })
            .ok()
            .flatten()
            .unwrap_or_else(|| self.register());
        work(&Local {
            store: self,
            entry: &entry,
        })
    }

    /// A new entry, registered; entries of threads that ended are retired first.
    fn register(&self) -> Arc<Entry> {
        let entry = Arc::new(Entry::new(self.classes.len()));
        let Retired { unparked, counters } = {
            let mut registry = self.lock_registry();
            let retired = self.retire_ended(&mut registry);
            registry.entries.push(Arc::clone(&entry));
            retired
        };
        // Outside the registry's lock: the pool may take locks of its own (a production pool
        // wakes a waiting get, which may be looking through the registry meanwhile).
        for capacity in unparked {
            self.parking.unparked(capacity);
        }
        for counters in &counters {
            self.parking.retired(counters);
        }
        entry
    }

    /// Entries that only the registry holds belong to threads that ended: their counts are kept
    /// in `retired`, their parked buffers go to the shared store, their places are freed.
    /// Returns what [`Parking::unparked`] and [`Parking::retired`] are to be told.
    fn retire_ended(&self, registry: &mut Registry) -> Retired {
        let mut unparked = Vec::new();
        let mut ended = Vec::new();
        let Registry { entries, retired } = registry;
        entries.retain(|entry| {
            if Arc::strong_count(entry) > 1 {
                return true;
            }
            // The owner's last use of its slots happened before it dropped its handle (a release);
            // this fence makes them visible here.
            std::sync::atomic::fence(Ordering::Acquire);
            let counters: [u64; COUNTERS] =
                std::array::from_fn(|index| entry.counters[index].load(Ordering::Relaxed));
            for (total, counter) in retired.iter_mut().zip(&counters) {
                *total = total.wrapping_add(*counter);
            }
            ended.push(counters);
            for (slot, class) in entry.slots.iter().zip(self.classes.iter()) {
                let buffer = slot.take();
                if slot.has_place.swap(false, Ordering::Relaxed) {
                    let mut state = class.lock();
                    state.slot_places -= 1;
                    if let Some(buffer) = buffer {
                        unparked.push(buffer.capacity());
                        // Fits: the place just freed is room for it.
                        state.idle.push(buffer);
                    }
                }
            }
            false
        });
        Retired {
            unparked,
            counters: ended,
        }
    }

    /// An idle buffer of `class` from the shared store, for this thread to use: its header moved
    /// to this thread (see [`rebox`]).
    pub fn take_shared(&self, class: usize) -> Option<Box<Vec<u8>>> {
        self.remove_shared(class).map(rebox)
    }

    /// An idle buffer of `class` from the shared store as it is: one to free, or to keep
    /// elsewhere, needs no header of this thread's.
    pub fn remove_shared(&self, class: usize) -> Option<Box<Vec<u8>>> {
        self.classes[class].lock().idle.pop()
    }

    /// Keeps `buffer` in the shared store of `class` if its bound has room; otherwise gives it
    /// back, to be dropped.
    pub fn put_shared(&self, class: usize, buffer: Box<Vec<u8>>) -> Result<(), Box<Vec<u8>>> {
        let shared = &self.classes[class];
        let mut state = shared.lock();
        if state.idle.len() + state.slot_places < shared.max_idle {
            state.idle.push(buffer);
            Ok(())
        } else {
            Err(buffer)
        }
    }

    /// Takes a buffer of `class` parked in any thread's slot (the caller now holds whatever was
    /// reserved for it). `None` in a store whose slots only their owners may take.
    pub fn take_parked_anywhere(&self, class: usize) -> Option<Box<Vec<u8>>> {
        if !P::OTHERS_MAY_TAKE {
            return None;
        }
        let registry = self.lock_registry();
        registry
            .entries
            .iter()
            .find_map(|entry| entry.slots[class].take())
    }

    /// Idle buffers of every class: in the shared stores, and parked in every thread's slots.
    pub fn idle(&self) -> usize {
        let shared: usize = self
            .classes
            .iter()
            .map(|class| class.lock().idle.len())
            .sum();
        let parked = self.each_parked(|_| 1);
        shared + parked
    }

    /// The capacity of every idle buffer, in bytes.
    pub fn idle_bytes(&self) -> usize {
        let shared: usize = self
            .classes
            .iter()
            .map(|class| {
                class
                    .lock()
                    .idle
                    .iter()
                    .map(|b| b.capacity())
                    .sum::<usize>()
            })
            .sum();
        shared + self.each_parked(|slot| slot.capacity.load(Ordering::Relaxed))
    }

    /// The sum of `figure` over the slots that hold a buffer.
    fn each_parked(&self, figure: impl Fn(&Slot) -> usize) -> usize {
        let registry = self.lock_registry();
        registry
            .entries
            .iter()
            .flat_map(|entry| entry.slots.iter())
            .filter(|slot| !slot.parked.load(Ordering::Acquire).is_null())
            .map(figure)
            .sum()
    }

    /// The sum of counter `index` over every thread, including threads that ended.
    pub fn sum(&self, index: usize) -> u64 {
        let registry = self.lock_registry();
        registry
            .entries
            .iter()
            .fold(registry.retired[index], |sum, entry| {
                sum.wrapping_add(entry.counters[index].load(Ordering::Relaxed))
            })
    }

    fn lock_registry(&self) -> MutexGuard<'_, Registry> {
        // Every update under this lock is a single push, swap or fold: a panic cannot leave it
        // half done, so a poisoned lock is used as it is.
        self.registry
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Moves a buffer's header (the `Vec`'s pointer, length and capacity: 24 bytes) into a box this
/// thread allocates, and frees the old box; the bytes themselves stay where they are.
///
/// Why: the allocator packs small blocks that one thread allocates side by side, two headers to a
/// cache line. A buffer that another thread boxed (the constructor's preallocated buffers, those
/// returned to the shared store) may share its header's line with a header a second thread
/// writes on every get (`clear` and `resize` write the length): the two threads then steal the
/// line from each other on every operation. Measured on a fixed pool that preallocated 4 buffers:
/// 9.7-11.8 ns per get+return on two threads, 5.5-6.2 ns without. A buffer on its way from the
/// shared store into a thread's use is re-boxed once (a small allocation, on the slow path), so
/// the headers a thread keeps writing are its own.
#[inline]
#[allow(clippy::boxed_local)] // The old box is the point: it is replaced by one of this thread's.
pub fn rebox(buffer: Box<Vec<u8>>) -> Box<Vec<u8>> {
    Box::new(*buffer)
}

impl<P: Parking> Drop for TieredStore<P> {
    /// Frees every parked buffer now: threads that used the store may keep their entries (they
    /// drop them at their next use of a store, or when they end), but not its memory.
    fn drop(&mut self) {
        for entry in &self.lock_registry().entries {
            for slot in entry.slots.iter() {
                drop(slot.take());
            }
        }
    }
}

impl SharedClass {
    fn lock(&self) -> MutexGuard<'_, ClassState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Puts `buffer` in `slot`, which is empty and holds a place: only its owner stores into it.
#[inline]
fn fill(slot: &Slot, buffer: Box<Vec<u8>>) {
    slot.capacity.store(buffer.capacity(), Ordering::Relaxed);
    // A plain store: only this thread stores into its slot, and the slot is empty (other
    // threads only ever empty it). Release: whoever swaps the buffer out sees its bytes.
    slot.parked.store(Box::into_raw(buffer), Ordering::Release);
}

/// This thread's slots and counters in one store, while [`TieredStore::local`] runs. Two
/// pointers, copied: a cold path that takes it by value gets it in registers, where one that
/// takes `&Local` makes every caller write it to the stack first, rare call or not.
pub struct Local<'a, P: Parking> {
    store: &'a TieredStore<P>,
    entry: &'a Entry,
}

impl<P: Parking> Clone for Local<'_, P> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<P: Parking> Copy for Local<'_, P> {}

impl<P: Parking> Local<'_, P> {
    /// The buffer this thread parked for `class`, if it is still there.
    #[inline]
    pub fn take_parked(&self, class: usize) -> Option<Box<Vec<u8>>> {
        let slot = &self.entry.slots[class];
        if P::OTHERS_MAY_TAKE {
            return slot.take();
        }
        // Only the owner (this thread) touches a live thread's slot in such a store, so a plain
        // load and store do what the swap does, without the locked instruction.
        let parked = slot.parked.load(Ordering::Relaxed);
        if parked.is_null() {
            return None;
        }
        slot.parked.store(ptr::null_mut(), Ordering::Relaxed);
        // SAFETY: a non-null pointer in a slot was made by `Box::into_raw` in `park`; no other
        // thread takes from this slot while its owner (this thread) lives (`OTHERS_MAY_TAKE` is
        // false), and the store of null above ends the slot's ownership: the box is ours, once.
        Some(unsafe { Box::from_raw(parked) })
    }

    /// Parks `buffer` in this thread's slot for `class`, or gives it back when the slot is full or
    /// no place in the bound is free for it.
    #[inline]
    pub fn park(&self, class: usize, buffer: Box<Vec<u8>>) -> Result<(), Box<Vec<u8>>> {
        let slot = &self.entry.slots[class];
        if !slot.parked.load(Ordering::Relaxed).is_null() {
            return Err(buffer);
        }
        if !slot.has_place.load(Ordering::Relaxed) && !(*self).take_place(class) {
            return Err(buffer);
        }
        fill(slot, buffer);
        Ok(())
    }

    /// Like [`Local::park`], but only into a slot that holds its place already (as it does from
    /// the thread's first park on): never a lock, and no cold call to prepare for.
    #[inline]
    pub fn park_in_place(&self, class: usize, buffer: Box<Vec<u8>>) -> Result<(), Box<Vec<u8>>> {
        // No class of that index: not parked (`get` rather than indexing, which would add a
        // panic and its unwinding to every inlined copy).
        let Some(slot) = self.entry.slots.get(class) else {
            return Err(buffer);
        };
        if !slot.parked.load(Ordering::Relaxed).is_null() || !slot.has_place.load(Ordering::Relaxed)
        {
            return Err(buffer);
        }
        fill(slot, buffer);
        Ok(())
    }

    /// Takes a place in the bound of `class` for this thread's slot, if one is free.
    #[cold]
    fn take_place(self, class: usize) -> bool {
        let shared = &self.store.classes[class];
        let mut state = shared.lock();
        let free = state.idle.len() + state.slot_places < shared.max_idle
            && state.slot_places < shared.max_slot_places;
        if free {
            state.slot_places += 1;
            self.entry.slots[class]
                .has_place
                .store(true, Ordering::Relaxed);
        }
        free
    }

    /// Adds `amount` to counter `index`. Only this thread writes its counters, so a plain load
    /// and store cannot lose an update.
    #[inline]
    pub fn add(&self, index: usize, amount: u64) {
        let counter = &self.entry.counters[index];
        counter.store(
            counter.load(Ordering::Relaxed).wrapping_add(amount),
            Ordering::Relaxed,
        );
    }

    /// This thread's counter `index` alone (for figures a thread hands over and resets itself).
    #[inline]
    pub fn get(&self, index: usize) -> u64 {
        self.entry.counters[index].load(Ordering::Relaxed)
    }

    /// Sets this thread's counter `index` (only this thread writes it).
    #[inline]
    pub fn set(&self, index: usize, value: u64) {
        self.entry.counters[index].store(value, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn buffer(capacity: usize) -> Box<Vec<u8>> {
        Box::new(Vec::with_capacity(capacity))
    }

    #[test]
    fn a_parked_buffer_comes_back_to_its_thread() {
        let store = TieredStore::new(1, 4);
        let address = store.local(|local| {
            let buffer = buffer(64);
            let address = buffer.as_ptr();
            local.park(0, buffer).unwrap();
            address
        });
        assert_eq!(store.idle(), 1);
        assert_eq!(store.idle_bytes(), 64);
        let again = store.local(|local| local.take_parked(0)).unwrap();
        assert_eq!(again.as_ptr(), address);
        assert_eq!(store.idle(), 0);
    }

    #[test]
    fn the_bound_counts_slots_and_the_shared_store_together() {
        let store = TieredStore::new(1, 4);
        // One place for the slot (at most half the bound), three in the shared store.
        store.local(|local| local.park(0, buffer(8))).unwrap();
        assert!(
            store.local(|local| local.park(0, buffer(8))).is_err(),
            "slot full"
        );
        for _ in 0..3 {
            store.put_shared(0, buffer(8)).unwrap();
        }
        assert!(store.put_shared(0, buffer(8)).is_err(), "bound reached");
        assert_eq!(store.idle(), 4);
    }

    /// Parking whose slots other threads may empty.
    struct Shared;

    impl Parking for Shared {
        const OTHERS_MAY_TAKE: bool = true;

        fn unparked(&self, _capacity: usize) {}
    }

    #[test]
    fn only_a_store_that_allows_it_lets_another_thread_empty_a_slot() {
        let private = TieredStore::new(1, 4);
        private.local(|local| local.park(0, buffer(8))).unwrap();
        assert!(private.take_parked_anywhere(0).is_none());
        let store = TieredStore::with_parking(1, 4, Shared);
        std::thread::scope(|scope| {
            scope.spawn(|| store.local(|local| local.park(0, buffer(8))).unwrap());
        });
        assert!(store.take_parked_anywhere(0).is_some());
        assert!(store.take_parked_anywhere(0).is_none());
    }

    #[test]
    fn a_thread_that_ended_leaves_its_buffer_to_the_shared_store() {
        let store = TieredStore::new(1, 2);
        std::thread::scope(|scope| {
            scope.spawn(|| {
                store.local(|local| {
                    local.add(0, 5);
                    local.park(0, buffer(8))
                })
            });
        });
        // The scope's thread may still be tearing down; wait until only the registry holds its
        // entry, then register from another thread, which retires it.
        while Arc::strong_count(&store.lock_registry().entries[0]) > 1 {
            std::thread::yield_now();
        }
        std::thread::scope(|scope| {
            scope.spawn(|| store.local(|local| local.add(0, 1)));
        });
        assert!(store.take_shared(0).is_some(), "moved to the shared store");
        assert_eq!(store.sum(0), 6, "its counts kept");
        // Its place was freed: two buffers fit the shared store again.
        store.put_shared(0, buffer(8)).unwrap();
        store.put_shared(0, buffer(8)).unwrap();
    }

    #[test]
    fn counters_sum_every_thread_including_ended_ones() {
        let store = TieredStore::new(0, 1);
        std::thread::scope(|scope| {
            for _ in 0..8 {
                scope.spawn(|| {
                    for _ in 0..1000 {
                        store.local(|local| {
                            local.add(0, 1);
                            local.add(1, 3);
                        });
                    }
                });
            }
        });
        assert_eq!(store.sum(0), 8000);
        assert_eq!(store.sum(1), 24_000);
    }

    #[test]
    fn a_store_made_after_another_was_dropped_gets_an_entry_of_its_own() {
        let first = TieredStore::new(1, 2);
        first.local(|local| local.add(0, 7));
        first.local(|local| local.park(0, buffer(8))).unwrap();
        drop(first); // the thread still holds its entry, and `HOT` points at it
        let second = TieredStore::new(1, 2);
        second.local(|local| local.add(0, 1));
        assert_eq!(second.sum(0), 1);
        assert!(second.local(|local| local.take_parked(0)).is_none());
        second.local(|local| local.park(0, buffer(8))).unwrap();
        assert_eq!(second.idle(), 1);
    }

    #[test]
    fn a_store_used_while_the_thread_ends_still_counts() {
        static STORE: std::sync::OnceLock<TieredStore> = std::sync::OnceLock::new();
        let store = STORE.get_or_init(|| TieredStore::new(1, 4));
        /// Uses the store from its destructor, which may run after `LOCAL`'s.
        struct LastWords;
        impl Drop for LastWords {
            fn drop(&mut self) {
                if let Some(store) = STORE.get() {
                    store.local(|local| local.add(3, 1));
                    let _ = store.local(|local| local.park(0, buffer(8)));
                }
            }
        }
        thread_local! {
            static LAST_WORDS: LastWords = const { LastWords };
        }
        std::thread::spawn(|| {
            store.local(|local| local.add(3, 1));
            LAST_WORDS.with(|_| ());
        })
        .join()
        .unwrap();
        assert_eq!(
            store.sum(3),
            2,
            "counted before and during the thread's end"
        );
    }

    #[test]
    fn rebox_moves_the_header_and_leaves_the_bytes() {
        let buffer = Box::new(vec![1u8, 2, 3]);
        let (header, bytes) = (&*buffer as *const Vec<u8>, buffer.as_ptr());
        let moved = rebox(buffer);
        assert_ne!(&*moved as *const Vec<u8>, header, "a box of its own");
        assert_eq!(moved.as_ptr(), bytes, "the same bytes");
        assert_eq!(*moved, [1, 2, 3]);
    }

    #[test]
    fn two_stores_on_one_thread_stay_apart() {
        let (a, b) = (TieredStore::new(1, 2), TieredStore::new(1, 2));
        a.local(|local| local.add(0, 1));
        b.local(|local| local.add(0, 5));
        a.local(|local| local.add(0, 1));
        assert_eq!((a.sum(0), b.sum(0)), (2, 5));
        a.local(|local| local.park(0, buffer(8))).unwrap();
        assert!(b.local(|local| local.take_parked(0)).is_none());
    }
}
