//! The values derived from a v2 key (FORMAT-v2 §2).
//!
//! ```text
//! claim   = HKDF(K, "oneshot/v2 claim" || flags)
//! id      = SHA-256("oneshot/v2 id" || claim)[0..16]
//! ikm     = K                                          without a passphrase
//! salt_p  = HKDF(K, "oneshot/v2 pbkdf2 salt" || flags, 16)
//! W       = PBKDF2-HMAC-SHA256(NFC(passphrase), salt_p, 600000, 32)
//! ikm     = K || W                                     with a passphrase
//! proof   = HKDF(ikm, "oneshot/v2 passphrase proof" || flags)
//! enc_key = HKDF(ikm, "oneshot/v2 enc" || flags)
//! ```
//!
//! Each `ikm` goes through one HKDF-Extract, shared by all its expands. Every
//! intermediate secret (`W`, `K || W`, `enc_key`, `proof`, `salt_p`) lives in
//! memory that is zeroized on drop.

use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::claim::Claim;
use crate::error::{PassphraseMismatch, RandomnessError};
use crate::format::v2::{
    CLAIM_LEN, ENC_KEY_LEN, HKDF_INFO_CLAIM, HKDF_INFO_ENC, HKDF_INFO_PASSPHRASE_PROOF,
    HKDF_INFO_PBKDF2_SALT, HKDF_SALT, KEY_LEN, PBKDF2_ITERATIONS, PBKDF2_KEY_LEN, PBKDF2_SALT_LEN,
    STRETCHED_IKM_LEN,
};
use crate::guard::PassphraseProof;
use crate::id::SecretId;
use crate::v2::key::{Flags, SecretKey};
use crate::v2::passphrase::Passphrase;
use crate::version::Version;

/// PBKDF2 runs through `pbkdf2_hmac_with_params`, the one SHA-256 entry point
/// that is compiled inside the `pbkdf2` crate rather than generic code
/// instantiated here, so that the dev profile's `opt-level = 3` for `pbkdf2`
/// covers the whole loop (the generic `pbkdf2_hmac::<Sha256>` runs ~25 times
/// slower in a debug build). Its parameters can be built only as
/// `Params::RECOMMENDED` without the `password-hash` feature; the rounds are
/// checked against the format's constant at compile time, and the output
/// length is our buffer's.
const PBKDF2_PARAMS: pbkdf2::Params = pbkdf2::Params::RECOMMENDED;
const _: () = assert!(
    PBKDF2_PARAMS.rounds() == PBKDF2_ITERATIONS,
    "pbkdf2's recommended rounds are no longer FORMAT-v2's 600,000"
);

/// Everything a seal, an open and a take need, derived once.
pub(crate) struct Derived {
    pub(crate) flags: Flags,
    pub(crate) enc_key: Zeroizing<[u8; ENC_KEY_LEN]>,
    pub(crate) id: SecretId,
    /// With a passphrase, what a take shows the store.
    pub(crate) proof: Option<PassphraseProof>,
}

/// HKDF-Extract with the v2 salt.
pub(crate) fn extract(ikm: &[u8]) -> Hkdf<Sha256> {
    Hkdf::<Sha256>::new(Some(HKDF_SALT), ikm)
}

/// HKDF-Expand of `N` bytes with the concatenation of `info` as info.
pub(crate) fn expand<const N: usize>(hkdf: &Hkdf<Sha256>, info: &[&[u8]]) -> Zeroizing<[u8; N]> {
    let mut okm = Zeroizing::new([0u8; N]);
    // Every N here is at most 32, far below HKDF-SHA256's 255 * 32 limit,
    // so the expand cannot fail.
    let _ = hkdf.expand_multi_info(info, &mut okm[..]);
    okm
}

/// The passphrase to use, or why it does not fit the flags.
pub(crate) fn check_passphrase(
    flags: Flags,
    passphrase: Option<&Passphrase>,
) -> Result<Option<&Passphrase>, PassphraseMismatch> {
    match (flags.needs_passphrase(), passphrase) {
        (true, None) => Err(PassphraseMismatch::Required),
        (false, Some(_)) => Err(PassphraseMismatch::Unexpected),
        (_, passphrase) => Ok(passphrase),
    }
}

/// `W = PBKDF2-HMAC-SHA256(P, salt_p, 600000, 32)`.
pub(crate) fn pbkdf2_key(
    passphrase: &Passphrase,
    salt: &[u8; PBKDF2_SALT_LEN],
) -> Zeroizing<[u8; PBKDF2_KEY_LEN]> {
    let mut w = Zeroizing::new([0u8; PBKDF2_KEY_LEN]);
    pbkdf2::pbkdf2_hmac_with_params(
        passphrase.as_bytes(),
        salt,
        pbkdf2::Algorithm::Pbkdf2Sha256,
        PBKDF2_PARAMS,
        &mut w[..],
    );
    w
}

/// The extract of `K` and the flags byte as an info suffix.
struct KeyHkdf<'a> {
    key: &'a SecretKey,
    hkdf: Hkdf<Sha256>,
    flags: [u8; 1],
}

impl<'a> KeyHkdf<'a> {
    fn new(key: &'a SecretKey) -> Self {
        Self {
            key,
            hkdf: extract(key.as_bytes()),
            flags: [key.flags().bits()],
        }
    }

    fn claim(&self) -> Claim {
        let bytes = expand::<CLAIM_LEN>(&self.hkdf, &[HKDF_INFO_CLAIM, &self.flags]);
        Claim::from_bytes(Version::V2, *bytes)
    }

    fn pbkdf2_salt(&self) -> Zeroizing<[u8; PBKDF2_SALT_LEN]> {
        expand(&self.hkdf, &[HKDF_INFO_PBKDF2_SALT, &self.flags])
    }

    /// `K || W`, extracted.
    fn stretch(&self, passphrase: &Passphrase) -> Hkdf<Sha256> {
        let w = pbkdf2_key(passphrase, &self.pbkdf2_salt());
        let mut ikm = Zeroizing::new([0u8; STRETCHED_IKM_LEN]);
        let (k_part, w_part) = ikm.split_at_mut(KEY_LEN);
        k_part.copy_from_slice(self.key.as_bytes());
        w_part.copy_from_slice(&w[..]);
        extract(&ikm[..])
    }

    fn proof(&self, stretched: &Hkdf<Sha256>) -> PassphraseProof {
        let bytes = expand::<32>(stretched, &[HKDF_INFO_PASSPHRASE_PROOF, &self.flags]);
        PassphraseProof::from_bytes(*bytes)
    }
}

impl SecretKey {
    /// The claim that a take shows the server: `HKDF(K, "oneshot/v2 claim" || flags)`.
    /// It needs no passphrase.
    pub fn claim(&self) -> Claim {
        KeyHkdf::new(self).claim()
    }

    /// The id the secret is stored under. It needs no passphrase.
    pub fn id(&self) -> SecretId {
        self.claim().id()
    }

    /// The proof a take shows the store for a secret with a passphrase; its
    /// [`verifier`](PassphraseProof::verifier) is what the creator gives the
    /// store. Runs PBKDF2 (600,000 rounds).
    ///
    /// A key without the passphrase flag has no proof:
    /// [`PassphraseMismatch::Unexpected`], before any derivation.
    pub fn passphrase_proof(
        &self,
        passphrase: &Passphrase,
    ) -> Result<PassphraseProof, PassphraseMismatch> {
        check_passphrase(self.flags(), Some(passphrase))?;
        let k = KeyHkdf::new(self);
        Ok(k.proof(&k.stretch(passphrase)))
    }

    /// The PBKDF2 salt `salt_p`, for the known-answer tests.
    #[cfg(test)]
    pub(crate) fn pbkdf2_salt(&self) -> Zeroizing<[u8; PBKDF2_SALT_LEN]> {
        KeyHkdf::new(self).pbkdf2_salt()
    }

    /// Everything at once: the passphrase is checked against the flags before
    /// anything is derived, then PBKDF2 runs (if there is a passphrase) once.
    pub(crate) fn derive(
        &self,
        passphrase: Option<&Passphrase>,
    ) -> Result<Derived, PassphraseMismatch> {
        let passphrase = check_passphrase(self.flags(), passphrase)?;
        Ok(self.derive_checked(passphrase))
    }

    /// A fresh key whose flags fit `passphrase`, with everything derived:
    /// what a sender needs, without a mismatch to report.
    pub(crate) fn generate_derived(
        passphrase: Option<&Passphrase>,
    ) -> Result<(Self, Derived), RandomnessError> {
        let flags = if passphrase.is_some() {
            Flags::PASSPHRASE
        } else {
            Flags::NONE
        };
        let key = Self::generate(flags)?;
        let derived = key.derive_checked(passphrase);
        Ok((key, derived))
    }

    /// The derivations for a passphrase that fits the flags (checked by the caller).
    fn derive_checked(&self, passphrase: Option<&Passphrase>) -> Derived {
        let k = KeyHkdf::new(self);
        let claim = k.claim();
        let id = claim.id();
        let (enc_key, proof) = match passphrase {
            None => (expand(&k.hkdf, &[HKDF_INFO_ENC, &k.flags]), None),
            Some(passphrase) => {
                let stretched = k.stretch(passphrase);
                let enc_key = expand(&stretched, &[HKDF_INFO_ENC, &k.flags]);
                (enc_key, Some(k.proof(&stretched)))
            }
        };
        Derived {
            flags: self.flags(),
            enc_key,
            id,
            proof,
        }
    }
}
