//! Security groups (network-model.md §7.3) and network ACLs (§7.4) through the gateway: every
//! API succeeds with one audit event of the right resource type; every error code the model
//! answers, each leaving the world byte-identical; RAM denials (Ecs: 403
//! `Forbidden.NoPermission`, Vpc: 403 `Forbidden`) with their `AccessDeniedDetail`, against the
//! concrete ARNs of §9.2; world files that declare groups and ACLs.

mod gateway_support;

use gateway_support::*;
use serde_json::{json, Value};

const HZ: &str = "cn-hangzhou";

/// A and B with VPCs and vSwitches in Hangzhou; A's RAM users: `reader` (Describe only),
/// `netops` (ecs:* and vpc:*), `scoped` (nothing until a test grants it).
fn world() -> Value {
    let describe = json!({"Version": "1", "Statement": [{"Effect": "Allow",
        "Action": ["ecs:Describe*", "vpc:Describe*"], "Resource": "*"}]});
    let admin = json!({"Version": "1", "Statement": [{"Effect": "Allow",
        "Action": ["ecs:*", "vpc:*"], "Resource": "*"}]});
    fixture(json!({
        "vpcs": [
            {"owner": A, "region_id": HZ, "cidr_block": "10.0.0.0/16", "name": "app",
             "vswitches": [
                {"zone_id": "cn-hangzhou-h", "cidr_block": "10.0.1.0/24", "name": "web"},
                {"zone_id": "cn-hangzhou-i", "cidr_block": "10.0.2.0/24", "name": "db"}]},
            {"owner": A, "region_id": HZ, "cidr_block": "10.1.0.0/16", "name": "other",
             "vswitches": [{"zone_id": "cn-hangzhou-h", "cidr_block": "10.1.1.0/24", "name": "o1"}]},
            {"owner": B, "region_id": HZ, "cidr_block": "192.168.0.0/16", "name": "b",
             "vswitches": [{"zone_id": "cn-hangzhou-h", "cidr_block": "192.168.1.0/24", "name": "b1"}]}
        ],
        "identity": {"accounts": {"A": {
            "policies": [
                {"name": "describe", "document": describe},
                {"name": "admin", "document": admin}
            ],
            "users": [
                {"name": "reader", "policies": ["describe"]},
                {"name": "netops", "policies": ["admin"]},
                {"name": "scoped"}
            ]
        }}}
    }))
}

fn merge_into(mut base: Value, extra: Value) -> Value {
    merge(&mut base, extra);
    base
}

fn sim() -> Sim {
    gateway(&world())
}

fn world_bytes(s: &Sim) -> String {
    serde_json::to_string(&s.gw.state.world).expect("world serializes")
}

fn vpc_id(s: &Sim, owner: &str, name: &str) -> String {
    s.vpc(owner, name)
}

fn vsw_id(s: &Sim, vpc: &str, name: &str) -> String {
    s.gw.state
        .world
        .vswitches_of(vpc)
        .find(|v| v.name == name)
        .map(|v| v.vswitch_id.clone())
        .unwrap_or_else(|| panic!("no vSwitch {name}"))
}

/// Merges `extra` into `{"RegionId": HZ}`.
fn p(extra: Value) -> Value {
    let mut base = json!({ "RegionId": HZ });
    merge(&mut base, extra);
    base
}

/// A call that must fail with `(status, code)` and leave the world byte-identical (the audit
/// trail gains the one failed event, checked by the driver).
#[track_caller]
fn fails(s: &mut Sim, who: &str, api: &str, params: Value, status: u16, code: &str) -> Value {
    let before = world_bytes(s);
    let r = s.json(who, api, params.clone());
    assert_eq!(
        (r.http_status, r.error_code()),
        (status, Some(code)),
        "{api} {params}: {}",
        r.body
    );
    assert_eq!(
        world_bytes(s),
        before,
        "{api} failing with {code} changed the world"
    );
    let ev = s.event(&r.request_id);
    assert_eq!(ev.error_code, code);
    r.body.into_value()
}

fn create_sg(s: &mut Sim, who: &str, vpc: &str, kind: &str) -> String {
    let b = s.ok_json(
        who,
        "CreateSecurityGroup",
        p(json!({"VpcId": vpc, "SecurityGroupType": kind})),
    );
    b["SecurityGroupId"].as_str().expect("id").to_string()
}

fn rule(sg: &str, fields: Value) -> Value {
    let mut m = p(json!({ "SecurityGroupId": sg }));
    if let Value::Object(f) = fields {
        for (k, v) in f {
            m[format!("Permissions.1.{k}")] = v;
        }
    }
    m
}

fn ssh(sg: &str) -> Value {
    rule(
        sg,
        json!({"IpProtocol": "TCP", "PortRange": "22/22", "SourceCidrIp": "10.0.0.0/8"}),
    )
}

// ---- security groups ------------------------------------------------------------------------

#[test]
fn security_group_apis_succeed_with_their_audit_event() {
    let mut s = sim();
    let vpc = vpc_id(&s, A, "app");
    let r = s.json(
        "root@A",
        "CreateSecurityGroup",
        p(json!({"VpcId": vpc, "SecurityGroupName": "web", "Description": "web tier"})),
    );
    assert!(r.is_success(), "{}", r.body);
    let sg = r.body["SecurityGroupId"].as_str().expect("id").to_string();
    assert!(sg.starts_with("sg-"), "{sg}");
    let ev = s.event(&r.request_id);
    assert_eq!(ev.resource_type, "ACS::ECS::SecurityGroup");
    assert_eq!(ev.resource_name, sg);
    assert_eq!(ev.service_name, "Ecs");
    assert_eq!(ev.api_version, "2014-05-26");
    assert_eq!(ev.event_source, "ecs.cn-hangzhou.aliyuncs.com");
    assert_eq!(ev.event_rw, "Write");

    let r = s.json("root@A", "AuthorizeSecurityGroup", ssh(&sg));
    assert!(r.is_success(), "{}", r.body);
    assert_eq!(s.event(&r.request_id).resource_name, sg);
    // The same permission again: success, no second rule (Alibaba: "the call succeeds but no
    // rule is added").
    s.ok_json("root@A", "AuthorizeSecurityGroup", ssh(&sg));
    s.ok_json(
        "root@A",
        "AuthorizeSecurityGroupEgress",
        rule(
            &sg,
            json!({"IpProtocol": "ALL", "PortRange": "-1/-1", "DestCidrIp": "0.0.0.0/0",
                   "Policy": "drop", "Priority": "100"}),
        ),
    );
    let attr = s.ok_json(
        "root@A",
        "DescribeSecurityGroupAttribute",
        p(json!({"SecurityGroupId": sg})),
    );
    let rules = attr["Permissions"]["Permission"].as_array().expect("rules");
    assert_eq!(rules.len(), 2, "{attr}");
    assert_eq!(rules[0]["Direction"], "ingress");
    assert_eq!(rules[0]["SourceCidrIp"], "10.0.0.0/8");
    assert_eq!(rules[1]["Direction"], "egress");
    assert_eq!(rules[1]["Policy"], "Drop");
    assert_eq!(rules[1]["Priority"], "100");
    assert_eq!(attr["InnerAccessPolicy"], "Accept");
    let ingress = s.ok_json(
        "root@A",
        "DescribeSecurityGroupAttribute",
        p(json!({"SecurityGroupId": sg, "Direction": "ingress"})),
    );
    assert_eq!(
        ingress["Permissions"]["Permission"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );

    s.ok_json(
        "root@A",
        "ModifySecurityGroupPolicy",
        p(json!({"SecurityGroupId": sg, "InnerAccessPolicy": "drop"})),
    );
    let attr = s.ok_json(
        "root@A",
        "DescribeSecurityGroupAttribute",
        p(json!({"SecurityGroupId": sg})),
    );
    assert_eq!(attr["InnerAccessPolicy"], "Drop");

    s.ok_json("root@A", "RevokeSecurityGroup", ssh(&sg));
    s.ok_json(
        "root@A",
        "RevokeSecurityGroupEgress",
        rule(
            &sg,
            json!({"IpProtocol": "all", "PortRange": "-1/-1", "DestCidrIp": "0.0.0.0/0",
                   "Policy": "Drop", "Priority": "100"}),
        ),
    );
    let list = s.ok_json("root@A", "DescribeSecurityGroups", p(json!({"VpcId": vpc})));
    assert_eq!(list["TotalCount"], 1, "{list}");
    let row = &list["SecurityGroups"]["SecurityGroup"][0];
    assert_eq!(row["SecurityGroupId"], sg);
    assert_eq!(row["RuleCount"], 0);
    // `SecurityGroupIds` as Alibaba sends it (a JSON array) and as a comma-separated list.
    let by_ids = s.ok_json(
        "root@A",
        "DescribeSecurityGroups",
        p(json!({"SecurityGroupIds": format!("[\"{sg}\"]")})),
    );
    assert_eq!(by_ids["TotalCount"], 1);
    let r = s.json("root@A", "DescribeSecurityGroups", p(json!({})));
    assert_eq!(s.event(&r.request_id).event_rw, "Read");
    // B sees none of A's groups.
    let b = s.ok_json("root@B", "DescribeSecurityGroups", p(json!({})));
    assert_eq!(b["TotalCount"], 0);

    let r = s.json(
        "root@A",
        "DeleteSecurityGroup",
        p(json!({"SecurityGroupId": sg})),
    );
    assert!(r.is_success(), "{}", r.body);
    assert_eq!(s.event(&r.request_id).resource_name, sg);
    assert!(s.gw.state.world.ecs().security_groups.is_empty());
}

#[test]
fn client_tokens_make_creates_idempotent() {
    let mut s = sim();
    let vpc = vpc_id(&s, A, "app");
    let params = p(json!({"VpcId": vpc, "ClientToken": "t-1"}));
    let first = s.ok_json("root@A", "CreateSecurityGroup", params.clone());
    let again = s.ok_json("root@A", "CreateSecurityGroup", params);
    assert_eq!(first["SecurityGroupId"], again["SecurityGroupId"]);
    assert_eq!(s.gw.state.world.ecs().security_groups.len(), 1);
    fails(
        &mut s,
        "root@A",
        "CreateSecurityGroup",
        p(json!({"VpcId": vpc, "ClientToken": "t-1", "SecurityGroupName": "other"})),
        400,
        "IdempotenceParamNotMatch",
    );
    let params = p(json!({"VpcId": vpc, "ClientToken": "t-2"}));
    let first = s.ok_json("root@A", "CreateNetworkAcl", params.clone());
    let again = s.ok_json("root@A", "CreateNetworkAcl", params);
    assert_eq!(first["NetworkAclId"], again["NetworkAclId"]);
    assert_eq!(s.gw.state.world.nacl().acls.len(), 1);
}

#[test]
fn group_to_group_rules_reference_a_basic_group_of_the_same_vpc() {
    let mut s = sim();
    let vpc = vpc_id(&s, A, "app");
    let web = create_sg(&mut s, "root@A", &vpc, "normal");
    let db = create_sg(&mut s, "root@A", &vpc, "normal");
    s.ok_json(
        "root@A",
        "AuthorizeSecurityGroup",
        rule(
            &db,
            json!({"IpProtocol": "TCP", "PortRange": "3306/3306", "SourceGroupId": web}),
        ),
    );
    s.ok_json(
        "root@A",
        "AuthorizeSecurityGroupEgress",
        rule(
            &web,
            json!({"IpProtocol": "TCP", "PortRange": "3306/3306", "DestGroupId": db}),
        ),
    );
    let attr = s.ok_json(
        "root@A",
        "DescribeSecurityGroupAttribute",
        p(json!({"SecurityGroupId": db})),
    );
    assert_eq!(attr["Permissions"]["Permission"][0]["SourceGroupId"], web);
    // A group another group's rule names cannot be deleted.
    fails(
        &mut s,
        "root@A",
        "DeleteSecurityGroup",
        p(json!({"SecurityGroupId": web})),
        403,
        "DependencyViolation",
    );
}

#[test]
fn security_group_error_codes_leave_the_world_unchanged() {
    let mut s = sim();
    let vpc = vpc_id(&s, A, "app");
    let other = vpc_id(&s, A, "other");
    let b_vpc = vpc_id(&s, B, "b");
    let sg = create_sg(&mut s, "root@A", &vpc, "normal");
    let ent = create_sg(&mut s, "root@A", &vpc, "enterprise");
    let far = create_sg(&mut s, "root@A", &other, "normal");
    let b_sg = create_sg(&mut s, "root@B", &b_vpc, "normal");
    // Enterprise groups isolate their members (InnerAccessPolicy Drop, not changeable).
    let attr = s.ok_json(
        "root@A",
        "DescribeSecurityGroupAttribute",
        p(json!({"SecurityGroupId": ent})),
    );
    assert_eq!(attr["InnerAccessPolicy"], "Drop");

    // CreateSecurityGroup
    let create = |extra: Value| p(merge_into(json!({ "VpcId": vpc }), extra));
    fails(
        &mut s,
        "root@A",
        "CreateSecurityGroup",
        create(json!({"SecurityGroupType": "premium"})),
        400,
        "InvalidParams.GroupType",
    );
    fails(
        &mut s,
        "root@A",
        "CreateSecurityGroup",
        create(json!({"SecurityGroupName": "1st"})),
        400,
        "InvalidSecurityGroupName.Malformed",
    );
    fails(
        &mut s,
        "root@A",
        "CreateSecurityGroup",
        create(json!({"Description": "http://x"})),
        400,
        "InvalidSecurityGroupDiscription.Malformed",
    );
    fails(
        &mut s,
        "root@A",
        "CreateSecurityGroup",
        p(json!({})),
        403,
        "InvalidVpcId.NotFound",
    );
    fails(
        &mut s,
        "root@A",
        "CreateSecurityGroup",
        p(json!({"VpcId": "vpc-nosuch0000000000"})),
        404,
        "InvalidVpcId.NotFound",
    );
    // Another account's VPC is not found either (§0.4.2).
    fails(
        &mut s,
        "root@A",
        "CreateSecurityGroup",
        p(json!({"VpcId": b_vpc})),
        404,
        "InvalidVpcId.NotFound",
    );
    fails(
        &mut s,
        "root@A",
        "CreateSecurityGroup",
        create(json!({"RegionId": "cn-nowhere"})),
        404,
        "InvalidRegionId.NotFound",
    );

    // AuthorizeSecurityGroup: syntax of each permission, in the documented order.
    let bad = |fields: Value| rule(&sg, fields);
    let cases: Vec<(Value, u16, &str)> = vec![
        (
            bad(json!({"IpProtocol": "SCTP", "PortRange": "1/1", "SourceCidrIp": "10.0.0.0/8"})),
            400,
            "InvalidIpProtocol.ValueNotSupported",
        ),
        (
            bad(json!({"IpProtocol": "TCP", "SourceCidrIp": "10.0.0.0/8"})),
            400,
            "InvalidPortRange.Malformed",
        ),
        (
            bad(json!({"IpProtocol": "TCP", "PortRange": "1/70000", "SourceCidrIp": "10.0.0.0/8"})),
            400,
            "InvalidParam.PortRange",
        ),
        (
            bad(json!({"IpProtocol": "ICMP", "PortRange": "80/80", "SourceCidrIp": "10.0.0.0/8"})),
            400,
            "OperationDenied",
        ),
        (
            bad(
                json!({"IpProtocol": "TCP", "PortRange": "22/22", "SourceCidrIp": "10.0.0.0/8", "Policy": "allow"}),
            ),
            400,
            "InvalidPolicy.Malformed",
        ),
        (
            bad(
                json!({"IpProtocol": "TCP", "PortRange": "22/22", "SourceCidrIp": "10.0.0.0/8", "Priority": "101"}),
            ),
            400,
            "InvalidPriority.ValueNotSupported",
        ),
        (
            bad(json!({"IpProtocol": "TCP", "PortRange": "22/22"})),
            400,
            "MissingParameter.Source",
        ),
        (
            bad(json!({"IpProtocol": "TCP", "PortRange": "22/22", "SourceCidrIp": "10.0.0.1/8"})),
            400,
            "InvalidSourceCidrIp.Malformed",
        ),
        (
            bad(
                json!({"IpProtocol": "TCP", "PortRange": "22/22", "SourceGroupId": "sg-nosuch000000000"}),
            ),
            404,
            "InvalidSourceGroupId.NotFound",
        ),
        // Another account's group is not found (§0.4.2).
        (
            bad(json!({"IpProtocol": "TCP", "PortRange": "22/22", "SourceGroupId": b_sg})),
            404,
            "InvalidSourceGroupId.NotFound",
        ),
        (
            bad(json!({"IpProtocol": "TCP", "PortRange": "22/22", "SourceGroupId": ent})),
            400,
            "InvalidGroupAuthParameter.OperationDenied",
        ),
        (
            bad(json!({"IpProtocol": "TCP", "PortRange": "22/22", "SourceGroupId": far})),
            400,
            "InvalidSourceGroupId.Mismatch",
        ),
        (
            rule(
                &ent,
                json!({"IpProtocol": "TCP", "PortRange": "22/22", "SourceGroupId": sg}),
            ),
            400,
            "InvalidGroupAuthParameter.OperationDenied",
        ),
        (
            rule(
                "sg-nosuch000000000",
                json!({"IpProtocol": "TCP", "PortRange": "22/22", "SourceCidrIp": "10.0.0.0/8"}),
            ),
            404,
            "InvalidSecurityGroupId.NotFound",
        ),
        (
            rule(
                &b_sg,
                json!({"IpProtocol": "TCP", "PortRange": "22/22", "SourceCidrIp": "10.0.0.0/8"}),
            ),
            404,
            "InvalidSecurityGroupId.NotFound",
        ),
        (
            p(json!({"SecurityGroupId": sg})),
            400,
            "MissingParameter.Permissions",
        ),
    ];
    for (params, status, code) in cases {
        fails(
            &mut s,
            "root@A",
            "AuthorizeSecurityGroup",
            params,
            status,
            code,
        );
    }
    let mut dup = ssh(&sg);
    for (k, v) in [
        ("IpProtocol", "tcp"),
        ("PortRange", "22/22"),
        ("SourceCidrIp", "10.0.0.0/8"),
    ] {
        dup[format!("Permissions.2.{k}")] = json!(v);
    }
    fails(
        &mut s,
        "root@A",
        "AuthorizeSecurityGroup",
        dup,
        400,
        "InvalidParam.DuplicatePermissions",
    );
    // Egress spells its codes with Dest.
    fails(
        &mut s,
        "root@A",
        "AuthorizeSecurityGroupEgress",
        rule(&sg, json!({"IpProtocol": "TCP", "PortRange": "22/22"})),
        400,
        "MissingParameter.Dest",
    );
    fails(
        &mut s,
        "root@A",
        "AuthorizeSecurityGroupEgress",
        rule(
            &sg,
            json!({"IpProtocol": "TCP", "PortRange": "22/22", "DestCidrIp": "300.0.0.0/8"}),
        ),
        400,
        "InvalidDestCidrIp.Malformed",
    );
    fails(
        &mut s,
        "root@A",
        "AuthorizeSecurityGroupEgress",
        rule(
            &sg,
            json!({"IpProtocol": "TCP", "PortRange": "22/22", "DestGroupId": far}),
        ),
        400,
        "InvalidDestGroupId.Mismatch",
    );
    // An ingress field on the egress API is a parameter the API does not define.
    fails(
        &mut s,
        "root@A",
        "AuthorizeSecurityGroupEgress",
        ssh(&sg),
        400,
        "InvalidParameter",
    );

    // Revoke: a permission matching no rule.
    fails(
        &mut s,
        "root@A",
        "RevokeSecurityGroup",
        ssh(&sg),
        400,
        "InvalidSecurityGroupRule.RuleNotExist",
    );
    fails(
        &mut s,
        "root@A",
        "RevokeSecurityGroupEgress",
        rule(
            &sg,
            json!({"IpProtocol": "TCP", "PortRange": "22/22", "DestCidrIp": "10.0.0.0/8"}),
        ),
        400,
        "InvalidSecurityGroupRule.RuleNotExist",
    );

    // ModifySecurityGroupPolicy
    fails(
        &mut s,
        "root@A",
        "ModifySecurityGroupPolicy",
        p(json!({"SecurityGroupId": sg, "InnerAccessPolicy": "Maybe"})),
        400,
        "InvalidPolicy.Malformed",
    );
    fails(
        &mut s,
        "root@A",
        "ModifySecurityGroupPolicy",
        p(json!({"SecurityGroupId": ent, "InnerAccessPolicy": "Accept"})),
        404,
        "InvalidParameter.InnerAccessPolicy",
    );
    fails(
        &mut s,
        "root@A",
        "ModifySecurityGroupPolicy",
        p(json!({"SecurityGroupId": "sg-nosuch000000000", "InnerAccessPolicy": "Drop"})),
        404,
        "InvalidSecurityGroupId.NotFound",
    );
    fails(
        &mut s,
        "root@A",
        "ModifySecurityGroupPolicy",
        p(json!({"SecurityGroupId": sg})),
        400,
        "MissingParameter.InnerAccessPolicy",
    );

    // DeleteSecurityGroup / Describe
    fails(
        &mut s,
        "root@A",
        "DeleteSecurityGroup",
        p(json!({"SecurityGroupId": b_sg})),
        404,
        "InvalidSecurityGroup.NotFound",
    );
    fails(
        &mut s,
        "root@A",
        "DescribeSecurityGroupAttribute",
        p(json!({"SecurityGroupId": "sg-nosuch000000000"})),
        404,
        "InvalidSecurityGroupId.NotFound",
    );
    fails(
        &mut s,
        "root@A",
        "DescribeSecurityGroupAttribute",
        p(json!({"SecurityGroupId": sg, "Direction": "up"})),
        400,
        "InvalidParameter.Direction",
    );
    fails(
        &mut s,
        "root@A",
        "DescribeSecurityGroups",
        p(json!({"PageSize": 51})),
        400,
        "InvalidParameter.PageSize",
    );
}

#[test]
fn security_group_limits() {
    let mut s = sim();
    let vpc = vpc_id(&s, A, "app");
    let sg = create_sg(&mut s, "root@A", &vpc, "normal");
    // 200 rules per group (both directions): two calls of 100, then one more.
    for (call, base) in [(0, 1u32), (1, 101)] {
        let mut m = p(json!({ "SecurityGroupId": sg }));
        for n in 1..=100u32 {
            let port = base + n - 1;
            m[format!("Permissions.{n}.IpProtocol")] = json!("TCP");
            m[format!("Permissions.{n}.PortRange")] = json!(format!("{port}/{port}"));
            m[format!("Permissions.{n}.SourceCidrIp")] = json!("10.0.0.0/8");
        }
        let r = s.json("root@A", "AuthorizeSecurityGroup", m);
        assert!(r.is_success(), "call {call}: {}", r.body);
    }
    fails(
        &mut s,
        "root@A",
        "AuthorizeSecurityGroupEgress",
        rule(
            &sg,
            json!({"IpProtocol": "TCP", "PortRange": "1/1", "DestCidrIp": "10.0.0.0/8"}),
        ),
        403,
        "AuthorizationLimitExceed",
    );
    // 100 groups per account and region.
    for _ in 1..100 {
        create_sg(&mut s, "root@A", &vpc, "normal");
    }
    fails(
        &mut s,
        "root@A",
        "CreateSecurityGroup",
        p(json!({"VpcId": vpc})),
        403,
        "QuotaExceed.SecurityGroup",
    );
    // Another account has its own quota.
    let b_vpc = vpc_id(&s, B, "b");
    create_sg(&mut s, "root@B", &b_vpc, "normal");
}

#[test]
fn security_group_calls_are_authorized_with_their_arns() {
    let mut s = sim();
    let vpc = vpc_id(&s, A, "app");
    let sg = create_sg(&mut s, "root@A", &vpc, "normal");
    let other = create_sg(&mut s, "root@A", &vpc, "normal");

    // A RAM user without the action: 403 Forbidden.NoPermission (§9.5), detail names it.
    let r = fails(
        &mut s,
        "reader@A",
        "AuthorizeSecurityGroup",
        ssh(&sg),
        403,
        "Forbidden.NoPermission",
    );
    let d = &r["AccessDeniedDetail"];
    assert_eq!(d["AuthAction"], "ecs:AuthorizeSecurityGroup");
    assert_eq!(d["NoPermissionType"], "ImplicitDeny");
    assert_eq!(d["AuthPrincipalType"], "SubUser");
    assert_eq!(d["AuthPrincipalOwnerId"], A);
    fails(
        &mut s,
        "reader@A",
        "CreateSecurityGroup",
        p(json!({"VpcId": vpc})),
        403,
        "Forbidden.NoPermission",
    );
    fails(
        &mut s,
        "reader@A",
        "DeleteSecurityGroup",
        p(json!({"SecurityGroupId": sg})),
        403,
        "Forbidden.NoPermission",
    );
    // ... but may describe.
    s.ok_json("reader@A", "DescribeSecurityGroups", p(json!({})));
    s.ok_json(
        "reader@A",
        "DescribeSecurityGroupAttribute",
        p(json!({"SecurityGroupId": sg})),
    );
    // netops has ecs:*.
    s.ok_json("netops@A", "AuthorizeSecurityGroup", ssh(&sg));

    // Resource-level: a policy on one group's ARN allows that group only.
    let doc = json!({"Version": "1", "Statement": [{"Effect": "Allow",
        "Action": ["ecs:AuthorizeSecurityGroup", "ecs:RevokeSecurityGroup"],
        "Resource": format!("acs:ecs:{HZ}:{A}:securitygroup/{sg}")}]});
    s.ok_json(
        "root@A",
        "CreatePolicy",
        json!({"PolicyName": "one-group", "PolicyDocument": doc.to_string()}),
    );
    s.ok_json(
        "root@A",
        "AttachPolicyToUser",
        json!({"PolicyName": "one-group", "PolicyType": "Custom", "UserName": "scoped"}),
    );
    let icmp = rule(
        &sg,
        json!({"IpProtocol": "ICMP", "PortRange": "-1/-1", "SourceCidrIp": "0.0.0.0/0"}),
    );
    s.ok_json("scoped@A", "AuthorizeSecurityGroup", icmp.clone());
    s.ok_json("scoped@A", "RevokeSecurityGroup", icmp);
    let r = fails(
        &mut s,
        "scoped@A",
        "AuthorizeSecurityGroup",
        ssh(&other),
        403,
        "Forbidden.NoPermission",
    );
    assert_eq!(
        r["AccessDeniedDetail"]["AuthAction"],
        "ecs:AuthorizeSecurityGroup"
    );
    // CreateSecurityGroup needs the VPC's ARN too.
    let doc = json!({"Version": "1", "Statement": [{"Effect": "Allow",
        "Action": "ecs:CreateSecurityGroup", "Resource": [
            format!("acs:ecs:{HZ}:{A}:securitygroup/*"),
            format!("acs:vpc:{HZ}:{A}:vpc/{vpc}")]}]});
    s.ok_json(
        "root@A",
        "CreatePolicy",
        json!({"PolicyName": "create-in-app", "PolicyDocument": doc.to_string()}),
    );
    s.ok_json(
        "root@A",
        "AttachPolicyToUser",
        json!({"PolicyName": "create-in-app", "PolicyType": "Custom", "UserName": "scoped"}),
    );
    s.ok_json("scoped@A", "CreateSecurityGroup", p(json!({"VpcId": vpc})));
    let other_vpc = vpc_id(&s, A, "other");
    fails(
        &mut s,
        "scoped@A",
        "CreateSecurityGroup",
        p(json!({"VpcId": other_vpc})),
        403,
        "Forbidden.NoPermission",
    );
}

// ---- network ACLs ---------------------------------------------------------------------------

fn create_acl(s: &mut Sim, who: &str, vpc: &str) -> String {
    let b = s.ok_json(who, "CreateNetworkAcl", p(json!({"VpcId": vpc})));
    b["NetworkAclId"].as_str().expect("id").to_string()
}

fn bind(acl: &str, vsws: &[&str]) -> Value {
    let mut m = p(json!({ "NetworkAclId": acl }));
    for (i, v) in vsws.iter().enumerate() {
        m[format!("Resource.{}.ResourceType", i + 1)] = json!("VSwitch");
        m[format!("Resource.{}.ResourceId", i + 1)] = json!(v);
    }
    m
}

fn entries(acl: &str, ingress: &[(&str, &str, &str, &str)]) -> Value {
    let mut m = p(json!({ "NetworkAclId": acl, "UpdateIngressAclEntries": true }));
    for (i, (policy, proto, cidr, port)) in ingress.iter().enumerate() {
        let n = i + 1;
        m[format!("IngressAclEntries.{n}.Policy")] = json!(policy);
        m[format!("IngressAclEntries.{n}.Protocol")] = json!(proto);
        m[format!("IngressAclEntries.{n}.SourceCidrIp")] = json!(cidr);
        m[format!("IngressAclEntries.{n}.Port")] = json!(port);
    }
    m
}

#[test]
fn network_acl_apis_succeed_with_their_audit_event() {
    let mut s = sim();
    let vpc = vpc_id(&s, A, "app");
    let web = vsw_id(&s, &vpc, "web");
    let db = vsw_id(&s, &vpc, "db");
    let r = s.json(
        "root@A",
        "CreateNetworkAcl",
        p(json!({"VpcId": vpc, "NetworkAclName": "edge", "Description": "edge acl"})),
    );
    assert!(r.is_success(), "{}", r.body);
    let acl = r.body["NetworkAclId"].as_str().expect("id").to_string();
    assert!(acl.starts_with("nacl-"), "{acl}");
    let ev = s.event(&r.request_id);
    assert_eq!(ev.resource_type, "ACS::VPC::NetworkAcl");
    assert_eq!(ev.resource_name, acl);
    assert_eq!(ev.service_name, "Vpc");
    assert_eq!(ev.api_version, "2016-04-28");

    let mut upd = entries(
        &acl,
        &[
            ("accept", "tcp", "10.0.0.0/8", "22/22"),
            ("drop", "all", "0.0.0.0/0", "-1/-1"),
        ],
    );
    upd["UpdateEgressAclEntries"] = json!(true);
    upd["EgressAclEntries.1.Policy"] = json!("accept");
    upd["EgressAclEntries.1.Protocol"] = json!("all");
    upd["EgressAclEntries.1.DestinationCidrIp"] = json!("0.0.0.0/0");
    upd["EgressAclEntries.1.Port"] = json!("-1/-1");
    upd["EgressAclEntries.1.NetworkAclEntryName"] = json!("out");
    s.ok_json("root@A", "UpdateNetworkAclEntries", upd);
    let r = s.json("root@A", "AssociateNetworkAcl", bind(&acl, &[&web, &db]));
    assert!(r.is_success(), "{}", r.body);
    assert_eq!(s.event(&r.request_id).resource_name, acl);
    let attr = s.ok_json(
        "root@A",
        "DescribeNetworkAclAttributes",
        p(json!({"NetworkAclId": acl})),
    );
    let a = &attr["NetworkAclAttribute"];
    assert_eq!(a["NetworkAclName"], "edge");
    let ingress = a["IngressAclEntries"]["IngressAclEntry"]
        .as_array()
        .expect("in");
    assert_eq!(ingress.len(), 2);
    assert_eq!(ingress[0]["Port"], "22/22");
    assert_eq!(ingress[1]["Policy"], "drop");
    assert_eq!(
        a["EgressAclEntries"]["EgressAclEntry"][0]["NetworkAclEntryName"],
        "out"
    );
    assert_eq!(a["Resources"]["Resource"].as_array().map(Vec::len), Some(2));
    // The vSwitches name their ACL.
    let vsws = s.ok_json("root@A", "DescribeVSwitches", p(json!({"VpcId": vpc})));
    let rows = vsws["VSwitches"]["VSwitch"].as_array().expect("rows");
    assert!(rows.iter().all(|v| v["NetworkAclId"] == acl), "{vsws}");

    // Updating one direction replaces that list only; entry ids given keep their entries.
    let kept = ingress[0]["NetworkAclEntryId"]
        .as_str()
        .expect("id")
        .to_string();
    let mut upd = entries(&acl, &[("accept", "tcp", "10.0.0.0/8", "22/22")]);
    upd["IngressAclEntries.1.NetworkAclEntryId"] = json!(kept);
    s.ok_json("root@A", "UpdateNetworkAclEntries", upd);
    let attr = s.ok_json(
        "root@A",
        "DescribeNetworkAclAttributes",
        p(json!({"NetworkAclId": acl})),
    );
    let a = &attr["NetworkAclAttribute"];
    assert_eq!(
        a["IngressAclEntries"]["IngressAclEntry"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    assert_eq!(
        a["IngressAclEntries"]["IngressAclEntry"][0]["NetworkAclEntryId"],
        kept
    );
    assert_eq!(
        a["EgressAclEntries"]["EgressAclEntry"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );

    s.ok_json("root@A", "UnassociateNetworkAcl", bind(&acl, &[&web]));
    let vsws = s.ok_json("root@A", "DescribeVSwitches", p(json!({"VSwitchId": web})));
    assert_eq!(vsws["VSwitches"]["VSwitch"][0]["NetworkAclId"], "");
    s.ok_json("root@A", "UnassociateNetworkAcl", bind(&acl, &[&db]));
    let r = s.json(
        "root@A",
        "DeleteNetworkAcl",
        p(json!({"NetworkAclId": acl})),
    );
    assert!(r.is_success(), "{}", r.body);
    assert!(s.gw.state.world.nacl().acls.is_empty());
    // DryRun validates and changes nothing.
    fails(
        &mut s,
        "root@A",
        "CreateNetworkAcl",
        p(json!({"VpcId": vpc, "DryRun": true})),
        400,
        "DryRunOperation",
    );
}

#[test]
fn network_acl_error_codes_leave_the_world_unchanged() {
    let mut s = sim();
    let vpc = vpc_id(&s, A, "app");
    let other = vpc_id(&s, A, "other");
    let b_vpc = vpc_id(&s, B, "b");
    let web = vsw_id(&s, &vpc, "web");
    let db = vsw_id(&s, &vpc, "db");
    let o1 = vsw_id(&s, &other, "o1");
    let b1 = vsw_id(&s, &b_vpc, "b1");
    let acl = create_acl(&mut s, "root@A", &vpc);
    let acl2 = create_acl(&mut s, "root@A", &vpc);
    let b_acl = create_acl(&mut s, "root@B", &b_vpc);

    // CreateNetworkAcl
    fails(
        &mut s,
        "root@A",
        "CreateNetworkAcl",
        p(json!({})),
        400,
        "MissingParameter.VpcId",
    );
    fails(
        &mut s,
        "root@A",
        "CreateNetworkAcl",
        p(json!({"VpcId": b_vpc})),
        400,
        "InvalidVpcId.NotFound",
    );
    fails(
        &mut s,
        "root@A",
        "CreateNetworkAcl",
        p(json!({"VpcId": vpc, "NetworkAclName": "9lives"})),
        400,
        "ParameterIllegal.Name",
    );
    fails(
        &mut s,
        "root@A",
        "CreateNetworkAcl",
        p(json!({"VpcId": vpc, "NetworkAclName": "a".repeat(129)})),
        400,
        "ParameterLengthIllegal.Name",
    );
    fails(
        &mut s,
        "root@A",
        "CreateNetworkAcl",
        p(json!({"VpcId": vpc, "Description": "https://x"})),
        400,
        "ParameterIllegal.Description",
    );

    // UpdateNetworkAclEntries
    let one = |policy: &str, proto: &str, cidr: &str, port: &str| {
        entries(&acl, &[(policy, proto, cidr, port)])
    };
    let cases: Vec<(Value, &str)> = vec![
        (
            one("allow", "tcp", "10.0.0.0/8", "22/22"),
            "ParameterIllegal.Policy",
        ),
        (
            one("accept", "sctp", "10.0.0.0/8", "22/22"),
            "ParameterIllegal.Protocol",
        ),
        (
            one("accept", "tcp", "10.0.0.0/8", "-1/-1"),
            "ParameterIllegal.Port",
        ),
        (
            one("accept", "icmp", "10.0.0.0/8", "22/22"),
            "ParameterIllegal.Port",
        ),
        (
            one("accept", "tcp", "10.0.0.1/8", "22/22"),
            "ParameterIllegal.SourceCidrIp",
        ),
        (
            entries(
                "nacl-nosuch00000000",
                &[("accept", "tcp", "10.0.0.0/8", "22/22")],
            ),
            "InvalidNetworkAcl.NotFound",
        ),
        (
            entries(&b_acl, &[("accept", "tcp", "10.0.0.0/8", "22/22")]),
            "InvalidNetworkAcl.NotFound",
        ),
    ];
    for (params, code) in cases {
        fails(
            &mut s,
            "root@A",
            "UpdateNetworkAclEntries",
            params,
            400,
            code,
        );
    }
    let mut missing = one("accept", "tcp", "10.0.0.0/8", "22/22");
    if let Some(m) = missing.as_object_mut() {
        m.remove("IngressAclEntries.1.Policy");
    }
    fails(
        &mut s,
        "root@A",
        "UpdateNetworkAclEntries",
        missing,
        400,
        "ParameterMissing.Policy",
    );
    let mut v6 = one("accept", "tcp", "10.0.0.0/8", "22/22");
    v6["IngressAclEntries.1.IpVersion"] = json!("IPv6");
    fails(
        &mut s,
        "root@A",
        "UpdateNetworkAclEntries",
        v6,
        400,
        "OperationDenied.VpcIpv6NotEnabled",
    );
    let mut foreign = one("accept", "tcp", "10.0.0.0/8", "22/22");
    foreign["IngressAclEntries.1.NetworkAclEntryId"] = json!("nae-nosuch000000000");
    fails(
        &mut s,
        "root@A",
        "UpdateNetworkAclEntries",
        foreign,
        400,
        "IllegalParam.IngressAclEntryId",
    );
    let mut sys = one("accept", "tcp", "10.0.0.0/8", "22/22");
    sys["IngressAclEntries.1.EntryType"] = json!("system");
    fails(
        &mut s,
        "root@A",
        "UpdateNetworkAclEntries",
        sys,
        400,
        "ParameterIllegal.EntryType",
    );
    let mut egress_cidr = p(json!({"NetworkAclId": acl, "UpdateEgressAclEntries": true,
        "EgressAclEntries.1.Policy": "accept", "EgressAclEntries.1.Protocol": "all",
        "EgressAclEntries.1.DestinationCidrIp": "0.0.0.0/33", "EgressAclEntries.1.Port": "-1/-1"}));
    fails(
        &mut s,
        "root@A",
        "UpdateNetworkAclEntries",
        egress_cidr.clone(),
        400,
        "ParameterIllegal.DestinationCidrIp",
    );
    egress_cidr["EgressAclEntries.1.SourceCidrIp"] = json!("0.0.0.0/0");
    fails(
        &mut s,
        "root@A",
        "UpdateNetworkAclEntries",
        egress_cidr,
        400,
        "InvalidParameter",
    );
    let mut many = p(json!({"NetworkAclId": acl, "UpdateIngressAclEntries": true}));
    for n in 1..=101 {
        many[format!("IngressAclEntries.{n}.Policy")] = json!("accept");
        many[format!("IngressAclEntries.{n}.Protocol")] = json!("all");
        many[format!("IngressAclEntries.{n}.SourceCidrIp")] = json!("0.0.0.0/0");
        many[format!("IngressAclEntries.{n}.Port")] = json!("-1/-1");
    }
    fails(
        &mut s,
        "root@A",
        "UpdateNetworkAclEntries",
        many,
        400,
        "QuotaExceed.NetworkAclEntry",
    );

    // AssociateNetworkAcl
    fails(
        &mut s,
        "root@A",
        "AssociateNetworkAcl",
        p(json!({"NetworkAclId": acl})),
        400,
        "ParameterMissing.Resources",
    );
    let mut wrong_type = bind(&acl, &[&web]);
    wrong_type["Resource.1.ResourceType"] = json!("Instance");
    fails(
        &mut s,
        "root@A",
        "AssociateNetworkAcl",
        wrong_type,
        400,
        "ParameterIllegal.ResourceType",
    );
    fails(
        &mut s,
        "root@A",
        "AssociateNetworkAcl",
        bind(&acl, &["vsw-nosuch0000000000"]),
        400,
        "InvalidResource.NotFound",
    );
    fails(
        &mut s,
        "root@A",
        "AssociateNetworkAcl",
        bind(&acl, &[&b1]),
        400,
        "InvalidResource.NotFound",
    );
    fails(
        &mut s,
        "root@A",
        "AssociateNetworkAcl",
        bind(&acl, &[&o1]),
        400,
        "InvalidResource.VpcError",
    );
    s.ok_json("root@A", "AssociateNetworkAcl", bind(&acl, &[&web]));
    fails(
        &mut s,
        "root@A",
        "AssociateNetworkAcl",
        bind(&acl2, &[&db, &web]),
        400,
        "InvalidResource.BindingExist",
    );
    fails(
        &mut s,
        "root@A",
        "AssociateNetworkAcl",
        bind(&acl, &[&web]),
        400,
        "InvalidResource.BindingExist",
    );

    // UnassociateNetworkAcl
    fails(
        &mut s,
        "root@A",
        "UnassociateNetworkAcl",
        bind(&acl, &[&db]),
        400,
        "InvalidResource.NotBinding",
    );
    fails(
        &mut s,
        "root@A",
        "UnassociateNetworkAcl",
        bind(&acl2, &[&web]),
        400,
        "Mismatch.NetworkAclAndVSwitch",
    );

    // DeleteNetworkAcl / Describe
    fails(
        &mut s,
        "root@A",
        "DeleteNetworkAcl",
        p(json!({"NetworkAclId": acl})),
        400,
        "NetworkAclExistBinding",
    );
    fails(
        &mut s,
        "root@A",
        "DeleteNetworkAcl",
        p(json!({"NetworkAclId": b_acl})),
        400,
        "InvalidNetworkAcl.NotFound",
    );
    fails(
        &mut s,
        "root@A",
        "DescribeNetworkAclAttributes",
        p(json!({"NetworkAclId": "nacl-nosuch00000000"})),
        400,
        "InvalidNetworkAcl.NotFound",
    );
    fails(
        &mut s,
        "root@A",
        "DeleteNetworkAcl",
        p(json!({"NetworkAclId": acl2, "RegionId": "cn-beijing"})),
        400,
        "InvalidNetworkAcl.NotFound",
    );

    // 20 ACLs per VPC (ASSUMED quota).
    for _ in 2..20 {
        create_acl(&mut s, "root@A", &vpc);
    }
    fails(
        &mut s,
        "root@A",
        "CreateNetworkAcl",
        p(json!({"VpcId": vpc})),
        400,
        "QuotaExceed.NetworkAcl",
    );
}

#[test]
fn network_acl_calls_are_authorized_with_their_arns() {
    let mut s = sim();
    let vpc = vpc_id(&s, A, "app");
    let web = vsw_id(&s, &vpc, "web");
    let db = vsw_id(&s, &vpc, "db");
    let acl = create_acl(&mut s, "root@A", &vpc);

    let r = fails(
        &mut s,
        "reader@A",
        "CreateNetworkAcl",
        p(json!({"VpcId": vpc})),
        403,
        "Forbidden",
    );
    let d = &r["AccessDeniedDetail"];
    assert_eq!(d["AuthAction"], "vpc:CreateNetworkAcl");
    assert_eq!(d["NoPermissionType"], "ImplicitDeny");
    assert_eq!(d["AuthPrincipalOwnerId"], A);
    fails(
        &mut s,
        "reader@A",
        "AssociateNetworkAcl",
        bind(&acl, &[&web]),
        403,
        "Forbidden",
    );
    s.ok_json(
        "reader@A",
        "DescribeNetworkAclAttributes",
        p(json!({"NetworkAclId": acl})),
    );

    // Associate needs the ACL's ARN and every vSwitch's.
    let doc = json!({"Version": "1", "Statement": [{"Effect": "Allow",
        "Action": ["vpc:AssociateNetworkAcl", "vpc:UnassociateNetworkAcl"], "Resource": [
            format!("acs:vpc:{HZ}:{A}:networkacl/{acl}"),
            format!("acs:vpc:{HZ}:{A}:vswitch/{web}")]}]});
    s.ok_json(
        "root@A",
        "CreatePolicy",
        json!({"PolicyName": "web-acl", "PolicyDocument": doc.to_string()}),
    );
    s.ok_json(
        "root@A",
        "AttachPolicyToUser",
        json!({"PolicyName": "web-acl", "PolicyType": "Custom", "UserName": "scoped"}),
    );
    let r = fails(
        &mut s,
        "scoped@A",
        "AssociateNetworkAcl",
        bind(&acl, &[&web, &db]),
        403,
        "Forbidden",
    );
    assert_eq!(
        r["AccessDeniedDetail"]["AuthAction"],
        "vpc:AssociateNetworkAcl"
    );
    s.ok_json("scoped@A", "AssociateNetworkAcl", bind(&acl, &[&web]));
    s.ok_json("scoped@A", "UnassociateNetworkAcl", bind(&acl, &[&web]));
    fails(
        &mut s,
        "scoped@A",
        "UpdateNetworkAclEntries",
        entries(&acl, &[("accept", "all", "0.0.0.0/0", "-1/-1")]),
        403,
        "Forbidden",
    );
    s.ok_json(
        "netops@A",
        "UpdateNetworkAclEntries",
        entries(&acl, &[("accept", "all", "0.0.0.0/0", "-1/-1")]),
    );
    s.ok_json(
        "netops@A",
        "DeleteNetworkAcl",
        p(json!({"NetworkAclId": acl})),
    );
}

// ---- world files ------------------------------------------------------------------------------

fn declared(extra: Value) -> Value {
    let mut w = fixture(json!({
        "vpcs": [
            {"owner": A, "region_id": HZ, "cidr_block": "10.0.0.0/16", "name": "app",
             "vswitches": [
                {"zone_id": "cn-hangzhou-h", "cidr_block": "10.0.1.0/24", "name": "web"},
                {"zone_id": "cn-hangzhou-i", "cidr_block": "10.0.2.0/24"}]}
        ]
    }));
    merge(&mut w, extra);
    w
}

#[test]
fn world_files_declare_security_groups_and_network_acls() {
    let w = declared(json!({
        "security_groups": [
            {"owner": A, "vpc": "app", "name": "db",
             "ingress": [{"protocol": "tcp", "port_range": "3306/3306", "group": "web"}]},
            {"owner": A, "vpc": "app", "name": "web", "inner_access_policy": "Drop",
             "ingress": [
                {"protocol": "tcp", "port_range": "443/443", "cidr": "0.0.0.0/0", "priority": 10},
                {"protocol": "icmp", "cidr": "10.0.0.0/8", "policy": "drop"}],
             "egress": [{"protocol": "tcp", "port_range": "3306/3306", "group": "db"}]},
            {"owner": A, "vpc": "app", "name": "locked", "type": "enterprise"}
        ],
        "network_acls": [
            {"owner": A, "vpc": "app", "name": "edge",
             "ingress": [{"policy": "accept", "protocol": "tcp", "cidr": "0.0.0.0/0", "port": "443/443"}],
             "egress": [{"policy": "accept", "protocol": "all", "cidr": "0.0.0.0/0", "name": "out"}],
             "vswitches": ["web", "10.0.2.0/24"]}
        ]
    }));
    let mut s = gateway(&w);
    let (web, db) = {
        let groups: Vec<_> = s.gw.state.world.ecs().security_groups.values().collect();
        assert_eq!(groups.len(), 3);
        let by_name = |n: &str| {
            groups
                .iter()
                .find(|g| g.name == n)
                .map(|g| g.security_group_id.clone())
                .unwrap_or_else(|| panic!("no group {n}"))
        };
        (by_name("web"), by_name("db"))
    };
    let attr = s.ok_json(
        "root@A",
        "DescribeSecurityGroupAttribute",
        p(json!({"SecurityGroupId": web})),
    );
    assert_eq!(attr["InnerAccessPolicy"], "Drop");
    let rules = attr["Permissions"]["Permission"].as_array().expect("rules");
    assert_eq!(rules.len(), 3, "{attr}");
    assert_eq!(rules[0]["Priority"], "10");
    assert_eq!(rules[1]["Policy"], "Drop");
    assert_eq!(rules[2]["DestGroupId"], db);
    let attr = s.ok_json(
        "root@A",
        "DescribeSecurityGroupAttribute",
        p(json!({"SecurityGroupId": db})),
    );
    assert_eq!(attr["Permissions"]["Permission"][0]["SourceGroupId"], web);
    let list = s.ok_json(
        "root@A",
        "DescribeSecurityGroups",
        p(json!({"SecurityGroupType": "enterprise"})),
    );
    assert_eq!(list["TotalCount"], 1);

    let acl =
        s.gw.state
            .world
            .nacl()
            .acls
            .values()
            .next()
            .expect("acl")
            .clone();
    assert_eq!(acl.name, "edge");
    assert_eq!(acl.ingress.len(), 1);
    assert_eq!(acl.egress[0].name, "out");
    assert_eq!(acl.resources.len(), 2);
    // Declared objects are ordinary objects: the APIs act on them.
    s.ok_json(
        "root@A",
        "UnassociateNetworkAcl",
        bind(
            &acl.network_acl_id,
            &[acl.resources.keys().next().expect("vsw")],
        ),
    );
    // The build emits no events and the same file builds the same world.
    assert!(s.gw.state.world.clone().drain_service_events().is_empty());
    let again = gateway(&w);
    let first = gateway(&w);
    assert_eq!(world_bytes(&again), world_bytes(&first));
}

#[test]
fn world_file_errors_name_their_place() {
    let cases = [
        (
            json!({"security_groups": [{"owner": A, "vpc": "nope", "name": "web"}]}),
            "security_groups[0].vpc",
        ),
        (
            json!({"security_groups": [{"owner": "123", "vpc": "app", "name": "web"}]}),
            "security_groups[0].owner",
        ),
        (
            json!({"security_groups": [{"owner": A, "vpc": "app", "name": "web"}, {"owner": A, "vpc": "app", "name": "web"}]}),
            "security_groups[1].name",
        ),
        (
            json!({"security_groups": [{"owner": A, "vpc": "app", "name": "web", "type": "premium"}]}),
            "security_groups[0]: InvalidParams.GroupType",
        ),
        (
            json!({"security_groups": [{"owner": A, "vpc": "app", "name": "web",
            "ingress": [{"protocol": "tcp", "port_range": "22/22", "cidr": "10.0.0.0/8"}, {"protocol": "tcp", "port_range": "99999/1", "cidr": "10.0.0.0/8"}]}]}),
            "security_groups[0].ingress[1]: InvalidParam.PortRange",
        ),
        (
            json!({"security_groups": [{"owner": A, "vpc": "app", "name": "web",
            "egress": [{"protocol": "tcp", "port_range": "22/22", "group": "db"}]}]}),
            "security_groups[0].egress[0].group",
        ),
        (
            json!({"security_groups": [{"owner": A, "vpc": "app", "name": "web",
            "ingress": [{"protocol": "tcp", "port_range": "22/22", "cidr": "10.0.0.0/8"}, {"protocol": "TCP", "port_range": "22/22", "cidr": "10.0.0.0/8", "description": "again"}]}]}),
            "security_groups[0].ingress[1]",
        ),
        (
            json!({"security_groups": [{"owner": A, "vpc": "app", "name": "web", "inner_access_policy": "Sometimes"}]}),
            "security_groups[0].inner_access_policy: InvalidPolicy.Malformed",
        ),
        (
            json!({"security_groups": [{"owner": A, "vpc": "app", "name": "web", "colour": "red"}]}),
            "colour",
        ),
        (
            json!({"network_acls": [{"owner": A, "vpc": "app", "vswitches": ["nope"]}]}),
            "network_acls[0].vswitches[0]",
        ),
        (
            json!({"network_acls": [{"owner": A, "vpc": "app",
            "egress": [{"policy": "accept", "protocol": "tcp", "cidr": "0.0.0.0/0"}]}]}),
            "network_acls[0].egress: ParameterIllegal.Port",
        ),
        (
            json!({"network_acls": [{"owner": A, "vpc": "app", "name": "9"}]}),
            "network_acls[0]: ParameterIllegal.Name",
        ),
    ];
    for (extra, want) in cases {
        let w = declared(extra.clone());
        let err = ramsim::api::SimState::from_world_json(&w.to_string(), std::path::Path::new("."))
            .err()
            .unwrap_or_else(|| panic!("{extra} built"));
        assert!(
            err.contains(want),
            "{extra}: `{err}` does not name `{want}`"
        );
    }
}

// ---- §11.1 S1: the security-group steps, through the gateway as aliyun CLI lines ----------

/// The verdict of `group`'s rules (the instance layer evaluates them on ENIs; here on the group
/// alone) for a packet from `src` to `dst`.
fn ingress_allows(
    s: &Sim,
    vpc: &str,
    group: &str,
    proto: Protocol,
    src: &str,
    dst: &str,
    port: u16,
) -> bool {
    let packet = Packet::new(
        proto,
        src.parse().expect("ip"),
        dst.parse().expect("ip"),
        port,
    );
    sg::evaluate_groups(
        s.gw.state.world.ecs(),
        vpc,
        &[group.into()],
        Direction::Ingress,
        &packet,
    )
    .allowed
}

use ramsim::cloud::ecs::security_group as sg;
use ramsim::cloud::packet::{Direction, Packet, Protocol};

/// CreateSecurityGroup + AuthorizeSecurityGroup with `(protocol, ports, cidr)` permissions
/// (accept, priority 1), as S1's steps write them.
fn s1_group(
    s: &mut Sim,
    who: &str,
    region: &str,
    vpc: &str,
    perms: &[(&str, &str, &str)],
) -> String {
    let b = s.ok(
        who,
        &format!("aliyun ecs CreateSecurityGroup --RegionId {region} --VpcId {vpc}"),
    );
    let sg = b["SecurityGroupId"].as_str().expect("id").to_string();
    let mut line =
        format!("aliyun ecs AuthorizeSecurityGroup --RegionId {region} --SecurityGroupId {sg}");
    for (i, (proto, ports, cidr)) in perms.iter().enumerate() {
        let n = i + 1;
        line.push_str(&format!(
            " --Permissions.{n}.IpProtocol {proto} --Permissions.{n}.PortRange {ports} --Permissions.{n}.SourceCidrIp {cidr} --Permissions.{n}.Policy accept --Permissions.{n}.Priority 1"
        ));
    }
    s.ok(who, &line);
    sg
}

fn s1_vpc(s: &mut Sim, who: &str, region: &str, cidr: &str) -> String {
    let b = s.ok(
        who,
        &format!("aliyun vpc CreateVpc --RegionId {region} --CidrBlock {cidr}"),
    );
    b["VpcId"].as_str().expect("vpc").to_string()
}

#[test]
fn s1_a_steps_3_and_7_security_groups() {
    let mut s = gateway(&fixture(json!({})));
    let vpc_hz = s1_vpc(&mut s, "root@A", "cn-hangzhou", "10.0.0.0/8");
    let vpc_bj = s1_vpc(&mut s, "root@A", "cn-beijing", "172.16.0.0/12");
    let sg_hz = s1_group(
        &mut s,
        "root@A",
        "cn-hangzhou",
        &vpc_hz,
        &[
            ("ICMP", "-1/-1", "172.16.0.0/12"),
            ("TCP", "22/22", "172.16.0.0/12"),
        ],
    );
    let sg_bj = s1_group(
        &mut s,
        "root@A",
        "cn-beijing",
        &vpc_bj,
        &[
            ("ICMP", "-1/-1", "10.0.0.0/8"),
            ("TCP", "22/22", "10.0.0.0/8"),
        ],
    );
    // $ECS_BJ (172.16.1.10) reaches $ECS_HZ (10.0.1.10) on tcp/22 and icmp, not on tcp/80.
    assert!(ingress_allows(
        &s,
        &vpc_hz,
        &sg_hz,
        Protocol::Tcp,
        "172.16.1.10",
        "10.0.1.10",
        22
    ));
    assert!(ingress_allows(
        &s,
        &vpc_hz,
        &sg_hz,
        Protocol::Icmp,
        "172.16.1.10",
        "10.0.1.10",
        0
    ));
    assert!(!ingress_allows(
        &s,
        &vpc_hz,
        &sg_hz,
        Protocol::Tcp,
        "172.16.1.10",
        "10.0.1.10",
        80
    ));
    assert!(ingress_allows(
        &s,
        &vpc_bj,
        &sg_bj,
        Protocol::Tcp,
        "10.0.1.10",
        "172.16.1.10",
        22
    ));
    assert!(!ingress_allows(
        &s,
        &vpc_bj,
        &sg_bj,
        Protocol::Tcp,
        "192.168.0.1",
        "172.16.1.10",
        22
    ));
    // Each group lives in its region: Beijing's group is not found from Hangzhou.
    let (status, code) = s.err("root@A", &format!("aliyun ecs DescribeSecurityGroupAttribute --RegionId cn-hangzhou --SecurityGroupId {sg_bj}"));
    assert_eq!(
        (status, code.as_str()),
        (404, "InvalidSecurityGroupId.NotFound")
    );
}

#[test]
fn s1_b_steps_1_and_2_security_groups_in_two_accounts() {
    let mut s = gateway(&fixture(json!({})));
    let vpc_r = s1_vpc(&mut s, "root@A", "cn-hangzhou", "172.16.0.0/12");
    let vpc_b = s1_vpc(&mut s, "root@B", "cn-beijing", "192.168.0.0/24");
    let sg_r = s1_group(
        &mut s,
        "root@A",
        "cn-hangzhou",
        &vpc_r,
        &[("ICMP", "-1/-1", "192.168.0.0/24")],
    );
    let sg_b = s1_group(
        &mut s,
        "root@B",
        "cn-beijing",
        &vpc_b,
        &[("ICMP", "-1/-1", "172.16.0.0/12")],
    );
    assert!(ingress_allows(
        &s,
        &vpc_r,
        &sg_r,
        Protocol::Icmp,
        "192.168.0.10",
        "172.16.1.10",
        0
    ));
    assert!(ingress_allows(
        &s,
        &vpc_b,
        &sg_b,
        Protocol::Icmp,
        "172.16.1.10",
        "192.168.0.10",
        0
    ));
    // Neither account sees (or may change) the other's group.
    let (status, code) = s.err("root@A", &format!("aliyun ecs AuthorizeSecurityGroup --RegionId cn-beijing --SecurityGroupId {sg_b} --Permissions.1.IpProtocol TCP --Permissions.1.PortRange 22/22 --Permissions.1.SourceCidrIp 0.0.0.0/0"));
    assert_eq!(
        (status, code.as_str()),
        (404, "InvalidSecurityGroupId.NotFound")
    );
}

#[test]
fn s1_c_and_s1_d_groups_allow_icmp_from_the_plan() {
    let mut s = gateway(&fixture(json!({})));
    // S1-C: three VPCs of A, SGs allow ICMP from 10.0.0.0/8 everywhere.
    for cidr in ["10.1.0.0/16", "10.2.0.0/16", "10.3.0.0/16"] {
        let vpc = s1_vpc(&mut s, "root@A", "cn-hangzhou", cidr);
        let g = s1_group(
            &mut s,
            "root@A",
            "cn-hangzhou",
            &vpc,
            &[("ICMP", "-1/-1", "10.0.0.0/8")],
        );
        assert!(ingress_allows(
            &s,
            &vpc,
            &g,
            Protocol::Icmp,
            "10.2.1.10",
            "10.1.1.10",
            0
        ));
        assert!(!ingress_allows(
            &s,
            &vpc,
            &g,
            Protocol::Tcp,
            "10.2.1.10",
            "10.1.1.10",
            22
        ));
    }
    // S1-D: two overlapping 172.17.3.0/24 VPCs; all SGs allow ICMP from 172.17.3.0/24.
    for region in ["cn-hangzhou", "cn-beijing"] {
        let vpc = s1_vpc(&mut s, "root@A", region, "172.17.3.0/24");
        let g = s1_group(
            &mut s,
            "root@A",
            region,
            &vpc,
            &[("ICMP", "-1/-1", "172.17.3.0/24")],
        );
        assert!(ingress_allows(
            &s,
            &vpc,
            &g,
            Protocol::Icmp,
            "172.17.3.10",
            "172.17.3.200",
            0
        ));
    }
    let all = s.ok(
        "root@A",
        "aliyun ecs DescribeSecurityGroups --RegionId cn-hangzhou",
    );
    assert_eq!(all["TotalCount"], 4);
}
