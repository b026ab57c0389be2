//! Servers under test as child processes: started from a binary's path,
//! ready once they print their `http://ADDR` line on stdout, killed on drop.
//!
//! Their stderr (logs) goes to a temporary file, quoted when they fail.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How long a server may take to print its address.
const READY_DEADLINE: Duration = Duration::from_secs(20);

/// Why a server could not be started.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SpawnError {
    /// The binary does not exist.
    #[error("{} not found; {hint}", path.display())]
    Missing {
        /// Where it was looked for.
        path: PathBuf,
        /// How to build it or where to point.
        hint: String,
    },
    /// It could not be run.
    #[error("cannot run {}", path.display())]
    Run {
        /// The binary.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// It did not print an address in time, or exited first.
    #[error("{} did not print its http:// address within {READY_DEADLINE:?}; its stderr ends with:\n{stderr}", path.display())]
    NotReady {
        /// The binary.
        path: PathBuf,
        /// The end of its stderr.
        stderr: String,
    },
}

/// A running server; SIGKILLed and reaped on drop.
#[derive(Debug)]
pub struct Server {
    child: Child,
    addr: SocketAddr,
    /// The addresses of the lines after the first (a second listener's).
    later: mpsc::Receiver<SocketAddr>,
    stderr: tempfile::NamedTempFile,
}

impl Server {
    /// Starts `path` with `args` (and `envs`), and waits for a stdout line
    /// containing `http://ADDR`. `hint` says how to get the binary if it is
    /// missing.
    pub fn start(
        path: &Path,
        args: &[String],
        envs: &[(String, String)],
        hint: &str,
    ) -> Result<Self, SpawnError> {
        if !path.is_file() {
            return Err(SpawnError::Missing {
                path: path.to_owned(),
                hint: hint.to_owned(),
            });
        }
        let run_error = |source| SpawnError::Run {
            path: path.to_owned(),
            source,
        };
        let stderr = tempfile::NamedTempFile::new().map_err(run_error)?;
        let mut child = Command::new(path)
            .args(args)
            .envs(envs.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr.reopen().map_err(run_error)?)
            .spawn()
            .map_err(run_error)?;
        let stdout = child.stdout.take();
        let (tx, rx) = mpsc::channel();
        // Passes on every line's address, and keeps draining stdout until
        // the child exits.
        std::thread::spawn(move || {
            let Some(stdout) = stdout else { return };
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(addr) = parse_addr(&line) {
                    let _ = tx.send(addr);
                }
            }
        });
        let mut server = Self {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            later: rx,
            stderr,
        };
        match server.later.recv_timeout(READY_DEADLINE) {
            Ok(addr) => {
                server.addr = addr;
                Ok(server)
            }
            Err(_) => Err(SpawnError::NotReady {
                path: path.to_owned(),
                stderr: server.stderr_tail(),
            }),
        }
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The address of the next `http://ADDR` line after the first (e.g.
    /// `oneshot-server`'s metrics listener), if it prints one within
    /// `timeout`.
    pub fn next_addr(&self, timeout: Duration) -> Option<SocketAddr> {
        self.later.recv_timeout(timeout).ok()
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether it is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// The last 2,000 bytes of its stderr.
    pub fn stderr_tail(&self) -> String {
        let text = std::fs::read(self.stderr.path()).unwrap_or_default();
        let start = text.len().saturating_sub(2000);
        String::from_utf8_lossy(text.get(start..).unwrap_or_default()).into_owned()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `ADDR` of the first `http://ADDR` in `line` (up to a `/`, space or `)`).
fn parse_addr(line: &str) -> Option<SocketAddr> {
    let rest = line.get(line.find("http://")? + "http://".len()..)?;
    let end = rest.find(['/', ' ', ')']).unwrap_or(rest.len());
    rest.get(..end)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::parse_addr;

    #[test]
    fn finds_the_address() {
        assert_eq!(
            parse_addr(
                "oneshot-server: open http://127.0.0.1:4321/ (in-memory store; Ctrl-C to stop)"
            ),
            Some("127.0.0.1:4321".parse().expect("addr"))
        );
        assert_eq!(
            parse_addr("oneshot-floor: listening on http://127.0.0.1:80"),
            Some("127.0.0.1:80".parse().expect("addr"))
        );
        assert_eq!(parse_addr("no address here"), None);
    }
}
