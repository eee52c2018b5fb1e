//! Rendering permission matrices: an aligned table, a compact form (allowed actions per
//! resource), JSON, CSV (RFC 4180) and a self-contained HTML page with sortable tables.

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

/// A resource as the row names it: the ARN, then `peer:<uid>` when the row has a target account.
fn resource_label(r: &Row, resource: &str) -> String {
    match &r.target {
        Some(t) => format!("{resource} peer:{t}"),
        None => resource.to_string(),
    }
}

fn cells(r: &Row) -> [String; 7] {
    [
        r.api.clone(),
        r.action.clone(),
        resource_label(r, &r.resources.join(" ")),
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
        let allowed = m.allowed();
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

/// The compact form of wide matrices: per principal, one line per resource (with its target
/// account, `peer:<uid>`, for rows that have one) with the actions allowed on it (resources sorted, actions sorted and deduplicated), then the resources on
/// which nothing is allowed, counted.
pub fn compact(matrices: &[Matrix]) -> String {
    use std::collections::BTreeMap;
    let mut out = String::new();
    for (i, m) in matrices.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let _ = writeln!(out, "principal: {} ({})", m.principal, m.arn);
        let mut by_resource: BTreeMap<String, Vec<&str>> = BTreeMap::new();
        for r in &m.rows {
            for res in &r.resources {
                let actions = by_resource.entry(resource_label(r, res)).or_default();
                if r.decision == crate::authz::Outcome::Allow {
                    actions.push(r.action.as_str());
                }
            }
        }
        let width = by_resource
            .iter()
            .filter(|(_, a)| !a.is_empty())
            .map(|(r, _)| r.chars().count())
            .max()
            .unwrap_or(0)
            .max("RESOURCE".len());
        let _ = writeln!(out, "{:<width$}  ALLOWED ACTIONS", "RESOURCE");
        let mut nothing = 0usize;
        for (res, actions) in &mut by_resource {
            if actions.is_empty() {
                nothing += 1;
                continue;
            }
            actions.sort_unstable();
            actions.dedup();
            let _ = writeln!(out, "{res:<width$}  {}", actions.join(" "));
        }
        let allowed = m.allowed();
        let _ = writeln!(
            out,
            "{} rows: {allowed} allowed, {} denied; {} resources, {nothing} with nothing allowed",
            m.rows.len(),
            m.rows.len() - allowed,
            by_resource.len(),
        );
    }
    out
}

/// Escapes text for HTML element content and attribute values.
fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The page's style sheet (inline: the page fetches nothing).
const HTML_STYLE: &str = "body{font-family:sans-serif;margin:1em}\
table{border-collapse:collapse;margin-bottom:2em}\
th,td{border:1px solid #ccc;padding:2px 6px;text-align:left;vertical-align:top;font-size:13px}\
th{background:#eee;cursor:pointer;user-select:none}\
th.asc::after{content:\" \\25B2\"}th.desc::after{content:\" \\25BC\"}\
td.Allow{background:#dfd}td.ExplicitDeny{background:#fdd}td.ImplicitDeny{background:#fff3d6}";

/// The page's script: a click on a header sorts its table by that column (text order,
/// toggling ascending/descending). Written without `<` so the page is well-formed XML too.
const HTML_SCRIPT: &str = "document.querySelectorAll('table.sortable').forEach(function(t){\
t.querySelectorAll('th').forEach(function(th,col){th.addEventListener('click',function(){\
var desc=th.classList.contains('asc');\
t.querySelectorAll('th').forEach(function(h){h.classList.remove('asc','desc');});\
th.classList.add(desc?'desc':'asc');\
var body=t.tBodies[0];var rows=Array.prototype.slice.call(body.rows);\
rows.sort(function(a,b){var x=a.cells[col].textContent,y=b.cells[col].textContent;\
var c=x.localeCompare(y);return desc?-c:c;});\
rows.forEach(function(r){body.appendChild(r);});});});});";

/// A self-contained HTML page: one sortable table per principal (click a header to sort),
/// decisions colored, no external script, style sheet or font. Same matrices, same bytes.
pub fn html(matrices: &[Matrix]) -> String {
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n");
    out.push_str("<title>ramsim simulate</title>\n");
    let _ = writeln!(out, "<style>{HTML_STYLE}</style>");
    out.push_str("</head>\n<body>\n");
    for m in matrices {
        let allowed = m.allowed();
        let _ = writeln!(
            out,
            "<h2>{} <small>({})</small></h2>\n<p>{} rows: {allowed} allowed, {} denied</p>",
            escape_html(&m.principal),
            escape_html(&m.arn),
            m.rows.len(),
            m.rows.len() - allowed
        );
        out.push_str("<table class=\"sortable\">\n<thead><tr>");
        for c in COLUMNS {
            let _ = write!(out, "<th>{}</th>", escape_html(c));
        }
        out.push_str("</tr></thead>\n<tbody>\n");
        for r in &m.rows {
            out.push_str("<tr>");
            for (j, c) in cells(r).iter().enumerate() {
                if j == 3 {
                    let _ = write!(
                        out,
                        "<td class=\"{}\">{}</td>",
                        r.decision.as_str(),
                        escape_html(c)
                    );
                } else {
                    let _ = write!(out, "<td>{}</td>", escape_html(c));
                }
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</tbody>\n</table>\n");
    }
    let _ = writeln!(out, "<script>{HTML_SCRIPT}</script>");
    out.push_str("</body>\n</html>\n");
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

    #[test]
    fn html_escapes_markup() {
        assert_eq!(
            escape_html(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert!(!HTML_SCRIPT.contains('<') && !HTML_SCRIPT.contains('&'));
    }
}
