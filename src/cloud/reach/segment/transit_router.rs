//! Crossing transit routers (§8.3.3 F8 `Attachment`, §8.3.5): a VPC route whose next hop is
//! the VPC's own TR attachment hands the packet to the TR; the TR route table associated with
//! that attachment picks the next attachment — a VPC attachment (leave into that VPC) or an
//! inter-region peer attachment (continue with the remote TR's table associated with it) —
//! through [`tr_forward`], the pure function of the CEN product. The same function serves the
//! reply (§8.3.8), whose codes get their `RETURN_` form from [`Finding::error`].

use crate::cloud::cen::routing::{tr_forward, TrForward, TrHop, TrRouteStatus};
use crate::cloud::cen::{AttachKind, AttachStatus};
use crate::cloud::reach::finding::{Code, Finding, Leg, Site};
use crate::cloud::reach::hop::{Hop, MatchedRoute, NodeType};
use crate::cloud::reach::topology::Topology;
use std::net::Ipv4Addr;

/// The result of a successful crossing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crossed {
    /// The VPC the packet leaves the TR network into.
    pub vpc_id: String,
    /// The VPC attachment it leaves by.
    pub egress_attachment: String,
}

/// The §8.6 code of a `tr_forward` drop.
fn code_of(s: &str) -> Code {
    match s {
        "TR_NOT_ACTIVE" => Code::TrNotActive,
        "TR_NO_ASSOCIATION" => Code::TrNoAssociation,
        "TR_ROUTE_NOT_FOUND" => Code::TrRouteNotFound,
        "TR_BLACKHOLE" => Code::TrBlackhole,
        "TR_BASIC_NO_CROSS_REGION" => Code::TrBasicNoCrossRegion,
        "TR_PEER_NO_BANDWIDTH" => Code::TrPeerNoBandwidth,
        "LOOP_DETECTED" => Code::LoopDetected,
        _ => Code::TrAttachmentNotAttached,
    }
}

fn tr_region(t: &Topology<'_>, tr: &str) -> String {
    t.world
        .cen
        .transit_routers
        .get(tr)
        .map(|x| x.region_id.clone())
        .unwrap_or_default()
}

fn attach_hop(t: &Topology<'_>, att: &str, tr: &str) -> Hop {
    Hop::new(att, NodeType::TrAttach, &tr_region(t, tr), "")
}

fn tr_hop(t: &Topology<'_>, h: &TrHop) -> Hop {
    let mut x = Hop::new(
        &h.transit_router_id,
        NodeType::Tr,
        &tr_region(t, &h.transit_router_id),
        "",
    );
    x.matched_route = Some(MatchedRoute {
        route_table_id: h.route_table_id.clone(),
        route_entry_id: h.route_entry_id.clone(),
        destination: h.destination.to_string(),
        next_hop_type: "Attachment".into(),
        next_hop_id: h.egress_attachment_id.clone(),
    });
    x
}

/// Sends `dst` from `cur_vpc` into attachment `att` and through the TRs (§8.3.5 T1–T7).
/// Hops (`TR_ATTACH`, then `TR` with its matched route and `TR_ATTACH` per TR crossed) are
/// appended to `hops`, up to the TR that dropped the packet. `want_vpc` is the VPC that
/// should receive the packet (for the fix of a missing TR route).
pub fn cross(
    t: &Topology<'_>,
    leg: Leg,
    cur_vpc: &str,
    att: &str,
    dst: Ipv4Addr,
    want_vpc: Option<&str>,
    hops: &mut Vec<Hop>,
) -> Result<Crossed, Finding> {
    let w = t.world;
    let now = w.now();
    let fail = |code, component: &str, detail: String, site: Site| {
        Err(Finding::error(leg, code, component, detail, site))
    };
    let Some(a) = w.cen.attachments.get(att) else {
        return fail(
            Code::TrAttachmentNotAttached,
            att,
            format!("the route's next hop `{att}` is not an existing transit router attachment"),
            Site::None,
        );
    };
    match &a.kind {
        AttachKind::Vpc { vpc_id, .. } if vpc_id == cur_vpc => {}
        _ => {
            return fail(
                Code::RouteNextHopMismatch,
                att,
                format!("attachment `{att}` is not a VPC attachment of `{cur_vpc}`"),
                Site::None,
            )
        }
    }
    let status = a.lifecycle.at(now);
    if status != AttachStatus::Attached {
        return fail(
            Code::TrAttachmentNotAttached,
            att,
            format!(
                "attachment `{att}` is {}: wait until it is Attached",
                status.as_str()
            ),
            Site::None,
        );
    }
    hops.push(attach_hop(t, att, &a.transit_router_id));
    let routes = t.tr_routes();
    match tr_forward(&w.cen, routes, now, &a.transit_router_id, att, dst) {
        TrForward::Delivered {
            vpc_id,
            attachment_id,
            hops: trh,
        } => {
            for h in &trh {
                hops.push(tr_hop(t, h));
                hops.push(attach_hop(t, &h.egress_attachment_id, &h.transit_router_id));
            }
            Ok(Crossed {
                vpc_id,
                egress_attachment: attachment_id,
            })
        }
        TrForward::Dropped {
            code,
            transit_router_id,
            hops: trh,
        } => {
            for h in &trh {
                hops.push(tr_hop(t, h));
                hops.push(attach_hop(t, &h.egress_attachment_id, &h.transit_router_id));
            }
            let tr = transit_router_id.unwrap_or_default();
            // The attachment the packet entered the dropping TR by.
            let ingress = trh
                .last()
                .map_or(att.to_string(), |h| h.egress_attachment_id.clone());
            let code = code_of(code);
            let mut drop_hop = Hop::new(&tr, NodeType::Tr, &tr_region(t, &tr), "");
            let table = w
                .cen
                .association(&tr, &ingress)
                .map(|x| x.route_table_id.clone());
            let (component, detail, site) = match code {
                Code::TrNotActive => (
                    tr.clone(),
                    format!("transit router `{tr}` is not Active or not Enterprise"),
                    Site::None,
                ),
                Code::TrNoAssociation => (
                    ingress.clone(),
                    format!(
                        "attachment `{ingress}` is associated with no route table of `{tr}`: the TR does not know where to send traffic entering by it"
                    ),
                    Site::TrAssociation {
                        transit_router_id: tr.clone(),
                        attachment_id: ingress.clone(),
                    },
                ),
                Code::TrRouteNotFound => {
                    let tb = table.clone().unwrap_or_default();
                    (
                        tb.clone(),
                        format!(
                            "route table `{tb}` of `{tr}` (associated with `{ingress}`) has no Active route to `{dst}`"
                        ),
                        Site::TrRoute {
                            transit_router_id: tr.clone(),
                            route_table_id: tb,
                            dst_ip: dst,
                            want_vpc: want_vpc.map(str::to_string),
                        },
                    )
                }
                Code::TrBlackhole => {
                    let tb = table.clone().unwrap_or_default();
                    let entry = routes
                        .get(&tb)
                        .into_iter()
                        .flatten()
                        .filter(|r| r.status == TrRouteStatus::Active && r.destination.contains(&dst))
                        .max_by_key(|r| r.destination.prefix_len());
                    let entry_id = entry.map(|e| e.route_entry_id.clone()).unwrap_or_default();
                    if let Some(e) = entry {
                        drop_hop.matched_route = Some(MatchedRoute {
                            route_table_id: tb.clone(),
                            route_entry_id: entry_id.clone(),
                            destination: e.destination.to_string(),
                            next_hop_type: "BlackHole".into(),
                            next_hop_id: String::new(),
                        });
                    }
                    (
                        tb.clone(),
                        format!("route `{entry_id}` of `{tb}` blackholes `{dst}`"),
                        Site::TrBlackhole {
                            route_table_id: tb,
                            route_entry_id: entry_id,
                        },
                    )
                }
                Code::TrBasicNoCrossRegion => (
                    tr.clone(),
                    format!(
                        "the inter-region attachment leaving `{tr}` joins a Basic transit router: Basic transit routers do not forward across regions"
                    ),
                    Site::None,
                ),
                Code::TrPeerNoBandwidth => (
                    tr.clone(),
                    format!("the inter-region attachment leaving `{tr}` has no bandwidth"),
                    Site::None,
                ),
                Code::LoopDetected => (
                    tr.clone(),
                    format!("more than 32 transit router hops towards `{dst}`"),
                    Site::None,
                ),
                _ => (
                    tr.clone(),
                    format!(
                        "the route of `{tr}` towards `{dst}` sends it to an attachment that is not Attached"
                    ),
                    Site::None,
                ),
            };
            drop_hop.action = crate::cloud::packet::Action::Drop;
            hops.push(drop_hop);
            fail(code, &component, detail, site)
        }
    }
}
