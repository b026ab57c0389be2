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

#[path = "common/requests.rs"]
mod requests;

use std::sync::Arc;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use http_body_util::BodyExt;
use hyper::service::Service;
use hyper_util::service::TowerToHyperService;
use oneshot_core::Policy;
use oneshot_examples::server::App;
use oneshot_examples::wire::{v1, v2 as wire};
use requests::{post, v1_bodies, v2_bodies};

/// The secret's length, as in `oneshot-compare`'s http section.
const BODY_LEN: usize = 252;

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
            let response = service.call(post(path, body)).await.expect("answers");
            assert_eq!(response.status().as_u16(), status, "{path}");
            response.into_body().collect().await.expect("a body");
        });
    };

    let mut group = c.benchmark_group("router");
    group.bench_function("v2 create+take+take again (201, 200, 404)", |b| {
        b.iter_batched(
            || v2_bodies(BODY_LEN),
            |(create, take)| {
                send(wire::CREATE_PATH, &create, 201);
                send(wire::TAKE_PATH, &take, 200);
                send(wire::TAKE_PATH, &take, 404);
            },
            BatchSize::SmallInput,
        );
    });
    group.bench_function("v1 create+take+take again (201, 200, 404)", |b| {
        b.iter_batched(
            || v1_bodies(BODY_LEN),
            |(create, take)| {
                send(v1::CREATE_PATH, &create, 201);
                send(v1::TAKE_PATH, &take, 200);
                send(v1::TAKE_PATH, &take, 404);
            },
            BatchSize::SmallInput,
        );
    });
    let (_, missing) = v2_bodies(BODY_LEN);
    group.bench_function("v2 take of nothing (404)", |b| {
        b.iter(|| send(wire::TAKE_PATH, &missing, 404));
    });
    group.finish();
}

criterion_group!(benches, router);
criterion_main!(benches);
