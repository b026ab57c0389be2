//! Links: `<base>#<fragment>`, the fragment being a v1 key (43 characters,
//! FORMAT-v1 §1) or a v2 fragment (46 characters, FORMAT-v2 §1); and receipt
//! links, `<base>/r#<receipt fragment>` (66 characters, FORMAT-v2 §6).
//!
//! Keys travel only in the fragment, which browsers and HTTP clients never
//! send to a server.

use std::str::FromStr;

use zeroize::Zeroizing;

use crate::claim::Claim;
use crate::error::ParseError;
use crate::format::v2::RECEIPT_LINK_PATH;
use crate::format::{v1 as v1_format, v2 as v2_format};
use crate::fragment::fragment_of;
use crate::id::SecretId;
use crate::v2::ReceiptKey;
use crate::version::Version;
use crate::{v1, v2};

/// A key parsed from a link: a v1 or a v2 link key, told apart by length.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LinkKey {
    /// A 43-character v1 key.
    V1(v1::SecretKey),
    /// A 46-character v2 fragment: `K` and its flags.
    V2(v2::SecretKey),
}

impl LinkKey {
    /// The claim a take shows the server, of this key's version.
    pub fn claim(&self) -> Claim {
        match self {
            Self::V1(key) => key.claim(),
            Self::V2(key) => key.claim(),
        }
    }

    /// The id the secret is stored under.
    pub fn id(&self) -> SecretId {
        match self {
            Self::V1(key) => key.id(),
            Self::V2(key) => key.id(),
        }
    }

    /// The format version of the link.
    pub fn version(&self) -> Version {
        match self {
            Self::V1(_) => Version::V1,
            Self::V2(_) => Version::V2,
        }
    }

    /// Whether the reader must give a passphrase besides the link (never for v1).
    pub fn needs_passphrase(&self) -> bool {
        match self {
            Self::V1(_) => false,
            Self::V2(key) => key.needs_passphrase(),
        }
    }

    /// The fragment that goes after `#`: 43 characters for v1, 46 for v2.
    pub fn to_fragment(&self) -> Zeroizing<String> {
        match self {
            Self::V1(key) => key.to_fragment(),
            Self::V2(key) => key.to_fragment(),
        }
    }
}

impl From<v1::SecretKey> for LinkKey {
    fn from(key: v1::SecretKey) -> Self {
        Self::V1(key)
    }
}

impl From<v2::SecretKey> for LinkKey {
    fn from(key: v2::SecretKey) -> Self {
        Self::V2(key)
    }
}

impl FromStr for LinkKey {
    type Err = ParseError;

    /// The same as [`parse_key`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_key(s)
    }
}

/// A key that can go in a link's fragment: [`LinkKey`], [`v1::SecretKey`]
/// and [`v2::SecretKey`]. Sealed; it exists so that [`build_link`] takes any
/// of them.
pub trait LinkFragment: sealed::Sealed {
    /// The fragment that goes after `#`.
    fn link_fragment(&self) -> Zeroizing<String>;
}

/// Public but unnameable outside the crate: no other type can implement
/// [`LinkFragment`].
mod sealed {
    pub trait Sealed {}
    impl Sealed for super::LinkKey {}
    impl Sealed for crate::v1::SecretKey {}
    impl Sealed for crate::v2::SecretKey {}
}

impl LinkFragment for LinkKey {
    fn link_fragment(&self) -> Zeroizing<String> {
        self.to_fragment()
    }
}

impl LinkFragment for v1::SecretKey {
    fn link_fragment(&self) -> Zeroizing<String> {
        self.to_fragment()
    }
}

impl LinkFragment for v2::SecretKey {
    fn link_fragment(&self) -> Zeroizing<String> {
        self.to_fragment()
    }
}

/// Parses what a user pastes: a full link or the bare fragment, v1 or v2.
///
/// Surrounding whitespace is ignored. In a link, everything after the first
/// `#` must be exactly the fragment: 43 canonical base64url characters for a
/// v1 key, 46 for a v2 one (version byte 2, no unknown flag bit). Nothing
/// else is accepted, so a mistyped link is refused before any request, and
/// the error never repeats the input.
pub fn parse_key(input: &str) -> Result<LinkKey, ParseError> {
    let fragment = fragment_of(input);
    match fragment.len() {
        v1_format::KEY_B64U_LEN => v1::SecretKey::from_b64u(fragment).map(LinkKey::V1),
        v2_format::FRAGMENT_B64U_LEN => v2::SecretKey::from_fragment(fragment).map(LinkKey::V2),
        _ => Err(ParseError::KeyLength {
            found: fragment.chars().count(),
        }),
    }
}

/// Checks a base URL for a link: non-empty, no fragment, no whitespace.
fn check_base(base: &str) -> Result<(), ParseError> {
    if base.is_empty() {
        return Err(ParseError::LinkBase("empty"));
    }
    if base.contains('#') {
        return Err(ParseError::LinkBase("already has a fragment"));
    }
    if base.chars().any(char::is_whitespace) {
        return Err(ParseError::LinkBase("contains whitespace"));
    }
    Ok(())
}

/// Builds `<base>#<fragment>` for a v1 key, a v2 key or a [`LinkKey`]. The
/// base is used as given (a URL such as `https://host/s`); it must be
/// non-empty and carry no fragment or whitespace.
pub fn build_link<K: LinkFragment + ?Sized>(
    base: &str,
    key: &K,
) -> Result<Zeroizing<String>, ParseError> {
    check_base(base)?;
    let fragment = key.link_fragment();
    let mut link = Zeroizing::new(String::with_capacity(base.len() + 1 + fragment.len()));
    link.push_str(base);
    link.push('#');
    link.push_str(&fragment);
    Ok(link)
}

/// Builds the receipt link `<base>/r#<receipt fragment>` for the secret `id`.
///
/// The base is the site's root (`https://host`, or `https://host/app` for a
/// site under a path). One trailing `/` is dropped, so `https://host` and
/// `https://host/` give the same `https://host/r#…`. It must be non-empty and
/// carry no fragment, query or whitespace.
pub fn build_receipt_link(
    base: &str,
    id: &SecretId,
    key: &ReceiptKey,
) -> Result<Zeroizing<String>, ParseError> {
    check_base(base)?;
    if base.contains('?') {
        return Err(ParseError::LinkBase("has a query"));
    }
    let root = base.strip_suffix('/').unwrap_or(base);
    let fragment = key.to_fragment(id);
    let mut link = Zeroizing::new(String::with_capacity(
        root.len() + RECEIPT_LINK_PATH.len() + 1 + fragment.len(),
    ));
    link.push_str(root);
    link.push_str(RECEIPT_LINK_PATH);
    link.push('#');
    link.push_str(&fragment);
    Ok(link)
}

/// Parses what a sender pastes to see a receipt: a full receipt link or the
/// bare 66-character receipt fragment, into the secret's id and the receipt
/// key.
///
/// The same rules as [`parse_key`]: surrounding whitespace is ignored, and
/// everything after the first `#` must be exactly the canonical fragment
/// with version byte 2. The part before `#` is not checked.
pub fn parse_receipt(input: &str) -> Result<(SecretId, ReceiptKey), ParseError> {
    ReceiptKey::from_fragment(fragment_of(input))
}
