//! The generated request space of `ramsim diff`: actions × resources × context variations,
//! derived from the catalog, the world (if any) and the constants and patterns of both
//! documents. See README "## Diff" for exactly what it covers.

use crate::api::catalog::{ApiEntry, CATALOG, DEPENDENT_ONLY_ACTIONS};
use crate::api::SimState;
use crate::policy::ast::{Comparison, Policy, ValueType};
use crate::policy::pattern::{fold_case, Wildcard};
use crate::policy::values::{format_date, parse_date, parse_ip_net, parse_number};
use crate::simulate::instances::{fill, instances, DEFAULT_REGION};
use ipnet::IpNet;
use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Account used for ARNs and principals when no world names one.
pub const DEFAULT_ACCOUNT: &str = "1234567890123456";
/// `acs:CurrentTime` when no world gives a clock.
pub const DEFAULT_TIME: &str = "2025-01-01T00:00:00Z";
/// The "other" string value: matches no policy constant unless a policy names it.
pub const OTHER_STRING: &str = "ramsim-other";

/// A resource a request targets, with the account making the request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Target {
    /// Resource ARNs (one per catalog template).
    pub resources: Vec<String>,
    /// The caller's account.
    pub account: String,
    /// Resource group of the target, when the world knows it.
    pub resource_group: Option<String>,
}

/// One action of the space and every target it is tried on.
#[derive(Debug, Clone)]
pub struct ActionSpace {
    /// RAM action.
    pub action: String,
    /// The catalog entry (`None` for dependent-only actions and actions found only in a policy).
    pub entry: Option<&'static ApiEntry>,
    /// Targets, deduplicated.
    pub targets: Vec<Target>,
}

/// Changes applied to a base context: set a key to values, or remove it (`None`).
pub type Variation = Vec<(String, Option<Vec<String>>)>;

/// The whole generated space.
#[derive(Debug, Clone)]
pub struct Space {
    /// Actions with their targets.
    pub actions: Vec<ActionSpace>,
    /// Context variations (the first is "no change": the gateway defaults).
    pub variations: Vec<Variation>,
    /// Condition keys of either document, as first written.
    pub keys: Vec<String>,
}

impl Space {
    /// Number of requests the space holds.
    pub fn len(&self) -> usize {
        self.actions
            .iter()
            .map(|a| a.targets.len() * self.variations.len())
            .sum()
    }

    /// True when the space holds no request.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn arn_parts(arn: &str) -> Option<[&str; 5]> {
    let mut it = arn.splitn(5, ':');
    Some([it.next()?, it.next()?, it.next()?, it.next()?, it.next()?])
}

fn instantiate_text(p: &str) -> String {
    p.replace('*', "example").replace('?', "x")
}

/// Instantiates policy resource pattern `p` for template `t` (already filled with sample
/// values): each ARN segment the pattern accepts keeps the template's value, others get the
/// pattern with wildcards replaced. `None` when the pattern is not an ARN or names another
/// service or resource type.
pub fn instantiate_for(p: &str, filled_template: &str) -> Option<String> {
    let ps = arn_parts(p)?;
    let ts = arn_parts(filled_template)?;
    let ptype = ps[4].split('/').next().unwrap_or("");
    let ttype = ts[4].split('/').next().unwrap_or("");
    if !Wildcard::new(ps[1]).matches(ts[1]) || !Wildcard::new(ptype).matches(ttype) {
        return None;
    }
    let seg = |i: usize| -> String {
        let (pseg, tseg) = (ps[i], ts[i]);
        if Wildcard::new(pseg).matches(tseg) {
            tseg.to_string()
        } else {
            instantiate_text(pseg)
        }
    };
    Some(format!(
        "{}:{}:{}:{}:{}",
        seg(0),
        seg(1),
        seg(2),
        seg(3),
        seg(4)
    ))
}

fn sample_fill(template: &str, account: &str) -> String {
    fill(template, |name| {
        Some(match name {
            "region" => DEFAULT_REGION.to_string(),
            "account" | "RoleAccount" => account.to_string(),
            _ => "example".to_string(),
        })
    })
}

fn account_of(arn: &str) -> Option<String> {
    let a = arn_parts(arn)?[3];
    (!a.is_empty() && a.bytes().all(|b| b.is_ascii_digit())).then(|| a.to_string())
}

/// Every resource pattern of `policies` (Resource and NotResource).
fn resource_patterns(policies: &[&Policy]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in policies {
        for s in &p.statements {
            if let Some(r) = &s.resources {
                for pat in &r.patterns {
                    if pat.value != "*" && !out.contains(&pat.value) {
                        out.push(pat.value.clone());
                    }
                }
            }
        }
    }
    out.sort();
    out
}

fn targets_for_entry(
    entry: &ApiEntry,
    state: Option<&SimState>,
    patterns: &[String],
    default_account: &str,
) -> Vec<Target> {
    let mut out: Vec<Target> = Vec::new();
    let mut seen: HashSet<(Vec<String>, String)> = HashSet::new();
    let mut push = |t: Target, out: &mut Vec<Target>| {
        if seen.insert((t.resources.clone(), t.account.clone())) {
            out.push(t);
        }
    };
    if entry.all_resource() {
        push(
            Target {
                resources: vec!["*".into()],
                account: default_account.to_string(),
                resource_group: None,
            },
            &mut out,
        );
        return out;
    }
    if let Some(state) = state {
        for acct in state.world.accounts() {
            for inst in instances(state, &acct.uid, entry) {
                push(
                    Target {
                        resources: inst.resources,
                        account: acct.uid.clone(),
                        resource_group: inst.resource_group,
                    },
                    &mut out,
                );
            }
        }
    } else {
        let resources = entry
            .resources
            .iter()
            .map(|t| sample_fill(t, default_account))
            .collect();
        push(
            Target {
                resources,
                account: default_account.to_string(),
                resource_group: None,
            },
            &mut out,
        );
    }
    // The documents' own ARNs and patterns, one template at a time.
    let defaults: Vec<String> = entry
        .resources
        .iter()
        .map(|t| sample_fill(t, default_account))
        .collect();
    for (i, d) in defaults.iter().enumerate() {
        for p in patterns {
            let Some(r) = instantiate_for(p, d) else {
                continue;
            };
            let mut resources = defaults.clone();
            if let Some(slot) = resources.get_mut(i) {
                *slot = r.clone();
            }
            push(
                Target {
                    resources,
                    account: account_of(&r).unwrap_or_else(|| default_account.to_string()),
                    resource_group: None,
                },
                &mut out,
            );
        }
    }
    out
}

/// Actions named by the documents that match no modeled action, instantiated (`ecs:Describe*`
/// → `ecs:DescribeExample`).
fn unmodeled_actions(policies: &[&Policy]) -> Vec<String> {
    let modeled: Vec<String> = crate::api::catalog::all_actions()
        .map(|a| fold_case(a).into_owned())
        .collect();
    let mut out: Vec<String> = Vec::new();
    for p in policies {
        for s in &p.statements {
            for pat in &s.actions.patterns {
                let w = Wildcard::new(&fold_case(&pat.value));
                if modeled.iter().any(|m| w.matches(m)) || !pat.value.contains(':') {
                    continue;
                }
                let a = pat.value.replace('*', "Example").replace('?', "X");
                if !out.iter().any(|o| o.eq_ignore_ascii_case(&a)) {
                    out.push(a);
                }
            }
        }
    }
    out.sort();
    out
}

/// Changes the last character of `s` (a near-miss of an exact value).
fn change_last(s: &str) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    match chars.last_mut() {
        Some(c) => *c = if *c == 'x' { 'y' } else { 'x' },
        None => chars.push('x'),
    }
    chars.into_iter().collect()
}

fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

fn ip_plus(ip: IpAddr, delta: i8) -> Option<IpAddr> {
    match ip {
        IpAddr::V4(a) => {
            let v = u32::from(a);
            let v = if delta >= 0 {
                v.checked_add(delta as u32)?
            } else {
                v.checked_sub(delta.unsigned_abs() as u32)?
            };
            Some(IpAddr::V4(Ipv4Addr::from(v)))
        }
        IpAddr::V6(a) => {
            let v = u128::from(a);
            let v = if delta >= 0 {
                v.checked_add(delta as u128)?
            } else {
                v.checked_sub(delta.unsigned_abs() as u128)?
            };
            Some(IpAddr::V6(Ipv6Addr::from(v)))
        }
    }
}

/// Values for one condition: `(matching, non-matching)` candidates of its policy values.
fn condition_values(
    vt: ValueType,
    cmp: Comparison,
    values: &[String],
) -> (Vec<String>, Vec<String>) {
    let (mut hit, mut miss) = (Vec::new(), Vec::new());
    for v in values {
        match vt {
            ValueType::String => match cmp {
                Comparison::Like => {
                    hit.push(v.replace(['*', '?'], "x"));
                    // Change the last literal character: no longer matches.
                    let chars: Vec<char> = v.chars().collect();
                    if let Some(pos) = chars.iter().rposition(|c| *c != '*' && *c != '?') {
                        let mut m = chars.clone();
                        if let Some(c) = m.get_mut(pos) {
                            *c = if *c == 'x' { 'y' } else { 'x' };
                        }
                        let m: String = m.into_iter().collect();
                        miss.push(m.replace(['*', '?'], "x"));
                    }
                    // Drop the last path segment (`a/b/*` → `a`).
                    let inst = v.replace(['*', '?'], "x");
                    if let Some((head, _)) = inst.trim_end_matches('/').rsplit_once('/') {
                        miss.push(head.to_string());
                    }
                }
                Comparison::EqualsIgnoreCase => {
                    hit.push(v.clone());
                    let upper = v.to_uppercase();
                    if upper != *v {
                        hit.push(upper);
                    }
                    miss.push(change_last(v));
                }
                _ => {
                    hit.push(v.clone());
                    miss.push(change_last(v));
                    if let Some((head, _)) = v.rsplit_once('/') {
                        miss.push(head.to_string());
                    }
                }
            },
            ValueType::Numeric => {
                if let Some(n) = parse_number(v) {
                    hit.push(format_number(n));
                    miss.push(format_number(n + 1.0));
                    miss.push(format_number(n - 1.0));
                }
            }
            ValueType::Date => {
                if let Some(t) = parse_date(v) {
                    hit.push(format_date(t));
                    miss.push(format_date(t + 1_000_000_000));
                    miss.push(format_date(t - 1_000_000_000));
                }
            }
            ValueType::Bool => {
                hit.push(v.to_ascii_lowercase());
                miss.push(if v.eq_ignore_ascii_case("true") {
                    "false".into()
                } else {
                    "true".into()
                });
            }
            ValueType::Ip => {
                if let Some(net) = parse_ip_net(v) {
                    let (first, last) = match net {
                        IpNet::V4(n) => (IpAddr::V4(n.network()), IpAddr::V4(n.broadcast())),
                        IpNet::V6(n) => (IpAddr::V6(n.network()), IpAddr::V6(n.broadcast())),
                    };
                    hit.push(first.to_string());
                    if let Some(out) = ip_plus(last, 1).or_else(|| ip_plus(first, -1)) {
                        miss.push(out.to_string());
                    }
                }
            }
        }
    }
    (hit, miss)
}

fn other_value(vt: ValueType) -> Option<&'static str> {
    match vt {
        ValueType::String => Some(OTHER_STRING),
        ValueType::Numeric => Some("987654321"),
        ValueType::Date => Some("2000-01-01T00:00:00Z"),
        ValueType::Bool => None,
        ValueType::Ip => Some("198.51.100.77"),
    }
}

/// Per condition key: every candidate value, and the first value that satisfies a positive
/// condition on it (for the "all conditions satisfied" base).
#[derive(Debug, Clone)]
pub struct KeyValues {
    /// The key as first written.
    pub key: String,
    /// Candidate values (matching, near-miss, other), deduplicated.
    pub values: Vec<String>,
    /// A value satisfying the key's first condition, if there is one.
    pub satisfying: Option<String>,
}

/// Collects the condition keys of `policies` and their candidate values; `world_values` adds
/// values for a key from the world (the RD ids and paths of every account).
pub fn key_values(
    policies: &[&Policy],
    world_values: impl Fn(&str) -> Vec<String>,
) -> Vec<KeyValues> {
    let mut out: Vec<KeyValues> = Vec::new();
    for p in policies {
        for s in &p.statements {
            for c in &s.conditions {
                let values: Vec<String> = c.values.iter().map(|v| v.value.clone()).collect();
                let base = c.operator.base;
                let (hit, miss) = condition_values(base.value_type, base.comparison, &values);
                let pos = match out
                    .iter()
                    .position(|k| k.key.eq_ignore_ascii_case(&c.key.value))
                {
                    Some(i) => i,
                    None => {
                        out.push(KeyValues {
                            key: c.key.value.clone(),
                            values: world_values(&c.key.value),
                            satisfying: None,
                        });
                        out.len() - 1
                    }
                };
                let Some(kv) = out.get_mut(pos) else {
                    continue;
                };
                let satisfying = if base.negated {
                    miss.first()
                        .cloned()
                        .or_else(|| other_value(base.value_type).map(str::to_string))
                } else {
                    hit.first().cloned()
                };
                // The smallest candidate, so that the space does not depend on document order.
                if let Some(v) = satisfying {
                    if kv.satisfying.as_ref().is_none_or(|cur| v < *cur) {
                        kv.satisfying = Some(v);
                    }
                }
                let other = other_value(base.value_type).map(str::to_string);
                for v in hit.into_iter().chain(miss).chain(other) {
                    if !kv.values.contains(&v) {
                        kv.values.push(v);
                    }
                }
            }
        }
    }
    // Independent of which document came first: diff must be antisymmetric.
    for kv in &mut out {
        kv.values.sort();
    }
    out.sort_by_key(|k| k.key.to_ascii_lowercase());
    out
}

/// Context variations: the gateway defaults; "every key at a satisfying value"; and from each
/// of these two bases, every key set to each candidate value and every key absent.
pub fn variations(keys: &[KeyValues]) -> Vec<Variation> {
    let mut out: Vec<Variation> = vec![Vec::new()];
    let satisfied: Variation = keys
        .iter()
        .filter_map(|k| {
            k.satisfying
                .as_ref()
                .map(|v| (k.key.clone(), Some(vec![v.clone()])))
        })
        .collect();
    let mut bases = vec![Vec::new()];
    if !satisfied.is_empty() {
        bases.push(satisfied.clone());
        out.push(satisfied);
    }
    for base in &bases {
        for k in keys {
            let choices = k
                .values
                .iter()
                .map(|v| Some(vec![v.clone()]))
                .chain(std::iter::once(None));
            for choice in choices {
                let mut v = base.clone();
                v.retain(|(key, _)| !key.eq_ignore_ascii_case(&k.key));
                v.push((k.key.clone(), choice));
                out.push(v);
            }
        }
    }
    // Deduplicate by effect (key order does not matter).
    let mut seen: HashSet<Vec<(String, Option<Vec<String>>)>> = HashSet::new();
    out.retain(|v| {
        let mut canon: Vec<(String, Option<Vec<String>>)> = v
            .iter()
            .map(|(k, x)| (k.to_ascii_lowercase(), x.clone()))
            .collect();
        canon.sort();
        seen.insert(canon)
    });
    out
}

/// Builds the request space for `policies` over `state` (if any).
pub fn generate(policies: &[&Policy], state: Option<&SimState>) -> Space {
    let patterns = resource_patterns(policies);
    let default_account = DEFAULT_ACCOUNT.to_string();
    let mut actions = Vec::new();
    for entry in CATALOG.iter() {
        actions.push(ActionSpace {
            action: entry.action.to_string(),
            entry: Some(entry),
            targets: targets_for_entry(entry, state, &patterns, &default_account),
        });
    }
    let generic_targets = |action: &str| {
        let service = action.split(':').next().unwrap_or("");
        let template = format!("acs:{service}:{DEFAULT_REGION}:{default_account}:example");
        let mut targets = vec![Target {
            resources: vec!["*".into()],
            account: default_account.clone(),
            resource_group: None,
        }];
        for p in &patterns {
            if let Some(r) = instantiate_for(p, &template) {
                let t = Target {
                    resources: vec![r.clone()],
                    account: account_of(&r).unwrap_or_else(|| default_account.clone()),
                    resource_group: None,
                };
                if !targets.contains(&t) {
                    targets.push(t);
                }
            }
        }
        targets
    };
    for a in DEPENDENT_ONLY_ACTIONS {
        actions.push(ActionSpace {
            action: a.to_string(),
            entry: None,
            targets: vec![Target {
                resources: vec!["*".into()],
                account: default_account.clone(),
                resource_group: None,
            }],
        });
    }
    for a in unmodeled_actions(policies) {
        let targets = generic_targets(&a);
        actions.push(ActionSpace {
            action: a,
            entry: None,
            targets,
        });
    }
    let keys = key_values(policies, |key| world_values(state, key));
    Space {
        actions,
        variations: variations(&keys),
        keys: keys.into_iter().map(|k| k.key).collect(),
    }
}

/// Values of `acs:TargetRDId` / `acs:TargetRDPath` the world can produce.
fn world_values(state: Option<&SimState>, key: &str) -> Vec<String> {
    let Some(state) = state else {
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    for a in state.world.accounts() {
        let v = if key.eq_ignore_ascii_case("acs:TargetRDId") {
            state.world.rd_id(&a.uid)
        } else if key.eq_ignore_ascii_case("acs:TargetRDPath") {
            state.world.rd_path(&a.uid)
        } else {
            None
        };
        if let Some(v) = v {
            if !out.contains(&v) {
                out.push(v);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pattern_instantiation_follows_the_template() {
        let t = "acs:vpc:cn-hangzhou:1234567890123456:vpc/example";
        assert_eq!(instantiate_for("acs:vpc:*:*:vpc/*", t).as_deref(), Some(t));
        assert_eq!(
            instantiate_for("acs:vpc:cn-beijing:*:vpc/vpc-abc", t).as_deref(),
            Some("acs:vpc:cn-beijing:1234567890123456:vpc/vpc-abc")
        );
        assert_eq!(instantiate_for("acs:vpc:*:*:routetable/*", t), None);
        assert_eq!(instantiate_for("acs:ecs:*:*:*", t), None);
        assert_eq!(instantiate_for("*", t), None);
    }

    #[test]
    fn like_values_hit_and_miss() {
        let (hit, miss) = condition_values(
            ValueType::String,
            Comparison::Like,
            &["rd-1/r-1/fd-1/*".to_string()],
        );
        assert_eq!(hit, vec!["rd-1/r-1/fd-1/x"]);
        assert!(miss.contains(&"rd-1/r-1/fd-1xx".to_string()));
        assert!(miss.contains(&"rd-1/r-1/fd-1".to_string()));
        let w = Wildcard::new("rd-1/r-1/fd-1/*");
        assert!(hit.iter().all(|h| w.matches(h)));
        assert!(miss.iter().all(|m| !w.matches(m)));
    }

    #[test]
    fn ip_and_numbers() {
        let (hit, miss) = condition_values(
            ValueType::Ip,
            Comparison::InCidr,
            &["203.0.113.0/24".to_string()],
        );
        assert_eq!(hit, vec!["203.0.113.0"]);
        assert_eq!(miss, vec!["203.0.114.0"]);
        let (hit, miss) =
            condition_values(ValueType::Numeric, Comparison::Equals, &["10".to_string()]);
        assert_eq!(hit, vec!["10"]);
        assert_eq!(miss, vec!["11", "9"]);
    }

    #[test]
    fn variations_are_deduplicated() {
        let keys = vec![KeyValues {
            key: "k".into(),
            values: vec!["a".into(), "b".into()],
            satisfying: Some("a".into()),
        }];
        let v = variations(&keys);
        // [], [k=a], [k=b], [k absent]
        assert_eq!(v.len(), 4);
    }
}
