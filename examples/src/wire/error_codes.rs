//! The `error` codes the API answers with, in [`ErrorBody::error`](super::ErrorBody::error).

/// 415: the request's `Content-Type` is not `application/json`.
pub const UNSUPPORTED_MEDIA_TYPE: &str = "unsupported_media_type";
/// 400: the body is not JSON.
pub const INVALID_JSON: &str = "invalid_json";
/// 400: the JSON is not an object with the expected fields and types.
pub const INVALID_REQUEST: &str = "invalid_request";
/// 400: `id` is not 32 lowercase hex characters.
pub const INVALID_ID: &str = "invalid_id";
/// 400: `envelope` is not base64url, or not an envelope of the endpoint's
/// version (v1 on `/api/v1/secrets`, v2 on `/api/v2/secrets`).
pub const INVALID_ENVELOPE: &str = "invalid_envelope";
/// 400: `claim` is not 43 base64url characters.
pub const INVALID_CLAIM: &str = "invalid_claim";
/// 400: `ttl_secs` is not a whole number of seconds within the policy's bounds.
pub const INVALID_TTL: &str = "invalid_ttl";
/// 401, with `WWW-Authenticate: Bearer`: creating needs the server's
/// create token, and the request had none or another.
pub const UNAUTHORIZED: &str = "unauthorized";
/// 408: the request body did not arrive in time; the connection is closed.
pub const TIMEOUT: &str = "timeout";
/// 413: the request or the envelope is larger than the policy allows.
pub const TOO_LARGE: &str = "too_large";
/// 409 to a create: a secret with this id exists (or existed: a spent id
/// stays taken).
pub const ALREADY_EXISTS: &str = "already_exists";
/// 404: no such secret (never created, expired or already read), no such
/// receipt (or a wrong receipt claim: they look the same), or no such page.
pub const NOT_FOUND: &str = "not_found";
/// 405: the path exists but not for this method.
pub const METHOD_NOT_ALLOWED: &str = "method_not_allowed";
/// 503, `retry: true`: the store certainly did nothing; retrying is safe.
pub const UNAVAILABLE: &str = "unavailable";
/// 503, `retry: true`: the store is full; nothing was stored.
pub const STORE_FULL: &str = "store_full";
/// 503, `retry: true`, with `Retry-After`: too many requests at once; this
/// one was refused before anything happened.
pub const BUSY: &str = "busy";
/// 503, `retry: false`: the operation may have happened; a take must not be retried.
pub const INDETERMINATE: &str = "indeterminate";
/// 500: a bug; never the answer to bad input.
pub const INTERNAL: &str = "internal";
/// 400: `passphrase_verifier` is not 43 base64url characters.
pub const INVALID_PASSPHRASE_VERIFIER: &str = "invalid_passphrase_verifier";
/// 400: `receipt_verifier` is not 43 base64url characters.
pub const INVALID_RECEIPT_VERIFIER: &str = "invalid_receipt_verifier";
/// 400: `passphrase_proof` is not 43 base64url characters.
pub const INVALID_PASSPHRASE_PROOF: &str = "invalid_passphrase_proof";
/// 400: `receipt_claim` is not 43 base64url characters.
pub const INVALID_RECEIPT_CLAIM: &str = "invalid_receipt_claim";
/// 400: the secret has a passphrase and the take sent no `passphrase_proof`.
/// Nothing was counted and nothing changed.
pub const PASSPHRASE_REQUIRED: &str = "passphrase_required";
/// 403, with `attempts_left`: the passphrase proof was wrong. The secret is
/// still there unless `attempts_left` is 0: then it was just destroyed.
pub const WRONG_PASSPHRASE: &str = "wrong_passphrase";
/// 409 to a burn, with the receipt's fields: the secret was already read.
pub const ALREADY_READ: &str = "already_read";
/// 409 to a burn, with the receipt's fields: the secret was already burned
/// (by its sender, or by wrong passphrases).
pub const ALREADY_BURNED: &str = "already_burned";
/// 409 to a burn, with the receipt's fields: the secret expired unread.
pub const EXPIRED: &str = "expired";
/// 429, with `"retry": true` and `Retry-After`: this client created more
/// secrets than the server's rate allows; nothing was stored.
pub const RATE_LIMITED: &str = "rate_limited";
