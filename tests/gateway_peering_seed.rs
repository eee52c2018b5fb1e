//! The VPC peering seed (network-model.md §3, §11.1 S1) end to end through `Gateway::call`:
//! aliyun CLI lines in, Alibaba-shaped answers and ActionTrail events out.

mod gateway_support;

use gateway_support::*;
use ramsim::api::{ApiRequest, Envelope};
use serde_json::{json, Value};
use std::collections::BTreeSet;

const T0: &str = "2025-01-01T00:00:00Z";

/// §11.0 plus named VPCs (the same set as the cloud model's error tests), and RAM users for
/// the §11.1 S1-B-RAM-* variants.
fn seed_world(options: Value) -> Value {
    let guard_rd = |rd: &str| read_seed("guardrail-rd-id.json").replace("rd-xxxxxx", rd);
    let guard_path = read_seed("guardrail-rd-path.json").replace(
        "rd-xxxxxx/r-xxxxxx/fd-xxxxxx/*",
        "rd-abc123/r-root01/fd-prod01/*",
    );
    fixture(json!({
        "options": options,
        "vpcs": [
            {"owner": A, "region_id": "cn-hangzhou", "cidr_block": "10.0.0.0/16", "name": "a_hz"},
            {"owner": A, "region_id": "cn-hangzhou", "cidr_block": "10.1.0.0/16", "name": "a_hz2"},
            {"owner": A, "region_id": "cn-beijing", "cidr_block": "10.2.0.0/16", "name": "a_bj"},
            {"owner": A, "region_id": "cn-shanghai-finance-1", "cidr_block": "10.3.0.0/16", "name": "a_fin"},
            {"owner": A, "region_id": "cn-hangzhou", "cidr_block": "10.4.0.0/16", "name": "a_shared", "shared_with": [B]},
            {"owner": B, "region_id": "cn-beijing", "cidr_block": "192.168.0.0/16", "name": "b_bj"},
            {"owner": B, "region_id": "cn-hangzhou", "cidr_block": "192.168.0.0/16", "name": "b_hz"},
            {"owner": B, "region_id": "cn-hongkong", "cidr_block": "172.16.0.0/16", "name": "b_hk"},
            {"owner": C, "region_id": "cn-hangzhou", "cidr_block": "10.8.0.0/16", "name": "c_hz"},
            {"owner": D, "region_id": "cn-hangzhou", "cidr_block": "10.9.0.0/16", "name": "d_hz"},
            {"owner": E, "region_id": "cn-hangzhou", "cidr_block": "10.10.0.0/16", "name": "e_hz"}
        ],
        "identity": {
            "accounts": {
                "A": {
                    "policies": [
                        {"name": "network-admin", "document": {"file": "policies/network-admin.json"}},
                        {"name": "guardrail-rd-id", "document": guard_rd("rd-abc123")},
                        {"name": "guardrail-rd-path", "document": guard_path}
                    ],
                    "users": [
                        {"name": "netops", "policies": ["network-admin", "guardrail-rd-id"], "access_keys": 1},
                        {"name": "pathops", "policies": ["network-admin", "guardrail-rd-path"]},
                        {"name": "vpconly", "policies": ["System:AliyunVPCFullAccess"]}
                    ]
                },
                "B": {
                    "policies": [
                        {"name": "network-admin", "document": {"file": "policies/network-admin.json"}},
                        {"name": "guardrail-rd-other", "document": guard_rd("rd-other")}
                    ],
                    "users": [
                        {"name": "netadmin", "policies": ["network-admin", "guardrail-rd-other"]},
                        {"name": "b-admin", "policies": ["network-admin"]}
                    ]
                }
            }
        }
    }))
}

fn read_seed(name: &str) -> String {
    std::fs::read_to_string(format!("{}/policies/{name}", env!("CARGO_MANIFEST_DIR")))
        .expect("seed policy")
}

fn sim(options: Value) -> Sim {
    gateway(&seed_world(options))
}

/// A→B cross-account request a_hz → b_hz (Accepting), by A's root.
fn pending(s: &mut Sim) -> String {
    let (va, vb) = (s.vpc(A, "a_hz"), s.vpc(B, "b_hz"));
    instance_id(&s.ok(
        "root@A",
        &create_line("cn-hangzhou", &va, B, "cn-hangzhou", &vb, ""),
    ))
}

/// Same-account inter-region a_hz → a_bj (Activated), by A's root.
fn same_account_inter(s: &mut Sim) -> String {
    let (va, vb) = (s.vpc(A, "a_hz"), s.vpc(A, "a_bj"));
    instance_id(&s.ok(
        "root@A",
        &create_line("cn-hangzhou", &va, A, "cn-beijing", &vb, ""),
    ))
}

fn route_line(region: &str, table: &str, dest: &str, pcc: &str) -> String {
    format!("aliyun vpc CreateRouteEntry --RegionId {region} --RouteTableId {table} --DestinationCidrBlock {dest} --NextHopType VpcPeer --NextHopId {pcc}")
}

fn service_events<'a>(s: &'a Sim, name: &str) -> Vec<&'a ramsim::api::audit::AuditEvent> {
    s.gw.state
        .audit
        .iter()
        .filter(|e| e.event_type == "AliyunServiceEvent" && e.event_name == name)
        .collect()
}

// ---- S1-A: same account, inter-region --------------------------------------------------

#[test]
fn s1_a_same_account_auto_accepted_modify_routes_and_forced_delete() {
    let mut s = gateway(&fixture(json!({})));
    let hz = s.ok(
        "root@A",
        "aliyun vpc CreateVpc --RegionId cn-hangzhou --CidrBlock 10.0.0.0/8",
    );
    let (vpc_hz, rt_hz) = (
        hz["VpcId"].as_str().unwrap().to_string(),
        hz["RouteTableId"].as_str().unwrap().to_string(),
    );
    s.ok("root@A", &format!("aliyun vpc CreateVSwitch --RegionId cn-hangzhou --VpcId {vpc_hz} --ZoneId cn-hangzhou-h --CidrBlock 10.0.1.0/24"));
    let bj = s.ok(
        "root@A",
        "aliyun vpc CreateVpc --RegionId cn-beijing --CidrBlock 172.16.0.0/12",
    );
    let (vpc_bj, rt_bj) = (
        bj["VpcId"].as_str().unwrap().to_string(),
        bj["RouteTableId"].as_str().unwrap().to_string(),
    );
    s.ok("root@A", &format!("aliyun vpc CreateVSwitch --RegionId cn-beijing --VpcId {vpc_bj} --ZoneId cn-beijing-h --CidrBlock 172.16.1.0/24"));

    // step 9: same account → auto-accepted (T1)
    let r = s.cli(
        "root@A",
        &create_line(
            "cn-hangzhou",
            &vpc_hz,
            A,
            "cn-beijing",
            &vpc_bj,
            "--Name example_peer_connection_name --Bandwidth 1024 --LinkType Gold",
        ),
    );
    assert_eq!(r.http_status, 200, "{}", r.body);
    let pcc = instance_id(&r.body);
    assert!(pcc.starts_with("pcc-"), "{pcc}");
    let ev = s.event(&r.request_id);
    assert_eq!(
        (ev.event_name.as_str(), &*ev.event_rw, &*ev.service_name),
        ("CreateVpcPeerConnection", "Write", "VpcPeer")
    );
    assert_eq!(
        (&*ev.resource_type, ev.resource_name.as_str()),
        ("ACS::VPC::PeerConnection", pcc.as_str())
    );
    assert_eq!(ev.user_identity.kind, "root-account");
    assert_eq!(
        ev.response_elements.as_ref().unwrap()["InstanceId"],
        pcc.as_str()
    );

    // step 11: Get from the requester side
    let g = s.ok(
        "root@A",
        &format!("aliyun vpcpeer GetVpcPeerConnectionAttribute --InstanceId {pcc}"),
    );
    assert_eq!(g["Status"], "Activated");
    assert_eq!(g["Bandwidth"], 1024);
    assert_eq!(g["LinkType"], "Gold");
    assert_eq!(g["GmtExpired"], Value::Null);
    assert_eq!(g["Vpc"]["Ipv4Cidrs"], json!(["10.0.0.0/8"]));
    assert_eq!(g["AcceptingVpc"]["Ipv4Cidrs"], json!(["172.16.0.0/12"]));

    // steps 12, 14: routes on both sides
    let rte1 = s.ok(
        "root@A",
        &route_line("cn-hangzhou", &rt_hz, "172.16.0.0/12", &pcc),
    );
    let rte2 = s.ok(
        "root@A",
        &route_line("cn-beijing", &rt_bj, "10.0.0.0/8", &pcc),
    );
    let (rte1, rte2) = (
        rte1["RouteEntryId"].as_str().unwrap().to_string(),
        rte2["RouteEntryId"].as_str().unwrap().to_string(),
    );
    assert!(s.gw.state.world.peering_passes_traffic(&pcc));
    let listed = s.ok(
        "root@A",
        &format!("aliyun vpc DescribeRouteEntryList --RegionId cn-beijing --RouteTableId {rt_bj}"),
    );
    assert!(listed.to_string().contains(&rte2), "{listed}");
    // step 16
    assert_eq!(
        s.err(
            "root@A",
            &route_line("cn-hangzhou", &rt_hz, "172.16.0.0/12", &pcc)
        )
        .1,
        "RouterEntryConflict.Duplicated"
    );

    // steps 17–18: inter-region modify of bandwidth and link type (T6)
    assert_eq!(
        s.err(
            "root@A",
            &format!("aliyun vpcpeer ModifyVpcPeerConnection --InstanceId {pcc} --Bandwidth 2048")
        ),
        (400, "QuotaExceeded.Bandwidth".into())
    );
    s.ok("root@A", &format!("aliyun vpcpeer ModifyVpcPeerConnection --InstanceId {pcc} --Bandwidth 512 --LinkType Platinum"));
    let g = s.ok(
        "root@A",
        &format!("aliyun vpcpeer GetVpcPeerConnectionAttribute --InstanceId {pcc}"),
    );
    assert_eq!(
        (
            g["Status"].as_str(),
            g["Bandwidth"].as_i64(),
            g["LinkType"].as_str()
        ),
        (Some("Activated"), Some(512), Some("Platinum"))
    );

    // step 19: routes block a plain delete
    assert_eq!(
        s.err(
            "root@A",
            &format!("aliyun vpcpeer DeleteVpcPeerConnection --InstanceId {pcc}")
        ),
        (400, "OperationDenied.RouteEntryExist".into())
    );
    // step 20: Force deletes both routes, each with an AliyunServiceEvent
    let before = service_events(&s, "DeleteRouteEntry").len();
    s.ok(
        "root@A",
        &format!("aliyun vpcpeer DeleteVpcPeerConnection --InstanceId {pcc} --Force"),
    );
    assert_eq!(service_events(&s, "DeleteRouteEntry").len(), before + 2);
    let w = &s.gw.state.world;
    assert!(w.route_entry(&rte1).is_none() && w.route_entry(&rte2).is_none());
    assert_eq!(
        s.err(
            "root@A",
            &format!("aliyun vpcpeer GetVpcPeerConnectionAttribute --InstanceId {pcc}")
        ),
        (400, "ResourceNotFound.InstanceId".into())
    );
}

// ---- S1-B: cross account ----------------------------------------------------------------

struct Cross {
    s: Sim,
    vpc_r: String,
    rt_r: String,
    vpc_b: String,
    rt_b: String,
}

fn cross() -> Cross {
    let mut s = gateway(&fixture(json!({})));
    let r = s.ok(
        "root@A",
        "aliyun vpc CreateVpc --RegionId cn-hangzhou --CidrBlock 172.16.0.0/12",
    );
    let (vpc_r, rt_r) = (
        r["VpcId"].as_str().unwrap().to_string(),
        r["RouteTableId"].as_str().unwrap().to_string(),
    );
    s.ok("root@A", &format!("aliyun vpc CreateVSwitch --RegionId cn-hangzhou --VpcId {vpc_r} --ZoneId cn-hangzhou-h --CidrBlock 172.16.1.0/24"));
    let b = s.ok(
        "root@B",
        "aliyun vpc CreateVpc --RegionId cn-beijing --CidrBlock 192.168.0.0/24",
    );
    let (vpc_b, rt_b) = (
        b["VpcId"].as_str().unwrap().to_string(),
        b["RouteTableId"].as_str().unwrap().to_string(),
    );
    s.ok("root@B", &format!("aliyun vpc CreateVSwitch --RegionId cn-beijing --VpcId {vpc_b} --ZoneId cn-beijing-h --CidrBlock 192.168.0.0/25"));
    Cross {
        s,
        vpc_r,
        rt_r,
        vpc_b,
        rt_b,
    }
}

impl Cross {
    fn request(&mut self) -> String {
        let line = create_line(
            "cn-hangzhou",
            &self.vpc_r,
            B,
            "cn-beijing",
            &self.vpc_b,
            "--Bandwidth 1024 --LinkType Gold",
        );
        instance_id(&self.s.ok("root@A", &line))
    }
}

#[test]
fn s1_b_cross_account_accept_routes_and_delete() {
    let mut x = cross();
    let pcc = x.request();
    // step 3: Accepting with GmtExpired = T0 + 7 d (T2)
    let g = x.s.ok(
        "root@A",
        &format!("aliyun vpcpeer GetVpcPeerConnectionAttribute --InstanceId {pcc}"),
    );
    assert_eq!(
        (g["Status"].as_str(), g["GmtExpired"].as_str()),
        (Some("Accepting"), Some("2025-01-08T00:00:00Z"))
    );
    assert_eq!(g["GmtCreate"], T0);
    // step 4: no routes to a peering that is not Activated
    assert_eq!(
        x.s.err(
            "root@A",
            &route_line("cn-hangzhou", &x.rt_r, "192.168.0.0/24", &pcc)
        )
        .1,
        "IncorrectStatus.VpcPeer"
    );
    // step 5: the requester cannot accept
    assert_eq!(
        x.s.err(
            "root@A",
            &format!("aliyun vpcpeer AcceptVpcPeerConnection --InstanceId {pcc}")
        ),
        (400, "OperationDenied.NotAccepter".into())
    );
    // step 6: the accepter sees it in its region
    let list = x.s.ok(
        "root@B",
        "aliyun vpcpeer ListVpcPeerConnections --RegionId cn-beijing",
    );
    let found: Vec<&Value> = list["VpcPeerConnects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["InstanceId"] == pcc.as_str())
        .collect();
    assert_eq!(found.len(), 1, "{list}");
    assert_eq!(found[0]["Status"], "Accepting");
    // step 7: accept (T3)
    let r = x.s.cli(
        "root@B",
        &format!("aliyun vpcpeer AcceptVpcPeerConnection --InstanceId {pcc}"),
    );
    assert!(r.is_success(), "{}", r.body);
    let ev = x.s.event(&r.request_id);
    // §10.1/§10.4: region of the caller side, event delivered to the accepter
    assert_eq!(
        (
            ev.acs_region.as_str(),
            ev.recipient_account_id.as_str(),
            ev.resource_name.as_str()
        ),
        ("cn-beijing", B, pcc.as_str())
    );
    assert_eq!(ev.user_identity.account_id, B);
    let g = x.s.ok(
        "root@B",
        &format!("aliyun vpcpeer GetVpcPeerConnectionAttribute --InstanceId {pcc}"),
    );
    assert_eq!(
        (g["Status"].as_str(), &g["GmtExpired"]),
        (Some("Activated"), &Value::Null)
    );
    // steps 8–9: routes on both sides, each by its own account
    x.s.ok(
        "root@A",
        &route_line("cn-hangzhou", &x.rt_r, "192.168.0.0/24", &pcc),
    );
    let rb = x.s.ok(
        "root@B",
        &route_line("cn-beijing", &x.rt_b, "172.16.0.0/12", &pcc),
    );
    // B cannot touch A's table (not visible → not found)
    assert_eq!(
        x.s.err(
            "root@B",
            &route_line("cn-hangzhou", &x.rt_r, "10.99.0.0/16", &pcc)
        )
        .0 / 100,
        4
    );
    assert!(x.s.gw.state.world.peering_passes_traffic(&pcc));
    // step 11
    assert_eq!(
        x.s.err(
            "root@B",
            &format!("aliyun vpcpeer RejectVpcPeerConnection --InstanceId {pcc}")
        )
        .1,
        "IncorrectStatus.VpcPeer"
    );
    // step 12: either owner may delete; routes block
    assert_eq!(
        x.s.err(
            "root@B",
            &format!("aliyun vpcpeer DeleteVpcPeerConnection --InstanceId {pcc}")
        )
        .1,
        "OperationDenied.RouteEntryExist"
    );
    // documented manual order: DeleteRouteEntry on both sides, then delete without Force
    let rb_id = rb["RouteEntryId"].as_str().unwrap();
    x.s.ok(
        "root@B",
        &format!("aliyun vpc DeleteRouteEntry --RegionId cn-beijing --RouteEntryId {rb_id}"),
    );
    assert_eq!(
        x.s.err(
            "root@B",
            &format!("aliyun vpcpeer DeleteVpcPeerConnection --InstanceId {pcc}")
        )
        .1,
        "OperationDenied.RouteEntryExist"
    );
    x.s.ok(
        "root@A",
        &format!("aliyun vpc DeleteRouteEntry --RegionId cn-hangzhou --RouteTableId {} --DestinationCidrBlock 192.168.0.0/24 --NextHopId {pcc}", x.rt_r),
    );
    let before = service_events(&x.s, "DeleteRouteEntry").len();
    x.s.ok(
        "root@B",
        &format!("aliyun vpcpeer DeleteVpcPeerConnection --InstanceId {pcc}"),
    );
    assert_eq!(
        service_events(&x.s, "DeleteRouteEntry").len(),
        before,
        "no forced route deletion"
    );
    assert_eq!(
        x.s.err(
            "root@A",
            &format!("aliyun vpcpeer GetVpcPeerConnectionAttribute --InstanceId {pcc}")
        )
        .1,
        "ResourceNotFound.InstanceId"
    );
    let list = x.s.ok(
        "root@B",
        "aliyun vpcpeer ListVpcPeerConnections --RegionId cn-beijing",
    );
    assert!(
        !list.to_string().contains(&pcc),
        "Deleted peerings are not listed (T9)"
    );
}

#[test]
fn s1_b_rej_reject_then_delete() {
    let mut x = cross();
    let pcc = x.request();
    x.s.ok(
        "root@B",
        &format!("aliyun vpcpeer RejectVpcPeerConnection --InstanceId {pcc}"),
    );
    assert_eq!(x.s.status("root@A", &pcc), "Rejected");
    assert_eq!(
        x.s.err(
            "root@A",
            &route_line("cn-hangzhou", &x.rt_r, "192.168.0.0/24", &pcc)
        )
        .1,
        "IncorrectStatus.VpcPeer"
    );
    assert_eq!(
        x.s.err(
            "root@B",
            &format!("aliyun vpcpeer AcceptVpcPeerConnection --InstanceId {pcc}")
        )
        .1,
        "IncorrectStatus.VpcPeer"
    );
    assert!(!x.s.gw.state.world.peering_passes_traffic(&pcc));
    // a rejected request does not count as a duplicate: the pair may be requested again
    let again = x.request();
    assert_ne!(again, pcc);
    x.s.ok(
        "root@A",
        &format!("aliyun vpcpeer DeleteVpcPeerConnection --InstanceId {pcc}"),
    );
}

#[test]
fn s1_b_exp_expiry_through_envelope_time() {
    let mut x = cross();
    let pcc = x.request();
    // one second before GmtExpired the request is still pending
    let r = x.s.cli_at(
        "root@B",
        "2025-01-07T23:59:59Z",
        &format!("aliyun vpcpeer GetVpcPeerConnectionAttribute --InstanceId {pcc}"),
    );
    assert_eq!(r.body["Status"], "Accepting");
    assert!(service_events(&x.s, "VpcPeerConnectionExpired").is_empty());
    // clock += 7 d + 1 s, carried by the call itself
    let r = x.s.cli_at(
        "root@B",
        "2025-01-08T00:00:01Z",
        &format!("aliyun vpcpeer AcceptVpcPeerConnection --InstanceId {pcc}"),
    );
    assert_eq!(
        (r.http_status, r.error_code()),
        (400, Some("IncorrectStatus.VpcPeer"))
    );
    assert_eq!(x.s.event(&r.request_id).event_time, "2025-01-08T00:00:01Z");
    // the platform's expiry event precedes the call's event
    // one platform event per party of the peering (requester and accepter)
    let exp = service_events(&x.s, "VpcPeerConnectionExpired");
    let recipients: BTreeSet<&str> = exp
        .iter()
        .map(|e| e.recipient_account_id.as_str())
        .collect();
    assert_eq!(recipients, BTreeSet::from([A, B]));
    assert!(exp
        .iter()
        .all(|e| e.resource_name == pcc && e.event_time == "2025-01-08T00:00:01Z"));
    let pos = |id: &str| {
        x.s.gw
            .state
            .audit
            .iter()
            .position(|e| e.event_id == id)
            .unwrap()
    };
    assert!(pos(&exp[0].event_id.clone()) < pos(&r.request_id));
    let g = x.s.ok(
        "root@A",
        &format!("aliyun vpcpeer GetVpcPeerConnectionAttribute --InstanceId {pcc}"),
    );
    assert_eq!(
        (g["Status"].as_str(), g["GmtExpired"].as_str()),
        (Some("Expired"), Some("2025-01-08T00:00:00Z"))
    );
    // the clock never goes back: an earlier envelope time does not revive it
    let r = x.s.cli_at(
        "root@B",
        T0,
        &format!("aliyun vpcpeer GetVpcPeerConnectionAttribute --InstanceId {pcc}"),
    );
    assert_eq!(r.body["Status"], "Expired");
    x.s.ok(
        "root@A",
        &format!("aliyun vpcpeer DeleteVpcPeerConnection --InstanceId {pcc}"),
    );
}

#[test]
fn s1_b_exp_expiry_through_advance_clock() {
    let mut x = cross();
    let pcc = x.request();
    let t = ramsim::cloud::Timestamp::parse("2025-01-08T00:00:00Z").unwrap();
    x.s.gw.advance_clock(t);
    assert_eq!(x.s.gw.state.world.now(), t);
    assert_eq!(
        service_events(&x.s, "VpcPeerConnectionExpired").len(),
        2,
        "expiry is logged (to both parties) when the clock reaches GmtExpired"
    );
    assert_eq!(x.s.status("root@B", &pcc), "Expired");
    assert_eq!(
        x.s.err(
            "root@B",
            &format!("aliyun vpcpeer AcceptVpcPeerConnection --InstanceId {pcc}")
        )
        .1,
        "IncorrectStatus.VpcPeer"
    );
    assert_eq!(
        x.s.err(
            "root@B",
            &format!("aliyun vpcpeer RejectVpcPeerConnection --InstanceId {pcc}")
        )
        .1,
        "IncorrectStatus.VpcPeer"
    );
    // an expired request does not block a new one
    let again = x.request();
    assert_eq!(x.s.status("root@B", &again), "Accepting");
    x.s.ok(
        "root@B",
        &format!("aliyun vpcpeer DeleteVpcPeerConnection --InstanceId {pcc}"),
    );
}

// ---- every §3.3 error code through the gateway -------------------------------------------

/// A case sets up a gateway and names the failing call: `(sim, caller, CLI line)`.
type Case = (&'static str, fn() -> (Sim, &'static str, String));

fn accept(id: &str) -> String {
    format!("aliyun vpcpeer AcceptVpcPeerConnection --InstanceId {id}")
}

const CASES: &[Case] = &[
    // ---- Create (§3.3.1) ----
    ("UnsupportedRegion", || {
        let s = sim(json!({}));
        let va = s.vpc(A, "a_hz");
        (
            s,
            "root@A",
            create_line("cn-hangzhou", &va, A, "ap-southeast-2", "vpc-x", ""),
        )
    }),
    ("ResourceNotFound.VpcId", || {
        let s = sim(json!({}));
        let (va, vb) = (s.vpc(A, "a_bj"), s.vpc(B, "b_bj"));
        (
            s,
            "root@A",
            create_line("cn-hangzhou", &va, B, "cn-beijing", &vb, ""),
        )
    }),
    ("OperationDenied.VpcNotOwner", || {
        let s = sim(json!({}));
        let (vs, vb) = (s.vpc(A, "a_shared"), s.vpc(B, "b_bj"));
        (
            s,
            "root@B",
            create_line("cn-hangzhou", &vs, B, "cn-beijing", &vb, ""),
        ) // S1-B-SHARED
    }),
    ("IllegalParam.AcceptingAliUid", || {
        let s = sim(json!({}));
        let va = s.vpc(A, "a_hz");
        (
            s,
            "root@A",
            create_line(
                "cn-hangzhou",
                &va,
                "1111111111111111",
                "cn-hangzhou",
                "vpc-x",
                "",
            ),
        )
    }),
    ("IllegalParam.AcceptingVpcId", || {
        let s = sim(json!({}));
        let (va, vb) = (s.vpc(A, "a_hz"), s.vpc(B, "b_bj"));
        (
            s,
            "root@A",
            create_line("cn-hangzhou", &va, C, "cn-beijing", &vb, ""),
        )
    }),
    ("OperationFailed.ViolativeVpcPeer", || {
        let s = sim(json!({}));
        let (va, vd) = (s.vpc(A, "a_hz"), s.vpc(D, "d_hz"));
        (
            s,
            "root@A",
            create_line("cn-hangzhou", &va, D, "cn-hangzhou", &vd, ""),
        ) // S1-B-SITE
    }),
    ("OperationFailed.ViolativeVpcPeer", || {
        let s = sim(json!({}));
        let (va, vf) = (s.vpc(A, "a_hz"), s.vpc(A, "a_fin"));
        (
            s,
            "root@A",
            create_line("cn-hangzhou", &va, A, "cn-shanghai-finance-1", &vf, ""),
        ) // S1-B-RTYPE
    }),
    ("IncorrectStatus.Vpc", || {
        let mut s = sim(json!({"settle": "Stepped"}));
        let vpc = s.ok(
            "root@A",
            "aliyun vpc CreateVpc --RegionId cn-hangzhou --CidrBlock 10.50.0.0/16",
        )["VpcId"]
            .as_str()
            .unwrap()
            .to_string();
        let vb = s.vpc(B, "b_hz");
        (
            s,
            "root@A",
            create_line("cn-hangzhou", &vpc, B, "cn-hangzhou", &vb, ""),
        )
    }),
    ("IncorrectStatus.AcceptingVpc", || {
        let mut s = sim(json!({"settle": "Stepped"}));
        let vpc = s.ok(
            "root@B",
            "aliyun vpc CreateVpc --RegionId cn-hangzhou --CidrBlock 10.50.0.0/16",
        )["VpcId"]
            .as_str()
            .unwrap()
            .to_string();
        let va = s.vpc(A, "a_hz");
        (
            s,
            "root@A",
            create_line("cn-hangzhou", &va, B, "cn-hangzhou", &vpc, ""),
        )
    }),
    ("IllegalParam.Bandwidth", || {
        let s = sim(json!({}));
        let (va, vb) = (s.vpc(A, "a_hz"), s.vpc(B, "b_hz"));
        (
            s,
            "root@A",
            create_line("cn-hangzhou", &va, B, "cn-hangzhou", &vb, "--Bandwidth 100"),
        )
    }),
    ("IllegalParam.LinkType", || {
        let s = sim(json!({}));
        let (va, vb) = (s.vpc(A, "a_hz"), s.vpc(A, "a_bj"));
        (
            s,
            "root@A",
            create_line(
                "cn-hangzhou",
                &va,
                A,
                "cn-beijing",
                &vb,
                "--LinkType Silver",
            ),
        )
    }),
    ("QuotaExceeded.Bandwidth", || {
        let s = sim(json!({}));
        let (va, vb) = (s.vpc(A, "a_hz"), s.vpc(A, "a_bj"));
        (
            s,
            "root@A",
            create_line("cn-hangzhou", &va, A, "cn-beijing", &vb, "--Bandwidth 1025"),
        )
    }),
    ("OperationFailed.CdtNotOpened", || {
        let mut s = sim(json!({"auto_open_cdt": false}));
        s.gw.state
            .world
            .update_account(A, |a| a.cdt_enabled = false);
        let (va, vb) = (s.vpc(A, "a_hz"), s.vpc(B, "b_hz"));
        (
            s,
            "root@A",
            create_line("cn-hangzhou", &va, B, "cn-hangzhou", &vb, ""),
        )
    }),
    ("OperationFailed.AcceptUserCdtNotOpened", || {
        let mut s = sim(json!({}));
        s.gw.state
            .world
            .update_account(B, |a| a.cdt_enabled = false); // S1-B-CDT
        let (va, vb) = (s.vpc(A, "a_hz"), s.vpc(B, "b_hz"));
        (
            s,
            "root@A",
            create_line("cn-hangzhou", &va, B, "cn-hangzhou", &vb, ""),
        )
    }),
    ("OperationFailed.CrossBorderCdtNotOpened", || {
        let s = sim(json!({}));
        let (va, vb) = (s.vpc(A, "a_hz"), s.vpc(B, "b_hk"));
        (
            s,
            "root@A",
            create_line("cn-hangzhou", &va, B, "cn-hongkong", &vb, ""),
        ) // S1-B-XB
    }),
    ("OperationFailed.AcceptUserCrossBorderCdtNotOpened", || {
        let mut s = sim(json!({}));
        s.gw.state
            .world
            .update_account(A, |a| a.cross_border_cdt_enabled = true);
        let (va, vb) = (s.vpc(A, "a_hz"), s.vpc(B, "b_hk"));
        (
            s,
            "root@A",
            create_line("cn-hangzhou", &va, B, "cn-hongkong", &vb, ""),
        )
    }),
    ("IncorrectBusinessStatus.VpcPeer", || {
        let mut s = sim(json!({}));
        s.gw.state.world.update_account(A, |a| a.overdue = true);
        let (va, vb) = (s.vpc(A, "a_hz"), s.vpc(B, "b_hz"));
        (
            s,
            "root@A",
            create_line("cn-hangzhou", &va, B, "cn-hangzhou", &vb, ""),
        )
    }),
    ("IncorrectBusinessStatus.AcceptUserVpcPeer", || {
        let mut s = sim(json!({}));
        s.gw.state.world.update_account(B, |a| a.overdue = true);
        let (va, vb) = (s.vpc(A, "a_hz"), s.vpc(B, "b_hz"));
        (
            s,
            "root@A",
            create_line("cn-hangzhou", &va, B, "cn-hangzhou", &vb, ""),
        )
    }),
    ("OperationFailed.NotExist.ResourceGroup", || {
        let s = sim(json!({}));
        let (va, vb) = (s.vpc(A, "a_hz"), s.vpc(B, "b_hz"));
        (
            s,
            "root@A",
            create_line(
                "cn-hangzhou",
                &va,
                B,
                "cn-hangzhou",
                &vb,
                "--ResourceGroupId rg-missing000",
            ),
        )
    }),
    ("ResourceAlreadyExist.VpcPeer", || {
        let mut s = sim(json!({}));
        pending(&mut s);
        let (va, vb) = (s.vpc(A, "a_hz"), s.vpc(B, "b_hz"));
        (
            s,
            "root@B",
            create_line("cn-hangzhou", &vb, A, "cn-hangzhou", &va, ""),
        ) // reverse direction (S1-B-DUP)
    }),
    ("Conflict.Operation", || {
        let mut s = sim(json!({"settle": "Stepped"}));
        pending(&mut s); // a_hz is now in a Creating peering
        let (va, v2) = (s.vpc(A, "a_hz"), s.vpc(A, "a_hz2"));
        (
            s,
            "root@A",
            create_line("cn-hangzhou", &va, A, "cn-hangzhou", &v2, ""),
        )
    }),
    ("QuotaExceeded.IntraRegionVpcPeerCountPerVpc", || {
        // S1-B-QUOTA: the 11th intra-region peering on one VPC, at the default quota
        let mut s = sim(json!({}));
        let hub = s.vpc(A, "a_hz");
        for i in 0..10 {
            let (owner, root) = if i < 5 { (C, "root@C") } else { (E, "root@E") };
            let spoke = s.ok(
                root,
                &format!(
                    "aliyun vpc CreateVpc --RegionId cn-hangzhou --CidrBlock 10.{}.0.0/16",
                    100 + i
                ),
            )["VpcId"]
                .as_str()
                .unwrap()
                .to_string();
            s.ok(
                "root@A",
                &create_line("cn-hangzhou", &hub, owner, "cn-hangzhou", &spoke, ""),
            );
        }
        let v2 = s.vpc(A, "a_hz2");
        (
            s,
            "root@A",
            create_line("cn-hangzhou", &hub, A, "cn-hangzhou", &v2, ""),
        )
    }),
    ("QuotaExceeded.CrossRegionVpcPeerCountPerVpc", || {
        let mut s = sim(json!({"quotas": {"inter_region_peers_per_vpc": 1}}));
        same_account_inter(&mut s);
        let (va, vb) = (s.vpc(A, "a_hz"), s.vpc(B, "b_bj"));
        (
            s,
            "root@A",
            create_line("cn-hangzhou", &va, B, "cn-beijing", &vb, ""),
        )
    }),
    ("QuotaExceeded.VpcPeerCountPerUserPerRegion", || {
        let mut s = sim(json!({"quotas": {"peers_per_account_region": 1}}));
        pending(&mut s);
        let (v2, vc) = (s.vpc(A, "a_hz2"), s.vpc(C, "c_hz"));
        (
            s,
            "root@A",
            create_line("cn-hangzhou", &v2, C, "cn-hangzhou", &vc, ""),
        )
    }),
    ("QuotaExceeded.VpcPeerCountPerVpc", || {
        let mut s = sim(json!({"quotas": {"legacy_peers_per_vpc": 1}}));
        pending(&mut s);
        let (va, vc) = (s.vpc(A, "a_hz"), s.vpc(C, "c_hz"));
        (
            s,
            "root@A",
            create_line("cn-hangzhou", &va, C, "cn-hangzhou", &vc, ""),
        )
    }),
    ("DryRunOperation", || {
        let s = sim(json!({}));
        let (va, vb) = (s.vpc(A, "a_hz"), s.vpc(B, "b_hz"));
        (
            s,
            "root@A",
            create_line("cn-hangzhou", &va, B, "cn-hangzhou", &vb, "--DryRun"),
        )
    }),
    ("Forbidden.NoPermission", || {
        // RAM step 6: a user allowed vpc:* but not the dependent cdt action (S1-B-RAM-CDT)
        let s = sim(json!({}));
        let (va, vb) = (s.vpc(A, "a_hz"), s.vpc(B, "b_hz"));
        (
            s,
            "vpconly",
            create_line("cn-hangzhou", &va, B, "cn-hangzhou", &vb, ""),
        )
    }),
    // ---- Accept (§3.3.2) ----
    ("ResourceNotFound.InstanceId", || {
        let mut s = sim(json!({}));
        let id = pending(&mut s);
        (s, "root@C", accept(&id)) // not a party
    }),
    ("OperationDenied.NotAccepter", || {
        let mut s = sim(json!({}));
        let id = pending(&mut s);
        (s, "root@A", accept(&id))
    }),
    ("IncorrectStatus.VpcPeer", || {
        let mut s = sim(json!({}));
        let id = pending(&mut s);
        s.ok("root@B", &accept(&id));
        (s, "root@B", accept(&id))
    }),
    ("OperationFailed.CdtNotOpened", || {
        let mut s = sim(json!({}));
        let id = pending(&mut s);
        s.gw.state
            .world
            .update_account(B, |a| a.cdt_enabled = false);
        (s, "root@B", accept(&id))
    }),
    ("OperationFailed.CrossBorderCdtNotOpened", || {
        let mut s = sim(json!({}));
        s.gw.state
            .world
            .update_account(A, |a| a.cross_border_cdt_enabled = true);
        s.gw.state
            .world
            .update_account(B, |a| a.cross_border_cdt_enabled = true);
        let (va, vb) = (s.vpc(A, "a_hz"), s.vpc(B, "b_hk"));
        let id = instance_id(&s.ok(
            "root@A",
            &create_line("cn-hangzhou", &va, B, "cn-hongkong", &vb, ""),
        ));
        s.gw.state
            .world
            .update_account(B, |a| a.cross_border_cdt_enabled = false);
        (s, "root@B", accept(&id))
    }),
    ("IncorrectBusinessStatus.VpcPeer", || {
        let mut s = sim(json!({}));
        let id = pending(&mut s);
        s.gw.state.world.update_account(B, |a| a.overdue = true);
        (s, "root@B", accept(&id))
    }),
    ("OperationFailed.NotExist.ResourceGroup", || {
        let mut s = sim(json!({}));
        let id = pending(&mut s);
        (
            s,
            "root@B",
            format!("{} --ResourceGroupId rg-acfmaaaaaa", accept(&id)),
        ) // A's group, not B's
    }),
    ("DryRunOperation", || {
        let mut s = sim(json!({}));
        let id = pending(&mut s);
        (s, "root@B", format!("{} --DryRun true", accept(&id)))
    }),
    ("Forbidden.NoPermission", || {
        // S1-B-ACC-RD: B's user with the RD-id guardrail bound to another directory
        let mut s = sim(json!({}));
        let id = pending(&mut s);
        (s, "netadmin", accept(&id))
    }),
    // ---- Reject (§3.3.3) ----
    ("OperationDenied.NotAccepter", || {
        let mut s = sim(json!({}));
        let id = pending(&mut s);
        (
            s,
            "root@A",
            format!("aliyun vpcpeer RejectVpcPeerConnection --InstanceId {id}"),
        )
    }),
    ("IncorrectStatus.VpcPeer", || {
        let mut s = sim(json!({}));
        let id = pending(&mut s);
        s.ok(
            "root@B",
            &format!("aliyun vpcpeer RejectVpcPeerConnection --InstanceId {id}"),
        );
        (
            s,
            "root@B",
            format!("aliyun vpcpeer RejectVpcPeerConnection --InstanceId {id}"),
        )
    }),
    // ---- Modify (§3.3.4) ----
    ("ResourceNotFound.InstanceId", || {
        (
            sim(json!({})),
            "root@A",
            "aliyun vpcpeer ModifyVpcPeerConnection --InstanceId pcc-doesnotexist1".to_string(),
        )
    }),
    ("OperationDenied.VpcNotOwner", || {
        let mut s = sim(json!({}));
        let (vs, vb) = (s.vpc(A, "a_shared"), s.vpc(A, "a_bj"));
        let id = instance_id(&s.ok(
            "root@A",
            &create_line("cn-hangzhou", &vs, A, "cn-beijing", &vb, ""),
        ));
        (
            s,
            "root@B",
            format!("aliyun vpcpeer ModifyVpcPeerConnection --InstanceId {id} --Bandwidth 10"),
        ) // resource user
    }),
    ("IncorrectStatus.VpcPeer", || {
        let mut s = sim(json!({}));
        let id = pending(&mut s);
        (
            s,
            "root@A",
            format!("aliyun vpcpeer ModifyVpcPeerConnection --InstanceId {id} --Name x1"),
        )
    }),
    ("IncorrectBusinessStatus.VpcPeer", || {
        let mut s = sim(json!({}));
        let id = same_account_inter(&mut s);
        s.gw.state.world.update_account(A, |a| a.overdue = true); // T8
        (
            s,
            "root@A",
            format!("aliyun vpcpeer ModifyVpcPeerConnection --InstanceId {id} --Bandwidth 10"),
        )
    }),
    (
        "OperationFailed.BandwidthCannotBeChangedInSameRegion",
        || {
            let mut s = sim(json!({}));
            let (va, v2) = (s.vpc(A, "a_hz"), s.vpc(A, "a_hz2"));
            let id = instance_id(&s.ok(
                "root@A",
                &create_line("cn-hangzhou", &va, A, "cn-hangzhou", &v2, ""),
            ));
            (
                s,
                "root@A",
                format!("aliyun vpcpeer ModifyVpcPeerConnection --InstanceId {id} --Bandwidth 10"),
            )
        },
    ),
    ("QuotaExceeded.Bandwidth", || {
        let mut s = sim(json!({}));
        let id = same_account_inter(&mut s);
        (
            s,
            "root@A",
            format!("aliyun vpcpeer ModifyVpcPeerConnection --InstanceId {id} --Bandwidth 2048"),
        )
    }),
    // ---- Delete (§3.3.5) ----
    ("ResourceNotFound.InstanceId", || {
        let mut s = sim(json!({}));
        let id = pending(&mut s);
        (
            s,
            "root@C",
            format!("aliyun vpcpeer DeleteVpcPeerConnection --InstanceId {id}"),
        )
    }),
    ("OperationDenied.VpcNotOwner", || {
        let mut s = sim(json!({}));
        let (vs, vb) = (s.vpc(A, "a_shared"), s.vpc(A, "a_bj"));
        let id = instance_id(&s.ok(
            "root@A",
            &create_line("cn-hangzhou", &vs, A, "cn-beijing", &vb, ""),
        ));
        (
            s,
            "root@B",
            format!("aliyun vpcpeer DeleteVpcPeerConnection --InstanceId {id}"),
        )
    }),
    ("IncorrectStatus.VpcPeer", || {
        let mut s = sim(json!({"settle": "Stepped"}));
        let id = pending(&mut s); // still Creating
        (
            s,
            "root@A",
            format!("aliyun vpcpeer DeleteVpcPeerConnection --InstanceId {id}"),
        )
    }),
    ("OperationDenied.RouteEntryExist", || {
        let mut s = sim(json!({}));
        let id = same_account_inter(&mut s);
        let rt = s.rt(&s.vpc(A, "a_hz"));
        s.ok(
            "root@A",
            &route_line("cn-hangzhou", &rt, "10.2.0.0/16", &id),
        );
        (
            s,
            "root@A",
            format!("aliyun vpcpeer DeleteVpcPeerConnection --InstanceId {id}"),
        )
    }),
    // ---- Get (§3.3.6) ----
    ("ResourceNotFound.InstanceId", || {
        let mut s = sim(json!({}));
        let id = pending(&mut s);
        (
            s,
            "root@C",
            format!("aliyun vpcpeer GetVpcPeerConnectionAttribute --InstanceId {id}"),
        )
    }),
];

/// Every code named in §3.3 (minus the three the spec marks "not modelled").
const SPEC_CODES: &[&str] = &[
    "UnsupportedRegion",
    "ResourceNotFound.VpcId",
    "OperationDenied.VpcNotOwner",
    "IllegalParam.AcceptingAliUid",
    "IllegalParam.AcceptingVpcId",
    "Forbidden.NoPermission",
    "OperationFailed.ViolativeVpcPeer",
    "IncorrectStatus.Vpc",
    "IncorrectStatus.AcceptingVpc",
    "IllegalParam.Bandwidth",
    "IllegalParam.LinkType",
    "QuotaExceeded.Bandwidth",
    "OperationFailed.CdtNotOpened",
    "OperationFailed.AcceptUserCdtNotOpened",
    "OperationFailed.CrossBorderCdtNotOpened",
    "OperationFailed.AcceptUserCrossBorderCdtNotOpened",
    "IncorrectBusinessStatus.VpcPeer",
    "IncorrectBusinessStatus.AcceptUserVpcPeer",
    "ResourceAlreadyExist.VpcPeer",
    "Conflict.Operation",
    "QuotaExceeded.IntraRegionVpcPeerCountPerVpc",
    "QuotaExceeded.CrossRegionVpcPeerCountPerVpc",
    "QuotaExceeded.VpcPeerCountPerUserPerRegion",
    "QuotaExceeded.VpcPeerCountPerVpc",
    "DryRunOperation",
    "ResourceNotFound.InstanceId",
    "OperationDenied.NotAccepter",
    "IncorrectStatus.VpcPeer",
    "OperationFailed.NotExist.ResourceGroup",
    "OperationFailed.BandwidthCannotBeChangedInSameRegion",
    "OperationDenied.RouteEntryExist",
];

#[test]
fn every_section_3_3_error_code_through_the_gateway() {
    for (i, (want, setup)) in CASES.iter().enumerate() {
        let (mut s, who, line) = setup();
        let before = s.snapshot();
        let r = s.cli(who, &line);
        assert_eq!(
            r.error_code(),
            Some(*want),
            "case #{i} `{line}` by {who}: {}",
            r.body
        );
        assert_eq!(
            r.http_status, 400,
            "case #{i} ({want}): every VpcPeer error is HTTP 400"
        );
        for k in ["RequestId", "HostId", "Code", "Message", "Recommend"] {
            assert!(
                r.body.get(k).is_some(),
                "case #{i}: error body lacks {k}: {}",
                r.body
            );
        }
        assert_eq!(r.body["HostId"], "vpcpeer.aliyuncs.com", "case #{i}");
        assert_eq!(
            before,
            s.snapshot(),
            "case #{i} ({want}): a failed call must leave world and iam untouched"
        );
        let ev = s.event(&r.request_id);
        assert_eq!(
            (ev.error_code.as_str(), ev.response_elements.is_none()),
            (*want, true),
            "case #{i}"
        );
        assert_eq!(
            ev.access_denied_detail.is_some(),
            *want == "Forbidden.NoPermission",
            "case #{i}"
        );
        if line.contains("CreateVpcPeerConnection") {
            assert_eq!(
                ev.resource_name, "",
                "case #{i}: a failed create names no resource"
            );
        }
    }
    let covered: BTreeSet<&str> = CASES.iter().map(|(c, _)| *c).collect();
    let spec: BTreeSet<&str> = SPEC_CODES.iter().copied().collect();
    assert_eq!(covered, spec);
}

// ---- §11.1 RAM variants ------------------------------------------------------------------

/// Checks a `Forbidden.NoPermission` answer, its `AccessDeniedDetail` and its audit event.
#[track_caller]
fn assert_denied(
    s: &Sim,
    r: &ramsim::api::CallResult,
    action: &str,
    deny: &str,
    policy_type: &str,
    owner: &str,
) {
    assert_eq!(
        (r.http_status, r.error_code()),
        (400, Some("Forbidden.NoPermission")),
        "{}",
        r.body
    );
    assert_eq!(
        r.body["Message"],
        "Authentication is failed for NoPermission."
    );
    let d = &r.body["AccessDeniedDetail"];
    assert_eq!(d["AuthAction"], action, "{d}");
    assert_eq!(d["NoPermissionType"], deny, "{d}");
    assert_eq!(d["PolicyType"], policy_type, "{d}");
    assert_eq!(d["AuthPrincipalType"], "SubUser", "{d}");
    assert_eq!(d["AuthPrincipalOwnerId"], owner, "{d}");
    assert!(
        !d["AuthPrincipalDisplayName"]
            .as_str()
            .unwrap_or_default()
            .is_empty(),
        "{d}"
    );
    assert!(
        !d["EncodedDiagnosticMessage"]
            .as_str()
            .unwrap_or_default()
            .is_empty(),
        "{d}"
    );
    assert_eq!(r.decision.map(|x| x.is_allowed()), Some(false));
    let ev = s.event(&r.request_id);
    assert_eq!(ev.request_id, r.body["RequestId"].as_str().unwrap());
    assert_eq!(ev.error_code, "Forbidden.NoPermission");
    assert_eq!(
        ev.error_message,
        "Authentication is failed for NoPermission."
    );
    assert_eq!(ev.access_denied_detail.as_ref(), Some(d));
    assert_eq!(ev.user_identity.kind, "ram-user");
    assert!(ev.response_elements.is_none());
}

#[test]
fn s1_b_ram_rd_guardrail_by_directory_id() {
    let mut s = sim(json!({}));
    let (va, vb, vc) = (s.vpc(A, "a_hz"), s.vpc(B, "b_hz"), s.vpc(C, "c_hz"));
    // to B (same RD): allowed
    let r = s.cli(
        "netops",
        &create_line("cn-hangzhou", &va, B, "cn-hangzhou", &vb, ""),
    );
    assert!(r.is_success(), "{}", r.body);
    assert_eq!(r.decision.map(|d| d.is_allowed()), Some(true));
    // to C (no RD: the keys are absent, the negated operator matches): explicit deny
    let before = s.snapshot();
    let r = s.cli(
        "netops",
        &create_line("cn-hangzhou", &va, C, "cn-hangzhou", &vc, ""),
    );
    assert_denied(
        &s,
        &r,
        "vpc:CreateVpcPeerConnection",
        "ExplicitDeny",
        "AccountLevelIdentityBasedPolicy",
        A,
    );
    assert_eq!(before, s.snapshot());
    let ev = s.event(&r.request_id);
    assert_eq!(ev.user_identity.user_name, "netops");
    assert!(ev.user_identity.access_key_id.starts_with("LTAI"));
    assert_eq!(ev.resource_name, "");
    // the same call by the account's root is not subject to identity policies
    assert!(s
        .cli(
            "root@A",
            &create_line("cn-hangzhou", &va, C, "cn-hangzhou", &vc, "")
        )
        .is_success());
}

#[test]
fn s1_b_ram_path_guardrail_by_folder() {
    let mut s = sim(json!({}));
    let (va, vb, ve) = (s.vpc(A, "a_hz"), s.vpc(B, "b_hz"), s.vpc(E, "e_hz"));
    assert!(s
        .cli(
            "pathops",
            &create_line("cn-hangzhou", &va, B, "cn-hangzhou", &vb, "")
        )
        .is_success());
    let r = s.cli(
        "pathops",
        &create_line("cn-hangzhou", &va, E, "cn-hangzhou", &ve, ""),
    );
    assert_denied(
        &s,
        &r,
        "vpc:CreateVpcPeerConnection",
        "ExplicitDeny",
        "AccountLevelIdentityBasedPolicy",
        A,
    );
}

#[test]
fn s1_b_ram_cdt_dependent_action() {
    let mut s = sim(json!({}));
    let (va, vb) = (s.vpc(A, "a_hz"), s.vpc(B, "b_hz"));
    let r = s.cli(
        "vpconly",
        &create_line("cn-hangzhou", &va, B, "cn-hangzhou", &vb, ""),
    );
    // ram-policy.md §10 Q13: identity-stage implicit denies report the last stage evaluated
    assert_denied(
        &s,
        &r,
        "cdt:GetCdtServiceStatus",
        "ImplicitDeny",
        "ResourceGroupLevelIdentityBasedPolicy",
        A,
    );
    // the same user may still read (no dependent action there)
    assert!(s
        .cli(
            "vpconly",
            "aliyun vpcpeer ListVpcPeerConnections --RegionId cn-hangzhou"
        )
        .is_success());
}

#[test]
fn s1_b_acc_rd_guardrail_on_accept() {
    let mut s = sim(json!({}));
    let id = pending(&mut s);
    let before = s.snapshot();
    let r = s.cli("netadmin", &accept(&id));
    assert_denied(
        &s,
        &r,
        "vpc:AcceptVpcPeerConnection",
        "ExplicitDeny",
        "AccountLevelIdentityBasedPolicy",
        B,
    );
    assert_eq!(before, s.snapshot());
    assert_eq!(s.status("root@B", &id), "Accepting");
    // a user of B without the guardrail accepts
    let r = s.cli("b-admin", &accept(&id));
    assert!(r.is_success(), "{}", r.body);
    assert_eq!(s.status("root@B", &id), "Activated");
}

// ---- malformed requests: Alibaba-style errors, never a panic ------------------------------

#[test]
fn malformed_requests_get_alibaba_errors() {
    let mut s = sim(json!({}));
    let va = s.vpc(A, "a_hz");
    let vb = s.vpc(B, "b_hz");
    let before = s.snapshot();
    let check = |s: &mut Sim, who: &str, req: ApiRequest, status: u16, code: &str| {
        let r = s.call_env(&envelope(who), &req);
        assert_eq!(
            (r.http_status, r.error_code()),
            (status, Some(code)),
            "{}",
            r.body
        );
        assert!(r.body["Message"].as_str().is_some_and(|m| !m.is_empty()));
        assert!(r.body["RequestId"].as_str().is_some_and(|m| m.len() == 36));
    };
    let req = |action: &str, params: Value| ApiRequest {
        product: None,
        action: action.into(),
        params: obj(params),
    };
    // unknown action (JSON and CLI)
    check(
        &mut s,
        "root@A",
        req("CreateVpcPeeringConnection", json!({})),
        404,
        "InvalidAction.NotFound",
    );
    let r = s.cli(
        "root@A",
        "aliyun vpcpeer FlyToTheMoon --RegionId cn-hangzhou",
    );
    assert_eq!(
        (r.http_status, r.error_code()),
        (404, Some("InvalidAction.NotFound"))
    );
    // an API of another product named under the wrong one
    let r = s.cli("root@A", "aliyun ram CreateVpc --RegionId cn-hangzhou");
    assert_eq!(r.error_code(), Some("InvalidAction.NotFound"));
    // unknown caller: user, root of an unknown account, AccessKeyId
    for who in [
        "mallory",
        "root@7777777777777777",
        "LTAI00000000000000000000",
        "STS.nosuchsession",
        "",
    ] {
        let r = s.cli(
            who,
            "aliyun vpcpeer ListVpcPeerConnections --RegionId cn-hangzhou",
        );
        assert_eq!(
            (r.http_status, r.error_code()),
            (404, Some("InvalidAccessKeyId.NotFound")),
            "{who:?}: {}",
            r.body
        );
        let ev = s.event(&r.request_id);
        assert_eq!(ev.user_identity.kind, "unknown");
    }
    // missing required parameter
    let r = s.cli("root@A", &format!("aliyun vpcpeer CreateVpcPeerConnection --RegionId cn-hangzhou --VpcId {va} --AcceptingRegionId cn-hangzhou --AcceptingVpcId {vb}"));
    assert_eq!(
        (r.http_status, r.error_code()),
        (400, Some("MissingParameter.AcceptingAliUid")),
        "{}",
        r.body
    );
    check(
        &mut s,
        "root@A",
        req("AcceptVpcPeerConnection", json!({})),
        400,
        "MissingParameter.InstanceId",
    );
    check(
        &mut s,
        "root@A",
        req(
            "AttachPolicyToUser",
            json!({"PolicyType": "System", "UserName": "netops"}),
        ),
        400,
        "MissingParameter.PolicyName",
    );
    // wrong types
    let r = s.cli(
        "root@A",
        &create_line(
            "cn-hangzhou",
            &va,
            B,
            "cn-hangzhou",
            &vb,
            "--Bandwidth lots",
        ),
    );
    assert_eq!(
        (r.http_status, r.error_code()),
        (400, Some("InvalidParameter.Bandwidth")),
        "{}",
        r.body
    );
    let r = s.cli(
        "root@A",
        &create_line("cn-hangzhou", &va, "not-a-number", "cn-hangzhou", &vb, ""),
    );
    assert_eq!(
        (r.http_status, r.error_code()),
        (400, Some("InvalidParameter.AcceptingAliUid")),
        "{}",
        r.body
    );
    check(
        &mut s,
        "root@A",
        req(
            "DeleteVpcPeerConnection",
            json!({"InstanceId": "pcc-x", "Force": "maybe"}),
        ),
        400,
        "InvalidParameter.Force",
    );
    check(
        &mut s,
        "root@A",
        req(
            "GetVpcPeerConnectionAttribute",
            json!({"InstanceId": {"nested": true}}),
        ),
        400,
        "InvalidParameter.InstanceId",
    );
    check(
        &mut s,
        "root@A",
        req("CreateVpc", json!({"RegionId": ["cn-hangzhou"]})),
        400,
        "InvalidParameter.RegionId",
    );
    check(
        &mut s,
        "root@A",
        req(
            "AssumeRole",
            json!({"RoleArn": "acs:ram::1:role/x", "RoleSessionName": "s", "DurationSeconds": 1.5}),
        ),
        400,
        "InvalidParameter.DurationSeconds",
    );
    // a bad envelope time is the call's error too
    let env = Envelope {
        time: Some("yesterday".into()),
        ..envelope("root@A")
    };
    let r = s.call_env(
        &env,
        &req("ListVpcPeerConnections", json!({"RegionId": "cn-hangzhou"})),
    );
    assert_eq!(
        (r.http_status, r.error_code()),
        (400, Some("InvalidParameter.Time"))
    );
    assert_eq!(before, s.snapshot(), "malformed requests change nothing");
}
