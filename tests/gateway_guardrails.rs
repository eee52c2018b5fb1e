//! The seed's two guardrail policies (network-model.md §9.3; `policies/guardrail-rd-id.json`,
//! `policies/guardrail-rd-path.json`), rewritten for this world's directory, attached as an
//! identity policy of a RAM user and as a control policy at the root, a folder and the member —
//! against peers in every position relative to the directory — for Create and for Accept,
//! through `Gateway::call`.
//!
//! Notes the table relies on (and that the last tests check):
//! * an account's root is not restricted by identity policies (it has none; §9.1), and
//!   control policies with `EffectScope = RAM` (the only scope a custom control policy may be
//!   created with) do not bind it either;
//! * the management account is never restricted by control policies (ram-policy.md §6.1).

mod gateway_support;

use gateway_support::*;
use ramsim::api::CallResult;
use ramsim::authz::{
    decide, ActionResource, EvalOptions, Outcome, PolicyType, Request, RequestContext,
};
use ramsim::iam::Caller;
use serde_json::{json, Value};

/// Account in a sub-folder of prod.
const F: &str = "6234567890123456";
/// Account placed directly under the root folder (not the management account).
const G: &str = "7234567890123456";
const PROD_SUB: &str = "fd-prodsub01";

/// The seed's documents with the placeholders replaced by this world's ids.
fn guardrail(kind: Guard) -> String {
    let read = |f: &str| {
        std::fs::read_to_string(format!("{}/policies/{f}", env!("CARGO_MANIFEST_DIR")))
            .expect("seed policy")
    };
    match kind {
        Guard::RdId => read("guardrail-rd-id.json").replace("rd-xxxxxx", RD),
        Guard::RdPath => read("guardrail-rd-path.json").replace(
            "rd-xxxxxx/r-xxxxxx/fd-xxxxxx/*",
            &format!("{RD}/{ROOT}/{PROD}/*"),
        ),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Guard {
    RdId,
    RdPath,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Attach {
    /// Identity policy of the RAM user `netops` (account A).
    Identity,
    /// Control policy at the root folder.
    Root,
    /// Control policy at A's folder `fd-prod01`.
    Folder,
    /// Control policy at the member A itself.
    Member,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Via {
    /// Declared in the world file (`identity.*.users[].policies` / `identity.control_policies[].attach`).
    WorldFile,
    /// Created and attached through API calls (CreatePolicy + AttachPolicyToUser by A's root;
    /// CreateControlPolicy + AttachControlPolicy by the management account's root).
    Api,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    /// A's user requests a peering to the peer.
    Create,
    /// The peer's root requests, A's user accepts.
    Accept,
}

/// Peers, relative to A (`rd-abc123/r-root01/fd-prod01/A`).
const PEERS: &[(&str, &str)] = &[
    ("same folder", B),
    ("sub-folder", F),
    ("sibling folder", E),
    ("directly under root", G),
    ("no directory", C),
];

/// Whether the seed's intent allows peering with `peer` under `guard`.
fn allowed(guard: Guard, peer: &str) -> bool {
    match guard {
        // any account of this directory
        Guard::RdId => peer != C,
        // only accounts under fd-prod01 (including nested folders)
        Guard::RdPath => peer == B || peer == F,
    }
}

fn world(guard: Guard, attach: Attach, via: Via) -> Value {
    let doc = guardrail(guard);
    let mut user_policies = vec!["network-admin".to_string()];
    let mut control = Vec::new();
    if via == Via::WorldFile {
        match attach {
            Attach::Identity => user_policies.push("guardrail".into()),
            Attach::Root => {
                control.push(json!({"name": "guardrail", "document": doc, "attach": [ROOT]}))
            }
            Attach::Folder => {
                control.push(json!({"name": "guardrail", "document": doc, "attach": [PROD]}))
            }
            // members may be named by alias too
            Attach::Member => {
                control.push(json!({"name": "guardrail", "document": doc, "attach": ["A"]}))
            }
        }
    }
    let mut w = fixture(json!({
        "vpcs": [
            {"owner": A, "region_id": "cn-hangzhou", "cidr_block": "10.0.0.0/16", "name": "home"},
            {"owner": B, "region_id": "cn-hangzhou", "cidr_block": "10.1.0.0/16", "name": "peer"},
            {"owner": C, "region_id": "cn-hangzhou", "cidr_block": "10.2.0.0/16", "name": "peer"},
            {"owner": E, "region_id": "cn-hangzhou", "cidr_block": "10.3.0.0/16", "name": "peer"},
            {"owner": F, "region_id": "cn-hangzhou", "cidr_block": "10.4.0.0/16", "name": "peer"},
            {"owner": G, "region_id": "cn-hangzhou", "cidr_block": "10.5.0.0/16", "name": "peer"},
            {"owner": M, "region_id": "cn-hangzhou", "cidr_block": "10.6.0.0/16", "name": "home"}
        ],
        "identity": {
            "control_policies": control,
            "accounts": {
                "A": {
                    "policies": [
                        {"name": "network-admin", "document": {"file": "policies/network-admin.json"}},
                        {"name": "guardrail", "document": doc}
                    ],
                    "users": [{"name": "netops", "policies": user_policies}]
                },
                "M": {
                    "policies": [{"name": "network-admin", "document": {"file": "policies/network-admin.json"}}],
                    "users": [{"name": "mgmt-netops", "policies": ["network-admin"]}]
                }
            }
        }
    }));
    let accounts = w["accounts"].as_array_mut().expect("accounts");
    accounts.push(json!({"uid": F, "alias": "F", "cdt_enabled": true}));
    accounts.push(json!({"uid": G, "alias": "G", "cdt_enabled": true}));
    let rd = &mut w["resource_directory"];
    rd["folders"]
        .as_array_mut()
        .expect("folders")
        .push(json!({"id": PROD_SUB, "name": "prod-sub", "parent": PROD}));
    let members = rd["members"].as_array_mut().expect("members");
    members.push(json!({"uid": F, "folder": PROD_SUB}));
    members.push(json!({"uid": G}));
    w
}

/// Attaches the guardrail through API calls.
fn attach_via_api(s: &mut Sim, guard: Guard, attach: Attach) {
    let doc = guardrail(guard).replace('\n', " ");
    if attach == Attach::Identity {
        s.ok(
            "root@A",
            &format!("aliyun ram CreatePolicy --PolicyName guardrail-api --PolicyDocument '{doc}'"),
        );
        s.ok("root@A", "aliyun ram AttachPolicyToUser --PolicyType Custom --PolicyName guardrail-api --UserName netops");
        return;
    }
    let r = s.ok("root@M", &format!("aliyun resourcemanager CreateControlPolicy --PolicyName guardrail-api --PolicyDocument '{doc}'"));
    let id = r["ControlPolicy"]["PolicyId"]
        .as_str()
        .expect("PolicyId")
        .to_string();
    let target = match attach {
        Attach::Root => ROOT,
        Attach::Folder => PROD,
        _ => A,
    };
    s.ok(
        "root@M",
        &format!("aliyun resourcemanager AttachControlPolicy --PolicyId {id} --TargetId {target}"),
    );
}

fn setup(guard: Guard, attach: Attach, via: Via) -> Sim {
    let mut s = gateway(&world(guard, attach, via));
    if via == Via::Api {
        attach_via_api(&mut s, guard, attach);
    }
    s
}

fn root_of(uid: &str) -> String {
    format!("root@{uid}")
}

/// Runs `op` against `peer` as `who` (an account-A caller); returns the decisive call and, for
/// Accept, the peering id.
fn run(s: &mut Sim, op: Op, who: &str, peer: &str) -> (CallResult, Option<String>) {
    let (home, other) = (s.vpc(A, "home"), s.vpc(peer, "peer"));
    match op {
        Op::Create => (
            s.cli(
                who,
                &create_line("cn-hangzhou", &home, peer, "cn-hangzhou", &other, ""),
            ),
            None,
        ),
        Op::Accept => {
            let id = instance_id(&s.ok(
                &root_of(peer),
                &create_line("cn-hangzhou", &other, A, "cn-hangzhou", &home, ""),
            ));
            (
                s.cli(
                    who,
                    &format!("aliyun vpcpeer AcceptVpcPeerConnection --InstanceId {id}"),
                ),
                Some(id),
            )
        }
    }
}

#[track_caller]
fn assert_explicit_deny(s: &Sim, r: &CallResult, action: &str, policy_type: &str, ctx: &str) {
    assert_eq!(
        (r.http_status, r.error_code()),
        (400, Some("Forbidden.NoPermission")),
        "{ctx}: {}",
        r.body
    );
    let d = &r.body["AccessDeniedDetail"];
    assert_eq!(d["NoPermissionType"], "ExplicitDeny", "{ctx}: {d}");
    assert_eq!(d["PolicyType"], policy_type, "{ctx}: {d}");
    assert_eq!(d["AuthAction"], action, "{ctx}: {d}");
    let ev = s.event(&r.request_id);
    assert_eq!(ev.error_code, "Forbidden.NoPermission", "{ctx}");
    assert_eq!(ev.access_denied_detail.as_ref(), Some(d), "{ctx}");
}

#[test]
fn guardrails_table() {
    let mut rows = 0;
    for guard in [Guard::RdId, Guard::RdPath] {
        for attach in [
            Attach::Identity,
            Attach::Root,
            Attach::Folder,
            Attach::Member,
        ] {
            for via in [Via::WorldFile, Via::Api] {
                for (label, peer) in PEERS {
                    for op in [Op::Create, Op::Accept] {
                        let ctx =
                            format!("{guard:?} as {attach:?} ({via:?}), peer {label}, {op:?}");
                        let mut s = setup(guard, attach, via);
                        let before = s.snapshot();
                        let (r, id) = run(&mut s, op, "netops", peer);
                        if allowed(guard, peer) {
                            assert!(r.is_success(), "{ctx}: {}", r.body);
                            if let Some(id) = id {
                                assert_eq!(s.status("root@A", &id), "Activated", "{ctx}");
                            }
                        } else {
                            let action = match op {
                                Op::Create => "vpc:CreateVpcPeerConnection",
                                Op::Accept => "vpc:AcceptVpcPeerConnection",
                            };
                            let policy_type = match attach {
                                Attach::Identity => "AccountLevelIdentityBasedPolicy",
                                _ => "ControlPolicy",
                            };
                            assert_explicit_deny(&s, &r, action, policy_type, &ctx);
                            if let Some(id) = id {
                                assert_eq!(s.status("root@A", &id), "Accepting", "{ctx}");
                            } else {
                                assert_eq!(
                                    before,
                                    s.snapshot(),
                                    "{ctx}: a denied call changes nothing"
                                );
                            }
                        }
                        rows += 1;
                    }
                }
            }
        }
    }
    assert_eq!(rows, 2 * 4 * 2 * PEERS.len() * 2);
}

/// "Another directory": the model has one Resource Directory per world, and an account outside
/// it has no RD id and no path (the keys are absent, which is the "no directory" row). A peer in
/// a *second* directory therefore cannot be built through the gateway. Instead the engine is
/// asked directly, with the policy store the gateway would use and the keys such a peer would
/// inject (`acs:TargetRDId = rd-other9`, `acs:TargetRDPath = rd-other9/r-other9/…/<uid>`).
#[test]
fn another_directory_through_the_engine() {
    for guard in [Guard::RdId, Guard::RdPath] {
        for attach in [
            Attach::Identity,
            Attach::Root,
            Attach::Folder,
            Attach::Member,
        ] {
            let s = setup(guard, attach, Via::WorldFile);
            let caller = Caller::User {
                account: A.into(),
                name: "netops".into(),
            };
            let (world, iam) = (&s.gw.state.world, &s.gw.state.iam);
            let store = iam.policy_store(world, &caller);
            let principal = iam.principal(world, &caller);
            for (action, deps) in [
                ("vpc:CreateVpcPeerConnection", true),
                ("vpc:AcceptVpcPeerConnection", false),
            ] {
                let mut pairs = vec![ActionResource::new(action, "*")];
                if deps {
                    pairs.push(ActionResource::new("cdt:GetCdtServiceStatus", "*"));
                }
                let decide_with = |id: &str, path: &str| {
                    let mut ctx = RequestContext::new();
                    ctx.insert("acs:CurrentTime", "2025-01-01T00:00:00Z");
                    ctx.insert("acs:SecureTransport", "true");
                    ctx.insert("acs:TargetRDId", id);
                    ctx.insert("acs:TargetRDPath", path);
                    let req = Request {
                        principal: &principal,
                        pairs: &pairs,
                        context: &ctx,
                        resource_account: None,
                        resource_group: None,
                        assume_role: false,
                    };
                    decide(&store, &req, &EvalOptions::default())
                };
                let other = decide_with("rd-other9", &format!("rd-other9/r-other9/{PROD}/{C}"));
                assert_eq!(
                    other.outcome,
                    Outcome::ExplicitDeny,
                    "{guard:?} {attach:?} {action}"
                );
                let want = if attach == Attach::Identity {
                    PolicyType::AccountLevelIdentityBasedPolicy
                } else {
                    PolicyType::ControlPolicy
                };
                assert_eq!(
                    other.policy_type,
                    Some(want),
                    "{guard:?} {attach:?} {action}"
                );
                // sanity: the same store allows a peer of this directory's prod folder
                let home = decide_with(RD, &format!("{RD}/{ROOT}/{PROD}/{B}"));
                assert!(home.is_allowed(), "{guard:?} {attach:?} {action}: {home:?}");
            }
        }
    }
}

#[test]
fn the_root_is_not_restricted_by_identity_policies() {
    let mut s = setup(Guard::RdId, Attach::Identity, Via::WorldFile);
    let (r, _) = run(&mut s, Op::Create, "netops", C);
    assert_explicit_deny(
        &s,
        &r,
        "vpc:CreateVpcPeerConnection",
        "AccountLevelIdentityBasedPolicy",
        "netops → C",
    );
    let (r, _) = run(&mut s, Op::Create, "root@A", C);
    assert!(r.is_success(), "{}", r.body);
    assert_eq!(r.decision.map(|d| d.is_allowed()), Some(true));
}

#[test]
fn the_root_is_not_restricted_by_ram_scope_control_policies() {
    for attach in [Attach::Root, Attach::Folder, Attach::Member] {
        let mut s = setup(Guard::RdPath, attach, Via::Api);
        let (r, _) = run(&mut s, Op::Create, "netops", C);
        assert_explicit_deny(
            &s,
            &r,
            "vpc:CreateVpcPeerConnection",
            "ControlPolicy",
            &format!("{attach:?}"),
        );
        let (r, _) = run(&mut s, Op::Create, "root@A", C);
        assert!(r.is_success(), "{attach:?}: {}", r.body);
    }
}

#[test]
fn custom_control_policies_cannot_be_created_with_effect_scope_all() {
    let mut s = setup(Guard::RdId, Attach::Identity, Via::WorldFile);
    let doc = guardrail(Guard::RdId).replace('\n', " ");
    let r = s.cli("root@M", &format!("aliyun resourcemanager CreateControlPolicy --PolicyName g --EffectScope All --PolicyDocument '{doc}'"));
    assert_eq!(
        r.error_code(),
        Some("InvalidParameter.EffectScope"),
        "{}",
        r.body
    );
}

#[test]
fn the_management_account_is_not_restricted_by_control_policies() {
    for via in [Via::WorldFile, Via::Api] {
        let mut s = setup(Guard::RdId, Attach::Root, via);
        // a member's user is bound by the guardrail at the root folder…
        let (r, _) = run(&mut s, Op::Create, "netops", C);
        assert_explicit_deny(
            &s,
            &r,
            "vpc:CreateVpcPeerConnection",
            "ControlPolicy",
            "member user",
        );
        // …the management account's user is not, though M sits directly under that root
        let (home, other) = (s.vpc(M, "home"), s.vpc(C, "peer"));
        let r = s.cli(
            "mgmt-netops",
            &create_line("cn-hangzhou", &home, C, "cn-hangzhou", &other, ""),
        );
        assert!(r.is_success(), "{via:?}: {}", r.body);
        // attaching it to M directly changes nothing either
        if via == Via::Api {
            let id =
                s.gw.state
                    .iam
                    .control_policies
                    .values()
                    .find(|p| p.name == "guardrail-api")
                    .map(|p| p.id.clone())
                    .expect("policy");
            s.ok(
                "root@M",
                &format!(
                    "aliyun resourcemanager AttachControlPolicy --PolicyId {id} --TargetId {M}"
                ),
            );
            let home2 = s.ok(
                "root@M",
                "aliyun vpc CreateVpc --RegionId cn-hangzhou --CidrBlock 10.7.0.0/16",
            )["VpcId"]
                .as_str()
                .unwrap()
                .to_string();
            let r = s.cli(
                "mgmt-netops",
                &create_line("cn-hangzhou", &home2, C, "cn-hangzhou", &other, ""),
            );
            assert!(r.is_success(), "{}", r.body);
        }
    }
}

#[test]
fn only_the_management_account_manages_control_policies() {
    let mut s = setup(Guard::RdId, Attach::Identity, Via::WorldFile);
    let doc = guardrail(Guard::RdId).replace('\n', " ");
    let before = s.snapshot();
    let r = s.cli(
        "root@A",
        &format!(
            "aliyun resourcemanager CreateControlPolicy --PolicyName g --PolicyDocument '{doc}'"
        ),
    );
    assert_eq!(
        (r.http_status, r.error_code()),
        (403, Some("NotSupport.NotManagementAccount")),
        "{}",
        r.body
    );
    assert_eq!(before, s.snapshot());
}

/// Regression: a deny-list guardrail with `EffectScope = All` (world files may declare it;
/// the API refuses it) binds the member's root where it denies — and only there. Before the
/// fix in `iam::store` the root saw the `All` policy without the node's FullAliyunAccess, so
/// every request of the root (even CreateVpc) was implicitly denied.
#[test]
fn effect_scope_all_guardrail_binds_the_member_root_only_where_it_denies() {
    for target in ["A", PROD, ROOT] {
        let mut w = world(Guard::RdId, Attach::Identity, Via::WorldFile);
        w["identity"]["control_policies"] = json!([{"name": "g-all", "document": guardrail(Guard::RdId), "attach": [target], "effect_scope": "All"}]);
        let mut s = gateway(&w);
        let (r, _) = run(&mut s, Op::Create, "root@A", C);
        assert_explicit_deny(
            &s,
            &r,
            "vpc:CreateVpcPeerConnection",
            "ControlPolicy",
            target,
        );
        assert_eq!(
            r.body["AccessDeniedDetail"]["AuthPrincipalType"],
            "RootUser"
        );
        let (r, _) = run(&mut s, Op::Create, "root@A", B);
        assert!(r.is_success(), "{target}: {}", r.body);
        assert!(
            s.cli("root@A", "aliyun vpc CreateVpc --RegionId cn-beijing")
                .is_success(),
            "{target}"
        );
    }
    // With FullAliyunAccess detached from the member (allow-list mode) the root, like a RAM
    // identity, needs an Allow at that node: a deny-only policy leaves an implicit deny.
    let mut w = world(Guard::RdId, Attach::Identity, Via::WorldFile);
    w["identity"]["control_policies"] = json!([{"name": "g-all", "document": guardrail(Guard::RdId), "attach": ["A"], "effect_scope": "All"}]);
    w["identity"]["detach_full_aliyun_access"] = json!(["A"]);
    let mut s = gateway(&w);
    let r = s.cli("root@A", "aliyun vpc CreateVpc --RegionId cn-beijing");
    assert_eq!(
        (r.http_status, r.error_code()),
        (403, Some("Forbidden")),
        "{}",
        r.body
    );
    assert_eq!(
        r.body["AccessDeniedDetail"]["NoPermissionType"],
        "ImplicitDeny"
    );
    assert_eq!(r.body["AccessDeniedDetail"]["PolicyType"], "ControlPolicy");
}

/// A policy attached at resource-group scope allows only calls on resources of that group: the
/// gateway looks up the target VPC's group and the engine picks the group's policy set. (The
/// decision skips the lookup when no principal of the store has such a set; this test is the
/// one that fails if the lookup is skipped when it matters.)
#[test]
fn resource_group_scope_policy_allows_only_resources_of_its_group() {
    let admin = json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "vpc:*", "Resource": "*"}]});
    let mut world = fixture(json!({
        "identity": {"accounts": {"A": {
            "policies": [{"name": "vpc-admin", "document": admin}],
            "users": [
                {"name": "ops", "policies": ["vpc-admin"]},
                {"name": "dev", "resource_group_policies": {"rg-acfmaaaaaa": ["vpc-admin"]}}
            ]
        }}}
    }));
    world["accounts"][0]["resource_groups"] = json!(["rg-acfmaaaaaa", "rg-acfmcccccc"]);
    let mut sim = gateway(&world);
    let mut vpc_in = |group: &str| {
        let r = sim.cli(
            "ops",
            &format!("aliyun vpc CreateVpc --RegionId cn-hangzhou --CidrBlock 10.0.0.0/16 --ResourceGroupId {group}"),
        );
        assert!(r.is_success(), "{}", r.body);
        r.body["VpcId"].as_str().expect("VpcId").to_string()
    };
    let mine = vpc_in("rg-acfmaaaaaa");
    let other = vpc_in("rg-acfmcccccc");
    let vswitch_in = |id: &str| {
        format!("aliyun vpc CreateVSwitch --RegionId cn-hangzhou --ZoneId cn-hangzhou-h --VpcId {id} --CidrBlock 10.0.1.0/24")
    };
    let r = sim.cli("dev", &vswitch_in(&other));
    assert_eq!(r.error_code(), Some("Forbidden"), "{}", r.body);
    assert_eq!(
        r.body["AccessDeniedDetail"]["PolicyType"], "ResourceGroupLevelIdentityBasedPolicy",
        "{}",
        r.body
    );
    let r = sim.cli("dev", &vswitch_in(&mine));
    assert!(r.is_success(), "in its group: {}", r.body);
}
