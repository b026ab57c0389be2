//! The `http` section: `oneshot-server` (memory store, and Redis through
//! `--redis`) against the floor (`oneshot-floor`, bare hyper on the same
//! runtime flavour, answers of the same lengths), each a fresh child process
//! per row, driven by [`crate::http::run_pairs`] at 1, 50 and 256 connections;
//! then the cost of a `GET /metrics` scrape.

mod report;
mod target;

use std::sync::Arc;

use oneshot_redis_harness::RedisServer;

use super::machine::cores;
use super::{Error, Options};
use crate::floor::{BodyLens, Flavour};
use crate::http::{PairPool, probe};
use report::{metrics, print_goals};
use target::{Ctx, Row, Target};

/// The connection counts of issue 14.
const CONNECTIONS: [usize; 3] = [1, 50, 256];
/// A secret of up to 252 bytes makes a 285-byte envelope.
const BODY_LEN: usize = 252;

pub(super) fn section(options: &Options) -> Result<(), Error> {
    let budget = &options.budget;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores())
        .enable_all()
        .build()?;
    let max_conns = CONNECTIONS.iter().copied().max().unwrap_or(1);
    let pool = Arc::new(PairPool::generate(
        max_conns * budget.http_warmup + budget.http_pairs,
        BODY_LEN,
    )?);
    let calibration = PairPool::generate(1, BODY_LEN)?;
    let mut ctx = Ctx {
        options,
        runtime,
        pool,
        redis: RedisServer::start(),
        lens: BodyLens {
            create: 0,
            take: 0,
            miss: 0,
        },
    };
    // The floor answers with the lengths the server answers with.
    let default = options.variants.first().ok_or("no server variant")?;
    {
        let server = ctx.start_oneshot(default, false)?;
        ctx.lens = ctx.runtime.block_on(probe(server.addr(), &calibration))?;
    }

    println!(
        "## HTTP: oneshot-server vs the floor (create+take pairs over keep-alive connections)\n"
    );
    println!(
        "Envelope {} B; answers {} / {} / {} B (create / take / not found), the floor's the same. \
         Server log filter `{}`.\n",
        ctx.pool.envelope_len(),
        ctx.lens.create,
        ctx.lens.take,
        ctx.lens.miss,
        options.server_log
    );
    println!(
        "| conns | target | pairs/s | pair p50 ms | pair p99 ms | server CPU µs/pair | Redis CPU µs/pair | generator CPU µs/pair | server CPU ÷ floor | pairs/s ÷ floor |"
    );
    println!("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut targets = vec![
        Target::Floor(Flavour::MultiThread),
        Target::Floor(Flavour::CurrentThreadPerCore),
    ];
    for v in &options.variants {
        targets.push(Target::Memory(v));
        targets.push(Target::Redis(v));
    }
    let mut rows: Vec<Row> = Vec::new();
    for conns in CONNECTIONS {
        for target in &targets {
            let (run, redis) = ctx.measure(target, conns)?;
            let server_us = run.us_per_pair(run.cpu.first().copied().unwrap_or_default());
            let redis_us = run
                .cpu
                .get(1)
                .copied()
                .filter(|_| redis)
                .map(|c| run.us_per_pair(c));
            let floor = target.floor().and_then(|f| {
                rows.iter()
                    .find(|r| r.conns == conns && r.flavour == Some(f))
            });
            let ratio = |ours: f64, theirs: f64| format!("{:.2}", ours / theirs);
            println!(
                "| {conns} | {} | {:.0} | {:.2} | {:.2} | {server_us:.1} | {} | {:.1} | {} | {} |",
                target.label(),
                run.pairs_per_sec(),
                run.latency_ms(0.5),
                run.latency_ms(0.99),
                redis_us.map_or("—".to_owned(), |u| format!("{u:.1}")),
                run.us_per_pair(run.generator_cpu),
                floor.map_or("—".to_owned(), |f| ratio(server_us, f.server_us)),
                floor.map_or("—".to_owned(), |f| ratio(
                    run.pairs_per_sec(),
                    f.pairs_per_sec
                )),
            );
            rows.push(Row {
                conns,
                label: target.label(),
                floor: target.floor(),
                flavour: match target {
                    Target::Floor(f) => Some(*f),
                    _ => None,
                },
                pairs_per_sec: run.pairs_per_sec(),
                server_us,
            });
        }
    }
    println!(
        "\nA pair is three requests on one connection: create (201), take (200, the envelope checked \
         against the one put) and a second take (404); its latency runs from the create to the checked \
         take. CPU is utime+stime from /proc/<pid>/stat over the measured part ({} Hz ticks), per pair; \
         the Redis rows' server CPU excludes redis-server, counted apart. Every row is a fresh process. \
         The load generator shares the machine's {} cores with the servers.\n",
        crate::cpu::ticks_per_second(),
        cores()
    );
    print_goals(&rows);
    metrics(&ctx, default)
}
