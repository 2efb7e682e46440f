//! `mmo-zone`: one zone server as its own process, against etcd. Prints
//! `ready: link=HOST:PORT http=HOST:PORT` once registered.

use anyhow::Context;
use clap::Parser;
use mmo_cluster::cli::{RegistryArgs, StoreArgs, WorldArgs};
use mmo_cluster::etcd::EtcdRegistry;
use mmo_cluster::net::{LinkIdentity, LinkServer};
use mmo_store::{AnyHot, AnyStore};
use mmo_world::ZoneId;
use mmo_zone::core::ZoneConfig;
use mmo_zone::host::{HostConfig, Stores, ZoneHost, ZoneLink};
use mmo_zone::ops::{self, Readiness};
use std::io::Write;
use std::net::SocketAddr;

/// A zone server: simulates the cells the coordinator assigns it.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    #[command(flatten)]
    registry: RegistryArgs,
    #[command(flatten)]
    world: WorldArgs,
    /// The durable store the zone saves players into (`--token-*` flags are not used here).
    #[command(flatten)]
    store: StoreArgs,
    /// This zone's id (unique in the world, > 0).
    #[arg(long, env = "MMO_ZONE_ID", value_parser = clap::value_parser!(u32).range(1..))]
    id: u32,
    /// TCP address of the zone link (gateways and other zones connect here, over TLS with the
    /// certificate the zone registers).
    #[arg(long, env = "MMO_LINK", default_value = "127.0.0.1:0")]
    link: SocketAddr,
    /// TCP address of /metrics, /livez and /readyz.
    #[arg(long, env = "MMO_HTTP", default_value = "127.0.0.1:0")]
    http: SocketAddr,
    /// NPCs spawned in each cell the zone takes fresh.
    #[arg(long, env = "MMO_NPCS_PER_CELL", default_value_t = 6)]
    npcs_per_cell: u32,
    /// Entities the zone is sized for (in its load reports and registration).
    #[arg(long, env = "MMO_CAPACITY", default_value_t = mmo_zone::runtime::DEFAULT_CAPACITY, value_parser = clap::value_parser!(u32).range(1..))]
    capacity: u32,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    mmo_cluster::cli::init_logging("info");
    let args = Args::parse();
    let metrics = mmo_cluster::cli::install_metrics().context("installing the metrics recorder")?;
    let (registry, follower) = EtcdRegistry::connect(args.registry.etcd_config())
        .await
        .with_context(|| format!("--etcd {:?}", args.registry.etcd))?;
    tokio::spawn(follower.run());
    let identity = std::sync::Arc::new(LinkIdentity::generate().context("making the zone link certificate")?);
    let link = LinkServer::bind(args.link, identity).await.with_context(|| format!("--link {}", args.link))?;
    let http = tokio::net::TcpListener::bind(args.http).await.with_context(|| format!("--http {}", args.http))?;
    let (link_addr, http_addr) = (link.local_addr(), http.local_addr()?);
    let ready = Readiness::default();
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let app = ops::router(metrics, ready.clone());
    let mut http_shutdown = shutdown.clone();
    tokio::spawn(async move {
        axum::serve(http, app).with_graceful_shutdown(async move { drop(http_shutdown.wait_for(|s| *s).await) }).await
    });
    tokio::spawn(async move {
        mmo_cluster::cli::stop_requested().await;
        let _ = stop.send(true);
    });
    let store =
        AnyStore::open(&args.store.durable).await.with_context(|| format!("--durable {:?}", args.store.durable))?;
    let hot = AnyHot::open(&args.store.hot, &store).await.with_context(|| format!("--hot {:?}", args.store.hot))?;
    let zone = ZoneConfig {
        zone: ZoneId(args.id),
        seed: args.world.seed,
        geometry: args.world.geometry(),
        npcs_per_cell: args.npcs_per_cell,
    };
    let config =
        HostConfig { capacity: args.capacity, ..HostConfig::new(zone, args.world.clock(), args.registry.lease_ttl()) };
    let host = ZoneHost::start(registry, config, ZoneLink::Tls(link), Stores { durable: store, hot })
        .await
        .context("registering the zone")?;
    writeln!(std::io::stdout(), "ready: link={link_addr} http={http_addr}")?;
    std::io::stdout().flush()?;
    let result = host.run(ready, shutdown).await;
    result.context("zone")
}
