//! The server's logs: the subscriber (`--log-format text|json`, colour only
//! on a terminal) and the keyed tags that stand for secret ids in them.
//!
//! An id in a log would let its reader ask the server whether that secret
//! is still unread (a take with a wrong claim answers the same 404, but a
//! create with that id answers 409 while it is live), so ids are logged
//! only as [`IdTag`]: HMAC-SHA256 of the id under a key drawn at random when
//! the process starts, truncated to 8 bytes. Lines about the same secret
//! share a tag within one process; nobody can compute the tag of an id,
//! and two processes tag the same id differently.

use std::fmt;
use std::io::IsTerminal;
use std::sync::OnceLock;

use hmac::{Hmac, KeyInit, Mac};
use oneshot_core::SecretId;
use sha2::Sha256;

/// How log lines are written (`--log-format`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
#[non_exhaustive]
pub enum LogFormat {
    /// One human-readable line per event; ANSI colour only when stderr is a
    /// terminal and `NO_COLOR` is unset.
    #[default]
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Installs the global subscriber: the filter from `RUST_LOG` (default
/// `info`), lines on stderr in `format`. Per-request lines are at DEBUG;
/// INFO has start-up, shutdown and warnings.
pub fn init(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => {
            let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            builder.with_ansi(colour).init();
        }
        LogFormat::Json => builder.json().with_ansi(false).init(),
    }
}

/// This process's tag key: 32 random bytes, drawn once.
fn tag_key() -> Option<&'static Hmac<Sha256>> {
    static KEY: OnceLock<Option<Hmac<Sha256>>> = OnceLock::new();
    KEY.get_or_init(|| {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).ok()?;
        let mac = Hmac::<Sha256>::new_from_slice(&key).ok();
        // The key lives on only inside the HMAC state; black_box keeps
        // the wipe from being optimised away as a dead store.
        key.fill(0);
        std::hint::black_box(&key);
        mac
    })
    .as_ref()
}

/// How many bytes of the HMAC a tag shows.
const TAG_BYTES: usize = 8;

/// A secret id as logs show it: 16 hex digits of a keyed hash, the same for
/// the same id within this process only. `-` if no random key could be had
/// (then nothing about the id is shown).
#[derive(Clone, Copy)]
pub struct IdTag<'a>(pub &'a SecretId);

impl fmt::Display for IdTag<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(key) = tag_key() else {
            return f.write_str("-");
        };
        let mut mac = key.clone();
        mac.update(self.0.as_bytes());
        let digest = mac.finalize().into_bytes();
        for byte in digest.iter().take(TAG_BYTES) {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

/// The tag, never the id.
impl fmt::Debug for IdTag<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_stable_distinct_and_not_the_id() {
        let a = SecretId::from_bytes([1; 16]);
        let b = SecretId::from_bytes([2; 16]);
        let tag = IdTag(&a).to_string();
        assert_eq!(tag.len(), 2 * TAG_BYTES);
        assert!(tag.bytes().all(|c| c.is_ascii_hexdigit()), "{tag}");
        assert_eq!(tag, IdTag(&a).to_string());
        assert_ne!(tag, IdTag(&b).to_string());
        assert!(!a.to_string().contains(&tag));
    }
}
