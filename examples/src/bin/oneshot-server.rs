//! `oneshot-server`: the web page and JSON API for one-time secrets.
#![forbid(unsafe_code)]

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use oneshot_core::Policy;
use oneshot_examples::server::{App, DynStore, serve, shutdown_signal};
use oneshot_examples::ttl::{format_ttl, parse_ttl};

/// Serves the oneshot page and its JSON API.
///
/// With neither --redis nor --redis-cluster, secrets live in this process's
/// memory and are lost when it stops.
#[derive(Debug, Parser)]
#[command(name = "oneshot-server", version)]
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

    /// Largest secret accepted, in bytes.
    #[arg(long, default_value_t = 64 * 1024, value_name = "BYTES")]
    max_bytes: usize,

    /// Longest lifetime a secret may ask for (e.g. 72h, 3d).
    #[arg(long, default_value = "72h", value_parser = parse_ttl, value_name = "DURATION")]
    max_ttl: Duration,

    /// Lifetime of a secret that does not ask for one.
    #[arg(long, default_value = "24h", value_parser = parse_ttl, value_name = "DURATION")]
    default_ttl: Duration,
}

async fn open_store(args: &Args) -> Result<(DynStore, String), String> {
    if args.redis.is_some() || !args.redis_cluster.is_empty() {
        return oneshot_examples::server::redis_store(args.redis.as_deref(), &args.redis_cluster)
            .await;
    }
    let store = oneshot_memory::MemoryStore::new();
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

    let policy = Policy::new()
        .with_max_body_bytes(args.max_bytes)
        .with_ttl_range(Duration::from_secs(60), args.max_ttl)
        .with_default_ttl(args.default_ttl);
    let (store, store_name) = match open_store(&args).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("oneshot-server: {e}");
            return ExitCode::from(1);
        }
    };
    let app = match App::new(store, policy) {
        Ok(app) => app,
        Err(e) => {
            eprintln!(
                "oneshot-server: invalid limits: {e} (need 1m <= default-ttl <= max-ttl, max-bytes within the format)"
            );
            return ExitCode::from(2);
        }
    };
    let listener = match tokio::net::TcpListener::bind(args.listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("oneshot-server: cannot listen on {}: {e}", args.listen);
            return ExitCode::from(1);
        }
    };
    let addr = listener.local_addr().unwrap_or(args.listen);
    tracing::info!(
        %addr,
        store = %store_name,
        max_bytes = args.max_bytes,
        max_ttl = %format_ttl(args.max_ttl),
        default_ttl = %format_ttl(args.default_ttl),
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
