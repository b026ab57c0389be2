//! The bodies of the fuzz targets (feature `fuzzing`). **Not part of the
//! API**: no stability promise, hidden from the docs, and no reason for any
//! other crate to enable the feature.
//!
//! Each function takes the raw bytes libFuzzer hands a target and panics if,
//! and only if, a property of the format code fails. They live here, inside
//! the crate, for two reasons:
//!
//! - the frame and content decoders, and sealing with a chosen nonce, are
//!   crate-private; the targets reach them through these wrappers only;
//! - the fuzz targets in `fuzz/` (run on nightly-style `cargo fuzz`) and the
//!   corpus replay in `tests/fuzz_corpus.rs` (run by `cargo test` on stable)
//!   call the very same bodies, so every committed input is checked by CI
//!   exactly as the fuzzer checked it.
//!
//! Inputs are read with [`Input`](crate::fuzzing::Input): missing bytes read as zero, so every byte
//! string is a valid input. `FUZZING.md` at the repository root describes
//! each target's input layout and how they were run.

// Panicking on a broken property is this module's whole purpose.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use zeroize::Zeroizing;

use crate::error::{OpenError, OpenV2Error, ParseError, PassphraseError, PassphraseMismatch};
use crate::fragment::fragment_of;
use crate::link::{self, LinkKey};
use crate::v2::{Content, Flags, Kind, Passphrase};
use crate::version::Version;
use crate::{
    Claim, PassphraseProof, PassphraseVerifier, ReceiptClaim, ReceiptVerifier, SecretId, v1, v2,
};

/// A fuzz target's body.
pub type Target = fn(&[u8]);

/// Every target's name (its directory under `fuzz/corpus/`) and body.
pub const TARGETS: [(&str, Target); 4] = [
    ("parse_link", parse_link),
    ("open_v1", open_v1),
    ("open_v2", open_v2),
    ("content_frame", content_frame),
];

/// A cursor over a fuzz input in which missing bytes read as zero, so that
/// every input, however short, decodes to some case.
#[derive(Debug, Clone)]
pub struct Input<'a>(&'a [u8]);

impl<'a> Input<'a> {
    /// A cursor at the start of `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Self(data)
    }

    /// The next byte, or 0 past the end.
    pub fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&first, rest)) => {
                self.0 = rest;
                first
            }
            None => 0,
        }
    }

    /// The next `N` bytes, zero-filled past the end.
    pub fn array<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        for b in &mut out {
            *b = self.byte();
        }
        out
    }

    /// The next big-endian `u16`.
    pub fn u16(&mut self) -> u16 {
        u16::from_be_bytes(self.array())
    }

    /// Up to `n` next bytes (fewer at the end).
    pub fn bytes(&mut self, n: usize) -> &'a [u8] {
        let (taken, rest) = self.0.split_at(n.min(self.0.len()));
        self.0 = rest;
        taken
    }

    /// Everything left.
    pub fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.0)
    }
}

// ---------------------------------------------------------------------------
// parse_link
// ---------------------------------------------------------------------------

/// Link and key parsing, both versions: [`link::parse_key`],
/// [`link::parse_receipt`], the keys' `FromStr`, [`SecretId`]'s `FromStr`,
/// [`Claim::from_b64u`], the verifiers', proofs' and receipt keys'
/// `from_b64u`, link building, [`Passphrase::new`] and the file name and
/// media type checks.
///
/// The input is taken as UTF-8 (lossily if it is not). Properties: nothing
/// panics; whatever a parser accepts re-encodes to exactly the text it was
/// given (the canonical form is the only one accepted); the parsers that
/// share a grammar agree; a built link parses back to its key; no parse
/// error repeats a long input.
pub fn parse_link(data: &[u8]) {
    match std::str::from_utf8(data) {
        Ok(text) => parse_text(text),
        Err(_) => parse_text(&String::from_utf8_lossy(data)),
    }
}

fn parse_text(text: &str) {
    let fragment = fragment_of(text);
    check_parse_key(text, fragment);
    check_parse_receipt(text, fragment);
    check_build_links(text);
    // The exact parsers, on the text as given and on what a link parser
    // would keep of it.
    check_exact_parsers(text);
    if fragment != text {
        check_exact_parsers(fragment);
    }
    check_passphrase(text);
    check_file_metadata(text);
}

/// A parse error never shows the input it refused. Checked for inputs of 8
/// bytes or more with a character no error message has (an upper-case
/// letter, `-` or `_`, as key material in base64url nearly always has), so
/// that an input copied out of a message is no false alarm.
fn check_error_hides(error: &ParseError, input: &str) {
    let foreign = |c: char| c.is_ascii_uppercase() || c == '-' || c == '_';
    if input.len() >= 8 && input.chars().any(foreign) {
        assert!(
            !error.to_string().contains(input),
            "a parse error repeats its input: {error}"
        );
    }
}

fn check_parse_key(text: &str, fragment: &str) {
    let parsed = link::parse_key(text);
    let as_v1 = text.parse::<v1::SecretKey>();
    let as_v2 = text.parse::<v2::SecretKey>();
    assert_eq!(
        text.parse::<LinkKey>(),
        parsed,
        "LinkKey::from_str is parse_key"
    );
    match &parsed {
        Ok(key) => {
            assert_eq!(
                &*key.to_fragment(),
                fragment,
                "parse_key accepted a fragment that is not canonical"
            );
            assert_eq!(link::parse_key(&key.to_fragment()).as_ref(), Ok(key));
            assert_eq!(key.claim().version(), key.version());
            assert_eq!(key.claim().id(), key.id());
            match key {
                LinkKey::V1(k) => {
                    assert_eq!(fragment.len(), crate::format::v1::KEY_B64U_LEN);
                    assert_eq!(as_v1.as_ref(), Ok(k));
                    assert!(as_v2.is_err());
                    assert!(!key.needs_passphrase());
                }
                LinkKey::V2(k) => {
                    assert_eq!(fragment.len(), crate::format::v2::FRAGMENT_B64U_LEN);
                    assert_eq!(as_v2.as_ref(), Ok(k));
                    assert!(as_v1.is_err());
                    assert_eq!(key.needs_passphrase(), k.flags().needs_passphrase());
                    assert_eq!(Flags::from_bits(k.flags().bits()), Some(k.flags()));
                }
            }
            let link = link::build_link("https://oneshot.example/s", key).expect("a valid base");
            assert_eq!(link::parse_key(&link).as_ref(), Ok(key));
        }
        Err(error) => {
            check_error_hides(error, fragment);
            assert!(as_v1.is_err() && as_v2.is_err());
            // The version parser for the fragment's length fails the same way.
            match fragment.len() {
                crate::format::v1::KEY_B64U_LEN => assert_eq!(as_v1.as_ref().err(), Some(error)),
                crate::format::v2::FRAGMENT_B64U_LEN => {
                    assert_eq!(as_v2.as_ref().err(), Some(error));
                }
                _ => assert!(matches!(error, ParseError::KeyLength { .. })),
            }
        }
    }
}

fn check_parse_receipt(text: &str, fragment: &str) {
    match link::parse_receipt(text) {
        Ok((id, key)) => {
            assert_eq!(
                &*key.to_fragment(&id),
                fragment,
                "parse_receipt accepted a fragment that is not canonical"
            );
            let link = link::build_receipt_link("https://oneshot.example", &id, &key)
                .expect("a valid base");
            assert_eq!(link::parse_receipt(&link), Ok((id, key)));
        }
        Err(error) => check_error_hides(&error, fragment),
    }
}

/// The text as a link's base: if it is accepted, the link it makes parses
/// back to the key (and the receipt link to the id and receipt key).
fn check_build_links(base: &str) {
    let v1_key = v1::SecretKey::from_bytes([0x5a; 32]);
    let v2_key = v2::SecretKey::from_bytes([0xa5; 32], Flags::PASSPHRASE);
    for key in [LinkKey::V1(v1_key), LinkKey::V2(v2_key)] {
        if let Ok(link) = link::build_link(base, &key) {
            assert_eq!(link::parse_key(&link), Ok(key), "a built link parses back");
        }
    }
    let id = SecretId::from_bytes([0x3c; 16]);
    let receipt = v2::ReceiptKey::from_bytes([0xc3; 32]);
    if let Ok(link) = link::build_receipt_link(base, &id, &receipt) {
        assert_eq!(
            link::parse_receipt(&link),
            Ok((id, receipt)),
            "a built receipt link parses back"
        );
        assert!(link.contains("/r#"));
    }
}

/// Parsers that take exactly one canonical form (no trimming, no link).
fn check_exact_parsers(text: &str) {
    if let Ok(id) = text.parse::<SecretId>() {
        assert_eq!(
            id.to_string(),
            text,
            "SecretId accepted a non-canonical form"
        );
    }
    for version in [Version::V1, Version::V2] {
        match Claim::from_b64u(version, text) {
            Ok(claim) => {
                assert_eq!(
                    &*claim.to_b64u(),
                    text,
                    "Claim accepted a non-canonical form"
                );
                assert_eq!(claim.version(), version);
            }
            Err(error) => check_error_hides(&error, text),
        }
    }
    // Every 32-byte value shares one decoder; each must round-trip exactly.
    let accepted = [
        v1::SecretKey::from_b64u(text).map(|k| k.to_b64u().to_string()),
        PassphraseProof::from_b64u(text).map(|v| v.to_b64u().to_string()),
        ReceiptClaim::from_b64u(text).map(|v| v.to_b64u().to_string()),
        v2::ReceiptKey::from_b64u(text).map(|v| v.to_b64u().to_string()),
        PassphraseVerifier::from_b64u(text).map(|v| v.to_b64u()),
        ReceiptVerifier::from_b64u(text).map(|v| v.to_b64u()),
    ];
    let first_ok = accepted[0].is_ok();
    for result in &accepted {
        assert_eq!(result.is_ok(), first_ok, "the 32-byte parsers disagree");
        match result {
            Ok(encoded) => assert_eq!(encoded, text, "a 32-byte value is not canonical"),
            Err(error) => check_error_hides(error, text),
        }
    }
    match v2::SecretKey::from_fragment(text) {
        Ok(key) => assert_eq!(&*key.to_fragment(), text, "a v2 key is not canonical"),
        Err(error) => check_error_hides(&error, text),
    }
    if let Ok((id, key)) = v2::ReceiptKey::from_fragment(text) {
        assert_eq!(
            &*key.to_fragment(&id),
            text,
            "a receipt fragment is not canonical"
        );
    }
}

fn check_passphrase(text: &str) {
    match Passphrase::new(text) {
        Ok(passphrase) => {
            let nfc = std::str::from_utf8(passphrase.as_bytes()).expect("a passphrase is UTF-8");
            assert!((1..=crate::format::v2::PASSPHRASE_MAX_LEN).contains(&nfc.len()));
            // NFC is idempotent, so the normalised form is its own passphrase.
            let again = Passphrase::new(nfc).expect("a normalised passphrase is valid");
            assert_eq!(again.as_bytes(), passphrase.as_bytes(), "NFC is not stable");
        }
        Err(PassphraseError::Empty) => assert!(text.is_empty(), "only \"\" is empty"),
        Err(PassphraseError::TooLong) => assert!(!text.is_empty()),
    }
}

fn check_file_metadata(text: &str) {
    let name_ok = v2::validate_name(text).is_ok();
    let media_type_ok = v2::validate_media_type(text).is_ok();
    assert_eq!(Content::file(text, "").is_ok(), name_ok);
    assert_eq!(Content::file("a", text).is_ok(), media_type_ok);
    if let Ok(file) = Content::file(text, text) {
        assert_eq!(file.name(), Some(text));
        assert_eq!(file.kind(), Kind::File);
        // A file that validates encodes and decodes to itself.
        let mut encoded = Vec::new();
        file.encode_header_into(&mut encoded);
        let (decoded, start) = Content::decode(&encoded).expect("a valid file decodes");
        assert_eq!((decoded, start), (file, encoded.len()));
    }
}

// ---------------------------------------------------------------------------
// open_v1
// ---------------------------------------------------------------------------

/// [`v1::open`] with an arbitrary key on an arbitrary envelope, or on an
/// envelope sealed from the input and then altered.
///
/// Layout: `mode`, `K` (32 bytes), then with `mode & 1 == 0` the envelope;
/// with `mode & 1 == 1` a nonce (12 bytes), `(mode >> 1) & 3` alterations
/// (`u16` position, XOR byte), with `mode & 8` a length change (a signed
/// byte), then the body to seal.
///
/// Properties: nothing panics; [`crate::validate_envelope`] and
/// [`crate::envelope_version`] agree with `open`'s shape errors; an
/// envelope that opens is byte for byte what sealing its body with its
/// nonce gives (so no altered envelope ever opens); an unaltered one opens to
/// its body, and not under another key; the facade's in-place path agrees.
pub fn open_v1(data: &[u8]) {
    let mut input = Input::new(data);
    let mode = input.byte();
    let key = v1::SecretKey::from_bytes(input.array());
    if mode & 1 == 0 {
        let _ = check_v1_envelope(&key, input.rest());
        return;
    }
    let nonce = input.array::<12>();
    let alterations = alterations(&mut input, mode);
    let body = input.rest();

    let sealed = v1::envelope::seal_with_nonce(&key, body, nonce).expect("a small body seals");
    assert_eq!(Some(sealed.len()), v1::envelope_len(body.len()));
    assert_eq!(crate::validate_envelope(&sealed), Ok(()));
    assert_eq!(crate::envelope_version(&sealed), Some(Version::V1));
    let altered = alterations.apply(&sealed);
    let opened = check_v1_envelope(&key, &altered);
    if altered == sealed {
        assert_eq!(opened.as_deref(), Ok(body), "a sealed body opens");
        let mut other = *key.as_bytes();
        other[0] ^= 1;
        assert_eq!(
            v1::open(&v1::SecretKey::from_bytes(other), &sealed),
            Err(OpenError::DecryptionFailed),
            "another key opens nothing"
        );
    } else {
        assert!(opened.is_err(), "an altered envelope opened");
    }
}

/// Opens `envelope` with `key` and checks what the result says against
/// what the envelope is.
fn check_v1_envelope(key: &v1::SecretKey, envelope: &[u8]) -> Result<crate::Plaintext, OpenError> {
    let opened = v1::open(key, envelope);
    let owned = v1::envelope::open_owned(&key.derive(), envelope.to_vec());
    assert_eq!(owned, opened, "open_owned and open disagree");
    // The version-neutral check dispatches on the version byte; v1's open
    // refuses a v2 envelope of any shape once it is long enough to have one.
    let long_enough = envelope.len() >= crate::format::v1::MIN_ENVELOPE_LEN;
    match crate::validate_envelope(envelope) {
        _ if long_enough && crate::envelope_version(envelope) == Some(Version::V2) => {
            assert_eq!(opened, Err(OpenError::UnsupportedVersion(2)));
        }
        Err(shape) => assert_eq!(opened.as_ref().err(), Some(&shape), "shape errors differ"),
        Ok(()) => {
            assert_eq!(crate::envelope_version(envelope), Some(Version::V1));
            assert!(
                !matches!(opened, Err(OpenError::UnsupportedVersion(_))),
                "a v1 envelope of a valid shape is not unsupported"
            );
        }
    }
    if let Ok(body) = &opened {
        let nonce = envelope
            .get(1..13)
            .and_then(|n| n.try_into().ok())
            .expect("a nonce");
        let resealed = v1::envelope::seal_with_nonce(key, body, nonce).expect("it sealed once");
        assert_eq!(
            resealed, envelope,
            "an envelope opened that seal would not make"
        );
    }
    opened
}

/// Byte alterations and a length change, read from the input, to apply to a
/// sealed envelope.
struct Alterations {
    xors: Vec<(u16, u8)>,
    resize: Option<i8>,
}

fn alterations(input: &mut Input<'_>, mode: u8) -> Alterations {
    let count = (mode >> 1) & 3;
    let xors = (0..count).map(|_| (input.u16(), input.byte())).collect();
    let resize = (mode & 8 != 0).then(|| input.byte().cast_signed());
    Alterations { xors, resize }
}

impl Alterations {
    fn apply(&self, sealed: &[u8]) -> Vec<u8> {
        let mut out = sealed.to_vec();
        for &(position, xor) in &self.xors {
            let len = out.len();
            if let Some(b) = out.get_mut(usize::from(position) % len.max(1)) {
                *b ^= xor;
            }
        }
        match self.resize {
            Some(delta) if delta < 0 => {
                out.truncate(out.len().saturating_sub(usize::from(delta.unsigned_abs())));
            }
            Some(delta) => out.resize(out.len() + usize::from(delta.unsigned_abs()), 0),
            None => {}
        }
        out
    }
}

// ---------------------------------------------------------------------------
// open_v2
// ---------------------------------------------------------------------------

/// Whether an [`open_v2`] input carries a passphrase: when the FNV-1a hash
/// of the whole input is 0 modulo 256, so one input in 256 whatever the
/// fuzzer does (any mutation rehashes it; no comparison in the code gives
/// it a byte to aim at).
///
/// A passphrase costs PBKDF2's 600,000 rounds whenever the envelope gets
/// past the shape checks or is sealed: ~0.1 s natively, ~0.4 s in the
/// instrumented fuzz build. A flag byte would soon fill the corpus with such
/// inputs and run the target at a dozen executions a second.
pub fn open_v2_passphrase(data: &[u8]) -> bool {
    let hash = data.iter().fold(0x811c_9dc5_u32, |hash, &b| {
        (hash ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    hash % 256 == 0
}

/// [`v2::open`] with an arbitrary key, flags and (rarely) passphrase, on an
/// arbitrary envelope or on one sealed from the input and then altered.
///
/// Layout: `mode`, `l`, `K` (32 bytes); if [`open_v2_passphrase`] says so,
/// then `1 + l % 15` bytes of passphrase (lossy UTF-8). The flags have the
/// passphrase bit when there is a passphrase, flipped when `mode & 16` (a
/// mismatch, refused before any derivation). Then as in [`open_v1`]: with
/// `mode & 1 == 0` the envelope, else a nonce, the alterations, the content
/// (`c`: a file if `c & 1`, with a name and a media type of `n % 32` and
/// `m % 32` lossy bytes) and the body.
///
/// The sealed case with a passphrase derives once, and opens through the
/// crate-private path that [`v2::open`] ends in (after its passphrase and
/// shape checks) instead of running PBKDF2 again; every other case opens
/// with [`v2::open`] itself.
///
/// Properties: as for [`open_v1`], plus: a passphrase that does not fit the
/// flags is refused before the envelope is looked at; a sealed content and
/// body open to themselves.
pub fn open_v2(data: &[u8]) {
    let mut input = Input::new(data);
    let mode = input.byte();
    let len = input.byte();
    let k = input.array::<32>();
    let passphrase = if open_v2_passphrase(data) {
        let len = 1 + usize::from(len % 15);
        let text = String::from_utf8_lossy(input.bytes(len)).into_owned();
        let text = if text.is_empty() {
            "x".to_owned()
        } else {
            text
        };
        Some(Passphrase::new(&text).expect("a short non-empty text is a valid passphrase"))
    } else {
        None
    };
    let mismatch = mode & 16 != 0;
    let flags = if passphrase.is_some() != mismatch {
        Flags::PASSPHRASE
    } else {
        Flags::NONE
    };
    let key = v2::SecretKey::from_bytes(k, flags);
    let passphrase = passphrase.as_ref();

    if mismatch {
        // Refused before the envelope is looked at, whatever it is.
        let expected = if passphrase.is_some() {
            PassphraseMismatch::Unexpected
        } else {
            PassphraseMismatch::Required
        };
        let envelope = input.rest();
        assert_eq!(
            v2::open(&key, passphrase, envelope).err(),
            Some(OpenV2Error::Passphrase(expected))
        );
        return;
    }
    if mode & 1 == 0 {
        let _ = check_v2_envelope(&key, passphrase, None, input.rest());
        return;
    }

    let nonce = input.array::<12>();
    let alterations = alterations(&mut input, mode);
    let content = content_from(&mut input);
    let body = input.rest();

    let derived = key
        .derive(passphrase)
        .expect("the flags fit the passphrase");
    let sealed = v2::envelope::seal_derived(&derived, &content, body, nonce).expect("it seals");
    let content_len = content.encoded_len(body.len()).expect("small");
    assert_eq!(Some(sealed.len()), v2::envelope_len(content_len));
    assert_eq!(crate::validate_envelope(&sealed), Ok(()));
    assert_eq!(crate::envelope_version(&sealed), Some(Version::V2));
    let altered = alterations.apply(&sealed);
    let opened = check_v2_envelope(&key, passphrase, Some(&derived), &altered);
    if altered == sealed {
        let opened = opened.expect("a sealed envelope opens");
        assert_eq!(opened.content(), &content);
        assert_eq!(opened.body(), body);
        let mut other = k;
        other[31] ^= 0x80;
        let other = v2::SecretKey::from_bytes(other, Flags::NONE);
        assert_eq!(
            v2::open(&other, None, &sealed).err(),
            Some(OpenV2Error::Envelope(OpenError::DecryptionFailed)),
            "another key opens nothing"
        );
    } else {
        assert!(opened.is_err(), "an altered envelope opened");
    }
}

/// What an open gave, comparable.
fn view(opened: &Result<v2::Opened, OpenV2Error>) -> Result<(&Content, &[u8]), &OpenV2Error> {
    opened.as_ref().map(|o| (o.content(), o.body()))
}

/// A text or a file with lossy-UTF-8 name and media type; a file whose name
/// or media type does not validate is refused by [`Content::file`] exactly
/// when the validators say so, and replaced by a text.
fn content_from(input: &mut Input<'_>) -> Content {
    let c = input.byte();
    if c & 1 == 0 {
        return Content::text();
    }
    let name_len = usize::from(input.byte() % 32);
    let name = String::from_utf8_lossy(input.bytes(name_len)).into_owned();
    let media_type_len = usize::from(input.byte() % 32);
    let media_type = String::from_utf8_lossy(input.bytes(media_type_len)).into_owned();
    let valid = v2::validate_name(&name).is_ok() && v2::validate_media_type(&media_type).is_ok();
    match Content::file(&name, &media_type) {
        Ok(file) => {
            assert!(valid);
            file
        }
        Err(_) => {
            assert!(!valid);
            Content::text()
        }
    }
}

/// Opens `envelope` and checks the result against the envelope's shape.
/// With a passphrase and `derived` (the sealed case), opens through
/// [`v2::envelope::open_derived`] with the derivation already done, which is
/// what [`v2::open`] calls after its checks; otherwise through [`v2::open`].
fn check_v2_envelope(
    key: &v2::SecretKey,
    passphrase: Option<&Passphrase>,
    derived: Option<&v2::derive::Derived>,
    envelope: &[u8],
) -> Result<v2::Opened, OpenV2Error> {
    let opened = match (passphrase, derived) {
        (Some(_), Some(derived)) => {
            v2::envelope::open_derived(derived, envelope).map_err(OpenV2Error::Envelope)
        }
        _ => v2::open(key, passphrase, envelope),
    };
    // The facade's reveal opens in the taken buffer: the same result.
    let fresh_for_owned;
    let for_owned = match (derived, passphrase) {
        (Some(derived), _) => Some(derived),
        (None, None) => {
            fresh_for_owned = key.derive(None).expect("no passphrase, no flag");
            Some(&fresh_for_owned)
        }
        (None, Some(_)) => None,
    };
    if let Some(derived) = for_owned {
        let owned = v2::envelope::open_owned(derived, envelope.to_vec());
        assert_eq!(
            view(&owned.map_err(OpenV2Error::Envelope)),
            view(&opened),
            "open_owned and open disagree"
        );
    }
    // As for v1: v2's open refuses a v1 envelope of any shape.
    let long_enough = envelope.len() >= crate::format::v2::MIN_ENVELOPE_LEN;
    match crate::validate_envelope(envelope) {
        _ if long_enough && crate::envelope_version(envelope) == Some(Version::V1) => {
            assert_eq!(
                opened.as_ref().err(),
                Some(&OpenV2Error::Envelope(OpenError::UnsupportedVersion(1)))
            );
        }
        Err(shape) => assert_eq!(
            opened.as_ref().err(),
            Some(&OpenV2Error::Envelope(shape)),
            "shape errors differ"
        ),
        Ok(()) => {
            assert_eq!(crate::envelope_version(envelope), Some(Version::V2));
            assert!(
                !matches!(
                    opened,
                    Err(OpenV2Error::Envelope(OpenError::UnsupportedVersion(_))
                        | OpenV2Error::Passphrase(_))
                ),
                "a v2 envelope of a valid shape is not unsupported"
            );
        }
    }
    if let Ok(opened) = &opened {
        let nonce = envelope
            .get(1..13)
            .and_then(|n| n.try_into().ok())
            .expect("a nonce");
        // The sealed case has its derivation; any other success (a forgery)
        // derives again, which costs PBKDF2 only with a passphrase.
        let fresh;
        let derived = match derived {
            Some(derived) => derived,
            None => {
                fresh = key.derive(passphrase).expect("the flags fit");
                &fresh
            }
        };
        let resealed = v2::envelope::seal_derived(derived, opened.content(), opened.body(), nonce)
            .expect("it sealed once");
        assert_eq!(
            resealed, envelope,
            "an envelope opened that seal would not make"
        );
    }
    opened
}

// ---------------------------------------------------------------------------
// content_frame
// ---------------------------------------------------------------------------

/// The decoders of decrypted frames, which no key can reach with arbitrary
/// bytes: the v2 frame (`unframe`) and content (`Content::decode`) decoders
/// and the v1 frame decoder.
///
/// Layout: `mode`, then with `mode & 3`:
/// - 0: the rest is a v2 frame, and also decoded as content on its own;
/// - 1: the rest is a v1 frame;
/// - 2: a v2 frame built from the input: a length delta (signed byte),
///   extra blocks (`e & 1`), a padding byte to dirty (`u16`, used when
///   `mode & 8`), then the content;
/// - 3: the same for a v1 frame and body.
///
/// With `mode & 4` the frame sits at offset 13 of its buffer with 16 bytes
/// after it, as in an envelope.
///
/// Properties: nothing panics; a decoded frame is exactly the frame a
/// sealer makes of what it decoded to (length, content, minimal padding,
/// zeros); decoded content re-encodes to its bytes; where the frame sits in
/// its buffer changes nothing; a frame built as a sealer builds it decodes.
pub fn content_frame(data: &[u8]) {
    let mut input = Input::new(data);
    let mode = input.byte();
    let embedded = mode & 4 != 0;
    match mode & 3 {
        0 => {
            let frame = input.rest();
            let _ = check_v2_frame(frame, embedded);
            check_content(frame);
        }
        1 => {
            let _ = check_v1_frame(input.rest(), embedded);
        }
        2 => {
            let (frame, canonical, content) = built_frame(&mut input, mode, v2_frame_len);
            let decoded = check_v2_frame(&frame, embedded);
            check_content(content);
            if canonical {
                // As sealed: it decodes exactly when its content does.
                assert_eq!(
                    decoded.is_ok(),
                    Content::decode(content).is_ok(),
                    "a frame as sealed decodes unlike its content"
                );
            }
        }
        _ => {
            let (frame, canonical, body) = built_frame(&mut input, mode, v1_frame_len);
            let decoded = check_v1_frame(&frame, embedded);
            if canonical {
                assert_eq!(
                    decoded.as_deref(),
                    Ok(body),
                    "a frame as sealed does not decode to its body"
                );
            }
        }
    }
}

fn v2_frame_len(n: usize) -> usize {
    v2::frame_len(n).expect("small")
}

fn v1_frame_len(n: usize) -> usize {
    n.next_multiple_of(crate::format::v1::FRAME_BLOCK)
}

/// A frame of the rest of the input, built as a sealer builds it, then
/// perhaps spoiled; with whether it is still as sealed, and the content.
fn built_frame<'a>(
    input: &mut Input<'a>,
    mode: u8,
    frame_len: fn(usize) -> usize,
) -> (Vec<u8>, bool, &'a [u8]) {
    let delta = input.byte().cast_signed();
    let extra = usize::from(input.byte() & 1);
    let dirty = input.u16();
    let content = input.rest();
    let n = 4 + content.len();
    let len = frame_len(n) + 256 * extra;
    let declared = u32::try_from(content.len())
        .expect("small")
        .saturating_add_signed(i32::from(delta));
    let mut frame = declared.to_be_bytes().to_vec();
    frame.extend_from_slice(content);
    frame.resize(len, 0);
    let mut dirtied = false;
    if mode & 8 != 0 && len > n {
        let at = n + usize::from(dirty) % (len - n);
        if let Some(b) = frame.get_mut(at) {
            *b |= 1;
            dirtied = true;
        }
    }
    (frame, delta == 0 && extra == 0 && !dirtied, content)
}

/// The frame in a buffer of its own, or embedded as in an envelope.
fn frame_buffer(frame: &[u8], embedded: bool) -> (Zeroizing<Vec<u8>>, std::ops::Range<usize>) {
    if embedded {
        let mut buf = vec![0xee; 13];
        buf.extend_from_slice(frame);
        buf.extend_from_slice(&[0xdd; 16]);
        (Zeroizing::new(buf), 13..13 + frame.len())
    } else {
        (Zeroizing::new(frame.to_vec()), 0..frame.len())
    }
}

fn check_v2_frame(frame: &[u8], embedded: bool) -> Result<v2::Opened, OpenError> {
    let (buf, range) = frame_buffer(frame, embedded);
    let decoded = v2::envelope::unframe(buf, range);
    if embedded {
        let (buf, range) = frame_buffer(frame, false);
        let alone = v2::envelope::unframe(buf, range);
        assert_eq!(
            decoded.as_ref().map(|o| (o.content(), o.body())),
            alone.as_ref().map(|o| (o.content(), o.body())),
            "where the frame sits changes its decoding"
        );
    }
    if let Ok(opened) = &decoded {
        let mut canonical = Vec::new();
        let content_len = opened
            .content()
            .encoded_len(opened.body().len())
            .expect("small");
        canonical.extend_from_slice(&u32::try_from(content_len).expect("small").to_be_bytes());
        opened.content().encode_header_into(&mut canonical);
        canonical.extend_from_slice(opened.body());
        canonical.resize(v2_frame_len(canonical.len()), 0);
        assert_eq!(
            canonical, frame,
            "a v2 frame decoded that a sealer would not make"
        );
    }
    decoded
}

fn check_v1_frame(frame: &[u8], embedded: bool) -> Result<crate::Plaintext, OpenError> {
    let (buf, range) = frame_buffer(frame, embedded);
    let decoded = v1::envelope::unframe(buf, range);
    if embedded {
        let (buf, range) = frame_buffer(frame, false);
        let alone = v1::envelope::unframe(buf, range);
        assert_eq!(decoded, alone, "where the frame sits changes its decoding");
    }
    if let Ok(body) = &decoded {
        let mut canonical = u32::try_from(body.len())
            .expect("small")
            .to_be_bytes()
            .to_vec();
        canonical.extend_from_slice(body);
        canonical.resize(v1_frame_len(canonical.len()), 0);
        assert_eq!(
            canonical, frame,
            "a v1 frame decoded that a sealer would not make"
        );
    }
    decoded
}

/// Content decoding on its own: what it accepts re-encodes to the same bytes.
fn check_content(content: &[u8]) {
    if let Ok((decoded, start)) = Content::decode(content) {
        let mut header = Vec::new();
        decoded.encode_header_into(&mut header);
        assert_eq!(
            Some(&header[..]),
            content.get(..start),
            "content is not canonical"
        );
        assert_eq!(decoded.kind() == Kind::Text, content.first() == Some(&0));
        if decoded.kind() == Kind::File {
            let name = decoded.name().expect("a file has a name");
            assert_eq!(v2::validate_name(name), Ok(()));
            assert_eq!(v2::validate_media_type(decoded.media_type()), Ok(()));
        }
    }
}
