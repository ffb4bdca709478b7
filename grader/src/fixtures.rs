//! Broken pools that prove the checks can fail. The grader's own tests grade each one and assert
//! that the check it targets does not pass (`grader/tests/fixtures.rs`).
//!
//! Every fixture is the same simple, correct pool (a `Mutex` around a store and a victim list)
//! with one [`Flaw`] switched on, so that the flaw, and nothing else, is what the check catches.
//! `Flaw::None` is that pool without a flaw: it must pass every check.

use pool_checks::task1::{SyncPoolApi, SyncPoolConfig, Task1};
use pool_checks::{BufferPool, PoolStats, Pooled};
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::thread::ThreadId;

/// One mistake a student's pool can make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flaw {
    /// No mistake: the control that passes everything.
    None,
    /// New buffers come from `Vec::new()`, not from the configured factory.
    IgnoresFactory,
    /// Every get allocates; every returned buffer is dropped.
    NeverReuses,
    /// Buffers are handed out as the previous holder left them.
    NeverResets,
    /// `get_read` zeroes the whole buffer again on every reuse.
    ZeroesReadBuffers,
    /// Buffers are kept however large they grew.
    KeepsOversized,
    /// `warm` does nothing.
    WarmDoesNothing,
    /// `collect` frees every idle buffer at once: no victim cache.
    CollectFreesAtOnce,
    /// `collect` frees nothing.
    CollectNeverFrees,
    /// Buffers are cached per thread only, so one returned on another thread is stranded.
    StrandsOtherThreads,
    /// Dropping the pool leaks its buffers.
    LeaksOnDrop,
    /// Now and then hands out a buffer that another holder still holds (an `unsafe` bug).
    AliasesBuffers,
    /// `warm` locks the store twice and never returns.
    Deadlocks,
    /// `get` spins forever when asked for 10000 bytes or more.
    LoopsForever,
    /// `collect` panics.
    Panics,
    /// `get_read` aborts the process.
    Aborts,
    /// Returning an oversized buffer recurses until the stack overflows.
    OverflowsStack,
}

impl Flaw {
    /// Every fixture.
    pub const ALL: [Flaw; 17] = [
        Flaw::None,
        Flaw::IgnoresFactory,
        Flaw::NeverReuses,
        Flaw::NeverResets,
        Flaw::ZeroesReadBuffers,
        Flaw::KeepsOversized,
        Flaw::WarmDoesNothing,
        Flaw::CollectFreesAtOnce,
        Flaw::CollectNeverFrees,
        Flaw::StrandsOtherThreads,
        Flaw::LeaksOnDrop,
        Flaw::AliasesBuffers,
        Flaw::Deadlocks,
        Flaw::LoopsForever,
        Flaw::Panics,
        Flaw::Aborts,
        Flaw::OverflowsStack,
    ];

    /// What is wrong with it, in one line.
    pub fn description(self) -> &'static str {
        match self {
            Flaw::None => "No mistake: the control that passes everything.",
            Flaw::IgnoresFactory => {
                "New buffers come from `Vec::new()`, not from the configured factory."
            }
            Flaw::NeverReuses => "Every get allocates; every returned buffer is dropped.",
            Flaw::NeverResets => "Buffers are handed out as the previous holder left them.",
            Flaw::ZeroesReadBuffers => "`get_read` zeroes the whole buffer again on every reuse.",
            Flaw::KeepsOversized => "Buffers are kept however large they grew.",
            Flaw::WarmDoesNothing => "`warm` does nothing.",
            Flaw::CollectFreesAtOnce => {
                "`collect` frees every idle buffer at once: no victim cache."
            }
            Flaw::CollectNeverFrees => "`collect` frees nothing.",
            Flaw::StrandsOtherThreads => {
                "Buffers are cached per thread only, so one returned on another thread is stranded."
            }
            Flaw::LeaksOnDrop => "Dropping the pool leaks its buffers.",
            Flaw::AliasesBuffers => {
                "Now and then hands out a buffer that another holder still holds (an `unsafe` bug)."
            }
            Flaw::Deadlocks => "`warm` locks the store twice and never returns.",
            Flaw::LoopsForever => "`get` spins forever when asked for 10000 bytes or more.",
            Flaw::Panics => "`collect` panics.",
            Flaw::Aborts => "`get_read` aborts the process.",
            Flaw::OverflowsStack => {
                "Returning an oversized buffer recurses until the stack overflows."
            }
        }
    }

    /// Its name on the command line (`--fixture NAME`).
    pub fn name(self) -> &'static str {
        match self {
            Flaw::None => "sound",
            Flaw::IgnoresFactory => "ignores-factory",
            Flaw::NeverReuses => "never-reuses",
            Flaw::NeverResets => "never-resets",
            Flaw::ZeroesReadBuffers => "zeroes-read-buffers",
            Flaw::KeepsOversized => "keeps-oversized",
            Flaw::WarmDoesNothing => "warm-does-nothing",
            Flaw::CollectFreesAtOnce => "collect-frees-at-once",
            Flaw::CollectNeverFrees => "collect-never-frees",
            Flaw::StrandsOtherThreads => "strands-other-threads",
            Flaw::LeaksOnDrop => "leaks-on-drop",
            Flaw::AliasesBuffers => "aliases-buffers",
            Flaw::Deadlocks => "deadlocks",
            Flaw::LoopsForever => "loops-forever",
            Flaw::Panics => "panics",
            Flaw::Aborts => "aborts",
            Flaw::OverflowsStack => "overflows-stack",
        }
    }
}

/// The fixtures' implementation of the workshop: every pool it builds has `flaw`.
#[derive(Debug, Clone, Copy)]
pub struct Workshop {
    flaw: Flaw,
}

impl Workshop {
    /// Pools with `flaw`.
    pub fn new(flaw: Flaw) -> Self {
        Workshop { flaw }
    }
}

impl Task1 for Workshop {
    type SyncPool = FlawedPool;

    fn sync_pool(&self, config: SyncPoolConfig) -> FlawedPool {
        FlawedPool {
            flaw: self.flaw,
            config,
            store: Mutex::new(Store::default()),
        }
    }
}

/// A simple correct pool, with one flaw switched on.
pub struct FlawedPool {
    flaw: Flaw,
    config: SyncPoolConfig,
    store: Mutex<Store>,
}

#[derive(Default)]
struct Store {
    fresh: Vec<Box<Vec<u8>>>,
    victims: Vec<Box<Vec<u8>>>,
    /// `StrandsOtherThreads`: buffers by the thread that returned them.
    per_thread: HashMap<ThreadId, Vec<Box<Vec<u8>>>>,
    /// `AliasesBuffers`: buffers out on loan, by address: (capacity, holders).
    on_loan: HashMap<usize, (usize, usize)>,
    /// `AliasesBuffers`: gets so far.
    gets: u64,
}

impl FlawedPool {
    fn lock(&self) -> MutexGuard<'_, Store> {
        self.store
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn create(&self) -> Box<Vec<u8>> {
        if self.flaw == Flaw::IgnoresFactory {
            return Box::default();
        }
        Box::new((self.config.factory)())
    }

    fn take(&self) -> Box<Vec<u8>> {
        let taken = {
            let mut store = self.lock();
            match self.flaw {
                Flaw::NeverReuses => None,
                Flaw::StrandsOtherThreads => store
                    .per_thread
                    .get_mut(&std::thread::current().id())
                    .and_then(Vec::pop),
                _ => store.fresh.pop().or_else(|| store.victims.pop()),
            }
        };
        taken.unwrap_or_else(|| self.create())
    }

    /// `AliasesBuffers`: every 16th get, a second `Vec` over a buffer someone still holds.
    fn alias_of_a_held_buffer(&self) -> Option<Box<Vec<u8>>> {
        let mut store = self.lock();
        store.gets += 1;
        if store.gets % 16 != 0 {
            return None;
        }
        let (&address, loan) = store.on_loan.iter_mut().next()?;
        loan.1 += 1;
        // SAFETY: none; this is deliberately unsound. It reproduces the bug `sync-stress` exists
        // to catch (unsafe code that hands one allocation to two holders), and runs only in an
        // isolated check process started by the grader's own tests. `put` forgets all but the
        // last returned copy, so the memory is freed once.
        Some(Box::new(unsafe {
            Vec::from_raw_parts(address as *mut u8, 0, loan.0)
        }))
    }

    fn lend(&self, buffer: Box<Vec<u8>>) -> Pooled<'_, Self> {
        if self.flaw == Flaw::AliasesBuffers {
            let address = buffer.as_ptr() as usize;
            self.lock().on_loan.insert(address, (buffer.capacity(), 1));
        }
        Pooled::new(self, buffer)
    }
}

impl BufferPool for FlawedPool {
    fn get(&self, capacity: usize) -> Pooled<'_, Self> {
        if self.flaw == Flaw::LoopsForever && capacity >= 10_000 {
            loop {
                std::hint::spin_loop();
            }
        }
        if self.flaw == Flaw::AliasesBuffers {
            if let Some(alias) = self.alias_of_a_held_buffer() {
                return Pooled::new(self, alias);
            }
        }
        let mut buffer = self.take();
        if self.flaw != Flaw::NeverResets {
            buffer.clear();
        }
        buffer.reserve(capacity);
        self.lend(buffer)
    }

    fn get_read(&self, len: usize) -> Pooled<'_, Self> {
        if self.flaw == Flaw::Aborts {
            std::process::abort();
        }
        let mut buffer = self.take();
        if self.flaw == Flaw::ZeroesReadBuffers {
            buffer.clear();
        }
        if self.flaw == Flaw::NeverResets {
            buffer.reserve(len);
        } else {
            buffer.resize(len, 0);
        }
        self.lend(buffer)
    }

    fn put(&self, buffer: Box<Vec<u8>>) {
        let oversized = buffer.capacity() > self.config.max_retained_capacity;
        if oversized && self.flaw == Flaw::OverflowsStack {
            std::hint::black_box(recurse(0));
        }
        if (oversized && self.flaw != Flaw::KeepsOversized) || self.flaw == Flaw::NeverReuses {
            return;
        }
        let mut store = self.lock();
        if self.flaw == Flaw::AliasesBuffers {
            let address = buffer.as_ptr() as usize;
            if let Some(loan) = store.on_loan.get_mut(&address) {
                if loan.1 > 1 {
                    // Another copy is still out: freeing this one too would be a double free.
                    loan.1 -= 1;
                    std::mem::forget(buffer);
                    return;
                }
                store.on_loan.remove(&address);
            }
        }
        if self.flaw == Flaw::StrandsOtherThreads {
            let thread = std::thread::current().id();
            store.per_thread.entry(thread).or_default().push(buffer);
            return;
        }
        store.fresh.push(buffer);
    }

    fn stats(&self) -> PoolStats {
        let store = self.lock();
        PoolStats {
            idle: store.fresh.len() + store.victims.len(),
            ..PoolStats::default()
        }
    }
}

impl SyncPoolApi for FlawedPool {
    fn warm(&self, count: usize) {
        match self.flaw {
            Flaw::WarmDoesNothing => {}
            Flaw::Deadlocks => {
                let _first = self.lock();
                let _second = self.lock();
            }
            _ => {
                let buffers: Vec<Box<Vec<u8>>> = (0..count).map(|_| self.create()).collect();
                self.lock().fresh.extend(buffers);
            }
        }
    }

    fn collect(&self) {
        let mut store = self.lock();
        match self.flaw {
            Flaw::Panics => panic!("the victim list is corrupt (a deliberate fixture panic)"),
            Flaw::CollectNeverFrees => {}
            Flaw::CollectFreesAtOnce => {
                store.fresh.clear();
                store.victims.clear();
            }
            _ => {
                let store = &mut *store;
                std::mem::swap(&mut store.fresh, &mut store.victims);
                store.fresh.clear();
            }
        }
    }
}

impl Drop for FlawedPool {
    fn drop(&mut self) {
        if self.flaw == Flaw::LeaksOnDrop {
            let store = std::mem::take(&mut *self.lock());
            std::mem::forget(store);
        }
    }
}

/// Recurses until the stack overflows (`OverflowsStack`).
#[allow(unconditional_recursion)] // The point of this fixture.
fn recurse(depth: u64) -> u64 {
    let frame = std::hint::black_box([depth; 64]);
    recurse(depth + 1).wrapping_add(frame[3])
}
