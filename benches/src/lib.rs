//! Workloads shared by oneshot's criterion benches and the `oneshot-compare`
//! tool, so both measure exactly the same thing, and the pieces of the tool.
//!
//! Every workload is bounded in count and in time, and checks its own results:
//! a benchmark that loses or duplicates secrets is wrong, not fast.
#![forbid(unsafe_code)]

pub mod child;
pub mod compare;
pub mod cpu;
pub mod floor;
pub mod footprint;
pub mod http;
pub mod openssl;
pub mod redis_benchmark;
pub mod workload;

/// The body sizes the seal/open benchmarks and the comparison use, with labels.
pub const BODY_SIZES: [(usize, &str); 6] = [
    (0, "0 B"),
    (256, "256 B"),
    (1024, "1 KiB"),
    (16 * 1024, "16 KiB"),
    (64 * 1024, "64 KiB"),
    (1024 * 1024, "1 MiB"),
];

/// The body sizes of the format v2 rows (FORMAT-v2's text kind).
pub const V2_BODY_SIZES: [(usize, &str); 4] = [
    (256, "256 B"),
    (1024, "1 KiB"),
    (16 * 1024, "16 KiB"),
    (1024 * 1024, "1 MiB"),
];

/// The AES-256-GCM implementation this build of oneshot-core uses.
pub use oneshot_core::AEAD_BACKEND;

pub use workload::{PairRun, WorkloadError, envelope_for, prefill, put_take_pairs};
