//! The HTTP load generator: create+take pairs over keep-alive HTTP/1.1
//! connections against `oneshot-server`'s v1 JSON API (or the floor), each
//! pair checked.
//!
//! - [`PairPool`]: every request body made before the run (real v1 keys,
//!   envelopes and claims), so the generator only sends and checks;
//! - [`run_pairs`]: N connections, one task each, on the caller's
//!   (multi-thread) runtime, bounded by count and time, with the CPU time of
//!   the processes under test read at the start and end of the measured part.

mod error;
mod load;
mod pair;
mod pool;
mod wire;

pub use error::HttpError;
pub use load::{HttpRun, RunLimits, run_pairs};
pub use pair::{Check, probe, scrape};
pub use pool::{PairPool, PoolError, PreparedPair};
