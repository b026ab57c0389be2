//! [`RedisStore::check_server`]: server settings that would break the promises.

use std::fmt;

use oneshot_core::StoreError;
use redis::Value;

use crate::backend::Topology;
use crate::info::{RedisVersion, config_value, info_field, info_version, text};
use crate::store::RedisStore;

/// A server setting that weakens what the store promises. Returned by
/// [`RedisStore::check_server`]; log them at start-up, or refuse to start.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerWarning {
    /// `maxmemory-policy` is not `noeviction`: under memory pressure the server
    /// may delete unread secrets before their TTL. Every secret has a TTL, so
    /// the `volatile-*` policies evict them just like the `allkeys-*` ones.
    /// With `noeviction` a full server refuses new secrets instead
    /// ([`StoreError::CapacityExceeded`]).
    EvictionPolicy {
        /// The node (address, or the store's target for a single server).
        node: String,
        /// The configured policy, e.g. `allkeys-lru`.
        policy: String,
    },
    /// The server predates Redis 6.2 and has no `SET … GET`; the store must
    /// take plain secrets with [`TakeMode::Script`](crate::TakeMode::Script)
    /// (`Auto` does).
    NoSetGet {
        /// The node.
        node: String,
        /// Its version.
        version: RedisVersion,
    },
    /// Scripts that read the server clock (`TIME`) and then write cannot run
    /// here: the server predates Redis 5.0 (which first let a script write
    /// after `TIME`), or a probe script calling `TIME` failed (scripting or
    /// `TIME` renamed away, or denied to this user by an ACL). Guarded and
    /// receipted secrets cannot be created, taken, read or burned; plain
    /// secrets work (with [`TakeMode::Script`](crate::TakeMode::Script) only
    /// if scripting itself works).
    ScriptsRefused {
        /// The node.
        node: String,
        /// The version, or the probe's error.
        reason: String,
    },
    /// RDB snapshots are configured (`save` is not empty): ciphertext of
    /// unread secrets is written to disk and outlives its TTL in old dumps.
    RdbSnapshots {
        /// The node.
        node: String,
        /// The `save` setting, e.g. `3600 1 300 100`.
        save: String,
    },
    /// The append-only file is on: every secret's ciphertext is written to
    /// disk (and stays in the file until it is rewritten).
    AppendOnly {
        /// The node.
        node: String,
    },
    /// The node has replicas. Replication is asynchronous: after a failover a
    /// new secret can be missing, or a taken one can be back on the promoted
    /// replica (see the crate docs' "Guarantees").
    Replicas {
        /// The node.
        node: String,
        /// `connected_slaves` from `INFO replication`.
        count: u32,
    },
    /// A setting could not be read (e.g. `CONFIG` is disabled or denied by an
    /// ACL), so it was not checked.
    Unchecked {
        /// The node.
        node: String,
        /// What was not checked.
        what: &'static str,
        /// Why.
        reason: String,
    },
}

impl fmt::Display for ServerWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::EvictionPolicy { node, policy } => write!(
                f,
                "{node}: maxmemory-policy is {policy}; unread secrets can be evicted \
                 before their TTL (use noeviction)"
            ),
            Self::NoSetGet { node, version } => write!(
                f,
                "{node}: Redis {version} has no SET ... GET (needs 6.2); plain takes use a \
                 Lua script"
            ),
            Self::ScriptsRefused { node, reason } => write!(
                f,
                "{node}: scripts that call TIME cannot run ({reason}); guarded and receipted \
                 secrets will fail"
            ),
            Self::RdbSnapshots { node, save } => write!(
                f,
                "{node}: RDB snapshots are on (save \"{save}\"); secret ciphertext is \
                 written to disk"
            ),
            Self::AppendOnly { node } => write!(
                f,
                "{node}: appendonly is on; secret ciphertext is written to disk"
            ),
            Self::Replicas { node, count } => write!(
                f,
                "{node}: {count} replica(s); a failover can lose new secrets or bring \
                 back taken ones"
            ),
            Self::Unchecked { node, what, reason } => {
                write!(f, "{node}: could not check {what}: {reason}")
            }
        }
    }
}

impl RedisStore {
    /// Reads the server's settings (every primary's, for a cluster) and
    /// returns what would weaken the guarantees: an eviction policy other than
    /// `noeviction`, no `SET … GET`, scripts that cannot call `TIME`, RDB or
    /// AOF persistence, replicas. An empty list means none of these were found.
    ///
    /// Uses `INFO`, `CONFIG GET save` and a read-only probe script, `EVAL
    /// "return redis.call('TIME')" 0`: guarded and receipted secrets need
    /// scripts that read the server's clock, so scripting and `TIME` must be
    /// allowed to the store's user. A denied `CONFIG` gives
    /// [`ServerWarning::Unchecked`] rather than an error, a failed probe
    /// [`ServerWarning::ScriptsRefused`]. Fails only if the server cannot be
    /// asked at all.
    pub async fn check_server(&self) -> Result<Vec<ServerWarning>, StoreError> {
        let mut save = redis::cmd("CONFIG");
        save.arg("GET").arg("save");
        let mut probe = redis::cmd("EVAL");
        probe.arg(TIME_PROBE).arg(0);
        let backend = self.backend();
        let nodes: Vec<Node> = match backend.topology() {
            Topology::Single => {
                let info = backend.run(&redis::cmd("INFO")).await?;
                let save = refusal_as_reply(backend.run(&save).await, "CONFIG GET failed")?;
                let script = refusal_as_reply(backend.run(&probe).await, "EVAL failed")?;
                vec![Node {
                    name: backend.target().to_owned(),
                    info: Ok(info),
                    save,
                    script,
                }]
            }
            Topology::Cluster => {
                // One deadline for all fan-outs: the whole check is one call.
                let deadline = backend.deadline();
                let infos = backend
                    .run_on_primaries(redis::cmd("INFO"), deadline)
                    .await?;
                let mut saves = backend.run_on_primaries(save, deadline).await?;
                let mut scripts = backend.run_on_primaries(probe, deadline).await?;
                let mut nodes = Vec::with_capacity(infos.len());
                for (name, info) in infos {
                    let save = reply_of(&mut saves, &name, "no CONFIG GET reply from this node");
                    let script = reply_of(&mut scripts, &name, "no EVAL reply from this node");
                    nodes.push(Node {
                        name,
                        info,
                        save,
                        script,
                    });
                }
                // The client leaves out primaries it has no connection to;
                // name them rather than report a clean bill of health.
                if let Ok(primaries) = backend.primaries().await {
                    for primary in primaries {
                        if !nodes.iter().any(|node| node.name == primary) {
                            let missing = || {
                                Err(redis::RedisError::from((
                                    redis::ErrorKind::Io,
                                    "no reply: the node is down or not connected",
                                )))
                            };
                            nodes.push(Node {
                                name: primary,
                                info: missing(),
                                save: missing(),
                                script: missing(),
                            });
                        }
                    }
                }
                nodes
            }
        };
        let mut warnings = Vec::new();
        for node in nodes {
            check_node(node, &mut warnings);
        }
        Ok(warnings)
    }
}

/// A read-only script that needs what the store's scripts need: scripting,
/// and `TIME` allowed inside it.
const TIME_PROBE: &str = "return redis.call('TIME')";

type Reply = Result<Value, redis::RedisError>;

/// What one node answered to the check's commands.
struct Node {
    name: String,
    info: Reply,
    save: Reply,
    script: Reply,
}

/// A refusal (an error reply) becomes that node's answer; a failure to ask
/// at all fails the check.
fn refusal_as_reply(
    result: Result<Value, StoreError>,
    what: &'static str,
) -> Result<Reply, StoreError> {
    match result {
        Ok(value) => Ok(Ok(value)),
        Err(StoreError::Backend(source)) => Ok(Err(redis::RedisError::from((
            redis::ErrorKind::Client,
            what,
            source.to_string(),
        )))),
        Err(other) => Err(other),
    }
}

/// Takes `node`'s entry out of a fan-out's replies.
fn reply_of(replies: &mut Vec<(String, Reply)>, node: &str, missing: &'static str) -> Reply {
    replies
        .iter()
        .position(|(n, _)| n == node)
        .map(|i| replies.swap_remove(i).1)
        .unwrap_or_else(|| Err(redis::RedisError::from((redis::ErrorKind::Client, missing))))
}

fn check_node(node: Node, warnings: &mut Vec<ServerWarning>) {
    let Node {
        name,
        info,
        save,
        script,
    } = node;
    let node = name.as_str();
    let unchecked = |what, reason: String| ServerWarning::Unchecked {
        node: node.to_owned(),
        what,
        reason,
    };
    // A node that does not answer is reported, not fatal: the others can
    // still be checked.
    let info = match info {
        Ok(info) => info,
        Err(err) => {
            warnings.push(unchecked("this node", err.to_string()));
            return;
        }
    };
    let Some(info) = text(&info) else {
        warnings.push(unchecked("INFO", "INFO did not return text".to_owned()));
        return;
    };
    match info_field(&info, "maxmemory_policy") {
        Some("noeviction") => {}
        Some(policy) => warnings.push(ServerWarning::EvictionPolicy {
            node: node.to_owned(),
            policy: policy.to_owned(),
        }),
        None => warnings.push(unchecked(
            "the eviction policy",
            "INFO has no maxmemory_policy".to_owned(),
        )),
    }
    match info_version(&info) {
        Some(version) if version < RedisVersion::SET_GET => {
            warnings.push(ServerWarning::NoSetGet {
                node: node.to_owned(),
                version,
            });
            if version < RedisVersion::SCRIPT_EFFECTS {
                warnings.push(ServerWarning::ScriptsRefused {
                    node: node.to_owned(),
                    reason: format!("Redis {version} predates 5.0"),
                });
            }
        }
        Some(_) => {}
        None => warnings.push(unchecked(
            "the version",
            "INFO has no redis_version".to_owned(),
        )),
    }
    if info_field(&info, "aof_enabled") == Some("1") {
        warnings.push(ServerWarning::AppendOnly {
            node: node.to_owned(),
        });
    }
    if let Some(count) = info_field(&info, "connected_slaves").and_then(|n| n.parse().ok())
        && count > 0
    {
        warnings.push(ServerWarning::Replicas {
            node: node.to_owned(),
            count,
        });
    }
    match save.map(|reply| config_value(&reply, "save")) {
        Ok(Some(save)) if save.trim().is_empty() => {}
        Ok(Some(save)) => warnings.push(ServerWarning::RdbSnapshots {
            node: node.to_owned(),
            save,
        }),
        Ok(None) => warnings.push(unchecked(
            "RDB snapshots",
            "CONFIG GET save returned nothing".to_owned(),
        )),
        Err(err) => warnings.push(unchecked("RDB snapshots", err.to_string())),
    }
    if let Err(err) = script {
        warnings.push(ServerWarning::ScriptsRefused {
            node: node.to_owned(),
            reason: err.to_string(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(
        version: &str,
        policy: &str,
        aof: &str,
        replicas: &str,
    ) -> Result<Value, redis::RedisError> {
        Ok(Value::BulkString(
            format!(
                "# Server\r\nredis_version:{version}\r\n# Memory\r\nmaxmemory_policy:{policy}\r\n\
                 # Persistence\r\naof_enabled:{aof}\r\n# Replication\r\nrole:master\r\n\
                 connected_slaves:{replicas}\r\n"
            )
            .into_bytes(),
        ))
    }

    fn save(value: &str) -> Result<Value, redis::RedisError> {
        Ok(Value::Array(vec![
            Value::BulkString(b"save".to_vec()),
            Value::BulkString(value.as_bytes().to_vec()),
        ]))
    }

    fn node(info: Reply, save: Reply, script: Reply) -> Node {
        Node {
            name: "n".to_owned(),
            info,
            save,
            script,
        }
    }

    fn time() -> Reply {
        Ok(Value::Array(vec![
            Value::BulkString(b"1700000000".to_vec()),
            Value::BulkString(b"1".to_vec()),
        ]))
    }

    #[test]
    fn a_safe_node_gives_nothing() {
        let mut warnings = Vec::new();
        check_node(
            node(info("7.2.4", "noeviction", "0", "0"), save(""), time()),
            &mut warnings,
        );
        assert_eq!(warnings, vec![]);
    }

    #[test]
    fn a_refused_probe_and_a_very_old_server_say_scripts_are_refused() {
        let mut warnings = Vec::new();
        let denied = Err(redis::RedisError::from((
            redis::ErrorKind::Client,
            "EVAL failed",
            "NOPERM".to_owned(),
        )));
        check_node(
            node(info("7.2.4", "noeviction", "0", "0"), save(""), denied),
            &mut warnings,
        );
        check_node(
            node(info("4.0.14", "noeviction", "0", "0"), save(""), time()),
            &mut warnings,
        );
        let node = "n".to_owned();
        assert!(
            matches!(&warnings[..], [
                ServerWarning::ScriptsRefused { reason: denied, .. },
                ServerWarning::NoSetGet { .. },
                ServerWarning::ScriptsRefused { node: n, reason: old },
            ] if denied.contains("NOPERM") && *n == node && old.contains("4.0.14")),
            "{warnings:?}"
        );
    }

    #[test]
    fn an_old_replicated_node_gives_each_warning() {
        let mut warnings = Vec::new();
        check_node(
            node(
                info("6.0.16", "volatile-lru", "1", "2"),
                save("900 1"),
                time(),
            ),
            &mut warnings,
        );
        let node = "n".to_owned();
        assert_eq!(
            warnings,
            vec![
                ServerWarning::EvictionPolicy {
                    node: node.clone(),
                    policy: "volatile-lru".to_owned()
                },
                ServerWarning::NoSetGet {
                    node: node.clone(),
                    version: RedisVersion::new(6, 0, 16)
                },
                ServerWarning::AppendOnly { node: node.clone() },
                ServerWarning::Replicas {
                    node: node.clone(),
                    count: 2
                },
                ServerWarning::RdbSnapshots {
                    node,
                    save: "900 1".to_owned()
                },
            ]
        );
        for warning in &warnings {
            assert!(warning.to_string().starts_with("n: "), "{warning}");
        }
    }
}
