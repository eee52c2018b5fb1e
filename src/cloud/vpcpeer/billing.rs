//! Inter-region peering traffic billing (§3.7).
//!
//! Fees are computed in micro-CNY integers so the worked example gives exactly
//! 96 and 48 CNY (BILL-1). This module knows traffic records, prices and peerings, not the
//! world: `World::record_traffic` and `World::fee` (in `vpcpeer::ops`) hand it what it needs.

use crate::cloud::error::CloudError;
use crate::cloud::options::PriceEntry;
use crate::cloud::time::{Timestamp, HOUR};
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

/// Fee charged to `account_uid` for the billing hour containing `hour_start`
/// (`billing.fee`, §3.7): intra-region traffic is free; inter-region traffic
/// is priced by region pair and the highest link type in effect during the hour.
pub fn fee<'p>(
    traffic: &[TrafficRecord],
    peering: impl Fn(&str) -> Option<&'p Peering>,
    prices: &[PriceEntry],
    account_uid: &str,
    hour_start: Timestamp,
) -> Result<Cny, CloudError> {
    let start = hour_start.hour_floor();
    let end = start.plus(HOUR);
    let mut total: u64 = 0;
    for r in traffic
        .iter()
        .filter(|r| r.payer_uid == account_uid && r.hour_start == start)
    {
        let p = peering(&r.peering_id).ok_or_else(|| CloudError::peer_not_found(&r.peering_id))?;
        if !p.is_inter_region() {
            continue; // §3.7 rule 1
        }
        let lt = p
            .max_link_type_during(start, end)
            .unwrap_or_else(|| p.link_type.clone());
        let price = prices
            .iter()
            .find(|e| {
                e.link_type == lt
                    && ((e.region_a == p.region_id && e.region_b == p.accepting_region_id)
                        || (e.region_b == p.region_id && e.region_a == p.accepting_region_id))
            })
            .ok_or_else(|| {
                CloudError::bad(
                    "Billing.PriceNotConfigured",
                    format!(
                        "No price for {} <-> {} ({lt}).",
                        p.region_id, p.accepting_region_id
                    ),
                )
            })?;
        total = total.saturating_add(price.micro_cny_per_gb.saturating_mul(r.gigabytes));
    }
    Ok(Cny(total))
}
