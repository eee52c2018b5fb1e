//! Validation findings (spec §1.7): each names the rule broken, the console checker's name, the
//! API error it maps to, the JSON path and the source span.

use super::ast::PolicyKind;
use super::span::{JsonPath, LineCol, LineIndex, Span};
use serde::Serialize;
use std::fmt::Write as _;

/// A validation rule of §1.7 (V1–V16), plus the ramsim rules the spec implies (V17+).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Rule {
    /// V1: not valid JSON.
    JsonSyntax,
    /// V2: a value of the wrong JSON type (or an empty list).
    DataTypeMismatch,
    /// V3: `Version` is not `"1"`.
    InvalidVersion,
    /// V4: `Effect` is not exactly `Allow` or `Deny`.
    InvalidEffect,
    /// V5: an element not allowed here (unknown, wrong kind, or conflicting with another).
    InvalidPolicyElement,
    /// V6: no `Action` and no `NotAction`.
    MissingAction,
    /// V7: an action not of the form `<ram-code>:<action>` or `*`.
    InvalidActionFormat,
    /// V8: a resource that starts neither with `acs:` nor is `*`.
    InvalidArnPrefix,
    /// V9: a resource ARN with fewer than five colon-separated fields.
    MissingArnField,
    /// V10: a condition key not of the form `<ram-code>:<key>`.
    InvalidConditionKeyFormat,
    /// V11: an unknown condition operator (including `…IfExists` and `Null`).
    InvalidConditionOperator,
    /// V12: a `Bool` condition with more than one value.
    InvalidConditionMultipleBoolean,
    /// V13/V14/V15: the document exceeds the length limit of its kind.
    DocumentTooLong,
    /// V16: a required element (Version, Statement, Effect, Resource, Principal) is missing.
    MissingElement,
    /// V17 (ASSUMED §1.6): the same member name twice in one JSON object.
    DuplicateKey,
    /// V18 (ASSUMED §4.7): a condition value that does not parse for its operator.
    InvalidConditionValue,
}

impl Rule {
    /// The rule's identifier in this project (`V1` … `V18`).
    pub fn id(self) -> &'static str {
        match self {
            Rule::JsonSyntax => "V1",
            Rule::DataTypeMismatch => "V2",
            Rule::InvalidVersion => "V3",
            Rule::InvalidEffect => "V4",
            Rule::InvalidPolicyElement => "V5",
            Rule::MissingAction => "V6",
            Rule::InvalidActionFormat => "V7",
            Rule::InvalidArnPrefix => "V8",
            Rule::MissingArnField => "V9",
            Rule::InvalidConditionKeyFormat => "V10",
            Rule::InvalidConditionOperator => "V11",
            Rule::InvalidConditionMultipleBoolean => "V12",
            Rule::DocumentTooLong => "V13",
            Rule::MissingElement => "V16",
            Rule::DuplicateKey => "V17",
            Rule::InvalidConditionValue => "V18",
        }
    }

    /// The rule's identifier for a document of `kind`: as [`Rule::id`], except that the length
    /// limit is V14 for control policies (§1.7: HTTP 409 from CreateControlPolicy).
    pub fn id_for(self, kind: PolicyKind) -> &'static str {
        match (self, kind) {
            (Rule::DocumentTooLong, PolicyKind::Control) => "V14",
            _ => self.id(),
        }
    }

    /// The name Alibaba's console policy checker uses (§1.7; §10 Q16 for V16).
    pub fn checker_name(self) -> &'static str {
        match self {
            Rule::JsonSyntax => "Json syntax error",
            Rule::DataTypeMismatch => "Data type mismatch",
            Rule::InvalidVersion => "Invalid version",
            Rule::InvalidEffect => "Invalid effect",
            Rule::InvalidPolicyElement => "Invalid policy element",
            Rule::MissingAction => "Missing action",
            Rule::InvalidActionFormat => "Invalid action format",
            Rule::InvalidArnPrefix => "Invalid ARN prefix",
            Rule::MissingArnField => "Missing ARN field",
            Rule::InvalidConditionKeyFormat => "Invalid condition key format",
            Rule::InvalidConditionOperator => "Invalid condition operator",
            Rule::InvalidConditionMultipleBoolean => "Invalid condition multiple Boolean",
            Rule::DocumentTooLong => "Policy document too long",
            Rule::MissingElement => "Missing element",
            Rule::DuplicateKey => "Duplicate key",
            Rule::InvalidConditionValue => "Invalid condition value",
        }
    }
}

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The document is rejected.
    Error,
    /// Accepted by RAM, but probably a mistake (lints).
    Warning,
}

/// The API error a rejected document produces (§1.7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiError {
    /// HTTP status.
    #[serde(rename = "HttpStatus")]
    pub http_status: u16,
    /// Error code, e.g. `MalformedPolicyDocument`.
    #[serde(rename = "Code")]
    pub code: &'static str,
}

impl ApiError {
    /// The API error for a document of `kind` rejected for `rule` (§1.7 V1–V16).
    pub fn for_rule(kind: PolicyKind, rule: Rule) -> ApiError {
        match (kind, rule) {
            // V15: STS reports every invalid session policy as a grammar error.
            (PolicyKind::Session, _) => ApiError {
                http_status: 400,
                code: "InvalidParameter.PolicyGrammar",
            },
            // V14: CreateControlPolicy answers 409.
            (PolicyKind::Control, Rule::DocumentTooLong) => ApiError {
                http_status: 409,
                code: "InvalidParameter.PolicyDocument.Length",
            },
            // V13: the Resource Manager code, assumed identical for RAM.
            (_, Rule::DocumentTooLong) => ApiError {
                http_status: 400,
                code: "InvalidParameter.PolicyDocument.Length",
            },
            _ => ApiError {
                http_status: 400,
                code: "MalformedPolicyDocument",
            },
        }
    }
}

/// One finding about a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The rule broken.
    pub rule: Rule,
    /// Error or warning.
    pub severity: Severity,
    /// One lowercase sentence; user input in backticks.
    pub message: String,
    /// Where in the document, as a JSON path.
    pub path: JsonPath,
    /// Where in the text.
    pub span: Span,
    /// How to fix it, when there is something useful to say.
    pub help: Option<String>,
}

impl Diagnostic {
    /// An error finding.
    pub fn error(rule: Rule, path: JsonPath, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            rule,
            severity: Severity::Error,
            message: message.into(),
            path,
            span,
            help: None,
        }
    }

    /// Adds a help text.
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }
}

/// A diagnostic resolved against its file: everything a renderer needs.
#[derive(Debug, Clone, Serialize)]
pub struct Located {
    /// File name as given by the user.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// 1-based line of the span end.
    pub end_line: usize,
    /// 1-based column of the span end.
    pub end_column: usize,
    /// Rule id, e.g. `V4`.
    pub rule: &'static str,
    /// Console checker name.
    pub checker: &'static str,
    /// `error` or `warning`.
    pub severity: Severity,
    /// API error code the document would get.
    pub api_error: &'static str,
    /// HTTP status of that API error.
    pub http_status: u16,
    /// JSON path.
    pub path: String,
    /// Message.
    pub message: String,
    /// Help, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

/// Resolves `diag` of a document of `kind` read from `file` with contents `text`.
pub fn locate(
    file: &str,
    text: &str,
    index: &LineIndex,
    kind: PolicyKind,
    diag: &Diagnostic,
) -> Located {
    let LineCol { line, column } = index.line_col(text, diag.span.start);
    let end = index.line_col(text, diag.span.end);
    let api = ApiError::for_rule(kind, diag.rule);
    Located {
        file: file.to_string(),
        line,
        column,
        end_line: end.line,
        end_column: end.column,
        rule: diag.rule.id_for(kind),
        checker: diag.rule.checker_name(),
        severity: diag.severity,
        api_error: api.code,
        http_status: api.http_status,
        path: diag.path.to_string(),
        message: diag.message.clone(),
        help: diag.help.clone(),
    }
}

/// Source lines up to this many characters are shown whole by [`render_human`].
const MAX_SHOWN_LINE: usize = 100;
/// Characters of context shown on each side of the caret on a longer line.
const CONTEXT: usize = 40;
/// Widest caret underline drawn (a longer span is underlined from its start).
const MAX_CARETS: usize = 200;

/// Human output shows at most this many findings per document, then says how many more
/// there were (Alibaba's console policy checker, too, lists the first few). JSON, SARIF and
/// GitHub output keep every finding.
pub const MAX_HUMAN_FINDINGS: usize = 100;

/// `… and 49,900 more findings (--format json lists every one)`, or nothing when
/// `total <= shown`.
pub fn more_findings_line(total: usize, shown: usize) -> Option<String> {
    let more = total.checked_sub(shown).filter(|n| *n > 0)?;
    Some(format!(
        "… and {} more finding{} (--format json lists every one)\n",
        thousands(more),
        if more == 1 { "" } else { "s" }
    ))
}

/// `49900` → `49,900`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Writes the source line of a finding from `start` to `end` with a caret underline (the
/// gutter, the line, the carets) and returns the gutter padding for the lines that follow.
/// Long lines (minified documents) show a window of [`CONTEXT`] characters around the caret;
/// the work done is proportional to that window, not to the line, so rendering every finding
/// of a 1 MB one-line document stays linear.
pub fn write_snippet(
    out: &mut String,
    text: &str,
    index: &LineIndex,
    start: LineCol,
    end: LineCol,
) -> String {
    let source_line = index.line_text(text, start.line);
    let line_start = index.line_start(text, start.line);
    let col_byte = index
        .offset_of(text, start.line, start.column)
        .saturating_sub(line_start)
        .min(source_line.len());
    let width = if end.line == start.line {
        end.column.saturating_sub(start.column).max(1)
    } else {
        1
    };
    let whole =
        source_line.len() <= MAX_SHOWN_LINE || source_line.chars().nth(MAX_SHOWN_LINE).is_none();
    let (from, to) = if whole {
        (0, source_line.len())
    } else {
        let before = source_line.get(..col_byte).unwrap_or("");
        let from = before
            .char_indices()
            .rev()
            .take(CONTEXT)
            .last()
            .map_or(col_byte, |(k, _)| k);
        let after = source_line.get(col_byte..).unwrap_or("");
        let to = after
            .char_indices()
            .nth(width.min(MAX_CARETS) + CONTEXT)
            .map_or(source_line.len(), |(k, _)| col_byte + k);
        (from, to)
    };
    let prefix = if from > 0 { "…" } else { "" };
    let suffix = if to < source_line.len() { "…" } else { "" };
    let shown = source_line.get(from..to).unwrap_or("");
    let caret_col = source_line
        .get(from..col_byte)
        .map_or(0, |s| s.chars().count());
    let available = source_line
        .get(col_byte..to)
        .map_or(0, |s| s.chars().count());
    let gutter = start.line.to_string();
    let pad = " ".repeat(gutter.len());
    let _ = writeln!(out, "{pad} |");
    let _ = writeln!(out, "{gutter} | {prefix}{shown}{suffix}");
    let caret_pad = " ".repeat(caret_col + prefix.chars().count());
    let carets = "^".repeat(width.min(MAX_CARETS).min(available).max(1));
    let _ = writeln!(out, "{pad} | {caret_pad}{carets}");
    pad
}

/// Renders a diagnostic for a terminal: header, location, the source line with a caret
/// underline, and help (in the style of rustc and miette).
pub fn render_human(
    file: &str,
    text: &str,
    index: &LineIndex,
    kind: PolicyKind,
    diag: &Diagnostic,
) -> String {
    let loc = locate(file, text, index, kind, diag);
    let mut out = String::new();
    let sev = match diag.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let _ = writeln!(
        out,
        "{sev}[{}]: {} ({})",
        loc.rule, loc.message, loc.checker
    );
    let _ = writeln!(
        out,
        "  --> {}:{}:{} at {}",
        file, loc.line, loc.column, loc.path
    );
    let pad = write_snippet(
        &mut out,
        text,
        index,
        LineCol {
            line: loc.line,
            column: loc.column,
        },
        LineCol {
            line: loc.end_line,
            column: loc.end_column,
        },
    );

    let _ = writeln!(
        out,
        "{pad} = api error: HTTP {} {}",
        loc.http_status, loc.api_error
    );
    if let Some(help) = &diag.help {
        let _ = writeln!(out, "{pad} = help: {help}");
    }
    out
}

/// Renders the findings of one document for a terminal: the first [`MAX_HUMAN_FINDINGS`],
/// each followed by a blank line, then how many more there were.
pub fn render_human_all(file: &str, text: &str, kind: PolicyKind, diags: &[Diagnostic]) -> String {
    let index = LineIndex::new(text);
    let mut out = String::new();
    for d in diags.iter().take(MAX_HUMAN_FINDINGS) {
        out.push_str(&render_human(file, text, &index, kind, d));
        out.push('\n');
    }
    if let Some(more) = more_findings_line(diags.len(), MAX_HUMAN_FINDINGS) {
        out.push_str(&more);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{read_policy, ReadOptions};

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(49_900), "49,900");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(more_findings_line(100, 100), None);
        assert_eq!(
            more_findings_line(101, 100).as_deref(),
            Some("… and 1 more finding (--format json lists every one)\n")
        );
    }

    #[test]
    fn long_line_window_is_clipped_around_the_caret() {
        let actions: Vec<String> = (0..200).map(|i| format!("\"bad{i}\"")).collect();
        let text = format!(
            r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":[{}],"Resource":"*"}}]}}"#,
            actions.join(",")
        );
        let r = read_policy(&text, PolicyKind::Identity, &ReadOptions::default());
        let last = r.diagnostics.last().expect("findings");
        let index = LineIndex::new(&text);
        let out = render_human("f.json", &text, &index, PolicyKind::Identity, last);
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines[3].starts_with("1 | …"), "{out}");
        assert!(lines[3].contains("\"bad199\""), "{out}");
        // The caret sits under the start of the finding's span.
        let shown = lines[3].trim_start_matches("1 | ");
        let caret = lines[4].trim_start_matches("  | ");
        let col = caret.find('^').expect("caret");
        assert_eq!(shown.chars().nth(caret[..col].chars().count()), Some('"'));
    }
}
