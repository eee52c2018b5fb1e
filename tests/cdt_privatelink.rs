//! Cross-region PrivateLink traffic billed by CDT (`network-model.md` 4.6, issue 17), through
//! the gateway and `World::bill`: the exact bill lines per account, hour, region pair and link
//! type; the charges name the endpoint as a `privatelink` link; intra-region PrivateLink traffic
//! is not a CDT charge; `CrossRegionBandwidth` caps what is delivered (and billed); the
//! service's `Payer` decides who pays. The world is `corpus/worlds/cdt-privatelink.json`
//! (the corpus scenario `corpus/cdt-privatelink.test.json` walks the same story).

#[path = "gateway_support/mod.rs"]
mod gateway_support;

use gateway_support::{gateway, Sim, A, B};
use ramsim::cloud::time::Timestamp;
use ramsim::cloud::traffic::bill::{cny, BillQuery};
use ramsim::cloud::traffic::{Amount, FlowSpec, BYTES_PER_GB};
use ramsim::cloud::World;
use serde_json::Value;

const HZ: &str = "cn-hangzhou";
const SH: &str = "cn-shanghai";

struct Story {
    sim: Sim,
    /// Cross-region endpoint (Shanghai) to the service whose consumer pays, 100 Mbit/s.
    ep_consumer_pays: String,
    /// Intra-region endpoint (Hangzhou) to the same service.
    ep_local: String,
    /// Cross-region endpoint to the service whose provider pays (default 1000 Mbit/s).
    ep_provider_pays: String,
}

fn s(v: &Value, key: &str) -> String {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("no `{key}` in {v}"))
        .to_string()
}

fn vswitch(sim: &Sim, owner: &str, vpc: &str, zone: &str) -> String {
    let w = &sim.gw.state.world;
    let vpc = w.vpc_by_name(owner, vpc).expect("vpc").vpc_id.clone();
    let id = w
        .vswitches_of(&vpc)
        .find(|v| v.zone_id == zone)
        .unwrap_or_else(|| panic!("no vSwitch of {vpc} in {zone}"))
        .vswitch_id
        .clone();
    id
}

fn group(sim: &Sim, name: &str) -> String {
    sim.gw
        .state
        .world
        .ecs()
        .security_groups
        .values()
        .find(|g| g.name == name)
        .unwrap_or_else(|| panic!("no security group {name}"))
        .security_group_id
        .clone()
}

fn instance(sim: &Sim, name: &str) -> String {
    sim.gw
        .state
        .world
        .ecs()
        .instances
        .values()
        .find(|i| i.instance_name == name)
        .unwrap_or_else(|| panic!("no instance {name}"))
        .instance_id
        .to_string()
}

/// An NLB-backed endpoint service of B in Hangzhou, open to Shanghai and to A.
fn service(sim: &mut Sim, n: u8, payer: &str) -> String {
    let (svc_h, svc_i) = (
        vswitch(sim, B, "svc", "cn-hangzhou-h"),
        vswitch(sim, B, "svc", "cn-hangzhou-i"),
    );
    let svc = sim
        .gw
        .state
        .world
        .vpc_by_name(B, "svc")
        .expect("svc")
        .vpc_id
        .clone();
    let (web1, web2) = (instance(sim, "web1"), instance(sim, "web2"));
    let nlb = s(
        &sim.ok(
            "root@B",
            &format!(
                "aliyun nlb CreateLoadBalancer --RegionId {HZ} --LoadBalancerType network --LoadBalancerName NLB{n} --AddressType Intranet --VpcId {svc} --ZoneMappings.1.ZoneId cn-hangzhou-h --ZoneMappings.1.VSwitchId {svc_h} --ZoneMappings.2.ZoneId cn-hangzhou-i --ZoneMappings.2.VSwitchId {svc_i} --LoadBalancerBillingConfig.PayType PostPay"
            ),
        ),
        "LoadbalancerId",
    );
    let rs = s(
        &sim.ok(
            "root@B",
            &format!("aliyun nlb CreateServerGroup --RegionId {HZ} --ServerGroupName RS{n} --ServerGroupType Instance --Protocol TCP --VpcId {svc}"),
        ),
        "ServerGroupId",
    );
    sim.ok(
        "root@B",
        &format!("aliyun nlb AddServersToServerGroup --RegionId {HZ} --ServerGroupId {rs} --Servers.1.ServerId {web1} --Servers.1.ServerType Ecs --Servers.1.Port 80 --Servers.2.ServerId {web2} --Servers.2.ServerType Ecs --Servers.2.Port 80"),
    );
    sim.ok(
        "root@B",
        &format!("aliyun nlb CreateListener --RegionId {HZ} --LoadBalancerId {nlb} --ListenerProtocol TCP --ListenerPort 80 --ServerGroupId {rs}"),
    );
    let epsrv = s(
        &sim.ok(
            "root@B",
            &format!("aliyun privatelink CreateVpcEndpointService --RegionId {HZ} --ServiceResourceType nlb --AutoAcceptEnabled true --Payer {payer} --SupportedRegionList.1 {SH} --Resource.1.ResourceType nlb --Resource.1.ResourceId {nlb} --Resource.1.ZoneId cn-hangzhou-h --Resource.2.ResourceType nlb --Resource.2.ResourceId {nlb} --Resource.2.ZoneId cn-hangzhou-i"),
        ),
        "ServiceId",
    );
    sim.ok(
        "root@B",
        &format!("aliyun privatelink AddUserToVpcEndpointService --RegionId {HZ} --ServiceId {epsrv} --UserId {A}"),
    );
    epsrv
}

fn story() -> Story {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/worlds/cdt-privatelink.json"),
    )
    .expect("world file");
    let world: Value = serde_json::from_str(&text).expect("world json");
    let mut sim = gateway(&world);
    let svc1 = service(&mut sim, 1, "Endpoint");
    let svc2 = service(&mut sim, 2, "EndpointService");
    let remote = sim
        .gw
        .state
        .world
        .vpc_by_name(A, "remote")
        .expect("remote")
        .vpc_id
        .clone();
    let local = sim
        .gw
        .state
        .world
        .vpc_by_name(A, "local")
        .expect("local")
        .vpc_id
        .clone();
    let (ra, rb) = (
        vswitch(&sim, A, "remote", "cn-shanghai-a"),
        vswitch(&sim, A, "remote", "cn-shanghai-b"),
    );
    let lh = vswitch(&sim, A, "local", "cn-hangzhou-h");
    let (g_remote, g_local) = (group(&sim, "remote-ep"), group(&sim, "local-ep"));
    let ep_consumer_pays = s(
        &sim.ok(
            "root@A",
            &format!("aliyun privatelink CreateVpcEndpoint --RegionId {SH} --VpcId {remote} --ServiceId {svc1} --ServiceRegionId {HZ} --CrossRegionBandwidth 100 --SecurityGroupId.1 {g_remote} --Zone.1.ZoneId cn-shanghai-a --Zone.1.VSwitchId {ra} --Zone.2.ZoneId cn-shanghai-b --Zone.2.VSwitchId {rb}"),
        ),
        "EndpointId",
    );
    let ep_local = s(
        &sim.ok(
            "root@A",
            &format!("aliyun privatelink CreateVpcEndpoint --RegionId {HZ} --VpcId {local} --ServiceId {svc1} --SecurityGroupId.1 {g_local} --Zone.1.ZoneId cn-hangzhou-h --Zone.1.VSwitchId {lh}"),
        ),
        "EndpointId",
    );
    let ep_provider_pays = s(
        &sim.ok(
            "root@A",
            &format!("aliyun privatelink CreateVpcEndpoint --RegionId {SH} --VpcId {remote} --ServiceId {svc2} --ServiceRegionId {HZ} --SecurityGroupId.1 {g_remote} --Zone.1.ZoneId cn-shanghai-a --Zone.1.VSwitchId {ra} --Zone.2.ZoneId cn-shanghai-b --Zone.2.VSwitchId {rb}"),
        ),
        "EndpointId",
    );
    Story {
        sim,
        ep_consumer_pays,
        ep_local,
        ep_provider_pays,
    }
}

fn world(st: &mut Story) -> &mut World {
    &mut st.sim.gw.state.world
}

/// Sends `volume` GB (or `rate` Mbit/s) for an hour from `from` to endpoint `ep`'s domain
/// (its first zone's address, through the endpoint), starting at `hour` (hours after 00:00).
fn send(w: &mut World, from: &str, ep: &str, amount: Amount, hour: i64) -> (u64, u64, Vec<String>) {
    let start = Timestamp::parse("2025-01-01T00:00:00Z")
        .expect("time")
        .plus(hour * 3600);
    let out = w
        .send_flow(&FlowSpec {
            from: format!("ecs:{from}"),
            to: format!("ep:{ep}"),
            protocol: "tcp".into(),
            port: Some(80),
            amount,
            duration_secs: 3600,
            start: Some(start),
        })
        .expect("the flow is describable");
    assert!(
        out.flow.reachable,
        "{from} -> {ep}: {:?} {:?}",
        out.flow.code, out.flow.detail
    );
    (
        out.flow.delivered_bytes,
        out.flow.dropped_bytes(),
        out.flow.links.clone(),
    )
}

fn gb(n: u64) -> Amount {
    Amount::Volume(n * BYTES_PER_GB)
}

/// The bill as `account hour from->to link GB price(source) fee` lines.
fn lines(w: &World, account: Option<&str>) -> Vec<String> {
    let bill = w
        .bill(&BillQuery {
            account: account.map(str::to_string),
            ..BillQuery::default()
        })
        .expect("bill");
    bill.lines
        .iter()
        .map(|l| {
            format!(
                "{} {} {}->{} {} {}B {}({}) {}",
                l.account,
                l.hour,
                l.source_region,
                l.dest_region,
                l.link_type,
                l.bytes,
                l.micro_cny_per_gb,
                l.price_source.as_str(),
                cny(l.fee_units)
            )
        })
        .collect()
}

#[test]
fn cross_region_privatelink_is_billed_by_cdt_per_account_pair_and_link_type() {
    let mut st = story();
    let (ep1, ep_local, ep2) = (
        st.ep_consumer_pays.clone(),
        st.ep_local.clone(),
        st.ep_provider_pays.clone(),
    );
    let w = world(&mut st);
    // Hour 0: 40 GB Shanghai -> Hangzhou through the consumer-paid endpoint; 500 GB inside
    // Hangzhou through the intra-region endpoint.
    let (d, lost, links) = send(w, "client-sh", &ep1, gb(40), 0);
    assert_eq!((d, lost), (40 * BYTES_PER_GB, 0));
    assert_eq!(links, vec![ep1.clone()], "the endpoint is the metered link");
    let (d, _, links) = send(w, "client-hz", &ep_local, gb(500), 0);
    assert_eq!(d, 500 * BYTES_PER_GB);
    assert!(links.is_empty(), "an intra-region endpoint is no CDT link");
    // Hour 1: 200 Mbit/s for an hour over the 100 Mbit/s CrossRegionBandwidth: 45 GB arrive.
    let (d, lost, _) = send(w, "client-sh", &ep1, Amount::Rate(200_000_000), 1);
    assert_eq!((d, lost), (45 * BYTES_PER_GB, 45 * BYTES_PER_GB));
    // Hour 2: 20 GB through the provider-paid endpoint (default 1000 Mbit/s: no loss).
    let (d, lost, _) = send(w, "client-sh", &ep2, gb(20), 2);
    assert_eq!((d, lost), (20 * BYTES_PER_GB, 0));

    // The world file prices Shanghai-Hangzhou Gold at 0.50 CNY/GB.
    assert_eq!(
        lines(w, None),
        vec![
            format!("{A} 2025-01-01T00:00:00Z cn-shanghai->cn-hangzhou Gold 40000000000B 500000(world) 20.00"),
            format!("{A} 2025-01-01T01:00:00Z cn-shanghai->cn-hangzhou Gold 45000000000B 500000(world) 22.50"),
            format!("{B} 2025-01-01T02:00:00Z cn-shanghai->cn-hangzhou Gold 20000000000B 500000(world) 10.00"),
        ]
    );
    let per_account = |w: &World, a: &str| {
        cny(w
            .bill(&BillQuery {
                account: Some(a.to_string()),
                ..BillQuery::default()
            })
            .expect("bill")
            .total_units())
    };
    assert_eq!(per_account(w, A), "42.50");
    assert_eq!(per_account(w, B), "10.00");

    // Every charge is a `privatelink` charge of a cross-region endpoint, sent by its VPC.
    let remote = w.vpc_by_name(A, "remote").expect("remote").vpc_id.clone();
    let charges: Vec<(String, String, String, String, u128)> = w
        .charge_refs()
        .into_iter()
        .filter_map(|r| w.charge(r))
        .map(|c| {
            (
                c.service.to_string(),
                c.link_id.to_string(),
                c.sender_id.to_string(),
                c.account.to_string(),
                c.fee_units(),
            )
        })
        .collect();
    let units = |cny: u128| cny * ramsim::cloud::traffic::bill::UNITS_PER_CNY / 100;
    let mut expected = vec![
        (
            "privatelink".to_string(),
            ep1.clone(),
            remote.clone(),
            A.to_string(),
            units(2000),
        ),
        (
            "privatelink".to_string(),
            ep1.clone(),
            remote.clone(),
            A.to_string(),
            units(2250),
        ),
        (
            "privatelink".to_string(),
            ep2.clone(),
            remote.clone(),
            B.to_string(),
            units(1000),
        ),
    ];
    let mut got = charges;
    got.sort();
    expected.sort();
    assert_eq!(got, expected);
}

#[test]
fn intra_region_privatelink_alone_is_not_billed() {
    let mut st = story();
    let ep_local = st.ep_local.clone();
    let w = world(&mut st);
    for hour in 0..3 {
        send(w, "client-hz", &ep_local, gb(1000), hour);
    }
    assert!(lines(w, None).is_empty(), "{:?}", lines(w, None));
    assert!(w.charge_refs().is_empty());
}

#[test]
fn a_deleted_endpoint_stays_billed_and_unreachable_flows_cost_nothing() {
    let mut st = story();
    let ep1 = st.ep_consumer_pays.clone();
    send(world(&mut st), "client-sh", &ep1, gb(10), 0);
    let before = lines(world(&mut st), Some(A));
    assert_eq!(before.len(), 1);
    for zone in ["cn-shanghai-a", "cn-shanghai-b"] {
        st.sim.ok(
            "root@A",
            &format!("aliyun privatelink RemoveZoneFromVpcEndpoint --RegionId {SH} --EndpointId {ep1} --ZoneId {zone}"),
        );
    }
    st.sim.ok(
        "root@A",
        &format!("aliyun privatelink DeleteVpcEndpoint --RegionId {SH} --EndpointId {ep1}"),
    );
    // The endpoint is gone: a new flow to it cannot be described or is not sent; the bill of
    // what was sent keeps its line.
    let w = world(&mut st);
    let start = Timestamp::parse("2025-01-01T01:00:00Z").expect("time");
    let after = w.send_flow(&FlowSpec {
        from: "ecs:client-sh".into(),
        to: format!("ep:{ep1}"),
        protocol: "tcp".into(),
        port: Some(80),
        amount: gb(10),
        duration_secs: 3600,
        start: Some(start),
    });
    if let Ok(out) = after {
        assert!(!out.flow.reachable);
        assert_eq!(out.flow.delivered_bytes, 0);
    }
    assert_eq!(lines(w, Some(A)), before);
}
