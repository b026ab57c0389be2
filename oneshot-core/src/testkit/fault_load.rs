//! A load for fault tests: [`TASKS`] tasks putting, taking, burning and
//! reading receipts in a bounded loop while the test kills, pauses or
//! restarts the store's server, and [`check_invariants`], the checks every
//! fault test makes on what the tasks saw.
//!
//! Every backend with a server (Redis, PostgreSQL) runs its fault tests on
//! this one load, so the promises under faults are the same on every backend:
//! nothing delivered twice or to a wrong proof, errors only `Unavailable` or
//! `Indeterminate`, every call bounded, receipts that tell the truth, and an
//! id used within one fault epoch with every call answered has exactly one
//! winner.
//!
//! ```text
//! let load = Load::start(store.clone(), |_task| random_id());
//! sleep(Duration::from_millis(600)).await;
//! load.next_epoch();
//! server.kill();
//! // ...
//! let iterations = load.finish().await;
//! let summary = check_invariants("kill -9", &iterations, CALL_BOUND);
//! ```

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::{passphrase_guard, random_id, random_proof, random_receipt_claim, value_for};
use crate::SecretId;
use crate::store::{
    BurnOutcome, Guards, Receipt, ReceiptState, SecretStore, StoreError, TakeOutcome,
};

/// How many tasks a [`Load`] runs.
pub const TASKS: usize = 32;
/// A hard cap on any load loop, whatever the test's own schedule says.
pub const LOAD_CAP: Duration = Duration::from_secs(30);
const MAX_ITERATIONS: usize = 200_000;
/// Wrong passphrases a guarded secret of the load allows.
pub const ATTEMPTS: u32 = 3;

/// What one call gave, by kind (the value itself is checked in the task).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// A put that stored.
    Ok,
    /// A take that returned the envelope.
    Some,
    /// Nothing there: a take's `NotFound`, a receipt's or a burn's `None`.
    None,
    /// A take's `WrongPassphrase`.
    Wrong(u32),
    /// A take's `PassphraseRequired`.
    Required,
    /// A burn that burned.
    Burned,
    /// A burn that was refused.
    Refused,
    /// A receipt that was found.
    Receipt,
    /// `StoreError::Unavailable`.
    Unavailable,
    /// `StoreError::Indeterminate`.
    Indeterminate,
    /// Anything else: a failure of the test.
    Other(&'static str),
}

impl Outcome {
    /// What a put gave.
    pub fn of_put(result: &Result<(), StoreError>) -> Self {
        match result {
            Ok(()) => Self::Ok,
            Err(e) => Self::of_error(e),
        }
    }

    /// What a take gave.
    pub fn of_take(result: &Result<TakeOutcome, StoreError>) -> Self {
        match result {
            Ok(TakeOutcome::Taken(_)) => Self::Some,
            Ok(TakeOutcome::NotFound) => Self::None,
            Ok(TakeOutcome::PassphraseRequired) => Self::Required,
            Ok(TakeOutcome::WrongPassphrase { attempts_left }) => Self::Wrong(*attempts_left),
            Err(e) => Self::of_error(e),
        }
    }

    /// What an error was.
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

    /// Whether the call failed.
    pub fn is_error(self) -> bool {
        matches!(
            self,
            Self::Unavailable | Self::Indeterminate | Self::Other(_)
        )
    }
}

/// One call: when it started (relative to the load's start), how long it took.
#[derive(Clone, Debug)]
pub struct Call {
    /// `put`, `wrong take`, `take`, `burn` or `receipt`.
    pub op: &'static str,
    /// When it started, relative to the load's start.
    pub started: Duration,
    /// How long it took.
    pub took: Duration,
    /// What it gave.
    pub outcome: Outcome,
}

/// Which kind of secret an iteration used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Put, then two racing takes.
    Plain,
    /// Put with a passphrase and a receipt; one wrong-proof take; two
    /// right-proof takes racing a burn; a receipt.
    Guarded,
}

/// One iteration with one fresh id.
#[derive(Clone, Debug)]
pub struct Iteration {
    /// The id it used.
    pub id: SecretId,
    /// Plain or guarded.
    pub kind: Kind,
    /// The fault epoch (see [`Load::next_epoch`]) before the put and after the last call.
    pub epoch_before: u64,
    /// The fault epoch after the last call.
    pub epoch_after: u64,
    /// Its calls, the put first.
    pub calls: Vec<Call>,
    /// A take returned bytes other than the ones put.
    pub wrong_value: bool,
    /// What the burn said, if it answered with a receipt.
    pub burn_receipt: Option<Receipt>,
    /// What the last call, a receipt, found.
    pub receipt: Option<Receipt>,
}

impl Iteration {
    /// What the put gave.
    pub fn put(&self) -> Outcome {
        self.calls[0].outcome
    }

    fn outcomes(&self, op: &'static str) -> impl Iterator<Item = Outcome> + '_ {
        self.calls
            .iter()
            .filter(move |c| c.op == op)
            .map(|c| c.outcome)
    }

    /// The takes with the right proof (or, for a plain secret, without one).
    pub fn takes(&self) -> impl Iterator<Item = Outcome> + '_ {
        self.outcomes("take")
    }

    /// How many takes returned the envelope.
    pub fn delivered(&self) -> usize {
        self.takes().filter(|o| *o == Outcome::Some).count()
    }

    /// Takes that delivered and burns that burned: at most one, ever.
    pub fn winners(&self) -> usize {
        self.delivered()
            + self
                .outcomes("burn")
                .filter(|o| *o == Outcome::Burned)
                .count()
    }

    /// What the take with a wrong proof gave (guarded iterations).
    pub fn wrong_take(&self) -> Option<Outcome> {
        self.outcomes("wrong take").next()
    }

    /// When its last call ended, relative to the load's start.
    pub fn ended(&self) -> Duration {
        self.calls
            .iter()
            .map(|c| c.started + c.took)
            .max()
            .unwrap_or_default()
    }

    /// Whether every call after the put answered (no error).
    pub fn all_answered(&self) -> bool {
        self.calls.iter().all(|c| !c.outcome.is_error())
    }
}

/// The running load; [`finish`](Self::finish) stops it.
pub struct Load {
    /// When it started: [`Call::started`] is relative to it.
    pub start: Instant,
    stop: Arc<AtomicBool>,
    epoch: Arc<AtomicU64>,
    tasks: Vec<JoinHandle<Vec<Iteration>>>,
}

impl Load {
    /// Starts [`TASKS`] tasks; task `i` makes its ids with `ids(i)` (a
    /// cluster test aims tasks at slots this way; others pass
    /// `|_| random_id()`). Each task alternates plain and guarded iterations.
    pub fn start<S, F>(store: S, ids: F) -> Self
    where
        S: SecretStore + Clone,
        F: Fn(usize) -> SecretId + Send + Sync + 'static,
    {
        let start = Instant::now();
        let stop = Arc::new(AtomicBool::new(false));
        let epoch = Arc::new(AtomicU64::new(0));
        let ids = Arc::new(ids);
        let tasks = (0..TASKS)
            .map(|task| {
                let (store, stop, epoch, ids) =
                    (store.clone(), stop.clone(), epoch.clone(), ids.clone());
                tokio::spawn(async move {
                    let mut log = Vec::new();
                    while !stop.load(Ordering::SeqCst)
                        && log.len() < MAX_ITERATIONS
                        && start.elapsed() < LOAD_CAP
                    {
                        let kind = if (log.len() + task) % 2 == 0 {
                            Kind::Plain
                        } else {
                            Kind::Guarded
                        };
                        let iteration = one_iteration(&store, ids(task), kind, start, &epoch).await;
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

/// Times one call.
async fn timed<T>(start: Instant, call: impl Future<Output = T>) -> (Duration, Duration, T) {
    let began = Instant::now();
    let result = call.await;
    (began - start, began.elapsed(), result)
}

async fn one_iteration<S: SecretStore>(
    store: &S,
    id: SecretId,
    kind: Kind,
    start: Instant,
    epoch: &AtomicU64,
) -> Iteration {
    let value = value_for(&id, 64);
    let (proof, claim) = (random_proof(), random_receipt_claim());
    let guards = match kind {
        Kind::Plain => Guards::NONE,
        Kind::Guarded => passphrase_guard(&proof, ATTEMPTS)
            .with_receipt(claim.verifier(), Duration::from_secs(60)),
    };
    let epoch_before = epoch.load(Ordering::SeqCst);
    let mut calls = Vec::new();
    let mut record = |op, (started, took, outcome): (Duration, Duration, Outcome)| {
        calls.push(Call {
            op,
            started,
            took,
            outcome,
        });
    };
    let (started, took, put) = timed(
        start,
        store.put_with_ttl(&id, &value, Duration::from_secs(120), &guards),
    )
    .await;
    record("put", (started, took, Outcome::of_put(&put)));
    let mut iteration = Iteration {
        id,
        kind,
        epoch_before,
        epoch_after: epoch_before,
        calls: Vec::new(),
        wrong_value: false,
        burn_receipt: None,
        receipt: None,
    };
    if put.is_ok() {
        let right = (kind == Kind::Guarded).then_some(&proof);
        if kind == Kind::Guarded {
            let wrong = random_proof();
            let (started, took, taken) = timed(start, store.take(&id, Some(&wrong))).await;
            iteration.wrong_value |= matches!(taken, Ok(TakeOutcome::Taken(_)));
            record("wrong take", (started, took, Outcome::of_take(&taken)));
        }
        let take = || timed(start, store.take(&id, right));
        let burn = async {
            match kind {
                Kind::Plain => None,
                Kind::Guarded => Some(timed(start, store.burn(&id, &claim)).await),
            }
        };
        // Whichever is polled first is queued first: let the burn lead in
        // half the iterations, so that both kinds of winner occur.
        let takes = async { tokio::join!(take(), take()) };
        let ((a, b), burned) = if id.as_bytes()[0].is_multiple_of(2) {
            tokio::join!(takes, burn)
        } else {
            let (burned, takes) = tokio::join!(burn, takes);
            (takes, burned)
        };
        for (started, took, result) in [a, b] {
            if let Ok(TakeOutcome::Taken(got)) = &result {
                iteration.wrong_value |= *got != value;
            }
            record("take", (started, took, Outcome::of_take(&result)));
        }
        if let Some((started, took, result)) = burned {
            let outcome = match &result {
                Ok(Some(BurnOutcome::Burned(r))) => {
                    iteration.burn_receipt = Some(*r);
                    Outcome::Burned
                }
                Ok(Some(BurnOutcome::Refused(r))) => {
                    iteration.burn_receipt = Some(*r);
                    Outcome::Refused
                }
                Ok(None) => Outcome::None,
                Err(e) => Outcome::of_error(e),
            };
            record("burn", (started, took, outcome));
            let (started, took, result) = timed(start, store.receipt(&id, &claim)).await;
            let outcome = match &result {
                Ok(Some(r)) => {
                    iteration.receipt = Some(*r);
                    Outcome::Receipt
                }
                Ok(None) => Outcome::None,
                Err(e) => Outcome::of_error(e),
            };
            record("receipt", (started, took, outcome));
        }
    }
    iteration.calls = calls;
    iteration.epoch_after = epoch.load(Ordering::SeqCst);
    iteration
}

/// The checks every fault test makes, and a summary line for the log.
///
/// - every call returned within `bound`;
/// - errors are only `Unavailable` or `Indeterminate`;
/// - no id delivered twice (or delivered and burned), no wrong bytes, and a
///   wrong proof never took anything;
/// - counts never go wrong: a wrong proof that answered says `ATTEMPTS - 1`
///   left, and a receipt counts exactly the wrong proofs that ran (1 if the
///   wrong take answered, 0 if it was `Unavailable`);
/// - a receipt tells the truth: `Read` if a take delivered, the burn's
///   `Burned` if the burn burned, never `Pending` once a take or burn answered;
/// - an id put and used within one epoch (no fault in between) whose calls
///   all answered had exactly one winner (a take or the burn) and, if
///   guarded, its receipt.
pub fn check_invariants(name: &str, iterations: &[Iteration], bound: Duration) -> Summary {
    let mut summary = Summary::default();
    let mut winners: HashMap<SecretId, usize> = HashMap::new();
    for it in iterations {
        assert!(
            !it.wrong_value,
            "{name}: id {} delivered wrong bytes (or to a wrong proof)",
            it.id
        );
        *winners.entry(it.id).or_default() += it.winners();
        for call in &it.calls {
            *summary.outcomes.entry((call.op, call.outcome)).or_default() += 1;
            summary.max_call = summary.max_call.max(call.took);
            summary.calls += 1;
            assert!(
                call.took <= bound,
                "{name}: a {} took {:?} (bound {bound:?}) at {:?}, outcome {:?}",
                call.op,
                call.took,
                call.started,
                call.outcome
            );
            assert!(
                !matches!(call.outcome, Outcome::Other(_) | Outcome::Required),
                "{name}: a {} at {:?} gave {:?}; only Unavailable/Indeterminate are expected \
                 as failures: {it:?}",
                call.op,
                call.started,
                call.outcome
            );
        }
        if it.kind == Kind::Guarded {
            check_guarded(name, it);
        }
        let indeterminate = it.calls[1..]
            .iter()
            .any(|c| c.outcome == Outcome::Indeterminate);
        if it.put() == Outcome::Ok && it.epoch_before == it.epoch_after && it.all_answered() {
            assert_eq!(
                it.winners(),
                1,
                "{name}: id {} put and used without a fault in between had {} winners: {it:?}",
                it.id,
                it.winners()
            );
            if it.kind == Kind::Guarded {
                assert!(it.receipt.is_some(), "{name}: no receipt: {it:?}");
            }
        }
        if it.put() == Outcome::Ok && it.winners() == 0 {
            if indeterminate {
                summary.lost_after_indeterminate += 1;
            } else {
                summary.lost_to_fault += 1;
            }
        }
    }
    let twice = winners.values().filter(|n| **n > 1).count();
    assert_eq!(
        twice, 0,
        "{name}: {twice} ids delivered (or delivered and burned) more than once"
    );
    summary.iterations = iterations.len();
    summary
}

fn check_guarded(name: &str, it: &Iteration) {
    let wrong = it.wrong_take();
    if let Some(Outcome::Wrong(left)) = wrong {
        assert_eq!(
            left,
            ATTEMPTS - 1,
            "{name}: the first wrong proof left {left}: {it:?}"
        );
    }
    assert!(
        !matches!(wrong, Some(Outcome::Some)),
        "{name}: a wrong proof took the secret: {it:?}"
    );
    let Some(receipt) = it.receipt else {
        return;
    };
    // The receipt is from the server the put went to (a restarted, empty
    // one has none): it saw every call that ran.
    let expected_failed = match wrong {
        Some(Outcome::Wrong(_)) => Some(1),
        Some(Outcome::Unavailable) => Some(0),
        _ => None,
    };
    assert!(
        receipt.failed_attempts <= 1
            && expected_failed.is_none_or(|n| n == receipt.failed_attempts),
        "{name}: the receipt counts {} wrong proofs: {it:?}",
        receipt.failed_attempts
    );
    if it.delivered() > 0 {
        assert!(
            matches!(receipt.state, ReceiptState::Read { .. }),
            "{name}: delivered, but the receipt says {:?}: {it:?}",
            receipt.state
        );
    }
    if it.outcomes("burn").any(|o| o == Outcome::Burned) {
        assert_eq!(
            Some(receipt),
            it.burn_receipt,
            "{name}: the receipt disagrees with the burn: {it:?}"
        );
    }
    if receipt.state == ReceiptState::Pending {
        let answered = it.calls[2..]
            .iter()
            .filter(|c| c.op != "receipt")
            .any(|c| !c.outcome.is_error());
        assert!(
            !answered,
            "{name}: a take or burn answered, yet the receipt says Pending: {it:?}"
        );
    }
}

/// What [`check_invariants`] counted, for the test's log and its own asserts.
#[derive(Debug, Default)]
pub struct Summary {
    /// Iterations checked.
    pub iterations: usize,
    /// Calls checked.
    pub calls: usize,
    /// The longest call.
    pub max_call: Duration,
    /// Secrets put and never delivered or burned, where a call after the
    /// put was `Indeterminate` (it may have consumed the secret).
    pub lost_after_indeterminate: usize,
    /// Secrets put and never delivered or burned otherwise (the server lost
    /// them in a fault, e.g. a restart without persistence).
    pub lost_to_fault: usize,
    /// Calls by operation and outcome.
    pub outcomes: HashMap<(&'static str, Outcome), usize>,
}

impl Summary {
    /// Calls of `op` that gave `outcome`.
    pub fn count(&self, op: &'static str, outcome: Outcome) -> usize {
        self.outcomes.get(&(op, outcome)).copied().unwrap_or(0)
    }

    /// Calls that failed.
    pub fn errors(&self) -> usize {
        self.outcomes
            .iter()
            .filter(|((_, o), _)| o.is_error())
            .map(|(_, n)| n)
            .sum()
    }

    /// Calls of each operation, to show that guarded ones ran too.
    pub fn calls_of(&self, op: &'static str) -> usize {
        self.outcomes
            .iter()
            .filter(|((o, _), _)| *o == op)
            .map(|(_, n)| n)
            .sum()
    }
}

/// Iterations whose calls all started at or after `after` (relative to the
/// load's start).
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

/// The load's guarded iterations ran: wrong proofs were counted, burns
/// burned, receipts were read (so the invariants above covered them).
pub fn assert_guarded_ran(name: &str, summary: &Summary) {
    for (op, outcome) in [
        ("wrong take", Outcome::Wrong(ATTEMPTS - 1)),
        ("burn", Outcome::Burned),
        ("receipt", Outcome::Receipt),
    ] {
        assert!(
            summary.count(op, outcome) > 0,
            "{name}: no {op} gave {outcome:?}: {summary:?}"
        );
    }
}
