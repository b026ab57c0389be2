//! Heap allocations per operation on the hot paths, counted by dhat's
//! allocator (no sampling: every allocation is seen).
//!
//! ```text
//! cargo run --release -p oneshot-benches --bin oneshot-allocs
//! ```
//!
//! Each figure is the average over many operations after a warm-up, so
//! one-off costs (connection set-up, map growth) do not count.
#![forbid(unsafe_code)]

use std::time::Duration;

use oneshot_core::link::LinkKey;
use oneshot_core::store::{Guards, TakeOutcome};
use oneshot_core::{OneShot, SecretId, SecretKey, SecretStore, ShareOptions, open, seal};
use oneshot_memory::MemoryStore;
use oneshot_redis::RedisStore;
use oneshot_redis_harness::RedisServer;

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

const OPS: u64 = 2_000;

/// Allocations and bytes per call of `op`, averaged over `OPS` calls.
fn per_op(mut op: impl FnMut(u64)) -> (f64, f64) {
    for i in 0..100 {
        op(u64::MAX - i);
    }
    let before = dhat::HeapStats::get();
    for i in 0..OPS {
        op(i);
    }
    let after = dhat::HeapStats::get();
    (
        (after.total_blocks - before.total_blocks) as f64 / OPS as f64,
        (after.total_bytes - before.total_bytes) as f64 / OPS as f64,
    )
}

fn id(i: u64, salt: u8) -> SecretId {
    let mut bytes = [salt; 16];
    bytes[..8].copy_from_slice(&i.to_le_bytes());
    SecretId::from_bytes(bytes)
}

fn row(what: &str, (allocs, bytes): (f64, f64)) {
    println!("| {what} | {allocs:.1} | {bytes:.0} |");
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // With ONESHOT_DHAT_FILE set, also write dhat's full profile there (for
    // https://nnethercote.github.io/dh_view/dh_view.html): allocation sites.
    let _profiler = match std::env::var_os("ONESHOT_DHAT_FILE") {
        Some(file) => dhat::Profiler::builder().file_name(file).build(),
        None => dhat::Profiler::builder().testing().build(),
    };
    let key = SecretKey::generate()?;
    let body = [0x5a_u8; 1024];
    let envelope = seal(&key, &body)?;

    println!("| operation | allocations / op | bytes allocated / op |");
    println!("|---|---:|---:|");
    row("seal 1 KiB", per_op(|_| drop(seal(&key, &body))));
    row("open 1 KiB", per_op(|_| drop(open(&key, &envelope))));
    row("derive id from key", per_op(|_| _ = key.id()));

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let store = MemoryStore::new();
    let env285 = [1u8; 285];
    let ttl = Duration::from_secs(60);
    row(
        "memory put+take",
        per_op(|i| {
            runtime.block_on(async {
                let id = id(i, 1);
                store
                    .put_with_ttl(&id, &env285, ttl, &Guards::NONE)
                    .await
                    .expect("put");
                assert!(matches!(
                    store.take(&id, None).await.expect("take"),
                    TakeOutcome::Taken(_)
                ));
            });
        }),
    );
    let facade = OneShot::new(store);
    row(
        "facade share+reveal (memory)",
        per_op(|_| {
            runtime.block_on(async {
                let share = facade
                    .share(b"hunter2", &ShareOptions::new())
                    .await
                    .expect("share");
                let key = LinkKey::V2(share.key().clone());
                assert!(facade.reveal(&key, None).await.expect("reveal").is_some());
            });
        }),
    );

    let server = RedisServer::start();
    let redis = runtime.block_on(RedisStore::connect(&server.url()))?;
    row(
        "redis put+take (client side)",
        per_op(|i| {
            runtime.block_on(async {
                let id = id(i, 2);
                redis
                    .put_with_ttl(&id, &env285, ttl, &Guards::NONE)
                    .await
                    .expect("put");
                assert!(matches!(
                    redis.take(&id, None).await.expect("take"),
                    TakeOutcome::Taken(_)
                ));
            });
        }),
    );
    drop(redis);
    drop(server);
    Ok(())
}
