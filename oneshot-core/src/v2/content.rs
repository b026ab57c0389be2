//! What a v2 envelope carries besides the body (FORMAT-v2 §4): its kind, and
//! for a file its name and media type.
//!
//! ```text
//! content = kind || u8 len(name) || name || u8 len(media_type) || media_type || body
//! ```

use std::fmt;

use zeroize::Zeroizing;

use crate::error::{ContentError, OpenError};
use crate::format::v2::{
    CONTENT_HEADER_LEN, DEFAULT_MEDIA_TYPE, KIND_FILE, KIND_TEXT, MAX_MEDIA_TYPE_LEN, MAX_NAME_LEN,
    MEDIA_TYPE_BYTES, MIN_NAME_LEN, NAME_BIDI_CONTROLS, NAME_CONTROLS, NAME_RESERVED,
    NAME_SEPARATORS,
};

/// What a secret is: a text, or a file with a name and a media type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Kind {
    /// A text (kind byte 0). Its body is meant to be UTF-8, which the format
    /// does not check.
    Text,
    /// A file (kind byte 1), with a name and a media type.
    File,
}

impl Kind {
    /// The kind byte.
    pub const fn byte(self) -> u8 {
        match self {
            Self::Text => KIND_TEXT,
            Self::File => KIND_FILE,
        }
    }

    /// The kind a kind byte names, if version 2 defines it.
    pub const fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            KIND_TEXT => Some(Self::Text),
            KIND_FILE => Some(Self::File),
            _ => None,
        }
    }
}

/// The kind of a secret and, for a file, its name and media type: everything
/// in the encrypted content except the body.
///
/// A text has neither name nor media type. A file's name is 1 to 255 bytes of
/// UTF-8 without `/`, `\`, controls or bidirectional controls, and is not `.`
/// or `..`; its media type is 0 to 255 bytes of printable ASCII without
/// spaces, empty meaning `application/octet-stream`. A client that writes a
/// file to disk uses the name only as a suggestion, never as a path.
///
/// The name and media type are encrypted in the envelope, so they are treated
/// like the body: zeroized on drop and redacted in `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct Content {
    kind: Kind,
    name: Zeroizing<String>,
    media_type: Zeroizing<String>,
}

impl Content {
    /// A text.
    pub fn text() -> Self {
        Self {
            kind: Kind::Text,
            name: Zeroizing::new(String::new()),
            media_type: Zeroizing::new(String::new()),
        }
    }

    /// A file called `name` of `media_type` (which may be empty, meaning
    /// `application/octet-stream`), checked as FORMAT-v2 §4 says.
    pub fn file(name: &str, media_type: &str) -> Result<Self, ContentError> {
        validate_name(name)?;
        validate_media_type(media_type)?;
        Ok(Self {
            kind: Kind::File,
            name: Zeroizing::new(name.to_owned()),
            media_type: Zeroizing::new(media_type.to_owned()),
        })
    }

    /// Text or file.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The file's name; `None` for a text.
    pub fn name(&self) -> Option<&str> {
        match self.kind {
            Kind::File => Some(&self.name),
            Kind::Text => None,
        }
    }

    /// The media type as the envelope carries it: empty for a text, and
    /// possibly empty for a file. See [`Content::effective_media_type`].
    pub fn media_type(&self) -> &str {
        &self.media_type
    }

    /// The file's media type, `application/octet-stream` when it is empty;
    /// `None` for a text.
    pub fn effective_media_type(&self) -> Option<&str> {
        match self.kind {
            Kind::File if self.media_type.is_empty() => Some(DEFAULT_MEDIA_TYPE),
            Kind::File => Some(&self.media_type),
            Kind::Text => None,
        }
    }

    /// `len(content)` for a body of `body_len` bytes: the header, the name,
    /// the media type and the body. `None` if it does not fit in a `usize`.
    pub fn encoded_len(&self, body_len: usize) -> Option<usize> {
        CONTENT_HEADER_LEN
            .checked_add(self.name.len())?
            .checked_add(self.media_type.len())?
            .checked_add(body_len)
    }

    /// Appends everything before the body: kind, name length, name, media
    /// type length, media type.
    pub(crate) fn encode_header_into(&self, out: &mut Vec<u8>) {
        // Both lengths were checked to be at most 255 on construction.
        let name_len = u8::try_from(self.name.len()).unwrap_or(u8::MAX);
        let media_type_len = u8::try_from(self.media_type.len()).unwrap_or(u8::MAX);
        out.push(self.kind.byte());
        out.push(name_len);
        out.extend_from_slice(self.name.as_bytes());
        out.push(media_type_len);
        out.extend_from_slice(self.media_type.as_bytes());
    }

    /// Parses the content of a decrypted frame (FORMAT-v2 §5, step 6) into
    /// its metadata and the offset where the body starts.
    pub(crate) fn decode(content: &[u8]) -> Result<(Self, usize), OpenError> {
        let malformed = OpenError::Malformed;
        let [kind, name_len, rest @ ..] = content else {
            return Err(malformed("content shorter than its header"));
        };
        if rest.is_empty() {
            return Err(malformed("content shorter than its header"));
        }
        let kind = Kind::from_byte(*kind).ok_or(malformed("unknown content kind"))?;
        let name_len = usize::from(*name_len);
        let (name, rest) = rest
            .split_at_checked(name_len)
            .ok_or(malformed("name longer than the content"))?;
        let [media_type_len, rest @ ..] = rest else {
            return Err(malformed("name longer than the content"));
        };
        let media_type_len = usize::from(*media_type_len);
        let media_type = rest
            .get(..media_type_len)
            .ok_or(malformed("media type longer than the content"))?;
        let (name, media_type) = match kind {
            Kind::Text if name_len != 0 || media_type_len != 0 => {
                return Err(malformed("text with a name or a media type"));
            }
            Kind::Text => ("", ""),
            Kind::File => {
                let name =
                    std::str::from_utf8(name).map_err(|_| malformed("file name is not UTF-8"))?;
                validate_name(name).map_err(|_| malformed("invalid file name"))?;
                check_media_type(media_type).map_err(|_| malformed("invalid media type"))?;
                // Printable ASCII, so always UTF-8.
                let media_type =
                    std::str::from_utf8(media_type).map_err(|_| malformed("invalid media type"))?;
                (name, media_type)
            }
        };
        let body_start = CONTENT_HEADER_LEN + name_len + media_type_len;
        let decoded = Self {
            kind,
            name: Zeroizing::new(name.to_owned()),
            media_type: Zeroizing::new(media_type.to_owned()),
        };
        Ok((decoded, body_start))
    }
}

impl fmt::Debug for Content {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Content");
        d.field("kind", &self.kind);
        if self.kind == Kind::File {
            d.field("name", &format_args!("[REDACTED]"));
            d.field("media_type", &format_args!("[REDACTED]"));
        }
        d.finish()
    }
}

/// Checks a file name as FORMAT-v2 §4 says: 1 to 255 bytes, no `/` or `\`,
/// no control character (below U+0020, U+007F to U+009F), no bidirectional
/// control (U+061C, U+200E, U+200F, U+202A to U+202E, U+2066 to U+2069), not
/// `.` or `..`.
pub fn validate_name(name: &str) -> Result<(), ContentError> {
    if !(MIN_NAME_LEN..=MAX_NAME_LEN).contains(&name.len()) {
        return Err(ContentError::NameLength);
    }
    let forbidden = |c: char| {
        NAME_SEPARATORS.contains(&c)
            || NAME_CONTROLS.iter().any(|r| r.contains(&c))
            || NAME_BIDI_CONTROLS.iter().any(|r| r.contains(&c))
    };
    if name.chars().any(forbidden) {
        return Err(ContentError::NameCharacter);
    }
    if NAME_RESERVED.contains(&name) {
        return Err(ContentError::NameReserved);
    }
    Ok(())
}

/// Checks a media type as FORMAT-v2 §4 says: at most 255 bytes, each
/// printable ASCII without space (0x21 to 0x7E). Empty is valid (it means
/// `application/octet-stream`).
pub fn validate_media_type(media_type: &str) -> Result<(), ContentError> {
    check_media_type(media_type.as_bytes())
}

/// [`validate_media_type`] on bytes, as they come out of a frame.
fn check_media_type(media_type: &[u8]) -> Result<(), ContentError> {
    if media_type.len() > MAX_MEDIA_TYPE_LEN {
        return Err(ContentError::MediaTypeLength);
    }
    if !media_type.iter().all(|b| MEDIA_TYPE_BYTES.contains(b)) {
        return Err(ContentError::MediaTypeCharacter);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(content: &Content, body: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        content.encode_header_into(&mut out);
        out.extend_from_slice(body);
        assert_eq!(Some(out.len()), content.encoded_len(body.len()));
        out
    }

    #[test]
    fn text_and_file_round_trip() {
        for content in [
            Content::text(),
            Content::file("a.txt", "").unwrap(),
            Content::file(&"é".repeat(127), &"x".repeat(255)).unwrap(),
        ] {
            let encoded = encode(&content, b"body");
            let (decoded, start) = Content::decode(&encoded).unwrap();
            assert_eq!(decoded, content);
            assert_eq!(&encoded[start..], b"body");
        }
        assert_eq!(encode(&Content::text(), b""), [0, 0, 0]);
    }

    #[test]
    fn names_and_media_types_are_checked() {
        for (name, err) in [
            ("", ContentError::NameLength),
            (&*"n".repeat(256), ContentError::NameLength),
            ("a/b", ContentError::NameCharacter),
            ("a\\b", ContentError::NameCharacter),
            ("a\u{0}b", ContentError::NameCharacter),
            ("a\u{1F}", ContentError::NameCharacter),
            ("a\u{7F}", ContentError::NameCharacter),
            ("a\u{9F}", ContentError::NameCharacter),
            ("evil\u{202E}gpj.exe", ContentError::NameCharacter),
            ("\u{061C}", ContentError::NameCharacter),
            ("\u{2069}", ContentError::NameCharacter),
            (".", ContentError::NameReserved),
            ("..", ContentError::NameReserved),
        ] {
            assert_eq!(Content::file(name, "").unwrap_err(), err, "{name:?}");
        }
        for ok in [
            "...", ".a", "a ", " ", "\u{A0}", "\u{2065}", "\u{206A}", "\u{202F}",
        ] {
            assert!(Content::file(ok, "").is_ok(), "{ok:?}");
        }
        assert_eq!(
            Content::file("a", "text/plain; charset=utf-8").unwrap_err(),
            ContentError::MediaTypeCharacter
        );
        assert_eq!(
            Content::file("a", &"x".repeat(256)).unwrap_err(),
            ContentError::MediaTypeLength
        );
        assert_eq!(
            Content::file("a", "").unwrap().effective_media_type(),
            Some(DEFAULT_MEDIA_TYPE)
        );
        assert_eq!(Content::text().effective_media_type(), None);
    }

    #[test]
    fn decode_rejects_every_malformed_shape() {
        for bad in [
            &[][..],
            &[0],
            &[0, 0],
            &[2, 0, 0],
            &[0, 1, b'a', 0],
            &[0, 0, 1, b'a'],
            &[1, 0, 0],
            &[1, 2, b'a'],
            &[1, 1, b'a'],
            &[1, 1, b'a', 1],
            &[1, 1, 0xff, 0],
            &[1, 1, b'a', 1, b' '],
        ] {
            assert!(Content::decode(bad).is_err(), "{bad:?}");
        }
        let (file, start) = Content::decode(&[1, 1, b'a', 0]).unwrap();
        assert_eq!((file.name(), file.media_type(), start), (Some("a"), "", 4));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2048))]

        #[test]
        fn decode_never_panics_and_accepts_only_canonical(
            content in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600),
        ) {
            check_decode(&content)?;
        }

        #[test]
        fn decode_never_panics_on_well_shaped_content(
            kind in 0u8..3,
            name in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..20),
            name_len_delta in -2i16..3,
            media_type in proptest::collection::vec(0x1fu8..0x81, 0..20),
            media_type_len_delta in -2i16..3,
            body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..8),
        ) {
            // Mostly consistent lengths, sometimes off by a little.
            let off = |len: usize, delta: i16| (len as i16 + delta).clamp(0, 255) as u8;
            let mut content = vec![kind, off(name.len(), name_len_delta)];
            content.extend_from_slice(&name);
            content.push(off(media_type.len(), media_type_len_delta));
            content.extend_from_slice(&media_type);
            content.extend_from_slice(&body);
            check_decode(&content)?;
        }
    }

    /// Decoding never panics, and what it accepts re-encodes to the same bytes.
    fn check_decode(content: &[u8]) -> Result<(), proptest::test_runner::TestCaseError> {
        if let Ok((decoded, start)) = Content::decode(content) {
            let mut header = Vec::new();
            decoded.encode_header_into(&mut header);
            proptest::prop_assert_eq!(&header[..], &content[..start]);
            proptest::prop_assert_eq!(decoded.kind() == Kind::Text, content[0] == 0);
        }
        Ok(())
    }

    #[test]
    fn debug_redacts_the_name() {
        let file = Content::file("payroll.xlsx", "application/vnd.ms-excel").unwrap();
        let shown = format!("{file:?}");
        assert!(
            !shown.contains("payroll") && !shown.contains("excel"),
            "{shown}"
        );
    }
}
