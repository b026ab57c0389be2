//! Length hiding (FORMAT-v2 §4): Padmé, then whole 256-byte blocks.

use crate::format::v2::{FRAME_BLOCK, MIN_FRAME_LEN};

/// Padmé (Nikitin et al., PETS 2019): `L` rounded up so that only
/// O(log log L) bits of it show, with at most 12 % overhead.
///
/// `None` only if the result does not fit in a `usize`.
///
/// ```
/// assert_eq!(oneshot_core::v2::padme(20_038), Some(20_480));
/// assert_eq!(oneshot_core::v2::padme(1), Some(1));
/// ```
pub fn padme(len: usize) -> Option<usize> {
    if len < 2 {
        return Some(len);
    }
    // E = floor(log2 L) >= 1, S = floor(log2 E) + 1 <= E.
    let e = len.ilog2();
    let s = e.ilog2() + 1;
    let mask = (1usize << (e - s)) - 1;
    Some(len.checked_add(mask)? & !mask)
}

/// The length of the frame for `n = 4 + len(content)` bytes:
/// `max(256, round_up_to_256(padme(n)))`.
///
/// `None` only if the result does not fit in a `usize`.
///
/// ```
/// assert_eq!(oneshot_core::v2::frame_len(4), Some(256));
/// assert_eq!(oneshot_core::v2::frame_len(257), Some(512));
/// ```
pub fn frame_len(n: usize) -> Option<usize> {
    Some(
        padme(n)?
            .checked_next_multiple_of(FRAME_BLOCK)?
            .max(MIN_FRAME_LEN),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padme_small_and_edges() {
        for len in 0..=8 {
            assert_eq!(padme(len), Some(len), "{len}: no rounding below 9");
        }
        assert_eq!(padme(9), Some(10));
        assert_eq!(padme(usize::MAX), None);
        assert_eq!(frame_len(0), Some(256));
        assert_eq!(frame_len(usize::MAX), None);
    }

    #[test]
    fn padme_overhead_is_bounded_and_monotonic() {
        let mut previous = 0;
        for len in (1..200_000).step_by(7) {
            let padded = padme(len).unwrap();
            assert!(padded >= len && padded >= previous);
            assert!((padded - len) * 100 <= len * 12, "{len} -> {padded}");
            previous = padded;
        }
    }
}
