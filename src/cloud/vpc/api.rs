//! The Vpc product's APIs (VPC, vSwitch, route tables), each declared once: typed
//! parameters, RAM action and ARNs, response shape, and the calls into their checks and effects
//! (`ops.rs`, `route_ops.rs`). Spec: `network-model.md` §2, §9.2.

use super::ops::{CreateVSwitchPlan, CreateVpcPlan};
use super::route::RouteEntry;
use super::PRODUCT;
use crate::cloud::declare::region_accessors;
use crate::cloud::declare::ParamType::{Bool, Int, Str};
use crate::cloud::declare::{opt, req, AccessLevel::*, ApiDecl, CloudApi};
use crate::cloud::error::CloudError;
use crate::cloud::params::Params;
use crate::cloud::time::Timestamp;
use crate::cloud::world::{CallContext, World};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// `PageNumber` bound (Alibaba's Integer).
const MAX_PAGE: i64 = i32::MAX as i64;

/// The paging fields of a Describe answer, then its list.
const fn paged(list: &'static str) -> [&'static str; 4] {
    ["TotalCount", "PageNumber", "PageSize", list]
}
const DESCRIBE_VPCS: [&str; 4] = paged("Vpcs");
const DESCRIBE_VSWITCHES: [&str; 4] = paged("VSwitches");

/// CreateVpc (§2.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateVpc {
    /// `RegionId`.
    pub region_id: String,
    /// `CidrBlock`.
    pub cidr_block: Option<String>,
    /// `VpcName`.
    pub vpc_name: Option<String>,
    /// `Description`.
    pub description: Option<String>,
    /// `UserCidr` (comma-separated).
    pub user_cidr: Option<String>,
    /// `EnableIpv6`.
    pub enable_ipv6: bool,
    /// `Ipv6CidrBlock`.
    pub ipv6_cidr_block: Option<String>,
    /// `ResourceGroupId`.
    pub resource_group_id: Option<String>,
    /// `DryRun`.
    pub dry_run: bool,
    /// `ClientToken`.
    pub client_token: Option<String>,
}

impl CloudApi for CreateVpc {
    const DECL: ApiDecl = PRODUCT
        .api("CreateVpc", "vpc:CreateVpc", Create)
        .names(&["VpcId"])
        .resource_type("ACS::VPC::VPC")
        .params(&[
            req("RegionId", Str),
            opt("CidrBlock", Str),
            opt("VpcName", Str),
            opt("Description", Str),
            opt("UserCidr", Str),
            opt("EnableIpv6", Bool),
            opt("Ipv6CidrBlock", Str),
            opt("ResourceGroupId", Str),
            opt("DryRun", Bool),
            opt("ClientToken", Str),
        ])
        .resources(&["acs:vpc:{region}:{account}:vpc/*"])
        .response(&["VpcId", "VRouterId", "RouteTableId", "ResourceGroupId"]);
    type Plan = CreateVpcPlan;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(CreateVpc {
            region_id: p.req_str("RegionId")?,
            cidr_block: p.opt_str("CidrBlock")?,
            vpc_name: p.opt_str("VpcName")?,
            description: p.opt_str("Description")?,
            user_cidr: p.opt_str("UserCidr")?,
            enable_ipv6: p.flag("EnableIpv6")?,
            ipv6_cidr_block: p.opt_str("Ipv6CidrBlock")?,
            resource_group_id: p.opt_str("ResourceGroupId")?,
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
        Ok(vec![format!(
            "acs:vpc:{}:{}:vpc/*",
            self.region_id, ctx.caller_account
        )])
    }
    fn plan(
        &self,
        w: &World,
        ctx: &CallContext,
        _now: Timestamp,
    ) -> Result<Self::Plan, CloudError> {
        w.plan_create_vpc(ctx, self)
    }
    fn apply(w: &mut World, now: Timestamp, plan: Self::Plan) -> Value {
        let CreateVpcPlan {
            owner,
            op,
            cidr,
            user_cidrs,
            resource_group_id,
        } = plan;
        w.apply_create_vpc(now, owner, op, cidr, user_cidrs, resource_group_id)
    }
}

/// CreateVSwitch (§2.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateVSwitch {
    /// `RegionId` (required by the model).
    pub region_id: String,
    /// `ZoneId`.
    pub zone_id: String,
    /// `VpcId`.
    pub vpc_id: String,
    /// `CidrBlock`.
    pub cidr_block: String,
    /// `VSwitchName`.
    pub vswitch_name: Option<String>,
    /// `Description`.
    pub description: Option<String>,
    /// `DryRun`.
    pub dry_run: bool,
    /// `ClientToken`.
    pub client_token: Option<String>,
}

impl CloudApi for CreateVSwitch {
    const DECL: ApiDecl = PRODUCT
        .api("CreateVSwitch", "vpc:CreateVSwitch", Create)
        .names(&["VSwitchId"])
        .resource_type("ACS::VPC::VSwitch")
        .params(&[
            req("RegionId", Str),
            req("ZoneId", Str),
            req("VpcId", Str),
            req("CidrBlock", Str),
            opt("VSwitchName", Str),
            opt("Description", Str),
            opt("DryRun", Bool),
            opt("ClientToken", Str),
        ])
        .resources(&[
            "acs:vpc:{region}:{account}:vswitch/*",
            "acs:vpc:{region}:{account}:vpc/{VpcId}",
        ])
        .response(&["VSwitchId"]);
    type Plan = CreateVSwitchPlan;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(CreateVSwitch {
            region_id: p.req_str("RegionId")?,
            zone_id: p.req_str("ZoneId")?,
            vpc_id: p.req_str("VpcId")?,
            cidr_block: p.req_str("CidrBlock")?,
            vswitch_name: p.opt_str("VSwitchName")?,
            description: p.opt_str("Description")?,
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
        let vpc = w
            .vpc(&self.vpc_id)
            .filter(|v| v.region_id == self.region_id && v.visible_to(a))
            .ok_or_else(|| {
                CloudError::not_found("InvalidVpcId.NotFound", "Specified VPC does not exist.")
            })?;
        Ok(vec![
            format!("acs:vpc:{}:{a}:vswitch/*", self.region_id),
            format!(
                "acs:vpc:{}:{}:vpc/{}",
                self.region_id, vpc.owner_uid, vpc.vpc_id
            ),
        ])
    }
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Self::Plan, CloudError> {
        w.plan_create_vswitch(ctx, now, self)
    }
    fn apply(w: &mut World, now: Timestamp, plan: Self::Plan) -> Value {
        let CreateVSwitchPlan { owner, op, cidr } = plan;
        w.apply_create_vswitch(now, owner, op, cidr)
    }
}

/// One `NextHopList.N` item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NextHopParam {
    /// `NextHopId`.
    pub next_hop_id: String,
    /// `NextHopType`.
    pub next_hop_type: String,
    /// `Weight`.
    pub weight: Option<i64>,
}

/// CreateRouteEntry (§2.4.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateRouteEntry {
    /// `RegionId`.
    pub region_id: String,
    /// `RouteTableId`.
    pub route_table_id: String,
    /// `DestinationCidrBlock`.
    pub destination_cidr_block: String,
    /// `NextHopType` (default `Instance` when `NextHopId` is given).
    pub next_hop_type: Option<String>,
    /// `NextHopId`.
    pub next_hop_id: Option<String>,
    /// `NextHopList.N.*`.
    pub next_hop_list: Vec<NextHopParam>,
    /// `RouteEntryName`.
    pub route_entry_name: Option<String>,
    /// `Description`.
    pub description: Option<String>,
    /// `DryRun`.
    pub dry_run: bool,
    /// `ClientToken`.
    pub client_token: Option<String>,
}

impl CloudApi for CreateRouteEntry {
    const DECL: ApiDecl = PRODUCT
        .api("CreateRouteEntry", "vpc:CreateRouteEntry", Create)
        .names(&["RouteEntryId"])
        .resource_type("ACS::VPC::RouteEntry")
        .params(&[
            req("RegionId", Str),
            req("RouteTableId", Str),
            req("DestinationCidrBlock", Str),
            opt("NextHopType", Str),
            opt("NextHopId", Str),
            opt("NextHopList.N.NextHopId", Str),
            opt("NextHopList.N.NextHopType", Str),
            opt("NextHopList.N.Weight", Int),
            opt("RouteEntryName", Str),
            opt("Description", Str),
            opt("DryRun", Bool),
            opt("ClientToken", Str),
        ])
        .resources(&["acs:vpc:{region}:{account}:routetable/{RouteTableId}"])
        .response(&["RouteEntryId"]);
    type Plan = (String, RouteEntry);

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        let mut list = Vec::new();
        for m in p.list_obj("NextHopList") {
            let mp = Params::new(&m);
            list.push(NextHopParam {
                next_hop_id: mp
                    .req_str("NextHopId")
                    .map_err(|_| CloudError::missing("NextHopList.N.NextHopId"))?,
                next_hop_type: mp
                    .opt_str("NextHopType")?
                    .unwrap_or_else(|| "RouterInterface".into()),
                weight: mp.opt_i64("Weight")?,
            });
        }
        Ok(CreateRouteEntry {
            region_id: p.req_str("RegionId")?,
            route_table_id: p.req_str("RouteTableId")?,
            destination_cidr_block: p.req_str("DestinationCidrBlock")?,
            next_hop_type: p.opt_str("NextHopType")?,
            next_hop_id: p.opt_str("NextHopId")?,
            next_hop_list: list,
            route_entry_name: p.opt_str("RouteEntryName")?,
            description: p.opt_str("Description")?,
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
        Ok(vec![format!(
            "acs:vpc:{}:{}:routetable/{}",
            self.region_id, ctx.caller_account, self.route_table_id
        )])
    }
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Self::Plan, CloudError> {
        w.plan_create_route_entry(ctx, now, self)
    }
    fn apply(w: &mut World, _now: Timestamp, (region, entry): Self::Plan) -> Value {
        w.apply_create_route_entry(region, entry)
    }
}

/// DeleteRouteEntry (§2.4.5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteRouteEntry {
    /// `RegionId`.
    pub region_id: String,
    /// `RouteTableId`.
    pub route_table_id: Option<String>,
    /// `RouteEntryId`.
    pub route_entry_id: Option<String>,
    /// `DestinationCidrBlock`.
    pub destination_cidr_block: Option<String>,
    /// `NextHopId`.
    pub next_hop_id: Option<String>,
}

impl CloudApi for DeleteRouteEntry {
    const DECL: ApiDecl = PRODUCT
        .api("DeleteRouteEntry", "vpc:DeleteRouteEntry", Delete)
        .names(&["RouteEntryId", "RouteTableId"])
        .resource_type("ACS::VPC::RouteEntry")
        .params(&[
            req("RegionId", Str),
            opt("RouteTableId", Str),
            opt("RouteEntryId", Str),
            opt("DestinationCidrBlock", Str),
            opt("NextHopId", Str),
        ])
        .resources(&["acs:vpc:{region}:{account}:routetable/{RouteTableId}"]);
    type Plan = String;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(DeleteRouteEntry {
            region_id: p.req_str("RegionId")?,
            route_table_id: p.opt_str("RouteTableId")?,
            route_entry_id: p.opt_str("RouteEntryId")?,
            destination_cidr_block: p.opt_str("DestinationCidrBlock")?,
            next_hop_id: p.opt_str("NextHopId")?,
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
        w.known_region(&self.region_id)?;
        let table = self
            .route_table_id
            .clone()
            .or_else(|| {
                self.route_entry_id
                    .as_ref()
                    .and_then(|e| w.route_entry(e))
                    .map(|e| e.route_table_id.clone())
            })
            .unwrap_or_else(|| "*".into());
        Ok(vec![format!(
            "acs:vpc:{}:{}:routetable/{table}",
            self.region_id, ctx.caller_account
        )])
    }
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Self::Plan, CloudError> {
        w.plan_delete_route_entry(ctx, now, self)
    }
    fn apply(w: &mut World, _now: Timestamp, route_entry_id: Self::Plan) -> Value {
        w.remove_route_entry(&route_entry_id);
        serde_json::json!({})
    }
}

/// DescribeVpcs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DescribeVpcs {
    /// `RegionId`.
    pub region_id: String,
    /// `VpcId` (comma-separated, ≤ 20).
    pub vpc_ids: Vec<String>,
    /// `VpcName`.
    pub vpc_name: Option<String>,
    /// `PageNumber` (default 1).
    pub page_number: i64,
    /// `PageSize` (default 10, ≤ 50).
    pub page_size: i64,
}

impl CloudApi for DescribeVpcs {
    const DECL: ApiDecl = PRODUCT
        .api("DescribeVpcs", "vpc:DescribeVpcs", List)
        .names(&["VpcId"])
        .resource_type("ACS::VPC::VPC")
        .params(&[
            req("RegionId", Str),
            opt("VpcId", Str),
            opt("VpcName", Str),
            opt("PageNumber", Int),
            opt("PageSize", Int),
        ])
        .response(&DESCRIBE_VPCS);
    type Plan = Value;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(DescribeVpcs {
            region_id: p.req_str("RegionId")?,
            vpc_ids: p
                .opt_str("VpcId")?
                .map(|s| {
                    s.split(',')
                        .map(|x| x.trim().to_string())
                        .filter(|x| !x.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            vpc_name: p.opt_str("VpcName")?,
            page_number: p.page("PageNumber", 1, MAX_PAGE)?,
            page_size: p.page("PageSize", 10, 50)?,
        })
    }
    region_accessors!();
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Self::Plan, CloudError> {
        w.describe_vpcs(ctx, now, self)
    }
    fn apply(_: &mut World, _: Timestamp, response: Self::Plan) -> Value {
        response
    }
}

/// DescribeVSwitches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DescribeVSwitches {
    /// `RegionId`.
    pub region_id: String,
    /// `VpcId`.
    pub vpc_id: Option<String>,
    /// `VSwitchId`.
    pub vswitch_id: Option<String>,
    /// `ZoneId`.
    pub zone_id: Option<String>,
    /// `PageNumber`.
    pub page_number: i64,
    /// `PageSize`.
    pub page_size: i64,
}

impl CloudApi for DescribeVSwitches {
    const DECL: ApiDecl = PRODUCT
        .api("DescribeVSwitches", "vpc:DescribeVSwitches", List)
        .names(&["VpcId", "VSwitchId"])
        .resource_type("ACS::VPC::VSwitch")
        .params(&[
            req("RegionId", Str),
            opt("VpcId", Str),
            opt("VSwitchId", Str),
            opt("ZoneId", Str),
            opt("PageNumber", Int),
            opt("PageSize", Int),
        ])
        .response(&DESCRIBE_VSWITCHES);
    type Plan = Value;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(DescribeVSwitches {
            region_id: p.req_str("RegionId")?,
            vpc_id: p.opt_str("VpcId")?,
            vswitch_id: p.opt_str("VSwitchId")?,
            zone_id: p.opt_str("ZoneId")?,
            page_number: p.page("PageNumber", 1, MAX_PAGE)?,
            page_size: p.page("PageSize", 10, 50)?,
        })
    }
    region_accessors!();
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Self::Plan, CloudError> {
        w.describe_vswitches(ctx, now, self)
    }
    fn apply(_: &mut World, _: Timestamp, response: Self::Plan) -> Value {
        response
    }
}

/// DescribeRouteTableList.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DescribeRouteTableList {
    /// `RegionId`.
    pub region_id: String,
    /// `VpcId`.
    pub vpc_id: Option<String>,
    /// `RouteTableId`.
    pub route_table_id: Option<String>,
    /// `PageNumber`.
    pub page_number: i64,
    /// `PageSize`.
    pub page_size: i64,
}

impl CloudApi for DescribeRouteTableList {
    const DECL: ApiDecl = PRODUCT
        .api("DescribeRouteTableList", "vpc:DescribeRouteTableList", List)
        .names(&["VpcId", "RouteTableId"])
        .resource_type("ACS::VPC::RouteTable")
        .params(&[
            req("RegionId", Str),
            opt("VpcId", Str),
            opt("RouteTableId", Str),
            opt("PageNumber", Int),
            opt("PageSize", Int),
        ])
        .response(&[
            "Success",
            "Code",
            "Message",
            "TotalCount",
            "PageNumber",
            "PageSize",
            "RouterTableList",
        ]);
    type Plan = Value;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(DescribeRouteTableList {
            region_id: p.req_str("RegionId")?,
            vpc_id: p.opt_str("VpcId")?,
            route_table_id: p.opt_str("RouteTableId")?,
            page_number: p.page("PageNumber", 1, MAX_PAGE)?,
            page_size: p.page("PageSize", 10, 50)?,
        })
    }
    region_accessors!();
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Self::Plan, CloudError> {
        let _ = now;
        w.describe_route_table_list(ctx, self)
    }
    fn apply(_: &mut World, _: Timestamp, response: Self::Plan) -> Value {
        response
    }
}

/// DescribeRouteEntryList.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DescribeRouteEntryList {
    /// `RegionId`.
    pub region_id: String,
    /// `RouteTableId`.
    pub route_table_id: String,
    /// `RouteEntryId`.
    pub route_entry_id: Option<String>,
    /// `DestinationCidrBlock`.
    pub destination_cidr_block: Option<String>,
    /// `RouteEntryType` (`System` | `Custom`).
    pub route_entry_type: Option<String>,
    /// `NextHopType`.
    pub next_hop_type: Option<String>,
    /// `MaxResult` (default 10, ≤ 100).
    pub max_result: i64,
    /// `NextToken` (opaque offset).
    pub next_token: Option<String>,
}

impl CloudApi for DescribeRouteEntryList {
    const DECL: ApiDecl = PRODUCT
        .api("DescribeRouteEntryList", "vpc:DescribeRouteEntryList", List)
        .names(&["RouteEntryId", "RouteTableId"])
        .resource_type("ACS::VPC::RouteEntry")
        .params(&[
            req("RegionId", Str),
            req("RouteTableId", Str),
            opt("RouteEntryId", Str),
            opt("DestinationCidrBlock", Str),
            opt("RouteEntryType", Str),
            opt("NextHopType", Str),
            opt("MaxResult", Int),
            opt("NextToken", Str),
        ])
        .response(&["NextToken", "TotalCount", "RouteEntrys"]);
    type Plan = Value;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(DescribeRouteEntryList {
            region_id: p.req_str("RegionId")?,
            route_table_id: p.req_str("RouteTableId")?,
            route_entry_id: p.opt_str("RouteEntryId")?,
            destination_cidr_block: p.opt_str("DestinationCidrBlock")?,
            route_entry_type: p.opt_str("RouteEntryType")?,
            next_hop_type: p.opt_str("NextHopType")?,
            max_result: p.page("MaxResult", 10, 100)?,
            next_token: p.opt_str("NextToken")?,
        })
    }
    region_accessors!();
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Self::Plan, CloudError> {
        w.describe_route_entry_list(ctx, now, self)
    }
    fn apply(_: &mut World, _: Timestamp, response: Self::Plan) -> Value {
        response
    }
}
