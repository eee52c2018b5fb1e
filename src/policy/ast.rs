//! The policy document model after validation (spec §1). Every element keeps its source span so
//! explanations and lints can point back at the text.

use super::span::Span;
use std::fmt;

/// Which kind of document is being read; decides element rules and length limits (§1.1, §1.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PolicyKind {
    /// A custom (or system) RAM permission policy attached to users, groups and roles.
    Identity,
    /// A Resource Directory control policy.
    Control,
    /// An STS session policy (`Policy` parameter of AssumeRole).
    Session,
    /// A RAM role trust policy (`AssumeRolePolicyDocument`).
    Trust,
    /// A resource-based policy (OSS bucket policy, KMS key policy): Principal and Resource.
    Resource,
}

impl PolicyKind {
    /// All kinds, in documentation order.
    pub const ALL: [PolicyKind; 5] = [
        PolicyKind::Identity,
        PolicyKind::Control,
        PolicyKind::Session,
        PolicyKind::Trust,
        PolicyKind::Resource,
    ];

    /// Maximum document length in characters (Unicode scalar values, whitespace included; §1.8, §10 Q6).
    pub fn max_length(self) -> usize {
        match self {
            PolicyKind::Identity => 6_144,
            PolicyKind::Control => 4_096,
            PolicyKind::Session => 2_048,
            // ASSUMED: RAM publishes no separate trust-policy limit; the custom-policy limit applies.
            PolicyKind::Trust => 6_144,
            // ASSUMED: OSS bucket policies allow far more, but ramsim reads them with RAM's limit.
            PolicyKind::Resource => 6_144,
        }
    }

    /// The name used on the command line (`identity`, `control`, ...).
    pub fn name(self) -> &'static str {
        match self {
            PolicyKind::Identity => "identity",
            PolicyKind::Control => "control",
            PolicyKind::Session => "session",
            PolicyKind::Trust => "trust",
            PolicyKind::Resource => "resource",
        }
    }

    /// Parses a command-line kind name.
    pub fn from_name(name: &str) -> Option<PolicyKind> {
        PolicyKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

impl fmt::Display for PolicyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Effect {
    /// Grants when matched.
    Allow,
    /// Denies when matched; always wins over Allow.
    Deny,
}

impl Effect {
    /// The JSON spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        }
    }
}

/// A string value of the document with its span.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Where it was written.
    pub span: Span,
}

/// `Action`/`NotAction` or `Resource`/`NotResource`: a list of patterns, possibly negated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternList {
    /// True for `NotAction` / `NotResource`.
    pub negated: bool,
    /// The patterns as written.
    pub patterns: Vec<Spanned<String>>,
    /// True when the JSON used the single-string form (kept for faithful printing).
    pub single: bool,
}

/// How a `Principal` element was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PrincipalForm {
    /// `{"RAM": [...], "Service": [...], "Federated": [...]}` (trust and resource policies).
    #[default]
    Object,
    /// The OSS bucket-policy form, an array: `["<uid>", "*", "arn:sts::<uid>:assumed-role/<role>/<session>"]`
    /// (resource policies only).
    List,
    /// The bucket-policy form with one string: `"*"` or `"<uid>"` (resource policies only).
    Single,
}

/// The `Principal` element of trust and resource policies.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Principal {
    /// How the element was written. The bucket-policy forms keep their entries in `ram`;
    /// there a numeric entry also names a RAM user by its UID and
    /// `arn:sts::<uid>:assumed-role/<role>/<session>` names role sessions.
    pub form: PrincipalForm,
    /// `RAM` entries: account roots, users, roles (ARNs), or `*`.
    pub ram: Vec<Spanned<String>>,
    /// `Service` entries such as `ecs.aliyuncs.com`.
    pub service: Vec<Spanned<String>>,
    /// `Federated` entries (SAML/OIDC provider ARNs).
    pub federated: Vec<Spanned<String>>,
}

/// `ForAnyValue:` / `ForAllValues:` (§4.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SetQualifier {
    /// True if at least one request value satisfies the operator.
    ForAnyValue,
    /// True if every request value satisfies the operator (vacuously true when absent).
    ForAllValues,
}

/// The value family an operator compares (§4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueType {
    /// Unicode strings.
    String,
    /// Decimal numbers.
    Numeric,
    /// ISO 8601 instants.
    Date,
    /// `true` / `false`.
    Bool,
    /// IPv4/IPv6 addresses and CIDR blocks.
    Ip,
}

/// The positive comparison an operator performs; negated operators wrap one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Comparison {
    /// `r == p` (strings: case-sensitive).
    Equals,
    /// `lower(r) == lower(p)`.
    EqualsIgnoreCase,
    /// Wildcard match of `p` against `r`.
    Like,
    /// `r < p`.
    LessThan,
    /// `r <= p`.
    LessThanEquals,
    /// `r > p`.
    GreaterThan,
    /// `r >= p`.
    GreaterThanEquals,
    /// `r` inside CIDR `p`.
    InCidr,
}

/// A base condition operator (without set qualifier), e.g. `StringNotLike`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BaseOperator {
    /// What is compared.
    pub value_type: ValueType,
    /// How.
    pub comparison: Comparison,
    /// True for the `Not` forms (NOR over policy values; true when the key is absent, §4.3–4.4).
    pub negated: bool,
}

const OPERATORS: &[(&str, ValueType, Comparison, bool)] = &[
    ("StringEquals", ValueType::String, Comparison::Equals, false),
    (
        "StringNotEquals",
        ValueType::String,
        Comparison::Equals,
        true,
    ),
    (
        "StringEqualsIgnoreCase",
        ValueType::String,
        Comparison::EqualsIgnoreCase,
        false,
    ),
    (
        "StringNotEqualsIgnoreCase",
        ValueType::String,
        Comparison::EqualsIgnoreCase,
        true,
    ),
    ("StringLike", ValueType::String, Comparison::Like, false),
    ("StringNotLike", ValueType::String, Comparison::Like, true),
    (
        "NumericEquals",
        ValueType::Numeric,
        Comparison::Equals,
        false,
    ),
    (
        "NumericNotEquals",
        ValueType::Numeric,
        Comparison::Equals,
        true,
    ),
    (
        "NumericLessThan",
        ValueType::Numeric,
        Comparison::LessThan,
        false,
    ),
    (
        "NumericLessThanEquals",
        ValueType::Numeric,
        Comparison::LessThanEquals,
        false,
    ),
    (
        "NumericGreaterThan",
        ValueType::Numeric,
        Comparison::GreaterThan,
        false,
    ),
    (
        "NumericGreaterThanEquals",
        ValueType::Numeric,
        Comparison::GreaterThanEquals,
        false,
    ),
    ("DateEquals", ValueType::Date, Comparison::Equals, false),
    ("DateNotEquals", ValueType::Date, Comparison::Equals, true),
    ("DateLessThan", ValueType::Date, Comparison::LessThan, false),
    (
        "DateLessThanEquals",
        ValueType::Date,
        Comparison::LessThanEquals,
        false,
    ),
    (
        "DateGreaterThan",
        ValueType::Date,
        Comparison::GreaterThan,
        false,
    ),
    (
        "DateGreaterThanEquals",
        ValueType::Date,
        Comparison::GreaterThanEquals,
        false,
    ),
    ("Bool", ValueType::Bool, Comparison::Equals, false),
    ("IpAddress", ValueType::Ip, Comparison::InCidr, false),
    ("NotIpAddress", ValueType::Ip, Comparison::InCidr, true),
];

impl BaseOperator {
    /// Looks up an operator by its exact (case-sensitive) name.
    pub fn from_name(name: &str) -> Option<BaseOperator> {
        OPERATORS
            .iter()
            .find(|(n, ..)| *n == name)
            .map(|&(_, value_type, comparison, negated)| BaseOperator {
                value_type,
                comparison,
                negated,
            })
    }

    /// The operator's name as written in policies.
    pub fn name(self) -> &'static str {
        OPERATORS
            .iter()
            .find(|(_, t, c, n)| {
                *t == self.value_type && *c == self.comparison && *n == self.negated
            })
            .map_or("?", |(name, ..)| name)
    }

    /// Every operator name RAM accepts (for suggestions).
    pub fn all_names() -> impl Iterator<Item = &'static str> {
        OPERATORS.iter().map(|(n, ..)| *n)
    }
}

/// A full operator: optional set qualifier plus base operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Operator {
    /// `ForAnyValue:` / `ForAllValues:`, if written.
    pub qualifier: Option<SetQualifier>,
    /// The comparison.
    pub base: BaseOperator,
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.qualifier {
            Some(SetQualifier::ForAnyValue) => f.write_str("ForAnyValue:")?,
            Some(SetQualifier::ForAllValues) => f.write_str("ForAllValues:")?,
            None => {}
        }
        f.write_str(self.base.name())
    }
}

/// One condition: operator, key and the policy values (§4.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// The operator.
    pub operator: Operator,
    /// Span of the operator name.
    pub operator_span: Span,
    /// The condition key as written (looked up case-insensitively).
    pub key: Spanned<String>,
    /// The policy values as strings (validated to parse for the operator's type).
    pub values: Vec<Spanned<String>>,
    /// True when the JSON used the single-string form.
    pub single: bool,
}

/// One statement (§1.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// Optional statement id (ignored by evaluation, §10 Q4).
    pub sid: Option<String>,
    /// Allow or Deny.
    pub effect: Effect,
    /// `Action` or `NotAction`.
    pub actions: PatternList,
    /// `Resource` or `NotResource`; `None` in trust policies.
    pub resources: Option<PatternList>,
    /// `Principal`, in trust and resource policies only.
    pub principal: Option<Principal>,
    /// Conditions, ANDed, in document order.
    pub conditions: Vec<Condition>,
    /// The whole statement object.
    pub span: Span,
}

/// A validated policy document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// The kind it was validated as.
    pub kind: PolicyKind,
    /// Statements in document order.
    pub statements: Vec<Statement>,
}
