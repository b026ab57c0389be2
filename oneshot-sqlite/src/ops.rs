//! Every operation of the store contract on one connection, inside the
//! write transaction the worker holds: read the row, decide, write it back.
//! The write lock is taken before the read (`BEGIN IMMEDIATE`), so nothing
//! else reads or writes the database in between: each operation is one
//! atomic step. (SQLite's `UPDATE … RETURNING` returns the new row, so it
//! could not return the envelope it clears.)

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use oneshot_core::store::{BurnOutcome, BurnReason, Guards, Receipt, ReceiptState, TakeOutcome};
use oneshot_core::{PassphraseVerifier, ReceiptVerifier, SecretId};
use rusqlite::{Connection, OptionalExtension, params};

/// One call, with everything it needs (copied: the caller may give up).
pub(crate) enum Op {
    Put {
        id: SecretId,
        envelope: Vec<u8>,
        ttl_us: i64,
        retention_us: i64,
        guards: Guards,
    },
    Take {
        id: SecretId,
        proof: Option<PassphraseVerifier>,
    },
    Receipt {
        id: SecretId,
        claim: ReceiptVerifier,
    },
    Burn {
        id: SecretId,
        claim: ReceiptVerifier,
    },
}

/// What an operation answered.
pub(crate) enum Reply {
    Put { stored: bool },
    Take(TakeOutcome),
    Receipt(Option<Receipt>),
    Burn(Option<BurnOutcome>),
}

/// Microseconds since the Unix epoch, now.
pub(crate) fn now_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

fn system_time(us: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_micros(u64::try_from(us).unwrap_or(0))
}

const READ: i64 = 1;
const BURNED: i64 = 2;
const DESTROYED: i64 = 3;

pub(crate) fn run(conn: &Connection, op: &Op, now: i64, spent_us: i64) -> rusqlite::Result<Reply> {
    match op {
        Op::Put {
            id,
            envelope,
            ttl_us,
            retention_us,
            guards,
        } => put(conn, id, envelope, now, *ttl_us, *retention_us, guards),
        Op::Take { id, proof } => take(conn, id, proof.as_ref(), now, spent_us).map(Reply::Take),
        Op::Receipt { id, claim } => receipt(conn, id, claim, now).map(Reply::Receipt),
        Op::Burn { id, claim } => burn(conn, id, claim, now, spent_us).map(Reply::Burn),
    }
}

#[allow(clippy::too_many_arguments)]
fn put(
    conn: &Connection,
    id: &SecretId,
    envelope: &[u8],
    now: i64,
    ttl_us: i64,
    retention_us: i64,
    guards: &Guards,
) -> rusqlite::Result<Reply> {
    let pass = guards.passphrase();
    let changed = conn
        .prepare_cached(
            "INSERT INTO oneshot_secrets
                 (id, envelope, expires_at, keep_until, pass_verifier, attempts_left, receipt_verifier)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (id) DO UPDATE SET
                 envelope = excluded.envelope, expires_at = excluded.expires_at,
                 keep_until = excluded.keep_until, pass_verifier = excluded.pass_verifier,
                 attempts_left = excluded.attempts_left,
                 receipt_verifier = excluded.receipt_verifier,
                 failed_attempts = 0, ended = NULL, ended_at = NULL
             WHERE oneshot_secrets.keep_until <= ?8",
        )?
        .execute(params![
            id.as_bytes().as_slice(),
            envelope,
            now.saturating_add(ttl_us),
            now.saturating_add(ttl_us).saturating_add(retention_us),
            pass.map(|g| g.verifier.as_bytes().as_slice()),
            pass.map(|g| i64::from(g.attempts.get())),
            guards.receipt().map(|r| r.verifier.as_bytes().as_slice()),
            now,
        ])?;
    Ok(Reply::Put {
        stored: changed == 1,
    })
}

fn verifier_bytes(blob: Option<Vec<u8>>) -> Option<[u8; 32]> {
    blob.and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
}

fn take(
    conn: &Connection,
    id: &SecretId,
    proof: Option<&PassphraseVerifier>,
    now: i64,
    spent_us: i64,
) -> rusqlite::Result<TakeOutcome> {
    let id = id.as_bytes().as_slice();
    let row = conn
        .prepare_cached(
            "SELECT envelope, pass_verifier, attempts_left FROM oneshot_secrets
             WHERE id = ?1 AND envelope IS NOT NULL AND expires_at > ?2",
        )?
        .query_row(params![id, now], |row| {
            Ok((
                row.get::<_, Vec<u8>>(0)?,
                row.get::<_, Option<Vec<u8>>>(1)?,
                row.get::<_, Option<i64>>(2)?,
            ))
        })
        .optional()?;
    let Some((envelope, stored, attempts_left)) = row else {
        return Ok(TakeOutcome::NotFound);
    };
    let spent_until = now.saturating_add(spent_us);
    if let Some(stored) = verifier_bytes(stored) {
        let Some(proof) = proof else {
            return Ok(TakeOutcome::PassphraseRequired);
        };
        // Constant-time comparison (PassphraseVerifier's Eq).
        if *proof != PassphraseVerifier::from_bytes(stored) {
            let left = attempts_left.unwrap_or(1).saturating_sub(1).max(0);
            if left == 0 {
                conn.prepare_cached(
                    "UPDATE oneshot_secrets SET envelope = NULL, pass_verifier = NULL,
                         attempts_left = 0, failed_attempts = failed_attempts + 1,
                         ended = ?2, ended_at = ?3, keep_until = max(keep_until, ?4)
                     WHERE id = ?1",
                )?
                .execute(params![id, DESTROYED, now, spent_until])?;
            } else {
                conn.prepare_cached(
                    "UPDATE oneshot_secrets SET attempts_left = ?2,
                         failed_attempts = failed_attempts + 1
                     WHERE id = ?1",
                )?
                .execute(params![id, left])?;
            }
            return Ok(TakeOutcome::WrongPassphrase {
                attempts_left: u32::try_from(left).unwrap_or(0),
            });
        }
    }
    conn.prepare_cached(
        "UPDATE oneshot_secrets SET envelope = NULL, pass_verifier = NULL,
             ended = ?2, ended_at = ?3, keep_until = max(keep_until, ?4)
         WHERE id = ?1",
    )?
    .execute(params![id, READ, now, spent_until])?;
    Ok(TakeOutcome::Taken(envelope))
}

struct Story {
    ended: Option<i64>,
    ended_at: Option<i64>,
    expires_at: i64,
    failed: i64,
}

impl Story {
    fn receipt(&self, now: i64) -> Receipt {
        let at = system_time(self.ended_at.unwrap_or(0));
        let state = match self.ended {
            Some(READ) => ReceiptState::Read { at },
            Some(BURNED) => ReceiptState::Burned {
                at,
                reason: BurnReason::Sender,
            },
            Some(_) => ReceiptState::Burned {
                at,
                reason: BurnReason::PassphraseAttempts,
            },
            None if self.expires_at > now => ReceiptState::Pending,
            None => ReceiptState::Expired,
        };
        Receipt::new(
            state,
            system_time(self.expires_at),
            u32::try_from(self.failed).unwrap_or(0),
        )
    }
}

fn story(
    conn: &Connection,
    id: &SecretId,
    claim: &ReceiptVerifier,
    now: i64,
) -> rusqlite::Result<Option<Story>> {
    let row = conn
        .prepare_cached(
            "SELECT ended, ended_at, expires_at, failed_attempts, receipt_verifier
             FROM oneshot_secrets
             WHERE id = ?1 AND receipt_verifier IS NOT NULL AND keep_until > ?2",
        )?
        .query_row(params![id.as_bytes().as_slice(), now], |row| {
            Ok((
                Story {
                    ended: row.get(0)?,
                    ended_at: row.get(1)?,
                    expires_at: row.get(2)?,
                    failed: row.get(3)?,
                },
                row.get::<_, Vec<u8>>(4)?,
            ))
        })
        .optional()?;
    // Compared here, in constant time, rather than in the WHERE clause.
    Ok(row.and_then(|(story, stored)| {
        let stored = verifier_bytes(Some(stored))?;
        (ReceiptVerifier::from_bytes(stored) == *claim).then_some(story)
    }))
}

fn receipt(
    conn: &Connection,
    id: &SecretId,
    claim: &ReceiptVerifier,
    now: i64,
) -> rusqlite::Result<Option<Receipt>> {
    Ok(story(conn, id, claim, now)?.map(|story| story.receipt(now)))
}

fn burn(
    conn: &Connection,
    id: &SecretId,
    claim: &ReceiptVerifier,
    now: i64,
    spent_us: i64,
) -> rusqlite::Result<Option<BurnOutcome>> {
    let Some(mut story) = story(conn, id, claim, now)? else {
        return Ok(None);
    };
    let receipt = story.receipt(now);
    if receipt.state != ReceiptState::Pending {
        return Ok(Some(BurnOutcome::Refused(receipt)));
    }
    conn.prepare_cached(
        "UPDATE oneshot_secrets SET envelope = NULL, pass_verifier = NULL,
             ended = ?2, ended_at = ?3, keep_until = max(keep_until, ?4)
         WHERE id = ?1",
    )?
    .execute(params![
        id.as_bytes().as_slice(),
        BURNED,
        now,
        now.saturating_add(spent_us)
    ])?;
    story.ended = Some(BURNED);
    story.ended_at = Some(now);
    Ok(Some(BurnOutcome::Burned(story.receipt(now))))
}

/// Deletes up to `batch` rows past their keep time, oldest first, through
/// the `keep_until` index.
pub(crate) fn purge_rows(conn: &Connection, now: i64, batch: i64) -> rusqlite::Result<usize> {
    conn.prepare_cached(
        "DELETE FROM oneshot_secrets WHERE rowid IN (
             SELECT rowid FROM oneshot_secrets WHERE keep_until <= ?1
             ORDER BY keep_until LIMIT ?2)",
    )?
    .execute(params![now, batch])
}

/// Frees up to `batch` envelopes that expired while a receipt is kept,
/// through the partial `expires_at` index.
pub(crate) fn purge_envelopes(conn: &Connection, now: i64, batch: i64) -> rusqlite::Result<usize> {
    conn.prepare_cached(
        "UPDATE oneshot_secrets SET envelope = NULL, pass_verifier = NULL WHERE rowid IN (
             SELECT rowid FROM oneshot_secrets WHERE envelope IS NOT NULL AND expires_at <= ?1
             ORDER BY expires_at LIMIT ?2)",
    )?
    .execute(params![now, batch])
}
