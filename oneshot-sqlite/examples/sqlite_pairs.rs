//! put+take pairs per second on a SQLite file (WAL; synchronous FULL, then
//! NORMAL) at 1, 8, 64 and 256 tasks, and the space a stored secret and a
//! spent id take in the file.
//!
//! `cargo run --release -p oneshot-sqlite --example sqlite_pairs [seconds per run]`

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use oneshot_core::SecretStore;
use oneshot_core::store::{Guards, TakeOutcome};
use oneshot_core::testkit::{random_id, value_for};
use oneshot_sqlite::{SqliteConfig, SqliteStore, Synchronous};

const ENVELOPE: usize = 300;
const TTL: Duration = Duration::from_secs(3600);

async fn pairs(store: &SqliteStore, tasks: usize, run: Duration) -> f64 {
    let pairs = Arc::new(AtomicU64::new(0));
    let until = Instant::now() + run;
    let began = Instant::now();
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            let (store, pairs) = (store.clone(), pairs.clone());
            tokio::spawn(async move {
                while Instant::now() < until {
                    let id = random_id();
                    store
                        .put_with_ttl(&id, &value_for(&id, ENVELOPE), TTL, &Guards::NONE)
                        .await
                        .expect("put");
                    let taken = store.take(&id, None).await.expect("take");
                    assert!(matches!(taken, TakeOutcome::Taken(_)));
                    pairs.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for handle in handles {
        handle.await.expect("task");
    }
    pairs.load(Ordering::Relaxed) as f64 / began.elapsed().as_secs_f64()
}

fn file_bytes(path: &std::path::Path) -> u64 {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE); VACUUM;")
        .unwrap();
    let pages: i64 = conn
        .query_row("PRAGMA page_count", [], |r| r.get(0))
        .unwrap();
    let size: i64 = conn
        .query_row("PRAGMA page_size", [], |r| r.get(0))
        .unwrap();
    u64::try_from(pages * size).unwrap()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let seconds: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let run = Duration::from_secs(seconds);
    let dir = tempfile::tempdir().unwrap();
    println!(
        "SQLite {} (WAL), {ENVELOPE}-byte envelopes, {seconds} s per run",
        rusqlite::version()
    );
    println!("| tasks | synchronous=FULL pairs/s | synchronous=NORMAL pairs/s |");
    println!("|---:|---:|---:|");
    let open = |name: &str, sync| {
        SqliteConfig::file(dir.path().join(name))
            .synchronous(sync)
            .purge_interval(None)
            .open()
    };
    let full = open("full.db", Synchronous::Full).await.unwrap();
    let normal = open("normal.db", Synchronous::Normal).await.unwrap();
    for tasks in [1, 8, 64, 256] {
        let a = pairs(&full, tasks, run).await;
        let b = pairs(&normal, tasks, run).await;
        println!("| {tasks} | {a:.0} | {b:.0} |");
    }

    const N: u64 = 20_000;
    let path = dir.path().join("space.db");
    let store = SqliteStore::open(&path).await.unwrap();
    let empty = file_bytes(&path);
    let ids: Vec<_> = (0..N).map(|_| random_id()).collect();
    let ids = Arc::new(ids);
    for take in [false, true] {
        let handles: Vec<_> = (0..64)
            .map(|t| {
                let (store, ids) = (store.clone(), ids.clone());
                tokio::spawn(async move {
                    for id in ids.iter().skip(t).step_by(64) {
                        if take {
                            store.take(id, None).await.unwrap();
                        } else {
                            store
                                .put_with_ttl(id, &value_for(id, ENVELOPE), TTL, &Guards::NONE)
                                .await
                                .unwrap();
                        }
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.await.unwrap();
        }
        let per = (file_bytes(&path) - empty) as f64 / N as f64;
        let what = if take { "spent id" } else { "stored secret" };
        println!(
            "space per {what} ({ENVELOPE}-byte envelope): {per:.0} bytes (file pages after VACUUM, {N} rows)"
        );
    }
}
