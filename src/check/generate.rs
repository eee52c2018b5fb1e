//! Random call generation: callers drawn from the world's principals, APIs from the catalog
//! (mostly ones the caller is permitted to call, per the engine), parameters drawn mostly
//! from objects that exist so that sequences make progress, and sometimes invalid.

use super::invariant::escalation::{
    fingerprint, layout_hash, principal_key, probe_table, ProbeDecider, ProbeTable,
};
use super::invariant::rows::RowBoard;
use super::prng::Rng;
use crate::api::catalog::CATALOG;
use crate::api::decision::trust_of;
use crate::api::SimState;
use crate::iam::model::{Grantee, PolicyType};
use crate::iam::Caller;
use crate::policy::pattern::Wildcard;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

mod cen;
mod cms;

/// Identity-policy documents the generator creates, simplest first.
pub const DOCS: &[&str] = &[
    r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
    r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"ram:*","Resource":"*"}]}"#,
    r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":["vpc:*","cdt:*"],"Resource":"*"}]}"#,
    r#"{"Version":"1","Statement":[{"Effect":"Deny","Action":"vpc:*VpcPeerConnection","Resource":"*"}]}"#,
    r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":["vpc:Describe*","vpc:Get*","vpc:List*"],"Resource":"*"}]}"#,
];

/// An invalid document (rejected by RAM's validator).
pub const BAD_DOC: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"allow"}]}"#;

/// Control-policy documents the generator creates.
pub const CONTROL_DOCS: &[&str] = &[
    r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
    r#"{"Version":"1","Statement":[{"Effect":"Deny","Action":"vpc:*","Resource":"*"}]}"#,
];

/// System policies the generator attaches.
pub const SYSTEM_POLICIES: &[&str] = &[
    "AdministratorAccess",
    "AliyunVPCFullAccess",
    "AliyunCDTFullAccess",
    "AliyunRAMFullAccess",
];

/// Clock advances, in seconds (the last one passes the 7-day peering expiry).
pub const ADVANCES: &[i64] = &[60, 3_600, 86_400, 7 * 86_400 + 1];

/// A generated step, with literal values.
#[derive(Debug, Clone, PartialEq)]
pub enum Generated {
    /// A call.
    Call {
        /// Envelope caller.
        caller: String,
        /// API name.
        action: String,
        /// Parameters (strings).
        params: Map<String, Value>,
    },
    /// A clock advance, in seconds.
    Advance(i64),
}

/// The caller list and when it is valid (see `Generator::callers_cache`).
#[derive(Debug)]
struct CallersCache {
    generation: u64,
    from: i64,
    until: i64,
    list: Arc<Vec<CallerEntry>>,
}

/// A caller the generator can use.
#[derive(Debug, Clone)]
struct CallerEntry {
    /// What goes in the envelope.
    who: String,
    /// The resolved identity.
    caller: Caller,
}

/// `--principals`: patterns over caller labels (`name@ALIAS`, `root@ALIAS`,
/// `role/NAME@ALIAS`); a leading `!` excludes. Empty: everyone.
#[derive(Debug, Clone, Default)]
pub struct PrincipalFilter {
    include: Vec<Wildcard>,
    exclude: Vec<Wildcard>,
}

impl PrincipalFilter {
    /// Parses a comma-separated list.
    pub fn parse(list: &[String]) -> PrincipalFilter {
        let mut f = PrincipalFilter::default();
        for item in list.iter().flat_map(|l| l.split(',')) {
            let item = item.trim();
            if item.is_empty() {
                continue;
            }
            match item.strip_prefix('!') {
                Some(x) => f.exclude.push(Wildcard::new(x)),
                None => f.include.push(Wildcard::new(item)),
            }
        }
        f
    }

    fn matches_any(patterns: &[Wildcard], labels: &[String]) -> bool {
        patterns.iter().any(|p| {
            labels.iter().any(|l| {
                p.matches(l)
                    || (!p.as_str().contains('@')
                        && l.split('@').next().is_some_and(|name| p.matches(name)))
            })
        })
    }

    /// True when a principal with the labels `labels` gives may call (they are built only
    /// when there is a pattern to match: the caller list is rebuilt after identity writes).
    fn allows(&self, labels: impl FnOnce() -> Vec<String>) -> bool {
        if self.include.is_empty() && self.exclude.is_empty() {
            return true;
        }
        let labels = labels();
        (self.include.is_empty() || Self::matches_any(&self.include, &labels))
            && !Self::matches_any(&self.exclude, &labels)
    }
}

/// Names the world's own policies mention (`acs:ram::*:policy/team-*` suggests `team-x`).
#[derive(Debug, Clone, Default)]
struct Hints {
    users: Vec<String>,
    groups: Vec<String>,
    roles: Vec<String>,
    policies: Vec<String>,
}

fn harvest_hints(state: &SimState) -> Hints {
    let mut h = Hints::default();
    let mut resources = Vec::new();
    for acct in state.iam.accounts.values() {
        for p in acct.policies.values() {
            for v in &p.versions {
                let Ok(doc) = serde_json::from_str::<Value>(&v.document) else {
                    continue;
                };
                let statements = match doc.get("Statement") {
                    Some(Value::Array(s)) => s.clone(),
                    Some(other) => vec![other.clone()],
                    None => Vec::new(),
                };
                for s in statements {
                    match s.get("Resource") {
                        Some(Value::String(r)) => resources.push(r.clone()),
                        Some(Value::Array(rs)) => resources
                            .extend(rs.iter().filter_map(|r| r.as_str().map(str::to_string))),
                        _ => {}
                    }
                }
            }
        }
    }
    for r in resources {
        // acs:ram::<account>:<kind>/<name>
        let Some((_, rel)) = r.strip_prefix("acs:ram::").and_then(|x| x.split_once(':')) else {
            continue;
        };
        let Some((kind, pattern)) = rel.split_once('/') else {
            continue;
        };
        if pattern.chars().all(|c| c == '*') {
            continue;
        }
        let name: String = pattern
            .chars()
            .map(|c| if c == '*' || c == '?' { 'x' } else { c })
            .collect();
        let list = match kind {
            "user" => &mut h.users,
            "group" => &mut h.groups,
            "role" => &mut h.roles,
            "policy" => &mut h.policies,
            _ => continue,
        };
        if !list.contains(&name) {
            list.push(name);
        }
    }
    h
}

/// Relative weight of an API within its group ([`group_of`]).
fn weight(api: &str) -> u32 {
    match api {
        "CreateVpcPeerConnection" | "CreateTransitRouterVpcAttachment" => 8,
        "GrantInstanceToTransitRouter" => 6,
        "CreateCen" => 3,
        "AcceptVpcPeerConnection" => 5,
        "CreateRouteEntry" | "CreatePolicy" | "AttachPolicyToUser" | "AssumeRole" => 3,
        "DeleteVpcPeerConnection"
        | "CreatePolicyVersion"
        | "AttachPolicyToRole"
        | "AttachControlPolicy"
        | "DetachControlPolicy"
        | "SetDefaultPolicyVersion"
        | "UpdateRole"
        | "CreateAccessKey"
        | "AddUserToGroup"
        | "MoveAccount" => 2,
        _ => 1,
    }
}

/// Move groups, each given a fixed share of the picks ([`GROUP_SHARES`]) whatever the number
/// of APIs in it: identity moves (RAM, Resource Manager, STS: what changes who can do what),
/// peering and routing (what the bundled network invariants are about), and the rest of the
/// network catalog. Without the shares, the ~110 other network APIs dilute the identity moves
/// more with every product added to the catalog.
fn group_of(entry: &crate::api::catalog::ApiEntry) -> usize {
    match entry.product {
        "Ram" | "ResourceManager" | "Sts" => 0,
        "VpcPeer" => 1,
        _ if entry.api.contains("RouteEntry") => 1,
        _ => 2,
    }
}

/// Shares of the picks, in percent, of the groups of [`group_of`] (ASSUMED tuning: measured on
/// the bundled escalation worlds, see BENCHMARKS.md).
const GROUP_SHARES: [u64; 3] = [45, 35, 20];

/// Weights scaled so that each group of the APIs in play gets its share of the picks.
fn scaled_weights(apis: &[(usize, u32)]) -> Vec<(usize, u32)> {
    let mut totals = [0u64; 3];
    for (i, w) in apis {
        totals[group_of(&CATALOG[*i])] += u64::from(*w);
    }
    apis.iter()
        .map(|(i, w)| {
            let g = group_of(&CATALOG[*i]);
            let scaled = u64::from(*w) * GROUP_SHARES[g] * 10_000 / totals[g].max(1);
            (*i, u32::try_from(scaled.max(1)).unwrap_or(u32::MAX))
        })
        .collect()
}

/// The step generator for one world.
pub struct Generator {
    /// Build parameters of the CloudMonitor rule APIs (set by the checker when traffic moves
    /// are on; see `generate/cms.rs`).
    pub(crate) cost_moves: bool,
    /// Catalog indexes of the APIs in play, with weights.
    apis: Vec<(usize, u32)>,
    filter: PrincipalFilter,
    /// Probes of the initial world per account.
    probes: ProbeTable,
    /// Per account, per position in `apis`: the indexes of that API's action's probes.
    probes_by_api: BTreeMap<String, Vec<Vec<u32>>>,
    time: crate::cloud::Timestamp,
    hints: Hints,
    /// Custom policies of the initial world: `(account, name)`.
    initial_policies: BTreeSet<(String, String)>,
    /// AccessKeyIds of the initial world: keys created during a run join the caller pool.
    initial_keys: BTreeSet<String>,
    /// Pick weights of the APIs in play for a caller (0 = not permitted), by (principal key,
    /// fingerprint, [`Generator::world_key`]). Shared, not cloned, on every step.
    permitted: HashMap<(String, u64, u64), Arc<Vec<u32>>>,
    /// What besides a caller's own policies its permitted APIs depend on — every role's trust
    /// policy (`sts:AssumeRole`) and the directory layout (peering toward an account's RD
    /// path) — hashed, as of an IAM generation: a trust rewrite or an account move makes the
    /// cached weights stale even though the caller's policies did not change. Kept with the
    /// IAM generation it was computed at and the directory layout alone (the key of the
    /// escalation monitor's rows on `board`).
    world_key: (u64, u64, u64),
    /// The escalation monitor's rows of roots and users, when it runs in the same check:
    /// permitted APIs read them instead of deciding the same probes again.
    board: RowBoard,
    /// The roles the `sts:AssumeRole` probes name (ARNs, sorted).
    assume_roles: Vec<String>,
    /// Pick weights of all APIs in play, permitted or not.
    all_weights: Vec<u32>,
    /// Pick weights per caller (sessions by AccessKey) as of a policy generation and world
    /// key, for the current run: they can only change when a decision-changing write, a trust
    /// rewrite or an account move happens, so most steps skip the fingerprint and go straight
    /// to the weights.
    weights_at: HashMap<Caller, (u64, u64, Arc<Vec<u32>>)>,
    session_counter: u64,
    /// Positions in `apis` of the APIs this check has not generated yet: half of the
    /// exploration picks go to one of them, so the whole catalog is covered within a budget
    /// however many APIs share a group's weight (coverage guidance, as fuzzers do).
    uncalled: Vec<usize>,
    /// For each position in `apis`, its index in `uncalled` (`usize::MAX` once called): the
    /// removal of a called API is O(1), with the same order as a search of `uncalled` would
    /// give.
    uncalled_at: Vec<usize>,
    /// Callers as of an IAM generation, valid over a clock interval `[from, until)`: the list
    /// only changes with an identity change or when a role session expires.
    callers_cache: Option<CallersCache>,
}

/// The hash of what permitted APIs depend on besides the caller's own policies (see
/// `Generator::world_key`): the trust policies of the roles the `sts:AssumeRole` probes name
/// (a role created during the run is not probed, so creating one changes nothing) and the
/// directory layout; with the generation it is computed at and the layout alone.
fn world_key(state: &SimState, assume_roles: &[String]) -> (u64, u64, u64) {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for arn in assume_roles {
        trust_of(state, arn).hash(&mut h);
    }
    let layout = layout_hash(state);
    (
        state.iam.generation,
        h.finish() ^ layout.rotate_left(17),
        layout,
    )
}

impl Generator {
    /// A generator for runs from `initial`; `actions` are `--actions` patterns over RAM actions
    /// (`vpc:*Peer*`) or API names, `principals` the `--principals` filter.
    pub fn new(initial: &SimState, actions: &[String], principals: &[String]) -> Generator {
        Generator::with_probes(
            initial,
            actions,
            principals,
            probe_table(initial),
            RowBoard::default(),
        )
    }

    /// [`Generator::new`] with the initial world's probes already computed, reading the
    /// escalation monitor's rows from `board`.
    pub(crate) fn with_probes(
        initial: &SimState,
        actions: &[String],
        principals: &[String],
        probes: ProbeTable,
        board: RowBoard,
    ) -> Generator {
        let patterns: Vec<Wildcard> = actions
            .iter()
            .flat_map(|a| a.split(','))
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(|a| Wildcard::new(&a.to_ascii_lowercase()))
            .collect();
        let apis: Vec<(usize, u32)> = CATALOG
            .iter()
            .enumerate()
            // Reading the audit trail changes nothing an invariant looks at.
            .filter(|(_, e)| e.product != "Actiontrail")
            // A step names its action only, so an API name several products declare (NLB's
            // and CLB's `CreateLoadBalancer`) cannot be called until steps carry a product.
            .filter(|(_, e)| !crate::api::catalog::is_shared_api(e.api))
            .filter(|(_, e)| {
                patterns.is_empty()
                    || patterns.iter().any(|p| {
                        p.matches(&e.action.to_ascii_lowercase())
                            || p.matches(&e.api.to_ascii_lowercase())
                    })
            })
            .map(|(i, e)| (i, weight(e.api)))
            .collect();
        let apis = scaled_weights(&apis);
        let apis_len = apis.len();
        let assume_roles: Vec<String> = probes
            .values()
            .flatten()
            .filter(|p| p.action == "sts:AssumeRole")
            .map(|p| p.resource.clone())
            .collect::<BTreeSet<String>>()
            .into_iter()
            .collect();
        let probes_by_api = probes
            .iter()
            .map(|(uid, list)| {
                // Probes of one action come in a row: one map entry per run of them.
                let mut by_action: HashMap<&str, Vec<u32>> = HashMap::new();
                let mut k = 0;
                while k < list.len() {
                    let action = list[k].action;
                    let end = list[k..]
                        .iter()
                        .position(|p| p.action != action)
                        .map_or(list.len(), |n| k + n);
                    by_action
                        .entry(action)
                        .or_default()
                        .extend((k..end).map(|i| u32::try_from(i).unwrap_or(u32::MAX)));
                    k = end;
                }
                let per_api = apis
                    .iter()
                    .map(|(i, _)| {
                        by_action
                            .get(CATALOG[*i].action)
                            .cloned()
                            .unwrap_or_default()
                    })
                    .collect();
                (uid.clone(), per_api)
            })
            .collect();
        let initial_policies = initial
            .iam
            .accounts
            .iter()
            .flat_map(|(a, acct)| acct.policies.keys().map(move |p| (a.clone(), p.clone())))
            .collect();
        let initial_keys = initial
            .iam
            .accounts
            .values()
            .flat_map(|a| a.users.values())
            .flat_map(|u| u.access_keys.iter().map(|k| k.id.clone()))
            .collect();
        Generator {
            cost_moves: false,
            initial_keys,
            all_weights: apis.iter().map(|(_, w)| *w).collect(),
            apis,
            filter: PrincipalFilter::parse(principals),
            probes,
            probes_by_api,
            world_key: world_key(initial, &assume_roles),
            board,
            assume_roles,
            time: initial.world.now(),
            hints: harvest_hints(initial),
            initial_policies,
            permitted: HashMap::new(),
            weights_at: HashMap::new(),
            session_counter: 0,
            uncalled: (0..apis_len).collect(),
            uncalled_at: (0..apis_len).collect(),
            callers_cache: None,
        }
    }

    /// Number of APIs in play.
    pub fn api_count(&self) -> usize {
        self.apis.len()
    }

    /// Resets per-run counters.
    pub fn reset(&mut self) {
        self.session_counter = 0;
        self.callers_cache = None;
        self.weights_at.clear();
    }

    fn callers(&self, state: &SimState) -> Vec<CallerEntry> {
        let w = &state.world;
        fn alias<'a>(w: &'a crate::cloud::World, uid: &'a str) -> &'a str {
            w.account(uid)
                .and_then(|a| a.alias.as_deref())
                .unwrap_or(uid)
        }
        let labels = |base: &str, uid: &str| {
            vec![
                [base, "@", alias(w, uid)].concat(),
                [base, "@", uid].concat(),
            ]
        };
        let mut out = Vec::new();
        for a in w.accounts() {
            if self.filter.allows(|| labels("root", &a.uid)) {
                out.push(CallerEntry {
                    who: ["root@", alias(w, &a.uid)].concat(),
                    caller: Caller::Root {
                        account: a.uid.clone(),
                    },
                });
            }
        }
        for (uid, acct) in &state.iam.accounts {
            for (u, user) in &acct.users {
                if self.filter.allows(|| labels(u, uid)) {
                    let caller = Caller::User {
                        account: uid.clone(),
                        name: u.clone(),
                    };
                    // AccessKeys created during the run are callers of their own: whoever
                    // minted one can now call as its user.
                    for k in user
                        .access_keys
                        .iter()
                        .filter(|k| k.status == "Active" && !self.initial_keys.contains(&k.id))
                    {
                        out.push(CallerEntry {
                            who: k.id.clone(),
                            caller: caller.clone(),
                        });
                    }
                    out.push(CallerEntry {
                        who: [u, "@", alias(w, uid)].concat(),
                        caller,
                    });
                }
            }
        }
        let now = w.now().epoch();
        for s in state.iam.sessions.values() {
            if s.is_live(now)
                && self
                    .filter
                    .allows(|| labels(&format!("role/{}", s.role), &s.account))
            {
                out.push(CallerEntry {
                    who: s.access_key_id.clone(),
                    caller: Caller::Session {
                        account: s.account.clone(),
                        role: s.role.clone(),
                        session: s.session_name.clone(),
                        access_key_id: s.access_key_id.clone(),
                    },
                });
            }
        }
        out
    }

    /// For each API in play, its pick weight for `caller`: 0 unless the engine permits the
    /// caller to call it on some resource.
    fn permitted_weights(&mut self, state: &SimState, caller: &Caller) -> Arc<Vec<u32>> {
        let generation = state.iam.policy_generation;
        if self.world_key.0 != state.iam.generation {
            self.world_key = world_key(state, &self.assume_roles);
        }
        let key = self.world_key.1;
        if let Some((g, k, weights)) = self.weights_at.get(caller) {
            if *g == generation && *k == key {
                return Arc::clone(weights);
            }
        }
        let weights = self.weights_for_fingerprint(state, caller);
        self.weights_at
            .insert(caller.clone(), (generation, key, Arc::clone(&weights)));
        weights
    }

    /// The pick weights for `caller`, shared by every caller and run with the same principal
    /// and policy fingerprint.
    fn weights_for_fingerprint(&mut self, state: &SimState, caller: &Caller) -> Arc<Vec<u32>> {
        let key = (
            principal_key(caller),
            fingerprint(state, caller),
            self.world_key.1,
        );
        if let Some(p) = self.permitted.get(&key) {
            return Arc::clone(p);
        }
        let probes = self
            .probes
            .get(caller.account())
            .map_or(&[][..], Vec::as_slice);
        let by_api = self
            .probes_by_api
            .get(caller.account())
            .map_or(&[][..], Vec::as_slice);
        // The monitor's row answers every probe but `sts:AssumeRole` (its edges are decided
        // apart, toward the current roles): roots and users have the same store, principal
        // and context there (no expiry, no session policy or AccessKeyId).
        let row = self.board.get(&key.0, key.1, self.world_key.2);
        let mut decider: Option<ProbeDecider> = None;
        let result: Arc<Vec<u32>> = Arc::new(
            self.apis
                .iter()
                .enumerate()
                .map(|(position, (i, weight))| {
                    let action = CATALOG[*i].action;
                    let list = by_api.get(position).map_or(&[][..], Vec::as_slice);
                    let permitted = match &row {
                        Some(row) if action != "sts:AssumeRole" => list
                            .iter()
                            .any(|k| row.get(*k as usize).copied().unwrap_or(false)),
                        _ => {
                            let decider = decider
                                .get_or_insert_with(|| ProbeDecider::new(state, caller, self.time));
                            decider.may_allow(action)
                                && list
                                    .iter()
                                    .filter_map(|k| probes.get(*k as usize))
                                    .any(|p| decider.allows(state, p))
                        }
                    };
                    if permitted {
                        *weight
                    } else {
                        0
                    }
                })
                .collect(),
        );
        self.permitted.insert(key, Arc::clone(&result));
        result
    }

    /// Generates the next step for `state`; `focus` is the caller of the last successful call.
    pub fn next(&mut self, rng: &mut Rng, state: &SimState, focus: Option<&str>) -> Generated {
        let generation = state.iam.generation;
        let now = state.world.now().epoch();
        let callers = match &self.callers_cache {
            Some(c) if c.generation == generation && (c.from..c.until).contains(&now) => {
                Arc::clone(&c.list)
            }
            _ => {
                let list = Arc::new(self.callers(state));
                let until = state
                    .iam
                    .sessions
                    .values()
                    .filter(|s| s.is_live(now))
                    .map(|s| s.expires)
                    .min()
                    .unwrap_or(i64::MAX);
                self.callers_cache = Some(CallersCache {
                    generation,
                    from: now,
                    until,
                    list: Arc::clone(&list),
                });
                list
            }
        };
        if rng.chance(5) || callers.is_empty() || self.apis.is_empty() {
            let secs = ADVANCES[rng.below(ADVANCES.len())];
            return Generated::Advance(secs);
        }
        let entry = match focus.and_then(|f| callers.iter().find(|c| c.who == f)) {
            Some(c) if rng.chance(50) => c.clone(),
            _ => callers[rng.below(callers.len())].clone(),
        };
        let weights = self.permitted_weights(state, &entry.caller);
        let pick = if rng.chance(85) {
            rng.weighted(&weights)
        } else {
            None
        };
        let position = match pick {
            Some(i) => i,
            None if !self.uncalled.is_empty() && rng.chance(50) => {
                self.uncalled[rng.below(self.uncalled.len())]
            }
            None => rng.weighted(&self.all_weights).unwrap_or(0),
        };
        if let Some(&at) = self.uncalled_at.get(position) {
            if at != usize::MAX {
                self.uncalled.swap_remove(at);
                // The last entry moved into `at`.
                if let Some(&moved) = self.uncalled.get(at) {
                    self.uncalled_at[moved] = at;
                }
                self.uncalled_at[position] = usize::MAX;
            }
        }
        let api_index = self.apis[position].0;
        let api = CATALOG[api_index].api;
        let mut who = entry.who.clone();
        if rng.chance(1) {
            who = "nobody@nowhere".into();
        }
        let params = {
            let mut p = Params {
                rng,
                state,
                caller: &entry.caller,
                generator: self,
                invalid: false,
            };
            p.invalid = p.rng.chance(4);
            p.build(api)
        };
        Generated::Call {
            caller: who,
            action: api.to_string(),
            params,
        }
    }
}

struct Params<'a, 'r> {
    rng: &'r mut Rng,
    state: &'a SimState,
    caller: &'a Caller,
    generator: &'r mut Generator,
    /// Use an invalid value for the main parameter.
    invalid: bool,
}

fn obj(pairs: &[(&str, String)]) -> Map<String, Value> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_string(), Value::String(v.clone())))
        .collect()
}

impl Params<'_, '_> {
    fn account(&self) -> &str {
        self.caller.account()
    }

    fn pick_str(&mut self, items: &[String], fallback: &str) -> String {
        if self.invalid || items.is_empty() {
            return fallback.to_string();
        }
        items[self.rng.below(items.len())].clone()
    }

    fn regions(&self) -> Vec<String> {
        let mut r: Vec<String> = self
            .state
            .world
            .vpcs()
            .map(|v| v.region_id.clone())
            .collect();
        r.sort();
        r.dedup();
        if r.is_empty() {
            r.push("cn-hangzhou".into());
        }
        r
    }

    fn own_vpcs(&self) -> Vec<String> {
        let a = self.account();
        self.state
            .world
            .vpcs()
            .filter(|v| v.owner_uid == a)
            .map(|v| v.vpc_id.clone())
            .collect()
    }

    fn own_vpc(&mut self) -> Option<String> {
        let own = self.own_vpcs();
        let all: Vec<String> = self.state.world.vpcs().map(|v| v.vpc_id.clone()).collect();
        if !own.is_empty() && self.rng.chance(90) {
            Some(own[self.rng.below(own.len())].clone())
        } else {
            self.rng.pick(&all).cloned()
        }
    }

    fn peerings_involving(&self, pending_accepter: bool) -> Vec<String> {
        let w = &self.state.world;
        let a = self.account();
        w.peerings()
            .filter(|p| {
                if pending_accepter {
                    p.accepting_owner_uid == a
                        && w.peering_status(&p.instance_id)
                            == Some(crate::cloud::vpcpeer::PeerStatus::Accepting)
                } else {
                    p.involves_account(a)
                }
            })
            .map(|p| p.instance_id.clone())
            .collect()
    }

    fn peering(&mut self, pending_accepter: bool) -> String {
        let mine = self.peerings_involving(pending_accepter);
        let all: Vec<String> = self
            .state
            .world
            .peerings()
            .map(|p| p.instance_id.clone())
            .collect();
        if !mine.is_empty() && self.rng.chance(85) {
            return self.pick_str(&mine, "pcc-nosuchpeering00");
        }
        self.pick_str(&all, "pcc-nosuchpeering00")
    }

    fn acct_names(&self, f: impl Fn(&crate::iam::model::AccountIam) -> Vec<String>) -> Vec<String> {
        self.state
            .iam
            .accounts
            .get(self.account())
            .map(f)
            .unwrap_or_default()
    }

    fn new_name(&mut self, hints: &[String], pool: &[&str], bad: &str) -> String {
        if self.invalid {
            return bad.to_string();
        }
        if !hints.is_empty() && self.rng.chance(60) {
            return hints[self.rng.below(hints.len())].clone();
        }
        pool[self.rng.below(pool.len())].to_string()
    }

    fn doc(&mut self) -> String {
        if self.invalid {
            return BAD_DOC.to_string();
        }
        DOCS[self.rng.below(DOCS.len())].to_string()
    }

    fn trust_doc(&mut self) -> String {
        let uids: Vec<String> = self.state.world.accounts().map(|a| a.uid.clone()).collect();
        let uid = if self.rng.chance(60) {
            self.account().to_string()
        } else {
            self.rng
                .pick(&uids)
                .cloned()
                .unwrap_or_else(|| self.account().to_string())
        };
        json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
            "Principal": {"RAM": [format!("acs:ram::{uid}:root")]}}]})
        .to_string()
    }

    /// `(PolicyType, PolicyName)` to attach: mostly a policy created in this run.
    fn policy_ref(&mut self) -> (String, String) {
        let a = self.account().to_string();
        let customs = self.acct_names(|x| x.policies.keys().cloned().collect());
        let fresh: Vec<String> = customs
            .iter()
            .filter(|p| {
                !self
                    .generator
                    .initial_policies
                    .contains(&(a.clone(), (*p).clone()))
            })
            .cloned()
            .collect();
        if !fresh.is_empty() && self.rng.chance(60) {
            return ("Custom".into(), self.pick_str(&fresh, "nosuchpolicy"));
        }
        if !customs.is_empty() && self.rng.chance(50) {
            return ("Custom".into(), self.pick_str(&customs, "nosuchpolicy"));
        }
        let sys: Vec<String> = SYSTEM_POLICIES.iter().map(|s| s.to_string()).collect();
        ("System".into(), self.pick_str(&sys, "NoSuchSystemPolicy"))
    }

    /// A grantee name of `kind` (`User`, `Group`, `Role`): mostly the caller itself.
    fn grantee(&mut self, kind: &str) -> String {
        let own = match (kind, self.caller) {
            ("User", Caller::User { name, .. }) => Some(name.clone()),
            ("Role", Caller::Session { role, .. }) => Some(role.clone()),
            ("Group", Caller::User { name, account }) => self
                .state
                .iam
                .accounts
                .get(account)
                .and_then(|a| a.users.get(name))
                .and_then(|u| u.groups.first().cloned()),
            _ => None,
        };
        if let Some(own) = own {
            if self.rng.chance(60) {
                return own;
            }
        }
        let names = self.acct_names(|x| match kind {
            "User" => x.users.keys().cloned().collect(),
            "Group" => x.groups.keys().cloned().collect(),
            _ => x.roles.keys().cloned().collect(),
        });
        self.pick_str(&names, "nosuchprincipal")
    }

    fn attachment(
        &mut self,
        kind: &str,
        rg: bool,
    ) -> Option<(String, String, String, Option<String>)> {
        let list: Vec<_> = self
            .state
            .iam
            .accounts
            .get(self.account())
            .map(|a| {
                a.attachments
                    .iter()
                    .filter(|x| x.resource_group.is_some() == rg)
                    .filter_map(|x| {
                        let (k, n) = match &x.grantee {
                            Grantee::User(n) => ("User", n),
                            Grantee::Group(n) => ("Group", n),
                            Grantee::Role(n) => ("Role", n),
                        };
                        (rg || k == kind).then(|| {
                            (
                                match x.policy_type {
                                    PolicyType::Custom => "Custom".to_string(),
                                    PolicyType::System => "System".to_string(),
                                },
                                x.policy.clone(),
                                if rg { format!("{k}:{n}") } else { n.clone() },
                                x.resource_group.clone(),
                            )
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        if list.is_empty() || self.invalid {
            return None;
        }
        Some(list[self.rng.below(list.len())].clone())
    }

    fn build(&mut self, api: &str) -> Map<String, Value> {
        let state: &SimState = self.state;
        let w = &state.world;
        let regions = self.regions();
        match api {
            "CreateVpcPeerConnection" => {
                let Some(from) = self.own_vpc().and_then(|id| w.vpc(&id).cloned()) else {
                    return Map::new();
                };
                let others: Vec<_> = w.vpcs().filter(|v| v.vpc_id != from.vpc_id).collect();
                let Some(to) = others.get(self.rng.below(others.len())).copied() else {
                    return obj(&[
                        ("RegionId", from.region_id.clone()),
                        ("VpcId", from.vpc_id.clone()),
                    ]);
                };
                let mut uid = to.owner_uid.clone();
                if self.rng.chance(5) {
                    let uids: Vec<String> = w.accounts().map(|a| a.uid.clone()).collect();
                    uid = self.rng.pick(&uids).cloned().unwrap_or(uid);
                }
                let vpc_id = if self.invalid {
                    "vpc-nosuchvpc000000".to_string()
                } else {
                    from.vpc_id.clone()
                };
                let mut m = obj(&[
                    ("RegionId", from.region_id.clone()),
                    ("VpcId", vpc_id),
                    ("AcceptingAliUid", uid),
                    ("AcceptingRegionId", to.region_id.clone()),
                    ("AcceptingVpcId", to.vpc_id.clone()),
                ]);
                if from.region_id != to.region_id && self.rng.chance(50) {
                    m.insert(
                        "Bandwidth".into(),
                        Value::String(["512", "1024"][self.rng.below(2)].into()),
                    );
                }
                m
            }
            "AcceptVpcPeerConnection" | "RejectVpcPeerConnection" => {
                obj(&[("InstanceId", self.peering(true))])
            }
            "ModifyVpcPeerConnection" => {
                let mut m = obj(&[
                    ("InstanceId", self.peering(false)),
                    ("Name", "renamed".into()),
                ]);
                if self.rng.chance(30) {
                    m.insert("Bandwidth".into(), Value::String("512".into()));
                }
                m
            }
            "DeleteVpcPeerConnection" => {
                let mut m = obj(&[("InstanceId", self.peering(false))]);
                if self.rng.chance(30) {
                    m.insert("Force".into(), Value::String("true".into()));
                }
                m
            }
            "GetVpcPeerConnectionAttribute" => obj(&[("InstanceId", self.peering(false))]),
            "ListVpcPeerConnections" | "DescribeVpcs" => {
                obj(&[("RegionId", self.pick_str(&regions, "cn-nowhere"))])
            }
            "CreateVpc" => {
                let cidr = if self.invalid {
                    "10.0.0.0/33".to_string()
                } else {
                    ["10.100.0.0/16", "172.20.0.0/16", "192.168.100.0/24"][self.rng.below(3)]
                        .to_string()
                };
                obj(&[
                    ("RegionId", self.pick_str(&regions, "cn-nowhere")),
                    ("CidrBlock", cidr),
                ])
            }
            "CreateVSwitch" => {
                let Some(v) = self.own_vpc().and_then(|id| w.vpc(&id).cloned()) else {
                    return Map::new();
                };
                let k = self.rng.below(4);
                let cidr = if v.cidr_block.prefix_len() <= 24 {
                    v.cidr_block
                        .subnets(24)
                        .ok()
                        .and_then(|mut s| s.nth(k))
                        .map_or_else(|| v.cidr_block.to_string(), |n| n.to_string())
                } else {
                    v.cidr_block.to_string()
                };
                let zones = w.zones_of(&v.region_id);
                let zone = zones
                    .get(self.rng.below(zones.len().min(3)))
                    .cloned()
                    .unwrap_or_default();
                obj(&[
                    ("RegionId", v.region_id.clone()),
                    ("ZoneId", zone),
                    ("VpcId", v.vpc_id.clone()),
                    (
                        "CidrBlock",
                        if self.invalid {
                            "1.2.3.0/24".into()
                        } else {
                            cidr
                        },
                    ),
                ])
            }
            "CreateRouteEntry" => {
                let Some(v) = self.own_vpc().and_then(|id| w.vpc(&id).cloned()) else {
                    return Map::new();
                };
                let peerings: Vec<_> = w.peerings().filter(|p| p.involves_vpc(&v.vpc_id)).collect();
                let (hop, dest) = match peerings.get(self.rng.below(peerings.len())) {
                    Some(p) if !self.invalid => {
                        let other = if p.vpc_id == v.vpc_id {
                            &p.accepting_vpc_id
                        } else {
                            &p.vpc_id
                        };
                        let dest = w
                            .vpc(other)
                            .map_or_else(|| "10.200.0.0/16".into(), |o| o.cidr_block.to_string());
                        (p.instance_id.clone(), dest)
                    }
                    _ => (
                        "pcc-nosuchpeering00".to_string(),
                        "10.200.0.0/16".to_string(),
                    ),
                };
                obj(&[
                    ("RegionId", v.region_id.clone()),
                    ("RouteTableId", v.system_route_table_id.clone()),
                    ("DestinationCidrBlock", dest),
                    ("NextHopType", "VpcPeer".into()),
                    ("NextHopId", hop),
                ])
            }
            "DeleteRouteEntry" => {
                let own = self.own_vpcs();
                let entries: Vec<_> = w
                    .route_entries
                    .values()
                    .filter(|r| own.contains(&r.vpc_id))
                    .collect();
                match entries.get(self.rng.below(entries.len())) {
                    Some(r) if !self.invalid => obj(&[
                        (
                            "RegionId",
                            w.vpc(&r.vpc_id)
                                .map(|v| v.region_id.clone())
                                .unwrap_or_default(),
                        ),
                        ("RouteEntryId", r.route_entry_id.clone()),
                    ]),
                    _ => obj(&[
                        ("RegionId", self.pick_str(&regions, "cn-nowhere")),
                        ("RouteEntryId", "rte-nosuchentry0000".into()),
                    ]),
                }
            }
            "DescribeVSwitches" | "DescribeRouteTableList" => {
                let mut m = obj(&[("RegionId", self.pick_str(&regions, "cn-nowhere"))]);
                if let Some(v) = self.own_vpc().and_then(|id| w.vpc(&id).cloned()) {
                    if self.rng.chance(50) {
                        m = obj(&[
                            ("RegionId", v.region_id.clone()),
                            ("VpcId", v.vpc_id.clone()),
                        ]);
                    }
                }
                m
            }
            "DescribeRouteEntryList" => match self.own_vpc().and_then(|id| w.vpc(&id).cloned()) {
                Some(v) => obj(&[
                    ("RegionId", v.region_id.clone()),
                    ("RouteTableId", v.system_route_table_id.clone()),
                ]),
                None => obj(&[
                    ("RegionId", "cn-hangzhou".into()),
                    ("RouteTableId", "vtb-nosuchtable000".into()),
                ]),
            },
            "RunInstances" => {
                let a = self.account().to_string();
                let vsws: Vec<_> = w.vswitches.values().filter(|s| s.owner_uid == a).collect();
                let Some(vsw) = vsws.get(self.rng.below(vsws.len())).copied() else {
                    return obj(&[
                        ("RegionId", self.pick_str(&regions, "cn-nowhere")),
                        ("VSwitchId", "vsw-nosuchvswitch00".into()),
                        ("SecurityGroupId", "sg-nosuchgroup0000".into()),
                    ]);
                };
                let groups: Vec<String> = w
                    .ecs
                    .security_groups
                    .values()
                    .filter(|g| g.owner_uid == a && g.vpc_id == vsw.vpc_id)
                    .map(|g| g.security_group_id.clone())
                    .collect();
                let mut m = obj(&[
                    ("RegionId", vsw.region_id.clone()),
                    ("VSwitchId", vsw.vswitch_id.clone()),
                    (
                        "SecurityGroupId",
                        self.pick_str(&groups, "sg-nosuchgroup0000"),
                    ),
                ]);
                if self.rng.chance(50) {
                    m.insert("Tag.1.Key".into(), Value::String("ramsim:listening".into()));
                    m.insert("Tag.1.Value".into(), Value::String("tcp/80".into()));
                }
                m
            }
            "StartInstance" | "StopInstance" | "DeleteInstance" | "TagResources"
            | "UntagResources" => {
                let a = self.account().to_string();
                let own: Vec<(String, String)> = w
                    .ecs
                    .instances
                    .values()
                    .filter(|i| i.owner_uid == a)
                    .map(|i| (String::from(&i.instance_id), String::from(&i.region_id)))
                    .collect();
                let (id, region) = match own.get(self.rng.below(own.len())) {
                    Some(x) if !self.invalid => x.clone(),
                    _ => (
                        "i-nosuchinstance000".to_string(),
                        self.pick_str(&regions, "cn-nowhere"),
                    ),
                };
                match api {
                    "TagResources" => obj(&[
                        ("RegionId", region),
                        ("ResourceType", "instance".into()),
                        ("ResourceId.1", id),
                        ("Tag.1.Key", "ramsim:listening".into()),
                        ("Tag.1.Value", "tcp/22".into()),
                    ]),
                    "UntagResources" => obj(&[
                        ("RegionId", region),
                        ("ResourceType", "instance".into()),
                        ("ResourceId.1", id),
                        ("TagKey.1", "ramsim:listening".into()),
                    ]),
                    "DeleteInstance" if self.rng.chance(50) => {
                        obj(&[("InstanceId", id), ("Force", "true".into())])
                    }
                    _ => obj(&[("InstanceId", id)]),
                }
            }
            "DescribeInstances" | "DescribeNetworkInterfaces" => {
                obj(&[("RegionId", self.pick_str(&regions, "cn-nowhere"))])
            }
            "CreateUser" => {
                let hints = self.generator.hints.users.clone();
                obj(&[(
                    "UserName",
                    self.new_name(&hints, &["u1", "u2"], "bad name!"),
                )])
            }
            "CreateAccessKey" => obj(&[("UserName", self.grantee("User"))]),
            "CreateGroup" => {
                let hints = self.generator.hints.groups.clone();
                obj(&[(
                    "GroupName",
                    self.new_name(&hints, &["g1", "g2"], "bad name!"),
                )])
            }
            "AddUserToGroup" => {
                let groups = self.acct_names(|x| x.groups.keys().cloned().collect());
                obj(&[
                    ("UserName", self.grantee("User")),
                    ("GroupName", self.pick_str(&groups, "nosuchgroup")),
                ])
            }
            "CreateRole" => {
                let hints = self.generator.hints.roles.clone();
                let name = self.new_name(&hints, &["r1", "r2"], "bad name!");
                obj(&[
                    ("RoleName", name),
                    ("AssumeRolePolicyDocument", self.trust_doc()),
                ])
            }
            "UpdateRole" => {
                let roles = self.acct_names(|x| x.roles.keys().cloned().collect());
                obj(&[
                    ("RoleName", self.pick_str(&roles, "nosuchrole")),
                    ("NewAssumeRolePolicyDocument", self.trust_doc()),
                ])
            }
            "CreatePolicy" => {
                let hints = self.generator.hints.policies.clone();
                let name = self.new_name(&hints, &["p0", "p1", "p2"], "bad name!");
                obj(&[("PolicyName", name), ("PolicyDocument", self.doc())])
            }
            "CreatePolicyVersion" => {
                let customs = self.acct_names(|x| x.policies.keys().cloned().collect());
                let mut m = obj(&[
                    ("PolicyName", self.pick_str(&customs, "nosuchpolicy")),
                    ("PolicyDocument", self.doc()),
                ]);
                if self.rng.chance(80) {
                    m.insert("SetAsDefault".into(), Value::String("true".into()));
                }
                m
            }
            "SetDefaultPolicyVersion" | "DeletePolicyVersion" => {
                // A (policy, version) pair of the caller's account; the default version is
                // as likely as any other, so DeletePolicyVersion meets its refusal too.
                let pairs: Vec<String> = self.acct_names(|x| {
                    x.policies
                        .values()
                        .flat_map(|p| {
                            p.versions
                                .iter()
                                .map(move |v| format!("{} {}", p.name, v.id))
                        })
                        .collect()
                });
                let pair = self.pick_str(&pairs, "nosuchpolicy v9");
                let (policy, version) = pair.split_once(' ').unwrap_or((pair.as_str(), "v1"));
                obj(&[
                    ("PolicyName", policy.to_string()),
                    ("VersionId", version.to_string()),
                ])
            }
            "GetPolicy" | "ListPolicyVersions" => {
                let (t, name) = self.policy_ref();
                obj(&[("PolicyType", t), ("PolicyName", name)])
            }
            "GetPolicyVersion" => {
                let (t, name) = self.policy_ref();
                let version = format!("v{}", 1 + self.rng.below(3));
                obj(&[
                    ("PolicyType", t),
                    ("PolicyName", name),
                    ("VersionId", version),
                ])
            }
            "MoveAccount" => {
                let (members, folders): (Vec<String>, Vec<String>) = w
                    .resource_directory()
                    .map(|rd| {
                        (
                            rd.members.keys().cloned().collect(),
                            std::iter::once(rd.root_folder_id.clone())
                                .chain(rd.folders.keys().cloned())
                                .collect(),
                        )
                    })
                    .unwrap_or_default();
                obj(&[
                    ("AccountId", self.pick_str(&members, "1999999999999999")),
                    (
                        "DestinationFolderId",
                        self.pick_str(&folders, "fd-nosuchfolder"),
                    ),
                ])
            }
            "DeletePolicy" => {
                let customs = self.acct_names(|x| x.policies.keys().cloned().collect());
                obj(&[("PolicyName", self.pick_str(&customs, "nosuchpolicy"))])
            }
            "AttachPolicyToUser" | "AttachPolicyToGroup" | "AttachPolicyToRole" => {
                let kind = &api["AttachPolicyTo".len()..];
                let (t, name) = self.policy_ref();
                let key = format!("{kind}Name");
                let grantee = self.grantee(kind);
                obj(&[
                    ("PolicyType", t),
                    ("PolicyName", name),
                    (key.as_str(), grantee),
                ])
            }
            "DetachPolicyFromUser" | "DetachPolicyFromGroup" | "DetachPolicyFromRole" => {
                let kind = &api["DetachPolicyFrom".len()..];
                let key = format!("{kind}Name");
                match self.attachment(kind, false) {
                    Some((t, p, g, _)) => {
                        obj(&[("PolicyType", t), ("PolicyName", p), (key.as_str(), g)])
                    }
                    None => {
                        let (t, p) = self.policy_ref();
                        let g = self.grantee(kind);
                        obj(&[("PolicyType", t), ("PolicyName", p), (key.as_str(), g)])
                    }
                }
            }
            "CreateResourceGroup" => obj(&[(
                "Name",
                if self.invalid {
                    "bad name!".into()
                } else {
                    "rg1".into()
                },
            )]),
            "AttachPolicy" | "DetachPolicy" => {
                let rgs = w
                    .account(self.account())
                    .map(|a| a.resource_groups.clone())
                    .unwrap_or_default();
                let existing = if api == "DetachPolicy" {
                    self.attachment("", true)
                } else {
                    None
                };
                let (t, p, principal, rg) = match existing {
                    Some((t, p, g, rg)) => (t, p, g, rg.unwrap_or_default()),
                    None => {
                        let (t, p) = self.policy_ref();
                        let u = self.grantee("User");
                        (
                            t,
                            p,
                            format!("User:{u}"),
                            self.pick_str(&rgs, "rg-nosuchgroup000"),
                        )
                    }
                };
                let (kind, name) = principal.split_once(':').unwrap_or(("User", ""));
                let ptype = match kind {
                    "Group" => "IMSGroup",
                    "Role" => "ServiceRole",
                    _ => "IMSUser",
                };
                obj(&[
                    ("PolicyType", t),
                    ("PolicyName", p),
                    ("PrincipalType", ptype.into()),
                    ("PrincipalName", name.to_string()),
                    ("ResourceGroupId", rg),
                ])
            }
            "CreateControlPolicy" => {
                let doc = if self.invalid {
                    BAD_DOC.to_string()
                } else {
                    CONTROL_DOCS[self.rng.below(CONTROL_DOCS.len())].to_string()
                };
                obj(&[
                    ("PolicyName", ["cp0", "cp1"][self.rng.below(2)].into()),
                    ("PolicyDocument", doc),
                ])
            }
            "AttachControlPolicy" => {
                let ids: Vec<String> = self.state.iam.control_policies.keys().cloned().collect();
                let targets: Vec<String> = w
                    .resource_directory()
                    .map(|rd| {
                        std::iter::once(rd.root_folder_id.clone())
                            .chain(rd.folders.keys().cloned())
                            .chain(rd.members.keys().cloned())
                            .collect()
                    })
                    .unwrap_or_default();
                obj(&[
                    ("PolicyId", self.pick_str(&ids, "cp-nosuchpolicy00")),
                    ("TargetId", self.pick_str(&targets, "fd-nosuchfolder")),
                ])
            }
            "DetachControlPolicy" => {
                let pairs: Vec<(String, String)> = self
                    .state
                    .iam
                    .control_attachments
                    .iter()
                    .flat_map(|(t, ids)| ids.iter().map(move |i| (i.clone(), t.clone())))
                    .collect();
                match pairs.get(self.rng.below(pairs.len())) {
                    Some((id, t)) if !self.invalid => {
                        obj(&[("PolicyId", id.clone()), ("TargetId", t.clone())])
                    }
                    _ => obj(&[
                        ("PolicyId", "cp-nosuchpolicy00".into()),
                        ("TargetId", "fd-nosuchfolder".into()),
                    ]),
                }
            }
            "AssumeRole" => {
                let roles: Vec<String> = self
                    .state
                    .iam
                    .accounts
                    .iter()
                    .flat_map(|(a, acct)| {
                        acct.roles
                            .keys()
                            .map(move |r| format!("acs:ram::{a}:role/{r}"))
                    })
                    .collect();
                self.generator.session_counter += 1;
                let mut m = obj(&[
                    (
                        "RoleArn",
                        self.pick_str(
                            &roles,
                            &format!("acs:ram::{}:role/nosuchrole", self.account()),
                        ),
                    ),
                    (
                        "RoleSessionName",
                        format!("s{}", self.generator.session_counter),
                    ),
                ]);
                if self.rng.chance(20) {
                    m.insert("Policy".into(), Value::String(DOCS[4].into()));
                }
                m
            }
            _ => self
                .build_sg_nacl(api)
                .or_else(|| self.build_cen(api))
                .or_else(|| self.build_cms(api))
                .unwrap_or_default(),
        }
    }
}

/// Security groups and network ACLs: parameters drawn mostly from the caller's own groups,
/// ACLs, VPCs and vSwitches.
impl Params<'_, '_> {
    /// `(region, id, vpc)` of the caller's security groups.
    fn own_groups(&self) -> Vec<(String, String, String)> {
        let a = self.account();
        self.state
            .world
            .ecs()
            .security_groups
            .values()
            .filter(|g| g.owner_uid == a)
            .map(|g| {
                (
                    g.region_id.clone(),
                    g.security_group_id.clone(),
                    g.vpc_id.clone(),
                )
            })
            .collect()
    }

    /// `(region, id, vpc)` of the caller's network ACLs.
    fn own_acls(&self) -> Vec<(String, String, String)> {
        let a = self.account();
        self.state
            .world
            .nacl()
            .acls
            .values()
            .filter(|x| x.owner_uid == a)
            .map(|x| {
                (
                    x.region_id.clone(),
                    x.network_acl_id.clone(),
                    x.vpc_id.clone(),
                )
            })
            .collect()
    }

    /// One of `items`, or a made-up id in the first region when there is none (or `invalid`).
    fn pick_triple(
        &mut self,
        items: &[(String, String, String)],
        fallback: &str,
    ) -> (String, String, String) {
        match items.get(self.rng.below(items.len())) {
            Some(t) if !self.invalid => t.clone(),
            _ => {
                let region = self.regions().first().cloned().unwrap_or_default();
                (region, fallback.to_string(), String::new())
            }
        }
    }

    fn build_sg_nacl(&mut self, api: &str) -> Option<Map<String, Value>> {
        let w = &self.state.world;
        let m = match api {
            "CreateSecurityGroup" | "CreateNetworkAcl" => {
                let v = self.own_vpc().and_then(|id| w.vpc(&id).cloned())?;
                let mut m = obj(&[("RegionId", v.region_id.clone()), ("VpcId", v.vpc_id)]);
                if api == "CreateSecurityGroup" {
                    let t = if self.invalid {
                        "bogus"
                    } else {
                        ["normal", "enterprise"][self.rng.below(2)]
                    };
                    m.insert("SecurityGroupType".into(), Value::String(t.into()));
                }
                m
            }
            "AuthorizeSecurityGroup"
            | "AuthorizeSecurityGroupEgress"
            | "RevokeSecurityGroup"
            | "RevokeSecurityGroupEgress" => {
                let groups = self.own_groups();
                let (region, id, vpc) = self.pick_triple(&groups, "sg-nosuchgroup00000");
                let egress = api.ends_with("Egress");
                let (cidr_key, group_key) = if egress {
                    ("Permissions.1.DestCidrIp", "Permissions.1.DestGroupId")
                } else {
                    ("Permissions.1.SourceCidrIp", "Permissions.1.SourceGroupId")
                };
                let mut m = obj(&[("RegionId", region), ("SecurityGroupId", id.clone())]);
                let (proto, ports) = match self.rng.below(3) {
                    0 => ("TCP", "22/22"),
                    1 => ("ICMP", "-1/-1"),
                    _ => ("ALL", "-1/-1"),
                };
                m.insert(
                    "Permissions.1.IpProtocol".into(),
                    Value::String(proto.into()),
                );
                m.insert(
                    "Permissions.1.PortRange".into(),
                    Value::String(if self.invalid { "99999/1" } else { ports }.into()),
                );
                let peers: Vec<String> = groups
                    .iter()
                    .filter(|(_, g, v)| *v == vpc && *g != id)
                    .map(|(_, g, _)| g.clone())
                    .collect();
                match peers.get(self.rng.below(peers.len())) {
                    Some(peer) if self.rng.chance(30) => {
                        m.insert(group_key.into(), Value::String(peer.clone()));
                    }
                    _ => {
                        let c = ["10.0.0.0/8", "0.0.0.0/0"][self.rng.below(2)];
                        m.insert(cidr_key.into(), Value::String(c.into()));
                    }
                }
                if self.rng.chance(30) {
                    m.insert("Permissions.1.Policy".into(), Value::String("drop".into()));
                }
                m
            }
            "ModifySecurityGroupPolicy" => {
                let groups = self.own_groups();
                let (region, id, _) = self.pick_triple(&groups, "sg-nosuchgroup00000");
                let p = ["Accept", "Drop"][self.rng.below(2)];
                obj(&[
                    ("RegionId", region),
                    ("SecurityGroupId", id),
                    ("InnerAccessPolicy", p.into()),
                ])
            }
            "DeleteSecurityGroup" | "DescribeSecurityGroupAttribute" => {
                let groups = self.own_groups();
                let (region, id, _) = self.pick_triple(&groups, "sg-nosuchgroup00000");
                obj(&[("RegionId", region), ("SecurityGroupId", id)])
            }
            "DescribeSecurityGroups" => {
                let regions = self.regions();
                obj(&[("RegionId", self.pick_str(&regions, "cn-nowhere"))])
            }
            "UpdateNetworkAclEntries" => {
                let acls = self.own_acls();
                let (region, id, _) = self.pick_triple(&acls, "nacl-nosuchacl0000");
                let policy = ["accept", "drop"][self.rng.below(2)];
                obj(&[
                    ("RegionId", region),
                    ("NetworkAclId", id),
                    ("UpdateIngressAclEntries", "true".into()),
                    ("IngressAclEntries.1.Policy", policy.into()),
                    ("IngressAclEntries.1.Protocol", "tcp".into()),
                    ("IngressAclEntries.1.SourceCidrIp", "10.0.0.0/8".into()),
                    ("IngressAclEntries.1.Port", "22/22".into()),
                ])
            }
            "AssociateNetworkAcl" | "UnassociateNetworkAcl" => {
                let acls = self.own_acls();
                let (region, id, vpc) = self.pick_triple(&acls, "nacl-nosuchacl0000");
                let vsws: Vec<String> =
                    w.vswitches_of(&vpc).map(|s| s.vswitch_id.clone()).collect();
                let vsw = self.pick_str(&vsws, "vsw-nosuchvswitch00");
                obj(&[
                    ("RegionId", region),
                    ("NetworkAclId", id),
                    ("Resource.1.ResourceType", "VSwitch".into()),
                    ("Resource.1.ResourceId", vsw),
                ])
            }
            "DeleteNetworkAcl" | "DescribeNetworkAclAttributes" => {
                let acls = self.own_acls();
                let (region, id, _) = self.pick_triple(&acls, "nacl-nosuchacl0000");
                obj(&[("RegionId", region), ("NetworkAclId", id)])
            }
            _ => return None,
        };
        Some(m)
    }
}

#[cfg(test)]
impl Generator {
    /// For every caller of `state`, compares this generator's permitted weights (read from
    /// the escalation rows on its board where it can) with `plain`'s (a generator of the same
    /// world without a board: every probe decided). `Ok` is the number of callers whose
    /// weights came from a row; `Err` names the first caller whose weights differ.
    pub(crate) fn weights_agree_with(
        &mut self,
        plain: &mut Generator,
        state: &SimState,
    ) -> Result<usize, String> {
        let mut from_rows = 0;
        for entry in self.callers(state) {
            let read = self.permitted_weights(state, &entry.caller);
            let layout = self.world_key.2;
            let fp = fingerprint(state, &entry.caller);
            if self
                .board
                .get(&principal_key(&entry.caller), fp, layout)
                .is_some()
            {
                from_rows += 1;
            }
            let decided = plain.permitted_weights(state, &entry.caller);
            if read != decided {
                return Err(format!(
                    "permitted weights of {} differ: {read:?} from the board, {decided:?} decided",
                    entry.who
                ));
            }
        }
        Ok(from_rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_keys_minted_during_a_run_join_the_caller_pool() {
        let world = r#"{"accounts": [{"uid": "1234567890123456", "alias": "A"}],
            "identity": {"accounts": {"A": {"users": [
                {"name": "helpdesk", "policies": ["System:AliyunRAMFullAccess"]},
                {"name": "admin", "policies": ["System:AdministratorAccess"],
                 "access_keys": 1}]}}}}"#;
        let state = SimState::from_world_json(world, std::path::Path::new("")).expect("world");
        let g = Generator::new(&state, &[], &[]);
        let keys = |state: &SimState| -> Vec<String> {
            g.callers(state)
                .into_iter()
                .filter(|c| c.who.starts_with("LTAI"))
                .map(|c| c.who)
                .collect()
        };
        assert!(
            keys(&state).is_empty(),
            "initial keys are not extra callers"
        );
        let mut gw = crate::api::Gateway::new(state);
        let r = gw.call(
            &crate::api::Envelope {
                caller: "helpdesk@A".into(),
                ..crate::api::Envelope::default()
            },
            &crate::api::ApiRequest {
                product: None,
                action: "CreateAccessKey".into(),
                params: obj(&[("UserName", "admin".into())]),
            },
        );
        let minted = r.body["AccessKey"]["AccessKeyId"]
            .as_str()
            .expect("a key")
            .to_string();
        assert_eq!(keys(&gw.state), vec![minted.clone()]);
        let entry = g
            .callers(&gw.state)
            .into_iter()
            .find(|c| c.who == minted)
            .expect("in the pool");
        assert_eq!(
            entry.caller,
            Caller::User {
                account: "1234567890123456".into(),
                name: "admin".into()
            }
        );
    }

    /// The staleness the cache had: `sts:AssumeRole` permitted for a caller depends on the
    /// role's trust policy, which `UpdateRole` rewrites without touching the caller's policies.
    #[test]
    fn permitted_assume_role_follows_a_trust_rewrite() {
        let world = r#"{"accounts": [{"uid": "1234567890123456", "alias": "A"}],
            "identity": {"accounts": {"A": {
              "users": [{"name": "alice", "policies": ["System:AliyunSTSAssumeRoleAccess"]},
                        {"name": "admin", "policies": ["System:AdministratorAccess"]}],
              "roles": [{"name": "ops", "trust": {"Version": "1", "Statement": [{"Effect": "Allow",
                  "Action": "sts:AssumeRole", "Principal": {"Service": ["ecs.aliyuncs.com"]}}]}}]}}}}"#;
        let state = SimState::from_world_json(world, std::path::Path::new("")).expect("world");
        let mut g = Generator::new(&state, &["sts:AssumeRole".into()], &[]);
        assert_eq!(g.api_count(), 1);
        let alice = Caller::User {
            account: "1234567890123456".into(),
            name: "alice".into(),
        };
        assert_eq!(
            g.permitted_weights(&state, &alice)[0],
            0,
            "trust names a service only"
        );
        let mut gw = crate::api::Gateway::new(state);
        let trust = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"RAM":["acs:ram::1234567890123456:user/alice"]}}]}"#;
        let r = gw.call(
            &crate::api::Envelope {
                caller: "admin@A".into(),
                ..crate::api::Envelope::default()
            },
            &crate::api::ApiRequest {
                product: None,
                action: "UpdateRole".into(),
                params: obj(&[
                    ("RoleName", "ops".into()),
                    ("NewAssumeRolePolicyDocument", trust.into()),
                ]),
            },
        );
        assert!(r.is_success(), "{}", r.body);
        assert!(
            g.permitted_weights(&gw.state, &alice)[0] > 0,
            "the rewritten trust lets alice assume ops"
        );
    }

    /// `ProbeDecider::may_allow` is only a shortcut: whenever it says no, every probe of the
    /// action is denied.
    #[test]
    fn the_permission_prefilter_never_hides_an_allow() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/worlds");
        for name in [
            "peering.json",
            "escalation.json",
            "esc-control.json",
            "role-session.json",
        ] {
            let state = SimState::from_world_file(&dir.join(name)).expect("world");
            let table = probe_table(&state);
            let g = Generator::new(&state, &[], &[]);
            for entry in g.callers(&state) {
                let decider = ProbeDecider::new(&state, &entry.caller, state.world.now());
                let probes = table.get(entry.caller.account()).expect("probes");
                for p in probes.iter() {
                    if !decider.may_allow(p.action) {
                        assert!(!decider.allows(&state, p), "{name}: {} {p:?}", entry.who);
                    }
                }
            }
        }
    }

    /// The position index of `uncalled` stays in step with it (O(1) removal, same order).
    #[test]
    fn uncalled_positions_stay_consistent() {
        let state = SimState::from_world_file(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/worlds/peering.json"),
        )
        .expect("world");
        let mut g = Generator::new(&state, &[], &[]);
        let mut rng = Rng::new(7);
        for _ in 0..500 {
            let _ = g.next(&mut rng, &state, None);
            for (at, position) in g.uncalled.iter().enumerate() {
                assert_eq!(g.uncalled_at[*position], at);
            }
            let listed = g.uncalled_at.iter().filter(|a| **a != usize::MAX).count();
            assert_eq!(listed, g.uncalled.len());
        }
        assert!(g.uncalled.len() < g.api_count(), "picks remove APIs");
    }

    #[test]
    fn expired_sessions_leave_the_caller_pool() {
        let world = r#"{"accounts": [{"uid": "1234567890123456", "alias": "A"}]}"#;
        let mut state = SimState::from_world_json(world, std::path::Path::new("")).expect("world");
        let now = state.world.now().epoch();
        state.iam.sessions.insert(
            "STS.k1".into(),
            crate::iam::model::Session {
                access_key_id: "STS.k1".into(),
                account: "1234567890123456".into(),
                role: "r".into(),
                session_name: "s1".into(),
                policy: None,
                expires: now + 900,
                assumed_by: "acs:ram::1234567890123456:root".into(),
            },
        );
        let g = Generator::new(&state, &[], &[]);
        let has_session = |state: &SimState| g.callers(state).iter().any(|c| c.who == "STS.k1");
        assert!(has_session(&state));
        state
            .world
            .advance_clock(crate::cloud::time::Timestamp::from_epoch(now + 900));
        assert!(!has_session(&state), "expired at Expiration");
    }

    #[test]
    fn principal_filter_patterns() {
        let f = PrincipalFilter::parse(&["!root@*".into()]);
        assert!(!f.allows(|| vec!["root@A".into(), "root@123".into()]));
        assert!(f.allows(|| vec!["alice@A".into()]));
        let f = PrincipalFilter::parse(&["alice,role/*".into()]);
        assert!(f.allows(|| vec!["alice@A".into()]));
        assert!(f.allows(|| vec!["role/ops@B".into()]));
        assert!(!f.allows(|| vec!["bob@A".into()]));
    }
}
