//! Version 2 of the API (format v2: passphrases, files, receipts): its paths
//! and the bodies they take and answer.
//!
//! | route | request | answer |
//! | --- | --- | --- |
//! | `POST` [`CREATE_PATH`] | [`CreateRequest`] | `201` [`CreateResponse`] |
//! | `POST` [`TAKE_PATH`] | [`TakeRequest`] | `200` [`TakeResponse`]; `403` [`WrongPassphrase`] |
//! | `POST` [`RECEIPT_PATH`] | [`ReceiptRequest`] | `200` [`ReceiptResponse`] |
//! | `POST` [`BURN_PATH`] | [`BurnRequest`] | `200` [`ReceiptResponse`]; `409` [`BurnRefused`] |
//!
//! The limits are at `GET /api/v1/config` ([`super::v1::ConfigResponse`]),
//! shared by both versions. Every 32-byte value (verifiers, proofs, claims)
//! travels as 43 characters of base64url without padding; ids as 32
//! lowercase hex characters; times as whole seconds since the Unix epoch.
//!
//! Requests take no other fields than their struct's, each once: the
//! server answers `400 invalid_request` to an unknown or repeated one. Answers may gain fields, so
//! clients ignore the ones they do not know.

use serde::{Deserialize, Serialize};

use super::{Field, error_codes};

/// Stores a [`CreateRequest`].
pub const CREATE_PATH: &str = "/api/v2/secrets";
/// Takes a secret by its [`TakeRequest`] claim (and passphrase proof).
pub const TAKE_PATH: &str = "/api/v2/secrets/take";
/// Reads a secret's receipt: [`ReceiptRequest`] → [`ReceiptResponse`].
pub const RECEIPT_PATH: &str = "/api/v2/receipts";
/// Burns an unread secret through its receipt: [`BurnRequest`].
pub const BURN_PATH: &str = "/api/v2/receipts/burn";

/// Wipes a string's buffer: `Zeroizing` does it when it drops.
fn wipe(s: &mut String) {
    drop(oneshot_core::Zeroizing::new(std::mem::take(s)));
}

/// `POST /api/v2/secrets`: store a v2 envelope under its id, with the
/// verifiers the sender derived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = V2CreateRequest)]
pub struct CreateRequest {
    /// The secret's id, 32 lowercase hex characters.
    #[schema(pattern = r"^[0-9a-f]{32}$")]
    pub id: String,
    /// The v2 envelope, base64url without padding.
    #[schema(pattern = r"^[A-Za-z0-9_-]*$", min_length = 380)]
    pub envelope: String,
    /// How long to keep it unread, in seconds; absent (or `null`) for the
    /// server's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_secs: Option<u64>,
    /// For a secret with a passphrase: the verifier of its passphrase proof,
    /// `SHA-256("oneshot/v2 passphrase verifier" || proof)` (FORMAT-v2 §2).
    /// A take must then show the proof; wrong proofs are counted and the
    /// last allowed one destroys the secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = r"^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$")]
    pub passphrase_verifier: Option<String>,
    /// For a sender who wants a receipt: the verifier of the receipt claim,
    /// `SHA-256("oneshot/v2 receipt verifier" || receipt_claim)` (FORMAT-v2 §6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = r"^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$")]
    pub receipt_verifier: Option<String>,
}

impl CreateRequest {
    /// The `id` field.
    pub const ID: Field = Field {
        name: "id",
        code: error_codes::INVALID_ID,
    };
    /// The `envelope` field.
    pub const ENVELOPE: Field = Field {
        name: "envelope",
        code: error_codes::INVALID_ENVELOPE,
    };
    /// The `ttl_secs` field.
    pub const TTL_SECS: Field = Field {
        name: "ttl_secs",
        code: error_codes::INVALID_TTL,
    };
    /// The `passphrase_verifier` field.
    pub const PASSPHRASE_VERIFIER: Field = Field {
        name: "passphrase_verifier",
        code: error_codes::INVALID_PASSPHRASE_VERIFIER,
    };
    /// The `receipt_verifier` field.
    pub const RECEIPT_VERIFIER: Field = Field {
        name: "receipt_verifier",
        code: error_codes::INVALID_RECEIPT_VERIFIER,
    };
    /// Every field, in the order the server checks them.
    pub const FIELDS: &'static [Field] = &[
        Self::ID,
        Self::ENVELOPE,
        Self::TTL_SECS,
        Self::PASSPHRASE_VERIFIER,
        Self::RECEIPT_VERIFIER,
    ];
}

/// `201` to a [`CreateRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = V2CreateResponse)]
pub struct CreateResponse {
    /// The id, as sent.
    pub id: String,
    /// When the secret expires unread, in seconds since the Unix epoch.
    pub expires_at: u64,
}

/// `POST /api/v2/secrets/take`: take (read and delete) a secret.
///
/// The claim lets whoever holds it consume the secret (or, with a
/// passphrase, spend its attempts) and the proof unlocks it, so `Debug`
/// shows neither and dropping the request wipes both.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = V2TakeRequest)]
pub struct TakeRequest {
    /// The claim derived from the link's key and flags, 43 base64url characters.
    #[schema(pattern = r"^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$")]
    pub claim: String,
    /// For a secret with a passphrase: the proof derived from the key and
    /// the passphrase, 43 base64url characters. Ignored for a secret without.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = r"^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$")]
    pub passphrase_proof: Option<String>,
}

impl TakeRequest {
    /// The `claim` field.
    pub const CLAIM: Field = Field {
        name: "claim",
        code: error_codes::INVALID_CLAIM,
    };
    /// The `passphrase_proof` field.
    pub const PASSPHRASE_PROOF: Field = Field {
        name: "passphrase_proof",
        code: error_codes::INVALID_PASSPHRASE_PROOF,
    };
    /// Every field, in the order the server checks them.
    pub const FIELDS: &'static [Field] = &[Self::CLAIM, Self::PASSPHRASE_PROOF];
}

impl std::fmt::Debug for TakeRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TakeRequest")
            .field("claim", &"[REDACTED]")
            .field(
                "passphrase_proof",
                &self.passphrase_proof.as_ref().map(|_| "[REDACTED]"),
            )
            .finish()
    }
}

impl Drop for TakeRequest {
    fn drop(&mut self) {
        wipe(&mut self.claim);
        if let Some(proof) = &mut self.passphrase_proof {
            wipe(proof);
        }
    }
}

/// `200` to a [`TakeRequest`]: the secret, still encrypted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = V2TakeResponse)]
pub struct TakeResponse {
    /// The v2 envelope, base64url without padding. Only the link's key (and
    /// the passphrase, if it has one) opens it.
    #[schema(pattern = r"^[A-Za-z0-9_-]*$")]
    pub envelope: String,
}

/// `403` to a [`TakeRequest`] with a wrong passphrase proof: an
/// [`ErrorBody`](super::ErrorBody) with [`error_codes::WRONG_PASSPHRASE`]
/// and the attempts left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WrongPassphrase {
    /// [`error_codes::WRONG_PASSPHRASE`].
    pub error: String,
    /// A sentence for people.
    pub message: String,
    /// Wrong passphrases still allowed. 0: that was the last one, and the
    /// secret is destroyed (its receipt says `burned`, `passphrase_attempts`).
    pub attempts_left: u32,
}

/// `POST /api/v2/receipts`: what happened to a secret, for its sender.
///
/// The receipt claim lets whoever holds it burn the secret, so `Debug` does
/// not show it and dropping the request wipes it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiptRequest {
    /// The secret's id, 32 lowercase hex characters (in the receipt link).
    #[schema(pattern = r"^[0-9a-f]{32}$")]
    pub id: String,
    /// The receipt claim derived from the receipt key `R`, 43 base64url characters.
    #[schema(pattern = r"^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$")]
    pub receipt_claim: String,
}

/// `POST /api/v2/receipts/burn`: the same body as a [`ReceiptRequest`].
pub type BurnRequest = ReceiptRequest;

impl ReceiptRequest {
    /// The `id` field.
    pub const ID: Field = Field {
        name: "id",
        code: error_codes::INVALID_ID,
    };
    /// The `receipt_claim` field.
    pub const RECEIPT_CLAIM: Field = Field {
        name: "receipt_claim",
        code: error_codes::INVALID_RECEIPT_CLAIM,
    };
    /// Every field, in the order the server checks them.
    pub const FIELDS: &'static [Field] = &[Self::ID, Self::RECEIPT_CLAIM];
}

impl std::fmt::Debug for ReceiptRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReceiptRequest")
            .field("id", &self.id)
            .field("receipt_claim", &"[REDACTED]")
            .finish()
    }
}

impl Drop for ReceiptRequest {
    fn drop(&mut self) {
        wipe(&mut self.receipt_claim);
    }
}

/// Where a secret is, as its receipt tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// `pending`: stored, unread, not expired.
    Pending,
    /// `read`: taken once (`read_at`).
    Read,
    /// `burned`: destroyed unread (`burned_at`, `reason`).
    Burned,
    /// `expired`: its lifetime ended unread.
    Expired,
}

impl State {
    /// The JSON spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Read => "read",
            Self::Burned => "burned",
            Self::Expired => "expired",
        }
    }
}

/// Why a secret was burned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// `sender`: its sender burned it through the receipt.
    Sender,
    /// `passphrase_attempts`: a take showed the last wrong passphrase allowed.
    PassphraseAttempts,
}

impl Reason {
    /// The JSON spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Sender => "sender",
            Self::PassphraseAttempts => "passphrase_attempts",
        }
    }
}

/// `200` to a [`ReceiptRequest`] and to a successful [`BurnRequest`]: the
/// secret's story.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReceiptResponse {
    /// `pending`, `read`, `burned` or `expired`.
    pub state: State,
    /// When the secret expires (or expired) unread, in seconds since the Unix epoch.
    pub expires_at: u64,
    /// For `read`: when it was taken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_at: Option<u64>,
    /// For `burned`: when it was destroyed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub burned_at: Option<u64>,
    /// For `burned`: `sender` or `passphrase_attempts`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
    /// Wrong passphrases shown so far (0 for a secret without one).
    pub failed_attempts: u32,
}

/// `409` to a [`BurnRequest`] for a secret already read, burned or expired:
/// an [`ErrorBody`](super::ErrorBody) whose code names the state
/// ([`error_codes::ALREADY_READ`], [`error_codes::ALREADY_BURNED`],
/// [`error_codes::EXPIRED`]), with the receipt's fields beside it. Nothing
/// changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BurnRefused {
    /// `already_read`, `already_burned` or `expired`.
    pub error: String,
    /// A sentence for people.
    pub message: String,
    /// The receipt as it stands.
    #[serde(flatten)]
    pub receipt: ReceiptResponse,
}

#[cfg(test)]
mod tests {
    //! The JSON spelled out once more, on purpose: these pin the wire format
    //! that the page's JavaScript and other clients rely on.

    use super::*;
    use serde_json::{Value, json};

    fn names(fields: &[Field]) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = fields.iter().map(|f| f.name).collect();
        names.sort_unstable();
        names
    }

    fn keys(value: &Value) -> Vec<String> {
        let mut keys: Vec<String> = value.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        keys
    }

    #[test]
    fn requests_serialize_to_the_documented_json() {
        let create = CreateRequest {
            id: "00".repeat(16),
            envelope: "Ag".to_owned(),
            ttl_secs: Some(600),
            passphrase_verifier: Some("p".repeat(43)),
            receipt_verifier: Some("r".repeat(43)),
        };
        assert_eq!(
            serde_json::to_value(&create).unwrap(),
            json!({
                "id": "00".repeat(16),
                "envelope": "Ag",
                "ttl_secs": 600,
                "passphrase_verifier": "p".repeat(43),
                "receipt_verifier": "r".repeat(43),
            })
        );
        assert_eq!(keys(&serde_json::to_value(&create).unwrap()), {
            let mut n: Vec<String> = names(CreateRequest::FIELDS)
                .into_iter()
                .map(str::to_owned)
                .collect();
            n.sort();
            n
        });
        let plain = CreateRequest {
            ttl_secs: None,
            passphrase_verifier: None,
            receipt_verifier: None,
            ..create
        };
        assert_eq!(
            serde_json::to_value(&plain).unwrap(),
            json!({ "id": "00".repeat(16), "envelope": "Ag" })
        );

        let take = TakeRequest {
            claim: "c".repeat(43),
            passphrase_proof: Some("q".repeat(43)),
        };
        assert_eq!(
            serde_json::to_value(&take).unwrap(),
            json!({ "claim": "c".repeat(43), "passphrase_proof": "q".repeat(43) })
        );
        assert_eq!(
            names(TakeRequest::FIELDS),
            vec!["claim", "passphrase_proof"]
        );
        let shown = format!("{take:?}");
        assert!(!shown.contains("ccc") && !shown.contains("qqq"), "{shown}");

        let receipt = ReceiptRequest {
            id: "ab".repeat(16),
            receipt_claim: "k".repeat(43),
        };
        assert_eq!(
            serde_json::to_value(&receipt).unwrap(),
            json!({ "id": "ab".repeat(16), "receipt_claim": "k".repeat(43) })
        );
        assert_eq!(keys(&serde_json::to_value(&receipt).unwrap()), {
            names(ReceiptRequest::FIELDS)
        });
        assert!(!format!("{receipt:?}").contains("kkk"));
    }

    #[test]
    fn requests_refuse_unknown_fields_and_allow_nulls() {
        let extra = json!({ "id": "", "envelope": "", "admin": true });
        assert!(serde_json::from_value::<CreateRequest>(extra).is_err());
        let nulls = json!({
            "id": "", "envelope": "", "ttl_secs": null,
            "passphrase_verifier": null, "receipt_verifier": null,
        });
        let read = serde_json::from_value::<CreateRequest>(nulls).unwrap();
        assert_eq!(
            (
                read.ttl_secs,
                read.passphrase_verifier,
                read.receipt_verifier
            ),
            (None, None, None)
        );
        assert!(serde_json::from_value::<TakeRequest>(json!({ "claim": "", "x": 1 })).is_err());
        assert!(
            serde_json::from_value::<ReceiptRequest>(
                json!({ "id": "", "receipt_claim": "", "x": 1 })
            )
            .is_err()
        );
    }

    #[test]
    fn answers_read_and_write_the_documented_json() {
        let pending = ReceiptResponse {
            state: State::Pending,
            expires_at: 100,
            read_at: None,
            burned_at: None,
            reason: None,
            failed_attempts: 2,
        };
        assert_eq!(
            serde_json::to_value(&pending).unwrap(),
            json!({ "state": "pending", "expires_at": 100, "failed_attempts": 2 })
        );
        let burned = ReceiptResponse {
            state: State::Burned,
            burned_at: Some(50),
            reason: Some(Reason::PassphraseAttempts),
            ..pending
        };
        assert_eq!(
            serde_json::to_value(&burned).unwrap(),
            json!({
                "state": "burned", "expires_at": 100, "burned_at": 50,
                "reason": "passphrase_attempts", "failed_attempts": 2,
            })
        );
        let read: ReceiptResponse = serde_json::from_value(json!({
            "state": "read", "expires_at": 9, "read_at": 7, "failed_attempts": 0, "new": 1,
        }))
        .unwrap();
        assert_eq!((read.state, read.read_at), (State::Read, Some(7)));
        for state in [State::Pending, State::Read, State::Burned, State::Expired] {
            assert_eq!(serde_json::to_value(state).unwrap(), json!(state.as_str()));
        }
        for reason in [Reason::Sender, Reason::PassphraseAttempts] {
            assert_eq!(
                serde_json::to_value(reason).unwrap(),
                json!(reason.as_str())
            );
        }

        let refused = BurnRefused {
            error: error_codes::ALREADY_READ.to_owned(),
            message: "m".to_owned(),
            receipt: ReceiptResponse {
                state: State::Read,
                read_at: Some(7),
                ..pending
            },
        };
        let value = serde_json::to_value(&refused).unwrap();
        assert_eq!(
            value,
            json!({
                "error": "already_read", "message": "m", "state": "read",
                "expires_at": 100, "read_at": 7, "failed_attempts": 2,
            })
        );
        assert_eq!(
            serde_json::from_value::<BurnRefused>(value).unwrap(),
            refused
        );
        // It is an error body too, for clients that read only that.
        let error: super::super::ErrorBody = serde_json::to_value(&refused)
            .and_then(serde_json::from_value)
            .unwrap();
        assert_eq!(error.error, "already_read");

        let wrong = WrongPassphrase {
            error: error_codes::WRONG_PASSPHRASE.to_owned(),
            message: "m".to_owned(),
            attempts_left: 0,
        };
        assert_eq!(
            serde_json::to_value(&wrong).unwrap(),
            json!({ "error": "wrong_passphrase", "message": "m", "attempts_left": 0 })
        );
    }
}
