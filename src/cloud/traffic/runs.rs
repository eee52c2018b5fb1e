//! The bill's view of the peering buckets (issue 17, "Performance"): per peering and sending
//! VPC, one run — the payer and the delivered bytes of each hour, in hour order, in one
//! contiguous vector.
//!
//! The buckets themselves ([`super::TrafficState::buckets`]) are the authority: a B-tree of
//! 1.44 million entries for a month of 1,000 peerings, each repeating its key's strings, which
//! a bill had to walk entry by entry. The runs hold 16 bytes per hour, so a bill reads them
//! sequentially and skips the hours a `--from`/`--to` window leaves out by binary search.
//!
//! Not state: built from the buckets on first use, kept up to date by
//! [`super::World::send_flow`] once built ([`LazyRuns::note`]), skipped by serde and ignored by
//! `==` (like the world's other lazy indexes). `World::check_traffic_index` compares it with
//! a fresh build.

use super::{Bucket, BucketKey};
use crate::cloud::time::Timestamp;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The traffic of one sending VPC over one peering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Run {
    /// The account charged (the payer of the run's first bucket; a VPC's owner never changes).
    pub payer: String,
    /// (hour, delivered bytes), sorted by hour, one entry per bucket.
    pub hours: Vec<(Timestamp, u64)>,
}

impl Run {
    /// The hours starting in `[from, to)` (either bound open; `from` is rounded down to its
    /// hour, as [`super::bill::BillQuery`] reads it).
    pub fn window(&self, from: Option<Timestamp>, to: Option<Timestamp>) -> &[(Timestamp, u64)] {
        let lo = from.map_or(0, |f| {
            let f = f.hour_floor();
            self.hours.partition_point(|(h, _)| *h < f)
        });
        let hi = to.map_or(self.hours.len(), |t| {
            self.hours.partition_point(|(h, _)| *h < t)
        });
        self.hours.get(lo..hi.max(lo)).unwrap_or(&[])
    }
}

/// Runs by (peering, sending VPC), in the buckets' order.
pub(crate) type Runs = BTreeMap<(String, String), Run>;

/// Builds the runs from the buckets (sorted by peering, VPC and hour: one pass).
pub(crate) fn build(buckets: &BTreeMap<BucketKey, Bucket>) -> Runs {
    let mut runs = Runs::new();
    let mut current: Option<((String, String), Run)> = None;
    for ((pid, vid, hour), b) in buckets {
        match &mut current {
            Some(((p, v), run)) if p == pid && v == vid => {
                run.hours.push((*hour, b.delivered_bytes));
            }
            _ => {
                if let Some((k, run)) = current.take() {
                    runs.insert(k, run);
                }
                current = Some((
                    (pid.clone(), vid.clone()),
                    Run {
                        payer: b.payer_uid.clone(),
                        hours: vec![(*hour, b.delivered_bytes)],
                    },
                ));
            }
        }
    }
    if let Some((k, run)) = current {
        runs.insert(k, run);
    }
    runs
}

/// [`Runs`] built on first use.
#[derive(Debug, Clone, Default)]
pub(crate) struct LazyRuns(OnceLock<Runs>);

impl PartialEq for LazyRuns {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for LazyRuns {}

impl LazyRuns {
    /// The runs of `buckets`, built now if they were not.
    pub fn get(&self, buckets: &BTreeMap<BucketKey, Bucket>) -> &Runs {
        self.0.get_or_init(|| build(buckets))
    }

    /// The runs, if built.
    pub fn built(&self) -> Option<&Runs> {
        self.0.get()
    }

    /// Bucket `b` now holds `b.delivered_bytes` (a new bucket, or more delivered in an old
    /// one). Nothing to do while the runs are not built: the next read builds them from the
    /// buckets, which already hold the change.
    pub fn note(&mut self, b: &Bucket) {
        let Some(runs) = self.0.get_mut() else {
            return;
        };
        let key = (b.peering_id.clone(), b.from_vpc_id.clone());
        let run = runs.entry(key).or_insert_with(|| Run {
            payer: b.payer_uid.clone(),
            hours: Vec::new(),
        });
        // Flows mostly move forward in time: look at the end first.
        match run.hours.last_mut() {
            Some((h, d)) if *h == b.hour => *d = b.delivered_bytes,
            Some((h, _)) if *h > b.hour => {
                match run.hours.binary_search_by(|(h, _)| h.cmp(&b.hour)) {
                    Ok(i) => run.hours[i].1 = b.delivered_bytes,
                    Err(i) => run.hours.insert(i, (b.hour, b.delivered_bytes)),
                }
            }
            _ => run.hours.push((b.hour, b.delivered_bytes)),
        }
    }

    /// Forgets the runs (the next read rebuilds them).
    pub fn invalidate(&mut self) {
        self.0 = OnceLock::new();
    }
}
