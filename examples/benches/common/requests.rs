//! Request bodies for handing the server's router real creates and takes
//! (shared by `benches/router.rs` and `examples/server_allocs.rs`).

use axum::body::Body;
use axum::http::{Request, header};
use base64ct::{Base64UrlUnpadded, Encoding};
use oneshot_core::v2::{self, Content, Flags, SecretKey};
use oneshot_examples::wire::v2 as wire;

fn json(value: &impl serde::Serialize) -> bytes::Bytes {
    serde_json::to_vec(value).expect("serializes").into()
}

/// The create and take bodies of a fresh v2 text secret of `body_len` bytes.
pub(crate) fn v2_bodies(body_len: usize) -> (bytes::Bytes, bytes::Bytes) {
    let key = SecretKey::generate(Flags::NONE).expect("randomness");
    let envelope = v2::seal(&key, None, &Content::text(), &vec![0x5a; body_len]).expect("seal");
    let create = wire::CreateRequest {
        id: key.id().to_string(),
        envelope: Base64UrlUnpadded::encode_string(&envelope),
        ttl_secs: Some(600),
        passphrase_verifier: None,
        receipt_verifier: None,
    };
    let take = serde_json::json!({ "claim": key.claim().to_b64u().as_str() });
    (json(&create), json(&take))
}

/// The create and take bodies of a fresh v1 secret of `body_len` bytes.
pub(crate) fn v1_bodies(body_len: usize) -> (bytes::Bytes, bytes::Bytes) {
    let key = oneshot_core::SecretKey::generate().expect("randomness");
    let envelope = oneshot_core::seal(&key, &vec![0x5a; body_len]).expect("seal");
    let create = serde_json::json!({
        "id": key.id().to_string(),
        "envelope": Base64UrlUnpadded::encode_string(&envelope),
        "ttl_secs": 600,
    });
    let take = serde_json::json!({ "claim": key.claim().to_b64u().as_str() });
    (json(&create), json(&take))
}

/// A JSON `POST` of `body` to `path`, with its Content-Length.
pub(crate) fn post(path: &str, body: &bytes::Bytes) -> Request<Body> {
    Request::post(path)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CONTENT_LENGTH, body.len())
        .body(Body::from(body.clone()))
        .expect("a request")
}
