//! `rediss://` against a real TLS-enabled redis-server, with a test CA made
//! by the `openssl` command (missing: the test fails with the install hint).
#![cfg(feature = "tls")]

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use oneshot_core::SecretStore;
use oneshot_core::store::{BurnOutcome, Guards, TakeOutcome};
use oneshot_core::testkit::{random_id, random_receipt_claim};
use oneshot_redis::{ConnectError, RedisConfig};
use oneshot_redis_harness::{RedisServer, free_port};

fn openssl(dir: &Path, args: &[&str]) {
    let output = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run openssl ({e}); install it with: sudo apt-get install openssl")
        });
    assert!(
        output.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A CA and a server certificate for 127.0.0.1 signed by it.
fn make_certificates(dir: &Path) {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let mut ca = vec!["req", "-x509"];
    ca.extend(ec);
    ca.extend([
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "2",
        "-subj",
        "/CN=oneshot test CA",
    ]);
    openssl(dir, &ca);
    let mut csr = vec!["req"];
    csr.extend(ec);
    csr.extend([
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]);
    openssl(dir, &csr);
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n\
         keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n",
    )
    .expect("write ext.cnf");
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.crt",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
        ],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rediss_with_a_private_ca() {
    let dir = tempfile::tempdir().expect("temp dir");
    make_certificates(dir.path());
    let file = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    let tls_port = free_port(false).to_string();
    let (cert, key, ca) = (file("server.crt"), file("server.key"), file("ca.crt"));
    let _server = RedisServer::start_with(&[
        "--tls-port",
        &tls_port,
        "--tls-cert-file",
        &cert,
        "--tls-key-file",
        &key,
        "--tls-ca-cert-file",
        &ca,
        "--tls-auth-clients",
        "no",
    ]);
    let url = format!("rediss://127.0.0.1:{tls_port}/");
    let ca_pem = std::fs::read(dir.path().join("ca.crt")).expect("read CA");

    let store = common::config(&url)
        .tls_root_certificates(ca_pem)
        .connect()
        .await
        .expect("connect over TLS");
    let id = random_id();
    store
        .put_with_ttl(&id, b"over tls", Duration::from_secs(60), &Guards::NONE)
        .await
        .expect("put");
    assert_eq!(
        store.take(&id, None).await.expect("take"),
        TakeOutcome::Taken(b"over tls".to_vec())
    );
    // The scripts work over TLS too.
    let (id, claim) = (random_id(), random_receipt_claim());
    let guards = Guards::NONE.with_receipt(claim.verifier(), Duration::from_secs(60));
    store
        .put_with_ttl(&id, b"receipted", Duration::from_secs(60), &guards)
        .await
        .expect("guarded put");
    assert!(matches!(
        store.burn(&id, &claim).await.expect("burn"),
        Some(BurnOutcome::Burned(_))
    ));

    // Without the CA, the server's certificate is not trusted.
    let err = RedisConfig::new(&url)
        .connect_timeout(common::CONNECT_TIMEOUT)
        .connect()
        .await
        .expect_err("an untrusted certificate must not connect");
    assert!(matches!(err, ConnectError::Connect { .. }), "{err:?}");

    // Root certificates that are not PEM are a configuration error.
    let err = RedisConfig::new(&url)
        .tls_root_certificates(
            b"-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n".to_vec(),
        )
        .connect()
        .await
        .expect_err("garbage root certificate");
    assert!(matches!(err, ConnectError::InvalidConfig(_)), "{err:?}");
}
