//! A minimal HTTP/1.1 client connection for the load generator: requests are
//! written from bytes made before the run, in one `write` each, and answers
//! parsed just enough to check them (status, `Content-Length`, body).
//!
//! Why not hyper's client: it hands every request to a connection task and
//! the answer back through a channel, which costs the generator about as much
//! CPU per request as the floor server spends, on the same cores. This
//! supports exactly what the servers under test send: `Content-Length`
//! bodies on a keep-alive connection, one request at a time. Anything else
//! (chunked bodies, `Connection: close`, a malformed head) is an error, never
//! silently accepted.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::error::HttpError;

/// Longest answer head accepted.
const MAX_HEAD: usize = 16 * 1024;
/// Longest answer body accepted.
const MAX_BODY: usize = 16 * 1024 * 1024;

/// The head of a request with a JSON body of `len` bytes, up to and with the
/// blank line; `extra` is more header lines, each ending in `\r\n`.
pub(crate) fn post_head(path: &str, len: usize, extra: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nhost: oneshot-bench\r\ncontent-type: application/json\r\n\
         content-length: {len}\r\n{extra}\r\n"
    )
    .into_bytes()
}

/// The whole of a `GET path` request.
pub(crate) fn get_request(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nhost: oneshot-bench\r\n\r\n").into_bytes()
}

/// One keep-alive connection.
pub(crate) struct Conn {
    stream: TcpStream,
    out: Vec<u8>,
    buf: Vec<u8>,
    timeout: Duration,
}

/// A parsed answer: its status and body (borrowed from the connection's buffer).
pub(crate) struct Answer<'a> {
    pub(crate) status: u16,
    pub(crate) body: &'a [u8],
}

impl Conn {
    pub(crate) async fn open(addr: SocketAddr, timeout: Duration) -> Result<Self, HttpError> {
        let connect_error = |source| HttpError::Connect { addr, source };
        let stream = tokio::time::timeout(timeout, TcpStream::connect(addr))
            .await
            .map_err(|_| HttpError::Timeout("connect"))?
            .map_err(connect_error)?;
        stream.set_nodelay(true).map_err(connect_error)?;
        Ok(Self {
            stream,
            out: Vec::with_capacity(2048),
            buf: Vec::with_capacity(4096),
            timeout,
        })
    }

    /// Writes `head` then `body` in one write, and reads the whole answer.
    pub(crate) async fn send(
        &mut self,
        what: &'static str,
        head: &[u8],
        body: &[u8],
    ) -> Result<Answer<'_>, HttpError> {
        self.out.clear();
        self.out.extend_from_slice(head);
        self.out.extend_from_slice(body);
        let timeout = self.timeout;
        let (head_len, body_len) = tokio::time::timeout(timeout, self.exchange(what))
            .await
            .map_err(|_| HttpError::Timeout(what))??;
        let status = parse_status(self.buf.get(..head_len).unwrap_or_default())
            .ok_or(HttpError::Malformed(what, "status line"))?;
        let body = self
            .buf
            .get(head_len..head_len + body_len)
            .ok_or(HttpError::Malformed(what, "body"))?;
        Ok(Answer { status, body })
    }

    /// Sends `self.out`, reads one answer into `self.buf` (which then holds
    /// exactly it) and returns the lengths of its head and body.
    async fn exchange(&mut self, what: &'static str) -> Result<(usize, usize), HttpError> {
        let io = |e| HttpError::Io(what, e);
        self.stream.write_all(&self.out).await.map_err(io)?;
        self.buf.clear();
        let head_len = loop {
            if let Some(end) = find_head_end(&self.buf) {
                break end;
            }
            if self.buf.len() > MAX_HEAD {
                return Err(HttpError::Malformed(what, "head too long"));
            }
            self.read_more(what).await?;
        };
        let head = self.buf.get(..head_len).unwrap_or_default();
        let body_len = parse_content_length(head).ok_or(HttpError::Malformed(
            what,
            "no Content-Length (chunked or close-delimited answers are not supported)",
        ))?;
        if has_connection_close(head) {
            return Err(HttpError::Malformed(what, "Connection: close"));
        }
        if body_len > MAX_BODY {
            return Err(HttpError::Malformed(what, "body too long"));
        }
        while self.buf.len() < head_len + body_len {
            self.read_more(what).await?;
        }
        if self.buf.len() > head_len + body_len {
            return Err(HttpError::Malformed(what, "bytes after the answer"));
        }
        Ok((head_len, body_len))
    }

    async fn read_more(&mut self, what: &'static str) -> Result<(), HttpError> {
        let mut chunk = [0u8; 8192];
        let n = self
            .stream
            .read(&mut chunk)
            .await
            .map_err(|e| HttpError::Io(what, e))?;
        if n == 0 {
            return Err(HttpError::Malformed(what, "connection closed mid-answer"));
        }
        self.buf
            .extend_from_slice(chunk.get(..n).unwrap_or_default());
        Ok(())
    }
}

/// The length of the head, with its blank line, once it is all in `buf`.
fn find_head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4)
}

/// The code of `HTTP/1.1 201 Created`.
fn parse_status(head: &[u8]) -> Option<u16> {
    let line = head.split(|&b| b == b'\r').next()?;
    let line = std::str::from_utf8(line).ok()?;
    let mut parts = line.split(' ');
    let version = parts.next()?;
    if !version.starts_with("HTTP/1.") {
        return None;
    }
    parts.next()?.parse().ok()
}

fn header_lines(head: &[u8]) -> impl Iterator<Item = (&str, &str)> {
    std::str::from_utf8(head)
        .unwrap_or_default()
        .split("\r\n")
        .skip(1)
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim(), value.trim()))
}

/// `Content-Length`, if present and not combined with a transfer coding.
fn parse_content_length(head: &[u8]) -> Option<usize> {
    if header_lines(head).any(|(n, _)| n.eq_ignore_ascii_case("transfer-encoding")) {
        return None;
    }
    header_lines(head)
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
}

fn has_connection_close(head: &[u8]) -> bool {
    header_lines(head)
        .any(|(n, v)| n.eq_ignore_ascii_case("connection") && v.eq_ignore_ascii_case("close"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &[u8] =
        b"HTTP/1.1 201 Created\r\ncontent-type: application/json\r\nContent-Length: 12\r\n\r\n";

    #[test]
    fn parses_a_head() {
        let mut answer = HEAD.to_vec();
        answer.extend_from_slice(b"{\"id\":\"abc\"}");
        let end = find_head_end(&answer).expect("complete head");
        assert_eq!(end, HEAD.len());
        assert_eq!(parse_status(&answer[..end]), Some(201));
        assert_eq!(parse_content_length(&answer[..end]), Some(12));
        assert!(!has_connection_close(&answer[..end]));
        assert_eq!(find_head_end(b"HTTP/1.1 200 OK\r\n"), None);
    }

    #[test]
    fn refuses_what_it_does_not_support() {
        let chunked = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ncontent-length: 3\r\n\r\n";
        assert_eq!(parse_content_length(chunked), None);
        assert!(has_connection_close(
            b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"
        ));
        assert_eq!(parse_status(b"SIP/2.0 200 OK\r\n\r\n"), None);
    }

    #[test]
    fn builds_requests() {
        let head = post_head("/api/v1/secrets/take", 55, "x-oneshot-bench: again\r\n");
        let text = String::from_utf8(head).expect("ASCII");
        assert!(text.starts_with("POST /api/v1/secrets/take HTTP/1.1\r\n"));
        assert!(text.contains("content-length: 55\r\nx-oneshot-bench: again\r\n\r\n"));
        assert!(text.ends_with("\r\n\r\n"));
    }
}
