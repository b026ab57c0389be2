//! `oneshot-compare`: one run, one machine, oneshot next to its references,
//! as markdown tables. The binary is [`main`]; each section is a module.
//!
//! | section | what |
//! |---|---|
//! | `format` | v1 and v2 seal/open vs `openssl speed -evp aes-256-gcm`, per AEAD backend; one PBKDF2 derivation vs `openssl kdf` |
//! | `memory-pairs` | `MemoryStore` put+take pairs/s on one core |
//! | `redis` | `RedisStore` put+take pairs/s vs `redis-benchmark` |
//! | `http` | `oneshot-server` (memory store, Redis) vs the bare-hyper floor: pairs/s, latency, CPU per pair; `GET /metrics` |
//! | `growth` | pairs/s and take latency with 10³, 10⁵, 10⁶ secrets already stored |
//! | `memory` | bytes per stored secret (memory store via dhat, Redis `MEMORY USAGE` and `used_memory`) |
//!
//! Every loop is bounded in count and in time, and every result is checked.

mod format;
mod growth;
mod http;
mod machine;
mod memory;
mod options;
mod pairs;

use std::process::ExitCode;
use std::time::{Duration, Instant};

pub use options::{Budget, Options, SECTIONS, ServerVariant};

/// Any error of a section.
pub type Error = Box<dyn std::error::Error>;

/// The `oneshot-compare` binary: parses the arguments, runs the sections
/// asked for (all by default) and prints their tables on stdout.
pub fn main() -> ExitCode {
    let options = match Options::parse(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(e) => {
            eprintln!("oneshot-compare: {e}\n{}", options::USAGE);
            return ExitCode::from(2);
        }
    };
    let result = match &options.aead_row {
        // The internal mode another build's `--aead-bin` runs.
        Some(row) => format::print_row(row),
        None => run(&options),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("oneshot-compare: {e}");
            let mut source = e.source();
            while let Some(s) = source {
                eprintln!("  caused by: {s}");
                source = s.source();
            }
            ExitCode::FAILURE
        }
    }
}

fn run(options: &Options) -> Result<(), Error> {
    machine::print(options)?;
    let budget = &options.budget;
    if options.wants("format") {
        format::section(options)?;
    }
    if options.wants("memory-pairs") {
        pairs::memory_table(budget)?;
    }
    if options.wants("redis") {
        pairs::redis_table(budget)?;
    }
    if options.wants("http") {
        http::section(options)?;
    }
    if options.wants("growth") {
        growth::section(budget)?;
    }
    if options.wants("memory") {
        memory::section(options)?;
    }
    Ok(())
}

/// Average CPU time of `op` (this thread's CPU clock, so time the thread
/// waits for a core on a loaded machine does not count; `openssl speed`
/// likewise divides by CPU time) over a loop bounded by `limit` of wall time
/// (and 10 M iterations), after a warm-up of a tenth of `limit`.
pub(crate) fn time_per_op(limit: Duration, mut op: impl FnMut()) -> Duration {
    let warm_until = Instant::now() + limit / 10;
    while Instant::now() < warm_until {
        op();
    }
    let started = Instant::now();
    let cpu_started = crate::cpu::thread_cpu();
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
    crate::cpu::thread_cpu().saturating_sub(cpu_started) / iterations
}
