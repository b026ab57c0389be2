//! `GET /api/openapi.json` on the built server: an OpenAPI 3.1 document that
//! names exactly the routes the router serves (so a route added without its
//! description fails here), served with the security headers, and whose
//! schemas the server's real answers satisfy.

mod common {
    pub(crate) mod api;
    pub(crate) mod bin;
    pub(crate) mod bin_server;
    pub(crate) mod v2;
}

use std::collections::BTreeSet;
use std::sync::Arc;

use base64ct::{Base64UrlUnpadded, Encoding};
use common::api::{Api, sealed};
use common::bin_server::BinServer;
use common::v2::{V2, V2_KEYS, seal_v2, v2_key};
use oneshot_core::Policy;
use oneshot_examples::server::{App, openapi};
use oneshot_examples::wire::v2::{BURN_PATH, RECEIPT_PATH, ReceiptRequest};
use oneshot_examples::wire::{v1, v2 as wire_v2};
use serde_json::{Value, json};

/// The methods a route can be probed with (HEAD and OPTIONS follow GET and
/// are not operations of their own).
const METHODS: [&str; 5] = ["get", "post", "put", "delete", "patch"];

/// The paths of the router's routes, read from its `Debug` (axum lists
/// every route's path there; it has no other way to enumerate them).
fn router_paths() -> BTreeSet<String> {
    let app = App::new(
        Arc::new(oneshot_memory::MemoryStore::new()),
        Policy::default(),
    )
    .expect("default policy");
    let debug = format!("{:?}", app.router());
    let start = debug.find("paths: {").expect("the router lists its paths");
    // `{RouteId(1): "/a", RouteId(2): "/static/{file}"}`: the quoted
    // strings up to the first `}` outside quotes (paths have braces too).
    let mut paths = BTreeSet::new();
    let (mut quoted, mut current) = (false, String::new());
    for c in debug["paths: {".len() + start..].chars() {
        match (quoted, c) {
            (false, '}') => break,
            (false, '"') => quoted = true,
            (true, '"') => {
                quoted = false;
                paths.insert(std::mem::take(&mut current));
            }
            (true, c) => current.push(c),
            (false, _) => {}
        }
    }
    paths.retain(|p| !p.contains("__private__"));
    assert!(
        paths.contains(v1::CREATE_PATH) && paths.contains("/"),
        "{paths:?} from {debug}"
    );
    paths
}

/// A concrete path for a route pattern.
fn concrete(path: &str) -> String {
    path.replace("{file}", "style.css")
}

/// The `(path, method)` the server serves: every method of every route of
/// the router that is not answered `405`.
async fn served(api: &Api) -> BTreeSet<(String, String)> {
    let mut served = BTreeSet::new();
    for path in router_paths() {
        for method in METHODS {
            let url = format!("{}{}", api.base, concrete(&path));
            let request = api
                .http
                .request(method.to_uppercase().parse().unwrap(), url);
            let status = request.send().await.expect("request").status().as_u16();
            if status != 405 {
                served.insert((path.clone(), method.to_owned()));
            }
        }
    }
    served
}

fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("a path item").keys() {
            if METHODS.contains(&method.as_str()) {
                documented.insert((path.clone(), method.clone()));
            }
        }
    }
    documented
}

async fn fetch_document(api: &Api) -> Value {
    let response = api
        .http
        .get(format!("{}{}", api.base, openapi::PATH))
        .send()
        .await
        .expect("GET the document");
    assert_eq!(response.status().as_u16(), 200);
    let headers = response.headers().clone();
    for (name, value) in [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        ("cache-control", "no-store"),
    ] {
        assert_eq!(headers[name], value, "{name}");
    }
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let text = response.text().await.expect("body");
    serde_json::from_str(&text).expect("the document is JSON")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_is_openapi_3_1_and_names_every_route() {
    let server = BinServer::start(&[]).await;
    let api = Api::new(&server.base);
    let doc = fetch_document(&api).await;
    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1.")),
        "{}",
        doc["openapi"]
    );
    assert_eq!(doc["info"]["title"], "oneshot");

    let served = served(&api).await;
    let documented = documented(&doc);
    assert_eq!(
        served, documented,
        "the router serves (left) what the document describes (right)"
    );
    // The probe itself sees the routes it must (so the comparison means something).
    for route in [
        (v1::CREATE_PATH, "post"),
        (v1::TAKE_PATH, "post"),
        (v1::CONFIG_PATH, "get"),
        (wire_v2::CREATE_PATH, "post"),
        (wire_v2::TAKE_PATH, "post"),
        (RECEIPT_PATH, "post"),
        (BURN_PATH, "post"),
        (openapi::PATH, "get"),
    ] {
        assert!(
            served.contains(&(route.0.to_owned(), route.1.to_owned())),
            "{route:?}"
        );
    }

    // Every API operation documents its body and every error status with
    // the JSON error body; the codes are those of `error_codes`.
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let responses = operation["responses"].as_object().expect("responses");
            assert!(responses.contains_key("503"), "{method} {path}: busy");
            assert!(responses.contains_key("500"), "{method} {path}: internal");
            if method == "post" {
                assert!(
                    operation["requestBody"]["content"]["application/json"]["schema"].is_object(),
                    "{method} {path}: request body"
                );
                for status in ["400", "408", "413", "415"] {
                    assert!(responses.contains_key(status), "{method} {path}: {status}");
                }
            }
            for (status, response) in responses {
                if status.starts_with('4') || status.starts_with('5') {
                    let schema = &response["content"]["application/json"]["schema"];
                    let codes = schema["allOf"][1]["properties"]["error"]["enum"]
                        .as_array()
                        .unwrap_or_else(|| panic!("{method} {path} {status}: codes"));
                    assert!(!codes.is_empty());
                }
            }
        }
    }
    server.stop().await;
}

/// Validates `body`, the answer `status` to `method path`, against the
/// document's schema for it.
fn check(doc: &Value, path: &str, method: &str, status: u16, body: &Value) {
    let response = &doc["paths"][path][method]["responses"][status.to_string()];
    let schema = &response["content"]["application/json"]["schema"];
    assert!(
        schema.is_object(),
        "{method} {path}: status {status} is documented with a JSON schema"
    );
    // The schema's `$ref`s point into the document's components.
    let mut root = schema.clone();
    root["components"] = doc["components"].clone();
    let validator = jsonschema::draft202012::new(&root).expect("a valid JSON schema");
    let errors: Vec<String> = validator.iter_errors(body).map(|e| e.to_string()).collect();
    assert!(
        errors.is_empty(),
        "{method} {path} {status}: {body} does not fit: {errors:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_answers_fit_the_documented_schemas() {
    let server = BinServer::start(&[]).await;
    let api = Api::new(&server.base);
    let doc = fetch_document(&api).await;

    // The check can fail: an answer that breaks its schema is refused.
    let validator_bites = std::panic::catch_unwind(|| {
        check(
            &doc,
            v1::CREATE_PATH,
            "post",
            201,
            &json!({ "id": "ab", "expires_at": -1 }),
        );
    });
    assert!(validator_bites.is_err());
    let wrong_code = std::panic::catch_unwind(|| {
        check(
            &doc,
            v1::TAKE_PATH,
            "post",
            404,
            &json!({ "error": "busy", "message": "m" }),
        );
    });
    assert!(wrong_code.is_err(), "a code not listed for the status");

    let config = api
        .http
        .get(format!("{}{}", api.base, v1::CONFIG_PATH))
        .send()
        .await
        .unwrap();
    assert_eq!(config.status().as_u16(), 200);
    let config: Value = config.json().await.unwrap();
    check(&doc, v1::CONFIG_PATH, "get", 200, &config);

    // v1: create, take, take again.
    let s = sealed(b"openapi v1");
    let (status, created) = api.create(&s, Some(600)).await;
    assert_eq!(status, 201, "{created}");
    check(&doc, v1::CREATE_PATH, "post", 201, &created);
    let (status, again) = api.create(&s, None).await;
    assert_eq!(status, 409, "{again}");
    check(&doc, v1::CREATE_PATH, "post", 409, &again);
    let (status, taken) = api.take(&s.claim).await;
    assert_eq!(status, 200, "{taken}");
    check(&doc, v1::TAKE_PATH, "post", 200, &taken);
    let envelope = Base64UrlUnpadded::decode_vec(taken["envelope"].as_str().unwrap()).unwrap();
    assert_eq!(
        &oneshot_core::open(&s.key, &envelope).unwrap()[..],
        b"openapi v1"
    );
    let (status, gone) = api.take(&s.claim).await;
    assert_eq!(status, 404, "{gone}");
    check(&doc, v1::TAKE_PATH, "post", 404, &gone);

    // Bad input.
    let (status, _, bad_id) = api
        .post(
            wire_v2::CREATE_PATH,
            &json!({ "id": "XYZ", "envelope": "AQ" }),
        )
        .await;
    assert_eq!(status, 400, "{bad_id}");
    assert_eq!(bad_id["error"], "invalid_id");
    check(&doc, wire_v2::CREATE_PATH, "post", 400, &bad_id);
    let not_json = api
        .http
        .post(format!("{}{}", api.base, wire_v2::TAKE_PATH))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status().as_u16(), 415);
    let not_json: Value = not_json.json().await.unwrap();
    check(&doc, wire_v2::TAKE_PATH, "post", 415, &not_json);

    // v2 with a receipt: create, receipt, burn, burn again, take.
    let receipt_key = [7u8; 32];
    let s = seal_v2(
        b"openapi v2",
        V2 {
            receipt: Some(receipt_key),
            ..V2::default()
        },
    );
    let (status, created) = api.create_v2(&s, None).await;
    assert_eq!(status, 201, "{created}");
    check(&doc, wire_v2::CREATE_PATH, "post", 201, &created);
    let receipt = ReceiptRequest {
        id: s.id.clone(),
        receipt_claim: s.receipt.as_ref().unwrap().claim().to_b64u().to_string(),
    };
    let (status, _, pending) = api.post(RECEIPT_PATH, &receipt).await;
    assert_eq!(status, 200, "{pending}");
    assert_eq!(pending["state"], "pending");
    check(&doc, RECEIPT_PATH, "post", 200, &pending);
    let (status, _, burned) = api.post(BURN_PATH, &receipt).await;
    assert_eq!(status, 200, "{burned}");
    check(&doc, BURN_PATH, "post", 200, &burned);
    let (status, _, refused) = api.post(BURN_PATH, &receipt).await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["error"], "already_burned");
    check(&doc, BURN_PATH, "post", 409, &refused);
    let (status, gone) = api.take_v2(&s.claim, None).await;
    assert_eq!(status, 404, "{gone}");
    check(&doc, wire_v2::TAKE_PATH, "post", 404, &gone);

    // v2 with a passphrase: a wrong proof, then the right one.
    let s = seal_v2(
        b"openapi passphrase",
        V2 {
            key: Some(v2_key(V2_KEYS[2])),
            passphrase: Some("correct horse"),
            ..V2::default()
        },
    );
    let (status, created) = api.create_v2(&s, None).await;
    assert_eq!(status, 201, "{created}");
    let (status, required) = api.take_v2(&s.claim, None).await;
    assert_eq!(status, 400, "{required}");
    assert_eq!(required["error"], "passphrase_required");
    check(&doc, wire_v2::TAKE_PATH, "post", 400, &required);
    let wrong_proof = "A".repeat(43);
    let (status, wrong) = api.take_v2(&s.claim, Some(&wrong_proof)).await;
    assert_eq!(status, 403, "{wrong}");
    check(&doc, wire_v2::TAKE_PATH, "post", 403, &wrong);
    let (status, taken) = api.take_v2(&s.claim, s.proof.as_deref()).await;
    assert_eq!(status, 200, "{taken}");
    check(&doc, wire_v2::TAKE_PATH, "post", 200, &taken);
    assert_eq!(s.open(&taken).body(), b"openapi passphrase");

    server.stop().await;
}
