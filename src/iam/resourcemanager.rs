//! The Resource Manager / Resource Directory product (API version 2020-03-31): the
//! declarations of its APIs (checks and effects in [`super::ops`], MoveAccount's below). MoveAccount moves a member to another folder: its RD path
//! (`acs:TargetRDPath` of peering calls) and the control policies inherited from folders
//! follow at once. Checks, concrete ARNs and effects are in [`super::ops`].

use super::ram::IDENTITY_DENIAL;
use crate::cloud::declare::ParamType::{Str, Uid};
use crate::cloud::declare::{opt, req, AccessLevel::*, ApiDecl, Product};
use crate::cloud::params::Params;
use crate::cloud::{CloudError, World};
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
        .params(&[req("Name", Str)])
        .resources(&["acs:resourcemanager::{account}:resourcegroup/*"])
        .response(&["ResourceGroup"]),
    PRODUCT
        .api("AttachPolicy", "resourcemanager:AttachPolicy", Update)
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
        .params(&[req("PolicyId", Str), req("TargetId", Str)])
        .resources(&[CONTROL_POLICY, FOLDER]),
    PRODUCT
        .api(
            "DetachControlPolicy",
            "resourcemanager:DetachControlPolicy",
            Update,
        )
        .params(&[req("PolicyId", Str), req("TargetId", Str)])
        .resources(&[CONTROL_POLICY, FOLDER]),
    PRODUCT
        .api("MoveAccount", "resourcemanager:MoveAccount", Update)
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
