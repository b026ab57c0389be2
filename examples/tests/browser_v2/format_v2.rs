//! `format2.js` in Chromium against every row of `vectors-v2.json`, and
//! against `oneshot_core::v2` on generated inputs: links, file names, media
//! types, passphrases (NFC and NFD), frame lengths, receipts, and envelopes
//! sealed on one side and opened on the other.

use base64ct::{Base64UrlUnpadded, Encoding};
use oneshot_core::link::{LinkKey, parse_key, parse_receipt};
use oneshot_core::v2::{self, Content, Flags, Kind, Passphrase, ReceiptKey};
use oneshot_core::{PassphraseError, SecretId};
use serde_json::{Value, json};

use crate::common::browser::Chromedriver;
use crate::common::server::TestServer;
use crate::{BROWSER_LOCK, WAIT};

const VECTORS_V2: &str = include_str!("../../../oneshot-core/tests/data/vectors-v2.json");

/// Runs the vectors and the generated inputs through `format2.js` in the
/// page and returns what it computed, named as the vector files name it.
const SCRIPT: &str = r#"
const [vectors, gen, done] = arguments;
(async () => {
  const f = await import(new URL("static/format2.js", document.baseURI).href);
  const hex = f.toHex;
  const b64 = f.b64uEncode;
  const failure = (err) => (err && err.kind) || String(err);
  const contentOf = (e) =>
    e.kind === "file" ? { kind: "file", name: e.name, mediaType: e.media_type } : { kind: "text" };
  const opened = (o) => {
    const row = { kind: o.kind, body_hex: hex(o.body) };
    if (o.kind === "file") Object.assign(row, { name: o.name, media_type: o.mediaType });
    return row;
  };
  const out = { derivations: [], envelopes: [], rejects: [], links: [], padding: [], receipts: [], gen: {} };

  for (const d of vectors.derivations) {
    const link = f.parseLink(d.link_fragment);
    const passphrase = d.passphrase === undefined ? null : d.passphrase;
    const r = await f.derive(link.key, link.flags, passphrase, { expose: true });
    const row = {
      key_hex: hex(link.key),
      flags: link.flags,
      link_fragment: f.linkFragment(link.key, link.flags),
      claim_hex: hex(r.claim),
      claim_b64u: b64(r.claim),
      id_hex: hex(r.id),
      enc_key_hex: hex(r.encKeyBytes),
    };
    if (passphrase !== null) {
      Object.assign(row, {
        passphrase_utf8_nfc_hex: hex(r.passphraseUtf8),
        pbkdf2_salt_hex: hex(r.pbkdf2Salt),
        pbkdf2_key_hex: hex(r.pbkdf2Key),
        passphrase_proof_b64u: b64(r.proof),
        passphrase_verifier_hex: hex(r.verifier),
      });
    }
    out.derivations.push(row);
  }

  for (const e of vectors.envelopes) {
    const link = f.parseLink(e.link_fragment);
    const r = await f.derive(link.key, link.flags, e.passphrase === undefined ? null : e.passphrase);
    const envelope = await f.sealDerived(r, contentOf(e), f.fromHex(e.body_hex), f.fromHex(e.nonce_hex));
    const row = {
      link_fragment: f.linkFragment(link.key, link.flags),
      nonce_hex: hex(envelope.subarray(1, 13)),
      envelope_b64u: b64(envelope),
      envelope_len: envelope.length,
      id_hex: hex(r.id),
      ...opened(await f.openDerived(r, f.b64uDecode(e.envelope_b64u))),
    };
    out.envelopes.push(row);
  }

  for (const x of vectors.rejects) {
    const link = f.parseLink(x.link_fragment);
    try {
      await f.open(link.key, link.flags, x.passphrase === undefined ? null : x.passphrase, f.b64uDecode(x.envelope_b64u));
      out.rejects.push("accepted");
    } catch (err) {
      out.rejects.push(failure(err));
    }
  }

  const parsed = (input) => {
    try {
      const l = f.parseLink(input);
      return { version: l.version, flags: l.flags, key_hex: hex(l.key) };
    } catch (err) {
      return null;
    }
  };
  for (const l of vectors.links) out.links.push(parsed(l.input));
  for (const p of vectors.padding) out.padding.push({ n: p.n, frame_len: f.frameLen(p.n) });
  for (const x of vectors.receipts) {
    const key = f.fromHex(x.receipt_key_hex);
    const values = await f.receiptValues(key);
    const back = f.parseReceipt(`https://example.test/r#${x.receipt_fragment}`);
    out.receipts.push({
      receipt_key_hex: hex(back.receiptKey),
      id_hex: hex(back.id),
      receipt_fragment: f.receiptFragment(f.fromHex(x.id_hex), key),
      receipt_claim_b64u: b64(values.claim),
      receipt_verifier_hex: hex(values.verifier),
    });
  }

  // Generated inputs, compared with Rust by the test.
  const g = out.gen;
  g.links = gen.links.map(parsed);
  g.names = gen.names.map((name) => ({
    ok: f.nameProblem(name) === null,
    upload: f.uploadName(name),
    download: f.downloadName(name),
  }));
  g.media_types = gen.media_types.map((t) => f.mediaTypeProblem(t) === null);
  g.passphrases = [];
  for (const p of gen.passphrases) {
    try {
      const bytes = f.passphraseBytes(p.text);
      const row = { ok: true, len: bytes.length };
      if (p.derive) {
        const r = await f.derive(f.fromHex(p.key_hex), f.FLAG_PASSPHRASE, p.text);
        row.proof = b64(r.proof);
      }
      g.passphrases.push(row);
    } catch (err) {
      g.passphrases.push({ ok: false, error: failure(err) });
    }
  }
  g.frames = gen.frames.map((n) => f.frameLen(n));
  g.opened = [];
  for (const e of gen.rust_sealed) {
    const link = f.parseLink(e.link);
    try {
      g.opened.push(opened(await f.open(link.key, link.flags, e.passphrase, f.b64uDecode(e.envelope))));
    } catch (err) {
      g.opened.push({ error: failure(err) });
    }
  }
  g.sealed = [];
  for (const e of gen.to_seal) {
    const link = f.parseLink(e.link);
    const { envelope } = await f.seal(link.key, link.flags, e.passphrase, contentOf(e), f.fromHex(e.body_hex));
    g.sealed.push(b64(envelope));
  }
  g.receipts = [];
  for (const x of gen.receipts) {
    const key = f.fromHex(x.key_hex);
    const values = await f.receiptValues(key);
    g.receipts.push({
      fragment: f.receiptFragment(f.fromHex(x.id_hex), key),
      claim: b64(values.claim),
      verifier: b64(values.verifier),
    });
  }
  g.receipt_inputs = gen.receipt_inputs.map((input) => {
    try {
      const r = f.parseReceipt(input);
      return { id_hex: hex(r.id), key_hex: hex(r.receiptKey) };
    } catch (err) {
      return null;
    }
  });
  return out;
})().then((out) => done(JSON.stringify(out)), (err) => done("ERROR " + err + " " + err.stack));
"#;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn b64u(bytes: &[u8]) -> String {
    Base64UrlUnpadded::encode_string(bytes)
}

/// A deterministic byte stream, so that no case depends on a draw.
fn bytes_from(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn key_of(seed: u64) -> [u8; 32] {
    bytes_from(seed, 32).try_into().unwrap()
}

fn fragment(version: u8, flags: u8, key: &[u8; 32]) -> String {
    let mut bytes = vec![version, flags];
    bytes.extend_from_slice(key);
    b64u(&bytes)
}

/// What Rust makes of a pasted link, in the shape the script answers.
fn rust_link(input: &str) -> Value {
    match parse_key(input) {
        Ok(LinkKey::V1(k)) => json!({ "version": 1, "flags": 0, "key_hex": hex(k.as_bytes()) }),
        Ok(LinkKey::V2(k)) => {
            json!({ "version": 2, "flags": k.flags().bits(), "key_hex": hex(k.as_bytes()) })
        }
        Ok(_) => panic!("a link version this test does not know"),
        Err(_) => Value::Null,
    }
}

fn link_inputs() -> Vec<String> {
    let key = key_of(1);
    let good = fragment(2, 1, &key);
    let plain = fragment(2, 0, &key);
    let v1 = b64u(&key);
    let mut inputs = vec![
        good.clone(),
        plain.clone(),
        v1.clone(),
        format!("  {good}\n"),
        format!("\t{plain}\r\n"),
        // Rust trims U+0085 and U+3000 (White_Space) but not U+FEFF.
        format!("\u{85}{good}\u{85}"),
        format!("\u{3000}{good}"),
        format!("\u{feff}{good}"),
        format!("{good}\u{feff}"),
        format!("\u{a0}{v1}\u{2029}"),
        format!("https://h.example/s#{good}"),
        format!("https://h.example/app/s?x=1#{plain}"),
        format!("#{good}"),
        format!("a#b#{good}"),
        format!("{good}#"),
        good[..45].to_owned(),
        format!("{good}A"),
        format!("{good}="),
        format!("{}=", &good[..45]),
        String::new(),
        "#".to_owned(),
        "é".repeat(46),
        "é".repeat(23),
    ];
    // Every version byte and flag combination that matters.
    for version in [0u8, 1, 2, 3, 0x82, 0xff] {
        for flags in [0u8, 1, 2, 3, 0x40, 0x80, 0xff] {
            inputs.push(fragment(version, flags, &key));
        }
    }
    // The last character carries 2 bits of data and 4 of padding.
    let stem = &good[..45];
    for c in ['w', 'x', 'y', 'z', 'A', 'Q', 'g'] {
        inputs.push(format!("{stem}{c}"));
    }
    // One character changed at each position, to every kind of character.
    let pool = ['A', 'z', '0', '-', '_', '+', '/', '=', '.', ' ', 'é', '~'];
    for pos in 0..46 {
        let k = key_of(100 + pos as u64);
        let mut s: Vec<char> = fragment(2, (pos % 2) as u8, &k).chars().collect();
        s[pos] = pool[pos % pool.len()];
        inputs.push(s.into_iter().collect());
    }
    inputs
}

fn name_inputs() -> Vec<String> {
    let mut names: Vec<String> = [
        "report.pdf",
        "résumé final (2).docx",
        "ключ.der",
        "😀 photo.jpg",
        ".env",
        "..hidden",
        "...",
        ".",
        "..",
        "",
        " ",
        "a/b",
        "a\\b",
        "evil\u{202e}gpj.exe",
        "\u{feff}bom.txt",
        "tab\tname",
        "nul\u{0}",
        "del\u{7f}",
        "nel\u{85}",
        "c1\u{9f}",
        "nbsp\u{a0}ok",
        "alm\u{61c}",
        "lrm\u{200e}",
        "rlm\u{200f}",
        "lre\u{202a}",
        "lri\u{2066}",
        "pdi\u{2069}",
        "iss\u{206a}",
        "zwsp\u{200b}x",
        "ls\u{2028}x",
        "private\u{e000}",
        "con:name?.txt",
        "trailing dots...",
        "  spaced  ",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    names.push("a".repeat(255));
    names.push("a".repeat(256));
    names.push(format!("{}a", "é".repeat(127)));
    names.push("é".repeat(128));
    names.push(format!("{}.tar.gz", "x".repeat(300)));
    names.push(format!("{}.{}", "y".repeat(200), "z".repeat(100)));
    names.push("😀".repeat(64));
    // Random names from a pool of allowed, forbidden and odd characters.
    let pool = [
        'a', 'Z', '.', '/', '\\', '\u{0}', '\u{1f}', '\u{7f}', '\u{85}', '\u{9f}', '\u{a0}',
        '\u{61c}', '\u{200b}', '\u{200e}', '\u{202e}', '\u{2066}', '\u{2069}', '\u{206a}',
        '\u{feff}', 'é', '😀', ' ', '\u{2028}', ':', '*', '\u{e000}', '-',
    ];
    for seed in 0..60u64 {
        let bytes = bytes_from(seed + 7, 9);
        let len = usize::from(bytes[0] % 9);
        names.push(
            bytes[1..=len]
                .iter()
                .map(|b| pool[usize::from(*b) % pool.len()])
                .collect(),
        );
    }
    names
}

fn media_type_inputs() -> Vec<String> {
    let mut types: Vec<String> = [
        "",
        "application/pdf",
        "text/plain;charset=utf-8",
        "text/plain; charset=utf-8",
        "a b",
        "ü",
        "\u{7f}",
        "\t",
        "!~",
        "x\u{0}",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    types.push("x".repeat(255));
    types.push("x".repeat(256));
    types
}

/// (passphrase, whether to derive the proof: each costs 600,000 rounds).
fn passphrase_inputs() -> Vec<(String, bool)> {
    vec![
        // NFD forms that the Rust side derives in NFC.
        ("e\u{301}cole d'e\u{301}te\u{301}".to_owned(), true),
        ("\u{212b}ngstr\u{f6}m".to_owned(), true),
        ("\u{1100}\u{1161}\u{11a8} pass".to_owned(), true),
        (String::new(), false),
        (" ".to_owned(), false),
        ("a".repeat(1024), false),
        ("a".repeat(1025), false),
        ("é".repeat(512), false),
        ("é".repeat(513), false),
        // 1,536 bytes as typed, 1,024 after NFC: the limit is after NFC.
        ("e\u{301}".repeat(512), false),
        ("e\u{301}".repeat(513), false),
        ("\u{fb01} compat stays".to_owned(), false),
        ("  spaces kept  ".to_owned(), false),
    ]
}

/// The same text in NFC, written out by hand for the cases above (the
/// examples crate does not depend on a normaliser).
fn nfc(text: &str) -> String {
    text.replace("e\u{301}", "\u{e9}")
        .replace('\u{212b}', "\u{c5}")
        .replace("\u{1100}\u{1161}\u{11a8}", "\u{ac01}")
}

fn frame_inputs() -> Vec<u64> {
    let mut ns: Vec<u64> = (0..700).step_by(7).collect();
    for k in 1..=32u32 {
        let p = 1u64 << k;
        ns.extend([p - 1, p, p + 1, p + p / 3]);
    }
    ns.extend([
        10_000_000,
        10 * 1024 * 1024 + 4 + 300,
        u64::from(u32::MAX) + 4,
    ]);
    ns
}

/// One envelope case: the link, the passphrase, the content and body.
struct Case {
    link: String,
    passphrase: Option<&'static str>,
    content: Option<(String, String)>,
    body: Vec<u8>,
}

impl Case {
    fn json(&self) -> Value {
        let mut v = json!({
            "link": self.link,
            "passphrase": self.passphrase,
            "kind": if self.content.is_some() { "file" } else { "text" },
            "body_hex": hex(&self.body),
        });
        if let Some((name, media_type)) = &self.content {
            v["name"] = json!(name);
            v["media_type"] = json!(media_type);
        }
        v
    }

    fn key(&self) -> v2::SecretKey {
        match parse_key(&self.link) {
            Ok(LinkKey::V2(k)) => k,
            other => panic!("a v2 link: {other:?}"),
        }
    }

    fn content(&self) -> Content {
        match &self.content {
            Some((name, media_type)) => Content::file(name, media_type).expect("a valid file"),
            None => Content::text(),
        }
    }
}

fn cases() -> Vec<Case> {
    let link =
        |seed: u64, flags: u8| format!("http://h.example/s#{}", fragment(2, flags, &key_of(seed)));
    let file = |name: &str, media_type: &str| Some((name.to_owned(), media_type.to_owned()));
    vec![
        Case {
            link: link(1, 0),
            passphrase: None,
            content: None,
            body: Vec::new(),
        },
        Case {
            link: link(2, 0),
            passphrase: None,
            content: None,
            body: "hello ✓\n".into(),
        },
        Case {
            link: link(3, 0),
            passphrase: None,
            content: None,
            body: vec![b'a'; 249],
        },
        Case {
            link: link(4, 0),
            passphrase: None,
            content: None,
            body: vec![b'b'; 250],
        },
        Case {
            link: link(5, 0),
            passphrase: None,
            content: file("résumé.pdf", "application/pdf"),
            body: bytes_from(5, 5000),
        },
        Case {
            link: link(6, 0),
            passphrase: None,
            content: file("\u{feff}bom.txt", ""),
            body: bytes_from(6, 10),
        },
        Case {
            link: link(7, 0),
            passphrase: None,
            content: file(&format!("{}a", "é".repeat(127)), &"t".repeat(255)),
            body: bytes_from(7, 300),
        },
        Case {
            link: link(8, 1),
            passphrase: Some("pass wo\u{308}rd"),
            content: file("big.bin", "application/octet-stream"),
            body: bytes_from(8, 70_000),
        },
    ]
}

fn rust_sealed(cases: &[Case]) -> Vec<Value> {
    cases
        .iter()
        .map(|c| {
            let pass = c.passphrase.map(|p| Passphrase::new(p).unwrap());
            let envelope = v2::seal(&c.key(), pass.as_ref(), &c.content(), &c.body).unwrap();
            json!({ "link": c.link, "passphrase": c.passphrase, "envelope": b64u(&envelope) })
        })
        .collect()
}

fn receipt_cases() -> Vec<(SecretId, [u8; 32])> {
    (0..3u64)
        .map(|i| {
            let id: [u8; 16] = bytes_from(40 + i, 16).try_into().unwrap();
            (SecretId::from_bytes(id), key_of(50 + i))
        })
        .collect()
}

fn receipt_inputs() -> Vec<String> {
    let (id, key) = receipt_cases().remove(0);
    let good = ReceiptKey::from_bytes(key).to_fragment(&id).to_string();
    let mut v3 = Base64UrlUnpadded::decode_vec(&good).unwrap();
    v3[0] = 3;
    vec![
        good.clone(),
        format!("  http://h.example/r#{good}\n"),
        format!("#{good}"),
        good[..65].to_owned(),
        format!("{good}A"),
        format!("{}B", &good[..65]),
        b64u(&v3),
        good.replace('A', "+"),
        String::new(),
    ]
}

fn rust_receipt(input: &str) -> Value {
    match parse_receipt(input) {
        Ok((id, key)) => json!({ "id_hex": id.to_string(), "key_hex": hex(key.as_bytes()) }),
        Err(_) => Value::Null,
    }
}

fn passphrase_error(e: &PassphraseError) -> &'static str {
    match e {
        PassphraseError::Empty => "passphrase_empty",
        PassphraseError::TooLong => "passphrase_too_long",
        _ => "passphrase_other",
    }
}

/// Every field of a vector row (but the inputs named in `skip`) equals the
/// page's answer.
fn assert_row(what: &str, want: &Value, got: &Value, skip: &[&str]) {
    for (field, value) in want.as_object().expect("a vector row") {
        if skip.contains(&field.as_str()) {
            continue;
        }
        assert_eq!(&got[field], value, "{what}: {field}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn format2_js_reproduces_every_v2_vector_and_agrees_with_rust() {
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

    let vectors: Value = serde_json::from_str(VECTORS_V2).unwrap();
    let passphrase_key = key_of(77);
    let cases = cases();
    let generated = json!({
        "links": link_inputs(),
        "names": name_inputs(),
        "media_types": media_type_inputs(),
        "passphrases": passphrase_inputs().iter().map(|(text, derive)| json!({
            "text": text, "derive": derive, "key_hex": hex(&passphrase_key),
        })).collect::<Vec<_>>(),
        "frames": frame_inputs(),
        "rust_sealed": rust_sealed(&cases),
        "to_seal": cases.iter().map(Case::json).collect::<Vec<_>>(),
        "receipts": receipt_cases().iter().map(|(id, key)| json!({
            "id_hex": id.to_string(), "key_hex": hex(key),
        })).collect::<Vec<_>>(),
        "receipt_inputs": receipt_inputs(),
    });
    let started = std::time::Instant::now();
    let raw = tokio::time::timeout(
        std::time::Duration::from_secs(60),
        browser
            .client
            .execute_async(SCRIPT, vec![vectors.clone(), generated.clone()]),
    )
    .await
    .expect("the script ends within 60 s")
    .expect("the vector script runs");
    let text = raw.as_str().expect("a string result");
    assert!(!text.starts_with("ERROR"), "{text}");
    let out: Value = serde_json::from_str(text).unwrap();
    eprintln!(
        "format2.js: vectors and generated cases in {:?}",
        started.elapsed()
    );

    // The vectors, row by row, every field.
    let rows = |name: &str| vectors[name].as_array().unwrap().clone();
    let derivations = rows("derivations");
    assert_eq!(
        out["derivations"].as_array().unwrap().len(),
        derivations.len()
    );
    for (i, want) in derivations.iter().enumerate() {
        assert_row(
            &format!("derivation {i}"),
            want,
            &out["derivations"][i],
            &["passphrase"],
        );
    }
    let envelopes = rows("envelopes");
    assert_eq!(out["envelopes"].as_array().unwrap().len(), envelopes.len());
    for (i, want) in envelopes.iter().enumerate() {
        assert_row(
            &format!("envelope {i}"),
            want,
            &out["envelopes"][i],
            &["passphrase"],
        );
    }
    let rejects = rows("rejects");
    assert_eq!(out["rejects"].as_array().unwrap().len(), rejects.len());
    for (i, want) in rejects.iter().enumerate() {
        assert_eq!(out["rejects"][i], want["error"], "reject {}", want["name"]);
    }
    let links = rows("links");
    assert_eq!(out["links"].as_array().unwrap().len(), links.len());
    for (i, want) in links.iter().enumerate() {
        let got = &out["links"][i];
        let what = format!("link {:?} ({})", want["input"], want["note"]);
        if want["ok"] == json!(true) {
            assert_eq!(got["key_hex"], want["key_hex"], "{what}");
            assert_eq!(
                got["version"],
                want.get("version").cloned().unwrap_or(json!(2)),
                "{what}"
            );
            if let Some(flags) = want.get("flags") {
                assert_eq!(&got["flags"], flags, "{what}");
            }
        } else {
            assert_eq!(got, &Value::Null, "{what} is refused");
        }
    }
    let padding = rows("padding");
    assert_eq!(out["padding"].as_array().unwrap().len(), padding.len());
    for (i, want) in padding.iter().enumerate() {
        assert_row(&format!("padding {i}"), want, &out["padding"][i], &[]);
    }
    let receipts = rows("receipts");
    assert_eq!(out["receipts"].as_array().unwrap().len(), receipts.len());
    for (i, want) in receipts.iter().enumerate() {
        assert_row(&format!("receipt {i}"), want, &out["receipts"][i], &[]);
    }

    // Generated inputs: the page and Rust agree on each.
    let g = &out["gen"];
    for (i, input) in link_inputs().iter().enumerate() {
        assert_eq!(
            g["links"][i],
            rust_link(input),
            "parseLink({input:?}) in JS vs Rust"
        );
    }
    for (i, name) in name_inputs().iter().enumerate() {
        let got = &g["names"][i];
        assert_eq!(
            got["ok"],
            json!(v2::validate_name(name).is_ok()),
            "nameProblem({name:?})"
        );
        let upload = got["upload"].as_str().unwrap();
        assert!(
            v2::validate_name(upload).is_ok(),
            "uploadName({name:?}) = {upload:?} is valid"
        );
        if v2::validate_name(name).is_ok() {
            assert_eq!(upload, name, "a valid name is sent as it is");
        }
        let download = got["download"].as_str().unwrap();
        assert!(
            v2::validate_name(download).is_ok(),
            "downloadName({name:?}) = {download:?}"
        );
        assert!(
            !download.chars().any(|c| c.is_control()
                || matches!(c, '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{206f}' | '\u{feff}' | '\u{e000}'..='\u{f8ff}' | '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|')),
            "downloadName({name:?}) = {download:?} has nothing odd"
        );
        assert!(
            !download.ends_with('.') && !download.ends_with(' '),
            "{download:?}"
        );
    }
    for (i, t) in media_type_inputs().iter().enumerate() {
        assert_eq!(
            g["media_types"][i],
            json!(v2::validate_media_type(t).is_ok()),
            "media type {t:?}"
        );
    }
    for (i, (text, derive)) in passphrase_inputs().iter().enumerate() {
        let got = &g["passphrases"][i];
        match Passphrase::new(text) {
            Ok(p) => {
                assert_eq!(got["ok"], json!(true), "passphrase {i} accepted: {got}");
                assert_eq!(
                    got["len"],
                    json!(nfc(text).len()),
                    "passphrase {i}: NFC length"
                );
                if *derive {
                    // Rust derives from the NFC text, the page from the NFD one.
                    let nfc_form = Passphrase::new(&nfc(text)).unwrap();
                    let key = v2::SecretKey::from_bytes(passphrase_key, Flags::PASSPHRASE);
                    let want = key
                        .passphrase_proof(&nfc_form)
                        .unwrap()
                        .to_b64u()
                        .to_string();
                    assert_eq!(
                        got["proof"],
                        json!(want),
                        "passphrase {i}: NFD and NFC give one proof"
                    );
                    assert_eq!(key.passphrase_proof(&p).unwrap().to_b64u().as_str(), want);
                }
            }
            Err(e) => assert_eq!(
                got,
                &json!({ "ok": false, "error": passphrase_error(&e) }),
                "passphrase {i}"
            ),
        }
    }
    for (i, n) in frame_inputs().iter().enumerate() {
        let want = v2::frame_len(usize::try_from(*n).unwrap()).unwrap();
        assert_eq!(g["frames"][i], json!(want), "frameLen({n})");
    }
    for (i, c) in cases.iter().enumerate() {
        // Sealed by Rust, opened by the page.
        let got = &g["opened"][i];
        assert_eq!(
            got["body_hex"],
            json!(hex(&c.body)),
            "case {i} opened by the page: {got}"
        );
        match &c.content {
            Some((name, media_type)) => {
                assert_eq!(got["kind"], "file");
                assert_eq!(
                    got["name"],
                    json!(name),
                    "case {i}: the name, byte for byte"
                );
                assert_eq!(got["media_type"], json!(media_type));
            }
            None => assert_eq!(got["kind"], "text"),
        }
        // Sealed by the page, opened by Rust (with the passphrase in NFC).
        let envelope = Base64UrlUnpadded::decode_vec(g["sealed"][i].as_str().unwrap()).unwrap();
        let pass = c
            .passphrase
            .map(|p| Passphrase::new(&p.replace("o\u{308}", "\u{f6}")).unwrap());
        let opened =
            v2::open(&c.key(), pass.as_ref(), &envelope).expect("Rust opens what the page sealed");
        assert_eq!(opened.body(), c.body.as_slice(), "case {i} opened by Rust");
        assert_eq!(
            opened.kind(),
            if c.content.is_some() {
                Kind::File
            } else {
                Kind::Text
            }
        );
        assert_eq!(opened.name(), c.content.as_ref().map(|(n, _)| n.as_str()));
        assert_eq!(
            envelope.len(),
            v2::envelope_len(c.content().encoded_len(c.body.len()).unwrap()).unwrap()
        );
    }
    for (i, (id, key)) in receipt_cases().iter().enumerate() {
        let r = ReceiptKey::from_bytes(*key);
        let got = &g["receipts"][i];
        assert_eq!(
            got["fragment"],
            json!(r.to_fragment(id).as_str()),
            "receipt {i} fragment"
        );
        assert_eq!(
            got["claim"],
            json!(r.claim().to_b64u().as_str()),
            "receipt {i} claim"
        );
        assert_eq!(
            got["verifier"],
            json!(r.verifier().to_b64u()),
            "receipt {i} verifier"
        );
    }
    for (i, input) in receipt_inputs().iter().enumerate() {
        assert_eq!(
            g["receipt_inputs"][i],
            rust_receipt(input),
            "parseReceipt({input:?})"
        );
    }
    browser.assert_clean_console().await;
    browser.close().await;
    server.stop().await;
}
