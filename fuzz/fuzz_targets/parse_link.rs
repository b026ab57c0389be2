//! Fuzz target `parse_link`: the body is `oneshot_core::fuzzing::parse_link`, shared with
//! the corpus replay test (oneshot-core/tests/fuzz_corpus.rs); FUZZING.md
//! describes its input and properties.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| oneshot_core::fuzzing::parse_link(data));
