//! The `oneshot` command-line client: `oneshot share`, `oneshot open`,
//! `oneshot status` and `oneshot burn`.
//!
//! It speaks the same JSON API ([`crate::wire`]) and format as the page, so a
//! link made by either opens in the other. `share` makes format v2 links
//! (with a passphrase, a file, a receipt); `open` opens v1 and v2 links. The
//! key never leaves this process except inside the link that `share`
//! prints, and the receipt key only inside the receipt file.
//!
//! One job per file: `args` (the command line, [`Cli`], and its help),
//! [`exit`] and `error` ([`CliError`]) for how it fails, `target` (server
//! URLs and links), `http` (requests, repeated only when the server says that
//! is safe), `token` (the create token), `transport` (plain HTTP only to loopback), `input` (the secret, files and links
//! from standard input), `passphrase` (from a file or a prompt), `media`
//! (media types from extensions), `output` (where a secret is written),
//! `share`, `open` and `receipt` (the requests of each command, as library
//! calls: [`share()`], [`open()`], [`status()`], [`burn()`]) and `commands`
//! (each subcommand from its arguments to what it prints).

mod args;
mod commands;
mod error;
pub mod exit;
mod http;
mod input;
mod media;
mod open;
mod output;
mod passphrase;
mod receipt;
mod share;
mod target;
mod token;
mod transport;

pub use args::{Cli, Command, DEFAULT_SERVER, ReceiptArgs};
pub use error::CliError;
pub use http::http_client;
pub use input::{MAX_INPUT_BYTES, MAX_LINK_BYTES};
pub use media::guess_media_type;
pub use open::{Revealed, open};
pub use output::{FALLBACK_NAME, local_name};
pub use passphrase::{prompt_passphrase, read_passphrase_file};
pub use receipt::{Burned, burn, describe, status};
pub use share::{Shared, Sharing, server_config, share};
pub use target::{
    OpenTarget, ReceiptTarget, parse_open_target, parse_receipt_target, parse_server,
};
pub use token::{TOKEN_ENV, read_token_file, resolve_token};

use commands::{OpenArgs, ShareArgs};

/// Runs a parsed command line; returns the process exit code.
pub async fn run(cli: Cli) -> u8 {
    match run_inner(cli).await {
        Ok(()) => exit::OK,
        Err(e) => {
            eprintln!("oneshot: error: {}", e.message);
            e.code
        }
    }
}

async fn run_inner(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Share {
            ttl,
            server,
            token_file,
            passphrase,
            passphrase_file,
            file,
            name,
            media_type,
            receipt,
            insecure,
        } => {
            commands::run_share(ShareArgs {
                ttl,
                server,
                token_file,
                passphrase,
                passphrase_file,
                file,
                name,
                media_type,
                receipt,
                insecure,
            })
            .await
        }
        Command::Open {
            link,
            server,
            passphrase_file,
            output,
            force,
            insecure,
        } => {
            commands::run_open(OpenArgs {
                link,
                server,
                passphrase_file,
                output,
                force,
                insecure,
            })
            .await
        }
        Command::Status { receipt } => commands::run_status(receipt).await,
        Command::Burn { receipt } => commands::run_burn(receipt).await,
    }
}
