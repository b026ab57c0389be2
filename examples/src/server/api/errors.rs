//! Error answers: [`ApiError`] (a status, an [`ErrorBody`] and headers), what a
//! store failure means for the client, and the answers that no handler of a
//! route gives (busy, no such page, wrong method).

use std::time::Duration;

use axum::Json;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use oneshot_core::StoreError;

use crate::wire::{ErrorBody, error_codes as code};

/// An error response under construction.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    body: ErrorBody,
    headers: Vec<(HeaderName, HeaderValue)>,
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
            headers: Vec::new(),
        }
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

    /// `404` to a take: never existed, expired and already read look the same.
    pub(crate) fn secret_not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            code::NOT_FOUND,
            "no such secret: it was already viewed, has expired or never existed",
        )
    }

    /// What a store failure means for the client; `taking` says whether the
    /// operation was a take (which must never be repeated blindly).
    pub(crate) fn store(err: &StoreError, taking: bool) -> Self {
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
                if taking {
                    "the store is unavailable; nothing was read, retrying is safe"
                } else {
                    "the store is unavailable; nothing was stored, retrying is safe"
                },
                1,
            ),
            _ => Self::indeterminate(if taking {
                "the store did not confirm the outcome; the secret may have been consumed, do not retry"
            } else {
                "the store did not confirm the outcome; the secret may or may not have been stored"
            }),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body)).into_response();
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
