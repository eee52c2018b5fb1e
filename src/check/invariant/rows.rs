//! Incremental direct rows of the escalation monitor: which `(principal, probe)` cells a change
//! of a principal's policy documents can move, and a cache of whole rows by decision inputs.
//!
//! A principal's direct row answers every probe of its account through the gateway's decision
//! path. The decision of one pair `(action, resource)` reads, in each policy set of the store
//! (control-policy nodes, session policy, identity policies at account and resource-group
//! scope), only the statements whose `Action`/`NotAction` covers the action: a statement that
//! does not cover it is skipped by every set's evaluation. So when a principal's inputs move by
//! documents only — one attached or detached, a version promoted, a group joined, a control
//! policy attached — the cells that can change are those of probes with a pair whose action a
//! statement of an *added or removed* document covers ([`affected_actions`]). Everything else
//! that bears on decisions is part of the store's [`Shape`] (the control chain's targets and
//! whether each binds the root, a session policy's presence, the principal facts that decide
//! whether control policies apply, expiry): when it moves the whole row is recomputed.
//!
//! Rows are also cached by `(principal key, decision fingerprint, directory layout)`
//! ([`RowCache`]): runs restart from the initial world and often reach the same states again.

use crate::api::SimState;
use crate::authz::policy_set::with_folded_action;
use crate::authz::{PolicySet, PolicySource};
use crate::iam::store::{caller_attachments, control_targets};
use crate::iam::system_policies::FULL_ALIYUN_ACCESS_ID;
use crate::iam::Caller;
use crate::policy::{read_policy, PolicyKind, ReadOptions};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Where in a policy store a document sits.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Slot {
    /// A control-policy node (by its position in the chain, member first), the set that
    /// applies to RAM identities.
    Control(usize),
    /// The same node's `EffectScope = All` set (binds the member's root).
    ControlAll(usize),
    /// The session policy.
    Session,
    /// Identity policies at account scope.
    Identity,
    /// Identity policies at the scope of one resource group.
    ResourceGroup(String),
}

impl Slot {
    fn kind(&self) -> PolicyKind {
        match self {
            Slot::Control(_) | Slot::ControlAll(_) => PolicyKind::Control,
            Slot::Session => PolicyKind::Session,
            Slot::Identity | Slot::ResourceGroup(_) => PolicyKind::Identity,
        }
    }
}

/// What decides more than the statements of a store: when it moves, every cell may move.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Shape {
    /// The principal facts the evaluator reads besides documents (whether control policies
    /// apply: in a directory, not its management account), and expiry.
    in_directory: bool,
    management_account: bool,
    expired: bool,
    /// The control chain's targets, each with whether its `EffectScope = All` set is non-empty
    /// (an empty one is skipped for the root instead of denying).
    control: Vec<(String, bool)>,
    /// A session policy is present (it then must allow every pair).
    session: bool,
}

/// The documents a principal's policy store is built from, by slot, and its [`Shape`]:
/// mirrors [`crate::iam::model::Iam::policy_store`] (and the principal facts of
/// [`crate::iam::model::Iam::principal`]). The monitor recomputes a row only when the decision
/// fingerprint moved, and recomputes it whole when these descriptions show no difference, so a
/// drift here can cost time but never hide a change.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct StoreDocs {
    shape: Shape,
    /// `(slot, document text)`, sorted (order within a set does not bear on decisions).
    docs: Vec<(Slot, String)>,
    /// Some document mentions the principal or its AccessKeyId (then the row is not shared).
    personal: bool,
}

impl StoreDocs {
    /// Whether principals with these documents (of one account and kind) decide alike.
    pub(crate) fn shareable(&self) -> bool {
        !self.personal
    }
}

/// The [`StoreDocs`] of `caller` in `state` (`expired`: its credentials no longer work).
pub(crate) fn store_docs(state: &SimState, caller: &Caller, expired: bool) -> StoreDocs {
    let (iam, world) = (&state.iam, &state.world);
    let account = caller.account();
    let (in_directory, management_account) = crate::iam::caller::directory_flags(world, account);
    let mut docs: Vec<(Slot, String)> = Vec::new();
    let mut control = Vec::new();
    for (i, target) in control_targets(world, account).into_iter().enumerate() {
        let attached = iam.control_policies_at(&target);
        let binds_root = attached.iter().any(|cp| cp.effect_scope == "All");
        let mut all_scope = false;
        for cp in attached {
            docs.push((Slot::Control(i), cp.document.clone()));
            if binds_root && (cp.effect_scope == "All" || cp.id == FULL_ALIYUN_ACCESS_ID) {
                docs.push((Slot::ControlAll(i), cp.document.clone()));
                all_scope = true;
            }
        }
        control.push((target, all_scope));
    }
    let mut session = false;
    if let Some(acct) = iam.accounts.get(account) {
        if let Some(text) = iam.session_policy(caller) {
            session = true;
            docs.push((Slot::Session, text.clone()));
        }
        for att in caller_attachments(acct, caller) {
            if let Some((text, _)) = iam.identity_document(account, &att.policy, att.policy_type) {
                let slot = match &att.resource_group {
                    None => Slot::Identity,
                    Some(rg) => Slot::ResourceGroup(rg.clone()),
                };
                docs.push((slot, text));
            }
        }
    }
    docs.sort();
    // `Principal` (the element, `acs:PrincipalARN`, …) and `AccessId` are what a document of
    // these kinds can read about who asks; without them equal documents decide alike.
    let personal = docs.iter().any(|(_, text)| {
        let lower = text.to_ascii_lowercase();
        lower.contains("principal") || lower.contains("accessid")
    });
    StoreDocs {
        personal,
        shape: Shape {
            in_directory,
            management_account,
            expired,
            control,
            session,
        },
        docs,
    }
}

/// The documents in one sorted list and not in the other (as multisets), with their kinds.
fn changed_docs<'d>(old: &'d StoreDocs, new: &'d StoreDocs) -> Vec<(PolicyKind, &'d str)> {
    let (a, b) = (&old.docs, &new.docs);
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < a.len() || j < b.len() {
        match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) if x == y => {
                i += 1;
                j += 1;
            }
            (Some(x), Some(y)) if x < y => {
                out.push((x.0.kind(), x.1.as_str()));
                i += 1;
            }
            (Some(_), Some(y)) => {
                out.push((y.0.kind(), y.1.as_str()));
                j += 1;
            }
            (Some(x), None) => {
                out.push((x.0.kind(), x.1.as_str()));
                i += 1;
            }
            (None, Some(y)) => {
                out.push((y.0.kind(), y.1.as_str()));
                j += 1;
            }
            (None, None) => break,
        }
    }
    out
}

/// Compiled documents by (kind, text), for their statements' action scopes.
type DocSets = HashMap<(PolicyKind, String), Option<Arc<PolicySet>>>;

thread_local! {
    static DOC_SETS: std::cell::RefCell<DocSets> = std::cell::RefCell::new(DocSets::new());
}

/// Largest number of documents kept compiled per thread.
const DOC_SETS_LIMIT: usize = 1_024;

/// `text` read as `kind` and compiled (`None`: it does not read, so it contributes nothing to
/// any store either).
fn doc_set(kind: PolicyKind, text: &str) -> Option<Arc<PolicySet>> {
    DOC_SETS.with(|cache| {
        let mut cache = cache.borrow_mut();
        let key = (kind, text.to_string());
        if let Some(hit) = cache.get(&key) {
            return hit.clone();
        }
        if cache.len() >= DOC_SETS_LIMIT {
            cache.clear();
        }
        let set = read_policy(text, kind, &ReadOptions::default())
            .policy
            .map(|p| {
                let mut set = PolicySet::new();
                set.add(&p, PolicySource::custom("doc"), None);
                Arc::new(set)
            });
        cache.insert(key, set.clone());
        set
    })
}

/// The distinct actions of one account's probes and, per probe, the indices of the actions
/// of its pairs (the action and its dependent actions): a cell can move only when one of
/// them can.
#[derive(Debug, Clone, Default)]
pub(crate) struct ActionTable {
    /// Distinct actions, case-folded as the evaluator compares them.
    actions: Vec<String>,
    /// Per probe, indices into `actions`.
    by_probe: Vec<Vec<u32>>,
}

impl ActionTable {
    /// The table of `pairs`: for each probe, the actions of its pairs.
    pub(crate) fn new<'p>(pairs: impl Iterator<Item = Vec<&'p str>>) -> ActionTable {
        // Thousands of pairs name a few hundred actions: each spelling is folded and looked
        // up once (`by_spelling`), not once per pair.
        let mut by_spelling: HashMap<&'p str, u32> = HashMap::new();
        let mut index: HashMap<String, u32> = HashMap::new();
        let mut table = ActionTable::default();
        // Probes of one action come in a row and name the same actions.
        let mut last: Option<(Vec<&'p str>, Vec<u32>)> = None;
        for probe in pairs {
            if let Some((actions, ids)) = &last {
                if *actions == probe {
                    table.by_probe.push(ids.clone());
                    continue;
                }
            }
            let mut ids = Vec::with_capacity(probe.len());
            for &action in &probe {
                let next = table.actions.len() as u32;
                let id = *by_spelling.entry(action).or_insert_with(|| {
                    let folded = with_folded_action(action, str::to_string);
                    *index.entry(folded.clone()).or_insert_with(|| {
                        table.actions.push(folded);
                        next
                    })
                });
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
            table.by_probe.push(ids.clone());
            last = Some((probe, ids));
        }
        table
    }

    /// Number of distinct actions.
    pub(crate) fn action_count(&self) -> usize {
        self.actions.len()
    }

    /// The index of probe `i`'s own action (its first pair's): probes with the same index
    /// ask the same action, case folded.
    pub(crate) fn own_action(&self, i: usize) -> Option<usize> {
        self.by_probe.get(i)?.first().map(|a| *a as usize)
    }

    /// Whether probe `i` has a pair whose action is marked in `actions`.
    pub(crate) fn touches(&self, i: usize, actions: &[bool]) -> bool {
        self.by_probe.get(i).is_none_or(|ids| {
            ids.iter()
                .any(|a| actions.get(*a as usize).copied().unwrap_or(true))
        })
    }

    /// Whether action `folded` is marked in `actions` (unknown actions count as marked).
    pub(crate) fn marked(&self, folded: &str, actions: &[bool]) -> bool {
        match self.actions.iter().position(|a| a == folded) {
            Some(i) => actions.get(i).copied().unwrap_or(true),
            None => true,
        }
    }
}

/// Which of `table`'s actions a change of the store from `old` to `new` can move: those a
/// statement of an added or removed document covers. `None` when every cell may move (the
/// shape changed, or no document did — then something the descriptions do not show moved the
/// fingerprint, and nothing may be assumed).
pub(crate) fn affected_actions(
    old: &StoreDocs,
    new: &StoreDocs,
    table: &ActionTable,
) -> Option<Vec<bool>> {
    if old.shape != new.shape {
        return None;
    }
    let changed = changed_docs(old, new);
    if changed.is_empty() {
        return None;
    }
    let sets: Vec<Arc<PolicySet>> = changed
        .iter()
        .filter_map(|(kind, text)| doc_set(*kind, text))
        .collect();
    Some(
        table
            .actions
            .iter()
            .map(|a| {
                sets.iter()
                    .any(|s| s.statements().iter().any(|st| st.action_in_scope(a)))
            })
            .collect(),
    )
}

/// The key of a cached row.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum RowKey {
    /// One principal's row: `(principal key, decision fingerprint, directory layout)`. The
    /// fingerprint covers the store's documents, the principal facts and expiry; the layout
    /// the peering probes' target keys; the key names the principal (its ARN and AccessKeyId
    /// are in the request context).
    Own(String, u64, u64),
    /// A row shared by every principal of one account and kind whose store is built from the
    /// same documents, when no document reads who the principal is ([`StoreDocs::shareable`]):
    /// `(account, principal kind and whether it is a service-linked role, hash of the
    /// documents and shape, directory layout)`.
    Shared(String, u8, u64, u64),
}

impl RowKey {
    /// The key for `caller` of `state` (its key `key`, fingerprint `fp`) with store `docs`.
    pub(crate) fn new(
        key: &str,
        state: &SimState,
        caller: &Caller,
        fp: u64,
        docs: &StoreDocs,
        layout: u64,
    ) -> RowKey {
        if !docs.shareable() {
            return RowKey::Own(key.to_string(), fp, layout);
        }
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        docs.hash(&mut h);
        // The kind of `Iam::principal` (root, RAM user, assumed-role user) and its
        // service-linked flag, read without building the principal (that formats its ARNs).
        let kind = match caller {
            Caller::Root { .. } => 0,
            Caller::User { .. } => 1,
            Caller::Session { account, role, .. } => {
                let service_linked = state
                    .iam
                    .accounts
                    .get(account)
                    .and_then(|a| a.roles.get(role))
                    .is_some_and(|r| r.service_linked);
                2 + if service_linked { 8 } else { 0 }
            }
        };
        RowKey::Shared(caller.account().to_string(), kind, h.finish(), layout)
    }
}

/// The key of a cached assume edge: `(source key, source's decision fingerprint, role key,
/// role's trust hash)` — what the gateway's `sts:AssumeRole` decision reads (the source's
/// store, principal facts and expiry, who it is, and the role's trust policy).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct EdgeKey(String, u64, String, u64);

impl EdgeKey {
    /// The key of the edge `source → role`.
    pub(crate) fn new(source: &str, fp: u64, role: &str, trust: u64) -> EdgeKey {
        EdgeKey(source.to_string(), fp, role.to_string(), trust)
    }
}

/// Whole rows by [`RowKey`], across the runs of one check (every run restarts from the
/// initial world and often reaches the same principal states again) and between principals
/// with equal decision inputs. Probes and the decision clock are the initial world's, so a
/// row is a function of its key.
#[derive(Debug, Default)]
pub(crate) struct RowCache {
    rows: HashMap<RowKey, Arc<Vec<bool>>>,
    /// Assume-edge answers by [`EdgeKey`].
    edges: HashMap<EdgeKey, bool>,
}

/// Largest number of rows kept (then the cache starts over).
const ROW_CACHE_LIMIT: usize = 4_096;

/// Largest number of assume edges kept (then they start over).
const EDGE_CACHE_LIMIT: usize = 65_536;

impl RowCache {
    /// The cached row, if any.
    pub(crate) fn get(&self, key: &RowKey) -> Option<Arc<Vec<bool>>> {
        self.rows.get(key).cloned()
    }

    /// Keeps `row`.
    pub(crate) fn put(&mut self, key: RowKey, row: Arc<Vec<bool>>) {
        if self.rows.len() >= ROW_CACHE_LIMIT {
            self.rows.clear();
        }
        self.rows.insert(key, row);
    }

    /// The cached answer of an assume edge, if any.
    pub(crate) fn edge(&self, key: &EdgeKey) -> Option<bool> {
        self.edges.get(key).copied()
    }

    /// Keeps an assume edge's answer.
    pub(crate) fn put_edge(&mut self, key: EdgeKey, allowed: bool) {
        if self.edges.len() >= EDGE_CACHE_LIMIT {
            self.edges.clear();
        }
        self.edges.insert(key, allowed);
    }
}

/// Direct rows by `(principal key, decision fingerprint, directory layout)` of roots and users,
/// published by the escalation monitor for the generator: a caller's permitted APIs are
/// "some probe of the API's action is allowed", and the monitor's row of the same principal
/// already answers every probe of its account (same probes, same clock, same decision path),
/// so the generator reads it instead of deciding them again. Sessions are not published:
/// the generator asks with the session's own AccessKeyId and session policy, the monitor's
/// role rows with neither.
#[derive(Debug, Clone, Default)]
pub(crate) struct RowBoard(Arc<Mutex<BoardRows>>);

/// The board's rows by principal key, then by `(fingerprint, layout)` (looked up by the key's
/// text without a copy of it), and how many there are.
#[derive(Debug, Default)]
struct BoardRows {
    rows: HashMap<String, ByInputs>,
    count: usize,
}

/// One principal's rows on the board by `(fingerprint, layout)`.
type ByInputs = HashMap<(u64, u64), Arc<Vec<bool>>>;

/// Largest number of rows on the board (then it starts over).
const ROW_BOARD_LIMIT: usize = 4_096;

impl RowBoard {
    /// Whether rows of the principal with key `key` are published (roots and users).
    pub(crate) fn publishes(key: &str) -> bool {
        key.starts_with("root@") || key.starts_with("user/")
    }

    /// The row of `key` decided with fingerprint `fp` and layout `layout`, if published.
    pub(crate) fn get(&self, key: &str, fp: u64, layout: u64) -> Option<Arc<Vec<bool>>> {
        let board = self.0.lock().ok()?;
        board.rows.get(key)?.get(&(fp, layout)).cloned()
    }

    /// Publishes `row` (roots' and users' rows only).
    pub(crate) fn put(&self, key: &str, fp: u64, layout: u64, row: &Arc<Vec<bool>>) {
        if !RowBoard::publishes(key) {
            return;
        }
        if let Ok(mut board) = self.0.lock() {
            if board.count >= ROW_BOARD_LIMIT {
                *board = BoardRows::default();
            }
            let fresh = board
                .rows
                .entry(key.to_string())
                .or_default()
                .insert((fp, layout), Arc::clone(row))
                .is_none();
            board.count += usize::from(fresh);
        }
    }
}
