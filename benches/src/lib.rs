//! Workloads shared by oneshot's criterion benches and the `oneshot-compare`
//! tool, so both measure exactly the same thing.
//!
//! Every workload is bounded in count and in time, and checks its own results:
//! a benchmark that loses or duplicates secrets is wrong, not fast.
#![forbid(unsafe_code)]

pub mod openssl;
pub mod redis_benchmark;
pub mod workload;

pub use workload::{PairRun, WorkloadError, envelope_for, put_take_pairs};
