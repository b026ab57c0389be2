//! The oneshot example programs as a library, so that tests can run them in
//! process: the web server ([`server`]) and the `oneshot` command-line client
//! ([`cli`]), and the JSON they exchange ([`wire`]).
//!
//! The binaries in `src/bin/` are thin wrappers around these modules.
#![forbid(unsafe_code)]

pub mod cli;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod server;
pub mod ttl;
pub mod wire;
