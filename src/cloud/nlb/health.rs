//! Backend health (§5 intro, §5.1.4): computed from the world, never random, by the reach
//! analyzer's load-balancer segment (`cloud::reach::segment::load_balancer`): a server is
//! healthy iff health checking is on and a TCP probe from the load balancer's local address
//! to the health-check port passes the checks of §8 (VPC-local delivery or routes, the zone
//! and backend network ACLs both ways, the backend's security groups), its instance is
//! `Running` and it listens on that port.

use super::{LoadBalancer, Server, ServerGroup};
use crate::cloud::reach::segment::load_balancer::{
    backend_health, Backend, BackendHealth, GroupView, LoadBalancer as _, Scope,
};
use crate::cloud::time::Timestamp;
use crate::cloud::world::World;
use serde::Serialize;
use std::net::Ipv4Addr;

/// The health of one server as `GetListenerHealthStatus` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Health {
    /// Passes the probe (not listed by `GetListenerHealthStatus`).
    Healthy,
    /// Fails the probe, with its reason code.
    Unhealthy(&'static str),
    /// Weight 0: takes no traffic.
    Unused,
    /// Health checking disabled: status unknown, traffic still sent.
    Unavailable,
}

impl Health {
    /// Alibaba's status string.
    pub fn status(self) -> &'static str {
        match self {
            Health::Healthy => "Healthy",
            Health::Unhealthy(_) => "Unhealthy",
            Health::Unused => "Unused",
            Health::Unavailable => "Unavailable",
        }
    }
}

/// The local address the load balancer probes `server` from: the first local address of the
/// server's zone, else of the first zone (ASSUMED: cross-zone probes come from the first zone).
pub fn probe_source(lb: &LoadBalancer, server: &Server) -> Option<Ipv4Addr> {
    server
        .zone_id
        .as_deref()
        .and_then(|z| lb.zone(z))
        .or_else(|| lb.zone_mappings.first())
        .and_then(|z| z.local_addresses.first().copied())
}

/// The health of `server` of `group` behind `lb` (§5 intro): the reach analyzer's health
/// probe ([`backend_health`]) — routes, network ACLs both ways, the backend's security
/// groups, the instance `Running`, a listener on the port. `now` must be the world's clock.
pub fn server_health(
    w: &World,
    lb: &LoadBalancer,
    group: &ServerGroup,
    server: &Server,
    now: Timestamp,
) -> Health {
    debug_assert_eq!(now, w.now(), "health is computed at the world's clock");
    let view = lb.lb_view(w);
    let g = GroupView {
        group_id: group.server_group_id.clone(),
        available: group.status == "Available",
        scope: if group.server_group_type == "Ip" {
            Scope::Routed
        } else {
            Scope::VpcLocal
        },
        preserve_client_ip: group.preserve_client_ip,
        health_enabled: group.health_check.enabled,
        health_port: group.health_check.connect_port,
        backends: Vec::new(),
    };
    let b = Backend {
        server_id: server.server_id.clone(),
        ip: server.server_ip,
        port: server.port,
        weight: server.weight,
        zone_id: server.zone_id.clone(),
    };
    match backend_health(w, &view, &g, &b) {
        BackendHealth::Healthy => Health::Healthy,
        BackendHealth::Unhealthy(r) => Health::Unhealthy(r),
        BackendHealth::Unused => Health::Unused,
        BackendHealth::Unavailable => Health::Unavailable,
    }
}
