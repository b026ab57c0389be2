//! The one middleware around every route: metrics, the access log, the
//! budget gate, JSON errors, the security headers and HSTS, in that order
//! from the outside in.
//!
//! One middleware and not one `from_fn` layer for each: every axum layer on
//! a router clones its boxed inner service and boxes its future for every
//! request. With the six layers this replaced, that was about 30 of the
//! 68 heap allocations a create made inside the router (`cargo run --release
//! -p oneshot-examples --example server_allocs`; BENCHMARKS.md has the before
//! and after). Each step stays in its own module as a plain function.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use super::budget::{self, Gatekeeper};
use super::{https, layers, metrics::Metrics};

/// What the middleware needs besides the request.
#[derive(Debug)]
pub(super) struct Edge {
    pub(super) gate: Gatekeeper,
    /// Whether answers carry `Strict-Transport-Security`.
    pub(super) hsts: bool,
    pub(super) metrics: Option<Metrics>,
}

/// Runs a request through every step of the module docs.
pub(super) async fn around(State(edge): State<Arc<Edge>>, req: Request, next: Next) -> Response {
    let in_flight = edge.metrics.as_ref().map(Metrics::request_started);
    // An `Arc` inside: cloning it allocates nothing.
    let route = req.extensions().get::<MatchedPath>().cloned();
    let method = req.method().clone();
    let started = Instant::now();

    let response = budget::admit(&edge.gate, req, next).await;
    let mut response = layers::json_error(response);
    let headers = response.headers_mut();
    layers::add_security_headers(headers);
    if edge.hsts {
        https::add_strict_transport_security(headers);
    }

    layers::log_request(&method, route.as_ref(), response.status(), started);
    if let Some(metrics) = &edge.metrics {
        metrics.request_done(route.as_ref(), &response);
    }
    drop(in_flight);
    response
}
