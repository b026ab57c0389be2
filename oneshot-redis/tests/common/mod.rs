//! Shared test helpers: servers, stores with short timeouts, bounded loops.
#![allow(dead_code, unreachable_pub)]

use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use oneshot_redis::{RedisConfig, RedisStore, TakeMode};
use oneshot_redis_harness::{RedisCluster, RedisServer};

/// Timeouts for tests: short, so that fault tests finish quickly, but far
/// above a loopback round trip on a busy 2-core machine.
pub const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);
pub const RESPONSE_TIMEOUT: Duration = Duration::from_millis(500);
/// What a call may take at most: the store's own budget (connect + response
/// + 50 ms) plus scheduling slack for a loaded CI machine.
pub const CALL_BOUND: Duration = Duration::from_millis(500 + 500 + 50 + 700);

pub fn config(url: &str) -> RedisConfig {
    RedisConfig::new(url)
        .connect_timeout(CONNECT_TIMEOUT)
        .response_timeout(RESPONSE_TIMEOUT)
}

pub fn cluster_config(urls: Vec<String>) -> RedisConfig {
    RedisConfig::cluster(urls)
        .connect_timeout(CONNECT_TIMEOUT)
        .response_timeout(RESPONSE_TIMEOUT)
}

/// Generous timeouts for the conformance suite, which checks semantics under
/// heavy concurrency (8,000 concurrent takes on one connection), not faults.
pub const SUITE_TIMEOUT: Duration = Duration::from_secs(10);

pub async fn single(mode: TakeMode) -> (RedisServer, RedisStore) {
    let server = RedisServer::start();
    let store = RedisConfig::new(server.url())
        .connect_timeout(SUITE_TIMEOUT)
        .response_timeout(SUITE_TIMEOUT)
        .take_mode(mode)
        .connect()
        .await
        .expect("connect to the spawned server");
    (server, store)
}

/// One cluster shared by the tests of a binary that run at the same time
/// (it is killed when the last of them drops its handle).
pub fn shared_cluster() -> Arc<RedisCluster> {
    static SHARED: Mutex<Weak<RedisCluster>> = Mutex::new(Weak::new());
    let mut shared = SHARED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(cluster) = shared.upgrade() {
        return cluster;
    }
    let cluster = Arc::new(RedisCluster::start());
    *shared = Arc::downgrade(&cluster);
    cluster
}

pub async fn cluster_store(cluster: &RedisCluster) -> RedisStore {
    RedisConfig::cluster(cluster.urls())
        .connect_timeout(SUITE_TIMEOUT)
        .response_timeout(SUITE_TIMEOUT)
        .connect()
        .await
        .expect("connect to the spawned cluster")
}
