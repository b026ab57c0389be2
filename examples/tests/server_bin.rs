//! The built `oneshot-server` binary: prints its address, serves, logs
//! nothing secret even at debug level, stops gracefully on SIGTERM, and
//! refuses bad flags and unreachable Redis with a clear message.

mod common;

use std::process::Stdio;
use std::time::Duration;

use common::{Api, sealed};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};

const BIN: &str = env!("CARGO_BIN_EXE_oneshot-server");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_logs_no_secrets_and_stops_on_sigterm() {
    let mut child = tokio::process::Command::new(BIN)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--max-ttl",
            "2h",
            "--default-ttl",
            "1h",
        ])
        .env("RUST_LOG", "debug")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start oneshot-server");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    tokio::time::timeout(Duration::from_secs(10), stdout.read_line(&mut line))
        .await
        .expect("the server prints its address within 10 s")
        .unwrap();
    // "oneshot-server: open http://127.0.0.1:PORT/ (in-memory store; Ctrl-C to stop)"
    let start = line.find("http://").expect(&line);
    let base = line[start..]
        .split_whitespace()
        .next()
        .unwrap()
        .trim_end_matches('/')
        .to_owned();
    assert!(line.contains("in-memory store"), "{line}");

    let api = Api::new(&base);
    let s = sealed(b"log me not");
    let (status, body) = api.create(&s, Some(7200)).await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = api.create(&sealed(b"x"), Some(7201)).await;
    assert_eq!(status, 400, "--max-ttl applies: {body}");
    let (status, _) = api.take(&s.claim).await;
    assert_eq!(status, 200);
    let page = api.http.get(format!("{base}/s")).send().await.unwrap();
    assert_eq!(page.status(), 200);

    let pid = child.id().expect("running").to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("run kill");
    assert!(killed.success());
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("stops within 10 s of SIGTERM")
        .unwrap();
    assert!(status.success(), "clean exit: {status:?}");

    let mut logs = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .await
        .unwrap();
    assert!(
        logs.contains("secret stored") && logs.contains("secret taken"),
        "{logs}"
    );
    assert!(logs.contains("SIGTERM"), "{logs}");
    assert!(logs.contains(&s.id), "ids may be logged");
    let key = s.key.to_b64u().to_string();
    for (what, secret) in [
        ("claim", &s.claim[..]),
        ("key", &key[..]),
        ("envelope", &s.envelope[..40]),
    ] {
        assert!(
            !logs.contains(secret),
            "the {what} appears in the logs:\n{logs}"
        );
    }
}

async fn fails_with(args: &[&str], code: i32, needle: &str) {
    let out = tokio::time::timeout(
        Duration::from_secs(20),
        tokio::process::Command::new(BIN)
            .args(args)
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("exits within 20 s")
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
    assert!(stderr.contains(needle), "{args:?}: {needle:?} in {stderr}");
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
        "could not connect to Redis",
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
        1,
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
    fails_with(&["--listen", "nowhere"], 2, "invalid").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_from_redis_when_asked() {
    let redis = tokio::task::spawn_blocking(oneshot_redis_harness::RedisServer::start)
        .await
        .unwrap();
    let mut child = tokio::process::Command::new(BIN)
        .args(["--listen", "127.0.0.1:0", "--redis", &redis.url()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start oneshot-server");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    tokio::time::timeout(Duration::from_secs(10), stdout.read_line(&mut line))
        .await
        .expect("address within 10 s")
        .unwrap();
    assert!(line.contains("Redis store"), "{line}");
    let start = line.find("http://").expect(&line);
    let base = line[start..]
        .split_whitespace()
        .next()
        .unwrap()
        .trim_end_matches('/');
    let api = Api::new(base);
    let s = sealed(b"in redis");
    assert_eq!(api.create(&s, None).await.0, 201);
    let key = format!("oneshot:{}", s.id);
    assert!(
        redis.cli(&["EXISTS", &key]).contains('1'),
        "stored in the spawned redis-server"
    );
    assert_eq!(api.take(&s.claim).await.0, 200);
    assert!(
        redis.cli(&["EXISTS", &key]).contains('0'),
        "and gone after the take"
    );
    child.kill().await.unwrap();
}
