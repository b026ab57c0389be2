//! Key naming: `<prefix>{<32 hex id>}` for a secret, and that plus `:e` for
//! the envelope of a guarded or receipted one. The braces are a Redis
//! Cluster hash tag: both keys hash to the slot of the id alone, so a
//! script over both runs on one node, and secrets spread over every slot.

use oneshot_core::SecretId;

use crate::error::ConnectError;

/// Suffix of the envelope key of a guarded or receipted secret.
const ENVELOPE_SUFFIX: &[u8] = b":e";

/// Makes the two keys of a secret.
#[derive(Debug)]
pub(crate) struct Keys {
    prefix: Box<[u8]>,
}

impl Keys {
    /// Refuses a prefix with `{` or `}`: it could change the hash tag (an
    /// empty tag `{}` in the prefix would even put a secret's two keys in
    /// different slots).
    pub(crate) fn new(prefix: &str) -> Result<Self, ConnectError> {
        if prefix.contains(['{', '}']) {
            return Err(ConnectError::InvalidKeyPrefix {
                prefix: prefix.to_owned(),
            });
        }
        Ok(Self {
            prefix: prefix.as_bytes().into(),
        })
    }

    pub(crate) fn prefix(&self) -> &[u8] {
        &self.prefix
    }

    /// `<prefix>{<hex>}`, with room for the `:e` suffix.
    pub(crate) fn secret(&self, id: &SecretId) -> Vec<u8> {
        let mut hex = [0u8; SecretId::HEX_LEN];
        let hex = id.encode_hex(&mut hex);
        let mut key = Vec::with_capacity(self.prefix.len() + hex.len() + 2 + ENVELOPE_SUFFIX.len());
        key.extend_from_slice(&self.prefix);
        key.push(b'{');
        key.extend_from_slice(hex.as_bytes());
        key.push(b'}');
        key
    }

    /// The secret's key and its envelope key.
    pub(crate) fn both(&self, id: &SecretId) -> (Vec<u8>, Vec<u8>) {
        let secret = self.secret(id);
        let mut envelope = secret.clone();
        envelope.extend_from_slice(ENVELOPE_SUFFIX);
        (secret, envelope)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_carry_the_id_as_their_hash_tag() {
        let keys = Keys::new("oneshot:").expect("prefix");
        let id = SecretId::from_bytes([0xab; 16]);
        let (secret, envelope) = keys.both(&id);
        let hex = "ab".repeat(16);
        assert_eq!(secret, format!("oneshot:{{{hex}}}").into_bytes());
        assert_eq!(envelope, format!("oneshot:{{{hex}}}:e").into_bytes());
        assert_eq!(keys.secret(&id), secret);
        for bad in ["a{", "}", "x{}y", "{t}"] {
            assert!(matches!(
                Keys::new(bad),
                Err(ConnectError::InvalidKeyPrefix { .. })
            ));
        }
        assert!(Keys::new("").is_ok());
    }
}
