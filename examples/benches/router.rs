//! The server's request path without the network: create and take requests
//! handed to `App::router()` (the whole middleware, the JSON reading, the
//! handlers and the in-memory store), as `oneshot-server` builds it.
//!
//! ```text
//! cargo bench -p oneshot-examples --bench router
//! ```
//!
//! What the network and hyper's connection add is in `oneshot-compare
//! --only http` (CPU per pair against a bare hyper floor); the allocations of
//! this same path are counted by `examples/server_allocs.rs`.
#![forbid(unsafe_code)]
#![allow(clippy::expect_used, missing_docs)]

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, header};
use base64ct::{Base64UrlUnpadded, Encoding};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use http_body_util::BodyExt;
use hyper::service::Service;
use hyper_util::service::TowerToHyperService;
use oneshot_core::Policy;
use oneshot_core::v2::{self, Content, Flags, SecretKey};
use oneshot_examples::server::App;
use oneshot_examples::wire::v2 as wire;

/// A create body and a take body for a fresh 252-byte text secret (a
/// 541-byte v2 envelope).
fn secret() -> (bytes::Bytes, bytes::Bytes) {
    let key = SecretKey::generate(Flags::NONE).expect("randomness");
    let envelope = v2::seal(&key, None, &Content::text(), &[0x5a; 252]).expect("seal");
    let create = wire::CreateRequest {
        id: key.id().to_string(),
        envelope: Base64UrlUnpadded::encode_string(&envelope),
        ttl_secs: Some(600),
        passphrase_verifier: None,
        receipt_verifier: None,
    };
    let take = serde_json::json!({ "claim": key.claim().to_b64u().as_str() });
    (
        serde_json::to_vec(&create).expect("json").into(),
        serde_json::to_vec(&take).expect("json").into(),
    )
}

fn request(path: &str, body: &bytes::Bytes) -> Request<Body> {
    Request::post(path)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CONTENT_LENGTH, body.len())
        .body(Body::from(body.clone()))
        .expect("a request")
}

fn router(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let app = App::new(
        Arc::new(oneshot_memory::MemoryStore::new()),
        Policy::default(),
    )
    .expect("the default policy");
    let service = TowerToHyperService::new(app.router());
    let send = |path: &str, body: &bytes::Bytes, status: u16| {
        runtime.block_on(async {
            let response = service.call(request(path, body)).await.expect("answers");
            assert_eq!(response.status().as_u16(), status, "{path}");
            response.into_body().collect().await.expect("a body");
        });
    };

    let mut group = c.benchmark_group("router");
    group.bench_function("v2 create+take+take again (201, 200, 404)", |b| {
        b.iter_batched(
            secret,
            |(create, take)| {
                send(wire::CREATE_PATH, &create, 201);
                send(wire::TAKE_PATH, &take, 200);
                send(wire::TAKE_PATH, &take, 404);
            },
            BatchSize::SmallInput,
        );
    });
    let (_, missing) = secret();
    group.bench_function("v2 take of nothing (404)", |b| {
        b.iter(|| send(wire::TAKE_PATH, &missing, 404));
    });
    group.finish();
}

criterion_group!(benches, router);
criterion_main!(benches);
