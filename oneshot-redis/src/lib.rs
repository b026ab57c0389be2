//! oneshot Redis store (work in progress: see the Redis backend issue).
#![forbid(unsafe_code)]
