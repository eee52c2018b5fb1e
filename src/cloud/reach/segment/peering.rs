//! Crossing a VPC peering connection (§8.3.3 F8, `VpcPeer`).

use crate::cloud::reach::finding::{Code, Finding, Leg, Site};
use crate::cloud::reach::topology::{vpc_holds, vpcs_overlap, Topology};
use crate::cloud::vpc::route::RouteTarget;
use crate::cloud::vpcpeer::PeerStatus;
use std::net::Ipv4Addr;

/// The result of a successful crossing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crossed {
    /// The VPC on the other side.
    pub peer_vpc: String,
    /// Region of the other side.
    pub peer_region: String,
    /// Warning to record (`CIDR_OVERLAP`), if any.
    pub warning: Option<Finding>,
}

/// Checks the peering `pcc` from `cur_vpc` towards `dst`: exists (`PEERING_NOT_FOUND`),
/// `Activated` (`PEERING_NOT_ACTIVE`), `BizStatus=Normal` (`PEERING_LOCKED`), `cur_vpc` is an
/// end (`ROUTE_NEXT_HOP_MISMATCH`), the peer VPC holds `dst` (else `NON_TRANSITIVE` when the
/// peer's system table forwards it on, `PEER_CIDR_MISMATCH` otherwise); warns `CIDR_OVERLAP`.
/// `route_site` is the site to blame for route-shaped failures.
pub fn cross(
    t: &Topology<'_>,
    leg: Leg,
    cur_vpc: &str,
    pcc: &str,
    dst: Ipv4Addr,
    route_site: &Site,
) -> Result<Crossed, Finding> {
    let w = t.world;
    let fail = |code, detail: String, site: Site| Err(Finding::error(leg, code, pcc, detail, site));
    let Some(p) = w.peerings.get(pcc) else {
        return fail(
            Code::PeeringNotFound,
            format!("the route's next hop `{pcc}` is not an existing peering connection"),
            route_site.clone(),
        );
    };
    let status = p.status_at(w.now());
    if status != PeerStatus::Activated {
        let advice = match status {
            PeerStatus::Accepting => "ask the accepter account owner to accept it",
            PeerStatus::Rejected | PeerStatus::Expired => "create a new peering connection",
            _ => "wait until it settles",
        };
        let site = match status {
            PeerStatus::Accepting => Site::Peering {
                peering_id: pcc.to_string(),
            },
            PeerStatus::Rejected | PeerStatus::Expired => route_site.clone(),
            _ => Site::None,
        };
        return fail(
            Code::PeeringNotActive,
            format!("peering `{pcc}` is {}: {advice}", status.as_str()),
            site,
        );
    }
    if w.peering_biz_status(p) != "Normal" {
        return fail(
            Code::PeeringLocked,
            format!("peering `{pcc}` is FinancialLocked: an account of it is overdue"),
            Site::None,
        );
    }
    let peer = if p.vpc_id == cur_vpc {
        (&p.accepting_vpc_id, &p.accepting_region_id)
    } else if p.accepting_vpc_id == cur_vpc {
        (&p.vpc_id, &p.region_id)
    } else {
        return fail(
            Code::RouteNextHopMismatch,
            format!("peering `{pcc}` does not connect `{cur_vpc}`"),
            route_site.clone(),
        );
    };
    let (Some(here), Some(there)) = (t.vpc(cur_vpc), t.vpc(peer.0)) else {
        return fail(
            Code::PeeringNotFound,
            format!("a VPC of peering `{pcc}` no longer exists"),
            Site::None,
        );
    };
    if !vpc_holds(there, dst) {
        let onward = t
            .system_table(&there.vpc_id)
            .and_then(|tb| t.lookup(tb, dst))
            .is_some_and(|m| m.target != RouteTarget::Local);
        return if onward {
            fail(
                Code::NonTransitive,
                format!(
                    "`{dst}` is not in `{}`: its route table would forward it on, but traffic never transits a VPC through a peering",
                    there.vpc_id
                ),
                route_site.clone(),
            )
        } else {
            fail(
                Code::PeerCidrMismatch,
                format!(
                    "`{dst}` is not inside the CIDR blocks of `{}`, the other end of `{pcc}`",
                    there.vpc_id
                ),
                route_site.clone(),
            )
        };
    }
    let warning = vpcs_overlap(here, there).then(|| {
        Finding::warning(
            leg,
            Code::CidrOverlap,
            pcc,
            format!(
                "the CIDR blocks of `{}` and `{}` overlap",
                here.vpc_id, there.vpc_id
            ),
        )
    });
    Ok(Crossed {
        peer_vpc: there.vpc_id.clone(),
        peer_region: peer.1.clone(),
        warning,
    })
}
