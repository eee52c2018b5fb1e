//! CEN resources (§6.1–§6.3): CEN instances, bandwidth packages, transit routers, attachments,
//! TR route tables and static TR route entries. Propagated entries are not stored: they are a
//! function of these ([`super::routing`]).

use crate::cloud::lifecycle::Lifecycle;
use crate::cloud::time::Timestamp;
use ipnet::Ipv4Net;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Status of a CEN instance, transit router, TR route table or static TR route entry
/// (`Creating` → `Active`) [M-cbn].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum CenStatus {
    /// Being created (Stepped mode only).
    Creating,
    /// Usable.
    Active,
}

impl CenStatus {
    /// Alibaba spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            CenStatus::Creating => "Creating",
            CenStatus::Active => "Active",
        }
    }
}

/// Status of an attachment (`Attaching` → `Attached`) [M-cbn].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum AttachStatus {
    /// Being attached (Stepped mode only).
    Attaching,
    /// Attached.
    Attached,
}

impl AttachStatus {
    /// Alibaba spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            AttachStatus::Attaching => "Attaching",
            AttachStatus::Attached => "Attached",
        }
    }
}

/// A CEN instance (§6.1). Global: it has no region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cen {
    /// `cen-…`.
    pub cen_id: String,
    /// Owner account uid.
    pub owner_uid: String,
    /// `Name`.
    pub name: String,
    /// `Description`.
    pub description: String,
    /// `ProtectionLevel` (`REDUCED`).
    pub protection_level: String,
    /// `ResourceGroupId`.
    pub resource_group_id: String,
    /// Status.
    pub lifecycle: Lifecycle<CenStatus>,
    /// Creation time.
    pub creation_time: Timestamp,
}

/// A CEN bandwidth package (§6.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BandwidthPackage {
    /// `cenbwp-…`.
    pub package_id: String,
    /// Owner account uid.
    pub owner_uid: String,
    /// Mbit/s (2–10000).
    pub bandwidth: i64,
    /// `GeographicRegionAId`.
    pub area_a: String,
    /// `GeographicRegionBId`.
    pub area_b: String,
    /// `Period`.
    pub period: i64,
    /// `PricingCycle` (`Month` | `Year`).
    pub pricing_cycle: String,
    /// `Name`.
    pub name: String,
    /// `Description`.
    pub description: String,
    /// The CEN it is associated with (`InUse`), if any (`Idle`).
    pub cen_id: Option<String>,
    /// Creation time.
    pub creation_time: Timestamp,
}

impl BandwidthPackage {
    /// True when the package serves the (unordered) area pair `a`–`b`.
    pub fn covers(&self, a: &str, b: &str) -> bool {
        (self.area_a == a && self.area_b == b) || (self.area_a == b && self.area_b == a)
    }
}

/// Edition of a transit router (§6.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TrType {
    /// Enterprise edition: route tables, peer attachments, cross-region forwarding.
    Enterprise,
    /// Basic edition (legacy; world files only).
    Basic,
}

impl TrType {
    /// Alibaba spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            TrType::Enterprise => "Enterprise",
            TrType::Basic => "Basic",
        }
    }
}

/// A transit router (§6.3.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransitRouter {
    /// `tr-…`.
    pub transit_router_id: String,
    /// CEN.
    pub cen_id: String,
    /// Region.
    pub region_id: String,
    /// Owner account uid (the CEN's).
    pub owner_uid: String,
    /// Edition.
    pub tr_type: TrType,
    /// Its system route table (`vtb-…`).
    pub system_route_table_id: String,
    /// `TransitRouterName`.
    pub name: String,
    /// `TransitRouterDescription`.
    pub description: String,
    /// `SupportMulticast`.
    pub support_multicast: bool,
    /// `TransitRouterCidrList.N` (stored only).
    pub cidrs: Vec<String>,
    /// Status.
    pub lifecycle: Lifecycle<CenStatus>,
    /// Creation time.
    pub creation_time: Timestamp,
}

/// One zone of a VPC attachment and the service-managed ENI created for it (§6.3.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZoneMapping {
    /// Zone.
    pub zone_id: String,
    /// vSwitch.
    pub vswitch_id: String,
    /// The service-managed ENI in that vSwitch.
    pub network_interface_id: String,
}

/// What an attachment connects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AttachKind {
    /// A VPC of the TR's region (`ResourceType=VPC`, §6.3.2).
    Vpc {
        /// The attached VPC.
        vpc_id: String,
        /// Owner of the VPC.
        vpc_owner_uid: String,
        /// Zone mappings with their ENIs.
        zones: Vec<ZoneMapping>,
    },
    /// Another TR of the same CEN (`ResourceType=TR`, §6.3.3).
    Peer {
        /// The remote TR.
        peer_transit_router_id: String,
        /// The remote TR's region.
        peer_region_id: String,
        /// `BandwidthPackage` | `DataTransfer`.
        bandwidth_type: String,
        /// Mbit/s (0 when not given for DataTransfer).
        bandwidth: i64,
        /// The package the bandwidth is allocated from.
        package_id: Option<String>,
        /// `Gold` | `Platinum`.
        link_type: String,
    },
}

/// A TR attachment (`tr-attach-…`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// `tr-attach-…`.
    pub attachment_id: String,
    /// CEN.
    pub cen_id: String,
    /// The (local) TR.
    pub transit_router_id: String,
    /// The (local) TR's region.
    pub region_id: String,
    /// Owner (the CEN's).
    pub owner_uid: String,
    /// VPC or peer TR.
    pub kind: AttachKind,
    /// `AutoPublishRouteEnabled`.
    pub auto_publish: bool,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Status.
    pub lifecycle: Lifecycle<AttachStatus>,
    /// Creation time.
    pub creation_time: Timestamp,
}

impl Attachment {
    /// The attached VPC, for a VPC attachment.
    pub fn vpc_id(&self) -> Option<&str> {
        match &self.kind {
            AttachKind::Vpc { vpc_id, .. } => Some(vpc_id),
            AttachKind::Peer { .. } => None,
        }
    }

    /// The TRs this attachment has an end on (one for a VPC attachment, two for a peer).
    pub fn ends(&self) -> Vec<&str> {
        match &self.kind {
            AttachKind::Vpc { .. } => vec![self.transit_router_id.as_str()],
            AttachKind::Peer {
                peer_transit_router_id,
                ..
            } => vec![
                self.transit_router_id.as_str(),
                peer_transit_router_id.as_str(),
            ],
        }
    }

    /// For a peer attachment seen from TR `tr`: the other end.
    pub fn other_end(&self, tr: &str) -> Option<&str> {
        match &self.kind {
            AttachKind::Peer {
                peer_transit_router_id,
                ..
            } => {
                if self.transit_router_id == tr {
                    Some(peer_transit_router_id)
                } else if peer_transit_router_id == tr {
                    Some(&self.transit_router_id)
                } else {
                    None
                }
            }
            AttachKind::Vpc { .. } => None,
        }
    }

    /// `ResourceType` (`VPC` | `TR`).
    pub fn resource_type(&self) -> &'static str {
        match self.kind {
            AttachKind::Vpc { .. } => "VPC",
            AttachKind::Peer { .. } => "TR",
        }
    }
}

/// System or custom TR route table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TrTableType {
    /// Created with the TR.
    System,
    /// Created by the user (not modelled by any API here).
    Custom,
}

/// A TR route table with its associations and propagations (§6.3.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrRouteTable {
    /// `vtb-…`.
    pub route_table_id: String,
    /// The TR.
    pub transit_router_id: String,
    /// System or custom.
    pub table_type: TrTableType,
    /// Attachments that forward with this table (ingress side).
    pub associations: BTreeSet<String>,
    /// Attachments whose routes are learned into this table.
    pub propagations: BTreeSet<String>,
    /// Status.
    pub lifecycle: Lifecycle<CenStatus>,
    /// Creation time.
    pub creation_time: Timestamp,
}

/// Next hop of a TR route.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum TrNextHop {
    /// Drop.
    BlackHole,
    /// An attachment of the table's TR.
    Attachment(String),
}

impl TrNextHop {
    /// `BlackHole` | `Attachment`.
    pub fn type_str(&self) -> &'static str {
        match self {
            TrNextHop::BlackHole => "BlackHole",
            TrNextHop::Attachment(_) => "Attachment",
        }
    }

    /// The attachment id, if any.
    pub fn attachment(&self) -> Option<&str> {
        match self {
            TrNextHop::BlackHole => None,
            TrNextHop::Attachment(a) => Some(a),
        }
    }
}

/// A static TR route entry (`CreateTransitRouterRouteEntry`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrStaticEntry {
    /// `rte-…`.
    pub route_entry_id: String,
    /// Table.
    pub route_table_id: String,
    /// Destination.
    pub destination: Ipv4Net,
    /// Next hop.
    pub next_hop: TrNextHop,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Status.
    pub lifecycle: Lifecycle<CenStatus>,
    /// Creation time.
    pub creation_time: Timestamp,
}

/// A grant of a VPC to another account's CEN (`GrantInstanceToTransitRouter`, §9.4): the VPC
/// owner allows the transit routers of CEN `cen_id` (owned by `cen_owner_uid`) to attach it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrGrant {
    /// The granted network instance (a VPC id; the only `InstanceType` modelled).
    pub instance_id: String,
    /// `InstanceType` (`VPC`).
    pub instance_type: String,
    /// The VPC's region.
    pub region_id: String,
    /// The VPC owner (the granting account).
    pub owner_uid: String,
    /// The CEN granted to.
    pub cen_id: String,
    /// The CEN's owner account (`CenOwnerId`).
    pub cen_owner_uid: String,
    /// `OrderType` (`PayByCenOwner` | `PayByResourceOwner`).
    pub order_type: String,
    /// Creation time.
    pub creation_time: Timestamp,
}

impl TrGrant {
    /// The key of a grant in [`CenState::grants`]: `<instance>|<cen>`.
    pub fn key(instance_id: &str, cen_id: &str) -> String {
        format!("{instance_id}|{cen_id}")
    }
}

/// All CEN state. Ordered maps: the serialized form is deterministic.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CenState {
    /// CEN instances by id.
    pub cens: BTreeMap<String, Cen>,
    /// Bandwidth packages by id.
    pub bandwidth_packages: BTreeMap<String, BandwidthPackage>,
    /// Transit routers by id.
    pub transit_routers: BTreeMap<String, TransitRouter>,
    /// Attachments by id.
    pub attachments: BTreeMap<String, Attachment>,
    /// TR route tables by id.
    pub route_tables: BTreeMap<String, TrRouteTable>,
    /// Static TR route entries by id.
    pub static_entries: BTreeMap<String, TrStaticEntry>,
    /// Cross-account grants by [`TrGrant::key`] (absent from state files without any).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub grants: BTreeMap<String, TrGrant>,
    /// Lookup indexes and computed TR route tables (derived, not persisted, ignored by `==`).
    #[serde(skip)]
    pub(crate) derived: super::derived::CenDerived,
}

impl CenState {
    /// True when there is nothing in it (the world then leaves it out of its serialized form).
    pub fn is_empty(&self) -> bool {
        self.cens.is_empty()
            && self.bandwidth_packages.is_empty()
            && self.transit_routers.is_empty()
            && self.attachments.is_empty()
            && self.route_tables.is_empty()
            && self.static_entries.is_empty()
            && self.grants.is_empty()
    }

    /// The TR of `cen` in `region`, if any (one per region per CEN, §6.3.1).
    pub fn tr_in(&self, cen: &str, region: &str) -> Option<&TransitRouter> {
        let key = format!("{cen}|{region}");
        super::derived::group(&self.index().trs_by_cen_region, &key)
            .filter_map(|id| self.transit_routers.get(id))
            .find(|t| t.cen_id == cen && t.region_id == region)
    }

    /// Route tables of a TR, in id order.
    pub fn tables_of<'a>(&'a self, tr: &'a str) -> impl Iterator<Item = &'a TrRouteTable> + 'a {
        super::derived::group(&self.index().tables_by_tr, tr)
            .filter_map(|id| self.route_tables.get(id))
            .filter(move |t| t.transit_router_id == tr)
    }

    /// The table of TR `tr` that attachment `att` is associated with.
    pub fn association(&self, tr: &str, att: &str) -> Option<&TrRouteTable> {
        let key = format!("{tr}|{att}");
        super::derived::group(&self.index().association, &key)
            .filter_map(|id| self.route_tables.get(id))
            .find(|t| t.transit_router_id == tr && t.associations.contains(att))
    }

    /// Static entries of a table, in id order.
    pub fn statics_of<'a>(
        &'a self,
        table: &'a str,
    ) -> impl Iterator<Item = &'a TrStaticEntry> + 'a {
        super::derived::group(&self.index().statics_by_table, table)
            .filter_map(|id| self.static_entries.get(id))
            .filter(move |e| e.route_table_id == table)
    }

    /// Settles every due transition (Stepped mode); returns `(resource type, id, owner, to)`
    /// for each change.
    pub fn settle(
        &mut self,
        now: Timestamp,
        force: bool,
    ) -> Vec<(&'static str, String, String, &'static str)> {
        let mut out = Vec::new();
        for c in self.cens.values_mut() {
            if let Some(to) = c.lifecycle.settle(now, force).map(|(_, to)| to) {
                out.push((
                    "ACS::CEN::CenInstance",
                    c.cen_id.clone(),
                    c.owner_uid.clone(),
                    to.as_str(),
                ));
            }
        }
        for t in self.transit_routers.values_mut() {
            if let Some(to) = t.lifecycle.settle(now, force).map(|(_, to)| to) {
                out.push((
                    "ACS::CEN::TransitRouter",
                    t.transit_router_id.clone(),
                    t.owner_uid.clone(),
                    to.as_str(),
                ));
            }
        }
        for a in self.attachments.values_mut() {
            if let Some(to) = a.lifecycle.settle(now, force).map(|(_, to)| to) {
                out.push((
                    "ACS::CEN::TransitRouterAttachment",
                    a.attachment_id.clone(),
                    a.owner_uid.clone(),
                    to.as_str(),
                ));
            }
        }
        let owners: BTreeMap<String, String> = self
            .transit_routers
            .values()
            .map(|t| (t.transit_router_id.clone(), t.owner_uid.clone()))
            .collect();
        for t in self.route_tables.values_mut() {
            if let Some(to) = t.lifecycle.settle(now, force).map(|(_, to)| to) {
                let owner = owners
                    .get(&t.transit_router_id)
                    .cloned()
                    .unwrap_or_default();
                out.push((
                    "ACS::CEN::TransitRouterRouteTable",
                    t.route_table_id.clone(),
                    owner,
                    to.as_str(),
                ));
            }
        }
        for e in self.static_entries.values_mut() {
            if let Some(to) = e.lifecycle.settle(now, force).map(|(_, to)| to) {
                out.push((
                    "ACS::CEN::TransitRouterRouteEntry",
                    e.route_entry_id.clone(),
                    String::new(),
                    to.as_str(),
                ));
            }
        }
        out
    }

    /// Earliest pending transition, if any.
    pub fn next_due(&self) -> Option<Timestamp> {
        let c = self
            .cens
            .values()
            .filter_map(|x| x.lifecycle.pending.map(|p| p.at));
        let t = self
            .transit_routers
            .values()
            .filter_map(|x| x.lifecycle.pending.map(|p| p.at));
        let a = self
            .attachments
            .values()
            .filter_map(|x| x.lifecycle.pending.map(|p| p.at));
        let r = self
            .route_tables
            .values()
            .filter_map(|x| x.lifecycle.pending.map(|p| p.at));
        let e = self
            .static_entries
            .values()
            .filter_map(|x| x.lifecycle.pending.map(|p| p.at));
        c.chain(t).chain(a).chain(r).chain(e).min()
    }
}
