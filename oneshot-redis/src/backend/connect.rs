//! Start-up: parse URLs, ask the server its version, pick the protocol and the
//! take mode, open the long-lived connection.

use redis::{AsyncConnectionConfig, Client, ConnectionInfo, IntoConnectionInfo, ProtocolVersion};

use super::classify::Stage;
use super::cluster::Cluster;
use super::single::SingleNode;
use crate::config::{RedisConfig, TakeMode, Target, redact_url};
use crate::error::ConnectError;
use crate::info::{RedisVersion, info_version, text};

/// The long-lived connection(s): one server, or a cluster client.
pub(crate) enum Nodes {
    Single(Box<SingleNode>),
    Cluster(Cluster),
}

/// What [`connect`] made.
pub(crate) struct Connected {
    pub(crate) nodes: Nodes,
    /// [`TakeMode::Command`] or [`TakeMode::Script`], never `Auto`.
    pub(crate) take_mode: TakeMode,
}

/// Connects as `config` says, asking the server (every primary, for a
/// cluster in [`TakeMode::Auto`]) its version on the way.
pub(crate) async fn connect(config: &RedisConfig) -> Result<Connected, ConnectError> {
    #[cfg(feature = "tls")]
    super::tls::install_crypto_provider();
    match &config.target {
        Target::Single(url) => connect_single(config, url).await,
        Target::Cluster(nodes) => connect_cluster(config, nodes).await,
    }
}

async fn connect_single(config: &RedisConfig, url: &str) -> Result<Connected, ConnectError> {
    let info = parse_url(url)?;
    let connect_error = |source| ConnectError::Connect {
        target: redact_url(url),
        source,
    };
    let probe = client_for(info.clone(), config).map_err(ConnectError::InvalidConfig)?;
    let version = probe_version(&probe, config).await.map_err(connect_error)?;
    let take_mode = resolve_take_mode(config.take_mode, version)?;
    let resp3 = version.is_some_and(|v| v >= RedisVersion::RESP3);
    let client =
        client_for(with_protocol(info, resp3), config).map_err(ConnectError::InvalidConfig)?;
    let node = SingleNode::new(
        client,
        config.connect_timeout,
        config.response_timeout,
        resp3,
    );
    // Open the long-lived connection now, so that a misconfiguration shows here.
    let mut stage = Stage::Connecting;
    node.send(&redis::cmd("PING"), &mut stage)
        .await
        .map_err(connect_error)?;
    Ok(Connected {
        nodes: Nodes::Single(Box::new(node)),
        take_mode,
    })
}

async fn connect_cluster(
    config: &RedisConfig,
    nodes: &[String],
) -> Result<Connected, ConnectError> {
    if nodes.is_empty() {
        return Err(ConnectError::NoSeedNodes);
    }
    let target = || {
        nodes
            .iter()
            .map(|n| redact_url(n))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let seeds = nodes
        .iter()
        .map(|url| parse_url(url))
        .collect::<Result<Vec<_>, _>>()?;
    // Ask the first seed that answers for its version (to pick the protocol).
    let mut probed = None;
    let mut last_error = None;
    for seed in &seeds {
        let probe = client_for(seed.clone(), config).map_err(ConnectError::InvalidConfig)?;
        match probe_version(&probe, config).await {
            Ok(version) => {
                probed = Some(version);
                break;
            }
            Err(err) => last_error = Some(err),
        }
    }
    let Some(version) = probed else {
        return Err(ConnectError::Connect {
            target: target(),
            source: last_error.unwrap_or_else(|| {
                redis::RedisError::from((redis::ErrorKind::Io, "no seed node answered"))
            }),
        });
    };
    let resp3 = version.is_some_and(|v| v >= RedisVersion::RESP3);
    let seeds: Vec<ConnectionInfo> = seeds
        .into_iter()
        .map(|seed| with_protocol(seed, resp3))
        .collect();
    let cluster = Cluster::connect(&seeds, config, resp3)
        .await
        .map_err(|source| ConnectError::Connect {
            target: target(),
            source,
        })?;
    // Auto: the native command only if every primary has it.
    let version = if config.take_mode == TakeMode::Auto {
        lowest_primary_version(&cluster).await.or(version)
    } else {
        version
    };
    let take_mode = resolve_take_mode(config.take_mode, version)?;
    Ok(Connected {
        nodes: Nodes::Cluster(cluster),
        take_mode,
    })
}

async fn lowest_primary_version(cluster: &Cluster) -> Option<RedisVersion> {
    let mut info = redis::cmd("INFO");
    info.arg("server");
    let replies = cluster.query_all_primaries(info).await.ok()?;
    replies
        .iter()
        .filter_map(|(_, reply)| reply.as_ref().ok())
        .filter_map(|reply| text(reply).as_deref().and_then(info_version))
        .min()
}

fn parse_url(url: &str) -> Result<ConnectionInfo, ConnectError> {
    url.into_connection_info()
        .map_err(|source| ConnectError::InvalidUrl {
            url: redact_url(url),
            source,
        })
}

fn with_protocol(info: ConnectionInfo, resp3: bool) -> ConnectionInfo {
    if !resp3 {
        return info;
    }
    let settings = info
        .redis_settings()
        .clone()
        .set_protocol(ProtocolVersion::RESP3);
    info.set_redis_settings(settings)
}

/// Connects once (RESP2, which every version speaks) and reads `INFO server`.
/// `Ok(None)` if the server refused `INFO` (e.g. by ACL).
async fn probe_version(
    client: &Client,
    config: &RedisConfig,
) -> Result<Option<RedisVersion>, redis::RedisError> {
    let probe_config = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(config.connect_timeout))
        .set_response_timeout(Some(config.response_timeout));
    let mut conn = client
        .get_multiplexed_async_connection_with_config(&probe_config)
        .await?;
    let mut cmd = redis::cmd("INFO");
    cmd.arg("server");
    match cmd.query_async::<redis::Value>(&mut conn).await {
        Ok(reply) => Ok(text(&reply).as_deref().and_then(info_version)),
        Err(err) if matches!(err.kind(), redis::ErrorKind::Server(_)) => Ok(None),
        Err(err) => Err(err),
    }
}

fn resolve_take_mode(
    mode: TakeMode,
    version: Option<RedisVersion>,
) -> Result<TakeMode, ConnectError> {
    match mode {
        TakeMode::Auto => match version {
            Some(v) if v >= RedisVersion::SET_GET => Ok(TakeMode::Command),
            Some(_) => Ok(TakeMode::Script),
            None => Err(ConnectError::Version(redis::RedisError::from((
                redis::ErrorKind::Client,
                "TakeMode::Auto needs INFO server; choose TakeMode::Command or TakeMode::Script",
            )))),
        },
        explicit => Ok(explicit),
    }
}

/// A client for one server, trusting the configured root certificates if any.
fn client_for(info: ConnectionInfo, config: &RedisConfig) -> redis::RedisResult<Client> {
    #[cfg(feature = "tls")]
    if let Some(pem) = &config.tls_root_certificates {
        return Client::build_with_tls(info, super::tls::certificates(pem));
    }
    #[cfg(not(feature = "tls"))]
    let _ = config;
    Client::open(info)
}
