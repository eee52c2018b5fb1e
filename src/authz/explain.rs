//! Explanations (§7): which stages ran, which statements were in scope, how each condition
//! fared, and the `AccessDeniedDetail` / `DecodedDiagnosticMessage` RAM would return.

use super::condition::Tri;
use super::context::RequestContext;
use super::decide::{
    decide_with, Decision, PolicyStore, PolicyType, Request, Stage, StageEvaluator,
};
use super::options::EvalOptions;
use super::policy_set::{
    Applies, AttachedEntityType, AttachedScope, Outcome, PairRequest, PolicySet, PolicySourceType,
};
use super::principal::Principal;
use crate::policy::ast::Effect;
use base64::Engine as _;
use serde::Serialize;
use std::fmt::Write as _;

/// How one condition fared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConditionTrace {
    /// Operator as written (with qualifier).
    #[serde(rename = "Operator")]
    pub operator: String,
    /// Condition key as written.
    #[serde(rename = "Key")]
    pub key: String,
    /// Policy values.
    #[serde(rename = "PolicyValues")]
    pub policy_values: Vec<String>,
    /// Request values; `None` when the key was absent.
    #[serde(rename = "RequestValues")]
    pub request_values: Option<Vec<String>>,
    /// Verdict (`Unknown` when a request value could not be parsed for the operator).
    #[serde(rename = "Result")]
    pub result: Tri,
}

/// A statement whose action, resource and principal matched the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatementTrace {
    /// Policy name.
    #[serde(rename = "Policy")]
    pub policy: String,
    /// Index of the policy in its stage.
    #[serde(skip)]
    pub policy_index: usize,
    /// Statement index in the policy (`Statement[i]`).
    #[serde(rename = "StatementIndex")]
    pub statement: usize,
    /// Sid, if any.
    #[serde(rename = "Sid", skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// Allow / Deny.
    #[serde(rename = "Effect")]
    pub effect: Effect,
    /// `file:line:column` of the statement, when known.
    #[serde(rename = "Location", skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// The condition block's verdict.
    #[serde(rename = "ConditionResult")]
    pub verdict: Tri,
    /// Whether the statement took effect (Allow: conditions true; Deny: not definitely false).
    #[serde(rename = "Applied")]
    pub applied: bool,
    /// Per-condition verdicts, in document order (all of them, even after a false one).
    #[serde(rename = "Conditions")]
    pub conditions: Vec<ConditionTrace>,
}

/// One stage evaluated for a pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StageTrace {
    /// Which stage.
    #[serde(rename = "Stage")]
    pub stage: String,
    /// The stage's basic-evaluation outcome.
    #[serde(rename = "Outcome")]
    pub outcome: Outcome,
    /// Statements in scope (action, resource and principal matched), in set order.
    #[serde(rename = "Statements")]
    pub statements: Vec<StatementTrace>,
    /// Policy metadata of the statements that applied, for `MatchedPolicies`.
    #[serde(skip)]
    pub matched_policies: Vec<MatchedPolicy>,
}

/// The trace of one (action, resource) pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PairTrace {
    /// RAM action.
    #[serde(rename = "Action")]
    pub action: String,
    /// Resource.
    #[serde(rename = "Resource")]
    pub resource: String,
    /// The account owning the resource, when it is not the caller's (cross-account, §6.8).
    #[serde(rename = "ResourceOwner", skip_serializing_if = "Option::is_none")]
    pub cross_account_owner: Option<String>,
    /// Outcome for this pair.
    #[serde(rename = "Outcome")]
    pub outcome: Outcome,
    /// Deciding stage type when denied.
    #[serde(rename = "PolicyType", skip_serializing_if = "Option::is_none")]
    pub policy_type: Option<PolicyType>,
    /// True when the root identity's ownership decided (§6.1).
    #[serde(rename = "RootOwner", skip_serializing_if = "std::ops::Not::not")]
    pub root_owner: bool,
    /// Stages in evaluation order.
    #[serde(rename = "Stages")]
    pub stages: Vec<StageTrace>,
}

/// `MatchedPolicies[]` entry (§7.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MatchedPolicy {
    /// Policy name or control-policy id.
    #[serde(rename = "PolicyIdentifier")]
    pub identifier: String,
    /// `Custom` / `System`.
    #[serde(rename = "PolicyType")]
    pub source_type: PolicySourceType,
    /// Version, for custom policies.
    #[serde(rename = "PolicyVersion", skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// `Allow` / `Deny`.
    #[serde(rename = "Effect")]
    pub effect: Effect,
    /// `Account` / `Folder` / `ResourceGroup`.
    #[serde(rename = "AttachedScope", skip_serializing_if = "is_none_scope")]
    pub scope: AttachedScope,
    /// `RamUser` / `RamRole` / `RamGroup` / `ResourceDirectoryTarget`.
    #[serde(rename = "AttachedEntityType", skip_serializing_if = "is_none_entity")]
    pub entity: AttachedEntityType,
}

fn is_none_scope(s: &AttachedScope) -> bool {
    *s == AttachedScope::None
}

fn is_none_entity(e: &AttachedEntityType) -> bool {
    *e == AttachedEntityType::None
}

/// `AuthPrincipal` of the decoded diagnostic message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuthPrincipal {
    /// `SubUser`, `AssumedRoleUser`, ...
    #[serde(rename = "AuthPrincipalType")]
    pub kind: String,
    /// Owning account UID.
    #[serde(rename = "AuthPrincipalOwnerId")]
    pub owner_id: String,
    /// Display name.
    #[serde(rename = "AuthPrincipalDisplayName")]
    pub display_name: String,
}

/// `AuthConditions[]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuthCondition {
    /// Condition key.
    #[serde(rename = "ConditionKey")]
    pub key: String,
    /// Its request values.
    #[serde(rename = "ConditionValues")]
    pub values: Vec<String>,
}

/// RAM's `DecodedDiagnosticMessage` (§7.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecodedDiagnosticMessage {
    /// True for explicit denies.
    #[serde(rename = "ExplicitDeny")]
    pub explicit_deny: bool,
    /// The denying stage.
    #[serde(rename = "NoPermissionPolicyType")]
    pub policy_type: String,
    /// Action authorized.
    #[serde(rename = "AuthAction")]
    pub action: String,
    /// Resource authorized.
    #[serde(rename = "AuthResource")]
    pub resource: String,
    /// The caller.
    #[serde(rename = "AuthPrincipal")]
    pub principal: AuthPrincipal,
    /// Request condition values the decision looked at.
    #[serde(rename = "AuthConditions")]
    pub conditions: Vec<AuthCondition>,
    /// Policies whose statements took effect in the deciding stage.
    #[serde(rename = "MatchedPolicies")]
    pub matched_policies: Vec<MatchedPolicy>,
}

/// RAM's `AccessDeniedDetail` (§7.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessDeniedDetail {
    /// Denying stage.
    #[serde(rename = "PolicyType")]
    pub policy_type: String,
    /// `ExplicitDeny` / `ImplicitDeny`.
    #[serde(rename = "NoPermissionType")]
    pub no_permission_type: String,
    /// Action.
    #[serde(rename = "AuthAction")]
    pub action: String,
    /// Resource.
    #[serde(rename = "AuthResource")]
    pub resource: String,
    /// Principal type.
    #[serde(rename = "AuthPrincipalType")]
    pub principal_type: String,
    /// Owning account.
    #[serde(rename = "AuthPrincipalOwnerId")]
    pub owner_id: String,
    /// Display name.
    #[serde(rename = "AuthPrincipalDisplayName")]
    pub display_name: String,
    /// Base64 of the JSON `DecodedDiagnosticMessage`.
    #[serde(rename = "EncodedDiagnosticMessage")]
    pub encoded_diagnostic_message: String,
}

/// A decision with its full trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explanation {
    /// The decision (same as the fast path's).
    #[serde(skip)]
    pub decision: Decision,
    /// Per pair, in request order.
    #[serde(rename = "Pairs")]
    pub pairs: Vec<PairTrace>,
    /// The caller.
    #[serde(skip)]
    pub principal: Principal,
}

/// Records every stage (the tracing [`StageEvaluator`]).
#[derive(Debug, Default)]
struct Tracer {
    stages: Vec<StageTrace>,
    root_owner: bool,
}

fn stage_name(stage: &Stage<'_>) -> String {
    match stage {
        Stage::ControlPolicy { target } => format!("ControlPolicy({target})"),
        Stage::SessionPolicy => "SessionPolicy".into(),
        Stage::AccountLevelIdentity => "AccountLevelIdentityBasedPolicy".into(),
        Stage::ResourceGroupLevelIdentity { resource_group } => {
            format!("ResourceGroupLevelIdentityBasedPolicy({resource_group})")
        }
        Stage::ResourcePolicy => "ResourcePolicy".into(),
        Stage::TrustPolicy => "AssumeRolePolicy".into(),
    }
}

/// Evaluates `set` statement by statement (no index), recording everything in scope.
pub fn trace_set(stage: &Stage<'_>, set: &PolicySet, req: &PairRequest<'_>) -> StageTrace {
    let mut statements = Vec::new();
    let mut matched_policies: Vec<MatchedPolicy> = Vec::new();
    let (mut deny, mut allow) = (false, false);
    for s in set.statements() {
        let Applies::Conditions(verdict) = s.applies_to(req) else {
            continue;
        };
        let applied = s.takes_effect(verdict);
        let source = set.sources().get(s.origin.policy);
        if applied {
            match s.effect {
                Effect::Deny => deny = true,
                Effect::Allow => allow = true,
            }
            if let Some(src) = source {
                let m = MatchedPolicy {
                    identifier: src.name.clone(),
                    source_type: src.source_type,
                    version: src.version.clone(),
                    effect: s.effect,
                    scope: src.scope,
                    entity: src.entity,
                };
                if !matched_policies.contains(&m) {
                    matched_policies.push(m);
                }
            }
        }
        let conditions = s
            .conditions()
            .iter()
            .map(|c| ConditionTrace {
                operator: c.operator().to_string(),
                key: c.key().to_string(),
                policy_values: c.policy_values().map(str::to_string).collect(),
                request_values: req.context.get(c.key()).map(<[String]>::to_vec),
                result: c.evaluate(req.context.get(c.key()), req.options.unparseable_values),
            })
            .collect();
        let location = s
            .line_col
            .map(|(l, c)| match source.and_then(|src| src.file.as_deref()) {
                Some(f) => format!("{f}:{l}:{c}"),
                None => format!("{l}:{c}"),
            });
        statements.push(StatementTrace {
            policy: source.map_or_else(|| format!("#{}", s.origin.policy), |src| src.name.clone()),
            policy_index: s.origin.policy,
            statement: s.origin.statement,
            sid: s.sid.clone(),
            effect: s.effect,
            location,
            verdict,
            applied,
            conditions,
        });
    }
    let outcome = if deny {
        Outcome::ExplicitDeny
    } else if allow {
        Outcome::Allow
    } else {
        Outcome::ImplicitDeny
    };
    // MatchedPolicies reports the policies behind the stage's outcome.
    let wanted = if deny { Effect::Deny } else { Effect::Allow };
    matched_policies.retain(|m| m.effect == wanted);
    StageTrace {
        stage: stage_name(stage),
        outcome,
        statements,
        matched_policies,
    }
}

impl StageEvaluator for Tracer {
    fn evaluate(&mut self, stage: Stage<'_>, set: &PolicySet, req: &PairRequest<'_>) -> Outcome {
        let trace = trace_set(&stage, set, req);
        let outcome = trace.outcome;
        self.stages.push(trace);
        outcome
    }

    fn root_owner(&mut self) {
        self.root_owner = true;
    }
}

/// Decides `req` and explains the decision (slower: scans every statement of each stage).
pub fn explain(store: &PolicyStore, req: &Request<'_>, options: &EvalOptions) -> Explanation {
    let mut pairs = Vec::new();
    let mut tracer = Tracer::default();
    let decision = decide_with(
        store,
        req,
        options,
        &mut tracer,
        true,
        |t, i, outcome, policy_type| {
            let ar = req.pairs.get(i);
            let owner = ar
                .and_then(|a| a.owner.as_deref())
                .or(req.resource_account)
                .filter(|o| *o != req.principal.account);
            pairs.push(PairTrace {
                action: ar.map(|a| a.action.clone()).unwrap_or_default(),
                resource: ar.map(|a| a.resource.clone()).unwrap_or_default(),
                cross_account_owner: owner.map(str::to_string),
                outcome,
                policy_type,
                root_owner: std::mem::take(&mut t.root_owner),
                stages: std::mem::take(&mut t.stages),
            });
        },
    );
    Explanation {
        decision,
        pairs,
        principal: req.principal.clone(),
    }
}

impl Explanation {
    /// The trace of the deciding pair.
    pub fn deciding_pair(&self) -> Option<&PairTrace> {
        self.pairs.get(self.decision.pair)
    }

    /// Statements that took effect in the stage that decided the deciding pair: the Deny
    /// statements for an explicit deny, the Allow statements of the granting stages for an
    /// Allow, none for an implicit deny.
    pub fn deciding_statements(&self) -> Vec<&StatementTrace> {
        let Some(pair) = self.deciding_pair() else {
            return Vec::new();
        };
        match self.decision.outcome {
            Outcome::ImplicitDeny => Vec::new(),
            Outcome::ExplicitDeny => pair
                .stages
                .iter()
                .find(|s| s.outcome == Outcome::ExplicitDeny)
                .map(|s| {
                    s.statements
                        .iter()
                        .filter(|t| t.applied && t.effect == Effect::Deny)
                        .collect()
                })
                .unwrap_or_default(),
            Outcome::Allow => pair
                .stages
                .iter()
                .filter(|s| !s.stage.starts_with("ControlPolicy") && s.stage != "SessionPolicy")
                .flat_map(|s| {
                    s.statements
                        .iter()
                        .filter(|t| t.applied && t.effect == Effect::Allow)
                })
                .collect(),
        }
    }

    /// The `DecodedDiagnosticMessage` for a denial (`None` when allowed).
    pub fn decoded_diagnostic_message(
        &self,
        context: &RequestContext,
    ) -> Option<DecodedDiagnosticMessage> {
        let policy_type = self.decision.policy_type?;
        let pair = self.deciding_pair()?;
        let mut conditions: Vec<AuthCondition> = Vec::new();
        for stage in &pair.stages {
            for st in &stage.statements {
                for c in &st.conditions {
                    if let Some(values) = context.get(&c.key) {
                        if !conditions
                            .iter()
                            .any(|a| a.key.eq_ignore_ascii_case(&c.key))
                        {
                            conditions.push(AuthCondition {
                                key: c.key.clone(),
                                values: values.to_vec(),
                            });
                        }
                    }
                }
            }
        }
        let matched_policies = pair
            .stages
            .iter()
            .find(|s| s.outcome == self.decision.outcome)
            .map(|s| s.matched_policies.clone())
            .unwrap_or_default();
        Some(DecodedDiagnosticMessage {
            explicit_deny: self.decision.outcome == Outcome::ExplicitDeny,
            policy_type: policy_type.as_str().to_string(),
            action: pair.action.clone(),
            resource: pair.resource.clone(),
            principal: AuthPrincipal {
                kind: self.principal.kind.auth_principal_type().to_string(),
                owner_id: self.principal.account.clone(),
                display_name: self.principal.display_name.clone(),
            },
            conditions,
            matched_policies,
        })
    }

    /// The `AccessDeniedDetail` for a denial (`None` when allowed).
    pub fn access_denied_detail(&self, context: &RequestContext) -> Option<AccessDeniedDetail> {
        let decoded = self.decoded_diagnostic_message(context)?;
        let json = serde_json::to_string(&decoded).unwrap_or_default();
        Some(AccessDeniedDetail {
            policy_type: decoded.policy_type.clone(),
            no_permission_type: self.decision.outcome.as_str().to_string(),
            action: decoded.action.clone(),
            resource: decoded.resource.clone(),
            principal_type: decoded.principal.kind.clone(),
            owner_id: decoded.principal.owner_id.clone(),
            display_name: decoded.principal.display_name.clone(),
            encoded_diagnostic_message: base64::engine::general_purpose::STANDARD.encode(json),
        })
    }

    /// A human-readable account of the decision.
    pub fn render_human(&self) -> String {
        let mut out = String::new();
        let d = &self.decision;
        let _ = write!(out, "decision: {}", d.outcome.as_str());
        if let Some(t) = d.policy_type {
            let _ = write!(out, " ({})", t.as_str());
        }
        out.push('\n');
        for (i, pair) in self.pairs.iter().enumerate() {
            let marker = if i == d.pair && d.outcome != Outcome::Allow {
                " <- decides"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "pair {}: {} on {} -> {}{marker}",
                i + 1,
                pair.action,
                pair.resource,
                pair.outcome.as_str()
            );
            if let Some(owner) = &pair.cross_account_owner {
                let _ = writeln!(
                    out,
                    "  resource owned by account {owner}: another account's (no root bypass; identity policies alone do not reach it)"
                );
            }
            if pair.root_owner {
                let _ = writeln!(
                    out,
                    "  account owner (root): full access to its own resources"
                );
            }
            for stage in &pair.stages {
                let _ = writeln!(out, "  stage {}: {}", stage.stage, stage.outcome.as_str());
                if stage.statements.is_empty() {
                    let _ = writeln!(out, "    no statement matches the action and resource");
                }
                for st in &stage.statements {
                    let sid = st
                        .sid
                        .as_deref()
                        .map(|s| format!(" ({s})"))
                        .unwrap_or_default();
                    let loc = st
                        .location
                        .as_deref()
                        .map(|l| format!(" at {l}"))
                        .unwrap_or_default();
                    let state = if st.applied {
                        "applies"
                    } else {
                        "does not apply"
                    };
                    let _ = writeln!(
                        out,
                        "    {} Statement[{}]{sid}{loc}: {} {state}",
                        st.policy,
                        st.statement,
                        st.effect.as_str()
                    );
                    for c in &st.conditions {
                        let req = match &c.request_values {
                            None => "absent".to_string(),
                            Some(v) => format!("{v:?}"),
                        };
                        let _ = writeln!(
                            out,
                            "      {} {:?} {:?} vs request {req}: {:?}",
                            c.operator, c.key, c.policy_values, c.result
                        );
                    }
                }
            }
        }
        out
    }
}
