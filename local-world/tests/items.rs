//! Items in play keep their serials: over a scripted session (NPC kills dropping items, pick-ups
//! by walking over them, `/drop`, `/give`), every serial is in exactly one place, checked
//! against the zone and, after both players logged out, against the store.

mod support;

use mmo_local::LocalWorldConfig;
use mmo_protocol::{ClientControl, OwnState, ServerControl};
use mmo_store::{DurableStore, StoreSpec};
use mmo_test_services::wait::wait_for;
use mmo_world::physics::SUB;
use mmo_world::{Buttons, EntityId, ItemSerial};
use std::collections::BTreeSet;
use support::{Client, TestWorld};

/// Every serial the zones hold: in inventories (by player) and on the ground. Fails on a
/// serial held twice.
async fn holdings(world: &TestWorld) -> (Vec<(EntityId, Vec<ItemSerial>)>, Vec<ItemSerial>, BTreeSet<ItemSerial>) {
    let reports = world.control.inspect().await;
    let mut all = BTreeSet::new();
    let mut inventories = Vec::new();
    let mut ground = Vec::new();
    for report in &reports {
        for e in report.entities.iter().filter(|e| e.is_player) {
            let ids: Vec<ItemSerial> = e.items.iter().map(|i| i.serial).collect();
            for &id in &ids {
                assert!(all.insert(id), "serial {id} held twice");
            }
            inventories.push((e.id, ids));
        }
        for item in &report.ground_items {
            assert!(all.insert(item.serial), "serial {} held twice", item.serial);
            ground.push(item.serial);
        }
    }
    let minted = reports.iter().flat_map(|r| r.minted.iter().copied()).collect();
    (inventories, ground, minted)
}

fn inventory(holdings: &[(EntityId, Vec<ItemSerial>)], id: EntityId) -> Vec<ItemSerial> {
    holdings.iter().find(|(e, _)| *e == id).map(|(_, items)| items.clone()).unwrap_or_default()
}

async fn idle(client: &mut Client) -> OwnState {
    client.send_input(0).await;
    client.snapshot().await.you.clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn item_serials_are_conserved_through_drops_pickups_and_gives() {
    let dir = std::env::temp_dir().join(format!("mmo-items-{}", std::process::id()));
    std::fs::remove_dir_all(&dir).ok();
    // One zone: a give needs both players on the same zone.
    let config = LocalWorldConfig { zones: 1, durable: StoreSpec::Redb(dir.clone()), ..LocalWorldConfig::for_tests() };
    let world = TestWorld::start_with(config).await;
    let mut ann = Client::websocket(&world).await;
    let mut bea = Client::websocket(&world).await;
    let ServerControl::Joined { entity: ann_id, .. } = ann.join("ann").await else { unreachable!() };
    let ServerControl::Joined { entity: bea_id, .. } = bea.join("bea").await else { unreachable!() };
    // The client is told its inventory (the HUD shows it).
    let shown = ann
        .until(5, |e| match e {
            support::Event::Control(ServerControl::Inventory { items }) => Some(items.clone()),
            _ => None,
        })
        .await;
    let (start, _, _) = holdings(&world).await;
    let mut shown: Vec<ItemSerial> = shown.iter().map(|i| i.serial).collect();
    shown.sort_unstable();
    assert_eq!(shown, inventory(&start, ann_id), "the inventory sent to the client is the zone's");
    let starters: BTreeSet<ItemSerial> = start.iter().flat_map(|(_, items)| items.iter().copied()).collect();
    assert_eq!(starters.len(), 4, "two starter items each, four serials");

    // Bea walks to Ann.
    for _ in 0..400 {
        let a = idle(&mut ann).await.body.pos;
        let b = idle(&mut bea).await.body.pos;
        let dx = a.x - b.x;
        if dx.abs() <= 2 * SUB {
            break;
        }
        bea.send_input(if dx > 0 { Buttons::RIGHT } else { Buttons::LEFT } | Buttons::JUMP).await;
        bea.snapshot().await;
    }

    // Ann fights NPCs spawned on her until she has picked up two drops.
    let you = idle(&mut ann).await;
    world.control.zones()[&you.zone].spawn_npcs(you.cell, 4, Some(you.body.pos)).await.unwrap();
    let mut picked = false;
    for i in 0..1200u32 {
        let facing = if (i / 10) % 2 == 0 { Buttons::LEFT } else { Buttons::RIGHT };
        ann.send_input(Buttons::ATTACK | if i % 10 == 0 { facing } else { 0 }).await;
        ann.snapshot().await;
        idle(&mut bea).await;
        if i % 20 == 19 {
            let (now, _, minted) = holdings(&world).await;
            if minted.len() >= 2 && inventory(&now, ann_id).len() >= 4 {
                picked = true;
                break;
            }
        }
    }
    assert!(picked, "Ann killed NPCs and picked up what they dropped");
    settle_fight(&mut ann, &mut bea).await;

    // Ann drops one item and gives one to Bea, who stands within giving reach but too far to
    // pick up what Ann drops. A give to a player who is not there (Bea knocked down by an NPC
    // meanwhile) does nothing, and is asked again once Bea is back in reach.
    stand_beside(&mut bea, &mut ann).await;
    let (before, _, _) = holdings(&world).await;
    let ann_before = inventory(&before, ann_id);
    let bea_before = inventory(&before, bea_id);
    ann.send_control(&ClientControl::Chat { text: "/drop".into() }).await;
    ann.send_control(&ClientControl::Chat { text: "/give bea".into() }).await;
    let mut moved = false;
    let mut last = (Vec::new(), Vec::new(), Vec::new());
    for i in 1..=200 {
        idle(&mut ann).await;
        idle(&mut bea).await;
        let (now, ground, _) = holdings(&world).await;
        let (ann_now, bea_now) = (inventory(&now, ann_id), inventory(&now, bea_id));
        if ann_now.len() == ann_before.len() - 2 && bea_now.len() == bea_before.len() + 1 {
            assert!(ground.contains(ann_before.last().unwrap()), "the dropped item lies on the ground");
            moved = true;
            break;
        }
        if i % 40 == 0 && ann_now.len() == ann_before.len() - 1 && bea_now == bea_before {
            stand_beside(&mut bea, &mut ann).await;
            ann.send_control(&ClientControl::Chat { text: "/give bea".into() }).await;
        }
        last = (ann_now, bea_now, ground);
    }
    let (ann_now, bea_now, ground) = last;
    assert!(
        moved,
        "the drop and the give happened: Ann {ann_before:?} -> {ann_now:?}, Bea {bea_before:?} -> {bea_now:?}, ground {ground:?}"
    );

    let (_, _, minted) = holdings(&world).await;
    let expected: BTreeSet<ItemSerial> = starters.union(&minted).copied().collect();
    let (held_inv, held_ground, _) = holdings(&world).await;
    let held: BTreeSet<ItemSerial> =
        held_inv.iter().flat_map(|(_, items)| items.iter().copied()).chain(held_ground.iter().copied()).collect();
    assert_eq!(held, expected, "every serial in play is held exactly once, none lost");

    // Both log out; then the store and the ground hold every serial, once.
    drop(ann);
    drop(bea);
    let ground = wait_for("both players left the zones", std::time::Duration::from_secs(10), || async {
        let (players, ground, _) = holdings(&world).await;
        players.is_empty().then_some(ground)
    })
    .await;
    let store = world.store.clone();
    world.stop().await;
    let mut stored: Vec<ItemSerial> = Vec::new();
    for name in ["ann", "bea"] {
        let record = store.load(name).await.unwrap().expect("saved");
        stored.extend(record.inventory.iter().map(|i| i.serial));
    }
    drop(store);
    let total = stored.len() + ground.len();
    let all: BTreeSet<ItemSerial> = stored.into_iter().chain(ground).collect();
    assert_eq!(all.len(), total, "no serial both stored and on the ground, or stored twice");
    assert_eq!(all, expected, "no serial lost between the zone and the store");
    std::fs::remove_dir_all(dir).ok();
}

/// Keeps both players idle for a second (the last NPC swings and drops settle).
async fn settle_fight(ann: &mut Client, bea: &mut Client) {
    for _ in 0..20 {
        idle(ann).await;
        idle(bea).await;
    }
}

/// Walks Bea until she stands still on the ground 2 to 4 tiles beside Ann: within giving reach,
/// beyond picking up what Ann drops.
async fn stand_beside(bea: &mut Client, ann: &mut Client) {
    for _ in 0..400 {
        let a = idle(ann).await.body;
        let b = idle(bea).await.body;
        let side = if b.pos.x >= a.pos.x { 1 } else { -1 };
        let error = a.pos.x + side * 3 * SUB - b.pos.x;
        if error.abs() <= SUB && b.vel.x == 0 && b.on_ground {
            return;
        }
        if error.abs() > SUB / 2 {
            bea.send_input(if error > 0 { Buttons::RIGHT } else { Buttons::LEFT }).await;
            bea.snapshot().await;
        }
    }
    panic!("Bea did not come to stand beside Ann");
}
