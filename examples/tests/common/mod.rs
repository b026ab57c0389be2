//! Shared test support: the real server in process on a free port, a store
//! wrapper that counts takes, a real chromedriver + Chromium, and helpers.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use base64ct::{Base64UrlUnpadded, Encoding};
use oneshot_core::{Policy, SecretId, SecretKey, SecretStore, StoreError};
use oneshot_examples::server::{App, DynStore, serve};
use oneshot_memory::MemoryStore;
use serde_json::{Value, json};

/// The server running in this process, shut down on drop.
pub(crate) struct TestServer {
    pub(crate) base: String,
    pub(crate) memory: Option<MemoryStore>,
    pub(crate) counts: Arc<Counts>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

/// How many puts and takes reached the store.
#[derive(Debug, Default)]
pub(crate) struct Counts {
    pub(crate) puts: AtomicUsize,
    pub(crate) takes: AtomicUsize,
}

impl Counts {
    pub(crate) fn takes(&self) -> usize {
        self.takes.load(Ordering::SeqCst)
    }
    pub(crate) fn puts(&self) -> usize {
        self.puts.load(Ordering::SeqCst)
    }
}

impl TestServer {
    /// On a fresh in-memory store with the default policy.
    pub(crate) async fn memory() -> Self {
        let memory = MemoryStore::new();
        let mut server = Self::with_store(Arc::new(memory.clone()), Policy::default()).await;
        server.memory = Some(memory);
        server
    }

    /// On `store` with `policy`. Every store call is counted.
    pub(crate) async fn with_store(store: DynStore, policy: Policy) -> Self {
        Self::configured(store, policy, |app| app).await
    }

    /// On a fresh in-memory store with the default policy, the app set up by
    /// `configure` (limits, a create token).
    pub(crate) async fn memory_with(configure: impl FnOnce(App) -> App) -> Self {
        let memory = MemoryStore::new();
        let mut server =
            Self::configured(Arc::new(memory.clone()), Policy::default(), configure).await;
        server.memory = Some(memory);
        server
    }

    /// On `store` with `policy`, the app set up by `configure`. Every store
    /// call is counted.
    pub(crate) async fn configured(
        store: DynStore,
        policy: Policy,
        configure: impl FnOnce(App) -> App,
    ) -> Self {
        let counts = Arc::new(Counts::default());
        let counting: DynStore = Arc::new(CountingStore {
            inner: store,
            counts: Arc::clone(&counts),
        });
        let app = configure(App::new(counting, policy).expect("valid policy"));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a free port");
        let addr = listener.local_addr().expect("local addr");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(serve(listener, app, async move {
            let _ = rx.await;
        }));
        Self {
            base: format!("http://{addr}"),
            memory: None,
            counts,
            shutdown: Some(tx),
            task: Some(task),
        }
    }

    /// Entries in the in-memory store (panics for other stores).
    pub(crate) fn entries(&self) -> usize {
        self.memory
            .as_ref()
            .expect("an in-memory server")
            .stats()
            .entries
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Stops accepting and waits (bounded) for the server task to end.
    pub(crate) async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            tokio::time::timeout(Duration::from_secs(10), task)
                .await
                .expect("server shuts down within 10 s")
                .expect("server task did not panic")
                .expect("server ended cleanly");
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// A fresh `redis-server`, started off the async worker threads (starting
/// blocks until it answers PING). Killed on drop.
pub(crate) async fn spawn_redis() -> oneshot_redis_harness::RedisServer {
    tokio::task::spawn_blocking(oneshot_redis_harness::RedisServer::start)
        .await
        .expect("start redis-server")
}

/// A fresh `redis-server` and the server on a `RedisStore` for it, with
/// connect and response timeouts of `timeout` (short ones make fault tests
/// quick). Keep the returned server alive for as long as the test needs it.
pub(crate) async fn server_on_redis(
    timeout: Duration,
) -> (oneshot_redis_harness::RedisServer, TestServer) {
    let redis = spawn_redis().await;
    let store = oneshot_redis::RedisConfig::new(redis.url())
        .connect_timeout(timeout)
        .response_timeout(timeout)
        .connect()
        .await
        .expect("connect to the spawned redis-server");
    let server = TestServer::with_store(Arc::new(store), Policy::default()).await;
    (redis, server)
}

/// A store wrapper that counts calls (the store underneath is real).
#[derive(Debug)]
pub(crate) struct CountingStore {
    pub(crate) inner: DynStore,
    pub(crate) counts: Arc<Counts>,
}

#[async_trait::async_trait]
impl SecretStore for CountingStore {
    async fn put_with_ttl(
        &self,
        id: &SecretId,
        envelope: &[u8],
        ttl: Duration,
    ) -> Result<(), StoreError> {
        self.counts.puts.fetch_add(1, Ordering::SeqCst);
        self.inner.put_with_ttl(id, envelope, ttl).await
    }

    async fn take(&self, id: &SecretId) -> Result<Option<Vec<u8>>, StoreError> {
        self.counts.takes.fetch_add(1, Ordering::SeqCst);
        self.inner.take(id).await
    }
}

/// A sealed secret ready to post: key, id (hex), envelope (b64u), claim (b64u).
pub(crate) struct Sealed {
    pub(crate) key: SecretKey,
    pub(crate) id: String,
    pub(crate) envelope: String,
    pub(crate) claim: String,
}

pub(crate) fn sealed(body: &[u8]) -> Sealed {
    let key = SecretKey::generate().expect("randomness");
    let envelope = oneshot_core::seal(&key, body).expect("seal");
    Sealed {
        id: key.id().to_string(),
        envelope: Base64UrlUnpadded::encode_string(&envelope),
        claim: key.claim().to_b64u().to_string(),
        key,
    }
}

/// A minimal client for the JSON API.
#[derive(Clone)]
pub(crate) struct Api {
    pub(crate) base: String,
    pub(crate) http: reqwest::Client,
    /// Sent as `Authorization: Bearer <token>` with every POST.
    pub(crate) token: Option<String>,
}

impl Api {
    pub(crate) fn new(base: &str) -> Self {
        Self {
            base: base.to_owned(),
            http: oneshot_examples::cli::http_client()
                .timeout(Duration::from_secs(20))
                .build()
                .expect("client"),
            token: None,
        }
    }

    /// The same client, sending `token` as a bearer token.
    pub(crate) fn with_token(&self, token: &str) -> Self {
        Self {
            token: Some(token.to_owned()),
            ..self.clone()
        }
    }

    /// POSTs JSON; returns status, headers and the body parsed as JSON (Null if not JSON).
    pub(crate) async fn post(
        &self,
        path: &str,
        body: &Value,
    ) -> (u16, reqwest::header::HeaderMap, Value) {
        let mut request = self.http.post(format!("{}{path}", self.base)).json(body);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        let r = request.send().await.expect("request");
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await.expect("body");
        (
            status,
            headers,
            serde_json::from_str(&text).unwrap_or(Value::Null),
        )
    }

    pub(crate) async fn create(&self, s: &Sealed, ttl: Option<u64>) -> (u16, Value) {
        let mut body = json!({ "id": s.id, "envelope": s.envelope });
        if let Some(ttl) = ttl {
            body["ttl_secs"] = json!(ttl);
        }
        let (status, _, v) = self.post("/api/v1/secrets", &body).await;
        (status, v)
    }

    pub(crate) async fn take(&self, claim: &str) -> (u16, Value) {
        let (status, _, v) = self
            .post("/api/v1/secrets/take", &json!({ "claim": claim }))
            .await;
        (status, v)
    }
}

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
        caps.insert(
            "goog:chromeOptions".into(),
            json!({ "binary": self.chromium.display().to_string(), "args": args }),
        );
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
    /// The browser console since the last call (chromedriver's log endpoint).
    pub(crate) async fn console(&self) -> Vec<String> {
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
            .post(format!("{}/session/{id}/se/log", self.driver_url))
            .json(&json!({ "type": "browser" }))
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .expect("chromedriver log endpoint")
            .json()
            .await
            .expect("JSON log");
        reply["value"]
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

    pub(crate) async fn close(self) {
        let _ = tokio::time::timeout(Duration::from_secs(10), self.client.close()).await;
    }
}
