//! The [`OneShot`] facade: policy checks, sealing and the store in one place.

use std::fmt;
use std::time::{Duration, SystemTime};

use zeroize::Zeroizing;

use crate::claim::Claim;
use crate::error::{CreateError, ParseError, PolicyError, RevealError, SealError, ShareError};
use crate::format::v1::NONCE_LEN;
use crate::guard::PassphraseProof;
use crate::id::SecretId;
use crate::link::build_link;
use crate::policy::Policy;
use crate::random::fill_random;
use crate::store::{Guards, SecretStore, StoreError, TakeOutcome};
use crate::v1::SecretKey;
use crate::v1::envelope::{open_derived, seal_derived, validate_envelope};

/// Shares and reveals one-time secrets over any [`SecretStore`].
///
/// Two ways to use it:
///
/// - In one process that holds the plaintext: [`share`](Self::share) seals and
///   stores, [`reveal`](Self::reveal) takes and opens.
/// - On a server whose clients encrypt themselves (the web page, the CLI):
///   [`store_envelope`](Self::store_envelope) and
///   [`take_by_claim`](Self::take_by_claim), which never see a key.
#[derive(Debug, Clone)]
pub struct OneShot<S> {
    store: S,
    policy: Policy,
}

/// A secret just shared: its key (for the link), id and expiry.
pub struct Share {
    key: SecretKey,
    id: SecretId,
    expires_at: SystemTime,
}

impl Share {
    /// The key to hand to the reader, inside a link.
    pub fn key(&self) -> &SecretKey {
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

    /// The link `<base>#<key>`; see [`crate::link::build_link`].
    pub fn link(&self, base: &str) -> Result<Zeroizing<String>, ParseError> {
        build_link(base, &self.key)
    }
}

impl fmt::Debug for Share {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Share")
            .field("key", &self.key)
            .field("id", &self.id)
            .field("expires_at", &self.expires_at)
            .finish()
    }
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

    /// Seals `body` under a fresh key and stores it for `ttl` (or the policy's
    /// default). The returned [`Share`] holds the key for the link.
    pub async fn share(&self, body: &[u8], ttl: Option<Duration>) -> Result<Share, ShareError> {
        self.policy
            .check_body(body.len())
            .map_err(ShareError::BodyTooLarge)?;
        let ttl = self.policy.resolve_ttl(ttl)?;
        let key = SecretKey::generate()?;
        let mut nonce = [0u8; NONCE_LEN];
        fill_random(&mut nonce)?;
        // One HKDF for both the id and the encryption key.
        let derived = key.derive();
        let id = derived.id;
        let envelope = seal_derived(&derived, body, nonce).map_err(|e| match e {
            SealError::Randomness(e) => ShareError::Randomness(e),
            // The policy's limit is below the format's (checked by `validate`).
            SealError::BodyTooLarge { size } => ShareError::BodyTooLarge(crate::TooLarge {
                size,
                max: self.policy.max_body_bytes(),
            }),
        })?;
        drop(derived);
        let expires_at = SystemTime::now() + ttl;
        self.store
            .put_with_ttl(&id, &envelope, ttl, &Guards::NONE)
            .await?;
        Ok(Share {
            key,
            id,
            expires_at,
        })
    }

    /// Takes the secret for `key` and decrypts it. `Ok(None)` means there is
    /// nothing to reveal: never created, expired or already read. A wrong key
    /// derives a different id, so it finds nothing and burns nothing.
    pub async fn reveal(&self, key: &SecretKey) -> Result<Option<Zeroizing<Vec<u8>>>, RevealError> {
        let derived = key.derive();
        let Some(envelope) = self.store.take(&derived.id, None).await?.into_envelope() else {
            return Ok(None);
        };
        open_derived(&derived, &envelope)
            .map(Some)
            .map_err(RevealError::Open)
    }

    /// Stores an envelope sealed by a client, after checking its shape and its
    /// size against the policy. Returns when it will expire.
    pub async fn store_envelope(
        &self,
        id: &SecretId,
        envelope: &[u8],
        ttl: Option<Duration>,
    ) -> Result<SystemTime, CreateError> {
        self.policy
            .check_envelope(envelope.len())
            .map_err(CreateError::EnvelopeTooLarge)?;
        validate_envelope(envelope).map_err(CreateError::InvalidEnvelope)?;
        let ttl = self.policy.resolve_ttl(ttl)?;
        let expires_at = SystemTime::now() + ttl;
        self.store
            .put_with_ttl(id, envelope, ttl, &Guards::NONE)
            .await?;
        Ok(expires_at)
    }

    /// Takes the envelope whose id the claim derives. Knowing only an id is not
    /// enough to take anything.
    pub async fn take_by_claim(
        &self,
        claim: &Claim,
        proof: Option<&PassphraseProof>,
    ) -> Result<TakeOutcome, StoreError> {
        self.store.take(&claim.id(), proof).await
    }
}
