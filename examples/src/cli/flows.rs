//! The two things the CLI does: [`share`] a secret and [`open`] one.

use std::time::Duration;

use base64ct::{Base64UrlUnpadded, Encoding};
use oneshot_core::{OpenError, SecretKey, Zeroizing, link};

use super::http::{Reply, client, post_retrying, unexpected};
use super::target::{OpenTarget, endpoint, parse_server};
use super::{CliError, exit};
use crate::wire::error_codes;
use crate::wire::v1::{CREATE_PATH, CreateRequest, CreateResponse, TakeRequest, TakeResponse};

/// A secret just shared.
#[derive(Debug)]
pub struct Shared {
    /// The one-time link (contains the key).
    pub link: Zeroizing<String>,
    /// Seconds since the Unix epoch when it expires unread (0 if the
    /// server did not say).
    pub expires_at: u64,
}

/// Encrypts `secret` and stores it on `server`; returns the link.
///
/// `token`, if given, is sent as `Authorization: Bearer <token>` (for servers
/// that let only holders of their create token share).
pub async fn share(
    secret: &[u8],
    ttl: Option<Duration>,
    server: &str,
    token: Option<&str>,
) -> Result<Shared, CliError> {
    if secret.is_empty() {
        return Err(CliError::usage("nothing to share: the secret is empty"));
    }
    let base = parse_server(server)?;
    let create_url = endpoint(&base, CREATE_PATH)?;
    let page = endpoint(&base, "s")?;
    let client = client()?;
    // A 409 (id collision) is astronomically unlikely; a second fresh key settles it.
    for _ in 0..2 {
        let key = SecretKey::generate()
            .map_err(|e| CliError::new(exit::IO, format!("no randomness: {e}")))?;
        let envelope = oneshot_core::seal(&key, secret)
            .map_err(|e| CliError::usage(format!("cannot encrypt: {e}")))?;
        let request = CreateRequest {
            id: key.id().to_string(),
            envelope: Base64UrlUnpadded::encode_string(&envelope),
            ttl_secs: ttl.map(|t| t.as_secs()),
        };
        match post_retrying(&client, &create_url, &request, token, 3).await? {
            Reply::Ok(reply) => {
                let link = link::build_link(page.as_str(), &key)
                    .map_err(|e| CliError::usage(format!("invalid server URL for a link: {e}")))?;
                // Stored either way; the expiry only feeds a remark on stderr.
                let expires_at =
                    serde_json::from_value::<CreateResponse>(reply).map_or(0, |r| r.expires_at);
                return Ok(Shared { link, expires_at });
            }
            Reply::RetrySafe(_, busy) => {
                return Err(CliError::new(
                    exit::SERVER,
                    if busy {
                        "the server is busy; nothing was stored, try again later"
                    } else {
                        "the server's store is unavailable; nothing was stored, try again later"
                    },
                ));
            }
            Reply::Error { status: 409, .. } => continue,
            Reply::Error { status: 401, .. } => {
                return Err(CliError::new(
                    exit::UNAUTHORIZED,
                    if token.is_some() {
                        "not authorised: the server refused the token; nothing was stored"
                    } else {
                        "not authorised: this server lets only holders of its token share; pass --token-file PATH or set ONESHOT_TOKEN"
                    },
                ));
            }
            Reply::Error {
                status: 400 | 413,
                code,
                message,
            } => {
                return Err(CliError::usage(format!(
                    "the server refused the secret: {message} ({code})"
                )));
            }
            Reply::Error {
                status: 503,
                code,
                message,
            } => {
                return Err(CliError::new(
                    exit::SERVER,
                    format!(
                        "the server could not confirm the secret was stored: {message} ({code}); share it again"
                    ),
                ));
            }
            Reply::Error {
                status,
                code,
                message,
            } => return Err(unexpected(status, &code, &message)),
        }
    }
    Err(CliError::new(
        exit::SERVER,
        "the server reported an id collision twice; try again",
    ))
}

/// Takes the secret behind `target` and decrypts it. This consumes it.
pub async fn open(target: &OpenTarget) -> Result<Zeroizing<Vec<u8>>, CliError> {
    let client = client()?;
    let mut claim = target.key.claim().to_b64u();
    // Moved, not copied: the request wipes it when dropped. (The bytes that
    // reqwest serializes from it are out of reach.)
    let request = TakeRequest {
        claim: std::mem::take(&mut *claim),
    };
    match post_retrying(&client, &target.take_url, &request, None, 3).await? {
        Reply::Ok(reply) => {
            let envelope = serde_json::from_value::<TakeResponse>(reply)
                .ok()
                .and_then(|r| Base64UrlUnpadded::decode_vec(&r.envelope).ok())
                .ok_or_else(|| {
                    CliError::new(
                        exit::UNDECRYPTABLE,
                        "the server's reply held no valid envelope; the secret is gone",
                    )
                })?;
            oneshot_core::open(&target.key, &envelope).map_err(|e| {
                let why = match e {
                    OpenError::DecryptionFailed => "decryption failed".to_owned(),
                    other => other.to_string(),
                };
                CliError::new(
                    exit::UNDECRYPTABLE,
                    format!("the secret was taken but could not be opened ({why}); it is gone, ask the sender to share it again"),
                )
            })
        }
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
            status: 503, code, ..
        } if code == error_codes::INDETERMINATE || code.is_empty() => Err(CliError::new(
            exit::SERVER,
            "the server could not confirm what happened; the secret may be gone, so it was not retried",
        )),
        Reply::Error {
            status,
            code,
            message,
        } => Err(unexpected(status, &code, &message)),
    }
}
