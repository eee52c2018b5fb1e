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
                n.w.ecs().enis[z.network_interface_id.as_str()]
                    .private_ip
                    .to_string()
            })
            .collect(),
        _ => unreachable!(),
    };
    assert_eq!(ips, vec!["172.16.0.2", "172.16.6.2"]);
    // No instance holds 192.168.7.100 yet (and no route leads there): the probe times out.
    let h = good::<AlbGetListenerHealthStatus>(
        &mut n.w,
        json!({"RegionId": "cn-chengdu", "ListenerId": lsn}),
    );
    let info = &h["ListenerHealthStatus"][0]["ServerGroupInfos"][0];
    assert_eq!(info["Status"], "Unhealthy");
    assert_eq!(
        info["NonNormalServers"][0]["Reason"]["ReasonCode"],
        "CONNECT_TIMEOUT"
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
    // The group does not admit the back-to-origin range yet (C-BTO): still unhealthy.
    let sg_id = w.ecs.instances[id.as_str()].security_group_ids[0].clone();
    w.ecs
        .instances
        .get_mut(id.as_str())
        .unwrap()
        .listening
        .insert(ListenPort {
            protocol: L4::Tcp,
            port: 80,
        });
    assert_eq!(health(w), "Unhealthy", "SG_E drops 100.64.0.0/10");
    crate::cloud::tests::ok(
        w,
        A,
        "AuthorizeSecurityGroup",
        json!({"RegionId": "cn-chengdu", "SecurityGroupId": sg_id, "Permissions.1.IpProtocol": "TCP",
               "Permissions.1.PortRange": "80/80", "Permissions.1.SourceCidrIp": "100.64.0.0/10",
               "Permissions.1.Policy": "accept", "Permissions.1.Priority": "1"}),
    );
    assert_eq!(health(w), "Healthy");
    w.ecs
        .instances
        .get_mut(id.as_str())
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

/// Which S3 steps (§11.3) the reach tests leave out or change.
#[derive(Default)]
struct Variant {
    /// S3-N1: 192.168.7.0/24 → ATT1 in a custom table of VSW1 and VSW2 instead of step 16.
    custom_table: bool,
    /// S3-N13: no propagation of ATTP into TRT_CD.
    no_peer_propagation_cd: bool,
    skip18: bool,
    skip19: bool,
    skip20: bool,
}

/// The whole of S3 (steps 1–20) with `v`'s changes: `(world, ECS_C, ALB1, listener, SG_E)`.
fn s3_full(v: &Variant) -> (World, String, String, String, String) {
    let mut n = s3_base();
    let w = &mut n.w;
    // Steps 3–4: ECS_C (no rules) and ECS1 (tcp/22 only, listening on tcp/80).
    let sg_c = s(
        &ok(
            w,
            A,
            "CreateSecurityGroup",
            json!({"RegionId": "cn-chengdu", "VpcId": n.vpc1}),
        ),
        "SecurityGroupId",
    );
    let c = ok(
        w,
        A,
        "RunInstances",
        json!({"RegionId": "cn-chengdu", "VSwitchId": n.vsw1, "SecurityGroupId": sg_c, "PrivateIpAddress": "172.16.0.10",
               "InstanceType": "ecs.g7.large", "ImageId": "aliyun_3_x64_20G_alibase_20240528.vhd"}),
    )["InstanceIdSets"]["InstanceIdSet"][0]
        .as_str()
        .unwrap()
        .to_string();
    let sg_e = s(
        &ok(
            w,
            A,
            "CreateSecurityGroup",
            json!({"RegionId": "cn-hangzhou", "VpcId": n.vpc2}),
        ),
        "SecurityGroupId",
    );
    ok(
        w,
        A,
        "AuthorizeSecurityGroup",
        json!({"RegionId": "cn-hangzhou", "SecurityGroupId": sg_e, "Permissions.1.IpProtocol": "TCP",
               "Permissions.1.PortRange": "22/22", "Permissions.1.SourceCidrIp": "0.0.0.0/0"}),
    );
    ok(
        w,
        A,
        "RunInstances",
        json!({"RegionId": "cn-hangzhou", "VSwitchId": n.vsw4, "SecurityGroupId": sg_e, "PrivateIpAddress": "192.168.7.100",
               "InstanceType": "ecs.g7.large", "ImageId": "aliyun_3_x64_20G_alibase_20240528.vhd",
               "Tag.1.Key": "ramsim:listening", "Tag.1.Value": "tcp/80"}),
    );
    // Steps 5, 8–10.
    let lb = alb1(&mut n);
    let g = ip_group(&mut n);
    good::<AlbAddServersToServerGroup>(&mut n.w, add(&g, "192.168.7.100", true));
    let lsn = s(
        &good::<AlbCreateListener>(
            &mut n.w,
            json!({"RegionId": "cn-chengdu", "LoadBalancerId": lb, "ListenerProtocol": "HTTP", "ListenerPort": 80,
                   "DefaultActions.1.Type": "ForwardGroup", "DefaultActions.1.ForwardGroupConfig.ServerGroupTuples.1.ServerGroupId": g}),
        ),
        "ListenerId",
    );
    // Steps 11–15.
    let w = &mut n.w;
    let attach = |w: &mut World, region: &str, tr: &str, vpc: &str, zones: [(&str, &str); 2]| {
        s(
            &ok(
                w,
                A,
                "CreateTransitRouterVpcAttachment",
                json!({"RegionId": region, "TransitRouterId": tr, "VpcId": vpc,
                       "ZoneMappings.1.VSwitchId": zones[0].0, "ZoneMappings.1.ZoneId": zones[0].1,
                       "ZoneMappings.2.VSwitchId": zones[1].0, "ZoneMappings.2.ZoneId": zones[1].1}),
            ),
            "TransitRouterAttachmentId",
        )
    };
    let link = |w: &mut World, api: &str, att: &str, table: &str| {
        ok(
            w,
            A,
            api,
            json!({"TransitRouterAttachmentId": att, "TransitRouterRouteTableId": table}),
        );
    };
    let att1 = attach(
        w,
        "cn-chengdu",
        &n.tr_cd,
        &n.vpc1,
        [(&n.vsw1, "cn-chengdu-a"), (&n.vsw2, "cn-chengdu-b")],
    );
    link(
        w,
        "AssociateTransitRouterAttachmentWithRouteTable",
        &att1,
        &n.trt_cd,
    );
    link(
        w,
        "EnableTransitRouterRouteTablePropagation",
        &att1,
        &n.trt_cd,
    );
    let att2 = attach(
        w,
        "cn-hangzhou",
        &n.tr_hz,
        &n.vpc2,
        [(&n.vsw3, "cn-hangzhou-h"), (&n.vsw4, "cn-hangzhou-i")],
    );
    link(
        w,
        "AssociateTransitRouterAttachmentWithRouteTable",
        &att2,
        &n.trt_hz,
    );
    link(
        w,
        "EnableTransitRouterRouteTablePropagation",
        &att2,
        &n.trt_hz,
    );
    let attp = s(
        &ok(
            w,
            A,
            "CreateTransitRouterPeerAttachment",
            json!({"RegionId": "cn-chengdu", "CenId": n.cen, "TransitRouterId": n.tr_cd,
                   "PeerTransitRouterId": n.tr_hz, "PeerTransitRouterRegionId": "cn-hangzhou",
                   "BandwidthType": "BandwidthPackage", "CenBandwidthPackageId": n.bwp, "Bandwidth": 10}),
        ),
        "TransitRouterAttachmentId",
    );
    link(
        w,
        "AssociateTransitRouterAttachmentWithRouteTable",
        &attp,
        &n.trt_cd,
    );
    if !v.no_peer_propagation_cd {
        link(
            w,
            "EnableTransitRouterRouteTablePropagation",
            &attp,
            &n.trt_cd,
        );
    }
    link(
        w,
        "AssociateTransitRouterAttachmentWithRouteTable",
        &attp,
        &n.trt_hz,
    );
    link(
        w,
        "EnableTransitRouterRouteTablePropagation",
        &attp,
        &n.trt_hz,
    );
    // Step 16 (or S3-N1's custom table).
    let route = |w: &mut World, region: &str, table: &str, dest: &str, att: &str| {
        ok(
            w,
            A,
            "CreateRouteEntry",
            json!({"RegionId": region, "RouteTableId": table, "DestinationCidrBlock": dest,
                   "NextHopType": "Attachment", "NextHopId": att}),
        );
    };
    if v.custom_table {
        // No CreateRouteTable API in the model yet: the custom table is put in directly.
        let mut t = w.route_tables.get(&n.rt1).unwrap().clone();
        t.route_table_id = "vtb-2vcs3n1customtable0".into();
        t.table_type = crate::cloud::vpc::route::TableType::Custom;
        let t_id = t.route_table_id.clone();
        w.route_tables.insert(t_id.clone(), t);
        for vsw in [&n.vsw1, &n.vsw2] {
            w.vswitches.get_mut(vsw.as_str()).unwrap().route_table_id = Some(t_id.clone());
        }
        let t = t_id;
        route(w, "cn-chengdu", &t, "192.168.7.0/24", &att1);
    } else {
        route(w, "cn-chengdu", &n.rt1, "192.168.7.0/24", &att1);
    }
    if !v.skip18 {
        route(w, "cn-hangzhou", &n.rt2, "100.64.0.0/10", &att2);
    }
    if !v.skip19 {
        ok(
            w,
            A,
            "CreateTransitRouterRouteEntry",
            json!({"TransitRouterRouteTableId": n.trt_cd, "TransitRouterRouteEntryDestinationCidrBlock": "100.64.0.0/10",
                   "TransitRouterRouteEntryNextHopType": "Attachment", "TransitRouterRouteEntryNextHopId": att1}),
        );
    }
    if !v.skip20 {
        ok(
            w,
            A,
            "AuthorizeSecurityGroup",
            json!({"RegionId": "cn-hangzhou", "SecurityGroupId": sg_e, "Permissions.1.IpProtocol": "TCP",
                   "Permissions.1.PortRange": "80/80", "Permissions.1.SourceCidrIp": "100.64.0.0/10",
                   "Permissions.1.Policy": "accept", "Permissions.1.Priority": "1"}),
        );
    }
    (n.w, c, lb, lsn, sg_e)
}

/// Reach ECS_C → the ALB's DNS name tcp/80 (S3 step 21): the verdict, the first code and the
/// first backend's cause.
fn s3_reach(
    w: &World,
    c: &str,
    lb: &str,
) -> (crate::cloud::reach::Verdict, Option<String>, Option<String>) {
    use crate::cloud::reach::{analyze, Probe, Source, Target};
    let v = analyze(
        w,
        &Probe {
            source: Source::Ecs {
                instance_id: c.into(),
                source_ip: None,
            },
            target: Target::Domain {
                name: format!("{lb}.internal.cn-chengdu.alb.aliyuncs.com"),
            },
            protocol: crate::cloud::packet::Protocol::Tcp,
            source_port: None,
            target_port: Some(80),
        },
    )
    .unwrap();
    let code = v.first_error().map(|f| f.code.as_str().to_string());
    let cause = v
        .candidates
        .iter()
        .flat_map(|c| c.backends.iter())
        .find_map(|b| b.cause)
        .map(|c| c.as_str().to_string());
    (v, code, cause)
}

#[test]
fn s3_step_21_reaches_the_cross_region_backend_there_and_back() {
    let (w, c, lb, lsn, _) = s3_full(&Variant::default());
    let (v, code, _) = s3_reach(&w, &c, &lb);
    assert!(v.reachable, "{code:?} {:#?}", v.findings);
    let types: Vec<&str> = v.forward.iter().map(|h| h.node_type.as_str()).collect();
    assert_eq!(
        types,
        [
            "VM",
            "ENI",
            "VSW",
            "ALB",
            "LSN",
            "SGP",
            "VSW",
            "VRT",
            "TR_ATTACH",
            "TR",
            "TR_ATTACH",
            "TR",
            "TR_ATTACH",
            "VRT",
            "VSW",
            "ENI",
            "VM"
        ],
        "{:#?}",
        v.forward
    );
    // The reply: ECS1 → RT2 100.64.0.0/10 → ATT2 → TRT_HZ → ATTP → TRT_CD → ATT1 → VPC1's
    // hidden route to the ALB.
    let rev: Vec<&str> = v.reverse.iter().map(|h| h.node_type.as_str()).collect();
    assert!(
        rev.windows(5)
            .any(|x| x == ["TR_ATTACH", "TR", "TR_ATTACH", "TR", "TR_ATTACH"]),
        "{rev:?}"
    );
    let last_vrt = v
        .reverse
        .iter()
        .rev()
        .find(|h| h.node_type.as_str() == "VRT")
        .unwrap();
    assert_eq!(
        last_vrt.matched_route.as_ref().unwrap().destination,
        "100.64.0.1/32"
    );
    // Health from the same logic: Healthy.
    let mut w = w;
    let h = good::<AlbGetListenerHealthStatus>(
        &mut w,
        json!({"RegionId": "cn-chengdu", "ListenerId": lsn}),
    );
    assert_eq!(
        h["ListenerHealthStatus"][0]["ServerGroupInfos"][0]["Status"],
        "Healthy"
    );
}

#[test]
fn s3_step_17_and_the_negative_checks_name_their_cause() {
    let cases: [(&str, Variant, &str); 6] = [
        (
            "step 17 (18-20 missing)",
            Variant {
                skip18: true,
                skip19: true,
                skip20: true,
                ..Variant::default()
            },
            "SG_INGRESS_DENY",
        ),
        (
            "S3-N1",
            Variant {
                custom_table: true,
                ..Variant::default()
            },
            "ROUTE_NOT_FOUND",
        ),
        (
            "S3-N2",
            Variant {
                skip18: true,
                ..Variant::default()
            },
            "RETURN_ROUTE_NOT_FOUND",
        ),
        (
            "S3-N3",
            Variant {
                skip19: true,
                ..Variant::default()
            },
            "RETURN_TR_ROUTE_NOT_FOUND",
        ),
        (
            "S3-N4",
            Variant {
                skip20: true,
                ..Variant::default()
            },
            "SG_INGRESS_DENY",
        ),
        (
            "S3-N13",
            Variant {
                no_peer_propagation_cd: true,
                ..Variant::default()
            },
            "TR_ROUTE_NOT_FOUND",
        ),
    ];
    for (name, v, want) in cases {
        let (mut w, c, lb, lsn, _) = s3_full(&v);
        let (verdict, code, cause) = s3_reach(&w, &c, &lb);
        assert!(!verdict.reachable, "{name}");
        assert_eq!(code.as_deref(), Some("LB_BACKEND_UNHEALTHY"), "{name}");
        assert_eq!(
            cause.as_deref(),
            Some(want),
            "{name}: {:#?}",
            verdict.findings
        );
        let h = good::<AlbGetListenerHealthStatus>(
            &mut w,
            json!({"RegionId": "cn-chengdu", "ListenerId": lsn}),
        );
        assert_eq!(
            h["ListenerHealthStatus"][0]["ServerGroupInfos"][0]["Status"], "Unhealthy",
            "{name}"
        );
        // The fix of the cause, applied, moves on (never the same failure twice).
        let fix = crate::cloud::reach::fix::suggest(&w, &verdict)
            .unwrap_or_else(|| panic!("{name}: no fix"));
        let p = fix.params_json();
        let r = crate::cloud::tests::call(&mut w, &fix.caller, fix.action, Value::Object(p));
        assert!(r.is_ok(), "{name}: {} -> {r:?}", fix.aliyun_line());
        let (after, code2, cause2) = s3_reach(&w, &c, &lb);
        assert!(
            after.reachable || (code2.clone(), cause2.clone()) != (code.clone(), cause.clone()),
            "{name}: {} did not move on",
            fix.aliyun_line()
        );
    }
}
