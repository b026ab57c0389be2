//! The reference for seal/open: `openssl speed -evp aes-256-gcm`, one size at a
//! time, parsed from its machine-readable (`-mr`) output.

use std::process::Command;

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
