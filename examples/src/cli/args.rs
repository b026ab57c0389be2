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
  0  success (for status: whatever the state, which it prints)
  1  local I/O error (reading the secret, a file or the token file, writing
     a file out; an output or receipt file that exists already)
  2  bad usage or input: malformed link, bad --ttl, empty or too large secret,
     an empty token file, a missing or unusable passphrase or file name,
     plain http:// to a server off this machine without --insecure
  3  not found: already viewed, expired or never existed (for status and
     burn: no such receipt, or it is kept no longer)
  4  server or network failure (nothing certain about the secret's state),
     including a redirect (never followed) and 429 rate_limited
  5  the secret was taken but could not be decrypted (it is gone)
  6  not authorised: the server needs its create token to share (--token-file
     or ONESHOT_TOKEN), or refused the one given; nothing was stored
  7  wrong passphrase: the secret is still there, unless the message says
     that was the last attempt and it is destroyed
  8  burn refused: the secret was already read, burned or expired (nothing
     changed)"
    };
}

const EXIT_CODES_HELP: &str = exit_codes_help!();

const SHARE_HELP: &str = concat!(
    "\
Examples:
  printf %s \"$API_KEY\" | oneshot share --ttl 1h
  oneshot share --passphrase < secret.txt         (asks for a passphrase)
  oneshot share --file report.pdf --passphrase-file pass.txt
  oneshot share --file key.pem --receipt key.receipt
  oneshot status --receipt-file key.receipt

Only the reader's link goes to standard output. The passphrase should reach
the reader by another channel than the link.

Plain http:// is refused unless the server is on this machine (127.0.0.0/8,
::1, localhost) or --insecure is given; redirects are never followed.

",
    exit_codes_help!()
);

const OPEN_HELP: &str = concat!(
    "\
Examples:
  oneshot open 'https://host/s#<key>'
  oneshot open < link.txt                      (the link from a file)
  printf %s \"$LINK\" | oneshot open             (or from a pipe)
  oneshot open <key> --server https://host     (a bare key)
  oneshot open --server https://host -- <key>  (the same: `--` works too,
                                                also for a key that starts with -)
  oneshot open \"$LINK\" --passphrase-file pass.txt
  oneshot open \"$LINK\" --output report.pdf     (a file, under another name)

A text goes to standard output. A file is written to --output, or under its
own name (a leading dot becomes _) in the current directory, with mode 0600
and never over an existing file: if the name is taken it is saved as
`name (1).ext` and the like, unless --force.

",
    exit_codes_help!()
);

const RECEIPT_HELP: &str = concat!(
    "\
Examples:
  oneshot status --receipt-file key.receipt
  oneshot status --json < key.receipt
  oneshot burn 'https://host/r#<receipt>'

States: pending (not read yet), read, burned (by the sender, or after too
many wrong passphrases), expired (not read in time).

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

/// Where a receipt link comes from, for `status` and `burn`.
#[derive(Debug, Clone, clap::Args)]
pub struct ReceiptArgs {
    /// The receipt link, `https://host/r#<receipt>`, or the bare
    /// 66-character receipt. Leave it out, or give `-`, to read it from
    /// standard input (one line; a prompt that does not echo on a terminal).
    #[arg(
        allow_hyphen_values = true,
        value_name = "RECEIPT",
        conflicts_with = "receipt_file"
    )]
    pub receipt: Option<String>,
    /// Read the receipt link from this file (as `share --receipt` wrote it).
    #[arg(long, value_name = "PATH")]
    pub receipt_file: Option<PathBuf>,
    /// The server to ask; needed only with a bare receipt.
    #[arg(long, value_name = "URL")]
    pub server: Option<String>,
    /// Print the receipt as the server's JSON instead of sentences.
    #[arg(long)]
    pub json: bool,
    /// Allow plain http:// to a server that is not on this machine
    /// (loopback); see `share --insecure`.
    #[arg(long)]
    pub insecure: bool,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Encrypt a secret read from standard input (or typed at a hidden
    /// prompt), or a file, and print its one-time link.
    #[command(after_help = SHARE_HELP)]
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
        /// Ask for a passphrase (twice, without echo) that the reader must
        /// give besides the link. Needs a terminal; see --passphrase-file.
        #[arg(long, conflicts_with = "passphrase_file")]
        passphrase: bool,
        /// Read the passphrase from this file: its whole content, without a
        /// trailing newline. Never give a passphrase on the command line.
        #[arg(long, value_name = "PATH")]
        passphrase_file: Option<PathBuf>,
        /// Share this file (its name and media type travel encrypted with
        /// it) instead of standard input.
        #[arg(long, value_name = "PATH")]
        file: Option<PathBuf>,
        /// The file's name as the reader sees it (default: the name of
        /// --file). No path separators or control characters.
        #[arg(long, value_name = "NAME", requires = "file")]
        name: Option<String>,
        /// The file's media type (default: guessed from the name's
        /// extension, else application/octet-stream).
        #[arg(long, value_name = "TYPE", requires = "file")]
        media_type: Option<String>,
        /// Ask for a receipt and write its link to this new file (mode
        /// 0600). With it, `oneshot status` tells whether the secret was
        /// read and `oneshot burn` destroys it unread. It is never printed.
        #[arg(long, value_name = "FILE")]
        receipt: Option<PathBuf>,
        /// Allow plain http:// to a server that is not on this machine
        /// (loopback). Without it such a URL is refused before anything is
        /// sent: on the way, anyone could read the request and take or replace
        /// the secret.
        #[arg(long)]
        insecure: bool,
    },
    /// Open a one-time link (or a bare key with --server) and print the
    /// secret to standard output, or write the file it holds. This consumes it.
    #[command(after_help = OPEN_HELP)]
    Open {
        /// The link, `https://host/s#<key>`, or the bare key (43 characters
        /// for an older link, 46 for a new one). Leave it out, or give `-`,
        /// to read it from standard input.
        ///
        /// Standard input keeps the link out of the shell history and the
        /// process list: one line, surrounding whitespace ignored; on a
        /// terminal, a prompt that does not echo. A bare key may start with
        /// `-`; it is taken as the key, before or after `--server`, and so
        /// is anything after `--`.
        // Old keys start with `-` one time in 64: without this clap would
        // read one as a cluster of short flags.
        #[arg(allow_hyphen_values = true, value_name = "LINK")]
        link: Option<String>,
        /// The server to ask; needed only with a bare key.
        #[arg(long, value_name = "URL")]
        server: Option<String>,
        /// For a link that needs a passphrase: read it from this file (its
        /// whole content, without a trailing newline) instead of asking.
        #[arg(long, value_name = "PATH")]
        passphrase_file: Option<PathBuf>,
        /// Write the secret (a text or a file) to this new file, or to
        /// standard output for `-`. Checked before the secret is taken.
        #[arg(long, short, value_name = "PATH")]
        output: Option<PathBuf>,
        /// Replace an existing file instead of refusing (--output) or
        /// choosing another name (a file's own name).
        #[arg(long)]
        force: bool,
        /// Allow plain http:// to a server that is not on this machine
        /// (loopback). Without it such a URL is refused before anything is
        /// sent: on the way, anyone could read the request and take or replace
        /// the secret.
        #[arg(long)]
        insecure: bool,
    },
    /// Print what happened to a secret shared with --receipt: pending,
    /// read, burned or expired.
    #[command(after_help = RECEIPT_HELP)]
    Status {
        /// Where the receipt link comes from.
        #[command(flatten)]
        receipt: ReceiptArgs,
    },
    /// Destroy a secret shared with --receipt, if nobody has read it yet.
    #[command(after_help = RECEIPT_HELP)]
    Burn {
        /// Where the receipt link comes from.
        #[command(flatten)]
        receipt: ReceiptArgs,
    },
}
