//! `builtin:no-privilege-escalation`: for every principal (users, roles, roots) and every
//! catalog action on `*` and on the initial world's resources, the engine's answer now is
//! compared with its answer in the initial world. A newly allowed pair is a violation unless
//! the step that made it allowed was taken by a caller who could already do that action in
//! the initial world.
//!
//! Decisions use the gateway's default context at the *initial* clock (so that only policy
//! changes, not time, move answers). Rows are recomputed only for principals whose policies
//! changed (a fingerprint of every document that bears on them).

use super::eval::Verdict;
use super::StepInfo;
use crate::api::catalog::{CATALOG, DEPENDENT_ONLY_ACTIONS};
use crate::api::gateway::DEFAULT_SOURCE_IP;
use crate::api::SimState;
use crate::authz::{decide, ActionResource, EvalOptions, Request, RequestContext};
use crate::iam::Caller;
use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, BTreeSet};
use std::hash::{Hash, Hasher};

/// One (action, resource, target account) question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Probe {
    pub(crate) action: &'static str,
    pub(crate) resource: String,
    /// For peering actions: the account whose RD keys go into the context.
    pub(crate) target: Option<String>,
}

/// A principal: its key (`user/NAME@UID`, `role/NAME@UID`, `root@UID`) and caller.
fn principals(state: &SimState) -> Vec<(String, Caller)> {
    let mut out = Vec::new();
    for a in state.world.accounts() {
        out.push((
            format!("root@{}", a.uid),
            Caller::Root {
                account: a.uid.clone(),
            },
        ));
    }
    for (uid, acct) in &state.iam.accounts {
        for u in acct.users.keys() {
            out.push((
                format!("user/{u}@{uid}"),
                Caller::User {
                    account: uid.clone(),
                    name: u.clone(),
                },
            ));
        }
        for r in acct.roles.keys() {
            out.push((
                format!("role/{r}@{uid}"),
                Caller::Session {
                    account: uid.clone(),
                    role: r.clone(),
                    session: "ramsim-check".into(),
                    access_key_id: "(ramsim-check)".into(),
                },
            ));
        }
    }
    out
}

/// The key of the principal behind an envelope caller (sessions map to their role).
fn caller_key(state: &SimState, who: &str) -> Option<String> {
    match state.iam.resolve_caller(&state.world, who).ok()? {
        Caller::Root { account } => Some(format!("root@{account}")),
        Caller::User { account, name } => Some(format!("user/{name}@{account}")),
        Caller::Session { account, role, .. } => Some(format!("role/{role}@{account}")),
    }
}

/// Instantiates a catalog resource template for `uid` with the initial world's objects.
fn instantiate(state: &SimState, uid: &str, template: &str) -> Vec<String> {
    let w = &state.world;
    let acct = state.iam.accounts.get(uid);
    let with_star = |mut v: Vec<String>| {
        v.push("*".into());
        v
    };
    let mut out = vec![template.to_string()];
    let mut regions: Vec<String> = w.vpcs().map(|v| v.region_id.clone()).collect();
    regions.sort();
    regions.dedup();
    let values = |name: &str| -> Vec<String> {
        match name {
            "account" | "RoleAccount" => vec![uid.to_string()],
            "region" => regions.clone(),
            "UserName" => with_star(
                acct.map(|a| a.users.keys().cloned().collect())
                    .unwrap_or_default(),
            ),
            "GroupName" => with_star(
                acct.map(|a| a.groups.keys().cloned().collect())
                    .unwrap_or_default(),
            ),
            "RoleName" => with_star(
                acct.map(|a| a.roles.keys().cloned().collect())
                    .unwrap_or_default(),
            ),
            "PolicyName" => {
                let mut v: Vec<String> = acct
                    .map(|a| a.policies.keys().cloned().collect())
                    .unwrap_or_default();
                v.push("AdministratorAccess".into());
                with_star(v)
            }
            "VpcId" => with_star(
                w.vpcs()
                    .filter(|v| v.owner_uid == uid)
                    .map(|v| v.vpc_id.clone())
                    .collect(),
            ),
            "RouteTableId" => with_star(
                w.vpcs()
                    .filter(|v| v.owner_uid == uid)
                    .map(|v| v.system_route_table_id.clone())
                    .collect(),
            ),
            "ResourceGroupId" => with_star(
                w.account(uid)
                    .map(|a| a.resource_groups.clone())
                    .unwrap_or_default(),
            ),
            "PolicyId" => with_star(state.iam.control_policies.keys().cloned().collect()),
            "TargetPath" => w
                .resource_directory()
                .map(|rd| {
                    std::iter::once(rd.root_folder_id.clone())
                        .chain(rd.folders.keys().cloned())
                        .filter_map(|f| rd.folder_path(&f))
                        .collect()
                })
                .unwrap_or_default(),
            _ => vec!["*".to_string()],
        }
    };
    // Replace placeholders one at a time (cartesian product).
    loop {
        let Some(first) = out.first() else {
            return out;
        };
        let Some(start) = first.find('{') else {
            break;
        };
        let Some(len) = first[start..].find('}') else {
            break;
        };
        let name = first[start + 1..start + len].to_string();
        let placeholder = format!("{{{name}}}");
        let vals = values(&name);
        let placeholder = placeholder.as_str();
        out = out
            .iter()
            .flat_map(|t| vals.iter().map(move |v| t.replace(placeholder, v)))
            .collect();
    }
    out.sort();
    out.dedup();
    out
}

pub(crate) fn probes_for(state: &SimState, uid: &str) -> Vec<Probe> {
    let mut out = Vec::new();
    let accounts: Vec<String> = state.world.accounts().map(|a| a.uid.clone()).collect();
    for e in CATALOG.iter() {
        if e.condition_keys.contains(&"acs:TargetRDPath") {
            out.push(Probe {
                action: e.action,
                resource: "*".into(),
                target: None,
            });
            for t in &accounts {
                out.push(Probe {
                    action: e.action,
                    resource: "*".into(),
                    target: Some(t.clone()),
                });
            }
            continue;
        }
        let mut resources: Vec<String> = vec!["*".into()];
        for t in e.resources {
            resources.extend(instantiate(state, uid, t));
        }
        resources.sort();
        resources.dedup();
        for r in resources {
            out.push(Probe {
                action: e.action,
                resource: r,
                target: None,
            });
        }
    }
    for a in DEPENDENT_ONLY_ACTIONS {
        out.push(Probe {
            action: a,
            resource: "*".into(),
            target: None,
        });
    }
    out
}

/// A fingerprint of everything that bears on `caller`'s decisions: the documents its policy
/// store is built from ([`crate::iam::model::Iam::store_fingerprint`]) and the principal facts
/// the evaluator reads besides them.
pub(crate) fn fingerprint(state: &SimState, caller: &Caller) -> u64 {
    let mut h = DefaultHasher::new();
    let p = state.iam.principal(&state.world, caller);
    (p.in_resource_directory, p.management_account).hash(&mut h);
    state
        .iam
        .store_fingerprint(&state.world, caller)
        .hash(&mut h);
    h.finish()
}

/// The engine's answers for `caller` on every probe, with the gateway's default context at
/// time `time`.
pub(crate) fn decide_probes(
    state: &SimState,
    caller: &Caller,
    probes: &[Probe],
    time: &str,
) -> Vec<bool> {
    let decider = ProbeDecider::new(state, caller, time);
    probes.iter().map(|p| decider.allows(state, p)).collect()
}

/// Answers probes for one caller: its policy store, principal and base context are built
/// once, so callers that need only some answers (the generator stops at the first allowed
/// probe of an action) pay only for those.
pub(crate) struct ProbeDecider {
    store: crate::authz::PolicyStore,
    principal: crate::authz::Principal,
    base: RequestContext,
}

impl ProbeDecider {
    /// The decider for `caller` in `state`, with the gateway's default context at `time`.
    pub(crate) fn new(state: &SimState, caller: &Caller, time: &str) -> ProbeDecider {
        let store = state.iam.policy_store(&state.world, caller);
        let principal = state.iam.principal(&state.world, caller);
        let mut base = RequestContext::with_capacity(6);
        base.insert("acs:CurrentTime", time.to_string());
        base.insert("acs:SourceIp", DEFAULT_SOURCE_IP);
        base.insert("acs:SecureTransport", "true");
        if let Some(arn) = principal.principal_arn_key() {
            base.insert("acs:PrincipalARN", arn);
        }
        ProbeDecider {
            store,
            principal,
            base,
        }
    }

    /// Does the engine allow `probe`?
    pub(crate) fn allows(&self, state: &SimState, probe: &Probe) -> bool {
        let target_keys = probe
            .target
            .as_ref()
            .and_then(|t| Some((state.world.rd_id(t)?, state.world.rd_path(t)?)));
        let owned;
        let ctx = match target_keys {
            Some((id, path)) => {
                let mut c = self.base.clone();
                c.insert("acs:TargetRDId", id);
                c.insert("acs:TargetRDPath", path);
                owned = c;
                &owned
            }
            None => &self.base,
        };
        let pairs = [ActionResource::new(probe.action, probe.resource.as_str())];
        let req = Request {
            principal: &self.principal,
            pairs: &pairs,
            context: ctx,
            resource_account: None,
            resource_group: None,
            assume_role: false,
        };
        decide(&self.store, &req, &EvalOptions::default()).is_allowed()
    }
}

#[derive(Debug, Clone)]
struct Row {
    fingerprint: u64,
    allowed: Vec<bool>,
}

/// The escalation baseline and per-run history.
#[derive(Debug, Clone)]
pub struct EscalationMonitor {
    /// Probes per account uid (from the initial world).
    probes: BTreeMap<String, Vec<Probe>>,
    /// Initial rows by principal key.
    initial: BTreeMap<String, Row>,
    /// Initial clock (decisions use it).
    time: String,
    /// Current rows (per run).
    current: BTreeMap<String, Row>,
    /// Newly allowed pairs already attributed to a legitimate grant: (principal, probe).
    excused: BTreeSet<(String, usize)>,
    /// IAM generation at the last check.
    generation: u64,
    /// IAM generation of the initial world.
    initial_generation: u64,
}

impl EscalationMonitor {
    /// Computes the baseline from the initial state.
    pub fn new(initial: &SimState) -> EscalationMonitor {
        let mut probes = BTreeMap::new();
        for a in initial.world.accounts() {
            probes.insert(a.uid.clone(), probes_for(initial, &a.uid));
        }
        let mut m = EscalationMonitor {
            probes,
            initial: BTreeMap::new(),
            time: initial.world.now().to_string(),
            current: BTreeMap::new(),
            excused: BTreeSet::new(),
            generation: initial.iam.generation,
            initial_generation: initial.iam.generation,
        };
        for (key, caller) in principals(initial) {
            let row = m.row(initial, &caller);
            m.initial.insert(key, row);
        }
        m.current = m.initial.clone();
        m
    }

    /// Back to the initial world.
    pub fn reset(&mut self) {
        self.current = self.initial.clone();
        self.excused.clear();
        self.generation = self.initial_generation;
    }

    fn row(&self, state: &SimState, caller: &Caller) -> Row {
        let probes = self
            .probes
            .get(caller.account())
            .map_or(&[][..], Vec::as_slice);
        Row {
            fingerprint: fingerprint(state, caller),
            allowed: decide_probes(state, caller, probes, &self.time),
        }
    }

    fn initially(&self, key: &str, i: usize) -> bool {
        self.initial
            .get(key)
            .is_some_and(|r| r.allowed.get(i).copied().unwrap_or(false))
    }

    /// Could the principal `key` do `action` in the initial world (on probe `i` of the same
    /// account, or on any probe of the action for another account's principal)?
    fn could_initially(&self, key: &str, same_account: bool, i: usize, action: &str) -> bool {
        if same_account {
            return self.initially(key, i);
        }
        let account = key.rsplit('@').next().unwrap_or_default();
        let (Some(row), Some(probes)) = (self.initial.get(key), self.probes.get(account)) else {
            return false;
        };
        probes
            .iter()
            .zip(&row.allowed)
            .any(|(p, a)| *a && p.action == action)
    }

    /// Compares every principal's answers with the baseline after a step.
    pub fn check(&mut self, state: &SimState, step: &StepInfo<'_>) -> Verdict {
        if state.iam.generation == self.generation {
            return Verdict::Holds;
        }
        self.generation = state.iam.generation;
        let by = step.caller.and_then(|c| caller_key(state, c));
        let mut violations = Vec::new();
        for (key, caller) in principals(state) {
            let fp = fingerprint(state, &caller);
            if self.current.get(&key).is_some_and(|r| r.fingerprint == fp) {
                continue;
            }
            let row = self.row(state, &caller);
            let probes = self
                .probes
                .get(caller.account())
                .map_or(&[][..], Vec::as_slice);
            let previous = self.current.get(&key).map(|r| r.allowed.clone());
            for (i, now) in row.allowed.iter().enumerate() {
                let before = previous
                    .as_ref()
                    .is_some_and(|p| p.get(i).copied().unwrap_or(false));
                if !*now {
                    self.excused.remove(&(key.clone(), i));
                    continue;
                }
                if before || self.initially(&key, i) {
                    continue;
                }
                let probe = &probes[i];
                let excused = by.as_ref().is_some_and(|b| {
                    let same = b.rsplit('@').next() == key.rsplit('@').next();
                    self.could_initially(b, same, i, probe.action)
                });
                if excused {
                    self.excused.insert((key.clone(), i));
                } else if violations.is_empty() {
                    violations.push(format!(
                        "{key} gained {} on {}{} (denied in the initial world); the step's caller {} could not do {} initially",
                        probe.action,
                        probe.resource,
                        probe
                            .target
                            .as_ref()
                            .map(|t| format!(" toward account {t}"))
                            .unwrap_or_default(),
                        by.as_deref().unwrap_or("(none)"),
                        probe.action
                    ));
                }
            }
            self.current.insert(key, row);
        }
        if violations.is_empty() {
            Verdict::Holds
        } else {
            Verdict::Fails(violations)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_expand_with_world_objects() {
        let state = SimState::from_world_json(
            r#"{"accounts":[{"uid":"1234567890123456","alias":"A"}],
                "vpcs":[{"owner":"1234567890123456","region_id":"cn-hangzhou","cidr_block":"10.0.0.0/16"}],
                "identity":{"accounts":{"A":{"users":[{"name":"alice"}]}}}}"#,
            Path::new("."),
        )
        .expect("world");
        let r = instantiate(
            &state,
            "1234567890123456",
            "acs:ram::{account}:user/{UserName}",
        );
        assert_eq!(
            r,
            vec![
                "acs:ram::1234567890123456:user/*",
                "acs:ram::1234567890123456:user/alice"
            ]
        );
        let r = instantiate(
            &state,
            "1234567890123456",
            "acs:vpc:{region}:{account}:vpc/*",
        );
        assert_eq!(r, vec!["acs:vpc:cn-hangzhou:1234567890123456:vpc/*"]);
    }

    use std::path::Path;
}
