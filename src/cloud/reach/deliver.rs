//! Delivery to the owner of the destination address (§8.3.4 D3–D4) and the security-group
//! checks at either end (§8.3.3 F1, §7.3).

use super::finding::{Code, Finding, Leg, Site};
use super::hop::{Hop, MatchedSg, NodeType};
use super::probe::{End, Resolved};
use super::segment;
use super::topology::{vpc_holds, vpcs_overlap, Topology};
use super::trace::Arrived;
use crate::cloud::ecs::instance::L4;
use crate::cloud::ecs::security_group::{evaluate, SgReason};
use crate::cloud::ecs::{AddressOwner, EniStatus, InstanceStatus};
use crate::cloud::packet::{Action, Direction, Packet, Protocol};

/// An ENI hop carrying the security-group decision for `packet` in `direction`; `Err` with
/// `code` when the groups drop it.
pub fn sg_check(
    t: &Topology<'_>,
    leg: Leg,
    eni_id: &str,
    direction: Direction,
    packet: &Packet,
    code: Code,
) -> (Hop, Result<(), Finding>) {
    let eni = t.world.ecs.enis.get(eni_id);
    let mut h = Hop::new(
        eni_id,
        NodeType::Eni,
        eni.map_or("", |e| e.region_id.as_str()),
        eni.map_or("", |e| e.zone_id.as_str()),
    );
    h.ip = eni.map(|e| e.private_ip);
    let Some(d) = evaluate(&t.world.ecs, eni_id, direction, packet) else {
        h.action = Action::Drop;
        let f = Finding::error(
            leg,
            code,
            eni_id,
            format!("ENI `{eni_id}` does not exist"),
            Site::None,
        );
        return (h, Err(f));
    };
    let policy = if d.allowed {
        Action::Accept
    } else {
        Action::Drop
    };
    let (group, description) = match (&d.reason, &d.matched) {
        (SgReason::Rule, Some(m)) => (
            Some(m.security_group_id.clone()),
            if m.policy == Action::Drop {
                "user_acl_drop_rule"
            } else {
                "user_rule"
            },
        ),
        (SgReason::IntraGroup(g), _) => (Some(g.clone()), "default_sg_access_rule"),
        _ => (
            eni.and_then(|e| e.security_group_ids.first().map(String::from)),
            "default_sg_access_rule",
        ),
    };
    h.matched_sg_rule = Some(MatchedSg {
        direction,
        policy,
        security_group_id: group.clone(),
        rule_id: d.matched.as_ref().map(|m| m.rule_id.clone()),
        priority: d.matched.as_ref().map(|m| m.priority),
        description: description.to_string(),
    });
    if d.allowed {
        return (h, Ok(()));
    }
    h.action = Action::Drop;
    let why = match &d.matched {
        Some(m) => format!(
            "rule `{}` of `{}` (priority {}) drops it",
            m.rule_id, m.security_group_id, m.priority
        ),
        None => "no rule allows it and the default denies it".to_string(),
    };
    let f = Finding::error(
        leg,
        code,
        group.as_deref().unwrap_or(eni_id),
        format!(
            "security groups of `{eni_id}` ({}): {why}",
            direction.as_str()
        ),
        Site::SecurityGroup {
            eni_id: eni_id.to_string(),
            direction,
            packet: *packet,
            matched: d.matched.clone(),
        },
    );
    (h, Err(f))
}

/// A VM hop for an instance.
pub fn vm_hop(t: &Topology<'_>, instance_id: &str) -> Hop {
    let i = t.world.ecs.instances.get(instance_id);
    let mut h = Hop::new(
        instance_id,
        NodeType::Vm,
        i.map_or("", |x| x.region_id.as_str()),
        i.map_or("", |x| x.zone_id.as_str()),
    );
    h.ip = i.map(|x| x.private_ip);
    h
}

/// `Err(SRC/DST_INSTANCE_NOT_RUNNING)` unless the instance is `Running`.
pub fn running(t: &Topology<'_>, leg: Leg, instance_id: &str, code: Code) -> Result<(), Finding> {
    let Some(i) = t.world.ecs.instances.get(instance_id) else {
        return Err(Finding::error(
            leg,
            code,
            instance_id,
            format!("instance `{instance_id}` does not exist"),
            Site::None,
        ));
    };
    let s = i.status(t.world.now());
    if s == InstanceStatus::Running {
        return Ok(());
    }
    let site = if s == InstanceStatus::Stopped {
        Site::Instance {
            instance_id: instance_id.to_string(),
        }
    } else {
        Site::None
    };
    Err(Finding::error(
        leg,
        code,
        instance_id,
        format!("instance `{instance_id}` is {}", s.as_str()),
        site,
    ))
}

/// The server end reached by a successful forward delivery.
#[derive(Debug, Clone)]
pub struct Server {
    /// The server's end of the path (for a load balancer reached directly: its VIP).
    pub end: End,
    /// The reply from `end` to the client must still be walked (false through PrivateLink:
    /// a managed connection, §8.3.8).
    pub reply: bool,
    /// Reply hops already known (backend → LB-side source, then the LB).
    pub reverse: Vec<Hop>,
}

/// Hands `packet` (at the VIP of `zone_id`) to load balancer `lb` (§8.3.7) and records its
/// hops, warnings and backends.
#[allow(clippy::too_many_arguments)]
fn through_lb(
    t: &Topology<'_>,
    lb: &segment::load_balancer::LbView,
    zone_id: &str,
    packet: &Packet,
    via_pl: bool,
    client_vpc: &str,
    hops: &mut Vec<Hop>,
    warnings: &mut Vec<Finding>,
    backends: &mut Vec<segment::load_balancer::BackendResult>,
) -> Result<Vec<Hop>, Vec<Finding>> {
    let out = segment::load_balancer::segment(t, lb, zone_id, packet, via_pl, client_vpc);
    hops.extend(out.hops);
    for w in out.warnings {
        if !warnings.contains(&w) {
            warnings.push(w);
        }
    }
    backends.extend(out.backends);
    if out.errors.is_empty() {
        Ok(out.reverse)
    } else {
        Err(out.errors)
    }
}

/// D3–D4 of the forward packet at `arrived`: the owner must be the target, its ENI `InUse`,
/// its instance `Running`, its groups must accept; warns `APP_NOT_LISTENING`. Hops go to
/// `hops`, warnings to `warnings`; on failure the returned findings are the error first,
/// then any explanation (`CIDR_OVERLAP` as an error when the packet stayed in the wrong VPC).
pub fn deliver(
    t: &Topology<'_>,
    r: &Resolved,
    arrived: &Arrived<'_>,
    hops: &mut Vec<super::hop::Hop>,
    warnings: &mut Vec<Finding>,
    backends: &mut Vec<segment::load_balancer::BackendResult>,
) -> Result<Server, Vec<Finding>> {
    let leg = Leg::Forward;
    let dst = r.dst_ip;
    let err1 = |code, component: &str, detail: String, site| {
        vec![Finding::error(leg, code, component, detail, site)]
    };
    if arrived.vpc_id != r.dst_vpc {
        // Delivered by the source VPC's own local route: no route can win over it. Delivered
        // in a third VPC over a peering: a more specific route to the target VPC fixes it.
        let (why, site) = if arrived.vpc_id == r.src.vpc_id {
            ("whose own local route wins", Site::None)
        } else {
            (
                "reached over a peering",
                Site::Route {
                    origin_vswitch: r.src.vswitch_id.clone(),
                    dst_ip: dst,
                    want_vpc: Some(r.dst_vpc.clone()),
                },
            )
        };
        let mut out = err1(
            Code::DstIpNotFound,
            &arrived.vpc_id,
            format!(
                "`{dst}` is delivered inside `{}` ({why}), not in `{}` where the target is",
                arrived.vpc_id, r.dst_vpc
            ),
            site,
        );
        if let (Some(a), Some(b)) = (t.vpc(&arrived.vpc_id), t.vpc(&r.dst_vpc)) {
            if vpcs_overlap(a, b) && vpc_holds(a, dst) {
                out.push(Finding::error(
                    leg,
                    Code::CidrOverlap,
                    &r.dst_vpc,
                    format!(
                        "`{dst}` lies in both `{}` and `{}`: overlapping CIDR blocks cannot reach each other's copy of it",
                        a.vpc_id, b.vpc_id
                    ),
                    Site::None,
                ));
            }
        }
        return Err(out);
    }
    let Some(owner) = t.world.ecs.addresses.owner(&arrived.vpc_id, dst) else {
        return Err(err1(
            Code::DstIpNotFound,
            &arrived.vswitch.vswitch_id,
            format!("nothing in `{}` holds `{dst}`", arrived.vpc_id),
            Site::None,
        ));
    };
    let eni_id = match owner {
        AddressOwner::Eni(e) => e.clone(),
        AddressOwner::Service { kind, id } => {
            let lb = match segment::service_target(t, kind, id) {
                Ok(lb) => lb,
                Err(e) => return Err(err1(Code::DstNotTargetable, id, e, Site::None)),
            };
            let Some(zone) = lb.zone_of_vip(dst).cloned() else {
                let detail = format!("`{dst}` is not a VIP of `{id}`");
                return Err(err1(Code::DstNotTargetable, id, detail, Site::None));
            };
            let mut reverse = through_lb(
                t,
                &lb,
                &zone.zone_id,
                &r.packet,
                false,
                &r.src.vpc_id,
                hops,
                warnings,
                backends,
            )?;
            let mut h = Hop::new(&lb.id, lb.node_type, &lb.region, &zone.zone_id);
            h.ip = Some(zone.vip);
            reverse.push(h);
            return Ok(Server {
                end: End {
                    instance_id: None,
                    eni_id: None,
                    vpc_id: lb.vpc_id.clone(),
                    vswitch_id: zone.vswitch_id.clone(),
                    region: lb.region.clone(),
                    zone: zone.zone_id.clone(),
                    ip: dst,
                },
                reply: true,
                reverse,
            });
        }
    };
    let Some(eni) = t.world.ecs.enis.get(eni_id.as_str()) else {
        return Err(err1(
            Code::DstIpNotFound,
            &eni_id,
            format!("ENI `{eni_id}` holding `{dst}` does not exist"),
            Site::None,
        ));
    };
    if eni.status != EniStatus::InUse {
        return Err(err1(
            Code::DstEniNotInUse,
            &eni_id,
            format!("ENI `{eni_id}` is {}", eni.status.as_str()),
            Site::None,
        ));
    }
    if segment::privatelink::endpoint_zone_of(eni).is_some() {
        let hand = segment::privatelink::segment(t, eni, &r.packet, hops).map_err(|f| vec![f])?;
        let reverse = through_lb(
            t,
            &hand.lb,
            &hand.zone_id,
            &hand.packet,
            true,
            &r.src.vpc_id,
            hops,
            warnings,
            backends,
        )?;
        return Ok(Server {
            end: End {
                instance_id: None,
                eni_id: Some(eni_id.clone()),
                vpc_id: String::from(&eni.vpc_id),
                vswitch_id: String::from(&eni.vswitch_id),
                region: String::from(&eni.region_id),
                zone: String::from(&eni.zone_id),
                ip: dst,
            },
            reply: false,
            reverse,
        });
    }
    if let Some(i) = &eni.instance_id {
        running(t, leg, i, Code::DstInstanceNotRunning).map_err(|f| vec![f])?;
    }
    let (h, ok) = sg_check(
        t,
        leg,
        &eni_id,
        Direction::Ingress,
        &r.packet,
        Code::SgIngressDeny,
    );
    hops.push(h);
    ok.map_err(|f| vec![f])?;
    if let Some(i) = &eni.instance_id {
        hops.push(vm_hop(t, i));
        let l4 = match r.packet.protocol {
            Protocol::Tcp => Some(L4::Tcp),
            Protocol::Udp => Some(L4::Udp),
            _ => None,
        };
        if let (Some(l4), Some(inst)) = (l4, t.world.ecs.instances.get(i.as_str())) {
            if !inst.listens_on(l4, r.packet.dst_port) {
                warnings.push(Finding::warning(
                    leg,
                    Code::AppNotListening,
                    i,
                    format!(
                        "`{i}` has no listener on {}/{}",
                        r.packet.protocol.as_str(),
                        r.packet.dst_port
                    ),
                ));
            }
        }
    }
    Ok(Server {
        end: End {
            instance_id: eni.instance_id.as_ref().map(String::from),
            eni_id: Some(eni_id.clone()),
            vpc_id: String::from(&eni.vpc_id),
            vswitch_id: String::from(&eni.vswitch_id),
            region: String::from(&eni.region_id),
            zone: String::from(&eni.zone_id),
            ip: dst,
        },
        reply: true,
        reverse: Vec::new(),
    })
}
