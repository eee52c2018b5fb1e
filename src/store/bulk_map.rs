//! Deserializing the world's large id-keyed maps in one bulk build.
//!
//! serde's own `BTreeMap` impl inserts entry by entry: every insert walks the tree comparing
//! string keys, about 1,900 instructions an entry at 10,000 VPCs — a third of loading a state.
//! A state file writes each map in key order, and [`BTreeMap::from_iter`] builds a tree from
//! sorted entries with one comparison per entry. Entries out of order (a hand-edited JSON
//! state) are sorted first; a repeated key keeps its last value, as repeated inserts would.
//! Use as `#[serde(deserialize_with = "crate::store::bulk_map::deserialize")]`.

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

/// Reads a map into a `BTreeMap`, building the tree once from the collected entries.
pub fn deserialize<'de, D, K, V>(d: D) -> Result<BTreeMap<K, V>, D::Error>
where
    D: Deserializer<'de>,
    K: Deserialize<'de> + Ord,
    V: Deserialize<'de>,
{
    struct Entries<K, V>(PhantomData<(K, V)>);

    impl<'de, K: Deserialize<'de> + Ord, V: Deserialize<'de>> Visitor<'de> for Entries<K, V> {
        type Value = BTreeMap<K, V>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a map")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            // The hint comes from the file: cap it like serde's own impls do.
            let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0).min(4096));
            while let Some(entry) = map.next_entry()? {
                entries.push(entry);
            }
            Ok(BTreeMap::from_iter(entries))
        }
    }

    d.deserialize_map(Entries(PhantomData))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize, Debug, PartialEq)]
    struct Holder {
        #[serde(deserialize_with = "deserialize")]
        map: BTreeMap<String, u32>,
    }

    #[test]
    fn sorted_unsorted_and_repeated_keys_match_entry_by_entry_inserts() {
        for text in [
            r#"{"map": {"a": 1, "b": 2, "c": 3}}"#,
            r#"{"map": {"c": 3, "a": 1, "b": 2}}"#,
            r#"{"map": {"a": 9, "b": 2, "a": 1, "c": 3}}"#,
            r#"{"map": {}}"#,
        ] {
            let bulk: Holder = serde_json::from_str(text).unwrap();
            let inner = &text[8..text.len() - 1];
            let plain: BTreeMap<String, u32> = serde_json::from_str(inner).unwrap();
            assert_eq!(bulk.map, plain, "{text}");
        }
        let repeated: Holder = serde_json::from_str(r#"{"map": {"a": 9, "a": 1}}"#).unwrap();
        assert_eq!(repeated.map["a"], 1, "the last value wins, as with inserts");
        assert!(serde_json::from_str::<Holder>(r#"{"map": [1]}"#).is_err());
    }
}
