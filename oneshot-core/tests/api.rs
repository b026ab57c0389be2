//! Behaviour of keys, links, ids, policies and errors.

use std::time::Duration;

use oneshot_core::link::{LinkKey, build_link, parse_key};
use oneshot_core::{
    Claim, OpenError, ParseError, Policy, PolicyError, SecretId, SecretKey, StoreError, Version,
    open, seal,
};

const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";

#[test]
fn key_debug_and_errors_never_show_secrets() {
    let key = SecretKey::from_b64u(KEY).unwrap();
    assert_eq!(format!("{key:?}"), "SecretKey([REDACTED])");
    assert_eq!(format!("{:?}", key.claim()), "Claim([REDACTED])");
    let bad = format!("{KEY}!");
    let err = parse_key(&bad).unwrap_err();
    assert!(
        !format!("{err} {err:?}").contains(&KEY[..10]),
        "error repeats the input"
    );
}

#[test]
fn parse_key_accepts_links_and_bare_keys_with_whitespace() {
    let key = SecretKey::from_b64u(KEY).unwrap();
    for input in [
        KEY.to_string(),
        format!(" \t{KEY}\n"),
        format!("https://x.example/s#{KEY}"),
        format!("  http://127.0.0.1:3000/s#{KEY}  "),
    ] {
        assert_eq!(
            parse_key(&input).unwrap(),
            LinkKey::V1(key.clone()),
            "{input:?}"
        );
        assert_eq!(input.parse::<SecretKey>().unwrap(), key, "{input:?}");
    }
}

#[test]
fn parse_key_rejects_non_canonical_and_wrong_lengths() {
    // Same bytes, nonzero trailing bits: "8" → "9" changes only the unused low bits.
    let non_canonical = format!("{}9", &KEY[..42]);
    assert!(matches!(
        parse_key(&non_canonical),
        Err(ParseError::Encoding { .. })
    ));
    assert!(matches!(
        parse_key(&format!("{KEY}=")),
        Err(ParseError::KeyLength { found: 44 })
    ));
    assert!(matches!(
        parse_key(&KEY[..42]),
        Err(ParseError::KeyLength { found: 42 })
    ));
    assert!(matches!(
        parse_key(&format!("{}+", &KEY[..42])),
        Err(ParseError::Encoding { .. })
    ));
    assert!(matches!(
        parse_key(&format!("https://x/s#{KEY}&x")),
        Err(ParseError::KeyLength { found: 45 })
    ));
    assert!(matches!(
        parse_key(""),
        Err(ParseError::KeyLength { found: 0 })
    ));
    // The v1 parser alone still names its one length.
    assert!(matches!(
        format!("{KEY}=").parse::<SecretKey>(),
        Err(ParseError::Length {
            expected: 43,
            found: 44,
            ..
        })
    ));
}

#[test]
fn links_need_a_clean_base() {
    let key = SecretKey::from_b64u(KEY).unwrap();
    assert_eq!(
        build_link("https://x.example/s", &key).unwrap().as_str(),
        format!("https://x.example/s#{KEY}")
    );
    for base in ["", "https://x/s#frag", "https://x/ s"] {
        assert!(
            matches!(build_link(base, &key), Err(ParseError::LinkBase(_))),
            "{base:?}"
        );
    }
}

#[test]
fn ids_are_strict_lowercase_hex() {
    let id: SecretId = "9ac0d38af7c3e8adfc1b2abc1d445d21".parse().unwrap();
    assert_eq!(id.to_string(), "9ac0d38af7c3e8adfc1b2abc1d445d21");
    assert_eq!(
        format!("{id:?}"),
        "SecretId(9ac0d38af7c3e8adfc1b2abc1d445d21)"
    );
    assert!(
        "9AC0D38AF7C3E8ADFC1B2ABC1D445D21"
            .parse::<SecretId>()
            .is_err()
    );
    assert!(
        "9ac0d38af7c3e8adfc1b2abc1d445d2"
            .parse::<SecretId>()
            .is_err()
    );
    assert!(
        "9ac0d38af7c3e8adfc1b2abc1d445d2g"
            .parse::<SecretId>()
            .is_err()
    );
}

#[test]
fn claims_round_trip_and_derive_the_id() {
    let key = SecretKey::from_b64u(KEY).unwrap();
    let claim = Claim::from_b64u(Version::V1, &key.claim().to_b64u()).unwrap();
    assert_eq!(claim, key.claim());
    assert_eq!(claim.version(), Version::V1);
    assert_eq!(claim.id(), key.id());
    let as_v2 = Claim::from_b64u(Version::V2, &key.claim().to_b64u()).unwrap();
    assert_ne!(as_v2, claim, "a claim carries its version");
    assert_ne!(as_v2.id(), key.id(), "the version chooses the id's hash");
}

#[test]
fn envelope_sizes_hide_short_lengths() {
    let key = SecretKey::generate().unwrap();
    assert_eq!(seal(&key, b"").unwrap().len(), 285);
    assert_eq!(seal(&key, &[7; 252]).unwrap().len(), 285);
    assert_eq!(seal(&key, &[7; 253]).unwrap().len(), 541);
}

#[test]
fn wrong_key_fails_opaquely() {
    let envelope = seal(&SecretKey::generate().unwrap(), b"s3cret").unwrap();
    let other = SecretKey::generate().unwrap();
    let err = open(&other, &envelope).unwrap_err();
    assert_eq!(err, OpenError::DecryptionFailed);
    assert_eq!(err.to_string(), "decryption failed");
}

#[test]
fn policy_defaults_and_validation() {
    let p = Policy::default();
    assert_eq!(p.max_body_bytes(), 64 * 1024);
    assert_eq!(p.min_ttl(), Duration::from_secs(60));
    assert_eq!(p.max_ttl(), Duration::from_secs(72 * 3600));
    assert_eq!(p.default_ttl(), Duration::from_secs(24 * 3600));
    assert_eq!(p.validate(), Ok(()));
    let inverted = Policy::new().with_ttl_range(Duration::from_secs(10), Duration::from_secs(5));
    assert_eq!(inverted.validate(), Err(PolicyError::TtlBounds));
    let zero = Policy::new()
        .with_ttl_range(Duration::ZERO, Duration::from_secs(5))
        .with_default_ttl(Duration::from_secs(1));
    assert_eq!(zero.validate(), Err(PolicyError::TtlBounds));
}

#[test]
fn store_error_retry_safety() {
    assert!(StoreError::unavailable("refused").is_retry_safe());
    assert!(!StoreError::indeterminate("timeout").is_retry_safe());
    assert!(!StoreError::AlreadyExists.is_retry_safe());
    let err = StoreError::indeterminate(std::io::Error::other("timed out"));
    assert!(
        std::error::Error::source(&err).is_some(),
        "the backend error is kept as source"
    );
    assert_eq!(
        err.to_string(),
        "store outcome unknown; the operation may have happened: timed out",
        "the message says what the backend saw"
    );
    assert_eq!(
        StoreError::unavailable("connection refused").to_string(),
        "store unavailable; the operation did not happen: connection refused"
    );
}

#[test]
fn secrets_are_zeroize_on_drop() {
    fn assert_zeroize_on_drop<T: zeroize::ZeroizeOnDrop>() {}
    assert_zeroize_on_drop::<SecretKey>();
    assert_zeroize_on_drop::<Claim>();
}
