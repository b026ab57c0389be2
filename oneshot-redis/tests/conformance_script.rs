//! The backend conformance suite on one real server, taking every secret by
//! Lua script (the path for servers older than 6.2).

mod common;

use oneshot_redis::TakeMode;

oneshot_core::conformance_suite! {
    test: #[tokio::test(flavor = "multi_thread", worker_threads = 2)],
    expiry_test: #[tokio::test(flavor = "multi_thread", worker_threads = 2)],
    store: async {
        let (server, store) = common::single(TakeMode::Script).await;
        assert_eq!(store.take_mode(), TakeMode::Script);
        (server, store)
    },
    sleep: tokio::time::sleep,
}
