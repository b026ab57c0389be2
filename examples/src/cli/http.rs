//! Talking to the server: the HTTPS client, one request classified into a
//! [`Reply`], and repeating it only while the server says that is safe.

use std::time::Duration;

use oneshot_core::Zeroizing;
use serde::Serialize;
use serde_json::Value;
use url::Url;

use super::{CliError, exit};
use crate::wire::{ErrorBody, error_codes};

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

/// The CLI's client: bounded connect time, no `Referer`, and a request may
/// take as long as it keeps moving (a 10 MiB file on a slow link takes
/// minutes): 60 s without a byte read fails it, and so do 10 minutes in all.
pub(crate) fn client() -> Result<reqwest::Client, CliError> {
    http_client()
        .connect_timeout(Duration::from_secs(10))
        .read_timeout(Duration::from_secs(60))
        .timeout(Duration::from_secs(600))
        .referer(false)
        // A redirect could send the claim or the envelope somewhere the
        // user never named (and https to http); the server's address is
        // given exactly, so a 3xx is an error.
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| CliError::new(exit::SERVER, format!("cannot set up HTTP: {e}")))
}

/// What the server answered, classified.
pub(crate) enum Reply {
    /// A success status with a JSON body, for the caller to read as its
    /// response type.
    Ok(Value),
    /// 503 with `"retry": true`: the Retry-After in seconds, and whether the
    /// server was busy (`"busy"`) rather than its store unavailable.
    RetrySafe(u64, bool),
    /// Any other error; `code` and `message` are empty when the body was
    /// not an [`ErrorBody`]. `body` is the JSON as sent (`Null` if it was
    /// not JSON), for errors with more fields (`attempts_left`, a receipt).
    Error {
        status: u16,
        code: String,
        message: String,
        body: Value,
    },
}

async fn send(
    client: &reqwest::Client,
    url: &Url,
    body: Option<&impl Serialize>,
    token: Option<&str>,
) -> Result<Reply, CliError> {
    let mut request = match body {
        Some(body) => client
            .post(url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(wiped_json(body)?),
        None => client.get(url.clone()),
    };
    if let Some(token) = token {
        let mut value = reqwest::header::HeaderValue::try_from(format!("Bearer {token}"))
            .map_err(|_| CliError::usage("the token cannot be sent in a header"))?;
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
    if status.is_redirection() {
        return Err(CliError::new(
            exit::SERVER,
            format!(
                "the server at {} answered with a redirect (HTTP {}); redirects are never followed: give the final address with --server or in the link",
                origin(url),
                status.as_u16()
            ),
        ));
    }
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
    let body = json.unwrap_or(Value::Null);
    let error = serde_json::from_value::<ErrorBody>(body.clone())
        .ok()
        .unwrap_or(ErrorBody {
            error: String::new(),
            message: String::new(),
            retry: None,
        });
    if status.as_u16() == 503 && error.retry == Some(true) {
        return Ok(Reply::RetrySafe(
            retry_after,
            error.error == error_codes::BUSY,
        ));
    }
    Ok(Reply::Error {
        status: status.as_u16(),
        code: error.error,
        message: error.message,
        body,
    })
}

/// Posts, repeating only while the server answers 503 with `"retry": true`:
/// at most `attempts` requests, waiting Retry-After (1–5 s) between them.
pub(crate) async fn post_retrying(
    client: &reqwest::Client,
    url: &Url,
    body: &impl Serialize,
    token: Option<&str>,
    attempts: u32,
) -> Result<Reply, CliError> {
    send_retrying(client, url, Some(body), token, attempts).await
}

/// `GET`s, repeating like [`post_retrying`].
pub(crate) async fn get_retrying(
    client: &reqwest::Client,
    url: &Url,
    attempts: u32,
) -> Result<Reply, CliError> {
    send_retrying(client, url, None::<&()>, None, attempts).await
}

async fn send_retrying(
    client: &reqwest::Client,
    url: &Url,
    body: Option<&impl Serialize>,
    token: Option<&str>,
    attempts: u32,
) -> Result<Reply, CliError> {
    let mut attempt = 1;
    loop {
        match send(client, url, body, token).await? {
            Reply::RetrySafe(after, _) if attempt < attempts => {
                tokio::time::sleep(Duration::from_secs(after.clamp(1, 5))).await;
                attempt += 1;
            }
            reply => return Ok(reply),
        }
    }
}

/// `body` as JSON in one block sized up front (no reallocation leaves an
/// unwiped copy of a claim or a proof) that is wiped when the request is
/// done with it.
fn wiped_json(body: &impl Serialize) -> Result<reqwest::Body, CliError> {
    let failed = |_| CliError::new(exit::SERVER, "cannot encode the request");
    let mut counter = Counter(0);
    serde_json::to_writer(&mut counter, body).map_err(failed)?;
    let mut bytes = Zeroizing::new(Vec::with_capacity(counter.0));
    serde_json::to_writer(&mut *bytes, body).map_err(failed)?;
    Ok(reqwest::Body::from(bytes::Bytes::from_owner(bytes)))
}

/// Counts what is written to it.
struct Counter(usize);

impl std::io::Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

/// An error status the flow has no better words for.
pub(crate) fn unexpected(status: u16, code: &str, message: &str) -> CliError {
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
