//! When a connection counts as wedged: it has delivered no reply for
//! [`SILENT_TIMEOUTS`] response timeouts and calls on it keep timing out.
//!
//! Both topologies need the same rule for different reasons. One server: a
//! peer gone without a reset (a half-open socket) leaves the multiplexed
//! connection timing out forever, and every call `Indeterminate`; replaced,
//! calls fail connecting instead (`Unavailable`, safe to retry). Cluster: the
//! `redis` 1.8.1 refresh/reconnect deadlock (see [`super::cluster`]) leaves
//! the cluster connection timing out on every slot for good. Each topology
//! reports its calls' outcomes here from its own query path and, when
//! [`Health::record`] says so, replaces its connection in its own way.
//!
//! A timeout alone proves nothing: replies stay matched to requests in order
//! and a slow server may catch up, so only long silence counts.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;

/// A connection silent for this many response timeouts while calls time out
/// is replaced.
pub(crate) const SILENT_TIMEOUTS: u32 = 3;

/// What one call's outcome says about its connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// A reply came back: a value or an error reply.
    Reply,
    /// No reply within the response timeout (or the call's deadline).
    TimedOut,
    /// Anything else, e.g. a connection error: proves nothing either way.
    NoVerdict,
}

/// The silence clock of one connection (one server's) or one cluster client.
#[derive(Debug)]
pub(crate) struct Health {
    /// Silence this long, with calls timing out, means wedged.
    limit: Duration,
    /// The last reply, in ms since `born`: an atomic, because every call of
    /// every caller updates it.
    last_reply_ms: AtomicU64,
    born: Instant,
}

impl Health {
    /// A clock that starts now, as if a reply had just come.
    pub(crate) fn new(response_timeout: Duration) -> Self {
        Self {
            limit: response_timeout * SILENT_TIMEOUTS,
            last_reply_ms: AtomicU64::new(0),
            born: Instant::now(),
        }
    }

    /// How long silence must last before a timeout means wedged.
    pub(crate) fn limit(&self) -> Duration {
        self.limit
    }

    /// Restarts the clock: a reply came, or the connection is new.
    pub(crate) fn replied(&self) {
        let ms = u64::try_from(self.born.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_reply_ms.fetch_max(ms, Ordering::Relaxed);
    }

    /// How long since the last reply (or since the clock started).
    pub(crate) fn silent_for(&self) -> Duration {
        let last = Duration::from_millis(self.last_reply_ms.load(Ordering::Relaxed));
        self.born.elapsed().saturating_sub(last)
    }

    /// Records one call's outcome; `true` if it shows the connection wedged
    /// (a timeout after [`SILENT_TIMEOUTS`] response timeouts without a reply),
    /// so the caller should replace it.
    #[must_use]
    pub(crate) fn record(&self, outcome: Outcome) -> bool {
        match outcome {
            Outcome::Reply => {
                self.replied();
                false
            }
            Outcome::NoVerdict => false,
            Outcome::TimedOut => self.silent_for() >= self.limit,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn only_a_timeout_after_long_silence_means_wedged() {
        let timeout = Duration::from_millis(100);
        let health = Health::new(timeout);
        assert_eq!(health.limit(), timeout * SILENT_TIMEOUTS);
        tokio::time::advance(timeout * 2).await;
        assert!(
            !health.record(Outcome::TimedOut),
            "silent for only 2 timeouts"
        );
        tokio::time::advance(timeout).await;
        assert!(!health.record(Outcome::NoVerdict));
        assert!(health.record(Outcome::TimedOut), "silent for 3 timeouts");
        assert!(!health.record(Outcome::Reply));
        assert!(
            !health.record(Outcome::TimedOut),
            "a reply restarts the clock"
        );
        tokio::time::advance(timeout * 3).await;
        health.replied();
        assert!(
            !health.record(Outcome::TimedOut),
            "a new connection restarts it"
        );
    }
}
