//! TR route tables as forwarding sees them (§6.3.4): static entries plus propagated entries,
//! recomputed to a fixed point from the stored associations and propagations, with conflict
//! resolution; and [`tr_forward`] (§8.3.5), a pure function over that state for the
//! reachability analyzer.
//!
//! Propagated entries are never stored. [`compute_routes`] derives them in rounds:
//! round 0 holds the static entries and the vSwitch CIDRs of propagated VPC attachments;
//! round k ≥ 1 adds, for every peer attachment propagated into a table, the `Active` entries
//! of the remote TR's table associated with that attachment as they stood after round k − 1
//! (split horizon: not those whose next hop is that same attachment) — evaluated semi-naively:
//! only the entries that became Active in round k − 1 are offered again, each
//! (destination, attachment) pair once per table. Each round reads only
//! the previous rounds, and a destination's winner is fixed in the round it first appears
//! (priority Static > VPC-propagated > peer-propagated, then fewer rounds, then the lower
//! attachment id — **ASSUMED**), so the result depends on the sets of attachments,
//! associations and propagations only, never on the order they were made in. Candidates
//! are finite (destinations × attachments), so the rounds stop.

use super::resources::{AttachKind, AttachStatus, CenState, CenStatus, TrNextHop, TrType};
use crate::cloud::ids::splitmix64;
use crate::cloud::time::Timestamp;
use ipnet::Ipv4Net;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

/// Where a TR route came from; the order is the conflict priority (lower wins).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum RouteOrigin {
    /// `CreateTransitRouterRouteEntry`.
    Static,
    /// A vSwitch CIDR of a propagated VPC attachment.
    Vpc,
    /// Learned over a peer attachment from the remote TR's table.
    Peer,
}

/// `Active` or `Rejected` (lost a conflict) — or `Creating` for a static entry still settling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum TrRouteStatus {
    /// Used for forwarding.
    Active,
    /// Lost the conflict for its destination; ignored for forwarding.
    Rejected,
    /// Static entry not settled yet (Stepped mode).
    Creating,
}

impl TrRouteStatus {
    /// Alibaba spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            TrRouteStatus::Active => "Active",
            TrRouteStatus::Rejected => "Rejected",
            TrRouteStatus::Creating => "Creating",
        }
    }
}

/// One entry of a TR route table as `ListTransitRouterRouteEntries` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrRoute {
    /// `rte-…` (derived from table, destination and next hop for propagated entries).
    pub route_entry_id: String,
    /// Destination.
    pub destination: Ipv4Net,
    /// Origin (`Static` = `TransitRouterRouteEntryType=Static`, else `Propagated`).
    pub origin: RouteOrigin,
    /// Next hop.
    pub next_hop: TrNextHop,
    /// Status.
    pub status: TrRouteStatus,
    /// Propagation round (0 for static and VPC routes).
    pub round: u32,
}

impl TrRoute {
    /// `Static` | `Propagated`.
    pub fn entry_type(&self) -> &'static str {
        match self.origin {
            RouteOrigin::Static => "Static",
            _ => "Propagated",
        }
    }
}

/// Every TR route table's entries, by table id, each list sorted by destination then origin
/// then next hop: what [`compute_routes`] (the from-scratch reference) returns.
pub type TrRouteMap = BTreeMap<String, Vec<TrRoute>>;

pub use super::derived::{TableRoutes, TrRoutes};

/// A destination's text (`a.b.c.d/n`, at most 18 bytes, as `Ipv4Net`'s `Display` writes it)
/// built without allocating or going through the formatting machinery.
struct DestText {
    buf: [u8; 24],
    len: usize,
}

impl DestText {
    fn new(dest: &Ipv4Net) -> DestText {
        let mut t = DestText {
            buf: [0; 24],
            len: 0,
        };
        for (i, o) in dest.addr().octets().into_iter().enumerate() {
            if i > 0 {
                t.push(b'.');
            }
            t.decimal(o);
        }
        t.push(b'/');
        t.decimal(dest.prefix_len());
        t
    }

    fn push(&mut self, b: u8) {
        if let Some(slot) = self.buf.get_mut(self.len) {
            *slot = b;
            self.len += 1;
        }
    }

    fn decimal(&mut self, n: u8) {
        if n >= 100 {
            self.push(b'0' + n / 100);
        }
        if n >= 10 {
            self.push(b'0' + n / 10 % 10);
        }
        self.push(b'0' + n % 10);
    }

    fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// Deterministic id of a propagated entry (FNV-1a over `table|destination|hop`, then
/// splitmix64 into 20 base-36 characters).
pub(crate) fn derived_id(table: &str, dest: &Ipv4Net, hop: &str) -> String {
    fn fnv(mut h: u64, bytes: &[u8]) -> u64 {
        for &b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        h
    }
    let text = DestText::new(dest);
    let mut h = fnv(0xcbf2_9ce4_8422_2325, table.as_bytes());
    h = fnv(h, b"|");
    h = fnv(h, text.bytes());
    h = fnv(h, b"|");
    h = fnv(h, hop.as_bytes());
    let mut x = splitmix64(h);
    const ALPHA: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut id = [0u8; 24];
    id[..4].copy_from_slice(b"rte-");
    for (i, slot) in id[4..].iter_mut().enumerate() {
        if i == 10 {
            x = splitmix64(x);
        }
        *slot = ALPHA[(x % 36) as usize];
        x /= 36;
    }
    // Every byte is ASCII.
    id.iter().map(|&b| char::from(b)).collect()
}

/// The region a peer-propagated entry of a table of TR `tr` was learned from: the region of
/// the TR at the other end of its next-hop peer attachment; `""` for every other entry.
///
/// Alibaba's Enterprise TRs prefer, among routes to one destination that are otherwise equal,
/// the one learned from the region whose id comes first in alphabetical order (CEN route
/// selection rules); the attachment id alone would make the winner depend on the order the
/// attachments were created in, since ids are drawn in call order.
pub(crate) fn learned_from_region<'c>(
    cen: &'c CenState,
    tr: &str,
    origin: RouteOrigin,
    hop: Option<&str>,
) -> &'c str {
    if origin != RouteOrigin::Peer {
        return "";
    }
    hop.and_then(|a| cen.attachments.get(a))
        .and_then(|a| a.other_end(tr))
        .and_then(|remote| cen.transit_routers.get(remote))
        .map_or("", |t| t.region_id.as_str())
}

/// Candidate key: the priority order of §6.3.4 (origin, round), then the region the entry
/// was learned from ([`learned_from_region`]), then the next hop.
fn rank<'c>(cen: &'c CenState, tr: &str, r: &TrRoute) -> (RouteOrigin, u32, &'c str, TrNextHop) {
    let region = learned_from_region(cen, tr, r.origin, r.next_hop.attachment());
    (r.origin, r.round, region, r.next_hop.clone())
}

/// Marks the winner of each destination among `new` routes that has no Active entry yet, in a
/// table of TR `tr`.
fn settle_round(cen: &CenState, tr: &str, table: &mut Vec<TrRoute>, mut new: Vec<TrRoute>) {
    let active: BTreeSet<Ipv4Net> = table
        .iter()
        .filter(|r| r.status == TrRouteStatus::Active)
        .map(|r| r.destination)
        .collect();
    new.sort_by(|a, b| {
        a.destination
            .cmp(&b.destination)
            .then(rank(cen, tr, a).cmp(&rank(cen, tr, b)))
    });
    let mut won: BTreeSet<Ipv4Net> = BTreeSet::new();
    for mut r in new {
        if r.status == TrRouteStatus::Creating {
            table.push(r);
            continue;
        }
        r.status = if active.contains(&r.destination) || won.contains(&r.destination) {
            TrRouteStatus::Rejected
        } else {
            won.insert(r.destination);
            TrRouteStatus::Active
        };
        table.push(r);
    }
}

/// The entries of every TR route table at `now` (§6.3.4), given the vSwitch CIDRs of a VPC
/// (`Available` vSwitches only).
pub fn compute_routes(
    cen: &CenState,
    now: Timestamp,
    vpc_cidrs: &dyn Fn(&str) -> Vec<Ipv4Net>,
) -> TrRouteMap {
    let attached = |id: &str| {
        cen.attachments
            .get(id)
            .is_some_and(|a| a.lifecycle.at(now) == AttachStatus::Attached)
    };
    let mut out: TrRouteMap = BTreeMap::new();
    // Round 0: static entries and VPC propagation.
    for t in cen.route_tables.values() {
        let mut new = Vec::new();
        for e in cen.statics_of(&t.route_table_id) {
            new.push(TrRoute {
                route_entry_id: e.route_entry_id.clone(),
                destination: e.destination,
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
        for att in &t.propagations {
            let Some(a) = cen.attachments.get(att).filter(|_| attached(att)) else {
                continue;
            };
            if let AttachKind::Vpc { vpc_id, .. } = &a.kind {
                for c in vpc_cidrs(vpc_id) {
                    new.push(TrRoute {
                        route_entry_id: derived_id(&t.route_table_id, &c, att),
                        destination: c,
                        origin: RouteOrigin::Vpc,
                        next_hop: TrNextHop::Attachment(att.clone()),
                        status: TrRouteStatus::Active,
                        round: 0,
                    });
                }
            }
        }
        let table = out.entry(t.route_table_id.clone()).or_default();
        settle_round(cen, &t.transit_router_id, table, new);
    }
    // Rounds 1..: peer propagation from the previous round. Semi-naive: an entry, once Active,
    // stays Active (a round only appends), so round k only needs the remote entries that became
    // Active in round k − 1; older ones were offered in an earlier round already. `offered`
    // holds, per table, the (destination, attachment) pairs learned over peers so far.
    let mut fresh: BTreeMap<String, (usize, usize)> = out
        .iter()
        .map(|(t, list)| (t.clone(), (0, list.len())))
        .collect();
    let mut offered: BTreeMap<String, BTreeSet<(Ipv4Net, String)>> = BTreeMap::new();
    let mut round = 0u32;
    loop {
        round += 1;
        let mut additions: BTreeMap<String, Vec<TrRoute>> = BTreeMap::new();
        for t in cen.route_tables.values() {
            for att in &t.propagations {
                let Some(a) = cen.attachments.get(att).filter(|_| attached(att)) else {
                    continue;
                };
                let Some(remote_tr) = a.other_end(&t.transit_router_id) else {
                    continue;
                };
                let Some(remote) = cen.association(remote_tr, att) else {
                    continue;
                };
                let Some(remote_routes) = out.get(&remote.route_table_id) else {
                    continue;
                };
                let (lo, hi) = fresh.get(&remote.route_table_id).copied().unwrap_or((0, 0));
                let seen = offered.entry(t.route_table_id.clone()).or_default();
                for r in remote_routes[lo..hi]
                    .iter()
                    .filter(|r| r.status == TrRouteStatus::Active)
                {
                    if r.next_hop.attachment() == Some(att.as_str()) {
                        continue; // split horizon
                    }
                    if !seen.insert((r.destination, att.clone())) {
                        continue;
                    }
                    additions
                        .entry(t.route_table_id.clone())
                        .or_default()
                        .push(TrRoute {
                            route_entry_id: derived_id(&t.route_table_id, &r.destination, att),
                            destination: r.destination,
                            origin: RouteOrigin::Peer,
                            next_hop: TrNextHop::Attachment(att.clone()),
                            status: TrRouteStatus::Active,
                            round,
                        });
                }
            }
        }
        if additions.is_empty() {
            break;
        }
        for (table, list) in &out {
            fresh.insert(table.clone(), (list.len(), list.len()));
        }
        for (table, new) in additions {
            let list = out.entry(table.clone()).or_default();
            let before = list.len();
            let tr = cen
                .route_tables
                .get(&table)
                .map_or("", |t| t.transit_router_id.as_str());
            settle_round(cen, tr, list, new);
            fresh.insert(table, (before, list.len()));
        }
    }
    for list in out.values_mut() {
        list.sort_by(|a, b| {
            a.destination
                .cmp(&b.destination)
                .then(a.origin.cmp(&b.origin))
                .then(a.next_hop.cmp(&b.next_hop))
        });
    }
    out
}

/// One TR hop of a forward path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrHop {
    /// The TR.
    pub transit_router_id: String,
    /// The attachment the packet entered by.
    pub ingress_attachment_id: String,
    /// The table used (associated with the ingress attachment).
    pub route_table_id: String,
    /// The matching entry.
    pub route_entry_id: String,
    /// Its destination.
    pub destination: Ipv4Net,
    /// The egress attachment.
    pub egress_attachment_id: String,
}

/// Result of [`tr_forward`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TrForward {
    /// Leaves the TR network into `vpc_id` through VPC attachment `attachment_id`.
    Delivered {
        /// The VPC.
        vpc_id: String,
        /// The egress VPC attachment.
        attachment_id: String,
        /// TR hops taken.
        hops: Vec<TrHop>,
    },
    /// Dropped with a §8.6 code (`TR_*` or `LOOP_DETECTED`).
    Dropped {
        /// Diagnostic code.
        code: &'static str,
        /// The TR where it was dropped, if known.
        transit_router_id: Option<String>,
        /// TR hops taken before.
        hops: Vec<TrHop>,
    },
}

/// Maximum TR hops before `LOOP_DETECTED` (§8.6: > 32 hops).
const MAX_HOPS: usize = 32;

/// `tr_forward(ingress_attachment, dst_ip)` of §8.3.5 over CEN state and its computed tables
/// (`routes` from [`compute_routes`] at the same `now`). `ingress` is an attachment of
/// `ingress_tr` (for a peer attachment, the end the packet arrives at).
pub fn tr_forward(
    cen: &CenState,
    routes: &TrRoutes,
    now: Timestamp,
    ingress_tr: &str,
    ingress: &str,
    dst: Ipv4Addr,
) -> TrForward {
    let mut hops: Vec<TrHop> = Vec::new();
    let mut tr_id = ingress_tr.to_string();
    let mut att_id = ingress.to_string();
    loop {
        let drop = |code: &'static str, tr: Option<String>, hops: Vec<TrHop>| TrForward::Dropped {
            code,
            transit_router_id: tr,
            hops,
        };
        if hops.len() >= MAX_HOPS {
            return drop("LOOP_DETECTED", Some(tr_id), hops);
        }
        // T1
        let Some(tr) = cen.transit_routers.get(&tr_id).filter(|t| {
            t.lifecycle.at(now) == CenStatus::Active && t.tr_type == TrType::Enterprise
        }) else {
            return drop("TR_NOT_ACTIVE", Some(tr_id), hops);
        };
        // T2
        let Some(table) = cen.association(&tr.transit_router_id, &att_id) else {
            return drop("TR_NO_ASSOCIATION", Some(tr_id), hops);
        };
        // T3
        let best = routes
            .get(&table.route_table_id)
            .into_iter()
            .flatten()
            .filter(|r| r.status == TrRouteStatus::Active && r.destination.contains(&dst))
            .max_by_key(|r| r.destination.prefix_len());
        let Some(entry) = best else {
            return drop("TR_ROUTE_NOT_FOUND", Some(tr_id), hops);
        };
        // T4
        let TrNextHop::Attachment(next) = &entry.next_hop else {
            return drop("TR_BLACKHOLE", Some(tr_id), hops);
        };
        // T5
        let Some(b) = cen
            .attachments
            .get(next)
            .filter(|b| b.lifecycle.at(now) == AttachStatus::Attached)
        else {
            return drop("TR_ATTACHMENT_NOT_ATTACHED", Some(tr_id), hops);
        };
        hops.push(TrHop {
            transit_router_id: tr_id.clone(),
            ingress_attachment_id: att_id.clone(),
            route_table_id: table.route_table_id.clone(),
            route_entry_id: entry.route_entry_id.clone(),
            destination: entry.destination,
            egress_attachment_id: next.clone(),
        });
        match &b.kind {
            // T6
            AttachKind::Vpc { vpc_id, .. } => {
                return TrForward::Delivered {
                    vpc_id: vpc_id.clone(),
                    attachment_id: next.clone(),
                    hops,
                }
            }
            // T7
            AttachKind::Peer { bandwidth, .. } => {
                let Some(remote) = b.other_end(&tr_id).map(str::to_string) else {
                    return drop("TR_ATTACHMENT_NOT_ATTACHED", Some(tr_id), hops);
                };
                let both_enterprise = b.ends().iter().all(|t| {
                    cen.transit_routers
                        .get(*t)
                        .is_some_and(|x| x.tr_type == TrType::Enterprise)
                });
                if !both_enterprise {
                    return drop("TR_BASIC_NO_CROSS_REGION", Some(tr_id), hops);
                }
                if *bandwidth <= 0 {
                    return drop("TR_PEER_NO_BANDWIDTH", Some(tr_id), hops);
                }
                tr_id = remote;
                att_id = next.clone();
            }
        }
    }
}

#[cfg(test)]
mod dest_text_tests {
    use super::DestText;
    use ipnet::Ipv4Net;

    /// The hand-written text equals `Display` (route entry ids hash it).
    #[test]
    fn dest_text_equals_display() {
        for s in [
            "0.0.0.0/0",
            "10.0.0.0/8",
            "100.64.0.0/10",
            "192.168.255.0/24",
            "255.255.255.255/32",
            "172.16.9.0/24",
            "1.20.100.0/22",
        ] {
            let n: Ipv4Net = s.parse().unwrap();
            assert_eq!(DestText::new(&n).bytes(), n.to_string().as_bytes());
        }
    }
}
