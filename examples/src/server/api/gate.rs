//! The create-token gate: with a create token set, creating needs
//! `Authorization: Bearer <token>`.

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};

use super::ApiError;
use crate::server::App;
use crate::server::auth::bearer;
use crate::wire::error_codes as code;

/// Passes `req` on unless a create token is set and the request does not
/// carry it; then the answer is `401` with `WWW-Authenticate`, whatever the
/// body (the token is checked before the body is looked at). The body is
/// not read: the answer closes the connection, and the server's linger
/// (`server::linger`) lets the client read it before the socket goes away,
/// so a stranger's upload costs at most a second, not the read timeout.
pub(crate) fn require_create_token(app: &App, req: Request) -> Result<Request, ApiError> {
    check(app, &req).map(|()| req).map_err(|refused| {
        refused.with_header(header::CONNECTION, HeaderValue::from_static("close"))
    })
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
