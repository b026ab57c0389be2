//! The JSON API against the real server on a free port, on the in-memory
//! store, on a real `redis-server` (and Redis Cluster) spawned for the test,
//! and on PostgreSQL (pg-harness) and SQLite (a temporary file).

mod common {
    pub(crate) mod api;
    pub(crate) mod bearer;
    pub(crate) mod keys;
    pub(crate) mod plain;
    pub(crate) mod raw;
    pub(crate) mod redis;
    pub(crate) mod redis_server;
    pub(crate) mod server;
    pub(crate) mod sql;
}

use std::sync::Arc;
use std::time::Duration;

use base64ct::{Base64UrlUnpadded, Encoding};
use common::api::{Api, sealed, sealed_with};
use common::keys::{KEYS, key};
use common::raw::{Req, b, expect_error};
use common::redis::spawn_redis;
use common::redis_server::server_on_redis;
use common::server::TestServer;
use common::sql::{Sql, server_on};
use oneshot_core::Policy;
use oneshot_examples::server::CreateToken;
use oneshot_examples::wire::ErrorBody;
use oneshot_examples::wire::v1::{
    ConfigResponse, CreateRequest, CreateResponse, TakeRequest, TakeResponse,
};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// `value` read as `T`, or a failure that shows it.
fn read<T: DeserializeOwned>(value: &Value) -> T {
    serde_json::from_value(value.clone()).unwrap_or_else(|e| panic!("{e}: {value}"))
}

/// Round trip, second take 404, duplicate 409, one winner of 16 racers.
async fn core_suite(api: &Api) {
    // Round trip.
    let s = sealed(b"hunter2");
    let (status, body) = api.create(&s, Some(3600)).await;
    assert_eq!(status, 201, "{body}");
    let created: CreateResponse = read(&body);
    assert_eq!(created.id, s.id);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let expires = created.expires_at;
    assert!(
        (now + 3590..=now + 3610).contains(&expires),
        "{expires} vs {now}"
    );

    // Same id again: 409, and the first stays intact.
    let (status, body) = api.create(&s, None).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(read::<ErrorBody>(&body).error, "already_exists");

    let (status, body) = api.take(&s.claim).await;
    assert_eq!(status, 200, "{body}");
    let envelope = Base64UrlUnpadded::decode_vec(&read::<TakeResponse>(&body).envelope).unwrap();
    let opened = oneshot_core::open(&s.key, &envelope).unwrap();
    assert_eq!(&opened[..], b"hunter2");

    // Second take: 404, same as a claim that never existed.
    let (status, gone) = api.take(&s.claim).await;
    assert_eq!(status, 404);
    let (status, never) = api.take(&sealed(b"x").claim).await;
    assert_eq!(status, 404);
    assert_eq!(gone, never, "already-read and never-existed look the same");
    assert_eq!(read::<ErrorBody>(&gone).error, "not_found");

    // Default TTL when none is given.
    let s = sealed(b"default ttl");
    let (status, body) = api.create(&s, None).await;
    assert_eq!(status, 201, "{body}");
    let expires = read::<CreateResponse>(&body).expires_at;
    assert!(expires >= now + 24 * 3600 - 10 && expires <= now + 24 * 3600 + 10);

    // 16 concurrent takes of one secret: exactly one 200, fifteen 404.
    let s = sealed(b"race me");
    assert_eq!(api.create(&s, Some(600)).await.0, 201);
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let api = api.clone();
        let claim = s.claim.clone();
        tasks.push(tokio::spawn(async move { api.take(&claim).await.0 }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|&&s| s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|&&s| s == 404).count(),
        15,
        "{statuses:?}"
    );
}

/// Every class of bad input gets its 4xx with a JSON body.
async fn bad_input_suite(api: &Api) {
    // A fixed key: the cases below must not depend on the draw (an id
    // without the letters a-f would survive `to_uppercase`).
    let s = sealed_with(key(KEYS[4]), b"valid");
    assert!(s.id.bytes().any(|c| c.is_ascii_lowercase()), "{}", s.id);
    let create = "/api/v1/secrets";
    let take = "/api/v1/secrets/take";
    let ok = || serde_json::to_value(s.create_request(Some(3600))).unwrap();
    let with = |field: &str, value: Value| {
        let mut v = ok();
        v[field] = value;
        Req::post(create, b(&v))
    };
    let without = |field: &str| {
        let mut v = ok();
        v.as_object_mut().unwrap().remove(field);
        Req::post(create, b(&v))
    };
    let (id, envelope_field, ttl_field) = (
        CreateRequest::ID.name,
        CreateRequest::ENVELOPE.name,
        CreateRequest::TTL_SECS.name,
    );
    let envelope = |bytes: &[u8]| {
        with(
            envelope_field,
            json!(Base64UrlUnpadded::encode_string(bytes)),
        )
    };
    let claim = |claim: String| Req::post(take, b(&TakeRequest { claim }));
    let claim_of = |value: Value| Req::post(take, b(&json!({ (TakeRequest::CLAIM.name): value })));
    let raw = Base64UrlUnpadded::decode_vec(&s.envelope).unwrap();
    let mut v2 = raw.clone();
    v2[0] = 2;
    let mut off_boundary = raw.clone();
    off_boundary.extend_from_slice(&[0; 7]);
    let big = oneshot_core::seal(&s.key, &vec![0u8; 64 * 1024 + 300]).unwrap();
    let form = Some("application/x-www-form-urlencoded");

    let mut cases: Vec<(Req, u16, &str)> = vec![
        // Content type.
        (
            Req::post(create, b(&ok())).content_type(Some("text/plain")),
            415,
            "unsupported_media_type",
        ),
        (
            Req::post(create, b(&ok())).content_type(None),
            415,
            "unsupported_media_type",
        ),
        (
            Req::post(take, b"claim=x".to_vec()).content_type(form),
            415,
            "unsupported_media_type",
        ),
        // Not JSON, not an object, missing and unknown fields.
        (Req::post(create, b"{\"id\":".to_vec()), 400, "invalid_json"),
        (Req::post(create, b"\xff\xfe".to_vec()), 400, "invalid_json"),
        (Req::post(create, Vec::new()), 400, "invalid_json"),
        (Req::post(take, b"[1,2]".to_vec()), 400, "invalid_request"),
        (without(id), 400, "invalid_request"),
        // Deliberately not a field of the request.
        (with("admin", json!(true)), 400, "invalid_request"),
        (Req::post(take, b(&json!({}))), 400, "invalid_request"),
        // Wrong types.
        (with(id, json!(5)), 400, "invalid_id"),
        (with(envelope_field, json!([1, 2])), 400, "invalid_envelope"),
        (with(ttl_field, json!("1h")), 400, "invalid_ttl"),
        (claim_of(json!(123)), 400, "invalid_claim"),
        // Bad hex and wrong id lengths.
        (with(id, json!(s.id.to_uppercase())), 400, "invalid_id"),
        (with(id, json!("zz".repeat(16))), 400, "invalid_id"),
        (with(id, json!(&s.id[..30])), 400, "invalid_id"),
        (with(id, json!(format!("{}00", s.id))), 400, "invalid_id"),
        // Bad base64 and envelopes that are not v1 envelopes.
        (
            with(envelope_field, json!(format!("{}==", s.envelope))),
            400,
            "invalid_envelope",
        ),
        (
            with(envelope_field, json!(s.envelope.replace('A', "+"))),
            400,
            "invalid_envelope",
        ),
        (envelope(&v2), 400, "invalid_envelope"),
        (envelope(&raw[..200]), 400, "invalid_envelope"),
        (envelope(&off_boundary), 400, "invalid_envelope"),
        // Claims: wrong length, foreign alphabet, non-canonical trailing bits.
        (claim(s.claim[..42].to_owned()), 400, "invalid_claim"),
        (claim(format!("{}=", &s.claim[..42])), 400, "invalid_claim"),
        (claim(format!("{}B", &s.claim[..42])), 400, "invalid_claim"),
        // Over the limits: the request body, and an envelope larger than any allowed body makes.
        (Req::post(create, vec![b'a'; 1024 * 1024]), 413, "too_large"),
        (envelope(&big), 413, "too_large"),
        // Routes and methods.
        (Req::bare("GET", create), 405, "method_not_allowed"),
        (Req::bare("DELETE", take), 405, "method_not_allowed"),
        (Req::bare("GET", "/api/v1/secrets/0123"), 404, "not_found"),
        (Req::bare("GET", "/static/nope.js"), 404, "not_found"),
        (Req::bare("GET", "/static/%ff%fe"), 404, "not_found"),
        (Req::post("/", b(&ok())), 405, "method_not_allowed"),
    ];
    // TTL out of range or not a whole number.
    for secs in [
        json!(0),
        json!(59),
        json!(72 * 3600 + 1),
        json!(-5),
        json!(1.5),
        json!(1e30),
    ] {
        cases.push((with(ttl_field, secs), 400, "invalid_ttl"));
    }
    for (req, status, code) in cases {
        expect_error(api, req, status, code).await;
    }

    // None of that stored anything under the valid id.
    let (status, _) = api.take(&s.claim).await;
    assert_eq!(status, 404);
}

/// A chunked body over the limit (no Content-Length) is cut off with 413 JSON.
async fn chunked_over_limit(base: &str) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /api/v1/secrets HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let chunk = vec![b' '; 64 * 1024];
    // Up to 4 MiB; the server answers long before that.
    for _ in 0..64 {
        let frame = format!("{:x}\r\n", chunk.len());
        if stream.write_all(frame.as_bytes()).await.is_err()
            || stream.write_all(&chunk).await.is_err()
            || stream.write_all(b"\r\n").await.is_err()
        {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut response = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut response)).await;
    let text = String::from_utf8_lossy(&response);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert!(text.contains("\"too_large\""), "{text}");
}

/// Security headers on every kind of response.
async fn headers_suite(api: &Api) {
    let paths = [
        ("GET", "/"),
        ("GET", "/s"),
        ("GET", "/static/format.js"),
        ("GET", "/static/style.css"),
        ("GET", "/favicon.ico"),
        ("GET", "/api/v1/config"),
        ("GET", "/nowhere"),
        ("POST", "/api/v1/secrets/take"),
    ];
    for (method, path) in paths {
        let r = api
            .http
            .request(method.parse().unwrap(), format!("{}{path}", api.base))
            .header("content-type", "application/json")
            .body(b(&TakeRequest {
                claim: "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8".to_owned(),
            }))
            .send()
            .await
            .unwrap();
        let h = r.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("default-src 'none'"), "{path}: {csp}");
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(
            !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
            "{csp}"
        );
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        assert_eq!(h["cache-control"], "no-store", "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
    }
    // The pages carry no inline script or style.
    for path in ["/", "/s"] {
        let html = api
            .http
            .get(format!("{}{path}", api.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            !html.contains("<script>") && !html.contains("style="),
            "{path}"
        );
        for tag in html.split("<script").skip(1) {
            assert!(
                tag.trim_start().starts_with("type=\"module\" src="),
                "{path}: {tag}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_round_trip_races_and_conflicts() {
    let server = TestServer::memory().await;
    core_suite(&Api::new(&server.base)).await;
    assert_eq!(server.entries(), 1, "only the default-ttl secret is left");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_bad_inputs_get_json_4xx() {
    let server = TestServer::memory().await;
    let api = Api::new(&server.base);
    bad_input_suite(&api).await;
    chunked_over_limit(&server.base).await;
    assert_eq!(server.entries(), 0);
    assert_eq!(server.counts.puts(), 0, "no bad input reached the store");
    assert_eq!(
        server.counts.takes(),
        1,
        "only the suite's final, well-formed take reached the store"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_headers_everywhere() {
    let server = TestServer::memory().await;
    headers_suite(&Api::new(&server.base)).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_finishes_and_stops_listening() {
    let server = TestServer::memory().await;
    let base = server.base.clone();
    let api = Api::new(&base);
    let s = sealed(b"before shutdown");
    assert_eq!(api.create(&s, None).await.0, 201);
    server.stop().await;
    let after = oneshot_examples::cli::http_client()
        .build()
        .unwrap()
        .get(format!("{base}/"))
        .timeout(Duration::from_secs(5))
        .send()
        .await;
    assert!(after.is_err(), "the server stopped listening");
}

/// The config, as sent: the JSON itself, so that a test can also check
/// that it holds nothing else.
async fn get_config(api: &Api) -> Value {
    let r = api
        .http
        .get(format!("{}/api/v1/config", api.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.expect("JSON config")
}

/// Without a create token nothing changes: anyone creates, an Authorization
/// header is ignored, and the config says so along with the policy's limits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_create_token_anyone_creates() {
    let policy = Policy::new()
        .with_max_body_bytes(1000)
        .with_ttl_range(Duration::from_secs(120), Duration::from_secs(7200))
        .with_default_ttl(Duration::from_secs(600))
        .with_passphrase_attempts(std::num::NonZeroU32::new(3).unwrap())
        .with_receipt_retention(Duration::from_secs(3600));
    let server = TestServer::with_store(Arc::new(oneshot_memory::MemoryStore::new()), policy).await;
    let api = Api::new(&server.base);
    let expected = ConfigResponse {
        create_requires_token: false,
        max_bytes: 1000,
        // A v2 file of 1000 bytes with a 255-byte name and media type:
        // 4 + 1513 bytes of frame, Padmé to 1536, and 29 of overhead.
        max_envelope_bytes: 1565,
        // Its base64url (2087 characters) and 1 KiB for the other fields.
        max_body_bytes: 2087 + 1024,
        min_ttl_secs: 120,
        max_ttl_secs: 7200,
        default_ttl_secs: 600,
        passphrase_attempts: 3,
        receipt_retention_secs: 3600,
    };
    assert_eq!(
        get_config(&api).await,
        serde_json::to_value(expected).unwrap(),
        "exactly these fields"
    );
    let s = sealed(b"open server");
    assert_eq!(api.create(&s, None).await.0, 201);
    let s2 = sealed(b"with a stray token");
    assert_eq!(api.with_token("whatever").create(&s2, None).await.0, 201);
    assert_eq!(api.take(&s.claim).await.0, 200);
    assert_eq!(api.take(&s2.claim).await.0, 200);
    server.stop().await;
}

/// With a create token: no or another token is 401 (before the body is even
/// looked at, with WWW-Authenticate), the right one is 201, taking needs none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_token_guards_create_but_not_take() {
    const TOKEN: &str = "0p3rator-Token_~x";
    let server = TestServer::memory_with(|app| {
        app.with_create_token(CreateToken::new(&format!("  {TOKEN}\n")).unwrap())
    })
    .await;
    let anon = Api::new(&server.base);
    let authed = anon.with_token(TOKEN);
    assert!(read::<ConfigResponse>(&get_config(&anon).await).create_requires_token);

    let s = sealed(b"guarded");
    let body = s.create_request(Some(600));
    let create = |auth: Option<String>, content_type: &'static str, body: Vec<u8>| {
        let api = anon.clone();
        async move {
            let mut req = api
                .http
                .post(format!("{}/api/v1/secrets", api.base))
                .header("content-type", content_type)
                .body(body);
            if let Some(auth) = auth {
                req = req.header("authorization", auth);
            }
            let r = req.send().await.unwrap();
            let status = r.status().as_u16();
            let challenge = r
                .headers()
                .get("www-authenticate")
                .map(|v| v.to_str().unwrap().to_owned());
            let text = r.text().await.unwrap();
            (status, challenge, text)
        }
    };

    // No credentials at all, or not bearer ones: "needs a token".
    for auth in [
        None,
        Some(format!("Basic {TOKEN}")),
        Some("Bearer".to_owned()),
    ] {
        let (status, challenge, text) = create(auth.clone(), "application/json", b(&body)).await;
        assert_eq!(status, 401, "{auth:?}: {text}");
        let challenge = challenge.expect("WWW-Authenticate on 401");
        assert!(challenge.starts_with("Bearer"), "{challenge}");
        assert!(!challenge.contains("invalid_token"), "{challenge}");
        let v: ErrorBody = serde_json::from_str(&text).expect("JSON 401");
        assert_eq!(v.error, "unauthorized");
        assert!(v.message.contains("token"), "{text}");
        assert!(!text.contains(TOKEN));
    }
    // Wrong tokens: near misses, other case, the token with extra bytes.
    let wrong = [
        "nope".to_owned(),
        TOKEN[..TOKEN.len() - 1].to_owned(),
        format!("{TOKEN}x"),
        TOKEN.to_uppercase(),
        format!("{TOKEN},{TOKEN}"),
    ];
    for w in &wrong {
        let (status, challenge, text) =
            create(Some(format!("Bearer {w}")), "application/json", b(&body)).await;
        assert_eq!(status, 401, "{w}: {text}");
        assert!(challenge.unwrap().contains("error=\"invalid_token\""));
        let v: ErrorBody = serde_json::from_str(&text).unwrap();
        assert_eq!(v.error, "unauthorized");
        assert!(
            !text.contains(w.as_str()) && !text.contains(TOKEN),
            "{text}"
        );
    }
    // A client sending the largest secret without a token still reads its 401.
    let big = sealed(&vec![7u8; 64 * 1024]);
    let big_body = big.create_request(None);
    for _ in 0..5 {
        let (status, _, text) = create(None, "application/json", b(&big_body)).await;
        assert_eq!(status, 401, "{text}");
    }
    // The token is checked first: a bad body without a token is still 401.
    let (status, _, _) = create(None, "text/plain", b"junk".to_vec()).await;
    assert_eq!(status, 401);
    assert_eq!(
        server.counts.puts(),
        0,
        "nothing unauthorised reached the store"
    );

    // The right token, scheme in any case, spaces around it.
    let (status, challenge, text) = create(
        Some(format!("bearer   {TOKEN} ")),
        "application/json",
        b(&body),
    )
    .await;
    assert_eq!(status, 201, "{text}");
    assert!(challenge.is_none());
    let s2 = sealed(b"guarded too");
    let (status, created) = authed.create(&s2, None).await;
    assert_eq!(status, 201, "{created}");
    // With the token, bad input still gets its own 4xx.
    let (status, _, text) = create(
        Some(format!("Bearer {TOKEN}")),
        "application/json",
        b"{".to_vec(),
    )
    .await;
    assert_eq!(status, 400, "{text}");

    // Taking needs no token.
    let (status, taken) = anon.take(&s.claim).await;
    assert_eq!(status, 200, "{taken}");
    let envelope = Base64UrlUnpadded::decode_vec(&read::<TakeResponse>(&taken).envelope).unwrap();
    assert_eq!(
        &oneshot_core::open(&s.key, &envelope).unwrap()[..],
        b"guarded"
    );
    assert_eq!(anon.take(&s.claim).await.0, 404);
    assert_eq!(anon.take(&s2.claim).await.0, 200);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_round_trip_races_conflicts_and_bad_inputs() {
    let redis = spawn_redis().await;
    let store = oneshot_redis::RedisStore::connect(&redis.url())
        .await
        .expect("connect to the spawned redis-server");
    let server = TestServer::with_store(Arc::new(store), Policy::default()).await;
    let api = Api::new(&server.base);
    core_suite(&api).await;
    bad_input_suite(&api).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_cluster_round_trip_and_races() {
    let cluster = tokio::task::spawn_blocking(oneshot_redis_harness::RedisCluster::start)
        .await
        .unwrap();
    let store = oneshot_redis::RedisStore::connect_cluster(cluster.urls())
        .await
        .expect("connect to the spawned cluster");
    let server = TestServer::with_store(Arc::new(store), Policy::default()).await;
    core_suite(&Api::new(&server.base)).await;
    server.stop().await;
}

/// Checks a 503: JSON with `retry` matching the code, Retry-After only when retrying is safe.
fn assert_store_failure(status: u16, headers: &reqwest::header::HeaderMap, body: &Value) -> String {
    assert_eq!(status, 503, "{body}");
    let error: ErrorBody = read(body);
    let code = error.error;
    match code.as_str() {
        "unavailable" => {
            assert_eq!(error.retry, Some(true), "{body}");
            assert!(headers.contains_key("retry-after"), "{headers:?}");
        }
        "indeterminate" => {
            assert_eq!(error.retry, Some(false), "{body}");
            assert!(!headers.contains_key("retry-after"), "{headers:?}");
        }
        other => panic!("unexpected 503 code {other}: {body}"),
    }
    code
}

/// Real store failures: a paused server (the take may have run: indeterminate,
/// never retry) and a killed one, then recovery.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_failures_are_503_with_the_right_retry_advice() {
    let (mut redis, server) = server_on_redis(Duration::from_millis(500)).await;
    let api = Api::new(&server.base);
    let s = sealed(b"survives a pause");
    assert_eq!(api.create(&s, None).await.0, 201);

    // Paused: the command is sent and never answered, so the outcome is unknown.
    redis.pause();
    let take = TakeRequest {
        claim: s.claim.clone(),
    };
    let (status, headers, body) = api.post("/api/v1/secrets/take", &take).await;
    assert_eq!(
        assert_store_failure(status, &headers, &body),
        "indeterminate"
    );
    let other = sealed(b"not stored");
    let create = other.create_request(None);
    let (status, headers, body) = api.post("/api/v1/secrets", &create).await;
    assert_eq!(
        assert_store_failure(status, &headers, &body),
        "indeterminate"
    );
    redis.resume();

    // Killed: every answer is a 503 with consistent advice, never a 500.
    redis.kill();
    // Let the client see the closed connection, so that the next command
    // certainly is not sent (unavailable) rather than lost in flight.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut codes = Vec::new();
    for _ in 0..3 {
        let (status, headers, body) = api.post("/api/v1/secrets/take", &take).await;
        codes.push(assert_store_failure(status, &headers, &body));
    }
    assert!(codes.iter().any(|c| c == "unavailable"), "{codes:?}");
    server.stop().await;
}

/// The v1 suites on the server's SQL stores, opened as `--postgres` and
/// `--sqlite` open them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_round_trip_races_conflicts_and_bad_inputs() {
    sql_suites(Sql::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_round_trip_races_conflicts_and_bad_inputs() {
    sql_suites(Sql::Sqlite).await;
}

async fn sql_suites(sql: Sql) {
    let (held, server) = server_on(sql).await;
    let api = Api::new(&server.base);
    core_suite(&api).await;
    bad_input_suite(&api).await;
    server.stop().await;
    drop(held);
}
