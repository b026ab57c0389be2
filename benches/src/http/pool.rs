//! Request bodies made before a run.

use base64ct::{Base64UrlUnpadded, Encoding};
use hyper::body::Bytes;
use oneshot_core::{RandomnessError, SealError, SecretKey, seal};

use super::wire::post_head;
use crate::floor::{AGAIN_HEADER, CREATE_PATH, TAKE_PATH};

/// Why the pool could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PoolError {
    /// No randomness for a key.
    #[error("no randomness for a key")]
    Randomness(#[from] RandomnessError),
    /// Sealing failed.
    #[error("sealing a pool envelope failed")]
    Seal(#[from] SealError),
    /// Bodies of one kind differ in length (they share one request head).
    #[error("request bodies of uneven lengths")]
    UnevenLengths,
}

/// One pair's requests and what its take must answer.
#[derive(Debug, Clone)]
pub struct PreparedPair {
    /// `{"id":…,"envelope":…,"ttl_secs":3600}`.
    pub create: Bytes,
    /// `{"claim":…}`.
    pub take: Bytes,
    /// The envelope in base64url, as the take must return it.
    pub envelope_b64: String,
}

/// Prepared pairs, each used once per run (a server refuses an id twice),
/// and the request heads they share (every create body has the same length,
/// and so has every take body).
#[derive(Debug, Clone)]
pub struct PairPool {
    pairs: Vec<PreparedPair>,
    envelope_len: usize,
    pub(crate) create_head: Vec<u8>,
    pub(crate) take_head: Vec<u8>,
    pub(crate) again_head: Vec<u8>,
}

impl PairPool {
    /// `count` pairs of fresh v1 keys sealing `body_len` bytes each.
    pub fn generate(count: usize, body_len: usize) -> Result<Self, PoolError> {
        let body = vec![0x5a_u8; body_len];
        let mut pairs = Vec::with_capacity(count);
        let mut envelope_len = 0;
        for _ in 0..count {
            let key = SecretKey::generate()?;
            let envelope = seal(&key, &body)?;
            envelope_len = envelope.len();
            let envelope_b64 = Base64UrlUnpadded::encode_string(&envelope);
            let create = format!(
                "{{\"id\":\"{}\",\"envelope\":\"{envelope_b64}\",\"ttl_secs\":3600}}",
                key.id()
            );
            let take = format!("{{\"claim\":\"{}\"}}", key.claim().to_b64u().as_str());
            pairs.push(PreparedPair {
                create: Bytes::from(create),
                take: Bytes::from(take),
                envelope_b64,
            });
        }
        let (create_len, take_len) = pairs
            .first()
            .map_or((0, 0), |p| (p.create.len(), p.take.len()));
        if pairs
            .iter()
            .any(|p| p.create.len() != create_len || p.take.len() != take_len)
        {
            return Err(PoolError::UnevenLengths);
        }
        Ok(Self {
            pairs,
            envelope_len,
            create_head: post_head(CREATE_PATH, create_len, ""),
            take_head: post_head(TAKE_PATH, take_len, ""),
            again_head: post_head(TAKE_PATH, take_len, &format!("{AGAIN_HEADER}: again\r\n")),
        })
    }

    /// The pairs.
    pub fn pairs(&self) -> &[PreparedPair] {
        &self.pairs
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// The length of each envelope, in bytes (0 for an empty pool).
    pub fn envelope_len(&self) -> usize {
        self.envelope_len
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn pairs_are_distinct_v1_requests() {
        let pool = super::PairPool::generate(3, 252).expect("pool");
        assert_eq!(pool.envelope_len(), 285);
        let [a, b, _] = pool.pairs() else {
            panic!("three pairs")
        };
        assert_ne!(a.create, b.create);
        let create: serde_json::Value = serde_json::from_slice(&a.create).expect("JSON");
        assert_eq!(create["envelope"], a.envelope_b64.as_str());
        assert_eq!(create["id"].as_str().map(str::len), Some(32));
        let take: serde_json::Value = serde_json::from_slice(&a.take).expect("JSON");
        assert_eq!(take["claim"].as_str().map(str::len), Some(43));
    }
}
