//! Derived CEN structures, never serialized and ignored by `==` (like `cloud::index`): lookup
//! indexes over [`CenState`] ([`CenIndex`]) and the TR route tables kept incrementally
//! ([`RouteCache`]), so that creates, lists and reachability cost what they touch rather than
//! the number of attachments in the world.
//!
//! **Index.** Built from the maps on first use, then kept up to date by the few mutation
//! sites of `ops.rs`/`api.rs` (each calls a `note_*`/`forget_*` method of [`CenState`]).
//!
//! **Route tables.** The fixed point of [`super::routing::compute_routes`] is a function of
//! each destination separately: a destination's candidates in a table are the static entries
//! and propagated vSwitch CIDRs with exactly that destination (round 0), then what peer
//! attachments offer of the same destination (rounds ≥ 1); no other destination takes part in
//! its conflict resolution. And the tables of one CEN never read another CEN's (peer
//! attachments join TRs of one CEN). So the cache keeps, per CEN, each table's entries by
//! destination plus the round-0 *seeds* by destination and the peer edges, and on a change
//! recomputes only the destinations the change touches:
//!
//! * a VPC attachment (created, deleted, (dis)associated, propagation enabled/disabled) or a
//!   vSwitch of its VPC: the attachment's vSwitch CIDRs, before and after;
//! * a static entry: its destination;
//! * a peer attachment, a TR or a table: the whole CEN (the peer edges change).
//!
//! Time: the tables depend on `now` only through pending lifecycles (attachments, static
//! entries, vSwitches). A CEN with any pending input is *volatile* and recomputed in full at
//! every read; it becomes stable again at the first read that finds nothing pending. Every
//! change that can introduce a pending input is a mutation that notifies the cache.
//!
//! `World::check_index` compares the cache with a from-scratch [`compute_routes`] (the
//! reference); the pipeline tests call it after every operation.
//!
//! [`compute_routes`]: super::routing::compute_routes

use super::resources::{AttachKind, AttachStatus, CenState, CenStatus, TrNextHop};
use super::routing::{derived_id, RouteOrigin, TrRoute, TrRouteMap, TrRouteStatus};
use crate::cloud::time::Timestamp;
use ipnet::Ipv4Net;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, OnceLock};

/// Ids grouped by a string key, each group in id order.
pub(crate) type Groups = BTreeMap<String, BTreeSet<String>>;

fn add(g: &mut Groups, key: &str, id: &str) {
    g.entry(key.to_string()).or_default().insert(id.to_string());
}

fn remove(g: &mut Groups, key: &str, id: &str) {
    if let Some(set) = g.get_mut(key) {
        set.remove(id);
        if set.is_empty() {
            g.remove(key);
        }
    }
}

/// The ids under `key` (empty when none).
pub(crate) fn group<'a>(g: &'a Groups, key: &str) -> impl Iterator<Item = &'a String> + 'a {
    g.get(key).into_iter().flatten()
}

/// Lookup indexes over [`CenState`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct CenIndex {
    /// CEN id → its TR ids.
    pub trs_by_cen: Groups,
    /// `cen|region` → TR ids (one per region per CEN, §6.3.1).
    pub trs_by_cen_region: Groups,
    /// TR id → its route table ids.
    pub tables_by_tr: Groups,
    /// Route table id → its static entry ids.
    pub statics_by_table: Groups,
    /// TR id → ids of the attachments with an end on it.
    pub atts_by_tr: Groups,
    /// VPC id → ids of its VPC attachments.
    pub atts_by_vpc: Groups,
    /// Owner uid → attachment ids.
    pub atts_by_owner: Groups,
    /// CEN id → attachment ids.
    pub atts_by_cen: Groups,
    /// `tr|attachment` → the tables of that TR the attachment is associated with.
    pub association: Groups,
    /// Attachment id → the tables it is associated with or propagates into.
    pub links_of_att: Groups,
}

fn pair(a: &str, b: &str) -> String {
    format!("{a}|{b}")
}

impl CenIndex {
    /// Builds every index from the maps.
    pub fn build(cen: &CenState) -> CenIndex {
        let mut ix = CenIndex::default();
        for t in cen.transit_routers.values() {
            ix.note_tr(&t.transit_router_id, &t.cen_id, &t.region_id);
        }
        for t in cen.route_tables.values() {
            add(
                &mut ix.tables_by_tr,
                &t.transit_router_id,
                &t.route_table_id,
            );
            for a in &t.associations {
                add(
                    &mut ix.association,
                    &pair(&t.transit_router_id, a),
                    &t.route_table_id,
                );
                add(&mut ix.links_of_att, a, &t.route_table_id);
            }
            for a in &t.propagations {
                add(&mut ix.links_of_att, a, &t.route_table_id);
            }
        }
        for e in cen.static_entries.values() {
            add(
                &mut ix.statics_by_table,
                &e.route_table_id,
                &e.route_entry_id,
            );
        }
        for a in cen.attachments.values() {
            ix.note_attachment(a);
        }
        ix
    }

    fn note_tr(&mut self, tr: &str, cen: &str, region: &str) {
        add(&mut self.trs_by_cen, cen, tr);
        add(&mut self.trs_by_cen_region, &pair(cen, region), tr);
    }

    fn note_attachment(&mut self, a: &super::resources::Attachment) {
        for end in a.ends() {
            add(&mut self.atts_by_tr, end, &a.attachment_id);
        }
        if let Some(v) = a.vpc_id() {
            add(&mut self.atts_by_vpc, v, &a.attachment_id);
        }
        add(&mut self.atts_by_owner, &a.owner_uid, &a.attachment_id);
        add(&mut self.atts_by_cen, &a.cen_id, &a.attachment_id);
    }

    fn forget_attachment(&mut self, a: &super::resources::Attachment) {
        for end in a.ends() {
            remove(&mut self.atts_by_tr, end, &a.attachment_id);
        }
        if let Some(v) = a.vpc_id() {
            remove(&mut self.atts_by_vpc, v, &a.attachment_id);
        }
        remove(&mut self.atts_by_owner, &a.owner_uid, &a.attachment_id);
        remove(&mut self.atts_by_cen, &a.cen_id, &a.attachment_id);
    }
}

/// One table's entries, by destination; within a destination in the order
/// `ListTransitRouterRouteEntries` shows them (origin, then next hop).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableRoutes {
    by_dest: BTreeMap<Ipv4Net, Vec<TrRoute>>,
    /// Number of entries (the sum of the lists' lengths).
    count: usize,
}

impl TableRoutes {
    /// Every entry, sorted by destination, origin, next hop.
    pub fn iter(&self) -> impl Iterator<Item = &TrRoute> + '_ {
        self.by_dest.values().flatten()
    }

    /// The entries with destination `d` (empty when none).
    pub fn for_destination(&self, d: &Ipv4Net) -> &[TrRoute] {
        self.by_dest.get(d).map_or(&[], Vec::as_slice)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.count
    }

    /// True when the table has no entry.
    pub fn is_empty(&self) -> bool {
        self.by_dest.is_empty()
    }

    fn from_list(list: Vec<TrRoute>) -> TableRoutes {
        let count = list.len();
        let mut by_dest: BTreeMap<Ipv4Net, Vec<TrRoute>> = BTreeMap::new();
        for r in list {
            by_dest.entry(r.destination).or_default().push(r);
        }
        TableRoutes { by_dest, count }
    }

    /// Replaces the entries of destination `d` (none when `list` is empty).
    fn set(&mut self, d: Ipv4Net, list: Vec<TrRoute>) {
        let added = list.len();
        let removed = if list.is_empty() {
            self.by_dest.remove(&d)
        } else {
            self.by_dest.insert(d, list)
        };
        self.count = self.count + added - removed.map_or(0, |l| l.len());
    }
}

impl<'a> IntoIterator for &'a TableRoutes {
    type Item = &'a TrRoute;
    type IntoIter =
        std::iter::Flatten<std::collections::btree_map::Values<'a, Ipv4Net, Vec<TrRoute>>>;
    fn into_iter(self) -> Self::IntoIter {
        self.by_dest.values().flatten()
    }
}

/// A peer edge: table `table` learns over peer attachment `att` from table `remote` (the
/// remote end's table associated with `att`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Edge {
    table: String,
    remote: String,
    att: String,
}

/// The computed tables of one CEN and what is needed to recompute one destination.
#[derive(Debug, Clone, Default)]
pub struct CenRoutes {
    /// Every table of the CEN (empty ones included), by id.
    tables: BTreeMap<String, TableRoutes>,
    /// Table ids by TR.
    tables_by_tr: BTreeMap<String, Vec<String>>,
    /// Peer edges in (table, attachment) order.
    edges: Vec<Edge>,
    /// Round-0 static candidates: destination → (table, static entry id).
    static_seeds: BTreeMap<Ipv4Net, BTreeSet<(String, String)>>,
    /// Round-0 VPC candidates: destination → (table, VPC attachment id).
    vpc_seeds: BTreeMap<Ipv4Net, BTreeSet<(String, String)>>,
    /// What each VPC attachment contributed to `vpc_seeds`.
    att_seeds: BTreeMap<String, Vec<(String, Ipv4Net)>>,
    /// What each static entry contributed to `static_seeds`.
    static_rec: BTreeMap<String, (String, Ipv4Net)>,
    /// Some input was pending at the last computation.
    volatile: bool,
}

/// Every TR route table's entries (static + propagated, §6.3.4) at one time: shared,
/// read-only parts of the world's route cache.
#[derive(Debug, Clone, Default)]
pub struct TrRoutes {
    parts: Vec<Arc<CenRoutes>>,
}

impl TrRoutes {
    /// The entries of table `id`, if the table exists.
    pub fn get(&self, id: &str) -> Option<&TableRoutes> {
        self.parts.iter().find_map(|p| p.tables.get(id))
    }

    /// Every table, by id within each CEN.
    pub fn tables(&self) -> impl Iterator<Item = (&String, &TableRoutes)> + '_ {
        self.parts.iter().flat_map(|p| p.tables.iter())
    }

    /// As a plain map of sorted lists (the form [`super::routing::compute_routes`] returns).
    pub fn to_map(&self) -> TrRouteMap {
        self.tables()
            .map(|(id, t)| (id.clone(), t.iter().cloned().collect()))
            .collect()
    }

    /// Wraps a plain map.
    pub fn from_map(map: TrRouteMap) -> TrRoutes {
        let tables = map
            .into_iter()
            .map(|(id, list)| (id, TableRoutes::from_list(list)))
            .collect();
        TrRoutes {
            parts: vec![Arc::new(CenRoutes {
                tables,
                ..CenRoutes::default()
            })],
        }
    }
}

/// The vSwitch CIDRs of a VPC as propagation sees them at `now` (`Available` only), and
/// whether any of its vSwitches has a pending transition.
pub(crate) type VpcCidrs<'a> = &'a dyn Fn(&str, Timestamp) -> (Vec<Ipv4Net>, bool);

/// Pending notifications plus the computed CENs.
#[derive(Debug, Clone, Default)]
pub(crate) struct RouteCache {
    /// False: everything is recomputed at the next read.
    built: bool,
    /// Computed CENs by id (`""` for tables whose TR is unknown).
    cens: BTreeMap<String, Arc<CenRoutes>>,
    /// Attachment → the CEN whose seeds hold its contribution.
    att_home: BTreeMap<String, String>,
    /// Static entry → the CEN whose seeds hold it.
    static_home: BTreeMap<String, String>,
    dirty_cens: BTreeSet<String>,
    dirty_atts: BTreeSet<String>,
    dirty_statics: BTreeSet<String>,
    dirty_vpcs: BTreeSet<String>,
}

/// The derived parts of [`CenState`].
#[derive(Debug, Default)]
pub struct CenDerived {
    index: OnceLock<CenIndex>,
    routes: Mutex<RouteCache>,
}

impl Clone for CenDerived {
    fn clone(&self) -> Self {
        let routes = self
            .routes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        CenDerived {
            index: self.index.clone(),
            routes: Mutex::new(routes),
        }
    }
}

impl PartialEq for CenDerived {
    /// A cache, not state.
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for CenDerived {}

impl CenDerived {
    fn routes_mut(&mut self) -> &mut RouteCache {
        self.routes.get_mut().unwrap_or_else(|e| e.into_inner())
    }
}

// ---- CenState: index access and change notes ------------------------------------------------

impl CenState {
    /// The lookup indexes (built on first use).
    pub(crate) fn index(&self) -> &CenIndex {
        self.derived.index.get_or_init(|| CenIndex::build(self))
    }

    fn index_mut(&mut self) -> Option<&mut CenIndex> {
        self.derived.index.get_mut()
    }

    /// Forgets every derived structure (after an edit the notes below do not describe, e.g. a
    /// test editing the maps directly).
    pub(crate) fn invalidate_derived(&mut self) {
        self.derived = CenDerived::default();
    }

    /// A TR and its tables were inserted.
    pub(crate) fn note_tr_inserted(&mut self, tr: &str) {
        let Some(t) = self.transit_routers.get(tr) else {
            return;
        };
        let (cen, region) = (t.cen_id.clone(), t.region_id.clone());
        let tables: Vec<String> = self
            .route_tables
            .values()
            .filter(|x| x.transit_router_id == tr)
            .map(|x| x.route_table_id.clone())
            .collect();
        if let Some(ix) = self.index_mut() {
            ix.note_tr(tr, &cen, &region);
            for t in &tables {
                add(&mut ix.tables_by_tr, tr, t);
            }
        }
        self.derived.routes_mut().dirty_cens.insert(cen);
    }

    /// TR `tr` of `cen` in `region` is about to be removed with its tables and their statics
    /// (it has no attachments). Removes them and un-indexes them.
    pub(crate) fn remove_tr(&mut self, tr: &str) {
        let tables: Vec<String> = group(&self.index().tables_by_tr, tr).cloned().collect();
        let Some(t) = self.transit_routers.remove(tr) else {
            return;
        };
        for table in &tables {
            let statics: Vec<String> = group(&self.index().statics_by_table, table)
                .cloned()
                .collect();
            for s in statics {
                self.static_entries.remove(&s);
            }
            self.route_tables.remove(table);
        }
        if let Some(ix) = self.index_mut() {
            remove(&mut ix.trs_by_cen, &t.cen_id, tr);
            remove(
                &mut ix.trs_by_cen_region,
                &pair(&t.cen_id, &t.region_id),
                tr,
            );
            ix.tables_by_tr.remove(tr);
            for table in &tables {
                ix.statics_by_table.remove(table);
            }
        }
        let routes = self.derived.routes_mut();
        routes.dirty_cens.insert(t.cen_id);
    }

    /// An attachment was inserted.
    pub(crate) fn note_attachment_inserted(&mut self, id: &str) {
        let Some(a) = self.attachments.get(id) else {
            return;
        };
        if let Some(ix) = self.derived.index.get_mut() {
            ix.note_attachment(a);
        }
        let peer_cen = a.vpc_id().is_none().then(|| a.cen_id.clone());
        self.note_attachment_changed(id, peer_cen);
    }

    /// Attachment `id` changed; `peer_cen` is its CEN when it is a peer attachment (whose
    /// changes move peer edges: the whole CEN is recomputed).
    fn note_attachment_changed(&mut self, id: &str, peer_cen: Option<String>) {
        let routes = self.derived.routes_mut();
        match peer_cen {
            Some(cen) => {
                routes.dirty_cens.insert(cen);
            }
            None => {
                routes.dirty_atts.insert(id.to_string());
            }
        }
    }

    /// Removes an attachment with its associations, propagations and the static entries that
    /// point at it; returns it.
    pub(crate) fn remove_attachment(&mut self, id: &str) -> Option<super::resources::Attachment> {
        let a = self.attachments.get(id)?.clone();
        // Static entries pointing at it live in the tables of its TRs.
        let mut statics = Vec::new();
        for end in a.ends() {
            for table in group(&self.index().tables_by_tr, end) {
                for s in group(&self.index().statics_by_table, table) {
                    if self
                        .static_entries
                        .get(s)
                        .is_some_and(|e| e.next_hop.attachment() == Some(id))
                    {
                        statics.push(s.clone());
                    }
                }
            }
        }
        for s in statics {
            self.remove_static(&s);
        }
        let links: Vec<String> = group(&self.index().links_of_att, id).cloned().collect();
        for table in links {
            if let Some(t) = self.route_tables.get_mut(&table) {
                t.associations.remove(id);
                t.propagations.remove(id);
                let tr = t.transit_router_id.clone();
                if let Some(ix) = self.index_mut() {
                    remove(&mut ix.association, &pair(&tr, id), &table);
                }
            }
        }
        self.attachments.remove(id);
        if let Some(ix) = self.index_mut() {
            ix.links_of_att.remove(id);
            ix.forget_attachment(&a);
        }
        let peer_cen = a.vpc_id().is_none().then(|| a.cen_id.clone());
        self.note_attachment_changed(id, peer_cen);
        Some(a)
    }

    /// Associates/dissociates or enables/disables propagation of `att` in `table`.
    pub(crate) fn set_link(&mut self, att: &str, table: &str, associate: bool, on: bool) {
        let Some(t) = self.route_tables.get_mut(table) else {
            return;
        };
        let set = if associate {
            &mut t.associations
        } else {
            &mut t.propagations
        };
        if on {
            set.insert(att.to_string());
        } else {
            set.remove(att);
        }
        let linked = t.associations.contains(att) || t.propagations.contains(att);
        let tr = t.transit_router_id.clone();
        if let Some(ix) = self.index_mut() {
            if associate {
                if on {
                    add(&mut ix.association, &pair(&tr, att), table);
                } else {
                    remove(&mut ix.association, &pair(&tr, att), table);
                }
            }
            if linked {
                add(&mut ix.links_of_att, att, table);
            } else {
                remove(&mut ix.links_of_att, att, table);
            }
        }
        let peer_cen = self
            .attachments
            .get(att)
            .filter(|a| a.vpc_id().is_none())
            .map(|a| a.cen_id.clone());
        self.note_attachment_changed(att, peer_cen);
    }

    /// A static entry was inserted.
    pub(crate) fn note_static_inserted(&mut self, id: &str) {
        let Some(e) = self.static_entries.get(id) else {
            return;
        };
        let table = e.route_table_id.clone();
        if let Some(ix) = self.index_mut() {
            add(&mut ix.statics_by_table, &table, id);
        }
        self.derived
            .routes_mut()
            .dirty_statics
            .insert(id.to_string());
    }

    /// Removes a static entry.
    pub(crate) fn remove_static(&mut self, id: &str) {
        let Some(e) = self.static_entries.remove(id) else {
            return;
        };
        if let Some(ix) = self.index_mut() {
            remove(&mut ix.statics_by_table, &e.route_table_id, id);
        }
        self.derived
            .routes_mut()
            .dirty_statics
            .insert(id.to_string());
    }

    /// A vSwitch of VPC `vpc` was created, deleted or changed.
    pub(crate) fn note_vpc_changed(&mut self, vpc: &str) {
        self.derived.routes_mut().dirty_vpcs.insert(vpc.to_string());
    }

    /// The routes of every table at `now`, brought up to date first.
    pub(crate) fn cached_routes(&self, now: Timestamp, cidrs: VpcCidrs<'_>) -> TrRoutes {
        let mut cache = self
            .derived
            .routes
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        cache.refresh(self, now, cidrs);
        TrRoutes {
            parts: cache.cens.values().cloned().collect(),
        }
    }
}

// ---- the route cache ----------------------------------------------------------------------------

/// The CEN key of table `table`: its TR's CEN, or `""` when unknown.
fn cen_of_table<'a>(cen: &'a CenState, table: &str) -> &'a str {
    cen.route_tables
        .get(table)
        .and_then(|t| cen.transit_routers.get(&t.transit_router_id))
        .map_or("", |tr| tr.cen_id.as_str())
}

impl RouteCache {
    fn refresh(&mut self, cen: &CenState, now: Timestamp, cidrs: VpcCidrs<'_>) {
        if !self.built {
            self.rebuild_all(cen, now, cidrs);
            return;
        }
        let index = cen.index();
        // vSwitch changes: every attachment of the VPC.
        for vpc in std::mem::take(&mut self.dirty_vpcs) {
            for a in group(&index.atts_by_vpc, &vpc) {
                self.dirty_atts.insert(a.clone());
            }
        }
        // Peer attachments and unknown CENs make the whole CEN dirty.
        let atts = std::mem::take(&mut self.dirty_atts);
        let statics = std::mem::take(&mut self.dirty_statics);
        for id in &atts {
            match cen.attachments.get(id) {
                Some(a) if matches!(a.kind, AttachKind::Peer { .. }) => {
                    self.dirty_cens.insert(a.cen_id.clone());
                }
                _ => {}
            }
        }
        let mut full = std::mem::take(&mut self.dirty_cens);
        full.extend(
            self.cens
                .iter()
                .filter(|(_, c)| c.volatile)
                .map(|(k, _)| k.clone()),
        );
        if full.contains("") {
            self.rebuild_all(cen, now, cidrs);
            return;
        }
        for key in &full {
            if !self.rebuild_cen(cen, key, now, cidrs) {
                self.rebuild_all(cen, now, cidrs);
                return;
            }
        }
        let mut dests: BTreeMap<String, BTreeSet<Ipv4Net>> = BTreeMap::new();
        for id in &atts {
            if !self.update_attachment(cen, id, now, cidrs, &full, &mut dests) {
                self.rebuild_all(cen, now, cidrs);
                return;
            }
        }
        for id in &statics {
            if !self.update_static(cen, id, now, &full, &mut dests) {
                self.rebuild_all(cen, now, cidrs);
                return;
            }
        }
        for (key, ds) in dests {
            if let Some(c) = self.cens.get_mut(&key) {
                let c = Arc::make_mut(c);
                for d in ds {
                    c.recompute(cen, &d, now);
                }
            }
        }
    }

    fn rebuild_all(&mut self, cen: &CenState, now: Timestamp, cidrs: VpcCidrs<'_>) {
        *self = RouteCache::default();
        let mut keys: BTreeSet<&str> = BTreeSet::new();
        for t in cen.route_tables.values() {
            keys.insert(cen_of_table(cen, &t.route_table_id));
        }
        for key in keys {
            let tables: Vec<&str> = cen
                .route_tables
                .values()
                .filter(|t| cen_of_table(cen, &t.route_table_id) == key)
                .map(|t| t.route_table_id.as_str())
                .collect();
            let Some(c) = self.build_cen(cen, key, &tables, now, cidrs) else {
                // A peer edge between two CENs (only an edited world): the reference, always.
                *self = RouteCache::default();
                let map = super::routing::compute_routes(cen, now, &|v| cidrs(v, now).0);
                let mut c = TrRoutes::from_map(map).parts.remove(0);
                Arc::make_mut(&mut c).volatile = true;
                self.cens.insert(String::new(), c);
                self.built = true;
                self.dirty_cens.insert(String::new());
                return;
            };
            self.cens.insert(key.to_string(), Arc::new(c));
        }
        self.built = true;
    }

    /// Rebuilds one CEN; false when that needs a rebuild of everything.
    fn rebuild_cen(
        &mut self,
        cen: &CenState,
        key: &str,
        now: Timestamp,
        cidrs: VpcCidrs<'_>,
    ) -> bool {
        let index = cen.index();
        let mut tables: Vec<&str> = Vec::new();
        for tr in group(&index.trs_by_cen, key) {
            tables.extend(group(&index.tables_by_tr, tr).map(String::as_str));
        }
        tables.sort_unstable();
        match self.build_cen(cen, key, &tables, now, cidrs) {
            Some(c) => {
                if c.tables.is_empty() {
                    self.cens.remove(key);
                } else {
                    self.cens.insert(key.to_string(), Arc::new(c));
                }
                true
            }
            None => false,
        }
    }

    /// Computes the CEN `key` whose tables are `tables` (sorted) from scratch; `None` when a
    /// peer edge leaves the CEN.
    fn build_cen(
        &mut self,
        cen: &CenState,
        key: &str,
        tables: &[&str],
        now: Timestamp,
        cidrs: VpcCidrs<'_>,
    ) -> Option<CenRoutes> {
        let index = cen.index();
        let mut c = CenRoutes::default();
        for id in tables {
            let Some(t) = cen.route_tables.get(*id) else {
                continue;
            };
            c.tables
                .insert(t.route_table_id.clone(), TableRoutes::default());
            c.tables_by_tr
                .entry(t.transit_router_id.clone())
                .or_default()
                .push(t.route_table_id.clone());
            for s in group(&index.statics_by_table, id) {
                let Some(e) = cen.static_entries.get(s) else {
                    continue;
                };
                c.volatile |= e.lifecycle.pending.is_some();
                c.add_static(s, id, e.destination);
                self.static_home.insert(s.clone(), key.to_string());
            }
            for att in &t.propagations {
                let Some(a) = cen.attachments.get(att) else {
                    continue;
                };
                c.volatile |= a.lifecycle.pending.is_some();
                if a.lifecycle.at(now) != AttachStatus::Attached {
                    continue;
                }
                match &a.kind {
                    AttachKind::Vpc { vpc_id, .. } => {
                        let (list, pending) = cidrs(vpc_id, now);
                        c.volatile |= pending;
                        for d in list {
                            c.add_vpc(att, id, d);
                        }
                        self.att_home.insert(att.clone(), key.to_string());
                    }
                    AttachKind::Peer { .. } => {
                        let Some(remote_tr) = a.other_end(&t.transit_router_id) else {
                            continue;
                        };
                        let Some(remote) = cen.association(remote_tr, att) else {
                            continue;
                        };
                        if cen_of_table(cen, &remote.route_table_id) != key {
                            return None;
                        }
                        c.edges.push(Edge {
                            table: t.route_table_id.clone(),
                            remote: remote.route_table_id.clone(),
                            att: att.clone(),
                        });
                    }
                }
            }
        }
        let dests: BTreeSet<Ipv4Net> = c
            .static_seeds
            .keys()
            .chain(c.vpc_seeds.keys())
            .copied()
            .collect();
        for d in dests {
            c.recompute(cen, &d, now);
        }
        Some(c)
    }

    /// Re-derives the seeds of VPC attachment `id`; collects the destinations to recompute.
    /// False when the attachment's CEN is unknown.
    fn update_attachment(
        &mut self,
        cen: &CenState,
        id: &str,
        now: Timestamp,
        cidrs: VpcCidrs<'_>,
        rebuilt: &BTreeSet<String>,
        dests: &mut BTreeMap<String, BTreeSet<Ipv4Net>>,
    ) -> bool {
        // The old contribution (a rebuilt CEN has none left to remove).
        if let Some(home) = self.att_home.get(id).cloned() {
            if !rebuilt.contains(&home) {
                self.att_home.remove(id);
                if let Some(c) = self.cens.get_mut(&home) {
                    let c = Arc::make_mut(c);
                    for (table, d) in c.att_seeds.remove(id).unwrap_or_default() {
                        c.remove_vpc(id, &table, &d);
                        dests.entry(home.clone()).or_default().insert(d);
                    }
                }
            }
        }
        let Some(a) = cen.attachments.get(id) else {
            return true;
        };
        let AttachKind::Vpc { vpc_id, .. } = &a.kind else {
            return true; // peer: its CEN was rebuilt
        };
        let key = cen
            .transit_routers
            .get(&a.transit_router_id)
            .map_or("", |t| t.cen_id.as_str());
        if rebuilt.contains(key) {
            return true;
        }
        let Some(c) = self.cens.get_mut(key) else {
            return true; // no table of that CEN (or an unknown TR): nothing propagates it
        };
        let c = Arc::make_mut(c);
        c.volatile |= a.lifecycle.pending.is_some();
        if a.lifecycle.at(now) != AttachStatus::Attached {
            return true;
        }
        let tables: Vec<String> = c
            .tables_by_tr
            .get(&a.transit_router_id)
            .cloned()
            .unwrap_or_default();
        let mut list = None;
        for table in tables {
            let propagates = cen
                .route_tables
                .get(&table)
                .is_some_and(|t| t.propagations.contains(id));
            if !propagates {
                continue;
            }
            let (cidr_list, pending) = list.get_or_insert_with(|| cidrs(vpc_id, now)).clone();
            c.volatile |= pending;
            for d in cidr_list {
                c.add_vpc(id, &table, d);
                dests.entry(key.to_string()).or_default().insert(d);
            }
            self.att_home.insert(id.to_string(), key.to_string());
        }
        true
    }

    /// Re-derives the seed of static entry `id`.
    fn update_static(
        &mut self,
        cen: &CenState,
        id: &str,
        _now: Timestamp,
        rebuilt: &BTreeSet<String>,
        dests: &mut BTreeMap<String, BTreeSet<Ipv4Net>>,
    ) -> bool {
        if let Some(home) = self.static_home.get(id).cloned() {
            if !rebuilt.contains(&home) {
                self.static_home.remove(id);
                if let Some(c) = self.cens.get_mut(&home) {
                    let c = Arc::make_mut(c);
                    if let Some((table, d)) = c.static_rec.remove(id) {
                        if let Some(set) = c.static_seeds.get_mut(&d) {
                            set.remove(&(table, id.to_string()));
                            if set.is_empty() {
                                c.static_seeds.remove(&d);
                            }
                        }
                        dests.entry(home.clone()).or_default().insert(d);
                    }
                }
            }
        }
        let Some(e) = cen.static_entries.get(id) else {
            return true;
        };
        let key = cen_of_table(cen, &e.route_table_id);
        if rebuilt.contains(key) {
            return true;
        }
        let Some(c) = self.cens.get_mut(key) else {
            return false;
        };
        let c = Arc::make_mut(c);
        if !c.tables.contains_key(&e.route_table_id) {
            return false;
        }
        c.volatile |= e.lifecycle.pending.is_some();
        c.add_static(id, &e.route_table_id, e.destination);
        self.static_home.insert(id.to_string(), key.to_string());
        dests
            .entry(key.to_string())
            .or_default()
            .insert(e.destination);
        true
    }
}

impl CenRoutes {
    fn add_static(&mut self, id: &str, table: &str, d: Ipv4Net) {
        self.static_seeds
            .entry(d)
            .or_default()
            .insert((table.to_string(), id.to_string()));
        self.static_rec
            .insert(id.to_string(), (table.to_string(), d));
    }

    fn add_vpc(&mut self, att: &str, table: &str, d: Ipv4Net) {
        self.vpc_seeds
            .entry(d)
            .or_default()
            .insert((table.to_string(), att.to_string()));
        self.att_seeds
            .entry(att.to_string())
            .or_default()
            .push((table.to_string(), d));
    }

    fn remove_vpc(&mut self, att: &str, table: &str, d: &Ipv4Net) {
        if let Some(set) = self.vpc_seeds.get_mut(d) {
            set.remove(&(table.to_string(), att.to_string()));
            if set.is_empty() {
                self.vpc_seeds.remove(d);
            }
        }
    }

    /// Recomputes destination `d` in every table of the CEN: the rounds of
    /// [`super::routing::compute_routes`] restricted to `d`.
    fn recompute(&mut self, cen: &CenState, d: &Ipv4Net, now: Timestamp) {
        // Per table: the entries for `d` so far, and the round its Active entry won in with
        // that entry's next hop.
        let mut out: BTreeMap<&str, Vec<TrRoute>> = BTreeMap::new();
        let mut active: BTreeMap<&str, Option<String>> = BTreeMap::new();
        // Round 0: static entries (id order) then propagated vSwitch CIDRs (attachment order),
        // per table.
        let mut round0: BTreeMap<&str, Vec<TrRoute>> = BTreeMap::new();
        for (table, sid) in self.static_seeds.get(d).into_iter().flatten() {
            let Some(e) = cen.static_entries.get(sid) else {
                continue;
            };
            round0.entry(table.as_str()).or_default().push(TrRoute {
                route_entry_id: e.route_entry_id.clone(),
                destination: *d,
                origin: RouteOrigin::Static,
                next_hop: e.next_hop.clone(),
                status: if e.lifecycle.at(now) == CenStatus::Active {
                    TrRouteStatus::Active
                } else {
                    TrRouteStatus::Creating
                },
                round: 0,
            });
        }
        for (table, att) in self.vpc_seeds.get(d).into_iter().flatten() {
            round0.entry(table.as_str()).or_default().push(TrRoute {
                route_entry_id: derived_id(table, d, att),
                destination: *d,
                origin: RouteOrigin::Vpc,
                next_hop: TrNextHop::Attachment(att.clone()),
                status: TrRouteStatus::Active,
                round: 0,
            });
        }
        let mut fresh: BTreeSet<&str> = BTreeSet::new();
        for (table, new) in round0 {
            settle(table, new, &mut out, &mut active, &mut fresh);
        }
        let mut offered: BTreeSet<(&str, &str)> = BTreeSet::new();
        let mut round = 0u32;
        while !fresh.is_empty() {
            round += 1;
            let mut additions: BTreeMap<&str, Vec<TrRoute>> = BTreeMap::new();
            for e in &self.edges {
                if !fresh.contains(e.remote.as_str()) {
                    continue;
                }
                let Some(hop) = active.get(e.remote.as_str()) else {
                    continue;
                };
                if hop.as_deref() == Some(e.att.as_str()) {
                    continue; // split horizon
                }
                if !offered.insert((e.table.as_str(), e.att.as_str())) {
                    continue;
                }
                additions
                    .entry(e.table.as_str())
                    .or_default()
                    .push(TrRoute {
                        route_entry_id: derived_id(&e.table, d, &e.att),
                        destination: *d,
                        origin: RouteOrigin::Peer,
                        next_hop: TrNextHop::Attachment(e.att.clone()),
                        status: TrRouteStatus::Active,
                        round,
                    });
            }
            let mut next = BTreeSet::new();
            for (table, new) in additions {
                settle(table, new, &mut out, &mut active, &mut next);
            }
            fresh = next;
        }
        // Write back: every table of the CEN gets exactly the entries computed for `d`.
        let mut results: BTreeMap<String, Vec<TrRoute>> = out
            .into_iter()
            .map(|(t, mut list)| {
                list.sort_by(|a, b| {
                    a.origin
                        .cmp(&b.origin)
                        .then_with(|| a.next_hop.cmp(&b.next_hop))
                });
                (t.to_string(), list)
            })
            .collect();
        for (id, t) in self.tables.iter_mut() {
            t.set(*d, results.remove(id).unwrap_or_default());
        }
    }
}

/// One round's conflict resolution for one destination in one table (`settle_round` of
/// [`super::routing`]): the best new candidate wins unless the table already has an Active
/// entry; `Creating` statics are kept as they are. Tables whose entry became Active go to
/// `fresh`, with the winner's next hop in `active` (for split horizon).
fn settle<'a>(
    table: &'a str,
    mut new: Vec<TrRoute>,
    out: &mut BTreeMap<&'a str, Vec<TrRoute>>,
    active: &mut BTreeMap<&'a str, Option<String>>,
    fresh: &mut BTreeSet<&'a str>,
) {
    new.sort_by(|a, b| (a.origin, a.round, &a.next_hop).cmp(&(b.origin, b.round, &b.next_hop)));
    let list = out.entry(table).or_default();
    for mut r in new {
        if r.status == TrRouteStatus::Creating {
            list.push(r);
            continue;
        }
        if active.contains_key(table) {
            r.status = TrRouteStatus::Rejected;
        } else {
            r.status = TrRouteStatus::Active;
            active.insert(table, r.next_hop.attachment().map(str::to_string));
            fresh.insert(table);
        }
        list.push(r);
    }
}
