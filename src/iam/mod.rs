//! RAM, Resource Directory and STS as services of the simulated world: users, groups, roles,
//! policies and attachments, control policies, resource groups and role sessions. Their APIs
//! go through the same gateway as the network's, so a principal allowed to attach policies
//! can escalate — exactly what governance checks must be able to find.
//!
//! The identity products live here rather than under `cloud/` because they share one store
//! ([`Iam`]): [`ram`], [`resourcemanager`] and [`sts`] hold each product's declarations
//! (parameters, RAM action, ARN templates, response shape) and, below them, decode, authorize
//! (concrete ARNs) and apply them; [`ops`] holds the shared operation enum and routes each
//! call to its product file.

pub mod caller;
pub mod model;
pub mod ops;
pub mod ram;
pub mod resourcemanager;
pub mod secrets;
pub mod spec;
pub mod store;
pub mod sts;
pub mod system_policies;

pub use caller::Caller;
pub use model::Iam;
pub use ops::{IamAuth, IamOperation, IamProduct};
