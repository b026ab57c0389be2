//! The backend guide's example store (`tests/guide/map_store.rs`, shown in the
//! `store` module docs) passes the whole conformance suite.
#![cfg(feature = "testkit")]

include!("guide/map_store.rs");
