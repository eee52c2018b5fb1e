//! proptest over the whole pipeline: random sequences of calls by random principals (users
//! with various policies, a user who may create and attach policies and so escalate, role
//! sessions obtained through AssumeRole, account roots), RAM policy changes (attachments and
//! policy versions: new defaults, rotation, deletes) and clock advances, all through
//! `Gateway::call`. After every step:
//!
//! * a failed or denied call leaves `world` and `iam` byte-identical;
//! * exactly one `ApiCall` event was logged, with the response's `RequestId` (platform events
//!   such as forced route deletions may follow it);
//! * every peering moved only along a legal §3.2 transition;
//! * no §3.5 quota is exceeded;
//! * the engine, asked directly with the same context, agrees with the gateway's decision, and
//!   nothing it denies is applied; every successful non-root call was allowed;
//! * with the RD-path guardrail as a control policy on `fd-prod01`, no Activated peering links
//!   an account under that folder to an account outside it;
//! * the ECS instance layer (RunInstances, Start/Stop/DeleteInstance, Tag/UntagResources and the
//!   Describe calls are in the mix) keeps its address index, group memberships and primary
//!   ENIs consistent.
//! * security groups and network ACLs (the Ecs and Vpc calls of [`Step::Net`]) keep their
//!   derived data consistent: SG membership, the vSwitch → ACL index and the vSwitches'
//!   `NetworkAclId`, no rule naming a deleted group.
//!
//! And the same sequence run twice gives byte-identical audit logs and states.
//!
//! The guardrail is attached with `EffectScope = All` (world-file only; the API refuses it) so
//! that it binds the members' roots too: with the only creatable scope, `RAM`, a member's root
//! could legitimately peer outside the folder and the last property would not hold as stated.

mod gateway_support;

use gateway_support::*;
use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use ramsim::api::{ApiRequest, CallResult, Envelope, Gateway};
use ramsim::authz::{decide, ActionResource, Decision, EvalOptions, Request, RequestContext};
use ramsim::cloud::vpcpeer::PeerStatus;
use ramsim::cloud::{CallContext, Operation, Timestamp, World};
use ramsim::iam::Caller;
use serde_json::{json, Value};
use std::collections::BTreeMap;

const ALLOWED_PATH: &str = "rd-abc123/r-root01/fd-prod01/";
const INTRA_QUOTA: usize = 2;
const INTER_QUOTA: usize = 2;
const PER_REGION_QUOTA: usize = 3;

fn world() -> Value {
    let guard = std::fs::read_to_string(format!(
        "{}/policies/guardrail-rd-path.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("seed policy")
    .replace(
        "rd-xxxxxx/r-xxxxxx/fd-xxxxxx/*",
        &format!("{ALLOWED_PATH}*"),
    );
    let trust_a = json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"RAM": [format!("acs:ram::{A}:root")]}}]});
    let net = json!({"file": "policies/network-admin.json"});
    fixture(json!({
        "seed": 7,
        "options": {"quotas": {
            "intra_region_peers_per_vpc": INTRA_QUOTA,
            "inter_region_peers_per_vpc": INTER_QUOTA,
            "peers_per_account_region": PER_REGION_QUOTA
        }},
        "vpcs": [
            {"owner": A, "region_id": "cn-hangzhou", "cidr_block": "10.0.0.0/16", "name": "a_hz",
             "vswitches": [{"zone_id": "cn-hangzhou-h", "cidr_block": "10.0.1.0/24", "name": "a_hz_h"},
                           {"zone_id": "cn-hangzhou-i", "cidr_block": "10.0.2.0/24"}]},
            {"owner": A, "region_id": "cn-beijing", "cidr_block": "10.1.0.0/16", "name": "a_bj"},
            {"owner": A, "region_id": "cn-hangzhou", "cidr_block": "10.8.0.0/16", "name": "a_hz2",
             "vswitches": [{"zone_id": "cn-hangzhou-i", "cidr_block": "10.8.1.0/29", "name": "a_tiny"}]},
            {"owner": B, "region_id": "cn-hangzhou", "cidr_block": "10.2.0.0/16", "name": "b_hz",
             "vswitches": [{"zone_id": "cn-hangzhou-h", "cidr_block": "10.2.1.0/24", "name": "b_hz_h"}]},
            {"owner": B, "region_id": "cn-beijing", "cidr_block": "10.3.0.0/16", "name": "b_bj"},
            {"owner": C, "region_id": "cn-hangzhou", "cidr_block": "10.4.0.0/16", "name": "c_hz"},
            {"owner": E, "region_id": "cn-hangzhou", "cidr_block": "10.5.0.0/16", "name": "e_hz"},
            {"owner": E, "region_id": "cn-beijing", "cidr_block": "10.6.0.0/16", "name": "e_bj"},
            {"owner": M, "region_id": "cn-hangzhou", "cidr_block": "10.7.0.0/16", "name": "m_hz"}
        ],
        "security_groups": [
            {"owner": A, "vpc": "a_hz", "name": "a_web"},
            {"owner": A, "vpc": "a_hz", "name": "a_ssh"},
            {"owner": A, "vpc": "a_hz2", "name": "a_tiny_sg"},
            {"owner": B, "vpc": "b_hz", "name": "b_web"}
        ],
        "identity": {
            "control_policies": [{"name": "guardrail-rd-path", "document": guard, "attach": [PROD], "effect_scope": "All"}],
            "accounts": {
                "A": {
                    "policies": [
                        {"name": "network-admin", "document": net},
                        {"name": "ram-manager", "document": {"Version": "1", "Statement": [{"Effect": "Allow",
                            "Action": ["ram:CreatePolicy", "ram:AttachPolicyToUser", "ram:DetachPolicyFromUser"], "Resource": "*"}]}}
                    ],
                    "users": [
                        {"name": "admin", "policies": ["network-admin", "System:AliyunSTSAssumeRoleAccess"], "access_keys": 1},
                        {"name": "reader", "policies": ["System:AliyunVPCReadOnlyAccess"]},
                        {"name": "escalator", "policies": ["ram-manager"]},
                        {"name": "noperm"}
                    ],
                    "roles": [{"name": "netrole", "trust": trust_a, "policies": ["network-admin"]}]
                },
                "B": {
                    "policies": [{"name": "network-admin", "document": net}],
                    "users": [{"name": "badmin", "policies": ["network-admin"]}],
                    "roles": [{"name": "b-netrole", "trust": trust_a, "policies": ["network-admin"]}]
                },
                "E": {
                    "policies": [{"name": "network-admin", "document": net}],
                    "users": [{"name": "eadmin", "policies": ["network-admin"]}]
                },
                "M": {
                    "policies": [{"name": "network-admin", "document": net}],
                    "users": [{"name": "madmin", "policies": ["network-admin"]}]
                }
            }
        }
    }))
}

const CALLERS: &[&str] = &[
    "root@A",
    "root@B",
    "root@C",
    "root@E",
    "root@M",
    "admin",
    "reader",
    "escalator",
    "noperm",
    "badmin",
    "eadmin",
    "madmin",
    "ghost",
];
/// `who < ALIGNED` (about 70 %): a principal of the account the call belongs to.
const ALIGNED: u8 = 180;
const A_USERS: &[&str] = &["admin", "reader", "escalator", "noperm"];
const POLICY_REFS: &[(&str, &str)] = &[
    ("System", "AdministratorAccess"),
    ("System", "AliyunVPCFullAccess"),
    ("System", "AliyunCDTFullAccess"),
    ("Custom", "p0"),
    ("Custom", "p1"),
    ("Custom", "network-admin"),
];
const DOCS: &[&str] = &[
    r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
    r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":["vpc:*","cdt:*"],"Resource":"*"}]}"#,
    r#"{"Version":"1","Statement":[{"Effect":"Deny","Action":"vpc:*VpcPeerConnection","Resource":"*"}]}"#,
];
const CLOCK_STEPS: &[i64] = &[30, 3_600, 86_400, 3 * 86_400, 7 * 86_400 + 1];

#[derive(Debug, Clone)]
enum Step {
    Create {
        who: u8,
        from: u8,
        to: u8,
        wrong_uid: bool,
        bw: u8,
    },
    Accept {
        who: u8,
        p: u8,
    },
    Reject {
        who: u8,
        p: u8,
    },
    Modify {
        who: u8,
        p: u8,
        bw: u8,
    },
    Delete {
        who: u8,
        p: u8,
        force: bool,
    },
    Get {
        who: u8,
        p: u8,
    },
    List {
        who: u8,
        beijing: bool,
    },
    Route {
        who: u8,
        vpc: u8,
        p: u8,
    },
    Clock {
        secs: u8,
        by_envelope: bool,
        who: u8,
    },
    CreatePolicy {
        who: u8,
        doc: u8,
    },
    Attach {
        who: u8,
        policy: u8,
        user: u8,
        detach: bool,
    },
    /// A policy-version call on one of A's custom policies: create (as default, rotating),
    /// switch the default, delete.
    Version {
        who: u8,
        policy: u8,
        doc: u8,
        kind: u8,
    },
    AssumeRole {
        who: u8,
        role: u8,
        session_policy: bool,
    },
    Malformed {
        who: u8,
        kind: u8,
    },
    /// An ECS call (issue 10): `kind` picks RunInstances, Start/Stop/DeleteInstance,
    /// TagResources/UntagResources (the `ramsim:listening` tag) or a Describe.
    Ecs {
        who: u8,
        kind: u8,
        i: u8,
        j: u8,
        flag: bool,
    },
    /// A security-group or network-ACL call (`api` picks which, `x`/`y` its targets).
    Net {
        who: u8,
        api: u8,
        x: u8,
        y: u8,
    },
    /// A hand-written call (scripted test only): caller, action, parameters from the world.
    Script {
        who: &'static str,
        action: &'static str,
        params: fn(&World) -> Value,
    },
}

fn step() -> impl Strategy<Value = Step> {
    let who = any::<u8>();
    prop_oneof![
        6 => (who, any::<u8>(), any::<u8>(), prop::bool::weighted(0.1), 0u8..4)
            .prop_map(|(who, from, to, wrong_uid, bw)| Step::Create { who, from, to, wrong_uid, bw }),
        4 => (who, any::<u8>()).prop_map(|(who, p)| Step::Accept { who, p }),
        1 => (who, any::<u8>()).prop_map(|(who, p)| Step::Reject { who, p }),
        2 => (who, any::<u8>(), 0u8..4).prop_map(|(who, p, bw)| Step::Modify { who, p, bw }),
        2 => (who, any::<u8>(), any::<bool>()).prop_map(|(who, p, force)| Step::Delete { who, p, force }),
        1 => (who, any::<u8>()).prop_map(|(who, p)| Step::Get { who, p }),
        1 => (who, any::<bool>()).prop_map(|(who, beijing)| Step::List { who, beijing }),
        2 => (who, any::<u8>(), any::<u8>()).prop_map(|(who, vpc, p)| Step::Route { who, vpc, p }),
        2 => (0..CLOCK_STEPS.len() as u8, any::<bool>(), who).prop_map(|(secs, by_envelope, who)| Step::Clock { secs, by_envelope, who }),
        2 => (who, 0..DOCS.len() as u8).prop_map(|(who, doc)| Step::CreatePolicy { who, doc }),
        3 => (who, 0..POLICY_REFS.len() as u8, 0..A_USERS.len() as u8, prop::bool::weighted(0.3))
            .prop_map(|(who, policy, user, detach)| Step::Attach { who, policy, user, detach }),
        2 => (who, 0u8..3, 0..DOCS.len() as u8, 0u8..5)
            .prop_map(|(who, policy, doc, kind)| Step::Version { who, policy, doc, kind }),
        2 => (who, 0u8..3, any::<bool>()).prop_map(|(who, role, session_policy)| Step::AssumeRole { who, role, session_policy }),
        1 => (who, 0u8..4).prop_map(|(who, kind)| Step::Malformed { who, kind }),
        6 => (who, 0u8..8, any::<u8>(), any::<u8>(), any::<bool>())
            .prop_map(|(who, kind, i, j, flag)| Step::Ecs { who, kind, i, j, flag }),
        8 => (who, 0..NET_APIS, any::<u8>(), any::<u8>()).prop_map(|(who, api, x, y)| Step::Net { who, api, x, y }),
    ]
}

/// Number of [`Step::Net`] call shapes.
const NET_APIS: u8 = 12;

/// A security-group or network-ACL request: the API, its parameters, and the account the call
/// naturally belongs to (the owner of the group, ACL or VPC it names).
fn net_request(w: &World, api: u8, x: u8, y: u8) -> (String, ApiRequest) {
    // Half the time a VPC with vSwitches, so that ACLs get bound.
    let with_vsw: Vec<_> = w
        .vpcs()
        .filter(|v| w.vswitches_of(&v.vpc_id).next().is_some())
        .collect();
    let vpcs: Vec<_> = if y % 2 == 0 && !with_vsw.is_empty() {
        with_vsw
    } else {
        w.vpcs().collect()
    };
    let v = vpcs[usize::from(x) % vpcs.len()];
    let groups: Vec<_> = w.ecs().security_groups.values().collect();
    let acls: Vec<_> = w.nacl().acls.values().collect();
    // Nothing to act on yet: create it first (most of the time).
    let api = match api {
        1..=5 | 11 if groups.is_empty() && y % 8 != 0 => 0,
        7..=10 if acls.is_empty() && y % 8 != 0 => 6,
        other => other,
    };
    let pick = |n: usize| usize::from(y) % n.max(1);
    // a group (or a made-up id), with its region and owner
    let (sg, sg_region, sg_owner) = groups
        .get(usize::from(x) % groups.len().max(1))
        .map_or_else(
            || {
                (
                    "sg-nosuchgroup000000".to_string(),
                    v.region_id.clone(),
                    v.owner_uid.clone(),
                )
            },
            |g| {
                (
                    g.security_group_id.clone(),
                    g.region_id.clone(),
                    g.owner_uid.clone(),
                )
            },
        );
    let (acl, acl_region, acl_owner, acl_vpc) =
        acls.get(usize::from(x) % acls.len().max(1)).map_or_else(
            || {
                (
                    "nacl-nosuchacl000000".to_string(),
                    v.region_id.clone(),
                    v.owner_uid.clone(),
                    v.vpc_id.clone(),
                )
            },
            |a| {
                (
                    a.network_acl_id.clone(),
                    a.region_id.clone(),
                    a.owner_uid.clone(),
                    a.vpc_id.clone(),
                )
            },
        );
    let peer = groups.get(pick(groups.len())).map_or_else(
        || "sg-nosuchgroup000000".to_string(),
        |g| g.security_group_id.clone(),
    );
    let rule = |egress: bool| {
        let mut m = json!({"RegionId": sg_region, "SecurityGroupId": sg,
            "Permissions.1.IpProtocol": (["TCP", "ICMP", "ALL"][pick(3)]),
            "Permissions.1.PortRange": (["22/22", "-1/-1", "-1/-1"][pick(3)])});
        let (cidr, group) = if egress {
            ("Permissions.1.DestCidrIp", "Permissions.1.DestGroupId")
        } else {
            ("Permissions.1.SourceCidrIp", "Permissions.1.SourceGroupId")
        };
        if y % 4 == 0 {
            m[group] = json!(peer);
        } else {
            m[cidr] = json!(["10.0.0.0/8", "0.0.0.0/0"][pick(2)]);
        }
        if y % 5 == 0 {
            m["Permissions.1.Policy"] = json!("drop");
        }
        m
    };
    let vsws: Vec<String> = w
        .vswitches_of(&acl_vpc)
        .map(|s| s.vswitch_id.clone())
        .chain(w.vswitches_of(&v.vpc_id).map(|s| s.vswitch_id.clone()))
        .collect();
    let vsw = vsws
        .get(pick(vsws.len()))
        .cloned()
        .unwrap_or_else(|| "vsw-nosuchvswitch000".into());
    let bind = json!({"RegionId": acl_region, "NetworkAclId": acl,
        "Resource.1.ResourceType": "VSwitch", "Resource.1.ResourceId": vsw});
    let (owner, action, params) = match api {
        0 => (
            &v.owner_uid,
            "CreateSecurityGroup",
            json!({"RegionId": v.region_id, "VpcId": v.vpc_id,
            "SecurityGroupType": (["normal", "enterprise"][pick(2)])}),
        ),
        1 => (&sg_owner, "AuthorizeSecurityGroup", rule(false)),
        2 => (&sg_owner, "AuthorizeSecurityGroupEgress", rule(true)),
        3 => (&sg_owner, "RevokeSecurityGroup", rule(false)),
        4 => (
            &sg_owner,
            "ModifySecurityGroupPolicy",
            json!({"RegionId": sg_region, "SecurityGroupId": sg,
            "InnerAccessPolicy": (["Accept", "Drop"][pick(2)])}),
        ),
        5 => (
            &sg_owner,
            "DeleteSecurityGroup",
            json!({"RegionId": sg_region, "SecurityGroupId": sg}),
        ),
        6 => (
            &v.owner_uid,
            "CreateNetworkAcl",
            json!({"RegionId": v.region_id, "VpcId": v.vpc_id}),
        ),
        7 => (
            &acl_owner,
            "UpdateNetworkAclEntries",
            json!({"RegionId": acl_region, "NetworkAclId": acl,
            "UpdateIngressAclEntries": true, "IngressAclEntries.1.Policy": (["accept", "drop"][pick(2)]),
            "IngressAclEntries.1.Protocol": "tcp", "IngressAclEntries.1.SourceCidrIp": "10.0.0.0/8",
            "IngressAclEntries.1.Port": "22/22"}),
        ),
        8 => (&acl_owner, "AssociateNetworkAcl", bind),
        9 => (&acl_owner, "UnassociateNetworkAcl", bind),
        10 => (
            &acl_owner,
            "DeleteNetworkAcl",
            json!({"RegionId": acl_region, "NetworkAclId": acl}),
        ),
        _ => (
            &sg_owner,
            "DescribeSecurityGroupAttribute",
            json!({"RegionId": sg_region, "SecurityGroupId": sg}),
        ),
    };
    (owner.clone(), req(action, params))
}

/// The instance layer's derived data agrees with itself and with the world's vSwitches.
fn check_network_layer(gw: &Gateway) -> Result<(), TestCaseError> {
    let w = &gw.state.world;
    prop_assert_eq!(w.ecs().check_invariants(), Ok(()));
    prop_assert_eq!(w.nacl().check_invariants(), Ok(()));
    for v in w.vpcs() {
        for s in w.vswitches_of(&v.vpc_id) {
            prop_assert_eq!(
                s.network_acl_id.as_ref(),
                w.nacl().by_vswitch.get(&s.vswitch_id),
                "{}: the vSwitch and the ACL index disagree",
                &s.vswitch_id
            );
        }
    }
    for g in w.ecs().security_groups.values() {
        for r in &g.rules {
            if let Some(peer) = &r.group_id {
                prop_assert!(
                    w.ecs().security_groups.contains_key(peer),
                    "{} names the deleted group {}",
                    g.security_group_id,
                    peer
                );
            }
        }
    }
    Ok(())
}

/// One concrete call: envelope plus request.
struct Planned {
    env: Envelope,
    req: ApiRequest,
}

fn req(action: &str, params: Value) -> ApiRequest {
    ApiRequest {
        product: None,
        action: action.into(),
        params: obj(params),
    }
}

/// Resolves the abstract step against the current state. `None` = a pure clock advance.
fn plan(gw: &Gateway, step: &Step) -> Option<Planned> {
    let w = &gw.state.world;
    // `who` below ALIGNED picks a principal of the account the call naturally belongs to
    // (`account`); above, anyone (including unknown callers and other accounts' sessions).
    let caller_for = |who: u8, account: Option<&str>| -> String {
        let sessions = |acct: Option<&str>| -> Vec<String> {
            gw.state
                .iam
                .sessions
                .values()
                .filter(|s| acct.is_none_or(|a| s.account == a))
                .map(|s| s.access_key_id.clone())
                .collect()
        };
        let i = usize::from(who);
        match account {
            Some(acct) if who < ALIGNED => {
                let mut names: Vec<String> = vec![format!("root@{acct}")];
                if let Some(a) = gw.state.iam.accounts.get(acct) {
                    names.extend(a.users.keys().cloned());
                }
                names.extend(sessions(Some(acct)));
                names[i % names.len()].clone()
            }
            _ => {
                let all = sessions(None);
                let j = i % (CALLERS.len() + 3);
                match CALLERS.get(j) {
                    Some(c) => c.to_string(),
                    None if !all.is_empty() => all[i % all.len()].clone(),
                    None => "admin".into(),
                }
            }
        }
    };
    let caller = |who: u8| caller_for(who, None);
    let vpcs: Vec<_> = w.vpcs().collect();
    let peerings: Vec<String> = w.peerings().map(|p| p.instance_id.clone()).collect();
    let peering = |p: u8| {
        peerings
            .get(usize::from(p) % peerings.len().max(1))
            .cloned()
            .unwrap_or_else(|| "pcc-nosuchpeering01".into())
    };
    // for Accept/Reject: mostly a pending request, when there is one
    let pending: Vec<String> = w
        .peerings()
        .filter(|pc| w.peering_status(&pc.instance_id) == Some(PeerStatus::Accepting))
        .map(|pc| pc.instance_id.clone())
        .collect();
    let pending_peering = |p: u8| match (p < 200, pending.is_empty()) {
        (true, false) => pending[usize::from(p) % pending.len()].clone(),
        _ => peering(p),
    };
    let env = |who: u8| envelope(&caller(who));
    let env_in = |who: u8, account: &str| envelope(&caller_for(who, Some(account)));
    // a party of peering `id`: the accepter for even `who`, the requester for odd
    let party = |who: u8, id: &str, accepter_only: bool| -> String {
        w.peering(id)
            .map(|pc| {
                if accepter_only || who % 2 == 0 {
                    pc.accepting_owner_uid.clone()
                } else {
                    pc.owner_uid.clone()
                }
            })
            .unwrap_or_else(|| A.to_string())
    };
    let bandwidth = |bw: u8| match bw {
        1 => Some(512),
        2 => Some(1024),
        3 => Some(2048),
        _ => None,
    };
    Some(match step {
        Step::Create {
            who,
            from,
            to,
            wrong_uid,
            bw,
        } => {
            let f = vpcs[usize::from(*from) % vpcs.len()];
            // half the time the peer VPC is one of the same account (auto-accepted peerings)
            let same: Vec<_> = vpcs
                .iter()
                .filter(|v| v.owner_uid == f.owner_uid && v.vpc_id != f.vpc_id)
                .collect();
            let t = match (*to < 128, same.is_empty()) {
                (true, false) => same[usize::from(*to) % same.len()],
                _ => vpcs[usize::from(*to) % vpcs.len()],
            };
            let uid = if *wrong_uid {
                C.to_string()
            } else {
                t.owner_uid.clone()
            };
            let mut p = json!({"RegionId": f.region_id, "VpcId": f.vpc_id, "AcceptingAliUid": uid,
                "AcceptingRegionId": t.region_id, "AcceptingVpcId": t.vpc_id});
            if let Some(b) = bandwidth(*bw) {
                p["Bandwidth"] = json!(b);
            }
            Planned {
                env: env_in(*who, &f.owner_uid),
                req: req("CreateVpcPeerConnection", p),
            }
        }
        Step::Accept { who, p } => {
            let id = pending_peering(*p);
            Planned {
                env: env_in(*who, &party(*who, &id, true)),
                req: req("AcceptVpcPeerConnection", json!({"InstanceId": id})),
            }
        }
        Step::Reject { who, p } => {
            let id = pending_peering(*p);
            Planned {
                env: env_in(*who, &party(*who, &id, true)),
                req: req("RejectVpcPeerConnection", json!({"InstanceId": id})),
            }
        }
        Step::Modify { who, p, bw } => {
            let id = peering(*p);
            let mut params = json!({"InstanceId": id, "Name": "renamed"});
            if let Some(b) = bandwidth(*bw) {
                params["Bandwidth"] = json!(b);
            }
            Planned {
                env: env_in(*who, &party(*who, &id, false)),
                req: req("ModifyVpcPeerConnection", params),
            }
        }
        Step::Delete { who, p, force } => {
            let id = peering(*p);
            Planned {
                env: env_in(*who, &party(*who, &id, false)),
                req: req(
                    "DeleteVpcPeerConnection",
                    json!({"InstanceId": id, "Force": force}),
                ),
            }
        }
        Step::Get { who, p } => {
            let id = peering(*p);
            Planned {
                env: env_in(*who, &party(*who, &id, false)),
                req: req("GetVpcPeerConnectionAttribute", json!({"InstanceId": id})),
            }
        }
        Step::List { who, beijing } => {
            let region = if *beijing {
                "cn-beijing"
            } else {
                "cn-hangzhou"
            };
            Planned {
                env: env(*who),
                req: req("ListVpcPeerConnections", json!({"RegionId": region})),
            }
        }
        Step::Route { who, vpc, p } => {
            let v = vpcs[usize::from(*vpc) % vpcs.len()];
            let id = peering(*p);
            // destination: the other end's CIDR when `v` is an end of the peering
            let dest = w
                .peering(&id)
                .and_then(|pc| {
                    let other = if pc.vpc_id == v.vpc_id {
                        &pc.accepting_vpc_id
                    } else {
                        &pc.vpc_id
                    };
                    w.vpc(other).map(|o| o.cidr_block.to_string())
                })
                .unwrap_or_else(|| "10.200.0.0/16".into());
            Planned {
                env: env_in(*who, &v.owner_uid),
                req: req(
                    "CreateRouteEntry",
                    json!({"RegionId": v.region_id, "RouteTableId": v.system_route_table_id, "DestinationCidrBlock": dest,
                        "NextHopType": "VpcPeer", "NextHopId": id}),
                ),
            }
        }
        Step::Clock {
            secs,
            by_envelope,
            who,
        } => {
            if !by_envelope {
                return None;
            }
            let t = w.now().plus(CLOCK_STEPS[usize::from(*secs)]);
            let mut e = env(*who);
            e.time = Some(t.to_string());
            Planned {
                env: e,
                req: req("ListVpcPeerConnections", json!({"RegionId": "cn-hangzhou"})),
            }
        }
        Step::CreatePolicy { who, doc } => Planned {
            env: env_in(*who, A),
            req: req(
                "CreatePolicy",
                json!({"PolicyName": format!("p{doc}"), "PolicyDocument": DOCS[usize::from(*doc)]}),
            ),
        },
        Step::Attach {
            who,
            policy,
            user,
            detach,
        } => {
            let (t, name) = POLICY_REFS[usize::from(*policy)];
            let action = if *detach {
                "DetachPolicyFromUser"
            } else {
                "AttachPolicyToUser"
            };
            Planned {
                env: env_in(*who, A),
                req: req(
                    action,
                    json!({"PolicyType": t, "PolicyName": name, "UserName": A_USERS[usize::from(*user)]}),
                ),
            }
        }
        Step::Version {
            who,
            policy,
            doc,
            kind,
        } => {
            let name = ["p0", "p1", "network-admin"][usize::from(*policy)];
            let document = DOCS[usize::from(*doc)];
            let version = format!("v{}", 1 + (usize::from(*doc) + usize::from(*kind)) % 4);
            let (action, params) = match kind {
                0 => (
                    "CreatePolicyVersion",
                    json!({"PolicyName": name, "PolicyDocument": document}),
                ),
                1 => (
                    "CreatePolicyVersion",
                    json!({"PolicyName": name, "PolicyDocument": document, "SetAsDefault": true}),
                ),
                2 => (
                    "CreatePolicyVersion",
                    json!({"PolicyName": name, "PolicyDocument": document, "SetAsDefault": true,
                           "RotateStrategy": "DeleteOldestNonDefaultVersionWhenLimitExceeded"}),
                ),
                3 => (
                    "SetDefaultPolicyVersion",
                    json!({"PolicyName": name, "VersionId": version}),
                ),
                _ => (
                    "DeletePolicyVersion",
                    json!({"PolicyName": name, "VersionId": version}),
                ),
            };
            Planned {
                env: env_in(*who, A),
                req: req(action, params),
            }
        }
        Step::AssumeRole {
            who,
            role,
            session_policy,
        } => {
            let arn = [
                format!("acs:ram::{A}:role/netrole"),
                format!("acs:ram::{B}:role/b-netrole"),
                format!("acs:ram::{A}:role/nosuchrole"),
            ][usize::from(*role)]
            .clone();
            let mut p =
                json!({"RoleArn": arn, "RoleSessionName": format!("s{}", gw.state.requests)});
            if *session_policy {
                p["Policy"] = json!(
                    r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":["vpc:Get*","vpc:List*","vpc:Describe*"],"Resource":"*"}]}"#
                );
            }
            Planned {
                env: env_in(*who, A),
                req: req("AssumeRole", p),
            }
        }
        Step::Script {
            who,
            action,
            params,
        } => {
            // `session`: the first role session (the scripted test creates exactly one)
            let who = if *who == "session" {
                gw.state
                    .iam
                    .sessions
                    .keys()
                    .next()
                    .cloned()
                    .unwrap_or_default()
            } else {
                who.to_string()
            };
            Planned {
                env: envelope(&who),
                req: req(action, params(w)),
            }
        }
        Step::Ecs {
            who,
            kind,
            i,
            j,
            flag,
        } => {
            let ecs = w.ecs();
            let vsws: Vec<_> = vpcs
                .iter()
                .flat_map(|v| w.vswitches_of(&v.vpc_id))
                .collect();
            let groups: Vec<_> = ecs.security_groups.values().collect();
            let instances: Vec<_> = ecs.instances.values().collect();
            let inst = instances.get(usize::from(*i) % instances.len().max(1));
            let (id, owner, region) = inst.map_or(
                (
                    "i-nosuchinstance000".to_string(),
                    A.to_string(),
                    "cn-hangzhou".to_string(),
                ),
                |x| {
                    (
                        x.instance_id.to_string(),
                        x.owner_uid.to_string(),
                        x.region_id.to_string(),
                    )
                },
            );
            let tag_base =
                json!({"RegionId": region, "ResourceType": "instance", "ResourceId.1": id});
            let (account, r) = match kind {
                0 => {
                    let v = vsws[usize::from(*i) % vsws.len()];
                    // mostly a group of the vSwitch's VPC, sometimes any group
                    let own: Vec<_> = groups.iter().filter(|g| g.vpc_id == v.vpc_id).collect();
                    let g = match (own.is_empty(), *j < 220) {
                        (false, true) => own[usize::from(*j) % own.len()].security_group_id.clone(),
                        _ => groups[usize::from(*j) % groups.len()]
                            .security_group_id
                            .clone(),
                    };
                    let mut p = json!({"RegionId": v.region_id, "VSwitchId": v.vswitch_id, "SecurityGroupId": g});
                    if *flag {
                        p["Tag.1.Key"] = json!("ramsim:listening");
                        p["Tag.1.Value"] = json!("tcp/80");
                    }
                    if *j % 5 == 0 {
                        p["Amount"] = json!(2 + j % 3);
                    }
                    (v.owner_uid.clone(), req("RunInstances", p))
                }
                1 => (owner, req("StartInstance", json!({"InstanceId": id}))),
                2 => (owner, req("StopInstance", json!({"InstanceId": id}))),
                3 => (
                    owner,
                    req("DeleteInstance", json!({"InstanceId": id, "Force": flag})),
                ),
                4 => {
                    let mut p = tag_base;
                    p["Tag.1.Key"] = json!("ramsim:listening");
                    p["Tag.1.Value"] = json!(if *flag { "tcp/22" } else { "tcp/99999" });
                    (owner, req("TagResources", p))
                }
                5 => {
                    let mut p = tag_base;
                    p["TagKey.1"] = json!("ramsim:listening");
                    (owner, req("UntagResources", p))
                }
                6 => (
                    owner,
                    req(
                        "DescribeInstances",
                        json!({"RegionId": "cn-hangzhou", "MaxResults": 3}),
                    ),
                ),
                _ => (
                    owner,
                    req(
                        "DescribeNetworkInterfaces",
                        json!({"RegionId": "cn-hangzhou"}),
                    ),
                ),
            };
            // Half the ECS calls by the account's root (no user here holds ECS permissions
            // unless an escalation granted them), so that the instance layer fills up.
            let env = if who % 2 == 0 {
                envelope(&format!("root@{account}"))
            } else {
                env_in(*who, &account)
            };
            Planned { env, req: r }
        }
        Step::Net { who, api, x, y } => {
            let (owner, r) = net_request(w, *api, *x, *y);
            Planned {
                env: env_in(*who, &owner),
                req: r,
            }
        }
        Step::Malformed { who, kind } => {
            let r = match kind {
                0 => req("CreateVpcPeeringConnection", json!({})),
                1 => req("AcceptVpcPeerConnection", json!({})),
                2 => req(
                    "CreateVpcPeerConnection",
                    json!({"RegionId": "cn-hangzhou", "VpcId": "vpc-x", "AcceptingAliUid": "abc",
                    "AcceptingRegionId": "cn-hangzhou", "AcceptingVpcId": "vpc-y"}),
                ),
                _ => ApiRequest {
                    product: Some("Ram".into()),
                    ..req("ListVpcPeerConnections", json!({"RegionId": "cn-hangzhou"}))
                },
            };
            Planned {
                env: env(*who),
                req: r,
            }
        }
    })
}

fn clock_target(gw: &Gateway, step: &Step) -> Option<Timestamp> {
    match step {
        Step::Clock { secs, .. } => {
            Some(gw.state.world.now().plus(CLOCK_STEPS[usize::from(*secs)]))
        }
        _ => None,
    }
}

fn snapshot(gw: &Gateway) -> (String, String) {
    (
        serde_json::to_string(&gw.state.world).expect("world"),
        serde_json::to_string(&gw.state.iam).expect("iam"),
    )
}

fn statuses(gw: &Gateway) -> BTreeMap<String, PeerStatus> {
    let w = &gw.state.world;
    w.peerings()
        .map(|p| {
            (
                p.instance_id.clone(),
                w.peering_status(&p.instance_id).expect("status"),
            )
        })
        .collect()
}

/// §3.2 in `Immediate` settle mode (transitional statuses are never observable).
fn legal(before: Option<PeerStatus>, after: PeerStatus) -> bool {
    use PeerStatus::*;
    match before {
        None => matches!(after, Activated | Accepting), // T1, T2
        Some(b) if b == after => true,                  // no change, or T6 (Activated → Activated)
        Some(Accepting) => matches!(after, Activated | Rejected | Expired | Deleted), // T3, T4, T5, T7
        Some(Activated | Rejected | Expired) => after == Deleted,                     // T7
        Some(_) => false, // Deleted is terminal (T9)
    }
}

fn check_quotas(gw: &Gateway) -> Result<(), TestCaseError> {
    let w = &gw.state.world;
    let live: Vec<_> = w
        .peerings()
        .filter(|p| {
            w.peering_status(&p.instance_id)
                .is_some_and(PeerStatus::counts)
        })
        .collect();
    for v in w.vpcs() {
        let intra = live
            .iter()
            .filter(|p| p.involves_vpc(&v.vpc_id) && !p.is_inter_region())
            .count();
        let inter = live
            .iter()
            .filter(|p| p.involves_vpc(&v.vpc_id) && p.is_inter_region())
            .count();
        prop_assert!(
            intra <= INTRA_QUOTA,
            "{}: {intra} intra-region peerings",
            v.vpc_id
        );
        prop_assert!(
            inter <= INTER_QUOTA,
            "{}: {inter} inter-region peerings",
            v.vpc_id
        );
    }
    let mut per_region: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for p in &live {
        *per_region
            .entry((p.owner_uid.as_str(), p.region_id.as_str()))
            .or_default() += 1;
    }
    for (k, n) in per_region {
        prop_assert!(n <= PER_REGION_QUOTA, "{k:?}: {n} peerings");
    }
    for p in w.peerings() {
        let max = w.options().quotas.max_inter_region_bandwidth;
        prop_assert!(
            !p.is_inter_region() || p.bandwidth <= max,
            "{}: bandwidth {}",
            p.instance_id,
            p.bandwidth
        );
        prop_assert!(
            p.is_inter_region() || p.bandwidth == -1,
            "{}: intra-region bandwidth {}",
            p.instance_id,
            p.bandwidth
        );
    }
    Ok(())
}

fn check_guardrail(gw: &Gateway) -> Result<(), TestCaseError> {
    let w = &gw.state.world;
    let inside = |uid: &str| w.rd_path(uid).is_some_and(|p| p.starts_with(ALLOWED_PATH));
    for p in w.peerings() {
        if w.peering_status(&p.instance_id) == Some(PeerStatus::Activated) {
            prop_assert_eq!(
                inside(&p.owner_uid),
                inside(&p.accepting_owner_uid),
                "{} links {} and {} across the guardrail",
                p.instance_id,
                p.owner_uid,
                p.accepting_owner_uid
            );
        }
    }
    Ok(())
}

/// The engine asked directly for a VpcPeer/Vpc call, with the store and context the gateway
/// should build. `None` when the call fails before authorization or is made by a root.
fn engine_decision(gw: &Gateway, planned: &Planned) -> Option<(Decision, bool)> {
    let (w, iam) = (&gw.state.world, &gw.state.iam);
    // Expired session credentials never reach the engine (the gateway refuses them first).
    let caller = iam.authenticate(w, &planned.env.caller).ok()?;
    if planned.req.product.is_some() || planned.env.time.is_some() {
        return None;
    }
    let op = Operation::decode(&planned.req.action, &planned.req.params).ok()?;
    let ctx = CallContext {
        caller_account: caller.account().to_string(),
        time: w.now(),
        request_id: String::new(),
    };
    let auth = w.authorization_request(&ctx, &op).ok()?;
    let principal = iam.principal(w, &caller);
    let mut context = RequestContext::new();
    context.insert("acs:CurrentTime", w.now().to_string());
    context.insert("acs:SourceIp", ramsim::api::gateway::DEFAULT_SOURCE_IP);
    context.insert("acs:SecureTransport", "true");
    if let Caller::Session { access_key_id, .. } = &caller {
        context.insert("acs:AccessId", access_key_id.clone());
    }
    if let Some(arn) = principal.principal_arn_key() {
        context.insert("acs:PrincipalARN", arn);
    }
    for (k, v) in &auth.condition_keys {
        context.insert(k, v.clone());
    }
    let mut pairs: Vec<ActionResource> = auth
        .resources
        .iter()
        .map(|r| ActionResource::new(auth.action.as_str(), r.as_str()))
        .collect();
    for d in &auth.dependent_actions {
        pairs.extend(
            d.resources
                .iter()
                .map(|r| ActionResource::new(d.action.as_str(), r.as_str())),
        );
    }
    let store = iam.policy_store(w, &caller);
    let request = Request {
        principal: &principal,
        pairs: &pairs,
        context: &context,
        resource_account: None,
        resource_group: None,
        assume_role: false,
    };
    Some((
        decide(&store, &request, &EvalOptions::default()),
        matches!(caller, Caller::Root { .. }),
    ))
}

/// Runs `steps`, checking the per-step properties; returns the audit log and final state JSON.
/// With `fresh_stores`, the gateway forgets its compiled policy stores before every call, so
/// comparing both modes checks that store caching and reuse never change an answer.
fn run(steps: &[Step], fresh_stores: bool) -> Result<(String, String), TestCaseError> {
    let mut gw = Gateway::new(state(&world()));
    let mut responses = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        let before_status = statuses(&gw);
        let Some(planned) = plan(&gw, step) else {
            let to = clock_target(&gw, step).expect("a clock step");
            gw.advance_clock(to);
            prop_assert_eq!(gw.state.world.now(), to);
            check_transitions(&gw, &before_status, i)?;
            continue;
        };
        // What an unchanged state looks like after this call: the envelope's clock advance
        // (and its platform events, drained into the log) happen even when the call fails.
        let expected_if_failed = {
            let mut probe = gw.state.world.clone();
            if let Some(t) = planned.env.time.as_deref().and_then(Timestamp::parse) {
                probe.advance_clock(t);
                probe.drain_service_events();
            }
            (
                serde_json::to_string(&probe).expect("world"),
                serde_json::to_string(&gw.state.iam).expect("iam"),
            )
        };
        let engine = engine_decision(&gw, &planned);
        let api_before = gw
            .state
            .audit
            .iter()
            .filter(|e| e.event_type == "ApiCall")
            .count();
        if fresh_stores {
            gw.clear_compiled();
        }
        let r: CallResult = gw.call(&planned.env, &planned.req);
        let ctx = format!("step {i} {step:?} → {} {}", r.http_status, r.body);
        // exactly one ApiCall event, the last one, with the response's RequestId
        let api: Vec<_> = gw
            .state
            .audit
            .iter()
            .filter(|e| e.event_type == "ApiCall")
            .collect();
        prop_assert_eq!(api.len(), api_before + 1, "{}", ctx);
        // The world's maintained lookup indexes agree with its maps after every call.
        if let Err(e) = gw.state.world.check_index() {
            prop_assert!(false, "{}: {}", ctx, e);
        }
        prop_assert_eq!(&api[api_before].request_id, &r.request_id, "{}", ctx);
        prop_assert_eq!(
            r.body["RequestId"].as_str(),
            Some(r.request_id.as_str()),
            "{}",
            ctx
        );
        prop_assert_eq!(
            api[api_before].error_code.as_str(),
            r.error_code().unwrap_or(""),
            "{}",
            ctx
        );
        responses.push(r.request_id.clone());
        // A role session's AccessKey works exactly until its Expiration on the scenario clock.
        if let Some(session) = gw.state.iam.sessions.get(&planned.env.caller) {
            let expired = gw.state.world.now().epoch() >= session.expires;
            prop_assert_eq!(
                r.error_code() == Some("InvalidSecurityToken.Expired"),
                expired,
                "{}: session expires at {}",
                ctx,
                session.expires
            );
        }
        if !r.is_success() {
            prop_assert!(
                snapshot(&gw) == expected_if_failed,
                "{}: a failed call changed the state",
                ctx
            );
        }
        if r.is_success() && !planned.env.caller.starts_with("root@") {
            prop_assert!(
                r.decision.is_some_and(|d| d.is_allowed()),
                "{}: applied without an Allow",
                ctx
            );
        }
        if let Some((d, is_root)) = engine {
            if !is_root {
                prop_assert_eq!(r.decision, Some(d), "{}: gateway and engine disagree", ctx);
            }
            if !d.is_allowed() {
                prop_assert!(
                    !r.is_success(),
                    "{}: the engine denies but the gateway applied",
                    ctx
                );
            }
        }
        check_transitions(&gw, &before_status, i)?;
        check_quotas(&gw)?;
        check_guardrail(&gw)?;
        // the instance layer's derived data (address index, memberships, primary ENIs)
        if let Err(e) = gw.state.world.ecs().check_invariants() {
            prop_assert!(false, "{}: ECS invariant broken: {}", ctx, e);
        }
        check_network_layer(&gw)?;
    }
    // the ApiCall events, in order, are the calls' RequestIds
    let logged: Vec<&str> = gw
        .state
        .audit
        .iter()
        .filter(|e| e.event_type == "ApiCall")
        .map(|e| e.request_id.as_str())
        .collect();
    prop_assert_eq!(
        logged,
        responses.iter().map(String::as_str).collect::<Vec<_>>()
    );
    if std::env::var_os("RAMSIM_PROP_STATS").is_some() {
        let ok = gw
            .state
            .audit
            .iter()
            .filter(|e| e.event_type == "ApiCall" && e.error_code.is_empty())
            .count();
        let active = gw
            .state
            .world
            .peerings()
            .filter(|p| {
                gw.state.world.peering_status(&p.instance_id) == Some(PeerStatus::Activated)
            })
            .count();
        eprintln!(
            "stats: {} steps, {ok} ok, {} peerings, {active} activated, {} sessions, {} instances, {} security groups ({} rules), {} network ACLs ({} bound vSwitches)",
            steps.len(),
            gw.state.world.peerings().count(),
            gw.state.iam.sessions.len(),
            gw.state.world.ecs().instances.len(),
            gw.state.world.ecs().security_groups.len(),
            gw.state.world.ecs().security_groups.values().map(|g| g.rules.len()).sum::<usize>(),
            gw.state.world.nacl().acls.len(),
            gw.state.world.nacl().by_vswitch.len()
        );
    }
    let audit = serde_json::to_string(&gw.state.audit).expect("audit");
    Ok((audit, gw.state.to_json().expect("state")))
}

fn check_transitions(
    gw: &Gateway,
    before: &BTreeMap<String, PeerStatus>,
    i: usize,
) -> Result<(), TestCaseError> {
    for (id, after) in statuses(gw) {
        let b = before.get(&id).copied();
        prop_assert!(legal(b, after), "step {i}: {id} went {b:?} → {after:?}");
    }
    prop_assert!(
        before.keys().all(|id| gw.state.world.peering(id).is_some()),
        "step {i}: a peering record vanished"
    );
    Ok(())
}

/// 64 cases from a fixed seed (no flaky runs); `PROPTEST_CASES` / `PROPTEST_RNG_SEED` explore more.
fn config() -> ProptestConfig {
    let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u64>().ok());
    ProptestConfig {
        cases: env("PROPTEST_CASES").map_or(64, |n| u32::try_from(n).unwrap_or(u32::MAX)),
        rng_seed: RngSeed::Fixed(env("PROPTEST_RNG_SEED").unwrap_or(0x5EED_2025)),
        max_shrink_iters: 2_000,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_gateway_keeps_its_promises(steps in prop::collection::vec(step(), 20..40)) {
        let first = run(&steps, false)?;
        let again = run(&steps, false)?;
        prop_assert!(first == again, "the same sequence gave different audit logs or states");
        let fresh = run(&steps, true)?;
        prop_assert!(
            first == fresh,
            "cached policy stores answered differently from freshly compiled ones"
        );
    }
}

/// A fixed sequence through the corners random runs reach only sometimes: escalation through
/// AttachPolicyToUser, a cross-account role session, the guardrail denying a member's user and
/// root, routes blocking a delete, Force, expiry.
#[test]
fn scripted_sequence_satisfies_the_properties() {
    fn vpc(w: &World, name: &str) -> String {
        w.vpcs()
            .find(|v| v.name == name)
            .expect("vpc")
            .vpc_id
            .clone()
    }
    fn create(w: &World, from: &str, to: &str) -> Value {
        let (f, t) = (
            w.vpcs().find(|v| v.name == from).expect("vpc"),
            w.vpcs().find(|v| v.name == to).expect("vpc"),
        );
        json!({"RegionId": f.region_id, "VpcId": f.vpc_id, "AcceptingAliUid": t.owner_uid, "AcceptingRegionId": t.region_id, "AcceptingVpcId": t.vpc_id})
    }
    /// The peering between the two named VPCs.
    fn between(w: &World, a: &str, b: &str) -> String {
        let (a, b) = (vpc(w, a), vpc(w, b));
        w.peerings()
            .find(|p| p.involves_vpc(&a) && p.involves_vpc(&b))
            .expect("peering")
            .instance_id
            .clone()
    }
    let steps = vec![
        // escalator grants itself AdministratorAccess, then peers A → B (inside the folder)
        Step::Script {
            who: "escalator",
            action: "AttachPolicyToUser",
            params: |_| json!({"PolicyType": "System", "PolicyName": "AdministratorAccess", "UserName": "escalator"}),
        },
        Step::Script {
            who: "escalator",
            action: "CreateVpcPeerConnection",
            params: |w| create(w, "a_hz", "b_hz"),
        },
        // A's root and admin cannot peer with C (guardrail with EffectScope All)
        Step::Script {
            who: "root@A",
            action: "CreateVpcPeerConnection",
            params: |w| create(w, "a_hz2", "c_hz"),
        },
        Step::Script {
            who: "admin",
            action: "CreateVpcPeerConnection",
            params: |w| create(w, "a_hz2", "c_hz"),
        },
        // C requests to B; B's user may not accept it
        Step::Script {
            who: "root@C",
            action: "CreateVpcPeerConnection",
            params: |w| create(w, "c_hz", "b_hz"),
        },
        Step::Script {
            who: "badmin",
            action: "AcceptVpcPeerConnection",
            params: |w| json!({"InstanceId": between(w, "c_hz", "b_hz")}),
        },
        // A's admin assumes B's role; the session accepts A's request and adds B's route
        Step::Script {
            who: "admin",
            action: "AssumeRole",
            params: |_| json!({"RoleArn": format!("acs:ram::{B}:role/b-netrole"), "RoleSessionName": "cross"}),
        },
        Step::Script {
            who: "session",
            action: "AcceptVpcPeerConnection",
            params: |w| json!({"InstanceId": between(w, "a_hz", "b_hz")}),
        },
        Step::Script {
            who: "session",
            action: "CreateRouteEntry",
            params: |w| {
                let b = w.vpcs().find(|v| v.name == "b_hz").expect("vpc");
                json!({"RegionId": "cn-hangzhou", "RouteTableId": b.system_route_table_id, "DestinationCidrBlock": "10.0.0.0/16",
                    "NextHopType": "VpcPeer", "NextHopId": between(w, "a_hz", "b_hz")})
            },
        },
        Step::Script {
            who: "root@A",
            action: "DeleteVpcPeerConnection",
            params: |w| json!({"InstanceId": between(w, "a_hz", "b_hz")}),
        },
        Step::Script {
            who: "root@A",
            action: "DeleteVpcPeerConnection",
            params: |w| json!({"InstanceId": between(w, "a_hz", "b_hz"), "Force": true}),
        },
        // E → M pending, then the clock passes its expiry (through an envelope time)
        Step::Script {
            who: "root@E",
            action: "CreateVpcPeerConnection",
            params: |w| create(w, "e_hz", "m_hz"),
        },
        Step::Clock {
            secs: 4,
            by_envelope: true,
            who: by("root@M"),
        },
        Step::Script {
            who: "root@M",
            action: "AcceptVpcPeerConnection",
            params: |w| json!({"InstanceId": between(w, "e_hz", "m_hz")}),
        },
        Step::Malformed {
            who: by("ghost"),
            kind: 0,
        },
        Step::Malformed {
            who: by("reader"),
            kind: 0,
        },
    ];
    let first = run(&steps, false).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(first, run(&steps, true).unwrap_or_else(|e| panic!("{e}")));
    // the interesting outcomes did happen
    let mut gw = Gateway::new(state(&world()));
    for s in &steps {
        match plan(&gw, s) {
            Some(p) => {
                gw.call(&p.env, &p.req);
            }
            None => gw.advance_clock(clock_target(&gw, s).expect("clock")),
        }
    }
    let got: Vec<(&str, &str, &str)> = gw
        .state
        .audit
        .iter()
        .filter(|e| e.event_type == "ApiCall")
        .map(|e| {
            (
                e.event_name.as_str(),
                e.user_identity.user_name.as_str(),
                e.error_code.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("AttachPolicyToUser", "escalator", ""),
            ("CreateVpcPeerConnection", "escalator", ""),
            ("CreateVpcPeerConnection", "root", "Forbidden.NoPermission"),
            ("CreateVpcPeerConnection", "admin", "Forbidden.NoPermission"),
            ("CreateVpcPeerConnection", "root", ""),
            (
                "AcceptVpcPeerConnection",
                "badmin",
                "Forbidden.NoPermission"
            ),
            ("AssumeRole", "admin", ""),
            ("AcceptVpcPeerConnection", "b-netrole:cross", ""),
            ("CreateRouteEntry", "b-netrole:cross", ""),
            (
                "DeleteVpcPeerConnection",
                "root",
                "OperationDenied.RouteEntryExist"
            ),
            ("DeleteVpcPeerConnection", "root", ""),
            ("CreateVpcPeerConnection", "root", ""),
            ("ListVpcPeerConnections", "root", ""),
            ("AcceptVpcPeerConnection", "root", "IncorrectStatus.VpcPeer"),
            (
                "CreateVpcPeeringConnection",
                "ghost",
                "InvalidAccessKeyId.NotFound"
            ),
            (
                "CreateVpcPeeringConnection",
                "reader",
                "InvalidAction.NotFound"
            ),
        ]
    );
}

/// The `who` that names `caller` (not aligned to the call's account).
fn by(caller: &str) -> u8 {
    let i = CALLERS.iter().position(|c| *c == caller).expect("caller");
    (ALIGNED..=u8::MAX)
        .find(|w| usize::from(*w) % (CALLERS.len() + 3) == i)
        .expect("a who")
}
