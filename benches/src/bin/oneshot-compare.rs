//! One run, one machine: oneshot next to its references, as a markdown table.
//!
//! ```text
//! cargo run --release -p oneshot-benches --bin oneshot-compare [-- --quick] [--only format|memory|redis]
//! ```
//!
//! - seal/open throughput vs `openssl speed -evp aes-256-gcm` at the same sizes;
//! - `MemoryStore` put+take pairs/s on one core;
//! - `RedisStore` put+take pairs/s vs `redis-benchmark` sending the same
//!   commands (`SET … PX … NX`, `GETDEL`) with the same client count, without
//!   and with `-P 16` pipelining, plus p50/p99 take latency.
//!
//! It starts and stops its own `redis-server` (persistence off). Every loop is
//! bounded in count and in time, and every taken envelope is checked against
//! the one put.
#![forbid(unsafe_code)]

use std::hint::black_box;
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use oneshot_benches::{BODY_SIZES as SIZES, openssl, put_take_pairs, redis_benchmark};
use oneshot_core::{SecretKey, open, seal};
use oneshot_memory::MemoryStore;
use oneshot_redis::RedisStore;
use oneshot_redis_harness::RedisServer;

struct Budget {
    crypto_time: Duration,
    openssl_seconds: u32,
    memory_pairs: u64,
    redis_pairs: u64,
    store_time: Duration,
    redis_benchmark_requests: u64,
}

fn main() -> ExitCode {
    let quick = std::env::args().any(|a| a == "--quick");
    let budget = if quick {
        Budget {
            crypto_time: Duration::from_millis(300),
            openssl_seconds: 1,
            memory_pairs: 300_000,
            redis_pairs: 20_000,
            store_time: Duration::from_secs(2),
            redis_benchmark_requests: 20_000,
        }
    } else {
        Budget {
            crypto_time: Duration::from_secs(2),
            openssl_seconds: 2,
            memory_pairs: 4_000_000,
            redis_pairs: 300_000,
            store_time: Duration::from_secs(6),
            redis_benchmark_requests: 300_000,
        }
    };
    match run(&budget) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("oneshot-compare: {e}");
            let mut source = std::error::Error::source(e.as_ref());
            while let Some(s) = source {
                eprintln!("  caused by: {s}");
                source = s.source();
            }
            ExitCode::FAILURE
        }
    }
}

fn run(budget: &Budget) -> Result<(), Box<dyn std::error::Error>> {
    // Fail early, with the install command, if a reference tool is missing.
    let openssl_version = openssl::version()?;
    let redis_benchmark_version = redis_benchmark::version()?;
    oneshot_redis_harness::require_binary("redis-server");

    println!("## Machine\n");
    println!("- CPU: {} ({} cores online)", cpu_model(), cores());
    println!("- {}", command_line("rustc", &["--version"]));
    println!("- {openssl_version}");
    println!(
        "- {redis_benchmark_version}; {}",
        command_line("redis-server", &["--version"])
    );
    println!(
        "- build: {}\n",
        if cfg!(debug_assertions) {
            "debug (use --release!)"
        } else {
            "release"
        }
    );

    // `--only format|memory|redis` runs one section.
    let args: Vec<String> = std::env::args().collect();
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1));
    let wanted = |section: &str| only.is_none_or(|o| o == section);
    if wanted("format") {
        format_table(budget)?;
    }
    if wanted("memory") {
        memory_table(budget)?;
    }
    if wanted("redis") {
        redis_table(budget)?;
    }
    Ok(())
}

fn format_table(budget: &Budget) -> Result<(), Box<dyn std::error::Error>> {
    println!("## Format v1: seal/open vs `openssl speed -evp aes-256-gcm` (one core)\n");
    println!(
        "| body | seal MB/s | open MB/s | OpenSSL MB/s | seal / OpenSSL | open / OpenSSL | seal µs | open µs |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    let key = SecretKey::generate()?;
    for (size, label) in SIZES {
        let body = vec![0x5a; size];
        let envelope = seal(&key, &body)?;
        let seal_per_op = time_per_op(budget.crypto_time, || {
            black_box(seal(&key, black_box(&body)).map(|e| e.len()).unwrap_or(0));
        });
        let open_per_op = time_per_op(budget.crypto_time, || {
            black_box(
                open(&key, black_box(&envelope))
                    .map(|b| b.len())
                    .unwrap_or(0),
            );
        });
        // OpenSSL measures whole buffers; 16 bytes is its smallest block size.
        let reference = openssl::aes_256_gcm_bytes_per_sec(size.max(16), budget.openssl_seconds)?;
        let bytes = size.max(16) as f64;
        let seal_bps = bytes / seal_per_op.as_secs_f64();
        let open_bps = bytes / open_per_op.as_secs_f64();
        println!(
            "| {label} | {:.0} | {:.0} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} |",
            seal_bps / 1e6,
            open_bps / 1e6,
            reference / 1e6,
            seal_bps / reference,
            open_bps / reference,
            seal_per_op.as_secs_f64() * 1e6,
            open_per_op.as_secs_f64() * 1e6,
        );
    }
    println!(
        "\nThe 0 B row counts 16 bytes on both sides (OpenSSL's smallest buffer); seal and open \
         include the HKDF derivations, the 256-byte frame padding and, for open, zeroizing the plaintext.\n"
    );
    Ok(())
}

fn memory_table(budget: &Budget) -> Result<(), Box<dyn std::error::Error>> {
    println!("## MemoryStore: put+take pairs on one core (current-thread runtime)\n");
    println!("| tasks | pairs/s | take p50 µs | take p99 µs |");
    println!("|---:|---:|---:|---:|");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    for concurrency in [1, 2, 8, 64] {
        let store = MemoryStore::new();
        let run = runtime.block_on(put_take_pairs(
            store,
            concurrency,
            budget.memory_pairs,
            budget.store_time,
            false,
        ))?;
        println!(
            "| {concurrency} | {:.0} | {:.2} | {:.2} |",
            run.pairs_per_sec(),
            run.take_percentile_us(0.5),
            run.take_percentile_us(0.99)
        );
    }
    println!();
    Ok(())
}

fn redis_table(budget: &Budget) -> Result<(), Box<dyn std::error::Error>> {
    println!(
        "## RedisStore vs `redis-benchmark` (same server, same commands, same client count)\n"
    );
    println!(
        "| clients | store runtime | store pairs/s | take p50 µs | take p99 µs | redis-benchmark pairs/s | store / rb | rb -P 16 pairs/s | store / rb -P 16 |"
    );
    println!("|---:|---|---:|---:|---:|---:|---:|---:|---:|");
    let server = RedisServer::start();
    // The store's connection driver runs on the runtime that connected it, so
    // each runtime gets its own store. Which runtime is faster depends on
    // whether cross-thread wake-ups or one core's CPU limit the client.
    let runtimes = [
        (
            "multi-thread",
            tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?,
        ),
        (
            "current-thread",
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?,
        ),
    ];
    let mut stores = Vec::new();
    for (_, runtime) in &runtimes {
        stores.push(runtime.block_on(RedisStore::connect(&server.url()))?);
    }
    for clients in [1, 8, 64, 256] {
        let plain =
            redis_benchmark::measure(server.port(), clients, budget.redis_benchmark_requests, 1)?;
        let piped =
            redis_benchmark::measure(server.port(), clients, budget.redis_benchmark_requests, 16)?;
        for ((name, runtime), store) in runtimes.iter().zip(&stores) {
            let run = runtime.block_on(put_take_pairs(
                store.clone(),
                clients,
                budget.redis_pairs,
                budget.store_time,
                false,
            ))?;
            let ours = run.pairs_per_sec();
            println!(
                "| {clients} | {name} | {ours:.0} | {:.0} | {:.0} | {:.0} | {:.2} | {:.0} | {:.2} |",
                run.take_percentile_us(0.5),
                run.take_percentile_us(0.99),
                plain.pairs_per_sec(),
                ours / plain.pairs_per_sec(),
                piped.pairs_per_sec(),
                ours / piped.pairs_per_sec(),
            );
        }
    }
    println!(
        "\nA pair is one `SET … PX … NX` and one `GETDEL`; redis-benchmark's pair rate combines its \
         two command rates harmonically. Every store pair is checked: the taken envelope must be the one put.\n"
    );
    drop(stores);
    drop(server);
    Ok(())
}

/// Average time of `op` over a loop bounded by `limit` (and 10 M iterations).
fn time_per_op(limit: Duration, mut op: impl FnMut()) -> Duration {
    // Warm up caches and the CPU's clock.
    let warm_until = Instant::now() + limit / 10;
    while Instant::now() < warm_until {
        op();
    }
    let started = Instant::now();
    let mut iterations = 0u32;
    while iterations < 10_000_000 {
        for _ in 0..16 {
            op();
        }
        iterations += 16;
        if started.elapsed() >= limit {
            break;
        }
    }
    started.elapsed() / iterations
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into())
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn command_line(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|e| format!("{program}: {e}"))
}
