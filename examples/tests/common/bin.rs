//! The built `oneshot-server` binary as a child process: started on a free
//! port, its address read from stdout, its stderr kept or dropped.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_oneshot-server");

/// A command for the binary on `127.0.0.1:0` with `args`, no store URL or
/// create token inherited from the environment, and the log filter `filter`.
pub(crate) fn command(args: &[&str], filter: &str) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(BIN);
    command
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .env_remove("ONESHOT_REDIS_URL")
        .env_remove("ONESHOT_POSTGRES_URL")
        .env_remove("ONESHOT_CREATE_TOKEN")
        .env_remove("NO_COLOR")
        .env("RUST_LOG", filter)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .kill_on_drop(true);
    command
}

/// Starts `command` (whose stdout is piped) and waits for the line with its
/// address: returns the child, that line and the base URL.
pub(crate) async fn start(
    command: tokio::process::Command,
) -> (tokio::process::Child, String, String) {
    let (child, mut lines) = start_reading(command, 1).await;
    let line = lines.remove(0);
    let base = address_in(&line);
    (child, line, base)
}

/// The `http://…` address in `line`, without a trailing slash.
pub(crate) fn address_in(line: &str) -> String {
    let at = line
        .find("http://")
        .unwrap_or_else(|| panic!("no address in {line:?}"));
    line[at..]
        .split_whitespace()
        .next()
        .expect("an address")
        .trim_end_matches('/')
        .to_owned()
}

/// Starts `command` (whose stdout is piped) and reads its first `n` lines
/// (within 10 s), then keeps draining stdout.
pub(crate) async fn start_reading(
    mut command: tokio::process::Command,
    n: usize,
) -> (tokio::process::Child, Vec<String>) {
    let mut child = command.spawn().expect("start oneshot-server");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout was piped"));
    let mut lines = Vec::new();
    for _ in 0..n {
        let mut line = String::new();
        tokio::time::timeout(Duration::from_secs(10), stdout.read_line(&mut line))
            .await
            .expect("the server prints its addresses within 10 s")
            .expect("read stdout");
        lines.push(line);
    }
    // Keep draining stdout so the server never blocks on a full pipe.
    tokio::spawn(async move {
        let mut rest = Vec::new();
        let _ = stdout.read_to_end(&mut rest).await;
    });
    (child, lines)
}

/// Stops the child with SIGTERM and returns everything it wrote to its
/// piped stderr.
pub(crate) async fn stop_and_read_stderr(child: &mut tokio::process::Child) -> Vec<u8> {
    let pid = child.id().expect("running");
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());
    let mut logs = Vec::new();
    let mut stderr = child.stderr.take().expect("stderr was piped");
    tokio::time::timeout(Duration::from_secs(10), stderr.read_to_end(&mut logs))
        .await
        .expect("stderr closes within 10 s of SIGTERM")
        .expect("read stderr");
    let exit = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("stops within 10 s of SIGTERM")
        .expect("wait");
    assert!(exit.success(), "{exit:?}");
    logs
}
