//! The NLB product (API version 2022-04-30, RAM code `nlb`): network load balancers, server
//! groups and listeners, as far as PrivateLink and the seeds need them (spec
//! `network-model.md` §5 intro, §5.1).
//!
//! * [`api`] — every API of the product, declared once (parameters, RAM action and ARNs,
//!   response shape) with its checks (plan, on an unchanged world) and effects (apply);
//! * [`health`] — the backend health computation (§5 intro), one function the reach analyzer
//!   can later replace with a full trace.
//!
//! Addresses: every zone VIP and the two local addresses per zone are entered in the world's
//! address index (`ecs.addresses`) as `Service { kind: "nlb-vip" | "nlb-local", id }`, so ENIs,
//! endpoints and other load balancers never take them. Statuses settle at once (`Active`,
//! `Available`, `Running`); the transitional ones of §5.1 are not modeled (ASSUMED: the seeds
//! never observe them).

pub mod api;
pub mod health;

use crate::cloud::declare::{Denial, Product};
use crate::cloud::ecs::AddressOwner;
use crate::cloud::index::LazyGroups;
use crate::cloud::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

/// The NLB product: 403 `Forbidden.NoPermission` on a RAM denial (§9.5, [M-nlb]).
pub const PRODUCT: Product = Product {
    name: "Nlb",
    version: "2022-04-30",
    ram_code: "nlb",
    endpoint: "nlb.aliyuncs.com",
    regional_endpoint: Some("nlb"),
    denial: Denial {
        status: 403,
        code: "Forbidden.NoPermission",
        message: "You are not authorized to do this operation.",
    },
};

/// One zone of an NLB (§5.1.1 ZoneMapping).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZoneMapping {
    /// `ZoneId`.
    pub zone_id: String,
    /// `VSwitchId`.
    pub vswitch_id: String,
    /// The zone VIP (`PrivateIPv4Address`).
    pub private_ipv4_address: Ipv4Addr,
    /// `AllocationId` (EIP of an internet-facing NLB; stored only).
    pub allocation_id: Option<String>,
    /// `Ipv4LocalAddresses`: the addresses the NLB uses towards backends (2 per zone, ASSUMED).
    pub local_addresses: Vec<Ipv4Addr>,
}

/// A network load balancer (§5.1.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadBalancer {
    /// `nlb-…`.
    pub load_balancer_id: String,
    /// Region.
    pub region_id: String,
    /// Owner account.
    pub owner_uid: String,
    /// VPC.
    pub vpc_id: String,
    /// `LoadBalancerName`.
    pub name: String,
    /// `Internet` | `Intranet`.
    pub address_type: String,
    /// `ipv4` | `DualStack`.
    pub address_ip_version: String,
    /// Zones, in request order.
    pub zone_mappings: Vec<ZoneMapping>,
    /// `CrossZoneEnabled` (default true, ASSUMED).
    pub cross_zone_enabled: bool,
    /// `SecurityGroupIds` (empty: no filtering at the NLB, ASSUMED).
    pub security_group_ids: Vec<String>,
    /// Resource group.
    pub resource_group_id: String,
    /// `LoadBalancerStatus` (`Active`).
    pub status: String,
    /// `LoadBalancerBusinessStatus` (`Normal`).
    pub business_status: String,
    /// Creation time.
    pub create_time: Timestamp,
}

impl LoadBalancer {
    /// `DNSName`: `<nlb-id>.<region>.nlb.aliyuncs.com` (§1.5).
    pub fn dns_name(&self) -> String {
        format!(
            "{}.{}.nlb.aliyuncs.com",
            self.load_balancer_id, self.region_id
        )
    }

    /// The zone mapping of `zone_id`.
    pub fn zone(&self, zone_id: &str) -> Option<&ZoneMapping> {
        self.zone_mappings.iter().find(|z| z.zone_id == zone_id)
    }
}

/// Health check settings of a server group (§5.1.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthCheck {
    /// `HealthCheckEnabled` (default true).
    pub enabled: bool,
    /// `HealthCheckType` (`TCP` default | `HTTP`, both probed as TCP).
    pub check_type: String,
    /// `HealthCheckConnectPort` (0: the server's port).
    pub connect_port: u16,
}

/// One server of a group (§5.1.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Server {
    /// `ServerId` (`i-…`, `eni-…`, or the IP of an `Ip` member).
    pub server_id: String,
    /// `Ecs` | `Eni` | `Eci` | `Ip`.
    pub server_type: String,
    /// `ServerIp`.
    pub server_ip: Ipv4Addr,
    /// `Port`.
    pub port: u16,
    /// `Weight` (0–100).
    pub weight: u8,
    /// Zone of an instance or ENI member.
    pub zone_id: Option<String>,
    /// `Description`.
    pub description: String,
}

/// A server group (§5.1.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerGroup {
    /// `sgp-…`.
    pub server_group_id: String,
    /// Region.
    pub region_id: String,
    /// Owner account.
    pub owner_uid: String,
    /// `ServerGroupName`.
    pub name: String,
    /// `Instance` | `Ip`.
    pub server_group_type: String,
    /// `TCP` | `UDP` | `TCPSSL`.
    pub protocol: String,
    /// `VpcId`.
    pub vpc_id: String,
    /// `AnyPortEnabled`.
    pub any_port_enabled: bool,
    /// `Scheduler`.
    pub scheduler: String,
    /// `PreserveClientIpEnabled`.
    pub preserve_client_ip: bool,
    /// `HealthCheckConfig`.
    pub health_check: HealthCheck,
    /// Members, in the order added.
    pub servers: Vec<Server>,
    /// Resource group.
    pub resource_group_id: String,
    /// `ServerGroupStatus` (`Available`).
    pub status: String,
    /// Creation time.
    pub create_time: Timestamp,
}

/// A listener (§5.1.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listener {
    /// `lsn-…`.
    pub listener_id: String,
    /// Region.
    pub region_id: String,
    /// Owner account.
    pub owner_uid: String,
    /// `LoadBalancerId`.
    pub load_balancer_id: String,
    /// `ServerGroupId`.
    pub server_group_id: String,
    /// `TCP` | `UDP` | `TCPSSL`.
    pub protocol: String,
    /// `ListenerPort` (0: all ports `start_port..=end_port`).
    pub port: u16,
    /// `StartPort` of an all-port listener.
    pub start_port: Option<u16>,
    /// `EndPort` of an all-port listener.
    pub end_port: Option<u16>,
    /// `ListenerDescription`.
    pub description: String,
    /// `IdleTimeout`.
    pub idle_timeout: i64,
    /// `CertificateIds` (TCPSSL).
    pub certificate_ids: Vec<String>,
    /// `ListenerStatus` (`Running`).
    pub status: String,
}

impl Listener {
    /// True when the listener takes port `port`.
    pub fn takes_port(&self, port: u16) -> bool {
        if self.port == 0 {
            self.start_port.unwrap_or(0) <= port && port <= self.end_port.unwrap_or(u16::MAX)
        } else {
            self.port == port
        }
    }
}

/// All NLB state. Ordered maps: the serialized form is deterministic.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NlbState {
    /// Load balancers by id.
    pub load_balancers: BTreeMap<String, LoadBalancer>,
    /// Server groups by id.
    pub server_groups: BTreeMap<String, ServerGroup>,
    /// Listeners by id.
    pub listeners: BTreeMap<String, Listener>,
    /// Derived: listener ids per load balancer (built on first use, kept up to date by
    /// [`NlbState::insert_listener`] / [`NlbState::remove_listener`]), so that a load
    /// balancer's listeners cost what it has, not what the world has.
    #[serde(skip)]
    listeners_by_lb: LazyGroups,
}

impl NlbState {
    /// The listeners of load balancer `lb_id`, in id order.
    pub fn listeners_of<'a>(&'a self, lb_id: &str) -> impl Iterator<Item = &'a Listener> + 'a {
        let groups = self.listeners_by_lb.get(|| {
            self.listeners
                .values()
                .map(|l| (l.load_balancer_id.as_str(), l.listener_id.as_str()))
        });
        LazyGroups::group(groups, lb_id).filter_map(|id| self.listeners.get(id))
    }

    /// Inserts (or replaces) a listener, keeping the per-LB index up to date.
    pub fn insert_listener(&mut self, l: Listener) {
        if let Some(old) = self.listeners.get(&l.listener_id) {
            self.listeners_by_lb
                .forget(&old.load_balancer_id, &l.listener_id);
        }
        self.listeners_by_lb
            .note(&l.load_balancer_id, &l.listener_id);
        self.listeners.insert(l.listener_id.clone(), l);
    }

    /// Removes a listener, keeping the per-LB index up to date.
    pub fn remove_listener(&mut self, id: &str) -> Option<Listener> {
        let l = self.listeners.remove(id)?;
        self.listeners_by_lb.forget(&l.load_balancer_id, id);
        Some(l)
    }

    /// True when there is nothing in it (the world then leaves it out of its serialized form).
    pub fn is_empty(&self) -> bool {
        self.load_balancers.is_empty() && self.server_groups.is_empty() && self.listeners.is_empty()
    }
}

/// The address-index owner of an NLB zone VIP.
pub fn vip_owner(lb_id: &str) -> AddressOwner {
    AddressOwner::Service {
        kind: "nlb-vip".into(),
        id: lb_id.into(),
    }
}

/// The address-index owner of an NLB local (backend-facing) address.
pub fn local_owner(lb_id: &str) -> AddressOwner {
    AddressOwner::Service {
        kind: "nlb-local".into(),
        id: lb_id.into(),
    }
}

#[cfg(test)]
pub(crate) mod tests;
