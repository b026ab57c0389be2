//! The schema and its migrations.
//!
//! One table, `oneshot_secrets`, one row per occupied id, with the same
//! columns and meaning as the PostgreSQL store's (see `oneshot-postgres`'
//! `schema`), times as INTEGER microseconds since the Unix epoch:
//!
//! | column | type | meaning |
//! |---|---|---|
//! | `id` | BLOB primary key | the 16-byte secret id |
//! | `envelope` | BLOB | the envelope while live; NULL once taken, burned, destroyed or purged after expiry |
//! | `expires_at` | INTEGER | end of the lifetime (µs) |
//! | `keep_until` | INTEGER | the id is occupied until then: the expiry, plus a receipt's retention, and at least the longest lifetime after a take, burn or destruction |
//! | `pass_verifier` | BLOB | passphrase verifier, NULL without one (cleared when the secret ends) |
//! | `attempts_left` | INTEGER | wrong proofs still allowed |
//! | `receipt_verifier` | BLOB | receipt verifier, NULL without a receipt |
//! | `failed_attempts` | INTEGER | wrong proofs so far |
//! | `ended` | INTEGER | NULL pending or expired; 1 read, 2 burned by the sender, 3 destroyed by wrong proofs |
//! | `ended_at` | INTEGER | when it ended (µs) |
//!
//! Indexes: `oneshot_secrets_kept` on `keep_until` and the partial
//! `oneshot_secrets_expiring` on `expires_at` for rows with an envelope, which
//! the purger deletes and frees by. The schema version is `PRAGMA
//! user_version`; the store applies missing migrations when it opens the
//! file, in one `BEGIN IMMEDIATE` transaction (so two processes opening
//! together do not race).

use rusqlite::Connection;

/// The schema version this crate's statements need.
pub const SCHEMA_VERSION: i32 = 1;

/// Every migration in order: (version, SQL).
pub const MIGRATIONS: &[(i32, &str)] = &[(
    1,
    "\
CREATE TABLE oneshot_secrets (
    id               BLOB    NOT NULL PRIMARY KEY,
    envelope         BLOB,
    expires_at       INTEGER NOT NULL,
    keep_until       INTEGER NOT NULL,
    pass_verifier    BLOB,
    attempts_left    INTEGER,
    receipt_verifier BLOB,
    failed_attempts  INTEGER NOT NULL DEFAULT 0,
    ended            INTEGER,
    ended_at         INTEGER
);
CREATE INDEX oneshot_secrets_kept ON oneshot_secrets (keep_until);
CREATE INDEX oneshot_secrets_expiring ON oneshot_secrets (expires_at)
    WHERE envelope IS NOT NULL;",
)];

/// Why the schema could not be made current.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SchemaError {
    #[error("{0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error(
        "the database's oneshot schema is at version {found}, newer than this store's {supported}"
    )]
    TooNew { found: i32, supported: i32 },
}

/// Applies the missing migrations; returns the version before.
pub(crate) fn migrate(conn: &mut Connection) -> Result<i32, SchemaError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let before: i32 = tx.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if before > SCHEMA_VERSION {
        return Err(SchemaError::TooNew {
            found: before,
            supported: SCHEMA_VERSION,
        });
    }
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > before) {
        tx.execute_batch(sql)?;
        // PRAGMA takes no parameters; the version is one of our constants.
        tx.execute_batch(&format!("PRAGMA user_version = {version}"))?;
    }
    tx.commit()?;
    Ok(before)
}
