//! schemathesis (property-based tests generated from the OpenAPI document)
//! against the built server on the in-memory store: every operation, v1 and
//! v2 and the page's, a bounded number of examples each and a time bound.
//!
//! It checks every response for a server error, for the documented status,
//! content type, headers and body schema, and that requests breaking the
//! schema are refused. Not `positive_data_acceptance`: a request can fit the
//! schema and still be refused, as an envelope's shape and a lifetime
//! within the policy are not expressible there.
//!
//! schemathesis is a Python package: `scripts/test.sh` installs the pinned
//! version. Without it this test fails, naming the command that installs it.

mod common {
    pub(crate) mod bin;
    pub(crate) mod bin_server;
}

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::bin_server::BinServer;
use oneshot_examples::server::openapi;

/// The version `scripts/test.sh` installs (keep the two the same).
const VERSION: &str = "4.32.5";

/// Examples per operation and the time bound of the run: a short run that
/// still reaches every operation in every phase.
const MAX_EXAMPLES: &str = "25";
const MAX_TIME_SECS: u64 = 30;

fn python() -> String {
    std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

/// Fails, with the install command, unless schemathesis is importable.
fn require_schemathesis() {
    let found = std::process::Command::new(python())
        .args(["-c", "import schemathesis; print(schemathesis.__version__)"])
        .output();
    let install = format!("python3 -m pip install schemathesis=={VERSION}");
    match found {
        Ok(out) if out.status.success() => {
            let version = String::from_utf8_lossy(&out.stdout).trim().to_owned();
            eprintln!("schemathesis {version}");
        }
        Ok(_) => panic!("schemathesis is not installed; install it with: {install}"),
        Err(e) => panic!(
            "no {} ({e}); install Python 3 and then: {install}",
            python()
        ),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_nothing_on_any_operation() {
    require_schemathesis();
    // Without the per-client create rate, so that the examples reach the
    // handlers instead of `429` after the first 30 (the rate has its own
    // tests, and its 429 is documented).
    let server = BinServer::start(&["--create-rate", "off"]).await;
    // Every operation but the document itself (schemathesis leaves out the
    // schema's own URL).
    let operations: Vec<String> = {
        let doc = serde_json::to_value(openapi::document()).unwrap();
        let mut operations = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                if path != openapi::PATH {
                    operations.push(format!("{} {path}", method.to_uppercase()));
                }
            }
        }
        operations
    };
    let report = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let run = tokio::process::Command::new(python())
        .args(["-m", "schemathesis.cli", "run"])
        .arg(format!("{}{}", server.base, openapi::PATH))
        .args([
            "--checks",
            "all",
            "--exclude-checks",
            "positive_data_acceptance",
            "--max-examples",
            MAX_EXAMPLES,
            "--max-time",
            &MAX_TIME_SECS.to_string(),
            "--seed",
            "20261201",
            "--workers",
            "2",
            "--request-timeout",
            "10",
            "--no-color",
            "--generation-database",
            "none",
            "--report",
            "ndjson",
            "--report-dir",
        ])
        .arg(report.path())
        .current_dir(report.path())
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(MAX_TIME_SECS + 20), run)
        .await
        .expect("schemathesis ends within its time bound")
        .expect("run schemathesis");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!(
        "schemathesis ran {:.1} s:\n{stdout}\n{stderr}",
        started.elapsed().as_secs_f64()
    );
    assert!(
        out.status.success(),
        "schemathesis found failures (exit {:?}); its report is above",
        out.status.code()
    );
    // It reached every operation, so a pass means something: each is named
    // in the events of its report.
    let n = operations.len();
    assert!(
        stdout.contains(&format!("Selected: {n}/{n}")) && stdout.contains(&format!("Tested: {n}")),
        "schemathesis did not test all {n} operations"
    );
    let mut events = String::new();
    for entry in std::fs::read_dir(report.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "ndjson") {
            events.push_str(&std::fs::read_to_string(path).unwrap());
        }
    }
    for operation in &operations {
        assert!(
            events.contains(&format!("\"label\":\"{operation}\"")),
            "schemathesis did not test {operation}"
        );
    }
    assert!(
        stdout.contains("generated"),
        "schemathesis generated no test case"
    );
    server.stop().await;
}
