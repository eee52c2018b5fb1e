//! A string-keyed map whose values are decoded from the snapshot only when used.
//!
//! A `ramsim call` reads the whole state file but touches a handful of records: at 100,000
//! VPCs, decoding every record took over 90 % of the call. A [`LazyMap`] read from a snapshot
//! section ([`codec::LAZY_SECTION`]) holds every key and, per entry, where its value lies in
//! the section; a value is decoded on first use and kept. Maps built in memory or read from
//! JSON hold their values from the start. The methods are `BTreeMap`'s, so the world's code
//! reads the same either way; iteration is in key order.
//!
//! A value that fails to decode (a damaged file) reads as absent, and the first such failure
//! is kept: [`LazyMap::damage`] reports it, and a caller that must not act on a partial world
//! ([`LazyMap::force_all`], a `ramsim call` before it writes) refuses with that error. So a
//! damaged value never panics, and never becomes an answer or a write.

use super::codec::{self, Section, ValueSpan, LAZY_SECTION};
use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, Visitor};
use serde::ser::{self, SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use std::borrow::Borrow;
use std::collections::btree_map::{self, BTreeMap, Entry};
use std::collections::BTreeSet;
use std::fmt;
use std::marker::PhantomData;
use std::sync::{Arc, OnceLock};

/// A string-keyed map in key order whose values may still be undecoded bytes of a snapshot.
pub struct LazyMap<V> {
    entries: BTreeMap<String, Slot<V>>,
    /// The section the undecoded values come from.
    section: Option<Arc<Section>>,
    /// An entry read from the section was replaced or removed since.
    loaded_changed: bool,
    /// For a map read from a section: the keys inserted since (so the new entries are found
    /// without visiting every slot).
    fresh_keys: Option<BTreeSet<String>>,
    /// The first value that failed to decode.
    damage: OnceLock<String>,
}

struct Slot<V> {
    /// Where the value lies in the section (`None`: inserted since the map was read).
    span: Option<ValueSpan>,
    /// The value once decoded (boxed: an undecoded slot stays small).
    value: OnceLock<Box<V>>,
}

impl<V> Slot<V> {
    fn fresh(value: V) -> Slot<V> {
        Slot {
            span: None,
            value: OnceLock::from(Box::new(value)),
        }
    }
}

impl<V: Clone> Clone for Slot<V> {
    fn clone(&self) -> Self {
        Slot {
            span: self.span,
            value: self.value.clone(),
        }
    }
}

impl<V: Clone> Clone for LazyMap<V> {
    fn clone(&self) -> Self {
        LazyMap {
            entries: self.entries.clone(),
            section: self.section.clone(),
            loaded_changed: self.loaded_changed,
            fresh_keys: self.fresh_keys.clone(),
            damage: self.damage.clone(),
        }
    }
}

impl<V> Default for LazyMap<V> {
    fn default() -> Self {
        LazyMap {
            entries: BTreeMap::new(),
            section: None,
            loaded_changed: false,
            fresh_keys: None,
            damage: OnceLock::new(),
        }
    }
}

/// The value of `slot`, decoded now if it was not yet; `None` if it fails to decode (the
/// failure is kept in `damage`).
fn read<'a, V: DeserializeOwned>(
    section: &Option<Arc<Section>>,
    damage: &OnceLock<String>,
    key: &str,
    slot: &'a Slot<V>,
) -> Option<&'a V> {
    if let Some(v) = slot.value.get() {
        return Some(v);
    }
    let (span, section) = (slot.span?, section.as_ref()?);
    match section.decode::<V>(span) {
        Ok(v) => Some(slot.value.get_or_init(|| Box::new(v))),
        Err(e) => {
            let _ = damage.set(format!("entry `{key}` is damaged: {e}"));
            None
        }
    }
}

/// The value of a slot taken out of the map.
fn take<V: DeserializeOwned>(
    section: &Option<Arc<Section>>,
    damage: &OnceLock<String>,
    key: &str,
    slot: Slot<V>,
) -> Option<V> {
    read(section, damage, key, &slot)?;
    slot.value.into_inner().map(|b| *b)
}

impl<V> LazyMap<V> {
    /// An empty map.
    pub fn new() -> Self {
        LazyMap::default()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the map has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// True when `key` has an entry (nothing is decoded).
    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        String: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.entries.contains_key(key)
    }

    /// The keys in order (nothing is decoded).
    pub fn keys(&self) -> btree_map::Keys<'_, String, impl Sized> {
        self.entries.keys()
    }

    /// The first value that failed to decode, as `entry `KEY` is damaged: …`.
    pub fn damage(&self) -> Option<&str> {
        self.damage.get().map(String::as_str)
    }

    /// True unless an entry read from a snapshot was replaced or removed since: counts
    /// derived from the snapshot then still hold for those entries.
    pub fn loaded_intact(&self) -> bool {
        !self.loaded_changed
    }
}

impl<V: DeserializeOwned> LazyMap<V> {
    /// The value of `key`.
    pub fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        String: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let (k, slot) = self.entries.get_key_value(key)?;
        read(&self.section, &self.damage, k, slot)
    }

    /// The value of `key`, to change.
    pub fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        String: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let LazyMap {
            entries,
            section,
            damage,
            ..
        } = self;
        let (k, slot) = entries.get_key_value(key)?;
        read(section, damage, k, slot)?;
        entries.get_mut(key)?.value.get_mut().map(|b| &mut **b)
    }

    /// Sets `key` to `value`; returns the value it replaces.
    pub fn insert(&mut self, key: String, value: V) -> Option<V> {
        let LazyMap {
            entries,
            section,
            loaded_changed,
            fresh_keys,
            damage,
        } = self;
        match entries.entry(key) {
            Entry::Vacant(e) => {
                if let Some(fresh) = fresh_keys {
                    fresh.insert(e.key().clone());
                }
                e.insert(Slot::fresh(value));
                None
            }
            Entry::Occupied(mut e) => {
                let old = std::mem::replace(e.get_mut(), Slot::fresh(value));
                *loaded_changed |= old.span.is_some();
                take(section, damage, e.key(), old)
            }
        }
    }

    /// Removes `key`; returns its key and value.
    pub fn remove_entry<Q>(&mut self, key: &Q) -> Option<(String, V)>
    where
        String: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let (k, slot) = self.entries.remove_entry(key)?;
        self.loaded_changed |= slot.span.is_some();
        if let Some(fresh) = &mut self.fresh_keys {
            fresh.remove::<str>(k.as_str());
        }
        let v = take(&self.section, &self.damage, &k, slot)?;
        Some((k, v))
    }

    /// Removes `key`; returns its value.
    pub fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        String: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.remove_entry(key).map(|(_, v)| v)
    }

    /// The entries in key order.
    pub fn iter(&self) -> Iter<'_, V> {
        Iter {
            inner: self.entries.iter(),
            section: &self.section,
            damage: &self.damage,
        }
    }

    /// The values in key order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + '_ {
        self.iter().map(|(_, v)| v)
    }

    /// The entries in key order, to change.
    pub fn iter_mut(&mut self) -> impl DoubleEndedIterator<Item = (&String, &mut V)> + '_ {
        let (section, damage) = (&self.section, &self.damage);
        self.entries.iter_mut().filter_map(move |(k, slot)| {
            read(section, damage, k, slot)?;
            Some((k, &mut **slot.value.get_mut()?))
        })
    }

    /// The values in key order, to change.
    pub fn values_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut V> + '_ {
        self.iter_mut().map(|(_, v)| v)
    }

    /// The values inserted since the map was read from a snapshot (all values of a map that
    /// was not), in key order.
    pub fn fresh_values(&self) -> Box<dyn Iterator<Item = &V> + '_> {
        fn fresh<V>(slot: &Slot<V>) -> Option<&V> {
            slot.value
                .get()
                .filter(|_| slot.span.is_none())
                .map(|b| &**b)
        }
        match &self.fresh_keys {
            Some(keys) => Box::new(keys.iter().filter_map(|k| fresh(self.entries.get(k)?))),
            None => Box::new(self.entries.values().filter_map(fresh)),
        }
    }

    /// Decodes every value; the first that fails is the error.
    pub fn force_all(&self) -> Result<(), String> {
        for _ in self.iter() {}
        match self.damage() {
            Some(e) => Err(e.to_string()),
            None => Ok(()),
        }
    }

    /// A map read from a lazy section's bytes: the keys now, the values when used.
    fn from_section(bytes: &[u8]) -> Result<Self, codec::Error> {
        let (section, keys) = Section::parse(bytes)?;
        let entries = keys
            .into_iter()
            .map(|(k, span)| {
                let slot = Slot {
                    span: Some(span),
                    value: OnceLock::new(),
                };
                (k, slot)
            })
            .collect();
        Ok(LazyMap {
            entries,
            section: Some(Arc::new(section)),
            loaded_changed: false,
            fresh_keys: Some(BTreeSet::new()),
            damage: OnceLock::new(),
        })
    }
}

/// The entries of a [`LazyMap`] in key order (a value that fails to decode is skipped and
/// kept as the map's damage).
pub struct Iter<'a, V> {
    inner: btree_map::Iter<'a, String, Slot<V>>,
    section: &'a Option<Arc<Section>>,
    damage: &'a OnceLock<String>,
}

impl<'a, V: DeserializeOwned> Iterator for Iter<'a, V> {
    type Item = (&'a String, &'a V);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let (k, slot) = self.inner.next()?;
            if let Some(v) = read(self.section, self.damage, k, slot) {
                return Some((k, v));
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, self.inner.size_hint().1)
    }
}

impl<V: DeserializeOwned> DoubleEndedIterator for Iter<'_, V> {
    fn next_back(&mut self) -> Option<Self::Item> {
        loop {
            let (k, slot) = self.inner.next_back()?;
            if let Some(v) = read(self.section, self.damage, k, slot) {
                return Some((k, v));
            }
        }
    }
}

impl<'a, V: DeserializeOwned> IntoIterator for &'a LazyMap<V> {
    type Item = (&'a String, &'a V);
    type IntoIter = Iter<'a, V>;
    fn into_iter(self) -> Iter<'a, V> {
        self.iter()
    }
}

/// Takes the entries out in key order. A value that fails to decode is skipped, so this is for
/// maps built in memory; check [`LazyMap::force_all`] first on one read from a snapshot.
impl<V: DeserializeOwned + 'static> IntoIterator for LazyMap<V> {
    type Item = (String, V);
    type IntoIter = Box<dyn Iterator<Item = (String, V)>>;
    fn into_iter(self) -> Self::IntoIter {
        let LazyMap {
            entries,
            section,
            damage,
            ..
        } = self;
        Box::new(entries.into_iter().filter_map(move |(k, slot)| {
            let v = take(&section, &damage, &k, slot)?;
            Some((k, v))
        }))
    }
}

impl<V: DeserializeOwned> Extend<(String, V)> for LazyMap<V> {
    fn extend<I: IntoIterator<Item = (String, V)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl<V> FromIterator<(String, V)> for LazyMap<V> {
    fn from_iter<I: IntoIterator<Item = (String, V)>>(iter: I) -> Self {
        BTreeMap::from_iter(iter).into()
    }
}

impl<V> From<BTreeMap<String, V>> for LazyMap<V> {
    fn from(map: BTreeMap<String, V>) -> Self {
        LazyMap {
            entries: map.into_iter().map(|(k, v)| (k, Slot::fresh(v))).collect(),
            ..LazyMap::default()
        }
    }
}

impl<V: DeserializeOwned + PartialEq> PartialEq for LazyMap<V> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl<V: DeserializeOwned + fmt::Debug> fmt::Debug for LazyMap<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// The entries as a plain map, every value decoded (serde's view inside the section marker).
struct Entries<'a, V>(&'a LazyMap<V>);

impl<V: Serialize + DeserializeOwned> Serialize for Entries<'_, V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let map = self.0;
        let mut out = s.serialize_map(Some(map.len()))?;
        for (k, slot) in &map.entries {
            let v = read(&map.section, &map.damage, k, slot)
                .ok_or_else(|| ser::Error::custom(map.damage().unwrap_or("a value is missing")))?;
            out.serialize_entry(k, v)?;
        }
        out.end()
    }
}

/// Written as a map; the snapshot codec writes it as a lazy section, every other format (JSON,
/// the checker's state hashes) sees the map itself.
impl<V: Serialize + DeserializeOwned> Serialize for LazyMap<V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_newtype_struct(LAZY_SECTION, &Entries(self))
    }
}

/// Read from a lazy section (values decoded when used), or from a plain map in one bulk build
/// (JSON, snapshot formats 1 and 2).
impl<'de, V: DeserializeOwned> Deserialize<'de> for LazyMap<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct LazyVisitor<V>(PhantomData<V>);

        impl<'de, V: DeserializeOwned> Visitor<'de> for LazyVisitor<V> {
            type Value = LazyMap<V>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map")
            }

            fn visit_bytes<E: de::Error>(self, bytes: &[u8]) -> Result<LazyMap<V>, E> {
                LazyMap::from_section(bytes).map_err(E::custom)
            }

            fn visit_newtype_struct<D: Deserializer<'de>>(
                self,
                d: D,
            ) -> Result<LazyMap<V>, D::Error> {
                super::bulk_map::deserialize(d).map(LazyMap::from)
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<LazyMap<V>, A::Error> {
                super::bulk_map::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(LazyMap::from)
            }
        }

        d.deserialize_newtype_struct(LAZY_SECTION, LazyVisitor(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct Rec {
        name: String,
        n: u32,
    }

    fn rec(name: &str, n: u32) -> Rec {
        Rec {
            name: name.into(),
            n,
        }
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Holder {
        before: u8,
        map: LazyMap<Rec>,
        after: u8,
    }

    fn holder(pairs: &[(&str, u32)]) -> Holder {
        Holder {
            before: 1,
            map: pairs
                .iter()
                .map(|&(k, n)| (k.to_string(), rec(k, n)))
                .collect(),
            after: 2,
        }
    }

    /// The holder written by the snapshot codec and read back (values undecoded).
    fn reread(h: &Holder) -> Holder {
        let bytes = codec::to_vec(h).unwrap();
        codec::from_slice(&bytes, 64).unwrap()
    }

    #[test]
    fn a_section_reads_back_lazily_and_json_sees_a_plain_map() {
        let h = holder(&[("b", 2), ("a", 1), ("c", 3)]);
        let back = reread(&h);
        assert!(back.map.entries.values().all(|s| s.value.get().is_none()));
        assert_eq!(back.map.len(), 3);
        assert_eq!(back.map.get("b"), Some(&rec("b", 2)));
        assert_eq!(
            back.map
                .entries
                .values()
                .filter(|s| s.value.get().is_some())
                .count(),
            1,
            "only the value read is decoded"
        );
        assert_eq!(back, h);
        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(
            json,
            r#"{"before":1,"map":{"a":{"name":"a","n":1},"b":{"name":"b","n":2},"c":{"name":"c","n":3}},"after":2}"#
        );
        let from_json: Holder = serde_json::from_str(&json).unwrap();
        assert_eq!(from_json, h);
        assert_eq!(codec::to_vec(&back).unwrap(), codec::to_vec(&h).unwrap());
    }

    #[test]
    fn a_map_written_inline_by_format_2_still_reads() {
        #[derive(Serialize)]
        struct Plain {
            before: u8,
            map: BTreeMap<String, Rec>,
            after: u8,
        }
        let plain = Plain {
            before: 1,
            map: [("x".to_string(), rec("x", 9))].into(),
            after: 2,
        };
        let back: Holder = codec::from_slice(&codec::to_vec(&plain).unwrap(), 64).unwrap();
        assert_eq!(back, holder(&[("x", 9)]));
    }

    #[test]
    fn a_damaged_value_reads_as_absent_and_is_reported_never_serialized() {
        let h = holder(&[("a", 1), ("b", 2)]);
        let mut bytes = codec::to_vec(&h).unwrap();
        // The field-name string "n" appears once in each section table; damage the tag of
        // b's value (the last record: a map tag 10 followed by its count 2).
        let at = bytes.iter().rposition(|&b| b == 10).unwrap();
        bytes[at] = 99;
        let back: Holder = codec::from_slice(&bytes, 64).unwrap();
        assert_eq!(back.map.get("a"), Some(&rec("a", 1)));
        assert_eq!(back.map.damage(), None);
        assert_eq!(back.map.get("b"), None);
        assert!(back.map.contains_key("b"), "the key is still there");
        let e = back.map.damage().unwrap();
        assert!(e.starts_with("entry `b` is damaged: unknown tag 99"), "{e}");
        assert!(back.map.force_all().is_err());
        assert!(
            codec::to_vec(&back).is_err(),
            "a damaged map is never written"
        );
        assert!(serde_json::to_string(&back).is_err());
    }

    #[test]
    fn hostile_sections_are_errors() {
        let h = holder(&[("a", 1), ("b", 2)]);
        let bytes = codec::to_vec(&h).unwrap();
        for cut in 0..bytes.len() {
            assert!(codec::from_slice::<Holder>(&bytes[..cut], 64).is_err());
        }
        // Keys out of order (no field name holds a digit).
        let swapped = codec::to_vec(&holder(&[("k1", 1), ("k2", 2)]))
            .unwrap()
            .iter()
            .map(|&b| match b {
                b'1' => b'2',
                b'2' => b'1',
                b => b,
            })
            .collect::<Vec<u8>>();
        let e = codec::from_slice::<Holder>(&swapped, 64).unwrap_err();
        assert!(e.to_string().contains("out of order"), "{e}");
    }

    #[derive(Debug, Clone)]
    enum Op {
        Insert(u8, u32),
        Remove(u8),
        Bump(u8),
        Get(u8),
        Reread,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0u8..12, any::<u32>()).prop_map(|(k, n)| Op::Insert(k, n)),
            (0u8..12).prop_map(Op::Remove),
            (0u8..12).prop_map(Op::Bump),
            (0u8..12).prop_map(Op::Get),
            Just(Op::Reread),
        ]
    }

    proptest! {
        /// Every operation answers as on a `BTreeMap`, whether values were read lazily from a
        /// section or not, and the derived-count bookkeeping holds.
        #[test]
        fn behaves_as_a_btree_map(ops in proptest::collection::vec(op(), 0..60)) {
            let mut model: BTreeMap<String, Rec> = BTreeMap::new();
            let mut lazy = Holder { before: 0, map: LazyMap::new(), after: 0 };
            let mut loaded: BTreeMap<String, Rec> = BTreeMap::new();
            for op in ops {
                match op {
                    Op::Insert(k, n) => {
                        let k = format!("k{k}");
                        prop_assert_eq!(lazy.map.insert(k.clone(), rec(&k, n)), model.insert(k.clone(), rec(&k, n)));
                    }
                    Op::Remove(k) => {
                        let k = format!("k{k}");
                        prop_assert_eq!(lazy.map.remove(&k), model.remove(&k));
                    }
                    Op::Bump(k) => {
                        let k = format!("k{k}");
                        if let Some(v) = lazy.map.get_mut(&k) { v.n = v.n.wrapping_add(1); }
                        if let Some(v) = model.get_mut(&k) { v.n = v.n.wrapping_add(1); }
                    }
                    Op::Get(k) => {
                        let k = format!("k{k}");
                        prop_assert_eq!(lazy.map.get(&k), model.get(&k));
                    }
                    Op::Reread => {
                        lazy = reread(&lazy);
                        loaded = model.clone();
                    }
                }
                prop_assert_eq!(lazy.map.len(), model.len());
                prop_assert!(lazy.map.iter().eq(model.iter()));
                prop_assert!(lazy.map.values().rev().eq(model.values().rev()));
                if lazy.map.loaded_intact() {
                    // Entries read from the section are all still there, unreplaced.
                    let fresh: Vec<&Rec> = lazy.map.fresh_values().collect();
                    prop_assert_eq!(fresh.len() + loaded.len(), model.len());
                    prop_assert!(loaded.keys().all(|k| model.contains_key(k)));
                }
            }
            prop_assert_eq!(lazy.map.damage(), None);
        }
    }
}
