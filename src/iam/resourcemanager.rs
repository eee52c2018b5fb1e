//! The Resource Manager / Resource Directory product (API version 2020-03-31): the
//! declarations of its APIs. MoveAccount moves a member to another folder: its RD path
//! (`acs:TargetRDPath` of peering calls) and the control policies inherited from folders
//! follow at once. Checks, concrete ARNs and effects are in [`super::ops`].

use super::ram::IDENTITY_DENIAL;
use crate::cloud::declare::ParamType::{Str, Uid};
use crate::cloud::declare::{opt, req, AccessLevel::*, ApiDecl, Product};

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
