//! Hops of a path: one node of the NIS topology each, with what matched there (§8.2).

use crate::cloud::packet::{Action, Direction};
use ipnet::Ipv4Net;
use serde::{Deserialize, Serialize};
use std::net::Ipv4Addr;

/// Node types of the NIS topology (§8.2), extended for later products.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum NodeType {
    /// An ECS instance.
    #[serde(rename = "VM")]
    Vm,
    /// An ENI.
    #[serde(rename = "ENI")]
    Eni,
    /// A vSwitch.
    #[serde(rename = "VSW")]
    Vsw,
    /// A VPC router (route table lookup).
    #[serde(rename = "VRT")]
    Vrt,
    /// A VPC peering connection.
    #[serde(rename = "PCC")]
    Pcc,
    /// A transit router (§6; its matched route is the TR table entry).
    #[serde(rename = "TR")]
    Tr,
    /// A transit-router attachment (§6).
    #[serde(rename = "TR_ATTACH")]
    TrAttach,
    /// A PrivateLink endpoint (reserved: §4).
    #[serde(rename = "EP")]
    Ep,
    /// A PrivateLink endpoint service (reserved: §4).
    #[serde(rename = "EPSRV")]
    EpSrv,
    /// An NLB (reserved: §5).
    #[serde(rename = "NLB")]
    Nlb,
    /// An ALB (§5.2).
    #[serde(rename = "ALB")]
    Alb,
    /// A CLB (reserved: §5).
    #[serde(rename = "CLB")]
    Clb,
    /// A load-balancer listener (§8.2).
    #[serde(rename = "LSN")]
    Lsn,
    /// A load-balancer server group (§8.2).
    #[serde(rename = "SGP")]
    Sgp,
}

impl NodeType {
    /// NIS spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            NodeType::Vm => "VM",
            NodeType::Eni => "ENI",
            NodeType::Vsw => "VSW",
            NodeType::Vrt => "VRT",
            NodeType::Pcc => "PCC",
            NodeType::Tr => "TR",
            NodeType::TrAttach => "TR_ATTACH",
            NodeType::Ep => "EP",
            NodeType::EpSrv => "EPSRV",
            NodeType::Nlb => "NLB",
            NodeType::Alb => "ALB",
            NodeType::Clb => "CLB",
            NodeType::Lsn => "LSN",
            NodeType::Sgp => "SGP",
        }
    }
}

/// The route a VRT hop matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchedRoute {
    /// `vtb-…`.
    pub route_table_id: String,
    /// `rte-…` (system entries carry their vSwitch's system entry id).
    pub route_entry_id: String,
    /// Destination CIDR.
    pub destination: String,
    /// `Local` for system routes, else the next-hop type.
    pub next_hop_type: String,
    /// Next-hop id (empty for `Local`).
    pub next_hop_id: String,
}

/// The security-group decision at an ENI hop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchedSg {
    /// Direction evaluated.
    pub direction: Direction,
    /// Resulting policy.
    pub policy: Action,
    /// Deciding group (the rule's group, or the group of the intra-group default).
    pub security_group_id: Option<String>,
    /// Deciding rule (`sgr-…`), when a rule decided.
    pub rule_id: Option<String>,
    /// Its priority.
    pub priority: Option<u8>,
    /// NIS `description`: `user_rule`, `default_sg_access_rule` or `user_acl_drop_rule`.
    pub description: String,
}

/// The network-ACL decision at a vSwitch hop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchedAcl {
    /// `nacl-…`.
    pub network_acl_id: String,
    /// vSwitch.
    pub vswitch_id: String,
    /// Direction evaluated.
    pub direction: Direction,
    /// Resulting policy.
    pub policy: Action,
    /// Deciding entry (`nae-…`), `default` when no entry matched, `always-allowed` for the
    /// service addresses of §7.4 rule 5.
    pub matched_entry_id: String,
}

/// One node of a path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hop {
    /// Resource id (`i-…`, `eni-…`, `vsw-…`, `vpc-…` for a VRT, `pcc-…`).
    pub node_id: String,
    /// Node type.
    pub node_type: NodeType,
    /// Region.
    pub region: String,
    /// Zone (empty for regional nodes).
    pub zone: String,
    /// Address (ENI and VM hops).
    pub ip: Option<Ipv4Addr>,
    /// CIDR (vSwitch and VRT hops); serialized as its text (`10.0.1.0/24`).
    pub cidr: Option<Ipv4Net>,
    /// `accept` when the packet passed this node, `drop` when it stopped here.
    pub action: Action,
    /// VRT hops: the matched route.
    pub matched_route: Option<MatchedRoute>,
    /// ENI hops: the security-group decision.
    pub matched_sg_rule: Option<MatchedSg>,
    /// vSwitch hops: the ACL decisions (egress and/or ingress).
    pub matched_acl_rules: Vec<MatchedAcl>,
}

impl Hop {
    /// A passing hop with nothing matched yet.
    pub fn new(node_id: &str, node_type: NodeType, region: &str, zone: &str) -> Self {
        Hop {
            node_id: node_id.to_string(),
            node_type,
            region: region.to_string(),
            zone: zone.to_string(),
            ip: None,
            cidr: None,
            action: Action::Accept,
            matched_route: None,
            matched_sg_rule: None,
            matched_acl_rules: Vec::new(),
        }
    }
}
