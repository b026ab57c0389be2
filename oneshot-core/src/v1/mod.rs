//! Format v1 (`FORMAT-v1.md`): 43-character links, one kind of body.
//!
//! Every v1 link stays readable: [`SecretKey`] is the 32-byte link key,
//! [`seal`] and [`open`] make and read its envelopes. Its constants are in
//! [`crate::format::v1`]. New secrets are better made with [`crate::v2`].

pub(crate) mod envelope;
pub(crate) mod key;

#[cfg(test)]
mod vector_tests;

pub use envelope::{envelope_len, open, seal};
pub use key::SecretKey;
