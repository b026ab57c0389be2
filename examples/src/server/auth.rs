//! The optional create token: who may store secrets.
//!
//! Only the token's SHA-256 digest is kept; a presented token is hashed and
//! the digests are compared in constant time, so neither the comparison's
//! timing nor a `Debug` print of the server reveals the token.

use std::io::Read;
use std::path::Path;

use axum::http::{HeaderMap, header};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The longest token accepted, in bytes.
pub const MAX_TOKEN_LEN: usize = 4096;

/// A bearer token that `POST /api/v1/secrets` requires.
#[derive(Clone)]
pub struct CreateToken {
    digest: [u8; 32],
}

impl std::fmt::Debug for CreateToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CreateToken([REDACTED])")
    }
}

/// Why a token cannot be used. Never contains the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenError {
    /// Empty, or only whitespace.
    Empty,
    /// Not printable ASCII without spaces, so no client could send it as
    /// `Authorization: Bearer <token>`.
    NotPrintable,
    /// Longer than [`MAX_TOKEN_LEN`] bytes.
    TooLong,
    /// The token file could not be read; the path and the reason.
    Unreadable(String),
}

impl std::fmt::Display for TokenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Empty => f.write_str("the create token is empty"),
            Self::NotPrintable => f.write_str(
                "the create token must be printable ASCII without spaces (it is sent as `Authorization: Bearer <token>`)",
            ),
            Self::TooLong => write!(
                f,
                "the create token is longer than {MAX_TOKEN_LEN} characters"
            ),
            Self::Unreadable(why) => write!(f, "cannot read the create token file {why}"),
        }
    }
}

impl std::error::Error for TokenError {}

impl CreateToken {
    /// The token `text`, with surrounding whitespace removed.
    pub fn new(text: &str) -> Result<Self, TokenError> {
        let token = text.trim();
        if token.is_empty() {
            return Err(TokenError::Empty);
        }
        if token.len() > MAX_TOKEN_LEN {
            return Err(TokenError::TooLong);
        }
        if !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(TokenError::NotPrintable);
        }
        Ok(Self {
            digest: digest(token.as_bytes()),
        })
    }

    /// Reads the token from a file holding only the token (surrounding
    /// whitespace, such as a final newline, is ignored).
    pub fn from_file(path: &Path) -> Result<Self, TokenError> {
        let unreadable = |why: String| TokenError::Unreadable(format!("{}: {why}", path.display()));
        let file = std::fs::File::open(path).map_err(|e| unreadable(e.to_string()))?;
        let mut bytes = oneshot_core::Zeroizing::new(Vec::new());
        file.take(MAX_TOKEN_LEN as u64 * 2 + 64)
            .read_to_end(&mut bytes)
            .map_err(|e| unreadable(e.to_string()))?;
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| unreadable("it is not UTF-8 text".to_owned()))?;
        Self::new(text)
    }

    /// Whether `presented` is this token (constant time in its contents).
    pub(super) fn matches(&self, presented: &[u8]) -> bool {
        bool::from(digest(presented).ct_eq(&self.digest))
    }
}

fn digest(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// The credentials of `Authorization: Bearer <token>`, if the request has
/// them (the scheme is case-insensitive; surrounding spaces are ignored).
pub(super) fn bearer(headers: &HeaderMap) -> Option<&[u8]> {
    let value = headers.get(header::AUTHORIZATION)?.as_bytes();
    let value = value.trim_ascii();
    let (scheme, rest) = value.split_at(value.iter().position(|&b| b == b' ')?);
    if !scheme.eq_ignore_ascii_case(b"bearer") {
        return None;
    }
    let token = rest.trim_ascii();
    (!token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn tokens_are_trimmed_and_checked() {
        let t = CreateToken::new("  s3cret-token\n").unwrap();
        assert!(t.matches(b"s3cret-token"));
        assert!(!t.matches(b"s3cret-token "));
        assert!(!t.matches(b"s3cret-toke"));
        assert!(!t.matches(b""));
        assert_eq!(CreateToken::new(" \n").unwrap_err(), TokenError::Empty);
        assert_eq!(
            CreateToken::new("two words").unwrap_err(),
            TokenError::NotPrintable
        );
        assert_eq!(CreateToken::new("é").unwrap_err(), TokenError::NotPrintable);
        assert_eq!(
            CreateToken::new(&"x".repeat(MAX_TOKEN_LEN + 1)).unwrap_err(),
            TokenError::TooLong
        );
        assert_eq!(format!("{t:?}"), "CreateToken([REDACTED])");
    }

    #[test]
    fn bearer_credentials() {
        let with = |v: &'static str| {
            let mut h = HeaderMap::new();
            h.insert(header::AUTHORIZATION, HeaderValue::from_static(v));
            h
        };
        assert_eq!(bearer(&with("Bearer abc")), Some(&b"abc"[..]));
        assert_eq!(bearer(&with("bearer   abc ")), Some(&b"abc"[..]));
        assert_eq!(bearer(&with("Basic abc")), None);
        assert_eq!(bearer(&with("Bearer")), None);
        assert_eq!(bearer(&with("Bearer   ")), None);
        assert_eq!(bearer(&HeaderMap::new()), None);
    }
}
