//! Middleware: security headers, JSON for every error, an access log
//! without secrets. (Load shedding is in `budget`.)

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
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

/// Adds the security headers to every response.
pub(super) async fn security_headers(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    for (name, value) in SECURITY_HEADERS {
        headers.insert(name.clone(), HeaderValue::from_static(value));
    }
    for (name, value) in EXTRA_HEADERS {
        headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    response
}

/// Turns any error response that is not JSON yet (from the framework or a
/// layer) into the API's JSON error shape.
pub(super) async fn json_errors(req: Request, next: Next) -> Response {
    let response = next.run(req).await;
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

/// Logs method, route, status and latency. Never the path of an unknown
/// route (someone may paste a key there), never a body or a header.
pub(super) async fn access_log(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "(no route)".to_owned(), |p| p.as_str().to_owned());
    let started = Instant::now();
    let response = next.run(req).await;
    tracing::debug!(
        %method,
        route,
        status = response.status().as_u16(),
        micros = started.elapsed().as_micros() as u64,
        "request"
    );
    response
}
