//! Slow and abusive clients on real sockets: stalled or trickled headers are
//! cut after the header timeout, slow bodies get `408 timeout`, requests past
//! the in-flight cap get `503 busy` at once, connections past the cap wait,
//! and none of it ever cuts a take short.

mod common {
    pub(crate) mod api;
    pub(crate) mod http_response;
    pub(crate) mod server;
}

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64ct::{Base64UrlUnpadded, Encoding};
use common::api::{Api, sealed};
use common::http_response::parse_response;
use common::server::TestServer;
use oneshot_core::store::{BurnOutcome, Guards, Receipt, TakeOutcome};
use oneshot_core::{PassphraseProof, Policy, ReceiptClaim, SecretId, SecretStore, StoreError};
use oneshot_examples::server::{Budgets, Limits};
use oneshot_examples::wire::ErrorBody;
use oneshot_examples::wire::v1::{TakeRequest, TakeResponse};
use oneshot_memory::MemoryStore;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The timeouts under test. Bounds allow for a loaded two-core machine.
const TIMEOUT: Duration = Duration::from_secs(1);
/// How much later than the timeout a cut may come.
const SLACK: Duration = Duration::from_secs(5);

fn limits(header: Duration, body: Duration, in_flight: usize, connections: usize) -> Limits {
    Limits {
        header_read_timeout: header,
        body_read_timeout: body,
        max_in_flight: in_flight,
        max_connections: connections,
    }
}

async fn connect(server: &TestServer) -> TcpStream {
    let addr = server.base.trim_start_matches("http://");
    TcpStream::connect(addr).await.expect("connect")
}

/// Reads until the server closes the connection; fails if that takes longer
/// than `bound`. Returns everything read (a reset counts as the end).
async fn read_until_closed(stream: &mut TcpStream, bound: Duration) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let until = Instant::now() + bound;
    loop {
        let left = until.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Err(_) => panic!(
                "the server did not close the connection within {bound:?}; got {:?}",
                String::from_utf8_lossy(&out)
            ),
            Ok(Ok(0) | Err(_)) => return out,
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
        }
    }
}

/// A cut connection: closed with nothing, or with a 4xx (hyper may answer 408).
fn assert_cut(raw: &[u8], what: &str) {
    let text = String::from_utf8_lossy(raw);
    assert!(
        raw.is_empty() || text.starts_with("HTTP/1.1 4"),
        "{what}: unexpected answer {text:?}"
    );
}

/// The envelope of a `200` take.
fn envelope_of(taken: Value) -> Vec<u8> {
    let taken: TakeResponse = serde_json::from_value(taken).unwrap();
    Base64UrlUnpadded::decode_vec(&taken.envelope).unwrap()
}

/// The JSON body of a take of `claim`.
fn take_body(claim: &str) -> String {
    serde_json::to_string(&TakeRequest {
        claim: claim.to_owned(),
    })
    .unwrap()
}

/// A normal client: create and take, both succeed.
async fn round_trip(api: &Api, body: &[u8]) {
    let s = sealed(body);
    let (status, created) = api.create(&s, Some(600)).await;
    assert_eq!(status, 201, "{created}");
    let (status, taken) = api.take(&s.claim).await;
    assert_eq!(status, 200, "{taken}");
    let envelope = envelope_of(taken);
    assert_eq!(&oneshot_core::open(&s.key, &envelope).unwrap()[..], body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_and_trickled_headers_are_cut_while_others_are_served() {
    let server =
        TestServer::memory_with(|app| app.with_limits(limits(TIMEOUT, TIMEOUT, 64, 64))).await;
    let started = Instant::now();

    // Half the headers, then nothing.
    let mut half = connect(&server).await;
    half.write_all(b"POST /api/v1/secrets/take HTTP/1.1\r\nHost: x\r\nContent-Ty")
        .await
        .unwrap();
    // Nothing at all.
    let mut silent = connect(&server).await;
    // A header trickled one byte per 100 ms: progress, but never the end of
    // the headers (100 bytes would take 10 s).
    let mut trickle = connect(&server).await;
    trickle
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .unwrap();
    let (mut trickle_read, mut trickle_write) = trickle.into_split();
    let trickler = tokio::spawn(async move {
        let mut sent = 0;
        for _ in 0..100 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if trickle_write.write_all(b"a").await.is_err() {
                break;
            }
            sent += 1;
        }
        sent
    });

    // Meanwhile a normal client is served.
    let api = Api::new(&server.base);
    round_trip(&api, b"served while others stall").await;

    for (what, stream) in [("half headers", &mut half), ("silent", &mut silent)] {
        let raw = read_until_closed(stream, TIMEOUT + SLACK).await;
        assert_cut(&raw, what);
    }
    let mut raw = Vec::new();
    let cut = tokio::time::timeout(TIMEOUT + SLACK, trickle_read.read_to_end(&mut raw)).await;
    assert!(cut.is_ok(), "the trickling client was not cut in time");
    assert_cut(&raw, "trickled headers");
    let elapsed = started.elapsed();
    assert!(
        elapsed >= TIMEOUT.mul_f32(0.9),
        "cut before the timeout: {elapsed:?}"
    );
    assert!(elapsed <= TIMEOUT + SLACK, "cut too late: {elapsed:?}");
    let sent = tokio::time::timeout(Duration::from_secs(15), trickler)
        .await
        .expect("the trickler stops")
        .unwrap();
    assert!(sent < 100, "the trickle was never cut ({sent} bytes)");

    // And the server still serves.
    round_trip(&api, b"still fine").await;
    server.stop().await;
}

/// A request head with a Content-Length of `len` and `Connection: close`.
fn head(path: &str, len: usize) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_bodies_get_408_json_and_touch_nothing() {
    let server = TestServer::memory_with(|app| {
        app.with_limits(limits(Duration::from_secs(30), TIMEOUT, 64, 64))
    })
    .await;
    let victim = sealed(b"not taken by a slow body");
    let api = Api::new(&server.base);
    assert_eq!(api.create(&victim, Some(600)).await.0, 201);

    // A take whose body trickles in one byte per 100 ms (6 s in all if not cut).
    let body = take_body(&victim.claim);
    let mut take = connect(&server).await;
    take.write_all(head("/api/v1/secrets/take", body.len()).as_bytes())
        .await
        .unwrap();
    let (mut take_read, mut take_write) = take.into_split();
    let bytes = body.into_bytes();
    let trickler = tokio::spawn(async move {
        for byte in bytes {
            if take_write.write_all(&[byte]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    // A create that sends half its body and stalls.
    let s = sealed(b"half a create");
    let create_body = serde_json::to_string(&s.create_request(None)).unwrap();
    let mut create = connect(&server).await;
    create
        .write_all(head("/api/v1/secrets", create_body.len()).as_bytes())
        .await
        .unwrap();
    create
        .write_all(&create_body.as_bytes()[..create_body.len() / 2])
        .await
        .unwrap();
    let started = Instant::now();

    let mut raw = Vec::new();
    tokio::time::timeout(TIMEOUT + SLACK, take_read.read_to_end(&mut raw))
        .await
        .expect("408 and close within the bound")
        .unwrap();
    let stalled_create = read_until_closed(&mut create, TIMEOUT + SLACK).await;
    let elapsed = started.elapsed();
    assert!(elapsed <= TIMEOUT + SLACK, "{elapsed:?}");
    for raw in [&raw, &stalled_create] {
        let (status, head, body) = parse_response(raw);
        assert_eq!(status, 408, "{head}");
        assert!(head.contains("content-type: application/json"), "{head}");
        assert!(head.contains("connection: close"), "{head}");
        assert!(head.contains("content-security-policy"), "{head}");
        let error: ErrorBody = serde_json::from_value(body.clone()).unwrap();
        assert_eq!(error.error, "timeout", "{body}");
        assert!(!error.message.is_empty());
    }
    tokio::time::timeout(Duration::from_secs(15), trickler)
        .await
        .expect("the trickler stops")
        .unwrap();

    // Nothing reached the store, and the secret is still there to take.
    assert_eq!(server.counts.takes(), 0);
    assert_eq!(server.counts.puts(), 1, "only the victim was stored");
    assert_eq!(server.entries(), 1, "the half-sent create left nothing");
    let (status, taken) = api.take(&victim.claim).await;
    assert_eq!(status, 200, "{taken}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_in_flight_cap_requests_get_503_busy_then_succeed() {
    const CAP: usize = 2;
    // Takes and the rest have their own budget, apart from the creates'.
    let server = TestServer::memory_with(|app| {
        app.with_limits(limits(
            Duration::from_secs(30),
            Duration::from_secs(30),
            64,
            64,
        ))
        .with_budgets(Budgets {
            max_takes_in_flight: CAP,
            ..Budgets::default()
        })
    })
    .await;
    let api = Api::new(&server.base);
    let s = sealed(b"waits for a free slot");
    assert_eq!(api.create(&s, Some(600)).await.0, 201);

    // CAP takes (of secrets that do not exist) whose bodies stall after 5 bytes.
    let mut parked = Vec::new();
    for _ in 0..CAP {
        let body = take_body(&sealed(b"x").claim);
        let mut stream = connect(&server).await;
        stream
            .write_all(head("/api/v1/secrets/take", body.len()).as_bytes())
            .await
            .unwrap();
        stream.write_all(&body.as_bytes()[..5]).await.unwrap();
        parked.push((stream, body));
    }

    // Once both are in their handlers, another request is shed at once.
    let probe = oneshot_examples::cli::http_client()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let until = Instant::now() + Duration::from_secs(10);
    let shed = loop {
        let asked = Instant::now();
        let r = probe
            .get(format!("{}/api/v1/config", server.base))
            .send()
            .await
            .unwrap();
        if r.status() == 503 {
            assert!(
                asked.elapsed() < Duration::from_secs(5),
                "shed at once, not queued"
            );
            break r;
        }
        assert_eq!(r.status(), 200);
        assert!(
            Instant::now() < until,
            "no 503 within 10 s with {CAP} requests parked"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(shed.headers()["retry-after"], "1");
    assert!(
        shed.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let body: ErrorBody = shed.json().await.unwrap();
    assert_eq!(body.error, "busy", "{body:?}");
    assert_eq!(body.retry, Some(true), "{body:?}");

    // A take is shed before it reaches the store: the secret stays.
    let take = TakeRequest {
        claim: s.claim.clone(),
    };
    let (status, headers, body) = api.post("/api/v1/secrets/take", &take).await;
    assert_eq!(status, 503, "{body}");
    let body: ErrorBody = serde_json::from_value(body).unwrap();
    assert_eq!(body.error, "busy");
    assert_eq!(body.retry, Some(true));
    assert_eq!(headers["retry-after"], "1");
    assert_eq!(
        server.counts.takes(),
        0,
        "a shed take never reaches the store"
    );

    // The CLI retries a shed take (Retry-After: 1), three attempts in all,
    // then says the server is busy; still nothing reached the store.
    let link = format!("{}/s#{}", server.base, s.key.to_b64u().as_str());
    let cli = tokio::time::timeout(
        Duration::from_secs(30),
        tokio::process::Command::new(env!("CARGO_BIN_EXE_oneshot"))
            .args(["open", &link])
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("the CLI gives up within 30 s")
    .unwrap();
    let stderr = String::from_utf8_lossy(&cli.stderr);
    assert_eq!(cli.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("busy; nothing was read"), "{stderr}");
    assert!(cli.stdout.is_empty());
    assert_eq!(server.counts.takes(), 0, "shed takes never reach the store");

    // The parked requests finish normally (404: no such secret)...
    for (mut stream, body) in parked {
        stream.write_all(&body.as_bytes()[5..]).await.unwrap();
        let raw = read_until_closed(&mut stream, Duration::from_secs(10)).await;
        let (status, head, json) = parse_response(&raw);
        assert_eq!(status, 404, "{head}");
        let error: ErrorBody = serde_json::from_value(json).unwrap();
        assert_eq!(error.error, "not_found");
    }
    // ...and their slots are free again.
    let (status, taken) = api.take(&s.claim).await;
    assert_eq!(status, 200, "{taken}");
    round_trip(&api, b"after the rush").await;
    server.stop().await;
}

/// A store whose takes are slower than the read timeouts.
#[derive(Debug)]
struct SlowTakes {
    inner: MemoryStore,
    delay: Duration,
}

#[async_trait::async_trait]
impl SecretStore for SlowTakes {
    async fn put_with_ttl(
        &self,
        id: &SecretId,
        envelope: &[u8],
        ttl: Duration,
        guards: &Guards,
    ) -> Result<(), StoreError> {
        self.inner.put_with_ttl(id, envelope, ttl, guards).await
    }

    async fn take(
        &self,
        id: &SecretId,
        proof: Option<&PassphraseProof>,
    ) -> Result<TakeOutcome, StoreError> {
        tokio::time::sleep(self.delay).await;
        self.inner.take(id, proof).await
    }

    async fn receipt(
        &self,
        id: &SecretId,
        claim: &ReceiptClaim,
    ) -> Result<Option<Receipt>, StoreError> {
        self.inner.receipt(id, claim).await
    }

    async fn burn(
        &self,
        id: &SecretId,
        claim: &ReceiptClaim,
    ) -> Result<Option<BurnOutcome>, StoreError> {
        self.inner.burn(id, claim).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_take_slower_than_the_read_timeouts_is_never_cut_short() {
    let delay = TIMEOUT * 5 / 2;
    let store = SlowTakes {
        inner: MemoryStore::new(),
        delay,
    };
    let server = TestServer::configured(Arc::new(store), Policy::default(), |app| {
        app.with_limits(limits(TIMEOUT, TIMEOUT, 64, 64))
    })
    .await;
    let api = Api::new(&server.base);
    let s = sealed(b"slow store, whole answer");
    assert_eq!(api.create(&s, Some(600)).await.0, 201);
    let started = Instant::now();
    let (status, taken) = api.take(&s.claim).await;
    assert_eq!(status, 200, "{taken}");
    assert!(started.elapsed() >= delay, "the store's delay was real");
    let envelope = envelope_of(taken);
    assert_eq!(
        &oneshot_core::open(&s.key, &envelope).unwrap()[..],
        b"slow store, whole answer"
    );
    assert_eq!(server.counts.takes(), 1);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_connection_cap_new_connections_wait_for_a_free_one() {
    let server =
        TestServer::memory_with(|app| app.with_limits(limits(TIMEOUT, TIMEOUT, 64, 1))).await;
    // The only connection slot, held by a client that says nothing.
    let mut hog = connect(&server).await;
    // Let the server accept it before the next one arrives.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    let api = Api::new(&server.base);
    round_trip(&api, b"served once the hog is cut").await;
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(400),
        "served before the hog's slot was free ({waited:?})"
    );
    assert!(waited <= TIMEOUT + SLACK, "{waited:?}");
    let raw = read_until_closed(&mut hog, Duration::from_secs(1)).await;
    assert_cut(&raw, "the hog");
    server.stop().await;
}
