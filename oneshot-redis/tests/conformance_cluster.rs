//! The backend conformance suite on a real 3-master Redis Cluster.

mod common;

use oneshot_redis::TakeMode;

oneshot_core::conformance_suite! {
    test: #[tokio::test(flavor = "multi_thread", worker_threads = 2)],
    expiry_test: #[tokio::test(flavor = "multi_thread", worker_threads = 2)],
    store: async {
        let cluster = common::shared_cluster();
        let store = common::cluster_store(&cluster).await;
        // Auto resolves to the native command on the Redis the harness runs (>= 6.2).
        assert_eq!(store.take_mode(), TakeMode::Command);
        (cluster, store)
    },
    sleep: tokio::time::sleep,
}
