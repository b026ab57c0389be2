//! The real server in this process, on a free port, over a store wrapper
//! that counts what reaches the store. The shorthands for an app left as it
//! is are in `plain.rs`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use oneshot_core::store::{BurnOutcome, Guards, Receipt, TakeOutcome};
use oneshot_core::{PassphraseProof, Policy, ReceiptClaim, SecretId, SecretStore, StoreError};
use oneshot_examples::server::{App, DynStore, serve};
use oneshot_memory::MemoryStore;

/// The server running in this process, shut down on drop.
pub(crate) struct TestServer {
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub(crate) base: String,
    /// How many calls of each kind reached the store.
    pub(crate) counts: Arc<Counts>,
    /// Read by `library.rs`, for the tests that include it.
    pub(super) memory: Option<MemoryStore>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

/// How many calls of each kind reached the store.
#[derive(Debug, Default)]
pub(crate) struct Counts {
    puts: AtomicUsize,
    takes: AtomicUsize,
    /// Read by `receipts.rs`, for the tests that include it.
    pub(super) receipts: AtomicUsize,
    pub(super) burns: AtomicUsize,
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
            counts,
            memory: None,
            shutdown: Some(tx),
            task: Some(task),
        }
    }

    /// Secrets that still hold an envelope in the in-memory store (panics
    /// for other stores): not the spent ids and kept receipts beside them.
    pub(crate) fn entries(&self) -> usize {
        let memory = self.memory.as_ref().expect("an in-memory server");
        memory.stats().live
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

/// A store wrapper that counts calls (the store underneath is real).
#[derive(Debug)]
struct CountingStore {
    inner: DynStore,
    counts: Arc<Counts>,
}

#[async_trait::async_trait]
impl SecretStore for CountingStore {
    async fn put_with_ttl(
        &self,
        id: &SecretId,
        envelope: &[u8],
        ttl: Duration,
        guards: &Guards,
    ) -> Result<(), StoreError> {
        self.counts.puts.fetch_add(1, Ordering::SeqCst);
        self.inner.put_with_ttl(id, envelope, ttl, guards).await
    }

    async fn take(
        &self,
        id: &SecretId,
        proof: Option<&PassphraseProof>,
    ) -> Result<TakeOutcome, StoreError> {
        self.counts.takes.fetch_add(1, Ordering::SeqCst);
        self.inner.take(id, proof).await
    }

    async fn receipt(
        &self,
        id: &SecretId,
        claim: &ReceiptClaim,
    ) -> Result<Option<Receipt>, StoreError> {
        self.counts.receipts.fetch_add(1, Ordering::SeqCst);
        self.inner.receipt(id, claim).await
    }

    async fn burn(
        &self,
        id: &SecretId,
        claim: &ReceiptClaim,
    ) -> Result<Option<BurnOutcome>, StoreError> {
        self.counts.burns.fetch_add(1, Ordering::SeqCst);
        self.inner.burn(id, claim).await
    }
}
