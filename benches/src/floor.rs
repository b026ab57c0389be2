//! The floor for the HTTP measurements: a bare hyper HTTP/1.1 server that
//! answers the API's requests with fixed bodies of the server's lengths and
//! does no other work. It reads every request body whole, as the server does.
//!
//! - `POST /api/v1/secrets` → `201` with the create answer's length;
//! - `POST /api/v1/secrets/take` → `200` `{"envelope":"AAAA…"}` with the take
//!   answer's length, or, when the request carries [`AGAIN_HEADER`], `404`
//!   with the "not found" answer's length (the load generator marks the
//!   second take of each pair with it, so both servers see the same requests);
//! - anything else → `404`, empty.
//!
//! It runs on either runtime flavour the server may use: one multi-thread
//! tokio runtime (what `#[tokio::main]` builds), or one current-thread runtime
//! per core, each accepting on its own `SO_REUSEPORT` listener.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpSocket};

/// The create path of API v1.
pub const CREATE_PATH: &str = "/api/v1/secrets";
/// The take path of API v1.
pub const TAKE_PATH: &str = "/api/v1/secrets/take";
/// The header that marks a take expected to find nothing (value `again`).
/// `oneshot-server` ignores it.
pub const AGAIN_HEADER: &str = "x-oneshot-bench";

/// Which tokio runtime serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    /// One multi-thread runtime with a worker per core (`#[tokio::main]`).
    MultiThread,
    /// One current-thread runtime per core, each on its own `SO_REUSEPORT`
    /// listener of the same address.
    CurrentThreadPerCore,
}

impl Flavour {
    /// Its command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Self::MultiThread => "multi-thread",
            Self::CurrentThreadPerCore => "current-thread",
        }
    }

    /// The flavour with this command-line name.
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::MultiThread, Self::CurrentThreadPerCore]
            .into_iter()
            .find(|f| f.name() == name)
    }
}

/// The lengths of the three answers, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyLens {
    /// The `201` to a create.
    pub create: usize,
    /// The `200` to a take (must hold `{"envelope":""}`, 15 bytes).
    pub take: usize,
    /// The `404` to a take that finds nothing.
    pub miss: usize,
}

/// The three fixed answers.
#[derive(Debug, Clone)]
struct Bodies {
    create: Bytes,
    take: Bytes,
    miss: Bytes,
}

impl Bodies {
    fn new(lens: BodyLens) -> Self {
        Self {
            create: padded_json("pad", lens.create),
            take: padded_json("envelope", lens.take),
            miss: padded_json("error", lens.miss),
        }
    }
}

/// `{"<field>":"AAAA…"}` of exactly `len` bytes (longer if `len` is too short
/// for the braces and the field name).
pub fn padded_json(field: &str, len: usize) -> Bytes {
    let frame = field.len() + 7; // {"":""}
    let pad = "A".repeat(len.saturating_sub(frame));
    Bytes::from(format!("{{\"{field}\":\"{pad}\"}}"))
}

/// Binds `listen`, prints `oneshot-floor: listening on http://ADDR` on
/// stdout, and serves forever (until killed) on `flavour`.
pub fn run(listen: SocketAddr, flavour: Flavour, lens: BodyLens) -> std::io::Result<()> {
    let bodies = Arc::new(Bodies::new(lens));
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    match flavour {
        Flavour::MultiThread => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let listener = TcpListener::bind(listen).await?;
                announce(listener.local_addr()?);
                accept_loop(listener, bodies).await
            })
        }
        Flavour::CurrentThreadPerCore => {
            // Every socket is bound before any listens, on the port the first got.
            let first = reuseport_socket(listen)?;
            let addr = first.local_addr()?;
            let mut sockets = vec![first];
            for _ in 1..cores {
                sockets.push(reuseport_socket(addr)?);
            }
            // Announced only once every socket listens: a connection the
            // kernel hashes to a socket that is bound but not listening yet
            // is refused.
            let (listening, ready) = std::sync::mpsc::channel::<()>();
            let threads: Vec<_> = sockets
                .into_iter()
                .map(|socket| {
                    let bodies = Arc::clone(&bodies);
                    let listening = listening.clone();
                    std::thread::spawn(move || -> std::io::Result<()> {
                        let runtime = tokio::runtime::Builder::new_current_thread()
                            .enable_all()
                            .build()?;
                        runtime.block_on(async {
                            let listener = socket.listen(1024)?;
                            let _ = listening.send(());
                            accept_loop(listener, bodies).await
                        })
                    })
                })
                .collect();
            drop(listening);
            // A thread that failed drops its sender unsent: fewer than all
            // answers, and its error surfaces at the join below.
            if ready.iter().take(threads.len()).count() == threads.len() {
                announce(addr);
            }
            for thread in threads {
                thread
                    .join()
                    .map_err(|_| std::io::Error::other("a floor thread panicked"))??;
            }
            Ok(())
        }
    }
}

fn reuseport_socket(addr: SocketAddr) -> std::io::Result<TcpSocket> {
    let socket = match addr {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    socket.set_reuseport(true)?;
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    Ok(socket)
}

fn announce(addr: SocketAddr) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "oneshot-floor: listening on http://{addr}").and_then(|()| out.flush());
}

async fn accept_loop(listener: TcpListener, bodies: Arc<Bodies>) -> std::io::Result<()> {
    let http = hyper::server::conn::http1::Builder::new();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Such as EMFILE: wait rather than spin.
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        let bodies = Arc::clone(&bodies);
        let connection = http.serve_connection(
            TokioIo::new(stream),
            hyper::service::service_fn(move |req| answer(req, Arc::clone(&bodies))),
        );
        tokio::spawn(async move {
            let _ = connection.await;
        });
    }
}

async fn answer(
    req: Request<Incoming>,
    bodies: Arc<Bodies>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let again = req.headers().contains_key(AGAIN_HEADER);
    let route = (req.method() == Method::POST).then(|| req.uri().path().to_owned());
    // Read the whole body, as the server does; a broken one is a 400.
    let read = req.into_body().collect().await.is_ok();
    let (status, body) = match (read, route.as_deref()) {
        (false, _) => (StatusCode::BAD_REQUEST, Bytes::new()),
        (true, Some(CREATE_PATH)) => (StatusCode::CREATED, bodies.create.clone()),
        (true, Some(TAKE_PATH)) if again => (StatusCode::NOT_FOUND, bodies.miss.clone()),
        (true, Some(TAKE_PATH)) => (StatusCode::OK, bodies.take.clone()),
        (true, _) => (StatusCode::NOT_FOUND, Bytes::new()),
    };
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padded_bodies_have_the_asked_length() {
        for len in [15, 16, 60, 402] {
            let body = padded_json("envelope", len);
            assert_eq!(body.len(), len);
            let value: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
            assert!(value["envelope"].is_string());
        }
        assert_eq!(
            padded_json("envelope", 3).len(),
            15,
            "never shorter than the frame"
        );
    }

    #[test]
    fn flavour_names_round_trip() {
        for f in [Flavour::MultiThread, Flavour::CurrentThreadPerCore] {
            assert_eq!(Flavour::from_name(f.name()), Some(f));
        }
        assert_eq!(Flavour::from_name("other"), None);
    }
}
