//! Concurrent put+take pairs over any store, with take latencies and checks.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use oneshot_core::store::{Guards, TakeOutcome};
use oneshot_core::{SecretId, SecretStore, StoreError};

/// The envelope size of every secret of up to 252 bytes (FORMAT-v1 §4).
pub const ENVELOPE_LEN: usize = 285;

/// What went wrong in a workload: a store error or a broken promise.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WorkloadError {
    /// The store failed.
    #[error("store error in task {task}, pair {pair}")]
    Store {
        /// The task.
        task: usize,
        /// The pair within the task.
        pair: u64,
        /// What the store said.
        #[source]
        source: StoreError,
    },
    /// A take returned nothing for an id that was just put.
    #[error("secret lost: task {task}, pair {pair} took nothing")]
    Lost {
        /// The task.
        task: usize,
        /// The pair within the task.
        pair: u64,
    },
    /// A take returned bytes other than those put.
    #[error("wrong envelope: task {task}, pair {pair}")]
    Corrupted {
        /// The task.
        task: usize,
        /// The pair within the task.
        pair: u64,
    },
    /// A second take of the same id returned something.
    #[error("secret delivered twice: task {task}, pair {pair}")]
    Duplicated {
        /// The task.
        task: usize,
        /// The pair within the task.
        pair: u64,
    },
    /// A task panicked.
    #[error("a workload task panicked")]
    Panicked,
}

/// The outcome of [`put_take_pairs`].
#[derive(Debug)]
pub struct PairRun {
    /// Pairs completed (each checked).
    pub pairs: u64,
    /// Wall time from the first put to the last take.
    pub elapsed: Duration,
    /// Latency of each take, in nanoseconds.
    pub take_latency_ns: Histogram<u64>,
}

impl PairRun {
    /// Pairs per second.
    pub fn pairs_per_sec(&self) -> f64 {
        self.pairs as f64 / self.elapsed.as_secs_f64()
    }

    /// A take-latency quantile (0.5 for p50) in microseconds.
    pub fn take_percentile_us(&self, q: f64) -> f64 {
        self.take_latency_ns.value_at_quantile(q) as f64 / 1e3
    }
}

/// A unique id per (run, task, pair), so concurrent runs never collide.
fn id_for(run: u64, task: usize, pair: u64) -> SecretId {
    let mut bytes = [0u8; 16];
    let (a, b) = bytes.split_at_mut(8);
    a.copy_from_slice(&(run ^ ((task as u64) << 40)).to_le_bytes());
    b.copy_from_slice(&pair.to_le_bytes());
    SecretId::from_bytes(bytes)
}

/// A 285-byte envelope whose bytes name its id, so a mix-up is detected.
pub fn envelope_for(id: &SecretId) -> Vec<u8> {
    let mut envelope = vec![1u8; ENVELOPE_LEN];
    for (slot, byte) in envelope
        .iter_mut()
        .skip(1)
        .zip(id.as_bytes().iter().cycle())
    {
        *slot = *byte;
    }
    envelope
}

/// Runs `concurrency` tasks, each doing put → take → take-again checks until
/// `total_pairs` pairs are done in all or `max_time` has passed (whichever is
/// first). With `check_second_take`, each pair also verifies that a second take
/// finds nothing (costs one more round trip; off for throughput figures).
pub async fn put_take_pairs<S>(
    store: S,
    concurrency: usize,
    total_pairs: u64,
    max_time: Duration,
    check_second_take: bool,
) -> Result<PairRun, WorkloadError>
where
    S: SecretStore + Clone,
{
    let concurrency = concurrency.max(1);
    let per_task = total_pairs.div_ceil(concurrency as u64).max(1);
    let run: u64 = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let started = Instant::now();
    let deadline = started + max_time;
    let barrier = Arc::new(tokio::sync::Barrier::new(concurrency));
    let mut tasks = Vec::with_capacity(concurrency);
    for task in 0..concurrency {
        let (store, barrier) = (store.clone(), barrier.clone());
        tasks.push(tokio::spawn(async move {
            let mut histogram = new_histogram();
            barrier.wait().await;
            let ttl = Duration::from_secs(60);
            let mut done = 0u64;
            while done < per_task && Instant::now() < deadline {
                let id = id_for(run, task, done);
                let envelope = envelope_for(&id);
                let store_err = |source| WorkloadError::Store {
                    task,
                    pair: done,
                    source,
                };
                store
                    .put_with_ttl(&id, &envelope, ttl, &Guards::NONE)
                    .await
                    .map_err(store_err)?;
                let t0 = Instant::now();
                let taken = store.take(&id, None).await.map_err(store_err)?;
                let _ = histogram.record(t0.elapsed().as_nanos() as u64);
                match taken.into_envelope() {
                    None => return Err(WorkloadError::Lost { task, pair: done }),
                    Some(bytes) if bytes != envelope => {
                        return Err(WorkloadError::Corrupted { task, pair: done });
                    }
                    Some(_) => {}
                }
                let second = store.take(&id, None);
                if check_second_take && second.await.map_err(store_err)? != TakeOutcome::NotFound {
                    return Err(WorkloadError::Duplicated { task, pair: done });
                }
                done += 1;
            }
            Ok::<_, WorkloadError>((done, histogram))
        }));
    }
    let mut pairs = 0;
    let mut take_latency_ns = new_histogram();
    for task in tasks {
        let (done, histogram) = task.await.map_err(|_| WorkloadError::Panicked)??;
        pairs += done;
        let _ = take_latency_ns.add(&histogram);
    }
    Ok(PairRun {
        pairs,
        elapsed: started.elapsed(),
        take_latency_ns,
    })
}

fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000_000, 3)
        .expect("1 ns .. 60 s at 3 digits is a valid range")
}

/// Puts secrets `from..to` (ids made of `salt` and the index, all distinct
/// from [`put_take_pairs`]' ids) with `concurrency` tasks, until all are in or
/// `max_time` has passed. Returns how many were put. Every put must succeed.
pub async fn prefill<S>(
    store: S,
    from: u64,
    to: u64,
    envelope_len: usize,
    concurrency: usize,
    max_time: Duration,
) -> Result<u64, WorkloadError>
where
    S: SecretStore + Clone,
{
    let next = Arc::new(std::sync::atomic::AtomicU64::new(from));
    let envelope: Arc<[u8]> = vec![1u8; envelope_len].into();
    let deadline = Instant::now() + max_time;
    let ttl = Duration::from_secs(3600);
    let mut tasks = Vec::with_capacity(concurrency.max(1));
    for task in 0..concurrency.max(1) {
        let (store, next, envelope) = (store.clone(), Arc::clone(&next), Arc::clone(&envelope));
        tasks.push(tokio::spawn(async move {
            let mut done = 0u64;
            while Instant::now() < deadline {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= to {
                    break;
                }
                let mut bytes = [0xf1u8; 16];
                bytes[8..].copy_from_slice(&i.to_le_bytes());
                store
                    .put_with_ttl(&SecretId::from_bytes(bytes), &envelope, ttl, &Guards::NONE)
                    .await
                    .map_err(|source| WorkloadError::Store {
                        task,
                        pair: i,
                        source,
                    })?;
                done += 1;
            }
            Ok::<_, WorkloadError>(done)
        }));
    }
    let mut put = 0;
    for task in tasks {
        put += task.await.map_err(|_| WorkloadError::Panicked)??;
    }
    Ok(put)
}
