//! The process allocator of the `ramsim` binary and its benchmarks: mimalloc, entered through
//! its plain `mi_malloc` path whenever the layout allows it.
//!
//! The `mimalloc` crate sends every allocation through `mi_malloc_aligned`, whose alignment
//! bookkeeping was ~8 % of the gateway's instructions (callgrind, BENCHMARKS.md). Every
//! mimalloc block is at least word-aligned (its smallest size class is one word and classes are
//! whole words), so layouts aligned to at most a word need none of it — almost every allocation
//! Rust makes (strings, vectors, boxes of word-sized fields). Larger alignments take the aligned
//! entry points: a 24-byte block, for one, is only word-aligned.

use core::alloc::{GlobalAlloc, Layout};
use core::ffi::c_void;

/// Alignment every `mi_malloc` block has (`MI_INTPTR_SIZE`: one machine word).
const GUARANTEED_ALIGN: usize = core::mem::size_of::<usize>();

/// mimalloc as a [`GlobalAlloc`], skipping the aligned path where the layout does not need it.
pub struct Allocator;

/// Whether `mi_malloc`'s natural alignment already satisfies `layout`.
#[inline]
fn plain(layout: &Layout) -> bool {
    layout.align() <= GUARANTEED_ALIGN
}

// SAFETY: every pointer handed out comes from mimalloc and is released or resized by mimalloc;
// the plain entry points are used only for layouts their alignment guarantee covers.
unsafe impl GlobalAlloc for Allocator {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if plain(&layout) {
            libmimalloc_sys::mi_malloc(layout.size()) as *mut u8
        } else {
            libmimalloc_sys::mi_malloc_aligned(layout.size(), layout.align()) as *mut u8
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if plain(&layout) {
            libmimalloc_sys::mi_zalloc(layout.size()) as *mut u8
        } else {
            libmimalloc_sys::mi_zalloc_aligned(layout.size(), layout.align()) as *mut u8
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        libmimalloc_sys::mi_free(ptr as *mut c_void);
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // The block keeps `layout.align()`.
        if plain(&layout) {
            libmimalloc_sys::mi_realloc(ptr as *mut c_void, new_size) as *mut u8
        } else {
            libmimalloc_sys::mi_realloc_aligned(ptr as *mut c_void, new_size, layout.align())
                as *mut u8
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every layout shape, allocated, written, resized and freed through the allocator, comes
    /// back aligned as asked, with its bytes kept by a resize.
    #[test]
    fn honours_every_alignment() {
        let a = Allocator;
        for align in [1usize, 2, 4, 8, 16, 32, 64, 4096] {
            for size in [1usize, 3, 8, 15, 16, 17, 100, 4096, 100_000] {
                let layout = Layout::from_size_align(size, align).expect("valid layout");
                for new_size in [1usize, size, size * 2 + 1] {
                    // SAFETY: each block is used within its size and freed once with its layout.
                    unsafe {
                        let p = a.alloc(layout);
                        assert!(!p.is_null());
                        assert_eq!(p as usize % align, 0, "alloc {size}/{align}");
                        p.write_bytes(0xAB, size);
                        let q = a.realloc(p, layout, new_size);
                        assert_eq!(q as usize % align, 0, "realloc {size}->{new_size}/{align}");
                        let kept = size.min(new_size);
                        assert!(std::slice::from_raw_parts(q, kept)
                            .iter()
                            .all(|b| *b == 0xAB));
                        a.dealloc(q, Layout::from_size_align(new_size, align).unwrap());
                    }
                }
                // SAFETY: as above.
                unsafe {
                    let z = a.alloc_zeroed(layout);
                    assert_eq!(z as usize % align, 0, "zalloc {size}/{align}");
                    assert!(std::slice::from_raw_parts(z, size).iter().all(|b| *b == 0));
                    a.dealloc(z, layout);
                }
            }
        }
    }
}
