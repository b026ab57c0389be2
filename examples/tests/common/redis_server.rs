//! The in-process server on a fresh `redis-server`, for store-failure tests.
//! Its includers also include `redis.rs`, `server.rs` and `plain.rs`.

use std::sync::Arc;
use std::time::Duration;

use oneshot_core::Policy;

use super::redis::spawn_redis;
use super::server::TestServer;

/// A fresh `redis-server` and the server on a `RedisStore` for it, with
/// connect and response timeouts of `timeout` (short ones make fault tests
/// quick). Keep the returned server alive for as long as the test needs it.
pub(crate) async fn server_on_redis(
    timeout: Duration,
) -> (oneshot_redis_harness::RedisServer, TestServer) {
    let redis = spawn_redis().await;
    let store = oneshot_redis::RedisConfig::new(redis.url())
        .connect_timeout(timeout)
        .response_timeout(timeout)
        .connect()
        .await
        .expect("connect to the spawned redis-server");
    let server = TestServer::with_store(Arc::new(store), Policy::default()).await;
    (redis, server)
}
