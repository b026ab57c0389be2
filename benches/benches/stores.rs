//! Stores: put+take pairs at several concurrencies over one store, and the
//! `OneShot` facade end to end (share + reveal).
//!
//! `cargo bench -p oneshot-benches --bench stores`
//!
//! The Redis benches start their own `redis-server` on a free port with
//! persistence off (via `oneshot-redis-harness`) and stop it at the end.

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use oneshot_benches::put_take_pairs;
use oneshot_core::link::LinkKey;
use oneshot_core::{OneShot, SecretStore, ShareOptions};
use oneshot_memory::MemoryStore;
use oneshot_redis::RedisStore;
use oneshot_redis_harness::RedisServer;
use tokio::runtime::Runtime;

/// Any one measurement batch stops after this long, whatever criterion asked.
const BATCH_LIMIT: Duration = Duration::from_secs(30);

fn single_thread() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn multi_thread() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// Put+take pairs over the store `store_for(iters)` makes for each batch,
/// at each concurrency; one element = one pair.
fn pairs<S: SecretStore + Clone>(
    c: &mut Criterion,
    group_name: &str,
    runtime: &Runtime,
    store_for: impl Fn(u64) -> S,
    concurrencies: &[usize],
) {
    let mut group = c.benchmark_group(group_name);
    group.throughput(Throughput::Elements(1));
    for &concurrency in concurrencies {
        group.bench_with_input(
            BenchmarkId::new("concurrency", concurrency),
            &concurrency,
            |b, &concurrency| {
                b.to_async(runtime).iter_custom(|iters| {
                    let store = store_for(iters);
                    async move {
                        let run = put_take_pairs(store, concurrency, iters, BATCH_LIMIT, false)
                            .await
                            .expect("every pair delivered exactly once");
                        // Tasks round the count up; scale back to `iters` pairs.
                        run.elapsed.mul_f64(iters as f64 / run.pairs.max(1) as f64)
                    }
                });
            },
        );
    }
    group.finish();
}

fn facade<S: SecretStore>(c: &mut Criterion, name: &str, runtime: &Runtime, oneshot: &OneShot<S>) {
    let mut group = c.benchmark_group("facade share+reveal");
    group.throughput(Throughput::Elements(1));
    group.bench_function(name, |b| {
        b.to_async(runtime).iter(|| async {
            let share = oneshot
                .share(b"correct horse battery staple", &ShareOptions::new())
                .await
                .expect("share");
            let key = LinkKey::V2(share.key().clone());
            let secret = oneshot.reveal(&key, None).await.expect("reveal");
            assert!(secret.is_some(), "shared secret not revealed");
        });
    });
    group.finish();
}

fn memory(c: &mut Criterion) {
    // One core: the store's own cost, without cross-thread wake-ups.
    let runtime = single_thread();
    // Taken ids stay spent (the v2 store contract), so each batch gets a
    // fresh store with room for one entry per pair (tasks round up).
    let store_for = |iters: u64| {
        MemoryStore::builder()
            .max_entries(
                usize::try_from(iters)
                    .unwrap_or(usize::MAX)
                    .saturating_add(100),
            )
            .build()
    };
    pairs(
        c,
        "memory put+take (1 core)",
        &runtime,
        store_for,
        &[1, 2, 8, 64],
    );
    // The facade's spent ids pile up across criterion's batches: room for
    // far more than a 5 s measurement makes (~2 M at 3-4 µs each).
    let facade_store = MemoryStore::builder().max_entries(20_000_000).build();
    facade(c, "memory", &runtime, &OneShot::new(facade_store));
}

fn redis(c: &mut Criterion) {
    let server = RedisServer::start();
    let runtime = multi_thread();
    let store = runtime
        .block_on(RedisStore::connect(&server.url()))
        .expect("connect to redis");
    pairs(
        c,
        "redis put+take",
        &runtime,
        |_| store.clone(),
        &[1, 8, 64, 256],
    );
    facade(c, "redis", &runtime, &OneShot::new(store));
    drop(server);
}

criterion_group!(benches, memory, redis);
criterion_main!(benches);
