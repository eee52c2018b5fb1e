//! `ramsim simulate`: the real binary on `corpus/worlds/*.json` and a fixture world with a group
//! and a role (every output format snapshotted with `insta`), exit codes, and a property: an
//! allowed row means the gateway does not answer `Forbidden`/`NoPermission` for that call, and
//! whenever the gateway reaches authorization it decides as simulate did.
//!
//! Regenerate with `INSTA_UPDATE=always cargo test --test simulate`, then review the snapshots.

#[path = "cli_support/mod.rs"]
mod cli_support;
use cli_support::{ramsim, root};
use proptest::prelude::*;
use ramsim::api::{ApiRequest, Envelope, Gateway};
use ramsim::authz::Outcome;
use ramsim::simulate::{load_state, resolve, simulate, PrincipalSpec, Row, SimulateOptions};
use serde_json::{json, Map, Value};

const PEERING: &str = "corpus/worlds/peering.json";
const GUARDRAIL: &str = "corpus/worlds/guardrail-control.json";
const TEAMS: &str = "tests/fixtures/simulate/teams.json";

#[test]
fn peering_world_every_format() {
    for format in ["table", "json", "csv"] {
        let out = ramsim(&[
            "simulate",
            "--state",
            PEERING,
            "--principal",
            "netops",
            "--principal",
            "root@B",
            "--format",
            format,
        ]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        insta::assert_snapshot!(format!("peering_{format}"), out.stdout);
    }
}

/// The wide-table forms: allowed actions per resource, and a self-contained HTML page.
#[test]
fn peering_world_compact_and_html() {
    for format in ["compact", "html"] {
        let run = || {
            ramsim(&[
                "simulate",
                "--state",
                PEERING,
                "--principal",
                "netops",
                "--principal",
                "root@B",
                "--format",
                format,
            ])
        };
        let out = run();
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert_eq!(out.stdout, run().stdout, "deterministic bytes");
        insta::assert_snapshot!(format!("peering_{format}"), out.stdout);
        if format == "html" {
            let html = &out.stdout;
            well_formed(html).unwrap_or_else(|e| panic!("{e}\n{html}"));
            for external in ["src=", "href=", "@import", "url("] {
                assert!(!html.contains(external), "fetches `{external}`");
            }
            assert!(html.contains("<table class=\"sortable\">"));
            assert!(html.contains("addEventListener('click'"));
        }
    }
    // The compact form lists exactly the allowed rows' actions.
    let json = ramsim(&[
        "simulate",
        "--state",
        PEERING,
        "--principal",
        "netops",
        "--format",
        "json",
    ]);
    let compact = ramsim(&[
        "simulate",
        "--state",
        PEERING,
        "--principal",
        "netops",
        "--format",
        "compact",
    ]);
    let v: Value = serde_json::from_str(&json.stdout).expect("json");
    for row in v[0]["rows"].as_array().expect("rows") {
        let action = row["action"].as_str().expect("action");
        for res in row["resources"].as_array().expect("resources") {
            let res = res.as_str().expect("resource");
            // Rows with a target account are listed as `<resource> peer:<uid>`.
            let label = match row["target"].as_str() {
                Some(t) => format!("{res} peer:{t}"),
                None => res.to_string(),
            };
            let line = compact.stdout.lines().find(|l| {
                l.strip_prefix(label.as_str())
                    .is_some_and(|r| r.starts_with("  "))
            });
            let listed =
                line.is_some_and(|l| l[label.len()..].split_whitespace().any(|a| a == action));
            assert_eq!(listed, row["decision"] == "Allow", "{action} on {res}");
        }
    }
}

/// A small well-formedness check (the page is written as XHTML-compatible HTML): every tag
/// closed in order, attributes quoted, no stray `<` or `&` in text.
fn well_formed(doc: &str) -> Result<(), String> {
    let body = doc.strip_prefix("<!DOCTYPE html>\n").ok_or("no doctype")?;
    let mut stack: Vec<String> = Vec::new();
    let mut rest = body;
    while let Some(at) = rest.find(['<', '&']) {
        let (text, tail) = rest.split_at(at);
        let _ = text;
        if tail.starts_with('&') {
            let end = tail.find(';').ok_or("unterminated entity")?;
            let entity = &tail[1..end];
            if !["amp", "lt", "gt", "quot", "#39"].contains(&entity) {
                return Err(format!("unknown entity `{entity}`"));
            }
            rest = &tail[end + 1..];
            continue;
        }
        let end = tail.find('>').ok_or("unterminated tag")?;
        let tag = &tail[1..end];
        rest = &tail[end + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            match stack.pop() {
                Some(open) if open == name => {}
                other => return Err(format!("`</{name}>` closes {other:?}")),
            }
            continue;
        }
        let self_closing = tag.ends_with('/');
        let tag = tag.trim_end_matches('/');
        let mut parts = tag.splitn(2, ' ');
        let name = parts.next().unwrap_or_default();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(format!("bad tag `{tag}`"));
        }
        if let Some(attrs) = parts.next() {
            let mut a = attrs.trim();
            while !a.is_empty() {
                let eq = a
                    .find("=\"")
                    .ok_or(format!("unquoted attribute in `{tag}`"))?;
                let close = a[eq + 2..].find('"').ok_or("unterminated attribute")?;
                a = a[eq + 2 + close + 1..].trim_start();
            }
        }
        if !self_closing {
            stack.push(name.to_string());
        }
    }
    if stack.is_empty() {
        Ok(())
    } else {
        Err(format!("unclosed: {stack:?}"))
    }
}

#[test]
fn the_well_formedness_check_can_fail() {
    assert!(well_formed("<!DOCTYPE html>\n<html><p></html>").is_err());
    assert!(well_formed("<!DOCTYPE html>\n<html>a < b</html>").is_err());
    assert!(well_formed("<!DOCTYPE html>\n<html>a &nbsp; b</html>").is_err());
    assert!(well_formed("<!DOCTYPE html>\n<html><td class=x></td></html>").is_err());
    assert!(well_formed("<!DOCTYPE html>\n<html><meta a=\"b\"/>&amp;</html>").is_ok());
}

#[test]
fn guardrail_world_with_context() {
    for format in ["table", "json", "csv"] {
        let out = ramsim(&[
            "simulate",
            "--state",
            GUARDRAIL,
            "--principal",
            "netops",
            "--action",
            "vpc:*peer*",
            "--context",
            "acs:TargetRDPath=rd-abc123/r-root01/fd-dev01/5234567890123456",
            "--context",
            "acs:TargetRDId=rd-abc123",
            "--format",
            format,
        ]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        insta::assert_snapshot!(format!("guardrail_{format}"), out.stdout);
    }
}

#[test]
fn groups_roles_and_filters() {
    for format in ["table", "json", "csv"] {
        let out = ramsim(&[
            "simulate",
            "--state",
            TEAMS,
            "--principal",
            "group:auditors@A",
            "--principal",
            "role:NetworkAdmin@A",
            "--principal",
            "carol",
            "--resource",
            "acs:*:*:1234567890123456:*",
            "--format",
            format,
        ]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        insta::assert_snapshot!(format!("teams_{format}"), out.stdout);
    }
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        vec!["simulate", "--state", TEAMS, "--principal", "role:Nope@A"],
        vec!["simulate", "--state", TEAMS, "--principal", "group:x"],
        vec!["simulate", "--state", TEAMS, "--principal", "nobody"],
        vec![
            "simulate",
            "--state",
            "no-such-file.json",
            "--principal",
            "a",
        ],
        vec![
            "simulate",
            "--state",
            TEAMS,
            "--principal",
            "carol",
            "--context",
            "novalue",
        ],
    ] {
        let out = ramsim(&args);
        assert_eq!(out.code, 2, "{args:?}: {}", out.stdout);
        assert!(out.stderr.starts_with("error: "), "{}", out.stderr);
    }
}

#[test]
fn state_files_work_like_world_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("state.json");
    let state_arg = state.to_string_lossy().into_owned();
    let init = ramsim(&["init", "--world", PEERING, "--state", &state_arg]);
    assert_eq!(init.code, 0, "{}", init.stderr);
    let a = ramsim(&["simulate", "--state", &state_arg, "--principal", "netadmin"]);
    let b = ramsim(&["simulate", "--state", PEERING, "--principal", "netadmin"]);
    assert_eq!(a.code, 0);
    assert_eq!(a.stdout, b.stdout);
}

/// Gateway parameters for a simulate row, for the APIs the property samples.
fn params_for(row: &Row) -> Option<Map<String, Value>> {
    let res = row.resources.first()?;
    let parts: Vec<&str> = res.splitn(5, ':').collect();
    let region = parts.get(2).copied().filter(|r| !r.is_empty() && *r != "*");
    let id = res.rsplit_once('/').map(|(_, id)| id);
    let v = match row.api.as_str() {
        "DescribeVpcs"
        | "DescribeVSwitches"
        | "DescribeRouteTableList"
        | "ListVpcPeerConnections" => {
            json!({"RegionId": "cn-hangzhou"})
        }
        "CreateVpc" => json!({"RegionId": region?, "CidrBlock": "10.8.0.0/16"}),
        "CreateVSwitch" => {
            let vpc = row.resources.get(1)?.rsplit_once('/')?.1;
            json!({"RegionId": region?, "VpcId": vpc, "ZoneId": format!("{}-h", region?), "CidrBlock": "172.16.9.0/24"})
        }
        "CreateRouteEntry" => json!({"RegionId": region?, "RouteTableId": id?,
            "DestinationCidrBlock": "10.9.0.0/16", "NextHopType": "VpcPeer", "NextHopId": "pcc-none"}),
        "CreateUser" | "CreateAccessKey" => json!({"UserName": id?}),
        "CreatePolicy" => json!({"PolicyName": "sampled", "PolicyDocument":
            "{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"vpc:Describe*\",\"Resource\":\"*\"}]}"}),
        "GetCallerIdentity" => json!({}),
        _ => return None,
    };
    v.as_object().cloned()
}

const SAMPLED: [&str; 10] = [
    "vpc:DescribeVpcs",
    "vpc:DescribeVSwitches",
    "vpc:DescribeRouteTableList",
    "vpc:ListVpcPeerConnections",
    "vpc:CreateVpc",
    "vpc:CreateVSwitch",
    "vpc:CreateRouteEntry",
    "ram:CreateUser",
    "ram:CreateAccessKey",
    "sts:GetCallerIdentity",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn allowed_rows_are_not_forbidden_by_the_gateway(
        world in 0usize..3,
        who in 0usize..4,
        action in 0usize..SAMPLED.len(),
        pick in 0usize..64,
    ) {
        let (file, principals): (&str, &[&str]) = match world {
            0 => (PEERING, &["netops", "netadmin", "root@A", "root@C"]),
            1 => (GUARDRAIL, &["netops", "netadmin", "root@E", "root@M"]),
            _ => (TEAMS, &["carol", "root@A", "carol", "root@B"]),
        };
        let caller = principals[who % principals.len()];
        let state = load_state(&root().join(file)).expect("world");
        let subject = resolve(&state, &PrincipalSpec::parse(caller).expect("spec"), caller).expect("principal");
        let opts = SimulateOptions { action: Some(SAMPLED[action].to_string()), ..SimulateOptions::default() };
        let matrix = simulate(&state, &subject, &opts).expect("simulate");
        prop_assume!(!matrix.rows.is_empty());
        let row = &matrix.rows[pick % matrix.rows.len()];
        let Some(params) = params_for(row) else { return Ok(()); };
        let mut gw = Gateway::new(state);
        let result = gw.call(
            &Envelope { caller: caller.to_string(), ..Envelope::default() },
            &ApiRequest { product: None, action: row.api.clone(), params },
        );
        let code = result.error_code().unwrap_or("");
        if row.decision == Outcome::Allow {
            prop_assert!(
                !matches!(code, "Forbidden" | "Forbidden.NoPermission" | "NoPermission"),
                "simulate allowed {} {:?} for {caller} but the gateway said {code}: {}",
                row.action, row.resources, result.body
            );
        }
        if let Some(d) = result.decision {
            prop_assert_eq!(d.outcome, row.decision, "{} {:?} for {}", row.action, row.resources, caller);
        }
    }
}
