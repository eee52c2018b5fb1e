pub mod api;
pub mod authz;
pub mod cli;
pub mod cloud;
pub mod iam;
pub mod policy;
