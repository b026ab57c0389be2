//! The library beside the server: a [`OneShot`] over the very store an
//! in-memory [`TestServer`] serves, for interop tests.

use oneshot_core::OneShot;
use oneshot_memory::MemoryStore;

use super::server::TestServer;

impl TestServer {
    /// The library over this server's in-memory store, with the default
    /// policy (the server's, in the tests that call this).
    pub(crate) fn library(&self) -> OneShot<MemoryStore> {
        OneShot::new(self.memory.clone().expect("an in-memory server"))
    }
}
