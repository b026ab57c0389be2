//! Per-client create rates: how many secrets one client address may create
//! per unit of time, with a separate (usually higher) rate for holders of
//! the create token. Past it a create is answered `429 rate_limited` with
//! `Retry-After`, before its body is read.

use std::num::NonZeroU32;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

use super::client_addr::ClientKey;

/// A rate: `count` events per `per`, as a burst of `count` that refills
/// evenly over `per`. Written `30/min`, `5/s`, `1000/h`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    count: NonZeroU32,
    per: Duration,
}

impl Rate {
    /// `count` per `per`; `None` if `per` is zero.
    pub fn new(count: NonZeroU32, per: Duration) -> Option<Self> {
        (!per.is_zero()).then_some(Self { count, per })
    }

    /// How many events fit in one period.
    pub fn count(&self) -> NonZeroU32 {
        self.count
    }

    /// The period.
    pub fn per(&self) -> Duration {
        self.per
    }

    fn quota(self) -> Quota {
        // `per / count` is never zero for a count within u32 and a period of
        // at least a second, which is all `FromStr` makes; `new` allows less.
        let each = (self.per / self.count.get()).max(Duration::from_nanos(1));
        Quota::with_period(each)
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MAX))
            .allow_burst(self.count)
    }
}

impl std::fmt::Display for Rate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let unit = match self.per.as_secs() {
            1 => "s",
            60 => "min",
            3600 => "h",
            _ => return write!(f, "{}/{}s", self.count, self.per.as_secs_f64()),
        };
        write!(f, "{}/{unit}", self.count)
    }
}

/// Why a rate does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RateError {
    /// Not `N/UNIT`.
    #[error("expected COUNT/UNIT, such as 30/min (units: s, min, h)")]
    Syntax,
    /// The count is not a whole number from 1 to 4294967295.
    #[error("the count must be a whole number from 1 to 4294967295")]
    Count,
    /// The unit is not one of `s`, `min`, `h`.
    #[error("unknown unit (use s, min or h)")]
    Unit,
}

impl FromStr for Rate {
    type Err = RateError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (count, unit) = text.trim().split_once('/').ok_or(RateError::Syntax)?;
        let count = count
            .trim()
            .parse::<NonZeroU32>()
            .map_err(|_| RateError::Count)?;
        let per = match unit.trim() {
            "s" | "sec" | "second" => Duration::from_secs(1),
            "m" | "min" | "minute" => Duration::from_secs(60),
            "h" | "hour" => Duration::from_secs(3600),
            _ => return Err(RateError::Unit),
        };
        Ok(Self { count, per })
    }
}

/// The create rates per client address. `None`: no limit. The default has
/// none; the `oneshot-server` binary sets both.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CreateRates {
    /// For creates without the create token (when the server needs none).
    pub anonymous: Option<Rate>,
    /// For creates that carry the create token.
    pub token: Option<Rate>,
}

type Keyed = RateLimiter<ClientKey, DefaultKeyedStateStore<ClientKey>, DefaultClock>;

/// The limiters of [`CreateRates`], one state per client key.
pub(crate) struct Limiters {
    anonymous: Option<Keyed>,
    token: Option<Keyed>,
    checks: AtomicU64,
}

impl std::fmt::Debug for Limiters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limiters").finish_non_exhaustive()
    }
}

/// Every this many checks, forget the clients whose state is back to fresh,
/// so a flood of distinct addresses does not grow the map for good.
const SWEEP_EVERY: u64 = 1024;

impl Limiters {
    pub(crate) fn new(rates: CreateRates) -> Self {
        let keyed = |rate: Option<Rate>| rate.map(|r| Keyed::keyed(r.quota()));
        Self {
            anonymous: keyed(rates.anonymous),
            token: keyed(rates.token),
            checks: AtomicU64::new(0),
        }
    }

    /// Counts one create by `client`; `Err(wait)` if it is over its rate
    /// (then nothing is counted).
    pub(crate) fn check(&self, client: ClientKey, token_holder: bool) -> Result<(), Duration> {
        let limiter = if token_holder {
            &self.token
        } else {
            &self.anonymous
        };
        let Some(limiter) = limiter else {
            return Ok(());
        };
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        limiter
            .check_key(&client)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse() {
        let r: Rate = "30/min".parse().unwrap();
        assert_eq!((r.count().get(), r.per()), (30, Duration::from_secs(60)));
        assert_eq!(r.to_string(), "30/min");
        assert_eq!("5/s".parse::<Rate>().unwrap().to_string(), "5/s");
        assert_eq!(" 1000 / h ".parse::<Rate>().unwrap().to_string(), "1000/h");
        assert_eq!("30".parse::<Rate>(), Err(RateError::Syntax));
        assert_eq!("0/min".parse::<Rate>(), Err(RateError::Count));
        assert_eq!("-1/min".parse::<Rate>(), Err(RateError::Count));
        assert_eq!("3/day".parse::<Rate>(), Err(RateError::Unit));
    }

    #[test]
    fn a_burst_then_refusal_per_client() {
        let limiters = Limiters::new(CreateRates {
            anonymous: Some("3/min".parse().unwrap()),
            token: None,
        });
        let a = ClientKey::of([127, 0, 0, 2].into());
        let b = ClientKey::of([127, 0, 0, 3].into());
        for _ in 0..3 {
            assert!(limiters.check(a, false).is_ok());
        }
        let wait = limiters.check(a, false).unwrap_err();
        assert!(
            wait > Duration::from_secs(15) && wait <= Duration::from_secs(20),
            "{wait:?}"
        );
        assert!(
            limiters.check(b, false).is_ok(),
            "another client has its own"
        );
        assert!(limiters.check(a, true).is_ok(), "no token rate: unlimited");
    }
}
