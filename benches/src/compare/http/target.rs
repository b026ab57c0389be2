//! What a row of the http section measures, and how: starting the process
//! under test and running the pairs against it.

use std::sync::Arc;

use oneshot_redis_harness::RedisServer;

use super::super::{Error, Options, ServerVariant};
use crate::child::Server;
use crate::cpu::Process;
use crate::floor::{BodyLens, Flavour};
use crate::http::{Check, HttpRun, PairPool, RunLimits, run_pairs};

const SERVER_HINT: &str = "build it with `cargo build --release -p oneshot-examples --bin oneshot-server` \
     or pass --server-bin PATH";
const FLOOR_HINT: &str = "build it with `cargo build --release -p oneshot-benches --bin oneshot-floor` \
     (or `--bins`) or pass --floor-bin PATH";

/// What a row measured.
pub(super) enum Target<'a> {
    Floor(Flavour),
    Memory(&'a ServerVariant),
    Redis(&'a ServerVariant),
}

impl Target<'_> {
    pub(super) fn label(&self) -> String {
        match self {
            Self::Floor(flavour) => format!("floor, {}", flavour.name()),
            Self::Memory(v) => format!("oneshot-server memory ({})", v.label),
            Self::Redis(v) => format!("oneshot-server Redis ({})", v.label),
        }
    }

    /// The floor it is compared with.
    pub(super) fn floor(&self) -> Option<Flavour> {
        match self {
            Self::Floor(_) => None,
            Self::Memory(v) | Self::Redis(v) if v.label.starts_with("current-thread") => {
                Some(Flavour::CurrentThreadPerCore)
            }
            Self::Memory(_) | Self::Redis(_) => Some(Flavour::MultiThread),
        }
    }
}

/// A finished row, kept for the ratios and the goals.
pub(super) struct Row {
    pub(super) conns: usize,
    pub(super) label: String,
    pub(super) floor: Option<Flavour>,
    pub(super) flavour: Option<Flavour>,
    pub(super) pairs_per_sec: f64,
    pub(super) server_us: f64,
}

pub(super) struct Ctx<'a> {
    pub(super) options: &'a Options,
    pub(super) runtime: tokio::runtime::Runtime,
    pub(super) pool: Arc<PairPool>,
    pub(super) redis: RedisServer,
    pub(super) lens: BodyLens,
}

impl Ctx<'_> {
    pub(super) fn start_oneshot(
        &self,
        variant: &ServerVariant,
        redis: bool,
    ) -> Result<Server, Error> {
        // The benchmark client is one address creating thousands of secrets
        // a second: the per-client rates and in-flight shares would refuse it.
        let mut args = vec![
            "--listen".to_owned(),
            "127.0.0.1:0".to_owned(),
            "--create-rate".to_owned(),
            "off".to_owned(),
            "--max-creates-per-client".to_owned(),
            "1000000".to_owned(),
            "--max-takes-per-client".to_owned(),
            "1000000".to_owned(),
        ];
        if redis {
            args.extend(["--redis".to_owned(), self.redis.url()]);
        }
        args.extend(variant.args.iter().cloned());
        let env = [("RUST_LOG".to_owned(), self.options.server_log.clone())];
        Ok(Server::start(
            &self.options.server_bin,
            &args,
            &env,
            SERVER_HINT,
        )?)
    }

    fn start_floor(&self, flavour: Flavour) -> Result<Server, Error> {
        let args = [
            "--runtime".to_owned(),
            flavour.name().to_owned(),
            "--create-len".to_owned(),
            self.lens.create.to_string(),
            "--take-len".to_owned(),
            self.lens.take.to_string(),
            "--miss-len".to_owned(),
            self.lens.miss.to_string(),
        ];
        Ok(Server::start(
            &self.options.floor_bin,
            &args,
            &[],
            FLOOR_HINT,
        )?)
    }

    fn limits(&self) -> RunLimits {
        let b = &self.options.budget;
        RunLimits {
            pairs: b.http_pairs,
            max_time: b.http_time,
            warmup_pairs_per_conn: b.http_warmup,
            request_timeout: std::time::Duration::from_secs(10),
        }
    }

    /// One row: a fresh process, the run, the process stopped.
    pub(super) fn measure(
        &self,
        target: &Target<'_>,
        conns: usize,
    ) -> Result<(HttpRun, bool), Error> {
        let (mut server, check, redis) = match target {
            Target::Floor(flavour) => (self.start_floor(*flavour)?, Check::Length, false),
            Target::Memory(v) => (self.start_oneshot(v, false)?, Check::Envelope, false),
            Target::Redis(v) => {
                self.redis.cli(&["FLUSHALL"]);
                (self.start_oneshot(v, true)?, Check::Envelope, true)
            }
        };
        let mut processes = vec![Process::Pid(server.pid())];
        if redis {
            processes.push(Process::Pid(
                self.redis.pid().ok_or("redis-server is not running")?,
            ));
        }
        let run = self.runtime.block_on(run_pairs(
            server.addr(),
            conns,
            Arc::clone(&self.pool),
            check,
            self.limits(),
            &processes,
        ));
        match run {
            Ok(run) => Ok((run, redis)),
            Err(e) => {
                let cause =
                    std::error::Error::source(&e).map_or(String::new(), |s| format!(": {s}"));
                Err(format!(
                    "{} at {conns} connections: {e}{cause}; server {}; its stderr ends with:\n{}",
                    target.label(),
                    if server.is_running() {
                        "still running"
                    } else {
                        "exited"
                    },
                    server.stderr_tail()
                )
                .into())
            }
        }
    }
}
