//! The Alb product (API version 2020-06-16, RAM code `alb`, regional endpoint
//! `alb.{region}.aliyuncs.com`): application load balancers, server groups (Instance and Ip,
//! remote-IP backends across a CEN), listeners with forward actions (spec `network-model.md`
//! §5.2, restrictions of §6.5).
//!
//! * [`resources`] — the stored objects ([`AlbState`], re-exported here);
//! * [`api`] — every API, declared once (not yet registered: see its module doc);
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

/// The Alb product. A denial answers 403 `Forbidden.LoadBalancer` (§9.5 lists one code per
/// resource type; the declaration holds one — ASSUMED: the load balancer's).
pub const PRODUCT: Product = Product {
    name: "Alb",
    version: "2020-06-16",
    ram_code: "alb",
    endpoint: "alb.aliyuncs.com",
    regional_endpoint: Some("alb"),
    denial: Denial {
        status: 403,
        code: "Forbidden.LoadBalancer",
        message: "Authentication is failed for LoadBalancer.",
    },
};
