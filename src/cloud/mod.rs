//! `cloud`: deterministic in-memory model of Alibaba Cloud networking (spec
//! `network-model.md` §0–§3): a small core plus one folder per product.
//!
//! Core: [`world`] (the state every product lives in), [`account`], [`directory`],
//! [`region`], [`ids`], [`time`] (the scenario clock and durations), [`lifecycle`], `timers`
//! (the queue of what falls due when the clock moves),
//! [`params`], [`error`], [`options`], [`spec`] (world files), [`validate`].
//!
//! Products: [`vpc`] (VPC, vSwitch, route tables), [`vpcpeer`] (peering, its archive and
//! billing) and [`cen`] (CEN, transit routers). Each declares its APIs once in its `api.rs` ([`declare::CloudApi`]); the registry
//! [`operation`] lists them, one line each, and generates the typed [`Operation`] with its
//! dispatch.
//!
//! Gateway entry points:
//! * [`world::World::from_spec`] / [`spec::WorldSpec::from_json`] — build a world;
//! * [`operation::Operation::decode`] — typed parameters from an RPC request;
//! * [`world::World::authorization_request`] — pre-auth checks + RAM surface (§9);
//! * [`world::World::execute`] — run the call (validate, then mutate);
//! * [`world::World::advance_clock`] — time-driven transitions (expiry, settling).

#![warn(missing_docs)]

pub mod account;
pub mod alb;
pub mod auth;
pub mod cen;
pub mod clb;
pub mod cms;
pub mod declare;
pub mod directory;
pub mod ecs;
pub mod error;
pub mod execute;
pub mod ids;
pub(crate) mod index;
pub mod lifecycle;
pub mod network_acl;
pub mod nis;
pub mod nlb;
pub mod operation;
pub mod options;
pub mod packet;
pub mod params;
pub mod privatelink;
pub mod reach;
pub mod region;
pub mod response;
pub mod spec;
pub mod time;
pub(crate) mod timers;
pub mod traffic;
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
pub use response::{Body, Response, TypedResponse};
pub use spec::{SpecError, WorldSpec};
pub use time::Timestamp;
pub use world::{CallContext, ServiceEvent, World};
