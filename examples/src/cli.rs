//! The `oneshot` command-line client: `oneshot share` and `oneshot open`.
//!
//! It speaks the same JSON API and format as the page, so a link made by
//! either opens in the other. The key never leaves this process except inside
//! the link that `share` prints.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use base64ct::{Base64UrlUnpadded, Encoding};
use clap::{Parser, Subcommand};
use oneshot_core::{OpenError, SecretKey, link};
use serde_json::Value;
use url::Url;

use crate::ttl::{format_unix_utc, parse_ttl};

/// Exit codes of the `oneshot` command, documented in its `--help`.
pub mod exit {
    /// Success.
    pub const OK: u8 = 0;
    /// Local I/O failure: reading the secret or the token file, or writing it out.
    pub const IO: u8 = 1;
    /// Bad usage or bad input: unknown flag, malformed link or lifetime,
    /// empty or too large secret, a lifetime the server does not allow, an
    /// empty token file.
    pub const USAGE: u8 = 2;
    /// Not found: the secret was already viewed, has expired or never existed.
    pub const NOT_FOUND: u8 = 3;
    /// Server or network failure: no answer, an error status, a store outage.
    pub const SERVER: u8 = 4;
    /// The secret was taken but could not be decrypted (altered or corrupt);
    /// it is gone from the server.
    pub const UNDECRYPTABLE: u8 = 5;
    /// Not authorised: the server lets only holders of its create token
    /// share, and no token or another one was given. Nothing was stored.
    pub const UNAUTHORIZED: u8 = 6;
}

/// The environment variable `share` reads the create token from when
/// `--token-file` is not given.
pub const TOKEN_ENV: &str = "ONESHOT_TOKEN";

/// Where `share` sends secrets when neither `--server` nor `ONESHOT_SERVER` says otherwise.
pub const DEFAULT_SERVER: &str = "http://127.0.0.1:3000";

/// The largest secret read from standard input (the server usually allows less).
pub const MAX_INPUT_BYTES: usize = 16 * 1024 * 1024;

const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success
  1  local I/O error (reading the secret or the token file, writing it out)
  2  bad usage or input: malformed link, bad --ttl, empty or too large secret,
     an empty token file
  3  not found: already viewed, expired or never existed
  4  server or network failure (nothing certain about the secret's state)
  5  the secret was taken but could not be decrypted (it is gone)
  6  not authorised: the server needs its create token to share (--token-file
     or ONESHOT_TOKEN), or refused the one given; nothing was stored";

/// Share and open one-time secrets through a oneshot server.
#[derive(Debug, Parser)]
#[command(name = "oneshot", version, after_help = EXIT_CODES_HELP)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Encrypt a secret read from standard input (or typed at a hidden
    /// prompt) and print its one-time link.
    #[command(after_help = EXIT_CODES_HELP)]
    Share {
        /// How long the link stays valid if nobody opens it (e.g. 30m, 1h,
        /// 3d). Default: the server's (usually 24h).
        #[arg(long, value_parser = parse_ttl, value_name = "DURATION")]
        ttl: Option<Duration>,
        /// The oneshot server.
        #[arg(long, env = "ONESHOT_SERVER", default_value = DEFAULT_SERVER, value_name = "URL")]
        server: String,
        /// A file holding the server's create token, for servers that let
        /// only token holders share (surrounding whitespace is ignored).
        /// Default: $ONESHOT_TOKEN, if set. Opening a link never needs it.
        #[arg(long, value_name = "PATH")]
        token_file: Option<PathBuf>,
    },
    /// Open a one-time link (or a bare key with --server) and print the
    /// secret to standard output. This consumes it.
    #[command(after_help = EXIT_CODES_HELP)]
    Open {
        /// The link, `https://host/s#<key>`, or the bare 43-character key.
        link: String,
        /// The server to ask; needed only with a bare key.
        #[arg(long, value_name = "URL")]
        server: Option<String>,
    },
}

/// A failure with its exit code and a one-line message for stderr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError {
    /// One of the [`exit`] codes.
    pub code: u8,
    /// One line, never containing key material or the secret.
    pub message: String,
}

impl CliError {
    fn new(code: u8, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

/// Parses a server base URL: `http` or `https`, with a host, no fragment.
/// The result ends with `/` so that API paths resolve below it.
pub fn parse_server(input: &str) -> Result<Url, CliError> {
    let bad = |why: &str| CliError::new(exit::USAGE, format!("invalid server URL: {why}"));
    let mut url = Url::parse(input.trim()).map_err(|e| bad(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("the scheme must be http or https"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("it has no host"));
    }
    if url.fragment().is_some() {
        return Err(bad("it must not contain '#'"));
    }
    url.set_query(None);
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

fn endpoint(base: &Url, path: &str) -> Result<Url, CliError> {
    base.join(path)
        .map_err(|e| CliError::new(exit::USAGE, format!("invalid server URL: {e}")))
}

/// What `oneshot open` needs: the key and the take endpoint.
#[derive(Debug)]
pub struct OpenTarget {
    /// The link key.
    pub key: SecretKey,
    /// `POST` here with the claim.
    pub take_url: Url,
}

/// Parses what `oneshot open` is given: a full link `<base>#<key>` (the API
/// is found next to the link's page, `…/s` → `…/api/v1/secrets/take`), or a
/// bare key together with `server`. A `server` given with a link wins.
pub fn parse_open_target(input: &str, server: Option<&str>) -> Result<OpenTarget, CliError> {
    let trimmed = input.trim();
    let key = link::parse_key(trimmed).map_err(|e| {
        CliError::new(
            exit::USAGE,
            format!("malformed link: {e}; copy the whole link, including the part after '#'"),
        )
    })?;
    let base = match (server, trimmed.split_once('#')) {
        (Some(server), _) => parse_server(server)?,
        (None, Some((page, _))) => {
            let page = Url::parse(page).map_err(|e| {
                CliError::new(
                    exit::USAGE,
                    format!("malformed link: its address is invalid ({e})"),
                )
            })?;
            if !matches!(page.scheme(), "http" | "https") || page.host_str().is_none() {
                return Err(CliError::new(
                    exit::USAGE,
                    "malformed link: it must start with http:// or https:// and a host",
                ));
            }
            // The page is `<base>s`; the API lives under `<base>`.
            endpoint(&page, "./")?
        }
        (None, None) => {
            return Err(CliError::new(
                exit::USAGE,
                "a bare key needs --server URL (or pass the whole link)",
            ));
        }
    };
    Ok(OpenTarget {
        key,
        take_url: endpoint(&base, "api/v1/secrets/take")?,
    })
}

/// What the server answered, classified.
enum Reply {
    Ok(Value),
    /// 503 with `"retry": true`: the Retry-After in seconds, and whether the
    /// server was busy (`"busy"`) rather than its store unavailable.
    RetrySafe(u64, bool),
    Error {
        status: u16,
        code: String,
        message: String,
    },
}

async fn post(
    client: &reqwest::Client,
    url: &Url,
    body: &Value,
    token: Option<&str>,
) -> Result<Reply, CliError> {
    let mut request = client.post(url.clone()).json(body);
    if let Some(token) = token {
        let mut value = reqwest::header::HeaderValue::try_from(format!("Bearer {token}"))
            .map_err(|_| CliError::new(exit::USAGE, "the token cannot be sent in a header"))?;
        value.set_sensitive(true);
        request = request.header(reqwest::header::AUTHORIZATION, value);
    }
    let response = request.send().await.map_err(|e| {
        let what = if e.is_connect() {
            "could not connect to the server"
        } else if e.is_timeout() {
            "the server did not answer in time"
        } else {
            "the request to the server failed"
        };
        CliError::new(exit::SERVER, format!("{what} at {}", origin(url)))
    })?;
    let status = response.status();
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(1);
    let json: Option<Value> = response.json().await.ok();
    if status.is_success() {
        return json.map(Reply::Ok).ok_or_else(|| {
            CliError::new(exit::SERVER, "the server sent a reply that is not JSON")
        });
    }
    let field = |name: &str| {
        json.as_ref()
            .and_then(|j| j.get(name))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let retry = json
        .as_ref()
        .and_then(|j| j.get("retry"))
        .and_then(Value::as_bool);
    if status.as_u16() == 503 && retry == Some(true) {
        return Ok(Reply::RetrySafe(retry_after, field("error") == "busy"));
    }
    Ok(Reply::Error {
        status: status.as_u16(),
        code: field("error"),
        message: field("message"),
    })
}

/// Posts, repeating only while the server answers 503 with `"retry": true`:
/// at most `attempts` requests, waiting Retry-After (1–5 s) between them.
async fn post_retrying(
    client: &reqwest::Client,
    url: &Url,
    body: &Value,
    token: Option<&str>,
    attempts: u32,
) -> Result<Reply, CliError> {
    let mut attempt = 1;
    loop {
        match post(client, url, body, token).await? {
            Reply::RetrySafe(after, _) if attempt < attempts => {
                tokio::time::sleep(Duration::from_secs(after.clamp(1, 5))).await;
                attempt += 1;
            }
            reply => return Ok(reply),
        }
    }
}

fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

/// A `reqwest` client builder with HTTPS (rustls on the ring provider).
///
/// This build of `reqwest` has no built-in crypto provider: it panics if a
/// client is built before one is installed. Build every client of this
/// package through here.
pub fn http_client() -> reqwest::ClientBuilder {
    // Err only means a provider is installed already, which is what we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
}

fn client() -> Result<reqwest::Client, CliError> {
    http_client()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(60))
        .referer(false)
        .build()
        .map_err(|e| CliError::new(exit::SERVER, format!("cannot set up HTTP: {e}")))
}

fn unexpected(status: u16, code: &str, message: &str) -> CliError {
    let detail = if message.is_empty() {
        format!("HTTP {status}")
    } else {
        format!(
            "{message} (HTTP {status}{}{code})",
            if code.is_empty() { "" } else { ", " }
        )
    };
    CliError::new(exit::SERVER, format!("the server failed: {detail}"))
}

/// A secret just shared.
#[derive(Debug)]
pub struct Shared {
    /// The one-time link (contains the key).
    pub link: oneshot_core::Zeroizing<String>,
    /// Seconds since the Unix epoch when it expires unread.
    pub expires_at: u64,
}

/// Reads a create token from a file: the whole file, trimmed. An unreadable
/// file is an I/O error, an empty one bad input. Never echoes the contents.
pub fn read_token_file(path: &Path) -> Result<oneshot_core::Zeroizing<String>, CliError> {
    let mut text = oneshot_core::Zeroizing::new(String::new());
    std::fs::File::open(path)
        .and_then(|f| f.take(64 * 1024).read_to_string(&mut text))
        .map_err(|e| {
            CliError::new(
                exit::IO,
                format!("cannot read the token file {}: {e}", path.display()),
            )
        })?;
    let token = oneshot_core::Zeroizing::new(text.trim().to_owned());
    check_token(&token, &format!("the token file {}", path.display()))?;
    Ok(token)
}

/// A token must be non-empty printable ASCII without spaces to go in a header.
fn check_token(token: &str, source: &str) -> Result<(), CliError> {
    if token.is_empty() {
        return Err(CliError::new(exit::USAGE, format!("{source} is empty")));
    }
    if !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(CliError::new(
            exit::USAGE,
            format!("{source} must hold printable ASCII without spaces"),
        ));
    }
    Ok(())
}

/// The token for `share`: from `token_file`, else `$ONESHOT_TOKEN` when set
/// and not empty, else none.
pub fn resolve_token(
    token_file: Option<&Path>,
) -> Result<Option<oneshot_core::Zeroizing<String>>, CliError> {
    if let Some(path) = token_file {
        return read_token_file(path).map(Some);
    }
    match std::env::var(TOKEN_ENV) {
        Ok(value) => {
            let token = oneshot_core::Zeroizing::new(value.trim().to_owned());
            if token.is_empty() {
                return Ok(None);
            }
            check_token(&token, TOKEN_ENV)?;
            Ok(Some(token))
        }
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(CliError::new(
            exit::USAGE,
            format!("{TOKEN_ENV} is not valid text"),
        )),
    }
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
        return Err(CliError::new(
            exit::USAGE,
            "nothing to share: the secret is empty",
        ));
    }
    let base = parse_server(server)?;
    let create_url = endpoint(&base, "api/v1/secrets")?;
    let page = endpoint(&base, "s")?;
    let client = client()?;
    // A 409 (id collision) is astronomically unlikely; a second fresh key settles it.
    for _ in 0..2 {
        let key = SecretKey::generate()
            .map_err(|e| CliError::new(exit::IO, format!("no randomness: {e}")))?;
        let envelope = oneshot_core::seal(&key, secret)
            .map_err(|e| CliError::new(exit::USAGE, format!("cannot encrypt: {e}")))?;
        let mut body = serde_json::json!({
            "id": key.id().to_string(),
            "envelope": Base64UrlUnpadded::encode_string(&envelope),
        });
        if let Some(ttl) = ttl {
            body["ttl_secs"] = Value::from(ttl.as_secs());
        }
        match post_retrying(&client, &create_url, &body, token, 3).await? {
            Reply::Ok(reply) => {
                let link = link::build_link(page.as_str(), &key).map_err(|e| {
                    CliError::new(exit::USAGE, format!("invalid server URL for a link: {e}"))
                })?;
                let expires_at = reply.get("expires_at").and_then(Value::as_u64).unwrap_or(0);
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
                return Err(CliError::new(
                    exit::USAGE,
                    format!("the server refused the secret: {message} ({code})"),
                ));
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
pub async fn open(target: &OpenTarget) -> Result<oneshot_core::Zeroizing<Vec<u8>>, CliError> {
    let client = client()?;
    let body = serde_json::json!({ "claim": target.key.claim().to_b64u().as_str() });
    match post_retrying(&client, &target.take_url, &body, None, 3).await? {
        Reply::Ok(reply) => {
            let envelope = reply
                .get("envelope")
                .and_then(Value::as_str)
                .and_then(|e| Base64UrlUnpadded::decode_vec(e).ok())
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
        } if code == "indeterminate" || code.is_empty() => Err(CliError::new(
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

/// Reads the secret: all of standard input, or a hidden prompt on a terminal.
fn read_secret() -> Result<oneshot_core::Zeroizing<Vec<u8>>, CliError> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        let typed = rpassword::prompt_password("Secret (input hidden): ")
            .map_err(|e| CliError::new(exit::IO, format!("cannot read the secret: {e}")))?;
        return Ok(oneshot_core::Zeroizing::new(typed.into_bytes()));
    }
    let mut buf = oneshot_core::Zeroizing::new(Vec::new());
    stdin
        .lock()
        .take(MAX_INPUT_BYTES as u64 + 1)
        .read_to_end(&mut buf)
        .map_err(|e| CliError::new(exit::IO, format!("cannot read standard input: {e}")))?;
    if buf.len() > MAX_INPUT_BYTES {
        return Err(CliError::new(
            exit::USAGE,
            format!("the secret is larger than {MAX_INPUT_BYTES} bytes"),
        ));
    }
    Ok(buf)
}

/// Runs a parsed command line; returns the process exit code.
pub async fn run(cli: Cli) -> u8 {
    match run_inner(cli).await {
        Ok(()) => exit::OK,
        Err(e) => {
            eprintln!("oneshot: error: {}", e.message);
            e.code
        }
    }
}

async fn run_inner(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Share {
            ttl,
            server,
            token_file,
        } => {
            // Check the server URL and the token before asking for the secret.
            parse_server(&server)?;
            let token = resolve_token(token_file.as_deref())?;
            let secret = read_secret()?;
            let shared = share(&secret, ttl, &server, token.as_ref().map(|t| t.as_str())).await?;
            let mut out = std::io::stdout().lock();
            writeln!(out, "{}", shared.link.as_str())
                .and_then(|()| out.flush())
                .map_err(|e| CliError::new(exit::IO, format!("cannot write the link: {e}")))?;
            if std::io::stderr().is_terminal() && shared.expires_at > 0 {
                eprintln!(
                    "oneshot: the link works once and expires {} if unread",
                    format_unix_utc(shared.expires_at)
                );
            }
            Ok(())
        }
        Command::Open { link, server } => {
            let target = parse_open_target(&link, server.as_deref())?;
            let secret = open(&target).await?;
            let mut out = std::io::stdout().lock();
            let newline = out.is_terminal() && !secret.ends_with(b"\n");
            out.write_all(&secret)
                .and_then(|()| {
                    if newline {
                        out.write_all(b"\n")
                    } else {
                        Ok(())
                    }
                })
                .and_then(|()| out.flush())
                .map_err(|e| {
                    CliError::new(
                        exit::IO,
                        format!("cannot write the secret (it is gone from the server): {e}"),
                    )
                })
        }
    }
}
