//! Error answers: [`ApiError`] (a status, an [`ErrorBody`] and headers), what a
//! store failure means for the client, and the answers that no handler of a
//! route gives (busy, no such page, wrong method).

use std::time::Duration;

use axum::Json;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use oneshot_core::StoreError;
use serde_json::{Map, Value};

use crate::wire::{ErrorBody, error_codes as code};

/// An error response under construction.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    body: ErrorBody,
    /// Fields beside `error` and `message` (`attempts_left`, a receipt's).
    extra: Map<String, Value>,
    headers: Vec<(HeaderName, HeaderValue)>,
}

/// What a store call was doing when it failed: what a failure means for the
/// client depends on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StoreOp {
    /// A put: an indeterminate one may have stored the secret.
    Create,
    /// A take: an indeterminate one may have consumed the secret (or counted
    /// a wrong passphrase), and must never be repeated blindly.
    Take,
    /// A receipt read: it changes nothing, so repeating it is always safe.
    Receipt,
    /// A burn: an indeterminate one may have destroyed the secret.
    Burn,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            body: ErrorBody {
                error: code.to_owned(),
                message: message.into(),
                retry: None,
            },
            extra: Map::new(),
            headers: Vec::new(),
        }
    }

    /// An error whose body is `body` (a struct of [`crate::wire`] with
    /// `error` and `message` and more fields, such as
    /// [`BurnRefused`](crate::wire::v2::BurnRefused)).
    pub(crate) fn with_body(status: StatusCode, body: &impl serde::Serialize) -> Self {
        let mut fields = match serde_json::to_value(body) {
            Ok(Value::Object(fields)) => fields,
            _ => Map::new(),
        };
        let mut text = |name: &str| match fields.remove(name) {
            Some(Value::String(s)) => s,
            _ => String::new(),
        };
        let (error, message) = (text("error"), text("message"));
        let mut e = Self::new(status, &error, message);
        e.extra = fields;
        e
    }

    pub(crate) fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    /// `400` with `code`.
    pub(crate) fn bad(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// `503` with `"retry": true` and `Retry-After`: nothing happened.
    pub(crate) fn unavailable(code: &str, message: &str, retry_after: u32) -> Self {
        let mut e = Self::new(StatusCode::SERVICE_UNAVAILABLE, code, message);
        e.body.retry = Some(true);
        e.with_header(header::RETRY_AFTER, HeaderValue::from(retry_after))
    }

    /// `503` with `"retry": false`: the operation may have run.
    pub(crate) fn indeterminate(message: &str) -> Self {
        let mut e = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            code::INDETERMINATE,
            message,
        );
        e.body.retry = Some(false);
        e
    }

    /// `408`: the body did not arrive within `deadline`. The connection is
    /// closed, as the rest of the body would otherwise be read as the next
    /// request.
    pub(crate) fn body_timeout(deadline: Duration) -> Self {
        Self::new(
            StatusCode::REQUEST_TIMEOUT,
            code::TIMEOUT,
            format!(
                "the request body did not arrive within {} s",
                deadline.as_secs_f64().ceil()
            ),
        )
        .with_header(header::CONNECTION, HeaderValue::from_static("close"))
    }

    /// `500`: a bug, such as an answer of the store this server does not know.
    pub(crate) fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            code::INTERNAL,
            "internal error",
        )
    }

    /// `404` to a take: never existed, expired and already read look the same.
    pub(crate) fn secret_not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            code::NOT_FOUND,
            "no such secret: it was already viewed, has expired or never existed",
        )
    }

    /// What a store failure means for the client, for the operation `op`.
    pub(crate) fn store(err: &StoreError, op: StoreOp) -> Self {
        match err {
            StoreError::AlreadyExists => Self::new(
                StatusCode::CONFLICT,
                code::ALREADY_EXISTS,
                "a secret with this id already exists",
            ),
            StoreError::InvalidTtl => Self::bad(
                code::INVALID_TTL,
                "the store cannot keep a secret for that long",
            ),
            StoreError::CapacityExceeded => Self::unavailable(
                code::STORE_FULL,
                "the store is full; nothing was stored, try again later",
                30,
            ),
            StoreError::Unavailable(_) => Self::unavailable(
                code::UNAVAILABLE,
                match op {
                    StoreOp::Create => {
                        "the store is unavailable; nothing was stored, retrying is safe"
                    }
                    StoreOp::Take => "the store is unavailable; nothing was read, retrying is safe",
                    StoreOp::Receipt => "the store is unavailable; retrying is safe",
                    StoreOp::Burn => {
                        "the store is unavailable; nothing was burned, retrying is safe"
                    }
                },
                1,
            ),
            // Reading a receipt changes nothing: whatever happened, asking
            // again is safe.
            _ if op == StoreOp::Receipt => Self::unavailable(
                code::UNAVAILABLE,
                "the store did not answer; reading a receipt changes nothing, retrying is safe",
                1,
            ),
            _ => Self::indeterminate(match op {
                StoreOp::Take => {
                    "the store did not confirm the outcome; the secret may have been consumed, do not retry"
                }
                StoreOp::Burn => {
                    "the store did not confirm the outcome; the secret may have been burned, read its receipt before trying again"
                }
                StoreOp::Create | StoreOp::Receipt => {
                    "the store did not confirm the outcome; the secret may or may not have been stored"
                }
            }),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = match serde_json::to_value(self.body) {
            Ok(Value::Object(fields)) => fields,
            _ => Map::new(),
        };
        body.extend(self.extra);
        let mut response = (self.status, Json(Value::Object(body))).into_response();
        for (name, value) in self.headers {
            response.headers_mut().insert(name, value);
        }
        response
    }
}

/// `503 busy`: refused before anything happened, because too many requests
/// are in flight.
pub(crate) fn busy() -> ApiError {
    ApiError::unavailable(
        code::BUSY,
        "the server is busy; nothing happened, try again in a moment",
        1,
    )
}

/// `429 rate_limited` with `"retry": true` and `Retry-After`: the client
/// created more secrets than its rate allows; nothing was stored.
pub(crate) fn rate_limited(wait: Duration) -> ApiError {
    let secs = u32::try_from(wait.as_secs().saturating_add(1)).unwrap_or(u32::MAX);
    let mut e = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        code::RATE_LIMITED,
        format!(
            "too many secrets created from this address; nothing was stored, try again in {secs} s"
        ),
    );
    e.body.retry = Some(true);
    e.with_header(header::RETRY_AFTER, HeaderValue::from(secs))
}

/// Any path that is not a route.
pub(crate) async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, code::NOT_FOUND, "no such page")
}

/// A route called with the wrong method.
pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        code::METHOD_NOT_ALLOWED,
        "this method is not allowed here",
    )
}
