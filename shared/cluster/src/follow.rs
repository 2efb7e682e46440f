//! Following the registry: its zones into a [`ZoneDirectory`] (a handle, through the member's
//! [`ZoneConnector`], for each zone that registers, dropped when its lease is gone), and, for a
//! zone, its members' certificates into the zone's [`TrustedPeers`]. The same loop serves the
//! local world (zones in process) and the multi-process mode (zones over TLS).

use crate::connector::{ConnectError, ZoneConnector};
use crate::directory::ZoneDirectory;
use crate::link::ZoneHandle;
use crate::net::tls::TrustedPeers;
use crate::records::ZoneInfo;
use crate::registry::Registry;
use mmo_world::ZoneId;
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tracing::{info, warn};

/// How often the registry's zones are read.
pub const FOLLOW_PERIOD: Duration = Duration::from_millis(200);

/// Who follows the registry's zones.
#[derive(Debug)]
pub struct Follower {
    /// How the member reaches zones: over TLS with its link certificate, or in process.
    pub connector: ZoneConnector,
    /// A zone's own id and in-process handle, used as is instead of a connection.
    pub local: Option<ZoneHandle>,
    /// Told about each zone whose lease is gone (a full queue is counted in
    /// `mmo_link_lost_notices_dropped_total`; the zone also learns it from the assignments).
    pub lost: Option<mpsc::Sender<ZoneId>>,
    /// A zone's link peers, kept equal to the link certificates of the registry's live zones
    /// and gateways.
    pub trusted: Option<TrustedPeers>,
}

/// Keeps `directory` equal to the registry's live zones until `shutdown` (see
/// [`ZoneFollower`]).
pub async fn follow_zones(
    registry: &impl Registry,
    directory: ZoneDirectory,
    follower: Follower,
    shutdown: watch::Receiver<bool>,
) {
    ZoneFollower::new(directory, follower).run(registry, shutdown).await
}

/// Keeps a [`ZoneDirectory`] equal to the registry's live zones: connects to each new zone (or
/// to its new address or certificate), forgets those whose lease is gone and tells
/// `follower.lost` about them; keeps `follower.trusted` current. The connections' drivers run in
/// its own task set and end with it.
#[derive(Debug)]
pub struct ZoneFollower {
    directory: ZoneDirectory,
    follower: Follower,
    known: BTreeMap<ZoneId, ZoneInfo>,
    drivers: JoinSet<()>,
}

impl ZoneFollower {
    pub fn new(directory: ZoneDirectory, follower: Follower) -> Self {
        if let Some(local) = &follower.local {
            directory.insert(local.clone());
        }
        ZoneFollower { directory, follower, known: BTreeMap::new(), drivers: JoinSet::new() }
    }

    /// Reads the registry once and applies what changed.
    pub async fn refresh(&mut self, registry: &impl Registry) {
        match registry.zones().await {
            Ok(zones) => {
                apply(&self.directory, &mut self.known, &zones, &self.follower, &mut self.drivers);
                if let Some(trusted) = &self.follower.trusted {
                    match registry.gateways().await {
                        Ok(gateways) => trusted.set(
                            zones.values().map(|z| z.cert_hash).chain(gateways.values().map(|g| g.link_cert_hash)),
                        ),
                        Err(error) => warn!(%error, "could not read the registry's gateways"),
                    }
                }
            }
            Err(error) => warn!(%error, "could not read the registry's zones"),
        }
    }

    /// Refreshes every [`FOLLOW_PERIOD`] until `shutdown`.
    pub async fn run(mut self, registry: &impl Registry, mut shutdown: watch::Receiver<bool>) {
        loop {
            self.refresh(registry).await;
            let next = tokio::time::Instant::now() + FOLLOW_PERIOD;
            loop {
                tokio::select! {
                    _ = tokio::time::sleep_until(next) => break,
                    _ = shutdown.wait_for(|stop| *stop) => return,
                    Some(_) = self.drivers.join_next(), if !self.drivers.is_empty() => {}
                }
            }
        }
    }
}

fn apply(
    directory: &ZoneDirectory,
    known: &mut BTreeMap<ZoneId, ZoneInfo>,
    zones: &BTreeMap<ZoneId, ZoneInfo>,
    follower: &Follower,
    drivers: &mut JoinSet<()>,
) {
    let me = follower.local.as_ref().map(|h| h.zone);
    for (id, info) in zones {
        if Some(*id) == me || known.get(id) == Some(info) {
            continue;
        }
        info!(zone = %id, address = %info.address, "zone found in the registry; connecting");
        match follower.connector.connect(info) {
            Ok(connection) => {
                directory.insert(connection.handle);
                if let Some(driver) = connection.driver {
                    drivers.spawn(driver);
                }
            }
            // Not yet published by its host in this process: tried again at the next read.
            Err(error @ ConnectError::NotInProcess(_)) => {
                warn!(zone = %id, %error, "cannot reach the zone yet");
                continue;
            }
            Err(error) => warn!(zone = %id, %error, "cannot connect to the zone"),
        }
        known.insert(*id, info.clone());
    }
    let gone: Vec<ZoneId> = known.keys().filter(|id| !zones.contains_key(id)).copied().collect();
    for id in gone {
        info!(zone = %id, "zone left the registry");
        known.remove(&id);
        directory.remove(id);
        if let Some(lost) = &follower.lost {
            if let Err(mpsc::error::TrySendError::Full(_)) = lost.try_send(id) {
                metrics::counter!("mmo_link_lost_notices_dropped_total").increment(1);
                warn!(zone = %id, "lost-zone queue full: the zone learns of it from the assignments");
            }
        }
    }
}
