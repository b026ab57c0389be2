//! [`PgStore::check_server`]: server settings that would break the promises.

use std::fmt;

use oneshot_core::StoreError;

use crate::error::PgError;
use crate::store::PgStore;

/// A server setting that weakens what the store promises. Returned by
/// [`PgStore::check_server`]; log them at start-up, or refuse to start.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerWarning {
    /// `synchronous_commit` is `off` for the store's sessions: a commit is
    /// acknowledged before its WAL reaches the disk, so after a crash a
    /// secret that was taken (and delivered) can be back, and be delivered
    /// again; a stored one can be missing.
    SynchronousCommitOff,
    /// `synchronous_commit` is `local` while synchronous standbys are
    /// configured: commits do not wait for the standby, so after a failover
    /// a taken secret can be back.
    SynchronousCommitLocal,
    /// `fsync` is off: after an operating-system crash or power loss the
    /// database can lose committed transactions or be corrupted.
    FsyncOff,
    /// The server has streaming replicas and none is synchronous: after a
    /// failover to one, recent takes can be undone (their secrets delivered
    /// again) and recent secrets missing.
    AsyncReplicas {
        /// Replicas connected now.
        count: u64,
    },
    /// The server is a standby (in recovery): it refuses every write.
    Standby,
    /// A setting could not be read (e.g. replication statistics are hidden
    /// from this role), so it was not checked.
    Unchecked {
        /// What was not checked.
        what: &'static str,
        /// Why.
        reason: String,
    },
}

impl fmt::Display for ServerWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SynchronousCommitOff => f.write_str(
                "synchronous_commit is off: after a crash, taken secrets can come back and be \
                 delivered again",
            ),
            Self::SynchronousCommitLocal => f.write_str(
                "synchronous_commit is local with synchronous standbys configured: after a \
                 failover, taken secrets can come back",
            ),
            Self::FsyncOff => f.write_str(
                "fsync is off: a power loss or OS crash can lose or corrupt committed secrets",
            ),
            Self::AsyncReplicas { count } => write!(
                f,
                "{count} replica(s), none synchronous: after a failover, taken secrets can come \
                 back (set synchronous_standby_names)"
            ),
            Self::Standby => f.write_str("the server is a standby: every write will fail"),
            Self::Unchecked { what, reason } => write!(f, "could not check {what}: {reason}"),
        }
    }
}

impl PgStore {
    /// Reads the settings of one of the store's sessions and the server's
    /// replication state, and returns what would weaken the guarantees:
    /// `synchronous_commit` off (or `local` with synchronous standbys),
    /// `fsync` off, replicas none of which is synchronous, a standby. An
    /// empty list means none of these were found.
    ///
    /// Replication statistics (`pg_stat_replication.sync_state`) are shown
    /// only to superusers and members of `pg_read_all_stats`; for other
    /// roles that check is [`ServerWarning::Unchecked`]. Fails only if the
    /// server cannot be asked at all.
    pub async fn check_server(&self) -> Result<Vec<ServerWarning>, StoreError> {
        let settings = self
            .inner()
            .run(|conn| {
                Box::pin(async move {
                    conn.client
                        .query_one(
                            "SELECT current_setting('synchronous_commit'), \
                             current_setting('fsync'), \
                             current_setting('synchronous_standby_names'), \
                             pg_is_in_recovery()",
                            &[],
                        )
                        .await
                })
            })
            .await?;
        let get = |i| {
            settings
                .try_get::<_, String>(i)
                .map_err(|e| StoreError::backend(PgError(e)))
        };
        let (synchronous_commit, fsync, standby_names) = (get(0)?, get(1)?, get(2)?);
        let in_recovery: bool = settings
            .try_get(3)
            .map_err(|e| StoreError::backend(PgError(e)))?;
        let mut warnings = Vec::new();
        if in_recovery {
            warnings.push(ServerWarning::Standby);
        }
        match synchronous_commit.as_str() {
            "off" => warnings.push(ServerWarning::SynchronousCommitOff),
            "local" if !standby_names.trim().is_empty() => {
                warnings.push(ServerWarning::SynchronousCommitLocal);
            }
            _ => {}
        }
        if fsync == "off" {
            warnings.push(ServerWarning::FsyncOff);
        }
        // `sync_state` is NULL for roles that may not see replication details.
        let replicas = self
            .inner()
            .run(|conn| {
                Box::pin(async move {
                    conn.client
                        .query_one(
                            "SELECT count(*), \
                             count(*) FILTER (WHERE sync_state IN ('sync', 'quorum')), \
                             count(*) FILTER (WHERE sync_state IS NULL) \
                             FROM pg_stat_replication",
                            &[],
                        )
                        .await
                })
            })
            .await?;
        let count = |i| {
            replicas
                .try_get::<_, i64>(i)
                .map(|n| u64::try_from(n).unwrap_or(0))
                .map_err(|e| StoreError::backend(PgError(e)))
        };
        let (all, synchronous, hidden) = (count(0)?, count(1)?, count(2)?);
        if hidden > 0 {
            warnings.push(ServerWarning::Unchecked {
                what: "whether replicas are synchronous",
                reason: format!(
                    "{hidden} replica(s) whose sync_state this role may not see \
                     (grant pg_read_all_stats)"
                ),
            });
        } else if all > 0 && synchronous == 0 {
            warnings.push(ServerWarning::AsyncReplicas { count: all });
        }
        Ok(warnings)
    }
}
