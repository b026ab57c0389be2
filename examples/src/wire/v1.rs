//! Version 1 of the API: its paths and the bodies they take and answer.
//!
//! | route | request | answer |
//! | --- | --- | --- |
//! | `POST` [`CREATE_PATH`] | [`CreateRequest`] | `201` [`CreateResponse`] |
//! | `POST` [`TAKE_PATH`] | [`TakeRequest`] | `200` [`TakeResponse`] |
//! | `GET` [`CONFIG_PATH`] | | `200` [`ConfigResponse`] |
//!
//! Requests take no other fields than their struct's, each once: the
//! server answers `400 invalid_request` to an unknown or repeated one. Answers may gain fields, so
//! clients ignore the ones they do not know.

use serde::{Deserialize, Serialize};

use super::{Field, error_codes};

/// Stores a [`CreateRequest`].
pub const CREATE_PATH: &str = "/api/v1/secrets";
/// Takes a secret by its [`TakeRequest`] claim.
pub const TAKE_PATH: &str = "/api/v1/secrets/take";
/// What a client needs to know before creating: [`ConfigResponse`].
pub const CONFIG_PATH: &str = "/api/v1/config";

/// `POST /api/v1/secrets`: store an envelope under its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = V1CreateRequest)]
pub struct CreateRequest {
    /// The secret's id, 32 lowercase hex characters.
    #[schema(pattern = r"^[0-9a-f]{32}$")]
    pub id: String,
    /// The v1 envelope, base64url without padding (a v2 envelope goes to
    /// [`super::v2::CREATE_PATH`]).
    #[schema(pattern = r"^[A-Za-z0-9_-]*$", min_length = 380)]
    pub envelope: String,
    /// How long to keep it unread, in seconds; absent (or `null`) for the
    /// server's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_secs: Option<u64>,
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
    /// Every field, in the order the server checks them.
    pub const FIELDS: &'static [Field] = &[Self::ID, Self::ENVELOPE, Self::TTL_SECS];
}

/// `201` to a [`CreateRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = V1CreateResponse)]
pub struct CreateResponse {
    /// The id, as sent.
    pub id: String,
    /// When the secret expires unread, in seconds since the Unix epoch.
    pub expires_at: u64,
}

/// `POST /api/v1/secrets/take`: take (read and delete) a secret.
///
/// The claim lets whoever holds it consume the secret, so `Debug` does not
/// show it and dropping the request wipes it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = V1TakeRequest)]
pub struct TakeRequest {
    /// The claim derived from the link's key, 43 base64url characters.
    #[schema(pattern = r"^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$")]
    pub claim: String,
}

impl TakeRequest {
    /// The `claim` field.
    pub const CLAIM: Field = Field {
        name: "claim",
        code: error_codes::INVALID_CLAIM,
    };
    /// Every field, in the order the server checks them.
    pub const FIELDS: &'static [Field] = &[Self::CLAIM];
}

impl std::fmt::Debug for TakeRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TakeRequest")
            .field("claim", &"[REDACTED]")
            .finish()
    }
}

impl Drop for TakeRequest {
    fn drop(&mut self) {
        // `Zeroizing` wipes the string's buffer when it drops.
        drop(oneshot_core::Zeroizing::new(std::mem::take(
            &mut self.claim,
        )));
    }
}

/// `200` to a [`TakeRequest`]: the secret, still encrypted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = V1TakeResponse)]
pub struct TakeResponse {
    /// The v1 envelope, base64url without padding. Only the link's key opens it.
    #[schema(pattern = r"^[A-Za-z0-9_-]*$")]
    pub envelope: String,
}

/// `200` to `GET /api/v1/config`: the server's limits, for clients that
/// check a secret before sending it. It serves both API versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ConfigResponse {
    /// Whether creating needs `Authorization: Bearer <token>`.
    pub create_requires_token: bool,
    /// The largest secret accepted, in bytes (before encryption): a text, or
    /// a file's contents.
    pub max_bytes: u64,
    /// The largest request body read to create a secret, in bytes (the JSON
    /// with the base64url envelope); a larger one is answered `413
    /// too_large` before it is read in full. Other requests are smaller
    /// still ([`super::SMALL_BODY_LIMIT`]).
    pub max_body_bytes: u64,
    /// The largest envelope accepted, in bytes: the longest that a secret
    /// of `max_bytes` seals to, in either format version, a file with the
    /// longest name and media type included.
    pub max_envelope_bytes: u64,
    /// The shortest lifetime accepted, in seconds.
    pub min_ttl_secs: u64,
    /// The longest lifetime accepted, in seconds.
    pub max_ttl_secs: u64,
    /// The lifetime of a secret created without `ttl_secs`, in seconds.
    pub default_ttl_secs: u64,
    /// Wrong passphrases a v2 secret survives: the last of them destroys it.
    pub passphrase_attempts: u32,
    /// How long a receipt stays readable past its secret's expiry, in seconds.
    pub receipt_retention_secs: u64,
}

#[cfg(test)]
mod tests {
    //! The JSON spelled out once more, on purpose: these pin the wire format
    //! that the page's JavaScript and other clients rely on.

    use super::*;
    use serde_json::{Value, json};

    fn names(fields: &[Field]) -> Vec<&'static str> {
        fields.iter().map(|f| f.name).collect()
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
            envelope: "AQ".to_owned(),
            ttl_secs: Some(600),
        };
        let expected = json!({ "id": "00".repeat(16), "envelope": "AQ", "ttl_secs": 600 });
        assert_eq!(serde_json::to_value(&create).unwrap(), expected);
        let default_ttl = CreateRequest {
            ttl_secs: None,
            ..create
        };
        assert_eq!(
            serde_json::to_value(&default_ttl).unwrap(),
            json!({ "id": "00".repeat(16), "envelope": "AQ" })
        );
        let take = TakeRequest {
            claim: "c".repeat(43),
        };
        assert_eq!(
            serde_json::to_value(&take).unwrap(),
            json!({ "claim": "c".repeat(43) })
        );
        assert!(!format!("{take:?}").contains("ccc"));
    }

    #[test]
    fn field_descriptors_name_the_struct_fields() {
        let mut create = names(CreateRequest::FIELDS);
        create.sort_unstable();
        let full = CreateRequest {
            id: String::new(),
            envelope: String::new(),
            ttl_secs: Some(1),
        };
        assert_eq!(keys(&serde_json::to_value(&full).unwrap()), create);
        let take = TakeRequest {
            claim: String::new(),
        };
        assert_eq!(
            keys(&serde_json::to_value(&take).unwrap()),
            names(TakeRequest::FIELDS)
        );
    }

    #[test]
    fn requests_refuse_unknown_fields_and_allow_a_null_ttl() {
        let extra = json!({ "id": "", "envelope": "", "admin": true });
        assert!(serde_json::from_value::<CreateRequest>(extra).is_err());
        let null = json!({ "id": "", "envelope": "", "ttl_secs": null });
        assert_eq!(
            serde_json::from_value::<CreateRequest>(null)
                .unwrap()
                .ttl_secs,
            None
        );
        assert!(serde_json::from_value::<TakeRequest>(json!({ "claim": "", "x": 1 })).is_err());
    }

    #[test]
    fn answers_read_the_documented_json() {
        let created: CreateResponse =
            serde_json::from_value(json!({ "id": "ab", "expires_at": 7, "new": 1 })).unwrap();
        assert_eq!(
            created,
            CreateResponse {
                id: "ab".to_owned(),
                expires_at: 7
            }
        );
        let taken: TakeResponse = serde_json::from_value(json!({ "envelope": "AQ" })).unwrap();
        assert_eq!(taken.envelope, "AQ");
        let config = ConfigResponse {
            create_requires_token: true,
            max_bytes: 1,
            min_ttl_secs: 2,
            max_ttl_secs: 3,
            default_ttl_secs: 4,
            max_body_bytes: 5,
            max_envelope_bytes: 6,
            passphrase_attempts: 7,
            receipt_retention_secs: 8,
        };
        assert_eq!(
            serde_json::to_value(&config).unwrap(),
            json!({
                "create_requires_token": true,
                "max_bytes": 1,
                "min_ttl_secs": 2,
                "max_ttl_secs": 3,
                "default_ttl_secs": 4,
                "max_body_bytes": 5,
                "max_envelope_bytes": 6,
                "passphrase_attempts": 7,
                "receipt_retention_secs": 8,
            })
        );
    }
}
