//! Custom route tables (§2.3): CreateRouteTable, AssociateRouteTable, UnassociateRouteTable,
//! DeleteRouteTable — each declared once, with the checks and effects they call.
//!
//! A vSwitch routes by its custom table when it has one, else by its VPC's system table
//! (`World::table_for_vswitch`, §2.4.6 step 1); every table implicitly holds the system routes
//! of the VPC's vSwitches. An ALB forwards to its backends by the system table whatever its
//! vSwitches are bound to (C-SYSRT), which is what seed 003's trap S3-N1 is about.

use super::route::{RouteTable, TableType};
use super::PRODUCT;
use crate::cloud::declare::region_accessors;
use crate::cloud::declare::ParamType::Str;
use crate::cloud::declare::{opt, req, AccessLevel::*, ApiDecl, CloudApi, Param};
use crate::cloud::error::CloudError;
use crate::cloud::params::Params;
use crate::cloud::time::Timestamp;
use crate::cloud::validate::{optional_description, optional_text};
use crate::cloud::world::{CallContext, World};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Custom tables per VPC (ASSUMED: Alibaba's default quota `vpc_quota_route_tables_num`, 9).
pub const MAX_CUSTOM_TABLES_PER_VPC: usize = 9;

fn vpc_not_found() -> CloudError {
    CloudError::not_found("InvalidVpcId.NotFound", "Specified VPC does not exist.")
}

fn table_not_found() -> CloudError {
    CloudError::not_found(
        "InvalidRouteTableId.NotFound",
        "The specified route table does not exist.",
    )
}

fn vswitch_not_found() -> CloudError {
    CloudError::not_found(
        "InvalidVSwitchId.NotFound",
        "The specified vSwitch does not exist.",
    )
}

/// `acs:vpc:{region}:{owner}:routetable/{id}`.
fn table_arn(region: &str, owner: &str, id: &str) -> String {
    format!("acs:vpc:{region}:{owner}:routetable/{id}")
}

impl World {
    /// A route table of the region owned by the caller (another account's or region's is not
    /// found, §0.4.2).
    fn own_route_table(
        &self,
        caller: &str,
        region: &str,
        id: &str,
    ) -> Result<&RouteTable, CloudError> {
        self.route_tables
            .get(id)
            .filter(|t| t.region_id == region && t.owner_uid == caller)
            .ok_or_else(table_not_found)
    }

    /// The table and vSwitch of an (un)association, both the caller's and in one VPC.
    fn binding(
        &self,
        ctx: &CallContext,
        region: &str,
        table_id: &str,
        vswitch_id: &str,
    ) -> Result<(&RouteTable, String), CloudError> {
        let acct = self.caller_account(ctx)?;
        self.known_region(region)?;
        let table = self.own_route_table(&acct.uid, region, table_id)?;
        let vsw = self
            .vswitches
            .get(vswitch_id)
            .filter(|s| s.region_id == region && s.owner_uid == acct.uid)
            .ok_or_else(vswitch_not_found)?;
        if vsw.vpc_id != table.vpc_id {
            return Err(CloudError::bad(
                "Forbidden.NotInSameVpc",
                "The route table and the vSwitch are not in the same VPC.",
            ));
        }
        Ok((table, vsw.vswitch_id.clone()))
    }
}

/// CreateRouteTable (§2.3): a `Custom` table in a VPC of the caller's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateRouteTable {
    /// `RegionId`.
    pub region_id: String,
    /// `VpcId`.
    pub vpc_id: String,
    /// `RouteTableName`.
    pub route_table_name: Option<String>,
    /// `Description`.
    pub description: Option<String>,
    /// `AssociateType` (`VSwitch`, the default, or `Gateway`).
    pub associate_type: Option<String>,
    /// `ClientToken`.
    pub client_token: Option<String>,
}

/// A validated CreateRouteTable: the table to insert (its id is drawn at apply).
#[derive(Debug, Clone)]
pub struct CreateRouteTablePlan {
    table: RouteTable,
}

impl CloudApi for CreateRouteTable {
    const DECL: ApiDecl = PRODUCT
        .api("CreateRouteTable", "vpc:CreateRouteTable", Create)
        .names(&["RouteTableId"])
        .resource_type("ACS::VPC::RouteTable")
        .params(&[
            req("RegionId", Str),
            req("VpcId", Str),
            opt("RouteTableName", Str),
            opt("Description", Str),
            opt("AssociateType", Str),
            opt("ClientToken", Str),
        ])
        .resources(&[
            "acs:vpc:{region}:{account}:routetable/*",
            "acs:vpc:{region}:{account}:vpc/{VpcId}",
        ])
        .response(&["RouteTableId"]);
    type Plan = CreateRouteTablePlan;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(CreateRouteTable {
            region_id: p.req_str("RegionId")?,
            vpc_id: p.req_str("VpcId")?,
            route_table_name: p.opt_str("RouteTableName")?,
            description: p.opt_str("Description")?,
            associate_type: p.opt_str("AssociateType")?,
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
        let vpc = w
            .vpc(&self.vpc_id)
            .filter(|v| v.region_id == self.region_id && v.owner_uid == a)
            .ok_or_else(vpc_not_found)?;
        Ok(vec![
            table_arn(&self.region_id, a, "*"),
            format!("acs:vpc:{}:{a}:vpc/{}", self.region_id, vpc.vpc_id),
        ])
    }
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Self::Plan, CloudError> {
        let acct = w.caller_account(ctx)?;
        w.known_region(&self.region_id)?;
        optional_text(
            self.route_table_name.as_deref(),
            128,
            "InvalidRouteTableName.Malformed",
            "Specified route table name is not valid.",
        )?;
        optional_description(self.description.as_deref())?;
        let associate_type = match self.associate_type.as_deref() {
            None | Some("VSwitch") => "VSwitch",
            Some("Gateway") => "Gateway",
            Some(_) => {
                return Err(CloudError::invalid_param(
                    "AssociateType",
                    "expected VSwitch or Gateway",
                ))
            }
        };
        // Only the owner creates tables in a VPC (a shared VPC's participant cannot).
        let vpc = w
            .vpcs
            .get(&self.vpc_id)
            .filter(|v| v.region_id == self.region_id && v.owner_uid == acct.uid)
            .ok_or_else(vpc_not_found)?;
        let custom = w
            .route_tables_of(&vpc.vpc_id)
            .filter(|t| t.table_type == TableType::Custom)
            .count();
        if custom >= MAX_CUSTOM_TABLES_PER_VPC {
            return Err(CloudError::bad(
                "QuotaExceeded.RouteTable",
                "The number of custom route tables in the VPC exceeds the quota.",
            ));
        }
        Ok(CreateRouteTablePlan {
            table: RouteTable {
                route_table_id: String::new(),
                vpc_id: vpc.vpc_id.clone(),
                region_id: self.region_id.clone(),
                owner_uid: acct.uid.clone(),
                table_type: TableType::Custom,
                associate_type: associate_type.into(),
                name: self.route_table_name.clone().unwrap_or_default(),
                description: self.description.clone().unwrap_or_default(),
                router_id: vpc.vrouter_id.clone(),
                creation_time: now,
            },
        })
    }
    fn apply(w: &mut World, _now: Timestamp, plan: Self::Plan) -> Value {
        let mut table = plan.table;
        table.route_table_id = w.new_id("vtb", &table.region_id);
        let response = json!({"RouteTableId": table.route_table_id});
        w.insert_route_table(table);
        response
    }
}

/// The parameters of AssociateRouteTable and UnassociateRouteTable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteTableBinding {
    /// `RegionId`.
    pub region_id: String,
    /// `RouteTableId`.
    pub route_table_id: String,
    /// `VSwitchId`.
    pub vswitch_id: String,
    /// `ClientToken`.
    pub client_token: Option<String>,
}

impl RouteTableBinding {
    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(RouteTableBinding {
            region_id: p.req_str("RegionId")?,
            route_table_id: p.req_str("RouteTableId")?,
            vswitch_id: p.req_str("VSwitchId")?,
            client_token: p.client_token()?,
        })
    }

    /// The table and the vSwitch, under the caller's account (a resource that is not the
    /// caller's is reported by plan as not found).
    fn arns(&self, w: &World, caller: &str) -> Result<Vec<String>, CloudError> {
        w.known_region(&self.region_id)?;
        Ok(vec![
            table_arn(&self.region_id, caller, &self.route_table_id),
            format!(
                "acs:vpc:{}:{caller}:vswitch/{}",
                self.region_id, self.vswitch_id
            ),
        ])
    }

    /// The bound table and the vSwitch, both the caller's and in one VPC.
    fn resolve<'w>(
        &self,
        w: &'w World,
        ctx: &CallContext,
    ) -> Result<(&'w RouteTable, String), CloudError> {
        w.binding(ctx, &self.region_id, &self.route_table_id, &self.vswitch_id)
    }
}

/// AssociateRouteTable (§2.3): the vSwitch routes by the custom table from now on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssociateRouteTable(pub RouteTableBinding);

/// UnassociateRouteTable (§2.3): the vSwitch returns to its VPC's system table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnassociateRouteTable(pub RouteTableBinding);

/// The parameters both binding APIs take.
const BINDING_PARAMS: &[Param] = &[
    req("RegionId", Str),
    req("RouteTableId", Str),
    req("VSwitchId", Str),
    opt("ClientToken", Str),
];

/// The ARNs both binding APIs are authorized against (§9.2).
const BINDING_RESOURCES: &[&str] = &[
    "acs:vpc:{region}:{account}:routetable/{RouteTableId}",
    "acs:vpc:{region}:{account}:vswitch/{VSwitchId}",
];

/// The declaration both binding APIs share (they differ by name and effect).
const fn binding_decl(api: &'static str, action: &'static str) -> ApiDecl {
    PRODUCT
        .api(api, action, Update)
        .names(&["RouteTableId"])
        .resource_type("ACS::VPC::RouteTable")
        .params(BINDING_PARAMS)
        .resources(BINDING_RESOURCES)
}

impl CloudApi for AssociateRouteTable {
    const DECL: ApiDecl = binding_decl("AssociateRouteTable", "vpc:AssociateRouteTable");
    type Plan = (String, String);

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        RouteTableBinding::decode(p).map(AssociateRouteTable)
    }
    fn region(&self) -> Option<&str> {
        Some(&self.0.region_id)
    }
    fn client_token(&self) -> Option<&str> {
        self.0.client_token.as_deref()
    }
    fn authorize(
        &self,
        w: &World,
        ctx: &CallContext,
        _now: Timestamp,
        _keys: &mut BTreeMap<String, String>,
    ) -> Result<Vec<String>, CloudError> {
        self.0.arns(w, &ctx.caller_account)
    }
    fn plan(
        &self,
        w: &World,
        ctx: &CallContext,
        _now: Timestamp,
    ) -> Result<Self::Plan, CloudError> {
        let (table, vswitch) = self.0.resolve(w, ctx)?;
        if table.table_type == TableType::System {
            // ASSUMED code: the system table is every unbound vSwitch's already.
            return Err(CloudError::bad(
                "OperationDenied.SystemRouteTable",
                "A system route table cannot be associated with a vSwitch.",
            ));
        }
        if table.associate_type == "Gateway" {
            return Err(CloudError::bad(
                "OperationDenied.AssociateGatewayRouteTable",
                "A gateway route table cannot be associated with a vSwitch.",
            ));
        }
        if let Some(bound) = w
            .vswitches
            .get(&vswitch)
            .and_then(|s| s.route_table_id.as_ref())
        {
            return Err(if bound == &table.route_table_id {
                CloudError::bad(
                    "ResourceAlreadyAssociated.RouteTable",
                    "The vSwitch is already associated with this route table.",
                )
            } else {
                CloudError::bad(
                    "Forbidden.VSwitchAlreadyAssociatedRouteTable",
                    "The vSwitch is already associated with another custom route table.",
                )
            });
        }
        Ok((vswitch, table.route_table_id.clone()))
    }
    fn apply(w: &mut World, _now: Timestamp, (vswitch, table): Self::Plan) -> Value {
        if let Some(s) = w.vswitches.get_mut(&vswitch) {
            s.route_table_id = Some(table);
        }
        json!({})
    }
}

impl CloudApi for UnassociateRouteTable {
    const DECL: ApiDecl = binding_decl("UnassociateRouteTable", "vpc:UnassociateRouteTable");
    type Plan = String;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        RouteTableBinding::decode(p).map(UnassociateRouteTable)
    }
    fn region(&self) -> Option<&str> {
        Some(&self.0.region_id)
    }
    fn client_token(&self) -> Option<&str> {
        self.0.client_token.as_deref()
    }
    fn authorize(
        &self,
        w: &World,
        ctx: &CallContext,
        _now: Timestamp,
        _keys: &mut BTreeMap<String, String>,
    ) -> Result<Vec<String>, CloudError> {
        self.0.arns(w, &ctx.caller_account)
    }
    fn plan(
        &self,
        w: &World,
        ctx: &CallContext,
        _now: Timestamp,
    ) -> Result<Self::Plan, CloudError> {
        let (table, vswitch) = self.0.resolve(w, ctx)?;
        let bound = w
            .vswitches
            .get(&vswitch)
            .and_then(|s| s.route_table_id.as_ref());
        if bound != Some(&table.route_table_id) {
            // ASSUMED code: Alibaba documents none for a pair that is not bound.
            return Err(CloudError::bad(
                "IncorrectStatus.RouteTableNotAssociated",
                "The vSwitch is not associated with the specified route table.",
            ));
        }
        Ok(vswitch)
    }
    fn apply(w: &mut World, _now: Timestamp, vswitch: Self::Plan) -> Value {
        if let Some(s) = w.vswitches.get_mut(&vswitch) {
            s.route_table_id = None;
        }
        json!({})
    }
}

/// DeleteRouteTable (§2.3): a custom table with no vSwitch bound and no custom entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteRouteTable {
    /// `RegionId`.
    pub region_id: String,
    /// `RouteTableId`.
    pub route_table_id: String,
}

impl CloudApi for DeleteRouteTable {
    const DECL: ApiDecl = PRODUCT
        .api("DeleteRouteTable", "vpc:DeleteRouteTable", Delete)
        .names(&["RouteTableId"])
        .resource_type("ACS::VPC::RouteTable")
        .params(&[req("RegionId", Str), req("RouteTableId", Str)])
        .resources(&["acs:vpc:{region}:{account}:routetable/{RouteTableId}"]);
    type Plan = String;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(DeleteRouteTable {
            region_id: p.req_str("RegionId")?,
            route_table_id: p.req_str("RouteTableId")?,
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
        Ok(vec![table_arn(
            &self.region_id,
            &ctx.caller_account,
            &self.route_table_id,
        )])
    }
    fn plan(
        &self,
        w: &World,
        ctx: &CallContext,
        _now: Timestamp,
    ) -> Result<Self::Plan, CloudError> {
        let acct = w.caller_account(ctx)?;
        w.known_region(&self.region_id)?;
        let table = w.own_route_table(&acct.uid, &self.region_id, &self.route_table_id)?;
        // ASSUMED codes below: Alibaba documents the rules (a system table stays with its VPC;
        // unbind vSwitches and delete custom entries first), not their codes.
        if table.table_type == TableType::System {
            return Err(CloudError::bad(
                "OperationDenied.SystemRouteTable",
                "The system route table of a VPC cannot be deleted.",
            ));
        }
        if w.vswitches_of(&table.vpc_id)
            .any(|s| s.route_table_id.as_ref() == Some(&table.route_table_id))
        {
            return Err(CloudError::bad(
                "DependencyViolation.VSwitch",
                "The route table is still associated with a vSwitch.",
            ));
        }
        if w.route_entries_of(&table.route_table_id).next().is_some() {
            return Err(CloudError::bad(
                "DependencyViolation.RouteEntry",
                "The route table still contains custom route entries.",
            ));
        }
        Ok(table.route_table_id.clone())
    }
    fn apply(w: &mut World, _now: Timestamp, id: Self::Plan) -> Value {
        w.remove_route_table(&id);
        json!({})
    }
}
