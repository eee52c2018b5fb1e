//! Network ACLs (`network-model.md` §7.4): resources, entry updates, vSwitch associations and
//! the stateless packet evaluation used by reach analysis.
//!
//! Evaluation ([`evaluate_entries`], [`evaluate_vswitch`], [`evaluate_path`]):
//! 1. entries are checked in list order; the first matching IP version, protocol, address
//!    (source for ingress, destination for egress) and destination port decides;
//! 2. no entry matches ⇒ drop (also for an ACL without entries); a vSwitch without ACL passes
//!    everything;
//! 3. stateless: the reply is evaluated again — egress on the server's vSwitch, ingress on the
//!    client's — with the reply's destination port = the client's source port (default
//!    [`DEFAULT_CLIENT_PORT`], §7.4 rule 7);
//! 4. traffic between ENIs of the same vSwitch is not filtered;
//! 5. traffic to or from `100.100.2.128/28`, `100.100.2.112/28` (DNS) and
//!    `100.100.100.200/32` (metaserver) is always allowed (ASSUMED: either end counts).
//!
//! The ACL ↔ vSwitch association lives here ([`NaclState::by_vswitch`]); the world's
//! `VSwitch::network_acl_id` follows it (set by the APIs in [`api`]).
//!
//! Error codes come from the VPC 2016-04-28 OpenAPI metadata ([M-vpc]); the spec lists none
//! for §7.4. Codes or limits the metadata does not settle are marked ASSUMED.

#![warn(missing_docs)]

pub mod api;
#[cfg(test)]
mod tests;

use crate::cloud::ecs::{NetView, OpCtx};
use crate::cloud::ids::IdGen;
use crate::cloud::packet::{
    Action, Direction, Packet, PortRange, PortRangeError, RuleProtocol, DEFAULT_CLIENT_PORT,
};
use crate::cloud::time::Timestamp;
use crate::cloud::CloudError;
use ipnet::{IpNet, Ipv4Net};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

/// Entries per direction (§7.4: ≤ 100, `QuotaExceed.NetworkAclEntry`).
pub const MAX_ENTRIES_PER_DIRECTION: usize = 100;
/// vSwitches per ACL (§7.4: ≤ 30).
pub const MAX_VSWITCHES_PER_ACL: usize = 30;
/// ACLs per VPC (ASSUMED: Alibaba's default quota of 20 network ACLs per VPC;
/// `QuotaExceed.NetworkAcl`).
pub const MAX_ACLS_PER_VPC: usize = 20;

/// Addresses every ACL lets through (§7.4 rule 5).
pub fn always_allowed() -> [Ipv4Net; 3] {
    let n = |a, b, c, d, l| Ipv4Net::new(Ipv4Addr::new(a, b, c, d), l).unwrap_or_default();
    [
        n(100, 100, 2, 128, 28),
        n(100, 100, 2, 112, 28),
        n(100, 100, 100, 200, 32),
    ]
}

/// `IpVersion` of an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum IpVersion {
    /// `IPv4` (default).
    IPv4,
    /// `IPv6`.
    IPv6,
}

/// One ACL entry (`IngressAclEntries` / `EgressAclEntries` item).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AclEntry {
    /// `NetworkAclEntryId` (`nae-…`).
    pub entry_id: String,
    /// `NetworkAclEntryName`.
    pub name: String,
    /// `Description`.
    pub description: String,
    /// `Policy`.
    pub policy: Action,
    /// `Protocol`.
    pub protocol: RuleProtocol,
    /// `SourceCidrIp` (ingress) / `DestinationCidrIp` (egress).
    pub cidr: IpNet,
    /// `Port` (destination ports).
    pub port: PortRange,
    /// `IpVersion`.
    pub ip_version: IpVersion,
}

impl AclEntry {
    /// True when the entry matches `p` in `direction` (§7.4 rule 1).
    pub fn matches(&self, direction: Direction, p: &Packet) -> bool {
        let IpNet::V4(c) = self.cidr else {
            return false; // IPv6 entries never match IPv4 packets
        };
        self.ip_version == IpVersion::IPv4
            && self.protocol.matches(p.protocol)
            && c.contains(&direction.peer(p))
            && (!p.protocol.has_ports() || self.port.contains(p.dst_port))
    }
}

/// One associated resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AclResource {
    /// `ResourceType` (always `VSwitch`).
    pub resource_type: String,
    /// `ResourceId`.
    pub resource_id: String,
    /// `Status` (`BINDED` once settled).
    pub status: String,
}

/// A network ACL (§7.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkAcl {
    /// `nacl-…`.
    pub network_acl_id: String,
    /// Region.
    pub region_id: String,
    /// Owner account uid.
    pub owner_uid: String,
    /// VPC.
    pub vpc_id: String,
    /// `NetworkAclName`.
    pub name: String,
    /// `Description`.
    pub description: String,
    /// `Status` (`Available`).
    pub status: String,
    /// Ingress entries, in priority order.
    pub ingress: Vec<AclEntry>,
    /// Egress entries, in priority order.
    pub egress: Vec<AclEntry>,
    /// Associated vSwitches, ordered by id.
    pub resources: BTreeMap<String, AclResource>,
    /// Creation time.
    pub creation_time: Timestamp,
}

impl NetworkAcl {
    /// Entries of one direction.
    pub fn entries(&self, d: Direction) -> &[AclEntry] {
        match d {
            Direction::Ingress => &self.ingress,
            Direction::Egress => &self.egress,
        }
    }
}

/// All network-ACL state: the ACLs and the vSwitch → ACL association.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NaclState {
    /// ACLs by id.
    pub acls: BTreeMap<String, NetworkAcl>,
    /// vSwitch → its ACL (a vSwitch has at most one).
    pub by_vswitch: BTreeMap<String, String>,
}

impl NaclState {
    /// True when there are no ACLs (the world then leaves it out of its serialized form).
    pub fn is_empty(&self) -> bool {
        self.acls.is_empty() && self.by_vswitch.is_empty()
    }

    /// The ACL of a vSwitch.
    pub fn acl_of(&self, vswitch_id: &str) -> Option<&NetworkAcl> {
        self.acls.get(self.by_vswitch.get(vswitch_id)?)
    }

    /// The association index agrees with every ACL's resource list.
    pub fn check_invariants(&self) -> Result<(), String> {
        let mut seen = BTreeMap::new();
        for (id, a) in &self.acls {
            for r in a.resources.keys() {
                if seen.insert(r.clone(), id.clone()).is_some() {
                    return Err(format!("{r} bound twice"));
                }
            }
        }
        if seen != self.by_vswitch {
            return Err("by_vswitch differs from the ACLs' resources".into());
        }
        Ok(())
    }
}

fn bad(code: &str, message: impl Into<String>) -> CloudError {
    CloudError::bad(code, message)
}

fn not_found(id: &str) -> CloudError {
    bad(
        "InvalidNetworkAcl.NotFound",
        format!("The special Network Acl `{id}` is not found."),
    )
}

/// Name rule ([M-vpc CreateNetworkAcl]): 1–128 characters (`ParameterLengthIllegal.Name`),
/// starting with a letter and made of letters, digits, `.`, `_`, `-`
/// (`ParameterIllegal.Name`).
fn check_name(s: Option<&str>) -> Result<(), CloudError> {
    let Some(s) = s else { return Ok(()) };
    if !(1..=128).contains(&s.chars().count()) {
        return Err(bad(
            "ParameterLengthIllegal.Name",
            "The name must be 1–128 characters long.",
        ));
    }
    let mut cs = s.chars();
    let ok = cs.next().is_some_and(char::is_alphabetic)
        && cs.all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if !ok {
        return Err(bad(
            "ParameterIllegal.Name",
            format!("The name `{s}` must start with a letter and contain only letters, digits, `.`, `_` and `-`."),
        ));
    }
    Ok(())
}

/// Description rule: 1–256 characters (`ParameterLengthIllegal.Description`), not
/// `http(s)://` (`ParameterIllegal.Description`).
fn check_description(s: Option<&str>) -> Result<(), CloudError> {
    let Some(s) = s else { return Ok(()) };
    if !(1..=256).contains(&s.chars().count()) {
        return Err(bad(
            "ParameterLengthIllegal.Description",
            "The description must be 1–256 characters long.",
        ));
    }
    if s.starts_with("http://") || s.starts_with("https://") {
        return Err(bad(
            "ParameterIllegal.Description",
            "The description must not start with http:// or https://.",
        ));
    }
    Ok(())
}

/// The caller's ACL in the request region (`InvalidNetworkAcl.NotFound`).
fn visible<'a>(state: &'a NaclState, ctx: &OpCtx, id: &str) -> Result<&'a NetworkAcl, CloudError> {
    state
        .acls
        .get(id)
        .filter(|a| a.region_id == ctx.region_id && a.owner_uid == ctx.caller)
        .ok_or_else(|| not_found(id))
}

fn required_acl_id(id: &str) -> Result<(), CloudError> {
    if id.trim().is_empty() {
        return Err(bad(
            "ParameterMissing.NetworkAclId",
            "The parameter NetworkAclId is missing.",
        ));
    }
    Ok(())
}

// ---- CreateNetworkAcl -----------------------------------------------------------------------

/// Parameters of CreateNetworkAcl.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateNetworkAcl {
    /// `VpcId`.
    pub vpc_id: Option<String>,
    /// `NetworkAclName`.
    pub network_acl_name: Option<String>,
    /// `Description`.
    pub description: Option<String>,
}

/// A validated CreateNetworkAcl: what [`apply_create_network_acl`] stores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateNetworkAclPlan {
    vpc_id: String,
    name: String,
    description: String,
}

/// CreateNetworkAcl: `ParameterMissing.VpcId`, name and description rules,
/// `InvalidVpcId.NotFound` (400), `QuotaExceed.NetworkAcl` (> 20 per VPC, ASSUMED limit).
/// The new ACL has no entries (so it drops everything once associated) and no vSwitch.
/// Plan, then apply.
pub fn create_network_acl(
    state: &mut NaclState,
    net: &dyn NetView,
    ids: &mut IdGen,
    ctx: &OpCtx,
    p: &CreateNetworkAcl,
) -> Result<String, CloudError> {
    let plan = plan_create_network_acl(state, net, ctx, p)?;
    Ok(apply_create_network_acl(state, ids, ctx, plan))
}

/// The checks of [`create_network_acl`], against an unchanged state.
pub fn plan_create_network_acl(
    state: &NaclState,
    net: &dyn NetView,
    ctx: &OpCtx,
    p: &CreateNetworkAcl,
) -> Result<CreateNetworkAclPlan, CloudError> {
    let vpc_id = p
        .vpc_id
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| bad("ParameterMissing.VpcId", "The parameter VpcId is missing."))?;
    check_name(p.network_acl_name.as_deref())?;
    check_description(p.description.as_deref())?;
    let vpc = net
        .vpc(vpc_id)
        .filter(|v| v.region_id == ctx.region_id && v.owner_uid == ctx.caller)
        .ok_or_else(|| {
            bad(
                "InvalidVpcId.NotFound",
                format!("The vpc `{vpc_id}` is not exist."),
            )
        })?;
    let count = state
        .acls
        .values()
        .filter(|a| a.vpc_id == vpc.vpc_id)
        .take(MAX_ACLS_PER_VPC)
        .count();
    if count >= MAX_ACLS_PER_VPC {
        return Err(bad("QuotaExceed.NetworkAcl", "Network acl is over limit."));
    }
    Ok(CreateNetworkAclPlan {
        vpc_id: vpc.vpc_id.clone(),
        name: p.network_acl_name.clone().unwrap_or_default(),
        description: p.description.clone().unwrap_or_default(),
    })
}

/// Stores a planned ACL under a new `nacl-…` id (drawn here, after validation).
pub fn apply_create_network_acl(
    state: &mut NaclState,
    ids: &mut IdGen,
    ctx: &OpCtx,
    plan: CreateNetworkAclPlan,
) -> String {
    let id = ctx.new_id(ids, "nacl");
    state.acls.insert(
        id.clone(),
        NetworkAcl {
            network_acl_id: id.clone(),
            region_id: ctx.region_id.clone(),
            owner_uid: ctx.caller.clone(),
            vpc_id: plan.vpc_id,
            name: plan.name,
            description: plan.description,
            status: "Available".into(),
            ingress: Vec::new(),
            egress: Vec::new(),
            resources: BTreeMap::new(),
            creation_time: ctx.now,
        },
    );
    id
}

// ---- UpdateNetworkAclEntries ----------------------------------------------------------------

/// One `IngressAclEntries.N` / `EgressAclEntries.N` item as received.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AclEntryParam {
    /// `NetworkAclEntryId`: keep this existing entry's id (else a new `nae-…`).
    pub network_acl_entry_id: Option<String>,
    /// `NetworkAclEntryName`.
    pub name: Option<String>,
    /// `Description`.
    pub description: Option<String>,
    /// `Policy` (`accept` | `drop`, required).
    pub policy: Option<String>,
    /// `Protocol` (`icmp`, `gre`, `tcp`, `udp`, `all`, `icmpv6`; required).
    pub protocol: Option<String>,
    /// `SourceCidrIp` (ingress) / `DestinationCidrIp` (egress), required.
    pub cidr_ip: Option<String>,
    /// `Port` (`from/to` or `-1/-1`, required).
    pub port: Option<String>,
    /// `IpVersion` (`IPv4` default | `IPv6`).
    pub ip_version: Option<String>,
}

impl AclEntryParam {
    /// An IPv4 entry.
    pub fn new(policy: &str, protocol: &str, cidr: &str, port: &str) -> Self {
        AclEntryParam {
            policy: Some(policy.into()),
            protocol: Some(protocol.into()),
            cidr_ip: Some(cidr.into()),
            port: Some(port.into()),
            ..Default::default()
        }
    }
}

/// Parameters of UpdateNetworkAclEntries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateNetworkAclEntries {
    /// `NetworkAclId`.
    pub network_acl_id: String,
    /// `UpdateIngressAclEntries`: replace the ingress list.
    pub update_ingress: bool,
    /// `IngressAclEntries.N.*`.
    pub ingress: Vec<AclEntryParam>,
    /// `UpdateEgressAclEntries`: replace the egress list.
    pub update_egress: bool,
    /// `EgressAclEntries.N.*`.
    pub egress: Vec<AclEntryParam>,
}

fn parse_entry(
    d: Direction,
    p: &AclEntryParam,
    ipv6_enabled: bool,
) -> Result<AclEntry, CloudError> {
    let cidr_param = match d {
        Direction::Ingress => "SourceCidrIp",
        Direction::Egress => "DestinationCidrIp",
    };
    let policy_s = p.policy.as_deref().ok_or_else(|| {
        bad(
            "ParameterMissing.Policy",
            "The parameter Policy is missing.",
        )
    })?;
    let policy = Action::parse(policy_s).ok_or_else(|| {
        bad(
            "ParameterIllegal.Policy",
            format!("The policy `{policy_s}` is not accept or drop."),
        )
    })?;
    let proto_s = p.protocol.as_deref().ok_or_else(|| {
        bad(
            "ParameterMissing.Protocol",
            "The parameter Protocol is missing.",
        )
    })?;
    let protocol = RuleProtocol::parse(proto_s).ok_or_else(|| {
        bad(
            "ParameterIllegal.Protocol",
            format!("The protocol `{proto_s}` is not icmp, gre, tcp, udp, all or icmpv6."),
        )
    })?;
    let port_s = p
        .port
        .as_deref()
        .ok_or_else(|| bad("ParameterMissing.Port", "The parameter Port is missing."))?;
    let port = PortRange::parse_for(port_s, protocol).map_err(|e| {
        let why = match e {
            PortRangeError::Syntax => "is not `from/to` with 1 ≤ from ≤ to ≤ 65535 or `-1/-1`",
            PortRangeError::ProtocolMismatch => {
                "does not fit the protocol (tcp/udp need from/to, others -1/-1)"
            }
        };
        bad(
            "ParameterIllegal.Port",
            format!("The port `{port_s}` {why}."),
        )
    })?;
    let ip_version = match p
        .ip_version
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("ipv4") => IpVersion::IPv4,
        Some("ipv6") => IpVersion::IPv6,
        Some(_) => return Err(bad("IllegalParam.IpVersion", "Param IpVersion illegal.")),
    };
    if ip_version == IpVersion::IPv6 && !ipv6_enabled {
        return Err(bad(
            "OperationDenied.VpcIpv6NotEnabled",
            "IPv6 has not been enabled for the VPC.",
        ));
    }
    let cidr_s = p.cidr_ip.as_deref().ok_or_else(|| {
        bad(
            &format!("ParameterMissing.{cidr_param}"),
            format!("The parameter {cidr_param} is missing."),
        )
    })?;
    let cidr: IpNet = cidr_s
        .trim()
        .parse()
        .ok()
        .filter(|n: &IpNet| n.trunc() == *n)
        .ok_or_else(|| {
            bad(
                &format!("ParameterIllegal.{cidr_param}"),
                format!("The {cidr_param} `{cidr_s}` is not a CIDR block."),
            )
        })?;
    let family_ok = matches!(
        (ip_version, cidr),
        (IpVersion::IPv4, IpNet::V4(_)) | (IpVersion::IPv6, IpNet::V6(_))
    );
    if !family_ok {
        return Err(bad(
            &format!("IllegalParam.{cidr_param}"),
            format!("Param {cidr_param} `{cidr_s}` does not match IpVersion."),
        ));
    }
    check_name(p.name.as_deref())?;
    check_description(p.description.as_deref())?;
    Ok(AclEntry {
        entry_id: p.network_acl_entry_id.clone().unwrap_or_default(),
        name: p.name.clone().unwrap_or_default(),
        description: p.description.clone().unwrap_or_default(),
        policy,
        protocol,
        cidr,
        port,
        ip_version,
    })
}

fn parse_direction(
    acl: &NetworkAcl,
    d: Direction,
    params: &[AclEntryParam],
    ipv6_enabled: bool,
) -> Result<Vec<AclEntry>, CloudError> {
    if params.len() > MAX_ENTRIES_PER_DIRECTION {
        return Err(bad(
            "QuotaExceed.NetworkAclEntry",
            "Network acl entry is over limit.",
        ));
    }
    let existing: BTreeSet<&str> = acl.entries(d).iter().map(|e| e.entry_id.as_str()).collect();
    let mut used = BTreeSet::new();
    let mut out = Vec::with_capacity(params.len());
    for p in params {
        if let Some(id) = &p.network_acl_entry_id {
            if !existing.contains(id.as_str()) || !used.insert(id.clone()) {
                let (code, name) = match d {
                    Direction::Ingress => ("IllegalParam.IngressAclEntryId", "IngressAclEntryId"),
                    Direction::Egress => ("IllegalParam.EgressAclEntryId", "EgressAclEntryId"),
                };
                return Err(bad(
                    code,
                    format!("The specified {name} `{id}` is invalid."),
                ));
            }
        }
        out.push(parse_entry(d, p, ipv6_enabled)?);
    }
    Ok(out)
}

/// UpdateNetworkAclEntries: **replaces** the whole list of each direction whose
/// `Update…AclEntries` flag is set (list order = priority). Checks:
/// `ParameterMissing.NetworkAclId`, `InvalidNetworkAcl.NotFound`,
/// `QuotaExceed.NetworkAclEntry` (> 100 per direction), `IllegalParam.IngressAclEntryId` /
/// `IllegalParam.EgressAclEntryId` (an entry id that is not one of this direction's, or
/// repeated), then per entry `ParameterMissing.*` / `ParameterIllegal.*` for Policy, Protocol,
/// Port and the CIDR, `IllegalParam.IpVersion`, `OperationDenied.VpcIpv6NotEnabled`,
/// `IllegalParam.SourceCidrIp` / `IllegalParam.DestinationCidrIp` (family differs from
/// IpVersion), name and description rules. Entries without an id get a new `nae-…`.
pub fn update_network_acl_entries(
    state: &mut NaclState,
    net: &dyn NetView,
    ids: &mut IdGen,
    ctx: &OpCtx,
    p: &UpdateNetworkAclEntries,
) -> Result<(), CloudError> {
    let plan = plan_update_network_acl_entries(state, net, ctx, p)?;
    apply_update_network_acl_entries(state, ids, ctx, plan);
    Ok(())
}

/// Entry lists validated by [`plan_update_network_acl_entries`] (new entries still without
/// an id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateEntriesPlan {
    network_acl_id: String,
    ingress: Option<Vec<AclEntry>>,
    egress: Option<Vec<AclEntry>>,
}

/// The checks of [`update_network_acl_entries`], against an unchanged state.
pub fn plan_update_network_acl_entries(
    state: &NaclState,
    net: &dyn NetView,
    ctx: &OpCtx,
    p: &UpdateNetworkAclEntries,
) -> Result<UpdateEntriesPlan, CloudError> {
    required_acl_id(&p.network_acl_id)?;
    let acl = visible(state, ctx, &p.network_acl_id)?;
    let ipv6 = net
        .vpc(&acl.vpc_id)
        .is_some_and(|v| v.ipv6_cidr_block.is_some());
    let ingress = if p.update_ingress {
        Some(parse_direction(acl, Direction::Ingress, &p.ingress, ipv6)?)
    } else {
        None
    };
    let egress = if p.update_egress {
        Some(parse_direction(acl, Direction::Egress, &p.egress, ipv6)?)
    } else {
        None
    };
    Ok(UpdateEntriesPlan {
        network_acl_id: p.network_acl_id.clone(),
        ingress,
        egress,
    })
}

/// Replaces the planned directions' lists; entries without an id get a new `nae-…`.
pub fn apply_update_network_acl_entries(
    state: &mut NaclState,
    ids: &mut IdGen,
    ctx: &OpCtx,
    plan: UpdateEntriesPlan,
) {
    let mut fill = |v: Option<Vec<AclEntry>>| {
        v.map(|mut v| {
            for e in &mut v {
                if e.entry_id.is_empty() {
                    e.entry_id = ctx.new_id(ids, "nae");
                }
            }
            v
        })
    };
    let ingress = fill(plan.ingress);
    let egress = fill(plan.egress);
    if let Some(a) = state.acls.get_mut(&plan.network_acl_id) {
        if let Some(v) = ingress {
            a.ingress = v;
        }
        if let Some(v) = egress {
            a.egress = v;
        }
    }
}

// ---- Associate / Unassociate / Delete -------------------------------------------------------

/// One `Resource.N` item.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AclResourceParam {
    /// `Resource.N.ResourceType` (`VSwitch`).
    pub resource_type: Option<String>,
    /// `Resource.N.ResourceId`.
    pub resource_id: Option<String>,
}

impl AclResourceParam {
    /// A vSwitch resource.
    pub fn vswitch(id: &str) -> Self {
        AclResourceParam {
            resource_type: Some("VSwitch".into()),
            resource_id: Some(id.into()),
        }
    }
}

/// Parameters of AssociateNetworkAcl / UnassociateNetworkAcl.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkAclResources {
    /// `NetworkAclId`.
    pub network_acl_id: String,
    /// `Resource.N.*`.
    pub resources: Vec<AclResourceParam>,
}

/// Syntax and existence of the resources: `ParameterMissing.Resources` (none),
/// `ParameterIllegal.ResourceType` (not `VSwitch`), `InvalidResource.NotFound` (unknown or
/// invisible vSwitch, or no id), `InvalidResource.VpcError` (another VPC). Returns the ids,
/// deduplicated, in request order.
fn check_resources(
    acl: &NetworkAcl,
    net: &dyn NetView,
    ctx: &OpCtx,
    rs: &[AclResourceParam],
) -> Result<Vec<String>, CloudError> {
    if rs.is_empty() {
        return Err(bad(
            "ParameterMissing.Resources",
            "The parameter Resource is missing.",
        ));
    }
    let mut out: Vec<String> = Vec::new();
    for r in rs {
        let t = r.resource_type.as_deref().unwrap_or("");
        if t != "VSwitch" {
            return Err(bad(
                "ParameterIllegal.ResourceType",
                format!("The specified resource type `{t}` is illegal."),
            ));
        }
        let id = r.resource_id.as_deref().unwrap_or("");
        let vsw = net
            .vswitch(id)
            .filter(|v| v.region_id == ctx.region_id && v.owner_uid == ctx.caller)
            .ok_or_else(|| {
                bad(
                    "InvalidResource.NotFound",
                    format!("The binding instance `{id}` is not found."),
                )
            })?;
        if vsw.vpc_id != acl.vpc_id {
            return Err(bad(
                "InvalidResource.VpcError",
                format!("The network acl and resource `{id}` not in same vpc."),
            ));
        }
        if !out.iter().any(|x| x == id) {
            out.push(id.to_string());
        }
    }
    Ok(out)
}

/// vSwitches validated for AssociateNetworkAcl / UnassociateNetworkAcl.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AclBindingPlan {
    network_acl_id: String,
    vswitch_ids: Vec<String>,
}

impl AclBindingPlan {
    /// The ACL.
    pub fn network_acl_id(&self) -> &str {
        &self.network_acl_id
    }

    /// The vSwitches bound or unbound, deduplicated, in request order.
    pub fn vswitch_ids(&self) -> &[String] {
        &self.vswitch_ids
    }
}

/// AssociateNetworkAcl: binds vSwitches to the ACL. After [`check_resources`]'s codes and
/// `InvalidNetworkAcl.NotFound`: `InvalidResource.BindingExist` (the vSwitch already has an
/// ACL, this one included), `QuotaExceed.NetworkAclResource` (more than 30 vSwitches; ASSUMED
/// code, the metadata documents the limit but no code). Plan, then apply.
pub fn associate_network_acl(
    state: &mut NaclState,
    net: &dyn NetView,
    ctx: &OpCtx,
    p: &NetworkAclResources,
) -> Result<(), CloudError> {
    let plan = plan_associate_network_acl(state, net, ctx, p)?;
    apply_associate_network_acl(state, plan);
    Ok(())
}

/// The checks of [`associate_network_acl`], against an unchanged state.
pub fn plan_associate_network_acl(
    state: &NaclState,
    net: &dyn NetView,
    ctx: &OpCtx,
    p: &NetworkAclResources,
) -> Result<AclBindingPlan, CloudError> {
    required_acl_id(&p.network_acl_id)?;
    let acl = visible(state, ctx, &p.network_acl_id)?;
    let ids = check_resources(acl, net, ctx, &p.resources)?;
    for id in &ids {
        if state.by_vswitch.contains_key(id) {
            return Err(bad(
                "InvalidResource.BindingExist",
                format!("The binding instance `{id}` has been binded."),
            ));
        }
    }
    if acl.resources.len() + ids.len() > MAX_VSWITCHES_PER_ACL {
        return Err(bad(
            "QuotaExceed.NetworkAclResource",
            format!(
                "A network ACL can be associated with at most {MAX_VSWITCHES_PER_ACL} vSwitches."
            ),
        ));
    }
    Ok(AclBindingPlan {
        network_acl_id: p.network_acl_id.clone(),
        vswitch_ids: ids,
    })
}

/// Binds the planned vSwitches.
pub fn apply_associate_network_acl(state: &mut NaclState, plan: AclBindingPlan) {
    for id in plan.vswitch_ids {
        state
            .by_vswitch
            .insert(id.clone(), plan.network_acl_id.clone());
        if let Some(a) = state.acls.get_mut(&plan.network_acl_id) {
            a.resources.insert(
                id.clone(),
                AclResource {
                    resource_type: "VSwitch".into(),
                    resource_id: id,
                    status: "BINDED".into(),
                },
            );
        }
    }
}

/// UnassociateNetworkAcl: unbinds vSwitches. After [`check_resources`]'s codes:
/// `InvalidResource.NotBinding` (the vSwitch has no ACL), `Mismatch.NetworkAclAndVSwitch`
/// (it is bound to another ACL). Plan, then apply.
pub fn unassociate_network_acl(
    state: &mut NaclState,
    net: &dyn NetView,
    ctx: &OpCtx,
    p: &NetworkAclResources,
) -> Result<(), CloudError> {
    let plan = plan_unassociate_network_acl(state, net, ctx, p)?;
    apply_unassociate_network_acl(state, plan);
    Ok(())
}

/// The checks of [`unassociate_network_acl`], against an unchanged state.
pub fn plan_unassociate_network_acl(
    state: &NaclState,
    net: &dyn NetView,
    ctx: &OpCtx,
    p: &NetworkAclResources,
) -> Result<AclBindingPlan, CloudError> {
    required_acl_id(&p.network_acl_id)?;
    let acl = visible(state, ctx, &p.network_acl_id)?;
    let ids = check_resources(acl, net, ctx, &p.resources)?;
    for id in &ids {
        match state.by_vswitch.get(id) {
            None => {
                return Err(bad(
                    "InvalidResource.NotBinding",
                    format!("The resource `{id}` has not been binded."),
                ))
            }
            Some(a) if *a != p.network_acl_id => {
                return Err(bad(
                    "Mismatch.NetworkAclAndVSwitch",
                    format!("The specified network ACL and vSwitch `{id}` are not matched."),
                ))
            }
            Some(_) => {}
        }
    }
    Ok(AclBindingPlan {
        network_acl_id: p.network_acl_id.clone(),
        vswitch_ids: ids,
    })
}

/// Unbinds the planned vSwitches.
pub fn apply_unassociate_network_acl(state: &mut NaclState, plan: AclBindingPlan) {
    for id in plan.vswitch_ids {
        state.by_vswitch.remove(&id);
        if let Some(a) = state.acls.get_mut(&plan.network_acl_id) {
            a.resources.remove(&id);
        }
    }
}

/// DeleteNetworkAcl: `ParameterMissing.NetworkAclId`, `InvalidNetworkAcl.NotFound`,
/// `NetworkAclExistBinding` (still associated with a vSwitch). Plan, then apply.
pub fn delete_network_acl(
    state: &mut NaclState,
    ctx: &OpCtx,
    network_acl_id: &str,
) -> Result<(), CloudError> {
    plan_delete_network_acl(state, ctx, network_acl_id)?;
    apply_delete_network_acl(state, network_acl_id);
    Ok(())
}

/// The checks of [`delete_network_acl`].
pub fn plan_delete_network_acl(
    state: &NaclState,
    ctx: &OpCtx,
    network_acl_id: &str,
) -> Result<(), CloudError> {
    required_acl_id(network_acl_id)?;
    let acl = visible(state, ctx, network_acl_id)?;
    if !acl.resources.is_empty() {
        return Err(bad(
            "NetworkAclExistBinding",
            "The Network Acl has bindings.",
        ));
    }
    Ok(())
}

/// Removes an ACL whose deletion was planned.
pub fn apply_delete_network_acl(state: &mut NaclState, network_acl_id: &str) {
    state.acls.remove(network_acl_id);
}

/// Drops the association of a vSwitch that no longer exists (for the world's DeleteVSwitch).
pub fn forget_vswitch(state: &mut NaclState, vswitch_id: &str) {
    if let Some(acl) = state.by_vswitch.remove(vswitch_id) {
        if let Some(a) = state.acls.get_mut(&acl) {
            a.resources.remove(vswitch_id);
        }
    }
}

fn entry_json(e: &AclEntry, d: Direction) -> Value {
    let cidr_key = match d {
        Direction::Ingress => "SourceCidrIp",
        Direction::Egress => "DestinationCidrIp",
    };
    let mut m = serde_json::Map::new();
    m.insert("NetworkAclEntryId".into(), json!(e.entry_id));
    m.insert("NetworkAclEntryName".into(), json!(e.name));
    m.insert("Description".into(), json!(e.description));
    m.insert("EntryType".into(), json!("custom"));
    m.insert("Policy".into(), json!(e.policy.as_str()));
    m.insert("Protocol".into(), json!(e.protocol.vpc_name()));
    m.insert(cidr_key.into(), json!(e.cidr.to_string()));
    m.insert("Port".into(), json!(e.port.to_string()));
    m.insert(
        "IpVersion".into(),
        json!(match e.ip_version {
            IpVersion::IPv4 => "IPv4",
            IpVersion::IPv6 => "IPv6",
        }),
    );
    Value::Object(m)
}

/// DescribeNetworkAclAttributes: `{NetworkAclAttribute: {…}}` in the [M-vpc] shape.
pub fn describe_network_acl_attributes(
    state: &NaclState,
    ctx: &OpCtx,
    network_acl_id: &str,
) -> Result<Value, CloudError> {
    required_acl_id(network_acl_id)?;
    let a = visible(state, ctx, network_acl_id)?;
    Ok(json!({
        "NetworkAclAttribute": {
            "NetworkAclId": a.network_acl_id,
            "NetworkAclName": a.name,
            "Description": a.description,
            "VpcId": a.vpc_id,
            "RegionId": a.region_id,
            "OwnerId": a.owner_uid,
            "Status": a.status,
            "CreationTime": a.creation_time.to_string(),
            "IngressAclEntries": {"IngressAclEntry": a.ingress.iter().map(|e| entry_json(e, Direction::Ingress)).collect::<Vec<_>>()},
            "EgressAclEntries": {"EgressAclEntry": a.egress.iter().map(|e| entry_json(e, Direction::Egress)).collect::<Vec<_>>()},
            "Resources": {"Resource": a.resources.values().map(|r| json!({
                "ResourceType": r.resource_type, "ResourceId": r.resource_id, "Status": r.status,
            })).collect::<Vec<_>>()},
        }
    }))
}

// ---- Evaluation ------------------------------------------------------------------------------

/// Why an ACL evaluation decided as it did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum NaclReason {
    /// The vSwitch has no ACL: everything passes.
    NoAcl,
    /// Both ends are in the same vSwitch: not filtered (rule 4).
    SameVSwitch,
    /// One end is an always-allowed service address (rule 5).
    AlwaysAllowed,
    /// An entry decided (its id is in [`NaclDecision::entry_id`]).
    Entry,
    /// No entry matched: drop (rule 2).
    DefaultDrop,
}

/// Result of one ACL check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NaclDecision {
    /// The packet passes.
    pub allowed: bool,
    /// ACL consulted, if any.
    pub network_acl_id: Option<String>,
    /// Deciding entry, if an entry decided.
    pub entry_id: Option<String>,
    /// Why.
    pub reason: NaclReason,
}

impl NaclDecision {
    fn pass(reason: NaclReason) -> Self {
        NaclDecision {
            allowed: true,
            network_acl_id: None,
            entry_id: None,
            reason,
        }
    }
}

/// True when either end of `p` is an always-allowed address (rule 5).
pub fn is_always_allowed(p: &Packet) -> bool {
    always_allowed()
        .iter()
        .any(|n| n.contains(&p.src_ip) || n.contains(&p.dst_ip))
}

/// First-match evaluation of `acl`'s entries of `direction` (rules 1–2). Does not apply the
/// always-allowed addresses (see [`evaluate_vswitch`]).
pub fn evaluate_entries(acl: &NetworkAcl, direction: Direction, p: &Packet) -> NaclDecision {
    match acl
        .entries(direction)
        .iter()
        .find(|e| e.matches(direction, p))
    {
        Some(e) => NaclDecision {
            allowed: e.policy == Action::Accept,
            network_acl_id: Some(acl.network_acl_id.clone()),
            entry_id: Some(e.entry_id.clone()),
            reason: NaclReason::Entry,
        },
        None => NaclDecision {
            allowed: false,
            network_acl_id: Some(acl.network_acl_id.clone()),
            entry_id: None,
            reason: NaclReason::DefaultDrop,
        },
    }
}

/// The ACL check of a vSwitch for `p` in `direction`: no ACL passes, always-allowed
/// addresses pass, otherwise [`evaluate_entries`].
pub fn evaluate_vswitch(
    state: &NaclState,
    vswitch_id: &str,
    direction: Direction,
    p: &Packet,
) -> NaclDecision {
    let Some(acl) = state.acl_of(vswitch_id) else {
        return NaclDecision::pass(NaclReason::NoAcl);
    };
    if is_always_allowed(p) {
        return NaclDecision {
            network_acl_id: Some(acl.network_acl_id.clone()),
            ..NaclDecision::pass(NaclReason::AlwaysAllowed)
        };
    }
    evaluate_entries(acl, direction, p)
}

/// ACL verdict for a flow between two vSwitches, both directions (rules 3–4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NaclPathDecision {
    /// Egress of the forward packet at the client's vSwitch.
    pub forward_egress: NaclDecision,
    /// Ingress of the forward packet at the server's vSwitch.
    pub forward_ingress: NaclDecision,
    /// Egress of the reply at the server's vSwitch.
    pub reply_egress: NaclDecision,
    /// Ingress of the reply at the client's vSwitch.
    pub reply_ingress: NaclDecision,
    /// The forward packet passes.
    pub allowed: bool,
    /// The reply passes (evaluated again: ACLs are stateless).
    pub reply_allowed: bool,
}

/// Evaluates `p` from a client in `src_vswitch` to a server in `dst_vswitch`, and its reply
/// (ports swapped, so the reply's destination port is the client's source port; build `p`
/// with [`Packet::new`] for the default 32768).
pub fn evaluate_path(
    state: &NaclState,
    src_vswitch: &str,
    dst_vswitch: &str,
    p: &Packet,
) -> NaclPathDecision {
    if src_vswitch == dst_vswitch {
        let s = NaclDecision::pass(NaclReason::SameVSwitch);
        return NaclPathDecision {
            forward_egress: s.clone(),
            forward_ingress: s.clone(),
            reply_egress: s.clone(),
            reply_ingress: s,
            allowed: true,
            reply_allowed: true,
        };
    }
    let r = p.reply();
    let forward_egress = evaluate_vswitch(state, src_vswitch, Direction::Egress, p);
    let forward_ingress = evaluate_vswitch(state, dst_vswitch, Direction::Ingress, p);
    let reply_egress = evaluate_vswitch(state, dst_vswitch, Direction::Egress, &r);
    let reply_ingress = evaluate_vswitch(state, src_vswitch, Direction::Ingress, &r);
    let allowed = forward_egress.allowed && forward_ingress.allowed;
    let reply_allowed = reply_egress.allowed && reply_ingress.allowed;
    NaclPathDecision {
        forward_egress,
        forward_ingress,
        reply_egress,
        reply_ingress,
        allowed,
        reply_allowed,
    }
}

/// The default client source port used for reply evaluation (re-exported for callers).
pub const CLIENT_PORT: u16 = DEFAULT_CLIENT_PORT;
