//! A take that timed out is never sent again, by the store or by the `redis`
//! crate underneath: the server counts exactly one GETDEL. (With the cluster
//! client's defaults it would count several: it re-sends after timeouts.)

mod common;

use std::time::Duration;

use common::{CALL_BOUND, RESPONSE_TIMEOUT};
use oneshot_core::testkit::random_id;
use oneshot_core::{SecretStore, StoreError};
use oneshot_redis::RedisStore;
use oneshot_redis_harness::{RedisCluster, RedisServer};
use tokio::time::{Instant, sleep};

fn getdel_calls(server: &RedisServer) -> u64 {
    let stats = server.cli(&["info", "commandstats"]);
    stats
        .lines()
        .find_map(|l| l.strip_prefix("cmdstat_getdel:calls="))
        .and_then(|rest| rest.split(',').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// Put a secret on `server`, freeze it, take (times out), wait long enough
/// for any re-send, thaw it, and count the GETDELs it ran. Meanwhile takes of
/// `elsewhere` (ids on other nodes) keep the client busy: the cluster client
/// dispatches parked retries when other requests arrive, so without traffic a
/// re-send could go unnoticed. (With the crate's defaults, `retries` 16 and no
/// overall timeout, this test counted 8 GETDELs for the one take.)
async fn timed_out_take_runs_once(
    store: &RedisStore,
    server: &RedisServer,
    on_server: impl Fn(&oneshot_core::SecretId) -> bool,
    elsewhere: Vec<oneshot_core::SecretId>,
) {
    let id = (0..10_000)
        .map(|_| random_id())
        .find(|id| on_server(id))
        .expect("an id on the wanted node");
    store
        .put_with_ttl(&id, b"frozen", Duration::from_secs(60))
        .await
        .expect("put");
    server.cli(&["config", "resetstat"]);
    server.pause();
    let background = store.clone();
    let traffic = tokio::spawn(async move {
        for id in elsewhere {
            let _ = background.take(&id).await;
            sleep(Duration::from_millis(10)).await;
        }
    });
    let began = Instant::now();
    let taken = store.take(&id).await;
    let took = began.elapsed();
    // Several response timeouts: room for the client to retry, if it would.
    sleep(RESPONSE_TIMEOUT * 3).await;
    traffic.abort();
    server.resume();
    sleep(Duration::from_millis(300)).await;
    assert!(
        matches!(taken, Err(StoreError::Indeterminate(_))),
        "a take from a frozen server gave {taken:?}"
    );
    assert!(took <= CALL_BOUND, "the take took {took:?}");
    assert_eq!(
        getdel_calls(server),
        1,
        "the timed-out GETDEL was sent again"
    );
    // The one GETDEL ran once the server woke: the secret is gone, which is
    // why the timeout had to be Indeterminate rather than "try again".
    assert_eq!(store.take(&id).await.expect("take"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_node_never_resends_a_timed_out_take() {
    let server = RedisServer::start();
    let store = common::config(&server.url())
        .connect()
        .await
        .expect("connect");
    timed_out_take_runs_once(&store, &server, |_| true, Vec::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_never_resends_a_timed_out_take() {
    let cluster = RedisCluster::start();
    let store = common::cluster_config(cluster.urls())
        .connect()
        .await
        .expect("connect");
    let ranges = cluster.slot_ranges();
    let target = 1;
    let on_target = |id: &oneshot_core::SecretId| ranges[target].contains_key(&store.key_for(id));
    let elsewhere = (0..10_000)
        .map(|_| random_id())
        .filter(|id| !on_target(id))
        .take(300)
        .collect();
    timed_out_take_runs_once(&store, &cluster.nodes()[target], on_target, elsewhere).await;
}
