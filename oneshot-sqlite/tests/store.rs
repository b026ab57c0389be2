//! The store beyond the conformance suite: another process's write lock
//! (busy → Unavailable, queued calls withdrawn), the purger, check_server,
//! the schema version, durability settings.

use std::time::Duration;

use oneshot_core::store::{Guards, ReceiptState, TakeOutcome};
use oneshot_core::testkit::{random_id, random_receipt_claim};
use oneshot_core::{SecretStore, StoreError};
use oneshot_sqlite::{
    OpenError, SCHEMA_VERSION, ServerWarning, SqliteConfig, SqliteStore, Synchronous,
};
use rusqlite::Connection;
use tokio::time::{Instant, sleep};

const TTL: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_writer_holding_the_lock_gives_unavailable_and_nothing_happens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secrets.db");
    let store = SqliteConfig::file(&path)
        .busy_timeout(Duration::from_millis(200))
        .call_timeout(Duration::from_millis(600))
        .open()
        .await
        .expect("open");
    let id = random_id();
    store
        .put_with_ttl(&id, b"x", TTL, &Guards::NONE)
        .await
        .unwrap();
    // Another process (here: another connection) holds the write lock.
    let other = Connection::open(&path).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let began = Instant::now();
    let take = store.take(&id, None).await;
    assert!(matches!(take, Err(StoreError::Unavailable(_))), "{take:?}");
    assert!(
        began.elapsed() < Duration::from_millis(600),
        "{:?}",
        began.elapsed()
    );
    // Calls queued behind a long wait give up without ever running.
    let store2 = store.clone();
    let blocked = tokio::spawn(async move { store2.take(&random_id(), None).await });
    let queued: Vec<_> = (0..5)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .put_with_ttl(&random_id(), b"q", TTL, &Guards::NONE)
                    .await
            })
        })
        .collect();
    assert!(matches!(
        blocked.await.unwrap(),
        Err(StoreError::Unavailable(_))
    ));
    for call in queued {
        let result = call.await.unwrap();
        assert!(
            matches!(result, Err(StoreError::Unavailable(_))),
            "{result:?}"
        );
    }
    other.execute_batch("ROLLBACK").unwrap();
    // Nothing happened: the secret is still there.
    assert_eq!(
        store.take(&id, None).await.unwrap(),
        TakeOutcome::Taken(b"x".to_vec())
    );
    let count: i64 = other
        .query_row(
            "SELECT count(*) FROM oneshot_secrets WHERE envelope = x'71'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(count, 0, "a withdrawn or refused put was stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purge_deletes_what_is_past_its_keep_time_through_the_indexes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secrets.db");
    let store = SqliteConfig::file(&path)
        .max_ttl(Duration::from_secs(1))
        .purge_interval(None)
        .purge_batch(7)
        .open()
        .await
        .expect("open");
    let short = Duration::from_millis(100);
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
        .unwrap();
    sleep(Duration::from_millis(150)).await;
    let stats = store.purge_expired().await.expect("purge");
    assert_eq!(
        (stats.rows_deleted, stats.envelopes_freed),
        (20, 1),
        "{stats:?}"
    );
    sleep(Duration::from_millis(1000)).await;
    let stats = store.purge_expired().await.expect("purge");
    assert_eq!(
        (stats.rows_deleted, stats.envelopes_freed),
        (10, 0),
        "{stats:?}"
    );
    let receipt = store
        .receipt(&id, &claim)
        .await
        .unwrap()
        .expect("receipt kept");
    assert_eq!(receipt.state, ReceiptState::Expired);
    let conn = Connection::open(&path).unwrap();
    let rows: (i64, i64) = conn
        .query_row(
            "SELECT count(*), count(envelope) FROM oneshot_secrets",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(rows, (1, 0));
    for sql in [
        "SELECT rowid FROM oneshot_secrets WHERE keep_until <= 1 ORDER BY keep_until LIMIT 10",
        "SELECT rowid FROM oneshot_secrets WHERE envelope IS NOT NULL AND expires_at <= 1 \
         ORDER BY expires_at LIMIT 10",
    ] {
        let plan: String = conn
            .query_row(&format!("EXPLAIN QUERY PLAN {sql}"), [], |r| r.get(3))
            .unwrap();
        assert!(plan.contains("INDEX oneshot_secrets_"), "{sql}: {plan}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_writer_thread_purges_by_itself() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secrets.db");
    let store = SqliteConfig::file(&path)
        .purge_interval(Some(Duration::from_millis(100)))
        .open()
        .await
        .expect("open");
    for _ in 0..50 {
        store
            .put_with_ttl(&random_id(), b"x", Duration::from_millis(50), &Guards::NONE)
            .await
            .unwrap();
    }
    let conn = Connection::open(&path).unwrap();
    let mut left = -1;
    for _ in 0..50 {
        sleep(Duration::from_millis(50)).await;
        left = conn
            .query_row("SELECT count(*) FROM oneshot_secrets", [], |r| r.get(0))
            .unwrap();
        if left == 0 {
            break;
        }
    }
    assert_eq!(left, 0, "the purger did not purge");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_server_and_durability_settings() {
    let dir = tempfile::tempdir().unwrap();
    let file = SqliteStore::open(dir.path().join("a.db")).await.unwrap();
    assert_eq!(file.check_server().await.unwrap(), vec![]);
    let normal = SqliteConfig::file(dir.path().join("b.db"))
        .synchronous(Synchronous::Normal)
        .open()
        .await
        .unwrap();
    assert_eq!(
        normal.check_server().await.unwrap(),
        vec![ServerWarning::Synchronous("NORMAL".into())]
    );
    let memory = SqliteStore::in_memory().await.unwrap();
    assert_eq!(
        memory.check_server().await.unwrap(),
        vec![ServerWarning::InMemory]
    );
    // The file really is in WAL mode, with the schema version set.
    let conn = Connection::open(dir.path().join("a.db")).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    let version: i32 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!((mode.as_str(), version), ("wal", SCHEMA_VERSION));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_survive_reopening_and_a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secrets.db");
    let (kept, spent) = (random_id(), random_id());
    {
        let store = SqliteStore::open(&path).await.unwrap();
        store
            .put_with_ttl(&kept, b"kept", TTL, &Guards::NONE)
            .await
            .unwrap();
        store
            .put_with_ttl(&spent, b"spent", TTL, &Guards::NONE)
            .await
            .unwrap();
        assert!(matches!(
            store.take(&spent, None).await.unwrap(),
            TakeOutcome::Taken(_)
        ));
    }
    let store = SqliteStore::open(&path).await.unwrap();
    assert_eq!(
        store.take(&kept, None).await.unwrap(),
        TakeOutcome::Taken(b"kept".to_vec())
    );
    assert_eq!(
        store.take(&spent, None).await.unwrap(),
        TakeOutcome::NotFound
    );
    drop(store);
    Connection::open(&path)
        .unwrap()
        .execute_batch("PRAGMA user_version = 99")
        .unwrap();
    let newer = SqliteStore::open(&path).await;
    assert!(
        matches!(newer, Err(OpenError::SchemaTooNew { found: 99, .. })),
        "{newer:?}"
    );
}
