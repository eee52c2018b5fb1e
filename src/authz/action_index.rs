//! The action index of a [`super::PolicySet`]: finds the statements whose `Action` patterns
//! can match a request action without testing every pattern.
//!
//! Patterns (already case-folded) are filed in a byte trie under their literal prefix, the
//! text before the first wildcard (`vpc:describe` for `vpc:Describe*`). At each prefix node:
//! - patterns with no wildcard match only when the whole action was consumed;
//! - patterns of the form `literal*` match as soon as the node is reached;
//! - every other pattern is filed again in a second trie keyed by its literal *suffix*, read
//!   backwards (`ecnatsni` for `ecs:*Instance`), so only patterns whose prefix and suffix both
//!   fit the action are tested in full.
//!
//! A walk costs one step per byte of the action plus the confirming tests.

use crate::policy::pattern::Wildcard;
use std::ops::ControlFlow;

/// One pattern of one statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// Statement id in the set.
    pub statement: u32,
    /// Index of the pattern in the statement's `Action` list.
    pub pattern: u32,
}

/// A byte trie whose nodes carry a payload `T`.
#[derive(Debug, Clone)]
struct ByteTrie<T> {
    nodes: Vec<(Vec<(u8, u32)>, T)>,
}

impl<T: Default> ByteTrie<T> {
    fn new() -> Self {
        ByteTrie {
            nodes: vec![(Vec::new(), T::default())],
        }
    }

    /// The payload of the node for `key`, created on demand.
    fn slot(&mut self, key: impl Iterator<Item = u8>) -> &mut T {
        let mut node = 0usize;
        for b in key {
            let next_free = self.nodes.len();
            let children = &mut self.nodes[node].0;
            node = match children.binary_search_by_key(&b, |&(k, _)| k) {
                Ok(i) => children[i].1 as usize,
                Err(i) => {
                    children.insert(i, (b, next_free as u32));
                    self.nodes.push((Vec::new(), T::default()));
                    next_free
                }
            };
        }
        &mut self.nodes[node].1
    }

    /// Visits the payload of every node along `key` (root first) with the depth reached.
    fn walk<B>(
        &self,
        key: impl Iterator<Item = u8>,
        mut visit: impl FnMut(usize, &T) -> ControlFlow<B>,
    ) -> ControlFlow<B> {
        let mut node = 0usize;
        let mut key = key;
        let mut depth = 0usize;
        while let Some((children, payload)) = self.nodes.get(node) {
            visit(depth, payload)?;
            let Some(b) = key.next() else { break };
            match children.binary_search_by_key(&b, |&(k, _)| k) {
                Ok(i) => node = children[i].1 as usize,
                Err(_) => break,
            }
            depth += 1;
        }
        ControlFlow::Continue(())
    }
}

#[derive(Debug, Clone, Default)]
struct PrefixSlot {
    exact: Vec<Entry>,
    rest_any: Vec<Entry>,
    by_suffix: Option<Box<ByteTrie<Vec<Entry>>>>,
}

/// Index over the `Action` patterns of a policy set.
#[derive(Debug, Clone)]
pub struct ActionIndex {
    prefixes: ByteTrie<PrefixSlot>,
}

impl Default for ActionIndex {
    fn default() -> Self {
        ActionIndex {
            prefixes: ByteTrie::new(),
        }
    }
}

fn literal_suffix(pattern: &str) -> &str {
    let start = pattern.rfind(['*', '?']).map_or(0, |i| i + 1);
    &pattern[start..]
}

impl ActionIndex {
    /// Files `pattern` (case-folded) as `entry`.
    pub fn insert(&mut self, entry: Entry, pattern: &Wildcard) {
        let text = pattern.as_str();
        let prefix = pattern.literal_prefix();
        let rest = &text[prefix.len()..];
        let slot = self.prefixes.slot(prefix.bytes());
        if rest.is_empty() {
            slot.exact.push(entry);
        } else if rest.bytes().all(|b| b == b'*') {
            slot.rest_any.push(entry);
        } else {
            let suffix = literal_suffix(rest);
            slot.by_suffix
                .get_or_insert_with(|| Box::new(ByteTrie::new()))
                .slot(suffix.bytes().rev())
                .push(entry);
        }
    }

    /// Calls `visit` for every entry whose pattern may match `action`; `test` confirms the
    /// general patterns. Entries are visited at most once per pattern.
    pub fn for_each_match<B>(
        &self,
        action: &str,
        test: impl Fn(Entry) -> bool,
        mut visit: impl FnMut(Entry) -> ControlFlow<B>,
    ) -> ControlFlow<B> {
        let bytes = action.as_bytes();
        self.prefixes.walk(bytes.iter().copied(), |depth, slot| {
            if depth == bytes.len() {
                for &e in &slot.exact {
                    visit(e)?;
                }
            }
            for &e in &slot.rest_any {
                visit(e)?;
            }
            if let Some(suffixes) = &slot.by_suffix {
                suffixes.walk(bytes.iter().rev().copied(), |_, entries| {
                    for &e in entries {
                        if test(e) {
                            visit(e)?;
                        }
                    }
                    ControlFlow::Continue(())
                })?;
            }
            ControlFlow::Continue(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(patterns: &[&str], action: &str) -> Vec<u32> {
        let compiled: Vec<Wildcard> = patterns.iter().map(|p| Wildcard::new(p)).collect();
        let mut index = ActionIndex::default();
        for (i, p) in compiled.iter().enumerate() {
            index.insert(
                Entry {
                    statement: i as u32,
                    pattern: 0,
                },
                p,
            );
        }
        let mut out = Vec::new();
        let _ = index.for_each_match::<()>(
            action,
            |e| compiled[e.statement as usize].matches(action),
            |e| {
                out.push(e.statement);
                ControlFlow::Continue(())
            },
        );
        out.sort_unstable();
        out
    }

    #[test]
    fn finds_exactly_the_matching_patterns() {
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
        ];
        assert_eq!(
            matches(&pats, "ecs:describeinstances"),
            vec![0, 2, 3, 6, 7, 8, 9]
        );
        assert_eq!(matches(&pats, "ecs:describe"), vec![0, 2, 4, 6, 7]);
        assert_eq!(matches(&pats, "ecs:stopinstance"), vec![1, 2, 7]);
        assert_eq!(matches(&pats, "vpc:createvpc"), vec![2, 5]);
    }
}
