//! What a server can check of an envelope without a key, whatever its version.

use crate::error::OpenError;
use crate::format::v1::MIN_ENVELOPE_LEN;
use crate::version::Version;
use crate::{v1, v2};

const _: () = assert!(MIN_ENVELOPE_LEN == crate::format::v2::MIN_ENVELOPE_LEN);

/// The version an envelope's first byte names, if this crate speaks it.
/// Checks nothing else; see [`validate_envelope`].
pub fn envelope_version(envelope: &[u8]) -> Option<Version> {
    envelope.first().copied().and_then(Version::from_byte)
}

/// Checks the parts of an envelope that need no key: steps 1–3 of §5 of the
/// format version that its first byte names (v1 and v2 alike: at least 285
/// bytes, then a known version byte, then a length of 29 plus a whole number
/// of 256-byte blocks).
///
/// Servers that store envelopes made by clients call this before storing. An
/// envelope shorter than 285 bytes is [`OpenError::Malformed`] whatever its
/// first byte; a version byte this crate does not speak is
/// [`OpenError::UnsupportedVersion`].
pub fn validate_envelope(envelope: &[u8]) -> Result<(), OpenError> {
    if envelope.len() < MIN_ENVELOPE_LEN {
        return Err(OpenError::Malformed("shorter than the minimum envelope"));
    }
    match (envelope_version(envelope), envelope.first()) {
        (Some(Version::V1), _) => v1::envelope::validate_envelope(envelope),
        (Some(Version::V2), _) => v2::envelope::validate_envelope(envelope),
        (None, Some(&other)) => Err(OpenError::UnsupportedVersion(other)),
        (None, None) => Err(OpenError::Malformed("empty")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_version_has_its_shape() {
        let mut envelope = vec![1u8; 285];
        assert_eq!(validate_envelope(&envelope), Ok(()));
        assert_eq!(envelope_version(&envelope), Some(Version::V1));
        envelope[0] = 2;
        assert_eq!(validate_envelope(&envelope), Ok(()));
        assert_eq!(envelope_version(&envelope), Some(Version::V2));
        envelope[0] = 3;
        assert_eq!(
            validate_envelope(&envelope),
            Err(OpenError::UnsupportedVersion(3))
        );
        assert_eq!(envelope_version(&envelope), None);
        for version in [1, 2, 3] {
            let mut short = vec![version; 284];
            assert!(matches!(
                validate_envelope(&short),
                Err(OpenError::Malformed(_))
            ));
            short.resize(286, 0);
            short[0] = version;
            let expected = if version == 3 {
                OpenError::UnsupportedVersion(3)
            } else {
                OpenError::Malformed("length is not on a frame boundary")
            };
            assert_eq!(validate_envelope(&short), Err(expected));
        }
        assert!(matches!(
            validate_envelope(&[]),
            Err(OpenError::Malformed(_))
        ));
        assert_eq!(envelope_version(&[]), None);
    }
}
