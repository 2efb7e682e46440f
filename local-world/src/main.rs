//! `mmo-local`: runs the whole world in one process and prints the URL to open, then the
//! dashboard's.
//!
//! The coordinator's operator API is served on the same HTTP address (see
//! `mmo_coordinator::api`), e.g. `mmo-coordinator state --api http://127.0.0.1:8080` or
//! `curl -X POST http://127.0.0.1:8080/api/move-cell -d '{"cell":"2.1","zone":2}'`.

use anyhow::Context;
use clap::Parser;
use mmo_cluster::cli::WorldArgs;
use mmo_coordinator::config::PolicyArgs;
use mmo_gateway::transport::accept::AddressValidation;
use mmo_local::{LocalWorld, LocalWorldConfig};
use mmo_store::token::TokenKey;
use mmo_store::StoreSpec;
use mmo_zone::core::learned::NpcBrain;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

/// mimalloc: the sessions' snapshot builders allocate and free many small blocks a tick from
/// both cores; glibc's allocator spent 12-14 % of the process on them at 300-900 bots, and
/// with it 250 WebTransport bots took 74.5 % of a core instead of 89.3 % (one run each).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A playable local world: coordinator, zone servers and a gateway in one process.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// TCP address of the web page, the WebSocket fallback and /metrics.
    #[arg(long, env = "MMO_HTTP_ADDR", default_value = "127.0.0.1:8080")]
    http_addr: SocketAddr,
    /// UDP address of WebTransport (an IPv6 wildcard such as [::]:8443 also serves IPv4).
    #[arg(long, env = "MMO_QUIC_ADDR", default_value = "127.0.0.1:8443")]
    quic_addr: SocketAddr,
    /// QUIC address validation: `retry` (a connection attempt from an address not yet proven
    /// gets a Retry first) or `off`.
    #[arg(long, env = "MMO_QUIC_VALIDATION", value_enum, default_value_t = AddressValidation::Retry)]
    quic_validation: AddressValidation,
    /// The built browser client (`npm run build` in browser-client/).
    #[arg(long, env = "MMO_CLIENT_DIR", default_value = "browser-client/dist")]
    client_dir: PathBuf,
    /// Number of zone servers sharing the world's cells (each owns a block of columns).
    #[arg(long, env = "MMO_ZONES", default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=64))]
    zones: u32,
    /// The world's size, cell size, seed and tick (the same flags as every service).
    #[command(flatten)]
    world: WorldArgs,
    /// Mobs spawned in each cell.
    #[arg(long, env = "MMO_NPCS_PER_CELL", default_value_t = 12)]
    npcs_per_cell: u32,
    /// The hunters' brain: `learned` (the trained policy built in) or `scripted`.
    #[arg(long, env = "MMO_NPC_BRAIN", default_value_t = NpcBrain::Learned)]
    npc_brain: NpcBrain,
    /// Sessions the gateway accepts at most.
    #[arg(long, env = "MMO_MAX_SESSIONS", default_value_t = 2000)]
    max_sessions: usize,
    #[command(flatten)]
    login: mmo_gateway::state::LoginArgs,
    /// Start points new characters spread over, evenly across the world's width (1: all start
    /// in the middle); a name always picks the same one.
    #[arg(long, env = "MMO_START_POINTS", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=i64::from(mmo_gateway::start::MAX_START_POINTS)))]
    start_points: u32,
    /// Entities each zone is sized for (its load counts entities against it).
    #[arg(long, env = "MMO_ZONE_CAPACITY", default_value_t = mmo_zone::runtime::DEFAULT_CAPACITY, value_parser = clap::value_parser!(u32).range(1..))]
    zone_capacity: u32,
    /// The coordinator: rebalancing on/off and the policy's knobs.
    #[command(flatten)]
    coordinator: PolicyArgs,
    /// Folder of the embedded player store (redb), kept across restarts.
    #[arg(long, env = "MMO_DATA_DIR", default_value = "mmo-data")]
    data_dir: PathBuf,
    /// The durable store of accounts and player records instead of the data folder:
    /// `redb:PATH`, `redis://HOST:PORT`, `scylla://HOST:PORT/KEYSPACE` (feature `scylla`) or
    /// `memory` (lost on exit).
    #[arg(long, env = "MMO_DURABLE", value_parser = mmo_cluster::cli::parse_store)]
    durable: Option<StoreSpec>,
    /// Secret that signs session tokens (at least 32 bytes); a random one per run by default,
    /// so tokens do not outlive the process.
    #[arg(long, env = "MMO_TOKEN_KEY", value_parser = mmo_cluster::cli::parse_token_key, hide_env_values = true)]
    token_key: Option<TokenKey>,
    /// How long a session token stays valid, in seconds.
    #[arg(long, env = "MMO_TOKEN_TTL_SECS", default_value_t = 900, value_parser = clap::value_parser!(u64).range(10..=86_400))]
    token_ttl_secs: u64,
    /// Simulated network latency between zones in milliseconds (0: none), to see the world as
    /// it plays with its zone servers on separate machines.
    #[arg(long, env = "MMO_ZONE_LATENCY_MS", default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=1000))]
    zone_latency_ms: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    mmo_cluster::cli::init_logging("info");
    let args = Args::parse();
    if !args.client_dir.join("index.html").exists() {
        anyhow::bail!(
            "--client-dir {}: no index.html there; build the client first (./play.sh does it for you)",
            args.client_dir.display()
        );
    }
    let metrics = mmo_cluster::cli::install_metrics().context("installing the metrics recorder")?;
    let geometry = args.world.geometry();
    let config = LocalWorldConfig {
        http_addr: args.http_addr,
        quic_addr: args.quic_addr,
        quic_validation: args.quic_validation,
        client_dir: Some(args.client_dir),
        zones: args.zones,
        geometry,
        seed: args.world.seed,
        npcs_per_cell: args.npcs_per_cell,
        npc_brain: args.npc_brain,
        max_sessions: args.max_sessions,
        login_timeout: args.login.login_timeout(),
        start_points: args.start_points,
        clock: args.world.clock(),
        coordinator: args.coordinator.service_config(geometry),
        zone_capacity: args.zone_capacity,
        durable: args.durable.unwrap_or(StoreSpec::Redb(args.data_dir)),
        token_key: args.token_key,
        token_ttl: std::time::Duration::from_secs(args.token_ttl_secs),
        zone_latency: std::time::Duration::from_millis(args.zone_latency_ms),
        ..LocalWorldConfig::for_tests()
    };
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let world = LocalWorld::start(config, Some(metrics), shutdown.clone()).await?;
    // The one line a user (and the test harness) looks for.
    let mut out = std::io::stdout().lock();
    writeln!(out, "ready: http://{}/  (open this URL in a browser to play)", world.http_addr())?;
    writeln!(out, "dashboard: http://{}/dashboard  (cells, zones, loads, rebalancing)", world.http_addr())?;
    out.flush()?;
    drop(out);
    tokio::spawn(async move {
        mmo_cluster::cli::stop_requested().await;
        tracing::info!("shutting down");
        let _ = stop.send(true);
    });
    world.run(shutdown).await
}
