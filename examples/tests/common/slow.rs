//! Slow requests on raw sockets: POSTs whose bodies trickle in a byte a
//! second from a chosen loopback address, how each ended, and the check
//! that one address held exactly its share of a pool.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::http_response::parse_response;
use super::local_ip::connect_from;

/// "At once", allowing for a loaded two-core machine.
pub(crate) const AT_ONCE: Duration = Duration::from_secs(1);

/// A request head for `path` with a body of `len` bytes.
pub(crate) fn head(path: &str, len: usize, extra: &str) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {len}\r\n{extra}\r\n"
    )
}

/// How a slow upload ended within its window.
#[derive(Debug)]
pub(crate) enum Upload {
    /// Answered (the status) this long after its head was sent.
    Answered(u16, Duration),
    /// Still uploading, unanswered, when the window closed.
    InFlight,
}

/// A POST to `path` from `from` whose body trickles in a byte a second;
/// watches for an answer for `window`, then hangs up.
async fn slow_request(base: String, from: IpAddr, path: &str, window: Duration) -> Upload {
    let mut stream = connect_from(&base, from).await;
    stream
        .write_all(head(path, 200, "").as_bytes())
        .await
        .unwrap();
    let sent = Instant::now();
    let mut buf = [0u8; 1024];
    let mut got = Vec::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        let left = window.saturating_sub(sent.elapsed());
        tokio::select! {
            () = tokio::time::sleep(left) => return Upload::InFlight,
            _ = tick.tick() => {
                // A refused upload may be cut meanwhile; the answer is what counts.
                let _ = stream.write_all(b" ").await;
            }
            read = stream.read(&mut buf) => match read {
                Ok(n) if n > 0 => {
                    got.extend_from_slice(&buf[..n]);
                    if got.windows(4).any(|w| w == b"\r\n\r\n") {
                        let (status, _, _) = parse_response(&got);
                        return Upload::Answered(status, sent.elapsed());
                    }
                }
                _ => panic!("closed without an answer after {:?}", sent.elapsed()),
            },
        }
    }
}

/// Starts `n` slow uploads (creates) to the server at `base` from `from`.
pub(crate) fn slow_uploads(
    base: &str,
    from: IpAddr,
    n: usize,
    window: Duration,
) -> Vec<tokio::task::JoinHandle<Upload>> {
    slow_requests(base, from, "/api/v1/secrets", n, window)
}

/// Starts `n` slow POSTs to `path` of the server at `base` from `from`,
/// staggered (see [`stagger`]).
pub(crate) fn slow_requests(
    base: &str,
    from: IpAddr,
    path: &'static str,
    n: usize,
    window: Duration,
) -> Vec<tokio::task::JoinHandle<Upload>> {
    (0..n)
        .map(|i| {
            let base = base.to_owned();
            tokio::spawn(async move {
                tokio::time::sleep(stagger(i)).await;
                slow_request(base, from, path, window).await
            })
        })
        .collect()
}

/// A flood from one address held exactly `share` requests in flight, and
/// every other one was refused `503` at once.
pub(crate) fn assert_holds_share(flood: &[Upload], share: usize) {
    let in_flight = flood
        .iter()
        .filter(|u| matches!(u, Upload::InFlight))
        .count();
    assert_eq!(in_flight, share, "A holds exactly its share: {flood:?}");
    for upload in flood {
        if let Upload::Answered(status, after) = upload {
            assert_eq!(*status, 503, "A past its share is busy");
            assert!(*after < AT_ONCE, "refused at once, not after {after:?}");
        }
    }
}

/// When the `i`-th connection of a flood starts: ten at a time, 10 ms apart.
/// A burst of hundreds of connects at once overflows the listener's accept
/// queue on a loaded machine (the kernel drops handshakes, and a dropped one
/// can end in a reset before the server ever sees the connection), which is
/// the kernel's doing, not the server's: the flood still arrives within a
/// few hundred milliseconds, long before the checks run.
fn stagger(i: usize) -> Duration {
    Duration::from_millis((i / 10) as u64 * 10)
}

pub(crate) async fn outcomes(tasks: Vec<tokio::task::JoinHandle<Upload>>) -> Vec<Upload> {
    let mut out = Vec::new();
    for task in tasks {
        out.push(
            tokio::time::timeout(Duration::from_secs(30), task)
                .await
                .expect("the upload ends within its window")
                .unwrap(),
        );
    }
    out
}
