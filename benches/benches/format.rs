//! Format v1: seal and open across body sizes, and the key derivations alone.
//!
//! `cargo bench -p oneshot-benches --bench format`

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use oneshot_benches::BODY_SIZES as SIZES;
use oneshot_core::{SecretKey, open, seal};

fn seal_open(c: &mut Criterion) {
    let key = SecretKey::generate().expect("OS randomness");
    let mut group = c.benchmark_group("seal");
    for (size, label) in SIZES {
        let body = vec![0x5a; size];
        group.throughput(Throughput::Bytes(size.max(1) as u64));
        group.bench_with_input(BenchmarkId::from_parameter(label), &body, |b, body| {
            b.iter(|| seal(&key, black_box(body)).expect("seal"));
        });
    }
    group.finish();

    let mut group = c.benchmark_group("open");
    for (size, label) in SIZES {
        let envelope = seal(&key, &vec![0x5a; size]).expect("seal");
        group.throughput(Throughput::Bytes(size.max(1) as u64));
        group.bench_with_input(
            BenchmarkId::from_parameter(label),
            &envelope,
            |b, envelope| {
                b.iter(|| open(&key, black_box(envelope)).expect("open"));
            },
        );
    }
    group.finish();
}

fn derivations(c: &mut Criterion) {
    let key = SecretKey::generate().expect("OS randomness");
    let claim = key.claim();
    let mut group = c.benchmark_group("derive");
    group.bench_function("id from key (HKDF + SHA-256)", |b| {
        b.iter(|| black_box(&key).id());
    });
    group.bench_function("claim from key (HKDF)", |b| {
        b.iter(|| black_box(&key).claim());
    });
    group.bench_function("id from claim (SHA-256)", |b| {
        b.iter(|| black_box(&claim).id());
    });
    group.finish();
}

criterion_group!(benches, seal_open, derivations);
criterion_main!(benches);
