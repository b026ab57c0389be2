//! The create token for `share`: from `--token-file` or `$ONESHOT_TOKEN`.

use std::io::Read;
use std::path::Path;

use oneshot_core::Zeroizing;

use super::{CliError, exit};

/// The environment variable `share` reads the create token from when
/// `--token-file` is not given.
pub const TOKEN_ENV: &str = "ONESHOT_TOKEN";

/// Reads a create token from a file: the whole file, trimmed. An unreadable
/// file is an I/O error, an empty one bad input. Never echoes the contents.
pub fn read_token_file(path: &Path) -> Result<Zeroizing<String>, CliError> {
    let mut text = Zeroizing::new(String::new());
    std::fs::File::open(path)
        .and_then(|f| f.take(64 * 1024).read_to_string(&mut text))
        .map_err(|e| {
            CliError::new(
                exit::IO,
                format!("cannot read the token file {}: {e}", path.display()),
            )
        })?;
    let token = Zeroizing::new(text.trim().to_owned());
    check_token(&token, &format!("the token file {}", path.display()))?;
    Ok(token)
}

/// A token must be non-empty printable ASCII without spaces to go in a header.
fn check_token(token: &str, source: &str) -> Result<(), CliError> {
    if token.is_empty() {
        return Err(CliError::usage(format!("{source} is empty")));
    }
    if !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(CliError::usage(format!(
            "{source} must hold printable ASCII without spaces"
        )));
    }
    Ok(())
}

/// The token for `share`: from `token_file`, else `$ONESHOT_TOKEN` when set
/// and not empty, else none.
pub fn resolve_token(token_file: Option<&Path>) -> Result<Option<Zeroizing<String>>, CliError> {
    if let Some(path) = token_file {
        return read_token_file(path).map(Some);
    }
    match std::env::var(TOKEN_ENV) {
        Ok(value) => {
            let value = Zeroizing::new(value);
            let token = Zeroizing::new(value.trim().to_owned());
            if token.is_empty() {
                return Ok(None);
            }
            check_token(&token, TOKEN_ENV)?;
            Ok(Some(token))
        }
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => {
            Err(CliError::usage(format!("{TOKEN_ENV} is not valid text")))
        }
    }
}
