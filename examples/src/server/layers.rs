//! What every answer gets: security headers, JSON for every error, an
//! access-log line without secrets. (Load shedding is in `budget`; the one
//! middleware that applies all of these is `edge`.)

use std::time::Instant;

use axum::extract::MatchedPath;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::api::ApiError;
use crate::wire::error_codes as code;

/// The Content-Security-Policy of every response: only this origin's own
/// scripts, styles and images; no inline code, no framing, no form posts.
pub(super) const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'none'";

const SECURITY_HEADERS: &[(HeaderName, &str)] = &[
    (header::CONTENT_SECURITY_POLICY, CSP),
    (header::REFERRER_POLICY, "no-referrer"),
    (header::CACHE_CONTROL, "no-store"),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::X_FRAME_OPTIONS, "DENY"),
];

const EXTRA_HEADERS: &[(&str, &str)] = &[
    ("cross-origin-opener-policy", "same-origin"),
    ("cross-origin-resource-policy", "same-origin"),
    (
        "permissions-policy",
        "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    ),
];

/// Adds the security headers (to every response).
pub(super) fn add_security_headers(headers: &mut HeaderMap) {
    headers.reserve(SECURITY_HEADERS.len() + EXTRA_HEADERS.len());
    for (name, value) in SECURITY_HEADERS {
        headers.insert(name.clone(), HeaderValue::from_static(value));
    }
    for (name, value) in EXTRA_HEADERS {
        headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
}

/// Turns an error response that is not JSON yet (from the framework or a
/// layer) into the API's JSON error shape; any other response as it is.
pub(super) fn json_error(response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return response;
    }
    let (error_code, message) = match status {
        StatusCode::NOT_FOUND => (code::NOT_FOUND, "no such page"),
        StatusCode::METHOD_NOT_ALLOWED => {
            (code::METHOD_NOT_ALLOWED, "this method is not allowed here")
        }
        StatusCode::PAYLOAD_TOO_LARGE => (code::TOO_LARGE, "the request body is too large"),
        StatusCode::REQUEST_TIMEOUT => (code::TIMEOUT, "the request did not arrive in time"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            code::UNSUPPORTED_MEDIA_TYPE,
            "send the request as Content-Type: application/json",
        ),
        s if s.is_client_error() => (code::INVALID_REQUEST, "the request is not valid"),
        _ => (code::INTERNAL, "internal error"),
    };
    let mut fixed = ApiError::new(status, error_code, message).into_response();
    // Keep headers such as Allow or Retry-After, but not the old body's type or length.
    for (name, value) in response.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            fixed.headers_mut().insert(name.clone(), value.clone());
        }
    }
    fixed
}

/// Logs method, route, status and latency, at debug. Never the path of an
/// unknown route (someone may paste a key there), never a body or a header.
pub(super) fn log_request(
    method: &Method,
    route: Option<&MatchedPath>,
    status: StatusCode,
    started: Instant,
) {
    tracing::debug!(
        %method,
        route = route.map_or("(no route)", MatchedPath::as_str),
        status = status.as_u16(),
        micros = started.elapsed().as_micros() as u64,
        "request"
    );
}
