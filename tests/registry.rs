//! The operation registry (issue 10 §1): every registered API has a RAM action, at least one
//! ARN template, a declared response shape, parameters the decoder accepts — and a call through
//! the gateway that succeeds, answers exactly the declared top-level fields and leaves one audit
//! event. Adding an API to the registry without adding it to [`script`] fails this test.

mod gateway_support;

use gateway_support::*;
use ramsim::api::catalog::{self, ApiEntry};
use ramsim::api::ApiRequest;
use ramsim::cloud::declare::ParamType;
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;

/// A successful call of every registered API, in an order where each one can succeed.
/// Each step: caller, API, parameters (built from earlier answers).
fn script(s: &mut Sim) -> Vec<String> {
    let mut called = Vec::new();
    // `api` is `Action`, or `Product/Action` for a name several products declare.
    let mut call = |s: &mut Sim, who: &str, api: &str, params: Value| -> Value {
        let (product, api) = match api.split_once('/') {
            Some((p, a)) => (Some(p), a),
            None => (None, api),
        };
        let decl = catalog::by_product_api(product, api)
            .unwrap_or_else(|| panic!("{api} is not registered"));
        let before = s.gw.state.audit.len();
        let req = ApiRequest {
            product: product.map(str::to_string),
            action: api.to_string(),
            params: obj(params),
        };
        let r = s.call_env(&envelope(who), &req);
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
        called.push(format!("{}/{api}", decl.product));
        r.body.into_value()
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
    let vsw = call(
        s,
        "root@A",
        "CreateVSwitch",
        json!({"RegionId": "cn-hangzhou", "ZoneId": "cn-hangzhou-h", "VpcId": vpc_a, "CidrBlock": "10.1.1.0/24"}),
    );
    let vsw_a = str_of(&vsw, &["VSwitchId"]);
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
    // Vpc custom route tables
    let custom = call(
        s,
        "root@A",
        "CreateRouteTable",
        json!({"RegionId": "cn-hangzhou", "VpcId": vpc_a, "RouteTableName": "custom"}),
    );
    let custom = str_of(&custom, &["RouteTableId"]);
    let bind = json!({"RegionId": "cn-hangzhou", "RouteTableId": custom, "VSwitchId": vsw_a});
    call(s, "root@A", "AssociateRouteTable", bind.clone());
    call(s, "root@A", "UnassociateRouteTable", bind);
    call(
        s,
        "root@A",
        "DeleteRouteTable",
        json!({"RegionId": "cn-hangzhou", "RouteTableId": custom}),
    );

    // Ecs security groups
    let g = call(
        s,
        "root@A",
        "CreateSecurityGroup",
        json!({"RegionId": "cn-hangzhou", "VpcId": vpc_a, "SecurityGroupName": "web"}),
    );
    let sg = str_of(&g, &["SecurityGroupId"]);
    let g2 = call(
        s,
        "root@A",
        "CreateSecurityGroup",
        json!({"RegionId": "cn-hangzhou", "VpcId": vpc_a, "SecurityGroupType": "enterprise"}),
    );
    let sg2 = str_of(&g2, &["SecurityGroupId"]);
    let ssh = json!({"RegionId": "cn-hangzhou", "SecurityGroupId": sg,
        "Permissions.1.IpProtocol": "TCP", "Permissions.1.PortRange": "22/22",
        "Permissions.1.SourceCidrIp": "10.0.0.0/8"});
    call(s, "root@A", "AuthorizeSecurityGroup", ssh.clone());
    let out = json!({"RegionId": "cn-hangzhou", "SecurityGroupId": sg,
        "Permissions.1.IpProtocol": "ALL", "Permissions.1.PortRange": "-1/-1",
        "Permissions.1.DestCidrIp": "0.0.0.0/0", "Permissions.1.Policy": "drop"});
    call(s, "root@A", "AuthorizeSecurityGroupEgress", out.clone());
    call(
        s,
        "root@A",
        "DescribeSecurityGroupAttribute",
        json!({"RegionId": "cn-hangzhou", "SecurityGroupId": sg}),
    );
    call(s, "root@A", "RevokeSecurityGroup", ssh);
    call(s, "root@A", "RevokeSecurityGroupEgress", out);
    call(
        s,
        "root@A",
        "ModifySecurityGroupPolicy",
        json!({"RegionId": "cn-hangzhou", "SecurityGroupId": sg, "InnerAccessPolicy": "Drop"}),
    );
    call(
        s,
        "root@A",
        "DescribeSecurityGroups",
        json!({"RegionId": "cn-hangzhou", "VpcId": vpc_a}),
    );
    call(
        s,
        "root@A",
        "DeleteSecurityGroup",
        json!({"RegionId": "cn-hangzhou", "SecurityGroupId": sg2}),
    );

    // Vpc network ACLs
    let vsw =
        s.gw.state
            .world
            .vswitches_of(&vpc_a)
            .next()
            .map(|v| v.vswitch_id.clone())
            .expect("a vSwitch");
    let n = call(
        s,
        "root@A",
        "CreateNetworkAcl",
        json!({"RegionId": "cn-hangzhou", "VpcId": vpc_a, "NetworkAclName": "edge"}),
    );
    let acl = str_of(&n, &["NetworkAclId"]);
    call(
        s,
        "root@A",
        "UpdateNetworkAclEntries",
        json!({"RegionId": "cn-hangzhou", "NetworkAclId": acl, "UpdateIngressAclEntries": true,
               "IngressAclEntries.1.Policy": "accept", "IngressAclEntries.1.Protocol": "tcp",
               "IngressAclEntries.1.SourceCidrIp": "10.0.0.0/8", "IngressAclEntries.1.Port": "22/22"}),
    );
    let bind = json!({"RegionId": "cn-hangzhou", "NetworkAclId": acl,
        "Resource.1.ResourceType": "VSwitch", "Resource.1.ResourceId": vsw});
    call(s, "root@A", "AssociateNetworkAcl", bind.clone());
    call(
        s,
        "root@A",
        "DescribeNetworkAclAttributes",
        json!({"RegionId": "cn-hangzhou", "NetworkAclId": acl}),
    );
    call(s, "root@A", "UnassociateNetworkAcl", bind);
    call(
        s,
        "root@A",
        "DeleteNetworkAcl",
        json!({"RegionId": "cn-hangzhou", "NetworkAclId": acl}),
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

    // Ecs: the world declares a VPC `ecs` with vSwitch `ecs-h` and group `web` for A.
    let (vsw, web) = {
        let w = &s.gw.state.world;
        let vpc = w.vpc_by_name(A, "ecs").expect("vpc ecs").vpc_id.clone();
        let vsw = w
            .vswitches_of(&vpc)
            .next()
            .expect("vswitch")
            .vswitch_id
            .clone();
        let web = w
            .ecs()
            .security_groups
            .values()
            .find(|g| g.name == "web")
            .expect("group web")
            .security_group_id
            .clone();
        (vsw, web)
    };
    let r = call(
        s,
        "root@A",
        "RunInstances",
        json!({"RegionId": "cn-hangzhou", "VSwitchId": vsw, "SecurityGroupId": web,
               "Tag.1.Key": "ramsim:listening", "Tag.1.Value": "tcp/80"}),
    );
    let vm = r["InstanceIdSets"]["InstanceIdSet"][0]
        .as_str()
        .expect("instance id")
        .to_string();
    call(
        s,
        "root@A",
        "DescribeInstances",
        json!({"RegionId": "cn-hangzhou", "InstanceIds": format!("[\"{vm}\"]")}),
    );
    call(
        s,
        "root@A",
        "DescribeNetworkInterfaces",
        json!({"RegionId": "cn-hangzhou", "InstanceId": vm}),
    );
    call(
        s,
        "root@A",
        "TagResources",
        json!({"RegionId": "cn-hangzhou", "ResourceType": "instance", "ResourceId.1": vm,
               "Tag.1.Key": "team", "Tag.1.Value": "blue"}),
    );
    call(
        s,
        "root@A",
        "UntagResources",
        json!({"RegionId": "cn-hangzhou", "ResourceType": "instance", "ResourceId.1": vm, "TagKey.1": "team"}),
    );
    call(s, "root@A", "StopInstance", json!({"InstanceId": vm}));
    call(s, "root@A", "StartInstance", json!({"InstanceId": vm}));
    // Nis: a stored path from the instance to an address of its vSwitch, its analysis, the
    // one-shot form, then the deletes.
    let probe = json!({"SourceId": vm, "SourceType": "ecs", "TargetId": vsw,
                       "TargetType": "vsw", "TargetIpAddress": "10.9.1.200",
                       "Protocol": "tcp", "TargetPort": 80});
    let mut named = probe.clone();
    named["NetworkPathName"] = json!("vm-to-vsw");
    let np = call(s, "root@A", "CreateNetworkPath", named);
    let np = str_of(&np, &["NetworkPathId"]);
    let nra = call(
        s,
        "root@A",
        "CreateNetworkReachableAnalysis",
        json!({"NetworkPathId": np}),
    );
    let nra = str_of(&nra, &["NetworkReachableAnalysisId"]);
    call(
        s,
        "root@A",
        "GetNetworkReachableAnalysis",
        json!({"NetworkReachableAnalysisId": nra}),
    );
    call(s, "root@A", "CreateAndAnalyzeNetworkPath", probe);
    call(
        s,
        "root@A",
        "DeleteNetworkReachableAnalysis",
        json!({"NetworkReachableAnalysisIds": format!("[\"{nra}\"]")}),
    );
    call(
        s,
        "root@A",
        "DeleteNetworkPath",
        json!({"NetworkPathIds.1": np}),
    );
    call(
        s,
        "root@A",
        "DeleteInstance",
        json!({"InstanceId": vm, "Force": true}),
    );

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
    call(
        s,
        "root@A",
        "SetDefaultPolicyVersion",
        json!({"PolicyName": "readers", "VersionId": "v1"}),
    );
    call(
        s,
        "root@A",
        "DeletePolicyVersion",
        json!({"PolicyName": "readers", "VersionId": "v2"}),
    );
    let custom = json!({"PolicyName": "readers", "PolicyType": "Custom"});
    call(s, "root@A", "GetPolicy", custom.clone());
    call(s, "root@A", "ListPolicyVersions", custom);
    call(
        s,
        "root@A",
        "GetPolicyVersion",
        json!({"PolicyName": "readers", "PolicyType": "Custom", "VersionId": "v1"}),
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
    call(
        s,
        "root@M",
        "MoveAccount",
        json!({"AccountId": E, "DestinationFolderId": PROD}),
    );
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
    // Cross-account: B's VPC granted to A's CEN, then the grant taken back.
    let vpc_b = str_of(
        &call(
            s,
            "root@B",
            "CreateVpc",
            json!({"RegionId": "cn-shanghai", "CidrBlock": "10.9.0.0/16"}),
        ),
        &["VpcId"],
    );
    let grant = json!({"RegionId": "cn-shanghai", "CenId": cen, "InstanceId": vpc_b,
                       "InstanceType": "VPC", "CenOwnerId": A});
    call(s, "root@B", "GrantInstanceToTransitRouter", grant.clone());
    call(s, "root@B", "RevokeInstanceFromTransitRouter", grant);
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
    // ActionTrail
    // One page: the events of one API (the whole script leaves more than a page of events).
    call(
        s,
        "root@A",
        "LookupEvents",
        json!({"MaxResults": 50, "LookupAttribute.1.Key": "EventName",
               "LookupAttribute.1.Value": "CreateVpc"}),
    );
    // Nlb: an NLB in two zones of VPC A2, an Ip server group, a listener, then teardown.
    let r = "cn-hangzhou";
    let mut nlb_vsw = Vec::new();
    for (z, cidr) in [
        ("cn-hangzhou-a", "10.3.1.0/24"),
        ("cn-hangzhou-b", "10.3.2.0/24"),
    ] {
        let v = call(
            s,
            "root@A",
            "CreateVSwitch",
            json!({"RegionId": r, "ZoneId": z, "VpcId": vpc_a2, "CidrBlock": cidr}),
        );
        nlb_vsw.push(str_of(&v, &["VSwitchId"]));
    }
    let lb = call(
        s,
        "root@A",
        "Nlb/CreateLoadBalancer",
        json!({"RegionId": r, "AddressType": "Intranet", "VpcId": vpc_a2,
               "ZoneMappings.1.ZoneId": "cn-hangzhou-a", "ZoneMappings.1.VSwitchId": nlb_vsw[0],
               "ZoneMappings.2.ZoneId": "cn-hangzhou-b", "ZoneMappings.2.VSwitchId": nlb_vsw[1]}),
    );
    let lb = str_of(&lb, &["LoadbalancerId"]);
    let g = call(
        s,
        "root@A",
        "Nlb/CreateServerGroup",
        json!({"RegionId": r, "ServerGroupName": "ips", "ServerGroupType": "Ip", "VpcId": vpc_a2}),
    );
    let g = str_of(&g, &["ServerGroupId"]);
    let member = json!({"RegionId": r, "ServerGroupId": g, "Servers.1.ServerId": "10.3.1.50",
                        "Servers.1.ServerType": "Ip", "Servers.1.ServerIp": "10.3.1.50",
                        "Servers.1.Port": 80});
    call(s, "root@A", "Nlb/AddServersToServerGroup", member.clone());
    let l = call(
        s,
        "root@A",
        "Nlb/CreateListener",
        json!({"RegionId": r, "ListenerProtocol": "TCP", "ListenerPort": 80,
               "LoadBalancerId": lb, "ServerGroupId": g}),
    );
    let l = str_of(&l, &["ListenerId"]);
    call(
        s,
        "root@A",
        "Nlb/GetLoadBalancerAttribute",
        json!({"RegionId": r, "LoadBalancerId": lb}),
    );
    call(s, "root@A", "Nlb/ListLoadBalancers", json!({"RegionId": r}));
    call(s, "root@A", "Nlb/ListServerGroups", json!({"RegionId": r}));
    call(s, "root@A", "Nlb/ListListeners", json!({"RegionId": r}));
    call(
        s,
        "root@A",
        "Nlb/GetListenerHealthStatus",
        json!({"RegionId": r, "ListenerId": l}),
    );
    // Privatelink: a service on the NLB, its whitelist and resources, the lists, then an
    // endpoint's whole lifecycle.
    let svc = call(
        s,
        "root@A",
        "CreateVpcEndpointService",
        json!({"RegionId": r, "ServiceResourceType": "nlb", "AutoAcceptEnabled": true,
               "Resource.1.ResourceType": "nlb", "Resource.1.ResourceId": lb,
               "Resource.1.ZoneId": "cn-hangzhou-a"}),
    );
    let svc = str_of(&svc, &["ServiceId"]);
    let on_svc = json!({"RegionId": r, "ServiceId": svc});
    call(
        s,
        "root@A",
        "AddUserToVpcEndpointService",
        json!({"RegionId": r, "ServiceId": svc, "UserId": B}),
    );
    call(
        s,
        "root@A",
        "RemoveUserFromVpcEndpointService",
        json!({"RegionId": r, "ServiceId": svc, "UserARN": format!("acs:ram:*:{B}:*")}),
    );
    call(
        s,
        "root@A",
        "AttachResourceToVpcEndpointService",
        json!({"RegionId": r, "ServiceId": svc, "ResourceType": "nlb", "ResourceId": lb,
               "ZoneId": "cn-hangzhou-b"}),
    );
    call(
        s,
        "root@A",
        "UpdateVpcEndpointServiceAttribute",
        json!({"RegionId": r, "ServiceId": svc, "ServiceDescription": "web"}),
    );
    call(
        s,
        "root@A",
        "UpdateVpcEndpointServiceResourceAttribute",
        json!({"RegionId": r, "ServiceId": svc, "ResourceId": lb, "ZoneId": "cn-hangzhou-a",
               "AutoAllocatedEnabled": true}),
    );
    call(
        s,
        "root@A",
        "GetVpcEndpointServiceAttribute",
        on_svc.clone(),
    );
    call(
        s,
        "root@A",
        "ListVpcEndpointServices",
        json!({"RegionId": r}),
    );
    call(
        s,
        "root@A",
        "ListVpcEndpointServicesByEndUser",
        json!({"RegionId": r}),
    );
    call(s, "root@A", "ListVpcEndpoints", json!({"RegionId": r}));
    call(
        s,
        "root@A",
        "ListVpcEndpointConnections",
        json!({"RegionId": r}),
    );
    call(
        s,
        "root@A",
        "ListVpcEndpointServiceResources",
        on_svc.clone(),
    );
    call(s, "root@A", "ListVpcEndpointServiceUsers", on_svc.clone());
    call(
        s,
        "root@A",
        "Privatelink/DescribeRegions",
        json!({"RegionId": r}),
    );
    call(
        s,
        "root@A",
        "Privatelink/DescribeZones",
        json!({"RegionId": r}),
    );
    // The endpoint side: an endpoint in zone a of VPC A2 with a security group, its
    // connection and zone switched off and on, its allocation mode, bandwidth, zones.
    let sg = call(
        s,
        "root@A",
        "CreateSecurityGroup",
        json!({"RegionId": r, "VpcId": vpc_a2}),
    );
    let sg = str_of(&sg, &["SecurityGroupId"]);
    let ep = call(
        s,
        "root@A",
        "CreateVpcEndpoint",
        json!({"RegionId": r, "VpcId": vpc_a2, "ServiceId": svc, "SecurityGroupId.1": sg,
               "Zone.1.ZoneId": "cn-hangzhou-a", "Zone.1.VSwitchId": nlb_vsw[0]}),
    );
    let ep = str_of(&ep, &["EndpointId"]);
    let on_ep = json!({"RegionId": r, "EndpointId": ep});
    let conn = json!({"RegionId": r, "ServiceId": svc, "EndpointId": ep});
    let zone_a =
        json!({"RegionId": r, "ServiceId": svc, "EndpointId": ep, "ZoneId": "cn-hangzhou-a"});
    call(s, "root@A", "GetVpcEndpointAttribute", on_ep.clone());
    call(s, "root@A", "ListVpcEndpointZones", on_ep.clone());
    call(
        s,
        "root@A",
        "UpdateVpcEndpointConnectionAttribute",
        json!({"RegionId": r, "ServiceId": svc, "EndpointId": ep, "Bandwidth": 1000}),
    );
    call(
        s,
        "root@A",
        "DisableVpcEndpointZoneConnection",
        zone_a.clone(),
    );
    let mut auto = zone_a.clone();
    auto["ResourceAllocateMode"] = json!("Auto");
    call(
        s,
        "root@A",
        "UpdateVpcEndpointZoneConnectionResourceAttribute",
        auto,
    );
    call(s, "root@A", "EnableVpcEndpointZoneConnection", zone_a);
    call(s, "root@A", "DisableVpcEndpointConnection", conn.clone());
    call(s, "root@A", "EnableVpcEndpointConnection", conn.clone());
    call(
        s,
        "root@A",
        "AddZoneToVpcEndpoint",
        json!({"RegionId": r, "EndpointId": ep, "ZoneId": "cn-hangzhou-b", "VSwitchId": nlb_vsw[1]}),
    );
    call(s, "root@A", "DisableVpcEndpointConnection", conn);
    for z in ["cn-hangzhou-a", "cn-hangzhou-b"] {
        call(
            s,
            "root@A",
            "RemoveZoneFromVpcEndpoint",
            json!({"RegionId": r, "EndpointId": ep, "ZoneId": z}),
        );
    }
    call(s, "root@A", "DeleteVpcEndpoint", on_ep);
    for z in ["cn-hangzhou-a", "cn-hangzhou-b"] {
        call(
            s,
            "root@A",
            "DetachResourceFromVpcEndpointService",
            json!({"RegionId": r, "ServiceId": svc, "ResourceId": lb, "ZoneId": z}),
        );
    }
    call(s, "root@A", "DeleteVpcEndpointService", on_svc);
    // Slb: an intranet CLB in VPC A2, a TCP listener started, then deleted.
    let clb = call(
        s,
        "root@A",
        "Slb/CreateLoadBalancer",
        json!({"RegionId": r, "VSwitchId": nlb_vsw[0], "LoadBalancerName": "clb"}),
    );
    let clb = str_of(&clb, &["LoadBalancerId"]);
    let on_clb = json!({"RegionId": r, "LoadBalancerId": clb, "ListenerPort": 80});
    call(
        s,
        "root@A",
        "Slb/CreateLoadBalancerTCPListener",
        on_clb.clone(),
    );
    let vm = call(
        s,
        "root@A",
        "RunInstances",
        json!({"RegionId": r, "VSwitchId": nlb_vsw[0], "SecurityGroupId": sg}),
    );
    let vm = vm["InstanceIdSets"]["InstanceIdSet"][0]
        .as_str()
        .expect("instance id")
        .to_string();
    call(
        s,
        "root@A",
        "Slb/AddBackendServers",
        json!({"RegionId": r, "LoadBalancerId": clb,
               "BackendServers": format!("[{{\"ServerId\":\"{vm}\",\"Weight\":\"100\"}}]")}),
    );
    call(
        s,
        "root@A",
        "Slb/DescribeHealthStatus",
        json!({"RegionId": r, "LoadBalancerId": clb}),
    );
    call(
        s,
        "root@A",
        "DeleteInstance",
        json!({"RegionId": r, "InstanceId": vm, "Force": true}),
    );
    call(s, "root@A", "Slb/StartLoadBalancerListener", on_clb);
    call(
        s,
        "root@A",
        "Slb/DescribeLoadBalancers",
        json!({"RegionId": r}),
    );
    call(
        s,
        "root@A",
        "Slb/DeleteLoadBalancer",
        json!({"RegionId": r, "LoadBalancerId": clb}),
    );
    call(s, "root@A", "Nlb/RemoveServersFromServerGroup", member);
    call(
        s,
        "root@A",
        "Nlb/DeleteListener",
        json!({"RegionId": r, "ListenerId": l}),
    );
    call(
        s,
        "root@A",
        "Nlb/DeleteServerGroup",
        json!({"RegionId": r, "ServerGroupId": g}),
    );
    call(
        s,
        "root@A",
        "Nlb/DeleteLoadBalancer",
        json!({"RegionId": r, "LoadBalancerId": lb}),
    );
    // Alb: an internal ALB over the same two zones of VPC A2, an Ip server group with one
    // server of the VPC, an HTTP listener forwarding to it, then teardown.
    let alb = call(
        s,
        "root@A",
        "Alb/CreateLoadBalancer",
        json!({"RegionId": r, "VpcId": vpc_a2, "AddressType": "Intranet",
               "LoadBalancerEdition": "Standard", "LoadBalancerBillingConfig.PayType": "PostPay",
               "ZoneMappings.1.ZoneId": "cn-hangzhou-a", "ZoneMappings.1.VSwitchId": nlb_vsw[0],
               "ZoneMappings.2.ZoneId": "cn-hangzhou-b", "ZoneMappings.2.VSwitchId": nlb_vsw[1]}),
    );
    let alb = str_of(&alb, &["LoadBalancerId"]);
    let ag = call(
        s,
        "root@A",
        "Alb/CreateServerGroup",
        json!({"RegionId": r, "ServerGroupName": "alb-ips", "ServerGroupType": "Ip",
               "VpcId": vpc_a2, "Protocol": "HTTP"}),
    );
    let ag = str_of(&ag, &["ServerGroupId"]);
    let alb_member = json!({"RegionId": r, "ServerGroupId": ag, "Servers.1.ServerId": "10.3.1.60",
                            "Servers.1.ServerType": "Ip", "Servers.1.ServerIp": "10.3.1.60",
                            "Servers.1.Port": 80});
    call(
        s,
        "root@A",
        "Alb/AddServersToServerGroup",
        alb_member.clone(),
    );
    let al = call(
        s,
        "root@A",
        "Alb/CreateListener",
        json!({"RegionId": r, "LoadBalancerId": alb, "ListenerProtocol": "HTTP", "ListenerPort": 80,
               "DefaultActions.1.Type": "ForwardGroup",
               "DefaultActions.1.ForwardGroupConfig.ServerGroupTuples.1.ServerGroupId": ag}),
    );
    let al = str_of(&al, &["ListenerId"]);
    call(
        s,
        "root@A",
        "Alb/GetLoadBalancerAttribute",
        json!({"RegionId": r, "LoadBalancerId": alb}),
    );
    call(s, "root@A", "Alb/ListServerGroups", json!({"RegionId": r}));
    call(
        s,
        "root@A",
        "ListServerGroupServers",
        json!({"RegionId": r, "ServerGroupId": ag}),
    );
    call(s, "root@A", "Alb/ListListeners", json!({"RegionId": r}));
    call(
        s,
        "root@A",
        "Alb/GetListenerHealthStatus",
        json!({"RegionId": r, "ListenerId": al}),
    );
    call(s, "root@A", "Alb/RemoveServersFromServerGroup", alb_member);
    call(
        s,
        "root@A",
        "Alb/DeleteListener",
        json!({"RegionId": r, "ListenerId": al}),
    );
    call(
        s,
        "root@A",
        "Alb/DeleteServerGroup",
        json!({"RegionId": r, "ServerGroupId": ag}),
    );
    call(
        s,
        "root@A",
        "Alb/DeleteLoadBalancer",
        json!({"RegionId": r, "LoadBalancerId": alb}),
    );

    // Cms: a threshold rule on a peering, its metrics, its states and history.
    let resources = format!("[{{\"instanceId\":\"{peer}\"}}]");
    call(
        s,
        "root@A",
        "PutResourceMetricRules",
        json!({"Rules.1.RuleId": "peer-rx", "Rules.1.Namespace": "acs_vpcpeer",
               "Rules.1.MetricName": "IntranetRX", "Rules.1.Resources": resources,
               "Rules.1.Escalations.Critical.ComparisonOperator": "GreaterThanOrEqualToThreshold",
               "Rules.1.Escalations.Critical.Threshold": "104857600",
               "Rules.1.Escalations.Critical.Times": 2}),
    );
    call(
        s,
        "root@A",
        "DisableMetricRules",
        json!({"RuleId.1": "peer-rx"}),
    );
    call(
        s,
        "root@A",
        "EnableMetricRules",
        json!({"RuleId.1": "peer-rx"}),
    );
    call(
        s,
        "root@A",
        "DescribeMetricRuleList",
        json!({"RuleIds": "peer-rx"}),
    );
    let metric =
        json!({"Namespace": "acs_vpcpeer", "MetricName": "IntranetRX", "Dimensions": resources});
    call(s, "root@A", "DescribeMetricList", metric.clone());
    call(s, "root@A", "DescribeMetricLast", metric);
    call(s, "root@A", "DescribeAlertLogList", json!({}));
    call(s, "root@A", "DeleteMetricRules", json!({"Id.1": "peer-rx"}));
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
                    // a list parameter `Name.N` stands for one ARN per item
                    || e.params.iter().any(|p| p.name.strip_suffix(".N") == Some(name))
                    || (name == "TargetPath" && e.params.iter().any(|p| p.name == "TargetId"))
                    || (name == "AccountPath" && e.params.iter().any(|p| p.name == "AccountId"))
                    || (name == "FolderPath"
                        && e.params.iter().any(|p| p.name == "DestinationFolderId"));
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
    let mut s = gateway(&fixture(json!({
        // A holds the feature quota of UpdateVpcEndpointZoneConnectionResourceAttribute.
        "accounts": [
            {"uid": A, "alias": "A", "cdt_enabled": true, "resource_groups": ["rg-acfmaaaaaa"],
             "svc_res_mgt_enabled": true},
            {"uid": B, "alias": "B", "cdt_enabled": true, "resource_groups": ["rg-acfmbbbbbb"]},
            {"uid": C, "alias": "C", "cdt_enabled": true},
            {"uid": D, "alias": "D", "cdt_enabled": true, "site": "International"},
            {"uid": E, "alias": "E", "cdt_enabled": true},
            {"uid": M, "alias": "M", "cdt_enabled": true}
        ],
        "vpcs": [{"owner": A, "region_id": "cn-hangzhou", "cidr_block": "10.9.0.0/16", "name": "ecs",
                  "vswitches": [{"zone_id": "cn-hangzhou-h", "cidr_block": "10.9.1.0/24", "name": "ecs-h"}]}],
        "security_groups": [{"owner": A, "vpc": "ecs", "name": "web"}]
    })));
    let called: BTreeSet<String> = script(&mut s).into_iter().collect();
    let registered: BTreeSet<String> = catalog::CATALOG
        .iter()
        .map(|e: &ApiEntry| format!("{}/{}", e.product, e.api))
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
                "DefaultActions.N.Type" => json!("ForwardGroup"),
                _ => value(p.ty),
            };
            full.insert(p.name.replacen(".N", ".1", 1), v);
        }
        let mut s = gateway(&fixture(json!({})));
        // Named by product: several products declare some API names.
        let json = |s: &mut Sim, params: Map<String, Value>| {
            let req = ApiRequest {
                product: Some(e.product.to_string()),
                action: e.api.to_string(),
                params,
            };
            s.call_env(&envelope("root@A"), &req)
        };
        let r = json(&mut s, full.clone());
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
            let r = json(&mut s, less);
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
