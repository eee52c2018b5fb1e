//! The decision fast path of a [`super::PolicySet`] (issue 18): what is compiled once per set
//! so that a decision touches only the statements that can apply, and what is computed once
//! per request and shared by every condition.
//!
//! * **Actions.** Identical action patterns are merged: a set of 10,000 statements holds a few
//!   thousand distinct patterns, of which a request action matches a handful (`ecs:Describe*`,
//!   `ecs:*`, `*:Describe*`, `*`), each standing for the statements that wrote it. Exact
//!   patterns are found with one hash lookup of the whole action; patterns whose literal
//!   prefix contains the `:` (`ecs:Describe*`, `ecs:*Instance`, `ecs:De?ete*`) can only match
//!   actions of that service, so they are filed under it and found with one hash lookup of the
//!   action's service; the rest (`*`, `*:Describe*`, `e*`) are few after merging and are tested
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
use crate::policy::pattern::Wildcard;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::net::IpAddr;
use std::ops::ControlFlow;

/// The Fx hash (rustc's): a multiply-rotate per word, several times faster than SipHash on
/// the short keys here. Keys come from policies the caller loaded, so hash flooding is not a
/// concern (a set is built once and then only read).
#[derive(Default, Clone, Copy)]
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
            self.add(u64::from_le_bytes(w));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
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
    pub deny: Vec<u32>,
    /// Statement ids with `Effect: Allow`.
    pub allow: Vec<u32>,
}

/// Every `Action` pattern of a set compiled into one matcher (see the module docs).
#[derive(Debug, Clone, Default)]
pub struct ActionMatcher {
    groups: Vec<Group>,
    by_text: FxMap<Box<str>, u32>,
    exact: FxMap<Box<str>, u32>,
    services: FxMap<Box<str>, Bucket>,
    rest: Bucket,
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
                if prefix.len() == text.len() {
                    self.exact.insert(text.into(), g);
                } else if let Some((service, _)) = prefix.split_once(':') {
                    let bucket = self.services.entry(service.into()).or_default();
                    bucket.patterns.push((pattern.clone(), g));
                    bucket.trie = None;
                } else {
                    self.rest.patterns.push((pattern.clone(), g));
                    self.rest.trie = None;
                }
                g
            }
        };
        let list = &mut self.groups[group as usize];
        let ids = if deny {
            &mut list.deny
        } else {
            &mut list.allow
        };
        if ids.last() != Some(&id) {
            ids.push(id);
        }
    }

    /// Builds the tries of large buckets changed since the last call; call after inserting
    /// (a bucket not sealed yet is scanned as a list, which is correct, only slower).
    pub fn seal(&mut self) {
        for b in self.services.values_mut() {
            b.seal();
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
        if let Some(&g) = self.exact.get(action) {
            by_id(g)?;
        }
        if let Some((service, _)) = action.split_once(':') {
            if let Some(bucket) = self.services.get(service) {
                bucket.for_each(action, &mut by_id)?;
            }
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
pub const CACHED_KEYS: usize = 16;

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

/// An IP request value parsed once.
#[derive(Debug, Clone, Copy)]
pub enum ParsedIp {
    /// Not parsed yet.
    Pending,
    /// The key is absent, multi-valued or not an address.
    Unusable,
    /// The single value, parsed.
    Addr(IpAddr),
}

/// A request's condition values as the conditions of one set read them: each key resolved at
/// most once, an IP value parsed at most once. Lives on the stack for one evaluation.
pub struct RequestView<'r> {
    context: &'r super::RequestContext,
    resolved: u32,
    values: [Option<&'r [String]>; CACHED_KEYS],
    ips: [ParsedIp; CACHED_KEYS],
}

impl<'r> RequestView<'r> {
    /// A view of `context`.
    #[inline]
    pub fn new(context: &'r super::RequestContext) -> RequestView<'r> {
        RequestView {
            context,
            resolved: 0,
            values: [None; CACHED_KEYS],
            ips: [ParsedIp::Pending; CACHED_KEYS],
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
        if let ParsedIp::Pending = self.ips[s] {
            self.ips[s] = match self.get(slot, key) {
                Some([one]) => crate::policy::values::parse_ip_addr(one)
                    .map_or(ParsedIp::Unusable, ParsedIp::Addr),
                _ => ParsedIp::Unusable,
            };
        }
        match self.ips[s] {
            ParsedIp::Addr(ip) => Some(ip),
            _ => None,
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
            out.extend(&g.allow);
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
