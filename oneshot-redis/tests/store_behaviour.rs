//! What lands on the server: key names, exact bytes, TTLs. Connection
//! errors, redaction of passwords, capacity, the script fallback.

mod common;

use std::time::Duration;

use oneshot_core::testkit::random_id;
use oneshot_core::{SecretStore, StoreError};
use oneshot_redis::{ConnectError, RedisConfig, RedisStore, TakeMode};
use oneshot_redis_harness::RedisServer;
use tokio::time::Instant;

/// A plain client to look at the server directly.
async fn raw(server: &RedisServer) -> redis::aio::MultiplexedConnection {
    redis::Client::open(server.url())
        .expect("url")
        .get_multiplexed_async_connection()
        .await
        .expect("raw connection")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_carry_the_prefix_values_are_exact_and_ttl_is_honoured() {
    let server = RedisServer::start();
    let store = common::config(&server.url())
        .connect()
        .await
        .expect("connect");
    assert_eq!(store.take_mode(), TakeMode::GetDel, "Auto on Redis >= 6.2");
    let mut raw = raw(&server).await;

    let id = random_id();
    let value: Vec<u8> = (0..=255u8).rev().chain([0, 0, 13, 10]).collect();
    store
        .put_with_ttl(&id, &value, Duration::from_secs(90))
        .await
        .expect("put");
    let key = format!("oneshot:{id}");
    assert_eq!(store.key_for(&id), key.as_bytes());
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("*")
        .query_async(&mut raw)
        .await
        .expect("KEYS");
    assert_eq!(keys, vec![key.clone()]);
    let stored: Vec<u8> = redis::cmd("GET")
        .arg(&key)
        .query_async(&mut raw)
        .await
        .expect("GET");
    assert_eq!(stored, value, "the server holds other bytes than were put");
    let pttl: i64 = redis::cmd("PTTL")
        .arg(&key)
        .query_async(&mut raw)
        .await
        .expect("PTTL");
    assert!(
        (85_000..=90_000).contains(&pttl),
        "PTTL {pttl} ms for a 90 s TTL"
    );
    // A partial millisecond rounds up, never down.
    let short = random_id();
    store
        .put_with_ttl(&short, b"x", Duration::from_micros(60_500))
        .await
        .expect("put");
    let pttl: i64 = redis::cmd("PTTL")
        .arg(format!("oneshot:{short}"))
        .query_async(&mut raw)
        .await
        .expect("PTTL");
    assert!((50..=61).contains(&pttl), "PTTL {pttl} for 60.5 ms");

    assert_eq!(store.take(&id).await.expect("take"), Some(value));
    let exists: i64 = redis::cmd("EXISTS")
        .arg(&key)
        .query_async(&mut raw)
        .await
        .expect("EXISTS");
    assert_eq!(exists, 0, "take left the key behind");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_custom_prefix_is_used_verbatim() {
    let server = RedisServer::start();
    let store = common::config(&server.url())
        .key_prefix("app:s:")
        .connect()
        .await
        .expect("connect");
    let id = random_id();
    store
        .put_with_ttl(&id, b"v", Duration::from_secs(60))
        .await
        .expect("put");
    let mut raw = raw(&server).await;
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("*")
        .query_async(&mut raw)
        .await
        .expect("KEYS");
    assert_eq!(keys, vec![format!("app:s:{id}")]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_overlong_ttl_is_invalid_without_contacting_the_server() {
    let mut server = RedisServer::start();
    let store = common::config(&server.url())
        .connect()
        .await
        .expect("connect");
    server.kill();
    // Checked before anything is sent, so the dead server does not matter.
    for ttl in [Duration::ZERO, Duration::from_nanos(999_999), Duration::MAX] {
        let result = store.put_with_ttl(&random_id(), b"x", ttl).await;
        assert!(
            matches!(result, Err(StoreError::InvalidTtl)),
            "{ttl:?}: {result:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_script_survives_a_script_flush() {
    let server = RedisServer::start();
    let store = common::config(&server.url())
        .take_mode(TakeMode::Script)
        .connect()
        .await
        .expect("connect");
    for _ in 0..3 {
        server.cli(&["script", "flush"]);
        let id = random_id();
        store
            .put_with_ttl(&id, b"scripted", Duration::from_secs(60))
            .await
            .expect("put");
        // EVALSHA gets NOSCRIPT (nothing ran), so the store sends EVAL once.
        assert_eq!(
            store.take(&id).await.expect("take").as_deref(),
            Some(&b"scripted"[..])
        );
        assert_eq!(store.take(&id).await.expect("take"), None);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_server_with_noeviction_gives_capacity_exceeded() {
    let server =
        RedisServer::start_with(&["--maxmemory", "2mb", "--maxmemory-policy", "noeviction"]);
    let store = common::config(&server.url())
        .connect()
        .await
        .expect("connect");
    let value = vec![7u8; 64 * 1024];
    let mut stored = Vec::new();
    let mut full = false;
    for _ in 0..200 {
        let id = random_id();
        match store
            .put_with_ttl(&id, &value, Duration::from_secs(60))
            .await
        {
            Ok(()) => stored.push(id),
            Err(StoreError::CapacityExceeded) => {
                full = true;
                break;
            }
            Err(other) => panic!("a put on a full server gave {other:?}"),
        }
    }
    assert!(full, "2 MB never filled with {} x 64 KiB", stored.len());
    // Nothing was evicted, and taking frees room.
    for id in &stored {
        assert!(
            store.take(id).await.expect("take").is_some(),
            "a secret was evicted"
        );
    }
    store
        .put_with_ttl(&random_id(), &value, Duration::from_secs(60))
        .await
        .expect("put after freeing room");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passwords_never_show_in_debug_or_errors() {
    // (The harness's readiness PING does not authenticate, so the password
    // is set after start.)
    let server = RedisServer::start();
    server.cli(&["config", "set", "requirepass", "hunter2-secret"]);
    let url = format!("redis://:hunter2-secret@127.0.0.1:{}/", server.port());
    let store = common::config(&url)
        .connect()
        .await
        .expect("connect with password");
    let debug = format!("{store:?}");
    assert!(!debug.contains("hunter2"), "{debug}");
    assert!(debug.contains("127.0.0.1"), "{debug}");
    assert!(!format!("{:?}", common::config(&url)).contains("hunter2"));

    let wrong = format!("redis://:wrong-hunter3@127.0.0.1:{}/", server.port());
    let err = common::config(&wrong)
        .connect()
        .await
        .expect_err("wrong password");
    let shown = format!("{err} / {err:?}");
    assert!(matches!(err, ConnectError::Connect { .. }), "{shown}");
    assert!(!shown.contains("hunter3"), "{shown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connecting_to_nothing_fails_fast_and_typed() {
    let port = oneshot_redis_harness::free_port(false);
    let began = Instant::now();
    let err = common::config(&format!("redis://127.0.0.1:{port}/"))
        .connect()
        .await
        .expect_err("nothing listens there");
    assert!(matches!(err, ConnectError::Connect { .. }), "{err:?}");
    assert!(began.elapsed() < common::CALL_BOUND);

    let err = RedisConfig::new("redis://[not a url")
        .connect()
        .await
        .expect_err("bad url");
    assert!(matches!(err, ConnectError::InvalidUrl { .. }), "{err:?}");
    for bad in [
        "redis://:hunter4@127.0.0.1:notaport/",
        "redis://:hunter4@127.0.0.1:6379/notadb",
        "nosuchscheme://:hunter4@127.0.0.1/",
    ] {
        let err = RedisConfig::new(bad).connect().await.expect_err(bad);
        let shown = format!("{err} / {err:?} / {:?}", std::error::Error::source(&err));
        assert!(
            matches!(err, ConnectError::InvalidUrl { .. }),
            "{bad}: {shown}"
        );
        assert!(!shown.contains("hunter4"), "{shown}");
    }
    let none: [&str; 0] = [];
    let err = RedisStore::connect_cluster(none)
        .await
        .expect_err("no seeds");
    assert!(matches!(err, ConnectError::NoSeedNodes), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn convenience_constructors_connect() {
    let server = RedisServer::start();
    let store = RedisStore::connect(&server.url()).await.expect("connect");
    let id = random_id();
    store
        .put_with_ttl(&id, b"v", Duration::from_secs(5))
        .await
        .expect("put");
    assert!(store.take(&id).await.expect("take").is_some());

    let cluster = common::shared_cluster();
    let store = RedisStore::connect_cluster(cluster.urls())
        .await
        .expect("connect");
    store
        .put_with_ttl(&id, b"v", Duration::from_secs(5))
        .await
        .expect("put");
    assert!(store.take(&id).await.expect("take").is_some());
}
