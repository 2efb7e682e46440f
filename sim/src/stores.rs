//! Persistence, on the real in-memory stores (`mmo_store`'s durable store and hot state: the
//! save versions, checkpoint ticks and record encoding the real ones keep):
//! - each zone writes what the zone runtime writes after a tick (the tick's checkpoints, then
//!   its gives, then the saves of the players whose inventory changed; every
//!   [`SAVE_EVERY_TICKS`] the other changed players' records too), as one batch that lands 0 to
//!   [`MAX_WRITE_TICKS`] ticks later, never before the batch before it (the runtime writes a
//!   zone's batches one after another: a receiver's save holding a given item never lands while
//!   the giver's save without it is lost); a killed zone loses the batches not landed yet, but
//!   for the part of the first of them already written ([`ZoneWrites::killed`]); a batch that
//!   landed is reported to the core (`ZoneCore::saved`: a give across a border waits for it);
//! - a cell that no live zone hands over is taken as the zone host takes it:
//!   `mmo_zone::restore::take_cell` (checkpoints resolved against stored records, else fresh
//!   NPCs);
//! - a gateway re-creating a player whose zone died reads its stored record
//!   ([`Stores::load`]).
//!
//! The in-memory stores answer at once; their futures are run to their end by one poll
//! ([`at_once`]).

use mmo_cluster::checkpoint::{CellCheckpoint, CheckpointCodec};
use mmo_cluster::ZoneCommand;
use mmo_records::PlayerRecord;
use mmo_store::{AnyHot, AnyStore, DurableStore, HotSpec, HotState, StoreSpec};
use mmo_world::rng::SplitMix64;
use mmo_world::{CellId, Epoch, ItemSerial, WorldGeometry, ZoneId};
use mmo_zone::core::{ItemGive, ZoneCore};
pub use mmo_zone::runtime::SAVE_EVERY_TICKS;
use std::collections::BTreeSet;
use std::future::Future;
use std::task::{Context, Poll, Waker};

/// The most ticks a batch of writes takes to land.
pub const MAX_WRITE_TICKS: u64 = 2;

/// Runs a future of the in-memory stores, which never wait, to its end.
fn at_once<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    match future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(out) => out,
        Poll::Pending => panic!("an in-memory store waited"),
    }
}

/// The cluster's stores: every zone and gateway shares them (clones share the same data).
#[derive(Clone, Debug)]
pub struct Stores {
    hot: AnyHot,
    store: AnyStore,
}

impl Default for Stores {
    fn default() -> Self {
        let store = at_once(AnyStore::open(&StoreSpec::Memory)).expect("an in-memory store");
        let hot = at_once(AnyHot::open(&HotSpec::Memory, &store)).expect("in-memory hot state");
        Stores { hot, store }
    }
}

impl Stores {
    /// The command that takes `cell` at `epoch` from the stores, as the zone host makes it.
    pub fn take(&self, cell: CellId, epoch: Epoch, geometry: WorldGeometry) -> ZoneCommand {
        at_once(mmo_zone::restore::take_cell(cell, epoch, geometry, &self.hot, &self.store))
    }

    /// `name`'s stored record.
    pub fn load(&self, name: &str) -> Option<PlayerRecord> {
        at_once(self.store.load(name)).expect("the in-memory store reads")
    }

    /// The items the stores would bring back if these players and cells were lost now: the
    /// players' stored inventories, and what a restore of each cell would put on its ground.
    pub fn durable_items(
        &self,
        players: impl IntoIterator<Item = String>,
        cells: impl IntoIterator<Item = CellId>,
        geometry: WorldGeometry,
    ) -> BTreeSet<ItemSerial> {
        let mut items: BTreeSet<ItemSerial> = BTreeSet::new();
        for name in players {
            items.extend(self.load(&name).iter().flat_map(|r| r.inventory.iter().map(|i| i.serial)));
        }
        for cell in cells {
            if let ZoneCommand::RestoreCell { restored, .. } = self.take(cell, Epoch::default(), geometry) {
                items.extend(restored.ground.iter().map(|g| g.item.serial));
            }
        }
        items
    }

    fn write(&self, write: Write) {
        match write {
            Write::Checkpoint(checkpoint) => {
                let bytes = checkpoint.encode().expect("a checkpoint encodes");
                at_once(self.hot.put_checkpoint(checkpoint.cell, checkpoint.tick, bytes)).expect("hot state writes");
            }
            // Refused when the giver's store record does not hold the item yet: the saves after
            // it carry the move, as in the runtime.
            Write::Give(give) => drop(at_once(self.store.give_item(&give.from, &give.to, give.serial))),
            Write::Save(record) => drop(at_once(self.store.save(&record)).expect("the in-memory store writes")),
        }
    }
}

#[derive(Debug)]
enum Write {
    Checkpoint(CellCheckpoint),
    Give(ItemGive),
    Save(PlayerRecord),
}

/// One zone run's writes on their way to the stores.
#[derive(Debug)]
pub struct ZoneWrites {
    stores: Stores,
    /// Batches not landed yet: (the tick it lands at, its number, its writes in order).
    pending: Vec<(u64, u64, Vec<Write>)>,
    rng: SplitMix64,
}

impl ZoneWrites {
    /// The writes of the `run`th run of `zone`, with delays drawn from a stream of their own
    /// (the seed's other draws stay as they were without persistence).
    pub fn new(stores: Stores, seed: u64, zone: ZoneId, run: u64) -> Self {
        let stream = seed ^ 0x5707_e5e5_0000_0000 ^ (u64::from(zone.0) << 20) ^ run;
        ZoneWrites { stores, pending: Vec::new(), rng: SplitMix64::new(stream) }
    }

    pub fn stores(&self) -> &Stores {
        &self.stores
    }

    /// What the runtime writes after `core` ran tick `tick`; `all_saves`: the write-behind save
    /// of every changed player is due too.
    pub fn after_tick(&mut self, core: &mut ZoneCore, tick: u64) {
        let mut batch: Vec<Write> = core.take_checkpoints().into_iter().map(Write::Checkpoint).collect();
        batch.extend(core.take_gives().into_iter().map(Write::Give));
        let changed = core.take_inventory_changes();
        batch.extend(core.take_saves_of(&changed).into_iter().map(Write::Save));
        if tick.is_multiple_of(SAVE_EVERY_TICKS) {
            batch.extend(core.take_saves().into_iter().map(Write::Save));
        }
        let number = core.seal_batch();
        if batch.is_empty() {
            core.saved(number);
        } else {
            let delay = u64::from(self.rng.below(MAX_WRITE_TICKS as u32 + 1));
            let after = self.pending.last().map_or(0, |(at, _, _)| *at);
            self.pending.push(((tick + delay).max(after), number, batch));
        }
        for landed in self.land(tick) {
            core.saved(landed);
        }
    }

    /// Lands the batches due by `tick`, in order; their numbers.
    fn land(&mut self, tick: u64) -> Vec<u64> {
        let (due, later): (Vec<_>, Vec<_>) =
            std::mem::take(&mut self.pending).into_iter().partition(|(at, _, _)| *at <= tick);
        self.pending = later;
        let mut landed = Vec::with_capacity(due.len());
        for (_, number, batch) in due {
            for write in batch {
                self.stores.write(write);
            }
            landed.push(number);
        }
        landed
    }

    /// The zone was killed: of the first batch on its way, a first part (maybe none, maybe
    /// all) was written; the rest, and the batches after it, are lost.
    pub fn killed(&mut self) {
        if let Some((_, _, batch)) = std::mem::take(&mut self.pending).into_iter().next() {
            let written = self.rng.below(batch.len() as u32 + 1) as usize;
            for write in batch.into_iter().take(written) {
                self.stores.write(write);
            }
        }
    }

    /// Writes every batch on its way (the zone stops cleanly, or the run ends).
    pub fn flush(&mut self) {
        self.land(u64::MAX);
    }

    /// Offers left unanswered by `core`: judged from the receivers' stored records.
    pub fn check_gives(&self, core: &mut ZoneCore) {
        for (id, name) in core.take_give_checks() {
            core.give_checked(id, self.stores.load(&name).as_ref());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use glam::IVec2;

    fn saved(name: &str, version: u64) -> Write {
        let mut record = PlayerRecord::new(name, None, IVec2::ZERO, CellId::new(0, 0));
        record.version = version;
        Write::Save(record)
    }

    fn version(stores: &Stores, name: &str) -> Option<u64> {
        stores.load(name).map(|r| r.version)
    }

    #[test]
    fn batches_land_in_order_and_a_killed_zone_writes_only_a_first_part_of_the_first() {
        let stores = Stores::default();
        let mut writes = ZoneWrites::new(stores.clone(), 1, ZoneId(1), 0);
        writes.pending.push((3, 1, vec![saved("ann", 1)]));
        writes.pending.push((5, 2, vec![saved("bob", 1)]));
        assert!(writes.land(2).is_empty(), "nothing due yet");
        assert_eq!(writes.land(4), [1]);
        assert_eq!((version(&stores, "ann"), version(&stores, "bob")), (Some(1), None));
        assert_eq!(writes.land(5), [2]);
        assert_eq!(version(&stores, "bob"), Some(1));

        // Killed with batches on their way: of the first, the writes up to some point land, in
        // order; nothing of the next.
        let mut landed = [0; 4];
        for seed in 0..200 {
            let stores = Stores::default();
            let mut writes = ZoneWrites::new(stores.clone(), seed, ZoneId(1), 0);
            writes.pending.push((9, 1, vec![saved("cy", 1), saved("dee", 1), saved("eve", 1)]));
            writes.pending.push((9, 2, vec![saved("fay", 1)]));
            writes.killed();
            let got: Vec<bool> = ["cy", "dee", "eve"].iter().map(|n| version(&stores, n).is_some()).collect();
            let n = got.iter().filter(|g| **g).count();
            assert!(got.iter().take(n).all(|g| *g), "a first part only: {got:?}");
            assert_eq!(version(&stores, "fay"), None, "the batch after it waits for it");
            landed[n] += 1;
            assert!(writes.pending.is_empty());
        }
        assert!(landed.iter().all(|n| *n > 20), "none, some and all of a batch land: {landed:?}");
    }

    #[test]
    fn a_cell_with_no_checkpoint_is_taken_with_fresh_npcs() {
        let stores = Stores::default();
        let geometry = WorldGeometry { width_cells: 2, height_cells: 1, cell_tiles: 32 };
        assert!(matches!(stores.take(CellId::new(1, 0), Epoch(3), geometry), ZoneCommand::OwnCell { .. }));
        let checkpoint = CellCheckpoint { cell: CellId::new(1, 0), ..CellCheckpoint::default() };
        stores.write(Write::Checkpoint(checkpoint));
        assert!(matches!(stores.take(CellId::new(1, 0), Epoch(3), geometry), ZoneCommand::RestoreCell { .. }));
    }
}
