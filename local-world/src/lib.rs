//! The local world: a coordinator, several zone servers and a gateway in one process, on the
//! in-memory registry, so one command gives a playable world with nothing else installed.
//! Tests start it on `127.0.0.1:0` and read the bound addresses back.
//!
//! The zones are linked to each other (handoff transfers, cross-border hits, ghost
//! subscriptions) through the same zone handles the gateway uses (behind a simulated network
//! latency when [`LocalWorldConfig::zone_latency`] is set, [`latency`]), and follow the registry. Each
//! zone registers under a lease and publishes its load reports; the coordinator service
//! ([`mmo_coordinator::service`]) runs in-process as the only (so always leading) coordinator,
//! rebalancing by load when `rebalance` is on. [`WorldControl`] is the operator's (and the
//! tests') handle: move a cell to another zone, inspect what each zone holds, spawn NPCs. The
//! gateway's HTTP listener also serves the coordinator's operator API and `/dashboard`
//! ([`mmo_coordinator::api`]).
//!
//! Persistence: one durable store ([`LocalWorldConfig::durable`], redb in the data folder by
//! default) holds accounts and player records; the gateway loads a player's record at login,
//! the zones save through one write-behind [`Saver`] whose driver runs among the world's tasks
//! and finishes after the zones' last saves at shutdown.

pub mod latency;

use anyhow::Context;
use metrics_exporter_prometheus::PrometheusHandle;
use mmo_cluster::peer::ZoneReport;
use mmo_cluster::{
    CertHash, Event, EventKind, GatewayInfo, Lease, LoadReport, MemoryRegistry, Registry, ZoneHandle, ZoneInfo,
};
use mmo_coordinator::api::{self, ApiState};
use mmo_coordinator::service::{Coordinator, LeaderView, ServiceConfig, ServiceError, ServiceHandle};
use mmo_coordinator::writer::RegistryWriter;
use mmo_gateway::accounts::Accounts;
use mmo_gateway::transport::accept::AddressValidation;
use mmo_gateway::{Gateway, GatewayConfig};
use mmo_protocol::WorldInfo;
use mmo_store::token::TokenKey;
use mmo_store::{AnyHot, AnyStore, HotSpec, Saver, SaverConfig, StoreSpec};
use mmo_world::{CellId, Epoch, GatewayId, TickClock, WorldGeometry, ZoneId};
use mmo_zone::core::ZoneConfig;
use mmo_zone::runtime::{ZoneLinks, DEFAULT_CAPACITY, DEFAULT_REPORT_PERIOD};
use mmo_zone::ZoneRuntime;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tracing::{warn, Instrument};

/// The leases of the in-process zones and gateway: they are kept alive until shutdown, so only
/// a stopped zone's would expire.
const LEASE_TTL: Duration = Duration::from_secs(5);

/// The in-process coordinator's name, shown as the leader.
const LEADER: &str = "local";

/// How many times [`WorldControl::inspect`] asks for reports of one tick before it settles for
/// reports of several.
const INSPECT_TRIES: usize = 20;

/// Commands a zone may have queued before it reads them.
const ZONE_QUEUE: usize = 16 * 1024;

/// Everything the local world is made of.
#[derive(Clone, Debug)]
pub struct LocalWorldConfig {
    pub http_addr: SocketAddr,
    pub quic_addr: SocketAddr,
    /// QUIC address validation of new connections (a Retry first, by default).
    pub quic_validation: AddressValidation,
    pub client_dir: Option<PathBuf>,
    pub zones: u32,
    pub geometry: WorldGeometry,
    pub seed: u64,
    pub npcs_per_cell: u32,
    pub max_sessions: usize,
    pub clock: TickClock,
    /// The coordinator service (rebalancing on or off, its period and policy). Its geometry
    /// is replaced by `geometry`.
    pub coordinator: ServiceConfig,
    /// Entities each zone is sized for (its registration and its load reports).
    pub zone_capacity: u32,
    /// How often zones report their load.
    pub report_period: Duration,
    /// Where accounts and player records live (`redb:<data dir>` for `mmo-local`).
    pub durable: StoreSpec,
    /// Signs session tokens; `None`: a random key for this process.
    pub token_key: Option<TokenKey>,
    pub token_ttl: std::time::Duration,
    pub saver: SaverConfig,
    /// Simulated network latency of every message between two zones (zero: none).
    pub zone_latency: Duration,
}

impl LocalWorldConfig {
    /// Defaults for tests: loopback, port 0, no client files, four zones.
    pub fn for_tests() -> Self {
        LocalWorldConfig {
            http_addr: "127.0.0.1:0".parse().expect("addr"),
            quic_addr: "127.0.0.1:0".parse().expect("addr"),
            quic_validation: AddressValidation::Retry,
            client_dir: None,
            zones: 4,
            geometry: WorldGeometry::default(),
            seed: 42,
            npcs_per_cell: 6,
            max_sessions: 1000,
            clock: TickClock { epoch_ms: 1_767_225_600_000, tick_ms: TickClock::DEFAULT_TICK_MS },
            // Tests keep the initial ownership unless they move cells themselves.
            coordinator: ServiceConfig { rebalance: false, ..ServiceConfig::new(WorldGeometry::default()) },
            zone_capacity: DEFAULT_CAPACITY,
            report_period: DEFAULT_REPORT_PERIOD,
            durable: StoreSpec::Memory,
            token_key: None,
            token_ttl: mmo_gateway::accounts::DEFAULT_TOKEN_TTL,
            saver: SaverConfig::default(),
            zone_latency: Duration::ZERO,
        }
    }
}

/// The operator's handle on a running local world: its registry, its zones and its
/// coordinator.
#[derive(Clone, Debug)]
pub struct WorldControl {
    registry: Arc<MemoryRegistry>,
    zones: HashMap<ZoneId, ZoneHandle>,
    geometry: WorldGeometry,
    coordinator: ServiceHandle,
}

impl WorldControl {
    pub fn registry(&self) -> &MemoryRegistry {
        &self.registry
    }

    pub fn zones(&self) -> &HashMap<ZoneId, ZoneHandle> {
        &self.zones
    }

    pub fn geometry(&self) -> WorldGeometry {
        self.geometry
    }

    /// The coordinator service (what `/api/...` uses).
    pub fn coordinator(&self) -> &ServiceHandle {
        &self.coordinator
    }

    /// Migrates a cell with everything in it to zone `to`, as an operator does.
    pub async fn move_cell(&self, cell: CellId, to: ZoneId) -> Result<Epoch, ServiceError> {
        self.coordinator.move_cell(cell, to).await
    }

    /// What every zone holds, in zone order (zones that do not answer are left out), as of one
    /// tick: every zone is asked at once and asked again (a few times at most) until all answer
    /// from the same tick, so an entity crossing between two zones is counted once (frozen at
    /// one of them) and not once by a zone that answered before it left and once by a zone that
    /// answered after it arrived.
    pub async fn inspect(&self) -> Vec<ZoneReport> {
        let mut ids: Vec<ZoneId> = self.zones.keys().copied().collect();
        ids.sort_unstable();
        let mut reports = Vec::new();
        for _ in 0..INSPECT_TRIES {
            let asks = ids.iter().map(|id| self.zones[id].inspect());
            reports = futures::future::join_all(asks).await.into_iter().filter_map(Result::ok).collect();
            if reports.windows(2).all(|w| w[0].tick == w[1].tick) {
                break;
            }
        }
        reports
    }
}

/// A local world with its sockets bound.
#[derive(Debug)]
pub struct LocalWorld {
    control: WorldControl,
    store: AnyStore,
    gateway: Gateway,
    tasks: JoinSet<()>,
}

impl LocalWorld {
    /// Starts the zones (registered under leases, reporting their load), assigns the cells,
    /// starts the coordinator service, binds the gateway (serving the operator API too).
    pub async fn start(
        config: LocalWorldConfig,
        metrics: Option<PrometheusHandle>,
        shutdown: watch::Receiver<bool>,
    ) -> anyhow::Result<Self> {
        let store = AnyStore::open(&config.durable)
            .await
            .with_context(|| format!("opening the player store {:?}", config.durable))?;
        // Checkpoints go beside the player store (the redb file by default), so a restarted world
        // brings its NPCs and ground items back.
        let hot = AnyHot::open(&HotSpec::Durable, &store).await.context("opening hot state beside the player store")?;
        let (saver, saver_driver) = Saver::new(store.clone(), config.saver.clone());
        let registry = Arc::new(MemoryRegistry::default());
        let zone_ids: Vec<ZoneId> = (1..=config.zones).map(ZoneId).collect();
        let channels: Vec<_> = zone_ids.iter().map(|&zone| ZoneHandle::channel(zone, ZONE_QUEUE)).collect();
        let handles: HashMap<ZoneId, ZoneHandle> = channels.iter().map(|(h, _)| (h.zone, h.clone())).collect();
        let mut tasks = JoinSet::new();
        tasks.spawn(saver_driver.run().in_current_span());
        for (handle, commands) in channels {
            let zone = handle.zone;
            let zone_config =
                ZoneConfig { zone, seed: config.seed, geometry: config.geometry, npcs_per_cell: config.npcs_per_cell };
            let peers = latency::peers_of(zone, &handles, config.zone_latency, ZONE_QUEUE);
            let links = ZoneLinks { peers: peers.into(), assignments: registry.watch() };
            let runtime = ZoneRuntime::new(zone_config, commands, config.clock, links)
                .with_capacity(config.zone_capacity)
                .with_report_period(config.report_period)
                .with_persistence(store.clone(), saver.clone())
                .with_hot(hot.clone());
            let info = ZoneInfo {
                id: zone,
                address: format!("in-process:{zone}"),
                cert_hash: CertHash::default(),
                capacity: config.zone_capacity,
            };
            let lease = registry.register_zone(info, LEASE_TTL).await.context("registering a zone")?;
            let span = tracing::info_span!("zone", %zone);
            tasks.spawn(
                keep_registered(registry.clone(), lease, runtime.load_reports(), shutdown.clone()).instrument(span),
            );
            tasks.spawn(runtime.run(shutdown.clone()).in_current_span());
        }
        drop(saver);
        let written = mmo_coordinator::assign_world(registry.as_ref(), &config.geometry, &zone_ids).await?;
        for (cell, zone, epoch) in written {
            let take = mmo_zone::restore::take_cell(cell, epoch, &hot, &store).await;
            handles[&zone].send(take).await.context("zone stopped while starting")?;
        }

        let service_config = ServiceConfig { geometry: config.geometry, ..config.coordinator.clone() };
        let (mut coordinator, service) = Coordinator::new(registry.clone(), service_config);
        service.set_leader(Some(LeaderView { name: LEADER.into(), epoch: Epoch(0) }));
        let elected = EventKind::LeaderElected { leader: LEADER.into(), epoch: Epoch(0) };
        registry.log_event(Event { at_unix_ms: mmo_world::unix_ms(), kind: elected }).await?;
        let writer = RegistryWriter::new(registry.clone(), handles.clone());
        let mut stop = shutdown.clone();
        tasks.spawn(
            async move {
                let until = async move {
                    let _ = stop.wait_for(|s| *s).await;
                };
                if let Err(error) = coordinator.lead(&writer, until).await {
                    warn!(%error, "the coordinator stopped");
                }
            }
            .instrument(tracing::info_span!("coordinator")),
        );

        let gateway_config = GatewayConfig {
            id: GatewayId(1),
            http_addr: config.http_addr,
            quic_addr: config.quic_addr,
            address_validation: config.quic_validation,
            client_dir: config.client_dir.clone(),
            max_sessions: config.max_sessions,
            seed: config.seed,
            world: WorldInfo { geometry: config.geometry, clock: config.clock },
            accounts: Accounts::new(store.clone(), config.token_key.unwrap_or_else(TokenKey::random), config.token_ttl),
            hot: hot.clone(),
        };
        let control = WorldControl {
            registry: registry.clone(),
            zones: handles.clone(),
            geometry: config.geometry,
            coordinator: service.clone(),
        };
        let operator = api::routes(
            ApiState { registry: registry.clone(), service, geometry: config.geometry },
            config.client_dir.clone(),
        );
        let gateway =
            Gateway::bind(gateway_config, handles.into(), registry.watch(), metrics).await?.with_routes(operator);
        let info = GatewayInfo {
            id: GatewayId(1),
            address: gateway.http_addr().to_string(),
            cert_hash: CertHash::default(),
            // In one process: no zone link.
            link_cert_hash: CertHash::default(),
            capacity: u32::try_from(config.max_sessions).unwrap_or(u32::MAX),
        };
        let lease = registry.register_gateway(info, LEASE_TTL).await.context("registering the gateway")?;
        tasks.spawn(keep_registered(
            registry.clone(),
            lease,
            watch::channel(LoadReport::default()).1,
            shutdown.clone(),
        ));
        Ok(LocalWorld { control, store, gateway, tasks })
    }

    /// The durable player store (tests look at saved records through it).
    pub fn store(&self) -> &AnyStore {
        &self.store
    }

    pub fn registry(&self) -> &MemoryRegistry {
        self.control.registry()
    }

    /// The operator's handle on the zones and the registry.
    pub fn control(&self) -> WorldControl {
        self.control.clone()
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

/// Keeps a member's lease alive and publishes its load reports (zones) until shutdown; then
/// revokes the lease.
async fn keep_registered(
    registry: Arc<MemoryRegistry>,
    lease: Lease,
    mut reports: watch::Receiver<LoadReport>,
    mut shutdown: watch::Receiver<bool>,
) {
    let publish = async {
        while reports.changed().await.is_ok() {
            let report = reports.borrow_and_update().clone();
            if let Err(error) = registry.report_load(&lease, report).await {
                warn!(%error, "could not publish a load report");
            }
        }
        std::future::pending::<()>().await;
    };
    tokio::select! {
        lost = registry.keep_alive(&lease) => {
            let Err(error) = lost;
            warn!(%error, "registration lost");
        }
        () = publish => {}
        () = async { let _ = shutdown.wait_for(|s| *s).await; } => {
            let _ = registry.revoke(&lease).await;
        }
    }
}
