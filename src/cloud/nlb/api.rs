//! The NLB product's APIs (§5.1), each declared once: typed parameters, RAM action and ARNs
//! (§9.2), response shape, its checks ([`CloudApi::plan`], against an unchanged world) and its
//! effects ([`CloudApi::apply`], infallible). The types carry an `Nlb` prefix because ALB and
//! CLB declare APIs of the same names; the registry tells them apart by product.

use super::health::{server_health, Health};
use super::{
    local_owner, vip_owner, HealthCheck, Listener, LoadBalancer, Server, ServerGroup, ZoneMapping,
    PRODUCT,
};
use crate::cloud::declare::region_accessors;
use crate::cloud::declare::ParamType::{Bool, Int, Str};
use crate::cloud::declare::{opt, req, AccessLevel::*, ApiDecl, CloudApi};
use crate::cloud::ecs::eni::vswitch_available;
use crate::cloud::ecs::AddressOwner;
use crate::cloud::error::CloudError;
use crate::cloud::params::Params;
use crate::cloud::time::Timestamp;
use crate::cloud::validate::token_page;
use crate::cloud::vpc::VSwitch;
use crate::cloud::world::{CallContext, World};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

/// Most zones of one NLB ([M-nlb]).
pub const MAX_ZONES: usize = 10;
/// Local addresses the model allocates per zone (ASSUMED; [M-nlb] allows an even 2–8).
pub const LOCAL_ADDRESSES_PER_ZONE: usize = 2;
/// NLBs per account and region (ASSUMED quota).
pub const MAX_LOAD_BALANCERS: usize = 60;
/// Server groups per account and region (ASSUMED quota).
pub const MAX_SERVER_GROUPS: usize = 200;
/// Servers per AddServersToServerGroup call ([M-nlb]).
pub const MAX_SERVERS_PER_CALL: usize = 200;

fn bad(code: &str, message: impl Into<String>) -> CloudError {
    CloudError::bad(code, message)
}

fn illegal(param: &str) -> CloudError {
    bad(
        &format!("IllegalParam.{param}"),
        format!("The param {param} is illegal."),
    )
}

/// Name rule of NLB names ([M-nlb]): 2–128 characters, starts with a letter or CJK character,
/// then letters, digits, `.`, `_`, `-`.
pub(crate) fn lb_name_ok(s: &str) -> bool {
    let n = s.chars().count();
    (2..=128).contains(&n)
        && s.chars().next().is_some_and(char::is_alphabetic)
        && s.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// The caller's VPC `id` in `region` (`ResourceNotFound.Vpc`, 404).
fn own_vpc<'w>(
    w: &'w World,
    ctx: &CallContext,
    region: &str,
    id: &str,
) -> Result<&'w crate::cloud::vpc::Vpc, CloudError> {
    w.vpc(id)
        .filter(|v| v.region_id == region && v.owner_uid == ctx.caller_account)
        .ok_or_else(|| {
            CloudError::not_found(
                "ResourceNotFound.Vpc",
                format!("The specified resource {id} is not found."),
            )
        })
}

/// The caller's NLB `id` in `region` (`ResourceNotFound.loadBalancer`, 404).
pub(crate) fn own_lb<'w>(
    w: &'w World,
    ctx: &CallContext,
    region: &str,
    id: &str,
) -> Result<&'w LoadBalancer, CloudError> {
    w.nlb
        .load_balancers
        .get(id)
        .filter(|l| l.region_id == region && l.owner_uid == ctx.caller_account)
        .ok_or_else(|| {
            CloudError::not_found(
                "ResourceNotFound.loadBalancer",
                format!("The specified resource {id} is not found."),
            )
        })
}

fn own_group<'w>(
    w: &'w World,
    ctx: &CallContext,
    region: &str,
    id: &str,
) -> Result<&'w ServerGroup, CloudError> {
    w.nlb
        .server_groups
        .get(id)
        .filter(|g| g.region_id == region && g.owner_uid == ctx.caller_account)
        .ok_or_else(|| {
            CloudError::not_found(
                "ResourceNotFound.serverGroup",
                format!("The specified resource {id} is not found."),
            )
        })
}

fn own_listener<'w>(
    w: &'w World,
    ctx: &CallContext,
    region: &str,
    id: &str,
) -> Result<&'w Listener, CloudError> {
    w.nlb
        .listeners
        .get(id)
        .filter(|l| l.region_id == region && l.owner_uid == ctx.caller_account)
        .ok_or_else(|| {
            CloudError::not_found(
                "ResourceNotFound.listener",
                format!("The specified resource {id} is not found."),
            )
        })
}

fn arn(region: &str, account: &str, kind: &str, id: &str) -> String {
    format!("acs:nlb:{region}:{account}:{kind}/{id}")
}

/// `MaxResults` (1–100, default 20) and `NextToken` of the List calls.
fn page<T: Clone>(
    rows: &[T],
    token: Option<&str>,
    max_results: Option<i64>,
) -> Result<(Vec<T>, String, i64), CloudError> {
    let size = max_results.unwrap_or(20);
    if !(1..=100).contains(&size) {
        return Err(illegal("MaxResults"));
    }
    let (page, next) = token_page(rows, token, size as usize, || illegal("NextToken"))?;
    Ok((page, next, size))
}

// ---- rendering ----------------------------------------------------------------------------

/// `GetLoadBalancerAttribute` / `ListLoadBalancers` shape of one NLB.
pub fn lb_json(lb: &LoadBalancer) -> Value {
    json!({
        "LoadBalancerId": lb.load_balancer_id,
        "LoadBalancerName": lb.name,
        "LoadBalancerType": "Network",
        "RegionId": lb.region_id,
        "VpcId": lb.vpc_id,
        "AddressType": lb.address_type,
        "AddressIpVersion": lb.address_ip_version,
        "DNSName": lb.dns_name(),
        "CrossZoneEnabled": lb.cross_zone_enabled,
        "SecurityGroupIds": lb.security_group_ids,
        "LoadBalancerStatus": lb.status,
        "LoadBalancerBusinessStatus": lb.business_status,
        "ResourceGroupId": lb.resource_group_id,
        "LoadBalancerBillingConfig": {"PayType": "PostPay"},
        "CreateTime": lb.create_time.to_string(),
        "ZoneMappings": lb.zone_mappings.iter().map(|z| json!({
            "ZoneId": z.zone_id,
            "VSwitchId": z.vswitch_id,
            "Status": "Active",
            "LoadBalancerAddresses": [{
                "PrivateIPv4Address": z.private_ipv4_address.to_string(),
                "AllocationId": z.allocation_id,
                "PrivateIPv4HcStatus": "Healthy",
                "Ipv4LocalAddresses": z.local_addresses.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
            }],
        })).collect::<Vec<_>>(),
    })
}

fn group_json(g: &ServerGroup, w: &World) -> Value {
    let related: Vec<&str> = w
        .nlb
        .listeners
        .values()
        .filter(|l| l.server_group_id == g.server_group_id)
        .map(|l| l.load_balancer_id.as_str())
        .collect();
    json!({
        "ServerGroupId": g.server_group_id,
        "ServerGroupName": g.name,
        "ServerGroupType": g.server_group_type,
        "ServerGroupStatus": g.status,
        "Protocol": g.protocol,
        "VpcId": g.vpc_id,
        "RegionId": g.region_id,
        "AnyPortEnabled": g.any_port_enabled,
        "Scheduler": g.scheduler,
        "PreserveClientIpEnabled": g.preserve_client_ip,
        "ServerCount": g.servers.len(),
        "RelatedLoadBalancerIds": related,
        "ResourceGroupId": g.resource_group_id,
        "HealthCheck": {
            "HealthCheckEnabled": g.health_check.enabled,
            "HealthCheckType": g.health_check.check_type,
            "HealthCheckConnectPort": g.health_check.connect_port,
        },
        "Servers": g.servers.iter().map(|s| json!({
            "ServerId": s.server_id,
            "ServerType": s.server_type,
            "ServerIp": s.server_ip.to_string(),
            "Port": s.port,
            "Weight": s.weight,
            "ZoneId": s.zone_id,
            "Description": s.description,
            "Status": "Available",
        })).collect::<Vec<_>>(),
    })
}

fn listener_json(l: &Listener) -> Value {
    let mut v = json!({
        "ListenerId": l.listener_id,
        "LoadBalancerId": l.load_balancer_id,
        "ServerGroupId": l.server_group_id,
        "ListenerProtocol": l.protocol,
        "ListenerPort": l.port,
        "ListenerDescription": l.description,
        "IdleTimeout": l.idle_timeout,
        "ListenerStatus": l.status,
        "RegionId": l.region_id,
    });
    if let (Some(obj), Some(s), Some(e)) = (v.as_object_mut(), l.start_port, l.end_port) {
        obj.insert("StartPort".into(), json!(s));
        obj.insert("EndPort".into(), json!(e));
    }
    if let (Some(obj), false) = (v.as_object_mut(), l.certificate_ids.is_empty()) {
        obj.insert("CertificateIds".into(), json!(l.certificate_ids));
    }
    v
}

// ---- CreateLoadBalancer -------------------------------------------------------------------

/// One `ZoneMappings.N` entry as received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZoneMappingParam {
    /// `ZoneId`.
    pub zone_id: String,
    /// `VSwitchId`.
    pub vswitch_id: String,
    /// `PrivateIPv4Address`.
    pub private_ipv4_address: Option<String>,
    /// `AllocationId`.
    pub allocation_id: Option<String>,
}

fn obj_str(o: &Map<String, Value>, k: &str) -> Option<String> {
    match o.get(k) {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(Value::Bool(b)) => Some(b.to_string()),
        _ => None,
    }
}

fn obj_int(o: &Map<String, Value>, k: &str, param: &str) -> Result<Option<i64>, CloudError> {
    match obj_str(o, k) {
        None => Ok(None),
        Some(s) => s.trim().parse().map(Some).map_err(|_| illegal(param)),
    }
}

/// NLB CreateLoadBalancer (§5.1.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NlbCreateLoadBalancer {
    /// `RegionId`.
    pub region_id: String,
    /// `LoadBalancerType` (`network`).
    pub load_balancer_type: Option<String>,
    /// `LoadBalancerName`.
    pub load_balancer_name: Option<String>,
    /// `AddressType` (`Internet` | `Intranet`).
    pub address_type: String,
    /// `AddressIpVersion` (`ipv4` | `DualStack`).
    pub address_ip_version: Option<String>,
    /// `VpcId`.
    pub vpc_id: String,
    /// `ZoneMappings.N`.
    pub zone_mappings: Vec<ZoneMappingParam>,
    /// `LoadBalancerBillingConfig.PayType` (`PostPay` only).
    pub pay_type: Option<String>,
    /// `ResourceGroupId`.
    pub resource_group_id: Option<String>,
    /// `DryRun`.
    pub dry_run: bool,
    /// `ClientToken`.
    pub client_token: Option<String>,
}

/// A validated NLB CreateLoadBalancer: the load balancer without its id.
#[derive(Debug, Clone)]
pub struct NlbCreateLoadBalancerPlan {
    lb: LoadBalancer,
}

/// Allocates the VIP (requested or lowest free) and the local addresses of one zone, avoiding
/// `taken` (addresses planned for earlier zones of the same call).
fn zone_addresses(
    w: &World,
    vsw: &VSwitch,
    requested: Option<&str>,
) -> Result<(Ipv4Addr, Vec<Ipv4Addr>), CloudError> {
    let index = &w.ecs().addresses;
    let vip = match requested {
        Some(r) => {
            let ip: Ipv4Addr = r
                .trim()
                .parse()
                .map_err(|_| illegal("PrivateIPv4Address"))?;
            if !vsw.cidr_block.contains(&ip) || vsw.is_reserved(ip) {
                return Err(illegal("PrivateIPv4Address"));
            }
            if index.is_used(&vsw.vpc_id, ip) {
                return Err(bad("ResourceInUse.IP", format!("The IP {ip} is in use.")));
            }
            Some(ip)
        }
        None => None,
    };
    let need = LOCAL_ADDRESSES_PER_ZONE + usize::from(vip.is_none());
    let free: Vec<Ipv4Addr> = index
        .lowest_free(vsw, need + 1)
        .into_iter()
        .filter(|ip| Some(*ip) != vip)
        .take(need)
        .collect();
    if free.len() < need {
        return Err(bad(
            "ResourceNotEnough.VSwitchIp",
            format!(
                "The vSwitch {} has not enough IP addresses.",
                vsw.vswitch_id
            ),
        ));
    }
    let (vip, locals) = match vip {
        Some(v) => (v, free),
        None => (free[0], free[1..].to_vec()),
    };
    Ok((vip, locals))
}

impl CloudApi for NlbCreateLoadBalancer {
    const DECL: ApiDecl = PRODUCT
        .api("CreateLoadBalancer", "nlb:CreateLoadBalancer", Create)
        .names(&["LoadbalancerId"])
        .resource_type("ACS::NLB::LoadBalancer")
        .params(&[
            req("RegionId", Str),
            opt("LoadBalancerType", Str),
            opt("LoadBalancerName", Str),
            req("AddressType", Str),
            opt("AddressIpVersion", Str),
            req("VpcId", Str),
            opt("ZoneMappings.N.VSwitchId", Str),
            opt("ZoneMappings.N.ZoneId", Str),
            opt("ZoneMappings.N.PrivateIPv4Address", Str),
            opt("ZoneMappings.N.AllocationId", Str),
            opt("LoadBalancerBillingConfig.PayType", Str),
            opt("ResourceGroupId", Str),
            opt("DryRun", Bool),
            opt("ClientToken", Str),
        ])
        .resources(&[
            "acs:nlb:{region}:{account}:loadbalancer/*",
            "acs:vpc:{region}:{account}:vpc/{VpcId}",
        ])
        .response(&["LoadbalancerId"]);
    type Plan = NlbCreateLoadBalancerPlan;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        let mut zone_mappings = Vec::new();
        for (i, o) in p.list_obj("ZoneMappings").iter().enumerate() {
            let n = i + 1;
            zone_mappings.push(ZoneMappingParam {
                zone_id: obj_str(o, "ZoneId")
                    .ok_or_else(|| CloudError::missing(&format!("ZoneMappings.{n}.ZoneId")))?,
                vswitch_id: obj_str(o, "VSwitchId")
                    .ok_or_else(|| CloudError::missing(&format!("ZoneMappings.{n}.VSwitchId")))?,
                private_ipv4_address: obj_str(o, "PrivateIPv4Address"),
                allocation_id: obj_str(o, "AllocationId"),
            });
        }
        Ok(NlbCreateLoadBalancer {
            region_id: p.req_str("RegionId")?,
            load_balancer_type: p.opt_str("LoadBalancerType")?,
            load_balancer_name: p.opt_str("LoadBalancerName")?,
            address_type: p.req_str("AddressType")?,
            address_ip_version: p.opt_str("AddressIpVersion")?,
            vpc_id: p.req_str("VpcId")?,
            zone_mappings,
            pay_type: p.opt_str("LoadBalancerBillingConfig.PayType")?,
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
        let mut out = vec![
            arn(r, a, "loadbalancer", "*"),
            format!("acs:vpc:{r}:{a}:vpc/{}", self.vpc_id),
        ];
        for z in &self.zone_mappings {
            out.push(format!("acs:vpc:{r}:{a}:vswitch/{}", z.vswitch_id));
        }
        Ok(out)
    }
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Self::Plan, CloudError> {
        let acct = w.caller_account(ctx)?;
        let region = w.known_region(&self.region_id)?;
        if !region.nlb {
            return Err(CloudError::new(
                "UnauthorizedZone",
                403,
                format!("NLB is not available in region {}.", self.region_id),
            ));
        }
        if self
            .load_balancer_type
            .as_deref()
            .is_some_and(|t| !t.eq_ignore_ascii_case("network"))
        {
            return Err(illegal("LoadBalancerType"));
        }
        if self.pay_type.as_deref().is_some_and(|x| x != "PostPay") {
            return Err(illegal("LoadBalancerBillingConfig.PayType"));
        }
        if !matches!(self.address_type.as_str(), "Internet" | "Intranet") {
            return Err(illegal("AddressType"));
        }
        let ip_version = match self.address_ip_version.as_deref() {
            None => "ipv4",
            Some(v) if v.eq_ignore_ascii_case("ipv4") => "ipv4",
            Some(v) if v.eq_ignore_ascii_case("DualStack") => "DualStack",
            Some(_) => return Err(illegal("AddressIpVersion")),
        };
        if let Some(n) = &self.load_balancer_name {
            if !lb_name_ok(n) {
                return Err(illegal("loadBalancerName"));
            }
        }
        let vpc = own_vpc(w, ctx, &self.region_id, &self.vpc_id)?;
        let zones = &self.zone_mappings;
        // ASSUMED mapping: fewer than 2 or more than 10 zones → InvalidZones.
        if zones.len() < 2 || zones.len() > MAX_ZONES {
            return Err(bad("InvalidZones", "An NLB needs 2 to 10 zone mappings."));
        }
        let known_zones = w.zones_of(&self.region_id);
        let mut mappings = Vec::new();
        for (i, z) in zones.iter().enumerate() {
            if zones[..i].iter().any(|o| o.zone_id == z.zone_id) {
                return Err(bad(
                    "OperationFailed.DuplicateZones.",
                    "The zones of the zone mappings are duplicated.",
                ));
            }
            if !known_zones.contains(&z.zone_id) {
                return Err(CloudError::new(
                    "UnauthorizedZone",
                    403,
                    format!("The zone {} does not support NLB.", z.zone_id),
                ));
            }
            let vsw = w
                .vswitch(&z.vswitch_id)
                .filter(|s| s.region_id == self.region_id && s.owner_uid == acct.uid)
                .ok_or_else(|| {
                    CloudError::not_found(
                        "ResourceNotFound.VSwitch",
                        format!("The specified resource {} is not found.", z.vswitch_id),
                    )
                })?;
            if vsw.vpc_id != vpc.vpc_id || vsw.zone_id != z.zone_id {
                return Err(bad(
                    "Mismatch.ZoneIdAndVswitchId",
                    format!(
                        "The vSwitch {} is not in zone {} of VPC {}.",
                        vsw.vswitch_id, z.zone_id, vpc.vpc_id
                    ),
                ));
            }
            if !vswitch_available(vsw, now) {
                return Err(bad(
                    "IncorrectStatus.VSwitch",
                    format!("The vSwitch {} is not available.", vsw.vswitch_id),
                ));
            }
            let (vip, locals) = zone_addresses(w, vsw, z.private_ipv4_address.as_deref())?;
            mappings.push(ZoneMapping {
                zone_id: z.zone_id.clone(),
                vswitch_id: vsw.vswitch_id.clone(),
                private_ipv4_address: vip,
                allocation_id: z.allocation_id.clone(),
                local_addresses: locals,
            });
        }
        let count = w
            .nlb
            .load_balancers
            .values()
            .filter(|l| l.owner_uid == acct.uid && l.region_id == self.region_id)
            .count();
        if count >= MAX_LOAD_BALANCERS {
            return Err(bad(
                "QuotaExceeded.LoadBalancersNum",
                "The number of NLB instances exceeds the quota.",
            ));
        }
        if self.dry_run {
            return Err(CloudError::dry_run());
        }
        Ok(NlbCreateLoadBalancerPlan {
            lb: LoadBalancer {
                load_balancer_id: String::new(),
                region_id: self.region_id.clone(),
                owner_uid: acct.uid.clone(),
                vpc_id: vpc.vpc_id.clone(),
                name: self.load_balancer_name.clone().unwrap_or_default(),
                address_type: self.address_type.clone(),
                address_ip_version: ip_version.into(),
                zone_mappings: mappings,
                cross_zone_enabled: true,
                security_group_ids: Vec::new(),
                resource_group_id: self
                    .resource_group_id
                    .clone()
                    .unwrap_or_else(|| acct.default_resource_group().to_string()),
                status: "Active".into(),
                business_status: "Normal".into(),
                create_time: now,
            },
        })
    }
    fn apply(w: &mut World, _now: Timestamp, plan: Self::Plan) -> Value {
        let mut lb = plan.lb;
        lb.load_balancer_id = w.new_id("nlb", &lb.region_id);
        let id = lb.load_balancer_id.clone();
        for z in &lb.zone_mappings {
            // INVARIANT: planned free; a clash would keep the first owner.
            let _ = w
                .ecs
                .addresses
                .insert(&lb.vpc_id, z.private_ipv4_address, vip_owner(&id));
            for a in &z.local_addresses {
                let _ = w.ecs.addresses.insert(&lb.vpc_id, *a, local_owner(&id));
            }
        }
        w.nlb.load_balancers.insert(id.clone(), lb);
        json!({ "LoadbalancerId": id })
    }
}

// ---- CreateServerGroup --------------------------------------------------------------------

/// NLB CreateServerGroup (§5.1.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NlbCreateServerGroup {
    /// `RegionId`.
    pub region_id: String,
    /// `ServerGroupName`.
    pub server_group_name: String,
    /// `ServerGroupType` (`Instance` | `Ip`).
    pub server_group_type: Option<String>,
    /// `Protocol` (`TCP` | `UDP` | `TCPSSL`).
    pub protocol: Option<String>,
    /// `VpcId`.
    pub vpc_id: String,
    /// `AnyPortEnabled`.
    pub any_port_enabled: bool,
    /// `Scheduler`.
    pub scheduler: Option<String>,
    /// `PreserveClientIpEnabled`.
    pub preserve_client_ip_enabled: Option<bool>,
    /// `ConnectionDrainTimeout` and `HealthCheckConfig.*` (boxed: keeps `Operation` small).
    pub tuning: Box<GroupTuning>,
    /// `ResourceGroupId`.
    pub resource_group_id: Option<String>,
    /// `DryRun`.
    pub dry_run: bool,
    /// `ClientToken`.
    pub client_token: Option<String>,
}

/// The optional tuning of an NLB CreateServerGroup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupTuning {
    /// `ConnectionDrainTimeout`.
    pub connection_drain_timeout: Option<i64>,
    /// `HealthCheckConfig.HealthCheckEnabled`.
    pub health_check_enabled: Option<bool>,
    /// `HealthCheckConfig.HealthCheckType`.
    pub health_check_type: Option<String>,
    /// `HealthCheckConfig.HealthCheckConnectPort`.
    pub health_check_connect_port: Option<i64>,
    /// `HealthCheckConfig.HealthyThreshold`.
    pub healthy_threshold: Option<i64>,
    /// `HealthCheckConfig.UnhealthyThreshold`.
    pub unhealthy_threshold: Option<i64>,
    /// `HealthCheckConfig.HealthCheckConnectTimeout`.
    pub health_check_connect_timeout: Option<i64>,
    /// `HealthCheckConfig.HealthCheckInterval`.
    pub health_check_interval: Option<i64>,
}

fn in_range(v: Option<i64>, lo: i64, hi: i64, param: &str) -> Result<(), CloudError> {
    match v {
        Some(x) if x < lo || x > hi => Err(illegal(param)),
        _ => Ok(()),
    }
}

impl CloudApi for NlbCreateServerGroup {
    const DECL: ApiDecl = PRODUCT
        .api("CreateServerGroup", "nlb:CreateServerGroup", Create)
        .names(&["ServerGroupId"])
        .resource_type("ACS::NLB::ServerGroup")
        .params(&[
            req("RegionId", Str),
            req("ServerGroupName", Str),
            opt("ServerGroupType", Str),
            opt("Protocol", Str),
            req("VpcId", Str),
            opt("AnyPortEnabled", Bool),
            opt("Scheduler", Str),
            opt("PreserveClientIpEnabled", Bool),
            opt("ConnectionDrainTimeout", Int),
            opt("HealthCheckConfig.HealthCheckEnabled", Bool),
            opt("HealthCheckConfig.HealthCheckType", Str),
            opt("HealthCheckConfig.HealthCheckConnectPort", Int),
            opt("HealthCheckConfig.HealthyThreshold", Int),
            opt("HealthCheckConfig.UnhealthyThreshold", Int),
            opt("HealthCheckConfig.HealthCheckConnectTimeout", Int),
            opt("HealthCheckConfig.HealthCheckInterval", Int),
            opt("ResourceGroupId", Str),
            opt("DryRun", Bool),
            opt("ClientToken", Str),
        ])
        .resources(&["acs:nlb:{region}:{account}:servergroup/*"])
        .response(&["ServerGroupId"]);
    type Plan = ServerGroup;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(NlbCreateServerGroup {
            region_id: p.req_str("RegionId")?,
            server_group_name: p.req_str("ServerGroupName")?,
            server_group_type: p.opt_str("ServerGroupType")?,
            protocol: p.opt_str("Protocol")?,
            vpc_id: p.req_str("VpcId")?,
            any_port_enabled: p.flag("AnyPortEnabled")?,
            scheduler: p.opt_str("Scheduler")?,
            preserve_client_ip_enabled: p.opt_bool("PreserveClientIpEnabled")?,
            tuning: Box::new(GroupTuning {
                connection_drain_timeout: p.opt_i64("ConnectionDrainTimeout")?,
                health_check_enabled: p.opt_bool("HealthCheckConfig.HealthCheckEnabled")?,
                health_check_type: p.opt_str("HealthCheckConfig.HealthCheckType")?,
                health_check_connect_port: p.opt_i64("HealthCheckConfig.HealthCheckConnectPort")?,
                healthy_threshold: p.opt_i64("HealthCheckConfig.HealthyThreshold")?,
                unhealthy_threshold: p.opt_i64("HealthCheckConfig.UnhealthyThreshold")?,
                health_check_connect_timeout: p
                    .opt_i64("HealthCheckConfig.HealthCheckConnectTimeout")?,
                health_check_interval: p.opt_i64("HealthCheckConfig.HealthCheckInterval")?,
            }),
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
        Ok(vec![arn(
            &self.region_id,
            &ctx.caller_account,
            "servergroup",
            "*",
        )])
    }
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Self::Plan, CloudError> {
        let acct = w.caller_account(ctx)?;
        w.known_region(&self.region_id)?;
        if !lb_name_ok(&self.server_group_name) {
            return Err(illegal("ServerGroupName"));
        }
        let group_type = match self.server_group_type.as_deref() {
            None | Some("Instance") => "Instance",
            Some("Ip") => "Ip",
            Some(_) => return Err(illegal("ServerGroupType")),
        };
        let protocol = match self.protocol.as_deref() {
            None | Some("TCP") => "TCP",
            Some("UDP") => "UDP",
            Some("TCPSSL") => "TCPSSL",
            Some(_) => return Err(illegal("Protocol")),
        };
        let scheduler = match self.scheduler.as_deref() {
            None => "Wrr".to_string(),
            Some(s) if ["Wrr", "Wlc", "rr", "sch", "tch", "qch"].contains(&s) => s.to_string(),
            Some(_) => return Err(illegal("Scheduler")),
        };
        let t = &*self.tuning;
        let check_type = match t.health_check_type.as_deref() {
            None | Some("TCP") => "TCP",
            Some("HTTP") => "HTTP",
            Some(_) => return Err(illegal("HealthCheckConfig.HealthCheckType")),
        };
        in_range(t.connection_drain_timeout, 0, 900, "ConnectionDrainTimeout")?;
        in_range(
            t.health_check_connect_port,
            0,
            65535,
            "HealthCheckConfig.HealthCheckConnectPort",
        )?;
        in_range(
            t.healthy_threshold,
            2,
            10,
            "HealthCheckConfig.HealthyThreshold",
        )?;
        in_range(
            t.unhealthy_threshold,
            2,
            10,
            "HealthCheckConfig.UnhealthyThreshold",
        )?;
        in_range(
            t.health_check_connect_timeout,
            1,
            300,
            "HealthCheckConfig.HealthCheckConnectTimeout",
        )?;
        in_range(
            t.health_check_interval,
            1,
            50,
            "HealthCheckConfig.HealthCheckInterval",
        )?;
        let enabled = t.health_check_enabled.unwrap_or(true);
        let connect_port = t.health_check_connect_port.unwrap_or(0) as u16;
        // An any-port group has no server port to probe: its health check needs a port.
        if self.any_port_enabled && enabled && connect_port == 0 {
            return Err(bad(
                "IllegalParam.AnyPortServerGroupConflictWithHealthCheckConfig",
                "An any-port server group needs HealthCheckConnectPort.",
            ));
        }
        let vpc = own_vpc(w, ctx, &self.region_id, &self.vpc_id)?;
        let count = w
            .nlb
            .server_groups
            .values()
            .filter(|g| g.owner_uid == acct.uid && g.region_id == self.region_id)
            .count();
        if count >= MAX_SERVER_GROUPS {
            return Err(bad(
                "QuotaExceeded.QuotaInsufficient",
                "The number of server groups exceeds the quota.",
            ));
        }
        if self.dry_run {
            return Err(CloudError::dry_run());
        }
        Ok(ServerGroup {
            server_group_id: String::new(),
            region_id: self.region_id.clone(),
            owner_uid: acct.uid.clone(),
            name: self.server_group_name.clone(),
            server_group_type: group_type.into(),
            protocol: protocol.into(),
            vpc_id: vpc.vpc_id.clone(),
            any_port_enabled: self.any_port_enabled,
            scheduler,
            preserve_client_ip: self.preserve_client_ip_enabled.unwrap_or(true),
            health_check: HealthCheck {
                enabled,
                check_type: check_type.into(),
                connect_port,
            },
            servers: Vec::new(),
            resource_group_id: self
                .resource_group_id
                .clone()
                .unwrap_or_else(|| acct.default_resource_group().to_string()),
            status: "Available".into(),
            create_time: now,
        })
    }
    fn apply(w: &mut World, _now: Timestamp, mut g: Self::Plan) -> Value {
        g.server_group_id = w.new_id("sgp", &g.region_id);
        let id = g.server_group_id.clone();
        w.nlb.server_groups.insert(id.clone(), g);
        json!({ "ServerGroupId": id })
    }
}

// ---- AddServersToServerGroup / RemoveServersFromServerGroup --------------------------------

/// One `Servers.N` entry as received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerParam {
    /// `ServerId`.
    pub server_id: String,
    /// `ServerType`.
    pub server_type: String,
    /// `ServerIp`.
    pub server_ip: Option<String>,
    /// `Port`.
    pub port: Option<i64>,
    /// `Weight`.
    pub weight: Option<i64>,
    /// `Description`.
    pub description: Option<String>,
}

fn decode_servers(p: &Params<'_>) -> Result<Vec<ServerParam>, CloudError> {
    let mut out = Vec::new();
    for (i, o) in p.list_obj("Servers").iter().enumerate() {
        let n = i + 1;
        out.push(ServerParam {
            server_id: obj_str(o, "ServerId")
                .ok_or_else(|| CloudError::missing(&format!("Servers.{n}.ServerId")))?,
            server_type: obj_str(o, "ServerType")
                .ok_or_else(|| CloudError::missing(&format!("Servers.{n}.ServerType")))?,
            server_ip: obj_str(o, "ServerIp"),
            port: obj_int(o, "Port", "Port")?,
            weight: obj_int(o, "Weight", "Weight")?,
            description: obj_str(o, "Description"),
        });
    }
    if out.is_empty() {
        return Err(CloudError::missing("Servers.1.ServerId"));
    }
    Ok(out)
}

/// Resolves one member of `group` (§5.1.2 checks) into a [`Server`].
fn resolve_server(
    w: &World,
    ctx: &CallContext,
    group: &ServerGroup,
    s: &ServerParam,
) -> Result<Server, CloudError> {
    let ecs = w.ecs();
    if !matches!(s.server_type.as_str(), "Ecs" | "Eni" | "Eci" | "Ip") {
        return Err(illegal("ServerType"));
    }
    if (group.server_group_type == "Ip") != (s.server_type == "Ip") {
        return Err(bad(
            "Mismatch.ServerType",
            format!(
                "A {} server group does not take {} servers.",
                group.server_group_type, s.server_type
            ),
        ));
    }
    let port = s.port.unwrap_or(0);
    if !(0..=65535).contains(&port) {
        return Err(illegal("Port"));
    }
    if !group.any_port_enabled && port == 0 {
        return Err(bad(
            "IllegalParam.RSPortConflictWithServerGroup",
            "A server of a server group without AnyPortEnabled needs a port.",
        ));
    }
    let weight = s.weight.unwrap_or(100);
    if !(0..=100).contains(&weight) {
        return Err(illegal("Weight"));
    }
    let not_found = |kind: &str| {
        CloudError::not_found(
            format!("ResourceNotFound.{kind}"),
            format!("The specified resource {} is not found.", s.server_id),
        )
    };
    let mismatch_vpc = || {
        bad(
            "Mismatch.VpcId",
            format!(
                "The server {} is not in VPC {} of the server group.",
                s.server_id, group.vpc_id
            ),
        )
    };
    let (ip, zone) = match s.server_type.as_str() {
        "Ecs" => {
            let i = ecs
                .instances
                .get(s.server_id.as_str())
                .filter(|i| i.region_id == group.region_id && i.owner_uid == ctx.caller_account)
                .ok_or_else(|| not_found("Ecs"))?;
            if i.vpc_id != group.vpc_id {
                return Err(mismatch_vpc());
            }
            (i.private_ip, Some(i.zone_id.clone()))
        }
        "Eni" => {
            let e = ecs
                .enis
                .get(s.server_id.as_str())
                .filter(|e| e.region_id == group.region_id && e.owner_uid == ctx.caller_account)
                .ok_or_else(|| not_found("Eni"))?;
            if e.vpc_id != group.vpc_id {
                return Err(mismatch_vpc());
            }
            (e.private_ip, Some(e.zone_id.clone()))
        }
        // ECI is not modeled: no container instance ever exists.
        "Eci" => return Err(not_found("Eci")),
        _ => {
            let raw = s.server_ip.as_deref().ok_or_else(|| {
                bad(
                    "MissingParam.IP",
                    "The server IP of an Ip server is missing.",
                )
            })?;
            let ip: Ipv4Addr = raw.trim().parse().map_err(|_| illegal("IP"))?;
            (ip, None)
        }
    };
    Ok(Server {
        server_id: s.server_id.clone(),
        server_type: s.server_type.clone(),
        server_ip: ip,
        port: port as u16,
        weight: weight as u8,
        zone_id: zone.map(String::from),
        description: s.description.clone().unwrap_or_default(),
    })
}

/// NLB AddServersToServerGroup (§5.1.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NlbAddServersToServerGroup {
    /// `RegionId`.
    pub region_id: String,
    /// `ServerGroupId`.
    pub server_group_id: String,
    /// `Servers.N`.
    pub servers: Vec<ServerParam>,
    /// `DryRun`.
    pub dry_run: bool,
    /// `ClientToken`.
    pub client_token: Option<String>,
}

/// A validated server-list change: the group id and its new server list.
#[derive(Debug, Clone)]
pub struct ServersPlan {
    group_id: String,
    servers: Vec<Server>,
}

impl CloudApi for NlbAddServersToServerGroup {
    const DECL: ApiDecl = PRODUCT
        .api(
            "AddServersToServerGroup",
            "nlb:AddServersToServerGroup",
            Update,
        )
        .names(&["ServerGroupId"])
        .resource_type("ACS::NLB::ServerGroup")
        .params(&[
            req("RegionId", Str),
            req("ServerGroupId", Str),
            opt("Servers.N.ServerId", Str),
            opt("Servers.N.ServerType", Str),
            opt("Servers.N.ServerIp", Str),
            opt("Servers.N.Port", Int),
            opt("Servers.N.Weight", Int),
            opt("Servers.N.Description", Str),
            opt("DryRun", Bool),
            opt("ClientToken", Str),
        ])
        .resources(&[
            "acs:nlb:{region}:{account}:servergroup/{ServerGroupId}",
            "acs:ecs:{region}:{account}:instance/{Servers.N.ServerId}",
        ])
        .response(&["ServerGroupId"]);
    type Plan = ServersPlan;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(NlbAddServersToServerGroup {
            region_id: p.req_str("RegionId")?,
            server_group_id: p.req_str("ServerGroupId")?,
            servers: decode_servers(p)?,
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
        let mut out = vec![arn(r, a, "servergroup", &self.server_group_id)];
        for s in self.servers.iter().filter(|s| s.server_type == "Ecs") {
            out.push(format!("acs:ecs:{r}:{a}:instance/{}", s.server_id));
        }
        Ok(out)
    }
    fn plan(
        &self,
        w: &World,
        ctx: &CallContext,
        _now: Timestamp,
    ) -> Result<Self::Plan, CloudError> {
        let g = own_group(w, ctx, &self.region_id, &self.server_group_id)?;
        if g.status != "Available" {
            return Err(bad(
                "IncorrectStatus.serverGroup",
                format!("The server group {} is {}.", g.server_group_id, g.status),
            ));
        }
        if self.servers.len() > MAX_SERVERS_PER_CALL {
            return Err(illegal("Servers"));
        }
        let mut servers = g.servers.clone();
        for s in &self.servers {
            let new = resolve_server(w, ctx, g, s)?;
            if servers
                .iter()
                .any(|o| o.server_id == new.server_id && o.port == new.port)
            {
                return Err(bad(
                    "DuplicatedParam.Server",
                    format!(
                        "The server {} on port {} is duplicated.",
                        new.server_id, new.port
                    ),
                ));
            }
            servers.push(new);
        }
        if self.dry_run {
            return Err(CloudError::dry_run());
        }
        Ok(ServersPlan {
            group_id: g.server_group_id.clone(),
            servers,
        })
    }
    fn apply(w: &mut World, _now: Timestamp, plan: Self::Plan) -> Value {
        if let Some(g) = w.nlb.server_groups.get_mut(&plan.group_id) {
            g.servers = plan.servers;
        }
        json!({ "ServerGroupId": plan.group_id })
    }
}

/// NLB RemoveServersFromServerGroup (§5.1.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NlbRemoveServersFromServerGroup {
    /// `RegionId`.
    pub region_id: String,
    /// `ServerGroupId`.
    pub server_group_id: String,
    /// `Servers.N`.
    pub servers: Vec<ServerParam>,
    /// `DryRun`.
    pub dry_run: bool,
    /// `ClientToken`.
    pub client_token: Option<String>,
}

impl CloudApi for NlbRemoveServersFromServerGroup {
    const DECL: ApiDecl = PRODUCT
        .api(
            "RemoveServersFromServerGroup",
            "nlb:RemoveServersFromServerGroup",
            Update,
        )
        .names(&["ServerGroupId"])
        .resource_type("ACS::NLB::ServerGroup")
        .params(&[
            req("RegionId", Str),
            req("ServerGroupId", Str),
            opt("Servers.N.ServerId", Str),
            opt("Servers.N.ServerType", Str),
            opt("Servers.N.ServerIp", Str),
            opt("Servers.N.Port", Int),
            opt("DryRun", Bool),
            opt("ClientToken", Str),
        ])
        .resources(&["acs:nlb:{region}:{account}:servergroup/{ServerGroupId}"])
        .response(&["ServerGroupId"]);
    type Plan = ServersPlan;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(NlbRemoveServersFromServerGroup {
            region_id: p.req_str("RegionId")?,
            server_group_id: p.req_str("ServerGroupId")?,
            servers: decode_servers(p)?,
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
        Ok(vec![arn(
            &self.region_id,
            &ctx.caller_account,
            "servergroup",
            &self.server_group_id,
        )])
    }
    fn plan(
        &self,
        w: &World,
        ctx: &CallContext,
        _now: Timestamp,
    ) -> Result<Self::Plan, CloudError> {
        let g = own_group(w, ctx, &self.region_id, &self.server_group_id)?;
        let mut servers = g.servers.clone();
        for s in &self.servers {
            let port = s.port.unwrap_or(0);
            let at = servers.iter().position(|o| {
                o.server_id == s.server_id
                    && o.server_type == s.server_type
                    && (g.any_port_enabled || i64::from(o.port) == port)
            });
            match at {
                Some(i) => {
                    servers.remove(i);
                }
                // ASSUMED code: the member is not in the group.
                None => {
                    return Err(CloudError::not_found(
                        "ResourceNotFound.BackendServer",
                        format!("The server {} is not in the server group.", s.server_id),
                    ))
                }
            }
        }
        if self.dry_run {
            return Err(CloudError::dry_run());
        }
        Ok(ServersPlan {
            group_id: g.server_group_id.clone(),
            servers,
        })
    }
    fn apply(w: &mut World, _now: Timestamp, plan: Self::Plan) -> Value {
        if let Some(g) = w.nlb.server_groups.get_mut(&plan.group_id) {
            g.servers = plan.servers;
        }
        json!({ "ServerGroupId": plan.group_id })
    }
}

// ---- CreateListener -----------------------------------------------------------------------

/// NLB CreateListener (§5.1.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NlbCreateListener {
    /// `RegionId`.
    pub region_id: String,
    /// `ListenerProtocol`.
    pub listener_protocol: String,
    /// `ListenerPort`.
    pub listener_port: i64,
    /// `StartPort`.
    pub start_port: Option<i64>,
    /// `EndPort`.
    pub end_port: Option<i64>,
    /// `LoadBalancerId`.
    pub load_balancer_id: String,
    /// `ServerGroupId`.
    pub server_group_id: String,
    /// `ListenerDescription`.
    pub listener_description: Option<String>,
    /// `IdleTimeout`.
    pub idle_timeout: Option<i64>,
    /// `CertificateIds.N`.
    pub certificate_ids: Vec<String>,
    /// `DryRun`.
    pub dry_run: bool,
    /// `ClientToken`.
    pub client_token: Option<String>,
}

impl CloudApi for NlbCreateListener {
    const DECL: ApiDecl = PRODUCT
        .api("CreateListener", "nlb:CreateListener", Create)
        .names(&["ListenerId"])
        .resource_type("ACS::NLB::Listener")
        .params(&[
            req("RegionId", Str),
            req("ListenerProtocol", Str),
            req("ListenerPort", Int),
            opt("StartPort", Int),
            opt("EndPort", Int),
            req("LoadBalancerId", Str),
            req("ServerGroupId", Str),
            opt("ListenerDescription", Str),
            opt("IdleTimeout", Int),
            opt("CertificateIds.N", Str),
            opt("DryRun", Bool),
            opt("ClientToken", Str),
        ])
        .resources(&[
            "acs:nlb:{region}:{account}:listener/*",
            "acs:nlb:{region}:{account}:loadbalancer/{LoadBalancerId}",
            "acs:nlb:{region}:{account}:servergroup/{ServerGroupId}",
        ])
        .response(&["ListenerId"]);
    type Plan = Listener;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(NlbCreateListener {
            region_id: p.req_str("RegionId")?,
            listener_protocol: p.req_str("ListenerProtocol")?,
            listener_port: p
                .opt_i64("ListenerPort")?
                .ok_or_else(|| CloudError::missing("ListenerPort"))?,
            start_port: p.opt_i64("StartPort")?,
            end_port: p.opt_i64("EndPort")?,
            load_balancer_id: p.req_str("LoadBalancerId")?,
            server_group_id: p.req_str("ServerGroupId")?,
            listener_description: p.opt_str("ListenerDescription")?,
            idle_timeout: p.opt_i64("IdleTimeout")?,
            certificate_ids: p.list_str("CertificateIds")?,
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
            arn(r, a, "listener", "*"),
            arn(r, a, "loadbalancer", &self.load_balancer_id),
            arn(r, a, "servergroup", &self.server_group_id),
        ])
    }
    fn plan(
        &self,
        w: &World,
        ctx: &CallContext,
        _now: Timestamp,
    ) -> Result<Self::Plan, CloudError> {
        let protocol = match self.listener_protocol.as_str() {
            p @ ("TCP" | "UDP" | "TCPSSL") => p,
            _ => return Err(illegal("ListenerProtocol")),
        };
        if !(0..=65535).contains(&self.listener_port) {
            return Err(illegal("ListenerPort"));
        }
        in_range(self.idle_timeout, 1, 900, "IdleTimeout")?;
        let all_port = self.listener_port == 0;
        let (start, end) = if all_port {
            match (self.start_port, self.end_port) {
                (Some(s), Some(e)) if (1..=65535).contains(&s) && s <= e && e <= 65535 => {
                    (Some(s as u16), Some(e as u16))
                }
                (None, _) => return Err(bad("MissingParam.StartPort", "StartPort is missing.")),
                (_, None) => return Err(bad("MissingParam.EndPort", "EndPort is missing.")),
                _ => return Err(illegal("StartPort")),
            }
        } else {
            (None, None)
        };
        if let Some(d) = &self.listener_description {
            if !crate::cloud::validate::generic_text_ok(d, 256) {
                return Err(illegal("ListenerDescription"));
            }
        }
        let lb = own_lb(w, ctx, &self.region_id, &self.load_balancer_id)?;
        let g = own_group(w, ctx, &self.region_id, &self.server_group_id)?;
        if lb.status != "Active" {
            return Err(bad(
                "IncorrectStatus.loadbalancer",
                format!(
                    "The load balancer {} is {}.",
                    lb.load_balancer_id, lb.status
                ),
            ));
        }
        if g.protocol != protocol {
            return Err(bad(
                "Mismatch.Protocol",
                format!(
                    "The listener protocol {protocol} does not match the server group protocol {}.",
                    g.protocol
                ),
            ));
        }
        if g.vpc_id != lb.vpc_id {
            return Err(bad(
                "Mismatch.VpcId",
                "The server group and the load balancer are in different VPCs.",
            ));
        }
        if protocol == "TCPSSL" && self.certificate_ids.is_empty() {
            return Err(bad(
                "MissingParam.Certificate",
                "A TCPSSL listener needs a certificate.",
            ));
        }
        if all_port && !g.any_port_enabled {
            return Err(bad(
                "IllegalParam.AnyPortListenerConflictWithNonAnyPortServerGroup",
                "An all-port listener needs an any-port server group.",
            ));
        }
        if !all_port && g.any_port_enabled {
            return Err(bad(
                "IllegalParam.NonAnyPortListenerConflictWithAnyPortServerGroup",
                "An any-port server group needs an all-port listener.",
            ));
        }
        let (lo, hi) = match (start, end) {
            (Some(s), Some(e)) => (s, e),
            _ => (self.listener_port as u16, self.listener_port as u16),
        };
        let clash = w.nlb.listeners.values().any(|l| {
            l.load_balancer_id == lb.load_balancer_id
                && l.protocol == protocol
                && (lo..=hi).any(|p| l.takes_port(p))
        });
        if clash {
            return Err(bad(
                "Conflict.Port",
                format!(
                    "The port {} is already used by a listener.",
                    self.listener_port
                ),
            ));
        }
        if self.dry_run {
            return Err(CloudError::dry_run());
        }
        Ok(Listener {
            listener_id: String::new(),
            region_id: self.region_id.clone(),
            owner_uid: ctx.caller_account.clone(),
            load_balancer_id: lb.load_balancer_id.clone(),
            server_group_id: g.server_group_id.clone(),
            protocol: protocol.into(),
            port: self.listener_port as u16,
            start_port: start,
            end_port: end,
            description: self.listener_description.clone().unwrap_or_default(),
            idle_timeout: self.idle_timeout.unwrap_or(900),
            certificate_ids: self.certificate_ids.clone(),
            status: "Running".into(),
        })
    }
    fn apply(w: &mut World, _now: Timestamp, mut l: Self::Plan) -> Value {
        l.listener_id = w.new_id("lsn", &l.region_id);
        let id = l.listener_id.clone();
        w.nlb.insert_listener(l);
        json!({ "ListenerId": id })
    }
}

// ---- reads --------------------------------------------------------------------------------

/// NLB GetLoadBalancerAttribute (§5.1.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NlbGetLoadBalancerAttribute {
    /// `RegionId`.
    pub region_id: String,
    /// `LoadBalancerId`.
    pub load_balancer_id: String,
}

impl CloudApi for NlbGetLoadBalancerAttribute {
    const DECL: ApiDecl = PRODUCT
        .api(
            "GetLoadBalancerAttribute",
            "nlb:GetLoadBalancerAttribute",
            Get,
        )
        .names(&["LoadBalancerId"])
        .resource_type("ACS::NLB::LoadBalancer")
        .params(&[req("RegionId", Str), req("LoadBalancerId", Str)])
        .resources(&["acs:nlb:{region}:{account}:loadbalancer/{LoadBalancerId}"])
        .response(&[
            "LoadBalancerId",
            "LoadBalancerName",
            "LoadBalancerType",
            "RegionId",
            "VpcId",
            "AddressType",
            "AddressIpVersion",
            "DNSName",
            "CrossZoneEnabled",
            "SecurityGroupIds",
            "LoadBalancerStatus",
            "LoadBalancerBusinessStatus",
            "ResourceGroupId",
            "LoadBalancerBillingConfig",
            "CreateTime",
            "ZoneMappings",
        ]);
    type Plan = Value;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(NlbGetLoadBalancerAttribute {
            region_id: p.req_str("RegionId")?,
            load_balancer_id: p.req_str("LoadBalancerId")?,
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
        Ok(vec![arn(
            &self.region_id,
            &ctx.caller_account,
            "loadbalancer",
            &self.load_balancer_id,
        )])
    }
    fn plan(&self, w: &World, ctx: &CallContext, _now: Timestamp) -> Result<Value, CloudError> {
        Ok(lb_json(own_lb(
            w,
            ctx,
            &self.region_id,
            &self.load_balancer_id,
        )?))
    }
    fn apply(_w: &mut World, _now: Timestamp, plan: Value) -> Value {
        plan
    }
}

/// NLB ListLoadBalancers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NlbListLoadBalancers {
    /// `RegionId`.
    pub region_id: String,
    /// `LoadBalancerIds.N`.
    pub load_balancer_ids: Vec<String>,
    /// `VpcIds.N`.
    pub vpc_ids: Vec<String>,
    /// `NextToken`.
    pub next_token: Option<String>,
    /// `MaxResults`.
    pub max_results: Option<i64>,
}

impl CloudApi for NlbListLoadBalancers {
    const DECL: ApiDecl = PRODUCT
        .api("ListLoadBalancers", "nlb:ListLoadBalancers", List)
        .resource_type("ACS::NLB::LoadBalancer")
        .params(&[
            req("RegionId", Str),
            opt("LoadBalancerIds.N", Str),
            opt("VpcIds.N", Str),
            opt("NextToken", Str),
            opt("MaxResults", Int),
        ])
        .response(&["LoadBalancers", "TotalCount", "NextToken", "MaxResults"]);
    type Plan = Value;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(NlbListLoadBalancers {
            region_id: p.req_str("RegionId")?,
            load_balancer_ids: p.list_str("LoadBalancerIds")?,
            vpc_ids: p.list_str("VpcIds")?,
            next_token: p.opt_str("NextToken")?,
            max_results: p.opt_i64("MaxResults")?,
        })
    }
    region_accessors!();
    fn plan(&self, w: &World, ctx: &CallContext, _now: Timestamp) -> Result<Value, CloudError> {
        let rows: Vec<&LoadBalancer> = w
            .nlb
            .load_balancers
            .values()
            .filter(|l| l.region_id == self.region_id && l.owner_uid == ctx.caller_account)
            .filter(|l| {
                self.load_balancer_ids.is_empty()
                    || self.load_balancer_ids.contains(&l.load_balancer_id)
            })
            .filter(|l| self.vpc_ids.is_empty() || self.vpc_ids.contains(&l.vpc_id))
            .collect();
        let (page, next, size) = page(&rows, self.next_token.as_deref(), self.max_results)?;
        Ok(json!({
            "LoadBalancers": page.into_iter().map(lb_json).collect::<Vec<_>>(),
            "TotalCount": rows.len(),
            "NextToken": next,
            "MaxResults": size,
        }))
    }
    fn apply(_w: &mut World, _now: Timestamp, plan: Value) -> Value {
        plan
    }
}

/// NLB ListServerGroups.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NlbListServerGroups {
    /// `RegionId`.
    pub region_id: String,
    /// `ServerGroupIds.N`.
    pub server_group_ids: Vec<String>,
    /// `VpcId`.
    pub vpc_id: Option<String>,
    /// `NextToken`.
    pub next_token: Option<String>,
    /// `MaxResults`.
    pub max_results: Option<i64>,
}

impl CloudApi for NlbListServerGroups {
    const DECL: ApiDecl = PRODUCT
        .api("ListServerGroups", "nlb:ListServerGroups", List)
        .names(&["VpcId"])
        .resource_type("ACS::NLB::ServerGroup")
        .params(&[
            req("RegionId", Str),
            opt("ServerGroupIds.N", Str),
            opt("VpcId", Str),
            opt("NextToken", Str),
            opt("MaxResults", Int),
        ])
        .response(&["ServerGroups", "TotalCount", "NextToken", "MaxResults"]);
    type Plan = Value;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(NlbListServerGroups {
            region_id: p.req_str("RegionId")?,
            server_group_ids: p.list_str("ServerGroupIds")?,
            vpc_id: p.opt_str("VpcId")?,
            next_token: p.opt_str("NextToken")?,
            max_results: p.opt_i64("MaxResults")?,
        })
    }
    region_accessors!();
    fn plan(&self, w: &World, ctx: &CallContext, _now: Timestamp) -> Result<Value, CloudError> {
        let rows: Vec<&ServerGroup> = w
            .nlb
            .server_groups
            .values()
            .filter(|g| g.region_id == self.region_id && g.owner_uid == ctx.caller_account)
            .filter(|g| {
                self.server_group_ids.is_empty()
                    || self.server_group_ids.contains(&g.server_group_id)
            })
            .filter(|g| self.vpc_id.as_ref().is_none_or(|v| *v == g.vpc_id))
            .collect();
        let (page, next, size) = page(&rows, self.next_token.as_deref(), self.max_results)?;
        Ok(json!({
            "ServerGroups": page.into_iter().map(|g| group_json(g, w)).collect::<Vec<_>>(),
            "TotalCount": rows.len(),
            "NextToken": next,
            "MaxResults": size,
        }))
    }
    fn apply(_w: &mut World, _now: Timestamp, plan: Value) -> Value {
        plan
    }
}

/// NLB ListListeners.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NlbListListeners {
    /// `RegionId`.
    pub region_id: String,
    /// `LoadBalancerIds.N`.
    pub load_balancer_ids: Vec<String>,
    /// `ListenerIds.N`.
    pub listener_ids: Vec<String>,
    /// `ListenerProtocol`.
    pub listener_protocol: Option<String>,
    /// `NextToken`.
    pub next_token: Option<String>,
    /// `MaxResults`.
    pub max_results: Option<i64>,
}

impl CloudApi for NlbListListeners {
    const DECL: ApiDecl = PRODUCT
        .api("ListListeners", "nlb:ListListeners", List)
        .resource_type("ACS::NLB::Listener")
        .params(&[
            req("RegionId", Str),
            opt("LoadBalancerIds.N", Str),
            opt("ListenerIds.N", Str),
            opt("ListenerProtocol", Str),
            opt("NextToken", Str),
            opt("MaxResults", Int),
        ])
        .response(&["Listeners", "TotalCount", "NextToken", "MaxResults"]);
    type Plan = Value;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(NlbListListeners {
            region_id: p.req_str("RegionId")?,
            load_balancer_ids: p.list_str("LoadBalancerIds")?,
            listener_ids: p.list_str("ListenerIds")?,
            listener_protocol: p.opt_str("ListenerProtocol")?,
            next_token: p.opt_str("NextToken")?,
            max_results: p.opt_i64("MaxResults")?,
        })
    }
    region_accessors!();
    fn plan(&self, w: &World, ctx: &CallContext, _now: Timestamp) -> Result<Value, CloudError> {
        let rows: Vec<&Listener> = w
            .nlb
            .listeners
            .values()
            .filter(|l| l.region_id == self.region_id && l.owner_uid == ctx.caller_account)
            .filter(|l| {
                self.load_balancer_ids.is_empty()
                    || self.load_balancer_ids.contains(&l.load_balancer_id)
            })
            .filter(|l| self.listener_ids.is_empty() || self.listener_ids.contains(&l.listener_id))
            .filter(|l| {
                self.listener_protocol
                    .as_ref()
                    .is_none_or(|p| *p == l.protocol)
            })
            .collect();
        let (page, next, size) = page(&rows, self.next_token.as_deref(), self.max_results)?;
        Ok(json!({
            "Listeners": page.into_iter().map(listener_json).collect::<Vec<_>>(),
            "TotalCount": rows.len(),
            "NextToken": next,
            "MaxResults": size,
        }))
    }
    fn apply(_w: &mut World, _now: Timestamp, plan: Value) -> Value {
        plan
    }
}

/// NLB GetListenerHealthStatus (§5.1.4): per server group, the servers that are not healthy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NlbGetListenerHealthStatus {
    /// `RegionId`.
    pub region_id: String,
    /// `ListenerId`.
    pub listener_id: String,
    /// `NextToken`.
    pub next_token: Option<String>,
    /// `MaxResults`.
    pub max_results: Option<i64>,
}

/// The health of every server behind listener `listener` at `now`, in group order.
pub fn listener_health(w: &World, listener: &Listener, now: Timestamp) -> Vec<(Server, Health)> {
    let lb = w.nlb.load_balancers.get(&listener.load_balancer_id);
    let g = w.nlb.server_groups.get(&listener.server_group_id);
    match (lb, g) {
        (Some(lb), Some(g)) => g
            .servers
            .iter()
            .map(|s| (s.clone(), server_health(w, lb, g, s, now)))
            .collect(),
        _ => Vec::new(),
    }
}

impl CloudApi for NlbGetListenerHealthStatus {
    const DECL: ApiDecl = PRODUCT
        .api(
            "GetListenerHealthStatus",
            "nlb:GetListenerHealthStatus",
            Get,
        )
        .names(&["ListenerId"])
        .resource_type("ACS::NLB::Listener")
        .params(&[
            req("RegionId", Str),
            req("ListenerId", Str),
            opt("NextToken", Str),
            opt("MaxResults", Int),
        ])
        .resources(&["acs:nlb:{region}:{account}:listener/{ListenerId}"])
        .response(&[
            "ListenerHealthStatus",
            "TotalCount",
            "NextToken",
            "MaxResults",
        ]);
    type Plan = Value;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(NlbGetListenerHealthStatus {
            region_id: p.req_str("RegionId")?,
            listener_id: p.req_str("ListenerId")?,
            next_token: p.opt_str("NextToken")?,
            max_results: p.opt_i64("MaxResults")?,
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
        Ok(vec![arn(
            &self.region_id,
            &ctx.caller_account,
            "listener",
            &self.listener_id,
        )])
    }
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Value, CloudError> {
        let l = own_listener(w, ctx, &self.region_id, &self.listener_id)?;
        let rows: Vec<Value> = listener_health(w, l, now)
            .into_iter()
            .filter(|(_, h)| *h != Health::Healthy)
            .map(|(s, h)| {
                let mut v = json!({
                    "ServerId": s.server_id,
                    "ServerIp": s.server_ip.to_string(),
                    "Port": s.port,
                    "Status": h.status(),
                });
                if let (Health::Unhealthy(code), Some(o)) = (h, v.as_object_mut()) {
                    o.insert("Reason".into(), json!({ "ReasonCode": code }));
                }
                v
            })
            .collect();
        let (page, next, size) = page(&rows, self.next_token.as_deref(), self.max_results)?;
        Ok(json!({
            "ListenerHealthStatus": [{
                "ListenerId": l.listener_id,
                "ListenerPort": l.port,
                "ListenerProtocol": l.protocol,
                "ServerGroupInfos": [{
                    "ServerGroupId": l.server_group_id,
                    "HeathyStatus": if rows.is_empty() { "Normal" } else { "Abnormal" },
                    "NonNormalServers": page,
                }],
            }],
            "TotalCount": rows.len(),
            "NextToken": next,
            "MaxResults": size,
        }))
    }
    fn apply(_w: &mut World, _now: Timestamp, plan: Value) -> Value {
        plan
    }
}

// ---- deletes ------------------------------------------------------------------------------

/// NLB DeleteListener.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NlbDeleteListener {
    /// `RegionId`.
    pub region_id: String,
    /// `ListenerId`.
    pub listener_id: String,
    /// `DryRun`.
    pub dry_run: bool,
    /// `ClientToken`.
    pub client_token: Option<String>,
}

impl CloudApi for NlbDeleteListener {
    const DECL: ApiDecl = PRODUCT
        .api("DeleteListener", "nlb:DeleteListener", Delete)
        .names(&["ListenerId"])
        .resource_type("ACS::NLB::Listener")
        .params(&[
            req("RegionId", Str),
            req("ListenerId", Str),
            opt("DryRun", Bool),
            opt("ClientToken", Str),
        ])
        .resources(&["acs:nlb:{region}:{account}:listener/{ListenerId}"]);
    type Plan = String;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(NlbDeleteListener {
            region_id: p.req_str("RegionId")?,
            listener_id: p.req_str("ListenerId")?,
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
        Ok(vec![arn(
            &self.region_id,
            &ctx.caller_account,
            "listener",
            &self.listener_id,
        )])
    }
    fn plan(&self, w: &World, ctx: &CallContext, _now: Timestamp) -> Result<String, CloudError> {
        let l = own_listener(w, ctx, &self.region_id, &self.listener_id)?;
        if self.dry_run {
            return Err(CloudError::dry_run());
        }
        Ok(l.listener_id.clone())
    }
    fn apply(w: &mut World, _now: Timestamp, id: String) -> Value {
        w.nlb.remove_listener(&id);
        json!({})
    }
}

/// NLB DeleteServerGroup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NlbDeleteServerGroup {
    /// `RegionId`.
    pub region_id: String,
    /// `ServerGroupId`.
    pub server_group_id: String,
    /// `DryRun`.
    pub dry_run: bool,
    /// `ClientToken`.
    pub client_token: Option<String>,
}

impl CloudApi for NlbDeleteServerGroup {
    const DECL: ApiDecl = PRODUCT
        .api("DeleteServerGroup", "nlb:DeleteServerGroup", Delete)
        .names(&["ServerGroupId"])
        .resource_type("ACS::NLB::ServerGroup")
        .params(&[
            req("RegionId", Str),
            req("ServerGroupId", Str),
            opt("DryRun", Bool),
            opt("ClientToken", Str),
        ])
        .resources(&["acs:nlb:{region}:{account}:servergroup/{ServerGroupId}"]);
    type Plan = String;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(NlbDeleteServerGroup {
            region_id: p.req_str("RegionId")?,
            server_group_id: p.req_str("ServerGroupId")?,
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
        Ok(vec![arn(
            &self.region_id,
            &ctx.caller_account,
            "servergroup",
            &self.server_group_id,
        )])
    }
    fn plan(&self, w: &World, ctx: &CallContext, _now: Timestamp) -> Result<String, CloudError> {
        let g = own_group(w, ctx, &self.region_id, &self.server_group_id)?;
        // ASSUMED code: a group a listener forwards to cannot be deleted.
        if let Some(l) = w
            .nlb
            .listeners
            .values()
            .find(|l| l.server_group_id == g.server_group_id)
        {
            return Err(bad(
                "ResourceInUse.ServerGroup",
                format!(
                    "The server group {} is used by listener {}.",
                    g.server_group_id, l.listener_id
                ),
            ));
        }
        if self.dry_run {
            return Err(CloudError::dry_run());
        }
        Ok(g.server_group_id.clone())
    }
    fn apply(w: &mut World, _now: Timestamp, id: String) -> Value {
        w.nlb.server_groups.remove(&id);
        json!({})
    }
}

/// NLB DeleteLoadBalancer: removes the NLB, its listeners and its addresses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NlbDeleteLoadBalancer {
    /// `RegionId`.
    pub region_id: String,
    /// `LoadBalancerId`.
    pub load_balancer_id: String,
    /// `DryRun`.
    pub dry_run: bool,
    /// `ClientToken`.
    pub client_token: Option<String>,
}

impl CloudApi for NlbDeleteLoadBalancer {
    const DECL: ApiDecl = PRODUCT
        .api("DeleteLoadBalancer", "nlb:DeleteLoadBalancer", Delete)
        .names(&["LoadBalancerId"])
        .resource_type("ACS::NLB::LoadBalancer")
        .params(&[
            req("RegionId", Str),
            req("LoadBalancerId", Str),
            opt("DryRun", Bool),
            opt("ClientToken", Str),
        ])
        .resources(&["acs:nlb:{region}:{account}:loadbalancer/{LoadBalancerId}"]);
    type Plan = String;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(NlbDeleteLoadBalancer {
            region_id: p.req_str("RegionId")?,
            load_balancer_id: p.req_str("LoadBalancerId")?,
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
        Ok(vec![arn(
            &self.region_id,
            &ctx.caller_account,
            "loadbalancer",
            &self.load_balancer_id,
        )])
    }
    fn plan(&self, w: &World, ctx: &CallContext, _now: Timestamp) -> Result<String, CloudError> {
        let lb = own_lb(w, ctx, &self.region_id, &self.load_balancer_id)?;
        // ASSUMED code: an NLB that backs an endpoint service must be detached first (§4.3.6).
        if let Some(s) = crate::cloud::privatelink::service_using(w, &lb.load_balancer_id) {
            return Err(bad(
                "ResourceInUse.loadBalancer",
                format!(
                    "The load balancer {} is attached to endpoint service {s}.",
                    lb.load_balancer_id
                ),
            ));
        }
        if self.dry_run {
            return Err(CloudError::dry_run());
        }
        Ok(lb.load_balancer_id.clone())
    }
    fn apply(w: &mut World, _now: Timestamp, id: String) -> Value {
        if let Some(lb) = w.nlb.load_balancers.remove(&id) {
            for z in &lb.zone_mappings {
                for ip in std::iter::once(&z.private_ipv4_address).chain(&z.local_addresses) {
                    if matches!(w.ecs.addresses.owner(&lb.vpc_id, *ip),
                        Some(AddressOwner::Service { id: owner, .. }) if *owner == id)
                    {
                        w.ecs.addresses.remove(&lb.vpc_id, *ip);
                    }
                }
            }
        }
        let gone: Vec<String> = w
            .nlb
            .listeners_of(&id)
            .map(|l| l.listener_id.clone())
            .collect();
        for l in gone {
            w.nlb.remove_listener(&l);
        }
        json!({})
    }
}
