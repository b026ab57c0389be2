//! Property tests: no input makes parsing or opening panic, sealing round-trips,
//! and parsers accept only canonical input.

use oneshot_core::link::{build_link, parse_key};
use oneshot_core::{Claim, OpenError, SecretId, SecretKey, envelope_len, open, seal};
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
        let _ = Claim::from_b64u(&input);
    }

    #[test]
    fn parse_key_accepts_only_canonical(input in "[ \t]{0,2}([a-z:/.]{0,12}#)?[A-Za-z0-9_=+/-]{41,45}[ \n]{0,2}") {
        if let Ok(key) = parse_key(&input) {
            let trimmed = input.trim();
            let encoded = key.to_b64u();
            let canonical = trimmed == encoded.as_str()
                || trimmed.split_once('#').is_some_and(|(_, f)| f == encoded.as_str());
            prop_assert!(canonical, "accepted a non-canonical key");
        }
    }

    #[test]
    fn key_and_link_round_trip(key in any_key(), base in "https://[a-z]{1,10}\\.example/s") {
        let link = build_link(&base, &key).unwrap();
        prop_assert!(parse_key(&link).unwrap() == key);
        prop_assert_eq!(parse_key(&format!("  {}\n", key.to_b64u().as_str())).unwrap(), key);
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
