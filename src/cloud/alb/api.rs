//! The Alb product's APIs (§5.2), each declared once: typed parameters, RAM action and ARNs
//! (§9.2, (A) rows ASSUMED by NLB's pattern), response shape, and the calls into `ops.rs`.
//!
//! Registered in `cloud::operation`. The types of API names NLB or CLB also declare carry an
//! `Alb` prefix (`AlbCreateLoadBalancer`); the registry tells them apart by product. A RAM
//! denial answers by resource type (§9.5): `Forbidden.ServerGroup` / `Forbidden.Listener` for
//! the server group and listener APIs, `Forbidden.LoadBalancer` otherwise.

use super::ops::server_health;
use super::resources::{HealthCheck, Listener, LoadBalancer, Server, ServerGroup};
use super::{DENY_LISTENER, DENY_SERVER_GROUP, PRODUCT};
use crate::cloud::declare::region_accessors;
use crate::cloud::declare::ParamType::{Bool, Int, Str};
use crate::cloud::declare::{opt, req, AccessLevel::*, ApiDecl, CloudApi};
use crate::cloud::error::CloudError;
use crate::cloud::params::Params;
use crate::cloud::time::Timestamp;
use crate::cloud::world::{CallContext, World};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

fn arn(region: &str, owner: &str, kind: &str, id: &str) -> String {
    format!("acs:alb:{region}:{owner}:{kind}/{id}")
}

fn field<'a>(m: &'a Map<String, Value>, k: &str) -> Option<&'a Value> {
    m.get(k)
}
fn text(m: &Map<String, Value>, k: &str) -> Option<String> {
    match field(m, k)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}
fn int(m: &Map<String, Value>, k: &str, list: &str) -> Result<Option<i64>, CloudError> {
    match field(m, k) {
        None => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| CloudError::invalid_param(list, "an integer")),
        Some(Value::String(s)) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| CloudError::invalid_param(list, "an integer")),
        Some(_) => Err(CloudError::invalid_param(list, "an integer")),
    }
}
fn boolean(m: &Map<String, Value>, k: &str, list: &str) -> Result<bool, CloudError> {
    match field(m, k) {
        None => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(Value::String(s)) if s == "true" => Ok(true),
        Some(Value::String(s)) if s == "false" => Ok(false),
        Some(_) => Err(CloudError::invalid_param(list, "true or false")),
    }
}

/// CreateLoadBalancer (ALB, §5.2.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlbCreateLoadBalancer {
    /// `RegionId`.
    pub region_id: String,
    /// `VpcId`.
    pub vpc_id: String,
    /// `AddressType`.
    pub address_type: String,
    /// `LoadBalancerName`.
    pub name: Option<String>,
    /// `LoadBalancerEdition`.
    pub edition: String,
    /// `LoadBalancerBillingConfig.PayType`.
    pub pay_type: String,
    /// `ZoneMappings.N.{ZoneId, VSwitchId, IntranetAddress}`.
    pub zones: Vec<(String, String, Option<String>)>,
    /// `AddressAllocatedMode`.
    pub address_allocated_mode: Option<String>,
    /// `AddressIpVersion`.
    pub address_ip_version: Option<String>,
    /// `DeletionProtectionEnabled`.
    pub deletion_protection: bool,
    /// `ResourceGroupId`.
    pub resource_group_id: Option<String>,
    /// `DryRun`.
    pub dry_run: bool,
    /// `ClientToken`.
    pub client_token: Option<String>,
}

impl CloudApi for AlbCreateLoadBalancer {
    const DECL: ApiDecl = PRODUCT
        .api("CreateLoadBalancer", "alb:CreateLoadBalancer", Create)
        .names(&["LoadBalancerId"])
        .resource_type("ACS::ALB::LoadBalancer")
        .params(&[
            req("RegionId", Str),
            req("VpcId", Str),
            req("AddressType", Str),
            opt("LoadBalancerName", Str),
            req("LoadBalancerEdition", Str),
            req("LoadBalancerBillingConfig.PayType", Str),
            opt("ZoneMappings.N.ZoneId", Str),
            opt("ZoneMappings.N.VSwitchId", Str),
            opt("ZoneMappings.N.IntranetAddress", Str),
            opt("AddressAllocatedMode", Str),
            opt("AddressIpVersion", Str),
            opt("DeletionProtectionEnabled", Bool),
            opt("ResourceGroupId", Str),
            opt("DryRun", Bool),
            opt("ClientToken", Str),
        ])
        .resources(&["acs:alb:{region}:{account}:loadbalancer/*"])
        .response(&["LoadBalancerId"]);
    type Plan = LoadBalancer;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        let mut zones = Vec::new();
        for m in p.list_obj("ZoneMappings") {
            let zone =
                text(&m, "ZoneId").ok_or_else(|| CloudError::missing("ZoneMappings.N.ZoneId"))?;
            let vsw = text(&m, "VSwitchId")
                .ok_or_else(|| CloudError::missing("ZoneMappings.N.VSwitchId"))?;
            zones.push((zone, vsw, text(&m, "IntranetAddress")));
        }
        Ok(AlbCreateLoadBalancer {
            region_id: p.req_str("RegionId")?,
            vpc_id: p.req_str("VpcId")?,
            address_type: p.req_str("AddressType")?,
            name: p.opt_str("LoadBalancerName")?,
            edition: p.req_str("LoadBalancerEdition")?,
            pay_type: p.req_str("LoadBalancerBillingConfig.PayType")?,
            zones,
            address_allocated_mode: p.opt_str("AddressAllocatedMode")?,
            address_ip_version: p.opt_str("AddressIpVersion")?,
            deletion_protection: p.flag("DeletionProtectionEnabled")?,
            resource_group_id: p.opt_str("ResourceGroupId")?,
            dry_run: p.flag("DryRun")?,
            client_token: p.client_token()?,
        })
    }
    region_accessors!(dry_run);
    fn client_token(&self) -> Option<&str> {
        self.client_token.as_deref()
    }
    fn authorize(
        &self,
        w: &World,
        ctx: &CallContext,
        _now: Timestamp,
        _k: &mut BTreeMap<String, String>,
    ) -> Result<Vec<String>, CloudError> {
        w.known_region(&self.region_id)?;
        Ok(vec![arn(
            &self.region_id,
            &ctx.caller_account,
            "loadbalancer",
            "*",
        )])
    }
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Self::Plan, CloudError> {
        w.plan_create_alb(ctx, now, self)
    }
    fn apply(w: &mut World, _now: Timestamp, plan: Self::Plan) -> Value {
        w.apply_create_alb(plan)
    }
}

/// Declares a call on one existing ALB object: `(RegionId, <IdParam>, DryRun)`.
macro_rules! by_id {
    ($(#[$doc:meta])* $name:ident, $api:literal, $action:literal, $level:ident, $param:literal, $kind:literal, $own:ident, $plan:ty, $resp:expr,
     plan: |$w:ident, $ctx:ident, $now:ident, $s:ident| $planbody:expr,
     apply: |$aw:ident, $anow:ident, $p:ident| $applybody:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        pub struct $name {
            /// `RegionId`.
            pub region_id: String,
            #[doc = concat!("`", $param, "`.")]
            pub id: String,
            /// `DryRun`.
            pub dry_run: bool,
        }

        impl CloudApi for $name {
            const DECL: ApiDecl = PRODUCT
                .api($api, $action, $level)
                .names(&[$param])
                .params(&[req("RegionId", Str), req($param, Str), opt("DryRun", Bool)])
                .resource_type(super::resource_type_of($kind))
                .resources(&[concat!("acs:alb:{region}:{account}:", $kind, "/{", $param, "}")])
                .denial(super::denial_of($kind))
                .response($resp);
            type Plan = $plan;

            fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
                Ok($name {
                    region_id: p.req_str("RegionId")?,
                    id: p.req_str($param)?,
                    dry_run: p.flag("DryRun")?,
                })
            }
            region_accessors!(dry_run);
            fn authorize(&self, w: &World, ctx: &CallContext, _now: Timestamp, _k: &mut BTreeMap<String, String>) -> Result<Vec<String>, CloudError> {
                let owner = w.$own(&ctx.caller_account, &self.region_id, &self.id)?.owner_uid.clone();
                Ok(vec![arn(&self.region_id, &owner, $kind, &self.id)])
            }
            fn plan(&self, $w: &World, $ctx: &CallContext, $now: Timestamp) -> Result<Self::Plan, CloudError> {
                let $s = self;
                $planbody
            }
            fn apply($aw: &mut World, $anow: Timestamp, $p: Self::Plan) -> Value {
                $applybody
            }
        }
    };
}

by_id!(
    /// DeleteLoadBalancer (ALB): frees the VIPs, removes its listeners.
    AlbDeleteLoadBalancer, "DeleteLoadBalancer", "alb:DeleteLoadBalancer", Delete, "LoadBalancerId", "loadbalancer", own_lb, String, &[],
    plan: |w, ctx, _now, s| w.plan_delete_alb(ctx, &DeleteLoadBalancerArgs { region_id: s.region_id.clone(), load_balancer_id: s.id.clone(), dry_run: s.dry_run }),
    apply: |w, _now, id| w.apply_delete_alb(&id)
);

by_id!(
    /// GetLoadBalancerAttribute (ALB): zones, VIPs, back-to-origin addresses, DNS name.
    AlbGetLoadBalancerAttribute, "GetLoadBalancerAttribute", "alb:GetLoadBalancerAttribute", Get, "LoadBalancerId", "loadbalancer", own_lb, Value,
    &["LoadBalancerId", "LoadBalancerName", "LoadBalancerStatus", "LoadBalancerBussinessStatus", "LoadBalancerEdition", "AddressType", "AddressAllocatedMode", "AddressIpVersion", "DNSName", "VpcId", "RegionId", "ResourceGroupId", "DeletionProtectionConfig", "CreateTime", "BackToOriginRouteEnabled", "ZoneMappings"],
    plan: |w, ctx, now, s| {
        let lb = w.own_lb(&ctx.caller_account, &s.region_id, &s.id)?;
        Ok(w.alb_attribute(lb, now))
    },
    apply: |_w, _now, v| v
);

by_id!(
    /// DeleteServerGroup (ALB): refused while a listener forwards to it.
    AlbDeleteServerGroup, "DeleteServerGroup", "alb:DeleteServerGroup", Delete, "ServerGroupId", "servergroup", own_sgp, String, &[],
    plan: |w, ctx, _now, s| w.plan_delete_sgp(ctx, &DeleteServerGroupArgs { region_id: s.region_id.clone(), server_group_id: s.id.clone(), dry_run: s.dry_run }),
    apply: |w, _now, id| { w.alb.server_groups.remove(&id); json!({}) }
);

by_id!(
    /// DeleteListener (ALB).
    AlbDeleteListener, "DeleteListener", "alb:DeleteListener", Delete, "ListenerId", "listener", own_lsn, String, &[],
    plan: |w, ctx, _now, s| {
        let l = w.own_lsn(&ctx.caller_account, &s.region_id, &s.id)?;
        if s.dry_run { return Err(CloudError::dry_run()); }
        Ok(l.listener_id.clone())
    },
    apply: |w, _now, id| { w.alb.listeners.remove(&id); json!({}) }
);

by_id!(
    /// GetListenerHealthStatus (ALB): health of every server behind the listener
    /// ([`server_health`], the function reach analysis replaces).
    AlbGetListenerHealthStatus, "GetListenerHealthStatus", "alb:GetListenerHealthStatus", Get, "ListenerId", "listener", own_lsn, Value,
    &["ListenerHealthStatus", "RuleHealthStatus", "NextToken"],
    plan: |w, ctx, now, s| {
        let l = w.own_lsn(&ctx.caller_account, &s.region_id, &s.id)?;
        Ok(w.listener_health(l, now))
    },
    apply: |_w, _now, v| v
);

by_id!(
    /// ListServerGroupServers (ALB): the servers of one group.
    ListServerGroupServers, "ListServerGroupServers", "alb:ListServerGroupServers", List, "ServerGroupId", "servergroup", own_sgp, Value,
    &["TotalCount", "MaxResults", "NextToken", "Servers"],
    plan: |w, ctx, now, s| {
        let g = w.own_sgp(&ctx.caller_account, &s.region_id, &s.id)?;
        let servers: Vec<Value> = g.servers.iter().map(|x| json!({
            "ServerGroupId": g.server_group_id, "ServerId": x.server_id, "ServerType": x.server_type,
            "ServerIp": x.server_ip.to_string(), "Port": x.port, "Weight": x.weight,
            "RemoteIpEnabled": x.remote_ip, "Description": x.description, "Status": x.lifecycle.at(now).as_str(),
        })).collect();
        Ok(json!({"TotalCount": servers.len(), "MaxResults": 100, "NextToken": "", "Servers": servers}))
    },
    apply: |_w, _now, v| v
);

/// Arguments of the delete plans (shared with tests).
#[derive(Debug, Clone)]
pub struct DeleteLoadBalancerArgs {
    /// Region.
    pub region_id: String,
    /// Id.
    pub load_balancer_id: String,
    /// DryRun.
    pub dry_run: bool,
}

/// Arguments of the server group delete plan.
#[derive(Debug, Clone)]
pub struct DeleteServerGroupArgs {
    /// Region.
    pub region_id: String,
    /// Id.
    pub server_group_id: String,
    /// DryRun.
    pub dry_run: bool,
}

/// CreateServerGroup (ALB, §5.2.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlbCreateServerGroup {
    /// `RegionId`.
    pub region_id: String,
    /// `ServerGroupName`.
    pub name: String,
    /// `ServerGroupType`.
    pub group_type: Option<String>,
    /// `VpcId`.
    pub vpc_id: Option<String>,
    /// `Protocol`.
    pub protocol: Option<String>,
    /// `Scheduler`.
    pub scheduler: Option<String>,
    /// `HealthCheckConfig.*`.
    pub health_check: HealthCheck,
    /// `DryRun`.
    pub dry_run: bool,
    /// `ClientToken`.
    pub client_token: Option<String>,
}

impl CloudApi for AlbCreateServerGroup {
    const DECL: ApiDecl = PRODUCT
        .api("CreateServerGroup", "alb:CreateServerGroup", Create)
        .names(&["ServerGroupId"])
        .resource_type("ACS::ALB::ServerGroup")
        .params(&[
            req("RegionId", Str),
            req("ServerGroupName", Str),
            opt("ServerGroupType", Str),
            opt("VpcId", Str),
            opt("Protocol", Str),
            opt("Scheduler", Str),
            opt("HealthCheckConfig.HealthCheckEnabled", Bool),
            opt("HealthCheckConfig.HealthCheckProtocol", Str),
            opt("HealthCheckConfig.HealthCheckConnectPort", Int),
            opt("HealthCheckConfig.HealthCheckPath", Str),
            opt("HealthCheckConfig.HealthCheckInterval", Int),
            opt("HealthCheckConfig.HealthCheckTimeout", Int),
            opt("HealthCheckConfig.HealthyThreshold", Int),
            opt("HealthCheckConfig.UnhealthyThreshold", Int),
            opt("StickySessionConfig.StickySessionEnabled", Bool),
            opt("DryRun", Bool),
            opt("ClientToken", Str),
        ])
        .resources(&["acs:alb:{region}:{account}:servergroup/*"])
        .denial(DENY_SERVER_GROUP)
        .response(&["ServerGroupId"]);
    type Plan = ServerGroup;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        let _ = p.flag("StickySessionConfig.StickySessionEnabled")?;
        let port = p
            .opt_i64("HealthCheckConfig.HealthCheckConnectPort")?
            .unwrap_or(0);
        let port = u16::try_from(port).map_err(|_| {
            CloudError::invalid_param("HealthCheckConfig.HealthCheckConnectPort", "0 to 65535")
        })?;
        Ok(AlbCreateServerGroup {
            region_id: p.req_str("RegionId")?,
            name: p.req_str("ServerGroupName")?,
            group_type: p.opt_str("ServerGroupType")?,
            vpc_id: p.opt_str("VpcId")?,
            protocol: p.opt_str("Protocol")?,
            scheduler: p.opt_str("Scheduler")?,
            health_check: HealthCheck {
                enabled: p
                    .opt_bool("HealthCheckConfig.HealthCheckEnabled")?
                    .unwrap_or(true),
                protocol: p
                    .opt_str("HealthCheckConfig.HealthCheckProtocol")?
                    .unwrap_or_else(|| "HTTP".into()),
                connect_port: port,
                path: p
                    .opt_str("HealthCheckConfig.HealthCheckPath")?
                    .unwrap_or_else(|| "/".into()),
                interval: p
                    .opt_i64("HealthCheckConfig.HealthCheckInterval")?
                    .unwrap_or(2),
                timeout: p
                    .opt_i64("HealthCheckConfig.HealthCheckTimeout")?
                    .unwrap_or(5),
                healthy_threshold: p
                    .opt_i64("HealthCheckConfig.HealthyThreshold")?
                    .unwrap_or(3),
                unhealthy_threshold: p
                    .opt_i64("HealthCheckConfig.UnhealthyThreshold")?
                    .unwrap_or(3),
            },
            dry_run: p.flag("DryRun")?,
            client_token: p.client_token()?,
        })
    }
    region_accessors!(dry_run);
    fn client_token(&self) -> Option<&str> {
        self.client_token.as_deref()
    }
    fn authorize(
        &self,
        w: &World,
        ctx: &CallContext,
        _now: Timestamp,
        _k: &mut BTreeMap<String, String>,
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
        w.plan_create_sgp(ctx, now, self)
    }
    fn apply(w: &mut World, _now: Timestamp, plan: Self::Plan) -> Value {
        w.apply_create_sgp(plan)
    }
}

/// One `Servers.N` item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerParam {
    /// `ServerId`.
    pub server_id: String,
    /// `ServerType`.
    pub server_type: String,
    /// `ServerIp`.
    pub server_ip: Option<String>,
    /// `Port`.
    pub port: i64,
    /// `Weight` (default 100).
    pub weight: i64,
    /// `RemoteIpEnabled`.
    pub remote_ip: bool,
    /// `Description`.
    pub description: String,
}

fn servers(p: &Params<'_>) -> Result<Vec<ServerParam>, CloudError> {
    let mut out = Vec::new();
    for m in p.list_obj("Servers") {
        out.push(ServerParam {
            server_id: text(&m, "ServerId")
                .ok_or_else(|| CloudError::missing("Servers.N.ServerId"))?,
            server_type: text(&m, "ServerType")
                .ok_or_else(|| CloudError::missing("Servers.N.ServerType"))?,
            server_ip: text(&m, "ServerIp"),
            port: int(&m, "Port", "Servers.N.Port")?
                .ok_or_else(|| CloudError::missing("Servers.N.Port"))?,
            weight: int(&m, "Weight", "Servers.N.Weight")?.unwrap_or(100),
            remote_ip: boolean(&m, "RemoteIpEnabled", "Servers.N.RemoteIpEnabled")?,
            description: text(&m, "Description").unwrap_or_default(),
        });
    }
    Ok(out)
}

/// AddServersToServerGroup (ALB, §5.2.3 #1–#10).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlbAddServersToServerGroup {
    /// `RegionId`.
    pub region_id: String,
    /// `ServerGroupId`.
    pub server_group_id: String,
    /// `Servers.N`.
    pub servers: Vec<ServerParam>,
    /// `DryRun`.
    pub dry_run: bool,
}

/// RemoveServersFromServerGroup (ALB).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlbRemoveServersFromServerGroup {
    /// `RegionId`.
    pub region_id: String,
    /// `ServerGroupId`.
    pub server_group_id: String,
    /// `Servers.N`.
    pub servers: Vec<ServerParam>,
    /// `DryRun`.
    pub dry_run: bool,
}

const SERVER_PARAMS: &[crate::cloud::declare::Param] = &[
    req("RegionId", Str),
    req("ServerGroupId", Str),
    opt("Servers.N.ServerId", Str),
    opt("Servers.N.ServerType", Str),
    opt("Servers.N.ServerIp", Str),
    opt("Servers.N.Port", Int),
    opt("Servers.N.Weight", Int),
    opt("Servers.N.RemoteIpEnabled", Bool),
    opt("Servers.N.Description", Str),
    opt("DryRun", Bool),
];

fn server_arns(
    w: &World,
    ctx: &CallContext,
    region: &str,
    id: &str,
    servers: &[ServerParam],
) -> Result<Vec<String>, CloudError> {
    let g = w.own_sgp(&ctx.caller_account, region, id)?;
    let mut out = vec![arn(region, &g.owner_uid, "servergroup", id)];
    for s in servers.iter().filter(|s| s.server_type == "Ecs") {
        out.push(format!(
            "acs:ecs:{region}:{}:instance/{}",
            ctx.caller_account, s.server_id
        ));
    }
    Ok(out)
}

impl CloudApi for AlbAddServersToServerGroup {
    const DECL: ApiDecl = PRODUCT
        .api(
            "AddServersToServerGroup",
            "alb:AddServersToServerGroup",
            Update,
        )
        .names(&["ServerGroupId"])
        .resource_type("ACS::ALB::ServerGroup")
        .params(SERVER_PARAMS)
        .resources(&["acs:alb:{region}:{account}:servergroup/{ServerGroupId}"])
        .denial(DENY_SERVER_GROUP)
        .response(&["JobId"]);
    type Plan = (String, Vec<Server>);

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(AlbAddServersToServerGroup {
            region_id: p.req_str("RegionId")?,
            server_group_id: p.req_str("ServerGroupId")?,
            servers: servers(p)?,
            dry_run: p.flag("DryRun")?,
        })
    }
    region_accessors!(dry_run);
    fn authorize(
        &self,
        w: &World,
        ctx: &CallContext,
        _now: Timestamp,
        _k: &mut BTreeMap<String, String>,
    ) -> Result<Vec<String>, CloudError> {
        server_arns(
            w,
            ctx,
            &self.region_id,
            &self.server_group_id,
            &self.servers,
        )
    }
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Self::Plan, CloudError> {
        w.plan_add_servers(ctx, now, self)
    }
    fn apply(w: &mut World, _now: Timestamp, (id, new): Self::Plan) -> Value {
        let job = w.new_id("job", "");
        if let Some(g) = w.alb.server_groups.get_mut(&id) {
            g.servers.extend(new);
        }
        json!({"JobId": job})
    }
}

impl CloudApi for AlbRemoveServersFromServerGroup {
    const DECL: ApiDecl = PRODUCT
        .api(
            "RemoveServersFromServerGroup",
            "alb:RemoveServersFromServerGroup",
            Update,
        )
        .names(&["ServerGroupId"])
        .resource_type("ACS::ALB::ServerGroup")
        .params(SERVER_PARAMS)
        .resources(&["acs:alb:{region}:{account}:servergroup/{ServerGroupId}"])
        .denial(DENY_SERVER_GROUP)
        .response(&["JobId"]);
    type Plan = (String, Vec<(String, u16)>);

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(AlbRemoveServersFromServerGroup {
            region_id: p.req_str("RegionId")?,
            server_group_id: p.req_str("ServerGroupId")?,
            servers: servers(p)?,
            dry_run: p.flag("DryRun")?,
        })
    }
    region_accessors!(dry_run);
    fn authorize(
        &self,
        w: &World,
        ctx: &CallContext,
        _now: Timestamp,
        _k: &mut BTreeMap<String, String>,
    ) -> Result<Vec<String>, CloudError> {
        server_arns(
            w,
            ctx,
            &self.region_id,
            &self.server_group_id,
            &self.servers,
        )
    }
    fn plan(
        &self,
        w: &World,
        ctx: &CallContext,
        _now: Timestamp,
    ) -> Result<Self::Plan, CloudError> {
        w.plan_remove_servers(ctx, self)
    }
    fn apply(w: &mut World, _now: Timestamp, (id, gone): Self::Plan) -> Value {
        let job = w.new_id("job", "");
        if let Some(g) = w.alb.server_groups.get_mut(&id) {
            g.servers
                .retain(|s| !gone.contains(&(s.server_id.clone(), s.port)));
        }
        json!({"JobId": job})
    }
}

/// CreateListener (ALB, §5.2.4) with `ForwardGroup` default actions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlbCreateListener {
    /// `RegionId`.
    pub region_id: String,
    /// `LoadBalancerId`.
    pub load_balancer_id: String,
    /// `ListenerProtocol`.
    pub protocol: String,
    /// `ListenerPort`.
    pub port: i64,
    /// `ListenerDescription`.
    pub description: Option<String>,
    /// `Certificates.N.CertificateId`.
    pub certificates: Vec<String>,
    /// `DefaultActions.N.ForwardGroupConfig.ServerGroupTuples.N.ServerGroupId`.
    pub server_group_ids: Vec<String>,
    /// `DryRun`.
    pub dry_run: bool,
    /// `ClientToken`.
    pub client_token: Option<String>,
}

impl CloudApi for AlbCreateListener {
    const DECL: ApiDecl = PRODUCT
        .api("CreateListener", "alb:CreateListener", Create)
        .names(&["ListenerId"])
        .resource_type("ACS::ALB::Listener")
        .params(&[
            req("RegionId", Str),
            req("LoadBalancerId", Str),
            req("ListenerProtocol", Str),
            req("ListenerPort", Int),
            opt("ListenerDescription", Str),
            opt("Certificates.N.CertificateId", Str),
            opt("DefaultActions.N.Type", Str),
            opt(
                "DefaultActions.N.ForwardGroupConfig.ServerGroupTuples.N.ServerGroupId",
                Str,
            ),
            opt("DryRun", Bool),
            opt("ClientToken", Str),
        ])
        .resources(&[
            "acs:alb:{region}:{account}:loadbalancer/{LoadBalancerId}",
            "acs:alb:{region}:{account}:listener/*",
        ])
        .denial(DENY_LISTENER)
        .response(&["ListenerId"]);
    type Plan = Listener;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        let mut groups = Vec::new();
        for a in p.list_obj("DefaultActions") {
            if let Some(t) = text(&a, "Type") {
                if t != "ForwardGroup" {
                    return Err(CloudError::invalid_param(
                        "DefaultActions.N.Type",
                        "ForwardGroup",
                    ));
                }
            }
            for i in 1..=100 {
                match text(
                    &a,
                    &format!("ForwardGroupConfig.ServerGroupTuples.{i}.ServerGroupId"),
                ) {
                    Some(g) => groups.push(g),
                    None => break,
                }
            }
        }
        let certificates = p
            .list_obj("Certificates")
            .iter()
            .filter_map(|m| text(m, "CertificateId"))
            .collect();
        Ok(AlbCreateListener {
            region_id: p.req_str("RegionId")?,
            load_balancer_id: p.req_str("LoadBalancerId")?,
            protocol: p.req_str("ListenerProtocol")?,
            port: p
                .opt_i64("ListenerPort")?
                .ok_or_else(|| CloudError::missing("ListenerPort"))?,
            description: p.opt_str("ListenerDescription")?,
            certificates,
            server_group_ids: groups,
            dry_run: p.flag("DryRun")?,
            client_token: p.client_token()?,
        })
    }
    region_accessors!(dry_run);
    fn client_token(&self) -> Option<&str> {
        self.client_token.as_deref()
    }
    fn authorize(
        &self,
        w: &World,
        ctx: &CallContext,
        _now: Timestamp,
        _k: &mut BTreeMap<String, String>,
    ) -> Result<Vec<String>, CloudError> {
        let lb = w.own_lb(&ctx.caller_account, &self.region_id, &self.load_balancer_id)?;
        let mut out = vec![
            arn(
                &self.region_id,
                &lb.owner_uid,
                "loadbalancer",
                &lb.load_balancer_id,
            ),
            arn(&self.region_id, &ctx.caller_account, "listener", "*"),
        ];
        for g in &self.server_group_ids {
            out.push(arn(&self.region_id, &ctx.caller_account, "servergroup", g));
        }
        Ok(out)
    }
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Self::Plan, CloudError> {
        w.plan_create_listener(ctx, now, self)
    }
    fn apply(w: &mut World, _now: Timestamp, plan: Self::Plan) -> Value {
        w.apply_create_listener(plan)
    }
}

/// A regional list call (`ListServerGroups`, `ListListeners`).
macro_rules! region_list {
    ($(#[$doc:meta])* $name:ident, $api:literal, $action:literal, $field:literal, $kind:literal, |$w:ident, $ctx:ident, $now:ident, $s:ident| $rows:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        pub struct $name {
            /// `RegionId`.
            pub region_id: String,
        }

        impl CloudApi for $name {
            const DECL: ApiDecl = PRODUCT
                .api($api, $action, List)
                .resource_type(super::resource_type_of($kind))
                .params(&[req("RegionId", Str)])
                .denial(super::denial_of($kind))
                .response(&["TotalCount", "MaxResults", "NextToken", $field]);
            type Plan = Value;

            fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
                Ok($name { region_id: p.req_str("RegionId")? })
            }
            fn region(&self) -> Option<&str> {
                Some(&self.region_id)
            }
            fn plan(&self, $w: &World, $ctx: &CallContext, $now: Timestamp) -> Result<Self::Plan, CloudError> {
                let $s = self;
                let rows: Vec<Value> = $rows;
                Ok(json!({"TotalCount": rows.len(), "MaxResults": 100, "NextToken": "", $field: rows}))
            }
            fn apply(_w: &mut World, _now: Timestamp, v: Self::Plan) -> Value {
                v
            }
        }
    };
}

region_list!(
    /// ListServerGroups (ALB).
    AlbListServerGroups, "ListServerGroups", "alb:ListServerGroups", "ServerGroups", "servergroup",
    |w, ctx, now, s| w.alb.server_groups.values()
        .filter(|g| g.owner_uid == ctx.caller_account && g.region_id == s.region_id)
        .map(|g| json!({
            "ServerGroupId": g.server_group_id, "ServerGroupName": g.name, "ServerGroupType": g.group_type,
            "VpcId": g.vpc_id, "Protocol": g.protocol, "Scheduler": g.scheduler,
            "ServerGroupStatus": g.lifecycle.at(now).as_str(), "ServerCount": g.servers.len(),
            "HealthCheckConfig": {"HealthCheckEnabled": g.health_check.enabled, "HealthCheckProtocol": g.health_check.protocol,
                                  "HealthCheckConnectPort": g.health_check.connect_port, "HealthCheckPath": g.health_check.path},
        }))
        .collect()
);

region_list!(
    /// ListListeners (ALB).
    AlbListListeners, "ListListeners", "alb:ListListeners", "Listeners", "listener",
    |w, ctx, now, s| w.alb.listeners.values()
        .filter(|l| l.owner_uid == ctx.caller_account && l.region_id == s.region_id)
        .map(|l| json!({
            "ListenerId": l.listener_id, "LoadBalancerId": l.load_balancer_id, "ListenerProtocol": l.protocol,
            "ListenerPort": l.port, "ListenerDescription": l.description, "ListenerStatus": l.lifecycle.at(now).as_str(),
            "DefaultActions": [{"Type": "ForwardGroup", "ForwardGroupConfig": {"ServerGroupTuples":
                l.server_group_ids.iter().map(|g| json!({"ServerGroupId": g})).collect::<Vec<_>>()}}],
        }))
        .collect()
);

/// Health of one server (re-exported for the analyzer and tests).
pub fn health_of(
    w: &World,
    group: &ServerGroup,
    server: &Server,
    now: Timestamp,
) -> (&'static str, &'static str) {
    server_health(w, group, server, now)
}
