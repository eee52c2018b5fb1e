//! `ramsim simulate --peers` (issue 16): every row's `acs:TargetRDPath` is the peer account's RD
//! path in the world, and its decision is what the gateway answers when the call is made.

use ramsim::api::{ApiRequest, Envelope, Gateway, SimState};
use ramsim::simulate::peers::peers;
use serde_json::{json, Value};
use std::path::Path;

fn world(name: &str) -> SimState {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus/worlds")
        .join(name);
    SimState::from_world_file(&path).expect("world builds")
}

#[test]
fn every_peer_row_is_what_the_gateway_answers() {
    let mut checked = 0;
    for (name, callers) in [
        (
            "escalation.json",
            &["netops@A", "builder@A", "netadmin@B", "viewer@A"][..],
        ),
        ("peering.json", &["netadmin", "netops"][..]),
        ("guardrail-check.json", &["netops@A", "builder@A"][..]),
    ] {
        let state = world(name);
        for who in callers {
            let rows = peers(&state, who).expect("a caller");
            assert!(!rows.is_empty(), "{name} {who}");
            for r in &rows {
                assert_eq!(
                    r.target_rd_path,
                    state.world.rd_path(&r.target_account),
                    "{name} {who}: the gateway's acs:TargetRDPath"
                );
                let vpc_id = r.from.split(' ').next().expect("vpc");
                let from = state.world.vpc(vpc_id).expect("own vpc");
                let mut gw = Gateway::new(state.clone());
                let result = gw.call(
                    &Envelope {
                        caller: who.to_string(),
                        ..Envelope::default()
                    },
                    &ApiRequest {
                        product: None,
                        action: r.api.clone(),
                        params: json!({"RegionId": from.region_id, "VpcId": from.vpc_id,
                            "AcceptingAliUid": r.target_account, "AcceptingRegionId": r.target_region,
                            "AcceptingVpcId": r.target_vpc})
                        .as_object()
                        .cloned()
                        .unwrap_or_default(),
                    },
                );
                let code = result.body.get("Code").and_then(Value::as_str);
                match r.decision.as_str() {
                    "Allow" => assert!(
                        result.decision.is_some_and(|d| d.is_allowed()),
                        "{name} {who}: {r:?} but the gateway answered {code:?}"
                    ),
                    "ExplicitDeny" | "ImplicitDeny" => {
                        assert_eq!(code, Some("Forbidden.NoPermission"), "{name} {who}: {r:?}")
                    }
                    refused => assert_eq!(code, Some(refused), "{name} {who}"),
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 20, "{checked}");
}

#[test]
fn a_denied_row_names_the_outside_peer() {
    let rows = peers(&world("escalation.json"), "netops@A").expect("netops");
    let outside = rows
        .iter()
        .find(|r| r.target_account == "3234567890123456")
        .expect("account C");
    assert_eq!(outside.target_rd_path, None);
    assert_eq!(outside.decision, "ExplicitDeny");
    assert!(peers(&world("escalation.json"), "nobody@A").is_err());
}

#[test]
fn an_action_filter_matching_no_modeled_action_says_so() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ramsim"))
        .args([
            "simulate",
            "--state",
            "corpus/worlds/peering.json",
            "--principal",
            "netops",
            "--action",
            "oss:*",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("matches no modeled action"), "{err}");
    // A filter that matches a modeled action still prints its rows.
    let ok = std::process::Command::new(env!("CARGO_BIN_EXE_ramsim"))
        .args([
            "simulate",
            "--state",
            "corpus/worlds/peering.json",
            "--principal",
            "netops",
            "--action",
            "cdt:*",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("runs");
    assert_eq!(ok.status.code(), Some(0));
}
