//! NIS: paths, analyses (Immediate and Stepped), parameter errors, quotas, and byte-identical
//! state after every failure.

use crate::cloud::nlb::tests::{instance, perr, pok, s, sg, vpc_with_zones};
use crate::cloud::options::SettleMode;
use crate::cloud::tests::{world, A, B};
use crate::cloud::World;
use serde_json::{json, Value};

const P: &str = "Nis";

/// A VPC of A with a server (tcp/80 open to the VPC, listening on 80) and a client in the
/// other zone: `(server, client, security group)`.
fn two_hosts(w: &mut World) -> (String, String, String) {
    let (vpc, vsws) = vpc_with_zones(w, A, "10.0.0.0/16");
    // Two groups: instances of one group reach each other on every port by default.
    let g = sg(w, A, &vpc, Some(("80/80", "10.0.0.0/16")));
    let server = instance(w, A, &vsws[0], &g, "tcp/80");
    let client_group = sg(w, A, &vpc, None);
    let client = instance(w, A, &vsws[1], &client_group, "");
    (server, client, g)
}

fn probe(from: &str, to: &str, port: u16) -> Value {
    json!({"RegionId": "cn-hangzhou", "SourceId": from, "SourceType": "ecs",
           "TargetId": to, "TargetType": "ecs", "Protocol": "tcp", "TargetPort": port})
}

fn get(w: &mut World, id: &str) -> Value {
    pok(
        w,
        A,
        P,
        "GetNetworkReachableAnalysis",
        json!({"NetworkReachableAnalysisId": id}),
    )
}

/// The result document inside a Get response (a JSON string, like the real API).
fn document(r: &Value) -> Value {
    serde_json::from_str(r["NetworkReachableAnalysisResult"].as_str().unwrap()).unwrap()
}

#[test]
fn create_and_analyze_answers_with_the_nis_document() {
    let mut w = world();
    let (server, client, _) = two_hosts(&mut w);
    let r = pok(
        &mut w,
        A,
        P,
        "CreateAndAnalyzeNetworkPath",
        probe(&client, &server, 80),
    );
    let id = s(&r, "NetworkReachableAnalysisId");
    assert!(id.starts_with("nra-"), "{id}");
    assert_eq!(
        (r["SourceId"].as_str(), r["TargetPort"].as_u64()),
        (Some(client.as_str()), Some(80))
    );
    let g = get(&mut w, &id);
    assert_eq!(g["NetworkReachableAnalysisStatus"], "finish");
    assert_eq!(g["Reachable"], true);
    assert_eq!(g["NetworkPathId"], "");
    assert_eq!(g["AliUid"], A);
    let doc = document(&g);
    assert_eq!(
        (doc["nraId"].as_str(), doc["errorCode"].as_str()),
        (Some(id.as_str()), Some(""))
    );
    assert!(!doc["topologyData"]["positive"]["nodeList"]
        .as_array()
        .unwrap()
        .is_empty());
    let param: Value = serde_json::from_str(g["NetworkPathParameter"].as_str().unwrap()).unwrap();
    assert_eq!(param["TargetId"], server.as_str());
}

#[test]
fn a_recorded_analysis_is_a_snapshot_of_the_world_when_it_ran() {
    let mut w = world();
    let (server, client, group) = two_hosts(&mut w);
    let mut path = probe(&client, &server, 22);
    path["NetworkPathName"] = json!("client-to-server-ssh");
    let np = s(
        &pok(&mut w, A, P, "CreateNetworkPath", path),
        "NetworkPathId",
    );
    assert!(np.starts_with("np-"), "{np}");
    let analyse = |w: &mut World| {
        s(
            &pok(
                w,
                A,
                P,
                "CreateNetworkReachableAnalysis",
                json!({"NetworkPathId": np}),
            ),
            "NetworkReachableAnalysisId",
        )
    };
    let first = analyse(&mut w);
    let r = get(&mut w, &first);
    assert_eq!(
        (r["Reachable"].as_bool(), r["NetworkPathId"].as_str()),
        (Some(false), Some(np.as_str()))
    );
    assert_eq!(document(&r)["errorCode"], "SG_INGRESS_DENY");
    // Open tcp/22 and analyse again: the new analysis passes, the old one keeps its answer.
    pok(
        &mut w,
        A,
        "Ecs",
        "AuthorizeSecurityGroup",
        json!({"RegionId": "cn-hangzhou", "SecurityGroupId": group,
               "Permissions.1.IpProtocol": "tcp", "Permissions.1.PortRange": "22/22",
               "Permissions.1.SourceCidrIp": "10.0.0.0/16"}),
    );
    let second = analyse(&mut w);
    assert_eq!(get(&mut w, &second)["Reachable"], true);
    assert_eq!(get(&mut w, &first)["Reachable"], false);
}

#[test]
fn parameter_errors_leave_the_world_unchanged() {
    let mut w = world();
    let (server, client, _) = two_hosts(&mut w);
    let with = |k: &str, v: Value| {
        let mut p = probe(&client, &server, 80);
        p[k] = v;
        p
    };
    let cases = [
        (
            with("SourceType", json!("lambda")),
            "IllegalParam.SourceType",
        ),
        (with("TargetType", json!("rds")), "IllegalParam.TargetType"),
        (with("TargetPort", json!(0)), "IllegalParam.TargetPort"),
        (with("TargetPort", json!(70000)), "IllegalParam.TargetPort"),
        (with("SourcePort", json!(-1)), "IllegalParam.SourcePort"),
        (with("Protocol", json!("sctp")), "IllegalParam.Protocol"),
        (
            with("SourceIpAddress", json!("10.0.0")),
            "IllegalParam.SourceIp",
        ),
        (
            with("SourceIpAddress", json!("10.0.2.250")),
            "IllegalParam.SourceIp",
        ),
        (
            with("TargetId", json!("vsw-abc123456")),
            "IllegalParam.TypeAndIdMismatch",
        ),
        (
            with("TargetId", json!(client.clone())),
            "IllegalParam.SourceEqualTarget",
        ),
        (
            with("SourceId", json!("i-doesnotexist1")),
            "IllegalParam.SourceId",
        ),
        (
            with("TargetId", json!("i-doesnotexist1")),
            "IllegalParam.TargetId",
        ),
        (with("TargetPort", Value::Null), "IllegalParam.TargetPort"),
        (with("Protocol", Value::Null), "MissingParameter.Protocol"),
    ];
    for (params, code) in cases {
        assert_eq!(
            perr(&mut w, A, P, "CreateAndAnalyzeNetworkPath", params.clone()),
            code,
            "{params}"
        );
        let mut named = params;
        named["NetworkPathName"] = json!("p");
        assert_eq!(perr(&mut w, A, P, "CreateNetworkPath", named), code);
    }
    for (action, params, code) in [
        (
            "CreateNetworkReachableAnalysis",
            json!({"NetworkPathId": "np-nope"}),
            "ResourceNotFound.NetworkPath",
        ),
        (
            "GetNetworkReachableAnalysis",
            json!({"NetworkReachableAnalysisId": "nra-nope"}),
            "ResourceNotFound.NetworkReachableAnalysis",
        ),
        (
            "DeleteNetworkReachableAnalysis",
            json!({"NetworkReachableAnalysisIds": "[\"nra-nope\"]"}),
            "ResourceNotFound.NetworkReachableAnalysis",
        ),
        (
            "DeleteNetworkPath",
            json!({"NetworkPathIds.1": "np-nope"}),
            "ResourceNotFound.NetworkPath",
        ),
        (
            "DeleteNetworkPath",
            json!({}),
            "MissingParameter.NetworkPathIds",
        ),
        (
            "GetNetworkReachableAnalysis",
            json!({"RegionId": "mars-1", "NetworkReachableAnalysisId": "nra-x"}),
            "InvalidRegionId.NotFound",
        ),
    ] {
        assert_eq!(perr(&mut w, A, P, action, params), code, "{action}");
    }
}

#[test]
fn analyses_belong_to_their_account_and_nis_must_be_activated() {
    let mut w = world();
    let (server, client, _) = two_hosts(&mut w);
    let id = s(
        &pok(
            &mut w,
            A,
            P,
            "CreateAndAnalyzeNetworkPath",
            probe(&client, &server, 80),
        ),
        "NetworkReachableAnalysisId",
    );
    assert_eq!(
        perr(
            &mut w,
            B,
            P,
            "GetNetworkReachableAnalysis",
            json!({"NetworkReachableAnalysisId": id})
        ),
        "ResourceNotFound.NetworkReachableAnalysis"
    );
    w.accounts.get_mut(A).unwrap().nis_opened = false;
    assert_eq!(
        perr(
            &mut w,
            A,
            P,
            "CreateAndAnalyzeNetworkPath",
            probe(&client, &server, 80)
        ),
        "Forbidden.NetworkPath"
    );
}

#[test]
fn unmodelled_sources_end_in_an_error_analysis() {
    let mut w = world();
    let (server, _, _) = two_hosts(&mut w);
    let mut p = probe("203.0.113.7", &server, 80);
    p["SourceType"] = json!("internetIp");
    let id = s(
        &pok(&mut w, A, P, "CreateAndAnalyzeNetworkPath", p),
        "NetworkReachableAnalysisId",
    );
    let g = get(&mut w, &id);
    assert_eq!(
        (
            g["NetworkReachableAnalysisStatus"].as_str(),
            g["Reachable"].as_bool()
        ),
        (Some("error"), Some(false))
    );
    assert_eq!(document(&g)["errorCode"], "UNSUPPORTED_SOURCE");
}

#[test]
fn path_quota_and_deletes() {
    let mut w = world();
    let (server, client, _) = two_hosts(&mut w);
    let mut ids = Vec::new();
    for i in 0..super::MAX_PATHS_PER_ACCOUNT {
        let mut p = probe(&client, &server, 80);
        p["NetworkPathName"] = json!(format!("p{i}"));
        ids.push(s(
            &pok(&mut w, A, P, "CreateNetworkPath", p),
            "NetworkPathId",
        ));
    }
    let mut p = probe(&client, &server, 80);
    p["NetworkPathName"] = json!("one-too-many");
    assert_eq!(
        perr(&mut w, A, P, "CreateNetworkPath", p.clone()),
        "QuotaExceeded.NetworkPath"
    );
    // Another account has its own quota.
    assert_eq!(w.nis.path_count(B), 0);
    let nra = s(
        &pok(
            &mut w,
            A,
            P,
            "CreateNetworkReachableAnalysis",
            json!({"NetworkPathId": ids[0]}),
        ),
        "NetworkReachableAnalysisId",
    );
    let r = pok(
        &mut w,
        A,
        P,
        "DeleteNetworkPath",
        json!({"NetworkPathIds": format!("[\"{}\",\"{}\"]", ids[0], ids[1])}),
    );
    assert_eq!(r["Data"], true);
    pok(&mut w, A, P, "CreateNetworkPath", p);
    // The deleted path's analysis stays readable until it is deleted itself.
    assert_eq!(get(&mut w, &nra)["NetworkPathId"], ids[0].as_str());
    pok(
        &mut w,
        A,
        P,
        "DeleteNetworkReachableAnalysis",
        json!({"NetworkReachableAnalysisIds.1": nra}),
    );
    assert_eq!(
        perr(
            &mut w,
            A,
            P,
            "GetNetworkReachableAnalysis",
            json!({"NetworkReachableAnalysisId": nra})
        ),
        "ResourceNotFound.NetworkReachableAnalysis"
    );
}

#[test]
fn unrecorded_analyses_are_bounded_per_account() {
    let mut w = world();
    let (server, client, _) = two_hosts(&mut w);
    let mut first = None;
    for _ in 0..super::UNRECORDED_KEPT + 1 {
        let id = s(
            &pok(
                &mut w,
                A,
                P,
                "CreateAndAnalyzeNetworkPath",
                probe(&client, &server, 80),
            ),
            "NetworkReachableAnalysisId",
        );
        first.get_or_insert(id);
    }
    assert_eq!(w.nis.analyses.len(), super::UNRECORDED_KEPT);
    assert!(!w.nis.analyses.contains_key(first.as_ref().unwrap()));
}

#[test]
fn stepped_analyses_run_when_they_settle_on_the_world_of_that_moment() {
    let mut w = world();
    let (server, client, g) = two_hosts(&mut w);
    w.options.settle = SettleMode::Stepped;
    let mut p = probe(&client, &server, 22);
    p["NetworkPathName"] = json!("ssh");
    let np = s(&pok(&mut w, A, P, "CreateNetworkPath", p), "NetworkPathId");
    let nra = s(
        &pok(
            &mut w,
            A,
            P,
            "CreateNetworkReachableAnalysis",
            json!({"NetworkPathId": np}),
        ),
        "NetworkReachableAnalysisId",
    );
    let g0 = get(&mut w, &nra);
    assert_eq!(
        (
            g0["NetworkReachableAnalysisStatus"].as_str(),
            g0["NetworkReachableAnalysisResult"].as_str()
        ),
        (Some("init"), Some(""))
    );
    assert_eq!(
        perr(
            &mut w,
            A,
            P,
            "CreateNetworkReachableAnalysis",
            json!({"NetworkPathId": np})
        ),
        "IncorrectStatus.NetworkPath"
    );
    assert_eq!(
        perr(
            &mut w,
            A,
            P,
            "DeleteNetworkPath",
            json!({"NetworkPathIds.1": np})
        ),
        "IncorrectStatus.NetworkPath"
    );
    // tcp/22 opens before the analysis runs: the analysis sees it.
    pok(
        &mut w,
        A,
        "Ecs",
        "AuthorizeSecurityGroup",
        json!({"RegionId": "cn-hangzhou", "SecurityGroupId": g, "Permissions.1.IpProtocol": "tcp",
               "Permissions.1.PortRange": "22/22", "Permissions.1.SourceCidrIp": "10.0.0.0/16"}),
    );
    w.settle();
    let g1 = get(&mut w, &nra);
    assert_eq!(
        (
            g1["NetworkReachableAnalysisStatus"].as_str(),
            g1["Reachable"].as_bool()
        ),
        (Some("finish"), Some(true))
    );
    // The clock reaching the due time runs it too.
    let nra2 = s(
        &pok(
            &mut w,
            A,
            P,
            "CreateNetworkReachableAnalysis",
            json!({"NetworkPathId": np}),
        ),
        "NetworkReachableAnalysisId",
    );
    assert_eq!(get(&mut w, &nra2)["NetworkReachableAnalysisStatus"], "init");
    let secs = w.options.settle_delay_secs;
    w.advance_clock_by(secs);
    assert_eq!(
        get(&mut w, &nra2)["NetworkReachableAnalysisStatus"],
        "finish"
    );
}

#[test]
fn the_state_round_trips_through_json() {
    let mut w = world();
    let before = serde_json::to_string(&w).unwrap();
    assert!(!before.contains("\"nis\""), "an empty NIS is left out");
    let (server, client, _) = two_hosts(&mut w);
    pok(
        &mut w,
        A,
        P,
        "CreateAndAnalyzeNetworkPath",
        probe(&client, &server, 80),
    );
    let text = serde_json::to_string(&w).unwrap();
    let back: World = serde_json::from_str(&text).unwrap();
    assert_eq!(serde_json::to_string(&back).unwrap(), text);
}
