//! `oneshot`: share and open one-time secrets from the command line.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;
use oneshot_examples::cli::{Cli, run};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    ExitCode::from(run(cli).await)
}
