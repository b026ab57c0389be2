//! The built `oneshot-server` on the in-memory store, for tests that only
//! need a server to talk to.

use std::process::Stdio;

use super::bin::{command, start, stop_and_read_stderr};

/// The running binary on the in-memory store (for tests that only need a
/// server), killed on drop.
pub(crate) struct BinServer {
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub(crate) base: String,
    child: tokio::process::Child,
}

impl BinServer {
    /// Starts the binary with `args` (logging at WARN: a few lines at most,
    /// read when it stops) and waits for its address.
    pub(crate) async fn start(args: &[&str]) -> Self {
        let mut command = command(args, "warn");
        command.env("NO_COLOR", "1").stderr(Stdio::piped());
        let (child, _, base) = start(command).await;
        Self { base, child }
    }

    /// Stops the server (SIGTERM) and waits for it.
    pub(crate) async fn stop(mut self) {
        stop_and_read_stderr(&mut self.child).await;
    }
}
