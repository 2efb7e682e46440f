//! Following the registry's zones into a [`ZoneDirectory`]: a remote handle ([`super::connect`])
//! for each zone that registers, dropped when its lease is gone.

use crate::directory::ZoneDirectory;
use crate::link::ZoneHandle;
use crate::records::ZoneInfo;
use crate::registry::Registry;
use mmo_world::ZoneId;
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tracing::{info, warn};

/// How often the registry's zones are read.
pub const FOLLOW_PERIOD: Duration = Duration::from_millis(200);

/// Keeps `directory` equal to the registry's live zones until `shutdown`: connects to each new
/// zone (or to its new address), forgets those whose lease is gone and tells `lost` about them.
/// `local` (a zone's own id and in-process handle) is used as is instead of a connection.
pub async fn follow_zones(
    registry: &impl Registry,
    directory: ZoneDirectory,
    local: Option<ZoneHandle>,
    lost: Option<mpsc::UnboundedSender<ZoneId>>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut known: BTreeMap<ZoneId, String> = BTreeMap::new();
    if let Some(local) = &local {
        directory.insert(local.clone());
    }
    loop {
        match registry.zones().await {
            Ok(zones) => apply(&directory, &mut known, &zones, local.as_ref(), lost.as_ref()),
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
    known: &mut BTreeMap<ZoneId, String>,
    zones: &BTreeMap<ZoneId, ZoneInfo>,
    local: Option<&ZoneHandle>,
    lost: Option<&mpsc::UnboundedSender<ZoneId>>,
) {
    let me = local.map(|h| h.zone);
    for (id, info) in zones {
        if Some(*id) == me || known.get(id) == Some(&info.address) {
            continue;
        }
        info!(zone = %id, address = %info.address, "zone found in the registry; connecting");
        directory.insert(super::connect(*id, info.address.clone()));
        known.insert(*id, info.address.clone());
    }
    let gone: Vec<ZoneId> = known.keys().filter(|id| !zones.contains_key(id)).copied().collect();
    for id in gone {
        info!(zone = %id, "zone left the registry");
        known.remove(&id);
        directory.remove(id);
        if let Some(lost) = lost {
            let _ = lost.send(id);
        }
    }
}
