//! The zones a service can reach, by id. In one process it is filled once; in the
//! multi-process mode it follows the registry ([`crate::follow::follow_zones`]) as zones join and
//! leave, so every clone sees the same, current set.

use crate::link::ZoneHandle;
use mmo_world::ZoneId;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// A shared, changing map of zone handles.
#[derive(Clone, Debug, Default)]
pub struct ZoneDirectory {
    zones: Arc<RwLock<HashMap<ZoneId, ZoneHandle>>>,
}

impl ZoneDirectory {
    /// The handle of `zone`, if it is known.
    pub fn get(&self, zone: ZoneId) -> Option<ZoneHandle> {
        self.zones.read().expect("zone directory lock").get(&zone).cloned()
    }

    /// Adds or replaces a zone's handle.
    pub fn insert(&self, handle: ZoneHandle) {
        self.zones.write().expect("zone directory lock").insert(handle.zone, handle);
    }

    /// Forgets a zone; true if it was known.
    pub fn remove(&self, zone: ZoneId) -> bool {
        self.zones.write().expect("zone directory lock").remove(&zone).is_some()
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
        ZoneDirectory { zones: Arc::new(RwLock::new(zones)) }
    }
}
