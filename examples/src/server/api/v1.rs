//! The handlers of API version 1 ([`crate::wire::v1`]): format v1 envelopes,
//! and the config that both versions share.

use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use oneshot_core::store::TakeOutcome;
use oneshot_core::{Claim, Verifiers, Version};

use super::body::{Fields, invalid};
use super::create::{self, CreateFields};
use super::taken::taken;
use super::{ApiError, StoreOp};
use crate::server::App;
use crate::server::logging::IdTag;
use crate::wire::SMALL_BODY_LIMIT;
use crate::wire::v1::{
    CONFIG_PATH, CREATE_PATH, ConfigResponse, CreateRequest, TAKE_PATH, TakeRequest,
};

/// The routes of version 1.
pub(crate) fn routes() -> Router<App> {
    Router::new()
        .route(CREATE_PATH, post(create))
        .route(TAKE_PATH, post(take))
        .route(CONFIG_PATH, get(config))
}

const FIELDS: CreateFields = CreateFields {
    version: Version::V1,
    id: CreateRequest::ID,
    envelope: CreateRequest::ENVELOPE,
    ttl: CreateRequest::TTL_SECS,
    all: CreateRequest::FIELDS,
};

/// `POST /api/v1/secrets` [`CreateRequest`] → `201`
/// [`CreateResponse`](crate::wire::v1::CreateResponse).
///
/// Without `ttl_secs` (or with `null`) the policy's default lifetime applies.
/// With a create token set, the request must carry it. The fields are
/// checked in order, each completely before the next: `id`, `envelope` (a
/// v1 envelope only), `ttl_secs`.
async fn create(State(app): State<App>, req: Request) -> Result<Response, ApiError> {
    let checked = create::read(&app, req, &FIELDS).await?;
    create::store(&app, &FIELDS, &checked, Verifiers::default()).await
}

/// `POST /api/v1/secrets/take` [`TakeRequest`] → `200` [`TakeResponse`](crate::wire::v1::TakeResponse), or
/// `404 not_found`.
async fn take(State(app): State<App>, req: Request) -> Result<Response, ApiError> {
    let body = Fields::read(&app, req, TakeRequest::FIELDS, SMALL_BODY_LIMIT).await?;
    let claim = Claim::from_b64u(Version::V1, body.string(TakeRequest::CLAIM)?).map_err(|_| {
        invalid(
            TakeRequest::CLAIM,
            "must be 43 base64url characters without padding",
        )
    })?;
    let id = claim.id();
    match app.oneshot.take_by_claim(&claim, None).await {
        Ok(TakeOutcome::Taken(envelope)) => {
            tracing::debug!(id = %IdTag(&id), version = "v1", "secret taken");
            Ok(taken(&envelope))
        }
        // A v1 claim never comes with a proof; a secret that needs one was
        // stored through the v2 API, and a v1 client could not open it.
        Ok(outcome) => {
            tracing::debug!(id = %IdTag(&id), version = "v1", ?outcome, "take found nothing");
            Err(ApiError::secret_not_found())
        }
        Err(err) => {
            tracing::warn!(id = %IdTag(&id), error = %err, "store failed on take");
            Err(ApiError::store(&err, StoreOp::Take))
        }
    }
}

/// `GET /api/v1/config` → [`ConfigResponse`]: what the page and the CLI need
/// to know before creating, in either version.
async fn config(State(app): State<App>) -> Response {
    let policy = app.oneshot.policy();
    let bytes = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
    Json(ConfigResponse {
        create_requires_token: app.create_requires_token(),
        max_bytes: bytes(policy.max_body_bytes()),
        max_body_bytes: bytes(app.body_limit()),
        max_envelope_bytes: bytes(policy.max_envelope_bytes()),
        min_ttl_secs: policy.min_ttl().as_secs(),
        max_ttl_secs: policy.max_ttl().as_secs(),
        default_ttl_secs: policy.default_ttl().as_secs(),
        passphrase_attempts: policy.passphrase_attempts().get(),
        receipt_retention_secs: policy.receipt_retention().as_secs(),
    })
    .into_response()
}
