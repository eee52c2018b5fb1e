//! The RAM product (API version 2015-05-01): the declarations of its APIs — parameters, RAM
//! action, ARN templates, response shape. Policy versions: CreatePolicyVersion (`SetAsDefault`,
//! `RotateStrategy`, at most 5 versions), SetDefaultPolicyVersion, DeletePolicyVersion (never
//! the default), GetPolicy (with its default version), GetPolicyVersion, ListPolicyVersions;
//! every decision reads the default version's document. Their checks, concrete ARNs and effects are in
//! [`super::ops`] (the identity store owns the state all identity products share), except the
//! policy-version APIs, whose parameter checks and effects are here, below their declarations.

use super::model::{CustomPolicy, Iam, PolicyType, PolicyVersion};
use super::ops::{entity_missing, invalid_document, POLICY_VERSIONS_MAX};
use super::system_policies::system_policy;
use crate::cloud::declare::ParamType::{Bool, Int, Str};
use crate::cloud::declare::{opt, req, AccessLevel::*, ApiDecl, Denial, Param, Product};
use crate::cloud::params::Params;
use crate::cloud::CloudError;
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
        .params(&[req("UserName", Str)])
        .resources(&[USER])
        .response(&["User"]),
    PRODUCT
        .api("CreateAccessKey", "ram:CreateAccessKey", Create)
        .params(&[req("UserName", Str)])
        .resources(&[USER])
        .response(&["AccessKey"]),
    PRODUCT
        .api("CreateGroup", "ram:CreateGroup", Create)
        .params(&[req("GroupName", Str)])
        .resources(&[GROUP])
        .response(&["Group"]),
    PRODUCT
        .api("AddUserToGroup", "ram:AddUserToGroup", Update)
        .params(&[req("UserName", Str), req("GroupName", Str)])
        .resources(&[GROUP]),
    PRODUCT
        .api("CreateRole", "ram:CreateRole", Create)
        .params(&[
            req("RoleName", Str),
            req("AssumeRolePolicyDocument", Str),
            opt("MaxSessionDuration", Int),
        ])
        .resources(&[ROLE])
        .response(&["Role"]),
    PRODUCT
        .api("UpdateRole", "ram:UpdateRole", Update)
        .params(&[
            req("RoleName", Str),
            opt("NewAssumeRolePolicyDocument", Str),
            opt("NewMaxSessionDuration", Int),
        ])
        .resources(&[ROLE])
        .response(&["Role"]),
    PRODUCT
        .api("CreatePolicy", "ram:CreatePolicy", Create)
        .params(&[
            req("PolicyName", Str),
            req("PolicyDocument", Str),
            opt("Description", Str),
        ])
        .resources(&[POLICY])
        .response(&["Policy"]),
    PRODUCT
        .api("CreatePolicyVersion", "ram:CreatePolicyVersion", Create)
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
        .params(&[req("PolicyName", Str), req("VersionId", Str)])
        .resources(&[POLICY]),
    PRODUCT
        .api("DeletePolicyVersion", "ram:DeletePolicyVersion", Delete)
        .params(&[req("PolicyName", Str), req("VersionId", Str)])
        .resources(&[POLICY]),
    PRODUCT
        .api("GetPolicy", "ram:GetPolicy", Get)
        .params(&[req("PolicyName", Str), req("PolicyType", Str)])
        .resources(&[POLICY])
        .response(&["Policy", "DefaultPolicyVersion"]),
    PRODUCT
        .api("GetPolicyVersion", "ram:GetPolicyVersion", Get)
        .params(&[
            req("PolicyName", Str),
            req("PolicyType", Str),
            req("VersionId", Str),
        ])
        .resources(&[POLICY])
        .response(&["PolicyVersion"]),
    PRODUCT
        .api("ListPolicyVersions", "ram:ListPolicyVersions", List)
        .params(&[req("PolicyName", Str), req("PolicyType", Str)])
        .resources(&[POLICY])
        .response(&["PolicyVersions"]),
    PRODUCT
        .api("DeletePolicy", "ram:DeletePolicy", Delete)
        .params(&[req("PolicyName", Str)])
        .resources(&[POLICY]),
    PRODUCT
        .api("AttachPolicyToUser", "ram:AttachPolicyToUser", Update)
        .params(TO_USER)
        .resources(&[POLICY, USER]),
    PRODUCT
        .api("AttachPolicyToGroup", "ram:AttachPolicyToGroup", Update)
        .params(TO_GROUP)
        .resources(&[POLICY, GROUP]),
    PRODUCT
        .api("AttachPolicyToRole", "ram:AttachPolicyToRole", Update)
        .params(TO_ROLE)
        .resources(&[POLICY, ROLE]),
    PRODUCT
        .api("DetachPolicyFromUser", "ram:DetachPolicyFromUser", Update)
        .params(TO_USER)
        .resources(&[POLICY, USER]),
    PRODUCT
        .api("DetachPolicyFromGroup", "ram:DetachPolicyFromGroup", Update)
        .params(TO_GROUP)
        .resources(&[POLICY, GROUP]),
    PRODUCT
        .api("DetachPolicyFromRole", "ram:DetachPolicyFromRole", Update)
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
