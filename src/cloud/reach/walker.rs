//! A brute-force packet walker, written as plainly as possible, to check the analyzer against:
//! it uses only the world's public lookups (`World::lookup_route`, which scans every entry),
//! the SG and ACL evaluators, and follows §8.3 step by step with no index, no hops, no
//! findings — just "does it get there and back, and if not, which code". Transit routers are
//! read off the CEN state and the world's computed TR tables, table by table.

use crate::cloud::cen::routing::TrRouteStatus;
use crate::cloud::cen::{AttachKind, AttachStatus, CenStatus, TrType};
use crate::cloud::ecs::security_group::evaluate;
use crate::cloud::ecs::{AddressOwner, InstanceStatus};
use crate::cloud::network_acl::evaluate_vswitch;
use crate::cloud::packet::{Direction, Packet};
use crate::cloud::vpc::route::{NextHopType, RouteTarget};
use crate::cloud::vpc::NetStatus;
use crate::cloud::vpcpeer::PeerStatus;
use crate::cloud::World;
use std::net::{IpAddr, Ipv4Addr};

fn vpc_has(w: &World, vpc: &str, ip: Ipv4Addr) -> bool {
    match w.vpc(vpc) {
        Some(v) => v.ipv4_cidrs().iter().any(|c| c.contains(&ip)),
        None => false,
    }
}

fn vswitch_with(w: &World, vpc: &str, ip: Ipv4Addr) -> Option<String> {
    for s in w.vswitches_of(vpc) {
        if s.cidr_block.contains(&ip) && s.lifecycle.at(w.now()) == NetStatus::Available {
            return Some(s.vswitch_id.clone());
        }
    }
    None
}

fn acl_ok(w: &World, vsw: &str, d: Direction, p: &Packet) -> bool {
    evaluate_vswitch(w.nacl(), vsw, d, p).allowed
}

/// Moves `p` from `vsw` in `vpc` to the vSwitch holding its destination; returns that VPC.
fn go(w: &World, vpc: &str, vsw: &str, p: &Packet) -> Result<String, &'static str> {
    let dst = p.dst_ip;
    let here = w.vswitch(vsw).ok_or("ROUTE_NOT_FOUND")?;
    if here.cidr_block.contains(&dst) {
        return Ok(vpc.to_string());
    }
    if !acl_ok(w, vsw, Direction::Egress, p) {
        return Err("NACL_EGRESS_DENY");
    }
    let m = w
        .lookup_route(vpc, Some(vsw), IpAddr::V4(dst))
        .ok_or("ROUTE_NOT_FOUND")?;
    let (kind, id) = match m.target {
        RouteTarget::Local => {
            let to = vswitch_with(w, vpc, dst).ok_or("DST_IP_NOT_FOUND")?;
            if !acl_ok(w, &to, Direction::Ingress, p) {
                return Err("NACL_INGRESS_DENY");
            }
            return Ok(vpc.to_string());
        }
        RouteTarget::NextHop {
            next_hop_type,
            next_hop_id,
        } => (next_hop_type, next_hop_id),
    };
    if kind == Some(NextHopType::Attachment) {
        let other = through_trs(w, vpc, &id, dst)?;
        return match w.lookup_route(&other, None, IpAddr::V4(dst)) {
            Some(m) if m.target == RouteTarget::Local => {
                let to = vswitch_with(w, &other, dst).ok_or("DST_IP_NOT_FOUND")?;
                if !acl_ok(w, &to, Direction::Ingress, p) {
                    return Err("NACL_INGRESS_DENY");
                }
                Ok(other)
            }
            _ => Err("TR_DST_NOT_IN_VPC"),
        };
    }
    if kind != Some(NextHopType::VpcPeer) {
        return Err("UNSUPPORTED_NEXT_HOP");
    }
    let status = w.peering_status(&id);
    if status.is_none() || status == Some(PeerStatus::Deleted) {
        return Err("PEERING_NOT_FOUND");
    }
    if status != Some(PeerStatus::Activated) {
        return Err("PEERING_NOT_ACTIVE");
    }
    let pc = w.peering(&id).ok_or("PEERING_NOT_FOUND")?;
    if w.peering_biz_status(pc) != "Normal" {
        return Err("PEERING_LOCKED");
    }
    let other = if pc.vpc_id == vpc {
        pc.accepting_vpc_id.clone()
    } else if pc.accepting_vpc_id == vpc {
        pc.vpc_id.clone()
    } else {
        return Err("ROUTE_NEXT_HOP_MISMATCH");
    };
    let onward = w.lookup_route(&other, None, IpAddr::V4(dst));
    let onward_is_local = matches!(onward.as_ref().map(|m| &m.target), Some(RouteTarget::Local));
    if !vpc_has(w, &other, dst) {
        if onward.is_some() && !onward_is_local {
            return Err("NON_TRANSITIVE");
        }
        return Err("PEER_CIDR_MISMATCH");
    }
    match onward {
        None => Err("DST_IP_NOT_FOUND"),
        Some(_) if !onward_is_local => Err("NON_TRANSITIVE"),
        Some(_) => {
            let to = vswitch_with(w, &other, dst).ok_or("DST_IP_NOT_FOUND")?;
            if !acl_ok(w, &to, Direction::Ingress, p) {
                return Err("NACL_INGRESS_DENY");
            }
            Ok(other)
        }
    }
}

/// §8.3.5 read off the world plainly: from VPC `vpc` into attachment `att`, table after table,
/// until a VPC attachment; returns that VPC.
fn through_trs(w: &World, vpc: &str, att: &str, dst: Ipv4Addr) -> Result<String, &'static str> {
    let now = w.now();
    let cen = w.cen();
    let Some(a) = cen.attachments.get(att) else {
        return Err("TR_ATTACHMENT_NOT_ATTACHED");
    };
    if a.vpc_id() != Some(vpc) {
        return Err("ROUTE_NEXT_HOP_MISMATCH");
    }
    if a.lifecycle.at(now) != AttachStatus::Attached {
        return Err("TR_ATTACHMENT_NOT_ATTACHED");
    }
    let tables = w.tr_routes(now);
    let mut tr = a.transit_router_id.clone();
    let mut ingress = att.to_string();
    for _ in 0..32 {
        let ok_tr = cen.transit_routers.get(&tr).is_some_and(|x| {
            x.lifecycle.at(now) == CenStatus::Active && x.tr_type == TrType::Enterprise
        });
        if !ok_tr {
            return Err("TR_NOT_ACTIVE");
        }
        let Some(table) = cen
            .route_tables
            .values()
            .find(|t| t.transit_router_id == tr && t.associations.contains(&ingress))
        else {
            return Err("TR_NO_ASSOCIATION");
        };
        let mut best: Option<&crate::cloud::cen::routing::TrRoute> = None;
        for r in tables.get(&table.route_table_id).into_iter().flatten() {
            if r.status == TrRouteStatus::Active
                && r.destination.contains(&dst)
                && best.is_none_or(|b| r.destination.prefix_len() > b.destination.prefix_len())
            {
                best = Some(r);
            }
        }
        let Some(best) = best else {
            return Err("TR_ROUTE_NOT_FOUND");
        };
        let Some(next) = best.next_hop.attachment() else {
            return Err("TR_BLACKHOLE");
        };
        let Some(b) = cen
            .attachments
            .get(next)
            .filter(|b| b.lifecycle.at(now) == AttachStatus::Attached)
        else {
            return Err("TR_ATTACHMENT_NOT_ATTACHED");
        };
        match &b.kind {
            AttachKind::Vpc { vpc_id, .. } => return Ok(vpc_id.clone()),
            AttachKind::Peer {
                bandwidth,
                peer_transit_router_id,
                ..
            } => {
                let basic = [&b.transit_router_id, peer_transit_router_id]
                    .iter()
                    .any(|t| {
                        cen.transit_routers
                            .get(t.as_str())
                            .is_none_or(|x| x.tr_type == TrType::Basic)
                    });
                if basic {
                    return Err("TR_BASIC_NO_CROSS_REGION");
                }
                if *bandwidth <= 0 {
                    return Err("TR_PEER_NO_BANDWIDTH");
                }
                tr = if b.transit_router_id == tr {
                    peer_transit_router_id.clone()
                } else {
                    b.transit_router_id.clone()
                };
                ingress = next.to_string();
            }
        }
    }
    Err("LOOP_DETECTED")
}

fn returned(code: &'static str) -> &'static str {
    match code {
        "ROUTE_NOT_FOUND" => "RETURN_ROUTE_NOT_FOUND",
        "PEERING_NOT_FOUND" => "RETURN_PEERING_NOT_FOUND",
        "PEERING_NOT_ACTIVE" => "RETURN_PEERING_NOT_ACTIVE",
        "PEERING_LOCKED" => "RETURN_PEERING_LOCKED",
        "ROUTE_NEXT_HOP_MISMATCH" => "RETURN_ROUTE_NEXT_HOP_MISMATCH",
        "NON_TRANSITIVE" => "RETURN_NON_TRANSITIVE",
        "PEER_CIDR_MISMATCH" => "RETURN_PEER_CIDR_MISMATCH",
        "UNSUPPORTED_NEXT_HOP" => "RETURN_UNSUPPORTED_NEXT_HOP",
        "NACL_EGRESS_DENY" | "NACL_INGRESS_DENY" => "NACL_RETURN_DENY",
        "TR_ATTACHMENT_NOT_ATTACHED" => "RETURN_TR_ATTACHMENT_NOT_ATTACHED",
        "TR_NOT_ACTIVE" => "RETURN_TR_NOT_ACTIVE",
        "TR_NO_ASSOCIATION" => "RETURN_TR_NO_ASSOCIATION",
        "TR_ROUTE_NOT_FOUND" => "RETURN_TR_ROUTE_NOT_FOUND",
        "TR_BLACKHOLE" => "RETURN_TR_BLACKHOLE",
        "TR_BASIC_NO_CROSS_REGION" => "RETURN_TR_BASIC_NO_CROSS_REGION",
        "TR_PEER_NO_BANDWIDTH" => "RETURN_TR_PEER_NO_BANDWIDTH",
        "TR_DST_NOT_IN_VPC" => "RETURN_TR_DST_NOT_IN_VPC",
        "LOOP_DETECTED" => "RETURN_LOOP_DETECTED",
        other => other,
    }
}

/// Instance to instance: `Ok` when the packet and its reply both get through, else the first
/// failing code.
pub fn walk(w: &World, from: &str, to: &str, p: &Packet) -> Result<(), &'static str> {
    let a = &w.ecs().instances[from];
    let b = &w.ecs().instances[to];
    if a.status(w.now()) != InstanceStatus::Running {
        return Err("SRC_INSTANCE_NOT_RUNNING");
    }
    if !evaluate(w.ecs(), &a.primary_eni_id, Direction::Egress, p).is_some_and(|d| d.allowed) {
        return Err("SG_EGRESS_DENY");
    }
    let arrived = go(w, &a.vpc_id, &a.vswitch_id, p)?;
    if arrived != b.vpc_id {
        return Err("DST_IP_NOT_FOUND");
    }
    match w.ecs().addresses.owner(&arrived, p.dst_ip) {
        Some(AddressOwner::Eni(e)) if *e == b.primary_eni_id => {}
        _ => return Err("DST_IP_NOT_FOUND"),
    }
    if b.status(w.now()) != InstanceStatus::Running {
        return Err("DST_INSTANCE_NOT_RUNNING");
    }
    if !evaluate(w.ecs(), &b.primary_eni_id, Direction::Ingress, p).is_some_and(|d| d.allowed) {
        return Err("SG_INGRESS_DENY");
    }
    let back = go(w, &b.vpc_id, &b.vswitch_id, &p.reply()).map_err(returned)?;
    if back != a.vpc_id {
        return Err("CIDR_OVERLAP");
    }
    Ok(())
}

/// [`go`] for a reply that ends at a load balancer's own source address: no ingress ACL at
/// the end (§8.3.4 D2).
fn go_home(w: &World, vpc: &str, vsw: &str, p: &Packet) -> Result<String, &'static str> {
    let dst = p.dst_ip;
    let here = w.vswitch(vsw).ok_or("ROUTE_NOT_FOUND")?;
    if here.cidr_block.contains(&dst) {
        return Ok(vpc.to_string());
    }
    if !acl_ok(w, vsw, Direction::Egress, p) {
        return Err("NACL_EGRESS_DENY");
    }
    match w.lookup_route(vpc, Some(vsw), IpAddr::V4(dst)) {
        Some(m) if m.target == RouteTarget::Local => {
            vswitch_with(w, vpc, dst).ok_or("DST_IP_NOT_FOUND")?;
            Ok(vpc.to_string())
        }
        Some(_) => Err("UNSUPPORTED_NEXT_HOP"),
        None => Err("ROUTE_NOT_FOUND"),
    }
}

/// From the NLB's zone vSwitch `vsw` (source `src`) to server `s` on `port`, VPC-local, and
/// the reply back to `src`; `Ok(listening)`.
fn nlb_leg(
    w: &World,
    vpc: &str,
    vsw: &str,
    src: Ipv4Addr,
    s: &crate::cloud::nlb::Server,
    port: u16,
) -> Result<bool, &'static str> {
    let p = Packet::tcp(
        src,
        crate::cloud::packet::DEFAULT_CLIENT_PORT,
        s.server_ip,
        port,
    );
    let here = w.vswitch(vsw).ok_or("LB_NOT_ACTIVE")?;
    if !here.cidr_block.contains(&s.server_ip) {
        if !acl_ok(w, vsw, Direction::Egress, &p) {
            return Err("NACL_EGRESS_DENY");
        }
        let to = vswitch_with(w, vpc, s.server_ip).ok_or("DST_IP_NOT_FOUND")?;
        if !acl_ok(w, &to, Direction::Ingress, &p) {
            return Err("NACL_INGRESS_DENY");
        }
    }
    let eni = match w.ecs().addresses.owner(vpc, s.server_ip) {
        Some(AddressOwner::Eni(e)) => &w.ecs().enis[e.as_str()],
        _ => return Err("DST_IP_NOT_FOUND"),
    };
    let inst = eni.instance_id.as_ref().map(|i| &w.ecs().instances[i]);
    if inst.is_some_and(|i| i.status(w.now()) != InstanceStatus::Running) {
        return Err("DST_INSTANCE_NOT_RUNNING");
    }
    if !evaluate(w.ecs(), &eni.network_interface_id, Direction::Ingress, &p)
        .is_some_and(|d| d.allowed)
    {
        return Err("SG_INGRESS_DENY");
    }
    go_home(w, vpc, &eni.vswitch_id, &p.reply()).map_err(returned)?;
    Ok(inst.is_some_and(|i| i.listens_on(crate::cloud::ecs::instance::L4::Tcp, port)))
}

/// Instance `from` to endpoint `ep` on tcp/`port`, through PrivateLink and the NLB behind it
/// (§8.3.6–§8.3.7, instance-type server groups): `Ok` when some endpoint zone gets through,
/// else the first zone's first failing code.
pub fn walk_endpoint(w: &World, from: &str, ep: &str, port: u16) -> Result<(), &'static str> {
    let e = &w.privatelink.endpoints[ep];
    let mut first = None;
    for z in &e.zones {
        match walk_zone(w, from, e, z, port) {
            Ok(()) => return Ok(()),
            Err(c) => {
                first.get_or_insert(c);
            }
        }
    }
    Err(first.unwrap_or("DST_IP_NOT_FOUND"))
}

fn walk_zone(
    w: &World,
    from: &str,
    e: &crate::cloud::privatelink::Endpoint,
    z: &crate::cloud::privatelink::EndpointZone,
    port: u16,
) -> Result<(), &'static str> {
    let a = &w.ecs().instances[from];
    let p = Packet::tcp(
        a.private_ip,
        crate::cloud::packet::DEFAULT_CLIENT_PORT,
        z.eni_ip,
        port,
    );
    if a.status(w.now()) != InstanceStatus::Running {
        return Err("SRC_INSTANCE_NOT_RUNNING");
    }
    if !evaluate(w.ecs(), &a.primary_eni_id, Direction::Egress, &p).is_some_and(|d| d.allowed) {
        return Err("SG_EGRESS_DENY");
    }
    if go(w, &a.vpc_id, &a.vswitch_id, &p)? != e.vpc_id {
        return Err("DST_IP_NOT_FOUND");
    }
    if e.status != "Active" {
        return Err("EP_NOT_ACTIVE");
    }
    if !evaluate(w.ecs(), &z.eni_id, Direction::Ingress, &p).is_some_and(|d| d.allowed) {
        return Err("SG_INGRESS_DENY");
    }
    if e.connection_status != "Connected" {
        return Err("EP_CONNECTION_NOT_CONNECTED");
    }
    if z.status != "Connected" && z.status != "Migrated" {
        return Err("EP_ZONE_NOT_CONNECTED");
    }
    let svc = match w.privatelink.services.get(&e.service_id) {
        Some(s) if s.status == "Active" && s.business_status == "Normal" => s,
        _ => return Err("EPSRV_NOT_ACTIVE"),
    };
    let Some(row) = svc
        .resources
        .iter()
        .find(|r| z.resource_id.as_deref().is_some_and(|k| r.has_key(k)))
    else {
        return Err("EP_ZONE_NO_RESOURCE");
    };
    if e.region_id != svc.region_id && e.cross_region_bandwidth.unwrap_or(0) == 0 {
        return Err("EP_NO_CROSS_REGION_BANDWIDTH");
    }
    let Some(lb) = w.nlb.load_balancers.get(&row.resource_id) else {
        return Err("EP_ZONE_NO_RESOURCE");
    };
    let Some(zm) = lb.zone(&row.zone_id) else {
        return Err("EP_ZONE_NO_RESOURCE");
    };
    if lb.status != "Active" || lb.business_status != "Normal" {
        return Err("LB_NOT_ACTIVE");
    }
    let Some(l) = w.nlb.listeners.values().find(|l| {
        l.load_balancer_id == lb.load_balancer_id
            && l.status == "Running"
            && (l.protocol == "TCP")
            && l.takes_port(port)
    }) else {
        return Err("LB_NO_LISTENER");
    };
    let g = match w.nlb.server_groups.get(&l.server_group_id) {
        Some(g) if g.status == "Available" => g,
        _ => return Err("LB_SERVER_GROUP_NOT_AVAILABLE"),
    };
    let servers: Vec<_> = g
        .servers
        .iter()
        .filter(|s| s.weight > 0)
        .filter(|s| lb.cross_zone_enabled || s.zone_id.as_deref() == Some(&zm.zone_id))
        .collect();
    if servers.is_empty() {
        return Err("LB_NO_BACKEND");
    }
    let mut first = None;
    for s in servers {
        let sport = if g.any_port_enabled { port } else { s.port };
        if g.health_check.enabled {
            let hz = s
                .zone_id
                .as_deref()
                .and_then(|x| lb.zone(x))
                .unwrap_or(&lb.zone_mappings[0]);
            let hport = match g.health_check.connect_port {
                0 => sport,
                x => x,
            };
            let healthy = matches!(
                nlb_leg(
                    w,
                    &lb.vpc_id,
                    &hz.vswitch_id,
                    hz.local_addresses[0],
                    s,
                    hport
                ),
                Ok(true)
            );
            if !healthy {
                first.get_or_insert("LB_BACKEND_UNHEALTHY");
                continue;
            }
        }
        match nlb_leg(
            w,
            &lb.vpc_id,
            &zm.vswitch_id,
            zm.local_addresses[0],
            s,
            sport,
        ) {
            Ok(_) => return Ok(()),
            Err(c) => {
                first.get_or_insert(c);
            }
        }
    }
    Err(first.unwrap_or("LB_NO_BACKEND"))
}
