//! put+take pairs per second on a fresh local PostgreSQL (fsync and
//! synchronous_commit on), at 1, 8, 64 and 256 tasks, next to `pgbench`
//! running the same two statements with the same number of clients in the
//! same run; then the space a stored secret and a spent id take.
//!
//! `cargo run --release -p oneshot-postgres --example pg_pairs [seconds per run]`

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use oneshot_core::SecretStore;
use oneshot_core::store::{Guards, TakeOutcome};
use oneshot_core::testkit::{random_id, value_for};
use oneshot_pg_harness::{PgServer, bin_dir};
use oneshot_postgres::{PgConfig, PgStore, statements};

const ENVELOPE: usize = 300;
const TTL: Duration = Duration::from_secs(3600);
const SPENT_US: i64 = 72 * 3600 * 1_000_000;
const CONNECTIONS: usize = 16;

async fn store_pairs(store: &PgStore, tasks: usize, run: Duration) -> f64 {
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

/// The store's PUT and TAKE with pgbench variables for the parameters.
fn pgbench_script() -> String {
    let id = "(int8send(:a) || int8send(:b))";
    let envelope = format!("'\\x{}'::bytea", "ab".repeat(ENVELOPE));
    let put = statements::PUT
        .replace("$7", "NULL::bytea")
        .replace("$6", "NULL::int4")
        .replace("$5", "NULL::bytea")
        .replace("$4", "0::int8")
        .replace("$3", &format!("{}::int8", TTL.as_micros()))
        .replace("$2", &envelope)
        .replace("$1", id);
    let take = statements::TAKE
        .replace("$3", &format!("{SPENT_US}::int8"))
        .replace("$2", "NULL::bytea")
        .replace("$1", id);
    let one_line = |sql: &str| sql.split_whitespace().collect::<Vec<_>>().join(" ");
    format!(
        "\\set a random(1, 4611686018427387903)\n\
         \\set b random(1, 4611686018427387903)\n{};\n{};\n",
        one_line(&put),
        one_line(&take)
    )
}

fn pgbench_pairs(
    server: &PgServer,
    script: &std::path::Path,
    clients: usize,
    run: Duration,
) -> f64 {
    let output = Command::new(bin_dir().join("pgbench"))
        .args(["-n", "-M", "prepared", "-h", "127.0.0.1", "-U", "postgres"])
        .args(["-p", &server.port().to_string()])
        .args([
            "-c",
            &clients.to_string(),
            "-j",
            &clients.min(2).to_string(),
        ])
        .args(["-T", &run.as_secs().max(1).to_string(), "-f"])
        .arg(script)
        .arg("postgres")
        .output()
        .expect("run pgbench");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "pgbench failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("tps = "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|tps| tps.parse().ok())
        .expect("pgbench prints tps")
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let seconds: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let run = Duration::from_secs(seconds);
    let server = PgServer::start_with(&["-c", "max_connections=300"]);
    let store = PgConfig::new(&server.url())
        .unwrap()
        .connections(CONNECTIONS)
        .response_timeout(Duration::from_secs(30))
        .purge_interval(None)
        .connect()
        .await
        .expect("connect");
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("pairs.sql");
    std::fs::write(&script, pgbench_script()).unwrap();
    println!(
        "PostgreSQL {} (fsync on, synchronous_commit on), {ENVELOPE}-byte envelopes, store with {CONNECTIONS} pipelined connections, {seconds} s per run",
        oneshot_pg_harness::server_version()
    );
    println!("| tasks | store pairs/s | pgbench pairs/s | store / pgbench |");
    println!("|---:|---:|---:|---:|");
    for tasks in [1, 8, 64, 256] {
        let ours = store_pairs(&store, tasks, run).await;
        server.psql("TRUNCATE oneshot_secrets");
        let theirs = pgbench_pairs(&server, &script, tasks, run);
        server.psql("TRUNCATE oneshot_secrets");
        println!(
            "| {tasks} | {ours:.0} | {theirs:.0} | {:.2} |",
            ours / theirs
        );
    }

    // Space: live secrets, then the same ids spent (after VACUUM FULL, so
    // dead row versions do not count).
    const N: usize = 20_000;
    let ids: Vec<_> = (0..N).map(|_| random_id()).collect();
    let ids = Arc::new(ids);
    let fill = |take: bool| {
        let (store, ids) = (store.clone(), ids.clone());
        async move {
            let handles: Vec<_> = (0..64)
                .map(|t| {
                    let (store, ids) = (store.clone(), ids.clone());
                    tokio::spawn(async move {
                        for id in ids.iter().skip(t).step_by(64) {
                            if take {
                                store.take(id, None).await.expect("take");
                            } else {
                                store
                                    .put_with_ttl(id, &value_for(id, ENVELOPE), TTL, &Guards::NONE)
                                    .await
                                    .expect("put");
                            }
                        }
                    })
                })
                .collect();
            for handle in handles {
                handle.await.unwrap();
            }
        }
    };
    let size = || -> f64 {
        server.psql("VACUUM FULL oneshot_secrets");
        let bytes: f64 = server
            .psql("SELECT pg_total_relation_size('oneshot_secrets')")
            .parse()
            .unwrap();
        bytes / N as f64
    };
    fill(false).await;
    let live = size();
    fill(true).await;
    let spent = size();
    println!(
        "space per stored secret ({ENVELOPE}-byte envelope): {live:.0} bytes; per spent id: {spent:.0} bytes \
         (table, TOAST and indexes, pg_total_relation_size after VACUUM FULL, {N} rows)"
    );
}
