//! Each subcommand from its parsed arguments to what it prints: where its
//! inputs come from, in which order, and where the results go.

use std::fs::OpenOptions;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use oneshot_core::Zeroizing;
use oneshot_core::v2::{Content, Kind, Passphrase, validate_media_type, validate_name};

use super::args::ReceiptArgs;
use super::input::{self, MAX_INPUT_BYTES};
use super::media::guess_media_type;
use super::open::open;
use super::output::{check_output, is_stdout, write_in_current_dir, write_output};
use super::passphrase::{prompt_passphrase, read_passphrase_file};
use super::receipt::{Burned, burn, describe, refused, status};
use super::share::{Sharing, server_config, share};
use super::target::{parse_open_target, parse_receipt_target, parse_server};
use super::token::resolve_token;
use super::transport::require_secure;
use super::{CliError, exit};
use crate::ttl::format_unix_utc;
use crate::wire::v2::ReceiptResponse;

/// What `share` was told on the command line.
pub(crate) struct ShareArgs {
    pub(crate) ttl: Option<Duration>,
    pub(crate) server: String,
    pub(crate) token_file: Option<PathBuf>,
    pub(crate) passphrase: bool,
    pub(crate) passphrase_file: Option<PathBuf>,
    pub(crate) file: Option<PathBuf>,
    pub(crate) name: Option<String>,
    pub(crate) media_type: Option<String>,
    pub(crate) receipt: Option<PathBuf>,
    pub(crate) insecure: bool,
}

/// What `open` was told on the command line.
pub(crate) struct OpenArgs {
    pub(crate) link: Option<String>,
    pub(crate) server: Option<String>,
    pub(crate) passphrase_file: Option<PathBuf>,
    pub(crate) output: Option<PathBuf>,
    pub(crate) force: bool,
    pub(crate) insecure: bool,
}

fn write_stdout(bytes: &[u8], what: &str) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(|e| CliError::new(exit::IO, format!("cannot write {what}: {e}")))
}

/// The file's content (name and media type) for `share --file`, checked
/// before anything is read or sent.
fn file_content(
    path: &Path,
    name: Option<&str>,
    media_type: Option<&str>,
) -> Result<Content, CliError> {
    let name = match name {
        Some(name) => {
            validate_name(name)
                .map_err(|e| CliError::usage(format!("--name cannot be used: {e}")))?;
            name.to_owned()
        }
        None => {
            let own = path.file_name().and_then(|n| n.to_str()).ok_or_else(|| {
                CliError::usage("the file's name is not UTF-8 text; give one with --name NAME")
            })?;
            validate_name(own).map_err(|e| {
                CliError::usage(format!(
                    "the file's name cannot be sent ({e}); give another with --name NAME"
                ))
            })?;
            own.to_owned()
        }
    };
    let media_type = match media_type {
        Some(given) => {
            validate_media_type(given)
                .map_err(|e| CliError::usage(format!("--media-type cannot be used: {e}")))?;
            given
        }
        None => guess_media_type(&name),
    };
    Content::file(&name, media_type).map_err(|e| CliError::usage(e.to_string()))
}

/// Creates the receipt file new, mode 0600, before anything is stored.
fn create_receipt_file(path: &Path) -> Result<std::fs::File, CliError> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map_err(|e| {
        let why = if e.kind() == std::io::ErrorKind::AlreadyExists {
            "it exists (a receipt file is never overwritten)".to_owned()
        } else {
            e.to_string()
        };
        CliError::new(
            exit::IO,
            format!(
                "cannot create the receipt file {}: {why}; nothing was shared",
                path.display()
            ),
        )
    })
}

pub(crate) async fn run_share(args: ShareArgs) -> Result<(), CliError> {
    // Everything that needs no network and no input first.
    require_secure(&parse_server(&args.server)?, args.insecure)?;
    let token = resolve_token(args.token_file.as_deref())?;
    let content = args
        .file
        .as_deref()
        .map(|path| file_content(path, args.name.as_deref(), args.media_type.as_deref()))
        .transpose()?;
    let mut passphrase = args
        .passphrase_file
        .as_deref()
        .map(read_passphrase_file)
        .transpose()?;

    // The server's limit, so that nothing larger is read or sent.
    let config = server_config(&args.server).await?;
    let max = config.as_ref().map_or(MAX_INPUT_BYTES, |c| {
        usize::try_from(c.max_bytes).unwrap_or(usize::MAX)
    });
    let secret = match &args.file {
        Some(path) => input::read_file(path, max)?,
        None => input::read_secret(max)?,
    };
    if args.passphrase {
        passphrase = Some(prompt_passphrase(true)?);
    }

    let mut receipt_file = args
        .receipt
        .as_deref()
        .map(|path| create_receipt_file(path).map(|file| (path, file)))
        .transpose()?;
    let sharing = Sharing {
        ttl: args.ttl,
        passphrase,
        content,
        receipt: receipt_file.is_some(),
    };
    let shared = match share(
        &secret,
        &sharing,
        &args.server,
        token.as_ref().map(|t| t.as_str()),
    )
    .await
    {
        Ok(shared) => shared,
        Err(e) => {
            if let Some((path, file)) = receipt_file.take() {
                drop(file);
                let _ = std::fs::remove_file(path);
            }
            return Err(e);
        }
    };
    drop(secret);

    write_stdout(format!("{}\n", shared.link.as_str()).as_bytes(), "the link")?;
    if let (Some((path, mut file)), Some(link)) = (receipt_file, shared.receipt_link) {
        let line = Zeroizing::new(format!("{}\n", link.as_str()));
        file.write_all(line.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| {
                CliError::new(
                    exit::IO,
                    format!(
                        "the link above works, but its receipt could not be written to {}: {e}",
                        path.display()
                    ),
                )
            })?;
        eprintln!(
            "oneshot: the receipt link is in {} (oneshot status --receipt-file {0})",
            path.display()
        );
    }
    if std::io::stderr().is_terminal() && shared.expires_at > 0 {
        eprintln!(
            "oneshot: the link works once and expires {} if unread",
            format_unix_utc(shared.expires_at)
        );
    }
    Ok(())
}

pub(crate) async fn run_open(args: OpenArgs) -> Result<(), CliError> {
    let link = match args.link {
        Some(link) if link != "-" => Zeroizing::new(link),
        _ => input::read_link("Link or key")?,
    };
    let target = parse_open_target(&link, args.server.as_deref())?;
    drop(link);
    require_secure(&target.take_url, args.insecure)?;
    // Before anything is taken: an output that exists, a passphrase.
    let to_stdout = args.output.as_deref().is_some_and(is_stdout);
    let output = args.output.filter(|path| !is_stdout(path));
    if let Some(path) = &output {
        check_output(path, args.force)?;
    }
    let passphrase: Option<Passphrase> =
        match (&args.passphrase_file, target.key.needs_passphrase()) {
            (Some(path), true) => Some(read_passphrase_file(path)?),
            (Some(_), false) => {
                return Err(CliError::usage(
                    "this link has no passphrase: leave out --passphrase-file; nothing was read",
                ));
            }
            (None, true) => Some(prompt_passphrase(false)?),
            (None, false) => None,
        };

    let revealed = open(&target, passphrase.as_ref()).await?;
    drop(passphrase);
    let body = &revealed.body;
    if let Some(path) = &output {
        write_output(path, body, args.force)?;
        eprintln!("oneshot: wrote {} ({} bytes)", path.display(), body.len());
        return Ok(());
    }
    if revealed.content.kind() == Kind::File && !to_stdout {
        let path = write_in_current_dir(revealed.content.name(), body, args.force)?;
        eprintln!(
            "oneshot: wrote {} ({} bytes, {})",
            path.display(),
            body.len(),
            revealed.content.effective_media_type().unwrap_or_default()
        );
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    let newline =
        out.is_terminal() && revealed.content.kind() == Kind::Text && !body.ends_with(b"\n");
    out.write_all(body)
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

/// The receipt link for `status` and `burn`: the argument, `--receipt-file`
/// or standard input.
fn receipt_link(args: &ReceiptArgs) -> Result<Zeroizing<String>, CliError> {
    match (&args.receipt, &args.receipt_file) {
        (Some(link), _) if link != "-" => Ok(Zeroizing::new(link.clone())),
        (_, Some(path)) => input::read_link_file(path),
        _ => input::read_link("Receipt link"),
    }
}

fn print_receipt(receipt: &ReceiptResponse, json: bool) -> Result<(), CliError> {
    let text = if json {
        serde_json::to_string(receipt).unwrap_or_default()
    } else {
        describe(receipt)
    };
    write_stdout(format!("{text}\n").as_bytes(), "the receipt")
}

pub(crate) async fn run_status(args: ReceiptArgs) -> Result<(), CliError> {
    let link = receipt_link(&args)?;
    let target = parse_receipt_target(&link, args.server.as_deref())?;
    drop(link);
    require_secure(&target.base, args.insecure)?;
    let receipt = status(&target).await?;
    print_receipt(&receipt, args.json)
}

pub(crate) async fn run_burn(args: ReceiptArgs) -> Result<(), CliError> {
    let link = receipt_link(&args)?;
    let target = parse_receipt_target(&link, args.server.as_deref())?;
    drop(link);
    require_secure(&target.base, args.insecure)?;
    match burn(&target).await? {
        Burned::Burned(receipt) => print_receipt(&receipt, args.json),
        Burned::Refused(receipt) => {
            if args.json {
                print_receipt(&receipt, true)?;
            }
            Err(refused(&receipt))
        }
    }
}
