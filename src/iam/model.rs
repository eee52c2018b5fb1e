//! Identity state: RAM users, groups, roles, custom policies and attachments per account;
//! Resource Directory control policies and their attachments; STS role sessions.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// An AccessKey pair. The secret is stored only when the world file gave one; otherwise it is
/// derived from the world's id seed and the id ([`crate::iam::secrets`]), so state files carry
/// no generated secrets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessKey {
    /// `LTAI…` id.
    pub id: String,
    /// `Active` / `Inactive`.
    pub status: String,
    /// The secret given in the world file (`AccessKeySecret`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

/// A RAM user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Name, unique in the account.
    pub name: String,
    /// Numeric user id (`AuthPrincipalDisplayName` in denials).
    pub id: String,
    /// Groups the user belongs to.
    pub groups: Vec<String>,
    /// AccessKeys.
    pub access_keys: Vec<AccessKey>,
}

/// A RAM group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    /// Name.
    pub name: String,
}

/// A RAM role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    /// Name.
    pub name: String,
    /// Numeric role id.
    pub id: String,
    /// Trust policy text (`AssumeRolePolicyDocument`).
    pub trust_policy: String,
    /// Service-linked roles are exempt from control policies (§6.1).
    #[serde(default)]
    pub service_linked: bool,
    /// `MaxSessionDuration` in seconds (3,600–43,200, default 3,600): the longest
    /// `DurationSeconds` AssumeRole accepts for this role. Left out of state files at the
    /// default, so states written before the field existed read back unchanged.
    #[serde(
        default = "default_max_session_duration",
        skip_serializing_if = "is_default_max_session_duration"
    )]
    pub max_session_duration: i64,
}

/// `MaxSessionDuration` of a role created without one (seconds). Alibaba's CreateRole:
/// "Valid values: 3600 to 43200 … Default value: 3600".
pub const DEFAULT_MAX_SESSION_DURATION: i64 = 3_600;

/// The values `MaxSessionDuration` may take (seconds).
pub const MAX_SESSION_DURATION_RANGE: std::ops::RangeInclusive<i64> = 3_600..=43_200;

/// The shortest `DurationSeconds` AssumeRole accepts (15 minutes).
pub const MIN_DURATION_SECONDS: i64 = 900;

fn default_max_session_duration() -> i64 {
    DEFAULT_MAX_SESSION_DURATION
}

fn is_default_max_session_duration(v: &i64) -> bool {
    *v == DEFAULT_MAX_SESSION_DURATION
}

/// One version of a custom policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyVersion {
    /// `v1`, `v2`, …
    pub id: String,
    /// The document text.
    pub document: String,
    /// `CreateDate` (ISO 8601, UTC) of a version made through the API; world files give none,
    /// and states written before the field existed read back unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_date: Option<String>,
}

/// A custom policy with its versions (at most 5, §1.8).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomPolicy {
    /// Name.
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Versions, oldest first.
    pub versions: Vec<PolicyVersion>,
    /// The version in force.
    pub default_version: String,
    /// Next version number to hand out.
    pub next_version: u32,
}

impl CustomPolicy {
    /// The document of the default version.
    pub fn default_document(&self) -> Option<&str> {
        self.versions
            .iter()
            .find(|v| v.id == self.default_version)
            .map(|v| v.document.as_str())
    }

    /// The version `id`, if the policy has it.
    pub fn version(&self, id: &str) -> Option<&PolicyVersion> {
        self.versions.iter().find(|v| v.id == id)
    }
}

/// `Custom` or `System`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum PolicyType {
    /// Customer-managed.
    Custom,
    /// Alibaba-managed.
    System,
}

/// Who a policy is attached to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "type", content = "name")]
pub enum Grantee {
    /// A RAM user.
    User(String),
    /// A RAM group.
    Group(String),
    /// A RAM role.
    Role(String),
}

/// An identity-policy attachment.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Attachment {
    /// Policy name.
    pub policy: String,
    /// Custom or System.
    pub policy_type: PolicyType,
    /// Grantee.
    pub grantee: Grantee,
    /// `None` = account scope; `Some(rg)` = resource-group scope.
    pub resource_group: Option<String>,
}

/// RAM state of one account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountIam {
    /// Users by name.
    pub users: BTreeMap<String, User>,
    /// Groups by name.
    pub groups: BTreeMap<String, Group>,
    /// Roles by name.
    pub roles: BTreeMap<String, Role>,
    /// Custom policies by name.
    pub policies: BTreeMap<String, CustomPolicy>,
    /// Attachments, kept sorted.
    pub attachments: Vec<Attachment>,
}

/// A control policy (Resource Directory).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlPolicy {
    /// `cp-…` (or `p-FullAliyunAccess` for the system policy).
    pub id: String,
    /// Name.
    pub name: String,
    /// Document text.
    pub document: String,
    /// `System` / `Custom`.
    pub policy_type: PolicyType,
    /// `RAM` (RAM users and roles) or `All` (also the member's root, §10 Q17).
    pub effect_scope: String,
}

/// An STS role session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// `STS.…` AccessKey id.
    pub access_key_id: String,
    /// Account owning the role.
    pub account: String,
    /// Role name.
    pub role: String,
    /// Session name.
    pub session_name: String,
    /// Session policy text, if one was passed.
    pub policy: Option<String>,
    /// Expiry, epoch seconds.
    pub expires: i64,
    /// Who assumed the role (principal ARN), for audit.
    pub assumed_by: String,
}

impl Session {
    /// Are the credentials still valid at `now` (epoch seconds)? They are until the instant
    /// of `Expiration`, not at it. Every surface that accepts a session — the gateway,
    /// `simulate`, `check`'s caller pool and `can()` — asks this one question (through
    /// [`Iam::credential_error`](super::Iam::credential_error) where an error is wanted).
    pub fn is_live(&self, now: i64) -> bool {
        now < self.expires
    }
}

/// The identity state of the whole world.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Iam {
    /// RAM state per account UID.
    pub accounts: BTreeMap<String, AccountIam>,
    /// Control policies by id.
    pub control_policies: BTreeMap<String, ControlPolicy>,
    /// Control-policy attachments: target (root folder id, folder id or member UID) → policy ids.
    pub control_attachments: BTreeMap<String, Vec<String>>,
    /// Role sessions by AccessKey id.
    pub sessions: BTreeMap<String, Session>,
    /// Counter for deterministic ids.
    pub next_id: u64,
    /// Bumped on every identity change (new users, sessions, policies, attachments, …).
    #[serde(default)]
    pub generation: u64,
    /// Bumped only by changes that can alter a decision of an existing caller (attachments,
    /// group membership, new default policy versions, control-policy attachments): compiled
    /// policy stores stay valid while it is unchanged.
    #[serde(default)]
    pub policy_generation: u64,
}
