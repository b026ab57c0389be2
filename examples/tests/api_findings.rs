//! Regressions for what fuzzing found in the API (FUZZING.md, "Findings" of
//! `api_request` and of schemathesis), against the built server.

mod common {
    pub(crate) mod api;
    pub(crate) mod bin;
    pub(crate) mod bin_server;
    pub(crate) mod raw;
}

use base64ct::{Base64UrlUnpadded, Encoding};
use common::api::{Api, sealed};
use common::bin_server::BinServer;
use common::raw::{Req, b, expect_error};
use oneshot_examples::wire::{v1, v2};

/// `api_request` fuzz target: `{"id": a, …, "id": b}` was stored under `b`
/// (serde_json keeps the last key), while the wire structs, and JSON
/// readers that keep the first key, refuse it or read `a`. A repeated
/// field is now `400 invalid_request`, on every route, and nothing is
/// stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_field_is_refused_and_nothing_is_stored() {
    let server = BinServer::start(&[]).await;
    let api = Api::new(&server.base);
    let first = sealed(b"first");
    let second = sealed(b"second");
    let create = format!(
        r#"{{"id":"{}","envelope":"{}","id":"{}"}}"#,
        first.id, first.envelope, second.id
    );
    expect_error(
        &api,
        Req::post(v1::CREATE_PATH, create.into_bytes()),
        400,
        "invalid_request",
    )
    .await;
    // Neither id was stored: both create normally now.
    for s in [&first, &second] {
        let (status, created) = api.create(s, None).await;
        assert_eq!(status, 201, "{created}");
    }
    let take = format!(r#"{{"claim":"{0}","claim":"{0}"}}"#, first.claim);
    expect_error(
        &api,
        Req::post(v1::TAKE_PATH, take.into_bytes()),
        400,
        "invalid_request",
    )
    .await;
    let (status, taken) = api.take(&first.claim).await;
    assert_eq!(status, 200, "the refused take consumed nothing: {taken}");
    let envelope = Base64UrlUnpadded::decode_vec(taken["envelope"].as_str().unwrap()).unwrap();
    assert_eq!(
        &oneshot_core::open(&first.key, &envelope).unwrap()[..],
        b"first"
    );
    for path in [
        v2::CREATE_PATH,
        v2::TAKE_PATH,
        v2::RECEIPT_PATH,
        v2::BURN_PATH,
    ] {
        expect_error(
            &api,
            Req::post(path, br#"{"id":"0","id":"1"}"#.to_vec()),
            400,
            "invalid_request",
        )
        .await;
    }
    // One key each is still fine, nested repeats are the field's business
    // (a wrong type here).
    expect_error(
        &api,
        Req::post(v1::TAKE_PATH, br#"{"claim":{"a":1,"a":2}}"#.to_vec()),
        400,
        "invalid_claim",
    )
    .await;
    // The parse comes after the content type and the method: those answers
    // are unchanged for a body with a repeated key.
    let mut repeated = b(&serde_json::json!({ "claim": first.claim }));
    repeated.pop();
    repeated.extend_from_slice(br#","claim":"x"}"#);
    expect_error(
        &api,
        Req::post(v1::TAKE_PATH, repeated).content_type(Some("text/plain")),
        415,
        "unsupported_media_type",
    )
    .await;
    expect_error(
        &api,
        Req::bare("PUT", v1::TAKE_PATH),
        405,
        "method_not_allowed",
    )
    .await;
    server.stop().await;
}

/// `api_request` fuzz target, on the first version of the repeated-key
/// check: bytes that are not UTF-8 in a string inside a top-level array
/// were skipped unchecked and answered `invalid_request` (not an object)
/// instead of `invalid_json`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bytes_that_are_not_json_are_invalid_json_wherever_they_are() {
    let server = BinServer::start(&[]).await;
    let api = Api::new(&server.base);
    for body in [
        &b"[1,2,3,\"pa\xff\xffss\"]"[..],
        b"{\"id\":[\"\xff\"]}",
        b"\"\xfe\"",
    ] {
        expect_error(
            &api,
            Req::post(v2::BURN_PATH, body.to_vec()),
            400,
            "invalid_json",
        )
        .await;
    }
    // The same shapes in UTF-8 are JSON, and not the object a request is.
    expect_error(
        &api,
        Req::post(v2::BURN_PATH, "[1,2,3,\"pa\u{e9}ss\"]".into()),
        400,
        "invalid_request",
    )
    .await;
    server.stop().await;
}
