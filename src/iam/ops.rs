//! RAM, Resource Manager / Resource Directory and STS operations: the shared [`IamOperation`]
//! enum and the routing of decoding, authorization and execution to the product files
//! (`ram.rs`, `resourcemanager.rs`, `sts.rs` decode, authorize and apply their own APIs), with
//! the helpers they share.

use super::caller::Caller;
use super::model::*;
use super::system_policies::{system_policy, FULL_ALIYUN_ACCESS_ID};
use super::{ram, resourcemanager, sts};
use crate::authz::ram_arn;
use crate::cloud::params::Params;
use crate::cloud::{CloudError, World};
use crate::policy::{read_policy, PolicyKind, ReadOptions};
use serde_json::{Map, Value};

/// Which service an identity operation belongs to (for audit events and denials).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IamProduct {
    /// RAM (2015-05-01).
    Ram,
    /// Resource Manager / Resource Directory (2020-03-31).
    ResourceManager,
    /// STS (2015-04-01).
    Sts,
}

impl IamProduct {
    /// The product's declaration (name, version, endpoint, denial).
    pub fn product(self) -> &'static crate::cloud::declare::Product {
        match self {
            IamProduct::Ram => &super::ram::PRODUCT,
            IamProduct::ResourceManager => &super::resourcemanager::PRODUCT,
            IamProduct::Sts => &super::sts::PRODUCT,
        }
    }

    /// `(serviceName, apiVersion, endpoint host)`.
    pub fn meta(self) -> (&'static str, &'static str, &'static str) {
        let p = self.product();
        (p.name, p.version, p.endpoint)
    }

    /// The declarations of the product's APIs.
    pub fn decls(self) -> &'static [crate::cloud::declare::ApiDecl] {
        match self {
            IamProduct::Ram => super::ram::DECLS,
            IamProduct::ResourceManager => super::resourcemanager::DECLS,
            IamProduct::Sts => super::sts::DECLS,
        }
    }
}

/// A decoded identity operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IamOperation {
    /// ram:CreateUser.
    CreateUser {
        /// `UserName`.
        user: String,
    },
    /// ram:CreateAccessKey.
    CreateAccessKey {
        /// `UserName`.
        user: String,
    },
    /// ram:CreateGroup.
    CreateGroup {
        /// `GroupName`.
        group: String,
    },
    /// ram:AddUserToGroup.
    AddUserToGroup {
        /// `UserName`.
        user: String,
        /// `GroupName`.
        group: String,
    },
    /// ram:CreateRole.
    CreateRole {
        /// `RoleName`.
        role: String,
        /// The trust policy document (`AssumeRolePolicyDocument`).
        trust_policy: String,
        /// `MaxSessionDuration` (3,600–43,200 s; default 3,600).
        max_session_duration: Option<i64>,
    },
    /// ram:UpdateRole: each given `New…` parameter replaces the role's value.
    UpdateRole {
        /// `RoleName`.
        role: String,
        /// The new trust policy document (`NewAssumeRolePolicyDocument`), if given.
        trust_policy: Option<String>,
        /// The new `MaxSessionDuration` (`NewMaxSessionDuration`), if given.
        max_session_duration: Option<i64>,
    },
    /// ram:CreatePolicy.
    CreatePolicy {
        /// `PolicyName`.
        policy: String,
        /// The policy document (`PolicyDocument`).
        document: String,
        /// `Description`.
        description: String,
    },
    /// ram:CreatePolicyVersion.
    CreatePolicyVersion {
        /// `PolicyName`.
        policy: String,
        /// The policy document (`PolicyDocument`).
        document: String,
        /// `SetAsDefault`: make the new version the one in force.
        set_as_default: bool,
        /// `RotateStrategy`: what to do when the policy already has 5 versions.
        rotate: ram::RotateStrategy,
    },
    /// ram:SetDefaultPolicyVersion: the named version becomes the one in force.
    SetDefaultPolicyVersion {
        /// `PolicyName` (custom policies only).
        policy: String,
        /// `VersionId` (`v1`, `v2`, …).
        version: String,
    },
    /// ram:DeletePolicyVersion (never the default version).
    DeletePolicyVersion {
        /// `PolicyName` (custom policies only).
        policy: String,
        /// `VersionId`.
        version: String,
    },
    /// ram:GetPolicy: the policy and its default version.
    GetPolicy {
        /// `PolicyName`.
        policy: String,
        /// `PolicyType`.
        policy_type: PolicyType,
    },
    /// ram:GetPolicyVersion.
    GetPolicyVersion {
        /// `PolicyName`.
        policy: String,
        /// `PolicyType`.
        policy_type: PolicyType,
        /// `VersionId`.
        version: String,
    },
    /// ram:ListPolicyVersions.
    ListPolicyVersions {
        /// `PolicyName`.
        policy: String,
        /// `PolicyType`.
        policy_type: PolicyType,
    },
    /// ram:DeletePolicy.
    DeletePolicy {
        /// `PolicyName`.
        policy: String,
    },
    /// ram:AttachPolicyTo{User,Group,Role}, or resourcemanager:AttachPolicy with a resource group.
    AttachPolicy {
        /// `PolicyName`.
        policy: String,
        /// `PolicyType`: `System` or `Custom`.
        policy_type: PolicyType,
        /// The user, group or role the policy is attached to.
        grantee: Grantee,
        /// `ResourceGroupId` for resource-group scope; `None` for account scope.
        resource_group: Option<String>,
    },
    /// ram:DetachPolicyFrom{User,Group,Role}, or resourcemanager:DetachPolicy.
    DetachPolicy {
        /// `PolicyName`.
        policy: String,
        /// `PolicyType`: `System` or `Custom`.
        policy_type: PolicyType,
        /// The user, group or role the policy is attached to.
        grantee: Grantee,
        /// `ResourceGroupId` for resource-group scope; `None` for account scope.
        resource_group: Option<String>,
    },
    /// resourcemanager:CreateResourceGroup.
    CreateResourceGroup {
        /// `Name` / `PolicyName`.
        name: String,
    },
    /// resourcemanager:CreateControlPolicy.
    CreateControlPolicy {
        /// `Name` / `PolicyName`.
        name: String,
        /// The policy document (`PolicyDocument`).
        document: String,
        /// `EffectScope` (`RAM`; `All` is refused).
        effect_scope: String,
    },
    /// resourcemanager:AttachControlPolicy.
    AttachControlPolicy {
        /// `PolicyId` of the control policy.
        policy_id: String,
        /// `TargetId`: the root folder, a folder or a member account.
        target: String,
    },
    /// resourcemanager:DetachControlPolicy.
    DetachControlPolicy {
        /// `PolicyId` of the control policy.
        policy_id: String,
        /// `TargetId`: the root folder, a folder or a member account.
        target: String,
    },
    /// resourcemanager:MoveAccount: a member account changes folder (and RD path).
    MoveAccount {
        /// `AccountId`: the member to move.
        account: String,
        /// `DestinationFolderId`: the root folder (`r-…`) or a folder (`fd-…`).
        folder: String,
    },
    /// sts:AssumeRole.
    AssumeRole {
        /// `RoleArn` of the role to assume.
        role_arn: String,
        /// `RoleSessionName`.
        session_name: String,
        /// The session policy (`Policy`), if any.
        policy: Option<String>,
        /// `DurationSeconds` (900–43,200).
        duration: i64,
    },
    /// sts:GetCallerIdentity (never denied).
    GetCallerIdentity,
}

/// What an identity operation presents to the authorizer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IamAuth {
    /// RAM action.
    pub action: String,
    /// Resource ARNs (each must be allowed).
    pub resources: Vec<String>,
    /// For AssumeRole: the role's account and trust policy text (evaluated as the resource policy).
    pub trust: Option<(String, String)>,
    /// Account owning the target (for cross-account AssumeRole).
    pub resource_account: Option<String>,
    /// False for calls RAM never denies (GetCallerIdentity).
    pub authorize: bool,
}

pub(super) fn policy_type(p: &Params<'_>) -> Result<PolicyType, CloudError> {
    match p.req_str("PolicyType")?.as_str() {
        "Custom" => Ok(PolicyType::Custom),
        "System" => Ok(PolicyType::System),
        other => Err(CloudError::bad(
            "InvalidParameter.PolicyType",
            format!("PolicyType must be Custom or System, not `{other}`."),
        )),
    }
}

pub(super) fn rm_grantee(p: &Params<'_>) -> Result<Grantee, CloudError> {
    let name = p.req_str("PrincipalName")?;
    // `alice@123456.onaliyun.com` → `alice`.
    let short = name.split('@').next().unwrap_or(&name).to_string();
    match p.req_str("PrincipalType")?.as_str() {
        "IMSUser" => Ok(Grantee::User(short)),
        "IMSGroup" => Ok(Grantee::Group(short)),
        "ServiceRole" => Ok(Grantee::Role(short)),
        other => Err(CloudError::bad(
            "InvalidParameter.PrincipalType",
            format!("PrincipalType must be IMSUser, IMSGroup or ServiceRole, not `{other}`."),
        )),
    }
}

impl IamOperation {
    /// Decodes an identity API call; `None` when `action` is not an identity API.
    pub fn decode(
        action: &str,
        params: &Map<String, Value>,
    ) -> Option<Result<IamOperation, CloudError>> {
        let p = Params::new(params);
        let op = ram::decode(action, &p)
            .transpose()
            .or_else(|| resourcemanager::decode(action, &p).transpose())
            .or_else(|| sts::decode(action, &p).transpose())
            .transpose();
        match op {
            Ok(Some(_)) => {
                if let Some((param, suggestion)) = p.unknown() {
                    return Some(Err(CloudError::unknown_param(
                        &param,
                        action,
                        suggestion.as_deref(),
                    )));
                }
            }
            Ok(None) => return None,
            Err(_) => {}
        }
        op.transpose()
    }

    /// The API name.
    pub fn action_name(&self) -> &'static str {
        match self {
            IamOperation::CreateUser { .. } => "CreateUser",
            IamOperation::CreateAccessKey { .. } => "CreateAccessKey",
            IamOperation::CreateGroup { .. } => "CreateGroup",
            IamOperation::AddUserToGroup { .. } => "AddUserToGroup",
            IamOperation::CreateRole { .. } => "CreateRole",
            IamOperation::UpdateRole { .. } => "UpdateRole",
            IamOperation::CreatePolicy { .. } => "CreatePolicy",
            IamOperation::CreatePolicyVersion { .. } => "CreatePolicyVersion",
            IamOperation::SetDefaultPolicyVersion { .. } => "SetDefaultPolicyVersion",
            IamOperation::DeletePolicyVersion { .. } => "DeletePolicyVersion",
            IamOperation::GetPolicy { .. } => "GetPolicy",
            IamOperation::GetPolicyVersion { .. } => "GetPolicyVersion",
            IamOperation::ListPolicyVersions { .. } => "ListPolicyVersions",
            IamOperation::MoveAccount { .. } => "MoveAccount",
            IamOperation::DeletePolicy { .. } => "DeletePolicy",
            IamOperation::AttachPolicy {
                grantee,
                resource_group,
                ..
            } => match (resource_group, grantee) {
                (Some(_), _) => "AttachPolicy",
                (None, Grantee::User(_)) => "AttachPolicyToUser",
                (None, Grantee::Group(_)) => "AttachPolicyToGroup",
                (None, Grantee::Role(_)) => "AttachPolicyToRole",
            },
            IamOperation::DetachPolicy {
                grantee,
                resource_group,
                ..
            } => match (resource_group, grantee) {
                (Some(_), _) => "DetachPolicy",
                (None, Grantee::User(_)) => "DetachPolicyFromUser",
                (None, Grantee::Group(_)) => "DetachPolicyFromGroup",
                (None, Grantee::Role(_)) => "DetachPolicyFromRole",
            },
            IamOperation::CreateResourceGroup { .. } => "CreateResourceGroup",
            IamOperation::CreateControlPolicy { .. } => "CreateControlPolicy",
            IamOperation::AttachControlPolicy { .. } => "AttachControlPolicy",
            IamOperation::DetachControlPolicy { .. } => "DetachControlPolicy",
            IamOperation::AssumeRole { .. } => "AssumeRole",
            IamOperation::GetCallerIdentity => "GetCallerIdentity",
        }
    }

    /// The product file that decodes and applies the operation (`iam/ram.rs`,
    /// `iam/resourcemanager.rs`, `iam/sts.rs`). The resource-group Attach/DetachPolicy are
    /// Resource Manager APIs ([`IamOperation::product`]) applied by RAM's attachment code.
    pub fn owner(&self) -> IamProduct {
        match self {
            IamOperation::CreateUser { .. }
            | IamOperation::CreateAccessKey { .. }
            | IamOperation::CreateGroup { .. }
            | IamOperation::AddUserToGroup { .. }
            | IamOperation::CreateRole { .. }
            | IamOperation::UpdateRole { .. }
            | IamOperation::CreatePolicy { .. }
            | IamOperation::CreatePolicyVersion { .. }
            | IamOperation::SetDefaultPolicyVersion { .. }
            | IamOperation::DeletePolicyVersion { .. }
            | IamOperation::GetPolicy { .. }
            | IamOperation::GetPolicyVersion { .. }
            | IamOperation::ListPolicyVersions { .. }
            | IamOperation::DeletePolicy { .. }
            | IamOperation::AttachPolicy { .. }
            | IamOperation::DetachPolicy { .. } => IamProduct::Ram,
            IamOperation::CreateResourceGroup { .. }
            | IamOperation::CreateControlPolicy { .. }
            | IamOperation::AttachControlPolicy { .. }
            | IamOperation::DetachControlPolicy { .. }
            | IamOperation::MoveAccount { .. } => IamProduct::ResourceManager,
            IamOperation::AssumeRole { .. } | IamOperation::GetCallerIdentity => IamProduct::Sts,
        }
    }

    /// The product the API belongs to.
    pub fn product(&self) -> IamProduct {
        match self {
            IamOperation::AssumeRole { .. } | IamOperation::GetCallerIdentity => IamProduct::Sts,
            IamOperation::CreateResourceGroup { .. }
            | IamOperation::CreateControlPolicy { .. }
            | IamOperation::AttachControlPolicy { .. }
            | IamOperation::DetachControlPolicy { .. }
            | IamOperation::MoveAccount { .. } => IamProduct::ResourceManager,
            IamOperation::AttachPolicy {
                resource_group: Some(_),
                ..
            }
            | IamOperation::DetachPolicy {
                resource_group: Some(_),
                ..
            } => IamProduct::ResourceManager,
            _ => IamProduct::Ram,
        }
    }

    /// True for calls that can change the decision for an existing caller. Creating users,
    /// roles, policies or sessions adds new things but changes nobody's permissions until
    /// something is attached; trust policies are read afresh on every AssumeRole.
    pub fn changes_decisions(&self) -> bool {
        matches!(
            self,
            IamOperation::AddUserToGroup { .. }
                | IamOperation::CreatePolicyVersion { .. }
                | IamOperation::SetDefaultPolicyVersion { .. }
                | IamOperation::DeletePolicyVersion { .. }
                | IamOperation::MoveAccount { .. }
                | IamOperation::DeletePolicy { .. }
                | IamOperation::AttachPolicy { .. }
                | IamOperation::DetachPolicy { .. }
                | IamOperation::AttachControlPolicy { .. }
                | IamOperation::DetachControlPolicy { .. }
        )
    }

    /// True for calls that change state.
    pub fn is_write(&self) -> bool {
        !matches!(
            self,
            IamOperation::GetCallerIdentity
                | IamOperation::GetPolicy { .. }
                | IamOperation::GetPolicyVersion { .. }
                | IamOperation::ListPolicyVersions { .. }
        )
    }
}

pub(super) fn grantee_arn(account: &str, g: &Grantee) -> String {
    match g {
        Grantee::User(n) => ram_arn(account, &["user/", n]),
        Grantee::Group(n) => ram_arn(account, &["group/", n]),
        Grantee::Role(n) => ram_arn(account, &["role/", n]),
    }
}

/// Parses `acs:ram::<uid>:role/<name>` (role names are matched case-insensitively by RAM).
pub(super) fn parse_role_arn(arn: &str) -> Option<(&str, &str)> {
    let rest = arn.strip_prefix("acs:ram::")?;
    let (uid, rel) = rest.split_once(':')?;
    let name = rel.strip_prefix("role/")?;
    (!uid.is_empty() && !name.is_empty() && !name.contains('/')).then_some((uid, name))
}

pub(super) fn invalid_document(kind: PolicyKind, text: &str) -> Option<CloudError> {
    let r = read_policy(text, kind, &ReadOptions::default());
    let first = r.diagnostics.first()?;
    let api = crate::policy::diagnostic::ApiError::for_rule(kind, first.rule);
    let n = r.diagnostics.len();
    Some(CloudError::new(
        api.code,
        api.http_status,
        format!(
            "{} at {} ({} finding{} in all).",
            first.message,
            first.path,
            n,
            if n == 1 { "" } else { "s" }
        ),
    ))
}

/// Checks a `MaxSessionDuration` / `NewMaxSessionDuration` value (3,600–43,200 s). The error
/// code is ASSUMED (`InvalidParameter.MaxSessionDuration`, 400): Alibaba's CreateRole page
/// states the range, not the error.
pub fn checked_max_session_duration(
    value: Option<i64>,
    param: &str,
) -> Result<Option<i64>, CloudError> {
    match value {
        Some(v) if !MAX_SESSION_DURATION_RANGE.contains(&v) => Err(CloudError::bad(
            "InvalidParameter.MaxSessionDuration",
            format!("The parameter {param} must be between 3600 and 43200 seconds, got {v}."),
        )),
        other => Ok(other),
    }
}

/// `3600` → `1hr`, `5400` → `5400s`: the upper bound in the DurationSeconds error. Alibaba's
/// message is "The Min/Max value of DurationSeconds is 15min/1hr." for the default role;
/// for longer MaxSessionDurations the wording is ASSUMED.
pub(super) fn duration_text(secs: i64) -> String {
    if secs % 3_600 == 0 {
        format!("{}hr", secs / 3_600)
    } else {
        format!("{secs}s")
    }
}

/// What a product's apply answers for an operation [`IamOperation::owner`] routes elsewhere:
/// unreachable while `owner` and the product files agree (the registry test calls every API).
pub(super) fn not_owned(op: &IamOperation, product: &str) -> CloudError {
    CloudError::new(
        "InvalidAction.NotFound",
        404,
        format!("{} is not applied by {product}.", op.action_name()),
    )
}

pub(super) fn entity_missing(kind: &str, name: &str) -> CloudError {
    CloudError::not_found(
        format!("EntityNotExist.{kind}"),
        format!("The {} does not exist: {name}.", kind.to_lowercase()),
    )
}

pub(super) fn valid_name(name: &str, max: usize) -> bool {
    !name.is_empty()
        && name.len() <= max
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
}

/// Control-policy targets: the root folder, a folder, or a member account (by UID).
pub(super) fn control_target_path(world: &World, target: &str) -> Option<String> {
    let rd = world.resource_directory()?;
    rd.folder_path(target).or_else(|| rd.member_path(target))
}

/// Versions a custom policy may hold (§1.8; Alibaba's RAM limits).
pub(super) const POLICY_VERSIONS_MAX: usize = 5;
pub(super) const CUSTOM_POLICIES_MAX: usize = 1_500;
pub(super) const POLICIES_PER_GRANTEE_MAX: usize = 10;
pub(super) const CONTROL_POLICIES_PER_TARGET_MAX: usize = 10;

impl Iam {
    pub(super) fn acct(&self, uid: &str) -> Option<&AccountIam> {
        self.accounts.get(uid)
    }

    pub(super) fn grantee_exists(&self, account: &str, g: &Grantee) -> Result<(), CloudError> {
        let a = self.acct(account);
        match g {
            Grantee::User(n) if a.is_some_and(|a| a.users.contains_key(n)) => Ok(()),
            Grantee::Group(n) if a.is_some_and(|a| a.groups.contains_key(n)) => Ok(()),
            Grantee::Role(n) if a.is_some_and(|a| a.roles.contains_key(n)) => Ok(()),
            Grantee::User(n) => Err(entity_missing("User", n)),
            Grantee::Group(n) => Err(entity_missing("Group", n)),
            Grantee::Role(n) => Err(entity_missing("Role", n)),
        }
    }

    /// What `op` by `caller` must be authorized for. Errors here are the call's answer (an
    /// AssumeRole naming a role that does not exist, say) and come before RAM, as in Alibaba.
    pub fn authorization_request(
        &self,
        world: &World,
        caller: &Caller,
        op: &IamOperation,
    ) -> Result<IamAuth, CloudError> {
        match op.owner() {
            IamProduct::Ram => self.authorize_ram(world, caller, op),
            IamProduct::ResourceManager => self.authorize_resourcemanager(world, caller, op),
            IamProduct::Sts => self.authorize_sts(world, caller, op),
        }
    }

    pub(crate) fn next_number(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        // 16-digit ids in Alibaba's style, deterministic from the counter.
        format!(
            "{prefix}{:015}",
            100_000_000_000_000u64 + self.next_id * 7_919
        )
    }

    pub(crate) fn next_token(&mut self, prefix: &str, len: usize) -> String {
        self.next_id += 1;
        let mut x = self.next_id.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let alphabet = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
        let mut out = String::from(prefix);
        for _ in 0..len {
            x ^= x >> 29;
            x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
            out.push(alphabet[(x % alphabet.len() as u64) as usize] as char);
        }
        out
    }

    /// Validates `op` fully, then applies it. A failed call leaves `self` (and `world`) unchanged.
    pub fn execute(
        &mut self,
        world: &mut World,
        caller: &Caller,
        now: i64,
        op: &IamOperation,
    ) -> Result<Value, CloudError> {
        let result = match op.owner() {
            IamProduct::Ram => self.apply_ram(world, caller, now, op)?,
            IamProduct::ResourceManager => self.apply_resourcemanager(world, caller, now, op)?,
            IamProduct::Sts => self.apply_sts(world, caller, now, op)?,
        };
        if op.is_write() {
            self.generation += 1;
        }
        if op.changes_decisions() {
            self.policy_generation += 1;
        }
        Ok(result)
    }

    pub(super) fn check_policy_exists(
        &self,
        account: &str,
        policy: &str,
        t: PolicyType,
    ) -> Result<(), CloudError> {
        let exists = match t {
            PolicyType::System => system_policy(policy).is_some(),
            PolicyType::Custom => self
                .acct(account)
                .is_some_and(|x| x.policies.contains_key(policy)),
        };
        if exists {
            Ok(())
        } else {
            Err(entity_missing("Policy", policy))
        }
    }

    pub(super) fn require_management(
        &self,
        world: &World,
        account: &str,
    ) -> Result<(), CloudError> {
        match world.resource_directory() {
            Some(rd) if rd.master_account_id == account => Ok(()),
            Some(_) => Err(CloudError::new("NotSupport.NotManagementAccount", 403, "Only the management account of the resource directory can manage control policies.")),
            None => Err(CloudError::not_found("EntityNotExists.ResourceDirectory", "The resource directory does not exist.")),
        }
    }

    /// Control policies in force at `target` (the system FullAliyunAccess included unless detached).
    pub fn control_policies_at(&self, target: &str) -> Vec<&ControlPolicy> {
        self.attached_control_policies(target).collect()
    }

    /// [`Iam::control_policies_at`] without collecting them.
    pub fn attached_control_policies<'a>(
        &'a self,
        target: &str,
    ) -> impl Iterator<Item = &'a ControlPolicy> + 'a {
        self.control_attachments
            .get(target)
            .into_iter()
            .flatten()
            .filter_map(|id| self.control_policies.get(id))
    }

    /// Attaches FullAliyunAccess to the root, every folder and every member (what enabling the
    /// control-policy feature does, §6.3).
    pub fn enable_control_policies(&mut self, world: &World) {
        let Some(rd) = world.resource_directory() else {
            return;
        };
        self.control_policies
            .entry(FULL_ALIYUN_ACCESS_ID.to_string())
            .or_insert_with(|| ControlPolicy {
                id: FULL_ALIYUN_ACCESS_ID.into(),
                name: "FullAliyunAccess".into(),
                document: super::system_policies::FULL_ALIYUN_ACCESS.into(),
                policy_type: PolicyType::System,
                effect_scope: "RAM".into(),
            });
        let targets = std::iter::once(rd.root_folder_id.clone())
            .chain(rd.folders.keys().cloned())
            .chain(rd.members.keys().cloned());
        for t in targets {
            let list = self.control_attachments.entry(t).or_default();
            if !list.iter().any(|p| p == FULL_ALIYUN_ACCESS_ID) {
                list.insert(0, FULL_ALIYUN_ACCESS_ID.into());
            }
        }
        self.generation += 1;
        self.policy_generation += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn decode(action: &str, params: Value) -> Result<IamOperation, String> {
        let Value::Object(m) = params else {
            panic!("params are an object")
        };
        match IamOperation::decode(action, &m) {
            Some(Ok(op)) => Ok(op),
            Some(Err(e)) => Err(e.code.to_string()),
            None => Err("not an identity API".into()),
        }
    }

    #[test]
    fn version_ids_and_rotate_strategies_decode() {
        let op = decode(
            "CreatePolicyVersion",
            json!({"PolicyName": "p", "PolicyDocument": "{}", "RotateStrategy": "DeleteOldestNonDefaultVersionWhenLimitExceeded"}),
        );
        assert!(matches!(
            op,
            Ok(IamOperation::CreatePolicyVersion {
                rotate: ram::RotateStrategy::DeleteOldestNonDefaultVersionWhenLimitExceeded,
                set_as_default: false,
                ..
            })
        ));
        assert_eq!(
            decode(
                "CreatePolicyVersion",
                json!({"PolicyName": "p", "PolicyDocument": "{}", "RotateStrategy": "none"})
            ),
            Err("InvalidParameter.RotateStrategy".into())
        );
        for (v, ok) in [
            ("v1", true),
            ("v123456789", true),
            ("v1234567890", false),
            ("v0", false),
            ("v", false),
            ("1", false),
        ] {
            let r = decode(
                "SetDefaultPolicyVersion",
                json!({"PolicyName": "p", "VersionId": v}),
            );
            assert_eq!(r.is_ok(), ok, "{v}: {r:?}");
        }
    }

    #[test]
    fn move_account_parameters_decode() {
        let ok = decode(
            "MoveAccount",
            json!({"AccountId": "1234567890123456", "DestinationFolderId": "fd-abc123"}),
        );
        assert!(ok.is_ok(), "{ok:?}");
        let root = decode(
            "MoveAccount",
            json!({"AccountId": "1234567890123456", "DestinationFolderId": "r-root01"}),
        );
        assert!(root.is_ok(), "{root:?}");
        for (account, folder, code) in [
            ("12345678901234567", "fd-abc", "InvalidParameter.AccountId"),
            ("12345678901234a6", "fd-abc", "InvalidParameter.AccountId"),
            (
                "1234567890123456",
                "fd-",
                "InvalidParameter.DestinationFolderId",
            ),
            (
                "1234567890123456",
                "rg-abc",
                "InvalidParameter.DestinationFolderId",
            ),
            (
                "1234567890123456",
                "fd-a/b",
                "InvalidParameter.DestinationFolderId",
            ),
        ] {
            assert_eq!(
                decode(
                    "MoveAccount",
                    json!({"AccountId": account, "DestinationFolderId": folder})
                ),
                Err(code.to_string()),
                "{account} {folder}"
            );
        }
        let op = ok.expect("decoded");
        assert_eq!(op.product(), IamProduct::ResourceManager);
        assert!(op.is_write() && op.changes_decisions());
    }

    #[test]
    fn the_read_apis_are_not_writes() {
        for api in ["GetPolicy", "ListPolicyVersions"] {
            let op = decode(api, json!({"PolicyName": "p", "PolicyType": "Custom"})).expect(api);
            assert!(!op.is_write() && !op.changes_decisions(), "{api}");
        }
    }
}
