//! Where `open` puts a secret: standard output, `--output PATH`, or for a
//! file its own name in the current directory. Files are created new with
//! mode 0600; nothing is ever overwritten without `--force`, and a name
//! from the sender never leaves the current directory.

use std::ffi::OsStr;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{CliError, exit};

/// The longest file name most file systems take, in bytes.
const MAX_NAME_BYTES: usize = 255;

/// How many numbered names (`name (1).ext` …) are tried when a file's own
/// name is taken.
const MAX_NUMBERED: u32 = 99;

/// The name used when the sender's cannot serve as a local file name.
pub const FALLBACK_NAME: &str = "oneshot-file";

/// Whether `path` names `-`: standard output.
pub(crate) fn is_stdout(path: &Path) -> bool {
    path == Path::new("-")
}

/// Checks `--output PATH` before anything is taken: it must not exist
/// unless `force`, and must not be a directory.
pub(crate) fn check_output(path: &Path, force: bool) -> Result<(), CliError> {
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(CliError::new(
            exit::IO,
            format!("cannot use --output {}: {e}", path.display()),
        )),
        Ok(meta) if meta.is_dir() => Err(CliError::new(
            exit::IO,
            format!(
                "--output {} is a directory; give a file's path",
                path.display()
            ),
        )),
        Ok(_) if force => Ok(()),
        Ok(_) => Err(CliError::new(
            exit::IO,
            format!(
                "{} exists; nothing was taken (use --force to replace it, or another --output)",
                path.display()
            ),
        )),
    }
}

/// The sender's file name made safe for the current directory: it must be
/// a valid v2 name (checked again here), surrounding whitespace goes, and
/// leading dots become `_` (no hidden `.bashrc` or `.envrc` appears). `None`
/// when nothing usable is left or it would name anything but a file in the
/// current directory.
pub fn local_name(name: &str) -> Option<String> {
    oneshot_core::v2::validate_name(name).ok()?;
    let trimmed = name.trim();
    let undotted = trimmed.trim_start_matches('.');
    let local = format!("{}{undotted}", "_".repeat(trimmed.len() - undotted.len()));
    let only_a_name = !local.is_empty()
        && !local.contains(['/', '\\'])
        && Path::new(&local).file_name() == Some(OsStr::new(&local));
    only_a_name.then_some(local)
}

/// `name (n).ext`, within [`MAX_NAME_BYTES`].
fn numbered(name: &str, n: u32) -> String {
    // The first dot that does not start the name (`_envrc` has none).
    let split = name
        .char_indices()
        .skip(1)
        .find(|&(_, c)| c == '.')
        .map(|(i, _)| i);
    let (stem, extension) = match split {
        Some(i) => name.split_at(i),
        None => (name, ""),
    };
    let suffix = format!(" ({n}){extension}");
    let mut stem = stem.to_owned();
    while stem.len() + suffix.len() > MAX_NAME_BYTES && !stem.is_empty() {
        stem.pop();
    }
    format!("{stem}{suffix}")
}

/// Creates `path` new (`O_EXCL`, mode 0600) and writes `body`. With
/// `replace`, whatever is at `path` is removed first: a symlink itself,
/// never what it points to.
fn write_new(path: &Path, body: &[u8], replace: bool) -> std::io::Result<()> {
    if replace {
        match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(body)?;
    file.sync_all()
}

/// Writes `body` to `path` (from `--output`). The secret is gone from the
/// server by now, so a failure says so.
pub(crate) fn write_output(path: &Path, body: &[u8], force: bool) -> Result<(), CliError> {
    write_new(path, body, force).map_err(|e| lost(path, &e))
}

/// Writes a file under its own (made safe) name in the current directory,
/// or under a numbered one if that is taken (unless `force`). Returns the
/// name written.
pub(crate) fn write_in_current_dir(
    name: Option<&str>,
    body: &[u8],
    force: bool,
) -> Result<PathBuf, CliError> {
    let name = name
        .and_then(local_name)
        .unwrap_or_else(|| FALLBACK_NAME.to_owned());
    let first = PathBuf::from(&name);
    match write_new(&first, body, force) {
        Ok(()) => return Ok(first),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(lost(&first, &e)),
    }
    for n in 1..=MAX_NUMBERED {
        let path = PathBuf::from(numbered(&name, n));
        match write_new(&path, body, false) {
            Ok(()) => return Ok(path),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(lost(&path, &e)),
        }
    }
    Err(CliError::new(
        exit::IO,
        format!(
            "cannot write the file: {name} and {MAX_NUMBERED} numbered names exist (the secret is gone from the server; --output PATH would have chosen a free one)"
        ),
    ))
}

fn lost(path: &Path, e: &std::io::Error) -> CliError {
    CliError::new(
        exit::IO,
        format!(
            "cannot write {} (the secret is gone from the server): {e}",
            path.display()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_stay_in_the_current_directory() {
        assert_eq!(local_name("report.pdf").as_deref(), Some("report.pdf"));
        assert_eq!(local_name(" spaced ").as_deref(), Some("spaced"));
        assert_eq!(local_name(".envrc").as_deref(), Some("_envrc"));
        assert_eq!(local_name("...x").as_deref(), Some("___x"));
        assert_eq!(local_name("a..b").as_deref(), Some("a..b"));
        for refused in [
            "",
            " ",
            "a/b",
            "..",
            ".",
            "../x",
            "a\\b",
            "a\nb",
            "\u{202E}x",
        ] {
            assert_eq!(local_name(refused), None, "{refused:?}");
        }
    }

    #[test]
    fn numbered_names_keep_the_extension() {
        assert_eq!(numbered("report.pdf", 1), "report (1).pdf");
        assert_eq!(numbered("a.tar.gz", 2), "a (2).tar.gz");
        assert_eq!(numbered("_envrc", 3), "_envrc (3)");
        let long = format!("{}.txt", "é".repeat(125));
        let n = numbered(&long, 12);
        assert!(n.len() <= MAX_NAME_BYTES && n.ends_with(" (12).txt"), "{n}");
    }
}
