//! The connections under the store, and the call runner: every command goes
//! through [`Backend::run`], which bounds it by the store's deadline and maps
//! its failure to the [`StoreError`] that says whether it may have run.
//!
//! Inside, from the bottom: [`classify`](mod@classify) (the mapping rules),
//! [`health`] (the rule for replacing a silent connection, used by both
//! topologies), `tls` (with the `tls` feature), then [`single`] and
//! [`cluster`] (the two query paths), [`connect`] (start-up), and this file.

mod classify;
mod cluster;
mod connect;
mod health;
mod single;
#[cfg(feature = "tls")]
mod tls;

use std::time::Duration;

use oneshot_core::StoreError;
use redis::{Cmd, RedisError, Value};
use tokio::time::Instant;

pub(crate) use classify::Topology;
use classify::{Failure, Stage, classify};
use connect::Nodes;

use crate::config::{RedisConfig, TakeMode, Target, redact_url};
use crate::error::ConnectError;

/// One server or a cluster, with the deadline every call gets.
pub(crate) struct Backend {
    nodes: Nodes,
    /// The most a call may take: connect timeout + response timeout + slack.
    budget: Duration,
    /// The target with passwords redacted, for `Debug` and errors.
    target: String,
}

/// The store's own deadline for one call ran out.
#[derive(Debug, thiserror::Error)]
#[error("no outcome within {0:?}")]
struct DeadlineExceeded(Duration);

impl Backend {
    /// Connects as `config` says; also returns the take mode resolved on the
    /// way ([`TakeMode::Command`] or [`TakeMode::Script`], never `Auto`).
    pub(crate) async fn connect(config: &RedisConfig) -> Result<(Self, TakeMode), ConnectError> {
        let connected = connect::connect(config).await?;
        let target = match &config.target {
            Target::Single(url) => redact_url(url),
            Target::Cluster(nodes) => format!(
                "cluster [{}]",
                nodes
                    .iter()
                    .map(|n| redact_url(n))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        let backend = Self {
            nodes: connected.nodes,
            budget: config.call_budget(),
            target,
        };
        Ok((backend, connected.take_mode))
    }

    /// The server, or `cluster [seeds]`, passwords redacted.
    pub(crate) fn target(&self) -> &str {
        &self.target
    }

    /// One server or a cluster.
    pub(crate) fn topology(&self) -> Topology {
        match self.nodes {
            Nodes::Single(_) => Topology::Single,
            Nodes::Cluster(_) => Topology::Cluster,
        }
    }

    /// How many times a wedged cluster connection has been replaced; 0 for
    /// one server (whose dead connections are replaced as a matter of course).
    pub(crate) fn connection_replacements(&self) -> u64 {
        match &self.nodes {
            Nodes::Single(_) => 0,
            Nodes::Cluster(cluster) => cluster.rebuilds(),
        }
    }

    /// The deadline of a call that starts now.
    pub(crate) fn deadline(&self) -> Instant {
        Instant::now() + self.budget
    }

    /// Sends `cmd` once (cluster: plus bounded retries on replies proving it
    /// did not run) and maps failures by whether it may have run.
    pub(crate) async fn run(&self, cmd: &Cmd) -> Result<Value, StoreError> {
        self.run_until(cmd, self.deadline()).await
    }

    /// [`Self::run`] with a deadline the caller chose: one operation that
    /// takes several steps (a command refused without running, then a
    /// script) keeps within one call's budget.
    pub(crate) async fn run_until(
        &self,
        cmd: &Cmd,
        deadline: Instant,
    ) -> Result<Value, StoreError> {
        let result = match &self.nodes {
            Nodes::Single(node) => node.query(cmd, deadline).await,
            Nodes::Cluster(cluster) => cluster.query(cmd, deadline).await,
        };
        result.map_err(|failure| self.store_error(failure))
    }

    fn store_error(&self, failure: Failure) -> StoreError {
        match failure {
            Failure::Error(err, stage) => classify(err, stage, self.topology()),
            Failure::Deadline(Stage::Connecting) => {
                StoreError::unavailable(DeadlineExceeded(self.budget))
            }
            Failure::Deadline(Stage::Sent) => {
                StoreError::indeterminate(DeadlineExceeded(self.budget))
            }
        }
    }

    /// Sends `cmd` to every primary, by `deadline`; one reply (or error
    /// reply) per node, keyed by address. Fails as a whole only if the
    /// fan-out itself fails. One server is its own primary, named by
    /// [`Self::target`]; a failure there fails the call as in [`Self::run`].
    pub(crate) async fn run_on_primaries(
        &self,
        cmd: Cmd,
        deadline: Instant,
    ) -> Result<Vec<(String, Result<Value, RedisError>)>, StoreError> {
        match &self.nodes {
            Nodes::Single(node) => match node.query(&cmd, deadline).await {
                Ok(value) => Ok(vec![(self.target.clone(), Ok(value))]),
                Err(failure) => Err(self.store_error(failure)),
            },
            Nodes::Cluster(cluster) => {
                tokio::time::timeout_at(deadline, cluster.query_all_primaries(cmd))
                    .await
                    .map_err(|_| {
                        StoreError::indeterminate(RedisError::from((
                            redis::ErrorKind::Io,
                            "no reply from every primary in time",
                        )))
                    })?
                    .map_err(|e| classify(e, Stage::Sent, Topology::Cluster))
            }
        }
    }

    /// The primaries' addresses, as [`Self::run_on_primaries`] names them.
    pub(crate) async fn primaries(&self) -> Result<Vec<String>, RedisError> {
        match &self.nodes {
            Nodes::Single(_) => Ok(vec![self.target.clone()]),
            Nodes::Cluster(cluster) => cluster.primaries().await,
        }
    }
}
