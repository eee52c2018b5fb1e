//! The checks (`plan_*`, against `&World`) and effects (`apply_*`, infallible) of the CEN APIs
//! (§6). Error codes not named by the spec are marked ASSUMED where they are raised.

use super::api::*;
use super::derived::group;
use super::resources::*;
use super::routing::{compute_routes, TrRouteMap, TrRoutes};
use crate::cloud::ecs::eni::{create_service_eni, delete_service_eni, CreateServiceEni};
use crate::cloud::ecs::{NetRefs, OpCtx};
use crate::cloud::error::CloudError;
use crate::cloud::lifecycle::Lifecycle;
use crate::cloud::time::Timestamp;
use crate::cloud::validate::optional_text;
use crate::cloud::vpc::route::NextHopType;
use crate::cloud::vpc::NetStatus;
use crate::cloud::world::{CallContext, ServiceEvent, World};
use ipnet::Ipv4Net;
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// VPC attachments per TR (ASSUMED quota; Alibaba's default is not in the sources).
pub const VPC_ATTACHMENTS_PER_TR: usize = 1000;
/// Static entries per TR route table (ASSUMED quota).
pub const STATIC_ENTRIES_PER_TABLE: usize = 1000;

pub(crate) fn cen_not_found(id: &str) -> CloudError {
    CloudError::not_found(
        "InvalidCenId.NotFound",
        format!("The specified CEN instance {id} does not exist."),
    )
}
pub(crate) fn tr_not_found(id: &str) -> CloudError {
    CloudError::not_found(
        "InvalidTransitRouterId.NotFound",
        format!("The specified transit router {id} does not exist."),
    )
}
pub(crate) fn attachment_not_found(id: &str) -> CloudError {
    // ASSUMED code (Alibaba's metadata names the parameter this way).
    CloudError::not_found(
        "InvalidTransitRouterAttachmentId.NotFound",
        format!("The specified attachment {id} does not exist."),
    )
}
pub(crate) fn table_not_found(id: &str) -> CloudError {
    CloudError::not_found(
        "InvalidTransitRouterRouteTableId.NotFound",
        format!("The specified route table {id} does not exist."),
    )
}
pub(crate) fn bwp_not_found(id: &str) -> CloudError {
    // ASSUMED code.
    CloudError::not_found(
        "InvalidCenBandwidthPackageId.NotFound",
        format!("The specified bandwidth package {id} does not exist."),
    )
}
fn tr_type_unsupported() -> CloudError {
    CloudError::bad(
        "OperationUnsupported.TransitRouterType",
        "The operation is not supported by the type of the transit router.",
    )
}
fn basic_no_tables() -> CloudError {
    CloudError::bad(
        "OperationFailed.TransitRouterType",
        "Basic transit routers have no route table API.",
    )
}
fn tr_status(id: &str) -> CloudError {
    CloudError::bad(
        "IncorrectStatus.TransitRouter",
        format!("The status of transit router {id} is incorrect."),
    )
}
fn attachment_status(id: &str) -> CloudError {
    // ASSUMED code for an attachment still Attaching (Stepped mode).
    CloudError::bad(
        "IncorrectStatus.TransitRouterAttachment",
        format!("The status of attachment {id} is incorrect."),
    )
}
fn table_status(id: &str) -> CloudError {
    CloudError::bad(
        "IncorrectStatus.TransitRouterRouteTable",
        format!("The status of route table {id} is incorrect."),
    )
}

/// Geographic area of a region for bandwidth packages (§6.2, ASSUMED mapping).
pub fn area_of(world: &World, region: &str) -> &'static str {
    let mainland = world.region(region).is_some_and(|r| r.mainland);
    if mainland {
        "China"
    } else if region == "ap-southeast-2" {
        "Australia"
    } else if region.starts_with("eu-") {
        "Europe"
    } else if region.starts_with("us-") {
        "North-America"
    } else {
        "Asia-Pacific"
    }
}

/// The areas accepted by `GeographicRegion{A,B}Id`.
const AREAS: [&str; 5] = [
    "China",
    "North-America",
    "Asia-Pacific",
    "Europe",
    "Australia",
];

/// `Name`/`Description` rules of §0.4.9 for CEN objects.
fn texts(name: Option<&str>, desc: Option<&str>) -> Result<(), CloudError> {
    optional_text(
        name,
        128,
        "IllegalParam.Name",
        "The name is invalid (1-128 characters, not starting with http:// or https://).",
    )?;
    optional_text(
        desc,
        256,
        "IllegalParam.Description",
        "The description is invalid (1-256 characters, not starting with http:// or https://).",
    )
}

/// Plan of CreateTransitRouterVpcAttachment.
#[derive(Debug, Clone)]
pub struct VpcAttachPlan {
    /// A TR to create first (only `CenId` given and no TR in the region).
    pub implicit_tr: Option<TransitRouter>,
    /// The attachment (ids filled by apply when the TR is implicit).
    pub attachment: Attachment,
    /// `(zone, vSwitch)` pairs.
    pub zones: Vec<(String, String)>,
}

impl World {
    /// The CEN state.
    pub fn cen(&self) -> &CenState {
        &self.cen
    }

    /// Every TR route table's entries at `now` (static + propagated, §6.3.4), from the
    /// world's incrementally kept tables (`cen::derived`): only the destinations changed since
    /// the last read are recomputed.
    pub fn tr_routes(&self, now: Timestamp) -> TrRoutes {
        let cidrs = |vpc: &str, now: Timestamp| -> (Vec<Ipv4Net>, bool) {
            let mut pending = false;
            let mut list = Vec::new();
            for s in self.vswitches_of(vpc) {
                pending |= s.lifecycle.pending.is_some();
                if s.lifecycle.at(now) == NetStatus::Available {
                    list.push(s.cidr_block);
                }
            }
            (list, pending)
        };
        self.cen.cached_routes(now, &cidrs)
    }

    /// The same tables computed from scratch by [`compute_routes`] (the reference the
    /// incremental tables are checked against).
    pub fn tr_routes_from_scratch(&self, now: Timestamp) -> TrRouteMap {
        let cidrs = |vpc: &str| -> Vec<Ipv4Net> {
            self.vswitches_of(vpc)
                .filter(|s| s.lifecycle.at(now) == NetStatus::Available)
                .map(|s| s.cidr_block)
                .collect()
        };
        compute_routes(&self.cen, now, &cidrs)
    }

    /// Compares the CEN indexes and the incremental TR route tables with a fresh rebuild and a
    /// from-scratch computation (`World::check_index`).
    pub(crate) fn check_cen_derived(&self) -> Result<(), String> {
        if *self.cen.index() != super::derived::CenIndex::build(&self.cen) {
            return Err("CEN index differs from the maps".into());
        }
        let now = self.now();
        if self.tr_routes(now).to_map() != self.tr_routes_from_scratch(now) {
            return Err("incremental TR route tables differ from a full recomputation".into());
        }
        Ok(())
    }

    /// The CEN state for an edit the change notes do not describe (tests, world surgery):
    /// every derived structure is rebuilt on next use.
    #[cfg(test)]
    pub(crate) fn cen_mut(&mut self) -> &mut CenState {
        self.cen.invalidate_derived();
        &mut self.cen
    }

    /// The attachments of VPC `vpc_id`.
    pub(crate) fn attachments_of_vpc<'a>(
        &'a self,
        vpc_id: &'a str,
    ) -> impl Iterator<Item = &'a Attachment> + 'a {
        group(&self.cen.index().atts_by_vpc, vpc_id)
            .filter_map(|id| self.cen.attachments.get(id))
            .filter(move |a| a.vpc_id() == Some(vpc_id))
    }

    /// Routes auto-published into VPC `vpc_id`'s system table (§6.3.4 "Auto publish"):
    /// `(destination, attachment)` for every Active entry of the table associated with an
    /// auto-publishing attachment of the VPC whose next hop is not that attachment, unless the
    /// VPC already has an entry (vSwitch CIDR or custom route of the system table) for it.
    pub fn tr_published_routes(&self, vpc_id: &str, now: Timestamp) -> Vec<(Ipv4Net, String)> {
        let atts: Vec<&Attachment> = self
            .attachments_of_vpc(vpc_id)
            .filter(|a| a.auto_publish && a.lifecycle.at(now) == AttachStatus::Attached)
            .collect();
        if atts.is_empty() {
            return Vec::new();
        }
        let Some(vpc) = self.vpcs.get(vpc_id) else {
            return Vec::new();
        };
        let mut taken: BTreeSet<Ipv4Net> =
            self.vswitches_of(vpc_id).map(|s| s.cidr_block).collect();
        for e in self.route_entries_of(&vpc.system_route_table_id) {
            if let ipnet::IpNet::V4(d) = e.destination {
                taken.insert(d);
            }
        }
        let routes = self.tr_routes(now);
        let mut out = Vec::new();
        for a in atts {
            let Some(t) = self.cen.association(&a.transit_router_id, &a.attachment_id) else {
                continue;
            };
            for r in routes.get(&t.route_table_id).into_iter().flatten() {
                if r.status == super::routing::TrRouteStatus::Active
                    && r.next_hop.attachment() != Some(a.attachment_id.as_str())
                    && taken.insert(r.destination)
                {
                    out.push((r.destination, a.attachment_id.clone()));
                }
            }
        }
        out
    }

    /// §2.4.4 step 7/11 for `NextHopType=Attachment`: a TR VPC attachment of this VPC, Attached.
    pub(crate) fn check_attachment_next_hop(
        &self,
        now: Timestamp,
        vpc_id: &str,
        id: &str,
    ) -> Result<(), CloudError> {
        let a = self.cen.attachments.get(id).ok_or_else(|| {
            CloudError::not_found(
                "InvalidAttachment.NotFound",
                format!("The specified next hop {id} does not exist."),
            )
        })?;
        if a.vpc_id() != Some(vpc_id) || a.lifecycle.at(now) != AttachStatus::Attached {
            return Err(CloudError::bad(
                "IllegalParam.AttachmentId",
                format!("The attachment {id} is not an attached TR VPC attachment of this VPC."),
            ));
        }
        Ok(())
    }

    // ---- lookups visible to the caller ---------------------------------------------------

    pub(crate) fn own_cen(&self, caller: &str, id: &str) -> Result<&Cen, CloudError> {
        self.cen
            .cens
            .get(id)
            .filter(|c| c.owner_uid == caller)
            .ok_or_else(|| cen_not_found(id))
    }
    pub(crate) fn own_tr(&self, caller: &str, id: &str) -> Result<&TransitRouter, CloudError> {
        self.cen
            .transit_routers
            .get(id)
            .filter(|t| t.owner_uid == caller)
            .ok_or_else(|| tr_not_found(id))
    }
    pub(crate) fn own_attachment(&self, caller: &str, id: &str) -> Result<&Attachment, CloudError> {
        self.cen
            .attachments
            .get(id)
            .filter(|a| a.owner_uid == caller)
            .ok_or_else(|| attachment_not_found(id))
    }
    pub(crate) fn own_table(
        &self,
        caller: &str,
        id: &str,
    ) -> Result<(&TrRouteTable, &TransitRouter), CloudError> {
        let t = self
            .cen
            .route_tables
            .get(id)
            .ok_or_else(|| table_not_found(id))?;
        let tr = self
            .cen
            .transit_routers
            .get(&t.transit_router_id)
            .filter(|x| x.owner_uid == caller)
            .ok_or_else(|| table_not_found(id))?;
        Ok((t, tr))
    }
    pub(crate) fn own_bwp(&self, caller: &str, id: &str) -> Result<&BandwidthPackage, CloudError> {
        self.cen
            .bandwidth_packages
            .get(id)
            .filter(|b| b.owner_uid == caller)
            .ok_or_else(|| bwp_not_found(id))
    }

    fn tr_ready(&self, tr: &TransitRouter, now: Timestamp) -> Result<(), CloudError> {
        if tr.lifecycle.at(now) != CenStatus::Active {
            return Err(tr_status(&tr.transit_router_id));
        }
        Ok(())
    }

    fn cen_lifecycle<S: Copy + PartialEq>(&self, from: S, to: S, now: Timestamp) -> Lifecycle<S> {
        Lifecycle::start(self.stepped(), from, to, self.settle_at(now))
    }

    // ---- CEN and bandwidth packages --------------------------------------------------------

    pub(crate) fn plan_create_cen(
        &self,
        ctx: &CallContext,
        now: Timestamp,
        p: &CreateCen,
    ) -> Result<Cen, CloudError> {
        let acct = self.caller_account(ctx)?;
        texts(p.name.as_deref(), p.description.as_deref())?;
        let level = p
            .protection_level
            .clone()
            .unwrap_or_else(|| "REDUCED".into());
        if level != "REDUCED" {
            return Err(CloudError::bad(
                "InvalidParameter",
                "ProtectionLevel must be REDUCED.",
            ));
        }
        let rg = match &p.resource_group_id {
            Some(rg) if !acct.resource_groups.contains(rg) => {
                return Err(CloudError::bad(
                    "IllegalParam.ResourceGroupId",
                    format!("The resource group {rg} does not exist."),
                ))
            }
            Some(rg) => rg.clone(),
            None => acct.default_resource_group().to_string(),
        };
        Ok(Cen {
            cen_id: String::new(),
            owner_uid: acct.uid.clone(),
            name: p.name.clone().unwrap_or_default(),
            description: p.description.clone().unwrap_or_default(),
            protection_level: level,
            resource_group_id: rg,
            lifecycle: self.cen_lifecycle(CenStatus::Creating, CenStatus::Active, now),
            creation_time: now,
        })
    }

    pub(crate) fn apply_create_cen(&mut self, mut cen: Cen) -> Value {
        let id = self.ids.next("cen", "");
        cen.cen_id = id.clone();
        self.cen.cens.insert(id.clone(), cen);
        json!({"CenId": id})
    }

    pub(crate) fn plan_delete_cen(
        &self,
        ctx: &CallContext,
        p: &DeleteCen,
    ) -> Result<String, CloudError> {
        let c = self.own_cen(&ctx.caller_account, &p.cen_id)?;
        if group(&self.cen.index().trs_by_cen, &c.cen_id)
            .next()
            .is_some()
        {
            // ASSUMED code: a CEN with transit routers cannot be deleted (§6.4).
            return Err(CloudError::bad(
                "DependencyViolation.TransitRouter",
                "The CEN instance still has transit routers.",
            ));
        }
        if self
            .cen
            .bandwidth_packages
            .values()
            .any(|b| b.cen_id.as_deref() == Some(c.cen_id.as_str()))
        {
            // ASSUMED code: associated bandwidth packages must be unassociated first.
            return Err(CloudError::bad(
                "DependencyViolation.BandwidthPackage",
                "The CEN instance still has associated bandwidth packages.",
            ));
        }
        Ok(c.cen_id.clone())
    }

    pub(crate) fn plan_create_bwp(
        &self,
        ctx: &CallContext,
        now: Timestamp,
        p: &CreateCenBandwidthPackage,
    ) -> Result<BandwidthPackage, CloudError> {
        let acct = self.caller_account(ctx)?;
        texts(p.name.as_deref(), p.description.as_deref())?;
        if !(2..=10000).contains(&p.bandwidth) {
            return Err(CloudError::bad(
                "IllegalParam.Bandwidth",
                "Bandwidth must be between 2 and 10000 Mbit/s.",
            ));
        }
        for (name, v) in [
            ("GeographicRegionAId", &p.area_a),
            ("GeographicRegionBId", &p.area_b),
        ] {
            if !AREAS.contains(&v.as_str()) {
                return Err(CloudError::invalid_param(
                    name,
                    "one of China, North-America, Asia-Pacific, Europe, Australia",
                ));
            }
        }
        if let Some(ct) = &p.charge_type {
            if ct != "PREPAY" {
                return Err(CloudError::invalid_param(
                    "BandwidthPackageChargeType",
                    "only PREPAY",
                ));
            }
        }
        let cycle = p.pricing_cycle.clone().unwrap_or_else(|| "Month".into());
        if cycle != "Month" && cycle != "Year" {
            return Err(CloudError::invalid_param("PricingCycle", "Month or Year"));
        }
        let cross = (p.area_a == "China") != (p.area_b == "China");
        if cross && !acct.cross_border_qualified {
            return Err(CloudError::bad(
                "OperationInvalid.UserCanNotBuyCrossBorderBwp",
                "The account is not qualified to buy cross-border bandwidth packages.",
            ));
        }
        Ok(BandwidthPackage {
            package_id: String::new(),
            owner_uid: acct.uid.clone(),
            bandwidth: p.bandwidth,
            area_a: p.area_a.clone(),
            area_b: p.area_b.clone(),
            period: p.period.unwrap_or(1),
            pricing_cycle: cycle,
            name: p.name.clone().unwrap_or_default(),
            description: p.description.clone().unwrap_or_default(),
            cen_id: None,
            creation_time: now,
        })
    }

    pub(crate) fn apply_create_bwp(&mut self, mut b: BandwidthPackage) -> Value {
        let id = self.ids.next("cenbwp", "");
        b.package_id = id.clone();
        self.cen.bandwidth_packages.insert(id.clone(), b);
        json!({"CenBandwidthPackageId": id})
    }

    pub(crate) fn plan_associate_bwp(
        &self,
        ctx: &CallContext,
        p: &AssociateCenBandwidthPackage,
    ) -> Result<(String, String), CloudError> {
        let c = self.own_cen(&ctx.caller_account, &p.cen_id)?;
        let b = self.own_bwp(&ctx.caller_account, &p.package_id)?;
        if b.cen_id.is_some() {
            // ASSUMED code: a package serves one CEN.
            return Err(CloudError::bad(
                "InvalidOperation.BwpAlreadyAssociated",
                "The bandwidth package is already associated with a CEN instance.",
            ));
        }
        let same_pair = self.cen.bandwidth_packages.values().any(|o| {
            o.cen_id.as_deref() == Some(c.cen_id.as_str()) && o.covers(&b.area_a, &b.area_b)
        });
        if same_pair {
            return Err(CloudError::bad(
                "InvalidOperation.BwpAreaPairExists",
                "The CEN instance already has a bandwidth package for this area pair.",
            ));
        }
        Ok((c.cen_id.clone(), b.package_id.clone()))
    }

    pub(crate) fn plan_unassociate_bwp(
        &self,
        ctx: &CallContext,
        p: &UnassociateCenBandwidthPackage,
    ) -> Result<String, CloudError> {
        let c = self.own_cen(&ctx.caller_account, &p.cen_id)?;
        let b = self.own_bwp(&ctx.caller_account, &p.package_id)?;
        if b.cen_id.as_deref() != Some(c.cen_id.as_str()) {
            return Err(CloudError::bad(
                "InvalidOperation.BwpNotAssociated",
                "The bandwidth package is not associated with the CEN instance.",
            ));
        }
        let in_use = |a: &Attachment| matches!(&a.kind, AttachKind::Peer { package_id: Some(x), .. } if x == &b.package_id);
        // Peer attachments draw on packages associated with their own CEN.
        let used = match &b.cen_id {
            Some(c) => group(&self.cen.index().atts_by_cen, c)
                .filter_map(|id| self.cen.attachments.get(id))
                .any(in_use),
            None => self.cen.attachments.values().any(in_use),
        };
        if used {
            // ASSUMED code: bandwidth is still allocated to a peer attachment.
            return Err(CloudError::bad(
                "InvalidOperation.BwpInUse",
                "Bandwidth of the package is allocated to an inter-region connection.",
            ));
        }
        Ok(b.package_id.clone())
    }

    // ---- transit routers ---------------------------------------------------------------

    fn new_tr(&self, acct: &str, cen_id: &str, region: &str, now: Timestamp) -> TransitRouter {
        TransitRouter {
            transit_router_id: String::new(),
            cen_id: cen_id.to_string(),
            region_id: region.to_string(),
            owner_uid: acct.to_string(),
            tr_type: TrType::Enterprise,
            system_route_table_id: String::new(),
            name: String::new(),
            description: String::new(),
            support_multicast: false,
            cidrs: Vec::new(),
            lifecycle: self.cen_lifecycle(CenStatus::Creating, CenStatus::Active, now),
            creation_time: now,
        }
    }

    /// Checks shared by CreateTransitRouter and the implicit TR of a VPC attachment.
    fn check_new_tr(&self, acct: &str, cen_id: &str, region: &str) -> Result<(), CloudError> {
        let a = self.accounts.get(acct);
        if a.is_some_and(|a| !a.tr_service_opened) {
            return Err(CloudError::bad(
                "Forbbiden.TransitRouterServiceNotOpen",
                "The transit router service is not activated.",
            ));
        }
        if self.cen.tr_in(cen_id, region).is_some() {
            return Err(CloudError::bad(
                "InstanceExist.TransitRouterInstance",
                "The CEN instance already has a transit router in this region.",
            ));
        }
        Ok(())
    }

    pub(crate) fn plan_create_tr(
        &self,
        ctx: &CallContext,
        now: Timestamp,
        p: &CreateTransitRouter,
    ) -> Result<TransitRouter, CloudError> {
        let acct = self.caller_account(ctx)?.uid.clone();
        if self.region(&p.region_id).is_none() {
            return Err(CloudError::bad(
                "OperationUnsupported.RegionId",
                format!(
                    "Transit routers are not supported in region {}.",
                    p.region_id
                ),
            ));
        }
        texts(p.name.as_deref(), p.description.as_deref())?;
        let c = self.own_cen(&acct, &p.cen_id)?;
        self.check_new_tr(&acct, &c.cen_id, &p.region_id)?;
        for cidr in &p.cidrs {
            if crate::cloud::vpc::parse_strict_v4(cidr).is_none() {
                return Err(CloudError::invalid_param(
                    "TransitRouterCidrList.N.Cidr",
                    "a strict IPv4 CIDR",
                ));
            }
        }
        if p.dry_run {
            return Err(CloudError::dry_run());
        }
        let mut tr = self.new_tr(&acct, &c.cen_id, &p.region_id, now);
        tr.name = p.name.clone().unwrap_or_default();
        tr.description = p.description.clone().unwrap_or_default();
        tr.support_multicast = p.support_multicast;
        tr.cidrs = p.cidrs.clone();
        Ok(tr)
    }

    /// Inserts a planned TR with its system route table; returns the TR id.
    pub(crate) fn insert_tr(&mut self, mut tr: TransitRouter) -> String {
        let id = self.new_id("tr", &tr.region_id.clone());
        let table = self.new_id("vtb", &tr.region_id.clone());
        tr.transit_router_id = id.clone();
        tr.system_route_table_id = table.clone();
        self.cen.route_tables.insert(
            table.clone(),
            TrRouteTable {
                route_table_id: table,
                transit_router_id: id.clone(),
                table_type: TrTableType::System,
                associations: BTreeSet::new(),
                propagations: BTreeSet::new(),
                lifecycle: tr.lifecycle,
                creation_time: tr.creation_time,
            },
        );
        self.cen.transit_routers.insert(id.clone(), tr);
        self.cen.note_tr_inserted(&id);
        id
    }

    pub(crate) fn plan_delete_tr(
        &self,
        ctx: &CallContext,
        now: Timestamp,
        p: &DeleteTransitRouter,
    ) -> Result<String, CloudError> {
        let tr = self.own_tr(&ctx.caller_account, &p.transit_router_id)?;
        self.tr_ready(tr, now)?;
        let id = tr.transit_router_id.as_str();
        if group(&self.cen.index().atts_by_tr, id).next().is_some() {
            // ASSUMED code: attachments must be deleted first (Alibaba's prerequisite).
            return Err(CloudError::bad(
                "DependencyViolation.TransitRouterAttachment",
                "The transit router still has network instance connections.",
            ));
        }
        if self
            .cen
            .tables_of(id)
            .any(|t| t.table_type == TrTableType::Custom)
        {
            return Err(CloudError::bad(
                "DependencyViolation.TransitRouterRouteTable",
                "The transit router still has custom route tables.",
            ));
        }
        if p.dry_run {
            return Err(CloudError::dry_run());
        }
        Ok(id.to_string())
    }

    pub(crate) fn apply_delete_tr(&mut self, id: &str) -> Value {
        self.cen.remove_tr(id);
        json!({})
    }

    // ---- VPC attachments -----------------------------------------------------------------

    pub(crate) fn plan_vpc_attach(
        &self,
        ctx: &CallContext,
        now: Timestamp,
        p: &CreateTransitRouterVpcAttachment,
    ) -> Result<VpcAttachPlan, CloudError> {
        let acct = self.caller_account(ctx)?.uid.clone();
        texts(p.name.as_deref(), p.description.as_deref())?;
        // #1
        if p.cen_id.is_none() && p.transit_router_id.is_none() {
            return Err(CloudError::bad(
                "MissingParam.CenIdOrRegionId",
                "Either CenId or TransitRouterId must be given.",
            ));
        }
        // #2
        let (tr, implicit) = match &p.transit_router_id {
            Some(id) => {
                let tr = self
                    .own_tr(&acct, id)
                    .ok()
                    .filter(|t| t.region_id == p.region_id)
                    .filter(|t| p.cen_id.as_ref().is_none_or(|c| c == &t.cen_id))
                    .ok_or_else(|| tr_not_found(id))?;
                (Some(tr), None)
            }
            None => {
                let cen = p.cen_id.as_deref().unwrap_or_default();
                let c = self.own_cen(&acct, cen)?;
                match self.cen.tr_in(&c.cen_id, &p.region_id) {
                    Some(tr) => (Some(tr), None),
                    None => {
                        self.check_new_tr(&acct, &c.cen_id, &p.region_id)?;
                        (None, Some(self.new_tr(&acct, &c.cen_id, &p.region_id, now)))
                    }
                }
            }
        };
        if let Some(tr) = tr {
            self.tr_ready(tr, now)?;
            if tr.tr_type != TrType::Enterprise {
                return Err(tr_type_unsupported());
            }
        }
        let cen_id = tr
            .map(|t| t.cen_id.clone())
            .or_else(|| implicit.as_ref().map(|t| t.cen_id.clone()))
            .unwrap_or_default();
        // #3 (the VPC of `VpcOwnerId` for a cross-account attachment, §9.4)
        let vpc_owner = p.vpc_owner_id.as_deref().unwrap_or(&acct);
        let vpc = self
            .vpcs
            .get(&p.vpc_id)
            .filter(|v| v.region_id == p.region_id && v.owner_uid == vpc_owner)
            .ok_or_else(|| {
                // ASSUMED: a missing VPC is reported like one in a wrong status.
                CloudError::bad(
                    "IncorrectStatus.Vpc",
                    format!("The VPC {} does not exist or is not available.", p.vpc_id),
                )
            })?;
        if vpc.lifecycle.at(now) != NetStatus::Available {
            return Err(CloudError::bad(
                "IncorrectStatus.Vpc",
                format!("The status of VPC {} is incorrect.", p.vpc_id),
            ));
        }
        if vpc_owner != acct {
            self.check_vpc_grant(&vpc.vpc_id, &cen_id, &acct)?;
        }
        if p.zones.is_empty() {
            return Err(CloudError::missing("ZoneMappings.N.VSwitchId"));
        }
        if p.zones.len() > 10 {
            return Err(CloudError::invalid_param(
                "ZoneMappings",
                "at most 10 zones",
            ));
        }
        let region_zones = self.zones_of(&p.region_id);
        let mut seen = BTreeSet::new();
        for (zone, vsw_id) in &p.zones {
            // #4
            if !region_zones.contains(zone) {
                return Err(CloudError::bad(
                    "IllegalParam.ZoneId",
                    format!("The zone {zone} is not supported by the transit router."),
                ));
            }
            // #5
            let vsw = self
                .vswitches
                .get(vsw_id)
                .filter(|s| s.region_id == p.region_id)
                .ok_or_else(|| {
                    CloudError::not_found(
                        "InvalidVSwitchId.NotFound",
                        format!("The vSwitch {vsw_id} does not exist."),
                    )
                })?;
            if vsw.vpc_id != vpc.vpc_id || &vsw.zone_id != zone {
                return Err(CloudError::bad(
                    "IllegalParam.VSwitchId",
                    format!(
                        "The vSwitch {vsw_id} is not in VPC {} and zone {zone}.",
                        vpc.vpc_id
                    ),
                ));
            }
            if vsw.lifecycle.at(now) != NetStatus::Available {
                return Err(CloudError::bad(
                    "IncorrectStatus.VpcOrVswitch",
                    format!("The status of vSwitch {vsw_id} is incorrect."),
                ));
            }
            // #6
            if !seen.insert(zone.clone()) {
                return Err(CloudError::bad(
                    "Duplicated.ZoneMapping",
                    format!("The zone {zone} is given twice."),
                ));
            }
            // #7
            if self.ecs.addresses.lowest_free(vsw, 1).is_empty() {
                return Err(CloudError::bad(
                    "InsufficientIpAddr.vsw",
                    format!("The vSwitch {vsw_id} has no free IP address."),
                ));
            }
        }
        // #8 (ASSUMED rule and code)
        if self
            .attachments_of_vpc(&vpc.vpc_id)
            .any(|a| a.cen_id == cen_id)
        {
            return Err(CloudError::bad(
                "QuotaFull.ChildInstanceRelatedCen",
                format!(
                    "The VPC {} is already attached to the CEN instance.",
                    vpc.vpc_id
                ),
            ));
        }
        // #9
        if let Some(tr) = tr {
            let n = group(&self.cen.index().atts_by_tr, &tr.transit_router_id)
                .filter_map(|id| self.cen.attachments.get(id))
                .filter(|a| a.transit_router_id == tr.transit_router_id && a.vpc_id().is_some())
                .count();
            if n >= VPC_ATTACHMENTS_PER_TR {
                return Err(CloudError::bad(
                    "QuotaExceeded.CenQuotaVpcAttachPerTransitRouter",
                    "The number of VPC attachments of the transit router exceeds the quota.",
                ));
            }
        }
        if p.dry_run {
            return Err(CloudError::dry_run());
        }
        Ok(VpcAttachPlan {
            attachment: Attachment {
                attachment_id: String::new(),
                cen_id,
                transit_router_id: tr.map(|t| t.transit_router_id.clone()).unwrap_or_default(),
                region_id: p.region_id.clone(),
                owner_uid: acct.clone(),
                kind: AttachKind::Vpc {
                    vpc_id: vpc.vpc_id.clone(),
                    vpc_owner_uid: vpc.owner_uid.clone(),
                    zones: Vec::new(),
                },
                auto_publish: p.auto_publish,
                name: p.name.clone().unwrap_or_default(),
                description: p.description.clone().unwrap_or_default(),
                lifecycle: self.cen_lifecycle(AttachStatus::Attaching, AttachStatus::Attached, now),
                creation_time: now,
            },
            implicit_tr: implicit,
            zones: p.zones.clone(),
        })
    }

    pub(crate) fn apply_vpc_attach(&mut self, now: Timestamp, plan: VpcAttachPlan) -> Value {
        let VpcAttachPlan {
            implicit_tr,
            mut attachment,
            zones,
        } = plan;
        if let Some(tr) = implicit_tr {
            attachment.transit_router_id = self.insert_tr(tr);
        }
        let region = attachment.region_id.clone();
        let id = self.new_id("tr-attach", &region);
        attachment.attachment_id = id.clone();
        // The service-managed ENIs belong to the VPC's account (ASSUMED for a cross-account
        // attachment: they live in that account's vSwitches).
        let eni_owner = match &attachment.kind {
            AttachKind::Vpc { vpc_owner_uid, .. } => vpc_owner_uid.clone(),
            AttachKind::Peer { .. } => attachment.owner_uid.clone(),
        };
        let ctx = OpCtx {
            caller: eni_owner,
            region_id: region,
            now,
            stepped: false,
            settle_delay_secs: self.options.settle_delay_secs,
        };
        let mut mapped = Vec::new();
        for (zone, vsw) in zones {
            let net = NetRefs {
                vpcs: &self.vpcs,
                vswitches: &self.vswitches,
            };
            let made = create_service_eni(
                &mut self.ecs,
                &net,
                &mut self.ids,
                &ctx,
                &CreateServiceEni {
                    vswitch_id: vsw.clone(),
                    private_ip: None,
                    security_group_ids: Vec::new(),
                    service_owner: format!("cen:{id}"),
                },
            );
            // INVARIANT: the plan checked that the vSwitch exists in the region and has a free
            // address, and no other zone mapping uses the same vSwitch (zones are distinct).
            if let Ok(eni) = made {
                mapped.push(ZoneMapping {
                    zone_id: zone,
                    vswitch_id: vsw,
                    network_interface_id: eni,
                });
            }
        }
        if let AttachKind::Vpc { zones, .. } = &mut attachment.kind {
            *zones = mapped;
        }
        self.cen.attachments.insert(id.clone(), attachment);
        self.cen.note_attachment_inserted(&id);
        json!({"TransitRouterAttachmentId": id})
    }

    /// Ids of the VPC route entries whose next hop is attachment `a` (the next hop check of
    /// §2.4.4 keeps them in the tables of `a`'s own VPC).
    fn vpc_routes_via(&self, a: &Attachment) -> Vec<String> {
        let Some(vpc) = a.vpc_id() else {
            return Vec::new();
        };
        let id = a.attachment_id.as_str();
        self.route_tables_of(vpc)
            .flat_map(|t| self.route_entries_of(&t.route_table_id))
            .filter(|e| e.next_hop_type == Some(NextHopType::Attachment) && e.next_hop_id == id)
            .map(|e| e.route_entry_id.clone())
            .collect()
    }

    /// The tables attachment `id` is associated with (`true`) or propagates into (`false`).
    fn linked_tables(&self, id: &str, associated: bool) -> bool {
        group(&self.cen.index().links_of_att, id)
            .filter_map(|t| self.cen.route_tables.get(t))
            .any(|t| {
                if associated {
                    t.associations.contains(id)
                } else {
                    t.propagations.contains(id)
                }
            })
    }

    /// The dependency checks of §6.4 for deleting attachment `a` without `Force`.
    fn attachment_dependencies(&self, a: &Attachment) -> Result<(), CloudError> {
        let id = a.attachment_id.as_str();
        if !self.vpc_routes_via(a).is_empty() {
            return Err(CloudError::bad(
                "OperationFailed.AttachmentReferencedVpcRouteEntryExisted",
                "VPC route entries still use the attachment as next hop.",
            ));
        }
        if self.linked_tables(id, true) {
            return Err(CloudError::bad(
                "OperationFailed.RouteTableAssociationExist",
                "Operation failed because TransitRouterRouteTable exists",
            ));
        }
        if self.linked_tables(id, false) {
            return Err(CloudError::bad(
                "OperationFailed.RouteTablePropagationExist",
                "The attachment still propagates routes to a route table.",
            ));
        }
        if a.ends()
            .iter()
            .flat_map(|tr| self.cen.tables_of(tr))
            .flat_map(|t| self.cen.statics_of(&t.route_table_id))
            .any(|e| e.next_hop.attachment() == Some(id))
        {
            return Err(CloudError::bad(
                "OperationFailed.RouteEntryExist",
                "Transit router route entries still point to the attachment.",
            ));
        }
        Ok(())
    }

    pub(crate) fn plan_delete_attachment(
        &self,
        ctx: &CallContext,
        now: Timestamp,
        id: &str,
        vpc: bool,
        force: bool,
        dry_run: bool,
    ) -> Result<String, CloudError> {
        let a = self
            .own_attachment(&ctx.caller_account, id)
            .ok()
            .filter(|a| a.vpc_id().is_some() == vpc)
            .ok_or_else(|| attachment_not_found(id))?;
        if a.lifecycle.at(now) != AttachStatus::Attached {
            return Err(attachment_status(id));
        }
        if !force {
            self.attachment_dependencies(a)?;
        }
        if dry_run {
            return Err(CloudError::dry_run());
        }
        Ok(a.attachment_id.clone())
    }

    /// Removes an attachment and (Force) everything that depends on it: VPC routes through it
    /// (one `DeleteRouteEntry` service event each), TR static entries, associations,
    /// propagations; then its ENIs.
    pub(crate) fn apply_delete_attachment(&mut self, now: Timestamp, id: &str) -> Value {
        let routes: Vec<String> = self
            .cen
            .attachments
            .get(id)
            .map(|a| self.vpc_routes_via(a))
            .unwrap_or_default();
        for r in routes {
            if let Some(e) = self.remove_route_entry(&r) {
                let owner = self
                    .vpcs
                    .get(&e.vpc_id)
                    .map(|v| v.owner_uid.clone())
                    .unwrap_or_default();
                self.service_events.push(ServiceEvent {
                    time: now,
                    event_name: "DeleteRouteEntry".into(),
                    resource_type: "ACS::VPC::RouteEntry".into(),
                    resource_id: e.route_entry_id.clone(),
                    recipient_account_id: owner,
                    detail: json!({"Reason": "TransitRouterAttachmentDeleted", "TransitRouterAttachmentId": id}),
                });
            }
        }
        if let Some(a) = self.cen.remove_attachment(id) {
            if let AttachKind::Vpc { zones, .. } = a.kind {
                for z in zones {
                    // INVARIANT: the ENI was created for this attachment; a missing one has
                    // nothing left to remove.
                    let _ = delete_service_eni(
                        &mut self.ecs,
                        &z.network_interface_id,
                        &format!("cen:{id}"),
                    );
                }
            }
        }
        json!({})
    }

    // ---- peer attachments ----------------------------------------------------------------

    pub(crate) fn plan_peer_attach(
        &self,
        ctx: &CallContext,
        now: Timestamp,
        p: &CreateTransitRouterPeerAttachment,
    ) -> Result<Attachment, CloudError> {
        let acct = self.caller_account(ctx)?.uid.clone();
        texts(p.name.as_deref(), p.description.as_deref())?;
        // #1
        let local = match &p.transit_router_id {
            Some(id) => self
                .own_tr(&acct, id)
                .ok()
                .filter(|t| t.region_id == p.region_id)
                .ok_or_else(|| tr_not_found(id))?,
            None => {
                let cen = p
                    .cen_id
                    .as_deref()
                    .ok_or_else(|| CloudError::missing("TransitRouterId"))?;
                let c = self.own_cen(&acct, cen)?;
                self.cen
                    .tr_in(&c.cen_id, &p.region_id)
                    .ok_or_else(|| tr_not_found(""))?
            }
        };
        if p.cen_id.as_ref().is_some_and(|c| c != &local.cen_id) {
            return Err(tr_not_found(&local.transit_router_id));
        }
        // #2
        let peer = self
            .own_tr(&acct, &p.peer_transit_router_id)
            .ok()
            .filter(|t| p.peer_region_id.as_ref().is_none_or(|r| r == &t.region_id))
            .ok_or_else(|| {
                CloudError::not_found(
                    "InvalidPeerTransitRouterId.NotFound",
                    format!(
                        "The specified peer transit router {} does not exist.",
                        p.peer_transit_router_id
                    ),
                )
            })?;
        // #3
        if local.tr_type != TrType::Enterprise || peer.tr_type != TrType::Enterprise {
            return Err(tr_type_unsupported());
        }
        self.tr_ready(local, now)?;
        self.tr_ready(peer, now)?;
        // #4 (ASSUMED mapping)
        if local.cen_id != peer.cen_id || local.region_id == peer.region_id {
            return Err(CloudError::bad(
                "IllegalParam.PeerTransitRouterId",
                "The peer transit router must be of the same CEN instance in another region.",
            ));
        }
        let btype = p
            .bandwidth_type
            .clone()
            .unwrap_or_else(|| "BandwidthPackage".into());
        let link = p.link_type.clone().unwrap_or_else(|| "Gold".into());
        let mut package = None;
        match btype.as_str() {
            "BandwidthPackage" => {
                // #5
                let pk = p
                    .package_id
                    .as_deref()
                    .and_then(|id| self.own_bwp(&acct, id).ok())
                    .filter(|b| b.cen_id.as_deref() == Some(local.cen_id.as_str()))
                    .filter(|b| {
                        b.covers(
                            area_of(self, &local.region_id),
                            area_of(self, &peer.region_id),
                        )
                    })
                    .ok_or_else(|| {
                        CloudError::bad(
                            "InvalidOperation.BwpNotAssociated",
                            "No bandwidth package of the CEN instance covers the two regions.",
                        )
                    })?;
                // #7
                let bw = p.bandwidth.ok_or_else(|| {
                    CloudError::bad("MissingParam.Bandwidth", "Bandwidth is required.")
                })?;
                if bw <= 0 {
                    return Err(CloudError::bad(
                        "IllegalParam.Bandwidth",
                        "Bandwidth must be greater than 0.",
                    ));
                }
                // #6
                // Only attachments of the package's CEN draw on it (it is associated with it).
                let used: i64 = group(&self.cen.index().atts_by_cen, &local.cen_id)
                    .filter_map(|id| self.cen.attachments.get(id))
                    .filter_map(|a| match &a.kind {
                        AttachKind::Peer {
                            package_id: Some(x),
                            bandwidth,
                            ..
                        } if x == &pk.package_id => Some(*bandwidth),
                        _ => None,
                    })
                    .sum();
                if used.saturating_add(bw) > pk.bandwidth {
                    return Err(CloudError::bad(
                        "InvalidOperation.BwpBandwidthExceeded",
                        "The bandwidth exceeds what is left in the bandwidth package.",
                    ));
                }
                package = Some(pk.package_id.clone());
            }
            "DataTransfer" => {
                if p.bandwidth.is_some_and(|b| b < 0) {
                    return Err(CloudError::bad(
                        "IllegalParam.Bandwidth",
                        "Bandwidth must not be negative.",
                    ));
                }
            }
            _ => {
                return Err(CloudError::invalid_param(
                    "BandwidthType",
                    "BandwidthPackage or DataTransfer",
                ))
            }
        }
        // #8
        match link.as_str() {
            "Gold" => {}
            "Platinum" if btype == "DataTransfer" => {}
            "Platinum" => {
                return Err(CloudError::bad(
                    "ParameterIllegal.BandwidthPackageDefaultLinkTypeOnlySupportGold",
                    "Only Gold is supported with a bandwidth package.",
                ))
            }
            _ => {
                return Err(CloudError::invalid_param(
                    "DefaultLinkType",
                    "Gold or Platinum",
                ))
            }
        }
        // #9 (ASSUMED)
        let pair_exists = group(&self.cen.index().atts_by_tr, &local.transit_router_id)
            .filter_map(|id| self.cen.attachments.get(id))
            .any(|a| {
                let ends = a.ends();
                ends.len() == 2
                    && ends.contains(&local.transit_router_id.as_str())
                    && ends.contains(&peer.transit_router_id.as_str())
            });
        if pair_exists {
            return Err(CloudError::bad(
                "InvalidOperation",
                "An inter-region connection between the two transit routers already exists.",
            ));
        }
        if p.dry_run {
            return Err(CloudError::dry_run());
        }
        Ok(Attachment {
            attachment_id: String::new(),
            cen_id: local.cen_id.clone(),
            transit_router_id: local.transit_router_id.clone(),
            region_id: local.region_id.clone(),
            owner_uid: acct,
            kind: AttachKind::Peer {
                peer_transit_router_id: peer.transit_router_id.clone(),
                peer_region_id: peer.region_id.clone(),
                bandwidth_type: btype,
                bandwidth: p.bandwidth.unwrap_or(0),
                package_id: package,
                link_type: link,
            },
            auto_publish: p.auto_publish,
            name: p.name.clone().unwrap_or_default(),
            description: p.description.clone().unwrap_or_default(),
            lifecycle: self.cen_lifecycle(AttachStatus::Attaching, AttachStatus::Attached, now),
            creation_time: now,
        })
    }

    pub(crate) fn apply_peer_attach(&mut self, mut a: Attachment) -> Value {
        let id = self.new_id("tr-attach", &a.region_id.clone());
        a.attachment_id = id.clone();
        self.cen.attachments.insert(id.clone(), a);
        self.cen.note_attachment_inserted(&id);
        json!({"TransitRouterAttachmentId": id})
    }

    // ---- association and propagation -------------------------------------------------------

    /// Shared checks of Associate/Dissociate/Enable/Disable: the attachment, the table, the
    /// table's TR is an end of the attachment, both settled. Returns `(attachment, table, tr)`.
    fn link_pre(
        &self,
        ctx: &CallContext,
        now: Timestamp,
        att: &str,
        table: &str,
    ) -> Result<(&Attachment, &TrRouteTable, &TransitRouter), CloudError> {
        let a = self.own_attachment(&ctx.caller_account, att)?;
        let (t, tr) = self.own_table(&ctx.caller_account, table)?;
        if tr.tr_type != TrType::Enterprise {
            return Err(basic_no_tables());
        }
        if !a.ends().contains(&tr.transit_router_id.as_str()) {
            // ASSUMED code: the table belongs to a TR the attachment is not on.
            return Err(CloudError::bad(
                "IllegalParam.TransitRouterRouteTableId",
                "The route table and the attachment belong to different transit routers.",
            ));
        }
        if t.lifecycle.at(now) != CenStatus::Active {
            return Err(table_status(table));
        }
        if a.lifecycle.at(now) != AttachStatus::Attached {
            return Err(attachment_status(att));
        }
        Ok((a, t, tr))
    }

    pub(crate) fn plan_associate(
        &self,
        ctx: &CallContext,
        now: Timestamp,
        att: &str,
        table: &str,
        dry_run: bool,
    ) -> Result<(String, String), CloudError> {
        let (a, t, tr) = self.link_pre(ctx, now, att, table)?;
        if self.cen.association(&tr.transit_router_id, att).is_some() {
            return Err(CloudError::bad(
                "AssociationExist.TransitRouterTable",
                "The attachment is already associated with a route table of this transit router.",
            ));
        }
        if t.table_type == TrTableType::Custom && a.vpc_id().is_none() {
            let both = a.ends().iter().all(|x| {
                self.cen
                    .transit_routers
                    .get(*x)
                    .is_some_and(|r| r.tr_type == TrType::Enterprise)
            });
            if !both {
                return Err(CloudError::bad(
                    "IllegalParam.TransitRouterTableType",
                    "Peer attachments can use custom route tables only between Enterprise transit routers.",
                ));
            }
        }
        if dry_run {
            return Err(CloudError::dry_run());
        }
        Ok((a.attachment_id.clone(), t.route_table_id.clone()))
    }

    pub(crate) fn plan_dissociate(
        &self,
        ctx: &CallContext,
        now: Timestamp,
        att: &str,
        table: &str,
        dry_run: bool,
    ) -> Result<(String, String), CloudError> {
        let (a, t, _) = self.link_pre(ctx, now, att, table)?;
        if !t.associations.contains(att) {
            // ASSUMED code.
            return Err(CloudError::bad(
                "AssociationNotExist.TransitRouterTable",
                "The attachment is not associated with the route table.",
            ));
        }
        if dry_run {
            return Err(CloudError::dry_run());
        }
        Ok((a.attachment_id.clone(), t.route_table_id.clone()))
    }

    pub(crate) fn plan_enable_propagation(
        &self,
        ctx: &CallContext,
        now: Timestamp,
        att: &str,
        table: &str,
        dry_run: bool,
    ) -> Result<(String, String), CloudError> {
        let (a, t, _) = self.link_pre(ctx, now, att, table)?;
        if t.propagations.contains(att) {
            // ASSUMED code.
            return Err(CloudError::bad(
                "PropagationExist.TransitRouterTable",
                "The attachment already propagates to the route table.",
            ));
        }
        if dry_run {
            return Err(CloudError::dry_run());
        }
        Ok((a.attachment_id.clone(), t.route_table_id.clone()))
    }

    pub(crate) fn plan_disable_propagation(
        &self,
        ctx: &CallContext,
        now: Timestamp,
        att: &str,
        table: &str,
        dry_run: bool,
    ) -> Result<(String, String), CloudError> {
        let (a, t, _) = self.link_pre(ctx, now, att, table)?;
        if !t.propagations.contains(att) {
            // ASSUMED code.
            return Err(CloudError::bad(
                "PropagationNotExist.TransitRouterTable",
                "The attachment does not propagate to the route table.",
            ));
        }
        if dry_run {
            return Err(CloudError::dry_run());
        }
        Ok((a.attachment_id.clone(), t.route_table_id.clone()))
    }

    /// Applies one association/propagation change.
    pub(crate) fn apply_link(
        &mut self,
        att: &str,
        table: &str,
        associate: bool,
        on: bool,
    ) -> Value {
        self.cen.set_link(att, table, associate, on);
        json!({})
    }

    // ---- static routes -------------------------------------------------------------------

    pub(crate) fn plan_create_tr_route(
        &self,
        ctx: &CallContext,
        now: Timestamp,
        p: &CreateTransitRouterRouteEntry,
    ) -> Result<TrStaticEntry, CloudError> {
        texts(p.name.as_deref(), p.description.as_deref())?;
        let (t, tr) = self.own_table(&ctx.caller_account, &p.route_table_id)?;
        if tr.tr_type != TrType::Enterprise {
            return Err(basic_no_tables());
        }
        let hop = match p.next_hop_type.as_str() {
            "BlackHole" => {
                if p.next_hop_id.is_some() {
                    return Err(CloudError::bad(
                        "ParamExclusive.NextHopTypeBlackHoleAndNextHopId",
                        "A BlackHole route takes no next hop id.",
                    ));
                }
                TrNextHop::BlackHole
            }
            "Attachment" => {
                let id = p.next_hop_id.as_deref().ok_or_else(|| {
                    CloudError::bad(
                        "MissingParam.TransitRouterRouteEntryNextHopId",
                        "TransitRouterRouteEntryNextHopId is required.",
                    )
                })?;
                let ok = self.cen.attachments.get(id).is_some_and(|a| {
                    a.owner_uid == ctx.caller_account
                        && a.ends().contains(&tr.transit_router_id.as_str())
                });
                if !ok {
                    return Err(CloudError::bad(
                        "InvalidTransitRouterRouteEntryNextHopId.NotFound",
                        format!("The next hop {id} is not an attachment of the transit router."),
                    ));
                }
                TrNextHop::Attachment(id.to_string())
            }
            _ => {
                return Err(CloudError::invalid_param(
                    "TransitRouterRouteEntryNextHopType",
                    "BlackHole or Attachment",
                ))
            }
        };
        let dest = crate::cloud::vpc::parse_strict_v4(&p.destination).ok_or_else(|| {
            CloudError::bad(
                "IllegalParam.TransitRouterDestinationCidrBlock",
                format!(
                    "The destination {} is not a valid IPv4 CIDR block.",
                    p.destination
                ),
            )
        })?;
        if let Some(e) = self
            .cen
            .statics_of(&t.route_table_id)
            .find(|e| e.destination == dest)
        {
            return Err(if e.next_hop == hop {
                CloudError::bad(
                    "InstanceExist.TransitRouterRouteEntry",
                    "The route entry already exists.",
                )
            } else {
                CloudError::bad(
                    "OperationFailed.CreateRouteEntryWithSameDestinationCidrBlock",
                    "A static route entry with the same destination already exists.",
                )
            });
        }
        if self.cen.statics_of(&t.route_table_id).count() >= STATIC_ENTRIES_PER_TABLE {
            return Err(CloudError::bad(
                "QuotaExceeded.TransitRouterRoutEntry",
                "The number of route entries of the route table exceeds the quota.",
            ));
        }
        if t.lifecycle.at(now) != CenStatus::Active {
            return Err(table_status(&t.route_table_id));
        }
        if p.dry_run {
            return Err(CloudError::dry_run());
        }
        Ok(TrStaticEntry {
            route_entry_id: String::new(),
            route_table_id: t.route_table_id.clone(),
            destination: dest,
            next_hop: hop,
            name: p.name.clone().unwrap_or_default(),
            description: p.description.clone().unwrap_or_default(),
            lifecycle: self.cen_lifecycle(CenStatus::Creating, CenStatus::Active, now),
            creation_time: now,
        })
    }

    pub(crate) fn apply_create_tr_route(&mut self, mut e: TrStaticEntry) -> Value {
        let region = self
            .cen
            .route_tables
            .get(&e.route_table_id)
            .and_then(|t| self.cen.transit_routers.get(&t.transit_router_id))
            .map(|tr| tr.region_id.clone())
            .unwrap_or_default();
        let id = self.new_id("rte", &region);
        e.route_entry_id = id.clone();
        self.cen.static_entries.insert(id.clone(), e);
        self.cen.note_static_inserted(&id);
        json!({"TransitRouterRouteEntryId": id})
    }

    pub(crate) fn plan_delete_tr_route(
        &self,
        ctx: &CallContext,
        now: Timestamp,
        p: &DeleteTransitRouterRouteEntry,
    ) -> Result<String, CloudError> {
        let nf = |id: &str| {
            // ASSUMED code.
            CloudError::not_found(
                "InvalidTransitRouterRouteEntryId.NotFound",
                format!("The route entry {id} does not exist."),
            )
        };
        let entry = match (&p.route_entry_id, &p.route_table_id, &p.destination) {
            (Some(id), _, _) => {
                match self.cen.static_entries.get(id) {
                    Some(e) => {
                        self.own_table(&ctx.caller_account, &e.route_table_id)
                            .map_err(|_| nf(id))?;
                        e
                    }
                    None => {
                        // A propagated entry of one of the caller's tables cannot be deleted.
                        let routes = self.tr_routes(now);
                        let propagated = routes.tables().any(|(t, list)| {
                            self.own_table(&ctx.caller_account, t).is_ok()
                                && list.iter().any(|r| &r.route_entry_id == id)
                        });
                        return Err(if propagated {
                            // ASSUMED code.
                            CloudError::bad(
                                "IllegalParam.TransitRouterRouteEntryType",
                                "Propagated route entries cannot be deleted.",
                            )
                        } else {
                            nf(id)
                        });
                    }
                }
            }
            (None, Some(table), Some(d)) => {
                let (t, _) = self.own_table(&ctx.caller_account, table)?;
                let dest = crate::cloud::vpc::parse_strict_v4(d).ok_or_else(|| {
                    CloudError::bad(
                        "IllegalParam.TransitRouterDestinationCidrBlock",
                        format!("The destination {d} is not a valid IPv4 CIDR block."),
                    )
                })?;
                self.cen
                    .statics_of(&t.route_table_id)
                    .find(|e| e.destination == dest)
                    .ok_or_else(|| nf(d))?
            }
            _ => return Err(CloudError::missing("TransitRouterRouteEntryId")),
        };
        if entry.lifecycle.at(now) != CenStatus::Active {
            // ASSUMED code.
            return Err(CloudError::bad(
                "IncorrectStatus.TransitRouterRouteEntry",
                "The route entry is not Active.",
            ));
        }
        if p.dry_run {
            return Err(CloudError::dry_run());
        }
        Ok(entry.route_entry_id.clone())
    }
}
