//! The "Machine" section, and the early checks that the reference tools the
//! chosen sections need are installed.

use std::process::Command;

use super::{Error, Options};
use crate::{AEAD_BACKEND, openssl, redis_benchmark};

/// Fails, with the install command, if a tool a chosen section needs is
/// missing; then prints what the run ran on.
pub(super) fn print(options: &Options) -> Result<(), Error> {
    let openssl_version = if options.wants("format") {
        Some(openssl::version()?)
    } else {
        None
    };
    let redis_benchmark_version = if options.wants("redis") {
        Some(redis_benchmark::version()?)
    } else {
        None
    };
    let needs_redis = ["redis", "http", "growth", "memory"]
        .iter()
        .any(|s| options.wants(s));
    if needs_redis {
        require("redis-server", "sudo apt-get install redis-server")?;
    }
    if options.wants("memory") {
        require("redis-cli", "sudo apt-get install redis-tools")?;
    }

    println!("## Machine\n");
    println!("- CPU: {} ({} cores online)", cpu_model(), cores());
    println!("- load average at start: {}", load_average());
    println!("- {}", command_line("rustc", &["--version"]));
    if let Some(v) = openssl_version {
        println!("- {v}");
    }
    if let Some(v) = redis_benchmark_version {
        println!("- {v}");
    }
    if needs_redis {
        println!("- {}", command_line("redis-server", &["--version"]));
    }
    if options.wants("http") {
        println!(
            "- server: {} ({})",
            options.server_bin.display(),
            command_line(&options.server_bin.to_string_lossy(), &["--version"])
        );
    }
    println!(
        "- build: {}, AEAD backend {AEAD_BACKEND}\n",
        if cfg!(debug_assertions) {
            "debug (use --release!)"
        } else {
            "release"
        }
    );
    Ok(())
}

/// An error with the install command unless `binary --version` runs.
fn require(binary: &str, install: &str) -> Result<(), Error> {
    let runs = Command::new(binary)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if runs {
        Ok(())
    } else {
        Err(format!("`{binary}` not found; install it with: {install}").into())
    }
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into())
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

/// Cores this process may run on.
pub(crate) fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn command_line(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|e| format!("{program}: {e}"))
}
