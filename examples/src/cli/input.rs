//! What the user hands over on standard input: the secret for `share`, the
//! link for `open`. On a terminal both are typed at a prompt that does not
//! echo; either way they are held in memory that is wiped when dropped.

use std::io::{BufRead, IsTerminal, Read};

use oneshot_core::Zeroizing;

use super::{CliError, exit};

/// The largest secret read from standard input (the server usually allows less).
pub const MAX_INPUT_BYTES: usize = 16 * 1024 * 1024;

/// The longest line read as a link (a link is a URL and a 43-character key).
pub const MAX_LINK_BYTES: usize = 8 * 1024;

/// Reads the secret: all of standard input, or a hidden prompt on a terminal.
pub(crate) fn read_secret() -> Result<Zeroizing<Vec<u8>>, CliError> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        let typed = rpassword::prompt_password("Secret (input hidden): ")
            .map_err(|e| CliError::new(exit::IO, format!("cannot read the secret: {e}")))?;
        return Ok(Zeroizing::new(typed.into_bytes()));
    }
    let mut buf = Zeroizing::new(Vec::new());
    stdin
        .lock()
        .take(MAX_INPUT_BYTES as u64 + 1)
        .read_to_end(&mut buf)
        .map_err(|e| CliError::new(exit::IO, format!("cannot read standard input: {e}")))?;
    if buf.len() > MAX_INPUT_BYTES {
        return Err(CliError::usage(format!(
            "the secret is larger than {MAX_INPUT_BYTES} bytes"
        )));
    }
    Ok(buf)
}

/// Reads the link (or bare key) for `open`: the first line of standard
/// input, trimmed, or a hidden prompt on a terminal. The rest of the input
/// is left unread.
pub(crate) fn read_link() -> Result<Zeroizing<String>, CliError> {
    let stdin = std::io::stdin();
    let line = if stdin.is_terminal() {
        let typed = rpassword::prompt_password("Link or key (input hidden): ")
            .map_err(|e| CliError::new(exit::IO, format!("cannot read the link: {e}")))?;
        Zeroizing::new(typed.into_bytes())
    } else {
        let mut line = Zeroizing::new(Vec::new());
        stdin
            .lock()
            .take(MAX_LINK_BYTES as u64 + 1)
            .read_until(b'\n', &mut line)
            .map_err(|e| CliError::new(exit::IO, format!("cannot read standard input: {e}")))?;
        if line.strip_suffix(b"\n").unwrap_or(&line).len() > MAX_LINK_BYTES {
            return Err(CliError::usage(format!(
                "malformed link: the line on standard input is longer than {MAX_LINK_BYTES} bytes"
            )));
        }
        line
    };
    let text = std::str::from_utf8(&line)
        .map_err(|_| CliError::usage("malformed link: standard input is not text"))?
        .trim();
    if text.is_empty() {
        return Err(CliError::usage(
            "no link given: pass it as an argument or on standard input",
        ));
    }
    Ok(Zeroizing::new(text.to_owned()))
}
