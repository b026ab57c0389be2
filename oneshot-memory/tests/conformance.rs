//! The backend conformance suite on `MemoryStore`: races on a multi-threaded
//! runtime, expiry on tokio's paused clock.

use oneshot_memory::MemoryStore;

oneshot_core::conformance_suite! {
    test: #[tokio::test(flavor = "multi_thread", worker_threads = 4)],
    expiry_test: #[tokio::test(start_paused = true)],
    store: async { ((), MemoryStore::new()) },
    sleep: tokio::time::sleep,
}
