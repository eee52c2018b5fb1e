//! Exact policy analysis: questions decided over *every* request, not a sample, with no
//! external solver.
//!
//! A request (for one (action, resource) pair) has three kinds of dimension: the action, the
//! resource and each condition key. The constants the policies mention split each dimension
//! into finitely many regions on which every statement answers alike ([`strings`] for globs
//! and string constants, [`domain`] for numbers, dates, IPs, Bool, absence and value sets).
//! The decision is therefore constant on each combination of regions, and the analysis walks
//! the combinations: per action region the statements in scope, per resource region those that
//! remain, then a backtracking search over the keys those statements read, which stops as soon
//! as every decision involved is fixed (the remaining keys are "anything"). Each leaf is a
//! *region*: a set of requests described by its action, resource and key constraints, with
//! one concrete witness request.
//!
//! Which keys a request can carry is part of the model: for a modeled API (the catalog), the
//! global keys plus the keys its product injects (`acs:TargetRDId`/`acs:TargetRDPath` only for
//! `vpc:CreateVpcPeerConnection`/`vpc:AcceptVpcPeerConnection`), with `acs:CurrentTime`,
//! `acs:SecureTransport` and `acs:SourceIp` always present; and its resource is one of its ARN
//! templates (placeholders stand for anything). Actions the catalog does not model may carry
//! any key, present or absent, and any resource (`*` or an `acs:` ARN). `--any-keys`
//! ([`Options::any_keys`]) lifts the key restriction for modeled actions too.
//!
//! Answers are exact for that model, per (action, resource) pair; the stages modeled are the
//! whole flow of §6.10 (`authz::decide_pair`): control-policy nodes, the session policy,
//! identity policies at account scope and at resource-group scope, and the resource policy or
//! the role's trust policy (AssumeRole: identity and trust must both allow).
//!
//! Two more request dimensions appear when a flow needs them. With a resource or trust stage
//! the *caller* is one: the `Principal` elements split callers into classes ([`principals`]),
//! each analysed on its own (the resource belongs to [`HARNESS_ACCOUNT`], whose root has full
//! access; callers of other accounts reach it through the resource policy only). With
//! resource-group stages the *resource group* of the resource is one: each group a stage is
//! attached for, or none of them. `acs:PrincipalARN` stays an independent key (as in `eval`,
//! the request context is what the caller supplies).

mod actions;
pub mod domain;
pub mod fxhash;
pub mod principals;
pub mod render;
pub mod strings;
pub mod world;

use crate::api::catalog::{self, ApiEntry};
use crate::authz::condition::{CompiledCondition, Tri};
use crate::authz::options::UnparseableValues;
use crate::authz::store_builder::FULL_ALIYUN_ACCESS;
use crate::authz::{
    decide, ActionResource, ControlNode, EvalOptions, Outcome, PolicySet, PolicySource,
    PolicyStore, PolicyType, Principal, PrincipalKind, Request, RequestContext,
};
use crate::policy::ast::{Effect, Policy, PolicyKind};
use crate::policy::pattern::{fold_case, Wildcard};
use crate::policy::span::LineIndex;
use crate::policy::{read_policy, ReadOptions};
use actions::{
    describe_action_cell, general_action_cells, split_action_cells, split_action_patterns,
};
use domain::{key_shape, KeyDomain, KeyValue};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use strings::{representatives, StrPred};

/// A policy document to analyse, with where it came from.
#[derive(Debug, Clone)]
pub struct PolicyInput {
    /// Display name (file stem or given name).
    pub name: String,
    /// The file, when read from one.
    pub file: Option<String>,
    /// Source text (for line:column of statements).
    pub text: Option<String>,
    /// The validated document.
    pub policy: Policy,
}

impl PolicyInput {
    /// A policy from its parts.
    pub fn new(name: &str, file: Option<&str>, text: Option<&str>, policy: Policy) -> PolicyInput {
        PolicyInput {
            name: name.to_string(),
            file: file.map(str::to_string),
            text: text.map(str::to_string),
            policy,
        }
    }

    /// Reads a built-in document (FullAliyunAccess, the allow-all harness policy).
    fn builtin(name: &str, text: &str, kind: PolicyKind) -> Option<PolicyInput> {
        read_policy(text, kind, &ReadOptions::default())
            .policy
            .map(|p| PolicyInput::new(name, None, None, p))
    }
}

/// What a stage of the decision flow is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StageKind {
    /// A control-policy node (member, folder or root): must allow.
    Control(String),
    /// The session policy: must allow.
    Session,
    /// Account-scope identity policies.
    Identity,
    /// Identity policies attached at the scope of this resource group: evaluated when the
    /// account scope decides nothing and the resource is in the group (§6.5).
    ResourceGroup(String),
    /// The resource's own policy (§6.6): an Allow here or at the identity stage allows.
    Resource,
    /// The role's trust policy, for `sts:AssumeRole` on the role (§6.7): the identity stage and
    /// the trust policy must both allow.
    Trust,
}

impl StageKind {
    /// `PolicyType` a deny at this stage reports.
    pub fn policy_type(&self) -> PolicyType {
        match self {
            StageKind::Control(_) => PolicyType::ControlPolicy,
            StageKind::Session => PolicyType::SessionPolicy,
            StageKind::Identity | StageKind::Resource => {
                PolicyType::AccountLevelIdentityBasedPolicy
            }
            StageKind::ResourceGroup(_) => PolicyType::ResourceGroupLevelIdentityBasedPolicy,
            StageKind::Trust => PolicyType::AssumeRolePolicy,
        }
    }
}

/// One stage: its kind and its policies.
#[derive(Debug, Clone)]
pub struct Stage {
    /// Kind.
    pub kind: StageKind,
    /// Policies evaluated together (§6.2).
    pub policies: Vec<PolicyInput>,
}

/// A decision flow: control nodes (member → root) and the session policy must each allow; the
/// last stage (identity) decides. This is §6.10 for a RAM identity's own-account requests.
#[derive(Debug, Clone)]
pub struct Flow {
    /// A label for reports (`old`, `new`, a file name).
    pub label: String,
    /// Stages in evaluation order; the last one decides.
    pub stages: Vec<Stage>,
}

/// Name of the identity policy that allows everything in harness flows.
pub const ALLOW_ALL: &str = "AllowAll (harness)";

impl Flow {
    /// A flow with only identity policies.
    pub fn identity(label: &str, policies: Vec<PolicyInput>) -> Flow {
        Flow {
            label: label.to_string(),
            stages: vec![Stage {
                kind: StageKind::Identity,
                policies,
            }],
        }
    }

    fn allow_all() -> Vec<PolicyInput> {
        PolicyInput::builtin(ALLOW_ALL, FULL_ALIYUN_ACCESS, PolicyKind::Identity)
            .into_iter()
            .collect()
    }

    /// The diff harness for a control policy: the document at the member node next to
    /// FullAliyunAccess, over `identity` (allow-all when `None`).
    pub fn control(label: &str, doc: PolicyInput, identity: Option<Vec<PolicyInput>>) -> Flow {
        let mut node: Vec<PolicyInput> =
            PolicyInput::builtin("FullAliyunAccess", FULL_ALIYUN_ACCESS, PolicyKind::Control)
                .into_iter()
                .collect();
        node.push(doc);
        Flow {
            label: label.to_string(),
            stages: vec![
                Stage {
                    kind: StageKind::Control("member".into()),
                    policies: node,
                },
                Stage {
                    kind: StageKind::Identity,
                    policies: identity.unwrap_or_else(Flow::allow_all),
                },
            ],
        }
    }

    /// The diff harness for a session policy: identity allows everything.
    pub fn session(label: &str, doc: PolicyInput) -> Flow {
        Flow {
            label: label.to_string(),
            stages: vec![
                Stage {
                    kind: StageKind::Session,
                    policies: vec![doc],
                },
                Stage {
                    kind: StageKind::Identity,
                    policies: Flow::allow_all(),
                },
            ],
        }
    }

    /// The harness for a resource policy: the document is the resource's own policy and the
    /// caller has no identity policy, so the resource policy decides (§6.6); the caller is a
    /// request dimension (the resource belongs to [`HARNESS_ACCOUNT`], whose root has full
    /// access to it).
    pub fn resource(label: &str, doc: PolicyInput) -> Flow {
        Flow {
            label: label.to_string(),
            stages: vec![
                Stage {
                    kind: StageKind::Identity,
                    policies: Vec::new(),
                },
                Stage {
                    kind: StageKind::Resource,
                    policies: vec![doc],
                },
            ],
        }
    }

    /// The harness for a trust policy: `sts:AssumeRole` on the role [`TRUST_ROLE_ARN`], the
    /// caller's identity policies allow everything, so the trust policy decides who may assume
    /// the role (§6.7); the caller is a request dimension.
    pub fn trust(label: &str, doc: PolicyInput) -> Flow {
        Flow {
            label: label.to_string(),
            stages: vec![
                Stage {
                    kind: StageKind::Identity,
                    policies: Flow::allow_all(),
                },
                Stage {
                    kind: StageKind::Trust,
                    policies: vec![doc],
                },
            ],
        }
    }

    /// The harness for identity policies attached at the scope of resource group `rg`: a RAM
    /// user with no account-scope policy; the policies apply to the resources in `rg` only, so
    /// which group the resource is in is a request dimension.
    pub fn resource_group(label: &str, rg: &str, policies: Vec<PolicyInput>) -> Flow {
        Flow {
            label: label.to_string(),
            stages: vec![
                Stage {
                    kind: StageKind::Identity,
                    policies: Vec::new(),
                },
                Stage {
                    kind: StageKind::ResourceGroup(rg.to_string()),
                    policies,
                },
            ],
        }
    }

    /// True when the flow has a resource or trust stage (the caller is a request dimension).
    pub fn has_principal_dimension(&self) -> bool {
        self.stages
            .iter()
            .any(|s| matches!(s.kind, StageKind::Resource | StageKind::Trust))
    }

    /// True for the AssumeRole flow (a trust stage).
    pub fn is_assume_role(&self) -> bool {
        self.stages.iter().any(|s| s.kind == StageKind::Trust)
    }

    /// The caller the flow stands for (a RAM user; in a directory when control stages exist;
    /// a role session when a session stage exists).
    pub fn principal(&self) -> Principal {
        let session = self.stages.iter().any(|s| s.kind == StageKind::Session);
        let mut p = if session {
            Principal::new(
                PrincipalKind::AssumedRoleUser,
                HARNESS_ACCOUNT,
                "analysis-role/analysis",
            )
        } else {
            Principal::new(PrincipalKind::RamUser, HARNESS_ACCOUNT, "analysis-user")
        };
        p.in_resource_directory = self
            .stages
            .iter()
            .any(|s| matches!(s.kind, StageKind::Control(_)));
        p
    }

    /// The engine's store for this flow (to replay witnesses through `authz::decide`).
    pub fn store(&self) -> PolicyStore {
        let set = |ps: &[PolicyInput]| {
            let mut set = PolicySet::new();
            for p in ps {
                set.add(
                    &p.policy,
                    PolicySource {
                        file: p.file.clone(),
                        ..PolicySource::custom(&p.name)
                    },
                    p.text.as_deref(),
                );
            }
            set
        };
        let mut store = PolicyStore::default();
        for s in &self.stages {
            match &s.kind {
                StageKind::Control(t) => {
                    store.control_chain.push(std::sync::Arc::new(ControlNode {
                        target: t.clone(),
                        policies: set(&s.policies),
                        all_scope: PolicySet::new(),
                    }))
                }
                StageKind::Session => store.session = Some(set(&s.policies)),
                StageKind::Identity => store.identity = set(&s.policies),
                StageKind::ResourceGroup(rg) => {
                    let target = store.resource_group_set(rg);
                    for p in &s.policies {
                        target.add(
                            &p.policy,
                            PolicySource {
                                file: p.file.clone(),
                                ..PolicySource::custom(&p.name)
                            },
                            p.text.as_deref(),
                        );
                    }
                }
                StageKind::Resource | StageKind::Trust => {
                    store.resource_policy = Some(set(&s.policies))
                }
            }
        }
        store
    }

    /// Decides `w` with the real engine (builds the flow's store; to decide many witnesses,
    /// build a [`Replayer`] once).
    pub fn replay(&self, w: &Witness) -> Outcome {
        self.replayer().replay(w)
    }

    /// The flow's engine store and harness caller, built once, to decide many witnesses.
    pub fn replayer(&self) -> Replayer {
        Replayer {
            store: self.store(),
            principal: self.principal(),
            assume_role: self.is_assume_role(),
        }
    }
}

/// A flow compiled for the real engine ([`Flow::replayer`]): decides witnesses exactly as
/// [`Flow::replay`] does, without rebuilding the store for each.
pub struct Replayer {
    store: PolicyStore,
    principal: Principal,
    assume_role: bool,
}

impl Replayer {
    /// Decides `w` with the real engine.
    pub fn replay(&self, w: &Witness) -> Outcome {
        let principal = w.principal.as_ref().unwrap_or(&self.principal);
        let pairs = [ActionResource::new(w.action.as_str(), w.resource.as_str())];
        let mut ctx = RequestContext::new();
        for (k, vs) in &w.context {
            ctx.set(k, vs.clone());
        }
        decide(
            &self.store,
            &Request {
                principal,
                pairs: &pairs,
                context: &ctx,
                resource_account: Some(HARNESS_ACCOUNT),
                resource_group: w.resource_group.as_deref(),
                assume_role: self.assume_role,
            },
            &EvalOptions::default(),
        )
        .outcome
    }
}

/// Account of the harness caller (and owner of the harness resources).
pub const HARNESS_ACCOUNT: &str = "1234567890123456";

/// The role a trust-policy harness assumes.
pub const TRUST_ROLE_ARN: &str = "acs:ram::1234567890123456:role/analysis-target";

/// Analysis options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Every key may be present or absent for every action (not only the ones it receives).
    pub any_keys: bool,
    /// How unparseable request values count (as in `eval`).
    pub unparseable: UnparseableValues,
    /// Stop after this many regions (0: no limit).
    pub max_regions: usize,
    /// Enumerate an action's resource regions when they are few (at most [`ENUM_PATTERNS`]
    /// Resource patterns, the walk stays within [`ENUM_STATES`] automaton states and yields at
    /// most [`ENUM_SCOPES`] statement scopes);
    /// otherwise, and always when false, the resource dimension is searched symbolically
    /// (one boolean per Resource element, each combination checked for emptiness).
    pub enumerate_resources: bool,
    /// Automaton states one emptiness check of the symbolic resource search may visit (and an
    /// enumeration of resource regions, at most [`ENUM_STATES`]); beyond it the answer is
    /// INCOMPLETE. Default [`MEMBER_STATES`].
    pub state_budget: usize,
}

/// Automaton states an enumeration of resource regions may visit before the symbolic search
/// takes over.
pub const ENUM_STATES: usize = 2_000;
/// Resource patterns (other than `*`; those that can match one of the action's resources) up to
/// which an action's resource regions are enumerated; with more, the resource dimension is
/// searched symbolically. Measured on the bench workloads (`benches/analysis.rs`, one diff each,
/// CPU seconds, changed regions) with the limit at 1, 2, 4, 8 and 16 (8 was the old rule):
/// 1,000 distinct action patterns 2.6 / 2.4 / 3.3 / 7.5 / 8.2 s (32,611 regions up to 2,
/// 38,819 at 4, 159,091 from 8); 100 statements 0.01 s and 44 regions up to 4, 0.06 s and 776
/// regions from 8; the 1,000-statement sets 0.10–0.18 s and 401 regions up to 4, 0.13 s and
/// 1,101 regions from 8. Up to two patterns the walk is a few hundred states and its regions
/// the readable "like A but not like B" ones.
pub const ENUM_PATTERNS: usize = 2;
/// States an enumeration for a modeled action may visit (the action's ARN shapes alone can need
/// thousands).
pub const ENUM_STATES_FEW: usize = 400_000;
/// Distinct statement scopes an enumeration may yield before the symbolic search takes over.
pub const ENUM_SCOPES: usize = 64;
/// Members of a scope's resource assignments kept to answer later emptiness checks without a
/// walk.
const RES_SEEN: usize = 32;
/// Automaton states one emptiness check of the symbolic resource search may visit (beyond it the
/// answer is INCOMPLETE).
pub const MEMBER_STATES: usize = 200_000;

impl Default for Options {
    fn default() -> Self {
        Options {
            any_keys: false,
            unparseable: UnparseableValues::FailClosed,
            max_regions: 0,
            enumerate_resources: true,
            state_budget: MEMBER_STATES,
        }
    }
}

/// A statement of one of the analysed flows.
#[derive(Debug, Clone)]
struct AStmt {
    flow: usize,
    stage: usize,
    policy: usize,
    index: usize,
    effect: Effect,
    actions_negated: bool,
    actions: Vec<Wildcard>,
    action_text: Vec<String>,
    resources: Option<(bool, Vec<Wildcard>)>,
    resource_text: Vec<String>,
    /// (key index, condition index within the key's domain).
    conds: Vec<(usize, usize)>,
    /// Index of its `Principal` element in [`Analysis::elements`].
    principal: Option<usize>,
    /// The resource group of its stage (resource-group scope).
    rg: Option<String>,
    line_col: Option<(usize, usize)>,
    sid: Option<String>,
}

impl AStmt {
    fn action_in_scope(&self, folded: &str) -> bool {
        self.actions.iter().any(|w| w.matches(folded)) != self.actions_negated
    }
    fn resource_in_scope(&self, r: &str) -> bool {
        self.resources
            .as_ref()
            .is_none_or(|(neg, ws)| ws.iter().any(|w| w.matches(r)) != *neg)
    }
}

/// A statement in a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, PartialOrd, Ord)]
pub struct StatementRef {
    /// Policy name.
    pub policy: String,
    /// File, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// 0-based statement index (`Statement[i]`).
    pub statement: usize,
    /// `Sid`, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// 1-based line and column of the statement.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// Column.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
}

impl StatementRef {
    /// `name Statement[i] (Sid) at file:line:col`.
    pub fn label(&self) -> String {
        let mut s = format!("{} Statement[{}]", self.policy, self.statement);
        if let Some(sid) = &self.sid {
            s.push_str(&format!(" ({sid})"));
        }
        if let (Some(f), Some(l), Some(c)) = (&self.file, self.line, self.column) {
            s.push_str(&format!(" at {f}:{l}:{c}"));
        }
        s
    }
}

/// A concrete request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Witness {
    /// RAM action.
    pub action: String,
    /// Resource ARN (`*` for All-Resource actions).
    pub resource: String,
    /// Condition-key values (a key not listed is absent).
    pub context: Vec<(String, Vec<String>)>,
    /// The caller, when it is a request dimension (resource and trust policies).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<Principal>,
    /// The resource's resource group, when it is a request dimension (resource-group scope).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_group: Option<String>,
}

impl Witness {
    /// `KEY=VALUE` pairs for display.
    pub fn context_text(&self) -> String {
        if self.context.is_empty() {
            return "(no keys)".into();
        }
        self.context
            .iter()
            .map(|(k, vs)| {
                if vs.len() == 1 {
                    format!("{k}={}", vs[0])
                } else {
                    format!("{k}=[{}]", vs.join(", "))
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// One flow's decision on a region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SideDecision {
    /// Allow / ExplicitDeny / ImplicitDeny.
    pub decision: Outcome,
    /// The stage that denied (none when allowed).
    pub policy_type: Option<PolicyType>,
    /// Statements responsible (applied Deny for an explicit deny, applied Allow for an allow).
    pub statements: Vec<StatementRef>,
}

/// A set of requests on which the flows decide alike, with a witness.
#[derive(Debug, Clone, Serialize)]
pub struct Region {
    /// Action of the witness.
    pub action: String,
    /// The action region in words.
    pub action_region: String,
    /// True when the action is a modeled API (keys and resources follow the catalog).
    pub modeled: bool,
    /// The resource region in words.
    pub resource_region: String,
    /// Key constraints in words (keys not named are unconstrained).
    pub conditions: Vec<String>,
    /// The callers of the region in words (resource and trust policies).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal_region: Option<String>,
    /// The resource-group side of the region in words (resource-group scope).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_group_region: Option<String>,
    /// One decision per flow.
    pub decisions: Vec<SideDecision>,
    /// A concrete request of the region.
    pub witness: Witness,
    /// The key constraints in machine form (for membership tests).
    #[serde(skip)]
    pub constraints: Vec<KeyConstraint>,
    /// The resource constraints in machine form (for membership tests): the region's resources
    /// are the action's resources meeting every one.
    #[serde(skip)]
    pub resource_constraints: std::sync::Arc<[ResourceConstraint]>,
    /// The callers of the region in machine form: [`Analysis::principal_key`] of each.
    #[serde(skip)]
    pub principal_key: Option<PrincipalKey>,
}

/// What the decision flow reads of a caller: the evaluator's answer of every `Principal`
/// element of the analysed policies (in [`Analysis`] order), whether it is the root of the
/// resource's account, whether it is in another account, and whether control policies apply.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PrincipalKey {
    /// Answer of each element.
    pub named_by: Vec<bool>,
    /// Root of the resource owner's account (full access, §6.1).
    pub owner_root: bool,
    /// In another account than the resource's (§6.8).
    pub cross_account: bool,
    /// Control policies apply to it (§6.1).
    pub control: bool,
}

/// A class of callers that every flow decides alike.
#[derive(Debug, Clone)]
struct PClass {
    /// A member (`None`: the flows' own caller, no principal dimension).
    principal: Option<Principal>,
    key: PrincipalKey,
    description: Option<String>,
}

/// One key's constraint in a region: absent, or present with these condition verdicts (in the
/// order of [`Analysis::key_verdicts`]; `None` for conditions the region's statements do not
/// read, which may answer either way).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyConstraint {
    /// Key as first written.
    pub key: String,
    /// The key must be absent.
    pub absent: bool,
    /// Verdicts of the key's conditions on the region's values.
    pub verdicts: Vec<Option<Tri>>,
}

impl KeyConstraint {
    /// Do these verdicts (of every condition on the key) meet the constraint?
    pub fn admits(&self, verdicts: &[Tri]) -> bool {
        self.verdicts.len() == verdicts.len()
            && self
                .verdicts
                .iter()
                .zip(verdicts)
                .all(|(want, got)| want.is_none_or(|w| w == *got))
    }
}

/// One Resource/NotResource element's constraint in a region: whether a statement with this
/// element covers the request's resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceConstraint {
    /// The element's patterns.
    pub patterns: Vec<String>,
    /// `NotResource`.
    pub negated: bool,
    /// Whether the element covers the resource.
    pub covers: bool,
}

impl ResourceConstraint {
    /// Does `resource` meet the constraint?
    pub fn admits(&self, resource: &str) -> bool {
        (self
            .patterns
            .iter()
            .any(|p| crate::policy::pattern::glob(p, resource))
            != self.negated)
            == self.covers
    }
}

/// Which keys a request of `action` can carry in the model: `(may be absent, may be present)`.
pub fn key_presence(action: &str, key: &str, any_keys: bool) -> (bool, bool) {
    let lower = key.to_ascii_lowercase();
    match catalog::by_action(action) {
        _ if any_keys => (true, true),
        None => (true, true),
        Some(e) => {
            if ALWAYS_PRESENT.contains(&lower.as_str()) {
                (false, true)
            } else {
                (true, modeled_receives(e, &lower))
            }
        }
    }
}

/// True when the model's modeled actions carry `a` and `b` together or not at all.
pub fn injected_together(a: &str, b: &str) -> bool {
    co_present(&a.to_ascii_lowercase(), &b.to_ascii_lowercase())
}

/// Counters of one analysis run.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Stats {
    /// Action regions examined.
    pub action_regions: usize,
    /// (action, resource) region pairs examined.
    pub resource_regions: usize,
    /// Key regions built (over all keys).
    pub key_regions: usize,
    /// Search nodes visited (partial key assignments).
    pub nodes: usize,
    /// Leaves reached (regions with every decision fixed).
    pub leaves: usize,
    /// False when a budget ran out somewhere (some region may be missing).
    pub complete: bool,
    /// Keys compared as several value families (regions are per family).
    pub mixed_keys: Vec<String>,
    /// Statements with a `Principal` element (analysed as if it matched the caller).
    pub principal_statements: usize,
    /// Caller classes explored (resource and trust policies: the caller is a request
    /// dimension; 0 otherwise).
    #[serde(skip_serializing_if = "is_zero")]
    pub caller_classes: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// The prepared analysis of one or more flows.
pub struct Analysis {
    flows: Vec<Flow>,
    stmts: Vec<AStmt>,
    keys: Vec<KeyDomain>,
    options: Options,
    /// Per flow, per stage: statement ids.
    layout: Vec<Vec<Vec<usize>>>,
    base_stats: Stats,
    /// `acs:TargetRDId` / `acs:TargetRDPath` read together: the achievable verdict pairs of
    /// an id and a path that starts with it (§5.2: `{RDId}/{RootFolderId}/…`).
    rd: Option<RdJoint>,
    /// `Principal` elements of the statements.
    elements: Vec<crate::policy::ast::Principal>,
    /// The caller classes (one, without a principal dimension).
    classes: Vec<PClass>,
    /// The resource-group side of a request: each group a stage is attached for, then none of
    /// them (`[None]` without resource-group stages).
    rgs: Vec<Option<String>>,
    /// The one (action, resource) a trust policy is evaluated for.
    fixed: Option<(String, String)>,
    /// [`Analysis::choices`] already computed, by (key, may be absent, may be present, relevant
    /// conditions): action regions with the same key model and scopes reading the same
    /// conditions branch alike (thousands of action regions share a few dozen of these).
    choice_memo: std::sync::Mutex<fxhash::FxHashMap<ChoiceKey, std::sync::Arc<[Choice]>>>,
    /// Resource regions already computed (see [`Analysis::resource_cells_with_answers`]).
    res_cell_memo: std::sync::Mutex<ResCellMemo>,
    /// Per statement: an id of what it decides with within an action region (effect,
    /// conditions, Resource element); statements with equal ids apply to the same requests.
    content: Vec<u32>,
    /// Every flow has the same stages (kinds, in order): flows whose stages hold statements of
    /// the same content decide alike.
    same_stages: bool,
}

/// Key of [`Analysis::res_cell_memo`]: the action's resource shapes (`None`: not modeled),
/// the distinct Resource patterns, the state budget and the region limit.
type ResKey = (
    Option<(bool, &'static [&'static str])>,
    Vec<String>,
    usize,
    usize,
);
/// [`Analysis::res_cell_memo`]: the regions (`None`: too many to enumerate) and whether the
/// walk was complete.
type ResCellMemo = fxhash::FxHashMap<ResKey, (Option<std::sync::Arc<ResCells>>, bool)>;

/// Searches of one [`Analysis::regions`] call by (caller class, modeled action, key presence
/// model, statements in scope): the regions found (to be rebuilt around each action and
/// resource), search nodes, leaves, complete.
type SearchMemo = fxhash::FxHashMap<SearchKey, (Vec<Region>, usize, usize, bool)>;
/// Key of [`SearchMemo`].
type SearchKey = (usize, bool, Vec<(bool, bool)>, Vec<usize>);

/// Key of [`Analysis::choice_memo`].
type ChoiceKey = (usize, bool, bool, Option<Vec<bool>>);

/// Joint regions of the directory id and path keys.
struct RdJoint {
    id_key: usize,
    path_key: usize,
    pairs: Vec<(Vec<Tri>, Vec<Tri>, String, String)>,
}

impl RdJoint {
    fn find(
        &self,
        id: Option<&[Tri]>,
        path: Option<&[Tri]>,
    ) -> Option<&(Vec<Tri>, Vec<Tri>, String, String)> {
        self.pairs.iter().find(|(i, p, _, _)| {
            id.is_none_or(|v| v == i.as_slice()) && path.is_none_or(|v| v == p.as_slice())
        })
    }
}

/// Keys every request to a modeled API carries (the gateway's envelope).
const ALWAYS_PRESENT: &[&str] = &["acs:currenttime", "acs:securetransport", "acs:sourceip"];

/// Default values of always-present keys in witnesses.
fn default_value(key: &str) -> Option<&'static str> {
    match key {
        "acs:currenttime" => Some("2025-01-01T00:00:00Z"),
        "acs:securetransport" => Some("true"),
        "acs:sourceip" => Some("192.0.2.10"),
        _ => None,
    }
}

/// Canonical spelling of the always-present keys.
fn canonical(key: &str) -> &'static str {
    match key {
        "acs:currenttime" => "acs:CurrentTime",
        "acs:securetransport" => "acs:SecureTransport",
        _ => "acs:SourceIp",
    }
}

/// Keys a product injects together: a request carries all of them or none (§5.2, §5.3).
fn co_present(a: &str, b: &str) -> bool {
    const GROUP: [&str; 2] = ["acs:targetrdid", "acs:targetrdpath"];
    a != b && GROUP.contains(&a) && GROUP.contains(&b)
}

/// Is `key` (lower case) one the request of a modeled action can carry?
fn modeled_receives(entry: &ApiEntry, key: &str) -> bool {
    use crate::lint::conditions::GLOBAL_KEYS;
    GLOBAL_KEYS.iter().any(|(k, _)| k.eq_ignore_ascii_case(key))
        || key == "acs:principalarn"
        || key.starts_with("acs:requesttag/")
        || key.starts_with("acs:resourcetag/")
        || entry
            .condition_keys
            .iter()
            .any(|k| k.eq_ignore_ascii_case(key))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Choice {
    Absent,
    Present(usize),
}

/// The resource regions of all patterns and action resource shapes.
struct ResourceSpace {
    patterns: Vec<String>,
    cells: Vec<(Vec<bool>, String)>,
    complete: bool,
}

/// Resource regions of an action: (witness, description, answer of each of `patterns` when
/// known) per region.
struct ResCells {
    /// Distinct Resource/NotResource patterns of the statements, sorted.
    patterns: Vec<String>,
    cells: Vec<(String, String, Option<Vec<bool>>)>,
}

/// An action region.
#[derive(Debug, Clone)]
struct ActionCell {
    witness: String,
    entry: Option<&'static ApiEntry>,
    description: String,
}

/// Status of a statement under a partial assignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Det(Tri),
    Open,
}

struct Scope<'a> {
    /// In-scope statement ids.
    stmts: Vec<usize>,
    /// Keys to branch on (ordered), with their choices.
    keys: Vec<(usize, std::sync::Arc<[Choice]>)>,
    /// Per key: which of its conditions the scope's statements read (`None`: all, or the key
    /// is not read). Choices are distinct on these only.
    relevant: Vec<Option<Vec<bool>>>,
    /// Per flow, per stage: in-scope statements, as positions in `stmts` (statuses are kept
    /// per position, so a search node costs the scope's size, not the analysis').
    layout: Vec<Vec<Vec<usize>>>,
    analysis: &'a Analysis,
    /// The caller class (index into the analysis' classes).
    class: usize,
    /// The action is a modeled API (co-presence of injected keys applies).
    modeled: bool,
    /// The symbolic resource dimension, when the resource regions are not enumerated.
    lazy: Option<LazyRes>,
    /// The current assignment of the lazy resource elements.
    res: std::cell::RefCell<Vec<Option<bool>>>,
    /// Emptiness answers per resource assignment.
    res_memo: std::cell::RefCell<fxhash::FxHashMap<Vec<Option<bool>>, strings::Member>>,
    /// Resources found by emptiness checks of this scope, tried before a walk (a branch of an
    /// assignment shown non-empty often holds the member found for its parent).
    res_seen: std::cell::RefCell<Vec<String>>,
    /// The goal needs the flows to decide differently ([`Analysis::goal_needs_difference`]):
    /// a node where they provably decide alike is not explored further.
    prune_alike: bool,
}

/// The resource dimension of one action region searched symbolically: one boolean per distinct
/// Resource/NotResource element of the statements in scope (does it cover the resource?), each
/// partial assignment checked for emptiness against the action's resource shapes.
#[derive(Debug, Clone)]
struct LazyRes {
    /// The action's resources: a union of shapes (`*` is [`StrPred::Equals`]).
    domain: Vec<StrPred>,
    /// Distinct elements: (NotResource, patterns).
    elems: Vec<(bool, Vec<String>)>,
    /// Statement id → its element (`None`: in scope for every resource); one slot per statement
    /// of the analysis (read at every search node, so no hashing).
    of_stmt: Vec<Option<u32>>,
    /// Readable resources (filled shapes) tried before an automaton walk.
    readable: Vec<String>,
    /// States one emptiness check may visit.
    budget: usize,
}

impl LazyRes {
    fn in_domain(&self, r: &str) -> bool {
        self.domain.iter().any(|d| match d {
            StrPred::Equals(x) => x == r,
            StrPred::Like(g) => crate::policy::pattern::glob(g, r),
            _ => false,
        })
    }

    fn covers(&self, e: usize, r: &str) -> bool {
        let (neg, pats) = &self.elems[e];
        pats.iter().any(|p| crate::policy::pattern::glob(p, r)) != *neg
    }

    fn admits(&self, r: &str, res: &[Option<bool>]) -> bool {
        self.in_domain(r)
            && res
                .iter()
                .enumerate()
                .all(|(e, b)| b.is_none_or(|b| self.covers(e, r) == b))
    }

    /// Is there a resource meeting the assignment `res`? Readable candidates first, then the
    /// product automaton.
    fn member(&self, res: &[Option<bool>]) -> strings::Member {
        let fill_true = res
            .iter()
            .enumerate()
            .filter(|(e, b)| **b == Some(true) && !self.elems[*e].0)
            .flat_map(|(e, _)| self.elems[e].1.iter().map(|p| fill_arn(p)));
        for c in self.readable.iter().cloned().chain(fill_true) {
            if self.admits(&c, res) {
                return strings::Member::Found(c);
            }
        }
        let constraints: Vec<strings::Membership> = res
            .iter()
            .enumerate()
            .filter_map(|(e, b)| {
                b.map(|b| strings::Membership {
                    any: self.elems[e]
                        .1
                        .iter()
                        .map(|p| StrPred::Like(p.clone()))
                        .collect(),
                    matches: b != self.elems[e].0,
                })
            })
            .collect();
        strings::find_member(&self.domain, &constraints, self.budget)
    }

    fn describe(&self, res: &[Option<bool>]) -> String {
        let phrase = |pats: &[String]| -> String {
            if pats.len() == 1 {
                format!("`{}`", pats[0])
            } else {
                format!(
                    "one of [{}]",
                    pats.iter()
                        .map(|p| format!("`{p}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        };
        let mut like = Vec::new();
        let mut unlike = Vec::new();
        for (e, b) in res.iter().enumerate() {
            let Some(b) = b else { continue };
            let (neg, pats) = &self.elems[e];
            if *b != *neg {
                like.push(phrase(pats));
            } else {
                unlike.push(phrase(pats));
            }
        }
        let mut d = if like.is_empty() && unlike.is_empty() {
            "any resource".to_string()
        } else if like.is_empty() {
            "resources".to_string()
        } else {
            format!("resources like {}", like.join(" and "))
        };
        if !unlike.is_empty() {
            let more = unlike.len().saturating_sub(4);
            unlike.truncate(4);
            d.push_str(&format!(" but not like {}", unlike.join(", ")));
            if more > 0 {
                d.push_str(&format!(
                    " (nor {more} more pattern{})",
                    if more == 1 { "" } else { "s" }
                ));
            }
        }
        d
    }
}

/// Literal prefix of a glob (up to its first wildcard).
fn literal_prefix(g: &str) -> &str {
    g.find(['*', '?']).map_or(g, |i| &g[..i])
}

/// Can glob `p` match some string of the shape `shape` (a template glob, or `*` itself)? A
/// cheap necessary test: the literal prefixes must be compatible (false means never).
fn may_meet(p: &str, shape: &StrPred) -> bool {
    match shape {
        StrPred::Equals(x) => crate::policy::pattern::glob(p, x),
        StrPred::Like(g) => {
            let (a, b) = (literal_prefix(p), literal_prefix(g));
            a.starts_with(b) || b.starts_with(a)
        }
        _ => true,
    }
}

/// A readable member of an ARN pattern or template glob (`cn-hangzhou` for a `*` region, the
/// harness account for a `*` account, `example` for other `*`, `x` for `?`).
fn fill_arn(p: &str) -> String {
    if p == "*" {
        return "*".into();
    }
    p.split(':')
        .enumerate()
        .map(|(i, seg)| match (i, seg) {
            (2, "*") => "cn-hangzhou".to_string(),
            (3, "*") => HARNESS_ACCOUNT.to_string(),
            _ => seg.replace('*', "example").replace('?', "x"),
        })
        .collect::<Vec<_>>()
        .join(":")
}

/// Goal of a search: which decision vectors to report.
pub type Goal<'g> = &'g dyn Fn(&[Outcome]) -> bool;

impl Analysis {
    /// Prepares the analysis of `flows`.
    pub fn new(flows: Vec<Flow>, options: Options) -> Analysis {
        let mut stmts = Vec::new();
        let mut layout = Vec::new();
        let mut key_index: HashMap<String, usize> = HashMap::new();
        let mut key_names: Vec<String> = Vec::new();
        let mut key_conds: Vec<Vec<(String, CompiledCondition)>> = Vec::new();
        let mut principal_statements = 0;
        let mut elements: Vec<crate::policy::ast::Principal> = Vec::new();
        for (fi, f) in flows.iter().enumerate() {
            let mut fl = Vec::new();
            for (si, stage) in f.stages.iter().enumerate() {
                let mut sl = Vec::new();
                for (pi, p) in stage.policies.iter().enumerate() {
                    let index = p.text.as_deref().map(LineIndex::new);
                    for (i, s) in p.policy.statements.iter().enumerate() {
                        let mut conds = Vec::new();
                        for c in &s.conditions {
                            let lower = c.key.value.to_ascii_lowercase();
                            let k = *key_index.entry(lower).or_insert_with(|| {
                                key_names.push(c.key.value.clone());
                                key_conds.push(Vec::new());
                                key_names.len() - 1
                            });
                            let sig = format!(
                                "{}|{}",
                                c.operator,
                                c.values
                                    .iter()
                                    .map(|v| v.value.as_str())
                                    .collect::<Vec<_>>()
                                    .join("\u{0}")
                            );
                            let ci = match key_conds[k].iter().position(|(s2, _)| *s2 == sig) {
                                Some(ci) => ci,
                                None => {
                                    key_conds[k].push((sig, CompiledCondition::compile(c)));
                                    key_conds[k].len() - 1
                                }
                            };
                            conds.push((k, ci));
                        }
                        let principal = s.principal.as_ref().map(|el| {
                            principal_statements += 1;
                            match elements.iter().position(|e| e == el) {
                                Some(i) => i,
                                None => {
                                    elements.push(el.clone());
                                    elements.len() - 1
                                }
                            }
                        });
                        let rg = match &stage.kind {
                            StageKind::ResourceGroup(g) => Some(g.clone()),
                            _ => None,
                        };
                        let line_col = p.text.as_deref().zip(index.as_ref()).map(|(t, idx)| {
                            let lc = idx.line_col(t, s.span.start);
                            (lc.line, lc.column)
                        });
                        sl.push(stmts.len());
                        stmts.push(AStmt {
                            flow: fi,
                            stage: si,
                            policy: pi,
                            index: i,
                            effect: s.effect,
                            actions_negated: s.actions.negated,
                            actions: s
                                .actions
                                .patterns
                                .iter()
                                .map(|p| Wildcard::new(&fold_case(&p.value)))
                                .collect(),
                            action_text: s
                                .actions
                                .patterns
                                .iter()
                                .map(|p| fold_case(&p.value).into_owned())
                                .collect(),
                            resources: s.resources.as_ref().map(|r| {
                                (
                                    r.negated,
                                    r.patterns.iter().map(|p| Wildcard::new(&p.value)).collect(),
                                )
                            }),
                            resource_text: s
                                .resources
                                .as_ref()
                                .map(|r| r.patterns.iter().map(|p| p.value.clone()).collect())
                                .unwrap_or_default(),
                            conds,
                            principal,
                            rg,
                            line_col,
                            sid: s.sid.clone(),
                        });
                    }
                }
                fl.push(sl);
            }
            layout.push(fl);
        }
        let mut stats = Stats {
            complete: true,
            principal_statements,
            ..Stats::default()
        };
        let content = content_ids(&stmts);
        let same_stages = flows.windows(2).all(|w| {
            w[0].stages.len() == w[1].stages.len()
                && w[0]
                    .stages
                    .iter()
                    .zip(&w[1].stages)
                    .all(|(a, b)| a.kind == b.kind)
        });
        let keys: Vec<KeyDomain> = key_names
            .iter()
            .zip(key_conds)
            .map(|(name, conds)| {
                let d = KeyDomain::new(
                    name,
                    key_shape(name),
                    conds.into_iter().map(|(_, c)| c).collect(),
                    options.unparseable,
                );
                stats.key_regions += d.present.len() + 1;
                stats.complete &= d.complete;
                if d.mixed {
                    stats.mixed_keys.push(name.clone());
                }
                d
            })
            .collect();
        let find = |name: &str| keys.iter().position(|d| d.name.eq_ignore_ascii_case(name));
        let rd = match (find("acs:TargetRDId"), find("acs:TargetRDPath")) {
            (Some(id_key), Some(path_key)) if !options.any_keys => {
                match (
                    domain::string_preds(&keys[id_key].conditions),
                    domain::string_preds(&keys[path_key].conditions),
                ) {
                    (Some(ip), Some(pp)) => {
                        let (raw, complete) = strings::prefix_pairs(&ip, &pp, '/', 400_000);
                        stats.complete &= complete;
                        let verdicts = |k: usize, v: &str| -> Vec<Tri> {
                            let vals = [v.to_string()];
                            keys[k]
                                .conditions
                                .iter()
                                .map(|c| c.evaluate(Some(&vals), options.unparseable))
                                .collect()
                        };
                        Some(RdJoint {
                            id_key,
                            path_key,
                            pairs: raw
                                .into_iter()
                                .map(|(i, p)| (verdicts(id_key, &i), verdicts(path_key, &p), i, p))
                                .collect(),
                        })
                    }
                    _ => None,
                }
            }
            _ => None,
        };
        let dimension = flows.iter().any(Flow::has_principal_dimension);
        let classes = if dimension {
            let c = Analysis::principal_classes(&elements, &mut stats);
            stats.caller_classes = c.len();
            c
        } else {
            vec![PClass {
                principal: None,
                key: PrincipalKey {
                    named_by: vec![true; elements.len()],
                    owner_root: false,
                    cross_account: false,
                    control: true,
                },
                description: None,
            }]
        };
        let mut rgs: Vec<Option<String>> = Vec::new();
        for f in &flows {
            for st in &f.stages {
                if let StageKind::ResourceGroup(g) = &st.kind {
                    if !rgs.contains(&Some(g.clone())) {
                        rgs.push(Some(g.clone()));
                    }
                }
            }
        }
        rgs.push(None);
        let fixed = flows
            .iter()
            .any(Flow::is_assume_role)
            .then(|| ("sts:AssumeRole".to_string(), TRUST_ROLE_ARN.to_string()));
        Analysis {
            flows,
            stmts,
            keys,
            options,
            layout,
            base_stats: stats,
            rd,
            elements,
            classes,
            rgs,
            fixed,
            choice_memo: std::sync::Mutex::new(fxhash::FxHashMap::default()),
            res_cell_memo: std::sync::Mutex::new(fxhash::FxHashMap::default()),
            content,
            same_stages,
        }
    }

    /// True when `goal` never holds while every flow decides alike (a diff, `implies`,
    /// `equivalent`): the search may then skip a partial assignment under which the flows'
    /// stages hold statements of the same content (see [`Scope::flows_alike`]).
    fn goal_needs_difference(&self, goal: Goal<'_>) -> bool {
        self.flows.len() >= 2
            && self.same_stages
            && [Outcome::Allow, Outcome::ExplicitDeny, Outcome::ImplicitDeny]
                .iter()
                .all(|&o| !goal(&vec![o; self.flows.len()]))
    }

    /// The caller classes of the `Principal` elements (see [`principals`]).
    fn principal_classes(
        elements: &[crate::policy::ast::Principal],
        stats: &mut Stats,
    ) -> Vec<PClass> {
        let refs: Vec<&crate::policy::ast::Principal> = elements.iter().collect();
        let (cands, complete) = principals::candidates(&refs);
        stats.complete &= complete;
        let mut out: Vec<PClass> = Vec::new();
        for p in cands {
            let key = Analysis::key_of(&refs, &p);
            if out.iter().any(|c| c.key == key) {
                continue;
            }
            let mut d = principals::describe(&p);
            // The entries that name it, each on its own.
            let named: Vec<String> = refs
                .iter()
                .zip(&key.named_by)
                .filter(|(_, &b)| b)
                .flat_map(|(e, _)| {
                    let one = |ram: bool, svc: bool, v: &crate::policy::ast::Spanned<String>| {
                        let el = crate::policy::ast::Principal {
                            form: e.form,
                            ram: if ram { vec![v.clone()] } else { Vec::new() },
                            service: if svc { vec![v.clone()] } else { Vec::new() },
                            federated: if !ram && !svc {
                                vec![v.clone()]
                            } else {
                                Vec::new()
                            },
                        };
                        crate::authz::policy_set::principal_element_matches(&el, &p)
                            .then(|| format!("`{}`", v.value))
                    };
                    e.ram
                        .iter()
                        .filter_map(|v| one(true, false, v))
                        .chain(e.service.iter().filter_map(|v| one(false, true, v)))
                        .chain(e.federated.iter().filter_map(|v| one(false, false, v)))
                        .collect::<Vec<_>>()
                })
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .take(4)
                .collect();
            if key.owner_root {
                d.push_str(" (the resource owner: full access)");
            } else if named.is_empty() {
                d.push_str(" and every caller no Principal entry names");
            } else {
                d.push_str(&format!(
                    " and every caller named by exactly the same entries ({})",
                    named.join(", ")
                ));
            }
            out.push(PClass {
                principal: Some(p),
                key,
                description: Some(d),
            });
        }
        out
    }

    fn key_of(refs: &[&crate::policy::ast::Principal], p: &Principal) -> PrincipalKey {
        PrincipalKey {
            named_by: principals::vector(refs, p),
            owner_root: p.kind == PrincipalKind::Root && p.account == HARNESS_ACCOUNT,
            cross_account: p.account != HARNESS_ACCOUNT,
            control: crate::authz::decide::control_policies_apply(p),
        }
    }

    /// The class key of caller `p` (compare with [`Region::principal_key`]).
    pub fn principal_key(&self, p: &Principal) -> PrincipalKey {
        let refs: Vec<&crate::policy::ast::Principal> = self.elements.iter().collect();
        Analysis::key_of(&refs, p)
    }

    /// The resource-group side of a request whose resource is in `rg` (compare with the
    /// witness's): the group when a stage is attached for it, else none.
    pub fn resource_group_class(&self, rg: Option<&str>) -> Option<String> {
        rg.filter(|g| self.rgs.iter().any(|x| x.as_deref() == Some(*g)))
            .map(str::to_string)
    }

    /// Does statement `i` bear on requests of caller class `c` and resource-group side `g`?
    fn in_request(&self, i: usize, c: usize, g: usize) -> bool {
        let s = &self.stmts[i];
        s.principal.is_none_or(|e| self.classes[c].key.named_by[e])
            && s.rg
                .as_ref()
                .is_none_or(|rg| self.rgs[g].as_ref() == Some(rg))
    }

    /// The flows analysed.
    pub fn flows(&self) -> &[Flow] {
        &self.flows
    }

    fn stmt_ref(&self, id: usize) -> StatementRef {
        let s = &self.stmts[id];
        let p = &self.flows[s.flow].stages[s.stage].policies[s.policy];
        StatementRef {
            policy: p.name.clone(),
            file: p.file.clone(),
            statement: s.index,
            sid: s.sid.clone(),
            line: s.line_col.map(|x| x.0),
            column: s.line_col.map(|x| x.1),
        }
    }

    /// The action regions of every statement's Action/NotAction patterns: each modeled API on
    /// its own, then the regions of actions the catalog does not model.
    fn action_cells(&self, stats: &mut Stats, only: Option<&str>) -> Vec<ActionCell> {
        if let Some(a) = only {
            let entry = catalog::by_action(a);
            return vec![ActionCell {
                witness: entry.map_or_else(|| a.to_string(), |e| e.action.to_string()),
                entry,
                description: format!("`{}`", entry.map_or(a, |e| e.action)),
            }];
        }
        let mut cells: Vec<ActionCell> = catalog::CATALOG
            .iter()
            .map(|e| ActionCell {
                witness: e.action.to_string(),
                entry: Some(e),
                description: format!("`{}`", e.action),
            })
            .collect();
        let mut patterns: Vec<String> = self
            .stmts
            .iter()
            .flat_map(|s| s.action_text.iter().cloned())
            .collect();
        patterns.sort();
        patterns.dedup();
        let catalog_folded: Vec<String> = catalog::CATALOG
            .iter()
            .map(|e| e.action.to_ascii_lowercase())
            .collect();
        let found = match split_action_patterns(&patterns) {
            Some(parts) => split_action_cells(&patterns, &parts, &catalog_folded, stats),
            None => general_action_cells(&patterns, &catalog_folded, stats),
        };
        for (v, w) in found {
            let d = describe_action_cell(&patterns, &v, &w);
            cells.push(ActionCell {
                witness: w,
                entry: None,
                description: d,
            });
        }
        cells
    }

    /// Resource regions for the statements `ids` on action `cell`.
    /// `None` when the walk needs more than `budget` states or yields more than `max_cells`
    /// regions (the caller searches the resource dimension symbolically instead).
    fn resource_cells(
        &self,
        ids: &[usize],
        cell: &ActionCell,
        stats: &mut Stats,
        only: Option<&str>,
        budget: usize,
        max_cells: usize,
    ) -> Option<Vec<(String, String)>> {
        self.resource_cells_with_answers(ids, cell, stats, only, budget, max_cells)
            .map(|c| {
                c.cells
                    .iter()
                    .map(|(w, d, _)| (w.clone(), d.clone()))
                    .collect()
            })
    }

    /// [`Analysis::resource_cells_with_answers`], memoized by the action's resource shapes and
    /// the distinct Resource patterns of `ids` (action regions whose statements name the same
    /// resources share one walk and its readable witnesses).
    fn resource_cells_with_answers(
        &self,
        ids: &[usize],
        cell: &ActionCell,
        stats: &mut Stats,
        only: Option<&str>,
        budget: usize,
        max_cells: usize,
    ) -> Option<std::sync::Arc<ResCells>> {
        if only.is_some() {
            return self
                .resource_cells_uncached(ids, cell, stats, only, budget, max_cells)
                .map(std::sync::Arc::new);
        }
        let mut patterns: Vec<&str> = ids
            .iter()
            .flat_map(|&i| self.stmts[i].resource_text.iter().map(String::as_str))
            .collect();
        patterns.sort_unstable();
        patterns.dedup();
        let key: ResKey = (
            cell.entry.map(|e| (e.all_resource(), e.resources)),
            patterns.iter().map(|p| p.to_string()).collect(),
            budget,
            max_cells,
        );
        let lock = || {
            self.res_cell_memo
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        };
        if let Some((cells, complete)) = lock().get(&key) {
            stats.complete &= *complete;
            return cells.clone();
        }
        let mut delta = Stats {
            complete: true,
            ..Stats::default()
        };
        let cells = self
            .resource_cells_uncached(ids, cell, &mut delta, only, budget, max_cells)
            .map(std::sync::Arc::new);
        stats.complete &= delta.complete;
        lock().insert(key, (cells.clone(), delta.complete));
        cells
    }

    /// [`Analysis::resource_cells`], with each region's answer of every distinct Resource
    /// pattern of `ids` (so statement scopes follow without matching globs again).
    fn resource_cells_uncached(
        &self,
        ids: &[usize],
        cell: &ActionCell,
        stats: &mut Stats,
        only: Option<&str>,
        budget: usize,
        max_cells: usize,
    ) -> Option<ResCells> {
        if let Some(r) = only {
            return Some(ResCells {
                patterns: Vec::new(),
                cells: vec![(r.to_string(), format!("`{r}`"), None)],
            });
        }
        let alternatives: Vec<String> = match cell.entry {
            Some(e) if e.all_resource() => {
                return Some(ResCells {
                    patterns: Vec::new(),
                    cells: vec![("*".into(), "`*`".into(), None)],
                })
            }
            Some(e) => e.resources.iter().map(|t| template_glob(t)).collect(),
            None => vec!["*".into(), "acs:*".into()],
        };
        let mut patterns: Vec<String> = ids
            .iter()
            .flat_map(|&i| self.stmts[i].resource_text.iter().cloned())
            .collect();
        patterns.sort();
        patterns.dedup();
        let mut preds: Vec<StrPred> = patterns.iter().map(|p| StrPred::Like(p.clone())).collect();
        for a in &alternatives {
            preds.push(if a == "*" {
                StrPred::Equals("*".into())
            } else {
                StrPred::Like(a.clone())
            });
        }
        // Patterns no resource of the action can match (their literal prefix fits no shape's)
        // are false everywhere: walk without them.
        let n_pat = patterns.len();
        let live: Vec<bool> = patterns
            .iter()
            .map(|p| preds[n_pat..].iter().any(|a| may_meet(p, a)))
            .collect();
        let walked: Vec<StrPred> = preds
            .iter()
            .enumerate()
            .filter(|(i, _)| *i >= n_pat || live[*i])
            .map(|(_, p)| p.clone())
            .collect();
        // More than [`ENUM_PATTERNS`] patterns: the symbolic search is faster and its regions
        // coarser (measured, see the constant). Up to that on a modeled action: the walk is
        // small or repeats (memoized), so give it room (the action's ARN shapes alone can need
        // thousands of states); on an action the catalog does not model (whose resources are
        // `*` or any `acs:` ARN) fail fast.
        let n_live = (0..n_pat)
            .filter(|&i| live[i] && patterns[i] != "*")
            .count();
        if n_live > ENUM_PATTERNS {
            return None;
        }
        let budget = if cell.entry.is_some() {
            budget.max(ENUM_STATES_FEW.min(self.options.state_budget))
        } else {
            budget
        };
        let mut r = representatives(&walked, &[], budget);
        if !r.complete || r.cells.len() > max_cells {
            return None;
        }
        for (v, _) in r.cells.iter_mut() {
            let mut it = v.iter();
            let full: Vec<bool> = (0..preds.len())
                .map(|i| (i >= n_pat || live[i]) && it.next().copied().unwrap_or(false))
                .collect();
            *v = full;
        }
        // Readable members: templates and patterns filled with sample values.
        let fill = |p: &str| -> String {
            p.split(':')
                .enumerate()
                .map(|(i, seg)| match (i, seg) {
                    (2, "*") => "cn-hangzhou".to_string(),
                    (3, "*") => HARNESS_ACCOUNT.to_string(),
                    _ => seg.replace('*', "example").replace('?', "x"),
                })
                .collect::<Vec<_>>()
                .join(":")
        };
        let readable: Vec<(Vec<bool>, String)> = patterns
            .iter()
            .chain(alternatives.iter())
            .filter(|p| p.as_str() != "*")
            .map(|p| fill(p))
            .chain(
                cell.entry
                    .into_iter()
                    .flat_map(|e| e.resources.iter())
                    .map(|t| fill(&template_glob(t))),
            )
            .map(|c| {
                let v: Vec<bool> = preds
                    .iter()
                    .map(|p| match p {
                        StrPred::Equals(x) => *x == c,
                        StrPred::Like(g) => crate::policy::pattern::glob(g, &c),
                        _ => false,
                    })
                    .collect();
                (v, c)
            })
            .collect();
        let cells = r
            .cells
            .into_iter()
            .map(|(v, w)| {
                let w = readable
                    .iter()
                    .find(|(rv, _)| *rv == v)
                    .map_or(w, |(_, c)| c.clone());
                (v, w)
            })
            .collect();
        let space = ResourceSpace {
            cells,
            complete: r.complete,
            patterns,
        };
        let alt_idx: Vec<usize> = (0..alternatives.len()).collect();
        let n = space.patterns.len();
        let mine: Vec<usize> = (0..n).collect();
        let mut seen: Vec<Vec<bool>> = Vec::new();
        let mut out = Vec::new();
        for (v, w) in &space.cells {
            if !alt_idx.iter().any(|&a| v[n + a]) {
                continue;
            }
            let projected: Vec<bool> = mine.iter().map(|&i| v[i]).collect();
            if seen.contains(&projected) {
                continue;
            }
            seen.push(projected.clone());
            let desc = if w == "*" {
                "`*`".to_string()
            } else {
                let matched: Vec<String> = mine
                    .iter()
                    .zip(&projected)
                    .filter(|(_, &b)| b)
                    .map(|(&i, _)| format!("`{}`", space.patterns[i]))
                    .collect();
                let unmatched: Vec<String> = mine
                    .iter()
                    .zip(&projected)
                    .filter(|(&i, &b)| !b && space.patterns[i] != "*")
                    .map(|(&i, _)| format!("`{}`", space.patterns[i]))
                    .take(4)
                    .collect();
                let mut d = if matched.is_empty() {
                    "resources matching no pattern".to_string()
                } else {
                    format!("resources like {}", matched.join(" and "))
                };
                if !unmatched.is_empty() && !matched.is_empty() {
                    d.push_str(&format!(" but not like {}", unmatched.join(", ")));
                }
                d
            };
            out.push((w.clone(), desc, Some(projected)));
        }
        stats.complete &= space.complete;
        Some(ResCells {
            patterns: space.patterns,
            cells: out,
        })
    }

    /// The symbolic resource dimension of action `cell` for statements `ids`: the statements
    /// whose Resource never covers a resource of the action drop out; those whose Resource covers
    /// every one need no variable.
    fn lazy_resources(
        &self,
        ids: &[usize],
        cell: &ActionCell,
        stats: &mut Stats,
    ) -> (Vec<usize>, LazyRes) {
        let (domain, mut readable): (Vec<StrPred>, Vec<String>) = match cell.entry {
            Some(e) if e.all_resource() => (vec![StrPred::Equals("*".into())], vec!["*".into()]),
            Some(e) => {
                let globs: Vec<String> = e.resources.iter().map(|t| template_glob(t)).collect();
                let readable = globs.iter().map(|g| fill_arn(g)).collect();
                (globs.into_iter().map(StrPred::Like).collect(), readable)
            }
            None => (
                vec![StrPred::Equals("*".into()), StrPred::Like("acs:*".into())],
                vec!["*".into()],
            ),
        };
        readable.dedup();
        let mut lazy = LazyRes {
            domain,
            elems: Vec::new(),
            of_stmt: vec![None; self.stmts.len()],
            readable,
            budget: self.options.state_budget,
        };
        let mut index: HashMap<(bool, Vec<String>), Option<usize>> = HashMap::new();
        let mut kept = Vec::new();
        for &i in ids {
            let s = &self.stmts[i];
            if s.resources.is_none() {
                kept.push(i);
                continue;
            }
            let neg = s.resources.as_ref().is_some_and(|r| r.0);
            let mut pats = s.resource_text.clone();
            pats.sort();
            pats.dedup();
            let key = (neg, pats);
            let slot = match index.get(&key) {
                Some(slot) => *slot,
                None if !key.0
                    && !key
                        .1
                        .iter()
                        .any(|p| lazy.domain.iter().any(|d| may_meet(p, d))) =>
                {
                    // Its patterns fit no resource shape of the action: never covers.
                    index.insert(key, None);
                    None
                }
                None => {
                    // Classify the element against the action's resources.
                    lazy.elems.push(key.clone());
                    let e = lazy.elems.len() - 1;
                    let mut probe = vec![None; lazy.elems.len()];
                    probe[e] = Some(true);
                    let can_cover = lazy.member(&probe);
                    probe[e] = Some(false);
                    let can_miss = lazy.member(&probe);
                    for m in [&can_cover, &can_miss] {
                        if *m == strings::Member::Unknown {
                            stats.complete = false;
                        }
                    }
                    let slot = match (can_cover, can_miss) {
                        (strings::Member::Empty, _) => None,
                        (_, strings::Member::Empty) => Some(usize::MAX),
                        _ => Some(e),
                    };
                    if slot != Some(e) {
                        lazy.elems.pop();
                    }
                    index.insert(key, slot);
                    slot
                }
            };
            match slot {
                None => {}
                Some(usize::MAX) => kept.push(i),
                Some(e) => {
                    lazy.of_stmt[i] = Some(e as u32);
                    kept.push(i);
                }
            }
        }
        (kept, lazy)
    }

    /// The choices of key `k` for a request of action `cell`: absence when the action may
    /// lack the key, and one present region per distinct answer of the `relevant` conditions
    /// (all when `None`).
    fn choices(
        &self,
        k: usize,
        cell: &ActionCell,
        relevant: Option<&[bool]>,
    ) -> std::sync::Arc<[Choice]> {
        let (may_absent, may_present) = match cell.entry {
            Some(e) => key_presence(e.action, &self.keys[k].name, self.options.any_keys),
            None => (true, true),
        };
        let key: ChoiceKey = (k, may_absent, may_present, relevant.map(<[bool]>::to_vec));
        if let Some(hit) = self
            .choice_memo
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&key)
        {
            return hit.clone();
        }
        let out: std::sync::Arc<[Choice]> = self
            .choices_uncached(k, may_absent, may_present, relevant)
            .into();
        self.choice_memo
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(key, out.clone());
        out
    }

    fn choices_uncached(
        &self,
        k: usize,
        may_absent: bool,
        may_present: bool,
        relevant: Option<&[bool]>,
    ) -> Vec<Choice> {
        let mut out = Vec::new();
        if may_absent {
            out.push(Choice::Absent);
        }
        if may_present {
            match relevant {
                None => out.extend((0..self.keys[k].present.len()).map(Choice::Present)),
                Some(rel) => {
                    let mut seen: std::collections::HashSet<Vec<Tri>> =
                        std::collections::HashSet::new();
                    for (i, o) in self.keys[k].present.iter().enumerate() {
                        let projected: Vec<Tri> = o
                            .verdicts
                            .iter()
                            .zip(rel)
                            .filter(|(_, &r)| r)
                            .map(|(t, _)| *t)
                            .collect();
                        if seen.insert(projected) {
                            out.push(Choice::Present(i));
                        }
                    }
                }
            }
        }
        out
    }

    /// Enumerates every region on which `goal` holds for the flows' decisions. With `only`,
    /// the action (and resource) are fixed. Returns the regions and the counters.
    pub fn regions(
        &self,
        goal: Goal<'_>,
        only_action: Option<&str>,
        only_resource: Option<&str>,
        limit: usize,
    ) -> (Vec<Region>, Stats) {
        let mut stats = self.base_stats.clone();
        let mut out = Vec::new();
        let (only_action, only_resource) = match &self.fixed {
            Some((a, r)) if only_action.is_none() => (Some(a.as_str()), Some(r.as_str())),
            _ => (only_action, only_resource),
        };
        let cells = self.action_cells(&mut stats, only_action);
        // Action regions with the same statements in scope (after the caller's and the resource
        // group's), the same facts of the caller, the same resource shapes and the same key model
        // decide alike: searched once, the regions reused under each action (the
        // counters count them as explored again, so they do not depend on the reuse).
        type CellKey = (
            (bool, bool, bool),
            Vec<usize>,
            Option<(bool, &'static [&'static str])>,
            Vec<(bool, bool)>,
        );
        let mut memo: HashMap<CellKey, (Vec<Region>, Stats)> = HashMap::new();
        let mut search_memo = SearchMemo::default();
        let sides: Vec<(usize, usize)> = (0..self.classes.len())
            .flat_map(|c| (0..self.rgs.len()).map(move |g| (c, g)))
            .collect();
        'sides: for &(ci, gi) in &sides {
            for cell in &cells {
                stats.action_regions += 1;
                let folded = cell.witness.to_lowercase();
                let in_action: Vec<usize> = (0..self.stmts.len())
                    .filter(|&i| {
                        self.in_request(i, ci, gi) && self.stmts[i].action_in_scope(&folded)
                    })
                    .collect();
                let remaining = if limit > 0 { limit - out.len() } else { 0 };
                let key: Option<CellKey> =
                    cell.entry.filter(|_| only_resource.is_none()).map(|e| {
                        (
                            (
                                self.classes[ci].key.owner_root,
                                self.classes[ci].key.cross_account,
                                self.classes[ci].key.control,
                            ),
                            in_action.clone(),
                            Some((e.all_resource(), e.resources)),
                            self.keys
                                .iter()
                                .map(|d| key_presence(e.action, &d.name, self.options.any_keys))
                                .collect(),
                        )
                    });
                let regions = match key.as_ref().and_then(|k| memo.get(k)) {
                    Some((regions, delta)) => {
                        stats.resource_regions += delta.resource_regions;
                        stats.nodes += delta.nodes;
                        stats.leaves += delta.leaves;
                        stats.complete &= delta.complete;
                        regions
                            .iter()
                            .map(|r| {
                                let mut r = r.clone();
                                r.action = cell.witness.clone();
                                r.action_region = cell.description.clone();
                                r.witness.action = cell.witness.clone();
                                r
                            })
                            .collect()
                    }
                    None => {
                        let mut delta = Stats {
                            complete: true,
                            ..Stats::default()
                        };
                        let regions = self.cell_regions(
                            cell,
                            &in_action,
                            goal,
                            only_resource,
                            remaining,
                            &mut delta,
                            ci,
                            &mut search_memo,
                        );
                        stats.resource_regions += delta.resource_regions;
                        stats.nodes += delta.nodes;
                        stats.leaves += delta.leaves;
                        stats.complete &= delta.complete;
                        if let Some(k) = key {
                            if remaining == 0 || regions.len() < remaining {
                                memo.insert(k, (regions.clone(), delta));
                            }
                        }
                        regions
                    }
                };
                let class = &self.classes[ci];
                let rg = &self.rgs[gi];
                for mut r in regions {
                    if class.principal.is_some() {
                        r.witness.principal = class.principal.clone();
                        r.principal_region = class.description.clone();
                        r.principal_key = Some(class.key.clone());
                    }
                    if self.rgs.len() > 1 {
                        r.witness.resource_group = rg.clone();
                        r.resource_group_region = Some(match rg {
                        Some(g) => format!("resources in resource group `{g}`"),
                        None => "resources in none of the resource groups the policies are attached for".into(),
                    });
                    }
                    out.push(r);
                    if limit > 0 && out.len() >= limit {
                        break 'sides;
                    }
                }
            }
        }
        (out, stats)
    }

    /// The regions of one action region (at most `limit`, 0: all) on which `goal` holds.
    #[allow(clippy::too_many_arguments)]
    fn cell_regions(
        &self,
        cell: &ActionCell,
        in_action: &[usize],
        goal: Goal<'_>,
        only_resource: Option<&str>,
        limit: usize,
        stats: &mut Stats,
        class: usize,
        memo: &mut SearchMemo,
    ) -> Vec<Region> {
        let presence: Vec<(bool, bool)> = self
            .keys
            .iter()
            .map(|d| match cell.entry {
                Some(e) => key_presence(e.action, &d.name, self.options.any_keys),
                None => (true, true),
            })
            .collect();
        let in_action = in_action.to_vec();
        let mut out: Vec<Region> = Vec::new();
        let enumerated = if self.options.enumerate_resources || only_resource.is_some() {
            self.resource_cells_with_answers(
                &in_action,
                cell,
                stats,
                only_resource,
                ENUM_STATES.min(self.options.state_budget),
                16 * ENUM_SCOPES,
            )
        } else {
            None
        };
        // Resource regions with the same statements in scope decide alike: one search per
        // distinct scope, one region per scope (the first resource region is the witness).
        let mut groups: Vec<(Vec<usize>, String, String, usize)> = Vec::new();
        let mut index: fxhash::FxHashMap<Vec<usize>, usize> = fxhash::FxHashMap::default();
        // Each statement's Resource patterns as positions in the region answers.
        let pattern_pos: Vec<Option<(bool, Vec<usize>)>> = match &enumerated {
            Some(rc) => in_action
                .iter()
                .map(|&i| {
                    let st = &self.stmts[i];
                    st.resources.as_ref().map(|(neg, _)| {
                        let pos = st
                            .resource_text
                            .iter()
                            .filter_map(|p| rc.patterns.binary_search(p).ok())
                            .collect();
                        (*neg, pos)
                    })
                })
                .collect(),
            None => Vec::new(),
        };
        for (res, res_desc, answers) in enumerated.iter().flat_map(|rc| rc.cells.iter()) {
            stats.resource_regions += 1;
            let ids: Vec<usize> = match answers {
                Some(v) => in_action
                    .iter()
                    .zip(&pattern_pos)
                    .filter(|(_, pp)| {
                        pp.as_ref()
                            .is_none_or(|(neg, pos)| pos.iter().any(|&p| v[p]) != *neg)
                    })
                    .map(|(&i, _)| i)
                    .collect(),
                None => in_action
                    .iter()
                    .copied()
                    .filter(|&i| self.stmts[i].resource_in_scope(res))
                    .collect(),
            };
            match index.get(&ids) {
                Some(&g) => groups[g].3 += 1,
                None => {
                    index.insert(ids.clone(), groups.len());
                    groups.push((ids, res.clone(), res_desc.clone(), 1));
                }
            }
        }
        if enumerated.is_none() || (groups.len() > ENUM_SCOPES && only_resource.is_none()) {
            // Too many resource regions to enumerate: search the resource dimension.
            let (ids, lazy) = self.lazy_resources(&in_action, cell, stats);
            let mut scope = self.scope(&ids, cell);
            scope.class = class;
            scope.prune_alike = self.goal_needs_difference(goal);
            scope.res = std::cell::RefCell::new(vec![None; lazy.elems.len()]);
            scope.lazy = Some(lazy.clone());
            let mut assign: Vec<Option<Choice>> = vec![None; self.keys.len()];
            let mut found = Vec::new();
            scope.search(&mut assign, goal, stats, &mut found, limit);
            for (assign, res, decisions) in found {
                let resource = match scope.res_member(&res) {
                    strings::Member::Found(r) => r,
                    _ => {
                        // Every leaf's assignment was shown non-empty; fail closed anyway.
                        stats.complete = false;
                        continue;
                    }
                };
                let desc = lazy.describe(&res);
                let mut region = self.region(cell, &resource, &desc, &scope, &assign, &decisions);
                region.resource_constraints = res
                    .iter()
                    .enumerate()
                    .filter_map(|(e, b)| {
                        b.map(|covers| ResourceConstraint {
                            patterns: lazy.elems[e].1.clone(),
                            negated: lazy.elems[e].0,
                            covers,
                        })
                    })
                    .collect();
                out.push(region);
                if limit > 0 && out.len() >= limit {
                    return out;
                }
            }
            return out;
        }
        for (ids, res, res_desc, count) in &groups {
            let desc = if *count > 1 {
                format!(
                    "{res_desc} (and {} more resource region{} the same statements cover)",
                    count - 1,
                    if *count == 2 { "" } else { "s" }
                )
            } else {
                res_desc.clone()
            };
            // The same statements under the same key model and caller class decide alike in
            // every action region: searched once per `regions` call (the counters count a reuse
            // as explored again), the regions rebuilt around this action and resource.
            let memo_key: Option<SearchKey> =
                (limit == 0).then(|| (class, cell.entry.is_some(), presence.clone(), ids.clone()));
            let cached = memo_key.as_ref().and_then(|k| memo.get(k)).map(
                |(regions, nodes, leaves, complete)| {
                    stats.nodes += nodes;
                    stats.leaves += leaves;
                    stats.complete &= complete;
                    regions.clone()
                },
            );
            let built: Vec<Region> = match cached {
                Some(regions) => regions,
                None => {
                    let mut scope = self.scope(ids, cell);
                    scope.class = class;
                    scope.prune_alike = self.goal_needs_difference(goal);
                    let mut assign: Vec<Option<Choice>> = vec![None; self.keys.len()];
                    let mut found = Vec::new();
                    let mut delta = Stats {
                        complete: true,
                        ..Stats::default()
                    };
                    scope.search(&mut assign, goal, &mut delta, &mut found, limit);
                    stats.nodes += delta.nodes;
                    stats.leaves += delta.leaves;
                    stats.resource_regions += delta.resource_regions;
                    stats.complete &= delta.complete;
                    let regions: Vec<Region> = found
                        .into_iter()
                        .map(|(assign, _, decisions)| {
                            self.region(cell, res, &desc, &scope, &assign, &decisions)
                        })
                        .collect();
                    if let Some(k) = memo_key {
                        memo.insert(
                            k,
                            (regions.clone(), delta.nodes, delta.leaves, delta.complete),
                        );
                    }
                    regions
                }
            };
            if built.is_empty() {
                continue;
            }
            // The region's resources: those covered by exactly the scope's statements.
            let elems: std::sync::Arc<[ResourceConstraint]> = {
                let mut v: Vec<ResourceConstraint> = Vec::new();
                for &i in &in_action {
                    let st = &self.stmts[i];
                    let Some((negated, _)) = &st.resources else {
                        continue;
                    };
                    let c = ResourceConstraint {
                        patterns: st.resource_text.clone(),
                        negated: *negated,
                        covers: ids.binary_search(&i).is_ok(),
                    };
                    if !v.contains(&c) {
                        v.push(c);
                    }
                }
                v.into()
            };
            for mut region in built {
                region.action = cell.witness.clone();
                region.action_region = cell.description.clone();
                region.witness.action = cell.witness.clone();
                region.resource_region = desc.clone();
                region.witness.resource = res.clone();
                region.resource_constraints = elems.clone();
                out.push(region);
                if limit > 0 && out.len() >= limit {
                    return out;
                }
            }
        }
        out
    }

    fn scope(&self, ids: &[usize], cell: &ActionCell) -> Scope<'_> {
        let mut layout: Vec<Vec<Vec<usize>>> = self
            .layout
            .iter()
            .map(|f| f.iter().map(|_| Vec::new()).collect())
            .collect();
        let mut counts: BTreeMap<usize, usize> = BTreeMap::new();
        let mut relevant: Vec<Option<Vec<bool>>> = vec![None; self.keys.len()];
        for (li, &i) in ids.iter().enumerate() {
            let s = &self.stmts[i];
            layout[s.flow][s.stage].push(li);
            for &(k, ci) in &s.conds {
                *counts.entry(k).or_default() += 1;
                relevant[k].get_or_insert_with(|| vec![false; self.keys[k].conditions.len()])[ci] =
                    true;
            }
        }
        // The directory id/path keys keep every region (their joint achievability is checked
        // per region).
        if let Some(rd) = &self.rd {
            relevant[rd.id_key] = None;
            relevant[rd.path_key] = None;
        }
        let mut keys: Vec<(usize, usize)> = counts.into_iter().collect();
        keys.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        Scope {
            stmts: ids.to_vec(),
            keys: keys
                .into_iter()
                .map(|(k, _)| (k, self.choices(k, cell, relevant[k].as_deref())))
                .collect(),
            relevant,
            layout,
            analysis: self,
            class: 0,
            modeled: cell.entry.is_some(),
            lazy: None,
            res: std::cell::RefCell::new(Vec::new()),
            res_memo: std::cell::RefCell::new(fxhash::FxHashMap::default()),
            res_seen: std::cell::RefCell::new(Vec::new()),
            prune_alike: false,
        }
    }

    fn region(
        &self,
        cell: &ActionCell,
        res: &str,
        res_desc: &str,
        scope: &Scope<'_>,
        assign: &[Option<Choice>],
        decisions: &[(Outcome, Option<PolicyType>, Vec<usize>)],
    ) -> Region {
        let mut conditions = Vec::new();
        let mut constraints = Vec::new();
        let mut context: Vec<(String, Vec<String>)> = Vec::new();
        let mut covered: Vec<String> = Vec::new();
        for (k, choices) in &scope.keys {
            let d = &self.keys[*k];
            covered.push(d.name.to_ascii_lowercase());
            match assign[*k] {
                Some(Choice::Absent) => {
                    conditions.push(format!("`{}` is absent", d.name));
                    constraints.push(KeyConstraint {
                        key: d.name.clone(),
                        absent: true,
                        verdicts: project(&d.absent, scope.relevant[*k].as_deref()),
                    });
                }
                Some(Choice::Present(i)) => {
                    conditions.push(render::describe_key(d, i, scope.relevant[*k].as_deref()));
                    constraints.push(KeyConstraint {
                        key: d.name.clone(),
                        absent: false,
                        verdicts: project(&d.present[i].verdicts, scope.relevant[*k].as_deref()),
                    });
                    if let KeyValue::Values(vs) = &d.present[i].value {
                        context.push((d.name.clone(), vs.clone()));
                    }
                }
                None => {
                    // Unconstrained: the witness takes the first choice the model allows (a key
                    // injected together with an assigned one follows it).
                    let choice = match scope.partner(*k, assign) {
                        Some(Choice::Absent) => None,
                        Some(Choice::Present(_)) => {
                            choices.iter().find(|c| matches!(c, Choice::Present(_)))
                        }
                        None => choices.first(),
                    };
                    if let Some(Choice::Present(i)) = choice {
                        if let KeyValue::Values(vs) = &d.present[*i].value {
                            context.push((d.name.clone(), vs.clone()));
                        }
                    }
                }
            }
        }
        if let (Some(rd), Ok(Some((id, path)))) = (&self.rd, scope.joint(assign)) {
            for (k, v) in [(rd.id_key, id), (rd.path_key, path)] {
                let name = &self.keys[k].name;
                match context.iter_mut().find(|(n, _)| n == name) {
                    Some((_, vals)) => *vals = vec![v],
                    None => context.push((name.clone(), vec![v])),
                }
            }
        }
        if cell.entry.is_some() {
            for k in ALWAYS_PRESENT {
                if !covered.iter().any(|c| c == k) {
                    if let Some(v) = default_value(k) {
                        context.push((canonical(k).to_string(), vec![v.to_string()]));
                    }
                }
            }
        }
        Region {
            action: cell.witness.clone(),
            action_region: cell.description.clone(),
            modeled: cell.entry.is_some(),
            resource_region: res_desc.to_string(),
            conditions,
            principal_region: None,
            resource_group_region: None,
            decisions: decisions
                .iter()
                .map(|(o, t, ids)| {
                    let mut statements: Vec<StatementRef> =
                        ids.iter().map(|&i| self.stmt_ref(i)).collect();
                    statements.sort();
                    statements.dedup();
                    SideDecision {
                        decision: *o,
                        policy_type: *t,
                        statements,
                    }
                })
                .collect(),
            witness: Witness {
                action: cell.witness.clone(),
                resource: res.to_string(),
                context,
                principal: None,
                resource_group: None,
            },
            constraints,
            resource_constraints: Vec::new().into(),
            principal_key: None,
        }
    }

    /// Can statement `(flow, stage, policy, index)` ever take effect? `Ok` with a witness
    /// request when it can, `Err` with the reason when it cannot.
    pub fn statement_applies(
        &self,
        flow: usize,
        stage: usize,
        policy: usize,
        index: usize,
    ) -> Result<Witness, Vacuity> {
        let Some(id) = self.stmts.iter().position(|s| {
            s.flow == flow && s.stage == stage && s.policy == policy && s.index == index
        }) else {
            return Err(Vacuity::NoAction);
        };
        let mut stats = self.base_stats.clone();
        let cells = self.action_cells(&mut stats, None);
        let s = &self.stmts[id];
        let mut reason = Vacuity::NoAction;
        for cell in &cells {
            if !s.action_in_scope(&cell.witness.to_lowercase()) {
                continue;
            }
            if reason == Vacuity::NoAction {
                reason = Vacuity::NoResource;
            }
            // The enumeration, like every automaton walk, stays within the state budget (past
            // it the symbolic check below decides, or the answer is Undecided).
            let budget = ENUM_STATES_FEW.min(self.options.state_budget);
            let cells = match self.resource_cells(&[id], cell, &mut stats, None, budget, usize::MAX)
            {
                Some(c) => c,
                None => {
                    let (kept, lazy) = self.lazy_resources(&[id], cell, &mut stats);
                    let mut res = vec![None; lazy.elems.len()];
                    if let Some(e) = lazy.of_stmt[id] {
                        res[e as usize] = Some(true);
                    }
                    match lazy.member(&res) {
                        strings::Member::Found(r) if !kept.is_empty() => {
                            vec![(r, String::new())]
                        }
                        strings::Member::Unknown => {
                            stats.complete = false;
                            Vec::new()
                        }
                        _ => Vec::new(),
                    }
                }
            };
            for (res, _) in cells {
                if !s.resource_in_scope(&res) {
                    continue;
                }
                reason = Vacuity::Conditions;
                let scope = self.scope(&[id], cell);
                let mut assign: Vec<Option<Choice>> = vec![None; self.keys.len()];
                if let Some(a) = scope.first_effective(id, 0, &mut assign) {
                    let decisions = vec![(Outcome::Allow, None, vec![id])];
                    return Ok(self.region(cell, &res, "", &scope, &a, &decisions).witness);
                }
            }
        }
        // No witness: a proof only when nothing was cut short.
        if stats.complete {
            Err(reason)
        } else {
            Err(Vacuity::Undecided)
        }
    }

    /// Statements of `flow` as (stage, policy, index, reference).
    pub fn statements_of(&self, flow: usize) -> Vec<(usize, usize, usize, StatementRef)> {
        (0..self.stmts.len())
            .filter(|&i| self.stmts[i].flow == flow)
            .map(|i| {
                let s = &self.stmts[i];
                (s.stage, s.policy, s.index, self.stmt_ref(i))
            })
            .collect()
    }

    /// Verdicts of the conditions on `key` for the request values `values` (`None`: absent),
    /// in the order region constraints use; `None` when no condition reads the key.
    pub fn key_verdicts(&self, key: &str, values: Option<&[String]>) -> Option<Vec<Tri>> {
        let d = self
            .keys
            .iter()
            .find(|d| d.name.eq_ignore_ascii_case(key))?;
        Some(
            d.conditions
                .iter()
                .map(|c| c.evaluate(values, self.options.unparseable))
                .collect(),
        )
    }

    /// Number of statements per flow.
    pub fn statement_count(&self, flow: usize) -> usize {
        self.stmts.iter().filter(|s| s.flow == flow).count()
    }
}

/// [`Analysis::content`]: equal ids for statements with the same effect, conditions (by key and
/// condition index, so the same operator and values) and Resource element (its patterns as a
/// set); the Action, `Principal` and resource group are left out (the statements in scope of a
/// request were chosen by them already).
fn content_ids(stmts: &[AStmt]) -> Vec<u32> {
    type Content = (bool, Vec<(usize, usize)>, Option<(bool, Vec<String>)>);
    let mut ids: fxhash::FxHashMap<Content, u32> = fxhash::FxHashMap::default();
    stmts
        .iter()
        .map(|s| {
            let mut conds = s.conds.clone();
            conds.sort_unstable();
            conds.dedup();
            let resources = s.resources.as_ref().map(|(neg, _)| {
                let mut pats = s.resource_text.clone();
                pats.sort();
                pats.dedup();
                (*neg, pats)
            });
            let key = (s.effect == Effect::Deny, conds, resources);
            let next = ids.len() as u32;
            *ids.entry(key).or_insert(next)
        })
        .collect()
}

/// The verdicts of the `relevant` conditions (all when `None`).
fn project(verdicts: &[Tri], relevant: Option<&[bool]>) -> Vec<Option<Tri>> {
    verdicts
        .iter()
        .enumerate()
        .map(|(i, t)| {
            relevant
                .is_none_or(|r| r.get(i) == Some(&true))
                .then_some(*t)
        })
        .collect()
}

/// Turns an ARN template (`acs:vpc:{region}:{account}:vpc/{VpcId}`) into a glob.
pub fn template_glob(t: &str) -> String {
    let mut out = String::new();
    let mut in_brace = false;
    for c in t.chars() {
        match c {
            '{' => {
                in_brace = true;
                out.push('*');
            }
            '}' => in_brace = false,
            c if !in_brace => out.push(c),
            _ => {}
        }
    }
    out
}

type Found = Vec<(
    Vec<Option<Choice>>,
    Vec<Option<bool>>,
    Vec<(Outcome, Option<PolicyType>, Vec<usize>)>,
)>;

/// What the symbolic search branches on next.
enum Var {
    /// Position in [`Scope::keys`].
    Key(usize),
    /// A lazy resource element.
    Res(usize),
}

impl Scope<'_> {
    fn status(&self, id: usize, assign: &[Option<Choice>]) -> Status {
        let s = &self.analysis.stmts[id];
        let mut acc = Tri::True;
        let mut open = false;
        if let Some(l) = &self.lazy {
            if let Some(e) = l.of_stmt[id] {
                match self.res.borrow()[e as usize] {
                    Some(false) => return Status::Det(Tri::False),
                    Some(true) => {}
                    None => open = true,
                }
            }
        }
        for &(k, ci) in &s.conds {
            match assign[k] {
                None => open = true,
                Some(Choice::Absent) => acc = acc.and(self.analysis.keys[k].absent[ci]),
                Some(Choice::Present(i)) => {
                    acc = acc.and(self.analysis.keys[k].present[i].verdicts[ci])
                }
            }
            if acc == Tri::False {
                return Status::Det(Tri::False);
            }
        }
        if open {
            Status::Open
        } else {
            Status::Det(acc)
        }
    }

    /// Basic evaluation of a stage with partial knowledge: `None` when undetermined.
    /// `ids` are positions in the scope's `stmts` (and `st`); the responsible statements are
    /// returned as statement ids.
    fn stage_outcome(&self, ids: &[usize], st: &[Status]) -> Option<(Outcome, Vec<usize>)> {
        let stmts = &self.analysis.stmts;
        let mut deny_open = false;
        let mut denies = Vec::new();
        for &li in ids {
            let i = self.stmts[li];
            if stmts[i].effect != Effect::Deny {
                continue;
            }
            match st[li] {
                Status::Det(Tri::False) => {}
                Status::Det(_) => denies.push(i),
                Status::Open => deny_open = true,
            }
        }
        if !denies.is_empty() {
            return Some((Outcome::ExplicitDeny, denies));
        }
        if deny_open {
            return None;
        }
        let mut allow_open = false;
        let mut allows = Vec::new();
        for &li in ids {
            let i = self.stmts[li];
            if stmts[i].effect != Effect::Allow {
                continue;
            }
            match st[li] {
                Status::Det(Tri::True) => allows.push(i),
                Status::Det(_) => {}
                Status::Open => allow_open = true,
            }
        }
        if !allows.is_empty() {
            return Some((Outcome::Allow, allows));
        }
        if allow_open {
            return None;
        }
        Some((Outcome::ImplicitDeny, Vec::new()))
    }

    /// The decision of `flow` (§6.10, as `authz::decide_pair`): `None` while undetermined.
    #[allow(clippy::type_complexity)]
    fn flow_outcome(
        &self,
        flow: usize,
        st: &[Status],
    ) -> Option<(Outcome, Option<PolicyType>, Vec<usize>)> {
        let stages = &self.layout[flow];
        let kinds = &self.analysis.flows[flow].stages;
        let class = &self.analysis.classes[self.class].key;
        let mut account: Option<(Outcome, Vec<usize>)> = None;
        let mut rg: Option<(Outcome, Vec<usize>)> = None;
        let mut has_rg = false;
        let mut b: Option<(Outcome, Vec<usize>)> = None;
        let mut assume = false;
        let mut past_control = false;
        for (si, ids) in stages.iter().enumerate() {
            let kind = &kinds[si].kind;
            if !past_control && !matches!(kind, StageKind::Control(_)) {
                past_control = true;
                if class.owner_root {
                    return Some((Outcome::Allow, None, Vec::new()));
                }
            }
            match kind {
                StageKind::Control(_) | StageKind::Session => {
                    if matches!(kind, StageKind::Control(_)) && !class.control {
                        continue;
                    }
                    let (o, resp) = self.stage_outcome(ids, st)?;
                    if o != Outcome::Allow {
                        return Some((o, Some(kind.policy_type()), resp));
                    }
                }
                StageKind::Identity => account = Some(self.stage_outcome(ids, st)?),
                StageKind::ResourceGroup(_) => {
                    has_rg = true;
                    let undecided = account
                        .as_ref()
                        .is_none_or(|(o, _)| *o == Outcome::ImplicitDeny);
                    if undecided && rg.as_ref().is_none_or(|(o, _)| *o == Outcome::ImplicitDeny) {
                        rg = Some(self.stage_outcome(ids, st)?);
                    }
                }
                StageKind::Resource => b = Some(self.stage_outcome(ids, st)?),
                StageKind::Trust => {
                    assume = true;
                    b = Some(self.stage_outcome(ids, st)?);
                }
            }
        }
        if !past_control && class.owner_root {
            return Some((Outcome::Allow, None, Vec::new()));
        }
        let (acct, acct_resp) = account.unwrap_or((Outcome::ImplicitDeny, Vec::new()));
        let (a, a_resp, a_type) = if acct != Outcome::ImplicitDeny {
            (acct, acct_resp, PolicyType::AccountLevelIdentityBasedPolicy)
        } else if has_rg {
            let (o, r) = rg.unwrap_or((Outcome::ImplicitDeny, Vec::new()));
            (o, r, PolicyType::ResourceGroupLevelIdentityBasedPolicy)
        } else {
            (
                Outcome::ImplicitDeny,
                Vec::new(),
                PolicyType::AccountLevelIdentityBasedPolicy,
            )
        };
        let b_allows = b.as_ref().is_some_and(|x| x.0 == Outcome::Allow);
        let deny =
            |o: Outcome, resp: Vec<usize>| -> Option<(Outcome, Option<PolicyType>, Vec<usize>)> {
                let t = if assume && a == Outcome::Allow && !b_allows {
                    PolicyType::AssumeRolePolicy
                } else {
                    a_type
                };
                Some((o, Some(t), resp))
            };
        match b {
            Some((bo, b_resp)) => {
                if a == Outcome::ExplicitDeny {
                    return deny(Outcome::ExplicitDeny, a_resp);
                }
                if bo == Outcome::ExplicitDeny {
                    return deny(Outcome::ExplicitDeny, b_resp);
                }
                let allowed = if assume {
                    a == Outcome::Allow && bo == Outcome::Allow
                } else {
                    a == Outcome::Allow || bo == Outcome::Allow
                };
                if allowed {
                    let mut resp = Vec::new();
                    if a == Outcome::Allow {
                        resp.extend(a_resp);
                    }
                    if bo == Outcome::Allow {
                        resp.extend(b_resp);
                    }
                    Some((Outcome::Allow, None, resp))
                } else {
                    deny(Outcome::ImplicitDeny, Vec::new())
                }
            }
            None if a == Outcome::Allow && class.cross_account => {
                deny(Outcome::ImplicitDeny, Vec::new())
            }
            None if a == Outcome::Allow => Some((Outcome::Allow, None, a_resp)),
            None => Some((a, Some(a_type), a_resp)),
        }
    }

    fn search(
        &self,
        assign: &mut Vec<Option<Choice>>,
        goal: Goal<'_>,
        stats: &mut Stats,
        found: &mut Found,
        limit: usize,
    ) {
        if limit > 0 && found.len() >= limit {
            return;
        }
        stats.nodes += 1;
        let st: Vec<Status> = self.stmts.iter().map(|&i| self.status(i, assign)).collect();
        let outcomes: Vec<_> = (0..self.layout.len())
            .map(|f| self.flow_outcome(f, &st))
            .collect();
        if self.prune_alike && outcomes.iter().any(Option::is_none) && self.flows_alike(&st) {
            // Every completion of this node decides alike in every flow: no goal leaf below.
            return;
        }
        if outcomes.iter().all(Option::is_some) {
            stats.leaves += 1;
            if self.joint(assign).is_err() {
                return;
            }
            let outs: Vec<_> = outcomes.into_iter().flatten().collect();
            let decisions: Vec<Outcome> = outs.iter().map(|o| o.0).collect();
            if goal(&decisions) {
                found.push((assign.clone(), self.res.borrow().clone(), outs));
            }
            return;
        }
        if self.lazy.is_some() {
            match self.next_var(&st, assign) {
                None => {}
                Some(Var::Key(pos)) => self.branch_key(pos, assign, goal, stats, found, limit),
                Some(Var::Res(e)) => {
                    for b in [true, false] {
                        self.res.borrow_mut()[e] = Some(b);
                        let snapshot = self.res.borrow().clone();
                        match self.res_member(&snapshot) {
                            strings::Member::Found(_) => {
                                stats.resource_regions += 1;
                                self.search(assign, goal, stats, found, limit);
                            }
                            strings::Member::Empty => {}
                            strings::Member::Unknown => stats.complete = false,
                        }
                        self.res.borrow_mut()[e] = None;
                        if limit > 0 && found.len() >= limit {
                            break;
                        }
                    }
                }
            }
            return;
        }
        // Next key read by an open statement.
        let next = self.keys.iter().position(|(k, _)| {
            assign[*k].is_none()
                && self.stmts.iter().zip(&st).any(|(&i, s)| {
                    *s == Status::Open && self.analysis.stmts[i].conds.iter().any(|(kk, _)| kk == k)
                })
        });
        if let Some(pos) = next {
            self.branch_key(pos, assign, goal, stats, found, limit);
        }
    }

    /// Do the flows decide alike under every completion of the node with statuses `st`? True
    /// when, stage by stage, each flow's stage has the same undecided statements by content
    /// (a statement's final status depends on its content only) and the same decided facts: an
    /// applying Deny (the stage denies whatever else happens) or an applying Allow (the open
    /// Allow statements no longer matter). The stages then reach the same outcome in every flow,
    /// and so do the flows (same stage kinds, same caller class).
    fn flows_alike(&self, st: &[Status]) -> bool {
        let content = &self.analysis.content;
        let stmts = &self.analysis.stmts;
        let signature = |ids: &[usize]| -> (bool, bool, Vec<u32>, Vec<u32>) {
            let (mut deny, mut allow) = (false, false);
            let (mut open_deny, mut open_allow) = (Vec::new(), Vec::new());
            for &li in ids {
                let i = self.stmts[li];
                match (stmts[i].effect, st[li]) {
                    (_, Status::Det(Tri::False)) => {}
                    (Effect::Deny, Status::Det(_)) => deny = true,
                    (Effect::Deny, Status::Open) => open_deny.push(content[i]),
                    (Effect::Allow, Status::Det(Tri::True)) => allow = true,
                    (Effect::Allow, Status::Det(_)) => {}
                    (Effect::Allow, Status::Open) => open_allow.push(content[i]),
                }
            }
            if deny {
                return (true, false, Vec::new(), Vec::new());
            }
            if allow {
                open_allow.clear();
            }
            open_deny.sort_unstable();
            open_deny.dedup();
            open_allow.sort_unstable();
            open_allow.dedup();
            (false, allow, open_deny, open_allow)
        };
        let Some((first, rest)) = self.layout.split_first() else {
            return true;
        };
        for (si, ids) in first.iter().enumerate() {
            let sig = signature(ids);
            if rest
                .iter()
                .any(|f| f.get(si).is_none_or(|other| signature(other) != sig))
            {
                return false;
            }
        }
        true
    }

    fn branch_key(
        &self,
        pos: usize,
        assign: &mut Vec<Option<Choice>>,
        goal: Goal<'_>,
        stats: &mut Stats,
        found: &mut Found,
        limit: usize,
    ) {
        let (k, choices) = &self.keys[pos];
        let partner = self.partner(*k, assign);
        for &c in choices.iter() {
            if let Some(p) = partner {
                if (p == Choice::Absent) != (c == Choice::Absent) {
                    continue;
                }
            }
            assign[*k] = Some(c);
            self.search(assign, goal, stats, found, limit);
            assign[*k] = None;
            if limit > 0 && found.len() >= limit {
                break;
            }
        }
    }

    /// The symbolic search's next variable: of the first open statement (Deny statements
    /// first, since one that applies fixes its stage), an unassigned key it reads (the most read
    /// first), else its resource element.
    fn next_var(&self, st: &[Status], assign: &[Option<Choice>]) -> Option<Var> {
        let lazy = self.lazy.as_ref()?;
        let stmts = &self.analysis.stmts;
        let res = self.res.borrow();
        for effect in [Effect::Deny, Effect::Allow] {
            for (&i, s) in self.stmts.iter().zip(st) {
                if *s != Status::Open || stmts[i].effect != effect {
                    continue;
                }
                if let Some(pos) = self.keys.iter().position(|(k, _)| {
                    assign[*k].is_none() && stmts[i].conds.iter().any(|(kk, _)| kk == k)
                }) {
                    return Some(Var::Key(pos));
                }
                if let Some(e) = lazy.of_stmt[i] {
                    if res[e as usize].is_none() {
                        return Some(Var::Res(e as usize));
                    }
                }
            }
        }
        None
    }

    /// Emptiness of the resource assignment `res` (memoized per scope).
    fn res_member(&self, res: &[Option<bool>]) -> strings::Member {
        if let Some(hit) = self.res_memo.borrow().get(res) {
            return hit.clone();
        }
        let m = match &self.lazy {
            Some(l) => {
                let seen = self
                    .res_seen
                    .borrow()
                    .iter()
                    .find(|w| l.admits(w, res))
                    .cloned();
                match seen {
                    Some(w) => strings::Member::Found(w),
                    None => {
                        let m = l.member(res);
                        if let strings::Member::Found(w) = &m {
                            let mut seen = self.res_seen.borrow_mut();
                            if seen.len() < RES_SEEN {
                                seen.push(w.clone());
                            }
                        }
                        m
                    }
                }
            }
            None => strings::Member::Unknown,
        };
        self.res_memo.borrow_mut().insert(res.to_vec(), m.clone());
        m
    }

    /// For modeled actions: is the directory id/path assignment achievable by a path that
    /// starts with the id? `Ok(Some((id, path)))` gives values to use in the witness.
    #[allow(clippy::result_unit_err)]
    fn joint(&self, assign: &[Option<Choice>]) -> Result<Option<(String, String)>, ()> {
        let Some(rd) = &self.analysis.rd else {
            return Ok(None);
        };
        if !self.modeled {
            return Ok(None);
        }
        let verdicts = |k: usize| -> Option<&[Tri]> {
            match assign[k] {
                Some(Choice::Present(i)) => {
                    Some(self.analysis.keys[k].present[i].verdicts.as_slice())
                }
                _ => None,
            }
        };
        let (iv, pv) = (verdicts(rd.id_key), verdicts(rd.path_key));
        if iv.is_none() && pv.is_none() {
            return Ok(None);
        }
        match rd.find(iv, pv) {
            Some((_, _, i, p)) => Ok(Some((i.clone(), p.clone()))),
            None => Err(()),
        }
    }

    /// The choice of an assigned key injected together with `k` (modeled actions only).
    fn partner(&self, k: usize, assign: &[Option<Choice>]) -> Option<Choice> {
        if !self.modeled || self.analysis.options.any_keys {
            return None;
        }
        let name = self.analysis.keys[k].name.to_ascii_lowercase();
        self.analysis
            .keys
            .iter()
            .enumerate()
            .find(|(j, d)| assign[*j].is_some() && co_present(&name, &d.name.to_ascii_lowercase()))
            .and_then(|(j, _)| assign[j])
    }

    /// Depth-first search for an assignment under which statement `id` takes effect.
    fn first_effective(
        &self,
        id: usize,
        depth: usize,
        assign: &mut Vec<Option<Choice>>,
    ) -> Option<Vec<Option<Choice>>> {
        let s = &self.analysis.stmts[id];
        match self.status(id, assign) {
            Status::Det(t) => {
                let takes = match s.effect {
                    Effect::Allow => t == Tri::True,
                    Effect::Deny => t != Tri::False,
                };
                return (takes && self.joint(assign).is_ok()).then(|| assign.clone());
            }
            Status::Open => {}
        }
        let (k, choices) = self.keys.get(depth)?;
        if assign[*k].is_some() {
            return self.first_effective(id, depth + 1, assign);
        }
        let partner = self.partner(*k, assign);
        for &c in choices.iter() {
            if let Some(p) = partner {
                if (p == Choice::Absent) != (c == Choice::Absent) {
                    continue;
                }
            }
            assign[*k] = Some(c);
            if let Some(a) = self.first_effective(id, depth + 1, assign) {
                assign[*k] = None;
                return Some(a);
            }
            assign[*k] = None;
        }
        None
    }
}

/// Why a statement never takes effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Vacuity {
    /// No request action falls under its Action/NotAction.
    NoAction,
    /// Its actions are never authorized against a resource its Resource/NotResource covers.
    NoResource,
    /// Its conditions are never satisfied together by a request of its actions (contradictory
    /// values, or a key those actions never receive).
    Conditions,
    /// Not decided: a budget ran out before a witness or a proof was found (not a finding).
    Undecided,
}

impl Vacuity {
    /// In words.
    pub fn text(self) -> &'static str {
        match self {
            Vacuity::NoAction => "no request action falls under its Action/NotAction",
            Vacuity::NoResource => {
                "its actions are never authorized against a resource its Resource covers"
            }
            Vacuity::Conditions => {
                "its conditions are never met by a request of its actions (contradictory values, or keys those actions never receive)"
            }
            Vacuity::Undecided => "undecided: a budget ran out before a witness or a proof",
        }
    }
}

/// The kind of change of a diff region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeKind {
    /// Denied before, allowed now.
    Granted,
    /// Allowed before, denied now.
    Removed,
    /// Denied both times, explicitly one time and implicitly the other.
    DenyKind,
}

/// The change between two decisions, if any.
pub fn change_of(old: Outcome, new: Outcome) -> Option<ChangeKind> {
    match (old, new) {
        (a, b) if a == b => None,
        (_, Outcome::Allow) => Some(ChangeKind::Granted),
        (Outcome::Allow, _) => Some(ChangeKind::Removed),
        _ => Some(ChangeKind::DenyKind),
    }
}

/// The exact diff of two flows.
#[derive(Debug, Clone, Serialize)]
pub struct ExactDiff {
    /// Regions where the decision changes, granted first.
    pub regions: Vec<(ChangeKind, Region)>,
    /// Counters.
    pub stats: Stats,
}

impl ExactDiff {
    /// Regions of one kind.
    pub fn of(&self, kind: ChangeKind) -> impl Iterator<Item = &Region> {
        self.regions
            .iter()
            .filter(move |(k, _)| *k == kind)
            .map(|(_, r)| r)
    }

    /// Number of regions of one kind.
    pub fn count(&self, kind: ChangeKind) -> usize {
        self.of(kind).count()
    }
}

/// Every region where `old` and `new` decide differently.
pub fn diff(old: Flow, new: Flow, options: Options) -> ExactDiff {
    let a = Analysis::new(vec![old, new], options);
    let (regions, stats) = a.regions(&|d| d[0] != d[1], None, None, options.max_regions);
    let mut regions: Vec<(ChangeKind, Region)> = regions
        .into_iter()
        .filter_map(|r| change_of(r.decisions[0].decision, r.decisions[1].decision).map(|k| (k, r)))
        .collect();
    regions.sort_by_key(|a| a.0);
    ExactDiff { regions, stats }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pol(name: &str, text: &str) -> PolicyInput {
        let p = read_policy(text, PolicyKind::Identity, &ReadOptions::default())
            .policy
            .expect("valid");
        PolicyInput::new(name, None, Some(text), p)
    }

    #[test]
    fn two_key_allow_is_found() {
        let old = pol(
            "old",
            r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"vpc:Describe*","Resource":"*"}]}"#,
        );
        let new = pol(
            "new",
            r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"vpc:Describe*","Resource":"*"},
            {"Effect":"Allow","Action":"vpc:DeleteVpcPeerConnection","Resource":"*","Condition":{"StringEquals":{"acs:SourceVpc":"vpc-1"},"IpAddress":{"acs:SourceIp":"10.0.0.0/8"}}}]}"#,
        );
        let old_f = Flow::identity("old", vec![old]);
        let new_f = Flow::identity("new", vec![new]);
        let d = diff(old_f.clone(), new_f.clone(), Options::default());
        assert_eq!(d.count(ChangeKind::Granted), 1, "{:#?}", d.regions);
        let r = d.of(ChangeKind::Granted).next().unwrap();
        assert_eq!(old_f.replay(&r.witness), Outcome::ImplicitDeny);
        assert_eq!(new_f.replay(&r.witness), Outcome::Allow);
        assert_eq!(d.count(ChangeKind::Removed), 0);
    }

    #[test]
    fn template_globs() {
        assert_eq!(
            template_glob("acs:vpc:{region}:{account}:vpc/{VpcId}"),
            "acs:vpc:*:*:vpc/*"
        );
    }
}
