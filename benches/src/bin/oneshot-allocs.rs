//! Heap allocations per operation on the hot paths, counted by dhat's
//! allocator (no sampling: every allocation is seen).
//!
//! ```text
//! cargo run --release -p oneshot-benches --bin oneshot-allocs
//! cargo run --release -p oneshot-benches --bin oneshot-allocs -- --store-memory 100000 2000
//! ```
//!
//! Each figure is the average over many operations after a warm-up, so
//! one-off costs (connection set-up, map growth) do not count.
//!
//! With `--store-memory SMALL LARGE` it prints instead the memory store's live
//! heap bytes per stored secret, by kind, over SMALL secrets of 285 bytes and
//! LARGE of 64 KiB (what `oneshot-compare --only memory` shows).
//!
//! Not measured here: a request through `oneshot-server`'s router. That
//! needs the server in process, which this crate does not depend on so that
//! it builds while the server changes; `cargo run --release -p
//! oneshot-examples --example server_allocs` counts it the same way.
#![forbid(unsafe_code)]

use std::time::Duration;

use std::num::NonZeroU32;

use oneshot_benches::footprint::{ENVELOPE_SIZES, Kind, fill, ids, memory_goal};
use oneshot_core::link::LinkKey;
use oneshot_core::store::{Guards, TakeOutcome};
use oneshot_core::v2::{self, Content, Flags};
use oneshot_core::{
    OneShot, PassphraseProof, ReceiptVerifier, SecretId, SecretKey, SecretStore, ShareOptions,
    open, seal,
};
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
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, small, large] = args.as_slice()
        && flag == "--store-memory"
    {
        return store_memory(small.parse()?, large.parse()?);
    }
    if !args.is_empty() {
        return Err("usage: oneshot-allocs [--store-memory SMALL LARGE]".into());
    }
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
    let key2 = v2::SecretKey::generate(Flags::NONE)?;
    let text = Content::text();
    let envelope2 = v2::seal(&key2, None, &text, &body)?;
    row(
        "v2 seal 1 KiB (text)",
        per_op(|_| drop(v2::seal(&key2, None, &text, &body))),
    );
    row(
        "v2 open 1 KiB",
        per_op(|_| drop(v2::open(&key2, None, &envelope2))),
    );
    row("v2 derive id from key", per_op(|_| _ = key2.id()));

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let env285 = [1u8; 285];
    let ttl = Duration::from_secs(60);
    let proof = PassphraseProof::from_bytes([3; 32]);
    let attempts = NonZeroU32::new(5).ok_or("zero")?;
    let guarded = Guards::NONE.with_passphrase(proof.verifier(), attempts);
    let receipted = guarded.with_receipt(ReceiptVerifier::from_bytes([9; 32]), ttl);
    // A fresh store per row, so every row pays the same amortized growth of
    // the map for the ids it leaves spent (v2 keeps every taken id).
    for (name, guards, proof) in [
        ("memory put+take", Guards::NONE, None),
        ("memory put+take, passphrase", guarded, Some(&proof)),
        (
            "memory put+take, passphrase + receipt",
            receipted,
            Some(&proof),
        ),
    ] {
        let store = MemoryStore::new();
        row(
            name,
            per_op(|i| {
                runtime.block_on(async {
                    let id = id(i, 1);
                    store
                        .put_with_ttl(&id, &env285, ttl, &guards)
                        .await
                        .expect("put");
                    assert!(matches!(
                        store.take(&id, proof).await.expect("take"),
                        TakeOutcome::Taken(_)
                    ));
                });
            }),
        );
    }
    let facade = OneShot::new(MemoryStore::new());
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

/// The memory store's live heap bytes per stored secret, by kind and size.
fn store_memory(small: usize, large: usize) -> Result<(), Box<dyn std::error::Error>> {
    let _profiler = dhat::Profiler::builder().testing().build();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    println!(
        "| envelope B | kind | secrets | heap B/secret | ÷ envelope | goal ≤ 1.25 × envelope + 128 B |"
    );
    println!("|---:|---|---:|---:|---:|---|");
    for (size, count) in ENVELOPE_SIZES.into_iter().zip([small, large]) {
        let envelope = vec![1u8; size];
        for (salt, kind) in (1u8..).zip(Kind::ALL) {
            let ids = ids(salt, count);
            let store = MemoryStore::builder()
                .max_entries(count + 1)
                .max_bytes(count.saturating_mul(size).saturating_add(1))
                .build();
            let before = dhat::HeapStats::get().curr_bytes;
            runtime.block_on(fill(&store, kind, &ids, &envelope))?;
            let after = dhat::HeapStats::get().curr_bytes;
            let per = after.saturating_sub(before) as f64 / count as f64;
            let goal = if kind.is_live() {
                let goal = memory_goal(size);
                let verdict = if per <= goal {
                    "reached"
                } else {
                    "not reached"
                };
                format!("{goal:.0}: {verdict}")
            } else {
                "—".to_owned()
            };
            println!(
                "| {size} | {} | {count} | {per:.0} | {:.2} | {goal} |",
                kind.label(),
                per / size as f64
            );
            drop(store);
        }
    }
    Ok(())
}
