//! A read-only index of the world for analysis: vSwitches per VPC and route entries per table,
//! built once, so that one analysis costs the length of its path (a longest-prefix match over
//! one table, address-index lookups), not the size of the world.

use super::segment::load_balancer::{LbView, LegKey, LegResult};
use crate::authz::fast::FxMap;
use crate::cloud::cen::routing::TrRoutes;
use crate::cloud::cen::AttachStatus;
use crate::cloud::vpc::route::{NextHopType, RouteEntry, RouteMatch, RouteTable, RouteTarget};
use crate::cloud::vpc::{NetStatus, VSwitch, Vpc};
use crate::cloud::World;
use ipnet::{IpNet, Ipv4Net};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex, OnceLock};

/// The index. Borrowing the world keeps it consistent: it cannot outlive a mutation.
///
/// Building it costs nothing that grows with the world: vSwitches per VPC and entries per
/// table come from the world's own incremental index ([`World::vswitches_of`],
/// [`World::route_entries_of`]), auto-publishing is read from the attachment index, and the TR route tables
/// are computed on first use. So `ramsim reach`, the NIS APIs and scenario steps may build one
/// per analysis.
#[derive(Debug)]
pub struct Topology<'w> {
    /// The world.
    pub world: &'w World,
    /// TR route tables (static + propagated, §6.3.4), computed on first use.
    tr_routes: OnceLock<TrRoutes>,
    /// Load-balancer backend legs already walked (health probes and data paths, §8.3.7 L5).
    legs: Mutex<FxMap<LegKey, LegResult>>,
    /// Load balancers as the segment sees them, built on first use.
    lbs: Mutex<FxMap<String, Arc<LbView>>>,
}

impl<'w> Topology<'w> {
    /// Indexes `world` (constant time: everything is looked up or computed on first use).
    pub fn new(world: &'w World) -> Self {
        Topology {
            world,
            tr_routes: OnceLock::new(),
            legs: Mutex::new(FxMap::default()),
            lbs: Mutex::new(FxMap::default()),
        }
    }

    /// Load balancer `id` (NLB, CLB or ALB) as the segment sees it
    /// ([`load_balancer::view`](super::segment::load_balancer::view)), built once per index.
    pub fn lb_view(&self, id: &str) -> Option<Arc<LbView>> {
        if let Some(v) = self.lbs.lock().ok().and_then(|m| m.get(id).cloned()) {
            return Some(v);
        }
        let v = Arc::new(super::segment::load_balancer::view(self.world, id)?);
        if let Ok(mut m) = self.lbs.lock() {
            m.insert(id.to_string(), v.clone());
        }
        Some(v)
    }

    /// The backend leg of `key`, computed by `compute` the first time it is asked for.
    pub(crate) fn backend_leg(
        &self,
        key: LegKey,
        compute: impl FnOnce() -> LegResult,
    ) -> LegResult {
        let cached = self.legs.lock().ok().and_then(|m| m.get(&key).cloned());
        if let Some(r) = cached {
            return r;
        }
        // Computed outside the lock (a leg may probe other legs); a racing thread computes
        // the same value.
        let r = compute();
        if let Ok(mut m) = self.legs.lock() {
            m.insert(key, r.clone());
        }
        r
    }

    /// True when VPC `vpc` has an auto-publishing, attached TR attachment (its system table
    /// gets TR routes).
    fn publishes(&self, vpc: &str) -> bool {
        let now = self.world.now();
        self.world
            .attachments_of_vpc(vpc)
            .any(|a| a.auto_publish && a.lifecycle.at(now) == AttachStatus::Attached)
    }

    /// Every TR route table's entries at the world's time (computed once per index).
    pub fn tr_routes(&self) -> &TrRoutes {
        self.tr_routes
            .get_or_init(|| self.world.tr_routes(self.world.now()))
    }

    /// vSwitches of a VPC (any status), in id order.
    pub fn vswitches_of(&self, vpc_id: &str) -> impl Iterator<Item = &'w VSwitch> + 'w {
        let w = self.world;
        w.index()
            .vswitches_by_vpc
            .get(vpc_id)
            .into_iter()
            .flatten()
            .filter_map(move |id| w.vswitches.get(id))
    }

    /// Custom entries of a table (any status), in id order.
    pub fn entries_of(&self, table_id: &str) -> impl Iterator<Item = &'w RouteEntry> + 'w {
        let w = self.world;
        w.index()
            .entries_by_table
            .get(table_id)
            .into_iter()
            .flatten()
            .filter_map(move |id| w.route_entries.get(id))
    }

    /// The `Available` vSwitch of `vpc_id` whose CIDR holds `ip`.
    pub fn vswitch_holding(&self, vpc_id: &str, ip: Ipv4Addr) -> Option<&'w VSwitch> {
        let now = self.world.now();
        self.vswitches_of(vpc_id)
            .find(|s| s.cidr_block.contains(&ip) && s.lifecycle.at(now) == NetStatus::Available)
    }

    /// A VPC.
    pub fn vpc(&self, id: &str) -> Option<&'w Vpc> {
        self.world.vpcs.get(id)
    }

    /// The effective table of a vSwitch (§2.4.6 step 1).
    pub fn table_for_vswitch(&self, vswitch_id: &str) -> Option<&'w RouteTable> {
        let s = self.world.vswitches.get(vswitch_id)?;
        match &s.route_table_id {
            Some(t) => self.world.route_tables.get(t),
            None => self.system_table(&s.vpc_id),
        }
    }

    /// The system table of a VPC.
    pub fn system_table(&self, vpc_id: &str) -> Option<&'w RouteTable> {
        self.world
            .route_tables
            .get(&self.world.vpcs.get(vpc_id)?.system_route_table_id)
    }

    /// Longest-prefix match of `ip` over `table` (§2.4.6 steps 2–3): system routes of the
    /// VPC's `Available` vSwitches and the table's `Available` entries. Same answer as
    /// [`World::lookup_route`], over one table.
    pub fn lookup(&self, table: &RouteTable, ip: Ipv4Addr) -> Option<RouteMatch> {
        let now = self.world.now();
        let addr = IpAddr::V4(ip);
        let mut best: Option<RouteMatch> = None;
        let better = |best: &Option<RouteMatch>, d: &IpNet| {
            d.contains(&addr)
                && best
                    .as_ref()
                    .is_none_or(|b| d.prefix_len() > b.destination.prefix_len())
        };
        for s in self.vswitches_of(&table.vpc_id) {
            let d = IpNet::V4(s.cidr_block);
            if s.lifecycle.at(now) == NetStatus::Available && better(&best, &d) {
                best = Some(RouteMatch {
                    route_table_id: table.route_table_id.clone(),
                    route_entry_id: s.system_route_entry_id.clone(),
                    destination: d,
                    target: RouteTarget::Local,
                });
            }
        }
        for e in self.entries_of(&table.route_table_id) {
            if e.lifecycle.at(now) == NetStatus::Available && better(&best, &e.destination) {
                best = Some(RouteMatch {
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
        // Routes a transit router publishes into a system table (§6.3.4 auto publish).
        if self.publishes(&table.vpc_id)
            && self
                .vpc(&table.vpc_id)
                .is_some_and(|v| v.system_route_table_id == table.route_table_id)
        {
            for (dest, att) in self.world.tr_published_routes(&table.vpc_id, now) {
                let d = IpNet::V4(dest);
                if better(&best, &d) {
                    best = Some(RouteMatch {
                        route_table_id: table.route_table_id.clone(),
                        route_entry_id: String::new(),
                        destination: d,
                        target: RouteTarget::NextHop {
                            next_hop_type: Some(NextHopType::Attachment),
                            next_hop_id: att,
                        },
                    });
                }
            }
        }
        best
    }
}

/// All IPv4 CIDRs of a VPC contain `ip`?
pub fn vpc_holds(vpc: &Vpc, ip: Ipv4Addr) -> bool {
    vpc.cidr_block.contains(&ip) || vpc.secondary_cidr_blocks.iter().any(|c| c.contains(&ip))
}

/// True when some CIDR of `a` overlaps some CIDR of `b`.
pub fn vpcs_overlap(a: &Vpc, b: &Vpc) -> bool {
    let ov = |x: &Ipv4Net, y: &Ipv4Net| x.contains(y) || y.contains(x);
    a.ipv4_cidrs()
        .iter()
        .any(|x| b.ipv4_cidrs().iter().any(|y| ov(x, y)))
}
