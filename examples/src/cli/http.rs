//! Talking to the server: the HTTPS client, one request classified into a
//! [`Reply`], and repeating it only while the server says that is safe.

use std::time::Duration;

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

/// The CLI's client: bounded connect and request times, no `Referer`.
pub(crate) fn client() -> Result<reqwest::Client, CliError> {
    http_client()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(60))
        .referer(false)
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
        Some(body) => client.post(url.clone()).json(body),
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
