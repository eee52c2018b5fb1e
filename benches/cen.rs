//! CEN benchmarks (issue 13 Performance). Figures go to BENCHMARKS.md. Run with a short
//! measurement, e.g. `cargo bench --bench cen -- --measurement-time 5`.
//!
//! The world: 10 CENs of account A, each with an Enterprise transit router in the same 10
//! regions (100 TRs), each CEN's TRs chained by DataTransfer peer attachments (region k ↔
//! k + 1), and 2,000 VPCs with one vSwitch each, attached to the TR of their region (200 VPC
//! attachments per CEN), every attachment associated with and propagated into its TR's
//! system table.
//!
//! * `cen/cycle`: CreateTransitRouterVpcAttachment of a spare VPC → associate → propagate →
//!   CreateRouteEntry (VPC route to the attachment) → a reach analysis from it into a VPC of
//!   the next region (two TRs) → DeleteTransitRouterVpcAttachment with Force; five gateway
//!   calls (authorize + apply + audit) and one analysis per iteration.
//! * `cen/propagation-after-one-change`: one propagation of a VPC attachment disabled or
//!   enabled again (a gateway call), then `World::tr_routes` (every TR table of every CEN, at
//!   the fixed point): the incremental recomputation of the destinations that change.
//! * `cen/propagation-after-peer-change`: the same for a peer attachment's association (its
//!   CEN's peer edges change: the destinations learned or offered over the changed edge, 180
//!   of that CEN's 200, are recomputed).
//! * `cen/propagation-after-tr-change`: a TR of CEN 0 created in an eleventh region or deleted
//!   again, then `World::tr_routes`.
//! * `cen/propagation-from-scratch`: the reference, every table of every CEN computed from
//!   scratch (`World::tr_routes_from_scratch`), for comparison.
//! * `cen/reach-two-trs`: one cross-region analysis through two TRs on the unchanged world.
//! * `cen-list/{attachments,route-entries}/<n>`: one page (10 rows) of
//!   ListTransitRouterAttachments (by CenId) and ListTransitRouterRouteEntries (a TR system
//!   table) on worlds of n = 200 and 2,000 VPC attachments: the cost of a page must not grow
//!   with the world.

#[global_allocator]
static GLOBAL: ramsim::alloc::Allocator = ramsim::alloc::Allocator;

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use ramsim::api::{ApiRequest, Envelope, Gateway, SimState};
use ramsim::cloud::packet::Protocol;
use ramsim::cloud::reach::{Analyzer, Probe, Source, Target};
use serde_json::{json, Map, Value};
use std::path::Path;

const A: &str = "1234567890123456";
const REGIONS: [&str; 10] = [
    "cn-hangzhou",
    "cn-shanghai",
    "cn-qingdao",
    "cn-beijing",
    "cn-zhangjiakou",
    "cn-huhehaote",
    "cn-shenzhen",
    "cn-guangzhou",
    "cn-chengdu",
    "cn-wulanchabu",
];
const VPCS: usize = 2_000;

/// VPC `i`: region `i / 10 % 10`, CEN `i % 10`, CIDR `10.<i/250>.<i%250>.0/24`.
fn region_of(i: usize) -> &'static str {
    REGIONS[i / 10 % 10]
}

fn world(n: usize) -> SimState {
    // One spare VPC per region for the cycle (not attached by the setup).
    let mut vpcs: Vec<Value> = (0..n)
        .map(|i| {
            let cidr = format!("10.{}.{}.0/24", i / 250, i % 250);
            json!({"owner": A, "region_id": region_of(i), "cidr_block": cidr, "name": format!("v{i}"),
                   "vswitches": [{"zone_id": format!("{}-a", region_of(i)), "cidr_block": cidr}]})
        })
        .collect();
    for (k, r) in REGIONS.iter().enumerate() {
        let cidr = format!("172.16.{k}.0/24");
        vpcs.push(
            json!({"owner": A, "region_id": r, "cidr_block": cidr, "name": format!("spare{k}"),
                         "vswitches": [{"zone_id": format!("{r}-a"), "cidr_block": cidr}]}),
        );
    }
    let cens: Vec<Value> = (0..10)
        .map(|c| json!({"owner": A, "name": format!("c{c}"), "transit_routers": REGIONS}))
        .collect();
    let admin = json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": ["cen:*", "vpc:*"], "Resource": "*"}]});
    let w = json!({
        "options": {"quotas": {"vpcs_per_account_region": 1000}},
        "accounts": [{"uid": A, "alias": "A"}],
        "vpcs": vpcs,
        "cens": cens,
        "identity": {"accounts": {"A": {"policies": [{"name": "net-admin", "document": admin}],
            "users": [{"name": "ops", "policies": ["net-admin"]}]}}}
    });
    SimState::from_world_json(&w.to_string(), Path::new(".")).expect("bench world builds")
}

fn request(action: &str, params: &[(&str, &str)]) -> ApiRequest {
    let mut map = Map::new();
    for (k, v) in params {
        map.insert((*k).to_string(), Value::String((*v).to_string()));
    }
    ApiRequest {
        product: None,
        action: action.into(),
        params: map,
    }
}

fn ok(g: &mut Gateway, who: &Envelope, action: &str, params: &[(&str, &str)]) -> Value {
    let r = g.call(who, &request(action, params));
    assert!(r.is_success(), "{action}: {}", r.body);
    r.body.into_value()
}

struct Net {
    /// TR id by (CEN index, region index).
    tr: Vec<Vec<String>>,
    /// System table by TR id.
    table: std::collections::HashMap<String, String>,
}

fn setup(g: &mut Gateway, root: &Envelope) -> Net {
    let cen = g.state.world.cen().clone();
    let mut cen_ids: Vec<(String, String)> = cen
        .cens
        .values()
        .map(|c| (c.name.clone(), c.cen_id.clone()))
        .collect();
    cen_ids.sort_by_key(|(n, _)| n[1..].parse::<usize>().unwrap_or(0));
    let mut tr = vec![vec![String::new(); 10]; 10];
    let mut table = std::collections::HashMap::new();
    for t in cen.transit_routers.values() {
        let c = cen_ids.iter().position(|(_, id)| *id == t.cen_id).unwrap();
        let r = REGIONS.iter().position(|x| *x == t.region_id).unwrap();
        tr[c][r] = t.transit_router_id.clone();
        table.insert(t.transit_router_id.clone(), t.system_route_table_id.clone());
    }
    let link = |g: &mut Gateway, att: &str, tbl: &str| {
        let p = [
            ("TransitRouterAttachmentId", att),
            ("TransitRouterRouteTableId", tbl),
        ];
        ok(
            g,
            root,
            "AssociateTransitRouterAttachmentWithRouteTable",
            &p,
        );
        ok(g, root, "EnableTransitRouterRouteTablePropagation", &p);
    };
    // Peer attachments: region k <-> k + 1 in every CEN.
    for row in &tr {
        for k in 0..9 {
            let b = ok(
                g,
                root,
                "CreateTransitRouterPeerAttachment",
                &[
                    ("RegionId", REGIONS[k]),
                    ("TransitRouterId", &row[k]),
                    ("PeerTransitRouterId", &row[k + 1]),
                    ("PeerTransitRouterRegionId", REGIONS[k + 1]),
                    ("BandwidthType", "DataTransfer"),
                    ("Bandwidth", "100"),
                ],
            );
            let att = b["TransitRouterAttachmentId"].as_str().unwrap().to_string();
            link(g, &att, &table[&row[k]]);
            link(g, &att, &table[&row[k + 1]]);
        }
    }
    let vpcs: Vec<(String, String, String, String)> = g
        .state
        .world
        .vpcs()
        .map(|v| {
            let s = g.state.world.vswitches_of(&v.vpc_id).next().unwrap();
            (
                v.name.clone(),
                v.vpc_id.clone(),
                s.vswitch_id.clone(),
                v.system_route_table_id.clone(),
            )
        })
        .collect();
    for (name, vpc, vsw, rt) in &vpcs {
        let Some(i) = name.strip_prefix('v').and_then(|n| n.parse::<usize>().ok()) else {
            continue;
        };
        let r = region_of(i);
        let t = &tr[i % 10][i / 10 % 10];
        let zone = format!("{r}-a");
        let b = ok(
            g,
            root,
            "CreateTransitRouterVpcAttachment",
            &[
                ("RegionId", r),
                ("TransitRouterId", t),
                ("VpcId", vpc),
                ("ZoneMappings.1.VSwitchId", vsw),
                ("ZoneMappings.1.ZoneId", &zone),
            ],
        );
        let att = b["TransitRouterAttachmentId"].as_str().unwrap().to_string();
        link(g, &att, &table[t]);
        ok(
            g,
            root,
            "CreateRouteEntry",
            &[
                ("RegionId", r),
                ("RouteTableId", rt),
                ("DestinationCidrBlock", "10.0.0.0/8"),
                ("NextHopType", "Attachment"),
                ("NextHopId", &att),
            ],
        );
    }
    g.state.audit.clear();
    Net { tr, table }
}

fn vpc_named<'a>(state: &'a SimState, name: &str) -> (&'a str, String) {
    let v = state.world.vpcs().find(|v| v.name == name).unwrap();
    let s = state.world.vswitches_of(&v.vpc_id).next().unwrap();
    (&v.vpc_id, s.vswitch_id.clone())
}

fn bench_cen(c: &mut Criterion) {
    let mut g = Gateway::new(world(VPCS));
    let root = Envelope {
        caller: "root@A".into(),
        ..Envelope::default()
    };
    let ops = Envelope {
        caller: "ops".into(),
        ..Envelope::default()
    };
    let net = setup(&mut g, &root);
    assert_eq!(g.state.world.cen().transit_routers.len(), 100);
    assert_eq!(
        g.state
            .world
            .cen()
            .attachments
            .values()
            .filter(|a| a.vpc_id().is_some())
            .count(),
        VPCS
    );
    // v0 (region 0, CEN 0) -> v10 (region 1, CEN 0): through the TRs of regions 0 and 1.
    let (_, src_vsw) = vpc_named(&g.state, "v0");
    let (dst_vpc, _) = vpc_named(&g.state, "v10");
    let probe = Probe {
        source: Source::VSwitch {
            vswitch_id: src_vsw,
            ip: "10.0.0.20".parse().unwrap(),
        },
        target: Target::Ip {
            vpc_id: dst_vpc.to_string(),
            ip: "10.0.10.20".parse().unwrap(),
        },
        protocol: Protocol::Icmp,
        source_port: None,
        target_port: None,
    };
    {
        let v = Analyzer::new(&g.state.world)
            .analyze(&probe)
            .expect("analysis");
        let codes: Vec<&str> = v.codes().into_iter().map(|c| c.as_str()).collect();
        assert_eq!(codes, ["DST_IP_NOT_FOUND"], "crosses two TRs");
    }
    // The cycle's spare VPC (region 0) and its target in region 1.
    let spare = g.state.world.vpcs().find(|v| v.name == "spare0").unwrap();
    let (spare_vpc, spare_rt) = (spare.vpc_id.clone(), spare.system_route_table_id.clone());
    let spare_vsw = g
        .state
        .world
        .vswitches_of(&spare_vpc)
        .next()
        .unwrap()
        .vswitch_id
        .clone();
    let tr0 = net.tr[0][0].clone();
    let table0 = net.table[&tr0].clone();
    let cycle_probe = Probe {
        source: Source::VSwitch {
            vswitch_id: spare_vsw.clone(),
            ip: "172.16.0.20".parse().unwrap(),
        },
        ..probe.clone()
    };
    let mut group = c.benchmark_group("cen");
    group.throughput(Throughput::Elements(5));
    group.bench_function("cycle", |b| {
        b.iter(|| {
            let att = ok(
                &mut g,
                &ops,
                "CreateTransitRouterVpcAttachment",
                &[
                    ("RegionId", REGIONS[0]),
                    ("TransitRouterId", &tr0),
                    ("VpcId", &spare_vpc),
                    ("ZoneMappings.1.VSwitchId", &spare_vsw),
                    ("ZoneMappings.1.ZoneId", "cn-hangzhou-a"),
                ],
            )["TransitRouterAttachmentId"]
                .as_str()
                .unwrap()
                .to_string();
            let p = [
                ("TransitRouterAttachmentId", att.as_str()),
                ("TransitRouterRouteTableId", table0.as_str()),
            ];
            ok(
                &mut g,
                &ops,
                "AssociateTransitRouterAttachmentWithRouteTable",
                &p,
            );
            ok(&mut g, &ops, "EnableTransitRouterRouteTablePropagation", &p);
            ok(
                &mut g,
                &ops,
                "CreateRouteEntry",
                &[
                    ("RegionId", REGIONS[0]),
                    ("RouteTableId", &spare_rt),
                    ("DestinationCidrBlock", "10.0.0.0/8"),
                    ("NextHopType", "Attachment"),
                    ("NextHopId", &att),
                ],
            );
            black_box(Analyzer::new(&g.state.world).analyze(&cycle_probe).ok());
            ok(
                &mut g,
                &ops,
                "DeleteTransitRouterVpcAttachment",
                &[("TransitRouterAttachmentId", &att), ("Force", "true")],
            );
            g.state.audit.clear();
        })
    });
    group.throughput(Throughput::Elements(1));
    // One association changed, then every table recomputed.
    let spare_att = ok(
        &mut g,
        &root,
        "CreateTransitRouterVpcAttachment",
        &[
            ("RegionId", REGIONS[0]),
            ("TransitRouterId", &tr0),
            ("VpcId", &spare_vpc),
            ("ZoneMappings.1.VSwitchId", &spare_vsw),
            ("ZoneMappings.1.ZoneId", "cn-hangzhou-a"),
        ],
    )["TransitRouterAttachmentId"]
        .as_str()
        .unwrap()
        .to_string();
    let p = [
        ("TransitRouterAttachmentId", spare_att.as_str()),
        ("TransitRouterRouteTableId", table0.as_str()),
    ];
    ok(
        &mut g,
        &root,
        "EnableTransitRouterRouteTablePropagation",
        &p,
    );
    let now = g.state.world.now();
    // Sanity: the incremental tables are the reference's.
    assert_eq!(
        g.state.world.tr_routes(now).to_map(),
        g.state.world.tr_routes_from_scratch(now)
    );
    let mut on = true;
    group.bench_function("propagation-after-one-change", |b| {
        b.iter(|| {
            let api = if on {
                "DisableTransitRouterRouteTablePropagation"
            } else {
                "EnableTransitRouterRouteTablePropagation"
            };
            on = !on;
            ok(&mut g, &root, api, &p);
            black_box(g.state.world.tr_routes(now).get(&table0).map(|t| t.len()))
        })
    });
    // A peer attachment of CEN 0 (regions 0 ↔ 1), seen from region 1's table.
    let peer = g
        .state
        .world
        .cen()
        .attachments
        .values()
        .find(|a| a.ends() == [tr0.as_str(), net.tr[0][1].as_str()])
        .unwrap()
        .attachment_id
        .clone();
    let table1 = net.table[&net.tr[0][1]].clone();
    let pp = [
        ("TransitRouterAttachmentId", peer.as_str()),
        ("TransitRouterRouteTableId", table1.as_str()),
    ];
    let mut associated = true;
    group.bench_function("propagation-after-peer-change", |b| {
        b.iter(|| {
            let api = if associated {
                "DissociateTransitRouterAttachmentFromRouteTable"
            } else {
                "AssociateTransitRouterAttachmentWithRouteTable"
            };
            associated = !associated;
            ok(&mut g, &root, api, &pp);
            black_box(g.state.world.tr_routes(now).get(&table0).map(|t| t.len()))
        })
    });
    if !associated {
        ok(
            &mut g,
            &root,
            "AssociateTransitRouterAttachmentWithRouteTable",
            &pp,
        );
    }
    g.state.audit.clear();
    let cen0 = g.state.world.cen().transit_routers[&tr0].cen_id.clone();
    let mut extra: Option<String> = None;
    group.bench_function("propagation-after-tr-change", |b| {
        b.iter(|| {
            match extra.take() {
                None => {
                    let v = ok(
                        &mut g,
                        &root,
                        "CreateTransitRouter",
                        &[("RegionId", "cn-heyuan"), ("CenId", &cen0)],
                    );
                    extra = v["TransitRouterId"].as_str().map(str::to_string);
                }
                Some(tr) => {
                    ok(
                        &mut g,
                        &root,
                        "DeleteTransitRouter",
                        &[("RegionId", "cn-heyuan"), ("TransitRouterId", &tr)],
                    );
                }
            }
            g.state.audit.clear();
            black_box(g.state.world.tr_routes(now).get(&table0).map(|t| t.len()))
        })
    });
    if let Some(tr) = extra.take() {
        ok(
            &mut g,
            &root,
            "DeleteTransitRouter",
            &[("RegionId", "cn-heyuan"), ("TransitRouterId", &tr)],
        );
    }
    assert_eq!(
        g.state.world.tr_routes(now).to_map(),
        g.state.world.tr_routes_from_scratch(now)
    );
    g.state.audit.clear();
    group.bench_function("propagation-from-scratch", |b| {
        b.iter(|| black_box(g.state.world.tr_routes_from_scratch(now)))
    });
    let analyzer = Analyzer::new(&g.state.world);
    group.bench_function("reach-two-trs", |b| {
        b.iter(|| black_box(analyzer.analyze(&probe).expect("analysis")))
    });
    group.finish();
}

/// One page of the two big CEN lists on a small and a large world.
fn bench_lists(c: &mut Criterion) {
    let root = Envelope {
        caller: "root@A".into(),
        ..Envelope::default()
    };
    let mut group = c.benchmark_group("cen-list");
    group.throughput(Throughput::Elements(1));
    for n in [200, VPCS] {
        let mut g = Gateway::new(world(n));
        let net = setup(&mut g, &root);
        let cen0 = g.state.world.cen().transit_routers[&net.tr[0][0]]
            .cen_id
            .clone();
        let table = net.table[&net.tr[0][0]].clone();
        let atts = [("CenId", cen0.as_str()), ("MaxResults", "10")];
        let entries = [
            ("TransitRouterRouteTableId", table.as_str()),
            ("MaxResults", "10"),
        ];
        let total = ok(&mut g, &root, "ListTransitRouterAttachments", &atts)["TotalCount"].clone();
        assert_eq!(
            total,
            json!(n / 10 + 9),
            "VPC attachments + 9 peers of CEN 0"
        );
        group.bench_function(format!("attachments/{n}"), |b| {
            b.iter(|| {
                let v = ok(&mut g, &root, "ListTransitRouterAttachments", &atts);
                g.state.audit.clear();
                black_box(v)
            })
        });
        group.bench_function(format!("route-entries/{n}"), |b| {
            b.iter(|| {
                let v = ok(&mut g, &root, "ListTransitRouterRouteEntries", &entries);
                g.state.audit.clear();
                black_box(v)
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench_cen, bench_lists
}
criterion_main!(benches);
