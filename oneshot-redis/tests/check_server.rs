//! `check_server` on real servers, with the risky settings made by CONFIG SET.

mod common;

use oneshot_redis::{RedisStore, ServerWarning};
use oneshot_redis_harness::RedisServer;

async fn store_for(server: &RedisServer) -> RedisStore {
    common::config(&server.url())
        .connect()
        .await
        .expect("connect")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_safe_server_gives_no_warnings() {
    // The harness runs redis-server with --save "" --appendonly no, noeviction.
    let server = RedisServer::start();
    let warnings = store_for(&server)
        .await
        .check_server()
        .await
        .expect("check");
    assert_eq!(warnings, vec![]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_eviction_policy_but_noeviction_is_reported() {
    let server = RedisServer::start();
    let store = store_for(&server).await;
    for policy in [
        "allkeys-lru",
        "volatile-ttl",
        "allkeys-random",
        "volatile-lfu",
    ] {
        server.cli(&["config", "set", "maxmemory-policy", policy]);
        let warnings = store.check_server().await.expect("check");
        assert!(
            matches!(
                warnings.as_slice(),
                [ServerWarning::EvictionPolicy { policy: p, .. }] if p == policy
            ),
            "{policy}: {warnings:?}"
        );
        assert!(warnings[0].to_string().contains(policy));
    }
    server.cli(&["config", "set", "maxmemory-policy", "noeviction"]);
    assert_eq!(store.check_server().await.expect("check"), vec![]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn persistence_is_reported() {
    let server = RedisServer::start();
    let store = store_for(&server).await;
    server.cli(&["config", "set", "save", "3600 1 300 100"]);
    let warnings = store.check_server().await.expect("check");
    assert!(
        matches!(
            warnings.as_slice(),
            [ServerWarning::RdbSnapshots { save, .. }] if save == "3600 1 300 100"
        ),
        "{warnings:?}"
    );
    server.cli(&["config", "set", "save", ""]);
    server.cli(&["config", "set", "appendonly", "yes"]);
    let warnings = store.check_server().await.expect("check");
    assert!(
        matches!(warnings.as_slice(), [ServerWarning::AppendOnly { .. }]),
        "{warnings:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_denied_config_command_is_unchecked_not_an_error() {
    let server = RedisServer::start_with(&["--rename-command", "CONFIG", ""]);
    let warnings = store_for(&server)
        .await
        .check_server()
        .await
        .expect("check");
    assert!(
        matches!(
            warnings.as_slice(),
            [ServerWarning::Unchecked {
                what: "RDB snapshots",
                ..
            }]
        ),
        "{warnings:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_is_checked_node_by_node() {
    let cluster = common::shared_cluster();
    let store = common::cluster_store(&cluster).await;
    assert_eq!(store.check_server().await.expect("check"), vec![]);
    let node = &cluster.nodes()[2];
    node.cli(&["config", "set", "maxmemory-policy", "allkeys-lru"]);
    let warnings = store.check_server().await.expect("check");
    node.cli(&["config", "set", "maxmemory-policy", "noeviction"]);
    match warnings.as_slice() {
        [ServerWarning::EvictionPolicy { node: addr, policy }] => {
            assert_eq!(policy, "allkeys-lru");
            assert!(
                addr.ends_with(&format!(":{}", node.port())),
                "warning names {addr}, expected port {}",
                node.port()
            );
        }
        other => panic!("expected one eviction warning, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scripts_that_cannot_call_time_are_reported() {
    // Denied to the store's user by an ACL: the probe script fails.
    let server = RedisServer::start();
    let store = store_for(&server).await;
    server.cli(&["acl", "setuser", "default", "-time"]);
    let warnings = store.check_server().await.expect("check");
    assert!(
        matches!(
            warnings.as_slice(),
            [ServerWarning::ScriptsRefused { reason, .. }] if reason.contains("can't run this command")
        ),
        "{warnings:?}"
    );
    assert!(
        warnings[0].to_string().contains("guarded"),
        "{}",
        warnings[0]
    );
    server.cli(&["acl", "setuser", "default", "+time"]);
    assert_eq!(store.check_server().await.expect("check"), vec![]);

    // Scripting renamed away.
    let server = RedisServer::start_with(&["--rename-command", "EVAL", ""]);
    let warnings = store_for(&server)
        .await
        .check_server()
        .await
        .expect("check");
    assert!(
        matches!(warnings.as_slice(), [ServerWarning::ScriptsRefused { .. }]),
        "{warnings:?}"
    );
}
