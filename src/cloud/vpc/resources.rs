//! VPC and vSwitch resources (§2.1, §2.2) and their CIDR rules.

use crate::cloud::lifecycle::Lifecycle;
use crate::cloud::time::Timestamp;
use ipnet::Ipv4Net;
use serde::{Deserialize, Serialize};
use std::net::Ipv4Addr;

/// VPC / vSwitch status (`Pending` → `Available`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NetStatus {
    /// Being created (Stepped mode only).
    Pending,
    /// Usable.
    Available,
}

impl NetStatus {
    /// Alibaba spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            NetStatus::Pending => "Pending",
            NetStatus::Available => "Available",
        }
    }
}

/// A VPC (§2.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vpc {
    /// `vpc-…`.
    pub vpc_id: String,
    /// Region.
    pub region_id: String,
    /// Owner account uid.
    pub owner_uid: String,
    /// Primary IPv4 CIDR.
    pub cidr_block: Ipv4Net,
    /// Secondary IPv4 CIDRs (fixture-only, §2.5).
    pub secondary_cidr_blocks: Vec<Ipv4Net>,
    /// User CIDRs (≤ 3).
    pub user_cidrs: Vec<Ipv4Net>,
    /// IPv6 CIDR, stored only.
    pub ipv6_cidr_block: Option<String>,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Status.
    pub lifecycle: Lifecycle<NetStatus>,
    /// Auto-created vRouter (`vrt-…`).
    pub vrouter_id: String,
    /// System route table (`vtb-…`).
    pub system_route_table_id: String,
    /// Resource group.
    pub resource_group_id: String,
    /// Accounts the VPC is shared with (resource users, §2.6).
    pub shared_with: Vec<String>,
    /// Default VPC flag.
    pub is_default: bool,
    /// Creation time.
    pub creation_time: Timestamp,
}

impl Vpc {
    /// All IPv4 CIDRs of the VPC (primary first), as used by peering and reachability (§2.5).
    pub fn ipv4_cidrs(&self) -> Vec<Ipv4Net> {
        let mut v = vec![self.cidr_block];
        v.extend(self.secondary_cidr_blocks.iter().copied());
        v
    }

    /// True when `uid` owns the VPC or it is shared with `uid` (§2.6).
    pub fn visible_to(&self, uid: &str) -> bool {
        self.owner_uid == uid || self.shared_with.iter().any(|u| u == uid)
    }
}

/// A vSwitch (§2.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VSwitch {
    /// `vsw-…`.
    pub vswitch_id: String,
    /// VPC.
    pub vpc_id: String,
    /// Region.
    pub region_id: String,
    /// Zone.
    pub zone_id: String,
    /// Owner account uid (the VPC owner).
    pub owner_uid: String,
    /// IPv4 CIDR (immutable).
    pub cidr_block: Ipv4Net,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Status.
    pub lifecycle: Lifecycle<NetStatus>,
    /// Associated custom route table; `None` = the VPC system table.
    pub route_table_id: Option<String>,
    /// Associated network ACL.
    pub network_acl_id: Option<String>,
    /// Id of the read-only system route entry for this vSwitch's CIDR (§2.4.3).
    pub system_route_entry_id: String,
    /// Creation time.
    pub creation_time: Timestamp,
}

impl VSwitch {
    /// Usable addresses: 2^(32-mask) - 4 (first and last three are reserved, §2.2).
    pub fn usable_ip_count(&self) -> u64 {
        let size = 1u64 << (32 - u32::from(self.cidr_block.prefix_len()));
        size.saturating_sub(4)
    }

    /// True when `ip` is one of the reserved addresses of the vSwitch (§2.2).
    pub fn is_reserved(&self, ip: Ipv4Addr) -> bool {
        let net = u32::from(self.cidr_block.network());
        let bcast = u32::from(self.cidr_block.broadcast());
        let x = u32::from(ip);
        self.cidr_block.contains(&ip) && (x == net || x.saturating_add(3) > bcast)
    }
}

/// The private ranges of §2.1.
const PRIVATE: [(u8, u8, u8, u8, u8); 3] =
    [(10, 0, 0, 0, 8), (172, 16, 0, 0, 12), (192, 168, 0, 0, 16)];
/// Ranges a VPC may not use (§2.1).
const FORBIDDEN: [(u8, u8, u8, u8, u8); 4] = [
    (100, 64, 0, 0, 10),
    (224, 0, 0, 0, 4),
    (127, 0, 0, 0, 8),
    (169, 254, 0, 0, 16),
];

fn net(t: (u8, u8, u8, u8, u8)) -> Option<Ipv4Net> {
    Ipv4Net::new(Ipv4Addr::new(t.0, t.1, t.2, t.3), t.4).ok()
}

/// `100.64.0.0/10` (shared address space used by cloud services).
pub fn cgnat() -> Option<Ipv4Net> {
    net((100, 64, 0, 0, 10))
}

/// Parses a strict IPv4 CIDR (host bits zero).
pub fn parse_strict_v4(s: &str) -> Option<Ipv4Net> {
    let n: Ipv4Net = s.trim().parse().ok()?;
    (n.trunc() == n).then_some(n)
}

/// True when `a` and `b` overlap.
pub fn overlaps(a: &Ipv4Net, b: &Ipv4Net) -> bool {
    a.contains(b) || b.contains(a)
}

/// CreateVpc CIDR rule (§2.1): strict; inside a private range with mask /8–/28,
/// or any other block outside the forbidden ranges.
pub fn valid_vpc_cidr(n: &Ipv4Net) -> bool {
    let in_private = PRIVATE
        .iter()
        .filter_map(|t| net(*t))
        .any(|p| p.contains(n));
    if in_private {
        return (8..=28).contains(&n.prefix_len());
    }
    !FORBIDDEN
        .iter()
        .filter_map(|t| net(*t))
        .any(|f| overlaps(&f, n))
        && (8..=28).contains(&n.prefix_len())
}
