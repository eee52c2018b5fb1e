//! The gateway: the one door into the simulated world. Every request is decoded, authorized,
//! applied and logged (see [`gateway::Gateway::call`]).

pub mod audit;
pub mod audit_archive;
pub mod audit_cap;
pub mod audit_json;
pub mod catalog;
pub mod decision;
pub mod gateway;
pub mod journal;
pub mod param_map;
pub mod request;
pub mod snapshot;
pub mod state;
pub mod trail;
mod world_file;

pub use gateway::{CallResult, Gateway};
pub use request::{parse_cli_args, parse_cli_line, parse_json_request, ApiRequest, Envelope};
pub use state::SimState;
