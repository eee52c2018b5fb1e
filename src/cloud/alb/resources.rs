//! ALB resources (§5.2): load balancers with their zones, VIPs and back-to-origin addresses,
//! server groups with their servers, listeners.

use crate::cloud::lifecycle::Lifecycle;
use crate::cloud::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

/// `Provisioning` → `Active` (load balancer), `Creating` → `Available` (server group),
/// `Provisioning` → `Running` (listener), `Adding` → `Available` (server).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum AlbStatus {
    /// Load balancer or listener being set up.
    Provisioning,
    /// Load balancer ready.
    Active,
    /// Server group being created.
    Creating,
    /// Server group or server ready.
    Available,
    /// Listener ready.
    Running,
    /// Server being added.
    Adding,
}

impl AlbStatus {
    /// Alibaba spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            AlbStatus::Provisioning => "Provisioning",
            AlbStatus::Active => "Active",
            AlbStatus::Creating => "Creating",
            AlbStatus::Available => "Available",
            AlbStatus::Running => "Running",
            AlbStatus::Adding => "Adding",
        }
    }
}

/// One zone of a load balancer (§5.2.1, §5.2.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlbZone {
    /// Zone.
    pub zone_id: String,
    /// vSwitch.
    pub vswitch_id: String,
    /// The zone VIP (`IntranetAddress`), an address of the vSwitch.
    pub address: Ipv4Addr,
    /// Back-to-origin source address `100.64.<n mod 256>.<zone index + 1>` (ASSUMED).
    pub back_to_origin: Ipv4Addr,
}

/// An ALB instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadBalancer {
    /// `alb-…`.
    pub load_balancer_id: String,
    /// Region.
    pub region_id: String,
    /// Owner.
    pub owner_uid: String,
    /// VPC.
    pub vpc_id: String,
    /// `Internet` | `Intranet`.
    pub address_type: String,
    /// `Basic` | `Standard` | `StandardWithWaf`.
    pub edition: String,
    /// `Fixed` | `Dynamic`.
    pub address_allocated_mode: String,
    /// `IPv4` | `DualStack`.
    pub address_ip_version: String,
    /// Name.
    pub name: String,
    /// Zones.
    pub zones: Vec<AlbZone>,
    /// `DeletionProtectionEnabled`.
    pub deletion_protection: bool,
    /// Resource group.
    pub resource_group_id: String,
    /// Ordinal of this ALB among those ever created in the world (back-to-origin addresses).
    pub ordinal: u64,
    /// Status.
    pub lifecycle: Lifecycle<AlbStatus>,
    /// Creation time.
    pub creation_time: Timestamp,
}

impl LoadBalancer {
    /// DNS name (§1.5).
    pub fn dns_name(&self) -> String {
        if self.address_type == "Intranet" {
            format!(
                "{}.internal.{}.alb.aliyuncs.com",
                self.load_balancer_id, self.region_id
            )
        } else {
            format!(
                "{}.{}.alb.aliyuncs.com",
                self.load_balancer_id, self.region_id
            )
        }
    }
}

/// Health-check settings of a server group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthCheck {
    /// Enabled (default on for Instance/Ip groups).
    pub enabled: bool,
    /// `HTTP` | `HTTPS` | `TCP` | `gRPC`.
    pub protocol: String,
    /// 0 = the server's port.
    pub connect_port: u16,
    /// Path.
    pub path: String,
    /// Interval (s).
    pub interval: i64,
    /// Timeout (s).
    pub timeout: i64,
    /// Healthy threshold.
    pub healthy_threshold: i64,
    /// Unhealthy threshold.
    pub unhealthy_threshold: i64,
}

/// A backend server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Server {
    /// `ServerId` (instance id, ENI id, or the IP for `Ip`).
    pub server_id: String,
    /// `Ecs` | `Eni` | `Eci` | `Ip`.
    pub server_type: String,
    /// Address.
    pub server_ip: Ipv4Addr,
    /// Port.
    pub port: u16,
    /// Weight 0–100.
    pub weight: i64,
    /// `RemoteIpEnabled` (Ip only).
    pub remote_ip: bool,
    /// Description.
    pub description: String,
    /// Status.
    pub lifecycle: Lifecycle<AlbStatus>,
}

/// A server group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerGroup {
    /// `sgp-…`.
    pub server_group_id: String,
    /// Region.
    pub region_id: String,
    /// Owner.
    pub owner_uid: String,
    /// Name.
    pub name: String,
    /// `Instance` | `Ip`.
    pub group_type: String,
    /// VPC.
    pub vpc_id: String,
    /// `HTTP` | `HTTPS` | `gRPC`.
    pub protocol: String,
    /// `Wrr` | `Wlc` | `Sch`.
    pub scheduler: String,
    /// Health check.
    pub health_check: HealthCheck,
    /// Servers in insertion order.
    pub servers: Vec<Server>,
    /// Status.
    pub lifecycle: Lifecycle<AlbStatus>,
    /// Creation time.
    pub creation_time: Timestamp,
}

/// A listener.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listener {
    /// `lsn-…`.
    pub listener_id: String,
    /// Load balancer.
    pub load_balancer_id: String,
    /// Region.
    pub region_id: String,
    /// Owner.
    pub owner_uid: String,
    /// `HTTP` | `HTTPS` | `QUIC`.
    pub protocol: String,
    /// Port.
    pub port: u16,
    /// Description.
    pub description: String,
    /// Default-action server groups (`ForwardGroup`).
    pub server_group_ids: Vec<String>,
    /// Status.
    pub lifecycle: Lifecycle<AlbStatus>,
    /// Creation time.
    pub creation_time: Timestamp,
}

/// All ALB state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlbState {
    /// Load balancers by id.
    pub load_balancers: BTreeMap<String, LoadBalancer>,
    /// Server groups by id.
    pub server_groups: BTreeMap<String, ServerGroup>,
    /// Listeners by id.
    pub listeners: BTreeMap<String, Listener>,
    /// ALBs ever created (back-to-origin ordinals).
    pub created: u64,
}

impl AlbState {
    /// True when there is nothing in it (the world then leaves it out of its serialized form).
    pub fn is_empty(&self) -> bool {
        self.load_balancers.is_empty()
            && self.server_groups.is_empty()
            && self.listeners.is_empty()
            && self.created == 0
    }
}
