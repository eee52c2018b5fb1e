//! The action regions of actions the catalog does not model.
//!
//! A request's action is `<ram-code>:<action-name>` (spec §3: neither part empty, neither
//! containing `:`), so a validated Action pattern — `*`, or `<code glob>:<name glob>` with one
//! `:` — matches an action exactly when its code glob matches the code and its name glob
//! matches the name. The regions (one per achievable vector of pattern answers) are therefore
//! found in two small steps instead of one product automaton over every pattern:
//!
//! 1. the *code* regions of the patterns' distinct code globs (every catalog code on its own,
//!    since its modeled actions have cells of their own);
//! 2. per code region, the *name* regions of the name globs of the patterns whose code glob
//!    matches it (for a catalog code, names of modeled actions set apart).
//!
//! Each walk sees a few dozen globs where the single walk saw all of them (1,000 distinct
//! patterns: 50 code regions of ≈ 30 name globs each). Vectors found under several code regions
//! are kept once, so the regions are exactly those of the single walk. Patterns that do not
//! split (unvalidated input without `:`) take the single walk, restricted to one `:` likewise.

use super::strings::{representatives, representatives_until, StrPred};
use super::Stats;
use crate::policy::pattern::glob;
use std::collections::HashMap;

/// States one walk may visit before the answer is INCOMPLETE.
const WALK_STATES: usize = 400_000;

/// How one Action pattern constrains `<code>:<name>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum ActionPart {
    /// Only stars: every action.
    Universal,
    /// Two or more `:`: no action (an action has one).
    Never,
    /// `<code glob>:<name glob>`.
    Split(String, String),
}

/// The patterns split at their `:`; `None` when one neither splits nor is all stars.
pub(super) fn split_action_patterns(patterns: &[String]) -> Option<Vec<ActionPart>> {
    patterns
        .iter()
        .map(|p| {
            if p.chars().all(|c| c == '*') {
                return Some(ActionPart::Universal);
            }
            match p.matches(':').count() {
                0 => None,
                1 => p
                    .split_once(':')
                    .map(|(c, n)| ActionPart::Split(c.to_string(), n.to_string())),
                _ => Some(ActionPart::Never),
            }
        })
        .collect()
}

/// Readable members of a glob: its stars as `example` (`?` as `x`), and without its stars.
fn readable(g: &str) -> [String; 2] {
    [
        g.replace('*', "example").replace('?', "x"),
        g.replace('*', ""),
    ]
}

/// One representative per achievable answer vector of the globs `globs` over non-empty strings
/// without `:`, minus the strings of `exclude` (answers in `globs` order): readable members
/// preferred, then the walk's shortest ones (in the walk's order).
fn regions_of(
    globs: &[String],
    exclude: &[String],
    stats: &mut Stats,
) -> Vec<(Vec<bool>, String, usize)> {
    let mut preds: Vec<StrPred> = globs.iter().map(|g| StrPred::Like(g.clone())).collect();
    // No glob has a `:`, so neither has the walk's alphabet: the parts never contain one.
    preds.push(StrPred::OneOf(exclude.to_vec()));
    let n = globs.len();
    let r = representatives(&preds, &[StrPred::Like("?*".into())], WALK_STATES);
    stats.complete &= r.complete;
    let vector = |s: &str| -> Vec<bool> { globs.iter().map(|g| glob(g, s)).collect() };
    let mut readable_of: HashMap<Vec<bool>, String> = HashMap::new();
    for g in globs {
        for c in readable(g) {
            if c.is_empty() || c.contains(':') || exclude.contains(&c) {
                continue;
            }
            readable_of.entry(vector(&c)).or_insert(c);
        }
    }
    r.cells
        .into_iter()
        .filter(|(v, _)| !v[n])
        .map(|(mut v, w)| {
            v.truncate(n);
            let len = w.chars().count();
            let w = readable_of.get(&v).cloned().unwrap_or(w);
            (v, w, len)
        })
        .collect()
}

/// The regions of non-modeled actions for patterns that split (see the module doc): one
/// `(answer of every pattern, witness)` per achievable vector.
pub(super) fn split_action_cells(
    patterns: &[String],
    parts: &[ActionPart],
    catalog_folded: &[String],
    stats: &mut Stats,
) -> Vec<(Vec<bool>, String)> {
    let mut code_globs: Vec<String> = parts
        .iter()
        .filter_map(|p| match p {
            ActionPart::Split(c, _) => Some(c.clone()),
            _ => None,
        })
        .collect();
    code_globs.sort();
    code_globs.dedup();
    // Catalog codes and their modeled names.
    let mut modeled: Vec<(String, Vec<String>)> = Vec::new();
    for a in catalog_folded {
        if let Some((c, n)) = a.split_once(':') {
            match modeled.iter_mut().find(|(mc, _)| mc == c) {
                Some((_, names)) => names.push(n.to_string()),
                None => modeled.push((c.to_string(), vec![n.to_string()])),
            }
        }
    }
    modeled.sort();
    let codes: Vec<String> = modeled.iter().map(|(c, _)| c.clone()).collect();
    // Code regions: every catalog code on its own, then the walk's regions of the others.
    let mut code_regions: Vec<(String, usize, &[String])> = modeled
        .iter()
        .map(|(c, names)| (c.clone(), c.chars().count(), names.as_slice()))
        .collect();
    for (_, w, len) in regions_of(&code_globs, &codes, stats) {
        code_regions.push((w, len, &[]));
    }
    let universal: Vec<usize> = (0..parts.len())
        .filter(|&i| parts[i] == ActionPart::Universal)
        .collect();
    let mut out: Vec<(Vec<bool>, String, usize)> = Vec::new();
    let mut seen: std::collections::HashSet<Vec<bool>> = std::collections::HashSet::new();
    for (code, code_len, exclude) in code_regions {
        // The patterns whose code glob matches this code region, by name glob.
        let alive: Vec<(usize, &str)> = parts
            .iter()
            .enumerate()
            .filter_map(|(i, p)| match p {
                ActionPart::Split(c, n) if glob(c, &code) => Some((i, n.as_str())),
                _ => None,
            })
            .collect();
        let mut name_globs: Vec<String> = alive.iter().map(|(_, n)| n.to_string()).collect();
        name_globs.sort();
        name_globs.dedup();
        let slot: Vec<(usize, usize)> = alive
            .iter()
            .map(|(i, n)| {
                (
                    *i,
                    name_globs
                        .binary_search_by(|g| g.as_str().cmp(n))
                        .unwrap_or(0),
                )
            })
            .collect();
        for (v, name, name_len) in regions_of(&name_globs, exclude, stats) {
            let mut full = vec![false; patterns.len()];
            for &u in &universal {
                full[u] = true;
            }
            for &(i, g) in &slot {
                full[i] = v[g];
            }
            if seen.insert(full.clone()) {
                out.push((full, format!("{code}:{name}"), code_len + 1 + name_len));
            }
        }
    }
    // Shortest representatives first (the single walk's breadth-first order, by length).
    out.sort_by_key(|(_, _, len)| *len);
    out.into_iter().map(|(v, w, _)| (v, w)).collect()
}

/// The regions of non-modeled actions by one product automaton over every pattern (patterns
/// that do not split at one `:`), restricted to actions with one `:`.
pub(super) fn general_action_cells(
    patterns: &[String],
    catalog_folded: &[String],
    stats: &mut Stats,
) -> Vec<(Vec<bool>, String)> {
    let mut preds: Vec<StrPred> = patterns.iter().map(|p| StrPred::Like(p.clone())).collect();
    let n = preds.len();
    // Answer n: a second `:` (such strings are not actions).
    preds.push(StrPred::Like("*:*:*".into()));
    let domain = [StrPred::Like("?*:?*".into())];
    let r = representatives(&preds, &domain, WALK_STATES);
    stats.complete &= r.complete;
    let vector = |a: &str| -> Vec<bool> { patterns.iter().map(|p| glob(p, a)).collect() };
    let readable_members: Vec<(Vec<bool>, String)> = patterns
        .iter()
        .flat_map(|p| readable(p))
        .filter(|a| glob("?*:?*", a) && a.matches(':').count() == 1 && !catalog_folded.contains(a))
        .map(|a| (vector(&a), a))
        .collect();
    let mut out = Vec::new();
    for (v, w) in r.cells {
        if v[n] {
            continue;
        }
        let v = v[..n].to_vec();
        let w = readable_members
            .iter()
            .find(|(rv, _)| *rv == v)
            .map_or(w, |(_, a)| a.clone());
        // When the shortest member is a modeled action, look for a member that is not one of
        // the modeled actions of this region (they have cells of their own).
        let w = if catalog_folded.contains(&w) {
            let own: Vec<String> = catalog_folded
                .iter()
                .filter(|a| vector(a) == v)
                .cloned()
                .collect();
            let mut p2 = preds.clone();
            p2.push(StrPred::OneOf(own));
            let mut want = v.clone();
            want.push(false);
            want.push(false);
            let r2 = representatives_until(&p2, &domain, WALK_STATES, &want);
            stats.complete &= r2.complete;
            match r2.cells.into_iter().find(|(v2, _)| *v2 == want) {
                Some((_, w2)) => w2,
                None => continue,
            }
        } else {
            w
        };
        out.push((v, w));
    }
    out
}

/// A non-modeled action region in words: the patterns it matches, and up to four of the same
/// code (or starting with `*`) it does not.
pub(super) fn describe_action_cell(patterns: &[String], v: &[bool], w: &str) -> String {
    let matched: Vec<&String> = patterns
        .iter()
        .zip(v)
        .filter(|(_, &b)| b)
        .map(|(p, _)| p)
        .collect();
    let service = w.split(':').next().unwrap_or("");
    let unmatched: Vec<&String> = patterns
        .iter()
        .zip(v)
        .filter(|(p, &b)| {
            !b && (p.starts_with('*') || p.split(':').next().is_some_and(|s| s == service))
        })
        .map(|(p, _)| p)
        .take(4)
        .collect();
    let mut d = if matched.is_empty() {
        "actions matching no pattern".to_string()
    } else {
        format!(
            "actions like {}",
            matched
                .iter()
                .map(|p| format!("`{p}`"))
                .collect::<Vec<_>>()
                .join(" and ")
        )
    };
    if !unmatched.is_empty() {
        d.push_str(&format!(
            " but not like {}",
            unmatched
                .iter()
                .map(|p| format!("`{p}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    d.push_str(" (not modeled: any key, any resource)");
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(patterns: &[&str], split: bool) -> Vec<(Vec<bool>, String)> {
        let patterns: Vec<String> = patterns.iter().map(|p| p.to_string()).collect();
        let catalog: Vec<String> = crate::api::catalog::CATALOG
            .iter()
            .map(|e| e.action.to_ascii_lowercase())
            .collect();
        let mut stats = Stats {
            complete: true,
            ..Stats::default()
        };
        let out = if split {
            let parts = split_action_patterns(&patterns).expect("splits");
            split_action_cells(&patterns, &parts, &catalog, &mut stats)
        } else {
            general_action_cells(&patterns, &catalog, &mut stats)
        };
        assert!(stats.complete);
        for (v, w) in &out {
            assert!(!catalog.contains(w), "{w} is modeled");
            assert_eq!(w.matches(':').count(), 1, "{w}");
            let got: Vec<bool> = patterns.iter().map(|p| glob(p, w)).collect();
            assert_eq!(&got, v, "{w}");
        }
        out
    }

    #[test]
    fn the_split_walk_finds_the_regions_of_the_single_walk() {
        // Pattern sets mixing exact names, prefixes, infixes, a wildcard code, `?`, catalog
        // names and `*`.
        let sets: &[&[&str]] = &[
            &["*", "vpc:*", "vpc:describe*", "vpc:createvpc"],
            &[
                "*:list*",
                "*:describe*",
                "ecs:describe*",
                "ecs:describeinstances",
            ],
            &[
                "ec?:stop*",
                "ecs:*instance*",
                "oss:get*",
                "*:get*",
                "ecs*:*",
            ],
            &[
                "?ds:*",
                "dds:describe*",
                "rds:create*instance",
                "*:*tag*",
                "*",
            ],
            &[
                "vpc:*vpcpeer*",
                "vpc:?etvpcpeerconnectionattribute",
                "cdt:get*",
            ],
            &["a:b", "a?:b", "*:b*", "*a:*", "a*:?"],
        ];
        for set in sets {
            let mut split = cells(set, true);
            let mut general = cells(set, false);
            let vectors = |c: &mut Vec<(Vec<bool>, String)>| {
                let mut v: Vec<Vec<bool>> = c.iter().map(|(v, _)| v.clone()).collect();
                v.sort();
                v
            };
            assert_eq!(vectors(&mut split), vectors(&mut general), "{set:?}");
        }
    }

    #[test]
    fn patterns_that_do_not_split() {
        let p = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(split_action_patterns(&p(&["*", "ecs:*"])).is_some());
        assert!(split_action_patterns(&p(&["*x*"])).is_none());
        assert_eq!(
            split_action_patterns(&p(&["a:b:c", "**"])),
            Some(vec![ActionPart::Never, ActionPart::Universal])
        );
        // A pattern with two `:` matches no action; the regions say so.
        let c = cells(&["a:b:c", "a:*"], true);
        assert!(c.iter().all(|(v, _)| !v[0]));
    }
}
