//! The operating system's CSPRNG, the only source of keys and nonces.

use rand_core::TryRng;

use crate::error::RandomnessError;

/// Fills `buf` from the operating system's CSPRNG.
pub(crate) fn fill_random(buf: &mut [u8]) -> Result<(), RandomnessError> {
    getrandom::SysRng
        .try_fill_bytes(buf)
        .map_err(RandomnessError)
}
