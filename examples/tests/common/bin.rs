//! The built `oneshot-server` binary on a free port, on the in-memory store,
//! killed on drop.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};

/// The running binary.
pub(crate) struct BinServer {
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub(crate) base: String,
    child: tokio::process::Child,
}

impl BinServer {
    /// Starts `oneshot-server --listen 127.0.0.1:0` with `args` and waits
    /// (at most 10 s) for the line with its address.
    pub(crate) async fn start(args: &[&str]) -> Self {
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_oneshot-server"))
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .env("RUST_LOG", "warn")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start oneshot-server");
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut line = String::new();
        tokio::time::timeout(Duration::from_secs(10), stdout.read_line(&mut line))
            .await
            .expect("the server prints its address within 10 s")
            .expect("read the server's stdout");
        let start = line.find("http://").expect(&line);
        let base = line[start..]
            .split_whitespace()
            .next()
            .expect("an address")
            .trim_end_matches('/')
            .to_owned();
        // Keep draining stdout so the server never blocks on a full pipe.
        tokio::spawn(async move {
            let mut rest = Vec::new();
            let _ = stdout.read_to_end(&mut rest).await;
        });
        Self { base, child }
    }

    /// Kills the server and waits for it.
    pub(crate) async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}
