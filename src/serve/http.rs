//! The HTTP/1.1 server (hyper on tokio): one task per connection with keep-alive, requests
//! authenticated in parallel, calls serialized through the one gateway, answers sent once the
//! call is durable, one access-log line per request, graceful shutdown on SIGTERM/SIGINT.

use super::auth::{authenticate, AuthOptions, NonceCache, RequestView};
use super::journal::{Arriving, GroupCommit, Journal, Record};
use super::wire::{error_body, product_of_version, route, WireError};
use crate::api::{ApiRequest, Envelope, Gateway};
use crate::cloud::ids::splitmix64;
use crate::cloud::Timestamp;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Largest request body accepted (ASSUMED: the SDKs' bodies are a few KiB; policy documents
/// are at most 6,144 characters).
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// How the server runs.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Address to listen on (`127.0.0.1:0` picks a free port).
    pub listen: SocketAddr,
    /// Check signed times against the server's clock.
    pub skew_check: bool,
    /// Print the canonical request on a signature mismatch.
    pub verbose: bool,
    /// Compact the journal into the state file after this many calls.
    pub compact_every: u64,
    /// Write an access-log line per request to stderr.
    pub access_log: bool,
    /// Audit events kept in memory (and in the state file); older ones go to the archive
    /// beside a state file at each compaction, or are dropped when serving a world from memory.
    pub audit_keep: usize,
    /// Runtime threads for the connections (1: a single-threaded runtime; 0: one per core).
    pub workers: usize,
    /// Journal commit threads, hence syncs in flight at once (at least 1).
    pub journal_syncs: usize,
}

/// The gateway with its journal: the one writer.
pub struct Core {
    /// The gateway every call goes through.
    pub gateway: Gateway,
    /// The journal and the state file it compacts into (`None`: in memory only).
    pub journal: Option<(Journal, PathBuf)>,
    /// Calls since the last compaction.
    pub since_compact: u64,
}

/// Everything the request handlers share.
pub struct Server {
    core: RwLock<Core>,
    nonces: Mutex<NonceCache>,
    options: ServeOptions,
    commit: Arc<GroupCommit>,
    /// Set when the journal could not be written: the server then refuses every call.
    broken: AtomicBool,
    wire_errors: AtomicU64,
    /// Set once events were dropped from an in-memory trail (the notice is printed once).
    dropped_events: AtomicBool,
}

fn wall_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The request id header of every answer (a constant: not parsed per answer).
const X_ACS_REQUEST_ID: hyper::header::HeaderName =
    hyper::header::HeaderName::from_static("x-acs-request-id");

/// The client of one connection, its address text made once (every call's envelope carries it).
pub struct Peer {
    /// The client's IP address as text.
    pub ip: String,
}

impl Peer {
    /// The peer at `addr`.
    pub fn new(addr: SocketAddr) -> Peer {
        Peer {
            ip: addr.ip().to_string(),
        }
    }
}

fn json_response(status: u16, request_id: &str, body: &Value) -> Response<Full<Bytes>> {
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
    json_bytes_response(status, request_id, bytes)
}

/// [`json_response`] for a body already written as JSON.
fn json_bytes_response(status: u16, request_id: &str, bytes: Vec<u8>) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(bytes)));
    *r.status_mut() =
        hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    let h = r.headers_mut();
    h.insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json;charset=utf-8"),
    );
    if let Ok(v) = hyper::header::HeaderValue::from_str(request_id) {
        h.insert(X_ACS_REQUEST_ID, v);
    }
    r
}

fn dash(field: &str) -> &str {
    if field.is_empty() {
        "-"
    } else {
        field
    }
}

/// What the access log says about one request (filled only when the log is on; an empty
/// field prints as `-`).
#[derive(Default)]
struct LogLine {
    action: String,
    access_key: String,
    code: String,
}

impl Server {
    /// A server over `core`.
    pub fn new(core: Core, options: ServeOptions, commit: Arc<GroupCommit>) -> Server {
        Server {
            core: RwLock::new(core),
            nonces: Mutex::new(NonceCache::default()),
            options,
            commit,
            broken: AtomicBool::new(false),
            wire_errors: AtomicU64::new(0),
            dropped_events: AtomicBool::new(false),
        }
    }

    /// A request id for answers given before the gateway (no state changes, so they are not
    /// drawn from the state's counter); deterministic per server run.
    fn wire_request_id(&self) -> String {
        let n = self.wire_errors.fetch_add(1, Ordering::Relaxed);
        let (a, b) = (splitmix64(n ^ 0xA5A5), splitmix64(n ^ 0x5A5A));
        format!(
            "{:08X}-{:04X}-4{:03X}-{:04X}-{:012X}",
            a >> 32,
            (a >> 16) & 0xFFFF,
            a & 0xFFF,
            0x8000 | ((b >> 48) & 0x3FFF),
            b & 0xFFFF_FFFF_FFFF
        )
    }

    fn wire_error(&self, e: &WireError, host: &str, log: &mut LogLine) -> Response<Full<Bytes>> {
        let id = self.wire_request_id();
        if self.options.access_log {
            log.code = e.code.to_string();
        }
        if self.options.verbose {
            if let Some(c) = &e.canonical {
                eprintln!(
                    "ramsim serve: {} {}: the server's canonical request:\n{c}\n---",
                    e.code, id
                );
            }
        }
        json_response(e.status, &id, &error_body(&id, host, e.code, &e.message))
    }

    /// Handles one request from `peer`.
    pub async fn handle(
        self: Arc<Self>,
        req: Request<Incoming>,
        peer: &Peer,
    ) -> Response<Full<Bytes>> {
        let started = Instant::now();
        let (parts, body) = req.into_parts();
        let mut log = LogLine::default();
        let host = parts
            .headers
            .get("host")
            .and_then(|h| h.to_str().ok())
            .unwrap_or("");
        let response = match Limited::new(body, MAX_BODY_BYTES).collect().await {
            Err(_) => self.wire_error(
                &WireError {
                    status: 413,
                    code: "RequestEntityTooLarge",
                    message: format!("The request body is larger than {MAX_BODY_BYTES} bytes."),
                    canonical: None,
                },
                host,
                &mut log,
            ),
            Ok(collected) => {
                let body = collected.to_bytes();
                let arriving = self.commit.arriving();
                self.serve_one(&parts, &body, peer, host, &mut log, arriving)
                    .await
            }
        };
        if self.options.access_log {
            let line = format!(
                "{} {} {} {} {} {} {} {} {}us\n",
                Timestamp::from_epoch(wall_now()),
                peer.ip,
                parts.method,
                parts.uri.path(),
                dash(&log.action),
                dash(&log.access_key),
                response.status().as_u16(),
                dash(&log.code),
                started.elapsed().as_micros()
            );
            let _ = std::io::Write::write_all(&mut std::io::stderr().lock(), line.as_bytes());
        }
        response
    }

    async fn serve_one(
        &self,
        parts: &hyper::http::request::Parts,
        body: &[u8],
        peer: &Peer,
        host: &str,
        log: &mut LogLine,
        arriving: Arriving<'_>,
    ) -> Response<Full<Bytes>> {
        // Header names arrive lowercase (hyper's `HeaderName`); values are borrowed unless
        // they are not UTF-8, and those few are decoded lossily into `lossy`, then filled in.
        let mut headers: Vec<(&str, &str)> = Vec::with_capacity(parts.headers.len());
        let mut lossy: Vec<(usize, String)> = Vec::new();
        for (k, v) in &parts.headers {
            let value = std::str::from_utf8(v.as_bytes()).unwrap_or_else(|_| {
                lossy.push((
                    headers.len(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                ));
                ""
            });
            headers.push((k.as_str(), value));
        }
        for (i, value) in &lossy {
            headers[*i].1 = value;
        }
        let view = RequestView {
            method: parts.method.as_str(),
            path: parts.uri.path(),
            query: parts.uri.query().unwrap_or(""),
            headers: &headers,
            body,
        };
        let version_host = view
            .header("x-acs-version")
            .and_then(product_of_version)
            .map_or(host, |(_, h)| h);
        if self.options.access_log {
            if let Some(a) = view.header("x-acs-action") {
                log.action = a.to_string();
            }
        }
        let auth = authenticate(
            &view,
            AuthOptions {
                skew_check: self.options.skew_check,
            },
            wall_now(),
            |id| match self.core.read() {
                Ok(core) => {
                    let st = &core.gateway.state;
                    (st.iam.credential(st.world.id_seed(), id), st.world.now())
                }
                Err(_) => (None, Timestamp::from_epoch(0)),
            },
            &self.nonces,
        );
        let auth = match auth {
            Ok(a) => a,
            Err(e) => return self.wire_error(&e, version_host, log),
        };
        if self.options.access_log {
            log.action = format!("{}@{}", auth.action, auth.version);
            log.access_key = auth.access_key_id.clone();
        }
        let (product, product_host) = match product_of_version(&auth.version) {
            Some(p) => p,
            None => ("", host),
        };
        if parts.uri.path() != "/" {
            let e = WireError {
                status: 404,
                code: "InvalidAction.NotFound",
                message: format!(
                    "Only RPC-style calls on `/` are modeled, not `{}`.",
                    parts.uri.path()
                ),
                canonical: None,
            };
            return self.wire_error(&e, product_host, log);
        }
        if let Err(e) = route(&auth.version, &auth.action) {
            return self.wire_error(&e, product_host, log);
        }
        if self.broken.load(Ordering::Relaxed) {
            let e = WireError {
                status: 503,
                code: "ServiceUnavailable",
                message: "The journal could not be written; the server accepts no more calls."
                    .into(),
                canonical: None,
            };
            return self.wire_error(&e, product_host, log);
        }
        let envelope = Envelope {
            caller: auth.access_key_id,
            source_ip: Some(peer.ip.clone()),
            secure_transport: Some(false),
            mfa: None,
            source_vpc: None,
            time: Some(auth.time.to_string()),
            user_agent: view.header("user-agent").map(str::to_string),
        };
        let request = ApiRequest {
            product: Some(product.to_string()),
            action: auth.action,
            params: auth.params,
        };
        let (result, seq) = {
            let mut core = match self.core.write() {
                Ok(c) => c,
                Err(p) => p.into_inner(),
            };
            let at = core.gateway.state.requests;
            let result = core.gateway.call(&envelope, &request);
            let mut seq = None;
            let core = &mut *core;
            if let Some((journal, state_path)) = core.journal.as_mut() {
                let record = Record {
                    at,
                    envelope,
                    request,
                };
                match journal.append(&record) {
                    Ok(n) => {
                        seq = Some(n);
                        core.since_compact += 1;
                        if core.since_compact >= self.options.compact_every {
                            match journal.compact(
                                &mut core.gateway.state,
                                state_path,
                                self.options.audit_keep,
                            ) {
                                Ok(started) => {
                                    if started {
                                        core.since_compact = 0;
                                    }
                                }
                                Err(e) => eprintln!("ramsim serve: compaction failed (the journal keeps every call): {e}"),
                            }
                        }
                    }
                    Err(e) => {
                        eprintln!("ramsim serve: {e}; refusing further calls");
                        self.broken.store(true, Ordering::Relaxed);
                        let e = WireError {
                            status: 503,
                            code: "ServiceUnavailable",
                            message: "The call could not be journaled.".into(),
                            canonical: None,
                        };
                        return self.wire_error(&e, product_host, log);
                    }
                }
            }
            if core.journal.is_none() {
                self.drop_oldest_events(&mut core.gateway.state);
            }
            (result, seq)
        };
        // Queued (or nothing to queue): the next group need not wait for this call.
        drop(arriving);
        if let Some(seq) = seq {
            self.commit.durable(seq).await;
        }
        if self.options.access_log {
            if let Some(code) = result.error_code() {
                log.code = code.to_string();
            }
        }
        // A typed answer is written straight from its struct, never built as a `Value`.
        let mut bytes = Vec::with_capacity(512);
        result.body.write_json(&mut bytes);
        json_bytes_response(result.http_status, &result.request_id, bytes)
    }

    /// Serving a world from memory, nothing is written: past `audit_keep` events by a quarter
    /// (so the trail is cut once per many calls, not on every one), the oldest are dropped.
    fn drop_oldest_events(&self, state: &mut crate::api::SimState) {
        let keep = self.options.audit_keep;
        if state.audit.len() > keep.saturating_add(keep / 4).max(keep + 1) {
            let excess = state.audit.len() - keep;
            state.audit.drain(..excess);
            if !self.dropped_events.swap(true, Ordering::Relaxed) {
                eprintln!(
                    "ramsim serve: the audit trail passed --audit-keep {keep} events; the oldest are dropped from now on (serve --state keeps them in <state>.audit.jsonl)"
                );
            }
        }
    }

    /// Writes the state file and empties the journal (at shutdown).
    pub fn compact(&self) -> Result<(), String> {
        let mut core = match self.core.write() {
            Ok(c) => c,
            Err(p) => p.into_inner(),
        };
        let core = &mut *core;
        if let Some((journal, path)) = core.journal.as_mut() {
            journal.compact_now(&mut core.gateway.state, path, self.options.audit_keep)?;
            core.since_compact = 0;
        }
        Ok(())
    }
}

/// SIGTERM and SIGINT, registered at once (a signal that arrives after this call and before
/// the server polls it is not lost).
pub struct Shutdown {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
}

impl Shutdown {
    /// Registers the handlers (inside a tokio runtime).
    pub fn register() -> Result<Shutdown, String> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let term = signal(SignalKind::terminate())
                .map_err(|e| format!("cannot handle SIGTERM: {e}"))?;
            let int = signal(SignalKind::interrupt())
                .map_err(|e| format!("cannot handle SIGINT: {e}"))?;
            Ok(Shutdown { term, int })
        }
        #[cfg(not(unix))]
        {
            Ok(Shutdown {})
        }
    }

    /// Resolves on the first SIGTERM or SIGINT.
    async fn wait(mut self) {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.term.recv() => {}
                _ = self.int.recv() => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// Accepts connections until SIGTERM/SIGINT, then lets open connections finish their
/// current request (at most `grace`), and returns.
pub async fn serve(
    server: Arc<Server>,
    listener: tokio::net::TcpListener,
    shutdown: Shutdown,
    grace: Duration,
) -> Result<(), String> {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut connections = tokio::task::JoinSet::new();
    let signal = shutdown.wait();
    tokio::pin!(signal);
    loop {
        tokio::select! {
            _ = &mut signal => break,
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(x) => x,
                    Err(e) => {
                        eprintln!("ramsim serve: accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let server = Arc::clone(&server);
                let mut stop = stop_rx.clone();
                let peer = Arc::new(Peer::new(peer));
                connections.spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let (server, peer) = (Arc::clone(&server), Arc::clone(&peer));
                        async move { Ok::<_, std::convert::Infallible>(server.handle(req, &peer).await) }
                    });
                    let conn = hyper::server::conn::http1::Builder::new()
                        .keep_alive(true)
                        .serve_connection(TokioIo::new(stream), service);
                    tokio::pin!(conn);
                    tokio::select! {
                        _ = conn.as_mut() => {}
                        _ = stop.changed() => {
                            conn.as_mut().graceful_shutdown();
                            let _ = conn.await;
                        }
                    }
                });
                while connections.try_join_next().is_some() {}
            }
        }
    }
    let _ = stop_tx.send(true);
    let drained = tokio::time::timeout(grace, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        connections.abort_all();
    }
    Ok(())
}
