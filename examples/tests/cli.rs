//! The built `oneshot` binary against the real server: round trips, every
//! documented exit code, one-line errors that never show the key, and retries
//! only when the server says a retry is safe.

mod common {
    pub(crate) mod api;
    pub(crate) mod cli;
    pub(crate) mod keys;
    pub(crate) mod plain;
    pub(crate) mod redis;
    pub(crate) mod redis_server;
    pub(crate) mod server;
}

use std::process::Stdio;
use std::time::Duration;

use common::api::{Api, sealed, sealed_with};
use common::cli::{assert_one_line_error, oneshot, run_oneshot, share};
use common::keys::{KEYS, key};
use common::redis_server::server_on_redis;
use common::server::TestServer;
use tokio::io::AsyncWriteExt;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn share_and_open_round_trip_with_exit_codes() {
    let server = TestServer::memory().await;
    let base = server.base.clone();

    // Binary-safe round trip, bytes exactly (no newline added when piped).
    let secret: Vec<u8> = (0..=255u8).chain(b"\n\n".iter().copied()).collect();
    let link = share(&base, &secret, &["--ttl", "30m"]).await;
    assert!(link.starts_with(&format!("{base}/s#")), "{link}");
    let key = link.rsplit('#').next().unwrap().to_owned();
    let run = oneshot(&["open", &link], b"").await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, secret);
    assert!(run.stderr.is_empty());

    // Second open: not found, exit 3, no key in the message.
    let run = oneshot(&["open", &link], b"").await;
    assert_one_line_error(&run, 3, "already viewed");
    assert!(!run.stderr.contains(&key));

    // A bare key with --server, and whitespace around the link. The key is
    // fixed: how it parses must not depend on the draw (keys that start with
    // '-', and every way to pass one, are in `open_takes_every_key_in_every_form`).
    let api = Api::new(&base);
    assert_eq!(
        api.create(&sealed_with(common::keys::key(KEYS[4]), b"bare"), None)
            .await
            .0,
        201
    );
    let key = KEYS[4].to_owned();
    let run = oneshot(&["open", &format!("  {key}\n"), "--server", &base], b"").await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, b"bare");

    // Exit 2: malformed links, bare key without server, empty secret, bad
    // --ttl, a lifetime the server refuses, a secret over the server's limit.
    let damaged = format!("{base}/s#{}", &key[..40]);
    let run = oneshot(&["open", &damaged], b"").await;
    assert_one_line_error(&run, 2, "malformed link");
    assert!(
        !run.stderr.contains(&key[..40]),
        "the key is never repeated"
    );
    let run = oneshot(&["open", &key], b"").await;
    assert_one_line_error(&run, 2, "--server");
    let run = oneshot(&["open", &format!("ftp://host/s#{key}")], b"").await;
    assert_one_line_error(&run, 2, "malformed link");
    let run = oneshot(&["share", "--server", &base], b"").await;
    assert_one_line_error(&run, 2, "empty");
    let run = oneshot(&["share", "--server", &base, "--ttl", "soon"], b"x").await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("invalid lifetime"), "{}", run.stderr);
    let run = oneshot(&["share", "--server", &base, "--ttl", "100d"], b"x").await;
    assert_one_line_error(&run, 2, "invalid_ttl");
    let run = oneshot(&["share", "--server", &base], &vec![b'x'; 70 * 1024]).await;
    assert_one_line_error(&run, 2, "too_large");
    let run = oneshot(&["share", "--server", "not a url"], b"x").await;
    assert_one_line_error(&run, 2, "invalid server URL");
    let run = oneshot(&["frobnicate"], b"").await;
    assert_eq!(run.code, 2);
    assert_eq!(server.entries(), 0, "nothing stored by the failures");

    // Exit 4: nobody listening.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let run = oneshot(&["share", "--server", &dead], b"x").await;
    assert_one_line_error(&run, 4, "could not connect");
    let run = oneshot(&["open", &format!("{dead}/s#{key}")], b"").await;
    assert_one_line_error(&run, 4, "could not connect");

    // Exit 5: the server hands back an envelope the key cannot open (stored
    // by someone who knew the id but not the key: here, a different key's
    // envelope under this key's id).
    let victim = sealed(b"real");
    let forged = sealed(b"forged");
    let body = oneshot_examples::wire::v1::CreateRequest {
        id: victim.id.clone(),
        ..forged.create_request(None)
    };
    assert_eq!(api.post("/api/v1/secrets", &body).await.0, 201);
    let link = format!("{base}/s#{}", victim.key.to_b64u().as_str());
    let run = oneshot(&["open", &link], b"").await;
    assert_one_line_error(&run, 5, "could not be opened");
    server.stop().await;
}

#[tokio::test]
async fn help_documents_the_exit_codes() {
    for args in [&["--help"][..], &["share", "--help"], &["open", "--help"]] {
        let run = oneshot(args, b"").await;
        assert_eq!(run.code, 0);
        let text = String::from_utf8(run.stdout).unwrap();
        for line in [
            "Exit codes:",
            "2  bad usage or input",
            "3  not found",
            "4  server or network failure",
            "5  the secret was taken but could not be decrypted",
            "6  not authorised",
        ] {
            assert!(
                text.contains(line),
                "{args:?} --help lacks {line:?}:\n{text}"
            );
        }
    }
}

/// A server that lets only token holders share: no or a wrong token is exit
/// 6 with nothing stored; `--token-file` or `ONESHOT_TOKEN` works; opening
/// needs no token; the token never shows in an error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn share_with_the_servers_create_token() {
    const TOKEN: &str = "cli-T0ken.for~sharing";
    let server = TestServer::memory_with(|app| {
        app.with_create_token(oneshot_examples::server::CreateToken::new(TOKEN).unwrap())
    })
    .await;
    let base = server.base.clone();
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    };
    let right = write("right", &format!("{TOKEN}\n"));
    let wrong = write("wrong", "not-the-token\n");
    let empty = write("empty", " \n");
    let missing = dir.path().join("missing").display().to_string();

    let run = oneshot(&["share", "--server", &base], b"x").await;
    assert_one_line_error(&run, 6, "--token-file");
    let run = oneshot(&["share", "--server", &base, "--token-file", &wrong], b"x").await;
    assert_one_line_error(&run, 6, "refused the token");
    assert!(!run.stderr.contains("not-the-token"));
    let run = run_oneshot(
        &["share", "--server", &base],
        b"x",
        &[("ONESHOT_TOKEN", "not-the-token")],
        None,
    )
    .await;
    assert_one_line_error(&run, 6, "refused the token");
    let run = oneshot(
        &["share", "--server", &base, "--token-file", &missing],
        b"x",
    )
    .await;
    assert_one_line_error(&run, 1, "cannot read the token file");
    let run = oneshot(&["share", "--server", &base, "--token-file", &empty], b"x").await;
    assert_one_line_error(&run, 2, "is empty");
    assert_eq!(server.entries(), 0, "nothing stored without the token");
    assert_eq!(server.counts.puts(), 0);

    // The right token from a file (its newline ignored), then from the
    // environment; the file wins over the environment.
    let from_file = share(&base, b"token from a file", &["--token-file", &right]).await;
    let run = run_oneshot(
        &["share", "--server", &base],
        b"token from the env",
        &[("ONESHOT_TOKEN", TOKEN)],
        None,
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let from_env = String::from_utf8(run.stdout).unwrap().trim().to_owned();
    let run = run_oneshot(
        &["share", "--server", &base, "--token-file", &right],
        b"file wins",
        &[("ONESHOT_TOKEN", "not-the-token")],
        None,
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(server.entries(), 3);

    // Opening needs no token.
    for (link, want) in [
        (from_file, &b"token from a file"[..]),
        (from_env, b"token from the env"),
    ] {
        let run = oneshot(&["open", &link], b"").await;
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(run.stdout, want);
    }
    server.stop().await;

    // A server without a token ignores one.
    let open_server = TestServer::memory().await;
    let run = run_oneshot(
        &["share", "--server", &open_server.base],
        b"x",
        &[("ONESHOT_TOKEN", TOKEN)],
        None,
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    open_server.stop().await;
}

/// Store failures behind the server: a paused redis-server gives
/// `indeterminate` (never retried: exactly one take reaches the store); a
/// killed one gives `unavailable` (retried, a bounded number of times).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_only_when_the_server_says_it_is_safe() {
    let (mut redis, server) = server_on_redis(Duration::from_millis(300)).await;
    let link = share(&server.base, b"paused", &[]).await;

    redis.pause();
    let run = oneshot(&["open", &link], b"").await;
    redis.resume();
    assert_one_line_error(&run, 4, "not retried");
    assert_eq!(
        server.counts.takes(),
        1,
        "an indeterminate take is never repeated"
    );

    redis.kill();
    // Let the client see the closed connection, so that the next command
    // certainly is not sent (unavailable) rather than lost in flight.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = server.counts.takes();
    let run = oneshot(&["open", &link], b"").await;
    assert_one_line_error(&run, 4, "unavailable; nothing was read");
    let attempts = server.counts.takes() - before;
    assert_eq!(
        attempts, 3,
        "a safe retry is repeated, three attempts in all"
    );
    server.stop().await;
}

/// On a terminal, `share` prompts without echo (through a pty made by
/// util-linux `script`) and the typed line, without its newline, is the secret.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn share_prompts_on_a_terminal() {
    let server = TestServer::memory().await;
    let command = format!(
        "{} share --server {}",
        env!("CARGO_BIN_EXE_oneshot"),
        server.base
    );
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
    pipe.write_all(b"typed at the prompt\n").await.unwrap();
    let out = tokio::time::timeout(Duration::from_secs(20), child.wait_with_output())
        .await
        .expect("finishes within 20 s")
        .unwrap();
    drop(pipe);
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{screen}");
    assert!(screen.contains("Secret (input hidden): "), "{screen}");
    let link = screen
        .split_whitespace()
        .find(|w| w.starts_with(&format!("{}/s#", server.base)))
        .expect("the link on the terminal")
        .to_owned();
    let run = oneshot(&["open", &link], b"").await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, b"typed at the prompt");
    server.stop().await;
}

/// Every way to hand `open` a key or link, for fixed keys that start with
/// `-` (read once as a cluster of short flags), `-h` (a real flag), `--`
/// (a long option) and `_`, and an ordinary one: as an argument before or
/// after `--server`, after `--`, and on standard input.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_takes_every_key_in_every_form() {
    for text in KEYS {
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
            let secret = format!("opened by {args:?}");
            let s = sealed_with(key(text), secret.as_bytes());
            assert_eq!(api.create(&s, None).await.0, 201, "{args:?}");
            let run = oneshot(args, stdin.as_bytes()).await;
            assert_eq!(run.code, 0, "{args:?} < {stdin:?}: {}", run.stderr);
            assert_eq!(String::from_utf8_lossy(&run.stdout), secret);
            assert!(run.stderr.is_empty(), "{}", run.stderr);
            assert_eq!(api.take(&s.claim).await.0, 404, "{args:?} consumed it");
            assert_eq!(server.entries(), 0, "the secret was opened");
            server.stop().await;
        }
        // Without --server it is still taken for a key, and the one-line
        // error says what is missing (clap's usage text once said nothing).
        for stdin in ["", text] {
            let args: &[&str] = if stdin.is_empty() {
                &["open", text]
            } else {
                &["open"]
            };
            let run = oneshot(args, stdin.as_bytes()).await;
            assert_one_line_error(&run, 2, "--server");
            assert!(!run.stderr.contains(text), "the key is never repeated");
        }
    }
}

/// Standard input that holds no usable link: one clear line, nothing asked
/// of any server.
#[tokio::test]
async fn open_refuses_standard_input_without_a_link() {
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    for (stdin, needle) in [
        (&b""[..], "no link given"),
        (b" \n\t\n", "no link given"),
        (b"\xff\xfe\n", "malformed link"),
        (&[b'A'; 9000][..], "longer than"),
        (b"not a link\n", "malformed link"),
    ] {
        for args in [&["open"][..], &["open", "-", "--server", &dead]] {
            let run = oneshot(args, stdin).await;
            assert_one_line_error(&run, 2, needle);
        }
    }
}

/// On a terminal, `open` without a link prompts for it without echo
/// (through a pty made by util-linux `script`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_prompts_for_the_link_on_a_terminal() {
    let server = TestServer::memory().await;
    let api = Api::new(&server.base);
    let s = sealed_with(key(KEYS[0]), b"opened from the prompt");
    assert_eq!(api.create(&s, None).await.0, 201);
    let command = format!(
        "{} open --server {}",
        env!("CARGO_BIN_EXE_oneshot"),
        server.base
    );
    let mut child = tokio::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("`script` (util-linux, Debian package bsdutils) runs");
    let mut pipe = child.stdin.take().unwrap();
    pipe.write_all(format!("{}\n", KEYS[0]).as_bytes())
        .await
        .unwrap();
    let out = tokio::time::timeout(Duration::from_secs(20), child.wait_with_output())
        .await
        .expect("finishes within 20 s")
        .unwrap();
    drop(pipe);
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{screen}");
    assert!(screen.contains("Link or key (input hidden): "), "{screen}");
    assert!(screen.contains("opened from the prompt"), "{screen}");
    assert_eq!(server.entries(), 0);
    server.stop().await;
}
