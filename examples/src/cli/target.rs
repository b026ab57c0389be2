//! Where to send requests: server URLs, and what `oneshot open` is given.

use oneshot_core::{SecretKey, link};
use url::Url;

use super::CliError;

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
        CliError::usage(format!(
            "malformed link: {e}; copy the whole link, including the part after '#'"
        ))
    })?;
    let base = match (server, trimmed.split_once('#')) {
        (Some(server), _) => parse_server(server)?,
        (None, Some((page, _))) => {
            let page = Url::parse(page).map_err(|e| {
                CliError::usage(format!("malformed link: its address is invalid ({e})"))
            })?;
            if !matches!(page.scheme(), "http" | "https") || page.host_str().is_none() {
                return Err(CliError::usage(
                    "malformed link: it must start with http:// or https:// and a host",
                ));
            }
            // The page is `<base>s`; the API lives under `<base>`.
            endpoint(&page, "./")?
        }
        (None, None) => {
            return Err(CliError::usage(
                "a bare key needs --server URL (or pass the whole link)",
            ));
        }
    };
    Ok(OpenTarget {
        key,
        take_url: endpoint(&base, crate::wire::v1::TAKE_PATH)?,
    })
}
