//! The handlers of API version 2 ([`crate::wire::v2`]): format v2 envelopes
//! with their passphrase and receipt verifiers. The receipt routes are in
//! `receipts`.

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use oneshot_core::store::TakeOutcome;
use oneshot_core::{
    Claim, PassphraseProof, PassphraseVerifier, ReceiptVerifier, Verifiers, Version,
};

use super::body::{Fields, invalid};
use super::create::{self, CreateFields};
use super::taken::taken;
use super::{ApiError, StoreOp, receipts};
use crate::server::App;
use crate::server::logging::IdTag;
use crate::wire::v2::{CREATE_PATH, CreateRequest, TAKE_PATH, TakeRequest, WrongPassphrase};
use crate::wire::{SMALL_BODY_LIMIT, error_codes as code};

/// The routes of version 2.
pub(crate) fn routes() -> Router<App> {
    Router::new()
        .route(CREATE_PATH, post(create))
        .route(TAKE_PATH, post(take))
        .merge(receipts::routes())
}

const FIELDS: CreateFields = CreateFields {
    version: Version::V2,
    id: CreateRequest::ID,
    envelope: CreateRequest::ENVELOPE,
    ttl: CreateRequest::TTL_SECS,
    all: CreateRequest::FIELDS,
};

/// The message for a 32-byte value that does not parse.
const B64U_32: &str = "must be 43 base64url characters without padding";

/// `POST /api/v2/secrets` [`CreateRequest`] → `201`
/// [`CreateResponse`](crate::wire::v2::CreateResponse).
///
/// As in v1, plus the optional verifiers: with `passphrase_verifier` a take
/// must show the matching proof (the policy's attempt limit applies), with
/// `receipt_verifier` the sender can read the receipt and burn the secret.
/// The fields are checked in order: `id`, `envelope` (a v2 envelope only),
/// `ttl_secs`, `passphrase_verifier`, `receipt_verifier`.
async fn create(State(app): State<App>, req: Request) -> Result<Response, ApiError> {
    let checked = create::read(&app, req, &FIELDS).await?;
    let body = &checked.body;
    let passphrase = body
        .optional_string(CreateRequest::PASSPHRASE_VERIFIER)?
        .map(PassphraseVerifier::from_b64u)
        .transpose()
        .map_err(|_| invalid(CreateRequest::PASSPHRASE_VERIFIER, B64U_32))?;
    let receipt = body
        .optional_string(CreateRequest::RECEIPT_VERIFIER)?
        .map(ReceiptVerifier::from_b64u)
        .transpose()
        .map_err(|_| invalid(CreateRequest::RECEIPT_VERIFIER, B64U_32))?;
    let verifiers = Verifiers {
        passphrase,
        receipt,
    };
    create::store(&app, &FIELDS, &checked, verifiers).await
}

/// `POST /api/v2/secrets/take` [`TakeRequest`] → `200` [`TakeResponse`](crate::wire::v2::TakeResponse);
/// `404 not_found`; `400 passphrase_required` (nothing counted); `403`
/// [`WrongPassphrase`] with `attempts_left` (0: it was just destroyed).
async fn take(State(app): State<App>, req: Request) -> Result<Response, ApiError> {
    let body = Fields::read(&app, req, TakeRequest::FIELDS, SMALL_BODY_LIMIT).await?;
    let claim = Claim::from_b64u(Version::V2, body.string(TakeRequest::CLAIM)?)
        .map_err(|_| invalid(TakeRequest::CLAIM, B64U_32))?;
    let proof = body
        .optional_string(TakeRequest::PASSPHRASE_PROOF)?
        .map(PassphraseProof::from_b64u)
        .transpose()
        .map_err(|_| invalid(TakeRequest::PASSPHRASE_PROOF, B64U_32))?;
    let id = claim.id();
    match app.oneshot.take_by_claim(&claim, proof.as_ref()).await {
        Ok(TakeOutcome::Taken(envelope)) => {
            tracing::debug!(id = %IdTag(&id), version = "v2", "secret taken");
            Ok(taken(&envelope))
        }
        Ok(TakeOutcome::NotFound) => {
            tracing::debug!(id = %IdTag(&id), version = "v2", "take found nothing");
            Err(ApiError::secret_not_found())
        }
        Ok(TakeOutcome::PassphraseRequired) => {
            tracing::debug!(id = %IdTag(&id), "take without the passphrase proof it needs");
            Err(ApiError::bad(
                code::PASSPHRASE_REQUIRED,
                "this secret needs a passphrase: send `passphrase_proof`; nothing was counted",
            ))
        }
        Ok(TakeOutcome::WrongPassphrase { attempts_left }) => {
            tracing::debug!(id = %IdTag(&id), attempts_left, "take with a wrong passphrase");
            let message = if attempts_left == 0 {
                "wrong passphrase; that was the last attempt allowed, and the secret is destroyed"
                    .to_owned()
            } else {
                format!(
                    "wrong passphrase; the secret is still there, {attempts_left} {} left",
                    if attempts_left == 1 {
                        "attempt"
                    } else {
                        "attempts"
                    }
                )
            };
            let body = WrongPassphrase {
                error: code::WRONG_PASSPHRASE.to_owned(),
                message,
                attempts_left,
            };
            Err(ApiError::with_body(StatusCode::FORBIDDEN, &body))
        }
        Ok(other) => {
            tracing::error!(id = %IdTag(&id), outcome = ?other, "take outcome this server does not know");
            Err(ApiError::internal())
        }
        Err(err) => {
            tracing::warn!(id = %IdTag(&id), error = %err, "store failed on take");
            Err(ApiError::store(&err, StoreOp::Take))
        }
    }
}
