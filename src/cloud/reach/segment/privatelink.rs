//! The PrivateLink segment (§8.3.6) and the DNS names of endpoints (§4.8).
//!
//! A packet delivered to a service-managed endpoint ENI (`service_owner =
//! privatelink:<ep-id>:<zone>`) goes: endpoint `Active` (P1) → the endpoint's security groups
//! (P2) → connection `Connected` (P3) → zone `Connected`/`Migrated` (P4) → service `Active`
//! and `Normal` (P5) → the allocated resource row still attached (P6) → cross-region
//! bandwidth (P7) → handed to the load balancer of that row, in the row's zone, from the
//! LB-side source to the zone VIP (P8). No route between consumer and provider VPCs is needed;
//! their CIDR blocks may overlap.

use super::load_balancer::{self, LbView};
use crate::cloud::ecs::Eni;
use crate::cloud::packet::{Direction, Packet};
use crate::cloud::reach::deliver::sg_check;
use crate::cloud::reach::finding::{Code, Finding, Leg, Site};
use crate::cloud::reach::hop::{Hop, NodeType};
use crate::cloud::reach::topology::Topology;
use crate::cloud::World;
use std::net::Ipv4Addr;

/// Where PrivateLink hands the packet over.
#[derive(Debug, Clone)]
pub struct Handover {
    /// The service's load balancer.
    pub lb: LbView,
    /// The zone of the allocated resource row.
    pub zone_id: String,
    /// The packet as the load balancer receives it (LB-side source → zone VIP).
    pub packet: Packet,
}

/// The endpoint and zone a service-managed ENI serves.
pub fn endpoint_zone_of(eni: &Eni) -> Option<(&str, &str)> {
    if !eni.service_managed {
        return None;
    }
    let rest = eni.service_owner.as_deref()?.strip_prefix("privatelink:")?;
    rest.split_once(':')
}

fn err(code: Code, component: &str, detail: String, site: Site) -> Finding {
    Finding::error(Leg::Forward, code, component, detail, site)
}

/// A zone status that carries traffic (§4.2).
pub fn zone_carries(status: &str) -> bool {
    status == "Connected" || status == "Migrated"
}

/// P1–P8 for `packet` delivered to endpoint ENI `eni`. Hops (endpoint ENI, EP, EPSRV) go to
/// `hops`.
pub fn segment(
    t: &Topology<'_>,
    eni: &Eni,
    packet: &Packet,
    hops: &mut Vec<Hop>,
) -> Result<Handover, Finding> {
    let w = t.world;
    let eni_id = eni.network_interface_id.as_str();
    let Some((ep_id, zone_id)) = endpoint_zone_of(eni) else {
        return Err(err(
            Code::DstNotTargetable,
            eni_id,
            format!("ENI `{eni_id}` is not an endpoint ENI"),
            Site::None,
        ));
    };
    // P1.
    let Some(ep) = w.privatelink.endpoints.get(ep_id) else {
        return Err(err(
            Code::EpNotActive,
            ep_id,
            format!("endpoint `{ep_id}` of ENI `{eni_id}` no longer exists"),
            Site::None,
        ));
    };
    if ep.status != "Active" {
        return Err(err(
            Code::EpNotActive,
            ep_id,
            format!("endpoint `{ep_id}` is {}", ep.status),
            Site::None,
        ));
    }
    // P2.
    let (h, ok) = sg_check(
        t,
        Leg::Forward,
        eni_id,
        Direction::Ingress,
        packet,
        Code::SgIngressDeny,
    );
    hops.push(h);
    if let Err(mut f) = ok {
        f.component_id = eni_id.to_string();
        f.detail = format!("endpoint `{ep_id}`: {}", f.detail);
        return Err(f);
    }
    let mut h = Hop::new(ep_id, NodeType::Ep, &ep.region_id, zone_id);
    h.ip = Some(eni.private_ip);
    hops.push(h);
    // P3.
    if ep.connection_status != "Connected" {
        let site = if ep.connection_status == "Disconnected" {
            Site::EndpointConnection {
                service_id: ep.service_id.clone(),
                endpoint_id: ep_id.to_string(),
            }
        } else {
            Site::None
        };
        return Err(err(
            Code::EpConnectionNotConnected,
            ep_id,
            format!(
                "the connection of endpoint `{ep_id}` to `{}` is {}",
                ep.service_id, ep.connection_status
            ),
            site,
        ));
    }
    // P4.
    let Some(zone) = ep.zones.iter().find(|z| z.zone_id == zone_id) else {
        return Err(err(
            Code::EpZoneNotConnected,
            ep_id,
            format!("endpoint `{ep_id}` has no zone `{zone_id}` any more"),
            Site::None,
        ));
    };
    if !zone_carries(&zone.status) {
        let site = if zone.status == "Disconnected" {
            Site::EndpointZone {
                service_id: ep.service_id.clone(),
                endpoint_id: ep_id.to_string(),
                zone_id: zone_id.to_string(),
            }
        } else {
            Site::None
        };
        return Err(err(
            Code::EpZoneNotConnected,
            ep_id,
            format!("zone `{zone_id}` of endpoint `{ep_id}` is {}", zone.status),
            site,
        ));
    }
    // P5.
    let service = w.privatelink.services.get(&ep.service_id);
    let Some(service) = service.filter(|s| s.status == "Active" && s.business_status == "Normal")
    else {
        let why = service.map_or("deleted".to_string(), |s| {
            format!("{} (business status {})", s.status, s.business_status)
        });
        return Err(err(
            Code::EpsrvNotActive,
            &ep.service_id,
            format!("endpoint service `{}` is {why}", ep.service_id),
            Site::None,
        ));
    };
    hops.push(Hop::new(
        &service.service_id,
        NodeType::EpSrv,
        &service.region_id,
        "",
    ));
    // P6.
    // The zone holds the row's key (`ResourceId|ZoneId`); the old ENI of a migration still
    // goes to the replaced row (§4.3.10 Z8).
    let row = zone
        .row_for_eni(eni_id)
        .and_then(|k| service.resources.iter().find(|x| x.key() == k));
    let Some(row) = row else {
        return Err(err(
            Code::EpZoneNoResource,
            ep_id,
            format!(
                "zone `{zone_id}` of endpoint `{ep_id}` has no service resource of `{}` allocated",
                service.service_id
            ),
            Site::None,
        ));
    };
    // P7.
    if ep.region_id != service.region_id && ep.cross_region_bandwidth.unwrap_or(0) == 0 {
        return Err(err(
            Code::EpNoCrossRegionBandwidth,
            ep_id,
            format!(
                "cross-region endpoint `{ep_id}` ({} → {}) has no cross-region bandwidth",
                ep.region_id, service.region_id
            ),
            Site::None,
        ));
    }
    // P8.
    let lb = load_balancer::view(w, &row.resource_id);
    let lbz = lb.as_ref().and_then(|l| l.zone(&row.zone_id)).cloned();
    let (Some(lb), Some(lbz)) = (lb, lbz) else {
        return Err(err(
            Code::EpZoneNoResource,
            &row.resource_id,
            format!(
                "service resource `{}` in `{}` no longer exists",
                row.resource_id, row.zone_id
            ),
            Site::None,
        ));
    };
    Ok(Handover {
        packet: Packet {
            src_ip: lbz.source,
            dst_ip: lbz.vip,
            ..*packet
        },
        zone_id: row.zone_id.clone(),
        lb,
    })
}

/// What a DNS name resolves to: the VPC holding the addresses and the addresses, in zone
/// order (§4.8, §8.3.2). `client_zone` is the resolving client's zone (zone affinity).
pub fn resolve_domain(
    w: &World,
    name: &str,
    client_zone: Option<&str>,
) -> Option<(String, Vec<Ipv4Addr>)> {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    for ep in w.privatelink.endpoints.values() {
        if ep.domain() == name {
            let up: Vec<_> = ep
                .zones
                .iter()
                .filter(|z| zone_carries(&z.status))
                .collect();
            let affinity = ep.zone_affinity
                && w.privatelink
                    .services
                    .get(&ep.service_id)
                    .is_some_and(|s| s.zone_affinity);
            let near: Vec<_> = up
                .iter()
                .filter(|z| Some(z.zone_id.as_str()) == client_zone)
                .collect();
            let ips = if affinity && !near.is_empty() {
                near.iter().map(|z| z.eni_ip).collect()
            } else {
                up.iter().map(|z| z.eni_ip).collect()
            };
            return Some((ep.vpc_id.clone(), ips));
        }
        if let Some(z) = ep.zones.iter().find(|z| ep.zone_domain(&z.zone_id) == name) {
            return Some((ep.vpc_id.clone(), vec![z.eni_ip]));
        }
    }
    for lb in w.nlb.load_balancers.values() {
        if lb.dns_name() == name {
            let vips = lb
                .zone_mappings
                .iter()
                .map(|z| z.private_ipv4_address)
                .collect();
            return Some((lb.vpc_id.clone(), vips));
        }
    }
    for lb in w.alb.load_balancers.values() {
        if lb.dns_name() == name {
            return Some((
                lb.vpc_id.clone(),
                lb.zones.iter().map(|z| z.address).collect(),
            ));
        }
    }
    None
}

#[cfg(test)]
#[path = "privatelink_tests.rs"]
mod tests;
