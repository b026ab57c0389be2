//! The JSON that the server and its clients exchange: a typed struct for
//! every request and response body, and the error codes.
//!
//! The server ([`crate::server`]), the CLI ([`crate::cli`]) and the tests all
//! use these types, so a field name is spelled in one place. (The page's
//! JavaScript in `static/` spells them again; the browser tests keep the two
//! in step.)
//!
//! # Layout
//!
//! What every route shares is here, whatever the API version: the error body
//! ([`ErrorBody`]), its codes ([`error_codes`]) and [`Field`], which names a
//! request field and the code for a bad value in it. Errors are version-neutral
//! because some of them come from no versioned handler at all: the fallback
//! for unknown paths, load shedding, the framework's own rejections.
//!
//! The bodies and paths of one API version live in its module: [`v1`] for
//! format v1 envelopes (and the config, which both versions share), [`v2`]
//! for format v2 (passphrases, files, receipts). Their types reuse the names
//! (`v2::CreateRequest`, `v2::TakeRequest`) with other fields, and `v1` stays
//! as it is for the clients that speak it.

pub mod error_codes;
pub mod v1;
pub mod v2;

use serde::{Deserialize, Serialize};

/// The JSON body of every error response: `{"error", "message", "retry"?}`.
///
/// Some errors carry more fields beside these (a wrong passphrase its
/// `attempts_left`, a refused burn the receipt): see
/// [`v2::WrongPassphrase`] and [`v2::BurnRefused`]. This type reads the
/// common part of any of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// A stable, machine-readable code (see [`error_codes`]).
    pub error: String,
    /// A sentence for people. Never repeats client input.
    pub message: String,
    /// On `503` only: whether repeating the request is safe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<bool>,
}

/// The largest body of any request but a create, in bytes (a take, a
/// receipt, a burn: a few short fields). A larger one is answered `413
/// too_large`. Creates have the limit of
/// [`v1::ConfigResponse::max_body_bytes`].
pub const SMALL_BODY_LIMIT: usize = 8 * 1024;

/// A field of a request body: its name in the JSON and the error code the
/// server answers when the field holds a value of the wrong type or form.
///
/// A missing field, or one the request does not take, is
/// [`error_codes::INVALID_REQUEST`] whatever the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// The JSON name.
    pub name: &'static str,
    /// One of [`error_codes`].
    pub code: &'static str,
}

#[cfg(test)]
mod tests {
    use super::ErrorBody;
    use serde_json::json;

    #[test]
    fn error_bodies_read_and_write_the_documented_json() {
        let error: ErrorBody =
            serde_json::from_value(json!({ "error": "busy", "message": "m", "retry": true }))
                .unwrap();
        assert_eq!(error.retry, Some(true));
        let without_retry = ErrorBody {
            retry: None,
            ..error
        };
        assert_eq!(
            serde_json::to_value(&without_retry).unwrap(),
            json!({ "error": "busy", "message": "m" })
        );
        assert!(serde_json::from_value::<ErrorBody>(json!({ "message": "m" })).is_err());
    }
}
