//! A cluster of zone cores in one test, linked the way the zone runtime links them but
//! deterministically (quinn's `Pair` harness, for zones): after every tick each core's messages
//! reach their destination (with the answers, confirmations and forwards they cause, until none
//! is left), and each core gets the frames of the neighbouring cells others own, for ghosts.

#![allow(dead_code)]

use mmo_protocol::CellFrame;
use mmo_world::{CellId, EntityId, Epoch, Tick, WorldGeometry, ZoneId};
use mmo_zone_core::{ZoneConfig, ZoneCore};
use std::sync::Arc;

/// Entity ids for the core under test (the host takes them from the store).
const FIRST_IDS: mmo_world::SerialBlock = mmo_world::SerialBlock::from_start(1, 1 << 20);

pub struct Cluster {
    pub cores: Vec<ZoneCore>,
    pub geometry: WorldGeometry,
    pub now: Tick,
    epoch: u64,
    /// The registry's table: each cell's owner and epoch.
    table: std::collections::BTreeMap<CellId, (ZoneId, Epoch)>,
}

impl Cluster {
    /// Zones owning the given cells.
    pub fn new(seed: u64, geometry: WorldGeometry, zones: &[(ZoneId, Vec<CellId>)], npcs_per_cell: u32) -> Self {
        let mut cores: Vec<ZoneCore> = zones
            .iter()
            .map(|(zone, _)| {
                ZoneCore::new(
                    ZoneConfig { zone: *zone, seed, geometry, npcs_per_cell, npc_brain: Default::default() },
                    FIRST_IDS,
                )
            })
            .collect();
        let mut epoch = 0;
        let mut table = std::collections::BTreeMap::new();
        for (i, (zone, cells)) in zones.iter().enumerate() {
            for &cell in cells {
                epoch += 1;
                cores[i].own_cell(cell, Epoch(epoch));
                for core in &mut cores {
                    core.set_owner(cell, *zone, Epoch(epoch));
                }
                table.insert(cell, (*zone, Epoch(epoch)));
            }
        }
        Cluster { cores, geometry, now: Tick(0), epoch, table }
    }

    /// Zone 1 owns the west half of the world's columns, zone 2 the east half.
    pub fn halves(seed: u64, geometry: WorldGeometry, npcs_per_cell: u32) -> Self {
        let half = geometry.width_cells / 2;
        let (west, east): (Vec<CellId>, Vec<CellId>) = geometry.cells().partition(|c| c.x < half);
        Self::new(seed, geometry, &[(ZoneId(1), west), (ZoneId(2), east)], npcs_per_cell)
    }

    pub fn core(&self, zone: ZoneId) -> &ZoneCore {
        self.cores.iter().find(|c| c.config().zone == zone).expect("zone in the cluster")
    }

    pub fn core_mut(&mut self, zone: ZoneId) -> &mut ZoneCore {
        self.cores.iter_mut().find(|c| c.config().zone == zone).expect("zone in the cluster")
    }

    /// Runs the next tick on every zone, delivers what they sent, hands out ghost frames; returns
    /// every frame of the tick.
    pub fn tick(&mut self) -> Vec<CellFrame> {
        self.now = self.now.next();
        let now = self.now;
        let frames: Vec<CellFrame> = self.cores.iter_mut().flat_map(|c| c.tick(now, &mut ())).collect();
        self.route();
        for core in &mut self.cores {
            let wanted = core.ghost_cells();
            for f in &frames {
                if wanted.contains(&(f.cell, f.zone)) {
                    core.ghost_frame(Arc::new(f.clone()));
                }
            }
        }
        frames
    }

    /// Delivers messages until none is left.
    pub fn route(&mut self) {
        for _ in 0..100 {
            let mut mail = Vec::new();
            for core in &mut self.cores {
                let from = core.config().zone;
                mail.extend(core.drain_outbox().into_iter().map(|(to, msg)| (from, to, msg)));
            }
            if mail.is_empty() {
                return;
            }
            for (from, to, msg) in mail {
                self.core_mut(to).handle_peer(from, msg);
            }
        }
        panic!("zones keep messaging each other");
    }

    /// Gives a cell to `to` (the registry write, seen by every zone at once).
    pub fn move_cell(&mut self, cell: CellId, to: ZoneId) -> Epoch {
        self.epoch += 1;
        let epoch = Epoch(self.epoch);
        for core in &mut self.cores {
            core.set_owner(cell, to, epoch);
        }
        self.table.insert(cell, (to, epoch));
        epoch
    }

    /// Splits `cell` into its quarters, kept by its owner (the registry's one write, read by
    /// every zone at once).
    pub fn split(&mut self, cell: CellId) -> Epoch {
        let (zone, _) = self.table.remove(&cell).expect("a cell of the table");
        self.reshape(&[cell], &cell.quarters(), zone)
    }

    /// Merges the quarters of `cell`, all owned by one zone, back into it.
    pub fn merge(&mut self, cell: CellId) -> Epoch {
        let owners: Vec<ZoneId> =
            cell.quarters().iter().map(|q| self.table.remove(q).expect("a quarter of the table").0).collect();
        assert!(owners.iter().all(|z| *z == owners[0]), "quarters of one zone: {owners:?}");
        self.reshape(&cell.quarters(), &[cell], owners[0])
    }

    /// Moves a cell in the table without telling any zone (a write they read later, together
    /// with the next ones).
    pub fn move_unread(&mut self, cell: CellId, to: ZoneId) -> Epoch {
        self.epoch += 1;
        self.table.insert(cell, (to, Epoch(self.epoch)));
        Epoch(self.epoch)
    }

    /// Splits a cell in the table without telling any zone.
    pub fn split_unread(&mut self, cell: CellId) -> Epoch {
        let (zone, _) = self.table.remove(&cell).expect("a cell of the table");
        self.epoch += 1;
        for q in cell.quarters() {
            self.table.insert(q, (zone, Epoch(self.epoch)));
        }
        Epoch(self.epoch)
    }

    /// Every zone reads the table as it is now.
    pub fn read_table(&mut self) {
        let rows: Vec<(CellId, ZoneId, Epoch)> = self.table.iter().map(|(c, (z, e))| (*c, *z, *e)).collect();
        for core in &mut self.cores {
            core.follow_table(&rows);
        }
    }

    fn reshape(&mut self, gone: &[CellId], made: &[CellId], zone: ZoneId) -> Epoch {
        self.epoch += 1;
        let epoch = Epoch(self.epoch);
        for c in gone {
            self.table.remove(c);
        }
        for &c in made {
            self.table.insert(c, (zone, epoch));
        }
        let rows: Vec<(CellId, ZoneId, Epoch)> = self.table.iter().map(|(c, (z, e))| (*c, *z, *e)).collect();
        for core in &mut self.cores {
            core.follow_table(&rows);
        }
        epoch
    }

    /// The zones simulating an entity.
    pub fn holders(&self, id: EntityId) -> Vec<ZoneId> {
        self.cores.iter().filter(|c| c.authority(id).is_some()).map(|c| c.config().zone).collect()
    }
}

/// The frames holding an entity.
pub fn shown_in(frames: &[CellFrame], id: EntityId) -> Vec<&CellFrame> {
    frames.iter().filter(|f| f.shows(id)).collect()
}
