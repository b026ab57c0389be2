//! The measured run: many connections doing checked pairs, with CPU times.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use tokio::sync::Barrier;

use super::error::HttpError;
use super::pair::{Check, SETUP_TIMEOUT, pair};
use super::pool::PairPool;
use super::wire::Conn;
use crate::cpu::{Process, Snapshot};

/// The bounds of one run.
#[derive(Debug, Clone, Copy)]
pub struct RunLimits {
    /// Measured pairs, at most (also bounded by the pool).
    pub pairs: usize,
    /// Measured time, at most.
    pub max_time: Duration,
    /// Pairs each connection does before the measurement starts.
    pub warmup_pairs_per_conn: usize,
    /// The longest one request may take.
    pub request_timeout: Duration,
}

/// The outcome of [`run_pairs`].
#[derive(Debug)]
pub struct HttpRun {
    /// Checked pairs in the measured part.
    pub pairs: u64,
    /// Its wall time.
    pub elapsed: Duration,
    /// Each pair's latency (create sent to take checked), in nanoseconds.
    pub pair_latency_ns: Histogram<u64>,
    /// CPU time of each probed process in the measured part, in order.
    pub cpu: Vec<Duration>,
    /// CPU time of this process (the load generator) in the measured part.
    pub generator_cpu: Duration,
}

impl HttpRun {
    /// Pairs per second.
    pub fn pairs_per_sec(&self) -> f64 {
        self.pairs as f64 / self.elapsed.as_secs_f64()
    }

    /// A pair-latency quantile (0.5 for p50), in milliseconds.
    pub fn latency_ms(&self, q: f64) -> f64 {
        self.pair_latency_ns.value_at_quantile(q) as f64 / 1e6
    }

    /// CPU microseconds per pair of `cpu`.
    pub fn us_per_pair(&self, cpu: Duration) -> f64 {
        cpu.as_secs_f64() * 1e6 / self.pairs.max(1) as f64
    }
}

/// Runs checked pairs over `conns` connections to `addr`, taking each pair
/// once from `pool`, and reads the CPU time of `processes` (and of this
/// process) around the measured part.
///
/// Each connection first does its warm-up pairs; then all start together and
/// go on until `limits.pairs` pairs are done in all, the pool runs out, or
/// `limits.max_time` passes. The first failure stops every connection and is
/// the result.
pub async fn run_pairs(
    addr: SocketAddr,
    conns: usize,
    pool: Arc<PairPool>,
    check: Check,
    limits: RunLimits,
    processes: &[Process],
) -> Result<HttpRun, HttpError> {
    let conns = conns.max(1);
    let warmup_total = conns * limits.warmup_pairs_per_conn;
    let limit = pool.len().min(warmup_total + limits.pairs);
    let next = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let ready = Arc::new(Barrier::new(conns + 1));
    let start = Arc::new(Barrier::new(conns + 1));
    let mut tasks = Vec::with_capacity(conns);
    for _ in 0..conns {
        let (pool, next, stop) = (Arc::clone(&pool), Arc::clone(&next), Arc::clone(&stop));
        let (ready, start) = (Arc::clone(&ready), Arc::clone(&start));
        tasks.push(tokio::spawn(async move {
            let take_index = || {
                let i = next.fetch_add(1, Ordering::Relaxed);
                (i < limit).then_some(i)
            };
            let setup = async {
                let mut conn = Conn::open(addr, limits.request_timeout).await?;
                for _ in 0..limits.warmup_pairs_per_conn {
                    let Some(i) = take_index() else { break };
                    pair(&mut conn, &pool, i, check).await?;
                }
                Ok::<_, HttpError>(conn)
            };
            let setup = tokio::time::timeout(SETUP_TIMEOUT, setup)
                .await
                .unwrap_or(Err(HttpError::Timeout("connect and warm-up")));
            // Every task reaches both barriers, failed or not, so none waits forever.
            ready.wait().await;
            start.wait().await;
            let mut conn = setup.inspect_err(|_| stop.store(true, Ordering::Relaxed))?;
            let deadline = Instant::now() + limits.max_time;
            let mut histogram = new_histogram();
            let mut done = 0u64;
            while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
                let Some(i) = take_index() else { break };
                let sent = Instant::now();
                match pair(&mut conn, &pool, i, check).await {
                    Ok((_, checked)) => {
                        let _ = histogram.record(checked.duration_since(sent).as_nanos() as u64);
                        done += 1;
                    }
                    Err(e) => {
                        stop.store(true, Ordering::Relaxed);
                        return Err(e);
                    }
                }
            }
            Ok((done, histogram))
        }));
    }
    let mut probed: Vec<Process> = processes.to_vec();
    probed.push(Process::Current);
    ready.wait().await;
    let before = Snapshot::take(&probed);
    let started = Instant::now();
    start.wait().await;
    let mut pairs = 0;
    let mut pair_latency_ns = new_histogram();
    let mut first_error = None;
    for task in tasks {
        match task.await {
            Ok(Ok((done, histogram))) => {
                pairs += done;
                let _ = pair_latency_ns.add(&histogram);
            }
            Ok(Err(e)) => {
                first_error.get_or_insert(e);
            }
            Err(_) => {
                first_error.get_or_insert(HttpError::Panicked);
            }
        }
    }
    let elapsed = started.elapsed();
    let after = Snapshot::take(&probed)?;
    if let Some(e) = first_error {
        return Err(e);
    }
    let mut cpu = after.since(&before?);
    let generator_cpu = cpu.pop().unwrap_or_default();
    Ok(HttpRun {
        pairs,
        elapsed,
        pair_latency_ns,
        cpu,
        generator_cpu,
    })
}

fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000_000, 3)
        .expect("1 ns .. 60 s at 3 digits is a valid range")
}
