//! Property tests: no input makes parsing or opening panic, sealing round-trips,
//! and parsers accept only canonical input.

use oneshot_core::link::{LinkKey, build_link, parse_key};
use oneshot_core::{Claim, OpenError, SecretId, SecretKey, Version, envelope_len, open, seal};
use proptest::prelude::*;

fn any_key() -> impl Strategy<Value = SecretKey> {
    any::<[u8; 32]>().prop_map(SecretKey::from_bytes)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn open_never_panics_on_arbitrary_bytes(key in any_key(), bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let _ = open(&key, &bytes);
    }

    #[test]
    fn open_never_panics_on_well_shaped_garbage(key in any_key(), blocks in 1usize..5, fill in any::<u8>(), seed in prop::collection::vec(any::<u8>(), 0..64)) {
        // Passes the shape checks, so decryption itself is exercised.
        let mut bytes = vec![fill; 29 + 256 * blocks];
        bytes[0] = 1;
        for (slot, b) in bytes.iter_mut().skip(1).zip(&seed) { *slot = *b; }
        prop_assert_eq!(open(&key, &bytes), Err(OpenError::DecryptionFailed));
    }

    #[test]
    fn parse_key_never_panics(input in any::<String>()) {
        let _ = parse_key(&input);
    }

    #[test]
    fn parse_key_on_arbitrary_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..128)) {
        let input = String::from_utf8_lossy(&bytes);
        let _ = parse_key(&input);
        let _ = input.parse::<SecretId>();
        let _ = Claim::from_b64u(Version::V1, &input);
        let _ = Claim::from_b64u(Version::V2, &input);
    }

    #[test]
    fn parse_key_accepts_only_canonical(input in "[ \t]{0,2}([a-z:/.]{0,12}#)?[A-Za-z0-9_=+/-]{41,48}[ \n]{0,2}") {
        if let Ok(key) = parse_key(&input) {
            let trimmed = input.trim();
            let encoded = key.to_fragment();
            let canonical = trimmed == encoded.as_str()
                || trimmed.split_once('#').is_some_and(|(_, f)| f == encoded.as_str());
            prop_assert!(canonical, "accepted a non-canonical key");
        }
    }

    #[test]
    fn key_and_link_round_trip(key in any_key(), base in "https://[a-z]{1,10}\\.example/s") {
        let link = build_link(&base, &key).unwrap();
        prop_assert!(parse_key(&link).unwrap() == LinkKey::V1(key.clone()));
        prop_assert!(link.parse::<SecretKey>().unwrap() == key);
        prop_assert_eq!(parse_key(&format!("  {}\n", key.to_b64u().as_str())).unwrap(), LinkKey::V1(key));
    }

    #[test]
    fn id_parsing_is_canonical(input in "[0-9a-fA-F]{30,34}") {
        if let Ok(id) = input.parse::<SecretId>() {
            prop_assert_eq!(id.to_string(), input);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn seal_open_round_trips(key in any_key(), body in prop::collection::vec(any::<u8>(), 0..70 * 1024)) {
        let envelope = seal(&key, &body).unwrap();
        prop_assert_eq!(Some(envelope.len()), envelope_len(body.len()));
        prop_assert_eq!((envelope.len() - 29) % 256, 0);
        let opened = open(&key, &envelope).unwrap();
        prop_assert_eq!(&opened[..], &body[..]);
    }

    #[test]
    fn any_flipped_bit_is_rejected(key in any_key(), body in prop::collection::vec(any::<u8>(), 0..600), bit in any::<prop::sample::Index>()) {
        let mut envelope = seal(&key, &body).unwrap();
        let bit = bit.index(envelope.len() * 8);
        envelope[bit / 8] ^= 1 << (bit % 8);
        let err = open(&key, &envelope).unwrap_err();
        if bit < 8 {
            prop_assert!(matches!(err, OpenError::UnsupportedVersion(_)));
        } else {
            prop_assert_eq!(err, OpenError::DecryptionFailed);
        }
    }
}

// ---------------------------------------------------------------------------
// Format v2.

mod v2_props {
    use base64ct::{Base64UrlUnpadded, Encoding};
    use oneshot_core::link::{LinkKey, build_link, build_receipt_link, parse_key, parse_receipt};
    use oneshot_core::v2::{
        self, Content, Flags, Kind, Passphrase, ReceiptKey, SecretKey, frame_len, validate_name,
    };
    use oneshot_core::{OpenError, OpenV2Error, SecretId};
    use proptest::prelude::*;

    fn any_key(flags: Flags) -> impl Strategy<Value = SecretKey> {
        any::<[u8; 32]>().prop_map(move |k| SecretKey::from_bytes(k, flags))
    }

    /// FORMAT-v2 §4's rule for file names, written from the text and
    /// independently of the library's constants.
    fn spec_allows_name(name: &str) -> bool {
        let forbidden = |c: char| {
            let u = u32::from(c);
            c == '/'
                || c == '\\'
                || u < 0x20
                || (0x7F..=0x9F).contains(&u)
                || u == 0x061C
                || u == 0x200E
                || u == 0x200F
                || (0x202A..=0x202E).contains(&u)
                || (0x2066..=0x2069).contains(&u)
        };
        (1..=255).contains(&name.len())
            && name != "."
            && name != ".."
            && !name.chars().any(forbidden)
    }

    /// Strings rich in the characters the name rule is about, and their neighbours.
    fn name_like() -> impl Strategy<Value = String> {
        let edge = prop::sample::select(vec![
            '/', '\\', '\0', '\u{1F}', ' ', '~', '\u{7F}', '\u{80}', '\u{9F}', '\u{A0}', '\u{61B}',
            '\u{61C}', '\u{61D}', '\u{200D}', '\u{200E}', '\u{200F}', '\u{2010}', '\u{2029}',
            '\u{202A}', '\u{202C}', '\u{202E}', '\u{202F}', '\u{2065}', '\u{2066}', '\u{2068}',
            '\u{2069}', '\u{206A}', '.', 'a', 'é', '€', '😀',
        ]);
        let chars = prop::collection::vec(prop_oneof![3 => edge, 1 => any::<char>()], 0..140);
        prop_oneof![
            1 => Just(".".to_owned()),
            1 => Just("..".to_owned()),
            1 => any::<String>(),
            12 => chars.prop_map(|c| c.into_iter().collect()),
        ]
    }

    /// Valid file names, up to the 255-byte limit.
    fn valid_name() -> impl Strategy<Value = String> {
        "[^/\\\\\\x00-\\x1F\\x7F-\\x9F\u{061C}\u{200E}\u{200F}\u{202A}-\u{202E}\u{2066}-\u{2069}]{1,70}"
            .prop_filter("fits and is not . or ..", |n| spec_allows_name(n))
    }

    fn valid_media_type() -> impl Strategy<Value = String> {
        "[!-~]{0,255}"
    }

    fn any_content() -> impl Strategy<Value = Content> {
        prop_oneof![
            1 => Just(Content::text()),
            3 => (valid_name(), valid_media_type())
                .prop_map(|(n, m)| Content::file(&n, &m).unwrap()),
        ]
    }

    /// A 34-byte fragment (version, flags, K) in base64url, possibly with one
    /// character replaced; whether it was left as made, and the bytes.
    fn fragment_like() -> impl Strategy<Value = (String, bool, [u8; 34])> {
        let version = prop_oneof![4 => Just(2u8), 1 => any::<u8>()];
        let flags = prop_oneof![2 => Just(0u8), 2 => Just(1u8), 1 => any::<u8>()];
        let edit = prop::option::weighted(
            0.5,
            (
                any::<prop::sample::Index>(),
                prop::sample::select(
                    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/= ."
                        .chars()
                        .collect::<Vec<_>>(),
                ),
            ),
        );
        (version, flags, any::<[u8; 32]>(), edit).prop_map(|(v, f, k, edit)| {
            let mut bytes = [0u8; 34];
            bytes[0] = v;
            bytes[1] = f;
            bytes[2..].copy_from_slice(&k);
            let mut text: Vec<char> = Base64UrlUnpadded::encode_string(&bytes).chars().collect();
            let mut unchanged = true;
            if let Some((at, c)) = edit {
                let at = at.index(text.len());
                unchanged = text[at] == c;
                text[at] = c;
            }
            (text.into_iter().collect(), unchanged, bytes)
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn open_never_panics_on_arbitrary_bytes(
            key in any_key(Flags::NONE),
            bytes in prop::collection::vec(any::<u8>(), 0..2048),
        ) {
            let _ = v2::open(&key, None, &bytes);
        }

        #[test]
        fn open_never_panics_on_well_shaped_garbage(
            key in any_key(Flags::NONE),
            blocks in 1usize..5,
            fill in any::<u8>(),
            seed in prop::collection::vec(any::<u8>(), 0..64),
        ) {
            // Passes the shape checks, so decryption itself is exercised.
            let mut bytes = vec![fill; 29 + 256 * blocks];
            bytes[0] = 2;
            for (slot, b) in bytes.iter_mut().skip(1).zip(&seed) { *slot = *b; }
            prop_assert_eq!(
                v2::open(&key, None, &bytes).map(|_| ()),
                Err(OpenV2Error::Envelope(OpenError::DecryptionFailed))
            );
        }

        #[test]
        fn name_validation_agrees_with_the_spec(name in name_like()) {
            prop_assert_eq!(validate_name(&name).is_ok(), spec_allows_name(&name), "{:?}", name);
            prop_assert_eq!(Content::file(&name, "").is_ok(), spec_allows_name(&name));
        }

        #[test]
        fn media_types_are_printable_ascii(media_type in prop_oneof!["[ -\x7F]{0,260}", any::<String>()]) {
            let spec = media_type.len() <= 255 && media_type.bytes().all(|b| (0x21..=0x7E).contains(&b));
            prop_assert_eq!(v2::validate_media_type(&media_type).is_ok(), spec);
            prop_assert_eq!(Content::file("a", &media_type).is_ok(), spec);
        }

        #[test]
        fn parse_key_accepts_only_canonical_v2((fragment, unchanged, bytes) in fragment_like(), before in "[ \t]{0,2}(https://x\\.example/s#)?", after in "[ \n]{0,2}") {
            let input = format!("{before}{fragment}{after}");
            let parsed = parse_key(&input);
            let valid = bytes[0] == 2 && bytes[1] <= 1;
            if unchanged {
                prop_assert_eq!(parsed.is_ok(), valid, "{:?}", input);
            }
            if let Ok(key) = parsed {
                let encoded = key.to_fragment();
                prop_assert_eq!(encoded.as_str(), fragment.as_str(), "accepted a non-canonical fragment");
                let LinkKey::V2(key) = key else { panic!("46 characters are v2") };
                prop_assert!(key.flags().bits() <= 1);
            }
        }

        #[test]
        fn parse_receipt_never_panics_and_accepts_only_canonical(
            version in prop_oneof![4 => Just(2u8), 1 => any::<u8>()],
            id in any::<[u8; 16]>(),
            r in any::<[u8; 32]>(),
            edit in prop::option::of((any::<prop::sample::Index>(), "[A-Za-z0-9_=+/ -]")),
            noise in any::<String>(),
        ) {
            let _ = parse_receipt(&noise);
            let mut bytes = vec![version];
            bytes.extend_from_slice(&id);
            bytes.extend_from_slice(&r);
            let canonical = Base64UrlUnpadded::encode_string(&bytes);
            let mut fragment = canonical.clone();
            if let Some((at, c)) = edit {
                let at = at.index(fragment.len());
                fragment.replace_range(at..=at, &c);
            }
            let parsed = parse_receipt(&format!(" https://x.example/r#{fragment}\n"));
            if fragment == canonical {
                prop_assert_eq!(parsed.is_ok(), version == 2);
            }
            if let Ok((parsed_id, key)) = parsed {
                let encoded = key.to_fragment(&parsed_id);
                prop_assert_eq!(encoded.as_str(), fragment.as_str(), "accepted a non-canonical fragment");
                if fragment == canonical {
                    prop_assert_eq!(parsed_id, SecretId::from_bytes(id));
                }
            }
        }

        #[test]
        fn links_round_trip(
            key in any_key(Flags::NONE),
            passphrase in any::<bool>(),
            r in any::<[u8; 32]>(),
            host in "[a-z]{1,10}",
            slash in any::<bool>(),
        ) {
            let key = SecretKey::from_bytes(*key.as_bytes(), if passphrase { Flags::PASSPHRASE } else { Flags::NONE });
            let link = build_link(&format!("https://{host}.example/s"), &key).unwrap();
            let parsed = parse_key(&link).unwrap();
            prop_assert_eq!(parsed.needs_passphrase(), passphrase);
            prop_assert!(parsed == LinkKey::V2(key.clone()));
            prop_assert!(link.parse::<SecretKey>().unwrap() == key);

            let receipt = ReceiptKey::from_bytes(r);
            let base = format!("https://{host}.example{}", if slash { "/" } else { "" });
            let receipt_link = build_receipt_link(&base, &key.id(), &receipt).unwrap();
            let expected_start = format!("https://{host}.example/r#");
            prop_assert!(receipt_link.starts_with(&expected_start));
            let (id, parsed) = parse_receipt(&receipt_link).unwrap();
            prop_assert_eq!(id, key.id());
            prop_assert!(parsed == receipt);
        }

        #[test]
        fn frames_hide_lengths_within_bounds(n in 0usize..(1 << 26)) {
            let frame = frame_len(n).unwrap();
            prop_assert!(frame >= n && frame >= 256 && frame.is_multiple_of(256));
            prop_assert!(frame_len(n + 1).unwrap() >= frame, "monotonic");
            // Padmé's 12 % plus at most one block of rounding.
            prop_assert!(frame <= 256 + n + n * 12 / 100);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn seal_open_round_trips(
            key in any_key(Flags::NONE),
            content in any_content(),
            body in prop::collection::vec(any::<u8>(), 0..70 * 1024),
        ) {
            let envelope = v2::seal(&key, None, &content, &body).unwrap();
            prop_assert_eq!(Some(envelope.len()), v2::envelope_len(content.encoded_len(body.len()).unwrap()));
            prop_assert_eq!((envelope.len() - 29) % 256, 0);
            prop_assert_eq!(oneshot_core::validate_envelope(&envelope), Ok(()));
            let opened = v2::open(&key, None, &envelope).unwrap();
            prop_assert_eq!(opened.content(), &content);
            prop_assert_eq!(opened.body(), &body[..]);
            if content.kind() == Kind::File {
                prop_assert!(opened.effective_media_type().is_some_and(|m| !m.is_empty()));
            }
        }

        #[test]
        fn any_flipped_bit_is_rejected(
            key in any_key(Flags::NONE),
            content in any_content(),
            body in prop::collection::vec(any::<u8>(), 0..600),
            bit in any::<prop::sample::Index>(),
        ) {
            let mut envelope = v2::seal(&key, None, &content, &body).unwrap();
            let bit = bit.index(envelope.len() * 8);
            envelope[bit / 8] ^= 1 << (bit % 8);
            let err = v2::open(&key, None, &envelope).unwrap_err();
            if bit < 8 {
                prop_assert!(matches!(err, OpenV2Error::Envelope(OpenError::UnsupportedVersion(_))));
            } else {
                prop_assert_eq!(err, OpenV2Error::Envelope(OpenError::DecryptionFailed));
            }
        }
    }

    proptest! {
        // PBKDF2 (600,000 rounds) twice per case: few cases.
        #![proptest_config(ProptestConfig::with_cases(16))]

        #[test]
        fn seal_open_round_trips_with_a_passphrase(
            key in any_key(Flags::PASSPHRASE),
            passphrase in "\\PC{1,40}",
            content in any_content(),
            body in prop::collection::vec(any::<u8>(), 0..70 * 1024),
            bit in any::<prop::sample::Index>(),
        ) {
            let passphrase = Passphrase::new(&passphrase).unwrap();
            let envelope = v2::seal(&key, Some(&passphrase), &content, &body).unwrap();
            let opened = v2::open(&key, Some(&passphrase), &envelope).unwrap();
            prop_assert_eq!(opened.content(), &content);
            prop_assert_eq!(opened.body(), &body[..]);
            // Without the passphrase flag, the same K finds nothing it can open.
            let unflagged = SecretKey::from_bytes(*key.as_bytes(), Flags::NONE);
            prop_assert_eq!(
                v2::open(&unflagged, None, &envelope).unwrap_err(),
                OpenV2Error::Envelope(OpenError::DecryptionFailed)
            );
            // A flipped bit of the envelope fails as without a passphrase.
            let mut flipped = envelope;
            let bit = bit.index(flipped.len() * 8);
            flipped[bit / 8] ^= 1 << (bit % 8);
            prop_assert!(v2::open(&key, Some(&passphrase), &flipped).is_err());
        }
    }
}
