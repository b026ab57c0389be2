//! Sealing and opening v2 envelopes (FORMAT-v2 §3–5).
//!
//! ```text
//! envelope = 0x02 || nonce || AES-256-GCM-Encrypt(enc_key, nonce, frame, aad)
//! aad      = "oneshot/v2" || 0x02 || flags || id
//! frame    = u32_be(len(content)) || content || zero bytes
//! ```

use std::fmt;
use std::ops::Range;

use zeroize::{Zeroize, Zeroizing};

use crate::aead::{open_in_place, seal_in_place, split_envelope};
use crate::error::{OpenError, OpenV2Error, SealError, SealV2Error};
use crate::format::v2::{
    AAD_LEN, AAD_PREFIX, FRAME_BLOCK, FRAME_LEN_PREFIX, HEADER_LEN, MAX_CONTENT_LEN,
    MIN_ENVELOPE_LEN, NONCE_LEN, OVERHEAD, VERSION,
};
use crate::id::SecretId;
use crate::plaintext::Plaintext;
use crate::random::fill_random;
use crate::v2::content::{Content, Kind};
use crate::v2::derive::{Derived, check_passphrase};
use crate::v2::key::{Flags, SecretKey};
use crate::v2::padding::frame_len;
use crate::v2::passphrase::Passphrase;

/// The exact length of the v2 envelope for `content_len` bytes of content
/// (see [`Content::encoded_len`]), or `None` if the format cannot carry that
/// much.
///
/// Servers use it to bound the envelopes they accept.
pub fn envelope_len(content_len: usize) -> Option<usize> {
    if content_len as u64 > MAX_CONTENT_LEN {
        return None;
    }
    frame_len(content_len.checked_add(FRAME_LEN_PREFIX)?)?.checked_add(OVERHEAD)
}

fn aad(flags: Flags, id: &SecretId) -> [u8; AAD_LEN] {
    let mut aad = [0u8; AAD_LEN];
    let (prefix, rest) = aad.split_at_mut(AAD_PREFIX.len());
    prefix.copy_from_slice(AAD_PREFIX);
    if let [version, flags_byte, id_part @ ..] = rest {
        *version = VERSION;
        *flags_byte = flags.bits();
        id_part.copy_from_slice(id.as_bytes());
    }
    aad
}

/// Encrypts `content` and `body` for the holder of `key`, and of the
/// passphrase when the key's flags say it has one, with a fresh random nonce.
///
/// The result is the complete envelope to store under `key.id()`. A
/// passphrase that does not fit the flags is [`SealV2Error::Passphrase`],
/// checked before anything is derived; with a passphrase, this runs PBKDF2.
pub fn seal(
    key: &SecretKey,
    passphrase: Option<&Passphrase>,
    content: &Content,
    body: &[u8],
) -> Result<Vec<u8>, SealV2Error> {
    // The cheap checks first, so nothing pays for PBKDF2 to be refused.
    check_passphrase(key.flags(), passphrase)?;
    sealed_len(content, body)?;
    let mut nonce = [0u8; NONCE_LEN];
    fill_random(&mut nonce)?;
    Ok(seal_derived(
        &key.derive(passphrase)?,
        content,
        body,
        nonce,
    )?)
}

/// [`seal`] with a caller-chosen nonce. Reusing a nonce under one key breaks
/// AES-GCM, so this stays private to the crate and its known-answer tests.
#[cfg(test)]
pub(crate) fn seal_with_nonce(
    key: &SecretKey,
    passphrase: Option<&Passphrase>,
    content: &Content,
    body: &[u8],
    nonce: [u8; NONCE_LEN],
) -> Result<Vec<u8>, SealV2Error> {
    Ok(seal_derived(
        &key.derive(passphrase)?,
        content,
        body,
        nonce,
    )?)
}

/// The content length (as the frame declares it), frame length and envelope
/// length for `content` and `body`.
fn sealed_len(content: &Content, body: &[u8]) -> Result<(u32, usize, usize), SealError> {
    let too_large = || SealError::BodyTooLarge { size: body.len() };
    let content_len = content.encoded_len(body.len()).ok_or_else(too_large)?;
    let declared = u32::try_from(content_len).map_err(|_| too_large())?;
    let total = envelope_len(content_len).ok_or_else(too_large)?;
    Ok((declared, total - OVERHEAD, total))
}

/// Sealing with the derivations already done, so a caller that also needs
/// the id, the claim or the proof runs PBKDF2 once.
pub(crate) fn seal_derived(
    derived: &Derived,
    content: &Content,
    body: &[u8],
    nonce: [u8; NONCE_LEN],
) -> Result<Vec<u8>, SealError> {
    let (declared, frame_len, total) = sealed_len(content, body)?;

    // One allocation: header, frame (encrypted in place), tag.
    let mut out = Vec::with_capacity(total);
    out.push(VERSION);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&declared.to_be_bytes());
    content.encode_header_into(&mut out);
    out.extend_from_slice(body);
    out.resize(HEADER_LEN + frame_len, 0);

    let Some(frame) = out.get_mut(HEADER_LEN..) else {
        out.zeroize();
        return Err(SealError::BodyTooLarge { size: body.len() });
    };
    match seal_in_place(
        &derived.enc_key,
        nonce,
        &aad(derived.flags, &derived.id),
        frame,
    ) {
        Ok(tag) => {
            out.extend_from_slice(&tag);
            Ok(out)
        }
        Err(_) => {
            // The buffer still holds the plaintext frame.
            out.zeroize();
            Err(SealError::BodyTooLarge { size: body.len() })
        }
    }
}

/// Checks the parts of a v2 envelope that need no key (FORMAT-v2 §5, steps
/// 1–3): at least 285 bytes, version byte 2, `(len - 29) % 256 == 0`.
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

/// A v2 envelope opened: the content's kind, name and media type, and the
/// body, zeroized on drop.
#[derive(Clone)]
pub struct Opened {
    content: Content,
    body: Plaintext,
}

impl Opened {
    /// What a reveal of a v1 secret gives: a text, as v1 knows no files.
    pub(crate) fn v1_text(body: Plaintext) -> Self {
        Self {
            content: Content::text(),
            body,
        }
    }

    /// The kind, name and media type.
    pub fn content(&self) -> &Content {
        &self.content
    }

    /// Text or file.
    pub fn kind(&self) -> Kind {
        self.content.kind()
    }

    /// The file's name; `None` for a text. A suggestion, never a path.
    pub fn name(&self) -> Option<&str> {
        self.content.name()
    }

    /// The media type as carried: empty for a text, possibly empty for a file.
    pub fn media_type(&self) -> &str {
        self.content.media_type()
    }

    /// The file's media type, `application/octet-stream` when it is empty;
    /// `None` for a text.
    pub fn effective_media_type(&self) -> Option<&str> {
        self.content.effective_media_type()
    }

    /// The body.
    pub fn body(&self) -> &[u8] {
        self.body.as_slice()
    }

    /// The body, zeroized on drop.
    pub fn into_body(self) -> Plaintext {
        self.body
    }

    /// The content and the body.
    pub fn into_parts(self) -> (Content, Plaintext) {
        (self.content, self.body)
    }
}

impl fmt::Debug for Opened {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Opened")
            .field("content", &self.content)
            .field("body", &format_args!("[REDACTED]"))
            .finish()
    }
}

/// Opens a v2 envelope with `key`, and the passphrase when the key's flags
/// say it has one.
///
/// A passphrase that does not fit the flags is [`OpenV2Error::Passphrase`],
/// before the envelope is looked at or anything derived. Then the checks of
/// FORMAT-v2 §5 run in its order, each failure an [`OpenV2Error::Envelope`]:
/// shape (malformed, unsupported version), then derivation (PBKDF2 with a
/// passphrase) and decryption (a wrong passphrase, a wrong key or any
/// altered byte is [`OpenError::DecryptionFailed`]), then frame and content
/// (malformed). Nothing here panics on any input.
pub fn open(
    key: &SecretKey,
    passphrase: Option<&Passphrase>,
    envelope: &[u8],
) -> Result<Opened, OpenV2Error> {
    check_passphrase(key.flags(), passphrase)?;
    // Steps 1–3 before PBKDF2, so a malformed envelope costs nothing.
    validate_envelope(envelope)?;
    Ok(open_derived(&key.derive(passphrase)?, envelope)?)
}

/// Opening with the derivations already done (see [`seal_derived`]).
pub(crate) fn open_derived(derived: &Derived, envelope: &[u8]) -> Result<Opened, OpenError> {
    validate_envelope(envelope)?;
    open_owned(derived, envelope.to_vec())
}

/// Opens an envelope the caller owns (a take's result) in its own buffer:
/// decrypted in place and cut down to the body, with no copy of the
/// ciphertext. The buffer is wiped on drop whatever happens.
pub(crate) fn open_owned(derived: &Derived, envelope: Vec<u8>) -> Result<Opened, OpenError> {
    let mut buf = Zeroizing::new(envelope);
    validate_envelope(&buf)?;
    let (nonce, ciphertext, tag) = split_envelope(&buf).ok_or(OpenError::Malformed("truncated"))?;
    let frame = buf
        .get_mut(ciphertext.clone())
        .ok_or(OpenError::Malformed("truncated"))?;
    let aad = aad(derived.flags, &derived.id);
    open_in_place(&derived.enc_key, nonce, &aad, frame, &tag)
        .map_err(|_| OpenError::DecryptionFailed)?;
    unframe(buf, ciphertext)
}

/// Checks the decrypted frame (§5 step 5) and its content (step 6), and
/// strips the frame down to the body in place.
pub(crate) fn unframe(buf: Zeroizing<Vec<u8>>, frame: Range<usize>) -> Result<Opened, OpenError> {
    let short = OpenError::Malformed("frame shorter than its length prefix");
    let frame_bytes = buf.get(frame.clone()).ok_or(short.clone())?;
    let declared = frame_bytes
        .first_chunk::<FRAME_LEN_PREFIX>()
        .map(|prefix| u32::from_be_bytes(*prefix))
        .ok_or(short.clone())?;
    let content_end = usize::try_from(declared)
        .ok()
        .and_then(|declared| declared.checked_add(FRAME_LEN_PREFIX))
        .filter(|&end| end <= frame_bytes.len())
        .ok_or(OpenError::Malformed("declared length exceeds the frame"))?;
    if frame_len(content_end) != Some(frame_bytes.len()) {
        return Err(OpenError::Malformed("frame is not the padded length"));
    }
    let padding = frame_bytes.get(content_end..).ok_or(short.clone())?;
    if padding.iter().any(|&b| b != 0) {
        return Err(OpenError::Malformed("nonzero padding"));
    }
    let encoded = frame_bytes
        .get(FRAME_LEN_PREFIX..content_end)
        .ok_or(short)?;
    let (content, body_start) = Content::decode(encoded)?;
    let body_start = FRAME_LEN_PREFIX + body_start;
    if body_start > content_end {
        return Err(OpenError::Malformed("content shorter than its header"));
    }
    let body = Plaintext::within(buf, frame.start + body_start..frame.start + content_end)
        .ok_or(OpenError::Malformed("declared length exceeds the frame"))?;
    Ok(Opened { content, body })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use zeroize::Zeroizing;

    use super::unframe;
    use crate::v2::content::Content;
    use crate::v2::padding::frame_len;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1024))]

        #[test]
        fn unframe_never_panics_on_arbitrary_frames(frame in prop::collection::vec(any::<u8>(), 0..1300)) {
            let len = frame.len();
            let _ = unframe(Zeroizing::new(frame), 0..len);
        }

        #[test]
        fn unframe_checks_well_shaped_frames(
            content in prop::collection::vec(any::<u8>(), 0..700),
            declared_delta in -3i64..4,
            extra_blocks in 0usize..2,
            dirty in prop::option::weighted(0.2, any::<prop::sample::Index>()),
        ) {
            // A frame as a sealer makes it, then sometimes a wrong length,
            // a longer frame or a nonzero padding byte.
            let n = 4 + content.len();
            let len = frame_len(n).unwrap() + 256 * extra_blocks;
            let declared = (content.len() as i64 + declared_delta).max(0) as u32;
            let mut frame = declared.to_be_bytes().to_vec();
            frame.extend_from_slice(&content);
            frame.resize(len, 0);
            let mut padding_dirty = false;
            if let Some(at) = dirty.filter(|_| len > n) {
                let at = n + at.index(len - n);
                padding_dirty = frame[at] == 0;
                frame[at] |= 1;
            }
            let sent = frame.clone();
            let len = frame.len();
            let result = unframe(Zeroizing::new(frame), 0..len);
            if declared_delta == 0 && extra_blocks == 0 && !padding_dirty {
                // As sealed: it opens exactly when its content decodes.
                let expected = Content::decode(&content);
                prop_assert_eq!(result.is_ok(), expected.is_ok());
                if let (Ok(opened), Ok((decoded, start))) = (&result, &expected) {
                    prop_assert_eq!(opened.content(), decoded);
                    prop_assert_eq!(opened.body(), &content[*start..]);
                }
            }
            if result.is_ok() {
                // Whatever opens is minimal for its declared length and zero-padded.
                let end = 4 + declared as usize;
                prop_assert!(end <= len && frame_len(end) == Some(len));
                prop_assert!(sent[end..].iter().all(|&b| b == 0));
            }
        }
    }
}
