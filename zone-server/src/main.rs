//! `mmo-zone`: one zone server as its own process, against etcd. Prints
//! `ready: link=HOST:PORT http=HOST:PORT` once registered. On SIGTERM (or Ctrl-C) it drains:
//! it hands its cells to the other zones and stops once they simulate them, or after
//! `--drain-timeout-secs` (see [`mmo_zone::drain`]); a second signal stops it at once.

use anyhow::Context;
use clap::Parser;
use mmo_cluster::cli::{RegistryArgs, StoreArgs, WorldArgs};
use mmo_cluster::etcd::EtcdRegistry;
use mmo_cluster::net::{LinkIdentity, LinkServer};
use mmo_store::{AnyHot, AnyStore};
use mmo_world::ZoneId;
use mmo_zone::core::learned::NpcBrain;
use mmo_zone::core::ZoneConfig;
use mmo_zone::drain;
use mmo_zone::host::{HostConfig, Stores, ZoneHost, ZoneLink};
use mmo_zone::ops::{self, Inspected, Readiness};
use std::io::Write;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A zone server: simulates the cells the coordinator assigns it.
#[derive(Parser, Debug)]
#[command(version, about)]
#[command(group(clap::ArgGroup::new("identity").required(true).args(["id", "ordinal"])))]
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
    id: Option<u32>,
    /// Instead of --id: this zone's ordinal from 0 (a Kubernetes StatefulSet's pod index); the
    /// zone id is the ordinal + 1.
    #[arg(long, env = "MMO_ZONE_ORDINAL")]
    ordinal: Option<u32>,
    /// TCP address of the zone link (gateways and other zones connect here, over TLS with the
    /// certificate the zone registers).
    #[arg(long, env = "MMO_LINK", default_value = "127.0.0.1:0")]
    link: SocketAddr,
    /// The zone link address other members dial, registered in etcd (HOST:PORT; default: the
    /// bound --link address). A pod binds 0.0.0.0 and advertises its pod IP.
    #[arg(long, env = "MMO_ADVERTISE", value_parser = mmo_cluster::cli::parse_host_port)]
    advertise: Option<String>,
    /// On SIGTERM, how long the zone waits for its cells to be handed to other zones before it
    /// stops anyway (its cells are then taken over from checkpoints). 0: no drain.
    #[arg(long, env = "MMO_DRAIN_TIMEOUT_SECS", default_value_t = 25)]
    drain_timeout_secs: u64,
    /// TCP address of /metrics, /livez, /readyz and /report.
    #[arg(long, env = "MMO_HTTP", default_value = "127.0.0.1:0")]
    http: SocketAddr,
    /// NPCs spawned in each cell the zone takes fresh.
    #[arg(long, env = "MMO_NPCS_PER_CELL", default_value_t = 6)]
    npcs_per_cell: u32,
    /// The hunters' brain: `learned` (the trained policy built in) or `scripted`.
    #[arg(long, env = "MMO_NPC_BRAIN", default_value_t = NpcBrain::Learned)]
    npc_brain: NpcBrain,
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
    let identity = Arc::new(LinkIdentity::generate().context("making the zone link certificate")?);
    let link = LinkServer::bind(args.link, identity).await.with_context(|| format!("--link {}", args.link))?;
    let http = tokio::net::TcpListener::bind(args.http).await.with_context(|| format!("--http {}", args.http))?;
    let (link_addr, http_addr) = (link.local_addr(), http.local_addr()?);
    let ready = Readiness::default();
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let inspected = Inspected::default();
    let app = ops::router(metrics, ready.clone(), inspected.clone());
    let mut http_shutdown = shutdown.clone();
    tokio::spawn(async move {
        axum::serve(http, app).with_graceful_shutdown(async move { drop(http_shutdown.wait_for(|s| *s).await) }).await
    });
    let store =
        AnyStore::open(&args.store.durable).await.with_context(|| format!("--durable {:?}", args.store.durable))?;
    let hot = AnyHot::open(&args.store.hot, &store).await.with_context(|| format!("--hot {:?}", args.store.hot))?;
    let me = ZoneId(mmo_cluster::cli::id_from(args.id, args.ordinal)?);
    let zone = ZoneConfig {
        zone: me,
        seed: args.world.seed,
        geometry: args.world.geometry(),
        npcs_per_cell: args.npcs_per_cell,
        npc_brain: args.npc_brain,
    };
    let config = HostConfig {
        capacity: args.capacity,
        advertise: args.advertise.clone(),
        ..HostConfig::new(zone, args.world.clock(), args.registry.lease_ttl())
    };
    let host = ZoneHost::start(registry.clone(), config, ZoneLink::Tls(link), Stores { durable: store, hot })
        .await
        .context("registering the zone")?;
    inspected.set(host.handle());
    writeln!(std::io::stdout(), "ready: link={link_addr} http={http_addr}")?;
    std::io::stdout().flush()?;
    let drain_timeout = Duration::from_secs(args.drain_timeout_secs);
    // Set once the zone marked itself draining: the mark is cleared after it stopped.
    let marked = Arc::new(AtomicBool::new(false));
    tokio::spawn({
        let (registry, marked) = (registry.clone(), marked.clone());
        async move {
            mmo_cluster::cli::stop_requested().await;
            if drain_timeout > Duration::ZERO {
                marked.store(true, Ordering::SeqCst);
                tokio::select! {
                    outcome = drain::drain(&registry, me, drain_timeout) => {
                        if let Err(error) = outcome {
                            tracing::warn!(%error, "drain failed; stopping");
                        }
                    }
                    () = mmo_cluster::cli::stop_requested() => tracing::warn!("asked again: stopping without waiting for the drain"),
                }
            }
            let _ = stop.send(true);
        }
    });
    let result = host.run(ready, shutdown).await;
    if marked.load(Ordering::SeqCst) {
        if let Err(error) = drain::clear(&registry, me).await {
            tracing::warn!(%error, "could not clear the zone's draining mark");
        }
    }
    result.context("zone")
}
