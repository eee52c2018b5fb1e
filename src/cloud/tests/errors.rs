//! Every error code of §3.3, each triggered by a minimal scenario (table-driven).

use super::*;
use crate::cloud::options::SettleMode;
use std::collections::BTreeSet;

/// Fixture with named VPCs for the error scenarios.
pub fn err_world(options: Value) -> World {
    world_with(json!({
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
            {"owner": D, "region_id": "cn-hangzhou", "cidr_block": "10.9.0.0/16", "name": "d_hz"}
        ]
    }))
}

pub fn v(w: &World, owner: &str, name: &str) -> String {
    w.vpc_by_name(owner, name).unwrap().vpc_id.clone()
}

type Case = (&'static str, fn() -> CloudError);

#[allow(clippy::too_many_arguments)]
fn create(
    w: &mut World,
    caller: &str,
    region: &str,
    vpc: &str,
    acc: &str,
    acc_region: &str,
    acc_vpc: &str,
    extra: Value,
) -> CloudError {
    peer(w, caller, region, vpc, acc, acc_region, acc_vpc, extra).unwrap_err()
}

/// A→B cross-account request a_hz → b_hz (Accepting).
fn pending(w: &mut World) -> String {
    let (va, vb) = (v(w, A, "a_hz"), v(w, B, "b_hz"));
    peer_ok(w, A, "cn-hangzhou", &va, B, "cn-hangzhou", &vb)
}

fn e(w: &mut World, uid: &str, action: &str, p: Value) -> CloudError {
    call(w, uid, action, p).unwrap_err()
}

const CASES: &[Case] = &[
    ("UnsupportedRegion", || {
        let mut w = err_world(json!({}));
        let va = v(&w, A, "a_hz");
        create(
            &mut w,
            A,
            "cn-hangzhou",
            &va,
            A,
            "ap-southeast-2",
            "vpc-x",
            json!({}),
        )
    }),
    ("ResourceNotFound.VpcId", || {
        let mut w = err_world(json!({}));
        let vb = v(&w, B, "b_bj");
        // a VPC of another region is reported as not found (§0.4.2)
        let va = v(&w, A, "a_bj");
        create(
            &mut w,
            A,
            "cn-hangzhou",
            &va,
            B,
            "cn-beijing",
            &vb,
            json!({}),
        )
    }),
    ("OperationDenied.VpcNotOwner", || {
        let mut w = err_world(json!({}));
        let (vs, vb) = (v(&w, A, "a_shared"), v(&w, B, "b_bj"));
        create(
            &mut w,
            B,
            "cn-hangzhou",
            &vs,
            B,
            "cn-beijing",
            &vb,
            json!({}),
        ) // S1-B-SHARED
    }),
    ("IllegalParam.AcceptingAliUid", || {
        let mut w = err_world(json!({}));
        let va = v(&w, A, "a_hz");
        create(
            &mut w,
            A,
            "cn-hangzhou",
            &va,
            "1111111111111111",
            "cn-hangzhou",
            "vpc-x",
            json!({}),
        )
    }),
    ("IllegalParam.AcceptingVpcId", || {
        let mut w = err_world(json!({}));
        let (va, vb) = (v(&w, A, "a_hz"), v(&w, B, "b_bj"));
        // right VPC, wrong account
        create(
            &mut w,
            A,
            "cn-hangzhou",
            &va,
            C,
            "cn-beijing",
            &vb,
            json!({}),
        )
    }),
    ("OperationFailed.ViolativeVpcPeer", || {
        let mut w = err_world(json!({}));
        let (va, vd) = (v(&w, A, "a_hz"), v(&w, D, "d_hz"));
        create(
            &mut w,
            A,
            "cn-hangzhou",
            &va,
            D,
            "cn-hangzhou",
            &vd,
            json!({}),
        ) // S1-B-SITE
    }),
    ("OperationFailed.ViolativeVpcPeer", || {
        let mut w = err_world(json!({}));
        let (va, vf) = (v(&w, A, "a_hz"), v(&w, A, "a_fin"));
        create(
            &mut w,
            A,
            "cn-hangzhou",
            &va,
            A,
            "cn-shanghai-finance-1",
            &vf,
            json!({}),
        ) // S1-B-RTYPE
    }),
    ("IncorrectStatus.Vpc", || {
        let mut w = err_world(json!({"settle": "Stepped"}));
        let (vpc, _) = mk_vpc(&mut w, A, "cn-hangzhou", "10.50.0.0/16");
        let vb = v(&w, B, "b_hz");
        create(
            &mut w,
            A,
            "cn-hangzhou",
            &vpc,
            B,
            "cn-hangzhou",
            &vb,
            json!({}),
        )
    }),
    ("IncorrectStatus.AcceptingVpc", || {
        let mut w = err_world(json!({"settle": "Stepped"}));
        let (vpc, _) = mk_vpc(&mut w, B, "cn-hangzhou", "10.50.0.0/16");
        let va = v(&w, A, "a_hz");
        create(
            &mut w,
            A,
            "cn-hangzhou",
            &va,
            B,
            "cn-hangzhou",
            &vpc,
            json!({}),
        )
    }),
    ("IllegalParam.Bandwidth", || {
        let mut w = err_world(json!({}));
        let (va, vb) = (v(&w, A, "a_hz"), v(&w, B, "b_hz"));
        create(
            &mut w,
            A,
            "cn-hangzhou",
            &va,
            B,
            "cn-hangzhou",
            &vb,
            json!({"Bandwidth": 100}),
        )
    }),
    ("IllegalParam.LinkType", || {
        let mut w = err_world(json!({}));
        let (va, vb) = (v(&w, A, "a_hz"), v(&w, A, "a_bj"));
        create(
            &mut w,
            A,
            "cn-hangzhou",
            &va,
            A,
            "cn-beijing",
            &vb,
            json!({"LinkType": "Silver"}),
        )
    }),
    ("QuotaExceeded.Bandwidth", || {
        let mut w = err_world(json!({}));
        let (va, vb) = (v(&w, A, "a_hz"), v(&w, A, "a_bj"));
        create(
            &mut w,
            A,
            "cn-hangzhou",
            &va,
            A,
            "cn-beijing",
            &vb,
            json!({"Bandwidth": 1025}),
        )
    }),
    ("OperationFailed.CdtNotOpened", || {
        let mut w = err_world(json!({"auto_open_cdt": false}));
        w.update_account(A, |a| a.cdt_enabled = false);
        let (va, vb) = (v(&w, A, "a_hz"), v(&w, B, "b_hz"));
        create(
            &mut w,
            A,
            "cn-hangzhou",
            &va,
            B,
            "cn-hangzhou",
            &vb,
            json!({}),
        )
    }),
    ("OperationFailed.AcceptUserCdtNotOpened", || {
        let mut w = err_world(json!({}));
        w.update_account(B, |a| a.cdt_enabled = false); // S1-B-CDT
        let (va, vb) = (v(&w, A, "a_hz"), v(&w, B, "b_hz"));
        create(
            &mut w,
            A,
            "cn-hangzhou",
            &va,
            B,
            "cn-hangzhou",
            &vb,
            json!({}),
        )
    }),
    ("OperationFailed.CrossBorderCdtNotOpened", || {
        let mut w = err_world(json!({}));
        let (va, vb) = (v(&w, A, "a_hz"), v(&w, B, "b_hk"));
        create(
            &mut w,
            A,
            "cn-hangzhou",
            &va,
            B,
            "cn-hongkong",
            &vb,
            json!({}),
        ) // S1-B-XB
    }),
    ("OperationFailed.AcceptUserCrossBorderCdtNotOpened", || {
        let mut w = err_world(json!({}));
        w.update_account(A, |a| a.cross_border_cdt_enabled = true);
        let (va, vb) = (v(&w, A, "a_hz"), v(&w, B, "b_hk"));
        create(
            &mut w,
            A,
            "cn-hangzhou",
            &va,
            B,
            "cn-hongkong",
            &vb,
            json!({}),
        )
    }),
    ("IncorrectBusinessStatus.VpcPeer", || {
        let mut w = err_world(json!({}));
        w.update_account(A, |a| a.overdue = true);
        let (va, vb) = (v(&w, A, "a_hz"), v(&w, B, "b_hz"));
        create(
            &mut w,
            A,
            "cn-hangzhou",
            &va,
            B,
            "cn-hangzhou",
            &vb,
            json!({}),
        )
    }),
    ("IncorrectBusinessStatus.AcceptUserVpcPeer", || {
        let mut w = err_world(json!({}));
        w.update_account(B, |a| a.overdue = true);
        let (va, vb) = (v(&w, A, "a_hz"), v(&w, B, "b_hz"));
        create(
            &mut w,
            A,
            "cn-hangzhou",
            &va,
            B,
            "cn-hangzhou",
            &vb,
            json!({}),
        )
    }),
    ("OperationFailed.NotExist.ResourceGroup", || {
        let mut w = err_world(json!({}));
        let (va, vb) = (v(&w, A, "a_hz"), v(&w, B, "b_hz"));
        create(
            &mut w,
            A,
            "cn-hangzhou",
            &va,
            B,
            "cn-hangzhou",
            &vb,
            json!({"ResourceGroupId": "rg-missing000"}),
        )
    }),
    ("ResourceAlreadyExist.VpcPeer", || {
        let mut w = err_world(json!({}));
        pending(&mut w);
        let (va, vb) = (v(&w, A, "a_hz"), v(&w, B, "b_hz"));
        // reverse direction counts too (S1-B-DUP)
        create(
            &mut w,
            B,
            "cn-hangzhou",
            &vb,
            A,
            "cn-hangzhou",
            &va,
            json!({}),
        )
    }),
    ("Conflict.Operation", || {
        let mut w = err_world(json!({"settle": "Stepped"}));
        pending(&mut w); // a_hz is now Creating
        let (va, v2) = (v(&w, A, "a_hz"), v(&w, A, "a_hz2"));
        create(
            &mut w,
            A,
            "cn-hangzhou",
            &va,
            A,
            "cn-hangzhou",
            &v2,
            json!({}),
        )
    }),
    ("QuotaExceeded.IntraRegionVpcPeerCountPerVpc", || {
        // S1-B-QUOTA: 11th intra-region peering on one VPC
        let mut w = err_world(json!({}));
        let hub = v(&w, A, "a_hz");
        for i in 0..10 {
            let owner = if i < 5 { C } else { E };
            let (s, _) = mk_vpc(
                &mut w,
                owner,
                "cn-hangzhou",
                &format!("10.{}.0.0/16", 100 + i),
            );
            peer_ok(&mut w, A, "cn-hangzhou", &hub, owner, "cn-hangzhou", &s);
        }
        let v2 = v(&w, A, "a_hz2");
        create(
            &mut w,
            A,
            "cn-hangzhou",
            &hub,
            A,
            "cn-hangzhou",
            &v2,
            json!({}),
        )
    }),
    ("QuotaExceeded.CrossRegionVpcPeerCountPerVpc", || {
        let mut w = err_world(json!({"quotas": {"inter_region_peers_per_vpc": 1}}));
        let (va, vb, vb2) = (v(&w, A, "a_hz"), v(&w, A, "a_bj"), v(&w, B, "b_bj"));
        peer_ok(&mut w, A, "cn-hangzhou", &va, A, "cn-beijing", &vb);
        create(
            &mut w,
            A,
            "cn-hangzhou",
            &va,
            B,
            "cn-beijing",
            &vb2,
            json!({}),
        )
    }),
    ("QuotaExceeded.VpcPeerCountPerUserPerRegion", || {
        let mut w = err_world(json!({"quotas": {"peers_per_account_region": 1}}));
        pending(&mut w);
        let (v2, vc) = (v(&w, A, "a_hz2"), v(&w, C, "c_hz"));
        create(
            &mut w,
            A,
            "cn-hangzhou",
            &v2,
            C,
            "cn-hangzhou",
            &vc,
            json!({}),
        )
    }),
    ("QuotaExceeded.VpcPeerCountPerVpc", || {
        let mut w = err_world(json!({"quotas": {"legacy_peers_per_vpc": 1}}));
        pending(&mut w);
        let (va, vc) = (v(&w, A, "a_hz"), v(&w, C, "c_hz"));
        create(
            &mut w,
            A,
            "cn-hangzhou",
            &va,
            C,
            "cn-hangzhou",
            &vc,
            json!({}),
        )
    }),
    ("DryRunOperation", || {
        let mut w = err_world(json!({}));
        let (va, vb) = (v(&w, A, "a_hz"), v(&w, B, "b_hz"));
        create(
            &mut w,
            A,
            "cn-hangzhou",
            &va,
            B,
            "cn-hangzhou",
            &vb,
            json!({"DryRun": "true"}),
        )
    }),
    // ---- Accept (§3.3.2) ----
    ("ResourceNotFound.InstanceId", || {
        let mut w = err_world(json!({}));
        let id = pending(&mut w);
        e(
            &mut w,
            C,
            "AcceptVpcPeerConnection",
            json!({"InstanceId": id}),
        ) // not a party
    }),
    ("OperationDenied.NotAccepter", || {
        let mut w = err_world(json!({}));
        let id = pending(&mut w);
        e(
            &mut w,
            A,
            "AcceptVpcPeerConnection",
            json!({"InstanceId": id}),
        )
    }),
    ("IncorrectStatus.VpcPeer", || {
        let mut w = err_world(json!({}));
        let id = pending(&mut w);
        ok(
            &mut w,
            B,
            "AcceptVpcPeerConnection",
            json!({"InstanceId": id}),
        );
        e(
            &mut w,
            B,
            "AcceptVpcPeerConnection",
            json!({"InstanceId": id}),
        )
    }),
    ("OperationFailed.CdtNotOpened", || {
        let mut w = err_world(json!({}));
        let id = pending(&mut w);
        w.update_account(B, |a| a.cdt_enabled = false);
        e(
            &mut w,
            B,
            "AcceptVpcPeerConnection",
            json!({"InstanceId": id}),
        )
    }),
    ("OperationFailed.CrossBorderCdtNotOpened", || {
        let mut w = err_world(json!({}));
        w.update_account(A, |a| a.cross_border_cdt_enabled = true);
        w.update_account(B, |a| a.cross_border_cdt_enabled = true);
        let (va, vb) = (v(&w, A, "a_hz"), v(&w, B, "b_hk"));
        let id = peer_ok(&mut w, A, "cn-hangzhou", &va, B, "cn-hongkong", &vb);
        w.update_account(B, |a| a.cross_border_cdt_enabled = false);
        e(
            &mut w,
            B,
            "AcceptVpcPeerConnection",
            json!({"InstanceId": id}),
        )
    }),
    ("IncorrectBusinessStatus.VpcPeer", || {
        let mut w = err_world(json!({}));
        let id = pending(&mut w);
        w.update_account(B, |a| a.overdue = true);
        e(
            &mut w,
            B,
            "AcceptVpcPeerConnection",
            json!({"InstanceId": id}),
        )
    }),
    ("OperationFailed.NotExist.ResourceGroup", || {
        let mut w = err_world(json!({}));
        let id = pending(&mut w);
        e(
            &mut w,
            B,
            "AcceptVpcPeerConnection",
            json!({"InstanceId": id, "ResourceGroupId": "rg-acfmaaaaaa"}),
        )
    }),
    ("DryRunOperation", || {
        let mut w = err_world(json!({}));
        let id = pending(&mut w);
        e(
            &mut w,
            B,
            "AcceptVpcPeerConnection",
            json!({"InstanceId": id, "DryRun": true}),
        )
    }),
    // ---- Reject (§3.3.3) ----
    ("OperationDenied.NotAccepter", || {
        let mut w = err_world(json!({}));
        let id = pending(&mut w);
        e(
            &mut w,
            A,
            "RejectVpcPeerConnection",
            json!({"InstanceId": id}),
        )
    }),
    ("IncorrectStatus.VpcPeer", || {
        let mut w = err_world(json!({}));
        let id = pending(&mut w);
        ok(
            &mut w,
            B,
            "RejectVpcPeerConnection",
            json!({"InstanceId": id}),
        );
        e(
            &mut w,
            B,
            "RejectVpcPeerConnection",
            json!({"InstanceId": id}),
        )
    }),
    // ---- Modify (§3.3.4) ----
    ("ResourceNotFound.InstanceId", || {
        let mut w = err_world(json!({}));
        e(
            &mut w,
            A,
            "ModifyVpcPeerConnection",
            json!({"InstanceId": "pcc-doesnotexist1"}),
        )
    }),
    ("OperationDenied.VpcNotOwner", || {
        let mut w = err_world(json!({}));
        let (vs, vb) = (v(&w, A, "a_shared"), v(&w, A, "a_bj"));
        let id = peer_ok(&mut w, A, "cn-hangzhou", &vs, A, "cn-beijing", &vb);
        e(
            &mut w,
            B,
            "ModifyVpcPeerConnection",
            json!({"InstanceId": id, "Bandwidth": 10}),
        ) // resource user
    }),
    ("IncorrectStatus.VpcPeer", || {
        let mut w = err_world(json!({}));
        let id = pending(&mut w);
        e(
            &mut w,
            A,
            "ModifyVpcPeerConnection",
            json!({"InstanceId": id, "Name": "x1"}),
        )
    }),
    ("IncorrectBusinessStatus.VpcPeer", || {
        let mut w = err_world(json!({}));
        let (va, vb) = (v(&w, A, "a_hz"), v(&w, A, "a_bj"));
        let id = peer_ok(&mut w, A, "cn-hangzhou", &va, A, "cn-beijing", &vb);
        w.update_account(A, |a| a.overdue = true); // T8
        e(
            &mut w,
            A,
            "ModifyVpcPeerConnection",
            json!({"InstanceId": id, "Bandwidth": 10}),
        )
    }),
    (
        "OperationFailed.BandwidthCannotBeChangedInSameRegion",
        || {
            let mut w = err_world(json!({}));
            let (va, v2) = (v(&w, A, "a_hz"), v(&w, A, "a_hz2"));
            let id = peer_ok(&mut w, A, "cn-hangzhou", &va, A, "cn-hangzhou", &v2);
            e(
                &mut w,
                A,
                "ModifyVpcPeerConnection",
                json!({"InstanceId": id, "Bandwidth": 10}),
            )
        },
    ),
    ("QuotaExceeded.Bandwidth", || {
        let mut w = err_world(json!({}));
        let (va, vb) = (v(&w, A, "a_hz"), v(&w, A, "a_bj"));
        let id = peer_ok(&mut w, A, "cn-hangzhou", &va, A, "cn-beijing", &vb);
        e(
            &mut w,
            A,
            "ModifyVpcPeerConnection",
            json!({"InstanceId": id, "Bandwidth": 2048}),
        )
    }),
    // ---- Delete (§3.3.5) ----
    ("ResourceNotFound.InstanceId", || {
        let mut w = err_world(json!({}));
        let id = pending(&mut w);
        e(
            &mut w,
            C,
            "DeleteVpcPeerConnection",
            json!({"InstanceId": id}),
        )
    }),
    ("OperationDenied.VpcNotOwner", || {
        let mut w = err_world(json!({}));
        let (vs, vb) = (v(&w, A, "a_shared"), v(&w, A, "a_bj"));
        let id = peer_ok(&mut w, A, "cn-hangzhou", &vs, A, "cn-beijing", &vb);
        e(
            &mut w,
            B,
            "DeleteVpcPeerConnection",
            json!({"InstanceId": id}),
        )
    }),
    ("IncorrectStatus.VpcPeer", || {
        let mut w = err_world(json!({"settle": "Stepped"}));
        let id = pending(&mut w); // still Creating
        e(
            &mut w,
            A,
            "DeleteVpcPeerConnection",
            json!({"InstanceId": id}),
        )
    }),
    ("OperationDenied.RouteEntryExist", || {
        let mut w = err_world(json!({}));
        let (va, vb) = (v(&w, A, "a_hz"), v(&w, A, "a_bj"));
        let id = peer_ok(&mut w, A, "cn-hangzhou", &va, A, "cn-beijing", &vb);
        let rt = w.vpc(&va).unwrap().system_route_table_id.clone();
        route(&mut w, A, "cn-hangzhou", &rt, "10.2.0.0/16", &id).unwrap();
        e(
            &mut w,
            A,
            "DeleteVpcPeerConnection",
            json!({"InstanceId": id}),
        )
    }),
    // ---- Get (§3.3.6) ----
    ("ResourceNotFound.InstanceId", || {
        let mut w = err_world(json!({}));
        let id = pending(&mut w);
        e(
            &mut w,
            C,
            "GetVpcPeerConnectionAttribute",
            json!({"InstanceId": id}),
        )
    }),
];

/// Every code named in §3.3 (except `Forbidden.NoPermission`, which the gateway
/// raises from `AuthRequirements::denial_code`, and the three codes §3.3.1 marks
/// "not modelled").
const SPEC_CODES: &[&str] = &[
    "UnsupportedRegion",
    "ResourceNotFound.VpcId",
    "OperationDenied.VpcNotOwner",
    "IllegalParam.AcceptingAliUid",
    "IllegalParam.AcceptingVpcId",
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
fn every_peering_error_code() {
    for (i, (want, run)) in CASES.iter().enumerate() {
        let got = run();
        assert_eq!(&got.code, want, "case #{i}: {got}");
        assert_eq!(got.http_status, 400, "case #{i}");
    }
    let covered: BTreeSet<&str> = CASES.iter().map(|(c, _)| *c).collect();
    let spec: BTreeSet<&str> = SPEC_CODES.iter().copied().collect();
    assert_eq!(covered, spec);
}

#[test]
fn forbidden_is_reported_by_auth_surface() {
    let w = err_world(json!({}));
    let (va, vb) = (v(&w, A, "a_hz"), v(&w, B, "b_hz"));
    let op = crate::cloud::Operation::decode(
        "CreateVpcPeerConnection",
        json!({"RegionId": "cn-hangzhou", "VpcId": va, "AcceptingAliUid": B, "AcceptingRegionId": "cn-hangzhou", "AcceptingVpcId": vb})
            .as_object()
            .unwrap(),
    )
    .unwrap();
    let a = w.authorization_request(&ctx(&w, A), &op).unwrap();
    assert_eq!(
        (
            a.action.as_str(),
            a.denial_code.as_str(),
            a.denial_http_status
        ),
        ("vpc:CreateVpcPeerConnection", "Forbidden.NoPermission", 400)
    );
    // checks before RAM (steps 1–5) fail in authorization_request too
    let bad = crate::cloud::Operation::decode(
        "CreateVpcPeerConnection",
        json!({"RegionId": "cn-hangzhou", "VpcId": va, "AcceptingAliUid": "1111111111111111", "AcceptingRegionId": "cn-hangzhou", "AcceptingVpcId": vb})
            .as_object()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        w.authorization_request(&ctx(&w, A), &bad).unwrap_err().code,
        "IllegalParam.AcceptingAliUid"
    );
}

#[test]
fn stepped_mode_transitions() {
    let mut w = err_world(json!({"settle": "Stepped"}));
    let id = pending(&mut w);
    assert_eq!(get(&mut w, A, &id).unwrap()["Status"], "Creating");
    w.advance_clock_by(5);
    assert_eq!(get(&mut w, A, &id).unwrap()["Status"], "Accepting");
    ok(
        &mut w,
        B,
        "AcceptVpcPeerConnection",
        json!({"InstanceId": id}),
    );
    assert_eq!(get(&mut w, A, &id).unwrap()["Status"], "Updating");
    w.settle();
    assert_eq!(get(&mut w, A, &id).unwrap()["Status"], "Activated");
    ok(
        &mut w,
        A,
        "DeleteVpcPeerConnection",
        json!({"InstanceId": id}),
    );
    assert_eq!(get(&mut w, A, &id).unwrap()["Status"], "Deleting");
    w.settle();
    assert_eq!(
        get(&mut w, A, &id).unwrap_err().code,
        "ResourceNotFound.InstanceId"
    );
    assert_eq!(w.options().settle, SettleMode::Stepped);
}
