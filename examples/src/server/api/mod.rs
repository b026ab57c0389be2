//! The JSON API: the routes of each version, and what they share.
//!
//! Every failure is a JSON [`ErrorBody`](crate::wire::ErrorBody) (with
//! `"retry"` on a `503`); no framework rejection text reaches the client, and
//! no error message repeats what the client sent.
//!
//! `errors` holds [`ApiError`] and what store failures mean for a client,
//! `body` reads request bodies and their fields, `gate` checks the create
//! token, and `v1` has the handlers of `/api/v1` (a `v2` would sit beside it
//! and add its routes in [`routes`]).

mod body;
mod errors;
mod gate;
mod v1;

use axum::Router;

pub(crate) use errors::{ApiError, busy, method_not_allowed, not_found};

use super::App;

/// Every API route, of every version.
pub(crate) fn routes() -> Router<App> {
    v1::routes()
}
