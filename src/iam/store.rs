//! Building the [`PolicyStore`] the evaluator needs for one caller: control-policy chain
//! member → folders → root, session policy, identity policies at account and resource-group
//! scope.

use super::caller::Caller;
use super::model::{AccountIam, Attachment, Grantee, Iam, PolicyType};
use super::system_policies::{system_policy, FULL_ALIYUN_ACCESS_ID};
use crate::authz::policy_set::{AttachedEntityType, AttachedScope, PolicySourceType};
use crate::authz::{ControlNode, PolicySet, PolicySource, PolicyStore};
use crate::cloud::World;
use crate::policy::{read_policy, Policy, PolicyKind, ReadOptions};
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

/// Parsed documents by (kind, text). Stores are rebuilt whenever a decision-changing write
/// happens, from the same few documents each time; reading is a pure function of the text, so
/// a bounded per-thread cache is safe and keeps rebuilds from re-parsing.
type ParseCache = std::collections::HashMap<(PolicyKind, String), Option<std::rc::Rc<Policy>>>;

thread_local! {
    static PARSED: std::cell::RefCell<ParseCache> = std::cell::RefCell::new(ParseCache::new());
}

/// Largest number of documents kept parsed per thread.
const PARSE_CACHE_LIMIT: usize = 4_096;

/// What [`Iam::control_node`] reads of each policy attached to a target ([`node_input`]), in
/// order, owned.
type NodeKey = Vec<(String, PolicyType, String, String)>;

/// What [`Iam::control_node`] reads of an attached control policy: id, type, document, effect
/// scope. The node cache's key and the store fingerprint are made of exactly this.
fn node_input(cp: &super::model::ControlPolicy) -> (&str, PolicyType, &str, &str) {
    (&cp.id, cp.policy_type, &cp.document, &cp.effect_scope)
}

/// Compiled control nodes by target, each beside the [`NodeKey`] it was compiled from and
/// that key's [`inputs_hash`].
type NodeCache = HashMap<String, Vec<(NodeKey, Arc<ControlNode>, u64)>>;

/// The hash a store fingerprint holds for one target's attached control policies: SipHash
/// (fixed keys, deterministic) of each policy's [`node_input`], in order. Kept beside each
/// cached node so that fingerprinting every principal after each change compares documents
/// (cheap) instead of hashing them again.
fn inputs_hash<'a>(inputs: impl Iterator<Item = (&'a str, PolicyType, &'a str, &'a str)>) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for input in inputs {
        input.hash(&mut h);
    }
    h.finish()
}

thread_local! {
    /// Compiled control nodes by target, each with the attached policies it was compiled
    /// from: every principal of an account shares the chain, and stores are rebuilt thousands
    /// of times per check from the same few control policies. A node is a pure function of
    /// its target and those policies, so a hit is the node compiling would give.
    static NODES: RefCell<NodeCache> = RefCell::new(NodeCache::new());
}

/// Largest number of targets with cached nodes per thread (then the cache starts over).
const NODE_CACHE_LIMIT: usize = 1_024;
/// Largest number of policy combinations kept per target (oldest dropped first).
const NODE_VARIANTS_LIMIT: usize = 8;

fn parsed(text: &str, kind: PolicyKind) -> Option<std::rc::Rc<Policy>> {
    PARSED.with(|cache| {
        let mut cache = cache.borrow_mut();
        let key = (kind, text.to_string());
        if let Some(hit) = cache.get(&key) {
            return hit.clone();
        }
        if cache.len() >= PARSE_CACHE_LIMIT {
            cache.clear();
        }
        let policy = read_policy(text, kind, &ReadOptions::default())
            .policy
            .map(std::rc::Rc::new);
        cache.insert(key, policy.clone());
        policy
    })
}

fn add(set: &mut PolicySet, text: &str, kind: PolicyKind, source: PolicySource) {
    // Documents are validated when they enter the world, so this cannot fail for stored
    // policies; a document that somehow does not parse contributes nothing (and can grant nothing).
    if let Some(p) = parsed(text, kind) {
        set.add(&p, source, Some(text));
    }
}

impl Iam {
    /// The session policy `caller` presents (role sessions only).
    pub(crate) fn session_policy(&self, caller: &Caller) -> Option<&String> {
        match caller {
            Caller::Session { access_key_id, .. } => self
                .sessions
                .get(access_key_id)
                .and_then(|s| s.policy.as_ref()),
            _ => None,
        }
    }

    /// The document text of an identity policy (`None` if it no longer exists).
    pub fn identity_document(
        &self,
        account: &str,
        name: &str,
        t: PolicyType,
    ) -> Option<(String, Option<String>)> {
        self.identity_document_ref(account, name, t)
            .map(|(d, v)| (d.to_string(), v.map(str::to_string)))
    }

    /// [`Iam::identity_document`], borrowed.
    fn identity_document_ref(
        &self,
        account: &str,
        name: &str,
        t: PolicyType,
    ) -> Option<(&str, Option<&str>)> {
        match t {
            PolicyType::System => system_policy(name).map(|d| (d, None)),
            PolicyType::Custom => {
                let p = self.accounts.get(account)?.policies.get(name)?;
                Some((p.default_document()?, Some(p.default_version.as_str())))
            }
        }
    }

    /// What `pick` takes from the cached node of `target` compiled from the policies attached
    /// to it now (its node and its inputs' hash), if the cache holds one.
    fn with_cached_node<T>(
        &self,
        target: &str,
        pick: impl FnOnce(&Arc<ControlNode>, u64) -> T,
    ) -> Option<T> {
        let same = |key: &NodeKey| {
            let mut now = self.attached_control_policies(target).map(node_input);
            key.iter().all(|(id, t, doc, scope)| {
                now.next() == Some((id.as_str(), *t, doc.as_str(), scope.as_str()))
            }) && now.next().is_none()
        };
        NODES.with(|nodes| {
            nodes
                .borrow()
                .get(target)
                .and_then(|v| v.iter().find(|(k, _, _)| same(k)))
                .map(|(_, n, hash)| pick(n, *hash))
        })
    }

    /// The [`inputs_hash`] of `target`'s attached control policies: from the node cache when
    /// it holds them, else computed (the same value either way).
    fn control_inputs_hash(&self, target: &str) -> u64 {
        self.with_cached_node(target, |_, hash| hash)
            .unwrap_or_else(|| inputs_hash(self.attached_control_policies(target).map(node_input)))
    }

    /// The compiled node of `target`, from the per-thread cache when its policies are those
    /// it was compiled from.
    fn shared_control_node(&self, target: &str) -> Arc<ControlNode> {
        if let Some(hit) = self.with_cached_node(target, |node, _| Arc::clone(node)) {
            return hit;
        }
        let node = Arc::new(self.control_node(target));
        let attached = || self.attached_control_policies(target).map(node_input);
        let key: NodeKey = attached()
            .map(|(id, t, doc, scope)| (id.into(), t, doc.into(), scope.into()))
            .collect();
        let hash = inputs_hash(attached());
        NODES.with(|nodes| {
            let mut nodes = nodes.borrow_mut();
            if nodes.len() >= NODE_CACHE_LIMIT {
                nodes.clear();
            }
            let variants = nodes.entry(target.to_string()).or_default();
            if variants.len() >= NODE_VARIANTS_LIMIT {
                variants.remove(0);
            }
            variants.push((key, Arc::clone(&node), hash));
        });
        node
    }

    fn control_node(&self, target: &str) -> ControlNode {
        let mut node = ControlNode {
            target: target.to_string(),
            ..ControlNode::default()
        };
        let attached = self.control_policies_at(target);
        // A member's root is bound only at nodes holding an `EffectScope = All` policy (§6.3,
        // §10 Q17). There the node's verdict for the root must come from the same union a RAM
        // identity sees minus the RAM-only custom policies: the system FullAliyunAccess stays in,
        // or a deny-list `All` guardrail would implicitly deny the root everything else.
        let binds_root = attached.iter().any(|cp| cp.effect_scope == "All");
        for cp in attached {
            let source = PolicySource {
                name: cp.id.clone(),
                source_type: if cp.policy_type == PolicyType::System {
                    PolicySourceType::System
                } else {
                    PolicySourceType::Custom
                },
                version: None,
                scope: AttachedScope::Folder,
                entity: AttachedEntityType::ResourceDirectoryTarget,
                file: None,
            };
            add(
                &mut node.policies,
                &cp.document,
                PolicyKind::Control,
                source.clone(),
            );
            if binds_root && (cp.effect_scope == "All" || cp.id == FULL_ALIYUN_ACCESS_ID) {
                add(
                    &mut node.all_scope,
                    &cp.document,
                    PolicyKind::Control,
                    source,
                );
            }
        }
        node
    }

    /// Control-policy nodes for `account`, member first, root last (empty outside a directory).
    pub fn control_chain(&self, world: &World, account: &str) -> Vec<Arc<ControlNode>> {
        control_targets(world, account)
            .iter()
            .map(|t| self.shared_control_node(t))
            .collect()
    }

    /// A fingerprint of everything [`Iam::policy_store`] reads for `caller`: the control
    /// targets and their policies, the session policy, and each applicable attachment with
    /// its document and version. Equal fingerprints build equal stores, so the gateway keeps
    /// a compiled store across identity changes that do not touch this caller (most of them).
    /// Must change whenever `policy_store` starts reading something new.
    pub fn store_fingerprint(&self, world: &World, caller: &Caller) -> u64 {
        use std::hash::Hash;
        // SipHash with fixed keys: deterministic, and collisions are out of reach. Everything
        // is hashed borrowed (a check fingerprints every principal after each policy change).
        let mut h = std::collections::hash_map::DefaultHasher::new();
        std::mem::discriminant(caller).hash(&mut h);
        visit_control_targets(world, caller.account(), |target| {
            target.hash(&mut h);
            self.control_inputs_hash(target).hash(&mut h);
        });
        self.finish_fingerprint(h, caller)
    }

    /// What [`Iam::store_fingerprint`] hashes of `account`'s control chain, for fingerprinting
    /// several principals of the account in the same state ([`Iam::store_fingerprint_with`]).
    pub fn control_part(&self, world: &World, account: &str) -> ControlPart {
        let mut part = Vec::new();
        visit_control_targets(world, account, |target| {
            part.push((target.to_string(), self.control_inputs_hash(target)));
        });
        ControlPart(part)
    }

    /// [`Iam::store_fingerprint`] (the same value) with the control part of the caller's
    /// account taken from `control`, which must be [`Iam::control_part`] of that account in
    /// this same state.
    pub fn store_fingerprint_with(&self, caller: &Caller, control: &ControlPart) -> u64 {
        use std::hash::Hash;
        let mut h = std::collections::hash_map::DefaultHasher::new();
        std::mem::discriminant(caller).hash(&mut h);
        for (target, inputs) in &control.0 {
            target.as_str().hash(&mut h);
            inputs.hash(&mut h);
        }
        self.finish_fingerprint(h, caller)
    }

    /// The rest of a store fingerprint after its control part: the session policy and each
    /// applicable attachment with its document and version.
    fn finish_fingerprint(
        &self,
        mut h: std::collections::hash_map::DefaultHasher,
        caller: &Caller,
    ) -> u64 {
        use std::hash::{Hash, Hasher};
        let account = caller.account();
        let Some(acct) = self.accounts.get(account) else {
            return h.finish();
        };
        if matches!(caller, Caller::Root { .. }) {
            return h.finish();
        }
        self.session_policy(caller).hash(&mut h);
        for att in caller_attachments(acct, caller) {
            att.hash(&mut h);
            self.identity_document_ref(account, &att.policy, att.policy_type)
                .hash(&mut h);
        }
        h.finish()
    }

    /// Adds the document of attachment `att` (of `account`) to `store`, at account or
    /// resource-group scope; `entity` is the grantee kind reported for users and roles (group
    /// attachments always report `RamGroup`).
    pub fn attach_to_store(
        &self,
        store: &mut PolicyStore,
        account: &str,
        att: &Attachment,
        entity: AttachedEntityType,
    ) {
        let Some((text, version)) = self.identity_document(account, &att.policy, att.policy_type)
        else {
            return;
        };
        let entity = match att.grantee {
            Grantee::Group(_) => AttachedEntityType::RamGroup,
            _ => entity,
        };
        let source = PolicySource {
            name: att.policy.clone(),
            source_type: if att.policy_type == PolicyType::System {
                PolicySourceType::System
            } else {
                PolicySourceType::Custom
            },
            version,
            scope: if att.resource_group.is_some() {
                AttachedScope::ResourceGroup
            } else {
                AttachedScope::Account
            },
            entity,
            file: None,
        };
        let set = match &att.resource_group {
            None => &mut store.identity,
            Some(rg) => store.resource_group_set(rg),
        };
        add(set, &text, PolicyKind::Identity, source);
    }

    /// The policies that bear on `caller`'s requests (the resource policy is the gateway's).
    pub fn policy_store(&self, world: &World, caller: &Caller) -> PolicyStore {
        let account = caller.account();
        let mut store = PolicyStore {
            control_chain: self.control_chain(world, account),
            ..PolicyStore::default()
        };
        let Some(acct) = self.accounts.get(account) else {
            return store;
        };
        let entity = match caller {
            Caller::Root { .. } => return store,
            Caller::User { .. } => AttachedEntityType::RamUser,
            Caller::Session { .. } => AttachedEntityType::RamRole,
        };
        if let Some(text) = self.session_policy(caller) {
            let mut set = PolicySet::new();
            let source = PolicySource {
                name: "SessionPolicy".into(),
                source_type: PolicySourceType::Custom,
                version: None,
                scope: AttachedScope::None,
                entity: AttachedEntityType::None,
                file: None,
            };
            add(&mut set, text, PolicyKind::Session, source);
            store.session = Some(set);
        }
        for att in caller_attachments(acct, caller) {
            self.attach_to_store(&mut store, account, att, entity);
        }
        store
    }
}

/// The control part of an account's store fingerprints ([`Iam::control_part`]): each control
/// target with the hash of its attached policies, in chain order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlPart(Vec<(String, u64)>);

/// The attachments that apply to `caller` in its account `acct`: those of a user and its
/// groups, of a session's role, none for the root (it is not governed by attachments).
pub(crate) fn caller_attachments<'a>(
    acct: &'a AccountIam,
    caller: &'a Caller,
) -> impl Iterator<Item = &'a Attachment> + 'a {
    let applies = move |grantee: &Grantee| match (caller, grantee) {
        (Caller::User { name, .. }, Grantee::User(u)) => u == name,
        (Caller::User { name, .. }, Grantee::Group(g)) => acct
            .users
            .get(name)
            .is_some_and(|u| u.groups.iter().any(|x| x == g)),
        (Caller::Session { role, .. }, Grantee::Role(r)) => r == role,
        _ => false,
    };
    acct.attachments.iter().filter(move |a| applies(&a.grantee))
}

/// The control-policy targets that bear on `account`: the member itself, then its folders up
/// to the root (none outside a directory).
pub(crate) fn control_targets(world: &World, account: &str) -> Vec<String> {
    let mut targets = Vec::new();
    visit_control_targets(world, account, |t| targets.push(t.to_string()));
    targets
}

/// Calls `f` with each of [`control_targets`], in order, without collecting them.
fn visit_control_targets(world: &World, account: &str, mut f: impl FnMut(&str)) {
    let Some(rd) = world.resource_directory() else {
        return;
    };
    let Some(member) = rd.members.get(account) else {
        return;
    };
    f(account);
    let mut folder = member.folder_id.as_str();
    // Bounded walk: a folder chain can be no longer than the number of folders.
    for _ in 0..=rd.folders.len() {
        f(folder);
        if folder == rd.root_folder_id {
            break;
        }
        match rd.folders.get(folder) {
            Some(f) => folder = f.parent_folder_id.as_str(),
            None => break,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::api::SimState;
    use std::path::Path;
    use std::sync::Arc;

    /// An account of `state` and a control target of its chain with policies attached.
    fn controlled_account(state: &SimState) -> (String, String) {
        state
            .world
            .accounts()
            .map(|a| a.uid.clone())
            .find_map(|uid| {
                let t = super::control_targets(&state.world, &uid)
                    .into_iter()
                    .find(|t| !state.iam.control_policies_at(t).is_empty())?;
                Some((uid, t))
            })
            .expect("a target with control policies")
    }

    /// Gives the first policy attached to `target` a new document.
    fn rewrite_first_control_policy(state: &mut SimState, target: &str) {
        let id = state.iam.control_attachments[target][0].clone();
        state
            .iam
            .control_policies
            .get_mut(&id)
            .expect("attached policy")
            .document =
            r#"{"Version":"1","Statement":[{"Effect":"Deny","Action":"ram:*","Resource":"*"}]}"#
                .into();
    }

    #[test]
    fn a_cached_control_node_follows_its_policies() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/worlds/esc-control.json");
        let mut state = SimState::from_world_file(&path).expect("world");
        let (account, target) = controlled_account(&state);
        let position = super::control_targets(&state.world, &account)
            .iter()
            .position(|t| *t == target)
            .expect("target in chain");
        let node =
            |state: &SimState| state.iam.control_chain(&state.world, &account)[position].clone();
        let first = node(&state);
        assert!(
            Arc::ptr_eq(&first, &node(&state)),
            "compiled once, then shared"
        );
        rewrite_first_control_policy(&mut state, &target);
        let changed = node(&state);
        assert!(
            !Arc::ptr_eq(&first, &changed),
            "a new document is compiled anew"
        );
        assert_eq!(
            format!("{changed:?}"),
            format!("{:?}", state.iam.control_node(&target))
        );
    }

    /// A store fingerprint is the same whether the node cache holds the caller's control
    /// nodes or not, and follows a control document's change either way.
    #[test]
    fn fingerprints_do_not_depend_on_the_node_cache() {
        use crate::iam::Caller;
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/worlds/esc-control.json");
        let mut state = SimState::from_world_file(&path).expect("world");
        let (account, target) = controlled_account(&state);
        let caller = Caller::User {
            account: account.clone(),
            name: "anyone".into(),
        };
        let clear = || super::NODES.with(|n| n.borrow_mut().clear());
        let fingerprint = |state: &SimState| state.iam.store_fingerprint(&state.world, &caller);
        clear();
        let cold = fingerprint(&state);
        state.iam.control_chain(&state.world, &account);
        assert_eq!(
            fingerprint(&state),
            cold,
            "cached nodes give the same fingerprint"
        );
        rewrite_first_control_policy(&mut state, &target);
        let stale_cache = fingerprint(&state);
        assert_ne!(stale_cache, cold, "a new document changes the fingerprint");
        clear();
        assert_eq!(fingerprint(&state), stale_cache);
        state.iam.control_chain(&state.world, &account);
        assert_eq!(fingerprint(&state), stale_cache);
    }
}
