//! PrivateLink (API version 2020-04-15, RAM code `privatelink`): endpoint services and
//! interface endpoints (spec `network-model.md` §4).
//!
//! * this file — the resource model of §4.1, the allocation rule of §4.5, derived names
//!   (§1.5) and the lookups other products need;
//! * [`api`] — the APIs of §4.3, each declared once with its checks and effects.
//!
//! Statuses settle at once: `Creating`/`Connecting`/`Disconnecting` are not observable
//! (ASSUMED, as for NLB); the state machine of §4.2 is applied in its settled form (Z1–Z4,
//! Z9–Z11). Endpoint zones hold service-managed ENIs (`ecs.enis`, `service_managed = true`,
//! `service_owner = privatelink:<ep-id>:<zone>`) with addresses of the consumer vSwitch.

pub mod api;
pub mod regions;
pub mod zone_resource;

#[cfg(test)]
mod alb_tests;
#[cfg(test)]
pub(crate) mod tests;

use crate::cloud::declare::{Denial, Product};
use crate::cloud::index::LazyGroups;
use crate::cloud::time::Timestamp;
use crate::cloud::world::World;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

/// The PrivateLink product: 403 `Forbidden.NoPermission` on a RAM denial (§9.5, ASSUMED).
pub const PRODUCT: Product = Product {
    name: "Privatelink",
    version: "2020-04-15",
    ram_code: "privatelink",
    endpoint: "privatelink.aliyuncs.com",
    regional_endpoint: Some("privatelink"),
    denial: Denial {
        status: 403,
        code: "Forbidden.NoPermission",
        message: "You are not authorized to do this operation.",
    },
};

/// One attached load balancer row of a service (§4.1 ServiceResource).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceResource {
    /// `ResourceId`.
    pub resource_id: String,
    /// `ResourceType` (`slb` | `alb` | `nlb`).
    pub resource_type: String,
    /// `ZoneId`.
    pub zone_id: String,
    /// `VpcId` of the load balancer.
    pub vpc_id: String,
    /// `VSwitchId` of the load balancer in that zone.
    pub vswitch_id: String,
    /// `Ip`: the load balancer's address in that zone.
    pub ip: Ipv4Addr,
    /// `AutoAllocatedEnabled` (default true, ASSUMED).
    pub auto_allocated: bool,
    /// `RelatedEndpointCount`: endpoint zones allocated to this row.
    pub related_endpoint_count: u32,
}

impl ServiceResource {
    /// `ResourceId|ZoneId`: the row's identity.
    pub fn key(&self) -> String {
        format!("{}|{}", self.resource_id, self.zone_id)
    }

    /// True when `key` is this row's [`ServiceResource::key`] (compared without building it).
    pub fn has_key(&self, key: &str) -> bool {
        key.strip_prefix(self.resource_id.as_str())
            .and_then(|rest| rest.strip_prefix('|'))
            .is_some_and(|zone| zone == self.zone_id)
    }
}

/// An endpoint service (§4.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointService {
    /// `epsrv-…`.
    pub service_id: String,
    /// Home region.
    pub region_id: String,
    /// Provider account.
    pub owner_uid: String,
    /// `ServiceResourceType`.
    pub resource_type: String,
    /// `ServiceDescription`.
    pub description: String,
    /// `AutoAcceptEnabled`.
    pub auto_accept: bool,
    /// `ZoneAffinityEnabled`.
    pub zone_affinity: bool,
    /// `Payer`.
    pub payer: String,
    /// `AddressIpVersion`.
    pub address_ip_version: String,
    /// `ConnectBandwidth` (CLB services only).
    pub connect_bandwidth: Option<u32>,
    /// `SupportedRegionSet` (always holds the home region).
    pub supported_regions: BTreeSet<String>,
    /// `ServiceStatus`.
    pub status: String,
    /// `ServiceBusinessStatus`.
    pub business_status: String,
    /// Whitelist: account uids and/or `*` (the owner is added at creation).
    pub users: BTreeSet<String>,
    /// Attached resources.
    pub resources: Vec<ServiceResource>,
    /// Resource group.
    pub resource_group_id: String,
    /// Creation time.
    pub create_time: Timestamp,
}

impl EndpointService {
    /// `ServiceName`: `com.aliyuncs.privatelink.<region>.<epsrv-id>` (§1.5).
    pub fn name(&self) -> String {
        format!(
            "com.aliyuncs.privatelink.{}.{}",
            self.region_id, self.service_id
        )
    }

    /// `ServiceDomain`: `<epsrv-id>.<region>.privatelink.aliyuncs.com` (§1.5).
    pub fn domain(&self) -> String {
        format!(
            "{}.{}.privatelink.aliyuncs.com",
            self.service_id, self.region_id
        )
    }

    /// The zones of its resources, sorted.
    pub fn zones(&self) -> BTreeSet<&str> {
        self.resources.iter().map(|r| r.zone_id.as_str()).collect()
    }

    /// True when account `uid` may discover and connect (§4.3.2).
    pub fn allows(&self, uid: &str) -> bool {
        self.users.contains(uid) || self.users.contains("*")
    }
}

/// One zone of an endpoint (§4.1 EndpointZone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointZone {
    /// `ZoneId`.
    pub zone_id: String,
    /// `VSwitchId`.
    pub vswitch_id: String,
    /// The service-managed ENI.
    pub eni_id: String,
    /// Its address.
    pub eni_ip: Ipv4Addr,
    /// `ZoneStatus`.
    pub status: String,
    /// Allocated service resource (`None` when not connected).
    pub resource_id: Option<String>,
    /// `AllocationMode=Manual`: the row key chosen by the provider (§4.3.10 case A), applied
    /// on the next Enable*.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manual_resource_id: Option<String>,
    /// `ReplacedResourceId`: the row a graceful replacement moved away from (§4.3.10 case B).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced_resource_id: Option<String>,
    /// `ReplacedEniId`: during a graceful replacement (zone `Migrated`), the old ENI, which
    /// still carries traffic to the replaced row but is out of DNS; dropped by
    /// DisableVpcEndpointZoneConnection(`ReplacedResource=true`) (Z7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced_eni_id: Option<String>,
    /// The old ENI's address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced_eni_ip: Option<Ipv4Addr>,
}

impl EndpointZone {
    /// The row key (`ResourceId|ZoneId`) that traffic arriving on ENI `eni_id` of this zone
    /// goes to: the replaced row on the old ENI of a migration, else the allocated row.
    pub fn row_for_eni(&self, eni_id: &str) -> Option<&str> {
        if self.replaced_eni_id.as_deref() == Some(eni_id) {
            self.replaced_resource_id.as_deref()
        } else {
            self.resource_id.as_deref()
        }
    }
}

/// An interface endpoint (§4.1 Endpoint).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoint {
    /// `ep-…`.
    pub endpoint_id: String,
    /// Consumer region.
    pub region_id: String,
    /// Consumer account.
    pub owner_uid: String,
    /// Consumer VPC.
    pub vpc_id: String,
    /// `EndpointName`.
    pub name: String,
    /// `EndpointDescription`.
    pub description: String,
    /// `ServiceId`.
    pub service_id: String,
    /// `ServiceName`.
    pub service_name: String,
    /// `ServiceRegionId`.
    pub service_region_id: String,
    /// `CrossRegionBandwidth` (cross-region endpoints).
    pub cross_region_bandwidth: Option<u32>,
    /// `SecurityGroupIds`.
    pub security_group_ids: Vec<String>,
    /// `ZoneAffinityEnabled`.
    pub zone_affinity: bool,
    /// `EndpointStatus`.
    pub status: String,
    /// `ConnectionStatus`.
    pub connection_status: String,
    /// `Bandwidth` (connection limit; `None`: no limit).
    pub bandwidth: Option<u32>,
    /// `Payer` (copied from the service).
    pub payer: String,
    /// Zones, in creation order.
    pub zones: Vec<EndpointZone>,
    /// Resource group.
    pub resource_group_id: String,
    /// Creation time.
    pub create_time: Timestamp,
}

impl Endpoint {
    /// `EndpointDomain`: `<ep-id>.<epsrv-id>.<region>.privatelink.aliyuncs.com` (§1.5).
    pub fn domain(&self) -> String {
        format!(
            "{}.{}.{}.privatelink.aliyuncs.com",
            self.endpoint_id, self.service_id, self.region_id
        )
    }

    /// `ZoneDomain` of `zone`: `<ep-id>-<region>.<epsrv-id>.<zone>.privatelink.aliyuncs.com`.
    pub fn zone_domain(&self, zone: &str) -> String {
        format!(
            "{}-{}.{}.{zone}.privatelink.aliyuncs.com",
            self.endpoint_id, self.region_id, self.service_id
        )
    }

    /// `ResourceOwner`: consumer and provider are the same account.
    pub fn resource_owner(&self, w: &World) -> bool {
        w.privatelink
            .services
            .get(&self.service_id)
            .is_some_and(|s| s.owner_uid == self.owner_uid)
    }
}

/// All PrivateLink state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrivateLinkState {
    /// Endpoint services by id.
    pub services: BTreeMap<String, EndpointService>,
    /// Endpoints by id.
    pub endpoints: BTreeMap<String, Endpoint>,
    /// Derived: endpoint ids per consumer VPC, built on first use and kept up to date by
    /// [`PrivateLinkState::insert_endpoint`] / [`PrivateLinkState::remove_endpoint`] (so that
    /// CreateVpcEndpoint's per-VPC checks cost the VPC's endpoints, not the world's).
    #[serde(skip)]
    by_vpc: LazyGroups,
}

impl PrivateLinkState {
    /// True when there is nothing in it (the world then leaves it out of its serialized form).
    pub fn is_empty(&self) -> bool {
        self.services.is_empty() && self.endpoints.is_empty()
    }

    /// The endpoints in consumer VPC `vpc_id`, in id order.
    pub fn endpoints_in_vpc<'a>(&'a self, vpc_id: &str) -> impl Iterator<Item = &'a Endpoint> + 'a {
        let groups = self.by_vpc.get(|| {
            self.endpoints
                .values()
                .map(|e| (e.vpc_id.as_str(), e.endpoint_id.as_str()))
        });
        LazyGroups::group(groups, vpc_id).filter_map(|id| self.endpoints.get(id))
    }

    /// Inserts (or replaces) an endpoint, keeping the per-VPC index up to date.
    pub fn insert_endpoint(&mut self, e: Endpoint) {
        if let Some(old) = self.endpoints.get(&e.endpoint_id) {
            self.by_vpc.forget(&old.vpc_id, &e.endpoint_id);
        }
        self.by_vpc.note(&e.vpc_id, &e.endpoint_id);
        self.endpoints.insert(e.endpoint_id.clone(), e);
    }

    /// Removes an endpoint, keeping the per-VPC index up to date.
    pub fn remove_endpoint(&mut self, id: &str) -> Option<Endpoint> {
        let e = self.endpoints.remove(id)?;
        self.by_vpc.forget(&e.vpc_id, id);
        Some(e)
    }

    /// The service named by `service_id` or `service_name`
    /// (`com.aliyuncs.privatelink.<region>.<epsrv-id>`) in `region`: a map lookup, not a scan.
    pub fn service_by_id_or_name(
        &self,
        region: &str,
        service_id: Option<&str>,
        service_name: Option<&str>,
    ) -> Option<&EndpointService> {
        let by_id = service_id
            .and_then(|id| self.services.get(id))
            .filter(|s| s.region_id == region);
        by_id.or_else(|| {
            let name = service_name?;
            let id = name.rsplit('.').next()?;
            self.services
                .get(id)
                .filter(|s| s.region_id == region && s.name() == name)
        })
    }
}

/// The endpoint service that has load balancer `resource_id` attached, if any.
pub fn service_using<'w>(w: &'w World, resource_id: &str) -> Option<&'w str> {
    w.privatelink
        .services
        .values()
        .find(|s| s.resources.iter().any(|r| r.resource_id == resource_id))
        .map(|s| s.service_id.as_str())
}

/// The resource an endpoint zone in `zone` gets (§4.5): same-region, a row of the same zone
/// with `AutoAllocatedEnabled`, fewest related endpoints, then lowest `ResourceId`;
/// cross-region (`cross = Some((index, count))` of the zone among the endpoint's zones sorted
/// by id), the service zone chosen round-robin, then the same rule inside it. `extra` counts
/// allocations planned earlier in the same call.
pub fn allocate<'s>(
    service: &'s EndpointService,
    zone: &str,
    cross: Option<usize>,
    extra: &BTreeMap<String, u32>,
) -> Option<&'s ServiceResource> {
    let target: String = match cross {
        None => zone.to_string(),
        Some(i) => {
            let zones: Vec<&str> = service.zones().into_iter().collect();
            if zones.is_empty() {
                return None;
            }
            zones[i % zones.len()].to_string()
        }
    };
    service
        .resources
        .iter()
        .filter(|r| r.zone_id == target && r.auto_allocated)
        .min_by(|a, b| {
            let planned = |r: &ServiceResource| {
                extra
                    .iter()
                    .find(|(k, _)| r.has_key(k))
                    .map_or(0, |(_, n)| *n)
            };
            let ca = a.related_endpoint_count + planned(a);
            let cb = b.related_endpoint_count + planned(b);
            ca.cmp(&cb).then_with(|| a.resource_id.cmp(&b.resource_id))
        })
}
