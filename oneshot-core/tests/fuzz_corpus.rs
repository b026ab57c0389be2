//! Replays the committed fuzz corpus on stable: every file under
//! `fuzz/corpus/<target>/` (and, if there are any, the fixed crash inputs
//! under `fuzz/artifacts/<target>/`) goes through the very body the fuzz
//! target runs, `oneshot_core::fuzzing::<target>`, with its assertions. So
//! CI keeps every input that ever crashed or found new coverage.
//!
//! Needs the `fuzzing` feature (`cargo test -p oneshot-core --all-features`,
//! as CI runs). A missing or empty corpus directory fails the test: a
//! replay of nothing would pass silently. See `FUZZING.md`.
#![cfg(feature = "fuzzing")]

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::Instant;

use oneshot_core::fuzzing::{self, TARGETS, Target};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

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

fn body(name: &str) -> Target {
    TARGETS
        .iter()
        .find(|(target, _)| *target == name)
        .map(|&(_, body)| body)
        .unwrap_or_else(|| panic!("no fuzz target {name}"))
}

fn replay(name: &str) {
    let body = body(name);
    let corpus_dir = fuzz_dir().join("corpus").join(name);
    let corpus = files_in(&corpus_dir)
        .unwrap_or_else(|| panic!("the corpus {} is missing", corpus_dir.display()));
    assert!(
        !corpus.is_empty(),
        "the corpus {} is empty",
        corpus_dir.display()
    );
    let artifacts = files_in(&fuzz_dir().join("artifacts").join(name)).unwrap_or_default();

    let started = Instant::now();
    let mut failed = Vec::new();
    for path in corpus.iter().chain(&artifacts) {
        let data = std::fs::read(path).expect("a readable corpus file");
        if catch_unwind(AssertUnwindSafe(|| body(&data))).is_err() {
            failed.push(path.display().to_string());
        }
    }
    eprintln!(
        "{name}: replayed {} corpus and {} artifact inputs in {:.2?}",
        corpus.len(),
        artifacts.len(),
        started.elapsed()
    );
    assert!(
        failed.is_empty(),
        "{name}: {} input(s) fail their checks (reproduce with \
         `cargo fuzz run {name} <file>` in fuzz/):\n{}",
        failed.len(),
        failed.join("\n")
    );
}

#[test]
fn parse_link_corpus() {
    replay("parse_link");
}

#[test]
fn open_v1_corpus() {
    replay("open_v1");
}

#[test]
fn open_v2_corpus() {
    replay("open_v2");
}

#[test]
fn content_frame_corpus() {
    replay("content_frame");
}

/// Every target has its test above (a new target needs one too).
#[test]
fn every_target_is_replayed() {
    let replayed = ["parse_link", "open_v1", "open_v2", "content_frame"];
    let targets: Vec<&str> = TARGETS.iter().map(|&(name, _)| name).collect();
    assert_eq!(targets, replayed);
}

/// The input reader never fails: short inputs read as zeros.
#[test]
fn input_reads_zeros_past_the_end() {
    let mut input = fuzzing::Input::new(&[1, 2, 3]);
    assert_eq!(input.byte(), 1);
    assert_eq!(input.array::<4>(), [2, 3, 0, 0]);
    assert_eq!(input.u16(), 0);
    assert_eq!(input.bytes(5), &[] as &[u8]);
    assert_eq!(input.rest(), &[] as &[u8]);
    for target in TARGETS {
        (target.1)(&[]);
    }
}
