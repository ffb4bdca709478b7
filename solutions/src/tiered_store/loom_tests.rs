//! The tier's handover protocol, model-checked: loom runs each test below in every interleaving
//! of its threads that its memory model allows (up to a bound on preemptions), and the test
//! checks that every buffer parked ends up in exactly one place: with one thread, in one
//! magazine, or in the shared store. Run with
//!
//! ```text
//! RUSTFLAGS="--cfg loom" cargo test -p solutions --lib --release --target-dir target/loom tiered_store::loom_tests
//! ```
//!
//! (`.ci/run` does.) Each test is the smallest case of one protocol: an owner and another thread
//! emptying the same magazine (the production pool's trim and its reclaiming of leases, the
//! adaptive pool's accounting), one buffer at a time or all at once, and with a second owner
//! before it (whose window the other thread must wait for too); a thread ending while another looks for what ended threads
//! left (every pool's gets); a full stack spilling to the shared store while another thread
//! empties it.

use super::*;
use loom::thread;

/// Parking whose magazines other threads may empty while their owner lives, as the production
/// and adaptive pools' are.
struct OthersMayTake;

impl Parking for OthersMayTake {
    const OTHERS_MAY_TAKE: bool = true;

    fn unparked(&self, _capacities: &[usize]) {}
}

/// A buffer whose one byte tells it apart.
fn marked(mark: u8) -> Box<Vec<u8>> {
    Box::new(vec![mark])
}

/// The marks of `buffers`, sorted.
fn marks(buffers: impl IntoIterator<Item = Box<Vec<u8>>>) -> Vec<u8> {
    let mut marks: Vec<u8> = buffers.into_iter().map(|buffer| buffer[0]).collect();
    marks.sort_unstable();
    marks
}

/// Every buffer still in `store`: the shared store's, then any magazine's.
fn everything_left<P: Parking>(store: &TieredStore<P>) -> Vec<Box<Vec<u8>>> {
    std::iter::from_fn(|| store.remove_shared(0))
        .chain(std::iter::from_fn(|| {
            store.reclaim_ended();
            store.take_parked_anywhere(0)
        }))
        .collect()
}

/// The owner's side of the tests where another thread empties magazines: parks two buffers (its
/// slot's, then one on its stack), then takes back what it still finds; their marks.
fn owner_parks_two_and_takes_back(store: &TieredStore<OthersMayTake>) -> Vec<u8> {
    store.local(|local| {
        local.park(0, marked(1)).expect("a place in the bound");
        local.park(0, marked(2)).expect("a place in the bound");
    });
    marks(store.local(|local| {
        local
            .take_parked(0)
            .into_iter()
            .chain(local.take_stacked(0))
            .collect::<Vec<_>>()
    }))
}

/// Checks that the two buffers ended up in exactly one place each: with the owner, with the
/// other thread, or left in `store`.
fn each_parked_buffer_once(store: &TieredStore<OthersMayTake>, owner: Vec<u8>, other: Vec<u8>) {
    let left = marks(everything_left(store));
    let mut all = [owner.clone(), other.clone(), left.clone()].concat();
    all.sort_unstable();
    assert_eq!(
        all,
        [1, 2],
        "owner {owner:?}, other {other:?}, left {left:?}"
    );
}

/// A model with at most `preemptions` preemptions per run: enough for every race below, and
/// few enough that each test runs in seconds.
fn model(preemptions: usize, test: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(preemptions);
    builder.check(test);
}

#[test]
fn a_buffer_another_thread_may_take_has_one_owner() {
    model(3, || {
        let store = Arc::new(TieredStore::with_parking(1, 8, OthersMayTake));
        let other = {
            let store = Arc::clone(&store);
            thread::spawn(move || {
                std::iter::from_fn(|| store.take_parked_anywhere(0))
                    .take(2)
                    .collect::<Vec<_>>()
            })
        };
        // The owner parks two buffers and takes back what it still finds, while the other
        // thread empties what it can.
        let owner = owner_parks_two_and_takes_back(&store);
        let other = marks(other.join().expect("the other thread ends cleanly"));
        each_parked_buffer_once(&store, owner, other);
    });
}

#[test]
fn a_thread_taking_from_two_owners_waits_for_the_one_inside_its_window() {
    model(2, || {
        let store = Arc::new(TieredStore::with_parking(1, 8, OthersMayTake));
        // This thread is an owner too, with an empty magazine: the first entry the other thread
        // looks at. The second owner parks two buffers and takes back what it finds.
        store.local(|_| ());
        let owner = {
            let store = Arc::clone(&store);
            thread::spawn(move || owner_parks_two_and_takes_back(&store))
        };
        let other: Vec<_> = std::iter::from_fn(|| store.take_parked_anywhere(0))
            .take(2)
            .collect();
        let owner = owner.join().expect("the owner ends cleanly");
        each_parked_buffer_once(&store, owner, marks(other));
    });
}

#[test]
fn a_thread_taking_every_parked_buffer_at_once_shares_none_with_the_owner() {
    model(3, || {
        let store = Arc::new(TieredStore::with_parking(1, 8, OthersMayTake));
        let other = {
            let store = Arc::clone(&store);
            thread::spawn(move || {
                let mut taken = Vec::new();
                store.take_every_parked_anywhere(0, &mut taken);
                taken
            })
        };
        // As above, with the other thread emptying every magazine under one fence.
        let owner = owner_parks_two_and_takes_back(&store);
        let other = marks(other.join().expect("the other thread ends cleanly"));
        each_parked_buffer_once(&store, owner, other);
    });
}

#[test]
fn what_a_thread_that_ended_parked_reaches_another_thread_once() {
    model(3, || {
        let store = Arc::new(TieredStore::new(1, 8));
        let worker = {
            let store = Arc::clone(&store);
            thread::spawn(move || {
                store.local(|local| {
                    local.park(0, marked(1)).expect("a place in the bound");
                    local.park(0, marked(2)).expect("a place in the bound");
                });
                end_this_thread();
            })
        };
        // Meanwhile a get here finds the shared store empty and looks for what threads that
        // ended left, before or after the worker ends.
        let mut seen: Vec<_> = store
            .local(|local| local.take_shared_batch(0, NO_TAG, |more| more.len()))
            .into_iter()
            .collect();
        worker.join().expect("the worker ends cleanly");
        seen.extend(std::iter::from_fn(|| {
            store.local(|local| {
                local
                    .take_shared_batch(0, NO_TAG, |more| more.len())
                    .or_else(|| local.take_stacked(0))
            })
        }));
        assert_eq!(marks(seen), [1, 2], "both came back here, once each");
    });
}

#[test]
fn a_full_stack_spills_while_another_thread_empties_it() {
    model(2, || {
        let store = Arc::new(TieredStore::with_parking(1, 64, OthersMayTake));
        let other = {
            let store = Arc::clone(&store);
            thread::spawn(move || store.take_parked_anywhere(0))
        };
        // A slot and a full stack, then one more: the stack's 4 oldest go to the shared store.
        store.local(|local| {
            for mark in 1..=MAGAZINE as u8 + 1 {
                local.park(0, marked(mark)).expect("a place in the bound");
            }
        });
        let mut seen: Vec<_> = other
            .join()
            .expect("the other thread ends cleanly")
            .into_iter()
            .collect();
        seen.extend(everything_left(&*store));
        let all: Vec<u8> = (1..=MAGAZINE as u8 + 1).collect();
        assert_eq!(marks(seen), all);
    });
}
