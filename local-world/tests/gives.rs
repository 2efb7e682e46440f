//! `/give` across a zone border: Ann and Bea stand a few tiles apart with a border between
//! them, each simulated by her own zone. Ann's item goes to Bea and back, each serial in
//! exactly one place all along and in the store after they log out; and while the store does
//! not answer, a give waits in the giver's zone's escrow and completes once it answers.

mod support;

use mmo_local::LocalWorldConfig;
use mmo_protocol::{ClientControl, OwnState};
use mmo_store::{DurableStore, SaverConfig, StoreSpec};
use mmo_test_services::wait::{poll_until, wait_for};
use mmo_test_services::{signal, Redis, Signal};
use mmo_world::physics::SUB;
use mmo_world::{Buttons, EntityId, ItemSerial, WorldGeometry};
use std::collections::BTreeMap;
use std::time::Duration;
use support::{Client, TestWorld};

/// Cells of 16 tiles, one column of cells per zone: a border every 16 tiles.
const CELL_TILES: i32 = 16;

fn config() -> LocalWorldConfig {
    let geometry = WorldGeometry { width_cells: 4, height_cells: 4, cell_tiles: CELL_TILES as u16 };
    LocalWorldConfig { geometry, npcs_per_cell: 0, ..LocalWorldConfig::for_tests() }
}

/// Where the zones hold items: each player's inventory (by entity) and the items in escrow.
/// Fails on a serial in two inventories. (An item may be in escrow and in its receiver's
/// inventory at once: the receiver's zone accepted it, the giver's has not heard yet.)
async fn holdings(world: &TestWorld) -> (BTreeMap<EntityId, Vec<ItemSerial>>, Vec<ItemSerial>) {
    let mut inventories = BTreeMap::new();
    let mut escrow = Vec::new();
    let mut all = std::collections::BTreeSet::new();
    for report in world.control.inspect().await {
        for e in report.entities.iter().filter(|e| e.is_player && !e.frozen) {
            let serials: Vec<ItemSerial> = e.items.iter().map(|i| i.serial).collect();
            inventories.insert(e.id, serials);
        }
        escrow.extend(report.escrow.iter().map(|i| i.serial));
    }
    for serial in inventories.values().flatten() {
        assert!(all.insert(*serial), "serial {serial} held twice");
    }
    (inventories, escrow)
}

async fn idle(client: &mut Client) -> OwnState {
    client.send_input(0).await;
    client.snapshot().await.you.clone()
}

fn tile_x(you: &OwnState) -> i32 {
    you.body.pos.x / SUB
}

/// Walks `who` one tick towards tile column `x` (jumping over what stands in the way).
async fn step_towards(who: &mut Client, from: i32, x: i32) {
    let dir = if x > from { Buttons::RIGHT } else { Buttons::LEFT };
    who.send_input(dir | Buttons::JUMP).await;
    who.snapshot().await;
}

/// Puts Bea just across the border on Ann's right (1 to 2 tiles past it, on the next zone)
/// and Ann 2 to 4 tiles before it, both standing still: within giving reach (6 tiles), each
/// simulated by her own zone.
async fn across_a_border(ann: &mut Client, bea: &mut Client) -> (OwnState, OwnState) {
    let a = support::settle(ann).await;
    let border = (tile_x(&a) / CELL_TILES + 1) * CELL_TILES;
    for _ in 0..1200 {
        let (a, b) = (idle(ann).await, idle(bea).await);
        let (ax, bx) = (tile_x(&a), tile_x(&b));
        let bea_placed = (border + 1..=border + 2).contains(&bx) && b.zone != a.zone;
        let ann_placed = (border - 4..=border - 2).contains(&ax);
        match (bea_placed, ann_placed) {
            (false, _) => step_towards(bea, bx, border + 1).await,
            (true, false) => step_towards(ann, ax, border - 3).await,
            (true, true) => {
                let (a, b) = (support::settle(ann).await, support::settle(bea).await);
                if (tile_x(&b) - tile_x(&a)).abs() <= 5 && a.zone != b.zone {
                    return (a, b);
                }
            }
        }
    }
    panic!("Ann and Bea did not come to stand on either side of the border at x = {border}");
}

/// Keeps both players playing until `done` holds of the zones' holdings; those holdings.
async fn play_until(
    world: &TestWorld,
    ann: &mut Client,
    bea: &mut Client,
    what: &str,
    done: impl Fn(&BTreeMap<EntityId, Vec<ItemSerial>>, &[ItemSerial]) -> bool,
) -> BTreeMap<EntityId, Vec<ItemSerial>> {
    for _ in 0..200 {
        idle(ann).await;
        idle(bea).await;
        let (inventories, escrow) = holdings(world).await;
        if done(&inventories, &escrow) {
            return inventories;
        }
    }
    let (inventories, escrow) = holdings(world).await;
    panic!("{what}: not within 200 ticks (inventories {inventories:?}, escrow {escrow:?})");
}

async fn say(client: &mut Client, text: &str) {
    client.send_control(&ClientControl::Chat { text: text.into() }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_item_given_across_a_zone_border_moves_once_and_comes_back() {
    let world = TestWorld::start_with(config()).await;
    let mut ann = Client::websocket(&world).await;
    let mut bea = Client::websocket(&world).await;
    let mmo_protocol::ServerControl::Joined { entity: ann_id, .. } = ann.join("ann").await else { unreachable!() };
    let mmo_protocol::ServerControl::Joined { entity: bea_id, .. } = bea.join("bea").await else { unreachable!() };
    let (a, b) = across_a_border(&mut ann, &mut bea).await;
    eprintln!("Ann on zone {} at x = {}, Bea on zone {} at x = {}", a.zone, tile_x(&a), b.zone, tile_x(&b));

    let (start, _) = holdings(&world).await;
    let (ann_items, bea_items) = (start[&ann_id].clone(), start[&bea_id].clone());
    let given = *ann_items.last().expect("Ann has her starter items");
    say(&mut ann, "/give bea").await;
    let now = play_until(&world, &mut ann, &mut bea, "Bea holds Ann's item", |inv, escrow| {
        inv[&bea_id].contains(&given) && escrow.is_empty()
    })
    .await;
    assert_eq!(now[&ann_id], ann_items[..ann_items.len() - 1], "Ann's newest item left her");
    assert_eq!(now[&bea_id], [bea_items.clone(), vec![given]].concat(), "and is Bea's newest");
    let (a, b) = (idle(&mut ann).await, idle(&mut bea).await);
    assert_ne!(a.zone, b.zone, "the give crossed a zone border");

    say(&mut bea, "/give ann").await;
    let now = play_until(&world, &mut ann, &mut bea, "Ann holds her item again", |inv, escrow| {
        inv[&ann_id].contains(&given) && escrow.is_empty()
    })
    .await;
    assert_eq!(now[&bea_id], bea_items, "Bea gave it back");

    // Both log out: the store holds each serial once, where the gives left it.
    ann.close().await;
    bea.close().await;
    wait_for("both players left", Duration::from_secs(10), || async {
        holdings(&world).await.0.is_empty().then_some(())
    })
    .await;
    let store = world.store.clone();
    world.stop().await;
    let stored = |name: &'static str| {
        let store = store.clone();
        async move {
            let record = store.load(name).await.unwrap().expect("saved");
            record.inventory.iter().map(|i| i.serial).collect::<Vec<_>>()
        }
    };
    let mut ann_stored = stored("ann").await;
    ann_stored.sort_unstable();
    let mut ann_expected = ann_items.clone();
    ann_expected.sort_unstable();
    assert_eq!(ann_stored, ann_expected);
    assert_eq!(stored("bea").await, bea_items);
}

/// The player store (Redis, also holding the zones' checkpoints) stops answering: a give
/// across a border waits in escrow (the item left Ann, Bea does not have it) until Ann's save
/// and the escrow's checkpoint are durable, then completes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_give_across_a_border_waits_for_the_store() {
    let redis = Redis::start().expect("redis-server is needed: run scripts/install-test-deps.sh");
    let saver = SaverConfig {
        interval: Duration::from_millis(50),
        backoff_min: Duration::from_millis(50),
        backoff_max: Duration::from_millis(400),
        ..SaverConfig::default()
    };
    let world =
        TestWorld::start_with(LocalWorldConfig { durable: StoreSpec::Redis(redis.url()), saver, ..config() }).await;
    let mut ann = Client::websocket(&world).await;
    let mut bea = Client::websocket(&world).await;
    let mmo_protocol::ServerControl::Joined { entity: ann_id, .. } = ann.join("ann").await else { unreachable!() };
    let mmo_protocol::ServerControl::Joined { entity: bea_id, .. } = bea.join("bea").await else { unreachable!() };
    across_a_border(&mut ann, &mut bea).await;
    let (start, _) = holdings(&world).await;
    let given = *start[&ann_id].last().expect("Ann has her starter items");

    signal(redis.pid(), Signal::Stop).unwrap();
    say(&mut ann, "/give bea").await;
    play_until(&world, &mut ann, &mut bea, "Ann's item in escrow", |inv, escrow| {
        !inv[&ann_id].contains(&given) && escrow.contains(&given)
    })
    .await;
    // A second of play with the store down: the offer is not sent, Bea never holds the item.
    for _ in 0..20 {
        idle(&mut ann).await;
        idle(&mut bea).await;
        let (inventories, escrow) = holdings(&world).await;
        assert!(escrow.contains(&given) && !inventories[&bea_id].contains(&given), "{inventories:?} {escrow:?}");
    }

    signal(redis.pid(), Signal::Cont).unwrap();
    play_until(&world, &mut ann, &mut bea, "Bea holds the item once the store answers", |inv, escrow| {
        inv[&bea_id].contains(&given) && escrow.is_empty()
    })
    .await;
    let store = world.store.clone();
    let saved = poll_until(Duration::from_secs(10), || async {
        store.load("bea").await.ok().flatten().is_some_and(|r| r.holds(given))
    })
    .await;
    assert!(saved, "Bea's stored record holds the item");
    world.stop().await;
}
