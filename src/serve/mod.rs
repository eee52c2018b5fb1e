//! `ramsim serve`: Alibaba Cloud's OpenAPI (RPC style) over HTTP, so that the official SDKs
//! run unmodified against the simulated cloud. One module per job:
//!
//! - [`sign`]: the two signature schemes (`ACS3-HMAC-SHA256`, RPC `HMAC-SHA1` 1.0);
//! - [`auth`]: authenticating a request (secret, token, signed time, nonce);
//! - [`wire`]: product routing by API version, parameter merging, error bodies;
//! - [`journal`]: the append-only journal, group commit, compaction, replay, the state lock;
//! - [`http`]: the hyper server, the access log, graceful shutdown.
//!
//! Every authenticated call goes through [`crate::api::Gateway::call`], the one door into the
//! world: authentication failures are answered before it (they are never decisions), and
//! everything else — authorization, the call itself, its audit event — happens inside it.

pub mod auth;
pub mod http;
pub mod journal;
pub mod sign;
pub mod wire;

use crate::api::{Gateway, SimState};
use http::{Core, ServeOptions, Server};
use journal::{GroupCommit, Journal};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Where the served state comes from.
#[derive(Debug, Clone)]
pub enum Source {
    /// A state file (with its journal), resumed; created from `world` first if given and the
    /// state file does not exist yet.
    State {
        /// The state file.
        path: PathBuf,
        /// A world file to initialize a missing state file from.
        world: Option<PathBuf>,
    },
    /// A world file, served from memory only (nothing is written).
    World(PathBuf),
}

/// Runs the server until SIGTERM/SIGINT. Prints `listening on ADDR` on stdout once bound.
pub fn run(source: &Source, options: ServeOptions) -> Result<(), String> {
    let mut lock = None;
    let commit = Arc::new(GroupCommit::new());
    let (gateway, journal) = match source {
        Source::World(w) => (Gateway::new(SimState::from_world_file(w)?), None),
        Source::State { path, world } => {
            lock = Some(journal::acquire_lock(path)?);
            if let Some(w) = world {
                if path.exists() {
                    return Err(format!(
                        "{}: already exists; serve it with --state alone, or choose a new path for --world",
                        path.display()
                    ));
                }
                let state = SimState::from_world_file(w)?;
                // A journal left beside a deleted state file is not this state's.
                crate::api::journal::truncate(path)?;
                state.save(path)?;
            }
            let (mut gateway, replayed) = journal::recover(path)?;
            let mut j = Journal::open(path, Arc::clone(&commit))?;
            // The recovered state becomes the state file; the journal starts empty.
            j.compact_now(&mut gateway.state, path, options.audit_keep)?;
            if replayed > 0 {
                eprintln!(
                    "ramsim serve: replayed {replayed} journaled calls into {}",
                    path.display()
                );
            }
            (gateway, Some((j, path.clone())))
        }
    };
    let mut sync_threads = Vec::new();
    if journal.is_some() {
        for _ in 0..options.journal_syncs.max(1) {
            let c = Arc::clone(&commit);
            sync_threads.push(
                std::thread::Builder::new()
                    .name("journal-sync".into())
                    .spawn(move || c.run())
                    .map_err(|e| format!("cannot start a journal thread: {e}"))?,
            );
        }
    }
    let state_path: Option<PathBuf> = journal.as_ref().map(|(_, p)| p.clone());
    let server = Arc::new(Server::new(
        Core {
            gateway,
            journal,
            since_compact: 0,
        },
        options.clone(),
        Arc::clone(&commit),
    ));
    let workers = match options.workers {
        0 => std::thread::available_parallelism().map_or(1, usize::from),
        n => n,
    };
    let runtime = if workers == 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .enable_all()
            .build()
    }
    .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let served = runtime.block_on(async {
        let shutdown = http::Shutdown::register()?;
        let listener = tokio::net::TcpListener::bind(options.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", options.listen))?;
        let addr = listener
            .local_addr()
            .map_err(|e| format!("cannot read the bound address: {e}"))?;
        println!("listening on {addr}");
        use std::io::Write;
        let _ = std::io::stdout().flush();
        http::serve(
            Arc::clone(&server),
            listener,
            shutdown,
            Duration::from_secs(10),
        )
        .await
    });
    runtime.shutdown_timeout(Duration::from_secs(1));
    let compacted = server.compact();
    commit.stop();
    for t in sync_threads {
        let _ = t.join();
    }
    drop(lock);
    served?;
    compacted?;
    if let Some(p) = state_path {
        eprintln!("ramsim serve: stopped; state written to {}", p.display());
    }
    Ok(())
}

/// The state path's lock file, for callers that want to check it (see [`journal::lock_path`]).
pub fn lock_path(state: &Path) -> PathBuf {
    journal::lock_path(state)
}
