//! Faults to inject into a [`RedisServer`]: kill -9, freeze and thaw, restart
//! empty on the same port.

use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

use crate::server::RedisServer;

impl RedisServer {
    /// SIGKILL the server and reap it. Idempotent.
    pub fn kill(&mut self) {
        self.reap();
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
                    panic!(
                        "redis-server did not restart on port {}:\n{log}",
                        self.port()
                    )
                }
                Err(_) => {
                    self.kill();
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, SocketAddr};

    use super::*;
    use crate::server::{ping, wait_for_pong};

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
    fn paused_server_does_not_answer_until_resumed() {
        let server = RedisServer::start();
        server.pause();
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, server.port()));
        assert!(ping(&addr).is_err(), "a stopped server answered");
        server.resume();
        wait_for_pong(server.port(), Duration::from_secs(5)).unwrap();
    }
}
