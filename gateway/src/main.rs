//! `mmo-gateway`: one gateway as its own process, against etcd: finds the zones in the
//! registry (following them as they come and go), registers under a lease and serves players.
//! Prints `ready: http://HOST:PORT/` (`https://` with `--tls-cert`) once registered.
//!
//! SIGTERM or Ctrl-C drains it (no logins, players asked to move to another gateway) until its
//! sessions are gone or `--drain-timeout-secs` passed, then it stops; a second signal stops it
//! at once.

use anyhow::Context;
use clap::Parser;
use mmo_cluster::cli::{id_from, RegistryArgs, StoreArgs, WorldArgs};
use mmo_cluster::etcd::EtcdRegistry;
use mmo_cluster::net::LinkIdentity;
use mmo_cluster::ZoneConnector;
use mmo_gateway::cert::ServerCertificate;
use mmo_gateway::public::{parse_public_quic, parse_public_url, PublicAddresses};
use mmo_gateway::transport::accept::AddressValidation;
use mmo_gateway::{GatewayConfig, GatewayHost, Listeners};
use mmo_protocol::WorldInfo;
use mmo_world::{GatewayId, GatewayRun};
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tracing::info;

/// A gateway: terminates players' sessions and routes them to zones.
#[derive(Parser, Debug)]
#[command(version, about)]
#[command(group(clap::ArgGroup::new("identity").required(true).args(["id", "ordinal"])))]
struct Args {
    #[command(flatten)]
    registry: RegistryArgs,
    #[command(flatten)]
    world: WorldArgs,
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    login: mmo_gateway::state::LoginArgs,
    /// This gateway's id (unique in the world, > 0). Or --ordinal.
    #[arg(long, env = "MMO_GATEWAY_ID", value_parser = clap::value_parser!(u32).range(1..))]
    id: Option<u32>,
    /// This gateway's ordinal (a Kubernetes StatefulSet pod index, from 0): the id is N + 1,
    /// and N replaces `{ordinal}` in --public-url and --public-quic. Or --id.
    #[arg(long, env = "MMO_GATEWAY_ORDINAL", value_parser = clap::value_parser!(u32).range(..u32::MAX as i64))]
    ordinal: Option<u32>,
    /// TCP address of the web page, the WebSocket fallback, /metrics, /livez and /readyz.
    #[arg(long, env = "MMO_HTTP", default_value = "127.0.0.1:8080")]
    http: SocketAddr,
    /// UDP address of WebTransport.
    #[arg(long, env = "MMO_QUIC", default_value = "127.0.0.1:4433")]
    quic: SocketAddr,
    /// QUIC address validation: `retry` (a connection attempt from an address not yet proven
    /// gets a Retry first) or `off` (behind a proxy that validates addresses itself).
    #[arg(long, env = "MMO_QUIC_VALIDATION", value_enum, default_value_t = AddressValidation::Retry)]
    quic_validation: AddressValidation,
    /// The built browser client to serve at `/` (none: API only).
    #[arg(long, env = "MMO_CLIENT_DIR")]
    client_dir: Option<PathBuf>,
    /// Sessions accepted at most.
    #[arg(long, env = "MMO_MAX_SESSIONS", default_value_t = 1000)]
    max_sessions: usize,
    /// Start points new characters spread over, evenly across the world's width (1: all start
    /// in the middle); a name always picks the same one. The same on every gateway of a world.
    #[arg(long, env = "MMO_START_POINTS", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=i64::from(mmo_gateway::start::MAX_START_POINTS)))]
    start_points: u32,
    /// PEM certificate chain (leaf first) for WebTransport and HTTPS on --http, e.g. a
    /// Kubernetes TLS Secret's tls.crt. Without it: a self-signed development certificate that
    /// pages pin by hash, and plain HTTP.
    #[arg(long, env = "MMO_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert (PKCS#8, RSA or EC), e.g. tls.key.
    #[arg(long, env = "MMO_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// The https base URL players open for this gateway (e.g. https://gw-{ordinal}.play.example.com),
    /// registered for the operators; default: the --http address.
    #[arg(long, env = "MMO_PUBLIC_URL", value_parser = parse_public_url)]
    public_url: Option<String>,
    /// HOST:PORT where players' WebTransport reaches this gateway (e.g.
    /// gw-{ordinal}.play.example.com:4433), handed out by /api/connect; default: the page's host
    /// and the --quic port.
    #[arg(long, env = "MMO_PUBLIC_QUIC", value_parser = parse_public_quic)]
    public_quic: Option<String>,
    /// On SIGTERM, how long to wait for players to move to another gateway before stopping.
    #[arg(long, env = "MMO_DRAIN_TIMEOUT_SECS", default_value_t = 25, value_parser = clap::value_parser!(u64).range(0..=3600))]
    drain_timeout_secs: u64,
}

impl Args {
    /// The advertised addresses with `{ordinal}` filled in.
    fn public(&self) -> anyhow::Result<PublicAddresses> {
        Ok(PublicAddresses::from_flags(self.public_url.as_deref(), self.public_quic.as_deref(), self.ordinal)?)
    }

    /// The certificate from --tls-cert / --tls-key, if given.
    fn certificate(&self) -> anyhow::Result<Option<Arc<ServerCertificate>>> {
        match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => Ok(Some(Arc::new(ServerCertificate::from_pem_files(cert, key)?))),
            (None, None) => Ok(None),
            _ => anyhow::bail!("--tls-cert and --tls-key go together"),
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    mmo_cluster::cli::init_logging("info");
    let args = Args::parse();
    let id = GatewayId(id_from(args.id, args.ordinal)?);
    let public = args.public()?;
    let certificate = args.certificate()?;
    if let Some(dir) = &args.client_dir {
        anyhow::ensure!(dir.join("index.html").exists(), "--client-dir {}: no index.html there", dir.display());
    }
    let metrics = mmo_cluster::cli::install_metrics().context("installing the metrics recorder")?;
    let (registry, follower) = EtcdRegistry::connect(args.registry.etcd_config())
        .await
        .with_context(|| format!("--etcd {:?}", args.registry.etcd))?;
    tokio::spawn(follower.run());
    let identity = std::sync::Arc::new(LinkIdentity::generate().context("making the zone link certificate")?);
    let store = mmo_store::AnyStore::open(&args.store.durable)
        .await
        .with_context(|| format!("--durable {:?}", args.store.durable))?;
    let hot = mmo_store::AnyHot::open(&args.store.hot, &store)
        .await
        .with_context(|| format!("--hot {:?}", args.store.hot))?;
    let token_key = args.store.token_key.clone().unwrap_or_else(mmo_store::token::TokenKey::random);
    let token_ttl = std::time::Duration::from_secs(args.store.token_ttl_secs);
    let config = GatewayConfig {
        accounts: mmo_gateway::accounts::Accounts::new(store, token_key, token_ttl),
        hot,
        id,
        run: GatewayRun::start(id).run,
        address_validation: args.quic_validation,
        client_dir: args.client_dir.clone(),
        max_sessions: args.max_sessions,
        login_timeout: args.login.login_timeout(),
        start_points: args.start_points,
        seed: args.world.seed,
        world: WorldInfo { geometry: args.world.geometry(), clock: args.world.clock() },
        certificate,
        public,
        // The host reads them from the registry.
        peers: None,
    };
    let listeners = Listeners::bind(args.http, args.quic)
        .await
        .with_context(|| format!("--http {} / --quic {}", args.http, args.quic))?;
    let connector = ZoneConnector::Tls(identity);
    let host = GatewayHost::start(registry, config, listeners, connector, Some(metrics), args.registry.lease_ttl())
        .await
        .context("starting the gateway")?;
    let scheme = if host.https() { "https" } else { "http" };
    writeln!(std::io::stdout(), "ready: {scheme}://{}/", host.http_addr())?;
    std::io::stdout().flush()?;
    let drain = host.drain_handle();
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let run = host.run(shutdown);
    tokio::pin!(run);
    tokio::select! {
        result = &mut run => return result.context("gateway"),
        () = mmo_cluster::cli::stop_requested() => {}
    }
    tokio::select! {
        result = &mut run => return result.context("gateway"),
        () = drain.drain(Duration::from_secs(args.drain_timeout_secs)) => {}
        () = mmo_cluster::cli::stop_requested() => info!("asked again to stop: stopping without waiting for the drain"),
    }
    let _ = stop.send(true);
    run.await.context("gateway")
}
