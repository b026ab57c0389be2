//! What can go wrong in an HTTP run.

use std::net::SocketAddr;

use crate::cpu::CpuError;

/// What went wrong in an HTTP run: the transport, or a broken promise.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HttpError {
    /// Connecting failed.
    #[error("cannot connect to {addr}")]
    Connect {
        /// Where to.
        addr: SocketAddr,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// Reading or writing the connection failed.
    #[error("{0}: connection failed")]
    Io(&'static str, #[source] std::io::Error),
    /// An answer the generator does not read (see the `wire` module).
    #[error("{0}: unexpected answer ({1})")]
    Malformed(&'static str, &'static str),
    /// A request did not get its answer within the request timeout.
    #[error("{0} got no answer in time")]
    Timeout(&'static str),
    /// An answer with an unexpected status.
    #[error("{request} answered {status}: {body}")]
    Status {
        /// Which request.
        request: &'static str,
        /// Its status.
        status: u16,
        /// The start of its body (error bodies name no secret).
        body: String,
    },
    /// A take answered 200 with another envelope than the one put.
    #[error("wrong envelope taken (pair {0})")]
    Corrupted(usize),
    /// The second take of a pair answered 200: delivered twice.
    #[error("secret delivered twice (pair {0})")]
    Duplicated(usize),
    /// Reading CPU times failed.
    #[error("reading CPU time")]
    Cpu(#[from] CpuError),
    /// A connection task panicked.
    #[error("a load task panicked")]
    Panicked,
}
