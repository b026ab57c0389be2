//! The store on real servers beyond the conformance suite: the failure
//! mapping (provoked with triggers that fail the way PostgreSQL does), the
//! purger and its indexes, migrations, `check_server`.

mod common;

use std::time::Duration;

use common::suite_config;
use oneshot_core::store::{Guards, ReceiptState, TakeOutcome};
use oneshot_core::testkit::{random_id, random_receipt_claim};
use oneshot_core::{SecretStore, StoreError};
use oneshot_pg_harness::PgServer;
use oneshot_postgres::{
    ConnectError, PgConfig, PgStore, SCHEMA_VERSION, ServerWarning, statements,
};
use tokio::time::sleep;

const TTL: Duration = Duration::from_secs(60);

async fn store(server: &PgServer) -> PgStore {
    suite_config(server).connect().await.expect("connect")
}

/// Makes the next `n` statements that touch `oneshot_secrets` fail with
/// SQLSTATE `code` (a sequence counts attempts, and is not rolled back).
fn fail_next(server: &PgServer, n: i64, code: &str) {
    server.psql(&format!(
        "CREATE SEQUENCE IF NOT EXISTS attempts;
         CREATE OR REPLACE FUNCTION fail_some() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
             IF nextval('attempts') <= {n} THEN
                 RAISE EXCEPTION 'injected' USING ERRCODE = '{code}';
             END IF;
             RETURN NEW;
         END $$;
         DROP TRIGGER IF EXISTS fail_some ON oneshot_secrets;
         CREATE TRIGGER fail_some BEFORE INSERT OR UPDATE ON oneshot_secrets
             FOR EACH ROW EXECUTE FUNCTION fail_some();
         SELECT setval('attempts', 1, false);"
    ));
}

fn attempts(server: &PgServer) -> i64 {
    server
        .psql("SELECT last_value FROM attempts")
        .parse()
        .expect("a number")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conflicts_that_rolled_back_are_retried_a_bounded_number_of_times() {
    let server = PgServer::start_with(&["-c", "fsync=off"]);
    let store = store(&server).await;
    // Two serialization failures, then success: the store sent it 3 times.
    fail_next(&server, 2, "40001");
    let id = random_id();
    store
        .put_with_ttl(&id, b"x", TTL, &Guards::NONE)
        .await
        .expect("put after 2 retries");
    assert_eq!(attempts(&server), 3);
    // Deadlocks on the take's update, too.
    fail_next(&server, 1, "40P01");
    assert_eq!(
        store.take(&id, None).await.expect("take"),
        TakeOutcome::Taken(b"x".to_vec())
    );
    assert_eq!(attempts(&server), 2);
    // Always failing: 1 try + 3 retries, then Unavailable (nothing happened).
    fail_next(&server, 1000, "40001");
    let id = random_id();
    let put = store.put_with_ttl(&id, b"x", TTL, &Guards::NONE).await;
    assert!(matches!(put, Err(StoreError::Unavailable(_))), "{put:?}");
    assert_eq!(attempts(&server), 4);
    assert_eq!(
        server.psql("SELECT count(*) FROM oneshot_secrets WHERE envelope = '\\x78'"),
        "0"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_replies_map_to_what_happened() {
    let server = PgServer::start_with(&["-c", "fsync=off"]);
    let store = store(&server).await;
    let put = |store: PgStore| async move {
        store
            .put_with_ttl(&random_id(), b"x", TTL, &Guards::NONE)
            .await
    };
    // Disk full: rolled back, and the store is full.
    fail_next(&server, 1, "53100");
    let full = put(store.clone()).await;
    assert!(
        matches!(full, Err(StoreError::CapacityExceeded)),
        "{full:?}"
    );
    // Other ERRORs that prove the statement did not run: out of memory, cancelled.
    for code in ["53200", "57014", "25006"] {
        fail_next(&server, 1, code);
        let result = put(store.clone()).await;
        assert!(
            matches!(result, Err(StoreError::Unavailable(_))),
            "{code}: {result:?}"
        );
    }
    // Anything else is a backend error, and its message says what it was.
    fail_next(&server, 1, "22023");
    let result = put(store.clone()).await;
    let Err(StoreError::Backend(e)) = result else {
        panic!("22023 gave {result:?}")
    };
    assert!(e.to_string().contains("injected"), "{e}");
    server.psql("DROP TRIGGER fail_some ON oneshot_secrets");
    put(store).await.expect("works again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backend_killed_mid_statement_is_indeterminate_and_the_store_reconnects() {
    let server = PgServer::start_with(&["-c", "fsync=off"]);
    let store = suite_config(&server)
        .connections(1)
        .connect()
        .await
        .expect("connect");
    // The backend running the statement is terminated under it: FATAL
    // 57P01, then the connection closes. Did it commit? The store cannot know.
    server.psql(
        "CREATE FUNCTION die() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); PERFORM pg_sleep(5); RETURN NEW; END $$;
         CREATE TRIGGER die BEFORE INSERT ON oneshot_secrets FOR EACH ROW EXECUTE FUNCTION die();",
    );
    let result = store
        .put_with_ttl(&random_id(), b"x", TTL, &Guards::NONE)
        .await;
    assert!(
        matches!(result, Err(StoreError::Indeterminate(_))),
        "{result:?}"
    );
    server.psql("DROP TRIGGER die ON oneshot_secrets");
    // The closed connection is replaced without any call failing.
    let id = random_id();
    store
        .put_with_ttl(&id, b"y", TTL, &Guards::NONE)
        .await
        .expect("put on a new connection");
    assert_eq!(
        store.take(&id, None).await.expect("take"),
        TakeOutcome::Taken(b"y".to_vec())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeouts_a_reply_that_is_late_is_indeterminate_and_a_cancelled_one_unavailable() {
    let server = PgServer::start_with(&["-c", "fsync=off"]);
    server.psql("SELECT 1");
    let slow = |server: &PgServer| {
        server.psql(
            "CREATE OR REPLACE FUNCTION slow() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN PERFORM pg_sleep(0.8); RETURN NEW; END $$;
             DROP TRIGGER IF EXISTS slow ON oneshot_secrets;
             CREATE TRIGGER slow BEFORE INSERT ON oneshot_secrets FOR EACH ROW EXECUTE FUNCTION slow();",
        );
    };
    // The client gives up after 200 ms; the server finishes the insert later.
    let store = PgConfig::new(&server.url())
        .unwrap()
        .response_timeout(Duration::from_millis(200))
        .statement_timeout(Duration::from_secs(5))
        .connect()
        .await
        .expect("connect");
    slow(&server);
    let id = random_id();
    let result = store.put_with_ttl(&id, b"late", TTL, &Guards::NONE).await;
    assert!(
        matches!(result, Err(StoreError::Indeterminate(_))),
        "{result:?}"
    );
    sleep(Duration::from_millis(1200)).await;
    // Which is why it was Indeterminate: it did happen.
    assert_eq!(
        store.take(&id, None).await.expect("take"),
        TakeOutcome::Taken(b"late".to_vec())
    );

    // The server cancels at its statement_timeout and rolls back: Unavailable.
    let store = PgConfig::new(&server.url())
        .unwrap()
        .response_timeout(Duration::from_secs(5))
        .statement_timeout(Duration::from_millis(200))
        .connect()
        .await
        .expect("connect");
    let id = random_id();
    let result = store
        .put_with_ttl(&id, b"cancelled", TTL, &Guards::NONE)
        .await;
    assert!(
        matches!(result, Err(StoreError::Unavailable(_))),
        "{result:?}"
    );
    server.psql("DROP TRIGGER slow ON oneshot_secrets");
    assert_eq!(
        store.take(&id, None).await.expect("take"),
        TakeOutcome::NotFound
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purge_deletes_what_is_past_its_keep_time_and_frees_expired_envelopes() {
    let server = PgServer::start_with(&["-c", "fsync=off"]);
    let store = suite_config(&server)
        .max_ttl(Duration::from_secs(1))
        .purge_interval(None)
        .purge_batch(7)
        .connect()
        .await
        .expect("connect");
    let short = Duration::from_millis(100);
    // 20 plain secrets expiring unread, 10 taken (spent for max_ttl), one
    // receipted secret whose receipt outlives its envelope.
    for _ in 0..20 {
        store
            .put_with_ttl(&random_id(), b"x", short, &Guards::NONE)
            .await
            .unwrap();
    }
    for _ in 0..10 {
        let id = random_id();
        store
            .put_with_ttl(&id, b"x", short, &Guards::NONE)
            .await
            .unwrap();
        assert!(matches!(
            store.take(&id, None).await.unwrap(),
            TakeOutcome::Taken(_)
        ));
    }
    let (id, claim) = (random_id(), random_receipt_claim());
    let guards = Guards::NONE.with_receipt(claim.verifier(), Duration::from_secs(600));
    store
        .put_with_ttl(&id, b"kept", short, &guards)
        .await
        .expect("put with a receipt");
    let live = random_id();
    let live_ttl = Duration::from_millis(900);
    store
        .put_with_ttl(&live, b"live", live_ttl, &Guards::NONE)
        .await
        .unwrap();
    assert_eq!(server.psql("SELECT count(*) FROM oneshot_secrets"), "32");

    sleep(Duration::from_millis(150)).await;
    // The plain ones expired; the spent ones are kept for max_ttl (1 s).
    let stats = store.purge_expired().await.expect("purge");
    assert_eq!(
        (stats.rows_deleted, stats.envelopes_freed),
        (20, 1),
        "{stats:?}"
    );
    assert_eq!(
        store.take(&live, None).await.unwrap(),
        TakeOutcome::Taken(b"live".to_vec())
    );
    sleep(Duration::from_millis(1100)).await;
    // The 10 spent ids and `live` (taken since) are past max_ttl.
    let stats = store.purge_expired().await.expect("purge");
    assert_eq!(
        (stats.rows_deleted, stats.envelopes_freed),
        (11, 0),
        "{stats:?}"
    );
    assert_eq!(server.psql("SELECT count(*) FROM oneshot_secrets"), "1");
    // The receipt is still kept, its envelope gone, and it says Expired.
    assert_eq!(
        server.psql("SELECT count(*) FROM oneshot_secrets WHERE envelope IS NULL"),
        "1"
    );
    let receipt = store
        .receipt(&id, &claim)
        .await
        .unwrap()
        .expect("receipt kept");
    assert_eq!(receipt.state, ReceiptState::Expired);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_background_purger_runs_and_stops_with_the_store() {
    let server = PgServer::start_with(&["-c", "fsync=off"]);
    let store = suite_config(&server)
        .purge_interval(Some(Duration::from_millis(100)))
        .connect()
        .await
        .expect("connect");
    for _ in 0..50 {
        store
            .put_with_ttl(&random_id(), b"x", Duration::from_millis(50), &Guards::NONE)
            .await
            .unwrap();
    }
    let mut left = String::new();
    for _ in 0..50 {
        sleep(Duration::from_millis(50)).await;
        left = server.psql("SELECT count(*) FROM oneshot_secrets");
        if left == "0" {
            break;
        }
    }
    assert_eq!(left, "0", "the purger did not purge");
    drop(store);
    sleep(Duration::from_millis(300)).await;
    assert_eq!(
        server.psql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'oneshot'"),
        "0",
        "connections outlived the store"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purge_statements_use_the_expiry_indexes_not_a_scan() {
    let server = PgServer::start_with(&["-c", "fsync=off"]);
    drop(store(&server).await);
    server.psql(
        "INSERT INTO oneshot_secrets (id, envelope, expires_at, keep_until)
         SELECT int8send(g), '\\x00', now() + g * interval '1 second', now() + g * interval '1 second'
         FROM generate_series(1, 50000) g;
         ANALYZE oneshot_secrets;",
    );
    for (name, sql) in [
        ("rows", statements::PURGE_ROWS),
        ("envelopes", statements::PURGE_ENVELOPES),
    ] {
        let plan = server.psql(&format!(
            "PREPARE p AS {sql}; EXPLAIN (COSTS OFF) EXECUTE p(1000); DEALLOCATE p;"
        ));
        assert!(
            !plan.contains("Seq Scan"),
            "purge {name} scans the table:\n{plan}"
        );
        assert!(
            plan.contains("Index"),
            "purge {name} uses no index:\n{plan}"
        );
    }
    for (name, sql) in [("take", statements::TAKE), ("burn", statements::BURN)] {
        let plan = server.psql(&format!(
            "PREPARE p AS {sql}; EXPLAIN (COSTS OFF) EXECUTE p('\\x01', NULL, 1); DEALLOCATE p;"
        ));
        assert!(
            !plan.contains("Seq Scan"),
            "{name} scans the table:\n{plan}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_apply_once_and_a_store_without_them_checks_the_version() {
    let server = PgServer::start_with(&["-c", "fsync=off"]);
    let plain = || PgConfig::new(&server.url()).unwrap().purge_interval(None);
    let refused = plain().run_migrations(false).connect().await;
    assert!(
        matches!(
            refused,
            Err(ConnectError::SchemaOutdated {
                found: 0,
                expected: SCHEMA_VERSION
            })
        ),
        "{refused:?}"
    );
    // Several instances starting together: one applies, the others wait on
    // the advisory lock and find it done.
    let (a, b, c) = tokio::join!(plain().connect(), plain().connect(), plain().connect());
    for store in [a, b, c] {
        store.expect("connect and migrate");
    }
    assert_eq!(
        server.psql("SELECT string_agg(version::text, ',') FROM oneshot_schema"),
        "1"
    );
    plain()
        .run_migrations(false)
        .connect()
        .await
        .expect("current schema accepted");
    server.psql("INSERT INTO oneshot_schema (version) VALUES (99)");
    let newer = plain().connect().await;
    assert!(
        matches!(newer, Err(ConnectError::SchemaTooNew { found: 99, .. })),
        "{newer:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_server_names_settings_that_break_the_promises() {
    let good = PgServer::start();
    assert_eq!(
        store(&good).await.check_server().await.expect("check"),
        vec![]
    );

    let bad = PgServer::start_with(&["-c", "fsync=off", "-c", "synchronous_commit=off"]);
    let warnings = store(&bad).await.check_server().await.expect("check");
    assert_eq!(
        warnings,
        vec![ServerWarning::SynchronousCommitOff, ServerWarning::FsyncOff]
    );
    assert!(warnings[0].to_string().contains("delivered again"));

    // Set for the role only, which is what the store's sessions get.
    good.psql("ALTER ROLE postgres SET synchronous_commit = off");
    let warnings = store(&good).await.check_server().await.expect("check");
    assert_eq!(warnings, vec![ServerWarning::SynchronousCommitOff]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn isolation_is_read_committed_whatever_the_database_default() {
    let server = PgServer::start_with(&["-c", "fsync=off"]);
    server.psql("ALTER DATABASE postgres SET default_transaction_isolation = serializable");
    let store = std::sync::Arc::new(store(&server).await);
    // 64 racing takers of one id: under SERIALIZABLE all but one would fail
    // with 40001 and exhaust their retries; at READ COMMITTED they queue on
    // the row lock and find it taken.
    for _ in 0..5 {
        let id = random_id();
        store
            .put_with_ttl(&id, b"once", TTL, &Guards::NONE)
            .await
            .unwrap();
        let takers: Vec<_> = (0..64)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move { store.take(&id, None).await })
            })
            .collect();
        let mut taken = 0;
        for taker in takers {
            match taker.await.unwrap().expect("no take fails") {
                TakeOutcome::Taken(_) => taken += 1,
                TakeOutcome::NotFound => {}
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(taken, 1);
    }
}
