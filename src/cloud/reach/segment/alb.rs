//! ALB pieces of the walk (§5.2, §8.3.4 D1): the hidden route that delivers a back-to-origin
//! address (`100.64.0.0/10`, §5.2.2) to its ALB zone inside the ALB's own VPC.

use crate::cloud::reach::topology::Topology;
use crate::cloud::vpc::VSwitch;
use std::net::Ipv4Addr;

/// The vSwitch of the ALB zone whose back-to-origin address is `ip`, when that ALB lives in
/// `vpc_id` (the "hidden route" of S3 step 21's reply; **ASSUMED** a /32 that wins every
/// lookup in the ALB's VPC).
pub fn back_to_origin_vswitch<'w>(
    t: &Topology<'w>,
    vpc_id: &str,
    ip: Ipv4Addr,
) -> Option<&'w VSwitch> {
    if !crate::cloud::vpc::cgnat().is_some_and(|g| g.contains(&ip)) {
        return None;
    }
    let w = t.world;
    w.alb
        .load_balancers
        .values()
        .filter(|lb| lb.vpc_id == vpc_id)
        .flat_map(|lb| lb.zones.iter())
        .find(|z| z.back_to_origin == ip)
        .and_then(|z| w.vswitches.get(&z.vswitch_id))
}
