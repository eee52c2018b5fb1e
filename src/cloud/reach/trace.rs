//! The walk of one packet from a vSwitch to the vSwitch holding its destination (§8.3.3 F2–F8
//! and §8.3.4 D1–D2), used for the forward packet and for the reply alike.

use super::finding::{Code, Finding, Leg, Site};
use super::hop::{Hop, MatchedAcl, MatchedRoute, NodeType};
use super::segment::{self, peering, transit_router, Segment};
use super::topology::Topology;
use crate::cloud::ecs::AddressOwner;
use crate::cloud::network_acl::{evaluate_vswitch, NaclReason};
use crate::cloud::packet::{Action, Direction, Packet};
use crate::cloud::vpc::route::RouteMatch;
use crate::cloud::vpc::VSwitch;

/// Hop limit of one walk (§8.3: more than 32 route lookups → `LOOP_DETECTED`).
pub const HOP_LIMIT: u32 = 32;

/// How the packet entered the current VPC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// It started here.
    Local,
    /// Through a peering connection.
    Peering(String),
    /// Out of a transit router, by this VPC attachment.
    Tr(String),
}

/// Where a walk ended: the VPC and the vSwitch holding the destination.
#[derive(Debug, Clone)]
pub struct Arrived<'w> {
    /// VPC.
    pub vpc_id: String,
    /// vSwitch holding the destination.
    pub vswitch: &'w VSwitch,
}

/// One walk's state.
#[derive(Debug)]
pub struct Walk<'t, 'w> {
    /// The world index.
    pub t: &'t Topology<'w>,
    /// Forward or reply.
    pub leg: Leg,
    /// The packet.
    pub packet: Packet,
    /// vSwitch the packet leaves from.
    pub origin: &'w VSwitch,
    /// VPC that should receive the packet (for the fix of route failures).
    pub want_vpc: Option<String>,
    /// Hops so far.
    pub hops: Vec<Hop>,
    /// Warnings so far.
    pub warnings: Vec<Finding>,
    /// Hop limit.
    pub limit: u32,
    /// Route by the VPC's system table even from a vSwitch bound to a custom table (an ALB
    /// towards its backends, C-SYSRT, §5.2.5 step 4).
    pub system_table_only: bool,
    /// The walk ends at a load balancer's own source address (a reply to an LB-side source,
    /// §8.3.4 D2): no ingress ACL at the end.
    pub lb_side_end: bool,
}

impl<'t, 'w> Walk<'t, 'w> {
    /// A walk of `packet` leaving `origin`.
    pub fn new(t: &'t Topology<'w>, leg: Leg, packet: Packet, origin: &'w VSwitch) -> Self {
        Walk {
            t,
            leg,
            packet,
            origin,
            want_vpc: None,
            hops: Vec::new(),
            warnings: Vec::new(),
            limit: HOP_LIMIT,
            system_table_only: false,
            lb_side_end: false,
        }
    }

    fn route_site(&self) -> Site {
        if self.system_table_only {
            return Site::SystemRoute {
                vpc_id: self.origin.vpc_id.clone(),
                dst_ip: self.packet.dst_ip,
                want_vpc: self.want_vpc.clone(),
            };
        }
        Site::Route {
            origin_vswitch: self.origin.vswitch_id.clone(),
            dst_ip: self.packet.dst_ip,
            want_vpc: self.want_vpc.clone(),
        }
    }

    fn error(&self, code: Code, component: &str, detail: String, site: Site) -> Finding {
        Finding::error(self.leg, code, component, detail, site)
    }

    fn vsw_hop(&mut self, s: &VSwitch) {
        let mut h = Hop::new(&s.vswitch_id, NodeType::Vsw, &s.region_id, &s.zone_id);
        h.cidr = Some(s.cidr_block);
        self.hops.push(h);
    }

    /// Marks the last hop as the place the packet stopped.
    fn drop_here(&mut self) {
        if let Some(h) = self.hops.last_mut() {
            h.action = Action::Drop;
        }
    }

    /// The ACL check of `s` in `direction`, recorded on the last (vSwitch) hop.
    fn acl(&mut self, s: &VSwitch, direction: Direction, code: Code) -> Result<(), Finding> {
        let d = evaluate_vswitch(&self.t.world.nacl, &s.vswitch_id, direction, &self.packet);
        let Some(acl) = d.network_acl_id.clone() else {
            return Ok(());
        };
        let entry = match d.reason {
            NaclReason::Entry => d.entry_id.clone().unwrap_or_default(),
            NaclReason::AlwaysAllowed => "always-allowed".into(),
            _ => "default".into(),
        };
        let policy = if d.allowed {
            Action::Accept
        } else {
            Action::Drop
        };
        if let Some(h) = self.hops.last_mut() {
            h.matched_acl_rules.push(MatchedAcl {
                network_acl_id: acl.clone(),
                vswitch_id: s.vswitch_id.clone(),
                direction,
                policy,
                matched_entry_id: entry.clone(),
            });
        }
        if d.allowed {
            return Ok(());
        }
        self.drop_here();
        let why = if entry == "default" {
            "no entry matches, so the ACL drops it".to_string()
        } else {
            format!("entry `{entry}` drops it")
        };
        Err(self.error(
            code,
            &acl,
            format!(
                "network ACL `{acl}` of `{}` ({}): {why}",
                s.vswitch_id,
                direction.as_str()
            ),
            Site::NetworkAcl {
                vswitch_id: s.vswitch_id.clone(),
                network_acl_id: acl.clone(),
                direction,
                packet: self.packet,
            },
        ))
    }

    fn vrt_hop(&mut self, vpc_id: &str, m: &RouteMatch) {
        let t = self.t;
        let vpc = t.vpc(vpc_id);
        let mut h = Hop::new(
            vpc_id,
            NodeType::Vrt,
            vpc.map_or("", |v| v.region_id.as_str()),
            "",
        );
        h.cidr = vpc.map(|v| v.cidr_block);
        let (nht, nhid) = match &m.target {
            crate::cloud::vpc::route::RouteTarget::Local => ("Local".to_string(), String::new()),
            crate::cloud::vpc::route::RouteTarget::NextHop {
                next_hop_type,
                next_hop_id,
            } => (
                next_hop_type
                    .map_or("NextHopList", |x| x.as_str())
                    .to_string(),
                next_hop_id.clone(),
            ),
        };
        h.matched_route = Some(MatchedRoute {
            route_table_id: m.route_table_id.clone(),
            route_entry_id: m.route_entry_id.clone(),
            destination: m.destination.to_string(),
            next_hop_type: nht,
            next_hop_id: nhid,
        });
        self.hops.push(h);
    }

    /// D1–D2: the vSwitch of `vpc_id` holding the destination, and its ingress ACL unless the
    /// packet never left its vSwitch.
    fn arrive(&mut self, vpc_id: &str) -> Result<Arrived<'w>, Finding> {
        let dst = self.packet.dst_ip;
        let Some(s) = self.t.vswitch_holding(vpc_id, dst) else {
            return Err(self.error(
                Code::DstIpNotFound,
                vpc_id,
                format!("no vSwitch of `{vpc_id}` holds `{dst}`"),
                Site::None,
            ));
        };
        if s.vswitch_id != self.origin.vswitch_id {
            self.vsw_hop(s);
            if !self.lb_side_end {
                self.acl(s, Direction::Ingress, Code::NaclIngressDeny)?;
            }
        }
        Ok(Arrived {
            vpc_id: vpc_id.to_string(),
            vswitch: s,
        })
    }

    /// Arrival at an ALB back-to-origin address over its hidden route: the ALB zone's vSwitch,
    /// no network ACL (the LB side, §8.3.4 D2, ASSUMED).
    fn hidden_arrival(&mut self, vpc_id: &str, s: &'w VSwitch) -> Arrived<'w> {
        let vpc = self.t.vpc(vpc_id);
        let mut h = Hop::new(
            vpc_id,
            NodeType::Vrt,
            vpc.map_or("", |v| v.region_id.as_str()),
            "",
        );
        h.cidr = vpc.map(|v| v.cidr_block);
        h.matched_route = Some(MatchedRoute {
            route_table_id: self
                .t
                .system_table(vpc_id)
                .map(|x| x.route_table_id.clone())
                .unwrap_or_default(),
            route_entry_id: String::new(),
            destination: format!("{}/32", self.packet.dst_ip),
            next_hop_type: "Local".into(),
            next_hop_id: String::new(),
        });
        self.hops.push(h);
        Arrived {
            vpc_id: vpc_id.to_string(),
            vswitch: s,
        }
    }

    /// `TR_DST_NOT_IN_VPC`: a TR delivered the packet into `vpc_id`, whose system table does
    /// not deliver `dst` locally (§8.3.3, last paragraph).
    fn tr_not_here(&self, vpc_id: &str, table: Option<&str>) -> Finding {
        let dst = self.packet.dst_ip;
        self.error(
            Code::TrDstNotInVpc,
            table.unwrap_or(vpc_id),
            format!(
                "a transit router delivered `{dst}` into `{vpc_id}`, which does not hold it: traffic never transits a VPC through a transit router"
            ),
            Site::None,
        )
    }

    /// A VPC-local walk (a load balancer towards an `Instance`-type backend, §8.3.7 L5): F4–F5,
    /// then D1–D2 inside the origin's VPC with no route lookup.
    pub fn local(&mut self) -> Result<Arrived<'w>, Finding> {
        let origin = self.origin;
        let vpc = origin.vpc_id.clone();
        self.vsw_hop(origin);
        if !origin.cidr_block.contains(&self.packet.dst_ip) {
            self.acl(origin, Direction::Egress, Code::NaclEgressDeny)?;
        }
        self.arrive(&vpc)
    }

    /// F2–F8: walks the packet from its origin vSwitch to the vSwitch holding its destination.
    pub fn trace(&mut self) -> Result<Arrived<'w>, Finding> {
        let t = self.t;
        let dst = self.packet.dst_ip;
        let origin = self.origin;
        let mut cur_vpc = origin.vpc_id.clone();
        let mut via = Via::Local;
        self.vsw_hop(origin);
        // F4: the destination is in the origin vSwitch: no ACL, no route lookup.
        if origin.cidr_block.contains(&dst) {
            return self.arrive(&cur_vpc);
        }
        // F5: egress ACL of the origin vSwitch.
        self.acl(origin, Direction::Egress, Code::NaclEgressDeny)?;
        for _ in 0..self.limit {
            // F6: the origin vSwitch's table while local, the system table after a crossing.
            // The hidden route of an ALB's back-to-origin address in its own VPC (§8.3.4 D1).
            if let Some(s) = segment::alb::back_to_origin_vswitch(t, &cur_vpc, dst) {
                return Ok(self.hidden_arrival(&cur_vpc, s));
            }
            let table = match via {
                Via::Local if self.system_table_only => t.system_table(&cur_vpc),
                Via::Local => t.table_for_vswitch(&origin.vswitch_id),
                Via::Peering(_) | Via::Tr(_) => t.system_table(&cur_vpc),
            };
            // F7.
            let Some(m) = table.and_then(|tb| t.lookup(tb, dst)) else {
                let table_id = table.map(|x| x.route_table_id.clone()).unwrap_or_default();
                return Err(match via {
                    Via::Local => self.error(
                        Code::RouteNotFound,
                        &table_id,
                        format!("route table `{table_id}` of `{cur_vpc}` has no route to `{dst}`"),
                        self.route_site(),
                    ),
                    Via::Peering(_) => self.error(
                        Code::DstIpNotFound,
                        &cur_vpc,
                        format!("no vSwitch of `{cur_vpc}` holds `{dst}`"),
                        Site::None,
                    ),
                    Via::Tr(_) => self.tr_not_here(&cur_vpc, None),
                });
            };
            self.vrt_hop(&cur_vpc, &m);
            let seg = segment::classify(&m.target);
            if matches!(via, Via::Tr(_)) && seg != Segment::Local {
                self.drop_here();
                return Err(self.tr_not_here(&cur_vpc, Some(&m.route_table_id)));
            }
            if via != Via::Local && seg != Segment::Local {
                self.drop_here();
                return Err(self.error(
                    Code::NonTransitive,
                    &m.route_table_id,
                    format!(
                        "`{cur_vpc}` was entered through a peering and its route table sends `{dst}` on to `{}`: peerings are not transitive",
                        match &m.target {
                            crate::cloud::vpc::route::RouteTarget::NextHop { next_hop_id, .. } => next_hop_id.as_str(),
                            crate::cloud::vpc::route::RouteTarget::Local => "",
                        }
                    ),
                    self.route_site(),
                ));
            }
            match seg {
                Segment::Local => return self.arrive(&cur_vpc),
                Segment::Peering(pcc) => {
                    let pcc = pcc.to_string();
                    let site = self.route_site();
                    match peering::cross(t, self.leg, &cur_vpc, &pcc, dst, &site) {
                        Ok(c) => {
                            let mut h = Hop::new(&pcc, NodeType::Pcc, &c.peer_region, "");
                            h.cidr = None;
                            self.hops.push(h);
                            if let Some(wn) = c.warning {
                                if !self.warnings.contains(&wn) {
                                    self.warnings.push(wn);
                                }
                            }
                            cur_vpc = c.peer_vpc;
                            via = Via::Peering(pcc);
                        }
                        Err(f) => {
                            self.drop_here();
                            return Err(f);
                        }
                    }
                }
                Segment::Instance(x) | Segment::Eni(x) => {
                    let holds = t.world.ecs.addresses.owner(&cur_vpc, dst).is_some_and(|o| {
                        matches!(o, AddressOwner::Eni(e) if e == x
                            || t.world.ecs.enis.get(e.as_str()).and_then(|n| n.instance_id.as_deref()) == Some(x))
                    });
                    if holds {
                        return self.arrive(&cur_vpc);
                    }
                    self.drop_here();
                    return Err(self.error(
                        Code::UnsupportedNextHop,
                        &m.route_table_id,
                        format!("the route sends `{dst}` to `{x}`, which does not hold it: appliance forwarding is not simulated"),
                        Site::None,
                    ));
                }
                Segment::TransitRouter(a) => {
                    let a = a.to_string();
                    let want = self.want_vpc.clone();
                    let mut hops = Vec::new();
                    let crossed = transit_router::cross(
                        t,
                        self.leg,
                        &cur_vpc,
                        &a,
                        dst,
                        want.as_deref(),
                        &mut hops,
                    );
                    let failed = hops.is_empty() && crossed.is_err();
                    self.hops.append(&mut hops);
                    match crossed {
                        Ok(c) => {
                            cur_vpc = c.vpc_id;
                            via = Via::Tr(c.egress_attachment);
                        }
                        Err(f) => {
                            if failed {
                                self.drop_here();
                            }
                            return Err(f);
                        }
                    }
                }
                Segment::Unsupported(kind, id) => {
                    self.drop_here();
                    return Err(self.error(
                        Code::UnsupportedNextHop,
                        &m.route_table_id,
                        format!("the route sends `{dst}` to {kind} `{id}`, which is not simulated"),
                        Site::None,
                    ));
                }
            }
        }
        self.drop_here();
        Err(self.error(
            Code::LoopDetected,
            &cur_vpc,
            format!("more than {} route lookups towards `{dst}`", self.limit),
            Site::None,
        ))
    }
}
