//! The STS product (API version 2015-04-01): the declarations of its APIs, their parameter
//! checks (`decode`), RAM action and ARNs (`Iam::authorize_sts`) and effects (`Iam::apply_sts`).

use super::caller::Caller;
use super::model::*;
use super::ops::*;
use super::ram::IDENTITY_DENIAL;
use crate::authz::ram_arn;
use crate::cloud::declare::ParamType::{Int, Str};
use crate::cloud::declare::{opt, req, AccessLevel::*, ApiDecl, Product};
use crate::cloud::params::Params;
use crate::cloud::{CloudError, World};
use crate::policy::PolicyKind;
use serde_json::{json, Value};

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
        .names_in_request(&["RoleArn"])
        .resource_type("ACS::RAM::Role")
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

/// Decodes a STS API call; `Ok(None)` when `action` is not one of its APIs.
pub(super) fn decode(action: &str, p: &Params<'_>) -> Result<Option<IamOperation>, CloudError> {
    Ok(Some(match action {
        "AssumeRole" => IamOperation::AssumeRole {
            role_arn: p.req_str("RoleArn")?,
            session_name: p.req_str("RoleSessionName")?,
            policy: p.opt_str("Policy")?,
            duration: p.opt_i64("DurationSeconds")?.unwrap_or(3600),
        },
        "GetCallerIdentity" => IamOperation::GetCallerIdentity,
        _ => return Ok(None),
    }))
}

impl Iam {
    /// Validates a STS operation fully, then applies it; a failed call leaves the identity
    /// store and `world` unchanged. [`Iam::execute`] routes here by [`IamOperation::owner`].
    pub(super) fn apply_sts(
        &mut self,
        world: &mut World,
        caller: &Caller,
        now: i64,
        op: &IamOperation,
    ) -> Result<Value, CloudError> {
        let a = caller.account().to_string();
        Ok(match op {
            IamOperation::AssumeRole {
                role_arn,
                session_name,
                policy,
                duration,
            } => {
                let (uid, name) = parse_role_arn(role_arn).ok_or_else(|| {
                    CloudError::bad(
                        "InvalidParameter.RoleArn",
                        "The parameter RoleArn is invalid.",
                    )
                })?;
                let role = self
                    .acct(uid)
                    .and_then(|x| x.roles.values().find(|r| r.name.eq_ignore_ascii_case(name)))
                    .ok_or_else(|| entity_missing("Role", name))?
                    .clone();
                if session_name.len() < 2
                    || session_name.len() > 64
                    || !session_name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "._@-".contains(c))
                {
                    return Err(CloudError::bad(
                        "InvalidParameter.RoleSessionName",
                        "The parameter RoleSessionName is invalid.",
                    ));
                }
                // 900 s up to the role's MaxSessionDuration (Alibaba's AssumeRole reference).
                if !(MIN_DURATION_SECONDS..=role.max_session_duration).contains(duration) {
                    return Err(CloudError::bad(
                        "InvalidParameter.DurationSeconds",
                        format!(
                            "The Min/Max value of DurationSeconds is 15min/{}.",
                            duration_text(role.max_session_duration)
                        ),
                    ));
                }
                if let Some(text) = policy {
                    if let Some(e) = invalid_document(PolicyKind::Session, text) {
                        return Err(e);
                    }
                }
                let ak = self.next_token("STS.", 24);
                let expires = now + duration;
                self.sessions.insert(
                    ak.clone(),
                    Session {
                        access_key_id: ak.clone(),
                        account: uid.to_string(),
                        role: role.name.clone(),
                        session_name: session_name.clone(),
                        policy: policy.clone(),
                        expires,
                        assumed_by: caller.arn(),
                    },
                );
                json!({
                    "Credentials": {
                        "AccessKeyId": ak,
                        "AccessKeySecret": super::secrets::derived_secret(world.id_seed(), &ak),
                        "SecurityToken": super::secrets::security_token(world.id_seed(), &ak),
                        "Expiration": crate::cloud::Timestamp::from_epoch(expires).text(),
                    },
                    "AssumedRoleUser": {
                        "Arn": ram_arn(uid, &["role/", &role.name.to_lowercase(), "/", session_name]),
                        "AssumedRoleId": format!("{}:{session_name}", role.id),
                    }
                })
            }
            IamOperation::GetCallerIdentity => {
                json!({"AccountId": a, "Arn": caller.arn(), "IdentityType": match caller {
                    Caller::Root { .. } => "Account",
                    Caller::User { .. } => "RAMUser",
                    Caller::Session { .. } => "AssumedRoleUser",
                }})
            }
            other => return Err(not_owned(other, "STS")),
        })
    }
}

impl Iam {
    /// What a STS operation by `caller` must be authorized for (action, resource ARNs);
    /// errors here are the call's answer and come before RAM, as in Alibaba.
    pub(super) fn authorize_sts(
        &self,
        _world: &World,
        _caller: &Caller,
        op: &IamOperation,
    ) -> Result<IamAuth, CloudError> {
        let simple = |action: &str, resources: Vec<String>| IamAuth {
            action: action.to_string(),
            resources,
            trust: None,
            resource_account: None,
            authorize: true,
        };
        Ok(match op {
            IamOperation::AssumeRole { role_arn, .. } => {
                let (uid, name) = parse_role_arn(role_arn).ok_or_else(|| {
                    CloudError::bad(
                        "InvalidParameter.RoleArn",
                        format!("The parameter RoleArn is invalid: `{role_arn}`."),
                    )
                })?;
                let role = self
                    .acct(uid)
                    .and_then(|acct| {
                        acct.roles
                            .values()
                            .find(|r| r.name.eq_ignore_ascii_case(name))
                    })
                    .ok_or_else(|| entity_missing("Role", name))?;
                IamAuth {
                    action: "sts:AssumeRole".into(),
                    resources: vec![ram_arn(uid, &["role/", &role.name])],
                    trust: Some((uid.to_string(), role.trust_policy.clone())),
                    resource_account: Some(uid.to_string()),
                    authorize: true,
                }
            }
            IamOperation::GetCallerIdentity => IamAuth {
                authorize: false,
                ..simple("sts:GetCallerIdentity", vec!["*".into()])
            },
            other => return Err(not_owned(other, "STS")),
        })
    }
}
