//! What the create endpoints of both versions share: reading the id, the
//! envelope (of the endpoint's version only) and the lifetime, and storing.

use std::str::FromStr;
use std::time::Duration;

use axum::Json;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64ct::{Base64UrlUnpadded, Encoding};
use oneshot_core::{CreateError, SecretId, StoreError, Verifiers, Version, envelope_version};

use super::body::{Fields, invalid};
use super::{ApiError, StoreOp, gate, unix_secs};
use crate::server::App;
use crate::server::logging::IdTag;
use crate::wire::{Field, error_codes as code, v1, v2};

/// The fields a create request of one version has in common with the other.
pub(crate) struct CreateFields {
    /// The endpoint's format version: envelopes of another are refused.
    pub(crate) version: Version,
    pub(crate) id: Field,
    pub(crate) envelope: Field,
    pub(crate) ttl: Field,
    /// Every field the request takes.
    pub(crate) all: &'static [Field],
}

/// What a create request holds once its common fields are checked.
pub(crate) struct Create {
    /// The whole body, for the fields of one version.
    pub(crate) body: Fields,
    pub(crate) id: SecretId,
    pub(crate) envelope: Vec<u8>,
    pub(crate) ttl: Option<Duration>,
}

/// Checks the create token, reads the body, then the id, the envelope (its
/// size, base64url, its version) and the lifetime, each completely before
/// the next.
pub(crate) async fn read(app: &App, req: Request, f: &CreateFields) -> Result<Create, ApiError> {
    let req = gate::require_create_token(app, req)?;
    let body = Fields::read(app, req, f.all, app.body_limit).await?;

    let id = SecretId::from_str(body.string(f.id)?)
        .map_err(|_| invalid(f.id, "must be 32 lowercase hex characters"))?;

    let envelope_text = body.string(f.envelope)?;
    let max = max_envelope(app, f.version);
    if envelope_text.len() / 4 * 3 > max {
        return Err(too_large_envelope(app));
    }
    let envelope = Base64UrlUnpadded::decode_vec(envelope_text)
        .map_err(|_| invalid(f.envelope, "must be base64url without padding"))?;
    if envelope.len() > max {
        return Err(too_large_envelope(app));
    }
    match envelope_version(&envelope) {
        Some(version) if version == f.version => {}
        Some(other) => {
            let (this, that) = (path_of(f.version), path_of(other));
            return Err(invalid(
                f.envelope,
                &format!("is a {other} envelope: send it to {that}, not {this}"),
            ));
        }
        None => {
            return Err(invalid(
                f.envelope,
                &format!("is not a {} envelope", f.version),
            ));
        }
    }

    let ttl = body
        .optional_u64(f.ttl)
        .map_err(|()| ttl_error(app, f.ttl))?
        .map(Duration::from_secs);
    Ok(Create {
        body,
        id,
        envelope,
        ttl,
    })
}

/// The longest envelope of `version` that a secret within the policy seals
/// to. (The policy's own bound is that of v2, whose files add a name and a
/// media type: a v1 envelope that long would hold a larger secret.)
fn max_envelope(app: &App, version: Version) -> usize {
    let policy = app.oneshot.policy();
    match version {
        Version::V1 => oneshot_core::v1::envelope_len(policy.max_body_bytes())
            .map_or(policy.max_envelope_bytes(), |v1| {
                v1.min(policy.max_envelope_bytes())
            }),
        _ => policy.max_envelope_bytes(),
    }
}

/// The create endpoint of `version`.
fn path_of(version: Version) -> &'static str {
    match version {
        Version::V1 => v1::CREATE_PATH,
        _ => v2::CREATE_PATH,
    }
}

/// Stores a checked create with `verifiers`; `201` with the id and expiry.
pub(crate) async fn store(
    app: &App,
    f: &CreateFields,
    create: &Create,
    verifiers: Verifiers,
) -> Result<Response, ApiError> {
    let Create {
        id, envelope, ttl, ..
    } = create;
    let id = *id;
    match app
        .oneshot
        .store_envelope(&id, envelope, *ttl, verifiers)
        .await
    {
        Ok(expires_at) => {
            tracing::debug!(
                id = %IdTag(&id),
                version = %f.version,
                ttl_secs = ttl.map(|t| t.as_secs()),
                bytes = envelope.len(),
                passphrase = verifiers.passphrase.is_some(),
                receipt = verifiers.receipt.is_some(),
                "secret stored"
            );
            // The same JSON in both versions.
            let created = v2::CreateResponse {
                id: id.to_string(),
                expires_at: unix_secs(expires_at),
            };
            Ok((StatusCode::CREATED, Json(created)).into_response())
        }
        Err(CreateError::TtlOutOfRange(_)) => Err(ttl_error(app, f.ttl)),
        Err(CreateError::EnvelopeTooLarge(_)) => Err(too_large_envelope(app)),
        Err(CreateError::InvalidEnvelope(why)) => Err(invalid(
            f.envelope,
            &format!("is not a {} envelope: {why}", f.version),
        )),
        Err(CreateError::Store(err)) => {
            if !matches!(err, StoreError::AlreadyExists) {
                tracing::warn!(id = %IdTag(&id), error = %err, "store failed on create");
            }
            Err(ApiError::store(&err, StoreOp::Create))
        }
        Err(other) => {
            tracing::error!(id = %IdTag(&id), error = %other, "unexpected error on create");
            Err(ApiError::indeterminate(
                "the secret may or may not have been stored",
            ))
        }
    }
}

fn ttl_error(app: &App, field: Field) -> ApiError {
    let policy = app.oneshot.policy();
    invalid(
        field,
        &format!(
            "must be a whole number of seconds from {} to {}",
            policy.min_ttl().as_secs(),
            policy.max_ttl().as_secs()
        ),
    )
}

fn too_large_envelope(app: &App) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        code::TOO_LARGE,
        format!(
            "the secret exceeds the limit of {} bytes",
            app.oneshot.policy().max_body_bytes()
        ),
    )
}
