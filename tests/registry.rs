//! The operation registry (issue 10 §1): every registered API has a RAM action, at least one
//! ARN template, a declared response shape, parameters the decoder accepts — and a call through
//! the gateway that succeeds, answers exactly the declared top-level fields and leaves one audit
//! event. Adding an API to the registry without adding it to [`script`] fails this test.

mod gateway_support;

use gateway_support::*;
use ramsim::api::catalog::{self, ApiEntry};
use ramsim::cloud::declare::ParamType;
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;

/// A successful call of every registered API, in an order where each one can succeed.
/// Each step: caller, API, parameters (built from earlier answers).
fn script(s: &mut Sim) -> Vec<String> {
    let mut called = Vec::new();
    let mut call = |s: &mut Sim, who: &str, api: &str, params: Value| -> Value {
        let decl = catalog::by_api(api).unwrap_or_else(|| panic!("{api} is not registered"));
        let before = s.gw.state.audit.len();
        let r = s.json(who, api, params);
        assert!(
            r.is_success(),
            "{api} failed through the gateway: {}",
            r.body
        );
        assert_eq!(
            s.gw.state.audit.len(),
            before + 1,
            "{api} must leave exactly one audit event"
        );
        let fields: Vec<&str> = r
            .body
            .as_object()
            .map(|m| {
                m.keys()
                    .map(String::as_str)
                    .filter(|k| *k != "RequestId")
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(
            fields, decl.response,
            "{api}: answered fields differ from the declared response shape"
        );
        called.push(api.to_string());
        r.body
    };
    let str_of = |v: &Value, path: &[&str]| -> String {
        let mut cur = v;
        for p in path {
            cur = &cur[*p];
        }
        cur.as_str()
            .unwrap_or_else(|| panic!("no {path:?} in {v}"))
            .to_string()
    };

    // Vpc
    let a = call(
        s,
        "root@A",
        "CreateVpc",
        json!({"RegionId": "cn-hangzhou", "CidrBlock": "10.1.0.0/16"}),
    );
    let (vpc_a, table_a) = (str_of(&a, &["VpcId"]), str_of(&a, &["RouteTableId"]));
    let b = call(
        s,
        "root@B",
        "CreateVpc",
        json!({"RegionId": "cn-hangzhou", "CidrBlock": "10.2.0.0/16"}),
    );
    let vpc_b = str_of(&b, &["VpcId"]);
    let a2 = call(
        s,
        "root@A",
        "CreateVpc",
        json!({"RegionId": "cn-hangzhou", "CidrBlock": "10.3.0.0/16"}),
    );
    let vpc_a2 = str_of(&a2, &["VpcId"]);
    call(
        s,
        "root@A",
        "CreateVSwitch",
        json!({"RegionId": "cn-hangzhou", "ZoneId": "cn-hangzhou-h", "VpcId": vpc_a, "CidrBlock": "10.1.1.0/24"}),
    );
    call(
        s,
        "root@A",
        "DescribeVpcs",
        json!({"RegionId": "cn-hangzhou"}),
    );
    call(
        s,
        "root@A",
        "DescribeVSwitches",
        json!({"RegionId": "cn-hangzhou", "VpcId": vpc_a}),
    );
    call(
        s,
        "root@A",
        "DescribeRouteTableList",
        json!({"RegionId": "cn-hangzhou", "VpcId": vpc_a}),
    );
    call(
        s,
        "root@A",
        "DescribeRouteEntryList",
        json!({"RegionId": "cn-hangzhou", "RouteTableId": table_a}),
    );

    // VpcPeer
    let p = call(
        s,
        "root@A",
        "CreateVpcPeerConnection",
        json!({"RegionId": "cn-hangzhou", "VpcId": vpc_a, "AcceptingAliUid": B,
               "AcceptingRegionId": "cn-hangzhou", "AcceptingVpcId": vpc_b}),
    );
    let peer = str_of(&p, &["InstanceId"]);
    call(
        s,
        "root@B",
        "AcceptVpcPeerConnection",
        json!({"InstanceId": peer}),
    );
    call(
        s,
        "root@A",
        "GetVpcPeerConnectionAttribute",
        json!({"InstanceId": peer}),
    );
    call(
        s,
        "root@A",
        "ListVpcPeerConnections",
        json!({"RegionId": "cn-hangzhou"}),
    );
    call(
        s,
        "root@A",
        "ModifyVpcPeerConnection",
        json!({"InstanceId": peer, "Name": "renamed"}),
    );
    let r = call(
        s,
        "root@A",
        "CreateRouteEntry",
        json!({"RegionId": "cn-hangzhou", "RouteTableId": table_a, "DestinationCidrBlock": "10.2.0.0/16",
               "NextHopType": "VpcPeer", "NextHopId": peer}),
    );
    let entry = str_of(&r, &["RouteEntryId"]);
    call(
        s,
        "root@A",
        "DeleteRouteEntry",
        json!({"RegionId": "cn-hangzhou", "RouteEntryId": entry}),
    );
    call(
        s,
        "root@A",
        "DeleteVpcPeerConnection",
        json!({"InstanceId": peer}),
    );
    let p2 = call(
        s,
        "root@A",
        "CreateVpcPeerConnection",
        json!({"RegionId": "cn-hangzhou", "VpcId": vpc_a2, "AcceptingAliUid": B,
               "AcceptingRegionId": "cn-hangzhou", "AcceptingVpcId": vpc_b}),
    );
    call(
        s,
        "root@B",
        "RejectVpcPeerConnection",
        json!({"InstanceId": str_of(&p2, &["InstanceId"])}),
    );

    // Cbn (CEN, transit routers)
    let (vpc_c, vsw_c) = {
        let v = call(
            s,
            "root@A",
            "CreateVpc",
            json!({"RegionId": "cn-shanghai", "CidrBlock": "10.7.0.0/16"}),
        );
        let vpc = str_of(&v, &["VpcId"]);
        let sw = call(
            s,
            "root@A",
            "CreateVSwitch",
            json!({"RegionId": "cn-shanghai", "ZoneId": "cn-shanghai-a", "VpcId": vpc, "CidrBlock": "10.7.1.0/24"}),
        );
        (vpc, str_of(&sw, &["VSwitchId"]))
    };
    let cen = str_of(
        &call(s, "root@A", "CreateCen", json!({"Name": "net"})),
        &["CenId"],
    );
    let bwp = str_of(
        &call(
            s,
            "root@A",
            "CreateCenBandwidthPackage",
            json!({"Bandwidth": 10, "GeographicRegionAId": "China", "GeographicRegionBId": "China"}),
        ),
        &["CenBandwidthPackageId"],
    );
    let pair = json!({"CenId": cen, "CenBandwidthPackageId": bwp});
    call(s, "root@A", "AssociateCenBandwidthPackage", pair.clone());
    let tr1 = str_of(
        &call(
            s,
            "root@A",
            "CreateTransitRouter",
            json!({"RegionId": "cn-shanghai", "CenId": cen}),
        ),
        &["TransitRouterId"],
    );
    let tr2 = str_of(
        &call(
            s,
            "root@A",
            "CreateTransitRouter",
            json!({"RegionId": "cn-beijing", "CenId": cen}),
        ),
        &["TransitRouterId"],
    );
    call(s, "root@A", "ListTransitRouters", json!({"CenId": cen}));
    let tables = call(
        s,
        "root@A",
        "ListTransitRouterRouteTables",
        json!({"TransitRouterId": tr1}),
    );
    let trt = str_of(
        &tables["TransitRouterRouteTables"][0],
        &["TransitRouterRouteTableId"],
    );
    let att = str_of(
        &call(
            s,
            "root@A",
            "CreateTransitRouterVpcAttachment",
            json!({"RegionId": "cn-shanghai", "TransitRouterId": tr1, "VpcId": vpc_c,
                   "ZoneMappings.1.VSwitchId": vsw_c, "ZoneMappings.1.ZoneId": "cn-shanghai-a"}),
        ),
        &["TransitRouterAttachmentId"],
    );
    let peer_att = str_of(
        &call(
            s,
            "root@A",
            "CreateTransitRouterPeerAttachment",
            json!({"RegionId": "cn-shanghai", "TransitRouterId": tr1, "PeerTransitRouterId": tr2,
                   "CenBandwidthPackageId": bwp, "Bandwidth": 5}),
        ),
        &["TransitRouterAttachmentId"],
    );
    let link = json!({"TransitRouterAttachmentId": att, "TransitRouterRouteTableId": trt});
    call(
        s,
        "root@A",
        "AssociateTransitRouterAttachmentWithRouteTable",
        link.clone(),
    );
    call(
        s,
        "root@A",
        "EnableTransitRouterRouteTablePropagation",
        link.clone(),
    );
    let rte = str_of(
        &call(
            s,
            "root@A",
            "CreateTransitRouterRouteEntry",
            json!({"TransitRouterRouteTableId": trt, "TransitRouterRouteEntryDestinationCidrBlock": "10.8.0.0/16",
                   "TransitRouterRouteEntryNextHopType": "Attachment", "TransitRouterRouteEntryNextHopId": peer_att}),
        ),
        &["TransitRouterRouteEntryId"],
    );
    call(
        s,
        "root@A",
        "ListTransitRouterRouteEntries",
        json!({"TransitRouterRouteTableId": trt}),
    );
    call(
        s,
        "root@A",
        "ListTransitRouterAttachments",
        json!({"CenId": cen}),
    );
    call(
        s,
        "root@A",
        "DeleteTransitRouterRouteEntry",
        json!({"TransitRouterRouteEntryId": rte}),
    );
    call(
        s,
        "root@A",
        "DisableTransitRouterRouteTablePropagation",
        link.clone(),
    );
    call(
        s,
        "root@A",
        "DissociateTransitRouterAttachmentFromRouteTable",
        link,
    );
    call(
        s,
        "root@A",
        "DeleteTransitRouterVpcAttachment",
        json!({"TransitRouterAttachmentId": att}),
    );
    call(
        s,
        "root@A",
        "DeleteTransitRouterPeerAttachment",
        json!({"TransitRouterAttachmentId": peer_att, "Force": true}),
    );
    call(
        s,
        "root@A",
        "DeleteTransitRouter",
        json!({"TransitRouterId": tr1}),
    );
    call(
        s,
        "root@A",
        "DeleteTransitRouter",
        json!({"TransitRouterId": tr2}),
    );
    call(s, "root@A", "UnassociateCenBandwidthPackage", pair);
    call(s, "root@A", "DeleteCen", json!({"CenId": cen}));

    // RAM
    let trust =
        json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
        "Principal": {"RAM": [format!("acs:ram::{A}:root")]}}]})
        .to_string();
    let doc = json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "vpc:Describe*", "Resource": "*"}]}).to_string();
    call(s, "root@A", "CreateUser", json!({"UserName": "alice"}));
    call(s, "root@A", "CreateAccessKey", json!({"UserName": "alice"}));
    call(s, "root@A", "CreateGroup", json!({"GroupName": "ops"}));
    call(
        s,
        "root@A",
        "AddUserToGroup",
        json!({"UserName": "alice", "GroupName": "ops"}),
    );
    call(
        s,
        "root@A",
        "CreateRole",
        json!({"RoleName": "auditor", "AssumeRolePolicyDocument": trust}),
    );
    call(
        s,
        "root@A",
        "UpdateRole",
        json!({"RoleName": "auditor", "NewMaxSessionDuration": 7200}),
    );
    call(
        s,
        "root@A",
        "CreatePolicy",
        json!({"PolicyName": "readers", "PolicyDocument": doc}),
    );
    call(
        s,
        "root@A",
        "CreatePolicyVersion",
        json!({"PolicyName": "readers", "PolicyDocument": doc, "SetAsDefault": true}),
    );
    for (grantee, name) in [("User", "alice"), ("Group", "ops"), ("Role", "auditor")] {
        let key = format!("{grantee}Name");
        let mut params = Map::new();
        params.insert("PolicyName".into(), json!("readers"));
        params.insert("PolicyType".into(), json!("Custom"));
        params.insert(key, json!(name));
        call(
            s,
            "root@A",
            &format!("AttachPolicyTo{grantee}"),
            Value::Object(params.clone()),
        );
        call(
            s,
            "root@A",
            &format!("DetachPolicyFrom{grantee}"),
            Value::Object(params),
        );
    }
    call(
        s,
        "root@A",
        "DeletePolicy",
        json!({"PolicyName": "readers"}),
    );

    // Resource Manager
    let rg = call(s, "root@A", "CreateResourceGroup", json!({"Name": "team"}));
    let rg = str_of(&rg, &["ResourceGroup", "Id"]);
    let grant = json!({"PolicyName": "AliyunVPCReadOnlyAccess", "PolicyType": "System",
        "PrincipalName": format!("alice@{A}.onaliyun.com"), "PrincipalType": "IMSUser", "ResourceGroupId": rg});
    call(s, "root@A", "AttachPolicy", grant.clone());
    call(s, "root@A", "DetachPolicy", grant);
    let cp = call(
        s,
        "root@M",
        "CreateControlPolicy",
        json!({"PolicyName": "guard", "PolicyDocument": json!({"Version": "1", "Statement": [{"Effect": "Deny", "Action": "vpc:DeleteVpc", "Resource": "*"}]}).to_string()}),
    );
    let cp = str_of(&cp, &["ControlPolicy", "PolicyId"]);
    call(
        s,
        "root@M",
        "AttachControlPolicy",
        json!({"PolicyId": cp, "TargetId": PROD}),
    );
    call(
        s,
        "root@M",
        "DetachControlPolicy",
        json!({"PolicyId": cp, "TargetId": PROD}),
    );

    // STS
    call(
        s,
        "root@A",
        "AssumeRole",
        json!({"RoleArn": format!("acs:ram::{A}:role/auditor"), "RoleSessionName": "s1"}),
    );
    call(s, "root@A", "GetCallerIdentity", json!({}));

    // ActionTrail
    call(s, "root@B", "LookupEvents", json!({"MaxResults": 50}));
    called
}

#[test]
fn every_registered_api_is_declared_completely() {
    for e in catalog::CATALOG.iter() {
        let product = catalog::product(e.product)
            .unwrap_or_else(|| panic!("{}: product {} is not registered", e.api, e.product));
        assert_eq!(e.version, product.version, "{}", e.api);
        assert_eq!(
            e.action,
            format!("{}:{}", product.ram_code, e.api),
            "{}: RAM action",
            e.api
        );
        assert!(!e.resources.is_empty(), "{}: no ARN template", e.api);
        for r in e.resources {
            assert!(*r == "*" || r.starts_with("acs:"), "{}: {r}", e.api);
            // Every `{Param}` placeholder names a declared parameter (or the caller's side).
            let mut rest = *r;
            while let Some(open) = rest.find('{') {
                let close = rest[open..].find('}').map(|c| open + c).expect("closed");
                let name = &rest[open + 1..close];
                let known = matches!(name, "region" | "account" | "RoleAccount" | "RoleName")
                    || e.params.iter().any(|p| p.name == name)
                    || (name == "TargetPath" && e.params.iter().any(|p| p.name == "TargetId"));
                assert!(
                    known,
                    "{}: placeholder {{{name}}} is not a parameter",
                    e.api
                );
                rest = &rest[close + 1..];
            }
        }
        let mut names = BTreeSet::new();
        for p in e.params {
            assert!(names.insert(p.name), "{}: {} declared twice", e.api, p.name);
            assert!(
                !p.required || !p.name.contains(".N"),
                "{}: {} a list item is never required on its own",
                e.api,
                p.name
            );
        }
    }
}

#[test]
fn every_registered_api_succeeds_through_the_gateway_with_its_declared_response() {
    let mut s = gateway(&fixture(json!({})));
    let called: BTreeSet<String> = script(&mut s).into_iter().collect();
    let registered: BTreeSet<String> = catalog::CATALOG
        .iter()
        .map(|e: &ApiEntry| e.api.to_string())
        .collect();
    let missing: Vec<_> = registered.difference(&called).collect();
    assert!(
        missing.is_empty(),
        "registered APIs with no gateway call in this test: {missing:?}"
    );
}

#[test]
fn declared_parameters_are_the_ones_the_decoder_accepts() {
    // A request with every declared parameter (lists as their first item) is never refused
    // for naming a parameter the API does not define, and dropping a required one is
    // `MissingParameter`.
    let value = |ty: ParamType| match ty {
        ParamType::Str => json!("x"),
        ParamType::Int => json!(1),
        ParamType::Bool => json!(true),
        ParamType::Uid => json!(B),
    };
    for e in catalog::CATALOG.iter() {
        let mut full = Map::new();
        for p in e.params {
            // Enumerated values must be valid, or decoding stops there.
            let v = match p.name {
                "PolicyType" => json!("Custom"),
                "PrincipalType" => json!("IMSUser"),
                _ => value(p.ty),
            };
            full.insert(p.name.replacen(".N", ".1", 1), v);
        }
        let mut s = gateway(&fixture(json!({})));
        let r = s.json("root@A", e.api, Value::Object(full.clone()));
        let code = r.error_code().unwrap_or_default().to_string();
        assert!(
            !(code == "InvalidParameter"
                && r.body["Message"]
                    .as_str()
                    .is_some_and(|m| m.contains("is not defined for"))),
            "{}: a declared parameter is refused: {}",
            e.api,
            r.body
        );
        for p in e.params.iter().filter(|p| p.required) {
            let mut less = full.clone();
            less.remove(p.name);
            let r = s.json("root@A", e.api, Value::Object(less));
            assert_eq!(
                r.error_code(),
                Some(format!("MissingParameter.{}", p.name).as_str()),
                "{}: without {}: {}",
                e.api,
                p.name,
                r.body
            );
        }
    }
}
