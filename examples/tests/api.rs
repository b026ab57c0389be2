//! The JSON API against the real server on a free port, on the in-memory
//! store and on a real `redis-server` (and Redis Cluster) spawned for the test.

mod common;

use std::sync::Arc;
use std::time::Duration;

use base64ct::{Base64UrlUnpadded, Encoding};
use common::{Api, TestServer, sealed};
use oneshot_core::Policy;
use serde_json::{Value, json};

/// Round trip, second take 404, duplicate 409, one winner of 16 racers.
async fn core_suite(api: &Api) {
    // Round trip.
    let s = sealed(b"hunter2");
    let (status, body) = api.create(&s, Some(3600)).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["id"], json!(s.id));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let expires = body["expires_at"].as_u64().expect("expires_at is a number");
    assert!(
        (now + 3590..=now + 3610).contains(&expires),
        "{expires} vs {now}"
    );

    // Same id again: 409, and the first stays intact.
    let (status, body) = api.create(&s, None).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"], "already_exists");

    let (status, body) = api.take(&s.claim).await;
    assert_eq!(status, 200, "{body}");
    let envelope = Base64UrlUnpadded::decode_vec(body["envelope"].as_str().unwrap()).unwrap();
    let opened = oneshot_core::open(&s.key, &envelope).unwrap();
    assert_eq!(&opened[..], b"hunter2");

    // Second take: 404, same as a claim that never existed.
    let (status, gone) = api.take(&s.claim).await;
    assert_eq!(status, 404);
    let (status, never) = api.take(&sealed(b"x").claim).await;
    assert_eq!(status, 404);
    assert_eq!(gone, never, "already-read and never-existed look the same");
    assert_eq!(gone["error"], "not_found");

    // Default TTL when none is given.
    let s = sealed(b"default ttl");
    let (status, body) = api.create(&s, None).await;
    assert_eq!(status, 201, "{body}");
    let expires = body["expires_at"].as_u64().unwrap();
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

/// Sends a raw request and checks the JSON error.
async fn expect_error(
    api: &Api,
    method: &str,
    path: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
    status: u16,
    code: &str,
) {
    let mut req = api
        .http
        .request(method.parse().unwrap(), format!("{}{path}", api.base));
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    let r = req.body(body).send().await.expect("request");
    let got = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let text = r.text().await.unwrap();
    assert_eq!(got, status, "{method} {path} ({content_type:?}): {text}");
    assert!(
        ct.starts_with("application/json"),
        "{method} {path}: content-type {ct}"
    );
    let v: Value = serde_json::from_str(&text).expect("JSON error body");
    assert_eq!(v["error"], code, "{method} {path}: {text}");
    assert!(
        v["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{text}"
    );
}

const JSON: Option<&str> = Some("application/json");

#[allow(clippy::needless_pass_by_value)] // called with temporaries
fn b(v: Value) -> Vec<u8> {
    v.to_string().into_bytes()
}

/// Every class of bad input gets its 4xx with a JSON body.
async fn bad_input_suite(api: &Api) {
    let s = sealed(b"valid");
    let create = "/api/v1/secrets";
    let take = "/api/v1/secrets/take";
    let ok = || json!({ "id": s.id, "envelope": s.envelope, "ttl_secs": 3600 });
    let with = |field: &str, value: Value| {
        let mut v = ok();
        v[field] = value;
        b(v)
    };

    // Content type.
    expect_error(
        api,
        "POST",
        create,
        Some("text/plain"),
        b(ok()),
        415,
        "unsupported_media_type",
    )
    .await;
    expect_error(
        api,
        "POST",
        create,
        None,
        b(ok()),
        415,
        "unsupported_media_type",
    )
    .await;
    expect_error(
        api,
        "POST",
        take,
        Some("application/x-www-form-urlencoded"),
        b"claim=x".to_vec(),
        415,
        "unsupported_media_type",
    )
    .await;
    // Not JSON, not an object, missing and unknown fields.
    expect_error(
        api,
        "POST",
        create,
        JSON,
        b"{\"id\":".to_vec(),
        400,
        "invalid_json",
    )
    .await;
    expect_error(
        api,
        "POST",
        create,
        JSON,
        b"\xff\xfe".to_vec(),
        400,
        "invalid_json",
    )
    .await;
    expect_error(api, "POST", create, JSON, Vec::new(), 400, "invalid_json").await;
    expect_error(
        api,
        "POST",
        take,
        JSON,
        b"[1,2]".to_vec(),
        400,
        "invalid_request",
    )
    .await;
    expect_error(
        api,
        "POST",
        create,
        JSON,
        b(json!({ "envelope": s.envelope })),
        400,
        "invalid_request",
    )
    .await;
    expect_error(
        api,
        "POST",
        create,
        JSON,
        with("admin", json!(true)),
        400,
        "invalid_request",
    )
    .await;
    expect_error(
        api,
        "POST",
        take,
        JSON,
        b(json!({})),
        400,
        "invalid_request",
    )
    .await;
    // Wrong types.
    expect_error(
        api,
        "POST",
        create,
        JSON,
        with("id", json!(5)),
        400,
        "invalid_id",
    )
    .await;
    expect_error(
        api,
        "POST",
        create,
        JSON,
        with("envelope", json!([1, 2])),
        400,
        "invalid_envelope",
    )
    .await;
    expect_error(
        api,
        "POST",
        create,
        JSON,
        with("ttl_secs", json!("1h")),
        400,
        "invalid_ttl",
    )
    .await;
    expect_error(
        api,
        "POST",
        take,
        JSON,
        b(json!({ "claim": 123 })),
        400,
        "invalid_claim",
    )
    .await;
    // Bad hex and wrong id lengths.
    expect_error(
        api,
        "POST",
        create,
        JSON,
        with("id", json!(s.id.to_uppercase())),
        400,
        "invalid_id",
    )
    .await;
    expect_error(
        api,
        "POST",
        create,
        JSON,
        with("id", json!("zz".repeat(16))),
        400,
        "invalid_id",
    )
    .await;
    expect_error(
        api,
        "POST",
        create,
        JSON,
        with("id", json!(&s.id[..30])),
        400,
        "invalid_id",
    )
    .await;
    expect_error(
        api,
        "POST",
        create,
        JSON,
        with("id", json!(format!("{}00", s.id))),
        400,
        "invalid_id",
    )
    .await;
    // Bad base64 and envelopes that are not v1 envelopes.
    expect_error(
        api,
        "POST",
        create,
        JSON,
        with("envelope", json!(format!("{}==", s.envelope))),
        400,
        "invalid_envelope",
    )
    .await;
    expect_error(
        api,
        "POST",
        create,
        JSON,
        with("envelope", json!(s.envelope.replace('A', "+"))),
        400,
        "invalid_envelope",
    )
    .await;
    let raw = Base64UrlUnpadded::decode_vec(&s.envelope).unwrap();
    let mut v2 = raw.clone();
    v2[0] = 2;
    expect_error(
        api,
        "POST",
        create,
        JSON,
        with("envelope", json!(Base64UrlUnpadded::encode_string(&v2))),
        400,
        "invalid_envelope",
    )
    .await;
    expect_error(
        api,
        "POST",
        create,
        JSON,
        with(
            "envelope",
            json!(Base64UrlUnpadded::encode_string(&raw[..200])),
        ),
        400,
        "invalid_envelope",
    )
    .await;
    let mut off = raw.clone();
    off.extend_from_slice(&[0; 7]);
    expect_error(
        api,
        "POST",
        create,
        JSON,
        with("envelope", json!(Base64UrlUnpadded::encode_string(&off))),
        400,
        "invalid_envelope",
    )
    .await;
    // Claims: wrong length, foreign alphabet, non-canonical trailing bits.
    expect_error(
        api,
        "POST",
        take,
        JSON,
        b(json!({ "claim": &s.claim[..42] })),
        400,
        "invalid_claim",
    )
    .await;
    expect_error(
        api,
        "POST",
        take,
        JSON,
        b(json!({ "claim": format!("{}=", &s.claim[..42]) })),
        400,
        "invalid_claim",
    )
    .await;
    expect_error(
        api,
        "POST",
        take,
        JSON,
        b(json!({ "claim": format!("{}B", &s.claim[..42]) })),
        400,
        "invalid_claim",
    )
    .await;
    // TTL out of range or not a whole number.
    for ttl in [
        json!(0),
        json!(59),
        json!(72 * 3600 + 1),
        json!(-5),
        json!(1.5),
        json!(1e30),
    ] {
        expect_error(
            api,
            "POST",
            create,
            JSON,
            with("ttl_secs", ttl),
            400,
            "invalid_ttl",
        )
        .await;
    }
    // Over the limits: the request body, and an envelope larger than any allowed body makes.
    let huge = vec![b'a'; 1024 * 1024];
    expect_error(api, "POST", create, JSON, huge, 413, "too_large").await;
    let big = oneshot_core::seal(&s.key, &vec![0u8; 64 * 1024 + 300]).unwrap();
    expect_error(
        api,
        "POST",
        create,
        JSON,
        with("envelope", json!(Base64UrlUnpadded::encode_string(&big))),
        413,
        "too_large",
    )
    .await;
    // Routes and methods.
    expect_error(
        api,
        "GET",
        create,
        None,
        Vec::new(),
        405,
        "method_not_allowed",
    )
    .await;
    expect_error(
        api,
        "DELETE",
        take,
        None,
        Vec::new(),
        405,
        "method_not_allowed",
    )
    .await;
    expect_error(
        api,
        "GET",
        "/api/v1/secrets/0123",
        None,
        Vec::new(),
        404,
        "not_found",
    )
    .await;
    expect_error(
        api,
        "GET",
        "/static/nope.js",
        None,
        Vec::new(),
        404,
        "not_found",
    )
    .await;
    expect_error(
        api,
        "GET",
        "/static/%ff%fe",
        None,
        Vec::new(),
        404,
        "not_found",
    )
    .await;
    expect_error(api, "POST", "/", JSON, b(ok()), 405, "method_not_allowed").await;

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
        ("GET", "/nowhere"),
        ("POST", "/api/v1/secrets/take"),
    ];
    for (method, path) in paths {
        let r = api
            .http
            .request(method.parse().unwrap(), format!("{}{path}", api.base))
            .header("content-type", "application/json")
            .body("{\"claim\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\"}")
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

fn redis_store_config(url: String) -> oneshot_redis::RedisConfig {
    oneshot_redis::RedisConfig::new(url)
        .connect_timeout(Duration::from_millis(500))
        .response_timeout(Duration::from_millis(500))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_round_trip_races_conflicts_and_bad_inputs() {
    let redis = tokio::task::spawn_blocking(oneshot_redis_harness::RedisServer::start)
        .await
        .unwrap();
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
    let code = body["error"].as_str().expect("error code").to_owned();
    match code.as_str() {
        "unavailable" => {
            assert_eq!(body["retry"], json!(true), "{body}");
            assert!(headers.contains_key("retry-after"), "{headers:?}");
        }
        "indeterminate" => {
            assert_eq!(body["retry"], json!(false), "{body}");
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
    let mut redis = tokio::task::spawn_blocking(oneshot_redis_harness::RedisServer::start)
        .await
        .unwrap();
    let store = redis_store_config(redis.url())
        .connect()
        .await
        .expect("connect");
    let server = TestServer::with_store(Arc::new(store), Policy::default()).await;
    let api = Api::new(&server.base);
    let s = sealed(b"survives a pause");
    assert_eq!(api.create(&s, None).await.0, 201);

    // Paused: the command is sent and never answered, so the outcome is unknown.
    redis.pause();
    let take = json!({ "claim": s.claim });
    let (status, headers, body) = api.post("/api/v1/secrets/take", &take).await;
    assert_eq!(
        assert_store_failure(status, &headers, &body),
        "indeterminate"
    );
    let other = sealed(b"not stored");
    let create = json!({ "id": other.id, "envelope": other.envelope });
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
