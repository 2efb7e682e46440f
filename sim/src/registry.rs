//! The simulated registry: who owns which cell at which epoch (every write takes the next epoch
//! of one counter, as etcd's revision does), the zones' latest load reports, and the log of the
//! moves written, which the flapping check reads.

use mmo_cluster::registry::Assignment;
use mmo_cluster::{LoadReport, MoveReason};
use mmo_world::{CellId, Epoch, ZoneId};
use std::collections::BTreeMap;

/// One cell move written to the registry.
#[derive(Clone, Debug, PartialEq)]
pub struct Written {
    pub at_ms: u64,
    pub cell: CellId,
    pub from: Option<ZoneId>,
    pub to: ZoneId,
    pub epoch: Epoch,
    pub reason: MoveReason,
    /// The coordinator leader's term that wrote it.
    pub term: u32,
}

#[derive(Debug, Default)]
pub struct SimRegistry {
    pub table: BTreeMap<CellId, Assignment>,
    pub loads: BTreeMap<ZoneId, LoadReport>,
    pub written: Vec<Written>,
    last_epoch: u64,
}

impl SimRegistry {
    /// Gives `cell` to `to` at the next epoch.
    pub fn write(&mut self, at_ms: u64, cell: CellId, to: ZoneId, reason: MoveReason, term: u32) -> Epoch {
        self.last_epoch += 1;
        let epoch = Epoch(self.last_epoch);
        let from = self.table.insert(cell, Assignment { zone: to, epoch }).map(|a| a.zone);
        self.written.push(Written { at_ms, cell, from, to, epoch, reason, term });
        epoch
    }

    /// Who owns each cell.
    pub fn owners(&self) -> BTreeMap<CellId, ZoneId> {
        self.table.iter().map(|(c, a)| (*c, a.zone)).collect()
    }
}
