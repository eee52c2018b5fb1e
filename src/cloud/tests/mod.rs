//! Scenario and table-driven tests (§11.1 S1, §3.3 error codes, invariants).

mod errors;
mod invariant;
mod misc;
mod s1;

use crate::cloud::{CallContext, CloudError, World, WorldSpec};
use serde_json::{json, Value};

pub const A: &str = "1234567890123456";
pub const B: &str = "2234567890123456";
pub const C: &str = "3234567890123456";
pub const D: &str = "4234567890123456";
pub const E: &str = "5234567890123456";
pub const M: &str = "9234567890123456";

/// The §11.0 shared fixture, plus optional extra top-level spec fields.
pub fn fixture_json(extra: Value) -> Value {
    let mut base = json!({
        "accounts": [
            {"uid": A, "alias": "A", "cdt_enabled": true, "cross_border_cdt_enabled": false, "resource_groups": ["rg-acfmaaaaaa"]},
            {"uid": B, "alias": "B", "cdt_enabled": true, "resource_groups": ["rg-acfmbbbbbb"]},
            {"uid": C, "alias": "C", "cdt_enabled": true},
            {"uid": D, "alias": "D", "cdt_enabled": true, "site": "International"},
            {"uid": E, "alias": "E", "cdt_enabled": true},
            {"uid": M, "alias": "M"}
        ],
        "resource_directory": {
            "id": "rd-abc123",
            "root_folder_id": "r-root01",
            "management_account": M,
            "folders": [
                {"id": "fd-prod01", "name": "prod", "parent": "r-root01"},
                {"id": "fd-dev01", "name": "dev", "parent": "r-root01"}
            ],
            "members": [
                {"uid": M, "folder": "r-root01"},
                {"uid": A, "folder": "fd-prod01"},
                {"uid": B, "folder": "fd-prod01"},
                {"uid": E, "folder": "fd-dev01"}
            ]
        }
    });
    if let (Some(b), Some(e)) = (base.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    base
}

pub fn world_with(extra: Value) -> World {
    let spec = WorldSpec::from_json(&fixture_json(extra).to_string()).unwrap();
    spec.build().unwrap()
}

pub fn world() -> World {
    world_with(json!({}))
}

pub fn ctx(w: &World, uid: &str) -> CallContext {
    CallContext {
        caller_account: uid.to_string(),
        time: w.now(),
        request_id: "00000000-0000-0000-0000-000000000000".into(),
    }
}

pub fn call(w: &mut World, uid: &str, action: &str, params: Value) -> Result<Value, CloudError> {
    let c = ctx(w, uid);
    let map = params.as_object().cloned().unwrap_or_default();
    w.call(&c, action, &map)
}

#[track_caller]
pub fn ok(w: &mut World, uid: &str, action: &str, params: Value) -> Value {
    match call(w, uid, action, params) {
        Ok(v) => v,
        Err(e) => panic!("{action} failed: {e}"),
    }
}

#[track_caller]
pub fn code(w: &mut World, uid: &str, action: &str, params: Value) -> String {
    match call(w, uid, action, params) {
        Ok(v) => panic!("{action} unexpectedly succeeded: {v}"),
        Err(e) => e.code,
    }
}

/// CreateVpc → (VpcId, RouteTableId).
pub fn mk_vpc(w: &mut World, uid: &str, region: &str, cidr: &str) -> (String, String) {
    let r = ok(
        w,
        uid,
        "CreateVpc",
        json!({"RegionId": region, "CidrBlock": cidr}),
    );
    (
        r["VpcId"].as_str().unwrap().to_string(),
        r["RouteTableId"].as_str().unwrap().to_string(),
    )
}

/// CreateVSwitch → VSwitchId.
pub fn mk_vsw(w: &mut World, uid: &str, region: &str, vpc: &str, zone: &str, cidr: &str) -> String {
    let r = ok(
        w,
        uid,
        "CreateVSwitch",
        json!({"RegionId": region, "VpcId": vpc, "ZoneId": zone, "CidrBlock": cidr}),
    );
    r["VSwitchId"].as_str().unwrap().to_string()
}

/// CreateVpcPeerConnection with extra parameters.
#[allow(clippy::too_many_arguments)]
pub fn peer(
    w: &mut World,
    uid: &str,
    region: &str,
    vpc: &str,
    acc_uid: &str,
    acc_region: &str,
    acc_vpc: &str,
    extra: Value,
) -> Result<Value, CloudError> {
    let mut p = json!({"RegionId": region, "VpcId": vpc, "AcceptingAliUid": acc_uid, "AcceptingRegionId": acc_region, "AcceptingVpcId": acc_vpc});
    if let (Some(m), Some(e)) = (p.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            m.insert(k.clone(), v.clone());
        }
    }
    call(w, uid, "CreateVpcPeerConnection", p)
}

#[track_caller]
pub fn peer_ok(
    w: &mut World,
    uid: &str,
    region: &str,
    vpc: &str,
    acc_uid: &str,
    acc_region: &str,
    acc_vpc: &str,
) -> String {
    match peer(w, uid, region, vpc, acc_uid, acc_region, acc_vpc, json!({})) {
        Ok(v) => v["InstanceId"].as_str().unwrap().to_string(),
        Err(e) => panic!("peer failed: {e}"),
    }
}

pub fn route(
    w: &mut World,
    uid: &str,
    region: &str,
    table: &str,
    dest: &str,
    pcc: &str,
) -> Result<Value, CloudError> {
    call(
        w,
        uid,
        "CreateRouteEntry",
        json!({"RegionId": region, "RouteTableId": table, "DestinationCidrBlock": dest, "NextHopType": "VpcPeer", "NextHopId": pcc}),
    )
}

pub fn get(w: &mut World, uid: &str, id: &str) -> Result<Value, CloudError> {
    call(
        w,
        uid,
        "GetVpcPeerConnectionAttribute",
        json!({"InstanceId": id}),
    )
}
