//! Shared test helpers: servers, stores with test timeouts.
#![allow(dead_code, unreachable_pub)]

use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use oneshot_pg_harness::PgServer;
use oneshot_postgres::{PgConfig, PgStore};

/// Generous timeouts for the conformance suite, which checks semantics under
/// heavy concurrency (8,000 takes in flight), not faults.
pub const SUITE_TIMEOUT: Duration = Duration::from_secs(10);

/// Timeouts for fault tests: short, so that they finish quickly, but far
/// above a loopback round trip with a disk flush on a busy 2-core machine.
pub const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);
pub const RESPONSE_TIMEOUT: Duration = Duration::from_millis(500);
/// What a call may take at most: the store's budget plus scheduling slack.
pub const CALL_BOUND: Duration = Duration::from_millis(500 + 500 + 700);

/// One server shared by the tests of a binary that run at the same time
/// (killed when the last of them drops its handle). Durability is not what
/// these tests check, so it runs with `fsync` off.
pub fn shared_server() -> Arc<PgServer> {
    static SHARED: Mutex<Weak<PgServer>> = Mutex::new(Weak::new());
    let mut shared = SHARED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(server) = shared.upgrade() {
        return server;
    }
    let server = Arc::new(PgServer::start_with(&["-c", "fsync=off"]));
    *shared = Arc::downgrade(&server);
    server
}

pub fn suite_config(server: &PgServer) -> PgConfig {
    PgConfig::new(&server.url())
        .expect("the harness URL parses")
        .connect_timeout(SUITE_TIMEOUT)
        .response_timeout(SUITE_TIMEOUT)
}

pub async fn suite_store() -> (Arc<PgServer>, PgStore) {
    let server = shared_server();
    let store = suite_config(&server)
        .connect()
        .await
        .expect("connect to the spawned server");
    (server, store)
}

pub fn fault_config(server: &PgServer) -> PgConfig {
    PgConfig::new(&server.url())
        .expect("the harness URL parses")
        .connect_timeout(CONNECT_TIMEOUT)
        .response_timeout(RESPONSE_TIMEOUT)
}
