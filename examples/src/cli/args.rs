//! The command line: [`Cli`] and its subcommands, with the help text.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::ttl::parse_ttl;

/// Where `share` sends secrets when neither `--server` nor `ONESHOT_SERVER` says otherwise.
pub const DEFAULT_SERVER: &str = "http://127.0.0.1:3000";

/// The exit codes, as a literal so that `concat!` can join it to other help.
macro_rules! exit_codes_help {
    () => {
        "\
Exit codes:
  0  success
  1  local I/O error (reading the secret or the token file, writing it out)
  2  bad usage or input: malformed link, bad --ttl, empty or too large secret,
     an empty token file
  3  not found: already viewed, expired or never existed
  4  server or network failure (nothing certain about the secret's state)
  5  the secret was taken but could not be decrypted (it is gone)
  6  not authorised: the server needs its create token to share (--token-file
     or ONESHOT_TOKEN), or refused the one given; nothing was stored"
    };
}

const EXIT_CODES_HELP: &str = exit_codes_help!();

const OPEN_HELP: &str = concat!(
    "\
Examples:
  oneshot open 'https://host/s#<key>'
  oneshot open < link.txt                      (the link from a file)
  printf %s \"$LINK\" | oneshot open             (or from a pipe)
  oneshot open <key> --server https://host     (a bare key)
  oneshot open --server https://host -- <key>  (the same: `--` works too,
                                                also for a key that starts with -)

",
    exit_codes_help!()
);

/// Share and open one-time secrets through a oneshot server.
#[derive(Debug, Parser)]
#[command(name = "oneshot", version, after_help = EXIT_CODES_HELP)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Encrypt a secret read from standard input (or typed at a hidden
    /// prompt) and print its one-time link.
    #[command(after_help = EXIT_CODES_HELP)]
    Share {
        /// How long the link stays valid if nobody opens it (e.g. 30m, 1h,
        /// 3d). Default: the server's (usually 24h).
        #[arg(long, value_parser = parse_ttl, value_name = "DURATION")]
        ttl: Option<Duration>,
        /// The oneshot server.
        #[arg(long, env = "ONESHOT_SERVER", default_value = DEFAULT_SERVER, value_name = "URL")]
        server: String,
        /// A file holding the server's create token, for servers that let
        /// only token holders share (surrounding whitespace is ignored).
        /// Default: $ONESHOT_TOKEN, if set. Opening a link never needs it.
        #[arg(long, value_name = "PATH")]
        token_file: Option<PathBuf>,
    },
    /// Open a one-time link (or a bare key with --server) and print the
    /// secret to standard output. This consumes it.
    #[command(after_help = OPEN_HELP)]
    Open {
        /// The link, `https://host/s#<key>`, or the bare 43-character key.
        /// Leave it out, or give `-`, to read it from standard input.
        ///
        /// Standard input keeps the link out of the shell history and the
        /// process list: one line, surrounding whitespace ignored; on a
        /// terminal, a prompt that does not echo. A bare key may start with
        /// `-`; it is taken as the key, before or after `--server`, and so
        /// is anything after `--`.
        // Keys start with `-` one time in 64: without this clap would read
        // one as a cluster of short flags.
        #[arg(allow_hyphen_values = true, value_name = "LINK")]
        link: Option<String>,
        /// The server to ask; needed only with a bare key.
        #[arg(long, value_name = "URL")]
        server: Option<String>,
    },
}
