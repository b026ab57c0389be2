//! # oneshot-core
//!
//! The core of oneshot, a library for one-time secrets: a secret is encrypted on
//! the client with AES-256-GCM, stored as an opaque envelope with a lifetime,
//! handed out at most once and then gone.
//!
//! This crate holds everything that does not do I/O:
//!
//! - the format, one module per version, each with its named constants in
//!   [`format`](mod@format):
//!   - [`v1`]: the 32-byte [`v1::SecretKey`] that travels only in a link's
//!     fragment, [`v1::seal`] and [`v1::open`] for its envelopes;
//!   - [`v2`]: keys with flags, passphrases, files, Padmé padding and
//!     receipts ([`v2::SecretKey`], [`v2::seal`], [`v2::open`],
//!     [`v2::ReceiptKey`]);
//!   - what all versions share: the values derived from a key ([`Claim`],
//!     [`SecretId`]) with their [`Version`], [`link`] parsing and building
//!     for both versions, and [`validate_envelope`] for servers;
//! - the store contract ([`SecretStore`], [`StoreError`]) that backends such as
//!   `oneshot-memory` and `oneshot-redis` implement;
//! - the [`OneShot`] facade that puts them together under a [`Policy`];
//! - with the `testkit` feature, the conformance suite every backend runs
//!   (`testkit` module and [`conformance_suite!`]).
//!
//! ```
//! # async fn demo<S: oneshot_core::SecretStore>(store: S) -> Result<(), Box<dyn std::error::Error>> {
//! use oneshot_core::store::ReceiptState;
//! use oneshot_core::v2::Passphrase;
//! use oneshot_core::{OneShot, ShareOptions};
//!
//! let oneshot = OneShot::new(store);
//! let options = ShareOptions::new().passphrase(Passphrase::new("by phone")?).receipt(true);
//! let share = oneshot.share(b"hunter2", &options).await?;
//! let link = share.link("https://secrets.example/s")?;
//! // The link travels to the reader, who parses the key out of it and is
//! // told the passphrase by another channel:
//! let key = oneshot_core::link::parse_key(&link)?;
//! let passphrase = Passphrase::new("by phone")?;
//! let secret = oneshot.reveal(&key, Some(&passphrase)).await?.expect("first read");
//! assert_eq!(secret.body(), b"hunter2");
//! assert!(oneshot.reveal(&key, Some(&passphrase)).await?.is_none(), "gone for everyone else");
//! // The sender's receipt says it was read:
//! let receipt_claim = share.receipt().expect("asked for").claim();
//! let story = oneshot.receipt(&share.id(), &receipt_claim).await?.expect("kept");
//! assert!(matches!(story.state, ReceiptState::Read { .. }));
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

mod aead;
mod bytes;
mod claim;
mod envelope;
mod error;
pub mod format;
mod fragment;
mod guard;
mod id;
pub mod link;
mod oneshot;
mod policy;
mod random;
pub mod store;
pub mod v1;
pub mod v2;
mod version;

#[cfg(feature = "testkit")]
pub mod testkit;

pub use claim::Claim;
pub use envelope::{envelope_version, validate_envelope};
pub use error::{
    ContentError, CreateError, OpenError, OpenV2Error, ParseError, PassphraseError,
    PassphraseMismatch, PolicyError, RandomnessError, RevealError, SealError, SealV2Error,
    ShareError, TooLarge, TtlOutOfRange,
};
pub use guard::{PassphraseProof, PassphraseVerifier, ReceiptClaim, ReceiptVerifier};
pub use id::SecretId;
pub use oneshot::{OneShot, Share, ShareOptions, Verifiers};
pub use policy::Policy;
pub use store::{BoxError, SecretStore, StoreError};
/// The format v1 items, re-exported at the root for the facade and the
/// crates that use it; new code names them [`v1::SecretKey`], [`v1::seal`],
/// [`v1::open`] and [`v1::envelope_len`].
pub use v1::{SecretKey, envelope_len, open, seal};
pub use version::Version;

/// Re-exported so callers can hold plaintext the way this crate hands it out.
pub use zeroize::Zeroizing;
