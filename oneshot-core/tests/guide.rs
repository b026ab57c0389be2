//! The backend guide's example store (`tests/guide/map_store.rs`, shown in the
//! `store` module docs) passes the whole conformance suite.
#![cfg(feature = "testkit")]

include!("guide/map_store.rs");

// The whole suite, one `#[tokio::test]` per case. The timed cases run on a
// paused clock, which `tokio::time::Instant` in the store follows.
oneshot_core::conformance_suite! {
    test: #[tokio::test(flavor = "multi_thread", worker_threads = 4)],
    expiry_test: #[tokio::test(start_paused = true)],
    store: async { ((), MapStore::default()) },
    sleep: tokio::time::sleep,
}
