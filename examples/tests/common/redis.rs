//! A fresh `redis-server` per test.

/// A fresh `redis-server`, started off the async worker threads (starting
/// blocks until it answers PING). Killed on drop.
pub(crate) async fn spawn_redis() -> oneshot_redis_harness::RedisServer {
    tokio::task::spawn_blocking(oneshot_redis_harness::RedisServer::start)
        .await
        .expect("start redis-server")
}
