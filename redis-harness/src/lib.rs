//! Real `redis-server` processes for tests and benchmarks, in the spirit of
//! redis-rs's `redis-test`.
//!
//! - [`RedisServer::start`] runs `redis-server` on a free loopback port with
//!   persistence off (`--save "" --appendonly no`), its log and working files in
//!   a temporary directory, waits for `PING` with a deadline (panicking with the
//!   log if it never answers) and kills the process on drop.
//! - [`RedisCluster::start`] runs three cluster-enabled servers and joins them
//!   with `redis-cli --cluster create`, waiting for `cluster_state:ok`.
//! - Faults: [`RedisServer::kill`] (SIGKILL), [`RedisServer::pause`] /
//!   [`RedisServer::resume`] (SIGSTOP / SIGCONT), [`RedisServer::restart`] (a new,
//!   empty server on the same port).
//!
//! A missing binary panics with the command that installs it. Nothing here
//! touches a server on the default port.
#![forbid(unsafe_code)]
#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// How long a server may take to answer its first PING.
const READY_DEADLINE: Duration = Duration::from_secs(10);

const INSTALL_HINT: &str = "install it with: sudo apt-get install redis-server redis-tools \
     (or run scripts/test.sh, which installs what the tests need)";

/// Panics with the install command unless `binary` runs.
pub fn require_binary(binary: &str) {
    let found = Command::new(binary)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        found,
        "`{binary}` was not found or does not run; {INSTALL_HINT}"
    );
}

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
                    server.kill();
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

    /// SIGKILL the server and reap it. Idempotent.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Freeze the server with SIGSTOP: connections stay open, nothing answers.
    pub fn pause(&self) {
        self.signal(Signal::SIGSTOP);
    }

    /// Thaw a paused server with SIGCONT.
    pub fn resume(&self) {
        self.signal(Signal::SIGCONT);
    }

    /// Kill the server if it runs, then start a new, empty one on the same port
    /// with the same arguments.
    pub fn restart(&mut self) {
        self.kill();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match self.spawn_and_wait() {
                Ok(()) => return,
                Err(log) if Instant::now() > deadline => {
                    panic!("redis-server did not restart on port {}:\n{log}", self.port)
                }
                Err(_) => {
                    self.kill();
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        }
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

    fn signal(&self, signal: Signal) {
        if let Some(pid) = self.pid() {
            let pid = Pid::from_raw(i32::try_from(pid).expect("pid fits in i32"));
            kill(pid, signal).unwrap_or_else(|e| panic!("{signal} to redis-server: {e}"));
        }
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join(format!("redis-{}.log", self.port))
    }

    fn spawn_and_wait(&mut self) -> Result<(), String> {
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
        self.kill();
    }
}

/// A Redis Cluster of three masters (no replicas) on free ports.
#[derive(Debug)]
pub struct RedisCluster {
    nodes: Vec<RedisServer>,
}

impl RedisCluster {
    /// Three masters, slots spread by `redis-cli --cluster create`, with
    /// `cluster-require-full-coverage no` so that losing one master leaves the
    /// others serving their slots.
    pub fn start() -> Self {
        require_binary("redis-cli");
        let nodes: Vec<RedisServer> = (0..3)
            .map(|_| {
                RedisServer::start_with(&[
                    "--cluster-enabled",
                    "yes",
                    "--cluster-node-timeout",
                    "2000",
                    "--cluster-require-full-coverage",
                    "no",
                ])
            })
            .collect();
        let addrs: Vec<String> = nodes.iter().map(RedisServer::addr).collect();
        let output = Command::new("redis-cli")
            .arg("--cluster")
            .arg("create")
            .args(&addrs)
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .stdin(Stdio::null())
            .output()
            .expect("run redis-cli --cluster create");
        assert!(
            output.status.success(),
            "redis-cli --cluster create failed:\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let cluster = Self { nodes };
        cluster.wait_until_ok(Duration::from_secs(20));
        cluster
    }

    /// `redis://127.0.0.1:<port>/` for every node: the seed list for a client.
    pub fn urls(&self) -> Vec<String> {
        self.nodes.iter().map(RedisServer::url).collect()
    }

    /// The nodes, in creation order.
    pub fn nodes(&self) -> &[RedisServer] {
        &self.nodes
    }

    /// One node, for fault injection.
    pub fn node_mut(&mut self, index: usize) -> &mut RedisServer {
        &mut self.nodes[index]
    }

    /// The index of the node that serves `key`'s slot (per `CLUSTER KEYSLOT`
    /// and `CLUSTER SLOTS`, asked of the first live node).
    pub fn node_for_key(&self, key: &str) -> usize {
        let asker = self
            .nodes
            .iter()
            .find(|n| n.pid().is_some())
            .expect("a live node");
        let slot: u16 = asker
            .cli(&["cluster", "keyslot", key])
            .parse()
            .expect("numeric slot");
        // Each live node's own line ("myself") in `CLUSTER NODES` lists its slots.
        for (index, node) in self.nodes.iter().enumerate() {
            if node.pid().is_none() {
                continue;
            }
            let nodes = node.cli(&["cluster", "nodes"]);
            let myself = nodes
                .lines()
                .find(|l| l.contains("myself"))
                .expect("CLUSTER NODES lists myself");
            if owns_slot(myself, slot) {
                return index;
            }
        }
        panic!("no live node owns slot {slot}");
    }

    fn wait_until_ok(&self, deadline: Duration) {
        let until = Instant::now() + deadline;
        loop {
            let all_ok = self.nodes.iter().all(|n| {
                n.cli(&["cluster", "info"])
                    .lines()
                    .any(|l| l.trim() == "cluster_state:ok")
            });
            if all_ok {
                return;
            }
            assert!(
                Instant::now() < until,
                "cluster did not reach cluster_state:ok within {deadline:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// Parses the slot ranges at the end of a `CLUSTER NODES` line.
fn owns_slot(line: &str, slot: u16) -> bool {
    line.split_whitespace().skip(8).any(|range| {
        let mut parts = range.splitn(2, '-');
        let start = parts.next().and_then(|s| s.parse::<u16>().ok());
        let end = parts.next().and_then(|s| s.parse::<u16>().ok()).or(start);
        matches!((start, end), (Some(s), Some(e)) if (s..=e).contains(&slot))
    })
}

/// A loopback port nobody is listening on (and, for cluster nodes, whose
/// cluster bus port `+10000` is free too).
pub fn free_port(cluster: bool) -> u16 {
    loop {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind an ephemeral port");
        let port = listener.local_addr().expect("local addr").port();
        if !cluster {
            return port;
        }
        if port < 55_000 && TcpListener::bind((Ipv4Addr::LOCALHOST, port + 10_000)).is_ok() {
            return port;
        }
    }
}

fn wait_for_pong(port: u16, deadline: Duration) -> Result<(), String> {
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

fn ping(addr: &SocketAddr) -> Result<(), String> {
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
    fn server_starts_answers_and_restarts_empty() {
        let mut server = RedisServer::start();
        assert_eq!(server.cli(&["ping"]), "PONG");
        assert_eq!(server.cli(&["config", "get", "save"]), "save");
        server.cli(&["set", "k", "v"]);
        let port = server.port();
        server.restart();
        assert_eq!(server.port(), port);
        assert_eq!(server.cli(&["exists", "k"]), "0");
    }

    #[test]
    fn password_protected_server_counts_as_ready() {
        let server = RedisServer::start_with(&["--requirepass", "s3cret"]);
        assert_eq!(
            server.cli(&["-a", "s3cret", "--no-auth-warning", "ping"]),
            "PONG"
        );
    }

    #[test]
    fn paused_server_does_not_answer_until_resumed() {
        let server = RedisServer::start();
        server.pause();
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, server.port()));
        assert!(ping(&addr).is_err(), "a stopped server answered");
        server.resume();
        wait_for_pong(server.port(), Duration::from_secs(5)).unwrap();
    }

    #[test]
    fn cluster_of_three_masters_serves_every_slot() {
        let cluster = RedisCluster::start();
        assert_eq!(cluster.urls().len(), 3);
        let owners: std::collections::BTreeSet<usize> = ["a", "b", "c", "d", "e", "f", "g", "h"]
            .iter()
            .map(|k| cluster.node_for_key(k))
            .collect();
        assert!(
            owners.len() > 1,
            "all keys on one node: slots were not spread"
        );
    }

    #[test]
    fn slot_ranges_parse() {
        let line = "id 127.0.0.1:1@2 myself,master - 0 0 1 connected 0-5460 7000 [8000-<-abc]";
        assert!(owns_slot(line, 0) && owns_slot(line, 5460) && owns_slot(line, 7000));
        assert!(!owns_slot(line, 5461) && !owns_slot(line, 8000));
    }
}
