//! The `200` answer to a take, `{"envelope":"<base64url>"}` (the same JSON in
//! both versions), written straight into one buffer of its exact length.
//!
//! Why not `Json(TakeResponse { .. })`: that encodes the envelope into a
//! `String`, then serde_json copies it into a growing buffer while checking
//! every character for escapes, which base64url never needs (0.9 % of the
//! server's CPU in the profile in BENCHMARKS.md, and three allocations per
//! take). A test checks the bytes equal serde_json's for the wire struct.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64ct::{Base64UrlUnpadded, Encoding};

const PREFIX: &[u8] = br#"{"envelope":""#;
const SUFFIX: &[u8] = br#""}"#;

/// The answer's body: the JSON of a `TakeResponse` holding `envelope`.
fn body(envelope: &[u8]) -> Vec<u8> {
    let encoded_len = Base64UrlUnpadded::encoded_len(envelope);
    let mut out = vec![0; PREFIX.len() + encoded_len + SUFFIX.len()];
    let (prefix, rest) = out.split_at_mut(PREFIX.len());
    prefix.copy_from_slice(PREFIX);
    let (encoded, suffix) = rest.split_at_mut(encoded_len);
    // The slice is exactly the encoded length, so this cannot fail; if it
    // did, the zeros left would make the answer invalid JSON, not wrong data.
    let _ = Base64UrlUnpadded::encode(envelope, encoded);
    suffix.copy_from_slice(SUFFIX);
    out
}

/// `200` with the taken `envelope`, as JSON.
pub(crate) fn taken(envelope: &[u8]) -> Response {
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body(envelope),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use base64ct::{Base64UrlUnpadded, Encoding};
    use proptest::prelude::*;

    use crate::wire::{v1, v2};

    proptest! {
        #[test]
        fn is_the_json_of_the_wire_structs(envelope in prop::collection::vec(any::<u8>(), 0..2048)) {
            let encoded = Base64UrlUnpadded::encode_string(&envelope);
            let written = super::body(&envelope);
            let v1 = serde_json::to_vec(&v1::TakeResponse { envelope: encoded.clone() }).unwrap();
            let v2 = serde_json::to_vec(&v2::TakeResponse { envelope: encoded }).unwrap();
            prop_assert_eq!(&written, &v1);
            prop_assert_eq!(&written, &v2);
        }
    }
}
