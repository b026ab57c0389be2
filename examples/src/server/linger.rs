//! A connection's socket outlives hyper's use of it by up to a second.
//!
//! When the server answers before reading a whole request body (a `401`, a
//! `429`, a `503` to a create) and closes, closing a socket with unread data
//! makes the kernel send a reset, which can destroy the answer before the
//! client reads it, and a client still sending gets a write error instead of
//! the answer. So once hyper is done with a connection, the write side is
//! shut down (the client sees the answer, then the end) and whatever the
//! client still sends is read and dropped for at most [`LINGER`], then the
//! socket is closed.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;

/// How long a closed connection keeps reading (and dropping) what the client
/// still sends.
pub(crate) const LINGER: Duration = Duration::from_secs(1);

/// A stream that, when dropped, lingers as described above; `T` (such as
/// the connection's slot) is released only after that.
pub(crate) struct Lingering<T: Send + 'static> {
    stream: Option<TcpStream>,
    keep: Option<T>,
}

impl<T: Send + 'static> Lingering<T> {
    pub(crate) fn new(stream: TcpStream, keep: T) -> Self {
        Self {
            stream: Some(stream),
            keep: Some(keep),
        }
    }

    fn stream(&mut self) -> io::Result<&mut TcpStream> {
        self.stream
            .as_mut()
            .ok_or_else(|| io::Error::from(io::ErrorKind::NotConnected))
    }
}

impl<T: Send + 'static> Drop for Lingering<T> {
    fn drop(&mut self) {
        let (Some(stream), keep) = (self.stream.take(), self.keep.take()) else {
            return;
        };
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                drain(stream).await;
                drop(keep);
            });
        }
    }
}

async fn drain(mut stream: TcpStream) {
    // Sends FIN if hyper did not (after an error it may not have).
    let _ = stream.shutdown().await;
    let mut sink = [0u8; 8192];
    let _ = tokio::time::timeout(LINGER, async {
        while let Ok(n) = stream.read(&mut sink).await {
            if n == 0 {
                break;
            }
        }
    })
    .await;
}

impl<T: Send + Unpin + 'static> AsyncRead for Lingering<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut().stream() {
            Ok(s) => Pin::new(s).poll_read(cx, buf),
            Err(e) => Poll::Ready(Err(e)),
        }
    }
}

impl<T: Send + Unpin + 'static> AsyncWrite for Lingering<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut().stream() {
            Ok(s) => Pin::new(s).poll_write(cx, buf),
            Err(e) => Poll::Ready(Err(e)),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut().stream() {
            Ok(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Err(e) => Poll::Ready(Err(e)),
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.as_ref().is_some_and(|s| s.is_write_vectored())
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut().stream() {
            Ok(s) => Pin::new(s).poll_flush(cx),
            Err(e) => Poll::Ready(Err(e)),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut().stream() {
            Ok(s) => Pin::new(s).poll_shutdown(cx),
            Err(e) => Poll::Ready(Err(e)),
        }
    }
}
