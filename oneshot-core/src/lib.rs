//! # oneshot-core
//!
//! The core of oneshot, a library for one-time secrets: a secret is encrypted on
//! the client with AES-256-GCM, stored as an opaque envelope with a lifetime,
//! handed out at most once and then gone.
//!
//! This crate holds everything that does not do I/O:
//!
//! - the v1 format ([`format`](mod@format)): [`SecretKey`] (the 32 bytes that travel only in a
//!   link's fragment), the values derived from it ([`Claim`], [`SecretId`]),
//!   [`seal`] and [`open`] for envelopes, and [`link`] parsing and building;
//! - the store contract ([`SecretStore`], [`StoreError`]) that backends such as
//!   `oneshot-memory` and `oneshot-redis` implement;
//! - the [`OneShot`] facade that puts them together under a [`Policy`];
//! - with the `testkit` feature, the conformance suite every backend runs
//!   (`testkit` module and [`conformance_suite!`]).
//!
//! ```
//! # async fn demo<S: oneshot_core::SecretStore>(store: S) -> Result<(), Box<dyn std::error::Error>> {
//! use oneshot_core::OneShot;
//!
//! let oneshot = OneShot::new(store);
//! let share = oneshot.share(b"hunter2", None).await?;
//! let link = share.link("https://secrets.example/s")?;
//! // ... the link travels to the reader, who parses the key out of it:
//! let key = oneshot_core::link::parse_key(&link)?;
//! let secret = oneshot.reveal(&key).await?.expect("first read");
//! assert_eq!(&secret[..], b"hunter2");
//! assert!(oneshot.reveal(&key).await?.is_none(), "second read finds nothing");
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    warn(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::print_stdout,
        clippy::print_stderr
    )
)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod bytes;
mod claim;
mod envelope;
mod error;
pub mod format;
mod guard;
mod id;
mod key;
pub mod link;
mod oneshot;
mod policy;
pub mod store;

#[cfg(feature = "testkit")]
pub mod testkit;

#[cfg(test)]
mod vector_tests;

pub use claim::Claim;
pub use envelope::{envelope_len, open, seal, validate_envelope};
pub use error::{
    CreateError, OpenError, ParseError, PolicyError, RandomnessError, RevealError, SealError,
    ShareError, TooLarge, TtlOutOfRange,
};
pub use guard::{PassphraseProof, PassphraseVerifier, ReceiptClaim, ReceiptVerifier};
pub use id::SecretId;
pub use key::SecretKey;
pub use oneshot::{OneShot, Share};
pub use policy::Policy;
pub use store::{BoxError, SecretStore, StoreError};

/// Re-exported so callers can hold plaintext the way this crate hands it out.
pub use zeroize::Zeroizing;
