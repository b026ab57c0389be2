//! `oneshot-server`: the web page and JSON API for one-time secrets.
#![forbid(unsafe_code)]

use std::io::Write;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use oneshot_core::Policy;
use oneshot_core::Zeroizing;
use oneshot_examples::server::{
    App, CreateToken, DynStore, HardeningArgs, Limits, TokenError, serve, shutdown_signal,
};
use oneshot_examples::ttl::{format_ttl, parse_ttl};

/// Serves the oneshot page and its JSON API.
///
/// With neither --redis nor --redis-cluster, secrets live in this process's
/// memory and are lost when it stops.
#[derive(Debug, Parser)]
#[command(name = "oneshot-server", version, after_help = AFTER_HELP)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:3000", value_name = "ADDR")]
    listen: SocketAddr,

    /// Store secrets in the Redis server at URL (redis://host:port/db).
    #[arg(long, value_name = "URL", conflicts_with = "redis_cluster")]
    redis: Option<String>,

    /// Store secrets in a Redis Cluster; give one or more node URLs (repeat the flag).
    #[arg(long, value_name = "URL")]
    redis_cluster: Vec<String>,

    /// Largest secret accepted, in bytes: a text, or a file's contents. A
    /// create request may be about a third larger (base64url), and a larger
    /// one is refused before it is read in full.
    #[arg(long, default_value_t = DEFAULT_MAX_BYTES, value_name = "BYTES")]
    max_bytes: usize,

    /// Wrong passphrases a secret survives: the last of them destroys it.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=1000), value_name = "N")]
    passphrase_attempts: u32,

    /// How long a receipt stays readable after its secret expires (e.g. 7d).
    #[arg(long, default_value = "7d", value_parser = parse_ttl, value_name = "DURATION")]
    receipt_retention: Duration,

    /// Longest lifetime a secret may ask for (e.g. 72h, 3d).
    #[arg(long, default_value = "72h", value_parser = parse_ttl, value_name = "DURATION")]
    max_ttl: Duration,

    /// Lifetime of a secret that does not ask for one.
    #[arg(long, default_value = "24h", value_parser = parse_ttl, value_name = "DURATION")]
    default_ttl: Duration,

    /// Only clients with this token may create secrets: a file holding the
    /// token alone (surrounding whitespace ignored). Taking needs no token.
    /// Or set ONESHOT_CREATE_TOKEN.
    #[arg(long, value_name = "PATH")]
    create_token_file: Option<PathBuf>,

    /// How long a client may take to send a request's headers, and then its
    /// body (e.g. 15s, 1m). A slower client is disconnected, or answered 408.
    #[arg(long, default_value = "15s", value_parser = parse_timeout, value_name = "DURATION")]
    read_timeout: Duration,

    /// Creates handled at once; more are answered 503 busy (retry: true).
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..=1_000_000), value_name = "N")]
    max_in_flight: u32,

    /// Connections open at once; past it new ones wait to be accepted.
    #[arg(long, default_value_t = 512, value_parser = clap::value_parser!(u32).range(1..=1_000_000), value_name = "N")]
    max_connections: u32,

    #[command(flatten)]
    hardening: HardeningArgs,
}

const AFTER_HELP: &str = "\
Environment:
  ONESHOT_CREATE_TOKEN  the create token itself (instead of --create-token-file; the
                        file is better: the environment copy cannot be wiped)
  RUST_LOG              log filter (default: info)

Exit codes:
  0  stopped cleanly (Ctrl-C or SIGTERM)
  1  cannot start: store unreachable, address in use
  2  bad flags or configuration: invalid limits, an empty or unreadable token,
     a non-loopback --listen without a create token or --allow-anonymous-create";

/// The default of --max-bytes: 10 MiB, room for files.
const DEFAULT_MAX_BYTES: usize = 10 * 1024 * 1024;

/// The environment variable that holds the create token.
const CREATE_TOKEN_ENV: &str = "ONESHOT_CREATE_TOKEN";

fn parse_timeout(input: &str) -> Result<Duration, String> {
    match parse_ttl(input) {
        Ok(d) if d <= Duration::from_secs(3600) => Ok(d),
        Ok(_) => Err("at most 1h".to_owned()),
        Err(_) => {
            Err("invalid duration (use a whole number with s, m or h, e.g. 15s, 1m)".to_owned())
        }
    }
}

/// The create token from --create-token-file or ONESHOT_CREATE_TOKEN, if any.
fn create_token(args: &Args) -> Result<Option<CreateToken>, String> {
    let from_env = std::env::var_os(CREATE_TOKEN_ENV);
    match (&args.create_token_file, from_env) {
        (Some(_), Some(_)) => Err(format!(
            "both --create-token-file and {CREATE_TOKEN_ENV} are set; use one"
        )),
        (Some(path), None) => CreateToken::from_file(path).map(Some).map_err(|e| match e {
            TokenError::Unreadable(_) => e.to_string(),
            other => format!("{other} (in {})", path.display()),
        }),
        (None, Some(value)) => {
            // Only this copy can be wiped: the process environment keeps its
            // own (removing it needs `unsafe` since edition 2024).
            let bytes = Zeroizing::new(value.into_encoded_bytes());
            let text = std::str::from_utf8(&bytes)
                .map_err(|_| format!("{CREATE_TOKEN_ENV} is not valid text"))?;
            CreateToken::new(text)
                .map(Some)
                .map_err(|e| format!("{e} (in {CREATE_TOKEN_ENV})"))
        }
        (None, None) => Ok(None),
    }
}

async fn open_store(args: &Args) -> Result<(DynStore, String), String> {
    if args.redis.is_some() || !args.redis_cluster.is_empty() {
        return oneshot_examples::server::redis_store(
            args.redis.as_deref(),
            &args.redis_cluster,
            args.max_ttl,
        )
        .await;
    }
    // Spent ids must stay spent for the longest lifetime a secret may have.
    let store = args.hardening.memory_store().max_ttl(args.max_ttl).build();
    store
        .spawn_purger(Duration::from_secs(30))
        .map_err(|e| e.to_string())?;
    Ok((Arc::new(store), "in-memory store".to_owned()))
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    // Before anything else: a bad token is a configuration error.
    let token = match create_token(&args) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("oneshot-server: {e}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = args.hardening.check_listen(args.listen, token.is_some()) {
        eprintln!("oneshot-server: {e}");
        return ExitCode::from(2);
    }
    let limits = Limits {
        header_read_timeout: args.read_timeout,
        body_read_timeout: args.read_timeout,
        max_in_flight: args.max_in_flight as usize,
        max_connections: args.max_connections as usize,
    };

    let attempts = NonZeroU32::new(args.passphrase_attempts).unwrap_or(NonZeroU32::MIN);
    let policy = Policy::new()
        .with_max_body_bytes(args.max_bytes)
        .with_ttl_range(Duration::from_secs(60), args.max_ttl)
        .with_default_ttl(args.default_ttl)
        .with_passphrase_attempts(attempts)
        .with_receipt_retention(args.receipt_retention);
    let (store, store_name) = match open_store(&args).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("oneshot-server: {e}");
            return ExitCode::from(1);
        }
    };
    let app = match App::new(store, policy) {
        Ok(app) => args.hardening.apply(app.with_limits(limits)),
        Err(e) => {
            eprintln!(
                "oneshot-server: invalid limits: {e} (need 1m <= default-ttl <= max-ttl, max-bytes within the format)"
            );
            return ExitCode::from(2);
        }
    };
    let app = match token {
        Some(token) => app.with_create_token(token),
        None => app,
    };
    let listener = match tokio::net::TcpListener::bind(args.listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("oneshot-server: cannot listen on {}: {e}", args.listen);
            return ExitCode::from(1);
        }
    };
    let addr = listener.local_addr().unwrap_or(args.listen);
    // Only whether there is a token: never the token.
    let app_requires_token = app.create_requires_token();
    tracing::info!(
        %addr,
        store = %store_name,
        max_bytes = args.max_bytes,
        passphrase_attempts = args.passphrase_attempts,
        receipt_retention = %format_ttl(args.receipt_retention),
        max_ttl = %format_ttl(args.max_ttl),
        default_ttl = %format_ttl(args.default_ttl),
        create_requires_token = app_requires_token,
        read_timeout = %format_ttl(args.read_timeout),
        max_in_flight = args.max_in_flight,
        max_connections = args.max_connections,
        max_takes_in_flight = args.hardening.max_takes_in_flight,
        max_creates_per_client = args.hardening.max_creates_per_client,
        trusted_proxies = args.hardening.trusted_proxy.len(),
        "oneshot-server started"
    );
    // Not println!: a closed stdout must not stop the server.
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "oneshot-server: open http://{addr}/ ({store_name}; Ctrl-C to stop)"
    )
    .and_then(|()| out.flush());
    drop(out);
    match serve(listener, app, shutdown_signal()).await {
        Ok(()) => {
            tracing::info!("oneshot-server stopped");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("oneshot-server: {e}");
            ExitCode::from(1)
        }
    }
}
