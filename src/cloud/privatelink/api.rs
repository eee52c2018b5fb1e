//! PrivateLink APIs (§4.3), each declared once: typed parameters, RAM action and ARNs (§9.2),
//! response shape, checks (plan) and effects (apply). Provider calls are made by the service
//! owner in the home region, consumer calls by the endpoint owner in its region; another
//! account's object answers its not-found code (ASSUMED, §4.3). The provider controls who
//! connects through the whitelist and connection approval, not RAM (§9.2).

use super::{allocate, Endpoint, EndpointService, EndpointZone, ServiceResource, PRODUCT};
use crate::cloud::declare::region_accessors;
use crate::cloud::declare::ParamType::{Bool, Int, Str, Uid};
use crate::cloud::declare::{opt, req, AccessLevel::*, ApiDecl, CloudApi};
use crate::cloud::ecs::eni::{
    create_service_eni, delete_service_eni, vswitch_available, CreateServiceEni,
};
use crate::cloud::ecs::{NetRefs, OpCtx, SecurityGroupType};
use crate::cloud::error::CloudError;
use crate::cloud::params::Params;
use crate::cloud::time::Timestamp;
use crate::cloud::validate::token_page;
use crate::cloud::world::{CallContext, World};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

/// Resource rows per service (§4.3.1).
pub const MAX_RESOURCES: usize = 20;
/// Resources per CreateVpcEndpointService call (§4.3.1).
pub const MAX_RESOURCES_PER_CALL: usize = 10;
/// Services per account and region (ASSUMED quota, §4.3.1).
pub const MAX_SERVICES: usize = 20;
/// Zones per endpoint (§4.3.3).
pub const MAX_ENDPOINT_ZONES: usize = 10;
/// Endpoints per VPC (ASSUMED quota, §4.3.3).
pub const MAX_ENDPOINTS_PER_VPC: usize = 20;

pub(super) fn bad(code: &str, message: impl Into<String>) -> CloudError {
    CloudError::bad(code, message)
}

pub(super) fn service_arn(region: &str, account: &str, id: &str) -> String {
    format!("acs:privatelink:{region}:{account}:vpcendpointservice/{id}")
}

pub(super) fn endpoint_arn(region: &str, account: &str, id: &str) -> String {
    format!("acs:privatelink:{region}:{account}:vpcendpoint/{id}")
}

/// The caller's service `id` in `region` (`EndpointServiceNotFound`).
fn own_service<'w>(
    w: &'w World,
    ctx: &CallContext,
    region: &str,
    id: &str,
) -> Result<&'w EndpointService, CloudError> {
    w.privatelink
        .services
        .get(id)
        .filter(|s| s.region_id == region && s.owner_uid == ctx.caller_account)
        .ok_or_else(|| {
            bad(
                "EndpointServiceNotFound",
                format!("The endpoint service {id} is not found."),
            )
        })
}

/// The caller's endpoint `id` in `region` (`EndpointNotFound`).
fn own_endpoint<'w>(
    w: &'w World,
    ctx: &CallContext,
    region: &str,
    id: &str,
) -> Result<&'w Endpoint, CloudError> {
    w.privatelink
        .endpoints
        .get(id)
        .filter(|e| e.region_id == region && e.owner_uid == ctx.caller_account)
        .ok_or_else(|| {
            bad(
                "EndpointNotFound",
                format!("The endpoint {id} is not found."),
            )
        })
}

/// An endpoint connected to `service` (`EndpointConnectionNotFound`).
fn connection<'w>(
    w: &'w World,
    service: &EndpointService,
    endpoint_id: &str,
) -> Result<&'w Endpoint, CloudError> {
    w.privatelink
        .endpoints
        .get(endpoint_id)
        .filter(|e| e.service_id == service.service_id)
        .ok_or_else(|| {
            bad(
                "EndpointConnectionNotFound",
                format!(
                    "The endpoint {endpoint_id} is not connected to service {}.",
                    service.service_id
                ),
            )
        })
}

fn require_active(s: &EndpointService) -> Result<(), CloudError> {
    if s.status != "Active" {
        return Err(bad(
            "EndpointServiceOperationDenied",
            format!("The endpoint service {} is {}.", s.service_id, s.status),
        ));
    }
    Ok(())
}

/// `MaxResults` (1–1000, default 50) and `NextToken` of the List calls (ASSUMED bounds).
fn page<T: Clone>(
    rows: &[T],
    token: Option<&str>,
    max_results: Option<i64>,
) -> Result<(Vec<T>, String, i64), CloudError> {
    let size = max_results.unwrap_or(50);
    if !(1..=1000).contains(&size) {
        return Err(bad(
            "IllegalParam.MaxResults",
            "MaxResults is out of range.",
        ));
    }
    let (page, next) = token_page(rows, token, size as usize, || {
        bad("IllegalParam.NextToken", "NextToken is not valid.")
    })?;
    Ok((page, next, size))
}

fn list_answer(key: &str, rows: Vec<Value>, total: usize, next: String, size: i64) -> Value {
    let mut m = Map::new();
    m.insert(key.into(), Value::Array(rows));
    m.insert("NextToken".into(), json!(next));
    m.insert("MaxResults".into(), json!(size));
    m.insert("TotalCount".into(), json!(total));
    Value::Object(m)
}

fn obj_str(o: &Map<String, Value>, k: &str) -> Option<String> {
    match o.get(k) {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

/// The connection bandwidth range of a service type (§4.7), Mbit/s.
pub fn bandwidth_range(resource_type: &str) -> (u32, u32) {
    match resource_type {
        "slb" => (100, 10240),
        "alb" => (100, 25000),
        _ => (100, 50000),
    }
}

// ---- rendering ----------------------------------------------------------------------------

/// One service as `GetVpcEndpointServiceAttribute` and `ListVpcEndpointServices` show it.
pub fn service_json(s: &EndpointService) -> Value {
    json!({
        "ServiceId": s.service_id,
        "ServiceName": s.name(),
        "ServiceDomain": s.domain(),
        "ServiceDescription": s.description,
        "ServiceType": "Interface",
        "ServiceResourceType": s.resource_type,
        "ServiceStatus": s.status,
        "ServiceBusinessStatus": s.business_status,
        "RegionId": s.region_id,
        "Payer": s.payer,
        "AutoAcceptEnabled": s.auto_accept,
        "ZoneAffinityEnabled": s.zone_affinity,
        "AddressIpVersion": s.address_ip_version,
        "ConnectBandwidth": s.connect_bandwidth,
        "SupportedRegionSet": s.supported_regions.iter().map(|r| json!({"RegionId": r})).collect::<Vec<_>>(),
        "Zones": s.zones(),
        "ResourceGroupId": s.resource_group_id,
        "CreateTime": s.create_time.to_string(),
    })
}

/// One endpoint as `GetVpcEndpointAttribute` and `ListVpcEndpoints` show it.
pub fn endpoint_json(w: &World, e: &Endpoint) -> Value {
    json!({
        "EndpointId": e.endpoint_id,
        "EndpointName": e.name,
        "EndpointDescription": e.description,
        "EndpointType": "Interface",
        "EndpointDomain": e.domain(),
        "EndpointStatus": e.status,
        "EndpointBusinessStatus": "Normal",
        "ConnectionStatus": e.connection_status,
        "RegionId": e.region_id,
        "VpcId": e.vpc_id,
        "ServiceId": e.service_id,
        "ServiceName": e.service_name,
        "ServiceRegionId": e.service_region_id,
        "CrossRegionBandwidth": e.cross_region_bandwidth,
        "SecurityGroupIds": e.security_group_ids,
        "ZoneAffinityEnabled": e.zone_affinity,
        "ZonePrivateIpAddressCount": 1,
        "Bandwidth": e.bandwidth,
        "Payer": e.payer,
        "ResourceOwner": e.resource_owner(w),
        "ResourceGroupId": e.resource_group_id,
        "CreateTime": e.create_time.to_string(),
    })
}

fn zone_json(e: &Endpoint, z: &EndpointZone) -> Value {
    json!({
        "ZoneId": z.zone_id,
        "VSwitchId": z.vswitch_id,
        "EniId": z.eni_id,
        "EniIp": z.eni_ip.to_string(),
        "ZoneDomain": e.zone_domain(&z.zone_id),
        "ZoneStatus": z.status,
        // The zone keeps the row key `ResourceId|ZoneId`; the API shows the resource id.
        "ResourceId": z.resource_id.as_deref().map(|k| k.split('|').next().unwrap_or(k)),
        "ReplacedResourceId": z.replaced_resource_id.as_deref().map(|k| k.split('|').next().unwrap_or(k)),
        "ReplacedEniId": z.replaced_eni_id,
    })
}

fn resource_json(r: &ServiceResource, region: &str) -> Value {
    json!({
        "ResourceId": r.resource_id,
        "ResourceType": r.resource_type,
        "ZoneId": r.zone_id,
        "RegionId": region,
        "VpcId": r.vpc_id,
        "VSwitchId": r.vswitch_id,
        "Ip": r.ip.to_string(),
        "AutoAllocatedEnabled": r.auto_allocated,
        "RelatedEndpointCount": r.related_endpoint_count,
    })
}

// ---- resources ----------------------------------------------------------------------------

/// The rows load balancer `id` of type `rtype` contributes (§4.3.1, §4.3.6): one per NLB zone
/// or ALB zone (or the given zone only), the master zone of a CLB.
fn resource_rows(
    w: &World,
    ctx: &CallContext,
    region: &str,
    rtype: &str,
    id: &str,
    zone: Option<&str>,
) -> Result<Vec<ServiceResource>, CloudError> {
    let lb_not_found = || {
        bad(
            "LoadBalancerNotFound",
            format!("The load balancer {id} is not found."),
        )
    };
    match rtype {
        "nlb" => {
            let lb = w
                .nlb
                .load_balancers
                .get(id)
                .filter(|l| l.region_id == region && l.owner_uid == ctx.caller_account)
                .ok_or_else(lb_not_found)?;
            let zones: Vec<_> = match zone {
                Some(z) => vec![lb.zone(z).ok_or_else(|| {
                    bad(
                        "EndpointServiceNotSupportedZone",
                        format!("The zone {z} is not a zone of {id}."),
                    )
                })?],
                None => lb.zone_mappings.iter().collect(),
            };
            Ok(zones
                .into_iter()
                .map(|z| ServiceResource {
                    resource_id: id.to_string(),
                    resource_type: "nlb".into(),
                    zone_id: z.zone_id.clone(),
                    vpc_id: lb.vpc_id.clone(),
                    vswitch_id: z.vswitch_id.clone(),
                    ip: z.private_ipv4_address,
                    auto_allocated: true,
                    related_endpoint_count: 0,
                })
                .collect())
        }
        "slb" => {
            let l = w
                .clb
                .load_balancers
                .get(id)
                .filter(|l| l.region_id == region && l.owner_uid == ctx.caller_account)
                .ok_or_else(lb_not_found)?;
            // §5.3: intranet, VPC-type, pay-as-you-go.
            let (Some(vpc), Some(vsw), true) = (&l.vpc_id, &l.vswitch_id, l.privatelink_eligible())
            else {
                return Err(bad(
                    "LoadBalancerNotSupportPrivateLink",
                    format!("The CLB {id} must be an intranet pay-as-you-go CLB in a VPC."),
                ));
            };
            if zone.is_some_and(|z| z != l.master_zone_id) {
                return Err(bad(
                    "EndpointServiceNotSupportedZone",
                    format!(
                        "The zone of a CLB row is its master zone {}.",
                        l.master_zone_id
                    ),
                ));
            }
            Ok(vec![ServiceResource {
                resource_id: id.to_string(),
                resource_type: "slb".into(),
                zone_id: l.master_zone_id.clone(),
                vpc_id: vpc.clone(),
                vswitch_id: vsw.clone(),
                ip: l.address,
                auto_allocated: true,
                related_endpoint_count: 0,
            }])
        }
        "alb" => {
            // ALB may be internet- or internal-facing [S1]; every ALB counts as "upgraded"
            // for cross-region services (§4.6, ASSUMED default true, no field kept).
            let lb = w
                .alb
                .load_balancers
                .get(id)
                .filter(|l| l.region_id == region && l.owner_uid == ctx.caller_account)
                .ok_or_else(|| bad("AlbNotFound", format!("The ALB {id} is not found.")))?;
            let zones: Vec<_> = match zone {
                Some(z) => vec![lb.zones.iter().find(|x| x.zone_id == z).ok_or_else(|| {
                    bad(
                        "EndpointServiceNotSupportedZone",
                        format!("The zone {z} is not a zone of {id}."),
                    )
                })?],
                None => lb.zones.iter().collect(),
            };
            Ok(zones
                .into_iter()
                .map(|z| ServiceResource {
                    resource_id: id.to_string(),
                    resource_type: "alb".into(),
                    zone_id: z.zone_id.clone(),
                    vpc_id: lb.vpc_id.clone(),
                    vswitch_id: z.vswitch_id.clone(),
                    ip: z.address,
                    auto_allocated: true,
                    related_endpoint_count: 0,
                })
                .collect())
        }
        _ => Err(bad(
            "EndpointServiceResourceTypeNotSupport",
            format!("The resource type {rtype} is not supported."),
        )),
    }
}

/// True when the load balancer of `row` is dual-stack (§4.1 `AddressIpVersion`: NLB `DualStack`,
/// ALB `DualStack`; a CLB never is).
fn dual_stack(w: &World, row: &ServiceResource) -> bool {
    match row.resource_type.as_str() {
        "nlb" => w
            .nlb
            .load_balancers
            .get(&row.resource_id)
            .is_some_and(|l| l.address_ip_version.eq_ignore_ascii_case("DualStack")),
        "alb" => w
            .alb
            .load_balancers
            .get(&row.resource_id)
            .is_some_and(|l| l.address_ip_version.eq_ignore_ascii_case("DualStack")),
        _ => false,
    }
}

// ---- CreateVpcEndpointService -------------------------------------------------------------

/// One `Resource.N` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceParam {
    /// `ResourceType`.
    pub resource_type: String,
    /// `ResourceId`.
    pub resource_id: String,
    /// `ZoneId`.
    pub zone_id: Option<String>,
}

/// CreateVpcEndpointService (§4.3.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateVpcEndpointService {
    /// `RegionId`.
    pub region_id: String,
    /// `ServiceResourceType` (default `slb`).
    pub service_resource_type: Option<String>,
    /// `Resource.N`.
    pub resources: Vec<ResourceParam>,
    /// `AutoAcceptEnabled`.
    pub auto_accept_enabled: bool,
    /// `ZoneAffinityEnabled`.
    pub zone_affinity_enabled: bool,
    /// `Payer`.
    pub payer: Option<String>,
    /// `ServiceDescription`.
    pub service_description: Option<String>,
    /// `AddressIpVersion`.
    pub address_ip_version: Option<String>,
    /// `SupportedRegionList.N`.
    pub supported_region_list: Vec<String>,
    /// `ResourceGroupId`.
    pub resource_group_id: Option<String>,
    /// `DryRun`.
    pub dry_run: bool,
    /// `ClientToken`.
    pub client_token: Option<String>,
}

fn decode_resources(p: &Params<'_>) -> Result<Vec<ResourceParam>, CloudError> {
    let mut out = Vec::new();
    for (i, o) in p.list_obj("Resource").iter().enumerate() {
        let n = i + 1;
        out.push(ResourceParam {
            resource_type: obj_str(o, "ResourceType")
                .ok_or_else(|| CloudError::missing(&format!("Resource.{n}.ResourceType")))?,
            resource_id: obj_str(o, "ResourceId")
                .ok_or_else(|| CloudError::missing(&format!("Resource.{n}.ResourceId")))?,
            zone_id: obj_str(o, "ZoneId"),
        });
    }
    Ok(out)
}

fn check_description(d: Option<&str>, param: &str) -> Result<(), CloudError> {
    match d {
        Some(x)
            if x.chars().count() > 256 || x.starts_with("http://") || x.starts_with("https://") =>
        {
            Err(bad(
                &format!("IllegalParam.{param}"),
                format!("The param {param} is illegal."),
            ))
        }
        _ => Ok(()),
    }
}

impl CloudApi for CreateVpcEndpointService {
    const DECL: ApiDecl = PRODUCT
        .api(
            "CreateVpcEndpointService",
            "privatelink:CreateVpcEndpointService",
            Create,
        )
        .names(&["ServiceId"])
        .resource_type("ACS::PrivateLink::VpcEndpointService")
        .params(&[
            req("RegionId", Str),
            opt("ServiceResourceType", Str),
            opt("Resource.N.ResourceType", Str),
            opt("Resource.N.ResourceId", Str),
            opt("Resource.N.ZoneId", Str),
            opt("AutoAcceptEnabled", Bool),
            opt("ZoneAffinityEnabled", Bool),
            opt("Payer", Str),
            opt("ServiceDescription", Str),
            opt("AddressIpVersion", Str),
            opt("SupportedRegionList.N", Str),
            opt("ResourceGroupId", Str),
            opt("DryRun", Bool),
            opt("ClientToken", Str),
        ])
        .resources(&[
            "acs:privatelink:{region}:{account}:vpcendpointservice/*",
            "acs:nlb:{region}:{account}:loadbalancer/{Resource.N.ResourceId}",
        ])
        .response(&[
            "ServiceId",
            "ServiceName",
            "ServiceDomain",
            "ServiceStatus",
            "ServiceBusinessStatus",
            "AutoAcceptEnabled",
            "ZoneAffinityEnabled",
            "ServiceDescription",
            "CreateTime",
            "ResourceGroupId",
        ]);
    type Plan = EndpointService;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        let resources = decode_resources(p)?;
        Ok(CreateVpcEndpointService {
            region_id: p.req_str("RegionId")?,
            service_resource_type: p.opt_str("ServiceResourceType")?,
            resources,
            auto_accept_enabled: p.flag("AutoAcceptEnabled")?,
            zone_affinity_enabled: p.flag("ZoneAffinityEnabled")?,
            payer: p.opt_str("Payer")?,
            service_description: p.opt_str("ServiceDescription")?,
            address_ip_version: p.opt_str("AddressIpVersion")?,
            supported_region_list: p.list_str("SupportedRegionList")?,
            resource_group_id: p.opt_str("ResourceGroupId")?,
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
        let (r, a) = (self.region_id.as_str(), ctx.caller_account.as_str());
        let mut out = vec![service_arn(r, a, "*")];
        for res in &self.resources {
            let code = match res.resource_type.as_str() {
                "slb" | "alb" | "nlb" => res.resource_type.as_str(),
                _ => continue,
            };
            out.push(format!(
                "acs:{code}:{r}:{a}:loadbalancer/{}",
                res.resource_id
            ));
        }
        Ok(out)
    }
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Self::Plan, CloudError> {
        let acct = w.caller_account(ctx)?;
        let region = w.known_region(&self.region_id)?;
        let rtype = self.service_resource_type.as_deref().unwrap_or("slb");
        if !matches!(rtype, "slb" | "alb" | "nlb") {
            return Err(bad(
                "EndpointServiceResourceTypeNotSupport",
                format!("The resource type {rtype} is not supported."),
            ));
        }
        // ASSUMED code: a region without PrivateLink (or without the resource's product).
        let supported =
            region.privatelink && (rtype != "nlb" || region.nlb) && (rtype != "alb" || region.alb);
        if !supported {
            return Err(bad(
                "UnsupportedRegion",
                format!(
                    "PrivateLink with {rtype} is not available in {}.",
                    self.region_id
                ),
            ));
        }
        check_description(self.service_description.as_deref(), "ServiceDescription")?;
        let payer = match self.payer.as_deref() {
            None | Some("Endpoint") => "Endpoint",
            Some("EndpointService") => "EndpointService",
            Some(_) => return Err(bad("IllegalParam.Payer", "The param Payer is illegal.")),
        };
        let ip_version = match self.address_ip_version.as_deref() {
            None | Some("IPv4") => "IPv4",
            Some("DualStack") => "DualStack",
            Some(_) => {
                return Err(bad(
                    "IllegalParam.AddressIpVersion",
                    "The param AddressIpVersion is illegal.",
                ))
            }
        };
        if self.resources.len() > MAX_RESOURCES_PER_CALL {
            return Err(bad("QuotaMisMatched", "At most 10 resources per call."));
        }
        let mut rows: Vec<ServiceResource> = Vec::new();
        for res in &self.resources {
            if res.resource_type != rtype {
                return Err(bad(
                    "Mismatch.ResourceType",
                    format!(
                        "The resource {} is of type {}, the service of type {rtype}.",
                        res.resource_id, res.resource_type
                    ),
                ));
            }
            for row in resource_rows(
                w,
                ctx,
                &self.region_id,
                rtype,
                &res.resource_id,
                res.zone_id.as_deref(),
            )? {
                if ip_version == "DualStack" && !dual_stack(w, &row) {
                    return Err(bad(
                        "EndpointServiceNotSupportIpv6",
                        format!("The resource {} does not support IPv6.", row.resource_id),
                    ));
                }
                if rows.iter().any(|r| r.key() == row.key()) {
                    return Err(bad(
                        "EndpointServiceResourceExist",
                        format!("The resource {} is given twice.", row.resource_id),
                    ));
                }
                rows.push(row);
            }
        }
        if rows.len() > MAX_RESOURCES {
            return Err(bad("QuotaMisMatched", "At most 20 resources per service."));
        }
        let mut regions: BTreeSet<String> = BTreeSet::from([self.region_id.clone()]);
        for r in &self.supported_region_list {
            let info = w.known_region(r)?;
            if !info.privatelink {
                return Err(bad(
                    "UnsupportedRegion",
                    format!("PrivateLink is not available in {r}."),
                ));
            }
            regions.insert(r.clone());
        }
        if regions.len() > 1 {
            check_cross_region(rtype, &rows)?;
        }
        let count = w
            .privatelink
            .services
            .values()
            .filter(|s| s.owner_uid == acct.uid && s.region_id == self.region_id)
            .count();
        if count >= MAX_SERVICES {
            return Err(bad(
                "QuotaMisMatched",
                "The number of endpoint services exceeds the quota.",
            ));
        }
        if self.dry_run {
            return Err(CloudError::dry_run());
        }
        Ok(EndpointService {
            service_id: String::new(),
            region_id: self.region_id.clone(),
            owner_uid: acct.uid.clone(),
            resource_type: rtype.into(),
            description: self.service_description.clone().unwrap_or_default(),
            auto_accept: self.auto_accept_enabled,
            zone_affinity: self.zone_affinity_enabled,
            payer: payer.into(),
            address_ip_version: ip_version.into(),
            connect_bandwidth: (rtype == "slb").then_some(3072),
            supported_regions: regions,
            status: "Active".into(),
            business_status: "Normal".into(),
            users: BTreeSet::from([acct.uid.clone()]),
            resources: rows,
            resource_group_id: self
                .resource_group_id
                .clone()
                .unwrap_or_else(|| acct.default_resource_group().to_string()),
            create_time: now,
        })
    }
    fn apply(w: &mut World, _now: Timestamp, mut s: Self::Plan) -> Value {
        s.service_id = w.new_id("epsrv", &s.region_id);
        let v = json!({
            "ServiceId": s.service_id,
            "ServiceName": s.name(),
            "ServiceDomain": s.domain(),
            "ServiceStatus": s.status,
            "ServiceBusinessStatus": s.business_status,
            "AutoAcceptEnabled": s.auto_accept,
            "ZoneAffinityEnabled": s.zone_affinity,
            "ServiceDescription": s.description,
            "CreateTime": s.create_time.to_string(),
            "ResourceGroupId": s.resource_group_id,
        });
        w.privatelink.services.insert(s.service_id.clone(), s);
        v
    }
}

/// §4.6: only NLB (and upgraded ALB) services with resources in two zones or more may serve
/// remote regions.
fn check_cross_region(rtype: &str, rows: &[ServiceResource]) -> Result<(), CloudError> {
    if rtype == "slb" {
        return Err(bad(
            "IllegalParam.SupportedRegionList",
            "A CLB endpoint service cannot serve other regions.",
        ));
    }
    let zones: BTreeSet<&str> = rows.iter().map(|r| r.zone_id.as_str()).collect();
    if zones.len() < 2 {
        return Err(bad(
            "OperationDenied.InsufficientZonesForCrossRegion",
            "A cross-region endpoint service needs resources in at least two zones.",
        ));
    }
    Ok(())
}

// ---- whitelist ----------------------------------------------------------------------------

/// `AddUserToVpcEndpointService` / `RemoveUserFromVpcEndpointService` parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceUser {
    /// `RegionId`.
    pub region_id: String,
    /// `ServiceId`.
    pub service_id: String,
    /// `UserId`.
    pub user_id: Option<String>,
    /// `UserARN`.
    pub user_arn: Option<String>,
    /// `DryRun`.
    pub dry_run: bool,
    /// `ClientToken`.
    pub client_token: Option<String>,
}

impl ServiceUser {
    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(ServiceUser {
            region_id: p.req_str("RegionId")?,
            service_id: p.req_str("ServiceId")?,
            user_id: p.opt_uid("UserId")?,
            user_arn: p.opt_str("UserARN")?,
            dry_run: p.flag("DryRun")?,
            client_token: p.client_token()?,
        })
    }

    /// The whitelist entry (§4.3.2): a uid, or `*` for `acs:ram:*:*:*`.
    fn entry(&self) -> Result<String, CloudError> {
        let from_arn = match &self.user_arn {
            None => None,
            Some(a) => {
                let parts: Vec<&str> = a.split(':').collect();
                match parts.as_slice() {
                    ["acs", "ram", "*", uid, "*"] if *uid == "*" => Some("*".to_string()),
                    ["acs", "ram", "*", uid, "*"]
                        if uid.len() == 16 && uid.bytes().all(|b| b.is_ascii_digit()) =>
                    {
                        Some(uid.to_string())
                    }
                    _ => {
                        return Err(bad(
                            "IllegalParam.UserARN",
                            format!("The UserARN {a} is not valid."),
                        ))
                    }
                }
            }
        };
        match (&self.user_id, from_arn) {
            (None, None) => Err(bad(
                "MissingParam.UserArn",
                "UserId or UserARN is required.",
            )),
            (Some(u), Some(a)) if *u != a => Err(bad(
                "Mismatch.UserIdAndUserArn",
                "UserId and UserARN name different accounts.",
            )),
            (Some(u), _) => Ok(u.clone()),
            (None, Some(a)) => Ok(a),
        }
    }

    fn plan(&self, w: &World, ctx: &CallContext) -> Result<(String, String), CloudError> {
        let s = own_service(w, ctx, &self.region_id, &self.service_id)?;
        require_active(s)?;
        let entry = self.entry()?;
        if self.dry_run {
            return Err(CloudError::dry_run());
        }
        Ok((s.service_id.clone(), entry))
    }
}

const USER_PARAMS: &[crate::cloud::declare::Param] = &[
    req("RegionId", Str),
    req("ServiceId", Str),
    opt("UserId", Uid),
    opt("UserARN", Str),
    opt("DryRun", Bool),
    opt("ClientToken", Str),
];

/// AddUserToVpcEndpointService (§4.3.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddUserToVpcEndpointService(pub ServiceUser);

/// RemoveUserFromVpcEndpointService (§4.3.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoveUserFromVpcEndpointService(pub ServiceUser);

macro_rules! user_api {
    ($ty:ident, $name:literal, $action:literal, $add:expr) => {
        impl CloudApi for $ty {
            const DECL: ApiDecl = PRODUCT
                .api($name, $action, Update)
                .names(&["ServiceId"])
                .resource_type("ACS::PrivateLink::VpcEndpointService")
                .params(USER_PARAMS)
                .resources(&["acs:privatelink:{region}:{account}:vpcendpointservice/{ServiceId}"]);
            type Plan = (String, String);

            fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
                Ok($ty(ServiceUser::decode(p)?))
            }
            fn region(&self) -> Option<&str> {
                Some(&self.0.region_id)
            }
            fn dry_run(&self) -> bool {
                self.0.dry_run
            }
            fn client_token(&self) -> Option<&str> {
                self.0.client_token.as_deref()
            }
            fn authorize(
                &self,
                w: &World,
                ctx: &CallContext,
                _now: Timestamp,
                _keys: &mut BTreeMap<String, String>,
            ) -> Result<Vec<String>, CloudError> {
                w.known_region(&self.0.region_id)?;
                Ok(vec![service_arn(
                    &self.0.region_id,
                    &ctx.caller_account,
                    &self.0.service_id,
                )])
            }
            fn plan(
                &self,
                w: &World,
                ctx: &CallContext,
                _now: Timestamp,
            ) -> Result<Self::Plan, CloudError> {
                self.0.plan(w, ctx)
            }
            fn apply(w: &mut World, _now: Timestamp, (id, entry): Self::Plan) -> Value {
                if let Some(s) = w.privatelink.services.get_mut(&id) {
                    if $add {
                        s.users.insert(entry);
                    } else {
                        s.users.remove(&entry);
                    }
                }
                json!({})
            }
        }
    };
}

user_api!(
    AddUserToVpcEndpointService,
    "AddUserToVpcEndpointService",
    "privatelink:AddUserToVpcEndpointService",
    true
);
user_api!(
    RemoveUserFromVpcEndpointService,
    "RemoveUserFromVpcEndpointService",
    "privatelink:RemoveUserFromVpcEndpointService",
    false
);

// ---- CreateVpcEndpoint --------------------------------------------------------------------

/// One `Zone.N` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZoneParam {
    /// `ZoneId`.
    pub zone_id: String,
    /// `VSwitchId`.
    pub vswitch_id: String,
    /// `ip`.
    pub ip: Option<String>,
}

/// CreateVpcEndpoint (§4.3.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateVpcEndpoint {
    /// `RegionId`.
    pub region_id: String,
    /// `VpcId`.
    pub vpc_id: String,
    /// `ServiceId`.
    pub service_id: Option<String>,
    /// `ServiceName`.
    pub service_name: Option<String>,
    /// `ServiceRegionId`.
    pub service_region_id: Option<String>,
    /// `CrossRegionBandwidth`.
    pub cross_region_bandwidth: Option<i64>,
    /// `EndpointName`.
    pub endpoint_name: Option<String>,
    /// `EndpointDescription`.
    pub endpoint_description: Option<String>,
    /// `SecurityGroupId.N`.
    pub security_group_ids: Vec<String>,
    /// `Zone.N`.
    pub zones: Vec<ZoneParam>,
    /// `ZoneAffinityEnabled`.
    pub zone_affinity_enabled: bool,
    /// `ResourceGroupId`.
    pub resource_group_id: Option<String>,
    /// `DryRun`.
    pub dry_run: bool,
    /// `ClientToken`.
    pub client_token: Option<String>,
}

/// A planned endpoint zone: where, which address, which resource.
#[derive(Debug, Clone)]
pub struct PlannedZone {
    zone_id: String,
    vswitch_id: String,
    ip: Ipv4Addr,
    resource: Option<String>,
}

/// A validated CreateVpcEndpoint.
#[derive(Debug, Clone)]
pub struct CreateVpcEndpointPlan {
    endpoint: Endpoint,
    zones: Vec<PlannedZone>,
}

/// Endpoint name rule (§4.3.3): 2–128, starts with a letter or CJK, then letters, digits,
/// `-`, `_`.
fn endpoint_name_ok(s: &str) -> bool {
    let n = s.chars().count();
    (2..=128).contains(&n)
        && s.chars().next().is_some_and(char::is_alphabetic)
        && s.chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
}

/// Checks one endpoint zone (§4.3.3 #10–#13) and picks its address; `taken` holds addresses
/// planned earlier in the same call.
fn plan_zone(
    w: &World,
    ctx: &CallContext,
    vpc_id: &str,
    z: &ZoneParam,
    now: Timestamp,
) -> Result<(String, Ipv4Addr), CloudError> {
    let vsw = w
        .vswitch(&z.vswitch_id)
        .filter(|v| {
            v.vpc_id == vpc_id && v.zone_id == z.zone_id && v.owner_uid == ctx.caller_account
        })
        .ok_or_else(|| {
            bad(
                "VSwitchNotFound",
                format!("The vSwitch {} is not found.", z.vswitch_id),
            )
        })?;
    if !vswitch_available(vsw, now) {
        return Err(bad(
            "VSwitchStatusNotAllowed",
            format!("The vSwitch {} is not available.", vsw.vswitch_id),
        ));
    }
    let index = &w.ecs().addresses;
    let ip = match &z.ip {
        Some(r) => {
            let ip: Ipv4Addr = r.trim().parse().map_err(|_| {
                bad(
                    "EniIpUnavailable",
                    format!("The address {r} is not available."),
                )
            })?;
            if !vsw.cidr_block.contains(&ip) || vsw.is_reserved(ip) || index.is_used(vpc_id, ip) {
                return Err(bad(
                    "EniIpUnavailable",
                    format!("The address {ip} is not available."),
                ));
            }
            ip
        }
        None => *index.lowest_free(vsw, 1).first().ok_or_else(|| {
            bad(
                "ResourceNotEnough.VSwitchIp",
                format!("The vSwitch {} has no free address.", vsw.vswitch_id),
            )
        })?,
    };
    Ok((vsw.vswitch_id.clone(), ip))
}

impl CloudApi for CreateVpcEndpoint {
    const DECL: ApiDecl = PRODUCT
        .api("CreateVpcEndpoint", "privatelink:CreateVpcEndpoint", Create)
        .names(&["EndpointId"])
        .resource_type("ACS::PrivateLink::VpcEndpoint")
        .params(&[
            req("RegionId", Str),
            req("VpcId", Str),
            opt("ServiceId", Str),
            opt("ServiceName", Str),
            opt("ServiceRegionId", Str),
            opt("CrossRegionBandwidth", Int),
            opt("EndpointName", Str),
            opt("EndpointDescription", Str),
            opt("EndpointType", Str),
            opt("SecurityGroupId.N", Str),
            opt("Zone.N.ZoneId", Str),
            opt("Zone.N.VSwitchId", Str),
            opt("Zone.N.ip", Str),
            opt("ZonePrivateIpAddressCount", Int),
            opt("ZoneAffinityEnabled", Bool),
            opt("ResourceGroupId", Str),
            opt("DryRun", Bool),
            opt("ClientToken", Str),
        ])
        .resources(&[
            "acs:privatelink:{region}:{account}:vpcendpoint/*",
            "acs:vpc:{region}:{account}:vpc/{VpcId}",
            "acs:ecs:{region}:{account}:securitygroup/{SecurityGroupId.N}",
            "acs:vpc:{region}:{account}:vswitch/{Zone.N.VSwitchId}",
        ])
        .response(&[
            "EndpointId",
            "EndpointName",
            "EndpointDomain",
            "EndpointStatus",
            "ConnectionStatus",
            "EndpointBusinessStatus",
            "ServiceId",
            "ServiceName",
            "VpcId",
            "Bandwidth",
            "CreateTime",
        ]);
    type Plan = CreateVpcEndpointPlan;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        let mut zones = Vec::new();
        for (i, o) in p.list_obj("Zone").iter().enumerate() {
            let n = i + 1;
            zones.push(ZoneParam {
                zone_id: obj_str(o, "ZoneId")
                    .ok_or_else(|| CloudError::missing(&format!("Zone.{n}.ZoneId")))?,
                vswitch_id: obj_str(o, "VSwitchId")
                    .ok_or_else(|| CloudError::missing(&format!("Zone.{n}.VSwitchId")))?,
                ip: obj_str(o, "ip"),
            });
        }
        let count = p.opt_i64("ZonePrivateIpAddressCount")?;
        let etype = p.opt_str("EndpointType")?;
        let out = CreateVpcEndpoint {
            region_id: p.req_str("RegionId")?,
            vpc_id: p.req_str("VpcId")?,
            service_id: p.opt_str("ServiceId")?,
            service_name: p.opt_str("ServiceName")?,
            service_region_id: p.opt_str("ServiceRegionId")?,
            cross_region_bandwidth: p.opt_i64("CrossRegionBandwidth")?,
            endpoint_name: p.opt_str("EndpointName")?,
            endpoint_description: p.opt_str("EndpointDescription")?,
            security_group_ids: p.list_str("SecurityGroupId")?,
            zones,
            zone_affinity_enabled: p.flag("ZoneAffinityEnabled")?,
            resource_group_id: p.opt_str("ResourceGroupId")?,
            dry_run: p.flag("DryRun")?,
            client_token: p.client_token()?,
        };
        if count.is_some_and(|c| c != 1) {
            return Err(bad(
                "IllegalParam.ZonePrivateIpAddressCount",
                "ZonePrivateIpAddressCount can only be 1.",
            ));
        }
        if etype.is_some_and(|t| t != "Interface") {
            return Err(bad(
                "IllegalParam.EndpointType",
                "EndpointType can only be Interface.",
            ));
        }
        Ok(out)
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
        let (r, a) = (self.region_id.as_str(), ctx.caller_account.as_str());
        let mut out = vec![
            endpoint_arn(r, a, "*"),
            format!("acs:vpc:{r}:{a}:vpc/{}", self.vpc_id),
        ];
        for sg in &self.security_group_ids {
            out.push(format!("acs:ecs:{r}:{a}:securitygroup/{sg}"));
        }
        for z in &self.zones {
            out.push(format!("acs:vpc:{r}:{a}:vswitch/{}", z.vswitch_id));
        }
        Ok(out)
    }
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Self::Plan, CloudError> {
        let acct = w.caller_account(ctx)?;
        w.known_region(&self.region_id)?;
        if let Some(n) = &self.endpoint_name {
            if !endpoint_name_ok(n) {
                return Err(bad(
                    "IllegalParam.EndpointName",
                    "The param EndpointName is illegal.",
                ));
            }
        }
        check_description(self.endpoint_description.as_deref(), "EndpointDescription")?;
        // 1. the consumer's VPC
        let vpc = w
            .vpc(&self.vpc_id)
            .filter(|v| v.region_id == self.region_id && v.owner_uid == acct.uid)
            .ok_or_else(|| {
                bad(
                    "VpcNotFound",
                    format!("The VPC {} is not found.", self.vpc_id),
                )
            })?;
        // 2. the service, in its home region
        let service_region = self
            .service_region_id
            .clone()
            .unwrap_or_else(|| self.region_id.clone());
        let svc = w
            .privatelink
            .service_by_id_or_name(
                &service_region,
                self.service_id.as_deref(),
                self.service_name.as_deref(),
            )
            .ok_or_else(|| {
                if self.service_id.is_none() && self.service_name.is_none() {
                    CloudError::missing("ServiceId")
                } else {
                    bad(
                        "EndpointServiceNotFound",
                        "The endpoint service is not found.",
                    )
                }
            })?;
        if svc.status == "Deleting" {
            return Err(bad(
                "EndpointServiceDeleted",
                "The endpoint service is being deleted.",
            ));
        }
        // 3.
        if svc.status != "Active" {
            return Err(bad(
                "IncorrectStatus.VpcEndpointService",
                format!("The endpoint service {} is {}.", svc.service_id, svc.status),
            ));
        }
        // 4. the whitelist
        if !svc.allows(&acct.uid) {
            return Err(bad(
                "EndpointServiceNotAuthorized",
                format!(
                    "The account {} is not on the whitelist of endpoint service {}.",
                    acct.uid, svc.service_id
                ),
            ));
        }
        // 5. cross-region
        let cross = service_region != self.region_id;
        if cross && !svc.supported_regions.contains(&self.region_id) {
            return Err(bad(
                "EndpointServiceNotSupportedRegion",
                format!(
                    "The endpoint service does not serve region {}.",
                    self.region_id
                ),
            ));
        }
        let cross_bandwidth = if cross {
            let (mainland_a, mainland_b) = (
                w.region(&self.region_id).is_some_and(|r| r.mainland),
                w.region(&service_region).is_some_and(|r| r.mainland),
            );
            let max: i64 = if mainland_a && mainland_b { 1000 } else { 100 };
            let b = self.cross_region_bandwidth.unwrap_or(max);
            if !(1..=max).contains(&b) {
                return Err(bad(
                    "IllegalParam.CrossRegionBandwidth",
                    format!("CrossRegionBandwidth must be between 1 and {max}."),
                ));
            }
            Some(b as u32)
        } else {
            None
        };
        // 6–8. security groups
        if self.security_group_ids.is_empty() {
            return Err(bad(
                "EndpointMustContainSecurityGroup",
                "An endpoint needs at least one security group.",
            ));
        }
        if self.security_group_ids.len() > 10 {
            return Err(bad(
                "QuotaExceeded.SecurityGroup",
                "At most 10 security groups.",
            ));
        }
        let mut kinds = BTreeSet::new();
        for id in &self.security_group_ids {
            let g = w
                .ecs()
                .security_groups
                .get(id)
                .filter(|g| g.vpc_id == vpc.vpc_id && g.owner_uid == acct.uid)
                .ok_or_else(|| {
                    bad(
                        "SecurityGroupNotFound",
                        format!("The security group {id} is not found."),
                    )
                })?;
            kinds.insert(g.group_type == SecurityGroupType::Normal);
        }
        if kinds.len() > 1 {
            return Err(bad(
                "SecurityGroupTypeOnlySingleTypeSupporteded",
                "The security groups must all be basic or all enterprise.",
            ));
        }
        // 9–13. zones
        if self.zones.len() > MAX_ENDPOINT_ZONES {
            return Err(bad(
                "QuotaExceeded.epZonePerEndpoint",
                "At most 10 zones per endpoint.",
            ));
        }
        let service_zones = svc.zones();
        let mut planned: Vec<PlannedZone> = Vec::new();
        for (i, z) in self.zones.iter().enumerate() {
            if self.zones[..i].iter().any(|o| o.zone_id == z.zone_id) {
                return Err(bad(
                    "EndpointZoneDuplicated",
                    format!("The zone {} is given twice.", z.zone_id),
                ));
            }
            let (vswitch_id, ip) = plan_zone(w, ctx, &vpc.vpc_id, z, now)?;
            if !cross && !service_zones.contains(z.zone_id.as_str()) {
                return Err(bad(
                    "EndpointServiceNotSupportedZone",
                    format!(
                        "The endpoint service has no resource in zone {}.",
                        z.zone_id
                    ),
                ));
            }
            planned.push(PlannedZone {
                zone_id: z.zone_id.clone(),
                vswitch_id,
                ip,
                resource: None,
            });
        }
        // 14.
        if let Some(dup) = w
            .privatelink
            .endpoints_in_vpc(&vpc.vpc_id)
            .find(|e| e.service_id == svc.service_id && e.connection_status != "ServiceDeleted")
        {
            return Err(bad(
                "EndpointDuplicated",
                format!(
                    "The VPC already has endpoint {} to this service.",
                    dup.endpoint_id
                ),
            ));
        }
        // 15.
        let in_vpc = w.privatelink.endpoints_in_vpc(&vpc.vpc_id).count();
        if in_vpc >= MAX_ENDPOINTS_PER_VPC {
            return Err(bad(
                "QuotaExceeded.totalEpPerVpc",
                "Too many endpoints in this VPC.",
            ));
        }
        if self.dry_run {
            return Err(CloudError::dry_run());
        }
        // Z1 / Z2
        let connected = svc.auto_accept;
        if connected {
            allocate_zones(svc, &mut planned, cross);
        }
        Ok(CreateVpcEndpointPlan {
            endpoint: Endpoint {
                endpoint_id: String::new(),
                region_id: self.region_id.clone(),
                owner_uid: acct.uid.clone(),
                vpc_id: vpc.vpc_id.clone(),
                name: self.endpoint_name.clone().unwrap_or_default(),
                description: self.endpoint_description.clone().unwrap_or_default(),
                service_id: svc.service_id.clone(),
                service_name: svc.name(),
                service_region_id: service_region,
                cross_region_bandwidth: cross_bandwidth,
                security_group_ids: self.security_group_ids.clone(),
                zone_affinity: self.zone_affinity_enabled,
                status: "Active".into(),
                connection_status: if connected {
                    "Connected"
                } else {
                    "Disconnected"
                }
                .into(),
                bandwidth: svc.connect_bandwidth,
                payer: svc.payer.clone(),
                zones: Vec::new(),
                resource_group_id: self
                    .resource_group_id
                    .clone()
                    .unwrap_or_else(|| acct.default_resource_group().to_string()),
                create_time: now,
            },
            zones: planned,
        })
    }
    fn apply(w: &mut World, now: Timestamp, plan: Self::Plan) -> Value {
        let mut e = plan.endpoint;
        e.endpoint_id = w.new_id("ep", &e.region_id);
        let connected = e.connection_status == "Connected";
        for z in plan.zones {
            let Some(eni) = zone_eni(w, &e, &z, now) else {
                continue;
            };
            let status = match (&z.resource, connected) {
                (Some(_), _) => "Connected",
                (None, true) => "Disconnected",
                (None, false) => "Wait",
            };
            e.zones.push(EndpointZone {
                zone_id: z.zone_id,
                vswitch_id: z.vswitch_id,
                eni_id: eni,
                eni_ip: z.ip,
                status: status.into(),
                resource_id: z.resource,
                manual_resource_id: None,
                replaced_resource_id: None,
                replaced_eni_id: None,
                replaced_eni_ip: None,
            });
        }
        count_allocations(w, &e, 1);
        let v = json!({
            "EndpointId": e.endpoint_id,
            "EndpointName": e.name,
            "EndpointDomain": e.domain(),
            "EndpointStatus": e.status,
            "ConnectionStatus": e.connection_status,
            "EndpointBusinessStatus": "Normal",
            "ServiceId": e.service_id,
            "ServiceName": e.service_name,
            "VpcId": e.vpc_id,
            "Bandwidth": e.bandwidth,
            "CreateTime": e.create_time.to_string(),
        });
        w.privatelink.insert_endpoint(e);
        v
    }
}

/// The service-managed ENI of a planned endpoint zone (address validated by the plan).
fn zone_eni(w: &mut World, e: &Endpoint, z: &PlannedZone, now: Timestamp) -> Option<String> {
    let ctx = OpCtx::new(&e.owner_uid, &e.region_id, now);
    let net = NetRefs {
        vpcs: &w.vpcs,
        vswitches: &w.vswitches,
    };
    create_service_eni(
        &mut w.ecs,
        &net,
        &mut w.ids,
        &ctx,
        &CreateServiceEni {
            vswitch_id: z.vswitch_id.clone(),
            private_ip: Some(z.ip.to_string()),
            security_group_ids: e.security_group_ids.clone(),
            service_owner: format!("privatelink:{}:{}", e.endpoint_id, z.zone_id),
        },
    )
    .ok()
}

/// Allocates a resource to every zone without one (§4.5).
fn allocate_zones(svc: &EndpointService, zones: &mut [PlannedZone], cross: bool) {
    let mut order: Vec<usize> = (0..zones.len()).collect();
    order.sort_by(|a, b| zones[*a].zone_id.cmp(&zones[*b].zone_id));
    let mut extra: BTreeMap<String, u32> = BTreeMap::new();
    for (rank, i) in order.into_iter().enumerate() {
        if zones[i].resource.is_some() {
            continue;
        }
        if let Some(r) = allocate(svc, &zones[i].zone_id, cross.then_some(rank), &extra) {
            *extra.entry(r.key()).or_default() += 1;
            zones[i].resource = Some(r.key());
        }
    }
}

/// Adds `delta` (±1) to `RelatedEndpointCount` of every row allocated to `e`'s zones.
fn count_allocations(w: &mut World, e: &Endpoint, delta: i64) {
    count_zone_allocations(w, &e.service_id, &e.zones, delta);
}

/// Adds `delta` (±1) to `RelatedEndpointCount` of every row of service `service_id`
/// allocated to `zones`.
fn count_zone_allocations(w: &mut World, service_id: &str, zones: &[EndpointZone], delta: i64) {
    let Some(s) = w.privatelink.services.get_mut(service_id) else {
        return;
    };
    // A zone in migration relates to both rows: the old one still carries the old ENI's traffic.
    for key in zones
        .iter()
        .flat_map(|z| z.resource_id.iter().chain(&z.replaced_resource_id))
    {
        {
            if let Some(r) = s.resources.iter_mut().find(|r| r.has_key(key)) {
                r.related_endpoint_count =
                    (i64::from(r.related_endpoint_count) + delta).max(0) as u32;
            }
        }
    }
}

// ---- connections (provider) ---------------------------------------------------------------

/// Enable/DisableVpcEndpointConnection parameters (§4.3.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionParams {
    /// `RegionId`.
    pub region_id: String,
    /// `ServiceId`.
    pub service_id: String,
    /// `EndpointId`.
    pub endpoint_id: String,
    /// `Bandwidth` (Enable only).
    pub bandwidth: Option<i64>,
    /// `DryRun`.
    pub dry_run: bool,
    /// `ClientToken`.
    pub client_token: Option<String>,
}

impl ConnectionParams {
    fn decode(p: &Params<'_>, with_bandwidth: bool) -> Result<Self, CloudError> {
        Ok(ConnectionParams {
            region_id: p.req_str("RegionId")?,
            service_id: p.req_str("ServiceId")?,
            endpoint_id: p.req_str("EndpointId")?,
            bandwidth: if with_bandwidth {
                p.opt_i64("Bandwidth")?
            } else {
                None
            },
            dry_run: p.flag("DryRun")?,
            client_token: p.client_token()?,
        })
    }

    /// Checks #1–#4 of §4.3.4: the service, the connection, no transition, endpoint `Active`.
    fn checked<'w>(
        &self,
        w: &'w World,
        ctx: &CallContext,
    ) -> Result<(&'w EndpointService, &'w Endpoint), CloudError> {
        let s = own_service(w, ctx, &self.region_id, &self.service_id)?;
        let e = connection(w, s, &self.endpoint_id)?;
        if matches!(
            e.connection_status.as_str(),
            "Connecting" | "Disconnecting" | "Pending"
        ) {
            return Err(bad(
                "EndpointConnectionOperationDenied",
                "The endpoint is being connected.",
            ));
        }
        if e.status != "Active" {
            return Err(bad(
                "EndpointOperationDenied",
                format!("The endpoint {} is {}.", e.endpoint_id, e.status),
            ));
        }
        Ok((s, e))
    }
}

/// The new zones of a connection change, and the endpoint's new connection fields.
#[derive(Debug, Clone)]
pub struct ConnectionPlan {
    pub(super) endpoint_id: String,
    pub(super) connection_status: String,
    pub(super) bandwidth: Option<u32>,
    pub(super) zones: Vec<EndpointZone>,
}

/// Applies a connection plan: releases the old allocations, records the new ones.
pub(super) fn apply_connection(w: &mut World, plan: ConnectionPlan) -> Value {
    let Some(old) = w.privatelink.endpoints.get(&plan.endpoint_id).cloned() else {
        return json!({});
    };
    count_allocations(w, &old, -1);
    let mut new = old.clone();
    new.connection_status = plan.connection_status;
    new.bandwidth = plan.bandwidth;
    new.zones = plan.zones;
    // A graceful replacement planned a new ENI (empty id, address chosen by the plan).
    let now = w.now();
    for i in 0..new.zones.len() {
        if new.zones[i].eni_id.is_empty() {
            let z = &new.zones[i];
            let planned = PlannedZone {
                zone_id: z.zone_id.clone(),
                vswitch_id: z.vswitch_id.clone(),
                ip: z.eni_ip,
                resource: None,
            };
            new.zones[i].eni_id = zone_eni(w, &new, &planned, now).unwrap_or_default();
        }
    }
    // ENIs the new zones no longer hold (the old ENI of a finished or abandoned migration).
    for z in &old.zones {
        for eni in std::iter::once(&z.eni_id).chain(&z.replaced_eni_id) {
            let kept = new.zones.iter().any(|n| {
                n.zone_id == z.zone_id
                    && (n.eni_id == *eni || n.replaced_eni_id.as_ref() == Some(eni))
            });
            if !kept {
                let owner = format!("privatelink:{}:{}", old.endpoint_id, z.zone_id);
                let _ = delete_service_eni(&mut w.ecs, eni, &owner);
            }
        }
    }
    count_allocations(w, &new, 1);
    w.privatelink.endpoints.insert(new.endpoint_id.clone(), new);
    json!({})
}

/// Zones of `e` with resources allocated to the listed ones (`which`: all when `None`),
/// marked `Connected`; `Err` when a zone has nothing to allocate (same-region).
fn connect_zones(
    svc: &EndpointService,
    e: &Endpoint,
    which: Option<&str>,
) -> Result<Vec<EndpointZone>, CloudError> {
    let cross = e.region_id != svc.region_id;
    let mut planned: Vec<PlannedZone> = e
        .zones
        .iter()
        .map(|z| PlannedZone {
            zone_id: z.zone_id.clone(),
            vswitch_id: z.vswitch_id.clone(),
            ip: z.eni_ip,
            // A manual choice (§4.3.10 case A) wins over auto allocation when still attached.
            resource: if which.is_none_or(|w| w == z.zone_id) {
                z.manual_resource_id
                    .clone()
                    .filter(|k| svc.resources.iter().any(|r| r.has_key(k)))
            } else {
                z.resource_id.clone()
            },
        })
        .collect();
    allocate_zones(svc, &mut planned, cross);
    let mut out = Vec::new();
    for (z, p) in e.zones.iter().zip(planned) {
        let target = which.is_none_or(|w| w == z.zone_id);
        if target && p.resource.is_none() {
            return Err(bad(
                "OperationDenied.NoAvailableServiceResource",
                format!("No service resource can serve zone {}.", z.zone_id),
            ));
        }
        out.push(EndpointZone {
            status: if target {
                "Connected".into()
            } else {
                z.status.clone()
            },
            resource_id: p.resource,
            ..z.clone()
        });
    }
    Ok(out)
}

/// EnableVpcEndpointConnection (§4.3.4): Z3.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnableVpcEndpointConnection(pub ConnectionParams);

/// DisableVpcEndpointConnection (§4.3.4): Z4.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisableVpcEndpointConnection(pub ConnectionParams);

macro_rules! connection_common {
    () => {
        fn region(&self) -> Option<&str> {
            Some(&self.0.region_id)
        }
        fn dry_run(&self) -> bool {
            self.0.dry_run
        }
        fn client_token(&self) -> Option<&str> {
            self.0.client_token.as_deref()
        }
        fn authorize(
            &self,
            w: &World,
            ctx: &CallContext,
            _now: Timestamp,
            _keys: &mut BTreeMap<String, String>,
        ) -> Result<Vec<String>, CloudError> {
            w.known_region(&self.0.region_id)?;
            Ok(vec![service_arn(
                &self.0.region_id,
                &ctx.caller_account,
                &self.0.service_id,
            )])
        }
    };
}

impl CloudApi for EnableVpcEndpointConnection {
    const DECL: ApiDecl = PRODUCT
        .api(
            "EnableVpcEndpointConnection",
            "privatelink:EnableVpcEndpointConnection",
            Update,
        )
        .names(&["EndpointId"])
        .resource_type("ACS::PrivateLink::VpcEndpoint")
        .params(&[
            req("RegionId", Str),
            req("ServiceId", Str),
            req("EndpointId", Str),
            opt("Bandwidth", Int),
            opt("DryRun", Bool),
            opt("ClientToken", Str),
        ])
        .resources(&["acs:privatelink:{region}:{account}:vpcendpointservice/{ServiceId}"]);
    type Plan = Option<ConnectionPlan>;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(EnableVpcEndpointConnection(ConnectionParams::decode(
            p, true,
        )?))
    }
    connection_common!();
    fn plan(
        &self,
        w: &World,
        ctx: &CallContext,
        _now: Timestamp,
    ) -> Result<Self::Plan, CloudError> {
        let (s, e) = self.0.checked(w, ctx)?;
        let bandwidth = match self.0.bandwidth {
            None => e.bandwidth,
            Some(b) => {
                let (lo, hi) = bandwidth_range(&s.resource_type);
                if b < i64::from(lo) || b > i64::from(hi) {
                    return Err(bad(
                        "IllegalParam.Bandwidth",
                        format!("Bandwidth must be between {lo} and {hi} Mbit/s."),
                    ));
                }
                Some(b as u32)
            }
        };
        match e.connection_status.as_str() {
            // ASSUMED: enabling a connected endpoint changes nothing (but the bandwidth).
            "Connected" => {
                if self.0.dry_run {
                    return Err(CloudError::dry_run());
                }
                return Ok(Some(ConnectionPlan {
                    endpoint_id: e.endpoint_id.clone(),
                    connection_status: e.connection_status.clone(),
                    bandwidth,
                    zones: e.zones.clone(),
                }));
            }
            "Disconnected" => {}
            other => {
                return Err(bad(
                    "EndpointConnectionOperationDenied",
                    format!("The connection is {other}."),
                ))
            }
        }
        let zones = connect_zones(s, e, None)?;
        if self.0.dry_run {
            return Err(CloudError::dry_run());
        }
        Ok(Some(ConnectionPlan {
            endpoint_id: e.endpoint_id.clone(),
            connection_status: "Connected".into(),
            bandwidth,
            zones,
        }))
    }
    fn apply(w: &mut World, _now: Timestamp, plan: Self::Plan) -> Value {
        match plan {
            Some(p) => apply_connection(w, p),
            None => json!({}),
        }
    }
}

impl CloudApi for DisableVpcEndpointConnection {
    const DECL: ApiDecl = PRODUCT
        .api(
            "DisableVpcEndpointConnection",
            "privatelink:DisableVpcEndpointConnection",
            Update,
        )
        .names(&["EndpointId"])
        .resource_type("ACS::PrivateLink::VpcEndpoint")
        .params(&[
            req("RegionId", Str),
            req("ServiceId", Str),
            req("EndpointId", Str),
            opt("DryRun", Bool),
            opt("ClientToken", Str),
        ])
        .resources(&["acs:privatelink:{region}:{account}:vpcendpointservice/{ServiceId}"]);
    type Plan = ConnectionPlan;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(DisableVpcEndpointConnection(ConnectionParams::decode(
            p, false,
        )?))
    }
    connection_common!();
    fn plan(
        &self,
        w: &World,
        ctx: &CallContext,
        _now: Timestamp,
    ) -> Result<Self::Plan, CloudError> {
        let (_, e) = self.0.checked(w, ctx)?;
        if e.connection_status != "Connected" {
            return Err(bad(
                "EndpointConnectionOperationDenied",
                format!("The connection is {}.", e.connection_status),
            ));
        }
        if self.0.dry_run {
            return Err(CloudError::dry_run());
        }
        Ok(ConnectionPlan {
            endpoint_id: e.endpoint_id.clone(),
            connection_status: "Disconnected".into(),
            bandwidth: e.bandwidth,
            zones: e
                .zones
                .iter()
                .map(|z| EndpointZone {
                    status: "Disconnected".into(),
                    resource_id: None,
                    // a migration in progress ends with the connection (its old ENI goes)
                    replaced_resource_id: None,
                    replaced_eni_id: None,
                    replaced_eni_ip: None,
                    ..z.clone()
                })
                .collect(),
        })
    }
    fn apply(w: &mut World, _now: Timestamp, plan: Self::Plan) -> Value {
        apply_connection(w, plan)
    }
}

/// Enable/DisableVpcEndpointZoneConnection parameters (§4.3.5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZoneConnectionParams {
    /// `RegionId`.
    pub region_id: String,
    /// `ServiceId`.
    pub service_id: String,
    /// `EndpointId`.
    pub endpoint_id: String,
    /// `ZoneId`.
    pub zone_id: String,
    /// `ReplacedResource` (Disable only, default false): drop the replaced resource of a
    /// migrated zone (Z7) instead of disconnecting the zone (Z6).
    pub replaced_resource: bool,
    /// `DryRun`.
    pub dry_run: bool,
    /// `ClientToken`.
    pub client_token: Option<String>,
}

impl ZoneConnectionParams {
    fn decode(p: &Params<'_>, disable: bool) -> Result<Self, CloudError> {
        Ok(ZoneConnectionParams {
            region_id: p.req_str("RegionId")?,
            service_id: p.req_str("ServiceId")?,
            endpoint_id: p.req_str("EndpointId")?,
            zone_id: p.req_str("ZoneId")?,
            replaced_resource: disable && p.flag("ReplacedResource")?,
            dry_run: p.flag("DryRun")?,
            client_token: p.client_token()?,
        })
    }

    /// The service, endpoint and zone, with the 404 codes of §4.3.5; the connection must be
    /// `Connected`.
    fn checked<'w>(
        &self,
        w: &'w World,
        ctx: &CallContext,
    ) -> Result<(&'w EndpointService, &'w Endpoint, &'w EndpointZone), CloudError> {
        let nf = |what: &str, id: &str| {
            CloudError::not_found(
                format!("ResourceNotFound.{what}"),
                format!("The {what} {id} is not found."),
            )
        };
        let s = w
            .privatelink
            .services
            .get(&self.service_id)
            .filter(|s| s.region_id == self.region_id && s.owner_uid == ctx.caller_account)
            .ok_or_else(|| nf("VpcEndpointService", &self.service_id))?;
        let e = w
            .privatelink
            .endpoints
            .get(&self.endpoint_id)
            .ok_or_else(|| nf("VpcEndpoint", &self.endpoint_id))?;
        if e.service_id != s.service_id {
            return Err(nf("VpcEndpointConnection", &self.endpoint_id));
        }
        let z = e
            .zones
            .iter()
            .find(|z| z.zone_id == self.zone_id)
            .ok_or_else(|| nf("VpcEndpointZone", &self.zone_id))?;
        if s.status != "Active" {
            return Err(bad(
                "IncorrectStatus.VpcEndpointService",
                "The service is not Active.",
            ));
        }
        if e.status != "Active" {
            return Err(bad(
                "IncorrectStatus.VpcEndpoint",
                "The endpoint is not Active.",
            ));
        }
        if e.connection_status != "Connected" {
            return Err(bad(
                "IncorrectStatus.VpcEndpointConnection",
                format!("The connection is {}.", e.connection_status),
            ));
        }
        Ok((s, e, z))
    }
}

/// EnableVpcEndpointZoneConnection (§4.3.5): Z5.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnableVpcEndpointZoneConnection(pub ZoneConnectionParams);

/// DisableVpcEndpointZoneConnection (§4.3.5): Z6.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisableVpcEndpointZoneConnection(pub ZoneConnectionParams);

const ZONE_CONNECTION_PARAMS: &[crate::cloud::declare::Param] = &[
    req("RegionId", Str),
    req("ServiceId", Str),
    req("EndpointId", Str),
    req("ZoneId", Str),
    opt("DryRun", Bool),
    opt("ClientToken", Str),
];

const DISABLE_ZONE_CONNECTION_PARAMS: &[crate::cloud::declare::Param] = &[
    req("RegionId", Str),
    req("ServiceId", Str),
    req("EndpointId", Str),
    req("ZoneId", Str),
    opt("ReplacedResource", Bool),
    opt("DryRun", Bool),
    opt("ClientToken", Str),
];

impl CloudApi for EnableVpcEndpointZoneConnection {
    const DECL: ApiDecl = PRODUCT
        .api(
            "EnableVpcEndpointZoneConnection",
            "privatelink:EnableVpcEndpointZoneConnection",
            Update,
        )
        .names(&["EndpointId"])
        .resource_type("ACS::PrivateLink::VpcEndpoint")
        .params(ZONE_CONNECTION_PARAMS)
        .resources(&["acs:privatelink:{region}:{account}:vpcendpointservice/{ServiceId}"]);
    type Plan = ConnectionPlan;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(EnableVpcEndpointZoneConnection(
            ZoneConnectionParams::decode(p, false)?,
        ))
    }
    connection_common!();
    fn plan(
        &self,
        w: &World,
        ctx: &CallContext,
        _now: Timestamp,
    ) -> Result<Self::Plan, CloudError> {
        let (s, e, z) = self.0.checked(w, ctx)?;
        if z.status != "Disconnected" {
            return Err(bad(
                "IncorrectStatus.VpcEndpointZone",
                format!("The zone connection is {}.", z.status),
            ));
        }
        let zones = connect_zones(s, e, Some(&z.zone_id))?;
        if self.0.dry_run {
            return Err(CloudError::dry_run());
        }
        Ok(ConnectionPlan {
            endpoint_id: e.endpoint_id.clone(),
            connection_status: e.connection_status.clone(),
            bandwidth: e.bandwidth,
            zones,
        })
    }
    fn apply(w: &mut World, _now: Timestamp, plan: Self::Plan) -> Value {
        apply_connection(w, plan)
    }
}

impl CloudApi for DisableVpcEndpointZoneConnection {
    const DECL: ApiDecl = PRODUCT
        .api(
            "DisableVpcEndpointZoneConnection",
            "privatelink:DisableVpcEndpointZoneConnection",
            Update,
        )
        .names(&["EndpointId"])
        .resource_type("ACS::PrivateLink::VpcEndpoint")
        .params(DISABLE_ZONE_CONNECTION_PARAMS)
        .resources(&["acs:privatelink:{region}:{account}:vpcendpointservice/{ServiceId}"]);
    type Plan = ConnectionPlan;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(DisableVpcEndpointZoneConnection(
            ZoneConnectionParams::decode(p, true)?,
        ))
    }
    connection_common!();
    fn plan(
        &self,
        w: &World,
        ctx: &CallContext,
        _now: Timestamp,
    ) -> Result<Self::Plan, CloudError> {
        let (_, e, z) = self.0.checked(w, ctx)?;
        if !matches!(z.status.as_str(), "Connected" | "Migrated") {
            return Err(bad(
                "IncorrectStatus.VpcEndpointZone",
                format!("The zone connection is {}.", z.status),
            ));
        }
        // Z7: only a migrated zone has a replaced resource to drop (ASSUMED code otherwise).
        if self.0.replaced_resource && z.status != "Migrated" {
            return Err(bad(
                "IncorrectStatus.VpcEndpointZone",
                format!(
                    "The zone connection is {}: it has no replaced resource.",
                    z.status
                ),
            ));
        }
        if self.0.dry_run {
            return Err(CloudError::dry_run());
        }
        let changed = if self.0.replaced_resource {
            // Z7: the old ENI is deleted, `Replaced*` cleared, the zone `Connected`.
            EndpointZone {
                status: "Connected".into(),
                replaced_resource_id: None,
                replaced_eni_id: None,
                replaced_eni_ip: None,
                ..z.clone()
            }
        } else {
            // Z6: the zone is disconnected; a migration in progress is abandoned with it (the
            // old ENI is deleted too, ASSUMED).
            EndpointZone {
                status: "Disconnected".into(),
                resource_id: None,
                replaced_resource_id: None,
                replaced_eni_id: None,
                replaced_eni_ip: None,
                ..z.clone()
            }
        };
        Ok(ConnectionPlan {
            endpoint_id: e.endpoint_id.clone(),
            connection_status: e.connection_status.clone(),
            bandwidth: e.bandwidth,
            zones: e
                .zones
                .iter()
                .map(|x| {
                    if x.zone_id == z.zone_id {
                        changed.clone()
                    } else {
                        x.clone()
                    }
                })
                .collect(),
        })
    }
    fn apply(w: &mut World, _now: Timestamp, plan: Self::Plan) -> Value {
        apply_connection(w, plan)
    }
}

// ---- service changes ----------------------------------------------------------------------

/// AttachResourceToVpcEndpointService (§4.3.6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachResourceToVpcEndpointService {
    /// `RegionId`.
    pub region_id: String,
    /// `ServiceId`.
    pub service_id: String,
    /// `ResourceType`.
    pub resource_type: String,
    /// `ResourceId`.
    pub resource_id: String,
    /// `ZoneId`.
    pub zone_id: Option<String>,
    /// `DryRun`.
    pub dry_run: bool,
    /// `ClientToken`.
    pub client_token: Option<String>,
}

/// A service's new resource list.
#[derive(Debug, Clone)]
pub struct ResourcesPlan {
    service_id: String,
    resources: Vec<ServiceResource>,
}

impl CloudApi for AttachResourceToVpcEndpointService {
    const DECL: ApiDecl = PRODUCT
        .api(
            "AttachResourceToVpcEndpointService",
            "privatelink:AttachResourceToVpcEndpointService",
            Update,
        )
        .names(&["ServiceId"])
        .resource_type("ACS::PrivateLink::VpcEndpointService")
        .params(&[
            req("RegionId", Str),
            req("ServiceId", Str),
            req("ResourceType", Str),
            req("ResourceId", Str),
            opt("ZoneId", Str),
            opt("DryRun", Bool),
            opt("ClientToken", Str),
        ])
        .resources(&[
            "acs:privatelink:{region}:{account}:vpcendpointservice/{ServiceId}",
            "acs:nlb:{region}:{account}:loadbalancer/{ResourceId}",
        ]);
    type Plan = ResourcesPlan;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(AttachResourceToVpcEndpointService {
            region_id: p.req_str("RegionId")?,
            service_id: p.req_str("ServiceId")?,
            resource_type: p.req_str("ResourceType")?,
            resource_id: p.req_str("ResourceId")?,
            zone_id: p.opt_str("ZoneId")?,
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
        let (r, a) = (self.region_id.as_str(), ctx.caller_account.as_str());
        let mut out = vec![service_arn(r, a, &self.service_id)];
        if matches!(self.resource_type.as_str(), "slb" | "alb" | "nlb") {
            out.push(format!(
                "acs:{}:{r}:{a}:loadbalancer/{}",
                self.resource_type, self.resource_id
            ));
        }
        Ok(out)
    }
    fn plan(
        &self,
        w: &World,
        ctx: &CallContext,
        _now: Timestamp,
    ) -> Result<Self::Plan, CloudError> {
        let s = own_service(w, ctx, &self.region_id, &self.service_id)?;
        require_active(s)?;
        if !matches!(self.resource_type.as_str(), "slb" | "alb" | "nlb") {
            return Err(bad(
                "EndpointServiceResourceTypeNotSupport",
                format!("The resource type {} is not supported.", self.resource_type),
            ));
        }
        if self.resource_type != s.resource_type {
            return Err(bad(
                "EndpointServiceResourceTypeNotEqual",
                format!("The service takes {} resources.", s.resource_type),
            ));
        }
        let mut resources = s.resources.clone();
        for row in resource_rows(
            w,
            ctx,
            &self.region_id,
            &self.resource_type,
            &self.resource_id,
            self.zone_id.as_deref(),
        )? {
            if resources.iter().any(|r| r.key() == row.key()) {
                return Err(bad(
                    "EndpointServiceResourceExist",
                    format!(
                        "{} is already attached in zone {}.",
                        row.resource_id, row.zone_id
                    ),
                ));
            }
            if s.address_ip_version == "DualStack" && !dual_stack(w, &row) {
                return Err(bad(
                    "ServiceResourceNotSupportIpv6",
                    format!("The resource {} does not support IPv6.", row.resource_id),
                ));
            }
            resources.push(row);
        }
        if resources.len() > MAX_RESOURCES {
            return Err(bad("QuotaMisMatched", "At most 20 resources per service."));
        }
        if s.supported_regions.len() > 1 {
            check_cross_region(&s.resource_type, &resources)?;
        }
        if self.dry_run {
            return Err(CloudError::dry_run());
        }
        Ok(ResourcesPlan {
            service_id: s.service_id.clone(),
            resources,
        })
    }
    fn apply(w: &mut World, _now: Timestamp, plan: Self::Plan) -> Value {
        if let Some(s) = w.privatelink.services.get_mut(&plan.service_id) {
            s.resources = plan.resources;
        }
        json!({})
    }
}

/// DetachResourceFromVpcEndpointService (§4.3.6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DetachResourceFromVpcEndpointService {
    /// `RegionId`.
    pub region_id: String,
    /// `ServiceId`.
    pub service_id: String,
    /// `ResourceId`.
    pub resource_id: String,
    /// `ResourceType`.
    pub resource_type: Option<String>,
    /// `ZoneId` (all rows of the resource when absent).
    pub zone_id: Option<String>,
    /// `DryRun`.
    pub dry_run: bool,
    /// `ClientToken`.
    pub client_token: Option<String>,
}

impl CloudApi for DetachResourceFromVpcEndpointService {
    const DECL: ApiDecl = PRODUCT
        .api(
            "DetachResourceFromVpcEndpointService",
            "privatelink:DetachResourceFromVpcEndpointService",
            Update,
        )
        .names(&["ServiceId"])
        .resource_type("ACS::PrivateLink::VpcEndpointService")
        .params(&[
            req("RegionId", Str),
            req("ServiceId", Str),
            req("ResourceId", Str),
            opt("ResourceType", Str),
            opt("ZoneId", Str),
            opt("DryRun", Bool),
            opt("ClientToken", Str),
        ])
        .resources(&["acs:privatelink:{region}:{account}:vpcendpointservice/{ServiceId}"]);
    type Plan = ResourcesPlan;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(DetachResourceFromVpcEndpointService {
            region_id: p.req_str("RegionId")?,
            service_id: p.req_str("ServiceId")?,
            resource_id: p.req_str("ResourceId")?,
            resource_type: p.opt_str("ResourceType")?,
            zone_id: p.opt_str("ZoneId")?,
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
        let s = own_service(w, ctx, &self.region_id, &self.service_id)?;
        require_active(s)?;
        let hit = |r: &ServiceResource| {
            r.resource_id == self.resource_id
                && self.zone_id.as_ref().is_none_or(|z| *z == r.zone_id)
        };
        let removed: Vec<&ServiceResource> = s.resources.iter().filter(|r| hit(r)).collect();
        if removed.is_empty() {
            return Err(bad(
                "EndpointServiceResourceNotFound",
                format!("{} is not attached to the service.", self.resource_id),
            ));
        }
        // No endpoint zone may still be served by a removed row (§4.3.6; S2-N5 names the
        // code, whether or not the connection is up).
        for e in w
            .privatelink
            .endpoints
            .values()
            .filter(|e| e.service_id == s.service_id)
        {
            for z in &e.zones {
                // the replaced row of a migrating zone still serves its old ENI
                let bound = z
                    .resource_id
                    .iter()
                    .chain(&z.replaced_resource_id)
                    .any(|k| removed.iter().any(|r| r.has_key(k)));
                if bound && z.status != "Disconnected" {
                    return Err(bad(
                        "EndpointServiceResourceCannotRemove",
                        format!(
                            "Zone {} of endpoint {} is still served by {}; disconnect it first.",
                            z.zone_id, e.endpoint_id, self.resource_id
                        ),
                    ));
                }
            }
        }
        if self.dry_run {
            return Err(CloudError::dry_run());
        }
        Ok(ResourcesPlan {
            service_id: s.service_id.clone(),
            resources: s.resources.iter().filter(|r| !hit(r)).cloned().collect(),
        })
    }
    fn apply(w: &mut World, _now: Timestamp, plan: Self::Plan) -> Value {
        if let Some(s) = w.privatelink.services.get_mut(&plan.service_id) {
            s.resources = plan.resources;
        }
        json!({})
    }
}

/// UpdateVpcEndpointServiceAttribute (§4.3.7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateVpcEndpointServiceAttribute {
    /// `RegionId`.
    pub region_id: String,
    /// `ServiceId`.
    pub service_id: String,
    /// `ServiceDescription`.
    pub service_description: Option<String>,
    /// `AutoAcceptEnabled`.
    pub auto_accept_enabled: Option<bool>,
    /// `ConnectBandwidth`.
    pub connect_bandwidth: Option<i64>,
    /// `ZoneAffinityEnabled`.
    pub zone_affinity_enabled: Option<bool>,
    /// `AddSupportedRegionSet.N`.
    pub add_supported_region_set: Vec<String>,
    /// `DeleteSupportedRegionSet.N`.
    pub delete_supported_region_set: Vec<String>,
    /// `DryRun`.
    pub dry_run: bool,
    /// `ClientToken`.
    pub client_token: Option<String>,
}

impl CloudApi for UpdateVpcEndpointServiceAttribute {
    const DECL: ApiDecl = PRODUCT
        .api(
            "UpdateVpcEndpointServiceAttribute",
            "privatelink:UpdateVpcEndpointServiceAttribute",
            Update,
        )
        .names(&["ServiceId"])
        .resource_type("ACS::PrivateLink::VpcEndpointService")
        .params(&[
            req("RegionId", Str),
            req("ServiceId", Str),
            opt("ServiceDescription", Str),
            opt("AutoAcceptEnabled", Bool),
            opt("ConnectBandwidth", Int),
            opt("ZoneAffinityEnabled", Bool),
            opt("AddSupportedRegionSet.N", Str),
            opt("DeleteSupportedRegionSet.N", Str),
            opt("DryRun", Bool),
            opt("ClientToken", Str),
        ])
        .resources(&["acs:privatelink:{region}:{account}:vpcendpointservice/{ServiceId}"]);
    type Plan = EndpointService;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(UpdateVpcEndpointServiceAttribute {
            region_id: p.req_str("RegionId")?,
            service_id: p.req_str("ServiceId")?,
            service_description: p.opt_str("ServiceDescription")?,
            auto_accept_enabled: p.opt_bool("AutoAcceptEnabled")?,
            connect_bandwidth: p.opt_i64("ConnectBandwidth")?,
            zone_affinity_enabled: p.opt_bool("ZoneAffinityEnabled")?,
            add_supported_region_set: p.list_str("AddSupportedRegionSet")?,
            delete_supported_region_set: p.list_str("DeleteSupportedRegionSet")?,
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
        let s = own_service(w, ctx, &self.region_id, &self.service_id)?;
        require_active(s)?;
        check_description(self.service_description.as_deref(), "ServiceDescription")?;
        let mut new = s.clone();
        if let Some(b) = self.connect_bandwidth {
            if s.resource_type != "slb" {
                return Err(bad(
                    "UpdateBandWidthUnSupported",
                    "Only CLB endpoint services have a default connection bandwidth.",
                ));
            }
            if !(100..=10240).contains(&b) {
                return Err(bad(
                    "IllegalParam.ConnectBandwidth",
                    "ConnectBandwidth must be 100–10240.",
                ));
            }
            new.connect_bandwidth = Some(b as u32);
        }
        if let Some(d) = &self.service_description {
            new.description = d.clone();
        }
        if let Some(a) = self.auto_accept_enabled {
            new.auto_accept = a;
        }
        if let Some(z) = self.zone_affinity_enabled {
            new.zone_affinity = z;
        }
        for r in &self.delete_supported_region_set {
            if *r == s.region_id {
                return Err(bad(
                    "OperationDenied.HomeRegionCannotBeRemoved",
                    "The home region of a service cannot be removed.",
                ));
            }
            new.supported_regions.remove(r);
        }
        for r in &self.add_supported_region_set {
            let info = w.known_region(r)?;
            if !info.privatelink {
                return Err(bad(
                    "UnsupportedRegion",
                    format!("PrivateLink is not available in {r}."),
                ));
            }
            new.supported_regions.insert(r.clone());
        }
        if new.supported_regions.len() > 1 && !self.add_supported_region_set.is_empty() {
            check_cross_region(&s.resource_type, &s.resources)?;
        }
        if self.dry_run {
            return Err(CloudError::dry_run());
        }
        Ok(new)
    }
    fn apply(w: &mut World, _now: Timestamp, s: Self::Plan) -> Value {
        w.privatelink.services.insert(s.service_id.clone(), s);
        json!({})
    }
}

/// DeleteVpcEndpointService (§4.3.12).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteVpcEndpointService {
    /// `RegionId`.
    pub region_id: String,
    /// `ServiceId`.
    pub service_id: String,
    /// `DryRun`.
    pub dry_run: bool,
    /// `ClientToken`.
    pub client_token: Option<String>,
}

impl CloudApi for DeleteVpcEndpointService {
    const DECL: ApiDecl = PRODUCT
        .api(
            "DeleteVpcEndpointService",
            "privatelink:DeleteVpcEndpointService",
            Delete,
        )
        .names(&["ServiceId"])
        .resource_type("ACS::PrivateLink::VpcEndpointService")
        .params(&[
            req("RegionId", Str),
            req("ServiceId", Str),
            opt("DryRun", Bool),
            opt("ClientToken", Str),
        ])
        .resources(&["acs:privatelink:{region}:{account}:vpcendpointservice/{ServiceId}"]);
    type Plan = String;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(DeleteVpcEndpointService {
            region_id: p.req_str("RegionId")?,
            service_id: p.req_str("ServiceId")?,
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
    fn plan(&self, w: &World, ctx: &CallContext, _now: Timestamp) -> Result<String, CloudError> {
        let s = own_service(w, ctx, &self.region_id, &self.service_id)?;
        require_active(s)?;
        let busy = w.privatelink.endpoints.values().any(|e| {
            e.service_id == s.service_id
                && (matches!(
                    e.connection_status.as_str(),
                    "Connecting" | "Connected" | "Disconnecting"
                ) || e
                    .zones
                    .iter()
                    .any(|z| matches!(z.status.as_str(), "Connected" | "Migrated")))
        });
        if busy {
            return Err(bad(
                "EndpointServiceConnectionDependence",
                "You cannot delete EndpointService with Endpoint connected.",
            ));
        }
        if !s.resources.is_empty() {
            return Err(bad(
                "EndpointServiceDependenceViolation",
                "Detach every resource before deleting the endpoint service.",
            ));
        }
        if self.dry_run {
            return Err(CloudError::dry_run());
        }
        Ok(s.service_id.clone())
    }
    fn apply(w: &mut World, _now: Timestamp, id: String) -> Value {
        w.privatelink.services.remove(&id);
        // Z11: endpoints still pointing at it.
        for e in w
            .privatelink
            .endpoints
            .values_mut()
            .filter(|e| e.service_id == id)
        {
            e.connection_status = "ServiceDeleted".into();
            for z in &mut e.zones {
                z.status = "Disconnected".into();
                z.resource_id = None;
            }
        }
        json!({})
    }
}

// ---- endpoint changes (consumer) ----------------------------------------------------------

/// AddZoneToVpcEndpoint (§4.3.11): Z9.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddZoneToVpcEndpoint {
    /// `RegionId`.
    pub region_id: String,
    /// `EndpointId`.
    pub endpoint_id: String,
    /// `ZoneId`.
    pub zone_id: String,
    /// `VSwitchId`.
    pub vswitch_id: String,
    /// `ip`.
    pub ip: Option<String>,
    /// `DryRun`.
    pub dry_run: bool,
    /// `ClientToken`.
    pub client_token: Option<String>,
}

impl CloudApi for AddZoneToVpcEndpoint {
    const DECL: ApiDecl = PRODUCT
        .api(
            "AddZoneToVpcEndpoint",
            "privatelink:AddZoneToVpcEndpoint",
            Update,
        )
        .names(&["EndpointId"])
        .resource_type("ACS::PrivateLink::VpcEndpoint")
        .params(&[
            req("RegionId", Str),
            req("EndpointId", Str),
            req("ZoneId", Str),
            req("VSwitchId", Str),
            opt("ip", Str),
            opt("DryRun", Bool),
            opt("ClientToken", Str),
        ])
        .resources(&[
            "acs:privatelink:{region}:{account}:vpcendpoint/{EndpointId}",
            "acs:vpc:{region}:{account}:vswitch/{VSwitchId}",
        ]);
    type Plan = (String, PlannedZone);

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(AddZoneToVpcEndpoint {
            region_id: p.req_str("RegionId")?,
            endpoint_id: p.req_str("EndpointId")?,
            zone_id: p.req_str("ZoneId")?,
            vswitch_id: p.req_str("VSwitchId")?,
            ip: p.opt_str("ip")?,
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
        let (r, a) = (self.region_id.as_str(), ctx.caller_account.as_str());
        Ok(vec![
            endpoint_arn(r, a, &self.endpoint_id),
            format!("acs:vpc:{r}:{a}:vswitch/{}", self.vswitch_id),
        ])
    }
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Self::Plan, CloudError> {
        let e = own_endpoint(w, ctx, &self.region_id, &self.endpoint_id)?;
        if e.status != "Active" {
            return Err(bad(
                "EndpointOperationDenied",
                "The endpoint is not Active.",
            ));
        }
        if e.zones.iter().any(|z| z.zone_id == self.zone_id) {
            return Err(bad(
                "EndpointZoneDuplicated",
                format!("The zone {} is already used.", self.zone_id),
            ));
        }
        if e.zones.len() >= MAX_ENDPOINT_ZONES {
            return Err(bad("QuotaMisMatched", "At most 10 zones per endpoint."));
        }
        let svc = w.privatelink.services.get(&e.service_id);
        let cross = e.region_id != e.service_region_id;
        if !cross && svc.is_none_or(|s| !s.zones().contains(self.zone_id.as_str())) {
            return Err(bad(
                "EndpointServiceNotSupportedZone",
                format!(
                    "The endpoint service has no resource in zone {}.",
                    self.zone_id
                ),
            ));
        }
        let zp = ZoneParam {
            zone_id: self.zone_id.clone(),
            vswitch_id: self.vswitch_id.clone(),
            ip: self.ip.clone(),
        };
        let (vswitch_id, ip) = plan_zone(w, ctx, &e.vpc_id, &zp, now)?;
        if self.dry_run {
            return Err(CloudError::dry_run());
        }
        let mut zone = PlannedZone {
            zone_id: self.zone_id.clone(),
            vswitch_id,
            ip,
            resource: None,
        };
        // Z9: allocated at once when the connection is up and the service auto-accepts.
        if let (Some(s), "Connected") = (svc, e.connection_status.as_str()) {
            if s.auto_accept {
                let rank = e.zones.iter().filter(|z| z.zone_id < zone.zone_id).count();
                zone.resource = allocate(s, &zone.zone_id, cross.then_some(rank), &BTreeMap::new())
                    .map(ServiceResource::key);
            }
        }
        Ok((e.endpoint_id.clone(), zone))
    }
    fn apply(w: &mut World, now: Timestamp, (id, z): Self::Plan) -> Value {
        let Some(e) = w.privatelink.endpoints.get(&id).cloned() else {
            return json!({});
        };
        let Some(eni) = zone_eni(w, &e, &z, now) else {
            return json!({});
        };
        let status = match (&z.resource, e.connection_status.as_str()) {
            (Some(_), _) => "Connected",
            (None, "Connected") => "Disconnected",
            (None, _) => "Wait",
        };
        let zone = EndpointZone {
            zone_id: z.zone_id,
            vswitch_id: z.vswitch_id,
            eni_id: eni,
            eni_ip: z.ip,
            status: status.into(),
            resource_id: z.resource,
            manual_resource_id: None,
            replaced_resource_id: None,
            replaced_eni_id: None,
            replaced_eni_ip: None,
        };
        let mut new = e.clone();
        new.zones.push(zone);
        count_allocations(w, &e, -1);
        count_allocations(w, &new, 1);
        w.privatelink.endpoints.insert(id, new);
        json!({})
    }
}

/// RemoveZoneFromVpcEndpoint (§4.3.11): Z10.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoveZoneFromVpcEndpoint {
    /// `RegionId`.
    pub region_id: String,
    /// `EndpointId`.
    pub endpoint_id: String,
    /// `ZoneId`.
    pub zone_id: String,
    /// `DryRun`.
    pub dry_run: bool,
    /// `ClientToken`.
    pub client_token: Option<String>,
}

impl CloudApi for RemoveZoneFromVpcEndpoint {
    const DECL: ApiDecl = PRODUCT
        .api(
            "RemoveZoneFromVpcEndpoint",
            "privatelink:RemoveZoneFromVpcEndpoint",
            Update,
        )
        .names(&["EndpointId"])
        .resource_type("ACS::PrivateLink::VpcEndpoint")
        .params(&[
            req("RegionId", Str),
            req("EndpointId", Str),
            req("ZoneId", Str),
            opt("DryRun", Bool),
            opt("ClientToken", Str),
        ])
        .resources(&["acs:privatelink:{region}:{account}:vpcendpoint/{EndpointId}"]);
    type Plan = (String, String);

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(RemoveZoneFromVpcEndpoint {
            region_id: p.req_str("RegionId")?,
            endpoint_id: p.req_str("EndpointId")?,
            zone_id: p.req_str("ZoneId")?,
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
        Ok(vec![endpoint_arn(
            &self.region_id,
            &ctx.caller_account,
            &self.endpoint_id,
        )])
    }
    fn plan(
        &self,
        w: &World,
        ctx: &CallContext,
        _now: Timestamp,
    ) -> Result<Self::Plan, CloudError> {
        let e = own_endpoint(w, ctx, &self.region_id, &self.endpoint_id)?;
        if !e.zones.iter().any(|z| z.zone_id == self.zone_id) {
            return Err(bad(
                "EndpointZoneNotFound",
                format!("The zone {} is not found.", self.zone_id),
            ));
        }
        if e.status != "Active" {
            return Err(bad(
                "EndpointOperationDenied",
                "The endpoint is not Active.",
            ));
        }
        if self.dry_run {
            return Err(CloudError::dry_run());
        }
        Ok((e.endpoint_id.clone(), self.zone_id.clone()))
    }
    fn apply(w: &mut World, _now: Timestamp, (id, zone): Self::Plan) -> Value {
        // Z10: the zone goes with its ENIs (both during a migration); the rows it was
        // allocated to are released. The endpoint is edited in place (no copy of it).
        let Some(e) = w.privatelink.endpoints.get_mut(&id) else {
            return json!({});
        };
        let Some(pos) = e.zones.iter().position(|z| z.zone_id == zone) else {
            return json!({});
        };
        let z = e.zones.remove(pos);
        let service_id = e.service_id.clone();
        let owner = format!("privatelink:{id}:{zone}");
        for eni in std::iter::once(&z.eni_id).chain(&z.replaced_eni_id) {
            let _ = delete_service_eni(&mut w.ecs, eni, &owner);
        }
        count_zone_allocations(w, &service_id, std::slice::from_ref(&z), -1);
        json!({})
    }
}

/// DeleteVpcEndpoint (§4.3.13): zones must be removed first (`EndpointDependenceViolation`,
/// the metadata's rule; the world option of a console-like implicit removal is not modeled).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteVpcEndpoint {
    /// `RegionId`.
    pub region_id: String,
    /// `EndpointId`.
    pub endpoint_id: String,
    /// `DryRun`.
    pub dry_run: bool,
    /// `ClientToken`.
    pub client_token: Option<String>,
}

impl CloudApi for DeleteVpcEndpoint {
    const DECL: ApiDecl = PRODUCT
        .api("DeleteVpcEndpoint", "privatelink:DeleteVpcEndpoint", Delete)
        .names(&["EndpointId"])
        .resource_type("ACS::PrivateLink::VpcEndpoint")
        .params(&[
            req("RegionId", Str),
            req("EndpointId", Str),
            opt("DryRun", Bool),
            opt("ClientToken", Str),
        ])
        .resources(&["acs:privatelink:{region}:{account}:vpcendpoint/{EndpointId}"]);
    type Plan = String;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(DeleteVpcEndpoint {
            region_id: p.req_str("RegionId")?,
            endpoint_id: p.req_str("EndpointId")?,
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
        Ok(vec![endpoint_arn(
            &self.region_id,
            &ctx.caller_account,
            &self.endpoint_id,
        )])
    }
    fn plan(&self, w: &World, ctx: &CallContext, _now: Timestamp) -> Result<String, CloudError> {
        let e = own_endpoint(w, ctx, &self.region_id, &self.endpoint_id)?;
        if e.status != "Active" {
            return Err(bad(
                "EndpointOperationDenied",
                "The endpoint is not Active.",
            ));
        }
        if !e.zones.is_empty() {
            return Err(bad(
                "EndpointDependenceViolation",
                "Remove the endpoint's zones before deleting it.",
            ));
        }
        if self.dry_run {
            return Err(CloudError::dry_run());
        }
        Ok(e.endpoint_id.clone())
    }
    fn apply(w: &mut World, _now: Timestamp, id: String) -> Value {
        w.privatelink.remove_endpoint(&id);
        json!({})
    }
}

// ---- reads --------------------------------------------------------------------------------

macro_rules! read_api {
    (
        $(#[$doc:meta])*
        $ty:ident, $name:literal, $level:ident,
        resource_type: $rt:literal,
        names: [$($nm:literal),*],
        params: [$($pname:literal : $field:ident : $pty:ident : $kind:ident),* $(,)?],
        resources: [$($res:literal),*],
        response: [$($resp:literal),*],
        arn: |$s:ident, $a:ident| $arn:expr,
        plan: |$w:ident, $ctx:ident, $me:ident| $body:expr
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        pub struct $ty {
            /// `RegionId`.
            pub region_id: String,
            $(
                #[doc = concat!("`", $pname, "`.")]
                pub $field: read_api!(@ty $kind),
            )*
        }

        impl CloudApi for $ty {
            const DECL: ApiDecl = PRODUCT
                .api($name, concat!("privatelink:", $name), $level)
                .resource_type($rt)
                .names(&[$($nm),*])
                .params(&[req("RegionId", Str), $(read_api!(@param $kind, $pname, $pty)),*])
                .resources(&[$($res),*])
                .response(&[$($resp),*]);
            type Plan = Value;

            fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
                Ok($ty {
                    region_id: p.req_str("RegionId")?,
                    $($field: read_api!(@get p, $kind, $pname),)*
                })
            }
            region_accessors!();
            fn authorize(
                &self,
                w: &World,
                ctx: &CallContext,
                _now: Timestamp,
                _keys: &mut BTreeMap<String, String>,
            ) -> Result<Vec<String>, CloudError> {
                w.known_region(&self.region_id)?;
                let $s = self;
                let $a = ctx.caller_account.as_str();
                Ok($arn)
            }
            fn plan(&self, $w: &World, $ctx: &CallContext, _now: Timestamp) -> Result<Value, CloudError> {
                let $me = self;
                $body
            }
            fn apply(_w: &mut World, _now: Timestamp, plan: Value) -> Value {
                plan
            }
        }
    };
    (@ty req) => { String };
    (@ty opt) => { Option<String> };
    (@ty int) => { Option<i64> };
    (@ty bool) => { Option<bool> };
    (@param req, $n:literal, $t:ident) => { req($n, $t) };
    (@param $k:ident, $n:literal, $t:ident) => { opt($n, $t) };
    (@get $p:ident, req, $n:literal) => { $p.req_str($n)? };
    (@get $p:ident, opt, $n:literal) => { $p.opt_str($n)? };
    (@get $p:ident, int, $n:literal) => { $p.opt_i64($n)? };
    (@get $p:ident, bool, $n:literal) => { $p.opt_bool($n)? };
}

read_api! {
    /// GetVpcEndpointServiceAttribute (provider).
    GetVpcEndpointServiceAttribute, "GetVpcEndpointServiceAttribute", Get,
    resource_type: "ACS::PrivateLink::VpcEndpointService",
    names: ["ServiceId"],
    params: ["ServiceId": service_id: Str: req],
    resources: ["acs:privatelink:{region}:{account}:vpcendpointservice/{ServiceId}"],
    response: ["ServiceId", "ServiceName", "ServiceDomain", "ServiceDescription", "ServiceType",
        "ServiceResourceType", "ServiceStatus", "ServiceBusinessStatus", "RegionId", "Payer",
        "AutoAcceptEnabled", "ZoneAffinityEnabled", "AddressIpVersion", "ConnectBandwidth",
        "SupportedRegionSet", "Zones", "ResourceGroupId", "CreateTime"],
    arn: |s, a| vec![service_arn(&s.region_id, a, &s.service_id)],
    plan: |w, ctx, me| Ok(service_json(own_service(w, ctx, &me.region_id, &me.service_id)?))
}

read_api! {
    /// GetVpcEndpointAttribute (consumer).
    GetVpcEndpointAttribute, "GetVpcEndpointAttribute", Get,
    resource_type: "ACS::PrivateLink::VpcEndpoint",
    names: ["EndpointId"],
    params: ["EndpointId": endpoint_id: Str: req],
    resources: ["acs:privatelink:{region}:{account}:vpcendpoint/{EndpointId}"],
    response: ["EndpointId", "EndpointName", "EndpointDescription", "EndpointType",
        "EndpointDomain", "EndpointStatus", "EndpointBusinessStatus", "ConnectionStatus",
        "RegionId", "VpcId", "ServiceId", "ServiceName", "ServiceRegionId",
        "CrossRegionBandwidth", "SecurityGroupIds", "ZoneAffinityEnabled",
        "ZonePrivateIpAddressCount", "Bandwidth", "Payer", "ResourceOwner", "ResourceGroupId",
        "CreateTime"],
    arn: |s, a| vec![endpoint_arn(&s.region_id, a, &s.endpoint_id)],
    plan: |w, ctx, me| Ok(endpoint_json(w, own_endpoint(w, ctx, &me.region_id, &me.endpoint_id)?))
}

read_api! {
    /// ListVpcEndpointServices (provider: the caller's services in the region).
    ListVpcEndpointServices, "ListVpcEndpointServices", List,
    resource_type: "ACS::PrivateLink::VpcEndpointService",
    names: [],
    params: ["ServiceId": service_id: Str: opt, "ServiceName": service_name: Str: opt,
        "ServiceStatus": service_status: Str: opt, "NextToken": next_token: Str: opt,
        "MaxResults": max_results: Int: int],
    resources: ["*"],
    response: ["Services", "NextToken", "MaxResults", "TotalCount"],
    arn: |_s, _a| vec!["*".into()],
    plan: |w, ctx, me| {
        let rows: Vec<Value> = w.privatelink.services.values()
            .filter(|s| s.region_id == me.region_id && s.owner_uid == ctx.caller_account)
            .filter(|s| me.service_id.as_ref().is_none_or(|x| *x == s.service_id))
            .filter(|s| me.service_name.as_ref().is_none_or(|x| *x == s.name()))
            .filter(|s| me.service_status.as_ref().is_none_or(|x| *x == s.status))
            .map(service_json)
            .collect();
        let (page, next, size) = page(&rows, me.next_token.as_deref(), me.max_results)?;
        Ok(list_answer("Services", page, rows.len(), next, size))
    }
}

read_api! {
    /// ListVpcEndpointServicesByEndUser (consumer discovery, §4.3.2: services whose whitelist
    /// holds the caller or `*`, serving the region).
    ListVpcEndpointServicesByEndUser, "ListVpcEndpointServicesByEndUser", List,
    resource_type: "ACS::PrivateLink::VpcEndpointService",
    names: [],
    params: ["ServiceId": service_id: Str: opt, "ServiceName": service_name: Str: opt,
        "NextToken": next_token: Str: opt, "MaxResults": max_results: Int: int],
    resources: ["*"],
    response: ["Services", "NextToken", "MaxResults", "TotalCount"],
    arn: |_s, _a| vec!["*".into()],
    plan: |w, ctx, me| {
        let rows: Vec<Value> = w.privatelink.services.values()
            .filter(|s| s.supported_regions.contains(&me.region_id) && s.allows(&ctx.caller_account))
            .filter(|s| me.service_id.as_ref().is_none_or(|x| *x == s.service_id))
            .filter(|s| me.service_name.as_ref().is_none_or(|x| *x == s.name()))
            .map(|s| json!({
                "ServiceId": s.service_id,
                "ServiceName": s.name(),
                "ServiceDomain": s.domain(),
                "ServiceType": "Interface",
                "ServiceResourceType": s.resource_type,
                "Payer": s.payer,
                "ZoneAffinityEnabled": s.zone_affinity,
                "Zones": s.zones(),
            }))
            .collect();
        let (page, next, size) = page(&rows, me.next_token.as_deref(), me.max_results)?;
        Ok(list_answer("Services", page, rows.len(), next, size))
    }
}

read_api! {
    /// ListVpcEndpoints (consumer: the caller's endpoints in the region).
    ListVpcEndpoints, "ListVpcEndpoints", List,
    resource_type: "ACS::PrivateLink::VpcEndpoint",
    names: ["VpcId"],
    params: ["EndpointId": endpoint_id: Str: opt, "VpcId": vpc_id: Str: opt,
        "ServiceName": service_name: Str: opt, "ConnectionStatus": connection_status: Str: opt,
        "NextToken": next_token: Str: opt, "MaxResults": max_results: Int: int],
    resources: ["*"],
    response: ["Endpoints", "NextToken", "MaxResults", "TotalCount"],
    arn: |_s, _a| vec!["*".into()],
    plan: |w, ctx, me| {
        let rows: Vec<Value> = w.privatelink.endpoints.values()
            .filter(|e| e.region_id == me.region_id && e.owner_uid == ctx.caller_account)
            .filter(|e| me.endpoint_id.as_ref().is_none_or(|x| *x == e.endpoint_id))
            .filter(|e| me.vpc_id.as_ref().is_none_or(|x| *x == e.vpc_id))
            .filter(|e| me.service_name.as_ref().is_none_or(|x| *x == e.service_name))
            .filter(|e| me.connection_status.as_ref().is_none_or(|x| *x == e.connection_status))
            .map(|e| endpoint_json(w, e))
            .collect();
        let (page, next, size) = page(&rows, me.next_token.as_deref(), me.max_results)?;
        Ok(list_answer("Endpoints", page, rows.len(), next, size))
    }
}

read_api! {
    /// ListVpcEndpointZones (consumer).
    ListVpcEndpointZones, "ListVpcEndpointZones", List,
    resource_type: "ACS::PrivateLink::VpcEndpoint",
    names: ["EndpointId"],
    params: ["EndpointId": endpoint_id: Str: req, "NextToken": next_token: Str: opt,
        "MaxResults": max_results: Int: int],
    resources: ["acs:privatelink:{region}:{account}:vpcendpoint/{EndpointId}"],
    response: ["Zones", "NextToken", "MaxResults", "TotalCount"],
    arn: |s, a| vec![endpoint_arn(&s.region_id, a, &s.endpoint_id)],
    plan: |w, ctx, me| {
        let e = own_endpoint(w, ctx, &me.region_id, &me.endpoint_id)?;
        let rows: Vec<Value> = e.zones.iter().map(|z| zone_json(e, z)).collect();
        let (page, next, size) = page(&rows, me.next_token.as_deref(), me.max_results)?;
        Ok(list_answer("Zones", page, rows.len(), next, size))
    }
}

read_api! {
    /// ListVpcEndpointConnections (provider: the endpoints connected to the caller's services).
    ListVpcEndpointConnections, "ListVpcEndpointConnections", List,
    resource_type: "ACS::PrivateLink::VpcEndpoint",
    names: [],
    params: ["ServiceId": service_id: Str: opt, "EndpointId": endpoint_id: Str: opt,
        "ConnectionStatus": connection_status: Str: opt, "NextToken": next_token: Str: opt,
        "MaxResults": max_results: Int: int],
    resources: ["*"],
    response: ["Connections", "NextToken", "MaxResults", "TotalCount"],
    arn: |_s, _a| vec!["*".into()],
    plan: |w, ctx, me| {
        let mine: BTreeSet<&str> = w.privatelink.services.values()
            .filter(|s| s.region_id == me.region_id && s.owner_uid == ctx.caller_account)
            .map(|s| s.service_id.as_str())
            .collect();
        let rows: Vec<Value> = w.privatelink.endpoints.values()
            .filter(|e| mine.contains(e.service_id.as_str()))
            .filter(|e| me.service_id.as_ref().is_none_or(|x| *x == e.service_id))
            .filter(|e| me.endpoint_id.as_ref().is_none_or(|x| *x == e.endpoint_id))
            .filter(|e| me.connection_status.as_ref().is_none_or(|x| *x == e.connection_status))
            .map(|e| json!({
                "EndpointId": e.endpoint_id,
                "EndpointOwnerId": e.owner_uid,
                "EndpointVpcId": e.vpc_id,
                "EndpointRegionId": e.region_id,
                "ServiceId": e.service_id,
                "ConnectionStatus": e.connection_status,
                "Bandwidth": e.bandwidth,
                "ResourceOwner": e.resource_owner(w),
                "Zones": e.zones.iter().map(|z| zone_json(e, z)).collect::<Vec<_>>(),
            }))
            .collect();
        let (page, next, size) = page(&rows, me.next_token.as_deref(), me.max_results)?;
        Ok(list_answer("Connections", page, rows.len(), next, size))
    }
}

read_api! {
    /// ListVpcEndpointServiceResources (provider).
    ListVpcEndpointServiceResources, "ListVpcEndpointServiceResources", List,
    resource_type: "ACS::PrivateLink::VpcEndpointService",
    names: ["ServiceId"],
    params: ["ServiceId": service_id: Str: req, "NextToken": next_token: Str: opt,
        "MaxResults": max_results: Int: int],
    resources: ["acs:privatelink:{region}:{account}:vpcendpointservice/{ServiceId}"],
    response: ["Resources", "NextToken", "MaxResults", "TotalCount"],
    arn: |s, a| vec![service_arn(&s.region_id, a, &s.service_id)],
    plan: |w, ctx, me| {
        let s = own_service(w, ctx, &me.region_id, &me.service_id)?;
        let rows: Vec<Value> = s.resources.iter().map(|r| resource_json(r, &s.region_id)).collect();
        let (page, next, size) = page(&rows, me.next_token.as_deref(), me.max_results)?;
        Ok(list_answer("Resources", page, rows.len(), next, size))
    }
}

read_api! {
    /// ListVpcEndpointServiceUsers (provider: the whitelist).
    ListVpcEndpointServiceUsers, "ListVpcEndpointServiceUsers", List,
    resource_type: "ACS::PrivateLink::VpcEndpointService",
    names: ["ServiceId"],
    params: ["ServiceId": service_id: Str: req, "NextToken": next_token: Str: opt,
        "MaxResults": max_results: Int: int],
    resources: ["acs:privatelink:{region}:{account}:vpcendpointservice/{ServiceId}"],
    response: ["Users", "NextToken", "MaxResults", "TotalCount"],
    arn: |s, a| vec![service_arn(&s.region_id, a, &s.service_id)],
    plan: |w, ctx, me| {
        let s = own_service(w, ctx, &me.region_id, &me.service_id)?;
        let rows: Vec<Value> = s.users.iter().map(|u| json!({"UserId": u})).collect();
        let (page, next, size) = page(&rows, me.next_token.as_deref(), me.max_results)?;
        Ok(list_answer("Users", page, rows.len(), next, size))
    }
}

/// UpdateVpcEndpointConnectionAttribute (§4.3.8): the connection's bandwidth limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateVpcEndpointConnectionAttribute {
    /// `RegionId`.
    pub region_id: String,
    /// `ServiceId`.
    pub service_id: String,
    /// `EndpointId`.
    pub endpoint_id: String,
    /// `Bandwidth` (Mbit/s).
    pub bandwidth: i64,
    /// `DryRun`.
    pub dry_run: bool,
    /// `ClientToken`.
    pub client_token: Option<String>,
}

impl CloudApi for UpdateVpcEndpointConnectionAttribute {
    const DECL: ApiDecl = PRODUCT
        .api(
            "UpdateVpcEndpointConnectionAttribute",
            "privatelink:UpdateVpcEndpointConnectionAttribute",
            Update,
        )
        .names(&["EndpointId"])
        .resource_type("ACS::PrivateLink::VpcEndpoint")
        .params(&[
            req("RegionId", Str),
            req("ServiceId", Str),
            req("EndpointId", Str),
            req("Bandwidth", Int),
            opt("DryRun", Bool),
            opt("ClientToken", Str),
        ])
        .resources(&["acs:privatelink:{region}:{account}:vpcendpointservice/{ServiceId}"]);
    type Plan = ConnectionPlan;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(UpdateVpcEndpointConnectionAttribute {
            region_id: p.req_str("RegionId")?,
            service_id: p.req_str("ServiceId")?,
            endpoint_id: p.req_str("EndpointId")?,
            bandwidth: p
                .opt_i64("Bandwidth")?
                .ok_or_else(|| CloudError::missing("Bandwidth"))?,
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
        let s = own_service(w, ctx, &self.region_id, &self.service_id)?;
        let e = w
            .privatelink
            .endpoints
            .get(&self.endpoint_id)
            .ok_or_else(|| {
                bad(
                    "EndpointNotFound",
                    format!("The endpoint {} is not found.", self.endpoint_id),
                )
            })?;
        if e.service_id != s.service_id {
            return Err(bad(
                "EndpointConnectionNotFound",
                "The endpoint is not connected to this service.",
            ));
        }
        if matches!(
            e.connection_status.as_str(),
            "Connecting" | "Disconnecting" | "Pending"
        ) {
            return Err(bad(
                "EndpointConnectionOperationDenied",
                "The endpoint is being connected.",
            ));
        }
        let (lo, hi) = bandwidth_range(&s.resource_type);
        if self.bandwidth < i64::from(lo) || self.bandwidth > i64::from(hi) {
            return Err(bad(
                "IllegalParam.Bandwidth",
                format!("Bandwidth must be between {lo} and {hi} Mbit/s."),
            ));
        }
        if self.dry_run {
            return Err(CloudError::dry_run());
        }
        Ok(ConnectionPlan {
            endpoint_id: e.endpoint_id.clone(),
            connection_status: e.connection_status.clone(),
            bandwidth: Some(self.bandwidth as u32),
            zones: e.zones.clone(),
        })
    }
    fn apply(w: &mut World, _now: Timestamp, plan: Self::Plan) -> Value {
        apply_connection(w, plan)
    }
}

/// UpdateVpcEndpointServiceResourceAttribute (§4.3.9): `AutoAllocatedEnabled` of a row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateVpcEndpointServiceResourceAttribute {
    /// `RegionId`.
    pub region_id: String,
    /// `ServiceId`.
    pub service_id: String,
    /// `ResourceId`.
    pub resource_id: String,
    /// `ZoneId` (every row of the resource when absent).
    pub zone_id: Option<String>,
    /// `AutoAllocatedEnabled`.
    pub auto_allocated_enabled: bool,
    /// `DryRun`.
    pub dry_run: bool,
    /// `ClientToken`.
    pub client_token: Option<String>,
}

impl CloudApi for UpdateVpcEndpointServiceResourceAttribute {
    const DECL: ApiDecl = PRODUCT
        .api(
            "UpdateVpcEndpointServiceResourceAttribute",
            "privatelink:UpdateVpcEndpointServiceResourceAttribute",
            Update,
        )
        .names(&["ServiceId"])
        .resource_type("ACS::PrivateLink::VpcEndpointService")
        .params(&[
            req("RegionId", Str),
            req("ServiceId", Str),
            req("ResourceId", Str),
            req("AutoAllocatedEnabled", Bool),
            opt("ZoneId", Str),
            opt("DryRun", Bool),
            opt("ClientToken", Str),
        ])
        .resources(&["acs:privatelink:{region}:{account}:vpcendpointservice/{ServiceId}"]);
    type Plan = ResourcesPlan;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(UpdateVpcEndpointServiceResourceAttribute {
            region_id: p.req_str("RegionId")?,
            service_id: p.req_str("ServiceId")?,
            resource_id: p.req_str("ResourceId")?,
            auto_allocated_enabled: p
                .opt_bool("AutoAllocatedEnabled")?
                .ok_or_else(|| CloudError::missing("AutoAllocatedEnabled"))?,
            zone_id: p.opt_str("ZoneId")?,
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
        let s = own_service(w, ctx, &self.region_id, &self.service_id)?;
        require_active(s)?;
        let hit = |r: &ServiceResource| {
            r.resource_id == self.resource_id
                && self.zone_id.as_ref().is_none_or(|z| *z == r.zone_id)
        };
        if !s.resources.iter().any(hit) {
            return Err(bad(
                "EndpointServiceResourceNotFound",
                format!("{} is not attached to the service.", self.resource_id),
            ));
        }
        let resources: Vec<ServiceResource> = s
            .resources
            .iter()
            .map(|r| {
                let mut r = r.clone();
                if hit(&r) {
                    r.auto_allocated = self.auto_allocated_enabled;
                }
                r
            })
            .collect();
        // Every service zone keeps an auto-allocatable resource.
        for z in s.zones() {
            if !resources.iter().any(|r| r.zone_id == z && r.auto_allocated) {
                return Err(bad(
                    "ResourceAutoAllocateViolation",
                    format!("Zone {z} would have no resource with AutoAllocatedEnabled."),
                ));
            }
        }
        if self.dry_run {
            return Err(CloudError::dry_run());
        }
        Ok(ResourcesPlan {
            service_id: s.service_id.clone(),
            resources,
        })
    }
    fn apply(w: &mut World, _now: Timestamp, plan: Self::Plan) -> Value {
        if let Some(s) = w.privatelink.services.get_mut(&plan.service_id) {
            s.resources = plan.resources;
        }
        json!({})
    }
}
