//! The RAM policy language: reading, validating and printing policy documents (spec §1–§5).
//!
//! This layer knows documents, not decisions: evaluation lives in [`crate::authz`].

pub mod ast;
pub mod diagnostic;
pub mod file;
pub mod json;
pub mod pattern;
pub mod print;
pub mod read;
pub mod span;
pub mod values;

pub use ast::{Effect, Policy, PolicyKind, Statement};
pub use diagnostic::{Diagnostic, Rule, Severity};
pub use read::{read_policy, ReadOptions, ReadResult};
