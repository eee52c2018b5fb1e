//! Custom route tables through the gateway (§2.3, §9.2): CreateRouteTable,
//! AssociateRouteTable, UnassociateRouteTable, DeleteRouteTable — success, every error code
//! with the state left byte-identical, RAM denials with `AccessDeniedDetail`, one
//! `ACS::VPC::RouteTable` event per call, and the routing effect (a bound vSwitch routes by
//! its custom table, an unbound one by the system table).

mod gateway_support;

use gateway_support::*;
use serde_json::{json, Value};
use std::net::IpAddr;

const HZ: &str = "cn-hangzhou";

fn world(extra: Value) -> Value {
    let mut w = fixture(json!({
        "vpcs": [
            {"owner": A, "region_id": HZ, "cidr_block": "10.0.0.0/16", "name": "app",
             "vswitches": [
                {"zone_id": "cn-hangzhou-h", "cidr_block": "10.0.1.0/24", "name": "web"},
                {"zone_id": "cn-hangzhou-i", "cidr_block": "10.0.2.0/24", "name": "db"}]},
            {"owner": A, "region_id": HZ, "cidr_block": "10.1.0.0/16", "name": "other",
             "vswitches": [{"zone_id": "cn-hangzhou-h", "cidr_block": "10.1.1.0/24", "name": "o1"}]},
            {"owner": B, "region_id": HZ, "cidr_block": "192.168.0.0/16", "name": "b",
             "vswitches": [{"zone_id": "cn-hangzhou-h", "cidr_block": "192.168.1.0/24", "name": "b1"}]}
        ]
    }));
    merge(&mut w, extra);
    w
}

fn vswitch(s: &Sim, vpc: &str, name: &str) -> String {
    s.gw.state
        .world
        .vswitches_of(vpc)
        .find(|v| v.name == name)
        .unwrap_or_else(|| panic!("no vSwitch {name}"))
        .vswitch_id
        .clone()
}

fn create(s: &mut Sim, who: &str, vpc: &str, extra: &str) -> String {
    let r = s.ok(
        who,
        &format!("aliyun vpc CreateRouteTable --RegionId {HZ} --VpcId {vpc} {extra}"),
    );
    r["RouteTableId"].as_str().unwrap().to_string()
}

/// `line` fails with `code`, leaves the state byte-identical and one event with the code.
#[track_caller]
fn fails(s: &mut Sim, who: &str, line: &str, code: &str) {
    let before = s.snapshot();
    let r = s.cli(who, line);
    assert_eq!(r.error_code(), Some(code), "{line}: {}", r.body);
    assert_eq!(s.snapshot(), before, "{line} changed the state");
    assert_eq!(s.event(&r.request_id).error_code, code);
}

/// The table a vSwitch routes by.
fn table_of(s: &Sim, vsw: &str) -> String {
    s.gw.state
        .world
        .table_for_vswitch(vsw)
        .unwrap()
        .route_table_id
        .clone()
}

#[test]
fn a_custom_table_takes_over_routing_for_the_vswitches_bound_to_it() {
    let mut s = gateway(&world(json!({})));
    let app = s.vpc(A, "app");
    let system = s.rt(&app);
    let (web, db) = (vswitch(&s, &app, "web"), vswitch(&s, &app, "db"));
    let custom = create(&mut s, "root@A", &app, "--RouteTableName edge");
    let ev = s.api_events().last().copied().unwrap().clone();
    assert_eq!(&*ev.resource_type, "ACS::VPC::RouteTable");
    assert_eq!(ev.resource_name, custom, "the event names the new table");

    // Listed with its type and name; no vSwitch yet.
    let list = s.ok(
        "root@A",
        &format!("aliyun vpc DescribeRouteTableList --RegionId {HZ} --VpcId {app}"),
    );
    let rows = list["RouterTableList"]["RouterTableListType"]
        .as_array()
        .unwrap();
    let row = |id: &str| {
        rows.iter()
            .find(|r| r["RouteTableId"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(rows.len(), 2);
    assert_eq!(row(&custom)["RouteTableType"], "Custom");
    assert_eq!(row(&custom)["RouteTableName"], "edge");
    assert_eq!(row(&custom)["VSwitchIds"]["VSwitchId"], json!([]));
    assert_eq!(row(&system)["RouteTableType"], "System");

    // A route only in the custom table.
    s.ok(
        "root@A",
        &format!(
            "aliyun vpc CreateRouteEntry --RegionId {HZ} --RouteTableId {custom} \
             --DestinationCidrBlock 172.31.0.0/16 --NextHopType VpnGateway \
             --NextHopId vpn-bp1a2b3c4d5e6f7g8h9i0"
        ),
    );
    let dst: IpAddr = "172.31.5.5".parse().unwrap();
    let route = |s: &Sim, vsw: &str| {
        s.gw.state
            .world
            .lookup_route(&app, Some(vsw), dst)
            .map(|m| m.route_table_id)
    };
    assert_eq!(route(&s, &web), None, "web routes by the system table");

    s.ok(
        "root@A",
        &format!("aliyun vpc AssociateRouteTable --RegionId {HZ} --RouteTableId {custom} --VSwitchId {web}"),
    );
    assert_eq!(table_of(&s, &web), custom);
    assert_eq!(table_of(&s, &db), system, "db is still on the system table");
    assert_eq!(route(&s, &web), Some(custom.clone()));
    assert_eq!(route(&s, &db), None);
    // The system routes of every vSwitch are in the custom table too.
    let local: IpAddr = "10.0.2.9".parse().unwrap();
    assert!(s
        .gw
        .state
        .world
        .lookup_route(&app, Some(&web), local)
        .is_some());
    let list = s.ok(
        "root@A",
        &format!("aliyun vpc DescribeRouteTableList --RegionId {HZ} --RouteTableId {custom}"),
    );
    assert_eq!(
        list["RouterTableList"]["RouterTableListType"][0]["VSwitchIds"]["VSwitchId"],
        json!([web])
    );

    s.ok(
        "root@A",
        &format!("aliyun vpc UnassociateRouteTable --RegionId {HZ} --RouteTableId {custom} --VSwitchId {web}"),
    );
    assert_eq!(table_of(&s, &web), system, "back on the system table");
    assert_eq!(route(&s, &web), None);

    // Deleted once empty; then gone.
    s.ok(
        "root@A",
        &format!(
            "aliyun vpc DeleteRouteEntry --RegionId {HZ} --RouteTableId {custom} \
             --DestinationCidrBlock 172.31.0.0/16"
        ),
    );
    s.ok(
        "root@A",
        &format!("aliyun vpc DeleteRouteTable --RegionId {HZ} --RouteTableId {custom}"),
    );
    assert!(s.gw.state.world.route_table(&custom).is_none());
    fails(
        &mut s,
        "root@A",
        &format!("aliyun vpc DeleteRouteTable --RegionId {HZ} --RouteTableId {custom}"),
        "InvalidRouteTableId.NotFound",
    );
}

#[test]
fn every_error_code_leaves_the_state_unchanged() {
    let mut s = gateway(&world(json!({})));
    let (app, other, b) = (s.vpc(A, "app"), s.vpc(A, "other"), s.vpc(B, "b"));
    let system = s.rt(&app);
    let (web, db, o1) = (
        vswitch(&s, &app, "web"),
        vswitch(&s, &app, "db"),
        vswitch(&s, &other, "o1"),
    );
    let b1 = vswitch(&s, &b, "b1");
    let create_line = |vpc: &str, extra: &str| {
        format!("aliyun vpc CreateRouteTable --RegionId {HZ} --VpcId {vpc} {extra}")
    };
    let bind = |api: &str, table: &str, vsw: &str| {
        format!("aliyun vpc {api} --RegionId {HZ} --RouteTableId {table} --VSwitchId {vsw}")
    };
    let delete =
        |table: &str| format!("aliyun vpc DeleteRouteTable --RegionId {HZ} --RouteTableId {table}");

    // CreateRouteTable
    fails(
        &mut s,
        "root@A",
        &create_line("vpc-nope0000000000000000", ""),
        "InvalidVpcId.NotFound",
    );
    fails(
        &mut s,
        "root@A",
        &create_line(&b, ""),
        "InvalidVpcId.NotFound",
    );
    fails(
        &mut s,
        "root@A",
        &create_line(&app, "--AssociateType Router"),
        "InvalidParameter.AssociateType",
    );
    fails(
        &mut s,
        "root@A",
        &create_line(&app, &format!("--RouteTableName {}", "n".repeat(129))),
        "InvalidRouteTableName.Malformed",
    );
    fails(
        &mut s,
        "root@A",
        &format!("aliyun vpc CreateRouteTable --RegionId xx-nowhere-1 --VpcId {app}"),
        "InvalidRegionId.NotFound",
    );
    let custom = create(&mut s, "root@A", &app, "");
    let gateway_table = create(&mut s, "root@A", &app, "--AssociateType Gateway");
    let second = (2..9)
        .map(|_| create(&mut s, "root@A", &app, ""))
        .last()
        .unwrap();
    fails(
        &mut s,
        "root@A",
        &create_line(&app, ""),
        "QuotaExceeded.RouteTable",
    );
    // The quota is per VPC.
    create(&mut s, "root@A", &other, "");

    // AssociateRouteTable
    let assoc = |t: &str, v: &str| bind("AssociateRouteTable", t, v);
    fails(
        &mut s,
        "root@A",
        &assoc("vtb-nope000000000000000", &web),
        "InvalidRouteTableId.NotFound",
    );
    fails(
        &mut s,
        "root@A",
        &assoc(&custom, "vsw-nope000000000000000"),
        "InvalidVSwitchId.NotFound",
    );
    fails(
        &mut s,
        "root@A",
        &assoc(&custom, &b1),
        "InvalidVSwitchId.NotFound",
    );
    fails(
        &mut s,
        "root@A",
        &assoc(&custom, &o1),
        "Forbidden.NotInSameVpc",
    );
    fails(
        &mut s,
        "root@A",
        &assoc(&system, &web),
        "OperationDenied.SystemRouteTable",
    );
    fails(
        &mut s,
        "root@A",
        &assoc(&gateway_table, &web),
        "OperationDenied.AssociateGatewayRouteTable",
    );
    fails(
        &mut s,
        "root@B",
        &assoc(&custom, &web),
        "InvalidRouteTableId.NotFound",
    );
    s.ok("root@A", &assoc(&custom, &web));
    fails(
        &mut s,
        "root@A",
        &assoc(&custom, &web),
        "ResourceAlreadyAssociated.RouteTable",
    );
    fails(
        &mut s,
        "root@A",
        &assoc(&second, &web),
        "Forbidden.VSwitchAlreadyAssociatedRouteTable",
    );

    // UnassociateRouteTable
    let unassoc = |t: &str, v: &str| bind("UnassociateRouteTable", t, v);
    fails(
        &mut s,
        "root@A",
        &unassoc(&custom, &db),
        "IncorrectStatus.RouteTableNotAssociated",
    );
    fails(
        &mut s,
        "root@A",
        &unassoc(&second, &web),
        "IncorrectStatus.RouteTableNotAssociated",
    );

    // DeleteRouteTable
    fails(
        &mut s,
        "root@A",
        &delete(&system),
        "OperationDenied.SystemRouteTable",
    );
    fails(
        &mut s,
        "root@A",
        &delete(&custom),
        "DependencyViolation.VSwitch",
    );
    s.ok("root@A", &unassoc(&custom, &web));
    s.ok(
        "root@A",
        &format!(
            "aliyun vpc CreateRouteEntry --RegionId {HZ} --RouteTableId {custom} \
             --DestinationCidrBlock 172.31.0.0/16 --NextHopType VpnGateway \
             --NextHopId vpn-bp1a2b3c4d5e6f7g8h9i0"
        ),
    );
    fails(
        &mut s,
        "root@A",
        &delete(&custom),
        "DependencyViolation.RouteEntry",
    );
    fails(
        &mut s,
        "root@B",
        &delete(&second),
        "InvalidRouteTableId.NotFound",
    );
    s.ok("root@A", &delete(&second));
}

#[test]
fn ram_decides_on_the_table_and_the_vswitch() {
    let policy = |resources: Value| {
        json!({"identity": {"accounts": {"A": {
            "policies": [{"name": "rt", "document": {"Version": "1", "Statement": [
                {"Effect": "Allow", "Action": ["vpc:CreateRouteTable", "vpc:DescribeRouteTableList"], "Resource": "*"},
                {"Effect": "Allow", "Action": ["vpc:AssociateRouteTable", "vpc:UnassociateRouteTable"],
                 "Resource": resources}]}}],
            "users": [{"name": "netops", "policies": ["rt"]}, {"name": "nobody"}]
        }}}})
    };
    // Allowed on every table but only the `web` vSwitch (its ARN is known after init).
    let s = gateway(&world(policy(json!("*"))));
    let app = s.vpc(A, "app");
    let web = vswitch(&s, &app, "web");
    let mut s = gateway(&world(policy(json!([
        format!("acs:vpc:{HZ}:{A}:routetable/*"),
        format!("acs:vpc:{HZ}:{A}:vswitch/{web}")
    ]))));
    let db = vswitch(&s, &app, "db");
    let custom = create(&mut s, "netops", &app, "");

    // The user with no policy: 403 Forbidden with the detail, nothing changes.
    let before = s.snapshot();
    let r = s.cli(
        "nobody",
        &format!("aliyun vpc CreateRouteTable --RegionId {HZ} --VpcId {app}"),
    );
    assert_eq!(
        (r.http_status, r.error_code()),
        (403, Some("Forbidden")),
        "{}",
        r.body
    );
    let d = &r.body["AccessDeniedDetail"];
    assert_eq!(d["AuthAction"], "vpc:CreateRouteTable", "{d}");
    assert_eq!(d["NoPermissionType"], "ImplicitDeny", "{d}");
    assert_eq!(s.snapshot(), before);
    assert_eq!(
        &*s.event(&r.request_id).resource_type,
        "ACS::VPC::RouteTable"
    );

    let line = |vsw: &str| {
        format!("aliyun vpc AssociateRouteTable --RegionId {HZ} --RouteTableId {custom} --VSwitchId {vsw}")
    };
    s.ok("netops", &line(&web));
    let before = s.snapshot();
    let r = s.cli("netops", &line(&db));
    assert_eq!(r.error_code(), Some("Forbidden"), "{}", r.body);
    assert_eq!(
        r.body["AccessDeniedDetail"]["AuthResource"],
        format!("acs:vpc:{HZ}:{A}:vswitch/{db}")
    );
    assert_eq!(s.snapshot(), before);
}
