//! ECS instances and ENIs through the gateway (issue 10 §2–§3, `network-model.md` §7.1, §7.2,
//! §9.2, §9.5, §10): each API succeeds, answers every error code §7.1/§7.2 lists (and the
//! model's other checks) leaving the state byte-identical, is denied by RAM with its
//! `AccessDeniedDetail`, and leaves exactly one audit event per call (the driver checks that on
//! every call).

mod gateway_support;

use gateway_support::*;
use serde_json::{json, Value};

/// A read-only viewer and an operator whose RunInstances is limited to group `web` and
/// vSwitch `prod-h`, whose Stop/Start is limited to one instance name pattern.
fn identity() -> Value {
    let read = json!({"Version": "1", "Statement": [
        {"Effect": "Allow", "Action": "ecs:Describe*", "Resource": "*"}
    ]})
    .to_string();
    json!({"accounts": {"A": {
        "policies": [{"name": "ecs-read", "document": read}],
        "users": [{"name": "viewer", "policies": ["ecs-read"]}, {"name": "operator", "policies": []}]
    }}})
}

fn world(extra: Value) -> Value {
    let mut w = fixture(json!({
        "vpcs": [
            {"owner": A, "region_id": "cn-hangzhou", "cidr_block": "10.0.0.0/16", "name": "prod",
             "vswitches": [
                {"zone_id": "cn-hangzhou-h", "cidr_block": "10.0.1.0/24", "name": "prod-h"},
                {"zone_id": "cn-hangzhou-i", "cidr_block": "10.0.2.0/29", "name": "tiny"}
             ]},
            {"owner": A, "region_id": "cn-hangzhou", "cidr_block": "10.1.0.0/16", "name": "other",
             "vswitches": [{"zone_id": "cn-hangzhou-h", "cidr_block": "10.1.1.0/24", "name": "other-h"}]},
            {"owner": B, "region_id": "cn-hangzhou", "cidr_block": "10.2.0.0/16", "name": "b",
             "vswitches": [{"zone_id": "cn-hangzhou-h", "cidr_block": "10.2.1.0/24", "name": "b-h"}]},
            {"owner": A, "region_id": "cn-beijing", "cidr_block": "10.3.0.0/16", "name": "bj",
             "vswitches": [{"zone_id": "cn-beijing-a", "cidr_block": "10.3.1.0/24", "name": "bj-a"}]}
        ],
        "security_groups": [
            {"owner": A, "vpc": "prod", "name": "web"},
            {"owner": A, "vpc": "prod", "name": "ssh"},
            {"owner": A, "vpc": "prod", "name": "g3"},
            {"owner": A, "vpc": "prod", "name": "g4"},
            {"owner": A, "vpc": "prod", "name": "g5"},
            {"owner": A, "vpc": "prod", "name": "g6"},
            {"owner": A, "vpc": "other", "name": "other-sg"},
            {"owner": B, "vpc": "b", "name": "b-sg"},
            {"owner": A, "vpc": "bj", "name": "bj-sg"}
        ],
        "identity": identity()
    }));
    merge(&mut w, extra);
    w
}

fn sg(s: &Sim, owner: &str, name: &str) -> String {
    s.gw.state
        .world
        .ecs()
        .security_groups
        .values()
        .find(|g| g.owner_uid == owner && g.name == name)
        .unwrap_or_else(|| panic!("no group {name}"))
        .security_group_id
        .clone()
}

fn vsw(s: &Sim, name: &str) -> String {
    s.gw.state
        .world
        .vpcs()
        .flat_map(|v| s.gw.state.world.vswitches_of(&v.vpc_id))
        .find(|x| x.name == name)
        .unwrap_or_else(|| panic!("no vSwitch {name}"))
        .vswitch_id
        .clone()
}

fn run(s: &mut Sim, who: &str, params: Value) -> Vec<String> {
    let b = s.ok_json(who, "RunInstances", params);
    b["InstanceIdSets"]["InstanceIdSet"]
        .as_array()
        .expect("ids")
        .iter()
        .map(|v| v.as_str().expect("id").to_string())
        .collect()
}

fn run_web(s: &mut Sim) -> String {
    let (v, g) = (vsw(s, "prod-h"), sg(s, A, "web"));
    run(
        s,
        "root@A",
        json!({"RegionId": "cn-hangzhou", "VSwitchId": v, "SecurityGroupId": g}),
    )
    .remove(0)
}

/// A failing call: its status and code, and the state is byte-identical afterwards.
#[track_caller]
fn fails(s: &mut Sim, who: &str, api: &str, params: Value, status: u16, code: &str) {
    let before = s.snapshot();
    let r = s.json(who, api, params.clone());
    assert_eq!(
        (r.http_status, r.error_code().unwrap_or("")),
        (status, code),
        "{api} {params}: {}",
        r.body
    );
    assert!(s.snapshot() == before, "{api} {params} changed the state");
}

#[test]
fn run_instances_creates_instances_with_primary_enis_and_one_event() {
    let mut s = gateway(&world(json!({})));
    let (v, web, ssh) = (vsw(&s, "prod-h"), sg(&s, A, "web"), sg(&s, A, "ssh"));
    let r = s.json(
        "root@A",
        "RunInstances",
        json!({"RegionId": "cn-hangzhou", "ZoneId": "cn-hangzhou-h", "VSwitchId": v,
               "SecurityGroupIds.1": web, "SecurityGroupIds.2": ssh,
               "PrivateIpAddress": "10.0.1.10", "InstanceName": "web-1", "InstanceType": "ecs.g7.large",
               "ImageId": "aliyun_3_x64", "Tag.1.Key": "ramsim:listening", "Tag.1.Value": "tcp/80,tcp/22",
               "Tag.2.Key": "team", "Tag.2.Value": "blue"}),
    );
    assert!(r.is_success(), "{}", r.body);
    let id = r.body["InstanceIdSets"]["InstanceIdSet"][0]
        .as_str()
        .expect("id")
        .to_string();
    assert!(id.starts_with("i-"), "{id}");
    let ev = s.event(&r.request_id);
    assert_eq!(ev.service_name, "Ecs");
    assert_eq!(ev.api_version, "2014-05-26");
    assert_eq!(ev.event_source, "ecs.cn-hangzhou.aliyuncs.com");
    assert_eq!(ev.resource_type, "ACS::ECS::Instance");
    assert_eq!(ev.resource_name, id);
    assert_eq!(ev.event_rw, "Write");

    let inst = s.gw.state.world.ecs().instances[id.as_str()].clone();
    assert_eq!(inst.private_ip.to_string(), "10.0.1.10");
    assert_eq!(inst.instance_name, "web-1");
    assert_eq!(
        inst.listening
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        ["tcp/22", "tcp/80"]
    );
    let d = s.ok_json(
        "root@A",
        "DescribeInstances",
        json!({"RegionId": "cn-hangzhou", "InstanceIds": format!("[\"{id}\"]")}),
    );
    assert_eq!(d["TotalCount"], 1);
    let row = &d["Instances"]["Instance"][0];
    assert_eq!(row["Status"], "Running");
    assert_eq!(
        row["VpcAttributes"]["PrivateIpAddress"]["IpAddress"][0],
        "10.0.1.10"
    );
    assert_eq!(
        row["SecurityGroupIds"]["SecurityGroupId"],
        json!([web, ssh])
    );
    let eni = row["NetworkInterfaces"]["NetworkInterface"][0]["NetworkInterfaceId"]
        .as_str()
        .expect("eni")
        .to_string();
    let e = s.ok_json(
        "root@A",
        "DescribeNetworkInterfaces",
        json!({"RegionId": "cn-hangzhou", "NetworkInterfaceId.1": eni}),
    );
    assert_eq!(e["TotalCount"], 1);
    let set = &e["NetworkInterfaceSets"]["NetworkInterfaceSet"][0];
    assert_eq!(set["Type"], "Primary");
    assert_eq!(set["InstanceId"], id.as_str());
    assert_eq!(set["PrivateIpAddress"], "10.0.1.10");
    let reads = s.api_events();
    let last = reads.last().expect("event");
    assert_eq!(last.resource_type, "ACS::ECS::NetworkInterface");
    assert_eq!(last.event_rw, "Read");

    // Without an address: the lowest free usable one; Amount creates several.
    let more = run(
        &mut s,
        "root@A",
        json!({"RegionId": "cn-hangzhou", "VSwitchId": v, "SecurityGroupId": web, "Amount": 2}),
    );
    let ips: Vec<String> = more
        .iter()
        .map(|i| {
            s.gw.state.world.ecs().instances[i.as_str()]
                .private_ip
                .to_string()
        })
        .collect();
    assert_eq!(ips, ["10.0.1.1", "10.0.1.2"]);
    s.gw.state
        .world
        .ecs()
        .check_invariants()
        .expect("invariants");
}

#[test]
fn run_instances_error_codes_leave_the_state_unchanged() {
    let mut s = gateway(&world(json!({})));
    let (v, tiny, other_v, b_v, bj_v) = (
        vsw(&s, "prod-h"),
        vsw(&s, "tiny"),
        vsw(&s, "other-h"),
        vsw(&s, "b-h"),
        vsw(&s, "bj-a"),
    );
    let (web, ssh, other_sg, b_sg, bj_sg) = (
        sg(&s, A, "web"),
        sg(&s, A, "ssh"),
        sg(&s, A, "other-sg"),
        sg(&s, B, "b-sg"),
        sg(&s, A, "bj-sg"),
    );
    let groups: Vec<String> = ["web", "ssh", "g3", "g4", "g5", "g6"]
        .iter()
        .map(|n| sg(&s, A, n))
        .collect();
    run(
        &mut s,
        "root@A",
        json!({"RegionId": "cn-hangzhou", "VSwitchId": v, "SecurityGroupId": web, "PrivateIpAddress": "10.0.1.50"}),
    );
    let base = json!({"RegionId": "cn-hangzhou", "VSwitchId": v, "SecurityGroupId": web});
    let with = |extra: Value| {
        let mut b = base.clone();
        merge(&mut b, extra);
        b
    };
    let cases: Vec<(Value, u16, &str)> = vec![
        (json!({"VSwitchId": v}), 400, "MissingParameter.RegionId"),
        (
            with(json!({"RegionId": "cn-nowhere"})),
            404,
            "InvalidRegionId.NotFound",
        ),
        (
            json!({"RegionId": "cn-hangzhou", "SecurityGroupId": web}),
            400,
            "InvalidVSwitchId.Necessary",
        ),
        (
            with(json!({"VSwitchId": "vsw-nosuchthing0000"})),
            400,
            "InvalidParameter.VSwitchId",
        ),
        // another account's vSwitch, and a vSwitch of another region, are unknown too
        (
            with(json!({"VSwitchId": b_v})),
            400,
            "InvalidParameter.VSwitchId",
        ),
        (
            with(json!({"VSwitchId": bj_v, "SecurityGroupId": bj_sg})),
            400,
            "InvalidParameter.VSwitchId",
        ),
        (
            json!({"RegionId": "cn-hangzhou", "VSwitchId": v}),
            400,
            "MissingParameter.SecurityGroupId",
        ),
        (
            with(json!({"SecurityGroupId": "sg-nosuchgroup0000"})),
            404,
            "InvalidSecurityGroupId.NotFound",
        ),
        (
            with(json!({"SecurityGroupId": b_sg})),
            404,
            "InvalidSecurityGroupId.NotFound",
        ),
        (
            with(json!({"ZoneId": "cn-hangzhou-i"})),
            400,
            "InvalidParameter.ZoneId",
        ),
        (
            with(json!({"SecurityGroupIds.1": web})),
            400,
            "InvalidParameter.SecurityGroupIdRepeated",
        ),
        (
            json!({"RegionId": "cn-hangzhou", "VSwitchId": v, "SecurityGroupIds.1": groups[0], "SecurityGroupIds.2": groups[1],
                   "SecurityGroupIds.3": groups[2], "SecurityGroupIds.4": groups[3], "SecurityGroupIds.5": groups[4],
                   "SecurityGroupIds.6": groups[5]}),
            400,
            "JoinedGroupLimitExceed",
        ),
        (
            with(json!({"SecurityGroupIds.1": other_sg})),
            400,
            "InvalidSecurityGroup.VpcMismatch",
        ),
        (
            with(json!({"VSwitchId": other_v})),
            400,
            "InvalidParameter.Mismatch",
        ),
        (
            with(json!({"InstanceName": "1bad"})),
            400,
            "InvalidInstanceName.Malformed",
        ),
        (with(json!({"Amount": 0})), 403, "InvalidParam.Amount"),
        (with(json!({"Amount": 101})), 403, "InvalidParam.Amount"),
        (
            with(json!({"Amount": 2, "PrivateIpAddress": "10.0.1.20"})),
            400,
            "InvalidPrimaryIpAddress.SizeInvalid",
        ),
        (
            with(json!({"Tag.1.Value": "v"})),
            400,
            "InvalidTag.Mismatch",
        ),
        (
            with(json!({"Tag.1.Key": "acs:x", "Tag.1.Value": "v"})),
            400,
            "InvalidTagKey.Malformed",
        ),
        (
            with(json!({"Tag.1.Key": "ramsim:listening", "Tag.1.Value": "tcp/0"})),
            400,
            "InvalidTagValue.Malformed",
        ),
        (
            with(json!({"Tag.1.Key": "k", "Tag.2.Key": "k"})),
            400,
            "Duplicate.TagKey",
        ),
        (
            with(json!({"PrivateIpAddress": "10.0.1"})),
            400,
            "InvalidPrivateIpAddress.Malformed",
        ),
        (
            with(json!({"PrivateIpAddress": "10.0.9.9"})),
            400,
            "InvalidPrivateIpAddress",
        ),
        // reserved: the vSwitch's first address and its last three
        (
            with(json!({"PrivateIpAddress": "10.0.1.0"})),
            400,
            "InvalidPrivateIpAddress",
        ),
        (
            with(json!({"PrivateIpAddress": "10.0.1.253"})),
            400,
            "InvalidPrivateIpAddress",
        ),
        (
            with(json!({"PrivateIpAddress": "10.0.1.50"})),
            400,
            "InvalidPrivateIpAddress.Duplicated",
        ),
        (
            with(json!({"VSwitchId": tiny, "Amount": 5})),
            400,
            "QuotaExceeded.PrivateIpAddress",
        ),
        (with(json!({"DryRun": true})), 400, "DryRunOperation"),
        (
            with(json!({"Amount": "many"})),
            400,
            "InvalidParameter.Amount",
        ),
        (with(json!({"Colour": "red"})), 400, "InvalidParameter"),
    ];
    let _ = ssh;
    for (params, status, code) in cases {
        fails(&mut s, "root@A", "RunInstances", params, status, code);
    }
    // A full vSwitch: four usable addresses in a /29, then QuotaExceeded.
    run(
        &mut s,
        "root@A",
        with(json!({"VSwitchId": tiny, "Amount": 4})),
    );
    fails(
        &mut s,
        "root@A",
        "RunInstances",
        with(json!({"VSwitchId": tiny})),
        400,
        "QuotaExceeded.PrivateIpAddress",
    );
}

#[test]
fn run_instances_in_a_vswitch_still_being_created_is_incorrect_vswitch_status() {
    let mut s = gateway(&world(json!({"options": {"settle": "Stepped"}})));
    let vpc = s.vpc(A, "prod");
    let b = s.ok_json(
        "root@A",
        "CreateVSwitch",
        json!({"RegionId": "cn-hangzhou", "ZoneId": "cn-hangzhou-h", "VpcId": vpc, "CidrBlock": "10.0.3.0/24"}),
    );
    let fresh = b["VSwitchId"].as_str().expect("id").to_string();
    let web = sg(&s, A, "web");
    fails(
        &mut s,
        "root@A",
        "RunInstances",
        json!({"RegionId": "cn-hangzhou", "VSwitchId": fresh, "SecurityGroupId": web}),
        400,
        "IncorrectVSwitchStatus",
    );
    // Stepped: the instance is Pending until settled.
    let id = run_web(&mut s);
    let d = s.ok_json(
        "root@A",
        "DescribeInstances",
        json!({"RegionId": "cn-hangzhou", "Status": "Pending"}),
    );
    assert_eq!(d["Instances"]["Instance"][0]["InstanceId"], id.as_str());
    fails(
        &mut s,
        "root@A",
        "StopInstance",
        json!({"InstanceId": id}),
        403,
        "IncorrectInstanceStatus",
    );
}

#[test]
fn start_stop_delete_follow_the_status_machine() {
    let mut s = gateway(&world(json!({})));
    let id = run_web(&mut s);
    let status = |s: &mut Sim| -> String {
        let d = s.ok_json(
            "root@A",
            "DescribeInstances",
            json!({"RegionId": "cn-hangzhou", "InstanceIds": format!("[\"{id}\"]")}),
        );
        d["Instances"]["Instance"][0]["Status"]
            .as_str()
            .unwrap_or("gone")
            .to_string()
    };
    let p = json!({"InstanceId": id});
    fails(
        &mut s,
        "root@A",
        "StartInstance",
        p.clone(),
        403,
        "IncorrectInstanceStatus",
    );
    fails(
        &mut s,
        "root@A",
        "DeleteInstance",
        p.clone(),
        403,
        "IncorrectInstanceStatus",
    );
    fails(
        &mut s,
        "root@A",
        "StopInstance",
        json!({"InstanceId": id, "DryRun": true}),
        400,
        "DryRunOperation",
    );
    let r = s.cli(
        "root@A",
        &format!("aliyun ecs StopInstance --InstanceId {id}"),
    );
    assert!(r.is_success(), "{}", r.body);
    let ev = s.event(&r.request_id);
    assert_eq!(ev.acs_region, "cn-hangzhou", "the instance's region");
    assert_eq!(ev.resource_name, id);
    assert_eq!(status(&mut s), "Stopped");
    fails(
        &mut s,
        "root@A",
        "StopInstance",
        p.clone(),
        403,
        "IncorrectInstanceStatus",
    );
    s.ok_json("root@A", "StartInstance", p.clone());
    assert_eq!(status(&mut s), "Running");
    s.ok_json("root@A", "StopInstance", p.clone());
    fails(
        &mut s,
        "root@A",
        "DeleteInstance",
        json!({"InstanceId": id, "DryRun": true}),
        400,
        "DryRunOperation",
    );
    s.ok_json("root@A", "DeleteInstance", p.clone());
    assert_eq!(status(&mut s), "gone");
    assert!(
        s.gw.state.world.ecs().enis.is_empty(),
        "the primary ENI goes"
    );
    assert!(s.gw.state.world.ecs().addresses.is_empty());
    // A running instance needs Force.
    let id2 = run_web(&mut s);
    fails(
        &mut s,
        "root@A",
        "DeleteInstance",
        json!({"InstanceId": id2}),
        403,
        "IncorrectInstanceStatus",
    );
    s.ok_json(
        "root@A",
        "DeleteInstance",
        json!({"InstanceId": id2, "Force": true}),
    );
    for api in ["StartInstance", "StopInstance", "DeleteInstance"] {
        fails(
            &mut s,
            "root@A",
            api,
            json!({"InstanceId": id2}),
            404,
            "InvalidInstanceId.NotFound",
        );
        fails(
            &mut s,
            "root@A",
            api,
            json!({}),
            400,
            "MissingParameter.InstanceId",
        );
    }
}

#[test]
fn instances_of_other_accounts_and_regions_are_not_found() {
    let mut s = gateway(&world(json!({})));
    let id = run_web(&mut s);
    for api in ["StartInstance", "StopInstance", "DeleteInstance"] {
        fails(
            &mut s,
            "root@B",
            api,
            json!({"InstanceId": id}),
            404,
            "InvalidInstanceId.NotFound",
        );
        fails(
            &mut s,
            "root@A",
            api,
            json!({"InstanceId": id, "RegionId": "cn-beijing"}),
            404,
            "InvalidInstanceId.NotFound",
        );
    }
    for (api, extra) in [
        ("TagResources", "Tag.1.Key"),
        ("UntagResources", "TagKey.1"),
    ] {
        let mut p =
            json!({"RegionId": "cn-hangzhou", "ResourceType": "instance", "ResourceId.1": id});
        p[extra] = json!("k");
        fails(&mut s, "root@B", api, p, 404, "InvalidInstanceId.NotFound");
    }
    let d = s.ok_json(
        "root@B",
        "DescribeInstances",
        json!({"RegionId": "cn-hangzhou"}),
    );
    assert_eq!(d["TotalCount"], 0);
    let d = s.ok_json(
        "root@A",
        "DescribeInstances",
        json!({"RegionId": "cn-beijing"}),
    );
    assert_eq!(d["TotalCount"], 0);
    let d = s.ok_json(
        "root@B",
        "DescribeNetworkInterfaces",
        json!({"RegionId": "cn-hangzhou"}),
    );
    assert_eq!(d["TotalCount"], 0);
}

#[test]
fn tags_set_and_clear_what_an_instance_listens_on() {
    let mut s = gateway(&world(json!({})));
    let id = run_web(&mut s);
    let listening = |s: &Sim| -> Vec<String> {
        s.gw.state.world.ecs().instances[id.as_str()]
            .listening
            .iter()
            .map(ToString::to_string)
            .collect()
    };
    assert!(listening(&s).is_empty());
    let r = s.cli(
        "root@A",
        &format!("aliyun ecs TagResources --RegionId cn-hangzhou --ResourceType instance --ResourceId.1 {id} --Tag.1.Key ramsim:listening --Tag.1.Value tcp/443,udp/53"),
    );
    assert!(r.is_success(), "{}", r.body);
    assert_eq!(s.event(&r.request_id).resource_type, "ACS::ECS::Instance");
    assert_eq!(listening(&s), ["tcp/443", "udp/53"]);
    let base = json!({"RegionId": "cn-hangzhou", "ResourceType": "instance", "ResourceId.1": id});
    let with = |extra: Value| {
        let mut b = base.clone();
        merge(&mut b, extra);
        b
    };
    let tag_cases: Vec<(Value, u16, &str)> = vec![
        (with(json!({})), 400, "MissingParameter.Tag.N"),
        (
            json!({"RegionId": "cn-hangzhou", "ResourceType": "instance", "Tag.1.Key": "k"}),
            400,
            "MissingParameter.ResourceId.N",
        ),
        (
            with(json!({"ResourceType": "disk", "Tag.1.Key": "k"})),
            400,
            "InvalidResourceType.NotSupported",
        ),
        (
            with(json!({"ResourceType": null, "Tag.1.Key": "k"})),
            400,
            "MissingParameter.ResourceType",
        ),
        (
            with(json!({"ResourceId.1": "i-nosuchinstance00", "Tag.1.Key": "k"})),
            404,
            "InvalidInstanceId.NotFound",
        ),
        (
            with(json!({"Tag.1.Key": "ramsim:listening", "Tag.1.Value": "http/80"})),
            400,
            "InvalidTagValue.Malformed",
        ),
        (
            with(json!({"Tag.1.Key": "aliyun-x", "Tag.1.Value": "v"})),
            400,
            "InvalidTagKey.Malformed",
        ),
        (
            with(json!({"Tag.1.Key": "k", "Tag.2.Key": "k"})),
            400,
            "Duplicate.TagKey",
        ),
        (
            with(json!({"Tag.1.Value": "v"})),
            400,
            "InvalidTag.Mismatch",
        ),
        (
            with(json!({"Tag.1.Key": "k", "Tag.1.Colour": "red"})),
            400,
            "InvalidParameter.Tag.N",
        ),
    ];
    for (params, status, code) in tag_cases {
        fails(&mut s, "root@A", "TagResources", params, status, code);
    }
    // 21 keys in one call: NumberExceed.Tags; 19 more on top of the one there: QuotaExceed.Tags.
    let mut many = base.clone();
    for i in 1..=21 {
        many[format!("Tag.{i}.Key")] = json!(format!("k{i}"));
    }
    fails(
        &mut s,
        "root@A",
        "TagResources",
        many,
        400,
        "NumberExceed.Tags",
    );
    let mut twenty = base.clone();
    for i in 1..=20 {
        twenty[format!("Tag.{i}.Key")] = json!(format!("k{i}"));
    }
    fails(
        &mut s,
        "root@A",
        "TagResources",
        twenty,
        403,
        "QuotaExceed.Tags",
    );

    let untag_cases: Vec<(Value, u16, &str)> = vec![
        (with(json!({})), 400, "MissingParameter.TagKey.N"),
        (
            with(json!({"ResourceType": "eni", "TagKey.1": "k"})),
            400,
            "InvalidResourceType.NotSupported",
        ),
        (
            with(json!({"ResourceId.1": "i-nosuchinstance00", "TagKey.1": "k"})),
            404,
            "InvalidInstanceId.NotFound",
        ),
    ];
    for (params, status, code) in untag_cases {
        fails(&mut s, "root@A", "UntagResources", params, status, code);
    }
    // An absent key is ignored; removing `ramsim:listening` empties the set.
    s.ok_json(
        "root@A",
        "UntagResources",
        with(json!({"TagKey.1": "absent"})),
    );
    assert_eq!(listening(&s), ["tcp/443", "udp/53"]);
    s.ok_json(
        "root@A",
        "UntagResources",
        with(json!({"TagKey.1": "ramsim:listening"})),
    );
    assert!(listening(&s).is_empty());
    s.ok_json(
        "root@A",
        "TagResources",
        with(json!({"Tag.1.Key": "a", "Tag.1.Value": "1", "Tag.2.Key": "ramsim:listening", "Tag.2.Value": "tcp/8080"})),
    );
    s.ok_json("root@A", "UntagResources", with(json!({"All": true})));
    assert!(listening(&s).is_empty());
    assert!(s.gw.state.world.ecs().instances[id.as_str()]
        .tags
        .is_empty());
}

#[test]
fn describe_calls_filter_and_page() {
    let mut s = gateway(&world(json!({})));
    let (v, web, ssh) = (vsw(&s, "prod-h"), sg(&s, A, "web"), sg(&s, A, "ssh"));
    let ids = run(
        &mut s,
        "root@A",
        json!({"RegionId": "cn-hangzhou", "VSwitchId": v, "SecurityGroupId": web, "Amount": 5,
               "Tag.1.Key": "team", "Tag.1.Value": "blue"}),
    );
    run(
        &mut s,
        "root@A",
        json!({"RegionId": "cn-hangzhou", "VSwitchId": v, "SecurityGroupId": ssh, "InstanceName": "lonely"}),
    );
    let d = |s: &mut Sim, extra: Value| -> Value {
        let mut p = json!({"RegionId": "cn-hangzhou"});
        merge(&mut p, extra);
        s.ok_json("root@A", "DescribeInstances", p)
    };
    assert_eq!(d(&mut s, json!({}))["TotalCount"], 6);
    assert_eq!(d(&mut s, json!({"SecurityGroupId": ssh}))["TotalCount"], 1);
    assert_eq!(
        d(&mut s, json!({"InstanceName": "lonely"}))["TotalCount"],
        1
    );
    assert_eq!(
        d(&mut s, json!({"Tag.1.Key": "team", "Tag.1.Value": "blue"}))["TotalCount"],
        5
    );
    assert_eq!(
        d(&mut s, json!({"ZoneId": "cn-hangzhou-i"}))["TotalCount"],
        0
    );
    assert_eq!(d(&mut s, json!({"Status": "Stopped"}))["TotalCount"], 0);
    // PageNumber/PageSize
    let p2 = d(&mut s, json!({"PageSize": 4, "PageNumber": 2}));
    assert_eq!(
        p2["Instances"]["Instance"].as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(p2["NextToken"], "");
    // MaxResults/NextToken walk every instance once, in id order.
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let mut q = json!({"MaxResults": 4});
        if !token.is_empty() {
            q["NextToken"] = json!(token);
        }
        let page = d(&mut s, q);
        for row in page["Instances"]["Instance"].as_array().expect("rows") {
            seen.push(row["InstanceId"].as_str().expect("id").to_string());
        }
        token = page["NextToken"].as_str().expect("token").to_string();
        if token.is_empty() {
            break;
        }
    }
    let mut all: Vec<String> =
        s.gw.state
            .world
            .ecs()
            .instances
            .keys()
            .map(|k| k.to_string())
            .collect();
    all.sort();
    assert_eq!(seen, all);
    assert!(ids.iter().all(|i| seen.contains(i)));
    let bad: Vec<(Value, u16, &str)> = vec![
        (
            json!({"RegionId": "cn-hangzhou", "InstanceIds": "i-1"}),
            400,
            "InvalidInstanceIds.Malformed",
        ),
        (
            json!({"RegionId": "cn-hangzhou", "Status": "Sleeping"}),
            400,
            "InvalidParameter.Status",
        ),
        (
            json!({"RegionId": "cn-hangzhou", "PageSize": 101}),
            400,
            "InvalidParameter.PageSize",
        ),
        (
            json!({"RegionId": "cn-hangzhou", "MaxResults": 0}),
            400,
            "InvalidParameter.MaxResults",
        ),
        (json!({}), 400, "MissingParameter.RegionId"),
        (
            json!({"RegionId": "cn-nowhere"}),
            404,
            "InvalidRegionId.NotFound",
        ),
    ];
    for (params, status, code) in bad {
        fails(&mut s, "root@A", "DescribeInstances", params, status, code);
    }
    let e = s.ok_json(
        "root@A",
        "DescribeNetworkInterfaces",
        json!({"RegionId": "cn-hangzhou", "SecurityGroupId": ssh, "Type": "Primary"}),
    );
    assert_eq!(e["TotalCount"], 1);
    let e = s.ok_json(
        "root@A",
        "DescribeNetworkInterfaces",
        json!({"RegionId": "cn-hangzhou", "InstanceId": ids[0]}),
    );
    assert_eq!(e["TotalCount"], 1);
    let e = s.ok_json(
        "root@A",
        "DescribeNetworkInterfaces",
        json!({"RegionId": "cn-hangzhou", "Type": "Secondary"}),
    );
    assert_eq!(e["TotalCount"], 0);
    fails(
        &mut s,
        "root@A",
        "DescribeNetworkInterfaces",
        json!({"RegionId": "cn-hangzhou", "Type": "Tertiary"}),
        400,
        "InvalidParameter.Type",
    );
}

#[track_caller]
fn denied(s: &mut Sim, who: &str, api: &str, params: Value, action: &str) {
    let before = s.snapshot();
    let r = s.json(who, api, params);
    assert_eq!(
        (r.http_status, r.error_code()),
        (403, Some("Forbidden.NoPermission")),
        "{api}: {}",
        r.body
    );
    let d = &r.body["AccessDeniedDetail"];
    assert_eq!(d["AuthAction"], action, "{d}");
    assert_eq!(d["NoPermissionType"], "ImplicitDeny", "{d}");
    assert_eq!(d["AuthPrincipalType"], "SubUser", "{d}");
    let ev = s.event(&r.request_id);
    assert_eq!(ev.error_code, "Forbidden.NoPermission");
    assert_eq!(ev.access_denied_detail.as_ref(), Some(d));
    assert!(
        s.snapshot() == before,
        "{api}: a denied call changed the state"
    );
}

#[test]
fn ram_denies_each_api_with_its_action_and_detail() {
    let mut s = gateway(&world(json!({})));
    let id = run_web(&mut s);
    let (v, web) = (vsw(&s, "prod-h"), sg(&s, A, "web"));
    let run_params = json!({"RegionId": "cn-hangzhou", "VSwitchId": v, "SecurityGroupId": web});
    let tag = json!({"RegionId": "cn-hangzhou", "ResourceType": "instance", "ResourceId.1": id, "Tag.1.Key": "k"});
    let untag = json!({"RegionId": "cn-hangzhou", "ResourceType": "instance", "ResourceId.1": id, "TagKey.1": "k"});
    let one = json!({"InstanceId": id});
    let writes: Vec<(&str, Value)> = vec![
        ("RunInstances", run_params.clone()),
        ("StopInstance", one.clone()),
        ("StartInstance", one.clone()),
        ("DeleteInstance", one.clone()),
        ("TagResources", tag.clone()),
        ("UntagResources", untag.clone()),
    ];
    // The viewer reads, and writes nothing.
    for (api, params) in &writes {
        denied(
            &mut s,
            "viewer@A",
            api,
            params.clone(),
            &format!("ecs:{api}"),
        );
    }
    s.ok_json(
        "viewer@A",
        "DescribeInstances",
        json!({"RegionId": "cn-hangzhou"}),
    );
    s.ok_json(
        "viewer@A",
        "DescribeNetworkInterfaces",
        json!({"RegionId": "cn-hangzhou"}),
    );
    // The operator has no policy at all: the reads are denied too.
    for api in ["DescribeInstances", "DescribeNetworkInterfaces"] {
        denied(
            &mut s,
            "operator@A",
            api,
            json!({"RegionId": "cn-hangzhou"}),
            &format!("ecs:{api}"),
        );
    }
}

#[test]
fn ram_authorizes_run_instances_on_the_instance_group_and_vswitch_arns() {
    let mut s = gateway(&world(json!({})));
    let (v, web, ssh) = (vsw(&s, "prod-h"), sg(&s, A, "web"), sg(&s, A, "ssh"));
    // Allowed: instances anywhere, group `web` only, the vSwitch `prod-h` only.
    let doc = json!({"Version": "1", "Statement": [
        {"Effect": "Allow", "Action": "ecs:RunInstances", "Resource": [
            format!("acs:ecs:cn-hangzhou:{A}:instance/*"),
            format!("acs:ecs:cn-hangzhou:{A}:securitygroup/{web}"),
            format!("acs:vpc:cn-hangzhou:{A}:vswitch/{v}")
        ]},
        {"Effect": "Allow", "Action": ["ecs:StopInstance", "ecs:TagResources"], "Resource": format!("acs:ecs:*:{A}:instance/*")}
    ]})
    .to_string();
    s.ok_json(
        "root@A",
        "CreatePolicy",
        json!({"PolicyName": "runner", "PolicyDocument": doc}),
    );
    s.ok_json(
        "root@A",
        "AttachPolicyToUser",
        json!({"PolicyType": "Custom", "PolicyName": "runner", "UserName": "operator"}),
    );
    let ok = run(
        &mut s,
        "operator@A",
        json!({"RegionId": "cn-hangzhou", "VSwitchId": v, "SecurityGroupId": web}),
    );
    denied(
        &mut s,
        "operator@A",
        "RunInstances",
        json!({"RegionId": "cn-hangzhou", "VSwitchId": v, "SecurityGroupId": ssh}),
        "ecs:RunInstances",
    );
    denied(
        &mut s,
        "operator@A",
        "RunInstances",
        json!({"RegionId": "cn-hangzhou", "VSwitchId": v, "SecurityGroupIds.1": web, "SecurityGroupIds.2": ssh}),
        "ecs:RunInstances",
    );
    let tiny = vsw(&s, "tiny");
    denied(
        &mut s,
        "operator@A",
        "RunInstances",
        json!({"RegionId": "cn-hangzhou", "VSwitchId": tiny, "SecurityGroupId": web}),
        "ecs:RunInstances",
    );
    s.ok_json("operator@A", "StopInstance", json!({"InstanceId": ok[0]}));
    denied(
        &mut s,
        "operator@A",
        "StartInstance",
        json!({"InstanceId": ok[0]}),
        "ecs:StartInstance",
    );
}

#[test]
fn world_files_declare_instances_through_run_instances_rules() {
    let s = gateway(&world(json!({
        "instances": [
            {"owner": A, "name": "web-1", "vswitch": "prod-h", "security_groups": ["web", "ssh"],
             "private_ip": "10.0.1.10", "listening": "tcp/80,tcp/22", "tags": {"team": "blue"}},
            {"owner": A, "name": "web-2", "vswitch": "prod-h", "security_groups": ["web"]}
        ]
    })));
    let ecs = s.gw.state.world.ecs();
    let by_name = |n: &str| {
        ecs.instances
            .values()
            .find(|i| i.instance_name == n)
            .unwrap_or_else(|| panic!("no {n}"))
    };
    let w1 = by_name("web-1");
    assert_eq!(w1.private_ip.to_string(), "10.0.1.10");
    assert_eq!(w1.security_group_ids.len(), 2);
    assert_eq!(w1.tags["team"], "blue");
    assert_eq!(
        w1.listening
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        ["tcp/22", "tcp/80"]
    );
    assert_eq!(by_name("web-2").private_ip.to_string(), "10.0.1.1");
    ecs.check_invariants().expect("invariants");
    assert!(s.gw.state.audit.is_empty(), "building a world logs nothing");

    // Errors name the entry and the rule.
    for (instances, needle) in [
        (
            json!([{"owner": A, "vswitch": "nope", "security_groups": ["web"]}]),
            "instances[0].vswitch: no vSwitch `nope`",
        ),
        (
            json!([{"owner": A, "vswitch": "prod-h", "security_groups": ["nope"]}]),
            "instances[0].security_groups[0]: no security group `nope`",
        ),
        (
            json!([{"owner": A, "vswitch": "prod-h", "security_groups": ["web"], "listening": "tcp/99999"}]),
            "instances[0].listening",
        ),
        (
            json!([{"owner": A, "vswitch": "prod-h", "security_groups": ["web"], "private_ip": "10.0.1.10"},
                   {"owner": A, "vswitch": "prod-h", "security_groups": ["web"], "private_ip": "10.0.1.10"}]),
            "instances[1]: InvalidPrivateIpAddress.Duplicated",
        ),
        (
            json!([{"owner": A, "vswitch": "prod-h", "security_groups": ["web"], "colour": "red"}]),
            "unknown field `colour`",
        ),
    ] {
        let w = world(json!({ "instances": instances }));
        let e = ramsim::api::SimState::from_world_json(
            &w.to_string(),
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")),
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(e.contains(needle), "{needle}: {e}");
    }
}
