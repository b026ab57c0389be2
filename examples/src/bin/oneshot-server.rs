//! `oneshot-server`: the web page and JSON API for one-time secrets.
#![forbid(unsafe_code)]

use std::io::Write;
use std::net::SocketAddr;
use std::num::{NonZeroU32, NonZeroUsize};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use oneshot_core::Policy;
use oneshot_core::Zeroizing;
use oneshot_examples::server::backend::{Backend, StoreArgs, open_store};
use oneshot_examples::server::logging::{self, LogFormat};
use oneshot_examples::server::metrics::Metrics;
use oneshot_examples::server::{
    App, CreateToken, HardeningArgs, Limits, Listeners, Runtime, TokenError, shutdown_signal,
};
use oneshot_examples::ttl::{format_ttl, parse_ttl};

/// Serves the oneshot page and its JSON API.
///
/// With no store flag (--redis, --redis-cluster, --postgres, --sqlite…),
/// secrets live in this process's memory and are lost when it stops.
#[derive(Debug, Parser)]
#[command(name = "oneshot-server", version, after_help = AFTER_HELP)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:3000", value_name = "ADDR")]
    listen: SocketAddr,

    #[command(flatten)]
    store: StoreArgs,

    /// Serve GET /metrics (Prometheus/OpenMetrics text) on this address,
    /// apart from the API; off by default.
    #[arg(long, value_name = "ADDR")]
    metrics_listen: Option<SocketAddr>,

    /// Log a summary line at INFO this often (e.g. 1h): counts of
    /// requests, takes, not-founds… since the previous one. Off by default.
    #[arg(long, value_parser = parse_ttl, value_name = "DURATION")]
    log_summary: Option<Duration>,

    /// Log lines as text (colour only on a terminal) or JSON objects, on
    /// stderr. Requests are logged at debug (RUST_LOG=debug), secret ids
    /// only as per-process keyed tags.
    #[arg(long, value_enum, default_value_t = LogFormat::Text, value_name = "FORMAT")]
    log_format: LogFormat,

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

    /// Connections open at once, for the whole server (all runtimes); past
    /// it new ones wait to be served.
    #[arg(long, default_value_t = 512, value_parser = clap::value_parser!(u32).range(1..=1_000_000), value_name = "N")]
    max_connections: u32,

    /// How the server uses its threads: one multi-thread runtime on one
    /// listener, or (per-core) one current-thread runtime per thread, each
    /// accepting on its own SO_REUSEPORT listener of --listen, the kernel
    /// spreading connections over them. Either way the budgets, per-client
    /// shares, rates and --max-connections are the server's, not each
    /// runtime's.
    #[arg(long, value_enum, default_value_t = Runtime::MultiThread, value_name = "RUNTIME")]
    runtime: Runtime,

    /// Threads that serve: the multi-thread runtime's workers, or the
    /// per-core runtimes (the main thread runs one of them). Default: the
    /// CPUs this process may use.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=1024), value_name = "N")]
    threads: Option<u16>,

    #[command(flatten)]
    hardening: HardeningArgs,
}

const AFTER_HELP: &str = "\
Environment:
  ONESHOT_CREATE_TOKEN  the create token itself (instead of --create-token-file; the
                        file is better: the environment copy cannot be wiped)
  ONESHOT_REDIS_URL     the Redis URL (instead of --redis or --redis-url-file)
  ONESHOT_POSTGRES_URL  the PostgreSQL URL (instead of --postgres or --postgres-url-file)
  RUST_LOG              log filter (default: info)

Exit codes:
  0  stopped cleanly (Ctrl-C or SIGTERM)
  1  cannot start: store unreachable, address in use, or --strict and the
     store's configuration may break the promises
  2  bad flags or configuration: invalid limits, an empty or unreadable token
     or URL file, a malformed store URL, two stores, a non-loopback --listen
     without a create token or --allow-anonymous-create";

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

fn main() -> ExitCode {
    // The flags choose the runtime, so they are read before there is one.
    let args = Args::parse();
    logging::init(args.log_format);
    let threads = args
        .threads
        .and_then(|n| NonZeroUsize::new(n.into()))
        .unwrap_or_else(|| std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN));
    let runtime = match args.runtime.main_runtime(threads).build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("oneshot-server: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    runtime.block_on(run(args, threads))
}

async fn run(args: Args, threads: NonZeroUsize) -> ExitCode {
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
    let opened = match args.store.backend(|name| std::env::var_os(name)) {
        Ok(backend)
            if !matches!(backend, Backend::Memory) && args.hardening.memory_limits_given() =>
        {
            eprintln!(
                "oneshot-server: --memory-max-entries and --memory-max-bytes apply to the in-memory store only, not to the {}",
                backend.name()
            );
            return ExitCode::from(2);
        }
        Ok(backend) => {
            let memory = args.hardening.memory_store();
            open_store(&backend, memory, args.max_ttl, args.store.strict).await
        }
        Err(e) => Err(e),
    };
    let (store, store_name) = match opened {
        Ok(opened) => (opened.store, opened.name),
        Err(e) => {
            eprintln!("oneshot-server: {e}");
            return ExitCode::from(if e.is_configuration() { 2 } else { 1 });
        }
    };
    let metrics = (args.metrics_listen.is_some() || args.log_summary.is_some()).then(Metrics::new);
    let store = match &metrics {
        Some(m) => m.wrap_store(store),
        None => store,
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
    let app = match &metrics {
        Some(m) => app.with_metrics(m.clone()),
        None => app,
    };
    let listeners = match Listeners::bind(args.runtime, args.listen, threads).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("oneshot-server: cannot listen on {}: {e}", args.listen);
            return ExitCode::from(1);
        }
    };
    let addr = listeners.local_addr().unwrap_or(args.listen);
    if let (Some(every), Some(m)) = (args.log_summary, &metrics) {
        m.spawn_summary(every);
    }
    let metrics_addr = match (args.metrics_listen, metrics) {
        (Some(at), Some(m)) => match tokio::net::TcpListener::bind(at).await {
            Ok(l) => {
                let bound = l.local_addr().unwrap_or(at);
                tokio::spawn(async move {
                    if let Err(e) = m.serve(l).await {
                        tracing::error!(error = %e, "the metrics listener stopped");
                    }
                });
                Some(bound)
            }
            Err(e) => {
                eprintln!("oneshot-server: cannot listen on {at} for metrics: {e}");
                return ExitCode::from(1);
            }
        },
        _ => None,
    };
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
        runtime = args.runtime.name(),
        threads,
        metrics = ?metrics_addr,
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
    .and_then(|()| match metrics_addr {
        Some(at) => writeln!(out, "oneshot-server: metrics at http://{at}/metrics"),
        None => Ok(()),
    })
    .and_then(|()| out.flush());
    drop(out);
    match listeners.serve(app, shutdown_signal()).await {
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
