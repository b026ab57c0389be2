//! The SQL of every operation, one statement each, as the store prepares it
//! on every connection. Public so that tools (pgbench, `EXPLAIN`) can run
//! exactly what the store runs; see the crate docs for why each is one step.
//!
//! Times come from the server's clock (`now()`, the start of the statement's
//! implicit transaction); durations are bound as microseconds (`int8`).

/// Create only: inserts, or replaces a *free* row (an id whose secret
/// expired unread and whose receipt, if any, is no longer kept), and changes
/// nothing when the id is occupied: 1 row affected means stored, 0 means
/// `AlreadyExists`. Parameters: id, envelope, TTL µs, receipt retention µs,
/// passphrase verifier (or NULL), attempts (or NULL), receipt verifier (or NULL).
pub const PUT: &str = "\
INSERT INTO oneshot_secrets AS s
    (id, envelope, expires_at, keep_until, pass_verifier, attempts_left, receipt_verifier)
VALUES ($1, $2, now() + $3 * interval '1 microsecond',
        now() + ($3 + $4) * interval '1 microsecond', $5, $6, $7)
ON CONFLICT (id) DO UPDATE SET
    envelope = excluded.envelope, expires_at = excluded.expires_at,
    keep_until = excluded.keep_until, pass_verifier = excluded.pass_verifier,
    attempts_left = excluded.attempts_left, receipt_verifier = excluded.receipt_verifier,
    failed_attempts = 0, ended = NULL, ended_at = NULL
WHERE s.keep_until <= now()";

/// Take, guarded or not, in one statement. `cur` locks the live row
/// (`FOR UPDATE`; a concurrent taker waits, then re-checks the row as the
/// winner left it and finds nothing) and decides: verdict 1 takes (no
/// passphrase, or the proof's verifier matches), 0 asks for a proof (guarded
/// and none given: nothing changes), 2 counts a wrong proof and destroys the
/// secret at the limit. `done` applies it; a taken or destroyed id is kept,
/// spent, for the store's longest lifetime. An `UPDATE … RETURNING` returns
/// the new row, so the envelope comes from `cur`, the row as it was.
/// Parameters: id, proof verifier (or NULL), spent period µs. No row: nothing to take.
pub const TAKE: &str = "\
WITH cur AS (
    SELECT id, envelope,
           CASE WHEN pass_verifier IS NULL OR pass_verifier = $2 THEN 1
                WHEN $2 IS NULL THEN 0
                ELSE 2 END AS verdict
    FROM oneshot_secrets
    WHERE id = $1 AND envelope IS NOT NULL AND expires_at > now()
    FOR UPDATE
), done AS (
    UPDATE oneshot_secrets s SET
        envelope = CASE WHEN cur.verdict = 2 AND s.attempts_left > 1 THEN s.envelope END,
        pass_verifier = CASE WHEN cur.verdict = 2 AND s.attempts_left > 1 THEN s.pass_verifier END,
        attempts_left = CASE WHEN cur.verdict = 2 THEN s.attempts_left - 1 ELSE s.attempts_left END,
        failed_attempts = s.failed_attempts + CASE WHEN cur.verdict = 2 THEN 1 ELSE 0 END,
        ended = CASE WHEN cur.verdict = 1 THEN 1 WHEN s.attempts_left <= 1 THEN 3 END,
        ended_at = CASE WHEN cur.verdict = 1 OR s.attempts_left <= 1 THEN now() END,
        keep_until = CASE WHEN cur.verdict = 1 OR s.attempts_left <= 1
                          THEN greatest(s.keep_until, now() + $3 * interval '1 microsecond')
                          ELSE s.keep_until END
    FROM cur
    WHERE s.id = cur.id AND cur.verdict <> 0
    RETURNING s.attempts_left
)
SELECT cur.verdict, CASE WHEN cur.verdict = 1 THEN cur.envelope END, done.attempts_left
FROM cur LEFT JOIN done ON true";

/// A receipt: only for a matching verifier and while the row is kept.
/// Parameters: id, receipt verifier. Columns: ended (NULL, 1 read, 2 burned
/// by the sender, 3 destroyed by attempts), ended_at µs, expires_at µs,
/// failed attempts, still live.
pub const RECEIPT: &str = "\
SELECT ended, (extract(epoch FROM ended_at) * 1000000)::int8,
       (extract(epoch FROM expires_at) * 1000000)::int8, failed_attempts, expires_at > now()
FROM oneshot_secrets
WHERE id = $1 AND receipt_verifier = $2 AND keep_until > now()";

/// Burn: locks the row if the claim matches, destroys it if still pending,
/// and returns the receipt as it is after the statement. Parameters: id,
/// receipt verifier, spent period µs. Columns as [`RECEIPT`]'s first four,
/// then whether this statement burned it. No row: unknown id or wrong claim.
pub const BURN: &str = "\
WITH cur AS (
    SELECT id, ended, ended_at, expires_at, failed_attempts,
           ended IS NULL AND expires_at > now() AS pending
    FROM oneshot_secrets
    WHERE id = $1 AND receipt_verifier = $2 AND keep_until > now()
    FOR UPDATE
), done AS (
    UPDATE oneshot_secrets s SET
        envelope = NULL, pass_verifier = NULL, ended = 2, ended_at = now(),
        keep_until = greatest(s.keep_until, now() + $3 * interval '1 microsecond')
    FROM cur
    WHERE s.id = cur.id AND cur.pending
    RETURNING s.ended, s.ended_at
)
SELECT coalesce(done.ended, cur.ended),
       (extract(epoch FROM coalesce(done.ended_at, cur.ended_at)) * 1000000)::int8,
       (extract(epoch FROM cur.expires_at) * 1000000)::int8, cur.failed_attempts,
       done.ended IS NOT NULL
FROM cur LEFT JOIN done ON true";

/// Purge, part 1: deletes up to `$1` rows past their keep time (expired
/// plain secrets, spent ids past the spent period, receipts past their
/// retention), oldest first, through the `keep_until` index. Rows another
/// statement holds are skipped, so purgers of several instances do not wait
/// on each other or on takers.
pub const PURGE_ROWS: &str = "\
DELETE FROM oneshot_secrets
WHERE id = ANY (ARRAY(
    SELECT id FROM oneshot_secrets
    WHERE keep_until <= now()
    ORDER BY keep_until LIMIT $1
    FOR UPDATE SKIP LOCKED))";

/// Purge, part 2: frees up to `$1` envelopes that expired while their row
/// is kept for a receipt, through the partial index on `expires_at`.
pub const PURGE_ENVELOPES: &str = "\
UPDATE oneshot_secrets SET envelope = NULL, pass_verifier = NULL
WHERE id = ANY (ARRAY(
    SELECT id FROM oneshot_secrets
    WHERE envelope IS NOT NULL AND expires_at <= now()
    ORDER BY expires_at LIMIT $1
    FOR UPDATE SKIP LOCKED))";
