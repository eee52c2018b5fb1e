//! Deleted peerings (§3.2 T9): retained internally, looked up by id, never changed again.
//!
//! Why not a `BTreeMap` like every other collection: the archive only grows (one record per
//! deleted connection, forever), and ids are random-looking, so each insert walked a deep
//! tree comparing against keys scattered over the heap: a cache miss per level. A hash map
//! inserts with one probe. Order is still deterministic wherever it is observable: iteration
//! and serialization are sorted by id, exactly as the `BTreeMap` was.

use crate::cloud::vpcpeer::Peering;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::HashMap;

/// The archive of deleted peerings, keyed by instance id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PeeringArchive {
    /// Boxed: the records are large and never move once archived.
    records: HashMap<String, Box<Peering>>,
}

impl PeeringArchive {
    /// Archives `peering` under `id` (replacing a record with the same id, which ids never
    /// repeat in practice).
    pub fn insert(&mut self, id: String, peering: Peering) {
        self.records.insert(id, Box::new(peering));
    }

    /// The record of `id`.
    pub fn get(&self, id: &str) -> Option<&Peering> {
        self.records.get(id).map(|p| &**p)
    }

    /// Number of archived records.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// True when nothing is archived.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The records, sorted by id.
    pub fn sorted(&self) -> impl Iterator<Item = &Peering> {
        self.sorted_entries().into_iter().map(|(_, p)| p)
    }

    /// `(id, record)` pairs sorted by id: the one order anything outside sees.
    fn sorted_entries(&self) -> Vec<(&String, &Peering)> {
        let mut all: Vec<(&String, &Peering)> =
            self.records.iter().map(|(k, v)| (k, &**v)).collect();
        all.sort_unstable_by(|a, b| a.0.cmp(b.0));
        all
    }
}

impl Serialize for PeeringArchive {
    /// As a map sorted by id: the same bytes as the `BTreeMap` it replaces, so state files and
    /// state hashes are deterministic and unchanged.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.sorted_entries())
    }
}

impl<'de> Deserialize<'de> for PeeringArchive {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let records = HashMap::<String, Box<Peering>>::deserialize(deserializer)?;
        Ok(PeeringArchive { records })
    }
}
