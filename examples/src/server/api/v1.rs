//! The handlers of API version 1 ([`crate::wire::v1`]).

use std::str::FromStr;
use std::time::{Duration, UNIX_EPOCH};

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64ct::{Base64UrlUnpadded, Encoding};
use oneshot_core::{Claim, CreateError, SecretId, StoreError};
use serde_json::Value;

use super::body::{Fields, invalid};
use super::{ApiError, gate};
use crate::server::App;
use crate::wire::error_codes as code;
use crate::wire::v1::{
    CONFIG_PATH, CREATE_PATH, ConfigResponse, CreateRequest, CreateResponse, TAKE_PATH,
    TakeRequest, TakeResponse,
};

/// The routes of version 1.
pub(crate) fn routes() -> Router<App> {
    Router::new()
        .route(CREATE_PATH, post(create))
        .route(TAKE_PATH, post(take))
        .route(CONFIG_PATH, get(config))
}

/// `POST /api/v1/secrets` [`CreateRequest`] → `201` [`CreateResponse`].
///
/// Without `ttl_secs` (or with `null`) the policy's default lifetime applies.
/// With a create token set, the request must carry it. The fields are
/// checked in order, each completely before the next: `id`, `envelope`,
/// `ttl_secs`.
async fn create(State(app): State<App>, req: Request) -> Result<Response, ApiError> {
    let req = gate::require_create_token(&app, req).await?;
    let body = Fields::read(&app, req, CreateRequest::FIELDS).await?;

    let id = SecretId::from_str(body.string(CreateRequest::ID)?)
        .map_err(|_| invalid(CreateRequest::ID, "must be 32 lowercase hex characters"))?;

    let envelope_text = body.string(CreateRequest::ENVELOPE)?;
    let policy = app.oneshot.policy();
    if envelope_text.len() / 4 * 3 > policy.max_envelope_bytes() {
        return Err(too_large_envelope(policy.max_body_bytes()));
    }
    let envelope = Base64UrlUnpadded::decode_vec(envelope_text)
        .map_err(|_| invalid(CreateRequest::ENVELOPE, "must be base64url without padding"))?;

    let ttl = match body.get(CreateRequest::TTL_SECS) {
        None | Some(Value::Null) => None,
        Some(secs) => Some(Duration::from_secs(
            secs.as_u64().ok_or_else(|| ttl_error(&app))?,
        )),
    };

    match app.oneshot.store_envelope(&id, &envelope, ttl).await {
        Ok(expires_at) => {
            tracing::info!(%id, ttl_secs = ttl.map(|t| t.as_secs()), bytes = envelope.len(), "secret stored");
            let created = CreateResponse {
                id: id.to_string(),
                expires_at: unix_secs(expires_at),
            };
            Ok((StatusCode::CREATED, Json(created)).into_response())
        }
        Err(CreateError::TtlOutOfRange(_)) => Err(ttl_error(&app)),
        Err(CreateError::EnvelopeTooLarge(_)) => Err(too_large_envelope(policy.max_body_bytes())),
        Err(CreateError::InvalidEnvelope(why)) => Err(invalid(
            CreateRequest::ENVELOPE,
            &format!("is not a v1 envelope: {why}"),
        )),
        Err(CreateError::Store(err)) => {
            if !matches!(err, StoreError::AlreadyExists) {
                tracing::warn!(%id, error = %err, "store failed on create");
            }
            Err(ApiError::store(&err, false))
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
    invalid(
        CreateRequest::TTL_SECS,
        &format!(
            "must be a whole number of seconds from {} to {}",
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

fn unix_secs(t: std::time::SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// `POST /api/v1/secrets/take` [`TakeRequest`] → `200` [`TakeResponse`], or
/// `404 not_found`.
async fn take(State(app): State<App>, req: Request) -> Result<Response, ApiError> {
    let body = Fields::read(&app, req, TakeRequest::FIELDS).await?;
    let claim = Claim::from_b64u(body.string(TakeRequest::CLAIM)?).map_err(|_| {
        invalid(
            TakeRequest::CLAIM,
            "must be 43 base64url characters without padding",
        )
    })?;
    let id = claim.id();
    match app.oneshot.take_by_claim(&claim).await {
        Ok(Some(envelope)) => {
            tracing::info!(%id, "secret taken");
            let taken = TakeResponse {
                envelope: Base64UrlUnpadded::encode_string(&envelope),
            };
            Ok((StatusCode::OK, Json(taken)).into_response())
        }
        Ok(None) => {
            tracing::info!(%id, "take found nothing");
            Err(ApiError::secret_not_found())
        }
        Err(err) => {
            tracing::warn!(%id, error = %err, "store failed on take");
            Err(ApiError::store(&err, true))
        }
    }
}

/// `GET /api/v1/config` → [`ConfigResponse`]: what the page needs to know
/// before creating.
async fn config(State(app): State<App>) -> Response {
    let policy = app.oneshot.policy();
    Json(ConfigResponse {
        create_requires_token: app.create_requires_token(),
        max_bytes: u64::try_from(policy.max_body_bytes()).unwrap_or(u64::MAX),
        min_ttl_secs: policy.min_ttl().as_secs(),
        max_ttl_secs: policy.max_ttl().as_secs(),
        default_ttl_secs: policy.default_ttl().as_secs(),
    })
    .into_response()
}
