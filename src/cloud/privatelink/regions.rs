//! PrivateLink DescribeRegions and DescribeZones (2020-04-15): where endpoint services and
//! endpoints can be created. Regions are those of the region table (`cloud::region`, §1.3)
//! with PrivateLink; zones are the world's zones of the region (§1.4). `LocalName` values are
//! the table's English display names (Alibaba localizes them with `AcceptLanguage`; ASSUMED
//! English here) and `Zone X` for a zone.

use super::PRODUCT;
use crate::cloud::declare::region_accessors;
use crate::cloud::declare::ParamType::Str;
use crate::cloud::declare::{opt, req, AccessLevel::*, ApiDecl, CloudApi};
use crate::cloud::error::CloudError;
use crate::cloud::params::Params;
use crate::cloud::region::REGIONS;
use crate::cloud::time::Timestamp;
use crate::cloud::world::{CallContext, World};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// PrivateLink DescribeRegions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrivatelinkDescribeRegions {
    /// `RegionId` (the region the request is sent to).
    pub region_id: String,
    /// `ServiceType` (`Interface`; stored only).
    pub service_type: Option<String>,
}

impl CloudApi for PrivatelinkDescribeRegions {
    const DECL: ApiDecl = PRODUCT
        .api("DescribeRegions", "privatelink:DescribeRegions", List)
        .params(&[req("RegionId", Str), opt("ServiceType", Str)])
        .response(&["Regions"]);
    type Plan = Value;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(PrivatelinkDescribeRegions {
            region_id: p.req_str("RegionId")?,
            service_type: p.opt_str("ServiceType")?,
        })
    }
    region_accessors!();
    fn plan(&self, _w: &World, _ctx: &CallContext, _now: Timestamp) -> Result<Value, CloudError> {
        let regions: Vec<Value> = REGIONS
            .iter()
            .filter(|r| r.privatelink)
            .map(|r| {
                json!({"RegionId": r.id, "LocalName": r.name,
                       "RegionEndpoint": format!("privatelink.{}.aliyuncs.com", r.id)})
            })
            .collect();
        Ok(json!({"Regions": {"Region": regions}}))
    }
    fn apply(_w: &mut World, _now: Timestamp, plan: Value) -> Value {
        plan
    }
}

/// PrivateLink DescribeZones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrivatelinkDescribeZones {
    /// `RegionId`.
    pub region_id: String,
}

impl CloudApi for PrivatelinkDescribeZones {
    const DECL: ApiDecl = PRODUCT
        .api("DescribeZones", "privatelink:DescribeZones", List)
        .params(&[req("RegionId", Str)])
        .response(&["Zones"]);
    type Plan = Value;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(PrivatelinkDescribeZones {
            region_id: p.req_str("RegionId")?,
        })
    }
    region_accessors!();
    fn plan(&self, w: &World, _ctx: &CallContext, _now: Timestamp) -> Result<Value, CloudError> {
        if !w.region(&self.region_id).is_some_and(|r| r.privatelink) {
            return Err(CloudError::bad(
                "UnsupportedRegion",
                format!("PrivateLink is not available in {}.", self.region_id),
            ));
        }
        let zones: Vec<Value> = w
            .zones_of(&self.region_id)
            .into_iter()
            .map(|z| {
                let letter = z.rsplit('-').next().unwrap_or("").to_ascii_uppercase();
                json!({"ZoneId": z, "LocalName": format!("Zone {letter}")})
            })
            .collect();
        Ok(json!({"Zones": {"Zone": zones}}))
    }
    fn apply(_w: &mut World, _now: Timestamp, plan: Value) -> Value {
        plan
    }
}
