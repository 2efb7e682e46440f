//! Following the registry: its zones into a [`ZoneDirectory`] (a handle, through the member's
//! [`ZoneConnector`], for each zone that registers, dropped when its lease is gone), and, for a
//! zone, its members' certificates into the zone's [`TrustedPeers`]. The same loop serves the
//! local world (zones in process) and the multi-process mode (zones over TLS).
//!
//! A zone following over TLS also watches the gateways' runs: a gateway whose lease is gone,
//! or that registered again as a new run, is told to the zone itself
//! ([`ZoneCommand::GatewayGone`]: it logs that run's players out) *before* the new run's
//! certificate is trusted, so every join from the new run reaches the zone after that notice.

use crate::connector::{ConnectError, ZoneConnector};
use crate::directory::ZoneDirectory;
use crate::link::{ZoneCommand, ZoneHandle};
use crate::net::tls::TrustedPeers;
use crate::records::{GatewayInfo, ZoneInfo};
use crate::registry::Registry;
use mmo_world::{GatewayId, GatewayRun, ZoneId};
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tracing::{info, warn};

/// How often the registry's zones are read.
pub const FOLLOW_PERIOD: Duration = Duration::from_millis(200);

/// A change among the registry's zones, told to a zone following it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ZoneChange {
    /// Its lease is gone.
    Lost(ZoneId),
    /// It registered, or registered again under its id (a new address or certificate: it
    /// restarted).
    Found(ZoneId),
}

/// Who follows the registry's zones.
#[derive(Debug)]
pub struct Follower {
    /// How the member reaches zones: over TLS with its link certificate, or in process.
    pub connector: ZoneConnector,
    /// A zone's own id and in-process handle, used as is instead of a connection.
    pub local: Option<ZoneHandle>,
    /// Told about each zone whose lease is gone, and each zone that registers (a full queue is
    /// counted in `mmo_link_lost_notices_dropped_total`; the zone also learns of lost zones from
    /// the assignments).
    pub changes: Option<mpsc::Sender<ZoneChange>>,
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
    /// The run of each gateway seen registered (zones over TLS only).
    gateway_runs: BTreeMap<GatewayId, u64>,
    drivers: JoinSet<()>,
}

impl ZoneFollower {
    pub fn new(directory: ZoneDirectory, follower: Follower) -> Self {
        if let Some(local) = &follower.local {
            directory.insert(local.clone());
        }
        ZoneFollower {
            directory,
            follower,
            known: BTreeMap::new(),
            gateway_runs: BTreeMap::new(),
            drivers: JoinSet::new(),
        }
    }

    /// Reads the registry once and applies what changed.
    pub async fn refresh(&mut self, registry: &impl Registry) {
        match registry.zones().await {
            Ok(zones) => {
                apply(&self.directory, &mut self.known, &zones, &self.follower, &mut self.drivers);
                if self.follower.trusted.is_some() {
                    match registry.gateways().await {
                        Ok(gateways) => {
                            for gateway in gone_runs(&mut self.gateway_runs, &gateways) {
                                info!(%gateway, "a gateway run is gone; logging its players out");
                                if let Some(me) = &self.follower.local {
                                    let _ = me.send(ZoneCommand::GatewayGone { gateway }).await;
                                }
                            }
                            if let Some(trusted) = &self.follower.trusted {
                                trusted.set(
                                    zones
                                        .values()
                                        .map(|z| z.cert_hash)
                                        .chain(gateways.values().map(|g| g.link_cert_hash)),
                                );
                            }
                        }
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

/// The gateways of `runs` whose run is gone from `gateways` (not registered, or registered
/// again as another run); `runs` becomes the runs of `gateways`.
fn gone_runs(runs: &mut BTreeMap<GatewayId, u64>, gateways: &BTreeMap<GatewayId, GatewayInfo>) -> Vec<GatewayRun> {
    let gone = runs
        .iter()
        .filter(|(id, run)| gateways.get(id).is_none_or(|g| g.run != **run))
        .map(|(id, run)| GatewayRun { gateway: *id, run: *run })
        .collect();
    *runs = gateways.iter().map(|(id, g)| (*id, g.run)).collect();
    gone
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
        tell(follower, ZoneChange::Found(*id));
    }
    let gone: Vec<ZoneId> = known.keys().filter(|id| !zones.contains_key(id)).copied().collect();
    for id in gone {
        info!(zone = %id, "zone left the registry");
        known.remove(&id);
        directory.remove(id);
        tell(follower, ZoneChange::Lost(id));
    }
}

/// Tells the following zone about `change`, without waiting.
fn tell(follower: &Follower, change: ZoneChange) {
    if let Some(changes) = &follower.changes {
        if let Err(mpsc::error::TrySendError::Full(_)) = changes.try_send(change) {
            metrics::counter!("mmo_link_lost_notices_dropped_total").increment(1);
            warn!(?change, "zone-change queue full: the zone learns of lost zones from the assignments");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::CertHash;

    fn gateway(id: u32, run: u64) -> (GatewayId, GatewayInfo) {
        let info = GatewayInfo {
            id: GatewayId(id),
            address: String::new(),
            cert_hash: CertHash::default(),
            link_cert_hash: CertHash::default(),
            capacity: 10,
            webtransport_url: String::new(),
            websocket_url: String::new(),
            draining: false,
            run,
        };
        (info.id, info)
    }

    #[test]
    fn a_gateway_run_is_gone_when_its_lease_is_or_it_comes_back_as_another_run() {
        let mut runs = BTreeMap::new();
        let both = BTreeMap::from([gateway(1, 10), gateway(2, 20)]);
        assert!(gone_runs(&mut runs, &both).is_empty(), "the first reading: nothing was known");
        assert!(gone_runs(&mut runs, &both).is_empty(), "nothing changed");
        let restarted = BTreeMap::from([gateway(1, 10), gateway(2, 21)]);
        let run = |gateway, run| GatewayRun { gateway: GatewayId(gateway), run };
        assert_eq!(gone_runs(&mut runs, &restarted), [run(2, 20)], "gateway 2 came back as another run");
        let killed = BTreeMap::from([gateway(2, 21)]);
        assert_eq!(gone_runs(&mut runs, &killed), [run(1, 10)], "gateway 1's lease expired");
        assert!(gone_runs(&mut runs, &killed).is_empty(), "told once");
        let back = BTreeMap::from([gateway(1, 11), gateway(2, 21)]);
        assert!(gone_runs(&mut runs, &back).is_empty(), "a new gateway run is no loss");
    }

    #[tokio::test]
    async fn a_following_zone_is_told_of_zones_lost_and_of_zones_registered_again() {
        let identity = std::sync::Arc::new(crate::net::LinkIdentity::generate().unwrap());
        let (tx, mut rx) = mpsc::channel(16);
        let follower =
            Follower { connector: ZoneConnector::Tls(identity), local: None, changes: Some(tx), trusted: None };
        let (directory, mut known, mut drivers) = (ZoneDirectory::default(), BTreeMap::new(), JoinSet::new());
        let zone = |port: u16| {
            let info = ZoneInfo {
                id: ZoneId(2),
                address: format!("127.0.0.1:{port}"),
                cert_hash: CertHash::default(),
                capacity: 10,
            };
            BTreeMap::from([(info.id, info)])
        };
        let mut told = Vec::new();
        for reading in [zone(1), zone(1), BTreeMap::new(), zone(2)] {
            apply(&directory, &mut known, &reading, &follower, &mut drivers);
            while let Ok(change) = rx.try_recv() {
                told.push(change);
            }
        }
        let two = ZoneId(2);
        assert_eq!(
            told,
            [ZoneChange::Found(two), ZoneChange::Lost(two), ZoneChange::Found(two)],
            "once each, in order"
        );
        drivers.abort_all();
    }
}
