//! The Alb product (API version 2020-06-16, RAM code `alb`, regional endpoint
//! `alb.{region}.aliyuncs.com`): application load balancers, server groups (Instance and Ip,
//! remote-IP backends across a CEN), listeners with forward actions (spec `network-model.md`
//! §5.2, restrictions of §6.5).
//!
//! * [`resources`] — the stored objects ([`AlbState`], re-exported here);
//! * [`api`] — every API, declared once and registered in `cloud::operation` (types of API
//!   names NLB and CLB share carry an `Alb` prefix);
//! * [`ops`] — checks, effects and [`ops::server_health`].
//!
//! Zone VIPs are held in the ECS address index (`AddressOwner::Service { kind: "alb-vip" }`),
//! so TR attachment ENIs and instances never take them.

pub mod api;
pub mod ops;
pub mod resources;

#[cfg(test)]
mod tests;

pub use resources::*;

use crate::cloud::declare::{Denial, Product};

/// A denial on a load balancer: 403 `Forbidden.LoadBalancer` (§9.5; the product's default,
/// ListServerGroups/ListListeners included; messages ASSUMED).
pub const DENY_LOAD_BALANCER: Denial = Denial {
    status: 403,
    code: "Forbidden.LoadBalancer",
    message: "Authentication is failed for LoadBalancer.",
};
/// A denial on a server group: 403 `Forbidden.ServerGroup` (§9.5).
pub const DENY_SERVER_GROUP: Denial = Denial {
    status: 403,
    code: "Forbidden.ServerGroup",
    message: "Authentication is failed for ServerGroup.",
};
/// A denial on a listener: 403 `Forbidden.Listener` (§9.5).
pub const DENY_LISTENER: Denial = Denial {
    status: 403,
    code: "Forbidden.Listener",
    message: "Authentication is failed for Listener.",
};

/// The denial of an API acting on ARN kind `kind` (`loadbalancer`, `servergroup`,
/// `listener`): each API declares the one of its resource type (§9.5).
pub const fn denial_of(kind: &str) -> Denial {
    match kind.as_bytes() {
        b"servergroup" => DENY_SERVER_GROUP,
        b"listener" => DENY_LISTENER,
        _ => DENY_LOAD_BALANCER,
    }
}

/// The ActionTrail `resourceType` of an API acting on ARN kind `kind` (§10.3).
pub const fn resource_type_of(kind: &str) -> &'static str {
    match kind.as_bytes() {
        b"servergroup" => "ACS::ALB::ServerGroup",
        b"listener" => "ACS::ALB::Listener",
        _ => "ACS::ALB::LoadBalancer",
    }
}

/// The Alb product. A denial answers by resource type (§9.5): the product holds the load
/// balancer's, and each server group or listener API declares its own ([`denial_of`]).
pub const PRODUCT: Product = Product {
    name: "Alb",
    version: "2020-06-16",
    ram_code: "alb",
    endpoint: "alb.aliyuncs.com",
    regional_endpoint: Some("alb"),
    denial: DENY_LOAD_BALANCER,
};
