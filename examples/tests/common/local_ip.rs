//! Clients from a chosen loopback address. On Linux every 127.x.y.z is
//! loopback, so 127.0.0.2 and 127.0.0.3 are two clients to the server.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use tokio::net::{TcpSocket, TcpStream};

use super::api::Api;

impl Api {
    /// A client of `base` whose connections come from `local`.
    pub(crate) fn from_ip(base: &str, local: IpAddr) -> Self {
        let mut api = Self::new(base);
        api.http = oneshot_examples::cli::http_client()
            .timeout(Duration::from_secs(20))
            .local_address(local)
            .build()
            .expect("client");
        api
    }
}

/// A TCP connection to `base` (`http://host:port`) from `local`.
pub(crate) async fn connect_from(base: &str, local: IpAddr) -> TcpStream {
    let server: SocketAddr = base
        .trim_start_matches("http://")
        .parse()
        .expect("an address");
    let socket = TcpSocket::new_v4().expect("socket");
    socket
        .bind(SocketAddr::new(local, 0))
        .expect("bind the client address");
    socket.connect(server).await.expect("connect")
}
