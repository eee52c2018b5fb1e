//! The gateway's promises for the Cbn (CEN) and Alb products under random call sequences:
//!
//! * every call leaves exactly one `ApiCall` event, carrying the response's RequestId and
//!   error code;
//! * a call that fails (a check, a RAM denial, a bad parameter) leaves the world and the
//!   identity store byte-identical;
//! * the world's lookup indexes agree with its maps after every call, the TR tables can be
//!   computed, and an ALB's health answer and a reach analysis never panic;
//! * the same sequence run twice gives byte-identical audit logs and states.
//!
//! Calls pick their targets among what exists (CENs, transit routers, attachments, route
//! tables, ALBs, server groups), so that sequences go deep; a RAM user with a partial policy
//! makes some of them denials.

mod gateway_support;

use gateway_support::*;
use proptest::prelude::*;
use ramsim::api::Gateway;
use ramsim::cloud::World;
use serde_json::json;

fn world() -> serde_json::Value {
    fixture(json!({
        "seed": 11,
        "vpcs": [
            {"owner": A, "region_id": "cn-chengdu", "cidr_block": "172.16.0.0/12", "name": "vpc1",
             "vswitches": [{"zone_id": "cn-chengdu-a", "cidr_block": "172.16.0.0/24", "name": "vsw1"},
                           {"zone_id": "cn-chengdu-b", "cidr_block": "172.16.6.0/24", "name": "vsw2"}]},
            {"owner": A, "region_id": "cn-hangzhou", "cidr_block": "192.168.0.0/16", "name": "vpc2",
             "vswitches": [{"zone_id": "cn-hangzhou-h", "cidr_block": "192.168.8.0/24", "name": "vsw3"},
                           {"zone_id": "cn-hangzhou-i", "cidr_block": "192.168.7.0/24", "name": "vsw4"}]},
            {"owner": A, "region_id": "cn-chengdu", "cidr_block": "10.9.0.0/16", "name": "vpc3",
             "vswitches": [{"zone_id": "cn-chengdu-a", "cidr_block": "10.9.1.0/24", "name": "vsw5"},
                           {"zone_id": "cn-chengdu-b", "cidr_block": "10.9.2.0/24", "name": "vsw6"}]}
        ],
        "identity": {"accounts": {"A": {
            "policies": [{"name": "half", "document": {"Version": "1", "Statement": [
                {"Effect": "Allow", "Action": ["cen:Create*", "cen:List*", "alb:Create*", "alb:List*", "alb:Get*"], "Resource": "*"}]}}],
            "users": [{"name": "netops", "policies": ["half"]}]
        }}}
    }))
}

/// One abstract call: which API shape, who, and two selectors for its targets.
#[derive(Debug, Clone)]
struct Step {
    api: u8,
    user: bool,
    x: u8,
    y: u8,
}

fn step() -> impl Strategy<Value = Step> {
    (0u8..24, prop::bool::weighted(0.2), any::<u8>(), any::<u8>())
        .prop_map(|(api, user, x, y)| Step { api, user, x, y })
}

fn pick<T: Clone>(v: &[T], i: u8, none: T) -> T {
    if v.is_empty() {
        none
    } else {
        v[usize::from(i) % v.len()].clone()
    }
}

/// The CLI line of `s` against the current world.
fn line(w: &World, s: &Step) -> String {
    let cen = w.cen();
    let cens: Vec<String> = cen.cens.keys().cloned().collect();
    let trs: Vec<(String, String)> = cen
        .transit_routers
        .values()
        .map(|t| (t.transit_router_id.clone(), t.region_id.clone()))
        .collect();
    let atts: Vec<String> = cen.attachments.keys().cloned().collect();
    let tables: Vec<String> = cen.route_tables.keys().cloned().collect();
    let bwps: Vec<String> = cen.bandwidth_packages.keys().cloned().collect();
    let statics: Vec<String> = cen.static_entries.keys().cloned().collect();
    let alb = w.alb();
    let lbs: Vec<String> = alb.load_balancers.keys().cloned().collect();
    let groups: Vec<String> = alb.server_groups.keys().cloned().collect();
    let listeners: Vec<String> = alb.listeners.keys().cloned().collect();
    let vpcs: Vec<(String, String)> = w
        .vpcs()
        .filter(|v| v.owner_uid == A)
        .map(|v| (v.vpc_id.clone(), v.region_id.clone()))
        .collect();
    let (vpc, region) = pick(&vpcs, s.x, ("vpc-none".into(), "cn-chengdu".into()));
    let vsws: Vec<(String, String)> = w
        .vswitches_of(&vpc)
        .map(|v| (v.vswitch_id.clone(), v.zone_id.clone()))
        .collect();
    let z = |k: usize| {
        vsws.get(k)
            .cloned()
            .unwrap_or_else(|| ("vsw-none".into(), format!("{region}-a")))
    };
    let cen_id = pick(&cens, s.y, "cen-none".into());
    let (tr, tr_region) = pick(&trs, s.y, ("tr-none".into(), region.clone()));
    let (tr2, tr2_region) = pick(
        &trs,
        s.y.wrapping_add(1),
        ("tr-none".into(), region.clone()),
    );
    let att = pick(&atts, s.y, "tr-attach-none".into());
    let table = pick(&tables, s.x, "vtb-none".into());
    let bwp = pick(&bwps, s.y, "cenbwp-none".into());
    let lb = pick(&lbs, s.y, "alb-none".into());
    let group = pick(&groups, s.y, "sgp-none".into());
    let lsn = pick(&listeners, s.x, "lsn-none".into());
    let ip = ["192.168.7.100", "172.16.0.50", "47.96.0.1", "10.9.1.9"][usize::from(s.x % 4)];
    let dest = [
        "192.168.7.0/24",
        "100.64.0.0/10",
        "10.0.0.0/8",
        "172.16.0.0/24",
    ][usize::from(s.y % 4)];
    let (v1, z1) = z(0);
    let (v2, z2) = z(1);
    match s.api {
        0 => "aliyun cbn CreateCen --Name p".into(),
        1 => format!("aliyun cbn CreateTransitRouter --RegionId {region} --CenId {cen_id}"),
        2 => format!(
            "aliyun cbn CreateTransitRouterVpcAttachment --RegionId {region} --CenId {cen_id} --VpcId {vpc} --ZoneMappings.1.VSwitchId {v1} --ZoneMappings.1.ZoneId {z1} --ZoneMappings.2.VSwitchId {v2} --ZoneMappings.2.ZoneId {z2}{}",
            if s.y % 3 == 0 { " --AutoPublishRouteEnabled true" } else { "" }
        ),
        3 => format!("aliyun cbn AssociateTransitRouterAttachmentWithRouteTable --TransitRouterAttachmentId {att} --TransitRouterRouteTableId {table}"),
        4 => format!("aliyun cbn EnableTransitRouterRouteTablePropagation --TransitRouterAttachmentId {att} --TransitRouterRouteTableId {table}"),
        5 => format!("aliyun cbn DissociateTransitRouterAttachmentFromRouteTable --TransitRouterAttachmentId {att} --TransitRouterRouteTableId {table}"),
        6 => format!("aliyun cbn DisableTransitRouterRouteTablePropagation --TransitRouterAttachmentId {att} --TransitRouterRouteTableId {table}"),
        7 => "aliyun cbn CreateCenBandwidthPackage --Bandwidth 10 --GeographicRegionAId China --GeographicRegionBId China --BandwidthPackageChargeType PREPAY --Period 1 --PricingCycle Month".into(),
        8 => format!("aliyun cbn AssociateCenBandwidthPackage --CenId {cen_id} --CenBandwidthPackageId {bwp}"),
        9 => format!(
            "aliyun cbn CreateTransitRouterPeerAttachment --RegionId {tr_region} --CenId {cen_id} --TransitRouterId {tr} --PeerTransitRouterId {tr2} --PeerTransitRouterRegionId {tr2_region} --BandwidthType BandwidthPackage --CenBandwidthPackageId {bwp} --Bandwidth {}",
            [5, 10, 20][usize::from(s.x % 3)]
        ),
        10 => format!(
            "aliyun cbn CreateTransitRouterRouteEntry --TransitRouterRouteTableId {table} --TransitRouterRouteEntryDestinationCidrBlock {dest} --TransitRouterRouteEntryNextHopType {}",
            if s.x % 3 == 0 { "BlackHole".to_string() } else { format!("Attachment --TransitRouterRouteEntryNextHopId {att}") }
        ),
        11 => format!(
            "aliyun cbn DeleteTransitRouterRouteEntry --TransitRouterRouteEntryId {}",
            pick(&statics, s.x, "rte-none".into())
        ),
        12 => format!(
            "aliyun cbn DeleteTransitRouterVpcAttachment --TransitRouterAttachmentId {att}{}",
            if s.x % 2 == 0 { " --Force true" } else { "" }
        ),
        13 => format!("aliyun cbn DeleteTransitRouterPeerAttachment --TransitRouterAttachmentId {att} --Force true"),
        14 => {
            let rt = w.vpc(&vpc).map(|v| v.system_route_table_id.clone()).unwrap_or_default();
            format!("aliyun vpc CreateRouteEntry --RegionId {region} --RouteTableId {rt} --DestinationCidrBlock {dest} --NextHopType Attachment --NextHopId {att}")
        }
        15 => format!("aliyun cbn ListTransitRouterRouteEntries --TransitRouterRouteTableId {table}"),
        16 => format!(
            "aliyun alb CreateLoadBalancer --RegionId {region} --VpcId {vpc} --AddressType Intranet --LoadBalancerEdition Standard --LoadBalancerBillingConfig.PayType PostPay --ZoneMappings.1.ZoneId {z1} --ZoneMappings.1.VSwitchId {v1} --ZoneMappings.2.ZoneId {z2} --ZoneMappings.2.VSwitchId {v2}"
        ),
        17 => format!(
            "aliyun alb CreateServerGroup --RegionId {region} --ServerGroupName g --ServerGroupType {} --VpcId {vpc} --HealthCheckConfig.HealthCheckEnabled true",
            if s.y % 2 == 0 { "Ip" } else { "Instance" }
        ),
        18 => format!(
            "aliyun alb AddServersToServerGroup --RegionId {region} --ServerGroupId {group} --Servers.1.ServerId {ip} --Servers.1.ServerType Ip --Servers.1.ServerIp {ip} --Servers.1.Port 80 --Servers.1.RemoteIpEnabled {}",
            s.y % 4 != 0
        ),
        19 => format!(
            "aliyun alb RemoveServersFromServerGroup --RegionId {region} --ServerGroupId {group} --Servers.1.ServerId {ip} --Servers.1.ServerType Ip --Servers.1.ServerIp {ip} --Servers.1.Port 80"
        ),
        20 => format!(
            "aliyun alb CreateListener --RegionId {region} --LoadBalancerId {lb} --ListenerProtocol HTTP --ListenerPort {} --DefaultActions.1.Type ForwardGroup --DefaultActions.1.ForwardGroupConfig.ServerGroupTuples.1.ServerGroupId {group}",
            [80, 81][usize::from(s.x % 2)]
        ),
        21 => format!("aliyun alb GetListenerHealthStatus --RegionId {region} --ListenerId {lsn}"),
        22 => format!("aliyun alb DeleteListener --RegionId {region} --ListenerId {lsn}"),
        _ => format!("aliyun alb DeleteServerGroup --RegionId {region} --ServerGroupId {group}"),
    }
}

/// Runs `steps`, checking the promises after each call; returns the audit log and state.
fn run(steps: &[Step]) -> Result<(String, String, [usize; 3]), TestCaseError> {
    let mut gw = Gateway::new(state(&world()));
    let mut ok = 0;
    for (i, s) in steps.iter().enumerate() {
        let text = line(&gw.state.world, s);
        let who = if s.user { "netops" } else { "root@A" };
        let (r, _) = checked_call(&mut gw, i, who, &text)?;
        if r.is_success() {
            ok += 1;
        }
        let w = &gw.state.world;
        let _ = w.tr_routes(w.now());
    }
    let audit = serde_json::to_string(&gw.state.audit).expect("audit");
    let w = &gw.state.world;
    let depth = [ok, w.cen().attachments.len(), w.alb().listeners.len()];
    Ok((audit, gw.state.to_json().expect("state"), depth))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn cen_and_alb_calls_keep_the_gateway_promises(steps in prop::collection::vec(step(), 20..60)) {
        let (audit1, state1, _) = run(&steps)?;
        let (audit2, state2, _) = run(&steps)?;
        prop_assert!(audit1 == audit2, "the audit log differs between two runs");
        prop_assert!(state1 == state2, "the state differs between two runs");
    }
}

/// The generator reaches deep states: over fixed sequences, calls succeed often enough to build
/// transit routers, attachments, ALBs and server groups.
#[test]
fn sequences_build_real_networks() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let (mut total_ok, mut attachments, mut listeners) = (0, 0, 0);
    for _ in 0..20 {
        let steps = prop::collection::vec(step(), 60)
            .new_tree(&mut runner)
            .expect("steps")
            .current();
        let (_, _, [ok, a, l]) = run(&steps).expect("promises hold");
        total_ok += ok;
        attachments += a;
        listeners += l;
    }
    assert!(total_ok >= 120, "only {total_ok} successful calls in 1,200");
    assert!(
        attachments >= 5 && listeners >= 2,
        "{attachments} attachments, {listeners} listeners"
    );
}
