//! The backend conformance suite on one real server, taking plain secrets
//! with the native `SET … XX GET` (guarded ones by script).

mod common;

use oneshot_redis::TakeMode;

oneshot_core::conformance_suite! {
    test: #[tokio::test(flavor = "multi_thread", worker_threads = 2)],
    expiry_test: #[tokio::test(flavor = "multi_thread", worker_threads = 2)],
    store: async {
        let (server, store) = common::single(TakeMode::Command).await;
        assert_eq!(store.take_mode(), TakeMode::Command);
        (server, store)
    },
    sleep: tokio::time::sleep,
}
