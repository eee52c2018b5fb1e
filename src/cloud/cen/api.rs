//! The Cbn product's APIs (CEN and transit routers), each declared once: typed parameters,
//! RAM action (`cen:` prefix although the product is `Cbn`, §0.3) and ARNs, response shape,
//! and the calls into their checks and effects (`ops.rs`, `lists.rs`). Spec:
//! `network-model.md` §6, §9.2. ARNs of APIs §9.2 does not list follow the documented
//! pattern of the delete APIs (`centransitrouterattachment/{id}`) — ASSUMED for the others.

use super::ops::VpcAttachPlan;
use super::resources::{Attachment, BandwidthPackage, Cen, TrStaticEntry, TransitRouter};
use super::PRODUCT;
use crate::cloud::declare::ParamType::{Bool, Int, Str, Uid};
use crate::cloud::declare::{opt, req, AccessLevel::*, ApiDecl, CloudApi};
use crate::cloud::error::CloudError;
use crate::cloud::params::Params;
use crate::cloud::time::Timestamp;
use crate::cloud::world::{CallContext, World};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// `acs:cen:*:{owner}:ceninstance/{id}`.
fn cen_arn(owner: &str, id: &str) -> String {
    format!("acs:cen:*:{owner}:ceninstance/{id}")
}
/// `acs:cen:*:{owner}:centransitrouterattachment/{id}` (documented for the delete APIs).
fn att_arn(owner: &str, id: &str) -> String {
    format!("acs:cen:*:{owner}:centransitrouterattachment/{id}")
}
/// `acs:cen:*:{owner}:centransitrouter/{id}` (ASSUMED spelling of the documented type).
fn tr_arn(owner: &str, id: &str) -> String {
    format!("acs:cen:*:{owner}:centransitrouter/{id}")
}
/// `acs:cen:*:{owner}:cenbandwidthpackage/{id}`.
fn bwp_arn(owner: &str, id: &str) -> String {
    format!("acs:cen:*:{owner}:cenbandwidthpackage/{id}")
}

/// The ARN of the CEN an attachment belongs to (pre-RAM: the attachment must be visible).
fn cen_of_attachment(w: &World, ctx: &CallContext, id: &str) -> Result<String, CloudError> {
    let a: &Attachment = w.own_attachment(&ctx.caller_account, id)?;
    Ok(cen_arn(&a.owner_uid, &a.cen_id))
}

/// The ARN of the CEN a TR route table belongs to.
fn cen_of_table(w: &World, ctx: &CallContext, id: &str) -> Result<String, CloudError> {
    let (_, tr) = w.own_table(&ctx.caller_account, id)?;
    Ok(cen_arn(&tr.owner_uid, &tr.cen_id))
}

/// Implements the accessors every CEN API shares: region, DryRun, ClientToken.
macro_rules! accessors {
    (region: $r:ident, dry_run: $d:tt, token: $t:tt) => {
        accessors!(@region $r);
        accessors!(@dry $d);
        accessors!(@token $t);
    };
    (@region none) => {};
    (@region region_id) => {
        fn region(&self) -> Option<&str> {
            Some(&self.region_id)
        }
    };
    (@region opt_region) => {
        fn region(&self) -> Option<&str> {
            self.region_id.as_deref()
        }
    };
    (@dry no) => {};
    (@dry yes) => {
        fn dry_run(&self) -> bool {
            self.dry_run
        }
    };
    (@token no) => {};
    (@token yes) => {
        fn client_token(&self) -> Option<&str> {
            self.client_token.as_deref()
        }
    };
}

/// CreateCen (§6.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateCen {
    /// `Name`.
    pub name: Option<String>,
    /// `Description`.
    pub description: Option<String>,
    /// `ProtectionLevel`.
    pub protection_level: Option<String>,
    /// `ResourceGroupId`.
    pub resource_group_id: Option<String>,
    /// `ClientToken`.
    pub client_token: Option<String>,
}

impl CloudApi for CreateCen {
    const DECL: ApiDecl = PRODUCT
        .api("CreateCen", "cen:CreateCen", Create)
        .names(&["CenId"])
        .resource_type("ACS::CEN::CenInstance")
        .params(&[
            opt("Name", Str),
            opt("Description", Str),
            opt("ProtectionLevel", Str),
            opt("ResourceGroupId", Str),
            opt("ClientToken", Str),
        ])
        .resources(&["acs:cen:*:{account}:ceninstance/*"])
        .response(&["CenId"]);
    type Plan = Cen;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(CreateCen {
            name: p.opt_str("Name")?,
            description: p.opt_str("Description")?,
            protection_level: p.opt_str("ProtectionLevel")?,
            resource_group_id: p.opt_str("ResourceGroupId")?,
            client_token: p.client_token()?,
        })
    }
    accessors!(region: none, dry_run: no, token: yes);
    fn authorize(
        &self,
        _w: &World,
        ctx: &CallContext,
        _now: Timestamp,
        _k: &mut BTreeMap<String, String>,
    ) -> Result<Vec<String>, CloudError> {
        Ok(vec![format!(
            "acs:cen:*:{}:ceninstance/*",
            ctx.caller_account
        )])
    }
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Self::Plan, CloudError> {
        w.plan_create_cen(ctx, now, self)
    }
    fn apply(w: &mut World, _now: Timestamp, plan: Self::Plan) -> Value {
        w.apply_create_cen(plan)
    }
}

/// DeleteCen (§6.4): the CEN must have no transit routers and no bandwidth packages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteCen {
    /// `CenId`.
    pub cen_id: String,
}

impl CloudApi for DeleteCen {
    const DECL: ApiDecl = PRODUCT
        .api("DeleteCen", "cen:DeleteCen", Delete)
        .names(&["CenId"])
        .resource_type("ACS::CEN::CenInstance")
        .params(&[req("CenId", Str)])
        .resources(&["acs:cen:*:{account}:ceninstance/{CenId}"]);
    type Plan = String;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(DeleteCen {
            cen_id: p.req_str("CenId")?,
        })
    }
    fn authorize(
        &self,
        w: &World,
        ctx: &CallContext,
        _now: Timestamp,
        _k: &mut BTreeMap<String, String>,
    ) -> Result<Vec<String>, CloudError> {
        let c = w.own_cen(&ctx.caller_account, &self.cen_id)?;
        Ok(vec![cen_arn(&c.owner_uid, &c.cen_id)])
    }
    fn plan(
        &self,
        w: &World,
        ctx: &CallContext,
        _now: Timestamp,
    ) -> Result<Self::Plan, CloudError> {
        w.plan_delete_cen(ctx, self)
    }
    fn apply(w: &mut World, _now: Timestamp, id: Self::Plan) -> Value {
        w.cen.cens.remove(&id);
        serde_json::json!({})
    }
}

/// CreateCenBandwidthPackage (§6.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateCenBandwidthPackage {
    /// `Bandwidth` (Mbit/s).
    pub bandwidth: i64,
    /// `GeographicRegionAId`.
    pub area_a: String,
    /// `GeographicRegionBId`.
    pub area_b: String,
    /// `BandwidthPackageChargeType`.
    pub charge_type: Option<String>,
    /// `Period`.
    pub period: Option<i64>,
    /// `PricingCycle`.
    pub pricing_cycle: Option<String>,
    /// `AutoPay`.
    pub auto_pay: bool,
    /// `AutoRenew`.
    pub auto_renew: bool,
    /// `AutoRenewDuration`.
    pub auto_renew_duration: Option<i64>,
    /// `Name`.
    pub name: Option<String>,
    /// `Description`.
    pub description: Option<String>,
    /// `ClientToken`.
    pub client_token: Option<String>,
}

impl CloudApi for CreateCenBandwidthPackage {
    const DECL: ApiDecl = PRODUCT
        .api(
            "CreateCenBandwidthPackage",
            "cen:CreateCenBandwidthPackage",
            Create,
        )
        .names(&["CenBandwidthPackageId"])
        .resource_type("ACS::CEN::CenBandwidthPackage")
        .params(&[
            req("Bandwidth", Int),
            req("GeographicRegionAId", Str),
            req("GeographicRegionBId", Str),
            opt("BandwidthPackageChargeType", Str),
            opt("Period", Int),
            opt("PricingCycle", Str),
            opt("AutoPay", Bool),
            opt("AutoRenew", Bool),
            opt("AutoRenewDuration", Int),
            opt("Name", Str),
            opt("Description", Str),
            opt("ClientToken", Str),
        ])
        .resources(&["acs:cen:*:{account}:cenbandwidthpackage/*"])
        .response(&["CenBandwidthPackageId"]);
    type Plan = BandwidthPackage;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(CreateCenBandwidthPackage {
            bandwidth: p
                .opt_i64("Bandwidth")?
                .ok_or_else(|| CloudError::missing("Bandwidth"))?,
            area_a: p.req_str("GeographicRegionAId")?,
            area_b: p.req_str("GeographicRegionBId")?,
            charge_type: p.opt_str("BandwidthPackageChargeType")?,
            period: p.opt_i64("Period")?,
            pricing_cycle: p.opt_str("PricingCycle")?,
            auto_pay: p.flag("AutoPay")?,
            auto_renew: p.flag("AutoRenew")?,
            auto_renew_duration: p.opt_i64("AutoRenewDuration")?,
            name: p.opt_str("Name")?,
            description: p.opt_str("Description")?,
            client_token: p.client_token()?,
        })
    }
    accessors!(region: none, dry_run: no, token: yes);
    fn authorize(
        &self,
        _w: &World,
        ctx: &CallContext,
        _now: Timestamp,
        _k: &mut BTreeMap<String, String>,
    ) -> Result<Vec<String>, CloudError> {
        Ok(vec![format!(
            "acs:cen:*:{}:cenbandwidthpackage/*",
            ctx.caller_account
        )])
    }
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Self::Plan, CloudError> {
        w.plan_create_bwp(ctx, now, self)
    }
    fn apply(w: &mut World, _now: Timestamp, plan: Self::Plan) -> Value {
        w.apply_create_bwp(plan)
    }
}

/// AssociateCenBandwidthPackage (§6.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssociateCenBandwidthPackage {
    /// `CenId`.
    pub cen_id: String,
    /// `CenBandwidthPackageId`.
    pub package_id: String,
}

/// UnassociateCenBandwidthPackage (§6.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnassociateCenBandwidthPackage {
    /// `CenId`.
    pub cen_id: String,
    /// `CenBandwidthPackageId`.
    pub package_id: String,
}

const BWP_PARAMS: &[crate::cloud::declare::Param] =
    &[req("CenId", Str), req("CenBandwidthPackageId", Str)];
const BWP_ARNS: &[&str] = &[
    "acs:cen:*:{account}:ceninstance/{CenId}",
    "acs:cen:*:{account}:cenbandwidthpackage/{CenBandwidthPackageId}",
];

fn bwp_authorize(
    w: &World,
    ctx: &CallContext,
    cen: &str,
    bwp: &str,
) -> Result<Vec<String>, CloudError> {
    let c = w.own_cen(&ctx.caller_account, cen)?;
    let b = w.own_bwp(&ctx.caller_account, bwp)?;
    Ok(vec![
        cen_arn(&c.owner_uid, &c.cen_id),
        bwp_arn(&b.owner_uid, &b.package_id),
    ])
}

impl CloudApi for AssociateCenBandwidthPackage {
    const DECL: ApiDecl = PRODUCT
        .api(
            "AssociateCenBandwidthPackage",
            "cen:AssociateCenBandwidthPackage",
            Update,
        )
        .names(&["CenBandwidthPackageId"])
        .resource_type("ACS::CEN::CenBandwidthPackage")
        .params(BWP_PARAMS)
        .resources(BWP_ARNS);
    type Plan = (String, String);

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(AssociateCenBandwidthPackage {
            cen_id: p.req_str("CenId")?,
            package_id: p.req_str("CenBandwidthPackageId")?,
        })
    }
    fn authorize(
        &self,
        w: &World,
        ctx: &CallContext,
        _now: Timestamp,
        _k: &mut BTreeMap<String, String>,
    ) -> Result<Vec<String>, CloudError> {
        bwp_authorize(w, ctx, &self.cen_id, &self.package_id)
    }
    fn plan(
        &self,
        w: &World,
        ctx: &CallContext,
        _now: Timestamp,
    ) -> Result<Self::Plan, CloudError> {
        w.plan_associate_bwp(ctx, self)
    }
    fn apply(w: &mut World, _now: Timestamp, (cen, bwp): Self::Plan) -> Value {
        if let Some(b) = w.cen.bandwidth_packages.get_mut(&bwp) {
            b.cen_id = Some(cen);
        }
        serde_json::json!({})
    }
}

impl CloudApi for UnassociateCenBandwidthPackage {
    const DECL: ApiDecl = PRODUCT
        .api(
            "UnassociateCenBandwidthPackage",
            "cen:UnassociateCenBandwidthPackage",
            Update,
        )
        .names(&["CenBandwidthPackageId"])
        .resource_type("ACS::CEN::CenBandwidthPackage")
        .params(BWP_PARAMS)
        .resources(BWP_ARNS);
    type Plan = String;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(UnassociateCenBandwidthPackage {
            cen_id: p.req_str("CenId")?,
            package_id: p.req_str("CenBandwidthPackageId")?,
        })
    }
    fn authorize(
        &self,
        w: &World,
        ctx: &CallContext,
        _now: Timestamp,
        _k: &mut BTreeMap<String, String>,
    ) -> Result<Vec<String>, CloudError> {
        bwp_authorize(w, ctx, &self.cen_id, &self.package_id)
    }
    fn plan(
        &self,
        w: &World,
        ctx: &CallContext,
        _now: Timestamp,
    ) -> Result<Self::Plan, CloudError> {
        w.plan_unassociate_bwp(ctx, self)
    }
    fn apply(w: &mut World, _now: Timestamp, bwp: Self::Plan) -> Value {
        if let Some(b) = w.cen.bandwidth_packages.get_mut(&bwp) {
            b.cen_id = None;
        }
        serde_json::json!({})
    }
}

/// CreateTransitRouter (§6.3.1): an Enterprise TR, one per region per CEN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateTransitRouter {
    /// `RegionId`.
    pub region_id: String,
    /// `CenId`.
    pub cen_id: String,
    /// `TransitRouterName`.
    pub name: Option<String>,
    /// `TransitRouterDescription`.
    pub description: Option<String>,
    /// `SupportMulticast`.
    pub support_multicast: bool,
    /// `TransitRouterCidrList.N.Cidr`.
    pub cidrs: Vec<String>,
    /// `DryRun`.
    pub dry_run: bool,
    /// `ClientToken`.
    pub client_token: Option<String>,
}

impl CloudApi for CreateTransitRouter {
    const DECL: ApiDecl = PRODUCT
        .api("CreateTransitRouter", "cen:CreateTransitRouter", Create)
        .names(&["TransitRouterId"])
        .resource_type("ACS::CEN::TransitRouter")
        .params(&[
            req("RegionId", Str),
            req("CenId", Str),
            opt("TransitRouterName", Str),
            opt("TransitRouterDescription", Str),
            opt("SupportMulticast", Bool),
            opt("TransitRouterCidrList.N.Cidr", Str),
            opt("DryRun", Bool),
            opt("ClientToken", Str),
        ])
        .resources(&["acs:cen:*:{account}:ceninstance/{CenId}"])
        .response(&["TransitRouterId"]);
    type Plan = TransitRouter;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(CreateTransitRouter {
            region_id: p.req_str("RegionId")?,
            cen_id: p.req_str("CenId")?,
            name: p.opt_str("TransitRouterName")?,
            description: p.opt_str("TransitRouterDescription")?,
            support_multicast: p.flag("SupportMulticast")?,
            cidrs: p
                .list_obj("TransitRouterCidrList")
                .into_iter()
                .filter_map(|m| m.get("Cidr").and_then(Value::as_str).map(str::to_string))
                .collect(),
            dry_run: p.flag("DryRun")?,
            client_token: p.client_token()?,
        })
    }
    accessors!(region: region_id, dry_run: yes, token: yes);
    fn authorize(
        &self,
        w: &World,
        ctx: &CallContext,
        _now: Timestamp,
        _k: &mut BTreeMap<String, String>,
    ) -> Result<Vec<String>, CloudError> {
        let c = w.own_cen(&ctx.caller_account, &self.cen_id)?;
        Ok(vec![cen_arn(&c.owner_uid, &c.cen_id)])
    }
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Self::Plan, CloudError> {
        w.plan_create_tr(ctx, now, self)
    }
    fn apply(w: &mut World, _now: Timestamp, plan: Self::Plan) -> Value {
        let id = w.insert_tr(plan);
        serde_json::json!({"TransitRouterId": id})
    }
}

/// DeleteTransitRouter (§6.4): no attachments, no custom tables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteTransitRouter {
    /// `TransitRouterId`.
    pub transit_router_id: String,
    /// `DryRun`.
    pub dry_run: bool,
    /// `ClientToken`.
    pub client_token: Option<String>,
}

impl CloudApi for DeleteTransitRouter {
    const DECL: ApiDecl = PRODUCT
        .api("DeleteTransitRouter", "cen:DeleteTransitRouter", Delete)
        .names(&["TransitRouterId"])
        .resource_type("ACS::CEN::TransitRouter")
        .params(&[
            req("TransitRouterId", Str),
            opt("DryRun", Bool),
            opt("ClientToken", Str),
        ])
        .resources(&["acs:cen:*:{account}:centransitrouter/{TransitRouterId}"]);
    type Plan = String;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(DeleteTransitRouter {
            transit_router_id: p.req_str("TransitRouterId")?,
            dry_run: p.flag("DryRun")?,
            client_token: p.client_token()?,
        })
    }
    accessors!(region: none, dry_run: yes, token: yes);
    fn event_region(&self, w: &World, _caller: &str) -> Option<String> {
        w.cen
            .transit_routers
            .get(&self.transit_router_id)
            .map(|t| t.region_id.clone())
    }
    fn authorize(
        &self,
        w: &World,
        ctx: &CallContext,
        _now: Timestamp,
        _k: &mut BTreeMap<String, String>,
    ) -> Result<Vec<String>, CloudError> {
        let t = w.own_tr(&ctx.caller_account, &self.transit_router_id)?;
        Ok(vec![tr_arn(&t.owner_uid, &t.transit_router_id)])
    }
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Self::Plan, CloudError> {
        w.plan_delete_tr(ctx, now, self)
    }
    fn apply(w: &mut World, _now: Timestamp, id: Self::Plan) -> Value {
        w.apply_delete_tr(&id)
    }
}

/// CreateTransitRouterVpcAttachment (§6.3.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateTransitRouterVpcAttachment {
    /// `RegionId`.
    pub region_id: String,
    /// `CenId`.
    pub cen_id: Option<String>,
    /// `TransitRouterId`.
    pub transit_router_id: Option<String>,
    /// `VpcId`.
    pub vpc_id: String,
    /// `ZoneMappings.N.{ZoneId, VSwitchId}` as `(zone, vSwitch)`.
    pub zones: Vec<(String, String)>,
    /// `TransitRouterAttachmentName`.
    pub name: Option<String>,
    /// `TransitRouterAttachmentDescription`.
    pub description: Option<String>,
    /// `ChargeType`.
    pub charge_type: Option<String>,
    /// `AutoPublishRouteEnabled`.
    pub auto_publish: bool,
    /// `VpcOwnerId`: the VPC's account when it is not the caller's (needs its owner's
    /// `GrantInstanceToTransitRouter`, §9.4).
    pub vpc_owner_id: Option<String>,
    /// `DryRun`.
    pub dry_run: bool,
    /// `ClientToken`.
    pub client_token: Option<String>,
}

/// `ZoneMappings.N.{ZoneId, VSwitchId}`: both fields of every item are required.
fn zone_mappings(p: &Params<'_>) -> Result<Vec<(String, String)>, CloudError> {
    let mut out = Vec::new();
    for (i, m) in p.list_obj("ZoneMappings").into_iter().enumerate() {
        let field = |f: &str| {
            m.get(f)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let zone = field("ZoneId").ok_or_else(|| {
            CloudError::invalid_param("ZoneMappings", &format!("item {} has no ZoneId", i + 1))
        })?;
        let vsw = field("VSwitchId").ok_or_else(|| {
            CloudError::invalid_param("ZoneMappings", &format!("item {} has no VSwitchId", i + 1))
        })?;
        out.push((zone, vsw));
    }
    Ok(out)
}

impl CloudApi for CreateTransitRouterVpcAttachment {
    const DECL: ApiDecl = PRODUCT
        .api(
            "CreateTransitRouterVpcAttachment",
            "cen:CreateTransitRouterVpcAttachment",
            Create,
        )
        .names(&["TransitRouterAttachmentId"])
        .resource_type("ACS::CEN::TransitRouterAttachment")
        .params(&[
            req("RegionId", Str),
            opt("CenId", Str),
            opt("TransitRouterId", Str),
            req("VpcId", Str),
            opt("ZoneMappings.N.ZoneId", Str),
            opt("ZoneMappings.N.VSwitchId", Str),
            opt("TransitRouterAttachmentName", Str),
            opt("TransitRouterAttachmentDescription", Str),
            opt("ChargeType", Str),
            opt("AutoPublishRouteEnabled", Bool),
            opt("VpcOwnerId", Uid),
            opt("DryRun", Bool),
            opt("ClientToken", Str),
        ])
        .resources(&[
            "acs:cen:*:{account}:ceninstance/{CenId}",
            "acs:vpc:{region}:{account}:vpc/{VpcId}",
        ])
        .condition_keys(super::grant::TARGET_RD)
        .response(&["TransitRouterAttachmentId"]);
    type Plan = VpcAttachPlan;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(CreateTransitRouterVpcAttachment {
            region_id: p.req_str("RegionId")?,
            cen_id: p.opt_str("CenId")?,
            transit_router_id: p.opt_str("TransitRouterId")?,
            vpc_id: p.req_str("VpcId")?,
            zones: zone_mappings(p)?,
            name: p.opt_str("TransitRouterAttachmentName")?,
            description: p.opt_str("TransitRouterAttachmentDescription")?,
            charge_type: p.opt_str("ChargeType")?,
            auto_publish: p.flag("AutoPublishRouteEnabled")?,
            vpc_owner_id: p.opt_uid("VpcOwnerId")?,
            dry_run: p.flag("DryRun")?,
            client_token: p.client_token()?,
        })
    }
    accessors!(region: region_id, dry_run: yes, token: yes);
    fn authorize(
        &self,
        w: &World,
        ctx: &CallContext,
        _now: Timestamp,
        keys: &mut BTreeMap<String, String>,
    ) -> Result<Vec<String>, CloudError> {
        let a = ctx.caller_account.as_str();
        let cen = match (&self.transit_router_id, &self.cen_id) {
            (Some(tr), _) => w.own_tr(a, tr)?.cen_id.clone(),
            (None, Some(c)) => w.own_cen(a, c)?.cen_id.clone(),
            (None, None) => {
                return Err(CloudError::bad(
                    "MissingParam.CenIdOrRegionId",
                    "Either CenId or TransitRouterId must be given.",
                ))
            }
        };
        // The VPC's account: `VpcOwnerId` for a cross-account attachment, else the caller's.
        let owner = self.vpc_owner_id.as_deref().unwrap_or(a);
        super::grant::rd_keys(w, owner, keys);
        Ok(vec![
            cen_arn(a, &cen),
            format!("acs:vpc:{}:{owner}:vpc/{}", self.region_id, self.vpc_id),
        ])
    }
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Self::Plan, CloudError> {
        w.plan_vpc_attach(ctx, now, self)
    }
    fn apply(w: &mut World, now: Timestamp, plan: Self::Plan) -> Value {
        w.apply_vpc_attach(now, plan)
    }
}

/// DeleteTransitRouterVpcAttachment (§6.4): with `Force`, its VPC routes, TR routes,
/// associations and propagations go too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteTransitRouterVpcAttachment {
    /// `TransitRouterAttachmentId`.
    pub attachment_id: String,
    /// `Force`.
    pub force: bool,
    /// `DryRun`.
    pub dry_run: bool,
    /// `ClientToken`.
    pub client_token: Option<String>,
}

/// DeleteTransitRouterPeerAttachment (§6.4), `Force` as for VPC attachments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteTransitRouterPeerAttachment {
    /// `TransitRouterAttachmentId`.
    pub attachment_id: String,
    /// `Force`.
    pub force: bool,
    /// `DryRun`.
    pub dry_run: bool,
    /// `ClientToken`.
    pub client_token: Option<String>,
}

const DELETE_ATT_PARAMS: &[crate::cloud::declare::Param] = &[
    req("TransitRouterAttachmentId", Str),
    opt("Force", Bool),
    opt("DryRun", Bool),
    opt("ClientToken", Str),
];
const ATT_ARN: &[&str] =
    &["acs:cen:*:{account}:centransitrouterattachment/{TransitRouterAttachmentId}"];

fn att_region(w: &World, id: &str) -> Option<String> {
    w.cen.attachments.get(id).map(|a| a.region_id.clone())
}

impl CloudApi for DeleteTransitRouterVpcAttachment {
    const DECL: ApiDecl = PRODUCT
        .api(
            "DeleteTransitRouterVpcAttachment",
            "cen:DeleteTransitRouterVpcAttachment",
            Delete,
        )
        .names(&["TransitRouterAttachmentId"])
        .resource_type("ACS::CEN::TransitRouterAttachment")
        .params(DELETE_ATT_PARAMS)
        .resources(ATT_ARN);
    type Plan = String;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(DeleteTransitRouterVpcAttachment {
            attachment_id: p.req_str("TransitRouterAttachmentId")?,
            force: p.flag("Force")?,
            dry_run: p.flag("DryRun")?,
            client_token: p.client_token()?,
        })
    }
    accessors!(region: none, dry_run: yes, token: yes);
    fn event_region(&self, w: &World, _caller: &str) -> Option<String> {
        att_region(w, &self.attachment_id)
    }
    fn authorize(
        &self,
        w: &World,
        ctx: &CallContext,
        _now: Timestamp,
        _k: &mut BTreeMap<String, String>,
    ) -> Result<Vec<String>, CloudError> {
        let a = w.own_attachment(&ctx.caller_account, &self.attachment_id)?;
        Ok(vec![att_arn(&a.owner_uid, &a.attachment_id)])
    }
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Self::Plan, CloudError> {
        w.plan_delete_attachment(
            ctx,
            now,
            &self.attachment_id,
            true,
            self.force,
            self.dry_run,
        )
    }
    fn apply(w: &mut World, now: Timestamp, id: Self::Plan) -> Value {
        w.apply_delete_attachment(now, &id)
    }
}

impl CloudApi for DeleteTransitRouterPeerAttachment {
    const DECL: ApiDecl = PRODUCT
        .api(
            "DeleteTransitRouterPeerAttachment",
            "cen:DeleteTransitRouterPeerAttachment",
            Delete,
        )
        .names(&["TransitRouterAttachmentId"])
        .resource_type("ACS::CEN::TransitRouterAttachment")
        .params(DELETE_ATT_PARAMS)
        .resources(ATT_ARN);
    type Plan = String;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(DeleteTransitRouterPeerAttachment {
            attachment_id: p.req_str("TransitRouterAttachmentId")?,
            force: p.flag("Force")?,
            dry_run: p.flag("DryRun")?,
            client_token: p.client_token()?,
        })
    }
    accessors!(region: none, dry_run: yes, token: yes);
    fn event_region(&self, w: &World, _caller: &str) -> Option<String> {
        att_region(w, &self.attachment_id)
    }
    fn authorize(
        &self,
        w: &World,
        ctx: &CallContext,
        _now: Timestamp,
        _k: &mut BTreeMap<String, String>,
    ) -> Result<Vec<String>, CloudError> {
        let a = w.own_attachment(&ctx.caller_account, &self.attachment_id)?;
        Ok(vec![att_arn(&a.owner_uid, &a.attachment_id)])
    }
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Self::Plan, CloudError> {
        w.plan_delete_attachment(
            ctx,
            now,
            &self.attachment_id,
            false,
            self.force,
            self.dry_run,
        )
    }
    fn apply(w: &mut World, now: Timestamp, id: Self::Plan) -> Value {
        w.apply_delete_attachment(now, &id)
    }
}

/// CreateTransitRouterPeerAttachment (§6.3.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateTransitRouterPeerAttachment {
    /// `RegionId`.
    pub region_id: String,
    /// `CenId`.
    pub cen_id: Option<String>,
    /// `TransitRouterId`.
    pub transit_router_id: Option<String>,
    /// `PeerTransitRouterId`.
    pub peer_transit_router_id: String,
    /// `PeerTransitRouterRegionId`.
    pub peer_region_id: Option<String>,
    /// `BandwidthType`.
    pub bandwidth_type: Option<String>,
    /// `Bandwidth`.
    pub bandwidth: Option<i64>,
    /// `CenBandwidthPackageId`.
    pub package_id: Option<String>,
    /// `DefaultLinkType`.
    pub link_type: Option<String>,
    /// `AutoPublishRouteEnabled`.
    pub auto_publish: bool,
    /// `TransitRouterAttachmentName`.
    pub name: Option<String>,
    /// `TransitRouterAttachmentDescription`.
    pub description: Option<String>,
    /// `DryRun`.
    pub dry_run: bool,
    /// `ClientToken`.
    pub client_token: Option<String>,
}

impl CloudApi for CreateTransitRouterPeerAttachment {
    const DECL: ApiDecl = PRODUCT
        .api(
            "CreateTransitRouterPeerAttachment",
            "cen:CreateTransitRouterPeerAttachment",
            Create,
        )
        .names(&["TransitRouterAttachmentId"])
        .resource_type("ACS::CEN::TransitRouterAttachment")
        .params(&[
            req("RegionId", Str),
            opt("CenId", Str),
            opt("TransitRouterId", Str),
            req("PeerTransitRouterId", Str),
            opt("PeerTransitRouterRegionId", Str),
            opt("BandwidthType", Str),
            opt("Bandwidth", Int),
            opt("CenBandwidthPackageId", Str),
            opt("DefaultLinkType", Str),
            opt("AutoPublishRouteEnabled", Bool),
            opt("TransitRouterAttachmentName", Str),
            opt("TransitRouterAttachmentDescription", Str),
            opt("DryRun", Bool),
            opt("ClientToken", Str),
        ])
        .resources(&["acs:cen:*:{account}:ceninstance/{CenId}"])
        .response(&["TransitRouterAttachmentId"]);
    type Plan = Attachment;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(CreateTransitRouterPeerAttachment {
            region_id: p.req_str("RegionId")?,
            cen_id: p.opt_str("CenId")?,
            transit_router_id: p.opt_str("TransitRouterId")?,
            peer_transit_router_id: p.req_str("PeerTransitRouterId")?,
            peer_region_id: p.opt_str("PeerTransitRouterRegionId")?,
            bandwidth_type: p.opt_str("BandwidthType")?,
            bandwidth: p.opt_i64("Bandwidth")?,
            package_id: p.opt_str("CenBandwidthPackageId")?,
            link_type: p.opt_str("DefaultLinkType")?,
            auto_publish: p.flag("AutoPublishRouteEnabled")?,
            name: p.opt_str("TransitRouterAttachmentName")?,
            description: p.opt_str("TransitRouterAttachmentDescription")?,
            dry_run: p.flag("DryRun")?,
            client_token: p.client_token()?,
        })
    }
    accessors!(region: region_id, dry_run: yes, token: yes);
    fn authorize(
        &self,
        w: &World,
        ctx: &CallContext,
        _now: Timestamp,
        _k: &mut BTreeMap<String, String>,
    ) -> Result<Vec<String>, CloudError> {
        let a = ctx.caller_account.as_str();
        let cen = match (&self.transit_router_id, &self.cen_id) {
            (Some(tr), _) => w.own_tr(a, tr)?.cen_id.clone(),
            (None, Some(c)) => w.own_cen(a, c)?.cen_id.clone(),
            (None, None) => return Err(CloudError::missing("TransitRouterId")),
        };
        Ok(vec![cen_arn(a, &cen)])
    }
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Self::Plan, CloudError> {
        w.plan_peer_attach(ctx, now, self)
    }
    fn apply(w: &mut World, _now: Timestamp, plan: Self::Plan) -> Value {
        w.apply_peer_attach(plan)
    }
}

/// The trail type of an association/propagation API: an association is logged on the
/// attachment, a propagation on the table.
const fn link_resource_type(association: bool) -> &'static str {
    if association {
        "ACS::CEN::TransitRouterAttachment"
    } else {
        "ACS::CEN::TransitRouterRouteTable"
    }
}

/// Declares one association/propagation API: `(attachment, table)` parameters, CEN ARN,
/// the plan function and whether it changes associations (`true`) or propagations, on or off.
macro_rules! link_api {
    ($(#[$doc:meta])* $name:ident, $action:literal, $plan:ident, $assoc:literal, $on:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        pub struct $name {
            /// `TransitRouterAttachmentId`.
            pub attachment_id: String,
            /// `TransitRouterRouteTableId`.
            pub route_table_id: String,
            /// `DryRun`.
            pub dry_run: bool,
            /// `ClientToken`.
            pub client_token: Option<String>,
        }

        impl CloudApi for $name {
            const DECL: ApiDecl = PRODUCT
                .api(stringify!($name), $action, Update)
                .names(&["TransitRouterAttachmentId"])
                .resource_type(link_resource_type($assoc))
                .params(&[
                    req("TransitRouterAttachmentId", Str),
                    req("TransitRouterRouteTableId", Str),
                    opt("DryRun", Bool),
                    opt("ClientToken", Str),
                ])
                .resources(&["acs:cen:*:{account}:centransitrouterattachment/{TransitRouterAttachmentId}"]);
            type Plan = (String, String);

            fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
                Ok($name {
                    attachment_id: p.req_str("TransitRouterAttachmentId")?,
                    route_table_id: p.req_str("TransitRouterRouteTableId")?,
                    dry_run: p.flag("DryRun")?,
                    client_token: p.client_token()?,
                })
            }
            accessors!(region: none, dry_run: yes, token: yes);
            fn event_region(&self, w: &World, _caller: &str) -> Option<String> {
                att_region(w, &self.attachment_id)
            }
            fn authorize(&self, w: &World, ctx: &CallContext, _now: Timestamp, _k: &mut BTreeMap<String, String>) -> Result<Vec<String>, CloudError> {
                cen_of_attachment(w, ctx, &self.attachment_id)?;
                cen_of_table(w, ctx, &self.route_table_id)?;
                let a = w.own_attachment(&ctx.caller_account, &self.attachment_id)?;
                Ok(vec![att_arn(&a.owner_uid, &a.attachment_id)])
            }
            fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Self::Plan, CloudError> {
                w.$plan(ctx, now, &self.attachment_id, &self.route_table_id, self.dry_run)
            }
            fn apply(w: &mut World, _now: Timestamp, (att, table): Self::Plan) -> Value {
                w.apply_link(&att, &table, $assoc, $on)
            }
        }
    };
}

link_api!(
    /// AssociateTransitRouterAttachmentWithRouteTable (§6.3.4): the table that forwards
    /// traffic entering the TR from the attachment (one per attachment and TR).
    AssociateTransitRouterAttachmentWithRouteTable,
    "cen:AssociateTransitRouterAttachmentWithRouteTable",
    plan_associate,
    true,
    true
);
link_api!(
    /// DissociateTransitRouterAttachmentFromRouteTable (§6.3.4).
    DissociateTransitRouterAttachmentFromRouteTable,
    "cen:DissociateTransitRouterAttachmentFromRouteTable",
    plan_dissociate,
    true,
    false
);
link_api!(
    /// EnableTransitRouterRouteTablePropagation (§6.3.4): the attachment's routes are
    /// learned into the table.
    EnableTransitRouterRouteTablePropagation,
    "cen:EnableTransitRouterRouteTablePropagation",
    plan_enable_propagation,
    false,
    true
);
link_api!(
    /// DisableTransitRouterRouteTablePropagation (§6.3.4).
    DisableTransitRouterRouteTablePropagation,
    "cen:DisableTransitRouterRouteTablePropagation",
    plan_disable_propagation,
    false,
    false
);

/// CreateTransitRouterRouteEntry (§6.3.4): a static route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateTransitRouterRouteEntry {
    /// `TransitRouterRouteTableId`.
    pub route_table_id: String,
    /// `TransitRouterRouteEntryDestinationCidrBlock`.
    pub destination: String,
    /// `TransitRouterRouteEntryNextHopType`.
    pub next_hop_type: String,
    /// `TransitRouterRouteEntryNextHopId`.
    pub next_hop_id: Option<String>,
    /// `TransitRouterRouteEntryName`.
    pub name: Option<String>,
    /// `TransitRouterRouteEntryDescription`.
    pub description: Option<String>,
    /// `DryRun`.
    pub dry_run: bool,
    /// `ClientToken`.
    pub client_token: Option<String>,
}

/// ARN of the CEN of a TR route table (ASSUMED per §9.2 (A)).
const TABLE_CEN_ARN: &[&str] = &["acs:cen:*:{account}:ceninstance/*"];

impl CloudApi for CreateTransitRouterRouteEntry {
    const DECL: ApiDecl = PRODUCT
        .api(
            "CreateTransitRouterRouteEntry",
            "cen:CreateTransitRouterRouteEntry",
            Create,
        )
        .names(&["TransitRouterRouteEntryId"])
        .resource_type("ACS::CEN::TransitRouterRouteTable")
        .params(&[
            req("TransitRouterRouteTableId", Str),
            req("TransitRouterRouteEntryDestinationCidrBlock", Str),
            req("TransitRouterRouteEntryNextHopType", Str),
            opt("TransitRouterRouteEntryNextHopId", Str),
            opt("TransitRouterRouteEntryName", Str),
            opt("TransitRouterRouteEntryDescription", Str),
            opt("DryRun", Bool),
            opt("ClientToken", Str),
        ])
        .resources(TABLE_CEN_ARN)
        .response(&["TransitRouterRouteEntryId"]);
    type Plan = TrStaticEntry;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(CreateTransitRouterRouteEntry {
            route_table_id: p.req_str("TransitRouterRouteTableId")?,
            destination: p.req_str("TransitRouterRouteEntryDestinationCidrBlock")?,
            next_hop_type: p.req_str("TransitRouterRouteEntryNextHopType")?,
            next_hop_id: p.opt_str("TransitRouterRouteEntryNextHopId")?,
            name: p.opt_str("TransitRouterRouteEntryName")?,
            description: p.opt_str("TransitRouterRouteEntryDescription")?,
            dry_run: p.flag("DryRun")?,
            client_token: p.client_token()?,
        })
    }
    accessors!(region: none, dry_run: yes, token: yes);
    fn event_region(&self, w: &World, _caller: &str) -> Option<String> {
        let t = w.cen.route_tables.get(&self.route_table_id)?;
        w.cen
            .transit_routers
            .get(&t.transit_router_id)
            .map(|tr| tr.region_id.clone())
    }
    fn authorize(
        &self,
        w: &World,
        ctx: &CallContext,
        _now: Timestamp,
        _k: &mut BTreeMap<String, String>,
    ) -> Result<Vec<String>, CloudError> {
        Ok(vec![cen_of_table(w, ctx, &self.route_table_id)?])
    }
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Self::Plan, CloudError> {
        w.plan_create_tr_route(ctx, now, self)
    }
    fn apply(w: &mut World, _now: Timestamp, plan: Self::Plan) -> Value {
        w.apply_create_tr_route(plan)
    }
}

/// DeleteTransitRouterRouteEntry (§6.4): a static entry, by id or by table + destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteTransitRouterRouteEntry {
    /// `TransitRouterRouteEntryId`.
    pub route_entry_id: Option<String>,
    /// `TransitRouterRouteTableId`.
    pub route_table_id: Option<String>,
    /// `TransitRouterRouteEntryDestinationCidrBlock`.
    pub destination: Option<String>,
    /// `DryRun`.
    pub dry_run: bool,
    /// `ClientToken`.
    pub client_token: Option<String>,
}

impl CloudApi for DeleteTransitRouterRouteEntry {
    const DECL: ApiDecl = PRODUCT
        .api(
            "DeleteTransitRouterRouteEntry",
            "cen:DeleteTransitRouterRouteEntry",
            Delete,
        )
        .names(&["TransitRouterRouteEntryId", "TransitRouterRouteTableId"])
        .resource_type("ACS::CEN::TransitRouterRouteTable")
        .params(&[
            opt("TransitRouterRouteEntryId", Str),
            opt("TransitRouterRouteTableId", Str),
            opt("TransitRouterRouteEntryDestinationCidrBlock", Str),
            opt("DryRun", Bool),
            opt("ClientToken", Str),
        ])
        .resources(TABLE_CEN_ARN);
    type Plan = String;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(DeleteTransitRouterRouteEntry {
            route_entry_id: p.opt_str("TransitRouterRouteEntryId")?,
            route_table_id: p.opt_str("TransitRouterRouteTableId")?,
            destination: p.opt_str("TransitRouterRouteEntryDestinationCidrBlock")?,
            dry_run: p.flag("DryRun")?,
            client_token: p.client_token()?,
        })
    }
    accessors!(region: none, dry_run: yes, token: yes);
    fn authorize(
        &self,
        w: &World,
        ctx: &CallContext,
        _now: Timestamp,
        _k: &mut BTreeMap<String, String>,
    ) -> Result<Vec<String>, CloudError> {
        // The entry's table (by id for a static entry, else the given table) names the CEN.
        let table = self
            .route_entry_id
            .as_ref()
            .and_then(|id| w.cen.static_entries.get(id))
            .map(|e| e.route_table_id.clone())
            .or_else(|| self.route_table_id.clone());
        match table {
            Some(t) => match cen_of_table(w, ctx, &t) {
                Ok(arn) => Ok(vec![arn]),
                // Not visible: the plan reports the missing entry or table.
                Err(_) => Ok(vec![format!(
                    "acs:cen:*:{}:ceninstance/*",
                    ctx.caller_account
                )]),
            },
            None => Ok(vec![format!(
                "acs:cen:*:{}:ceninstance/*",
                ctx.caller_account
            )]),
        }
    }
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Self::Plan, CloudError> {
        w.plan_delete_tr_route(ctx, now, self)
    }
    fn apply(w: &mut World, _now: Timestamp, id: Self::Plan) -> Value {
        w.cen.remove_static(&id);
        serde_json::json!({})
    }
}

/// ListTransitRouters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListTransitRouters {
    /// `RegionId`.
    pub region_id: Option<String>,
    /// `CenId`.
    pub cen_id: Option<String>,
    /// `TransitRouterId`.
    pub transit_router_id: Option<String>,
    /// `PageNumber`.
    pub page_number: i64,
    /// `PageSize`.
    pub page_size: i64,
}

impl CloudApi for ListTransitRouters {
    const DECL: ApiDecl = PRODUCT
        .api("ListTransitRouters", "cen:ListTransitRouters", List)
        .names(&["TransitRouterId", "CenId"])
        .resource_type("ACS::CEN::TransitRouter")
        .params(&[
            opt("RegionId", Str),
            opt("CenId", Str),
            opt("TransitRouterId", Str),
            opt("PageNumber", Int),
            opt("PageSize", Int),
        ])
        .response(&["TotalCount", "PageNumber", "PageSize", "TransitRouters"]);
    type Plan = Value;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(ListTransitRouters {
            region_id: p.opt_str("RegionId")?,
            cen_id: p.opt_str("CenId")?,
            transit_router_id: p.opt_str("TransitRouterId")?,
            page_number: p.page("PageNumber", 1, i64::from(i32::MAX))?,
            page_size: p.page("PageSize", 10, 50)?,
        })
    }
    accessors!(region: opt_region, dry_run: no, token: no);
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Self::Plan, CloudError> {
        w.list_transit_routers(ctx, now, self)
    }
    fn apply(_w: &mut World, _now: Timestamp, plan: Self::Plan) -> Value {
        plan
    }
}

/// ListTransitRouterRouteTables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListTransitRouterRouteTables {
    /// `TransitRouterId`.
    pub transit_router_id: String,
    /// `TransitRouterRouteTableIds.N`.
    pub route_table_ids: Vec<String>,
    /// `MaxResults`.
    pub max_results: i64,
    /// `NextToken`.
    pub next_token: Option<String>,
}

impl CloudApi for ListTransitRouterRouteTables {
    const DECL: ApiDecl = PRODUCT
        .api(
            "ListTransitRouterRouteTables",
            "cen:ListTransitRouterRouteTables",
            List,
        )
        .names(&["TransitRouterId"])
        .resource_type("ACS::CEN::TransitRouterRouteTable")
        .params(&[
            req("TransitRouterId", Str),
            opt("TransitRouterRouteTableIds.N", Str),
            opt("MaxResults", Int),
            opt("NextToken", Str),
        ])
        .response(&[
            "TotalCount",
            "MaxResults",
            "NextToken",
            "TransitRouterRouteTables",
        ]);
    type Plan = Value;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(ListTransitRouterRouteTables {
            transit_router_id: p.req_str("TransitRouterId")?,
            route_table_ids: p.list_str("TransitRouterRouteTableIds")?,
            max_results: p.page("MaxResults", 50, 100)?,
            next_token: p.opt_str("NextToken")?,
        })
    }
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Self::Plan, CloudError> {
        w.list_tr_route_tables(ctx, now, self)
    }
    fn apply(_w: &mut World, _now: Timestamp, plan: Self::Plan) -> Value {
        plan
    }
}

/// ListTransitRouterRouteEntries: static and propagated entries with their status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListTransitRouterRouteEntries {
    /// `TransitRouterRouteTableId`.
    pub route_table_id: String,
    /// `TransitRouterRouteEntryDestinationCidrBlock`.
    pub destination: Option<String>,
    /// `TransitRouterRouteEntryStatus`.
    pub status: Option<String>,
    /// `TransitRouterRouteEntryType`.
    pub entry_type: Option<String>,
    /// `TransitRouterRouteEntryNextHopId`.
    pub next_hop_id: Option<String>,
    /// `MaxResults`.
    pub max_results: i64,
    /// `NextToken`.
    pub next_token: Option<String>,
}

impl CloudApi for ListTransitRouterRouteEntries {
    const DECL: ApiDecl = PRODUCT
        .api(
            "ListTransitRouterRouteEntries",
            "cen:ListTransitRouterRouteEntries",
            List,
        )
        .names(&["TransitRouterRouteTableId"])
        .resource_type("ACS::CEN::TransitRouterRouteTable")
        .params(&[
            req("TransitRouterRouteTableId", Str),
            opt("TransitRouterRouteEntryDestinationCidrBlock", Str),
            opt("TransitRouterRouteEntryStatus", Str),
            opt("TransitRouterRouteEntryType", Str),
            opt("TransitRouterRouteEntryNextHopId", Str),
            opt("MaxResults", Int),
            opt("NextToken", Str),
        ])
        .response(&[
            "TotalCount",
            "MaxResults",
            "NextToken",
            "TransitRouterRouteEntries",
        ]);
    type Plan = Value;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(ListTransitRouterRouteEntries {
            route_table_id: p.req_str("TransitRouterRouteTableId")?,
            destination: p.opt_str("TransitRouterRouteEntryDestinationCidrBlock")?,
            status: p.opt_str("TransitRouterRouteEntryStatus")?,
            entry_type: p.opt_str("TransitRouterRouteEntryType")?,
            next_hop_id: p.opt_str("TransitRouterRouteEntryNextHopId")?,
            max_results: p.page("MaxResults", 50, 100)?,
            next_token: p.opt_str("NextToken")?,
        })
    }
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Self::Plan, CloudError> {
        w.list_tr_route_entries(ctx, now, self)
    }
    fn apply(_w: &mut World, _now: Timestamp, plan: Self::Plan) -> Value {
        plan
    }
}

/// ListTransitRouterAttachments: VPC and peer attachments of a CEN or TR.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListTransitRouterAttachments {
    /// `CenId`.
    pub cen_id: Option<String>,
    /// `TransitRouterId`.
    pub transit_router_id: Option<String>,
    /// `TransitRouterAttachmentId`.
    pub attachment_id: Option<String>,
    /// `RegionId`.
    pub region_id: Option<String>,
    /// `MaxResults`.
    pub max_results: i64,
    /// `NextToken`.
    pub next_token: Option<String>,
}

impl CloudApi for ListTransitRouterAttachments {
    const DECL: ApiDecl = PRODUCT
        .api(
            "ListTransitRouterAttachments",
            "cen:ListTransitRouterAttachments",
            List,
        )
        .names(&["TransitRouterAttachmentId", "TransitRouterId", "CenId"])
        .resource_type("ACS::CEN::TransitRouterAttachment")
        .params(&[
            opt("CenId", Str),
            opt("TransitRouterId", Str),
            opt("TransitRouterAttachmentId", Str),
            opt("RegionId", Str),
            opt("MaxResults", Int),
            opt("NextToken", Str),
        ])
        .response(&[
            "TotalCount",
            "MaxResults",
            "NextToken",
            "TransitRouterAttachments",
        ]);
    type Plan = Value;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(ListTransitRouterAttachments {
            cen_id: p.opt_str("CenId")?,
            transit_router_id: p.opt_str("TransitRouterId")?,
            attachment_id: p.opt_str("TransitRouterAttachmentId")?,
            region_id: p.opt_str("RegionId")?,
            max_results: p.page("MaxResults", 50, 100)?,
            next_token: p.opt_str("NextToken")?,
        })
    }
    accessors!(region: opt_region, dry_run: no, token: no);
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Self::Plan, CloudError> {
        w.list_tr_attachments(ctx, now, self)
    }
    fn apply(_w: &mut World, _now: Timestamp, plan: Self::Plan) -> Value {
        plan
    }
}
