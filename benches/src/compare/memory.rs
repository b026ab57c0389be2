//! The `memory` section: what a stored secret costs in memory, by kind
//! ([`crate::footprint::Kind`]), for 285-byte and 64 KiB envelopes.
//!
//! - The memory store: `oneshot-allocs --store-memory`, a child process
//!   because dhat's allocator (exact live-heap bytes) would slow every other
//!   section of this one;
//! - Redis: the `used_memory` delta of `INFO memory` per secret, and `MEMORY
//!   USAGE` summed over the keys that name a sampled secret's id.

use std::process::Command;

use oneshot_core::SecretId;
use oneshot_redis::RedisStore;
use oneshot_redis_harness::RedisServer;

use super::{Error, Options};
use crate::footprint::{ENVELOPE_SIZES, FillError, Kind, fill, ids};

/// Secrets whose keys `MEMORY USAGE` is asked about.
const SAMPLES: usize = 20;

pub(super) fn section(options: &Options) -> Result<(), Error> {
    let (small, large) = options.budget.memory_counts;
    println!("## Memory per stored secret\n");
    println!("### Memory store (dhat: live heap bytes after the fill, less before)\n");
    let out = Command::new(&options.allocs_bin)
        .args(["--store-memory", &small.to_string(), &large.to_string()])
        .output()
        .map_err(|e| {
            format!(
                "cannot run {} ({e}); build it with `cargo build --release -p oneshot-benches --bin oneshot-allocs` \
                 or pass --allocs-bin PATH",
                options.allocs_bin.display()
            )
        })?;
    if !out.status.success() {
        return Err(format!(
            "{} --store-memory failed: {}",
            options.allocs_bin.display(),
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    print!("{}", String::from_utf8_lossy(&out.stdout));
    println!();
    redis(small, large)
}

fn redis(small: usize, large: usize) -> Result<(), Error> {
    println!(
        "### Redis (`INFO memory` used_memory delta; `MEMORY USAGE` of the keys naming a secret)\n"
    );
    println!(
        "| envelope B | kind | secrets | used_memory B/secret | ÷ envelope | MEMORY USAGE B/secret | keys/secret |"
    );
    println!("|---:|---|---:|---:|---:|---:|---:|");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let server = RedisServer::start();
    let store = runtime.block_on(RedisStore::connect(&server.url()))?;
    for (size, count) in ENVELOPE_SIZES.into_iter().zip([small, large]) {
        let envelope = vec![1u8; size];
        for (salt, kind) in (1u8..).zip(Kind::ALL) {
            server.cli(&["FLUSHALL"]);
            let ids = ids(salt, count);
            let (used_before, keys_before) = (used_memory(&server)?, db_size(&server)?);
            match runtime.block_on(fill(&store, kind, &ids, &envelope)) {
                Ok(()) => {}
                Err(FillError::Unsupported(e)) => {
                    println!(
                        "| {size} | {} | — | not supported by this store yet ({e}) | | | |",
                        kind.label()
                    );
                    continue;
                }
                Err(e) => return Err(e.into()),
            }
            let used = used_memory(&server)?.saturating_sub(used_before) as f64 / count as f64;
            let keys = db_size(&server)?.saturating_sub(keys_before) as f64 / count as f64;
            if keys == 0.0 {
                println!(
                    "| {size} | {} | {count} | {used:.0} | | — | 0 (nothing kept: not supported by this store yet) |",
                    kind.label()
                );
                continue;
            }
            let usage = sampled_usage(&server, &ids)?;
            println!(
                "| {size} | {} | {count} | {used:.0} | {:.2} | {usage:.0} | {keys:.2} |",
                kind.label(),
                used / size as f64
            );
        }
    }
    println!(
        "\nThe spent kinds are what stays after a take, which the v2 store contract requires \
         (spent ids stay occupied). `MEMORY USAGE` is averaged over {SAMPLES} secrets, summing every \
         key whose name holds the id's hex.\n"
    );
    drop(store);
    drop(server);
    Ok(())
}

fn info_field(text: &str, field: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().parse().ok())
}

fn used_memory(server: &RedisServer) -> Result<u64, Error> {
    let info = server.cli(&["INFO", "memory"]);
    info_field(&info, "used_memory").ok_or_else(|| format!("no used_memory in INFO: {info}").into())
}

fn db_size(server: &RedisServer) -> Result<u64, Error> {
    let text = server.cli(&["DBSIZE"]);
    text.trim()
        .parse()
        .map_err(|_| format!("DBSIZE answered {text}").into())
}

/// `MEMORY USAGE … SAMPLES 0` summed over the keys holding each sampled id's
/// hex, averaged over the samples.
fn sampled_usage(server: &RedisServer, ids: &[SecretId]) -> Result<f64, Error> {
    let step = (ids.len() / SAMPLES).max(1);
    let mut total = 0u64;
    let mut samples = 0u64;
    for id in ids.iter().step_by(step).take(SAMPLES) {
        let pattern = format!("*{id}*");
        for key in server
            .cli(&["--raw", "KEYS", &pattern])
            .lines()
            .filter(|k| !k.is_empty())
        {
            let usage = server.cli(&["MEMORY", "USAGE", key, "SAMPLES", "0"]);
            total += usage.trim().parse::<u64>().unwrap_or(0);
        }
        samples += 1;
    }
    Ok(total as f64 / samples.max(1) as f64)
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_info_fields() {
        let info = "# Memory\r\nused_memory:1048576\r\nused_memory_human:1.00M\r\n";
        assert_eq!(super::info_field(info, "used_memory"), Some(1_048_576));
        assert_eq!(super::info_field(info, "used_memory_peak"), None);
    }
}
