//! `oneshot share`: seal a secret (format v2) and store it through the v2
//! API, with a passphrase, as a file, with a receipt.

use std::time::Duration;

use base64ct::{Base64UrlUnpadded, Encoding};
use oneshot_core::v2::{self, Content, Flags, Passphrase, ReceiptKey};
use oneshot_core::{Zeroizing, link};

use super::http::{Reply, client, get_retrying, post_retrying, unexpected};
use super::target::{endpoint, parse_server};
use super::{CliError, exit};
use crate::wire::v1::{CONFIG_PATH, ConfigResponse};
use crate::wire::v2::{CREATE_PATH, CreateRequest, CreateResponse};

/// How to share a secret.
#[derive(Debug, Default)]
pub struct Sharing {
    /// The lifetime; `None` for the server's default.
    pub ttl: Option<Duration>,
    /// A passphrase the reader must give besides the link.
    pub passphrase: Option<Passphrase>,
    /// What the secret is: `None` for a text, or a file's name and media type.
    pub content: Option<Content>,
    /// Whether to ask for a receipt.
    pub receipt: bool,
}

/// A secret just shared.
#[derive(Debug)]
pub struct Shared {
    /// The one-time link for the reader (contains the key).
    pub link: Zeroizing<String>,
    /// Seconds since the Unix epoch when it expires unread (0 if the
    /// server did not say).
    pub expires_at: u64,
    /// The sender's receipt link, `<server>/r#<receipt>`, if one was asked for.
    pub receipt_link: Option<Zeroizing<String>>,
}

/// The server's limits (`GET /api/v1/config`), or `None` if it does not say
/// (an error status). Fails only when the server cannot be reached.
pub async fn server_config(server: &str) -> Result<Option<ConfigResponse>, CliError> {
    let base = parse_server(server)?;
    let url = endpoint(&base, CONFIG_PATH)?;
    match get_retrying(&client()?, &url, 3).await? {
        Reply::Ok(value) => Ok(serde_json::from_value(value).ok()),
        _ => Ok(None),
    }
}

/// The envelope and create request for `secret` under a fresh key, and
/// the key and receipt key. Runs PBKDF2 twice with a passphrase (sealing,
/// then the verifier).
fn seal(
    secret: &[u8],
    sharing: &Sharing,
) -> Result<(v2::SecretKey, Option<ReceiptKey>, CreateRequest), CliError> {
    let no_randomness =
        |e: &dyn std::fmt::Display| CliError::new(exit::IO, format!("no randomness: {e}"));
    let flags = if sharing.passphrase.is_some() {
        Flags::PASSPHRASE
    } else {
        Flags::NONE
    };
    let key = v2::SecretKey::generate(flags).map_err(|e| no_randomness(&e))?;
    let text = Content::text();
    let content = sharing.content.as_ref().unwrap_or(&text);
    let passphrase = sharing.passphrase.as_ref();
    let envelope = v2::seal(&key, passphrase, content, secret)
        .map_err(|e| CliError::usage(format!("cannot encrypt: {e}")))?;
    let passphrase_verifier = passphrase
        .map(|p| {
            key.passphrase_proof(p)
                .map(|proof| proof.verifier().to_b64u())
        })
        .transpose()
        .map_err(|e| CliError::usage(format!("cannot derive the passphrase verifier: {e}")))?;
    let receipt = sharing
        .receipt
        .then(ReceiptKey::generate)
        .transpose()
        .map_err(|e| no_randomness(&e))?;
    let request = CreateRequest {
        id: key.id().to_string(),
        envelope: Base64UrlUnpadded::encode_string(&envelope),
        ttl_secs: sharing.ttl.map(|t| t.as_secs()),
        passphrase_verifier,
        receipt_verifier: receipt.as_ref().map(|r| r.verifier().to_b64u()),
    };
    Ok((key, receipt, request))
}

/// Encrypts `secret` and stores it on `server`; returns the link (and the
/// receipt link, if asked for).
///
/// `token`, if given, is sent as `Authorization: Bearer <token>` (for servers
/// that let only holders of their create token share).
pub async fn share(
    secret: &[u8],
    sharing: &Sharing,
    server: &str,
    token: Option<&str>,
) -> Result<Shared, CliError> {
    if secret.is_empty() {
        return Err(CliError::usage(match sharing.content {
            Some(_) => "nothing to share: the file is empty",
            None => "nothing to share: the secret is empty",
        }));
    }
    let base = parse_server(server)?;
    let create_url = endpoint(&base, CREATE_PATH)?;
    let page = endpoint(&base, "s")?;
    let client = client()?;
    // A 409 (id collision) is astronomically unlikely; a second fresh key settles it.
    for _ in 0..2 {
        let (key, receipt, request) = seal(secret, sharing)?;
        match post_retrying(&client, &create_url, &request, token, 3).await? {
            Reply::Ok(reply) => {
                let bad_base = |e: oneshot_core::ParseError| {
                    CliError::usage(format!("invalid server URL for a link: {e}"))
                };
                let link = link::build_link(page.as_str(), &key).map_err(bad_base)?;
                let receipt_link = receipt
                    .map(|r| link::build_receipt_link(base.as_str(), &key.id(), &r))
                    .transpose()
                    .map_err(bad_base)?;
                // Stored either way; the expiry only feeds a remark on stderr.
                let expires_at =
                    serde_json::from_value::<CreateResponse>(reply).map_or(0, |r| r.expires_at);
                return Ok(Shared {
                    link,
                    expires_at,
                    receipt_link,
                });
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
                status: 404 | 405, ..
            } => {
                return Err(CliError::new(
                    exit::SERVER,
                    "the server does not offer the v2 API (it may be too old for this client); nothing was stored",
                ));
            }
            Reply::Error {
                status: 400 | 413,
                code,
                message,
                ..
            } => {
                return Err(CliError::usage(format!(
                    "the server refused the secret: {message} ({code})"
                )));
            }
            Reply::Error {
                status: 503,
                code,
                message,
                ..
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
                ..
            } => return Err(unexpected(status, &code, &message)),
        }
    }
    Err(CliError::new(
        exit::SERVER,
        "the server reported an id collision twice; try again",
    ))
}
