//! The Cbn product (CEN, API version 2017-09-12, RAM code `cen`): CEN instances, bandwidth
//! packages, Enterprise transit routers, VPC and inter-region (peer) attachments, TR route
//! tables with association, propagation, static routes and auto-publish to VPCs (spec
//! `network-model.md` §6).
//!
//! * [`resources`] — the stored objects ([`CenState`], re-exported here);
//! * [`routing`] — TR route tables as forwarding sees them: propagation to a fixed point with
//!   conflict resolution ([`routing::compute_routes`]) and [`routing::tr_forward`] (§8.3.5),
//!   pure functions over the CEN state for the reachability analyzer;
//! * [`derived`] — lookup indexes and the incrementally kept TR route tables (not state);
//! * [`api`] — every API of the product, each declared once — the place to start reading;
//! * [`ops`], [`lists`] — the checks and effects those declarations call;
//! * [`grant`] — cross-account VPC attachments: `GrantInstanceToTransitRouter`,
//!   `RevokeInstanceFromTransitRouter` and the grant rule of `VpcOwnerId` (§9.4).
//!
//! Service-managed ENIs of VPC attachments are created with `ecs::eni::create_service_eni`
//! (owner tag `cen:<tr-attach-id>`), so they hold their addresses in the ECS address index.
//! Tests: `tests.rs` beside this file.

pub mod api;
pub mod derived;
pub mod grant;
pub mod lists;
pub mod ops;
pub mod resources;
pub mod routing;
pub mod world_spec;

#[cfg(test)]
mod derived_tests;
#[cfg(test)]
pub(crate) mod tests;

pub use resources::*;

use crate::cloud::declare::{Denial, Product};

/// The Cbn product: version, RAM code `cen`, global endpoint, denial (§9.5: 400
/// `Unauthorized`).
pub const PRODUCT: Product = Product {
    name: "Cbn",
    version: "2017-09-12",
    ram_code: "cen",
    endpoint: "cbn.aliyuncs.com",
    regional_endpoint: None,
    denial: Denial {
        status: 400,
        code: "Unauthorized",
        message: "The AccessKeyId is unauthorized.",
    },
};
