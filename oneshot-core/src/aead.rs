//! AES-256-GCM in place, behind one pair of functions, so the format code
//! does not care which implementation runs.
//!
//! The default is RustCrypto's `aes-gcm` (pure Rust, no assembly; its key
//! schedule is zeroized on drop). With the `ring` feature it is `ring`'s
//! stitched AES-GCM (assembly, AES-NI/VAES with CLMUL in one pass), about
//! 2–3× faster on large bodies; `ring` does not zeroize its key schedule,
//! which lives on the stack for the duration of one call.

use crate::format::v1::{NONCE_LEN, TAG_LEN};

/// Which AES-256-GCM implementation this build seals and opens with:
/// `"ring"` (feature `ring`) or `"aes-gcm"` (the default). Any crate in a
/// build can turn the feature on, so a benchmark or a log line that names the
/// backend should read it here rather than guess from its own features.
pub const AEAD_BACKEND: &str = if cfg!(feature = "ring") {
    "ring"
} else {
    "aes-gcm"
};

/// The key length of AES-256.
pub(crate) const KEY_LEN: usize = 32;

/// Authentication failed (open) or the input is too long for GCM (seal).
#[derive(Debug)]
pub(crate) struct AeadError;

// Under `ring` only the cross-backend test still uses it.
#[cfg(any(not(feature = "ring"), test))]
pub(crate) mod rustcrypto {
    use aes_gcm::aead::{AeadInOut, KeyInit};
    use aes_gcm::{Aes256Gcm, Nonce, Tag};

    use super::{AeadError, KEY_LEN, NONCE_LEN, TAG_LEN};

    pub(crate) fn seal_in_place(
        key: &[u8; KEY_LEN],
        nonce: [u8; NONCE_LEN],
        aad: &[u8],
        in_out: &mut [u8],
    ) -> Result<[u8; TAG_LEN], AeadError> {
        Aes256Gcm::new(key.into())
            .encrypt_inout_detached(&Nonce::from(nonce), aad, in_out.into())
            .map(Into::into)
            .map_err(|_| AeadError)
    }

    pub(crate) fn open_in_place(
        key: &[u8; KEY_LEN],
        nonce: [u8; NONCE_LEN],
        aad: &[u8],
        in_out: &mut [u8],
        tag: &[u8; TAG_LEN],
    ) -> Result<(), AeadError> {
        Aes256Gcm::new(key.into())
            .decrypt_inout_detached(&Nonce::from(nonce), aad, in_out.into(), &Tag::from(*tag))
            .map_err(|_| AeadError)
    }
}

#[cfg(feature = "ring")]
pub(crate) mod ring {
    use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, Tag, UnboundKey};

    use super::{AeadError, KEY_LEN, NONCE_LEN, TAG_LEN};

    fn key(key: &[u8; KEY_LEN]) -> Result<LessSafeKey, AeadError> {
        UnboundKey::new(&AES_256_GCM, key)
            .map(LessSafeKey::new)
            .map_err(|_| AeadError)
    }

    pub(crate) fn seal_in_place(
        key_bytes: &[u8; KEY_LEN],
        nonce: [u8; NONCE_LEN],
        aad: &[u8],
        in_out: &mut [u8],
    ) -> Result<[u8; TAG_LEN], AeadError> {
        let tag = key(key_bytes)?
            .seal_in_place_separate_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad), in_out)
            .map_err(|_| AeadError)?;
        tag.as_ref().try_into().map_err(|_| AeadError)
    }

    pub(crate) fn open_in_place(
        key_bytes: &[u8; KEY_LEN],
        nonce: [u8; NONCE_LEN],
        aad: &[u8],
        in_out: &mut [u8],
        tag: &[u8; TAG_LEN],
    ) -> Result<(), AeadError> {
        let tag = Tag::from(*tag);
        key(key_bytes)?
            .open_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad),
                tag,
                in_out,
                0..,
            )
            .map(|_| ())
            .map_err(|_| AeadError)
    }
}

#[cfg(feature = "ring")]
pub(crate) use self::ring::{open_in_place, seal_in_place};
#[cfg(not(feature = "ring"))]
pub(crate) use self::rustcrypto::{open_in_place, seal_in_place};

/// Splits an envelope `version || nonce || ciphertext || tag` into its
/// nonce, the range of its ciphertext and its tag (both versions share this
/// layout), or `None` if it is too short to have them.
pub(crate) fn split_envelope(
    envelope: &[u8],
) -> Option<([u8; NONCE_LEN], std::ops::Range<usize>, [u8; TAG_LEN])> {
    let header_len = 1 + NONCE_LEN;
    let tag_start = envelope.len().checked_sub(TAG_LEN)?;
    if tag_start < header_len {
        return None;
    }
    let nonce = envelope.get(1..header_len)?.try_into().ok()?;
    let tag = envelope.get(tag_start..)?.try_into().ok()?;
    Some((nonce, header_len..tag_start, tag))
}

#[cfg(all(test, feature = "ring"))]
mod tests {
    use proptest::prelude::*;

    use super::{ring, rustcrypto};

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Both backends are AES-256-GCM: what one seals the other opens, and
        /// they produce the same bytes.
        #[test]
        fn backends_agree(
            key in any::<[u8; 32]>(),
            nonce in any::<[u8; 12]>(),
            aad in prop::collection::vec(any::<u8>(), 0..64),
            body in prop::collection::vec(any::<u8>(), 0..4096),
        ) {
            let (mut by_ring, mut by_rustcrypto) = (body.clone(), body.clone());
            let ring_tag = ring::seal_in_place(&key, nonce, &aad, &mut by_ring).unwrap();
            let rc_tag = rustcrypto::seal_in_place(&key, nonce, &aad, &mut by_rustcrypto).unwrap();
            prop_assert_eq!(&by_ring, &by_rustcrypto);
            prop_assert_eq!(ring_tag, rc_tag);
            rustcrypto::open_in_place(&key, nonce, &aad, &mut by_ring, &ring_tag).unwrap();
            ring::open_in_place(&key, nonce, &aad, &mut by_rustcrypto, &rc_tag).unwrap();
            prop_assert_eq!(&by_ring, &body);
            prop_assert_eq!(&by_rustcrypto, &body);
        }

        /// A flipped tag bit fails in both.
        #[test]
        fn both_reject_a_bad_tag(key in any::<[u8; 32]>(), bit in 0usize..128) {
            let mut body = vec![7u8; 100];
            let mut tag = ring::seal_in_place(&key, [0; 12], b"", &mut body).unwrap();
            tag[bit / 8] ^= 1 << (bit % 8);
            let mut copy = body.clone();
            prop_assert!(ring::open_in_place(&key, [0; 12], b"", &mut body, &tag).is_err());
            prop_assert!(rustcrypto::open_in_place(&key, [0; 12], b"", &mut copy, &tag).is_err());
        }
    }
}
