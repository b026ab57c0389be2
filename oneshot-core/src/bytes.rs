//! The 32-byte values of the format, as newtypes that cannot be mixed up.
//!
//! Two kinds: secrets (zeroized on drop, `[REDACTED]` in `Debug`, compared in
//! constant time) and public values (verifiers: hashes a store may keep and
//! log). Both parse only the canonical 43-character base64url form, and their
//! parse errors never repeat the input.

/// Length of the unpadded base64url form of `n` bytes.
pub(crate) const fn b64u_len(n: usize) -> usize {
    (n * 4).div_ceil(3)
}

/// Decodes exactly `b64u_len(N)` canonical base64url characters into `N`
/// bytes, held in memory that is zeroized on drop.
///
/// base64ct rejects non-canonical trailing bits, padding and foreign
/// alphabets, in constant time with respect to the value. The error never
/// repeats the input.
pub(crate) fn decode_b64u<const N: usize>(
    encoded: &str,
    what: &'static str,
) -> Result<zeroize::Zeroizing<[u8; N]>, crate::ParseError> {
    use base64ct::{Base64UrlUnpadded, Encoding};
    let expected = b64u_len(N);
    if encoded.len() != expected {
        return Err(crate::ParseError::Length {
            what,
            expected,
            found: encoded.chars().count(),
        });
    }
    let mut bytes = zeroize::Zeroizing::new([0u8; N]);
    match Base64UrlUnpadded::decode(encoded, &mut bytes[..]) {
        Ok(decoded) if decoded.len() == N => Ok(bytes),
        _ => Err(crate::ParseError::Encoding {
            what,
            encoding: "base64url without padding",
        }),
    }
}

/// Decodes exactly 43 canonical base64url characters into 32 bytes.
pub(crate) fn decode_b64u_32(
    encoded: &str,
    what: &'static str,
) -> Result<[u8; 32], crate::ParseError> {
    decode_b64u::<32>(encoded, what).map(|bytes| *bytes)
}

/// A secret 32-byte value: zeroized on drop, redacted, constant-time `Eq`.
macro_rules! secret_bytes {
    ($(#[$meta:meta])* $name:ident, $what:literal) => {
        $(#[$meta])*
        #[derive(Clone)]
        pub struct $name([u8; 32]);

        impl $name {
            /// From raw bytes.
            pub fn from_bytes(bytes: [u8; 32]) -> Self {
                Self(bytes)
            }

            /// The raw bytes.
            pub fn as_bytes(&self) -> &[u8; 32] {
                &self.0
            }

            /// Parses exactly the 43-character base64url form.
            pub fn from_b64u(encoded: &str) -> Result<Self, $crate::ParseError> {
                $crate::bytes::decode_b64u_32(encoded, $what).map(Self)
            }

            /// The 43-character base64url form.
            pub fn to_b64u(&self) -> ::zeroize::Zeroizing<String> {
                use ::base64ct::Encoding;
                ::zeroize::Zeroizing::new(::base64ct::Base64UrlUnpadded::encode_string(&self.0))
            }
        }

        impl Drop for $name {
            fn drop(&mut self) {
                ::zeroize::Zeroize::zeroize(&mut self.0);
            }
        }

        impl ::zeroize::ZeroizeOnDrop for $name {}

        impl ::std::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(concat!(stringify!($name), "([REDACTED])"))
            }
        }

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                ::subtle::ConstantTimeEq::ct_eq(&self.0[..], &other.0[..]).into()
            }
        }

        impl Eq for $name {}
    };
}

/// A public 32-byte value (a verifier): `Copy`, printable, constant-time `Eq`.
macro_rules! public_bytes {
    ($(#[$meta:meta])* $name:ident, $what:literal) => {
        $(#[$meta])*
        #[derive(Clone, Copy)]
        pub struct $name([u8; 32]);

        impl $name {
            /// From raw bytes.
            pub const fn from_bytes(bytes: [u8; 32]) -> Self {
                Self(bytes)
            }

            /// The raw bytes.
            pub const fn as_bytes(&self) -> &[u8; 32] {
                &self.0
            }

            /// Parses exactly the 43-character base64url form.
            pub fn from_b64u(encoded: &str) -> Result<Self, $crate::ParseError> {
                $crate::bytes::decode_b64u_32(encoded, $what).map(Self)
            }

            /// The 43-character base64url form.
            pub fn to_b64u(&self) -> String {
                use ::base64ct::Encoding;
                ::base64ct::Base64UrlUnpadded::encode_string(&self.0)
            }
        }

        impl ::std::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                // A verifier is a hash of a secret; short enough to tell two apart.
                let mut hex = [0u8; 8];
                let prefix = ::base16ct::lower::encode_str(&self.0[..4], &mut hex).unwrap_or("");
                write!(f, concat!(stringify!($name), "({}…)"), prefix)
            }
        }

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                ::subtle::ConstantTimeEq::ct_eq(&self.0[..], &other.0[..]).into()
            }
        }

        impl Eq for $name {}
    };
}

pub(crate) use {public_bytes, secret_bytes};
