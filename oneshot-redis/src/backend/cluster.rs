//! Redis Cluster: the `redis` crate's cluster client with its own retries off,
//! and a bounded retry of the store's own for replies that prove the command
//! did not run.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use redis::cluster::{ClusterClient, ClusterClientBuilder};
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::{MultipleNodeRoutingInfo, RoutingInfo, SingleNodeRoutingInfo};
use redis::{Cmd, ErrorKind, ProtocolVersion, RedisError, ServerErrorKind, Value};
use tokio::time::Instant;

use super::classify::{Failure, Stage, is_cluster_redirect};
use super::health::{Health, Outcome};
use crate::config::RedisConfig;
use crate::info::text;

/// Pauses before the store's own retries after MOVED/ASK/TRYAGAIN/CLUSTERDOWN/
/// READONLY. The cluster client refreshes its slot map on MOVED and READONLY
/// before the retry is sent.
const REDIRECT_PAUSES: [Duration; 3] = [
    Duration::from_millis(10),
    Duration::from_millis(40),
    Duration::from_millis(100),
];

/// At most this many sends of one command (each one refused by a node
/// without running it, except the last).
const MAX_ATTEMPTS: usize = 6;

/// `ASKING` then `cmd`, on the node an `ASK` reply named.
async fn asking(
    conn: &mut ClusterConnection,
    cmd: &Cmd,
    host: String,
    port: u16,
) -> Result<Value, RedisError> {
    let mut pipe = redis::pipe();
    pipe.cmd("ASKING").add_command(cmd.clone());
    let route = SingleNodeRoutingInfo::ByAddress { host, port };
    let mut replies = conn.route_pipeline(pipe, 0, 2, route).await?;
    match (replies.pop(), replies.pop()) {
        (Some(reply), Some(_asking_ok)) => reply.extract_error(),
        _ => Err(RedisError::from((
            ErrorKind::UnexpectedReturnType,
            "expected two replies to ASKING + command",
        ))),
    }
}

/// The cluster client, configured never to re-send a command by itself, and
/// replaced when it wedges.
///
/// Why the replacement: in `redis` 1.8.1 a dying node can deadlock the cluster
/// connection. A `reconnect_loop` future queues for the connection map's write
/// lock (`cluster_handling/async_connection/mod.rs:1167`); tokio's fair
/// `RwLock` hands it the lock while it is not being polled, and it is not
/// polled while a slot refresh runs (`poll_flush`, `mod.rs:1713-1731`), which
/// itself waits for that write lock (`refresh_slots`, `mod.rs:983`). From then
/// on every request waits for a read lock that never comes. Seen here in about
/// one in ten `kill -9` runs under load (`tests/faults_cluster.rs`): every call,
/// on every slot, ended `Indeterminate` at the response timeout, for good.
/// The store cannot unstick that connection, so when the [`Health`] clock
/// calls it wedged (no reply for
/// [`SILENT_TIMEOUTS`](super::health::SILENT_TIMEOUTS) response timeouts while
/// calls keep timing out), it builds a fresh connection from the same client in
/// the background and swaps it in. Nothing is re-sent: calls on the old
/// connection have already been reported `Indeterminate`.
#[derive(Clone)]
pub(crate) struct Cluster {
    shared: Arc<Shared>,
}

/// What a failed call says about the connection: an error reply is a reply;
/// a connection error (the client's own, or a node's) proves nothing.
fn outcome_of(err: &RedisError) -> Outcome {
    if err.is_timeout() {
        Outcome::TimedOut
    } else if matches!(err.kind(), ErrorKind::Server(_)) {
        Outcome::Reply
    } else {
        Outcome::NoVerdict
    }
}

struct Shared {
    client: ClusterClient,
    conn: Mutex<ClusterConnection>,
    /// One clock for the client, whichever connection is current: a
    /// replacement restarts it.
    health: Health,
    replacing: Mutex<Replacing>,
    /// Bound on one attempt to build a replacement connection.
    rebuild_timeout: Duration,
}

/// Replacements of a wedged connection: one at a time, and after one ends,
/// none for the health limit (a failed one is not retried on every timeout).
struct Replacing {
    running: bool,
    last: Option<Instant>,
    done: u64,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster").finish_non_exhaustive()
    }
}

impl Cluster {
    /// Connects to the seed nodes and loads the slot map.
    pub(crate) async fn connect(
        seeds: &[redis::ConnectionInfo],
        config: &RedisConfig,
        resp3: bool,
    ) -> Result<Self, RedisError> {
        let response_timeout = config.response_timeout;
        let mut builder = ClusterClientBuilder::new(seeds.iter().cloned())
            // No re-sends after an IO error or a timeout: the command may have
            // run. This also stops the client from following MOVED/ASK, which
            // `query` does instead.
            .retries(0)
            .connection_timeout(config.connect_timeout)
            .response_timeout(response_timeout)
            // Equal per-node and overall timeouts: one error, no parked re-send.
            .overall_response_timeout(Some(response_timeout));
        #[cfg(feature = "tls")]
        if let Some(pem) = &config.tls_root_certificates {
            builder = builder.certs(super::tls::certificates(pem));
        }
        if resp3 {
            // Disconnect notifications make the client reconnect a node as soon
            // as its socket closes, rather than on the next failed command.
            builder = builder.use_protocol(ProtocolVersion::RESP3);
        }
        let client = builder.build()?;
        let conn = client.get_async_connection().await?;
        Ok(Self {
            shared: Arc::new(Shared {
                client,
                conn: Mutex::new(conn),
                health: Health::new(response_timeout),
                replacing: Mutex::new(Replacing {
                    running: false,
                    last: None,
                    done: 0,
                }),
                rebuild_timeout: config.connect_timeout + response_timeout,
            }),
        })
    }

    /// The current connection (cheap to clone: a handle to the client's task).
    fn conn(&self) -> ClusterConnection {
        self.shared
            .conn
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn replacing(&self) -> MutexGuard<'_, Replacing> {
        self.shared
            .replacing
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// How many times a wedged connection has been replaced.
    pub(crate) fn rebuilds(&self) -> u64 {
        self.replacing().done
    }

    /// Sends `cmd` like [`Self::send`], giving up at `deadline`, and reports
    /// the outcome to the health clock: a call that ran out of time counts as
    /// a timeout. A wedged connection is replaced in the background.
    pub(crate) async fn query(&self, cmd: &Cmd, deadline: Instant) -> Result<Value, Failure> {
        let (outcome, result) =
            match tokio::time::timeout_at(deadline, self.send(cmd, deadline)).await {
                Ok(Ok(value)) => (Outcome::Reply, Ok(value)),
                Ok(Err(err)) => (outcome_of(&err), Err(Failure::Error(err, Stage::Sent))),
                Err(_) => (Outcome::TimedOut, Err(Failure::Deadline(Stage::Sent))),
            };
        if self.shared.health.record(outcome) {
            self.replace();
        }
        result
    }

    /// Starts building a replacement connection in the background, unless one
    /// is being built or one ended within the health limit.
    fn replace(&self) {
        let mut replacing = self.replacing();
        let recently = replacing
            .last
            .is_some_and(|at| at.elapsed() < self.shared.health.limit());
        if replacing.running || recently {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        replacing.running = true;
        drop(replacing);
        tracing::warn!("Redis Cluster connection stalled; replacing it");
        let shared = self.shared.clone();
        runtime.spawn(async move {
            let fresh =
                tokio::time::timeout(shared.rebuild_timeout, shared.client.get_async_connection())
                    .await;
            let mut replacing = shared
                .replacing
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            replacing.running = false;
            replacing.last = Some(Instant::now());
            match fresh {
                Ok(Ok(conn)) => {
                    *shared.conn.lock().unwrap_or_else(PoisonError::into_inner) = conn;
                    shared.health.replied();
                    replacing.done += 1;
                    tracing::info!("Redis Cluster connection replaced");
                }
                Ok(Err(err)) => {
                    tracing::warn!(error = %err, "replacing the Redis Cluster connection failed");
                }
                Err(_) => tracing::warn!("replacing the Redis Cluster connection timed out"),
            }
        });
    }

    /// Sends `cmd` (routed by its key), retrying only on replies that prove it
    /// did not run, a bounded number of times and never past `deadline`.
    ///
    /// `ASK host:port` (a slot being migrated) is followed at once with
    /// `ASKING` + `cmd` to that node; MOVED, TRYAGAIN, CLUSTERDOWN and
    /// READONLY are retried by slot after a short pause, by which time the
    /// client has refreshed its slot map (it does so on MOVED and READONLY).
    async fn send(&self, cmd: &Cmd, deadline: Instant) -> Result<Value, RedisError> {
        let mut pauses = REDIRECT_PAUSES.iter();
        let mut ask: Option<(String, u16)> = None;
        for _ in 0..MAX_ATTEMPTS {
            let mut conn = self.conn();
            let result = match ask.take() {
                None => cmd.query_async::<Value>(&mut conn).await,
                Some((host, port)) => asking(&mut conn, cmd, host, port).await,
            };
            let err = match result {
                Ok(value) => return Ok(value),
                Err(err) => err,
            };
            if !is_cluster_redirect(&err) {
                return Err(err);
            }
            if err.kind() == ErrorKind::Server(ServerErrorKind::Ask) {
                ask = err.redirect_node().and_then(|(addr, _slot)| {
                    let (host, port) = addr.rsplit_once(':')?;
                    Some((host.to_owned(), port.parse().ok()?))
                });
                if ask.is_some() {
                    continue;
                }
            }
            let Some(pause) = pauses.next() else {
                return Err(err);
            };
            if Instant::now() + *pause >= deadline {
                return Err(err);
            }
            tracing::debug!(error = %err, "cluster redirect; retrying after a slot refresh");
            tokio::time::sleep(*pause).await;
        }
        Err(RedisError::from((
            ErrorKind::Server(ServerErrorKind::TryAgain),
            "too many cluster redirects",
        )))
    }

    /// The primaries' addresses (`host:port`) from `CLUSTER SLOTS`, as any
    /// node sees them.
    pub(crate) async fn primaries(&self) -> Result<Vec<String>, RedisError> {
        let mut conn = self.conn();
        let mut slots = redis::cmd("CLUSTER");
        slots.arg("SLOTS");
        let reply = conn
            .route_command(
                slots,
                RoutingInfo::SingleNode(SingleNodeRoutingInfo::Random),
            )
            .await?;
        let Value::Array(ranges) = reply else {
            return Err(RedisError::from((
                ErrorKind::UnexpectedReturnType,
                "CLUSTER SLOTS did not return an array",
            )));
        };
        let mut primaries: Vec<String> = ranges
            .iter()
            .filter_map(|range| match range {
                Value::Array(parts) => match parts.get(2) {
                    Some(Value::Array(node)) => match (node.first(), node.get(1)) {
                        (Some(host), Some(Value::Int(port))) => {
                            text(host).map(|host| format!("{host}:{port}"))
                        }
                        _ => None,
                    },
                    _ => None,
                },
                _ => None,
            })
            .collect();
        primaries.sort();
        primaries.dedup();
        Ok(primaries)
    }

    /// Sends `cmd` to every primary; one result per node, keyed by address.
    pub(crate) async fn query_all_primaries(
        &self,
        cmd: Cmd,
    ) -> Result<Vec<(String, Result<Value, RedisError>)>, RedisError> {
        let mut conn = self.conn();
        let routing = RoutingInfo::MultiNode((MultipleNodeRoutingInfo::AllMasters, None));
        let reply = conn.route_command(cmd, routing).await?;
        let Value::Map(entries) = reply else {
            return Err(RedisError::from((
                ErrorKind::UnexpectedReturnType,
                "expected one reply per primary",
            )));
        };
        Ok(entries
            .into_iter()
            .map(|(node, value)| {
                let node = match node {
                    Value::BulkString(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                    Value::SimpleString(s) => s,
                    other => format!("{other:?}"),
                };
                let value = match value {
                    Value::ServerError(err) => Err(RedisError::from(err)),
                    other => Ok(other),
                };
                (node, value)
            })
            .collect())
    }
}
