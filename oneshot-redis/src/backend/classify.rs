//! From a `redis` error to a [`StoreError`], by whether the command may have run.
//!
//! The crate docs' "Failure handling" section explains each rule with the
//! `redis` crate's source lines.

use oneshot_core::StoreError;
use redis::{ErrorKind, RedisError, ServerErrorKind};

/// How far a command got before it failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stage {
    /// Still connecting: the command was never handed to a connection, so it
    /// certainly did not run.
    Connecting,
    /// Handed to a connection (single node) or to the cluster client: it may
    /// be on the wire or already executed.
    Sent,
}

/// Why a query gave no value: the client's error, or the call's deadline
/// passed first; with how far the command had got.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The `redis` client returned this error.
    Error(RedisError, Stage),
    /// The store's own deadline for the call ran out.
    Deadline(Stage),
}

/// Which client produced the error; the cluster client can report errors of
/// its own bookkeeping for commands that were sent (see the crate docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Topology {
    Single,
    Cluster,
}

/// A reply that proves the node refused the command without running it and
/// that the cluster's layout is (briefly) in motion: worth a bounded retry.
pub(crate) fn is_cluster_redirect(err: &RedisError) -> bool {
    matches!(
        err.kind(),
        ErrorKind::Server(
            ServerErrorKind::Moved
                | ServerErrorKind::Ask
                | ServerErrorKind::TryAgain
                | ServerErrorKind::ClusterDown
                | ServerErrorKind::ReadOnly
        )
    )
}

/// Maps `err` to the [`StoreError`] that tells the caller the truth about
/// whether the command ran.
pub(crate) fn classify(err: RedisError, stage: Stage, topology: Topology) -> StoreError {
    if stage == Stage::Connecting {
        // Nothing was sent: whatever went wrong, the command did not run.
        return StoreError::unavailable(err);
    }
    if err.code() == Some("OOM") {
        // `-OOM command not allowed when used memory > 'maxmemory'`: the
        // write was refused before it ran.
        return StoreError::CapacityExceeded;
    }
    match err.kind() {
        // Replies that the server sends *instead of* running the command.
        ErrorKind::Server(
            ServerErrorKind::Moved
            | ServerErrorKind::Ask
            | ServerErrorKind::TryAgain
            | ServerErrorKind::ClusterDown
            | ServerErrorKind::ReadOnly,
        ) => StoreError::unavailable(err),
        // Also refusals when they answer our command. The cluster client can
        // hand the error of a failed slot refresh (CLUSTER SLOTS, which can
        // get LOADING/BUSY/MASTERDOWN too) to commands already sent, so there
        // they prove nothing.
        ErrorKind::Server(ServerErrorKind::BusyLoading | ServerErrorKind::MasterDown) => {
            match topology {
                Topology::Single => StoreError::unavailable(err),
                Topology::Cluster => StoreError::indeterminate(err),
            }
        }
        ErrorKind::Server(_) if err.code() == Some("BUSY") => match topology {
            Topology::Single => StoreError::unavailable(err),
            Topology::Cluster => StoreError::indeterminate(err),
        },
        // Timeouts, broken connections, connections lost while the cluster
        // client held the request: the command may have run.
        ErrorKind::Io | ErrorKind::ClusterConnectionNotFound => StoreError::indeterminate(err),
        // WRONGTYPE, ERR unknown command, NOPERM, parse errors and the like.
        _ => StoreError::backend(err),
    }
}

#[cfg(test)]
mod tests {
    use std::io;

    use super::*;

    fn server_error(reply: &str) -> RedisError {
        match redis::parse_redis_value(reply.as_bytes()) {
            Ok(value) => match value.extract_error() {
                Err(err) => err,
                Ok(other) => panic!("{reply:?} parsed as {other:?}"),
            },
            Err(err) => panic!("{reply:?}: {err}"),
        }
    }

    fn io_error(kind: io::ErrorKind) -> RedisError {
        RedisError::from(io::Error::from(kind))
    }

    fn name(e: &StoreError) -> &'static str {
        match e {
            StoreError::Unavailable(_) => "Unavailable",
            StoreError::Indeterminate(_) => "Indeterminate",
            StoreError::Backend(_) => "Backend",
            StoreError::CapacityExceeded => "CapacityExceeded",
            _ => "other",
        }
    }

    #[test]
    fn nothing_sent_is_unavailable() {
        for err in [
            io_error(io::ErrorKind::ConnectionRefused),
            io_error(io::ErrorKind::TimedOut),
            RedisError::from((ErrorKind::AuthenticationFailed, "bad password")),
        ] {
            for topology in [Topology::Single, Topology::Cluster] {
                assert_eq!(
                    name(&classify(err.clone(), Stage::Connecting, topology)),
                    "Unavailable"
                );
            }
        }
    }

    #[test]
    fn after_sending_io_errors_are_indeterminate() {
        for kind in [
            io::ErrorKind::TimedOut,
            io::ErrorKind::BrokenPipe,
            io::ErrorKind::ConnectionReset,
            io::ErrorKind::UnexpectedEof,
            // The cluster client can report a refused reconnect for a sent request.
            io::ErrorKind::ConnectionRefused,
        ] {
            for topology in [Topology::Single, Topology::Cluster] {
                assert_eq!(
                    name(&classify(io_error(kind), Stage::Sent, topology)),
                    "Indeterminate",
                    "{kind:?}"
                );
            }
        }
        let not_found = RedisError::from((ErrorKind::ClusterConnectionNotFound, "gone"));
        assert_eq!(
            name(&classify(not_found, Stage::Sent, Topology::Cluster)),
            "Indeterminate"
        );
    }

    #[test]
    fn refusals_are_unavailable_and_oom_is_capacity() {
        for reply in [
            "-MOVED 3999 127.0.0.1:6381\r\n",
            "-ASK 3999 127.0.0.1:6381\r\n",
            "-TRYAGAIN Multiple keys request during rehashing of slot\r\n",
            "-CLUSTERDOWN The cluster is down\r\n",
            "-READONLY You can't write against a read only replica.\r\n",
        ] {
            let err = server_error(reply);
            assert!(is_cluster_redirect(&err), "{reply}");
            for topology in [Topology::Single, Topology::Cluster] {
                assert_eq!(
                    name(&classify(err.clone(), Stage::Sent, topology)),
                    "Unavailable"
                );
            }
        }
        let loading = server_error("-LOADING Redis is loading the dataset in memory\r\n");
        assert_eq!(
            name(&classify(loading.clone(), Stage::Sent, Topology::Single)),
            "Unavailable"
        );
        assert_eq!(
            name(&classify(loading, Stage::Sent, Topology::Cluster)),
            "Indeterminate"
        );
        let oom = server_error("-OOM command not allowed when used memory > 'maxmemory'.\r\n");
        assert_eq!(
            name(&classify(oom, Stage::Sent, Topology::Single)),
            "CapacityExceeded"
        );
        let wrongtype =
            server_error("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
        assert!(!is_cluster_redirect(&wrongtype));
        assert_eq!(
            name(&classify(wrongtype, Stage::Sent, Topology::Single)),
            "Backend"
        );
    }
}
