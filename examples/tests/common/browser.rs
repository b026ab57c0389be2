//! A real chromedriver and Chromium, one browser session at a time.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64ct::Encoding;
use serde_json::{Value, json};

/// `target/` of this build, for screenshots people can look at.
pub(crate) fn target_dir() -> PathBuf {
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().map(PathBuf::from).unwrap_or(tmp)
}

const BROWSER_INSTALL: &str =
    "install them with: apt-get update && apt-get install -y chromium chromium-driver";

/// Finds a program on PATH or in /usr/bin, or fails with the install command.
pub(crate) fn require_program(name: &str, candidates: &[&str]) -> PathBuf {
    for c in candidates {
        let p = PathBuf::from(c);
        if p.is_file() {
            return p;
        }
    }
    if let Some(paths) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&paths) {
            let p = dir.join(name);
            if p.is_file() {
                return p;
            }
        }
    }
    panic!(
        "`{name}` was not found; the browser tests need Chromium and chromedriver: {BROWSER_INSTALL}"
    );
}

/// A chromedriver process on a free port, killed on drop.
pub(crate) struct Chromedriver {
    child: Child,
    pub(crate) url: String,
    chromium: PathBuf,
}

impl Chromedriver {
    pub(crate) async fn start() -> Self {
        let driver = require_program("chromedriver", &["/usr/bin/chromedriver"]);
        let chromium = require_program("chromium", &["/usr/bin/chromium"]);
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
            l.local_addr().expect("addr").port()
        };
        let child = Command::new(&driver)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {}: {e}; {BROWSER_INSTALL}", driver.display())
            });
        let url = format!("http://127.0.0.1:{port}");
        let me = Self {
            child,
            url,
            chromium,
        };
        let http = oneshot_examples::cli::http_client()
            .build()
            .expect("client");
        let until = Instant::now() + Duration::from_secs(15);
        loop {
            let ready = http
                .get(format!("{}/status", me.url))
                .timeout(Duration::from_secs(2))
                .send()
                .await;
            if let Ok(r) = ready
                && let Ok(v) = r.json::<Value>().await
                && v["value"]["ready"] == json!(true)
            {
                break;
            }
            assert!(
                Instant::now() < until,
                "chromedriver did not become ready within 15 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        me
    }

    /// A fresh browser session with its own empty profile.
    pub(crate) async fn session(&self) -> Browser {
        self.session_with(true).await
    }

    /// A fresh session in which pages run no script of their own (the
    /// driver's commands still work): what a page shows when its script is
    /// blocked.
    pub(crate) async fn session_without_javascript(&self) -> Browser {
        self.session_with(false).await
    }

    async fn session_with(&self, javascript: bool) -> Browser {
        let profile = tempfile::tempdir().expect("profile dir");
        let args = vec![
            "--headless".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--window-size=1000,860".to_owned(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert("goog:loggingPrefs".into(), json!({ "browser": "ALL" }));
        let mut options = json!({ "binary": self.chromium.display().to_string(), "args": args });
        if !javascript {
            options["prefs"] = json!({ "profile.managed_default_content_settings.javascript": 2 });
        }
        caps.insert("goog:chromeOptions".into(), options);
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = tokio::time::timeout(
            Duration::from_secs(30),
            fantoccini::ClientBuilder::new(connector)
                .capabilities(caps)
                .connect(&self.url),
        )
        .await
        .expect("a browser session within 30 s")
        .unwrap_or_else(|e| {
            panic!("cannot start Chromium through chromedriver: {e}; {BROWSER_INSTALL}")
        });
        Browser {
            client,
            driver_url: self.url.clone(),
            _profile: profile,
        }
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One browser session and its profile directory.
pub(crate) struct Browser {
    pub(crate) client: fantoccini::Client,
    driver_url: String,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// POSTs to one of chromedriver's own session endpoints (`/se/log`,
    /// `/goog/cdp/execute`); the `value` of its answer.
    async fn driver_post(&self, endpoint: &str, body: Value) -> Value {
        let id = self
            .client
            .session_id()
            .await
            .expect("session id")
            .expect("a session");
        let http = oneshot_examples::cli::http_client()
            .build()
            .expect("client");
        let reply: Value = http
            .post(format!("{}/session/{id}/{endpoint}", self.driver_url))
            .json(&body)
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .unwrap_or_else(|e| panic!("chromedriver {endpoint}: {e}"))
            .json()
            .await
            .expect("JSON answer");
        assert!(
            reply["value"].get("error").is_none(),
            "chromedriver {endpoint}: {reply}"
        );
        reply["value"].clone()
    }

    /// Runs a Chrome DevTools Protocol command in this session.
    pub(crate) async fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.driver_post("goog/cdp/execute", json!({ "cmd": cmd, "params": params }))
            .await
    }

    /// Saves this session's downloads in `dir`, without asking.
    pub(crate) async fn download_to(&self, dir: &std::path::Path) {
        self.cdp(
            "Browser.setDownloadBehavior",
            json!({ "behavior": "allow", "downloadPath": dir.display().to_string() }),
        )
        .await;
    }

    /// The browser console since the last call (chromedriver's log endpoint).
    pub(crate) async fn console(&self) -> Vec<String> {
        let reply = self
            .driver_post("se/log", json!({ "type": "browser" }))
            .await;
        reply
            .as_array()
            .map(|entries| {
                entries
                    .iter()
                    .map(|e| format!("{} {}", e["level"], e["message"]))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Fails on script errors or Content-Security-Policy violations in the console.
    /// Failed API calls (404, 503) are logged by Chromium and are expected.
    pub(crate) async fn assert_clean_console(&self) -> Vec<String> {
        let console = self.console().await;
        let bad: Vec<&String> = console
            .iter()
            .filter(|line| {
                line.contains("Content Security Policy")
                    || line.contains("Uncaught")
                    || line.contains("SyntaxError")
                    || line.contains("TypeError")
            })
            .collect();
        assert!(bad.is_empty(), "console errors: {bad:#?}");
        console
    }

    /// Polls a JavaScript expression until it is truthy; fails after `timeout`.
    pub(crate) async fn wait_js(&self, expr: &str, timeout: Duration) -> Value {
        let until = Instant::now() + timeout;
        let script = format!("return ({expr});");
        loop {
            let v = self
                .client
                .execute(&script, vec![])
                .await
                .unwrap_or(Value::Null);
            let truthy = match &v {
                Value::Null => false,
                Value::Bool(b) => *b,
                Value::String(s) => !s.is_empty(),
                Value::Number(n) => n.as_f64() != Some(0.0),
                _ => true,
            };
            if truthy {
                return v;
            }
            assert!(
                Instant::now() < until,
                "timed out after {timeout:?} waiting for `{expr}`"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Evaluates a JavaScript expression.
    pub(crate) async fn js(&self, expr: &str) -> Value {
        self.client
            .execute(&format!("return ({expr});"), vec![])
            .await
            .expect("script runs")
    }

    /// Saves a PNG of the viewport under target/screenshots/.
    pub(crate) async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.expect("screenshot");
        let dir = target_dir().join("screenshots");
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("write screenshot");
        path
    }

    /// Saves a PNG of the page's card (its `main` element and a margin),
    /// beyond the viewport if it is taller, under target/screenshots/: the
    /// compact pictures the docs use.
    pub(crate) async fn screenshot_card(&self, name: &str) -> PathBuf {
        const MARGIN: f64 = 16.0;
        let rect = self
            .js("(() => { const r = document.querySelector('main').getBoundingClientRect(); return [r.left + scrollX, r.top + scrollY, r.width, r.height]; })()")
            .await;
        let side = |i: usize| rect[i].as_f64().expect("a number");
        let shot = self
            .cdp(
                "Page.captureScreenshot",
                json!({
                    "format": "png",
                    "captureBeyondViewport": true,
                    "clip": {
                        "x": (side(0) - MARGIN).max(0.0),
                        "y": (side(1) - MARGIN).max(0.0),
                        "width": side(2) + 2.0 * MARGIN,
                        "height": side(3) + 2.0 * MARGIN,
                        "scale": 1,
                    },
                }),
            )
            .await;
        let png = base64ct::Base64::decode_vec(shot["data"].as_str().expect("PNG data"))
            .expect("base64 PNG");
        let dir = target_dir().join("screenshots");
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("write screenshot");
        path
    }

    pub(crate) async fn close(self) {
        let _ = tokio::time::timeout(Duration::from_secs(10), self.client.close()).await;
    }
}
