//! The load-balancer segment (§8.3.7, §5.1.5, §5.3): a packet at a VIP (directly, or handed over
//! by PrivateLink) → a running listener on its port → the listener's server groups → every
//! candidate backend, each checked by a health probe and by its own data-path trace from the
//! load balancer's zone (LB-side source address, zone vSwitch ACL, backend ACL and security
//! groups, the reply back to the LB-side source).
//!
//! Products plug in through a data view: [`LbView`] holds everything the segment needs, and a
//! product provides it by implementing [`LoadBalancer`] (NLB and CLB here). An ALB implements
//! the same trait in its own module: zones whose `source` is the back-to-origin address, groups
//! with [`Scope::SystemTable`], several groups per listener (default-action groups), and one
//! line in [`view`]. The segment never looks at a product's own structs.
//!
//! The same logic answers the health APIs ([`backend_health`]): `GetListenerHealthStatus`
//! (NLB) and `DescribeHealthStatus` (CLB) report what the reach analyzer would find, never a
//! random value.

use crate::cloud::ecs::instance::L4;
use crate::cloud::ecs::{AddressOwner, EniStatus};
use crate::cloud::packet::{Direction, Packet, Protocol, DEFAULT_CLIENT_PORT};
use crate::cloud::reach::deliver::{running, sg_check, vm_hop};
use crate::cloud::reach::finding::{Code, Finding, Leg, Site};
use crate::cloud::reach::hop::{Hop, NodeType};
use crate::cloud::reach::topology::Topology;
use crate::cloud::reach::trace::Walk;
use crate::cloud::World;
use std::net::Ipv4Addr;

/// How a load balancer reaches a group's backends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Inside the load balancer's VPC, no route lookup (NLB/CLB `Instance` members).
    VpcLocal,
    /// Route lookup in the VPC's system table only (ALB, C-SYSRT).
    SystemTable,
    /// Route lookup in the zone vSwitch's table (NLB `Ip` members).
    Routed,
}

/// One zone of a load balancer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LbZone {
    /// Zone.
    pub zone_id: String,
    /// The zone's vSwitch (where the VIP and the LB-side source live).
    pub vswitch_id: String,
    /// The zone VIP.
    pub vip: Ipv4Addr,
    /// The LB-side source towards backends: NLB local address, ALB back-to-origin address,
    /// CLB VIP.
    pub source: Ipv4Addr,
}

/// One backend server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backend {
    /// `i-…`, `eni-…` or an IP.
    pub server_id: String,
    /// Address.
    pub ip: Ipv4Addr,
    /// Port (0: the listener's port, any-port groups).
    pub port: u16,
    /// Weight (0: takes no traffic).
    pub weight: u8,
    /// Zone of an instance member.
    pub zone_id: Option<String>,
}

/// A server group as the segment sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupView {
    /// `sgp-…` (empty for a CLB's backend list).
    pub group_id: String,
    /// `Available`.
    pub available: bool,
    /// How backends are reached.
    pub scope: Scope,
    /// The backend sees the client address (NLB `PreserveClientIpEnabled`, never through
    /// PrivateLink).
    pub preserve_client_ip: bool,
    /// Health checking on.
    pub health_enabled: bool,
    /// Health-check port (0: the server port).
    pub health_port: u16,
    /// Members in order.
    pub backends: Vec<Backend>,
}

/// A listener as the segment sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenerView {
    /// `lsn-…` (a CLB listener: `<lb-id>:<port>`).
    pub listener_id: String,
    /// Transport it takes.
    pub protocol: Protocol,
    /// Lowest port taken.
    pub first_port: u16,
    /// Highest port taken (= `first_port` except all-port listeners).
    pub last_port: u16,
    /// `Running`.
    pub running: bool,
    /// PrivateLink may hand packets to it (NLB TCPSSL listeners may not, §5.1.3).
    pub privatelink: bool,
    /// Its server groups (NLB and CLB: one; ALB: the default action's).
    pub groups: Vec<GroupView>,
}

/// Everything the segment needs of one load balancer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LbView {
    /// `nlb-…`, `lb-…`, `alb-…`.
    pub id: String,
    /// `NLB`, `CLB`, `ALB`.
    pub node_type: NodeType,
    /// Region.
    pub region: String,
    /// VPC.
    pub vpc_id: String,
    /// `None` when `Active` and business `Normal`; else why not.
    pub not_active: Option<String>,
    /// Servers of every zone take traffic of every zone.
    pub cross_zone: bool,
    /// Zones.
    pub zones: Vec<LbZone>,
    /// Listeners.
    pub listeners: Vec<ListenerView>,
}

impl LbView {
    /// The zone `zone_id`.
    pub fn zone(&self, zone_id: &str) -> Option<&LbZone> {
        self.zones.iter().find(|z| z.zone_id == zone_id)
    }

    /// The zone whose VIP is `ip`.
    pub fn zone_of_vip(&self, ip: Ipv4Addr) -> Option<&LbZone> {
        self.zones.iter().find(|z| z.vip == ip)
    }

    /// The zone health probes to `b` come from: the backend's zone, else the first zone
    /// (ASSUMED: cross-zone probes come from the first zone).
    pub fn probe_zone(&self, b: &Backend) -> Option<&LbZone> {
        b.zone_id
            .as_deref()
            .and_then(|z| self.zone(z))
            .or_else(|| self.zones.first())
    }

    /// The running listener that takes `protocol`/`port` (through PrivateLink: not TCPSSL).
    pub fn listener(&self, protocol: Protocol, port: u16, via_pl: bool) -> Option<&ListenerView> {
        self.listeners.iter().find(|l| {
            l.running
                && l.protocol == protocol
                && l.first_port <= port
                && port <= l.last_port
                && (l.privatelink || !via_pl)
        })
    }
}

/// A product's load balancer, seen by the segment.
pub trait LoadBalancer {
    /// The data view of this load balancer in `w`.
    fn lb_view(&self, w: &World) -> LbView;
}

fn l4(protocol: &str) -> Protocol {
    if protocol.eq_ignore_ascii_case("udp") {
        Protocol::Udp
    } else {
        Protocol::Tcp
    }
}

impl LoadBalancer for crate::cloud::nlb::LoadBalancer {
    fn lb_view(&self, w: &World) -> LbView {
        let group = |id: &str| -> Option<GroupView> {
            let g = w.nlb.server_groups.get(id)?;
            Some(GroupView {
                group_id: g.server_group_id.clone(),
                available: g.status == "Available",
                scope: if g.server_group_type == "Ip" {
                    Scope::Routed
                } else {
                    Scope::VpcLocal
                },
                preserve_client_ip: g.preserve_client_ip,
                health_enabled: g.health_check.enabled,
                health_port: g.health_check.connect_port,
                backends: g
                    .servers
                    .iter()
                    .map(|s| Backend {
                        server_id: s.server_id.clone(),
                        ip: s.server_ip,
                        port: if g.any_port_enabled { 0 } else { s.port },
                        weight: s.weight,
                        zone_id: s.zone_id.clone(),
                    })
                    .collect(),
            })
        };
        let listeners = w
            .nlb
            .listeners_of(&self.load_balancer_id)
            .map(|l| {
                let (first, last) = if l.port == 0 {
                    (l.start_port.unwrap_or(1), l.end_port.unwrap_or(u16::MAX))
                } else {
                    (l.port, l.port)
                };
                ListenerView {
                    listener_id: l.listener_id.clone(),
                    protocol: l4(&l.protocol),
                    first_port: first,
                    last_port: last,
                    running: l.status == "Running",
                    privatelink: l.protocol != "TCPSSL",
                    groups: group(&l.server_group_id).into_iter().collect(),
                }
            })
            .collect();
        let not_active = (self.status != "Active" || self.business_status != "Normal").then(|| {
            format!(
                "NLB `{}` is {} (business status {})",
                self.load_balancer_id, self.status, self.business_status
            )
        });
        LbView {
            id: self.load_balancer_id.clone(),
            node_type: NodeType::Nlb,
            region: self.region_id.clone(),
            vpc_id: self.vpc_id.clone(),
            not_active,
            cross_zone: self.cross_zone_enabled,
            zones: self
                .zone_mappings
                .iter()
                .map(|z| LbZone {
                    zone_id: z.zone_id.clone(),
                    vswitch_id: z.vswitch_id.clone(),
                    vip: z.private_ipv4_address,
                    source: z
                        .local_addresses
                        .first()
                        .copied()
                        .unwrap_or(z.private_ipv4_address),
                })
                .collect(),
            listeners,
        }
    }
}

impl LoadBalancer for crate::cloud::clb::Clb {
    fn lb_view(&self, w: &World) -> LbView {
        let backends_at = |port: u16| -> Vec<Backend> {
            self.backends
                .iter()
                .map(|b| Backend {
                    server_id: b.server_id.clone(),
                    ip: b.ip,
                    port,
                    weight: b.weight,
                    zone_id: w
                        .ecs
                        .instances
                        .get(b.server_id.as_str())
                        .map(|i| i.zone_id.clone())
                        .map(String::from),
                })
                .collect()
        };
        let listeners = self
            .listeners
            .values()
            .map(|l| ListenerView {
                listener_id: format!("{}:{}", self.load_balancer_id, l.port),
                protocol: l4(&l.protocol),
                first_port: l.port,
                last_port: l.port,
                running: l.status == "running",
                privatelink: true,
                groups: vec![GroupView {
                    group_id: String::new(),
                    available: true,
                    scope: Scope::VpcLocal,
                    preserve_client_ip: false,
                    // CLB TCP listeners check health by default on the backend port (ASSUMED).
                    health_enabled: true,
                    health_port: 0,
                    backends: backends_at(l.backend_port),
                }],
            })
            .collect();
        let not_active = (self.status != "active")
            .then(|| format!("CLB `{}` is {}", self.load_balancer_id, self.status));
        LbView {
            id: self.load_balancer_id.clone(),
            node_type: NodeType::Clb,
            region: self.region_id.clone(),
            vpc_id: self.vpc_id.clone().unwrap_or_default(),
            not_active,
            cross_zone: true,
            zones: self
                .vswitch_id
                .iter()
                .map(|v| LbZone {
                    zone_id: self.master_zone_id.clone(),
                    vswitch_id: v.clone(),
                    vip: self.address,
                    source: self.address,
                })
                .collect(),
            listeners,
        }
    }
}

/// The view of load balancer `id` (NLB or CLB; an ALB adds its line here).
pub fn view(w: &World, id: &str) -> Option<LbView> {
    if let Some(lb) = w.nlb.load_balancers.get(id) {
        return Some(lb.lb_view(w));
    }
    if let Some(lb) = w.clb.load_balancers.get(id) {
        return Some(lb.lb_view(w));
    }
    if let Some(lb) = w.alb.load_balancers.get(id) {
        return Some(lb.lb_view(w));
    }
    None
}

/// What one backend did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendResult {
    /// Server id.
    pub server_id: String,
    /// Address and port tried.
    pub ip: Ipv4Addr,
    /// Port tried.
    pub port: u16,
    /// The source address the backend sees (LB-side source, or the client when preserved).
    pub source: Ipv4Addr,
    /// The data path gets there and back.
    pub ok: bool,
    /// Its error code (`LB_BACKEND_UNHEALTHY` or the data-path code).
    pub code: Option<Code>,
    /// For `LB_BACKEND_UNHEALTHY`: the health probe's first failing code.
    pub cause: Option<Code>,
}

/// The segment's answer.
#[derive(Debug, Clone, Default)]
pub struct LbOutcome {
    /// LB, listener, group hops, then the forward hops of the backend shown (the first that
    /// passes, else the first tried).
    pub hops: Vec<Hop>,
    /// Reply hops of that backend to the LB-side source.
    pub reverse: Vec<Hop>,
    /// Every candidate backend.
    pub backends: Vec<BackendResult>,
    /// Warnings.
    pub warnings: Vec<Finding>,
    /// Errors (empty when some backend passes): one per candidate.
    pub errors: Vec<Finding>,
}

/// One leg from the load balancer to a backend and back.
#[derive(Debug, Default, Clone)]
pub(crate) struct Leg1 {
    hops: Vec<Hop>,
    reverse: Vec<Hop>,
    warnings: Vec<Finding>,
    listening: bool,
}

fn err(code: Code, component: &str, detail: String) -> Finding {
    Finding::error(Leg::Forward, code, component, detail, Site::None)
}

/// Everything [`backend_leg`] reads besides the world: a leg computed once is the same leg
/// for as long as the [`Topology`] (which borrows the world immutably) lives.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct LegKey {
    lb: String,
    vpc: String,
    vswitch: String,
    group: String,
    scope: Scope,
    server: String,
    packet: Packet,
    reply_vpc: String,
    lb_side: bool,
}

/// A computed backend leg, shared between the health probe and the data path.
pub(crate) type LegResult = std::sync::Arc<(Leg1, Result<(), Finding>)>;

/// [`compute_leg`], memoized in the topology: a backend's health probe and the data path of
/// the candidate in the probing zone are the same packet (the LB-side source of that zone to
/// the server port), and several candidates probe the same backend, so one analysis walks
/// each distinct leg once.
#[allow(clippy::too_many_arguments)]
fn backend_leg(
    t: &Topology<'_>,
    lb: &LbView,
    zone: &LbZone,
    g: &GroupView,
    b: &Backend,
    packet: &Packet,
    reply_vpc: &str,
    lb_side: bool,
) -> LegResult {
    let key = LegKey {
        lb: lb.id.clone(),
        vpc: lb.vpc_id.clone(),
        vswitch: zone.vswitch_id.clone(),
        group: g.group_id.clone(),
        scope: g.scope,
        server: b.server_id.clone(),
        packet: *packet,
        reply_vpc: reply_vpc.to_string(),
        lb_side,
    };
    t.backend_leg(key, || {
        std::sync::Arc::new(compute_leg(t, lb, zone, g, b, packet, reply_vpc, lb_side))
    })
}

/// The packet from `zone` of `lb` to backend `b` of `g` (source `src`), delivered at the
/// backend's ENI (state, instance, security groups), and its reply back to `src` in `reply_vpc`.
#[allow(clippy::too_many_arguments)]
fn compute_leg(
    t: &Topology<'_>,
    lb: &LbView,
    zone: &LbZone,
    g: &GroupView,
    b: &Backend,
    packet: &Packet,
    reply_vpc: &str,
    lb_side: bool,
) -> (Leg1, Result<(), Finding>) {
    let mut out = Leg1::default();
    let Some(origin) = t.world.vswitches.get(&zone.vswitch_id) else {
        let f = err(
            Code::LbNotActive,
            &lb.id,
            format!(
                "vSwitch `{}` of `{}` no longer exists",
                zone.vswitch_id, lb.id
            ),
        );
        return (out, Err(f));
    };
    let mut walk = Walk::new(t, Leg::Forward, *packet, origin);
    walk.want_vpc = Some(backend_vpc(t, lb, packet.dst_ip));
    walk.system_table_only = g.scope == Scope::SystemTable;
    let arrived = match g.scope {
        Scope::VpcLocal => walk.local(),
        Scope::SystemTable | Scope::Routed => walk.trace(),
    };
    out.hops.append(&mut walk.hops);
    out.warnings.append(&mut walk.warnings);
    let arrived = match arrived {
        Ok(a) => a,
        Err(f) => return (out, Err(f)),
    };
    let dst = packet.dst_ip;
    let eni_id = match t.world.ecs.addresses.owner(&arrived.vpc_id, dst) {
        Some(AddressOwner::Eni(e)) => e.clone(),
        _ => {
            let f = err(
                Code::DstIpNotFound,
                &b.server_id,
                format!(
                    "nothing in `{}` holds `{dst}` (backend `{}`)",
                    arrived.vpc_id, b.server_id
                ),
            );
            return (out, Err(f));
        }
    };
    let eni = t.world.ecs.enis.get(eni_id.as_str());
    if eni.is_none_or(|e| e.status != EniStatus::InUse) {
        let f = err(
            Code::DstEniNotInUse,
            &eni_id,
            format!("ENI `{eni_id}` of backend `{}` is not InUse", b.server_id),
        );
        return (out, Err(f));
    }
    let instance = eni.and_then(|e| e.instance_id.clone());
    if let Some(i) = &instance {
        if let Err(f) = running(t, Leg::Forward, i, Code::DstInstanceNotRunning) {
            return (out, Err(f));
        }
    }
    let (h, ok) = sg_check(
        t,
        Leg::Forward,
        &eni_id,
        Direction::Ingress,
        packet,
        Code::SgIngressDeny,
    );
    out.hops.push(h);
    if let Err(f) = ok {
        return (out, Err(f));
    }
    if let Some(i) = &instance {
        out.hops.push(vm_hop(t, i));
        let want = match packet.protocol {
            Protocol::Udp => Some(L4::Udp),
            Protocol::Tcp => Some(L4::Tcp),
            _ => None,
        };
        out.listening = match (want, t.world.ecs.instances.get(i.as_str())) {
            (Some(p), Some(inst)) => inst.listens_on(p, packet.dst_port),
            _ => true,
        };
    }
    // The reply: from the backend's vSwitch to the source it saw.
    let Some(back_origin) = eni.and_then(|e| t.world.vswitches.get(&e.vswitch_id)) else {
        return (out, Ok(()));
    };
    if let Some(i) = &instance {
        out.reverse.push(vm_hop(t, i));
    }
    let mut h = Hop::new(
        &eni_id,
        NodeType::Eni,
        eni.map_or("", |e| e.region_id.as_str()),
        eni.map_or("", |e| e.zone_id.as_str()),
    );
    h.ip = Some(dst);
    out.reverse.push(h);
    let mut back = Walk::new(t, Leg::Reverse, packet.reply(), back_origin);
    back.want_vpc = Some(reply_vpc.to_string());
    back.lb_side_end = lb_side;
    let r = back.trace();
    out.reverse.append(&mut back.hops);
    out.warnings.append(&mut back.warnings);
    match r {
        Ok(a) if a.vpc_id == reply_vpc => (out, Ok(())),
        Ok(a) => {
            let f = Finding::error(
                Leg::Reverse,
                Code::CidrOverlap,
                &a.vpc_id,
                format!(
                    "the reply to `{}` is delivered inside `{}`, not `{reply_vpc}`",
                    packet.src_ip, a.vpc_id
                ),
                Site::None,
            );
            (out, Err(f))
        }
        Err(f) => (out, Err(f)),
    }
}

/// The VPC holding backend address `ip`: the load balancer's own when it does, else the one
/// VPC whose ENI holds it (a remote `Ip` member across a CEN), else the load balancer's.
fn backend_vpc(t: &Topology<'_>, lb: &LbView, ip: Ipv4Addr) -> String {
    let ecs = &t.world.ecs;
    if ecs.addresses.owner(&lb.vpc_id, ip).is_some() {
        return lb.vpc_id.clone();
    }
    let mut holders = ecs
        .addresses
        .vpcs()
        .filter(|(_, m)| matches!(m.get(&ip), Some(AddressOwner::Eni(_))))
        .map(|(v, _)| v.clone());
    match (holders.next(), holders.next()) {
        (Some(v), None) => v,
        _ => lb.vpc_id.clone(),
    }
}

/// The port a backend is reached on for a packet to `port`.
fn server_port(b: &Backend, port: u16) -> u16 {
    if b.port == 0 {
        port
    } else {
        b.port
    }
}

/// The health probe of backend `b` of group `g` (§5 intro): a TCP probe from the LB-side
/// source of the probing zone to the health-check port, there and back, the instance
/// `Running` and listening. `Err` carries the first failing finding (`APP_NOT_LISTENING` when
/// everything but the application passes).
pub fn probe_backend(
    t: &Topology<'_>,
    lb: &LbView,
    g: &GroupView,
    b: &Backend,
) -> Result<(), Finding> {
    let Some(zone) = lb.probe_zone(b) else {
        return Err(err(
            Code::LbNotActive,
            &lb.id,
            format!("`{}` has no zone to probe from", lb.id),
        ));
    };
    let port = match g.health_port {
        0 => server_port(b, 0),
        p => p,
    };
    let packet = Packet::tcp(zone.source, DEFAULT_CLIENT_PORT, b.ip, port);
    match &*backend_leg(t, lb, zone, g, b, &packet, &lb.vpc_id, true) {
        (l, Ok(())) if l.listening => Ok(()),
        (_, Ok(())) => Err(Finding::warning(
            Leg::Forward,
            Code::AppNotListening,
            &b.server_id,
            format!("`{}` has no listener on tcp/{port}", b.server_id),
        )),
        (_, Err(f)) => Err(f.clone()),
    }
}

/// A backend's health as the load balancer's health API reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendHealth {
    /// Passes its probe.
    Healthy,
    /// Fails it: `CONNECT_FAIL` (nothing listens) or `CONNECT_TIMEOUT` (anything else).
    Unhealthy(&'static str),
    /// Weight 0.
    Unused,
    /// Health checking off.
    Unavailable,
}

/// The health of backend `b` of group `g` behind `lb` (§5 intro, §5.1.4).
pub fn backend_health(w: &World, lb: &LbView, g: &GroupView, b: &Backend) -> BackendHealth {
    if b.weight == 0 {
        return BackendHealth::Unused;
    }
    if !g.health_enabled {
        return BackendHealth::Unavailable;
    }
    let t = Topology::new(w);
    match probe_backend(&t, lb, g, b) {
        Ok(()) => BackendHealth::Healthy,
        Err(f) if f.code == Code::AppNotListening => BackendHealth::Unhealthy("CONNECT_FAIL"),
        Err(_) => BackendHealth::Unhealthy("CONNECT_TIMEOUT"),
    }
}

/// §8.3.7 L1–L6: `packet` arrives at the VIP of `zone_id` of `lb`. Through PrivateLink
/// (`via_pl`) the packet's source is already the LB-side source and TCPSSL listeners are
/// skipped; directly, the backend sees the client address when the group preserves it.
/// `client_vpc` is the VPC of the packet's source (for the backend's reply).
pub fn segment(
    t: &Topology<'_>,
    lb: &LbView,
    zone_id: &str,
    packet: &Packet,
    via_pl: bool,
    client_vpc: &str,
) -> LbOutcome {
    let mut out = LbOutcome::default();
    let zone = lb.zone(zone_id).cloned();
    let mut h = Hop::new(&lb.id, lb.node_type, &lb.region, zone_id);
    h.ip = zone.as_ref().map(|z| z.vip);
    out.hops.push(h);
    let fail = |mut out: LbOutcome, f: Finding| {
        if let Some(h) = out.hops.last_mut() {
            h.action = crate::cloud::packet::Action::Drop;
        }
        out.errors.push(f);
        out
    };
    // L1.
    if let Some(why) = &lb.not_active {
        return fail(out, err(Code::LbNotActive, &lb.id, why.clone()));
    }
    let Some(zone) = zone else {
        let f = err(
            Code::LbNotActive,
            &lb.id,
            format!("`{}` has no zone `{zone_id}`", lb.id),
        );
        return fail(out, f);
    };
    // L2.
    let port = packet.dst_port;
    let Some(listener) = lb.listener(packet.protocol, port, via_pl) else {
        let tcpssl = via_pl && lb.listener(packet.protocol, port, false).is_some();
        let f = err(
            Code::LbNoListener,
            &lb.id,
            if tcpssl {
                format!(
                    "`{}` has only a TCPSSL listener on {}/{port}: PrivateLink cannot reach it",
                    lb.id,
                    packet.protocol.as_str()
                )
            } else {
                format!(
                    "`{}` has no running listener on {}/{port}",
                    lb.id,
                    packet.protocol.as_str()
                )
            },
        );
        return fail(out, f);
    };
    out.hops.push(Hop::new(
        &listener.listener_id,
        NodeType::Lsn,
        &lb.region,
        "",
    ));
    // L3.
    let groups: Vec<&GroupView> = listener.groups.iter().filter(|g| g.available).collect();
    if groups.is_empty() {
        let id = listener
            .groups
            .first()
            .map_or(listener.listener_id.as_str(), |g| g.group_id.as_str());
        let f = err(
            Code::LbServerGroupNotAvailable,
            id,
            format!(
                "the server group of listener `{}` is not Available",
                listener.listener_id
            ),
        );
        return fail(out, f);
    }
    if let Some(g) = groups.first().filter(|g| !g.group_id.is_empty()) {
        out.hops
            .push(Hop::new(&g.group_id, NodeType::Sgp, &lb.region, ""));
    }
    // L4.
    let candidates: Vec<(&GroupView, &Backend)> = groups
        .iter()
        .flat_map(|g| g.backends.iter().map(move |b| (*g, b)))
        .filter(|(_, b)| b.weight > 0)
        .filter(|(_, b)| lb.cross_zone || b.zone_id.as_deref() == Some(zone_id))
        .collect();
    if candidates.is_empty() {
        let f = err(
            Code::LbNoBackend,
            &listener.listener_id,
            format!(
                "listener `{}` has no server with weight > 0{}",
                listener.listener_id,
                if lb.cross_zone {
                    String::new()
                } else {
                    format!(" in `{zone_id}` (cross-zone is off)")
                }
            ),
        );
        return fail(out, f);
    }
    // L5.
    let head = out.hops.clone();
    type Shown = (Vec<Hop>, Vec<Hop>, Vec<Finding>);
    let mut shown: Option<Shown> = None;
    let mut shown_ok: Option<Shown> = None;
    for (g, b) in candidates {
        let dport = server_port(b, port);
        let mut r = BackendResult {
            server_id: b.server_id.clone(),
            ip: b.ip,
            port: dport,
            source: lb.probe_zone(b).map_or(zone.source, |z| z.source),
            ok: false,
            code: None,
            cause: None,
        };
        if g.health_enabled {
            if let Err(cause) = probe_backend(t, lb, g, b) {
                r.code = Some(Code::LbBackendUnhealthy);
                r.cause = Some(cause.code);
                let detail = format!(
                    "backend `{}` ({}:{}) fails its health check: {} ({})",
                    b.server_id, b.ip, dport, cause.code, cause.detail
                );
                let site = if cause.code == Code::AppNotListening {
                    Site::None
                } else {
                    (*cause.site).clone()
                };
                out.errors.push(Finding::error(
                    Leg::Forward,
                    Code::LbBackendUnhealthy,
                    &b.server_id,
                    detail,
                    site,
                ));
                if shown.is_none() {
                    let mut hops = Vec::new();
                    if let Some(z) = lb.probe_zone(b) {
                        let probe = Packet::tcp(z.source, DEFAULT_CLIENT_PORT, b.ip, dport);
                        hops = backend_leg(t, lb, z, g, b, &probe, &lb.vpc_id, true)
                            .0
                            .hops
                            .clone();
                    }
                    if let Some(h) = hops.last_mut() {
                        h.action = crate::cloud::packet::Action::Drop;
                    }
                    shown = Some((hops, Vec::new(), Vec::new()));
                }
                out.backends.push(r);
                continue;
            }
        }
        let preserve = g.preserve_client_ip && !via_pl;
        let src = if preserve { packet.src_ip } else { zone.source };
        r.source = src;
        let data = Packet {
            src_ip: src,
            dst_ip: b.ip,
            protocol: packet.protocol,
            src_port: packet.src_port,
            dst_port: dport,
        };
        let reply_vpc = if preserve { client_vpc } else { &lb.vpc_id };
        let leg = backend_leg(t, lb, &zone, g, b, &data, reply_vpc, !preserve);
        let (leg, result) = std::sync::Arc::unwrap_or_clone(leg);
        match (leg, result) {
            (mut l, Ok(())) => {
                r.ok = true;
                if !l.listening {
                    l.warnings.push(Finding::warning(
                        Leg::Forward,
                        Code::AppNotListening,
                        &b.server_id,
                        format!(
                            "`{}` has no listener on {}/{dport}",
                            b.server_id,
                            packet.protocol.as_str()
                        ),
                    ));
                }
                if shown_ok.is_none() {
                    shown_ok = Some((l.hops, l.reverse, l.warnings));
                }
            }
            (mut l, Err(f)) => {
                r.code = Some(f.code);
                if shown.is_none() {
                    match f.leg {
                        Leg::Forward => {
                            if let Some(h) = l.hops.last_mut() {
                                h.action = crate::cloud::packet::Action::Drop;
                            }
                        }
                        Leg::Reverse => {
                            if let Some(h) = l.reverse.last_mut() {
                                h.action = crate::cloud::packet::Action::Drop;
                            }
                        }
                    }
                    shown = Some((l.hops, l.reverse, Vec::new()));
                }
                out.errors.push(f);
            }
        }
        out.backends.push(r);
    }
    // L6.
    out.hops = head;
    if let Some((hops, reverse, warnings)) = shown_ok.or(shown) {
        out.hops.extend(hops);
        out.reverse = reverse;
        out.warnings = warnings;
    }
    if out.backends.iter().any(|b| b.ok) {
        out.errors.clear();
    }
    out
}
