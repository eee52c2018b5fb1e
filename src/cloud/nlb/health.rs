//! Backend health (§5 intro, §5.1.4): computed from the world, never random. A server is
//! healthy iff health checking is on, its instance is `Running`, it listens on the probed port,
//! and the security groups of its ENI let a TCP probe in from the load balancer's local
//! address. Routes and network ACLs inside the VPC are not consulted here yet: the reach
//! analyzer (`cloud::reach`) is the place that will replace [`server_health`] with a full trace.

use super::{LoadBalancer, Server, ServerGroup};
use crate::cloud::ecs::instance::L4;
use crate::cloud::ecs::security_group::evaluate_groups;
use crate::cloud::ecs::{AddressOwner, InstanceStatus};
use crate::cloud::packet::{Direction, Packet};
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

/// The health of `server` of `group` behind `lb` at `now` (§5 intro).
pub fn server_health(
    w: &World,
    lb: &LoadBalancer,
    group: &ServerGroup,
    server: &Server,
    now: Timestamp,
) -> Health {
    if server.weight == 0 {
        return Health::Unused;
    }
    if !group.health_check.enabled {
        return Health::Unavailable;
    }
    let port = match group.health_check.connect_port {
        0 => server.port,
        p => p,
    };
    let ecs = w.ecs();
    // The ENI that holds the server's address in the group's VPC.
    let eni = match ecs.addresses.owner(&group.vpc_id, server.server_ip) {
        Some(AddressOwner::Eni(e)) => ecs.enis.get(e),
        _ => None,
    };
    let Some(eni) = eni else {
        // Nobody answers at that address.
        return Health::Unhealthy("CONNECT_TIMEOUT");
    };
    let instance = eni.instance_id.as_ref().and_then(|i| ecs.instances.get(i));
    if let Some(i) = instance {
        if i.status(now) != InstanceStatus::Running {
            return Health::Unhealthy("CONNECT_TIMEOUT");
        }
    }
    let Some(src) = probe_source(lb, server) else {
        return Health::Unhealthy("CONNECT_TIMEOUT");
    };
    let probe = Packet::tcp(src, 1024, server.server_ip, port);
    let sg = evaluate_groups(
        ecs,
        &eni.vpc_id,
        &eni.security_group_ids,
        Direction::Ingress,
        &probe,
    );
    if !sg.allowed {
        return Health::Unhealthy("CONNECT_TIMEOUT");
    }
    match instance {
        Some(i) if i.listens_on(L4::Tcp, port) => Health::Healthy,
        Some(_) => Health::Unhealthy("CONNECT_FAIL"),
        // A bare ENI has no application behind it.
        None => Health::Unhealthy("CONNECT_FAIL"),
    }
}
