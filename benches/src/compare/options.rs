//! The command line of `oneshot-compare` and the budgets it selects.

use std::path::PathBuf;
use std::time::Duration;

/// The sections, in the order they run.
pub const SECTIONS: [&str; 6] = [
    "format",
    "memory-pairs",
    "redis",
    "http",
    "growth",
    "memory",
];

pub(crate) const USAGE: &str = "\
usage: oneshot-compare [--quick] [--only SECTION[,SECTION…]]
                       [--server-bin PATH] [--floor-bin PATH] [--allocs-bin PATH]
                       [--aead-bin PATH] [--server-variant LABEL=ARGS]… [--server-log FILTER]
sections: format, memory-pairs, redis, http, growth, memory (default: all)
  --server-bin PATH   oneshot-server to measure (default target/release/oneshot-server)
  --floor-bin PATH    the floor server (default: oneshot-floor beside this binary)
  --allocs-bin PATH   oneshot-allocs, for the memory store's bytes per secret
                      (default: beside this binary)
  --aead-bin PATH     another oneshot-compare build (e.g. with --features ring) whose
                      seal/open rows are measured in this run too
  --server-variant LABEL=ARGS  also measure oneshot-server started with ARGS
                      (space-separated); a LABEL starting with current-thread is
                      compared with the current-thread floor
  --server-log FILTER RUST_LOG for oneshot-server (default: RUST_LOG, else info)";

/// How long and how much each section runs.
#[derive(Debug, Clone)]
pub struct Budget {
    /// `--quick`.
    pub quick: bool,
    /// Measuring one seal/open row.
    pub crypto_time: Duration,
    /// `openssl speed -seconds`.
    pub openssl_seconds: u32,
    /// PBKDF2 derivations timed, at most.
    pub pbkdf2_runs: u32,
    /// Memory-store pairs per row.
    pub memory_pairs: u64,
    /// Redis-store pairs per row.
    pub redis_pairs: u64,
    /// Time bound of a store row.
    pub store_time: Duration,
    /// `redis-benchmark -n`.
    pub redis_benchmark_requests: u64,
    /// HTTP pairs per row (measured part).
    pub http_pairs: usize,
    /// Time bound of an HTTP row.
    pub http_time: Duration,
    /// Warm-up pairs per connection.
    pub http_warmup: usize,
    /// Growth: pairs per row.
    pub growth_pairs: u64,
    /// Growth: the stored counts.
    pub growth_levels: Vec<u64>,
    /// Growth: the stored counts Redis is filled to (10⁶ only in a full run).
    pub growth_redis_levels: Vec<u64>,
    /// Growth: time bound of filling one level.
    pub fill_time: Duration,
    /// Memory: secrets per measurement of 285-byte and of 64 KiB envelopes.
    pub memory_counts: (usize, usize),
}

impl Budget {
    fn new(quick: bool) -> Self {
        if quick {
            Self {
                quick,
                crypto_time: Duration::from_millis(300),
                openssl_seconds: 1,
                pbkdf2_runs: 2,
                memory_pairs: 300_000,
                redis_pairs: 20_000,
                store_time: Duration::from_secs(2),
                redis_benchmark_requests: 20_000,
                http_pairs: 5_000,
                http_time: Duration::from_millis(1500),
                http_warmup: 5,
                growth_pairs: 20_000,
                growth_levels: vec![1_000, 100_000, 1_000_000],
                growth_redis_levels: vec![1_000, 100_000],
                fill_time: Duration::from_secs(60),
                memory_counts: (20_000, 500),
            }
        } else {
            Self {
                quick,
                crypto_time: Duration::from_secs(2),
                openssl_seconds: 2,
                pbkdf2_runs: 10,
                memory_pairs: 4_000_000,
                redis_pairs: 300_000,
                store_time: Duration::from_secs(6),
                redis_benchmark_requests: 300_000,
                http_pairs: 200_000,
                http_time: Duration::from_secs(6),
                http_warmup: 20,
                growth_pairs: 300_000,
                growth_levels: vec![1_000, 100_000, 1_000_000],
                growth_redis_levels: vec![1_000, 100_000, 1_000_000],
                fill_time: Duration::from_secs(300),
                memory_counts: (100_000, 2_000),
            }
        }
    }
}

/// An extra way to start `oneshot-server` (`--server-variant LABEL=ARGS`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerVariant {
    /// Its name in the tables.
    pub label: String,
    /// Arguments added to the server's command line.
    pub args: Vec<String>,
}

/// The parsed command line.
#[derive(Debug, Clone)]
pub struct Options {
    /// The budgets (`--quick` or not).
    pub budget: Budget,
    /// `--only`: the sections to run; empty for all.
    pub only: Vec<String>,
    /// `--server-bin`.
    pub server_bin: PathBuf,
    /// `--floor-bin`.
    pub floor_bin: PathBuf,
    /// `--allocs-bin`.
    pub allocs_bin: PathBuf,
    /// `--aead-bin`.
    pub aead_bin: Option<PathBuf>,
    /// The server variants: `default` (no extra arguments) and each `--server-variant`.
    pub variants: Vec<ServerVariant>,
    /// `--server-log`.
    pub server_log: String,
    /// The internal `--aead-row VERSION SIZE MILLIS` mode (`[version, size, millis]`).
    pub aead_row: Option<[String; 3]>,
}

/// A binary beside this one (`cargo build` puts a package's binaries together).
fn sibling(name: &str) -> PathBuf {
    std::env::current_exe()
        .map(|exe| exe.with_file_name(name))
        .unwrap_or_else(|_| PathBuf::from(name))
}

impl Options {
    /// Parses the arguments (without the program name).
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Self, String> {
        let mut quick = false;
        let mut options = Self {
            budget: Budget::new(false),
            only: Vec::new(),
            server_bin: PathBuf::from("target/release/oneshot-server"),
            floor_bin: sibling("oneshot-floor"),
            allocs_bin: sibling("oneshot-allocs"),
            aead_bin: None,
            variants: vec![ServerVariant {
                label: "default".to_owned(),
                args: Vec::new(),
            }],
            server_log: std::env::var("RUST_LOG").unwrap_or_else(|_| "info".to_owned()),
            aead_row: None,
        };
        let mut args = args.into_iter();
        while let Some(flag) = args.next() {
            let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
            match flag.as_str() {
                "--quick" => quick = true,
                "--only" => {
                    for section in value()?.split(',') {
                        if !SECTIONS.contains(&section) {
                            return Err(format!("unknown section {section}"));
                        }
                        options.only.push(section.to_owned());
                    }
                }
                "--server-bin" => options.server_bin = value()?.into(),
                "--floor-bin" => options.floor_bin = value()?.into(),
                "--allocs-bin" => options.allocs_bin = value()?.into(),
                "--aead-bin" => options.aead_bin = Some(value()?.into()),
                "--server-log" => options.server_log = value()?,
                "--server-variant" => {
                    let spec = value()?;
                    let (label, args) = spec
                        .split_once('=')
                        .ok_or("--server-variant takes LABEL=ARGS")?;
                    options.variants.push(ServerVariant {
                        label: label.to_owned(),
                        args: args.split_whitespace().map(str::to_owned).collect(),
                    });
                }
                "--aead-row" => options.aead_row = Some([value()?, value()?, value()?]),
                "--help" | "-h" => return Err("help".to_owned()),
                other => return Err(format!("unknown argument {other}")),
            }
        }
        options.budget = Budget::new(quick);
        Ok(options)
    }

    /// Whether `section` runs.
    pub fn wants(&self, section: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|s| s == section)
    }
}

#[cfg(test)]
mod tests {
    use super::Options;

    fn parse(args: &[&str]) -> Result<Options, String> {
        Options::parse(args.iter().map(|s| (*s).to_owned()))
    }

    #[test]
    fn parses_sections_and_variants() {
        let o = parse(&[
            "--quick",
            "--only",
            "http,memory",
            "--server-variant",
            "current-thread=--runtime current-thread",
        ])
        .expect("valid");
        assert!(o.budget.quick);
        assert!(o.wants("http") && o.wants("memory") && !o.wants("format"));
        assert_eq!(o.variants.len(), 2);
        assert_eq!(o.variants[1].args, ["--runtime", "current-thread"]);
        assert!(parse(&["--only", "nope"]).is_err());
        assert!(parse(&["--server-bin"]).is_err());
        assert!(parse(&[]).expect("valid").wants("format"));
    }
}
