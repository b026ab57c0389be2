//! Known-answer tests: `tests/data/vectors-v2.json`, made by an independent
//! implementation of FORMAT-v2.md, reproduced byte for byte.
//!
//! Every field of every row is read (`deny_unknown_fields`), so a row that
//! grows a field this file does not check fails here.

use base64ct::{Base64UrlUnpadded, Encoding};
use serde::Deserialize;

use crate::OpenError;
use crate::error::OpenV2Error;
use crate::format::v2::PBKDF2_ITERATIONS;
use crate::link::{LinkKey, parse_key, parse_receipt};
use crate::v2::derive::pbkdf2_key;
use crate::v2::envelope::seal_with_nonce;
use crate::v2::{
    Content, Flags, Kind, Passphrase, ReceiptKey, SecretKey, envelope_len, frame_len, open,
};
use crate::version::Version;

const VECTORS: &str = include_str!("../../tests/data/vectors-v2.json");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Vectors {
    format: String,
    pbkdf2_iterations: u32,
    derivations: Vec<Derivation>,
    envelopes: Vec<EnvelopeVector>,
    rejects: Vec<Reject>,
    links: Vec<LinkVector>,
    padding: Vec<Padding>,
    receipts: Vec<Receipt>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Derivation {
    key_hex: String,
    flags: u8,
    link_fragment: String,
    claim_hex: String,
    claim_b64u: String,
    id_hex: String,
    enc_key_hex: String,
    passphrase: Option<String>,
    passphrase_utf8_nfc_hex: Option<String>,
    pbkdf2_salt_hex: Option<String>,
    pbkdf2_key_hex: Option<String>,
    passphrase_proof_b64u: Option<String>,
    passphrase_verifier_hex: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EnvelopeVector {
    link_fragment: String,
    nonce_hex: String,
    kind: String,
    body_hex: String,
    envelope_b64u: String,
    envelope_len: usize,
    id_hex: String,
    passphrase: Option<String>,
    name: Option<String>,
    media_type: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Reject {
    name: String,
    link_fragment: String,
    envelope_b64u: String,
    error: String,
    passphrase: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LinkVector {
    input: String,
    ok: bool,
    key_hex: Option<String>,
    flags: Option<u8>,
    /// Present only on the v1 row; the other accepted rows are v2.
    version: Option<u8>,
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Padding {
    n: usize,
    frame_len: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Receipt {
    receipt_key_hex: String,
    id_hex: String,
    receipt_fragment: String,
    receipt_claim_b64u: String,
    receipt_verifier_hex: String,
}

fn vectors() -> Vectors {
    serde_json::from_str(VECTORS).unwrap()
}

fn hex(s: &str) -> Vec<u8> {
    base16ct::lower::decode_vec(s).unwrap()
}

fn to_hex(bytes: &[u8]) -> String {
    base16ct::lower::encode_string(bytes)
}

fn b64u(s: &str) -> Vec<u8> {
    Base64UrlUnpadded::decode_vec(s).unwrap()
}

fn passphrase(p: Option<&String>) -> Option<Passphrase> {
    p.map(|p| Passphrase::new(p).unwrap())
}

#[test]
fn file_is_format_v2_and_complete() {
    let v = vectors();
    assert_eq!(v.format, "oneshot/v2");
    assert_eq!(v.pbkdf2_iterations, PBKDF2_ITERATIONS);
    assert!(!v.derivations.is_empty() && !v.envelopes.is_empty() && !v.rejects.is_empty());
    assert!(!v.links.is_empty() && !v.padding.is_empty() && !v.receipts.is_empty());
}

#[test]
fn derivations_match() {
    let derivations = vectors().derivations;
    for d in &derivations {
        let key = SecretKey::from_fragment(&d.link_fragment).unwrap();
        assert_eq!(to_hex(key.as_bytes()), d.key_hex);
        assert_eq!(key.flags().bits(), d.flags);
        assert_eq!(key.to_fragment().as_str(), d.link_fragment);
        let claim = key.claim();
        assert_eq!(claim.version(), Version::V2);
        assert_eq!(to_hex(claim.as_bytes()), d.claim_hex, "claim");
        assert_eq!(claim.to_b64u().as_str(), d.claim_b64u, "claim b64u");
        assert_eq!(claim.id().to_string(), d.id_hex, "id from the claim");
        assert_eq!(key.id().to_string(), d.id_hex, "id");

        let p = passphrase(d.passphrase.as_ref());
        let derived = key.derive(p.as_ref()).unwrap();
        assert_eq!(to_hex(&derived.enc_key[..]), d.enc_key_hex, "enc_key");
        assert!(derived.id == claim.id() && derived.id == key.id());
        match &p {
            None => {
                assert_eq!(d.flags, 0);
                assert!(derived.proof.is_none());
                for field in [
                    &d.passphrase_utf8_nfc_hex,
                    &d.pbkdf2_salt_hex,
                    &d.pbkdf2_key_hex,
                    &d.passphrase_proof_b64u,
                    &d.passphrase_verifier_hex,
                ] {
                    assert!(field.is_none(), "passphrase fields without a passphrase");
                }
            }
            Some(p) => {
                assert!(key.needs_passphrase());
                let nfc = d.passphrase_utf8_nfc_hex.as_deref().unwrap();
                assert_eq!(to_hex(p.as_bytes()), nfc, "NFC bytes");
                let salt = key.pbkdf2_salt();
                assert_eq!(
                    to_hex(&salt[..]),
                    d.pbkdf2_salt_hex.as_deref().unwrap(),
                    "salt"
                );
                let w = pbkdf2_key(p, &salt);
                assert_eq!(to_hex(&w[..]), d.pbkdf2_key_hex.as_deref().unwrap(), "W");
                let proof = derived.proof.as_ref().unwrap();
                let expected_proof = d.passphrase_proof_b64u.as_deref().unwrap();
                assert_eq!(proof.to_b64u().as_str(), expected_proof, "proof");
                assert_eq!(
                    to_hex(proof.verifier().as_bytes()),
                    d.passphrase_verifier_hex.as_deref().unwrap(),
                    "verifier"
                );
                let alone = key.passphrase_proof(p).unwrap();
                assert!(alone == *proof, "passphrase_proof agrees with derive");
            }
        }
    }

    // The same passphrase composed and decomposed: different input, same values.
    let with_passphrase: Vec<_> = derivations
        .iter()
        .filter(|d| d.passphrase.is_some())
        .collect();
    let mut pairs = 0;
    for (i, a) in with_passphrase.iter().enumerate() {
        for b in &with_passphrase[i + 1..] {
            if a.key_hex == b.key_hex && a.passphrase != b.passphrase {
                pairs += 1;
                assert_eq!(a.passphrase_utf8_nfc_hex, b.passphrase_utf8_nfc_hex);
                assert_eq!(a.enc_key_hex, b.enc_key_hex);
                assert_eq!(a.passphrase_proof_b64u, b.passphrase_proof_b64u);
                let (pa, pb) = (a.passphrase.as_deref(), b.passphrase.as_deref());
                let (pa, pb) = (Passphrase::new(pa.unwrap()), Passphrase::new(pb.unwrap()));
                assert_eq!(pa.unwrap().as_bytes(), pb.unwrap().as_bytes());
            }
        }
    }
    assert!(pairs >= 1, "the file has an NFC/NFD pair");
}

fn content_of(e: &EnvelopeVector) -> Content {
    match e.kind.as_str() {
        "text" => {
            assert!(e.name.is_none() && e.media_type.is_none());
            Content::text()
        }
        "file" => {
            Content::file(e.name.as_deref().unwrap(), e.media_type.as_deref().unwrap()).unwrap()
        }
        other => panic!("unknown kind {other:?}"),
    }
}

#[test]
fn envelopes_match_and_open() {
    for e in vectors().envelopes {
        let key = SecretKey::from_fragment(&e.link_fragment).unwrap();
        assert_eq!(key.id().to_string(), e.id_hex);
        let nonce: [u8; 12] = hex(&e.nonce_hex).try_into().unwrap();
        let body = hex(&e.body_hex);
        let content = content_of(&e);
        let p = passphrase(e.passphrase.as_ref());
        assert_eq!(key.needs_passphrase(), p.is_some());

        let sealed = seal_with_nonce(&key, p.as_ref(), &content, &body, nonce).unwrap();
        assert_eq!(
            Base64UrlUnpadded::encode_string(&sealed),
            e.envelope_b64u,
            "envelope for a {}-byte {} body",
            body.len(),
            e.kind
        );
        assert_eq!(sealed.len(), e.envelope_len);
        assert_eq!(
            envelope_len(content.encoded_len(body.len()).unwrap()),
            Some(e.envelope_len)
        );

        let opened = open(&key, p.as_ref(), &b64u(&e.envelope_b64u)).unwrap();
        let kind = match opened.kind() {
            Kind::Text => "text",
            Kind::File => "file",
        };
        assert_eq!(kind, e.kind);
        assert_eq!(opened.name(), e.name.as_deref());
        assert_eq!(opened.media_type(), e.media_type.as_deref().unwrap_or(""));
        assert_eq!(opened.body(), &body[..]);
        assert_eq!(opened.content(), &content);
    }
}

#[test]
fn rejects_are_rejected_with_their_class() {
    for r in vectors().rejects {
        let key = SecretKey::from_fragment(&r.link_fragment).unwrap();
        let p = passphrase(r.passphrase.as_ref());
        let err = open(&key, p.as_ref(), &b64u(&r.envelope_b64u)).unwrap_err();
        let class = match &err {
            OpenV2Error::Envelope(OpenError::Malformed(_)) => "malformed",
            OpenV2Error::Envelope(OpenError::UnsupportedVersion(_)) => "unsupported_version",
            OpenV2Error::Envelope(OpenError::DecryptionFailed) => "decryption_failed",
            OpenV2Error::Passphrase(_) => "passphrase argument",
        };
        assert_eq!(class, r.error, "reject vector {:?} gave {err:?}", r.name);
    }
}

#[test]
fn links_are_accepted_or_rejected() {
    for l in vectors().links {
        let what = l.note.as_deref().unwrap_or(&l.input);
        let parsed = parse_key(&l.input);
        if !l.ok {
            assert!(parsed.is_err(), "accepted: {what}");
            assert!(l.key_hex.is_none() && l.flags.is_none() && l.version.is_none());
            continue;
        }
        let parsed = parsed.unwrap_or_else(|e| panic!("rejected {what}: {e}"));
        let key_hex = l.key_hex.as_deref().unwrap();
        match (l.version.unwrap_or(2), &parsed) {
            (1, LinkKey::V1(key)) => {
                assert_eq!(to_hex(key.as_bytes()), key_hex);
                assert!(l.flags.is_none());
                assert_eq!(parsed.version(), Version::V1);
                assert!(!parsed.needs_passphrase());
            }
            (2, LinkKey::V2(key)) => {
                assert_eq!(to_hex(key.as_bytes()), key_hex);
                let flags = l.flags.unwrap();
                assert_eq!(key.flags(), Flags::from_bits(flags).unwrap());
                assert_eq!(parsed.version(), Version::V2);
                assert_eq!(parsed.needs_passphrase(), flags == 1);
            }
            (version, parsed) => panic!("{what}: expected v{version}, got {parsed:?}"),
        }
        assert_eq!(
            parsed.to_fragment().as_str(),
            l.input.trim().rsplit('#').next().unwrap(),
            "{what}"
        );
    }
}

#[test]
fn padding_matches() {
    for p in vectors().padding {
        assert_eq!(frame_len(p.n), Some(p.frame_len), "frame_len({})", p.n);
    }
}

#[test]
fn receipts_match() {
    for r in vectors().receipts {
        let key = ReceiptKey::from_bytes(hex(&r.receipt_key_hex).try_into().unwrap());
        let claim = key.claim();
        assert_eq!(
            claim.to_b64u().as_str(),
            r.receipt_claim_b64u,
            "receipt claim"
        );
        assert_eq!(
            to_hex(claim.verifier().as_bytes()),
            r.receipt_verifier_hex,
            "receipt verifier"
        );
        assert_eq!(key.verifier(), claim.verifier());
        let id = r.id_hex.parse().unwrap();
        assert_eq!(key.to_fragment(&id).as_str(), r.receipt_fragment);
        let (parsed_id, parsed_key) = parse_receipt(&r.receipt_fragment).unwrap();
        assert_eq!(parsed_id, id);
        assert!(parsed_key == key);
    }
}

/// The derivation vector's secret: the vectors' `id` of a v2 key is
/// `SHA-256("oneshot/v2 id" || claim)`, never the v1 hash of the same bytes.
#[test]
fn v2_ids_are_not_v1_ids() {
    let d = &vectors().derivations[0];
    let claim = SecretKey::from_fragment(&d.link_fragment).unwrap().claim();
    let as_v1 = crate::Claim::from_bytes(Version::V1, *claim.as_bytes());
    assert_ne!(as_v1.id(), claim.id());
    assert!(as_v1 != claim);
}
