//! A process doing load on a database file is killed with SIGKILL mid-load,
//! and the file is reopened: nothing delivered twice, every secret the
//! process was told was taken stays taken, every one it was told was stored
//! (and did not start taking) is still there.
//!
//! The load runs in a child process: this test binary run again with
//! `ONESHOT_SQLITE_CRASH_DB` set, executing only
//! `load_reports_every_put_and_take`, which then runs until killed. It
//! prints `P <id>` once a put returned and `T <id>` once a take returned the
//! envelope; stdout is line-buffered, so each line is out before the next call.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use oneshot_core::store::{Guards, TakeOutcome};
use oneshot_core::testkit::{random_id, value_for};
use oneshot_core::{SecretId, SecretStore, StoreError};
use oneshot_sqlite::SqliteStore;
use tokio::time::Instant;

const CHILD_ENV: &str = "ONESHOT_SQLITE_CRASH_DB";
const TASKS: usize = 8;
const TTL: Duration = Duration::from_secs(600);

/// Puts and takes on `store` from `TASKS` tasks until `until`, writing a
/// line after each put and each delivered take.
async fn load(store: SqliteStore, until: Instant, out: Arc<std::sync::Mutex<dyn Write + Send>>) {
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let (store, out) = (store.clone(), out.clone());
            tokio::spawn(async move {
                while Instant::now() < until {
                    let id = random_id();
                    store
                        .put_with_ttl(&id, &value_for(&id, 64), TTL, &Guards::NONE)
                        .await
                        .expect("put");
                    writeln!(out.lock().unwrap(), "P {id}").expect("report the put");
                    // Half the secrets are left for the check after the crash.
                    if !is_taken_by_load(&id) {
                        continue;
                    }
                    if let TakeOutcome::Taken(_) = store.take(&id, None).await.expect("take") {
                        writeln!(out.lock().unwrap(), "T {id}").expect("report the take");
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("load task");
    }
}

/// Whether the load takes this id (about half of them) or leaves it stored.
fn is_taken_by_load(id: &SecretId) -> bool {
    id.as_bytes()[0].is_multiple_of(2)
}

/// Checks the reopened database against what the killed process reported.
async fn check(path: &Path, report: &str) -> (usize, usize) {
    let mut put: Vec<SecretId> = Vec::new();
    let mut taken: HashMap<SecretId, usize> = HashMap::new();
    for line in report.lines() {
        let Some((kind, hex)) = line.split_once(' ') else {
            continue;
        };
        let Some(id) = parse_id(hex) else { continue };
        match kind {
            "P" => put.push(id),
            "T" => *taken.entry(id).or_default() += 1,
            _ => {}
        }
    }
    let twice = taken.values().filter(|n| **n > 1).count();
    assert_eq!(twice, 0, "{twice} ids were delivered twice");
    let store = SqliteStore::open(path).await.expect("reopen the database");
    for id in taken.keys() {
        assert_eq!(
            store.take(id, None).await.expect("take after the crash"),
            TakeOutcome::NotFound,
            "{id} was taken before the crash and came back"
        );
        let forged = store.put_with_ttl(id, b"forged", TTL, &Guards::NONE).await;
        assert!(
            matches!(forged, Err(StoreError::AlreadyExists)),
            "{id}: {forged:?}"
        );
    }
    // Stored and not reported taken: still there. The load never takes
    // the odd ones; an even one may be gone only if its take was running
    // when the process died (at most one per task).
    let taken_ids: HashSet<_> = taken.keys().copied().collect();
    let mut in_flight = 0;
    for id in put.iter().filter(|id| !taken_ids.contains(id)) {
        match store.take(id, None).await.expect("take after the crash") {
            TakeOutcome::Taken(got) => assert_eq!(got, value_for(id, 64), "{id}: wrong bytes"),
            TakeOutcome::NotFound if is_taken_by_load(id) => in_flight += 1,
            other => panic!("{id}, stored and never taken, gave {other:?} after the crash"),
        }
    }
    assert!(in_flight <= TASKS, "{in_flight} stored secrets were lost");
    (taken.len(), put.len() - taken.len())
}

fn parse_id(hex: &str) -> Option<SecretId> {
    let mut bytes = [0u8; 16];
    base16ct::mixed::decode(hex, &mut bytes).ok()?;
    Some(SecretId::from_bytes(bytes))
}

/// In the child: the load until killed (the parent kills it within seconds;
/// it stops by itself after 60 s). Run alone, in the test suite: a short
/// load on a fresh file in this process, checked the same way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_reports_every_put_and_take() {
    if let Some(path) = std::env::var_os(CHILD_ENV) {
        let store = SqliteStore::open(Path::new(&path)).await.expect("open");
        let out = Arc::new(std::sync::Mutex::new(std::io::stdout()));
        load(store, Instant::now() + Duration::from_secs(60), out).await;
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secrets.db");
    let report = Arc::new(std::sync::Mutex::new(Vec::<u8>::new()));
    let store = SqliteStore::open(&path).await.expect("open");
    load(
        store,
        Instant::now() + Duration::from_millis(300),
        report.clone(),
    )
    .await;
    let report = String::from_utf8(report.lock().unwrap().clone()).unwrap();
    let (taken, untaken) = check(&path, &report).await;
    assert!(
        taken > 50 && untaken > 50,
        "taken {taken}, untaken {untaken}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mid_load_nothing_delivered_twice_nothing_committed_lost() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secrets.db");
    for round in 0..3 {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "load_reports_every_put_and_take",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the child");
        let stdout = child.stdout.take().unwrap();
        // Read in a thread so that the child never blocks on a full pipe.
        let reader = std::thread::spawn(move || {
            let mut lines = String::new();
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                lines.push_str(&line);
                lines.push('\n');
            }
            lines
        });
        // Let it work, then kill it wherever it is.
        let until = std::time::Instant::now() + Duration::from_secs(10);
        while std::fs::metadata(&path).map_or(0, |m| m.len()) == 0
            && std::time::Instant::now() < until
        {
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_millis(700 + 150 * round));
        child.kill().expect("SIGKILL the child");
        child.wait().unwrap();
        let report = reader.join().unwrap();
        let (taken, untaken) = check(&path, &report).await;
        eprintln!(
            "round {round}: {taken} taken stayed taken, {untaken} stored and untaken checked"
        );
        assert!(
            taken > 50,
            "round {round}: the child did too little before the kill ({taken})"
        );
    }
}
