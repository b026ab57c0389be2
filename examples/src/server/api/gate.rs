//! The create-token gate: with a create token set, creating needs
//! `Authorization: Bearer <token>`.

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};

use super::ApiError;
use super::body::read_body;
use crate::server::App;
use crate::server::auth::bearer;
use crate::wire::error_codes as code;

/// Passes `req` on unless a create token is set and the request does not
/// carry it; then the answer is `401` with `WWW-Authenticate`, whatever the
/// body (the token is checked before the body is looked at).
pub(crate) async fn require_create_token(app: &App, req: Request) -> Result<Request, ApiError> {
    let Err(refused) = check(app, &req) else {
        return Ok(req);
    };
    // Read (and drop) the body, within the usual size and time limits, so
    // that the client is not reset mid-upload and sees the 401.
    let _ =
        tokio::time::timeout(app.limits.body_read_timeout, read_body(req, app.body_limit)).await;
    Err(refused)
}

fn check(app: &App, req: &Request) -> Result<(), ApiError> {
    let Some(token) = &app.create_token else {
        return Ok(());
    };
    match bearer(req.headers()) {
        Some(presented) if token.matches(presented) => Ok(()),
        presented => {
            tracing::debug!(
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
