//! UpdateVpcEndpointZoneConnectionResourceAttribute (§4.3.10): the provider chooses which
//! service resource serves one endpoint zone.
//!
//! * gate: the provider account needs the feature quota `svc_res_mgt_uat`
//!   (`Account::svc_res_mgt_enabled`) → else `OperationDenied.FeatureNotEnabled` (ASSUMED code);
//!   cross-region connections never allow it (`OperationDenied.CrossRegionNotSupported`);
//! * case A (`ResourceAllocateMode`, zone `Disconnected`): `Auto` clears a manual choice,
//!   `Manual` records the row, applied by the next Enable* (allocation honours it);
//! * case B (`ResourceReplaceMode`, CLB services only, zone `Connected`, the current row not
//!   auto-allocated): `Force` switches the zone to the new row at once (traffic on the old row
//!   is cut); `Graceful` (Z8) creates a second service-managed ENI in the zone's vSwitch for
//!   the new row, puts its address in DNS instead of the old one, and leaves the zone `Migrated`
//!   with `ReplacedResourceId`/`ReplacedEniId`: the old ENI still carries traffic to the old
//!   row (both count it in `RelatedEndpointCount`) until the provider calls
//!   DisableVpcEndpointZoneConnection(`ReplacedResource=true`) (Z7), which deletes the old ENI
//!   and returns the zone to `Connected`. Disconnecting the zone or the connection, or removing
//!   the zone, ends the migration with it (old ENI deleted, ASSUMED).

use super::api::{apply_connection, bad, service_arn, ConnectionPlan};
use super::PRODUCT;
use crate::cloud::declare::region_accessors;
use crate::cloud::declare::ParamType::{Bool, Str};
use crate::cloud::declare::{opt, req, AccessLevel::*, ApiDecl, CloudApi};
use crate::cloud::error::CloudError;
use crate::cloud::params::Params;
use crate::cloud::time::Timestamp;
use crate::cloud::world::{CallContext, World};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// UpdateVpcEndpointZoneConnectionResourceAttribute parameters (§4.3.10).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateVpcEndpointZoneConnectionResourceAttribute {
    /// `RegionId`.
    pub region_id: String,
    /// `ServiceId`.
    pub service_id: String,
    /// `EndpointId`.
    pub endpoint_id: String,
    /// `ZoneId`.
    pub zone_id: String,
    /// `ResourceAllocateMode` (`Auto` | `Manual`).
    pub resource_allocate_mode: Option<String>,
    /// `ResourceReplaceMode` (`Graceful` | `Force`).
    pub resource_replace_mode: Option<String>,
    /// `ResourceType`.
    pub resource_type: Option<String>,
    /// `ResourceId`.
    pub resource_id: Option<String>,
    /// `DryRun`.
    pub dry_run: bool,
    /// `ClientToken`.
    pub client_token: Option<String>,
}

impl CloudApi for UpdateVpcEndpointZoneConnectionResourceAttribute {
    const DECL: ApiDecl = PRODUCT
        .api(
            "UpdateVpcEndpointZoneConnectionResourceAttribute",
            "privatelink:UpdateVpcEndpointZoneConnectionResourceAttribute",
            Update,
        )
        .names(&["EndpointId"])
        .resource_type("ACS::PrivateLink::VpcEndpoint")
        .params(&[
            req("RegionId", Str),
            req("ServiceId", Str),
            req("EndpointId", Str),
            req("ZoneId", Str),
            opt("ResourceAllocateMode", Str),
            opt("ResourceReplaceMode", Str),
            opt("ResourceType", Str),
            opt("ResourceId", Str),
            opt("DryRun", Bool),
            opt("ClientToken", Str),
        ])
        .resources(&["acs:privatelink:{region}:{account}:vpcendpointservice/{ServiceId}"]);
    type Plan = ConnectionPlan;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(UpdateVpcEndpointZoneConnectionResourceAttribute {
            region_id: p.req_str("RegionId")?,
            service_id: p.req_str("ServiceId")?,
            endpoint_id: p.req_str("EndpointId")?,
            zone_id: p.req_str("ZoneId")?,
            resource_allocate_mode: p.opt_str("ResourceAllocateMode")?,
            resource_replace_mode: p.opt_str("ResourceReplaceMode")?,
            resource_type: p.opt_str("ResourceType")?,
            resource_id: p.opt_str("ResourceId")?,
            dry_run: p.flag("DryRun")?,
            client_token: p.client_token()?,
        })
    }
    region_accessors!(dry_run, client_token);
    fn authorize(
        &self,
        w: &World,
        ctx: &CallContext,
        _now: Timestamp,
        _keys: &mut BTreeMap<String, String>,
    ) -> Result<Vec<String>, CloudError> {
        w.known_region(&self.region_id)?;
        Ok(vec![service_arn(
            &self.region_id,
            &ctx.caller_account,
            &self.service_id,
        )])
    }
    fn plan(
        &self,
        w: &World,
        ctx: &CallContext,
        _now: Timestamp,
    ) -> Result<Self::Plan, CloudError> {
        if !w
            .account(&ctx.caller_account)
            .is_some_and(|a| a.svc_res_mgt_enabled)
        {
            return Err(bad(
                "OperationDenied.FeatureNotEnabled",
                "Service resource management (svc_res_mgt_uat) is not enabled for this account.",
            ));
        }
        let s = w
            .privatelink
            .services
            .get(&self.service_id)
            .filter(|s| s.region_id == self.region_id && s.owner_uid == ctx.caller_account)
            .ok_or_else(|| {
                bad(
                    "EndpointServiceNotFound",
                    format!("The endpoint service {} is not found.", self.service_id),
                )
            })?;
        let e = w
            .privatelink
            .endpoints
            .get(&self.endpoint_id)
            .filter(|e| e.service_id == s.service_id)
            .ok_or_else(|| {
                bad(
                    "EndpointConnectionNotFound",
                    format!(
                        "The endpoint {} is not connected to the service.",
                        self.endpoint_id
                    ),
                )
            })?;
        let Some(zone) = e.zones.iter().find(|z| z.zone_id == self.zone_id) else {
            return Err(bad(
                "EndpointZoneNotFound",
                format!("The endpoint has no zone {}.", self.zone_id),
            ));
        };
        if e.region_id != s.region_id {
            return Err(bad(
                "OperationDenied.CrossRegionNotSupported",
                "Cross-region connections allocate resources automatically only.",
            ));
        }
        // The row `ResourceId` in this zone (`EndpointServiceResourceNotFound`, `Mismatch.ZoneId`).
        let row = |what: &str| -> Result<String, CloudError> {
            let id = self
                .resource_id
                .as_deref()
                .filter(|_| self.resource_type.is_some())
                .ok_or_else(|| {
                    bad(
                        "MissingParam.ResourceId",
                        "ResourceId and ResourceType are required.",
                    )
                })?;
            let rows: Vec<_> = s.resources.iter().filter(|r| r.resource_id == id).collect();
            if rows.is_empty() {
                return Err(bad(
                    "EndpointServiceResourceNotFound",
                    format!("{id} is not attached to the service."),
                ));
            }
            rows.iter()
                .find(|r| r.zone_id == self.zone_id)
                .map(|r| r.key())
                .ok_or_else(|| {
                    bad(
                        "Mismatch.ZoneId",
                        format!("{id} has no row in zone {} ({what}).", self.zone_id),
                    )
                })
        };
        let mut new = zone.clone();
        match (&self.resource_allocate_mode, &self.resource_replace_mode) {
            (_, Some(mode)) => {
                if mode != "Graceful" && mode != "Force" {
                    return Err(bad(
                        "IllegalParam.ResourceReplaceMode",
                        format!("ResourceReplaceMode {mode} is not Graceful or Force."),
                    ));
                }
                if s.resource_type != "slb" {
                    return Err(bad(
                        "EndpointServiceResourceTypeNotSupport",
                        "Only CLB services can replace the resource of a zone.",
                    ));
                }
                if zone.status != "Connected" {
                    return Err(bad(
                        "ZoneOperationDenied",
                        format!("The zone connection is {}.", zone.status),
                    ));
                }
                let current = zone
                    .resource_id
                    .as_deref()
                    .and_then(|k| s.resources.iter().find(|r| r.has_key(k)));
                if current.is_some_and(|r| r.auto_allocated) {
                    return Err(bad(
                        "OperationDenied.CurrentResourceAutoAllocated",
                        "The current resource is auto-allocated: turn AutoAllocatedEnabled off first.",
                    ));
                }
                let key = row("replacement")?;
                // ASSUMED code: replacing a row by itself.
                if zone.resource_id.as_deref() == Some(key.as_str()) {
                    return Err(bad(
                        "IllegalParam.ResourceId",
                        format!("{key} already serves zone {}.", self.zone_id),
                    ));
                }
                if mode == "Graceful" {
                    // Z8: a new ENI in the zone's vSwitch, connected to the new row; its address
                    // replaces the old one in DNS; the old ENI keeps serving the old row until
                    // DisableVpcEndpointZoneConnection(ReplacedResource=true) (Z7).
                    let vsw = w.vswitch(&zone.vswitch_id).ok_or_else(|| {
                        bad(
                            "VSwitchNotFound",
                            format!("The vSwitch {} is not found.", zone.vswitch_id),
                        )
                    })?;
                    let ip = *w
                        .ecs()
                        .addresses
                        .lowest_free(vsw, 1)
                        .first()
                        .ok_or_else(|| {
                            bad(
                                "ResourceNotEnough.VSwitchIp",
                                format!("The vSwitch {} has no free address.", vsw.vswitch_id),
                            )
                        })?;
                    new.status = "Migrated".into();
                    new.replaced_resource_id = zone.resource_id.clone();
                    new.replaced_eni_id = Some(zone.eni_id.clone());
                    new.replaced_eni_ip = Some(zone.eni_ip);
                    new.eni_id = String::new();
                    new.eni_ip = ip;
                } else {
                    // Force: the zone switches at once; traffic on the old row is cut.
                    new.replaced_resource_id = None;
                }
                new.resource_id = Some(key.clone());
                new.manual_resource_id = Some(key);
            }
            (Some(mode), None) => {
                if mode != "Auto" && mode != "Manual" {
                    return Err(bad(
                        "IllegalParam.ResourceAllocateMode",
                        format!("ResourceAllocateMode {mode} is not Auto or Manual."),
                    ));
                }
                if zone.status != "Disconnected" {
                    return Err(bad(
                        "IllegalParam.ResourceAllocateMode",
                        "The allocation mode can only be changed while the zone is disconnected.",
                    ));
                }
                new.manual_resource_id = if mode == "Manual" {
                    Some(row("manual allocation")?)
                } else {
                    None
                };
            }
            (None, None) => {
                return Err(bad(
                    "MissingParam.ResourceAllocateMode",
                    "ResourceAllocateMode or ResourceReplaceMode is required.",
                ))
            }
        }
        if self.dry_run {
            return Err(CloudError::dry_run());
        }
        Ok(ConnectionPlan {
            endpoint_id: e.endpoint_id.clone(),
            connection_status: e.connection_status.clone(),
            bandwidth: e.bandwidth,
            zones: e
                .zones
                .iter()
                .map(|z| {
                    if z.zone_id == new.zone_id {
                        new.clone()
                    } else {
                        z.clone()
                    }
                })
                .collect(),
        })
    }
    fn apply(w: &mut World, _now: Timestamp, plan: Self::Plan) -> Value {
        apply_connection(w, plan)
    }
}

#[cfg(test)]
#[path = "migration_tests.rs"]
mod tests;
