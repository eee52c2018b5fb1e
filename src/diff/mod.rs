//! `ramsim diff`: what changes if we roll a new version of a policy out? Both versions are
//! placed at the same stage of a harness store that otherwise allows, recorded requests are
//! replayed and a generated request space is evaluated under both, and every request whose
//! decision flips is reported — grouped by action and the statements responsible on each side,
//! with one concrete witness and a count.
//!
//! This is testing, not proof: the generated space is finite (see [`space`] and README).

pub mod render;
pub mod replay;
pub mod space;

use crate::api::SimState;
use crate::authz::store_builder::FULL_ALIYUN_ACCESS;
use crate::authz::{
    decide, explain, ActionResource, ControlNode, EvalOptions, Explanation, Outcome, PolicySet,
    PolicySource, PolicyStore, PolicyType, Principal, PrincipalKind, Request, RequestContext,
};
use crate::policy::ast::Effect;
use crate::policy::file::LoadedPolicy;
use crate::policy::{read_policy, Policy, PolicyKind, ReadOptions};
use crate::simulate::gateway_context;
use serde::Serialize;
use std::collections::HashMap;

/// Which stage the two versions are placed at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DiffKind {
    /// The store holds only the document (identity policy of a RAM user).
    Identity,
    /// The document is a control policy at the member node, next to FullAliyunAccess; the
    /// identity stage allows everything.
    Control,
    /// The document is the session policy; the identity stage allows everything.
    Session,
}

impl DiffKind {
    /// The policy kind the documents are read as.
    pub fn policy_kind(self) -> PolicyKind {
        match self {
            DiffKind::Identity => PolicyKind::Identity,
            DiffKind::Control => PolicyKind::Control,
            DiffKind::Session => PolicyKind::Session,
        }
    }

    /// `identity`, `control` or `session`.
    pub fn name(self) -> &'static str {
        self.policy_kind().name()
    }
}

/// Name of the harness identity policy that allows everything (control and session kinds).
pub const ALLOW_ALL_NAME: &str = "AllowAll (diff harness)";

fn system_set(name: &str, kind: PolicyKind) -> PolicySet {
    let mut set = PolicySet::new();
    if let Some(p) = read_policy(FULL_ALIYUN_ACCESS, kind, &ReadOptions::default()).policy {
        set.add(&p, PolicySource::custom(name), None);
    }
    set
}

/// One version of the document, compiled into its harness store.
#[derive(Debug, Clone)]
pub struct Version {
    /// The file as given.
    pub file: String,
    /// Its text.
    pub text: String,
    /// The validated document.
    pub policy: Policy,
    /// The harness store holding it.
    pub store: PolicyStore,
}

impl Version {
    /// Places `loaded` at the `kind` stage of a harness store.
    pub fn new(loaded: LoadedPolicy, kind: DiffKind) -> Version {
        let mut doc = PolicySet::new();
        doc.add(
            &loaded.policy,
            PolicySource {
                file: Some(loaded.file.clone()),
                ..PolicySource::custom(&loaded.file)
            },
            Some(&loaded.text),
        );
        let store = match kind {
            DiffKind::Identity => PolicyStore {
                identity: doc,
                ..PolicyStore::default()
            },
            DiffKind::Session => PolicyStore {
                session: Some(doc),
                identity: system_set(ALLOW_ALL_NAME, PolicyKind::Identity),
                ..PolicyStore::default()
            },
            DiffKind::Control => {
                let mut node = PolicySet::new();
                if let Some(p) = read_policy(
                    FULL_ALIYUN_ACCESS,
                    PolicyKind::Control,
                    &ReadOptions::default(),
                )
                .policy
                {
                    node.add(&p, PolicySource::custom("FullAliyunAccess"), None);
                }
                node.add(
                    &loaded.policy,
                    PolicySource {
                        file: Some(loaded.file.clone()),
                        ..PolicySource::custom(&loaded.file)
                    },
                    Some(&loaded.text),
                );
                PolicyStore {
                    control_chain: vec![std::sync::Arc::new(ControlNode {
                        target: "member".into(),
                        policies: node,
                        all_scope: PolicySet::new(),
                    })],
                    identity: system_set(ALLOW_ALL_NAME, PolicyKind::Identity),
                    ..PolicyStore::default()
                }
            }
        };
        Version {
            file: loaded.file,
            text: loaded.text,
            policy: loaded.policy,
            store,
        }
    }
}

/// One request to compare.
#[derive(Debug, Clone)]
pub struct Probe {
    /// The caller.
    pub principal: Principal,
    /// The API's own pairs, then dependent pairs.
    pub pairs: Vec<ActionResource>,
    /// How many of `pairs` are the API's own.
    pub own: usize,
    /// Condition-key values.
    pub context: RequestContext,
    /// Resource group of the target.
    pub resource_group: Option<String>,
    /// `generated`, or `FILE:LINE` for a replayed request.
    pub source: String,
}

/// Direction of a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// Denied before, allowed now.
    Granted,
    /// Allowed before, denied now.
    Removed,
}

/// A statement of one version responsible for its decision.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Responsible {
    /// `Statement[i]`.
    pub statement: usize,
    /// Sid, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// Allow / Deny.
    pub effect: Effect,
    /// `file:line:column`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

impl Responsible {
    /// `Statement[i] (Sid)`.
    pub fn label(&self) -> String {
        match &self.sid {
            Some(s) => format!("Statement[{}] ({s})", self.statement),
            None => format!("Statement[{}]", self.statement),
        }
    }
}

/// How one version decided the witness.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Side {
    /// The decision.
    pub decision: Outcome,
    /// The denying stage.
    pub policy_type: Option<PolicyType>,
    /// The document's statements behind it: applied Allow statements for an Allow, applied Deny
    /// statements for an explicit deny, none for an implicit deny.
    pub statements: Vec<Responsible>,
}

/// A concrete request showing a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Witness {
    /// RAM action.
    pub action: String,
    /// Resources of the action.
    pub resources: Vec<String>,
    /// Dependent `action on resource` pairs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dependent: Vec<String>,
    /// The caller's ARN.
    pub principal: String,
    /// Context keys and values, in insertion order.
    pub context: serde_json::Map<String, serde_json::Value>,
    /// Condition keys of either document absent from the request.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub absent: Vec<String>,
    /// `generated` or `FILE:LINE`.
    pub source: String,
}

/// A group of requests whose decision changes the same way for the same reasons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Granted or removed.
    pub change: Change,
    /// RAM action.
    pub action: String,
    /// The old version's decision of the witness.
    pub old: Side,
    /// The new version's.
    pub new: Side,
    /// One request of the group (a replayed one when there is one).
    pub witness: Witness,
    /// How many requests fall into the group.
    pub count: usize,
}

/// The result of a diff.
#[derive(Debug, Clone, Serialize)]
pub struct DiffReport {
    /// Old file.
    pub old: String,
    /// New file.
    pub new: String,
    /// Stage the documents were placed at.
    pub kind: DiffKind,
    /// Requests generated and compared.
    pub generated: usize,
    /// Requests replayed and compared.
    pub replayed: usize,
    /// Replay lines that could not be turned into requests (`FILE:LINE: reason`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<String>,
    /// Requests whose deny changed kind (explicit ↔ implicit) without changing access.
    pub deny_changes: usize,
    /// Access granted, grouped.
    pub granted: Vec<Finding>,
    /// Access removed, grouped.
    pub removed: Vec<Finding>,
}

impl DiffReport {
    /// Total number of requests granted.
    pub fn granted_requests(&self) -> usize {
        self.granted.iter().map(|f| f.count).sum()
    }

    /// Total number of requests removed.
    pub fn removed_requests(&self) -> usize {
        self.removed.iter().map(|f| f.count).sum()
    }
}

fn responsible(ex: &Explanation, doc: &str) -> Vec<Responsible> {
    let mut out: Vec<Responsible> = Vec::new();
    let wanted = match ex.decision.outcome {
        Outcome::ImplicitDeny => return out,
        Outcome::ExplicitDeny => Effect::Deny,
        Outcome::Allow => Effect::Allow,
    };
    let pairs: Vec<_> = match ex.decision.outcome {
        Outcome::ExplicitDeny => ex.deciding_pair().into_iter().collect(),
        _ => ex.pairs.iter().collect(),
    };
    for pair in pairs {
        for stage in &pair.stages {
            for st in &stage.statements {
                if st.applied && st.effect == wanted && st.policy == doc {
                    let r = Responsible {
                        statement: st.statement,
                        sid: st.sid.clone(),
                        effect: st.effect,
                        location: st.location.clone(),
                    };
                    if !out.contains(&r) {
                        out.push(r);
                    }
                }
            }
        }
    }
    out.sort();
    out
}

type GroupKey = (Change, String, Outcome, Outcome, Vec<usize>, Vec<usize>);

/// Compares two versions request by request.
pub struct Differ<'a> {
    old: &'a Version,
    new: &'a Version,
    options: EvalOptions,
    keys: Vec<String>,
    groups: HashMap<GroupKey, usize>,
    findings: Vec<Finding>,
    /// Requests whose deny changed kind only.
    pub deny_changes: usize,
    /// Requests compared.
    pub compared: usize,
}

impl<'a> Differ<'a> {
    /// A differ; `keys` are the condition keys of either document (for witnesses' `absent`).
    pub fn new(old: &'a Version, new: &'a Version, keys: Vec<String>) -> Differ<'a> {
        Differ {
            old,
            new,
            options: EvalOptions::default(),
            keys,
            groups: HashMap::new(),
            findings: Vec::new(),
            deny_changes: 0,
            compared: 0,
        }
    }

    /// Decides `probe` under both versions and records a change.
    pub fn compare(&mut self, probe: &Probe) {
        self.compared += 1;
        let req = Request {
            principal: &probe.principal,
            pairs: &probe.pairs,
            context: &probe.context,
            resource_account: None,
            resource_group: probe.resource_group.as_deref(),
            assume_role: false,
        };
        let o = decide(&self.old.store, &req, &self.options);
        let n = decide(&self.new.store, &req, &self.options);
        if o.is_allowed() == n.is_allowed() {
            if o.outcome != n.outcome {
                self.deny_changes += 1;
            }
            return;
        }
        let eo = explain(&self.old.store, &req, &self.options);
        let en = explain(&self.new.store, &req, &self.options);
        let old = Side {
            decision: o.outcome,
            policy_type: o.policy_type,
            statements: responsible(&eo, &self.old.file),
        };
        let new = Side {
            decision: n.outcome,
            policy_type: n.policy_type,
            statements: responsible(&en, &self.new.file),
        };
        let change = if n.is_allowed() {
            Change::Granted
        } else {
            Change::Removed
        };
        let action = probe
            .pairs
            .first()
            .map(|p| p.action.clone())
            .unwrap_or_default();
        let key: GroupKey = (
            change,
            action.to_ascii_lowercase(),
            o.outcome,
            n.outcome,
            old.statements.iter().map(|s| s.statement).collect(),
            new.statements.iter().map(|s| s.statement).collect(),
        );
        if let Some(&i) = self.groups.get(&key) {
            if let Some(f) = self.findings.get_mut(i) {
                f.count += 1;
            }
            return;
        }
        let witness = self.witness(probe, &action);
        self.groups.insert(key, self.findings.len());
        self.findings.push(Finding {
            change,
            action,
            old,
            new,
            witness,
            count: 1,
        });
    }

    fn witness(&self, probe: &Probe, action: &str) -> Witness {
        let own = probe.own.min(probe.pairs.len());
        let mut context = serde_json::Map::new();
        for (k, v) in probe.context.entries() {
            let value = match v {
                [one] => serde_json::Value::String(one.clone()),
                many => serde_json::Value::from(many.to_vec()),
            };
            context.insert(k.to_string(), value);
        }
        Witness {
            action: action.to_string(),
            resources: probe
                .pairs
                .get(..own)
                .unwrap_or_default()
                .iter()
                .map(|p| p.resource.clone())
                .collect(),
            dependent: probe
                .pairs
                .get(own..)
                .unwrap_or_default()
                .iter()
                .map(|p| format!("{} on {}", p.action, p.resource))
                .collect(),
            principal: probe
                .principal
                .principal_arn_key()
                .or_else(|| probe.principal.arns.first().cloned())
                .unwrap_or_default(),
            context,
            absent: self
                .keys
                .iter()
                .filter(|k| probe.context.get(k).is_none())
                .cloned()
                .collect(),
            source: probe.source.clone(),
        }
    }

    /// The findings so far, sorted: by action, then by the responsible statements.
    pub fn findings(&self) -> (Vec<Finding>, Vec<Finding>) {
        let mut all = self.findings.clone();
        all.sort_by(|a, b| {
            let key = |f: &Finding| {
                (
                    f.action.to_ascii_lowercase(),
                    f.old.decision.as_str(),
                    f.new.decision.as_str(),
                    f.old
                        .statements
                        .iter()
                        .map(|s| s.statement)
                        .collect::<Vec<_>>(),
                    f.new
                        .statements
                        .iter()
                        .map(|s| s.statement)
                        .collect::<Vec<_>>(),
                )
            };
            key(a).cmp(&key(b))
        });
        all.into_iter().partition(|f| f.change == Change::Granted)
    }
}

/// The principal generated requests are made by, per kind.
pub fn harness_principal(kind: DiffKind, account: &str) -> Principal {
    let mut p = match kind {
        DiffKind::Session => Principal::new(
            PrincipalKind::AssumedRoleUser,
            account,
            "diff-role/diff-session",
        ),
        _ => Principal::new(PrincipalKind::RamUser, account, "diff-user"),
    };
    p.in_resource_directory = kind == DiffKind::Control;
    p
}

/// Everything a diff needs.
pub struct DiffInput<'a> {
    /// Old version.
    pub old: &'a Version,
    /// New version.
    pub new: &'a Version,
    /// Stage.
    pub kind: DiffKind,
    /// World, for resources, clock and RD values.
    pub state: Option<&'a SimState>,
    /// Replayed requests (already reconstructed).
    pub replay: &'a [Probe],
    /// Replay lines skipped.
    pub skipped: Vec<String>,
}

/// Runs the diff: replayed requests first (so witnesses prefer real requests), then the
/// generated space.
pub fn diff(input: DiffInput<'_>) -> DiffReport {
    diff_with_progress(input, &mut |_, _| {})
}

/// [`diff`], calling `progress(done, total)` after each action of the generated space.
pub fn diff_with_progress(
    input: DiffInput<'_>,
    progress: &mut dyn FnMut(usize, usize),
) -> DiffReport {
    run(input, progress, true)
}

/// Compares only the replayed requests (the exact analysis in [`crate::analysis`] covers the
/// whole request space; replayed requests say which real calls change).
pub fn diff_replay_only(input: DiffInput<'_>) -> DiffReport {
    run(input, &mut |_, _| {}, false)
}

fn run(input: DiffInput<'_>, progress: &mut dyn FnMut(usize, usize), generate: bool) -> DiffReport {
    let policies = [&input.old.policy, &input.new.policy];
    let mut space = space::generate(&policies, input.state);
    if !generate {
        space.actions.clear();
    }
    let total_actions = space.actions.len();
    let mut differ = Differ::new(input.old, input.new, space.keys.clone());
    for p in input.replay {
        differ.compare(p);
    }
    let replayed = differ.compared;
    let now = input.state.map_or_else(
        || space::DEFAULT_TIME.to_string(),
        |s| s.world.now().to_string(),
    );
    let mut principals: HashMap<String, (Principal, RequestContext)> = HashMap::new();
    for (done, a) in space.actions.iter().enumerate() {
        progress(done, total_actions);
        let dependent: Vec<ActionResource> = a
            .entry
            .map(|e| {
                e.dependent
                    .iter()
                    .map(|(x, r)| ActionResource::new(*x, *r))
                    .collect()
            })
            .unwrap_or_default();
        for t in &a.targets {
            let (principal, base) = principals
                .entry(t.account.clone())
                .or_insert_with(|| {
                    let p = harness_principal(input.kind, &t.account);
                    let c = gateway_context(&now, &p);
                    (p, c)
                })
                .clone();
            let mut pairs: Vec<ActionResource> = t
                .resources
                .iter()
                .map(|r| ActionResource::new(a.action.as_str(), r.as_str()))
                .collect();
            let own = pairs.len();
            pairs.extend(dependent.iter().cloned());
            let mut probe = Probe {
                principal,
                pairs,
                own,
                context: base.clone(),
                resource_group: t.resource_group.clone(),
                source: "generated".into(),
            };
            for v in &space.variations {
                let mut ctx = base.clone();
                for (k, val) in v {
                    match val {
                        Some(values) => ctx.set(k, values.clone()),
                        None => ctx.remove(k),
                    }
                }
                probe.context = ctx;
                differ.compare(&probe);
            }
        }
    }
    let generated = differ.compared - replayed;
    let (granted, removed) = differ.findings();
    DiffReport {
        old: input.old.file.clone(),
        new: input.new.file.clone(),
        kind: input.kind,
        generated,
        replayed,
        skipped: input.skipped,
        deny_changes: differ.deny_changes,
        granted,
        removed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(name: &str, text: &str, kind: DiffKind) -> Version {
        let policy = read_policy(text, kind.policy_kind(), &ReadOptions::default())
            .policy
            .expect("valid");
        Version::new(
            LoadedPolicy {
                file: name.into(),
                text: text.into(),
                policy,
            },
            kind,
        )
    }

    #[test]
    fn granting_a_delete_is_found() {
        let old = version(
            "old.json",
            r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"vpc:Describe*","Resource":"*"}]}"#,
            DiffKind::Identity,
        );
        let new = version(
            "new.json",
            r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":["vpc:Describe*","vpc:DeleteVpcPeerConnection"],"Resource":"*"}]}"#,
            DiffKind::Identity,
        );
        let r = diff(DiffInput {
            old: &old,
            new: &new,
            kind: DiffKind::Identity,
            state: None,
            replay: &[],
            skipped: Vec::new(),
        });
        assert_eq!(r.granted.len(), 1, "{:?}", r.granted);
        let f = &r.granted[0];
        assert_eq!(f.action, "vpc:DeleteVpcPeerConnection");
        assert_eq!(f.old.decision, Outcome::ImplicitDeny);
        assert_eq!(f.new.statements.first().map(|s| s.statement), Some(0));
        assert!(r.removed.is_empty());
    }

    #[test]
    fn control_guardrail_condition_change() {
        let old = version(
            "old.json",
            r#"{"Version":"1","Statement":[{"Effect":"Deny","Action":"vpc:CreateVpcPeerConnection","Resource":"*","Condition":{"StringNotLike":{"acs:TargetRDPath":"rd-1/r-1/fd-1/*"}}}]}"#,
            DiffKind::Control,
        );
        let new = version(
            "new.json",
            r#"{"Version":"1","Statement":[{"Effect":"Deny","Action":"vpc:CreateVpcPeerConnection","Resource":"*","Condition":{"StringNotLike":{"acs:TargetRDPath":"rd-1/r-1/*"}}}]}"#,
            DiffKind::Control,
        );
        let r = diff(DiffInput {
            old: &old,
            new: &new,
            kind: DiffKind::Control,
            state: None,
            replay: &[],
            skipped: Vec::new(),
        });
        assert!(!r.granted.is_empty());
        assert!(r.removed.is_empty());
        let w = &r.granted[0].witness;
        assert_eq!(w.action, "vpc:CreateVpcPeerConnection");
        assert_eq!(r.granted[0].old.decision, Outcome::ExplicitDeny);
    }
}
