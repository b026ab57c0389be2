//! The JSON API: the routes of each version, and what they share.
//!
//! Every failure is a JSON [`ErrorBody`](crate::wire::ErrorBody) (with
//! `"retry"` on a `503`); no framework rejection text reaches the client, and
//! no error message repeats what the client sent.
//!
//! - [`errors`]: [`ApiError`] and the store-failure mapping;
//! - [`body`]: reading a request body and its fields;
//! - [`gate`]: the create-token check;
//! - [`v1`]: the handlers of `/api/v1`.

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
