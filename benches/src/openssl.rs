//! The references for the format: `openssl speed -evp aes-256-gcm`, one size
//! at a time, parsed from its machine-readable (`-mr`) output, for seal/open;
//! `openssl kdf … PBKDF2`, timed, for a passphrase derivation.

use std::process::Command;
use std::time::Duration;

/// Why OpenSSL's figure could not be had.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpensslError {
    /// `openssl` is not installed.
    #[error("`openssl` not found ({0}); install it with: sudo apt-get install openssl")]
    Missing(#[source] std::io::Error),
    /// It ran but failed or printed something unexpected.
    #[error("`openssl speed` failed or printed no +F line: {0}")]
    Output(String),
}

/// The `openssl version` line.
pub fn version() -> Result<String, OpensslError> {
    let out = Command::new("openssl")
        .arg("version")
        .output()
        .map_err(OpensslError::Missing)?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// AES-256-GCM encryption throughput in bytes per second for buffers of
/// `bytes` bytes, measured by OpenSSL for `seconds` seconds on one core.
pub fn aes_256_gcm_bytes_per_sec(bytes: usize, seconds: u32) -> Result<f64, OpensslError> {
    let out = Command::new("openssl")
        .args(["speed", "-evp", "aes-256-gcm", "-mr"])
        .args([
            "-bytes",
            &bytes.to_string(),
            "-seconds",
            &seconds.to_string(),
        ])
        .output()
        .map_err(OpensslError::Missing)?;
    let text = String::from_utf8_lossy(&out.stdout);
    parse_mr(&text).ok_or_else(|| {
        OpensslError::Output(format!("{}{}", text, String::from_utf8_lossy(&out.stderr)))
    })
}

/// The CPU time of one PBKDF2-HMAC-SHA256 derivation of 32 bytes with
/// `iterations` rounds by `openssl kdf`: the best of `runs` runs, less the
/// best of the same with one round (the process's own start-up).
pub fn pbkdf2_sha256(iterations: u32, runs: u32) -> Result<Duration, OpensslError> {
    let best = |rounds: u32| -> Result<Duration, OpensslError> {
        let mut best = Duration::MAX;
        for _ in 0..runs.max(1) {
            let started = crate::cpu::children_cpu();
            let out = Command::new("openssl")
                .args(["kdf", "-keylen", "32", "-kdfopt", "digest:SHA256"])
                .args(["-kdfopt", "pass:correct horse battery staple"])
                .args(["-kdfopt", "hexsalt:00112233445566778899aabbccddeeff"])
                .args(["-kdfopt", &format!("iter:{rounds}"), "PBKDF2"])
                .output()
                .map_err(OpensslError::Missing)?;
            let elapsed = crate::cpu::children_cpu().saturating_sub(started);
            if !out.status.success() {
                return Err(OpensslError::Output(
                    String::from_utf8_lossy(&out.stderr).into_owned(),
                ));
            }
            best = best.min(elapsed);
        }
        Ok(best)
    };
    Ok(best(iterations)?.saturating_sub(best(1)?))
}

/// The `+F:<n>:<alg>:<bytes/s>...` line of `openssl speed -mr` (first size).
fn parse_mr(text: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with("+F:"))
        .and_then(|l| l.split(':').nth(3))
        .and_then(|v| v.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_machine_readable_output() {
        let text = "+DT:AES-256-GCM:1:16384\n+R:243702:AES-256-GCM:0.99\n+H:16384\n+F:25:AES-256-GCM:4033145018.18\n";
        assert_eq!(super::parse_mr(text), Some(4_033_145_018.18));
        assert_eq!(super::parse_mr("garbage"), None);
    }
}
