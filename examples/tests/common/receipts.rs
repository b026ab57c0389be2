//! The receipt endpoints on the API client, and how many receipt calls
//! reached the store. Its includers also include `v2.rs` and `server.rs`.

use std::sync::atomic::Ordering;

use oneshot_examples::wire::v2::{BURN_PATH, RECEIPT_PATH, ReceiptRequest};
use serde_json::Value;

use super::api::Api;
use super::server::Counts;
use super::v2::SealedV2;

impl SealedV2 {
    /// The body that reads (or burns through) this secret's receipt.
    pub(crate) fn receipt_request(&self) -> ReceiptRequest {
        let receipt = self.receipt.as_ref().expect("sealed with a receipt");
        ReceiptRequest {
            id: self.id.clone(),
            receipt_claim: receipt.claim().to_b64u().to_string(),
        }
    }
}

impl Api {
    /// Reads a receipt; the status and the JSON answer.
    pub(crate) async fn receipt(&self, request: &ReceiptRequest) -> (u16, Value) {
        let (status, _, v) = self.post(RECEIPT_PATH, request).await;
        (status, v)
    }

    /// Burns through a receipt; the status and the JSON answer.
    pub(crate) async fn burn(&self, request: &ReceiptRequest) -> (u16, Value) {
        let (status, _, v) = self.post(BURN_PATH, request).await;
        (status, v)
    }
}

impl Counts {
    /// Receipt reads and burns that reached the store.
    pub(crate) fn receipt_calls(&self) -> usize {
        self.receipts.load(Ordering::SeqCst) + self.burns.load(Ordering::SeqCst)
    }
}
