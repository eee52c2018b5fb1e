//! `ramsim serve` over HTTP/1.1 with keep-alive: sustained calls/s and p50/p99 latency of
//! signed calls (ACS3-HMAC-SHA256, a fresh nonce and signature per request, signed by the load
//! generator), against a plain hyper server answering a fixed body as the ceiling, in one run.
//!
//! `cargo bench --bench serve` (RAMSIM_BENCH_SECS per phase, default 5; RAMSIM_BENCH_CONNS
//! connections, default 32). The server is the release `ramsim` binary in its own process.
//!
//! Profiling per request: `RAMSIM_BENCH_ONLY` runs one phase (`ceiling`, `get-journal`,
//! `write`, `get-memory`), `RAMSIM_BENCH_MAX_CALLS` bounds the calls of a phase, and
//! `RAMSIM_BENCH_BIN` replaces the server binary (to compare builds in one minute),
//! `RAMSIM_BENCH_SERVE_ARGS` adds arguments to the server's (`--journal-syncs 2`), and
//! `RAMSIM_BENCH_WRAP` prefixes the server's command line, e.g.
//! `RAMSIM_BENCH_WRAP="valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.%p"`: two runs
//! with different call counts give the instructions (or syscalls, with `strace -c -f`) per call.

use bytes::Bytes;
use http_body_util::Full;
use hyper_util::rt::TokioIo;
use ramsim::serve::sign::{
    acs3_canonical_request, acs3_signature, acs3_string_to_sign, sha256_hex,
};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const AK: &str = "LTAI5tLoadAdminExample01";
const SECRET: &str = "loadAdminSecretForLocalTest1";

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One signed RPC request (ACS3), with its body as form parameters.
fn signed_request(
    host: &str,
    version: &str,
    action: &str,
    body: &str,
    nonce: u64,
    date: &str,
) -> Vec<u8> {
    let hash = sha256_hex(body.as_bytes());
    let nonce = format!("{nonce:032x}");
    let headers = [
        ("content-type", "application/x-www-form-urlencoded"),
        ("host", host),
        ("x-acs-action", action),
        ("x-acs-content-sha256", hash.as_str()),
        ("x-acs-date", date),
        ("x-acs-signature-nonce", nonce.as_str()),
        ("x-acs-version", version),
    ];
    let signed = headers
        .iter()
        .map(|(k, _)| *k)
        .collect::<Vec<_>>()
        .join(";");
    let canonical = acs3_canonical_request(
        "POST",
        "/",
        &[],
        &signed,
        |n| {
            headers
                .iter()
                .filter(move |(k, _)| *k == n)
                .map(|(_, v)| *v)
        },
        &hash,
    )
    .unwrap_or_default();
    let signature = acs3_signature(SECRET, &acs3_string_to_sign(&canonical));
    let mut out = format!("POST / HTTP/1.1\r\ncontent-length: {}\r\n", body.len());
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str(&format!(
        "authorization: ACS3-HMAC-SHA256 Credential={AK},SignedHeaders={signed},Signature={signature}\r\n\r\n{body}"
    ));
    out.into_bytes()
}

/// Reads one HTTP/1.1 response (Content-Length framed); returns the status.
async fn read_response(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<u16> {
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = std::str::from_utf8(&buf[..end]).ok()?;
            let status: u16 = head.split(' ').nth(1)?.parse().ok()?;
            let len: usize = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse().ok())?
                })
                .unwrap_or(0);
            while buf.len() < end + 4 + len {
                let mut chunk = [0u8; 16384];
                let n = stream.read(&mut chunk).await.ok()?;
                if n == 0 {
                    return None;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            buf.drain(..end + 4 + len);
            return Some(status);
        }
        let mut chunk = [0u8; 16384];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

struct Phase {
    name: &'static str,
    calls: u64,
    secs: f64,
    p50_us: u64,
    p99_us: u64,
    errors: u64,
}

/// `conns` keep-alive connections, each sending requests back to back for `secs` (or until the
/// requests made beforehand run out). Requests are signed before the clock starts, so the
/// generator's own signing does not compete with the server for the two cores.
fn load(
    name: &'static str,
    addr: SocketAddr,
    conns: u64,
    secs: u64,
    make: Arc<dyn Fn(u64) -> Vec<u8> + Send + Sync>,
) -> Phase {
    let count = env_u64("RAMSIM_BENCH_MAX_CALLS", 400_000);
    let requests: Arc<Vec<Vec<u8>>> = Arc::new((0..count).map(|n| make(n)).collect());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("client runtime");
    let counter = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    // (requests were made above, before `started`)
    let deadline = started + Duration::from_secs(secs);
    let mut latencies: Vec<u64> = rt.block_on(async {
        let mut tasks = Vec::new();
        for _ in 0..conns {
            let (requests, counter, errors) = (requests.clone(), counter.clone(), errors.clone());
            tasks.push(tokio::spawn(async move {
                let mut lat = Vec::new();
                let Ok(mut stream) = TcpStream::connect(addr).await else {
                    errors.fetch_add(1, Ordering::Relaxed);
                    return lat;
                };
                let _ = stream.set_nodelay(true);
                let mut buf = Vec::with_capacity(4096);
                while Instant::now() < deadline {
                    let Some(req) = requests.get(counter.fetch_add(1, Ordering::Relaxed) as usize)
                    else {
                        break;
                    };
                    let t = Instant::now();
                    if stream.write_all(req).await.is_err() {
                        errors.fetch_add(1, Ordering::Relaxed);
                        break;
                    }
                    match read_response(&mut stream, &mut buf).await {
                        Some(200) => lat.push(t.elapsed().as_micros() as u64),
                        Some(_) => {
                            errors.fetch_add(1, Ordering::Relaxed);
                        }
                        None => {
                            errors.fetch_add(1, Ordering::Relaxed);
                            break;
                        }
                    }
                }
                lat
            }));
        }
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await.unwrap_or_default());
        }
        all
    });
    let secs = started.elapsed().as_secs_f64();
    latencies.sort_unstable();
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0)
    };
    Phase {
        name,
        calls: latencies.len() as u64,
        secs,
        p50_us: pct(0.50),
        p99_us: pct(0.99),
        errors: errors.load(Ordering::Relaxed),
    }
}

/// The ceiling: hyper answering a fixed JSON body, on its own 2-thread runtime.
fn fixed_body_server() -> (SocketAddr, tokio::runtime::Runtime) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("server runtime");
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    rt.spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let service = hyper::service::service_fn(|_req| async {
                    let mut r = hyper::Response::new(Full::new(Bytes::from_static(
                        b"{\"RequestId\":\"975835DE-1C97-46CE-9D0B-14E4DB018FED\"}",
                    )));
                    r.headers_mut().insert(
                        hyper::header::CONTENT_TYPE,
                        hyper::header::HeaderValue::from_static("application/json;charset=utf-8"),
                    );
                    Ok::<_, std::convert::Infallible>(r)
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (addr, rt)
}

/// Starts the ramsim binary; returns the process and its address.
fn ramsim(args: &[&str]) -> (Child, SocketAddr) {
    let bin = std::env::var("RAMSIM_BENCH_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_ramsim").to_string());
    let wrap = std::env::var("RAMSIM_BENCH_WRAP").unwrap_or_default();
    let mut words = wrap.split_whitespace();
    let mut command = match words.next() {
        Some(program) => {
            let mut c = Command::new(program);
            c.args(words).arg(&bin);
            c
        }
        None => Command::new(&bin),
    };
    let extra = std::env::var("RAMSIM_BENCH_SERVE_ARGS").unwrap_or_default();
    let mut child = command
        .args(["serve", "--listen", "127.0.0.1:0", "--quiet"])
        .args(args)
        .args(extra.split_whitespace())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start ramsim serve");
    let mut line = String::new();
    if let Some(out) = child.stdout.take() {
        let _ = BufReader::new(out).read_line(&mut line);
    }
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .and_then(|a| a.parse().ok())
        .expect("ramsim serve prints its address");
    (child, addr)
}

fn stop(mut child: Child) {
    // SIGTERM for a graceful stop (the state is compacted); the bench's files are temporary.
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
}

fn main() {
    let secs = env_u64("RAMSIM_BENCH_SECS", 5);
    let conns = env_u64("RAMSIM_BENCH_CONNS", 32);
    let world = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/sdk/load-world.json");
    let date = ramsim::cloud::Timestamp::from_epoch(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0),
    )
    .to_string();
    let only = std::env::var("RAMSIM_BENCH_ONLY").unwrap_or_default();
    let run = |phase: &str| only.is_empty() || only == phase;
    let mut phases = Vec::new();

    if run("ceiling") {
        let (addr, rt) = fixed_body_server();
        let host = addr.to_string();
        phases.push(load(
            "ceiling: plain hyper, fixed body",
            addr,
            conns,
            secs,
            Arc::new(move |_| {
                format!("POST / HTTP/1.1\r\nhost: {host}\r\ncontent-length: 0\r\n\r\n").into_bytes()
            }),
        ));
        drop(rt);
    }

    if run("get-journal") || run("write") {
        let dir = tempfile::tempdir().expect("temp dir");
        let state = dir.path().join("state.json");
        let state = state.to_str().expect("utf-8 path");
        let (child, addr) = ramsim(&["--world", world, "--state", state, "--skew-check", "off"]);
        if run("get-journal") {
            let (host, d) = (addr.to_string(), date.clone());
            phases.push(load(
                "signed Get (sts GetCallerIdentity), journaled",
                addr,
                conns,
                secs,
                Arc::new(move |n| {
                    signed_request(&host, "2015-04-01", "GetCallerIdentity", "", n, &d)
                }),
            ));
        }
        if run("write") {
            let (host, d) = (addr.to_string(), date.clone());
            phases.push(load(
                "signed write (ram CreateGroup), journaled",
                addr,
                conns,
                secs,
                Arc::new(move |n| {
                    let body = format!("GroupName=bench-{n}");
                    signed_request(&host, "2015-05-01", "CreateGroup", &body, 1 << 40 | n, &d)
                }),
            ));
        }
        stop(child);
    }

    if run("get-memory") {
        let (child, addr) = ramsim(&["--world", world, "--skew-check", "off"]);
        let (host, d) = (addr.to_string(), date.clone());
        phases.push(load(
            "signed Get (sts GetCallerIdentity), in memory (--world only)",
            addr,
            conns,
            secs,
            Arc::new(move |n| signed_request(&host, "2015-04-01", "GetCallerIdentity", "", n, &d)),
        ));
        stop(child);
    }

    println!("ramsim serve bench: {conns} keep-alive connections, {secs} s per phase");
    println!(
        "{:<62} {:>10} {:>10} {:>9} {:>9} {:>7}",
        "phase", "calls", "calls/s", "p50 us", "p99 us", "errors"
    );
    for p in phases {
        println!(
            "{:<62} {:>10} {:>10.0} {:>9} {:>9} {:>7}",
            p.name,
            p.calls,
            p.calls as f64 / p.secs,
            p.p50_us,
            p.p99_us,
            p.errors
        );
    }
}
