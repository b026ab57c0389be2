//! The named constants of each format version. Never change them in place: a
//! different format is a new version with its own module.
//!
//! - [`v1`]: `FORMAT-v1.md`, links of 43 characters, one kind of body.
//! - [`v2`]: `FORMAT-v2.md`, links of 46 characters with flags, passphrases,
//!   files, Padmé padding and receipts.

pub mod v1;
pub mod v2;
