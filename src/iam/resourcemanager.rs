//! The Resource Manager / Resource Directory product (API version 2020-03-31): the
//! declarations of its APIs, then their parameter checks (`decode`) and effects
//! (`Iam::apply_resourcemanager`; the resource-group Attach/DetachPolicy are applied by RAM's
//! attachment code). MoveAccount moves a member to another folder: its RD path
//! (`acs:TargetRDPath` of peering calls) and the control policies inherited from folders
//! follow at once. Their RAM action and ARNs: `Iam::authorize_resourcemanager`.

use super::caller::Caller;
use super::model::*;
use super::ops::*;
use super::ram::IDENTITY_DENIAL;
use crate::cloud::declare::ParamType::{Str, Uid};
use crate::cloud::declare::{opt, req, AccessLevel::*, ApiDecl, Product};
use crate::cloud::params::Params;
use crate::cloud::{CloudError, World};
use crate::policy::PolicyKind;
use serde_json::{json, Value};

/// The Resource Manager product.
pub const PRODUCT: Product = Product {
    name: "ResourceManager",
    version: "2020-03-31",
    ram_code: "resourcemanager",
    endpoint: "resourcemanager.aliyuncs.com",
    regional_endpoint: None,
    denial: IDENTITY_DENIAL,
};

const RESOURCE_GROUP: &str = "acs:resourcemanager::{account}:resourcegroup/{ResourceGroupId}";
const CONTROL_POLICY: &str = "acs:resourcemanager::{account}:policy/controlpolicy/{PolicyId}";
const FOLDER: &str = "acs:resourcemanager::{account}:folder/{TargetPath}";
/// MoveAccount's resources (Alibaba's RAM table: `account/{#ResourceDirectoryPath}` and
/// `folder/{#ResourceDirectoryPath}`): the member by its current RD path, the destination
/// folder by its path.
const MOVED_ACCOUNT: &str = "acs:resourcemanager::{account}:account/{AccountPath}";
const DESTINATION: &str = "acs:resourcemanager::{account}:folder/{FolderPath}";

/// Every Resource Manager API.
pub const DECLS: &[ApiDecl] = &[
    PRODUCT
        .api(
            "CreateResourceGroup",
            "resourcemanager:CreateResourceGroup",
            Create,
        )
        .names(&["Name"])
        .resource_type("ACS::ResourceManager::ResourceGroup")
        .params(&[req("Name", Str)])
        .resources(&["acs:resourcemanager::{account}:resourcegroup/*"])
        .response(&["ResourceGroup"]),
    PRODUCT
        .api("AttachPolicy", "resourcemanager:AttachPolicy", Update)
        .names(&["PolicyName"])
        .resource_type("ACS::RAM::Policy")
        .params(&[
            req("PolicyName", Str),
            req("PolicyType", Str),
            req("PrincipalName", Str),
            req("PrincipalType", Str),
            req("ResourceGroupId", Str),
        ])
        .resources(&[RESOURCE_GROUP]),
    PRODUCT
        .api("DetachPolicy", "resourcemanager:DetachPolicy", Update)
        .names(&["PolicyName"])
        .resource_type("ACS::RAM::Policy")
        .params(&[
            req("PolicyName", Str),
            req("PolicyType", Str),
            req("PrincipalName", Str),
            req("PrincipalType", Str),
            req("ResourceGroupId", Str),
        ])
        .resources(&[RESOURCE_GROUP]),
    PRODUCT
        .api(
            "CreateControlPolicy",
            "resourcemanager:CreateControlPolicy",
            Create,
        )
        .names(&["PolicyName"])
        .resource_type("ACS::ResourceManager::ControlPolicy")
        .params(&[
            req("PolicyName", Str),
            req("PolicyDocument", Str),
            opt("EffectScope", Str),
        ])
        .resources(&["acs:resourcemanager::{account}:policy/controlpolicy/*"])
        .response(&["ControlPolicy"]),
    PRODUCT
        .api(
            "AttachControlPolicy",
            "resourcemanager:AttachControlPolicy",
            Update,
        )
        .names(&["PolicyId"])
        .resource_type("ACS::ResourceManager::ControlPolicy")
        .params(&[req("PolicyId", Str), req("TargetId", Str)])
        .resources(&[CONTROL_POLICY, FOLDER]),
    PRODUCT
        .api(
            "DetachControlPolicy",
            "resourcemanager:DetachControlPolicy",
            Update,
        )
        .names(&["PolicyId"])
        .resource_type("ACS::ResourceManager::ControlPolicy")
        .params(&[req("PolicyId", Str), req("TargetId", Str)])
        .resources(&[CONTROL_POLICY, FOLDER]),
    PRODUCT
        .api("MoveAccount", "resourcemanager:MoveAccount", Update)
        .names(&["AccountId"])
        .resource_type("ACS::ResourceManager::Account")
        .params(&[req("AccountId", Uid), req("DestinationFolderId", Str)])
        .resources(&[MOVED_ACCOUNT, DESTINATION]),
];

// MoveAccount: parameter checks (before RAM) and effect (after).

/// `AccountId` of MoveAccount: a 16-digit UID (`InvalidParameter.AccountId`, 400, Alibaba's
/// MoveAccount reference).
pub(super) fn move_account_id(p: &Params<'_>) -> Result<String, CloudError> {
    let v = p.req_str("AccountId")?;
    if v.len() == 16 && v.bytes().all(|b| b.is_ascii_digit()) {
        Ok(v)
    } else {
        Err(CloudError::bad(
            "InvalidParameter.AccountId",
            "The AccountId is invalid.",
        ))
    }
}

/// `DestinationFolderId`: `r-` or `fd-` then letters and digits
/// (`InvalidParameter.DestinationFolderId`, 400, Alibaba's MoveAccount reference; the exact
/// lengths it names are not enforced, ASSUMED).
pub(super) fn destination_folder_id(p: &Params<'_>) -> Result<String, CloudError> {
    let v = p.req_str("DestinationFolderId")?;
    let ok = v
        .strip_prefix("r-")
        .or_else(|| v.strip_prefix("fd-"))
        .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric()));
    if ok {
        Ok(v)
    } else {
        Err(CloudError::bad(
            "InvalidParameter.DestinationFolderId",
            "The DestinationFolderId is invalid.",
        ))
    }
}

/// MoveAccount by account `a`: validates, then moves the member. The member's RD path, and
/// with it `acs:TargetRDPath` and the control policies inherited from folders, follow at once.
pub(super) fn move_account(
    world: &mut World,
    a: &str,
    account: &str,
    folder: &str,
) -> Result<Value, CloudError> {
    let Some(rd) = world.resource_directory() else {
        return Err(CloudError::not_found(
            "EntityNotExists.ResourceDirectory",
            "The resource directory for the account is not enabled.",
        ));
    };
    if rd.master_account_id != a {
        // Same code as the control-policy APIs (ASSUMED for MoveAccount).
        return Err(CloudError::new(
            "NotSupport.NotManagementAccount",
            403,
            "Only the management account of the resource directory can move member accounts.",
        ));
    }
    if !rd.members.contains_key(account) {
        return Err(CloudError::not_found(
            "EntityNotExists.Account",
            "This resource directory account does not exist.",
        ));
    }
    if folder != rd.root_folder_id && !rd.folders.contains_key(folder) {
        return Err(CloudError::not_found(
            "EntityNotExists.Folder",
            "The resource directory folder does not exist.",
        ));
    }
    if let Some(m) = world
        .directory
        .as_mut()
        .and_then(|rd| rd.members.get_mut(account))
    {
        m.folder_id = folder.to_string();
    }
    Ok(json!({}))
}

/// Decodes a Resource Manager API call; `Ok(None)` when `action` is not one of its APIs.
pub(super) fn decode(action: &str, p: &Params<'_>) -> Result<Option<IamOperation>, CloudError> {
    Ok(Some(match action {
        "MoveAccount" => IamOperation::MoveAccount {
            account: move_account_id(p)?,
            folder: destination_folder_id(p)?,
        },
        "AttachPolicy" => IamOperation::AttachPolicy {
            policy: p.req_str("PolicyName")?,
            policy_type: policy_type(p)?,
            grantee: rm_grantee(p)?,
            resource_group: Some(p.req_str("ResourceGroupId")?),
        },
        "DetachPolicy" => IamOperation::DetachPolicy {
            policy: p.req_str("PolicyName")?,
            policy_type: policy_type(p)?,
            grantee: rm_grantee(p)?,
            resource_group: Some(p.req_str("ResourceGroupId")?),
        },
        "CreateResourceGroup" => IamOperation::CreateResourceGroup {
            name: p.req_str("Name")?,
        },
        "CreateControlPolicy" => IamOperation::CreateControlPolicy {
            name: p.req_str("PolicyName")?,
            document: p.req_str("PolicyDocument")?,
            effect_scope: p.opt_str("EffectScope")?.unwrap_or_else(|| "RAM".into()),
        },
        "AttachControlPolicy" => IamOperation::AttachControlPolicy {
            policy_id: p.req_str("PolicyId")?,
            target: p.req_str("TargetId")?,
        },
        "DetachControlPolicy" => IamOperation::DetachControlPolicy {
            policy_id: p.req_str("PolicyId")?,
            target: p.req_str("TargetId")?,
        },
        _ => return Ok(None),
    }))
}

impl Iam {
    /// Validates a Resource Manager operation fully, then applies it; a failed call leaves the identity
    /// store and `world` unchanged. [`Iam::execute`] routes here by [`IamOperation::owner`].
    pub(super) fn apply_resourcemanager(
        &mut self,
        world: &mut World,
        caller: &Caller,
        now: i64,
        op: &IamOperation,
    ) -> Result<Value, CloudError> {
        let a = caller.account().to_string();
        let date = crate::cloud::Timestamp::from_epoch(now).text();
        Ok(match op {
            IamOperation::MoveAccount { account, folder } => {
                move_account(world, &a, account, folder)?
            }
            IamOperation::CreateResourceGroup { name } => {
                if !valid_name(name, 50) {
                    return Err(CloudError::bad(
                        "InvalidParameter.Name",
                        format!("The resource group name `{name}` is invalid."),
                    ));
                }
                if world.account(&a).is_none() {
                    return Err(CloudError::not_found(
                        "EntityNotExists.Account",
                        "The account does not exist.",
                    ));
                }
                let id = self.next_token("rg-", 15).to_lowercase();
                world.update_account(&a, |acct| acct.resource_groups.push(id.clone()));
                json!({"ResourceGroup": {"Id": id, "Name": name, "DisplayName": name, "CreateDate": date}})
            }
            IamOperation::CreateControlPolicy {
                name,
                document,
                effect_scope,
            } => {
                self.require_management(world, &a)?;
                if effect_scope != "RAM" {
                    // §10 Q17: `All` exists on listed attachments but cannot be created.
                    return Err(CloudError::bad(
                        "InvalidParameter.EffectScope",
                        "Custom control policies support only EffectScope RAM.",
                    ));
                }
                if let Some(e) = invalid_document(PolicyKind::Control, document) {
                    return Err(e);
                }
                if self.control_policies.values().any(|p| p.name == *name) {
                    return Err(CloudError::new(
                        "EntityAlreadyExists.ControlPolicy",
                        409,
                        format!("The control policy already exists: {name}."),
                    ));
                }
                let id = self.next_token("cp-", 16).to_lowercase();
                self.control_policies.insert(
                    id.clone(),
                    ControlPolicy {
                        id: id.clone(),
                        name: name.clone(),
                        document: document.clone(),
                        policy_type: PolicyType::Custom,
                        effect_scope: effect_scope.clone(),
                    },
                );
                json!({"ControlPolicy": {"PolicyId": id, "PolicyName": name, "PolicyType": "Custom", "EffectScope": effect_scope, "CreateDate": date}})
            }
            IamOperation::AttachControlPolicy { policy_id, target } => {
                self.require_management(world, &a)?;
                if !self.control_policies.contains_key(policy_id) {
                    return Err(CloudError::not_found(
                        "EntityNotExists.ControlPolicy",
                        format!("The control policy does not exist: {policy_id}."),
                    ));
                }
                if control_target_path(world, target).is_none() {
                    return Err(CloudError::not_found(
                        "EntityNotExists.Target",
                        format!("The target does not exist: {target}."),
                    ));
                }
                let attached = self
                    .control_attachments
                    .get(target)
                    .map_or(&[][..], Vec::as_slice);
                if attached.contains(policy_id) {
                    return Err(CloudError::new(
                        "EntityAlreadyExists.ControlPolicyAttachment",
                        409,
                        "The control policy is already attached to the target.",
                    ));
                }
                if attached.len() >= CONTROL_POLICIES_PER_TARGET_MAX {
                    return Err(CloudError::new(
                        "ExceedQuota.ControlPolicyAttachments",
                        409,
                        "A target can have at most 10 control policies.",
                    ));
                }
                self.control_attachments
                    .entry(target.clone())
                    .or_default()
                    .push(policy_id.clone());
                json!({})
            }
            IamOperation::DetachControlPolicy { policy_id, target } => {
                self.require_management(world, &a)?;
                let Some(list) = self
                    .control_attachments
                    .get_mut(target)
                    .filter(|l| l.contains(policy_id))
                else {
                    return Err(CloudError::not_found(
                        "EntityNotExists.ControlPolicyAttachment",
                        "The control policy is not attached to the target.",
                    ));
                };
                list.retain(|p| p != policy_id);
                json!({})
            }
            other => return Err(not_owned(other, "Resource Manager")),
        })
    }
}

impl Iam {
    /// What a Resource Manager operation by `caller` must be authorized for (action, resource ARNs);
    /// errors here are the call's answer and come before RAM, as in Alibaba.
    pub(super) fn authorize_resourcemanager(
        &self,
        world: &World,
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
            IamOperation::CreateResourceGroup { .. } => simple(
                "resourcemanager:CreateResourceGroup",
                vec![rm("resourcegroup/*")],
            ),
            IamOperation::CreateControlPolicy { .. } => simple(
                "resourcemanager:CreateControlPolicy",
                vec![rm("policy/controlpolicy/*")],
            ),
            IamOperation::AttachControlPolicy { policy_id, target }
            | IamOperation::DetachControlPolicy { policy_id, target } => {
                let path = control_target_path(world, target).unwrap_or_else(|| target.clone());
                let kind = if world.account(target).is_some() {
                    "account"
                } else {
                    "folder"
                };
                let action = if matches!(op, IamOperation::AttachControlPolicy { .. }) {
                    "resourcemanager:AttachControlPolicy"
                } else {
                    "resourcemanager:DetachControlPolicy"
                };
                simple(
                    action,
                    vec![
                        rm(&format!("policy/controlpolicy/{policy_id}")),
                        rm(&format!("{kind}/{path}")),
                    ],
                )
            }
            IamOperation::MoveAccount { account, folder } => {
                // Alibaba's RAM table: the account and the destination folder, each by its
                // RD path; an unknown one is named by its id (the call then fails after RAM).
                let rd = world.resource_directory();
                let account_path = rd
                    .and_then(|rd| rd.member_path(account))
                    .unwrap_or_else(|| account.clone());
                let folder_path = rd
                    .and_then(|rd| rd.folder_path(folder))
                    .unwrap_or_else(|| folder.clone());
                simple(
                    "resourcemanager:MoveAccount",
                    vec![
                        rm(&format!("account/{account_path}")),
                        rm(&format!("folder/{folder_path}")),
                    ],
                )
            }
            other => return Err(not_owned(other, "Resource Manager")),
        })
    }
}
