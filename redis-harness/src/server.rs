//! [`RedisServer`]: one `redis-server` child process on a free loopback port,
//! ready once it answers `PING`, killed on drop. The faults a test can inject
//! into it are in [`crate::faults`].

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::binaries::{INSTALL_HINT, require_binary};
use crate::ports::free_port;

/// How long a server may take to answer its first PING.
const READY_DEADLINE: Duration = Duration::from_secs(10);

/// A `redis-server` child process on a free loopback port; killed on drop.
#[derive(Debug)]
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
    dir: tempfile::TempDir,
    extra_args: Vec<String>,
}

impl RedisServer {
    /// A standalone server with persistence off.
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// A standalone server with extra `redis-server` arguments
    /// (e.g. `["--maxmemory-policy", "allkeys-lru"]`).
    pub fn start_with(extra_args: &[&str]) -> Self {
        require_binary("redis-server");
        let dir = tempfile::Builder::new()
            .prefix("oneshot-redis-")
            .tempdir()
            .expect("temporary directory for redis-server");
        let extra_args: Vec<String> = extra_args.iter().map(|s| (*s).to_owned()).collect();
        // Another test may grab the port between our probe and the server's
        // bind; try a few fresh ports before giving up.
        let cluster = extra_args.iter().any(|a| a == "--cluster-enabled");
        let mut server = Self {
            child: None,
            port: free_port(cluster),
            dir,
            extra_args,
        };
        let mut last_log = String::new();
        for _ in 0..5 {
            match server.spawn_and_wait() {
                Ok(()) => return server,
                Err(log) => {
                    last_log = log;
                    server.reap();
                    server.port = free_port(cluster);
                }
            }
        }
        panic!("redis-server did not start after 5 attempts; last log:\n{last_log}");
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `redis://127.0.0.1:<port>/`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// `127.0.0.1:<port>`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The process id of the running server.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// Runs `redis-cli -p <port> <args>` and returns its trimmed stdout.
    pub fn cli(&self, args: &[&str]) -> String {
        require_binary("redis-cli");
        let output = Command::new("redis-cli")
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(args)
            .output()
            .expect("run redis-cli");
        assert!(
            output.status.success(),
            "redis-cli {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    }

    /// How many times the server ran `command` since it started or since
    /// `CONFIG RESETSTAT` (`INFO commandstats`; calls refused before running,
    /// such as `OOM`, are not counted, calls that ran and failed are).
    pub fn command_calls(&self, command: &str) -> u64 {
        let prefix = format!("cmdstat_{}:calls=", command.to_ascii_lowercase());
        self.cli(&["info", "commandstats"])
            .lines()
            .find_map(|l| l.strip_prefix(prefix.as_str()))
            .and_then(|rest| rest.split(',').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    }

    /// SIGKILLs the process, if it runs, and reaps it. Idempotent.
    pub(crate) fn reap(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Sends `signal` to the process, if it runs.
    pub(crate) fn signal(&self, signal: Signal) {
        if let Some(pid) = self.pid() {
            let pid = Pid::from_raw(i32::try_from(pid).expect("pid fits in i32"));
            kill(pid, signal).unwrap_or_else(|e| panic!("{signal} to redis-server: {e}"));
        }
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join(format!("redis-{}.log", self.port))
    }

    /// Starts the process on `self.port` and waits for its first `PING`;
    /// `Err` carries its stderr and log.
    pub(crate) fn spawn_and_wait(&mut self) -> Result<(), String> {
        let log_path = self.log_path();
        let _ = std::fs::remove_file(self.dir.path().join("nodes.conf"));
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .args(["--daemonize", "no", "--protected-mode", "no"])
            .arg("--dir")
            .arg(self.dir.path())
            .arg("--logfile")
            .arg(&log_path)
            .args(&self.extra_args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run redis-server ({e}); {INSTALL_HINT}"));
        self.child = Some(child);
        wait_for_pong(self.port, READY_DEADLINE).map_err(|why| {
            let mut stderr = String::new();
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(_)) = child.try_wait()
                && let Some(mut err) = child.stderr.take()
            {
                let _ = err.read_to_string(&mut stderr);
            }
            format!("{why}\nstderr: {stderr}\nlog:\n{}", read(&log_path))
        })
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        // SIGKILL works on a stopped process too; SIGCONT first lets it die at once.
        if self.child.is_some() {
            self.signal(Signal::SIGCONT);
        }
        self.reap();
    }
}

/// Polls `PING` on `port` until it answers or `deadline` passes.
pub(crate) fn wait_for_pong(port: u16, deadline: Duration) -> Result<(), String> {
    let until = Instant::now() + deadline;
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut last = String::from("no attempt");
    while Instant::now() < until {
        match ping(&addr) {
            Ok(()) => return Ok(()),
            Err(e) => last = e,
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Err(format!(
        "redis-server on port {port} did not answer PING within {deadline:?}: {last}"
    ))
}

/// One `PING` over a fresh socket, with short timeouts.
pub(crate) fn ping(addr: &SocketAddr) -> Result<(), String> {
    let mut stream =
        TcpStream::connect_timeout(addr, Duration::from_millis(200)).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_millis(500)))
        .map_err(|e| e.to_string())?;
    stream.write_all(b"PING\r\n").map_err(|e| e.to_string())?;
    let mut reply = [0u8; 7];
    stream.read_exact(&mut reply).map_err(|e| e.to_string())?;
    // A server started with `--requirepass` answers `-NOAUTH …`: it is up.
    if &reply == b"+PONG\r\n" || reply.starts_with(b"-NOAUTH") {
        Ok(())
    } else {
        Err(format!(
            "unexpected reply {:?}",
            String::from_utf8_lossy(&reply)
        ))
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| format!("(no log: {e})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_calls_are_counted() {
        let server = RedisServer::start();
        assert_eq!(server.command_calls("set"), 0);
        server.cli(&["set", "k", "v"]);
        server.cli(&["set", "k", "w"]);
        assert_eq!(server.command_calls("SET"), 2);
        server.cli(&["config", "resetstat"]);
        assert_eq!(server.command_calls("set"), 0);
    }

    #[test]
    fn password_protected_server_counts_as_ready() {
        let server = RedisServer::start_with(&["--requirepass", "s3cret"]);
        assert_eq!(
            server.cli(&["-a", "s3cret", "--no-auth-warning", "ping"]),
            "PONG"
        );
    }
}
