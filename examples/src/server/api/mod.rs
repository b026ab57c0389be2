//! The JSON API: the routes of each version, and what they share.
//!
//! Every failure is a JSON [`ErrorBody`](crate::wire::ErrorBody) (with
//! `"retry"` on a `503`); no framework rejection text reaches the client, and
//! no error message repeats what the client sent.
//!
//! `errors` holds [`ApiError`] and what store failures mean for a client,
//! `body` reads request bodies and their fields (`json` parses them), `gate` checks the create
//! token, `create` is what the create endpoints of both versions share, `v1`
//! has the handlers of `/api/v1`, `v2` those of `/api/v2/secrets` and
//! `receipts` those of `/api/v2/receipts`; `taken` writes a take's answer.

mod body;
mod create;
mod errors;
mod gate;
mod json;
mod receipts;
mod taken;
mod v1;
mod v2;

use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;

pub(crate) use errors::{ApiError, StoreOp, busy, method_not_allowed, not_found, rate_limited};

use super::App;

/// Every API route, of every version.
pub(crate) fn routes() -> Router<App> {
    v1::routes().merge(v2::routes())
}

/// Seconds since the Unix epoch, as the API writes times.
fn unix_secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}
