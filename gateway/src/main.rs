//! `mmo-gateway`: one gateway as its own process, against etcd: finds the zones in the
//! registry (following them as they come and go), registers under a lease and serves players.
//! Prints `ready: http://HOST:PORT/` once registered.

use anyhow::Context;
use clap::Parser;
use mmo_cluster::cli::{RegistryArgs, StoreArgs, WorldArgs};
use mmo_cluster::etcd::EtcdRegistry;
use mmo_cluster::net::{follow_zones, Follower, LinkIdentity};
use mmo_cluster::{GatewayInfo, Registry, ZoneDirectory};
use mmo_gateway::transport::accept::AddressValidation;
use mmo_gateway::{Gateway, GatewayConfig};
use mmo_protocol::WorldInfo;
use mmo_world::GatewayId;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use tracing::{info, warn};

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
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    id: u32,
    /// TCP address of the web page, the WebSocket fallback, /metrics, /livez and /readyz.
    #[arg(long, default_value = "127.0.0.1:8080")]
    http: SocketAddr,
    /// UDP address of WebTransport.
    #[arg(long, default_value = "127.0.0.1:4433")]
    quic: SocketAddr,
    /// QUIC address validation: `retry` (a connection attempt from an address not yet proven
    /// gets a Retry first) or `off` (behind a proxy that validates addresses itself).
    #[arg(long, value_enum, default_value_t = AddressValidation::Retry)]
    quic_validation: AddressValidation,
    /// The built browser client to serve at `/` (none: API only).
    #[arg(long)]
    client_dir: Option<PathBuf>,
    /// Sessions accepted at most.
    #[arg(long, default_value_t = 1000)]
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
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let directory = ZoneDirectory::default();
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
        http_addr: args.http,
        quic_addr: args.quic,
        address_validation: args.quic_validation,
        client_dir: args.client_dir.clone(),
        max_sessions: args.max_sessions,
        seed: args.world.seed,
        world: WorldInfo { geometry: args.world.geometry(), clock: args.world.clock() },
    };
    let gateway = Gateway::bind(config, directory.clone(), registry.watch(), Some(metrics))
        .await
        .with_context(|| format!("--http {} / --quic {}", args.http, args.quic))?;
    let http_addr = gateway.http_addr();
    let info = GatewayInfo {
        id: GatewayId(args.id),
        address: http_addr.to_string(),
        cert_hash: gateway.cert_sha256_hex().parse().map_err(anyhow::Error::msg)?,
        link_cert_hash: identity.hash(),
        capacity: u32::try_from(args.max_sessions).unwrap_or(u32::MAX),
    };
    let lease = registry.register_gateway(info, args.registry.lease_ttl()).await.context("registering the gateway")?;
    // Registered first: zones accept the gateway's link certificate once they see it.
    {
        let (registry, directory, shutdown) = (registry.clone(), directory.clone(), shutdown.clone());
        let follower = Follower { identity, local: None, lost: None, trusted: None };
        tokio::spawn(async move { follow_zones(&registry, directory, follower, shutdown).await });
    }
    writeln!(std::io::stdout(), "ready: http://{http_addr}/")?;
    std::io::stdout().flush()?;
    let run = tokio::spawn(gateway.run(shutdown));
    let lost = tokio::select! {
        lost = registry.keep_alive(&lease) => Some(match lost { Err(error) => error, Ok(never) => match never {} }),
        () = mmo_cluster::cli::stop_requested() => None,
    };
    let _ = stop.send(true);
    run.await.context("gateway task")?.context("gateway")?;
    match lost {
        Some(error) => anyhow::bail!("gateway lease lost ({error}); stopped"),
        None => {
            if let Err(error) = registry.revoke(&lease).await {
                warn!(%error, "could not revoke the lease");
            }
            info!("gateway stopped and deregistered");
            Ok(())
        }
    }
}
