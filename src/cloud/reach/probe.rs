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
            .get(e)
            .filter(|x| x.instance_id.as_deref() == Some(inst.instance_id.as_str()))
            .map(|x| x.network_interface_id.clone()),
        AddressOwner::Service { .. } => None,
    }
}

/// Resolves a probe (§8.3.1, §8.3.2). Errors are the NIS parameter errors.
pub fn resolve(t: &Topology<'_>, p: &Probe) -> Result<Resolved, ProbeError> {
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
            let eni = t.world.ecs.enis.get(&eni_id);
            End {
                instance_id: Some(inst.instance_id.clone()),
                vswitch_id: eni.map_or(inst.vswitch_id.clone(), |e| e.vswitch_id.clone()),
                zone: eni.map_or(inst.zone_id.clone(), |e| e.zone_id.clone()),
                eni_id: Some(eni_id),
                vpc_id: inst.vpc_id.clone(),
                region: inst.region_id.clone(),
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
            (ip, inst.vpc_id.clone(), Some(inst.instance_id.clone()))
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
