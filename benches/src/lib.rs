//! Shared helpers for oneshot's benchmarks (filled by the benchmarks issue).
