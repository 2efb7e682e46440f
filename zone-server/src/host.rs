//! The one way a zone server is hosted, in the local world (`mmo-local`: in-memory registry,
//! zones linked in process) and as its own process (`mmo-zone`: etcd, zone link over TLS):
//! [`ZoneHost::start`] registers the zone under a lease (with its link address and
//! certificate), [`ZoneHost::run`] runs it until shutdown or until the lease is lost. What
//! differs between the modes is what the caller passes: the [`Registry`], the [`ZoneLink`] and
//! the opened stores.
//!
//! While it runs, a zone simulates its cells ([`ZoneRuntime`]), serves its link (TLS, or its
//! handle published to the process's [`LocalZones`]), follows the registry's other zones
//! ([`follow_zones`]: its peers for handoffs and ghosts), publishes its load under its lease,
//! saves players (write-behind [`Saver`]) and takes the cells of dead zones.
//!
//! Taking a cell: a cell newly assigned to this zone whose previous owner is alive arrives by
//! migration (a transfer from that owner). One with no previous owner (a fresh world) or whose
//! previous owner's lease is gone (zone death: no handover will come) is taken here, from the
//! cell's latest checkpoint (its NPCs and ground items, [`crate::restore`]) or, without one,
//! with fresh NPCs. The dead zone's players are re-created by their gateways
//! ([`mmo_cluster::ZoneCommand::Restore`]). The core is told
//! [`PeerLost`](mmo_cluster::ZoneCommand::PeerLost) about each dead zone, so it takes back the
//! transfers it sent there.

use crate::core::ZoneConfig;
use crate::core::ENTITY_ID_BLOCK;
use crate::ops::Readiness;
use crate::runtime::{ZoneLinks, DEFAULT_REPORT_PERIOD};
use crate::takes::Taker;
use crate::ZoneRuntime;
use mmo_cluster::follow::{follow_zones, Follower};
use mmo_cluster::net::LinkServer;
use mmo_cluster::{
    in_process_address, register_after_previous_run, CertHash, Lease, LocalZones, Registry, RegistryError, ZoneCommand,
    ZoneConnector, ZoneDirectory, ZoneHandle, ZoneInfo,
};
use mmo_store::{AnyHot, AnyStore, DurableStore, Saver, SaverConfig};
use mmo_world::{SerialBlock, TickClock, ZoneId};
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tracing::{info, warn, Instrument};

/// Commands a zone may have queued before it reads them.
pub const ZONE_QUEUE: usize = 16 * 1024;

/// Zones that left or joined the registry, waiting to be told to the core.
const CHANGES_QUEUE: usize = 64;

/// What a hosted zone is.
#[derive(Clone, Debug)]
pub struct HostConfig {
    pub zone: ZoneConfig,
    pub clock: TickClock,
    /// Entities the zone is sized for (registration and load reports).
    pub capacity: u32,
    pub lease_ttl: Duration,
    /// How often the zone publishes its load.
    pub report_period: Duration,
    /// The write-behind saver of player records.
    pub saver: SaverConfig,
    /// The link address other members dial, as registered (HOST:PORT; none: the bound one).
    /// A pod binds 0.0.0.0 but must register its pod IP.
    pub advertise: Option<String>,
}

impl HostConfig {
    /// A zone with the default capacity, report period and saver.
    pub fn new(zone: ZoneConfig, clock: TickClock, lease_ttl: Duration) -> Self {
        HostConfig {
            zone,
            clock,
            capacity: crate::runtime::DEFAULT_CAPACITY,
            lease_ttl,
            report_period: DEFAULT_REPORT_PERIOD,
            saver: SaverConfig::default(),
            advertise: None,
        }
    }
}

/// How the zone is reached by gateways and other zones.
#[derive(Debug)]
pub enum ZoneLink {
    /// Over TCP + TLS (the multi-process mode): the bound server, with its certificate.
    Tls(LinkServer),
    /// In this process (the local world): the zone publishes its handle there.
    InProcess(LocalZones),
}

/// Where the zone keeps what outlives it, opened by the caller.
#[derive(Clone, Debug)]
pub struct Stores {
    /// Player records (saved through the zone's write-behind saver) and item serials.
    pub durable: AnyStore,
    /// Cell checkpoints: written every second, read when taking a dead zone's cell.
    pub hot: AnyHot,
}

/// Why a hosted zone stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HostError {
    #[error("registry: {0}")]
    Registry(#[from] RegistryError),
    #[error("zone {0} lost its lease; it stopped acting")]
    LeaseLost(ZoneId),
    #[error("taking entity ids from the durable store: {0}")]
    Store(#[from] mmo_store::StoreError),
}

/// A zone registered in its registry, ready to run.
#[derive(Debug)]
pub struct ZoneHost<R> {
    registry: R,
    config: HostConfig,
    link: ZoneLink,
    stores: Stores,
    handle: ZoneHandle,
    commands: mpsc::Receiver<ZoneCommand>,
    lease: Lease,
    /// The first entity ids of this run (unique across zones and restarts).
    ids: SerialBlock,
}

impl<R: Registry + Clone + 'static> ZoneHost<R> {
    /// Registers the zone under a lease, reachable through `link` (an in-process zone is
    /// published before it is registered, so whoever finds it in the registry can reach it).
    pub async fn start(registry: R, config: HostConfig, link: ZoneLink, stores: Stores) -> Result<Self, HostError> {
        let me = config.zone.zone;
        let ids = stores.durable.allocate_serials(ENTITY_ID_BLOCK).await?;
        let (handle, commands) = ZoneHandle::channel(me, ZONE_QUEUE);
        let (address, cert_hash) = match &link {
            ZoneLink::Tls(server) => {
                let bound = server.local_addr().to_string();
                (config.advertise.clone().unwrap_or(bound), server.identity().hash())
            }
            ZoneLink::InProcess(local) => {
                local.publish(handle.clone());
                (in_process_address(me), CertHash::default())
            }
        };
        let info = ZoneInfo { id: me, address: address.clone(), cert_hash, capacity: config.capacity };
        let registered =
            register_after_previous_run(config.lease_ttl, || registry.register_zone(info.clone(), config.lease_ttl))
                .await;
        let lease = match registered {
            Ok(lease) => lease,
            Err(error) => {
                if let ZoneLink::InProcess(local) = &link {
                    local.withdraw(me);
                }
                return Err(error.into());
            }
        };
        info!(zone = %me, %address, lease = %lease.id(), "zone registered");
        Ok(ZoneHost { registry, config, link, stores, handle, commands, lease, ids })
    }

    /// The zone's own handle (the local world's operator handle inspects zones through it).
    pub fn handle(&self) -> ZoneHandle {
        self.handle.clone()
    }

    /// Runs the zone until `shutdown` (then revokes its lease) or until its lease is lost
    /// (then stops simulating and publishing at once and returns the error). Every task it
    /// starts has ended, and the zone's last saves are written, when it returns. `ready` is
    /// true while the zone acts.
    pub async fn run(self, ready: Readiness, mut shutdown: watch::Receiver<bool>) -> Result<(), HostError> {
        let ZoneHost { registry, config, link, stores, handle, commands, lease, ids } = self;
        let me = config.zone.zone;
        let span = tracing::info_span!("zone_host", zone = %me);
        let directory = ZoneDirectory::default();
        let (saver, saver_driver) = Saver::new(stores.durable.clone(), config.saver.clone());
        let saver_driver = saver_driver.with_lease({
            let validity = lease.validity().clone();
            move || validity.held()
        });
        let (stop, stopped) = watch::channel(false);
        let links = ZoneLinks { peers: directory.clone(), assignments: registry.watch() };
        let runtime = ZoneRuntime::new(config.zone.clone(), ids, commands, config.clock, links)
            .with_capacity(config.capacity)
            .with_report_period(config.report_period)
            .with_persistence(stores.durable.clone(), saver)
            .with_hot(stores.hot.clone())
            .with_lease(lease.validity().clone());
        let loads = runtime.load_reports();
        let (changes_tx, changes_rx) = mpsc::channel(CHANGES_QUEUE);
        let mut tasks = JoinSet::new();
        // Ends after the zone's last saves (when the runtime drops its saver).
        tasks.spawn(saver_driver.run().instrument(span.clone()));
        tasks.spawn(runtime.run(stopped.clone()).instrument(span.clone()));
        let (connector, trusted, local) = match link {
            ZoneLink::Tls(server) => {
                let (identity, trusted) = (server.identity(), server.trusted());
                tasks.spawn(server.run(handle.clone(), stopped.clone()).instrument(span.clone()));
                (ZoneConnector::Tls(identity), Some(trusted), None)
            }
            ZoneLink::InProcess(local) => (ZoneConnector::InProcess(local.clone()), None, Some(local)),
        };
        let follower = Follower { connector, local: Some(handle.clone()), changes: Some(changes_tx), trusted };
        let follow = {
            let (registry, directory, stopped) = (registry.clone(), directory.clone(), stopped.clone());
            async move { follow_zones(&registry, directory, follower, stopped).await }
        };
        tasks.spawn(follow.instrument(span.clone()));
        let taker = Taker { zone: handle.clone(), stores, geometry: config.zone.geometry };
        let takes = crate::takes::take_cells(registry.clone(), taker, changes_rx, stopped.clone());
        tasks.spawn(takes.instrument(span.clone()));
        tasks.spawn(publish_loads(registry.clone(), lease.clone(), loads, stopped).instrument(span.clone()));
        drop(handle);
        ready.set(true);

        let result = tokio::select! {
            lost = registry.keep_alive(&lease) => {
                let error = match lost { Err(error) => error, Ok(never) => match never {} };
                warn!(zone = %me, %error, "lease lost: stopping the zone");
                Err(HostError::LeaseLost(me))
            }
            _ = shutdown.wait_for(|s| *s) => Ok(()),
        };
        ready.set(false);
        let _ = stop.send(true);
        if let Some(local) = local {
            local.withdraw(me);
        }
        while tasks.join_next().await.is_some() {}
        if result.is_ok() {
            if let Err(error) = registry.revoke(&lease).await {
                warn!(zone = %me, %error, "could not revoke the lease");
            }
            info!(zone = %me, "zone stopped and deregistered");
        }
        result
    }
}

/// Publishes each load report under the zone's lease until stopped.
async fn publish_loads<R: Registry>(
    registry: R,
    lease: Lease,
    mut loads: watch::Receiver<mmo_cluster::LoadReport>,
    mut stopped: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            changed = loads.changed() => if changed.is_err() { return },
            _ = until_stopped(&mut stopped) => return,
        }
        let report = loads.borrow_and_update().clone();
        if let Err(error) = registry.report_load(&lease, report).await {
            warn!(%error, "could not publish the zone's load");
        }
    }
}

/// Resolves when `stopped` turns true (or its sender is gone).
pub(crate) async fn until_stopped(stopped: &mut watch::Receiver<bool>) {
    let _ = stopped.wait_for(|s| *s).await;
}
