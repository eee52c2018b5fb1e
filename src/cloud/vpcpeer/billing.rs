//! Inter-region peering traffic records (§3.7): the whole-GB records of
//! `World::record_traffic` and the micro-CNY amount `World::fee` answers. The fees themselves
//! are computed by the CDT bill (`cloud::traffic::bill`), which prices these records together
//! with the flows' hourly buckets.

use crate::cloud::error::CloudError;
use crate::cloud::time::Timestamp;
use crate::cloud::vpcpeer::Peering;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Outbound traffic of one VPC over one peering in one billing hour.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrafficRecord {
    /// Peering.
    pub peering_id: String,
    /// Sending VPC.
    pub from_vpc_id: String,
    /// Account charged: owner of the sending VPC (§3.7 rule 2).
    pub payer_uid: String,
    /// Whole gigabytes sent.
    pub gigabytes: u64,
    /// Start of the billing hour.
    pub hour_start: Timestamp,
}

/// An amount in CNY with micro-CNY precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize, Deserialize)]
pub struct Cny(pub u64);

impl Cny {
    /// Whole-micro-CNY value.
    pub fn micro(self) -> u64 {
        self.0
    }

    /// Value in CNY as a float (display only).
    pub fn as_f64(self) -> f64 {
        self.0 as f64 / 1_000_000.0
    }
}

impl fmt::Display for Cny {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{:02}",
            self.0 / 1_000_000,
            (self.0 % 1_000_000) / 10_000
        )
    }
}

/// The record of `gigabytes` sent by `from_vpc_id` (owned by `payer_uid`) over `peering`
/// during the hour containing `hour_start` (`billing.record_traffic`, §3.7).
pub fn traffic_record(
    peering: &Peering,
    from_vpc_id: &str,
    payer_uid: Option<&str>,
    gigabytes: u64,
    hour_start: Timestamp,
) -> Result<TrafficRecord, CloudError> {
    if !peering.involves_vpc(from_vpc_id) {
        return Err(CloudError::illegal_param("VpcId"));
    }
    let payer = payer_uid.ok_or_else(|| CloudError::illegal_param("VpcId"))?;
    Ok(TrafficRecord {
        peering_id: peering.instance_id.clone(),
        from_vpc_id: from_vpc_id.to_string(),
        payer_uid: payer.to_string(),
        gigabytes,
        hour_start: hour_start.hour_floor(),
    })
}
