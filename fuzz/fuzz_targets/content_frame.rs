//! Fuzz target `content_frame`: the body is `oneshot_core::fuzzing::content_frame`, shared with
//! the corpus replay test (oneshot-core/tests/fuzz_corpus.rs); FUZZING.md
//! describes its input and properties.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| oneshot_core::fuzzing::content_frame(data));
