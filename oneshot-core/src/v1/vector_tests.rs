//! Known-answer tests: `tests/data/vectors-v1.json`, made by an independent
//! implementation of FORMAT-v1.md, reproduced byte for byte.

use base64ct::{Base64UrlUnpadded, Encoding};
use serde::Deserialize;

use crate::OpenError;
use crate::v1::envelope::seal_with_nonce;
use crate::v1::{SecretKey, open};

const VECTORS: &str = include_str!("../../tests/data/vectors-v1.json");

#[derive(Deserialize)]
struct Vectors {
    format: String,
    derivations: Vec<Derivation>,
    envelopes: Vec<EnvelopeVector>,
    rejects: Vec<Reject>,
}

#[derive(Deserialize)]
struct Derivation {
    key_b64u: String,
    key_hex: String,
    enc_key_hex: String,
    claim_hex: String,
    claim_b64u: String,
    id_hex: String,
}

#[derive(Deserialize)]
struct EnvelopeVector {
    key_b64u: String,
    id_hex: String,
    nonce_hex: String,
    body_hex: String,
    envelope_b64u: String,
}

#[derive(Deserialize)]
struct Reject {
    name: String,
    key_b64u: String,
    envelope_b64u: String,
    error: String,
}

fn vectors() -> Vectors {
    serde_json::from_str(VECTORS).unwrap()
}

fn hex(s: &str) -> Vec<u8> {
    base16ct::lower::decode_vec(s).unwrap()
}

fn b64u(s: &str) -> Vec<u8> {
    Base64UrlUnpadded::decode_vec(s).unwrap()
}

#[test]
fn file_is_format_v1_and_not_empty() {
    let v = vectors();
    assert_eq!(v.format, "oneshot/v1");
    assert!(!v.derivations.is_empty() && !v.envelopes.is_empty() && !v.rejects.is_empty());
}

#[test]
fn derivations_match() {
    for d in vectors().derivations {
        let key = SecretKey::from_b64u(&d.key_b64u).unwrap();
        assert_eq!(key.as_bytes().to_vec(), hex(&d.key_hex));
        let derived = key.derive();
        assert_eq!(derived.enc_key.0.to_vec(), hex(&d.enc_key_hex), "enc_key");
        assert_eq!(
            derived.claim.as_bytes().to_vec(),
            hex(&d.claim_hex),
            "claim"
        );
        assert_eq!(derived.claim.to_b64u().as_str(), d.claim_b64u, "claim b64u");
        assert_eq!(derived.id.to_string(), d.id_hex, "id");
        assert_eq!(key.id().to_string(), d.id_hex);
        assert_eq!(key.claim().id().to_string(), d.id_hex);
    }
}

#[test]
fn envelopes_match_and_open() {
    for e in vectors().envelopes {
        let key = SecretKey::from_b64u(&e.key_b64u).unwrap();
        assert_eq!(key.id().to_string(), e.id_hex);
        let nonce: [u8; 12] = hex(&e.nonce_hex).try_into().unwrap();
        let body = hex(&e.body_hex);
        let sealed = seal_with_nonce(&key, &body, nonce).unwrap();
        assert_eq!(
            Base64UrlUnpadded::encode_string(&sealed),
            e.envelope_b64u,
            "envelope for a {}-byte body",
            body.len()
        );
        let opened = open(&key, &b64u(&e.envelope_b64u)).unwrap();
        assert_eq!(&opened[..], &body[..]);
    }
}

#[test]
fn rejects_are_rejected_with_their_class() {
    for r in vectors().rejects {
        let key = SecretKey::from_b64u(&r.key_b64u).unwrap();
        let err = open(&key, &b64u(&r.envelope_b64u)).unwrap_err();
        let class = match err {
            OpenError::Malformed(_) => "malformed",
            OpenError::UnsupportedVersion(_) => "unsupported_version",
            OpenError::DecryptionFailed => "decryption_failed",
        };
        assert_eq!(class, r.error, "reject vector {:?} gave {err:?}", r.name);
    }
}
