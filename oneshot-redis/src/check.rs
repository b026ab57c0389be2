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
    /// The server predates Redis 6.2 and has no `GETDEL`; the store must use
    /// [`TakeMode::Script`](crate::TakeMode::Script) (`Auto` does).
    NoGetDel {
        /// The node.
        node: String,
        /// Its version.
        version: RedisVersion,
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
            Self::NoGetDel { node, version } => write!(
                f,
                "{node}: Redis {version} has no GETDEL (needs 6.2); takes use a Lua script"
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
    /// `noeviction`, no `GETDEL`, RDB or AOF persistence, replicas. An empty
    /// list means none of these were found.
    ///
    /// Uses `INFO` and `CONFIG GET save`; a denied `CONFIG` gives
    /// [`ServerWarning::Unchecked`] rather than an error. Fails only if the
    /// server cannot be asked at all.
    pub async fn check_server(&self) -> Result<Vec<ServerWarning>, StoreError> {
        let mut save = redis::cmd("CONFIG");
        save.arg("GET").arg("save");
        type Reply = Result<Value, redis::RedisError>;
        let backend = self.backend();
        let nodes: Vec<(String, Reply, Reply)> = match backend.topology() {
            Topology::Single => {
                let info = backend.run(&redis::cmd("INFO")).await?;
                let save = match backend.run(&save).await {
                    Ok(value) => Ok(value),
                    Err(StoreError::Backend(source)) => Err(redis::RedisError::from((
                        redis::ErrorKind::Client,
                        "CONFIG GET failed",
                        source.to_string(),
                    ))),
                    Err(other) => return Err(other),
                };
                vec![(backend.target().to_owned(), Ok(info), save)]
            }
            Topology::Cluster => {
                // One deadline for both fan-outs: the whole check is one call.
                let deadline = backend.deadline();
                let infos = backend
                    .run_on_primaries(redis::cmd("INFO"), deadline)
                    .await?;
                let mut saves = backend.run_on_primaries(save, deadline).await?;
                let mut nodes = Vec::with_capacity(infos.len());
                for (node, info) in infos {
                    let save = saves
                        .iter()
                        .position(|(n, _)| *n == node)
                        .map(|i| saves.swap_remove(i).1)
                        .unwrap_or_else(|| {
                            Err(redis::RedisError::from((
                                redis::ErrorKind::Client,
                                "no CONFIG GET reply from this node",
                            )))
                        });
                    nodes.push((node, info, save));
                }
                // The client leaves out primaries it has no connection to;
                // name them rather than report a clean bill of health.
                if let Ok(primaries) = backend.primaries().await {
                    for primary in primaries {
                        if !nodes.iter().any(|(node, _, _)| *node == primary) {
                            let missing = || {
                                Err(redis::RedisError::from((
                                    redis::ErrorKind::Io,
                                    "no reply: the node is down or not connected",
                                )))
                            };
                            nodes.push((primary, missing(), missing()));
                        }
                    }
                }
                nodes
            }
        };
        let mut warnings = Vec::new();
        for (node, info, save) in nodes {
            check_node(&node, info, save, &mut warnings);
        }
        Ok(warnings)
    }
}

fn check_node(
    node: &str,
    info: Result<Value, redis::RedisError>,
    save: Result<Value, redis::RedisError>,
    warnings: &mut Vec<ServerWarning>,
) {
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
        Some(version) if version < RedisVersion::GETDEL => {
            warnings.push(ServerWarning::NoGetDel {
                node: node.to_owned(),
                version,
            });
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

    #[test]
    fn a_safe_node_gives_nothing() {
        let mut warnings = Vec::new();
        check_node(
            "n",
            info("7.2.4", "noeviction", "0", "0"),
            save(""),
            &mut warnings,
        );
        assert_eq!(warnings, vec![]);
    }

    #[test]
    fn an_old_replicated_node_gives_each_warning() {
        let mut warnings = Vec::new();
        check_node(
            "n",
            info("6.0.16", "volatile-lru", "1", "2"),
            save("900 1"),
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
                ServerWarning::NoGetDel {
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
