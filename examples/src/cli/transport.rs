//! Which connections the CLI makes: plain `http://` only to this machine
//! (loopback) unless `--insecure` says otherwise, checked before anything is
//! read or sent.

use std::net::IpAddr;

use url::{Host, Url};

use super::CliError;

/// Whether `url` may be used: `https`, or `http` to a loopback host
/// (127.0.0.0/8, ::1, `localhost`), or any `http` with `insecure`. Else a
/// usage error (exit 2), before any connection is made.
pub(crate) fn require_secure(url: &Url, insecure: bool) -> Result<(), CliError> {
    if url.scheme() != "http" || insecure || is_loopback(url) {
        return Ok(());
    }
    Err(CliError::usage(format!(
        "refusing plain http:// to {}: anyone on the way could read the request and take \
         or replace the secret; use https://, or pass --insecure to accept that",
        url.host_str().unwrap_or("the server")
    )))
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(url: &str, insecure: bool) -> bool {
        require_secure(&Url::parse(url).unwrap(), insecure).is_ok()
    }

    #[test]
    fn plain_http_only_to_loopback_unless_insecure() {
        for ok in [
            "https://example.com/",
            "http://127.0.0.1:3000/",
            "http://127.8.9.10/",
            "http://[::1]:3000/",
            "http://localhost:3000/",
            "http://LOCALHOST/",
        ] {
            assert!(allowed(ok, false), "{ok}");
        }
        for refused in [
            "http://example.com/",
            "http://10.0.0.1/",
            "http://128.0.0.1/",
            "http://[::2]/",
            "http://localhost.example.com/",
        ] {
            assert!(!allowed(refused, false), "{refused}");
            assert!(allowed(refused, true), "{refused} with --insecure");
        }
        let e = require_secure(&Url::parse("http://example.com/").unwrap(), false).unwrap_err();
        assert_eq!(e.code, crate::cli::exit::USAGE);
        assert!(e.message.contains("--insecure"), "{}", e.message);
    }
}
