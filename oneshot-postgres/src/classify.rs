//! What a failed statement means for the caller: the mapping documented in
//! the crate docs' "Failure handling".

use oneshot_core::StoreError;
use tokio_postgres::error::{DbError, SqlState};

use crate::error::PgError;
use crate::pool::NoConnection;

/// What the store does with a failure.
pub(crate) enum Failure {
    /// The server rolled the statement back because of a conflict with
    /// another transaction (serialization failure, deadlock): nothing
    /// happened, and sending it again is safe.
    Retry(StoreError),
    /// Report it.
    Final(StoreError),
}

/// No connection could be had: nothing was sent.
pub(crate) fn no_connection(e: NoConnection) -> StoreError {
    StoreError::unavailable(e)
}

/// The statement's reply did not come within the response timeout: it may
/// run, or have run, on the server.
#[derive(Debug, thiserror::Error)]
#[error("no reply from PostgreSQL within {0:?}; the statement may have run")]
pub(crate) struct ResponseTimeout(pub(crate) std::time::Duration);

/// Classifies the error of a statement that was handed to a live connection.
pub(crate) fn statement_failed(e: tokio_postgres::Error) -> Failure {
    let fatal = e.as_db_error().map(is_fatal);
    let code = e.code().cloned();
    let closed = e.is_closed();
    let e = PgError(e);
    let (Some(fatal), Some(code)) = (fatal, code) else {
        return Failure::Final(if closed {
            // The connection closed with the request queued or sent: the
            // driver cannot say which (client.rs `send`, connection.rs
            // `poll_read` both end in `Error::closed`).
            StoreError::indeterminate(e)
        } else {
            // Encoding, decoding, protocol: the statement may have run.
            StoreError::backend(e)
        });
    };
    if fatal {
        // The session ends with this message. The implicit transaction
        // commits at Sync, after the statement's CommandComplete, so a
        // FATAL can come after a commit that happened.
        return Failure::Final(StoreError::indeterminate(e));
    }
    // Severity ERROR: the statement failed and its implicit transaction was
    // rolled back; the session goes on. Nothing happened.
    if code == SqlState::T_R_SERIALIZATION_FAILURE || code == SqlState::T_R_DEADLOCK_DETECTED {
        return Failure::Retry(StoreError::unavailable(e));
    }
    if code == SqlState::DISK_FULL {
        return Failure::Final(StoreError::CapacityExceeded);
    }
    let class = code.code().get(..2).unwrap_or("");
    let refused = matches!(class, "08" | "53" | "57")
        || code == SqlState::READ_ONLY_SQL_TRANSACTION
        || code == SqlState::QUERY_CANCELED;
    Failure::Final(if refused {
        StoreError::unavailable(e)
    } else {
        StoreError::backend(e)
    })
}

fn is_fatal(db: &DbError) -> bool {
    matches!(db.severity(), "FATAL" | "PANIC")
}
