//! Authorization: deciding requests against RAM policies (spec §4–§7).
//!
//! Policies are compiled into [`PolicySet`]s (one per evaluation stage) held in a
//! [`PolicyStore`]; [`decide`] gives the fast answer and [`explain`] the same answer with a
//! full trace, `AccessDeniedDetail` and `DecodedDiagnosticMessage`.

pub mod action_index;
pub mod condition;
pub mod context;
pub mod decide;
pub mod explain;
pub mod fast;
pub mod options;
pub mod policy_set;
pub mod principal;
pub mod store_builder;

pub use context::{Refill, RequestContext};
pub use decide::{decide, ActionResource, ControlNode, Decision, PolicyStore, PolicyType, Request};
pub use explain::{explain, Explanation};
pub use options::EvalOptions;
pub use policy_set::{Outcome, PolicySet, PolicySource};
pub use principal::{ram_arn, Principal, PrincipalKind};
