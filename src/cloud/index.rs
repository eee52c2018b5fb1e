//! Derived lookup indexes over the world's network maps, so that list calls, route lookups and
//! reachability cost what they return rather than the size of the world.
//!
//! The maps in [`World`](crate::cloud::World) are the truth and the only thing serialized; the
//! index is rebuilt from them on first use after a load or clone ([`LazyNetIndex`]) and kept
//! up to date by the few places that insert into or remove from those maps (each calls the
//! matching `note_*` method). `World::check_index` compares it with a fresh rebuild; the
//! pipeline tests call it after every operation.

use crate::cloud::vpc::route::{RouteEntry, RouteTable};
use crate::cloud::vpc::{VSwitch, Vpc};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

/// Ids grouped by a key, each group in id order (so iteration order equals the maps' order).
type Groups<K> = BTreeMap<K, BTreeSet<String>>;

/// The indexes themselves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct NetIndex {
    /// VPC id → its vSwitch ids.
    pub vswitches_by_vpc: Groups<String>,
    /// VPC id → its route table ids (system and custom).
    pub tables_by_vpc: Groups<String>,
    /// Route table id → its custom route entry ids.
    pub entries_by_table: Groups<String>,
    /// `(region, uid)` → ids of the VPCs that uid sees there (owned or shared with it, §2.6).
    pub vpcs_by_viewer: Groups<(String, String)>,
    /// `(region, owner uid)` → how many VPCs that uid owns there (the CreateVpc quota; VPCs
    /// are never removed and never change owner or region).
    pub vpcs_owned: BTreeMap<(String, String), usize>,
    /// VPC id → the `(region, uid)` keys of everyone who sees it (its owner and those it is
    /// shared with), so a vSwitch or route table inserted later joins their listings.
    pub vpc_viewers: BTreeMap<String, Vec<(String, String)>>,
    /// `(region, uid)` → ids of the vSwitches of the VPCs that uid sees there, so
    /// DescribeVSwitches without a VPC reads one page of one ordered set, not every VPC.
    pub vswitches_by_viewer: Groups<(String, String)>,
    /// `(region, uid)` → ids of the route tables of the VPCs that uid sees there (the same for
    /// DescribeRouteTableList).
    pub tables_by_viewer: Groups<(String, String)>,
}

fn add<K: Ord>(groups: &mut Groups<K>, key: K, id: &str) {
    groups.entry(key).or_default().insert(id.to_string());
}

fn remove<K: Ord>(groups: &mut Groups<K>, key: &K, id: &str) {
    if let Some(set) = groups.get_mut(key) {
        set.remove(id);
        if set.is_empty() {
            groups.remove(key);
        }
    }
}

impl NetIndex {
    /// Builds every index from the maps.
    pub fn build<'a>(
        vpcs: impl Iterator<Item = &'a Vpc>,
        vswitches: impl Iterator<Item = &'a VSwitch>,
        tables: impl Iterator<Item = &'a RouteTable>,
        entries: impl Iterator<Item = &'a RouteEntry>,
    ) -> NetIndex {
        let mut ix = NetIndex::default();
        vpcs.for_each(|v| ix.note_vpc(v));
        vswitches.for_each(|s| ix.note_vswitch(s));
        tables.for_each(|t| ix.note_table(t));
        entries.for_each(|e| ix.note_entry(e));
        ix
    }

    /// A VPC was inserted.
    pub fn note_vpc(&mut self, v: &Vpc) {
        *self
            .vpcs_owned
            .entry((v.region_id.clone(), v.owner_uid.clone()))
            .or_default() += 1;
        let mut viewers = Vec::with_capacity(1 + v.shared_with.len());
        for uid in std::iter::once(&v.owner_uid).chain(&v.shared_with) {
            let key = (v.region_id.clone(), uid.clone());
            add(&mut self.vpcs_by_viewer, key.clone(), &v.vpc_id);
            // Children noted before their VPC (any order of `build`) join the listings too.
            for id in NetIndex::group(&self.vswitches_by_vpc, &v.vpc_id) {
                add(&mut self.vswitches_by_viewer, key.clone(), id);
            }
            for id in NetIndex::group(&self.tables_by_vpc, &v.vpc_id) {
                add(&mut self.tables_by_viewer, key.clone(), id);
            }
            viewers.push(key);
        }
        self.vpc_viewers.insert(v.vpc_id.clone(), viewers);
    }

    /// The `(region, uid)` keys of those who see VPC `vpc_id`.
    fn viewers(&self, vpc_id: &str) -> Vec<(String, String)> {
        self.vpc_viewers.get(vpc_id).cloned().unwrap_or_default()
    }

    /// A vSwitch was inserted.
    pub fn note_vswitch(&mut self, s: &VSwitch) {
        add(&mut self.vswitches_by_vpc, s.vpc_id.clone(), &s.vswitch_id);
        for key in self.viewers(&s.vpc_id) {
            add(&mut self.vswitches_by_viewer, key, &s.vswitch_id);
        }
    }

    /// A route table was inserted.
    pub fn note_table(&mut self, t: &RouteTable) {
        add(&mut self.tables_by_vpc, t.vpc_id.clone(), &t.route_table_id);
        for key in self.viewers(&t.vpc_id) {
            add(&mut self.tables_by_viewer, key, &t.route_table_id);
        }
    }

    /// A route table was removed.
    pub fn forget_table(&mut self, t: &RouteTable) {
        remove(&mut self.tables_by_vpc, &t.vpc_id, &t.route_table_id);
        for key in self.viewers(&t.vpc_id) {
            remove(&mut self.tables_by_viewer, &key, &t.route_table_id);
        }
    }

    /// A custom route entry was inserted.
    pub fn note_entry(&mut self, e: &RouteEntry) {
        add(
            &mut self.entries_by_table,
            e.route_table_id.clone(),
            &e.route_entry_id,
        );
    }

    /// A custom route entry was removed.
    pub fn forget_entry(&mut self, e: &RouteEntry) {
        remove(
            &mut self.entries_by_table,
            &e.route_table_id,
            &e.route_entry_id,
        );
    }

    /// The ids grouped under `key`, in id order (empty when none).
    pub fn group<'a, K: Ord>(groups: &'a Groups<K>, key: &K) -> impl Iterator<Item = &'a String> {
        groups.get(key).into_iter().flatten()
    }
}

/// A [`NetIndex`] built on first use. Not state: it is skipped by serde, and two worlds that
/// differ only in whether their index has been built yet are equal.
#[derive(Debug, Clone, Default)]
pub(crate) struct LazyNetIndex(pub OnceLock<NetIndex>);

impl PartialEq for LazyNetIndex {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl LazyNetIndex {
    /// The index, if it has been built (a mutation updates it only then; otherwise the next
    /// read builds it from the maps, which already include the mutation).
    pub fn built_mut(&mut self) -> Option<&mut NetIndex> {
        self.0.get_mut()
    }

    /// Forgets the index (after an edit the `note_*` methods do not describe).
    pub fn invalidate(&mut self) {
        self.0 = OnceLock::new();
    }
}

/// Ids grouped by a string key (a parent's id), built on first use from the maps and kept up
/// to date by [`LazyGroups::note`] / [`LazyGroups::forget`] once built. Not state: skipped by
/// serde (`#[serde(skip)]`) and ignored by `==`, like [`LazyNetIndex`].
#[derive(Debug, Clone, Default)]
pub struct LazyGroups(OnceLock<Groups<String>>);

impl PartialEq for LazyGroups {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for LazyGroups {}

impl LazyGroups {
    /// The groups, built by `build` (pairs of key and id) on first use.
    pub fn get<'a, I>(&self, build: impl FnOnce() -> I) -> &Groups<String>
    where
        I: Iterator<Item = (&'a str, &'a str)>,
    {
        self.0.get_or_init(|| {
            let mut g = Groups::new();
            for (k, id) in build() {
                add(&mut g, k.to_string(), id);
            }
            g
        })
    }

    /// The ids under `key`, in id order, once built (see [`LazyGroups::get`]).
    pub fn group<'a>(groups: &'a Groups<String>, key: &str) -> impl Iterator<Item = &'a String> {
        groups.get(key).into_iter().flatten()
    }

    /// `id` was inserted under `key`.
    pub fn note(&mut self, key: &str, id: &str) {
        if let Some(g) = self.0.get_mut() {
            add(g, key.to_string(), id);
        }
    }

    /// `id` was removed from under `key`.
    pub fn forget(&mut self, key: &str, id: &str) {
        if let Some(g) = self.0.get_mut() {
            remove(g, &key.to_string(), id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removing_the_last_id_drops_the_group() {
        let mut g: Groups<String> = BTreeMap::new();
        add(&mut g, "t".to_string(), "a");
        add(&mut g, "t".to_string(), "b");
        remove(&mut g, &"t".to_string(), "a");
        assert_eq!(
            NetIndex::group(&g, &"t".to_string()).collect::<Vec<_>>(),
            ["b"]
        );
        remove(&mut g, &"t".to_string(), "b");
        assert!(g.is_empty());
        assert_eq!(NetIndex::group(&g, &"t".to_string()).count(), 0);
    }

    #[test]
    fn lazy_groups_follow_notes_once_built() {
        let mut g = LazyGroups::default();
        g.note("x", "ignored-before-build");
        let pairs = [("a", "1"), ("a", "2"), ("b", "3")];
        let built = g.get(|| pairs.iter().copied());
        assert_eq!(
            LazyGroups::group(built, "a").collect::<Vec<_>>(),
            ["1", "2"]
        );
        assert_eq!(LazyGroups::group(built, "x").count(), 0);
        g.note("b", "4");
        g.forget("a", "1");
        g.forget("a", "2");
        let built = g.get(std::iter::empty);
        assert_eq!(
            LazyGroups::group(built, "b").collect::<Vec<_>>(),
            ["3", "4"]
        );
        assert!(!built.contains_key("a"));
    }

    #[test]
    fn unbuilt_and_built_indexes_compare_equal() {
        let a = LazyNetIndex::default();
        let b = LazyNetIndex::default();
        let _ = b.0.get_or_init(NetIndex::default);
        assert_eq!(a, b);
    }
}
