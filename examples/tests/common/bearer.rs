//! The API client with a create token, for servers that let only its holders
//! create.

use super::api::Api;

impl Api {
    /// The same client, sending `token` as a bearer token.
    pub(crate) fn with_token(&self, token: &str) -> Self {
        Self {
            token: Some(token.to_owned()),
            ..self.clone()
        }
    }
}
