//! One run, one machine: oneshot next to its references, as markdown tables.
//!
//! ```text
//! cargo build --release -p oneshot-benches --bins
//! target/release/oneshot-compare [--quick] [--only format,memory-pairs,redis,http,growth,memory]
//!     [--server-bin target/release/oneshot-server] [--aead-bin target/ring/release/oneshot-compare]
//! ```
//!
//! The sections and their options are in `oneshot_benches::compare`; every
//! loop is bounded in count and in time, and every result is checked. It
//! starts and stops its own `redis-server`, `oneshot-server` and
//! `oneshot-floor` processes.
#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    oneshot_benches::compare::main()
}
