//! The backend conformance suite on SQLite: a database file per case (in a
//! temporary directory) and a private in-memory database per case.

mod file {
    use oneshot_sqlite::SqliteStore;

    async fn store() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().expect("temporary directory");
        let store = SqliteStore::open(dir.path().join("secrets.db"))
            .await
            .expect("open the database file");
        (dir, store)
    }

    oneshot_core::conformance_suite! {
        test: #[tokio::test(flavor = "multi_thread", worker_threads = 2)],
        expiry_test: #[tokio::test(flavor = "multi_thread", worker_threads = 2)],
        store: store(),
        sleep: tokio::time::sleep,
    }
}

mod memory {
    use oneshot_sqlite::SqliteStore;

    async fn store() -> ((), SqliteStore) {
        ((), SqliteStore::in_memory().await.expect("open in memory"))
    }

    oneshot_core::conformance_suite! {
        test: #[tokio::test(flavor = "multi_thread", worker_threads = 2)],
        expiry_test: #[tokio::test(flavor = "multi_thread", worker_threads = 2)],
        store: store(),
        sleep: tokio::time::sleep,
    }
}
