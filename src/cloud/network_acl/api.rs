//! The Vpc product's network-ACL APIs (`network-model.md` §7.4, §9.2), each declared once:
//! typed parameters under Alibaba's names (`IngressAclEntries.N.*`, `EgressAclEntries.N.*`,
//! `UpdateIngressAclEntries`, `UpdateEgressAclEntries`, `Resource.N.ResourceId`,
//! `Resource.N.ResourceType`), RAM action and ARNs, response shape, and the calls into the
//! checks and effects of [`super`] (plan against `&World`, then an apply that cannot fail).
//!
//! RAM (§9.2): `vpc:CreateNetworkAcl` on `acs:vpc:{r}:{a}:networkacl/*` and the VPC's ARN;
//! `vpc:UpdateNetworkAclEntries` on `acs:vpc:{r}:{a}:networkacl/{NetworkAclId}` (confirmed by
//! Alibaba's API page); Associate/Unassociate on the ACL and every vSwitch named
//! (`acs:vpc:{r}:{a}:vswitch/{id}`, the vSwitch part ASSUMED per §9.2 (A)); Delete and
//! DescribeNetworkAclAttributes on the ACL (ASSUMED by analogy). A denial answers 403
//! `Forbidden` like every Vpc API (§9.5).
//!
//! The ACL ↔ vSwitch association is kept in [`super::NaclState::by_vswitch`]; the world's
//! `VSwitch::network_acl_id` (shown by DescribeVSwitches) follows it on every association
//! change.

use super::{
    self as nacl, AclBindingPlan, AclEntryParam, AclResourceParam, CreateNetworkAclPlan,
    NetworkAclResources, UpdateEntriesPlan,
};
use crate::cloud::declare::region_accessors;
use crate::cloud::declare::ParamType::{Bool, Str};
use crate::cloud::declare::{opt, req, AccessLevel::*, ApiDecl, CloudApi};
use crate::cloud::ecs::security_group_api::{item_str, list_items, op_ctx};
use crate::cloud::ecs::OpCtx;
use crate::cloud::error::CloudError;
use crate::cloud::params::Params;
use crate::cloud::time::Timestamp;
use crate::cloud::vpc::PRODUCT;
use crate::cloud::world::{CallContext, World};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The ARN of a network ACL.
fn acl_arn(region: &str, account: &str, id: &str) -> String {
    format!("acs:vpc:{region}:{account}:networkacl/{id}")
}

/// Region check, then the ACL's ARN under the caller's account (ACLs are never shared).
fn acl_authorize(
    w: &World,
    ctx: &CallContext,
    region_id: &str,
    network_acl_id: &str,
) -> Result<Vec<String>, CloudError> {
    w.known_region(region_id)?;
    Ok(vec![acl_arn(
        region_id,
        &ctx.caller_account,
        network_acl_id,
    )])
}

// ---- CreateNetworkAcl ----------------------------------------------------------------------

/// CreateNetworkAcl (§7.4): an ACL without entries in a VPC of the caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateNetworkAcl {
    /// `RegionId`.
    pub region_id: String,
    /// `VpcId`, `NetworkAclName`, `Description`.
    pub params: nacl::CreateNetworkAcl,
    /// `DryRun`.
    pub dry_run: bool,
    /// `ClientToken`.
    pub client_token: Option<String>,
}

impl CloudApi for CreateNetworkAcl {
    const DECL: ApiDecl = PRODUCT
        .api("CreateNetworkAcl", "vpc:CreateNetworkAcl", Create)
        .names(&["NetworkAclId"])
        .resource_type("ACS::VPC::NetworkAcl")
        .params(&[
            req("RegionId", Str),
            req("VpcId", Str),
            opt("NetworkAclName", Str),
            opt("Description", Str),
            opt("DryRun", Bool),
            opt("ClientToken", Str),
        ])
        .resources(&[
            "acs:vpc:{region}:{account}:networkacl/*",
            "acs:vpc:{region}:{account}:vpc/{VpcId}",
        ])
        .response(&["NetworkAclId"]);
    type Plan = (OpCtx, CreateNetworkAclPlan);

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(CreateNetworkAcl {
            region_id: p.req_str("RegionId")?,
            params: nacl::CreateNetworkAcl {
                vpc_id: Some(p.req_str("VpcId")?),
                network_acl_name: p.opt_str("NetworkAclName")?,
                description: p.opt_str("Description")?,
            },
            dry_run: p.flag("DryRun")?,
            client_token: p.client_token()?,
        })
    }
    region_accessors!(dry_run, client_token);
    fn authorize(
        &self,
        w: &World,
        ctx: &CallContext,
        _now: Timestamp,
        _keys: &mut BTreeMap<String, String>,
    ) -> Result<Vec<String>, CloudError> {
        w.known_region(&self.region_id)?;
        let a = ctx.caller_account.as_str();
        let mut arns = vec![acl_arn(&self.region_id, a, "*")];
        if let Some(vpc_id) = &self.params.vpc_id {
            arns.push(format!("acs:vpc:{}:{a}:vpc/{vpc_id}", self.region_id));
        }
        Ok(arns)
    }
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Self::Plan, CloudError> {
        w.caller_account(ctx)?;
        let op = op_ctx(w, ctx, &self.region_id, now);
        let plan = nacl::plan_create_network_acl(&w.nacl, &w.net_refs(), &op, &self.params)?;
        if self.dry_run {
            return Err(CloudError::dry_run());
        }
        Ok((op, plan))
    }
    fn apply(w: &mut World, _now: Timestamp, (op, plan): Self::Plan) -> Value {
        let id = nacl::apply_create_network_acl(&mut w.nacl, &mut w.ids, &op, plan);
        json!({ "NetworkAclId": id })
    }
}

// ---- UpdateNetworkAclEntries ---------------------------------------------------------------

/// Fields of an `IngressAclEntries.N` item.
const INGRESS_FIELDS: &[&str] = &[
    "NetworkAclEntryId",
    "EntryType",
    "NetworkAclEntryName",
    "Policy",
    "SourceCidrIp",
    "Description",
    "Protocol",
    "Port",
    "IpVersion",
];

/// Fields of an `EgressAclEntries.N` item.
const EGRESS_FIELDS: &[&str] = &[
    "NetworkAclEntryId",
    "EntryType",
    "NetworkAclEntryName",
    "Policy",
    "DestinationCidrIp",
    "Description",
    "Protocol",
    "Port",
    "IpVersion",
];

/// One direction's entries. `EntryType` may only be `custom` (`ParameterIllegal.EntryType`,
/// ASSUMED code: system entries cannot be written).
fn decode_entries(
    p: &Params<'_>,
    list: &'static str,
    fields: &[&str],
    cidr: &str,
) -> Result<Vec<AclEntryParam>, CloudError> {
    let mut out = Vec::new();
    for (i, item) in list_items(p, list, fields, "UpdateNetworkAclEntries")?
        .iter()
        .enumerate()
    {
        let n = i + 1;
        let f = |name: &str| item_str(item, list, n, name);
        if let Some(t) = f("EntryType")? {
            if !t.eq_ignore_ascii_case("custom") {
                return Err(CloudError::bad(
                    "ParameterIllegal.EntryType",
                    format!("The entry type `{t}` of {list}.{n} is not custom."),
                ));
            }
        }
        out.push(AclEntryParam {
            network_acl_entry_id: f("NetworkAclEntryId")?,
            name: f("NetworkAclEntryName")?,
            description: f("Description")?,
            policy: f("Policy")?,
            protocol: f("Protocol")?,
            cidr_ip: f(cidr)?,
            port: f("Port")?,
            ip_version: f("IpVersion")?,
        });
    }
    Ok(out)
}

/// UpdateNetworkAclEntries (§7.4): replaces the whole entry list of each direction whose
/// `Update…AclEntries` flag is true.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateNetworkAclEntries {
    /// `RegionId`.
    pub region_id: String,
    /// `NetworkAclId`, the flags and both lists.
    pub params: nacl::UpdateNetworkAclEntries,
    /// `DryRun`.
    pub dry_run: bool,
    /// `ClientToken`.
    pub client_token: Option<String>,
}

impl CloudApi for UpdateNetworkAclEntries {
    const DECL: ApiDecl = PRODUCT
        .api(
            "UpdateNetworkAclEntries",
            "vpc:UpdateNetworkAclEntries",
            Update,
        )
        .names(&["NetworkAclId"])
        .resource_type("ACS::VPC::NetworkAcl")
        .params(&[
            req("RegionId", Str),
            req("NetworkAclId", Str),
            opt("UpdateIngressAclEntries", Bool),
            opt("IngressAclEntries.N.NetworkAclEntryId", Str),
            opt("IngressAclEntries.N.EntryType", Str),
            opt("IngressAclEntries.N.NetworkAclEntryName", Str),
            opt("IngressAclEntries.N.Policy", Str),
            opt("IngressAclEntries.N.SourceCidrIp", Str),
            opt("IngressAclEntries.N.Description", Str),
            opt("IngressAclEntries.N.Protocol", Str),
            opt("IngressAclEntries.N.Port", Str),
            opt("IngressAclEntries.N.IpVersion", Str),
            opt("UpdateEgressAclEntries", Bool),
            opt("EgressAclEntries.N.NetworkAclEntryId", Str),
            opt("EgressAclEntries.N.EntryType", Str),
            opt("EgressAclEntries.N.NetworkAclEntryName", Str),
            opt("EgressAclEntries.N.Policy", Str),
            opt("EgressAclEntries.N.DestinationCidrIp", Str),
            opt("EgressAclEntries.N.Description", Str),
            opt("EgressAclEntries.N.Protocol", Str),
            opt("EgressAclEntries.N.Port", Str),
            opt("EgressAclEntries.N.IpVersion", Str),
            opt("DryRun", Bool),
            opt("ClientToken", Str),
        ])
        .resources(&["acs:vpc:{region}:{account}:networkacl/{NetworkAclId}"]);
    type Plan = (OpCtx, UpdateEntriesPlan);

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(UpdateNetworkAclEntries {
            region_id: p.req_str("RegionId")?,
            params: nacl::UpdateNetworkAclEntries {
                network_acl_id: p.req_str("NetworkAclId")?,
                update_ingress: p.flag("UpdateIngressAclEntries")?,
                ingress: decode_entries(p, "IngressAclEntries", INGRESS_FIELDS, "SourceCidrIp")?,
                update_egress: p.flag("UpdateEgressAclEntries")?,
                egress: decode_entries(p, "EgressAclEntries", EGRESS_FIELDS, "DestinationCidrIp")?,
            },
            dry_run: p.flag("DryRun")?,
            client_token: p.client_token()?,
        })
    }
    region_accessors!(dry_run, client_token);
    fn authorize(
        &self,
        w: &World,
        ctx: &CallContext,
        _now: Timestamp,
        _keys: &mut BTreeMap<String, String>,
    ) -> Result<Vec<String>, CloudError> {
        acl_authorize(w, ctx, &self.region_id, &self.params.network_acl_id)
    }
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Self::Plan, CloudError> {
        w.caller_account(ctx)?;
        let op = op_ctx(w, ctx, &self.region_id, now);
        let plan =
            nacl::plan_update_network_acl_entries(&w.nacl, &w.net_refs(), &op, &self.params)?;
        if self.dry_run {
            return Err(CloudError::dry_run());
        }
        Ok((op, plan))
    }
    fn apply(w: &mut World, _now: Timestamp, (op, plan): Self::Plan) -> Value {
        nacl::apply_update_network_acl_entries(&mut w.nacl, &mut w.ids, &op, plan);
        json!({})
    }
}

// ---- Associate / Unassociate -----------------------------------------------------------------

/// `RegionId`, `NetworkAclId`, `Resource.N.{ResourceId, ResourceType}`, `DryRun`,
/// `ClientToken`.
fn decode_binding(
    p: &Params<'_>,
    action: &str,
) -> Result<(String, NetworkAclResources, bool, Option<String>), CloudError> {
    let region_id = p.req_str("RegionId")?;
    let network_acl_id = p.req_str("NetworkAclId")?;
    let mut resources = Vec::new();
    for (i, item) in list_items(p, "Resource", &["ResourceId", "ResourceType"], action)?
        .iter()
        .enumerate()
    {
        resources.push(AclResourceParam {
            resource_type: item_str(item, "Resource", i + 1, "ResourceType")?,
            resource_id: item_str(item, "Resource", i + 1, "ResourceId")?,
        });
    }
    Ok((
        region_id,
        NetworkAclResources {
            network_acl_id,
            resources,
        },
        p.flag("DryRun")?,
        p.client_token()?,
    ))
}

/// The ACL's ARN, then one per vSwitch named, under the vSwitch's owner (an unknown vSwitch
/// is named under the caller; the plan refuses it).
fn binding_authorize(
    w: &World,
    ctx: &CallContext,
    region_id: &str,
    p: &NetworkAclResources,
) -> Result<Vec<String>, CloudError> {
    let mut arns = acl_authorize(w, ctx, region_id, &p.network_acl_id)?;
    for r in &p.resources {
        let Some(id) = r.resource_id.as_deref() else {
            continue;
        };
        let owner = w
            .vswitch(id)
            .map_or(ctx.caller_account.as_str(), |s| s.owner_uid.as_str());
        let arn = format!("acs:vpc:{region_id}:{owner}:vswitch/{id}");
        if !arns.contains(&arn) {
            arns.push(arn);
        }
    }
    Ok(arns)
}

/// Points the world's vSwitches at their ACL (or none) after an association change.
fn sync_vswitches(w: &mut World, plan: &AclBindingPlan, bound: bool) {
    for id in plan.vswitch_ids() {
        if let Some(s) = w.vswitches.get_mut(id) {
            s.network_acl_id = bound.then(|| plan.network_acl_id().to_string());
        }
    }
}

/// Declares Associate/Unassociate (they differ only by effect).
macro_rules! binding_api {
    ($(#[$doc:meta])* $name:ident, $action:literal, $plan:expr, $apply:expr, $bound:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        pub struct $name {
            /// `RegionId`.
            pub region_id: String,
            /// `NetworkAclId` and `Resource.N.*`.
            pub params: NetworkAclResources,
            /// `DryRun`.
            pub dry_run: bool,
            /// `ClientToken`.
            pub client_token: Option<String>,
        }

        impl CloudApi for $name {
            const DECL: ApiDecl = PRODUCT
                .api(stringify!($name), $action, Update)
                .names(&["NetworkAclId"])
                .resource_type("ACS::VPC::NetworkAcl")
                .params(&[
                    req("RegionId", Str),
                    req("NetworkAclId", Str),
                    opt("Resource.N.ResourceId", Str),
                    opt("Resource.N.ResourceType", Str),
                    opt("DryRun", Bool),
                    opt("ClientToken", Str),
                ])
                .resources(&[
                    "acs:vpc:{region}:{account}:networkacl/{NetworkAclId}",
                    "acs:vpc:{region}:{account}:vswitch/{Resource.N.ResourceId}",
                ]);
            type Plan = AclBindingPlan;

            fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
                let (region_id, params, dry_run, client_token) =
                    decode_binding(p, stringify!($name))?;
                Ok($name {
                    region_id,
                    params,
                    dry_run,
                    client_token,
                })
            }
            fn region(&self) -> Option<&str> {
                Some(&self.region_id)
            }
            fn dry_run(&self) -> bool {
                self.dry_run
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
                binding_authorize(w, ctx, &self.region_id, &self.params)
            }
            fn plan(
                &self,
                w: &World,
                ctx: &CallContext,
                now: Timestamp,
            ) -> Result<Self::Plan, CloudError> {
                w.caller_account(ctx)?;
                let op = op_ctx(w, ctx, &self.region_id, now);
                let plan = $plan(&w.nacl, &w.net_refs(), &op, &self.params)?;
                if self.dry_run {
                    return Err(CloudError::dry_run());
                }
                Ok(plan)
            }
            fn apply(w: &mut World, _now: Timestamp, plan: Self::Plan) -> Value {
                sync_vswitches(w, &plan, $bound);
                $apply(&mut w.nacl, plan);
                json!({})
            }
        }
    };
}

binding_api!(
    /// AssociateNetworkAcl (§7.4): binds vSwitches (at most one ACL each, ≤ 30 per ACL).
    AssociateNetworkAcl,
    "vpc:AssociateNetworkAcl",
    nacl::plan_associate_network_acl,
    nacl::apply_associate_network_acl,
    true
);

binding_api!(
    /// UnassociateNetworkAcl (§7.4): unbinds vSwitches from the ACL.
    UnassociateNetworkAcl,
    "vpc:UnassociateNetworkAcl",
    nacl::plan_unassociate_network_acl,
    nacl::apply_unassociate_network_acl,
    false
);

// ---- DeleteNetworkAcl / DescribeNetworkAclAttributes -----------------------------------------

/// DeleteNetworkAcl (§7.4): an ACL no vSwitch is bound to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteNetworkAcl {
    /// `RegionId`.
    pub region_id: String,
    /// `NetworkAclId`.
    pub network_acl_id: String,
    /// `DryRun`.
    pub dry_run: bool,
    /// `ClientToken`.
    pub client_token: Option<String>,
}

impl CloudApi for DeleteNetworkAcl {
    const DECL: ApiDecl = PRODUCT
        .api("DeleteNetworkAcl", "vpc:DeleteNetworkAcl", Delete)
        .names(&["NetworkAclId"])
        .resource_type("ACS::VPC::NetworkAcl")
        .params(&[
            req("RegionId", Str),
            req("NetworkAclId", Str),
            opt("DryRun", Bool),
            opt("ClientToken", Str),
        ])
        .resources(&["acs:vpc:{region}:{account}:networkacl/{NetworkAclId}"]);
    type Plan = String;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(DeleteNetworkAcl {
            region_id: p.req_str("RegionId")?,
            network_acl_id: p.req_str("NetworkAclId")?,
            dry_run: p.flag("DryRun")?,
            client_token: p.client_token()?,
        })
    }
    region_accessors!(dry_run, client_token);
    fn authorize(
        &self,
        w: &World,
        ctx: &CallContext,
        _now: Timestamp,
        _keys: &mut BTreeMap<String, String>,
    ) -> Result<Vec<String>, CloudError> {
        acl_authorize(w, ctx, &self.region_id, &self.network_acl_id)
    }
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Self::Plan, CloudError> {
        w.caller_account(ctx)?;
        let op = op_ctx(w, ctx, &self.region_id, now);
        nacl::plan_delete_network_acl(&w.nacl, &op, &self.network_acl_id)?;
        if self.dry_run {
            return Err(CloudError::dry_run());
        }
        Ok(self.network_acl_id.clone())
    }
    fn apply(w: &mut World, _now: Timestamp, id: Self::Plan) -> Value {
        nacl::apply_delete_network_acl(&mut w.nacl, &id);
        json!({})
    }
}

/// DescribeNetworkAclAttributes (§7.4): one ACL, its entries and its vSwitches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DescribeNetworkAclAttributes {
    /// `RegionId`.
    pub region_id: String,
    /// `NetworkAclId`.
    pub network_acl_id: String,
}

impl CloudApi for DescribeNetworkAclAttributes {
    const DECL: ApiDecl = PRODUCT
        .api(
            "DescribeNetworkAclAttributes",
            "vpc:DescribeNetworkAclAttributes",
            Get,
        )
        .names(&["NetworkAclId"])
        .resource_type("ACS::VPC::NetworkAcl")
        .params(&[req("RegionId", Str), req("NetworkAclId", Str)])
        .resources(&["acs:vpc:{region}:{account}:networkacl/{NetworkAclId}"])
        .response(&["NetworkAclAttribute"]);
    type Plan = Value;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(DescribeNetworkAclAttributes {
            region_id: p.req_str("RegionId")?,
            network_acl_id: p.req_str("NetworkAclId")?,
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
        acl_authorize(w, ctx, &self.region_id, &self.network_acl_id)
    }
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Self::Plan, CloudError> {
        w.caller_account(ctx)?;
        let op = op_ctx(w, ctx, &self.region_id, now);
        nacl::describe_network_acl_attributes(&w.nacl, &op, &self.network_acl_id)
    }
    fn apply(_: &mut World, _: Timestamp, response: Self::Plan) -> Value {
        response
    }
}
