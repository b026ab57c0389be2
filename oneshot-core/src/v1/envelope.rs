//! Sealing and opening v1 envelopes (FORMAT-v1 §3–5).

use zeroize::{Zeroize, Zeroizing};

use crate::aead::{open_in_place, seal_in_place, split_envelope};
use crate::error::{OpenError, SealError};
use crate::format::v1::{
    AAD_LEN, AAD_PREFIX, FRAME_BLOCK, FRAME_LEN_PREFIX, HEADER_LEN, MAX_BODY_LEN, MIN_ENVELOPE_LEN,
    NONCE_LEN, OVERHEAD, VERSION,
};
use crate::id::SecretId;
use crate::plaintext::Plaintext;
use crate::random::fill_random;
use crate::v1::key::{Derived, SecretKey};

/// The length of the padded frame for a body of `body_len` bytes, or `None` if
/// the format cannot carry such a body.
fn frame_len(body_len: usize) -> Option<usize> {
    if body_len as u64 > MAX_BODY_LEN {
        return None;
    }
    body_len
        .checked_add(FRAME_LEN_PREFIX)?
        .checked_next_multiple_of(FRAME_BLOCK)
}

/// The exact length of the v1 envelope that sealing a body of `body_len` bytes
/// produces, or `None` if the format cannot carry such a body.
///
/// Servers use it to bound the envelopes they accept.
pub fn envelope_len(body_len: usize) -> Option<usize> {
    frame_len(body_len)?.checked_add(OVERHEAD)
}

fn aad(id: &SecretId) -> [u8; AAD_LEN] {
    let mut aad = [0u8; AAD_LEN];
    let (prefix, rest) = aad.split_at_mut(AAD_PREFIX.len());
    prefix.copy_from_slice(AAD_PREFIX);
    let (version, id_part) = rest.split_at_mut(1);
    version.copy_from_slice(&[VERSION]);
    id_part.copy_from_slice(id.as_bytes());
    aad
}

/// Encrypts `body` for the holder of the v1 `key`, with a fresh random nonce.
///
/// The result is the complete envelope to store under `key.id()`.
pub fn seal(key: &SecretKey, body: &[u8]) -> Result<Vec<u8>, SealError> {
    let mut nonce = [0u8; NONCE_LEN];
    fill_random(&mut nonce)?;
    seal_with_nonce(key, body, nonce)
}

/// [`seal`] with a caller-chosen nonce. Reusing a nonce under one key breaks
/// AES-GCM, so this stays private to the crate and its known-answer tests.
pub(crate) fn seal_with_nonce(
    key: &SecretKey,
    body: &[u8],
    nonce: [u8; NONCE_LEN],
) -> Result<Vec<u8>, SealError> {
    seal_derived(&key.derive(), body, nonce)
}

/// Sealing with the derivations already done, so a caller that also needs the
/// id (the facade) runs HKDF once, not twice.
pub(crate) fn seal_derived(
    derived: &Derived,
    body: &[u8],
    nonce: [u8; NONCE_LEN],
) -> Result<Vec<u8>, SealError> {
    let too_large = || SealError::BodyTooLarge { size: body.len() };
    let frame_len = frame_len(body.len()).ok_or_else(too_large)?;
    let total = frame_len.checked_add(OVERHEAD).ok_or_else(too_large)?;
    let declared = u32::try_from(body.len()).map_err(|_| too_large())?;

    // One allocation: header, frame (encrypted in place), tag.
    let mut out = Vec::with_capacity(total);
    out.push(VERSION);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&declared.to_be_bytes());
    out.extend_from_slice(body);
    out.resize(HEADER_LEN + frame_len, 0);

    let Some(frame) = out.get_mut(HEADER_LEN..) else {
        return Err(too_large());
    };
    match seal_in_place(&derived.enc_key.0, nonce, &aad(&derived.id), frame) {
        Ok(tag) => {
            out.extend_from_slice(&tag);
            Ok(out)
        }
        Err(_) => {
            // The buffer still holds the plaintext frame.
            out.zeroize();
            Err(too_large())
        }
    }
}

/// Checks the parts of a v1 envelope that need no key (FORMAT-v1 §5, steps
/// 1–3): minimum length, version byte, length on a frame boundary.
///
/// Any other version byte is [`OpenError::UnsupportedVersion`]; the
/// version-neutral check for servers is [`crate::validate_envelope`].
pub(crate) fn validate_envelope(envelope: &[u8]) -> Result<(), OpenError> {
    if envelope.len() < MIN_ENVELOPE_LEN {
        return Err(OpenError::Malformed("shorter than the minimum envelope"));
    }
    match envelope.first() {
        Some(&VERSION) => {}
        Some(&other) => return Err(OpenError::UnsupportedVersion(other)),
        None => return Err(OpenError::Malformed("empty")),
    }
    if !(envelope.len() - OVERHEAD).is_multiple_of(FRAME_BLOCK) {
        return Err(OpenError::Malformed("length is not on a frame boundary"));
    }
    Ok(())
}

/// Decrypts a v1 envelope with `key` and returns the body, zeroized on drop.
///
/// Checks run in the order FORMAT-v1 §5 prescribes; nothing here panics on any
/// input.
pub fn open(key: &SecretKey, envelope: &[u8]) -> Result<Plaintext, OpenError> {
    open_derived(&key.derive(), envelope)
}

/// Opening with the derivations already done (see [`seal_derived`]).
pub(crate) fn open_derived(derived: &Derived, envelope: &[u8]) -> Result<Plaintext, OpenError> {
    validate_envelope(envelope)?;
    open_owned(derived, envelope.to_vec())
}

/// Opens an envelope the caller owns (a take's result) in its own buffer:
/// decrypted in place and cut down to the body, with no copy of the
/// ciphertext. The buffer is wiped on drop whatever happens.
pub(crate) fn open_owned(derived: &Derived, envelope: Vec<u8>) -> Result<Plaintext, OpenError> {
    let mut buf = Zeroizing::new(envelope);
    validate_envelope(&buf)?;
    let (nonce, ciphertext, tag) = split_envelope(&buf).ok_or(OpenError::Malformed("truncated"))?;
    let frame = buf
        .get_mut(ciphertext.clone())
        .ok_or(OpenError::Malformed("truncated"))?;
    open_in_place(&derived.enc_key.0, nonce, &aad(&derived.id), frame, &tag)
        .map_err(|_| OpenError::DecryptionFailed)?;
    unframe(buf, ciphertext)
}

/// Checks the decrypted frame at `frame` inside `buf`; the body stays where
/// it is (no move, no copy).
pub(crate) fn unframe(
    buf: Zeroizing<Vec<u8>>,
    frame: std::ops::Range<usize>,
) -> Result<Plaintext, OpenError> {
    let short = OpenError::Malformed("frame shorter than its length prefix");
    let frame_bytes = buf.get(frame.clone()).ok_or(short.clone())?;
    let (prefix, rest) = frame_bytes
        .split_at_checked(FRAME_LEN_PREFIX)
        .ok_or(short.clone())?;
    let declared = u32::from_be_bytes(prefix.try_into().map_err(|_| short)?) as usize;
    let padding = rest
        .get(declared..)
        .ok_or(OpenError::Malformed("declared length exceeds the frame"))?;
    if frame_len(declared) != Some(frame_bytes.len()) {
        return Err(OpenError::Malformed(
            "frame is not the minimal padded length",
        ));
    }
    if padding.iter().any(|&b| b != 0) {
        return Err(OpenError::Malformed("nonzero padding"));
    }
    let body_start = frame.start + FRAME_LEN_PREFIX;
    Plaintext::within(buf, body_start..body_start + declared)
        .ok_or(OpenError::Malformed("declared length exceeds the frame"))
}
