//! `rediss://` settings shared by the single-node and cluster clients.

/// Server verification against `pem` instead of the system roots; no client
/// certificate.
pub(crate) fn certificates(pem: &[u8]) -> redis::TlsCertificates {
    redis::TlsCertificates {
        client_tls: None,
        root_cert: Some(pem.to_vec()),
    }
}

/// `rediss://` needs a rustls `CryptoProvider`; install ring's unless the
/// application installed one.
pub(crate) fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Losing a race with another installer is fine: one is in place.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}
