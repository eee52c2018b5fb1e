//! ALB pieces of the walk (§5.2, §8.3.4 D1): the hidden route that delivers a back-to-origin
//! address (`100.64.0.0/10`, §5.2.2) to its ALB zone inside the ALB's own VPC.

use crate::cloud::reach::topology::Topology;
use crate::cloud::vpc::VSwitch;
use std::net::Ipv4Addr;

/// The vSwitch of the ALB zone whose back-to-origin address is `ip`, when that ALB lives in
/// `vpc_id` (the "hidden route" of S3 step 21's reply; **ASSUMED** a /32 that wins every
/// lookup in the ALB's VPC).
pub fn back_to_origin_vswitch<'w>(
    t: &Topology<'w>,
    vpc_id: &str,
    ip: Ipv4Addr,
) -> Option<&'w VSwitch> {
    if !crate::cloud::vpc::cgnat().is_some_and(|g| g.contains(&ip)) {
        return None;
    }
    let w = t.world;
    w.alb
        .load_balancers
        .values()
        .filter(|lb| lb.vpc_id == vpc_id)
        .flat_map(|lb| lb.zones.iter())
        .find(|z| z.back_to_origin == ip)
        .and_then(|z| w.vswitches.get(&z.vswitch_id))
}

use super::load_balancer::{
    backend_health, Backend, BackendHealth, GroupView, LbView, LbZone, ListenerView, LoadBalancer,
    Scope,
};
use crate::cloud::alb::{AlbStatus, Server, ServerGroup};
use crate::cloud::packet::Protocol;
use crate::cloud::reach::hop::NodeType;
use crate::cloud::World;

/// A server as the segment sees it (`Ecs` members in their instance's zone; `Ip` members,
/// remote ones included, zone-less).
fn backend(w: &World, s: &Server) -> Backend {
    Backend {
        server_id: s.server_id.clone(),
        ip: s.server_ip,
        port: s.port,
        weight: u8::try_from(s.weight.clamp(0, 100)).unwrap_or(0),
        zone_id: (s.server_type == "Ecs")
            .then(|| {
                w.ecs
                    .instances
                    .get(s.server_id.as_str())
                    .map(|i| String::from(&i.zone_id))
            })
            .flatten(),
    }
}

/// A server group as the segment sees it: `Available` servers only (L4), routed by the ALB
/// VPC's system table (C-SYSRT), the client address never preserved (the backend sees the
/// back-to-origin address, §5.2.2).
fn group_view(w: &World, g: &ServerGroup) -> GroupView {
    let now = w.now();
    GroupView {
        group_id: g.server_group_id.clone(),
        available: g.lifecycle.at(now) == AlbStatus::Available,
        scope: Scope::SystemTable,
        preserve_client_ip: false,
        health_enabled: g.health_check.enabled,
        health_port: g.health_check.connect_port,
        backends: g
            .servers
            .iter()
            .filter(|s| s.lifecycle.at(now) == AlbStatus::Available)
            .map(|s| backend(w, s))
            .collect(),
    }
}

impl LoadBalancer for crate::cloud::alb::LoadBalancer {
    fn lb_view(&self, w: &World) -> LbView {
        let now = w.now();
        let listeners = w
            .alb
            .listeners
            .values()
            .filter(|l| l.load_balancer_id == self.load_balancer_id)
            .map(|l| ListenerView {
                listener_id: l.listener_id.clone(),
                // HTTP and HTTPS ride on tcp, QUIC on udp (§5.2.5 step 1).
                protocol: if l.protocol == "QUIC" {
                    Protocol::Udp
                } else {
                    Protocol::Tcp
                },
                first_port: l.port,
                last_port: l.port,
                running: l.lifecycle.at(now) == AlbStatus::Running,
                privatelink: true,
                groups: l
                    .server_group_ids
                    .iter()
                    .filter_map(|id| w.alb.server_groups.get(id))
                    .map(|g| group_view(w, g))
                    .collect(),
            })
            .collect();
        let status = self.lifecycle.at(now);
        LbView {
            id: self.load_balancer_id.clone(),
            node_type: NodeType::Alb,
            region: self.region_id.clone(),
            vpc_id: self.vpc_id.clone(),
            not_active: (status != AlbStatus::Active)
                .then(|| format!("ALB `{}` is {}", self.load_balancer_id, status.as_str())),
            cross_zone: true,
            zones: self
                .zones
                .iter()
                .map(|z| LbZone {
                    zone_id: z.zone_id.clone(),
                    vswitch_id: z.vswitch_id.clone(),
                    vip: z.address,
                    source: z.back_to_origin,
                })
                .collect(),
            listeners,
        }
    }
}

/// `GetListenerHealthStatus` of one ALB server (§5.2.5, §8.3.7 L5): the segment's health
/// probe from the back-to-origin address of the probing zone (system table, TRs, the
/// backend's ACLs and security groups, the reply to `100.64.0.0/10`, the instance running and
/// listening) — `(Status, ReasonCode)`, never random. Reason codes `CONNECT_FAIL` (nothing
/// listens) and `CONNECT_TIMEOUT` (anything else on the path) as NLB's (**ASSUMED** for ALB).
pub fn server_health(w: &World, g: &ServerGroup, s: &Server) -> (&'static str, &'static str) {
    let Some(lb) = w
        .alb
        .listeners
        .values()
        .filter(|l| l.server_group_ids.contains(&g.server_group_id))
        .find_map(|l| w.alb.load_balancers.get(&l.load_balancer_id))
    else {
        return ("Unavailable", "");
    };
    let view = lb.lb_view(w);
    match backend_health(w, &view, &group_view(w, g), &backend(w, s)) {
        BackendHealth::Healthy => ("Healthy", ""),
        BackendHealth::Unhealthy(r) => ("Unhealthy", r),
        BackendHealth::Unused => ("Unused", ""),
        BackendHealth::Unavailable => ("Unavailable", ""),
    }
}
