//! The v2 views end to end in Chromium: passphrases (asked before any
//! request, a wrong one burns nothing), files (the picker, the drop zone, a
//! download, 10 MiB through the page, the server and the CLI), receipts
//! (pending, read, burned, a burn refused), and the hardening of the page
//! (keys out of the address bar at load, nothing in a URL without a script).

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64ct::{Base64UrlUnpadded, Encoding};
use fantoccini::Locator;
use oneshot_core::link::{LinkKey, build_link, build_receipt_link, parse_key};
use oneshot_core::v2::{self, Content, Flags, Passphrase, ReceiptKey};
use oneshot_core::{Policy, SecretId};
use oneshot_examples::wire::v2::{CREATE_PATH, TAKE_PATH};
use serde_json::json;

use crate::common::api::Api;
use crate::common::browser::{Browser, Chromedriver};
use crate::common::server::TestServer;
use crate::{
    BROWSER_LOCK, WAIT, click, open_link, press_reveal, run_cli, text_of, type_into, value_of,
    visible,
};

const TEN_MIB: usize = 10 * 1024 * 1024;

fn b64u(bytes: &[u8]) -> String {
    Base64UrlUnpadded::encode_string(bytes)
}

fn v2_key(link: &str) -> v2::SecretKey {
    match parse_key(link) {
        Ok(LinkKey::V2(k)) => k,
        other => panic!("a v2 link, not {other:?}"),
    }
}

/// The fragment of the page's address now (None once the page dropped it).
async fn fragment_now(browser: &Browser) -> Option<String> {
    let url = browser.client.current_url().await.unwrap();
    url.fragment().map(str::to_owned)
}

/// Opens the create page and waits until its script is ready.
async fn open_create(browser: &Browser, base: &str) {
    browser.client.goto(&format!("{base}/")).await.unwrap();
    browser
        .wait_js("document.body.dataset.ready === 'create'", WAIT)
        .await;
}

/// Presses Create link and waits for the result view; the reader's link.
async fn press_create(browser: &Browser) -> String {
    let before = browser
        .js("Number(document.body.dataset.created || 0)")
        .await
        .as_u64()
        .unwrap_or(0);
    click(browser, "#create").await;
    browser
        .wait_js(
            &format!(
                "Number(document.body.dataset.created || 0) > {before} || document.getElementById('create-status').dataset.tone === 'error' && document.getElementById('create-status').textContent"
            ),
            Duration::from_secs(60),
        )
        .await;
    assert!(
        visible(browser, "result-view").await,
        "created: {}",
        text_of(browser, "#create-status").await
    );
    value_of(browser, "link").await
}

/// Presses Reveal after typing `passphrase`; the outcome.
async fn reveal_with(browser: &Browser, passphrase: &str) -> String {
    type_into(browser, "passphrase", passphrase).await;
    press_reveal(browser).await
}

/// Stores a v2 text secret through the API (not the page), with a
/// passphrase and a receipt; its link and receipt link.
async fn api_secret(base: &str, body: &[u8], passphrase: &str) -> (String, String) {
    let key = v2::SecretKey::generate(Flags::PASSPHRASE).unwrap();
    let pass = Passphrase::new(passphrase).unwrap();
    let envelope = v2::seal(&key, Some(&pass), &Content::text(), body).unwrap();
    let receipt = ReceiptKey::generate().unwrap();
    let (status, _, answer) = Api::new(base)
        .post(
            CREATE_PATH,
            &json!({
                "id": key.id().to_string(),
                "envelope": b64u(&envelope),
                "ttl_secs": 600,
                "passphrase_verifier": key.passphrase_proof(&pass).unwrap().verifier().to_b64u(),
                "receipt_verifier": receipt.verifier().to_b64u(),
            }),
        )
        .await;
    assert_eq!(status, 201, "{answer}");
    let link = build_link(&format!("{base}/s"), &key).unwrap().to_string();
    let receipt = build_receipt_link(base, &key.id(), &receipt)
        .unwrap()
        .to_string();
    (link, receipt)
}

/// Takes a page-made v2 secret through the API and opens it in Rust.
async fn take_in_rust(base: &str, link: &str, passphrase: Option<&str>) -> v2::Opened {
    let key = v2_key(link);
    let pass = passphrase.map(|p| Passphrase::new(p).unwrap());
    let mut request = json!({ "claim": key.claim().to_b64u().as_str() });
    if let Some(p) = &pass {
        request["passphrase_proof"] = json!(key.passphrase_proof(p).unwrap().to_b64u().as_str());
    }
    let (status, _, answer) = Api::new(base).post(TAKE_PATH, &request).await;
    assert_eq!(status, 200, "{answer}");
    let envelope = Base64UrlUnpadded::decode_vec(answer["envelope"].as_str().unwrap()).unwrap();
    v2::open(&key, pass.as_ref(), &envelope).expect("Rust opens what the page sealed")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passphrase_is_asked_before_any_request_and_a_wrong_one_burns_nothing() {
    let _guard = BROWSER_LOCK.lock().await;
    let server = TestServer::memory().await;
    let driver = Chromedriver::start().await;

    // Writer: a text behind a passphrase typed in NFC.
    let writer = driver.session().await;
    open_create(&writer, &server.base).await;
    let secret = "the vault code is 4711";
    type_into(&writer, "secret", secret).await;
    type_into(&writer, "passphrase", "caf\u{e9} cr\u{e8}me").await;
    let link = press_create(&writer).await;
    assert_eq!(
        writer.js("document.body.dataset.stages").await,
        json!("deriving,encrypting,uploading"),
        "the page showed each stage"
    );
    assert!(v2_key(&link).needs_passphrase(), "the link says so: {link}");
    assert!(visible(&writer, "passphrase-reminder").await);
    assert!(
        !visible(&writer, "receipt-box").await,
        "no receipt asked for"
    );
    assert_eq!(
        value_of(&writer, "passphrase").await,
        "",
        "passphrase field cleared"
    );
    assert_eq!(server.counts.puts(), 1);
    writer.assert_clean_console().await;
    writer.close().await;

    // Reader: the page asks for the passphrase and asks the server nothing.
    let reader = driver.session().await;
    open_link(&reader, &link).await;
    assert_eq!(
        reader.js("document.body.dataset.needs").await,
        json!("passphrase")
    );
    assert!(visible(&reader, "passphrase-row").await);
    assert_eq!(
        fragment_now(&reader).await,
        None,
        "key out of the address bar at load"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(server.counts.takes(), 0, "no take before the reader acts");
    reader.screenshot_card("10-passphrase-prompt").await;

    // Reveal without a passphrase: refused in the page, no request.
    click(&reader, "#reveal").await;
    let status = text_of(&reader, "#reveal-status").await;
    assert!(status.contains("Enter the passphrase"), "{status}");
    assert_eq!(
        server.counts.takes(),
        0,
        "an empty passphrase sends nothing"
    );

    // A wrong one: attempts left, nothing burned.
    assert_eq!(reveal_with(&reader, "cafe creme").await, "wrong_passphrase");
    let status = text_of(&reader, "#reveal-status").await;
    assert!(status.contains("4 attempts left"), "{status}");
    assert!(status.contains("Nothing was destroyed"), "{status}");
    assert!(
        visible(&reader, "ready-view").await,
        "the reader may try again"
    );
    assert_eq!(server.entries(), 1, "the secret is still there");
    reader.screenshot_card("11-wrong-passphrase").await;

    // The right one, typed decomposed (NFD): the same passphrase.
    assert_eq!(
        reveal_with(&reader, "cafe\u{301} cre\u{300}me").await,
        "revealed"
    );
    assert_eq!(value_of(&reader, "secret").await, secret);
    assert_eq!(
        reader.js("document.body.dataset.stages").await,
        json!("deriving,downloading,decrypting")
    );
    assert_eq!(server.entries(), 0);
    reader.assert_clean_console().await;

    // Wrong twice where two attempts are allowed: the second says it is
    // gone, and the receipt says why.
    let policy = Policy::new().with_passphrase_attempts(2.try_into().unwrap());
    let strict = TestServer::configured(
        Arc::new(oneshot_memory::MemoryStore::new()),
        policy,
        |app| app,
    )
    .await;
    let (link, receipt) = api_secret(&strict.base, b"short-lived", "right one").await;
    open_link(&reader, &link).await;
    assert_eq!(reveal_with(&reader, "wrong one").await, "wrong_passphrase");
    assert_eq!(reveal_with(&reader, "wrong two").await, "burned");
    let status = text_of(&reader, "#reveal-status").await;
    assert!(status.contains("last attempt"), "{status}");
    assert!(!visible(&reader, "ready-view").await);
    reader.client.goto(&receipt).await.unwrap();
    reader
        .wait_js("document.body.dataset.state === 'burned'", WAIT)
        .await;
    let text = text_of(&reader, "#state-view").await;
    assert!(text.contains("Too many wrong passphrases"), "{text}");
    assert_eq!(fact_text(&reader, "Wrong passphrases tried").await, "2");
    reader.close().await;
    strict.stop().await;
    server.stop().await;
}

/// Waits until `dir` holds one finished download; its name and bytes.
async fn downloaded(dir: &std::path::Path) -> (String, Vec<u8>) {
    let until = Instant::now() + Duration::from_secs(30);
    loop {
        let done: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        if done.len() == 1 && !done[0].ends_with(".crdownload") {
            // Chromium renames the finished file; give it a moment to settle.
            tokio::time::sleep(Duration::from_millis(200)).await;
            let bytes = std::fs::read(dir.join(&done[0])).unwrap();
            return (done[0].clone(), bytes);
        }
        assert!(Instant::now() < until, "no download within 30 s: {done:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Reveals a file secret in `reader` and saves it; its name and bytes.
async fn reveal_and_download(
    reader: &Browser,
    link: &str,
    dir: &std::path::Path,
) -> (String, Vec<u8>) {
    open_link(reader, link).await;
    assert_eq!(press_reveal(reader).await, "revealed");
    assert!(visible(reader, "file-view").await, "offered as a file");
    assert!(!visible(reader, "secret-view").await, "not shown as text");
    let a = reader.client.find(Locator::Id("download")).await.unwrap();
    let href = a.attr("href").await.unwrap().unwrap_or_default();
    assert!(href.starts_with("blob:"), "a blob, not a page: {href}");
    let suggested = a.attr("download").await.unwrap().unwrap_or_default();
    assert!(
        !suggested.is_empty(),
        "the download attribute names the file"
    );
    reader.download_to(dir).await;
    a.click().await.unwrap();
    let (name, bytes) = downloaded(dir).await;
    assert_eq!(name, suggested, "saved under the suggested name");
    (name, bytes)
}

fn random_bytes(len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    for chunk in out.chunks_mut(8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let bytes = x.to_le_bytes();
        chunk.copy_from_slice(&bytes[..chunk.len()]);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_go_through_the_picker_the_drop_zone_and_the_cli_and_come_back_as_downloads() {
    let _guard = BROWSER_LOCK.lock().await;
    let policy = Policy::new().with_max_body_bytes(TEN_MIB);
    let server = TestServer::configured(
        Arc::new(oneshot_memory::MemoryStore::new()),
        policy,
        |app| app,
    )
    .await;
    let driver = Chromedriver::start().await;
    let files = tempfile::tempdir().unwrap();

    // A small file through the picker, with a receipt.
    let writer = driver.session().await;
    open_create(&writer, &server.base).await;
    let limit = text_of(&writer, "#size-limit").await;
    assert!(
        limit.contains("10 MiB"),
        "the limit is shown before upload: {limit}"
    );
    let small = random_bytes(5000);
    let path = files.path().join("Q3 report ✓.pdf");
    std::fs::write(&path, &small).unwrap();
    writer
        .client
        .find(Locator::Id("file"))
        .await
        .unwrap()
        .send_keys(&path.display().to_string())
        .await
        .unwrap();
    writer
        .wait_js("!document.getElementById('file-chosen').hidden", WAIT)
        .await;
    assert_eq!(text_of(&writer, "#file-name").await, "Q3 report ✓.pdf");
    click(&writer, "#receipt").await;
    type_into(&writer, "passphrase", "for the file").await;
    writer.screenshot_card("12-create-file-options").await;
    type_into(&writer, "passphrase", "").await;
    let link = press_create(&writer).await;
    assert!(visible(&writer, "receipt-box").await);
    writer.assert_clean_console().await;

    let reader = driver.session().await;
    let downloads = tempfile::tempdir().unwrap();
    let (name, bytes) = reveal_and_download(&reader, &link, downloads.path()).await;
    assert_eq!(name, "Q3 report ✓.pdf");
    assert_eq!(bytes, small, "the same bytes");
    assert_eq!(text_of(&reader, "#file-type").await, "application/pdf");
    reader.screenshot_card("13-file-offered").await;
    reader.assert_clean_console().await;

    // The drop zone (a drop as the browser delivers it), read by Rust.
    click(&writer, "#again").await;
    writer
        .js(r#"(() => {
            const data = new DataTransfer();
            const bytes = new Uint8Array(300).map((_, i) => i % 251);
            data.items.add(new File([bytes], "dropped \u202egpj.exe", { type: "application/x-test" }));
            const zone = document.getElementById("drop-zone");
            for (const type of ["dragenter", "dragover", "drop"]) {
              zone.dispatchEvent(new DragEvent(type, { dataTransfer: data, bubbles: true, cancelable: true }));
            }
            return true;
        })()"#)
        .await;
    writer
        .wait_js("!document.getElementById('file-chosen').hidden", WAIT)
        .await;
    assert_eq!(
        text_of(&writer, "#file-name").await,
        "dropped _gpj.exe",
        "the bidi override is not sent"
    );
    let link = press_create(&writer).await;
    let opened = take_in_rust(&server.base, &link, None).await;
    assert_eq!(opened.name(), Some("dropped _gpj.exe"));
    assert_eq!(opened.media_type(), "application/x-test");
    assert_eq!(
        opened.body(),
        (0..300).map(|i| (i % 251) as u8).collect::<Vec<_>>()
    );

    // 10 MiB, the server's limit: page → server → CLI, and CLI → server → page.
    let big = random_bytes(TEN_MIB);
    let path = files.path().join("ten.bin");
    std::fs::write(&path, &big).unwrap();
    click(&writer, "#again").await;
    writer
        .client
        .find(Locator::Id("file"))
        .await
        .unwrap()
        .send_keys(&path.display().to_string())
        .await
        .unwrap();
    writer
        .wait_js("!document.getElementById('file-chosen').hidden", WAIT)
        .await;
    let started = Instant::now();
    let link = press_create(&writer).await;
    eprintln!(
        "10 MiB encrypted and uploaded by the page in {:?}",
        started.elapsed()
    );
    // The CLI opens the page's link and shares the same file back, both at
    // once (each takes seconds in a debug build).
    let out = files.path().join("from-page.bin");
    let out_arg = out.display().to_string();
    let path_arg = path.display().to_string();
    let open_args = ["open", &link, "--output", &out_arg];
    let share_args = [
        "share",
        "--server",
        &server.base,
        "--ttl",
        "1h",
        "--file",
        &path_arg,
    ];
    let started = Instant::now();
    let ((code, _, stderr), (share_code, stdout, share_stderr)) =
        tokio::join!(run_cli(&open_args, None), run_cli(&share_args, None));
    eprintln!(
        "10 MiB opened and shared by the CLI in {:?}",
        started.elapsed()
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        std::fs::read(&out).unwrap() == big,
        "the CLI wrote the same 10 MiB"
    );
    assert_eq!(share_code, 0, "{share_stderr}");

    let started = Instant::now();
    let downloads = tempfile::tempdir().unwrap();
    let (name, bytes) = reveal_and_download(&reader, stdout.trim(), downloads.path()).await;
    eprintln!(
        "10 MiB taken, decrypted and saved by the page in {:?}",
        started.elapsed()
    );
    assert_eq!(name, "ten.bin");
    assert!(bytes == big, "the page saved the same 10 MiB");

    // One byte over: refused before anything is encrypted or sent.
    let puts = server.counts.puts();
    let path = files.path().join("too-big.bin");
    std::fs::write(&path, vec![0u8; TEN_MIB + 1]).unwrap();
    click(&writer, "#again").await;
    writer
        .client
        .find(Locator::Id("file"))
        .await
        .unwrap()
        .send_keys(&path.display().to_string())
        .await
        .unwrap();
    writer
        .wait_js(
            "document.getElementById('create-status').textContent.includes('too large')",
            WAIT,
        )
        .await;
    assert!(
        !visible(&writer, "file-chosen").await,
        "the file is not kept"
    );
    assert_eq!(server.counts.puts(), puts, "nothing stored");
    writer.close().await;
    reader.close().await;
    server.stop().await;
}

/// Opens a receipt link and waits for its first state.
async fn open_receipt(browser: &Browser, receipt: &str) -> String {
    browser.client.goto(receipt).await.unwrap();
    browser
        .wait_js(
            "document.body.dataset.ready === 'receipt' && document.body.dataset.state",
            WAIT,
        )
        .await
        .as_str()
        .unwrap()
        .to_owned()
}

/// Creates a text secret with a receipt through the page; both links.
async fn create_with_receipt(writer: &Browser, base: &str, secret: &str) -> (String, String) {
    open_create(writer, base).await;
    type_into(writer, "secret", secret).await;
    click(writer, "#receipt").await;
    let link = press_create(writer).await;
    assert!(visible(writer, "receipt-box").await);
    let receipt = value_of(writer, "receipt-link").await;
    assert!(receipt.starts_with(&format!("{base}/r#")), "{receipt}");
    (link, receipt)
}

/// The text of the fact labelled `term` on the receipt page.
async fn fact_text(browser: &Browser, term: &str) -> String {
    let script = format!(
        "[...document.querySelectorAll('#state-facts dt')].filter(dt => dt.textContent === {}).map(dt => dt.nextElementSibling.textContent)[0]",
        json!(term)
    );
    browser
        .js(&script)
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// The `<time>` of the fact labelled `term` on the receipt page, in Unix seconds.
async fn fact_time(browser: &Browser, term: &str) -> f64 {
    let script = format!(
        "[...document.querySelectorAll('#state-facts dt')].filter(dt => dt.textContent === {}).map(dt => Date.parse(dt.nextElementSibling.querySelector('time').dateTime) / 1000)[0]",
        json!(term)
    );
    browser
        .js(&script)
        .await
        .as_f64()
        .unwrap_or_else(|| panic!("a time for {term}"))
}

fn now_secs() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receipts_show_pending_then_read_and_burn_an_unread_secret() {
    let _guard = BROWSER_LOCK.lock().await;
    let server = TestServer::memory().await;
    let driver = Chromedriver::start().await;
    let writer = driver.session().await;
    let reader = driver.session().await;

    // Pending, then read: the page sees it on its own.
    let (link, receipt) = create_with_receipt(&writer, &server.base, "read me").await;
    assert_ne!(link, receipt);
    let warning = text_of(&writer, "#receipt-box").await;
    assert!(warning.contains("Do not send this link"), "{warning}");
    writer.screenshot_card("14-links-with-receipt").await;
    assert_eq!(open_receipt(&writer, &receipt).await, "pending");
    assert_eq!(
        fragment_now(&writer).await,
        None,
        "receipt out of the address bar at load"
    );
    let expires = fact_time(&writer, "Expires").await;
    assert!(
        (expires - now_secs() - 86400.0).abs() < 120.0,
        "expires in 24 h: {expires}"
    );
    let text = text_of(&writer, "#state-view").await;
    assert!(text.contains("Not read yet"), "{text}");
    assert_eq!(fact_text(&writer, "Wrong passphrases tried").await, "0");
    assert!(visible(&writer, "burn").await, "Burn offered while unread");
    writer.screenshot_card("15-receipt-pending").await;

    open_link(&reader, &link).await;
    assert_eq!(press_reveal(&reader).await, "revealed");
    let read = now_secs();
    writer
        .wait_js(
            "document.body.dataset.state === 'read'",
            Duration::from_secs(10),
        )
        .await;
    let read_at = fact_time(&writer, "Read at").await;
    assert!(
        (read_at - read).abs() < 5.0,
        "read at {read_at}, about {read}"
    );
    assert!(!visible(&writer, "burn").await, "nothing to burn once read");
    writer.screenshot_card("16-receipt-read").await;

    // Burn an unread one, behind a confirmation; the reader's link is gone.
    let (link, receipt) = create_with_receipt(&writer, &server.base, "burn me").await;
    assert_eq!(open_receipt(&writer, &receipt).await, "pending");
    click(&writer, "#burn").await;
    assert!(visible(&writer, "burn-confirm").await, "asks first");
    click(&writer, "#burn-no").await;
    assert!(!visible(&writer, "burn-confirm").await);
    assert_eq!(
        writer.js("document.body.dataset.state").await,
        json!("pending")
    );
    click(&writer, "#burn").await;
    writer.screenshot("17-receipt-burn-confirm").await;
    click(&writer, "#burn-yes").await;
    writer.wait_js("document.body.dataset.burn", WAIT).await;
    assert_eq!(
        writer.js("document.body.dataset.burn").await,
        json!("burned")
    );
    assert_eq!(
        writer.js("document.body.dataset.state").await,
        json!("burned")
    );
    let text = text_of(&writer, "#state-view").await;
    assert!(text.contains("by the sender"), "{text}");
    let burned_at = fact_time(&writer, "Destroyed at").await;
    assert!((burned_at - now_secs()).abs() < 5.0);
    writer.screenshot_card("18-receipt-burned").await;
    open_link(&reader, &link).await;
    assert_eq!(press_reveal(&reader).await, "gone");
    let status = text_of(&reader, "#reveal-status").await;
    assert!(status.contains("destroyed by its sender"), "{status}");

    // A burn that comes too late: the page says what prevented it (409).
    let (link, receipt) = create_with_receipt(&writer, &server.base, "too late").await;
    assert_eq!(open_receipt(&writer, &receipt).await, "pending");
    open_link(&reader, &link).await;
    assert_eq!(press_reveal(&reader).await, "revealed");
    // Pressed before the page's next check shows it read.
    writer
        .js("(document.getElementById('burn-yes').click(), true)")
        .await;
    writer.wait_js("document.body.dataset.burn", WAIT).await;
    assert_eq!(
        writer.js("document.body.dataset.burn").await,
        json!("already_read")
    );
    assert_eq!(
        writer.js("document.body.dataset.state").await,
        json!("read")
    );
    let status = text_of(&writer, "#receipt-status").await;
    assert!(status.contains("already read"), "{status}");

    // A receipt this server does not know, and a damaged one.
    let unknown = build_receipt_link(
        &server.base,
        &SecretId::from_bytes([7; 16]),
        &ReceiptKey::from_bytes([9; 32]),
    )
    .unwrap();
    assert_eq!(open_receipt(&writer, &unknown).await, "unknown");
    let text = text_of(&writer, "#state-view").await;
    assert!(text.contains("knows no secret"), "{text}");
    writer
        .client
        .goto(&unknown[..unknown.len() - 1])
        .await
        .unwrap();
    writer
        .wait_js("document.body.dataset.ready === 'malformed'", WAIT)
        .await;
    assert_eq!(
        writer.js("document.body.dataset.polls || 'none'").await,
        json!("none"),
        "no request"
    );
    assert_eq!(fragment_now(&writer).await, None);
    writer.assert_clean_console().await;
    reader.close().await;
    writer.close().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_form_has_no_names_create_waits_for_the_script_and_keys_leave_the_address_bar() {
    let _guard = BROWSER_LOCK.lock().await;
    let server = TestServer::memory().await;

    // The page as served: Create starts disabled, no control has a name.
    let html = oneshot_examples::cli::http_client()
        .build()
        .unwrap()
        .get(format!("{}/", server.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let form = &html[html.find("<form").unwrap()..html.find("</form>").unwrap()];
    assert!(!form.contains(" name="), "no name attribute in the form");
    assert!(!form.contains("action="), "no action");
    let button = &form[form.find("id=\"create\"").unwrap()..];
    let button = &button[..button.find('>').unwrap()];
    assert!(
        button.contains("disabled"),
        "Create starts disabled: {button}"
    );

    let driver = Chromedriver::start().await;
    // A browser whose page scripts do not run: nothing can submit the form.
    let blocked = driver.session_without_javascript().await;
    let page = format!("{}/#not-a-key", server.base);
    blocked.client.goto(&page).await.unwrap();
    let create = blocked.client.find(Locator::Id("create")).await.unwrap();
    assert!(
        !create.is_enabled().await.unwrap(),
        "Create disabled without the script"
    );
    assert_eq!(
        blocked.js("document.body.dataset.ready || 'none'").await,
        json!("none")
    );
    assert!(
        visible(&blocked, "script-wait").await,
        "the page says why Create is disabled"
    );
    assert_eq!(
        blocked
            .js("document.querySelectorAll('#create-form [name]').length")
            .await,
        json!(0)
    );
    type_into(&blocked, "secret", "must not leak").await;
    type_into(&blocked, "passphrase", "enter submits\u{e007}").await;
    let _ = create.click().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let url = blocked.client.current_url().await.unwrap();
    assert_eq!(url.as_str(), page, "the address did not change");
    assert!(url.query().is_none());
    assert_eq!(server.counts.puts(), 0);
    blocked.screenshot("19-create-without-script").await;
    blocked.close().await;

    // With the script: each page drops its fragment the moment it loads.
    let browser = driver.session().await;
    browser.client.goto(&page).await.unwrap();
    browser
        .wait_js("document.body.dataset.ready === 'create'", WAIT)
        .await;
    assert!(
        browser
            .client
            .find(Locator::Id("create"))
            .await
            .unwrap()
            .is_enabled()
            .await
            .unwrap()
    );
    assert_eq!(fragment_now(&browser).await, None, "create page");
    assert!(!visible(&browser, "script-wait").await);
    let key = v2::SecretKey::from_bytes([3; 32], Flags::NONE);
    let link = build_link(&format!("{}/s", server.base), &key).unwrap();
    open_link(&browser, &link).await;
    assert_eq!(
        fragment_now(&browser).await,
        None,
        "reveal page, before any Reveal"
    );
    assert_eq!(server.counts.takes(), 0);
    let receipt =
        build_receipt_link(&server.base, &key.id(), &ReceiptKey::from_bytes([4; 32])).unwrap();
    open_receipt(&browser, &receipt).await;
    assert_eq!(fragment_now(&browser).await, None, "receipt page");
    let history = browser.js("history.length").await;
    browser.client.back().await.unwrap();
    let url = browser.client.current_url().await.unwrap();
    assert!(
        url.fragment().is_none(),
        "not in the history either: {url} ({history})"
    );
    browser.assert_clean_console().await;
    browser.close().await;
    server.stop().await;
}
