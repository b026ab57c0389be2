//! What lands on the server: key names, exact bytes, TTLs, the spent marker,
//! the two keys of a guarded secret and their slot, memory per secret.
//! Connection errors, redaction of passwords, capacity, the script fallback.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use oneshot_core::store::{BurnOutcome, Guards, ReceiptState, TakeOutcome};
use oneshot_core::testkit::{passphrase_guard, random_id, random_proof, random_receipt_claim};
use oneshot_core::{SecretId, SecretStore, StoreError};
use oneshot_redis::{ConnectError, RedisConfig, RedisStore, TakeMode};
use oneshot_redis_harness::{RedisServer, key_slot};
use redis::aio::MultiplexedConnection;
use tokio::time::Instant;

/// A plain client to look at the server directly.
async fn raw(server: &RedisServer) -> MultiplexedConnection {
    redis::Client::open(server.url())
        .expect("url")
        .get_multiplexed_async_connection()
        .await
        .expect("raw connection")
}

async fn query<T: redis::FromRedisValue>(raw: &mut MultiplexedConnection, args: &[&[u8]]) -> T {
    let mut cmd = redis::cmd(std::str::from_utf8(args[0]).expect("command name"));
    for arg in &args[1..] {
        cmd.arg(*arg);
    }
    cmd.query_async(raw)
        .await
        .unwrap_or_else(|e| panic!("{:?}: {e}", String::from_utf8_lossy(args[0])))
}

async fn pttl(raw: &mut MultiplexedConnection, key: &[u8]) -> i64 {
    query(raw, &[b"PTTL", key]).await
}

fn envelope_key(store: &RedisStore, id: &SecretId) -> Vec<u8> {
    let mut key = store.key_for(id);
    key.extend_from_slice(b":e");
    key
}

async fn put(store: &RedisStore, id: &SecretId, value: &[u8], ttl: Duration, guards: &Guards) {
    store
        .put_with_ttl(id, value, ttl, guards)
        .await
        .expect("put");
}

async fn taken(store: &RedisStore, id: &SecretId) -> Option<Vec<u8>> {
    store.take(id, None).await.expect("take").into_envelope()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_carry_the_prefix_values_are_exact_and_ttl_is_honoured() {
    let server = RedisServer::start();
    let store = common::config(&server.url())
        .connect()
        .await
        .expect("connect");
    assert_eq!(store.take_mode(), TakeMode::Command, "Auto on Redis >= 6.2");
    assert_eq!(store.max_ttl(), Duration::from_secs(72 * 3600));
    let mut raw = raw(&server).await;

    let id = random_id();
    let value: Vec<u8> = (0..=255u8).rev().chain([0, 0, 13, 10]).collect();
    put(&store, &id, &value, Duration::from_secs(90), &Guards::NONE).await;
    let key = format!("oneshot:{{{id}}}");
    assert_eq!(store.key_for(&id), key.as_bytes());
    let keys: Vec<String> = query(&mut raw, &[b"KEYS", b"*"]).await;
    assert_eq!(keys, vec![key.clone()]);
    let stored: Vec<u8> = query(&mut raw, &[b"GET", key.as_bytes()]).await;
    assert_eq!(stored, value, "the server holds other bytes than were put");
    let ttl = pttl(&mut raw, key.as_bytes()).await;
    assert!(
        (85_000..=90_000).contains(&ttl),
        "PTTL {ttl} ms for a 90 s TTL"
    );
    // A partial millisecond rounds up, never down.
    let short = random_id();
    put(
        &store,
        &short,
        b"x",
        Duration::from_micros(60_500),
        &Guards::NONE,
    )
    .await;
    let ttl = pttl(&mut raw, &store.key_for(&short)).await;
    assert!((50..=61).contains(&ttl), "PTTL {ttl} for 60.5 ms");

    assert_eq!(taken(&store, &id).await, Some(value));
    // The take leaves the spent marker, and only it: an empty string that
    // lives for the longest lifetime.
    let marker: Vec<u8> = query(&mut raw, &[b"GET", key.as_bytes()]).await;
    assert!(marker.is_empty(), "the take left {} bytes", marker.len());
    let ttl = pttl(&mut raw, key.as_bytes()).await;
    let max = i64::try_from(store.max_ttl().as_millis()).expect("ms");
    assert!(
        (max - 5_000..=max).contains(&ttl),
        "spent marker PTTL {ttl} ms, expected about {max}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_custom_prefix_is_used_verbatim_and_braces_are_refused() {
    let server = RedisServer::start();
    let store = common::config(&server.url())
        .key_prefix("app:s:")
        .connect()
        .await
        .expect("connect");
    let id = random_id();
    put(&store, &id, b"v", Duration::from_secs(60), &Guards::NONE).await;
    let mut raw = raw(&server).await;
    let keys: Vec<String> = query(&mut raw, &[b"KEYS", b"*"]).await;
    assert_eq!(keys, vec![format!("app:s:{{{id}}}")]);
    for bad in ["app:{tenant}:", "x{}", "{", "}"] {
        let err = common::config(&server.url())
            .key_prefix(bad)
            .connect()
            .await
            .expect_err(bad);
        assert!(
            matches!(&err, ConnectError::InvalidKeyPrefix { prefix } if prefix == bad),
            "{err:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_input_is_refused_without_contacting_the_server() {
    let mut server = RedisServer::start();
    let store = common::config(&server.url())
        .max_ttl(Duration::from_secs(60))
        .connect()
        .await
        .expect("connect");
    assert_eq!(store.max_ttl(), Duration::from_secs(60));
    server.kill();
    // Checked before anything is sent, so the dead server does not matter.
    let guarded = passphrase_guard(&random_proof(), 3);
    let receipted =
        Guards::NONE.with_receipt(random_receipt_claim().verifier(), Duration::from_secs(10));
    for guards in [Guards::NONE, guarded, receipted] {
        for ttl in [
            Duration::ZERO,
            Duration::from_nanos(999_999),
            Duration::from_secs(60) + Duration::from_nanos(1),
            Duration::MAX,
        ] {
            let result = store.put_with_ttl(&random_id(), b"x", ttl, &guards).await;
            assert!(
                matches!(result, Err(StoreError::InvalidTtl)),
                "{ttl:?}: {result:?}"
            );
        }
        let result = store
            .put_with_ttl(&random_id(), b"", Duration::from_secs(1), &guards)
            .await;
        assert!(
            matches!(result, Err(StoreError::EmptyEnvelope)),
            "{result:?}"
        );
    }
    let forever = Guards::NONE.with_receipt(random_receipt_claim().verifier(), Duration::MAX);
    let result = store
        .put_with_ttl(&random_id(), b"x", Duration::from_secs(1), &forever)
        .await;
    assert!(matches!(result, Err(StoreError::InvalidTtl)), "{result:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scripts_survive_a_script_flush() {
    let server = RedisServer::start();
    for mode in [TakeMode::Script, TakeMode::Command] {
        let store = common::config(&server.url())
            .take_mode(mode)
            .connect()
            .await
            .expect("connect");
        for _ in 0..3 {
            // EVALSHA gets NOSCRIPT (nothing ran), so the store sends EVAL once.
            server.cli(&["script", "flush"]);
            let id = random_id();
            put(
                &store,
                &id,
                b"scripted",
                Duration::from_secs(60),
                &Guards::NONE,
            )
            .await;
            assert_eq!(taken(&store, &id).await.as_deref(), Some(&b"scripted"[..]));
            assert_eq!(taken(&store, &id).await, None);

            let (proof, claim) = (random_proof(), random_receipt_claim());
            let guards =
                passphrase_guard(&proof, 3).with_receipt(claim.verifier(), Duration::from_secs(60));
            // A spent id refuses a guarded create too.
            server.cli(&["script", "flush"]);
            let again = store
                .put_with_ttl(&id, b"x", Duration::from_secs(60), &guards)
                .await;
            assert!(matches!(again, Err(StoreError::AlreadyExists)), "{again:?}");
            let fresh = random_id();
            server.cli(&["script", "flush"]);
            put(&store, &fresh, b"guarded", Duration::from_secs(60), &guards).await;
            server.cli(&["script", "flush"]);
            let wrong = store.take(&fresh, Some(&random_proof())).await;
            assert_eq!(
                wrong.expect("wrong take"),
                TakeOutcome::WrongPassphrase { attempts_left: 2 }
            );
            server.cli(&["script", "flush"]);
            let receipt = store.receipt(&fresh, &claim).await.expect("receipt");
            assert_eq!(receipt.map(|r| r.failed_attempts), Some(1));
            server.cli(&["script", "flush"]);
            assert_eq!(
                store.take(&fresh, Some(&proof)).await.expect("take"),
                TakeOutcome::Taken(b"guarded".to_vec())
            );
            server.cli(&["script", "flush"]);
            assert!(matches!(
                store.burn(&fresh, &claim).await.expect("burn"),
                Some(BurnOutcome::Refused(_))
            ));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_server_with_noeviction_refuses_creates_and_still_takes() {
    let server =
        RedisServer::start_with(&["--maxmemory", "2mb", "--maxmemory-policy", "noeviction"]);
    for mode in [TakeMode::Command, TakeMode::Script] {
        let store = common::config(&server.url())
            .take_mode(mode)
            .connect()
            .await
            .expect("connect");
        let value = vec![7u8; 64 * 1024];
        let (proof, claim) = (random_proof(), random_receipt_claim());
        let guards =
            passphrase_guard(&proof, 3).with_receipt(claim.verifier(), Duration::from_secs(60));
        let mut stored = Vec::new();
        let mut full = false;
        for i in 0..200 {
            let id = random_id();
            let kind = if i % 2 == 0 { Guards::NONE } else { guards };
            match store
                .put_with_ttl(&id, &value, Duration::from_secs(60), &kind)
                .await
            {
                Ok(()) => stored.push((id, kind)),
                Err(StoreError::CapacityExceeded) => {
                    full = true;
                    break;
                }
                Err(other) => panic!("a put on a full server gave {other:?}"),
            }
        }
        assert!(full, "2 MB never filled with {} x 64 KiB", stored.len());
        assert!(
            stored.iter().any(|(_, g)| g.is_none()) && stored.iter().any(|(_, g)| !g.is_none())
        );
        // A big create was refused (its own 64 KiB argument counts towards
        // the limit while it is read). Now make every command that could
        // grow memory refused, however small.
        server.cli(&["config", "set", "maxmemory", "1"]);
        for kind in [Guards::NONE, guards] {
            let result = store
                .put_with_ttl(&random_id(), b"tiny", Duration::from_secs(60), &kind)
                .await;
            assert!(
                matches!(result, Err(StoreError::CapacityExceeded)),
                "{result:?}"
            );
        }
        // A wrong proof would only add to the count: refused, nothing counted.
        let (guarded, _) = stored
            .iter()
            .find(|(_, g)| !g.is_none())
            .expect("a guarded one");
        let wrong = store.take(guarded, Some(&random_proof())).await;
        assert!(
            matches!(wrong, Err(StoreError::CapacityExceeded)),
            "{wrong:?}"
        );
        let receipt = store.receipt(guarded, &claim).await.expect("receipt");
        assert_eq!(
            receipt.map(|r| (r.state, r.failed_attempts)),
            Some((ReceiptState::Pending, 0))
        );
        // Nothing was evicted, and takes and burns work: they free room.
        let mut burn_one = true;
        for (id, kind) in &stored {
            if kind.is_none() {
                assert_eq!(
                    taken(&store, id).await.as_deref(),
                    Some(&value[..]),
                    "{mode:?}"
                );
            } else if std::mem::take(&mut burn_one) {
                assert!(matches!(
                    store.burn(id, &claim).await.expect("burn"),
                    Some(BurnOutcome::Burned(_))
                ));
            } else {
                assert_eq!(
                    store.take(id, Some(&proof)).await.expect("take"),
                    TakeOutcome::Taken(value.clone()),
                    "{mode:?}"
                );
            }
        }
        server.cli(&["config", "set", "maxmemory", "2mb"]);
        put(
            &store,
            &random_id(),
            &value,
            Duration::from_secs(60),
            &Guards::NONE,
        )
        .await;
        put(
            &store,
            &random_id(),
            &value,
            Duration::from_secs(60),
            &guards,
        )
        .await;
        server.cli(&["flushall"]);
    }
}

/// The layout promised in the crate docs, on one server: a plain secret is
/// one string key; a guarded or receipted one a hash and an envelope key in
/// one slot; each key's PTTL; what they cost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_layout_lifetimes_and_memory() {
    let server = RedisServer::start();
    let store = common::config(&server.url())
        .connect()
        .await
        .expect("connect");
    let mut raw = raw(&server).await;
    let max = i64::try_from(store.max_ttl().as_millis()).expect("ms");
    let dbsize = |raw: &mut MultiplexedConnection| {
        let mut raw = raw.clone();
        async move { query::<i64>(&mut raw, &[b"DBSIZE"]).await }
    };
    let near = |got: i64, want: i64, what: &str| {
        assert!(
            (want - 5_000..=want).contains(&got),
            "{what}: PTTL {got} ms, expected about {want}"
        );
    };

    // A secret's keys share the id's slot.
    for _ in 0..100 {
        let id = random_id();
        let key = store.key_for(&id);
        assert_eq!(key_slot(&key), key_slot(&envelope_key(&store, &id)));
        assert_eq!(key_slot(&key), key_slot(id.to_string().as_bytes()));
    }

    // Plain: one key, before and after the take.
    let plain = random_id();
    put(&store, &plain, b"p", Duration::from_secs(90), &Guards::NONE).await;
    assert_eq!(dbsize(&mut raw).await, 1);
    assert_eq!(taken(&store, &plain).await.as_deref(), Some(&b"p"[..]));
    assert_eq!(dbsize(&mut raw).await, 1, "a spent plain secret is one key");
    near(
        pttl(&mut raw, &store.key_for(&plain)).await,
        max,
        "plain marker",
    );
    server.cli(&["flushall"]);

    // Guarded and receipted: the hash lives for TTL + retention, the
    // envelope for the TTL.
    let (proof, claim) = (random_proof(), random_receipt_claim());
    let guards =
        passphrase_guard(&proof, 3).with_receipt(claim.verifier(), Duration::from_secs(300));
    let id = random_id();
    let (key, env_key) = (store.key_for(&id), envelope_key(&store, &id));
    put(&store, &id, b"g", Duration::from_secs(90), &guards).await;
    assert_eq!(dbsize(&mut raw).await, 2);
    near(pttl(&mut raw, &key).await, 390_000, "meta hash");
    near(pttl(&mut raw, &env_key).await, 90_000, "envelope");
    let kind: String = query(&mut raw, &[b"TYPE", &key]).await;
    assert_eq!(kind, "hash");
    let fields: HashMap<String, Vec<u8>> = query(&mut raw, &[b"HGETALL", &key]).await;
    let mut names: Vec<&str> = fields.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(names, ["f", "n", "r", "s", "v", "x"]);
    assert_eq!(fields["v"], proof.verifier().as_bytes());
    assert_eq!(fields["r"], claim.verifier().as_bytes());
    assert_eq!(
        (&fields["s"][..], &fields["n"][..], &fields["f"][..]),
        (&b"p"[..], &b"3"[..], &b"0"[..])
    );
    let stored: Vec<u8> = query(&mut raw, &[b"GET", &env_key]).await;
    assert_eq!(stored, b"g");
    // After the take: the hash alone, kept for the longest lifetime (longer
    // than the retention here), without the passphrase verifier.
    assert_eq!(
        store.take(&id, Some(&proof)).await.expect("take"),
        TakeOutcome::Taken(b"g".to_vec())
    );
    assert_eq!(dbsize(&mut raw).await, 1);
    near(pttl(&mut raw, &key).await, max, "read hash");
    let fields: HashMap<String, Vec<u8>> = query(&mut raw, &[b"HGETALL", &key]).await;
    let mut names: Vec<&str> = fields.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(names, ["f", "r", "s", "t", "x"]);
    assert_eq!(fields["s"], b"r");

    // Guarded without a receipt: both keys end with the TTL; destroyed by
    // attempts, the hash stays spent.
    let id = random_id();
    let (key, env_key) = (store.key_for(&id), envelope_key(&store, &id));
    put(
        &store,
        &id,
        b"g",
        Duration::from_secs(90),
        &passphrase_guard(&proof, 1),
    )
    .await;
    near(
        pttl(&mut raw, &key).await,
        90_000,
        "meta hash without receipt",
    );
    near(
        pttl(&mut raw, &env_key).await,
        90_000,
        "envelope without receipt",
    );
    assert_eq!(
        store.take(&id, Some(&random_proof())).await.expect("take"),
        TakeOutcome::WrongPassphrase { attempts_left: 0 }
    );
    let exists: i64 = query(&mut raw, &[b"EXISTS", &env_key]).await;
    assert_eq!(exists, 0, "the envelope outlived its destruction");
    near(pttl(&mut raw, &key).await, max, "destroyed hash");

    // A receipt retained longer than the longest lifetime keeps it so after a burn.
    let id = random_id();
    let long = Guards::NONE.with_receipt(claim.verifier(), store.max_ttl() * 2);
    put(&store, &id, b"b", Duration::from_secs(90), &long).await;
    assert!(matches!(
        store.burn(&id, &claim).await.expect("burn"),
        Some(BurnOutcome::Burned(_))
    ));
    near(
        pttl(&mut raw, &store.key_for(&id)).await,
        90_000 + 2 * max,
        "burned, long retention",
    );
    server.cli(&["flushall"]);

    // Memory: what each kind costs on this server.
    let usage = |raw: &mut MultiplexedConnection, key: Vec<u8>| {
        let mut raw = raw.clone();
        async move {
            query::<Option<i64>>(&mut raw, &[b"MEMORY", b"USAGE", &key, b"SAMPLES", b"0"])
                .await
                .unwrap_or(0)
        }
    };
    let mut report = Vec::new();
    for len in [285, 64 * 1024] {
        let envelope = vec![0xa5u8; len];
        let plain = random_id();
        put(
            &store,
            &plain,
            &envelope,
            Duration::from_secs(600),
            &Guards::NONE,
        )
        .await;
        let plain_bytes = usage(&mut raw, store.key_for(&plain)).await;
        let guarded = random_id();
        put(
            &store,
            &guarded,
            &envelope,
            Duration::from_secs(600),
            &guards,
        )
        .await;
        let guarded_bytes = usage(&mut raw, store.key_for(&guarded)).await
            + usage(&mut raw, envelope_key(&store, &guarded)).await;
        assert!(plain_bytes >= i64::try_from(len).expect("len"));
        assert!(guarded_bytes > plain_bytes);
        taken(&store, &plain).await.expect("plain take");
        store
            .take(&guarded, Some(&proof))
            .await
            .expect("guarded take");
        let marker = usage(&mut raw, store.key_for(&plain)).await;
        let read = usage(&mut raw, store.key_for(&guarded)).await;
        assert!(marker < 128, "a spent marker takes {marker} bytes");
        report.push(format!(
            "{len} B envelope: plain {plain_bytes} B, guarded+receipt {guarded_bytes} B; \
             spent marker {marker} B, read receipt hash {read} B"
        ));
    }
    eprintln!(
        "MEMORY USAGE (Redis {}):\n  {}",
        server
            .cli(&["info", "server"])
            .lines()
            .find_map(|l| l.strip_prefix("redis_version:"))
            .unwrap_or("?"),
        report.join("\n  ")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guarded_secret_lives_on_one_cluster_node() {
    let cluster = common::shared_cluster();
    let store = common::cluster_store(&cluster).await;
    let ranges = cluster.slot_ranges();
    for _ in 0..12 {
        let id = random_id();
        let claim = random_receipt_claim();
        let guards = Guards::NONE.with_receipt(claim.verifier(), Duration::from_secs(60));
        put(&store, &id, b"x", Duration::from_secs(60), &guards).await;
        let slot = key_slot(&store.key_for(&id));
        let owner = ranges
            .iter()
            .position(|r| r.contains(slot))
            .expect("an owner");
        let count = cluster.nodes()[owner].cli(&["cluster", "countkeysinslot", &slot.to_string()]);
        assert_eq!(count, "2", "slot {slot}");
        assert!(matches!(
            store.burn(&id, &claim).await.expect("burn"),
            Some(BurnOutcome::Burned(_))
        ));
        let count = cluster.nodes()[owner].cli(&["cluster", "countkeysinslot", &slot.to_string()]);
        assert_eq!(count, "1", "after the burn, slot {slot}");
    }
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
    put(&store, &id, b"v", Duration::from_secs(5), &Guards::NONE).await;
    assert!(taken(&store, &id).await.is_some());

    let cluster = common::shared_cluster();
    let store = RedisStore::connect_cluster(cluster.urls())
        .await
        .expect("connect");
    put(&store, &id, b"v", Duration::from_secs(5), &Guards::NONE).await;
    assert!(taken(&store, &id).await.is_some());
}
