//! The backend conformance suite on `MemoryStore`: races on a multi-threaded
//! runtime, expiry on tokio's paused clock. Run twice: on the store itself,
//! and through `Arc<dyn SecretStore>`, the form applications hold a store in,
//! which checks the forwarding impls against the whole contract.

use oneshot_memory::MemoryStore;

oneshot_core::conformance_suite! {
    test: #[tokio::test(flavor = "multi_thread", worker_threads = 4)],
    expiry_test: #[tokio::test(start_paused = true)],
    store: async { ((), MemoryStore::new()) },
    sleep: tokio::time::sleep,
}

mod through_arc_dyn {
    use std::sync::Arc;

    use oneshot_core::SecretStore;
    use oneshot_memory::MemoryStore;

    fn shared() -> Arc<dyn SecretStore> {
        Arc::new(MemoryStore::new())
    }

    oneshot_core::conformance_suite! {
        test: #[tokio::test(flavor = "multi_thread", worker_threads = 4)],
        expiry_test: #[tokio::test(start_paused = true)],
        store: async { ((), shared()) },
        sleep: tokio::time::sleep,
    }
}
