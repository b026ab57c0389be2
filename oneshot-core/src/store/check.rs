//! What every backend refuses before a create reaches its storage.

use std::time::Duration;

use super::error::StoreError;
use super::guards::Guards;

/// The longest anything is kept (a century): a lifetime plus a receipt's
/// retention beyond it is [`StoreError::InvalidTtl`] on every backend, which
/// keeps every backend's time arithmetic far from overflow. A store's own
/// `max_ttl` setting is capped at it.
pub const LONGEST_KEEP: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// The checks the contract puts before any create, in one place for every
/// backend: a TTL under 1 ms or above `max_ttl` (the store's longest accepted
/// lifetime) and a lifetime plus retention beyond [`LONGEST_KEEP`] are
/// [`StoreError::InvalidTtl`]; an empty envelope is
/// [`StoreError::EmptyEnvelope`].
pub fn check_put(
    envelope: &[u8],
    ttl: Duration,
    guards: &Guards,
    max_ttl: Duration,
) -> Result<(), StoreError> {
    let retention = guards.receipt().map_or(Duration::ZERO, |r| r.retention);
    if ttl < Duration::from_millis(1)
        || ttl > max_ttl
        || ttl.saturating_add(retention) > LONGEST_KEEP
    {
        return Err(StoreError::InvalidTtl);
    }
    if envelope.is_empty() {
        return Err(StoreError::EmptyEnvelope);
    }
    Ok(())
}
