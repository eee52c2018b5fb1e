//! Checks and effects of the ALB APIs (§5.2, restrictions C-IPGROUP, C-REGIONS, C-INTERNAL,
//! C-NOLB, C-ONEVPC of §6.5) and the server health function.

use super::api::*;
use super::resources::*;
use crate::cloud::ecs::AddressOwner;
use crate::cloud::error::CloudError;
use crate::cloud::lifecycle::Lifecycle;
use crate::cloud::time::Timestamp;
use crate::cloud::vpc::NetStatus;
use crate::cloud::world::{CallContext, World};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::net::Ipv4Addr;

/// ALBs per account and region (ASSUMED quota).
pub const LBS_PER_REGION: usize = 50;
/// Server groups per account and region (ASSUMED quota).
pub const GROUPS_PER_REGION: usize = 200;

pub(crate) fn lb_not_found(id: &str) -> CloudError {
    CloudError::not_found(
        "ResourceNotFound.LoadBalancer",
        format!("The specified resource {id} is not found."),
    )
}
pub(crate) fn sgp_not_found(id: &str) -> CloudError {
    CloudError::not_found(
        "ResourceNotFound.ServerGroup",
        format!("The specified resource {id} is not found."),
    )
}
pub(crate) fn lsn_not_found(id: &str) -> CloudError {
    CloudError::not_found(
        "ResourceNotFound.Listener",
        format!("The specified resource {id} is not found."),
    )
}
fn illegal_ip(ip: &str, why: &str) -> CloudError {
    CloudError::bad(
        "IllegalParam.ServerIp",
        format!("The server IP {ip} is illegal: {why}."),
    )
}

/// True for RFC 1918 addresses (C-INTERNAL: only internal-facing servers).
fn private(ip: Ipv4Addr) -> bool {
    ip.is_private()
}

/// Health of one server of a group (§5.2.5, §8.3.7 L5): the reach analyzer's health probe
/// (`reach::segment::alb::server_health`) — from the back-to-origin address through the ALB
/// VPC's system table (and transit routers for remote IPs), the backend's ACLs and security
/// groups, the reply to `100.64.0.0/10`, the instance `Running` and listening on the check
/// port. `(Status, ReasonCode)`: `Healthy`, `Unhealthy` (`CONNECT_FAIL` / `CONNECT_TIMEOUT`),
/// `Unused` (weight 0), `Unavailable` (health check off). Deterministic, never random.
pub fn server_health(
    w: &World,
    group: &ServerGroup,
    s: &Server,
    now: Timestamp,
) -> (&'static str, &'static str) {
    debug_assert_eq!(now, w.now(), "health is computed at the world's clock");
    crate::cloud::reach::segment::alb::server_health(w, group, s)
}

impl World {
    /// The ALB state.
    pub fn alb(&self) -> &AlbState {
        &self.alb
    }

    pub(crate) fn own_lb(
        &self,
        caller: &str,
        region: &str,
        id: &str,
    ) -> Result<&LoadBalancer, CloudError> {
        self.alb
            .load_balancers
            .get(id)
            .filter(|l| l.owner_uid == caller && l.region_id == region)
            .ok_or_else(|| lb_not_found(id))
    }
    pub(crate) fn own_sgp(
        &self,
        caller: &str,
        region: &str,
        id: &str,
    ) -> Result<&ServerGroup, CloudError> {
        self.alb
            .server_groups
            .get(id)
            .filter(|g| g.owner_uid == caller && g.region_id == region)
            .ok_or_else(|| sgp_not_found(id))
    }
    pub(crate) fn own_lsn(
        &self,
        caller: &str,
        region: &str,
        id: &str,
    ) -> Result<&Listener, CloudError> {
        self.alb
            .listeners
            .get(id)
            .filter(|l| l.owner_uid == caller && l.region_id == region)
            .ok_or_else(|| lsn_not_found(id))
    }

    fn alb_lifecycle(
        &self,
        from: AlbStatus,
        to: AlbStatus,
        now: Timestamp,
    ) -> Lifecycle<AlbStatus> {
        Lifecycle::start(self.stepped(), from, to, self.settle_at(now))
    }

    pub(crate) fn plan_create_alb(
        &self,
        ctx: &CallContext,
        now: Timestamp,
        p: &AlbCreateLoadBalancer,
    ) -> Result<LoadBalancer, CloudError> {
        let acct = self.caller_account(ctx)?;
        let region = self.known_region(&p.region_id)?;
        if !region.alb {
            return Err(CloudError::bad(
                "OperationDenied.RegionNotSupport",
                "ALB is not available in this region.",
            ));
        }
        for (name, v, ok) in [
            (
                "AddressType",
                &p.address_type,
                ["Internet", "Intranet", ""].as_slice(),
            ),
            (
                "LoadBalancerEdition",
                &p.edition,
                ["Basic", "Standard", "StandardWithWaf"].as_slice(),
            ),
            (
                "LoadBalancerBillingConfig.PayType",
                &p.pay_type,
                ["PostPay"].as_slice(),
            ),
        ] {
            if !ok.contains(&v.as_str()) || v.is_empty() {
                return Err(CloudError::invalid_param(name, &format!("one of {ok:?}")));
            }
        }
        let vpc = self
            .vpcs
            .get(&p.vpc_id)
            .filter(|v| {
                v.region_id == p.region_id
                    && v.owner_uid == acct.uid
                    && v.lifecycle.at(now) == NetStatus::Available
            })
            .ok_or_else(|| {
                CloudError::not_found(
                    "ResourceNotFound.Vpc",
                    format!("The specified resource {} is not found.", p.vpc_id),
                )
            })?;
        if p.zones.len() < 2 || p.zones.len() > 10 {
            return Err(CloudError::invalid_param("ZoneMappings", "2 to 10 zones"));
        }
        let mut seen = BTreeSet::new();
        let mut zones = Vec::new();
        let n = self.alb.created;
        for (i, (zone, vsw_id, wanted)) in p.zones.iter().enumerate() {
            let vsw = self
                .vswitches
                .get(vsw_id)
                .filter(|s| s.region_id == p.region_id && s.vpc_id == vpc.vpc_id)
                .ok_or_else(|| {
                    CloudError::not_found(
                        "ResourceNotFound.VSwitch",
                        format!("The specified resource {vsw_id} is not found."),
                    )
                })?;
            if &vsw.zone_id != zone {
                return Err(CloudError::bad(
                    "Mismatch.ZoneIdAndVSwitchId",
                    format!("The vSwitch {vsw_id} is not in zone {zone}."),
                ));
            }
            if !seen.insert(zone.clone()) {
                return Err(CloudError::bad(
                    "DuplicatedParam.ZoneId",
                    format!("The zone {zone} is given twice."),
                ));
            }
            let address = match wanted {
                Some(ip) => {
                    crate::cloud::ecs::eni::check_requested_ip(&self.ecs.addresses, vsw, ip)?
                }
                None => *self
                    .ecs
                    .addresses
                    .lowest_free(vsw, 1)
                    .first()
                    .ok_or_else(|| {
                        CloudError::bad(
                            "ResourceNotEnough.VSwitchIp",
                            format!("The vSwitch {vsw_id} has no free IP address."),
                        )
                    })?,
            };
            zones.push(AlbZone {
                zone_id: zone.clone(),
                vswitch_id: vsw_id.clone(),
                address,
                back_to_origin: Ipv4Addr::new(100, 64, (n % 256) as u8, (i + 1) as u8),
            });
        }
        let count = self
            .alb
            .load_balancers
            .values()
            .filter(|l| l.owner_uid == acct.uid && l.region_id == p.region_id)
            .count();
        if count >= LBS_PER_REGION {
            return Err(CloudError::bad(
                "QuotaExceeded.LoadBalancersNum",
                "The number of load balancers exceeds the quota.",
            ));
        }
        if p.dry_run {
            return Err(CloudError::dry_run());
        }
        Ok(LoadBalancer {
            load_balancer_id: String::new(),
            region_id: p.region_id.clone(),
            owner_uid: acct.uid.clone(),
            vpc_id: vpc.vpc_id.clone(),
            address_type: p.address_type.clone(),
            edition: p.edition.clone(),
            address_allocated_mode: p
                .address_allocated_mode
                .clone()
                .unwrap_or_else(|| "Dynamic".into()),
            address_ip_version: p
                .address_ip_version
                .clone()
                .unwrap_or_else(|| "IPv4".into()),
            name: p.name.clone().unwrap_or_default(),
            zones,
            deletion_protection: p.deletion_protection,
            resource_group_id: p
                .resource_group_id
                .clone()
                .unwrap_or_else(|| acct.default_resource_group().to_string()),
            ordinal: n,
            lifecycle: self.alb_lifecycle(AlbStatus::Provisioning, AlbStatus::Active, now),
            creation_time: now,
        })
    }

    pub(crate) fn apply_create_alb(&mut self, mut lb: LoadBalancer) -> Value {
        let id = self.new_id("alb", &lb.region_id.clone());
        lb.load_balancer_id = id.clone();
        for z in &lb.zones {
            // INVARIANT: the plan found each address free.
            let _ = self.ecs.addresses.insert(
                &lb.vpc_id,
                z.address,
                AddressOwner::Service {
                    kind: "alb-vip".into(),
                    id: id.clone(),
                },
            );
        }
        self.alb.created += 1;
        self.alb.load_balancers.insert(id.clone(), lb);
        json!({"LoadBalancerId": id})
    }

    pub(crate) fn plan_delete_alb(
        &self,
        ctx: &CallContext,
        p: &DeleteLoadBalancerArgs,
    ) -> Result<String, CloudError> {
        let lb = self.own_lb(&ctx.caller_account, &p.region_id, &p.load_balancer_id)?;
        if lb.deletion_protection {
            return Err(CloudError::bad(
                "OperationDenied.DeletionProtectionEnabled",
                "Deletion protection is enabled.",
            ));
        }
        // ASSUMED code (as NLB's): an ALB that backs an endpoint service must be detached
        // first (§4.3.6).
        if let Some(s) = crate::cloud::privatelink::service_using(self, &lb.load_balancer_id) {
            return Err(CloudError::bad(
                "ResourceInUse.LoadBalancer",
                format!(
                    "The load balancer {} is attached to endpoint service {s}.",
                    lb.load_balancer_id
                ),
            ));
        }
        if p.dry_run {
            return Err(CloudError::dry_run());
        }
        Ok(lb.load_balancer_id.clone())
    }

    pub(crate) fn apply_delete_alb(&mut self, id: &str) -> Value {
        if let Some(lb) = self.alb.load_balancers.remove(id) {
            for z in lb.zones {
                self.ecs.addresses.remove(&lb.vpc_id, z.address);
            }
        }
        self.alb.listeners.retain(|_, l| l.load_balancer_id != id);
        json!({})
    }

    pub(crate) fn plan_create_sgp(
        &self,
        ctx: &CallContext,
        now: Timestamp,
        p: &AlbCreateServerGroup,
    ) -> Result<ServerGroup, CloudError> {
        let acct = self.caller_account(ctx)?;
        self.known_region(&p.region_id)?;
        let gtype = p.group_type.clone().unwrap_or_else(|| "Instance".into());
        match gtype.as_str() {
            "Instance" | "Ip" => {}
            "Fc" => {
                return Err(CloudError::bad(
                    "UnsupportedFeature.FcServerGroup",
                    "Function Compute server groups are not supported.",
                ))
            }
            _ => {
                return Err(CloudError::invalid_param(
                    "ServerGroupType",
                    "Instance, Ip or Fc",
                ))
            }
        }
        let vpc_id = p
            .vpc_id
            .clone()
            .ok_or_else(|| CloudError::missing("VpcId"))?;
        let vpc = self
            .vpcs
            .get(&vpc_id)
            .filter(|v| v.region_id == p.region_id && v.owner_uid == acct.uid)
            .ok_or_else(|| {
                CloudError::not_found(
                    "ResourceNotFound.Vpc",
                    format!("The specified resource {vpc_id} is not found."),
                )
            })?;
        let protocol = p.protocol.clone().unwrap_or_else(|| "HTTP".into());
        if !["HTTP", "HTTPS", "gRPC"].contains(&protocol.as_str()) {
            return Err(CloudError::invalid_param("Protocol", "HTTP, HTTPS or gRPC"));
        }
        let scheduler = p.scheduler.clone().unwrap_or_else(|| "Wrr".into());
        if !["Wrr", "Wlc", "Sch"].contains(&scheduler.as_str()) {
            return Err(CloudError::invalid_param("Scheduler", "Wrr, Wlc or Sch"));
        }
        let hc = &p.health_check;
        for (name, v, lo, hi) in [
            ("HealthCheckConfig.HealthCheckInterval", hc.interval, 1, 50),
            ("HealthCheckConfig.HealthCheckTimeout", hc.timeout, 1, 300),
            (
                "HealthCheckConfig.HealthyThreshold",
                hc.healthy_threshold,
                2,
                10,
            ),
            (
                "HealthCheckConfig.UnhealthyThreshold",
                hc.unhealthy_threshold,
                2,
                10,
            ),
        ] {
            if !(lo..=hi).contains(&v) {
                return Err(CloudError::invalid_param(
                    name,
                    &format!("between {lo} and {hi}"),
                ));
            }
        }
        let count = self
            .alb
            .server_groups
            .values()
            .filter(|g| g.owner_uid == acct.uid && g.region_id == p.region_id)
            .count();
        if count >= GROUPS_PER_REGION {
            return Err(CloudError::bad(
                "QuotaExceeded.ServerGroupsNum",
                "The number of server groups exceeds the quota.",
            ));
        }
        if p.dry_run {
            return Err(CloudError::dry_run());
        }
        Ok(ServerGroup {
            server_group_id: String::new(),
            region_id: p.region_id.clone(),
            owner_uid: acct.uid.clone(),
            name: p.name.clone(),
            group_type: gtype,
            vpc_id: vpc.vpc_id.clone(),
            protocol,
            scheduler,
            health_check: hc.clone(),
            servers: Vec::new(),
            lifecycle: self.alb_lifecycle(AlbStatus::Creating, AlbStatus::Available, now),
            creation_time: now,
        })
    }

    pub(crate) fn apply_create_sgp(&mut self, mut g: ServerGroup) -> Value {
        let id = self.new_id("sgp", &g.region_id.clone());
        g.server_group_id = id.clone();
        self.alb.server_groups.insert(id.clone(), g);
        json!({"ServerGroupId": id})
    }

    /// AddServersToServerGroup checks #1–#10 of §5.2.3.
    pub(crate) fn plan_add_servers(
        &self,
        ctx: &CallContext,
        now: Timestamp,
        p: &AlbAddServersToServerGroup,
    ) -> Result<(String, Vec<Server>), CloudError> {
        let g = self.own_sgp(&ctx.caller_account, &p.region_id, &p.server_group_id)?;
        if p.servers.is_empty() || p.servers.len() > 200 {
            return Err(CloudError::invalid_param("Servers", "1 to 200 servers"));
        }
        let region = self.known_region(&p.region_id)?;
        let vpc = self
            .vpcs
            .get(&g.vpc_id)
            .ok_or_else(|| sgp_not_found(&g.server_group_id))?;
        let mut out: Vec<Server> = Vec::new();
        for s in &p.servers {
            // #2
            let fits = match g.group_type.as_str() {
                "Instance" => matches!(s.server_type.as_str(), "Ecs" | "Eni" | "Eci"),
                _ => s.server_type == "Ip",
            };
            if !fits {
                return Err(CloudError::bad(
                    "Mismatch.ServerType",
                    format!(
                        "Server type {} does not fit a {} server group.",
                        s.server_type, g.group_type
                    ),
                ));
            }
            if !(1..=65535).contains(&s.port) {
                return Err(CloudError::invalid_param("Servers.N.Port", "1 to 65535"));
            }
            if !(0..=100).contains(&s.weight) {
                return Err(CloudError::invalid_param("Servers.N.Weight", "0 to 100"));
            }
            let ip = if g.group_type == "Instance" {
                // #3
                let (vpc_of, ip) = match s.server_type.as_str() {
                    "Ecs" => self
                        .ecs
                        .instances
                        .get(s.server_id.as_str())
                        .filter(|i| i.owner_uid == ctx.caller_account && i.region_id == p.region_id)
                        .map(|i| (i.vpc_id.clone(), i.private_ip)),
                    _ => self
                        .ecs
                        .enis
                        .get(s.server_id.as_str())
                        .filter(|e| e.owner_uid == ctx.caller_account && e.region_id == p.region_id)
                        .map(|e| (e.vpc_id.clone(), e.private_ip)),
                }
                .ok_or_else(|| {
                    CloudError::not_found(
                        "ResourceNotFound.BackendServer",
                        format!("The specified resource {} is not found.", s.server_id),
                    )
                })?;
                if vpc_of != g.vpc_id {
                    return Err(CloudError::bad(
                        "Mismatch.VpcId",
                        format!("The server {} is not in VPC {}.", s.server_id, g.vpc_id),
                    ));
                }
                ip
            } else {
                let text = s.server_ip.clone().unwrap_or_else(|| s.server_id.clone());
                // #4 (C-INTERNAL)
                let ip: Ipv4Addr = text
                    .parse()
                    .map_err(|_| illegal_ip(&text, "not an IPv4 address"))?;
                if !private(ip) {
                    return Err(illegal_ip(
                        &text,
                        "only internal-facing (private) addresses can be added",
                    ));
                }
                let local = vpc.ipv4_cidrs().iter().any(|c| c.contains(&ip));
                // #5 (C-IPGROUP)
                if !local && !s.remote_ip {
                    return Err(illegal_ip(
                        &text,
                        "outside the VPC, remote IP must be enabled",
                    ));
                }
                // #6 (C-REGIONS)
                if s.remote_ip && !region.alb_cross_region {
                    return Err(CloudError::bad(
                        "UnsupportedFeature.RemoteIp",
                        "Remote IP backends are not supported in this region.",
                    ));
                }
                // #7 (C-NOLB): an ALB VIP (or any LB address) of the same VPC.
                if let Some(AddressOwner::Service { kind, .. }) =
                    self.ecs.addresses.owner(&g.vpc_id, ip)
                {
                    if kind.contains("vip") || kind.starts_with("alb") || kind.starts_with("clb") {
                        return Err(illegal_ip(
                            &text,
                            "load balancers of the same VPC cannot be backends",
                        ));
                    }
                }
                // #8 (C-ONEVPC)
                if s.remote_ip {
                    self.check_one_vpc(&g.vpc_id, &p.region_id)?;
                }
                ip
            };
            // #9
            let dup = g
                .servers
                .iter()
                .chain(out.iter())
                .any(|x| x.server_id == s.server_id && x.port == s.port as u16);
            if dup {
                return Err(CloudError::bad(
                    "Conflict.BackendServer",
                    format!(
                        "The server {}:{} is already in the group.",
                        s.server_id, s.port
                    ),
                ));
            }
            out.push(Server {
                server_id: s.server_id.clone(),
                server_type: s.server_type.clone(),
                server_ip: ip,
                port: s.port as u16,
                weight: s.weight,
                remote_ip: s.remote_ip,
                description: s.description.clone(),
                lifecycle: self.alb_lifecycle(AlbStatus::Adding, AlbStatus::Available, now),
            });
        }
        // #10
        if g.lifecycle.at(now) != AlbStatus::Available {
            return Err(CloudError::bad(
                "IncorrectStatus.ServerGroup",
                "The server group is not Available.",
            ));
        }
        if p.dry_run {
            return Err(CloudError::dry_run());
        }
        Ok((g.server_group_id.clone(), out))
    }

    /// C-ONEVPC (§6.5): in one CEN, one VPC per region whose ALBs have cross-region backends.
    fn check_one_vpc(&self, vpc_id: &str, region: &str) -> Result<(), CloudError> {
        let cens: BTreeSet<&str> = self
            .attachments_of_vpc(vpc_id)
            .map(|a| a.cen_id.as_str())
            .collect();
        for g in self.alb.server_groups.values() {
            if g.vpc_id == vpc_id || g.region_id != region || !g.servers.iter().any(|s| s.remote_ip)
            {
                continue;
            }
            let shares = self
                .attachments_of_vpc(&g.vpc_id)
                .any(|a| cens.contains(a.cen_id.as_str()));
            if shares {
                return Err(CloudError::bad(
                    "OperationDenied.CrossRegionBackendVpcConflict",
                    format!("VPC {} already hosts ALBs with cross-region backends in this CEN and region.", g.vpc_id),
                ));
            }
        }
        Ok(())
    }

    pub(crate) fn plan_remove_servers(
        &self,
        ctx: &CallContext,
        p: &AlbRemoveServersFromServerGroup,
    ) -> Result<(String, Vec<(String, u16)>), CloudError> {
        let g = self.own_sgp(&ctx.caller_account, &p.region_id, &p.server_group_id)?;
        let mut out = Vec::new();
        for s in &p.servers {
            let port = s.port as u16;
            if !g
                .servers
                .iter()
                .any(|x| x.server_id == s.server_id && x.port == port)
            {
                return Err(CloudError::not_found(
                    "ResourceNotFound.BackendServer",
                    format!("The server {}:{} is not in the group.", s.server_id, s.port),
                ));
            }
            out.push((s.server_id.clone(), port));
        }
        if p.dry_run {
            return Err(CloudError::dry_run());
        }
        Ok((g.server_group_id.clone(), out))
    }

    pub(crate) fn plan_delete_sgp(
        &self,
        ctx: &CallContext,
        p: &DeleteServerGroupArgs,
    ) -> Result<String, CloudError> {
        let g = self.own_sgp(&ctx.caller_account, &p.region_id, &p.server_group_id)?;
        if self
            .alb
            .listeners
            .values()
            .any(|l| l.server_group_ids.contains(&g.server_group_id))
        {
            return Err(CloudError::bad(
                "ResourceInUse.ServerGroup",
                "The server group is used by a listener.",
            ));
        }
        if p.dry_run {
            return Err(CloudError::dry_run());
        }
        Ok(g.server_group_id.clone())
    }

    pub(crate) fn plan_create_listener(
        &self,
        ctx: &CallContext,
        now: Timestamp,
        p: &AlbCreateListener,
    ) -> Result<Listener, CloudError> {
        let lb = self.own_lb(&ctx.caller_account, &p.region_id, &p.load_balancer_id)?;
        if !["HTTP", "HTTPS", "QUIC"].contains(&p.protocol.as_str()) {
            return Err(CloudError::invalid_param(
                "ListenerProtocol",
                "HTTP, HTTPS or QUIC",
            ));
        }
        if !(1..=65535).contains(&p.port) {
            return Err(CloudError::invalid_param("ListenerPort", "1 to 65535"));
        }
        if p.protocol != "HTTP" && p.certificates.is_empty() {
            return Err(CloudError::missing("Certificates.N.CertificateId"));
        }
        if p.server_group_ids.is_empty() {
            return Err(CloudError::missing(
                "DefaultActions.N.ForwardGroupConfig.ServerGroupTuples.N.ServerGroupId",
            ));
        }
        for id in &p.server_group_ids {
            let g = self.own_sgp(&ctx.caller_account, &p.region_id, id)?;
            if g.vpc_id != lb.vpc_id {
                return Err(CloudError::bad(
                    "Mismatch.VpcId",
                    format!("The server group {id} is in another VPC."),
                ));
            }
            if p.protocol == "HTTP" && g.protocol == "HTTPS" {
                return Err(CloudError::bad(
                    "OperationDenied.ServerGroupProtocolNotSupport",
                    "An HTTPS server group cannot serve an HTTP listener.",
                ));
            }
        }
        if self
            .alb
            .listeners
            .values()
            .any(|l| l.load_balancer_id == lb.load_balancer_id && i64::from(l.port) == p.port)
        {
            return Err(CloudError::bad(
                "ResourceAlreadyExist.Listener",
                format!("Port {} is already in use.", p.port),
            ));
        }
        if lb.lifecycle.at(now) != AlbStatus::Active {
            return Err(CloudError::bad(
                "IncorrectStatus.LoadBalancer",
                "The load balancer is not Active.",
            ));
        }
        if self.accounts.get(&lb.owner_uid).is_some_and(|a| a.overdue) {
            return Err(CloudError::bad(
                "IncorrectBusinessStatus.LoadBalancer",
                "The load balancer is locked.",
            ));
        }
        if p.dry_run {
            return Err(CloudError::dry_run());
        }
        Ok(Listener {
            listener_id: String::new(),
            load_balancer_id: lb.load_balancer_id.clone(),
            region_id: p.region_id.clone(),
            owner_uid: lb.owner_uid.clone(),
            protocol: p.protocol.clone(),
            port: p.port as u16,
            description: p.description.clone().unwrap_or_default(),
            server_group_ids: p.server_group_ids.clone(),
            lifecycle: self.alb_lifecycle(AlbStatus::Provisioning, AlbStatus::Running, now),
            creation_time: now,
        })
    }

    pub(crate) fn apply_create_listener(&mut self, mut l: Listener) -> Value {
        let id = self.new_id("lsn", &l.region_id.clone());
        l.listener_id = id.clone();
        self.alb.listeners.insert(id.clone(), l);
        json!({"ListenerId": id})
    }

    /// `GetLoadBalancerAttribute`.
    pub(crate) fn alb_attribute(&self, lb: &LoadBalancer, now: Timestamp) -> Value {
        json!({
            "LoadBalancerId": lb.load_balancer_id,
            "LoadBalancerName": lb.name,
            "LoadBalancerStatus": lb.lifecycle.at(now).as_str(),
            "LoadBalancerBussinessStatus": if self.accounts.get(&lb.owner_uid).is_some_and(|a| a.overdue) { "Abnormal" } else { "Normal" },
            "LoadBalancerEdition": lb.edition,
            "AddressType": lb.address_type,
            "AddressAllocatedMode": lb.address_allocated_mode,
            "AddressIpVersion": lb.address_ip_version,
            "DNSName": lb.dns_name(),
            "VpcId": lb.vpc_id,
            "RegionId": lb.region_id,
            "ResourceGroupId": lb.resource_group_id,
            "DeletionProtectionConfig": {"Enabled": lb.deletion_protection},
            "CreateTime": lb.creation_time.to_string(),
            "BackToOriginRouteEnabled": true,
            "ZoneMappings": lb.zones.iter().map(|z| json!({
                "ZoneId": z.zone_id,
                "VSwitchId": z.vswitch_id,
                "LoadBalancerAddresses": [{"Address": z.address.to_string(), "IntranetAddress": z.address.to_string(), "BackToOriginAddress": z.back_to_origin.to_string()}],
            })).collect::<Vec<_>>(),
        })
    }

    /// `GetListenerHealthStatus`: every server of the listener's groups with [`server_health`].
    pub(crate) fn listener_health(&self, l: &Listener, now: Timestamp) -> Value {
        let groups: Vec<Value> = l
            .server_group_ids
            .iter()
            .filter_map(|id| self.alb.server_groups.get(id))
            .map(|g| {
                let servers: Vec<Value> = g
                    .servers
                    .iter()
                    .map(|s| {
                        let (status, reason) = server_health(self, g, s, now);
                        json!({"ServerId": s.server_id, "ServerIp": s.server_ip.to_string(), "Port": s.port, "Status": status, "Reason": {"ReasonCode": reason}})
                    })
                    .collect();
                let healthy = servers.iter().filter(|s| s["Status"] == "Healthy").count();
                json!({
                    "ServerGroupId": g.server_group_id,
                    "HealthCheckEnabled": g.health_check.enabled,
                    "ActionType": "ForwardGroup",
                    "Status": if healthy == servers.len() { "Healthy" } else { "Unhealthy" },
                    "NonNormalServers": servers.into_iter().filter(|s| s["Status"] != "Healthy").collect::<Vec<_>>(),
                })
            })
            .collect();
        json!({
            "ListenerHealthStatus": [{
                "ListenerId": l.listener_id,
                "ListenerPort": l.port,
                "ListenerProtocol": l.protocol,
                "ServerGroupInfos": groups,
            }],
            "RuleHealthStatus": [],
            "NextToken": "",
        })
    }
}
