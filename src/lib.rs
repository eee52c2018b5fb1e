pub mod authz;
pub mod policy;
