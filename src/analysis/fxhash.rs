//! A fast non-cryptographic hasher for the analysis' own tables (automaton state sets, memo
//! keys): the product walks hash millions of short `Vec<u32>` per run, where SipHash dominated
//! the profile. The keys are derived from policy constants by the analysis itself and every
//! table is bounded by a state budget, so collision flooding costs time within that budget at
//! worst, never a wrong answer.

use std::hash::BuildHasherDefault;

/// The engine's Fx hash (rustc's): multiply-rotate per word.
pub use crate::authz::fast::FxHasher;

/// `HashMap` with [`FxHasher`].
pub type FxHashMap<K, V> = std::collections::HashMap<K, V, BuildHasherDefault<FxHasher>>;
/// `HashSet` with [`FxHasher`].
pub type FxHashSet<K> = std::collections::HashSet<K, BuildHasherDefault<FxHasher>>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::Hasher;

    #[test]
    fn distinct_sets_hash_apart_and_tables_work() {
        let mut m: FxHashMap<Vec<u32>, usize> = FxHashMap::default();
        for i in 0..1000u32 {
            m.insert(vec![i, i + 1, i * 7], i as usize);
        }
        assert_eq!(m.len(), 1000);
        assert_eq!(m.get(&vec![5, 6, 35]), Some(&5));
        let h = |v: &[u32]| {
            let mut h = FxHasher::default();
            h.write(&v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>());
            h.finish()
        };
        assert_ne!(h(&[1, 2]), h(&[2, 1]));
        assert_ne!(h(&[1]), h(&[1, 0]));
    }
}
