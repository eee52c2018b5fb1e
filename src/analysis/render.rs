//! Words for regions, and the human / JSON / SARIF renderings of exact diffs and analyses.

use super::domain::{KeyDomain, KeyValue};
use super::{ChangeKind, ExactDiff, Region, SideDecision, StatementRef, Stats};
use crate::authz::condition::Tri;
use crate::authz::Outcome;
use crate::policy::ast::{Comparison, Operator, SetQualifier, ValueType};
use crate::report::{sarif, Finding as ReportFinding, Level, RuleInfo, Tool};
use std::fmt::Write as _;

fn list(values: &[String]) -> String {
    if values.len() == 1 {
        format!("`{}`", values[0])
    } else {
        format!(
            "one of [{}]",
            values
                .iter()
                .map(|v| format!("`{v}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

/// "P" and "not P" for one value against the policy values of `op`.
fn phrases(op: Operator, values: &[String]) -> (String, String) {
    let vs = list(values);
    let base = op.base;
    match (base.value_type, base.comparison) {
        (ValueType::String, Comparison::Like) => (format!("like {vs}"), format!("not like {vs}")),
        (ValueType::String, Comparison::EqualsIgnoreCase) => (
            format!("= {vs} ignoring case"),
            format!("≠ {vs} ignoring case"),
        ),
        (ValueType::Ip, _) => (format!("in {vs}"), format!("not in {vs}")),
        (ValueType::Bool, _) => (format!("= {vs}"), format!("≠ {vs}")),
        (_, Comparison::LessThan) => (format!("< {vs}"), format!("≥ {vs}")),
        (_, Comparison::LessThanEquals) => (format!("≤ {vs}"), format!("> {vs}")),
        (_, Comparison::GreaterThan) => (format!("> {vs}"), format!("≤ {vs}")),
        (_, Comparison::GreaterThanEquals) => (format!("≥ {vs}"), format!("< {vs}")),
        _ => (format!("= {vs}"), format!("≠ {vs}")),
    }
}

fn type_name(t: ValueType) -> &'static str {
    match t {
        ValueType::String => "string",
        ValueType::Numeric => "number",
        ValueType::Date => "date",
        ValueType::Bool => "boolean",
        ValueType::Ip => "IP address",
    }
}

/// Describes region `i` of key `d`: "`k` is present and not like `…`", naming only the
/// `relevant` conditions (all when `None`).
pub fn describe_key(d: &KeyDomain, i: usize, relevant: Option<&[bool]>) -> String {
    let opt = &d.present[i];
    let multi = matches!(&opt.value, KeyValue::Values(v) if v.len() > 1) || d.shape.multi;
    let mut parts: Vec<String> = Vec::new();
    for (ci, (c, &t)) in d.conditions.iter().zip(&opt.verdicts).enumerate() {
        if relevant.is_some_and(|r| r.get(ci) != Some(&true)) {
            continue;
        }
        let op = c.operator();
        let values: Vec<String> = c.policy_values().map(str::to_string).collect();
        let (p, not_p) = phrases(op, &values);
        if t == Tri::Unknown {
            parts.push(format!(
                "is not a valid {} for `{op}`",
                type_name(op.base.value_type)
            ));
            continue;
        }
        let truth = t == Tri::True;
        let negated = op.base.negated;
        // What the verdict says about the values, as (quantifier, phrase).
        let (q, phrase) = match (op.qualifier, negated, truth) {
            (None, false, true) | (Some(SetQualifier::ForAnyValue), false, true) => ("some", &p),
            (None, false, false) | (Some(SetQualifier::ForAnyValue), false, false) => {
                ("every", &not_p)
            }
            (None, true, true) | (Some(SetQualifier::ForAllValues), true, true) => {
                ("every", &not_p)
            }
            (None, true, false) | (Some(SetQualifier::ForAllValues), true, false) => ("some", &p),
            (Some(SetQualifier::ForAnyValue), true, true) => ("some", &not_p),
            (Some(SetQualifier::ForAnyValue), true, false) => ("every", &p),
            (Some(SetQualifier::ForAllValues), false, true) => ("every", &p),
            (Some(SetQualifier::ForAllValues), false, false) => ("some", &not_p),
        };
        let text = if multi {
            match q {
                "some" => format!("has a value {phrase}"),
                _ => format!("has only values {phrase}"),
            }
        } else {
            phrase.clone()
        };
        if !parts.contains(&text) {
            parts.push(text);
        }
    }
    let mut s = format!("`{}` is present", d.name);
    if !parts.is_empty() {
        s.push_str(" and ");
        s.push_str(&parts.join(" and "));
    }
    s
}

fn side_text(s: &SideDecision) -> String {
    let mut out = s.decision.as_str().to_string();
    if let Some(t) = s.policy_type {
        let _ = write!(out, " ({})", t.as_str());
    }
    if s.statements.is_empty() {
        if s.decision == Outcome::ImplicitDeny {
            out.push_str(" — no statement allows");
        }
    } else {
        let verb = if s.decision == Outcome::Allow {
            "allowed by"
        } else {
            "denied by"
        };
        let l: Vec<String> = s.statements.iter().map(StatementRef::label).collect();
        let _ = write!(out, " — {verb} {}", l.join(", "));
    }
    out
}

/// The region's request set in one line.
pub fn region_text(r: &Region) -> String {
    let mut s = format!("{} on {}", r.action_region, r.resource_region);
    if let Some(g) = &r.resource_group_region {
        let _ = write!(s, " ({g})");
    }
    if let Some(p) = &r.principal_region {
        let _ = write!(s, " by {p}");
    }
    if !r.conditions.is_empty() {
        let _ = write!(s, " when {}", r.conditions.join(" and "));
    }
    s
}

fn region_block(out: &mut String, sign: char, r: &Region, labels: &[&str]) {
    let _ = writeln!(out, "{sign} {}", region_text(r));
    let _ = writeln!(
        out,
        "    witness: {} on {}",
        r.witness.action, r.witness.resource
    );
    if let Some(p) = &r.witness.principal {
        let _ = writeln!(
            out,
            "      caller: {} ({}, account {})",
            p.arns.first().map_or("", String::as_str),
            p.kind.auth_principal_type(),
            p.account
        );
    }
    if let Some(g) = &r.witness.resource_group {
        let _ = writeln!(out, "      resource group: {g}");
    }
    let _ = writeln!(out, "      context: {}", r.witness.context_text());
    for (l, d) in labels.iter().zip(&r.decisions) {
        let _ = writeln!(out, "    {l}: {}", side_text(d));
    }
}

/// Statistics line.
pub fn stats_text(s: &Stats) -> String {
    let mut t = format!(
        "explored {} action regions, {} resource regions, {} key regions, {} search nodes, {} leaves",
        s.action_regions, s.resource_regions, s.key_regions, s.nodes, s.leaves
    );
    if !s.complete {
        t.push_str("; INCOMPLETE: a region budget ran out");
    }
    if !s.mixed_keys.is_empty() {
        let _ = write!(
            t,
            "; keys compared as several value types (regions per type): {}",
            s.mixed_keys.join(", ")
        );
    }
    if s.caller_classes > 0 {
        let _ = write!(t, "; {} caller classes", s.caller_classes);
    } else if s.principal_statements > 0 {
        let _ = write!(
            t,
            "; {} statements with Principal analysed as matching the caller",
            s.principal_statements
        );
    }
    t
}

/// Terminal text of an exact diff (the "exact" section of `ramsim diff`).
pub fn diff_human(d: &ExactDiff) -> String {
    let mut out = String::new();
    let sections = [
        (ChangeKind::Granted, '+', "access granted"),
        (ChangeKind::Removed, '-', "access removed"),
        (ChangeKind::DenyKind, '~', "deny kind changed"),
    ];
    for (kind, sign, title) in sections {
        let n = d.count(kind);
        if n == 0 {
            continue;
        }
        let _ = writeln!(
            out,
            "{title} ({n} region{}):",
            if n == 1 { "" } else { "s" }
        );
        for r in d.of(kind) {
            region_block(&mut out, sign, r, &["old", "new"]);
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "exact: {} granted, {} removed, {} deny-kind changes (regions); {}",
        d.count(ChangeKind::Granted),
        d.count(ChangeKind::Removed),
        d.count(ChangeKind::DenyKind),
        stats_text(&d.stats)
    );
    out
}

/// JSON value of an exact diff.
pub fn diff_json(d: &ExactDiff) -> serde_json::Value {
    let regions: Vec<serde_json::Value> = d
        .regions
        .iter()
        .map(|(k, r)| {
            let mut v = serde_json::to_value(r).unwrap_or_default();
            if let Some(o) = v.as_object_mut() {
                o.insert("change".into(), serde_json::to_value(k).unwrap_or_default());
                o.insert("description".into(), region_text(r).into());
            }
            v
        })
        .collect();
    serde_json::json!({
        "granted": d.count(ChangeKind::Granted),
        "removed": d.count(ChangeKind::Removed),
        "deny_kind_changes": d.count(ChangeKind::DenyKind),
        "regions": regions,
        "stats": d.stats,
    })
}

/// SARIF rules of the exact diff.
pub const DIFF_RULES: [RuleInfo; 3] = [
    RuleInfo {
        id: "D001",
        name: "access-granted",
        description: "The new version allows requests the old version denied.",
        level: Level::Error,
    },
    RuleInfo {
        id: "D002",
        name: "access-removed",
        description: "The new version denies requests the old version allowed.",
        level: Level::Warning,
    },
    RuleInfo {
        id: "D003",
        name: "deny-kind-changed",
        description:
            "Requests denied by both versions, explicitly by one and implicitly by the other.",
        level: Level::Note,
    },
];

/// The line `ramsim diff` prints when an analysis ran out of budget.
pub const INCOMPLETE_NOTE: &str = "INCOMPLETE: a region budget ran out, so a change may be missing; failing closed (exit 1, as if access were granted)";

/// The SARIF finding of an incomplete diff (rule D001 at the new file's start: access may be
/// granted).
pub fn incomplete_finding(new_file: &str) -> ReportFinding {
    located(
        None,
        new_file,
        &DIFF_RULES[0],
        INCOMPLETE_NOTE.to_string(),
        None,
    )
}

/// A SARIF finding located at `at` (or at the start of `fallback`).
pub fn located(
    at: Option<&StatementRef>,
    fallback: &str,
    rule: &RuleInfo,
    message: String,
    help: Option<String>,
) -> ReportFinding {
    let (file, line, column) = match at {
        Some(StatementRef {
            file: Some(f),
            line: Some(l),
            column: Some(c),
            ..
        }) => (f.clone(), *l, *c),
        _ => (fallback.to_string(), 1, 1),
    };
    let path = at.map_or_else(String::new, |s| format!("Statement[{}]", s.statement));
    ReportFinding {
        file,
        line,
        column,
        end_line: line,
        end_column: column + 1,
        code: rule.id.into(),
        name: rule.name.into(),
        severity: rule.level,
        path,
        message,
        help,
    }
}

/// SARIF log of an exact diff; each region is located at the responsible statement of the new
/// version (else of the old one, else the new file's start).
pub fn diff_sarif(d: &ExactDiff, new_file: &str) -> serde_json::Value {
    sarif::render(Tool::ramsim(), &DIFF_RULES, &diff_findings(d, new_file))
}

/// The findings of [`diff_sarif`].
pub fn diff_findings(d: &ExactDiff, new_file: &str) -> Vec<ReportFinding> {
    d.regions
        .iter()
        .map(|(k, r)| {
            let rule = match k {
                ChangeKind::Granted => &DIFF_RULES[0],
                ChangeKind::Removed => &DIFF_RULES[1],
                ChangeKind::DenyKind => &DIFF_RULES[2],
            };
            let at = r.decisions[1]
                .statements
                .iter()
                .chain(&r.decisions[0].statements)
                .find(|s| s.file.is_some());
            located(
                at,
                new_file,
                rule,
                format!(
                    "{}; old: {}; new: {}",
                    region_text(r),
                    side_text(&r.decisions[0]),
                    side_text(&r.decisions[1])
                ),
                Some(format!(
                    "witness: {} on {} with {}",
                    r.witness.action,
                    r.witness.resource,
                    r.witness.context_text()
                )),
            )
        })
        .collect()
}

/// Human text for a region found by `analyze` (one flow or several, labelled).
pub fn region_human(r: &Region, labels: &[&str]) -> String {
    let mut out = String::new();
    region_block(&mut out, '*', r, labels);
    out
}
