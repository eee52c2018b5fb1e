//! The VpcPeer product (API version 2022-01-01): VPC peering connections, their state
//! machine, deleted-peering archive and inter-region traffic billing (spec
//! `network-model.md` §3).
//!
//! * [`resources`] — `Peering` and `PeerStatus` (re-exported here);
//! * [`api`] — every API of the product, each declared once (parameters, RAM action and ARNs,
//!   injected `acs:TargetRD*` keys, dependent `cdt:GetCdtServiceStatus`, response shape) — the
//!   place to start reading one API;
//! * [`ops`] — the checks and effects those declarations call;
//! * [`archive`] — deleted peerings; [`billing`] — traffic records and fees (§3.7).
//!
//! Tests: `src/cloud/tests/` (errors of every API, S1 fixtures, the validate-then-commit
//! property) and `tests/gateway_*.rs` through the gateway.

pub mod api;
pub mod archive;
pub mod billing;
pub mod ops;
pub mod resources;

pub use resources::*;

use crate::cloud::declare::{Denial, Product};

/// The VpcPeer product: its version, RAM code, endpoint and denial (§9.5:
/// `Forbidden.NoPermission`, 400).
pub const PRODUCT: Product = Product {
    name: "VpcPeer",
    version: "2022-01-01",
    ram_code: "vpc",
    endpoint: "vpcpeer.aliyuncs.com",
    regional_endpoint: None,
    denial: Denial {
        status: 400,
        code: "Forbidden.NoPermission",
        message: "Authentication is failed for NoPermission.",
    },
};
