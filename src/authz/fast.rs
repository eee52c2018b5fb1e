//! The decision fast path of a [`super::PolicySet`] (issue 18): what is compiled once per set
//! so that a decision touches only the statements that can apply, and what is computed once
//! per request and shared by every condition.
//!
//! * **Actions.** Identical action patterns are merged: a set of 10,000 statements holds a few
//!   thousand distinct patterns, of which a request action matches a handful (`ecs:Describe*`,
//!   `ecs:*`, `*:Describe*`, `*`), each standing for the statements that wrote it. Exact
//!   patterns are found with one hash lookup of the whole action; patterns whose literal
//!   prefix contains the `:` (`ecs:Describe*`, `ecs:*Instance`, `ecs:De?ete*`) can only match
//!   actions of that service, so they are filed under it (as their text after the `:`, matched
//!   against the action's) and found with one hash lookup of the action's service; the rest (`*`, `*:Describe*`, `e*`) are few after merging and are tested
//!   one by one. A service or the remainder with many distinct patterns goes through the
//!   prefix/suffix trie of [`super::action_index`] instead of a list.
//! * **Statements** of each pattern are split by effect, Deny first: any applicable Deny
//!   decides, so all Deny candidates are tested before the first Allow candidate that applies
//!   ends the search.
//! * **Resources.** Each statement keeps the literal prefix its resource patterns share with
//!   the ARN layout (`acs:ecs:cn-hangzhou:`), so most non-candidates are rejected by one
//!   prefix compare before any pattern is run.
//! * **Requests.** Condition keys are interned per set (ASCII case-insensitively, as
//!   [`super::RequestContext::get`] compares them); a [`RequestView`] resolves each key at most
//!   once per request and parses an IP value at most once, whatever the number of conditions
//!   reading it.

use super::action_index::{ActionIndex, Entry};
use super::condition::{CompiledCondition, Tri};
use crate::policy::ast::Operator;
use crate::policy::pattern::Wildcard;
use crate::swar::{byte_masks64, bytes_equal as same_bytes, colons, tail_word};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::net::IpAddr;
use std::ops::ControlFlow;

/// The Fx hash (rustc's): a multiply-rotate per word, several times faster than SipHash on
/// the short keys here. Keys come from policies the caller loaded, so hash flooding is not a
/// concern (a set is built once and then only read).
/// The analysis' automaton tables (`analysis::fxhash`) use it too.
#[derive(Debug, Default, Clone, Copy)]
pub struct FxHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            // The tail's length, so `[1]` and `[1, 0]` differ.
            self.add(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 59));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

/// A hash map with [`FxHasher`].
pub type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// A key as a [`StrMap`] looks it up: its hash, and for keys of at most sixteen bytes (service
/// names, action names, ARN fields) those bytes as two zero-padded words, so that hashing
/// reads each byte once and the comparison that confirms a hash match is two word compares.
#[derive(Clone, Copy)]
struct KeyProbe {
    hash: u64,
    head: [u64; 2],
}

impl KeyProbe {
    #[inline(always)]
    fn new(bytes: &[u8]) -> KeyProbe {
        let n = bytes.len();
        if n <= 16 {
            let head = match bytes.split_first_chunk::<8>() {
                Some((first, rest)) => [u64::from_le_bytes(*first), tail_or_word(rest)],
                None => [tail_word(bytes), 0],
            };
            let h = (head[0].wrapping_mul(SEED).rotate_left(26) ^ head[1] ^ n as u64)
                .wrapping_mul(SEED);
            return KeyProbe {
                hash: h ^ (h >> 29),
                head,
            };
        }
        KeyProbe {
            hash: hash_str(bytes),
            head: [0; 2],
        }
    }

    /// Is `key` (of an entry whose hash matched) the probed key `bytes`?
    #[inline(always)]
    fn is(&self, bytes: &[u8], key: &[u8], head: &[u64; 2]) -> bool {
        if bytes.len() <= 16 {
            key.len() == bytes.len() && *head == self.head
        } else {
            same_bytes(key, bytes)
        }
    }
}

/// The 0–8 bytes of `rest` as one zero-padded word.
#[inline(always)]
fn tail_or_word(rest: &[u8]) -> u64 {
    match rest.first_chunk::<8>() {
        Some(w) => u64::from_le_bytes(*w),
        None => tail_word(rest),
    }
}

/// Fx hash of a string's bytes, one multiply per 8-byte word, with a final mix so the high
/// bits (the table index of [`StrMap`]) depend on every byte.
#[inline]
fn hash_str(bytes: &[u8]) -> u64 {
    let mut h: u64 = bytes.len() as u64;
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = (h.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(SEED);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        h = (h.rotate_left(5) ^ tail_word(rest)).wrapping_mul(SEED);
    }
    h ^ (h >> 29)
}

/// Byte equality without a `memcmp` call (the keys here are a few dozen bytes), a word at a
/// time.
#[inline]
pub(crate) fn same(a: &str, b: &str) -> bool {
    same_bytes(a.as_bytes(), b.as_bytes())
}

/// `hay` starts with `prefix`, compared a word at a time like [`same`].
#[inline]
pub(crate) fn has_prefix(hay: &[u8], prefix: &[u8]) -> bool {
    hay.get(..prefix.len())
        .is_some_and(|head| same_bytes(head, prefix))
}

/// A string-keyed map for the lookups of every decision: open addressing over a
/// power-of-two table of entry indexes, probed linearly from the key's hash; each entry keeps
/// its hash so a probe compares one word before the key, and keys of at most sixteen bytes
/// their words, so that confirming a match is two word compares ([`KeyProbe`]). One hash of
/// the key, no second hashing of the hash, no group probing: a lookup is a few dozen
/// instructions.
#[derive(Debug, Clone)]
pub struct StrMap<V> {
    /// Entry index per slot, [`NIL`] when free; empty or a power of two, at most half full.
    slots: Box<[u32]>,
    /// `64 - log2(slots.len())`: the index is the hash's top bits.
    shift: u32,
    entries: Vec<MapEntry<V>>,
}

/// One key of a [`StrMap`] with its value and its [`KeyProbe`] parts.
#[derive(Debug, Clone)]
struct MapEntry<V> {
    key: Box<str>,
    value: V,
    hash: u64,
    head: [u64; 2],
}

impl<V> Default for StrMap<V> {
    fn default() -> Self {
        StrMap {
            slots: Box::new([]),
            shift: 64,
            entries: Vec::new(),
        }
    }
}

/// A free slot.
const NIL: u32 = u32::MAX;

impl<V> StrMap<V> {
    /// The slot where `key` (probed as `p`) is or would be inserted.
    #[inline(always)]
    fn probe(&self, key: &[u8], p: &KeyProbe) -> Option<usize> {
        let mask = self.slots.len().checked_sub(1)?;
        let mut i = (p.hash >> self.shift) as usize & mask;
        loop {
            let e = *self.slots.get(i)?;
            if e == NIL {
                return Some(i);
            }
            if let Some(entry) = self.entries.get(e as usize) {
                if entry.hash == p.hash && p.is(key, entry.key.as_bytes(), &entry.head) {
                    return Some(i);
                }
            }
            i = (i + 1) & mask;
        }
    }

    /// The value of `key`.
    #[inline]
    pub fn get(&self, key: &str) -> Option<&V> {
        self.get_bytes(key.as_bytes())
    }

    /// The value of the key spelled by `key`.
    #[inline]
    fn get_bytes(&self, key: &[u8]) -> Option<&V> {
        let slot = self.probe(key, &KeyProbe::new(key))?;
        let e = *self.slots.get(slot)?;
        self.entries.get(e as usize).map(|entry| &entry.value)
    }

    /// Rebuilds the slot table with room for twice the entries.
    fn grow(&mut self) {
        let size = ((self.entries.len() + 1) * 2).next_power_of_two().max(8);
        self.slots = vec![NIL; size].into_boxed_slice();
        self.shift = 64 - size.trailing_zeros();
        let mask = size - 1;
        for (n, entry) in self.entries.iter().enumerate() {
            let mut i = (entry.hash >> self.shift) as usize & mask;
            while self.slots[i] != NIL {
                i = (i + 1) & mask;
            }
            self.slots[i] = n as u32;
        }
    }

    /// The value of `key`, inserted with `make` when absent.
    pub fn entry(&mut self, key: &str, make: impl FnOnce() -> V) -> &mut V {
        let p = KeyProbe::new(key.as_bytes());
        if let Some(slot) = self.probe(key.as_bytes(), &p) {
            let e = self.slots[slot];
            if e != NIL {
                return &mut self.entries[e as usize].value;
            }
        }
        if (self.entries.len() + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let n = self.entries.len() as u32;
        self.entries.push(MapEntry {
            key: key.into(),
            value: make(),
            hash: p.hash,
            head: p.head,
        });
        let slot = self.probe(key.as_bytes(), &p).unwrap_or(0);
        self.slots[slot] = n;
        &mut self.entries[n as usize].value
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every value, in insertion order.
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.entries.iter_mut().map(|entry| &mut entry.value)
    }

    /// Every key and value, in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &V)> {
        self.entries.iter().map(|entry| (&*entry.key, &entry.value))
    }
}

/// Above this many distinct wildcard patterns a bucket uses the trie instead of a list.
const LIST_MAX: usize = 24;

/// Distinct wildcard patterns of one bucket (a service, or the remainder).
#[derive(Debug, Clone, Default)]
struct Bucket {
    patterns: Vec<(Wildcard, u32)>,
    trie: Option<ActionIndex>,
}

impl Bucket {
    fn seal(&mut self) {
        if self.patterns.len() > LIST_MAX && self.trie.is_none() {
            let mut trie = ActionIndex::default();
            for (i, (p, _)) in self.patterns.iter().enumerate() {
                trie.insert(
                    Entry {
                        statement: i as u32,
                        pattern: 0,
                    },
                    p,
                );
            }
            self.trie = Some(trie);
        }
    }

    #[inline]
    fn for_each<B>(
        &self,
        action: &str,
        visit: &mut impl FnMut(u32) -> ControlFlow<B>,
    ) -> ControlFlow<B> {
        match &self.trie {
            None => {
                for (p, g) in &self.patterns {
                    if p.matches(action) {
                        visit(*g)?;
                    }
                }
                ControlFlow::Continue(())
            }
            Some(trie) => trie.for_each_match(
                action,
                |e| self.patterns[e.statement as usize].0.matches(action),
                |e| visit(self.patterns[e.statement as usize].1),
            ),
        }
    }
}

/// One distinct action pattern and the statements that wrote it, Deny statements first.
#[derive(Debug, Clone, Default)]
pub struct Group {
    /// Statement ids with `Effect: Deny`.
    pub deny: Candidates,
    /// Statement ids with `Effect: Allow`.
    pub allow: Candidates,
}

/// The statements of one group and effect. A long list is also filed by one field of the
/// resource ARN (service, region, account or resource type: whichever splits it best), so
/// that a request visits only the statements naming its value of that field and those whose
/// patterns leave the field open: at 10,000 statements almost half the candidates of an
/// action failed on their resource.
///
/// The field is chosen again each time the list has grown by a quarter since the last choice;
/// ids added in between are filed under the field already chosen. So a set built one document
/// at a time files each id a bounded number of times (re-filing every list on every document
/// was a quarter of compiling 10,000 statements in 298 documents; choosing only at doublings
/// left stale choices that cost 5 % more instructions per decision).
#[derive(Debug, Clone, Default)]
pub struct Candidates {
    /// Every id, in insertion order.
    ids: Vec<u32>,
    /// The filing by one field, when it pays.
    index: Option<Box<FieldIndex>>,
    /// `ids.len()` when the field was last chosen.
    chosen_at: u32,
    /// `ids.len()` the filing covers (later ids are filed by the next [`Candidates::file`]).
    filed_upto: u32,
}

/// [`Candidates`] filed by field `field` of the resource ARN.
#[derive(Debug, Clone)]
struct FieldIndex {
    field: usize,
    /// The ids naming each segment id literally in the field, in insertion order.
    runs: FxMap<u32, Vec<u32>>,
    /// Statements whose patterns do not all name the field literally.
    open: Vec<u32>,
}

impl FieldIndex {
    /// Files `id`, whose patterns name `values` in the field (`None`: one leaves it open).
    fn add(&mut self, id: u32, values: Option<Vec<u32>>) {
        let Some(values) = values else {
            self.open.push(id);
            return;
        };
        for value in values {
            let run = self.runs.entry(value).or_default();
            // two patterns of one statement may name the same value
            if run.last() != Some(&id) {
                run.push(id);
            }
        }
    }

    /// Expected candidates for a request whose value is drawn as the `n` statements' are:
    /// the open ones plus Σ run² / n.
    fn expected_candidates(&self, n: usize) -> f64 {
        let squares: usize = self.runs.values().map(|r| r.len().pow(2)).sum();
        self.open.len() as f64 + squares as f64 / n as f64
    }
}

/// Lists shorter than this are not filed (a lookup would cost more than the candidates).
const FILE_FROM: usize = 8;

impl Candidates {
    /// True when there is no statement.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    fn push(&mut self, id: u32) {
        if self.ids.last() != Some(&id) {
            self.ids.push(id);
        }
    }

    /// Files the ids added since the last call. `fields(id, f)` lists the segment ids statement
    /// `id`'s resource patterns name in field `f`, or `None` when one of them leaves it open
    /// (or the statement's resource is not in segment form).
    fn file(&mut self, fields: &impl Fn(u32, usize) -> Option<Vec<u32>>) {
        let n = self.ids.len();
        if n == self.filed_upto as usize {
            return;
        }
        if n >= FILE_FROM && 4 * n >= 5 * self.chosen_at as usize {
            self.choose_field(fields);
        } else if let Some(index) = &mut self.index {
            for &id in self.ids.get(self.filed_upto as usize..).unwrap_or_default() {
                index.add(id, fields(id, index.field));
            }
        }
        self.filed_upto = n as u32;
    }

    /// Files every id by the field that leaves the fewest expected candidates, if that saves
    /// at least four (about what the lookup costs); else leaves the list unfiled.
    fn choose_field(&mut self, fields: &impl Fn(u32, usize) -> Option<Vec<u32>>) {
        let n = self.ids.len();
        self.chosen_at = n as u32;
        let mut best: Option<(f64, FieldIndex)> = None;
        for field in [SERVICE, REGION, ACCOUNT, RTYPE] {
            let mut index = FieldIndex {
                field,
                runs: FxMap::default(),
                open: Vec::new(),
            };
            for &id in &self.ids {
                index.add(id, fields(id, field));
            }
            let cost = index.expected_candidates(n);
            if best.as_ref().is_none_or(|(c, _)| cost < *c) {
                best = Some((cost, index));
            }
        }
        self.index = best
            .filter(|(cost, _)| cost + 4.0 <= n as f64)
            .map(|(_, index)| Box::new(index));
    }

    /// Every id, in insertion order.
    #[inline]
    pub fn ids(&self) -> &[u32] {
        &self.ids
    }

    /// The ARN field (0–3: service, region, account, resource type) the list is filed by.
    #[inline]
    pub fn filed_by(&self) -> Option<usize> {
        self.index.as_ref().map(|i| i.field)
    }

    /// The ids that can apply to a request whose resource ARN has segment id `value` in the
    /// field the list is filed by (`None`: the ARN has no field form, so every id), as two
    /// lists.
    #[inline]
    pub fn select(&self, value: Option<u32>) -> [&[u32]; 2] {
        let (Some(index), Some(value)) = (&self.index, value) else {
            return [&self.ids, &[]];
        };
        let run = index.runs.get(&value).map_or(&[][..], Vec::as_slice);
        [run, &index.open]
    }
}

/// The patterns of one service: exact action names (text after the `:`) and wildcard ones.
#[derive(Debug, Clone, Default)]
struct Service {
    /// Exact action name → its entry in [`ActionMatcher::complete`].
    exact: StrMap<u32>,
    bucket: Bucket,
}

/// Every `Action` pattern of a set compiled into one matcher (see the module docs).
#[derive(Debug, Clone, Default)]
pub struct ActionMatcher {
    groups: Vec<Group>,
    by_text: FxMap<Box<str>, u32>,
    services: StrMap<Service>,
    /// Per action a set names exactly (`ecs:DescribeInstances`), every group matching it: its
    /// exact group, then the wildcard groups of its service and of the remainder that match
    /// it, kept up to date as patterns are inserted. An action a set names exactly is then
    /// decided without running a single wildcard pattern (large sets name most actions).
    complete: Vec<Vec<u32>>,
    /// Exact patterns without a `:`.
    exact_rest: StrMap<u32>,
    rest: Bucket,
}

/// Position of the first `:`, eight bytes a step (a service name is 3–20 bytes; a byte loop
/// cost up to fifty instructions a decision, `memchr` a call).
#[inline]
fn colon(s: &str) -> Option<usize> {
    crate::swar::find(s.as_bytes(), |w| crate::swar::equal(w, b':'), |b| b == b':')
}

impl ActionMatcher {
    /// Files statement `id` (`deny` for Deny) under the folded pattern `pattern`.
    pub fn insert(&mut self, pattern: &Wildcard, id: u32, deny: bool) {
        let text = pattern.as_str();
        let group = match self.by_text.get(text) {
            Some(&g) => g,
            None => {
                let g = self.groups.len() as u32;
                self.groups.push(Group::default());
                self.by_text.insert(text.into(), g);
                let prefix = pattern.literal_prefix();
                match colon(prefix) {
                    Some(c) => {
                        let service = self.services.entry(&text[..c], Service::default);
                        let name = &text[c + 1..];
                        if prefix.len() == text.len() {
                            // every wildcard group already filed that matches the action
                            let mut list = vec![g];
                            list.extend(
                                service
                                    .bucket
                                    .patterns
                                    .iter()
                                    .filter(|(p, _)| p.matches(name))
                                    .map(|&(_, w)| w),
                            );
                            list.extend(
                                self.rest
                                    .patterns
                                    .iter()
                                    .filter(|(p, _)| p.matches(text))
                                    .map(|&(_, w)| w),
                            );
                            let at = self.complete.len() as u32;
                            self.complete.push(list);
                            *service.exact.entry(name, || at) = at;
                        } else {
                            // Only actions of this service reach the bucket, so it holds the
                            // pattern's text after the `:` (matched against the action's).
                            let wildcard = Wildcard::new(name);
                            for (exact, &at) in service.exact.iter() {
                                if wildcard.matches(exact) {
                                    if let Some(list) = self.complete.get_mut(at as usize) {
                                        list.push(g);
                                    }
                                }
                            }
                            service.bucket.patterns.push((wildcard, g));
                            service.bucket.trie = None;
                        }
                    }
                    None if prefix.len() == text.len() => {
                        *self.exact_rest.entry(text, || g) = g;
                    }
                    None => {
                        for (svc, service) in self.services.iter() {
                            for (exact, &at) in service.exact.iter() {
                                if pattern.matches(&format!("{svc}:{exact}")) {
                                    if let Some(list) = self.complete.get_mut(at as usize) {
                                        list.push(g);
                                    }
                                }
                            }
                        }
                        self.rest.patterns.push((pattern.clone(), g));
                        self.rest.trie = None;
                    }
                }
                g
            }
        };
        let list = &mut self.groups[group as usize];
        if deny {
            list.deny.push(id);
        } else {
            list.allow.push(id);
        }
    }

    /// Files long candidate lists by a resource ARN field ([`Candidates`]); `fields` as for
    /// [`Candidates::file`]. Call after inserting; lists unchanged since are left as they are.
    pub fn file_resources(&mut self, fields: impl Fn(u32, usize) -> Option<Vec<u32>>) {
        for g in &mut self.groups {
            g.deny.file(&fields);
            g.allow.file(&fields);
        }
    }

    /// Builds the tries of large buckets changed since the last call; call after inserting
    /// (a bucket not sealed yet is scanned as a list, which is correct, only slower).
    pub fn seal(&mut self) {
        for s in self.services.values_mut() {
            s.bucket.seal();
        }
        self.rest.seal();
    }

    /// Calls `visit` with every group whose pattern matches the folded `action`, each once.
    #[inline]
    pub fn for_each_group<'a, B>(
        &'a self,
        action: &str,
        mut visit: impl FnMut(&'a Group) -> ControlFlow<B>,
    ) -> ControlFlow<B> {
        let mut by_id = |g: u32| match self.groups.get(g as usize) {
            Some(group) => visit(group),
            None => ControlFlow::Continue(()),
        };
        match colon(action) {
            Some(c) => {
                let (service, name) = (
                    action.as_bytes().get(..c).unwrap_or_default(),
                    action.get(c + 1..).unwrap_or_default(),
                );
                if let Some(service) = self.services.get_bytes(service) {
                    if let Some(&at) = service.exact.get(name) {
                        // named exactly: every matching group is listed
                        for &g in self.complete.get(at as usize).map_or(&[][..], |l| l) {
                            by_id(g)?;
                        }
                        return ControlFlow::Continue(());
                    }
                    if !service.bucket.patterns.is_empty() {
                        service.bucket.for_each(name, &mut by_id)?;
                    }
                }
            }
            None => {
                if let Some(&g) = self.exact_rest.get(action) {
                    by_id(g)?;
                }
            }
        }
        if self.rest.patterns.is_empty() {
            return ControlFlow::Continue(());
        }
        self.rest.for_each(action, &mut by_id)
    }
}

/// Condition keys of a set, interned ASCII case-insensitively.
#[derive(Debug, Clone, Default)]
pub struct KeyTable {
    slots: FxMap<Box<str>, u16>,
    /// One spelling per slot, as first written.
    spellings: Vec<Box<str>>,
}

/// Keys a [`RequestView`] caches; further keys are looked up on every use.
pub const CACHED_KEYS: usize = 8;

impl KeyTable {
    /// The slot of `key`.
    pub fn intern(&mut self, key: &str) -> u16 {
        let folded = key.to_ascii_lowercase();
        if let Some(&s) = self.slots.get(folded.as_str()) {
            return s;
        }
        let s = self.spellings.len() as u16;
        self.slots.insert(folded.into(), s);
        self.spellings.push(key.into());
        s
    }

    /// The key spelling of `slot`.
    pub fn spelling(&self, slot: u16) -> &str {
        self.spellings.get(slot as usize).map_or("", |s| s)
    }
}

/// Conditions of a set whose verdict a [`RequestView`] remembers, at most this many.
pub const MEMO_SLOTS: usize = 256;
const MEMO_WORDS: usize = MEMO_SLOTS / 64;

/// A condition as written: operator, key slot, values.
type ConditionText = (Operator, u16, Box<[Box<str>]>);

/// The distinct conditions of a set (same operator, same key slot, same values as written):
/// each gets an id, and those written by two statements or more (up to [`MEMO_SLOTS`], first
/// come) a memo slot, so that one evaluation computes each shared condition's verdict once
/// whatever the number of candidate statements repeating it (a set of 10,000 statements
/// repeats `acs:SecureTransport = true` hundreds of times).
#[derive(Debug, Clone, Default)]
pub struct ConditionTable {
    ids: FxMap<ConditionText, u32>,
    /// Per id: statements using it so far, and its memo slot ([`NO_MEMO`] when none).
    uses: Vec<(u32, u16)>,
    slots: u16,
}

/// No memo slot.
const NO_MEMO: u16 = u16::MAX;

impl ConditionTable {
    /// The id of condition `c` whose key has slot `key`.
    pub fn intern(&mut self, c: &CompiledCondition, key: u16) -> u32 {
        let raw: Box<[Box<str>]> = c.policy_values().map(Into::into).collect();
        let next = self.uses.len() as u32;
        let id = *self.ids.entry((c.operator(), key, raw)).or_insert(next);
        if id == next {
            self.uses.push((0, NO_MEMO));
        }
        if let Some((n, slot)) = self.uses.get_mut(id as usize) {
            *n += 1;
            if *n == 2 && usize::from(self.slots) < MEMO_SLOTS {
                *slot = self.slots;
                self.slots += 1;
            }
        }
        id
    }

    /// The memo slot of condition `id`, if it has one.
    #[inline]
    pub fn memo_slot(&self, id: u32) -> Option<u16> {
        self.uses
            .get(id as usize)
            .map(|&(_, slot)| slot)
            .filter(|&slot| slot != NO_MEMO)
    }
}

/// A request's condition values as the conditions of one set read them: each key resolved at
/// most once, an IP value parsed at most once, the resource ARN split into its fields at most
/// once. Lives on the stack for one evaluation.
pub struct RequestView<'r> {
    context: &'r super::RequestContext,
    resolved: u8,
    ip_done: u8,
    values: [Option<&'r [String]>; CACHED_KEYS],
    ips: [Option<IpAddr>; CACHED_KEYS],
    arn: Option<Option<ArnFields<'r>>>,
    /// Condition verdicts by memo slot ([`ConditionTable`]): evaluated, true, unknown.
    memo_done: [u64; MEMO_WORDS],
    memo_true: [u64; MEMO_WORDS],
    memo_unknown: [u64; MEMO_WORDS],
}

impl<'r> RequestView<'r> {
    /// A view of `context`.
    #[inline]
    pub fn new(context: &'r super::RequestContext) -> RequestView<'r> {
        RequestView {
            context,
            resolved: 0,
            ip_done: 0,
            values: [None; CACHED_KEYS],
            ips: [None; CACHED_KEYS],
            arn: None,
            memo_done: [0; MEMO_WORDS],
            memo_true: [0; MEMO_WORDS],
            memo_unknown: [0; MEMO_WORDS],
        }
    }

    /// The verdict remembered in memo slot `slot`, if any.
    #[inline]
    pub fn memo(&self, slot: u16) -> Option<Tri> {
        let (w, bit) = (usize::from(slot) / 64, 1u64 << (slot % 64));
        if self.memo_done.get(w)? & bit == 0 {
            return None;
        }
        Some(if self.memo_true.get(w)? & bit != 0 {
            Tri::True
        } else if self.memo_unknown.get(w)? & bit != 0 {
            Tri::Unknown
        } else {
            Tri::False
        })
    }

    /// Remembers `verdict` in memo slot `slot` (ignored past [`MEMO_SLOTS`]).
    #[inline]
    pub fn set_memo(&mut self, slot: u16, verdict: Tri) {
        let (w, bit) = (usize::from(slot) / 64, 1u64 << (slot % 64));
        if let (Some(d), Some(t), Some(u)) = (
            self.memo_done.get_mut(w),
            self.memo_true.get_mut(w),
            self.memo_unknown.get_mut(w),
        ) {
            *d |= bit;
            match verdict {
                Tri::True => *t |= bit,
                Tri::Unknown => *u |= bit,
                Tri::False => {}
            }
        }
    }

    /// The values of key `slot` (spelled `key`), or `None` when absent.
    #[inline]
    pub fn get(&mut self, slot: u16, key: &str) -> Option<&'r [String]> {
        let s = slot as usize;
        if s >= CACHED_KEYS {
            return self.context.get(key);
        }
        if self.resolved & (1 << s) == 0 {
            self.values[s] = self.context.get(key);
            self.resolved |= 1 << s;
        }
        self.values[s]
    }

    /// The single value of key `slot` parsed as an IP address (`None`: absent, several
    /// values or unparseable — the caller then takes the general path).
    #[inline]
    pub fn ip(&mut self, slot: u16, key: &str) -> Option<IpAddr> {
        let s = slot as usize;
        if s >= CACHED_KEYS {
            return None;
        }
        if self.ip_done & (1 << s) == 0 {
            self.ips[s] = match self.get(slot, key) {
                Some([one]) => dotted_quad(one.as_bytes())
                    .map(IpAddr::V4)
                    .or_else(|| crate::policy::values::parse_ip_addr(one)),
                _ => None,
            };
            self.ip_done |= 1 << s;
        }
        self.ips[s]
    }

    /// The segment id in `table` of field `f` of the request ARN `resource` ([`UNKNOWN`] when
    /// the set names no such value); `None` when the ARN has no field form.
    #[inline]
    pub fn arn_field_id(
        &mut self,
        resource: &'r str,
        f: usize,
        table: &SegmentTable,
    ) -> Option<u32> {
        self.arn(resource)?.id(f, table)
    }

    /// The request ARN's fields (split once; their segment ids are looked up as patterns
    /// ask for them); `None` when the ARN does not have the five-field shape the segment form
    /// relies on.
    #[inline]
    pub fn arn(&mut self, resource: &'r str) -> Option<&ArnFields<'r>> {
        if self.arn.is_none() {
            self.arn = Some(ArnFields::split(resource));
        }
        self.arn.as_ref().and_then(Option::as_ref)
    }
}

/// An IPv4 address in canonical dotted-quad form (four decimal octets, no leading zeros),
/// parsed in one pass; anything else is `None` and left to the general parser (which reads
/// every canonical quad the same way, so this only skips its cost on the common form).
#[inline]
fn dotted_quad(s: &[u8]) -> Option<std::net::Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut parts = s.split(|&b| b == b'.');
    for octet in &mut octets {
        let part = parts.next()?;
        if part.is_empty() || part.len() > 3 || (part.len() > 1 && part.first() == Some(&b'0')) {
            return None;
        }
        let mut v: u32 = 0;
        for &b in part {
            if !b.is_ascii_digit() {
                return None;
            }
            v = v * 10 + u32::from(b - b'0');
        }
        *octet = u8::try_from(v).ok()?;
    }
    if parts.next().is_some() {
        return None;
    }
    Some(std::net::Ipv4Addr::from(octets))
}

// ---------------------------------------------------------------------------------------------
// Resource patterns by ARN segments.

/// Literal ARN fields of a set's resource patterns (services, regions, accounts, resource
/// types), interned to small integers so a pattern field is checked with one comparison.
#[derive(Debug, Clone, Default)]
pub struct SegmentTable {
    ids: StrMap<u32>,
}

/// The id no interned field has (a request field the set never names).
const UNKNOWN: u32 = u32::MAX;

/// A request field whose id has not been looked up yet (no interned field has it either).
const NOT_YET: u32 = u32::MAX - 1;

impl SegmentTable {
    fn intern(&mut self, field: &str) -> u32 {
        let next = self.ids.len() as u32;
        *self.ids.entry(field, || next)
    }
    #[inline]
    fn id(&self, field: &[u8]) -> u32 {
        self.ids.get_bytes(field).copied().unwrap_or(UNKNOWN)
    }
}

/// A request ARN `acs:<service>:<region>:<account>:<type>[/<id>]` with exactly four colons:
/// its fields as text, and each field's segment id in a [`SegmentTable`], looked up the first
/// time a pattern compares that field by id (most candidates compare one or two fields: four
/// lookups per request were a seventh of a decision at N = 1,000).
#[derive(Debug, Clone)]
pub struct ArnFields<'r> {
    ids: [std::cell::Cell<u32>; 4],
    /// Bytes, not `str`: slicing at the ASCII `:` and `/` needs no char-boundary checks.
    texts: [&'r [u8]; 4],
    id: Option<&'r [u8]>,
}

/// Field positions in [`ArnFields`].
const SERVICE: usize = 0;
const REGION: usize = 1;
const ACCOUNT: usize = 2;
const RTYPE: usize = 3;

impl<'r> ArnFields<'r> {
    fn split(arn: &'r str) -> Option<ArnFields<'r>> {
        let rest = arn.as_bytes().strip_prefix(b"acs:")?;
        if rest.len() > 64 {
            return Self::split_long(rest);
        }
        // One pass marks every `:` and `/`: the first three colons cut the fields, a fourth
        // means another shape, and the first slash after the third ends the resource type.
        let (mut cuts, slashes) = byte_masks64(rest, b':', b'/');
        let mut next = || {
            let at = cuts.trailing_zeros() as usize;
            cuts &= cuts.wrapping_sub(1);
            at
        };
        let (c0, c1, c2) = (next(), next(), next());
        if c2 >= 64 || cuts != 0 {
            return None;
        }
        let after = slashes & !(2u64 << c2).wrapping_sub(1);
        let slash = (after != 0).then(|| after.trailing_zeros() as usize);
        Self::cut(rest, [c0, c1, c2], slash)
    }

    /// [`ArnFields::split`] of an ARN longer than its masks cover (`rest`: the text after
    /// `acs:`).
    #[cold]
    fn split_long(rest: &'r [u8]) -> Option<ArnFields<'r>> {
        // the three colons after `acs:`, and no fourth
        let (colons, n) = colons::<3>(rest);
        if n != 3 {
            return None;
        }
        let slash = rest
            .get(colons[2] + 1..)?
            .iter()
            .position(|&b| b == b'/')
            .map(|s| colons[2] + 1 + s);
        Self::cut(rest, colons, slash)
    }

    /// The fields of `rest` (the text after `acs:`) cut at its three colons and at the first
    /// slash after the third, if any.
    #[inline(always)]
    fn cut(rest: &'r [u8], colons: [usize; 3], slash: Option<usize>) -> Option<ArnFields<'r>> {
        let [c0, c1, c2] = colons;
        let (rtype, id) = match slash {
            Some(slash) => (rest.get(c2 + 1..slash)?, rest.get(slash + 1..)),
            None => (rest.get(c2 + 1..)?, None),
        };
        let texts = [
            rest.get(..c0)?,
            rest.get(c0 + 1..c1)?,
            rest.get(c1 + 1..c2)?,
            rtype,
        ];
        let ids = [const { std::cell::Cell::new(NOT_YET) }; 4];
        Some(ArnFields { ids, texts, id })
    }

    /// Field `at`'s segment id in `table` (always the same table for one request view).
    #[inline]
    fn id(&self, at: usize, table: &SegmentTable) -> Option<u32> {
        let cell = self.ids.get(at)?;
        if cell.get() == NOT_YET {
            cell.set(table.id(self.texts.get(at)?));
        }
        Some(cell.get())
    }
}

/// Equality of an ARN field and a pattern's literal: lengths inline (most fields differ in
/// length), the bytes out of line. Inlined, the word loop's setup for every field of the ARN
/// was hoisted out of the pattern loop and run on every candidate, compared or not.
#[inline(always)]
fn field_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && same_bytes_out_of_line(a, b)
}

#[inline(never)]
fn same_bytes_out_of_line(a: &[u8], b: &[u8]) -> bool {
    same_bytes(a, b)
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Field {
    Any,
    /// A literal field: its segment id and its text.
    Is(u32, Box<str>),
}

impl Field {
    /// Does the field admit field `at` of `a` (by id in `segments` when given, else by text)?
    #[inline]
    fn admits(&self, a: &ArnFields<'_>, at: usize, segments: Option<&SegmentTable>) -> bool {
        match self {
            Field::Any => true,
            Field::Is(f, text) => {
                if let Some(table) = segments {
                    a.id(at, table) == Some(*f)
                } else {
                    a.texts
                        .get(at)
                        .is_some_and(|t| field_eq(t, text.as_bytes()))
                }
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Relative {
    /// `*`: any relative part.
    Any,
    /// `<type>/*`, `<type>/<prefix>*` or `<type>/<id>`.
    Typed {
        rtype: Field,
        /// Literal id text, a prefix when `prefix` is set.
        id: Box<str>,
        prefix: bool,
    },
}

/// A resource pattern `acs:<f>:<f>:<f>:<relative>` whose fields are each `*` or literal
/// (no `?`, no `:` inside), so that against an ARN with exactly four colons it matches exactly
/// when each field does: the pattern's four colons must then meet the ARN's four, so no `*`
/// can reach across a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArnPattern {
    service: Field,
    region: Field,
    account: Field,
    relative: Relative,
}

fn literal(field: &str) -> bool {
    !field.contains(['*', '?'])
}

impl ArnPattern {
    /// The segment form of `pattern`, when it has one.
    pub fn compile(pattern: &str, table: &mut SegmentTable) -> Option<ArnPattern> {
        let rest = pattern.strip_prefix("acs:")?;
        let fields: Vec<&str> = rest.split(':').collect();
        let [service, region, account, relative] = fields[..] else {
            return None;
        };
        let mut field = |f: &str| -> Option<Field> {
            if f == "*" {
                Some(Field::Any)
            } else if literal(f) {
                Some(Field::Is(table.intern(f), f.into()))
            } else {
                None
            }
        };
        let (service, region, account) = (field(service)?, field(region)?, field(account)?);
        let relative = if relative == "*" {
            Relative::Any
        } else {
            let (t, id) = relative.split_once('/')?;
            if !literal(t) || id.contains('?') {
                return None;
            }
            let (id, prefix) = match id.strip_suffix('*') {
                Some(p) if literal(p) => (p, true),
                Some(_) => return None,
                None if literal(id) => (id, false),
                None => return None,
            };
            Relative::Typed {
                rtype: Field::Is(table.intern(t), t.into()),
                id: id.into(),
                prefix,
            }
        };
        Some(ArnPattern {
            service,
            region,
            account,
            relative,
        })
    }

    /// The segment id the pattern names in ARN field `f` (0–3: service, region, account,
    /// resource type), or `None` when it leaves the field open.
    pub fn field_id(&self, f: usize) -> Option<u32> {
        let field = match f {
            SERVICE => &self.service,
            REGION => &self.region,
            ACCOUNT => &self.account,
            _ => match &self.relative {
                Relative::Typed { rtype, .. } => rtype,
                Relative::Any => return None,
            },
        };
        match field {
            Field::Is(id, _) => Some(*id),
            Field::Any => None,
        }
    }

    /// Does the pattern match the ARN `a`? Fields compare by segment id when `segments` is
    /// given (the table the pattern was compiled with), else by text.
    #[inline]
    pub fn matches(&self, a: &ArnFields<'_>, segments: Option<&SegmentTable>) -> bool {
        self.service.admits(a, SERVICE, segments)
            && self.region.admits(a, REGION, segments)
            && self.account.admits(a, ACCOUNT, segments)
            && match &self.relative {
                Relative::Any => true,
                Relative::Typed { rtype, id, prefix } => {
                    rtype.admits(a, RTYPE, segments)
                        && a.id.is_some_and(|r| {
                            if *prefix {
                                id.is_empty()
                                    || r.get(..id.len())
                                        .is_some_and(|h| field_eq(h, id.as_bytes()))
                            } else {
                                field_eq(r, id.as_bytes())
                            }
                        })
                }
            }
    }
}

/// The literal text every ARN a resource-pattern list can match starts with (the longest
/// common literal prefix of its patterns; empty when one of them starts with a wildcard).
pub fn common_literal_prefix(patterns: &[Wildcard]) -> Box<str> {
    let mut iter = patterns.iter().map(Wildcard::literal_prefix);
    let Some(first) = iter.next() else {
        return "".into();
    };
    let mut len = first.len();
    for p in iter {
        len = len.min(
            first
                .bytes()
                .zip(p.bytes())
                .take_while(|(a, b)| a == b)
                .count(),
        );
    }
    while !first.is_char_boundary(len) {
        len -= 1;
    }
    first[..len].into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn groups(patterns: &[&str], action: &str) -> Vec<u32> {
        let mut m = ActionMatcher::default();
        for (i, p) in patterns.iter().enumerate() {
            m.insert(&Wildcard::new(p), i as u32, false);
        }
        m.seal();
        let mut out = Vec::new();
        let _ = m.for_each_group::<()>(action, |g| {
            out.extend(g.allow.ids());
            ControlFlow::Continue(())
        });
        out.sort_unstable();
        out
    }

    #[test]
    fn finds_every_matching_pattern_once() {
        let pats = [
            "ecs:describe*",
            "ecs:*instance",
            "*",
            "ecs:describeinstances",
            "ecs:describe",
            "vpc:*",
            "*:describe*",
            "e?s:*",
            "ecs:*inst*ces",
            "ecs:d*e*s",
            "ecs:describe*",
            "ecs*",
        ];
        assert_eq!(
            groups(&pats, "ecs:describeinstances"),
            vec![0, 2, 3, 6, 7, 8, 9, 10, 11]
        );
        assert_eq!(groups(&pats, "ecs:describe"), vec![0, 2, 4, 6, 7, 10, 11]);
        assert_eq!(groups(&pats, "ecs:stopinstance"), vec![1, 2, 7, 11]);
        assert_eq!(groups(&pats, "vpc:createvpc"), vec![2, 5]);
        assert_eq!(groups(&pats, "nocolon"), vec![2]);
    }

    /// Buckets past the list size use the trie and find the same patterns.
    #[test]
    fn large_buckets_agree_with_a_scan() {
        let mut pats: Vec<String> = (0..60).map(|i| format!("ecs:verb{i}*")).collect();
        pats.extend((0..40).map(|i| format!("*:x{i}*")));
        pats.push("ecs:*5".into());
        let refs: Vec<&str> = pats.iter().map(String::as_str).collect();
        for action in ["ecs:verb5", "ecs:verb59x", "ecs:x3", "vpc:x39", "ecs:other"] {
            let want: Vec<u32> = refs
                .iter()
                .enumerate()
                .filter(|(_, p)| Wildcard::new(p).matches(action))
                .map(|(i, _)| i as u32)
                .collect();
            assert_eq!(groups(&refs, action), want, "{action}");
        }
    }

    /// Actions a set names exactly find their precomputed groups, whatever the order the
    /// exact and wildcard patterns were inserted in; the others go through the patterns.
    #[test]
    fn exact_actions_list_every_matching_group_in_any_insertion_order() {
        let pats = [
            "ecs:describeinstances",
            "ecs:describe*",
            "*",
            "ecs:stopinstance",
            "*:describe*",
            "ecs:*instance",
            "e?s:*",
            "vpc:createvpc",
            "ecs:de?cribeinstances",
            "*:create*",
            "ecs*",
            "ecs:describe",
        ];
        let actions = [
            "ecs:describeinstances",
            "ecs:stopinstance",
            "vpc:createvpc",
            "ecs:describe",
            "ecs:other",
            "vpc:deletevpc",
            "nocolon",
        ];
        for rotate in 0..pats.len() {
            let mut order: Vec<&str> = pats.to_vec();
            order.rotate_left(rotate);
            if rotate % 2 == 1 {
                order.reverse();
            }
            for action in actions {
                let want: Vec<u32> = order
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| Wildcard::new(p).matches(action))
                    .map(|(i, _)| i as u32)
                    .collect();
                assert_eq!(groups(&order, action), want, "{action} / {order:?}");
            }
        }
    }

    #[test]
    fn keys_resolve_once_and_case_insensitively() {
        let mut t = KeyTable::default();
        let a = t.intern("acs:SourceIp");
        assert_eq!(t.intern("ACS:sourceip"), a);
        let mut ctx = super::super::RequestContext::new();
        ctx.insert("acs:sourceIP", "10.0.0.1");
        let mut v = RequestView::new(&ctx);
        assert_eq!(v.get(a, t.spelling(a)).map(<[String]>::len), Some(1));
        assert_eq!(
            v.ip(a, t.spelling(a)),
            Some("10.0.0.1".parse().expect("ip"))
        );
        let b = t.intern("acs:MFAPresent");
        assert_eq!(v.get(b, t.spelling(b)), None);
    }

    #[test]
    fn word_helpers_agree_with_the_plain_forms() {
        let texts = [
            "",
            "a",
            "ab:",
            ":",
            "abc:defg",
            "acs:ecs:cn-hangzhou:123:instance/i-1",
            "::::::::::",
            "x:y:z:w:v:u:t:s:r",
            "é:ü:ß",
            "12345678",
            "12345678:",
            ";;;;;;;;:",
        ];
        for a in texts {
            let want: Vec<usize> = a
                .bytes()
                .enumerate()
                .filter(|(_, b)| *b == b':')
                .map(|(i, _)| i)
                .collect();
            let (at, n) = colons::<3>(a.as_bytes());
            assert_eq!(n, want.len().min(4), "{a}");
            assert_eq!(&at[..n.min(3)], &want[..want.len().min(3)], "{a}");
            for b in texts {
                assert_eq!(same(a, b), a == b, "{a} / {b}");
            }
            for cut in 0..a.len() {
                if a.is_char_boundary(cut) {
                    let b = format!("{}#{}", &a[..cut], a.get(cut + 1..).unwrap_or(""));
                    assert_eq!(same(a, &b), a == b, "{a} / {b}");
                }
            }
        }
    }

    #[test]
    fn shared_conditions_get_memo_slots_and_verdicts_are_remembered() {
        use crate::policy::{read_policy, PolicyKind, ReadOptions};
        let doc = r#"{"Version":"1","Statement":[
            {"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"acs:SecureTransport":"true"},"IpAddress":{"acs:SourceIp":"10.0.0.0/8"}}},
            {"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"ACS:securetransport":"true"},"IpAddress":{"acs:SourceIp":"192.168.0.0/16"}}},
            {"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"acs:SecureTransport":"false"}}}]}"#;
        let p = read_policy(doc, PolicyKind::Identity, &ReadOptions::default())
            .policy
            .expect("policy");
        let (mut keys, mut table) = (KeyTable::default(), ConditionTable::default());
        let ids: Vec<Vec<u32>> = p
            .statements
            .iter()
            .map(|s| {
                s.conditions
                    .iter()
                    .map(|c| {
                        table.intern(&CompiledCondition::compile(c), keys.intern(&c.key.value))
                    })
                    .collect()
            })
            .collect();
        // the TLS condition is shared (the key matched case-insensitively); the others not
        assert_eq!(ids[0][0], ids[1][0]);
        assert_ne!(ids[0][1], ids[1][1]);
        assert_ne!(ids[0][0], ids[2][0]);
        assert_eq!(table.memo_slot(ids[0][0]), Some(0));
        assert_eq!(table.memo_slot(ids[0][1]), None);
        assert_eq!(table.memo_slot(ids[2][0]), None);
        let ctx = super::super::RequestContext::new();
        let mut v = RequestView::new(&ctx);
        assert_eq!(v.memo(0), None);
        for (slot, t) in [
            (0u16, Tri::True),
            (63, Tri::Unknown),
            (64, Tri::False),
            (255, Tri::True),
        ] {
            v.set_memo(slot, t);
            assert_eq!(v.memo(slot), Some(t));
        }
        assert_eq!(v.memo(1), None);
        v.set_memo(256, Tri::True);
        assert_eq!(v.memo(256), None);
    }

    /// The dotted-quad fast path reads exactly what the general parser reads, and declines
    /// every other form.
    #[test]
    fn dotted_quads_agree_with_the_general_parser() {
        for s in [
            "10.0.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "192.168.10.254",
            "256.1.1.1",
            "01.2.3.4",
            "1.2.3",
            "1.2.3.4.5",
            "1..3.4",
            "1.2.3.4 ",
            "a.b.c.d",
            "1.2.3.04",
            "2001:db8::1",
            "10.0.0.0/8",
            "",
            "1234.1.1.1",
        ] {
            let fast = dotted_quad(s.as_bytes());
            if let Some(ip) = fast {
                assert_eq!(
                    crate::policy::values::parse_ip_addr(s),
                    Some(IpAddr::V4(ip)),
                    "{s}"
                );
            }
            let canonical = s
                .parse::<std::net::Ipv4Addr>()
                .is_ok_and(|ip| ip.to_string() == s);
            assert_eq!(fast.is_some(), canonical, "{s}");
        }
    }

    #[test]
    fn str_map_finds_every_key() {
        let mut m: StrMap<usize> = StrMap::default();
        let keys: Vec<String> = (0..500).map(|i| format!("k{i}")).collect();
        for (i, k) in keys.iter().enumerate() {
            *m.entry(k, || i) = i;
        }
        *m.entry("k3", || 0) += 1000;
        assert_eq!(m.len(), 500);
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(m.get(k), Some(&(i + if i == 3 { 1000 } else { 0 })));
        }
        assert_eq!(m.get("k500"), None);
        assert_eq!(m.get(""), None);
    }

    proptest::proptest! {
        /// A `StrMap` answers as a `HashMap` does, for keys either side of the sixteen-byte
        /// head, sharing prefixes, and differing only in trailing NUL bytes (which the zero
        /// padding of a short key's words would otherwise confuse with its end).
        #[test]
        fn str_map_agrees_with_a_hash_map(
            keys in proptest::collection::vec("[ab\\x00]{0,3}|[a-c]{5,20}|x{0,40}", 0..40),
            probes in proptest::collection::vec("[ab\\x00]{0,3}|[a-c]{5,20}|x{0,40}", 0..40),
        ) {
            let mut m: StrMap<usize> = StrMap::default();
            let mut reference = std::collections::HashMap::new();
            for (i, k) in keys.iter().enumerate() {
                *m.entry(k, || i) = i;
                reference.insert(k.as_str(), i);
            }
            proptest::prop_assert_eq!(m.len(), reference.len());
            for k in keys.iter().chain(&probes) {
                proptest::prop_assert_eq!(m.get(k), reference.get(k.as_str()), "{:?}", k);
            }
        }
    }

    /// The segment form agrees with the glob on ARNs of every shape.
    #[test]
    fn arn_patterns_agree_with_the_glob() {
        let mut t = SegmentTable::default();
        let pats = [
            "acs:ecs:*:123:instance/*",
            "acs:ecs:cn-hangzhou:123:instance/i-a*",
            "acs:ecs:cn-hangzhou:*:*",
            "acs:*:cn-hangzhou:123:*",
            "acs:ecs:*:*:*",
            "acs:ecs:cn-hangzhou:123:instance/i-1",
            "acs:ram::123:role/*",
            "acs:ecs:*:123:instance/*x",
            "acs:oss:*:123:bucket/a:b",
            "acs:ecs:?:123:*",
            "*",
        ];
        let compiled: Vec<(Wildcard, Option<ArnPattern>)> = pats
            .iter()
            .map(|p| (Wildcard::new(p), ArnPattern::compile(p, &mut t)))
            .collect();
        assert!(compiled[7].1.is_none() && compiled[8].1.is_none() && compiled[9].1.is_none());
        let arns = [
            "acs:ecs:cn-hangzhou:123:instance/i-1",
            "acs:ecs:cn-hangzhou:123:instance/i-a9",
            "acs:ecs:cn-beijing:123:instance/",
            "acs:ecs:cn-beijing:123:instance",
            "acs:ecs:cn-hangzhou:456:disk/d-1",
            "acs:vpc:cn-hangzhou:123:vpc/v-1",
            "acs:ram::123:role/admin",
            "acs:ecs:cn-hangzhou:x:123:instance/i-1",
            "acs:ecs::123:instance/a/b",
            "*",
            "arn:ecs:cn-hangzhou:123:instance/i-1",
        ];
        for a in arns {
            // One split serves both ways: ids looked up by one pattern are reused by the next.
            let fields = ArnFields::split(a);
            for (glob, seg) in &compiled {
                if let (Some(seg), Some(f)) = (seg, &fields) {
                    assert_eq!(
                        seg.matches(f, Some(&t)),
                        glob.matches(a),
                        "{} / {a}",
                        glob.as_str()
                    );
                    assert_eq!(
                        seg.matches(f, None),
                        glob.matches(a),
                        "{} / {a}",
                        glob.as_str()
                    );
                }
            }
        }
    }

    proptest::proptest! {
        /// The one-pass split cuts ARNs of every shape (colons and slashes anywhere, shorter
        /// and longer than its masks) as the colon scan does.
        #[test]
        fn the_masked_split_agrees_with_the_colon_scan(arn in "(acs:)?([a-z0-9/-]{0,20}:?){0,5}") {
            type Cut<'a> = ([&'a [u8]; 4], Option<&'a [u8]>);
            fn fields(f: Option<ArnFields<'_>>) -> Option<Cut<'_>> {
                f.map(|f| (f.texts, f.id))
            }
            let reference = arn
                .as_bytes()
                .strip_prefix(b"acs:")
                .and_then(ArnFields::split_long);
            proptest::prop_assert_eq!(fields(ArnFields::split(&arn)), fields(reference));
        }
    }

    #[test]
    fn common_prefix_of_resource_patterns() {
        let w = |v: &[&str]| -> Vec<Wildcard> { v.iter().map(|p| Wildcard::new(p)).collect() };
        assert_eq!(
            &*common_literal_prefix(&w(&["acs:ecs:*:1:instance/*", "acs:ecs:cn-x:*:*"])),
            "acs:ecs:"
        );
        assert_eq!(&*common_literal_prefix(&w(&["*", "acs:ecs:*"])), "");
        assert_eq!(&*common_literal_prefix(&w(&["acs:é1", "acs:é2"])), "acs:é");
        assert_eq!(&*common_literal_prefix(&[]), "");
    }
}
