//! The built `oneshot-server`'s logs on a pipe: no per-request line at
//! INFO; at DEBUG secret ids only as keyed tags, which differ between two
//! processes; no ANSI escape when stderr is not a terminal; with
//! `--log-format json`, one JSON object per line; `--log-summary` lines
//! count what happened.

mod common {
    pub(crate) mod api;
    pub(crate) mod bin;
}

use std::process::Stdio;

use base64ct::{Base64UrlUnpadded, Encoding};
use common::api::{Api, sealed, sealed_with};
use common::bin::{command, start, stop_and_read_stderr};
use oneshot_core::SecretKey;
use serde_json::Value;

/// The same key (so the same id) in every process.
fn fixed_key() -> SecretKey {
    SecretKey::from_bytes([0x5a; 32])
}

/// Runs the server with `args` at log filter `filter`, creates the fixed
/// secret, takes it twice (the second finds nothing) and stops: its stderr
/// and the ids' hex (the fixed one, then the random one).
async fn logs_of_one_secret(args: &[&str], filter: &str) -> (Vec<u8>, [String; 2]) {
    let mut command = command(args, filter);
    command.stderr(Stdio::piped());
    let (mut child, _, base) = start(command).await;
    let api = Api::new(&base);
    let s = sealed_with(fixed_key(), b"log me not");
    assert_eq!(api.create(&s, None).await.0, 201);
    let (status, taken) = api.take(&s.claim).await;
    assert_eq!(status, 200, "{taken}");
    let envelope = Base64UrlUnpadded::decode_vec(taken["envelope"].as_str().unwrap()).unwrap();
    assert_eq!(
        &oneshot_core::open(&s.key, &envelope).unwrap()[..],
        b"log me not"
    );
    assert_eq!(api.take(&s.claim).await.0, 404);
    // A random id, left unread.
    let other = sealed(b"another");
    assert_eq!(api.create(&other, None).await.0, 201);
    (stop_and_read_stderr(&mut child).await, [s.id, other.id])
}

/// The value of `id=` on the text line that contains `message`.
fn tag_on(logs: &str, message: &str) -> String {
    let line = logs
        .lines()
        .find(|l| l.contains(message))
        .unwrap_or_else(|| panic!("no {message:?} line in\n{logs}"));
    let at = line
        .find(" id=")
        .unwrap_or_else(|| panic!("no id on {line:?}"));
    line[at + 4..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect()
}

fn assert_no_id(logs: &str, ids: &[String]) {
    for id in ids {
        assert!(
            !logs.to_ascii_lowercase().contains(&id.to_ascii_lowercase()),
            "the id {id} is in the logs:\n{logs}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn info_has_no_request_lines() {
    let (logs, ids) = logs_of_one_secret(&[], "info").await;
    let logs = String::from_utf8(logs).unwrap();
    assert_no_id(&logs, &ids);
    let lines: Vec<&str> = logs.lines().collect();
    assert!(
        lines.iter().any(|l| l.contains("oneshot-server started")),
        "{logs}"
    );
    for line in &lines {
        assert!(
            [
                "oneshot-server started",
                "SIGTERM received",
                "oneshot-server stopped"
            ]
            .iter()
            .any(|m| line.contains(m)),
            "a line at INFO other than start-up and shutdown: {line}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_shows_keyed_tags_never_ids_and_no_colour_on_a_pipe() {
    let (first, ids) = logs_of_one_secret(&[], "debug").await;
    let (second, second_ids) = logs_of_one_secret(&[], "debug").await;
    assert_eq!(ids[0], second_ids[0], "the same id in both");
    let mut tags = Vec::new();
    for logs in [first, second] {
        assert!(!logs.contains(&0x1b), "an ANSI escape on a pipe");
        let logs = String::from_utf8(logs).unwrap();
        assert_no_id(&logs, &ids);
        assert_no_id(&logs, &second_ids);
        assert!(logs.contains(r#"route="/api/v1/secrets/take""#), "{logs}");
        let stored = tag_on(&logs, "secret stored");
        assert_eq!(stored.len(), 16, "8 bytes of hex: {logs}");
        assert_eq!(tag_on(&logs, "secret taken"), stored, "one tag per id");
        tags.push(stored);
    }
    assert_ne!(tags[0], tags[1], "each process has its own key");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_are_one_object_per_line() {
    let (logs, ids) = logs_of_one_secret(&["--log-format", "json"], "debug").await;
    assert!(!logs.contains(&0x1b), "an ANSI escape in JSON logs");
    let logs = String::from_utf8(logs).unwrap();
    assert_no_id(&logs, &ids);
    let lines: Vec<Value> = logs
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let message = |v: &Value| v["fields"]["message"].as_str().unwrap_or("").to_owned();
    assert!(lines.iter().any(|v| message(v) == "oneshot-server started"));
    let taken = lines
        .iter()
        .find(|v| message(v) == "secret taken")
        .unwrap_or_else(|| panic!("no take line in\n{logs}"));
    assert_eq!(taken["level"], "DEBUG", "{taken}");
    let tag = taken["fields"]["id"].as_str().unwrap();
    assert_eq!(tag.len(), 16, "{taken}");
    assert!(
        lines
            .iter()
            .any(|v| v["fields"]["route"] == "/api/v1/secrets")
    );
}

/// The number after `name=` on `line`.
fn field(line: &str, name: &str) -> u64 {
    let key = format!(" {name}=");
    let at = line
        .find(&key)
        .unwrap_or_else(|| panic!("no {name} on {line:?}"));
    line[at + key.len()..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap_or_else(|_| panic!("{name} on {line:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn summary_lines_at_info_count_what_happened() {
    let mut command = command(&["--log-summary", "1s"], "info");
    command.stderr(Stdio::piped());
    let (mut child, _, base) = start(command).await;
    let api = Api::new(&base);
    let s = sealed(b"counted");
    assert_eq!(api.create(&s, None).await.0, 201);
    assert_eq!(api.take(&s.claim).await.0, 200);
    assert_eq!(api.take(&s.claim).await.0, 404);
    assert_eq!(api.create(&s, None).await.0, 409);
    // At least one tick after the last request.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let logs = String::from_utf8(stop_and_read_stderr(&mut child).await).unwrap();
    assert_no_id(&logs, &[s.id]);
    let summaries: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains("summary of the last 1s"))
        .collect();
    assert!(!summaries.is_empty(), "{logs}");
    assert!(summaries.iter().all(|l| l.contains("INFO")), "{logs}");
    let total = |name: &str| summaries.iter().map(|l| field(l, name)).sum::<u64>();
    assert_eq!(
        [
            total("requests"),
            total("stored"),
            total("taken"),
            total("not_found"),
            total("shed"),
            total("store_failures"),
        ],
        [4, 1, 1, 1, 0, 0],
        "{logs}"
    );
}
