//! The local world: a coordinator, several zone servers and a gateway in one process, on the
//! in-memory registry, so one command gives a playable world with nothing else installed.
//! Tests start it on `127.0.0.1:0` and read the bound addresses back.

use anyhow::Context;
use metrics_exporter_prometheus::PrometheusHandle;
use mmo_cluster::{MemoryRegistry, Registry, ZoneCommand, ZoneHandle};
use mmo_gateway::{Gateway, GatewayConfig};
use mmo_protocol::WorldInfo;
use mmo_world::{GatewayId, TickClock, WorldGeometry, ZoneId};
use mmo_zone::core::ZoneConfig;
use mmo_zone::ZoneRuntime;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tracing::Instrument;

/// Commands a zone may have queued before it reads them.
const ZONE_QUEUE: usize = 16 * 1024;

/// Everything the local world is made of.
#[derive(Clone, Debug)]
pub struct LocalWorldConfig {
    pub http_addr: SocketAddr,
    pub quic_addr: SocketAddr,
    pub client_dir: Option<PathBuf>,
    pub zones: u32,
    pub geometry: WorldGeometry,
    pub seed: u64,
    pub npcs_per_cell: u32,
    pub max_sessions: usize,
    pub clock: TickClock,
}

impl LocalWorldConfig {
    /// Defaults for tests: loopback, port 0, no client files.
    pub fn for_tests() -> Self {
        LocalWorldConfig {
            http_addr: "127.0.0.1:0".parse().expect("addr"),
            quic_addr: "127.0.0.1:0".parse().expect("addr"),
            client_dir: None,
            zones: 1,
            geometry: WorldGeometry::default(),
            seed: 42,
            npcs_per_cell: 6,
            max_sessions: 1000,
            clock: TickClock { epoch_ms: 1_767_225_600_000, tick_ms: TickClock::DEFAULT_TICK_MS },
        }
    }
}

/// A local world with its sockets bound.
#[derive(Debug)]
pub struct LocalWorld {
    registry: MemoryRegistry,
    gateway: Gateway,
    tasks: JoinSet<()>,
}

impl LocalWorld {
    /// Starts the zones, assigns the cells, binds the gateway.
    pub async fn start(
        config: LocalWorldConfig,
        metrics: Option<PrometheusHandle>,
        shutdown: watch::Receiver<bool>,
    ) -> anyhow::Result<Self> {
        let registry = MemoryRegistry::default();
        let zone_ids: Vec<ZoneId> = (1..=config.zones).map(ZoneId).collect();
        let mut handles = HashMap::new();
        let mut tasks = JoinSet::new();
        for &zone in &zone_ids {
            let (handle, commands) = ZoneHandle::channel(zone, ZONE_QUEUE);
            let zone_config =
                ZoneConfig { zone, seed: config.seed, geometry: config.geometry, npcs_per_cell: config.npcs_per_cell };
            let runtime = ZoneRuntime::new(zone_config, commands, config.clock);
            tasks.spawn(runtime.run(shutdown.clone()).in_current_span());
            handles.insert(zone, handle);
        }
        let written = mmo_coordinator::assign_world(&registry, &config.geometry, &zone_ids).await?;
        for (cell, zone, epoch) in written {
            handles[&zone].send(ZoneCommand::OwnCell { cell, epoch }).await.context("zone stopped while starting")?;
        }
        let gateway_config = GatewayConfig {
            id: GatewayId(1),
            http_addr: config.http_addr,
            quic_addr: config.quic_addr,
            client_dir: config.client_dir,
            max_sessions: config.max_sessions,
            seed: config.seed,
            world: WorldInfo { geometry: config.geometry, clock: config.clock },
        };
        let gateway = Gateway::bind(gateway_config, handles, registry.watch(), metrics).await?;
        Ok(LocalWorld { registry, gateway, tasks })
    }

    pub fn registry(&self) -> &MemoryRegistry {
        &self.registry
    }

    pub fn http_addr(&self) -> SocketAddr {
        self.gateway.http_addr()
    }

    pub fn quic_addr(&self) -> SocketAddr {
        self.gateway.quic_addr()
    }

    /// Runs until `shutdown`, then waits for every part to stop.
    pub async fn run(mut self, shutdown: watch::Receiver<bool>) -> anyhow::Result<()> {
        self.gateway.run(shutdown).await?;
        while self.tasks.join_next().await.is_some() {}
        Ok(())
    }
}
