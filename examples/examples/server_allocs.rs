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

#[path = "../benches/common/requests.rs"]
mod requests;

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, Response};
use http_body_util::BodyExt;
use hyper::service::Service;
use hyper_util::service::TowerToHyperService;
use oneshot_core::Policy;
use oneshot_core::v2::{self, Content};
use oneshot_examples::server::App;
use oneshot_examples::wire::{v1, v2 as wire};
use requests::{post, v1_bodies, v2_bodies};

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

/// The create and take of a fresh secret, from `bodies` (v1 or v2).
fn secret(
    bodies: fn(usize) -> (bytes::Bytes, bytes::Bytes),
    (create_path, take_path): (&'static str, &'static str),
) -> (Prepared, Prepared) {
    let (create, take) = bodies(256);
    (
        Prepared {
            path: create_path,
            body: create,
        },
        Prepared {
            path: take_path,
            body: take,
        },
    )
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
            let response = service
                .call(post(prepared.path, &prepared.body))
                .await
                .expect("answers");
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
    let (v2_creates, v2_takes): (Vec<_>, Vec<_>) = (0..n)
        .map(|_| secret(v2_bodies, (wire::CREATE_PATH, wire::TAKE_PATH)))
        .unzip();
    let (v1_creates, v1_takes): (Vec<_>, Vec<_>) = (0..n)
        .map(|_| secret(v1_bodies, (v1::CREATE_PATH, v1::TAKE_PATH)))
        .unzip();

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
