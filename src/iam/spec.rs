//! The identity part of a world file: principals, their policies and attachments, and control
//! policies. Policy documents are given inline or as files relative to the world file.

use super::model::*;
use super::ops::checked_max_session_duration;
use super::system_policies::{system_policy, FULL_ALIYUN_ACCESS_ID};
use crate::cloud::World;
use crate::input::{read_text, FileRefs, InputKind};
use crate::policy::diagnostic::{render_human, render_human_all};
use crate::policy::json::Value as JsonValue;
use crate::policy::span::{JsonPath, LineIndex, PathStep, Span};
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

/// A custom policy of an account: one `document` (version `v1`), or several `versions` with
/// the `default_version` in force.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicySpec {
    /// Policy name.
    pub name: String,
    /// The document of a single-version policy.
    #[serde(default)]
    pub document: Option<DocumentSpec>,
    /// The versions of a policy with several (at most 5, ids `v1`, `v2`, …, each once).
    #[serde(default)]
    pub versions: Vec<PolicyVersionSpec>,
    /// The version in force; required with `versions`.
    #[serde(default)]
    pub default_version: Option<String>,
    /// Description.
    #[serde(default)]
    pub description: String,
}

/// One version of a custom policy in a world file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyVersionSpec {
    /// `v1`, `v2`, …
    pub id: String,
    /// The document.
    pub document: DocumentSpec,
}

/// The number of `vN`, if `id` is a version id.
fn version_number(id: &str) -> Option<u32> {
    let n = id.strip_prefix('v')?;
    // Nine digits at most, so the next number always fits.
    if n.is_empty() || n.len() > 9 || n.starts_with('0') || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    n.parse().ok().filter(|n| *n >= 1)
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
    /// `MaxSessionDuration` in seconds (3,600–43,200; default 3,600).
    #[serde(default)]
    pub max_session_duration: Option<i64>,
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

/// The text of the world file a spec was read from, so that findings in inline policy
/// documents point at the world file's own lines and columns (and JSON path), not at a
/// re-printed copy of the document. The file is re-read with spans only when a document fails.
#[derive(Debug, Clone, Copy)]
pub struct WorldSource<'a> {
    /// The file name shown in diagnostics.
    pub file: &'a str,
    /// The whole world file.
    pub text: &'a str,
}

/// Source offsets of the characters of a JSON string literal: for every byte of the decoded
/// string, the offset in `raw` (the literal, quotes included) of the source character it
/// comes from, plus one entry for the end. Escapes (`\n`, `\u00e9`, surrogate pairs) map
/// each decoded byte to the escape's first byte.
fn literal_offsets(raw: &str) -> Vec<usize> {
    let bytes = raw.as_bytes();
    let mut map = Vec::with_capacity(raw.len());
    let mut i = 1; // after the opening quote
    let end = raw.len().saturating_sub(1); // the closing quote
    while i < end {
        let (decoded_len, source_len) = if bytes[i] == b'\\' {
            match bytes.get(i + 1) {
                Some(b'u') => {
                    let hex = |at: usize| {
                        raw.get(at..at + 4)
                            .and_then(|h| u32::from_str_radix(h, 16).ok())
                    };
                    match hex(i + 2) {
                        Some(0xD800..=0xDBFF)
                            if raw.get(i + 6..i + 8) == Some("\\u")
                                && hex(i + 8).is_some_and(|lo| (0xDC00..=0xDFFF).contains(&lo)) =>
                        {
                            (4, 12)
                        }
                        Some(c) => (char::from_u32(c).map_or(3, char::len_utf8), 6),
                        None => (1, 2),
                    }
                }
                _ => (1, 2),
            }
        } else {
            let len = raw[i..].chars().next().map_or(1, char::len_utf8);
            (len, len)
        };
        map.extend(std::iter::repeat_n(i, decoded_len));
        i += source_len;
    }
    map.push(end);
    map
}

impl WorldSource<'_> {
    /// `file:line:column` of the node at `path` (from the world file's root), if it exists.
    pub fn position(&self, path: &JsonPath) -> Option<String> {
        let root = crate::policy::json::parse(self.text).ok()?;
        let mut node = &root;
        for step in &path.0 {
            node = match (step, &node.value) {
                (PathStep::Key(k), JsonValue::Object(members)) => {
                    &members.iter().rfind(|m| &m.key == k)?.value
                }
                (PathStep::Index(i), JsonValue::Array(items)) => items.get(*i)?,
                _ => return None,
            };
        }
        let lc = LineIndex::new(self.text).line_col(self.text, node.span.start);
        Some(format!("{}:{lc}", self.file))
    }

    /// Renders the findings of the inline document at `path` of the world file, located in
    /// the world file; `None` when it cannot (no such node, or the source reads clean).
    fn render_inline(&self, path: &JsonPath, kind: PolicyKind) -> Option<String> {
        let root = crate::policy::json::parse(self.text).ok()?;
        let mut node = &root;
        for step in &path.0 {
            node = match (step, &node.value) {
                (PathStep::Key(k), JsonValue::Object(members)) => {
                    &members.iter().rfind(|m| &m.key == k)?.value
                }
                (PathStep::Index(i), JsonValue::Array(items)) => items.get(*i)?,
                _ => return None,
            };
        }
        let start = node.span.start;
        let raw = self.text.get(node.span.start..node.span.end)?;
        // The document's text, and for each of its bytes the offset in the world file.
        let (doc, offsets): (String, Vec<usize>) = match &node.value {
            JsonValue::Object(_) => (
                raw.to_string(),
                (0..=raw.len()).map(|o| start + o).collect(),
            ),
            JsonValue::String(s) => (
                s.clone(),
                literal_offsets(raw)
                    .into_iter()
                    .map(|o| start + o)
                    .collect(),
            ),
            _ => return None,
        };
        let r = read_policy(&doc, kind, &ReadOptions::default());
        if !r.has_errors() {
            return None;
        }
        let at = |o: usize| offsets.get(o).or(offsets.last()).copied().unwrap_or(start);
        let idx = LineIndex::new(self.text);
        Some(
            r.diagnostics
                .iter()
                .map(|d| {
                    let mut d = d.clone();
                    d.span = Span::new(at(d.span.start), at(d.span.end));
                    d.path = JsonPath(path.0.iter().chain(&d.path.0).cloned().collect());
                    render_human(self.file, self.text, &idx, kind, &d)
                })
                .collect(),
        )
    }
}

/// True when `text` looks like a policy document: a JSON object with a `Statement` member.
/// Diagnostics quote the lines of such a file; any other file named by a reference (a world
/// file may name any path) is described without echoing its content.
fn looks_like_policy(text: &str) -> bool {
    match crate::policy::json::parse(text) {
        Ok(node) => match &node.value {
            crate::policy::json::Value::Object(members) => {
                members.iter().any(|m| m.key == "Statement")
            }
            _ => false,
        },
        Err(_) => false,
    }
}

/// Reads a document and validates it as `kind`; errors name the file, line:column and rule.
/// A `{"file": …}` reference is resolved relative to `base` and confined by `refs`; the file
/// is read with the policy-file cap ([`crate::input::MAX_POLICY_FILE`]).
pub fn load_document(
    doc: &DocumentSpec,
    kind: PolicyKind,
    base: &Path,
    refs: &FileRefs,
    at: &str,
) -> Result<String, String> {
    load_document_in(doc, kind, base, refs, at, None)
}

/// [`load_document`] for a document of a world file: an inline document's findings point at
/// `source`'s lines and columns, with the JSON path from the world file's root (`located`:
/// the world file and the path of the document in it).
pub fn load_document_in(
    doc: &DocumentSpec,
    kind: PolicyKind,
    base: &Path,
    refs: &FileRefs,
    at: &str,
    located: Option<(&WorldSource, JsonPath)>,
) -> Result<String, String> {
    let (text, file, referenced) = match doc {
        DocumentSpec::File { file } => {
            let path = refs.resolve(base, file, at)?;
            let text = read_text(&path, InputKind::Policy).map_err(|e| format!("{at}: {e}"))?;
            (text, path.display().to_string(), true)
        }
        DocumentSpec::Inline(serde_json::Value::String(s)) => (s.clone(), at.to_string(), false),
        DocumentSpec::Inline(v) => (
            serde_json::to_string_pretty(v).map_err(|e| e.to_string())?,
            at.to_string(),
            false,
        ),
    };
    let r = read_policy(&text, kind, &ReadOptions::default());
    if r.has_errors() {
        if let (DocumentSpec::Inline(_), Some((source, path))) = (doc, &located) {
            if let Some(rendered) = source.render_inline(path, kind) {
                return Err(format!("{at}: not a valid {kind} policy\n{rendered}"));
            }
        }
        if referenced && !looks_like_policy(&text) {
            let first = r
                .diagnostics
                .first()
                .map(|d| {
                    let lc = LineIndex::new(&text).line_col(&text, d.span.start);
                    format!(
                        "; first problem at {file}:{lc}: {} ({})",
                        d.rule.id_for(kind),
                        d.rule.checker_name()
                    )
                })
                .unwrap_or_default();
            return Err(format!(
                "{at}: `{file}` is not a policy document (expected {} {kind} policy: a JSON object with a `Statement`); its content is not shown{first}",
                if kind == PolicyKind::Identity { "an" } else { "a" }
            ));
        }
        let rendered = render_human_all(&file, &text, kind, &r.diagnostics);
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
    /// Builds the identity state from `spec`, reading files relative to `base`, confined to
    /// `base` and the working directory (see [`FileRefs::for_top_file`]).
    pub fn from_spec(spec: &IamSpec, world: &mut World, base: &Path) -> Result<Iam, String> {
        let refs = FileRefs::beside(base);
        Iam::from_spec_in(spec, world, base, None, &refs)
    }

    /// Builds the identity state from `spec`, reading files relative to `base` as `refs`
    /// allows.
    pub fn from_spec_with(
        spec: &IamSpec,
        world: &mut World,
        base: &Path,
        refs: &FileRefs,
    ) -> Result<Iam, String> {
        Iam::from_spec_in(spec, world, base, None, refs)
    }

    /// [`Iam::from_spec_with`] for the `identity` section of a world file whose text is
    /// `source`: findings in inline policy documents are located in that file.
    pub fn from_spec_in(
        spec: &IamSpec,
        world: &mut World,
        base: &Path,
        source: Option<&WorldSource>,
        refs: &FileRefs,
    ) -> Result<Iam, String> {
        // The path of a document in the world file, for `source`.
        let locate = |steps: &[PathStep]| {
            source.map(|src| {
                let mut p = JsonPath::root().key("identity");
                p.0.extend_from_slice(steps);
                (src, p)
            })
        };
        let key = |k: &str| PathStep::Key(k.to_string());
        let mut iam = Iam::default();
        // Given AccessKeyIds with where they were declared, checked for uniqueness below.
        let mut given_keys: Vec<(String, String)> = Vec::new();
        for (key_name, a) in &spec.accounts {
            let key_name = key_name.as_str();
            let uid = resolve_uid(world, key_name).ok_or_else(|| {
                format!("identity.accounts.{key_name}: no such account in `accounts`")
            })?;
            let at = format!("identity.accounts.{key_name}");
            let mut acct = AccountIam::default();
            for (i, p) in a.policies.iter().enumerate() {
                let pat = format!("{at}.policies[{i}]");
                let steps = |more: &[PathStep]| {
                    let mut v = vec![
                        key("accounts"),
                        key(key_name),
                        key("policies"),
                        PathStep::Index(i),
                    ];
                    v.extend_from_slice(more);
                    v
                };
                // `\n  --> file:line:column` of a node of this policy, when the world file is known.
                let pos = |more: &[PathStep]| {
                    locate(&steps(more))
                        .and_then(|(src, path)| src.position(&path))
                        .map(|p| format!("\n  --> {p}"))
                        .unwrap_or_default()
                };
                if acct.policies.contains_key(&p.name) || system_policy(&p.name).is_some() {
                    return Err(format!(
                        "{pat}: policy name `{}` is already taken{}",
                        p.name,
                        pos(&[key("name")])
                    ));
                }
                let (versions, default_version) = match (&p.document, p.versions.is_empty()) {
                    (Some(doc), true) => {
                        if let Some(d) = p.default_version.as_ref().filter(|d| *d != "v1") {
                            return Err(format!(
                                "{pat}.default_version: `{d}` is not a version of the policy (a policy given by `document` has the single version `v1`){}",
                                pos(&[key("default_version")])
                            ));
                        }
                        let text = load_document_in(
                            doc,
                            PolicyKind::Identity,
                            base,
                            refs,
                            &pat,
                            locate(&steps(&[key("document")])),
                        )?;
                        (
                            vec![PolicyVersion {
                                id: "v1".into(),
                                document: text,
                                create_date: None,
                            }],
                            "v1".to_string(),
                        )
                    }
                    (Some(_), false) => {
                        return Err(format!(
                            "{pat}: give either `document` or `versions`, not both{}",
                            pos(&[key("versions")])
                        ))
                    }
                    (None, true) => {
                        return Err(format!(
                            "{pat}: a policy needs a `document` or `versions`{}",
                            pos(&[])
                        ))
                    }
                    (None, false) => {
                        if p.versions.len() > 5 {
                            return Err(format!(
                                "{pat}.versions: {} versions; a policy has at most 5 (LimitExceeded.Policy.Version){}",
                                p.versions.len(),
                                pos(&[key("versions"), PathStep::Index(5)]),
                            ));
                        }
                        let mut out: Vec<PolicyVersion> = Vec::new();
                        for (j, v) in p.versions.iter().enumerate() {
                            let vat = format!("{pat}.versions[{j}]");
                            if version_number(&v.id).is_none() {
                                return Err(format!(
                                    "{vat}.id: `{}` is not a version id (`v` then a positive number: v1, v2, …){}",
                                    v.id,
                                    pos(&[key("versions"), PathStep::Index(j), key("id")]),
                                ));
                            }
                            if out.iter().any(|o| o.id == v.id) {
                                return Err(format!(
                                    "{vat}.id: version `{}` is declared twice{}",
                                    v.id,
                                    pos(&[key("versions"), PathStep::Index(j), key("id")])
                                ));
                            }
                            let text = load_document_in(
                                &v.document,
                                PolicyKind::Identity,
                                base,
                                refs,
                                &vat,
                                locate(&steps(&[
                                    key("versions"),
                                    PathStep::Index(j),
                                    key("document"),
                                ])),
                            )?;
                            out.push(PolicyVersion {
                                id: v.id.clone(),
                                document: text,
                                create_date: None,
                            });
                        }
                        let Some(d) = &p.default_version else {
                            return Err(format!(
                                "{pat}: `default_version` is missing (name the version in force, one of {}){}",
                                out.iter().map(|v| v.id.as_str()).collect::<Vec<_>>().join(", "),
                                pos(&[]),
                            ));
                        };
                        if !out.iter().any(|v| v.id == *d) {
                            return Err(format!(
                                "{pat}.default_version: `{d}` is not one of the policy's versions ({}){}",
                                out.iter().map(|v| v.id.as_str()).collect::<Vec<_>>().join(", "),
                                pos(&[key("default_version")]),
                            ));
                        }
                        // Oldest first, as the API keeps them.
                        out.sort_by_key(|v| version_number(&v.id));
                        (out, d.clone())
                    }
                };
                let next_version = versions
                    .iter()
                    .filter_map(|v| version_number(&v.id))
                    .max()
                    .unwrap_or(1)
                    + 1;
                acct.policies.insert(
                    p.name.clone(),
                    CustomPolicy {
                        name: p.name.clone(),
                        description: p.description.clone(),
                        versions,
                        default_version,
                        next_version,
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
                let trust = load_document_in(
                    &r.trust,
                    PolicyKind::Trust,
                    base,
                    refs,
                    &format!("{rat}.trust"),
                    locate(&[
                        key("accounts"),
                        key(key_name),
                        key("roles"),
                        PathStep::Index(i),
                        key("trust"),
                    ]),
                )?;
                let max_session_duration =
                    checked_max_session_duration(r.max_session_duration, "max_session_duration")
                        .map_err(|e| format!("{rat}.max_session_duration: {}", e.message))?
                        .unwrap_or(DEFAULT_MAX_SESSION_DURATION);
                let id = iam.next_number("3");
                acct.roles.insert(
                    r.name.clone(),
                    Role {
                        name: r.name.clone(),
                        id,
                        trust_policy: trust,
                        service_linked: r.service_linked,
                        max_session_duration,
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
            let text = load_document_in(
                &cp.document,
                PolicyKind::Control,
                base,
                refs,
                &at,
                locate(&[key("control_policies"), PathStep::Index(i), key("document")]),
            )?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_ids_are_v_then_a_positive_number() {
        assert_eq!(version_number("v1"), Some(1));
        assert_eq!(version_number("v42"), Some(42));
        assert_eq!(version_number("v999999999"), Some(999_999_999));
        for bad in [
            "",
            "v",
            "v0",
            "v01",
            "V1",
            "1",
            "v1a",
            "v-1",
            "v1000000000",
            "v 1",
        ] {
            assert_eq!(version_number(bad), None, "{bad}");
        }
    }

    #[test]
    fn position_points_at_the_node() {
        let text = "{\n  \"a\": [1, {\"b\": true}]\n}";
        let src = WorldSource {
            file: "w.json",
            text,
        };
        let path = JsonPath(vec![
            PathStep::Key("a".into()),
            PathStep::Index(1),
            PathStep::Key("b".into()),
        ]);
        assert_eq!(src.position(&path).as_deref(), Some("w.json:2:18"));
        assert_eq!(
            src.position(&JsonPath(vec![PathStep::Key("zz".into())])),
            None
        );
    }

    /// The decoded string of a JSON literal, with each byte's source offset.
    fn decoded(raw: &str) -> (String, Vec<usize>) {
        let s: String = serde_json::from_str(raw).unwrap();
        let offsets = literal_offsets(raw);
        assert_eq!(offsets.len(), s.len() + 1, "{raw}");
        (s, offsets)
    }

    #[test]
    fn literal_offsets_follow_escapes() {
        let raw = r#""a\"b\n\u00e9c\ud83d\ude00d""#;
        let (s, o) = decoded(raw);
        assert_eq!(s, "a\"b\né".to_string() + "c\u{1F600}d");
        // `a` at 1, `"` from `\"` at 2, `b` at 4, `\n` at 5, `é` (two bytes) from `\u00e9` at 7
        assert_eq!(&o[..6], &[1, 2, 4, 5, 7, 7]);
        // `c` at 13, the emoji (four bytes) from the surrogate pair at 14, `d` at 26
        assert_eq!(&o[6..12], &[13, 14, 14, 14, 14, 26]);
        assert_eq!(o[12], raw.len() - 1);
        let (s, o) = decoded(r#""été""#);
        assert_eq!(s, "été");
        assert_eq!(o, vec![1, 1, 3, 4, 4, 6]);
    }
}
