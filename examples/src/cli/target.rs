//! Where to send requests: server URLs, and what `oneshot open`, `status`
//! and `burn` are given.

use oneshot_core::link::{self, LinkKey};
use oneshot_core::v2::ReceiptKey;
use oneshot_core::{SecretId, Version};
use url::Url;

use super::CliError;
use crate::wire::{v1, v2};

/// Parses a server base URL: `http` or `https`, with a host, no fragment.
/// The result ends with `/` so that API paths resolve below it.
pub fn parse_server(input: &str) -> Result<Url, CliError> {
    let bad = |why: &str| CliError::usage(format!("invalid server URL: {why}"));
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

/// `path` (absolute on the server, such as an API path of
/// [`wire`](crate::wire)) below `base`, which may itself have a path prefix.
pub(crate) fn endpoint(base: &Url, path: &str) -> Result<Url, CliError> {
    base.join(path.trim_start_matches('/'))
        .map_err(|e| CliError::usage(format!("invalid server URL: {e}")))
}

/// What `oneshot open` needs: the key and the take endpoint of its version.
#[derive(Debug)]
pub struct OpenTarget {
    /// The link key, v1 or v2.
    pub key: LinkKey,
    /// `POST` here with the claim: `/api/v1/secrets/take` for a v1 key,
    /// `/api/v2/secrets/take` for a v2 one.
    pub take_url: Url,
}

/// What `oneshot status` and `oneshot burn` need.
#[derive(Debug)]
pub struct ReceiptTarget {
    /// The secret's id.
    pub id: SecretId,
    /// The receipt key `R`.
    pub key: ReceiptKey,
    /// The server's base URL (ending in `/`).
    pub base: Url,
}

/// The base URL of the server a link points at: the page is `<base>s` (or
/// `<base>r` for a receipt link), and the API lives under `<base>`. `server`
/// wins when given; a bare key or receipt needs it.
fn base_of(trimmed: &str, server: Option<&str>, what: &str) -> Result<Url, CliError> {
    match (server, trimmed.split_once('#')) {
        (Some(server), _) => parse_server(server),
        (None, Some((page, _))) => {
            let page = Url::parse(page).map_err(|e| {
                CliError::usage(format!("malformed {what}: its address is invalid ({e})"))
            })?;
            if !matches!(page.scheme(), "http" | "https") || page.host_str().is_none() {
                return Err(CliError::usage(format!(
                    "malformed {what}: it must start with http:// or https:// and a host"
                )));
            }
            endpoint(&page, "./")
        }
        (None, None) => Err(CliError::usage(format!(
            "a bare {} needs --server URL (or pass the whole {what})",
            if what == "link" { "key" } else { "receipt" }
        ))),
    }
}

/// The fragment's length, for telling a receipt from a reader's link in
/// error messages (never the fragment itself).
fn fragment_len(trimmed: &str) -> usize {
    trimmed
        .split_once('#')
        .map_or(trimmed, |(_, f)| f)
        .chars()
        .count()
}

/// Parses what `oneshot open` is given: a full link `<base>#<key>` (the API
/// is found next to the link's page, `…/s` → `…/api/v2/secrets/take`), or a
/// bare key together with `server`. A `server` given with a link wins.
/// Version 1 and version 2 keys are told apart by their length.
pub fn parse_open_target(input: &str, server: Option<&str>) -> Result<OpenTarget, CliError> {
    let trimmed = input.trim();
    let key = link::parse_key(trimmed).map_err(|e| {
        let hint = if fragment_len(trimmed) == oneshot_core::format::v2::RECEIPT_FRAGMENT_B64U_LEN {
            "; this looks like a receipt link: check it with `oneshot status`"
        } else {
            "; copy the whole link, including the part after '#'"
        };
        CliError::usage(format!("malformed link: {}{hint}", e))
    })?;
    let base = base_of(trimmed, server, "link")?;
    let path = match key.version() {
        Version::V1 => v1::TAKE_PATH,
        _ => v2::TAKE_PATH,
    };
    Ok(OpenTarget {
        key,
        take_url: endpoint(&base, path)?,
    })
}

/// Parses what `oneshot status` and `oneshot burn` are given: a full
/// receipt link `<base>/r#<receipt>`, or a bare receipt with `server`.
pub fn parse_receipt_target(input: &str, server: Option<&str>) -> Result<ReceiptTarget, CliError> {
    let trimmed = input.trim();
    let (id, key) = link::parse_receipt(trimmed).map_err(|e| {
        let len = fragment_len(trimmed);
        let hint = if len == oneshot_core::format::v2::FRAGMENT_B64U_LEN
            || len == oneshot_core::format::v1::KEY_B64U_LEN
        {
            "; this looks like the reader's link, not the receipt (share --receipt FILE wrote the receipt)"
        } else {
            "; copy the whole receipt link, including the part after '#'"
        };
        CliError::usage(format!("malformed receipt link: {}{hint}", e))
    })?;
    let base = base_of(trimmed, server, "receipt link")?;
    Ok(ReceiptTarget { id, key, base })
}
