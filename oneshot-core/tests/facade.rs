//! The `OneShot` facade over a store, and stores behind pointers.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use oneshot_core::link::parse_key;
use oneshot_core::store::{BurnOutcome, Guards, Receipt, TakeOutcome};
use oneshot_core::{
    CreateError, OneShot, OpenError, PassphraseProof, Policy, ReceiptClaim, SecretId, SecretKey,
    SecretStore, ShareError, StoreError, TooLarge, open, seal,
};

// The guide's store is written as a backend author would, with `pub` items.
#[allow(unreachable_pub)]
#[path = "guide/map_store.rs"]
mod map_store;
use map_store::MapStore;

#[tokio::test]
async fn facade_share_reveal_once() {
    let oneshot = OneShot::new(MapStore::default());
    let share = oneshot.share(b"hunter2", None).await.unwrap();
    assert!(format!("{share:?}").contains("[REDACTED]"));
    let oneshot_core::link::LinkKey::V1(key) =
        parse_key(&share.link("https://x.example/s").unwrap()).unwrap()
    else {
        panic!("the facade makes v1 links until it moves to v2");
    };
    assert_eq!(
        &oneshot.reveal(&key).await.unwrap().unwrap()[..],
        b"hunter2"
    );
    assert!(oneshot.reveal(&key).await.unwrap().is_none());
}

#[tokio::test]
async fn facade_wrong_key_burns_nothing() {
    let oneshot = OneShot::new(MapStore::default());
    let share = oneshot.share(b"keep me", None).await.unwrap();
    let mut bytes = *share.key().as_bytes();
    bytes[31] ^= 1;
    assert!(
        oneshot
            .reveal(&SecretKey::from_bytes(bytes))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        &oneshot.reveal(share.key()).await.unwrap().unwrap()[..],
        b"keep me"
    );
}

#[tokio::test]
async fn facade_enforces_policy() {
    let policy = Policy::new().with_max_body_bytes(1000);
    let oneshot = OneShot::with_policy(MapStore::default(), policy).unwrap();
    assert!(matches!(
        oneshot.share(&[0; 1001], None).await,
        Err(ShareError::BodyTooLarge(TooLarge {
            size: 1001,
            max: 1000
        }))
    ));
    assert!(oneshot.share(&[0; 1000], None).await.is_ok());
    for ttl in [Duration::from_secs(59), Duration::from_secs(72 * 3600 + 1)] {
        assert!(matches!(
            oneshot.share(b"x", Some(ttl)).await,
            Err(ShareError::TtlOutOfRange(_))
        ));
    }
    let key = SecretKey::generate().unwrap();
    // 1000 bytes → 1024-byte frame → 1053-byte envelope is the largest allowed.
    let too_big = seal(&key, &[0; 1021]).unwrap();
    assert!(matches!(
        oneshot.store_envelope(&key.id(), &too_big, None).await,
        Err(CreateError::EnvelopeTooLarge(_))
    ));
    let mut v2 = seal(&key, b"x").unwrap();
    v2[0] = 2;
    assert!(matches!(
        oneshot.store_envelope(&key.id(), &v2, None).await,
        Err(CreateError::InvalidEnvelope(OpenError::UnsupportedVersion(
            2
        )))
    ));
}

#[tokio::test]
async fn facade_server_halves_need_the_claim() {
    let oneshot = OneShot::new(MapStore::default());
    let key = SecretKey::generate().unwrap();
    let envelope = seal(&key, b"client-side").unwrap();
    oneshot
        .store_envelope(&key.id(), &envelope, Some(Duration::from_secs(3600)))
        .await
        .unwrap();
    let dup = oneshot.store_envelope(&key.id(), &envelope, None).await;
    assert!(matches!(
        dup,
        Err(CreateError::Store(StoreError::AlreadyExists))
    ));
    let other_claim = SecretKey::generate().unwrap().claim();
    assert_eq!(
        oneshot.take_by_claim(&other_claim, None).await.unwrap(),
        TakeOutcome::NotFound
    );
    let taken = oneshot.take_by_claim(&key.claim(), None).await.unwrap();
    let taken = taken.into_envelope().unwrap();
    assert_eq!(&open(&key, &taken).unwrap()[..], b"client-side");
    assert_eq!(
        oneshot.take_by_claim(&key.claim(), None).await.unwrap(),
        TakeOutcome::NotFound
    );
}

static STATIC_STORE: std::sync::LazyLock<MapStore> = std::sync::LazyLock::new(MapStore::default);

#[tokio::test]
async fn stores_work_behind_static_references() {
    let oneshot = OneShot::new(&*STATIC_STORE);
    let share = oneshot.share(b"static", None).await.unwrap();
    assert_eq!(
        &oneshot.reveal(share.key()).await.unwrap().unwrap()[..],
        b"static"
    );
}

#[tokio::test]
async fn stores_work_behind_arc_box_and_dyn() {
    let shared: std::sync::Arc<dyn SecretStore> = std::sync::Arc::new(MapStore::default());
    let oneshot = OneShot::new(shared.clone());
    let share = oneshot.share(b"dyn", None).await.unwrap();
    let boxed: Box<dyn SecretStore> = Box::new(shared);
    assert!(matches!(
        boxed.take(&share.id(), None).await.unwrap(),
        TakeOutcome::Taken(_)
    ));
}

/// Counts the calls that reach it, per method, to see that pointers forward
/// every method.
#[derive(Debug, Default)]
struct CountingStore([AtomicUsize; 4]);

impl CountingStore {
    fn count(&self, method: usize) {
        self.0[method].fetch_add(1, Ordering::SeqCst);
    }
}

#[async_trait::async_trait]
impl SecretStore for CountingStore {
    async fn put_with_ttl(
        &self,
        _: &SecretId,
        _: &[u8],
        _: Duration,
        _: &Guards,
    ) -> Result<(), StoreError> {
        self.count(0);
        Ok(())
    }
    async fn take(
        &self,
        _: &SecretId,
        _: Option<&PassphraseProof>,
    ) -> Result<TakeOutcome, StoreError> {
        self.count(1);
        Ok(TakeOutcome::NotFound)
    }
    async fn receipt(&self, _: &SecretId, _: &ReceiptClaim) -> Result<Option<Receipt>, StoreError> {
        self.count(2);
        Ok(None)
    }
    async fn burn(
        &self,
        _: &SecretId,
        _: &ReceiptClaim,
    ) -> Result<Option<BurnOutcome>, StoreError> {
        self.count(3);
        Ok(None)
    }
}

static COUNTING: std::sync::LazyLock<CountingStore> = std::sync::LazyLock::new(Default::default);

#[tokio::test]
async fn forwarding_impls_reach_every_method() {
    async fn exercise(store: &dyn SecretStore) {
        let id = SecretId::from_bytes([1; 16]);
        let claim = ReceiptClaim::from_bytes([2; 32]);
        store
            .put_with_ttl(&id, b"x", Duration::from_secs(1), &Guards::NONE)
            .await
            .unwrap();
        store.take(&id, None).await.unwrap();
        store.receipt(&id, &claim).await.unwrap();
        store.burn(&id, &claim).await.unwrap();
    }
    let arc: std::sync::Arc<dyn SecretStore> = std::sync::Arc::new(&*COUNTING);
    let boxed: Box<dyn SecretStore> = Box::new(&*COUNTING);
    let reference: &'static CountingStore = &COUNTING;
    exercise(&arc).await;
    exercise(&boxed).await;
    exercise(&reference).await;
    let counts = COUNTING.0.each_ref().map(|n| n.load(Ordering::SeqCst));
    assert_eq!(
        counts, [3; 4],
        "[puts, takes, receipts, burns] that reached the store"
    );
}
