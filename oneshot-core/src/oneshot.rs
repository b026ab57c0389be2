//! The [`OneShot`] facade: policy checks, sealing and the store in one place.

use std::fmt;
use std::time::{Duration, SystemTime};

use zeroize::Zeroizing;

use crate::claim::Claim;
use crate::envelope::validate_envelope;
use crate::error::{
    CreateError, ParseError, PassphraseMismatch, PolicyError, RevealError, SealError, ShareError,
    TooLarge,
};
use crate::guard::{PassphraseProof, PassphraseVerifier, ReceiptClaim, ReceiptVerifier};
use crate::id::SecretId;
use crate::link::{LinkKey, build_link, build_receipt_link};
use crate::policy::Policy;
use crate::random::fill_random;
use crate::store::{BurnOutcome, Guards, Receipt, SecretStore, StoreError, TakeOutcome};
use crate::v2::{self, Content, Opened, Passphrase, ReceiptKey};

/// Shares and reveals one-time secrets over any [`SecretStore`].
///
/// Two ways to use it:
///
/// - In one process that holds the plaintext: [`share`](Self::share) seals
///   (format v2) and stores, [`reveal`](Self::reveal) takes and opens (v1 or
///   v2 links), [`receipt`](Self::receipt) and [`burn`](Self::burn) serve the
///   sender.
/// - On a server whose clients encrypt themselves (the web page, the CLI):
///   [`store_envelope`](Self::store_envelope),
///   [`take_by_claim`](Self::take_by_claim), and the same `receipt` and
///   `burn`, none of which ever sees a key or a passphrase.
///
/// With a passphrase, `share` and `reveal` run PBKDF2 (600,000 rounds, about
/// a tenth of a second) on the calling thread; an async server that shares
/// for its users should call them from `tokio::task::spawn_blocking` or
/// accept the stall.
#[derive(Debug, Clone)]
pub struct OneShot<S> {
    store: S,
    policy: Policy,
}

/// How to share a secret: its lifetime, an optional passphrase, what it is
/// (a text, or a file with a name and a media type) and whether the sender
/// wants a receipt.
#[derive(Debug, Default)]
pub struct ShareOptions {
    ttl: Option<Duration>,
    passphrase: Option<Passphrase>,
    content: Option<Content>,
    receipt: bool,
}

impl ShareOptions {
    /// A text, for the policy's default lifetime, no passphrase, no receipt.
    pub fn new() -> Self {
        Self::default()
    }

    /// The lifetime, within the policy's bounds.
    #[must_use]
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = Some(ttl);
        self
    }

    /// A passphrase the reader must give as well as the link. It should
    /// travel by another channel than the link.
    #[must_use]
    pub fn passphrase(mut self, passphrase: Passphrase) -> Self {
        self.passphrase = Some(passphrase);
        self
    }

    /// What the body is: [`Content::text`] (the default) or a [`Content::file`].
    #[must_use]
    pub fn content(mut self, content: Content) -> Self {
        self.content = Some(content);
        self
    }

    /// Whether to make a receipt key for the sender ([`Share::receipt`]).
    #[must_use]
    pub fn receipt(mut self, wanted: bool) -> Self {
        self.receipt = wanted;
        self
    }
}

/// A secret just shared: its key (for the link), id, expiry and, if asked
/// for, the sender's receipt key.
pub struct Share {
    key: v2::SecretKey,
    id: SecretId,
    expires_at: SystemTime,
    receipt: Option<ReceiptKey>,
}

impl Share {
    /// The key to hand to the reader, inside a link.
    pub fn key(&self) -> &v2::SecretKey {
        &self.key
    }

    /// The id the envelope is stored under (not secret).
    pub fn id(&self) -> SecretId {
        self.id
    }

    /// When the store will drop the secret if nobody takes it.
    pub fn expires_at(&self) -> SystemTime {
        self.expires_at
    }

    /// The reader's link `<base>#<key>`; see [`crate::link::build_link`].
    pub fn link(&self, base: &str) -> Result<Zeroizing<String>, ParseError> {
        build_link(base, &self.key)
    }

    /// The sender's receipt key, if one was asked for. Never part of the
    /// reader's link: it lets its holder see what happened and burn the
    /// secret unread.
    pub fn receipt(&self) -> Option<&ReceiptKey> {
        self.receipt.as_ref()
    }

    /// The sender's receipt link `<site>/r#…`, if a receipt was asked for;
    /// see [`crate::link::build_receipt_link`].
    pub fn receipt_link(&self, site: &str) -> Option<Result<Zeroizing<String>, ParseError>> {
        let receipt = self.receipt.as_ref()?;
        Some(build_receipt_link(site, &self.id, receipt))
    }
}

impl fmt::Debug for Share {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Share")
            .field("key", &self.key)
            .field("id", &self.id)
            .field("expires_at", &self.expires_at)
            .field("receipt", &self.receipt)
            .finish()
    }
}

/// The verifiers a client sends with an envelope it sealed itself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Verifiers {
    /// The passphrase verifier, for a secret with a passphrase.
    pub passphrase: Option<PassphraseVerifier>,
    /// The receipt verifier, for a secret whose sender wants a receipt.
    pub receipt: Option<ReceiptVerifier>,
}

impl<S: SecretStore> OneShot<S> {
    /// A facade with the default [`Policy`].
    pub fn new(store: S) -> Self {
        Self {
            store,
            policy: Policy::default(),
        }
    }

    /// A facade with a custom policy, checked for consistency.
    pub fn with_policy(store: S, policy: Policy) -> Result<Self, PolicyError> {
        policy.validate()?;
        Ok(Self { store, policy })
    }

    /// The store underneath.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The limits in force.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    fn guards(&self, verifiers: Verifiers) -> Guards {
        let mut guards = Guards::NONE;
        if let Some(verifier) = verifiers.passphrase {
            guards = guards.with_passphrase(verifier, self.policy.passphrase_attempts());
        }
        if let Some(verifier) = verifiers.receipt {
            guards = guards.with_receipt(verifier, self.policy.receipt_retention());
        }
        guards
    }

    /// Seals `body` under a fresh v2 key and stores it. The returned
    /// [`Share`] holds the key for the link (and the receipt key, if asked).
    pub async fn share(&self, body: &[u8], options: &ShareOptions) -> Result<Share, ShareError> {
        self.policy
            .check_body(body.len())
            .map_err(ShareError::BodyTooLarge)?;
        let ttl = self.policy.resolve_ttl(options.ttl)?;
        let passphrase = options.passphrase.as_ref();
        // One derivation (and one PBKDF2) for the id, the proof and the key.
        let (key, derived) = v2::SecretKey::generate_derived(passphrase)?;
        let receipt = options.receipt.then(ReceiptKey::generate).transpose()?;
        let mut nonce = [0u8; crate::format::v2::NONCE_LEN];
        fill_random(&mut nonce)?;
        let text = Content::text();
        let content = options.content.as_ref().unwrap_or(&text);
        let envelope = v2::envelope::seal_derived(&derived, content, body, nonce)
            .map_err(|e| self.seal_error(e))?;
        let verifiers = Verifiers {
            passphrase: derived.proof.as_ref().map(PassphraseProof::verifier),
            receipt: receipt.as_ref().map(ReceiptKey::verifier),
        };
        let id = derived.id;
        drop(derived);
        let expires_at = SystemTime::now() + ttl;
        self.store
            .put_with_ttl(&id, &envelope, ttl, &self.guards(verifiers))
            .await?;
        Ok(Share {
            key,
            id,
            expires_at,
            receipt,
        })
    }

    fn seal_error(&self, err: SealError) -> ShareError {
        match err {
            SealError::Randomness(e) => ShareError::Randomness(e),
            // The policy's limit is far below the format's (checked by `validate`).
            SealError::BodyTooLarge { size } => ShareError::BodyTooLarge(TooLarge {
                size,
                max: self.policy.max_body_bytes(),
            }),
        }
    }

    /// Takes the secret for `key` and decrypts it. `Ok(None)` means there is
    /// nothing to reveal: never created, expired, already read or burned.
    ///
    /// A wrong key derives a different id, so it finds nothing and burns
    /// nothing. A link that needs a passphrase is refused without one before
    /// the store is asked; a wrong passphrase is
    /// [`RevealError::WrongPassphrase`] and leaves the secret in the store
    /// (until the policy's attempts run out).
    pub async fn reveal(
        &self,
        key: &LinkKey,
        passphrase: Option<&Passphrase>,
    ) -> Result<Option<Opened>, RevealError> {
        match key {
            LinkKey::V1(key) => {
                if passphrase.is_some() {
                    return Err(PassphraseMismatch::Unexpected.into());
                }
                let derived = key.derive();
                let taken = self.store.take(&derived.id, None).await?;
                let Some(envelope) = taken.into_envelope() else {
                    return Ok(None);
                };
                let body = crate::v1::envelope::open_owned(&derived, envelope)
                    .map_err(RevealError::Open)?;
                Ok(Some(Opened::v1_text(body)))
            }
            LinkKey::V2(key) => {
                let derived = key.derive(passphrase)?;
                match self.store.take(&derived.id, derived.proof.as_ref()).await? {
                    TakeOutcome::Taken(envelope) => {
                        let opened = v2::envelope::open_owned(&derived, envelope)
                            .map_err(RevealError::Open)?;
                        Ok(Some(opened))
                    }
                    TakeOutcome::WrongPassphrase { attempts_left } => {
                        Err(RevealError::WrongPassphrase { attempts_left })
                    }
                    // Only a secret created with a verifier under this id
                    // asks for one, and an honest sender of a link without
                    // the flag never sends one.
                    TakeOutcome::PassphraseRequired => Err(PassphraseMismatch::Required.into()),
                    _ => Ok(None),
                }
            }
        }
    }

    /// Stores an envelope sealed by a client (v1 or v2), after checking its
    /// shape and size against the policy, with the verifiers the client sent
    /// (the attempt limit and the receipt retention are the policy's).
    /// Returns when it will expire.
    pub async fn store_envelope(
        &self,
        id: &SecretId,
        envelope: &[u8],
        ttl: Option<Duration>,
        verifiers: Verifiers,
    ) -> Result<SystemTime, CreateError> {
        self.policy
            .check_envelope(envelope.len())
            .map_err(CreateError::EnvelopeTooLarge)?;
        validate_envelope(envelope).map_err(CreateError::InvalidEnvelope)?;
        let ttl = self.policy.resolve_ttl(ttl)?;
        let expires_at = SystemTime::now() + ttl;
        self.store
            .put_with_ttl(id, envelope, ttl, &self.guards(verifiers))
            .await?;
        Ok(expires_at)
    }

    /// Takes the envelope whose id the claim derives, showing `proof` for a
    /// secret with a passphrase. Knowing only an id is not enough to take
    /// anything, or to spend a passphrase attempt.
    pub async fn take_by_claim(
        &self,
        claim: &Claim,
        proof: Option<&PassphraseProof>,
    ) -> Result<TakeOutcome, StoreError> {
        self.store.take(&claim.id(), proof).await
    }

    /// The story of the secret under `id`, for the holder of its receipt
    /// claim (from [`ReceiptKey::claim`]); `None` for an unknown id or a
    /// wrong claim, indistinguishably.
    pub async fn receipt(
        &self,
        id: &SecretId,
        claim: &ReceiptClaim,
    ) -> Result<Option<Receipt>, StoreError> {
        self.store.receipt(id, claim).await
    }

    /// Burns the secret under `id` if it is unread, for the holder of its
    /// receipt claim; says what prevented it otherwise.
    pub async fn burn(
        &self,
        id: &SecretId,
        claim: &ReceiptClaim,
    ) -> Result<Option<BurnOutcome>, StoreError> {
        self.store.burn(id, claim).await
    }
}
