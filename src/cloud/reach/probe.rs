//! The probe (§8.2) and the resolution of its two ends (§8.3.1, §8.3.2).

use super::topology::{vpc_holds, Topology};
use crate::cloud::ecs::{AddressOwner, Instance};
use crate::cloud::packet::{Packet, Protocol, DEFAULT_CLIENT_PORT};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::Ipv4Addr;

/// Where the probe starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Source {
    /// An ECS instance, from its primary address or from `source_ip` owned by one of its ENIs.
    Ecs {
        /// `i-…`.
        instance_id: String,
        /// `SourceIpAddress`.
        source_ip: Option<Ipv4Addr>,
    },
    /// An address inside a vSwitch, with no ENI (no security-group check at the source).
    VSwitch {
        /// `vsw-…`.
        vswitch_id: String,
        /// Address inside the vSwitch.
        ip: Ipv4Addr,
    },
}

/// Where the probe goes. Later products add their targets (NLB, ALB, CLB, endpoints, domains).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Target {
    /// An ECS instance (its primary address, or `target_ip` owned by it).
    Ecs {
        /// `i-…`.
        instance_id: String,
        /// `TargetIpAddress`.
        target_ip: Option<Ipv4Addr>,
    },
    /// A private address of a VPC (`TargetType=ip`, `TargetId` = the VPC).
    Ip {
        /// `vpc-…`.
        vpc_id: String,
        /// Address.
        ip: Ipv4Addr,
    },
    /// An address inside a vSwitch.
    VSwitch {
        /// `vsw-…`.
        vswitch_id: String,
        /// Address inside the vSwitch.
        ip: Ipv4Addr,
    },
    /// A PrivateLink endpoint: every endpoint-zone ENI address (§8.3.2).
    Endpoint {
        /// `ep-…`.
        endpoint_id: String,
    },
    /// A load balancer (NLB or CLB): every zone VIP.
    LoadBalancer {
        /// `nlb-…` or `lb-…`.
        load_balancer_id: String,
    },
    /// A DNS name: endpoint, zone and service domains (§4.8, zone affinity from the source's
    /// zone, service domains inside the source's VPC), NLB and ALB DNS names.
    Domain {
        /// The name.
        name: String,
    },
}

/// A reachability question (§8.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Probe {
    /// Source.
    pub source: Source,
    /// Target.
    pub target: Target,
    /// `tcp`, `udp` or `icmp`.
    pub protocol: Protocol,
    /// Client port (default 32768, §7.4 rule 7).
    pub source_port: Option<u16>,
    /// Server port (required for tcp/udp).
    pub target_port: Option<u16>,
}

/// Why a probe cannot be analysed at all (NIS parameter errors, §8.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeError {
    /// `IllegalParam.*`.
    pub code: &'static str,
    /// One sentence.
    pub message: String,
}

impl fmt::Display for ProbeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for ProbeError {}

fn err(code: &'static str, message: String) -> ProbeError {
    ProbeError { code, message }
}

/// A resolved end of the path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct End {
    /// Instance, when the end is an ECS instance.
    pub instance_id: Option<String>,
    /// ENI holding the address, if any.
    pub eni_id: Option<String>,
    /// VPC.
    pub vpc_id: String,
    /// vSwitch.
    pub vswitch_id: String,
    /// Region.
    pub region: String,
    /// Zone.
    pub zone: String,
    /// Address.
    pub ip: Ipv4Addr,
}

/// The resolved probe: both ends and the forward packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// Client end.
    pub src: End,
    /// Server address and the VPC that holds it.
    pub dst_ip: Ipv4Addr,
    /// VPC the target lives in.
    pub dst_vpc: String,
    /// Instance the packet must reach, for an ECS target.
    pub dst_instance: Option<String>,
    /// The forward packet.
    pub packet: Packet,
}

fn instance<'w>(
    t: &Topology<'w>,
    id: &str,
    code: &'static str,
) -> Result<&'w Instance, ProbeError> {
    t.world
        .ecs
        .instances
        .get(id)
        .ok_or_else(|| err(code, format!("instance `{id}` does not exist")))
}

/// True when `ip` is held by an ENI of `inst`.
fn owned_by(t: &Topology<'_>, inst: &Instance, ip: Ipv4Addr) -> Option<String> {
    match t.world.ecs.addresses.owner(&inst.vpc_id, ip)? {
        AddressOwner::Eni(e) => t
            .world
            .ecs
            .enis
            .get(e.as_str())
            .filter(|x| x.instance_id.as_deref() == Some(inst.instance_id.as_str()))
            .map(|x| String::from(&x.network_interface_id)),
        AddressOwner::Service { .. } => None,
    }
}

/// Resolves a probe whose target is one address (§8.3.1, §8.3.2); for service targets, the
/// first of [`resolve_all`]. Errors are the NIS parameter errors.
pub fn resolve(t: &Topology<'_>, p: &Probe) -> Result<Resolved, ProbeError> {
    resolve_all(t, p).map(|mut v| v.swap_remove(0))
}

/// The addresses a service target resolves to, with the VPC holding them (§8.3.2).
fn service_entries(
    t: &Topology<'_>,
    target: &Target,
    src: &End,
) -> Result<Option<(String, Vec<Ipv4Addr>)>, ProbeError> {
    let w = t.world;
    let found = match target {
        Target::Endpoint { endpoint_id } => {
            let ep = w.privatelink.endpoints.get(endpoint_id).ok_or_else(|| {
                err(
                    "IllegalParam.TargetId",
                    format!("endpoint `{endpoint_id}` does not exist"),
                )
            })?;
            (
                ep.vpc_id.clone(),
                ep.zones.iter().map(|z| z.eni_ip).collect(),
            )
        }
        Target::LoadBalancer { load_balancer_id } => {
            let lb = super::segment::load_balancer::view(w, load_balancer_id).ok_or_else(|| {
                err(
                    "IllegalParam.TargetId",
                    format!("load balancer `{load_balancer_id}` does not exist"),
                )
            })?;
            (lb.vpc_id.clone(), lb.zones.iter().map(|z| z.vip).collect())
        }
        Target::Domain { name } => {
            let client = super::segment::privatelink::Client {
                vpc_id: Some(&src.vpc_id),
                zone_id: Some(&src.zone),
            };
            super::segment::privatelink::resolve_domain(w, name, client).ok_or_else(|| {
                err(
                    "IllegalParam.TargetId",
                    format!("`{name}` does not resolve"),
                )
            })?
        }
        _ => return Ok(None),
    };
    if found.1.is_empty() {
        return Err(err(
            "IllegalParam.TargetId",
            format!("{} resolves to no address", describe(target)),
        ));
    }
    Ok(Some(found))
}

fn describe(target: &Target) -> String {
    match target {
        Target::Endpoint { endpoint_id } => format!("endpoint `{endpoint_id}`"),
        Target::LoadBalancer { load_balancer_id } => format!("`{load_balancer_id}`"),
        Target::Domain { name } => format!("`{name}`"),
        _ => "the target".into(),
    }
}

/// Resolves a probe into one [`Resolved`] per destination address (§8.3.2: an endpoint, a
/// load balancer or a domain may have several). Never empty on `Ok`.
pub fn resolve_all(t: &Topology<'_>, p: &Probe) -> Result<Vec<Resolved>, ProbeError> {
    let first = resolve_one(t, p, None)?;
    let Some((vpc, ips)) = service_entries(t, &p.target, &first.src)? else {
        return Ok(vec![first]);
    };
    ips.into_iter()
        .map(|ip| resolve_one(t, p, Some((vpc.clone(), ip))))
        .collect()
}

fn resolve_one(
    t: &Topology<'_>,
    p: &Probe,
    entry: Option<(String, Ipv4Addr)>,
) -> Result<Resolved, ProbeError> {
    let dport = match (p.protocol, p.target_port) {
        (Protocol::Tcp | Protocol::Udp, None) => {
            return Err(err(
                "IllegalParam.TargetPort",
                "tcp and udp probes need a target port (1-65535)".into(),
            ))
        }
        (_, Some(0)) => {
            return Err(err(
                "IllegalParam.TargetPort",
                "the target port must be 1-65535".into(),
            ))
        }
        (Protocol::Tcp | Protocol::Udp | Protocol::Icmp, port) => port.unwrap_or(0),
        _ => {
            return Err(err(
                "IllegalParam.Protocol",
                format!(
                    "protocol `{}` is not one of tcp, udp, icmp",
                    p.protocol.as_str()
                ),
            ))
        }
    };
    if p.source_port == Some(0) {
        return Err(err(
            "IllegalParam.SourcePort",
            "the source port must be 1-65535".into(),
        ));
    }
    let src = match &p.source {
        Source::Ecs {
            instance_id,
            source_ip,
        } => {
            let inst = instance(t, instance_id, "IllegalParam.SourceId")?;
            let ip = source_ip.unwrap_or(inst.private_ip);
            let eni_id = owned_by(t, inst, ip).ok_or_else(|| {
                err(
                    "IllegalParam.SourceIp",
                    format!("`{ip}` is not an address of instance `{instance_id}`"),
                )
            })?;
            let eni = t.world.ecs.enis.get(eni_id.as_str());
            End {
                instance_id: Some(String::from(&inst.instance_id)),
                vswitch_id: eni.map_or(&inst.vswitch_id, |e| &e.vswitch_id).to_string(),
                zone: eni.map_or(&inst.zone_id, |e| &e.zone_id).to_string(),
                eni_id: Some(eni_id),
                vpc_id: String::from(&inst.vpc_id),
                region: String::from(&inst.region_id),
                ip,
            }
        }
        Source::VSwitch { vswitch_id, ip } => {
            let s = t.world.vswitches.get(vswitch_id).ok_or_else(|| {
                err(
                    "IllegalParam.SourceId",
                    format!("vSwitch `{vswitch_id}` does not exist"),
                )
            })?;
            if !s.cidr_block.contains(ip) {
                return Err(err(
                    "IllegalParam.SourceIp",
                    format!(
                        "`{ip}` is not inside vSwitch `{vswitch_id}` ({})",
                        s.cidr_block
                    ),
                ));
            }
            End {
                instance_id: None,
                eni_id: None,
                vpc_id: s.vpc_id.clone(),
                vswitch_id: s.vswitch_id.clone(),
                region: s.region_id.clone(),
                zone: s.zone_id.clone(),
                ip: *ip,
            }
        }
    };
    let (dst_ip, dst_vpc, dst_instance) = match &p.target {
        Target::Ecs {
            instance_id,
            target_ip,
        } => {
            let inst = instance(t, instance_id, "IllegalParam.TargetId")?;
            let ip = target_ip.unwrap_or(inst.private_ip);
            if owned_by(t, inst, ip).is_none() {
                return Err(err(
                    "IllegalParam.TargetIp",
                    format!("`{ip}` is not an address of instance `{instance_id}`"),
                ));
            }
            (
                ip,
                String::from(&inst.vpc_id),
                Some(String::from(&inst.instance_id)),
            )
        }
        Target::Ip { vpc_id, ip } => {
            let vpc = t.vpc(vpc_id).ok_or_else(|| {
                err(
                    "IllegalParam.TargetId",
                    format!("VPC `{vpc_id}` does not exist"),
                )
            })?;
            if !vpc_holds(vpc, *ip) {
                return Err(err(
                    "IllegalParam.TargetIp",
                    format!("`{ip}` is not inside a CIDR block of VPC `{vpc_id}`"),
                ));
            }
            (*ip, vpc_id.clone(), None)
        }
        Target::VSwitch { vswitch_id, ip } => {
            let s = t.world.vswitches.get(vswitch_id).ok_or_else(|| {
                err(
                    "IllegalParam.TargetId",
                    format!("vSwitch `{vswitch_id}` does not exist"),
                )
            })?;
            if !s.cidr_block.contains(ip) {
                return Err(err(
                    "IllegalParam.TargetIp",
                    format!(
                        "`{ip}` is not inside vSwitch `{vswitch_id}` ({})",
                        s.cidr_block
                    ),
                ));
            }
            (*ip, s.vpc_id.clone(), None)
        }
        Target::Endpoint { .. } | Target::LoadBalancer { .. } | Target::Domain { .. } => {
            match entry {
                Some((vpc, ip)) => (ip, vpc, None),
                // Resolution of the source only: a placeholder the caller replaces.
                None => (Ipv4Addr::UNSPECIFIED, String::new(), None),
            }
        }
    };
    if dst_ip == src.ip && dst_vpc == src.vpc_id {
        return Err(err(
            "IllegalParam.SourceEqualTarget",
            "source and target are the same address".into(),
        ));
    }
    let packet = Packet {
        src_ip: src.ip,
        dst_ip,
        protocol: p.protocol,
        src_port: p.source_port.unwrap_or(DEFAULT_CLIENT_PORT),
        dst_port: dport,
    };
    Ok(Resolved {
        src,
        dst_ip,
        dst_vpc,
        dst_instance,
        packet,
    })
}

/// Finds an instance by id (`i-…`) or by name; a name held by several instances is refused.
pub fn find_instance(world: &crate::cloud::World, name: &str) -> Result<String, String> {
    if world.ecs.instances.contains_key(name) {
        return Ok(name.to_string());
    }
    let hits: Vec<&str> = world
        .ecs
        .instances
        .values()
        .filter(|i| i.instance_name == name)
        .map(|i| i.instance_id.as_str())
        .collect();
    match hits.as_slice() {
        [one] => Ok(one.to_string()),
        [] => Err(format!("no instance named or with id `{name}`")),
        many => Err(format!(
            "instance name `{name}` is ambiguous: {} (give the id)",
            many.join(", ")
        )),
    }
}

fn parse_ip(s: &str) -> Result<Ipv4Addr, String> {
    s.parse()
        .map_err(|_| format!("`{s}` is not an IPv4 address"))
}

/// `ID/IP` → (id, ip).
fn id_slash_ip(s: &str, what: &str) -> Result<(String, Ipv4Addr), String> {
    let (id, ip) = s
        .split_once('/')
        .ok_or_else(|| format!("`{s}`: expected {what}/IP"))?;
    Ok((id.to_string(), parse_ip(ip)?))
}

/// The instance holding `ip` in any VPC (a bare IP); refused when several VPCs hold it.
fn instance_by_ip(world: &crate::cloud::World, ip: Ipv4Addr) -> Result<String, String> {
    let hits: Vec<String> = world
        .ecs
        .addresses
        .vpcs()
        .filter_map(|(vpc, m)| match m.get(&ip)? {
            AddressOwner::Eni(e) => world
                .ecs
                .enis
                .get(e.as_str())?
                .instance_id
                .as_ref()
                .map(|i| (vpc, i.to_string())),
            AddressOwner::Service { .. } => None,
        })
        .map(|(_, i)| i)
        .collect();
    match hits.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(format!("no instance holds `{ip}`")),
        _ => Err(format!(
            "`{ip}` is held in several VPCs ({}): name the instance or use ip:VPC/IP",
            hits.join(", ")
        )),
    }
}

/// Parses a source: `ecs:NAME`, `ecs:i-…`, `i-…`, `IP` (the instance holding it),
/// `ecs:NAME@IP` (a secondary address of the instance), `vsw:ID/IP`, or `ip:VPC/IP` (the
/// instance holding that address in the VPC, else the address in the vSwitch that holds it).
pub fn parse_source(world: &crate::cloud::World, s: &str) -> Result<Source, String> {
    if let Some(rest) = s.strip_prefix("vsw:") {
        let (vswitch_id, ip) = id_slash_ip(rest, "vsw:ID")?;
        return Ok(Source::VSwitch { vswitch_id, ip });
    }
    if let Some(rest) = s.strip_prefix("ip:") {
        let (vpc_id, ip) = id_slash_ip(rest, "ip:VPC")?;
        if let Some(AddressOwner::Eni(e)) = world.ecs.addresses.owner(&vpc_id, ip) {
            if let Some(i) = world
                .ecs
                .enis
                .get(e.as_str())
                .and_then(|x| x.instance_id.clone())
            {
                return Ok(Source::Ecs {
                    instance_id: i.to_string(),
                    source_ip: Some(ip),
                });
            }
        }
        let vsw = world
            .vswitches_of(&vpc_id)
            .find(|v| v.cidr_block.contains(&ip))
            .ok_or_else(|| format!("no vSwitch of `{vpc_id}` holds `{ip}`"))?;
        return Ok(Source::VSwitch {
            vswitch_id: vsw.vswitch_id.clone(),
            ip,
        });
    }
    let (instance_id, source_ip) = instance_spec(world, s)?;
    Ok(Source::Ecs {
        instance_id,
        source_ip,
    })
}

fn instance_spec(
    world: &crate::cloud::World,
    s: &str,
) -> Result<(String, Option<Ipv4Addr>), String> {
    let body = s.strip_prefix("ecs:").unwrap_or(s);
    if let Some((name, ip)) = body.split_once('@') {
        return Ok((find_instance(world, name)?, Some(parse_ip(ip)?)));
    }
    if !s.starts_with("ecs:") {
        if let Ok(ip) = body.parse::<Ipv4Addr>() {
            return Ok((instance_by_ip(world, ip)?, None));
        }
    }
    Ok((find_instance(world, body)?, None))
}

/// A load balancer by id or by its unique name.
fn find_lb(world: &crate::cloud::World, s: &str, kind: &str) -> Result<String, String> {
    let mut hits: Vec<&String> = Vec::new();
    match kind {
        "nlb" => {
            if world.nlb.load_balancers.contains_key(s) {
                return Ok(s.to_string());
            }
            hits.extend(
                world
                    .nlb
                    .load_balancers
                    .values()
                    .filter(|l| l.name == s)
                    .map(|l| &l.load_balancer_id),
            );
        }
        "alb" => {
            if world.alb.load_balancers.contains_key(s) {
                return Ok(s.to_string());
            }
            hits.extend(
                world
                    .alb
                    .load_balancers
                    .values()
                    .filter(|l| l.name == s)
                    .map(|l| &l.load_balancer_id),
            );
        }
        _ => {
            if world.clb.load_balancers.contains_key(s) {
                return Ok(s.to_string());
            }
            hits.extend(
                world
                    .clb
                    .load_balancers
                    .values()
                    .filter(|l| l.name == s)
                    .map(|l| &l.load_balancer_id),
            );
        }
    }
    match hits.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(format!("no {kind} named or with id `{s}`")),
        _ => Err(format!("{kind} name `{s}` is ambiguous (give the id)")),
    }
}

/// Parses a target: the source forms (instances) plus `ip:VPC/IP`, `vsw:ID/IP`, `ep:ID`,
/// `nlb:ID|NAME`, `clb:ID|NAME`, `alb:ID|NAME` and `domain:NAME`.
pub fn parse_target(world: &crate::cloud::World, s: &str) -> Result<Target, String> {
    if let Some(rest) = s.strip_prefix("ep:") {
        if !world.privatelink.endpoints.contains_key(rest) {
            return Err(format!("no endpoint `{rest}`"));
        }
        return Ok(Target::Endpoint {
            endpoint_id: rest.to_string(),
        });
    }
    for kind in ["nlb", "clb", "alb"] {
        if let Some(rest) = s.strip_prefix(kind).and_then(|r| r.strip_prefix(':')) {
            return Ok(Target::LoadBalancer {
                load_balancer_id: find_lb(world, rest, kind)?,
            });
        }
    }
    if let Some(rest) = s.strip_prefix("domain:") {
        if rest.is_empty() {
            return Err("domain: needs a name".into());
        }
        return Ok(Target::Domain {
            name: rest.to_string(),
        });
    }
    if let Some(rest) = s.strip_prefix("ip:") {
        let (vpc_id, ip) = id_slash_ip(rest, "ip:VPC")?;
        return Ok(Target::Ip { vpc_id, ip });
    }
    if let Some(rest) = s.strip_prefix("vsw:") {
        let (vswitch_id, ip) = id_slash_ip(rest, "vsw:ID")?;
        return Ok(Target::VSwitch { vswitch_id, ip });
    }
    let (instance_id, target_ip) = instance_spec(world, s)?;
    Ok(Target::Ecs {
        instance_id,
        target_ip,
    })
}

/// Parses `tcp`, `udp` or `icmp` (case-insensitive).
pub fn parse_protocol(s: &str) -> Result<Protocol, String> {
    match s.to_ascii_lowercase().as_str() {
        "tcp" => Ok(Protocol::Tcp),
        "udp" => Ok(Protocol::Udp),
        "icmp" => Ok(Protocol::Icmp),
        _ => Err(format!("protocol `{s}` is not tcp, udp or icmp")),
    }
}
