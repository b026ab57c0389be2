//! The oneshot web server: the JSON API of `ARCHITECTURE.md` and the page that
//! encrypts and decrypts in the browser.
//!
//! # Routes
//!
//! | route | answer |
//! | --- | --- |
//! | `GET /` | the create page |
//! | `GET /s` | the reveal page (the key travels in the fragment, `/s#<key>`) |
//! | `GET /static/{style.css, format.js, common.js, create.js, reveal.js, favicon.svg}` | the page's files, embedded in the binary |
//! | `POST /api/v1/secrets` | `{"id": hex32, "envelope": b64u, "ttl_secs": n}` → `201 {"id", "expires_at"}` |
//! | `POST /api/v1/secrets/take` | `{"claim": b64u}` → `200 {"envelope": b64u}` |
//!
//! `ttl_secs` may be left out (or `null`) for the policy's default;
//! `expires_at` is in seconds since the Unix epoch. Requests must be
//! `Content-Type: application/json`, with no other fields.
//!
//! # Errors
//!
//! Every error is JSON, `{"error": code, "message": text}`, with the codes of
//! [`error_codes`]: `400` for malformed input (`invalid_json`,
//! `invalid_request`, `invalid_id`, `invalid_envelope`, `invalid_claim`,
//! `invalid_ttl`), `413 too_large`, `415 unsupported_media_type`, `404
//! not_found` (for a take: never existed, expired and already read look the
//! same), `405 method_not_allowed`, `409 already_exists`. A store failure is
//! `503` with `"retry"`: `unavailable` or `store_full` with `"retry": true`
//! and `Retry-After` (nothing happened, repeat it), `indeterminate` with
//! `"retry": false` (the operation may have run; never repeat a take).
//!
//! Every response carries a strict Content-Security-Policy (own scripts and
//! styles only, nothing inline, no framing), `Referrer-Policy: no-referrer`,
//! `Cache-Control: no-store`, `X-Content-Type-Options: nosniff` and
//! `X-Frame-Options: DENY`. Logs name routes, statuses and ids, never a key,
//! claim or envelope.
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
mod layers;

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use oneshot_core::{OneShot, Policy, PolicyError, SecretStore};

pub use api::{ErrorBody, error_codes};

/// A store behind a pointer, as the server holds it.
pub type DynStore = Arc<dyn SecretStore>;

/// Everything a request handler needs.
#[derive(Debug, Clone)]
pub struct App {
    oneshot: OneShot<DynStore>,
    body_limit: usize,
}

impl App {
    /// The application over `store`, enforcing `policy`.
    pub fn new(store: DynStore, policy: Policy) -> Result<Self, PolicyError> {
        let oneshot = OneShot::with_policy(store, policy)?;
        let body_limit = request_body_limit(oneshot.policy());
        Ok(Self {
            oneshot,
            body_limit,
        })
    }

    /// The limits in force.
    pub fn policy(&self) -> &Policy {
        self.oneshot.policy()
    }

    /// The largest request body accepted, in bytes (larger ones get `413`).
    pub fn body_limit(&self) -> usize {
        self.body_limit
    }

    /// The axum router: API, page, security headers, JSON errors.
    pub fn router(self) -> Router {
        let body_limit = self.body_limit;
        Router::new()
            .route("/api/v1/secrets", post(api::create))
            .route("/api/v1/secrets/take", post(api::take))
            .route("/", get(assets::create_page))
            .route("/s", get(assets::reveal_page))
            .route("/static/{file}", get(assets::static_file))
            .route("/favicon.ico", get(assets::favicon))
            .fallback(api::not_found)
            .method_not_allowed_fallback(api::method_not_allowed)
            .with_state(self)
            .layer(DefaultBodyLimit::max(body_limit))
            .layer(axum::middleware::from_fn(layers::json_errors))
            .layer(axum::middleware::from_fn(layers::security_headers))
            .layer(axum::middleware::from_fn(layers::access_log))
    }
}

/// The longest JSON body a valid create request can have under `policy`: the
/// base64url of the largest envelope plus room for the other fields.
fn request_body_limit(policy: &Policy) -> usize {
    policy
        .max_envelope_bytes()
        .saturating_mul(4)
        .div_ceil(3)
        .saturating_add(1024)
}

/// Serves `app` on `listener` until `shutdown` completes, then finishes the
/// requests in flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: App,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app.router())
        .with_graceful_shutdown(shutdown)
        .await
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

/// Connects to Redis (one URL) or a Redis Cluster (seed node URLs), logs what
/// `check_server` warns about, and returns the store with a description for
/// logs (passwords redacted by `oneshot-redis`).
pub async fn redis_store(
    redis: Option<&str>,
    cluster: &[String],
) -> Result<(DynStore, String), String> {
    let (connected, what) = match redis {
        Some(url) => (oneshot_redis::RedisStore::connect(url).await, "Redis"),
        None => (
            oneshot_redis::RedisStore::connect_cluster(cluster.iter().cloned()).await,
            "Redis Cluster",
        ),
    };
    let store = connected.map_err(|e| match std::error::Error::source(&e) {
        Some(source) => format!("{e}: {source}"),
        None => e.to_string(),
    })?;
    match store.check_server().await {
        Ok(warnings) => {
            for warning in warnings {
                tracing::warn!(%warning, "Redis configuration may break oneshot's promises");
            }
        }
        Err(e) => tracing::warn!(error = %e, "could not check the Redis configuration"),
    }
    Ok((Arc::new(store), format!("{what} store")))
}
