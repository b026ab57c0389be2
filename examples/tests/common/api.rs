//! A minimal client for the JSON API, and sealed secrets ready to post.

use std::time::Duration;

use base64ct::{Base64UrlUnpadded, Encoding};
use oneshot_core::SecretKey;
use oneshot_examples::wire::v1::{CREATE_PATH, CreateRequest, TAKE_PATH, TakeRequest};
use serde::Serialize;
use serde_json::Value;

/// A sealed secret ready to post: key, id (hex), envelope (b64u), claim (b64u).
pub(crate) struct Sealed {
    pub(crate) key: SecretKey,
    pub(crate) id: String,
    pub(crate) envelope: String,
    pub(crate) claim: String,
}

impl Sealed {
    /// The body that stores this secret.
    pub(crate) fn create_request(&self, ttl_secs: Option<u64>) -> CreateRequest {
        CreateRequest {
            id: self.id.clone(),
            envelope: self.envelope.clone(),
            ttl_secs,
        }
    }
}

/// `body` sealed under a fresh random key.
pub(crate) fn sealed(body: &[u8]) -> Sealed {
    sealed_with(SecretKey::generate().expect("randomness"), body)
}

/// `body` sealed under `key`.
pub(crate) fn sealed_with(key: SecretKey, body: &[u8]) -> Sealed {
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
    /// Sent as `Authorization: Bearer <token>` with every POST (see `bearer.rs`).
    pub(super) token: Option<String>,
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

    /// POSTs JSON; returns status, headers and the body parsed as JSON (Null if not JSON).
    pub(crate) async fn post(
        &self,
        path: &str,
        body: &impl Serialize,
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

    /// Stores `s`; the status and the JSON answer.
    pub(crate) async fn create(&self, s: &Sealed, ttl_secs: Option<u64>) -> (u16, Value) {
        let (status, _, v) = self.post(CREATE_PATH, &s.create_request(ttl_secs)).await;
        (status, v)
    }

    /// Takes by `claim`; the status and the JSON answer.
    pub(crate) async fn take(&self, claim: &str) -> (u16, Value) {
        let request = TakeRequest {
            claim: claim.to_owned(),
        };
        let (status, _, v) = self.post(TAKE_PATH, &request).await;
        (status, v)
    }
}
