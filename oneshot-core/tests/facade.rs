//! The `OneShot` facade over a store, and stores behind pointers.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use std::num::NonZeroU32;

use oneshot_core::link::{LinkKey, parse_key, parse_receipt};
use oneshot_core::store::{BurnOutcome, Guards, Receipt, ReceiptState, TakeOutcome};
use oneshot_core::v2::{self, Content, Flags, Kind, Passphrase, ReceiptKey};
use oneshot_core::{
    CreateError, OneShot, OpenError, PassphraseMismatch, PassphraseProof, Policy, ReceiptClaim,
    RevealError, SecretId, SecretKey, SecretStore, ShareError, ShareOptions, StoreError, TooLarge,
    Verifiers, Version, open, seal,
};

// The guide's store is written as a backend author would, with `pub` items.
#[allow(unreachable_pub)]
#[path = "guide/map_store.rs"]
mod map_store;
use map_store::MapStore;

fn text() -> ShareOptions {
    ShareOptions::new()
}

async fn reveal_text(oneshot: &OneShot<MapStore>, key: &LinkKey) -> Option<Vec<u8>> {
    let opened = oneshot.reveal(key, None).await.unwrap()?;
    assert_eq!(opened.kind(), Kind::Text);
    Some(opened.body().to_vec())
}

#[tokio::test]
async fn facade_share_reveal_once() {
    let oneshot = OneShot::new(MapStore::default());
    let share = oneshot.share(b"hunter2", &text()).await.unwrap();
    assert!(format!("{share:?}").contains("[REDACTED]"));
    assert!(share.receipt().is_none() && share.receipt_link("https://x").is_none());
    let key = parse_key(&share.link("https://x.example/s").unwrap()).unwrap();
    assert_eq!(key.version(), Version::V2, "new links are v2");
    assert_eq!(
        reveal_text(&oneshot, &key).await.as_deref(),
        Some(&b"hunter2"[..])
    );
    assert_eq!(reveal_text(&oneshot, &key).await, None, "second reveal");
}

#[tokio::test]
async fn facade_reveals_v1_links() {
    let oneshot = OneShot::new(MapStore::default());
    let key = SecretKey::generate().unwrap();
    let envelope = seal(&key, b"made by a v1 client").unwrap();
    oneshot
        .store_envelope(&key.id(), &envelope, None, Verifiers::default())
        .await
        .unwrap();
    let link = LinkKey::V1(key);
    let revealed = reveal_text(&oneshot, &link).await;
    assert_eq!(revealed.as_deref(), Some(&b"made by a v1 client"[..]));
    assert_eq!(reveal_text(&oneshot, &link).await, None);
}

#[tokio::test]
async fn facade_wrong_key_burns_nothing() {
    let oneshot = OneShot::new(MapStore::default());
    let share = oneshot.share(b"keep me", &text()).await.unwrap();
    let mut bytes = *share.key().as_bytes();
    bytes[31] ^= 1;
    let wrong = LinkKey::V2(v2::SecretKey::from_bytes(bytes, Flags::NONE));
    assert_eq!(reveal_text(&oneshot, &wrong).await, None);
    // The same key with the passphrase flag set derives another id too.
    let flagged = LinkKey::V2(v2::SecretKey::from_bytes(
        *share.key().as_bytes(),
        Flags::PASSPHRASE,
    ));
    let pass = Passphrase::new("guess").unwrap();
    assert!(
        oneshot
            .reveal(&flagged, Some(&pass))
            .await
            .unwrap()
            .is_none()
    );
    let right = LinkKey::V2(share.key().clone());
    assert_eq!(
        reveal_text(&oneshot, &right).await.as_deref(),
        Some(&b"keep me"[..])
    );
}

#[tokio::test]
async fn facade_passphrase_typos_burn_nothing_until_the_limit() {
    let policy = Policy::new().with_passphrase_attempts(NonZeroU32::new(2).unwrap());
    let oneshot = OneShot::with_policy(MapStore::default(), policy).unwrap();
    let right = Passphrase::new("correct horse").unwrap();
    let options = ShareOptions::new().passphrase(Passphrase::new("correct horse").unwrap());
    let share = oneshot.share(b"guarded", &options).await.unwrap();
    let key = LinkKey::V2(share.key().clone());
    assert!(key.needs_passphrase());
    assert!(matches!(
        oneshot.reveal(&key, None).await,
        Err(RevealError::Passphrase(PassphraseMismatch::Required))
    ));
    let typo = Passphrase::new("correct horsf").unwrap();
    assert!(matches!(
        oneshot.reveal(&key, Some(&typo)).await,
        Err(RevealError::WrongPassphrase { attempts_left: 1 })
    ));
    let opened = oneshot.reveal(&key, Some(&right)).await.unwrap().unwrap();
    assert_eq!(opened.body(), b"guarded");

    // The limit-th wrong passphrase destroys it.
    let share = oneshot.share(b"guarded", &options).await.unwrap();
    let key = LinkKey::V2(share.key().clone());
    for attempts_left in [1, 0] {
        assert!(matches!(
            oneshot.reveal(&key, Some(&typo)).await,
            Err(RevealError::WrongPassphrase { attempts_left: left }) if left == attempts_left
        ));
    }
    assert!(oneshot.reveal(&key, Some(&right)).await.unwrap().is_none());
}

#[tokio::test]
async fn facade_shares_files_and_receipts() {
    let oneshot = OneShot::new(MapStore::default());
    let file = Content::file("report.pdf", "application/pdf").unwrap();
    let options = ShareOptions::new().content(file).receipt(true);
    let share = oneshot.share(b"%PDF-1.7", &options).await.unwrap();
    let receipt_link = share.receipt_link("https://x.example").unwrap().unwrap();
    let (id, receipt_key) = parse_receipt(&receipt_link).unwrap();
    assert_eq!(id, share.id());
    let claim = receipt_key.claim();
    let pending = oneshot.receipt(&id, &claim).await.unwrap().unwrap();
    assert_eq!(pending.state, ReceiptState::Pending);

    let key = parse_key(&share.link("https://x.example/s").unwrap()).unwrap();
    let opened = oneshot.reveal(&key, None).await.unwrap().unwrap();
    assert_eq!(
        (
            opened.kind(),
            opened.name(),
            opened.media_type(),
            opened.body()
        ),
        (
            Kind::File,
            Some("report.pdf"),
            "application/pdf",
            &b"%PDF-1.7"[..]
        )
    );
    let read = oneshot.receipt(&id, &claim).await.unwrap().unwrap();
    assert!(matches!(read.state, ReceiptState::Read { .. }), "{read:?}");
    assert!(matches!(
        oneshot.burn(&id, &claim).await.unwrap(),
        Some(BurnOutcome::Refused(_))
    ));

    // Burned unread: the reader finds nothing.
    let share = oneshot
        .share(b"misdirected", &ShareOptions::new().receipt(true))
        .await
        .unwrap();
    let claim = share.receipt().unwrap().claim();
    assert!(matches!(
        oneshot.burn(&share.id(), &claim).await.unwrap(),
        Some(BurnOutcome::Burned(_))
    ));
    assert!(
        oneshot
            .reveal(&LinkKey::V2(share.key().clone()), None)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn facade_enforces_policy() {
    let policy = Policy::new().with_max_body_bytes(1000);
    let oneshot = OneShot::with_policy(MapStore::default(), policy).unwrap();
    assert!(matches!(
        oneshot.share(&[0; 1001], &text()).await,
        Err(ShareError::BodyTooLarge(TooLarge {
            size: 1001,
            max: 1000
        }))
    ));
    assert!(oneshot.share(&[0; 1000], &text()).await.is_ok());
    for ttl in [Duration::from_secs(59), Duration::from_secs(72 * 3600 + 1)] {
        assert!(matches!(
            oneshot.share(b"x", &ShareOptions::new().ttl(ttl)).await,
            Err(ShareError::TtlOutOfRange(_))
        ));
    }
    // The largest envelope allowed is a v2 file of 1000 bytes with the
    // longest name and media type: 1000 + 513 bytes of content.
    let max = oneshot.policy().max_envelope_bytes();
    assert_eq!(Some(max), v2::envelope_len(1000 + 3 + 255 + 255));
    let key = SecretKey::generate().unwrap();
    let too_big = seal(&key, &vec![0; max]).unwrap();
    assert!(matches!(
        oneshot
            .store_envelope(&key.id(), &too_big, None, Verifiers::default())
            .await,
        Err(CreateError::EnvelopeTooLarge(_))
    ));
    let mut v3 = seal(&key, b"x").unwrap();
    v3[0] = 3;
    assert!(matches!(
        oneshot
            .store_envelope(&key.id(), &v3, None, Verifiers::default())
            .await,
        Err(CreateError::InvalidEnvelope(OpenError::UnsupportedVersion(
            3
        )))
    ));
}

#[tokio::test]
async fn facade_server_halves_need_the_claim() {
    let oneshot = OneShot::new(MapStore::default());
    let key = SecretKey::generate().unwrap();
    let envelope = seal(&key, b"client-side").unwrap();
    let hour = Some(Duration::from_secs(3600));
    oneshot
        .store_envelope(&key.id(), &envelope, hour, Verifiers::default())
        .await
        .unwrap();
    let dup = oneshot
        .store_envelope(&key.id(), &envelope, None, Verifiers::default())
        .await;
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

#[tokio::test]
async fn facade_server_halves_carry_verifiers() {
    let oneshot = OneShot::new(MapStore::default());
    let key = v2::SecretKey::generate(Flags::PASSPHRASE).unwrap();
    let pass = Passphrase::new("s3cret").unwrap();
    let proof = key.passphrase_proof(&pass).unwrap();
    let receipt = ReceiptKey::generate().unwrap();
    let envelope = v2::seal(&key, Some(&pass), &Content::text(), b"client-side").unwrap();
    let verifiers = Verifiers {
        passphrase: Some(proof.verifier()),
        receipt: Some(receipt.verifier()),
    };
    oneshot
        .store_envelope(&key.id(), &envelope, None, verifiers)
        .await
        .unwrap();
    let claim = key.claim();
    assert_eq!(
        oneshot.take_by_claim(&claim, None).await.unwrap(),
        TakeOutcome::PassphraseRequired
    );
    let attempts = oneshot.policy().passphrase_attempts().get();
    let wrong = oneshot
        .take_by_claim(&claim, Some(&PassphraseProof::from_bytes([9; 32])))
        .await;
    assert_eq!(
        wrong.unwrap(),
        TakeOutcome::WrongPassphrase {
            attempts_left: attempts - 1
        }
    );
    let receipt_now = oneshot
        .receipt(&key.id(), &receipt.claim())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(receipt_now.failed_attempts, 1);
    let taken = oneshot
        .take_by_claim(&claim, Some(&proof))
        .await
        .unwrap()
        .into_envelope()
        .unwrap();
    assert_eq!(
        v2::open(&key, Some(&pass), &taken).unwrap().body(),
        b"client-side"
    );
}

static STATIC_STORE: std::sync::LazyLock<MapStore> = std::sync::LazyLock::new(MapStore::default);

#[tokio::test]
async fn stores_work_behind_static_references() {
    let oneshot = OneShot::new(&*STATIC_STORE);
    let share = oneshot.share(b"static", &text()).await.unwrap();
    let key = LinkKey::V2(share.key().clone());
    let opened = oneshot.reveal(&key, None).await.unwrap().unwrap();
    assert_eq!(opened.body(), b"static");
}

#[tokio::test]
async fn stores_work_behind_arc_box_and_dyn() {
    let shared: std::sync::Arc<dyn SecretStore> = std::sync::Arc::new(MapStore::default());
    let oneshot = OneShot::new(shared.clone());
    let share = oneshot.share(b"dyn", &text()).await.unwrap();
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
