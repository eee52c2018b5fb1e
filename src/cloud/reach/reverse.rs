//! The reply path (§8.3.8): ports and addresses swapped, no security groups (stateful),
//! network ACLs evaluated again (stateless), routes looked up from the server's vSwitch.

use super::deliver::vm_hop;
use super::finding::{Code, Finding, Leg, Site};
use super::hop::{Hop, NodeType};
use super::probe::End;
use super::topology::Topology;
use super::trace::Walk;

/// The reply's hops and warnings, or its failure (error findings first).
#[derive(Debug)]
pub struct Reply {
    /// Hops from the server to the client.
    pub hops: Vec<Hop>,
    /// Warnings found on the way.
    pub warnings: Vec<Finding>,
    /// The first error, if the reply does not get back.
    pub error: Option<Finding>,
}

fn eni_hop(end: &End) -> Option<Hop> {
    let eni = end.eni_id.as_ref()?;
    let mut h = Hop::new(eni, NodeType::Eni, &end.region, &end.zone);
    h.ip = Some(end.ip);
    Some(h)
}

/// Walks the reply of `packet` from `server` back to `client`.
pub fn reply(
    t: &Topology<'_>,
    client: &End,
    server: &End,
    packet: &crate::cloud::packet::Packet,
    limit: u32,
) -> Reply {
    let mut hops = Vec::new();
    if let Some(i) = &server.instance_id {
        hops.push(vm_hop(t, i));
    }
    hops.extend(eni_hop(server));
    let Some(origin) = t.world.vswitches.get(&server.vswitch_id) else {
        let error = Some(Finding::error(
            Leg::Reverse,
            Code::RouteNotFound,
            &server.vswitch_id,
            format!("vSwitch `{}` no longer exists", server.vswitch_id),
            Site::None,
        ));
        return Reply {
            hops,
            warnings: Vec::new(),
            error,
        };
    };
    let mut walk = Walk::new(t, Leg::Reverse, packet.reply(), origin);
    walk.want_vpc = Some(client.vpc_id.clone());
    walk.limit = limit;
    let arrived = walk.trace();
    hops.append(&mut walk.hops);
    let warnings = std::mem::take(&mut walk.warnings);
    let error = match arrived {
        Err(f) => Some(f),
        Ok(a) if a.vpc_id != client.vpc_id => Some(Finding::error(
            Leg::Reverse,
            Code::CidrOverlap,
            &a.vpc_id,
            format!(
                "the reply to `{}` is delivered inside `{}`, not `{}`: their CIDR blocks overlap",
                client.ip, a.vpc_id, client.vpc_id
            ),
            if a.vpc_id == server.vpc_id {
                Site::None
            } else {
                Site::Route {
                    origin_vswitch: server.vswitch_id.clone(),
                    dst_ip: client.ip,
                    want_vpc: Some(client.vpc_id.clone()),
                }
            },
        )),
        Ok(_) => {
            hops.extend(eni_hop(client));
            if let Some(i) = &client.instance_id {
                hops.push(vm_hop(t, i));
            }
            None
        }
    };
    Reply {
        hops,
        warnings,
        error,
    }
}
