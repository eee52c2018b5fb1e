//! Diagnostic codes, severities and findings (`network-model.md` §8.6).

use crate::cloud::ecs::security_group::MatchedSgRule;
use crate::cloud::packet::{Direction, Packet};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::Ipv4Addr;

/// A diagnostic code of §8.6. Route, peering and ACL codes found on the reply path are reported
/// with a `RETURN_` prefix ([`Code::returned`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Code {
    /// The route points to a peering that is not `Activated`.
    PeeringNotActive,
    /// The route points to a missing or deleted peering.
    PeeringNotFound,
    /// The peering is `FinancialLocked`.
    PeeringLocked,
    /// Requester and accepter CIDRs overlap (Warning; Error when the destination lies in both).
    CidrOverlap,
    /// The peer VPC of the route's peering does not contain the destination.
    PeerCidrMismatch,
    /// No route for the destination.
    RouteNotFound,
    /// The route's next hop does not belong to this VPC.
    RouteNextHopMismatch,
    /// Traffic would transit a VPC through a peering (P-NONTRANS).
    NonTransitive,
    /// Next hop type not simulated (NAT, VPN, HaVip, transit router until modelled, …).
    UnsupportedNextHop,
    /// More than 32 hops.
    LoopDetected,
    /// The source ENI's security groups drop the packet.
    SgEgressDeny,
    /// The destination ENI's security groups drop the packet.
    SgIngressDeny,
    /// The source vSwitch's network ACL drops the packet.
    NaclEgressDeny,
    /// The destination vSwitch's network ACL drops the packet.
    NaclIngressDeny,
    /// A network ACL drops the reply.
    NaclReturnDeny,
    /// The source instance is not `Running`.
    SrcInstanceNotRunning,
    /// The destination instance is not `Running`.
    DstInstanceNotRunning,
    /// The destination ENI is not `InUse`.
    DstEniNotInUse,
    /// Nothing owns the destination address where the packet is delivered.
    DstIpNotFound,
    /// The destination address belongs to something that cannot be a target.
    DstNotTargetable,
    /// The source type is not supported.
    UnsupportedSource,
    /// The instance has no listener on the port (Warning).
    AppNotListening,
    /// No route back.
    ReturnRouteNotFound,
    /// The route back points to a peering that is not `Activated`.
    ReturnPeeringNotActive,
    /// The route back points to a missing peering.
    ReturnPeeringNotFound,
    /// The peering of the route back is locked.
    ReturnPeeringLocked,
    /// The peer VPC of the route back does not contain the client.
    ReturnPeerCidrMismatch,
    /// The route back's next hop does not belong to the server's VPC.
    ReturnRouteNextHopMismatch,
    /// The reply would transit a VPC through a peering.
    ReturnNonTransitive,
    /// The route back uses an unsupported next hop.
    ReturnUnsupportedNextHop,
    /// The reply path exceeds 32 hops.
    ReturnLoopDetected,
    /// The route's attachment (or the one a TR route sends to) is missing, not `Attached`, or
    /// not this VPC's (§8.3.3 F8, §8.3.5 T5).
    TrAttachmentNotAttached,
    /// The transit router is not `Active` or not Enterprise (§8.3.5 T1).
    TrNotActive,
    /// The ingress attachment is associated with no TR route table (§8.3.5 T2).
    TrNoAssociation,
    /// The associated TR route table has no Active route for the destination (§8.3.5 T3).
    TrRouteNotFound,
    /// The matching TR route is a blackhole (§8.3.5 T4).
    TrBlackhole,
    /// A Basic transit router cannot forward across regions (§8.3.5 T7, C-ENTERPRISE).
    TrBasicNoCrossRegion,
    /// The inter-region attachment has no bandwidth (§8.3.5 T7).
    TrPeerNoBandwidth,
    /// The TR delivered the packet into a VPC that does not hold the destination (§8.3.3).
    TrDstNotInVpc,
    /// `TR_ATTACHMENT_NOT_ATTACHED` on the reply.
    ReturnTrAttachmentNotAttached,
    /// `TR_NOT_ACTIVE` on the reply.
    ReturnTrNotActive,
    /// `TR_NO_ASSOCIATION` on the reply.
    ReturnTrNoAssociation,
    /// `TR_ROUTE_NOT_FOUND` on the reply.
    ReturnTrRouteNotFound,
    /// `TR_BLACKHOLE` on the reply.
    ReturnTrBlackhole,
    /// `TR_BASIC_NO_CROSS_REGION` on the reply.
    ReturnTrBasicNoCrossRegion,
    /// `TR_PEER_NO_BANDWIDTH` on the reply.
    ReturnTrPeerNoBandwidth,
    /// `TR_DST_NOT_IN_VPC` on the reply.
    ReturnTrDstNotInVpc,
    /// PrivateLink (§8.3.6 P1): the endpoint is not `Active`.
    EpNotActive,
    /// P3: the endpoint's connection is not `Connected`.
    EpConnectionNotConnected,
    /// P4: the endpoint zone is not `Connected` (or `Migrated`).
    EpZoneNotConnected,
    /// P6: the endpoint zone has no allocated service resource.
    EpZoneNoResource,
    /// P5: the endpoint service is not `Active` / `Normal`.
    EpsrvNotActive,
    /// P7: a cross-region endpoint without cross-region bandwidth.
    EpNoCrossRegionBandwidth,
    /// Load balancer (§8.3.7 L1): not `Active` / `Normal`.
    LbNotActive,
    /// L2: no running listener takes the protocol and port.
    LbNoListener,
    /// L3: the listener's server group is not `Available`.
    LbServerGroupNotAvailable,
    /// L4: no server with weight > 0 (in the zone, without cross-zone).
    LbNoBackend,
    /// L5: every candidate backend fails its health check.
    LbBackendUnhealthy,
}

impl Code {
    /// The `SCREAMING_SNAKE` spelling used in results.
    pub fn as_str(self) -> &'static str {
        use Code::*;
        match self {
            PeeringNotActive => "PEERING_NOT_ACTIVE",
            PeeringNotFound => "PEERING_NOT_FOUND",
            PeeringLocked => "PEERING_LOCKED",
            CidrOverlap => "CIDR_OVERLAP",
            PeerCidrMismatch => "PEER_CIDR_MISMATCH",
            RouteNotFound => "ROUTE_NOT_FOUND",
            RouteNextHopMismatch => "ROUTE_NEXT_HOP_MISMATCH",
            NonTransitive => "NON_TRANSITIVE",
            UnsupportedNextHop => "UNSUPPORTED_NEXT_HOP",
            LoopDetected => "LOOP_DETECTED",
            SgEgressDeny => "SG_EGRESS_DENY",
            SgIngressDeny => "SG_INGRESS_DENY",
            NaclEgressDeny => "NACL_EGRESS_DENY",
            NaclIngressDeny => "NACL_INGRESS_DENY",
            NaclReturnDeny => "NACL_RETURN_DENY",
            SrcInstanceNotRunning => "SRC_INSTANCE_NOT_RUNNING",
            DstInstanceNotRunning => "DST_INSTANCE_NOT_RUNNING",
            DstEniNotInUse => "DST_ENI_NOT_IN_USE",
            DstIpNotFound => "DST_IP_NOT_FOUND",
            DstNotTargetable => "DST_NOT_TARGETABLE",
            UnsupportedSource => "UNSUPPORTED_SOURCE",
            AppNotListening => "APP_NOT_LISTENING",
            ReturnRouteNotFound => "RETURN_ROUTE_NOT_FOUND",
            ReturnPeeringNotActive => "RETURN_PEERING_NOT_ACTIVE",
            ReturnPeeringNotFound => "RETURN_PEERING_NOT_FOUND",
            ReturnPeeringLocked => "RETURN_PEERING_LOCKED",
            ReturnPeerCidrMismatch => "RETURN_PEER_CIDR_MISMATCH",
            ReturnRouteNextHopMismatch => "RETURN_ROUTE_NEXT_HOP_MISMATCH",
            ReturnNonTransitive => "RETURN_NON_TRANSITIVE",
            ReturnUnsupportedNextHop => "RETURN_UNSUPPORTED_NEXT_HOP",
            ReturnLoopDetected => "RETURN_LOOP_DETECTED",
            TrAttachmentNotAttached => "TR_ATTACHMENT_NOT_ATTACHED",
            TrNotActive => "TR_NOT_ACTIVE",
            TrNoAssociation => "TR_NO_ASSOCIATION",
            TrRouteNotFound => "TR_ROUTE_NOT_FOUND",
            TrBlackhole => "TR_BLACKHOLE",
            TrBasicNoCrossRegion => "TR_BASIC_NO_CROSS_REGION",
            TrPeerNoBandwidth => "TR_PEER_NO_BANDWIDTH",
            TrDstNotInVpc => "TR_DST_NOT_IN_VPC",
            ReturnTrAttachmentNotAttached => "RETURN_TR_ATTACHMENT_NOT_ATTACHED",
            ReturnTrNotActive => "RETURN_TR_NOT_ACTIVE",
            ReturnTrNoAssociation => "RETURN_TR_NO_ASSOCIATION",
            ReturnTrRouteNotFound => "RETURN_TR_ROUTE_NOT_FOUND",
            ReturnTrBlackhole => "RETURN_TR_BLACKHOLE",
            ReturnTrBasicNoCrossRegion => "RETURN_TR_BASIC_NO_CROSS_REGION",
            ReturnTrPeerNoBandwidth => "RETURN_TR_PEER_NO_BANDWIDTH",
            ReturnTrDstNotInVpc => "RETURN_TR_DST_NOT_IN_VPC",
            EpNotActive => "EP_NOT_ACTIVE",
            EpConnectionNotConnected => "EP_CONNECTION_NOT_CONNECTED",
            EpZoneNotConnected => "EP_ZONE_NOT_CONNECTED",
            EpZoneNoResource => "EP_ZONE_NO_RESOURCE",
            EpsrvNotActive => "EPSRV_NOT_ACTIVE",
            EpNoCrossRegionBandwidth => "EP_NO_CROSS_REGION_BANDWIDTH",
            LbNotActive => "LB_NOT_ACTIVE",
            LbNoListener => "LB_NO_LISTENER",
            LbServerGroupNotAvailable => "LB_SERVER_GROUP_NOT_AVAILABLE",
            LbNoBackend => "LB_NO_BACKEND",
            LbBackendUnhealthy => "LB_BACKEND_UNHEALTHY",
        }
    }

    /// The code as found on the reply path (§8.3.8): route and peering codes get their
    /// `RETURN_` variant, ACL codes become `NACL_RETURN_DENY`, the others are unchanged.
    pub fn returned(self) -> Code {
        use Code::*;
        match self {
            RouteNotFound => ReturnRouteNotFound,
            PeeringNotActive => ReturnPeeringNotActive,
            PeeringNotFound => ReturnPeeringNotFound,
            PeeringLocked => ReturnPeeringLocked,
            PeerCidrMismatch => ReturnPeerCidrMismatch,
            RouteNextHopMismatch => ReturnRouteNextHopMismatch,
            NonTransitive => ReturnNonTransitive,
            UnsupportedNextHop => ReturnUnsupportedNextHop,
            LoopDetected => ReturnLoopDetected,
            NaclEgressDeny | NaclIngressDeny => NaclReturnDeny,
            TrAttachmentNotAttached => ReturnTrAttachmentNotAttached,
            TrNotActive => ReturnTrNotActive,
            TrNoAssociation => ReturnTrNoAssociation,
            TrRouteNotFound => ReturnTrRouteNotFound,
            TrBlackhole => ReturnTrBlackhole,
            TrBasicNoCrossRegion => ReturnTrBasicNoCrossRegion,
            TrPeerNoBandwidth => ReturnTrPeerNoBandwidth,
            TrDstNotInVpc => ReturnTrDstNotInVpc,
            other => other,
        }
    }

    /// The check item of the §8.6 table the code belongs to.
    pub fn check_item(self) -> &'static str {
        use Code::*;
        match self {
            PeeringNotActive
            | PeeringNotFound
            | PeeringLocked
            | ReturnPeeringNotActive
            | ReturnPeeringNotFound
            | ReturnPeeringLocked => "Peering connection status",
            CidrOverlap | PeerCidrMismatch | ReturnPeerCidrMismatch => "CIDR block configuration",
            RouteNotFound
            | RouteNextHopMismatch
            | NonTransitive
            | UnsupportedNextHop
            | LoopDetected
            | ReturnRouteNotFound
            | ReturnRouteNextHopMismatch
            | ReturnNonTransitive
            | ReturnUnsupportedNextHop
            | ReturnLoopDetected
            | TrAttachmentNotAttached
            | TrNotActive
            | TrNoAssociation
            | TrRouteNotFound
            | TrBlackhole
            | TrBasicNoCrossRegion
            | TrPeerNoBandwidth
            | TrDstNotInVpc
            | ReturnTrAttachmentNotAttached
            | ReturnTrNotActive
            | ReturnTrNoAssociation
            | ReturnTrRouteNotFound
            | ReturnTrBlackhole
            | ReturnTrBasicNoCrossRegion
            | ReturnTrPeerNoBandwidth
            | ReturnTrDstNotInVpc => "Route configuration",
            SgEgressDeny | SgIngressDeny | NaclEgressDeny | NaclIngressDeny | NaclReturnDeny => {
                "Access rule configuration"
            }
            SrcInstanceNotRunning
            | DstInstanceNotRunning
            | DstEniNotInUse
            | DstIpNotFound
            | DstNotTargetable
            | UnsupportedSource => "Endpoint state",
            AppNotListening => "Application",
            EpNotActive
            | EpConnectionNotConnected
            | EpZoneNotConnected
            | EpZoneNoResource
            | EpsrvNotActive
            | EpNoCrossRegionBandwidth => "PrivateLink",
            LbNotActive
            | LbNoListener
            | LbServerGroupNotAvailable
            | LbNoBackend
            | LbBackendUnhealthy => "Load balancer",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Severity of a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Severity {
    /// The path is broken here.
    Error,
    /// Worth knowing; does not change `reachable`.
    Warning,
    /// Informational.
    Info,
}

impl Severity {
    /// Lower-case spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// Which way the packet was travelling when a check failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Leg {
    /// Client → server (`positive` in NIS).
    Forward,
    /// Server → client: the reply (`reverse` in NIS).
    Reverse,
}

impl Leg {
    /// NIS spelling: `positive` / `reverse`.
    pub fn nis_name(self) -> &'static str {
        match self {
            Leg::Forward => "positive",
            Leg::Reverse => "reverse",
        }
    }

    /// `code` as reported on this leg.
    pub fn code(self, code: Code) -> Code {
        match self {
            Leg::Forward => code,
            Leg::Reverse => code.returned(),
        }
    }
}

/// What a failing check was looking at: enough structure for [`super::fix`] to name the
/// smallest change. Not part of the serialized result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Site {
    /// Nothing a single API call changes (overlap, unsupported next hop, locked account…).
    None,
    /// An instance is not `Running`.
    Instance {
        /// Instance id.
        instance_id: String,
    },
    /// Security groups of an ENI dropped `packet`.
    SecurityGroup {
        /// ENI.
        eni_id: String,
        /// Direction evaluated.
        direction: Direction,
        /// The packet.
        packet: Packet,
        /// The deciding rule, when a rule (not a default) decided.
        matched: Option<MatchedSgRule>,
    },
    /// A vSwitch's network ACL dropped `packet`.
    NetworkAcl {
        /// vSwitch.
        vswitch_id: String,
        /// ACL.
        network_acl_id: String,
        /// Direction evaluated.
        direction: Direction,
        /// The packet.
        packet: Packet,
    },
    /// The route table of `origin_vswitch` does not send `dst_ip` over a direct peering to
    /// `want_vpc` (no route, wrong peering, transit attempt, mismatching next hop).
    Route {
        /// vSwitch whose effective table was consulted first.
        origin_vswitch: String,
        /// Destination address.
        dst_ip: Ipv4Addr,
        /// VPC that holds the destination, when known.
        want_vpc: Option<String>,
    },
    /// A peering on the path is not `Activated`.
    Peering {
        /// `pcc-…`.
        peering_id: String,
    },
    /// Like [`Site::Route`], for a walk routed by the VPC's system table only (an ALB towards
    /// its backends, C-SYSRT): the fix goes into the system table.
    SystemRoute {
        /// VPC whose system table was consulted.
        vpc_id: String,
        /// Destination address.
        dst_ip: Ipv4Addr,
        /// VPC that holds the destination, when known.
        want_vpc: Option<String>,
    },
    /// A transit-router attachment the packet entered by has no associated route table.
    TrAssociation {
        /// `tr-…` the packet entered.
        transit_router_id: String,
        /// `tr-attach-…` it entered by.
        attachment_id: String,
    },
    /// The TR route table associated with the ingress attachment has no route for `dst_ip`
    /// towards `want_vpc`.
    TrRoute {
        /// `tr-…`.
        transit_router_id: String,
        /// `vtb-…` of the TR consulted.
        route_table_id: String,
        /// Destination address.
        dst_ip: Ipv4Addr,
        /// VPC that should receive the packet, when known.
        want_vpc: Option<String>,
    },
    /// A static TR route blackholes `dst_ip`.
    TrBlackhole {
        /// `vtb-…` of the TR.
        route_table_id: String,
        /// The blackhole entry.
        route_entry_id: String,
    },
    /// An endpoint's connection is `Disconnected` (the provider enables it).
    EndpointConnection {
        /// `epsrv-…`.
        service_id: String,
        /// `ep-…`.
        endpoint_id: String,
    },
    /// An endpoint zone is `Disconnected` while its connection is `Connected`.
    EndpointZone {
        /// `epsrv-…`.
        service_id: String,
        /// `ep-…`.
        endpoint_id: String,
        /// Zone.
        zone_id: String,
    },
}

/// One finding: a code, its severity, where it was found and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Code (already `RETURN_`-prefixed on the reply path).
    pub code: Code,
    /// Severity.
    pub severity: Severity,
    /// Leg on which it was found.
    pub leg: Leg,
    /// Resource id the finding is about (`vtb-…`, `sg-…`, `nacl-…`, `i-…`, `pcc-…`).
    pub component_id: String,
    /// One sentence.
    pub detail: String,
    /// What the check looked at (for the fix); boxed to keep findings small.
    pub site: Box<Site>,
}

impl Finding {
    /// An error finding.
    pub fn error(leg: Leg, code: Code, component: &str, detail: String, site: Site) -> Self {
        Finding {
            code: leg.code(code),
            severity: Severity::Error,
            leg,
            component_id: component.to_string(),
            detail,
            site: Box::new(site),
        }
    }

    /// A warning finding.
    pub fn warning(leg: Leg, code: Code, component: &str, detail: String) -> Self {
        Finding {
            code,
            severity: Severity::Warning,
            leg,
            component_id: component.to_string(),
            detail,
            site: Box::new(Site::None),
        }
    }
}
