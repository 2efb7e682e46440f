//! A player joins over each transport, holds right, and moves right; a second player sees it.

mod support;

use mmo_protocol::ServerControl;
use mmo_world::physics::SUB;
use mmo_world::Buttons;
use support::{Client, Event, TestWorld};

async fn walk_right_and_be_seen(mut a: Client, mut b: Client) {
    let ServerControl::Joined { entity: a_id, .. } = a.join("walker").await else { unreachable!() };
    b.join("watcher").await;
    // Terrain for the cells around the player arrives on the control stream, snapshots as
    // datagrams (in either order).
    let (mut terrain, mut start) = (false, None);
    while !terrain || start.is_none() {
        match a.recv().await {
            Event::Control(ServerControl::Terrain { .. }) => terrain = true,
            Event::Snapshot(s) => start = Some(s.you.body.pos),
            Event::Closed(code) => panic!("closed with {code:?}"),
            Event::Control(_) | Event::Unrebuilt { .. } => {}
        }
    }
    let start = start.unwrap();

    // Hold right (and jump, to clear steps in the ground) for one second, 20 inputs, one per tick.
    let mut seen_by_b = Vec::new();
    for _ in 0..20 {
        a.send_input(Buttons::RIGHT | Buttons::JUMP).await;
        let _ = a.snapshot().await;
        b.send_input(0).await;
        let s = b.snapshot().await;
        seen_by_b.extend(s.entities.values().filter(|k| k.id == a_id).map(|k| k.motion.body.pos));
    }
    let mut end = start;
    for _ in 0..10 {
        a.send_input(0).await;
        end = a.snapshot().await.you.body.pos;
    }
    let moved_tiles = (end.x - start.x) as f64 / SUB as f64;
    assert!(moved_tiles > 3.0, "walker moved {moved_tiles} tiles");
    seen_by_b.dedup();
    assert!(seen_by_b.len() > 5, "the watcher saw the walker move: {seen_by_b:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webtransport_player_moves_and_is_seen() {
    let world = TestWorld::start().await;
    let a = Client::webtransport(&world).await;
    let b = Client::webtransport(&world).await;
    walk_right_and_be_seen(a, b).await;
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_player_moves_and_is_seen() {
    let world = TestWorld::start().await;
    let a = Client::websocket(&world).await;
    let b = Client::websocket(&world).await;
    walk_right_and_be_seen(a, b).await;
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_players_spread_over_the_start_points_their_names_pick() {
    let geometry = mmo_world::WorldGeometry { width_cells: 8, height_cells: 2, cell_tiles: 128 };
    let config = mmo_local::LocalWorldConfig { geometry, start_points: 4, ..mmo_local::LocalWorldConfig::for_tests() };
    let start = mmo_gateway::start::StartPoints::new(&mmo_world::Terrain::new(config.seed, geometry), geometry, 4);
    let world = TestWorld::start_with(config).await;
    let names = ["ann", "bea", "cid", "dot", "eve", "fay"];
    let mut columns = std::collections::BTreeSet::new();
    for name in names {
        let mut client = Client::webtransport(&world).await;
        client.join(name).await;
        let you = support::settle(&mut client).await;
        let (point, _) = start.for_name(name);
        let tiles_away = (you.body.pos.x - point.x).abs() / SUB;
        // The zone places a new player within 8 columns of its start point, on the ground.
        assert!(tiles_away <= 9, "{name} stands at its start point, not {tiles_away} tiles away");
        columns.insert(point.x);
        client.close().await;
    }
    assert!(columns.len() >= 3, "six players started at {} of the 4 start points: {columns:?}", columns.len());
    world.stop().await;
}
