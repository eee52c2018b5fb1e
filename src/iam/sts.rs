//! The STS product (API version 2015-04-01): the declarations of its APIs. Checks, concrete
//! ARNs and effects are in [`super::ops`].

use super::ram::IDENTITY_DENIAL;
use crate::cloud::declare::ParamType::{Int, Str};
use crate::cloud::declare::{opt, req, AccessLevel::*, ApiDecl, Product};

/// The STS product.
pub const PRODUCT: Product = Product {
    name: "Sts",
    version: "2015-04-01",
    ram_code: "sts",
    endpoint: "sts.aliyuncs.com",
    regional_endpoint: None,
    denial: IDENTITY_DENIAL,
};

/// Every STS API.
pub const DECLS: &[ApiDecl] = &[
    PRODUCT
        .api("AssumeRole", "sts:AssumeRole", Create)
        .params(&[
            req("RoleArn", Str),
            req("RoleSessionName", Str),
            opt("Policy", Str),
            opt("DurationSeconds", Int),
        ])
        .resources(&["acs:ram::{RoleAccount}:role/{RoleName}"])
        .response(&["Credentials", "AssumedRoleUser"]),
    PRODUCT
        .api("GetCallerIdentity", "sts:GetCallerIdentity", Get)
        .response(&["AccountId", "Arn", "IdentityType"]),
];
