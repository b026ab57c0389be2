//! The server's metrics, served on their own listener (`--metrics-listen`)
//! as `GET /metrics` in the OpenMetrics text format (which Prometheus
//! scrapes), with `prometheus-client`: the Prometheus project's own Rust
//! client, kept by it, with no global registry (so an in-process server in
//! a test has its own counters).
//!
//! | metric | labels | what |
//! | --- | --- | --- |
//! | `oneshot_http_requests_total` | `route`, `status` | answered requests, by route pattern (never a path or an id) |
//! | `oneshot_http_requests_in_flight` | | requests being handled |
//! | `oneshot_http_requests_shed_total` | | requests answered `503 busy` past `--max-in-flight` |
//! | `oneshot_store_operations_total` | `op`, `outcome` | store calls: `put` (`stored`), `take` (`taken`, `not_found`, `passphrase_required`, `wrong_passphrase`), `receipt` (`found`, `not_found`), `burn` (`burned`, `refused`, `not_found`); any of them `already_exists`, `full`, `unavailable`, `indeterminate`, `invalid`, `backend` |
//! | `oneshot_store_operation_seconds` | `op` | store call latency (histogram, 100 µs to ~6.5 s) |
//!
//! The same counts feed the optional summary line (`--log-summary`,
//! [`Metrics::spawn_summary`]).

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use axum::extract::{MatchedPath, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use oneshot_core::store::{BurnOutcome, Guards, Receipt, TakeOutcome};
use oneshot_core::{PassphraseProof, ReceiptClaim, SecretId, SecretStore, StoreError};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// A response extension that marks a request shed for load.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Shed;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    op: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OpLabels {
    op: &'static str,
}

fn latency_histogram() -> Histogram {
    // 100 µs doubling to ~6.5 s: a memory store's calls to a stalled
    // PostgreSQL's timeouts.
    Histogram::new(exponential_buckets(0.0001, 2.0, 17))
}

/// The server's counters, cheap to clone (clones share them).
#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

struct Inner {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    in_flight: Gauge,
    shed: Counter,
    store: Family<OutcomeLabels, Counter>,
    latency: Family<OpLabels, Histogram, fn() -> Histogram>,
    totals: Totals,
}

/// Running totals for the summary line (the families cannot be read back
/// without creating the series they are asked for).
#[derive(Default)]
struct Totals {
    requests: AtomicU64,
    shed: AtomicU64,
    stored: AtomicU64,
    taken: AtomicU64,
    not_found: AtomicU64,
    wrong_passphrase: AtomicU64,
    failed: AtomicU64,
}

/// What [`Metrics::spawn_summary`] logs: counts since the previous line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Counts {
    requests: u64,
    shed: u64,
    stored: u64,
    taken: u64,
    not_found: u64,
    wrong_passphrase: u64,
    failed: u64,
}

impl Totals {
    fn read(&self) -> Counts {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        Counts {
            requests: get(&self.requests),
            shed: get(&self.shed),
            stored: get(&self.stored),
            taken: get(&self.taken),
            not_found: get(&self.not_found),
            wrong_passphrase: get(&self.wrong_passphrase),
            failed: get(&self.failed),
        }
    }

    fn count(&self, outcome: &str) {
        let total = match outcome {
            "stored" => &self.stored,
            "taken" => &self.taken,
            "not_found" => &self.not_found,
            "wrong_passphrase" => &self.wrong_passphrase,
            "full" | "unavailable" | "indeterminate" | "backend" => &self.failed,
            _ => return,
        };
        total.fetch_add(1, Ordering::Relaxed);
    }
}

impl Counts {
    fn since(self, earlier: Self) -> Self {
        Self {
            requests: self.requests.wrapping_sub(earlier.requests),
            shed: self.shed.wrapping_sub(earlier.shed),
            stored: self.stored.wrapping_sub(earlier.stored),
            taken: self.taken.wrapping_sub(earlier.taken),
            not_found: self.not_found.wrapping_sub(earlier.not_found),
            wrong_passphrase: self.wrong_passphrase.wrapping_sub(earlier.wrong_passphrase),
            failed: self.failed.wrapping_sub(earlier.failed),
        }
    }
}

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Fresh counters, all zero.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("oneshot");
        let requests = Family::<RequestLabels, Counter>::default();
        let in_flight = Gauge::default();
        let shed = Counter::default();
        let store = Family::<OutcomeLabels, Counter>::default();
        let latency: Family<OpLabels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(latency_histogram);
        registry.register(
            "http_requests",
            "Requests answered, by route pattern and status",
            requests.clone(),
        );
        registry.register(
            "http_requests_in_flight",
            "Requests being handled now",
            in_flight.clone(),
        );
        registry.register(
            "http_requests_shed",
            "Requests answered 503 busy past the in-flight limit",
            shed.clone(),
        );
        registry.register(
            "store_operations",
            "Store calls, by operation and outcome",
            store.clone(),
        );
        registry.register(
            "store_operation_seconds",
            "Store call latency, by operation",
            latency.clone(),
        );
        Self {
            inner: Arc::new(Inner {
                registry,
                requests,
                in_flight,
                shed,
                store,
                latency,
                totals: Totals::default(),
            }),
        }
    }

    /// The metrics in the OpenMetrics text format.
    pub fn render(&self) -> String {
        let mut text = String::new();
        // Writing to a String does not fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.inner.registry);
        text
    }

    /// `store`, with every call counted and timed here.
    pub fn wrap_store(&self, store: Arc<dyn SecretStore>) -> Arc<dyn SecretStore> {
        Arc::new(MeteredStore {
            inner: store,
            metrics: self.clone(),
        })
    }

    /// The router that serves `GET /metrics` (and nothing else), for its
    /// own listener.
    pub fn router(&self) -> axum::Router {
        axum::Router::new()
            .route("/metrics", axum::routing::get(scrape))
            .with_state(self.clone())
    }

    /// Serves [`Metrics::router`] on `listener` until the process ends.
    pub async fn serve(self, listener: tokio::net::TcpListener) -> std::io::Result<()> {
        axum::serve(listener, self.router()).await
    }

    /// Logs at INFO, every `every`, what happened since the previous such
    /// line: requests answered and shed, secrets stored, taken, not found,
    /// wrong passphrases and store failures (counts only, never an id).
    pub fn spawn_summary(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        let metrics = self.clone();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(every);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            ticks.tick().await;
            let mut previous = metrics.inner.totals.read();
            loop {
                ticks.tick().await;
                let now = metrics.inner.totals.read();
                let c = now.since(previous);
                previous = now;
                tracing::info!(
                    requests = c.requests,
                    shed = c.shed,
                    stored = c.stored,
                    taken = c.taken,
                    not_found = c.not_found,
                    wrong_passphrase = c.wrong_passphrase,
                    store_failures = c.failed,
                    in_flight = metrics.inner.in_flight.get(),
                    "summary of the last {}s",
                    every.as_secs()
                );
            }
        })
    }

    fn store_call(&self, op: &'static str, outcome: &'static str, took: Duration) {
        self.inner.totals.count(outcome);
        self.inner
            .store
            .get_or_create(&OutcomeLabels { op, outcome })
            .inc();
        self.inner
            .latency
            .get_or_create(&OpLabels { op })
            .observe(took.as_secs_f64());
    }
}

async fn scrape(State(metrics): State<Metrics>) -> Response {
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        metrics.render(),
    )
        .into_response()
}

/// A request counted as in flight until it is dropped, even if the client
/// goes away and the handler with it.
pub(crate) struct InFlight<'a>(&'a Gauge);

impl Metrics {
    /// Counts a request in flight until the guard is dropped.
    pub(crate) fn request_started(&self) -> InFlight<'_> {
        self.inner.in_flight.inc();
        InFlight(&self.inner.in_flight)
    }

    /// Counts an answered request by route pattern and status, a shed one
    /// apart. Called outside the load shedding, so shed requests are seen.
    pub(crate) fn request_done(&self, route: Option<&MatchedPath>, response: &Response) {
        let inner = &self.inner;
        if response.extensions().get::<Shed>().is_some() {
            inner.shed.inc();
            inner.totals.shed.fetch_add(1, Ordering::Relaxed);
        }
        inner.totals.requests.fetch_add(1, Ordering::Relaxed);
        inner
            .requests
            .get_or_create(&RequestLabels {
                route: route.map_or("(no route)", MatchedPath::as_str).to_owned(),
                status: response.status().as_u16(),
            })
            .inc();
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// A store that counts and times every call of the store inside it.
struct MeteredStore {
    inner: Arc<dyn SecretStore>,
    metrics: Metrics,
}

impl fmt::Debug for MeteredStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("MeteredStore").field(&self.inner).finish()
    }
}

/// The outcome label of a failed call.
fn error_outcome(e: &StoreError) -> &'static str {
    match e {
        StoreError::AlreadyExists => "already_exists",
        StoreError::CapacityExceeded => "full",
        StoreError::Unavailable(_) => "unavailable",
        StoreError::Indeterminate(_) => "indeterminate",
        StoreError::InvalidTtl | StoreError::EmptyEnvelope => "invalid",
        _ => "backend",
    }
}

impl MeteredStore {
    fn record<T>(
        &self,
        op: &'static str,
        started: Instant,
        result: &Result<T, StoreError>,
        outcome: impl FnOnce(&T) -> &'static str,
    ) {
        let label = match result {
            Ok(value) => outcome(value),
            Err(e) => error_outcome(e),
        };
        self.metrics.store_call(op, label, started.elapsed());
    }
}

#[async_trait]
impl SecretStore for MeteredStore {
    async fn put_with_ttl(
        &self,
        id: &SecretId,
        envelope: &[u8],
        ttl: Duration,
        guards: &Guards,
    ) -> Result<(), StoreError> {
        let started = Instant::now();
        let result = self.inner.put_with_ttl(id, envelope, ttl, guards).await;
        self.record("put", started, &result, |()| "stored");
        result
    }

    async fn take(
        &self,
        id: &SecretId,
        proof: Option<&PassphraseProof>,
    ) -> Result<TakeOutcome, StoreError> {
        let started = Instant::now();
        let result = self.inner.take(id, proof).await;
        self.record("take", started, &result, |outcome| match outcome {
            TakeOutcome::Taken(_) => "taken",
            TakeOutcome::NotFound => "not_found",
            TakeOutcome::PassphraseRequired => "passphrase_required",
            TakeOutcome::WrongPassphrase { .. } => "wrong_passphrase",
            _ => "other",
        });
        result
    }

    async fn receipt(
        &self,
        id: &SecretId,
        claim: &ReceiptClaim,
    ) -> Result<Option<Receipt>, StoreError> {
        let started = Instant::now();
        let result = self.inner.receipt(id, claim).await;
        self.record("receipt", started, &result, |found| match found {
            Some(_) => "found",
            None => "not_found",
        });
        result
    }

    async fn burn(
        &self,
        id: &SecretId,
        claim: &ReceiptClaim,
    ) -> Result<Option<BurnOutcome>, StoreError> {
        let started = Instant::now();
        let result = self.inner.burn(id, claim).await;
        self.record("burn", started, &result, |outcome| match outcome {
            Some(BurnOutcome::Burned(_)) => "burned",
            Some(BurnOutcome::Refused(_)) => "refused",
            Some(_) => "other",
            None => "not_found",
        });
        result
    }
}
