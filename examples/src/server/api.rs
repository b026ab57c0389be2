//! The JSON API: `POST /api/v1/secrets`, `POST /api/v1/secrets/take` and
//! `GET /api/v1/config`.
//!
//! Every failure is a JSON body `{"error": code, "message": text}` (plus
//! `"retry"` on a `503`). Request bodies are parsed by hand into
//! `serde_json::Value` so that no framework rejection text leaks out and no
//! error message ever repeats what the client sent.

use std::str::FromStr;
use std::time::{Duration, UNIX_EPOCH};

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64ct::{Base64UrlUnpadded, Encoding};
use oneshot_core::{Claim, CreateError, SecretId, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::App;
use super::auth::bearer;

/// The `error` codes the API answers with.
pub mod error_codes {
    /// 415: the request's `Content-Type` is not `application/json`.
    pub const UNSUPPORTED_MEDIA_TYPE: &str = "unsupported_media_type";
    /// 400: the body is not JSON.
    pub const INVALID_JSON: &str = "invalid_json";
    /// 400: the JSON is not an object with the expected fields and types.
    pub const INVALID_REQUEST: &str = "invalid_request";
    /// 400: `id` is not 32 lowercase hex characters.
    pub const INVALID_ID: &str = "invalid_id";
    /// 400: `envelope` is not base64url, or not a v1 envelope.
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
    /// 409: a secret with this id exists.
    pub const ALREADY_EXISTS: &str = "already_exists";
    /// 404: no such secret (never created, expired or already read), or no such page.
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
}

use error_codes as code;

/// The JSON body of every error response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// A stable, machine-readable code (see [`error_codes`]).
    pub error: String,
    /// A sentence for people. Never repeats client input.
    pub message: String,
    /// On `503` only: whether repeating the request is safe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<bool>,
}

/// An error response under construction.
#[derive(Debug)]
pub(super) struct ApiError {
    status: StatusCode,
    body: ErrorBody,
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl ApiError {
    pub(super) fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
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

    fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    fn bad(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub(super) fn unavailable(code: &str, message: &str, retry_after: u32) -> Self {
        let mut e = Self::new(StatusCode::SERVICE_UNAVAILABLE, code, message);
        e.body.retry = Some(true);
        e.with_header(header::RETRY_AFTER, HeaderValue::from(retry_after))
    }

    fn indeterminate(message: &str) -> Self {
        let mut e = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            code::INDETERMINATE,
            message,
        );
        e.body.retry = Some(false);
        e
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

/// What a store failure means for the client, per operation.
fn store_error(err: &StoreError, taking: bool) -> ApiError {
    match err {
        StoreError::AlreadyExists => ApiError::new(
            StatusCode::CONFLICT,
            code::ALREADY_EXISTS,
            "a secret with this id already exists",
        ),
        StoreError::InvalidTtl => ApiError::bad(
            code::INVALID_TTL,
            "the store cannot keep a secret for that long",
        ),
        StoreError::CapacityExceeded => ApiError::unavailable(
            code::STORE_FULL,
            "the store is full; nothing was stored, try again later",
            30,
        ),
        StoreError::Unavailable(_) => ApiError::unavailable(
            code::UNAVAILABLE,
            if taking {
                "the store is unavailable; nothing was read, retrying is safe"
            } else {
                "the store is unavailable; nothing was stored, retrying is safe"
            },
            1,
        ),
        _ => ApiError::indeterminate(if taking {
            "the store did not confirm the outcome; the secret may have been consumed, do not retry"
        } else {
            "the store did not confirm the outcome; the secret may or may not have been stored"
        }),
    }
}

/// What reading a request body gave.
enum BodyRead {
    /// The whole body, within the limit.
    Complete(Vec<u8>),
    /// The body exceeds the limit (and was drained, up to a bound).
    TooLarge,
}

/// Reads the body up to `limit` bytes. Past the limit it keeps reading and
/// dropping, up to 8 × `limit` (at least 1 MiB), so that a client still
/// uploading receives the 413 instead of a reset connection (closing a socket
/// with unread data makes the kernel send RST, which can destroy the response
/// in flight). The caller bounds the time.
async fn read_body(req: Request, limit: usize) -> Result<BodyRead, axum::Error> {
    use http_body_util::BodyExt;
    let drain_cap = limit.saturating_mul(8).max(1 << 20);
    let mut body = req.into_body();
    let mut bytes = Vec::new();
    let mut seen = 0usize;
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame?.into_data() else {
            continue; // trailers
        };
        seen = seen.saturating_add(data.len());
        if seen <= limit {
            bytes.extend_from_slice(&data);
        } else if seen > drain_cap {
            break;
        }
    }
    if seen > limit {
        Ok(BodyRead::TooLarge)
    } else {
        Ok(BodyRead::Complete(bytes))
    }
}

/// Reads a JSON object from a request: content type, size limit, syntax.
async fn read_object(app: &App, req: Request) -> Result<Map<String, Value>, ApiError> {
    let is_json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            code::UNSUPPORTED_MEDIA_TYPE,
            "send the request as Content-Type: application/json",
        ));
    }
    let deadline = app.limits.body_read_timeout;
    let read = tokio::time::timeout(deadline, read_body(req, app.body_limit))
        .await
        .map_err(|_| body_timeout(deadline))?;
    let bytes = match read {
        Ok(BodyRead::Complete(bytes)) => bytes,
        Ok(BodyRead::TooLarge) => {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                code::TOO_LARGE,
                format!(
                    "the request body exceeds the limit of {} bytes",
                    app.body_limit
                ),
            ));
        }
        Err(_) => {
            return Err(ApiError::bad(
                code::INVALID_REQUEST,
                "the request body could not be read",
            ));
        }
    };
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::bad(
            code::INVALID_REQUEST,
            "the request body must be a JSON object",
        )),
        Err(_) => Err(ApiError::bad(
            code::INVALID_JSON,
            "the request body is not valid JSON",
        )),
    }
}

/// `408`: the body did not arrive within `deadline`. The connection is closed,
/// as the rest of the body would otherwise be read as the next request.
fn body_timeout(deadline: Duration) -> ApiError {
    ApiError::new(
        StatusCode::REQUEST_TIMEOUT,
        code::TIMEOUT,
        format!(
            "the request body did not arrive within {} s",
            deadline.as_secs_f64().ceil()
        ),
    )
    .with_header(header::CONNECTION, HeaderValue::from_static("close"))
}

/// `401` unless the request carries the create token (when one is set).
fn check_create_token(app: &App, req: &Request) -> Result<(), ApiError> {
    let Some(token) = &app.create_token else {
        return Ok(());
    };
    match bearer(req.headers()) {
        Some(presented) if token.matches(presented) => Ok(()),
        presented => {
            tracing::info!(
                token_sent = presented.is_some(),
                "create refused: no valid create token"
            );
            let (message, challenge) = if presented.is_some() {
                (
                    "the access token is not valid for this server",
                    r#"Bearer realm="oneshot", error="invalid_token""#,
                )
            } else {
                (
                    "creating secrets on this server needs an access token: send Authorization: Bearer <token>",
                    r#"Bearer realm="oneshot""#,
                )
            };
            Err(
                ApiError::new(StatusCode::UNAUTHORIZED, code::UNAUTHORIZED, message).with_header(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(challenge),
                ),
            )
        }
    }
}

/// Refuses fields other than `allowed`.
fn only_fields(map: &Map<String, Value>, allowed: &[&str], hint: &str) -> Result<(), ApiError> {
    if map.keys().all(|k| allowed.contains(&k.as_str())) {
        Ok(())
    } else {
        Err(ApiError::bad(
            code::INVALID_REQUEST,
            format!("unexpected field; the request takes only {hint}"),
        ))
    }
}

/// A required string field.
fn string_field<'a>(
    map: &'a Map<String, Value>,
    name: &str,
    error_code: &str,
) -> Result<&'a str, ApiError> {
    match map.get(name) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(ApiError::bad(
            error_code,
            format!("`{name}` must be a string"),
        )),
        None => Err(ApiError::bad(
            code::INVALID_REQUEST,
            format!("missing field `{name}`"),
        )),
    }
}

fn unix_secs(t: std::time::SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// `POST /api/v1/secrets` `{"id", "envelope", "ttl_secs"?}` → `201 {"id", "expires_at"}`.
///
/// `expires_at` is in seconds since the Unix epoch. Without `ttl_secs` (or
/// with `null`) the policy's default lifetime applies.
///
/// With a create token set, the request must carry it (checked before the
/// body is looked at: whatever the body, no token is `401`).
pub(super) async fn create(State(app): State<App>, req: Request) -> Result<Response, ApiError> {
    if let Err(refused) = check_create_token(&app, &req) {
        // Read (and drop) the body, within the usual size and time limits,
        // so that the client is not reset mid-upload and sees the 401.
        let _ = tokio::time::timeout(app.limits.body_read_timeout, read_body(req, app.body_limit))
            .await;
        return Err(refused);
    }
    let map = read_object(&app, req).await?;
    only_fields(
        &map,
        &["id", "envelope", "ttl_secs"],
        "id, envelope and ttl_secs",
    )?;

    let id_text = string_field(&map, "id", code::INVALID_ID)?;
    let id = SecretId::from_str(id_text)
        .map_err(|_| ApiError::bad(code::INVALID_ID, "`id` must be 32 lowercase hex characters"))?;

    let envelope_text = string_field(&map, "envelope", code::INVALID_ENVELOPE)?;
    let policy = app.oneshot.policy();
    if envelope_text.len() / 4 * 3 > policy.max_envelope_bytes() {
        return Err(too_large_envelope(policy.max_body_bytes()));
    }
    let envelope = Base64UrlUnpadded::decode_vec(envelope_text).map_err(|_| {
        ApiError::bad(
            code::INVALID_ENVELOPE,
            "`envelope` must be base64url without padding",
        )
    })?;

    let ttl = match map.get("ttl_secs") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => match n.as_u64() {
            Some(secs) => Some(Duration::from_secs(secs)),
            None => return Err(ttl_error(&app)),
        },
        Some(_) => return Err(ttl_error(&app)),
    };

    match app.oneshot.store_envelope(&id, &envelope, ttl).await {
        Ok(expires_at) => {
            tracing::info!(%id, ttl_secs = ttl.map(|t| t.as_secs()), bytes = envelope.len(), "secret stored");
            let body = serde_json::json!({
                "id": id.to_string(),
                "expires_at": unix_secs(expires_at),
            });
            Ok((StatusCode::CREATED, Json(body)).into_response())
        }
        Err(CreateError::TtlOutOfRange(_)) => Err(ttl_error(&app)),
        Err(CreateError::EnvelopeTooLarge(_)) => Err(too_large_envelope(policy.max_body_bytes())),
        Err(CreateError::InvalidEnvelope(why)) => Err(ApiError::bad(
            code::INVALID_ENVELOPE,
            format!("`envelope` is not a v1 envelope: {why}"),
        )),
        Err(CreateError::Store(err)) => {
            if !matches!(err, StoreError::AlreadyExists) {
                tracing::warn!(%id, error = %err, "store failed on create");
            }
            Err(store_error(&err, false))
        }
        Err(other) => {
            tracing::error!(%id, error = %other, "unexpected error on create");
            Err(ApiError::indeterminate(
                "the secret may or may not have been stored",
            ))
        }
    }
}

fn ttl_error(app: &App) -> ApiError {
    let policy = app.oneshot.policy();
    ApiError::bad(
        code::INVALID_TTL,
        format!(
            "`ttl_secs` must be a whole number of seconds from {} to {}",
            policy.min_ttl().as_secs(),
            policy.max_ttl().as_secs()
        ),
    )
}

fn too_large_envelope(max_body: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        code::TOO_LARGE,
        format!("the secret exceeds the limit of {max_body} bytes"),
    )
}

/// `POST /api/v1/secrets/take` `{"claim"}` → `200 {"envelope"}` or `404 not_found`.
pub(super) async fn take(State(app): State<App>, req: Request) -> Result<Response, ApiError> {
    let map = read_object(&app, req).await?;
    only_fields(&map, &["claim"], "claim")?;
    let claim_text = string_field(&map, "claim", code::INVALID_CLAIM)?;
    let claim = Claim::from_b64u(claim_text).map_err(|_| {
        ApiError::bad(
            code::INVALID_CLAIM,
            "`claim` must be 43 base64url characters without padding",
        )
    })?;
    let id = claim.id();
    match app.oneshot.take_by_claim(&claim).await {
        Ok(Some(envelope)) => {
            tracing::info!(%id, "secret taken");
            let body =
                serde_json::json!({ "envelope": Base64UrlUnpadded::encode_string(&envelope) });
            Ok((StatusCode::OK, Json(body)).into_response())
        }
        Ok(None) => {
            tracing::info!(%id, "take found nothing");
            Err(secret_not_found())
        }
        Err(err) => {
            tracing::warn!(%id, error = %err, "store failed on take");
            Err(store_error(&err, true))
        }
    }
}

/// `GET /api/v1/config`: what the page needs to know before creating.
pub(super) async fn config(State(app): State<App>) -> Response {
    let policy = app.oneshot.policy();
    Json(serde_json::json!({
        "create_requires_token": app.create_token.is_some(),
        "max_bytes": policy.max_body_bytes(),
        "min_ttl_secs": policy.min_ttl().as_secs(),
        "max_ttl_secs": policy.max_ttl().as_secs(),
        "default_ttl_secs": policy.default_ttl().as_secs(),
    }))
    .into_response()
}

/// `503 busy`: refused before anything happened, because too many requests
/// are in flight.
pub(super) fn busy() -> ApiError {
    ApiError::unavailable(
        code::BUSY,
        "the server is busy; nothing happened, try again in a moment",
        1,
    )
}

fn secret_not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        code::NOT_FOUND,
        "no such secret: it was already viewed, has expired or never existed",
    )
}

/// Any path that is not a route.
pub(super) async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, code::NOT_FOUND, "no such page")
}

/// A route called with the wrong method.
pub(super) async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        code::METHOD_NOT_ALLOWED,
        "this method is not allowed here",
    )
}
