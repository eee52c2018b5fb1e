//! `cloud`: deterministic in-memory model of Alibaba Cloud VPC, vSwitch, route
//! tables and VPC peering (spec `network-model.md` §0–§3).
//!
//! Gateway entry points:
//! * [`world::World::from_spec`] / [`spec::WorldSpec::from_json`] — build a world;
//! * [`operation::Operation::decode`] — typed parameters from an RPC request;
//! * [`world::World::authorization_request`] — pre-auth checks + RAM surface (§9);
//! * [`world::World::execute`] — run the call (validate, then mutate);
//! * [`world::World::advance_clock`] — time-driven transitions (expiry, settling).

#![warn(missing_docs)]

pub mod account;
pub mod archive;
pub mod auth;
pub mod billing;
pub mod directory;
pub mod ecs;
pub mod error;
pub mod execute;
pub mod ids;
pub mod lifecycle;
pub mod network_acl;
pub mod operation;
pub mod options;
pub mod packet;
pub mod params;
pub mod peering;
pub mod peering_ops;
pub mod region;
pub mod route;
pub mod route_ops;
pub mod spec;
pub mod time;
pub mod validate;
pub mod vpc;
pub mod vpc_ops;
pub mod world;

#[cfg(test)]
mod tests;

pub use auth::{AuthRequirements, DependentAction};
pub use error::CloudError;
pub use operation::Operation;
pub use options::{CloudOptions, SettleMode};
pub use spec::{SpecError, WorldSpec};
pub use time::Timestamp;
pub use world::{CallContext, ServiceEvent, World};
