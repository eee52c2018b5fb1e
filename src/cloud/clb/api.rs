//! The CLB APIs of §5.3, each declared once (parameters, RAM action and ARNs, response shape,
//! checks and effects). Types carry a `Clb` prefix: NLB and ALB declare APIs of the same names.

use super::{BackendServer, Clb, ClbListener, PRODUCT};
use crate::cloud::declare::region_accessors;
use crate::cloud::declare::ParamType::{Int, Str};
use crate::cloud::declare::{opt, req, AccessLevel::*, ApiDecl, CloudApi};
use crate::cloud::ecs::eni::vswitch_available;
use crate::cloud::ecs::AddressOwner;
use crate::cloud::error::CloudError;
use crate::cloud::params::Params;
use crate::cloud::time::Timestamp;
use crate::cloud::validate::page_of;
use crate::cloud::world::{CallContext, World};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

fn bad(code: &str, message: impl Into<String>) -> CloudError {
    CloudError::bad(code, message)
}

fn arn(region: &str, account: &str, id: &str) -> String {
    format!("acs:slb:{region}:{account}:loadbalancer/{id}")
}

/// The address-index owner of a CLB VIP.
pub fn vip_owner(id: &str) -> AddressOwner {
    AddressOwner::Service {
        kind: "clb-vip".into(),
        id: id.into(),
    }
}

/// The caller's CLB `id` in `region` (`InvalidLoadBalancerId.NotFound`, CLB's code).
pub(crate) fn own_clb<'w>(
    w: &'w World,
    ctx: &CallContext,
    region: &str,
    id: &str,
) -> Result<&'w Clb, CloudError> {
    w.clb
        .load_balancers
        .get(id)
        .filter(|l| l.region_id == region && l.owner_uid == ctx.caller_account)
        .ok_or_else(|| {
            bad(
                "InvalidLoadBalancerId.NotFound",
                format!("The specified LoadBalancerId {id} does not exist."),
            )
        })
}

/// One CLB as `DescribeLoadBalancers` shows it.
pub fn clb_json(l: &Clb) -> Value {
    json!({
        "LoadBalancerId": l.load_balancer_id,
        "LoadBalancerName": l.name,
        "LoadBalancerStatus": l.status,
        "Address": l.address.to_string(),
        "AddressType": l.address_type,
        "NetworkType": if l.vpc_id.is_some() { "vpc" } else { "classic" },
        "VpcId": l.vpc_id.clone().unwrap_or_default(),
        "VSwitchId": l.vswitch_id.clone().unwrap_or_default(),
        "MasterZoneId": l.master_zone_id,
        "SlaveZoneId": l.slave_zone_id.clone().unwrap_or_default(),
        "PayType": l.pay_type,
        "InstanceChargeType": l.instance_charge_type,
        "RegionId": l.region_id,
        "ResourceGroupId": l.resource_group_id,
        "CreateTime": l.create_time.to_string(),
        "ListenerPorts": l.listeners.keys().collect::<Vec<_>>(),
        "BackendServers": l.backends.iter().map(|b| json!({
            "ServerId": b.server_id, "Weight": b.weight, "ServerIp": b.ip.to_string()
        })).collect::<Vec<_>>(),
    })
}

// ---- CreateLoadBalancer -------------------------------------------------------------------

/// CLB CreateLoadBalancer (§5.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClbCreateLoadBalancer {
    /// `RegionId`.
    pub region_id: String,
    /// `AddressType`.
    pub address_type: Option<String>,
    /// `VpcId`.
    pub vpc_id: Option<String>,
    /// `VSwitchId`.
    pub vswitch_id: Option<String>,
    /// `Address`.
    pub address: Option<String>,
    /// `MasterZoneId`.
    pub master_zone_id: Option<String>,
    /// `SlaveZoneId`.
    pub slave_zone_id: Option<String>,
    /// `LoadBalancerSpec`.
    pub load_balancer_spec: Option<String>,
    /// `PayType`.
    pub pay_type: Option<String>,
    /// `InstanceChargeType`.
    pub instance_charge_type: Option<String>,
    /// `LoadBalancerName`.
    pub load_balancer_name: Option<String>,
    /// `ClientToken`.
    pub client_token: Option<String>,
}

impl CloudApi for ClbCreateLoadBalancer {
    const DECL: ApiDecl = PRODUCT
        .api("CreateLoadBalancer", "slb:CreateLoadBalancer", Create)
        .names(&["LoadBalancerId"])
        .resource_type("ACS::SLB::LoadBalancer")
        .params(&[
            req("RegionId", Str),
            opt("AddressType", Str),
            opt("VpcId", Str),
            opt("VSwitchId", Str),
            opt("Address", Str),
            opt("MasterZoneId", Str),
            opt("SlaveZoneId", Str),
            opt("LoadBalancerSpec", Str),
            opt("PayType", Str),
            opt("InstanceChargeType", Str),
            opt("LoadBalancerName", Str),
            opt("ClientToken", Str),
        ])
        .resources(&["acs:slb:{region}:{account}:loadbalancer/*"])
        .response(&[
            "LoadBalancerId",
            "Address",
            "AddressType",
            "NetworkType",
            "VpcId",
            "VSwitchId",
            "LoadBalancerName",
            "ResourceGroupId",
        ]);
    type Plan = Clb;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(ClbCreateLoadBalancer {
            region_id: p.req_str("RegionId")?,
            address_type: p.opt_str("AddressType")?,
            vpc_id: p.opt_str("VpcId")?,
            vswitch_id: p.opt_str("VSwitchId")?,
            address: p.opt_str("Address")?,
            master_zone_id: p.opt_str("MasterZoneId")?,
            slave_zone_id: p.opt_str("SlaveZoneId")?,
            load_balancer_spec: p.opt_str("LoadBalancerSpec")?,
            pay_type: p.opt_str("PayType")?,
            instance_charge_type: p.opt_str("InstanceChargeType")?,
            load_balancer_name: p.opt_str("LoadBalancerName")?,
            client_token: p.client_token()?,
        })
    }
    region_accessors!(client_token);
    fn authorize(
        &self,
        w: &World,
        ctx: &CallContext,
        _now: Timestamp,
        _keys: &mut BTreeMap<String, String>,
    ) -> Result<Vec<String>, CloudError> {
        w.known_region(&self.region_id)?;
        Ok(vec![arn(&self.region_id, &ctx.caller_account, "*")])
    }
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Clb, CloudError> {
        let acct = w.caller_account(ctx)?;
        w.known_region(&self.region_id)?;
        let pay_type = match self.pay_type.as_deref() {
            None | Some("PayOnDemand") => "PayOnDemand",
            Some("PrePay") => "PrePay",
            Some(_) => return Err(bad("InvalidParameter.PayType", "PayType is not valid.")),
        };
        let charge = match self.instance_charge_type.as_deref() {
            None | Some("PayBySpec") => "PayBySpec",
            Some("PayByCLCU") => "PayByCLCU",
            Some(_) => {
                return Err(bad(
                    "InvalidParameter.InstanceChargeType",
                    "InstanceChargeType is not valid.",
                ))
            }
        };
        if let Some(n) = &self.load_balancer_name {
            if !crate::cloud::validate::generic_text_ok(n, 80) {
                return Err(bad(
                    "InvalidParameter.LoadBalancerName",
                    "LoadBalancerName is not valid.",
                ));
            }
        }
        // A vSwitch makes the CLB intranet in that VPC (§5.3).
        let (address_type, vpc, vsw, address, zone) = match &self.vswitch_id {
            Some(v) => {
                let vsw = w
                    .vswitch(v)
                    .filter(|s| s.region_id == self.region_id && s.owner_uid == acct.uid)
                    .ok_or_else(|| {
                        // ASSUMED code.
                        bad(
                            "InvalidVSwitchId.NotExist",
                            format!("The vSwitch {v} does not exist."),
                        )
                    })?;
                if self.vpc_id.as_ref().is_some_and(|x| *x != vsw.vpc_id) {
                    return Err(bad(
                        "InvalidParameter.VpcId",
                        "The vSwitch is not in the given VPC.",
                    ));
                }
                if !vswitch_available(vsw, now) {
                    return Err(bad(
                        "IncorrectStatus.VSwitch",
                        "The vSwitch is not available.",
                    ));
                }
                let index = &w.ecs().addresses;
                let ip = match &self.address {
                    Some(a) => {
                        let ip: Ipv4Addr = a.trim().parse().map_err(|_| {
                            bad("InvalidParameter.Address", "Address is not valid.")
                        })?;
                        if !vsw.cidr_block.contains(&ip) || vsw.is_reserved(ip) {
                            return Err(bad(
                                "InvalidParameter.Address",
                                "Address is not in the vSwitch.",
                            ));
                        }
                        if index.is_used(&vsw.vpc_id, ip) {
                            // ASSUMED code.
                            return Err(bad(
                                "InvalidIpAddress.AlreadyUsed",
                                format!("The address {ip} is in use."),
                            ));
                        }
                        ip
                    }
                    None => *index.lowest_free(vsw, 1).first().ok_or_else(|| {
                        bad(
                            "ResourceNotEnough.VSwitchIp",
                            "The vSwitch has no free address.",
                        )
                    })?,
                };
                if self
                    .master_zone_id
                    .as_ref()
                    .is_some_and(|z| *z != vsw.zone_id)
                {
                    return Err(bad(
                        "InvalidParameter.MasterZoneId",
                        "MasterZoneId is not the zone of the vSwitch.",
                    ));
                }
                (
                    "intranet",
                    Some(vsw.vpc_id.clone()),
                    Some(vsw.vswitch_id.clone()),
                    ip,
                    vsw.zone_id.clone(),
                )
            }
            None => {
                if self.address_type.as_deref() == Some("intranet") {
                    return Err(CloudError::missing("VSwitchId"));
                }
                // ASSUMED: an internet CLB's public address comes from TEST-NET-2, one per
                // internet CLB of the region, so ids and addresses stay deterministic.
                let n = w
                    .clb
                    .load_balancers
                    .values()
                    .filter(|l| l.region_id == self.region_id && l.vpc_id.is_none())
                    .count();
                let ip = Ipv4Addr::new(198, 51, 100, (n % 254 + 1) as u8);
                let zone = self
                    .master_zone_id
                    .clone()
                    .or_else(|| w.zones_of(&self.region_id).first().cloned())
                    .unwrap_or_default();
                ("internet", None, None, ip, zone)
            }
        };
        if self
            .address_type
            .as_deref()
            .is_some_and(|t| t != address_type)
        {
            return Err(bad(
                "InvalidParameter.AddressType",
                "AddressType does not fit the network.",
            ));
        }
        Ok(Clb {
            load_balancer_id: String::new(),
            region_id: self.region_id.clone(),
            owner_uid: acct.uid.clone(),
            name: self.load_balancer_name.clone().unwrap_or_default(),
            address_type: address_type.into(),
            vpc_id: vpc,
            vswitch_id: vsw,
            address,
            master_zone_id: zone,
            slave_zone_id: self.slave_zone_id.clone(),
            spec: self.load_balancer_spec.clone(),
            pay_type: pay_type.into(),
            instance_charge_type: charge.into(),
            status: "active".into(),
            listeners: BTreeMap::new(),
            backends: Vec::new(),
            resource_group_id: acct.default_resource_group().to_string(),
            create_time: now,
        })
    }
    fn apply(w: &mut World, _now: Timestamp, mut l: Clb) -> Value {
        l.load_balancer_id = w.new_id("lb", &l.region_id);
        if let Some(v) = &l.vpc_id {
            let _ = w
                .ecs
                .addresses
                .insert(v, l.address, vip_owner(&l.load_balancer_id));
        }
        let v = json!({
            "LoadBalancerId": l.load_balancer_id,
            "Address": l.address.to_string(),
            "AddressType": l.address_type,
            "NetworkType": if l.vpc_id.is_some() { "vpc" } else { "classic" },
            "VpcId": l.vpc_id.clone().unwrap_or_default(),
            "VSwitchId": l.vswitch_id.clone().unwrap_or_default(),
            "LoadBalancerName": l.name,
            "ResourceGroupId": l.resource_group_id,
        });
        w.clb.load_balancers.insert(l.load_balancer_id.clone(), l);
        v
    }
}

// ---- listeners ----------------------------------------------------------------------------

/// CLB CreateLoadBalancerTCPListener (§5.3): a `stopped` TCP listener.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClbCreateLoadBalancerTCPListener {
    /// `RegionId`.
    pub region_id: String,
    /// `LoadBalancerId`.
    pub load_balancer_id: String,
    /// `ListenerPort`.
    pub listener_port: i64,
    /// `BackendServerPort`.
    pub backend_server_port: Option<i64>,
    /// `Bandwidth`.
    pub bandwidth: Option<i64>,
}

impl CloudApi for ClbCreateLoadBalancerTCPListener {
    const DECL: ApiDecl = PRODUCT
        .api(
            "CreateLoadBalancerTCPListener",
            "slb:CreateLoadBalancerTCPListener",
            Create,
        )
        .names(&["LoadBalancerId"])
        .resource_type("ACS::SLB::LoadBalancer")
        .params(&[
            req("RegionId", Str),
            req("LoadBalancerId", Str),
            req("ListenerPort", Int),
            opt("BackendServerPort", Int),
            opt("Bandwidth", Int),
        ])
        .resources(&["acs:slb:{region}:{account}:loadbalancer/{LoadBalancerId}"]);
    type Plan = (String, ClbListener);

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(ClbCreateLoadBalancerTCPListener {
            region_id: p.req_str("RegionId")?,
            load_balancer_id: p.req_str("LoadBalancerId")?,
            listener_port: p
                .opt_i64("ListenerPort")?
                .ok_or_else(|| CloudError::missing("ListenerPort"))?,
            backend_server_port: p.opt_i64("BackendServerPort")?,
            bandwidth: p.opt_i64("Bandwidth")?,
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
            &self.load_balancer_id,
        )])
    }
    fn plan(
        &self,
        w: &World,
        ctx: &CallContext,
        _now: Timestamp,
    ) -> Result<Self::Plan, CloudError> {
        let l = own_clb(w, ctx, &self.region_id, &self.load_balancer_id)?;
        let port = |v: i64, name: &str| {
            u16::try_from(v).ok().filter(|p| *p >= 1).ok_or_else(|| {
                bad(
                    &format!("InvalidParameter.{name}"),
                    format!("{name} must be 1–65535."),
                )
            })
        };
        let lp = port(self.listener_port, "ListenerPort")?;
        let bp = port(
            self.backend_server_port.unwrap_or(self.listener_port),
            "BackendServerPort",
        )?;
        let bw = self.bandwidth.unwrap_or(-1);
        if bw != -1 && !(1..=5120).contains(&bw) {
            return Err(bad(
                "InvalidParameter.Bandwidth",
                "Bandwidth must be -1 or 1–5120.",
            ));
        }
        if l.listeners.contains_key(&lp) {
            // ASSUMED code.
            return Err(bad(
                "ListenerAlreadyExists",
                format!("A listener on port {lp} exists."),
            ));
        }
        Ok((
            l.load_balancer_id.clone(),
            ClbListener {
                port: lp,
                backend_port: bp,
                protocol: "tcp".into(),
                bandwidth: bw,
                status: "stopped".into(),
            },
        ))
    }
    fn apply(w: &mut World, _now: Timestamp, (id, listener): Self::Plan) -> Value {
        if let Some(l) = w.clb.load_balancers.get_mut(&id) {
            l.listeners.insert(listener.port, listener);
        }
        json!({})
    }
}

/// CLB StartLoadBalancerListener: `stopped` → `running`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClbStartLoadBalancerListener {
    /// `RegionId`.
    pub region_id: String,
    /// `LoadBalancerId`.
    pub load_balancer_id: String,
    /// `ListenerPort`.
    pub listener_port: i64,
}

impl CloudApi for ClbStartLoadBalancerListener {
    const DECL: ApiDecl = PRODUCT
        .api(
            "StartLoadBalancerListener",
            "slb:StartLoadBalancerListener",
            Update,
        )
        .names(&["LoadBalancerId"])
        .resource_type("ACS::SLB::LoadBalancer")
        .params(&[
            req("RegionId", Str),
            req("LoadBalancerId", Str),
            req("ListenerPort", Int),
        ])
        .resources(&["acs:slb:{region}:{account}:loadbalancer/{LoadBalancerId}"]);
    type Plan = (String, u16);

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(ClbStartLoadBalancerListener {
            region_id: p.req_str("RegionId")?,
            load_balancer_id: p.req_str("LoadBalancerId")?,
            listener_port: p
                .opt_i64("ListenerPort")?
                .ok_or_else(|| CloudError::missing("ListenerPort"))?,
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
            &self.load_balancer_id,
        )])
    }
    fn plan(
        &self,
        w: &World,
        ctx: &CallContext,
        _now: Timestamp,
    ) -> Result<Self::Plan, CloudError> {
        let l = own_clb(w, ctx, &self.region_id, &self.load_balancer_id)?;
        let port = u16::try_from(self.listener_port)
            .ok()
            .filter(|p| l.listeners.contains_key(p))
            // ASSUMED code.
            .ok_or_else(|| {
                bad(
                    "ListenerNotFound",
                    format!("No listener on port {}.", self.listener_port),
                )
            })?;
        Ok((l.load_balancer_id.clone(), port))
    }
    fn apply(w: &mut World, _now: Timestamp, (id, port): Self::Plan) -> Value {
        if let Some(x) = w
            .clb
            .load_balancers
            .get_mut(&id)
            .and_then(|l| l.listeners.get_mut(&port))
        {
            x.status = "running".into();
        }
        json!({})
    }
}

// ---- backends -----------------------------------------------------------------------------

/// CLB AddBackendServers: ECS instances of the CLB's VPC (`BackendServers` is a JSON list of
/// `{ServerId, Weight}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClbAddBackendServers {
    /// `RegionId`.
    pub region_id: String,
    /// `LoadBalancerId`.
    pub load_balancer_id: String,
    /// `BackendServers` (JSON text).
    pub backend_servers: String,
}

impl CloudApi for ClbAddBackendServers {
    const DECL: ApiDecl = PRODUCT
        .api("AddBackendServers", "slb:AddBackendServers", Update)
        .names(&["LoadBalancerId"])
        .resource_type("ACS::SLB::LoadBalancer")
        .params(&[
            req("RegionId", Str),
            req("LoadBalancerId", Str),
            req("BackendServers", Str),
        ])
        .resources(&["acs:slb:{region}:{account}:loadbalancer/{LoadBalancerId}"])
        .response(&["LoadBalancerId", "BackendServers"]);
    type Plan = (String, Vec<BackendServer>);

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(ClbAddBackendServers {
            region_id: p.req_str("RegionId")?,
            load_balancer_id: p.req_str("LoadBalancerId")?,
            backend_servers: p.req_str("BackendServers")?,
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
            &self.load_balancer_id,
        )])
    }
    fn plan(
        &self,
        w: &World,
        ctx: &CallContext,
        _now: Timestamp,
    ) -> Result<Self::Plan, CloudError> {
        let l = own_clb(w, ctx, &self.region_id, &self.load_balancer_id)?;
        let malformed = || {
            bad(
                "InvalidParameter.BackendServers",
                "BackendServers is not a JSON list of servers.",
            )
        };
        let items: Vec<Value> =
            serde_json::from_str(&self.backend_servers).map_err(|_| malformed())?;
        if items.is_empty() || items.len() > 20 {
            return Err(malformed());
        }
        let mut backends = l.backends.clone();
        for it in &items {
            let id = it
                .get("ServerId")
                .and_then(Value::as_str)
                .ok_or_else(malformed)?;
            let weight = match it.get("Weight") {
                None => 100,
                Some(Value::Number(n)) => n.as_i64().ok_or_else(malformed)?,
                Some(Value::String(s)) => s.parse::<i64>().map_err(|_| malformed())?,
                Some(_) => return Err(malformed()),
            };
            if !(0..=100).contains(&weight) {
                return Err(bad("InvalidParameter.Weight", "Weight must be 0–100."));
            }
            let i = w
                .ecs()
                .instances
                .get(id)
                .filter(|i| i.region_id == l.region_id && i.owner_uid == l.owner_uid)
                // ASSUMED code.
                .ok_or_else(|| {
                    bad(
                        "InvalidBackendServer.NotExist",
                        format!("The instance {id} does not exist."),
                    )
                })?;
            if l.vpc_id.as_deref().is_some_and(|v| v != i.vpc_id) {
                // ASSUMED code: backends sit in the CLB's VPC (§5.3).
                return Err(bad(
                    "BackendServer.VpcMismatch",
                    format!("{id} is not in the CLB's VPC."),
                ));
            }
            match backends.iter_mut().find(|b| b.server_id == id) {
                Some(b) => b.weight = weight as u8,
                None => backends.push(BackendServer {
                    server_id: id.to_string(),
                    weight: weight as u8,
                    ip: i.private_ip,
                }),
            }
        }
        Ok((l.load_balancer_id.clone(), backends))
    }
    fn apply(w: &mut World, _now: Timestamp, (id, backends): Self::Plan) -> Value {
        let list: Vec<Value> = backends
            .iter()
            .map(|b| json!({"ServerId": b.server_id, "Weight": b.weight}))
            .collect();
        if let Some(l) = w.clb.load_balancers.get_mut(&id) {
            l.backends = backends;
        }
        json!({"LoadBalancerId": id, "BackendServers": {"BackendServer": list}})
    }
}

// ---- reads and delete ---------------------------------------------------------------------

/// CLB DescribeLoadBalancers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClbDescribeLoadBalancers {
    /// `RegionId`.
    pub region_id: String,
    /// `LoadBalancerId` (comma-separated).
    pub load_balancer_id: Option<String>,
    /// `VpcId`.
    pub vpc_id: Option<String>,
    /// `PageNumber`.
    pub page_number: i64,
    /// `PageSize`.
    pub page_size: i64,
}

impl CloudApi for ClbDescribeLoadBalancers {
    const DECL: ApiDecl = PRODUCT
        .api("DescribeLoadBalancers", "slb:DescribeLoadBalancers", List)
        .names(&["VpcId"])
        .resource_type("ACS::SLB::LoadBalancer")
        .params(&[
            req("RegionId", Str),
            opt("LoadBalancerId", Str),
            opt("VpcId", Str),
            opt("PageNumber", Int),
            opt("PageSize", Int),
        ])
        .response(&["LoadBalancers", "TotalCount", "PageNumber", "PageSize"]);
    type Plan = Value;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(ClbDescribeLoadBalancers {
            region_id: p.req_str("RegionId")?,
            load_balancer_id: p.opt_str("LoadBalancerId")?,
            vpc_id: p.opt_str("VpcId")?,
            page_number: p.page("PageNumber", 1, i64::from(i32::MAX))?,
            page_size: p.page("PageSize", 10, 100)?,
        })
    }
    region_accessors!();
    fn plan(&self, w: &World, ctx: &CallContext, _now: Timestamp) -> Result<Value, CloudError> {
        let ids: Vec<&str> = self
            .load_balancer_id
            .as_deref()
            .map(|s| {
                s.split(',')
                    .map(str::trim)
                    .filter(|x| !x.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let rows = w
            .clb
            .load_balancers
            .values()
            .filter(|l| l.region_id == self.region_id && l.owner_uid == ctx.caller_account)
            .filter(|l| ids.is_empty() || ids.contains(&l.load_balancer_id.as_str()))
            .filter(|l| self.vpc_id.is_none() || l.vpc_id == self.vpc_id);
        let (total, page) = page_of(rows, self.page_number, self.page_size);
        Ok(json!({
            "LoadBalancers": {"LoadBalancer": page.into_iter().map(clb_json).collect::<Vec<_>>()},
            "TotalCount": total,
            "PageNumber": self.page_number,
            "PageSize": self.page_size,
        }))
    }
    fn apply(_w: &mut World, _now: Timestamp, plan: Value) -> Value {
        plan
    }
}

/// CLB DeleteLoadBalancer: frees the VIP; refused while an endpoint service uses it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClbDeleteLoadBalancer {
    /// `RegionId`.
    pub region_id: String,
    /// `LoadBalancerId`.
    pub load_balancer_id: String,
}

impl CloudApi for ClbDeleteLoadBalancer {
    const DECL: ApiDecl = PRODUCT
        .api("DeleteLoadBalancer", "slb:DeleteLoadBalancer", Delete)
        .names(&["LoadBalancerId"])
        .resource_type("ACS::SLB::LoadBalancer")
        .params(&[req("RegionId", Str), req("LoadBalancerId", Str)])
        .resources(&["acs:slb:{region}:{account}:loadbalancer/{LoadBalancerId}"]);
    type Plan = String;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(ClbDeleteLoadBalancer {
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
            &self.load_balancer_id,
        )])
    }
    fn plan(&self, w: &World, ctx: &CallContext, _now: Timestamp) -> Result<String, CloudError> {
        let l = own_clb(w, ctx, &self.region_id, &self.load_balancer_id)?;
        if let Some(s) = crate::cloud::privatelink::service_using(w, &l.load_balancer_id) {
            // ASSUMED code.
            return Err(bad(
                "ResourceInUse.LoadBalancer",
                format!("The load balancer is attached to endpoint service {s}."),
            ));
        }
        Ok(l.load_balancer_id.clone())
    }
    fn apply(w: &mut World, _now: Timestamp, id: String) -> Value {
        if let Some(l) = w.clb.load_balancers.remove(&id) {
            if let Some(v) = &l.vpc_id {
                if w.ecs.addresses.owner(v, l.address) == Some(&vip_owner(&id)) {
                    w.ecs.addresses.remove(v, l.address);
                }
            }
        }
        json!({})
    }
}
