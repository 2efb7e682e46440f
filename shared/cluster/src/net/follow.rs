//! Following the registry: its zones into a [`ZoneDirectory`] (a remote handle,
//! [`super::connect`], for each zone that registers, dropped when its lease is gone), and, for a
//! zone, its members' certificates into the zone's [`TrustedPeers`].

use super::tls::{LinkIdentity, TrustedPeers};
use crate::directory::ZoneDirectory;
use crate::link::ZoneHandle;
use crate::records::ZoneInfo;
use crate::registry::Registry;
use mmo_world::ZoneId;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tracing::{info, warn};

/// How often the registry's zones are read.
pub const FOLLOW_PERIOD: Duration = Duration::from_millis(200);

/// Who follows the registry's zones.
#[derive(Debug)]
pub struct Follower {
    /// The member's link certificate, presented to the zones it connects to.
    pub identity: Arc<LinkIdentity>,
    /// A zone's own id and in-process handle, used as is instead of a connection.
    pub local: Option<ZoneHandle>,
    /// Told about each zone whose lease is gone.
    pub lost: Option<mpsc::UnboundedSender<ZoneId>>,
    /// A zone's link peers, kept equal to the link certificates of the registry's live zones
    /// and gateways.
    pub trusted: Option<TrustedPeers>,
}

/// Keeps `directory` equal to the registry's live zones until `shutdown`: connects to each new
/// zone (or to its new address or certificate), forgets those whose lease is gone and tells
/// `follower.lost` about them; keeps `follower.trusted` current.
pub async fn follow_zones(
    registry: &impl Registry,
    directory: ZoneDirectory,
    follower: Follower,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut known: BTreeMap<ZoneId, ZoneInfo> = BTreeMap::new();
    if let Some(local) = &follower.local {
        directory.insert(local.clone());
    }
    loop {
        match registry.zones().await {
            Ok(zones) => {
                apply(&directory, &mut known, &zones, &follower);
                if let Some(trusted) = &follower.trusted {
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
        tokio::select! {
            _ = tokio::time::sleep(FOLLOW_PERIOD) => {}
            _ = shutdown.wait_for(|stop| *stop) => return,
        }
    }
}

fn apply(
    directory: &ZoneDirectory,
    known: &mut BTreeMap<ZoneId, ZoneInfo>,
    zones: &BTreeMap<ZoneId, ZoneInfo>,
    follower: &Follower,
) {
    let me = follower.local.as_ref().map(|h| h.zone);
    for (id, info) in zones {
        if Some(*id) == me || known.get(id) == Some(info) {
            continue;
        }
        info!(zone = %id, address = %info.address, "zone found in the registry; connecting");
        match super::connect(info, &follower.identity) {
            Ok(handle) => directory.insert(handle),
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
            let _ = lost.send(id);
        }
    }
}
