//! Deterministic Alibaba-format id generation (§1.5).
//!
//! `prefix-<region code(3)><17 [a-z0-9]>`: the body is derived from a seeded
//! counter through SplitMix64, so the same world spec and call sequence give
//! byte-identical ids. Ids are only drawn in the mutation phase of a call,
//! so failed calls and DryRun never consume the counter.

use serde::{Deserialize, Serialize};

/// A resource id, account UID or region name kept as a key of large ordered collections.
///
/// Every id the model draws (`i-`, `eni-`, `sg-` + region code + 17 characters) and every
/// UID and region fits the 24 bytes a [`Key`](crate::store::Key) holds inline, so a B-tree node
/// compares its keys without following a pointer per key: with 100,000 instances, string
/// compares through heap pointers were a fifth of building a world (each a cache miss).
pub type Id = crate::store::Key;

/// 36⁶, the largest power of 36 below 2³².
const DIGITS_6: u32 = 36 * 36 * 36 * 36 * 36 * 36;

const ALPHABET: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";

/// Seeded id generator, part of the serialized world.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdGen {
    /// Seed from the world spec.
    pub seed: u64,
    /// Number of ids drawn so far.
    pub counter: u64,
}

/// SplitMix64's finalizer: a fixed, well-mixed function of `z`. The one mixing function of
/// the project (ids, request ids, the check's PRNG and per-run seeds).
pub fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl IdGen {
    /// A generator starting at counter 0.
    pub fn new(seed: u64) -> Self {
        IdGen { seed, counter: 0 }
    }

    /// Draws the next id: `prefix-` + `code` + 17 base-36 characters.
    pub fn next(&mut self, prefix: &str, code: &str) -> String {
        self.counter = self.counter.wrapping_add(1);
        let a = splitmix64(self.seed ^ self.counter.wrapping_mul(0xD6E8_FEB8_6659_FD93));
        let b = splitmix64(a ^ self.counter);
        let mut id = String::with_capacity(prefix.len() + 1 + code.len() + 17);
        id.push_str(prefix);
        id.push('-');
        id.push_str(code);
        // The 128-bit number a·2⁶⁴ + b, written in base 36 from its lowest digit: six digits
        // per division by 36⁶ (which fits a limb), then six cheap 32-bit steps each.
        let mut x = U128Limbs::new(a, b);
        let mut digits = [0u8; 18];
        for six in digits.chunks_exact_mut(6) {
            let mut rest = x.div_rem(DIGITS_6);
            for d in six {
                *d = ALPHABET.get((rest % 36) as usize).copied().unwrap_or(b'0');
                rest /= 36;
            }
        }
        // ASCII by construction: the check cannot fail.
        id.push_str(std::str::from_utf8(&digits[..17]).unwrap_or_default());
        id
    }
}

/// A 128-bit number as four 32-bit limbs, most significant first. Dividing it by 36 limb by
/// limb keeps every step in 64-bit arithmetic (a multiply and a shift), where `u128 / 36` is a
/// call into the runtime's 128-bit division: drawing an id took ~1,500 instructions that way,
/// and building a world draws two per instance.
struct U128Limbs([u32; 4]);

impl U128Limbs {
    fn new(high: u64, low: u64) -> Self {
        let half = |x: u64, shift: u32| (x >> shift) as u32;
        U128Limbs([half(high, 32), half(high, 0), half(low, 32), half(low, 0)])
    }

    /// Divides by `d` in place and returns the remainder.
    fn div_rem(&mut self, d: u32) -> u32 {
        let d = u64::from(d);
        let mut rem = 0u64;
        for limb in &mut self.0 {
            let cur = (rem << 32) | u64::from(*limb);
            // cur < d·2³², so the quotient fits a limb.
            *limb = (cur / d) as u32;
            rem = cur % d;
        }
        rem as u32
    }
}

/// Validation rule of §1.5: `^<prefix>-[a-z0-9]{6,32}$` (mixed case allowed when `any_case`).
pub fn valid_id(id: &str, prefix: &str, any_case: bool) -> bool {
    let Some(body) = id.strip_prefix(prefix).and_then(|r| r.strip_prefix('-')) else {
        return false;
    };
    (1..=32).contains(&body.len())
        && body.bytes().all(|c| {
            c.is_ascii_digit() || c.is_ascii_lowercase() || (any_case && c.is_ascii_uppercase())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_well_formed() {
        let mut a = IdGen::new(7);
        let mut b = IdGen::new(7);
        let xs: Vec<String> = (0..50).map(|_| a.next("vpc", "bp1")).collect();
        let ys: Vec<String> = (0..50).map(|_| b.next("vpc", "bp1")).collect();
        assert_eq!(xs, ys);
        let mut uniq = xs.clone();
        uniq.sort();
        uniq.dedup();
        assert_eq!(uniq.len(), 50);
        for x in &xs {
            assert!(valid_id(x, "vpc", false), "{x}");
            assert_eq!(x.len(), 4 + 20);
        }
        assert_ne!(IdGen::new(8).next("vpc", "bp1"), xs[0]);
    }

    /// Ids drawn before the limb division existed (u128 `%`/`/`), so saved states and
    /// snapshots keep their ids.
    #[test]
    fn ids_are_unchanged_by_the_limb_division() {
        let mut g = IdGen::new(0);
        let reference = |g: &IdGen, prefix: &str, code: &str| {
            let counter = g.counter.wrapping_add(1);
            let a = splitmix64(g.seed ^ counter.wrapping_mul(0xD6E8_FEB8_6659_FD93));
            let b = splitmix64(a ^ counter);
            let mut body = String::from(code);
            let mut x = (u128::from(a) << 64) | u128::from(b);
            for _ in 0..17 {
                body.push(char::from(ALPHABET[(x % 36) as usize]));
                x /= 36;
            }
            format!("{prefix}-{body}")
        };
        for seed in [0, 1, 42, u64::MAX] {
            g.seed = seed;
            for _ in 0..1000 {
                let want = reference(&g, "eni", "bp1");
                assert_eq!(g.next("eni", "bp1"), want);
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn limb_division_matches_u128(high: u64, low: u64, big in proptest::bool::ANY) {
            let d = if big { DIGITS_6 } else { 36 };
            let mut x = U128Limbs::new(high, low);
            let mut y = (u128::from(high) << 64) | u128::from(low);
            for _ in 0..25 {
                let r = x.div_rem(d);
                proptest::prop_assert_eq!(u128::from(r), y % u128::from(d));
                y /= u128::from(d);
                let got = x.0.iter().fold(0u128, |acc, &l| (acc << 32) | u128::from(l));
                proptest::prop_assert_eq!(got, y);
            }
        }
    }
}
