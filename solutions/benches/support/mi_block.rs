//! A 4 KiB block from mimalloc called directly (the process's global allocator stays the
//! system's), with one byte written: the mimalloc subject of the patterns benchmark and of the
//! examples that repeat its patterns (`hand_off_rounds`, `one_thread_loop`), which include this
//! file by path.

use std::alloc::{GlobalAlloc, Layout};
use std::ptr::NonNull;

/// The block's size: the patterns benchmark's buffer size.
pub const BLOCK: usize = 4096;

const LAYOUT: Layout = match Layout::from_size_align(BLOCK, 8) {
    Ok(layout) => layout,
    Err(_) => panic!("BLOCK is a valid size"),
};

/// A block of `BLOCK` bytes from mimalloc, given back to it when dropped.
pub struct MiBlock(NonNull<u8>);

// SAFETY: the block is plain memory owned by this handle alone; mimalloc frees blocks from any
// thread (a free from another thread goes to the owning heap's delayed-free list).
unsafe impl Send for MiBlock {}

impl MiBlock {
    /// A new block, its first byte written (as the pools' buffers get one byte).
    #[inline(always)]
    pub fn new() -> MiBlock {
        // SAFETY: LAYOUT has a non-zero size.
        let block = unsafe { mimalloc::MiMalloc.alloc(LAYOUT) };
        let Some(block) = NonNull::new(block) else {
            std::alloc::handle_alloc_error(LAYOUT)
        };
        // SAFETY: the block is BLOCK bytes long and ours alone.
        unsafe { block.as_ptr().write(1) };
        MiBlock(block)
    }
}

impl Drop for MiBlock {
    fn drop(&mut self) {
        // SAFETY: the block came from MiMalloc.alloc with LAYOUT and is freed once, here.
        unsafe { mimalloc::MiMalloc.dealloc(self.0.as_ptr(), LAYOUT) };
    }
}
