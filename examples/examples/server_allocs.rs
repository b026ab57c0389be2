//! Heap allocations per API request inside `oneshot-server`'s router, counted
//! by dhat's allocator (every allocation, no sampling), in the way of
//! `oneshot-allocs` for the library:
//!
//! ```text
//! cargo run --release -p oneshot-examples --example server_allocs
//! ONESHOT_DHAT_FILE=dhat.json cargo run --release -p oneshot-examples --example server_allocs
//! ```
//!
//! Each request goes through the whole router (JSON errors, budget gate,
//! security headers, access log, handlers, the in-memory store) as the
//! server builds it, but not through a hyper connection: the request is
//! built here and handed to the router. The harness row counts what building
//! the request and collecting the answer cost on their own (the same calls on
//! a service that answers at once); the other rows subtract it.
#![forbid(unsafe_code)]
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::print_stdout)]

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, Response, header};
use base64ct::{Base64UrlUnpadded, Encoding};
use http_body_util::BodyExt;
use hyper::service::Service;
use hyper_util::service::TowerToHyperService;
use oneshot_core::v2::{self, Content, Flags, SecretKey};
use oneshot_core::{Policy, SecretKey as V1Key};
use oneshot_examples::server::App;
use oneshot_examples::wire::{v1, v2 as wire};

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

/// Requests per row, after a warm-up of `WARM_UP`.
const OPS: usize = 2_000;
const WARM_UP: usize = 100;

/// A request body prepared before counting starts.
struct Prepared {
    path: &'static str,
    body: bytes::Bytes,
}

fn json(value: &impl serde::Serialize) -> bytes::Bytes {
    serde_json::to_vec(value).expect("serializes").into()
}

/// A v2 text secret of `body_len` bytes: its create and take bodies.
fn v2_secret(body_len: usize) -> (Prepared, Prepared) {
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
    (
        Prepared {
            path: wire::CREATE_PATH,
            body: json(&create),
        },
        Prepared {
            path: wire::TAKE_PATH,
            body: json(&take),
        },
    )
}

/// A v1 secret of `body_len` bytes: its create and take bodies.
fn v1_secret(body_len: usize) -> (Prepared, Prepared) {
    let key = V1Key::generate().expect("randomness");
    let envelope = oneshot_core::seal(&key, &vec![0x5a; body_len]).expect("seal");
    let create = serde_json::json!({
        "id": key.id().to_string(),
        "envelope": Base64UrlUnpadded::encode_string(&envelope),
        "ttl_secs": 600,
    });
    let take = serde_json::json!({ "claim": key.claim().to_b64u().as_str() });
    (
        Prepared {
            path: v1::CREATE_PATH,
            body: json(&create),
        },
        Prepared {
            path: v1::TAKE_PATH,
            body: json(&take),
        },
    )
}

fn request(prepared: &Prepared) -> Request<Body> {
    Request::post(prepared.path)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CONTENT_LENGTH, prepared.body.len())
        .body(Body::from(prepared.body.clone()))
        .expect("a request")
}

/// Sends `requests` through `service` one at a time; returns allocations and
/// bytes per request over the last `OPS` of them, and checks each status.
fn count<S>(
    runtime: &tokio::runtime::Runtime,
    service: &S,
    requests: &[Prepared],
    status: u16,
) -> (f64, f64)
where
    S: Service<Request<Body>, Response = Response<Body>>,
    S::Error: std::fmt::Debug,
{
    assert_eq!(requests.len(), WARM_UP + OPS);
    let send = |prepared: &Prepared| {
        runtime.block_on(async {
            let response = service.call(request(prepared)).await.expect("answers");
            let got = response.status().as_u16();
            let body = response.into_body().collect().await.expect("a body");
            assert_eq!(got, status, "{}: {:?}", prepared.path, body.to_bytes());
        });
    };
    requests[..WARM_UP].iter().for_each(send);
    let before = dhat::HeapStats::get();
    requests[WARM_UP..].iter().for_each(send);
    let after = dhat::HeapStats::get();
    (
        (after.total_blocks - before.total_blocks) as f64 / OPS as f64,
        (after.total_bytes - before.total_bytes) as f64 / OPS as f64,
    )
}

fn row(what: &str, (allocs, bytes): (f64, f64), harness: (f64, f64)) {
    println!(
        "| {what} | {allocs:.1} | {bytes:.0} | {:.1} | {:.0} |",
        allocs - harness.0,
        bytes - harness.1
    );
}

fn main() {
    // With ONESHOT_DHAT_FILE set, also write dhat's full profile there (for
    // https://nnethercote.github.io/dh_view/dh_view.html): allocation sites.
    let _profiler = match std::env::var_os("ONESHOT_DHAT_FILE") {
        Some(file) => dhat::Profiler::builder().file_name(file).build(),
        None => dhat::Profiler::builder().testing().build(),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let store = Arc::new(oneshot_memory::MemoryStore::new());
    let app = App::new(store, Policy::default()).expect("the default policy");
    let router = TowerToHyperService::new(app.router());

    let n = WARM_UP + OPS;
    let (v2_creates, v2_takes): (Vec<_>, Vec<_>) = (0..n).map(|_| v2_secret(256)).unzip();
    let (v1_creates, v1_takes): (Vec<_>, Vec<_>) = (0..n).map(|_| v1_secret(256)).unzip();

    let answer = bytes::Bytes::from_static(&[b'x'; 395]);
    let bare = hyper::service::service_fn(move |req: Request<Body>| {
        let answer = answer.clone();
        async move {
            let _ = req.into_body().collect().await;
            Ok::<_, Infallible>(Response::new(Body::from(answer)))
        }
    });
    let harness = count(&runtime, &bare, &v2_creates, 200);

    println!(
        "| request (256 B text, envelope {} B) | allocations / request | bytes / request | less the harness: allocations | bytes |",
        v2::envelope_len(Content::text().encoded_len(256).expect("small")).expect("small")
    );
    println!("|---|---:|---:|---:|---:|");
    row(
        "harness (build request, collect answer)",
        harness,
        (0.0, 0.0),
    );
    row(
        "v2 create (201)",
        count(&runtime, &router, &v2_creates, 201),
        harness,
    );
    row(
        "v2 take (200)",
        count(&runtime, &router, &v2_takes, 200),
        harness,
    );
    row(
        "v2 take again (404)",
        count(&runtime, &router, &v2_takes, 404),
        harness,
    );
    row(
        "v1 create (201)",
        count(&runtime, &router, &v1_creates, 201),
        harness,
    );
    row(
        "v1 take (200)",
        count(&runtime, &router, &v1_takes, 200),
        harness,
    );
}
