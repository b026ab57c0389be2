//! Replays the committed corpus of the `api_request` fuzz target on stable:
//! every file under `fuzz/corpus/api_request/` (and any fixed crash input
//! under `fuzz/artifacts/api_request/`) goes through the very body the
//! target runs, `oneshot_examples::fuzzing::api_request`, with its
//! assertions. A missing or empty corpus fails. See `FUZZING.md`.
#![cfg(feature = "fuzzing")]

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use oneshot_examples::fuzzing::api_request;

/// The files in `dir`, sorted; `None` if it does not exist.
fn files_in(dir: &Path) -> Option<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).ok()?;
    let mut files: Vec<PathBuf> = entries
        .map(|entry| entry.expect("a readable directory entry").path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    Some(files)
}

#[test]
fn api_request_corpus_replays_clean() {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let corpus_dir = fuzz.join("corpus/api_request");
    let corpus = files_in(&corpus_dir)
        .unwrap_or_else(|| panic!("the corpus {} is missing", corpus_dir.display()));
    assert!(
        corpus.len() >= 10,
        "the corpus {} has {} files",
        corpus_dir.display(),
        corpus.len()
    );
    let artifacts = files_in(&fuzz.join("artifacts/api_request")).unwrap_or_default();
    let mut failed = Vec::new();
    for path in corpus.iter().chain(&artifacts) {
        let data = std::fs::read(path).expect("a readable corpus file");
        if catch_unwind(AssertUnwindSafe(|| api_request(&data))).is_err() {
            failed.push(path.display().to_string());
        }
    }
    assert!(failed.is_empty(), "inputs that fail: {failed:#?}");
}

/// The corpus reaches every route (the first byte picks it), so the replay
/// checks the handling of each.
#[test]
fn api_request_corpus_covers_every_route() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/api_request");
    let mut seen = [false; oneshot_examples::fuzzing::ROUTES.len()];
    for path in files_in(&dir).expect("the corpus exists") {
        let data = std::fs::read(&path).expect("a readable corpus file");
        seen[usize::from(data.first().copied().unwrap_or(0)) % seen.len()] = true;
    }
    assert_eq!(seen, [true; 6], "routes reached by the corpus");
}
