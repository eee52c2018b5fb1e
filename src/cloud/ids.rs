//! Deterministic Alibaba-format id generation (§1.5).
//!
//! `prefix-<region code(3)><17 [a-z0-9]>`: the body is derived from a seeded
//! counter through SplitMix64, so the same world spec and call sequence give
//! byte-identical ids. Ids are only drawn in the mutation phase of a call,
//! so failed calls and DryRun never consume the counter.

use serde::{Deserialize, Serialize};

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
        let mut body = String::with_capacity(20);
        body.push_str(code);
        let mut x = (u128::from(a) << 64) | u128::from(b);
        for _ in 0..17 {
            let idx = (x % 36) as usize;
            x /= 36;
            body.push(char::from(ALPHABET.get(idx).copied().unwrap_or(b'0')));
        }
        format!("{prefix}-{body}")
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
}
