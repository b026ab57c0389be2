//! The store sections: `MemoryStore` pairs on one core (`memory-pairs`), and
//! `RedisStore` next to `redis-benchmark` (`redis`).

use oneshot_memory::MemoryStore;
use oneshot_redis::RedisStore;
use oneshot_redis_harness::RedisServer;

use super::{Budget, Error};
use crate::{put_take_pairs, redis_benchmark};

pub(super) fn memory_table(budget: &Budget) -> Result<(), Error> {
    println!("## MemoryStore: put+take pairs on one core (current-thread runtime)\n");
    println!("| tasks | pairs/s | take p50 µs | take p99 µs |");
    println!("|---:|---:|---:|---:|");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    for concurrency in [1, 2, 8, 64] {
        // Every taken id stays spent (FORMAT-v2 store contract), so the store
        // needs room for one entry per pair.
        let store = MemoryStore::builder()
            .max_entries(usize::try_from(budget.memory_pairs)? + 10_000)
            .build();
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

pub(super) fn redis_table(budget: &Budget) -> Result<(), Error> {
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
        "\nA pair is one `SET … PX … NX` and one take, `SET … \"\" XX GET PX …`; redis-benchmark's pair rate combines its \
         two command rates harmonically. Every store pair is checked: the taken envelope must be the one put.\n"
    );
    drop(stores);
    drop(server);
    Ok(())
}
