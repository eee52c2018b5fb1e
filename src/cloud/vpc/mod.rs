//! The Vpc product (API version 2016-04-28): VPCs, vSwitches, route tables and route entries
//! (spec `network-model.md` §2).
//!
//! * [`resources`] — `Vpc`, `VSwitch`, their statuses and CIDR rules (re-exported here);
//! * [`route`] — route tables, route entries, longest-prefix lookup;
//! * [`api`] — every API of the product, each declared once (parameters, RAM action and ARNs,
//!   response shape) — the place to start reading one API;
//! * [`ops`], [`route_ops`] — the checks and effects those declarations call;
//! * [`route_table_api`] — custom route tables: create, (un)associate, delete.
//!
//! Tests: `src/cloud/tests/` (errors of every API, S1 fixtures, the validate-then-commit
//! property) and `tests/gateway_*.rs` through the gateway.

pub mod api;
pub mod ops;
pub mod resources;
pub mod route;
pub mod route_ops;
pub mod route_table_api;

pub use resources::*;

use crate::cloud::declare::{Denial, Product};

/// The Vpc product: its version, RAM code, endpoint and denial (§9.5: `Forbidden`, 403).
pub const PRODUCT: Product = Product {
    name: "Vpc",
    version: "2016-04-28",
    ram_code: "vpc",
    endpoint: "vpc.aliyuncs.com",
    regional_endpoint: Some("vpc"),
    denial: Denial {
        status: 403,
        code: "Forbidden",
        message: "User not authorized to operate on the specified resource.",
    },
};
