//! In-flight budgets: creates and the rest (takes, receipts, burns, pages)
//! draw on separate pools, and each client address may hold only a share of
//! each pool at once, so slow uploads can use up neither the takes' budget
//! nor other clients' share of the creates', and slow take bodies from one
//! address cannot use up everyone's takes. Creates are also
//! counted against the client's rate ([`rate_limit`](super::rate_limit)).
//!
//! Everything here answers before the body is read; such an answer closes
//! the connection (`Connection: close`), and [`linger`](super::linger) lets
//! the client read it before the socket goes away.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::Request;
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::api::{ApiError, busy, rate_limited};
use super::auth::{CreateToken, bearer};
use super::client_addr::{ClientKey, TrustedProxies, client_key};
use super::rate_limit::{CreateRates, Limiters};
use crate::wire::{v1, v2};

/// How many requests run at once besides creates, and how many creates one
/// client may have in flight. (All creates together are bounded by
/// [`Limits::max_in_flight`](super::Limits::max_in_flight).)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budgets {
    /// Requests other than creates (takes, receipts, burns, the page, the
    /// config) handled at once; one more is `503 busy` (`"retry": true`,
    /// `Retry-After`). Zero counts as one.
    pub max_takes_in_flight: usize,
    /// Creates one client address (an IPv6 client: its /64) may have in
    /// flight at once, its slow uploads included; one more is `503 busy`.
    /// Zero counts as one.
    pub max_creates_per_client: usize,
    /// Requests other than creates one client address may have in flight
    /// at once (a share of `max_takes_in_flight`); one more is `503 busy`.
    /// Zero counts as one.
    pub max_takes_per_client: usize,
}

impl Default for Budgets {
    /// 256 non-create requests, 16 creates and 64 other requests per client.
    fn default() -> Self {
        Self {
            max_takes_in_flight: 256,
            max_creates_per_client: 16,
            max_takes_per_client: 64,
        }
    }
}

/// What [`admit`] checks requests against.
#[derive(Debug)]
pub(crate) struct Gatekeeper {
    creates: Arc<Semaphore>,
    others: Arc<Semaphore>,
    per_client: Arc<PerClient>,
    others_per_client: Arc<PerClient>,
    proxies: TrustedProxies,
    limiters: Limiters,
    token: Option<CreateToken>,
}

/// What [`Gatekeeper::new`] is made of.
#[derive(Clone, Copy)]
pub(crate) struct GateConfig<'a> {
    pub(crate) max_creates: usize,
    pub(crate) budgets: Budgets,
    pub(crate) proxies: &'a TrustedProxies,
    pub(crate) rates: CreateRates,
    pub(crate) token: Option<&'a CreateToken>,
}

impl Gatekeeper {
    pub(crate) fn new(config: GateConfig<'_>) -> Self {
        let permits = |n: usize| n.clamp(1, Semaphore::MAX_PERMITS);
        Self {
            creates: Arc::new(Semaphore::new(permits(config.max_creates))),
            others: Arc::new(Semaphore::new(permits(config.budgets.max_takes_in_flight))),
            per_client: Arc::new(PerClient {
                max: config.budgets.max_creates_per_client.max(1),
                held: Mutex::new(HashMap::new()),
            }),
            others_per_client: Arc::new(PerClient {
                max: config.budgets.max_takes_per_client.max(1),
                held: Mutex::new(HashMap::new()),
            }),
            proxies: config.proxies.clone(),
            limiters: Limiters::new(config.rates),
            token: config.token.cloned(),
        }
    }
}

/// Slots of one pool held per client. An entry exists only while its client
/// has a request of that pool in flight, so the map is bounded by the open
/// connections.
#[derive(Debug)]
struct PerClient {
    max: usize,
    held: Mutex<HashMap<ClientKey, usize>>,
}

/// One of a client's slots; given back on drop.
struct ClientSlot {
    owner: Arc<PerClient>,
    key: ClientKey,
}

impl PerClient {
    fn try_take(self: &Arc<Self>, key: ClientKey) -> Option<ClientSlot> {
        let mut held = self
            .held
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let n = held.entry(key).or_insert(0);
        if *n >= self.max {
            return None;
        }
        *n += 1;
        Some(ClientSlot {
            owner: Arc::clone(self),
            key,
        })
    }
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        let mut held = self
            .owner
            .held
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(n) = held.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                held.remove(&self.key);
            }
        }
    }
}

fn is_create(req: &Request) -> bool {
    req.method() == Method::POST && matches!(req.uri().path(), v1::CREATE_PATH | v2::CREATE_PATH)
}

/// The answer to a request refused before its body was read: the rest of
/// the body would otherwise be read as the next request.
fn closing(error: ApiError) -> Response {
    error
        .with_header(header::CONNECTION, HeaderValue::from_static("close"))
        .into_response()
}

/// Marks a `503 busy` answer as shed, for the metrics' shed counter.
fn shed(mut response: Response) -> Response {
    response.extensions_mut().insert(super::metrics::Shed);
    response
}

/// Admits a request within its budget, or answers at once: `503 busy` when
/// its pool or its client's share of it is used up, then `429
/// rate_limited` when a create is over its client's rate. A create without
/// the create token it needs passes straight to its handler, which answers
/// `401` at once without counting it against anything.
pub(crate) async fn admit(gate: &Gatekeeper, req: Request, next: Next) -> Response {
    if !is_create(&req) {
        let client = client_key(&gate.proxies, &req);
        let Some(client_slot) = gate.others_per_client.try_take(client) else {
            tracing::debug!(%client, "request refused: the client's requests in flight are at the cap");
            return shed(closing(busy()));
        };
        let Ok(slot) = Arc::clone(&gate.others).try_acquire_owned() else {
            return shed(busy().into_response());
        };
        let response = run(req, next, slot).await;
        drop(client_slot);
        return response;
    }
    let token_holder = match &gate.token {
        None => false,
        Some(token) => match bearer(req.headers()) {
            Some(presented) if token.matches(presented) => true,
            _ => return next.run(req).await,
        },
    };
    let client = client_key(&gate.proxies, &req);
    let Some(client_slot) = gate.per_client.try_take(client) else {
        tracing::debug!(%client, "create refused: the client's creates in flight are at the cap");
        return shed(closing(busy()));
    };
    let Ok(slot) = Arc::clone(&gate.creates).try_acquire_owned() else {
        return shed(closing(busy()));
    };
    // Last, so that a create refused as busy (and retried) is not counted.
    if let Err(wait) = gate.limiters.check(client, token_holder) {
        tracing::debug!(%client, "create refused: over the client's rate");
        return closing(rate_limited(wait));
    }
    let response = run(req, next, slot).await;
    drop(client_slot);
    response
}

/// Runs the handler holding `slot` until it has its response (the body read
/// included, so a slow upload holds its slot).
async fn run(req: Request, next: Next, slot: OwnedSemaphorePermit) -> Response {
    let response = next.run(req).await;
    drop(slot);
    response
}
