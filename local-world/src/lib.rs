//! The local world: a coordinator, several zone servers and a gateway in one process, on the
//! in-memory registry, so one command gives a playable world with nothing else installed.
//! Tests start it on `127.0.0.1:0` and read the bound addresses back.
//!
//! This crate is composition only: every service runs through the same host as in the
//! multi-process mode ([`ZoneHost`], [`GatewayHost`], [`CoordinatorHost`]), given what differs
//! here: a shared [`MemoryRegistry`] instead of etcd, zone links in process ([`LocalZones`],
//! behind a simulated network latency when [`LocalWorldConfig::zone_latency`] is set) instead of
//! TLS, one durable store and hot state shared by all, and the sole coordinator (always leading,
//! rebalancing by load when `rebalance` is on), whose operator API and `/dashboard` the gateway's
//! HTTP listener serves. [`WorldControl`] is the operator's (and the tests') handle: move a cell
//! to another zone, inspect what each zone holds, spawn NPCs.
//!
//! Persistence: one durable store ([`LocalWorldConfig::durable`], redb in the data folder by
//! default) holds accounts and player records and, beside it, hot state (cell checkpoints); the
//! gateway loads a player's record at login, the zones save through their write-behind savers.

use anyhow::Context;
use metrics_exporter_prometheus::PrometheusHandle;
use mmo_cluster::peer::ZoneReport;
use mmo_cluster::{LocalZones, MemoryRegistry, Registry, ZoneConnector, ZoneHandle};
use mmo_coordinator::host::{Candidacy, CoordinatorHost};
use mmo_coordinator::service::{ServiceConfig, ServiceError, ServiceHandle};
use mmo_gateway::accounts::Accounts;
use mmo_gateway::cert::ServerCertificate;
use mmo_gateway::public::PublicAddresses;
use mmo_gateway::transport::accept::AddressValidation;
use mmo_gateway::{GatewayConfig, GatewayHost, Listeners};
use mmo_protocol::WorldInfo;
use mmo_store::token::TokenKey;
use mmo_store::{AnyHot, AnyStore, HotSpec, SaverConfig, StoreSpec};
use mmo_world::{CellId, Epoch, GatewayId, GatewayRun, TickClock, WorldGeometry, ZoneId};
use mmo_zone::core::learned::NpcBrain;
use mmo_zone::core::ZoneConfig;
use mmo_zone::host::{HostConfig, Stores, ZoneHost, ZoneLink};
use mmo_zone::ops::Readiness;
use mmo_zone::runtime::{DEFAULT_CAPACITY, DEFAULT_REPORT_PERIOD};
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

/// How long [`LocalWorld::start`] waits for the zones to take their cells.
const CELLS_TAKEN_TIMEOUT: Duration = Duration::from_secs(30);

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
    /// The hunters' brain (`--npc-brain`).
    pub npc_brain: NpcBrain,
    pub max_sessions: usize,
    /// How long a session may stay at the login form.
    pub login_timeout: Duration,
    /// Start points new characters spread over (1: the middle of the world).
    pub start_points: u32,
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
    /// The gateway's certificate (WebTransport, and HTTPS on the HTTP listener); `None`: the
    /// development certificate and plain HTTP.
    pub certificate: Option<Arc<ServerCertificate>>,
    /// What the gateway advertises (`/api/connect`, its registration).
    pub public: PublicAddresses,
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
            npc_brain: NpcBrain::Learned,
            max_sessions: 1000,
            login_timeout: mmo_gateway::state::DEFAULT_LOGIN_TIMEOUT,
            start_points: 1,
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
            certificate: None,
            public: PublicAddresses::default(),
        }
    }
}

/// The operator's handle on a running local world: its registry, its zones and its
/// coordinator.
#[derive(Clone, Debug)]
pub struct WorldControl {
    registry: MemoryRegistry,
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

    /// Completes once every zone simulates each cell the registry assigns it (as of the call).
    pub async fn cells_taken(&self) {
        let table = self.registry.assignments();
        loop {
            let reports = self.inspect().await;
            let owned: HashMap<CellId, ZoneId> =
                reports.iter().flat_map(|r| r.owned.iter().map(|(cell, _)| (*cell, r.zone))).collect();
            if reports.len() == self.zones.len() && table.iter().all(|(cell, a)| owned.get(cell) == Some(&a.zone)) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
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
    gateway: GatewayHost<MemoryRegistry>,
    /// The gateway's settings, for [`LocalWorld::start_gateway`].
    gateway_config: GatewayConfig,
    local: LocalZones,
    tasks: JoinSet<()>,
}

impl LocalWorld {
    /// Starts the zones (registered under leases, reporting their load), assigns the cells
    /// (a block of columns per zone) and waits until the zones took them, starts the
    /// coordinator, binds the gateway (serving the operator API too).
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
        let registry = MemoryRegistry::default();
        let local = LocalZones::with_latency(config.zone_latency);
        let mut tasks = JoinSet::new();
        let zone_ids: Vec<ZoneId> = (1..=config.zones).map(ZoneId).collect();
        for &zone in &zone_ids {
            let zone_config = ZoneConfig {
                zone,
                seed: config.seed,
                geometry: config.geometry,
                npcs_per_cell: config.npcs_per_cell,
                npc_brain: config.npc_brain,
            };
            let host_config = HostConfig {
                capacity: config.zone_capacity,
                report_period: config.report_period,
                saver: config.saver.clone(),
                ..HostConfig::new(zone_config, config.clock, LEASE_TTL)
            };
            let stores = Stores { durable: store.clone(), hot: hot.clone() };
            let host = ZoneHost::start(registry.clone(), host_config, ZoneLink::InProcess(local.clone()), stores)
                .await
                .with_context(|| format!("starting zone {zone}"))?;
            let shutdown = shutdown.clone();
            tasks.spawn(async move {
                if let Err(error) = host.run(Readiness::default(), shutdown).await {
                    warn!(%zone, %error, "zone stopped");
                }
            });
        }
        mmo_coordinator::assign_world(&registry, &config.geometry, &zone_ids).await?;

        let service_config = ServiceConfig { geometry: config.geometry, ..config.coordinator.clone() };
        let coordinator =
            CoordinatorHost::new(Arc::new(registry.clone()), service_config, Candidacy::Sole { name: LEADER.into() });
        let operator = coordinator.api_routes(config.client_dir.clone(), None);
        let service = coordinator.service();
        tasks.spawn(coordinator.run(shutdown.clone()).instrument(tracing::info_span!("coordinator")));

        let control = WorldControl {
            registry: registry.clone(),
            zones: local.handles().into_iter().map(|h| (h.zone, h)).collect(),
            geometry: config.geometry,
            coordinator: service,
        };
        tokio::time::timeout(CELLS_TAKEN_TIMEOUT, control.cells_taken())
            .await
            .context("the zones did not take their cells in time")?;

        let gateway_config = GatewayConfig {
            id: GatewayId(1),
            run: GatewayRun::start(GatewayId(1)).run,
            address_validation: config.quic_validation,
            client_dir: config.client_dir.clone(),
            max_sessions: config.max_sessions,
            login_timeout: config.login_timeout,
            start_points: config.start_points,
            seed: config.seed,
            world: WorldInfo { geometry: config.geometry, clock: config.clock },
            accounts: Accounts::new(store.clone(), config.token_key.unwrap_or_else(TokenKey::random), config.token_ttl),
            hot: hot.clone(),
            certificate: config.certificate.clone(),
            public: config.public.clone(),
            peers: None,
        };
        let listeners = Listeners::bind(config.http_addr, config.quic_addr).await?;
        let connector = ZoneConnector::InProcess(local.clone());
        let gateway = GatewayHost::start(registry, gateway_config.clone(), listeners, connector, metrics, LEASE_TTL)
            .await?
            .with_routes(operator);
        Ok(LocalWorld { control, store, gateway, gateway_config, local, tasks })
    }

    /// Starts another gateway of this world, `id`, on `listeners`, as a second gateway process
    /// would be: the same registry, zones, player store, hot state and token key (so a session
    /// token of one resumes on the other). The caller runs it.
    pub async fn start_gateway(
        &self,
        id: GatewayId,
        listeners: Listeners,
    ) -> anyhow::Result<GatewayHost<MemoryRegistry>> {
        let config = GatewayConfig { id, run: GatewayRun::start(id).run, ..self.gateway_config.clone() };
        let connector = ZoneConnector::InProcess(self.local.clone());
        let host = GatewayHost::start(self.registry().clone(), config, listeners, connector, None, LEASE_TTL)
            .await
            .with_context(|| format!("starting gateway {id}"))?;
        Ok(host)
    }

    /// Drains the world's gateway (see `mmo_gateway::drain`).
    pub fn drain_handle(&self) -> mmo_gateway::drain::DrainHandle {
        self.gateway.drain_handle()
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

    /// Runs until `shutdown`, then waits for every part to stop: the gateway (its sessions
    /// logged out), the coordinator, the zones (their last saves written).
    pub async fn run(mut self, shutdown: watch::Receiver<bool>) -> anyhow::Result<()> {
        let served = self.gateway.run(shutdown).await;
        while self.tasks.join_next().await.is_some() {}
        served.context("gateway")
    }
}
