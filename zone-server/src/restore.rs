//! Taking a cell no live zone hands over (its owner died, or the whole world restarted): from
//! the newest state the checkpoints in hot state hold for it (its own latest; a covering cell's,
//! cut to it, when it was split since; its quarters' together when they were merged since:
//! [`CellCheckpoint::newest_of`]), resolved against the stored records of the players it names
//! (their inventories and pickup receipts, [`CellCheckpoint::resolve`]), else with fresh NPCs.

use mmo_cluster::checkpoint::{CellCheckpoint, CheckpointCodec, RestoredCell};
use mmo_cluster::ZoneCommand;
use mmo_store::{AnyHot, AnyStore, DurableStore, HotState, PlayerRecord};
use mmo_world::{CellId, Epoch, WorldGeometry};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;
use tracing::warn;

/// Tries at reading a checkpoint and the records it needs while the stores fail.
const ATTEMPTS: u32 = 10;
const RETRY: Duration = Duration::from_millis(200);

/// Why a checkpoint could not be used.
#[derive(Debug, thiserror::Error)]
enum RestoreError {
    #[error("store: {0}")]
    Store(#[from] mmo_store::StoreError),
    #[error("undecodable checkpoint: {0}")]
    Corrupt(#[from] mmo_cluster::net::codec::WireError),
}

/// The command that takes `cell` at `epoch`: [`ZoneCommand::RestoreCell`] from its checkpoint,
/// or [`ZoneCommand::OwnCell`] (fresh NPCs) when it has none or it cannot be read (logged, and
/// counted in `mmo_zone_restore_failures_total`: that cell's ground items are then lost).
pub async fn take_cell(
    cell: CellId,
    epoch: Epoch,
    geometry: WorldGeometry,
    hot: &AnyHot,
    store: &AnyStore,
) -> ZoneCommand {
    let mut attempt = 0;
    loop {
        attempt += 1;
        match restored(cell, geometry, hot, store).await {
            Ok(Some(restored)) => return ZoneCommand::RestoreCell { cell, epoch, restored: Box::new(restored) },
            Ok(None) => return ZoneCommand::OwnCell { cell, epoch },
            Err(RestoreError::Store(error)) if attempt < ATTEMPTS => {
                warn!(%cell, %error, attempt, "cannot read the cell's checkpoint yet; retrying");
                tokio::time::sleep(RETRY).await;
            }
            Err(error) => {
                metrics::counter!("mmo_zone_restore_failures_total").increment(1);
                warn!(%cell, %error, "checkpoint unusable: taking the cell with fresh NPCs");
                return ZoneCommand::OwnCell { cell, epoch };
            }
        }
    }
}

async fn restored(
    cell: CellId,
    geometry: WorldGeometry,
    hot: &AnyHot,
    store: &AnyStore,
) -> Result<Option<RestoredCell>, RestoreError> {
    let mut found = BTreeMap::new();
    for overlapping in CellCheckpoint::overlapping(cell) {
        if let Some(latest) = hot.latest_checkpoint(overlapping).await? {
            found.insert(overlapping, CellCheckpoint::decode(&latest.bytes)?);
        }
    }
    let Some(checkpoint) = CellCheckpoint::newest_of(cell, geometry, &found) else { return Ok(None) };
    let mut stored: HashMap<Arc<str>, PlayerRecord> = HashMap::new();
    for name in checkpoint.players() {
        if let Some(record) = store.load(&name).await? {
            stored.insert(name, record);
        }
    }
    Ok(Some(checkpoint.resolve(|name| stored.get(name))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use glam::IVec2;
    use mmo_records::{CellItems, GroundRecord, Item, ItemSerial, Picked};
    use mmo_store::{HotSpec, StoreSpec};
    use mmo_world::Tick;

    #[tokio::test]
    async fn a_checkpoint_comes_back_without_the_items_a_player_holds() {
        let store = AnyStore::open(&StoreSpec::Memory).await.unwrap();
        let hot = AnyHot::open(&HotSpec::Durable, &store).await.unwrap();
        let cell = CellId::new(2, 1);
        assert!(matches!(take_cell(cell, Epoch(1), GEOMETRY, &hot, &store).await, ZoneCommand::OwnCell { .. }));

        let mut ann = PlayerRecord::new("ann", None, IVec2::ZERO, cell);
        ann.inventory.push(Item::one(ItemSerial(7), 10));
        store.create_account(&ann).await.unwrap();
        let ground = |id, by: Option<&str>| GroundRecord {
            item: Item::one(ItemSerial(id), 10),
            pos: IVec2::ZERO,
            dropped_by: by.map(Into::into),
            dropped_at: None,
        };
        let checkpoint = CellCheckpoint {
            cell,
            tick: Tick(20),
            npcs: Vec::new(),
            // 7: ann's drop never became durable; 8: ann's drop did; 9: loot
            items: CellItems {
                ground: vec![ground(7, Some("ann")), ground(8, Some("ann")), ground(9, None)],
                picked: Vec::new(),
            },
            policy: 0,
            gives: Vec::new(),
        };
        hot.put_checkpoint(cell, Tick(20), checkpoint.encode().unwrap()).await.unwrap();
        let ZoneCommand::RestoreCell { restored, epoch, .. } = take_cell(cell, Epoch(2), GEOMETRY, &hot, &store).await
        else {
            panic!("the cell has a checkpoint")
        };
        assert_eq!(epoch, Epoch(2));
        let serials: Vec<u64> = restored.ground.iter().map(|g| g.item.serial.0).collect();
        assert_eq!(serials, vec![8, 9]);
    }

    /// The chaos soak's duplication, through the store: ann's pickup of 7 was saved (with its
    /// receipt), then she gave 7 to bob (one store transaction), then her zone died. 7 stays
    /// bob's alone; cy's pickup of 8, whose save never landed, puts 8 back where it lay.
    #[tokio::test]
    async fn a_picked_item_given_away_stays_with_whom_it_went_to() {
        let store = AnyStore::open(&StoreSpec::Memory).await.unwrap();
        let hot = AnyHot::open(&HotSpec::Durable, &store).await.unwrap();
        let cell = CellId::new(1, 1);
        for name in ["ann", "bob", "cy"] {
            store.create_account(&PlayerRecord::new(name, None, IVec2::ZERO, cell)).await.unwrap();
        }
        // The zone's save of ann's pickup: the item and its receipt.
        let mut ann = store.load("ann").await.unwrap().unwrap();
        ann.inventory.push(Item::one(ItemSerial(7), 10));
        mmo_records::record_pickup(&mut ann.picked, ItemSerial(7));
        ann.version += 1;
        store.save(&ann).await.unwrap();
        store.give_item("ann", "bob", ItemSerial(7)).await.unwrap();
        let ann = store.load("ann").await.unwrap().unwrap();
        assert!(!ann.holds(ItemSerial(7)) && ann.picked_up(ItemSerial(7)), "the give keeps ann's receipt");

        let picked =
            |id, by: &str| Picked { item: Item::one(ItemSerial(id), 10), pos: IVec2::new(3, 4), by: by.into() };
        let checkpoint = CellCheckpoint {
            cell,
            tick: Tick(20),
            npcs: Vec::new(),
            items: CellItems { ground: Vec::new(), picked: vec![picked(7, "ann"), picked(8, "cy")] },
            policy: 0,
            gives: Vec::new(),
        };
        hot.put_checkpoint(cell, Tick(20), checkpoint.encode().unwrap()).await.unwrap();
        let ZoneCommand::RestoreCell { restored, .. } = take_cell(cell, Epoch(2), GEOMETRY, &hot, &store).await else {
            panic!("the cell has a checkpoint")
        };
        let serials: Vec<u64> = restored.ground.iter().map(|g| g.item.serial.0).collect();
        assert_eq!(serials, vec![8], "7 is bob's only");
        assert!(store.load("bob").await.unwrap().unwrap().holds(ItemSerial(7)));
    }

    const GEOMETRY: WorldGeometry = WorldGeometry { width_cells: 4, height_cells: 2, cell_tiles: 32 };

    /// A cell split less than a checkpoint period before its zone died: its quarter has no
    /// checkpoint of its own yet, and comes back with the items of its parent's that lie in it.
    #[tokio::test]
    async fn a_quarter_without_its_own_checkpoint_comes_back_from_its_parents() {
        let store = AnyStore::open(&StoreSpec::Memory).await.unwrap();
        let hot = AnyHot::open(&HotSpec::Memory, &store).await.unwrap();
        let parent = CellId::new(1, 0);
        let [top_left, _, _, bottom_right] = parent.quarters();
        // Tiles 32..64 x 0..32: item 1 in the top-left quarter, 2 in the bottom-right one.
        let lying = |serial, tile: IVec2| GroundRecord {
            item: Item::one(ItemSerial(serial), 10),
            pos: tile * 256 + IVec2::splat(128),
            dropped_by: None,
            dropped_at: None,
        };
        let checkpoint = CellCheckpoint {
            cell: parent,
            tick: Tick(20),
            npcs: Vec::new(),
            items: CellItems {
                ground: vec![lying(1, IVec2::new(33, 1)), lying(2, IVec2::new(62, 30))],
                picked: Vec::new(),
            },
            policy: 0,
            gives: Vec::new(),
        };
        hot.put_checkpoint(parent, Tick(20), checkpoint.encode().unwrap()).await.unwrap();
        for (quarter, serial) in [(top_left, 1), (bottom_right, 2)] {
            let ZoneCommand::RestoreCell { restored, cell, .. } =
                take_cell(quarter, Epoch(3), GEOMETRY, &hot, &store).await
            else {
                panic!("its parent has a checkpoint")
            };
            assert_eq!(cell, quarter);
            assert_eq!(restored.ground.iter().map(|g| g.item.serial.0).collect::<Vec<_>>(), [serial]);
        }
    }

    #[tokio::test]
    async fn a_corrupt_checkpoint_gives_fresh_npcs() {
        let store = AnyStore::open(&StoreSpec::Memory).await.unwrap();
        let hot = AnyHot::open(&HotSpec::Memory, &store).await.unwrap();
        let cell = CellId::new(0, 0);
        hot.put_checkpoint(cell, Tick(3), vec![0xff; 5]).await.unwrap();
        assert!(matches!(take_cell(cell, Epoch(1), GEOMETRY, &hot, &store).await, ZoneCommand::OwnCell { .. }));
    }
}
