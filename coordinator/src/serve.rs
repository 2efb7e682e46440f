//! `mmo-coordinator run`: one coordinator replica on etcd. It campaigns ([`Election::run`]),
//! runs the service loop while it leads (moves written through the leader-guarded
//! transaction), answers operators in both roles, and serves the API, the dashboard,
//! `/metrics`, `/livez` and `/readyz`.

use anyhow::{bail, Context};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use metrics_exporter_prometheus::PrometheusHandle;
use mmo_cluster::etcd::{EtcdConfig, EtcdRegistry};
use mmo_coordinator::auth::ApiToken;
use mmo_coordinator::config::PolicyArgs;
use mmo_coordinator::election::{Election, ElectionConfig};
use mmo_coordinator::host::{Candidacy, CoordinatorHost};
use mmo_coordinator::service::ServiceHandle;
use mmo_world::WorldGeometry;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tower_http::services::ServeDir;
use tracing::info;

/// `run`'s flags.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// etcd client URLs, comma-separated.
    #[arg(long, env = "MMO_ETCD", value_delimiter = ',', required = true)]
    etcd: Vec<String>,
    /// The world (keys under `/mmo/<world>/`).
    #[arg(long, env = "MMO_WORLD", default_value = "dev")]
    world: String,
    /// This replica's name, shown as the leader.
    #[arg(long, env = "MMO_CANDIDATE")]
    candidate: String,
    /// Where the API, the dashboard and /metrics are served.
    #[arg(long, env = "MMO_HTTP", default_value = "127.0.0.1:8090")]
    http: SocketAddr,
    /// The leader lease's time to live in seconds (how long a dead leader keeps leadership).
    #[arg(long, env = "MMO_LEADER_TTL_SECS", default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=60))]
    leader_ttl_secs: u64,
    /// World size in cells, as WIDTHxHEIGHT, 1 to 256 each (as the zones and gateways run it).
    #[arg(long, env = "MMO_WORLD_SIZE", default_value = "4x2", value_parser = mmo_cluster::cli::parse_world_size)]
    world_size: (u16, u16),
    /// Tiles per cell side.
    #[arg(long, env = "MMO_CELL_TILES", default_value_t = 128)]
    cell_tiles: u16,
    /// The built browser client (for `/dashboard`); none: no dashboard.
    #[arg(long, env = "MMO_CLIENT_DIR")]
    client_dir: Option<PathBuf>,
    /// A bearer token the API calls that change the world (move-cell, drain) require (at
    /// least 16 characters; none: open, for a trusted network only).
    #[arg(long, env = "MMO_API_TOKEN", hide_env_values = true)]
    api_token: Option<ApiToken>,
    #[command(flatten)]
    policy: PolicyArgs,
}

#[derive(Clone)]
struct Health {
    metrics: PrometheusHandle,
    service: ServiceHandle,
}

/// `/metrics`, `/livez`, `/readyz`: ready once it leads and ran a period, or stands by and
/// knows the leader.
fn health_routes(health: Health) -> Router {
    Router::new()
        .route("/livez", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .route("/metrics", get(|State(h): State<Health>| async move { h.metrics.render() }))
        .with_state(health)
}

async fn ready(State(health): State<Health>) -> Response {
    let status = health.service.status();
    if (status.leading && status.last_step_unix_ms > 0) || (!status.leading && status.leader.is_some()) {
        (StatusCode::OK, "ready").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "no leader known yet").into_response()
    }
}

pub async fn run(args: RunArgs) -> anyhow::Result<()> {
    if args.candidate.trim().is_empty() {
        bail!("--candidate must not be empty");
    }
    if !(32..=1024).contains(&args.cell_tiles) {
        bail!("--cell-tiles must be 32 to 1024, got {}", args.cell_tiles);
    }
    if let Some(dir) = &args.client_dir {
        if !dir.join("dashboard.html").exists() {
            bail!("--client-dir {}: no dashboard.html there; build the client first", dir.display());
        }
    }
    let metrics = mmo_cluster::cli::install_metrics().context("installing the metrics recorder")?;
    let geometry =
        WorldGeometry { width_cells: args.world_size.0, height_cells: args.world_size.1, cell_tiles: args.cell_tiles };
    let (registry, follower) = EtcdRegistry::connect(EtcdConfig::new(args.etcd.clone(), args.world.as_str()))
        .await
        .with_context(|| format!("--etcd {}", args.etcd.join(",")))?;
    let election = Election::new(
        registry.clone(),
        ElectionConfig { candidate: args.candidate.clone(), ttl: Duration::from_secs(args.leader_ttl_secs) },
    );
    let host =
        CoordinatorHost::new(Arc::new(registry), args.policy.service_config(geometry), Candidacy::Elected(election));
    let service = host.service();
    let mut router = host
        .api_routes(args.client_dir.clone(), args.api_token.clone())
        .merge(health_routes(Health { metrics, service }));
    if let Some(dir) = &args.client_dir {
        router = router.fallback_service(ServeDir::new(dir));
    }
    let listener = tokio::net::TcpListener::bind(args.http).await.with_context(|| format!("--http {}", args.http))?;
    let addr = listener.local_addr()?;

    let (stop, shutdown) = watch::channel(false);
    let http = axum::serve(listener, router).with_graceful_shutdown(wait(shutdown.clone()));
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "ready: http://{addr}/  (dashboard: http://{addr}/dashboard)")?;
        out.flush()?;
    }
    info!(%addr, candidate = %args.candidate, world = %args.world, "coordinator serving");
    let follow = follower.run();
    let stop_on_signal = async move {
        mmo_cluster::cli::stop_requested().await;
        info!("shutting down");
        let _ = stop.send(true);
    };
    tokio::select! {
        served = http => served.context("serving HTTP")?,
        never = follow => match never {},
        () = async { tokio::join!(host.run(shutdown.clone()), stop_on_signal); } => {}
    }
    Ok(())
}

async fn wait(mut shutdown: watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|s| *s).await;
}
