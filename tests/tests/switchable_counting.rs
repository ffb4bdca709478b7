//! The switchable counting allocator, installed as this test binary's global allocator: it counts
//! while on, forwards to the system allocator while off, and blocks move freely between the two.

use pool_checks::counting::{
    count_allocations, ensure_counting, without_counting, SwitchableCounting,
};
use std::hint::black_box;

#[global_allocator]
static GLOBAL: SwitchableCounting = SwitchableCounting;

// One test function: the switch is process-wide, and tests in one binary run on parallel threads.
#[test]
fn the_switch_counts_while_on_and_hands_blocks_across() {
    counts_while_on_and_not_while_off();
    blocks_cross_the_switch_in_both_directions();
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
