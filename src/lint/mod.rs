//! `ramsim lint`: findings about policy documents that RAM accepts but that are probably
//! mistakes (issue 4 §4), on top of every validation error of [`crate::policy::read`].
//!
//! Each rule has a stable code (`L001` …, see [`Code`]) and lives in the module of its group:
//! [`actions`] (unknown actions, `*` on `*`), [`conditions`] (operators, keys, dates),
//! [`resources`] (resources that can never match), [`redundancy`] (statements made redundant or
//! unreachable by another one) and [`control`] (control-policy shape). Rules only report what
//! they can prove from the document and the API catalog ([`crate::api::catalog`]); pattern
//! reasoning is in [`glob`].

pub mod actions;
pub mod conditions;
pub mod control;
pub mod glob;
pub mod redundancy;
pub mod resources;

use crate::policy::ast::{Policy, Statement};
use crate::policy::diagnostic::{Diagnostic, Rule};
use crate::policy::span::{JsonPath, LineIndex, Span};
use crate::policy::values::Instant;
use crate::policy::{read_policy, PolicyKind, ReadOptions};
use crate::report::{Finding, Level, RuleInfo};

/// Settings of a lint run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LintOptions {
    /// The instant date conditions are compared with (L011); `None` skips that rule.
    pub now: Option<Instant>,
    /// FullAliyunAccess has been detached where the control policy is attached (L012).
    pub full_aliyun_access_detached: bool,
}

/// A lint rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Code {
    /// L001: a condition that is always true because no action of the statement receives its
    /// key (negated operators and `ForAllValues:` are true on an absent key).
    AbsentKeyAlwaysTrue,
    /// L002: `StringLike`/`StringNotLike` without any wildcard.
    LikeWithoutWildcard,
    /// L003: `StringEquals`/`StringNotEquals` (or `…IgnoreCase`) with `*` or `?` in a value.
    EqualsWithWildcard,
    /// L004: an action that is not in the catalog but close to one that is (a misspelling).
    MisspelledAction,
    /// L005: an action ramsim does not model (unknown service or action); it cannot be checked.
    UnmodeledAction,
    /// L006: a wildcard action of a modeled service that matches none of its modeled actions.
    WildcardMatchesNothing,
    /// L007: a Resource that can never match the resource type of the statement's action(s).
    ResourceNeverMatches,
    /// L008: a statement made redundant by another one of the same effect.
    RedundantStatement,
    /// L009: an Allow every request of which an unconditional Deny of the policy denies.
    UnreachableAllow,
    /// L010: `Allow` of `*` on `*`.
    AllowAll,
    /// L011: a date condition on `acs:CurrentTime` already decided by the current time.
    DateInPast,
    /// L012: a control policy with only Deny statements where FullAliyunAccess is detached.
    DenyOnlyControlPolicy,
    /// L013: an Allow conditioned on `acs:SecureTransport` being false.
    AllowInsecureTransport,
    /// L014: a condition that is never true because no action of the statement receives its
    /// key (positive operators and `ForAnyValue:` are false on an absent key).
    AbsentKeyNeverTrue,
    /// L015: an `acs:` condition key that RAM does not define.
    UnknownGlobalKey,
    /// L016: a known condition key written with different letter case.
    ConditionKeyCase,
    /// L017: L008/L009 could not decide every statement within the exact analysis' budget.
    RedundancyUnchecked,
}

impl Code {
    /// Every lint rule, in code order.
    pub const ALL: [Code; 17] = [
        Code::AbsentKeyAlwaysTrue,
        Code::LikeWithoutWildcard,
        Code::EqualsWithWildcard,
        Code::MisspelledAction,
        Code::UnmodeledAction,
        Code::WildcardMatchesNothing,
        Code::ResourceNeverMatches,
        Code::RedundantStatement,
        Code::UnreachableAllow,
        Code::AllowAll,
        Code::DateInPast,
        Code::DenyOnlyControlPolicy,
        Code::AllowInsecureTransport,
        Code::AbsentKeyNeverTrue,
        Code::UnknownGlobalKey,
        Code::ConditionKeyCase,
        Code::RedundancyUnchecked,
    ];

    /// The rule's metadata: id, name, description and level.
    pub fn info(self) -> RuleInfo {
        let (id, name, description, level) = match self {
            Code::AbsentKeyAlwaysTrue => ("L001", "absent-key-always-true", "a negated (or ForAllValues) condition on a key none of the statement's actions receives is always true", Level::Warning),
            Code::LikeWithoutWildcard => ("L002", "like-without-wildcard", "StringLike/StringNotLike whose values contain no wildcard compare for equality", Level::Warning),
            Code::EqualsWithWildcard => ("L003", "equals-with-wildcard", "StringEquals/StringNotEquals treat `*` and `?` literally", Level::Warning),
            Code::MisspelledAction => ("L004", "misspelled-action", "an action that is not in the catalog but close to one that is", Level::Warning),
            Code::UnmodeledAction => ("L005", "unmodeled-action", "an action of a service or API that ramsim does not model; it cannot be checked", Level::Note),
            Code::WildcardMatchesNothing => ("L006", "wildcard-matches-nothing", "a wildcard action of a modeled service that matches none of its modeled actions", Level::Warning),
            Code::ResourceNeverMatches => ("L007", "resource-never-matches", "no Resource of the statement can match the resource type an action is authorized against", Level::Warning),
            Code::RedundantStatement => ("L008", "redundant-statement", "a statement whose every match is also matched by another statement of the same effect", Level::Warning),
            Code::UnreachableAllow => ("L009", "unreachable-allow", "an Allow whose every match is denied by a Deny of the same policy", Level::Warning),
            Code::AllowAll => ("L010", "allow-all", "an Allow of every action on every resource", Level::Warning),
            Code::DateInPast => ("L011", "date-in-past", "a date condition on acs:CurrentTime whose outcome the current time already decides", Level::Warning),
            Code::DenyOnlyControlPolicy => ("L012", "deny-only-control-policy", "a control policy with only Deny statements denies everything once FullAliyunAccess is detached", Level::Warning),
            Code::AllowInsecureTransport => ("L013", "allow-insecure-transport", "an Allow that applies only to requests made over plain HTTP", Level::Warning),
            Code::AbsentKeyNeverTrue => ("L014", "absent-key-never-true", "a positive (or ForAnyValue) condition on a key none of the statement's actions receives is never true", Level::Warning),
            Code::UnknownGlobalKey => ("L015", "unknown-global-key", "an acs: condition key that RAM does not define is absent from every request", Level::Warning),
            Code::ConditionKeyCase => ("L016", "condition-key-case", "a known condition key written with different letter case", Level::Warning),
            Code::RedundancyUnchecked => ("L017", "redundancy-unchecked", "L008/L009 ran out of the exact analysis' budget: some statements were not checked (no finding is claimed without proof)", Level::Note),
        };
        RuleInfo {
            id,
            name,
            description,
            level,
        }
    }
}

/// One lint finding, located in the document by JSON path and byte span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lint {
    /// The rule.
    pub code: Code,
    /// One lowercase sentence; user input in backticks.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
    /// JSON path of the element.
    pub path: JsonPath,
    /// Byte span of the element.
    pub span: Span,
}

impl Lint {
    /// A finding of `code` at `path`/`span`.
    pub fn new(code: Code, path: JsonPath, span: Span, message: impl Into<String>) -> Lint {
        Lint {
            code,
            message: message.into(),
            help: None,
            path,
            span,
        }
    }

    /// Adds a help text.
    pub fn with_help(mut self, help: impl Into<String>) -> Lint {
        self.help = Some(help.into());
        self
    }
}

/// Everything `lint` found in one document.
#[derive(Debug, Clone)]
pub struct LintResult {
    /// The kind the document was read as.
    pub kind: PolicyKind,
    /// Validation findings (the same as `ramsim validate` reports).
    pub validation: Vec<Diagnostic>,
    /// Lint findings (only computed when the document is valid).
    pub lints: Vec<Lint>,
}

impl LintResult {
    /// Every finding resolved against `file` with contents `text`, in document order.
    pub fn findings(&self, file: &str, text: &str) -> Vec<Finding> {
        let index = LineIndex::new(text);
        let locate = |span: Span,
                      code: &str,
                      name: &str,
                      level: Level,
                      path: &JsonPath,
                      message: &str,
                      help: &Option<String>| {
            let start = index.line_col(text, span.start);
            let end = index.line_col(text, span.end);
            Finding {
                file: file.to_string(),
                line: start.line,
                column: start.column,
                end_line: end.line,
                end_column: end.column,
                code: code.to_string(),
                name: name.to_string(),
                severity: level,
                path: path.to_string(),
                message: message.to_string(),
                help: help.clone(),
            }
        };
        let mut out: Vec<(usize, Finding)> = Vec::new();
        for d in &self.validation {
            let info = validation_rule_info(d.rule, self.kind);
            let level = match d.severity {
                crate::policy::Severity::Error => Level::Error,
                crate::policy::Severity::Warning => Level::Warning,
            };
            out.push((
                d.span.start,
                locate(
                    d.span, info.id, info.name, level, &d.path, &d.message, &d.help,
                ),
            ));
        }
        for l in &self.lints {
            let info = l.code.info();
            out.push((
                l.span.start,
                locate(
                    l.span, info.id, info.name, info.level, &l.path, &l.message, &l.help,
                ),
            ));
        }
        out.sort_by(|(a, fa), (b, fb)| a.cmp(b).then_with(|| fa.code.cmp(&fb.code)));
        out.into_iter().map(|(_, f)| f).collect()
    }
}

/// Reads `text` as a policy of `kind` and lints it: validation errors first (as `validate`
/// reports them); the lint rules run only on a valid document.
pub fn lint_text(
    text: &str,
    kind: PolicyKind,
    read: &ReadOptions,
    options: &LintOptions,
) -> LintResult {
    let result = read_policy(text, kind, read);
    let lints = result
        .policy
        .as_ref()
        .map(|p| lint_policy(p, options))
        .unwrap_or_default();
    LintResult {
        kind,
        validation: result.diagnostics,
        lints,
    }
}

/// Runs every lint rule on a validated policy; findings are in document order.
pub fn lint_policy(policy: &Policy, options: &LintOptions) -> Vec<Lint> {
    let mut out = Vec::new();
    for (i, s) in policy.statements.iter().enumerate() {
        let path = statement_path(i);
        actions::check_statement(policy.kind, s, &path, &mut out);
        conditions::check_statement(s, &path, options, &mut out);
        resources::check_statement(s, &path, &mut out);
    }
    redundancy::check_policy(policy, &mut out);
    control::check_policy(policy, options, &mut out);
    out.sort_by_key(|l| (l.span.start, l.code));
    out
}

/// `Statement[i]`.
pub fn statement_path(i: usize) -> JsonPath {
    JsonPath::root().key("Statement").index(i)
}

/// How a statement is named in messages: `Statement[1]` plus its Sid when it has one.
pub fn statement_name(i: usize, s: &Statement) -> String {
    match &s.sid {
        Some(sid) => format!("Statement[{i}] (`{sid}`)"),
        None => format!("Statement[{i}]"),
    }
}

/// The validation rules as report rules (ids as `ramsim validate` prints them).
const VALIDATION_RULES: [Rule; 16] = [
    Rule::JsonSyntax,
    Rule::DataTypeMismatch,
    Rule::InvalidVersion,
    Rule::InvalidEffect,
    Rule::InvalidPolicyElement,
    Rule::MissingAction,
    Rule::InvalidActionFormat,
    Rule::InvalidArnPrefix,
    Rule::MissingArnField,
    Rule::InvalidConditionKeyFormat,
    Rule::InvalidConditionOperator,
    Rule::InvalidConditionMultipleBoolean,
    Rule::DocumentTooLong,
    Rule::MissingElement,
    Rule::DuplicateKey,
    Rule::InvalidConditionValue,
];

fn validation_name(rule: Rule) -> &'static str {
    match rule {
        Rule::JsonSyntax => "json-syntax-error",
        Rule::DataTypeMismatch => "data-type-mismatch",
        Rule::InvalidVersion => "invalid-version",
        Rule::InvalidEffect => "invalid-effect",
        Rule::InvalidPolicyElement => "invalid-policy-element",
        Rule::MissingAction => "missing-action",
        Rule::InvalidActionFormat => "invalid-action-format",
        Rule::InvalidArnPrefix => "invalid-arn-prefix",
        Rule::MissingArnField => "missing-arn-field",
        Rule::InvalidConditionKeyFormat => "invalid-condition-key-format",
        Rule::InvalidConditionOperator => "invalid-condition-operator",
        Rule::InvalidConditionMultipleBoolean => "invalid-condition-multiple-boolean",
        Rule::DocumentTooLong => "policy-document-too-long",
        Rule::MissingElement => "missing-element",
        Rule::DuplicateKey => "duplicate-key",
        Rule::InvalidConditionValue => "invalid-condition-value",
    }
}

/// The report rule of validation `rule` for a document of `kind` (V14 for long control policies).
pub fn validation_rule_info(rule: Rule, kind: PolicyKind) -> RuleInfo {
    RuleInfo {
        id: rule.id_for(kind),
        name: validation_name(rule),
        description: rule.checker_name(),
        level: Level::Error,
    }
}

/// Every rule `ramsim lint` can report: the validation rules V1–V18 (with V14, the control
/// policy length limit) and the lint rules L001–L017.
pub fn rules() -> Vec<RuleInfo> {
    let mut out: Vec<RuleInfo> = Vec::new();
    for rule in VALIDATION_RULES {
        out.push(validation_rule_info(rule, PolicyKind::Identity));
        if rule == Rule::DocumentTooLong {
            out.push(validation_rule_info(rule, PolicyKind::Control));
        }
    }
    out.extend(Code::ALL.iter().map(|c| c.info()));
    out
}

/// The path of a pattern of an `Action`/`NotAction`/`Resource`/`NotResource` element.
pub(crate) fn pattern_path(element: &JsonPath, single: bool, k: usize) -> JsonPath {
    if single {
        element.clone()
    } else {
        element.index(k)
    }
}

/// The span covering every pattern of a list (the element's value, without brackets).
pub(crate) fn list_span(patterns: &[crate::policy::ast::Spanned<String>]) -> Span {
    match (patterns.first(), patterns.last()) {
        (Some(a), Some(b)) => Span::new(a.span.start, b.span.end),
        _ => Span::default(),
    }
}

/// Lists at most three items in backticks, then `and N more`.
pub(crate) fn list_some<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let items: Vec<&str> = items.into_iter().collect();
    let shown: Vec<String> = items.iter().take(3).map(|s| format!("`{s}`")).collect();
    let mut out = shown.join(", ");
    if items.len() > 3 {
        out.push_str(&format!(" and {} more", items.len() - 3));
    }
    out
}

#[cfg(test)]
pub(crate) mod test_util {
    use super::*;

    /// Lints an identity policy (or `kind`) given as JSON text, panicking on invalid input.
    pub fn lint_kind(kind: PolicyKind, text: &str, options: &LintOptions) -> Vec<Lint> {
        let result = lint_text(text, kind, &ReadOptions::default(), options);
        assert!(result.validation.is_empty(), "{:?}", result.validation);
        result.lints
    }

    /// Codes reported for an identity policy with one statement `stmt` (JSON object text).
    pub fn codes(stmt: &str) -> Vec<&'static str> {
        let text = format!(r#"{{"Version":"1","Statement":[{stmt}]}}"#);
        lint_kind(PolicyKind::Identity, &text, &LintOptions::default())
            .iter()
            .map(|l| l.code.info().id)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_ids_are_unique_and_ordered() {
        let rules = rules();
        let mut ids: Vec<&str> = rules.iter().map(|r| r.id).collect();
        let n = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), n);
        assert_eq!(n, 17 + 17);
        for (k, c) in Code::ALL.iter().enumerate() {
            assert_eq!(c.info().id, format!("L{:03}", k + 1));
        }
    }

    #[test]
    fn invalid_documents_report_validation_errors_only() {
        let r = lint_text(
            r#"{"Version":"2","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
            PolicyKind::Identity,
            &ReadOptions::default(),
            &LintOptions::default(),
        );
        assert!(r.lints.is_empty());
        let f = r.findings("p.json", "x");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].code, "V3");
        assert_eq!(f[0].severity, Level::Error);
    }

    #[test]
    fn clean_policy_has_no_findings() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/policies/guardrail-rd-id.json"
        ))
        .unwrap_or_default();
        let r = lint_text(
            &text,
            PolicyKind::Control,
            &ReadOptions::default(),
            &LintOptions::default(),
        );
        assert_eq!(r.validation, vec![]);
        assert_eq!(r.lints, vec![]);
    }
}

/// The span from the first statement's start to the last statement's end.
pub(crate) fn list_span_of_statements(policy: &Policy) -> Span {
    match (policy.statements.first(), policy.statements.last()) {
        (Some(a), Some(b)) => Span::new(a.span.start, b.span.end),
        _ => Span::default(),
    }
}
