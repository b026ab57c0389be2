//! Format v2 and the v2 store paths: seal and open across body sizes, one
//! passphrase derivation (PBKDF2), and plain vs guarded put+take on the
//! memory store.
//!
//! `cargo bench -p oneshot-benches --bench v2` (add `--features ring` for the
//! ring AES-GCM backend)

use std::hint::black_box;
use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use oneshot_benches::V2_BODY_SIZES as SIZES;
use oneshot_core::store::{Guards, TakeOutcome};
use oneshot_core::v2::{self, Content, Flags, Passphrase};
use oneshot_core::{PassphraseProof, ReceiptVerifier, SecretId, SecretStore};
use oneshot_memory::MemoryStore;

fn seal_open(c: &mut Criterion) {
    let key = v2::SecretKey::generate(Flags::NONE).expect("OS randomness");
    let text = Content::text();
    let mut group = c.benchmark_group(format!("v2 seal ({})", oneshot_benches::AEAD_BACKEND));
    for (size, label) in SIZES {
        let body = vec![0x5a; size];
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(BenchmarkId::from_parameter(label), &body, |b, body| {
            b.iter(|| v2::seal(&key, None, &text, black_box(body)).expect("seal"));
        });
    }
    group.finish();

    let mut group = c.benchmark_group(format!("v2 open ({})", oneshot_benches::AEAD_BACKEND));
    for (size, label) in SIZES {
        let envelope = v2::seal(&key, None, &text, &vec![0x5a; size]).expect("seal");
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(
            BenchmarkId::from_parameter(label),
            &envelope,
            |b, envelope| {
                b.iter(|| v2::open(&key, None, black_box(envelope)).expect("open"));
            },
        );
    }
    group.finish();
}

fn passphrase(c: &mut Criterion) {
    let key = v2::SecretKey::generate(Flags::PASSPHRASE).expect("OS randomness");
    let passphrase = Passphrase::new("correct horse battery staple").expect("valid");
    let mut group = c.benchmark_group("v2 derive");
    // One derivation takes ~0.1-0.3 s: criterion's minimum of 10 samples.
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("passphrase proof (PBKDF2 600,000 rounds + HKDF)", |b| {
        b.iter(|| {
            key.passphrase_proof(black_box(&passphrase))
                .expect("flag set")
        });
    });
    group.bench_function("id from key (HKDF + SHA-256)", |b| {
        b.iter(|| black_box(&key).id());
    });
    group.finish();
}

fn id(i: u64, salt: u8) -> SecretId {
    let mut bytes = [salt; 16];
    bytes[..8].copy_from_slice(&i.to_le_bytes());
    SecretId::from_bytes(bytes)
}

/// put+take on the memory store, plain and guarded (one core, no tasks:
/// the store's own cost per pair). Each batch gets a fresh store with room
/// for its spent ids.
fn guarded_take(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let ttl = Duration::from_secs(60);
    let proof = PassphraseProof::from_bytes([3; 32]);
    let attempts = NonZeroU32::new(5).expect("non-zero");
    let receipt = ReceiptVerifier::from_bytes([9; 32]);
    let passphrase = Guards::NONE.with_passphrase(proof.verifier(), attempts);
    let kinds = [
        ("plain", Guards::NONE, None),
        ("passphrase", passphrase, Some(&proof)),
        (
            "passphrase + receipt",
            passphrase.with_receipt(receipt, ttl),
            Some(&proof),
        ),
    ];
    let mut group = c.benchmark_group("memory put+take (1 core)");
    group.throughput(Throughput::Elements(1));
    for (name, guards, proof) in kinds {
        group.bench_function(name, |b| {
            b.to_async(&runtime).iter_custom(|iters| async move {
                let store = MemoryStore::builder()
                    .max_entries(
                        usize::try_from(iters)
                            .unwrap_or(usize::MAX)
                            .saturating_add(1),
                    )
                    .build();
                let envelope = [1u8; 285];
                let started = Instant::now();
                for i in 0..iters {
                    let id = id(i, 10);
                    store
                        .put_with_ttl(&id, &envelope, ttl, &guards)
                        .await
                        .expect("put");
                    let taken = store.take(&id, proof).await.expect("take");
                    assert!(
                        matches!(taken, TakeOutcome::Taken(_)),
                        "not taken: {taken:?}"
                    );
                }
                started.elapsed()
            });
        });
    }
    group.finish();
}

criterion_group!(benches, seal_open, passphrase, guarded_take);
criterion_main!(benches);
