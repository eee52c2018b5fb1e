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
//! * a peer attachment (created, deleted, (dis)associated, propagation enabled/disabled): its
//!   peer edges are re-derived, and only the destinations a changed edge can alter are
//!   recomputed — over a removed edge, those the learning table had learned through it;
//!   over an added edge, those the remote table has Active with another next hop;
//! * a TR (created, or deleted with its tables): the CEN's table list changes, no entry
//!   does (a new TR's table has no links yet; a deleted TR had no attachments, and its
//!   static entries are removed as static-entry changes).
//!
//! Tables are addressed by position within their CEN during a recomputation, the peer edges
//! kept by the table that offers over them, so one destination costs the entries it makes;
//! and only tables whose entries for it change are written.
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
use super::routing::{
    derived_id, learned_from_region, RouteOrigin, TrRoute, TrRouteMap, TrRouteStatus,
};
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
    /// Owner uid → TR ids (`ListTransitRouters` pages through it).
    pub trs_by_owner: Groups,
    /// `owner|region` → TR ids.
    pub trs_by_owner_region: Groups,
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
            ix.note_tr(t);
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

    fn note_tr(&mut self, t: &super::resources::TransitRouter) {
        let tr = &t.transit_router_id;
        add(&mut self.trs_by_cen, &t.cen_id, tr);
        add(
            &mut self.trs_by_cen_region,
            &pair(&t.cen_id, &t.region_id),
            tr,
        );
        add(&mut self.trs_by_owner, &t.owner_uid, tr);
        add(
            &mut self.trs_by_owner_region,
            &pair(&t.owner_uid, &t.region_id),
            tr,
        );
    }

    fn forget_tr(&mut self, t: &super::resources::TransitRouter) {
        let tr = &t.transit_router_id;
        remove(&mut self.trs_by_cen, &t.cen_id, tr);
        remove(
            &mut self.trs_by_cen_region,
            &pair(&t.cen_id, &t.region_id),
            tr,
        );
        remove(&mut self.trs_by_owner, &t.owner_uid, tr);
        remove(
            &mut self.trs_by_owner_region,
            &pair(&t.owner_uid, &t.region_id),
            tr,
        );
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

/// The computed tables of one CEN and what is needed to recompute one destination.
#[derive(Debug, Clone, Default)]
pub struct CenRoutes {
    /// Every table of the CEN (empty ones included), in id order; a table's position here is
    /// its index in `tables` and `out_edges`.
    names: Vec<String>,
    /// Table id → position.
    pos: BTreeMap<String, usize>,
    /// The entries of each table, by position.
    tables: Vec<TableRoutes>,
    /// Table ids by TR.
    tables_by_tr: BTreeMap<String, Vec<String>>,
    /// Peer edges by peer attachment: `(table, remote)`: `table` learns over the attachment
    /// from `remote` (the remote end's table associated with it).
    edges_of_att: BTreeMap<String, Vec<(String, String)>>,
    /// The same edges by the position of `remote`: `(position of table, attachment)`.
    out_edges: Vec<Vec<(usize, String)>>,
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
        self.parts
            .iter()
            .find_map(|p| p.pos.get(id).and_then(|&i| p.tables.get(i)))
    }

    /// Every table, by id within each CEN.
    pub fn tables(&self) -> impl Iterator<Item = (&String, &TableRoutes)> + '_ {
        self.parts
            .iter()
            .flat_map(|p| p.names.iter().zip(p.tables.iter()))
    }

    /// As a plain map of sorted lists (the form [`super::routing::compute_routes`] returns).
    pub fn to_map(&self) -> TrRouteMap {
        self.tables()
            .map(|(id, t)| (id.clone(), t.iter().cloned().collect()))
            .collect()
    }

    /// Wraps a plain map.
    pub fn from_map(map: TrRouteMap) -> TrRoutes {
        let mut c = CenRoutes::default();
        for (id, list) in map {
            c.pos.insert(id.clone(), c.names.len());
            c.names.push(id);
            c.tables.push(TableRoutes::from_list(list));
        }
        c.out_edges = vec![Vec::new(); c.names.len()];
        TrRoutes {
            parts: vec![Arc::new(c)],
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
    /// VPC attachment → the CEN whose seeds hold its contribution.
    att_home: BTreeMap<String, String>,
    /// Peer attachment → the CEN whose edges hold it.
    peer_home: BTreeMap<String, String>,
    /// Static entry → the CEN whose seeds hold it.
    static_home: BTreeMap<String, String>,
    /// CENs whose set of TRs / tables changed (`""`: recompute everything).
    dirty_shapes: BTreeSet<String>,
    dirty_atts: BTreeSet<String>,
    dirty_statics: BTreeSet<String>,
    dirty_vpcs: BTreeSet<String>,
    /// How many times a CEN was computed from scratch (tests check that changes do not).
    rebuilds: u64,
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
        let cen = t.cen_id.clone();
        let tables: Vec<String> = self
            .route_tables
            .values()
            .filter(|x| x.transit_router_id == tr)
            .map(|x| x.route_table_id.clone())
            .collect();
        if let Some(ix) = self.derived.index.get_mut() {
            ix.note_tr(t);
            for t in &tables {
                add(&mut ix.tables_by_tr, tr, t);
            }
        }
        self.derived.routes_mut().dirty_shapes.insert(cen);
    }

    /// TR `tr` of `cen` in `region` is about to be removed with its tables and their statics
    /// (it has no attachments). Removes them and un-indexes them.
    pub(crate) fn remove_tr(&mut self, tr: &str) {
        let tables: Vec<String> = group(&self.index().tables_by_tr, tr).cloned().collect();
        let Some(t) = self.transit_routers.remove(tr) else {
            return;
        };
        let mut removed_statics = Vec::new();
        for table in &tables {
            let statics: Vec<String> = group(&self.index().statics_by_table, table)
                .cloned()
                .collect();
            for s in statics {
                self.static_entries.remove(&s);
                removed_statics.push(s);
            }
            self.route_tables.remove(table);
        }
        if let Some(ix) = self.index_mut() {
            ix.forget_tr(&t);
            ix.tables_by_tr.remove(tr);
            for table in &tables {
                ix.statics_by_table.remove(table);
            }
        }
        let routes = self.derived.routes_mut();
        routes.dirty_shapes.insert(t.cen_id);
        routes.dirty_statics.extend(removed_statics);
    }

    /// An attachment was inserted.
    pub(crate) fn note_attachment_inserted(&mut self, id: &str) {
        let Some(a) = self.attachments.get(id) else {
            return;
        };
        if let Some(ix) = self.derived.index.get_mut() {
            ix.note_attachment(a);
        }
        self.note_attachment_changed(id);
    }

    /// Attachment `id` (VPC or peer) was inserted, changed or removed.
    fn note_attachment_changed(&mut self, id: &str) {
        self.derived.routes_mut().dirty_atts.insert(id.to_string());
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
        self.note_attachment_changed(id);
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
        self.note_attachment_changed(att);
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

    /// How many times a CEN's tables were computed from scratch so far (not incrementally).
    #[cfg(test)]
    pub(crate) fn route_rebuilds(&self) -> u64 {
        self.derived
            .routes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .rebuilds
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

/// The ids of the tables of CEN `key`'s TRs, sorted.
fn tables_of_cen<'a>(cen: &'a CenState, key: &str) -> Vec<&'a str> {
    let index = cen.index();
    let mut tables: Vec<&str> = Vec::new();
    for tr in group(&index.trs_by_cen, key) {
        tables.extend(group(&index.tables_by_tr, tr).map(String::as_str));
    }
    tables.sort_unstable();
    tables
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
        let atts = std::mem::take(&mut self.dirty_atts);
        let statics = std::mem::take(&mut self.dirty_statics);
        let shapes = std::mem::take(&mut self.dirty_shapes);
        if shapes.contains("") {
            self.rebuild_all(cen, now, cidrs);
            return;
        }
        // Volatile CENs, and changed CENs not computed yet, are recomputed in full.
        let mut full: BTreeSet<String> = self
            .cens
            .iter()
            .filter(|(_, c)| c.volatile)
            .map(|(k, _)| k.clone())
            .collect();
        for key in &shapes {
            if !self.cens.contains_key(key) {
                full.insert(key.clone());
            }
        }
        for key in &full {
            if !self.rebuild_cen(cen, key, now, cidrs) {
                self.rebuild_all(cen, now, cidrs);
                return;
            }
        }
        // TRs (with their tables) added or removed: the table list changes, entries stay.
        for key in &shapes {
            if full.contains(key) {
                continue;
            }
            if !self.reshape(cen, key) && !self.rebuild_cen(cen, key, now, cidrs) {
                self.rebuild_all(cen, now, cidrs);
                return;
            }
        }
        let mut dests: BTreeMap<String, BTreeSet<Ipv4Net>> = BTreeMap::new();
        for id in &atts {
            let peer = self.peer_home.contains_key(id)
                || cen
                    .attachments
                    .get(id)
                    .is_some_and(|a| matches!(a.kind, AttachKind::Peer { .. }));
            let done = if peer {
                self.update_peer(cen, id, now, &full, &mut dests)
            } else {
                self.update_attachment(cen, id, now, cidrs, &full, &mut dests)
            };
            if !done {
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
        *self = RouteCache {
            rebuilds: self.rebuilds,
            ..RouteCache::default()
        };
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
                *self = RouteCache {
                    rebuilds: self.rebuilds,
                    ..RouteCache::default()
                };
                let map = super::routing::compute_routes(cen, now, &|v| cidrs(v, now).0);
                let mut c = TrRoutes::from_map(map).parts.remove(0);
                Arc::make_mut(&mut c).volatile = true;
                self.cens.insert(String::new(), c);
                self.built = true;
                self.dirty_shapes.insert(String::new());
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
        let tables = tables_of_cen(cen, key);
        match self.build_cen(cen, key, &tables, now, cidrs) {
            Some(c) => {
                if c.names.is_empty() {
                    self.cens.remove(key);
                } else {
                    self.cens.insert(key.to_string(), Arc::new(c));
                }
                true
            }
            None => false,
        }
    }

    /// Brings the table list of computed CEN `key` up to date after TRs were added or removed,
    /// keeping every entry: a new TR's table is empty (nothing is linked to it yet), and a
    /// removed TR had no attachments (its static entries are notified separately). False
    /// when that does not hold (the caller recomputes the CEN instead).
    fn reshape(&mut self, cen: &CenState, key: &str) -> bool {
        let tables = tables_of_cen(cen, key);
        let Some(c) = self.cens.get_mut(key) else {
            return false;
        };
        if tables.is_empty() || tables == c.names {
            return !tables.is_empty();
        }
        let keep: BTreeSet<&str> = tables.iter().copied().collect();
        // A removed table must not feed anything but static entries.
        let feeds = |t: &str| !keep.contains(t);
        let linked = c
            .edges_of_att
            .values()
            .flatten()
            .any(|(t, r)| feeds(t) || feeds(r))
            || c.vpc_seeds.values().flatten().any(|(t, _)| feeds(t));
        if linked {
            return false;
        }
        let c = Arc::make_mut(c);
        let mut old: BTreeMap<String, TableRoutes> = std::mem::take(&mut c.names)
            .into_iter()
            .zip(std::mem::take(&mut c.tables))
            .collect();
        c.pos.clear();
        c.tables_by_tr.clear();
        for id in tables {
            c.pos.insert(id.to_string(), c.names.len());
            c.names.push(id.to_string());
            c.tables.push(old.remove(id).unwrap_or_default());
            if let Some(t) = cen.route_tables.get(id) {
                c.tables_by_tr
                    .entry(t.transit_router_id.clone())
                    .or_default()
                    .push(id.to_string());
            }
        }
        c.reindex_edges();
        true
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
        self.rebuilds += 1;
        let mut c = CenRoutes::default();
        for id in tables {
            let Some(t) = cen.route_tables.get(*id) else {
                continue;
            };
            c.pos.insert(t.route_table_id.clone(), c.names.len());
            c.names.push(t.route_table_id.clone());
            c.tables.push(TableRoutes::default());
            c.tables_by_tr
                .entry(t.transit_router_id.clone())
                .or_default()
                .push(t.route_table_id.clone());
        }
        for id in tables {
            let Some(t) = cen.route_tables.get(*id) else {
                continue;
            };
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
                        if !c.pos.contains_key(&remote.route_table_id) {
                            return None;
                        }
                        c.edges_of_att
                            .entry(att.clone())
                            .or_default()
                            .push((t.route_table_id.clone(), remote.route_table_id.clone()));
                        self.peer_home.insert(att.clone(), key.to_string());
                    }
                }
            }
        }
        c.reindex_edges();
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

    /// Re-derives the peer edges of peer attachment `id` and collects the destinations whose
    /// computation the changed edges can alter: over a removed edge, those the learning table
    /// has an entry for through `id`; over an added edge, those the remote table has Active
    /// with another next hop (an edge that offers nothing changes nothing, and the rounds
    /// before an edge first offers something are the same with or without it). False when
    /// the edges leave the attachment's CEN.
    fn update_peer(
        &mut self,
        cen: &CenState,
        id: &str,
        now: Timestamp,
        rebuilt: &BTreeSet<String>,
        dests: &mut BTreeMap<String, BTreeSet<Ipv4Net>>,
    ) -> bool {
        let index = cen.index();
        let mut new: Vec<(String, String)> = Vec::new();
        let mut new_key: Option<&str> = None;
        if let Some(a) = cen.attachments.get(id) {
            if a.lifecycle.pending.is_some() {
                // Volatile from now on: recomputed in full at every read until settled.
                let key = cen
                    .transit_routers
                    .get(&a.transit_router_id)
                    .map_or("", |t| t.cen_id.as_str());
                if !rebuilt.contains(key) {
                    if let Some(c) = self.cens.get_mut(key) {
                        Arc::make_mut(c).volatile = true;
                    }
                }
            }
            if a.lifecycle.at(now) == AttachStatus::Attached {
                for table in group(&index.links_of_att, id) {
                    let Some(t) = cen.route_tables.get(table) else {
                        continue;
                    };
                    if !t.propagations.contains(id) {
                        continue;
                    }
                    let Some(remote_tr) = a.other_end(&t.transit_router_id) else {
                        continue;
                    };
                    let Some(remote) = cen.association(remote_tr, id) else {
                        continue;
                    };
                    let key = cen_of_table(cen, table);
                    if cen_of_table(cen, &remote.route_table_id) != key
                        || new_key.is_some_and(|k| k != key)
                    {
                        return false;
                    }
                    new_key = Some(key);
                    new.push((table.clone(), remote.route_table_id.clone()));
                }
            }
        }
        new.sort_unstable();
        let old_key = self.peer_home.get(id).cloned();
        let key = match (old_key.as_deref(), new_key) {
            (Some(o), Some(n)) if o != n => return false,
            (_, Some(n)) => n.to_string(),
            (Some(o), None) => o.to_string(),
            (None, None) => return true,
        };
        if rebuilt.contains(&key) {
            return true; // its edges were derived by the rebuild
        }
        let Some(c) = self.cens.get_mut(&key) else {
            return new.is_empty();
        };
        let old: Vec<(String, String)> = c.edges_of_att.get(id).cloned().unwrap_or_default();
        if old == new {
            return true;
        }
        let known = |t: &str| c.pos.contains_key(t);
        if !new.iter().chain(&old).all(|(t, r)| known(t) && known(r)) {
            return false;
        }
        let mut touched: BTreeSet<Ipv4Net> = BTreeSet::new();
        for (t, _) in old.iter().filter(|e| !new.contains(e)) {
            // Removed: what `t` learned over `id`.
            for e in c.tables[c.pos[t]].iter() {
                if e.next_hop.attachment() == Some(id) {
                    touched.insert(e.destination);
                }
            }
        }
        for (_, r) in new.iter().filter(|e| !old.contains(e)) {
            // Added: what `r` can offer over `id`.
            for e in c.tables[c.pos[r]].iter() {
                if e.status == TrRouteStatus::Active && e.next_hop.attachment() != Some(id) {
                    touched.insert(e.destination);
                }
            }
        }
        let c = Arc::make_mut(c);
        if new.is_empty() {
            c.edges_of_att.remove(id);
            self.peer_home.remove(id);
        } else {
            c.edges_of_att.insert(id.to_string(), new);
            self.peer_home.insert(id.to_string(), key.clone());
        }
        c.reindex_edges();
        dests.entry(key).or_default().extend(touched);
        true
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
                    if c.att_seeds.contains_key(id) {
                        let c = Arc::make_mut(c);
                        for (table, d) in c.att_seeds.remove(id).unwrap_or_default() {
                            c.remove_vpc(id, &table, &d);
                            dests.entry(home.clone()).or_default().insert(d);
                        }
                    }
                }
            }
        }
        let Some(a) = cen.attachments.get(id) else {
            return true;
        };
        let AttachKind::Vpc { vpc_id, .. } = &a.kind else {
            return true; // peer: see `update_peer`
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
        let pending = a.lifecycle.pending.is_some();
        if pending && !c.volatile {
            Arc::make_mut(c).volatile = true;
        }
        if a.lifecycle.at(now) != AttachStatus::Attached {
            return true;
        }
        let tables: Vec<&String> = c
            .tables_by_tr
            .get(&a.transit_router_id)
            .into_iter()
            .flatten()
            .filter(|table| {
                cen.route_tables
                    .get(*table)
                    .is_some_and(|t| t.propagations.contains(id))
            })
            .collect();
        if tables.is_empty() {
            return true;
        }
        let tables: Vec<String> = tables.into_iter().cloned().collect();
        let c = Arc::make_mut(c);
        let (cidr_list, pending) = cidrs(vpc_id, now);
        c.volatile |= pending;
        for table in tables {
            for d in &cidr_list {
                c.add_vpc(id, &table, *d);
                dests.entry(key.to_string()).or_default().insert(*d);
            }
        }
        self.att_home.insert(id.to_string(), key.to_string());
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
        if !c.pos.contains_key(&e.route_table_id) {
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

/// A next hop as [`TrNextHop`] orders it, borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum HopRef<'a> {
    BlackHole,
    Attachment(&'a str),
}

impl<'a> HopRef<'a> {
    fn of(h: &'a TrNextHop) -> HopRef<'a> {
        match h {
            TrNextHop::BlackHole => HopRef::BlackHole,
            TrNextHop::Attachment(a) => HopRef::Attachment(a),
        }
    }

    fn attachment(self) -> Option<&'a str> {
        match self {
            HopRef::BlackHole => None,
            HopRef::Attachment(a) => Some(a),
        }
    }

    fn owned(self) -> TrNextHop {
        match self {
            HopRef::BlackHole => TrNextHop::BlackHole,
            HopRef::Attachment(a) => TrNextHop::Attachment(a.to_string()),
        }
    }
}

/// A candidate entry for one destination while it is being computed: a [`TrRoute`] without
/// its owned strings (they are made only for the tables whose entries change).
#[derive(Debug, Clone, Copy)]
struct Cand<'a> {
    origin: RouteOrigin,
    round: u32,
    /// The region a peer-propagated entry was learned from (`""` otherwise): the tie-break
    /// between otherwise equal entries before the next hop
    /// ([`super::routing::learned_from_region`]).
    region: &'a str,
    hop: HopRef<'a>,
    status: TrRouteStatus,
    /// The static entry's id; `None` for propagated entries (their id is derived).
    static_id: Option<&'a str>,
}

impl Cand<'_> {
    /// True when `r` is this candidate made concrete (a propagated entry's id is a function
    /// of table, destination and next hop, all equal here).
    fn is(&self, r: &TrRoute) -> bool {
        r.origin == self.origin
            && r.round == self.round
            && r.status == self.status
            && HopRef::of(&r.next_hop) == self.hop
            && self.static_id.is_none_or(|s| s == r.route_entry_id)
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

    /// Rebuilds `out_edges` from `edges_of_att` and the table positions.
    fn reindex_edges(&mut self) {
        let mut out = vec![Vec::new(); self.names.len()];
        for (att, list) in &self.edges_of_att {
            for (t, r) in list {
                if let (Some(&ti), Some(&ri)) = (self.pos.get(t), self.pos.get(r)) {
                    out[ri].push((ti, att.clone()));
                }
            }
        }
        self.out_edges = out;
    }

    /// Recomputes destination `d` in every table of the CEN: the rounds of
    /// [`super::routing::compute_routes`] restricted to `d`. Only the tables whose entries for
    /// `d` change are written.
    fn recompute(&mut self, cen: &CenState, d: &Ipv4Net, now: Timestamp) {
        let n = self.names.len();
        // Per table (by position): the candidates for `d` so far, and the next hop of its
        // Active entry once it has one (for split horizon).
        let mut out: Vec<Vec<Cand<'_>>> = vec![Vec::new(); n];
        let mut active: Vec<Option<Option<&str>>> = vec![None; n];
        // Round 0: static entries (id order) then propagated vSwitch CIDRs (attachment order),
        // per table.
        let mut batch: Vec<(usize, Cand<'_>)> = Vec::new();
        for (table, sid) in self.static_seeds.get(d).into_iter().flatten() {
            let (Some(&i), Some(e)) = (self.pos.get(table), cen.static_entries.get(sid)) else {
                continue;
            };
            batch.push((
                i,
                Cand {
                    origin: RouteOrigin::Static,
                    round: 0,
                    region: "",
                    hop: HopRef::of(&e.next_hop),
                    status: if e.lifecycle.at(now) == CenStatus::Active {
                        TrRouteStatus::Active
                    } else {
                        TrRouteStatus::Creating
                    },
                    static_id: Some(&e.route_entry_id),
                },
            ));
        }
        for (table, att) in self.vpc_seeds.get(d).into_iter().flatten() {
            let Some(&i) = self.pos.get(table) else {
                continue;
            };
            batch.push((
                i,
                Cand {
                    origin: RouteOrigin::Vpc,
                    round: 0,
                    region: "",
                    hop: HopRef::Attachment(att),
                    status: TrRouteStatus::Active,
                    static_id: None,
                },
            ));
        }
        let mut fresh: Vec<usize> = Vec::new();
        settle(&mut batch, &mut out, &mut active, &mut fresh);
        // Rounds ≥ 1: every table that became Active offers its entry over the peer edges
        // leaving it (each edge fires at most once: a table becomes Active once).
        let mut round = 0u32;
        while !fresh.is_empty() {
            round += 1;
            for &r in &fresh {
                let hop = active[r].flatten();
                for (t, att) in &self.out_edges[r] {
                    if hop == Some(att.as_str()) {
                        continue; // split horizon
                    }
                    let tr = cen
                        .route_tables
                        .get(&self.names[*t])
                        .map_or("", |x| x.transit_router_id.as_str());
                    batch.push((
                        *t,
                        Cand {
                            origin: RouteOrigin::Peer,
                            round,
                            region: learned_from_region(cen, tr, RouteOrigin::Peer, Some(att)),
                            hop: HopRef::Attachment(att),
                            status: TrRouteStatus::Active,
                            static_id: None,
                        },
                    ));
                }
            }
            fresh.clear();
            settle(&mut batch, &mut out, &mut active, &mut fresh);
        }
        // Write back the tables whose entries for `d` changed.
        for (i, mut list) in out.into_iter().enumerate() {
            list.sort_by(|a, b| a.origin.cmp(&b.origin).then_with(|| a.hop.cmp(&b.hop)));
            let stored = self.tables[i].for_destination(d);
            if stored.len() == list.len() && list.iter().zip(stored).all(|(c, r)| c.is(r)) {
                continue;
            }
            let name = &self.names[i];
            let routes: Vec<TrRoute> = list
                .iter()
                .map(|c| TrRoute {
                    route_entry_id: match c.static_id {
                        Some(s) => s.to_string(),
                        None => derived_id(name, d, c.hop.attachment().unwrap_or_default()),
                    },
                    destination: *d,
                    origin: c.origin,
                    next_hop: c.hop.owned(),
                    status: c.status,
                    round: c.round,
                })
                .collect();
            self.tables[i].set(*d, routes);
        }
    }
}

/// One round's conflict resolution for one destination (`settle_round` of
/// [`super::routing`]), over the candidates in `batch` (drained), per table: the best new
/// candidate (origin, round, region learned from, next hop) wins unless the table already has an Active entry;
/// `Creating` statics are kept as they are. Tables whose entry became Active go to `fresh`,
/// with the winner's next hop in `active` (for split horizon).
fn settle<'a>(
    batch: &mut Vec<(usize, Cand<'a>)>,
    out: &mut [Vec<Cand<'a>>],
    active: &mut [Option<Option<&'a str>>],
    fresh: &mut Vec<usize>,
) {
    batch.sort_by(|(ta, a), (tb, b)| {
        (ta, a.origin, a.round, a.region, a.hop).cmp(&(tb, b.origin, b.round, b.region, b.hop))
    });
    for (i, mut c) in batch.drain(..) {
        if c.status != TrRouteStatus::Creating {
            if active[i].is_some() {
                c.status = TrRouteStatus::Rejected;
            } else {
                c.status = TrRouteStatus::Active;
                active[i] = Some(c.hop.attachment());
                fresh.push(i);
            }
        }
        out[i].push(c);
    }
}
