//! ALB tests (§5.2, §11.3 S3 steps 5, 8–11 and S3-N5…N9). These drive each declaration
//! directly: decode → authorize → plan → apply, the gateway's order; a failure must leave the
//! world byte-identical. The gateway path (routing by product, denial, audit) is in
//! `tests/gateway_alb.rs` and `tests/registry.rs`.

use super::api::*;
use crate::cloud::cen::tests::{s3_base, S3};
use crate::cloud::declare::CloudApi;
use crate::cloud::ecs::instance::{run_instances, RunInstances, L4};
use crate::cloud::ecs::security_group::{create_security_group, CreateSecurityGroup};
use crate::cloud::ecs::{ListenPort, NetRefs, OpCtx};
use crate::cloud::params::Params;
use crate::cloud::tests::{ctx, mk_vpc, mk_vsw, ok, world, A};
use crate::cloud::{CloudError, World};
use serde_json::{json, Value};
use std::collections::BTreeMap;

fn run<O: CloudApi>(w: &mut World, params: Value) -> Result<Value, CloudError> {
    let map = params.as_object().cloned().unwrap_or_default();
    let p = Params::new(&map);
    let op = O::decode(&p)?;
    let c = ctx(w, A);
    let now = w.now();
    op.authorize(w, &c, now, &mut BTreeMap::new())?;
    let plan = op.plan(w, &c, now)?;
    Ok(O::apply(w, now, plan))
}

#[track_caller]
fn good<O: CloudApi>(w: &mut World, params: Value) -> Value {
    run::<O>(w, params).unwrap_or_else(|e| panic!("{}: {e}", O::DECL.api))
}

#[track_caller]
fn bad<O: CloudApi>(w: &mut World, params: Value, want: &str) {
    let before = serde_json::to_string(&*w).unwrap();
    match run::<O>(w, params) {
        Ok(v) => panic!("{} unexpectedly succeeded: {v}", O::DECL.api),
        Err(e) => assert_eq!(e.code, want, "{}: {e}", O::DECL.api),
    }
    assert_eq!(
        before,
        serde_json::to_string(&*w).unwrap(),
        "{} changed the world",
        O::DECL.api
    );
}

fn s(v: &Value, k: &str) -> String {
    v[k].as_str()
        .unwrap_or_else(|| panic!("no {k} in {v}"))
        .to_string()
}

/// S3 step 5: the internal ALB in VPC1 over VSW1 (zone a) and VSW2 (zone b).
fn alb1(n: &mut S3) -> String {
    let r = good::<AlbCreateLoadBalancer>(
        &mut n.w,
        json!({"RegionId": "cn-chengdu", "VpcId": n.vpc1, "AddressType": "Intranet", "LoadBalancerEdition": "Standard",
               "LoadBalancerBillingConfig.PayType": "PostPay",
               "ZoneMappings.1.ZoneId": "cn-chengdu-a", "ZoneMappings.1.VSwitchId": n.vsw1,
               "ZoneMappings.2.ZoneId": "cn-chengdu-b", "ZoneMappings.2.VSwitchId": n.vsw2}),
    );
    s(&r, "LoadBalancerId")
}

/// S3 step 8: the Ip server group.
fn ip_group(n: &mut S3) -> String {
    let r = good::<AlbCreateServerGroup>(
        &mut n.w,
        json!({"RegionId": "cn-chengdu", "ServerGroupName": "sg-remote", "ServerGroupType": "Ip", "VpcId": n.vpc1,
               "Protocol": "HTTP", "Scheduler": "Wrr", "HealthCheckConfig.HealthCheckEnabled": true}),
    );
    s(&r, "ServerGroupId")
}

fn add(group: &str, ip: &str, remote: bool) -> Value {
    json!({"RegionId": "cn-chengdu", "ServerGroupId": group, "Servers.1.ServerId": ip, "Servers.1.ServerType": "Ip",
           "Servers.1.ServerIp": ip, "Servers.1.Port": 80, "Servers.1.Weight": 100, "Servers.1.RemoteIpEnabled": remote})
}

#[test]
fn s3_alb_steps_5_8_9_10_11() {
    let mut n = s3_base();
    let lb = alb1(&mut n);
    // Step 5: VIPs .1 of each vSwitch, back-to-origin 100.64.0.1/.2, internal DNS name.
    let attr = good::<AlbGetLoadBalancerAttribute>(
        &mut n.w,
        json!({"RegionId": "cn-chengdu", "LoadBalancerId": lb}),
    );
    assert_eq!(attr["LoadBalancerStatus"], "Active");
    assert_eq!(
        attr["DNSName"],
        format!("{lb}.internal.cn-chengdu.alb.aliyuncs.com")
    );
    let z = &attr["ZoneMappings"];
    assert_eq!(z[0]["LoadBalancerAddresses"][0]["Address"], "172.16.0.1");
    assert_eq!(z[1]["LoadBalancerAddresses"][0]["Address"], "172.16.6.1");
    assert_eq!(
        z[0]["LoadBalancerAddresses"][0]["BackToOriginAddress"],
        "100.64.0.1"
    );
    assert_eq!(
        z[1]["LoadBalancerAddresses"][0]["BackToOriginAddress"],
        "100.64.0.2"
    );
    // Steps 8–10.
    let g = ip_group(&mut n);
    good::<AlbAddServersToServerGroup>(&mut n.w, add(&g, "192.168.7.100", true));
    let l = good::<AlbCreateListener>(
        &mut n.w,
        json!({"RegionId": "cn-chengdu", "LoadBalancerId": lb, "ListenerProtocol": "HTTP", "ListenerPort": 80,
               "DefaultActions.1.Type": "ForwardGroup", "DefaultActions.1.ForwardGroupConfig.ServerGroupTuples.1.ServerGroupId": g}),
    );
    let lsn = s(&l, "ListenerId");
    let ls = good::<AlbListListeners>(&mut n.w, json!({"RegionId": "cn-chengdu"}));
    assert_eq!(ls["Listeners"][0]["ListenerStatus"], "Running");
    let servers = good::<ListServerGroupServers>(
        &mut n.w,
        json!({"RegionId": "cn-chengdu", "ServerGroupId": g}),
    );
    assert_eq!(servers["Servers"][0]["RemoteIpEnabled"], true);
    // Step 11: TR ENIs take the next free addresses, after the VIPs.
    let att = ok(
        &mut n.w,
        A,
        "CreateTransitRouterVpcAttachment",
        json!({"RegionId": "cn-chengdu", "TransitRouterId": n.tr_cd, "VpcId": n.vpc1,
               "ZoneMappings.1.VSwitchId": n.vsw1, "ZoneMappings.1.ZoneId": "cn-chengdu-a",
               "ZoneMappings.2.VSwitchId": n.vsw2, "ZoneMappings.2.ZoneId": "cn-chengdu-b"}),
    );
    let att = s(&att, "TransitRouterAttachmentId");
    let ips: Vec<String> = match &n.w.cen().attachments[&att].kind {
        crate::cloud::cen::AttachKind::Vpc { zones, .. } => zones
            .iter()
            .map(|z| {
                n.w.ecs().enis[&z.network_interface_id]
                    .private_ip
                    .to_string()
            })
            .collect(),
        _ => unreachable!(),
    };
    assert_eq!(ips, vec!["172.16.0.2", "172.16.6.2"]);
    // No instance holds 192.168.7.100 yet: the health check fails.
    let h = good::<AlbGetListenerHealthStatus>(
        &mut n.w,
        json!({"RegionId": "cn-chengdu", "ListenerId": lsn}),
    );
    let info = &h["ListenerHealthStatus"][0]["ServerGroupInfos"][0];
    assert_eq!(info["Status"], "Unhealthy");
    assert_eq!(
        info["NonNormalServers"][0]["Reason"]["ReasonCode"],
        "SERVER_NOT_FOUND"
    );
}

#[test]
fn s3_negative_server_checks_n5_n6_n7_n8_n9() {
    let mut n = s3_base();
    let lb = alb1(&mut n);
    let g = ip_group(&mut n);
    // N5 (C-IPGROUP): outside the VPC without remote IP.
    bad::<AlbAddServersToServerGroup>(
        &mut n.w,
        add(&g, "192.168.7.100", false),
        "IllegalParam.ServerIp",
    );
    // N6 (C-INTERNAL): a public address.
    bad::<AlbAddServersToServerGroup>(
        &mut n.w,
        add(&g, "47.96.0.1", true),
        "IllegalParam.ServerIp",
    );
    // N7 (C-NOLB): the VIP of an ALB of the same VPC.
    let _ = lb;
    bad::<AlbAddServersToServerGroup>(
        &mut n.w,
        add(&g, "172.16.0.1", false),
        "IllegalParam.ServerIp",
    );
    // #9: duplicates.
    good::<AlbAddServersToServerGroup>(&mut n.w, add(&g, "192.168.7.100", true));
    bad::<AlbAddServersToServerGroup>(
        &mut n.w,
        add(&g, "192.168.7.100", true),
        "Conflict.BackendServer",
    );
    // N8 (C-ONEVPC): VPC3 in Chengdu, attached to the same CEN as VPC1, adds a remote IP.
    let (vpc, vsw) = (n.vpc1.clone(), n.vsw1.clone());
    ok(
        &mut n.w,
        A,
        "CreateTransitRouterVpcAttachment",
        json!({"RegionId": "cn-chengdu", "TransitRouterId": n.tr_cd, "VpcId": vpc, "ZoneMappings.1.VSwitchId": vsw, "ZoneMappings.1.ZoneId": "cn-chengdu-a"}),
    );
    let (vpc3, _) = mk_vpc(&mut n.w, A, "cn-chengdu", "10.3.0.0/16");
    let vsw5 = mk_vsw(
        &mut n.w,
        A,
        "cn-chengdu",
        &vpc3,
        "cn-chengdu-a",
        "10.3.1.0/24",
    );
    ok(
        &mut n.w,
        A,
        "CreateTransitRouterVpcAttachment",
        json!({"RegionId": "cn-chengdu", "TransitRouterId": n.tr_cd, "VpcId": vpc3, "ZoneMappings.1.VSwitchId": vsw5, "ZoneMappings.1.ZoneId": "cn-chengdu-a"}),
    );
    let g3 = s(
        &good::<AlbCreateServerGroup>(
            &mut n.w,
            json!({"RegionId": "cn-chengdu", "ServerGroupName": "g3", "ServerGroupType": "Ip", "VpcId": vpc3}),
        ),
        "ServerGroupId",
    );
    bad::<AlbAddServersToServerGroup>(
        &mut n.w,
        add(&g3, "192.168.7.100", true),
        "OperationDenied.CrossRegionBackendVpcConflict",
    );
    // A local address of VPC3 is fine.
    good::<AlbAddServersToServerGroup>(&mut n.w, add(&g3, "10.3.1.50", false));
    // N9 (C-REGIONS): an ALB region without cross-region backends.
    let mut w = world();
    let (v, _) = mk_vpc(&mut w, A, "cn-nanjing", "10.0.0.0/16");
    let sg = s(
        &good::<AlbCreateServerGroup>(
            &mut w,
            json!({"RegionId": "cn-nanjing", "ServerGroupName": "nj", "ServerGroupType": "Ip", "VpcId": v}),
        ),
        "ServerGroupId",
    );
    let mut p = add(&sg, "192.168.7.100", true);
    p["RegionId"] = json!("cn-nanjing");
    bad::<AlbAddServersToServerGroup>(&mut w, p, "UnsupportedFeature.RemoteIp");
}

#[test]
fn alb_error_codes() {
    let mut n = s3_base();
    let base = |n: &S3, extra: Value| {
        let mut p = json!({"RegionId": "cn-chengdu", "VpcId": n.vpc1, "AddressType": "Intranet", "LoadBalancerEdition": "Standard",
               "LoadBalancerBillingConfig.PayType": "PostPay",
               "ZoneMappings.1.ZoneId": "cn-chengdu-a", "ZoneMappings.1.VSwitchId": n.vsw1,
               "ZoneMappings.2.ZoneId": "cn-chengdu-b", "ZoneMappings.2.VSwitchId": n.vsw2});
        for (k, v) in extra.as_object().unwrap() {
            p[k] = v.clone();
        }
        p
    };
    let p = base(&n, json!({"ZoneMappings.2.VSwitchId": "vsw-nope00"}));
    bad::<AlbCreateLoadBalancer>(&mut n.w, p, "ResourceNotFound.VSwitch");
    let p = base(&n, json!({"ZoneMappings.2.ZoneId": "cn-chengdu-c"}));
    bad::<AlbCreateLoadBalancer>(&mut n.w, p, "Mismatch.ZoneIdAndVSwitchId");
    let p = base(
        &n,
        json!({"ZoneMappings.2.ZoneId": "cn-chengdu-a", "ZoneMappings.2.VSwitchId": n.vsw1}),
    );
    bad::<AlbCreateLoadBalancer>(&mut n.w, p, "DuplicatedParam.ZoneId");
    let p = base(&n, json!({"VpcId": "vpc-nope00"}));
    bad::<AlbCreateLoadBalancer>(&mut n.w, p, "ResourceNotFound.Vpc");
    let p = base(&n, json!({"DryRun": true}));
    bad::<AlbCreateLoadBalancer>(&mut n.w, p, "DryRunOperation");
    let lb = alb1(&mut n);
    bad::<AlbCreateServerGroup>(
        &mut n.w,
        json!({"RegionId": "cn-chengdu", "ServerGroupName": "x", "ServerGroupType": "Fc"}),
        "UnsupportedFeature.FcServerGroup",
    );
    bad::<AlbCreateServerGroup>(
        &mut n.w,
        json!({"RegionId": "cn-chengdu", "ServerGroupName": "x", "VpcId": "vpc-nope00"}),
        "ResourceNotFound.Vpc",
    );
    let inst_group = s(
        &good::<AlbCreateServerGroup>(
            &mut n.w,
            json!({"RegionId": "cn-chengdu", "ServerGroupName": "i", "VpcId": n.vpc1}),
        ),
        "ServerGroupId",
    );
    bad::<AlbAddServersToServerGroup>(
        &mut n.w,
        add(&inst_group, "172.16.0.9", false),
        "Mismatch.ServerType",
    );
    bad::<AlbAddServersToServerGroup>(
        &mut n.w,
        add("sgp-nope00", "172.16.0.9", false),
        "ResourceNotFound.ServerGroup",
    );
    let https = s(
        &good::<AlbCreateServerGroup>(
            &mut n.w,
            json!({"RegionId": "cn-chengdu", "ServerGroupName": "h", "ServerGroupType": "Ip", "VpcId": n.vpc1, "Protocol": "HTTPS"}),
        ),
        "ServerGroupId",
    );
    let lsn = |g: &str, port: i64| {
        json!({"RegionId": "cn-chengdu", "LoadBalancerId": lb, "ListenerProtocol": "HTTP", "ListenerPort": port,
        "DefaultActions.1.Type": "ForwardGroup", "DefaultActions.1.ForwardGroupConfig.ServerGroupTuples.1.ServerGroupId": g})
    };
    bad::<AlbCreateListener>(
        &mut n.w,
        lsn(&https, 80),
        "OperationDenied.ServerGroupProtocolNotSupport",
    );
    let (vpc_x, _) = mk_vpc(&mut n.w, A, "cn-chengdu", "10.8.0.0/16");
    let other = s(
        &good::<AlbCreateServerGroup>(
            &mut n.w,
            json!({"RegionId": "cn-chengdu", "ServerGroupName": "o", "ServerGroupType": "Ip", "VpcId": vpc_x}),
        ),
        "ServerGroupId",
    );
    bad::<AlbCreateListener>(&mut n.w, lsn(&other, 80), "Mismatch.VpcId");
    bad::<AlbCreateListener>(
        &mut n.w,
        lsn("sgp-nope00", 80),
        "ResourceNotFound.ServerGroup",
    );
    good::<AlbCreateListener>(&mut n.w, lsn(&inst_group, 80));
    bad::<AlbCreateListener>(
        &mut n.w,
        lsn(&inst_group, 80),
        "ResourceAlreadyExist.Listener",
    );
    bad::<AlbDeleteServerGroup>(
        &mut n.w,
        json!({"RegionId": "cn-chengdu", "ServerGroupId": inst_group}),
        "ResourceInUse.ServerGroup",
    );
    bad::<AlbGetLoadBalancerAttribute>(
        &mut n.w,
        json!({"RegionId": "cn-hangzhou", "LoadBalancerId": lb}),
        "ResourceNotFound.LoadBalancer",
    );
    // Delete the LB: its VIPs are free again and its listeners gone.
    good::<AlbDeleteLoadBalancer>(
        &mut n.w,
        json!({"RegionId": "cn-chengdu", "LoadBalancerId": lb}),
    );
    assert!(n.w.alb().listeners.is_empty());
    assert!(!n
        .w
        .ecs()
        .addresses
        .is_used(&n.vpc1, "172.16.0.1".parse().unwrap()));
    good::<AlbDeleteServerGroup>(
        &mut n.w,
        json!({"RegionId": "cn-chengdu", "ServerGroupId": inst_group}),
    );
}

#[test]
fn instance_backend_health_follows_state_and_listening_ports() {
    let mut n = s3_base();
    let lb = alb1(&mut n);
    // An instance in VPC1 (VSW1) through the ECS domain functions.
    let c = OpCtx::new(A, "cn-chengdu", n.w.now());
    let w = &mut n.w;
    let sg = create_security_group(
        &mut w.ecs,
        &NetRefs {
            vpcs: &w.vpcs,
            vswitches: &w.vswitches,
        },
        &mut w.ids,
        &c,
        &CreateSecurityGroup {
            vpc_id: Some(n.vpc1.clone()),
            ..Default::default()
        },
    )
    .unwrap();
    let out = run_instances(
        &mut w.ecs,
        &NetRefs {
            vpcs: &w.vpcs,
            vswitches: &w.vswitches,
        },
        &mut w.ids,
        &c,
        &RunInstances {
            vswitch_id: Some(n.vsw1.clone()),
            security_group_ids: vec![sg],
            ..Default::default()
        },
    )
    .unwrap();
    let id = out.instance_ids[0].clone();
    let g = s(
        &good::<AlbCreateServerGroup>(
            w,
            json!({"RegionId": "cn-chengdu", "ServerGroupName": "i", "VpcId": n.vpc1}),
        ),
        "ServerGroupId",
    );
    good::<AlbAddServersToServerGroup>(
        w,
        json!({"RegionId": "cn-chengdu", "ServerGroupId": g, "Servers.1.ServerId": id, "Servers.1.ServerType": "Ecs", "Servers.1.Port": 80}),
    );
    let l = s(
        &good::<AlbCreateListener>(
            w,
            json!({"RegionId": "cn-chengdu", "LoadBalancerId": lb, "ListenerProtocol": "HTTP", "ListenerPort": 80,
        "DefaultActions.1.ForwardGroupConfig.ServerGroupTuples.1.ServerGroupId": g}),
        ),
        "ListenerId",
    );
    let health = |w: &mut World| {
        let h = good::<AlbGetListenerHealthStatus>(
            w,
            json!({"RegionId": "cn-chengdu", "ListenerId": l}),
        );
        h["ListenerHealthStatus"][0]["ServerGroupInfos"][0]["Status"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(health(w), "Unhealthy", "nothing listens on tcp/80");
    w.ecs
        .instances
        .get_mut(&id)
        .unwrap()
        .listening
        .insert(ListenPort {
            protocol: L4::Tcp,
            port: 80,
        });
    assert_eq!(health(w), "Healthy");
    // An instance of another VPC cannot join.
    let (vpc_x, _) = mk_vpc(w, A, "cn-chengdu", "10.8.0.0/16");
    let gx = s(
        &good::<AlbCreateServerGroup>(
            w,
            json!({"RegionId": "cn-chengdu", "ServerGroupName": "x", "VpcId": vpc_x}),
        ),
        "ServerGroupId",
    );
    bad::<AlbAddServersToServerGroup>(
        w,
        json!({"RegionId": "cn-chengdu", "ServerGroupId": gx, "Servers.1.ServerId": id, "Servers.1.ServerType": "Ecs", "Servers.1.Port": 80}),
        "Mismatch.VpcId",
    );
    // Removing it empties the group.
    good::<AlbRemoveServersFromServerGroup>(
        w,
        json!({"RegionId": "cn-chengdu", "ServerGroupId": g, "Servers.1.ServerId": id, "Servers.1.ServerType": "Ecs", "Servers.1.Port": 80}),
    );
    bad::<AlbRemoveServersFromServerGroup>(
        w,
        json!({"RegionId": "cn-chengdu", "ServerGroupId": g, "Servers.1.ServerId": id, "Servers.1.ServerType": "Ecs", "Servers.1.Port": 80}),
        "ResourceNotFound.BackendServer",
    );
    let groups = good::<AlbListServerGroups>(w, json!({"RegionId": "cn-chengdu"}));
    assert_eq!(groups["TotalCount"], 2);
}
