//! PrivateLink benchmarks (issue 12, "Performance"). Figures go to BENCHMARKS.md. Run one group
//! with a short measurement, e.g. `cargo bench --bench privatelink -- --measurement-time 5`.
//!
//! The world: 50 provider accounts, each with one VPC, 20 internal NLBs (two zones, a TCP/80
//! listener, a server group with a listening backend) and 20 endpoint services (one per NLB,
//! auto-accept off, every account whitelisted) — 1,000 services; six consumer accounts with
//! 501 VPCs (500 full, one for the cycle), each holding 20 connected endpoints (two zones each) to 20 different services —
//! 10,000 endpoints and 20,000 service-managed ENIs. Everything is created through
//! `Gateway::call`, as a user would, from a world file holding accounts, VPCs, groups and
//! instances.
//!
//! * `privatelink/cycle-1000-services-10000-endpoints`: CreateVpcEndpoint (consumer) →
//!   EnableVpcEndpointConnection (provider) → a reach from a consumer instance to the new
//!   endpoint (both zones) → RemoveZoneFromVpcEndpoint ×2 (DeleteVpcEndpoint refuses an
//!   endpoint with zones, `EndpointDependenceViolation`) → DeleteVpcEndpoint, each call
//!   authorized, applied and audited (events serialized to JSON); throughput counts the six
//!   steps (five gateway calls and the reach).
//! * `privatelink-reach/endpoint-to-nlb-backend`: one analysis from a consumer instance
//!   through an endpoint (both zones), the service and the NLB to its backend and back.

#[global_allocator]
static GLOBAL: ramsim::alloc::Allocator = ramsim::alloc::Allocator;

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use ramsim::api::{ApiRequest, Envelope, Gateway, SimState};
use ramsim::cloud::packet::Protocol;
use ramsim::cloud::reach::{Analyzer, Probe, Source, Target};
use serde_json::{json, Map, Value};
use std::path::Path;
use std::time::Instant;

const PROVIDERS: usize = 50;
const SERVICES_PER_PROVIDER: usize = 20;
const CONSUMER_VPCS: usize = 500;
const ENDPOINTS_PER_VPC: usize = 20;
/// VPCs per consumer account (the security-group quota is 100 per account and region).
const VPCS_PER_CONSUMER: usize = 100;
const REGION: &str = "cn-hangzhou";
const ZONES: [&str; 2] = ["cn-hangzhou-h", "cn-hangzhou-i"];

fn consumer_uid(j: usize) -> String {
    format!(
        "{:016}",
        9_000_000_000_000_000u64 + (j / VPCS_PER_CONSUMER) as u64
    )
}

fn consumer_alias(j: usize) -> String {
    format!("C{}", j / VPCS_PER_CONSUMER)
}

fn provider_uid(k: usize) -> String {
    format!("{:016}", 8_000_000_000_000_000u64 + k as u64)
}

/// Accounts, VPCs, groups and instances; the load balancers, services and endpoints are made
/// through the gateway by [`build`].
fn world_json() -> String {
    let mut accounts: Vec<Value> = (0..=CONSUMER_VPCS / VPCS_PER_CONSUMER)
        .map(|c| {
            let j = c * VPCS_PER_CONSUMER;
            json!({"uid": consumer_uid(j), "alias": consumer_alias(j), "privatelink_opened": true})
        })
        .collect();
    let mut vpcs = Vec::new();
    let mut groups = Vec::new();
    let mut instances = Vec::new();
    for k in 0..PROVIDERS {
        let o = provider_uid(k);
        accounts.push(json!({"uid": o, "alias": format!("P{k}"), "privatelink_opened": true}));
        vpcs.push(
            json!({"owner": o, "region_id": REGION, "cidr_block": "172.16.0.0/16",
            "name": format!("p{k}"), "vswitches": [
                {"zone_id": ZONES[0], "cidr_block": "172.16.1.0/24", "name": format!("p{k}h")},
                {"zone_id": ZONES[1], "cidr_block": "172.16.2.0/24", "name": format!("p{k}i")}]}),
        );
        groups.push(
            json!({"owner": o, "vpc": format!("p{k}"), "name": format!("pg{k}"),
            "ingress": [{"protocol": "tcp", "port_range": "80/80", "cidr": "0.0.0.0/0"}]}),
        );
        instances.push(
            json!({"owner": o, "name": format!("web{k}"), "vswitch": format!("p{k}h"),
            "security_groups": [format!("pg{k}")], "listening": "tcp/80"}),
        );
    }
    for j in 0..=CONSUMER_VPCS {
        let consumer = consumer_uid(j);
        vpcs.push(
            json!({"owner": consumer, "region_id": REGION, "cidr_block": "10.0.0.0/16",
            "name": format!("c{j}"), "vswitches": [
                {"zone_id": ZONES[0], "cidr_block": "10.0.1.0/24", "name": format!("c{j}h")},
                {"zone_id": ZONES[1], "cidr_block": "10.0.2.0/24", "name": format!("c{j}i")}]}),
        );
        groups.push(
            json!({"owner": consumer, "vpc": format!("c{j}"), "name": format!("cg{j}"),
            "ingress": [{"protocol": "tcp", "port_range": "80/80", "cidr": "10.0.0.0/8"}]}),
        );
        instances.push(json!({"owner": consumer, "name": format!("cli{j}"),
            "vswitch": format!("c{j}h"), "security_groups": [format!("cg{j}")]}));
    }
    json!({
        "options": {"quotas": {"vpcs_per_account_region": 1000}},
        "accounts": accounts,
        "vpcs": vpcs,
        "security_groups": groups,
        "instances": instances,
    })
    .to_string()
}

fn request(product: &str, action: &str, params: &[(&str, &str)]) -> ApiRequest {
    let mut map = Map::new();
    for (k, v) in params {
        map.insert((*k).to_string(), Value::String((*v).to_string()));
    }
    ApiRequest {
        product: Some(product.into()),
        action: action.into(),
        params: map,
    }
}

fn root(alias: &str) -> Envelope {
    Envelope {
        caller: format!("root@{alias}"),
        ..Envelope::default()
    }
}

/// Calls and returns the body, panicking (with the body) on an error: the world must build.
fn ok(g: &mut Gateway, who: &Envelope, r: &ApiRequest) -> Value {
    let out = g.call(who, r);
    assert!(out.is_success(), "{} {}", r.action, out.body);
    out.body.into_value()
}

fn str_at(v: &Value, path: &str) -> String {
    v.pointer(path)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{path} in {v}"))
        .to_string()
}

/// The ids the cycle needs.
struct Built {
    gateway: Gateway,
    /// A service of provider 0 nobody in VPC `c500` has an endpoint to.
    service: String,
    cycle_vpc: String,
    cycle_group: String,
    cycle_vswitches: [String; 2],
    client: String,
    /// A connected endpoint of the world (for the reach group).
    endpoint: String,
}

fn named<'a, T>(
    it: impl IntoIterator<Item = &'a T>,
    f: impl Fn(&T) -> bool,
    id: impl Fn(&T) -> String,
) -> String
where
    T: 'a,
{
    it.into_iter()
        .find(|x| f(x))
        .map(id)
        .expect("named resource")
}

fn build() -> Built {
    let state = SimState::from_world_json(&world_json(), Path::new(".")).expect("world builds");
    let w = &state.world;
    let vpc_id = |name: &str| named(w.vpcs(), |v| v.name == name, |v| v.vpc_id.clone());
    let vsw_id = |vpc: &str, name: &str| {
        named(
            w.vswitches_of(vpc).collect::<Vec<_>>(),
            |s| s.name == name,
            |s| s.vswitch_id.clone(),
        )
    };
    let group_id = |name: &str| {
        named(
            w.ecs().security_groups.values(),
            |g| g.name == name,
            |g| g.security_group_id.clone(),
        )
    };
    let instance_id = |name: &str| {
        named(
            w.ecs().instances.values(),
            |i| i.instance_name == name,
            |i| i.instance_id.to_string(),
        )
    };
    struct Vpc {
        id: String,
        vsw: [String; 2],
        group: String,
    }
    let providers: Vec<(Vpc, String)> = (0..PROVIDERS)
        .map(|k| {
            let id = vpc_id(&format!("p{k}"));
            let vsw = [
                vsw_id(&id, &format!("p{k}h")),
                vsw_id(&id, &format!("p{k}i")),
            ];
            let v = Vpc {
                group: group_id(&format!("pg{k}")),
                id,
                vsw,
            };
            (v, instance_id(&format!("web{k}")))
        })
        .collect();
    let consumers: Vec<Vpc> = (0..=CONSUMER_VPCS)
        .map(|j| {
            let id = vpc_id(&format!("c{j}"));
            let vsw = [
                vsw_id(&id, &format!("c{j}h")),
                vsw_id(&id, &format!("c{j}i")),
            ];
            Vpc {
                group: group_id(&format!("cg{j}")),
                id,
                vsw,
            }
        })
        .collect();
    let client = instance_id(&format!("cli{CONSUMER_VPCS}"));
    let mut gateway = Gateway::new(state);
    let g = &mut gateway;
    let started = Instant::now();
    let mut services: Vec<(usize, String)> = Vec::new();
    for (k, (vpc, backend)) in providers.iter().enumerate() {
        let who = root(&format!("P{k}"));
        let _ = &vpc.group;
        for n in 0..SERVICES_PER_PROVIDER {
            let lb = ok(
                g,
                &who,
                &request(
                    "nlb",
                    "CreateLoadBalancer",
                    &[
                        ("RegionId", REGION),
                        ("LoadBalancerType", "network"),
                        ("LoadBalancerName", &format!("nlb{k}-{n}")),
                        ("AddressType", "Intranet"),
                        ("VpcId", &vpc.id),
                        ("ZoneMappings.1.ZoneId", ZONES[0]),
                        ("ZoneMappings.1.VSwitchId", &vpc.vsw[0]),
                        ("ZoneMappings.2.ZoneId", ZONES[1]),
                        ("ZoneMappings.2.VSwitchId", &vpc.vsw[1]),
                    ],
                ),
            );
            let lb = str_at(&lb, "/LoadbalancerId");
            let sg = ok(
                g,
                &who,
                &request(
                    "nlb",
                    "CreateServerGroup",
                    &[
                        ("RegionId", REGION),
                        ("ServerGroupName", &format!("rs{k}-{n}")),
                        ("ServerGroupType", "Instance"),
                        ("Protocol", "TCP"),
                        ("VpcId", &vpc.id),
                    ],
                ),
            );
            let sg = str_at(&sg, "/ServerGroupId");
            ok(
                g,
                &who,
                &request(
                    "nlb",
                    "AddServersToServerGroup",
                    &[
                        ("RegionId", REGION),
                        ("ServerGroupId", &sg),
                        ("Servers.1.ServerId", backend),
                        ("Servers.1.ServerType", "Ecs"),
                        ("Servers.1.Port", "80"),
                    ],
                ),
            );
            ok(
                g,
                &who,
                &request(
                    "nlb",
                    "CreateListener",
                    &[
                        ("RegionId", REGION),
                        ("LoadBalancerId", &lb),
                        ("ListenerProtocol", "TCP"),
                        ("ListenerPort", "80"),
                        ("ServerGroupId", &sg),
                    ],
                ),
            );
            let s = ok(
                g,
                &who,
                &request(
                    "privatelink",
                    "CreateVpcEndpointService",
                    &[
                        ("RegionId", REGION),
                        ("ServiceResourceType", "nlb"),
                        ("AutoAcceptEnabled", "false"),
                        ("Resource.1.ResourceType", "nlb"),
                        ("Resource.1.ResourceId", &lb),
                        ("Resource.1.ZoneId", ZONES[0]),
                        ("Resource.2.ResourceType", "nlb"),
                        ("Resource.2.ResourceId", &lb),
                        ("Resource.2.ZoneId", ZONES[1]),
                    ],
                ),
            );
            let s = str_at(&s, "/ServiceId");
            ok(
                g,
                &who,
                &request(
                    "privatelink",
                    "AddUserToVpcEndpointService",
                    &[
                        ("RegionId", REGION),
                        ("ServiceId", &s),
                        ("UserARN", "acs:ram:*:*:*"),
                    ],
                ),
            );
            services.push((k, s));
        }
    }
    let create = |vpc: &Vpc, service: &str| {
        request(
            "privatelink",
            "CreateVpcEndpoint",
            &[
                ("RegionId", REGION),
                ("VpcId", &vpc.id),
                ("ServiceId", service),
                ("SecurityGroupId.1", &vpc.group),
                ("Zone.1.ZoneId", ZONES[0]),
                ("Zone.1.VSwitchId", &vpc.vsw[0]),
                ("Zone.2.ZoneId", ZONES[1]),
                ("Zone.2.VSwitchId", &vpc.vsw[1]),
            ],
        )
    };
    let enable = |service: &str, ep: &str| {
        request(
            "privatelink",
            "EnableVpcEndpointConnection",
            &[
                ("RegionId", REGION),
                ("ServiceId", service),
                ("EndpointId", ep),
            ],
        )
    };
    let total = services.len();
    let mut endpoint = String::new();
    for (j, vpc) in consumers.iter().take(CONSUMER_VPCS).enumerate() {
        for n in 0..ENDPOINTS_PER_VPC {
            let (k, s) = &services[(j + n * CONSUMER_VPCS / 10) % total];
            let ep = ok(g, &root(&consumer_alias(j)), &create(vpc, s));
            let ep = str_at(&ep, "/EndpointId");
            ok(g, &root(&format!("P{k}")), &enable(s, &ep));
            endpoint = ep;
        }
    }
    g.state.audit.clear();
    let w = &g.state.world;
    assert_eq!(
        w.privatelink().services.len(),
        PROVIDERS * SERVICES_PER_PROVIDER
    );
    assert_eq!(
        w.privatelink().endpoints.len(),
        CONSUMER_VPCS * ENDPOINTS_PER_VPC
    );
    eprintln!(
        "privatelink bench world: {} services, {} endpoints, built in {:.2?}",
        w.privatelink().services.len(),
        w.privatelink().endpoints.len(),
        started.elapsed()
    );
    let last = &consumers[CONSUMER_VPCS];
    Built {
        service: services[0].1.clone(),
        cycle_vpc: last.id.clone(),
        cycle_group: last.group.clone(),
        cycle_vswitches: last.vsw.clone(),
        client,
        endpoint,
        gateway,
    }
}

fn probe(client: &str, endpoint: &str) -> Probe {
    Probe {
        source: Source::Ecs {
            instance_id: client.to_string(),
            source_ip: None,
        },
        target: Target::Endpoint {
            endpoint_id: endpoint.to_string(),
        },
        protocol: Protocol::Tcp,
        source_port: None,
        target_port: Some(80),
    }
}

/// The cycle's requests, built once (a client keeps its request objects and sets the one
/// parameter that changes, so the figures count the gateway's work, not the harness building
/// maps): CreateVpcEndpoint, then EnableVpcEndpointConnection, RemoveZoneFromVpcEndpoint for
/// each zone and DeleteVpcEndpoint, whose `EndpointId` is set to each cycle's new endpoint.
struct CycleRequests {
    create: ApiRequest,
    enable: ApiRequest,
    remove_zones: [ApiRequest; 2],
    delete: ApiRequest,
}

impl CycleRequests {
    fn new(create: ApiRequest, service: &str) -> Self {
        let enable = request(
            "privatelink",
            "EnableVpcEndpointConnection",
            &[
                ("RegionId", REGION),
                ("ServiceId", service),
                ("EndpointId", ""),
            ],
        );
        let remove_zones = ZONES.map(|zone| {
            request(
                "privatelink",
                "RemoveZoneFromVpcEndpoint",
                &[("RegionId", REGION), ("EndpointId", ""), ("ZoneId", zone)],
            )
        });
        let delete = request(
            "privatelink",
            "DeleteVpcEndpoint",
            &[("RegionId", REGION), ("EndpointId", "")],
        );
        CycleRequests {
            create,
            enable,
            remove_zones,
            delete,
        }
    }

    /// Sets `EndpointId` of every request after the create.
    fn target(&mut self, endpoint: &Value) {
        let Self {
            enable,
            remove_zones: [a, b],
            delete,
            ..
        } = self;
        for r in [enable, a, b, delete] {
            if let Some(slot) = r.params.get_mut("EndpointId") {
                slot.clone_from(endpoint);
            }
        }
    }
}

/// One cycle of `privatelink/cycle-…` (a named function so a profiler can
/// `--toggle-collect=privatelink::privatelink_cycle`).
#[inline(never)]
fn privatelink_cycle(
    gateway: &mut Gateway,
    [consumer, provider]: [&Envelope; 2],
    requests: &mut CycleRequests,
    client: &str,
    buffer: &mut Vec<u8>,
) {
    let r = gateway.call(consumer, &requests.create);
    let ep = r.body.get("EndpointId").cloned().unwrap_or_default();
    requests.target(&ep);
    let e = gateway.call(provider, &requests.enable);
    assert!(e.is_success(), "{}", e.body);
    let v = Analyzer::new(&gateway.state.world)
        .analyze(&probe(client, ep.as_str().unwrap_or_default()))
        .expect("analysis");
    assert!(v.reachable, "{:?}", v.codes());
    black_box(v);
    for remove in &requests.remove_zones {
        let r = gateway.call(consumer, remove);
        assert!(r.is_success(), "{}", r.body);
    }
    let d = gateway.call(consumer, &requests.delete);
    assert!(d.is_success(), "{}", d.body);
    for e in gateway.state.audit.drain(..) {
        buffer.clear();
        ramsim::api::audit_json::write_event(&e, buffer);
        black_box(&buffer);
    }
}

fn bench_privatelink(c: &mut Criterion) {
    let Built {
        mut gateway,
        service,
        cycle_vpc,
        cycle_group,
        cycle_vswitches,
        client,
        endpoint,
    } = build();
    let consumer = root(&consumer_alias(CONSUMER_VPCS));
    let provider = root("P0");
    let create = request(
        "privatelink",
        "CreateVpcEndpoint",
        &[
            ("RegionId", REGION),
            ("VpcId", &cycle_vpc),
            ("ServiceId", &service),
            ("SecurityGroupId.1", &cycle_group),
            ("Zone.1.ZoneId", ZONES[0]),
            ("Zone.1.VSwitchId", &cycle_vswitches[0]),
            ("Zone.2.ZoneId", ZONES[1]),
            ("Zone.2.VSwitchId", &cycle_vswitches[1]),
        ],
    );
    let mut buffer: Vec<u8> = Vec::with_capacity(1 << 20);
    let mut requests = CycleRequests::new(create, &service);
    let mut group = c.benchmark_group("privatelink");
    group.throughput(Throughput::Elements(6));
    group.bench_function("cycle-1000-services-10000-endpoints", |bench| {
        bench.iter(|| {
            privatelink_cycle(
                &mut gateway,
                [&consumer, &provider],
                &mut requests,
                &client,
                &mut buffer,
            )
        })
    });
    group.finish();

    let p = probe(&client, &endpoint);
    // The client of VPC c500 cannot use an endpoint of another VPC: take the world's last
    // endpoint's own VPC client instead.
    let w = &gateway.state.world;
    let ep = &w.privatelink().endpoints[&endpoint];
    let vpc_name = &w.vpc(&ep.vpc_id).expect("vpc").name;
    let own_client = w
        .ecs()
        .instances
        .values()
        .find(|i| i.instance_name == format!("cli{}", &vpc_name[1..]))
        .map(|i| i.instance_id.to_string())
        .expect("client");
    let p = Probe {
        source: Source::Ecs {
            instance_id: own_client,
            source_ip: None,
        },
        ..p
    };
    let mut group = c.benchmark_group("privatelink-reach");
    group.throughput(Throughput::Elements(1));
    group.bench_function("endpoint-to-nlb-backend", |bench| {
        bench.iter(|| {
            let v = Analyzer::new(w).analyze(&p).expect("analysis");
            assert!(v.reachable, "{:?}", v.codes());
            black_box(v)
        })
    });
    group.finish();
}

criterion_group!(benches, bench_privatelink);
criterion_main!(benches);
