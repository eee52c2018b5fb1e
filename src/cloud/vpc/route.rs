//! Route tables and route entries (§2.3, §2.4) and longest-prefix lookup (§2.4.6).

use crate::cloud::lifecycle::Lifecycle;
use crate::cloud::time::Timestamp;
use crate::cloud::vpc::NetStatus;
use ipnet::IpNet;
use serde::{Deserialize, Serialize};

/// Route table type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TableType {
    /// The one system table of a VPC.
    System,
    /// A custom table.
    Custom,
}

/// A VPC route table (§2.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteTable {
    /// `vtb-…`.
    pub route_table_id: String,
    /// VPC.
    pub vpc_id: String,
    /// Region.
    pub region_id: String,
    /// Owner uid.
    pub owner_uid: String,
    /// System or custom.
    pub table_type: TableType,
    /// `VSwitch` | `Gateway`.
    pub associate_type: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// vRouter of the VPC.
    pub router_id: String,
    /// Creation time.
    pub creation_time: Timestamp,
}

/// Next-hop types of §2.4.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum NextHopType {
    /// ECS instance (default).
    Instance,
    /// Secondary ENI.
    NetworkInterface,
    /// HaVip (store only).
    HaVip,
    /// Express Connect router interface (store only).
    RouterInterface,
    /// VPN gateway (store only).
    VpnGateway,
    /// IPv6 gateway (store only).
    IPv6Gateway,
    /// NAT gateway (store only).
    NatGateway,
    /// Transit router VPC attachment.
    Attachment,
    /// VPC peering connection.
    VpcPeer,
    /// IPv4 gateway (store only).
    Ipv4Gateway,
    /// Gateway endpoint (store only).
    GatewayEndpoint,
    /// Express Connect Router (store only).
    Ecr,
}

impl NextHopType {
    /// All creatable types (`CenBasic` is read-only and not creatable).
    pub const ALL: [NextHopType; 12] = [
        NextHopType::Instance,
        NextHopType::NetworkInterface,
        NextHopType::HaVip,
        NextHopType::RouterInterface,
        NextHopType::VpnGateway,
        NextHopType::IPv6Gateway,
        NextHopType::NatGateway,
        NextHopType::Attachment,
        NextHopType::VpcPeer,
        NextHopType::Ipv4Gateway,
        NextHopType::GatewayEndpoint,
        NextHopType::Ecr,
    ];

    /// Alibaba spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            NextHopType::Instance => "Instance",
            NextHopType::NetworkInterface => "NetworkInterface",
            NextHopType::HaVip => "HaVip",
            NextHopType::RouterInterface => "RouterInterface",
            NextHopType::VpnGateway => "VpnGateway",
            NextHopType::IPv6Gateway => "IPv6Gateway",
            NextHopType::NatGateway => "NatGateway",
            NextHopType::Attachment => "Attachment",
            NextHopType::VpcPeer => "VpcPeer",
            NextHopType::Ipv4Gateway => "Ipv4Gateway",
            NextHopType::GatewayEndpoint => "GatewayEndpoint",
            NextHopType::Ecr => "Ecr",
        }
    }

    /// Parses the Alibaba spelling.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|t| t.as_str() == s)
    }

    /// Id prefix of the next-hop resource (§2.4.2).
    pub fn id_prefix(self) -> &'static str {
        match self {
            NextHopType::Instance => "i",
            NextHopType::NetworkInterface => "eni",
            NextHopType::HaVip => "havip",
            NextHopType::RouterInterface => "ri",
            NextHopType::VpnGateway => "vpn",
            NextHopType::IPv6Gateway => "ipv6gw",
            NextHopType::NatGateway => "ngw",
            NextHopType::Attachment => "tr-attach",
            NextHopType::VpcPeer => "pcc",
            NextHopType::Ipv4Gateway => "ipv4gw",
            NextHopType::GatewayEndpoint => "vpce",
            NextHopType::Ecr => "ecr",
        }
    }

    /// Types whose target is only stored, never resolved (§2.4.2 "Store only").
    pub fn store_only(self) -> bool {
        !matches!(
            self,
            NextHopType::Instance
                | NextHopType::NetworkInterface
                | NextHopType::Attachment
                | NextHopType::VpcPeer
        )
    }
}

/// One member of an ECMP `NextHopList` (stored only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NextHopItem {
    /// Next hop id.
    pub next_hop_id: String,
    /// Next hop type (`RouterInterface`).
    pub next_hop_type: String,
    /// Weight.
    pub weight: Option<i64>,
}

/// A custom route entry (§2.4.1). System entries are derived from vSwitches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteEntry {
    /// `rte-…`.
    pub route_entry_id: String,
    /// Table.
    pub route_table_id: String,
    /// VPC of the table.
    pub vpc_id: String,
    /// Destination (IPv4 or IPv6).
    pub destination: IpNet,
    /// Next-hop type (`None` with an ECMP list).
    pub next_hop_type: Option<NextHopType>,
    /// Next-hop id.
    pub next_hop_id: String,
    /// ECMP list (stored only).
    pub next_hop_list: Vec<NextHopItem>,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Status (`Pending` → `Available`).
    pub lifecycle: Lifecycle<NetStatus>,
    /// Creation time.
    pub creation_time: Timestamp,
}

/// A resource registered by another module (ECS instance, ENI, TR attachment)
/// so that route next hops of those types can be validated (§2.4.4 steps 7, 8, 11).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExternalNextHop {
    /// Resource id (`i-…`, `eni-…`, `tr-attach-…`).
    pub id: String,
    /// Which next-hop type it can serve as.
    pub kind: NextHopType,
    /// VPC the resource lives in (for TR attachments: the attached VPC).
    pub vpc_id: String,
    /// For attachments: true when it is a TR *VPC* attachment in status `Attached`.
    pub usable: bool,
}

/// Where a lookup sends a packet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RouteTarget {
    /// Deliver inside the VPC (system route of a vSwitch CIDR).
    Local,
    /// A custom next hop.
    NextHop {
        /// Type (`None` for an ECMP list entry).
        next_hop_type: Option<NextHopType>,
        /// Id.
        next_hop_id: String,
    },
}

/// Result of a longest-prefix lookup (§2.4.6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteMatch {
    /// Table consulted.
    pub route_table_id: String,
    /// Matching entry id.
    pub route_entry_id: String,
    /// Matching destination.
    pub destination: IpNet,
    /// Target.
    pub target: RouteTarget,
}
