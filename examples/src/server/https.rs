//! The server's public HTTPS address, and the `Strict-Transport-Security`
//! header it implies.
//!
//! The server itself speaks plain HTTP; a reverse proxy terminates TLS. Only
//! the operator knows that, so HSTS is sent only when told the public URL.

use std::str::FromStr;

use axum::http::{HeaderMap, HeaderValue, header};
use url::Url;

/// The HSTS policy sent: a year, this host only (the server cannot know
/// whether every subdomain is served over HTTPS).
pub(crate) const HSTS: &str = "max-age=31536000";

/// The `https://` URL clients reach the server at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl(Url);

impl PublicUrl {
    /// The URL.
    pub fn url(&self) -> &Url {
        &self.0
    }
}

/// Why a public URL is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PublicUrlError {
    /// Not an absolute URL.
    #[error("not an absolute URL (expected https://host[:port][/path])")]
    NotUrl,
    /// Not `https`: HSTS over plain HTTP means nothing, and a secret link
    /// must not travel in the clear.
    #[error("the public URL must start with https:// (TLS in front of the server)")]
    NotHttps,
    /// `https:` without a host.
    #[error("the public URL has no host")]
    NoHost,
}

impl FromStr for PublicUrl {
    type Err = PublicUrlError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let url = Url::parse(text.trim()).map_err(|_| PublicUrlError::NotUrl)?;
        if url.scheme() != "https" {
            return Err(PublicUrlError::NotHttps);
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(PublicUrlError::NoHost);
        }
        Ok(Self(url))
    }
}

/// Adds `Strict-Transport-Security` to every response.
pub(crate) fn add_strict_transport_security(headers: &mut HeaderMap) {
    headers.insert(
        header::STRICT_TRANSPORT_SECURITY,
        HeaderValue::from_static(HSTS),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_urls_are_public_urls() {
        let ok: PublicUrl = "https://secrets.example.com/".parse().unwrap();
        assert_eq!(ok.url().host_str(), Some("secrets.example.com"));
        assert_eq!(
            "http://secrets.example.com".parse::<PublicUrl>(),
            Err(PublicUrlError::NotHttps)
        );
        assert_eq!(
            "secrets.example.com".parse::<PublicUrl>(),
            Err(PublicUrlError::NotUrl)
        );
        assert_eq!("".parse::<PublicUrl>(), Err(PublicUrlError::NotUrl));
    }
}
