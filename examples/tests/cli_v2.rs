//! The built `oneshot` binary with format v2 against the real server:
//! passphrases, files, receipts, their exit codes, and interop with the
//! library both ways.

mod common {
    pub(crate) mod api;
    pub(crate) mod cli;
    pub(crate) mod keys;
    pub(crate) mod library;
    pub(crate) mod plain;
    pub(crate) mod receipts;
    pub(crate) mod redis;
    pub(crate) mod redis_server;
    pub(crate) mod server;
    pub(crate) mod v2;
}

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use common::api::{Api, sealed, sealed_with};
use common::cli::{Run, assert_one_line_error, oneshot, run_oneshot, share};
use common::keys::{KEYS, key};
use common::redis_server::server_on_redis;
use common::server::TestServer;
use common::v2::{V2, V2_KEYS, seal_v2, v2_key};
use oneshot_core::link::{self, LinkKey};
use oneshot_core::store::ReceiptState;
use oneshot_core::v2::{Content, Kind, Passphrase, ReceiptKey};
use oneshot_core::{Policy, RevealError, SecretId, ShareOptions};
use oneshot_examples::wire::v2::{ReceiptResponse, State};
use tokio::io::AsyncWriteExt;

/// A scratch directory with files in it.
struct Dir(tempfile::TempDir);

impl Dir {
    fn new() -> Self {
        Self(tempfile::tempdir().unwrap())
    }

    fn path(&self) -> &Path {
        self.0.path()
    }

    /// Writes `name` and returns its path as text.
    fn write(&self, name: &str, bytes: &[u8]) -> String {
        let path = self.0.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path.display().to_string()
    }

    fn join(&self, name: &str) -> PathBuf {
        self.0.path().join(name)
    }

    fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    /// The file names in it, sorted.
    fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Runs the CLI in `dir`.
async fn oneshot_in(dir: &Dir, args: &[&str], stdin: &[u8]) -> Run {
    run_oneshot(args, stdin, &[], Some(dir.path())).await
}

fn ok(run: &Run) -> String {
    assert_eq!(run.code, 0, "{}", run.stderr);
    String::from_utf8(run.stdout.clone()).unwrap()
}

/// Every way to hand `open` a v2 key or link (issue 16's forms, for 46
/// characters), with a passphrase file for the key that needs one; each
/// secret is checked gone through the API afterwards, and the last is
/// taken by the API after a wrong passphrase in the CLI.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_takes_every_v2_key_in_every_form() {
    let dir = Dir::new();
    let pass = dir.write("pass", b"fixed key");
    for text in V2_KEYS {
        let needs = v2_key(text).needs_passphrase();
        for form in 0..7 {
            // Each form spends the key's id, and spent ids stay spent: a
            // fresh store for each.
            let server = TestServer::memory().await;
            let base = server.base.clone();
            let api = Api::new(&base);
            let link = format!("{base}/s#{text}");
            let forms: [(&[&str], String); 7] = [
                (&["open", text, "--server", &base], String::new()),
                (&["open", "--server", &base, text], String::new()),
                (&["open", "--server", &base, "--", text], String::new()),
                (&["open", "--server", &base], format!("{text}\n")),
                (&["open", "-", "--server", &base], format!("  {text} \n")),
                // `printf %s "$LINK" | oneshot open`: no newline.
                (&["open"], link.clone()),
                // One line is read; the rest is not.
                (&["open", "-"], format!("{link}\nnot a link\n")),
            ];
            let (args, stdin) = &forms[form];
            let mut args = args.to_vec();
            if needs {
                // Before anything else: after `--` it would be the link.
                args.splice(1..1, ["--passphrase-file", pass.as_str()]);
            }
            let secret = format!("opened by {args:?}");
            let spec = V2 {
                key: Some(v2_key(text)),
                passphrase: needs.then_some("fixed key"),
                ..V2::default()
            };
            let s = seal_v2(secret.as_bytes(), spec);
            assert_eq!(api.create_v2(&s, None).await.0, 201, "{args:?}");
            let run = oneshot(&args, stdin.as_bytes()).await;
            assert_eq!(run.code, 0, "{args:?} < {stdin:?}: {}", run.stderr);
            assert_eq!(String::from_utf8_lossy(&run.stdout), secret);
            assert!(run.stderr.is_empty(), "{}", run.stderr);
            let taken = api.take_v2(&s.claim, s.proof.as_deref()).await.0;
            assert_eq!(taken, 404, "{args:?} consumed it");
            server.stop().await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passphrases_from_a_file_count_down_and_never_come_from_argv() {
    let server = TestServer::memory().await;
    let base = server.base.clone();
    let dir = Dir::new();
    let right = dir.write("right", b"correct horse\n");
    let crlf = dir.write("crlf", b"correct horse\r\n");
    let spaced = dir.write("spaced", b"correct horse \n");
    let wrong = dir.write("wrong", b"battery staple");
    let empty = dir.write("empty", b"\n");
    let missing = dir.join("missing").display().to_string();

    let link = share(
        &base,
        b"behind a passphrase",
        &["--passphrase-file", &right],
    )
    .await;
    let fragment = link.rsplit('#').next().unwrap();
    assert_eq!(fragment.len(), 46, "a v2 link: {link}");
    let key = link::parse_key(&link).unwrap();
    assert!(key.needs_passphrase(), "the flag is set");

    // Without a passphrase and without a terminal to ask on: exit 2, and
    // nothing was asked of the server.
    let takes = server.counts.takes();
    let run = oneshot(&["open", &link], b"").await;
    assert_one_line_error(&run, 2, "--passphrase-file");
    for (file, needle, code) in [
        (&empty, "empty", 2),
        (&missing, "cannot read the passphrase file", 1),
    ] {
        let run = oneshot(&["open", &link, "--passphrase-file", file], b"").await;
        assert_one_line_error(&run, code, needle);
    }
    assert_eq!(server.counts.takes(), takes, "nothing was taken");

    // Wrong ones (a trailing space is part of a passphrase): exit 7, the
    // secret stays, the count goes down.
    for (file, left) in [(&wrong, "4 attempts left"), (&spaced, "3 attempts left")] {
        let run = oneshot(&["open", &link, "--passphrase-file", file], b"").await;
        assert_one_line_error(&run, 7, left);
        assert!(run.stderr.contains("still there"), "{}", run.stderr);
        assert!(!run.stderr.contains("battery"), "never the passphrase");
    }
    // The right one, with CRLF: the secret.
    let run = oneshot(&["open", &link, "--passphrase-file", &crlf], b"").await;
    assert_eq!(ok(&run), "behind a passphrase");
    let run = oneshot(&["open", &link, "--passphrase-file", &right], b"").await;
    assert_one_line_error(&run, 3, "not found");

    // Counting down to destruction: the last wrong one says it is gone.
    let link = share(&base, b"guess me", &["--passphrase-file", &right]).await;
    for left in ["4 attempts", "3 attempts", "2 attempts", "1 attempt left"] {
        let run = oneshot(&["open", &link, "--passphrase-file", &wrong], b"").await;
        assert_one_line_error(&run, 7, left);
    }
    let run = oneshot(&["open", &link, "--passphrase-file", &wrong], b"").await;
    assert_one_line_error(&run, 7, "destroyed");
    let run = oneshot(&["open", &link, "--passphrase-file", &right], b"").await;
    assert_one_line_error(&run, 3, "not found");

    // A passphrase for a link without one is refused before any request.
    let plain = share(&base, b"plain", &[]).await;
    assert!(!link::parse_key(&plain).unwrap().needs_passphrase());
    let takes = server.counts.takes();
    let run = oneshot(&["open", &plain, "--passphrase-file", &right], b"").await;
    assert_one_line_error(&run, 2, "has no passphrase");
    assert_eq!(server.counts.takes(), takes);
    assert_eq!(ok(&oneshot(&["open", &plain], b"").await), "plain");

    // share: no passphrase on the command line, and none without a terminal.
    let run = oneshot(&["share", "--server", &base, "--passphrase"], b"x").await;
    assert_one_line_error(&run, 2, "--passphrase-file");
    let run = oneshot(
        &["share", "--server", &base, "--passphrase-file", &empty],
        b"x",
    )
    .await;
    assert_one_line_error(&run, 2, "empty");
    let run = oneshot(
        &["share", "--server", &base, "--passphrase", "hunter2"],
        b"x",
    )
    .await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(server.entries(), 0, "nothing else stored");
    server.stop().await;
}

/// A secret stored through the API with a passphrase: a wrong passphrase
/// in the CLI burns nothing, and the API then takes it with the right one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_passphrase_in_the_cli_leaves_the_secret_to_the_right_one() {
    let server = TestServer::memory().await;
    let api = Api::new(&server.base);
    let dir = Dir::new();
    let wrong = dir.write("wrong", b"not it");
    let s = seal_v2(
        b"from the API",
        V2 {
            key: Some(v2_key(V2_KEYS[2])),
            passphrase: Some("fixed key"),
            ..V2::default()
        },
    );
    assert_eq!(api.create_v2(&s, None).await.0, 201);
    let link = format!("{}/s#{}", server.base, V2_KEYS[2]);
    let run = oneshot(&["open", &link, "--passphrase-file", &wrong], b"").await;
    assert_one_line_error(&run, 7, "4 attempts left");
    let (status, taken) = api.take_v2(&s.claim, s.proof.as_deref()).await;
    assert_eq!(status, 200, "{taken}");
    assert_eq!(s.open(&taken).body(), b"from the API");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_share_and_open_without_ever_overwriting() {
    let server = TestServer::memory().await;
    let base = server.base.clone();
    let src = Dir::new();
    let out = Dir::new();
    let pdf: Vec<u8> = (0..20_000u32).map(|i| (i % 253) as u8).collect();
    let report = src.write("report.pdf", &pdf);

    // Its own name, mode 0600, media type guessed; stdout stays empty.
    let link = share(&base, b"", &["--file", &report]).await;
    let run = oneshot_in(&out, &["open", &link], b"").await;
    assert_eq!(ok(&run), "", "a file is not printed");
    assert!(run.stderr.contains("wrote report.pdf"), "{}", run.stderr);
    assert!(run.stderr.contains("application/pdf"), "{}", run.stderr);
    assert_eq!(out.read("report.pdf"), pdf);
    assert_eq!(mode(&out.join("report.pdf")), 0o600);

    // The name is taken: the next one is saved beside it, never over it.
    let link = share(&base, b"", &["--file", &report]).await;
    std::fs::write(out.join("report.pdf"), b"mine").unwrap();
    let run = oneshot_in(&out, &["open", &link], b"").await;
    ok(&run);
    assert!(
        run.stderr.contains("wrote report (1).pdf"),
        "{}",
        run.stderr
    );
    assert_eq!(out.read("report.pdf"), b"mine", "untouched");
    assert_eq!(out.read("report (1).pdf"), pdf);
    // With --force it is replaced, and a symlink there is replaced itself,
    // never followed.
    let outside = src.write("outside", b"outside the directory");
    std::fs::remove_file(out.join("report.pdf")).unwrap();
    std::os::unix::fs::symlink(&outside, out.join("report.pdf")).unwrap();
    let link = share(&base, b"", &["--file", &report]).await;
    ok(&oneshot_in(&out, &["open", &link, "--force"], b"").await);
    assert_eq!(out.read("report.pdf"), pdf);
    assert!(
        !std::fs::symlink_metadata(out.join("report.pdf"))
            .unwrap()
            .is_symlink()
    );
    assert_eq!(src.read("outside"), b"outside the directory");

    // --output: a new file; one that exists is refused before the take.
    let link = share(&base, b"", &["--file", &report, "--name", "renamed.bin"]).await;
    let target = out.join("chosen");
    std::fs::write(&target, b"keep").unwrap();
    let takes = server.counts.takes();
    let target_text = target.display().to_string();
    let run = oneshot_in(&out, &["open", &link, "--output", &target_text], b"").await;
    assert_one_line_error(&run, 1, "exists");
    assert!(run.stderr.contains("nothing was taken"), "{}", run.stderr);
    assert_eq!(server.counts.takes(), takes, "nothing was taken");
    let fresh = out.join("fresh").display().to_string();
    let run = oneshot_in(&out, &["open", &link, "-o", &fresh], b"").await;
    ok(&run);
    assert_eq!(std::fs::read(&fresh).unwrap(), pdf);
    assert_eq!(mode(Path::new(&fresh)), 0o600);
    // With --force --output replaces; `-o -` prints.
    let link = share(&base, b"", &["--file", &report]).await;
    ok(&oneshot_in(
        &out,
        &["open", &link, "--output", &target_text, "--force"],
        b"",
    )
    .await);
    assert_eq!(std::fs::read(&target).unwrap(), pdf);
    let link = share(&base, b"", &["--file", &report]).await;
    let run = oneshot_in(&out, &["open", &link, "-o", "-"], b"").await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, pdf);
    // A text can go to --output too.
    let link = share(&base, b"a text", &[]).await;
    let text_out = out.join("text.txt").display().to_string();
    ok(&oneshot_in(&out, &["open", &link, "--output", &text_out], b"").await);
    assert_eq!(std::fs::read(&text_out).unwrap(), b"a text");

    // A leading dot never makes a hidden file; names come only from the
    // sender's file name, never a path.
    let envrc = src.write(".envrc", b"export EVIL=1");
    let link = share(&base, b"", &["--file", &envrc]).await;
    let run = oneshot_in(&out, &["open", &link], b"").await;
    ok(&run);
    assert!(run.stderr.contains("wrote _envrc"), "{}", run.stderr);
    assert!(!out.join(".envrc").exists());
    let names = out.names();
    assert_eq!(
        names,
        [
            "_envrc",
            "chosen",
            "fresh",
            "report (1).pdf",
            "report.pdf",
            "text.txt"
        ],
        "nothing else was written"
    );

    // Names the format forbids are refused before anything is read or sent,
    // with a pointer to --name; a good --name (and --media-type) works.
    let puts = server.counts.puts();
    let bidi = src.write("evil\u{202E}fdp.exe", b"x");
    let run = oneshot(&["share", "--server", &base, "--file", &bidi], b"").await;
    assert_one_line_error(&run, 2, "--name");
    for name in ["../escape", "a/b", "..", "", "tab\there"] {
        let run = oneshot(
            &[
                "share", "--server", &base, "--file", &report, "--name", name,
            ],
            b"",
        )
        .await;
        assert_one_line_error(&run, 2, "--name cannot be used");
    }
    let run = oneshot(
        &[
            "share",
            "--server",
            &base,
            "--file",
            &report,
            "--media-type",
            "text/plain; x",
        ],
        b"",
    )
    .await;
    assert_one_line_error(&run, 2, "--media-type");
    let run = oneshot(&["share", "--server", &base, "--name", "x"], b"x").await;
    assert_eq!(run.code, 2, "--name needs --file: {}", run.stderr);
    assert_eq!(server.counts.puts(), puts, "nothing was sent");
    let link = share(
        &base,
        b"",
        &[
            "--file",
            &bidi,
            "--name",
            "fixed.txt",
            "--media-type",
            "text/x-custom",
        ],
    )
    .await;
    let run = oneshot_in(&out, &["open", &link], b"").await;
    ok(&run);
    assert!(run.stderr.contains("wrote fixed.txt"), "{}", run.stderr);
    assert!(run.stderr.contains("text/x-custom"), "{}", run.stderr);

    // Too large for the server (64 KiB here), or empty: exit 2, nothing sent.
    let big = src.write("big.bin", &vec![0u8; 64 * 1024 + 1]);
    let run = oneshot(&["share", "--server", &base, "--file", &big], b"").await;
    assert_one_line_error(&run, 2, "too_large");
    let empty = src.write("empty.bin", b"");
    let run = oneshot(&["share", "--server", &base, "--file", &empty], b"").await;
    assert_one_line_error(&run, 2, "empty");
    let run = oneshot(
        &[
            "share",
            "--server",
            &base,
            "--file",
            src.path().to_str().unwrap(),
        ],
        b"",
    )
    .await;
    assert_one_line_error(&run, 1, "not a regular file");
    let run = oneshot(&["share", "--server", &base], &vec![b'x'; 64 * 1024 + 1]).await;
    assert_one_line_error(&run, 2, "too_large");
    assert_eq!(server.counts.puts(), puts + 1, "only the good one was sent");
    // Exactly the limit is fine.
    let limit = src.write("limit.bin", &vec![1u8; 64 * 1024]);
    share(&base, b"", &["--file", &limit]).await;
    server.stop().await;
}

/// The receipt link goes to a new 0600 file, never to standard output;
/// `status` and `burn` read it from an argument, a file or standard input.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receipts_tell_the_state_and_burn_unread_secrets() {
    let server = TestServer::memory().await;
    let base = server.base.clone();
    let dir = Dir::new();
    let receipt_path = dir.join("secret.receipt");
    let receipt_file = receipt_path.display().to_string();

    let run = oneshot(
        &["share", "--server", &base, "--receipt", &receipt_file],
        b"with a receipt",
    )
    .await;
    let link = ok(&run).trim().to_owned();
    assert_eq!(
        String::from_utf8_lossy(&run.stdout).lines().count(),
        1,
        "only the link"
    );
    assert!(run.stderr.contains(&receipt_file), "{}", run.stderr);
    assert_eq!(mode(&receipt_path), 0o600);
    let receipt = String::from_utf8(dir.read("secret.receipt")).unwrap();
    let receipt = receipt.trim().to_owned();
    assert!(receipt.starts_with(&format!("{base}/r#")), "{receipt}");
    assert_eq!(receipt.rsplit('#').next().unwrap().len(), 66);
    assert!(
        !run.stderr.contains(receipt.rsplit('#').next().unwrap()),
        "never printed"
    );
    let (id, _) = link::parse_receipt(&receipt).unwrap();
    assert_eq!(id, link::parse_key(&link).unwrap().id());

    // An existing receipt file is never overwritten: nothing is shared.
    let puts = server.counts.puts();
    let run = oneshot(
        &["share", "--server", &base, "--receipt", &receipt_file],
        b"again",
    )
    .await;
    assert_one_line_error(&run, 1, "exists");
    assert_eq!(server.counts.puts(), puts);

    // Pending, by every way of giving the receipt link.
    let bare = receipt.rsplit('#').next().unwrap().to_owned();
    let forms: [(&[&str], String); 5] = [
        (&["status", &receipt], String::new()),
        (&["status", "--receipt-file", &receipt_file], String::new()),
        (&["status"], format!("{receipt}\n")),
        (&["status", "-"], receipt.clone()),
        (&["status", &bare, "--server", &base], String::new()),
    ];
    for (args, stdin) in forms {
        let run = oneshot(args, stdin.as_bytes()).await;
        let text = ok(&run);
        assert!(
            text.starts_with("pending: not read yet; expires "),
            "{args:?}: {text}"
        );
        assert_eq!(text.lines().count(), 1);
    }
    let run = oneshot(&["status", "--json", &receipt], b"").await;
    let json: ReceiptResponse = serde_json::from_str(&ok(&run)).unwrap();
    assert_eq!((json.state, json.failed_attempts), (State::Pending, 0));

    // Read: status says so, burn is refused with exit 8 (and --json prints why).
    ok(&oneshot(&["open", &link], b"").await);
    let text = ok(&oneshot(&["status", &receipt], b"").await);
    assert!(text.starts_with("read: opened "), "{text}");
    let run = oneshot(&["burn", &receipt], b"").await;
    assert_one_line_error(&run, 8, "not burned");
    assert!(run.stderr.contains("read: opened"), "{}", run.stderr);
    let run = oneshot(&["burn", "--json", "--receipt-file", &receipt_file], b"").await;
    assert_eq!(run.code, 8, "{}", run.stderr);
    let json: ReceiptResponse = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(json.state, State::Read);
    assert!(json.read_at.is_some());

    // Burned unread: exit 0, the reader finds nothing, a second burn is 8.
    let second = dir.join("second.receipt").display().to_string();
    let run = oneshot(
        &[
            "share",
            "--server",
            &base,
            "--receipt",
            &second,
            "--ttl",
            "10m",
        ],
        b"burn me",
    )
    .await;
    let link = ok(&run).trim().to_owned();
    let run = oneshot(&["burn", "--json", "--receipt-file", &second], b"").await;
    let json: ReceiptResponse = serde_json::from_str(&ok(&run)).unwrap();
    assert_eq!(json.state, State::Burned);
    let run = oneshot(&["open", &link], b"").await;
    assert_one_line_error(&run, 3, "not found");
    let text = ok(&oneshot(&["status", "--receipt-file", &second], b"").await);
    assert!(text.starts_with("burned: destroyed unread "), "{text}");
    assert!(text.contains("by its sender"), "{text}");
    let run = oneshot(&["burn"], std::fs::read(&second).unwrap().as_slice()).await;
    assert_one_line_error(&run, 8, "burned");

    // Wrong passphrases show in the receipt.
    let third = dir.join("third.receipt").display().to_string();
    let pass = dir.write("pass", b"right");
    let wrong = dir.write("wrong", b"wrong");
    let link = share(
        &base,
        b"guessed at",
        &["--passphrase-file", &pass, "--receipt", &third],
    )
    .await;
    let run = oneshot(&["open", &link, "--passphrase-file", &wrong], b"").await;
    assert_eq!(run.code, 7, "{}", run.stderr);
    let text = ok(&oneshot(&["status", "--receipt-file", &third], b"").await);
    assert!(text.contains("1 wrong passphrase so far"), "{text}");

    // Unknown receipts, and links of the wrong kind, each say so.
    let unknown = link::build_receipt_link(
        &base,
        &SecretId::from_bytes([7; 16]),
        &ReceiptKey::from_bytes([8; 32]),
    )
    .unwrap();
    for command in ["status", "burn"] {
        let run = oneshot(&[command, &unknown], b"").await;
        assert_one_line_error(&run, 3, "no such receipt");
        let run = oneshot(&[command, &link], b"").await;
        assert_one_line_error(&run, 2, "reader's link");
        let run = oneshot(&[command, &bare], b"").await;
        assert_one_line_error(&run, 2, "--server");
        assert!(!run.stderr.contains(&bare), "never repeated");
        let run = oneshot(&[command], b"").await;
        assert_one_line_error(&run, 2, "no link given");
    }
    let run = oneshot(&["open", &receipt], b"").await;
    assert_one_line_error(&run, 2, "oneshot status");
    server.stop().await;
}

#[tokio::test]
async fn help_documents_every_command_and_exit_code() {
    for args in [
        &["--help"][..],
        &["share", "--help"],
        &["open", "--help"],
        &["status", "--help"],
        &["burn", "--help"],
    ] {
        let text = ok(&oneshot(args, b"").await);
        for line in [
            "Exit codes:",
            "1  local I/O error",
            "2  bad usage or input",
            "3  not found",
            "4  server or network failure",
            "5  the secret was taken but could not be decrypted",
            "6  not authorised",
            "7  wrong passphrase",
            "8  burn refused",
        ] {
            assert!(
                text.contains(line),
                "{args:?} --help lacks {line:?}:\n{text}"
            );
        }
    }
    let share = ok(&oneshot(&["share", "--help"], b"").await);
    for flag in [
        "--passphrase",
        "--passphrase-file",
        "--file",
        "--name",
        "--media-type",
        "--receipt",
    ] {
        assert!(share.contains(flag), "{flag}");
    }
    let open = ok(&oneshot(&["open", "--help"], b"").await);
    for flag in ["--passphrase-file", "--output", "--force"] {
        assert!(open.contains(flag), "{flag}");
    }
    let status = ok(&oneshot(&["status", "--help"], b"").await);
    for flag in ["--receipt-file", "--json", "--server"] {
        assert!(status.contains(flag), "{flag}");
    }
}

/// The library and the CLI over one server's store: every kind of v2
/// secret (passphrase, file, receipt) made by either opens in the other,
/// and its receipt is readable by the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_library_and_the_cli_read_each_others_secrets_and_receipts() {
    let server = TestServer::memory().await;
    let base = server.base.clone();
    let library = server.library();
    let dir = Dir::new();
    let pass = dir.write("pass", "pässwörd\n".as_bytes());

    // Library → CLI: a file with a passphrase and a receipt.
    let options = ShareOptions::new()
        .passphrase(Passphrase::new("pässwörd").unwrap())
        .content(Content::file("notes.md", "text/markdown").unwrap())
        .receipt(true)
        .ttl(Duration::from_secs(600));
    let shared = library
        .share(b"# from the library", &options)
        .await
        .unwrap();
    let link = shared.link(&format!("{base}/s")).unwrap();
    let receipt = shared.receipt_link(&base).unwrap().unwrap();
    let text = ok(&oneshot(&["status", &receipt], b"").await);
    assert!(text.starts_with("pending"), "{text}");
    let run = oneshot_in(&dir, &["open", &link, "--passphrase-file", &pass], b"").await;
    ok(&run);
    assert!(run.stderr.contains("wrote notes.md"), "{}", run.stderr);
    assert_eq!(dir.read("notes.md"), b"# from the library");
    let text = ok(&oneshot(&["status", &receipt], b"").await);
    assert!(text.starts_with("read"), "{text}");
    let story = library
        .receipt(&shared.id(), &shared.receipt().unwrap().claim())
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(story.state, ReceiptState::Read { .. }));

    // A plain library text opens in the CLI too.
    let plain = library
        .share(b"plain text", &ShareOptions::new())
        .await
        .unwrap();
    let run = oneshot(&["open", &plain.link(&format!("{base}/s")).unwrap()], b"").await;
    assert_eq!(ok(&run), "plain text");

    // CLI → library: a file with a passphrase and a receipt.
    let data = dir.write("data.csv", b"a,b\n1,2\n");
    let receipt_file = dir.join("data.receipt").display().to_string();
    let link = share(
        &base,
        b"",
        &[
            "--file",
            &data,
            "--passphrase-file",
            &pass,
            "--receipt",
            &receipt_file,
        ],
    )
    .await;
    let key = link::parse_key(&link).unwrap();
    assert!(matches!(key, LinkKey::V2(_)));
    let passphrase = Passphrase::new("pässwörd").unwrap();
    match library
        .reveal(&key, Some(&Passphrase::new("nope").unwrap()))
        .await
    {
        Err(RevealError::WrongPassphrase { attempts_left }) => assert_eq!(attempts_left, 4),
        other => panic!("{other:?}"),
    }
    let opened = library
        .reveal(&key, Some(&passphrase))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(opened.kind(), Kind::File);
    assert_eq!(
        (opened.name(), opened.media_type()),
        (Some("data.csv"), "text/csv")
    );
    assert_eq!(opened.body(), b"a,b\n1,2\n");
    let receipt = std::fs::read_to_string(&receipt_file).unwrap();
    let (id, receipt_key) = link::parse_receipt(&receipt).unwrap();
    let story = library
        .receipt(&id, &receipt_key.claim())
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(story.state, ReceiptState::Read { .. }));
    assert_eq!(story.failed_attempts, 1);

    // CLI text → library; burned by the library, the CLI's receipt agrees.
    let receipt_file = dir.join("text.receipt").display().to_string();
    let link = share(
        &base,
        b"burn from the library",
        &["--receipt", &receipt_file],
    )
    .await;
    let receipt = std::fs::read_to_string(&receipt_file).unwrap();
    let (id, receipt_key) = link::parse_receipt(&receipt).unwrap();
    library
        .burn(&id, &receipt_key.claim())
        .await
        .unwrap()
        .unwrap();
    let text = ok(&oneshot(&["status", "--receipt-file", &receipt_file], b"").await);
    assert!(
        text.starts_with("burned") && text.contains("by its sender"),
        "{text}"
    );
    assert!(
        library
            .reveal(&link::parse_key(&link).unwrap(), None)
            .await
            .unwrap()
            .is_none()
    );
    server.stop().await;
}

/// On a terminal (a pty made by util-linux `script`), `share --passphrase`
/// asks twice without echo, and `open` asks when the link needs it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passphrases_are_asked_for_on_a_terminal() {
    let server = TestServer::memory().await;
    let bin = env!("CARGO_BIN_EXE_oneshot");
    let in_pty = |command: String, typed: &'static str| async move {
        let mut child = tokio::process::Command::new("script")
            .args(["-qec", &command, "/dev/null"])
            .env_remove("ONESHOT_SERVER")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("`script` (util-linux, Debian package bsdutils) runs");
        let mut pipe = child.stdin.take().unwrap();
        for line in typed.split_inclusive('\n') {
            pipe.write_all(line.as_bytes()).await.unwrap();
            // One line per prompt: give each prompt time to appear.
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        let out = tokio::time::timeout(Duration::from_secs(20), child.wait_with_output())
            .await
            .expect("finishes within 20 s")
            .unwrap();
        drop(pipe);
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let share_command = format!("{bin} share --server {} --passphrase", server.base);
    let (success, screen) = in_pty(
        share_command.clone(),
        "typed secret\nmy phrase\nmy phrase\n",
    )
    .await;
    assert!(success, "{screen}");
    assert!(screen.contains("Secret (input hidden): "), "{screen}");
    assert!(screen.contains("Passphrase (input hidden): "), "{screen}");
    assert!(screen.contains("Passphrase again: "), "{screen}");
    assert!(!screen.contains("my phrase"), "no echo: {screen}");
    let link = screen
        .split_whitespace()
        .find(|w| w.starts_with(&format!("{}/s#", server.base)))
        .expect("the link on the terminal")
        .to_owned();
    let (success, screen) = in_pty(format!("{bin} open {link}"), "my phrase\n").await;
    assert!(success, "{screen}");
    assert!(screen.contains("Passphrase (input hidden): "), "{screen}");
    assert!(screen.contains("typed secret"), "{screen}");
    // Two different passphrases: nothing shared.
    let (success, screen) = in_pty(share_command, "x\none\ntwo\n").await;
    assert!(!success, "{screen}");
    assert!(screen.contains("differ"), "{screen}");
    assert_eq!(server.entries(), 0);
    server.stop().await;
}

/// Older (v1) links still open, by the v1 API: to standard output or to
/// `--output`; a passphrase file is refused for them before any request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v1_links_still_open_to_stdout_or_a_file() {
    let server = TestServer::memory().await;
    let api = Api::new(&server.base);
    let dir = Dir::new();
    let s = sealed_with(key(KEYS[4]), b"an old link");
    assert_eq!(api.create(&s, None).await.0, 201);
    let link = format!("{}/s#{}", server.base, KEYS[4]);
    let pass = dir.write("pass", b"x");
    let run = oneshot(&["open", &link, "--passphrase-file", &pass], b"").await;
    assert_one_line_error(&run, 2, "has no passphrase");
    let out = dir.join("old.txt").display().to_string();
    ok(&oneshot(&["open", &link, "--output", &out], b"").await);
    assert_eq!(dir.read("old.txt"), b"an old link");
    assert_eq!(mode(&dir.join("old.txt")), 0o600);
    assert_eq!(api.take(&s.claim).await.0, 404, "consumed");
    let t = sealed(b"to stdout");
    assert_eq!(api.create(&t, None).await.0, 201);
    let run = oneshot(
        &[
            "open",
            &format!("{}/s#{}", server.base, t.key.to_b64u().as_str()),
        ],
        b"",
    )
    .await;
    assert_eq!(ok(&run), "to stdout");
    server.stop().await;
}

/// A file of 10 MiB (the server binary's default limit) shared and opened
/// by the CLI, with a passphrase and a receipt.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ten_mib_file_round_trips_through_the_cli() {
    const MAX: usize = 10 * 1024 * 1024;
    let server = TestServer::with_store(
        Arc::new(oneshot_memory::MemoryStore::new()),
        Policy::new().with_max_body_bytes(MAX),
    )
    .await;
    let dir = Dir::new();
    let out = Dir::new();
    let body: Vec<u8> = (0..MAX).map(|i| (i * 7 % 256) as u8).collect();
    let file = dir.write("disk.img", &body);
    let pass = dir.write("pass", b"big file");
    let receipt = dir.join("disk.receipt").display().to_string();
    let link = share(
        &server.base,
        b"",
        &[
            "--file",
            &file,
            "--passphrase-file",
            &pass,
            "--receipt",
            &receipt,
        ],
    )
    .await;
    let run = oneshot_in(&out, &["open", &link, "--passphrase-file", &pass], b"").await;
    ok(&run);
    assert!(out.read("disk.img") == body, "the same 10 MiB");
    let text = ok(&oneshot(&["status", "--receipt-file", &receipt], b"").await);
    assert!(text.starts_with("read"), "{text}");
    // One byte more is refused before anything is sent.
    let puts = server.counts.puts();
    let over = dir.write("over.img", &vec![0u8; MAX + 1]);
    let run = oneshot(&["share", "--server", &server.base, "--file", &over], b"").await;
    assert_one_line_error(&run, 2, "too_large");
    assert_eq!(server.counts.puts(), puts);
    server.stop().await;
}

/// On Redis: a receipt made through the API is read by the CLI and burned
/// through the API; a CLI burn whose outcome is unknown (a paused
/// redis-server) is never repeated, one that certainly did nothing (a
/// killed one) is, a bounded number of times.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receipts_on_redis_and_burns_retried_only_when_safe() {
    let (mut redis, server) = server_on_redis(Duration::from_millis(300)).await;
    let base = server.base.clone();
    let api = Api::new(&base);
    let dir = Dir::new();

    // API → CLI, and back.
    let s = seal_v2(
        b"made by the API",
        V2 {
            receipt: Some([11; 32]),
            ..V2::default()
        },
    );
    assert_eq!(api.create_v2(&s, None).await.0, 201);
    let receipt_link =
        link::build_receipt_link(&base, &s.key.id(), s.receipt.as_ref().unwrap()).unwrap();
    let text = ok(&oneshot(&["status", &receipt_link], b"").await);
    assert!(text.starts_with("pending"), "{text}");
    let (status, body) = api.burn(&s.receipt_request()).await;
    assert_eq!(status, 200, "{body}");
    let text = ok(&oneshot(&["status", &receipt_link], b"").await);
    assert!(text.starts_with("burned"), "{text}");
    let (status, body) = api.receipt(&s.receipt_request()).await;
    assert_eq!(
        (status, &body["reason"]),
        (200, &serde_json::json!("sender"))
    );

    // CLI → CLI, with a passphrase.
    let receipt = dir.join("r").display().to_string();
    let pass = dir.write("pass", b"on redis");
    let wrong = dir.write("wrong", b"not on redis");
    let link = share(
        &base,
        b"on redis",
        &["--receipt", &receipt, "--passphrase-file", &pass],
    )
    .await;
    let run = oneshot(&["open", &link, "--passphrase-file", &wrong], b"").await;
    assert_one_line_error(&run, 7, "4 attempts left");
    let text = ok(&oneshot(&["status", "--receipt-file", &receipt], b"").await);
    assert!(
        text.starts_with("pending") && text.contains("1 wrong passphrase"),
        "{text}"
    );

    // Paused: the burn is sent and never answered. Not repeated.
    let before = server.counts.receipt_calls();
    redis.pause();
    let run = oneshot(&["burn", "--receipt-file", &receipt], b"").await;
    redis.resume();
    assert_one_line_error(&run, 4, "not retried");
    assert_eq!(
        server.counts.receipt_calls() - before,
        1,
        "one burn reached the store"
    );
    // It did run once the server woke up: `status` tells.
    let mut state = String::new();
    for _ in 0..20 {
        state = ok(&oneshot(&["status", "--receipt-file", &receipt], b"").await);
        if state.starts_with("burned") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(state.starts_with("burned"), "{state}");
    let run = oneshot(&["open", &link, "--passphrase-file", &pass], b"").await;
    assert_one_line_error(&run, 3, "not found");

    // Killed: nothing can have happened, so the burn (and a status) is
    // repeated, three attempts in all, then reported.
    redis.kill();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = server.counts.receipt_calls();
    let run = oneshot(&["burn", "--receipt-file", &receipt], b"").await;
    assert_one_line_error(&run, 4, "nothing was burned");
    assert_eq!(server.counts.receipt_calls() - before, 3);
    let run = oneshot(&["status", "--receipt-file", &receipt], b"").await;
    assert_one_line_error(&run, 4, "unavailable");
    server.stop().await;
}
