//! The registry of cell ownership: `cell -> {zone, epoch}`. Every write gets a new epoch from
//! one counter that only grows (the etcd revision, in the etcd implementation), so a newer
//! assignment always carries a larger epoch than any older one.

use mmo_world::{CellId, Epoch, ZoneId};
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

/// The owner of a cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Assignment {
    pub zone: ZoneId,
    pub epoch: Epoch,
}

/// All assignments, as of one registry revision.
pub type AssignmentTable = Arc<BTreeMap<CellId, Assignment>>;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum RegistryError {
    #[error("registry unavailable: {0}")]
    Unavailable(String),
}

/// Where cell ownership is kept.
pub trait Registry: Send + Sync {
    /// Makes `zone` the owner of `cell`; returns the new epoch.
    fn assign(&self, cell: CellId, zone: ZoneId) -> impl Future<Output = Result<Epoch, RegistryError>> + Send;
    /// The current table.
    fn assignments(&self) -> AssignmentTable;
    /// Follows the table as it changes.
    fn watch(&self) -> watch::Receiver<AssignmentTable>;
}

/// The in-memory registry of the local world and of fast tests.
#[derive(Debug)]
pub struct MemoryRegistry {
    revision: Mutex<u64>,
    table: watch::Sender<AssignmentTable>,
}

impl Default for MemoryRegistry {
    fn default() -> Self {
        MemoryRegistry { revision: Mutex::new(0), table: watch::Sender::new(Arc::default()) }
    }
}

impl Registry for MemoryRegistry {
    async fn assign(&self, cell: CellId, zone: ZoneId) -> Result<Epoch, RegistryError> {
        let mut revision = self.revision.lock().expect("registry lock");
        *revision += 1;
        let epoch = Epoch(*revision);
        self.table.send_modify(|table| {
            Arc::make_mut(table).insert(cell, Assignment { zone, epoch });
        });
        Ok(epoch)
    }

    fn assignments(&self) -> AssignmentTable {
        self.table.borrow().clone()
    }

    fn watch(&self) -> watch::Receiver<AssignmentTable> {
        self.table.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn epochs_only_grow_and_watchers_see_changes() {
        let reg = MemoryRegistry::default();
        let mut watch = reg.watch();
        let a = reg.assign(CellId::new(0, 0), ZoneId(1)).await.unwrap();
        let b = reg.assign(CellId::new(0, 0), ZoneId(2)).await.unwrap();
        assert!(b > a);
        assert!(watch.has_changed().unwrap());
        let table = watch.borrow_and_update().clone();
        assert_eq!(table[&CellId::new(0, 0)], Assignment { zone: ZoneId(2), epoch: b });
    }
}
