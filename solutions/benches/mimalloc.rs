//! The standard workloads with mimalloc as the global allocator: does a modern allocator erase
//! what pooling gains? `cargo bench -p solutions --bench mimalloc`, beside `--bench workloads`
//! (glibc).

use criterion::{criterion_group, criterion_main, Criterion};
use mimalloc::MiMalloc;

#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;

mod support {
    pub mod cases;
}

fn workloads(c: &mut Criterion) {
    support::cases::workloads(c, "mimalloc", false);
}

criterion_group!(benches, workloads);
criterion_main!(benches);
