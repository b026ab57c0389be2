//! Property test: arbitrary methods, paths, headers, content types and bodies
//! sent to the real server never get a 5xx, every error is JSON, and the
//! server still works afterwards.

mod common {
    pub(crate) mod api;
    pub(crate) mod bearer;
    pub(crate) mod plain;
    pub(crate) mod receipts;
    pub(crate) mod server;
    pub(crate) mod v2;
}

use std::time::Duration;

use base64ct::{Base64UrlUnpadded, Encoding};
use common::api::{Api, sealed};
use common::server::TestServer;
use common::v2::{SealedV2, V2, V2_KEYS, seal_v2, v2_key};
use oneshot_examples::wire::ErrorBody;
use oneshot_examples::wire::v1::{
    CREATE_PATH, CreateRequest, TAKE_PATH, TakeRequest, TakeResponse,
};
use oneshot_examples::wire::v2;
use proptest::prelude::*;
use serde_json::{Value, json};

#[derive(Debug, Clone)]
struct Request {
    method: &'static str,
    path: String,
    content_type: Option<String>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        ".{0,60}".prop_map(Value::String),
        "[0-9a-fA-F]{30,34}".prop_map(Value::String),
        "[A-Za-z0-9_=+/-]{40,46}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(".{0,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A v2 secret with a passphrase and a receipt under a fixed key, whose
/// fields the fuzzer sends among others.
fn valid_v2() -> SealedV2 {
    seal_v2(
        b"fuzz v2",
        V2 {
            key: Some(v2_key(V2_KEYS[2])),
            passphrase: Some("fixed key"),
            receipt: Some([3; 32]),
            ..V2::default()
        },
    )
}

/// Objects with the API's field names, of both versions (and others), so
/// that requests get past the JSON parser and reach field validation and
/// the store.
fn api_object() -> impl Strategy<Value = Vec<u8>> {
    let valid = sealed(b"fuzz");
    let v2 = valid_v2();
    let v2_create = v2.create_request(None);
    let receipt = v2.receipt_request();
    let id = prop_oneof![Just(json!(valid.id)), Just(json!(v2.id)), json_value()];
    let envelope = prop_oneof![
        Just(json!(valid.envelope)),
        Just(json!(v2.envelope)),
        json_value()
    ];
    let claim = prop_oneof![
        Just(json!(valid.claim)),
        Just(json!(v2.claim)),
        json_value()
    ];
    let ttl = prop_oneof![(0u64..400_000).prop_map(|n| json!(n)), json_value()];
    let verifier = prop_oneof![
        Just(json!(v2_create.passphrase_verifier)),
        Just(json!(v2_create.receipt_verifier)),
        json_value()
    ];
    let proof = prop_oneof![Just(json!(v2.proof)), json_value()];
    let receipt_claim = prop_oneof![Just(json!(receipt.receipt_claim)), json_value()];
    (
        (
            prop::option::of(id),
            prop::option::of(envelope),
            prop::option::of(ttl),
            prop::option::of(claim),
        ),
        (
            prop::option::of(verifier.clone()),
            prop::option::of(verifier),
            prop::option::of(proof),
            prop::option::of(receipt_claim),
        ),
        prop::option::of(json_value()),
    )
        .prop_map(
            |((id, envelope, ttl, claim), (pv, rv, proof, receipt_claim), extra)| {
                let mut m = serde_json::Map::new();
                for (k, v) in [
                    (CreateRequest::ID.name, id),
                    (CreateRequest::ENVELOPE.name, envelope),
                    (CreateRequest::TTL_SECS.name, ttl),
                    (TakeRequest::CLAIM.name, claim),
                    (v2::CreateRequest::PASSPHRASE_VERIFIER.name, pv),
                    (v2::CreateRequest::RECEIPT_VERIFIER.name, rv),
                    (v2::TakeRequest::PASSPHRASE_PROOF.name, proof),
                    (v2::ReceiptRequest::RECEIPT_CLAIM.name, receipt_claim),
                    // Deliberately not a field of any request.
                    ("other", extra),
                ] {
                    if let Some(v) = v {
                        m.insert(k.to_owned(), v);
                    }
                }
                Value::Object(m).to_string().into_bytes()
            },
        )
}

fn request() -> impl Strategy<Value = Request> {
    let method = prop::sample::select(vec![
        "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS",
    ]);
    let path = prop_oneof![
        4 => prop::sample::select(vec![
            "/api/v1/secrets".to_owned(),
            "/api/v1/secrets/take".to_owned(),
            v2::CREATE_PATH.to_owned(),
            v2::TAKE_PATH.to_owned(),
            v2::RECEIPT_PATH.to_owned(),
            v2::BURN_PATH.to_owned(),
            "/".to_owned(),
            "/s".to_owned(),
            "/static/format.js".to_owned(),
            "/api/v1/config".to_owned(),
        ]),
        1 => "/[a-zA-Z0-9/%._~-]{0,40}",
    ];
    let content_type = prop::option::of(prop_oneof![
        Just("application/json".to_owned()),
        Just("application/json; charset=utf-8".to_owned()),
        Just("APPLICATION/JSON".to_owned()),
        Just("text/plain".to_owned()),
        Just("multipart/form-data; boundary=x".to_owned()),
        "[ -~]{0,40}",
    ]);
    let header = prop_oneof![
        3 => ("x-[a-z0-9-]{1,20}", "[ -~]{0,60}"),
        1 => (
            Just("authorization".to_owned()),
            prop_oneof![
                Just(format!("Bearer {TOKEN}")),
                "[Bb]earer [ -~]{0,40}",
                "[ -~]{0,60}",
            ],
        ),
    ];
    let body = prop_oneof![
        2 => api_object(),
        1 => json_value().prop_map(|v| v.to_string().into_bytes()),
        1 => prop::collection::vec(any::<u8>(), 0..600),
    ];
    (
        method,
        path,
        content_type,
        prop::collection::vec(header, 0..4),
        body,
    )
        .prop_map(|(method, path, content_type, headers, body)| Request {
            method,
            path,
            content_type,
            headers,
            body,
        })
}

/// The create token of the server in `arbitrary_requests_never_get_5xx_with_a_create_token`.
const TOKEN: &str = "fuzz-T0ken";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// What the answers of a fuzz run say reached the store.
#[derive(Debug, Default)]
struct Tally {
    /// `201`s: puts that stored.
    stored: usize,
    /// `409`s to a create: puts that found the id taken.
    conflicts: usize,
    /// `200`s to a take.
    taken: usize,
    /// `404`s to a take: well-formed claims that found nothing.
    missed: usize,
    /// `403`s and `400 passphrase_required`s to a v2 take: guarded takes
    /// that the store refused.
    guarded: usize,
    /// Of the `403`s, those with no attempt left: the secret is destroyed.
    destroyed: usize,
    /// Answers from the receipt store: `200` and `404` to a receipt, and
    /// `200`, `404` and `409` to a burn.
    receipt_calls: usize,
    /// `200`s to a burn: secrets destroyed by it.
    burned: usize,
}

impl Tally {
    /// Secrets that left the store.
    fn removed(&self) -> usize {
        self.taken + self.destroyed + self.burned
    }
}

/// Sends `cases` arbitrary requests to `server`, then a full round trip
/// (with `token` as the create token, if given), and checks that the store
/// saw exactly the puts and takes that the answers imply: no refused
/// request reached it. Returns the tally of the arbitrary requests.
fn fuzz(
    rt: &tokio::runtime::Runtime,
    server: &TestServer,
    cases: u32,
    token: Option<&str>,
) -> Tally {
    let api = Api::new(&server.base);
    let tally = std::cell::RefCell::new(Tally::default());
    let config = ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(req in request())| {
        let (status, content_type, text) = rt.block_on(async {
            let mut r = api.http.request(req.method.parse().unwrap(), format!("{}{}", api.base, req.path));
            if let Some(ct) = &req.content_type {
                r = r.header("content-type", ct);
            }
            for (k, v) in &req.headers {
                r = r.header(k, v);
            }
            let response = r
                .body(req.body.clone())
                .timeout(Duration::from_secs(10))
                .send()
                .await
                .expect("the server answers");
            let status = response.status().as_u16();
            let ct = response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            (status, ct, response.text().await.unwrap_or_default())
        });
        prop_assert!(status < 500, "{} {} got {status}: {text}", req.method, req.path);
        if status >= 400 && req.method != "HEAD" {
            prop_assert!(content_type.starts_with("application/json"), "{status} with {content_type}");
            let parsed = serde_json::from_str::<ErrorBody>(&text);
            prop_assert!(parsed.is_ok(), "not an error body: {text}");
        }
        let mut tally = tally.borrow_mut();
        let path = req.path.as_str();
        let create = path == CREATE_PATH || path == v2::CREATE_PATH;
        let take = path == TAKE_PATH || path == v2::TAKE_PATH;
        let code = serde_json::from_str::<ErrorBody>(&text).map(|e| e.error).unwrap_or_default();
        match status {
            201 => tally.stored += 1,
            409 if create => tally.conflicts += 1,
            200 if take => tally.taken += 1,
            404 if take => tally.missed += 1,
            403 if path == v2::TAKE_PATH => {
                tally.guarded += 1;
                let wrong: v2::WrongPassphrase = serde_json::from_str(&text).unwrap();
                if wrong.attempts_left == 0 {
                    tally.destroyed += 1;
                }
            }
            400 if path == v2::TAKE_PATH && code == "passphrase_required" => tally.guarded += 1,
            200 | 404 if path == v2::RECEIPT_PATH => tally.receipt_calls += 1,
            200 if path == v2::BURN_PATH => {
                tally.receipt_calls += 1;
                tally.burned += 1;
            }
            404 | 409 if path == v2::BURN_PATH => tally.receipt_calls += 1,
            _ => {}
        }
    });
    let tally = tally.into_inner();

    // Still serving: a full round trip works.
    let api = match token {
        Some(token) => api.with_token(token),
        None => api,
    };
    rt.block_on(async {
        let s = sealed(b"after the storm");
        assert_eq!(api.create(&s, Some(600)).await.0, 201);
        let (status, body) = api.take(&s.claim).await;
        assert_eq!(status, 200, "{body}");
        let taken: TakeResponse = serde_json::from_value(body).unwrap();
        let envelope = Base64UrlUnpadded::decode_vec(&taken.envelope).unwrap();
        assert_eq!(
            &oneshot_core::open(&s.key, &envelope).unwrap()[..],
            b"after the storm"
        );
        // And v2, with a passphrase and a receipt.
        let s = seal_v2(
            b"v2 after the storm",
            V2 {
                passphrase: Some("after"),
                receipt: Some([4; 32]),
                ..V2::default()
            },
        );
        assert_eq!(api.create_v2(&s, Some(600)).await.0, 201);
        let (status, body) = api.take_v2(&s.claim, None).await;
        assert_eq!(status, 400, "{body}");
        let (status, body) = api.take_v2(&s.claim, s.proof.as_deref()).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(s.open(&body).body(), b"v2 after the storm");
        let (status, body) = api.receipt(&s.receipt_request()).await;
        assert_eq!((status, &body["state"]), (200, &json!("read")), "{body}");
        let (status, body) = api.burn(&s.receipt_request()).await;
        assert_eq!(
            (status, &body["error"]),
            (409, &json!("already_read")),
            "{body}"
        );
    });
    assert_eq!(
        server.counts.puts(),
        tally.stored + tally.conflicts + 2,
        "every put that reached the store was answered 201 or 409: {tally:?}"
    );
    assert_eq!(
        server.counts.takes(),
        tally.taken + tally.missed + tally.guarded + 3,
        "every take that reached the store was answered 200, 404, 403 or 400 passphrase_required: {tally:?}"
    );
    assert_eq!(
        server.counts.receipt_calls(),
        tally.receipt_calls + 2,
        "every receipt call that reached the store was answered 200, 404 or 409: {tally:?}"
    );
    tally
}

#[test]
fn arbitrary_requests_never_get_5xx_on_memory() {
    let rt = runtime();
    let server = rt.block_on(TestServer::memory());
    let tally = fuzz(&rt, &server, 400, None);
    assert_eq!(
        server.entries(),
        tally.stored - tally.removed(),
        "{tally:?}"
    );
    rt.block_on(server.stop());
}

#[test]
fn arbitrary_requests_never_get_5xx_on_redis() {
    let redis = oneshot_redis_harness::RedisServer::start();
    let rt = runtime();
    let server = rt.block_on(async {
        let store = oneshot_redis::RedisStore::connect(&redis.url())
            .await
            .expect("connect to the spawned redis-server");
        TestServer::with_store(std::sync::Arc::new(store), oneshot_core::Policy::default()).await
    });
    fuzz(&rt, &server, 200, None);
    rt.block_on(server.stop());
}

#[test]
fn arbitrary_requests_never_get_5xx_with_a_create_token() {
    let rt = runtime();
    let server = rt.block_on(TestServer::memory_with(|app| {
        app.with_create_token(oneshot_examples::server::CreateToken::new(TOKEN).unwrap())
    }));
    let tally = fuzz(&rt, &server, 200, Some(TOKEN));
    assert_eq!(
        server.entries(),
        tally.stored - tally.removed(),
        "{tally:?}"
    );
    rt.block_on(server.stop());
}
