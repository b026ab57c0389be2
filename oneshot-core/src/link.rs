//! Links: `<base>#<b64u(K)>` (FORMAT-v1 §1).
//!
//! The key travels only in the fragment, which browsers and HTTP clients never
//! send to a server.

use zeroize::Zeroizing;

use crate::error::ParseError;
use crate::key::SecretKey;

/// Parses what a user pastes: a full link or the bare 43-character key.
///
/// Surrounding whitespace is ignored. In a link, everything after the first `#`
/// must be exactly the key. Nothing else is accepted, and the error never
/// repeats the input.
pub fn parse_key(input: &str) -> Result<SecretKey, ParseError> {
    let trimmed = input.trim();
    let encoded = match trimmed.split_once('#') {
        Some((_, fragment)) => fragment,
        None => trimmed,
    };
    SecretKey::from_b64u(encoded)
}

/// Builds `<base>#<key>`. The base is used as given (a URL such as
/// `https://host/s`); it must be non-empty and carry no fragment or whitespace.
pub fn build_link(base: &str, key: &SecretKey) -> Result<Zeroizing<String>, ParseError> {
    if base.is_empty() {
        return Err(ParseError::LinkBase("empty"));
    }
    if base.contains('#') {
        return Err(ParseError::LinkBase("already has a fragment"));
    }
    if base.chars().any(char::is_whitespace) {
        return Err(ParseError::LinkBase("contains whitespace"));
    }
    let encoded = key.to_b64u();
    let mut link = Zeroizing::new(String::with_capacity(base.len() + 1 + encoded.len()));
    link.push_str(base);
    link.push('#');
    link.push_str(&encoded);
    Ok(link)
}
