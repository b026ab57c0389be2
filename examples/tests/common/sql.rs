//! The server's SQL stores, opened the way `oneshot-server --postgres` and
//! `--sqlite` open them (`server::backend::open_store`, with `--strict`), on
//! a fresh PostgreSQL (pg-harness) or a fresh SQLite file. Its includers also
//! include `server.rs` and `plain.rs`.

use std::time::Duration;

use oneshot_core::Policy;
use oneshot_examples::server::backend::{Backend, SqliteSync, open_store};

use super::server::TestServer;

/// A SQL backend of the server.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Sql {
    Postgres,
    Sqlite,
}

/// What keeps a backend alive: the PostgreSQL server or the SQLite file's
/// directory. Drop it after the server.
pub(crate) enum Held {
    Postgres(#[allow(dead_code)] oneshot_pg_harness::PgServer),
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
}

/// The default policy's longest lifetime, which the store is told.
const MAX_TTL: Duration = Duration::from_secs(72 * 3600);

/// The in-process server on a fresh store of kind `sql`, default policy.
pub(crate) async fn server_on(sql: Sql) -> (Held, TestServer) {
    let (held, backend) = match sql {
        Sql::Postgres => {
            let pg = tokio::task::spawn_blocking(oneshot_pg_harness::PgServer::start)
                .await
                .expect("start PostgreSQL");
            let url = pg.url();
            (Held::Postgres(pg), Backend::Postgres(url))
        }
        Sql::Sqlite => {
            let dir = tempfile::tempdir().expect("temporary directory");
            let path = dir.path().join("secrets.db");
            (
                Held::Sqlite(dir),
                Backend::Sqlite {
                    path,
                    synchronous: SqliteSync::Full,
                },
            )
        }
    };
    let opened = open_store(
        &backend,
        oneshot_memory::MemoryStore::builder(),
        MAX_TTL,
        true,
    )
    .await
    .unwrap_or_else(|e| panic!("open the {sql:?} store, strict: {e}"));
    let server = TestServer::with_store(opened.store, Policy::default()).await;
    (held, server)
}
