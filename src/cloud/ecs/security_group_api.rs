//! The Ecs product's security-group APIs (`network-model.md` §7.3, §9.2), each declared once:
//! typed parameters under Alibaba's names, RAM action and ARNs, response shape, and the calls
//! into the checks and effects of [`super::security_group`] (plan against `&World`, then an
//! apply that cannot fail).
//!
//! Parameter names follow the ECS 2014-05-26 reference (`Permissions.N.IpProtocol`,
//! `Permissions.N.PortRange`, `Permissions.N.SourceCidrIp`, `Permissions.N.SourceGroupId`,
//! `Permissions.N.DestCidrIp`, `Permissions.N.DestGroupId`, `Permissions.N.Policy`,
//! `Permissions.N.Priority`, `SecurityGroupType`, `InnerAccessPolicy`). The deprecated
//! top-level rule parameters (`IpProtocol`, `PortRange`, … without `Permissions.N.`) are not
//! modeled: a request using them is refused as naming an undefined parameter.
//!
//! RAM (§9.2): `ecs:CreateSecurityGroup` on `acs:ecs:{r}:{a}:securitygroup/*` and the VPC's
//! ARN (under the VPC owner); every other write and the attribute read on
//! `acs:ecs:{r}:{a}:securitygroup/{SecurityGroupId}` (ASSUMED for the APIs §9.2 does not list,
//! by analogy); `DescribeSecurityGroups` is an All-Resource list. A denial answers 403
//! `Forbidden.NoPermission` (§9.5, ASSUMED).

use super::security_group::{
    self as sg, AuthorizePlan, CreateSecurityGroupPlan, InnerAccessPolicy, Permission, RevokePlan,
    SecurityGroupRules,
};
use super::{OpCtx, PRODUCT};
use crate::cloud::declare::region_accessors;
use crate::cloud::declare::ParamType::{Int, Str};
use crate::cloud::declare::{opt, req, AccessLevel::*, ApiDecl, CloudApi};
use crate::cloud::error::CloudError;
use crate::cloud::packet::Direction;
use crate::cloud::params::Params;
use crate::cloud::time::Timestamp;
use crate::cloud::world::{CallContext, World};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// `PageNumber` bound (Alibaba's Integer).
const MAX_PAGE: i64 = i32::MAX as i64;

/// The domain layer's view of a gateway call: caller, region, scenario time, settle mode.
pub(crate) fn op_ctx(w: &World, ctx: &CallContext, region_id: &str, now: Timestamp) -> OpCtx {
    OpCtx {
        caller: ctx.caller_account.clone(),
        region_id: region_id.to_string(),
        now,
        stepped: w.stepped(),
        settle_delay_secs: w.options.settle_delay_secs,
    }
}

/// Items of the object list `name` (`Name.N.Field`), refusing a field outside `fields` (so a
/// misspelt rule field is not silently dropped; the same ASSUMED rule as for top-level
/// parameters, see [`CloudError::unknown_param`]).
pub(crate) fn list_items(
    p: &Params<'_>,
    name: &'static str,
    fields: &[&str],
    action: &str,
) -> Result<Vec<Map<String, Value>>, CloudError> {
    let items = p.list_obj(name);
    for (i, item) in items.iter().enumerate() {
        if let Some(k) = item.keys().find(|k| !fields.contains(&k.as_str())) {
            let given = format!("{name}.{}.{k}", i + 1);
            let suggestion = crate::suggest::closest(k, fields.iter().copied())
                .map(|f| format!("{name}.{}.{f}", i + 1));
            return Err(CloudError::unknown_param(
                &given,
                action,
                suggestion.as_deref(),
            ));
        }
    }
    Ok(items)
}

/// A text field of a list item (numbers and booleans rendered as text; empty is absent).
pub(crate) fn item_str(
    item: &Map<String, Value>,
    list: &str,
    n: usize,
    field: &str,
) -> Result<Option<String>, CloudError> {
    match item.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(x)) => Ok(Some(x.to_string())),
        Some(Value::Bool(b)) => Ok(Some(b.to_string())),
        Some(_) => Err(CloudError::invalid_param(
            &format!("{list}.{n}.{field}"),
            "expected a string",
        )),
    }
}

/// The ARN of a security group of the caller's account.
fn sg_arn(region: &str, account: &str, id: &str) -> String {
    format!("acs:ecs:{region}:{account}:securitygroup/{id}")
}

// ---- CreateSecurityGroup -------------------------------------------------------------------

/// CreateSecurityGroup (§7.3): a basic (`normal`, default) or `enterprise` group in a VPC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateSecurityGroup {
    /// `RegionId`.
    pub region_id: String,
    /// `VpcId`, `SecurityGroupName`, `Description`, `SecurityGroupType`.
    pub params: sg::CreateSecurityGroup,
    /// `ClientToken`.
    pub client_token: Option<String>,
}

impl CloudApi for CreateSecurityGroup {
    const DECL: ApiDecl = PRODUCT
        .api("CreateSecurityGroup", "ecs:CreateSecurityGroup", Create)
        .names(&["SecurityGroupId"])
        .resource_type("ACS::ECS::SecurityGroup")
        .params(&[
            req("RegionId", Str),
            opt("VpcId", Str),
            opt("SecurityGroupName", Str),
            opt("Description", Str),
            opt("SecurityGroupType", Str),
            opt("ClientToken", Str),
        ])
        .resources(&[
            "acs:ecs:{region}:{account}:securitygroup/*",
            "acs:vpc:{region}:{account}:vpc/{VpcId}",
        ])
        .response(&["SecurityGroupId"]);
    type Plan = (OpCtx, CreateSecurityGroupPlan);

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(CreateSecurityGroup {
            region_id: p.req_str("RegionId")?,
            params: sg::CreateSecurityGroup {
                vpc_id: p.opt_str("VpcId")?,
                security_group_name: p.opt_str("SecurityGroupName")?,
                description: p.opt_str("Description")?,
                security_group_type: p.opt_str("SecurityGroupType")?,
            },
            client_token: p.client_token()?,
        })
    }
    region_accessors!(client_token);
    fn authorize(
        &self,
        w: &World,
        ctx: &CallContext,
        _now: Timestamp,
        _keys: &mut BTreeMap<String, String>,
    ) -> Result<Vec<String>, CloudError> {
        w.known_region(&self.region_id)?;
        let a = ctx.caller_account.as_str();
        let mut arns = vec![sg_arn(&self.region_id, a, "*")];
        if let Some(vpc_id) = &self.params.vpc_id {
            // The VPC under its owner (a shared VPC belongs to another account); an unknown
            // VPC is named under the caller and refused by the plan (404).
            let owner = w
                .vpc(vpc_id)
                .filter(|v| v.region_id == self.region_id && v.visible_to(a))
                .map_or(a, |v| v.owner_uid.as_str());
            arns.push(format!("acs:vpc:{}:{owner}:vpc/{vpc_id}", self.region_id));
        }
        Ok(arns)
    }
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Self::Plan, CloudError> {
        w.caller_account(ctx)?;
        let op = op_ctx(w, ctx, &self.region_id, now);
        let plan = sg::plan_create_security_group(&w.ecs, &w.net_refs(), &op, &self.params)?;
        Ok((op, plan))
    }
    fn apply(w: &mut World, _now: Timestamp, (op, plan): Self::Plan) -> Value {
        let id = sg::apply_create_security_group(&mut w.ecs, &mut w.ids, &op, plan);
        json!({ "SecurityGroupId": id })
    }
}

// ---- Authorize / Revoke ---------------------------------------------------------------------

/// Fields of an ingress `Permissions.N` item.
const INGRESS_FIELDS: &[&str] = &[
    "IpProtocol",
    "PortRange",
    "SourcePortRange",
    "SourceCidrIp",
    "SourceGroupId",
    "Policy",
    "Priority",
    "NicType",
    "Description",
];

/// Fields of an egress `Permissions.N` item.
const EGRESS_FIELDS: &[&str] = &[
    "IpProtocol",
    "PortRange",
    "SourcePortRange",
    "DestCidrIp",
    "DestGroupId",
    "Policy",
    "Priority",
    "NicType",
    "Description",
];

/// `RegionId`, `SecurityGroupId`, `Permissions.N.*` (ingress or egress spelling), `ClientToken`.
fn decode_rules(
    p: &Params<'_>,
    d: Direction,
    action: &str,
) -> Result<(String, SecurityGroupRules, Option<String>), CloudError> {
    let region_id = p.req_str("RegionId")?;
    let security_group_id = p.req_str("SecurityGroupId")?;
    let (fields, cidr, group) = match d {
        Direction::Ingress => (INGRESS_FIELDS, "SourceCidrIp", "SourceGroupId"),
        Direction::Egress => (EGRESS_FIELDS, "DestCidrIp", "DestGroupId"),
    };
    let mut permissions = Vec::new();
    for (i, item) in list_items(p, "Permissions", fields, action)?
        .iter()
        .enumerate()
    {
        let n = i + 1;
        let f = |name: &str| item_str(item, "Permissions", n, name);
        permissions.push(Permission {
            ip_protocol: f("IpProtocol")?,
            port_range: f("PortRange")?,
            source_port_range: f("SourcePortRange")?,
            cidr_ip: f(cidr)?,
            group_id: f(group)?,
            policy: f("Policy")?,
            priority: f("Priority")?,
            nic_type: f("NicType")?,
            description: f("Description")?,
        });
    }
    Ok((
        region_id,
        SecurityGroupRules {
            security_group_id,
            permissions,
        },
        p.client_token()?,
    ))
}

/// The common half of the four rule APIs: region, the group's ARN.
fn rules_authorize(
    w: &World,
    ctx: &CallContext,
    region_id: &str,
    security_group_id: &str,
) -> Result<Vec<String>, CloudError> {
    w.known_region(region_id)?;
    Ok(vec![sg_arn(
        region_id,
        &ctx.caller_account,
        security_group_id,
    )])
}

/// Declares one of the four rule APIs (they differ only by direction and effect).
macro_rules! rule_api {
    (
        $(#[$doc:meta])*
        $name:ident, $action:literal, $dir:expr, $cidr:literal, $group:literal,
        $plan_ty:ty, $plan:expr, $apply:expr
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        pub struct $name {
            /// `RegionId`.
            pub region_id: String,
            /// `SecurityGroupId` and `Permissions.N.*`.
            pub rules: SecurityGroupRules,
            /// `ClientToken`.
            pub client_token: Option<String>,
        }

        impl CloudApi for $name {
            const DECL: ApiDecl = PRODUCT
                .api(stringify!($name), $action, Update)
                .names(&["SecurityGroupId"])
                .resource_type("ACS::ECS::SecurityGroup")
                .params(&[
                    req("RegionId", Str),
                    req("SecurityGroupId", Str),
                    opt("Permissions.N.IpProtocol", Str),
                    opt("Permissions.N.PortRange", Str),
                    opt("Permissions.N.SourcePortRange", Str),
                    opt($cidr, Str),
                    opt($group, Str),
                    opt("Permissions.N.Policy", Str),
                    opt("Permissions.N.Priority", Str),
                    opt("Permissions.N.NicType", Str),
                    opt("Permissions.N.Description", Str),
                    opt("ClientToken", Str),
                ])
                .resources(&["acs:ecs:{region}:{account}:securitygroup/{SecurityGroupId}"]);
            type Plan = (OpCtx, $plan_ty);

            fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
                let (region_id, rules, client_token) =
                    decode_rules(p, $dir, stringify!($name))?;
                Ok($name {
                    region_id,
                    rules,
                    client_token,
                })
            }
            fn region(&self) -> Option<&str> {
                Some(&self.region_id)
            }
            fn client_token(&self) -> Option<&str> {
                self.client_token.as_deref()
            }
            fn authorize(
                &self,
                w: &World,
                ctx: &CallContext,
                _now: Timestamp,
                _keys: &mut BTreeMap<String, String>,
            ) -> Result<Vec<String>, CloudError> {
                rules_authorize(w, ctx, &self.region_id, &self.rules.security_group_id)
            }
            fn plan(
                &self,
                w: &World,
                ctx: &CallContext,
                now: Timestamp,
            ) -> Result<Self::Plan, CloudError> {
                w.caller_account(ctx)?;
                let op = op_ctx(w, ctx, &self.region_id, now);
                let plan = $plan(&w.ecs, &op, $dir, &self.rules)?;
                Ok((op, plan))
            }
            fn apply(w: &mut World, _now: Timestamp, (op, plan): Self::Plan) -> Value {
                let _ids: Vec<String> = $apply(w, &op, plan);
                json!({})
            }
        }
    };
}

rule_api!(
    /// AuthorizeSecurityGroup (§7.3): adds ingress rules.
    AuthorizeSecurityGroup,
    "ecs:AuthorizeSecurityGroup",
    Direction::Ingress,
    "Permissions.N.SourceCidrIp",
    "Permissions.N.SourceGroupId",
    AuthorizePlan,
    sg::plan_authorize,
    |w: &mut World, op: &OpCtx, plan| sg::apply_authorize(&mut w.ecs, &mut w.ids, op, plan)
);

rule_api!(
    /// AuthorizeSecurityGroupEgress (§7.3): adds egress rules.
    AuthorizeSecurityGroupEgress,
    "ecs:AuthorizeSecurityGroupEgress",
    Direction::Egress,
    "Permissions.N.DestCidrIp",
    "Permissions.N.DestGroupId",
    AuthorizePlan,
    sg::plan_authorize,
    |w: &mut World, op: &OpCtx, plan| sg::apply_authorize(&mut w.ecs, &mut w.ids, op, plan)
);

rule_api!(
    /// RevokeSecurityGroup (§7.3): removes the ingress rules matching each permission.
    RevokeSecurityGroup,
    "ecs:RevokeSecurityGroup",
    Direction::Ingress,
    "Permissions.N.SourceCidrIp",
    "Permissions.N.SourceGroupId",
    RevokePlan,
    sg::plan_revoke,
    |w: &mut World, _op: &OpCtx, plan| sg::apply_revoke(&mut w.ecs, plan)
);

rule_api!(
    /// RevokeSecurityGroupEgress (§7.3): removes the egress rules matching each permission.
    RevokeSecurityGroupEgress,
    "ecs:RevokeSecurityGroupEgress",
    Direction::Egress,
    "Permissions.N.DestCidrIp",
    "Permissions.N.DestGroupId",
    RevokePlan,
    sg::plan_revoke,
    |w: &mut World, _op: &OpCtx, plan| sg::apply_revoke(&mut w.ecs, plan)
);

// ---- ModifySecurityGroupPolicy / DeleteSecurityGroup ---------------------------------------

/// ModifySecurityGroupPolicy (§7.3): `InnerAccessPolicy` of a basic group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModifySecurityGroupPolicy {
    /// `RegionId`.
    pub region_id: String,
    /// `SecurityGroupId`.
    pub security_group_id: String,
    /// `InnerAccessPolicy` (`Accept` | `Drop`; checked by the plan so the code is Alibaba's).
    pub inner_access_policy: String,
    /// `ClientToken`.
    pub client_token: Option<String>,
}

impl CloudApi for ModifySecurityGroupPolicy {
    const DECL: ApiDecl = PRODUCT
        .api(
            "ModifySecurityGroupPolicy",
            "ecs:ModifySecurityGroupPolicy",
            Update,
        )
        .names(&["SecurityGroupId"])
        .resource_type("ACS::ECS::SecurityGroup")
        .params(&[
            req("RegionId", Str),
            req("SecurityGroupId", Str),
            req("InnerAccessPolicy", Str),
            opt("ClientToken", Str),
        ])
        .resources(&["acs:ecs:{region}:{account}:securitygroup/{SecurityGroupId}"]);
    type Plan = (String, InnerAccessPolicy);

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(ModifySecurityGroupPolicy {
            region_id: p.req_str("RegionId")?,
            security_group_id: p.req_str("SecurityGroupId")?,
            inner_access_policy: p.req_str("InnerAccessPolicy")?,
            client_token: p.client_token()?,
        })
    }
    region_accessors!(client_token);
    fn authorize(
        &self,
        w: &World,
        ctx: &CallContext,
        _now: Timestamp,
        _keys: &mut BTreeMap<String, String>,
    ) -> Result<Vec<String>, CloudError> {
        rules_authorize(w, ctx, &self.region_id, &self.security_group_id)
    }
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Self::Plan, CloudError> {
        w.caller_account(ctx)?;
        let op = op_ctx(w, ctx, &self.region_id, now);
        let policy = sg::plan_modify_security_group_policy(
            &w.ecs,
            &op,
            &self.security_group_id,
            Some(&self.inner_access_policy),
        )?;
        Ok((self.security_group_id.clone(), policy))
    }
    fn apply(w: &mut World, _now: Timestamp, (id, policy): Self::Plan) -> Value {
        sg::apply_modify_security_group_policy(&mut w.ecs, &id, policy);
        json!({})
    }
}

/// DeleteSecurityGroup (§7.3): a group without members that no other group's rule names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteSecurityGroup {
    /// `RegionId`.
    pub region_id: String,
    /// `SecurityGroupId`.
    pub security_group_id: String,
}

impl CloudApi for DeleteSecurityGroup {
    const DECL: ApiDecl = PRODUCT
        .api("DeleteSecurityGroup", "ecs:DeleteSecurityGroup", Delete)
        .names(&["SecurityGroupId"])
        .resource_type("ACS::ECS::SecurityGroup")
        .params(&[req("RegionId", Str), req("SecurityGroupId", Str)])
        .resources(&["acs:ecs:{region}:{account}:securitygroup/{SecurityGroupId}"]);
    type Plan = String;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(DeleteSecurityGroup {
            region_id: p.req_str("RegionId")?,
            security_group_id: p.req_str("SecurityGroupId")?,
        })
    }
    region_accessors!();
    fn authorize(
        &self,
        w: &World,
        ctx: &CallContext,
        _now: Timestamp,
        _keys: &mut BTreeMap<String, String>,
    ) -> Result<Vec<String>, CloudError> {
        rules_authorize(w, ctx, &self.region_id, &self.security_group_id)
    }
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Self::Plan, CloudError> {
        w.caller_account(ctx)?;
        let op = op_ctx(w, ctx, &self.region_id, now);
        sg::plan_delete_security_group(&w.ecs, &op, &self.security_group_id)?;
        Ok(self.security_group_id.clone())
    }
    fn apply(w: &mut World, _now: Timestamp, id: Self::Plan) -> Value {
        sg::apply_delete_security_group(&mut w.ecs, &id);
        json!({})
    }
}

// ---- Describe --------------------------------------------------------------------------------

/// DescribeSecurityGroups: the caller's groups of the region, filtered and paged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DescribeSecurityGroups {
    /// `RegionId`.
    pub region_id: String,
    /// `VpcId`, `SecurityGroupIds`, `SecurityGroupType`, `PageNumber`, `PageSize`.
    pub filter: sg::DescribeSecurityGroups,
}

impl CloudApi for DescribeSecurityGroups {
    const DECL: ApiDecl = PRODUCT
        .api("DescribeSecurityGroups", "ecs:DescribeSecurityGroups", List)
        .names(&["VpcId"])
        .resource_type("ACS::ECS::SecurityGroup")
        .params(&[
            req("RegionId", Str),
            opt("VpcId", Str),
            opt("SecurityGroupIds", Str),
            opt("SecurityGroupType", Str),
            opt("PageNumber", Int),
            opt("PageSize", Int),
        ])
        .response(&["TotalCount", "PageNumber", "PageSize", "SecurityGroups"]);
    type Plan = Value;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(DescribeSecurityGroups {
            region_id: p.req_str("RegionId")?,
            filter: sg::DescribeSecurityGroups {
                vpc_id: p.opt_str("VpcId")?,
                // A JSON array (Alibaba's format) or comma-separated; at most 100 ids
                // (ASSUMED bound).
                security_group_ids: p
                    .id_list_or_commas("SecurityGroupIds", 100)?
                    .unwrap_or_default(),
                security_group_type: p.opt_str("SecurityGroupType")?,
                page_number: Some(p.page("PageNumber", 1, MAX_PAGE)?),
                // ASSUMED: at most 50 per page, ECS's bound for its page-numbered lists.
                page_size: Some(p.page("PageSize", 10, 50)?),
            },
        })
    }
    region_accessors!();
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Self::Plan, CloudError> {
        w.caller_account(ctx)?;
        let op = op_ctx(w, ctx, &self.region_id, now);
        Ok(sg::describe_security_groups(&w.ecs, &op, &self.filter))
    }
    fn apply(_: &mut World, _: Timestamp, response: Self::Plan) -> Value {
        response
    }
}

/// DescribeSecurityGroupAttribute: one group and its rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DescribeSecurityGroupAttribute {
    /// `RegionId`.
    pub region_id: String,
    /// `SecurityGroupId`.
    pub security_group_id: String,
    /// `Direction` (`ingress` | `egress` | `all`).
    pub direction: Option<String>,
}

impl CloudApi for DescribeSecurityGroupAttribute {
    const DECL: ApiDecl = PRODUCT
        .api(
            "DescribeSecurityGroupAttribute",
            "ecs:DescribeSecurityGroupAttribute",
            Get,
        )
        .names(&["SecurityGroupId"])
        .resource_type("ACS::ECS::SecurityGroup")
        .params(&[
            req("RegionId", Str),
            req("SecurityGroupId", Str),
            opt("Direction", Str),
        ])
        .resources(&["acs:ecs:{region}:{account}:securitygroup/{SecurityGroupId}"])
        .response(&[
            "SecurityGroupId",
            "SecurityGroupName",
            "Description",
            "VpcId",
            "RegionId",
            "InnerAccessPolicy",
            "Permissions",
        ]);
    type Plan = Value;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(DescribeSecurityGroupAttribute {
            region_id: p.req_str("RegionId")?,
            security_group_id: p.req_str("SecurityGroupId")?,
            direction: p.opt_str("Direction")?,
        })
    }
    region_accessors!();
    fn authorize(
        &self,
        w: &World,
        ctx: &CallContext,
        _now: Timestamp,
        _keys: &mut BTreeMap<String, String>,
    ) -> Result<Vec<String>, CloudError> {
        rules_authorize(w, ctx, &self.region_id, &self.security_group_id)
    }
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Self::Plan, CloudError> {
        w.caller_account(ctx)?;
        let op = op_ctx(w, ctx, &self.region_id, now);
        sg::describe_security_group_attribute(
            &w.ecs,
            &op,
            &self.security_group_id,
            self.direction.as_deref(),
        )
    }
    fn apply(_: &mut World, _: Timestamp, response: Self::Plan) -> Value {
        response
    }
}
