//! Evaluation options: the spec's ASSUMED choices (§10) in one place, defaults as recommended.

/// `PolicyType` reported when nothing allowed the request at the identity stage (§7.3, §10 Q13).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityImplicitDenyType {
    /// `ResourceGroupLevelIdentityBasedPolicy` (the last stage evaluated; live observations).
    ResourceGroupLevel,
    /// `AccountLevelIdentityBasedPolicy` (Alibaba's SDK example).
    AccountLevel,
}

/// How a request value that does not parse for its operator (a malformed IP, date, number)
/// affects a statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnparseableValues {
    /// Fail closed per effect (default): the condition is unknown, so an Allow statement does
    /// not apply and a Deny statement still does; the explanation reports it.
    FailClosed,
    /// Spec §4.7 literally: "no match" — positive operators false, negated operators true.
    NoMatch,
}

/// Options for deciding requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EvalOptions {
    /// Q13: PolicyType for identity-stage implicit denies.
    pub identity_implicit_deny_type: IdentityImplicitDenyType,
    /// Request values that cannot be parsed for their operator.
    pub unparseable_values: UnparseableValues,
}

impl Default for EvalOptions {
    fn default() -> Self {
        EvalOptions {
            identity_implicit_deny_type: IdentityImplicitDenyType::ResourceGroupLevel,
            unparseable_values: UnparseableValues::FailClosed,
        }
    }
}
