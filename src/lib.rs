//! ramsim: Alibaba Cloud RAM policy engine, network-model simulator and policy-as-code tools.
//!
//! Layers, dependencies pointing down only: [`cli`] → workflows ([`scenario`], [`lint`], …) →
//! [`api`] (the gateway) → [`cloud`] / [`iam`] (the world) → [`authz`] (decisions) →
//! [`policy`] (the language); [`store`] (the snapshot codec and lazily decoded maps) sits below
//! the world and knows nothing of it.

// Bad input must never panic: library code may not unwrap, expect or panic (tests may).
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]
pub mod alloc;
pub mod analysis;
pub mod api;
pub mod authz;
pub mod check;
pub mod cli;
pub mod cloud;
pub mod diff;
pub mod engine;
pub mod iam;
pub mod input;
pub mod lint;
pub mod policy;
pub mod report;
pub mod scenario;
pub mod serve;
pub mod simulate;
pub mod store;
pub mod suggest;
pub(crate) mod swar;
