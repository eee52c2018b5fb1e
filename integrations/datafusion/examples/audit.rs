//! Runs SQL with `ram_decide` over a table of audit events.
//!
//! ```sh
//! cargo run --example audit -- --identity POLICY.json [--identity …] --table EVENTS.json|DIR.parquet/ 'SQL'
//! ```
//!
//! The table is registered as `events` (JSON lines when the path ends in `.json`, Parquet
//! otherwise); the result is printed as a table.

use datafusion::prelude::{JsonReadOptions, ParquetReadOptions, SessionContext};
use ramsim::engine::{CompiledPolicies, EvalOptions, StoreSpec};
use ramsim_datafusion::RamDecide;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut identity = Vec::new();
    let mut table = None;
    let mut sql = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--identity" => identity.push(args.next().ok_or("--identity FILE")?),
            "--table" => table = Some(args.next().ok_or("--table PATH")?),
            _ => sql = Some(a),
        }
    }
    let (Some(table), Some(sql)) = (table, sql) else {
        return Err("usage: audit --identity POLICY.json … --table EVENTS 'SQL'".into());
    };
    let spec = StoreSpec {
        identity,
        ..StoreSpec::default()
    };
    let policies =
        CompiledPolicies::from_files(&spec, "member", &Default::default(), EvalOptions::default())?;
    let ctx = SessionContext::new();
    ctx.register_udf(RamDecide::udf(Arc::new(policies)));
    if table.ends_with(".json") {
        ctx.register_json("events", &table, JsonReadOptions::default())
            .await?;
    } else {
        ctx.register_parquet("events", &table, ParquetReadOptions::default())
            .await?;
    }
    ctx.sql(&sql).await?.show().await?;
    Ok(())
}
