//! `mmo-gateway`: one gateway as its own process, against etcd: finds the zones in the
//! registry (following them as they come and go), registers under a lease and serves players.
//! Prints `ready: http://HOST:PORT/` once registered.

use anyhow::Context;
use clap::Parser;
use mmo_cluster::cli::{RegistryArgs, StoreArgs, WorldArgs};
use mmo_cluster::etcd::EtcdRegistry;
use mmo_cluster::net::LinkIdentity;
use mmo_cluster::ZoneConnector;
use mmo_gateway::transport::accept::AddressValidation;
use mmo_gateway::{GatewayConfig, GatewayHost, Listeners};
use mmo_protocol::WorldInfo;
use mmo_world::GatewayId;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

/// A gateway: terminates players' sessions and routes them to zones.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    #[command(flatten)]
    registry: RegistryArgs,
    #[command(flatten)]
    world: WorldArgs,
    #[command(flatten)]
    store: StoreArgs,
    /// This gateway's id (unique in the world, > 0).
    #[arg(long, env = "MMO_GATEWAY_ID", value_parser = clap::value_parser!(u32).range(1..))]
    id: u32,
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
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    mmo_cluster::cli::init_logging("info");
    let args = Args::parse();
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
        id: GatewayId(args.id),
        address_validation: args.quic_validation,
        client_dir: args.client_dir.clone(),
        max_sessions: args.max_sessions,
        seed: args.world.seed,
        world: WorldInfo { geometry: args.world.geometry(), clock: args.world.clock() },
    };
    let listeners = Listeners::bind(args.http, args.quic)
        .await
        .with_context(|| format!("--http {} / --quic {}", args.http, args.quic))?;
    let connector = ZoneConnector::Tls(identity);
    let host = GatewayHost::start(registry, config, listeners, connector, Some(metrics), args.registry.lease_ttl())
        .await
        .context("starting the gateway")?;
    writeln!(std::io::stdout(), "ready: http://{}/", host.http_addr())?;
    std::io::stdout().flush()?;
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let run = host.run(shutdown);
    tokio::pin!(run);
    tokio::select! {
        result = &mut run => return result.context("gateway"),
        () = mmo_cluster::cli::stop_requested() => {}
    }
    let _ = stop.send(true);
    run.await.context("gateway")
}
