//! Rendering permission matrices: an aligned table, JSON and CSV (RFC 4180).

use super::{Matrix, Row};
use std::fmt::Write as _;

/// The columns of the table and CSV outputs.
pub const COLUMNS: [&str; 7] = [
    "API",
    "ACTION",
    "RESOURCE",
    "DECISION",
    "POLICY TYPE",
    "DECIDED BY",
    "MISSING CONTEXT",
];

fn decided_by(r: &Row) -> String {
    let mut parts: Vec<String> = r.statements.iter().map(|s| s.label()).collect();
    if let Some(n) = &r.note {
        parts.push(n.clone());
    }
    if let Some(p) = &r.denied_pair {
        parts.push(format!("on dependent {p}"));
    }
    if parts.is_empty() {
        "-".into()
    } else {
        parts.join("; ")
    }
}

fn cells(r: &Row) -> [String; 7] {
    [
        r.api.clone(),
        r.action.clone(),
        r.resources.join(" "),
        r.decision.as_str().to_string(),
        r.policy_type.map_or("-", |t| t.as_str()).to_string(),
        decided_by(r),
        if r.missing_context.is_empty() {
            "-".into()
        } else {
            r.missing_context.join(" ")
        },
    ]
}

/// A fixed-width table per principal, with a count line.
pub fn table(matrices: &[Matrix]) -> String {
    let mut out = String::new();
    for (i, m) in matrices.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let _ = writeln!(out, "principal: {} ({})", m.principal, m.arn);
        let rows: Vec<[String; 7]> = m.rows.iter().map(cells).collect();
        let mut width = COLUMNS.map(|c| c.chars().count());
        for r in &rows {
            for (w, c) in width.iter_mut().zip(r) {
                *w = (*w).max(c.chars().count());
            }
        }
        let line = |cols: &[String]| {
            let mut s = String::new();
            for (j, (c, w)) in cols.iter().zip(width).enumerate() {
                if j + 1 == cols.len() {
                    s.push_str(c);
                } else {
                    let pad = w.saturating_sub(c.chars().count());
                    s.push_str(c);
                    s.push_str(&" ".repeat(pad + 2));
                }
            }
            s.trim_end().to_string()
        };
        let header: Vec<String> = COLUMNS.iter().map(|c| c.to_string()).collect();
        let _ = writeln!(out, "{}", line(&header));
        for r in &rows {
            let _ = writeln!(out, "{}", line(r));
        }
        let allowed = m
            .rows
            .iter()
            .filter(|r| r.decision == crate::authz::Outcome::Allow)
            .count();
        let _ = writeln!(
            out,
            "{} rows: {allowed} allowed, {} denied",
            m.rows.len(),
            m.rows.len() - allowed
        );
    }
    out
}

/// Pretty JSON: an array with one object per principal.
pub fn json(matrices: &[Matrix]) -> String {
    serde_json::to_string_pretty(matrices).unwrap_or_else(|_| "[]".into())
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// CSV with a header row and a leading `PRINCIPAL` column.
pub fn csv(matrices: &[Matrix]) -> String {
    let mut out = String::from("PRINCIPAL");
    for c in COLUMNS {
        out.push(',');
        out.push_str(c);
    }
    out.push_str("\r\n");
    for m in matrices {
        for r in &m.rows {
            out.push_str(&csv_field(&m.principal));
            for c in cells(r) {
                out.push(',');
                out.push_str(&csv_field(&c));
            }
            out.push_str("\r\n");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_fields() {
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("plain"), "plain");
    }
}
