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
//!
//! # Secrets in memory
//!
//! What this crate holds of a secret is wiped when it is dropped: link keys
//! (`v1::SecretKey`, `v2::SecretKey`, `v2::ReceiptKey`), claims, passphrase
//! proofs, receipt claims and passphrases are zeroized wrappers with
//! `[REDACTED]` `Debug`; derived keys (`enc_key`, the PBKDF2 output `W`, the
//! stretched `K || W`) live in `Zeroizing` buffers; decrypted bodies are
//! [`Plaintext`]s, decrypted in place in the buffer that is returned
//! (a reveal decrypts the taken envelope in its own buffer, so no second
//! copy of the plaintext exists); sealing zeroizes its buffer if it fails.
//! SHA-256 states (inside HKDF, HMAC and PBKDF2) are wiped on drop through
//! `sha2`'s `zeroize` feature, and `aes-gcm`'s key schedule through its own.
//!
//! What cannot be wiped, and why:
//!
//! - **Moves leave copies.** A value moved or returned by value may leave its
//!   bytes in a stack slot that is never overwritten; Rust offers no way to
//!   prevent this without pinning and `unsafe`, which this crate forbids.
//! - **`ring`'s key schedule** (feature `ring`) is not zeroized by `ring`; it
//!   lives on the stack for one seal or open.
//! - **Unicode normalisation** keeps a few characters of the passphrase in its
//!   iterator's internal buffer while it runs.
//! - **Buffers outside this crate**: an HTTP client's or server's request
//!   bytes (which carry claims and proofs, never keys), a terminal's or a
//!   browser's own copies. The CLI and the server keep what they hold in
//!   zeroizing memory where they own it.
//!
//! Envelopes are ciphertext and ids are public; neither is wiped.
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
/// The bodies of the fuzz targets; not part of the API (see `FUZZING.md`).
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod guard;
mod id;
pub mod link;
mod oneshot;
mod plaintext;
mod policy;
mod random;
pub mod store;
pub mod v1;
pub mod v2;
mod version;

#[cfg(feature = "testkit")]
pub mod testkit;

pub use aead::AEAD_BACKEND;
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
pub use plaintext::Plaintext;
pub use policy::Policy;
pub use store::{BoxError, SecretStore, StoreError};
/// The format v1 items, re-exported at the root for the facade and the
/// crates that use it; new code names them [`v1::SecretKey`], [`v1::seal`],
/// [`v1::open`] and [`v1::envelope_len`].
pub use v1::{SecretKey, envelope_len, open, seal};
pub use version::Version;

/// Re-exported so callers can hold plaintext the way this crate hands it out.
pub use zeroize::Zeroizing;
