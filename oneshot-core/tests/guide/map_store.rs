use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use oneshot_core::{SecretId, SecretStore, StoreError};
use tokio::time::Instant;

/// A read-once map: everything happens under one lock, so a take is atomic.
#[derive(Debug, Default)]
pub struct MapStore {
    entries: Mutex<HashMap<SecretId, (Vec<u8>, Instant)>>,
}

#[async_trait::async_trait]
impl SecretStore for MapStore {
    async fn put_with_ttl(
        &self,
        id: &SecretId,
        envelope: &[u8],
        ttl: Duration,
    ) -> Result<(), StoreError> {
        if ttl < Duration::from_millis(1) {
            return Err(StoreError::InvalidTtl);
        }
        let now = Instant::now();
        let expires_at = now.checked_add(ttl).ok_or(StoreError::InvalidTtl)?;
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        // An expired entry no longer holds its id: create-only is about live ones.
        if entries.get(id).is_some_and(|(_, at)| *at > now) {
            return Err(StoreError::AlreadyExists);
        }
        entries.insert(*id, (envelope.to_vec(), expires_at));
        Ok(())
    }

    async fn take(&self, id: &SecretId) -> Result<Option<Vec<u8>>, StoreError> {
        let removed = self
            .entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id);
        Ok(removed.and_then(|(envelope, at)| (at > Instant::now()).then_some(envelope)))
    }
}

// The whole suite, one `#[tokio::test]` per case. The expiry case runs on a
// paused clock, which `tokio::time::Instant` above follows.
oneshot_core::conformance_suite! {
    test: #[tokio::test(flavor = "multi_thread", worker_threads = 4)],
    expiry_test: #[tokio::test(start_paused = true)],
    store: async { ((), MapStore::default()) },
    sleep: tokio::time::sleep,
}
