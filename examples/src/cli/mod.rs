//! The `oneshot` command-line client: `oneshot share` and `oneshot open`.
//!
//! It speaks the same JSON API ([`crate::wire`]) and format as the page, so a
//! link made by either opens in the other. The key never leaves this process
//! except inside the link that `share` prints.
//!
//! One job per file: `args` (the command line, [`Cli`], and its help),
//! [`exit`] and `error` ([`CliError`]) for how it fails, `target` (server
//! URLs and links), `http` (requests, repeated only when the server says that
//! is safe), `token` (the create token), `input` (the secret and the link
//! from standard input) and `flows` ([`share`] and [`open`]).

mod args;
mod error;
pub mod exit;
mod flows;
mod http;
mod input;
mod target;
mod token;

use std::io::{IsTerminal, Write};

use oneshot_core::Zeroizing;

pub use args::{Cli, Command, DEFAULT_SERVER};
pub use error::CliError;
pub use flows::{Shared, open, share};
pub use http::http_client;
pub use input::{MAX_INPUT_BYTES, MAX_LINK_BYTES};
pub use target::{OpenTarget, parse_open_target, parse_server};
pub use token::{TOKEN_ENV, read_token_file, resolve_token};

use crate::ttl::format_unix_utc;

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
        } => {
            // Check the server URL and the token before asking for the secret.
            parse_server(&server)?;
            let token = resolve_token(token_file.as_deref())?;
            let secret = input::read_secret()?;
            let shared = share(&secret, ttl, &server, token.as_ref().map(|t| t.as_str())).await?;
            let mut out = std::io::stdout().lock();
            writeln!(out, "{}", shared.link.as_str())
                .and_then(|()| out.flush())
                .map_err(|e| CliError::new(exit::IO, format!("cannot write the link: {e}")))?;
            if std::io::stderr().is_terminal() && shared.expires_at > 0 {
                eprintln!(
                    "oneshot: the link works once and expires {} if unread",
                    format_unix_utc(shared.expires_at)
                );
            }
            Ok(())
        }
        Command::Open { link, server } => {
            let link = match link {
                Some(link) if link != "-" => Zeroizing::new(link),
                _ => input::read_link()?,
            };
            let target = parse_open_target(&link, server.as_deref())?;
            drop(link);
            let secret = open(&target).await?;
            let mut out = std::io::stdout().lock();
            let newline = out.is_terminal() && !secret.ends_with(b"\n");
            out.write_all(&secret)
                .and_then(|()| {
                    if newline {
                        out.write_all(b"\n")
                    } else {
                        Ok(())
                    }
                })
                .and_then(|()| out.flush())
                .map_err(|e| {
                    CliError::new(
                        exit::IO,
                        format!("cannot write the secret (it is gone from the server): {e}"),
                    )
                })
        }
    }
}
