//! The oneshot web server: the JSON API (see `docs/ARCHITECTURE.md`) and the page that
//! encrypts and decrypts in the browser.
//!
//! # Routes
//!
//! | route | answer |
//! | --- | --- |
//! | `GET /` | the create page |
//! | `GET /s` | the reveal page (the key travels in the fragment, `/s#<key>`) |
//! | `GET /r` | the receipt page (the receipt travels in the fragment, `/r#<receipt>`) |
//! | `GET /static/{style.css, format.js, format2.js, common.js, create.js, reveal.js, receipt.js, favicon.svg}` | the page's files, embedded in the binary |
//! | `POST /api/v1/secrets` | v1 [`CreateRequest`](crate::wire::v1::CreateRequest) → `201` [`CreateResponse`](crate::wire::v1::CreateResponse) |
//! | `POST /api/v1/secrets/take` | v1 [`TakeRequest`](crate::wire::v1::TakeRequest) → `200` [`TakeResponse`](crate::wire::v1::TakeResponse) |
//! | `GET /api/v1/config` | `200` [`ConfigResponse`](crate::wire::v1::ConfigResponse), for both versions |
//! | `POST /api/v2/secrets` | v2 [`CreateRequest`](crate::wire::v2::CreateRequest) → `201` [`CreateResponse`](crate::wire::v2::CreateResponse) |
//! | `POST /api/v2/secrets/take` | v2 [`TakeRequest`](crate::wire::v2::TakeRequest) → `200` [`TakeResponse`](crate::wire::v2::TakeResponse) |
//! | `POST /api/v2/receipts` | [`ReceiptRequest`](crate::wire::v2::ReceiptRequest) → `200` [`ReceiptResponse`](crate::wire::v2::ReceiptResponse) |
//! | `POST /api/v2/receipts/burn` | [`BurnRequest`](crate::wire::v2::BurnRequest) → `200` [`ReceiptResponse`](crate::wire::v2::ReceiptResponse) |
//! | `GET /api/openapi.json` | `200`: the OpenAPI 3.1 document of every route ([`openapi::document`]) |
//!
//! The bodies are the types of [`crate::wire`]. `ttl_secs` may be left out
//! (or `null`) for the policy's default; times (`expires_at`, `read_at`,
//! `burned_at`) are in seconds since the Unix epoch. Requests must be
//! `Content-Type: application/json`, with no other fields. A create takes
//! only envelopes of its version: a v2 envelope sent to `/api/v1/secrets`
//! (or a v1 one to `/api/v2/secrets`) is `400 invalid_envelope`.
//!
//! Version 2 adds, on a create, an optional `passphrase_verifier` (a take
//! must then show the matching `passphrase_proof`; after the policy's
//! attempts of wrong ones the secret is destroyed) and an optional
//! `receipt_verifier` (its sender can then read the receipt, `{"state":
//! "pending" | "read" | "burned" | "expired", "expires_at", "read_at"?,
//! "burned_at"?, "reason"?: "sender" | "passphrase_attempts",
//! "failed_attempts"}`, and burn the secret while it is unread). The
//! receipt is kept for the policy's retention past the secret's expiry.
//!
//! With a create token ([`App::with_create_token`]), creating (in either
//! version) needs `Authorization: Bearer <token>`; without it, or with
//! another, the answer is `401 unauthorized` with `WWW-Authenticate:
//! Bearer`. Taking never needs a token (the reader has the link), and nor
//! do receipts and burns (the sender has the receipt link).
//!
//! # Errors
//!
//! Every error is JSON, an [`ErrorBody`](crate::wire::ErrorBody)
//! `{"error": code, "message": text}`, with the codes of
//! [`error_codes`](crate::wire::error_codes):
//!
//! - `400` for malformed input: `invalid_json`, `invalid_request` (not an
//!   object, a missing, unknown or repeated field), `invalid_id`, `invalid_envelope`
//!   (also an envelope of the other version), `invalid_claim`,
//!   `invalid_ttl`, `invalid_passphrase_verifier`, `invalid_receipt_verifier`,
//!   `invalid_passphrase_proof`, `invalid_receipt_claim`; and
//!   `passphrase_required`: a v2 take without the proof its secret needs
//!   (nothing was counted);
//! - `401 unauthorized` (see above);
//! - `403 wrong_passphrase`, with `"attempts_left": n`
//!   ([`WrongPassphrase`](crate::wire::v2::WrongPassphrase)): the secret is
//!   untouched, unless `n` is 0: that was the last attempt allowed and it
//!   is destroyed;
//! - `404 not_found`: for a take, never existed, expired and already read
//!   look the same; for a receipt or a burn, an unknown id, a wrong claim
//!   and a receipt kept no longer look the same; also an unknown path;
//! - `405 method_not_allowed`;
//! - `408 timeout`: the body did not arrive within
//!   [`Limits::body_read_timeout`]; the connection is closed;
//! - `409 already_exists` to a create (spent ids stay taken); to a burn,
//!   `already_read`, `already_burned` or `expired` with the receipt's
//!   fields beside the code ([`BurnRefused`](crate::wire::v2::BurnRefused)):
//!   nothing changed;
//! - `413 too_large`: a create body over [`App::body_limit`] (refused
//!   before it is read in full), any other body over
//!   [`SMALL_BODY_LIMIT`](crate::wire::SMALL_BODY_LIMIT), or an envelope
//!   larger than any secret within the policy seals to;
//! - `415 unsupported_media_type`;
//! - `429 rate_limited` with `"retry": true` and `Retry-After`: a create
//!   over its client's [`CreateRates`] (nothing was stored; the connection
//!   is closed);
//! - `503` with `"retry"`: `busy` past [`Limits::max_in_flight`] creates,
//!   a client's [`Budgets::max_creates_per_client`] or
//!   [`Budgets::max_takes_in_flight`] other requests
//!   (with `Retry-After`; nothing happened); a store failure is
//!   `unavailable` or `store_full` with `"retry": true` and `Retry-After`
//!   (nothing happened, repeat it), or `indeterminate` with `"retry":
//!   false` (the operation may have run: never repeat a take or a burn
//!   blindly). Reading a receipt changes nothing, so any store failure on
//!   it is `unavailable` with `"retry": true`;
//! - `500 internal`: a bug, never the answer to bad input.
//!
//! Every response carries a strict Content-Security-Policy (own scripts and
//! styles only, nothing inline, no framing), `Referrer-Policy: no-referrer`,
//! `Cache-Control: no-store`, `X-Content-Type-Options: nosniff` and
//! `X-Frame-Options: DENY`, and with a [`PublicUrl`]
//! `Strict-Transport-Security`. Logs name routes and statuses, and ids only
//! as keyed tags ([`logging::IdTag`]), never a key, claim, passphrase proof,
//! receipt claim or envelope.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use std::sync::Arc;
//! use oneshot_examples::server::{App, serve};
//!
//! let app = App::new(Arc::new(oneshot_memory::MemoryStore::new()), Default::default())
//!     .expect("default policy is valid");
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! serve(listener, app, std::future::pending()).await
//! # }
//! ```

mod api;
mod assets;
mod auth;
pub mod backend;
mod budget;
mod client_addr;
mod edge;
mod flags;
mod https;
mod layers;
mod linger;
pub mod logging;
pub mod metrics;
pub mod openapi;
mod rate_limit;
mod runtime;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::Request;
use axum::routing::get;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use oneshot_core::{OneShot, Policy, PolicyError, SecretStore};
use tokio::sync::Semaphore;

pub use auth::{CreateToken, MAX_TOKEN_LEN, TokenError};
pub use budget::Budgets;
pub use client_addr::TrustedProxies;
pub use flags::{HardeningArgs, HardeningError, Limit};
pub use https::{PublicUrl, PublicUrlError};
pub use rate_limit::{CreateRates, Rate, RateError};
pub use runtime::{Listeners, Runtime};

/// A store behind a pointer, as the server holds it.
pub type DynStore = Arc<dyn SecretStore>;

/// How much the server lets slow or numerous clients take.
///
/// None of these bounds a handler once the request is read: a take is never
/// cut short after it reached the store (the store's own timeouts bound it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The longest a client may take to send a request's headers, counted
    /// from when the server starts waiting for them (also the longest an idle
    /// keep-alive connection stays open). Past it the connection is closed.
    pub header_read_timeout: Duration,
    /// The longest a client may take to send a request body, counted from
    /// when its headers arrived. Past it the answer is `408 timeout` and the
    /// connection is closed.
    pub body_read_timeout: Duration,
    /// Creates handled at once (see [`Budgets`] for the other requests and
    /// for each client's share); one more is answered `503 busy` with
    /// `"retry": true` and `Retry-After` at once, not queued. Zero counts as one.
    pub max_in_flight: usize,
    /// Connections open at once, over all of a server's listeners; past it
    /// each accept loop holds one more connection unanswered until one
    /// closes (the kernel queues the rest). Zero counts as one.
    pub max_connections: usize,
}

impl Default for Limits {
    /// 15 s for headers and for a body, 256 requests in flight, 512 connections.
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(15),
            body_read_timeout: Duration::from_secs(15),
            max_in_flight: 256,
            max_connections: 512,
        }
    }
}

/// Everything a request handler needs.
#[derive(Debug, Clone)]
pub struct App {
    oneshot: OneShot<DynStore>,
    body_limit: usize,
    limits: Limits,
    create_token: Option<CreateToken>,
    metrics: Option<metrics::Metrics>,
    budgets: Budgets,
    proxies: TrustedProxies,
    create_rates: CreateRates,
    public_url: Option<PublicUrl>,
}

impl App {
    /// The application over `store`, enforcing `policy`, with the default
    /// [`Limits`] and no create token (anyone may create).
    pub fn new(store: DynStore, policy: Policy) -> Result<Self, PolicyError> {
        let oneshot = OneShot::with_policy(store, policy)?;
        let body_limit = request_body_limit(oneshot.policy());
        Ok(Self {
            oneshot,
            body_limit,
            limits: Limits::default(),
            create_token: None,
            metrics: None,
            budgets: Budgets::default(),
            proxies: TrustedProxies::default(),
            create_rates: CreateRates::default(),
            public_url: None,
        })
    }

    /// The same, with these limits.
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The same, but creating (`POST /api/v1/secrets` and `POST
    /// /api/v2/secrets`) requires `Authorization: Bearer <token>` (`401
    /// unauthorized` otherwise). Taking a secret never needs it (the reader
    /// has the link, not a token), nor do receipts and burns.
    #[must_use]
    pub fn with_create_token(mut self, token: CreateToken) -> Self {
        self.create_token = Some(token);
        self
    }

    /// The same, counting requests in `metrics` (whose
    /// [`wrap_store`](metrics::Metrics::wrap_store) should have wrapped the
    /// store, for the store's counters).
    #[must_use]
    pub fn with_metrics(mut self, metrics: metrics::Metrics) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// The same, with these in-flight budgets.
    #[must_use]
    pub fn with_budgets(mut self, budgets: Budgets) -> Self {
        self.budgets = budgets;
        self
    }

    /// The same, taking the client's address from `Forwarded` or
    /// `X-Forwarded-For` when the TCP peer is one of these proxies.
    #[must_use]
    pub fn with_trusted_proxies(mut self, proxies: TrustedProxies) -> Self {
        self.proxies = proxies;
        self
    }

    /// The same, limiting each client's creates to these rates (`429
    /// rate_limited` past them).
    #[must_use]
    pub fn with_create_rates(mut self, rates: CreateRates) -> Self {
        self.create_rates = rates;
        self
    }

    /// The same, reached by clients at `url` (HTTPS, through a proxy that
    /// terminates TLS): every response then carries
    /// `Strict-Transport-Security`.
    #[must_use]
    pub fn with_public_url(mut self, url: PublicUrl) -> Self {
        self.public_url = Some(url);
        self
    }

    /// The limits in force.
    pub fn policy(&self) -> &Policy {
        self.oneshot.policy()
    }

    /// The bounds on slow and numerous clients.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Whether creating a secret needs the create token.
    pub fn create_requires_token(&self) -> bool {
        self.create_token.is_some()
    }

    /// The largest create request body accepted, in bytes (larger ones get
    /// `413`, before they are read in full): the base64url of the largest
    /// envelope the policy allows, and room for the other fields. Other
    /// requests have [`SMALL_BODY_LIMIT`](crate::wire::SMALL_BODY_LIMIT).
    pub fn body_limit(&self) -> usize {
        self.body_limit
    }

    /// The axum router: API, page, security headers, JSON errors, load
    /// shedding past [`Limits::max_in_flight`] and the [`Budgets`], create
    /// rates.
    ///
    /// Each call makes a new set of in-flight pools, per-client shares and
    /// rate limiters: a server on several listeners or runtimes builds it
    /// once and serves clones of it (as [`Listeners::serve`] does), so that
    /// the limits are the server's, not each listener's.
    pub fn router(self) -> Router {
        // No `DefaultBodyLimit`: the handlers read bodies themselves
        // (`api::body`), enforcing `body_limit` and draining past it.
        let edge = Arc::new(edge::Edge {
            gate: budget::Gatekeeper::new(budget::GateConfig {
                max_creates: self.limits.max_in_flight,
                budgets: self.budgets,
                proxies: &self.proxies,
                rates: self.create_rates,
                token: self.create_token.as_ref(),
            }),
            hsts: self.public_url.is_some(),
            metrics: self.metrics.clone(),
        });
        api::routes()
            .route("/", get(assets::create_page))
            .route("/s", get(assets::reveal_page))
            .route("/r", get(assets::receipt_page))
            .route("/static/{file}", get(assets::static_file))
            .route("/favicon.ico", get(assets::favicon))
            .route(openapi::PATH, get(openapi::serve))
            .fallback(api::not_found)
            .method_not_allowed_fallback(api::method_not_allowed)
            .with_state(self)
            .layer(axum::middleware::from_fn_with_state(edge, edge::around))
    }
}

/// A semaphore size within what tokio allows, at least one.
fn permits(n: usize) -> usize {
    n.clamp(1, Semaphore::MAX_PERMITS)
}

/// The longest JSON body a valid create request can have under `policy`: the
/// base64url of the largest envelope plus room for the other fields (the
/// id, the lifetime and two verifiers take under 300 bytes).
fn request_body_limit(policy: &Policy) -> usize {
    policy
        .max_envelope_bytes()
        .saturating_mul(4)
        .div_ceil(3)
        .saturating_add(1024)
}

/// How long a shutdown waits for open connections to finish.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// Serves `app` on `listener` until `shutdown` completes, then finishes the
/// requests in flight (waiting at most 30 s for them).
///
/// HTTP/1.1 with the app's [`Limits`]: headers must arrive within
/// `header_read_timeout` (else the connection is closed), at most
/// `max_connections` connections are open at once. To serve on several
/// runtimes at once (with the budgets shared), see [`Listeners`].
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: App,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    accept_loop(listener, Served::new(app), shutdown).await
}

/// What every accept loop of one server shares: the one router (and so the
/// one set of in-flight pools, per-client shares and create rates that
/// [`App::router`] builds), the connection slots and the header timeout.
/// Cloning it shares them; [`Served::new`] makes a new set.
#[derive(Clone)]
pub(crate) struct Served {
    service: TowerToHyperService<Router>,
    connections: Arc<Semaphore>,
    header_read_timeout: Duration,
}

impl Served {
    /// `app`'s router, built once, and its connection slots.
    pub(crate) fn new(app: App) -> Self {
        let limits = app.limits;
        Self {
            service: TowerToHyperService::new(app.router()),
            connections: Arc::new(Semaphore::new(permits(limits.max_connections))),
            header_read_timeout: limits.header_read_timeout,
        }
    }
}

/// Accepts on `listener` and serves each connection on the current runtime
/// until `shutdown` completes, then drains this loop's connections (at most
/// [`DRAIN_TIMEOUT`]).
///
/// A connection is accepted first and then waits for a slot: the slots may
/// be shared with other loops on other listeners ([`Listeners`]), and a loop
/// that held a free slot while waiting on its own idle listener would keep it
/// from a connection waiting on another's. So past `max_connections` each
/// loop holds one accepted connection unanswered until a slot frees, and
/// the kernel queues the rest.
pub(crate) async fn accept_loop(
    listener: tokio::net::TcpListener,
    served: Served,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let Served {
        service,
        connections,
        header_read_timeout,
    } = served;
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) if is_connection_error(&e) => continue,
                Err(e) => {
                    // Such as EMFILE: wait rather than spin.
                    tracing::error!(error = %e, "accept failed");
                    tokio::select! {
                        () = &mut shutdown => break,
                        () = tokio::time::sleep(Duration::from_secs(1)) => continue,
                    }
                }
            },
        };
        let slot = tokio::select! {
            biased;
            () = &mut shutdown => break,
            slot = Arc::clone(&connections).acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
        };
        let _ = stream.set_nodelay(true);
        let service = service.clone();
        let with_peer = hyper::service::service_fn(move |mut req: Request<Incoming>| {
            req.extensions_mut()
                .insert(axum::extract::ConnectInfo(peer));
            hyper::service::Service::call(&service, req)
        });
        // The connection's slot is held until the socket is closed.
        let io = TokioIo::new(linger::Lingering::new(stream, slot));
        let connection = graceful.watch(http.serve_connection(io, with_peer));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                // A header timeout, a reset, a malformed request: nothing secret.
                tracing::debug!(error = %e, "connection closed with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            "connections still open {} s after shutdown began; closing them",
            DRAIN_TIMEOUT.as_secs()
        );
    }
    Ok(())
}

fn is_connection_error(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::ConnectionRefused
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::ConnectionReset
    )
}

/// Completes on Ctrl-C, or on SIGTERM on Unix.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("Ctrl-C received, shutting down"),
        () = terminate => tracing::info!("SIGTERM received, shutting down"),
    }
}
