//! The built `oneshot-server` on its SQL stores (`--postgres`, its URL from
//! a file or the environment, `--sqlite` across a restart), `--strict`
//! refusing stores that may break the promises, and store URLs, which hold
//! passwords, never echoed.

mod common {
    pub(crate) mod api;
    pub(crate) mod bin;
}

use std::process::Stdio;
use std::time::Duration;

use base64ct::{Base64UrlUnpadded, Encoding};

use common::api::{Api, sealed};
use common::bin::{command, start, stop_and_read_stderr};

/// Starts the binary with `args` and `env` (stderr discarded), returns the
/// child and the base URL; the first line names `store`.
async fn start_on(
    args: &[&str],
    env: &[(&str, &str)],
    store: &str,
) -> (tokio::process::Child, String) {
    let mut command = command(args, "info");
    command.envs(env.iter().copied()).stderr(Stdio::null());
    let (child, line, base) = start(command).await;
    assert!(line.contains(store), "{store}: {line}");
    (child, base)
}

/// A v1 secret is stored, taken once, then not found, and its id stays spent.
async fn create_take_once(api: &Api, body: &[u8]) {
    let s = sealed(body);
    assert_eq!(api.create(&s, None).await.0, 201);
    let (status, taken) = api.take(&s.claim).await;
    assert_eq!(status, 200, "{taken}");
    let envelope = Base64UrlUnpadded::decode_vec(taken["envelope"].as_str().unwrap()).unwrap();
    assert_eq!(&oneshot_core::open(&s.key, &envelope).unwrap()[..], body);
    assert_eq!(api.take(&s.claim).await.0, 404);
    assert_eq!(api.create(&s, None).await.0, 409, "spent ids stay spent");
}

/// Runs the binary with `args` and `env` to its exit (within 20 s): the exit
/// code and stderr.
async fn run_to_exit(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
    let mut command = command(args, "info");
    command.envs(env.iter().copied()).stdout(Stdio::null());
    let out = tokio::time::timeout(Duration::from_secs(20), command.output())
        .await
        .expect("exits within 20 s")
        .expect("run oneshot-server");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Fails with exit `code` and `needle` on stderr, in one line.
async fn fails_with(args: &[&str], env: &[(&str, &str)], code: i32, needle: &str) -> String {
    let (exit, stderr) = run_to_exit(args, env).await;
    assert_eq!(exit, Some(code), "{args:?}: {stderr}");
    assert!(stderr.contains(needle), "{needle:?} in {stderr}");
    if stderr.starts_with("oneshot-server:") {
        assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    }
    stderr
}
/// `--postgres-url-file` and `ONESHOT_POSTGRES_URL` (with `--strict`: the
/// harness's server keeps every promise), `--sqlite` across a restart: a
/// secret stored by one process is taken by the next.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_from_postgres_by_file_or_environment_and_from_sqlite() {
    let pg = tokio::task::spawn_blocking(oneshot_pg_harness::PgServer::start)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url_file = dir.path().join("postgres-url");
    std::fs::write(&url_file, format!("  {}\n", pg.url())).unwrap();
    let file = url_file.to_str().unwrap();
    let (mut child, base) = start_on(
        &["--postgres-url-file", file, "--strict", "--max-ttl", "7d"],
        &[],
        "PostgreSQL store",
    )
    .await;
    let api = Api::new(&base);
    create_take_once(&api, b"in postgres, by file").await;
    let s = sealed(b"7 days");
    assert_eq!(
        api.create(&s, Some(7 * 86_400)).await.0,
        201,
        "--max-ttl reached the store"
    );
    child.kill().await.unwrap();
    let (mut child, base) = start_on(
        &["--strict"],
        &[("ONESHOT_POSTGRES_URL", &pg.url())],
        "PostgreSQL store",
    )
    .await;
    let api = Api::new(&base);
    assert_eq!(api.take(&s.claim).await.0, 200, "the same database");
    create_take_once(&api, b"in postgres, by environment").await;
    child.kill().await.unwrap();

    let db = dir.path().join("secrets.db");
    let db = db.to_str().unwrap();
    let (mut child, base) = start_on(&["--sqlite", db, "--strict"], &[], "SQLite store").await;
    let api = Api::new(&base);
    create_take_once(&api, b"in sqlite").await;
    let kept = sealed(b"survives a restart");
    assert_eq!(api.create(&kept, None).await.0, 201);
    child.kill().await.unwrap();
    child.wait().await.unwrap();
    let (mut child, base) = start_on(&["--sqlite", db], &[], "SQLite store").await;
    let api = Api::new(&base);
    assert_eq!(api.take(&kept.claim).await.0, 200);
    assert_eq!(api.take(&kept.claim).await.0, 404);
    child.kill().await.unwrap();
}

/// `--strict` refuses stores whose configuration breaks a promise (exit
/// 1, the reason on one line); without it the server starts and warns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strict_refuses_stores_that_may_break_the_promises() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("normal.db");
    let db = db.to_str().unwrap();
    let normal = ["--sqlite", db, "--sqlite-synchronous", "normal"];
    fails_with(
        &[&normal[..], &["--strict"]].concat(),
        &[],
        1,
        "synchronous is NORMAL",
    )
    .await;
    let mut without = command(&normal, "info");
    without.stderr(Stdio::piped());
    let (mut child, _, base) = start(without).await;
    create_take_once(&Api::new(&base), b"warned").await;
    let logs = String::from_utf8(stop_and_read_stderr(&mut child).await).unwrap();
    assert!(
        logs.lines()
            .any(|l| l.contains("WARN") && l.contains("synchronous is NORMAL")),
        "{logs}"
    );

    let redis = tokio::task::spawn_blocking(|| {
        oneshot_redis_harness::RedisServer::start_with(&["--maxmemory-policy", "allkeys-lru"])
    })
    .await
    .unwrap();
    fails_with(
        &["--redis", &redis.url(), "--strict"],
        &[],
        1,
        "maxmemory-policy is allkeys-lru",
    )
    .await;
}

/// Store URLs (which hold passwords) are never echoed, whatever fails; one
/// store at a time, flags and variables alike.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_urls_are_never_echoed_and_one_store_is_chosen() {
    const PASSWORD: &str = "Pg-pa55word-never-shown";
    let port = oneshot_pg_harness::free_port();
    let unreachable = format!("postgres://oneshot:{PASSWORD}@127.0.0.1:{port}/oneshot");
    let malformed = format!("postgres://oneshot:{PASSWORD}@127.0.0.1:port/oneshot");
    let redis_unreachable = format!("redis://:{PASSWORD}@127.0.0.1:{port}/0");
    let redis_malformed = format!("nosuch://:{PASSWORD}@127.0.0.1/0");
    for (args, env, code, needle) in [
        (
            vec!["--postgres", &unreachable],
            vec![],
            1,
            "cannot open the PostgreSQL store",
        ),
        (
            vec!["--postgres", &malformed],
            vec![],
            2,
            "invalid PostgreSQL URL",
        ),
        (
            vec![],
            vec![("ONESHOT_POSTGRES_URL", &*unreachable)],
            1,
            "PostgreSQL",
        ),
        (
            vec!["--redis", &redis_unreachable],
            vec![],
            1,
            "cannot open the Redis store",
        ),
        (
            vec!["--redis", &redis_malformed],
            vec![],
            2,
            "invalid Redis URL",
        ),
        (
            vec![],
            vec![("ONESHOT_REDIS_URL", &*redis_unreachable)],
            1,
            "Redis",
        ),
        (
            vec!["--sqlite", "/nonexistent/dir/x.db"],
            vec![("ONESHOT_REDIS_URL", &*redis_unreachable)],
            2,
            "--sqlite and ONESHOT_REDIS_URL are both set",
        ),
        (
            vec![],
            vec![
                ("ONESHOT_REDIS_URL", &*redis_unreachable),
                ("ONESHOT_POSTGRES_URL", &*unreachable),
            ],
            2,
            "choose one store",
        ),
        (
            vec!["--postgres", &unreachable, "--sqlite", "x.db"],
            vec![],
            2,
            "cannot be used with",
        ),
    ] {
        let stderr = fails_with(&args, &env, code, needle).await;
        assert!(
            !stderr.contains(PASSWORD),
            "the password is echoed: {stderr}"
        );
        assert!(!stderr.contains("://"), "a URL is echoed: {stderr}");
    }

    // A URL file that is empty, or missing: named, nothing read echoed.
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty");
    std::fs::write(&empty, "  \n").unwrap();
    fails_with(
        &["--postgres-url-file", empty.to_str().unwrap()],
        &[],
        2,
        "holds no URL",
    )
    .await;
    let missing = dir.path().join("missing");
    fails_with(
        &["--redis-url-file", missing.to_str().unwrap()],
        &[],
        2,
        "cannot read",
    )
    .await;
}
