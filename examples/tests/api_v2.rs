//! The v2 JSON API (passphrases, files, receipts) against the real server on
//! a free port: on the in-memory store, on a real `redis-server` and Redis
//! Cluster spawned for the test, and on PostgreSQL and SQLite.

mod common {
    pub(crate) mod api;
    pub(crate) mod bearer;
    pub(crate) mod plain;
    pub(crate) mod raw;
    pub(crate) mod receipts;
    pub(crate) mod redis;
    pub(crate) mod server;
    pub(crate) mod sql;
    pub(crate) mod v2;
}

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64ct::{Base64UrlUnpadded, Encoding};
use common::api::{Api, sealed};
use common::raw::{Req, b, expect_error};
use common::redis::spawn_redis;
use common::server::TestServer;
use common::sql::{Sql, server_on};
use common::v2::{SealedV2, V2, V2_KEYS, seal_v2, v2_key};
use oneshot_core::v2::Kind;
use oneshot_core::{PassphraseProof, Policy, ReceiptClaim};
use oneshot_examples::server::CreateToken;
use oneshot_examples::wire::v1::ConfigResponse;
use oneshot_examples::wire::v2::{
    BURN_PATH, BurnRefused, CREATE_PATH, CreateResponse, RECEIPT_PATH, Reason, ReceiptRequest,
    ReceiptResponse, State, TAKE_PATH, WrongPassphrase,
};
use oneshot_examples::wire::{ErrorBody, SMALL_BODY_LIMIT};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// `value` read as `T`, or a failure that shows it.
fn read<T: DeserializeOwned>(value: &Value) -> T {
    serde_json::from_value(value.clone()).unwrap_or_else(|e| panic!("{e}: {value}"))
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A proof no passphrase derives (the server compares only verifiers).
fn wrong_proof() -> String {
    PassphraseProof::from_bytes([9; 32]).to_b64u().to_string()
}

/// A fresh receipt key for each secret of a suite (ids are random).
fn receipt_key(n: u8) -> Option<[u8; 32]> {
    Some([n; 32])
}

/// The receipt, which must exist.
async fn receipt_of(api: &Api, s: &SealedV2) -> ReceiptResponse {
    let (status, body) = api.receipt(&s.receipt_request()).await;
    assert_eq!(status, 200, "{body}");
    read(&body)
}

/// Texts and files round trip; a second take, a duplicate and a create
/// over a spent id are refused; of 16 racing takes one wins; each version's
/// create takes only its own envelopes.
async fn core_suite(api: &Api) {
    let s = seal_v2(b"hunter2", V2::default());
    let (status, body) = api.create_v2(&s, Some(3600)).await;
    assert_eq!(status, 201, "{body}");
    let created: CreateResponse = read(&body);
    assert_eq!(created.id, s.id);
    assert!(
        (now() + 3590..=now() + 3610).contains(&created.expires_at),
        "{body}"
    );
    let (status, body) = api.create_v2(&s, None).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(read::<ErrorBody>(&body).error, "already_exists");
    let (status, taken) = api.take_v2(&s.claim, None).await;
    assert_eq!(status, 200, "{taken}");
    let opened = s.open(&taken);
    assert_eq!(
        (opened.kind(), opened.body()),
        (Kind::Text, &b"hunter2"[..])
    );
    // Gone, and looks like a secret that never existed.
    let (status, gone) = api.take_v2(&s.claim, None).await;
    assert_eq!(status, 404);
    let (_, never) = api.take_v2(&seal_v2(b"x", V2::default()).claim, None).await;
    assert_eq!(gone, never);
    assert_eq!(read::<ErrorBody>(&gone).error, "not_found");
    // A spent id stays spent: nobody can put another secret under the link.
    let (status, body) = api.create_v2(&s, None).await;
    assert_eq!(status, 409, "{body}");

    // A file, its name and media type inside the encryption.
    let f = seal_v2(
        b"%PDF-1.7 ...",
        V2 {
            file: Some(("report (final).pdf", "application/pdf")),
            ..V2::default()
        },
    );
    assert_eq!(api.create_v2(&f, None).await.0, 201);
    let (status, taken) = api.take_v2(&f.claim, None).await;
    assert_eq!(status, 200, "{taken}");
    let opened = f.open(&taken);
    assert_eq!(opened.kind(), Kind::File);
    assert_eq!(opened.name(), Some("report (final).pdf"));
    assert_eq!(opened.media_type(), "application/pdf");
    assert_eq!(opened.body(), b"%PDF-1.7 ...");

    // A proof sent for a secret without a passphrase is ignored.
    let s = seal_v2(b"no passphrase", V2::default());
    assert_eq!(api.create_v2(&s, None).await.0, 201);
    assert_eq!(api.take_v2(&s.claim, Some(&wrong_proof())).await.0, 200);

    // 16 concurrent takes of one secret: exactly one 200, fifteen 404.
    let s = seal_v2(b"race me", V2::default());
    assert_eq!(api.create_v2(&s, Some(600)).await.0, 201);
    let statuses = race(16, |_| {
        let (api, claim) = (api.clone(), s.claim.clone());
        async move { api.take_v2(&claim, None).await.0 }
    })
    .await;
    assert_eq!(count(&statuses, 200), 1, "{statuses:?}");
    assert_eq!(count(&statuses, 404), 15, "{statuses:?}");

    // Each version's create takes only its own envelopes.
    let v1 = sealed(b"a v1 envelope");
    let v1_on_v2 = json!({ "id": v1.id, "envelope": v1.envelope });
    let (status, _, body) = api.post(CREATE_PATH, &v1_on_v2).await;
    assert_eq!(status, 400, "{body}");
    let error: ErrorBody = read(&body);
    assert_eq!(error.error, "invalid_envelope");
    assert!(error.message.contains("/api/v1/secrets"), "{body}");
    let v2_on_v1 = json!({ "id": s.id, "envelope": s.envelope });
    let (status, _, body) = api.post("/api/v1/secrets", &v2_on_v1).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(read::<ErrorBody>(&body).error, "invalid_envelope");
    assert!(
        read::<ErrorBody>(&body).message.contains(CREATE_PATH),
        "{body}"
    );
    // The v1 endpoints serve v1 as before, beside v2.
    assert_eq!(api.create(&v1, None).await.0, 201);
    let (status, taken) = api.take(&v1.claim).await;
    assert_eq!(status, 200, "{taken}");
    let envelope = Base64UrlUnpadded::decode_vec(taken["envelope"].as_str().unwrap()).unwrap();
    assert_eq!(
        &oneshot_core::open(&v1.key, &envelope).unwrap()[..],
        b"a v1 envelope"
    );
    // And a v2 claim at the v1 take finds nothing (its id is another).
    let s = seal_v2(b"v2 only", V2::default());
    assert_eq!(api.create_v2(&s, None).await.0, 201);
    assert_eq!(api.take(&s.claim).await.0, 404);
    assert_eq!(api.take_v2(&s.claim, None).await.0, 200);
}

/// Runs `n` tasks at once; their results.
async fn race<F, Fut>(n: usize, task: F) -> Vec<u16>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = u16> + Send + 'static,
{
    let tasks: Vec<_> = (0..n).map(|i| tokio::spawn(task(i))).collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

fn count(statuses: &[u16], status: u16) -> usize {
    statuses.iter().filter(|&&s| s == status).count()
}

/// A wrong passphrase burns nothing and counts down to destruction; a take
/// without a proof is refused and counts nothing; the receipt agrees at
/// every step. `attempts` is the server's limit.
async fn passphrase_suite(api: &Api, attempts: u32) {
    let s = seal_v2(
        b"behind a passphrase",
        V2 {
            passphrase: Some("correct horse"),
            receipt: receipt_key(1),
            ..V2::default()
        },
    );
    assert_eq!(api.create_v2(&s, None).await.0, 201);
    // No proof: 400, nothing counted, nothing taken.
    for _ in 0..3 {
        let (status, body) = api.take_v2(&s.claim, None).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(read::<ErrorBody>(&body).error, "passphrase_required");
    }
    assert_eq!(receipt_of(api, &s).await.failed_attempts, 0);
    // Wrong proofs: 403 with the attempts left, the secret stays.
    let tries = (attempts - 1).min(2);
    for left in (attempts - tries..attempts).rev() {
        let (status, body) = api.take_v2(&s.claim, Some(&wrong_proof())).await;
        assert_eq!(status, 403, "{body}");
        let wrong: WrongPassphrase = read(&body);
        assert_eq!(
            (wrong.error.as_str(), wrong.attempts_left),
            ("wrong_passphrase", left)
        );
        assert!(!body.to_string().contains(&wrong_proof()), "{body}");
        let receipt = receipt_of(api, &s).await;
        assert_eq!(
            (receipt.state, receipt.failed_attempts),
            (State::Pending, attempts - left)
        );
    }
    // The right one still works, and the receipt remembers the failures.
    let (status, taken) = api.take_v2(&s.claim, s.proof.as_deref()).await;
    assert_eq!(status, 200, "{taken}");
    assert_eq!(s.open(&taken).body(), b"behind a passphrase");
    let receipt = receipt_of(api, &s).await;
    assert_eq!(
        (receipt.state, receipt.failed_attempts),
        (State::Read, tries)
    );
    assert!(receipt.read_at.is_some_and(|t| t.abs_diff(now()) < 10));
    assert_eq!(api.take_v2(&s.claim, s.proof.as_deref()).await.0, 404);

    // Counting down: the last allowed wrong proof destroys it (0 left).
    let s = seal_v2(
        b"destroyed by guesses",
        V2 {
            passphrase: Some("unguessable"),
            receipt: receipt_key(2),
            ..V2::default()
        },
    );
    assert_eq!(api.create_v2(&s, None).await.0, 201);
    for left in (0..attempts).rev() {
        let (status, body) = api.take_v2(&s.claim, Some(&wrong_proof())).await;
        assert_eq!(status, 403, "{body}");
        assert_eq!(read::<WrongPassphrase>(&body).attempts_left, left);
    }
    let (status, body) = api.take_v2(&s.claim, s.proof.as_deref()).await;
    assert_eq!(
        status, 404,
        "destroyed, even for the right passphrase: {body}"
    );
    let receipt = receipt_of(api, &s).await;
    assert_eq!(receipt.state, State::Burned, "{receipt:?}");
    assert_eq!(receipt.reason, Some(Reason::PassphraseAttempts));
    assert_eq!(receipt.failed_attempts, attempts);
    assert!(receipt.burned_at.is_some());
    // Burned is burned: the sender cannot burn it again.
    let (status, body) = api.burn(&s.receipt_request()).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(read::<BurnRefused>(&body).error, "already_burned");

    // 16 racing wrong proofs: exactly `attempts` of them are counted, each
    // told a different number of attempts left; the rest find nothing.
    let s = seal_v2(
        b"raced guesses",
        V2 {
            passphrase: Some("raced"),
            ..V2::default()
        },
    );
    assert_eq!(api.create_v2(&s, None).await.0, 201);
    let results = Arc::new(std::sync::Mutex::new(Vec::new()));
    let statuses = race(16, |_| {
        let (api, claim, results) = (api.clone(), s.claim.clone(), Arc::clone(&results));
        async move {
            let (status, body) = api.take_v2(&claim, Some(&wrong_proof())).await;
            if status == 403 {
                results
                    .lock()
                    .unwrap()
                    .push(read::<WrongPassphrase>(&body).attempts_left);
            }
            status
        }
    })
    .await;
    let mut left = results.lock().unwrap().clone();
    left.sort_unstable();
    assert_eq!(left, (0..attempts).collect::<Vec<_>>(), "{statuses:?}");
    assert_eq!(
        count(&statuses, 404),
        16 - attempts as usize,
        "{statuses:?}"
    );
    assert_eq!(api.take_v2(&s.claim, s.proof.as_deref()).await.0, 404);

    // 16 racing right proofs: one 200.
    let s = seal_v2(
        b"raced right",
        V2 {
            key: Some(v2_key(V2_KEYS[2])),
            passphrase: Some("fixed key"),
            ..V2::default()
        },
    );
    assert_eq!(api.create_v2(&s, None).await.0, 201);
    let statuses = race(16, |_| {
        let (api, claim, proof) = (api.clone(), s.claim.clone(), s.proof.clone());
        async move { api.take_v2(&claim, proof.as_deref()).await.0 }
    })
    .await;
    assert_eq!(count(&statuses, 200), 1, "{statuses:?}");
    assert_eq!(count(&statuses, 404), 15, "{statuses:?}");
}

/// Receipts: pending, read, burned by the sender; refused burns say why
/// with the receipt's fields; a wrong claim finds nothing and changes
/// nothing; the receipt and burn calls need no create token.
async fn receipt_suite(api: &Api) {
    let s = seal_v2(
        b"with a receipt",
        V2 {
            receipt: receipt_key(3),
            ..V2::default()
        },
    );
    let (status, body) = api.create_v2(&s, Some(1800)).await;
    assert_eq!(status, 201, "{body}");
    let expires_at = read::<CreateResponse>(&body).expires_at;
    let pending = receipt_of(api, &s).await;
    assert_eq!(
        pending,
        ReceiptResponse {
            state: State::Pending,
            expires_at: pending.expires_at,
            read_at: None,
            burned_at: None,
            reason: None,
            failed_attempts: 0,
        }
    );
    assert!(pending.expires_at.abs_diff(expires_at) <= 1, "{pending:?}");
    // Exactly the documented fields.
    let (_, raw) = api.receipt(&s.receipt_request()).await;
    assert_eq!(
        raw,
        json!({ "state": "pending", "expires_at": pending.expires_at, "failed_attempts": 0 })
    );

    // A wrong claim, or a right claim for another id: 404, like an unknown
    // id, and nothing changes.
    let wrong_claim = ReceiptRequest {
        id: s.id.clone(),
        receipt_claim: ReceiptClaim::from_bytes([7; 32]).to_b64u().to_string(),
    };
    let other_id = ReceiptRequest {
        id: "ab".repeat(16),
        receipt_claim: s.receipt_request().receipt_claim.clone(),
    };
    let mut not_found = Vec::new();
    for request in [&wrong_claim, &other_id] {
        let (status, body) = api.receipt(request).await;
        assert_eq!(status, 404, "{body}");
        not_found.push(body);
        let (status, body) = api.burn(request).await;
        assert_eq!(status, 404, "{body}");
        not_found.push(body);
    }
    assert!(not_found.windows(2).all(|w| w[0] == w[1]), "{not_found:?}");
    assert_eq!(read::<ErrorBody>(&not_found[0]).error, "not_found");
    assert_eq!(receipt_of(api, &s).await, pending, "nothing changed");

    // Read: the receipt says when; burning is refused with the receipt.
    let (status, _) = api.take_v2(&s.claim, None).await;
    assert_eq!(status, 200);
    let read_receipt = receipt_of(api, &s).await;
    assert_eq!(read_receipt.state, State::Read);
    let read_at = read_receipt.read_at.expect("read_at");
    assert!(read_at.abs_diff(now()) < 10);
    let (status, body) = api.burn(&s.receipt_request()).await;
    assert_eq!(status, 409, "{body}");
    let refused: BurnRefused = read(&body);
    assert_eq!(refused.error, "already_read");
    assert!(!refused.message.is_empty());
    assert_eq!(refused.receipt, read_receipt);
    assert_eq!(receipt_of(api, &s).await, read_receipt, "nothing changed");

    // Burned by its sender: 200 with the new state; the take finds nothing;
    // a second burn is refused.
    let s = seal_v2(
        b"burn me",
        V2 {
            receipt: receipt_key(4),
            passphrase: Some("and a passphrase"),
            ..V2::default()
        },
    );
    assert_eq!(api.create_v2(&s, None).await.0, 201);
    let (status, body) = api.burn(&s.receipt_request()).await;
    assert_eq!(status, 200, "{body}");
    let burned: ReceiptResponse = read(&body);
    assert_eq!(
        (burned.state, burned.reason),
        (State::Burned, Some(Reason::Sender))
    );
    assert!(burned.burned_at.is_some_and(|t| t.abs_diff(now()) < 10));
    assert_eq!(receipt_of(api, &s).await, burned);
    assert_eq!(api.take_v2(&s.claim, s.proof.as_deref()).await.0, 404);
    let (status, body) = api.burn(&s.receipt_request()).await;
    assert_eq!(status, 409, "{body}");
    let refused: BurnRefused = read(&body);
    assert_eq!(
        (refused.error.as_str(), refused.receipt),
        ("already_burned", burned)
    );
    // A burned id stays spent.
    assert_eq!(api.create_v2(&s, None).await.0, 409);

    // A secret without a receipt has none: 404 to a claim for its id.
    let plain = seal_v2(b"no receipt", V2::default());
    assert_eq!(api.create_v2(&plain, None).await.0, 201);
    let request = ReceiptRequest {
        id: plain.id.clone(),
        receipt_claim: wrong_claim.receipt_claim.clone(),
    };
    assert_eq!(api.receipt(&request).await.0, 404);
    assert_eq!(api.burn(&request).await.0, 404);
    assert_eq!(api.take_v2(&plain.claim, None).await.0, 200);
}

/// A take and a burn raced over HTTP: exactly one wins, and the receipt
/// agrees with the winner.
async fn take_burn_race(api: &Api, rounds: u8) {
    let mut winners = [0usize; 2];
    for round in 0..rounds {
        let s = seal_v2(
            b"take or burn",
            V2 {
                receipt: receipt_key(100 + round),
                ..V2::default()
            },
        );
        assert_eq!(api.create_v2(&s, None).await.0, 201);
        let (take_api, burn_api) = (api.clone(), api.clone());
        let claim = s.claim.clone();
        let request = s.receipt_request();
        let take = tokio::spawn(async move { take_api.take_v2(&claim, None).await });
        let burn = tokio::spawn(async move { burn_api.burn(&request).await });
        let ((took, taken), (burned, burn_body)) = (take.await.unwrap(), burn.await.unwrap());
        let receipt = receipt_of(api, &s).await;
        match (took, burned) {
            (200, 409) => {
                assert_eq!(s.open(&taken).body(), b"take or burn");
                let refused: BurnRefused = read(&burn_body);
                assert_eq!(refused.error, "already_read");
                assert_eq!(receipt.state, State::Read);
                assert_eq!(refused.receipt, receipt);
                winners[0] += 1;
            }
            (404, 200) => {
                assert_eq!(receipt.state, State::Burned);
                assert_eq!(receipt.reason, Some(Reason::Sender));
                assert_eq!(read::<ReceiptResponse>(&burn_body), receipt);
                winners[1] += 1;
            }
            other => panic!("round {round}: take and burn answered {other:?}: {taken} {burn_body}"),
        }
    }
    assert_eq!(winners.iter().sum::<usize>(), usize::from(rounds));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_v2_round_trips_races_and_conflicts() {
    let server = TestServer::memory().await;
    let api = Api::new(&server.base);
    core_suite(&api).await;
    assert_eq!(server.entries(), 0, "every secret was taken");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_passphrases_count_down_and_burn_nothing_until_then() {
    let server = TestServer::memory().await;
    passphrase_suite(&Api::new(&server.base), 5).await;
    server.stop().await;
    // The server's own limit.
    let policy = Policy::new().with_passphrase_attempts(std::num::NonZeroU32::new(2).unwrap());
    let server = TestServer::with_store(Arc::new(oneshot_memory::MemoryStore::new()), policy).await;
    let api = Api::new(&server.base);
    let config: ConfigResponse = api
        .http
        .get(format!("{}/api/v1/config", server.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(config.passphrase_attempts, 2);
    passphrase_suite(&api, 2).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_receipts_burns_and_races() {
    let server = TestServer::memory().await;
    let api = Api::new(&server.base);
    receipt_suite(&api).await;
    take_burn_race(&api, 20).await;
    server.stop().await;
}

/// Lifetimes of a second: an expired secret's receipt says `expired`, a
/// burn is refused with `expired`, and the take finds nothing; after the
/// retention the receipt is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_secrets_and_receipts_past_their_retention() {
    let policy = Policy::new()
        .with_ttl_range(Duration::from_secs(1), Duration::from_secs(3600))
        .with_default_ttl(Duration::from_secs(60))
        .with_receipt_retention(Duration::from_secs(2));
    let server = TestServer::with_store(Arc::new(oneshot_memory::MemoryStore::new()), policy).await;
    let api = Api::new(&server.base);
    let s = seal_v2(
        b"expires",
        V2 {
            receipt: receipt_key(5),
            ..V2::default()
        },
    );
    assert_eq!(api.create_v2(&s, Some(1)).await.0, 201);
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let receipt = receipt_of(&api, &s).await;
    assert_eq!(receipt.state, State::Expired, "{receipt:?}");
    let (status, body) = api.burn(&s.receipt_request()).await;
    assert_eq!(status, 409, "{body}");
    let refused: BurnRefused = read(&body);
    assert_eq!(
        (refused.error.as_str(), refused.receipt),
        ("expired", receipt)
    );
    assert_eq!(api.take_v2(&s.claim, None).await.0, 404);
    // Past expiry plus retention the receipt is unknown.
    tokio::time::sleep(Duration::from_millis(2200)).await;
    assert_eq!(api.receipt(&s.receipt_request()).await.0, 404);
    server.stop().await;
}

/// Creating needs the create token in v2 too; taking, receipts and burns
/// never do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_token_guards_v2_creates_only() {
    const TOKEN: &str = "v2-create-T0ken";
    let server =
        TestServer::memory_with(|app| app.with_create_token(CreateToken::new(TOKEN).unwrap()))
            .await;
    let anon = Api::new(&server.base);
    let s = seal_v2(
        b"guarded",
        V2 {
            receipt: receipt_key(6),
            ..V2::default()
        },
    );
    let (status, body) = anon.create_v2(&s, None).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(read::<ErrorBody>(&body).error, "unauthorized");
    assert_eq!(anon.with_token("wrong").create_v2(&s, None).await.0, 401);
    assert_eq!(server.counts.puts(), 0);
    assert_eq!(anon.with_token(TOKEN).create_v2(&s, None).await.0, 201);
    assert_eq!(receipt_of(&anon, &s).await.state, State::Pending);
    assert_eq!(anon.take_v2(&s.claim, None).await.0, 200);
    let t = seal_v2(
        b"burned without a token",
        V2 {
            receipt: receipt_key(7),
            ..V2::default()
        },
    );
    assert_eq!(anon.with_token(TOKEN).create_v2(&t, None).await.0, 201);
    assert_eq!(anon.burn(&t.receipt_request()).await.0, 200);
    server.stop().await;
}

/// Every class of bad v2 input gets its 4xx with a JSON body that repeats
/// none of it, and none of it reaches the store.
async fn bad_input_suite(api: &Api) {
    // A fixed key: the cases must not depend on the draw.
    let s = seal_v2(
        b"valid",
        V2 {
            key: Some(v2_key(V2_KEYS[0])),
            receipt: receipt_key(8),
            ..V2::default()
        },
    );
    assert!(s.id.bytes().any(|c| c.is_ascii_lowercase()), "{}", s.id);
    let ok = || serde_json::to_value(s.create_request(Some(3600))).unwrap();
    let with = |field: &str, value: Value| {
        let mut v = ok();
        v[field] = value;
        Req::post(CREATE_PATH, b(&v))
    };
    let without = |field: &str| {
        let mut v = ok();
        v.as_object_mut().unwrap().remove(field);
        Req::post(CREATE_PATH, b(&v))
    };
    let envelope = |bytes: &[u8]| with("envelope", json!(Base64UrlUnpadded::encode_string(bytes)));
    let take = |value: Value| Req::post(TAKE_PATH, b(&value));
    let receipt = |path: &'static str, value: Value| Req::post(path, b(&value));
    let raw = Base64UrlUnpadded::decode_vec(&s.envelope).unwrap();
    let mut v1 = raw.clone();
    v1[0] = 1;
    let mut v3 = raw.clone();
    v3[0] = 3;
    let mut off_boundary = raw.clone();
    off_boundary.extend_from_slice(&[0; 7]);
    // Over 64 KiB by more than a file's name, media type and padding add.
    let big = seal_v2(&vec![0u8; 80 * 1024], V2::default());
    let b43 = "A".repeat(43);
    let claim = s.claim.clone();
    let rc = s.receipt_request().receipt_claim.clone();

    let mut cases: Vec<(Req, u16, &str)> = vec![
        // Content type, syntax, shape.
        (
            Req::post(CREATE_PATH, b(&ok())).content_type(Some("text/plain")),
            415,
            "unsupported_media_type",
        ),
        (
            Req::post(RECEIPT_PATH, b(&s.receipt_request())).content_type(None),
            415,
            "unsupported_media_type",
        ),
        (
            Req::post(TAKE_PATH, b"{\"claim\":".to_vec()),
            400,
            "invalid_json",
        ),
        (Req::post(BURN_PATH, b"[]".to_vec()), 400, "invalid_request"),
        (without("id"), 400, "invalid_request"),
        (without("envelope"), 400, "invalid_request"),
        (with("admin", json!(true)), 400, "invalid_request"),
        (take(json!({})), 400, "invalid_request"),
        (
            take(json!({ "claim": claim, "passphrase": "hunter2" })),
            400,
            "invalid_request",
        ),
        (
            receipt(RECEIPT_PATH, json!({ "id": s.id })),
            400,
            "invalid_request",
        ),
        (
            receipt(BURN_PATH, json!({ "receipt_claim": rc })),
            400,
            "invalid_request",
        ),
        (
            receipt(
                RECEIPT_PATH,
                json!({ "id": s.id, "receipt_claim": rc, "claim": claim }),
            ),
            400,
            "invalid_request",
        ),
        // The id.
        (with("id", json!(5)), 400, "invalid_id"),
        (with("id", json!(s.id.to_uppercase())), 400, "invalid_id"),
        (with("id", json!(&s.id[..30])), 400, "invalid_id"),
        (
            receipt(
                RECEIPT_PATH,
                json!({ "id": "zz".repeat(16), "receipt_claim": rc }),
            ),
            400,
            "invalid_id",
        ),
        (
            receipt(BURN_PATH, json!({ "id": null, "receipt_claim": rc })),
            400,
            "invalid_id",
        ),
        // The envelope: not base64url, not v2, not an envelope.
        (with("envelope", json!([1])), 400, "invalid_envelope"),
        (
            with("envelope", json!(format!("{}==", s.envelope))),
            400,
            "invalid_envelope",
        ),
        (
            with("envelope", json!(s.envelope.replace('A', "+"))),
            400,
            "invalid_envelope",
        ),
        (envelope(&v1), 400, "invalid_envelope"),
        (envelope(&v3), 400, "invalid_envelope"),
        (envelope(&raw[..200]), 400, "invalid_envelope"),
        (envelope(&off_boundary), 400, "invalid_envelope"),
        (envelope(&[]), 400, "invalid_envelope"),
        // Lifetimes.
        (with("ttl_secs", json!("1h")), 400, "invalid_ttl"),
        (with("ttl_secs", json!(59)), 400, "invalid_ttl"),
        (with("ttl_secs", json!(72 * 3600 + 1)), 400, "invalid_ttl"),
        // The verifiers.
        (
            with("passphrase_verifier", json!(5)),
            400,
            "invalid_passphrase_verifier",
        ),
        (
            with("passphrase_verifier", json!(&b43[..42])),
            400,
            "invalid_passphrase_verifier",
        ),
        (
            with("passphrase_verifier", json!(format!("{}B", &b43[..42]))),
            400,
            "invalid_passphrase_verifier",
        ),
        (
            with("passphrase_verifier", json!("")),
            400,
            "invalid_passphrase_verifier",
        ),
        (
            with("receipt_verifier", json!(true)),
            400,
            "invalid_receipt_verifier",
        ),
        (
            with("receipt_verifier", json!(format!("{b43}A"))),
            400,
            "invalid_receipt_verifier",
        ),
        (
            with("receipt_verifier", json!(b43.replace('A', "/"))),
            400,
            "invalid_receipt_verifier",
        ),
        // Claims and proofs.
        (take(json!({ "claim": 123 })), 400, "invalid_claim"),
        (take(json!({ "claim": &claim[..42] })), 400, "invalid_claim"),
        (
            take(json!({ "claim": format!("{}=", &claim[..42]) })),
            400,
            "invalid_claim",
        ),
        (
            take(json!({ "claim": claim, "passphrase_proof": 7 })),
            400,
            "invalid_passphrase_proof",
        ),
        (
            take(json!({ "claim": claim, "passphrase_proof": &b43[..40] })),
            400,
            "invalid_passphrase_proof",
        ),
        (
            take(json!({ "claim": claim, "passphrase_proof": format!("{}B", &b43[..42]) })),
            400,
            "invalid_passphrase_proof",
        ),
        (
            receipt(RECEIPT_PATH, json!({ "id": s.id, "receipt_claim": 1 })),
            400,
            "invalid_receipt_claim",
        ),
        (
            receipt(BURN_PATH, json!({ "id": s.id, "receipt_claim": &rc[..42] })),
            400,
            "invalid_receipt_claim",
        ),
        // Over the limits: a create body, a small body, an envelope larger
        // than any allowed secret makes.
        (
            Req::post(CREATE_PATH, vec![b'a'; 1024 * 1024]),
            413,
            "too_large",
        ),
        (
            Req::post(TAKE_PATH, vec![b' '; SMALL_BODY_LIMIT + 1]),
            413,
            "too_large",
        ),
        (
            Req::post(BURN_PATH, vec![b' '; SMALL_BODY_LIMIT + 1]),
            413,
            "too_large",
        ),
        (with("envelope", json!(big.envelope)), 413, "too_large"),
        // Methods.
        (Req::bare("GET", CREATE_PATH), 405, "method_not_allowed"),
        (Req::bare("GET", RECEIPT_PATH), 405, "method_not_allowed"),
        (Req::bare("PUT", BURN_PATH), 405, "method_not_allowed"),
        (Req::bare("GET", "/api/v2/receipts/0123"), 404, "not_found"),
    ];
    for secs in [json!(0), json!(-5), json!(1.5), json!(1e30)] {
        cases.push((with("ttl_secs", secs), 400, "invalid_ttl"));
    }
    for (req, status, code) in cases {
        expect_error(api, req, status, code).await;
    }
    // A small body just within the limit is read (and refused for its content).
    let padded = format!(
        "{{\"claim\":\"{claim}\"{}}}",
        " ".repeat(SMALL_BODY_LIMIT - 55)
    );
    assert_eq!(padded.len(), SMALL_BODY_LIMIT);
    expect_error(
        api,
        Req::post(TAKE_PATH, padded.into_bytes()),
        404,
        "not_found",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_bad_v2_inputs_get_json_4xx_and_touch_nothing() {
    let server = TestServer::memory().await;
    let api = Api::new(&server.base);
    bad_input_suite(&api).await;
    assert_eq!(server.entries(), 0);
    assert_eq!(server.counts.puts(), 0, "no bad input reached the store");
    assert_eq!(server.counts.takes(), 1, "only the final, well-formed take");
    assert_eq!(server.counts.receipt_calls(), 0);
    server.stop().await;
}

/// A file of 10 MiB (the server binary's default limit), with the longest
/// name and media type, round-trips; one byte more of request body is a
/// JSON 413 before it is read in full, and so is an envelope beyond what a
/// 10 MiB secret seals to.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_mib_files_round_trip_and_one_more_byte_is_413() {
    const MAX: usize = 10 * 1024 * 1024;
    let policy = Policy::new().with_max_body_bytes(MAX);
    let server = TestServer::with_store(Arc::new(oneshot_memory::MemoryStore::new()), policy).await;
    let api = Api::new(&server.base);
    let config: ConfigResponse = api
        .http
        .get(format!("{}/api/v1/config", server.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(config.max_bytes, MAX as u64);
    let body: Vec<u8> = (0..MAX).map(|i| (i % 251) as u8).collect();
    let name: &'static str = Box::leak(format!("{}.pdf", "n".repeat(251)).into_boxed_str());
    let media_type: &'static str = Box::leak("x".repeat(255).into_boxed_str());
    let s = seal_v2(
        &body,
        V2 {
            file: Some((name, media_type)),
            passphrase: Some("big"),
            receipt: receipt_key(9),
            ..V2::default()
        },
    );
    // Unpadded base64url: 4 characters per 3 bytes, and a partial group.
    let envelope_len = s.envelope.len() * 3 / 4;
    assert_eq!(
        envelope_len as u64, config.max_envelope_bytes,
        "the largest envelope"
    );
    let request = serde_json::to_vec(&s.create_request(None)).unwrap();
    assert!(request.len() as u64 <= config.max_body_bytes);
    let (status, created) = api.create_v2(&s, None).await;
    assert_eq!(status, 201, "{created}");
    let (status, taken) = api.take_v2(&s.claim, s.proof.as_deref()).await;
    assert_eq!(status, 200);
    let opened = s.open(&taken);
    assert_eq!(opened.name(), Some(name));
    assert!(opened.body() == body.as_slice(), "the same 10 MiB");
    assert_eq!(receipt_of(&api, &s).await.state, State::Read);

    // One byte over the body limit: 413 JSON, before the store.
    let puts = server.counts.puts();
    let limit = usize::try_from(config.max_body_bytes).unwrap();
    let padding = limit + 1 - request.len();
    let mut over = request.clone();
    over.truncate(over.len() - 1);
    over.extend(std::iter::repeat_n(b' ', padding));
    over.push(b'}');
    assert_eq!(over.len(), limit + 1);
    expect_error(&api, Req::post(CREATE_PATH, over), 413, "too_large").await;
    // An envelope 256 bytes longer than the largest allowed (zero bytes,
    // all `A`), within the body limit.
    let long = "A".repeat((envelope_len + 256) * 4 / 3 + 1);
    let body = json!({ "id": "cd".repeat(16), "envelope": long });
    assert!(b(&body).len() <= limit);
    expect_error(&api, Req::post(CREATE_PATH, b(&body)), 413, "too_large").await;
    assert_eq!(server.counts.puts(), puts, "neither reached the store");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_v2_round_trips_passphrases_receipts_and_bad_inputs() {
    let redis = spawn_redis().await;
    let store = oneshot_redis::RedisStore::connect(&redis.url())
        .await
        .expect("connect to the spawned redis-server");
    let server = TestServer::with_store(Arc::new(store), Policy::default()).await;
    let api = Api::new(&server.base);
    core_suite(&api).await;
    passphrase_suite(&api, 5).await;
    receipt_suite(&api).await;
    take_burn_race(&api, 10).await;
    bad_input_suite(&api).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_cluster_v2_round_trips_and_receipts() {
    let cluster = tokio::task::spawn_blocking(oneshot_redis_harness::RedisCluster::start)
        .await
        .unwrap();
    let store = oneshot_redis::RedisStore::connect_cluster(cluster.urls())
        .await
        .expect("connect to the spawned cluster");
    let server = TestServer::with_store(Arc::new(store), Policy::default()).await;
    let api = Api::new(&server.base);
    core_suite(&api).await;
    passphrase_suite(&api, 5).await;
    receipt_suite(&api).await;
    take_burn_race(&api, 10).await;
    server.stop().await;
}

/// The v2 suites on the server's SQL stores, opened as `--postgres` and
/// `--sqlite` open them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_v2_round_trips_passphrases_and_receipts() {
    sql_v2_suites(Sql::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_v2_round_trips_passphrases_and_receipts() {
    sql_v2_suites(Sql::Sqlite).await;
}

async fn sql_v2_suites(sql: Sql) {
    let (held, server) = server_on(sql).await;
    let api = Api::new(&server.base);
    core_suite(&api).await;
    passphrase_suite(&api, 5).await;
    receipt_suite(&api).await;
    take_burn_race(&api, 10).await;
    server.stop().await;
    drop(held);
}
