//! Cell checkpoints and ground items across zones: a migrating cell takes its ground items
//! along, and a cell restored from its checkpoint on another zone (its owner died) has the same
//! NPCs and ground items.

mod support;

use mmo_records::{Item, PlayerRecord, PICKUP_RECEIPTS};
use mmo_world::{CellId, EntityId, Epoch, ItemSerial, WorldGeometry, ZoneId};
use mmo_zone_core::{ZoneConfig, ZoneCore, CHECKPOINT_EVERY_TICKS};
use std::collections::HashMap;
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
    let restored = checkpoint.clone().resolve(|_| None);
    let mut heir = ZoneCore::new(
        ZoneConfig { zone: ZoneId(3), seed: 9, geometry, npcs_per_cell: 4, npc_brain: Default::default() },
        FIRST_IDS,
    );
    heir.restore_cell(cell, Epoch(100), restored);
    let frame = heir.tick(cluster.now.next(), &mut ()).into_iter().find(|f| f.cell == cell).unwrap();
    assert_eq!(frame.entities.len(), npcs.len(), "the checkpoint's NPCs, not fresh ones");
    assert!(frame.entities.iter().all(|e| e.id.0 >> 40 == 3), "under the heir's own ids");
    assert_eq!(frame.items.iter().map(|i| i.serial).collect::<Vec<_>>(), vec![serial]);

    // Had bob's save of the drop been lost, the item would be his again, not on the ground.
    let mut bob = PlayerRecord::new("bob", None, glam::IVec2::ZERO, cell);
    bob.inventory.push(Item::one(serial, 1));
    let restored = checkpoint.resolve(|name| (name == "bob").then_some(&bob));
    assert!(restored.ground.is_empty());
}

/// The store as the zone leaves it: the newest record taken of each player whose inventory
/// changed in the tick just run (the runtime flushes them at once; a give is also one store
/// transaction whose result these records match).
fn save_changes(core: &mut ZoneCore, stored: &mut HashMap<String, PlayerRecord>) {
    let changed = core.take_inventory_changes();
    for record in core.take_saves_of(&changed) {
        stored.insert(record.name.clone(), record);
    }
}

/// The soak's duplication: ann picks up an item, gives it to bob (both durable), then her zone
/// dies within the 10 s the pickup stays in the cell's checkpoints. Ann's stored inventory no
/// longer holds the item, yet her pickup was durable: it must not come back on the ground
/// while bob holds it.
#[test]
fn an_item_picked_up_then_given_away_is_not_restored_on_the_ground() {
    let mut cluster = Cluster::halves(7, WorldGeometry::default(), 0);
    let mut stored = HashMap::new();
    let core = cluster.core_mut(WEST);
    let ann = core.join_player("ann".into()).unwrap();
    let _bob = core.join_player("bob".into()).unwrap();
    let cy = core.join_player("cy".into()).unwrap();
    save_changes(core, &mut stored);
    let serial = core.report().entities.into_iter().find(|e| e.id == cy).unwrap().items.last().unwrap().serial;
    let mut checkpoints = Vec::new();
    // cy drops its item; ann, standing on it and first in line, picks it up in the same tick.
    cluster.core_mut(WEST).chat(cy, "/drop".into());
    cluster.tick();
    let core = cluster.core_mut(WEST);
    checkpoints.extend(core.take_checkpoints());
    save_changes(core, &mut stored);
    let holds = |stored: &HashMap<String, PlayerRecord>, name: &str| stored.get(name).is_some_and(|r| r.holds(serial));
    assert!(holds(&stored, "ann"), "ann picked it up");
    core.chat(ann, "/give bob".into());
    cluster.tick();
    let core = cluster.core_mut(WEST);
    checkpoints.extend(core.take_checkpoints());
    save_changes(core, &mut stored);
    assert!(holds(&stored, "bob") && !holds(&stored, "ann"), "given to bob");
    assert!(stored["ann"].picked_up(serial), "ann's record keeps the receipt of her pickup");

    let cell = cluster.core(WEST).report().entities.into_iter().find(|e| e.id == ann).unwrap().cell;
    let checkpoint = checkpoints.into_iter().rev().find(|c| c.cell == cell).expect("the pickup's checkpoint");
    assert!(checkpoint.items.picked.iter().any(|p| p.item.serial == serial && &*p.by == "ann"));
    let restored = checkpoint.resolve(|name| stored.get(name));
    assert!(
        !restored.ground.iter().any(|g| g.item.serial == serial),
        "bob holds the item: it must not also come back on the ground"
    );
}

/// A pickup adds its receipt to the picker, and the record the zone saves for the inventory
/// change carries it; a player keeps the latest [`PICKUP_RECEIPTS`] receipts, oldest dropped
/// first, and they travel with it in a handoff.
#[test]
fn a_pickup_leaves_a_receipt_in_the_saved_record_bounded() {
    let mut cluster = Cluster::halves(11, WorldGeometry::default(), 0);
    let core = cluster.core_mut(WEST);
    let ann = core.join_player("ann".into()).unwrap();
    let at = core.entity(ann).unwrap().body.pos;
    // cy stands on ann's spot with more items than ann keeps receipts of, and drops them all.
    let extra = 6;
    let mut cy = PlayerRecord::new("cy", None, at, CellId::default());
    cy.version = 1;
    cy.inventory = (0..PICKUP_RECEIPTS as u64 + extra).map(|i| Item::one(ItemSerial(900_000 + i), 10)).collect();
    let dropped_order: Vec<ItemSerial> = cy.inventory.iter().rev().map(|i| i.serial).collect();
    let cy_id = core.join_saved(cy, None).unwrap();
    core.take_inventory_changes();

    // One item first: one receipt, in the record saved at once.
    core.chat(cy_id, "/drop".into());
    cluster.tick();
    let core = cluster.core_mut(WEST);
    let changed = core.take_inventory_changes();
    assert!(changed.contains(&ann), "ann's inventory changed: she is saved at once");
    let saved = core.take_saves_of(&changed).into_iter().find(|r| r.name == "ann").unwrap();
    assert!(saved.holds(dropped_order[0]));
    assert_eq!(saved.picked, vec![dropped_order[0]]);

    // Then all the rest in one tick: ann picks up the pile whole, and keeps the latest receipts.
    for _ in 1..dropped_order.len() {
        core.chat(cy_id, "/drop".into());
    }
    cluster.tick();
    let core = cluster.core_mut(WEST);
    let changed = core.take_inventory_changes();
    let saved = core.take_saves_of(&changed).into_iter().find(|r| r.name == "ann").unwrap();
    assert_eq!(saved.inventory.len(), 2 + dropped_order.len(), "her starter items and the whole pile");
    assert_eq!(saved.picked.len(), PICKUP_RECEIPTS);
    assert_eq!(saved.picked, dropped_order[extra as usize..], "the latest, oldest first");

    // The receipts travel with ann into the other zone, whose saves keep them.
    let cell = cluster.core(WEST).report().entities.into_iter().find(|e| e.id == ann).unwrap().cell;
    cluster.move_cell(cell, EAST);
    for _ in 0..5 {
        cluster.tick();
    }
    assert_eq!(cluster.holders(ann), vec![EAST]);
    let moved = cluster.core_mut(EAST).take_all_saves().into_iter().find(|r| r.name == "ann").unwrap();
    assert_eq!(moved.picked, saved.picked);
}

/// Hands `cell` from west to east, but the transfer never reaches east, and east is then
/// declared lost: west takes back what it sent. Returns the tick the transfer left at.
fn hand_to_a_zone_that_dies(cluster: &mut Cluster, cell: CellId) -> mmo_world::Tick {
    cluster.move_cell(cell, EAST);
    let west = cluster.core_mut(WEST);
    let sent_at = west.report().tick.next();
    west.tick(sent_at, &mut ());
    let sent = west.drain_outbox();
    assert!(sent.iter().any(|(to, _)| *to == EAST), "the cell was handed over");
    west.zone_lost(EAST);
    sent_at
}

/// East may have taken the cell and written its state before it died, so west does not take
/// the cell's items and NPCs back: it writes them as they left, as a checkpoint of that tick,
/// which whichever zone takes the cell restores (unless east wrote a newer one).
#[test]
fn a_cell_handed_to_a_zone_that_died_before_answering_goes_to_hot_state_as_it_left() {
    let mut cluster = Cluster::halves(3, WorldGeometry::default(), 4);
    let (ann, cell, serial) = drop_one(&mut cluster, WEST, "ann");
    let npcs_in = |c: &ZoneCore| c.report().entities.iter().filter(|e| !e.is_player && e.cell == cell).count();
    assert!(npcs_in(cluster.core(WEST)) > 0);
    let sent_at = hand_to_a_zone_that_dies(&mut cluster, cell);

    let west = cluster.core_mut(WEST);
    let report = west.report();
    assert!(!report.ground_items.iter().any(|i| i.serial == serial), "the item is not taken back");
    assert_eq!(npcs_in(west), 0, "nor the cell's NPCs");
    assert!(report.entities.iter().any(|e| e.id == ann && !e.frozen), "its players are: they play on");
    let checkpoints = west.take_checkpoints();
    let handback = checkpoints.iter().find(|c| c.cell == cell).expect("a checkpoint of the cell");
    assert_eq!(handback.tick, sent_at);
    assert!(handback.items.ground.iter().any(|g| g.item.serial == serial));
    assert_eq!(handback.npcs.len(), 4);
}

/// East took ann and saved her with a new item before it died: the copy west takes back goes on
/// with her stored record. A record east never wrote (not newer) changes nothing.
#[test]
fn a_player_taken_back_from_a_dead_zone_goes_on_with_what_it_saved() {
    let mut cluster = Cluster::halves(3, WorldGeometry::default(), 0);
    let (ann, cell, _) = drop_one(&mut cluster, WEST, "ann");
    hand_to_a_zone_that_dies(&mut cluster, cell);
    let west = cluster.core_mut(WEST);
    assert_eq!(west.take_reconciles(), vec![(ann, "ann".into())]);
    let items = |c: &ZoneCore| -> Vec<u64> {
        c.report().entities.iter().find(|e| e.id == ann).unwrap().items.iter().map(|i| i.serial.0).collect()
    };
    let before = items(west);
    let mut stored = PlayerRecord::new("ann", None, glam::IVec2::ZERO, cell);
    stored.inventory = vec![Item::one(ItemSerial(999), 10)];
    stored.version = 0;
    west.reconcile(ann, &stored);
    assert_eq!(items(west), before, "an older record changes nothing");
    stored.version = 1 << 40;
    west.reconcile(ann, &stored);
    assert_eq!(items(west), vec![999], "what east saved");
    assert_eq!(west.take_saves_of(&[ann])[0].version, (1 << 40) + 1, "saves go on from its version");
}
