//! A string-keyed map whose values are decoded from the snapshot only when used.
//!
//! A `ramsim call` reads the whole state file but touches a handful of records: at 100,000
//! VPCs, decoding every record took over 90 % of the call, and then building a B-tree of every
//! key most of what was left. A [`LazyMap`] read from a snapshot section ([`codec::Section`])
//! keeps the section as it was read: a key is found by binary search over the section's
//! sorted entries and its value is decoded on first use and kept. What changes afterwards —
//! entries inserted, replaced or removed — lives beside it: a B-tree of the entries written
//! since and a set of the section's entries that are gone. Maps built in memory or read from
//! JSON are just that B-tree. The methods are `BTreeMap`'s (keys borrowed as `&str`), so the
//! world's code reads the same either way; iteration is in key order.
//!
//! A value that fails to decode (a damaged file) reads as absent, and the first such failure
//! is kept: [`LazyMap::damage`] reports it, and a caller that must not act on a partial world
//! ([`LazyMap::force_all`], a `ramsim call` before it writes) refuses with that error. So a
//! damaged value never panics, and never becomes an answer or a write. The same holds for a
//! key that cannot be read or is out of order (checked when the map is iterated).

use super::codec::{self, Section, LAZY_SECTION};
use super::{Key, KeyStr};
use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, Visitor};
use serde::ser::{self, SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use std::collections::btree_map::{self, BTreeMap};
use std::fmt;
use std::marker::PhantomData;
use std::sync::{Arc, OnceLock};

/// A string-keyed map in key order whose values may still be undecoded bytes of a snapshot.
pub struct LazyMap<V> {
    /// The entries read from a snapshot section.
    loaded: Option<Loaded<V>>,
    /// The entries inserted since the map was read (all entries of a map that was not). A key
    /// here that the section also holds has its section entry marked gone.
    fresh: BTreeMap<Key, V>,
    /// The first value or key that failed to decode.
    damage: OnceLock<String>,
}

/// A section's entries and what became of them.
struct Loaded<V> {
    section: Arc<Section>,
    /// Each entry's value once decoded (boxed: an undecoded slot stays small).
    slots: Box<[OnceLock<Box<V>>]>,
    /// Entries removed or replaced since the load, one bit each (empty until the first).
    gone: Vec<u64>,
    gone_count: usize,
}

/// Bit `i` of `bits`.
fn bit(bits: &[u64], i: usize) -> bool {
    bits.get(i / 64).is_some_and(|w| w >> (i % 64) & 1 == 1)
}

impl<V> Loaded<V> {
    fn is_gone(&self, i: usize) -> bool {
        bit(&self.gone, i)
    }

    fn mark_gone(&mut self, i: usize) {
        if self.gone.is_empty() {
            self.gone = vec![0; self.slots.len().div_ceil(64)];
        }
        self.gone[i / 64] |= 1 << (i % 64);
        self.gone_count += 1;
    }

    /// The live entry whose key is `key`.
    fn find(&self, key: &str) -> Option<usize> {
        self.section
            .find(key.as_bytes())
            .filter(|&i| !self.is_gone(i))
    }
}

impl<V: Clone> Clone for Loaded<V> {
    fn clone(&self) -> Self {
        Loaded {
            section: Arc::clone(&self.section),
            slots: self.slots.clone(),
            gone: self.gone.clone(),
            gone_count: self.gone_count,
        }
    }
}

impl<V: Clone> Clone for LazyMap<V> {
    fn clone(&self) -> Self {
        LazyMap {
            loaded: self.loaded.clone(),
            fresh: self.fresh.clone(),
            damage: self.damage.clone(),
        }
    }
}

impl<V> Default for LazyMap<V> {
    fn default() -> Self {
        LazyMap {
            loaded: None,
            fresh: BTreeMap::new(),
            damage: OnceLock::new(),
        }
    }
}

/// The value of section entry `i`, decoded now if it was not yet; `None` if it fails to
/// decode (the failure is kept in `damage`).
fn read<'a, V: DeserializeOwned>(
    section: &Section,
    slot: &'a OnceLock<Box<V>>,
    damage: &OnceLock<String>,
    i: usize,
) -> Option<&'a V> {
    if let Some(v) = slot.get() {
        return Some(v);
    }
    match section.decode::<V>(i) {
        Ok(v) => Some(slot.get_or_init(|| Box::new(v))),
        Err(e) => {
            let key = section.key(i).unwrap_or("?");
            let _ = damage.set(format!("entry `{key}` is damaged: {e}"));
            None
        }
    }
}

/// Section entry `i`'s key; `None` if it cannot be read (kept as damage).
fn key_of<'a>(section: &'a Section, damage: &OnceLock<String>, i: usize) -> Option<&'a str> {
    match section.key(i) {
        Ok(k) => Some(k),
        Err(e) => {
            let _ = damage.set(format!("a key is damaged: {e}"));
            None
        }
    }
}

impl<V> LazyMap<V> {
    /// An empty map.
    pub fn new() -> Self {
        LazyMap::default()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        let loaded = self
            .loaded
            .as_ref()
            .map_or(0, |l| l.slots.len() - l.gone_count);
        loaded + self.fresh.len()
    }

    /// True when the map has no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True when `key` has an entry (nothing is decoded).
    pub fn contains_key(&self, key: &str) -> bool {
        self.fresh.contains_key(KeyStr::new(key))
            || self.loaded.as_ref().is_some_and(|l| l.find(key).is_some())
    }

    /// The first damage met: a value or key that failed to decode (`entry `KEY` is damaged:
    /// …`, `a key is damaged: …`) or keys out of order (`the section is damaged: …`).
    pub fn damage(&self) -> Option<&str> {
        self.damage.get().map(String::as_str)
    }

    /// True unless an entry read from a snapshot was replaced or removed since: counts
    /// derived from the snapshot then still hold for those entries.
    pub fn loaded_intact(&self) -> bool {
        self.loaded.as_ref().is_none_or(|l| l.gone_count == 0)
    }

    /// The values inserted since the map was read from a snapshot (all values of a map that
    /// was not), in key order.
    pub fn fresh_values(&self) -> btree_map::Values<'_, Key, V> {
        self.fresh.values()
    }

    /// The keys in order (nothing is decoded).
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &str> + '_ {
        Merge::new(self).map(|(k, _)| k)
    }
}

impl<V: DeserializeOwned> LazyMap<V> {
    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&V> {
        if let Some(v) = self.fresh.get(KeyStr::new(key)) {
            return Some(v);
        }
        let l = self.loaded.as_ref()?;
        let i = l.find(key)?;
        read(&l.section, &l.slots[i], &self.damage, i)
    }

    /// The value of `key`, to change.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut V> {
        if self.fresh.contains_key(KeyStr::new(key)) {
            return self.fresh.get_mut(KeyStr::new(key));
        }
        let l = self.loaded.as_mut()?;
        let i = l.find(key)?;
        read(&l.section, &l.slots[i], &self.damage, i)?;
        l.slots[i].get_mut().map(|b| &mut **b)
    }

    /// Takes section entry `i` out of the map: its value, if it decodes.
    fn take_loaded(&mut self, i: usize) -> Option<V> {
        let l = self.loaded.as_mut()?;
        l.mark_gone(i);
        read(&l.section, &l.slots[i], &self.damage, i)?;
        l.slots[i].take().map(|b| *b)
    }

    /// Sets `key` to `value`; returns the value it replaces.
    pub fn insert(&mut self, key: String, value: V) -> Option<V> {
        let in_section = match &self.loaded {
            Some(l) if !self.fresh.contains_key(KeyStr::new(&key)) => l.find(&key),
            _ => None,
        };
        let old = in_section.and_then(|i| self.take_loaded(i));
        self.fresh.insert(Key::from(key), value).or(old)
    }

    /// Removes `key`; returns its key and value.
    pub fn remove_entry(&mut self, key: &str) -> Option<(String, V)> {
        if let Some((k, v)) = self.fresh.remove_entry(KeyStr::new(key)) {
            return Some((String::from(k), v));
        }
        let i = self.loaded.as_ref()?.find(key)?;
        let v = self.take_loaded(i)?;
        Some((key.to_string(), v))
    }

    /// Removes `key`; returns its value.
    pub fn remove(&mut self, key: &str) -> Option<V> {
        self.remove_entry(key).map(|(_, v)| v)
    }

    /// The entries in key order.
    pub fn iter(&self) -> Iter<'_, V> {
        Iter {
            merge: Merge::new(self),
        }
    }

    /// The values in key order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + '_ {
        self.iter().map(|(_, v)| v)
    }

    /// The entries in key order, to change (every value is decoded first).
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&str, &mut V)> + '_ {
        self.force_all_quietly();
        let LazyMap { loaded, fresh, .. } = self;
        let mut section_side = match loaded {
            Some(l) => {
                let Loaded {
                    section,
                    slots,
                    gone,
                    ..
                } = l;
                let gone = &*gone;
                let section = &**section;
                Some(slots.iter_mut().enumerate().filter_map(move |(i, slot)| {
                    if bit(gone, i) {
                        return None;
                    }
                    Some((section.key(i).ok()?, &mut **slot.get_mut()?))
                }))
            }
            None => None,
        }
        .into_iter()
        .flatten()
        .peekable();
        let mut fresh_side = fresh.iter_mut().peekable();
        std::iter::from_fn(move || {
            let take_fresh = match (section_side.peek(), fresh_side.peek()) {
                (Some((a, _)), Some((b, _))) => b.as_str() < *a,
                (None, Some(_)) => true,
                (_, None) => false,
            };
            if take_fresh {
                fresh_side.next().map(|(k, v)| (k.as_str(), v))
            } else {
                section_side.next()
            }
        })
    }

    /// The values in key order, to change.
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> + '_ {
        self.iter_mut().map(|(_, v)| v)
    }

    fn force_all_quietly(&self) {
        for _ in self.iter() {}
    }

    /// Decodes every value (and checks every key and the keys' order); the first that fails
    /// is the error.
    pub fn force_all(&self) -> Result<(), String> {
        self.force_all_quietly();
        match self.damage() {
            Some(e) => Err(e.to_string()),
            None => Ok(()),
        }
    }

    /// A map read from a lazy section's bytes: the values when used.
    fn from_section(bytes: &[u8]) -> Result<Self, codec::Error> {
        let section = Section::parse(bytes)?;
        let slots = (0..section.len()).map(|_| OnceLock::new()).collect();
        Ok(LazyMap {
            loaded: Some(Loaded {
                section: Arc::new(section),
                slots,
                gone: Vec::new(),
                gone_count: 0,
            }),
            fresh: BTreeMap::new(),
            damage: OnceLock::new(),
        })
    }
}

/// The live section entries and the fresh entries of a map, merged in key order, from both
/// ends. A section key that cannot be read, or is not after the one before it (only in a
/// forged file), is skipped and kept as the map's damage.
struct Merge<'a, V> {
    map: &'a LazyMap<V>,
    /// The section entries not yet visited: `front..back`.
    front: usize,
    back: usize,
    /// The last section key yielded from each end (indexed by [`End`]).
    last: [Option<&'a str>; 2],
    fresh: btree_map::Iter<'a, Key, V>,
    /// A fresh entry taken from `fresh` but not yet yielded, at each end.
    peeked: [Option<(&'a Key, &'a V)>; 2],
}

/// The end of a [`Merge`] an entry is taken from.
#[derive(Clone, Copy)]
enum End {
    Front = 0,
    Back = 1,
}

impl End {
    /// True when key `a` comes before key `b` read from this end.
    fn before(self, a: &str, b: &str) -> bool {
        match self {
            End::Front => a < b,
            End::Back => a > b,
        }
    }
}

/// One entry of a [`Merge`]: a section entry (by index) or a fresh one.
enum Side<'a, V> {
    Section(usize),
    Fresh(&'a V),
}

impl<'a, V> Merge<'a, V> {
    fn new(map: &'a LazyMap<V>) -> Self {
        Merge {
            map,
            front: 0,
            back: map.loaded.as_ref().map_or(0, |l| l.slots.len()),
            last: [None; 2],
            fresh: map.fresh.iter(),
            peeked: [None; 2],
        }
    }

    /// Marks section entry `i`, the next one at `end`, visited.
    fn consume(&mut self, end: End, i: usize) {
        match end {
            End::Front => self.front = i + 1,
            End::Back => self.back = i,
        }
    }

    /// The next live section entry at `end`, with its key (not yet consumed).
    fn section_entry(&mut self, end: End) -> Option<(usize, &'a str)> {
        let l = self.map.loaded.as_ref()?;
        while self.front < self.back {
            let i = match end {
                End::Front => self.front,
                End::Back => self.back - 1,
            };
            if !l.is_gone(i) {
                if let Some(k) = key_of(&l.section, &self.map.damage, i) {
                    if self.last[end as usize].is_none_or(|last| end.before(last, k)) {
                        return Some((i, k));
                    }
                    let _ = self.map.damage.set(format!(
                        "the section is damaged: its keys are out of order at `{k}`"
                    ));
                }
            }
            self.consume(end, i);
        }
        None
    }

    /// The next entry at `end`.
    fn step(&mut self, end: End) -> Option<(&'a str, Side<'a, V>)> {
        let (e, other) = (end as usize, 1 - end as usize);
        let fresh = match self.peeked[e].take() {
            Some(f) => Some(f),
            None => match end {
                End::Front => self.fresh.next(),
                End::Back => self.fresh.next_back(),
            }
            .or_else(|| self.peeked[other].take()),
        };
        match (self.section_entry(end), fresh) {
            // The section entry stays for the next step.
            (Some((_, k)), Some((fk, fv))) if end.before(fk, k) => {
                Some((fk.as_str(), Side::Fresh(fv)))
            }
            (Some((i, k)), fresh) => {
                self.peeked[e] = fresh;
                self.consume(end, i);
                self.last[e] = Some(k);
                Some((k, Side::Section(i)))
            }
            (None, Some((fk, fv))) => Some((fk.as_str(), Side::Fresh(fv))),
            (None, None) => None,
        }
    }
}

impl<'a, V> Iterator for Merge<'a, V> {
    type Item = (&'a str, Side<'a, V>);

    fn next(&mut self) -> Option<Self::Item> {
        self.step(End::Front)
    }
}

impl<V> DoubleEndedIterator for Merge<'_, V> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.step(End::Back)
    }
}

/// The entries of a [`LazyMap`] in key order (a value that fails to decode is skipped and
/// kept as the map's damage).
pub struct Iter<'a, V> {
    merge: Merge<'a, V>,
}

impl<'a, V: DeserializeOwned> Iter<'a, V> {
    fn value(&self, side: Side<'a, V>) -> Option<&'a V> {
        match side {
            Side::Fresh(v) => Some(v),
            Side::Section(i) => {
                let map = self.merge.map;
                let l = map.loaded.as_ref()?;
                read(&l.section, &l.slots[i], &map.damage, i)
            }
        }
    }
}

impl<'a, V: DeserializeOwned> Iterator for Iter<'a, V> {
    type Item = (&'a str, &'a V);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let (k, side) = self.merge.next()?;
            if let Some(v) = self.value(side) {
                return Some((k, v));
            }
        }
    }
}

impl<V: DeserializeOwned> DoubleEndedIterator for Iter<'_, V> {
    fn next_back(&mut self) -> Option<Self::Item> {
        loop {
            let (k, side) = self.merge.next_back()?;
            if let Some(v) = self.value(side) {
                return Some((k, v));
            }
        }
    }
}

impl<'a, V: DeserializeOwned> IntoIterator for &'a LazyMap<V> {
    type Item = (&'a str, &'a V);
    type IntoIter = Iter<'a, V>;
    fn into_iter(self) -> Iter<'a, V> {
        self.iter()
    }
}

/// Takes the entries out in key order. A value that fails to decode is skipped, so this is for
/// maps built in memory; check [`LazyMap::force_all`] first on one read from a snapshot.
impl<V: DeserializeOwned> IntoIterator for LazyMap<V> {
    type Item = (String, V);
    type IntoIter = std::vec::IntoIter<(String, V)>;
    fn into_iter(mut self) -> Self::IntoIter {
        let order: Vec<(String, Option<usize>)> = Merge::new(&self)
            .map(|(k, side)| {
                let i = match side {
                    Side::Section(i) => Some(i),
                    Side::Fresh(_) => None,
                };
                (k.to_string(), i)
            })
            .collect();
        let mut fresh = std::mem::take(&mut self.fresh);
        let mut out = Vec::with_capacity(order.len());
        for (k, i) in order {
            let v = match (i, &mut self.loaded) {
                (Some(i), Some(l)) => read(&l.section, &l.slots[i], &self.damage, i)
                    .is_some()
                    .then(|| l.slots[i].take().map(|b| *b))
                    .flatten(),
                _ => fresh.remove(KeyStr::new(&k)),
            };
            if let Some(v) = v {
                out.push((k, v));
            }
        }
        out.into_iter()
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
        LazyMap {
            fresh: iter.into_iter().map(|(k, v)| (Key::from(k), v)).collect(),
            ..LazyMap::default()
        }
    }
}

impl<V> From<BTreeMap<String, V>> for LazyMap<V> {
    fn from(fresh: BTreeMap<String, V>) -> Self {
        LazyMap {
            fresh: fresh.into_iter().map(|(k, v)| (Key::from(k), v)).collect(),
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
        for (k, v) in map.iter() {
            if let Some(e) = map.damage() {
                return Err(ser::Error::custom(e));
            }
            out.serialize_entry(k, v)?;
        }
        if let Some(e) = map.damage() {
            return Err(ser::Error::custom(e));
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
        let slots = |m: &LazyMap<Rec>| -> Vec<bool> {
            m.loaded
                .as_ref()
                .unwrap()
                .slots
                .iter()
                .map(|s| s.get().is_some())
                .collect()
        };
        assert_eq!(slots(&back.map), [false; 3]);
        assert_eq!(back.map.len(), 3);
        assert_eq!(back.map.get("b"), Some(&rec("b", 2)));
        assert_eq!(
            slots(&back.map),
            [false, true, false],
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
    fn sections_read_from_a_shared_buffer_keep_it_instead_of_a_copy() {
        let h = holder(&[("a", 1), ("b", 2)]);
        let buf = Arc::new(codec::to_vec(&h).unwrap());
        let back: Holder = codec::from_shared(&buf, 0, 64).unwrap();
        assert_eq!(Arc::strong_count(&buf), 2, "the section holds the buffer");
        assert_eq!(back, h);
        drop(back);
        assert_eq!(Arc::strong_count(&buf), 1);
        let copied: Holder = codec::from_slice(&buf, 64).unwrap();
        assert_eq!(Arc::strong_count(&buf), 1, "a slice's section is a copy");
        assert_eq!(copied, h);
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
        // Keys out of order (no field name holds a digit): a lookup may miss, and reading
        // the whole map reports it.
        let swapped = codec::to_vec(&holder(&[("k1", 1), ("k2", 2)]))
            .unwrap()
            .iter()
            .map(|&b| match b {
                b'1' => b'2',
                b'2' => b'1',
                b => b,
            })
            .collect::<Vec<u8>>();
        let back = codec::from_slice::<Holder>(&swapped, 64).unwrap();
        let e = back.map.force_all().unwrap_err();
        assert!(e.contains("out of order at `k1`"), "{e}");
        assert!(codec::to_vec(&back).is_err(), "never written");
        // Read from the back, too.
        let back = codec::from_slice::<Holder>(&swapped, 64).unwrap();
        assert_eq!(back.map.values().rev().count(), 1);
        assert!(back.map.damage().unwrap().contains("out of order"));
    }

    #[derive(Debug, Clone)]
    enum Op {
        Insert(u8, u32),
        Remove(u8),
        Bump(u8),
        Get(u8),
        BumpAll,
        Reread,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0u8..12, any::<u32>()).prop_map(|(k, n)| Op::Insert(k, n)),
            (0u8..12).prop_map(Op::Remove),
            (0u8..12).prop_map(Op::Bump),
            (0u8..12).prop_map(Op::Get),
            Just(Op::BumpAll),
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
                    Op::BumpAll => {
                        let mut seen = Vec::new();
                        for (k, v) in lazy.map.iter_mut() {
                            v.n = v.n.wrapping_add(1);
                            seen.push(k.to_string());
                        }
                        for v in model.values_mut() { v.n = v.n.wrapping_add(1); }
                        prop_assert!(seen.iter().eq(model.keys()));
                    }
                    Op::Reread => {
                        lazy = reread(&lazy);
                        loaded = model.clone();
                    }
                }
                prop_assert_eq!(lazy.map.len(), model.len());
                prop_assert!(lazy.map.iter().eq(model.iter().map(|(k, v)| (k.as_str(), v))));
                prop_assert!(lazy.map.keys().rev().eq(model.keys().rev().map(String::as_str)));
                for k in 0..12 {
                    let k = format!("k{k}");
                    prop_assert_eq!(lazy.map.contains_key(&k), model.contains_key(&k));
                }
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
