//! `ramsim keys`: the AccessKey pairs of a state's RAM users, to configure an SDK against
//! `ramsim serve` (secrets given in the world file, or derived from its id seed).

use super::{EXIT_OK, EXIT_USAGE};
use crate::api::SimState;
use crate::iam::secrets::Holder;
use clap::{Args, ValueEnum};
use serde_json::json;
use std::path::PathBuf;

/// Output format of `keys`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KeysFormat {
    /// One line per key: account, user, AccessKeyId, AccessKeySecret, status.
    Table,
    /// A JSON array of `{AccountId, UserName, AccessKeyId, AccessKeySecret, Status}`.
    Json,
}

/// Arguments of `ramsim keys`.
#[derive(Debug, Args)]
pub struct KeysArgs {
    /// State file (read only).
    #[arg(long)]
    pub state: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: KeysFormat,
}

/// Runs `ramsim keys`.
pub fn run(args: &KeysArgs) -> u8 {
    let state = match SimState::load(&args.state) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_USAGE;
        }
    };
    let rows: Vec<(String, String, String, String, String)> = state
        .iam
        .user_credentials(state.world.id_seed())
        .into_iter()
        .filter_map(|c| match c.holder {
            Holder::User { account, name } => {
                Some((account, name, c.access_key_id, c.secret, c.status))
            }
            Holder::Session { .. } => None,
        })
        .collect();
    match args.format {
        KeysFormat::Table => {
            println!(
                "{:<18}{:<20}{:<28}{:<32}STATUS",
                "ACCOUNT", "USER", "ACCESS KEY ID", "ACCESS KEY SECRET"
            );
            for (account, user, id, secret, status) in &rows {
                println!("{account:<18}{user:<20}{id:<28}{secret:<32}{status}");
            }
        }
        KeysFormat::Json => {
            let list: Vec<_> = rows
                .iter()
                .map(|(account, user, id, secret, status)| {
                    json!({"AccountId": account, "UserName": user, "AccessKeyId": id,
                           "AccessKeySecret": secret, "Status": status})
                })
                .collect();
            println!(
                "{}",
                serde_json::to_string_pretty(&list).unwrap_or_default()
            );
        }
    }
    EXIT_OK
}
