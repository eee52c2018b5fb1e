//! Segments: what a route's next hop (or a delivered address's owner) does with the packet.
//! One variant per hop kind; each product adds its kind here and its logic in its own file,
//! so the walk in [`super::trace`] never changes when a product arrives.
//!
//! * [`Segment::Local`] — deliver inside the VPC (§8.3.4);
//! * [`Segment::Peering`] — cross a VPC peering connection ([`peering`], §8.3.3 F8);
//! * [`Segment::TransitRouter`] — through transit routers ([`transit_router`], §8.3.5);
//! * [`Segment::Instance`] / [`Segment::Eni`] — an ECS instance or ENI as next hop;
//! * [`Segment::Unsupported`] — store-only next hops (NAT, VPN, HaVip, …).
//!
//! Delivered addresses owned by a service ([`service_target`]) are where PrivateLink endpoints
//! (§8.3.6) and load balancers (§8.3.7) plug in.

pub mod alb;
pub mod load_balancer;
pub mod peering;
pub mod privatelink;
pub mod transit_router;

use crate::cloud::vpc::route::{NextHopType, RouteTarget};

/// What a matched route asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment<'a> {
    /// System route: deliver in the current VPC.
    Local,
    /// `VpcPeer` next hop.
    Peering(&'a str),
    /// `Attachment` next hop (transit router).
    TransitRouter(&'a str),
    /// `Instance` next hop.
    Instance(&'a str),
    /// `NetworkInterface` next hop.
    Eni(&'a str),
    /// Any other (store-only) next hop: its type name and id.
    Unsupported(&'static str, &'a str),
}

/// The segment of a route target.
pub fn classify(target: &RouteTarget) -> Segment<'_> {
    match target {
        RouteTarget::Local => Segment::Local,
        RouteTarget::NextHop {
            next_hop_type,
            next_hop_id,
        } => match next_hop_type {
            Some(NextHopType::VpcPeer) => Segment::Peering(next_hop_id),
            Some(NextHopType::Attachment) => Segment::TransitRouter(next_hop_id),
            Some(NextHopType::Instance) => Segment::Instance(next_hop_id),
            Some(NextHopType::NetworkInterface) => Segment::Eni(next_hop_id),
            Some(t) => Segment::Unsupported(t.as_str(), next_hop_id),
            None => Segment::Unsupported("NextHopList", next_hop_id),
        },
    }
}

/// What a delivered address owned by a service (not an ENI) leads to: a load balancer's VIP
/// → the LB segment ([`load_balancer`], §8.3.7); NLB local addresses and every other service
/// address are not targetable (§8.3.4 D4 last line). Endpoint ENIs are ENIs: the delivery
/// hands them to [`privatelink`]. An ALB adds its VIP kind here.
pub fn service_target(
    t: &crate::cloud::reach::topology::Topology<'_>,
    kind: &str,
    id: &str,
) -> Result<std::sync::Arc<load_balancer::LbView>, String> {
    let lb = match kind {
        "nlb-vip" | "clb-vip" | "alb-vip" => t.lb_view(id),
        _ => None,
    };
    lb.ok_or_else(|| {
        format!("address owned by `{id}` ({kind}) is not a reachability target in this model")
    })
}
