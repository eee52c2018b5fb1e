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
pub mod auth;
pub mod declare;
pub mod directory;
pub mod error;
pub mod execute;
pub mod ids;
pub mod lifecycle;
pub mod operation;
pub mod options;
pub mod params;
pub mod region;
pub mod spec;
pub mod time;
pub mod validate;
pub mod vpc;
pub mod vpcpeer;
pub mod world;

#[cfg(test)]
mod tests;

pub use auth::{AuthRequirements, DependentAction};
pub use declare::{AccessLevel, ApiDecl, CloudApi, Product};
pub use error::CloudError;
pub use operation::Operation;
pub use options::{CloudOptions, SettleMode};
pub use spec::{SpecError, WorldSpec};
pub use time::Timestamp;
pub use world::{CallContext, ServiceEvent, World};
