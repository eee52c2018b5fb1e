//! Byte searches eight bytes at a time (SWAR: SIMD within a register), shared by the hot
//! paths that scan short texts: ARN fields (`:`), JSON strings (`"`, `\`, control characters)
//! in the batch reader and the audit encoder. Every mask here is exact in every byte — no
//! borrow or carry crosses a byte — so a caller may walk all marks, not only the lowest.

const ONES: u64 = u64::from_le_bytes([0x01; 8]);
const LOW7: u64 = u64::from_le_bytes([0x7f; 8]);
const HIGH: u64 = u64::from_le_bytes([0x80; 8]);

/// `chunk` (eight bytes) as a little-endian word: byte `i` is bits `8i..8i+8`.
#[inline(always)]
pub(crate) fn word(chunk: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(chunk);
    u64::from_le_bytes(w)
}

/// The 0–7 bytes of `rest` as one little-endian word, zero above them (two overlapping
/// 4-byte loads from 4 bytes on, instead of a loop per byte).
#[inline(always)]
pub(crate) fn tail_word(rest: &[u8]) -> u64 {
    let n = rest.len();
    if n >= 4 {
        let lo = rest
            .first_chunk::<4>()
            .map_or(0, |c| u32::from_le_bytes(*c));
        let hi = rest.last_chunk::<4>().map_or(0, |c| u32::from_le_bytes(*c));
        u64::from(lo) | (u64::from(hi) << (8 * (n - 4)))
    } else if n >= 2 {
        // The first byte, and the last two as one load (for three bytes the loads overlap in
        // the middle byte, which both put at the same place).
        let first = rest.first().map_or(0, |&b| u64::from(b));
        let last = rest.last_chunk::<2>().map_or(0, |c| u16::from_le_bytes(*c));
        first | (u64::from(last) << (8 * (n - 2)))
    } else {
        rest.first().map_or(0, |&b| u64::from(b))
    }
}

/// Byte equality a word at a time, without a `memcmp` call (the texts compared on the hot
/// paths — keys, ARN fields, pattern segments — are a few dozen bytes, where the call costs
/// more than the comparison): whole words, then the eight bytes ending both texts (overlapping
/// the last whole word), so there is no loop per byte.
#[inline]
pub(crate) fn bytes_equal(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut ca = a.chunks_exact(8);
    let mut cb = b.chunks_exact(8);
    for (x, y) in (&mut ca).zip(&mut cb) {
        if word(x) != word(y) {
            return false;
        }
    }
    if ca.remainder().is_empty() {
        return true;
    }
    match (a.last_chunk::<8>(), b.last_chunk::<8>()) {
        (Some(x), Some(y)) => u64::from_le_bytes(*x) == u64::from_le_bytes(*y),
        _ => tail_word(a) == tail_word(b),
    }
}

/// Bit `i` set where byte `i` of `b` is `x` (first mask) and where it is `y` (second), over
/// the first 64 bytes of `b` (later bytes are not looked at). SSE2 on x86-64: sixteen bytes a
/// step, the last partial block read as the sixteen bytes ending the text (overlapping the
/// previous block) so that no byte past the text is read and no byte is tested one by one.
#[inline]
pub(crate) fn byte_masks64(b: &[u8], x: u8, y: u8) -> (u64, u64) {
    let b = b.get(..64).unwrap_or(b);
    #[cfg(target_arch = "x86_64")]
    {
        let block = |c: &[u8; 16]| mask_block16(c, x, y);
        let n = b.len();
        let (mut mx, mut my) = (0u64, 0u64);
        let mut at = 0;
        while let Some(c) = b.get(at..).and_then(<[u8]>::first_chunk::<16>) {
            let (a, c) = block(c);
            mx |= a << at;
            my |= c << at;
            at += 16;
        }
        if at < n {
            if let Some(c) = b.last_chunk::<16>() {
                // bytes `n - 16 .. n`, of which the first `skip` were in the last block
                let skip = at + 16 - n;
                let (a, c) = block(c);
                mx |= (a >> skip) << at;
                my |= (c >> skip) << at;
            } else {
                let mut buf = [0u8; 16];
                if let Some(head) = buf.get_mut(..n) {
                    head.copy_from_slice(b);
                }
                let (a, c) = block(&buf);
                let real = (1u64 << n) - 1;
                mx = a & real;
                my = c & real;
            }
        }
        (mx, my)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let (mut mx, mut my) = (0u64, 0u64);
        for (i, &c) in b.iter().enumerate() {
            mx |= u64::from(c == x) << i;
            my |= u64::from(c == y) << i;
        }
        (mx, my)
    }
}

/// [`byte_masks64`] of one block of sixteen bytes.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn mask_block16(c: &[u8; 16], x: u8, y: u8) -> (u64, u64) {
    use std::arch::x86_64::{_mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8};
    // SAFETY: SSE2 is part of x86-64, so the intrinsics are available; the load reads the
    // sixteen bytes of `c` and needs no alignment.
    let (mx, my) = unsafe {
        let v = _mm_loadu_si128(c.as_ptr().cast());
        (
            _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(x as i8))),
            _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(y as i8))),
        )
    };
    (u64::from(mx as u16), u64::from(my as u16))
}

/// `chunk` (eight bytes) as a big-endian word: comparing two such words orders their bytes
/// lexicographically.
#[inline(always)]
pub(crate) fn word_be(chunk: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(chunk);
    u64::from_be_bytes(w)
}

/// `0x80` in each byte of `w` below `n` (`1 ≤ n ≤ 0x80`), `0` elsewhere: a byte's low seven
/// bits plus `0x80 − n` stay below `0x80` exactly when they are below `n`, and cannot carry out
/// of the byte; bytes from `0x80` are excluded by their own high bit.
#[inline(always)]
pub(crate) fn below(w: u64, n: u8) -> u64 {
    !(((w & LOW7).wrapping_add(ONES * u64::from(0x80 - n))) | w) & HIGH
}

/// `0x80` in each byte of `w` equal to `c`, `0` elsewhere.
#[inline(always)]
pub(crate) fn equal(w: u64, c: u8) -> u64 {
    below(w ^ (ONES * u64::from(c)), 1)
}

/// The bytes a JSON string cannot hold unescaped: `"`, `\` and control characters. The three
/// tests of [`below`] and [`equal`] share one masking of the low bits and of the high ones.
#[inline(always)]
pub(crate) fn escapes(w: u64) -> u64 {
    let low = w & LOW7;
    // High bit clear exactly in the bytes of `x` (each below 0x80) that are below `n`.
    let clear_below = |x: u64, n: u8| x.wrapping_add(ONES * u64::from(0x80 - n));
    let quote = clear_below(low ^ (ONES * u64::from(b'"')), 1);
    let backslash = clear_below(low ^ (ONES * u64::from(b'\\')), 1);
    !(clear_below(low, 0x20) & quote & backslash | w) & HIGH
}

/// [`escapes`] for one byte.
#[inline(always)]
pub(crate) fn escapes_byte(c: u8) -> bool {
    c == b'"' || c == b'\\' || c < 0x20
}

/// The index of the first byte of `b` that `marks` marks, eight bytes a step; the last few
/// bytes are tested one by one with `hit`, which must agree with `marks`.
#[inline]
pub(crate) fn find(
    b: &[u8],
    marks: impl Fn(u64) -> u64,
    hit: impl Fn(u8) -> bool,
) -> Option<usize> {
    let mut chunks = b.chunks_exact(8);
    let mut done = 0;
    for chunk in &mut chunks {
        let m = marks(word(chunk));
        if m != 0 {
            return Some(done + (m.trailing_zeros() / 8) as usize);
        }
        done += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&c| hit(c))
        .map(|i| done + i)
}

/// Byte offsets of the `:` in `s`, up to `N` of them, and how many there are in all (capped
/// at `N + 1`).
#[inline]
pub(crate) fn colons<const N: usize>(s: &[u8]) -> ([usize; N], usize) {
    let mut at = [0usize; N];
    let mut n = 0usize;
    let mut record = |i: usize, n: &mut usize| {
        if let Some(slot) = at.get_mut(*n) {
            *slot = i;
        }
        *n += 1;
        *n > N
    };
    let mut chunks = s.chunks_exact(8);
    let mut base = 0usize;
    for c in &mut chunks {
        let mut m = equal(word(c), b':');
        while m != 0 {
            if record(base + (m.trailing_zeros() / 8) as usize, &mut n) {
                return (at, n);
            }
            m &= m - 1;
        }
        base += 8;
    }
    for (i, &b) in chunks.remainder().iter().enumerate() {
        if b == b':' && record(base + i, &mut n) {
            return (at, n);
        }
    }
    (at, n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_tail_is_its_bytes_zero_padded() {
        let text = b"abcdefg";
        for n in 0..=7 {
            let mut padded = [0u8; 8];
            padded[..n].copy_from_slice(&text[..n]);
            assert_eq!(
                tail_word(&text[..n]),
                u64::from_le_bytes(padded),
                "{n} bytes"
            );
        }
    }

    proptest! {
        /// Every mark is exact in every byte of the word, and the searches find what a byte
        /// loop finds.
        #[test]
        fn marks_and_searches_agree_with_byte_loops(b in proptest::collection::vec(
            prop_oneof![Just(b'"'), Just(b'\\'), Just(b':'), Just(b'/'), 0u8..0x22, 0x1fu8..=0xff, any::<u8>()],
            0..90,
        )) {
            for chunk in b.chunks_exact(8) {
                let (e, q) = (escapes(word(chunk)), equal(word(chunk), b':'));
                for (i, &c) in chunk.iter().enumerate() {
                    prop_assert_eq!(e >> (8 * i) & 0xff == 0x80, escapes_byte(c));
                    prop_assert_eq!(q >> (8 * i) & 0xff == 0x80, c == b':');
                    prop_assert_eq!(below(word(chunk), 0x80) >> (8 * i) & 0xff == 0x80, c < 0x80);
                }
            }
            prop_assert_eq!(find(&b, escapes, escapes_byte), b.iter().position(|&c| escapes_byte(c)));
            let all: Vec<usize> = b.iter().enumerate().filter(|(_, &c)| c == b':').map(|(i, _)| i).collect();
            for cut in 0..=b.len() {
                let (x, y) = b.split_at(cut);
                prop_assert_eq!(bytes_equal(x, y), x == y);
                prop_assert_eq!(bytes_equal(x, x), true);
                let mut z = x.to_vec();
                if let Some(last) = z.last_mut() {
                    *last ^= 1;
                    prop_assert_eq!(bytes_equal(x, &z), false);
                }
                if let Some(first) = z.first_mut() {
                    *first ^= 1;
                    prop_assert_eq!(bytes_equal(x, &z), x == z.as_slice());
                }
            }
            let (mx, my) = byte_masks64(&b, b':', b'/');
            for (i, &c) in b.iter().take(64).enumerate() {
                prop_assert_eq!(mx >> i & 1 == 1, c == b':', "byte {}", i);
                prop_assert_eq!(my >> i & 1 == 1, c == b'/', "byte {}", i);
            }
            if b.len() < 64 {
                prop_assert_eq!((mx >> b.len(), my >> b.len()), (0, 0));
            }
            let (at, n) = colons::<3>(&b);
            prop_assert_eq!(n, all.len().min(4));
            for (k, i) in all.iter().take(3).enumerate() {
                prop_assert_eq!(at[k], *i);
            }
        }
    }
}
