//! The PrivateLink segment (§8.3.6) and the DNS names of endpoints (§4.8).
//!
//! A packet delivered to a service-managed endpoint ENI (`service_owner =
//! privatelink:<ep-id>:<zone>`) goes: endpoint `Active` (P1) → the endpoint's security groups
//! (P2) → connection `Connected` (P3) → zone `Connected`/`Migrated` (P4) → service `Active`
//! and `Normal` (P5) → the allocated resource row still attached (P6) → cross-region
//! bandwidth (P7) → handed to the load balancer of that row, in the row's zone, from the
//! LB-side source to the zone VIP (P8). No route between consumer and provider VPCs is needed;
//! their CIDR blocks may overlap.

use super::load_balancer::LbView;
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
    pub lb: std::sync::Arc<LbView>,
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
        .and_then(|k| service.resources.iter().find(|x| x.has_key(k)));
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
    let lb = t.lb_view(&row.resource_id);
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

/// The resolving client of a DNS query: its VPC (service domains resolve per consumer VPC)
/// and zone (zone affinity).
#[derive(Debug, Clone, Copy, Default)]
pub struct Client<'a> {
    /// The client's VPC.
    pub vpc_id: Option<&'a str>,
    /// The client's zone.
    pub zone_id: Option<&'a str>,
}

/// What a DNS name resolves to: the VPC holding the addresses and the addresses, in zone
/// order (§4.8, §8.3.2):
///
/// * `EndpointDomain` `<ep>.<epsrv>.<region>.privatelink.aliyuncs.com` — the ENI address of
///   every zone that carries traffic (during a migration the new ENI only), narrowed to the
///   client's zone under zone affinity (both the service and the endpoint enable it, and the
///   client's zone has a carrying zone);
/// * `ZoneDomain` `<ep>-<region>.<epsrv>.<zone>.privatelink.aliyuncs.com` — that zone's address;
/// * `ServiceDomain` `<epsrv>.<region>.privatelink.aliyuncs.com` — inside a consumer VPC that
///   holds an endpoint to the service, what that endpoint's domain resolves to (**ASSUMED**:
///   the model's private zone for the service name; from anywhere else it does not resolve);
/// * NLB `<nlb>.<region>.nlb.aliyuncs.com` and ALB `<alb>[.internal].<region>.alb.aliyuncs.com`
///   DNS names — every zone VIP. (A CLB has no DNS name in the 2014-05-15 API, only its
///   `Address`.)
///
/// Every name carries the id of what it names, so resolution is a map lookup by that id
/// followed by a comparison with the object's own name — never a scan of endpoints, services
/// or load balancers.
pub fn resolve_domain(
    w: &World,
    name: &str,
    client: Client<'_>,
) -> Option<(String, Vec<Ipv4Addr>)> {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    let first = name.split('.').next()?;
    if let Some(rest) = name.strip_suffix(".privatelink.aliyuncs.com") {
        if first.starts_with("epsrv-") {
            let s = w.privatelink.services.get(first)?;
            if s.domain() != name {
                return None;
            }
            let vpc = client.vpc_id?;
            let ep = w
                .privatelink
                .endpoints_in_vpc(vpc)
                .find(|e| e.service_id == s.service_id)?;
            return Some(endpoint_addresses(w, ep, client.zone_id));
        }
        // `<ep-id>` (endpoint domain) or `<ep-id>-<region>` (zone domain): the id is the
        // prefix and the first hyphen-free body after it.
        let body = first.strip_prefix("ep-")?;
        let id_len = 3 + body.find('-').unwrap_or(body.len());
        let ep = w.privatelink.endpoints.get(&first[..id_len])?;
        if first.len() == id_len {
            return (ep.domain() == name).then(|| endpoint_addresses(w, ep, client.zone_id));
        }
        // the zone id is the third label of `rest`
        let zone_id = rest.split('.').nth(2)?;
        let z = ep.zones.iter().find(|z| z.zone_id == zone_id)?;
        return (ep.zone_domain(zone_id) == name).then(|| (ep.vpc_id.clone(), vec![z.eni_ip]));
    }
    if name.ends_with(".nlb.aliyuncs.com") {
        let lb = w.nlb.load_balancers.get(first)?;
        return (lb.dns_name() == name).then(|| {
            let vips = lb
                .zone_mappings
                .iter()
                .map(|z| z.private_ipv4_address)
                .collect();
            (lb.vpc_id.clone(), vips)
        });
    }
    if name.ends_with(".alb.aliyuncs.com") {
        let lb = w.alb.load_balancers.get(first)?;
        return (lb.dns_name() == name).then(|| {
            (
                lb.vpc_id.clone(),
                lb.zones.iter().map(|z| z.address).collect(),
            )
        });
    }
    None
}

/// What the endpoint domain of `ep` resolves to for a client in `client_zone` (§4.8).
fn endpoint_addresses(
    w: &World,
    ep: &crate::cloud::privatelink::Endpoint,
    client_zone: Option<&str>,
) -> (String, Vec<Ipv4Addr>) {
    let up = ep.zones.iter().filter(|z| zone_carries(&z.status));
    let affinity = ep.zone_affinity
        && w.privatelink
            .services
            .get(&ep.service_id)
            .is_some_and(|s| s.zone_affinity);
    let near: Vec<Ipv4Addr> = up
        .clone()
        .filter(|z| affinity && Some(z.zone_id.as_str()) == client_zone)
        .map(|z| z.eni_ip)
        .collect();
    let ips = if near.is_empty() {
        up.map(|z| z.eni_ip).collect()
    } else {
        near
    };
    (ep.vpc_id.clone(), ips)
}

#[cfg(test)]
#[path = "privatelink_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "dns_tests.rs"]
mod dns_tests;
