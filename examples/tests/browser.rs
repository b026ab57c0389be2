//! The page in a real Chromium, driven through chromedriver with fantoccini:
//! the JavaScript formats (v1 and v2) against every known-answer vector and
//! against Rust on generated inputs, the create, reveal and receipt views end
//! to end (passphrases, files, receipts: `browser_v2/`; create and reveal
//! also on PostgreSQL and SQLite), and links crossing between the page and
//! the CLI.
//!
//! Needs `chromium` and `chromium-driver` (Debian); a missing one fails with
//! the install command. Screenshots of each view go to `target/screenshots/`.

mod common {
    pub(crate) mod api;
    pub(crate) mod browser;
    pub(crate) mod keys;
    pub(crate) mod plain;
    pub(crate) mod redis;
    pub(crate) mod redis_server;
    pub(crate) mod server;
    pub(crate) mod sql;
}

/// The v2 tests, in `tests/browser_v2/`.
mod browser_v2 {
    pub(crate) mod format_v2;
    pub(crate) mod v2_flows;
}

use std::process::Stdio;
use std::time::Duration;

use base64ct::Encoding as _;
use common::api::{Api, Sealed, sealed, sealed_with};
use common::browser::{Browser, Chromedriver};
use common::keys::{KEYS, key};
use common::redis_server::server_on_redis;
use common::server::TestServer;
use common::sql::{Sql, server_on};
use fantoccini::Locator;
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;

const VECTORS: &str = include_str!("../../oneshot-core/tests/data/vectors-v1.json");
const WAIT: Duration = Duration::from_secs(15);

/// One Chromium at a time: the machine has two cores.
static BROWSER_LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Runs the vectors through `format.js` in the page and returns what it computed.
const VECTOR_SCRIPT: &str = r#"
const [vectors, inputs, done] = arguments;
(async () => {
  const f = await import(new URL("static/format.js", document.baseURI).href);
  const out = { derivations: [], envelopes: [], opened: [], rejects: [], parsed: [] };
  for (const d of vectors.derivations) {
    const key = f.parseKey(d.key_b64u);
    const r = await f.derive(key);
    out.derivations.push({
      key_hex: f.toHex(key),
      enc_key_hex: f.toHex(r.encKeyBytes),
      claim_hex: f.toHex(r.claim),
      claim_b64u: f.b64uEncode(r.claim),
      id_hex: f.toHex(r.id),
    });
  }
  for (const e of vectors.envelopes) {
    const key = f.parseKey(e.key_b64u);
    const sealed = await f.sealWithNonce(key, f.fromHex(e.body_hex), f.fromHex(e.nonce_hex));
    out.envelopes.push({ id_hex: f.toHex(sealed.id), envelope_b64u: f.b64uEncode(sealed.envelope) });
    const body = await f.open(key, f.b64uDecode(e.envelope_b64u));
    out.opened.push(f.toHex(body));
  }
  for (const r of vectors.rejects) {
    try {
      await f.open(f.parseKey(r.key_b64u), f.b64uDecode(r.envelope_b64u));
      out.rejects.push("accepted");
    } catch (err) {
      out.rejects.push(err.kind || String(err));
    }
  }
  for (const input of inputs) {
    try {
      out.parsed.push(f.b64uEncode(f.parseKey(input)));
    } catch (err) {
      out.parsed.push(null);
    }
  }
  // A fresh random seal opens again.
  const key = f.generateKey();
  const body = new TextEncoder().encode("random nonce");
  const sealed = await f.seal(key, body);
  out.random_roundtrip = new TextDecoder().decode(await f.open(key, sealed.envelope));
  return out;
})().then((out) => done(JSON.stringify(out)), (err) => done("ERROR " + err + " " + err.stack));
"#;

/// Key inputs where the JS parser must agree with `oneshot_core::link::parse_key`.
fn key_inputs() -> Vec<String> {
    let good = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
    let mut inputs = vec![
        good.to_owned(),
        format!("  {good}\n"),
        format!("http://127.0.0.1:3000/s#{good}"),
        format!("https://x.example/a/s?q=1#{good}"),
        // Non-canonical trailing bits: 'h' -> 'i' keeps 32 bytes but sets a padding bit.
        format!("{}i", &good[..42]),
        good[..42].to_owned(),
        format!("{good}A"),
        format!("{good}="),
        format!("{}+", &good[..42]),
        format!("{}/", &good[..42]),
        format!("#{good}"),
        format!("x#y#{good}"),
        String::new(),
        "#".to_owned(),
        "é".repeat(43),
    ];
    for i in 0..64u8 {
        let key = oneshot_core::SecretKey::from_bytes([i.wrapping_mul(37); 32]);
        let mut s = key.to_b64u().to_string();
        let pos = usize::from(i) % 43;
        let c = b"Az09-_.~ "[usize::from(i) % 9] as char;
        s.replace_range(pos..=pos, &c.to_string());
        inputs.push(s);
    }
    inputs
}

/// What Rust makes of `input` as a v1 key (v2 fragments are `format_v2`'s).
fn rust_parse(input: &str) -> Option<String> {
    match oneshot_core::link::parse_key(input) {
        Ok(oneshot_core::link::LinkKey::V1(k)) => Some(k.to_b64u().to_string()),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn format_js_reproduces_every_vector_in_chromium() {
    let _guard = BROWSER_LOCK.lock().await;
    let server = TestServer::memory().await;
    let driver = Chromedriver::start().await;
    let browser = driver.session().await;
    browser
        .client
        .goto(&format!("{}/", server.base))
        .await
        .unwrap();
    browser
        .wait_js("document.body.dataset.ready === 'create'", WAIT)
        .await;

    let vectors: Value = serde_json::from_str(VECTORS).unwrap();
    let inputs = key_inputs();
    let raw = browser
        .client
        .execute_async(VECTOR_SCRIPT, vec![vectors.clone(), json!(inputs)])
        .await
        .expect("vector script runs");
    let text = raw.as_str().expect("a string result");
    assert!(!text.starts_with("ERROR"), "{text}");
    let out: Value = serde_json::from_str(text).unwrap();

    let derivations = vectors["derivations"].as_array().unwrap();
    assert!(!derivations.is_empty());
    for (want, got) in derivations
        .iter()
        .zip(out["derivations"].as_array().unwrap())
    {
        for field in [
            "key_hex",
            "enc_key_hex",
            "claim_hex",
            "claim_b64u",
            "id_hex",
        ] {
            assert_eq!(got[field], want[field], "derivation {field}");
        }
    }
    let envelopes = vectors["envelopes"].as_array().unwrap();
    assert_eq!(out["envelopes"].as_array().unwrap().len(), envelopes.len());
    for (i, want) in envelopes.iter().enumerate() {
        let got = &out["envelopes"][i];
        assert_eq!(got["id_hex"], want["id_hex"], "envelope {i} id");
        assert_eq!(
            got["envelope_b64u"], want["envelope_b64u"],
            "envelope {i} bytes"
        );
        assert_eq!(
            out["opened"][i], want["body_hex"],
            "envelope {i} opens to its body"
        );
    }
    let rejects = vectors["rejects"].as_array().unwrap();
    assert_eq!(out["rejects"].as_array().unwrap().len(), rejects.len());
    for (i, want) in rejects.iter().enumerate() {
        assert_eq!(
            out["rejects"][i], want["error"],
            "reject {:?}",
            want["name"]
        );
    }
    for (i, input) in inputs.iter().enumerate() {
        let js = out["parsed"][i].as_str().map(str::to_owned);
        assert_eq!(js, rust_parse(input), "parseKey({input:?}) in JS vs Rust");
    }
    assert_eq!(out["random_roundtrip"], "random nonce");
    browser.assert_clean_console().await;
    browser.close().await;
    server.stop().await;
}

async fn click(browser: &Browser, css: &str) {
    browser
        .client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("find {css}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {css}: {e}"));
}

async fn text_of(browser: &Browser, css: &str) -> String {
    browser
        .client
        .find(Locator::Css(css))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn value_of(browser: &Browser, id: &str) -> String {
    browser
        .js(&format!("document.getElementById('{id}').value"))
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

async fn visible(browser: &Browser, id: &str) -> bool {
    browser
        .js(&format!("!document.getElementById('{id}').hidden"))
        .await
        == json!(true)
}

/// Creates a secret through the page; returns the link.
async fn create_in_page(browser: &Browser, base: &str, secret: &str, shots: bool) -> String {
    browser.client.goto(&format!("{base}/")).await.unwrap();
    browser
        .wait_js("document.body.dataset.ready === 'create'", WAIT)
        .await;
    assert!(
        !visible(browser, "token-row").await,
        "no token field when the server needs none"
    );
    browser
        .client
        .find(Locator::Id("secret"))
        .await
        .unwrap()
        .send_keys(secret)
        .await
        .unwrap();
    browser
        .client
        .find(Locator::Id("ttl"))
        .await
        .unwrap()
        .select_by_value("3600")
        .await
        .unwrap();
    if shots {
        browser.screenshot("1-create").await;
    }
    click(browser, "#create").await;
    browser
        .wait_js("!document.getElementById('result-view').hidden", WAIT)
        .await;
    let link = value_of(browser, "link").await;
    assert!(
        link.starts_with(&format!("{base}/s#")),
        "link points at the reveal page"
    );
    assert_eq!(value_of(browser, "secret").await, "", "textarea cleared");
    let expires = text_of(browser, "#expires").await;
    assert!(!expires.is_empty(), "expiry shown");
    if shots {
        browser.screenshot("2-link").await;
    }
    link
}

/// Opens `link` in a session, waits for the reveal view, asserts nothing is
/// shown and the key is already out of the address bar.
async fn open_link(browser: &Browser, link: &str) {
    browser.client.goto(link).await.unwrap();
    browser
        .wait_js("document.body.dataset.ready === 'reveal'", WAIT)
        .await;
    let url = browser.client.current_url().await.unwrap();
    assert!(
        url.fragment().is_none(),
        "key out of the address bar at load: {url}"
    );
    assert!(visible(browser, "ready-view").await);
    assert!(!visible(browser, "secret-view").await);
    assert_eq!(
        value_of(browser, "secret").await,
        "",
        "nothing revealed yet"
    );
}

/// Presses Reveal and waits for the outcome.
async fn press_reveal(browser: &Browser) -> String {
    browser
        .js("delete document.body.dataset.outcome, true")
        .await;
    click(browser, "#reveal").await;
    browser
        .wait_js("document.body.dataset.outcome", WAIT)
        .await
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_reveal_once_and_tampered_links_in_chromium() {
    let _guard = BROWSER_LOCK.lock().await;
    let server = TestServer::memory().await;
    let driver = Chromedriver::start().await;
    let secret = "correct horse battery staple ✓";

    // Writer: create in the page.
    let writer = driver.session().await;
    let link = create_in_page(&writer, &server.base, secret, true).await;
    assert_eq!(server.entries(), 1);
    writer.assert_clean_console().await;
    writer.close().await;

    // Reader, a fresh session: opening the link shows nothing and takes nothing.
    let reader = driver.session().await;
    open_link(&reader, &link).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(server.counts.takes(), 0, "loading the page made no take");
    assert_eq!(server.entries(), 1, "the secret still exists");
    reader.screenshot("3-reveal-ready").await;

    // Reveal: the text matches, the key leaves the address bar, the store is empty.
    assert_eq!(press_reveal(&reader).await, "revealed");
    assert_eq!(value_of(&reader, "secret").await, secret);
    let url = reader.client.current_url().await.unwrap();
    assert!(
        url.fragment().is_none(),
        "key removed from the address bar: {url}"
    );
    assert_eq!(server.entries(), 0);
    assert_eq!(server.counts.takes(), 1);
    assert!(visible(&reader, "copy-secret").await, "Copy offered");
    reader.screenshot("4-revealed").await;

    // Reload: the key is gone from the address, so nothing can be asked for.
    reader.client.refresh().await.unwrap();
    reader
        .wait_js("document.body.dataset.ready === 'no-key'", WAIT)
        .await;
    let status = text_of(&reader, "#reveal-status").await;
    assert!(status.contains("already viewed or has expired"), "{status}");

    // The link opened again: Reveal says so plainly.
    open_link(&reader, &link).await;
    assert_eq!(press_reveal(&reader).await, "gone");
    let status = text_of(&reader, "#reveal-status").await;
    assert!(status.contains("already viewed, has expired"), "{status}");
    reader.screenshot("5-already-viewed").await;

    // The page made a v2 link; tampered v2 links, against a fresh page-made
    // secret. An unknown flag bit is refused at once, with no request.
    let writer = driver.session().await;
    let link = create_in_page(&writer, &server.base, "tamper with me", false).await;
    writer.close().await;
    let (page, fragment) = link.split_once('#').unwrap();
    assert_eq!(fragment.len(), 46, "a v2 fragment: {link}");
    let mut bytes = base64ct::Base64UrlUnpadded::decode_vec(fragment).unwrap();
    assert_eq!(bytes[..2], [2, 0], "version 2, no passphrase");
    let takes = server.counts.takes();
    bytes[1] = 0x02;
    let unknown = format!(
        "{page}#{}",
        base64ct::Base64UrlUnpadded::encode_string(&bytes)
    );
    reader.client.goto(&unknown).await.unwrap();
    reader
        .wait_js("document.body.dataset.ready === 'malformed'", WAIT)
        .await;
    assert!(!visible(&reader, "ready-view").await);
    // The passphrase flag set: the page asks for one, and the flipped flag
    // derives another id, which finds nothing and burns nothing.
    bytes[1] = 0x01;
    let flipped = format!(
        "{page}#{}",
        base64ct::Base64UrlUnpadded::encode_string(&bytes)
    );
    open_link(&reader, &flipped).await;
    assert_eq!(
        reader.js("document.body.dataset.needs").await,
        json!("passphrase")
    );
    assert_eq!(server.counts.takes(), takes, "no request before Reveal");
    type_into(&reader, "passphrase", "anything").await;
    assert_eq!(press_reveal(&reader).await, "gone");
    assert_eq!(server.entries(), 1, "the real secret still exists");
    open_link(&reader, &link).await;
    assert_eq!(press_reveal(&reader).await, "revealed");
    assert_eq!(value_of(&reader, "secret").await, "tamper with me");

    // Tampered links, against a fresh secret made outside the page, under
    // a fixed key so that the tampering never depends on the draw.
    let api = Api::new(&server.base);
    let s = sealed_with(key(KEYS[4]), b"still here");
    assert_eq!(api.create(&s, Some(600)).await.0, 201);
    let takes = server.counts.takes();
    let key = s.key.to_b64u().to_string();
    // Malformed (a character outside base64url): said at once, no request.
    let malformed = format!("{}/s#{}*{}", server.base, &key[..20], &key[21..]);
    reader.client.goto(&malformed).await.unwrap();
    reader
        .wait_js("document.body.dataset.ready === 'malformed'", WAIT)
        .await;
    let status = text_of(&reader, "#reveal-status").await;
    assert!(status.contains("damaged"), "{status}");
    assert!(!visible(&reader, "ready-view").await);
    reader.screenshot("6-malformed-link").await;
    // Truncated.
    reader
        .client
        .goto(&format!("{}/s#{}", server.base, &key[..40]))
        .await
        .unwrap();
    reader
        .wait_js("document.body.dataset.ready === 'malformed'", WAIT)
        .await;
    assert_eq!(
        server.counts.takes(),
        takes,
        "malformed keys call no server"
    );
    // Well-formed but wrong (one character changed): a different id finds
    // nothing and burns nothing.
    assert!(!key.starts_with('A'));
    let wrong = format!("{}/s#A{}", server.base, &key[1..]);
    open_link(&reader, &wrong).await;
    assert_eq!(press_reveal(&reader).await, "gone");
    assert_eq!(server.entries(), 1, "the real secret still exists");
    let (status, _) = api.take(&s.claim).await;
    assert_eq!(status, 200, "and its own key still takes it");
    let console = reader.assert_clean_console().await;
    assert!(
        console.iter().any(|l| l.contains("404")),
        "the console is captured (it shows the 404 of the second reveal): {console:#?}"
    );
    reader.close().await;
    server.stop().await;
}

async fn run_cli(args: &[&str], stdin: Option<&[u8]>) -> (i32, String, String) {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_oneshot"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("run the oneshot binary");
    let mut pipe = child.stdin.take().unwrap();
    pipe.write_all(stdin.unwrap_or_default()).await.unwrap();
    drop(pipe);
    let out = tokio::time::timeout(Duration::from_secs(30), child.wait_with_output())
        .await
        .expect("CLI finishes within 30 s")
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_links_open_in_the_page_and_page_links_in_the_cli() {
    let _guard = BROWSER_LOCK.lock().await;
    let server = TestServer::memory().await;
    let driver = Chromedriver::start().await;
    let browser = driver.session().await;

    // CLI → page.
    let secret = "from the CLI: p@ss w0rd\nline two";
    let (code, stdout, stderr) = run_cli(
        &["share", "--ttl", "1h", "--server", &server.base],
        Some(secret.as_bytes()),
    )
    .await;
    assert_eq!(code, 0, "{stderr}");
    let link = stdout.trim().to_owned();
    open_link(&browser, &link).await;
    assert_eq!(press_reveal(&browser).await, "revealed");
    assert_eq!(value_of(&browser, "secret").await, secret);

    // Page → CLI.
    let secret = "from the page: ünïcødé 🔑";
    let link = create_in_page(&browser, &server.base, secret, false).await;
    let (code, stdout, stderr) = run_cli(&["open", &link], None).await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, secret);
    let (code, _, stderr) = run_cli(&["open", &link], None).await;
    assert_eq!(code, 3, "second open is not found: {stderr}");

    // A custom lifetime: 2 hours.
    click(&browser, "#again").await;
    browser
        .client
        .find(Locator::Id("secret"))
        .await
        .unwrap()
        .send_keys("custom lifetime")
        .await
        .unwrap();
    browser
        .client
        .find(Locator::Id("ttl"))
        .await
        .unwrap()
        .select_by_value("custom")
        .await
        .unwrap();
    assert!(visible(&browser, "custom-ttl").await);
    browser
        .js("document.getElementById('custom-amount').value = '2', document.getElementById('custom-unit').value = '3600', true")
        .await;
    click(&browser, "#create").await;
    browser
        .wait_js("!document.getElementById('result-view').hidden", WAIT)
        .await;
    let secs = browser
        .js("(Date.parse(document.getElementById('expires').dateTime) - Date.now()) / 1000")
        .await
        .as_f64()
        .unwrap();
    assert!((7100.0..=7210.0).contains(&secs), "expires in {secs} s");
    let link = value_of(&browser, "link").await;
    let (code, stdout, stderr) = run_cli(&["open", &link], None).await;
    assert_eq!((code, stdout.as_str()), (0, "custom lifetime"), "{stderr}");

    // The create view refuses an empty secret, and one over the server's
    // limit (known from its config), itself; neither stores anything.
    let puts = server.counts.puts();
    click(&browser, "#again").await;
    click(&browser, "#create").await;
    let status = text_of(&browser, "#create-status").await;
    assert!(status.contains("Type or paste a secret first"), "{status}");
    browser
        .js("document.getElementById('secret').value = 'x'.repeat(70 * 1024), true")
        .await;
    click(&browser, "#create").await;
    browser
        .wait_js(
            "document.getElementById('create-status').textContent.includes('too large')",
            WAIT,
        )
        .await;
    assert!(visible(&browser, "create-view").await);
    assert_eq!(server.counts.puts(), puts, "nothing stored");
    assert_eq!(server.entries(), 0);
    browser.close().await;
    server.stop().await;
}

/// The reveal page against real store failures: a paused redis-server
/// (indeterminate: one take, no automatic retry, said plainly) and a killed
/// one (unavailable: retried a bounded number of times, then offered again).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reveal_page_retries_only_when_the_server_says_it_is_safe() {
    let _guard = BROWSER_LOCK.lock().await;
    let (mut redis, server) = server_on_redis(Duration::from_millis(300)).await;
    let api = Api::new(&server.base);
    let (first, second) = (sealed(b"first"), sealed(b"second"));
    assert_eq!(api.create(&first, None).await.0, 201);
    assert_eq!(api.create(&second, None).await.0, 201);
    let link = |s: &Sealed| format!("{}/s#{}", server.base, s.key.to_b64u().as_str());

    let driver = Chromedriver::start().await;
    let browser = driver.session().await;
    open_link(&browser, &link(&first)).await;
    redis.pause();
    assert_eq!(press_reveal(&browser).await, "indeterminate");
    redis.resume();
    assert_eq!(server.counts.takes(), 1, "never retried automatically");
    let status = text_of(&browser, "#reveal-status").await;
    assert!(status.contains("will not retry on its own"), "{status}");
    browser.screenshot("7-indeterminate").await;

    open_link(&browser, &link(&second)).await;
    redis.kill();
    // Let the client see the closed connection, so that the next command
    // certainly is not sent (unavailable) rather than lost in flight.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = server.counts.takes();
    assert_eq!(press_reveal(&browser).await, "unavailable");
    assert_eq!(server.counts.takes() - before, 3, "a safe retry, bounded");
    let status = text_of(&browser, "#reveal-status").await;
    assert!(status.contains("Nothing was read"), "{status}");
    assert!(
        visible(&browser, "ready-view").await,
        "Reveal can be pressed again"
    );
    browser.screenshot("8-unavailable").await;
    browser.close().await;
    server.stop().await;
}

async fn type_into(browser: &Browser, id: &str, text: &str) {
    let field = browser.client.find(Locator::Id(id)).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

/// Clicks Create link and waits for the status line to say `needle`.
async fn create_fails_with(browser: &Browser, needle: &str) -> String {
    click(browser, "#create").await;
    browser
        .wait_js(
            &format!(
                "document.getElementById('create-status').textContent.includes({})",
                json!(needle)
            ),
            WAIT,
        )
        .await;
    assert!(!visible(browser, "result-view").await);
    text_of(browser, "#create-status").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_page_asks_for_the_token_when_the_server_needs_one() {
    const TOKEN: &str = "page-T0ken_for.writers";
    let _guard = BROWSER_LOCK.lock().await;
    let policy = oneshot_core::Policy::new()
        .with_max_body_bytes(100)
        .with_ttl_range(Duration::from_secs(60), Duration::from_secs(7200))
        .with_default_ttl(Duration::from_secs(3600));
    let server = TestServer::configured(
        std::sync::Arc::new(oneshot_memory::MemoryStore::new()),
        policy,
        |app| app.with_create_token(oneshot_examples::server::CreateToken::new(TOKEN).unwrap()),
    )
    .await;
    let driver = Chromedriver::start().await;
    let writer = driver.session().await;
    writer
        .client
        .goto(&format!("{}/", server.base))
        .await
        .unwrap();
    writer
        .wait_js("document.body.dataset.ready === 'create'", WAIT)
        .await;

    // The config says a token is needed: the field is there up front, hidden input.
    assert!(
        visible(&writer, "token-row").await,
        "token field shown up front"
    );
    assert_eq!(
        writer.js("document.getElementById('token').type").await,
        json!("password")
    );
    // The server's limits: lifetimes over 2 h are disabled, 1 h is chosen.
    assert_eq!(
        writer
            .js("[...document.querySelectorAll('#ttl option:disabled')].map(o => o.value).join()")
            .await,
        json!("86400,259200")
    );
    assert_eq!(
        writer.js("document.getElementById('ttl').value").await,
        json!("3600")
    );
    let status = {
        type_into(&writer, "secret", &"x".repeat(101)).await;
        create_fails_with(&writer, "at most 100").await
    };
    assert!(status.contains("101 bytes"), "{status}");

    let secret = "behind a token";
    type_into(&writer, "secret", secret).await;
    // No token typed: the page asks for it without calling the server.
    create_fails_with(&writer, "Enter this server's access token").await;
    // A wrong token: the server's 401 becomes a clear message.
    type_into(&writer, "token", "not-the-token").await;
    let status = create_fails_with(&writer, "not accepted").await;
    assert!(!status.contains("not-the-token"), "{status}");
    assert_eq!(server.counts.puts(), 0, "nothing stored without the token");
    assert_eq!(
        writer
            .js("sessionStorage.getItem('oneshot.createToken')")
            .await,
        Value::Null,
        "a refused token is not remembered"
    );
    writer.screenshot("9-token-refused").await;

    // A page that did not know (the config unanswered): the 401 shows the field.
    writer
        .js("(document.getElementById('token-row').hidden = true, document.getElementById('token').value = '', true)")
        .await;
    create_fails_with(&writer, "only people with its access token").await;
    assert!(
        visible(&writer, "token-row").await,
        "the 401 shows the field"
    );
    assert_eq!(
        writer.js("document.activeElement.id").await,
        json!("token"),
        "and puts the cursor there"
    );

    // The right token: a link, and the token kept for this tab.
    type_into(&writer, "token", TOKEN).await;
    click(&writer, "#create").await;
    writer
        .wait_js("!document.getElementById('result-view').hidden", WAIT)
        .await;
    let link = value_of(&writer, "link").await;
    assert!(link.starts_with(&format!("{}/s#", server.base)), "{link}");
    assert_eq!(server.counts.puts(), 1);
    assert_eq!(
        writer
            .js("sessionStorage.getItem('oneshot.createToken')")
            .await,
        json!(TOKEN)
    );
    writer.assert_clean_console().await;
    // A reload in the same tab fills it in again.
    writer
        .client
        .goto(&format!("{}/", server.base))
        .await
        .unwrap();
    writer
        .wait_js("document.body.dataset.ready === 'create'", WAIT)
        .await;
    assert_eq!(value_of(&writer, "token").await, TOKEN);
    writer.close().await;

    // The reader needs no token.
    let reader = driver.session().await;
    open_link(&reader, &link).await;
    assert_eq!(press_reveal(&reader).await, "revealed");
    assert_eq!(value_of(&reader, "secret").await, secret);
    reader.close().await;
    server.stop().await;
}

/// The page on the server's SQL stores (opened as `--postgres` and
/// `--sqlite` open them): created in the page, revealed in the page once,
/// and a second reveal finds nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_and_reveal_once_on_postgres_and_sqlite() {
    let _guard = BROWSER_LOCK.lock().await;
    let driver = Chromedriver::start().await;
    for sql in [Sql::Postgres, Sql::Sqlite] {
        let (held, server) = server_on(sql).await;
        let secret = format!("kept in {sql:?} ✓");
        let writer = driver.session().await;
        let link = create_in_page(&writer, &server.base, &secret, false).await;
        writer.close().await;
        assert_eq!(server.counts.puts(), 1, "{sql:?}");

        let reader = driver.session().await;
        open_link(&reader, &link).await;
        assert_eq!(server.counts.takes(), 0, "{sql:?}: loading took nothing");
        assert_eq!(press_reveal(&reader).await, "revealed", "{sql:?}");
        assert_eq!(value_of(&reader, "secret").await, secret, "{sql:?}");
        open_link(&reader, &link).await;
        assert_eq!(press_reveal(&reader).await, "gone", "{sql:?}");
        assert_eq!(server.counts.takes(), 2, "{sql:?}");
        reader.close().await;
        server.stop().await;
        drop(held);
    }
}
