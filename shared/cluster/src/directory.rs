//! The zones a service can reach, by id. In one process it is filled once; in the
//! multi-process mode it follows the registry ([`crate::follow::follow_zones`]) as zones join and
//! leave, so every clone sees the same, current set.

use crate::link::ZoneHandle;
use mmo_world::ZoneId;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use tokio::sync::watch;

/// A shared, changing map of zone handles.
#[derive(Clone, Debug)]
pub struct ZoneDirectory {
    zones: Arc<RwLock<HashMap<ZoneId, ZoneHandle>>>,
    /// Counts changes, for those who follow them ([`ZoneDirectory::changes`]).
    version: Arc<watch::Sender<u64>>,
}

impl Default for ZoneDirectory {
    fn default() -> Self {
        ZoneDirectory::from(HashMap::new())
    }
}

impl ZoneDirectory {
    /// Changes when a zone is added, replaced (it restarted elsewhere) or removed.
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.version.subscribe()
    }

    fn changed(&self) {
        self.version.send_modify(|v| *v += 1);
    }

    /// The handle of `zone`, if it is known.
    pub fn get(&self, zone: ZoneId) -> Option<ZoneHandle> {
        self.zones.read().expect("zone directory lock").get(&zone).cloned()
    }

    /// Adds or replaces a zone's handle.
    pub fn insert(&self, handle: ZoneHandle) {
        self.zones.write().expect("zone directory lock").insert(handle.zone, handle);
        self.changed();
    }

    /// Forgets a zone; true if it was known.
    pub fn remove(&self, zone: ZoneId) -> bool {
        let removed = self.zones.write().expect("zone directory lock").remove(&zone).is_some();
        if removed {
            self.changed();
        }
        removed
    }

    /// The known zones, in id order.
    pub fn ids(&self) -> Vec<ZoneId> {
        let mut ids: Vec<ZoneId> = self.zones.read().expect("zone directory lock").keys().copied().collect();
        ids.sort_unstable();
        ids
    }
}

impl From<HashMap<ZoneId, ZoneHandle>> for ZoneDirectory {
    fn from(zones: HashMap<ZoneId, ZoneHandle>) -> Self {
        ZoneDirectory { zones: Arc::new(RwLock::new(zones)), version: Arc::new(watch::channel(0).0) }
    }
}
