//! Load: 32 tasks doing put + two racing takes in a bounded loop while a
//! fault happens, and the checks every fault test makes on what they saw.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use oneshot_core::store::{Guards, TakeOutcome};
use oneshot_core::testkit::{random_id, value_for};
use oneshot_core::{SecretId, SecretStore, StoreError};
use tokio::task::JoinHandle;
use tokio::time::Instant;

pub const TASKS: usize = 32;
/// A hard cap on any load loop, whatever the test's own schedule says.
pub const LOAD_CAP: Duration = Duration::from_secs(30);
const MAX_ITERATIONS: usize = 200_000;

/// What one call gave, by kind (the value itself is checked in the task).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    Ok,
    Taken,
    NotFound,
    Unavailable,
    Indeterminate,
    /// Anything else: a failure of the test.
    Other(&'static str),
}

impl Outcome {
    pub fn of_error(error: &StoreError) -> Self {
        match error {
            StoreError::Unavailable(_) => Self::Unavailable,
            StoreError::Indeterminate(_) => Self::Indeterminate,
            StoreError::AlreadyExists => Self::Other("AlreadyExists"),
            StoreError::InvalidTtl => Self::Other("InvalidTtl"),
            StoreError::CapacityExceeded => Self::Other("CapacityExceeded"),
            StoreError::Backend(_) => Self::Other("Backend"),
            _ => Self::Other("unknown"),
        }
    }

    pub fn is_error(self) -> bool {
        !matches!(self, Self::Ok | Self::Taken | Self::NotFound)
    }
}

/// One call: when it started (relative to the load's start), how long it took.
#[derive(Clone, Debug)]
pub struct Call {
    pub op: &'static str,
    pub started: Duration,
    pub took: Duration,
    pub outcome: Outcome,
}

/// One iteration: put an id, then race two takes of it.
#[derive(Clone, Debug)]
pub struct Iteration {
    pub id: SecretId,
    /// The fault epoch (see [`Load::next_epoch`]) before the put and after the takes.
    pub epoch_before: u64,
    pub epoch_after: u64,
    pub calls: Vec<Call>,
    /// A take returned bytes other than the ones put.
    pub wrong_value: bool,
}

impl Iteration {
    pub fn put(&self) -> Outcome {
        self.calls[0].outcome
    }

    pub fn takes(&self) -> impl Iterator<Item = Outcome> + '_ {
        self.calls[1..].iter().map(|c| c.outcome)
    }

    pub fn delivered(&self) -> usize {
        self.takes().filter(|o| *o == Outcome::Taken).count()
    }

    /// When its last call ended, relative to the load's start.
    pub fn ended(&self) -> Duration {
        self.calls
            .iter()
            .map(|c| c.started + c.took)
            .max()
            .unwrap_or_default()
    }
}

pub struct Load {
    pub start: Instant,
    stop: Arc<AtomicBool>,
    epoch: Arc<AtomicU64>,
    tasks: Vec<JoinHandle<Vec<Iteration>>>,
}

impl Load {
    pub fn start<S: SecretStore + Clone>(store: S) -> Self {
        let start = Instant::now();
        let stop = Arc::new(AtomicBool::new(false));
        let epoch = Arc::new(AtomicU64::new(0));
        let tasks = (0..TASKS)
            .map(|_| {
                let (store, stop, epoch) = (store.clone(), stop.clone(), epoch.clone());
                tokio::spawn(async move {
                    let mut log = Vec::new();
                    while !stop.load(Ordering::SeqCst)
                        && log.len() < MAX_ITERATIONS
                        && start.elapsed() < LOAD_CAP
                    {
                        let iteration = one_iteration(&store, start, &epoch).await;
                        let failed = iteration.calls.iter().any(|c| c.outcome.is_error());
                        log.push(iteration);
                        if failed {
                            // A real client backs off a little after an error.
                            tokio::time::sleep(Duration::from_millis(5)).await;
                        }
                    }
                    log
                })
            })
            .collect();
        Self {
            start,
            stop,
            epoch,
            tasks,
        }
    }

    /// Marks a fault (kill, restart): iterations spanning it may lose data.
    pub fn next_epoch(&self) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
    }

    /// Stops the tasks and returns every iteration.
    pub async fn finish(self) -> Vec<Iteration> {
        self.stop.store(true, Ordering::SeqCst);
        let mut all = Vec::new();
        for task in self.tasks {
            all.extend(task.await.expect("load task panicked"));
        }
        all
    }
}

async fn one_iteration<S: SecretStore>(store: &S, start: Instant, epoch: &AtomicU64) -> Iteration {
    let id = random_id();
    let value = value_for(&id, 64);
    let epoch_before = epoch.load(Ordering::SeqCst);
    let began = Instant::now();
    let put = store
        .put_with_ttl(&id, &value, Duration::from_secs(120), &Guards::NONE)
        .await;
    let mut calls = vec![Call {
        op: "put",
        started: began - start,
        took: began.elapsed(),
        outcome: match &put {
            Ok(()) => Outcome::Ok,
            Err(e) => Outcome::of_error(e),
        },
    }];
    let mut wrong_value = false;
    if put.is_ok() {
        let take = || async {
            let began = Instant::now();
            let result = store.take(&id, None).await;
            (began, began.elapsed(), result)
        };
        let (a, b) = tokio::join!(take(), take());
        for (began, took, result) in [a, b] {
            let outcome = match result {
                Ok(TakeOutcome::Taken(got)) => {
                    wrong_value |= got != value;
                    Outcome::Taken
                }
                Ok(TakeOutcome::NotFound) => Outcome::NotFound,
                Ok(_) => Outcome::Other("a guarded outcome for a plain secret"),
                Err(e) => Outcome::of_error(&e),
            };
            calls.push(Call {
                op: "take",
                started: began - start,
                took,
                outcome,
            });
        }
    }
    Iteration {
        id,
        epoch_before,
        epoch_after: epoch.load(Ordering::SeqCst),
        calls,
        wrong_value,
    }
}

/// The checks every fault test makes, and a summary for the log:
///
/// - every call returned within `bound`;
/// - errors are only `Unavailable` or `Indeterminate`;
/// - no id delivered twice, no wrong bytes;
/// - an id put and taken within one epoch (no fault in between) whose takes
///   both answered is delivered exactly once.
pub fn check_invariants(name: &str, iterations: &[Iteration], bound: Duration) -> Summary {
    let mut summary = Summary::default();
    let mut delivered: HashMap<SecretId, usize> = HashMap::new();
    for it in iterations {
        assert!(
            !it.wrong_value,
            "{name}: id {} delivered wrong bytes",
            it.id
        );
        *delivered.entry(it.id).or_default() += it.delivered();
        for call in &it.calls {
            *summary.outcomes.entry((call.op, call.outcome)).or_default() += 1;
            summary.max_call = summary.max_call.max(call.took);
            assert!(
                call.took <= bound,
                "{name}: a {} took {:?} (bound {bound:?}) at {:?}, outcome {:?}",
                call.op,
                call.took,
                call.started,
                call.outcome
            );
            assert!(
                !matches!(call.outcome, Outcome::Other(_)),
                "{name}: a {} at {:?} failed with {:?}; only Unavailable/Indeterminate are expected",
                call.op,
                call.started,
                call.outcome
            );
        }
        let answered = it
            .takes()
            .all(|o| matches!(o, Outcome::Taken | Outcome::NotFound));
        if it.put() == Outcome::Ok && it.epoch_before == it.epoch_after && answered {
            assert_eq!(
                it.delivered(),
                1,
                "{name}: id {} put and taken without a fault in between was delivered {} times",
                it.id,
                it.delivered()
            );
        }
    }
    let twice = delivered.values().filter(|n| **n > 1).count();
    assert_eq!(twice, 0, "{name}: {twice} ids delivered more than once");
    summary.iterations = iterations.len();
    summary
}

#[derive(Debug, Default)]
pub struct Summary {
    pub iterations: usize,
    pub max_call: Duration,
    pub outcomes: HashMap<(&'static str, Outcome), usize>,
}

impl Summary {
    pub fn errors(&self) -> usize {
        self.outcomes
            .iter()
            .filter(|((_, o), _)| o.is_error())
            .map(|(_, n)| n)
            .sum()
    }
}

/// Iterations whose first call started at or after `after`.
pub fn started_after(iterations: &[Iteration], after: Duration) -> Vec<Iteration> {
    iterations
        .iter()
        .filter(|it| it.calls[0].started >= after)
        .cloned()
        .collect()
}

/// Polls `store` with put+take of fresh ids until one round trip succeeds;
/// returns how long that took, or panics after `limit`.
pub async fn time_to_recover<S: SecretStore>(store: &S, limit: Duration) -> Duration {
    let began = Instant::now();
    let mut last = String::new();
    while began.elapsed() < limit {
        let id = random_id();
        match store
            .put_with_ttl(&id, b"probe", Duration::from_secs(60), &Guards::NONE)
            .await
        {
            Ok(()) => match store.take(&id, None).await {
                Ok(TakeOutcome::Taken(_)) => return began.elapsed(),
                other => last = format!("take: {other:?}"),
            },
            Err(e) => last = format!("put: {e:?}"),
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the store did not recover within {limit:?}; last: {last}");
}
