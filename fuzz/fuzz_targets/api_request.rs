//! Fuzz target `api_request`: the body is `oneshot_examples::fuzzing::api_request`, shared
//! with the corpus replay test (examples/tests/fuzz_corpus.rs); FUZZING.md
//! describes its input and properties.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| oneshot_examples::fuzzing::api_request(data));
