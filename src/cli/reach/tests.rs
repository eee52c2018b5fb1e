use super::*;
use crate::cloud::ecs::security_group::Permission;
use crate::cloud::packet::Direction;
use crate::cloud::reach::fixture::{Net, A};

/// S1-A after step 12: the forward route exists, the return route does not.
fn s1a_step13() -> (SimState, String, String) {
    let mut n = Net::new();
    let (hz, rt_hz) = n.vpc(A, "cn-hangzhou", "10.0.0.0/8");
    let s_hz = n.vsw(A, &hz, "10.0.1.0/24");
    let g_hz = n.sg(A, &hz, "normal");
    n.rule(
        &g_hz,
        Direction::Ingress,
        Permission::cidr("TCP", "22/22", "172.16.0.0/12"),
    );
    let a = n.vm(A, &s_hz, &[&g_hz], Some("10.0.1.10"), "tcp/22");
    n.rename(&a, "hz-web");
    let (bj, _) = n.vpc(A, "cn-beijing", "172.16.0.0/12");
    let s_bj = n.vsw(A, &bj, "172.16.1.0/24");
    let g_bj = n.sg(A, &bj, "normal");
    n.rule(
        &g_bj,
        Direction::Ingress,
        Permission::cidr("TCP", "22/22", "10.0.0.0/8"),
    );
    let b = n.vm(A, &s_bj, &[&g_bj], Some("172.16.1.10"), "tcp/22");
    let pcc = n.peer(A, &hz, A, &bj);
    n.route(&rt_hz, "172.16.0.0/12", &pcc).unwrap();
    (SimState::new(n.w, Default::default(), 0), a, b)
}

fn args(from: &str, to: &str, format: ReachFormat) -> ReachArgs {
    ReachArgs {
        state: PathBuf::from("s1a.state"),
        from: Some(from.into()),
        to: Some(to.into()),
        protocol: "tcp".into(),
        port: Some(22),
        source_port: None,
        matrix: false,
        jobs: 1,
        format,
    }
}

#[test]
fn human_report_names_the_failing_check_and_the_fix() {
    let (st, a, b) = s1a_step13();
    let (text, code) = report(
        &args("ecs:hz-web", &format!("ecs:{b}"), ReachFormat::Human),
        &st,
    )
    .unwrap();
    assert_eq!(code, EXIT_FINDINGS);
    insta::assert_snapshot!("reach_s1a_step13_human", text);
    // the id, a bare id and the address name the same instance
    for from in [format!("ecs:{a}"), a.clone(), "10.0.1.10".to_string()] {
        let (t, _) = report(&args(&from, &b, ReachFormat::Human), &st).unwrap();
        assert_eq!(t, text.replace(&format!("ecs:{b}"), &b));
    }
    // by address, and the reverse direction fails on the forward route back
    let (text, _) = report(&args("172.16.1.10", "10.0.1.10", ReachFormat::Human), &st).unwrap();
    assert!(text.contains("ROUTE_NOT_FOUND"), "{text}");
}

#[test]
fn json_report_is_the_nis_document_with_the_fix() {
    let (st, a, b) = s1a_step13();
    let (text, code) = report(&args(&a, &b, ReachFormat::Json), &st).unwrap();
    assert_eq!(code, EXIT_FINDINGS);
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["errorCode"], "RETURN_ROUTE_NOT_FOUND");
    assert_eq!(v["fix"]["action"], "CreateRouteEntry");
    assert_eq!(v["fix"]["parameters"]["DestinationCidrBlock"], "10.0.0.0/8");
    assert!(v["fix"]["aliyun"]
        .as_str()
        .unwrap()
        .starts_with("aliyun vpc CreateRouteEntry --RegionId cn-beijing"));
}

#[test]
fn the_printed_fix_runs_through_the_gateway() {
    // the route fix is a VPC API, already on the gateway: feed the printed line to it
    let (st, a, b) = s1a_step13();
    let (text, _) = report(&args(&a, &b, ReachFormat::Json), &st).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    let line = v["fix"]["aliyun"].as_str().unwrap().to_string();
    let req = crate::api::parse_cli_line(&line).unwrap();
    let mut gw = crate::api::Gateway::new(st);
    let env = crate::api::Envelope {
        caller: format!("root@{}", v["fix"]["caller"].as_str().unwrap()),
        source_ip: None,
        secure_transport: Some(true),
        mfa: None,
        source_vpc: None,
        time: None,
        user_agent: None,
    };
    let r = gw.call(&env, &req);
    assert!(r.is_success(), "{:?}", r.body);
    let st = gw.into_state();
    let (_, code) = report(&args(&a, &b, ReachFormat::Human), &st).unwrap();
    assert_eq!(code, EXIT_OK);
}

#[test]
fn bad_endpoints_and_probes_are_usage_errors() {
    let (st, a, _) = s1a_step13();
    let e = report(&args("ecs:nosuch", &a, ReachFormat::Human), &st).unwrap_err();
    assert_eq!(
        e,
        "--from `ecs:nosuch`: no instance named or with id `nosuch`"
    );
    let e = report(&args(&a, "ip:vpc-x/1.2.3", ReachFormat::Human), &st).unwrap_err();
    assert_eq!(e, "--to `ip:vpc-x/1.2.3`: `1.2.3` is not an IPv4 address");
    let e = report(&args(&a, "ip:vpc-nosuch/10.0.0.1", ReachFormat::Human), &st).unwrap_err();
    assert_eq!(e, "IllegalParam.TargetId: VPC `vpc-nosuch` does not exist");
    let mut x = args(&a, "10.0.1.10", ReachFormat::Human);
    x.port = None;
    assert!(report(&x, &st).unwrap_err().starts_with("IllegalParam"));
    let mut x = args(&a, "10.9.9.9", ReachFormat::Csv);
    x.protocol = "sctp".into();
    assert_eq!(
        report(&x, &st).unwrap_err(),
        "protocol `sctp` is not tcp, udp or icmp"
    );
}

#[test]
fn matrix_as_table_and_csv_is_the_same_on_any_number_of_threads() {
    let (st, a, b) = s1a_step13();
    let mut m = args("", "", ReachFormat::Csv);
    m.from = None;
    m.to = None;
    m.matrix = true;
    let (csv, code) = report(&m, &st).unwrap();
    assert_eq!(code, EXIT_OK);
    let (mut lines, want) = (
        csv.lines(),
        [
            "from,to,reachable,code".to_string(),
            format!("{a},{b},false,RETURN_ROUTE_NOT_FOUND"),
            format!("{b},{a},false,ROUTE_NOT_FOUND"),
        ],
    );
    let mut sorted_want = want[1..].to_vec();
    sorted_want.sort();
    assert_eq!(lines.next(), Some(want[0].as_str()));
    let mut got: Vec<String> = lines.map(str::to_string).collect();
    got.sort();
    assert_eq!(got, sorted_want);
    m.jobs = 3;
    assert_eq!(report(&m, &st).unwrap().0, csv);
    m.port = None;
    assert!(report(&m, &st)
        .unwrap_err()
        .starts_with("IllegalParam.TargetPort"));
    m.port = Some(22);
    m.format = ReachFormat::Human;
    let (table, _) = report(&m, &st).unwrap();
    assert!(
        table.contains("RETURN_ROUTE_NOT_FOUND") && table.contains("#2 = "),
        "{table}"
    );
}

#[test]
fn dot_and_svg_pictures() {
    let (st, a, b) = s1a_step13();
    let (dot, _) = report(&args(&a, &b, ReachFormat::Dot), &st).unwrap();
    assert!(dot.starts_with("digraph reach {"));
    assert_eq!(dot.matches("subgraph cluster_").count(), 2);
    assert_eq!(dot.matches("penwidth=2").count(), 1);
    assert!(dot.contains("style=dashed"));
    let (svg, _) = report(&args(&a, &b, ReachFormat::Svg), &st).unwrap();
    assert!(svg.starts_with("<svg ") && svg.trim_end().ends_with("</svg>"));
    assert!(svg.contains("RETURN_ROUTE_NOT_FOUND"));
    assert_eq!(svg.matches("stroke=\"#d00000\"").count(), 1);
    if let Ok(dir) = std::env::var("RAMSIM_REACH_SVG_OUT") {
        std::fs::write(std::path::Path::new(&dir).join("reach.svg"), &svg).unwrap();
    }
}

#[test]
fn a_world_without_instances_has_an_empty_matrix() {
    let st = SimState::new(Net::new().w, Default::default(), 0);
    let mut m = args("", "", ReachFormat::Human);
    (m.from, m.to, m.matrix) = (None, None, true);
    let (text, code) = report(&m, &st).unwrap();
    assert_eq!(
        (text.as_str(), code),
        (
            "no ECS instances in this world: nothing to compare\n",
            EXIT_OK
        )
    );
}
