//! Cell checkpoints and ground items across zones: a migrating cell takes its ground items
//! along, and a cell restored from its checkpoint on another zone (its owner died) has the same
//! NPCs and ground items.

mod support;

use mmo_world::{CellId, EntityId, Epoch, ItemSerial, WorldGeometry, ZoneId};
use mmo_zone_core::{ZoneConfig, ZoneCore, CHECKPOINT_EVERY_TICKS};
use support::Cluster;

/// Entity ids for the core under test (the host takes them from the store).
const FIRST_IDS: mmo_world::SerialBlock = mmo_world::SerialBlock::from_start(1, 1 << 20);

const WEST: ZoneId = ZoneId(1);
const EAST: ZoneId = ZoneId(2);

/// A player of `zone` drops its newest item; returns the player, its cell and the item's serial.
fn drop_one(cluster: &mut Cluster, zone: ZoneId, name: &str) -> (EntityId, CellId, ItemSerial) {
    let id = cluster.core_mut(zone).join_player(name.into()).unwrap();
    let me = |c: &Cluster| c.core(zone).report().entities.into_iter().find(|e| e.id == id).unwrap();
    let serial = me(cluster).items.last().unwrap().serial;
    cluster.core_mut(zone).chat(id, "/drop".into());
    cluster.tick();
    assert!(!me(cluster).items.iter().any(|i| i.serial == serial), "dropped");
    (id, me(cluster).cell, serial)
}

#[test]
fn ground_items_move_with_their_cell() {
    let mut cluster = Cluster::halves(3, WorldGeometry::default(), 0);
    let (_, cell, serial) = drop_one(&mut cluster, WEST, "ann");
    assert!(cluster.core(WEST).owned_cells().iter().any(|(c, _)| *c == cell), "dropped in a cell west owns");
    let on_ground = |c: &Cluster, zone| c.core(zone).report().ground_items.iter().any(|i| i.serial == serial);
    assert!(on_ground(&cluster, WEST));

    cluster.move_cell(cell, EAST);
    let mut shown = None;
    for _ in 0..5 {
        let frames = cluster.tick();
        shown = frames.iter().find(|f| f.cell == cell).map(|f| (f.zone, f.items.iter().any(|i| i.serial == serial)));
    }
    let (east, west) = (on_ground(&cluster, EAST), on_ground(&cluster, WEST));
    assert!(
        east && !west,
        "the item went with the cell (and its dropper, still in grace, left it lying): east {east}, west {west}"
    );
    assert_eq!(shown, Some((EAST, true)), "the new owner shows it in the cell's frame");
    let checkpoint = cluster.core_mut(EAST).take_checkpoints().into_iter().find(|c| c.cell == cell);
    assert!(checkpoint.is_some(), "the item's arrival changed the cell: it is checkpointed");
    let checkpoint = checkpoint.unwrap();
    assert_eq!(checkpoint.items.ground.len(), 1);
    assert_eq!(checkpoint.items.ground[0].dropped_by.as_deref(), Some("ann"));
}

#[test]
fn a_cell_restored_from_its_checkpoint_has_its_npcs_and_ground_items() {
    let geometry = WorldGeometry::default();
    let mut cluster = Cluster::halves(5, geometry, 0);
    let (_, cell, serial) = drop_one(&mut cluster, WEST, "bob");
    let npcs = cluster.core_mut(WEST).spawn_npcs_in(cell, 6, None);
    assert_eq!(npcs.len(), 6);
    while !cluster.now.0.is_multiple_of(CHECKPOINT_EVERY_TICKS) {
        cluster.tick();
    }
    let checkpoints = cluster.core_mut(WEST).take_checkpoints();
    let owned = cluster.core(WEST).owned_cells().len();
    assert_eq!(checkpoints.len(), owned, "every owned cell every {CHECKPOINT_EVERY_TICKS} ticks");
    let checkpoint = checkpoints.into_iter().find(|c| c.cell == cell).unwrap();

    // West died; a new zone takes the cell from the checkpoint. Bob's drop was saved.
    // (Its bytes in hot state round-trip: `mmo_cluster::checkpoint`'s tests.)
    let restored = checkpoint.clone().resolve(|_, _| false);
    let mut heir = ZoneCore::new(ZoneConfig { zone: ZoneId(3), seed: 9, geometry, npcs_per_cell: 4 }, FIRST_IDS);
    heir.restore_cell(cell, Epoch(100), restored);
    let frame = heir.tick(cluster.now.next(), &mut ()).into_iter().find(|f| f.cell == cell).unwrap();
    assert_eq!(frame.entities.len(), npcs.len(), "the checkpoint's NPCs, not fresh ones");
    assert!(frame.entities.iter().all(|e| e.id.0 >> 40 == 3), "under the heir's own ids");
    assert_eq!(frame.items.iter().map(|i| i.serial).collect::<Vec<_>>(), vec![serial]);

    // Had bob's save of the drop been lost, the item would be his again, not on the ground.
    let restored = checkpoint.resolve(|name, s| name == "bob" && s == serial);
    assert!(restored.ground.is_empty());
}
