//! The switchable counting allocator, installed as this test binary's global allocator: it counts
//! while on, forwards to the system allocator while off, and blocks move freely between the two.

use pool_checks::counting::{
    count_allocations, count_buffer_allocations, ensure_counting, without_counting,
    SwitchableCounting,
};
use std::hint::black_box;

#[global_allocator]
static GLOBAL: SwitchableCounting = SwitchableCounting;

// One test function: the switch is process-wide, and tests in one binary run on parallel threads.
#[test]
fn the_switch_counts_while_on_and_hands_blocks_across() {
    counts_while_on_and_not_while_off();
    blocks_cross_the_switch_in_both_directions();
    buffers_are_told_from_bookkeeping();
}

fn buffers_are_told_from_bookkeeping() {
    let (_, split) = count_buffer_allocations(1024, || {
        black_box(vec![0u8; 4096]); // a buffer
        black_box(Box::new([0u64; 16])); // bookkeeping: 128 bytes
        let mut grown = black_box(Vec::<u8>::with_capacity(512)); // bookkeeping, at first
        grown.resize(2048, 1); // regrown into a buffer
        black_box(grown);
    });
    assert_eq!(split.calls.allocations, 4);
    assert_eq!(split.buffers, 2, "{split:?}");
    assert_eq!(split.bookkeeping(), 2);
    assert!(split
        .describe()
        .contains("2 buffer allocation(s) (blocks of 1024 bytes or more)"));
    // Outside the count, nothing is taken for a buffer.
    let (_, after) = count_buffer_allocations(usize::MAX, || black_box(vec![0u8; 4096]));
    assert_eq!(after.buffers, 0);
}

fn counts_while_on_and_not_while_off() {
    ensure_counting().expect("counting is on by default");
    let (_, on) = count_allocations(|| black_box(vec![1u8; 100]));
    assert_eq!(on.allocations, 1);
    let (_, off) = count_allocations(|| without_counting(|| black_box(vec![1u8; 100])));
    assert_eq!(off.allocations, 0);
    ensure_counting().expect("counting is on again afterwards");
}

fn blocks_cross_the_switch_in_both_directions() {
    let counted = black_box(vec![7u8; 1000]);
    let uncounted = without_counting(|| {
        let mut grown = counted; // allocated while counting, regrown and freed while not
        grown.resize(100_000, 8);
        black_box(vec![9u8; 1000])
    });
    let mut uncounted = uncounted;
    uncounted.resize(50_000, 1); // allocated while not counting, regrown while counting
    assert_eq!(uncounted[0], 9);
    drop(uncounted);
}
