//! `ram_decide` in SQL over a small table of audit events (JSON lines, and the same table written
//! to Parquet), checked against the answers `ramsim eval --requests` gives for the same
//! requests and against the decisions worked out by hand from the policies.

use datafusion::arrow::array::{Array, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::dataframe::DataFrameWriteOptions;
use datafusion::prelude::{JsonReadOptions, ParquetReadOptions, SessionContext};
use ramsim::engine::{CompiledPolicies, EvalOptions, StoreSpec};
use ramsim_datafusion::RamDecide;
use std::path::PathBuf;
use std::sync::Arc;

fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn policy_files() -> Vec<String> {
    vec![fixture("netops.json")]
}

fn policies() -> Arc<CompiledPolicies> {
    let spec = StoreSpec {
        identity: policy_files(),
        full_aliyun_access: true,
        ..StoreSpec::default()
    };
    Arc::new(
        CompiledPolicies::from_files(
            &spec,
            "1234567890123456",
            &Default::default(),
            EvalOptions::default(),
        )
        .expect("policies load"),
    )
}

const QUERY: &str = "SELECT event_id, \
    ram_decide(principal_type, account, principal, action, resource, context) AS decision \
    FROM events ORDER BY event_id";

/// (event_id, decision) rows of `sql`.
async fn rows(ctx: &SessionContext, sql: &str) -> Vec<(String, Option<String>)> {
    let batches = ctx
        .sql(sql)
        .await
        .expect("plans")
        .collect()
        .await
        .expect("runs");
    let mut out = Vec::new();
    for b in batches {
        let col = |i: usize| {
            let a = cast(b.column(i), &DataType::Utf8).expect("string column");
            a.as_any()
                .downcast_ref::<StringArray>()
                .expect("utf8")
                .clone()
        };
        let (ids, decisions) = (col(0), col(1));
        for i in 0..b.num_rows() {
            out.push((
                ids.value(i).to_string(),
                (!decisions.is_null(i)).then(|| decisions.value(i).to_string()),
            ));
        }
    }
    out
}

async fn session() -> SessionContext {
    let ctx = SessionContext::new();
    ctx.register_udf(RamDecide::udf(policies()));
    ctx.register_json(
        "events",
        fixture("audit-events.json"),
        JsonReadOptions::default(),
    )
    .await
    .expect("events table");
    ctx
}

/// What `ramsim eval --requests` answers for each event (events without an account excluded).
fn cli_answers() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(fixture("audit-events.json")).expect("fixture");
    let mut ids = Vec::new();
    let mut lines = String::new();
    for l in text.lines() {
        let e: serde_json::Value = serde_json::from_str(l).expect("event");
        if e["account"].is_null() {
            continue;
        }
        let mut req = serde_json::json!({
            "id": e["event_id"],
            "action": e["action"],
            "account": e["account"],
            "principal_type": e["principal_type"],
        });
        if let Some(p) = e["principal"].as_str() {
            req["principal_id"] = p.into();
        }
        if let Some(r) = e["resource"].as_str() {
            req["resource"] = r.into();
        }
        if let Some(c) = e["context"].as_str() {
            req["context"] = serde_json::from_str(c).expect("context json");
        }
        ids.push(e["event_id"].as_str().expect("id").to_string());
        lines.push_str(&req.to_string());
        lines.push('\n');
    }
    let mut argv = vec!["ramsim".to_string(), "eval".to_string()];
    for f in policy_files() {
        argv.push("--identity".into());
        argv.push(f);
    }
    argv.extend(["--requests".into(), "-".into()]);
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    let cli = ramsim::cli::Cli::try_from_args(&argv).expect("flags");
    let ramsim::cli::Command::Eval(args) = cli.command else {
        panic!("not eval");
    };
    let store = ramsim::cli::eval::build_store(&args).expect("store");
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let bad = ramsim::cli::eval::decide_stream(
        &args,
        &store,
        &args.eval_options(),
        lines.as_bytes(),
        "events",
        &mut out,
        &mut err,
    )
    .expect("decided");
    assert_eq!(bad, 0, "{}", String::from_utf8_lossy(&err));
    String::from_utf8(out)
        .expect("utf-8")
        .lines()
        .map(|l| {
            let r: serde_json::Value = serde_json::from_str(l).expect("record");
            (
                r["id"].as_str().expect("id").to_string(),
                r["decision"].as_str().expect("decision").to_string(),
            )
        })
        .inspect(|(id, _)| assert!(ids.contains(id)))
        .collect()
}

fn by_hand() -> Vec<(&'static str, Option<&'static str>)> {
    vec![
        ("e01", Some("Allow")),        // vpc:* from 10/8
        ("e02", Some("ImplicitDeny")), // outside the address ranges
        ("e03", Some("ExplicitDeny")), // production VPCs are never deleted
        ("e04", Some("Allow")),
        ("e05", Some("Allow")),        // tagged netops
        ("e06", Some("ImplicitDeny")), // tagged data
        ("e07", Some("Allow")),        // peering inside the directory path
        ("e08", Some("ExplicitDeny")), // peering outside it
        ("e09", Some("Allow")),        // cen:Describe*, a one-element list
        ("e10", Some("ImplicitDeny")), // nothing allows ram:*
        ("e11", Some("ImplicitDeny")), // another account's VPC needs a resource policy
        ("e12", Some("Allow")),        // the account's root
        ("e13", Some("Allow")),        // action and key names are case-insensitive
        ("e14", Some("ImplicitDeny")), // an unparseable IP fails closed
        ("e15", None),                 // no account: NULL
    ]
}

fn owned(v: Vec<(&str, Option<&str>)>) -> Vec<(String, Option<String>)> {
    v.into_iter()
        .map(|(a, b)| (a.to_string(), b.map(str::to_string)))
        .collect()
}

#[tokio::test]
async fn sql_over_json_events_matches_the_cli() {
    let ctx = session().await;
    let got = rows(&ctx, QUERY).await;
    assert_eq!(got, owned(by_hand()));
    let cli: Vec<(String, Option<String>)> = cli_answers()
        .into_iter()
        .map(|(id, d)| (id, Some(d)))
        .collect();
    let decided: Vec<(String, Option<String>)> =
        got.into_iter().filter(|(_, d)| d.is_some()).collect();
    assert_eq!(decided, cli);
}

#[tokio::test]
async fn the_same_query_over_parquet_and_in_aggregates() {
    let ctx = session().await;
    let dir = std::env::temp_dir().join(format!("ramsim-datafusion-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let path = format!("{}/", dir.to_str().expect("utf-8 path"));
    ctx.sql("SELECT * FROM events")
        .await
        .expect("plans")
        .write_parquet(&path, DataFrameWriteOptions::new(), None)
        .await
        .expect("writes parquet");
    let pq = SessionContext::new();
    pq.register_udf(RamDecide::udf(policies()));
    pq.register_parquet("events", &path, ParquetReadOptions::default())
        .await
        .expect("parquet table");
    assert_eq!(rows(&pq, QUERY).await, owned(by_hand()));
    // In a filter and an aggregate, as an audit query would use it.
    let denied = rows(
        &pq,
        "SELECT action AS event_id, CAST(COUNT(*) AS VARCHAR) AS n FROM events \
         WHERE ram_decide(principal_type, account, principal, action, resource, context) = 'ExplicitDeny' \
         GROUP BY action ORDER BY action",
    )
    .await;
    assert_eq!(
        denied,
        owned(vec![
            ("vpc:CreateVpcPeerConnection", Some("1")),
            ("vpc:DeleteVpc", Some("1")),
        ])
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn bad_arguments_fail_the_query() {
    let ctx = session().await;
    let err = ctx
        .sql("SELECT ram_decide(action, resource) FROM events")
        .await
        .expect_err("two arguments");
    assert!(err.to_string().contains("takes 6 arguments"), "{err}");
    let err = ctx
        .sql("SELECT ram_decide(principal_type, account, principal, action, resource, 42) FROM events")
        .await
        .expect_err("a number");
    assert!(
        err.to_string().contains("argument 6 must be a string"),
        "{err}"
    );
    let err = ctx
        .sql("SELECT ram_decide('RamUser', account, principal, action, resource, '{\"acs:SourceIp\": 1}') FROM events")
        .await
        .expect("plans")
        .collect()
        .await
        .expect_err("a number in the context");
    assert!(
        err.to_string().contains("row 0: context `acs:SourceIp`"),
        "{err}"
    );
    let err = ctx
        .sql(
            "SELECT ram_decide('Robot', account, principal, action, resource, context) FROM events",
        )
        .await
        .expect("plans")
        .collect()
        .await
        .expect_err("an unknown principal type");
    assert!(
        err.to_string().contains("unknown principal type `Robot`"),
        "{err}"
    );
}
