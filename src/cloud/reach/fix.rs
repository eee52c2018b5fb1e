//! The smallest change that fixes the first failing check, as one exact API call: printable as
//! an `aliyun` line and executable by `ramsim call` as printed.
//!
//! | First failing check | Fix |
//! |---|---|
//! | `ROUTE_NOT_FOUND`, `NON_TRANSITIVE`, `PEER_CIDR_MISMATCH`, `ROUTE_NEXT_HOP_MISMATCH`, `PEERING_NOT_FOUND`, a rejected/expired peering (and their `RETURN_` forms) | with an `Activated` peering between the two VPCs: `CreateRouteEntry` in the table that was consulted, to the least specific destination that wins the lookup and the VPC accepts (the peer VPC CIDR, else the peer vSwitch CIDR, else the `/32`); with a peering waiting for acceptance: `AcceptVpcPeerConnection` by the accepter; with none: `CreateVpcPeerConnection` |
//! | `PEERING_NOT_ACTIVE` (Accepting) | `AcceptVpcPeerConnection` by the accepter |
//! | `SG_EGRESS_DENY` / `SG_INGRESS_DENY` | `AuthorizeSecurityGroupEgress` / `AuthorizeSecurityGroup` on the ENI's first group: this protocol and port, the peer `/32`, accept, priority 1; when a priority-1 drop rule decided, `Revoke…` of that rule (nothing outranks it) |
//! | `NACL_*_DENY` | `UpdateNetworkAclEntries` of that direction: an accept entry for the packet first, then every existing entry unchanged (the API replaces the whole list) |
//! | `SRC/DST_INSTANCE_NOT_RUNNING` (Stopped) | `StartInstance` |
//! | `ROUTE_NOT_FOUND` (and the others of the first row) with no `Activated` peering, when both VPCs are attached to one CEN | `CreateRouteEntry` with `NextHopType=Attachment` and this VPC's attachment (`100.64.0.0/10` for an ALB back-to-origin address, §2.4.4) |
//! | `TR_NO_ASSOCIATION` | `AssociateTransitRouterAttachmentWithRouteTable` with the TR's system table |
//! | `TR_ROUTE_NOT_FOUND` | towards the destination VPC's attachment X (on this TR) or the peer attachment P to X's TR: `EnableTransitRouterRouteTablePropagation` when propagating it would bring the route (X's vSwitch holds the address; the remote table associated with P has it); when P already propagates here, `CreateTransitRouterRouteEntry` in that remote table towards X (it propagates back over P, as S3 step 19 does); else `CreateTransitRouterRouteEntry` in this table |
//! | `TR_BLACKHOLE` | `DeleteTransitRouterRouteEntry` of the blackhole entry |
//! | `EP_CONNECTION_NOT_CONNECTED` (Disconnected) | `EnableVpcEndpointConnection` by the service owner |
//! | `EP_ZONE_NOT_CONNECTED` (Disconnected) | `EnableVpcEndpointZoneConnection` by the service owner |
//! | `LB_BACKEND_UNHEALTHY` | the fix of its cause (a stopped backend: `StartInstance`; a backend security group or ACL: the rule above for the LB-side source) |
//!
//! Everything else (overlapping CIDRs, locked accounts, unsupported next hops, missing
//! addresses, transitional statuses) has no single-call fix: [`suggest`] returns `None`.

use super::analyze::Verdict;
use super::finding::Site;
use super::topology::Topology;
use crate::cloud::packet::{Action, Direction, Packet, Protocol};
use crate::cloud::vpc::route::RouteTable;
use crate::cloud::vpcpeer::PeerStatus;
use crate::cloud::World;
use ipnet::{IpNet, Ipv4Net};
use serde_json::{Map, Value};
use std::net::Ipv4Addr;

/// One API call: who makes it, which product and action, its parameters in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    /// Account uid that must make the call (`ramsim call --as root@<uid>`).
    pub caller: String,
    /// aliyun CLI product (`vpc`, `vpcpeer`, `ecs`).
    pub product: &'static str,
    /// API name.
    pub action: &'static str,
    /// Parameters, in the order printed.
    pub params: Vec<(String, String)>,
    /// What the call changes, in one sentence.
    pub why: String,
}

/// Quotes a word for a POSIX shell when it needs it.
fn shell_word(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:,=@+".contains(c));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

impl Fix {
    /// `aliyun <product> <Action> --K V …`.
    pub fn aliyun_line(&self) -> String {
        let mut out = format!("aliyun {} {}", self.product, self.action);
        for (k, v) in &self.params {
            out.push_str(&format!(" --{k} {}", shell_word(v)));
        }
        out
    }

    /// The parameters as the JSON object `World::call` and the gateway take.
    pub fn params_json(&self) -> Map<String, Value> {
        self.params
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect()
    }

    /// A stable identity of the change (for "never the same fix twice").
    pub fn key(&self) -> String {
        format!("{} {}", self.caller, self.aliyun_line())
    }
}

fn p(k: &str, v: impl Into<String>) -> (String, String) {
    (k.to_string(), v.into())
}

/// The peer range of a new security-group rule: an ALB back-to-origin address gets the whole
/// `100.64.0.0/10` (S3 step 7: every zone of the ALB probes from there), else the `/32`.
fn sg_peer(ip: Ipv4Addr) -> String {
    match crate::cloud::vpc::cgnat().filter(|g| g.contains(&ip)) {
        Some(g) => g.to_string(),
        None => host(ip),
    }
}

fn host(ip: Ipv4Addr) -> String {
    format!("{ip}/32")
}

fn port_range(pk: &Packet) -> String {
    if pk.protocol.has_ports() {
        format!("{0}/{0}", pk.dst_port)
    } else {
        "-1/-1".into()
    }
}

/// The smallest fix of `v`'s first failing check, or `None` when no single call fixes it.
pub fn suggest(world: &World, v: &Verdict) -> Option<Fix> {
    let f = v.first_error()?;
    let t = Topology::new(world);
    match f.site.as_ref() {
        Site::None => None,
        Site::Instance { instance_id } => {
            let i = world.ecs.instances.get(instance_id.as_str())?;
            Some(Fix {
                caller: String::from(&i.owner_uid),
                product: "ecs",
                action: "StartInstance",
                params: vec![
                    p("RegionId", i.region_id.as_str()),
                    p("InstanceId", instance_id.as_str()),
                ],
                why: format!("start `{instance_id}`"),
            })
        }
        Site::Peering { peering_id } => accept(world, peering_id),
        Site::EndpointConnection {
            service_id,
            endpoint_id,
        } => endpoint_fix(world, service_id, endpoint_id, None),
        Site::EndpointZone {
            service_id,
            endpoint_id,
            zone_id,
        } => endpoint_fix(world, service_id, endpoint_id, Some(zone_id)),
        Site::SecurityGroup {
            eni_id,
            direction,
            packet,
            matched,
        } => sg_fix(world, eni_id, *direction, packet, matched.as_ref()),
        Site::NetworkAcl {
            network_acl_id,
            direction,
            packet,
            ..
        } => acl_fix(world, network_acl_id, *direction, packet),
        Site::Route {
            origin_vswitch,
            dst_ip,
            want_vpc,
        } => route_fix(&t, origin_vswitch, *dst_ip, want_vpc.as_deref()?),
        Site::SystemRoute {
            vpc_id,
            dst_ip,
            want_vpc,
        } => route_fix_in(
            &t,
            vpc_id,
            t.system_table(vpc_id)?,
            *dst_ip,
            want_vpc.as_deref()?,
        ),
        Site::TrAssociation {
            transit_router_id,
            attachment_id,
        } => {
            let tr = world.cen.transit_routers.get(transit_router_id)?;
            Some(Fix {
                caller: tr.owner_uid.clone(),
                product: "cbn",
                action: "AssociateTransitRouterAttachmentWithRouteTable",
                params: vec![
                    p("TransitRouterAttachmentId", attachment_id),
                    p("TransitRouterRouteTableId", &tr.system_route_table_id),
                ],
                why: format!(
                    "associate `{attachment_id}` with the system route table of `{transit_router_id}`"
                ),
            })
        }
        Site::TrRoute {
            transit_router_id,
            route_table_id,
            dst_ip,
            want_vpc,
        } => tr_route_fix(
            &t,
            transit_router_id,
            route_table_id,
            *dst_ip,
            want_vpc.as_deref()?,
        ),
        Site::TrBlackhole {
            route_table_id,
            route_entry_id,
        } => {
            let e = world.cen.static_entries.get(route_entry_id)?;
            let tb = world.cen.route_tables.get(route_table_id)?;
            let tr = world.cen.transit_routers.get(&tb.transit_router_id)?;
            Some(Fix {
                caller: tr.owner_uid.clone(),
                product: "cbn",
                action: "DeleteTransitRouterRouteEntry",
                params: vec![p("TransitRouterRouteEntryId", route_entry_id)],
                why: format!(
                    "delete the blackhole route `{}` for `{}` of `{route_table_id}`",
                    route_entry_id, e.destination
                ),
            })
        }
    }
}

/// The destination of a new route to `dst` inside `want`: an ALB back-to-origin address gets
/// `100.64.0.0/10` (S3 step 6), else the vSwitch CIDR holding it, else the `/32`.
fn tr_destination(t: &Topology<'_>, want: &str, dst: Ipv4Addr) -> Option<Ipv4Net> {
    if let Some(g) = crate::cloud::vpc::cgnat().filter(|g| g.contains(&dst)) {
        return Some(g);
    }
    t.vswitch_holding(want, dst)
        .map(|s| s.cidr_block)
        .or_else(|| Ipv4Net::new(dst, 32).ok())
}

/// `TR_ROUTE_NOT_FOUND` in `table` of `tr` towards `want` (see the module table).
fn tr_route_fix(
    t: &Topology<'_>,
    tr_id: &str,
    table_id: &str,
    dst: Ipv4Addr,
    want: &str,
) -> Option<Fix> {
    use crate::cloud::cen::routing::TrRouteStatus;
    use crate::cloud::cen::AttachStatus;
    let w = t.world;
    let cen = &w.cen;
    let now = w.now();
    let tr = cen.transit_routers.get(tr_id)?;
    let table = cen.route_tables.get(table_id)?;
    let attached = |a: &&crate::cloud::cen::Attachment| {
        a.lifecycle.at(now) == AttachStatus::Attached && a.cen_id == tr.cen_id
    };
    // X: the attachment of the destination VPC in this CEN (lowest id, deterministic).
    let x = cen
        .attachments
        .values()
        .filter(attached)
        .find(|a| a.vpc_id() == Some(want))?;
    let dest = tr_destination(t, want, dst)?;
    let routes = t.tr_routes();
    let has_route = |tb: &str, not_via: &str| {
        routes.get(tb).into_iter().flatten().any(|r| {
            r.status == TrRouteStatus::Active
                && r.destination.contains(&dst)
                && r.next_hop.attachment() != Some(not_via)
        })
    };
    let propagate = |att: &str| Fix {
        caller: tr.owner_uid.clone(),
        product: "cbn",
        action: "EnableTransitRouterRouteTablePropagation",
        params: vec![
            p("TransitRouterAttachmentId", att),
            p("TransitRouterRouteTableId", table_id),
        ],
        why: format!("learn the routes of `{att}` into `{table_id}`"),
    };
    let static_route = |in_table: &str, hop: &str| -> Option<Fix> {
        let taken = cen.statics_of(in_table).any(|e| e.destination == dest);
        (!taken).then(|| Fix {
            caller: tr.owner_uid.clone(),
            product: "cbn",
            action: "CreateTransitRouterRouteEntry",
            params: vec![
                p("TransitRouterRouteTableId", in_table),
                p(
                    "TransitRouterRouteEntryDestinationCidrBlock",
                    dest.to_string(),
                ),
                p("TransitRouterRouteEntryNextHopType", "Attachment"),
                p("TransitRouterRouteEntryNextHopId", hop),
            ],
            why: format!("route `{dest}` in `{in_table}` to `{hop}`"),
        })
    };
    if x.transit_router_id == tr_id {
        let from_vsw = t.vswitch_holding(want, dst).is_some();
        if from_vsw && !table.propagations.contains(&x.attachment_id) {
            return Some(propagate(&x.attachment_id));
        }
        return static_route(table_id, &x.attachment_id);
    }
    // P: the peer attachment between this TR and X's.
    let peer = cen
        .attachments
        .values()
        .filter(attached)
        .find(|a| a.other_end(tr_id) == Some(x.transit_router_id.as_str()))?;
    let remote = cen.association(&x.transit_router_id, &peer.attachment_id);
    if !table.propagations.contains(&peer.attachment_id) {
        if remote.is_some_and(|r| has_route(&r.route_table_id, &peer.attachment_id)) {
            return Some(propagate(&peer.attachment_id));
        }
    } else if let Some(r) = remote {
        if !has_route(&r.route_table_id, &peer.attachment_id) {
            return static_route(&r.route_table_id, &x.attachment_id);
        }
    }
    static_route(table_id, &peer.attachment_id)
}

/// This VPC's attachment when `here` and `there` are both attached (Attached VPC attachments)
/// to one CEN.
fn cen_attachment<'w>(w: &'w World, here: &str, there: &str) -> Option<&'w str> {
    use crate::cloud::cen::AttachStatus;
    let now = w.now();
    let atts: Vec<&crate::cloud::cen::Attachment> = w
        .cen
        .attachments
        .values()
        .filter(|a| a.lifecycle.at(now) == AttachStatus::Attached)
        .collect();
    atts.iter()
        .filter(|a| a.vpc_id() == Some(here))
        .find(|a| {
            atts.iter()
                .any(|b| b.vpc_id() == Some(there) && b.cen_id == a.cen_id)
        })
        .map(|a| a.attachment_id.as_str())
}

/// `EnableVpcEndpointConnection` (a `Disconnected` connection) or
/// `EnableVpcEndpointZoneConnection` (a `Disconnected` zone), by the service owner.
fn endpoint_fix(
    world: &World,
    service_id: &str,
    endpoint_id: &str,
    zone: Option<&String>,
) -> Option<Fix> {
    let s = world.privatelink.services.get(service_id)?;
    let mut params = vec![
        p("RegionId", &s.region_id),
        p("ServiceId", service_id),
        p("EndpointId", endpoint_id),
    ];
    let (action, why) = match zone {
        None => (
            "EnableVpcEndpointConnection",
            format!("the provider accepts the connection of `{endpoint_id}`"),
        ),
        Some(z) => {
            params.push(p("ZoneId", z));
            (
                "EnableVpcEndpointZoneConnection",
                format!("the provider reconnects zone `{z}` of `{endpoint_id}`"),
            )
        }
    };
    Some(Fix {
        caller: s.owner_uid.clone(),
        product: "privatelink",
        action,
        params,
        why,
    })
}

fn accept(world: &World, pcc: &str) -> Option<Fix> {
    let pc = world.peerings.get(pcc)?;
    Some(Fix {
        caller: pc.accepting_owner_uid.clone(),
        product: "vpcpeer",
        action: "AcceptVpcPeerConnection",
        params: vec![p("InstanceId", pcc)],
        why: format!("the accepter account accepts peering `{pcc}`"),
    })
}

fn sg_fix(
    world: &World,
    eni_id: &str,
    d: Direction,
    pk: &Packet,
    matched: Option<&crate::cloud::ecs::security_group::MatchedSgRule>,
) -> Option<Fix> {
    let (cidr_key, group_key, authorize, revoke) = match d {
        Direction::Ingress => (
            "SourceCidrIp",
            "SourceGroupId",
            "AuthorizeSecurityGroup",
            "RevokeSecurityGroup",
        ),
        Direction::Egress => (
            "DestCidrIp",
            "DestGroupId",
            "AuthorizeSecurityGroupEgress",
            "RevokeSecurityGroupEgress",
        ),
    };
    if let Some(m) = matched.filter(|m| m.policy == Action::Drop && m.priority == 1) {
        let g = world.ecs.security_groups.get(&m.security_group_id)?;
        if g.managed_by.is_some() {
            return None;
        }
        let r = g.rules.iter().find(|r| r.rule_id == m.rule_id)?;
        let mut params = vec![
            p("RegionId", &g.region_id),
            p("SecurityGroupId", &g.security_group_id),
            p("Permissions.1.IpProtocol", r.protocol.ecs_name()),
            p("Permissions.1.PortRange", r.port_range.to_string()),
        ];
        match (&r.cidr, &r.group_id) {
            (Some(c), _) => params.push(p(&format!("Permissions.1.{cidr_key}"), c.to_string())),
            (None, Some(gid)) => params.push(p(&format!("Permissions.1.{group_key}"), gid)),
            (None, None) => return None,
        }
        if let Some(sp) = r.source_port_range {
            params.push(p("Permissions.1.SourcePortRange", sp.to_string()));
        }
        params.push(p("Permissions.1.Policy", "drop"));
        params.push(p("Permissions.1.Priority", "1"));
        return Some(Fix {
            caller: g.owner_uid.clone(),
            product: "ecs",
            action: revoke,
            params,
            why: format!(
                "remove the priority-1 drop rule `{}` of `{}` (no rule can outrank it)",
                r.rule_id, g.security_group_id
            ),
        });
    }
    let eni = world.ecs.enis.get(eni_id)?;
    let g = eni
        .security_group_ids
        .iter()
        .filter_map(|id| world.ecs.security_groups.get(id.as_str()))
        .find(|g| g.managed_by.is_none())?;
    let proto = match pk.protocol {
        Protocol::Tcp => "TCP",
        Protocol::Udp => "UDP",
        Protocol::Icmp => "ICMP",
        _ => return None,
    };
    let peer = d.peer(pk);
    Some(Fix {
        caller: g.owner_uid.clone(),
        product: "ecs",
        action: authorize,
        params: vec![
            p("RegionId", &g.region_id),
            p("SecurityGroupId", &g.security_group_id),
            p("Permissions.1.IpProtocol", proto),
            p("Permissions.1.PortRange", port_range(pk)),
            p(&format!("Permissions.1.{cidr_key}"), sg_peer(peer)),
            p("Permissions.1.Policy", "accept"),
            p("Permissions.1.Priority", "1"),
        ],
        why: format!(
            "let {} {} `{}` through `{}` ({})",
            pk.protocol.as_str(),
            port_range(pk),
            sg_peer(peer),
            g.security_group_id,
            d.as_str()
        ),
    })
}

fn acl_fix(world: &World, acl_id: &str, d: Direction, pk: &Packet) -> Option<Fix> {
    use crate::cloud::network_acl::{IpVersion, MAX_ENTRIES_PER_DIRECTION};
    let acl = world.nacl.acls.get(acl_id)?;
    let entries = acl.entries(d);
    if entries.len() >= MAX_ENTRIES_PER_DIRECTION {
        return None;
    }
    let (list, flag, cidr_key) = match d {
        Direction::Ingress => (
            "IngressAclEntries",
            "UpdateIngressAclEntries",
            "SourceCidrIp",
        ),
        Direction::Egress => (
            "EgressAclEntries",
            "UpdateEgressAclEntries",
            "DestinationCidrIp",
        ),
    };
    let proto = match pk.protocol {
        Protocol::Tcp => "tcp",
        Protocol::Udp => "udp",
        Protocol::Icmp => "icmp",
        _ => return None,
    };
    let peer = d.peer(pk);
    let mut params = vec![
        p("RegionId", &acl.region_id),
        p("NetworkAclId", acl_id),
        p(flag, "true"),
        p(&format!("{list}.1.Policy"), "accept"),
        p(&format!("{list}.1.Protocol"), proto),
        p(&format!("{list}.1.{cidr_key}"), host(peer)),
        p(&format!("{list}.1.Port"), port_range(pk)),
    ];
    for (i, e) in entries.iter().enumerate() {
        let n = i + 2;
        params.push(p(&format!("{list}.{n}.NetworkAclEntryId"), &e.entry_id));
        if !e.name.is_empty() {
            params.push(p(&format!("{list}.{n}.NetworkAclEntryName"), &e.name));
        }
        if !e.description.is_empty() {
            params.push(p(&format!("{list}.{n}.Description"), &e.description));
        }
        params.push(p(&format!("{list}.{n}.Policy"), e.policy.as_str()));
        params.push(p(&format!("{list}.{n}.Protocol"), e.protocol.vpc_name()));
        params.push(p(&format!("{list}.{n}.{cidr_key}"), e.cidr.to_string()));
        params.push(p(&format!("{list}.{n}.Port"), e.port.to_string()));
        if e.ip_version == IpVersion::IPv6 {
            params.push(p(&format!("{list}.{n}.IpVersion"), "IPv6"));
        }
    }
    Some(Fix {
        caller: acl.owner_uid.clone(),
        product: "vpc",
        action: "UpdateNetworkAclEntries",
        params,
        why: format!(
            "put an accept entry for {} {} `{peer}` first in the {} entries of `{acl_id}`, keeping the {} existing ones",
            pk.protocol.as_str(),
            port_range(pk),
            d.as_str(),
            entries.len()
        ),
    })
}

/// The least specific destination for `dst` towards `want` that the table accepts and that
/// wins the lookup.
fn route_destination(
    t: &Topology<'_>,
    table: &RouteTable,
    want: &crate::cloud::vpc::Vpc,
    dst: Ipv4Addr,
) -> Option<Ipv4Net> {
    let current = t.lookup(table, dst).map(|m| m.destination.prefix_len());
    let mut cands: Vec<Ipv4Net> = want
        .ipv4_cidrs()
        .into_iter()
        .filter(|c| c.contains(&dst))
        .collect();
    cands.extend(t.vswitch_holding(&want.vpc_id, dst).map(|s| s.cidr_block));
    cands.extend(Ipv4Net::new(dst, 32).ok());
    let own: Vec<_> = t.vswitches_of(&table.vpc_id).collect();
    let cgnat = crate::cloud::vpc::cgnat();
    cands.into_iter().find(|c| {
        current.is_none_or(|len| c.prefix_len() > len)
            && !t
                .entries_of(&table.route_table_id)
                .any(|e| e.destination == IpNet::V4(*c))
            && !own
                .iter()
                .any(|s| s.cidr_block == *c || (s.cidr_block.contains(c)))
            && !cgnat.is_some_and(|g| g.contains(c) || c.contains(&g))
    })
}

fn route_fix(t: &Topology<'_>, origin_vsw: &str, dst: Ipv4Addr, want_vpc: &str) -> Option<Fix> {
    let s = t.world.vswitches.get(origin_vsw)?;
    let table = t.table_for_vswitch(origin_vsw)?;
    route_fix_in(t, &s.vpc_id, table, dst, want_vpc)
}

/// [`route_fix`] in a given table of `here_vpc` (the system table for an ALB, C-SYSRT).
fn route_fix_in(
    t: &Topology<'_>,
    here_vpc: &str,
    table: &RouteTable,
    dst: Ipv4Addr,
    want_vpc: &str,
) -> Option<Fix> {
    let w = t.world;
    let here = t.vpc(here_vpc)?;
    let there = t.vpc(want_vpc)?;
    if here.vpc_id == there.vpc_id {
        return None;
    }
    let now = w.now();
    let between: Vec<&crate::cloud::vpcpeer::Peering> = w
        .peerings
        .values()
        .filter(|pc| pc.involves_vpc(&here.vpc_id) && pc.involves_vpc(&there.vpc_id))
        .collect();
    if let Some(pc) = between
        .iter()
        .find(|pc| pc.status_at(now) == PeerStatus::Activated)
    {
        if w.peering_biz_status(pc) != "Normal" {
            return None;
        }
        let dest = route_destination(t, table, there, dst)?;
        return Some(Fix {
            caller: table.owner_uid.clone(),
            product: "vpc",
            action: "CreateRouteEntry",
            params: vec![
                p("RegionId", &table.region_id),
                p("RouteTableId", &table.route_table_id),
                p("DestinationCidrBlock", dest.to_string()),
                p("NextHopType", "VpcPeer"),
                p("NextHopId", &pc.instance_id),
            ],
            why: format!(
                "route `{dest}` from `{}` over peering `{}` to `{}`",
                table.route_table_id, pc.instance_id, there.vpc_id
            ),
        });
    }
    if let Some(att) = cen_attachment(w, &here.vpc_id, &there.vpc_id) {
        let dest = if crate::cloud::vpc::cgnat().is_some_and(|g| g.contains(&dst)) {
            tr_destination(t, &there.vpc_id, dst)?
        } else {
            route_destination(t, table, there, dst)?
        };
        let taken = t
            .entries_of(&table.route_table_id)
            .any(|e| e.destination == IpNet::V4(dest));
        if taken {
            return None;
        }
        return Some(Fix {
            caller: table.owner_uid.clone(),
            product: "vpc",
            action: "CreateRouteEntry",
            params: vec![
                p("RegionId", &table.region_id),
                p("RouteTableId", &table.route_table_id),
                p("DestinationCidrBlock", dest.to_string()),
                p("NextHopType", "Attachment"),
                p("NextHopId", att),
            ],
            why: format!(
                "route `{dest}` from `{}` into transit router attachment `{att}` (both VPCs are attached to one CEN)",
                table.route_table_id
            ),
        });
    }
    if let Some(pc) = between
        .iter()
        .find(|pc| pc.status_at(now) == PeerStatus::Accepting)
    {
        return accept(w, &pc.instance_id);
    }
    if between.iter().any(|pc| pc.status_at(now).counts()) {
        return None; // transitional: wait
    }
    let params = vec![
        p("RegionId", &here.region_id),
        p("VpcId", &here.vpc_id),
        p("AcceptingAliUid", &there.owner_uid),
        p("AcceptingRegionId", &there.region_id),
        p("AcceptingVpcId", &there.vpc_id),
    ];
    Some(Fix {
        caller: here.owner_uid.clone(),
        product: "vpcpeer",
        action: "CreateVpcPeerConnection",
        params,
        why: format!(
            "peer `{}` with `{}` (no peering connects them)",
            here.vpc_id, there.vpc_id
        ),
    })
}
