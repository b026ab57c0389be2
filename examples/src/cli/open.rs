//! `oneshot open`: take a secret by its link's claim (v1 or v2 API, by the
//! key's version) and decrypt it.

use base64ct::{Base64UrlUnpadded, Encoding};
use oneshot_core::link::LinkKey;
use oneshot_core::v2::{self, Content, Passphrase};
use oneshot_core::{OpenError, OpenV2Error, Plaintext};
use serde::Serialize;
use zeroize::Zeroize;

use super::http::{Reply, client, post_retrying, unexpected};
use super::target::OpenTarget;
use super::{CliError, exit};
use crate::wire::{error_codes, v1, v2 as wire};

/// A secret taken and decrypted.
pub struct Revealed {
    /// A text, or a file with its name and media type (always a text for a
    /// v1 link).
    pub content: Content,
    /// The body, wiped when dropped.
    pub body: Plaintext,
}

impl std::fmt::Debug for Revealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Revealed")
            .field("content", &self.content)
            .field("body", &"[REDACTED]")
            .finish()
    }
}

fn undecryptable(why: &str) -> CliError {
    CliError::new(
        exit::UNDECRYPTABLE,
        format!(
            "the secret was taken but could not be opened ({why}); it is gone, ask the sender to share it again"
        ),
    )
}

fn open_error(e: &OpenError) -> CliError {
    match e {
        OpenError::DecryptionFailed => undecryptable("decryption failed"),
        other => undecryptable(&other.to_string()),
    }
}

/// Takes the secret behind `target` and decrypts it. This consumes it.
///
/// `passphrase` must be given exactly when the link needs one
/// ([`LinkKey::needs_passphrase`]); that is checked before any request.
pub async fn open(
    target: &OpenTarget,
    passphrase: Option<&Passphrase>,
) -> Result<Revealed, CliError> {
    match (target.key.needs_passphrase(), passphrase.is_some()) {
        (true, false) => {
            return Err(CliError::usage(
                "this link needs a passphrase; nothing was read",
            ));
        }
        (false, true) => {
            return Err(CliError::usage(
                "this link has no passphrase: leave out --passphrase-file; nothing was read",
            ));
        }
        _ => {}
    }
    let envelope = match &target.key {
        LinkKey::V1(_) => {
            let mut claim = target.key.claim().to_b64u();
            // Moved, not copied, and wiped once sent (the request body is
            // wiped too, see `http`).
            let mut request = v1::TakeRequest {
                claim: std::mem::take(&mut *claim),
            };
            let taken = take(target, &request).await;
            request.claim.zeroize();
            taken?
        }
        LinkKey::V2(key) => {
            let mut claim = key.claim().to_b64u();
            let proof = passphrase
                .map(|p| key.passphrase_proof(p))
                .transpose()
                .map_err(|e| CliError::usage(e.to_string()))?;
            let mut request = wire::TakeRequest {
                claim: std::mem::take(&mut *claim),
                passphrase_proof: proof.map(|p| std::mem::take(&mut *p.to_b64u())),
            };
            let taken = take(target, &request).await;
            request.claim.zeroize();
            request.passphrase_proof.zeroize();
            taken?
        }
        _ => {
            return Err(CliError::usage(
                "this link's format version is not supported",
            ));
        }
    };
    match &target.key {
        LinkKey::V1(key) => {
            let body = oneshot_core::v1::open(key, &envelope).map_err(|e| open_error(&e))?;
            Ok(Revealed {
                content: Content::text(),
                body,
            })
        }
        LinkKey::V2(key) => {
            let opened = v2::open(key, passphrase, &envelope).map_err(|e| match e {
                OpenV2Error::Envelope(e) => open_error(&e),
                other => undecryptable(&other.to_string()),
            })?;
            let (content, body) = opened.into_parts();
            Ok(Revealed { content, body })
        }
        _ => Err(CliError::usage(
            "this link's format version is not supported",
        )),
    }
}

/// Posts the take and reads the envelope out of a `200`.
async fn take(target: &OpenTarget, request: &impl Serialize) -> Result<Vec<u8>, CliError> {
    let client = client()?;
    match post_retrying(&client, &target.take_url, request, None, 3).await? {
        Reply::Ok(reply) => serde_json::from_value::<v1::TakeResponse>(reply)
            .ok()
            .and_then(|r| Base64UrlUnpadded::decode_vec(&r.envelope).ok())
            .ok_or_else(|| {
                CliError::new(
                    exit::UNDECRYPTABLE,
                    "the server's reply held no valid envelope; the secret is gone",
                )
            }),
        Reply::RetrySafe(_, busy) => Err(CliError::new(
            exit::SERVER,
            if busy {
                "the server is busy; nothing was read, try again later"
            } else {
                "the server's store is unavailable; nothing was read, try again later"
            },
        )),
        Reply::Error { status: 404, .. } => Err(CliError::new(
            exit::NOT_FOUND,
            "not found: the secret was already viewed, has expired or never existed",
        )),
        Reply::Error {
            status: 403, body, ..
        } => {
            let left = serde_json::from_value::<wire::WrongPassphrase>(body)
                .map(|w| w.attempts_left)
                .ok();
            Err(CliError::new(
                exit::WRONG_PASSPHRASE,
                match left {
                    Some(0) => "wrong passphrase: that was the last attempt allowed, and the secret is destroyed".to_owned(),
                    Some(1) => "wrong passphrase: the secret is still there, 1 attempt left (the last one destroys it)".to_owned(),
                    Some(n) => format!("wrong passphrase: the secret is still there, {n} attempts left"),
                    None => "wrong passphrase".to_owned(),
                },
            ))
        }
        Reply::Error {
            status: 400, code, ..
        } if code == error_codes::PASSPHRASE_REQUIRED => Err(CliError::usage(
            "the server wants a passphrase that this link does not say it has (was the link altered?); nothing was read",
        )),
        Reply::Error {
            status: 503, code, ..
        } if code == error_codes::INDETERMINATE || code.is_empty() => Err(CliError::new(
            exit::SERVER,
            "the server could not confirm what happened; the secret may be gone, so it was not retried",
        )),
        Reply::Error {
            status,
            code,
            message,
            ..
        } => Err(unexpected(status, &code, &message)),
    }
}
