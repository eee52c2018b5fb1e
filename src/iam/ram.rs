//! The RAM product (API version 2015-05-01): the declarations of its APIs — parameters, RAM
//! action, ARN templates, response shape. Policy versions: CreatePolicyVersion (`SetAsDefault`,
//! `RotateStrategy`, at most 5 versions), SetDefaultPolicyVersion, DeletePolicyVersion (never
//! the default), GetPolicy (with its default version), GetPolicyVersion, ListPolicyVersions;
//! every decision reads the default version's document. Below the declarations: the
//! parameter checks (`decode`), RAM action and ARNs (`Iam::authorize_ram`) and effects
//! (`Iam::apply_ram`) of every RAM API; the operation enum is in [`super::ops`].

use super::caller::Caller;
use super::model::*;
use super::ops::*;
use super::system_policies::system_policy;
use crate::authz::ram_arn;
use crate::cloud::declare::ParamType::{Bool, Int, Str};
use crate::cloud::declare::{opt, req, AccessLevel::*, ApiDecl, Denial, Param, Product};
use crate::cloud::params::Params;
use crate::cloud::{CloudError, World};
use crate::policy::PolicyKind;
use serde_json::{json, Value};

/// The RAM product.
pub const PRODUCT: Product = Product {
    name: "Ram",
    version: "2015-05-01",
    ram_code: "ram",
    endpoint: "ram.aliyuncs.com",
    regional_endpoint: None,
    denial: IDENTITY_DENIAL,
};

/// What RAM, Resource Manager and STS answer to a denial.
pub const IDENTITY_DENIAL: Denial = Denial {
    status: 403,
    code: "NoPermission",
    message: "You are not authorized to do this action. You should be authorized by RAM.",
};

const TO_USER: &[Param] = &[
    req("PolicyName", Str),
    req("PolicyType", Str),
    req("UserName", Str),
];
const TO_GROUP: &[Param] = &[
    req("PolicyName", Str),
    req("PolicyType", Str),
    req("GroupName", Str),
];
const TO_ROLE: &[Param] = &[
    req("PolicyName", Str),
    req("PolicyType", Str),
    req("RoleName", Str),
];
const USER: &str = "acs:ram::{account}:user/{UserName}";
const GROUP: &str = "acs:ram::{account}:group/{GroupName}";
const ROLE: &str = "acs:ram::{account}:role/{RoleName}";
const POLICY: &str = "acs:ram::{account}:policy/{PolicyName}";

/// Every RAM API.
pub const DECLS: &[ApiDecl] = &[
    PRODUCT
        .api("CreateUser", "ram:CreateUser", Create)
        .names(&["UserName"])
        .resource_type("ACS::RAM::User")
        .params(&[req("UserName", Str)])
        .resources(&[USER])
        .response(&["User"]),
    PRODUCT
        .api("CreateAccessKey", "ram:CreateAccessKey", Create)
        .names(&["UserName"])
        .resource_type("ACS::RAM::AccessKey")
        .params(&[req("UserName", Str)])
        .resources(&[USER])
        .response(&["AccessKey"]),
    PRODUCT
        .api("CreateGroup", "ram:CreateGroup", Create)
        .names(&["GroupName"])
        .resource_type("ACS::RAM::Group")
        .params(&[req("GroupName", Str)])
        .resources(&[GROUP])
        .response(&["Group"]),
    PRODUCT
        .api("AddUserToGroup", "ram:AddUserToGroup", Update)
        .names(&["GroupName"])
        .resource_type("ACS::RAM::Group")
        .params(&[req("UserName", Str), req("GroupName", Str)])
        .resources(&[GROUP]),
    PRODUCT
        .api("CreateRole", "ram:CreateRole", Create)
        .names(&["RoleName"])
        .resource_type("ACS::RAM::Role")
        .params(&[
            req("RoleName", Str),
            req("AssumeRolePolicyDocument", Str),
            opt("MaxSessionDuration", Int),
        ])
        .resources(&[ROLE])
        .response(&["Role"]),
    PRODUCT
        .api("UpdateRole", "ram:UpdateRole", Update)
        .names(&["RoleName"])
        .resource_type("ACS::RAM::Role")
        .params(&[
            req("RoleName", Str),
            opt("NewAssumeRolePolicyDocument", Str),
            opt("NewMaxSessionDuration", Int),
        ])
        .resources(&[ROLE])
        .response(&["Role"]),
    PRODUCT
        .api("CreatePolicy", "ram:CreatePolicy", Create)
        .names(&["PolicyName"])
        .resource_type("ACS::RAM::Policy")
        .params(&[
            req("PolicyName", Str),
            req("PolicyDocument", Str),
            opt("Description", Str),
        ])
        .resources(&[POLICY])
        .response(&["Policy"]),
    PRODUCT
        .api("CreatePolicyVersion", "ram:CreatePolicyVersion", Create)
        .names(&["PolicyName"])
        .resource_type("ACS::RAM::Policy")
        .params(&[
            req("PolicyName", Str),
            req("PolicyDocument", Str),
            opt("SetAsDefault", Bool),
            opt("RotateStrategy", Str),
        ])
        .resources(&[POLICY])
        .response(&["PolicyVersion"]),
    PRODUCT
        .api(
            "SetDefaultPolicyVersion",
            "ram:SetDefaultPolicyVersion",
            Update,
        )
        .names(&["PolicyName"])
        .resource_type("ACS::RAM::Policy")
        .params(&[req("PolicyName", Str), req("VersionId", Str)])
        .resources(&[POLICY]),
    PRODUCT
        .api("DeletePolicyVersion", "ram:DeletePolicyVersion", Delete)
        .names(&["PolicyName"])
        .resource_type("ACS::RAM::Policy")
        .params(&[req("PolicyName", Str), req("VersionId", Str)])
        .resources(&[POLICY]),
    PRODUCT
        .api("GetPolicy", "ram:GetPolicy", Get)
        .names(&["PolicyName"])
        .resource_type("ACS::RAM::Policy")
        .params(&[req("PolicyName", Str), req("PolicyType", Str)])
        .resources(&[POLICY])
        .response(&["Policy", "DefaultPolicyVersion"]),
    PRODUCT
        .api("GetPolicyVersion", "ram:GetPolicyVersion", Get)
        .names(&["PolicyName"])
        .resource_type("ACS::RAM::Policy")
        .params(&[
            req("PolicyName", Str),
            req("PolicyType", Str),
            req("VersionId", Str),
        ])
        .resources(&[POLICY])
        .response(&["PolicyVersion"]),
    PRODUCT
        .api("ListPolicyVersions", "ram:ListPolicyVersions", List)
        .names(&["PolicyName"])
        .resource_type("ACS::RAM::Policy")
        .params(&[req("PolicyName", Str), req("PolicyType", Str)])
        .resources(&[POLICY])
        .response(&["PolicyVersions"]),
    PRODUCT
        .api("DeletePolicy", "ram:DeletePolicy", Delete)
        .names(&["PolicyName"])
        .resource_type("ACS::RAM::Policy")
        .params(&[req("PolicyName", Str)])
        .resources(&[POLICY]),
    PRODUCT
        .api("AttachPolicyToUser", "ram:AttachPolicyToUser", Update)
        .names(&["PolicyName"])
        .resource_type("ACS::RAM::Policy")
        .params(TO_USER)
        .resources(&[POLICY, USER]),
    PRODUCT
        .api("AttachPolicyToGroup", "ram:AttachPolicyToGroup", Update)
        .names(&["PolicyName"])
        .resource_type("ACS::RAM::Policy")
        .params(TO_GROUP)
        .resources(&[POLICY, GROUP]),
    PRODUCT
        .api("AttachPolicyToRole", "ram:AttachPolicyToRole", Update)
        .names(&["PolicyName"])
        .resource_type("ACS::RAM::Policy")
        .params(TO_ROLE)
        .resources(&[POLICY, ROLE]),
    PRODUCT
        .api("DetachPolicyFromUser", "ram:DetachPolicyFromUser", Update)
        .names(&["PolicyName"])
        .resource_type("ACS::RAM::Policy")
        .params(TO_USER)
        .resources(&[POLICY, USER]),
    PRODUCT
        .api("DetachPolicyFromGroup", "ram:DetachPolicyFromGroup", Update)
        .names(&["PolicyName"])
        .resource_type("ACS::RAM::Policy")
        .params(TO_GROUP)
        .resources(&[POLICY, GROUP]),
    PRODUCT
        .api("DetachPolicyFromRole", "ram:DetachPolicyFromRole", Update)
        .names(&["PolicyName"])
        .resource_type("ACS::RAM::Policy")
        .params(TO_ROLE)
        .resources(&[POLICY, ROLE]),
];

// Policy versions: parameter checks (before RAM) and effects (after).

/// `RotateStrategy` of CreatePolicyVersion (Alibaba's RAM reference: `None` |
/// `DeleteOldestNonDefaultVersionWhenLimitExceeded`, default `None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RotateStrategy {
    /// At the 5-version limit the call fails with `LimitExceeded.Policy.Version`.
    #[default]
    None,
    /// At the limit the oldest version that is not the default is deleted first.
    DeleteOldestNonDefaultVersionWhenLimitExceeded,
}

/// Reads `RotateStrategy` (absent = `None`).
pub(super) fn rotate_strategy(p: &Params<'_>) -> Result<RotateStrategy, CloudError> {
    match p.opt_str("RotateStrategy")?.as_deref() {
        None | Some("None") => Ok(RotateStrategy::None),
        Some("DeleteOldestNonDefaultVersionWhenLimitExceeded") => {
            Ok(RotateStrategy::DeleteOldestNonDefaultVersionWhenLimitExceeded)
        }
        // ASSUMED code: the reference lists the two values but no error for a third.
        Some(other) => Err(CloudError::bad(
            "InvalidParameter.RotateStrategy",
            format!("RotateStrategy must be None or DeleteOldestNonDefaultVersionWhenLimitExceeded, not `{other}`."),
        )),
    }
}

/// `VersionId` must read `v` then a positive number (`InvalidParameter.VersionId.Format`,
/// 400: documented for Resource Manager's DeletePolicyVersion, ASSUMED for RAM's).
pub(super) fn version_id(p: &Params<'_>) -> Result<String, CloudError> {
    let v = p.req_str("VersionId")?;
    let ok = v.strip_prefix('v').is_some_and(|n| {
        !n.is_empty()
            && n.len() <= 9
            && !n.starts_with('0')
            && n.bytes().all(|b| b.is_ascii_digit())
    });
    if ok {
        Ok(v)
    } else {
        Err(CloudError::bad(
            "InvalidParameter.VersionId.Format",
            format!("The specified version ID is invalid: `{v}`."),
        ))
    }
}

fn version_missing(policy: &str, version: &str) -> CloudError {
    CloudError::not_found(
        "EntityNotExist.Policy.Version",
        format!("The policy version does not exist: {policy} {version}."),
    )
}

fn policy_type_name(t: PolicyType) -> &'static str {
    match t {
        PolicyType::Custom => "Custom",
        PolicyType::System => "System",
    }
}

/// One version as RAM's GetPolicyVersion / ListPolicyVersions answer it.
fn version_json(v: &PolicyVersion, is_default: bool) -> Value {
    let mut out = json!({
        "VersionId": v.id,
        "IsDefaultVersion": is_default,
        "PolicyDocument": v.document,
    });
    if let (Some(date), Some(obj)) = (&v.create_date, out.as_object_mut()) {
        obj.insert("CreateDate".into(), json!(date));
    }
    out
}

/// The version system policies are read back as. ASSUMED: Alibaba's system policies carry
/// their own version histories; ramsim knows one document per system policy.
pub const SYSTEM_POLICY_VERSION: &str = "v1";

impl Iam {
    fn custom_policy(&self, account: &str, name: &str) -> Option<&CustomPolicy> {
        self.acct(account)?.policies.get(name)
    }

    /// A policy's versions (oldest first), default version and description, for the read
    /// APIs: a custom policy of `account`, or a system policy as its single version.
    fn policy_view(
        &self,
        account: &str,
        name: &str,
        t: PolicyType,
    ) -> Result<(Vec<PolicyVersion>, String, String), CloudError> {
        match t {
            PolicyType::Custom => self
                .custom_policy(account, name)
                .map(|p| {
                    (
                        p.versions.clone(),
                        p.default_version.to_string(),
                        p.description.clone(),
                    )
                })
                .ok_or_else(|| entity_missing("Policy", name)),
            PolicyType::System => system_policy(name)
                .map(|doc| {
                    (
                        vec![PolicyVersion {
                            id: SYSTEM_POLICY_VERSION.into(),
                            document: doc.to_string(),
                            create_date: None,
                        }],
                        SYSTEM_POLICY_VERSION.into(),
                        String::new(),
                    )
                })
                .ok_or_else(|| entity_missing("Policy", name)),
        }
    }

    /// CreatePolicyVersion: validates, rotates if asked and at the limit, then adds the version.
    pub(super) fn create_policy_version(
        &mut self,
        a: &str,
        date: &str,
        policy: &str,
        document: &str,
        set_as_default: bool,
        rotate: RotateStrategy,
    ) -> Result<Value, CloudError> {
        let existing = self
            .custom_policy(a, policy)
            .ok_or_else(|| entity_missing("Policy", policy))?;
        if let Some(e) = invalid_document(PolicyKind::Identity, document) {
            return Err(e);
        }
        // At the limit, rotation deletes the oldest version that is not in force.
        let rotate_out = if existing.versions.len() >= POLICY_VERSIONS_MAX {
            match rotate {
                RotateStrategy::None => {
                    return Err(CloudError::new(
                        "LimitExceeded.Policy.Version",
                        409,
                        "The maximum number of policy versions is exceeded.",
                    ))
                }
                RotateStrategy::DeleteOldestNonDefaultVersionWhenLimitExceeded => existing
                    .versions
                    .iter()
                    .find(|v| v.id != existing.default_version)
                    .map(|v| v.id.clone()),
            }
        } else {
            None
        };
        let Some(p) = self
            .accounts
            .get_mut(a)
            .and_then(|x| x.policies.get_mut(policy))
        else {
            return Err(entity_missing("Policy", policy));
        };
        if let Some(old) = rotate_out {
            p.versions.retain(|v| v.id != old);
        }
        let id = format!("v{}", p.next_version);
        p.next_version += 1;
        let v = PolicyVersion {
            id: id.clone(),
            document: document.to_string(),
            create_date: Some(date.to_string()),
        };
        let body = version_json(&v, set_as_default);
        p.versions.push(v);
        if set_as_default {
            p.default_version = id;
        }
        Ok(json!({ "PolicyVersion": body }))
    }

    /// SetDefaultPolicyVersion: the named version of a custom policy comes into force.
    pub(super) fn set_default_policy_version(
        &mut self,
        a: &str,
        policy: &str,
        version: &str,
    ) -> Result<Value, CloudError> {
        let p = self
            .custom_policy(a, policy)
            .ok_or_else(|| entity_missing("Policy", policy))?;
        if p.version(version).is_none() {
            return Err(version_missing(policy, version));
        }
        if let Some(p) = self
            .accounts
            .get_mut(a)
            .and_then(|x| x.policies.get_mut(policy))
        {
            p.default_version = version.to_string();
        }
        Ok(json!({}))
    }

    /// DeletePolicyVersion: any version but the default.
    pub(super) fn delete_policy_version(
        &mut self,
        a: &str,
        policy: &str,
        version: &str,
    ) -> Result<Value, CloudError> {
        let p = self
            .custom_policy(a, policy)
            .ok_or_else(|| entity_missing("Policy", policy))?;
        if p.version(version).is_none() {
            return Err(version_missing(policy, version));
        }
        if p.default_version == version {
            return Err(CloudError::new(
                "DeleteConflict.Policy.Version.Default",
                409,
                "You cannot delete the default policy version.",
            ));
        }
        if let Some(p) = self
            .accounts
            .get_mut(a)
            .and_then(|x| x.policies.get_mut(policy))
        {
            p.versions.retain(|v| v.id != version);
        }
        Ok(json!({}))
    }

    /// GetPolicy: the policy and its default version.
    pub(super) fn get_policy(
        &self,
        a: &str,
        policy: &str,
        policy_type: PolicyType,
    ) -> Result<Value, CloudError> {
        let (versions, default, description) = self.policy_view(a, policy, policy_type)?;
        let attachments = self.acct(a).map_or(0, |x| {
            x.attachments
                .iter()
                .filter(|t| t.policy == *policy && t.policy_type == policy_type)
                .count()
        });
        let d = versions
            .iter()
            .find(|v| v.id == default)
            .ok_or_else(|| version_missing(policy, &default))?;
        let mut head = json!({
            "PolicyName": policy,
            "PolicyType": policy_type_name(policy_type),
            "Description": description,
            "DefaultVersion": default,
            "AttachmentCount": attachments,
        });
        if let (Some(date), Some(obj)) = (
            versions.first().and_then(|v| v.create_date.clone()),
            head.as_object_mut(),
        ) {
            obj.insert("CreateDate".into(), json!(date));
        }
        Ok(json!({"Policy": head, "DefaultPolicyVersion": version_json(d, true)}))
    }

    /// GetPolicyVersion.
    pub(super) fn get_policy_version(
        &self,
        a: &str,
        policy: &str,
        policy_type: PolicyType,
        version: &str,
    ) -> Result<Value, CloudError> {
        let (versions, default, _) = self.policy_view(a, policy, policy_type)?;
        let v = versions
            .iter()
            .find(|v| v.id == version)
            .ok_or_else(|| version_missing(policy, version))?;
        Ok(json!({"PolicyVersion": version_json(v, v.id == default)}))
    }

    /// ListPolicyVersions, newest first.
    pub(super) fn list_policy_versions(
        &self,
        a: &str,
        policy: &str,
        policy_type: PolicyType,
    ) -> Result<Value, CloudError> {
        let (versions, default, _) = self.policy_view(a, policy, policy_type)?;
        // Newest first, as Alibaba's examples list them.
        let list: Vec<Value> = versions
            .iter()
            .rev()
            .map(|v| version_json(v, v.id == default))
            .collect();
        Ok(json!({"PolicyVersions": {"PolicyVersion": list}}))
    }
}

/// Decodes a RAM API call; `Ok(None)` when `action` is not one of its APIs.
pub(super) fn decode(action: &str, p: &Params<'_>) -> Result<Option<IamOperation>, CloudError> {
    let attach = |kind: &str| -> Result<(String, PolicyType, Grantee), CloudError> {
        let grantee = match kind {
            "User" => Grantee::User(p.req_str("UserName")?),
            "Group" => Grantee::Group(p.req_str("GroupName")?),
            _ => Grantee::Role(p.req_str("RoleName")?),
        };
        Ok((p.req_str("PolicyName")?, policy_type(p)?, grantee))
    };
    Ok(Some(match action {
        "CreateUser" => IamOperation::CreateUser {
            user: p.req_str("UserName")?,
        },
        "CreateAccessKey" => IamOperation::CreateAccessKey {
            user: p.req_str("UserName")?,
        },
        "CreateGroup" => IamOperation::CreateGroup {
            group: p.req_str("GroupName")?,
        },
        "AddUserToGroup" => IamOperation::AddUserToGroup {
            user: p.req_str("UserName")?,
            group: p.req_str("GroupName")?,
        },
        "CreateRole" => IamOperation::CreateRole {
            role: p.req_str("RoleName")?,
            trust_policy: p.req_str("AssumeRolePolicyDocument")?,
            max_session_duration: p.opt_i64("MaxSessionDuration")?,
        },
        "UpdateRole" => IamOperation::UpdateRole {
            role: p.req_str("RoleName")?,
            trust_policy: p.opt_str("NewAssumeRolePolicyDocument")?,
            max_session_duration: p.opt_i64("NewMaxSessionDuration")?,
        },
        "CreatePolicy" => IamOperation::CreatePolicy {
            policy: p.req_str("PolicyName")?,
            document: p.req_str("PolicyDocument")?,
            description: p.opt_str("Description")?.unwrap_or_default(),
        },
        "CreatePolicyVersion" => IamOperation::CreatePolicyVersion {
            policy: p.req_str("PolicyName")?,
            document: p.req_str("PolicyDocument")?,
            set_as_default: p.flag("SetAsDefault")?,
            rotate: rotate_strategy(p)?,
        },
        "SetDefaultPolicyVersion" => IamOperation::SetDefaultPolicyVersion {
            policy: p.req_str("PolicyName")?,
            version: version_id(p)?,
        },
        "DeletePolicyVersion" => IamOperation::DeletePolicyVersion {
            policy: p.req_str("PolicyName")?,
            version: version_id(p)?,
        },
        "GetPolicy" => IamOperation::GetPolicy {
            policy: p.req_str("PolicyName")?,
            policy_type: policy_type(p)?,
        },
        "GetPolicyVersion" => IamOperation::GetPolicyVersion {
            policy: p.req_str("PolicyName")?,
            policy_type: policy_type(p)?,
            version: version_id(p)?,
        },
        "ListPolicyVersions" => IamOperation::ListPolicyVersions {
            policy: p.req_str("PolicyName")?,
            policy_type: policy_type(p)?,
        },
        "DeletePolicy" => IamOperation::DeletePolicy {
            policy: p.req_str("PolicyName")?,
        },
        "AttachPolicyToUser" | "AttachPolicyToGroup" | "AttachPolicyToRole" => {
            let (policy, policy_type, grantee) = attach(&action["AttachPolicyTo".len()..])?;
            IamOperation::AttachPolicy {
                policy,
                policy_type,
                grantee,
                resource_group: None,
            }
        }
        "DetachPolicyFromUser" | "DetachPolicyFromGroup" | "DetachPolicyFromRole" => {
            let (policy, policy_type, grantee) = attach(&action["DetachPolicyFrom".len()..])?;
            IamOperation::DetachPolicy {
                policy,
                policy_type,
                grantee,
                resource_group: None,
            }
        }
        _ => return Ok(None),
    }))
}

impl Iam {
    /// Validates a RAM operation fully, then applies it; a failed call leaves the identity
    /// store and `world` unchanged. [`Iam::execute`] routes here by [`IamOperation::owner`].
    pub(super) fn apply_ram(
        &mut self,
        world: &mut World,
        caller: &Caller,
        now: i64,
        op: &IamOperation,
    ) -> Result<Value, CloudError> {
        let a = caller.account().to_string();
        let date = crate::cloud::Timestamp::from_epoch(now).text();
        Ok(match op {
            IamOperation::CreateUser { user } => {
                if !valid_name(user, 64) {
                    return Err(CloudError::bad(
                        "InvalidParameter.UserName.InvalidChars",
                        format!("The user name `{user}` is invalid."),
                    ));
                }
                if self.acct(&a).is_some_and(|x| x.users.contains_key(user)) {
                    return Err(CloudError::new(
                        "EntityAlreadyExists.User",
                        409,
                        format!("The user already exists: {user}."),
                    ));
                }
                let id = self.next_number("2");
                let acct = self.accounts.entry(a.clone()).or_default();
                acct.users.insert(
                    user.clone(),
                    User {
                        name: user.clone(),
                        id: id.clone(),
                        groups: Vec::new(),
                        access_keys: Vec::new(),
                    },
                );
                json!({"User": {"UserId": id, "UserName": user, "CreateDate": date}})
            }
            IamOperation::CreateAccessKey { user } => {
                self.grantee_exists(&a, &Grantee::User(user.clone()))?;
                if self
                    .acct(&a)
                    .and_then(|x| x.users.get(user))
                    .is_some_and(|u| u.access_keys.len() >= 2)
                {
                    return Err(CloudError::new(
                        "LimitExceeded.User.AccessKey",
                        409,
                        "A user can have at most 2 AccessKeys.",
                    ));
                }
                let id = self.next_token("LTAI", 20);
                if let Some(u) = self
                    .accounts
                    .get_mut(&a)
                    .and_then(|x| x.users.get_mut(user))
                {
                    u.access_keys.push(AccessKey {
                        id: id.clone(),
                        status: "Active".into(),
                        secret: None,
                    });
                }
                let secret = super::secrets::derived_secret(world.id_seed(), &id);
                json!({"AccessKey": {"AccessKeyId": id, "AccessKeySecret": secret, "Status": "Active", "CreateDate": date}})
            }
            IamOperation::CreateGroup { group } => {
                if !valid_name(group, 64) {
                    return Err(CloudError::bad(
                        "InvalidParameter.GroupName.InvalidChars",
                        format!("The group name `{group}` is invalid."),
                    ));
                }
                if self.acct(&a).is_some_and(|x| x.groups.contains_key(group)) {
                    return Err(CloudError::new(
                        "EntityAlreadyExists.Group",
                        409,
                        format!("The group already exists: {group}."),
                    ));
                }
                self.accounts.entry(a.clone()).or_default().groups.insert(
                    group.clone(),
                    Group {
                        name: group.clone(),
                    },
                );
                json!({"Group": {"GroupName": group, "CreateDate": date}})
            }
            IamOperation::AddUserToGroup { user, group } => {
                self.grantee_exists(&a, &Grantee::User(user.clone()))?;
                self.grantee_exists(&a, &Grantee::Group(group.clone()))?;
                let Some(u) = self
                    .accounts
                    .get_mut(&a)
                    .and_then(|x| x.users.get_mut(user))
                else {
                    return Err(entity_missing("User", user));
                };
                if u.groups.contains(group) {
                    return Err(CloudError::new(
                        "EntityAlreadyExists.User.Group",
                        409,
                        "The user is already in the group.",
                    ));
                }
                u.groups.push(group.clone());
                u.groups.sort();
                json!({})
            }
            IamOperation::CreateRole {
                role,
                trust_policy,
                max_session_duration,
            } => {
                if !valid_name(role, 64) {
                    return Err(CloudError::bad(
                        "InvalidParameter.RoleName.InvalidChars",
                        format!("The role name `{role}` is invalid."),
                    ));
                }
                if let Some(e) = invalid_document(PolicyKind::Trust, trust_policy) {
                    return Err(e);
                }
                let max_session_duration =
                    checked_max_session_duration(*max_session_duration, "MaxSessionDuration")?
                        .unwrap_or(DEFAULT_MAX_SESSION_DURATION);
                if self
                    .acct(&a)
                    .is_some_and(|x| x.roles.values().any(|r| r.name.eq_ignore_ascii_case(role)))
                {
                    return Err(CloudError::new(
                        "EntityAlreadyExists.Role",
                        409,
                        format!("The role already exists: {role}."),
                    ));
                }
                let id = self.next_number("3");
                self.accounts.entry(a.clone()).or_default().roles.insert(
                    role.clone(),
                    Role {
                        name: role.clone(),
                        id: id.clone(),
                        trust_policy: trust_policy.clone(),
                        service_linked: false,
                        max_session_duration,
                    },
                );
                json!({"Role": {"RoleId": id, "RoleName": role, "Arn": ram_arn(&a, &["role/", &role.to_lowercase()]), "CreateDate": date, "MaxSessionDuration": max_session_duration}})
            }
            IamOperation::UpdateRole {
                role,
                trust_policy,
                max_session_duration,
            } => {
                self.grantee_exists(&a, &Grantee::Role(role.clone()))?;
                if let Some(e) = trust_policy
                    .as_deref()
                    .and_then(|t| invalid_document(PolicyKind::Trust, t))
                {
                    return Err(e);
                }
                let max_session_duration =
                    checked_max_session_duration(*max_session_duration, "NewMaxSessionDuration")?;
                if let Some(r) = self
                    .accounts
                    .get_mut(&a)
                    .and_then(|x| x.roles.get_mut(role))
                {
                    if let Some(t) = trust_policy {
                        r.trust_policy = t.clone();
                    }
                    if let Some(m) = max_session_duration {
                        r.max_session_duration = m;
                    }
                }
                json!({"Role": {"RoleName": role, "UpdateDate": date}})
            }
            IamOperation::CreatePolicy {
                policy,
                document,
                description,
            } => {
                if !valid_name(policy, 128) {
                    return Err(CloudError::bad(
                        "InvalidParameter.PolicyName.InvalidChars",
                        format!("The policy name `{policy}` is invalid."),
                    ));
                }
                if system_policy(policy).is_some()
                    || self
                        .acct(&a)
                        .is_some_and(|x| x.policies.contains_key(policy))
                {
                    return Err(CloudError::new(
                        "EntityAlreadyExists.Policy",
                        409,
                        format!("The policy already exists: {policy}."),
                    ));
                }
                if let Some(e) = invalid_document(PolicyKind::Identity, document) {
                    return Err(e);
                }
                if self
                    .acct(&a)
                    .is_some_and(|x| x.policies.len() >= CUSTOM_POLICIES_MAX)
                {
                    return Err(CloudError::new(
                        "LimitExceeded.Policy",
                        409,
                        "The account has too many custom policies.",
                    ));
                }
                self.accounts.entry(a.clone()).or_default().policies.insert(
                    policy.clone(),
                    CustomPolicy {
                        name: policy.clone(),
                        description: description.clone(),
                        versions: vec![PolicyVersion {
                            id: "v1".into(),
                            document: document.clone(),
                            create_date: Some(date.clone()),
                        }],
                        default_version: "v1".into(),
                        next_version: 2,
                    },
                );
                json!({"Policy": {"PolicyName": policy, "PolicyType": "Custom", "DefaultVersion": "v1", "Description": description, "CreateDate": date}})
            }
            IamOperation::CreatePolicyVersion {
                policy,
                document,
                set_as_default,
                rotate,
            } => {
                self.create_policy_version(&a, &date, policy, document, *set_as_default, *rotate)?
            }
            IamOperation::SetDefaultPolicyVersion { policy, version } => {
                self.set_default_policy_version(&a, policy, version)?
            }
            IamOperation::DeletePolicyVersion { policy, version } => {
                self.delete_policy_version(&a, policy, version)?
            }
            IamOperation::GetPolicy {
                policy,
                policy_type,
            } => self.get_policy(&a, policy, *policy_type)?,
            IamOperation::GetPolicyVersion {
                policy,
                policy_type,
                version,
            } => self.get_policy_version(&a, policy, *policy_type, version)?,
            IamOperation::ListPolicyVersions {
                policy,
                policy_type,
            } => self.list_policy_versions(&a, policy, *policy_type)?,
            IamOperation::DeletePolicy { policy } => {
                let acct = self
                    .acct(&a)
                    .ok_or_else(|| entity_missing("Policy", policy))?;
                if !acct.policies.contains_key(policy) {
                    return Err(entity_missing("Policy", policy));
                }
                if acct
                    .attachments
                    .iter()
                    .any(|x| x.policy == *policy && x.policy_type == PolicyType::Custom)
                {
                    return Err(CloudError::new(
                        "DeleteConflict.Policy.User",
                        409,
                        "The policy is still attached; detach it first.",
                    ));
                }
                if let Some(x) = self.accounts.get_mut(&a) {
                    x.policies.remove(policy);
                }
                json!({})
            }
            IamOperation::AttachPolicy {
                policy,
                policy_type,
                grantee,
                resource_group,
            } => {
                self.check_policy_exists(&a, policy, *policy_type)?;
                self.grantee_exists(&a, grantee)?;
                if let Some(rg) = resource_group {
                    if !world
                        .account(&a)
                        .is_some_and(|acct| acct.resource_groups.contains(rg))
                    {
                        return Err(CloudError::not_found(
                            "EntityNotExists.ResourceGroup",
                            format!("The resource group does not exist: {rg}."),
                        ));
                    }
                }
                let att = Attachment {
                    policy: policy.clone(),
                    policy_type: *policy_type,
                    grantee: grantee.clone(),
                    resource_group: resource_group.clone(),
                };
                let acct = self.accounts.entry(a.clone()).or_default();
                if acct.attachments.contains(&att) {
                    return Err(CloudError::new(
                        "EntityAlreadyExists.Policy.Attachment",
                        409,
                        "The policy is already attached.",
                    ));
                }
                if acct
                    .attachments
                    .iter()
                    .filter(|x| x.grantee == *grantee)
                    .count()
                    >= POLICIES_PER_GRANTEE_MAX * 3
                {
                    return Err(CloudError::new(
                        "LimitExceeded.Policy.Attachment",
                        409,
                        "Too many policies are attached.",
                    ));
                }
                acct.attachments.push(att);
                acct.attachments.sort();
                json!({})
            }
            IamOperation::DetachPolicy {
                policy,
                policy_type,
                grantee,
                resource_group,
            } => {
                let att = Attachment {
                    policy: policy.clone(),
                    policy_type: *policy_type,
                    grantee: grantee.clone(),
                    resource_group: resource_group.clone(),
                };
                let Some(acct) = self
                    .accounts
                    .get_mut(&a)
                    .filter(|x| x.attachments.contains(&att))
                else {
                    return Err(CloudError::not_found(
                        "EntityNotExist.Policy.Attachment",
                        "The policy is not attached.",
                    ));
                };
                acct.attachments.retain(|x| *x != att);
                json!({})
            }
            other => return Err(not_owned(other, "RAM")),
        })
    }
}

impl Iam {
    /// What a RAM operation by `caller` must be authorized for (action, resource ARNs);
    /// errors here are the call's answer and come before RAM, as in Alibaba.
    pub(super) fn authorize_ram(
        &self,
        _world: &World,
        caller: &Caller,
        op: &IamOperation,
    ) -> Result<IamAuth, CloudError> {
        let a = caller.account();
        let simple = |action: &str, resources: Vec<String>| IamAuth {
            action: action.to_string(),
            resources,
            trust: None,
            resource_account: None,
            authorize: true,
        };
        let rm = |rel: &str| format!("acs:resourcemanager::{a}:{rel}");
        Ok(match op {
            IamOperation::CreateUser { user } => {
                simple("ram:CreateUser", vec![ram_arn(a, &["user/", user])])
            }
            IamOperation::CreateAccessKey { user } => {
                simple("ram:CreateAccessKey", vec![ram_arn(a, &["user/", user])])
            }
            IamOperation::CreateGroup { group } => {
                simple("ram:CreateGroup", vec![ram_arn(a, &["group/", group])])
            }
            IamOperation::AddUserToGroup { group, .. } => {
                simple("ram:AddUserToGroup", vec![ram_arn(a, &["group/", group])])
            }
            IamOperation::CreateRole { role, .. } => {
                simple("ram:CreateRole", vec![ram_arn(a, &["role/", role])])
            }
            IamOperation::UpdateRole { role, .. } => {
                simple("ram:UpdateRole", vec![ram_arn(a, &["role/", role])])
            }
            IamOperation::CreatePolicy { policy, .. } => {
                simple("ram:CreatePolicy", vec![ram_arn(a, &["policy/", policy])])
            }
            IamOperation::CreatePolicyVersion { policy, .. }
            | IamOperation::SetDefaultPolicyVersion { policy, .. }
            | IamOperation::DeletePolicyVersion { policy, .. }
            | IamOperation::GetPolicy { policy, .. }
            | IamOperation::GetPolicyVersion { policy, .. }
            | IamOperation::ListPolicyVersions { policy, .. } => simple(
                &format!("ram:{}", op.action_name()),
                vec![ram_arn(a, &["policy/", policy])],
            ),
            IamOperation::DeletePolicy { policy } => {
                simple("ram:DeletePolicy", vec![ram_arn(a, &["policy/", policy])])
            }
            IamOperation::AttachPolicy {
                policy,
                grantee,
                resource_group,
                ..
            }
            | IamOperation::DetachPolicy {
                policy,
                grantee,
                resource_group,
                ..
            } => {
                let attach = matches!(op, IamOperation::AttachPolicy { .. });
                match resource_group {
                    Some(rg) => simple(
                        if attach {
                            "resourcemanager:AttachPolicy"
                        } else {
                            "resourcemanager:DetachPolicy"
                        },
                        vec![rm(&format!("resourcegroup/{rg}"))],
                    ),
                    None => simple(
                        &format!("ram:{}", op.action_name()),
                        vec![ram_arn(a, &["policy/", policy]), grantee_arn(a, grantee)],
                    ),
                }
            }
            other => return Err(not_owned(other, "RAM")),
        })
    }
}
