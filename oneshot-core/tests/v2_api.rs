//! Behaviour of the v2 format's public API: keys and flags, passphrases,
//! content, sealing and opening, receipts, links, and what errors show.

use oneshot_core::link::{LinkKey, build_link, build_receipt_link, parse_key, parse_receipt};
use oneshot_core::v2::{self, Content, Flags, Kind, Passphrase, ReceiptKey, SecretKey};
use oneshot_core::{
    ContentError, OpenError, OpenV2Error, ParseError, PassphraseError, PassphraseMismatch,
    SealV2Error, Version, envelope_version, validate_envelope,
};

/// The vectors' key `000102…1f` with flags 1 and with flags 0.
const WITH_PASSPHRASE: &str = "AgEAAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHw";
const WITHOUT: &str = "AgAAAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHw";

fn key(fragment: &str) -> SecretKey {
    SecretKey::from_fragment(fragment).unwrap()
}

#[test]
fn flags_know_only_the_passphrase_bit() {
    assert_eq!(Flags::from_bits(0), Some(Flags::NONE));
    assert_eq!(Flags::from_bits(1), Some(Flags::PASSPHRASE));
    for bits in 2..=255 {
        assert_eq!(Flags::from_bits(bits), None, "{bits:#04x}");
    }
    assert!(Flags::PASSPHRASE.needs_passphrase() && !Flags::NONE.needs_passphrase());
    assert!(key(WITH_PASSPHRASE).needs_passphrase());
    assert!(!key(WITHOUT).needs_passphrase());
}

#[test]
fn keys_are_fresh_redacted_and_compared_with_their_flags() {
    let a = SecretKey::generate(Flags::PASSPHRASE).unwrap();
    let b = SecretKey::generate(Flags::PASSPHRASE).unwrap();
    assert!(a != b);
    assert_eq!(a.flags(), Flags::PASSPHRASE);
    let same_k = SecretKey::from_bytes(*a.as_bytes(), Flags::NONE);
    assert!(same_k != a, "flags are part of the key");
    assert_ne!(same_k.id(), a.id(), "and of every derived value");
    let shown = format!("{a:?}");
    assert_eq!(shown, "SecretKey(Flags(0x01), [REDACTED])");
    assert!(!shown.contains(&a.to_fragment()[2..12]));
    fn zeroize_on_drop<T: zeroize::ZeroizeOnDrop>() {}
    zeroize_on_drop::<SecretKey>();
    zeroize_on_drop::<Passphrase>();
    zeroize_on_drop::<ReceiptKey>();
}

#[test]
fn fragments_are_parsed_strictly_with_typed_errors() {
    let err = |s: &str| parse_key(s).unwrap_err();
    assert_eq!(
        err("AwAAAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHw"),
        ParseError::UnsupportedVersion {
            what: "a v2 link key",
            version: 3
        }
    );
    assert_eq!(
        err("AQAAAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHw"),
        ParseError::UnsupportedVersion {
            what: "a v2 link key",
            version: 1
        }
    );
    assert_eq!(
        err("AgIAAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHw"),
        ParseError::UnknownFlags { flags: 2 }
    );
    assert_eq!(
        err("AoEAAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHw"),
        ParseError::UnknownFlags { flags: 0x81 }
    );
    for non_canonical in [
        "AgEAAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHB",
        "AgEAA+IDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHw",
        "AgEAAQIDBAUGBwgJCgsM=Q4PEBESExQVFhcYGRobHB0eHw",
        "AgEAAQIDBAUGBwgJCgsM Q4PEBESExQVFhcYGRobHB0eHw",
    ] {
        assert!(
            matches!(err(non_canonical), ParseError::Encoding { .. }),
            "{non_canonical}"
        );
    }
    assert_eq!(
        err(&WITH_PASSPHRASE[..45]),
        ParseError::KeyLength { found: 45 }
    );
    let message = err(&WITH_PASSPHRASE[..45]).to_string();
    assert_eq!(
        message,
        "a link key must be 43 (v1) or 46 (v2) characters, found 45"
    );
    // Each version's own parser takes only its own length.
    assert!(matches!(
        WITH_PASSPHRASE.parse::<oneshot_core::v1::SecretKey>(),
        Err(ParseError::Length { expected: 43, .. })
    ));
    assert!(matches!(
        "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8".parse::<SecretKey>(),
        Err(ParseError::Length { expected: 46, .. })
    ));
    assert!(
        format!("https://x/s#{WITH_PASSPHRASE}")
            .parse::<SecretKey>()
            .is_ok()
    );
}

#[test]
fn link_keys_tell_the_versions_apart() {
    let v1 = parse_key("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8").unwrap();
    let v2 = parse_key(&format!(" https://h.example/s#{WITH_PASSPHRASE}\n")).unwrap();
    assert_eq!((v1.version(), v2.version()), (Version::V1, Version::V2));
    assert!(!v1.needs_passphrase() && v2.needs_passphrase());
    assert_eq!(v1.claim().version(), Version::V1);
    assert_eq!(v2.claim().version(), Version::V2);
    assert_eq!(v2.claim().id(), v2.id());
    assert_eq!(v2.id().to_string(), "ec1cc68a8d8947257835544c3fa5585f");
    assert_eq!(v2.to_fragment().as_str(), WITH_PASSPHRASE);
    assert!(v2 == LinkKey::from(key(WITH_PASSPHRASE)));
    assert_eq!(
        build_link("https://h.example/s", &v2).unwrap().as_str(),
        format!("https://h.example/s#{WITH_PASSPHRASE}")
    );
    assert_eq!(
        build_link("https://h.example/s", &key(WITHOUT))
            .unwrap()
            .as_str(),
        format!("https://h.example/s#{WITHOUT}")
    );
    assert!(format!("{v2:?}").contains("[REDACTED]"));
    assert_eq!(Version::V2.to_string(), "v2");
    assert_eq!(Version::from_byte(2), Some(Version::V2));
    assert_eq!(Version::from_byte(3), None);
}

#[test]
fn passphrases_are_nfc_bounded_and_never_shown() {
    assert_eq!(Passphrase::new("").unwrap_err(), PassphraseError::Empty);
    assert!(Passphrase::new(&"a".repeat(1024)).is_ok());
    assert_eq!(
        Passphrase::new(&"a".repeat(1025)).unwrap_err(),
        PassphraseError::TooLong
    );
    // 1,026 bytes decomposed, 684 composed: the limit applies after NFC.
    assert!(Passphrase::new(&"e\u{301}".repeat(342)).is_ok());
    // U+0958 is excluded from composition: NFC doubles it past the limit.
    assert_eq!(
        Passphrase::new(&"\u{958}".repeat(200)).unwrap_err(),
        PassphraseError::TooLong
    );
    let p: Passphrase = "correct horse".parse().unwrap();
    assert_eq!(format!("{p:?}"), "Passphrase([REDACTED])");
    // Composed and decomposed forms prove the same thing.
    let k = key(WITH_PASSPHRASE);
    let composed = k
        .passphrase_proof(&Passphrase::new("Ünïcödé ✓").unwrap())
        .unwrap();
    let decomposed = k
        .passphrase_proof(&Passphrase::new("U\u{308}ni\u{308}co\u{308}de\u{301} ✓").unwrap())
        .unwrap();
    assert!(composed == decomposed);
    // Nothing is trimmed: a trailing space is another passphrase.
    let spaced = k
        .passphrase_proof(&Passphrase::new("correct horse ").unwrap())
        .unwrap();
    assert!(spaced != k.passphrase_proof(&p).unwrap());
}

#[test]
fn passphrase_mismatches_are_typed_and_come_first() {
    let with = key(WITH_PASSPHRASE);
    let without = key(WITHOUT);
    let p = Passphrase::new("correct horse").unwrap();
    let text = Content::text();
    assert!(matches!(
        v2::seal(&with, None, &text, b"x"),
        Err(SealV2Error::Passphrase(PassphraseMismatch::Required))
    ));
    assert!(matches!(
        v2::seal(&without, Some(&p), &text, b"x"),
        Err(SealV2Error::Passphrase(PassphraseMismatch::Unexpected))
    ));
    assert_eq!(
        without.passphrase_proof(&p).unwrap_err(),
        PassphraseMismatch::Unexpected
    );
    // Before the envelope is looked at: even garbage reports the mismatch.
    assert_eq!(
        v2::open(&with, None, b"garbage").unwrap_err(),
        OpenV2Error::Passphrase(PassphraseMismatch::Required)
    );
    assert_eq!(
        v2::open(&without, Some(&p), b"garbage").unwrap_err(),
        OpenV2Error::Passphrase(PassphraseMismatch::Unexpected)
    );
    let envelope = v2::seal(&with, Some(&p), &text, b"behind a passphrase").unwrap();
    let opened = v2::open(&with, Some(&p), &envelope).unwrap();
    assert_eq!(opened.body(), b"behind a passphrase");
    // A wrong passphrase is not a mismatch: it derives another key.
    let wrong = Passphrase::new("correct horsf").unwrap();
    let err = v2::open(&with, Some(&wrong), &envelope).unwrap_err();
    assert_eq!(err, OpenV2Error::Envelope(OpenError::DecryptionFailed));
    assert_eq!(err.to_string(), "decryption failed");
    assert!(with.passphrase_proof(&wrong).unwrap() != with.passphrase_proof(&p).unwrap());
    assert_eq!(
        OpenV2Error::Passphrase(PassphraseMismatch::Required).to_string(),
        "this link needs a passphrase, and none was given"
    );
}

#[test]
fn content_has_its_rules_and_accessors() {
    let text = Content::text();
    assert_eq!(
        (text.kind(), text.name(), text.media_type()),
        (Kind::Text, None, "")
    );
    let file = Content::file("report.pdf", "application/pdf").unwrap();
    assert_eq!(file.name(), Some("report.pdf"));
    assert_eq!(file.effective_media_type(), Some("application/pdf"));
    let bare = Content::file("blob", "").unwrap();
    assert_eq!(
        (bare.media_type(), bare.effective_media_type()),
        ("", Some("application/octet-stream"))
    );
    assert_eq!(
        Content::file("evil\u{202E}gpj.exe", "image/jpeg").unwrap_err(),
        ContentError::NameCharacter
    );
    assert_eq!(
        Content::file("..", "").unwrap_err(),
        ContentError::NameReserved
    );
    assert_eq!(
        Content::file(&"n".repeat(256), "").unwrap_err(),
        ContentError::NameLength
    );
    assert!(Content::file(&"n".repeat(255), "").is_ok());
    assert!(Content::file(&"é".repeat(128), "").is_err(), "256 bytes");
    let err = Content::file("secret-plan/v2.txt", "").unwrap_err();
    assert!(!format!("{err} {err:?}").contains("secret-plan"));
    assert_eq!((Kind::Text.byte(), Kind::File.byte()), (0, 1));
    assert_eq!(Kind::from_byte(2), None);
}

#[test]
fn envelopes_hide_lengths_as_the_spec_says() {
    let k = key(WITHOUT);
    let text = Content::text();
    assert_eq!(v2::seal(&k, None, &text, b"").unwrap().len(), 285);
    assert_eq!(v2::seal(&k, None, &text, &[b'x'; 249]).unwrap().len(), 285);
    assert_eq!(v2::seal(&k, None, &text, &[b'x'; 250]).unwrap().len(), 541);
    let big = Content::file("big.bin", "application/octet-stream").unwrap();
    let envelope = v2::seal(&k, None, &big, &[7; 20_000]).unwrap();
    assert_eq!(
        envelope.len(),
        29 + 20_480,
        "a 20,000-byte file has a 20,480-byte frame"
    );
    assert_eq!(
        v2::envelope_len(big.encoded_len(20_000).unwrap()),
        Some(envelope.len())
    );
    assert_eq!(v2::envelope_len(u32::MAX as usize + 1), None);
    assert!(v2::envelope_len(u32::MAX as usize).is_some());

    assert_eq!(validate_envelope(&envelope), Ok(()));
    assert_eq!(envelope_version(&envelope), Some(Version::V2));
    let v1 =
        oneshot_core::v1::seal(&oneshot_core::v1::SecretKey::generate().unwrap(), b"x").unwrap();
    assert_eq!(validate_envelope(&v1), Ok(()));
    assert_eq!(envelope_version(&v1), Some(Version::V1));
    let mut v3 = envelope.clone();
    v3[0] = 3;
    assert_eq!(
        validate_envelope(&v3),
        Err(OpenError::UnsupportedVersion(3))
    );
    assert_eq!(
        v2::open(&k, None, &v1).unwrap_err(),
        OpenV2Error::Envelope(OpenError::UnsupportedVersion(1))
    );
    assert!(matches!(
        validate_envelope(&envelope[..envelope.len() - 1]),
        Err(OpenError::Malformed(_))
    ));
}

#[test]
fn opened_content_is_whole_and_redacted() {
    let k = SecretKey::generate(Flags::NONE).unwrap();
    let file = Content::file("ключ.der", "application/pkix-cert").unwrap();
    let envelope = v2::seal(&k, None, &file, b"\x00\x01binary").unwrap();
    let opened = v2::open(&k, None, &envelope).unwrap();
    assert_eq!(opened.kind(), Kind::File);
    assert_eq!(opened.name(), Some("ключ.der"));
    assert_eq!(opened.media_type(), "application/pkix-cert");
    assert_eq!(opened.effective_media_type(), Some("application/pkix-cert"));
    let shown = format!("{opened:?}");
    assert!(!shown.contains("ключ") && !shown.contains("pkix") && !shown.contains("binary"));
    let (content, body) = opened.into_parts();
    assert_eq!(content, file);
    assert_eq!(&body[..], b"\x00\x01binary");
}

#[test]
fn receipts_have_their_own_key_and_link() {
    let r = ReceiptKey::from_bytes(std::array::from_fn(|i| 0x20 + i as u8));
    let id = "028c41c133593eb1d6e2f5edca5fe585".parse().unwrap();
    let fragment = "AgKMQcEzWT6x1uL17cpf5YUgISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0-Pw";
    assert_eq!(r.to_fragment(&id).as_str(), fragment);
    for base in ["https://h.example", "https://h.example/"] {
        assert_eq!(
            build_receipt_link(base, &id, &r).unwrap().as_str(),
            format!("https://h.example/r#{fragment}"),
            "{base}"
        );
    }
    assert_eq!(
        build_receipt_link("https://h.example/app", &id, &r)
            .unwrap()
            .as_str(),
        format!("https://h.example/app/r#{fragment}")
    );
    for bad in ["", "https://h#x", "https://h ", "https://h?x=1"] {
        assert!(
            matches!(
                build_receipt_link(bad, &id, &r),
                Err(ParseError::LinkBase(_))
            ),
            "{bad:?}"
        );
    }
    for input in [
        fragment.to_owned(),
        format!("  https://h.example/r#{fragment}\n"),
    ] {
        let (parsed_id, parsed) = parse_receipt(&input).unwrap();
        assert_eq!(parsed_id, id);
        assert!(parsed == r);
    }
    // A receipt is not a reader's key, and a reader's link is not a receipt.
    assert_eq!(
        parse_key(fragment).unwrap_err(),
        ParseError::KeyLength { found: 66 }
    );
    assert!(matches!(
        parse_receipt(WITH_PASSPHRASE),
        Err(ParseError::Length { expected: 66, .. })
    ));
    let mut v3 = fragment.to_owned();
    v3.replace_range(0..2, "Aw");
    assert!(matches!(
        parse_receipt(&v3),
        Err(ParseError::UnsupportedVersion { version: 3, .. })
    ));
    assert!(format!("{r:?}").contains("REDACTED"));
    assert_eq!(r.verifier(), r.claim().verifier());
    assert!(ReceiptKey::generate().unwrap() != r);
}
