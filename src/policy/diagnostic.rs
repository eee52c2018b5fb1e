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
    let source_line = index.line_text(text, loc.line);
    // Long lines (minified documents): show a window around the caret instead of the whole
    // line. Lines that fit a terminal are shown whole.
    let chars: Vec<char> = source_line.chars().collect();
    let col0 = loc.column.saturating_sub(1).min(chars.len());
    let width = if loc.end_line == loc.line {
        loc.end_column.saturating_sub(loc.column).max(1)
    } else {
        1
    };
    let (window_start, window_end) = if chars.len() <= MAX_SHOWN_LINE {
        (0, chars.len())
    } else {
        (
            col0.saturating_sub(40),
            (col0 + width + 40).min(chars.len()),
        )
    };
    let prefix = if window_start > 0 { "…" } else { "" };
    let suffix = if window_end < chars.len() { "…" } else { "" };
    let shown: String = chars
        .get(window_start..window_end)
        .map(|c| c.iter().collect())
        .unwrap_or_default();
    let gutter = loc.line.to_string();
    let pad = " ".repeat(gutter.len());
    let _ = writeln!(out, "{pad} |");
    let _ = writeln!(out, "{gutter} | {prefix}{shown}{suffix}");
    let caret_pad = " ".repeat(col0 - window_start + prefix.chars().count());
    let carets = "^".repeat(width.min(window_end.saturating_sub(col0)).max(1));
    let _ = writeln!(out, "{pad} | {caret_pad}{carets}");
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
