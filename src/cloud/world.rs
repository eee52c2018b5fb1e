//! The world: accounts, directory, regions, clock, ids and all network resources (§1).

use crate::cloud::account::Account;
use crate::cloud::alb::AlbState;
use crate::cloud::cen::CenState;
use crate::cloud::clb::ClbState;
use crate::cloud::cms::CmsState;
use crate::cloud::directory::ResourceDirectory;
use crate::cloud::ecs::{EcsState, NetRefs};
use crate::cloud::ids::IdGen;
use crate::cloud::index::{LazyNetIndex, NetIndex};
use crate::cloud::network_acl::NaclState;
use crate::cloud::nis::NisState;
use crate::cloud::nlb::NlbState;
use crate::cloud::options::{CloudOptions, SettleMode};
use crate::cloud::privatelink::PrivateLinkState;
use crate::cloud::region::{self, RegionInfo};
use crate::cloud::time::Timestamp;
use crate::cloud::timers::{Timer, TimerQueue};
use crate::cloud::traffic::TrafficState;
use crate::cloud::vpc::route::{ExternalNextHop, RouteEntry, RouteMatch, RouteTable, RouteTarget};
use crate::cloud::vpc::{NetStatus, VSwitch, Vpc};
use crate::cloud::vpcpeer::archive::PeeringArchive;
use crate::cloud::vpcpeer::billing::TrafficRecord;
use crate::cloud::vpcpeer::{PeerStatus, Peering};
use crate::store::LazyMap;
use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

/// Version of the serialized `World` layout.
pub const SCHEMA_VERSION: u32 = 1;

/// Who calls and when; built by the gateway for every request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallContext {
    /// Account uid the caller acts for (a RAM user acts for its owning account, §1.1).
    pub caller_account: String,
    /// Scenario time of the call; the world evaluates the call at
    /// `max(world clock, time)`.
    pub time: Timestamp,
    /// Request id (upper-case UUID, §0.4.7); recorded with idempotent responses.
    pub request_id: String,
}

/// A platform-side change not caused directly by an API response
/// (`AliyunServiceEvent` in ActionTrail, §10.1): expiry, settling, forced route deletion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceEvent {
    /// When it happened.
    pub time: Timestamp,
    /// Event name, e.g. `VpcPeerConnectionExpired`, `DeleteRouteEntry`.
    pub event_name: String,
    /// Resource type (§10.3), e.g. `ACS::VPC::PeerConnection`.
    pub resource_type: String,
    /// Resource id.
    pub resource_id: String,
    /// Account receiving the event (resource owner).
    pub recipient_account_id: String,
    /// Extra details (from/to status, the peering that caused a route deletion…).
    pub detail: Value,
}

/// A remembered ClientToken response (§0.4.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRecord {
    /// When the first call succeeded.
    pub time: Timestamp,
    /// Serialized operation of the first call (parameter equality check).
    pub fingerprint: String,
    /// Response of the first call.
    pub response: Value,
}

/// The whole simulated cloud state. Every collection is ordered so that the
/// serialized form is deterministic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct World {
    pub(crate) schema_version: u32,
    pub(crate) options: CloudOptions,
    pub(crate) clock: Timestamp,
    pub(crate) ids: IdGen,
    #[serde(deserialize_with = "crate::store::bulk_map::deserialize")]
    pub(crate) accounts: BTreeMap<String, Account>,
    pub(crate) directory: Option<ResourceDirectory>,
    /// Zone overrides per region (absent = default zones `a`–`k`, §1.4).
    pub(crate) zones: BTreeMap<String, Vec<String>>,
    pub(crate) vpcs: LazyMap<Vpc>,
    pub(crate) vswitches: LazyMap<VSwitch>,
    pub(crate) route_tables: LazyMap<RouteTable>,
    pub(crate) route_entries: LazyMap<RouteEntry>,
    #[serde(deserialize_with = "crate::store::bulk_map::deserialize")]
    pub(crate) peerings: BTreeMap<String, Peering>,
    /// Instances, ENIs, security groups and the address index (§7.1–§7.3). Left out of the
    /// serialized form while empty, so states written before the instance layer keep their bytes.
    #[serde(default, skip_serializing_if = "EcsState::is_empty")]
    pub(crate) ecs: EcsState,
    /// Network ACLs and their vSwitch associations (§7.4); omitted while empty, like `ecs`.
    #[serde(default, skip_serializing_if = "NaclState::is_empty")]
    pub(crate) nacl: NaclState,
    /// Network load balancers, server groups, listeners (§5.1); omitted while empty, like `ecs`.
    #[serde(default, skip_serializing_if = "NlbState::is_empty")]
    pub(crate) nlb: NlbState,
    /// Classic load balancers (§5.3); omitted while empty, like `ecs`.
    #[serde(default, skip_serializing_if = "ClbState::is_empty")]
    pub(crate) clb: ClbState,
    /// PrivateLink endpoint services and endpoints (§4); omitted while empty, like `ecs`.
    #[serde(default, skip_serializing_if = "PrivateLinkState::is_empty")]
    pub(crate) privatelink: PrivateLinkState,
    /// CEN instances, transit routers, attachments and TR route tables (§6); omitted while
    /// empty, like `ecs`.
    #[serde(default, skip_serializing_if = "CenState::is_empty")]
    pub(crate) cen: CenState,
    /// Application load balancers, server groups, listeners (§5.2); omitted while empty.
    #[serde(default, skip_serializing_if = "AlbState::is_empty")]
    pub(crate) alb: AlbState,
    /// NIS network paths and reachability analyses (§8.1); omitted while empty.
    #[serde(default, skip_serializing_if = "NisState::is_empty")]
    pub(crate) nis: NisState,
    /// Deleted peerings (§3.2 T9), kept for lookups by id but out of the live map so that
    /// quota and duplicate checks scan only live connections.
    #[serde(default)]
    pub(crate) archived_peerings: PeeringArchive,
    pub(crate) next_hops: BTreeMap<String, ExternalNextHop>,
    pub(crate) traffic: Vec<TrafficRecord>,
    /// Flows sent with `ramsim traffic` / scenario `traffic` steps and their hourly buckets
    /// (issue 17); omitted while empty, like `ecs`.
    #[serde(default, skip_serializing_if = "TrafficState::is_empty")]
    pub(crate) flows: TrafficState,
    /// CloudMonitor alert rules and frozen alert history (issue 17); omitted while empty.
    #[serde(default, skip_serializing_if = "CmsState::is_empty")]
    pub(crate) cms: CmsState,
    /// Key: `uid|action|token`.
    #[serde(deserialize_with = "crate::store::bulk_map::deserialize")]
    pub(crate) client_tokens: BTreeMap<String, TokenRecord>,
    pub(crate) service_events: Vec<ServiceEvent>,
    /// Earliest time a CEN object's transition or a reachability analysis can become due
    /// (derived, not persisted; those few objects are scanned, see [`World::compute_next_due`]).
    #[serde(skip)]
    pub(crate) next_due: DueHint,
    /// When each VPC, vSwitch, route entry, peering and instance with something pending falls
    /// due (derived, not persisted; built on first use).
    #[serde(skip)]
    pub(crate) timers: TimerQueue,
    /// Lookup indexes over the network maps (derived, not persisted; built on first use).
    #[serde(skip)]
    pub(crate) index: LazyNetIndex,
    /// VPCs per (region, owner) when the world was read from a snapshot (derived, see
    /// [`SnapshotDerived`]).
    #[serde(skip)]
    loaded_vpc_counts: LoadedCounts,
}

/// What a snapshot keeps besides the world's own fields: data derived from every record, which
/// a world read lazily ([`crate::store::LazyMap`]) would otherwise rebuild by decoding every
/// record on its first call. Written from a full scan, so a world that adopts it behaves
/// exactly as one that scanned itself.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SnapshotDerived {
    /// The timer queue's entries ([`World::ensure_timers`]'s scan).
    timers: Vec<(Timestamp, Timer)>,
    /// `(region, owner uid, VPCs)`, for the VPC quota.
    vpc_counts: Vec<(String, String, usize)>,
}

/// VPC counts from a snapshot: derived, not part of the world's value.
#[derive(Debug, Clone, Default)]
struct LoadedCounts(Option<BTreeMap<(String, String), usize>>);

impl PartialEq for LoadedCounts {
    /// Derived state: two worlds differing only in it are equal.
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// When the next time-driven transition can happen. Lets `advance_clock` skip the full scan
/// of every resource on calls that do not move the clock past anything (the hot path).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) enum DueHint {
    /// Not known: the next `advance_clock` scans and recomputes.
    #[default]
    Unknown,
    /// Nothing can become due before this time.
    At(Timestamp),
    /// Nothing is pending at all.
    Never,
}

impl PartialEq for DueHint {
    /// A cache, not state: two worlds differing only in their hint are equal.
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl World {
    /// An empty world (no accounts) at `start` with the given options and id seed.
    pub fn empty(options: CloudOptions, start: Timestamp, id_seed: u64) -> Self {
        World {
            schema_version: SCHEMA_VERSION,
            options,
            clock: start,
            ids: IdGen::new(id_seed),
            accounts: BTreeMap::new(),
            directory: None,
            zones: BTreeMap::new(),
            vpcs: LazyMap::new(),
            vswitches: LazyMap::new(),
            route_tables: LazyMap::new(),
            route_entries: LazyMap::new(),
            peerings: BTreeMap::new(),
            ecs: EcsState::default(),
            nacl: NaclState::default(),
            nlb: NlbState::default(),
            clb: ClbState::default(),
            privatelink: PrivateLinkState::default(),
            cen: CenState::default(),
            alb: AlbState::default(),
            nis: NisState::default(),
            archived_peerings: PeeringArchive::default(),
            next_hops: BTreeMap::new(),
            traffic: Vec::new(),
            flows: TrafficState::default(),
            cms: CmsState::default(),
            client_tokens: BTreeMap::new(),
            service_events: Vec::new(),
            next_due: DueHint::Unknown,
            timers: TimerQueue::default(),
            index: LazyNetIndex::default(),
            loaded_vpc_counts: LoadedCounts::default(),
        }
    }

    // ---- plain queries ------------------------------------------------------

    /// Instances, ENIs, security groups and the address index.
    pub fn ecs(&self) -> &EcsState {
        &self.ecs
    }

    /// Rebuilds the derived indexes a serialized world does not carry (after loading).
    pub fn reindex(&mut self) {
        self.ecs.reindex();
    }

    /// Network ACLs and their associations.
    pub fn nacl(&self) -> &NaclState {
        &self.nacl
    }

    /// Network load balancers, server groups and listeners.
    pub fn nlb(&self) -> &NlbState {
        &self.nlb
    }

    /// Classic load balancers.
    pub fn clb(&self) -> &ClbState {
        &self.clb
    }

    /// PrivateLink endpoint services and endpoints.
    pub fn privatelink(&self) -> &PrivateLinkState {
        &self.privatelink
    }

    /// The world's VPCs and vSwitches as the [`crate::cloud::ecs::NetView`] the instance
    /// layer reads, borrowed from fields disjoint from `ecs`, `nacl` and `ids`.
    pub fn net_refs(&self) -> NetRefs<'_> {
        NetRefs {
            vpcs: &self.vpcs,
            vswitches: &self.vswitches,
        }
    }

    /// Serialized layout version.
    pub fn schema_version(&self) -> u32 {
        self.schema_version
    }

    /// Options in force.
    pub fn options(&self) -> &CloudOptions {
        &self.options
    }

    /// Current scenario time.
    pub fn now(&self) -> Timestamp {
        self.clock
    }

    /// An account by uid.
    pub fn account(&self, uid: &str) -> Option<&Account> {
        self.accounts.get(uid)
    }

    /// All accounts, by uid.
    pub fn accounts(&self) -> impl Iterator<Item = &Account> {
        self.accounts.values()
    }

    /// An account uid by its test alias.
    pub fn uid_by_alias(&self, alias: &str) -> Option<&str> {
        self.accounts
            .values()
            .find(|a| a.alias.as_deref() == Some(alias))
            .map(|a| a.uid.as_str())
    }

    /// The resource directory, if any.
    pub fn resource_directory(&self) -> Option<&ResourceDirectory> {
        self.directory.as_ref()
    }

    /// RD id of an account (`acs:TargetRDId`, §9.3); `None` outside every RD.
    pub fn rd_id(&self, uid: &str) -> Option<String> {
        let rd = self.directory.as_ref()?;
        rd.members
            .contains_key(uid)
            .then(|| rd.resource_directory_id.clone())
    }

    /// RD path of an account (`acs:TargetRDPath`, §1.2): `rd-…/r-…/fd-…/…/<uid>`.
    pub fn rd_path(&self, uid: &str) -> Option<String> {
        self.directory.as_ref()?.member_path(uid)
    }

    /// Static region info (§1.3).
    pub fn region(&self, id: &str) -> Option<&'static RegionInfo> {
        region::region(id)
    }

    /// Zones of a region (override or default `a`–`k`, §1.4).
    pub fn zones_of(&self, region_id: &str) -> Vec<String> {
        self.zones
            .get(region_id)
            .cloned()
            .unwrap_or_else(|| region::default_zones(region_id))
    }

    /// A VPC by id.
    pub fn vpc(&self, id: &str) -> Option<&Vpc> {
        self.vpcs.get(id)
    }

    /// All VPCs.
    pub fn vpcs(&self) -> impl Iterator<Item = &Vpc> {
        self.vpcs.values()
    }

    /// A VPC by owner and name (test convenience).
    pub fn vpc_by_name(&self, owner_uid: &str, name: &str) -> Option<&Vpc> {
        self.vpcs
            .values()
            .find(|v| v.owner_uid == owner_uid && v.name == name)
    }

    /// A vSwitch by id.
    pub fn vswitch(&self, id: &str) -> Option<&VSwitch> {
        self.vswitches.get(id)
    }

    /// vSwitches of a VPC, in id order.
    pub fn vswitches_of<'a>(&'a self, vpc_id: &'a str) -> impl Iterator<Item = &'a VSwitch> + 'a {
        NetIndex::group(&self.index().vswitches_by_vpc, &vpc_id.to_string())
            .filter_map(|id| self.vswitches.get(id))
    }

    /// Route tables (system and custom) of a VPC, in id order.
    pub fn route_tables_of<'a>(
        &'a self,
        vpc_id: &'a str,
    ) -> impl Iterator<Item = &'a RouteTable> + 'a {
        NetIndex::group(&self.index().tables_by_vpc, &vpc_id.to_string())
            .filter_map(|id| self.route_tables.get(id))
    }

    /// VPCs of `region` that `uid` sees (owned or shared with it, §2.6), in id order.
    pub fn vpcs_visible_to<'a>(
        &'a self,
        region: &str,
        uid: &str,
    ) -> impl Iterator<Item = &'a Vpc> + 'a {
        self.vpc_ids_visible_to(region, uid)
            .iter()
            .filter_map(|id| self.vpcs.get(id))
    }

    /// Ids of the vSwitches of the VPCs `uid` sees in `region`, in id order: an ordered set,
    /// so its length is the count and a page is a skip into it.
    pub(crate) fn vswitch_ids_visible_to(&self, region: &str, uid: &str) -> &BTreeSet<String> {
        viewer_group(&self.index().vswitches_by_viewer, region, uid)
    }

    /// Ids of the route tables of the VPCs `uid` sees in `region`, in id order (as
    /// [`World::vswitch_ids_visible_to`]).
    pub(crate) fn route_table_ids_visible_to(&self, region: &str, uid: &str) -> &BTreeSet<String> {
        viewer_group(&self.index().tables_by_viewer, region, uid)
    }

    /// Ids of the VPCs `uid` sees in `region`, in id order (as [`World::vpcs_visible_to`]).
    pub(crate) fn vpc_ids_visible_to(&self, region: &str, uid: &str) -> &BTreeSet<String> {
        viewer_group(&self.index().vpcs_by_viewer, region, uid)
    }

    /// How many VPCs `uid` owns in `region`: the index's counter once the index is built.
    /// Before that — the first call after a load, which is every `ramsim call` — one pass over
    /// the VPC records answers it; building every index for one number cost a CLI `CreateVpc`
    /// a third of its instructions.
    pub fn vpcs_owned(&self, region: &str, uid: &str) -> usize {
        let key = || (region.to_string(), uid.to_string());
        let owned = |v: &&Vpc| v.region_id == region && v.owner_uid == uid;
        match (self.index.0.get(), &self.loaded_vpc_counts.0) {
            (Some(ix), _) => ix.vpcs_owned.get(&key()).copied().unwrap_or(0),
            // A VPC's region and owner never change: the snapshot's count plus the VPCs
            // created since, as long as none read from it was replaced or removed.
            (None, Some(counts)) if self.vpcs.loaded_intact() => {
                counts.get(&key()).copied().unwrap_or(0)
                    + self.vpcs.fresh_values().filter(owned).count()
            }
            _ => self.vpcs.values().filter(owned).count(),
        }
    }

    /// The derived data a snapshot keeps ([`SnapshotDerived`]); reads every record.
    pub fn snapshot_derived(&self) -> SnapshotDerived {
        let mut counts: BTreeMap<(&str, &str), usize> = BTreeMap::new();
        for v in self.vpcs.values() {
            *counts.entry((&v.region_id, &v.owner_uid)).or_default() += 1;
        }
        SnapshotDerived {
            timers: self.scan_timers(),
            vpc_counts: counts
                .into_iter()
                .map(|((r, u), n)| (r.to_string(), u.to_string(), n))
                .collect(),
        }
    }

    /// Adopts the derived data of the snapshot this world was read from.
    pub fn adopt_snapshot_derived(&mut self, derived: SnapshotDerived) {
        if !self.timers.is_built() {
            self.timers.rebuild(derived.timers);
        }
        self.loaded_vpc_counts = LoadedCounts(Some(
            derived
                .vpc_counts
                .into_iter()
                .map(|(r, u, n)| ((r, u), n))
                .collect(),
        ));
    }

    /// Decodes every record read lazily from a snapshot; the first that fails to decode is the
    /// error. A caller that reads the whole world (export, a server) calls this first.
    pub fn force_all(&self) -> Result<(), String> {
        self.vpcs.force_all().map_err(|e| format!("vpcs: {e}"))?;
        self.vswitches
            .force_all()
            .map_err(|e| format!("vswitches: {e}"))?;
        self.route_tables
            .force_all()
            .map_err(|e| format!("route_tables: {e}"))?;
        self.route_entries
            .force_all()
            .map_err(|e| format!("route_entries: {e}"))
    }

    /// The first record read lazily that failed to decode so far, if any: a call that met one
    /// worked on a partial world and must not be answered or written.
    pub fn damage(&self) -> Option<String> {
        [
            ("vpcs", self.vpcs.damage()),
            ("vswitches", self.vswitches.damage()),
            ("route_tables", self.route_tables.damage()),
            ("route_entries", self.route_entries.damage()),
        ]
        .into_iter()
        .find_map(|(name, d)| d.map(|d| format!("{name}: {d}")))
    }

    /// The lookup indexes, built from the maps on first use.
    pub(crate) fn index(&self) -> &NetIndex {
        self.index.0.get_or_init(|| {
            NetIndex::build(
                self.vpcs.values(),
                self.vswitches.values(),
                self.route_tables.values(),
                self.route_entries.values(),
            )
        })
    }

    /// Compares the maintained indexes with a fresh rebuild (tests call it after every
    /// operation), and checks the timer queue ([`World::check_timers`]); `Err` names the
    /// first index that differs.
    pub fn check_index(&self) -> Result<(), String> {
        self.check_timers()?;
        let fresh = NetIndex::build(
            self.vpcs.values(),
            self.vswitches.values(),
            self.route_tables.values(),
            self.route_entries.values(),
        );
        let ix = self.index();
        let pairs = [
            (
                "vswitches_by_vpc",
                ix.vswitches_by_vpc == fresh.vswitches_by_vpc,
            ),
            ("tables_by_vpc", ix.tables_by_vpc == fresh.tables_by_vpc),
            (
                "entries_by_table",
                ix.entries_by_table == fresh.entries_by_table,
            ),
            ("vpcs_by_viewer", ix.vpcs_by_viewer == fresh.vpcs_by_viewer),
            ("vpcs_owned", ix.vpcs_owned == fresh.vpcs_owned),
            ("vpc_viewers", ix.vpc_viewers == fresh.vpc_viewers),
            (
                "vswitches_by_viewer",
                ix.vswitches_by_viewer == fresh.vswitches_by_viewer,
            ),
            (
                "tables_by_viewer",
                ix.tables_by_viewer == fresh.tables_by_viewer,
            ),
        ];
        match pairs.iter().find(|(_, same)| !same) {
            Some((name, _)) => Err(format!("index {name} differs from the maps")),
            None => self
                .check_cen_derived()
                .and_then(|()| self.check_traffic_index()),
        }
    }

    // ---- indexed inserts and removals ----------------------------------------

    /// Inserts a VPC (and indexes it).
    pub(crate) fn insert_vpc(&mut self, v: Vpc) {
        if let Some(ix) = self.index.built_mut() {
            ix.note_vpc(&v);
        }
        self.vpcs.insert(v.vpc_id.clone(), v);
    }

    /// Replaces a VPC's secondary CIDRs and sharing (world files); the viewer index is rebuilt.
    pub(crate) fn set_vpc_sharing(
        &mut self,
        vpc_id: &str,
        secondary: Vec<ipnet::Ipv4Net>,
        shared_with: Vec<String>,
    ) {
        if let Some(vpc) = self.vpcs.get_mut(vpc_id) {
            vpc.secondary_cidr_blocks = secondary;
            vpc.shared_with = shared_with;
            self.index.invalidate();
        }
    }

    /// Inserts a vSwitch (and indexes it).
    pub(crate) fn insert_vswitch(&mut self, s: VSwitch) {
        if let Some(ix) = self.index.built_mut() {
            ix.note_vswitch(&s);
        }
        self.cen.note_vpc_changed(&s.vpc_id);
        self.vswitches.insert(s.vswitch_id.clone(), s);
    }

    /// Inserts a route table (and indexes it).
    pub(crate) fn insert_route_table(&mut self, t: RouteTable) {
        if let Some(ix) = self.index.built_mut() {
            ix.note_table(&t);
        }
        self.route_tables.insert(t.route_table_id.clone(), t);
    }

    /// Removes a route table (and un-indexes it); its entries must be gone already.
    pub(crate) fn remove_route_table(&mut self, id: &str) -> Option<RouteTable> {
        let t = self.route_tables.remove(id)?;
        if let Some(ix) = self.index.built_mut() {
            ix.forget_table(&t);
        }
        Some(t)
    }

    /// Inserts a custom route entry (and indexes it).
    pub(crate) fn insert_route_entry(&mut self, e: RouteEntry) {
        if let Some(ix) = self.index.built_mut() {
            ix.note_entry(&e);
        }
        self.route_entries.insert(e.route_entry_id.clone(), e);
    }

    /// Removes a custom route entry (and un-indexes it).
    pub(crate) fn remove_route_entry(&mut self, id: &str) -> Option<RouteEntry> {
        let e = self.route_entries.remove(id)?;
        if let Some(ix) = self.index.built_mut() {
            ix.forget_entry(&e);
        }
        Some(e)
    }

    /// A route table by id.
    pub fn route_table(&self, id: &str) -> Option<&RouteTable> {
        self.route_tables.get(id)
    }

    /// All route tables, sorted by id.
    pub fn route_tables(&self) -> impl Iterator<Item = &RouteTable> {
        self.route_tables.values()
    }

    /// A custom route entry by id.
    pub fn route_entry(&self, id: &str) -> Option<&RouteEntry> {
        self.route_entries.get(id)
    }

    /// Custom route entries of a table.
    pub fn route_entries_of<'a>(
        &'a self,
        table_id: &'a str,
    ) -> impl Iterator<Item = &'a RouteEntry> + 'a {
        NetIndex::group(&self.index().entries_by_table, &table_id.to_string())
            .filter_map(|id| self.route_entries.get(id))
    }

    /// A peering by id, including `Deleted` records (§3.2 T9): gives the stored
    /// requester (`owner_uid`) and accepter (`accepting_owner_uid`) uids, which the
    /// Accept authorization needs (§9.3).
    pub fn peering(&self, id: &str) -> Option<&Peering> {
        self.peerings
            .get(id)
            .or_else(|| self.archived_peerings.get(id))
    }

    /// All peerings (live ones, then deleted ones; each sorted by id).
    pub fn peerings(&self) -> impl Iterator<Item = &Peering> {
        self.peerings
            .values()
            .chain(self.archived_peerings.sorted())
    }

    /// Status of a peering at the current clock (expiry applied lazily).
    pub fn peering_status(&self, id: &str) -> Option<PeerStatus> {
        self.peering(id).map(|p| p.status_at(self.clock))
    }

    /// Moves a peering whose deletion has settled to the archive.
    fn archive_if_deleted(&mut self, id: &str) {
        let done = self.peerings.get(id).is_some_and(|p| {
            p.lifecycle.status == PeerStatus::Deleted && p.lifecycle.pending.is_none()
        });
        if done {
            if let Some((key, p)) = self.peerings.remove_entry(id) {
                self.archived_peerings.insert(key, p);
            }
        }
    }

    /// `BizStatus` of a peering: `FinancialLocked` when either account is overdue (§3.2 T8).
    pub fn peering_biz_status(&self, p: &Peering) -> &'static str {
        let locked = [&p.owner_uid, &p.accepting_owner_uid]
            .iter()
            .any(|u| self.accounts.get(u.as_str()).is_some_and(|a| a.overdue));
        if locked {
            "FinancialLocked"
        } else {
            "Normal"
        }
    }

    /// True when traffic may flow over the peering now (§3.2: `Activated` and `Normal`).
    pub fn peering_passes_traffic(&self, id: &str) -> bool {
        self.peerings.get(id).is_some_and(|p| {
            p.status_at(self.clock) == PeerStatus::Activated
                && self.peering_biz_status(p) == "Normal"
        })
    }

    // ---- administrative mutations (test driver / other modules) -------------

    /// Changes account flags (e.g. `overdue`, `cdt_enabled`) through a closure.
    /// Returns false when the account does not exist.
    pub fn update_account(&mut self, uid: &str, f: impl FnOnce(&mut Account)) -> bool {
        match self.accounts.get_mut(uid) {
            Some(a) => {
                let keep = a.uid.clone();
                f(a);
                a.uid = keep; // the key must stay consistent
                true
            }
            None => false,
        }
    }

    /// Registers an ECS instance, ENI or TR attachment as a possible route next hop
    /// (called by the modules that own those resources).
    pub fn register_next_hop(&mut self, hop: ExternalNextHop) {
        self.next_hops.insert(hop.id.clone(), hop);
    }

    /// Removes a registered next hop.
    pub fn unregister_next_hop(&mut self, id: &str) {
        self.next_hops.remove(id);
    }

    /// Drains the platform events accumulated since the last call (for ActionTrail).
    pub fn drain_service_events(&mut self) -> Vec<ServiceEvent> {
        std::mem::take(&mut self.service_events)
    }

    // ---- clock --------------------------------------------------------------

    /// Advances the scenario clock to `to` (never backwards) and materializes every
    /// due transition: Stepped settling (§0.4.5) and peering expiry (§3.2 T5).
    /// Returns the platform events produced (they are also queued for
    /// `drain_service_events`).
    pub fn advance_clock(&mut self, to: Timestamp) -> Vec<ServiceEvent> {
        if to > self.clock {
            self.clock = to;
        }
        self.ensure_timers();
        let queue_due = self.timers.first_time().is_some_and(|t| self.clock >= t);
        let rest_due = match self.next_due {
            DueHint::Never => false,
            DueHint::At(t) => self.clock >= t,
            DueHint::Unknown => true,
        };
        if !queue_due && !rest_due {
            return Vec::new();
        }
        let events = self.materialize(false);
        self.next_due = self.compute_next_due();
        events
    }

    /// The earliest pending transition of a CEN object or due reachability analysis (a scan
    /// of those: they are few, bounded by quotas; everything that grows with the world is in
    /// the timer queue).
    fn compute_next_due(&self) -> DueHint {
        let pending = self
            .cen
            .next_due()
            .into_iter()
            .chain(self.nis.next_due())
            .min();
        pending.map_or(DueHint::Never, DueHint::At)
    }

    /// When `timer`'s resource has something falling due: its pending transition and, for a
    /// peering stored as `Accepting`, its expiry (§3.2 T5). `None` for a resource that is gone
    /// or has nothing pending.
    fn due_time(&self, timer: &Timer) -> Option<Timestamp> {
        match timer {
            Timer::Vpc(id) => self.vpcs.get(id)?.lifecycle.pending.map(|p| p.at),
            Timer::VSwitch(id) => self.vswitches.get(id)?.lifecycle.pending.map(|p| p.at),
            Timer::RouteEntry(id) => self.route_entries.get(id)?.lifecycle.pending.map(|p| p.at),
            Timer::Peering(id) => {
                let p = self.peerings.get(id)?;
                let expiry = p
                    .gmt_expired
                    .filter(|_| p.lifecycle.status == PeerStatus::Accepting);
                p.lifecycle
                    .pending
                    .map(|x| x.at)
                    .into_iter()
                    .chain(expiry)
                    .min()
            }
            Timer::Instance(id) => self.ecs.instance(id)?.lifecycle.pending.map(|p| p.at),
        }
    }

    /// Queues `timer` at its resource's due time, if it has one. Every operation that gives a
    /// VPC, vSwitch, route entry, peering or instance a pending transition (or a peering an
    /// expiry) calls this after its change; `check_timers` finds one that does not.
    pub(crate) fn track(&mut self, timer: Timer) {
        if let Some(at) = self.due_time(&timer) {
            self.timers.push(at, timer);
        }
    }

    /// Every timer of the world with its due time (a full scan: building the queue after a
    /// load, and tests).
    fn scan_timers(&self) -> Vec<(Timestamp, Timer)> {
        let keys = (self.vpcs.keys().map(|k| Timer::Vpc(k.to_string())))
            .chain(self.vswitches.keys().map(|k| Timer::VSwitch(k.to_string())))
            .chain(
                self.route_entries
                    .keys()
                    .map(|k| Timer::RouteEntry(k.to_string())),
            )
            .chain(self.peerings.keys().map(|k| Timer::Peering(k.clone())))
            .chain(
                self.ecs
                    .instances
                    .keys()
                    .map(|k| Timer::Instance(k.to_string())),
            );
        keys.filter_map(|t| self.due_time(&t).map(|at| (at, t)))
            .collect()
    }

    /// Builds the timer queue if this world does not have it yet (after a load).
    fn ensure_timers(&mut self) {
        if !self.timers.is_built() {
            let entries = self.scan_timers();
            self.timers.rebuild(entries);
        }
    }

    /// Checks that every resource with something pending has a timer no later than its due
    /// time (the queue's one invariant; stale entries are allowed). For tests, after every
    /// operation; an unbuilt queue has nothing to check.
    pub fn check_timers(&self) -> Result<(), String> {
        if !self.timers.is_built() {
            return Ok(());
        }
        for (at, timer) in self.scan_timers() {
            if !self.timers.covers(at, &timer) {
                return Err(format!("{timer:?} is due at {at:?} but has no timer"));
            }
        }
        Ok(())
    }

    /// After a successful call at `now`: anything it scheduled is due no earlier than the
    /// shortest configured delay (settling in Stepped mode, peering expiry).
    pub(crate) fn note_scheduled(&mut self, now: Timestamp) {
        let mut delay = self.options.peering_expiry_secs;
        if self.stepped() {
            delay = delay.min(self.options.settle_delay_secs);
        }
        let earliest = now.plus(delay.max(0));
        self.next_due = match self.next_due {
            DueHint::Unknown => DueHint::Unknown,
            DueHint::Never => DueHint::At(earliest),
            DueHint::At(t) => DueHint::At(t.min(earliest)),
        };
    }

    /// Advances the clock by `secs` seconds.
    pub fn advance_clock_by(&mut self, secs: i64) -> Vec<ServiceEvent> {
        let to = self.clock.plus(secs.max(0));
        self.advance_clock(to)
    }

    /// Settles every transitional status now (test driver `world.settle()`, §0.4.5).
    pub fn settle(&mut self) -> Vec<ServiceEvent> {
        let events = self.materialize(true);
        self.next_due = self.compute_next_due();
        events
    }

    fn materialize(&mut self, force: bool) -> Vec<ServiceEvent> {
        let now = self.clock;
        let mut events = Vec::new();
        self.ensure_timers();
        // Only what the queue says is due (all of it when forced), kinds and ids in the order
        // a scan of every map would visit them, so the events come out in the same order.
        let due = self.timers.take_due(now, force);
        for timer in &due {
            self.settle_one(timer, now, force, &mut events);
        }
        for (rtype, id, owner, to) in self.cen.settle(now, force) {
            events.push(settled_event(now, rtype, &id, &owner, to));
        }
        // Last: a due analysis sees the world with everything above settled.
        self.run_due_analyses(force);
        self.service_events.extend(events.iter().cloned());
        for timer in due {
            if let Timer::Peering(id) = &timer {
                self.archive_if_deleted(id);
            }
            // Whatever is still pending (a peering now Accepting, with its expiry ahead).
            self.track(timer);
        }
        events
    }

    /// Settles what is due of one timer's resource, appending the platform events.
    fn settle_one(
        &mut self,
        timer: &Timer,
        now: Timestamp,
        force: bool,
        events: &mut Vec<ServiceEvent>,
    ) {
        match timer {
            Timer::Vpc(id) => {
                if let Some(v) = self.vpcs.get_mut(id) {
                    if v.lifecycle.settle(now, force).is_some() {
                        let e = settled_event(now, "ACS::VPC::VPC", id, &v.owner_uid, "Available");
                        events.push(e);
                    }
                }
            }
            Timer::VSwitch(id) => {
                if let Some(s) = self.vswitches.get_mut(id) {
                    if s.lifecycle.settle(now, force).is_some() {
                        let owner = &s.owner_uid;
                        events.push(settled_event(
                            now,
                            "ACS::VPC::VSwitch",
                            id,
                            owner,
                            "Available",
                        ));
                    }
                }
            }
            Timer::RouteEntry(id) => {
                let Some(e) = self.route_entries.get_mut(id) else {
                    return;
                };
                if e.lifecycle.settle(now, force).is_some() {
                    let owner = self
                        .vpcs
                        .get(&e.vpc_id)
                        .map(|v| v.owner_uid.clone())
                        .unwrap_or_default();
                    events.push(settled_event(
                        now,
                        "ACS::VPC::RouteEntry",
                        id,
                        &owner,
                        "Available",
                    ));
                }
            }
            Timer::Peering(id) => {
                let Some(p) = self.peerings.get_mut(id) else {
                    return;
                };
                if let Some((_, to)) = p.lifecycle.settle(now, force) {
                    events.push(settled_event(
                        now,
                        "ACS::VPC::PeerConnection",
                        id,
                        &p.owner_uid,
                        to.as_str(),
                    ));
                }
                // §3.2 T5: an un-accepted request expires once the clock passes GmtExpired.
                if p.lifecycle.status == PeerStatus::Accepting
                    && p.gmt_expired.is_some_and(|e| now >= e)
                {
                    p.lifecycle.status = PeerStatus::Expired;
                    for uid in dedup2(&p.owner_uid, &p.accepting_owner_uid) {
                        events.push(ServiceEvent {
                            time: now,
                            event_name: "VpcPeerConnectionExpired".into(),
                            resource_type: "ACS::VPC::PeerConnection".into(),
                            resource_id: p.instance_id.clone(),
                            recipient_account_id: uid,
                            detail: serde_json::json!({"From": "Accepting", "To": "Expired"}),
                        });
                    }
                }
            }
            Timer::Instance(id) => {
                if let Some(i) = self.ecs.instance_mut(id) {
                    if let Some((_, to)) = i.lifecycle.settle(now, force) {
                        let owner = &i.owner_uid;
                        let e = settled_event(now, "ACS::ECS::Instance", id, owner, to.as_str());
                        events.push(e);
                    }
                }
            }
        }
    }

    // ---- routing -------------------------------------------------------------

    /// Route table used by a vSwitch: its custom table, else the VPC system table (§2.4.6 step 1).
    pub fn table_for_vswitch(&self, vswitch_id: &str) -> Option<&RouteTable> {
        let s = self.vswitches.get(vswitch_id)?;
        match &s.route_table_id {
            Some(t) => self.route_tables.get(t),
            None => self
                .route_tables
                .get(&self.vpcs.get(&s.vpc_id)?.system_route_table_id),
        }
    }

    /// Longest-prefix route lookup (§2.4.6) for destination `ip` from VPC `vpc_id`;
    /// `vswitch_id` selects the table (default: the VPC system table).
    /// Candidates: system routes of `Available` vSwitches and `Available` custom
    /// entries of the table, evaluated at the current clock. `None` = `ROUTE_NOT_FOUND`.
    pub fn lookup_route(
        &self,
        vpc_id: &str,
        vswitch_id: Option<&str>,
        ip: IpAddr,
    ) -> Option<RouteMatch> {
        let vpc = self.vpcs.get(vpc_id)?;
        let table = match vswitch_id {
            Some(s) => self.table_for_vswitch(s)?,
            None => self.route_tables.get(&vpc.system_route_table_id)?,
        };
        let now = self.clock;
        let mut best: Option<RouteMatch> = None;
        let mut consider = |m: RouteMatch| {
            if m.destination.contains(&ip)
                && best
                    .as_ref()
                    .is_none_or(|b| m.destination.prefix_len() > b.destination.prefix_len())
            {
                best = Some(m);
            }
        };
        for s in self.vswitches_of(vpc_id) {
            if s.lifecycle.at(now) == NetStatus::Available {
                consider(RouteMatch {
                    route_table_id: table.route_table_id.clone(),
                    route_entry_id: s.system_route_entry_id.clone(),
                    destination: IpNet::V4(s.cidr_block),
                    target: RouteTarget::Local,
                });
            }
        }
        for e in self.route_entries_of(&table.route_table_id) {
            if e.lifecycle.at(now) == NetStatus::Available {
                consider(RouteMatch {
                    route_table_id: table.route_table_id.clone(),
                    route_entry_id: e.route_entry_id.clone(),
                    destination: e.destination,
                    target: RouteTarget::NextHop {
                        next_hop_type: e.next_hop_type,
                        next_hop_id: e.next_hop_id.clone(),
                    },
                });
            }
        }
        // Routes a transit router publishes into the system table (§6.3.4).
        if table.route_table_id == vpc.system_route_table_id {
            for (dest, att) in self.tr_published_routes(vpc_id, now) {
                consider(RouteMatch {
                    route_table_id: table.route_table_id.clone(),
                    route_entry_id: String::new(),
                    destination: IpNet::V4(dest),
                    target: RouteTarget::NextHop {
                        next_hop_type: Some(crate::cloud::vpc::route::NextHopType::Attachment),
                        next_hop_id: att,
                    },
                });
            }
        }
        best
    }

    // ---- internal helpers ----------------------------------------------------

    pub(crate) fn stepped(&self) -> bool {
        self.options.settle == SettleMode::Stepped
    }

    pub(crate) fn settle_at(&self, now: Timestamp) -> Timestamp {
        now.plus(self.options.settle_delay_secs)
    }

    /// The seed of the id generator (from the world file's `id_seed`), which also keys the
    /// derived AccessKey secrets.
    pub fn id_seed(&self) -> u64 {
        self.ids.seed
    }

    /// Region code used in ids (§1.5).
    pub(crate) fn id_code(region_id: &str) -> &'static str {
        region::region(region_id)
            .map(|r| r.id_code)
            .unwrap_or("000")
    }

    pub(crate) fn new_id(&mut self, prefix: &str, region_id: &str) -> String {
        self.ids.next(prefix, Self::id_code(region_id))
    }
}

fn dedup2(a: &str, b: &str) -> Vec<String> {
    if a == b {
        vec![a.to_string()]
    } else {
        vec![a.to_string(), b.to_string()]
    }
}

/// The ids under `(region, uid)` in a viewer index (an empty set when none).
fn viewer_group<'a>(
    groups: &'a BTreeMap<(String, String), BTreeSet<String>>,
    region: &str,
    uid: &str,
) -> &'a BTreeSet<String> {
    static EMPTY: BTreeSet<String> = BTreeSet::new();
    groups
        .get(&(region.to_string(), uid.to_string()))
        .unwrap_or(&EMPTY)
}

fn settled_event(now: Timestamp, rtype: &str, id: &str, owner: &str, to: &str) -> ServiceEvent {
    ServiceEvent {
        time: now,
        event_name: "StatusSettled".into(),
        resource_type: rtype.into(),
        resource_id: id.into(),
        recipient_account_id: owner.into(),
        detail: serde_json::json!({"To": to}),
    }
}
