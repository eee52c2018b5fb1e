//! Reading a policy document: JSON text → validated [`Policy`] plus every finding (§1).
//!
//! The reader never stops at the first problem: it walks the whole document and reports all
//! findings, then returns a policy only if none of them is an error.

use super::ast::*;
use super::diagnostic::{Diagnostic, Rule, Severity};
use super::json::{self, Member, Node, Value};
use super::span::{JsonPath, Span};
use super::values;

/// Reader options for the open questions of spec §10 (defaults are the spec's recommendations).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadOptions {
    /// Q1: accept `NotResource` in identity, session and resource policies (never in control policies).
    pub allow_not_resource: bool,
    /// Q2: accept the `ForAnyValue:` / `ForAllValues:` qualifiers.
    pub set_qualifiers: bool,
    /// Q3: accept `Statement` written as a single object instead of an array.
    pub statement_object: bool,
    /// Q7: accept JSON numbers and booleans as condition values (stringified) instead of rejecting them.
    pub lenient_value_types: bool,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            allow_not_resource: true,
            set_qualifiers: true,
            statement_object: false,
            lenient_value_types: false,
        }
    }
}

/// The outcome of reading one document.
#[derive(Debug, Clone)]
pub struct ReadResult {
    /// The policy, when the document has no error.
    pub policy: Option<Policy>,
    /// Every finding, in document order.
    pub diagnostics: Vec<Diagnostic>,
}

impl ReadResult {
    /// True when at least one finding is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }
}

/// Reads and validates `text` as a policy of `kind`.
pub fn read_policy(text: &str, kind: PolicyKind, options: &ReadOptions) -> ReadResult {
    let mut reader = Reader {
        kind,
        options,
        text,
        diags: Vec::new(),
    };
    let length = text.chars().count();
    let root = match json::parse(text) {
        Ok(root) => Some(root),
        Err(e) => {
            reader.error(
                Rule::JsonSyntax,
                JsonPath::root(),
                e.span,
                format!("invalid JSON: {}", e.message),
            );
            None
        }
    };
    if length > kind.max_length() {
        reader.diags.push(
            Diagnostic::error(
                Rule::DocumentTooLong,
                JsonPath::root(),
                // The first character, whole (a multi-byte one must not be split).
                Span::new(0, text.chars().next().map_or(0, char::len_utf8)),
                format!("{} {kind} policy may be at most {} characters long; this one has {length}", article(kind), kind.max_length()),
            )
            .with_help("characters are counted as Unicode scalar values, whitespace included; remove whitespace or split the policy"),
        );
    }
    let policy = root.and_then(|root| reader.document(&root));
    reader.diags.sort_by_key(|d| (d.span.start, d.rule));
    let policy = if reader.diags.iter().any(|d| d.severity == Severity::Error) {
        None
    } else {
        policy
    };
    ReadResult {
        policy,
        diagnostics: reader.diags,
    }
}

struct Reader<'o> {
    kind: PolicyKind,
    options: &'o ReadOptions,
    /// The document, for positions quoted in messages.
    text: &'o str,
    diags: Vec<Diagnostic>,
}

/// Which statement elements a kind accepts.
struct ElementRules {
    not_action: bool,
    resource: bool,
    not_resource: bool,
    principal: bool,
}

fn type_mismatch(expected: &str, node: &Node) -> String {
    format!("expected {expected}, found {}", node.value.type_name())
}

/// `a` or `an` before a kind name in messages.
fn article(kind: PolicyKind) -> &'static str {
    if kind == PolicyKind::Identity {
        "an"
    } else {
        "a"
    }
}

/// 1-based line and column (in characters) of byte `offset` in `text`, for messages.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (
        before.matches('\n').count() + 1,
        before[line_start..].chars().count() + 1,
    )
}

/// The candidate closest to `word`, if reasonably close (see [`crate::suggest::closest`]).
pub use crate::suggest::closest;

fn is_ram_code(s: &str, wildcards: bool) -> bool {
    !s.is_empty()
        && s.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || c == '-'
                || c == '_'
                || (wildcards && (c == '*' || c == '?'))
        })
}

/// §1.9 `action_string`: `*`, or `<ram-code>:<glob over [A-Za-z0-9*?]>`.
pub fn action_format_ok(s: &str) -> bool {
    if s == "*" {
        return true;
    }
    match s.split_once(':') {
        Some((code, name)) => {
            is_ram_code(code, true)
                && !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '*' || c == '?')
        }
        None => false,
    }
}

const TRUST_ACTIONS: [&str; 3] = [
    "sts:AssumeRole",
    "sts:AssumeRoleWithSAML",
    "sts:AssumeRoleWithOIDC",
];

impl<'o> Reader<'o> {
    fn error(&mut self, rule: Rule, path: JsonPath, span: Span, message: impl Into<String>) {
        self.diags
            .push(Diagnostic::error(rule, path, span, message));
    }

    fn error_help(
        &mut self,
        rule: Rule,
        path: JsonPath,
        span: Span,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        self.diags
            .push(Diagnostic::error(rule, path, span, message).with_help(help));
    }

    fn rules(&self) -> ElementRules {
        let allow_nr = self.options.allow_not_resource;
        match self.kind {
            PolicyKind::Identity | PolicyKind::Session => ElementRules {
                not_action: true,
                resource: true,
                not_resource: allow_nr,
                principal: false,
            },
            PolicyKind::Control => ElementRules {
                not_action: true,
                resource: true,
                not_resource: false,
                principal: false,
            },
            PolicyKind::Trust => ElementRules {
                not_action: false,
                resource: false,
                not_resource: false,
                principal: true,
            },
            PolicyKind::Resource => ElementRules {
                not_action: true,
                resource: true,
                not_resource: allow_nr,
                principal: true,
            },
        }
    }

    /// Returns the first occurrence of each member name, reporting later duplicates (§1.6).
    fn unique_members<'n>(&mut self, members: &'n [Member], path: &JsonPath) -> Vec<&'n Member> {
        let mut seen: Vec<&'n Member> = Vec::with_capacity(members.len());
        for m in members {
            if let Some(first) = seen.iter().find(|s| s.key == m.key) {
                let (line, column) = line_col(self.text, first.key_span.start);
                let line_hint = format!("first defined at {line}:{column}");
                self.error_help(
                    Rule::DuplicateKey,
                    path.key(&m.key),
                    m.key_span,
                    format!("duplicate key `{}`", m.key),
                    format!(
                        "JSON objects must not repeat a key ({line_hint}); merge the two values"
                    ),
                );
            } else {
                seen.push(m);
            }
        }
        seen
    }

    fn document(&mut self, root: &Node) -> Option<Policy> {
        let path = JsonPath::root();
        let Value::Object(members) = &root.value else {
            self.error(
                Rule::DataTypeMismatch,
                path,
                root.span,
                type_mismatch("a JSON object", root),
            );
            return None;
        };
        let members = self.unique_members(members, &path);
        let mut version = None;
        let mut statement = None;
        for m in members {
            match m.key.as_str() {
                "Version" => version = Some(m),
                "Statement" => statement = Some(m),
                other => {
                    let help = closest(other, ["Version", "Statement"]).map_or(
                        "a policy has only `Version` and `Statement`".to_string(),
                        |c| format!("did you mean `{c}`? element names are case-sensitive"),
                    );
                    self.error_help(
                        Rule::InvalidPolicyElement,
                        path.key(other),
                        m.key_span,
                        format!("unknown policy element `{other}`"),
                        help,
                    );
                }
            }
        }
        match version {
            None => self.error_help(
                Rule::MissingElement,
                path.clone(),
                Span::new(root.span.start, root.span.start + 1),
                "missing `Version`",
                "add `\"Version\": \"1\"`",
            ),
            Some(m) => match &m.value.value {
                Value::String(v) if v == "1" => {}
                Value::String(v) => self.error_help(
                    Rule::InvalidVersion,
                    path.key("Version"),
                    m.value.span,
                    format!("invalid version `{v}`"),
                    "RAM policies use `\"Version\": \"1\"`",
                ),
                _ => self.error_help(
                    Rule::DataTypeMismatch,
                    path.key("Version"),
                    m.value.span,
                    type_mismatch("the string \"1\"", &m.value),
                    "write the version in quotes: `\"1\"`",
                ),
            },
        }
        let stmt_path = path.key("Statement");
        let statements = match statement {
            None => {
                self.error(
                    Rule::MissingElement,
                    path,
                    Span::new(root.span.start, root.span.start + 1),
                    "missing `Statement`",
                );
                Vec::new()
            }
            Some(m) => match &m.value.value {
                Value::Array(items) if items.is_empty() => {
                    self.error(
                        Rule::MissingElement,
                        stmt_path,
                        m.value.span,
                        "`Statement` must contain at least one statement",
                    );
                    Vec::new()
                }
                Value::Array(items) => items
                    .iter()
                    .enumerate()
                    .filter_map(|(i, node)| self.statement(node, stmt_path.index(i)))
                    .collect(),
                Value::Object(_) if self.options.statement_object => self
                    .statement(&m.value, stmt_path.index(0))
                    .into_iter()
                    .collect(),
                _ => {
                    self.error_help(
                        Rule::DataTypeMismatch,
                        stmt_path,
                        m.value.span,
                        type_mismatch("an array of statements", &m.value),
                        "wrap the statement in `[ ]`",
                    );
                    Vec::new()
                }
            },
        };
        Some(Policy {
            kind: self.kind,
            statements,
        })
    }

    fn statement(&mut self, node: &Node, path: JsonPath) -> Option<Statement> {
        let Value::Object(members) = &node.value else {
            self.error(
                Rule::DataTypeMismatch,
                path,
                node.span,
                type_mismatch("a statement object", node),
            );
            return None;
        };
        let rules = self.rules();
        let members = self.unique_members(members, &path);
        let (
            mut effect,
            mut action,
            mut not_action,
            mut resource,
            mut not_resource,
            mut principal,
            mut condition,
            mut sid,
        ) = (None, None, None, None, None, None, None, None);
        for m in members {
            let allowed = match m.key.as_str() {
                "Effect" => {
                    effect = Some(m);
                    true
                }
                "Action" => {
                    action = Some(m);
                    true
                }
                "NotAction" => {
                    not_action = Some(m);
                    rules.not_action
                }
                "Resource" => {
                    resource = Some(m);
                    rules.resource
                }
                "NotResource" => {
                    not_resource = Some(m);
                    rules.not_resource
                }
                "Principal" => {
                    principal = Some(m);
                    rules.principal
                }
                "Condition" => {
                    condition = Some(m);
                    true
                }
                "Sid" => {
                    sid = Some(m);
                    true
                }
                _ => false,
            };
            if !allowed {
                let known = [
                    "Effect",
                    "Action",
                    "NotAction",
                    "Resource",
                    "NotResource",
                    "Principal",
                    "Condition",
                    "Sid",
                ];
                let (message, help) = if known.contains(&m.key.as_str()) {
                    (
                        format!(
                            "`{}` is not allowed in {} {} policy",
                            m.key,
                            article(self.kind),
                            self.kind
                        ),
                        format!("remove `{}`", m.key),
                    )
                } else {
                    (
                        format!("unknown statement element `{}`", m.key),
                        closest(&m.key, known).map_or(
                            "statement elements are Effect, Action/NotAction, Resource, Condition"
                                .into(),
                            |c| format!("did you mean `{c}`? element names are case-sensitive"),
                        ),
                    )
                };
                self.error_help(
                    Rule::InvalidPolicyElement,
                    path.key(&m.key),
                    m.key_span,
                    message,
                    help,
                );
            }
        }
        let start = Span::new(node.span.start, node.span.start + 1);

        let effect = match effect {
            None => {
                self.error_help(
                    Rule::MissingElement,
                    path.clone(),
                    start,
                    "statement has no `Effect`",
                    "add `\"Effect\": \"Allow\"` or `\"Effect\": \"Deny\"`",
                );
                None
            }
            Some(m) => match &m.value.value {
                Value::String(s) if s == "Allow" => Some(Effect::Allow),
                Value::String(s) if s == "Deny" => Some(Effect::Deny),
                Value::String(s) => {
                    self.error_help(
                        Rule::InvalidEffect,
                        path.key("Effect"),
                        m.value.span,
                        format!("invalid effect `{s}`"),
                        "the effect is case-sensitive: `Allow` or `Deny`",
                    );
                    None
                }
                _ => {
                    self.error(
                        Rule::DataTypeMismatch,
                        path.key("Effect"),
                        m.value.span,
                        type_mismatch("a string", &m.value),
                    );
                    None
                }
            },
        };

        let sid = sid.and_then(|m| match &m.value.value {
            Value::String(s) => Some(s.clone()),
            _ => {
                self.error(
                    Rule::DataTypeMismatch,
                    path.key("Sid"),
                    m.value.span,
                    type_mismatch("a string", &m.value),
                );
                None
            }
        });

        // Action / NotAction (§1.3, §2).
        let actions = match (action, not_action) {
            (Some(a), Some(n)) if rules.not_action => {
                self.error_help(
                    Rule::InvalidPolicyElement,
                    path.key("NotAction"),
                    n.key_span,
                    "a statement may have `Action` or `NotAction`, not both",
                    "choose one of the two",
                );
                let _ = a;
                None
            }
            (None, None) => {
                self.error_help(
                    Rule::MissingAction,
                    path.clone(),
                    start,
                    "statement has no `Action` or `NotAction`",
                    "Add an Action or NotAction element to the policy statement.",
                );
                None
            }
            (Some(m), _) => self.pattern_list(m, &path, false, PatternKind::Action),
            (None, Some(m)) if rules.not_action => {
                self.pattern_list(m, &path, true, PatternKind::Action)
            }
            (None, Some(_)) => {
                self.error_help(
                    Rule::MissingAction,
                    path.clone(),
                    start,
                    "statement has no `Action`",
                    "trust policies use `\"Action\": \"sts:AssumeRole\"`",
                );
                None
            }
        };
        if let (Some(list), PolicyKind::Trust) = (&actions, self.kind) {
            for (pi, p) in list.patterns.iter().enumerate() {
                if !TRUST_ACTIONS
                    .iter()
                    .any(|t| t.eq_ignore_ascii_case(&p.value))
                {
                    // Same path convention as every other list: no index for the string form.
                    let action_path = path.key("Action");
                    self.error_help(
                        Rule::InvalidActionFormat,
                        if list.single {
                            action_path
                        } else {
                            action_path.index(pi)
                        },
                        p.span,
                        format!("`{}` is not an action a trust policy can grant", p.value),
                        "trust policies grant `sts:AssumeRole`",
                    );
                }
            }
        }

        // Resource / NotResource (§1.3, §3).
        let resources = if rules.resource {
            match (resource, not_resource.filter(|_| rules.not_resource)) {
                (Some(_), Some(n)) => {
                    self.error_help(
                        Rule::InvalidPolicyElement,
                        path.key("NotResource"),
                        n.key_span,
                        "a statement may have `Resource` or `NotResource`, not both",
                        "choose one of the two",
                    );
                    None
                }
                (Some(m), None) => self.pattern_list(m, &path, false, PatternKind::Resource),
                (None, Some(m)) => self.pattern_list(m, &path, true, PatternKind::Resource),
                (None, None) => {
                    self.error_help(
                        Rule::MissingElement,
                        path.clone(),
                        start,
                        "statement has no `Resource`",
                        "add `\"Resource\": \"*\"` or the ARNs the statement covers",
                    );
                    None
                }
            }
        } else {
            None
        };

        let principal = if rules.principal {
            match principal {
                None => {
                    self.error_help(
                        Rule::MissingElement,
                        path.clone(),
                        start,
                        format!(
                            "{} {} policy statement needs a `Principal`",
                            article(self.kind),
                            self.kind
                        ),
                        "add for example `\"Principal\": {\"RAM\": [\"acs:ram::<uid>:root\"]}`",
                    );
                    None
                }
                Some(m) => self.principal(&m.value, path.key("Principal")),
            }
        } else {
            None
        };

        let conditions = match condition {
            None => Some(Vec::new()),
            Some(m) => self.conditions(&m.value, path.key("Condition")),
        };

        let ok_resources = !rules.resource || resources.is_some();
        let ok_principal = !rules.principal || principal.is_some();
        match (effect, actions, conditions) {
            (Some(effect), Some(actions), Some(conditions)) if ok_resources && ok_principal => {
                Some(Statement {
                    sid,
                    effect,
                    actions,
                    resources,
                    principal,
                    conditions,
                    span: node.span,
                })
            }
            _ => None,
        }
    }

    fn pattern_list(
        &mut self,
        m: &Member,
        stmt: &JsonPath,
        negated: bool,
        kind: PatternKind,
    ) -> Option<PatternList> {
        let path = stmt.key(&m.key);
        let (values, single) = self.string_list(&m.value, &path, kind.empty_rule())?;
        let mut ok = true;
        for (i, v) in values.iter().enumerate() {
            let item_path = if single { path.clone() } else { path.index(i) };
            ok &= match kind {
                PatternKind::Action => self.check_action(v, item_path),
                PatternKind::Resource => self.check_resource(v, item_path),
            };
        }
        ok.then_some(PatternList {
            negated,
            patterns: values,
            single,
        })
    }

    fn check_action(&mut self, v: &Spanned<String>, path: JsonPath) -> bool {
        if action_format_ok(&v.value) {
            return true;
        }
        let help = if !v.value.contains(':') {
            "write actions as `<ram-code>:<action>`, e.g. `vpc:CreateVpc`, or `*` for all actions"
                .to_string()
        } else {
            "service codes use letters, digits and `-`; action names use letters, digits and the wildcards `*` and `?`".to_string()
        };
        self.error_help(
            Rule::InvalidActionFormat,
            path,
            v.span,
            format!("invalid action `{}`", v.value),
            help,
        );
        false
    }

    fn check_resource(&mut self, v: &Spanned<String>, path: JsonPath) -> bool {
        let r = &v.value;
        if r == "*" {
            return true;
        }
        if !r.starts_with("acs:") {
            self.error_help(
                Rule::InvalidArnPrefix,
                path,
                v.span,
                format!("resource `{r}` does not start with `acs:`"),
                "write resources as `acs:<ram-code>:<region>:<account-id>:<relative-id>`, or `*`",
            );
            return false;
        }
        if r.splitn(5, ':').count() < 5 {
            self.error_help(Rule::MissingArnField, path, v.span, format!("resource `{r}` has fewer than five `:`-separated fields"), "use `acs:<ram-code>:<region>:<account-id>:<relative-id>`; `*` may stand for a whole field");
            return false;
        }
        true
    }

    /// A string or a non-empty array of strings (§1.4).
    fn string_list(
        &mut self,
        node: &Node,
        path: &JsonPath,
        empty_rule: Rule,
    ) -> Option<(Vec<Spanned<String>>, bool)> {
        match &node.value {
            Value::String(s) => Some((
                vec![Spanned {
                    value: s.clone(),
                    span: node.span,
                }],
                true,
            )),
            Value::Array(items) if items.is_empty() => {
                self.error(
                    empty_rule,
                    path.clone(),
                    node.span,
                    "the list must not be empty",
                );
                None
            }
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                let mut ok = true;
                for (i, item) in items.iter().enumerate() {
                    match &item.value {
                        Value::String(s) => out.push(Spanned {
                            value: s.clone(),
                            span: item.span,
                        }),
                        _ => {
                            ok = false;
                            self.error(
                                Rule::DataTypeMismatch,
                                path.index(i),
                                item.span,
                                type_mismatch("a string", item),
                            );
                        }
                    }
                }
                ok.then_some((out, false))
            }
            _ => {
                self.error(
                    Rule::DataTypeMismatch,
                    path.clone(),
                    node.span,
                    type_mismatch("a string or an array of strings", node),
                );
                None
            }
        }
    }

    fn principal(&mut self, node: &Node, path: JsonPath) -> Option<Principal> {
        let bucket_form = self.kind == PolicyKind::Resource;
        let members = match &node.value {
            Value::Object(members) => members,
            // OSS bucket policies: `"Principal": ["<uid>", ...]` or `"Principal": "*"`.
            Value::String(_) | Value::Array(_) if bucket_form => {
                let (ram, single) = self.string_list(node, &path, Rule::MissingElement)?;
                return Some(Principal {
                    form: if single {
                        PrincipalForm::Single
                    } else {
                        PrincipalForm::List
                    },
                    ram,
                    ..Principal::default()
                });
            }
            _ => {
                let (expected, help) = if bucket_form {
                    (
                        "an object, an array of principals or a string",
                        "write `{\"RAM\": [...]}` or, as in OSS bucket policies, `[\"<uid>\", ...]` or `\"*\"`",
                    )
                } else {
                    (
                        "an object",
                        "write `{\"RAM\": [...]}`, `{\"Service\": [...]}` or `{\"Federated\": [...]}` (the bare `[...]`/`\"*\"` form is for resource policies only)",
                    )
                };
                self.error_help(
                    Rule::DataTypeMismatch,
                    path,
                    node.span,
                    type_mismatch(expected, node),
                    help,
                );
                return None;
            }
        };
        if members.is_empty() {
            self.error(
                Rule::MissingElement,
                path,
                node.span,
                "`Principal` must name at least one principal",
            );
            return None;
        }
        let members = self.unique_members(members, &path);
        let mut out = Principal::default();
        let mut ok = true;
        for m in members {
            let p = path.key(&m.key);
            let slot = match m.key.as_str() {
                "RAM" => &mut out.ram,
                "Service" => &mut out.service,
                "Federated" => &mut out.federated,
                other => {
                    ok = false;
                    let help = closest(other, ["RAM", "Service", "Federated"]).map_or(
                        "principal types are `RAM`, `Service` and `Federated`".into(),
                        |c| format!("did you mean `{c}`? principal types are case-sensitive"),
                    );
                    self.error_help(
                        Rule::InvalidPolicyElement,
                        p,
                        m.key_span,
                        format!("unknown principal type `{other}`"),
                        help,
                    );
                    continue;
                }
            };
            match self.string_list(&m.value, &p, Rule::DataTypeMismatch) {
                Some((values, _)) => *slot = values,
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn conditions(&mut self, node: &Node, path: JsonPath) -> Option<Vec<Condition>> {
        let Value::Object(ops) = &node.value else {
            self.error(
                Rule::DataTypeMismatch,
                path,
                node.span,
                type_mismatch("an object of condition operators", node),
            );
            return None;
        };
        let mut out = Vec::new();
        let mut ok = true;
        for op in self.unique_members(ops, &path) {
            let op_path = path.key(&op.key);
            let operator = self.operator(&op.key, op.key_span, &op_path);
            let Value::Object(keys) = &op.value.value else {
                ok = false;
                self.error(
                    Rule::DataTypeMismatch,
                    op_path,
                    op.value.span,
                    type_mismatch("an object of condition keys", &op.value),
                );
                continue;
            };
            if keys.is_empty() {
                ok = false;
                self.error(
                    Rule::DataTypeMismatch,
                    op_path.clone(),
                    op.value.span,
                    "a condition operator needs at least one key",
                );
            }
            ok &= operator.is_some();
            for k in self.unique_members(keys, &op_path) {
                let key_path = op_path.key(&k.key);
                ok &= self.check_condition_key(k, &key_path);
                let Some((values, single)) = self.condition_values(&k.value, &key_path) else {
                    ok = false;
                    continue;
                };
                let Some(operator) = operator else { continue };
                if operator.base.value_type == ValueType::Bool && values.len() > 1 {
                    ok = false;
                    self.error_help(
                        Rule::InvalidConditionMultipleBoolean,
                        key_path.clone(),
                        k.value.span,
                        "a `Bool` condition takes exactly one value",
                        "use a single `\"true\"` or `\"false\"`",
                    );
                }
                for (i, v) in values.iter().enumerate() {
                    let vp = if single {
                        key_path.clone()
                    } else {
                        key_path.index(i)
                    };
                    ok &= self.check_value(operator.base.value_type, v, vp);
                }
                out.push(Condition {
                    operator,
                    operator_span: op.key_span,
                    key: Spanned {
                        value: k.key.clone(),
                        span: k.key_span,
                    },
                    values,
                    single,
                });
            }
        }
        ok.then_some(out)
    }

    fn operator(&mut self, name: &str, span: Span, path: &JsonPath) -> Option<Operator> {
        let (qualifier, base_name) = if let Some(rest) = name.strip_prefix("ForAnyValue:") {
            (Some(SetQualifier::ForAnyValue), rest)
        } else if let Some(rest) = name.strip_prefix("ForAllValues:") {
            (Some(SetQualifier::ForAllValues), rest)
        } else {
            (None, name)
        };
        if qualifier.is_some() && !self.options.set_qualifiers {
            self.error_help(
                Rule::InvalidConditionOperator,
                path.clone(),
                span,
                format!("set qualifiers are disabled: `{name}`"),
                "enable set qualifiers or remove the `ForAnyValue:`/`ForAllValues:` prefix",
            );
            return None;
        }
        if base_name.ends_with("IfExists") || base_name == "Null" {
            self.error_help(Rule::InvalidConditionOperator, path.clone(), span, format!("The condition operator 'IfExists/Null' is not supported (`{name}`)"), "RAM policies cannot test whether a key exists; negated operators are already true when the key is absent");
            return None;
        }
        let Some(base) = BaseOperator::from_name(base_name) else {
            let help = closest(base_name, BaseOperator::all_names()).map_or("see the list of RAM condition operators: String*, Numeric*, Date*, Bool, IpAddress, NotIpAddress".into(), |c| format!("did you mean `{c}`? operator names are case-sensitive"));
            self.error_help(
                Rule::InvalidConditionOperator,
                path.clone(),
                span,
                format!("unknown condition operator `{name}`"),
                help,
            );
            return None;
        };
        if qualifier.is_some() && base.value_type == ValueType::Bool {
            self.error(
                Rule::InvalidConditionOperator,
                path.clone(),
                span,
                format!("`{name}`: set qualifiers cannot be used with `Bool`"),
            );
            return None;
        }
        Some(Operator { qualifier, base })
    }

    fn check_condition_key(&mut self, k: &Member, path: &JsonPath) -> bool {
        let ok = match k.key.split_once(':') {
            Some((code, rest)) => is_ram_code(code, false) && !rest.is_empty(),
            None => false,
        };
        if !ok {
            self.error_help(
                Rule::InvalidConditionKeyFormat,
                path.clone(),
                k.key_span,
                format!("invalid condition key `{}`", k.key),
                "condition keys are written `<ram-code>:<key>`, e.g. `acs:SourceIp`",
            );
        }
        ok
    }

    fn condition_values(
        &mut self,
        node: &Node,
        path: &JsonPath,
    ) -> Option<(Vec<Spanned<String>>, bool)> {
        let scalar = |n: &Node| -> Option<String> {
            match &n.value {
                Value::String(s) => Some(s.clone()),
                Value::Number(s) if self.options.lenient_value_types => Some(s.clone()),
                Value::Bool(b) if self.options.lenient_value_types => Some(b.to_string()),
                _ => None,
            }
        };
        match &node.value {
            Value::Array(items) if items.is_empty() => {
                self.error(
                    Rule::DataTypeMismatch,
                    path.clone(),
                    node.span,
                    "a condition key needs at least one value",
                );
                None
            }
            Value::Array(items) => {
                let mut out = Vec::new();
                let mut ok = true;
                for (i, item) in items.iter().enumerate() {
                    match scalar(item) {
                        Some(s) => out.push(Spanned {
                            value: s,
                            span: item.span,
                        }),
                        None => {
                            ok = false;
                            self.value_type_error(item, path.index(i));
                        }
                    }
                }
                ok.then_some((out, false))
            }
            _ => match scalar(node) {
                Some(s) => Some((
                    vec![Spanned {
                        value: s,
                        span: node.span,
                    }],
                    true,
                )),
                None => {
                    self.value_type_error(node, path.clone());
                    None
                }
            },
        }
    }

    fn value_type_error(&mut self, node: &Node, path: JsonPath) {
        let help = match &node.value {
            Value::Number(n) => format!("RAM condition values are strings: write `\"{n}\"`"),
            Value::Bool(b) => format!("RAM condition values are strings: write `\"{b}\"`"),
            _ => "condition values are strings or arrays of strings".to_string(),
        };
        self.error_help(
            Rule::DataTypeMismatch,
            path,
            node.span,
            type_mismatch("a string", node),
            help,
        );
    }

    fn check_value(&mut self, ty: ValueType, v: &Spanned<String>, path: JsonPath) -> bool {
        let (ok, what) = match ty {
            ValueType::String => (true, ""),
            ValueType::Numeric => (
                values::parse_number(&v.value).is_some(),
                "a decimal number such as `10` or `2.5`",
            ),
            ValueType::Date => (
                values::parse_date(&v.value).is_some(),
                "an ISO 8601 time such as `2019-08-12T17:00:00+08:00`, a date, or epoch seconds",
            ),
            ValueType::Bool => (values::parse_bool(&v.value).is_some(), "`true` or `false`"),
            ValueType::Ip => (
                values::parse_ip_net(&v.value).is_some(),
                "an IPv4/IPv6 address or CIDR block such as `192.168.0.0/16`",
            ),
        };
        if !ok {
            self.error_help(
                Rule::InvalidConditionValue,
                path,
                v.span,
                format!("`{}` is not a valid value for this operator", v.value),
                format!("expected {what}"),
            );
        }
        ok
    }
}

#[derive(Clone, Copy)]
enum PatternKind {
    Action,
    Resource,
}

impl PatternKind {
    fn empty_rule(self) -> Rule {
        match self {
            PatternKind::Action => Rule::MissingAction,
            PatternKind::Resource => Rule::MissingElement,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the `policy_reader` fuzz target: the "too long" span covered the first byte,
    /// which splits a multi-byte first character.
    #[test]
    fn too_long_span_covers_whole_first_character() {
        let text = format!("é{}", " ".repeat(PolicyKind::Session.max_length()));
        let r = read_policy(&text, PolicyKind::Session, &ReadOptions::default());
        let d = r
            .diagnostics
            .iter()
            .find(|d| d.rule == Rule::DocumentTooLong)
            .expect("too long");
        assert_eq!(d.span, Span::new(0, 'é'.len_utf8()));
        assert!(text.is_char_boundary(d.span.end));
    }

    fn principal_of(principal: &str, kind: PolicyKind) -> ReadResult {
        let (action, resource) = if kind == PolicyKind::Trust {
            ("sts:AssumeRole", "")
        } else {
            ("oss:GetObject", r#","Resource":"*""#)
        };
        let text = format!(
            r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":"{action}"{resource},"Principal":{principal}}}]}}"#
        );
        read_policy(&text, kind, &ReadOptions::default())
    }

    #[test]
    fn resource_policies_accept_the_bucket_policy_principal_forms() {
        for (text, form, entries) in [
            (r#"["123", "*"]"#, PrincipalForm::List, vec!["123", "*"]),
            (r#""*""#, PrincipalForm::Single, vec!["*"]),
            (
                r#"{"RAM": "acs:ram::1:root"}"#,
                PrincipalForm::Object,
                vec!["acs:ram::1:root"],
            ),
        ] {
            let r = principal_of(text, PolicyKind::Resource);
            let p = r
                .policy
                .unwrap_or_else(|| panic!("{text}: {:?}", r.diagnostics));
            let pr = p.statements[0].principal.as_ref().expect("principal");
            assert_eq!(pr.form, form, "{text}");
            let got: Vec<&str> = pr.ram.iter().map(|v| v.value.as_str()).collect();
            assert_eq!(got, entries, "{text}");
        }
    }

    #[test]
    fn bare_principals_are_checked_with_positions_and_refused_in_trust_policies() {
        let r = principal_of(r#"["123", 5]"#, PolicyKind::Resource);
        let d = &r.diagnostics[0];
        assert_eq!(d.rule, Rule::DataTypeMismatch);
        assert_eq!(d.path.to_string(), "Statement[0].Principal[1]");
        let r = principal_of("[]", PolicyKind::Resource);
        assert_eq!(r.diagnostics[0].path.to_string(), "Statement[0].Principal");
        let r = principal_of("7", PolicyKind::Resource);
        assert!(r.diagnostics[0].message.contains("an array of principals"));
        let r = principal_of(r#"["123"]"#, PolicyKind::Trust);
        assert!(r.policy.is_none());
        assert_eq!(r.diagnostics[0].path.to_string(), "Statement[0].Principal");
        assert!(r.diagnostics[0]
            .help
            .as_deref()
            .is_some_and(|h| h.contains("resource policies only")));
    }
}
