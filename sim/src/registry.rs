//! The simulated registry: who owns which cell at which epoch (every write takes the next epoch
//! of one counter, as etcd's revision does), the zones' latest load reports, and the log of the
//! moves, splits and merges written, which the flapping check reads.

use mmo_cluster::registry::Assignment;
use mmo_cluster::{LoadReport, MoveReason};
use mmo_coordinator::policy::Reshape;
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

/// One split or merge written to the registry.
#[derive(Clone, Debug, PartialEq)]
pub struct Reshaped {
    pub at_ms: u64,
    pub reshape: Reshape,
    pub epoch: Epoch,
    pub term: u32,
}

#[derive(Debug, Default)]
pub struct SimRegistry {
    pub table: BTreeMap<CellId, Assignment>,
    pub loads: BTreeMap<ZoneId, LoadReport>,
    pub written: Vec<Written>,
    pub reshaped: Vec<Reshaped>,
    last_epoch: u64,
}

impl SimRegistry {
    /// A zone's run registers: the epoch it registered at, after every write so far (etcd's
    /// create revision of its member key).
    pub fn register(&mut self) -> Epoch {
        self.last_epoch += 1;
        Epoch(self.last_epoch)
    }

    /// Gives `cell` to `to` at the next epoch.
    pub fn write(&mut self, at_ms: u64, cell: CellId, to: ZoneId, reason: MoveReason, term: u32) -> Epoch {
        self.last_epoch += 1;
        let epoch = Epoch(self.last_epoch);
        let from = self.table.get(&cell).map(|a| a.zone);
        self.table.insert(cell, Assignment::new(to, epoch, from));
        self.written.push(Written { at_ms, cell, from, to, epoch, reason, term });
        epoch
    }

    /// Replaces a cell by its quarters (a split) or four quarters by their parent (a merge), all
    /// owned by the reshape's zone, at the next epoch: one write, as the real registry's
    /// transaction.
    pub fn reshape(&mut self, at_ms: u64, reshape: &Reshape, term: u32) -> Epoch {
        self.last_epoch += 1;
        let epoch = Epoch(self.last_epoch);
        let (gone, made) = reshape.cells();
        let zone = reshape.zone();
        for cell in gone {
            self.table.remove(&cell);
        }
        for cell in made {
            self.table.insert(cell, Assignment::new(zone, epoch, Some(zone)));
        }
        self.reshaped.push(Reshaped { at_ms, reshape: reshape.clone(), epoch, term });
        epoch
    }

    /// Who owns each cell.
    pub fn owners(&self) -> BTreeMap<CellId, ZoneId> {
        self.table.iter().map(|(c, a)| (*c, a.zone)).collect()
    }
}
