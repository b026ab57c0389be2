//! Real PostgreSQL servers for tests and benchmarks, in the style of the
//! redis harness.
//!
//! - [`PgServer::start`] runs `initdb` (trust authentication, superuser
//!   `postgres`) and `postgres` in a temporary directory, listening on
//!   `127.0.0.1` on a free port with its unix socket in that directory; it
//!   waits until a connection completes the startup handshake (with a
//!   deadline, panicking with the server log if it never does) and kills the
//!   server on drop. The machine's own server on 5432 is never used.
//! - Faults: [`PgServer::kill`] (SIGKILL to the postmaster and every backend,
//!   as a crash would), [`PgServer::pause`] / [`PgServer::resume`] (SIGSTOP /
//!   SIGCONT to all of them), [`PgServer::restart`] (the same data directory
//!   and port again: PostgreSQL runs crash recovery from its WAL, so what was
//!   committed is still there).
//! - The binaries are found in `$ONESHOT_PG_BIN`, else the highest
//!   `/usr/lib/postgresql/*/bin` (Debian's layout), else through `PATH`. A
//!   missing binary panics with the command that installs it.
//! - PostgreSQL refuses to run as root. Run as root (as CI does), the harness
//!   starts `initdb` and `postgres` as the `postgres` system user (which
//!   Debian's package creates), with the temporary directory handed to it.
#![forbid(unsafe_code)]
#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use std::ffi::OsStr;
use std::fs::File;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::{Gid, Pid, Uid, User, chown, geteuid};

/// How long a server may take to accept its first connection (crash
/// recovery after [`PgServer::kill`] included).
const READY_DEADLINE: Duration = Duration::from_secs(30);

const INSTALL_HINT: &str = "install it with: sudo apt-get install postgresql \
     (or run scripts/test.sh, which installs what the tests need)";

/// The directory holding `initdb`, `postgres`, `psql` and `pgbench`.
///
/// `$ONESHOT_PG_BIN` if set; else the highest-versioned
/// `/usr/lib/postgresql/<version>/bin` with both `initdb` and `postgres`
/// (Debian puts neither on `PATH`); else the directory of `initdb` on
/// `PATH`. Panics with the install command if none has them.
pub fn bin_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(find_bin_dir)
}

fn find_bin_dir() -> PathBuf {
    let usable = |dir: &Path| dir.join("initdb").is_file() && dir.join("postgres").is_file();
    if let Some(dir) = std::env::var_os("ONESHOT_PG_BIN") {
        let dir = PathBuf::from(dir);
        assert!(
            usable(&dir),
            "ONESHOT_PG_BIN={} has no initdb and postgres",
            dir.display()
        );
        return dir;
    }
    let mut versioned: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .filter(|(_, dir)| usable(dir))
        .collect();
    versioned.sort();
    if let Some((_, dir)) = versioned.pop() {
        return dir;
    }
    let on_path = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join("initdb"))
            .find(|initdb| initdb.is_file())
    });
    if let Some(initdb) = on_path {
        // Debian's /usr/local/bin or /usr/bin entries are links into the
        // versioned directory, which also holds `postgres`.
        let real = std::fs::canonicalize(&initdb).unwrap_or(initdb);
        if let Some(dir) = real.parent().filter(|dir| usable(dir)) {
            return dir.to_path_buf();
        }
    }
    panic!("PostgreSQL's initdb and postgres were not found; {INSTALL_HINT}");
}

/// The major version of the server binaries, e.g. 15.
pub fn server_version() -> u32 {
    let output = Command::new(bin_dir().join("postgres"))
        .arg("--version")
        .output()
        .unwrap_or_else(|e| panic!("cannot run postgres --version ({e}); {INSTALL_HINT}"));
    // "postgres (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)"
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .nth(2)
        .and_then(|v| v.split('.').next())
        .and_then(|major| major.parse().ok())
        .expect("postgres --version names a version")
}

/// Who runs the server: the `postgres` user when we are root, else ourselves.
fn server_owner() -> Option<(Uid, Gid)> {
    if !geteuid().is_root() {
        return None;
    }
    let user = User::from_name("postgres")
        .expect("look up the postgres user")
        .unwrap_or_else(|| {
            panic!(
                "running as root, but there is no `postgres` user to run PostgreSQL as \
                 (PostgreSQL refuses to run as root); {INSTALL_HINT}"
            )
        });
    Some((user.uid, user.gid))
}

/// A PostgreSQL server (postmaster and backends) on a free loopback port,
/// with its data in a temporary directory; killed on drop.
#[derive(Debug)]
pub struct PgServer {
    postmaster: Option<Child>,
    port: u16,
    dir: tempfile::TempDir,
    extra_args: Vec<String>,
    owner: Option<(Uid, Gid)>,
}

impl PgServer {
    /// A server with the defaults (`fsync` and `synchronous_commit` on).
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// A server with extra `postgres` arguments, e.g. `["-c", "fsync=off"]`.
    pub fn start_with(extra_args: &[&str]) -> Self {
        let owner = server_owner();
        let dir = tempfile::Builder::new()
            .prefix("oneshot-pg-")
            .tempdir()
            .expect("temporary directory for PostgreSQL");
        if let Some((uid, gid)) = owner {
            chown(dir.path(), Some(uid), Some(gid)).expect("hand the directory to postgres");
        }
        let mut server = Self {
            postmaster: None,
            port: free_port(),
            dir,
            extra_args: extra_args.iter().map(|s| (*s).to_owned()).collect(),
            owner,
        };
        server.initdb();
        // Another process may take the port between the probe and the bind;
        // try a few fresh ports before giving up.
        let mut last_log = String::new();
        for _ in 0..5 {
            match server.spawn_and_wait() {
                Ok(()) => return server,
                Err(log) => {
                    last_log = log;
                    server.kill();
                    server.port = free_port();
                }
            }
        }
        panic!("postgres did not start after 5 attempts; last log:\n{last_log}");
    }

    /// The port it listens on (never 5432).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `postgres://postgres@127.0.0.1:<port>/postgres`.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// The directory holding the unix socket (`.s.PGSQL.<port>`).
    pub fn socket_dir(&self) -> &Path {
        self.dir.path()
    }

    /// The data directory.
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The postmaster's process id while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.postmaster.as_ref().map(Child::id)
    }

    /// The server's log so far (every start appends to it).
    pub fn log(&self) -> String {
        read(&self.log_path())
    }

    /// SIGKILL the postmaster and every backend at once, as a crash would,
    /// and reap them. Nothing gets to flush or shut down. Idempotent.
    pub fn kill(&mut self) {
        let Some(mut postmaster) = self.postmaster.take() else {
            return;
        };
        let pid = pid_of(&postmaster);
        // Frozen first, so that it forks no backend while they are killed.
        let _ = kill(pid, Signal::SIGSTOP);
        let children = children_of(pid);
        for child in &children {
            let _ = kill(*child, Signal::SIGKILL);
        }
        let _ = kill(pid, Signal::SIGKILL);
        let _ = postmaster.wait();
        // The backends were the postmaster's children, not ours: wait until
        // they are gone, since a new postmaster refuses to start while they
        // hold the old shared memory.
        let until = Instant::now() + Duration::from_secs(10);
        while children.iter().any(|child| is_running(*child)) && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Freeze the postmaster and every backend with SIGSTOP: connections stay
    /// open, nothing answers, new connections are accepted by the kernel but
    /// never greeted.
    pub fn pause(&self) {
        if let Some(postmaster) = &self.postmaster {
            let pid = pid_of(postmaster);
            kill(pid, Signal::SIGSTOP).expect("SIGSTOP to the postmaster");
            for child in children_of(pid) {
                let _ = kill(child, Signal::SIGSTOP);
            }
        }
    }

    /// Thaw a paused server with SIGCONT.
    pub fn resume(&self) {
        if let Some(postmaster) = &self.postmaster {
            let pid = pid_of(postmaster);
            for child in children_of(pid) {
                let _ = kill(child, Signal::SIGCONT);
            }
            kill(pid, Signal::SIGCONT).expect("SIGCONT to the postmaster");
        }
    }

    /// Kill the server if it runs, then start it again on the same data
    /// directory and port: PostgreSQL replays its WAL, so every committed
    /// transaction is there and nothing else is.
    pub fn restart(&mut self) {
        self.kill();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            match self.spawn_and_wait() {
                Ok(()) => return,
                Err(log) if Instant::now() > deadline => {
                    panic!("postgres did not restart on port {}:\n{log}", self.port)
                }
                Err(_) => {
                    self.kill();
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        }
    }

    /// Runs `sql` with `psql` as the superuser and returns its trimmed,
    /// unaligned output (one row a line, columns separated by `|`). Panics
    /// with psql's message if it fails.
    pub fn psql(&self, sql: &str) -> String {
        let output = Command::new(bin_dir().join("psql"))
            .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"])
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(["-U", "postgres", "-d", "postgres", "-c", sql])
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run psql ({e}); {INSTALL_HINT}"));
        assert!(
            output.status.success(),
            "psql {sql:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("postgres.log")
    }

    /// A command for one of the server binaries, run as the server's owner.
    fn server_command(&self, binary: &str) -> Command {
        let mut command = Command::new(bin_dir().join(binary));
        command.current_dir(self.dir.path()).env("LC_ALL", "C");
        if let Some((uid, gid)) = self.owner {
            command.uid(uid.as_raw()).gid(gid.as_raw());
        }
        command
    }

    fn initdb(&self) {
        let output = self
            .server_command("initdb")
            .arg("-D")
            .arg(self.data_dir())
            .args(["--auth=trust", "--username=postgres", "--encoding=UTF8"])
            .args(["--locale=C", "--no-instructions"])
            // The files initdb writes need no fsync: a test server that dies
            // before they reach the disk is never reused after a reboot.
            .arg("--no-sync")
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run initdb ({e}); {INSTALL_HINT}"));
        assert!(
            output.status.success(),
            "initdb failed:\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    fn spawn_and_wait(&mut self) -> Result<(), String> {
        let log = File::options()
            .create(true)
            .append(true)
            .open(self.log_path())
            .expect("open the server log");
        let log_err = log.try_clone().expect("clone the log handle");
        let mut command = self.server_command("postgres");
        command
            .arg("-D")
            .arg(self.data_dir())
            .args(["-p", &self.port.to_string()])
            .arg("-k")
            .arg(self.dir.path())
            .args(["-c", "listen_addresses=127.0.0.1"])
            // Durable commits: the fault tests rely on them. Arguments given
            // to `start_with` come later and win.
            .args(["-c", "fsync=on", "-c", "synchronous_commit=on"])
            .args(["-c", "logging_collector=off"])
            .args(self.extra_args.iter().map(OsStr::new))
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err);
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run postgres ({e}); {INSTALL_HINT}"));
        self.postmaster = Some(child);
        let until = Instant::now() + READY_DEADLINE;
        let mut last = String::from("no attempt");
        while Instant::now() < until {
            if let Some(postmaster) = self.postmaster.as_mut()
                && let Ok(Some(status)) = postmaster.try_wait()
            {
                self.postmaster = None;
                return Err(format!(
                    "postgres exited with {status}\nlog:\n{}",
                    self.log()
                ));
            }
            match handshake(self.port) {
                Ok(()) => return Ok(()),
                Err(e) => last = e,
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(format!(
            "postgres on port {} accepted no connection within {READY_DEADLINE:?}: {last}\nlog:\n{}",
            self.port,
            self.log()
        ))
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        self.kill();
    }
}

fn pid_of(child: &Child) -> Pid {
    Pid::from_raw(i32::try_from(child.id()).expect("pid fits in i32"))
}

/// The processes whose parent is `parent`, from `/proc/<pid>/stat`.
fn children_of(parent: Pid) -> Vec<Pid> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| parent_of(*pid) == Some(parent.as_raw()))
        .map(Pid::from_raw)
        .collect()
}

fn parent_of(pid: i32) -> Option<i32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "pid (comm) state ppid ...": comm may contain spaces and parentheses.
    let after_comm = &stat[stat.rfind(')')? + 1..];
    after_comm.split_whitespace().nth(1)?.parse().ok()
}

/// Alive and not a zombie.
fn is_running(pid: Pid) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    let state = stat
        .rfind(')')
        .and_then(|i| stat[i + 1..].split_whitespace().next());
    !matches!(state, Some("Z" | "X") | None)
}

/// A loopback port nobody listens on (the kernel's ephemeral range, so never 5432).
pub fn free_port() -> u16 {
    loop {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind an ephemeral port");
        let port = listener.local_addr().expect("local addr").port();
        if port != 5432 {
            return port;
        }
    }
}

/// One PostgreSQL startup handshake as `postgres` to the database `postgres`:
/// `Ok` once the server says ReadyForQuery, `Err` with its error (e.g.
/// "the database system is starting up") or the I/O failure otherwise.
fn handshake(port: u16) -> Result<(), String> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream =
        TcpStream::connect_timeout(&addr, Duration::from_millis(500)).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(2)))
        .map_err(|e| e.to_string())?;
    let mut body = Vec::new();
    body.extend_from_slice(&196_608u32.to_be_bytes()); // protocol 3.0
    for part in ["user", "postgres", "database", "postgres", ""] {
        body.extend_from_slice(part.as_bytes());
        body.push(0);
    }
    let mut startup = u32::try_from(body.len() + 4)
        .expect("short message")
        .to_be_bytes()
        .to_vec();
    startup.extend_from_slice(&body);
    stream.write_all(&startup).map_err(|e| e.to_string())?;
    loop {
        let mut header = [0u8; 5];
        stream.read_exact(&mut header).map_err(|e| e.to_string())?;
        let len = u32::from_be_bytes([header[1], header[2], header[3], header[4]]) as usize;
        let mut payload = vec![0u8; len.saturating_sub(4)];
        stream.read_exact(&mut payload).map_err(|e| e.to_string())?;
        match header[0] {
            b'Z' => {
                let _ = stream.write_all(&[b'X', 0, 0, 0, 4]);
                return Ok(());
            }
            b'E' => return Err(error_text(&payload)),
            b'R' if payload.get(..4) != Some(&[0, 0, 0, 0]) => {
                return Err("the server asks for a password; the harness uses trust".into());
            }
            // AuthenticationOk, ParameterStatus, BackendKeyData, notices.
            _ => {}
        }
    }
}

/// The `C` (SQLSTATE) and `M` (message) fields of an ErrorResponse.
fn error_text(payload: &[u8]) -> String {
    let mut code = "";
    let mut message = "";
    for field in payload.split(|b| *b == 0) {
        let (kind, value) = match field.split_first() {
            Some((kind, value)) => (*kind, std::str::from_utf8(value).unwrap_or("?")),
            None => continue,
        };
        match kind {
            b'C' => code = value,
            b'M' => message = value,
            _ => {}
        }
    }
    format!("{code}: {message}")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| format!("(no log: {e})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_starts_keeps_committed_data_across_a_kill_and_uses_no_default_port() {
        let mut server = PgServer::start();
        assert_ne!(server.port(), 5432);
        assert_eq!(server.psql("SHOW fsync"), "on");
        assert_eq!(server.psql("SHOW synchronous_commit"), "on");
        assert_eq!(server.psql("SHOW listen_addresses"), "127.0.0.1");
        server.psql("CREATE TABLE t (x int); INSERT INTO t VALUES (42)");
        let port = server.port();
        server.kill();
        assert!(handshake(port).is_err(), "a killed server still answers");
        server.restart();
        assert_eq!(server.port(), port);
        assert_eq!(server.psql("SELECT x FROM t"), "42");
        assert!(
            server.log().contains("not properly shut down"),
            "the restart did not run crash recovery:\n{}",
            server.log()
        );
    }

    #[test]
    fn a_paused_server_accepts_no_connection_until_resumed() {
        let server = PgServer::start_with(&["-c", "fsync=off"]);
        assert_eq!(server.psql("SHOW fsync"), "off");
        server.pause();
        assert!(
            handshake(server.port()).is_err(),
            "a stopped server answered"
        );
        server.resume();
        let until = Instant::now() + Duration::from_secs(5);
        while handshake(server.port()).is_err() {
            assert!(Instant::now() < until, "no answer after SIGCONT");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    #[test]
    fn binaries_are_found_and_the_version_is_read() {
        assert!(bin_dir().join("pgbench").is_file() || bin_dir().join("psql").is_file());
        assert!(server_version() >= 12, "PostgreSQL 12 or newer is needed");
    }

    #[test]
    fn error_fields_are_read() {
        let payload = b"SFATAL\0C57P03\0Mthe database system is starting up\0\0";
        assert_eq!(
            error_text(payload),
            "57P03: the database system is starting up"
        );
    }
}
