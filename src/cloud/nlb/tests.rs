//! NLB: every API's success path, its error codes, and byte-identical state after a failure.

use crate::cloud::ecs::instance::{run_instances, RunInstances, TagParam};
use crate::cloud::ecs::security_group::{
    authorize as sg_authorize, create_security_group, CreateSecurityGroup, Permission,
    SecurityGroupRules,
};
use crate::cloud::ecs::{NetRefs, OpCtx};
use crate::cloud::packet::Direction;
use crate::cloud::tests::{ctx, world, A, B};
use crate::cloud::{CloudError, Operation, World};
use serde_json::{json, Value};

pub(crate) const R: &str = "cn-hangzhou";

/// Calls `action` of `product` as `uid`.
pub(crate) fn pcall(
    w: &mut World,
    uid: &str,
    product: &str,
    action: &str,
    params: Value,
) -> Result<Value, CloudError> {
    let c = ctx(w, uid);
    let map = params.as_object().cloned().unwrap_or_default();
    let op = Operation::decode_in(Some(product), action, &map)?;
    w.execute(&c, &op)
}

#[track_caller]
pub(crate) fn pok(w: &mut World, uid: &str, product: &str, action: &str, params: Value) -> Value {
    match pcall(w, uid, product, action, params) {
        Ok(v) => v,
        Err(e) => panic!("{action} failed: {e}"),
    }
}

/// The call fails with `code`, and the world is byte-identical afterwards.
#[track_caller]
pub(crate) fn perr(w: &mut World, uid: &str, product: &str, action: &str, params: Value) -> String {
    let before = serde_json::to_string(&*w).unwrap();
    let e = match pcall(w, uid, product, action, params) {
        Ok(v) => panic!("{action} succeeded: {v}"),
        Err(e) => e,
    };
    assert_eq!(
        before,
        serde_json::to_string(&*w).unwrap(),
        "{action} changed state"
    );
    e.code
}

pub(crate) fn s(v: &Value, k: &str) -> String {
    v[k].as_str().unwrap_or_default().to_string()
}

/// A VPC of `uid` with one vSwitch per zone `a`, `b` (`10.0.1.0/24`, `10.0.2.0/24`).
pub(crate) fn vpc_with_zones(w: &mut World, uid: &str, cidr: &str) -> (String, Vec<String>) {
    let vpc = s(
        &pok(
            w,
            uid,
            "Vpc",
            "CreateVpc",
            json!({"RegionId": R, "CidrBlock": cidr}),
        ),
        "VpcId",
    );
    let base: Vec<&str> = cidr.split('.').take(2).collect();
    let base = base.join(".");
    let mut vsws = Vec::new();
    for (i, z) in ["a", "b"].iter().enumerate() {
        let v = pok(
            w,
            uid,
            "Vpc",
            "CreateVSwitch",
            json!({"RegionId": R, "VpcId": vpc, "ZoneId": format!("{R}-{z}"),
                   "CidrBlock": format!("{base}.{}.0/24", i + 1)}),
        );
        vsws.push(s(&v, "VSwitchId"));
    }
    (vpc, vsws)
}

fn op_ctx(w: &World, uid: &str) -> OpCtx {
    OpCtx::new(uid, R, w.now())
}

/// A security group of `uid` in `vpc` admitting `tcp/<ports>` from `cidr` (no rule when `None`).
pub(crate) fn sg(w: &mut World, uid: &str, vpc: &str, allow: Option<(&str, &str)>) -> String {
    let c = op_ctx(w, uid);
    let net = NetRefs {
        vpcs: &w.vpcs,
        vswitches: &w.vswitches,
    };
    let id = create_security_group(
        &mut w.ecs,
        &net,
        &mut w.ids,
        &c,
        &CreateSecurityGroup {
            vpc_id: Some(vpc.into()),
            ..Default::default()
        },
    )
    .unwrap();
    if let Some((ports, cidr)) = allow {
        sg_authorize(
            &mut w.ecs,
            &mut w.ids,
            &c,
            Direction::Ingress,
            &SecurityGroupRules {
                security_group_id: id.clone(),
                permissions: vec![Permission::cidr("tcp", ports, cidr)],
            },
        )
        .unwrap();
    }
    id
}

/// A running instance of `uid` in `vsw` with `sg`, listening on `listening` (`tcp/80`).
pub(crate) fn instance(w: &mut World, uid: &str, vsw: &str, sg: &str, listening: &str) -> String {
    let c = op_ctx(w, uid);
    let net = NetRefs {
        vpcs: &w.vpcs,
        vswitches: &w.vswitches,
    };
    let out = run_instances(
        &mut w.ecs,
        &net,
        &mut w.ids,
        &c,
        &RunInstances {
            vswitch_id: Some(vsw.into()),
            security_group_ids: vec![sg.into()],
            tags: vec![TagParam {
                key: Some("ramsim:listening".into()),
                value: Some(listening.into()),
            }],
            ..Default::default()
        },
    )
    .unwrap();
    out.instance_ids[0].clone()
}

/// The S2 provider side: VPC2 with an NLB in zones a and b, a TCP/80 group with two nginx
/// instances, a TCP/80 listener. Returns `(vpc, vsws, lb, group, listener, instances)`.
pub(crate) struct Provider {
    pub vpc: String,
    pub vsws: Vec<String>,
    pub lb: String,
    pub group: String,
    pub listener: String,
    pub instances: Vec<String>,
}

pub(crate) fn provider(w: &mut World, uid: &str) -> Provider {
    let (vpc, vsws) = vpc_with_zones(w, uid, "192.168.0.0/16");
    let lb = s(
        &pok(
            w,
            uid,
            "Nlb",
            "CreateLoadBalancer",
            json!({"RegionId": R, "AddressType": "Intranet", "VpcId": vpc,
                   "LoadBalancerName": "NLB1",
                   "ZoneMappings.1.ZoneId": format!("{R}-a"), "ZoneMappings.1.VSwitchId": vsws[0],
                   "ZoneMappings.2.ZoneId": format!("{R}-b"), "ZoneMappings.2.VSwitchId": vsws[1]}),
        ),
        "LoadbalancerId",
    );
    let group = s(
        &pok(
            w,
            uid,
            "Nlb",
            "CreateServerGroup",
            json!({"RegionId": R, "ServerGroupName": "SGP1", "VpcId": vpc}),
        ),
        "ServerGroupId",
    );
    let web = sg(w, uid, &vpc, Some(("80/80", "192.168.0.0/16")));
    let i1 = instance(w, uid, &vsws[0], &web, "tcp/80");
    let i2 = instance(w, uid, &vsws[1], &web, "tcp/80");
    pok(
        w,
        uid,
        "Nlb",
        "AddServersToServerGroup",
        json!({"RegionId": R, "ServerGroupId": group,
               "Servers.1.ServerId": i1, "Servers.1.ServerType": "Ecs", "Servers.1.Port": 80,
               "Servers.2.ServerId": i2, "Servers.2.ServerType": "Ecs", "Servers.2.Port": 80}),
    );
    let listener = s(
        &pok(
            w,
            uid,
            "Nlb",
            "CreateListener",
            json!({"RegionId": R, "ListenerProtocol": "TCP", "ListenerPort": 80,
                   "LoadBalancerId": lb, "ServerGroupId": group}),
        ),
        "ListenerId",
    );
    Provider {
        vpc,
        vsws,
        lb,
        group,
        listener,
        instances: vec![i1, i2],
    }
}

fn health(w: &mut World, uid: &str, listener: &str) -> Value {
    pok(
        w,
        uid,
        "Nlb",
        "GetListenerHealthStatus",
        json!({"RegionId": R, "ListenerId": listener}),
    )
}

#[test]
fn nlb_lifecycle_allocates_addresses_and_reports_health() {
    let mut w = world();
    let p = provider(&mut w, A);
    let lb = pok(
        &mut w,
        A,
        "Nlb",
        "GetLoadBalancerAttribute",
        json!({"RegionId": R, "LoadBalancerId": p.lb}),
    );
    assert_eq!(lb["LoadBalancerStatus"], "Active");
    assert_eq!(lb["DNSName"], format!("{}.{R}.nlb.aliyuncs.com", p.lb));
    let zones = lb["ZoneMappings"].as_array().unwrap();
    assert_eq!(zones.len(), 2);
    // Lowest usable addresses of 192.168.1.0/24: .1 is the VIP, .2/.3 the local addresses.
    let a0 = &zones[0]["LoadBalancerAddresses"][0];
    assert_eq!(a0["PrivateIPv4Address"], "192.168.1.1");
    assert_eq!(
        a0["Ipv4LocalAddresses"],
        json!(["192.168.1.2", "192.168.1.3"])
    );
    // The first instance got the next free address, after the NLB's.
    let i = &w.ecs.instances[p.instances[0].as_str()];
    assert_eq!(i.private_ip.to_string(), "192.168.1.4");
    // Both nginx backends healthy: no non-normal server.
    let h = health(&mut w, A, &p.listener);
    assert_eq!(h["TotalCount"], 0);
    assert_eq!(
        h["ListenerHealthStatus"][0]["ServerGroupInfos"][0]["HeathyStatus"],
        "Normal"
    );
    // Lists.
    let l = pok(
        &mut w,
        A,
        "Nlb",
        "ListLoadBalancers",
        json!({"RegionId": R}),
    );
    assert_eq!(l["TotalCount"], 1);
    let g = pok(&mut w, A, "Nlb", "ListServerGroups", json!({"RegionId": R}));
    assert_eq!(g["ServerGroups"][0]["ServerCount"], 2);
    assert_eq!(
        g["ServerGroups"][0]["RelatedLoadBalancerIds"],
        json!([p.lb])
    );
    let ls = pok(
        &mut w,
        A,
        "Nlb",
        "ListListeners",
        json!({"RegionId": R, "LoadBalancerIds.1": p.lb}),
    );
    assert_eq!(ls["Listeners"][0]["ListenerPort"], 80);
    // Another account sees nothing.
    let l = pok(
        &mut w,
        B,
        "Nlb",
        "ListLoadBalancers",
        json!({"RegionId": R}),
    );
    assert_eq!(l["TotalCount"], 0);
    // Tear down in order; the addresses are freed.
    assert_eq!(
        perr(
            &mut w,
            A,
            "Nlb",
            "DeleteServerGroup",
            json!({"RegionId": R, "ServerGroupId": p.group})
        ),
        "ResourceInUse.ServerGroup"
    );
    pok(
        &mut w,
        A,
        "Nlb",
        "DeleteListener",
        json!({"RegionId": R, "ListenerId": p.listener}),
    );
    pok(
        &mut w,
        A,
        "Nlb",
        "DeleteServerGroup",
        json!({"RegionId": R, "ServerGroupId": p.group}),
    );
    pok(
        &mut w,
        A,
        "Nlb",
        "DeleteLoadBalancer",
        json!({"RegionId": R, "LoadBalancerId": p.lb}),
    );
    assert!(w.nlb.is_empty());
    let free = "192.168.1.1".parse().unwrap();
    assert!(!w.ecs.addresses.is_used(&p.vpc, free));
}

#[test]
fn health_follows_sg_listening_state_and_weight() {
    let mut w = world();
    let p = provider(&mut w, A);
    // A third backend without tcp/80 listening: CONNECT_FAIL.
    let web = w.ecs.instances[p.instances[0].as_str()].security_group_ids[0].clone();
    let idle = instance(&mut w, A, &p.vsws[0], &web, "tcp/22");
    // A fourth whose SG admits nothing: CONNECT_TIMEOUT.
    let closed = sg(&mut w, A, &p.vpc, None);
    let shut = instance(&mut w, A, &p.vsws[1], &closed, "tcp/80");
    pok(
        &mut w,
        A,
        "Nlb",
        "AddServersToServerGroup",
        json!({"RegionId": R, "ServerGroupId": p.group,
               "Servers.1.ServerId": idle, "Servers.1.ServerType": "Ecs", "Servers.1.Port": 80,
               "Servers.2.ServerId": shut, "Servers.2.ServerType": "Ecs", "Servers.2.Port": 80,
               "Servers.3.ServerId": p.instances[0], "Servers.3.ServerType": "Ecs",
               "Servers.3.Port": 8080, "Servers.3.Weight": 0}),
    );
    let h = health(&mut w, A, &p.listener);
    let rows = h["ListenerHealthStatus"][0]["ServerGroupInfos"][0]["NonNormalServers"]
        .as_array()
        .unwrap()
        .clone();
    let by_id: Vec<(String, String, String)> = rows
        .iter()
        .map(|r| {
            (
                s(r, "ServerId"),
                s(r, "Status"),
                r["Reason"]["ReasonCode"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        by_id,
        vec![
            (idle.clone(), "Unhealthy".into(), "CONNECT_FAIL".into()),
            (shut.clone(), "Unhealthy".into(), "CONNECT_TIMEOUT".into()),
            (p.instances[0].clone(), "Unused".into(), String::new()),
        ]
    );
    // Same world, same answer: health is computed, never random.
    assert_eq!(h, health(&mut w, A, &p.listener));
    // Removing the unhealthy ones leaves only the unused one.
    pok(
        &mut w,
        A,
        "Nlb",
        "RemoveServersFromServerGroup",
        json!({"RegionId": R, "ServerGroupId": p.group,
               "Servers.1.ServerId": idle, "Servers.1.ServerType": "Ecs", "Servers.1.Port": 80,
               "Servers.2.ServerId": shut, "Servers.2.ServerType": "Ecs", "Servers.2.Port": 80}),
    );
    assert_eq!(health(&mut w, A, &p.listener)["TotalCount"], 1);
}

#[test]
fn create_load_balancer_errors() {
    let mut w = world();
    let (vpc, vsws) = vpc_with_zones(&mut w, A, "10.0.0.0/16");
    let (other_vpc, other_vsws) = vpc_with_zones(&mut w, A, "172.16.0.0/16");
    let za = format!("{R}-a");
    let zb = format!("{R}-b");
    let base = |v: &str, m: Value| {
        let mut p = json!({"RegionId": R, "AddressType": "Intranet", "VpcId": v});
        for (k, x) in m.as_object().unwrap() {
            p[k] = x.clone();
        }
        p
    };
    let two = |a: &str, b: &str| {
        json!({"ZoneMappings.1.ZoneId": za, "ZoneMappings.1.VSwitchId": a,
               "ZoneMappings.2.ZoneId": zb, "ZoneMappings.2.VSwitchId": b})
    };
    let cases: Vec<(Value, &str)> = vec![
        (
            base("vpc-nope1234567", two(&vsws[0], &vsws[1])),
            "ResourceNotFound.Vpc",
        ),
        (
            base(
                &vpc,
                json!({"ZoneMappings.1.ZoneId": za, "ZoneMappings.1.VSwitchId": vsws[0]}),
            ),
            "InvalidZones",
        ),
        (
            base(
                &vpc,
                json!({"ZoneMappings.1.ZoneId": za, "ZoneMappings.1.VSwitchId": vsws[0],
                           "ZoneMappings.2.ZoneId": za, "ZoneMappings.2.VSwitchId": vsws[0]}),
            ),
            "OperationFailed.DuplicateZones.",
        ),
        (
            base(&vpc, two(&vsws[0], "vsw-nope1234567")),
            "ResourceNotFound.VSwitch",
        ),
        (
            base(&vpc, two(&vsws[1], &vsws[0])),
            "Mismatch.ZoneIdAndVswitchId",
        ),
        (
            base(&vpc, two(&other_vsws[0], &vsws[1])),
            "Mismatch.ZoneIdAndVswitchId",
        ),
        (
            base(
                &vpc,
                json!({"ZoneMappings.1.ZoneId": format!("{R}-z"), "ZoneMappings.1.VSwitchId": vsws[0],
                           "ZoneMappings.2.ZoneId": zb, "ZoneMappings.2.VSwitchId": vsws[1]}),
            ),
            "UnauthorizedZone",
        ),
        (
            {
                let mut p = base(&vpc, two(&vsws[0], &vsws[1]));
                p["LoadBalancerName"] = json!("1bad");
                p
            },
            "IllegalParam.loadBalancerName",
        ),
        (
            {
                let mut p = base(&vpc, two(&vsws[0], &vsws[1]));
                p["AddressType"] = json!("Public");
                p
            },
            "IllegalParam.AddressType",
        ),
        (
            {
                let mut p = base(&vpc, two(&vsws[0], &vsws[1]));
                p["ZoneMappings.1.PrivateIPv4Address"] = json!("10.0.9.9");
                p
            },
            "IllegalParam.PrivateIPv4Address",
        ),
        (
            {
                let mut p = base(&vpc, two(&vsws[0], &vsws[1]));
                p["DryRun"] = json!(true);
                p
            },
            "DryRunOperation",
        ),
    ];
    for (params, code) in cases {
        assert_eq!(
            perr(&mut w, A, "Nlb", "CreateLoadBalancer", params.clone()),
            code,
            "{params}"
        );
    }
    // Another account's VPC is not found.
    assert_eq!(
        perr(
            &mut w,
            B,
            "Nlb",
            "CreateLoadBalancer",
            base(&vpc, two(&vsws[0], &vsws[1]))
        ),
        "ResourceNotFound.Vpc"
    );
    // A requested VIP already taken.
    let mut p = base(&vpc, two(&vsws[0], &vsws[1]));
    p["ZoneMappings.1.PrivateIPv4Address"] = json!("10.0.1.7");
    pok(&mut w, A, "Nlb", "CreateLoadBalancer", p.clone());
    assert_eq!(
        perr(&mut w, A, "Nlb", "CreateLoadBalancer", p),
        "ResourceInUse.IP"
    );
    let _ = other_vpc;
}

#[test]
fn vswitch_without_room_is_refused() {
    let mut w = world();
    let vpc = s(
        &pok(
            &mut w,
            A,
            "Vpc",
            "CreateVpc",
            json!({"RegionId": R, "CidrBlock": "10.0.0.0/16"}),
        ),
        "VpcId",
    );
    // A /29 has 8 addresses, 4 reserved: 4 usable. Two NLB zones need 3 each in their vSwitch;
    // the second NLB finds only 1 left.
    let mut vsws = Vec::new();
    for (i, z) in ["a", "b"].iter().enumerate() {
        let v = pok(
            &mut w,
            A,
            "Vpc",
            "CreateVSwitch",
            json!({"RegionId": R, "VpcId": vpc, "ZoneId": format!("{R}-{z}"), "CidrBlock": format!("10.0.{i}.0/29")}),
        );
        vsws.push(s(&v, "VSwitchId"));
    }
    let p = json!({"RegionId": R, "AddressType": "Intranet", "VpcId": vpc,
        "ZoneMappings.1.ZoneId": format!("{R}-a"), "ZoneMappings.1.VSwitchId": vsws[0],
        "ZoneMappings.2.ZoneId": format!("{R}-b"), "ZoneMappings.2.VSwitchId": vsws[1]});
    pok(&mut w, A, "Nlb", "CreateLoadBalancer", p.clone());
    assert_eq!(
        perr(&mut w, A, "Nlb", "CreateLoadBalancer", p),
        "ResourceNotEnough.VSwitchIp"
    );
}

#[test]
fn server_group_and_listener_errors() {
    let mut w = world();
    let p = provider(&mut w, A);
    let sgp = |m: Value| {
        let mut x = json!({"RegionId": R, "ServerGroupName": "G1", "VpcId": p.vpc});
        for (k, v) in m.as_object().unwrap() {
            x[k] = v.clone();
        }
        x
    };
    for (params, code) in [
        (
            sgp(json!({"ServerGroupName": "-x"})),
            "IllegalParam.ServerGroupName",
        ),
        (
            sgp(json!({"VpcId": "vpc-nope1234567"})),
            "ResourceNotFound.Vpc",
        ),
        (sgp(json!({"Protocol": "HTTP"})), "IllegalParam.Protocol"),
        (
            sgp(json!({"AnyPortEnabled": true})),
            "IllegalParam.AnyPortServerGroupConflictWithHealthCheckConfig",
        ),
        (
            sgp(json!({"HealthCheckConfig.HealthyThreshold": 11})),
            "IllegalParam.HealthCheckConfig.HealthyThreshold",
        ),
    ] {
        assert_eq!(
            perr(&mut w, A, "Nlb", "CreateServerGroup", params.clone()),
            code,
            "{params}"
        );
    }
    let add = |g: &str, m: Value| {
        let mut x = json!({"RegionId": R, "ServerGroupId": g});
        for (k, v) in m.as_object().unwrap() {
            x[k] = v.clone();
        }
        x
    };
    let i1 = p.instances[0].clone();
    for (params, code) in [
        (
            add(
                "sgp-nope1234567",
                json!({"Servers.1.ServerId": i1, "Servers.1.ServerType": "Ecs", "Servers.1.Port": 80}),
            ),
            "ResourceNotFound.serverGroup",
        ),
        (
            add(
                &p.group,
                json!({"Servers.1.ServerId": "i-nope1234567", "Servers.1.ServerType": "Ecs", "Servers.1.Port": 80}),
            ),
            "ResourceNotFound.Ecs",
        ),
        (
            add(
                &p.group,
                json!({"Servers.1.ServerId": "eni-nope1234567", "Servers.1.ServerType": "Eni", "Servers.1.Port": 80}),
            ),
            "ResourceNotFound.Eni",
        ),
        (
            add(
                &p.group,
                json!({"Servers.1.ServerId": "eci-nope1234567", "Servers.1.ServerType": "Eci", "Servers.1.Port": 80}),
            ),
            "ResourceNotFound.Eci",
        ),
        (
            add(
                &p.group,
                json!({"Servers.1.ServerId": "10.0.0.1", "Servers.1.ServerType": "Ip", "Servers.1.Port": 80}),
            ),
            "Mismatch.ServerType",
        ),
        (
            add(
                &p.group,
                json!({"Servers.1.ServerId": i1, "Servers.1.ServerType": "Ecs", "Servers.1.Port": 80}),
            ),
            "DuplicatedParam.Server",
        ),
        (
            add(
                &p.group,
                json!({"Servers.1.ServerId": i1, "Servers.1.ServerType": "Ecs"}),
            ),
            "IllegalParam.RSPortConflictWithServerGroup",
        ),
        (
            add(
                &p.group,
                json!({"Servers.1.ServerId": i1, "Servers.1.ServerType": "Ecs", "Servers.1.Port": 81, "Servers.1.Weight": 101}),
            ),
            "IllegalParam.Weight",
        ),
        (
            add(
                &p.group,
                json!({"Servers.1.ServerId": i1, "Servers.1.ServerType": "Vm", "Servers.1.Port": 81}),
            ),
            "IllegalParam.ServerType",
        ),
    ] {
        assert_eq!(
            perr(&mut w, A, "Nlb", "AddServersToServerGroup", params.clone()),
            code,
            "{params}"
        );
    }
    // An instance of another VPC.
    let (vpc2, vsws2) = vpc_with_zones(&mut w, A, "10.0.0.0/16");
    let g2 = sg(&mut w, A, &vpc2, None);
    let far = instance(&mut w, A, &vsws2[0], &g2, "tcp/80");
    assert_eq!(
        perr(
            &mut w,
            A,
            "Nlb",
            "AddServersToServerGroup",
            add(
                &p.group,
                json!({"Servers.1.ServerId": far, "Servers.1.ServerType": "Ecs", "Servers.1.Port": 80})
            )
        ),
        "Mismatch.VpcId"
    );
    // Ip groups: missing and malformed addresses.
    let ipg = s(
        &pok(
            &mut w,
            A,
            "Nlb",
            "CreateServerGroup",
            sgp(json!({"ServerGroupType": "Ip"})),
        ),
        "ServerGroupId",
    );
    assert_eq!(
        perr(
            &mut w,
            A,
            "Nlb",
            "AddServersToServerGroup",
            add(
                &ipg,
                json!({"Servers.1.ServerId": "x", "Servers.1.ServerType": "Ip", "Servers.1.Port": 80})
            )
        ),
        "MissingParam.IP"
    );
    assert_eq!(
        perr(
            &mut w,
            A,
            "Nlb",
            "AddServersToServerGroup",
            add(
                &ipg,
                json!({"Servers.1.ServerId": "x", "Servers.1.ServerType": "Ip", "Servers.1.ServerIp": "300.1.1.1", "Servers.1.Port": 80})
            )
        ),
        "IllegalParam.IP"
    );
    assert_eq!(
        perr(
            &mut w,
            A,
            "Nlb",
            "RemoveServersFromServerGroup",
            add(
                &p.group,
                json!({"Servers.1.ServerId": i1, "Servers.1.ServerType": "Ecs", "Servers.1.Port": 81})
            )
        ),
        "ResourceNotFound.BackendServer"
    );
    // Listeners.
    let udp = s(
        &pok(
            &mut w,
            A,
            "Nlb",
            "CreateServerGroup",
            sgp(json!({"Protocol": "UDP"})),
        ),
        "ServerGroupId",
    );
    let other_vpc_group = s(
        &pok(
            &mut w,
            A,
            "Nlb",
            "CreateServerGroup",
            sgp(json!({"VpcId": vpc2})),
        ),
        "ServerGroupId",
    );
    let ssl = s(
        &pok(
            &mut w,
            A,
            "Nlb",
            "CreateServerGroup",
            sgp(json!({"Protocol": "TCPSSL"})),
        ),
        "ServerGroupId",
    );
    let lsn = |m: Value| {
        let mut x = json!({"RegionId": R, "ListenerProtocol": "TCP", "ListenerPort": 8080,
                           "LoadBalancerId": p.lb, "ServerGroupId": p.group});
        for (k, v) in m.as_object().unwrap() {
            x[k] = v.clone();
        }
        x
    };
    for (params, code) in [
        (lsn(json!({"ListenerPort": 80})), "Conflict.Port"),
        (lsn(json!({"ServerGroupId": udp})), "Mismatch.Protocol"),
        (
            lsn(json!({"ServerGroupId": other_vpc_group})),
            "Mismatch.VpcId",
        ),
        (
            lsn(json!({"ListenerProtocol": "TCPSSL", "ServerGroupId": ssl})),
            "MissingParam.Certificate",
        ),
        (
            lsn(json!({"ListenerPort": 0, "StartPort": 1, "EndPort": 100})),
            "IllegalParam.AnyPortListenerConflictWithNonAnyPortServerGroup",
        ),
        (
            lsn(json!({"ListenerPort": 70000})),
            "IllegalParam.ListenerPort",
        ),
        (
            lsn(json!({"ListenerProtocol": "HTTP"})),
            "IllegalParam.ListenerProtocol",
        ),
        (
            lsn(json!({"LoadBalancerId": "nlb-nope1234567"})),
            "ResourceNotFound.loadBalancer",
        ),
        (
            lsn(json!({"ServerGroupId": "sgp-nope1234567"})),
            "ResourceNotFound.serverGroup",
        ),
    ] {
        assert_eq!(
            perr(&mut w, A, "Nlb", "CreateListener", params.clone()),
            code,
            "{params}"
        );
    }
    assert_eq!(
        perr(
            &mut w,
            A,
            "Nlb",
            "GetListenerHealthStatus",
            json!({"RegionId": R, "ListenerId": "lsn-nope1234567"})
        ),
        "ResourceNotFound.listener"
    );
    assert_eq!(
        perr(
            &mut w,
            A,
            "Nlb",
            "DeleteListener",
            json!({"RegionId": R, "ListenerId": "lsn-nope1234567"})
        ),
        "ResourceNotFound.listener"
    );
    assert_eq!(
        perr(
            &mut w,
            B,
            "Nlb",
            "GetLoadBalancerAttribute",
            json!({"RegionId": R, "LoadBalancerId": p.lb})
        ),
        "ResourceNotFound.loadBalancer"
    );
    assert_eq!(
        perr(
            &mut w,
            A,
            "Nlb",
            "ListLoadBalancers",
            json!({"RegionId": R, "MaxResults": 0})
        ),
        "IllegalParam.MaxResults"
    );
    assert_eq!(
        perr(
            &mut w,
            A,
            "Nlb",
            "ListLoadBalancers",
            json!({"RegionId": R, "NextToken": "x"})
        ),
        "IllegalParam.NextToken"
    );
}

#[test]
fn shared_api_names_need_their_product() {
    let m = serde_json::Map::new();
    let e = Operation::decode("CreateLoadBalancer", &m).unwrap_err();
    // NLB and CLB both declare it: the name alone is ambiguous; with a product it must match.
    let named = Operation::decode_in(Some("Vpc"), "CreateLoadBalancer", &m).unwrap_err();
    assert_eq!(named.code, "InvalidAction.NotFound");
    assert_eq!(e.code, "MissingParameter.Product");
    let clb = Operation::decode_in(
        Some("slb"),
        "CreateLoadBalancer",
        json!({"RegionId": R}).as_object().unwrap(),
    )
    .unwrap();
    assert_eq!(clb.product(), "Slb");
    let ok = Operation::decode_in(
        Some("nlb"),
        "GetLoadBalancerAttribute",
        json!({"RegionId": R, "LoadBalancerId": "nlb-1"})
            .as_object()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(ok.product(), "Nlb");
}
