//! Workloads shared by oneshot's criterion benches and the `oneshot-compare`
//! tool, so both measure exactly the same thing.
//!
//! Every workload is bounded in count and in time, and checks its own results:
//! a benchmark that loses or duplicates secrets is wrong, not fast.
#![forbid(unsafe_code)]

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

pub use workload::{PairRun, WorkloadError, envelope_for, put_take_pairs};
