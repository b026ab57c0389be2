//! Decrypted bodies: bytes in a heap buffer that is wiped, in full, on drop.
//!
//! Why not `Zeroizing<Vec<u8>>`, which this crate returned before: `zeroize`
//! wipes a `Vec`'s elements one at a time with volatile writes (its `Vec`
//! impl is generic over the element type, so it cannot use the bulk fill it
//! has for byte slices). On the benchmark machine that is about 4.6 GB/s:
//! 3.4 µs for a 16 KiB body, more than `ring` takes to decrypt it. The same
//! impl wipes the `Vec`'s spare capacity in bulk (a `memset` behind an
//! optimisation barrier). A [`Plaintext`] empties its buffer before the wipe,
//! so the whole allocation is spare capacity and is wiped that way: about
//! 0.2 µs for the same 16 KiB, with the same guarantee.
//!
//! It also keeps the body where decryption left it, behind the frame's
//! header, so opening needs no move of the body to the front.

use std::fmt;
use std::ops::{Deref, Range};

use zeroize::{ZeroizeOnDrop, Zeroizing};

/// A secret's body as opened: read it through [`as_slice`](Self::as_slice)
/// (or `Deref` to `[u8]`). The whole buffer it lives in, capacity included,
/// is zeroized when it is dropped; `Debug` shows `[REDACTED]`.
///
/// `==` compares the bodies' bytes, as `Zeroizing<Vec<u8>>` did: for tests
/// and for callers that hold both bodies anyway, not a constant-time check
/// against a guess.
pub struct Plaintext {
    buf: Zeroizing<Vec<u8>>,
    body: Range<usize>,
}

impl Plaintext {
    /// The body at `body` inside `buf`, or `None` if `body` is not within it.
    pub(crate) fn within(buf: Zeroizing<Vec<u8>>, body: Range<usize>) -> Option<Self> {
        buf.get(body.clone())?;
        Some(Self { buf, body })
    }

    /// The body's bytes.
    pub fn as_slice(&self) -> &[u8] {
        // `within` and `From` only make ranges inside the buffer, and nothing
        // shortens the buffer while `self` lives.
        self.buf.get(self.body.clone()).unwrap_or_default()
    }

    /// The body in a `Zeroizing<Vec<u8>>` of its own length, for callers that
    /// need a `Vec`. It moves the body to the front of the same buffer (no
    /// second copy), but that `Vec` is then wiped the slow way on drop (see
    /// the module docs).
    pub fn into_vec(mut self) -> Zeroizing<Vec<u8>> {
        let Range { start, end } = self.body.clone();
        self.buf.copy_within(start..end, 0);
        self.buf.truncate(end - start);
        self.body = 0..0;
        Zeroizing::new(std::mem::take(&mut *self.buf))
    }
}

impl Drop for Plaintext {
    fn drop(&mut self) {
        // Length zero, so that the wipe `Zeroizing` does next, when the field
        // drops, covers the whole allocation as spare capacity, in bulk (see
        // the module docs).
        self.buf.clear();
    }
}

impl ZeroizeOnDrop for Plaintext {}

impl From<Vec<u8>> for Plaintext {
    /// Takes ownership of `bytes`: the buffer is wiped when the plaintext is
    /// dropped. (Copies the `Vec` left behind when it grew are not.)
    fn from(bytes: Vec<u8>) -> Self {
        let body = 0..bytes.len();
        Self {
            buf: Zeroizing::new(bytes),
            body,
        }
    }
}

impl Deref for Plaintext {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl AsRef<[u8]> for Plaintext {
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl Clone for Plaintext {
    /// A copy of the body alone, in a buffer of its own, wiped on drop too.
    fn clone(&self) -> Self {
        Self::from(self.as_slice().to_vec())
    }
}

impl PartialEq for Plaintext {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for Plaintext {}

impl fmt::Debug for Plaintext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Plaintext([REDACTED])")
    }
}

#[cfg(test)]
mod tests {
    use zeroize::Zeroizing;

    use super::Plaintext;

    #[test]
    fn reads_the_body_inside_its_buffer() {
        let buf = Zeroizing::new(b"head:body:tail".to_vec());
        let plaintext = Plaintext::within(buf, 5..9).expect("in range");
        assert_eq!(plaintext.as_slice(), b"body");
        assert_eq!(&*plaintext, b"body");
        assert_eq!(plaintext.len(), 4);
    }

    #[test]
    fn refuses_a_range_outside_its_buffer() {
        assert!(Plaintext::within(Zeroizing::new(vec![0; 4]), 2..5).is_none());
        assert!(Plaintext::within(Zeroizing::new(vec![0; 4]), 4..4).is_some());
    }

    #[test]
    fn into_vec_keeps_the_body_alone() {
        let buf = Zeroizing::new(b"head:body:tail".to_vec());
        let vec = Plaintext::within(buf, 5..9).expect("in range").into_vec();
        assert_eq!(vec.as_slice(), b"body");
    }

    #[test]
    fn a_clone_holds_the_body_only() {
        let buf = Zeroizing::new(b"head:body:tail".to_vec());
        let plaintext = Plaintext::within(buf, 5..9).expect("in range");
        let copy = plaintext.clone();
        drop(plaintext);
        assert_eq!(copy.as_slice(), b"body");
        assert_eq!(copy.into_vec().capacity(), 4);
    }

    #[test]
    fn debug_never_shows_the_bytes() {
        let plaintext = Plaintext::from(b"hunter2".to_vec());
        let shown = format!("{plaintext:?} {plaintext:#?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("104"),
            "{shown}"
        );
        assert!(shown.contains("REDACTED"));
    }
}
