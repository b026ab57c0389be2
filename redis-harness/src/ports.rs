//! Free loopback ports, so that test servers never meet a real one (or each
//! other) on a fixed port such as 6379.

use std::net::{Ipv4Addr, TcpListener};

/// A loopback port nobody is listening on (and, for cluster nodes, whose
/// cluster bus port `+10000` is free too).
pub fn free_port(cluster: bool) -> u16 {
    loop {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind an ephemeral port");
        let port = listener.local_addr().expect("local addr").port();
        if !cluster {
            return port;
        }
        if port < 55_000 && TcpListener::bind((Ipv4Addr::LOCALHOST, port + 10_000)).is_ok() {
            return port;
        }
    }
}
