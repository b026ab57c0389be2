//! Who the client is: the TCP peer, or, behind a trusted reverse proxy, the
//! address the proxy says it forwarded for.
//!
//! The per-client budgets and rate limits key on this address, so a header
//! naming another address must only be believed from a proxy we run: from
//! anyone else it would let a client pick its own key.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::str::FromStr;

use axum::extract::{ConnectInfo, Request};
use axum::http::HeaderMap;
use ipnet::IpNet;

/// The address ranges of reverse proxies whose `Forwarded` and
/// `X-Forwarded-For` headers are believed. Empty (the default): the client
/// is always the TCP peer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    ranges: Vec<IpNet>,
}

impl TrustedProxies {
    /// Trusts proxies in `ranges`.
    pub fn new(ranges: Vec<IpNet>) -> Self {
        Self { ranges }
    }

    /// Whether no proxy is trusted.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    fn contains(&self, addr: IpAddr) -> bool {
        self.ranges.iter().any(|range| range.contains(&addr))
    }

    /// The client of a request that arrived from `peer`: the peer itself,
    /// unless it is a trusted proxy; then the rightmost address of
    /// `Forwarded` (or, without it, `X-Forwarded-For`) that is not itself a
    /// trusted proxy. A malformed entry ends the walk at the last trusted
    /// hop, since nothing to its left can be believed.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.contains(peer) {
            return peer;
        }
        let hops = if headers.contains_key("forwarded") {
            forwarded_hops(headers)
        } else {
            x_forwarded_for_hops(headers)
        };
        let mut client = peer;
        for hop in hops.into_iter().rev() {
            let Some(addr) = hop else {
                break;
            };
            client = addr.to_canonical();
            if !self.contains(client) {
                break;
            }
        }
        client
    }
}

/// The client's address as the budgets and rate limits key it: an IPv4
/// address, or the /64 an IPv6 address is in (one host usually has a whole
/// /64, and could otherwise take a fresh key for every request).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct ClientKey(IpAddr);

impl ClientKey {
    pub(crate) fn of(addr: IpAddr) -> Self {
        match addr.to_canonical() {
            IpAddr::V6(v6) => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                Self(IpAddr::V6(Ipv6Addr::from(prefix)))
            }
            v4 => Self(v4),
        }
    }
}

impl std::fmt::Display for ClientKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            IpAddr::V6(v6) => write!(f, "{v6}/64"),
            v4 => write!(f, "{v4}"),
        }
    }
}

/// The client of `req`, keyed. Without a peer address (a router called
/// without [`serve`](crate::server::serve)) every request is one client.
pub(crate) fn client_key(proxies: &TrustedProxies, req: &Request) -> ClientKey {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::from([0, 0, 0, 0]), |info| info.0.ip());
    ClientKey::of(proxies.client(peer, req.headers()))
}

/// Every `X-Forwarded-For` entry, left to right (`None`: not an address).
fn x_forwarded_for_hops(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    headers
        .get_all("x-forwarded-for")
        .iter()
        .flat_map(|value| match value.to_str() {
            Ok(text) => text.split(',').map(|e| parse_node(e.trim())).collect(),
            Err(_) => vec![None],
        })
        .collect()
}

/// The `for=` of every `Forwarded` element, left to right (RFC 7239).
fn forwarded_hops(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    headers
        .get_all("forwarded")
        .iter()
        .flat_map(|value| match value.to_str() {
            Ok(text) => text
                .split(',')
                .map(|element| {
                    element.split(';').find_map(|pair| {
                        let (name, value) = pair.split_once('=')?;
                        name.trim()
                            .eq_ignore_ascii_case("for")
                            .then(|| parse_node(value.trim().trim_matches('"')))
                    })?
                })
                .collect(),
            Err(_) => vec![None],
        })
        .collect()
}

/// `192.0.2.1`, `192.0.2.1:80`, `2001:db8::1`, `[2001:db8::1]` or
/// `[2001:db8::1]:80`; anything else (`unknown`, an obfuscated name) is `None`.
fn parse_node(text: &str) -> Option<IpAddr> {
    if let Ok(addr) = IpAddr::from_str(text) {
        return Some(addr);
    }
    if let Ok(addr) = SocketAddr::from_str(text) {
        return Some(addr.ip());
    }
    let inner = text.strip_prefix('[')?.strip_suffix(']')?;
    Ipv6Addr::from_str(inner).ok().map(IpAddr::V6)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn trusted(ranges: &[&str]) -> TrustedProxies {
        TrustedProxies::new(ranges.iter().map(|r| r.parse().unwrap()).collect())
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.append(*name, HeaderValue::from_static(value));
        }
        h
    }

    #[test]
    fn headers_are_ignored_unless_the_peer_is_a_trusted_proxy() {
        let h = headers(&[("x-forwarded-for", "203.0.113.9")]);
        assert_eq!(
            TrustedProxies::default().client(ip("10.0.0.1"), &h),
            ip("10.0.0.1")
        );
        let p = trusted(&["10.0.0.0/8"]);
        assert_eq!(p.client(ip("192.0.2.7"), &h), ip("192.0.2.7"));
        assert_eq!(p.client(ip("10.0.0.1"), &h), ip("203.0.113.9"));
    }

    #[test]
    fn the_rightmost_untrusted_entry_is_the_client() {
        let p = trusted(&["10.0.0.0/8"]);
        // The client may write anything to the left; only the hops our
        // proxies appended count.
        let h = headers(&[("x-forwarded-for", "1.1.1.1, 203.0.113.9, 10.0.0.2")]);
        assert_eq!(p.client(ip("10.0.0.1"), &h), ip("203.0.113.9"));
        let split = headers(&[
            ("x-forwarded-for", "1.1.1.1"),
            ("x-forwarded-for", "203.0.113.9,10.0.0.2"),
        ]);
        assert_eq!(p.client(ip("10.0.0.1"), &split), ip("203.0.113.9"));
        // All trusted: the leftmost.
        let h = headers(&[("x-forwarded-for", "10.1.1.1, 10.0.0.2")]);
        assert_eq!(p.client(ip("10.0.0.1"), &h), ip("10.1.1.1"));
        // Garbage stops the walk at the last trusted hop.
        let h = headers(&[("x-forwarded-for", "203.0.113.9, bogus, 10.0.0.2")]);
        assert_eq!(p.client(ip("10.0.0.1"), &h), ip("10.0.0.2"));
        // No header: the proxy itself.
        assert_eq!(p.client(ip("10.0.0.1"), &HeaderMap::new()), ip("10.0.0.1"));
    }

    #[test]
    fn forwarded_is_parsed_and_preferred() {
        let p = trusted(&["10.0.0.0/8", "::1/128"]);
        let h = headers(&[
            (
                "forwarded",
                r#"for=1.1.1.1, for="[2001:db8::7]:4711";proto=https, for=10.0.0.2"#,
            ),
            ("x-forwarded-for", "198.51.100.1"),
        ]);
        assert_eq!(p.client(ip("::1"), &h), ip("2001:db8::7"));
        let h = headers(&[("forwarded", "proto=https;for=192.0.2.60:8080")]);
        assert_eq!(p.client(ip("10.0.0.1"), &h), ip("192.0.2.60"));
        let h = headers(&[("forwarded", "for=unknown")]);
        assert_eq!(p.client(ip("10.0.0.1"), &h), ip("10.0.0.1"));
    }

    #[test]
    fn ipv6_clients_are_keyed_by_their_64() {
        assert_eq!(
            ClientKey::of(ip("2001:db8:1:2:aaaa::1")),
            ClientKey::of(ip("2001:db8:1:2:bbbb::2"))
        );
        assert_ne!(
            ClientKey::of(ip("2001:db8:1:2::1")),
            ClientKey::of(ip("2001:db8:1:3::1"))
        );
        assert_eq!(
            ClientKey::of(ip("::ffff:192.0.2.1")),
            ClientKey::of(ip("192.0.2.1"))
        );
        assert_eq!(
            ClientKey::of(ip("2001:db8::1")).to_string(),
            "2001:db8::/64"
        );
    }
}
