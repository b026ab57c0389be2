//! The `growth` section: put+take pairs/s and take latency with 10³, 10⁵ and
//! 10⁶ secrets already stored, on the memory store (in process, one core)
//! and on Redis (through `RedisStore`, multi-thread runtime). The stores are
//! filled level by level through the trait, by many tasks, bounded in time.

use std::time::Duration;

use oneshot_memory::MemoryStore;
use oneshot_redis::RedisStore;
use oneshot_redis_harness::RedisServer;
use tokio::runtime::Runtime;

use super::{Budget, Error};
use crate::workload::ENVELOPE_LEN;
use crate::{prefill, put_take_pairs};

/// Concurrent callers in the measured pairs (memory: one core; Redis: enough
/// to pipeline on its multiplexed connection).
const MEMORY_TASKS: usize = 8;
const REDIS_TASKS: usize = 64;

pub(super) fn section(budget: &Budget) -> Result<(), Error> {
    println!("## Growth: pairs with secrets already stored\n");
    println!(
        "| store | stored | fill s | pairs/s | take p50 µs | take p99 µs | pairs/s ÷ first row |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let memory_runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    // Room for every level, the pairs' spent ids and a margin.
    let top = budget.growth_levels.iter().copied().max().unwrap_or(0);
    let entries = usize::try_from(top + 4 * budget.growth_pairs + 10_000)?;
    let memory = MemoryStore::builder()
        .max_entries(entries)
        .max_bytes(entries.saturating_mul(ENVELOPE_LEN * 2))
        .build();
    levels(
        "memory",
        &memory_runtime,
        &memory,
        &budget.growth_levels,
        MEMORY_TASKS,
        budget,
    )?;

    let redis_runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let server = RedisServer::start();
    let redis = redis_runtime.block_on(RedisStore::connect(&server.url()))?;
    levels(
        "Redis",
        &redis_runtime,
        &redis,
        &budget.growth_redis_levels,
        REDIS_TASKS,
        budget,
    )?;
    if budget.quick && budget.growth_redis_levels.len() < budget.growth_levels.len() {
        println!("| Redis | 1000000 | — | skipped (--quick) | | | |");
    }
    println!(
        "\nSecrets of {ENVELOPE_LEN} B with a 1 h lifetime, put through `SecretStore` by 256 tasks; \
         then checked pairs (the taken envelope is the one put; a second take finds nothing) by \
         {MEMORY_TASKS} tasks on one core (memory) or {REDIS_TASKS} tasks (Redis). Each pair also \
         leaves whatever the store keeps of a taken secret. Flat is the goal.\n"
    );
    drop(redis);
    drop(server);
    Ok(())
}

fn levels<S: oneshot_core::SecretStore + Clone>(
    name: &str,
    runtime: &Runtime,
    store: &S,
    levels: &[u64],
    tasks: usize,
    budget: &Budget,
) -> Result<(), Error> {
    let mut stored = 0;
    let mut first_rate = None;
    for &level in levels {
        let started = std::time::Instant::now();
        stored += runtime.block_on(prefill(
            store.clone(),
            stored,
            level,
            ENVELOPE_LEN,
            256,
            budget.fill_time,
        ))?;
        let fill = started.elapsed();
        if stored < level {
            return Err(format!(
                "{name}: filled only {stored} of {level} secrets within {:?}",
                budget.fill_time
            )
            .into());
        }
        let run = runtime.block_on(put_take_pairs(
            store.clone(),
            tasks,
            budget.growth_pairs,
            budget.store_time.max(Duration::from_secs(1)),
            true,
        ))?;
        let rate = run.pairs_per_sec();
        let first = *first_rate.get_or_insert(rate);
        println!(
            "| {name} | {level} | {:.1} | {rate:.0} | {:.2} | {:.2} | {:.2} |",
            fill.as_secs_f64(),
            run.take_percentile_us(0.5),
            run.take_percentile_us(0.99),
            rate / first
        );
    }
    Ok(())
}
