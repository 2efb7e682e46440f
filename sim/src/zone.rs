//! A simulated zone process: the real [`ZoneCore`], fed by the simulation as the zone runtime
//! feeds it (assignment changes through [`takeover`], peer messages, ghost frames), its writes
//! to the stores and its restores of cells no live zone hands over ([`crate::stores`]), and its
//! load report, as the runtime's load meter makes it from the frames it published. Tick time is
//! modelled: a cost per entity, times the zone's slowness (a slow zone reads hot on the tick term
//! of its load as a zone on a busy machine does).

use crate::stores::{Stores, ZoneWrites};
use mmo_cluster::registry::Assignment;
use mmo_cluster::takeover;
use mmo_cluster::{LoadReport, ZoneCommand};
use mmo_protocol::CellFrame;
use mmo_world::{CellId, Epoch, SerialBlock, Tick, WorldGeometry, ZoneId};
use mmo_zone_core::{ZoneConfig, ZoneCore};
use std::collections::BTreeMap;

/// Modelled tick time per simulated entity, in milliseconds.
const TICK_MS_PER_ENTITY: f32 = 0.02;
/// The tick budget (the tick period), milliseconds.
pub const TICK_MS: u64 = 50;

pub struct SimZone {
    pub core: ZoneCore,
    /// The assignment table as this zone last saw it.
    seen: BTreeMap<CellId, Assignment>,
    /// Cells it waits for their owners to hand over.
    awaiting: takeover::Awaiting,
    /// Tick time multiplier: 1.0 normal, higher for a slow zone.
    pub slowness: f32,
    /// Whether its process runs (a crashed zone keeps its place until it is started again).
    pub alive: bool,
    /// Cut from the registry: it sees no assignments and publishes no load.
    pub registry_cut: bool,
    /// Stalled (a long pause of its process, shorter than its lease): it neither ticks nor
    /// reads anything until it resumes.
    pub stalled: bool,
    /// Entities per owned cell at the last tick.
    cells: BTreeMap<CellId, u32>,
    capacity: u32,
    /// Its checkpoints and saves on their way to the stores.
    writes: ZoneWrites,
    /// Cells it took from their checkpoints.
    pub restored: usize,
}

impl std::fmt::Debug for SimZone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimZone").field("zone", &self.id()).field("slowness", &self.slowness).finish_non_exhaustive()
    }
}

impl SimZone {
    /// The `run`th start of zone `zone` (0 first): each run takes entity ids and item serials
    /// no earlier run had, as the store's allocation gives them.
    pub fn new(
        zone: ZoneId,
        run: u64,
        seed: u64,
        stores: &Stores,
        geometry: WorldGeometry,
        npcs_per_cell: u32,
        capacity: u32,
    ) -> Self {
        let ids = SerialBlock::from_start(1 + (run << 30), 1 << 30);
        let mut core =
            ZoneCore::new(ZoneConfig { zone, seed, geometry, npcs_per_cell, npc_brain: Default::default() }, ids);
        // Serials for NPC drops, unique in the cluster as the store's allocation makes them
        // (above every entity id: starter items take those).
        core.add_serials(SerialBlock::from_start((1 << 50) + (u64::from(zone.0) << 36) + (run << 30), 1 << 30));
        SimZone {
            core,
            seen: BTreeMap::new(),
            awaiting: takeover::Awaiting::default(),
            slowness: 1.0,
            alive: true,
            registry_cut: false,
            stalled: false,
            cells: BTreeMap::new(),
            capacity,
            writes: ZoneWrites::new(stores.clone(), seed, zone, run),
            restored: 0,
        }
    }

    pub fn id(&self) -> ZoneId {
        self.core.config().zone
    }

    /// Whether its process runs now (alive and not stalled).
    pub fn running(&self) -> bool {
        self.alive && !self.stalled
    }

    /// Whether it reads the registry now (running and not cut from it).
    pub fn reads_registry(&self) -> bool {
        self.running() && !self.registry_cut
    }

    /// Reads a new assignment table: every owner change goes to the core, cells nobody hands
    /// over are taken (from the stores), their dead owners declared lost. `runs`: the zones registered now, with the epochs their runs registered at.
    pub fn sync(&mut self, table: &BTreeMap<CellId, Assignment>, runs: &BTreeMap<ZoneId, Epoch>) {
        if &self.seen != table {
            let rows: Vec<_> = table.iter().map(|(c, a)| (*c, a.zone, a.epoch)).collect();
            self.core.follow_table(&rows);
        }
        let gained = takeover::gained(&self.seen, table, self.id());
        let decided = takeover::takeover(&gained, runs, self.id());
        self.awaiting.update(table, self.id(), &decided.wait);
        for g in decided.take {
            self.take(g.cell, g.epoch);
        }
        for gone in decided.dead {
            self.lost(gone);
        }
        self.seen = table.clone();
    }

    /// Zone `gone` is lost (its lease expired): the core is told (the players it takes back are
    /// reconciled with their stored records, as the runtime does), and the cells it was to hand
    /// over here are taken.
    pub fn lost(&mut self, gone: ZoneId) {
        self.core.zone_lost(gone);
        for (id, name) in self.core.take_reconciles() {
            if let Some(record) = self.writes.stores().load(&name) {
                self.core.reconcile(id, &record);
            }
        }
        for g in self.awaiting.lost(gone) {
            self.take(g.cell, g.epoch);
        }
    }

    /// Zone `back` was started again (`runs`: the runs registered now): the core is told, and
    /// the cells its previous run was to hand over here are taken.
    pub fn back(&mut self, back: ZoneId, runs: &BTreeMap<ZoneId, Epoch>) {
        self.core.zone_back(back);
        for g in self.awaiting.restarted(runs) {
            self.take(g.cell, g.epoch);
        }
    }

    /// Takes a cell nobody hands over, as the zone host does: from its checkpoints, else with
    /// fresh NPCs.
    fn take(&mut self, cell: CellId, epoch: Epoch) {
        match self.writes.stores().take(cell, epoch, self.core.config().geometry) {
            ZoneCommand::RestoreCell { cell, epoch, restored } => {
                self.restored += 1;
                self.core.restore_cell(cell, epoch, *restored);
            }
            _ => self.core.own_cell(cell, epoch),
        }
    }

    /// Runs tick `tick`: the frames it published, and its writes sent on their way.
    pub fn tick(&mut self, tick: u64) -> Vec<CellFrame> {
        let frames = self.core.tick(Tick(tick), &mut ());
        self.cells = frames.iter().map(|f| (f.cell, f.entities.len() as u32)).collect();
        self.writes.after_tick(&mut self.core, tick);
        self.writes.check_gives(&mut self.core);
        frames
    }

    /// Killed: its writes not landed yet are lost, but for a part of each batch.
    pub fn kill(&mut self) {
        self.alive = false;
        self.writes.killed();
    }

    /// Writes every batch on its way.
    pub fn flush_writes(&mut self) {
        self.writes.flush();
    }

    pub fn load_report(&self, now_ms: u64) -> LoadReport {
        let entities: u32 = self.cells.values().sum();
        LoadReport {
            at_unix_ms: now_ms,
            tick_time_ms_p99: entities as f32 * TICK_MS_PER_ENTITY * self.slowness,
            budget_ms: TICK_MS as f32,
            entities,
            entities_per_cell: self.cells.clone(),
            capacity: self.capacity,
        }
    }
}
