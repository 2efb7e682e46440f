//! A zone server as its own process (the `mmo-zone` binary): registered in the registry under
//! a lease (with its link certificate), serving its link on TCP over TLS to the members the
//! registry names, following cell assignments, connecting to the other zones it finds in the
//! registry, publishing its load, and taking the cells of dead zones.
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
use crate::ops::Readiness;
use crate::runtime::ZoneLinks;
use crate::ZoneRuntime;
use mmo_cluster::etcd::EtcdRegistry;
use mmo_cluster::net::{follow_zones, Follower, LinkServer};
use mmo_cluster::registry::AssignmentTable;
use mmo_cluster::{Registry, RegistryError, ZoneCommand, ZoneDirectory, ZoneHandle, ZoneInfo};
use mmo_store::{AnyHot, AnyStore, HotSpec, Saver, SaverConfig, StoreSpec};
use mmo_world::{TickClock, ZoneId};
use std::collections::BTreeSet;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tracing::{info, warn, Instrument};

/// Commands a zone may have queued before it reads them.
pub const ZONE_QUEUE: usize = 16 * 1024;

/// What a hosted zone is.
#[derive(Clone, Debug)]
pub struct HostConfig {
    pub zone: ZoneConfig,
    pub clock: TickClock,
    pub capacity: u32,
    pub lease_ttl: Duration,
    /// Where the zone saves players (through a write-behind [`Saver`]) and takes item serials.
    pub durable: StoreSpec,
    /// Where the zone writes its cells' checkpoints and reads those of cells it takes over.
    pub hot: HotSpec,
}

/// Why a hosted zone stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HostError {
    #[error("registry: {0}")]
    Registry(#[from] RegistryError),
    #[error("zone {0} lost its lease; it stopped acting")]
    LeaseLost(ZoneId),
    #[error("player store: {0}")]
    Store(mmo_store::StoreError),
}

/// Runs a zone registered in `registry` until `shutdown` (then revokes its lease) or until its
/// lease is lost (then stops simulating and publishing at once and returns the error).
/// `on_ready` is called once it is registered.
pub async fn run_zone(
    registry: EtcdRegistry,
    config: HostConfig,
    link: LinkServer,
    ready: Readiness,
    shutdown: watch::Receiver<bool>,
) -> Result<(), HostError> {
    let me = config.zone.zone;
    let address = link.local_addr().to_string();
    let (handle, commands) = ZoneHandle::channel(me, ZONE_QUEUE);
    let directory = ZoneDirectory::default();
    let (identity, trusted) = (link.identity(), link.trusted());
    let info = ZoneInfo { id: me, address: address.clone(), cert_hash: identity.hash(), capacity: config.capacity };
    let lease = registry.register_zone(info, config.lease_ttl).await?;
    info!(zone = %me, %address, lease = %lease.id(), "zone registered");

    let store = AnyStore::open(&config.durable).await.map_err(HostError::Store)?;
    let hot = AnyHot::open(&config.hot, &store).await.map_err(HostError::Store)?;
    let (saver, saver_driver) = Saver::new(store.clone(), SaverConfig::default());
    let (stop, stopped) = watch::channel(false);
    let links = ZoneLinks { peers: directory.clone(), assignments: registry.watch() };
    let runtime = ZoneRuntime::new(config.zone.clone(), commands, config.clock, links)
        .with_capacity(config.capacity)
        .with_persistence(store.clone(), saver)
        .with_hot(hot.clone());
    let mut loads = runtime.load_reports();
    let mut tasks = JoinSet::new();
    // Ends after the zone's last saves (when the runtime drops its saver).
    tasks.spawn(saver_driver.run().in_current_span());
    tasks.spawn(runtime.run(stopped.clone()).in_current_span());
    tasks.spawn(link.run(handle.clone(), stopped.clone()).in_current_span());
    let (lost_tx, lost_rx) = mpsc::unbounded_channel();
    {
        let (registry, directory, handle, stopped) =
            (registry.clone(), directory.clone(), handle.clone(), stopped.clone());
        let follower = Follower { identity, local: Some(handle), lost: Some(lost_tx), trusted: Some(trusted) };
        tasks.spawn(async move { follow_zones(&registry, directory, follower, stopped).await });
    }
    let stores = (hot, store);
    tasks.spawn(take_cells(registry.clone(), handle.clone(), stores, lost_rx, stopped.clone()).in_current_span());
    {
        let (registry, lease, mut stopped) = (registry.clone(), lease.clone(), stopped.clone());
        tasks.spawn(async move {
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
        });
    }
    ready.set(true);

    let mut shutdown = shutdown;
    let result = tokio::select! {
        lost = registry.keep_alive(&lease) => {
            let error = match lost { Err(error) => error, Ok(never) => match never {} };
            warn!(%error, "lease lost: stopping the zone");
            Err(HostError::LeaseLost(me))
        }
        _ = shutdown.wait_for(|s| *s) => Ok(()),
    };
    ready.set(false);
    let _ = stop.send(true);
    while tasks.join_next().await.is_some() {}
    if result.is_ok() {
        if let Err(error) = registry.revoke(&lease).await {
            warn!(%error, "could not revoke the lease");
        }
        info!("zone stopped and deregistered");
    }
    result
}

/// Takes the cells assigned to this zone that no live zone hands over (see the module
/// documentation), and tells the core about dead zones.
async fn take_cells(
    registry: EtcdRegistry,
    zone: ZoneHandle,
    (hot, store): (AnyHot, AnyStore),
    mut lost: mpsc::UnboundedReceiver<ZoneId>,
    mut stopped: watch::Receiver<bool>,
) {
    let me = zone.zone;
    let mut assignments = registry.watch();
    let mut before: AssignmentTable = AssignmentTable::default();
    loop {
        let table = assignments.borrow_and_update().clone();
        let mut dead = BTreeSet::new();
        let mut alive: Option<BTreeSet<ZoneId>> = None;
        for (cell, a) in table.iter().filter(|(_, a)| a.zone == me) {
            let previous = before.get(cell).map(|b| b.zone);
            if previous == Some(me) {
                continue;
            }
            if let Some(prev) = previous {
                if alive.is_none() {
                    match registry.zones().await {
                        Ok(zones) => alive = Some(zones.keys().copied().collect()),
                        Err(error) => {
                            warn!(%error, "cannot tell whether a cell's previous owner lives; assuming it does");
                            alive = Some(BTreeSet::from([prev]));
                        }
                    }
                }
                if alive.as_ref().is_some_and(|z| z.contains(&prev)) {
                    continue; // a migration: the previous owner hands the cell over
                }
                dead.insert(prev);
            }
            info!(%cell, epoch = %a.epoch, previous = ?previous, "taking a cell no live zone hands over");
            metrics::counter!("mmo_zone_cells_taken_total").increment(1);
            if zone.send(crate::restore::take_cell(*cell, a.epoch, &hot, &store).await).await.is_err() {
                return;
            }
        }
        for gone in dead {
            let _ = zone.send(ZoneCommand::PeerLost { zone: gone }).await;
        }
        before = table;
        tokio::select! {
            changed = assignments.changed() => if changed.is_err() { return },
            Some(gone) = lost.recv() => {
                let _ = zone.send(ZoneCommand::PeerLost { zone: gone }).await;
            }
            _ = until_stopped(&mut stopped) => return,
        }
    }
}

/// Resolves when `stopped` turns true (or its sender is gone).
async fn until_stopped(stopped: &mut watch::Receiver<bool>) {
    let _ = stopped.wait_for(|s| *s).await;
}
