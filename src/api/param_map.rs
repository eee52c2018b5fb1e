//! `requestParameters` of an audit event: a small JSON object kept as a list of pairs.
//!
//! Why not `serde_json::Map`: with `preserve_order` it is an `IndexMap` hashing every key with
//! SipHash, and each call copied ~10 parameters into one and inserted the five ActionTrail
//! additions. The list copies without hashing; lookups scan at most a few dozen entries. It
//! reads and writes as a JSON object, in insertion order, exactly like the map it replaces.
//! The gateway's own keys (`AcsHost`, `RequestId`, …) are borrowed, not copied, on every call.

use serde::de::{Deserialize, Deserializer};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};
use std::borrow::Cow;

/// An insertion-ordered JSON object with unique keys.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParamMap {
    entries: Vec<(Cow<'static, str>, Value)>,
}

impl ParamMap {
    /// Empty, with room for `n` entries.
    pub fn with_capacity(n: usize) -> ParamMap {
        ParamMap {
            entries: Vec::with_capacity(n),
        }
    }

    /// The value under `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Sets `key` to `value`: in place when the key exists (as `Map::insert` does), at the end
    /// otherwise.
    pub fn insert(&mut self, key: &str, value: Value) {
        match self.entries.iter_mut().find(|(k, _)| k == key) {
            Some((_, v)) => *v = value,
            None => self.entries.push((Cow::Owned(key.to_string()), value)),
        }
    }

    /// [`ParamMap::insert`] for a key known at compile time: the name is borrowed, not copied.
    pub fn insert_static(&mut self, key: &'static str, value: Value) {
        match self.entries.iter_mut().find(|(k, _)| k == key) {
            Some((_, v)) => *v = value,
            None => self.entries.push((Cow::Borrowed(key), value)),
        }
    }

    /// Appends a map's entries. Only for an empty list or keys known to be new: a map's keys
    /// are unique, so nothing is scanned.
    pub fn extend_from(&mut self, map: &Map<String, Value>) {
        debug_assert!(self.entries.is_empty());
        self.entries
            .extend(map.iter().map(|(k, v)| (Cow::Owned(k.clone()), v.clone())));
    }

    /// Adds `key` only when it is absent.
    pub fn insert_if_absent(&mut self, key: &'static str, value: impl FnOnce() -> Value) {
        if self.get(key).is_none() {
            self.entries.push((Cow::Borrowed(key), value()));
        }
    }

    /// The entries in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.entries.iter().map(|(k, v)| (k.as_ref(), v))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// As a `serde_json` object.
    pub fn to_map(&self) -> Map<String, Value> {
        self.entries
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }
}

impl From<&Map<String, Value>> for ParamMap {
    /// The map's entries in its order.
    fn from(map: &Map<String, Value>) -> ParamMap {
        let mut out = ParamMap::with_capacity(map.len());
        out.extend_from(map);
        out
    }
}

impl FromIterator<(String, Value)> for ParamMap {
    /// Later duplicates replace earlier values in place, as collecting into a `Map` does.
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> ParamMap {
        let mut out = ParamMap::default();
        for (k, v) in iter {
            out.insert(&k, v);
        }
        out
    }
}

impl Serialize for ParamMap {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.entries.len()))?;
        for (k, v) in &self.entries {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for ParamMap {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<ParamMap, D::Error> {
        Ok(ParamMap::from(&Map::deserialize(deserializer)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn behaves_like_an_ordered_map() {
        let source: Map<String, Value> = serde_json::from_str(r#"{"b": 1, "a": "x"}"#).unwrap();
        let mut p = ParamMap::from(&source);
        let mut m = source.clone();
        p.insert("a", json!("y"));
        m.insert("a".into(), json!("y"));
        p.insert("c", json!(true));
        m.insert("c".into(), json!(true));
        p.insert_if_absent("b", || json!(9));
        p.insert_if_absent("d", || json!(null));
        m.entry("b").or_insert(json!(9));
        m.entry("d").or_insert(json!(null));
        assert_eq!(p.to_map(), m);
        assert_eq!(
            serde_json::to_string(&p).unwrap(),
            serde_json::to_string(&m).unwrap()
        );
        let back: ParamMap = serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
        assert_eq!(back, p);
        assert_eq!(p.get("a"), Some(&json!("y")));
        assert_eq!(p.len(), 4);
        assert!(!p.is_empty());
        let collected: ParamMap = [("k".to_string(), json!(1)), ("k".to_string(), json!(2))]
            .into_iter()
            .collect();
        assert_eq!(collected.iter().collect::<Vec<_>>(), vec![("k", &json!(2))]);
        // A static key behaves like any other.
        let mut s = ParamMap::default();
        s.insert_static("a", json!(1));
        s.insert("a", json!(2));
        s.insert_static("b", json!(3));
        s.insert_static("b", json!(4));
        assert_eq!(
            s.to_map(),
            serde_json::from_str(r#"{"a": 2, "b": 4}"#).unwrap()
        );
    }
}
