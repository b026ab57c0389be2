//! The backend conformance suite on a real PostgreSQL, run twice: on the
//! store itself, and through `Arc<dyn SecretStore>` with one connection, so
//! that every race is also pipelined on a single session.

mod common;

oneshot_core::conformance_suite! {
    test: #[tokio::test(flavor = "multi_thread", worker_threads = 2)],
    expiry_test: #[tokio::test(flavor = "multi_thread", worker_threads = 2)],
    store: common::suite_store(),
    sleep: tokio::time::sleep,
}

mod one_connection {
    use std::sync::Arc;

    use oneshot_core::SecretStore;
    use oneshot_pg_harness::PgServer;

    async fn store() -> (Arc<PgServer>, Arc<dyn SecretStore>) {
        let server = super::common::shared_server();
        let store = super::common::suite_config(&server)
            .connections(1)
            .connect()
            .await
            .expect("connect");
        (server, Arc::new(store))
    }

    oneshot_core::conformance_suite! {
        test: #[tokio::test(flavor = "multi_thread", worker_threads = 2)],
        expiry_test: #[tokio::test(flavor = "multi_thread", worker_threads = 2)],
        store: store(),
        sleep: tokio::time::sleep,
    }
}
