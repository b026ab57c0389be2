//! Passphrases: from a file (`--passphrase-file`) or a prompt that does not
//! echo, never from the command line; held in memory that is wiped when
//! dropped.

use std::io::Read;
use std::path::Path;

use oneshot_core::Zeroizing;
use oneshot_core::v2::Passphrase;

use super::{CliError, exit};

/// The most read from a passphrase file: far more than the format's 1,024
/// bytes, so that a too-long one is refused by the format's own check.
const MAX_FILE_BYTES: u64 = 64 * 1024;

/// The passphrase in `path`: the whole file, without one trailing newline
/// (`\n` or `\r\n`). Nothing else is trimmed: spaces are part of it.
pub fn read_passphrase_file(path: &Path) -> Result<Passphrase, CliError> {
    let mut bytes = Zeroizing::new(Vec::new());
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_FILE_BYTES).read_to_end(&mut bytes))
        .map_err(|e| {
            CliError::new(
                exit::IO,
                format!("cannot read the passphrase file {}: {e}", path.display()),
            )
        })?;
    let text = std::str::from_utf8(&bytes).map_err(|_| {
        CliError::usage(format!(
            "the passphrase file {} is not UTF-8 text",
            path.display()
        ))
    })?;
    let text = text.strip_suffix('\n').unwrap_or(text);
    let text = text.strip_suffix('\r').unwrap_or(text);
    passphrase(text, &format!("the passphrase in {}", path.display()))
}

/// Asks on the terminal without echo; `confirm` asks twice (for `share`).
/// Without a terminal it says to use `--passphrase-file`.
pub fn prompt_passphrase(confirm: bool) -> Result<Passphrase, CliError> {
    let ask = |prompt: &str| {
        rpassword::prompt_password(prompt)
            .map(Zeroizing::new)
            .map_err(|e| {
                CliError::usage(format!(
                    "cannot ask for the passphrase ({e}): without a terminal, give --passphrase-file PATH"
                ))
            })
    };
    let typed = ask("Passphrase (input hidden): ")?;
    if confirm {
        let again = ask("Passphrase again: ")?;
        if *again != *typed {
            return Err(CliError::usage(
                "the two passphrases differ; nothing was shared",
            ));
        }
    }
    passphrase(&typed, "the passphrase")
}

fn passphrase(text: &str, what: &str) -> Result<Passphrase, CliError> {
    Passphrase::new(text).map_err(|e| CliError::usage(format!("{what} is unusable: {e}")))
}
