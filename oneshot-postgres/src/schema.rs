//! The schema and its migrations.
//!
//! One table, `oneshot_secrets`, one row per occupied id:
//!
//! | column | type | meaning |
//! |---|---|---|
//! | `id` | `bytea` primary key | the 16-byte secret id |
//! | `envelope` | `bytea` | the envelope while the secret is live; NULL once taken, burned, destroyed or expired (purged) |
//! | `expires_at` | `timestamptz` | end of the secret's lifetime |
//! | `keep_until` | `timestamptz` | the row, and so the id, is kept (occupied) until then: the expiry for a plain secret, plus the retention with a receipt, and at least the store's longest lifetime after a take, burn or destruction |
//! | `pass_verifier` | `bytea` | the passphrase verifier (NULL: no passphrase; cleared when the secret ends) |
//! | `attempts_left` | `integer` | wrong passphrase proofs still allowed |
//! | `receipt_verifier` | `bytea` | the receipt verifier (NULL: no receipt) |
//! | `failed_attempts` | `integer` | wrong proofs so far, for the receipt |
//! | `ended` | `smallint` | NULL while pending or expired unread; 1 read, 2 burned by the sender, 3 destroyed by wrong proofs |
//! | `ended_at` | `timestamptz` | when it ended |
//!
//! Fixed-width columns come first so that rows pack without padding.
//! Indexes: the primary key; `oneshot_secrets_kept` on `keep_until`, which
//! the purger deletes by; and `oneshot_secrets_expiring` on `expires_at`
//! for rows that still hold an envelope, which the purger frees envelopes
//! by. Neither purge statement scans the table.
//!
//! `oneshot_schema` records the applied versions. The store applies what is
//! missing when it connects (under an advisory lock, in one transaction, so
//! instances starting together do not race), unless
//! [`PgConfig::run_migrations`](crate::PgConfig::run_migrations) is off; then
//! run [`MIGRATIONS`] with your own tooling and the store only checks the
//! version. The table lives in the first schema of the connection's
//! `search_path`.

use tokio_postgres::Client;

use crate::error::ConnectError;

/// The schema version this crate's statements need.
pub const SCHEMA_VERSION: i32 = 1;

/// Every migration in order: (version, SQL). Apply each one whose version
/// is above the highest in `oneshot_schema`, and record it there.
pub const MIGRATIONS: &[(i32, &str)] = &[(
    1,
    "\
CREATE TABLE oneshot_secrets (
    expires_at       timestamptz NOT NULL,
    keep_until       timestamptz NOT NULL,
    ended_at         timestamptz,
    attempts_left    integer,
    failed_attempts  integer     NOT NULL DEFAULT 0,
    ended            smallint,
    id               bytea       NOT NULL PRIMARY KEY,
    envelope         bytea,
    pass_verifier    bytea,
    receipt_verifier bytea
);
CREATE INDEX oneshot_secrets_kept ON oneshot_secrets (keep_until);
CREATE INDEX oneshot_secrets_expiring ON oneshot_secrets (expires_at)
    WHERE envelope IS NOT NULL;",
)];

/// Creates the version table if needed; what every migration run starts with.
const VERSION_TABLE: &str = "\
CREATE TABLE IF NOT EXISTS oneshot_schema (
    version    integer     NOT NULL PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
)";

/// An arbitrary constant naming oneshot's migration lock ("oneshot" in ASCII).
const LOCK_KEY: i64 = 0x006f_6e65_7368_6f74;

/// The highest applied version, 0 for an empty database.
pub(crate) async fn version(client: &Client) -> Result<i32, tokio_postgres::Error> {
    let exists: bool = client
        .query_one("SELECT to_regclass('oneshot_schema') IS NOT NULL", &[])
        .await?
        .try_get(0)?;
    if !exists {
        return Ok(0);
    }
    client
        .query_one("SELECT coalesce(max(version), 0) FROM oneshot_schema", &[])
        .await?
        .try_get(0)
}

/// Applies the missing migrations in one transaction under the advisory
/// lock; returns the version before.
pub(crate) async fn migrate(client: &mut Client) -> Result<i32, ConnectError> {
    let failed = ConnectError::Migration;
    let tx = client.transaction().await.map_err(failed)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_KEY])
        .await
        .map_err(failed)?;
    tx.batch_execute(VERSION_TABLE).await.map_err(failed)?;
    let before: i32 = tx
        .query_one("SELECT coalesce(max(version), 0) FROM oneshot_schema", &[])
        .await
        .and_then(|row| row.try_get(0))
        .map_err(failed)?;
    if before > SCHEMA_VERSION {
        return Err(ConnectError::SchemaTooNew {
            found: before,
            supported: SCHEMA_VERSION,
        });
    }
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > before) {
        tx.batch_execute(sql).await.map_err(failed)?;
        tx.execute(
            "INSERT INTO oneshot_schema (version) VALUES ($1)",
            &[version],
        )
        .await
        .map_err(failed)?;
    }
    tx.commit().await.map_err(failed)?;
    Ok(before)
}
