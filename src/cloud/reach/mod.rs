//! Reachability analysis (`network-model.md` §8): will a packet get from a source to a target,
//! and back, and if not, which check fails and what single API call would fix it.
//!
//! Like Alibaba's Reachability Analyzer (NIS), it sends no packet: it evaluates routes,
//! peerings, security groups and network ACLs of the world along the path. It is a pure
//! function of the world; `ramsim reach`, the NIS APIs, scenario steps and invariants all call
//! [`analyze`] (or [`Analyzer`] for many probes on one world).
//!
//! One module per job:
//! * [`probe`] — the question and the resolution of its ends (§8.2, §8.3.1–§8.3.2);
//! * [`topology`] — the per-analysis index: vSwitches per VPC, entries per table, LPM;
//! * [`trace`] — the walk from vSwitch to vSwitch (§8.3.3), for the packet and its reply;
//! * [`segment`] — what each next-hop kind does (local, peering, transit routers, PrivateLink,
//!   load balancers with the ALB's view and hidden back-to-origin route);
//! * [`deliver`] — the owner of the destination address and security groups (§8.3.4);
//! * [`reverse`] — the reply path (§8.3.8);
//! * [`finding`] — codes, severities, findings (§8.6);
//! * [`hop`] — the hops of a path;
//! * [`analyze`](mod@analyze) — the verdict;
//! * [`document`] — the `NetworkReachableAnalysisResult` JSON (§8.5);
//! * [`fix`] — the smallest change that fixes the first failing check, as an API call;
//! * [`render`] — the human-readable report.

pub mod analyze;
pub mod deliver;
pub mod document;
pub mod finding;
pub mod fix;
pub mod hop;
pub mod matrix;
pub mod picture;
pub mod probe;
pub mod render;
pub mod reverse;
pub mod segment;
pub mod topology;
pub mod trace;

#[cfg(test)]
pub(crate) mod fixture;
#[cfg(test)]
mod props;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tr_tests;
#[cfg(test)]
mod walker;

pub use analyze::{analyze, Analyzer, Candidate, Verdict};
pub use finding::{Code, Finding, Leg, Severity};
pub use fix::Fix;
pub use hop::{Hop, NodeType};
pub use matrix::{matrix, Cell, Matrix};
pub use probe::{Probe, ProbeError, Source, Target};
