//! The receipt routes of API version 2: what happened to a secret, and
//! burning it unread. Both need only the receipt claim, never the create
//! token: the sender holds the receipt link.

use std::str::FromStr;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use oneshot_core::store::{BurnOutcome, BurnReason, Receipt, ReceiptState};
use oneshot_core::{ReceiptClaim, SecretId};

use super::body::{Fields, invalid};
use super::{ApiError, StoreOp, unix_secs};
use crate::server::App;
use crate::server::logging::IdTag;
use crate::wire::v2::{
    BURN_PATH, BurnRefused, RECEIPT_PATH, Reason, ReceiptRequest, ReceiptResponse, State as Wire,
};
use crate::wire::{SMALL_BODY_LIMIT, error_codes as code};

/// The receipt routes.
pub(crate) fn routes() -> Router<App> {
    Router::new()
        .route(RECEIPT_PATH, post(receipt))
        .route(BURN_PATH, post(burn))
}

/// Reads `{"id", "receipt_claim"}`, in that order.
async fn read(app: &App, req: Request) -> Result<(SecretId, ReceiptClaim), ApiError> {
    let body = Fields::read(app, req, ReceiptRequest::FIELDS, SMALL_BODY_LIMIT).await?;
    let id = SecretId::from_str(body.string(ReceiptRequest::ID)?)
        .map_err(|_| invalid(ReceiptRequest::ID, "must be 32 lowercase hex characters"))?;
    let claim =
        ReceiptClaim::from_b64u(body.string(ReceiptRequest::RECEIPT_CLAIM)?).map_err(|_| {
            invalid(
                ReceiptRequest::RECEIPT_CLAIM,
                "must be 43 base64url characters without padding",
            )
        })?;
    Ok((id, claim))
}

/// `404` to a receipt or a burn: an unknown id, a wrong claim, a secret
/// without a receipt and a receipt past its retention look the same.
fn receipt_not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        code::NOT_FOUND,
        "no such receipt: unknown, or kept no longer (receipts are kept for a while past their secret's expiry)",
    )
}

/// The receipt as the API spells it; `None` for a state this server does
/// not know (a newer core).
fn wire(receipt: &Receipt) -> Option<ReceiptResponse> {
    let mut out = ReceiptResponse {
        state: Wire::Pending,
        expires_at: unix_secs(receipt.expires_at),
        read_at: None,
        burned_at: None,
        reason: None,
        failed_attempts: receipt.failed_attempts,
    };
    match receipt.state {
        ReceiptState::Pending => {}
        ReceiptState::Read { at } => {
            out.state = Wire::Read;
            out.read_at = Some(unix_secs(at));
        }
        ReceiptState::Burned { at, reason } => {
            out.state = Wire::Burned;
            out.burned_at = Some(unix_secs(at));
            out.reason = Some(match reason {
                BurnReason::Sender => Reason::Sender,
                BurnReason::PassphraseAttempts => Reason::PassphraseAttempts,
                _ => return None,
            });
        }
        ReceiptState::Expired => out.state = Wire::Expired,
        _ => return None,
    }
    Some(out)
}

fn unknown_state(id: SecretId, receipt: &Receipt) -> ApiError {
    tracing::error!(id = %IdTag(&id), ?receipt, "receipt state this server does not know");
    ApiError::internal()
}

/// `POST /api/v2/receipts` [`ReceiptRequest`] → `200` [`ReceiptResponse`],
/// or `404 not_found`. Changes nothing.
async fn receipt(State(app): State<App>, req: Request) -> Result<Response, ApiError> {
    let (id, claim) = read(&app, req).await?;
    match app.oneshot.receipt(&id, &claim).await {
        Ok(Some(receipt)) => {
            let answer = wire(&receipt).ok_or_else(|| unknown_state(id, &receipt))?;
            tracing::debug!(id = %IdTag(&id), state = answer.state.as_str(), "receipt read");
            Ok((StatusCode::OK, Json(answer)).into_response())
        }
        Ok(None) => {
            tracing::debug!(id = %IdTag(&id), "receipt not found");
            Err(receipt_not_found())
        }
        Err(err) => {
            tracing::warn!(id = %IdTag(&id), error = %err, "store failed on receipt");
            Err(ApiError::store(&err, StoreOp::Receipt))
        }
    }
}

/// `POST /api/v2/receipts/burn` [`BurnRequest`](crate::wire::v2::BurnRequest)
/// → `200` [`ReceiptResponse`] (now `burned`, reason `sender`); `409`
/// [`BurnRefused`] (`already_read`, `already_burned`, `expired`, with the
/// receipt; nothing changed); `404 not_found`.
async fn burn(State(app): State<App>, req: Request) -> Result<Response, ApiError> {
    let (id, claim) = read(&app, req).await?;
    match app.oneshot.burn(&id, &claim).await {
        Ok(Some(BurnOutcome::Burned(receipt))) => {
            let answer = wire(&receipt).ok_or_else(|| unknown_state(id, &receipt))?;
            tracing::debug!(id = %IdTag(&id), "secret burned by its sender");
            Ok((StatusCode::OK, Json(answer)).into_response())
        }
        Ok(Some(BurnOutcome::Refused(receipt))) => {
            let answer = wire(&receipt).ok_or_else(|| unknown_state(id, &receipt))?;
            let (error, message) = match answer.state {
                Wire::Read => (
                    code::ALREADY_READ,
                    "not burned: the secret was already read",
                ),
                Wire::Burned => (
                    code::ALREADY_BURNED,
                    "not burned: the secret was already burned",
                ),
                Wire::Expired => (code::EXPIRED, "not burned: the secret expired unread"),
                Wire::Pending => return Err(unknown_state(id, &receipt)),
            };
            tracing::debug!(id = %IdTag(&id), state = answer.state.as_str(), "burn refused");
            let body = BurnRefused {
                error: error.to_owned(),
                message: message.to_owned(),
                receipt: answer,
            };
            Err(ApiError::with_body(StatusCode::CONFLICT, &body))
        }
        Ok(None) => {
            tracing::debug!(id = %IdTag(&id), "burn found no receipt");
            Err(receipt_not_found())
        }
        Ok(Some(other)) => {
            tracing::error!(id = %IdTag(&id), outcome = ?other, "burn outcome this server does not know");
            Err(ApiError::internal())
        }
        Err(err) => {
            tracing::warn!(id = %IdTag(&id), error = %err, "store failed on burn");
            Err(ApiError::store(&err, StoreOp::Burn))
        }
    }
}
