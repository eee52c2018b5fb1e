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

/// Parsed documents by (kind, text). Stores are rebuilt whenever a decision-changing write
/// happens, from the same few documents each time; reading is a pure function of the text, so
/// a bounded per-thread cache is safe and keeps rebuilds from re-parsing.
type ParseCache = std::collections::HashMap<(PolicyKind, String), Option<std::rc::Rc<Policy>>>;

thread_local! {
    static PARSED: std::cell::RefCell<ParseCache> = std::cell::RefCell::new(ParseCache::new());
}

/// Largest number of documents kept parsed per thread.
const PARSE_CACHE_LIMIT: usize = 4_096;

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
        match t {
            PolicyType::System => system_policy(name).map(|d| (d.to_string(), None)),
            PolicyType::Custom => {
                let p = self.accounts.get(account)?.policies.get(name)?;
                Some((
                    p.default_document()?.to_string(),
                    Some(p.default_version.clone()),
                ))
            }
        }
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
    pub fn control_chain(&self, world: &World, account: &str) -> Vec<ControlNode> {
        control_targets(world, account)
            .iter()
            .map(|t| self.control_node(t))
            .collect()
    }

    /// A fingerprint of everything [`Iam::policy_store`] reads for `caller`: the control
    /// targets and their policies, the session policy, and each applicable attachment with
    /// its document and version. Equal fingerprints build equal stores, so the gateway keeps
    /// a compiled store across identity changes that do not touch this caller (most of them).
    /// Must change whenever `policy_store` starts reading something new.
    pub fn store_fingerprint(&self, world: &World, caller: &Caller) -> u64 {
        use std::hash::{Hash, Hasher};
        // SipHash with fixed keys: deterministic, and collisions are out of reach.
        let mut h = std::collections::hash_map::DefaultHasher::new();
        let account = caller.account();
        std::mem::discriminant(caller).hash(&mut h);
        for target in control_targets(world, account) {
            target.hash(&mut h);
            for cp in self.control_policies_at(&target) {
                (&cp.id, cp.policy_type, &cp.document, &cp.effect_scope).hash(&mut h);
            }
        }
        let Some(acct) = self.accounts.get(account) else {
            return h.finish();
        };
        if matches!(caller, Caller::Root { .. }) {
            return h.finish();
        }
        self.session_policy(caller).hash(&mut h);
        let grantees = caller_grantees(acct, caller);
        for att in acct
            .attachments
            .iter()
            .filter(|a| grantees.contains(&a.grantee))
        {
            att.hash(&mut h);
            self.identity_document(account, &att.policy, att.policy_type)
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
        let grantees = caller_grantees(acct, caller);
        for att in acct
            .attachments
            .iter()
            .filter(|a| grantees.contains(&a.grantee))
        {
            self.attach_to_store(&mut store, account, att, entity);
        }
        store
    }
}

/// The grantees whose attachments apply to `caller` in its account `acct`: a user and its
/// groups, a session's role, nothing for the root (it is not governed by attachments).
pub(crate) fn caller_grantees(acct: &AccountIam, caller: &Caller) -> Vec<Grantee> {
    match caller {
        Caller::Root { .. } => Vec::new(),
        Caller::User { name, .. } => {
            let mut g = vec![Grantee::User(name.clone())];
            if let Some(u) = acct.users.get(name) {
                g.extend(u.groups.iter().cloned().map(Grantee::Group));
            }
            g
        }
        Caller::Session { role, .. } => vec![Grantee::Role(role.clone())],
    }
}

/// The control-policy targets that bear on `account`: the member itself, then its folders up
/// to the root (none outside a directory).
pub(crate) fn control_targets(world: &World, account: &str) -> Vec<String> {
    let Some(rd) = world.resource_directory() else {
        return Vec::new();
    };
    let Some(member) = rd.members.get(account) else {
        return Vec::new();
    };
    let mut targets = vec![account.to_string()];
    let mut folder = member.folder_id.clone();
    // Bounded walk: a folder chain can be no longer than the number of folders.
    for _ in 0..=rd.folders.len() {
        targets.push(folder.clone());
        if folder == rd.root_folder_id {
            break;
        }
        match rd.folders.get(&folder) {
            Some(f) => folder = f.parent_folder_id.clone(),
            None => break,
        }
    }
    targets
}
