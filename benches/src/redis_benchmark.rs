//! The reference for the Redis store: `redis-benchmark` sending the same
//! commands the store sends (`SET key <285 bytes> PX 60000 NX`, and the plain take `SET key "" XX GET PX 259200000`),
//! with the same number of clients, with and without pipelining.

use std::process::Command;

use crate::workload::ENVELOPE_LEN;

/// Why the reference could not be had.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RedisBenchmarkError {
    /// `redis-benchmark` is not installed.
    #[error("`redis-benchmark` not found ({0}); install it with: sudo apt-get install redis-tools")]
    Missing(#[source] std::io::Error),
    /// It ran but failed or printed no CSV result.
    #[error("`redis-benchmark` failed or printed no result: {0}")]
    Output(String),
}

/// Requests per second for the create and the take commands, and the pair rate they imply.
#[derive(Debug, Clone, Copy)]
pub struct Reference {
    /// `SET … PX … NX` requests per second.
    pub set_rps: f64,
    /// Take (`SET … XX GET PX …`) requests per second.
    pub take_rps: f64,
}

impl Reference {
    /// Put+take pairs per second if every pair costs one create and one take:
    /// the harmonic combination of the two rates.
    pub fn pairs_per_sec(&self) -> f64 {
        1.0 / (1.0 / self.set_rps + 1.0 / self.take_rps)
    }
}

/// The `redis-benchmark --version` line.
pub fn version() -> Result<String, RedisBenchmarkError> {
    let out = Command::new("redis-benchmark")
        .arg("--version")
        .output()
        .map_err(RedisBenchmarkError::Missing)?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Runs both commands against `127.0.0.1:port` with `clients` connections,
/// `requests` requests each, pipelining `pipeline` deep (1 = none).
///
/// The keys are random over a space much larger than `requests`, so SET mostly
/// creates and the take mostly misses: the reference is the server's command rate,
/// which is what bounds the store.
pub fn measure(
    port: u16,
    clients: usize,
    requests: u64,
    pipeline: usize,
) -> Result<Reference, RedisBenchmarkError> {
    let value = "x".repeat(ENVELOPE_LEN);
    let set_rps = run(
        port,
        clients,
        requests,
        pipeline,
        &[
            "SET",
            "oneshot:bench:__rand_int__",
            &value,
            "PX",
            "60000",
            "NX",
        ],
    )?;
    // The store's plain take: replace the envelope with the spent marker
    // (`""`, kept for the store's 72 h max TTL) and return the envelope.
    let take_rps = run(
        port,
        clients,
        requests,
        pipeline,
        &[
            "SET",
            "oneshot:bench:__rand_int__",
            "",
            "XX",
            "GET",
            "PX",
            "259200000",
        ],
    )?;
    Ok(Reference { set_rps, take_rps })
}

fn run(
    port: u16,
    clients: usize,
    requests: u64,
    pipeline: usize,
    command: &[&str],
) -> Result<f64, RedisBenchmarkError> {
    let out = Command::new("redis-benchmark")
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(["-c", &clients.to_string(), "-n", &requests.to_string()])
        .args([
            "-P",
            &pipeline.max(1).to_string(),
            "-r",
            "100000000",
            "--csv",
        ])
        .args(command)
        .output()
        .map_err(RedisBenchmarkError::Missing)?;
    let text = String::from_utf8_lossy(&out.stdout);
    parse_csv_rps(&text).ok_or_else(|| {
        RedisBenchmarkError::Output(format!("{}{}", text, String::from_utf8_lossy(&out.stderr)))
    })
}

/// The `rps` column of the first data row of `--csv` output.
fn parse_csv_rps(text: &str) -> Option<f64> {
    let row = text
        .lines()
        .find(|l| !l.starts_with("\"test\"") && l.contains("\",\""))?;
    // The command may contain commas only inside its quoted first field.
    let after_test = row.rsplitn(8, "\",\"").collect::<Vec<_>>();
    after_test.get(6)?.trim_matches('"').parse().ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_csv() {
        let text = "\"test\",\"rps\",\"avg_latency_ms\",\"min_latency_ms\",\"p50_latency_ms\",\"p95_latency_ms\",\"p99_latency_ms\",\"max_latency_ms\"\n\"GETDEL oneshot:__rand_int__\",\"500000.00\",\"0.218\",\"0.064\",\"0.207\",\"0.367\",\"0.415\",\"4.511\"\n";
        assert_eq!(super::parse_csv_rps(text), Some(500_000.0));
        assert_eq!(super::parse_csv_rps("nothing"), None);
    }

    #[test]
    fn pair_rate_is_harmonic() {
        let r = super::Reference {
            set_rps: 100.0,
            take_rps: 100.0,
        };
        assert!((r.pairs_per_sec() - 50.0).abs() < 1e-9);
    }
}
