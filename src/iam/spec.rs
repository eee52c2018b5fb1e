//! The identity part of a world file: principals, their policies and attachments, and control
//! policies. Policy documents are given inline or as files relative to the world file.

use super::model::*;
use super::system_policies::{system_policy, FULL_ALIYUN_ACCESS_ID};
use crate::cloud::World;
use crate::policy::diagnostic::render_human;
use crate::policy::span::LineIndex;
use crate::policy::{read_policy, PolicyKind, ReadOptions};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// A policy document: a file path, or the document inline (JSON object or string).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum DocumentSpec {
    /// `{"file": "policies/x.json"}`
    File {
        /// Path, relative to the world file.
        file: String,
    },
    /// An inline JSON document.
    Inline(serde_json::Value),
}

/// A custom policy of an account.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicySpec {
    /// Policy name.
    pub name: String,
    /// The document.
    pub document: DocumentSpec,
    /// Description.
    #[serde(default)]
    pub description: String,
}

/// A user.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserSpec {
    /// Name.
    pub name: String,
    /// Groups.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Policies attached at account scope: `name`, `System:name` or `Custom:name`.
    #[serde(default)]
    pub policies: Vec<String>,
    /// Policies attached at resource-group scope: resource group id → policies.
    #[serde(default)]
    pub resource_group_policies: BTreeMap<String, Vec<String>>,
    /// AccessKeys: a number of keys to generate (0–2), or a list of given pairs.
    #[serde(default)]
    pub access_keys: AccessKeysSpec,
}

/// A user's `access_keys`: a count (ids and secrets generated deterministically) or the pairs
/// themselves, in Alibaba's field names.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum AccessKeysSpec {
    /// `"access_keys": 1`
    Count(u8),
    /// `"access_keys": [{"AccessKeyId": "LTAI…", "AccessKeySecret": "…"}]`
    Given(Vec<AccessKeyPairSpec>),
}

impl Default for AccessKeysSpec {
    fn default() -> Self {
        AccessKeysSpec::Count(0)
    }
}

/// One given AccessKey pair.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessKeyPairSpec {
    /// `LTAI` followed by 12–26 letters and digits.
    #[serde(rename = "AccessKeyId")]
    pub access_key_id: String,
    /// The secret (8–64 printable ASCII characters; Alibaba's are 30).
    #[serde(rename = "AccessKeySecret")]
    pub access_key_secret: String,
}

/// Checks a given pair (ASSUMED format limits: Alibaba's ids are `LTAI` + 20 characters and
/// secrets 30; the bounds here are looser so hand-written test keys fit).
fn check_key_pair(k: &AccessKeyPairSpec, at: &str) -> Result<(), String> {
    let id = &k.access_key_id;
    let body_ok = id.strip_prefix("LTAI").is_some_and(|b| {
        (12..=26).contains(&b.len()) && b.bytes().all(|c| c.is_ascii_alphanumeric())
    });
    if !body_ok {
        return Err(format!(
            "{at}.AccessKeyId: `{id}` is not an AccessKeyId (`LTAI` then 12–26 letters or digits)"
        ));
    }
    let secret = &k.access_key_secret;
    if !(8..=64).contains(&secret.len()) || !secret.bytes().all(|c| c.is_ascii_graphic()) {
        return Err(format!(
            "{at}.AccessKeySecret: 8–64 printable ASCII characters without spaces"
        ));
    }
    Ok(())
}

/// A group.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupSpec {
    /// Name.
    pub name: String,
    /// Policies at account scope.
    #[serde(default)]
    pub policies: Vec<String>,
    /// Policies at resource-group scope.
    #[serde(default)]
    pub resource_group_policies: BTreeMap<String, Vec<String>>,
}

/// A role.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleSpec {
    /// Name.
    pub name: String,
    /// Trust policy.
    pub trust: DocumentSpec,
    /// Policies at account scope.
    #[serde(default)]
    pub policies: Vec<String>,
    /// Policies at resource-group scope.
    #[serde(default)]
    pub resource_group_policies: BTreeMap<String, Vec<String>>,
    /// Service-linked role (exempt from control policies).
    #[serde(default)]
    pub service_linked: bool,
}

/// RAM content of one account.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountIamSpec {
    /// Custom policies.
    #[serde(default)]
    pub policies: Vec<PolicySpec>,
    /// Groups.
    #[serde(default)]
    pub groups: Vec<GroupSpec>,
    /// Users.
    #[serde(default)]
    pub users: Vec<UserSpec>,
    /// Roles.
    #[serde(default)]
    pub roles: Vec<RoleSpec>,
}

/// A control policy and where it is attached.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControlPolicySpec {
    /// Name.
    pub name: String,
    /// The document.
    pub document: DocumentSpec,
    /// Targets: root folder id, folder ids, member UIDs (or aliases).
    #[serde(default)]
    pub attach: Vec<String>,
    /// `RAM` (default) or `All`.
    #[serde(default = "ram_scope")]
    pub effect_scope: String,
}

fn ram_scope() -> String {
    "RAM".into()
}

fn yes() -> bool {
    true
}

/// The `identity` section of a world file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IamSpec {
    /// Enable control policies (attach FullAliyunAccess everywhere) when a directory exists.
    #[serde(default = "yes")]
    pub control_policies_enabled: bool,
    /// Targets FullAliyunAccess is detached from (allow-list control policies, §6.3).
    #[serde(default)]
    pub detach_full_aliyun_access: Vec<String>,
    /// Control policies.
    #[serde(default)]
    pub control_policies: Vec<ControlPolicySpec>,
    /// RAM content per account (UID or alias).
    #[serde(default)]
    pub accounts: BTreeMap<String, AccountIamSpec>,
}

impl Default for IamSpec {
    fn default() -> Self {
        IamSpec {
            control_policies_enabled: true,
            detach_full_aliyun_access: Vec::new(),
            control_policies: Vec::new(),
            accounts: BTreeMap::new(),
        }
    }
}

/// Reads a document and validates it as `kind`; errors name the file, line:column and rule.
pub fn load_document(
    doc: &DocumentSpec,
    kind: PolicyKind,
    base: &Path,
    at: &str,
) -> Result<String, String> {
    let (text, file) = match doc {
        DocumentSpec::File { file } => {
            let path = base.join(file);
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("{at}: cannot read `{}`: {e}", path.display()))?;
            (text, path.display().to_string())
        }
        DocumentSpec::Inline(serde_json::Value::String(s)) => (s.clone(), at.to_string()),
        DocumentSpec::Inline(v) => (
            serde_json::to_string_pretty(v).map_err(|e| e.to_string())?,
            at.to_string(),
        ),
    };
    let r = read_policy(&text, kind, &ReadOptions::default());
    if r.has_errors() {
        let idx = LineIndex::new(&text);
        let rendered: String = r
            .diagnostics
            .iter()
            .map(|d| render_human(&file, &text, &idx, kind, d))
            .collect();
        return Err(format!("{at}: not a valid {kind} policy\n{rendered}"));
    }
    Ok(text)
}

fn resolve_uid(world: &World, key: &str) -> Option<String> {
    if world.account(key).is_some() {
        Some(key.to_string())
    } else {
        world.uid_by_alias(key).map(str::to_string)
    }
}

fn policy_ref(acct: &AccountIam, r: &str) -> Result<(String, PolicyType), String> {
    let (t, name) = match r.split_once(':') {
        Some(("System", n)) => (Some(PolicyType::System), n),
        Some(("Custom", n)) => (Some(PolicyType::Custom), n),
        _ => (None, r),
    };
    let custom = acct.policies.contains_key(name);
    let system = system_policy(name).is_some();
    match (t, custom, system) {
        (Some(PolicyType::Custom), true, _) | (None, true, _) => {
            Ok((name.to_string(), PolicyType::Custom))
        }
        (Some(PolicyType::System), _, true) | (None, false, true) => {
            Ok((name.to_string(), PolicyType::System))
        }
        _ => Err(format!(
            "unknown policy `{r}` (not a custom policy of the account nor a known system policy)"
        )),
    }
}

impl Iam {
    /// Builds the identity state from `spec`, reading files relative to `base`.
    pub fn from_spec(spec: &IamSpec, world: &mut World, base: &Path) -> Result<Iam, String> {
        let mut iam = Iam::default();
        // Given AccessKeyIds with where they were declared, checked for uniqueness below.
        let mut given_keys: Vec<(String, String)> = Vec::new();
        for (key, a) in &spec.accounts {
            let uid = resolve_uid(world, key)
                .ok_or_else(|| format!("identity.accounts.{key}: no such account in `accounts`"))?;
            let at = format!("identity.accounts.{key}");
            let mut acct = AccountIam::default();
            for (i, p) in a.policies.iter().enumerate() {
                let text = load_document(
                    &p.document,
                    PolicyKind::Identity,
                    base,
                    &format!("{at}.policies[{i}]"),
                )?;
                if acct.policies.contains_key(&p.name) || system_policy(&p.name).is_some() {
                    return Err(format!(
                        "{at}.policies[{i}]: policy name `{}` is already taken",
                        p.name
                    ));
                }
                acct.policies.insert(
                    p.name.clone(),
                    CustomPolicy {
                        name: p.name.clone(),
                        description: p.description.clone(),
                        versions: vec![PolicyVersion {
                            id: "v1".into(),
                            document: text,
                        }],
                        default_version: "v1".into(),
                        next_version: 2,
                    },
                );
            }
            let attach = |acct: &mut AccountIam,
                          refs: &[String],
                          rgs: &BTreeMap<String, Vec<String>>,
                          grantee: Grantee,
                          at: &str|
             -> Result<(), String> {
                let scoped = refs.iter().map(|r| (r, None)).chain(
                    rgs.iter()
                        .flat_map(|(rg, rs)| rs.iter().map(move |r| (r, Some(rg.clone())))),
                );
                for (r, rg) in scoped {
                    let (policy, policy_type) =
                        policy_ref(acct, r).map_err(|e| format!("{at}: {e}"))?;
                    if let Some(rg) = &rg {
                        if !world
                            .account(&uid)
                            .is_some_and(|x| x.resource_groups.contains(rg))
                        {
                            return Err(format!("{at}: unknown resource group `{rg}` (declare it in the account's `resource_groups`)"));
                        }
                    }
                    let att = Attachment {
                        policy,
                        policy_type,
                        grantee: grantee.clone(),
                        resource_group: rg,
                    };
                    if !acct.attachments.contains(&att) {
                        acct.attachments.push(att);
                    }
                }
                Ok(())
            };
            for (i, g) in a.groups.iter().enumerate() {
                acct.groups.insert(
                    g.name.clone(),
                    Group {
                        name: g.name.clone(),
                    },
                );
                attach(
                    &mut acct,
                    &g.policies,
                    &g.resource_group_policies,
                    Grantee::Group(g.name.clone()),
                    &format!("{at}.groups[{i}]"),
                )?;
            }
            for (i, u) in a.users.iter().enumerate() {
                let uat = format!("{at}.users[{i}]");
                if acct.users.contains_key(&u.name) {
                    return Err(format!("{uat}: duplicate user `{}`", u.name));
                }
                for g in &u.groups {
                    if !acct.groups.contains_key(g) {
                        return Err(format!("{uat}: unknown group `{g}`"));
                    }
                }
                let mut groups = u.groups.clone();
                groups.sort();
                let id = iam.next_number("2");
                let mut user = User {
                    name: u.name.clone(),
                    id,
                    groups,
                    access_keys: Vec::new(),
                };
                match &u.access_keys {
                    AccessKeysSpec::Count(n) => {
                        for _ in 0..(*n).min(2) {
                            user.access_keys.push(AccessKey {
                                id: iam.next_token("LTAI", 20),
                                status: "Active".into(),
                                secret: None,
                            });
                        }
                    }
                    AccessKeysSpec::Given(pairs) => {
                        if pairs.len() > 2 {
                            return Err(format!(
                                "{uat}.access_keys: a user has at most 2 AccessKeys"
                            ));
                        }
                        for (k, pair) in pairs.iter().enumerate() {
                            let kat = format!("{uat}.access_keys[{k}]");
                            check_key_pair(pair, &kat)?;
                            given_keys.push((pair.access_key_id.clone(), kat));
                            user.access_keys.push(AccessKey {
                                id: pair.access_key_id.clone(),
                                status: "Active".into(),
                                secret: Some(pair.access_key_secret.clone()),
                            });
                        }
                    }
                }
                acct.users.insert(u.name.clone(), user);
                attach(
                    &mut acct,
                    &u.policies,
                    &u.resource_group_policies,
                    Grantee::User(u.name.clone()),
                    &uat,
                )?;
            }
            for (i, r) in a.roles.iter().enumerate() {
                let rat = format!("{at}.roles[{i}]");
                let trust =
                    load_document(&r.trust, PolicyKind::Trust, base, &format!("{rat}.trust"))?;
                let id = iam.next_number("3");
                acct.roles.insert(
                    r.name.clone(),
                    Role {
                        name: r.name.clone(),
                        id,
                        trust_policy: trust,
                        service_linked: r.service_linked,
                    },
                );
                attach(
                    &mut acct,
                    &r.policies,
                    &r.resource_group_policies,
                    Grantee::Role(r.name.clone()),
                    &rat,
                )?;
            }
            acct.attachments.sort();
            iam.accounts.insert(uid, acct);
        }
        for (id, at) in &given_keys {
            let owners = iam
                .accounts
                .values()
                .flat_map(|a| a.users.values())
                .flat_map(|u| &u.access_keys)
                .filter(|k| &k.id == id)
                .count();
            if owners > 1 {
                return Err(format!("{at}.AccessKeyId: `{id}` is used more than once"));
            }
        }
        let has_rd = world.resource_directory().is_some();
        if spec.control_policies_enabled && has_rd {
            iam.enable_control_policies(world);
        }
        for (i, cp) in spec.control_policies.iter().enumerate() {
            let at = format!("identity.control_policies[{i}]");
            if !has_rd {
                return Err(format!(
                    "{at}: control policies need a `resource_directory`"
                ));
            }
            let text = load_document(&cp.document, PolicyKind::Control, base, &at)?;
            if cp.effect_scope != "RAM" && cp.effect_scope != "All" {
                return Err(format!("{at}: effect_scope must be `RAM` or `All`"));
            }
            let id = iam.next_token("cp-", 16).to_lowercase();
            iam.control_policies.insert(
                id.clone(),
                ControlPolicy {
                    id: id.clone(),
                    name: cp.name.clone(),
                    document: text,
                    policy_type: PolicyType::Custom,
                    effect_scope: cp.effect_scope.clone(),
                },
            );
            for t in &cp.attach {
                let target = resolve_uid(world, t).unwrap_or_else(|| t.clone());
                let rd = world.resource_directory();
                let known = rd.is_some_and(|rd| {
                    rd.folder_path(&target).is_some() || rd.members.contains_key(&target)
                });
                if !known {
                    return Err(format!("{at}.attach: unknown target `{t}` (root folder id, folder id or member account)"));
                }
                iam.control_attachments
                    .entry(target)
                    .or_default()
                    .push(id.clone());
            }
        }
        for t in &spec.detach_full_aliyun_access {
            let target = resolve_uid(world, t).unwrap_or_else(|| t.clone());
            match iam.control_attachments.get_mut(&target) {
                Some(list) => list.retain(|p| p != FULL_ALIYUN_ACCESS_ID),
                None => {
                    return Err(format!(
                        "identity.detach_full_aliyun_access: unknown target `{t}`"
                    ))
                }
            }
        }
        Ok(iam)
    }
}
