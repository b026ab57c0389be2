//! Format v2 (`FORMAT-v2.md`): 46-character links with flags, an optional
//! passphrase, files with a name and a media type, Padmé padding, and
//! receipts. Its constants are in [`crate::format::v2`].
//!
//! A sender makes a [`SecretKey`] (with [`Flags::PASSPHRASE`] if there is a
//! [`Passphrase`]), [`seal`]s a [`Content`] and a body, and stores the
//! envelope under [`SecretKey::id`], with the passphrase's verifier
//! ([`SecretKey::passphrase_proof`], then
//! [`verifier`](crate::PassphraseProof::verifier)) and, if asked, a
//! [`ReceiptKey`]'s [`verifier`](ReceiptKey::verifier). A reader parses the
//! link ([`crate::link::parse_key`]), asks for the passphrase when
//! [`SecretKey::needs_passphrase`] says so, takes with the
//! [`claim`](SecretKey::claim) (and proof), and [`open`]s.
//!
//! ```
//! use oneshot_core::v2::{self, Content, Flags, Passphrase, SecretKey};
//!
//! let key = SecretKey::generate(Flags::PASSPHRASE)?;
//! let passphrase = Passphrase::new("correct horse")?;
//! let file = Content::file("report.pdf", "application/pdf")?;
//! let envelope = v2::seal(&key, Some(&passphrase), &file, b"%PDF-1.7")?;
//!
//! let opened = v2::open(&key, Some(&passphrase), &envelope)?;
//! assert_eq!((opened.name(), opened.body()), (Some("report.pdf"), &b"%PDF-1.7"[..]));
//! assert!(v2::open(&key, None, &envelope).is_err(), "the passphrase is required");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub(crate) mod content;
pub(crate) mod derive;
pub(crate) mod envelope;
pub(crate) mod key;
pub(crate) mod padding;
pub(crate) mod passphrase;
pub(crate) mod receipt;

#[cfg(test)]
mod vector_tests;

pub use content::{Content, Kind, validate_media_type, validate_name};
pub use envelope::{Opened, envelope_len, open, seal};
pub use key::{Flags, SecretKey};
pub use padding::{frame_len, padme};
pub use passphrase::Passphrase;
pub use receipt::ReceiptKey;
