//! The built binary with `--runtime per-core`: one current-thread runtime per
//! thread, each accepting on its own `SO_REUSEPORT` listener of one address.
//! Connections reach every runtime and one store (in memory, Redis or
//! PostgreSQL, opened on the main thread); the in-flight pools, the
//! per-client shares, the create rate and the connection slots are the
//! server's, not one set per runtime; SIGTERM drains every runtime; the
//! address cannot be shared with another server; `--threads` is checked.

mod common {
    pub(crate) mod api;
    pub(crate) mod bin;
    pub(crate) mod bin_exit;
    pub(crate) mod http_response;
    pub(crate) mod local_ip;
    pub(crate) mod redis;
    pub(crate) mod slow;
}

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::Stdio;
use std::time::{Duration, Instant};

use base64ct::{Base64UrlUnpadded, Encoding};
use common::api::{Api, Sealed, sealed};
use common::bin::{command, start, stop_and_read_stderr};
use common::bin_exit::run_to_exit;
use common::local_ip::connect_from;
use common::redis::spawn_redis;
use common::slow::{assert_holds_share, outcomes, slow_requests, slow_uploads};
use oneshot_examples::wire::v1::{CREATE_PATH, TAKE_PATH, TakeRequest};
use serde::Serialize;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const LOCAL: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const A: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
const B: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 3));
const C: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 4));

const PER_CORE: [&str; 4] = ["--runtime", "per-core", "--threads", "2"];

/// No rate and no per-client shares: for the tests where every connection
/// comes from one address and is not about the budgets.
const ONE_CLIENT_UNLIMITED: [&str; 6] = [
    "--create-rate",
    "off",
    "--max-creates-per-client",
    "1000",
    "--max-takes-per-client",
    "1000",
];

/// Starts the binary per-core on two threads with `args` (logs at WARN on
/// a piped stderr); the child and its base URL.
async fn start_per_core(args: &[&str]) -> (tokio::process::Child, String) {
    let mut command = command(&[&PER_CORE[..], args].concat(), "warn");
    command.env("NO_COLOR", "1").stderr(Stdio::piped());
    let (child, _, base) = start(command).await;
    (child, base)
}

/// One keep-alive HTTP/1.1 connection spoken by hand, so that a test knows
/// which requests share a connection.
struct Conn {
    stream: BufReader<TcpStream>,
}

impl Conn {
    async fn open(base: &str, from: IpAddr) -> Self {
        Self {
            stream: BufReader::new(connect_from(base, from).await),
        }
    }

    async fn get(&mut self, path: &str) -> (u16, Value) {
        let head = format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n");
        self.stream.write_all(head.as_bytes()).await.unwrap();
        self.answer().await
    }

    async fn post(&mut self, path: &str, body: &impl Serialize) -> (u16, Value) {
        let body = serde_json::to_vec(body).unwrap();
        self.stream
            .write_all(post_head(path, body.len()).as_bytes())
            .await
            .unwrap();
        self.stream.write_all(&body).await.unwrap();
        self.answer().await
    }

    async fn create(&mut self, s: &Sealed) -> (u16, Value) {
        self.post(CREATE_PATH, &s.create_request(Some(600))).await
    }

    async fn take(&mut self, claim: &str) -> (u16, Value) {
        let request = TakeRequest {
            claim: claim.to_owned(),
        };
        self.post(TAKE_PATH, &request).await
    }

    /// The next answer: its status and its body as JSON.
    async fn answer(&mut self) -> (u16, Value) {
        tokio::time::timeout(Duration::from_secs(20), self.read_answer())
            .await
            .expect("answered within 20 s")
    }

    async fn read_answer(&mut self) -> (u16, Value) {
        let mut status_line = String::new();
        self.stream.read_line(&mut status_line).await.unwrap();
        let status = status_line
            .strip_prefix("HTTP/1.1 ")
            .and_then(|rest| rest.get(..3))
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("no status line: {status_line:?}"));
        let mut len = 0;
        loop {
            let mut line = String::new();
            self.stream.read_line(&mut line).await.unwrap();
            let line = line.trim_end().to_ascii_lowercase();
            if line.is_empty() {
                break;
            }
            if let Some(value) = line.strip_prefix("content-length:") {
                len = value.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; len];
        self.stream.read_exact(&mut body).await.unwrap();
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }
}

fn post_head(path: &str, len: usize) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {len}\r\n\r\n"
    )
}

/// Voluntary context switches so far of each per-core thread
/// (`oneshot-core-N`) of process `pid`. A runtime with nothing to do sleeps
/// in `epoll_wait` and makes none; one serving connections makes some for
/// each.
fn core_switches(pid: u32) -> BTreeMap<String, u64> {
    let mut cores = BTreeMap::new();
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).expect("/proc") {
        let Ok(status) = std::fs::read_to_string(task.unwrap().path().join("status")) else {
            continue; // a thread that just ended
        };
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .map(str::trim)
                .unwrap_or_else(|| panic!("no {name} in {status}"))
                .to_owned()
        };
        let name = field("Name:");
        if name.starts_with("oneshot-core-") {
            let switches = field("voluntary_ctxt_switches:").parse().unwrap();
            cores.insert(name, switches);
        }
    }
    cores
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_reach_every_runtime_and_one_store() {
    const CONNS: usize = 200;
    let (mut child, base) = start_per_core(&ONE_CLIENT_UNLIMITED).await;
    let pid = child.id().expect("running");
    let before = the_core_thread(pid).await;

    // Each connection creates two secrets and takes the first back.
    let mut opened = Vec::new();
    for i in 0..CONNS {
        let base = base.clone();
        opened.push(tokio::spawn(async move {
            // Ten connects at a time, as in hardening.rs: a burst of
            // hundreds can overflow the accept queue.
            tokio::time::sleep(Duration::from_millis((i / 10) as u64 * 10)).await;
            let mut conn = Conn::open(&base, LOCAL).await;
            let (first, second) = (sealed(b"taken on its own connection"), sealed(b"elsewhere"));
            for s in [&first, &second] {
                let (status, body) = conn.create(s).await;
                assert_eq!(status, 201, "{body}");
            }
            let (status, body) = conn.take(&first.claim).await;
            assert_eq!(status, 200, "{body}");
            let envelope = body["envelope"].as_str().expect("an envelope");
            let envelope = Base64UrlUnpadded::decode_vec(envelope).unwrap();
            let opened = oneshot_core::open(&first.key, &envelope).expect("opens");
            assert_eq!(&opened[..], b"taken on its own connection");
            (
                conn,
                Made {
                    first: first.claim,
                    second: second.claim,
                    envelope: second.envelope,
                },
            )
        }));
    }
    let mut conns = Vec::new();
    for task in opened {
        conns.push(task.await.unwrap());
    }
    // Then each connection takes its neighbour's: the second secret once,
    // the first (already taken there) never.
    let neighbours: Vec<Made> = conns
        .iter()
        .cycle()
        .skip(1)
        .take(CONNS)
        .map(|(_, made)| made.clone())
        .collect();
    let mut checks = Vec::new();
    for ((mut conn, _), theirs) in conns.into_iter().zip(neighbours) {
        checks.push(tokio::spawn(async move {
            let (status, body) = conn.take(&theirs.second).await;
            assert_eq!(status, 200, "made on another connection: {body}");
            assert_eq!(body["envelope"], theirs.envelope);
            let (status, body) = conn.take(&theirs.first).await;
            assert_eq!(status, 404, "taken already, on another connection: {body}");
            assert_eq!(body["error"], "not_found", "{body}");
        }));
    }
    for check in checks {
        check.await.unwrap();
    }
    assert_core_served(pid, before);
    stop_and_read_stderr(&mut child).await;
}

/// The voluntary context switches so far of the one core thread of `pid`
/// (`--threads 2`), once it runs: the address is printed when every
/// listener listens, and the thread may start just after.
async fn the_core_thread(pid: u32) -> u64 {
    let started = Instant::now();
    let cores = loop {
        let cores = core_switches(pid);
        if !cores.is_empty() || started.elapsed() > Duration::from_secs(5) {
            break cores;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    assert_eq!(
        cores.keys().collect::<Vec<_>>(),
        ["oneshot-core-1"],
        "--threads 2: the main thread and one core thread"
    );
    cores["oneshot-core-1"]
}

/// The core thread of `pid` woke often since it had made `before` switches:
/// its runtime served some of the connections.
fn assert_core_served(pid: u32, before: u64) {
    let served = core_switches(pid)["oneshot-core-1"] - before;
    eprintln!("the core thread woke {served} times");
    assert!(
        served >= 20,
        "the core thread's runtime served hardly anything ({served} wake-ups): the kernel did not spread the connections"
    );
}

/// The store is opened on the main thread's runtime (a Redis connection's
/// driver, the PostgreSQL purger run there); requests on the core thread's
/// runtime use it too, and SIGTERM still stops the server cleanly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_and_postgres_serve_every_runtime() {
    let redis = spawn_redis().await;
    let pg = tokio::task::spawn_blocking(oneshot_pg_harness::PgServer::start)
        .await
        .unwrap();
    for store in [["--redis", &redis.url()], ["--postgres", &pg.url()]] {
        let (mut child, base) = start_per_core(&[&store[..], &ONE_CLIENT_UNLIMITED].concat()).await;
        let pid = child.id().expect("running");
        let before = the_core_thread(pid).await;
        let mut tasks = Vec::new();
        for i in 0..40 {
            let base = base.clone();
            tasks.push(tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis((i / 10) as u64 * 10)).await;
                let mut conn = Conn::open(&base, LOCAL).await;
                let s = sealed(b"stored from either runtime");
                let (status, body) = conn.create(&s).await;
                assert_eq!(status, 201, "{body}");
                let (status, body) = conn.take(&s.claim).await;
                assert_eq!(status, 200, "{body}");
                assert_eq!(body["envelope"], s.envelope);
                assert_eq!(conn.take(&s.claim).await.0, 404);
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        assert_core_served(pid, before);
        stop_and_read_stderr(&mut child).await;
    }
}

/// What one connection made: the claims of the secret it took back and of
/// the one it left, and the envelope of that one.
#[derive(Clone)]
struct Made {
    first: String,
    second: String,
    envelope: String,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_in_flight_budgets_are_the_servers_not_each_runtimes() {
    const FLOOD: usize = 30;
    const CREATES: usize = 6;
    const CREATES_PER_CLIENT: usize = 4;
    const TAKES: usize = 5;
    const TAKES_PER_CLIENT: usize = 3;
    let (mut child, base) = start_per_core(&[
        "--read-timeout",
        "30s",
        "--create-rate",
        "off",
        "--max-in-flight",
        &CREATES.to_string(),
        "--max-creates-per-client",
        &CREATES_PER_CLIENT.to_string(),
        "--max-takes-in-flight",
        &TAKES.to_string(),
        "--max-takes-per-client",
        &TAKES_PER_CLIENT.to_string(),
    ])
    .await;
    // A's slow uploads and slow take bodies, over 60 connections that the
    // kernel spreads over both runtimes: A holds its share of each pool,
    // once for the server (per runtime it would be twice that)...
    let a_creates = slow_uploads(&base, A, FLOOD, Duration::from_secs(6));
    let a_takes = slow_requests(&base, A, TAKE_PATH, FLOOD, Duration::from_secs(6));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // ...and B gets only what is left of each pool.
    let b_creates = slow_uploads(&base, B, FLOOD, Duration::from_secs(3));
    let b_takes = slow_requests(&base, B, TAKE_PATH, FLOOD, Duration::from_secs(3));
    assert_holds_share(&outcomes(b_creates).await, CREATES - CREATES_PER_CLIENT);
    assert_holds_share(&outcomes(b_takes).await, TAKES - TAKES_PER_CLIENT);
    assert_holds_share(&outcomes(a_creates).await, CREATES_PER_CLIENT);
    assert_holds_share(&outcomes(a_takes).await, TAKES_PER_CLIENT);
    stop_and_read_stderr(&mut child).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_create_rate_is_the_servers_not_each_runtimes() {
    let (mut child, base) = start_per_core(&["--create-rate", "5/min"]).await;
    // Twenty creates from C, each on a connection of its own (so over both
    // runtimes): five pass, as on one runtime, not five per runtime.
    let mut statuses = BTreeMap::new();
    for _ in 0..20 {
        let mut conn = Conn::open(&base, C).await;
        let (status, _) = conn.create(&sealed(b"rated")).await;
        *statuses.entry(status).or_insert(0) += 1;
    }
    assert_eq!(statuses, BTreeMap::from([(201, 5), (429, 15)]));
    // Another address has its own.
    let b = Api::from_ip(&base, B);
    let s = sealed(b"B's own rate");
    assert_eq!(b.create(&s, Some(600)).await.0, 201);
    assert_eq!(b.take(&s.claim).await.0, 200);
    stop_and_read_stderr(&mut child).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_connection_slots_are_the_servers_and_a_freed_one_serves_any_runtime() {
    const WAITING: usize = 6;
    let (mut child, base) =
        start_per_core(&["--read-timeout", "30s", "--max-connections", "4"]).await;
    // Four kept-alive connections hold every slot of the server.
    let mut hogs = Vec::new();
    for _ in 0..4 {
        let mut conn = Conn::open(&base, LOCAL).await;
        assert_eq!(conn.get("/api/v1/config").await.0, 200);
        hogs.push(conn);
    }
    // More connections, spread over both runtimes, all wait: with a set of
    // slots per runtime, the one holding fewer hogs would serve some.
    let (answered_tx, mut answered) = tokio::sync::mpsc::unbounded_channel();
    let mut waiting = Vec::new();
    for i in 0..WAITING {
        let base = base.clone();
        let answered_tx = answered_tx.clone();
        waiting.push(tokio::spawn(async move {
            let mut conn = Conn::open(&base, LOCAL).await;
            let (status, _) = conn.get("/api/v1/config").await;
            let _ = answered_tx.send((i, status));
            conn // kept open: it holds its slot from now on
        }));
    }
    drop(answered_tx);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        answered.try_recv().is_err(),
        "served past --max-connections"
    );
    // Two hogs hang up: exactly two of the waiting are served, whichever
    // runtime they wait on.
    hogs.truncate(2);
    let mut served = Vec::new();
    let until = Instant::now() + Duration::from_secs(3);
    while let Ok(Some((i, status))) = tokio::time::timeout_at(until.into(), answered.recv()).await {
        assert_eq!(status, 200);
        served.push(i);
    }
    assert_eq!(served.len(), 2, "served {served:?} for two freed slots");
    for task in waiting {
        task.abort();
    }
    drop(hogs);
    stop_and_read_stderr(&mut child).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_every_runtime_and_exits_0() {
    const CONNS: usize = 20;
    let (mut child, base) = start_per_core(&[
        "--read-timeout",
        "30s",
        "--create-rate",
        "off",
        "--max-creates-per-client",
        "100",
    ])
    .await;
    // Twenty connections (over both runtimes), each served once, then each
    // half way through a create's body when SIGTERM comes.
    let mut conns = Vec::new();
    for _ in 0..CONNS {
        let mut conn = Conn::open(&base, LOCAL).await;
        assert_eq!(conn.get("/api/v1/config").await.0, 200);
        let s = sealed(b"sent across a shutdown");
        let body = serde_json::to_vec(&s.create_request(Some(600))).unwrap();
        let (first, rest) = body.split_at(body.len() / 2);
        conn.stream
            .write_all(post_head(CREATE_PATH, body.len()).as_bytes())
            .await
            .unwrap();
        conn.stream.write_all(first).await.unwrap();
        conns.push((conn, rest.to_vec()));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let pid = child.id().expect("running").to_string();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("run kill");
    assert!(status.success());
    let signalled = Instant::now();
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Every runtime stopped accepting...
    let addr: SocketAddr = base.trim_start_matches("http://").parse().unwrap();
    for _ in 0..10 {
        let refused = TcpStream::connect(addr).await;
        assert!(refused.is_err(), "a connection accepted after SIGTERM");
    }
    // ...and finishes the requests it has.
    for (mut conn, rest) in conns {
        conn.stream.write_all(&rest).await.unwrap();
        let (status, body) = conn.answer().await;
        assert_eq!(status, 201, "{body}");
        let mut after = Vec::new();
        let closed =
            tokio::time::timeout(Duration::from_secs(5), conn.stream.read_to_end(&mut after))
                .await
                .expect("closed after its answer");
        assert!(closed.is_ok() && after.is_empty(), "{closed:?} {after:?}");
    }
    let exit = tokio::time::timeout(Duration::from_secs(5), child.wait())
        .await
        .expect("exits within 5 s of its last answer")
        .unwrap();
    let took = signalled.elapsed();
    assert_eq!(exit.code(), Some(0), "{exit:?}");
    assert!(
        took < Duration::from_secs(5),
        "stopped {took:?} after SIGTERM"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_address_of_a_per_core_server_is_not_shared() {
    let (mut child, base) = start_per_core(&[]).await;
    let addr = base.trim_start_matches("http://");
    // Neither another per-core server (whose SO_REUSEPORT sockets the
    // kernel would let join) nor a multi-thread one can bind it.
    for runtime in ["per-core", "multi-thread"] {
        let (code, stderr) = run_to_exit(&["--listen", addr, "--runtime", runtime], &[]).await;
        assert_eq!(code, Some(1), "{runtime}: {stderr}");
        assert!(stderr.contains("cannot listen on"), "{runtime}: {stderr}");
        assert!(stderr.contains("in use"), "{runtime}: {stderr}");
    }
    let api = Api::new(&base);
    let s = sealed(b"still the only server here");
    assert_eq!(api.create(&s, Some(600)).await.0, 201);
    assert_eq!(api.take(&s.claim).await.0, 200);
    stop_and_read_stderr(&mut child).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runtime_and_thread_flags_are_checked_and_applied() {
    for (args, says) in [
        (&["--threads", "0"][..], "--threads"),
        (&["--threads", "1025"][..], "--threads"),
        (
            &["--runtime", "per-core", "--threads", "none"][..],
            "--threads",
        ),
        (&["--runtime", "sideways"][..], "multi-thread, per-core"),
    ] {
        let (code, stderr) = run_to_exit(args, &[]).await;
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
    // One thread: the multi-thread runtime with one worker, or one
    // current-thread runtime on the main thread and no core thread.
    for runtime in ["multi-thread", "per-core"] {
        let mut command = command(&["--runtime", runtime, "--threads", "1"], "warn");
        command.stderr(Stdio::piped());
        let (mut child, _, base) = start(command).await;
        if runtime == "per-core" {
            assert!(core_switches(child.id().unwrap()).is_empty());
        }
        let api = Api::new(&base);
        let s = sealed(runtime.as_bytes());
        assert_eq!(api.create(&s, Some(600)).await.0, 201, "{runtime}");
        assert_eq!(api.take(&s.claim).await.0, 200, "{runtime}");
        stop_and_read_stderr(&mut child).await;
    }
}
