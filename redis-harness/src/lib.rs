//! Real `redis-server` processes for tests and benchmarks, in the spirit of
//! redis-rs's `redis-test`.
//!
//! - [`RedisServer::start`] runs `redis-server` on a free loopback port with
//!   persistence off (`--save "" --appendonly no`), its log and working files in
//!   a temporary directory, waits for `PING` with a deadline (panicking with the
//!   log if it never answers) and kills the process on drop (`server.rs`).
//! - [`RedisCluster::start`] runs three cluster-enabled servers and joins them
//!   with `redis-cli --cluster create`, waiting for `cluster_state:ok`
//!   (`cluster.rs`).
//! - Faults: [`RedisServer::kill`] (SIGKILL), [`RedisServer::pause`] /
//!   [`RedisServer::resume`] (SIGSTOP / SIGCONT), [`RedisServer::restart`] (a new,
//!   empty server on the same port) (`faults.rs`).
//! - Slots: [`key_slot`] (CRC16/XMODEM mod 16384, honouring `{hash tags}`),
//!   [`SlotRanges`] of a node, [`RedisCluster::slot_ranges`] (`slots.rs`).
//! - [`RedisServer::command_calls`]: how often a command ran (`INFO commandstats`).
//! - [`free_port`] (`ports.rs`), [`require_binary`] (`binaries.rs`).
//!
//! A missing binary panics with the command that installs it. Nothing here
//! touches a server on the default port.
#![forbid(unsafe_code)]
#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

// The stack, from the bottom: each module uses only those listed before it.
mod binaries;
mod ports;
mod slots;

mod server;

mod cluster;
mod faults;

pub use binaries::require_binary;
pub use cluster::RedisCluster;
pub use ports::free_port;
pub use server::RedisServer;
pub use slots::{SLOTS, SlotRanges, key_slot};
