//! Rendering a [`DiffReport`]: terminal text, JSON, and SARIF 2.1.0 (through `report::sarif`,
//! with each finding located at the statement responsible for it).

use super::{Change, DiffReport, Finding, Side, Version};
use crate::authz::Outcome;
use crate::policy::span::LineIndex;
use crate::report::{sarif, Finding as ReportFinding, Level, RuleInfo, Tool};
use std::fmt::Write as _;

/// The rules `diff` reports in SARIF.
pub const RULES: [RuleInfo; 2] = [
    RuleInfo {
        id: "D001",
        name: "access-granted",
        description: "The new version allows a request the old version denied.",
        level: Level::Error,
    },
    RuleInfo {
        id: "D002",
        name: "access-removed",
        description: "The new version denies a request the old version allowed.",
        level: Level::Warning,
    },
];

fn side_text(s: &Side) -> String {
    let mut out = s.decision.as_str().to_string();
    if let Some(t) = s.policy_type {
        let _ = write!(out, " ({})", t.as_str());
    }
    if s.statements.is_empty() {
        out.push_str(match s.decision {
            Outcome::ImplicitDeny => " — no statement allows",
            Outcome::Allow => " — no statement of this version denies",
            Outcome::ExplicitDeny => "",
        });
    } else {
        let verb = if s.decision == Outcome::Allow {
            "allowed by"
        } else {
            "denied by"
        };
        let list: Vec<String> = s
            .statements
            .iter()
            .map(|st| match &st.location {
                Some(l) => format!("{} at {l}", st.label()),
                None => st.label(),
            })
            .collect();
        let _ = write!(out, " — {verb} {}", list.join(", "));
    }
    out
}

fn context_text(f: &Finding) -> String {
    let mut parts: Vec<String> = f
        .witness
        .context
        .iter()
        .map(|(k, v)| match v {
            serde_json::Value::String(s) => format!("{k}={s}"),
            other => format!("{k}={other}"),
        })
        .collect();
    for k in &f.witness.absent {
        parts.push(format!("{k} absent"));
    }
    if parts.is_empty() {
        "(empty)".into()
    } else {
        parts.join(", ")
    }
}

fn finding_text(out: &mut String, f: &Finding) {
    let sign = if f.change == Change::Granted {
        '+'
    } else {
        '-'
    };
    let plural = if f.count == 1 { "" } else { "s" };
    let _ = writeln!(out, "{sign} {}  [{} request{plural}]", f.action, f.count);
    let _ = writeln!(
        out,
        "    witness: {} on {} ({})",
        f.witness.action,
        f.witness.resources.join(", "),
        f.witness.source
    );
    if !f.witness.dependent.is_empty() {
        let _ = writeln!(out, "      with {}", f.witness.dependent.join(", "));
    }
    let _ = writeln!(out, "      principal: {}", f.witness.principal);
    let _ = writeln!(out, "      context: {}", context_text(f));
    let _ = writeln!(out, "    old: {}", side_text(&f.old));
    let _ = writeln!(out, "    new: {}", side_text(&f.new));
}

/// Terminal output.
pub fn human(r: &DiffReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "diff {} -> {} ({} policy)",
        r.old,
        r.new,
        r.kind.name()
    );
    let _ = writeln!(
        out,
        "compared {} requests ({} generated, {} replayed)",
        r.generated + r.replayed,
        r.generated,
        r.replayed
    );
    for s in &r.skipped {
        let _ = writeln!(out, "skipped {s}");
    }
    for (title, list) in [
        ("access granted", &r.granted),
        ("access removed", &r.removed),
    ] {
        if list.is_empty() {
            continue;
        }
        let n: usize = list.iter().map(|f| f.count).sum();
        let _ = writeln!(out, "\n{title} ({} findings, {n} requests):", list.len());
        for f in list {
            finding_text(&mut out, f);
        }
    }
    let _ = writeln!(
        out,
        "\n{} granted ({} requests), {} removed ({} requests), {} deny-kind changes",
        r.granted.len(),
        r.granted_requests(),
        r.removed.len(),
        r.removed_requests(),
        r.deny_changes
    );
    out
}

/// Pretty JSON.
pub fn json(r: &DiffReport) -> String {
    serde_json::to_string_pretty(r).unwrap_or_else(|_| "{}".into())
}

/// Where a finding points: the responsible statement of the new version, else the old one's,
/// else the start of the new file.
fn locate(
    f: &Finding,
    old: &Version,
    new: &Version,
) -> (String, usize, usize, usize, usize, String) {
    let pick = [(&f.new, new), (&f.old, old)];
    for (side, version) in pick {
        let Some(st) = side.statements.first() else {
            continue;
        };
        let Some(stmt) = version.policy.statements.get(st.statement) else {
            continue;
        };
        let idx = LineIndex::new(&version.text);
        let start = idx.line_col(&version.text, stmt.span.start);
        let end = idx.line_col(&version.text, stmt.span.end);
        return (
            version.file.clone(),
            start.line,
            start.column,
            end.line,
            end.column,
            format!("Statement[{}]", st.statement),
        );
    }
    (new.file.clone(), 1, 1, 1, 2, "Statement".into())
}

/// SARIF 2.1.0: one result per finding.
pub fn sarif_log(r: &DiffReport, old: &Version, new: &Version) -> serde_json::Value {
    sarif::render(Tool::ramsim(), &RULES, &sarif_findings(r, old, new))
}

/// The SARIF findings of [`sarif_log`], for logs that combine several sources.
pub fn sarif_findings(r: &DiffReport, old: &Version, new: &Version) -> Vec<ReportFinding> {
    r.granted
        .iter()
        .chain(&r.removed)
        .map(|f| {
            let (file, line, column, end_line, end_column, path) = locate(f, old, new);
            let rule = if f.change == Change::Granted {
                &RULES[0]
            } else {
                &RULES[1]
            };
            let verb = if f.change == Change::Granted {
                "newly allowed"
            } else {
                "no longer allowed"
            };
            ReportFinding {
                file,
                line,
                column,
                end_line,
                end_column,
                code: rule.id.into(),
                name: rule.name.into(),
                severity: rule.level,
                path,
                message: format!(
                    "`{}` is {verb} on `{}` ({} request{}); old: {}; new: {}",
                    f.action,
                    f.witness.resources.join(", "),
                    f.count,
                    if f.count == 1 { "" } else { "s" },
                    side_text(&f.old),
                    side_text(&f.new)
                ),
                help: Some(format!("witness context: {}", context_text(f))),
            }
        })
        .collect()
}
