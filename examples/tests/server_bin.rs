//! The built `oneshot-server` binary: prints its address, serves, logs
//! nothing secret (not even the create token, nor a secret id) at debug level, stops
//! gracefully on SIGTERM, and refuses bad flags, bad tokens and unreachable
//! Redis with a clear message.

mod common {
    pub(crate) mod api;
    pub(crate) mod bearer;
    pub(crate) mod bin;
    pub(crate) mod bin_exit;
    pub(crate) mod redis;
    pub(crate) mod v2;
}

use std::process::Stdio;
use std::time::Duration;

use common::api::{Api, sealed};
use common::bin::{command, start, stop_and_read_stderr};
use common::bin_exit::run_to_exit;
use common::redis::spawn_redis;
use common::v2::{V2, V2_KEYS, seal_v2, v2_key};
use oneshot_examples::wire::ErrorBody;
use oneshot_examples::wire::v1::ConfigResponse;
use oneshot_examples::wire::v2::{RECEIPT_PATH, ReceiptRequest};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CREATE_TOKEN: &str = "Bin-create-T0ken~42";

/// Everything the (stopped) server wrote to its piped stderr.
async fn stderr_of(child: &mut tokio::process::Child) -> String {
    let mut logs = String::new();
    child
        .stderr
        .take()
        .expect("stderr was piped")
        .read_to_string(&mut logs)
        .await
        .expect("read the server's stderr");
    logs
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_logs_no_secrets_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("create-token");
    std::fs::write(&token_file, format!("\n  {CREATE_TOKEN}  \n")).unwrap();
    let mut server = command(
        &[
            "--max-ttl",
            "2h",
            "--default-ttl",
            "1h",
            "--read-timeout",
            "20s",
            "--max-in-flight",
            "8",
            "--max-connections",
            "32",
            "--create-token-file",
        ],
        "debug",
    );
    server.arg(&token_file).stderr(Stdio::piped());
    let (mut child, line, base) = start(server).await;
    assert!(line.contains("in-memory store"), "{line}");

    let anon = Api::new(&base);
    let (status, body) = anon.create(&sealed(b"no token"), None).await;
    assert_eq!(status, 401, "{body}");
    let error: ErrorBody = serde_json::from_value(body).unwrap();
    assert_eq!(error.error, "unauthorized");
    let (status, body) = anon
        .with_token("wrong-token")
        .create(&sealed(b"wrong token"), None)
        .await;
    assert_eq!(status, 401, "{body}");
    let config: ConfigResponse = anon
        .http
        .get(format!("{base}/api/v1/config"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(config.create_requires_token, "{config:?}");
    assert_eq!(config.max_ttl_secs, 7200, "{config:?}");
    let api = anon.with_token(CREATE_TOKEN);
    let s = sealed(b"log me not");
    let (status, body) = api.create(&s, Some(7200)).await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = api.create(&sealed(b"x"), Some(7201)).await;
    assert_eq!(status, 400, "--max-ttl applies: {body}");
    // Taking needs no token.
    let (status, _) = anon.take(&s.claim).await;
    assert_eq!(status, 200);
    let page = api.http.get(format!("{base}/s")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    // v2: a passphrase, a wrong proof, the right one, the receipt.
    let v2 = seal_v2(
        b"v2 log me not",
        V2 {
            passphrase: Some("log me not either"),
            receipt: Some([5; 32]),
            ..V2::default()
        },
    );
    assert_eq!(
        anon.create_v2(&v2, None).await.0,
        401,
        "v2 needs the token too"
    );
    assert_eq!(api.create_v2(&v2, None).await.0, 201);
    let wrong_proof = oneshot_core::PassphraseProof::from_bytes([1; 32])
        .to_b64u()
        .to_string();
    assert_eq!(anon.take_v2(&v2.claim, Some(&wrong_proof)).await.0, 403);
    let (status, taken) = anon.take_v2(&v2.claim, v2.proof.as_deref()).await;
    assert_eq!(status, 200, "{taken}");
    assert_eq!(v2.open(&taken).body(), b"v2 log me not");
    let receipt_key = oneshot_core::v2::ReceiptKey::from_bytes([5; 32]);
    let receipt_claim = receipt_key.claim().to_b64u().to_string();
    let request = ReceiptRequest {
        id: v2.id.clone(),
        receipt_claim: receipt_claim.clone(),
    };
    let (status, _, receipt) = anon.post(RECEIPT_PATH, &request).await;
    assert_eq!((status, &receipt["state"]), (200, &Value::from("read")));
    let v2_create = v2.create_request(None);

    let logs = String::from_utf8_lossy(&stop_and_read_stderr(&mut child).await).into_owned();
    assert!(
        logs.contains("secret stored") && logs.contains("secret taken"),
        "{logs}"
    );
    assert!(logs.contains("SIGTERM"), "{logs}");
    assert!(logs.contains("create_requires_token=true"), "{logs}");
    assert!(logs.contains("max_in_flight=8"), "{logs}");
    assert!(logs.contains("create refused"), "{logs}");
    assert!(
        !logs.contains(CREATE_TOKEN) && !logs.contains("wrong-token"),
        "a token appears in the logs:\n{logs}"
    );
    assert!(!logs.contains(&s.id), "ids are logged only as tags");
    assert!(!logs.contains(&v2.id), "ids are logged only as tags");
    assert!(
        logs.contains("take with a wrong passphrase") && logs.contains("receipt read"),
        "{logs}"
    );
    let key = s.key.to_b64u().to_string();
    let v2_key_text = v2.key.to_fragment().to_string();
    let proof = v2.proof.clone().unwrap();
    let verifier = v2_create.passphrase_verifier.unwrap();
    let receipt_verifier = v2_create.receipt_verifier.unwrap();
    for (what, secret) in [
        ("claim", &s.claim[..]),
        ("key", &key[..]),
        ("envelope", &s.envelope[..40]),
        ("v2 claim", &v2.claim[..]),
        ("v2 key", &v2_key_text[..]),
        ("v2 envelope", &v2.envelope[..40]),
        ("passphrase proof", &proof[..]),
        ("wrong proof", &wrong_proof[..]),
        ("passphrase verifier", &verifier[..]),
        ("receipt claim", &receipt_claim[..]),
        ("receipt verifier", &receipt_verifier[..]),
        ("passphrase", "log me not either"),
    ] {
        assert!(
            !logs.contains(secret),
            "the {what} appears in the logs:\n{logs}"
        );
    }
}

async fn fails_with(args: &[&str], code: i32, needle: &str) {
    fails_with_env(args, &[], code, needle).await;
}

async fn fails_with_env(args: &[&str], env: &[(&str, &str)], code: i32, needle: &str) {
    let (status, stderr) = run_to_exit(args, env).await;
    assert_eq!(status, Some(code), "{args:?}: {stderr}");
    assert!(stderr.contains(needle), "{args:?}: {needle:?} in {stderr}");
    if stderr.starts_with("oneshot-server:") {
        assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    }
    for (_, value) in env {
        if !value.trim().is_empty() {
            assert!(
                !stderr.contains(value.trim()),
                "the token is echoed: {stderr}"
            );
        }
    }
}

#[tokio::test]
async fn refuses_bad_create_tokens_and_limits_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty");
    std::fs::write(&empty, " \n\t\n").unwrap();
    let spaced = dir.path().join("spaced");
    std::fs::write(&spaced, "two words\n").unwrap();
    let good = dir.path().join("good");
    std::fs::write(&good, "good-token\n").unwrap();
    let missing = dir.path().join("missing");
    let path = |p: &std::path::Path| p.display().to_string();
    let listen = ["--listen", "127.0.0.1:0"];
    let with = |extra: &[&str]| {
        [&listen[..], extra]
            .concat()
            .iter()
            .map(|s| (*s).to_owned())
            .collect::<Vec<String>>()
    };
    for (args, needle) in [
        (
            with(&["--create-token-file", &path(&missing)]),
            "cannot read the create token file",
        ),
        (
            with(&["--create-token-file", &path(&empty)]),
            "the create token is empty",
        ),
        (
            with(&["--create-token-file", &path(&spaced)]),
            "printable ASCII without spaces",
        ),
        (with(&["--read-timeout", "0s"]), "invalid duration"),
        (with(&["--read-timeout", "2h"]), "at most 1h"),
        (with(&["--max-in-flight", "0"]), "--max-in-flight"),
        (with(&["--max-connections", "none"]), "--max-connections"),
    ] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        fails_with(&args, 2, needle).await;
    }
    fails_with_env(
        &listen,
        &[("ONESHOT_CREATE_TOKEN", "  ")],
        2,
        "ONESHOT_CREATE_TOKEN",
    )
    .await;
    fails_with_env(
        &listen,
        &[("ONESHOT_CREATE_TOKEN", "secret token")],
        2,
        "printable ASCII",
    )
    .await;
    fails_with_env(
        &[
            "--listen",
            "127.0.0.1:0",
            "--create-token-file",
            &path(&good),
        ],
        &[("ONESHOT_CREATE_TOKEN", "other-token")],
        2,
        "use one",
    )
    .await;
}

/// `ONESHOT_CREATE_TOKEN` works like the file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_token_from_the_environment() {
    let mut server = command(&["--read-timeout", "1s"], "debug");
    server
        .env("ONESHOT_CREATE_TOKEN", format!(" {CREATE_TOKEN}\n"))
        .stderr(Stdio::piped());
    let (mut child, _line, base) = start(server).await;
    // --read-timeout applies: half a request's headers, then silence, is cut.
    let mut stalled = tokio::net::TcpStream::connect(base.trim_start_matches("http://"))
        .await
        .unwrap();
    let stalled_at = std::time::Instant::now();
    stalled
        .write_all(b"POST /api/v1/secrets HTTP/1.1\r\nHost: x\r\nAuthoriz")
        .await
        .unwrap();
    let anon = Api::new(&base);
    let s = sealed(b"env token");
    assert_eq!(anon.create(&s, None).await.0, 401);
    assert_eq!(anon.with_token(CREATE_TOKEN).create(&s, None).await.0, 201);
    assert_eq!(anon.take(&s.claim).await.0, 200);
    let mut rest = Vec::new();
    tokio::time::timeout(Duration::from_secs(6), stalled.read_to_end(&mut rest))
        .await
        .expect("the stalled connection is cut within 1 s + slack")
        .ok();
    assert!(
        stalled_at.elapsed() >= Duration::from_millis(900),
        "cut by the timeout, not at once"
    );
    assert!(
        rest.is_empty() || rest.starts_with(b"HTTP/1.1 4"),
        "{}",
        String::from_utf8_lossy(&rest)
    );
    child.kill().await.unwrap();
    let logs = stderr_of(&mut child).await;
    assert!(logs.contains("create_requires_token=true"), "{logs}");
    assert!(!logs.contains(CREATE_TOKEN), "the token is logged:\n{logs}");
}

#[tokio::test]
async fn refuses_bad_configuration_clearly() {
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let redis = format!("redis://127.0.0.1:{closed}/");
    fails_with(
        &["--listen", "127.0.0.1:0", "--redis", &redis],
        1,
        "cannot open the Redis store",
    )
    .await;
    fails_with(
        &["--listen", "127.0.0.1:0", "--redis-cluster", &redis],
        1,
        "Redis",
    )
    .await;
    fails_with(
        &["--listen", "127.0.0.1:0", "--redis", "nonsense://"],
        2,
        "invalid Redis URL",
    )
    .await;
    fails_with(
        &["--redis", &redis, "--redis-cluster", &redis],
        2,
        "cannot be used with",
    )
    .await;
    fails_with(&["--default-ttl", "80h"], 2, "invalid limits").await;
    fails_with(&["--max-ttl", "soon"], 2, "invalid lifetime").await;
    fails_with(&["--receipt-retention", "soon"], 2, "invalid lifetime").await;
    fails_with(&["--passphrase-attempts", "0"], 2, "passphrase-attempts").await;
    fails_with(&["--max-bytes", "many"], 2, "max-bytes").await;
    fails_with(&["--listen", "nowhere"], 2, "invalid").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_from_redis_when_asked() {
    let redis = spawn_redis().await;
    let url = redis.url();
    let mut server = command(
        &[
            "--redis",
            &url,
            "--max-ttl",
            "7d",
            "--passphrase-attempts",
            "2",
        ],
        "debug",
    );
    server
        .args(["--receipt-retention", "2h"])
        .stderr(Stdio::null());
    let (mut child, line, base) = start(server).await;
    assert!(line.contains("Redis store"), "{line}");
    let api = Api::new(&base);
    let config = config_of(&api).await;
    assert_eq!(
        (
            config.max_ttl_secs,
            config.passphrase_attempts,
            config.receipt_retention_secs
        ),
        (7 * 86_400, 2, 7200),
        "{config:?}"
    );
    // A lifetime of 7 days: the store was told it may keep secrets (and
    // spent ids) that long.
    let s = sealed(b"in redis");
    assert_eq!(api.create(&s, Some(7 * 86_400)).await.0, 201);
    let key = format!("oneshot:{{{}}}", s.id);
    assert_ne!(
        redis.cli(&["STRLEN", &key]).trim(),
        "0",
        "stored in the spawned redis-server"
    );
    assert_eq!(api.take(&s.claim).await.0, 200);
    assert_eq!(
        redis.cli(&["STRLEN", &key]).trim(),
        "0",
        "only a spent marker is left"
    );
    let pttl: u64 = redis.cli(&["PTTL", &key]).trim().parse().unwrap();
    assert!(pttl > 6 * 86_400 * 1000, "spent for --max-ttl: {pttl} ms");
    assert_eq!(api.create(&s, None).await.0, 409, "and stays spent");

    // --passphrase-attempts 2: the second wrong passphrase destroys it.
    let v2 = seal_v2(
        b"two guesses",
        V2 {
            key: Some(v2_key(V2_KEYS[2])),
            passphrase: Some("fixed key"),
            ..V2::default()
        },
    );
    assert_eq!(api.create_v2(&v2, None).await.0, 201);
    let wrong = oneshot_core::PassphraseProof::from_bytes([2; 32])
        .to_b64u()
        .to_string();
    for left in [1, 0] {
        let (status, body) = api.take_v2(&v2.claim, Some(&wrong)).await;
        assert_eq!(
            (status, &body["attempts_left"]),
            (403, &Value::from(left)),
            "{body}"
        );
    }
    assert_eq!(api.take_v2(&v2.claim, v2.proof.as_deref()).await.0, 404);
    let t = seal_v2(b"ten MiB allowed", V2::default());
    assert_eq!(api.create_v2(&t, None).await.0, 201);
    let (status, taken) = api.take_v2(&t.claim, None).await;
    assert_eq!(status, 200);
    assert_eq!(t.open(&taken).body(), b"ten MiB allowed");
    child.kill().await.unwrap();
}

/// The config of a running server.
async fn config_of(api: &Api) -> ConfigResponse {
    api.http
        .get(format!("{}/api/v1/config", api.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The defaults: 10 MiB secrets (and a create body to carry one), 5
/// passphrase attempts, receipts kept 7 days; and the in-memory store keeps
/// secrets as long as --max-ttl says, beyond its own default of 72 h.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn defaults_fit_files_and_the_memory_store_follows_max_ttl() {
    let mut server = command(&["--max-ttl", "10d"], "debug");
    server.stderr(Stdio::null());
    let (mut child, _, base) = start(server).await;
    let api = Api::new(&base);
    let config = config_of(&api).await;
    assert_eq!(config.max_bytes, 10 * 1024 * 1024, "{config:?}");
    assert_eq!(config.passphrase_attempts, 5);
    assert_eq!(config.receipt_retention_secs, 7 * 86_400);
    assert_eq!(config.max_ttl_secs, 10 * 86_400);
    assert!(config.max_envelope_bytes > config.max_bytes, "{config:?}");
    assert!(
        config.max_body_bytes > config.max_envelope_bytes / 3 * 4,
        "room for the base64url: {config:?}"
    );
    let s = sealed(b"ten days");
    let (status, body) = api.create(&s, Some(10 * 86_400)).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(api.take(&s.claim).await.0, 200);
    child.kill().await.unwrap();
}
