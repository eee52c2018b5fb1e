//! `builtin:no-privilege-escalation`, defined by reach: no principal's effective permissions —
//! what it may do itself and what it can *become* — grow beyond what it could do at the start.
//!
//! The "can become" relation is a graph over principals (roots, users, roles):
//!
//! * **assume**: `p → role r` when the gateway would allow `p` to `sts:AssumeRole` `r` now —
//!   `p`'s own policies *and* `r`'s trust policy (one decision path with the gateway,
//!   [`crate::api::decision`]); a trust policy rewritten by `UpdateRole` changes these edges;
//! * **holds a key**: `p → user u` after `p` created an AccessKey of `u` (`CreateAccessKey`);
//! * **holds a session**: `p → role r` after `p` assumed `r` (the session outlives later trust
//!   changes). A session assumed with a session policy is a principal of its own,
//!   `session/<AccessKeyId>/<role>@<uid>`: its row and its own assume edges are decided with the
//!   session's store, so what `p` becomes through it is the role's permissions as limited by
//!   the session policy (RAM intersects the two), not the whole role.
//!
//! A principal's effective permissions are the union of the direct answers ("rows") of every
//! principal it reaches. Direct rows ask every catalog action on `*` and on the initial world's
//! resources (and peering actions toward every account's RD path) through the gateway's
//! decision path at the *initial* clock, so that only policy changes, not time, move answers.
//! Writes that change a principal's own policies (joining a group, attaching a policy,
//! promoting a policy version, moving an account between folders) move its row; writes that
//! change what it can become (a rewritten trust policy, a minted AccessKey) move the graph.
//!
//! After a step, a newly reachable `(action, resource)` a principal could not reach at the start
//! is a violation unless the step's caller could itself reach it at the start (an
//! administrator granting what it holds is not an escalation). The witness names the chain of
//! principals through which the new permission is reached, each edge with the step that made
//! it.
//!
//! Incremental, per changed input (`EscalationMonitor::refresh`): nothing at all after a step
//! that wrote no identity (and moved no held session's clock); a principal's row and assume
//! edges only when its own inputs moved (policy store, principal facts, directory layout —
//! fingerprinted only after a decision-changing write, as the gateway's store cache does);
//! the edges toward a role only when its trust policy changed; a holder's edges when it got a
//! key or a session; and the effective answers only of principals that reach (before or after
//! the step) one whose row or edges changed. Within a row only the cells the change can move
//! are decided again (`super::rows`: the probes whose actions an added or removed document
//! covers, the peering probes after a layout move), and whole rows are cached by decision
//! inputs across runs and shared between principals with equal documents. A differential
//! test checks, after every step of
//! random sequences on the bundled worlds, that this equals a recomputation from scratch.

use super::eval::Verdict;
use super::rows::{
    affected_actions, store_docs, ActionTable, EdgeKey, RowBoard, RowCache, RowKey, StoreDocs,
};
use super::StepInfo;
use crate::api::catalog::{CATALOG, DEPENDENT_ONLY_ACTIONS};
use crate::api::decision::{base_context, trust_of, with_base, AuthQuery, Presented};
use crate::api::{Envelope, SimState};
use crate::authz::policy_set::with_folded_action;
use crate::authz::{decide, ram_arn, ActionResource, EvalOptions, RequestContext};
use crate::cloud::Timestamp;
use crate::iam::store::ControlPart;
use crate::iam::Caller;
use serde_json::Value;
use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::hash::{Hash, Hasher};
use std::ops::Bound;
use std::sync::{Arc, Mutex};

/// The RAM action of role assumption (answered by the graph, not by rows).
const ASSUME: &str = "sts:AssumeRole";

/// One (action, resource, target account) question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Probe {
    pub(crate) action: &'static str,
    pub(crate) resource: String,
    /// For peering actions: the account whose RD keys go into the context.
    pub(crate) target: Option<String>,
    /// What the gateway presents for it: the pair and the action's dependent actions.
    query: AuthQuery,
}

/// The dependent actions the gateway presents with `action`: those of the first catalog entry
/// of that action.
fn dependents_of(action: &str) -> &'static [(&'static str, &'static str)] {
    CATALOG
        .iter()
        .find(|e| e.action == action)
        .map_or(&[][..], |e| e.dependent)
}

impl Probe {
    fn new(e_action: &'static str, resource: String, target: Option<String>) -> Probe {
        Probe::with_dependents(e_action, dependents_of(e_action), resource, target)
    }

    /// [`Probe::new`] with the action's dependent actions already looked up.
    fn with_dependents(
        e_action: &'static str,
        dependent: &'static [(&'static str, &'static str)],
        resource: String,
        target: Option<String>,
    ) -> Probe {
        let mut pairs = Vec::with_capacity(1 + dependent.len());
        pairs.push(ActionResource::new(e_action, resource.as_str()));
        pairs.extend(dependent.iter().map(|(a, r)| ActionResource::new(*a, *r)));
        Probe {
            action: e_action,
            resource,
            target,
            query: AuthQuery {
                pairs,
                ..AuthQuery::default()
            },
        }
    }

    fn is_assume(&self) -> bool {
        self.action == ASSUME
    }
}

/// A principal's key: `user/NAME@UID`, `role/NAME@UID`, `root@UID`.
pub(crate) fn principal_key(c: &Caller) -> String {
    match c {
        Caller::Root { account } => ["root@", account].concat(),
        Caller::User { account, name } => ["user/", name, "@", account].concat(),
        Caller::Session { account, role, .. } => ["role/", role, "@", account].concat(),
    }
}

/// The caller standing for role `role` of `account` (a session with no session policy).
fn role_caller(account: &str, role: &str) -> Caller {
    Caller::Session {
        account: account.to_string(),
        role: role.to_string(),
        session: "ramsim-check".into(),
        access_key_id: "(ramsim-check)".into(),
    }
}

/// The key of a held session with a session policy: `session/<AccessKeyId>/<role>@<uid>`.
fn session_key(access_key_id: &str, role: &str, account: &str) -> String {
    ["session/", access_key_id, "/", role, "@", account].concat()
}

/// The role of a `session/…` key.
fn session_role(key: &str) -> Option<&str> {
    let (_, rest) = key.strip_prefix("session/")?.split_once('/')?;
    Some(rest.rsplit_once('@')?.0)
}

/// The caller behind a `session/…` key, while the session exists.
fn session_caller(state: &SimState, key: &str) -> Option<Caller> {
    let (ak, _) = key.strip_prefix("session/")?.split_once('/')?;
    let s = state.iam.sessions.get(ak)?;
    Some(Caller::Session {
        account: s.account.clone(),
        role: s.role.clone(),
        session: s.session_name.clone(),
        access_key_id: s.access_key_id.clone(),
    })
}

/// Every principal of `state` with its key, sorted by key: roots, users, roles, and the held
/// sessions with a session policy (`held`'s `session/…` targets).
fn principals(
    state: &SimState,
    held: &BTreeMap<String, Vec<(String, Edge)>>,
) -> Vec<(String, Caller)> {
    let mut out = Vec::new();
    for (target, _) in held.values().flatten() {
        if let Some(c) = session_caller(state, target) {
            if !out.iter().any(|(k, _)| k == target) {
                out.push((target.clone(), c));
            }
        }
    }
    for a in state.world.accounts() {
        let c = Caller::Root {
            account: a.uid.clone(),
        };
        out.push((principal_key(&c), c));
    }
    for (uid, acct) in &state.iam.accounts {
        for u in acct.users.keys() {
            let c = Caller::User {
                account: uid.clone(),
                name: u.clone(),
            };
            out.push((principal_key(&c), c));
        }
        for r in acct.roles.keys() {
            let c = role_caller(uid, r);
            out.push((principal_key(&c), c));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// The key of the principal behind an envelope caller (sessions map to their role).
fn caller_key(state: &SimState, who: &str) -> Option<String> {
    Some(principal_key(
        &state.iam.resolve_caller(&state.world, who).ok()?,
    ))
}

/// The values a catalog resource template's placeholders take for one account of the initial
/// world, computed once per account (every template of the catalog reads them).
struct Placeholders {
    values: BTreeMap<&'static str, Vec<String>>,
}

impl Placeholders {
    fn new(state: &SimState, uid: &str) -> Placeholders {
        let w = &state.world;
        let acct = state.iam.accounts.get(uid);
        let with_star = |mut v: Vec<String>| {
            v.push("*".into());
            v
        };
        let mut regions: Vec<String> = w.vpcs().map(|v| v.region_id.clone()).collect();
        regions.sort();
        regions.dedup();
        let mut values: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
        values.insert("account", vec![uid.to_string()]);
        values.insert("RoleAccount", vec![uid.to_string()]);
        values.insert("region", regions);
        values.insert(
            "UserName",
            with_star(
                acct.map(|a| a.users.keys().cloned().collect())
                    .unwrap_or_default(),
            ),
        );
        values.insert(
            "GroupName",
            with_star(
                acct.map(|a| a.groups.keys().cloned().collect())
                    .unwrap_or_default(),
            ),
        );
        values.insert(
            "RoleName",
            with_star(
                acct.map(|a| a.roles.keys().cloned().collect())
                    .unwrap_or_default(),
            ),
        );
        let mut policies: Vec<String> = acct
            .map(|a| a.policies.keys().cloned().collect())
            .unwrap_or_default();
        policies.push("AdministratorAccess".into());
        values.insert("PolicyName", with_star(policies));
        values.insert(
            "VpcId",
            with_star(
                w.vpcs()
                    .filter(|v| v.owner_uid == uid)
                    .map(|v| v.vpc_id.clone())
                    .collect(),
            ),
        );
        values.insert(
            "RouteTableId",
            with_star(
                w.vpcs()
                    .filter(|v| v.owner_uid == uid)
                    .map(|v| v.system_route_table_id.clone())
                    .collect(),
            ),
        );
        values.insert(
            "ResourceGroupId",
            with_star(
                w.account(uid)
                    .map(|a| a.resource_groups.clone())
                    .unwrap_or_default(),
            ),
        );
        values.insert(
            "PolicyId",
            with_star(state.iam.control_policies.keys().cloned().collect()),
        );
        values.insert(
            "TargetPath",
            w.resource_directory()
                .map(|rd| {
                    std::iter::once(rd.root_folder_id.clone())
                        .chain(rd.folders.keys().cloned())
                        .filter_map(|f| rd.folder_path(&f))
                        .collect()
                })
                .unwrap_or_default(),
        );
        Placeholders { values }
    }

    /// The values of placeholder `name` (any other placeholder stands for `*`).
    fn of(&self, name: &str) -> &[String] {
        const STAR: &[String] = &[];
        self.values.get(name).map_or(STAR, Vec::as_slice)
    }
}

/// Instantiates a catalog resource template for one account with the initial world's objects:
/// every combination of its placeholders' values, sorted and without duplicates.
fn instantiate(values: &Placeholders, template: &str) -> Vec<String> {
    // Split into literal text and placeholder names (an unclosed `{` is literal).
    enum Piece<'t> {
        Text(&'t str),
        Slot(&'t str),
    }
    let mut pieces = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        pieces.push(Piece::Text(&rest[..start]));
        pieces.push(Piece::Slot(&rest[start + 1..start + len]));
        rest = &rest[start + len + 1..];
    }
    pieces.push(Piece::Text(rest));
    let star = ["*".to_string()];
    let mut out = vec![String::new()];
    for piece in &pieces {
        match piece {
            Piece::Text(t) => out.iter_mut().for_each(|s| s.push_str(t)),
            Piece::Slot(name) => {
                let vals = match values.of(name) {
                    [] if !values.values.contains_key(name) => &star[..],
                    v => v,
                };
                out = out
                    .iter()
                    .flat_map(|s| {
                        vals.iter().map(move |v| {
                            let mut x = String::with_capacity(s.len() + v.len() + 16);
                            x.push_str(s);
                            x.push_str(v);
                            x
                        })
                    })
                    .collect();
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Every probe for principals of account `uid`: each catalog action on `*` and on its
/// templates instantiated with the account's objects; peering actions toward every account;
/// `sts:AssumeRole` on every role of the world.
pub(crate) fn probes_for(state: &SimState, uid: &str) -> Vec<Probe> {
    let mut out = Vec::new();
    let accounts: Vec<String> = state.world.accounts().map(|a| a.uid.clone()).collect();
    let values = Placeholders::new(state, uid);
    // The dependents of an action are those of its first catalog entry (`dependents_of`),
    // collected on the way rather than searched for every entry.
    let mut first_dependents: std::collections::HashMap<&str, &'static [(&str, &str)]> =
        std::collections::HashMap::new();
    for e in CATALOG.iter() {
        let dependent = *first_dependents.entry(e.action).or_insert(e.dependent);
        let probe = |resource: String, target: Option<String>| {
            Probe::with_dependents(e.action, dependent, resource, target)
        };
        if e.condition_keys.contains(&"acs:TargetRDPath") {
            out.push(probe("*".into(), None));
            for t in &accounts {
                out.push(probe("*".into(), Some(t.clone())));
            }
            continue;
        }
        if e.action == ASSUME {
            for (a, acct) in &state.iam.accounts {
                for r in acct.roles.values() {
                    out.push(probe(format!("acs:ram::{a}:role/{}", r.name), None));
                }
            }
            continue;
        }
        let mut resources: Vec<String> = vec!["*".into()];
        for t in e.resources {
            resources.extend(instantiate(&values, t));
        }
        resources.sort();
        resources.dedup();
        for r in resources {
            out.push(probe(r, None));
        }
    }
    for a in DEPENDENT_ONLY_ACTIONS {
        out.push(Probe::new(a, "*".into(), None));
    }
    out
}

/// Probes per account uid of a world: computed once per check and shared by the generator
/// and the escalation monitor.
pub(crate) type ProbeTable = Arc<BTreeMap<String, Vec<Probe>>>;

/// The [`ProbeTable`] of `state`: [`probes_for`] every account.
pub(crate) fn probe_table(state: &SimState) -> ProbeTable {
    Arc::new(
        state
            .world
            .accounts()
            .map(|a| (a.uid.clone(), probes_for(state, &a.uid)))
            .collect(),
    )
}

/// A fingerprint of everything that bears on `caller`'s decisions: the documents its policy
/// store is built from ([`crate::iam::model::Iam::store_fingerprint`]) and the principal facts
/// the evaluator reads besides them.
pub(crate) fn fingerprint(state: &SimState, caller: &Caller) -> u64 {
    let control = state.iam.control_part(&state.world, caller.account());
    fingerprint_with(state, caller, &control)
}

/// [`fingerprint`] with the control part of the caller's account given (the same for every
/// principal of the account: a refresh computes it once per account).
fn fingerprint_with(state: &SimState, caller: &Caller, control: &ControlPart) -> u64 {
    let mut h = DefaultHasher::new();
    // The flags alone, as `Iam::principal` sets them (building the principal formats its ARNs).
    crate::iam::caller::directory_flags(&state.world, caller.account()).hash(&mut h);
    state
        .iam
        .store_fingerprint_with(caller, control)
        .hash(&mut h);
    h.finish()
}

/// The directory layout peering probes read (`acs:TargetRDId`/`acs:TargetRDPath` of every
/// account): moving an account changes the answers of every principal's peering probes.
pub(crate) fn layout_hash(state: &SimState) -> u64 {
    let mut h = DefaultHasher::new();
    for a in state.world.accounts() {
        (
            &a.uid,
            state.world.rd_id(&a.uid),
            state.world.rd_path(&a.uid),
        )
            .hash(&mut h);
    }
    h.finish()
}

/// The trust policy of the role behind a `role/NAME@UID` key (0 when there is none): the
/// assume edges toward that role depend on it and on nothing else of the role.
pub(crate) fn role_trust_hash(state: &SimState, key: &str) -> u64 {
    let mut h = DefaultHasher::new();
    let role = key
        .strip_prefix("role/")
        .and_then(|x| x.rsplit_once('@'))
        .and_then(|(name, uid)| state.iam.accounts.get(uid)?.roles.get(name));
    if let Some(r) = role {
        (&r.name, &r.trust_policy).hash(&mut h);
    }
    h.finish()
}

/// Answers probes for one caller through the gateway's decision path
/// ([`crate::api::decision::with_base`]): its policy store, principal and base context are
/// built once, so callers that need only some answers (the generator stops at the first
/// allowed probe of an action) pay only for those.
pub(crate) struct ProbeDecider {
    store: crate::authz::PolicyStore,
    principal: crate::authz::Principal,
    caller: Caller,
    base: RequestContext,
}

impl ProbeDecider {
    /// The decider for `caller` in `state`, with the gateway's default envelope at `time`.
    pub(crate) fn new(state: &SimState, caller: &Caller, time: Timestamp) -> ProbeDecider {
        let store = state.iam.policy_store(&state.world, caller);
        let principal = state.iam.principal(&state.world, caller);
        let envelope = Envelope::default();
        let base = base_context(
            &principal,
            caller,
            Presented {
                envelope: &envelope,
                access_key: None,
            },
            time,
        );
        ProbeDecider {
            store,
            principal,
            caller: caller.clone(),
            base,
        }
    }

    /// False when no request for `action` can be allowed for this caller: it is not root and
    /// none of its identity policies (account or resource-group scope) has an `Allow` whose
    /// `Action` covers it, and no resource policy is in its store. Every allow of the decision
    /// path (own resources of a root aside) needs such an identity `Allow` — also
    /// `sts:AssumeRole`, where the trust policy is required on top — so `false` here means
    /// [`ProbeDecider::allows`] is false for every probe of `action`: a cheap way out for the
    /// many actions a caller has no grant for.
    pub(crate) fn may_allow(&self, action: &str) -> bool {
        if self.principal.kind == crate::authz::PrincipalKind::Root
            || self.store.resource_policy.is_some()
        {
            return true;
        }
        crate::authz::policy_set::with_folded_action(action, |folded| {
            let grants = |set: &crate::authz::PolicySet| {
                set.statements().iter().any(|s| {
                    s.effect == crate::policy::ast::Effect::Allow && s.action_in_scope(folded)
                })
            };
            grants(&self.store.identity)
                || self.store.resource_groups.iter().any(|(_, s)| grants(s))
        })
    }

    /// Whether some decision of this caller can depend on a probe's resource
    /// ([`crate::authz::PolicyStore::reads_resource`]): when not, probes that differ only in
    /// their resource are answered alike.
    pub(crate) fn reads_resource(&self) -> bool {
        self.store.reads_resource()
    }

    /// Would the gateway allow `probe` (with the target's RD keys, and for `sts:AssumeRole`
    /// the role's current trust policy)? Expired sessions can do nothing.
    pub(crate) fn allows(&self, state: &SimState, probe: &Probe) -> bool {
        if state
            .iam
            .credential_error(&self.caller, state.world.now().epoch())
            .is_some()
        {
            return false;
        }
        let owned;
        let query = if probe.target.is_some() || probe.is_assume() {
            let mut q = probe.query.clone();
            if let Some(t) = &probe.target {
                if let (Some(id), Some(path)) = (state.world.rd_id(t), state.world.rd_path(t)) {
                    q.keys.push(("acs:TargetRDId".to_string(), id));
                    q.keys.push(("acs:TargetRDPath".to_string(), path));
                }
            }
            if probe.is_assume() {
                let Some((uid, text)) = trust_of(state, &probe.resource) else {
                    return false;
                };
                q.trust = Some(text);
                q.resource_account = Some(uid);
            }
            owned = q;
            &owned
        } else {
            &probe.query
        };
        with_base(
            &state.world,
            &self.store,
            &self.principal,
            &self.base,
            query,
            None,
            |store, req, _| decide(store, req, &EvalOptions::default()),
        )
        .is_allowed()
    }
}

/// Always false outside tests; a test turns it on to show that the differential test catches
/// rows whose probes were answered alike while the store tells resources apart.
#[cfg(not(test))]
fn tests_ignore_resource_reads() -> bool {
    false
}

#[cfg(test)]
thread_local! {
    static IGNORE_RESOURCE_READS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

#[cfg(test)]
fn tests_ignore_resource_reads() -> bool {
    IGNORE_RESOURCE_READS.with(std::cell::Cell::get)
}

/// Why one principal can become another.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Edge {
    /// The gateway would allow `sts:AssumeRole` (own policies and the role's trust policy).
    Assume,
    /// Holds an AccessKey of the target user, created at this step (1-based).
    Key(usize),
    /// Holds a session of the target role, from this step.
    Session(usize),
}

#[derive(Debug, Clone)]
struct Row {
    /// The principal's decision fingerprint (store, principal facts, expiry) it was computed
    /// with.
    fingerprint: u64,
    /// The directory layout it was computed with (the peering probes' target keys).
    layout: u64,
    /// The documents it was computed from: what a later change is diffed against.
    docs: Arc<StoreDocs>,
    allowed: Arc<Vec<bool>>,
}

/// A principal's effective answers, by account uid (one bit per probe of that account).
type Effective = BTreeMap<String, Vec<bool>>;

/// Everything the verdict is computed from, per run.
#[derive(Debug, Clone, Default)]
struct Snapshot {
    /// Direct answers by principal key.
    rows: BTreeMap<String, Row>,
    /// Assume edges by source: `(the source's fingerprint they were decided with, targets
    /// sorted)`.
    assume: BTreeMap<String, (u64, Vec<String>)>,
    /// Trust-policy hash by role key, as the assume edges toward the role were decided with.
    trust: BTreeMap<String, u64>,
    /// Held credentials by holder: `(target, edge)`.
    held: BTreeMap<String, Vec<(String, Edge)>>,
    /// Holders that gained a held credential since the last refresh.
    new_holders: BTreeSet<String>,
    /// Roles whose trust policy a step of this run rewrote: role key → step (1-based).
    rewritten: BTreeMap<String, usize>,
    /// Actions a principal was legitimately granted during this run (by a caller who could
    /// do them): its steps that use one of them act on the granter's authority.
    granted: BTreeMap<String, BTreeSet<&'static str>>,
    /// Effective answers by principal key.
    effective: BTreeMap<String, Effective>,
    /// `(Iam::policy_generation, directory layout hash)` of the last refresh (`None`: never
    /// refreshed, every input is new).
    inputs_at: Option<(u64, u64)>,
    /// The clock of the last refresh (held sessions expire with it).
    clock: Option<Timestamp>,
}

/// The escalation baseline and per-run history.
#[derive(Debug, Clone)]
pub struct EscalationMonitor {
    /// Probes per account uid (from the initial world).
    probes: ProbeTable,
    /// Per account uid, the actions of each probe's pairs (which cells a document can move).
    actions: Arc<BTreeMap<String, ActionTable>>,
    /// Whole rows by decision inputs, across the runs of this check.
    cache: Arc<Mutex<RowCache>>,
    /// Where roots' and users' rows are published for the generator.
    board: RowBoard,
    /// Initial clock (decisions use it).
    time: Timestamp,
    /// The initial world's snapshot.
    initial: Snapshot,
    /// This run's.
    current: Snapshot,
    /// Steps taken in this run.
    steps: usize,
    /// IAM generation at the last check.
    generation: u64,
    /// IAM generation of the initial world.
    initial_generation: u64,
}

fn account_of(key: &str) -> &str {
    key.rsplit('@').next().unwrap_or_default()
}

impl EscalationMonitor {
    /// Computes the baseline from the initial state.
    pub fn new(initial: &SimState) -> EscalationMonitor {
        EscalationMonitor::with_probes(initial, probe_table(initial), RowBoard::default())
    }

    /// [`EscalationMonitor::new`] with the initial world's probes already computed, publishing
    /// its rows on `board`.
    pub(crate) fn with_probes(
        initial: &SimState,
        probes: ProbeTable,
        board: RowBoard,
    ) -> EscalationMonitor {
        let actions = Arc::new(
            probes
                .iter()
                .map(|(uid, list)| {
                    let table = ActionTable::new(list.iter().map(|p| {
                        p.query
                            .pairs
                            .iter()
                            .map(|ar| ar.action.as_str())
                            .collect::<Vec<_>>()
                    }));
                    (uid.clone(), table)
                })
                .collect(),
        );
        let mut m = EscalationMonitor {
            probes,
            actions,
            cache: Arc::new(Mutex::new(RowCache::default())),
            board,
            time: initial.world.now(),
            initial: Snapshot::default(),
            current: Snapshot::default(),
            steps: 0,
            generation: initial.iam.generation,
            initial_generation: initial.iam.generation,
        };
        let mut snap = Snapshot::default();
        let _ = m.refresh(initial, &mut snap, true);
        m.initial = snap;
        m.current = m.initial.clone();
        m
    }

    /// Back to the initial world.
    pub fn reset(&mut self) {
        self.current = self.initial.clone();
        self.steps = 0;
        self.generation = self.initial_generation;
    }

    fn probes(&self, account: &str) -> &[Probe] {
        self.probes.get(account).map_or(&[][..], Vec::as_slice)
    }

    /// Brings `snap` up to date with `state`, recomputing only what depends on an input that
    /// changed, and returns the principals whose effective answers may have moved (sorted),
    /// each with its effective answers before (`None` for a new principal).
    ///
    /// The inputs, and what each one moves:
    ///
    /// * a principal's policy store and principal facts ([`fingerprint`]; attachments, group
    ///   membership, policy versions, control policies and the directory layout through it):
    ///   its row and all its assume edges. Existing principals' fingerprints can only move
    ///   with `Iam::policy_generation` or the directory layout (the gateway's compiled-store
    ///   cache rests on the same rule), so after other writes only new principals and held
    ///   sessions (whose expiry follows the clock) are fingerprinted;
    /// * a role's trust policy ([`role_trust_hash`]): the edges toward that role only;
    /// * a held credential (a minted key, a session): the holder's out-edges.
    ///
    /// A principal's effective answers are recomputed when it reaches (in the graph before or
    /// after the step) a principal whose row or out-edges changed. With an empty snapshot
    /// every input is new and everything is computed: the full recomputation.
    fn refresh(
        &self,
        state: &SimState,
        snap: &mut Snapshot,
        use_cache: bool,
    ) -> Vec<(String, Option<Effective>)> {
        let layout = layout_hash(state);
        let inputs = (state.iam.policy_generation, layout);
        let every_fingerprint = snap.inputs_at != Some(inputs);
        snap.inputs_at = Some(inputs);
        snap.clock = Some(state.world.now());
        let now = state.world.now().epoch();
        let all = principals(state, &snap.held);
        let keys: BTreeSet<&String> = all.iter().map(|(k, _)| k).collect();
        // Principals whose row or out-edges changed.
        let mut dirty: BTreeSet<String> = std::mem::take(&mut snap.new_holders);
        // Out-edges as they were, of sources whose edges changed (the graph before the step).
        let mut old_edges: Vec<(String, Vec<String>)> = Vec::new();
        for gone in snap
            .rows
            .keys()
            .filter(|k| !keys.contains(k))
            .cloned()
            .collect::<Vec<_>>()
        {
            snap.rows.remove(&gone);
            if let Some((_, t)) = snap.assume.remove(&gone) {
                old_edges.push((gone.clone(), t));
            }
            dirty.insert(gone);
        }
        // Roles whose trust policy is new or changed, and roles that are gone.
        let roles: Vec<(&String, u64)> = all
            .iter()
            .filter(|(k, _)| k.starts_with("role/"))
            .map(|(k, _)| (k, role_trust_hash(state, k)))
            .collect();
        let changed_roles: Vec<&String> = roles
            .iter()
            .filter(|(k, h)| snap.trust.get(*k) != Some(h))
            .map(|(k, _)| *k)
            .collect();
        let gone_roles: Vec<String> = snap
            .trust
            .keys()
            .filter(|k| !keys.contains(k))
            .cloned()
            .collect();
        snap.trust = roles.iter().map(|(k, h)| ((*k).clone(), *h)).collect();
        // Control parts of fingerprints by account, for this state.
        let mut control: Vec<(&str, ControlPart)> = Vec::new();
        for (key, caller) in &all {
            let session = key.starts_with("session/");
            let old = snap.rows.get(key).cloned();
            let old_fp = old.as_ref().map(|r| r.fingerprint);
            let expired = state.iam.credential_error(caller, now).is_some();
            let fp = match old_fp {
                Some(fp) if !every_fingerprint && !session => fp,
                _ => {
                    let account = caller.account();
                    let at = match control.iter().position(|(a, _)| *a == account) {
                        Some(at) => at,
                        None => {
                            control.push((account, state.iam.control_part(&state.world, account)));
                            control.len() - 1
                        }
                    };
                    fingerprint_with(state, caller, &control[at].1) ^ u64::from(expired)
                }
            };
            let mut decider: Option<ProbeDecider> = None;
            // Whether the change can move the source's `sts:AssumeRole` answers (`false`
            // only when documents alone changed and none of them covers it).
            let mut assume_moved = old_fp != Some(fp);
            if old_fp != Some(fp) || old.as_ref().map(|r| r.layout) != Some(layout) {
                let account = caller.account();
                let probes = self.probes(account);
                let table = self.actions.get(account);
                let docs = match &old {
                    Some(r) if old_fp == Some(fp) => Arc::clone(&r.docs),
                    _ => Arc::new(store_docs(state, caller, expired)),
                };
                let row_key = RowKey::new(key, state, caller, fp, &docs, layout);
                let cached = if use_cache {
                    self.cache.lock().ok().and_then(|c| c.get(&row_key))
                } else {
                    None
                };
                // Which cells can have moved: `None` is all of them.
                let mut todo: Option<Vec<bool>> = None;
                if let (Some(r), Some(table)) = (&old, table) {
                    let affected = if old_fp == Some(fp) {
                        Some(Vec::new())
                    } else {
                        affected_actions(&r.docs, &docs, table)
                    };
                    if let Some(aff) = affected {
                        assume_moved = old_fp != Some(fp)
                            && with_folded_action(ASSUME, |a| table.marked(a, &aff));
                        let layout_moved = r.layout != layout;
                        todo = Some(
                            probes
                                .iter()
                                .enumerate()
                                .map(|(i, p)| {
                                    (layout_moved && p.target.is_some())
                                        || (!aff.is_empty() && table.touches(i, &aff))
                                })
                                .collect(),
                        );
                    }
                }
                let allowed = match cached {
                    Some(row) => row,
                    None => {
                        let decider = decider
                            .get_or_insert_with(|| ProbeDecider::new(state, caller, self.time));
                        // `may_allow` of each probe's action, by the table's index of it
                        // (a row asks thousands of probes of a few hundred actions).
                        let actions = table.map_or(0, ActionTable::action_count);
                        let mut may: Vec<Option<bool>> = vec![None; actions];
                        // When no statement of the store reads the resource, probes of one
                        // action with no target differ only in their resource and are decided
                        // alike: one decision per action (a whole row asks thousands of probes
                        // of a few hundred actions). Not in the recomputation from scratch
                        // (`use_cache` false), which the differential test compares with.
                        let blind = use_cache
                            && (!decider.reads_resource() || tests_ignore_resource_reads());
                        let mut alike: Vec<Option<(&'static str, bool)>> =
                            vec![None; if blind { actions } else { 0 }];
                        let mut decide = |i: usize, p: &Probe| {
                            if p.is_assume() {
                                return false;
                            }
                            let own = table.and_then(|t| t.own_action(i));
                            let may_allow = match own.and_then(|a| may.get_mut(a)) {
                                Some(known) => {
                                    *known.get_or_insert_with(|| decider.may_allow(p.action))
                                }
                                None => decider.may_allow(p.action),
                            };
                            if !may_allow {
                                return false;
                            }
                            let slot = own
                                .filter(|_| p.target.is_none())
                                .and_then(|a| alike.get_mut(a));
                            match slot {
                                Some(Some((action, allowed))) if *action == p.action => *allowed,
                                Some(slot) => {
                                    let allowed = decider.allows(state, p);
                                    if slot.is_none() {
                                        *slot = Some((p.action, allowed));
                                    }
                                    allowed
                                }
                                None => decider.allows(state, p),
                            }
                        };
                        let allowed: Vec<bool> = match (&todo, &old) {
                            (Some(todo), Some(r)) => probes
                                .iter()
                                .zip(todo)
                                .zip(r.allowed.iter())
                                .enumerate()
                                .map(
                                    |(i, ((p, redo), was))| if *redo { decide(i, p) } else { *was },
                                )
                                .collect(),
                            _ => probes
                                .iter()
                                .enumerate()
                                .map(|(i, p)| decide(i, p))
                                .collect(),
                        };
                        let allowed = Arc::new(allowed);
                        if use_cache {
                            if let Ok(mut c) = self.cache.lock() {
                                c.put(row_key, Arc::clone(&allowed));
                            }
                        }
                        allowed
                    }
                };
                self.board.put(key, fp, layout, &allowed);
                let same = old.as_ref().is_some_and(|r| r.allowed == allowed);
                if !same {
                    dirty.insert(key.clone());
                }
                snap.rows.insert(
                    key.clone(),
                    Row {
                        fingerprint: fp,
                        layout,
                        docs,
                        allowed,
                    },
                );
            }
            // Assume edges: all of them when the source's inputs moved in a way that can move
            // them, else only toward roles whose trust policy changed (and none toward roles
            // that are gone).
            let (all_edges, toward): (bool, &[&String]) = match snap.assume.get(key) {
                Some(_) if !assume_moved => (false, &changed_roles),
                _ => (true, &[]),
            };
            if !all_edges && toward.is_empty() && gone_roles.is_empty() {
                if let Some((f, _)) = snap.assume.get_mut(key) {
                    *f = fp;
                }
                continue;
            }
            // No identity `Allow` covers `sts:AssumeRole`: no edge, without a decision each.
            let mut may_assume: Option<bool> = None;
            let mut edge = |r: &String| {
                if r == key {
                    return false;
                }
                // The decision reads the source's inputs (`fp`, its key) and the role's trust
                // policy: cached by those across the runs of a check.
                let edge_key = use_cache.then(|| {
                    let trust = roles
                        .binary_search_by(|(k, _)| k.as_str().cmp(r))
                        .map_or(0, |at| roles[at].1);
                    EdgeKey::new(key, fp, r, trust)
                });
                if let Some(hit) = edge_key
                    .as_ref()
                    .and_then(|k| self.cache.lock().ok().and_then(|c| c.edge(k)))
                {
                    return hit;
                }
                let decider =
                    decider.get_or_insert_with(|| ProbeDecider::new(state, caller, self.time));
                let allowed = *may_assume.get_or_insert_with(|| decider.may_allow(ASSUME)) && {
                    let (name, uid) = r
                        .strip_prefix("role/")
                        .and_then(|x| x.rsplit_once('@'))
                        .unwrap_or_default();
                    let probe = Probe::new(ASSUME, ram_arn(uid, &["role/", name]), None);
                    decider.allows(state, &probe)
                };
                if let (Some(k), Ok(mut c)) = (edge_key, self.cache.lock()) {
                    c.put_edge(k, allowed);
                }
                allowed
            };
            let before = snap.assume.get(key).map(|(_, t)| t.clone());
            let targets: Vec<String> = if all_edges {
                roles
                    .iter()
                    .filter(|(r, _)| edge(r))
                    .map(|(r, _)| (*r).clone())
                    .collect()
            } else {
                let mut t = before.clone().unwrap_or_default();
                t.retain(|r| !gone_roles.contains(r));
                for r in toward {
                    let allowed = edge(r);
                    match (t.binary_search(r), allowed) {
                        (Err(at), true) => t.insert(at, (*r).clone()),
                        (Ok(at), false) => {
                            t.remove(at);
                        }
                        _ => {}
                    }
                }
                t
            };
            if before.as_ref() != Some(&targets) {
                dirty.insert(key.clone());
                if let Some(b) = before {
                    old_edges.push((key.clone(), b));
                }
            }
            snap.assume.insert(key.clone(), (fp, targets));
        }
        // Who reaches a dirty principal, in the graph before or after the step.
        let mut reverse: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (from, (_, targets)) in &snap.assume {
            for to in targets {
                reverse.entry(to.as_str()).or_default().push(from.as_str());
            }
        }
        for (from, targets) in &old_edges {
            for to in targets {
                reverse.entry(to.as_str()).or_default().push(from.as_str());
            }
        }
        for (holder, list) in &snap.held {
            for (t, _) in list {
                reverse.entry(t.as_str()).or_default().push(holder.as_str());
            }
        }
        let mut affected: BTreeSet<String> = BTreeSet::new();
        let mut queue: VecDeque<&str> = dirty.iter().map(String::as_str).collect();
        while let Some(k) = queue.pop_front() {
            if affected.insert(k.to_string()) {
                queue.extend(reverse.get(k).into_iter().flatten().copied());
            }
        }
        drop(reverse);
        // New principals have no effective answers yet.
        for (key, _) in &all {
            if !snap.effective.contains_key(key) {
                affected.insert(key.clone());
            }
        }
        let mut changed = Vec::new();
        for key in affected {
            // Sessions are reached through their holders; they are not principals of the verdict.
            if key.starts_with("session/") {
                continue;
            }
            let before = snap.effective.remove(&key);
            if keys.contains(&key) {
                let now = Self::effective_of(snap, &key);
                snap.effective.insert(key.clone(), now);
                changed.push((key, before));
            }
        }
        changed
    }

    /// Principals `key` reaches (itself first), each with the edge it was reached by.
    fn reach(snap: &Snapshot, key: &str) -> BTreeMap<String, Option<(String, Edge)>> {
        let mut seen: BTreeMap<String, Option<(String, Edge)>> = BTreeMap::new();
        seen.insert(key.to_string(), None);
        let mut queue = VecDeque::from([key.to_string()]);
        while let Some(k) = queue.pop_front() {
            let assume = snap
                .assume
                .get(&k)
                .into_iter()
                .flat_map(|(_, t)| t.iter().map(|t| (t.clone(), Edge::Assume)));
            let held = snap.held.get(&k).into_iter().flatten().cloned();
            for (t, e) in assume.chain(held).collect::<Vec<_>>() {
                if !seen.contains_key(&t) {
                    seen.insert(t.clone(), Some((k.clone(), e)));
                    queue.push_back(t);
                }
            }
        }
        seen
    }

    fn effective_of(snap: &Snapshot, key: &str) -> Effective {
        let mut out: BTreeMap<String, Vec<bool>> = BTreeMap::new();
        for q in Self::reach(snap, key).keys() {
            let Some(row) = snap.rows.get(q) else {
                continue;
            };
            let acc = out
                .entry(account_of(q).to_string())
                .or_insert_with(|| vec![false; row.allowed.len()]);
            for (a, r) in acc.iter_mut().zip(row.allowed.iter()) {
                *a |= *r;
            }
        }
        out
    }

    fn initially(&self, key: &str, account: &str, i: usize) -> bool {
        self.initial
            .effective
            .get(key)
            .and_then(|m| m.get(account))
            .is_some_and(|v| v.get(i).copied().unwrap_or(false))
    }

    /// Credentials the step's caller obtained: an AccessKey of another user, a role session.
    fn note_credentials(&mut self, state: &SimState, step: &StepInfo<'_>) {
        let Some(by) = step.caller.and_then(|c| caller_key(state, c)) else {
            return;
        };
        let new = state.audit.get(step.audit_before..).unwrap_or(&[]);
        for e in new
            .iter()
            .filter(|e| e.event_type == "ApiCall" && e.error_code.is_empty())
        {
            let param = |k: &str| {
                e.request_parameters
                    .get(k)
                    .and_then(Value::as_str)
                    .map(str::to_string)
            };
            if e.event_name == "UpdateRole" {
                if let Some(r) = param("RoleName") {
                    self.current.rewritten.insert(
                        format!("role/{r}@{}", e.user_identity.account_id),
                        self.steps,
                    );
                }
                continue;
            }
            let (target, edge) = match e.event_name.as_str() {
                "CreateAccessKey" => match param("UserName") {
                    Some(u) => (
                        format!("user/{u}@{}", e.user_identity.account_id),
                        Edge::Key(self.steps),
                    ),
                    None => continue,
                },
                "AssumeRole" => {
                    let Some((uid, rel)) = param("RoleArn")
                        .as_deref()
                        .and_then(|a| a.strip_prefix("acs:ram::"))
                        .and_then(|a| a.split_once(':'))
                        .map(|(u, r)| (u.to_string(), r.to_string()))
                    else {
                        continue;
                    };
                    let Some(name) = rel.strip_prefix("role/") else {
                        continue;
                    };
                    // The role's own spelling (AssumeRole matches names without case).
                    let name = state
                        .iam
                        .accounts
                        .get(&uid)
                        .and_then(|a| a.roles.values().find(|r| r.name.eq_ignore_ascii_case(name)))
                        .map_or_else(|| name.to_string(), |r| r.name.clone());
                    // A session with a session policy is its own principal: the role as
                    // limited by that policy.
                    let limited = e
                        .response_elements
                        .as_ref()
                        .and_then(|r| r["Credentials"]["AccessKeyId"].as_str())
                        .and_then(|ak| state.iam.sessions.get(ak))
                        .filter(|s| s.policy.is_some());
                    match limited {
                        Some(s) => (
                            session_key(&s.access_key_id, &s.role, &uid),
                            Edge::Session(self.steps),
                        ),
                        None => (format!("role/{name}@{uid}"), Edge::Session(self.steps)),
                    }
                }
                _ => continue,
            };
            if target != by {
                let list = self.current.held.entry(by.clone()).or_default();
                if !list.iter().any(|(t, _)| *t == target) {
                    list.push((target, edge));
                    self.current.new_holders.insert(by.clone());
                }
            }
        }
    }

    /// How `key` reaches `via`: `a → b (why) → c (why)`.
    fn chain(snap: &Snapshot, key: &str, via: &str) -> String {
        let reach = Self::reach(snap, key);
        let mut hops = Vec::new();
        let mut at = via.to_string();
        while let Some(Some((from, edge))) = reach.get(&at) {
            let why = match edge {
                Edge::Assume => match snap.rewritten.get(&at) {
                    Some(s) => format!(
                        "may sts:AssumeRole it: its policies allow it, and so does the role's trust policy as rewritten by UpdateRole at step {s}"
                    ),
                    None => {
                        "may sts:AssumeRole it: its policies and the role's trust policy allow it"
                            .to_string()
                    }
                },
                Edge::Key(s) => format!("holds an AccessKey of it, created at step {s}"),
                Edge::Session(s) if at.starts_with("session/") => format!(
                    "holds this session of role {}, from step {s}: the role's permissions as its session policy limits them",
                    session_role(&at).unwrap_or_default()
                ),
                Edge::Session(s) => format!("holds a session of it, from step {s}"),
            };
            hops.push(format!("{from} → {at} ({why})"));
            at = from.clone();
        }
        hops.reverse();
        hops.join("; ")
    }

    /// Compares every principal's effective answers with the baseline after a step.
    pub fn check(&mut self, state: &SimState, step: &StepInfo<'_>) -> Verdict {
        self.steps += 1;
        // Held sessions expire with the clock: their rows are refreshed when it moved.
        let sessions_held = self
            .current
            .rows
            .range::<str, _>((Bound::Included("session/"), Bound::Unbounded))
            .next()
            .is_some_and(|(k, _)| k.starts_with("session/"));
        let clock_moved = sessions_held && self.current.clock != Some(state.world.now());
        if state.iam.generation == self.generation && !clock_moved {
            return Verdict::Holds;
        }
        self.generation = state.iam.generation;
        self.note_credentials(state, step);
        let mut snap = std::mem::take(&mut self.current);
        let changed = self.refresh(state, &mut snap, true);
        self.current = snap;
        let by = step.caller.and_then(|c| caller_key(state, c));
        // The RAM action of the step's call, and whether the caller holds it by a grant made
        // during this run: then what the step grants is on the granter's authority (an
        // administrator who gives `ram:*` gives everything `ram:*` can reach).
        let step_action = state
            .audit
            .get(step.audit_before..)
            .unwrap_or(&[])
            .iter()
            .find(|e| e.event_type == "ApiCall")
            .and_then(|e| crate::api::catalog::by_api(&e.event_name))
            .map(|e| e.action);
        let delegated = match (&by, step_action) {
            (Some(b), Some(a)) => self.current.granted.get(b).is_some_and(|g| g.contains(a)),
            _ => false,
        };
        let mut newly_granted: Vec<(String, &'static str)> = Vec::new();
        // Only principals whose effective answers may have moved can have gained anything.
        for (key, previous) in &changed {
            let Some(accounts) = self.current.effective.get(key) else {
                continue;
            };
            for (account, now) in accounts {
                let before = previous.as_ref().and_then(|m| m.get(account));
                for (i, allowed) in now.iter().enumerate() {
                    if !*allowed
                        || before.is_some_and(|b| b.get(i).copied().unwrap_or(false))
                        || self.initially(key, account, i)
                    {
                        continue;
                    }
                    let probe = &self.probes(account)[i];
                    if delegated || by.as_ref().is_some_and(|b| self.initially(b, account, i)) {
                        newly_granted.push((key.clone(), probe.action));
                        continue;
                    }
                    // The principal it reaches whose own row allows it.
                    let via = Self::reach(&self.current, key)
                        .into_keys()
                        .find(|q| {
                            account_of(q) == account
                                && self
                                    .current
                                    .rows
                                    .get(q)
                                    .is_some_and(|r| r.allowed.get(i).copied().unwrap_or(false))
                        })
                        .unwrap_or_else(|| key.clone());
                    let mut lines = vec![format!(
                        "{key} gained {} on {}{} (it could not, directly or through what it could become, in the initial world); the step's caller {} could not do that initially",
                        probe.action,
                        probe.resource,
                        probe
                            .target
                            .as_ref()
                            .map(|t| format!(" toward account {t}"))
                            .unwrap_or_default(),
                        by.as_deref().unwrap_or("(none)"),
                    )];
                    if via != *key {
                        lines.push(format!(
                            "escalation path: {}; {via} may do it",
                            Self::chain(&self.current, key, &via)
                        ));
                    } else {
                        lines.push(format!(
                            "escalation path: {key}'s own policies changed (a policy attached, a version promoted, a group joined, or its account moved under other control policies)"
                        ));
                    }
                    return Verdict::Fails(lines);
                }
            }
        }
        for (key, action) in newly_granted {
            self.current.granted.entry(key).or_default().insert(action);
        }
        Verdict::Holds
    }
}

#[cfg(test)]
impl EscalationMonitor {
    /// The current snapshot recomputed from scratch (every input new) for `state`, with the
    /// run's held credentials: what the incremental refresh must equal.
    fn recomputed_from_scratch(&self, state: &SimState) -> Snapshot {
        let mut fresh = Snapshot {
            held: self.current.held.clone(),
            ..Snapshot::default()
        };
        let _ = self.refresh(state, &mut fresh, false);
        fresh
    }

    /// Where the incremental snapshot and the recomputation from scratch differ (rows, assume
    /// edges, trust hashes, effective answers), or `None`.
    fn incremental_differs(&self, state: &SimState) -> Option<String> {
        let fresh = self.recomputed_from_scratch(state);
        let cur = &self.current;
        let rows = |s: &Snapshot| -> BTreeMap<String, (u64, Vec<bool>)> {
            s.rows
                .iter()
                .map(|(k, r)| (k.clone(), (r.fingerprint, r.allowed.to_vec())))
                .collect()
        };
        if rows(cur) != rows(&fresh) {
            return Some(format!(
                "rows differ: {:?}",
                rows(cur)
                    .keys()
                    .filter(|k| rows(&fresh).get(*k) != rows(cur).get(*k))
                    .collect::<Vec<_>>()
            ));
        }
        if cur.assume != fresh.assume {
            return Some(format!(
                "assume edges differ:\n{:?}\n{:?}",
                cur.assume, fresh.assume
            ));
        }
        if cur.trust != fresh.trust {
            return Some("trust hashes differ".into());
        }
        if cur.effective != fresh.effective {
            let keys: Vec<&String> = fresh
                .effective
                .keys()
                .chain(cur.effective.keys())
                .filter(|k| cur.effective.get(*k) != fresh.effective.get(*k))
                .collect();
            return Some(format!("effective answers differ for {keys:?}"));
        }
        None
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
        let values = Placeholders::new(&state, "1234567890123456");
        let r = instantiate(&values, "acs:ram::{account}:user/{UserName}");
        assert_eq!(
            r,
            vec![
                "acs:ram::1234567890123456:user/*",
                "acs:ram::1234567890123456:user/alice"
            ]
        );
        let r = instantiate(&values, "acs:vpc:{region}:{account}:vpc/*");
        assert_eq!(r, vec!["acs:vpc:cn-hangzhou:1234567890123456:vpc/*"]);
        // An unknown placeholder stands for `*`; an unclosed brace is literal text.
        let r = instantiate(&values, "acs:x:{region}:{nope}:a/{b");
        assert_eq!(r, vec!["acs:x:cn-hangzhou:*:a/{b"]);
    }

    /// The bundled worlds of the differential property, each with the `--actions` move set its
    /// sequences are drawn from (empty: the whole catalog).
    const WORLDS: &[(&str, &[&str])] = &[
        ("esc-control.json", &[]),
        ("escalation.json", &[]),
        ("esc-trust-rewrite.json", &[]),
        ("esc-minted-key.json", &[]),
        ("esc-version-promotion.json", &[]),
        ("esc-account-move.json", &[]),
        ("role-session.json", &[]),
        ("move-account.json", &[]),
        ("guardrail-control.json", ACCOUNT_MOVES),
    ];

    /// `guardrail-control.json`'s control policy denies peering outside prod by
    /// `acs:TargetRDPath`, so moving an account between folders changes the peering answers
    /// toward it of principals whose own inputs do not move (netops in A, netadmin in B).
    /// Account moves only, so that most sequences move accounts (only the management
    /// account's root may).
    const ACCOUNT_MOVES: &[&str] = &["MoveAccount"];

    fn bundled_world(name: &str) -> SimState {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("corpus/worlds")
            .join(name);
        SimState::from_world_file(&path).expect("world")
    }

    /// What the differential sequences exercised.
    #[derive(Debug, Default)]
    struct Exercised {
        /// Steps after which the monitor refreshed (an identity was written).
        refreshes: usize,
        /// Rows whose answers moved while their principal's fingerprint did not (a peering
        /// answer toward an account that moved).
        moved_with_own_inputs_unchanged: usize,
        /// Callers whose permitted APIs the generator read from the monitor's rows.
        weights_from_rows: usize,
    }

    /// Runs `steps` steps generated from `initial` (as `check` generates them, through the
    /// real gateway; moves from `actions`, seed `seed`) and checks after every step that the
    /// incremental snapshot equals a recomputation from scratch. `Err` names the first step
    /// after which they differ.
    fn differential(
        initial: &SimState,
        actions: &[&str],
        seed: u64,
        steps: u32,
        seen: &mut Exercised,
    ) -> Result<(), String> {
        use crate::check::generate::Generator;
        use crate::check::prng::Rng;
        use crate::check::Exec;
        let probes = probe_table(initial);
        let board = RowBoard::default();
        let mut monitor =
            EscalationMonitor::with_probes(initial, Arc::clone(&probes), board.clone());
        let actions: Vec<String> = actions.iter().map(|a| (*a).to_string()).collect();
        let mut generator =
            Generator::with_probes(initial, &actions, &[], Arc::clone(&probes), board);
        let mut plain = Generator::with_probes(initial, &actions, &[], probes, RowBoard::default());
        let mut exec = Exec::new(initial.clone(), false);
        let mut rng = Rng::new(seed);
        let mut focus: Option<String> = None;
        for i in 0..steps {
            let g = generator.next(&mut rng, &exec.gw.state, focus.as_deref());
            let step = exec.step_from(i, g);
            let ran = exec.run(&step);
            if ran.result.as_ref().is_some_and(|r| r.is_success()) {
                focus = ran.caller.clone();
            }
            let info = StepInfo {
                caller: ran.caller.as_deref(),
                request_id: ran.request_id.as_deref(),
                audit_before: ran.audit_before,
            };
            let before: BTreeMap<String, (u64, Arc<Vec<bool>>)> = monitor
                .current
                .rows
                .iter()
                .map(|(k, r)| (k.clone(), (r.fingerprint, Arc::clone(&r.allowed))))
                .collect();
            let generation = monitor.generation;
            let _ = monitor.check(&exec.gw.state, &info);
            if monitor.generation != generation {
                seen.refreshes += 1;
            }
            seen.moved_with_own_inputs_unchanged += monitor
                .current
                .rows
                .iter()
                .filter(|(k, r)| {
                    before
                        .get(*k)
                        .is_some_and(|(fp, was)| *fp == r.fingerprint && *was != r.allowed)
                })
                .count();
            if let Some(differs) = monitor.incremental_differs(&exec.gw.state) {
                return Err(format!(
                    "after step {} ({:?}): {differs}",
                    i + 1,
                    ran.action
                ));
            }
            // The generator's permitted APIs read from the rows just published equal the
            // decided ones.
            seen.weights_from_rows += generator
                .weights_agree_with(&mut plain, &exec.gw.state)
                .map_err(|e| format!("after step {} ({:?}): {e}", i + 1, ran.action))?;
        }
        Ok(())
    }

    /// Incremental refresh == recomputation from scratch after every step of random
    /// sequences on the bundled worlds with identity moves: trust rewrites, minted keys,
    /// sessions with and without session policies, attachments, versions, account moves,
    /// clock advances.
    #[test]
    fn incremental_refresh_equals_a_recomputation_from_scratch_after_every_step() {
        use proptest::prelude::*;
        let worlds: Vec<SimState> = WORLDS.iter().map(|(w, _)| bundled_world(w)).collect();
        let seen = std::cell::RefCell::new(Exercised::default());
        proptest!(ProptestConfig::with_cases(32), |(w in 0..WORLDS.len(), seed in any::<u64>())| {
            let (name, actions) = WORLDS[w];
            let result = differential(&worlds[w], actions, seed, 60, &mut seen.borrow_mut());
            prop_assert!(result.is_ok(), "{name} seed {seed}, {}", result.err().unwrap_or_default());
        });
        // The sequences did write identities (the property is not vacuous), and the
        // generator did read rows.
        let refreshes = seen.borrow().refreshes;
        assert!(refreshes > 100, "{refreshes} refreshes");
        let from_rows = seen.borrow().weights_from_rows;
        assert!(
            from_rows > 100,
            "{from_rows} callers' weights read from rows"
        );
    }

    /// The same property on the account-move world for fixed seeds, so that it always runs:
    /// an account move must refresh the peering answers toward the moved account of every
    /// principal, also of those whose own inputs did not move (their fingerprint is
    /// unchanged; only the directory layout their `acs:TargetRDPath` probes read moved).
    #[test]
    fn account_moves_refresh_the_peering_rows_of_principals_whose_inputs_did_not_move() {
        let (name, actions) = WORLDS[WORLDS.len() - 1];
        let initial = bundled_world(name);
        let mut seen = Exercised::default();
        for seed in 0..6 {
            if let Err(e) = differential(&initial, actions, seed, 60, &mut seen) {
                panic!("{name} seed {seed}, {e}");
            }
        }
        assert!(
            seen.moved_with_own_inputs_unchanged > 0,
            "no account move changed the answers of a principal whose inputs stayed: {seen:?}"
        );
    }

    /// The differential test is not blind to the per-action shortcut of resource-blind
    /// stores: with it applied to every store, also to stores whose statements tell resources
    /// apart, rows differ from the recomputation on the bundled worlds.
    #[test]
    fn answering_probes_alike_for_stores_that_read_the_resource_is_caught() {
        let worlds: Vec<SimState> = WORLDS.iter().map(|(w, _)| bundled_world(w)).collect();
        IGNORE_RESOURCE_READS.with(|f| f.set(true));
        let caught = (0..4).any(|seed| {
            WORLDS.iter().zip(&worlds).any(|((_, actions), w)| {
                differential(w, actions, seed, 30, &mut Exercised::default()).is_err()
            })
        });
        IGNORE_RESOURCE_READS.with(|f| f.set(false));
        assert!(
            caught,
            "no row differed with the shortcut applied to every store"
        );
    }

    use std::path::Path;
}
