//! Shorthands for a [`TestServer`] whose app keeps the defaults: no limits
//! or create token to set.

use oneshot_core::Policy;
use oneshot_examples::server::DynStore;

use super::server::TestServer;

impl TestServer {
    /// On a fresh in-memory store with the default policy.
    pub(crate) async fn memory() -> Self {
        Self::memory_with(|app| app).await
    }

    /// On `store` with `policy`. Every store call is counted.
    pub(crate) async fn with_store(store: DynStore, policy: Policy) -> Self {
        Self::configured(store, policy, |app| app).await
    }
}
