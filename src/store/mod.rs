//! Persistence primitives below the world model: the snapshot codec ([`codec`]), maps read in
//! one bulk build ([`bulk_map`]) and maps whose values are decoded only when used
//! ([`LazyMap`]), and the inline string [`Key`] they are keyed by. Nothing here knows what a
//! VPC or a policy is.

pub mod bulk_map;
pub mod codec;
mod key;
mod lazy_map;

pub use key::{Key, KeyStr};
pub use lazy_map::LazyMap;
