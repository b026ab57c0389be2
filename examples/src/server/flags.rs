//! The `oneshot-server` flags that bound greedy and slow clients, and what
//! they change: in-flight budgets, trusted proxies, create rates, the memory
//! store's size, the public HTTPS URL, and whether anyone may create on a
//! public address.

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use ipnet::IpNet;

use super::{App, Budgets, CreateRates, PublicUrl, Rate, TrustedProxies};

/// The hardening flags, flattened into the server's own.
#[derive(Debug, Clone, clap::Args)]
pub struct HardeningArgs {
    /// Requests other than creates (takes, receipts, burns, the page) handled
    /// at once, apart from the creates' --max-in-flight: uploads cannot
    /// starve takes.
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..=1_000_000), value_name = "N")]
    pub max_takes_in_flight: u32,

    /// Creates one client address (IPv6: its /64) may have in flight at
    /// once, slow uploads included; more are answered 503 busy.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=1_000_000), value_name = "N")]
    pub max_creates_per_client: u32,

    /// Requests other than creates (takes, receipts, burns, the page) one
    /// client address may have in flight at once, a share of
    /// --max-takes-in-flight; more are answered 503 busy.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=1_000_000), value_name = "N")]
    pub max_takes_per_client: u32,

    /// A reverse proxy's address range (CIDR, or one address); repeat the
    /// flag for more. For a request from such a peer, the client is the
    /// rightmost address in Forwarded (or X-Forwarded-For) that is not
    /// itself a trusted proxy. Without it, these headers are ignored.
    #[arg(long, value_name = "CIDR", value_parser = parse_range)]
    pub trusted_proxy: Vec<IpNet>,

    /// Secrets one client address may create, as COUNT/UNIT (s, min, h), or
    /// `off`; past it: 429 rate_limited with Retry-After.
    #[arg(long, default_value = "30/min", value_parser = parse_rate, value_name = "RATE")]
    pub create_rate: Limit,

    /// The same for creates that carry the create token.
    #[arg(long, default_value = "600/min", value_parser = parse_rate, value_name = "RATE")]
    pub token_create_rate: Limit,

    /// In-memory store only (an error with another store): the most entries
    /// held (live secrets, spent ids, kept receipts); a create past it is 503
    /// store_full. Default: 1000000.
    #[arg(long, value_parser = parse_positive, value_name = "N")]
    pub memory_max_entries: Option<usize>,

    /// In-memory store only (an error with another store): the most envelope
    /// bytes held in all. Default: 1073741824 (1 GiB).
    #[arg(long, value_parser = parse_positive, value_name = "BYTES")]
    pub memory_max_bytes: Option<usize>,

    /// The https:// URL clients reach this server at (TLS terminated by a
    /// proxy in front): every response then carries
    /// Strict-Transport-Security.
    #[arg(long, value_name = "URL", value_parser = parse_public_url)]
    pub public_url: Option<PublicUrl>,

    /// Let anyone create secrets on a non-loopback --listen address.
    /// Without it, such a server needs a create token.
    #[arg(long)]
    pub allow_anonymous_create: bool,
}

/// A rate, or none (`off`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit(pub Option<Rate>);

fn parse_rate(text: &str) -> Result<Limit, String> {
    if text.trim().eq_ignore_ascii_case("off") {
        return Ok(Limit(None));
    }
    Rate::from_str(text)
        .map(|r| Limit(Some(r)))
        .map_err(|e| e.to_string())
}

fn parse_range(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    IpNet::from_str(text)
        .or_else(|_| IpAddr::from_str(text).map(IpNet::from))
        .map_err(|_| {
            "expected an address range such as 10.0.0.0/8 or fd00::/8, or one address".to_owned()
        })
}

fn parse_positive(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err("expected a whole number of at least 1".to_owned()),
    }
}

fn parse_public_url(text: &str) -> Result<PublicUrl, String> {
    PublicUrl::from_str(text).map_err(|e| e.to_string())
}

/// Why the flags cannot start a server.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HardeningError {
    /// A non-loopback address without a create token or
    /// `--allow-anonymous-create`.
    #[error(
        "listening on {0}, which is not a loopback address, lets anyone on the network create secrets: \
         set a create token (--create-token-file or ONESHOT_CREATE_TOKEN), or pass --allow-anonymous-create"
    )]
    AnonymousOnPublicAddress(SocketAddr),
}

impl HardeningArgs {
    /// Refuses anonymous creation on a non-loopback `listen` address unless
    /// allowed.
    pub fn check_listen(&self, listen: SocketAddr, has_token: bool) -> Result<(), HardeningError> {
        if listen.ip().to_canonical().is_loopback() || has_token || self.allow_anonymous_create {
            Ok(())
        } else {
            Err(HardeningError::AnonymousOnPublicAddress(listen))
        }
    }

    /// `app` with these budgets, proxies, rates and public URL.
    pub fn apply(&self, app: App) -> App {
        let app = app
            .with_budgets(Budgets {
                max_takes_in_flight: self.max_takes_in_flight as usize,
                max_creates_per_client: self.max_creates_per_client as usize,
                max_takes_per_client: self.max_takes_per_client as usize,
            })
            .with_trusted_proxies(TrustedProxies::new(self.trusted_proxy.clone()))
            .with_create_rates(CreateRates {
                anonymous: self.create_rate.0,
                token: self.token_create_rate.0,
            });
        match &self.public_url {
            Some(url) => app.with_public_url(url.clone()),
            None => app,
        }
    }

    /// Whether a memory store limit was given (an error with another store:
    /// it would be silently ignored).
    pub fn memory_limits_given(&self) -> bool {
        self.memory_max_entries.is_some() || self.memory_max_bytes.is_some()
    }

    /// The in-memory store's builder with these limits.
    pub fn memory_store(&self) -> oneshot_memory::MemoryStoreBuilder {
        oneshot_memory::MemoryStore::builder()
            .max_entries(
                self.memory_max_entries
                    .unwrap_or(oneshot_memory::DEFAULT_MAX_ENTRIES),
            )
            .max_bytes(
                self.memory_max_bytes
                    .unwrap_or(oneshot_memory::DEFAULT_MAX_BYTES),
            )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_rates_parse() {
        assert_eq!(parse_range("10.0.0.0/8").unwrap().to_string(), "10.0.0.0/8");
        assert_eq!(
            parse_range("192.0.2.1").unwrap().to_string(),
            "192.0.2.1/32"
        );
        assert_eq!(parse_range("::1").unwrap().to_string(), "::1/128");
        assert!(parse_range("10.0.0.0/33").is_err());
        assert!(parse_range("proxy.local").is_err());
        assert_eq!(parse_rate("off").unwrap(), Limit(None));
        assert_eq!(
            parse_rate("30/min").unwrap().0.unwrap().to_string(),
            "30/min"
        );
        assert!(parse_rate("lots").is_err());
        assert!(parse_positive("0").is_err());
    }
}
