//! The http section's verdicts on issue 14's goals, and the `GET /metrics` row.

use super::super::{Error, ServerVariant};
use super::target::{Ctx, Row};
use crate::cpu::Process;
use crate::http::scrape;

/// Issue 14's goals: server CPU per pair ≤ 1.5× the floor's; pairs/s ≥ 0.8×
/// the floor's at 50 connections.
const GOAL_CPU: f64 = 1.5;
const GOAL_RATE: f64 = 0.8;

pub(super) fn print_goals(rows: &[Row]) {
    println!(
        "Goals (issue 14): server CPU per pair ≤ {GOAL_CPU}× the floor's; pairs/s ≥ {GOAL_RATE}× the floor's at 50 connections.\n"
    );
    for row in rows {
        let Some(floor) = row.floor.and_then(|f| {
            rows.iter()
                .find(|r| r.conns == row.conns && r.flavour == Some(f))
        }) else {
            continue;
        };
        let cpu = row.server_us / floor.server_us;
        let mut line = format!(
            "- {} at {}: CPU {cpu:.2}× → {}",
            row.label,
            row.conns,
            verdict(cpu <= GOAL_CPU)
        );
        if row.conns == 50 {
            let rate = row.pairs_per_sec / floor.pairs_per_sec;
            line.push_str(&format!(
                "; pairs/s {rate:.2}× → {}",
                verdict(rate >= GOAL_RATE)
            ));
        }
        println!("{line}");
    }
    println!();
}

fn verdict(reached: bool) -> &'static str {
    if reached { "reached" } else { "not reached" }
}

/// `GET /metrics` on a fresh memory server with `--metrics-listen`, on that
/// listener: scrapes/s and server CPU per scrape.
pub(super) fn metrics(ctx: &Ctx<'_>, variant: &ServerVariant) -> Result<(), Error> {
    let budget = &ctx.options.budget;
    println!("### `GET /metrics`\n");
    let mut with_metrics = variant.clone();
    with_metrics
        .args
        .extend(["--metrics-listen".to_owned(), "127.0.0.1:0".to_owned()]);
    let server = ctx.start_oneshot(&with_metrics, false)?;
    let Some(at) = server.next_addr(std::time::Duration::from_secs(5)) else {
        println!(
            "Not served by this server (it printed no metrics address with \
             `--metrics-listen`).\n"
        );
        return Ok(());
    };
    let (count, time) = if budget.quick {
        (500, std::time::Duration::from_secs(1))
    } else {
        (5_000, std::time::Duration::from_secs(4))
    };
    match ctx.runtime.block_on(scrape(
        at,
        "/metrics",
        count,
        time,
        Process::Pid(server.pid()),
    ))? {
        None => println!("The metrics listener answered 404.\n"),
        Some((done, elapsed, len, cpu)) => {
            println!(
                "On the `--metrics-listen` listener of a fresh memory server, one connection:\n"
            );
            println!("| scrapes | scrapes/s | server CPU µs/scrape | answer bytes |");
            println!("|---:|---:|---:|---:|");
            println!(
                "| {done} | {:.0} | {:.1} | {len} |\n",
                done as f64 / elapsed.as_secs_f64(),
                cpu.as_secs_f64() * 1e6 / done.max(1) as f64
            );
        }
    }
    Ok(())
}
