//! The RAM product (API version 2015-05-01): the declarations of its APIs — parameters, RAM
//! action, ARN templates, response shape. Policy versions: CreatePolicyVersion (`SetAsDefault`,
//! `RotateStrategy`, at most 5 versions), SetDefaultPolicyVersion, DeletePolicyVersion (never
//! the default), GetPolicy (with its default version), GetPolicyVersion, ListPolicyVersions;
//! every decision reads the default version's document. Their checks, concrete ARNs and effects are in
//! [`super::ops`] (the identity store owns the state all identity products share).

use crate::cloud::declare::ParamType::{Bool, Int, Str};
use crate::cloud::declare::{opt, req, AccessLevel::*, ApiDecl, Denial, Param, Product};

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
