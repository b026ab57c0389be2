//! `oneshot-floor`: the bare hyper server `oneshot-compare --only http`
//! measures `oneshot-server` against (see `oneshot_benches::floor`).
//!
//! ```text
//! oneshot-floor [--listen 127.0.0.1:0] [--runtime multi-thread|current-thread]
//!               [--create-len N] [--take-len N] [--miss-len N]
//! ```
//!
//! The lengths are those of the server's answers (`oneshot-compare` measures
//! them on the server first); the defaults fit a 285-byte envelope. It prints
//! `oneshot-floor: listening on http://ADDR` once ready and serves until killed.
#![forbid(unsafe_code)]

use std::net::SocketAddr;
use std::process::ExitCode;

use oneshot_benches::floor::{self, BodyLens, Flavour};

const USAGE: &str = "usage: oneshot-floor [--listen ADDR] [--runtime multi-thread|current-thread] \
                     [--create-len N] [--take-len N] [--miss-len N]";

fn parse() -> Result<(SocketAddr, Flavour, BodyLens), String> {
    let mut listen = SocketAddr::from(([127, 0, 0, 1], 0));
    let mut flavour = Flavour::MultiThread;
    // A 285-byte envelope is 380 base64url characters.
    let mut lens = BodyLens {
        create: 57,
        take: 395,
        miss: 78,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        let len = |v: String| v.parse::<usize>().map_err(|e| format!("{flag}: {e}"));
        match flag.as_str() {
            "--listen" => listen = value()?.parse().map_err(|e| format!("--listen: {e}"))?,
            "--runtime" => {
                let name = value()?;
                flavour = Flavour::from_name(&name).ok_or(format!("unknown runtime {name}"))?;
            }
            "--create-len" => lens.create = len(value()?)?,
            "--take-len" => lens.take = len(value()?)?,
            "--miss-len" => lens.miss = len(value()?)?,
            "--help" | "-h" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    Ok((listen, flavour, lens))
}

fn main() -> ExitCode {
    let (listen, flavour, lens) = match parse() {
        Ok(parsed) => parsed,
        Err(e) => {
            eprintln!("oneshot-floor: {e}");
            return ExitCode::from(2);
        }
    };
    match floor::run(listen, flavour, lens) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("oneshot-floor: {e}");
            ExitCode::FAILURE
        }
    }
}
