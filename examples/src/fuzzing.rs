//! The body of the `api_request` fuzz target (feature `fuzzing`). **Not part
//! of the API**: no stability promise, hidden from the docs, and no reason
//! for anything but `fuzz/` and the corpus replay
//! (`examples/tests/fuzz_corpus.rs`) to enable the feature.
//!
//! [`api_request`] panics if, and only if, a property of the server's
//! request handling fails; `FUZZING.md` at the repository root gives the
//! input layout and the properties.

// Panicking on a broken property is this module's whole purpose.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::http::{Request, header};
use http_body_util::BodyExt;
use hyper::service::Service;
use hyper_util::service::TowerToHyperService;
use oneshot_core::Policy;
use serde_json::Value;

use crate::server::{App, openapi};
use crate::wire::{SMALL_BODY_LIMIT, error_codes as code, v1, v2};

/// The routes [`api_request`] posts to, by the input's first byte.
pub const ROUTES: [&str; 6] = [
    v1::CREATE_PATH,
    v1::TAKE_PATH,
    v2::CREATE_PATH,
    v2::TAKE_PATH,
    v2::RECEIPT_PATH,
    v2::BURN_PATH,
];

/// What the OpenAPI document says a route can answer: status → the error
/// codes of that status (empty for a success).
type Answers = HashMap<u16, Vec<String>>;

fn documented() -> &'static HashMap<&'static str, Answers> {
    static DOC: OnceLock<HashMap<&'static str, Answers>> = OnceLock::new();
    DOC.get_or_init(|| {
        let doc = serde_json::to_value(openapi::document()).expect("the document serializes");
        ROUTES
            .iter()
            .map(|&path| {
                let responses = doc["paths"][path]["post"]["responses"]
                    .as_object()
                    .unwrap_or_else(|| panic!("{path} is documented"));
                let answers = responses
                    .iter()
                    .map(|(status, response)| {
                        let schema = &response["content"]["application/json"]["schema"];
                        let codes = schema["allOf"][1]["properties"]["error"]["enum"]
                            .as_array()
                            .map(|codes| {
                                codes
                                    .iter()
                                    .map(|c| c.as_str().unwrap().to_owned())
                                    .collect()
                            })
                            .unwrap_or_default();
                        (status.parse().expect("a numeric status"), codes)
                    })
                    .collect();
                (path, answers)
            })
            .collect()
    })
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a runtime")
    })
}

/// Characters no message of the server has: a string field holding one of
/// them (and 8 bytes or more) must not reappear in the answer, which would
/// mean the server quoted its input.
fn quotable(s: &str) -> bool {
    s.len() >= 8
        && s.chars()
            .any(|c| !c.is_ascii() || "#~!%&*+=?@^|\\<>$".contains(c))
}

/// The string values of a JSON value, at any depth.
fn strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        Value::Object(map) => {
            for (k, v) in map {
                out.push(k.clone());
                strings(v, out);
            }
        }
        _ => {}
    }
}

/// Does the wire struct of `path` (serde, with `deny_unknown_fields`) read
/// `body`?
fn wire_reads(path: &str, body: &[u8]) -> bool {
    match path {
        v1::CREATE_PATH => serde_json::from_slice::<v1::CreateRequest>(body).is_ok(),
        v1::TAKE_PATH => serde_json::from_slice::<v1::TakeRequest>(body).is_ok(),
        v2::CREATE_PATH => serde_json::from_slice::<v2::CreateRequest>(body).is_ok(),
        v2::TAKE_PATH => serde_json::from_slice::<v2::TakeRequest>(body).is_ok(),
        _ => serde_json::from_slice::<v2::ReceiptRequest>(body).is_ok(),
    }
}

/// Fuzz target `api_request`: a POST to one of the API's routes on a fresh
/// server (in-memory store, default policy), through the whole router.
///
/// Input: byte 0 picks the route (`ROUTES[b % 6]`) and, in bits 3-4, the
/// content type (`3`: `text/plain`; else `application/json`, with `;
/// charset=utf-8` for `1`); the rest is the body.
///
/// Properties: every answer is one the OpenAPI document lists for the route
/// (status, and for an error the code among those of its status), never
/// `500`; it is a JSON object, an error with string `error` and `message`;
/// `invalid_json` exactly when a JSON body does not parse; a success only
/// for a body that the route's wire struct reads (and a create answers its
/// id); a take or a receipt on the empty store never succeeds; no answer
/// quotes a string of the request (see `quotable`).
pub fn api_request(data: &[u8]) {
    let (selector, body) = data.split_first().map_or((0, data), |(&b, rest)| (b, rest));
    let path = ROUTES[usize::from(selector) % ROUTES.len()];
    let content_type = match (selector >> 3) & 3 {
        3 => "text/plain",
        1 => "application/json; charset=utf-8",
        _ => "application/json",
    };
    let json = content_type.starts_with("application/json");

    let store = Arc::new(oneshot_memory::MemoryStore::new());
    let app = App::new(store, Policy::default()).expect("the default policy");
    let service = TowerToHyperService::new(app.router());
    let request = Request::post(path)
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body.to_vec()))
        .expect("a request");
    let (status, headers, answer) = runtime().block_on(async {
        let response = service.call(request).await.expect("the router answers");
        let (parts, body) = response.into_parts();
        let bytes = body.collect().await.expect("the answer's body").to_bytes();
        (parts.status.as_u16(), parts.headers, bytes)
    });

    assert_ne!(status, 500, "{path}: internal error");
    let answers = &documented()[path];
    let codes = answers
        .get(&status)
        .unwrap_or_else(|| panic!("{path}: status {status} is not documented"));
    assert!(
        headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json")),
        "{path} {status}: not JSON"
    );
    let answer: Value = serde_json::from_slice(&answer).expect("the answer is JSON");
    assert!(answer.is_object(), "{path} {status}: {answer}");

    let parsed = serde_json::from_slice::<Value>(body);
    if status >= 400 {
        let error = answer["error"].as_str().expect("a string `error`");
        let message = answer["message"].as_str().expect("a string `message`");
        assert!(
            codes.iter().any(|c| c == error),
            "{path} {status}: `{error}` is not documented for it"
        );
        if json && body.len() <= SMALL_BODY_LIMIT {
            assert_eq!(
                error == code::INVALID_JSON,
                parsed.is_err(),
                "{path}: `invalid_json` exactly when the body is not JSON"
            );
        }
        if let Ok(value) = &parsed {
            let mut sent = Vec::new();
            strings(value, &mut sent);
            for s in sent.iter().filter(|s| quotable(s)) {
                assert!(
                    !message.contains(s.as_str()),
                    "{path} {status}: the message quotes the request"
                );
            }
        }
    } else {
        assert!(json, "{path}: a success without a JSON content type");
        assert!(
            wire_reads(path, body),
            "{path} {status}: a success for a body the wire struct refuses"
        );
        match path {
            v1::CREATE_PATH | v2::CREATE_PATH => {
                assert_eq!(status, 201);
                let sent = parsed.expect("JSON");
                assert_eq!(answer["id"], sent["id"], "{path}: the id as sent");
                assert!(answer["expires_at"].is_u64());
            }
            v2::BURN_PATH | v2::RECEIPT_PATH | v1::TAKE_PATH | v2::TAKE_PATH => {
                panic!("{path} {status}: a success on an empty store");
            }
            _ => unreachable!("a route of ROUTES"),
        }
    }
}
