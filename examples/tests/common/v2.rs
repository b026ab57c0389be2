//! Format v2 secrets sealed for the API (with a passphrase, as a file, with a
//! receipt), fixed v2 keys, and the v2 secret endpoints on the API client.
//! The receipt endpoints are in `receipts.rs`.

use base64ct::{Base64UrlUnpadded, Encoding};
use oneshot_core::v2::{self, Content, Flags, Opened, Passphrase, ReceiptKey, SecretKey};
use oneshot_examples::wire::v2::{CREATE_PATH, CreateRequest, TAKE_PATH, TakeRequest};
use serde_json::Value;

use super::api::Api;

/// Fixed v2 link fragments (46 characters: version 2, flags, `K`), so that
/// no test passes or fails by the draw of a key. The last needs a passphrase.
pub(crate) const V2_KEYS: [&str; 3] = [
    "AgAAAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHw",
    "AgD7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-w",
    "AgE-_z7_Pv8-_z7_Pv8-_z7_Pv8-_z7_Pv8-_z7_Pv8-_w",
];

/// The v2 key written as `text` (one of [`V2_KEYS`]).
pub(crate) fn v2_key(text: &str) -> SecretKey {
    let key = SecretKey::from_fragment(text).expect("a valid fixed v2 key");
    assert_eq!(
        key.to_fragment().as_str(),
        text,
        "the fixed key is canonical"
    );
    key
}

/// What to seal: all optional; the default is a text under a random key,
/// without a passphrase or a receipt.
#[derive(Default)]
pub(crate) struct V2 {
    /// A fixed key (its flags must fit `passphrase`).
    pub(crate) key: Option<SecretKey>,
    pub(crate) passphrase: Option<&'static str>,
    /// A file's name and media type.
    pub(crate) file: Option<(&'static str, &'static str)>,
    /// A receipt, with this fixed receipt key.
    pub(crate) receipt: Option<[u8; 32]>,
}

/// A sealed v2 secret ready to post.
pub(crate) struct SealedV2 {
    pub(crate) key: SecretKey,
    pub(crate) passphrase: Option<Passphrase>,
    pub(crate) receipt: Option<ReceiptKey>,
    /// Hex.
    pub(crate) id: String,
    /// Base64url.
    pub(crate) envelope: String,
    pub(crate) claim: String,
    /// The right passphrase proof (base64url), if it has a passphrase.
    pub(crate) proof: Option<String>,
    passphrase_verifier: Option<String>,
}

/// `body` sealed as `spec` says.
pub(crate) fn seal_v2(body: &[u8], spec: V2) -> SealedV2 {
    let passphrase = spec.passphrase.map(|p| Passphrase::new(p).unwrap());
    let flags = if passphrase.is_some() {
        Flags::PASSPHRASE
    } else {
        Flags::NONE
    };
    let key = spec
        .key
        .unwrap_or_else(|| SecretKey::generate(flags).expect("randomness"));
    let content = match spec.file {
        Some((name, media_type)) => Content::file(name, media_type).unwrap(),
        None => Content::text(),
    };
    let envelope = v2::seal(&key, passphrase.as_ref(), &content, body).expect("seal");
    let proof = passphrase
        .as_ref()
        .map(|p| key.passphrase_proof(p).expect("the flags fit"));
    SealedV2 {
        id: key.id().to_string(),
        envelope: Base64UrlUnpadded::encode_string(&envelope),
        claim: key.claim().to_b64u().to_string(),
        passphrase_verifier: proof.as_ref().map(|p| p.verifier().to_b64u()),
        proof: proof.map(|p| p.to_b64u().to_string()),
        receipt: spec.receipt.map(ReceiptKey::from_bytes),
        passphrase,
        key,
    }
}

impl SealedV2 {
    /// The body that stores this secret, with its verifiers.
    pub(crate) fn create_request(&self, ttl_secs: Option<u64>) -> CreateRequest {
        CreateRequest {
            id: self.id.clone(),
            envelope: self.envelope.clone(),
            ttl_secs,
            passphrase_verifier: self.passphrase_verifier.clone(),
            receipt_verifier: self.receipt.as_ref().map(|r| r.verifier().to_b64u()),
        }
    }

    /// Opens the envelope of a `200` take.
    pub(crate) fn open(&self, taken: &Value) -> Opened {
        let envelope = taken["envelope"].as_str().expect("an envelope");
        let envelope = Base64UrlUnpadded::decode_vec(envelope).expect("base64url");
        v2::open(&self.key, self.passphrase.as_ref(), &envelope).expect("it opens")
    }
}

impl Api {
    /// Stores `s` through the v2 API; the status and the JSON answer.
    pub(crate) async fn create_v2(&self, s: &SealedV2, ttl_secs: Option<u64>) -> (u16, Value) {
        let (status, _, v) = self.post(CREATE_PATH, &s.create_request(ttl_secs)).await;
        (status, v)
    }

    /// Takes through the v2 API by `claim`, with `proof`.
    pub(crate) async fn take_v2(&self, claim: &str, proof: Option<&str>) -> (u16, Value) {
        let request = TakeRequest {
            claim: claim.to_owned(),
            passphrase_proof: proof.map(str::to_owned),
        };
        let (status, _, v) = self.post(TAKE_PATH, &request).await;
        (status, v)
    }
}
