//! Condition keys as finite domains. For one key, every condition on it (across all policies
//! analysed together) is a predicate over the key's value set; the values are partitioned into
//! regions on which every condition answers alike:
//!
//! * strings — [`super::strings`] (globs, equality, case-insensitive equality);
//! * numbers and dates — the constants, a value strictly between each adjacent pair, one below
//!   and one above (intervals);
//! * IP addresses — the first and last address of each CIDR and the addresses just outside
//!   (prefix atoms), per address family;
//! * Bool — `true`, `false`;
//! * for keys whose type RAM does not fix, one value that parses for no typed operator.
//!
//! A multi-valued key (`acs:TagKeys`, keys RAM does not define) takes any non-empty set of
//! values: what matters is which region answers the set touches, so the options are the
//! closure of the single-value answers under union (`ForAnyValue:`/`ForAllValues:` and the
//! unqualified forms all depend only on that). An empty set behaves like an absent key in
//! the evaluator, so absence covers it.

use super::strings::{representatives, StrPred};
use crate::authz::condition::{CompiledCondition, Tri};
use crate::authz::options::UnparseableValues;
use crate::policy::ast::{Comparison, ValueType};
use crate::policy::values::{self, format_date, Instant};
use std::collections::{BTreeSet, HashMap};

use std::net::IpAddr;

/// How a key's values look and whether several can be present at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyShape {
    /// The type RAM gives the key (requests carry only well-formed values of it).
    pub value_type: Option<ValueType>,
    /// True when a request may carry several values.
    pub multi: bool,
}

/// Global keys RAM defines (§5.1): type and cardinality.
pub fn key_shape(key: &str) -> KeyShape {
    let k = key.to_ascii_lowercase();
    let single = |t: Option<ValueType>| KeyShape {
        value_type: t,
        multi: false,
    };
    match k.as_str() {
        "acs:currenttime" => single(Some(ValueType::Date)),
        "acs:sourceip" => single(Some(ValueType::Ip)),
        "acs:securetransport" | "acs:mfapresent" => single(Some(ValueType::Bool)),
        "acs:sourcevpc" | "acs:accessid" | "acs:principalarn" | "acs:targetrdid"
        | "acs:targetrdpath" | "acs:useragent" => single(None),
        "acs:tagkeys" => KeyShape {
            value_type: None,
            multi: true,
        },
        _ if k.starts_with("acs:requesttag/") || k.starts_with("acs:resourcetag/") => single(None),
        // Keys RAM does not define: any values, any number of them (conservative).
        _ => KeyShape {
            value_type: None,
            multi: true,
        },
    }
}

/// One way a key can appear in a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyValue {
    /// The request carries no value for the key.
    Absent,
    /// The request carries these values.
    Values(Vec<String>),
}

/// One region of a key's domain: a witness and every condition's verdict on it.
#[derive(Debug, Clone)]
pub struct KeyOption {
    /// Concrete witness.
    pub value: KeyValue,
    /// Verdict of each condition of the key (indexed like [`KeyDomain::conditions`]).
    pub verdicts: Vec<Tri>,
}

/// A key with its conditions and the regions of its present values.
#[derive(Debug, Clone)]
pub struct KeyDomain {
    /// The key as first written.
    pub name: String,
    /// Shape.
    pub shape: KeyShape,
    /// The distinct conditions on the key.
    pub conditions: Vec<CompiledCondition>,
    /// Regions of present values (absence is added per action by the caller).
    pub present: Vec<KeyOption>,
    /// The verdicts when the key is absent.
    pub absent: Vec<Tri>,
    /// False when the region enumeration hit a budget (an answer may be missing).
    pub complete: bool,
    /// True when the key is compared as more than one value family (strings and numbers,
    /// …): regions are then the union of each family's regions, which may miss a mixed one.
    pub mixed: bool,
}

/// Budget of automaton states per key.
const STRING_BUDGET: usize = 200_000;
/// Budget of value-set signatures per multi-valued key.
const SET_BUDGET: usize = 4_096;

fn numeric_reps(consts: &[f64]) -> Vec<String> {
    let mut c: Vec<f64> = consts.to_vec();
    c.sort_by(|a, b| a.total_cmp(b));
    c.dedup();
    let mut out: Vec<f64> = Vec::new();
    if let (Some(&lo), Some(&hi)) = (c.first(), c.last()) {
        out.push(lo - lo.abs() - 1.0);
        out.push(hi + hi.abs() + 1.0);
    } else {
        out.push(0.0);
    }
    for w in c.windows(2) {
        let mid = w[0] / 2.0 + w[1] / 2.0;
        if mid > w[0] && mid < w[1] {
            out.push(mid);
        }
    }
    out.extend(c.iter().copied());
    out.into_iter()
        .filter(|v| v.is_finite())
        .map(|v| {
            let s = format!("{v}");
            // `format!` prints integers without a fraction and never uses exponents for f64.
            s
        })
        .filter(|s| values::parse_number(s).is_some())
        .collect()
}

/// Formats an instant with sub-second digits when it has them (`parse_date` reads them back).
pub fn format_instant(t: Instant) -> String {
    let base = format_date(t);
    let nanos = t.rem_euclid(1_000_000_000);
    if nanos == 0 {
        base
    } else {
        format!("{}.{nanos:09}Z", base.trim_end_matches('Z'))
    }
}

const YEAR_0001: Instant = -62_135_596_800 * 1_000_000_000;
const YEAR_9999: Instant = 253_402_300_799 * 1_000_000_000;

fn date_reps(consts: &[Instant]) -> Vec<String> {
    let mut c: Vec<Instant> = consts.to_vec();
    c.sort_unstable();
    c.dedup();
    let mut out: Vec<Instant> = Vec::new();
    const SEC: Instant = 1_000_000_000;
    match (c.first(), c.last()) {
        (Some(&lo), Some(&hi)) => {
            out.push((lo - SEC).max(YEAR_0001));
            out.push((hi + SEC).min(YEAR_9999));
        }
        _ => out.push(0),
    }
    for w in c.windows(2) {
        let mid = w[0] + (w[1] - w[0]) / 2;
        if mid > w[0] && mid < w[1] {
            out.push(mid);
        }
    }
    out.extend(c.iter().copied());
    out.into_iter()
        .filter(|t| (YEAR_0001..=YEAR_9999).contains(t))
        .map(format_instant)
        .filter(|s| values::parse_date(s).is_some())
        .collect()
}

fn ip_reps(nets: &[ipnet::IpNet]) -> Vec<String> {
    // Readable addresses first (each network's first and last address and the ones just
    // outside, then documentation addresses), the extremes last; duplicates are harmless.
    let mut out: Vec<IpAddr> = Vec::new();
    for n in nets {
        match n {
            ipnet::IpNet::V4(n) => {
                let (a, b) = (u32::from(n.network()), u32::from(n.broadcast()));
                out.extend(
                    [Some(a), Some(b), a.checked_sub(1), b.checked_add(1)]
                        .into_iter()
                        .flatten()
                        .map(|x| IpAddr::from(std::net::Ipv4Addr::from(x))),
                );
            }
            ipnet::IpNet::V6(n) => {
                let (a, b) = (u128::from(n.network()), u128::from(n.broadcast()));
                out.extend(
                    [Some(a), Some(b), a.checked_sub(1), b.checked_add(1)]
                        .into_iter()
                        .flatten()
                        .map(|x| IpAddr::from(std::net::Ipv6Addr::from(x))),
                );
            }
        }
    }
    out.push(IpAddr::from([198, 51, 100, 77]));
    out.push(IpAddr::from(std::net::Ipv6Addr::new(
        0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x77,
    )));
    out.push(IpAddr::from([0, 0, 0, 0]));
    out.push(IpAddr::from([255, 255, 255, 255]));
    out.push(IpAddr::from(std::net::Ipv6Addr::UNSPECIFIED));
    out.push(IpAddr::from(std::net::Ipv6Addr::from(u128::MAX)));
    out.into_iter().map(|a| a.to_string()).collect()
}

/// Readable strings around a constant or glob: instantiated (`*` as nothing and as `x1`,
/// `?` as `x`), with its last literal character changed, and with its last `/` segment
/// replaced.
fn readable_variants(c: &str) -> Vec<String> {
    let inst = |star: &str| -> String {
        c.chars()
            .map(|ch| match ch {
                '*' => star.to_string(),
                '?' => "x".to_string(),
                ch => ch.to_string(),
            })
            .collect()
    };
    let mut out = vec![inst(""), inst("x1")];
    let base = inst("");
    let trimmed = base.trim_end_matches('/');
    if let Some((head, _)) = trimmed.rsplit_once('/') {
        out.push(format!("{head}/other"));
        out.push(format!("{head}-other/1"));
    }
    if let Some(last) = base.chars().last() {
        let repl = if last == 'z' { 'y' } else { 'z' };
        let mut m: String = base.chars().take(base.chars().count() - 1).collect();
        m.push(repl);
        out.push(m);
    }
    out.push(format!("{base}-other"));
    out
}

/// The string predicates of `conditions`, or `None` when one of them is not a string operator.
pub fn string_preds(conditions: &[CompiledCondition]) -> Option<Vec<StrPred>> {
    let mut out = Vec::new();
    for c in conditions {
        let base = c.operator().base;
        if base.value_type != ValueType::String {
            return None;
        }
        for v in c.policy_values() {
            out.push(match base.comparison {
                Comparison::Equals => StrPred::Equals(v.to_string()),
                Comparison::EqualsIgnoreCase => StrPred::IgnoreCase(v.to_string()),
                _ => StrPred::Like(v.to_string()),
            });
        }
    }
    Some(out)
}

/// A value no typed operator parses (used for keys of no fixed type).
pub const UNTYPED_VALUE: &str = "ramsim-other";

fn parses_as(t: ValueType, s: &str) -> bool {
    match t {
        ValueType::String => true,
        ValueType::Numeric => values::parse_number(s).is_some(),
        ValueType::Date => values::parse_date(s).is_some(),
        ValueType::Bool => values::parse_bool(s).is_some(),
        ValueType::Ip => values::parse_ip_addr(s).is_some(),
    }
}

/// How a set of values combines the per-value verdicts of a condition: `true` for "any value"
/// (positive unqualified, `ForAnyValue:`), `false` for "every value" (negated unqualified,
/// `ForAllValues:`).
fn mask_of(t: Tri) -> u8 {
    match t {
        Tri::False => 1,
        Tri::Unknown => 2,
        Tri::True => 4,
    }
}

impl KeyDomain {
    /// Builds the regions of `key` for `conditions` (all on that key).
    pub fn new(
        name: &str,
        shape: KeyShape,
        conditions: Vec<CompiledCondition>,
        unparseable: UnparseableValues,
    ) -> KeyDomain {
        let mut strings: Vec<StrPred> = Vec::new();
        let mut numbers: Vec<f64> = Vec::new();
        let mut dates: Vec<Instant> = Vec::new();
        let mut nets: Vec<ipnet::IpNet> = Vec::new();
        let mut families: BTreeSet<u8> = BTreeSet::new();
        let mut has_bool = false;
        for c in &conditions {
            let base = c.operator().base;
            families.insert(base.value_type as u8);
            for v in c.policy_values() {
                match (base.value_type, base.comparison) {
                    (ValueType::String, Comparison::Equals) => {
                        strings.push(StrPred::Equals(v.to_string()))
                    }
                    (ValueType::String, Comparison::EqualsIgnoreCase) => {
                        strings.push(StrPred::IgnoreCase(v.to_string()))
                    }
                    (ValueType::String, _) => strings.push(StrPred::Like(v.to_string())),
                    (ValueType::Numeric, _) => numbers.extend(values::parse_number(v)),
                    (ValueType::Date, _) => dates.extend(values::parse_date(v)),
                    (ValueType::Bool, _) => has_bool = true,
                    (ValueType::Ip, _) => nets.extend(values::parse_ip_net(v)),
                }
            }
        }
        strings.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
        strings.dedup();
        let mut complete = true;
        let mut candidates: Vec<String> = Vec::new();
        // Readable candidates first (the constants, globs instantiated, near misses): the first
        // candidate of each region is its witness. The automaton's representatives below
        // guarantee every region is reached.
        for p in &strings {
            match p {
                StrPred::Equals(c) | StrPred::IgnoreCase(c) | StrPred::Like(c) => {
                    candidates.extend(readable_variants(c))
                }
                StrPred::OneOf(ws) => candidates.extend(ws.iter().cloned()),
            }
        }
        if !strings.is_empty() {
            let r = representatives(&strings, &[], STRING_BUDGET);
            complete &= r.complete;
            candidates.extend(r.cells.into_iter().map(|(_, w)| w));
        }
        if !numbers.is_empty() {
            candidates.extend(numeric_reps(&numbers));
        }
        if !dates.is_empty() || shape.value_type == Some(ValueType::Date) {
            candidates.extend(date_reps(&dates));
        }
        if !nets.is_empty() || shape.value_type == Some(ValueType::Ip) {
            candidates.extend(ip_reps(&nets));
        }
        if has_bool || shape.value_type == Some(ValueType::Bool) {
            candidates.extend(["true".to_string(), "false".to_string()]);
        }
        match shape.value_type {
            Some(t) => candidates.retain(|s| parses_as(t, s)),
            None => candidates.push(UNTYPED_VALUE.to_string()),
        }
        let verdicts_of = |vals: Option<&[String]>| -> Vec<Tri> {
            conditions
                .iter()
                .map(|c| c.evaluate(vals, unparseable))
                .collect()
        };
        // Singletons, deduplicated by verdicts.
        let mut singles: Vec<(Vec<Tri>, String)> = Vec::new();
        let mut seen: HashMap<Vec<Tri>, usize> = HashMap::new();
        for cand in candidates {
            let v = verdicts_of(Some(std::slice::from_ref(&cand)));
            if !seen.contains_key(&v) {
                seen.insert(v.clone(), singles.len());
                singles.push((v, cand));
            }
        }
        let mut present: Vec<KeyOption> = singles
            .iter()
            .map(|(v, w)| KeyOption {
                value: KeyValue::Values(vec![w.clone()]),
                verdicts: v.clone(),
            })
            .collect();
        if shape.multi && singles.len() > 1 {
            // Closure of the per-value verdict masks under union.
            let masks: Vec<Vec<u8>> = singles
                .iter()
                .map(|(v, _)| v.iter().map(|t| mask_of(*t)).collect())
                .collect();
            let mut sigs: HashMap<Vec<u8>, Vec<usize>> = HashMap::new();
            let mut order: Vec<Vec<u8>> = Vec::new();
            for (i, m) in masks.iter().enumerate() {
                if !sigs.contains_key(m) {
                    sigs.insert(m.clone(), vec![i]);
                    order.push(m.clone());
                }
            }
            let mut frontier = order.clone();
            while !frontier.is_empty() {
                let mut next = Vec::new();
                for f in &frontier {
                    for (i, m) in masks.iter().enumerate() {
                        let u: Vec<u8> = f.iter().zip(m).map(|(a, b)| a | b).collect();
                        if sigs.contains_key(&u) {
                            continue;
                        }
                        if sigs.len() >= SET_BUDGET {
                            complete = false;
                            break;
                        }
                        let mut members = sigs.get(f).cloned().unwrap_or_default();
                        members.push(i);
                        sigs.insert(u.clone(), members);
                        order.push(u.clone());
                        next.push(u);
                    }
                }
                frontier = next;
            }
            present = Vec::new();
            let mut seen_verdicts: HashMap<Vec<Tri>, ()> = HashMap::new();
            for sig in &order {
                let members = sigs.get(sig).cloned().unwrap_or_default();
                let vals: Vec<String> = members.iter().map(|&i| singles[i].1.clone()).collect();
                let v = verdicts_of(Some(&vals));
                if seen_verdicts.insert(v.clone(), ()).is_none() {
                    present.push(KeyOption {
                        value: KeyValue::Values(vals),
                        verdicts: v,
                    });
                }
            }
        }
        let absent = verdicts_of(None);
        KeyDomain {
            name: name.to_string(),
            shape,
            conditions,
            present,
            absent,
            complete,
            mixed: families.len() > 1
                || shape
                    .value_type
                    .is_some_and(|t| families.iter().any(|&f| f != t as u8)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{read_policy, PolicyKind, ReadOptions};

    fn conds(block: &str) -> Vec<CompiledCondition> {
        let doc = format!(
            r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":"*","Resource":"*","Condition":{block}}}]}}"#
        );
        let p = read_policy(&doc, PolicyKind::Identity, &ReadOptions::default())
            .policy
            .expect("valid");
        p.statements[0]
            .conditions
            .iter()
            .map(CompiledCondition::compile)
            .collect()
    }

    #[test]
    fn ip_regions_cover_nested_prefixes() {
        let c = conds(
            r#"{"IpAddress":{"acs:SourceIp":["10.0.0.0/8","10.1.0.0/16"]},"NotIpAddress":{"acs:SourceIp":"10.1.2.0/24"}}"#,
        );
        let d = KeyDomain::new(
            "acs:SourceIp",
            key_shape("acs:SourceIp"),
            c,
            UnparseableValues::FailClosed,
        );
        // in /8 only, in /16 and not /24, in /24, outside: 3 verdict vectors for 2 conditions.
        let vs: BTreeSet<Vec<Tri>> = d.present.iter().map(|o| o.verdicts.clone()).collect();
        assert!(vs.contains(&vec![Tri::True, Tri::True]));
        assert!(vs.contains(&vec![Tri::True, Tri::False]));
        assert!(vs.contains(&vec![Tri::False, Tri::True]));
    }

    #[test]
    fn multi_valued_sets_reach_mixed_answers() {
        let c = conds(
            r#"{"ForAllValues:StringEquals":{"acs:TagKeys":["env"]},"ForAnyValue:StringEquals":{"acs:TagKeys":["env"]}}"#,
        );
        let d = KeyDomain::new(
            "acs:TagKeys",
            key_shape("acs:TagKeys"),
            c,
            UnparseableValues::FailClosed,
        );
        let vs: BTreeSet<Vec<Tri>> = d.present.iter().map(|o| o.verdicts.clone()).collect();
        // {env}: all & any; {x}: neither; {env, x}: any but not all.
        assert_eq!(vs.len(), 3, "{:?}", d.present);
        assert!(vs.contains(&vec![Tri::False, Tri::True]));
    }

    #[test]
    fn numbers_and_dates_are_intervals() {
        let c = conds(
            r#"{"NumericLessThan":{"acs:Level":"5"},"NumericGreaterThanEquals":{"acs:Level":"2"}}"#,
        );
        let d = KeyDomain::new(
            "acs:Level",
            key_shape("acs:Level"),
            c,
            UnparseableValues::FailClosed,
        );
        let vs: BTreeSet<Vec<Tri>> = d.present.iter().map(|o| o.verdicts.clone()).collect();
        assert!(vs.contains(&vec![Tri::True, Tri::True]));
        assert!(vs.contains(&vec![Tri::True, Tri::False]));
        assert!(vs.contains(&vec![Tri::False, Tri::True]));
        assert!(vs.contains(&vec![Tri::Unknown, Tri::Unknown]));
        assert_eq!(
            values::parse_date(&format_instant(1_500_000_000_123)),
            Some(1_500_000_000_123)
        );
    }
}
