//! Split: NPCs crowd one cell, more than its zone can carry, while players keep playing in and
//! around it over real WebTransport sessions; the in-process coordinator (split/merge on)
//! splits the cell into quarters and moves the quarters on the other zone's side there. No
//! player session ends, their snapshot streams stay contiguous through the split and the
//! quarters' migrations, every entity is in one frame each tick. Prints the figures.

mod support;

use mmo_cluster::{EventKind, Registry};
use mmo_coordinator::policy::PolicyConfig;
use mmo_coordinator::service::ServiceConfig;
use mmo_local::LocalWorldConfig;
use mmo_test_services::wait::poll_until;
use mmo_world::{CellId, WorldGeometry, ZoneId};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};
use support::{keep_playing, Client, TestWorld};
use tokio::sync::watch;

const PLAYERS: usize = 3;
/// The crowded cell: next to the border between the two zones, where the players start.
const CROWDED: CellId = CellId::new(1, 0);
const CROWD: u32 = 180;
const CAPACITY: u32 = 200;
const HIGH: f32 = 0.7;
/// How long the coordinator may take before the test gives up (a bound, not a measurement).
const GIVE_UP: Duration = Duration::from_secs(90);

fn config() -> LocalWorldConfig {
    let geometry = WorldGeometry { width_cells: 4, height_cells: 2, cell_tiles: 128 };
    LocalWorldConfig {
        geometry,
        zones: 2,
        zone_capacity: CAPACITY,
        report_period: Duration::from_millis(250),
        coordinator: ServiceConfig {
            rebalance: true,
            period: Duration::from_millis(300),
            policy: PolicyConfig {
                high_watermark: HIGH,
                sustain_periods: 2,
                split_merge: true,
                // Longer than the test: nothing merges or moves back.
                cell_cooldown_ms: 120_000,
                ..PolicyConfig::default()
            },
            ..ServiceConfig::new(geometry)
        },
        ..LocalWorldConfig::for_tests()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crowded_cell_is_split_and_shared_without_disturbing_players() {
    let world = TestWorld::start_with(config()).await;
    let control = world.control.clone();
    let registry = control.registry();
    let hot: ZoneId = registry.assignments()[&CROWDED].zone;

    let (stop, stopped) = watch::channel(false);
    let mut players = Vec::new();
    for i in 0..PLAYERS {
        let client = Client::webtransport(&world).await;
        players.push(tokio::spawn(keep_playing(client, format!("player{i}"), stopped.clone())));
    }
    let online = poll_until(GIVE_UP, || async {
        let rows: Vec<serde_json::Value> = serde_json::from_str(&world.get("/api/online").await).unwrap_or_default();
        rows.len() >= PLAYERS
    })
    .await;
    assert!(online, "every player joined before the crowd");

    let crowded_at = Instant::now();
    let crowded_ms = mmo_world::unix_ms();
    let spawned = control.zones()[&hot].spawn_npcs(CROWDED, CROWD, None).await.unwrap();
    assert_eq!(spawned.len(), CROWD as usize);

    // The coordinator splits the cell, then gives quarters to the other zone, until every
    // zone is within the watermark.
    let quarters = CROWDED.quarters();
    let shared = poll_until(GIVE_UP, || async {
        let table = registry.assignments();
        let owners: BTreeSet<ZoneId> = quarters.iter().filter_map(|q| table.get(q).map(|a| a.zone)).collect();
        let loads = registry.loads().await.unwrap();
        owners.len() == 2
            && control.coordinator().status().migrations.is_empty()
            && loads.values().all(|r| r.at_unix_ms > crowded_ms && r.load() <= HIGH)
    })
    .await;
    let settled = crowded_at.elapsed();
    let table = registry.assignments();
    let loads = registry.loads().await.unwrap();
    assert!(
        shared,
        "the crowded cell's quarters shared between both zones, loads within {HIGH}: {:?} {:?}",
        table.iter().map(|(c, a)| (*c, a.zone)).collect::<Vec<_>>(),
        loads.iter().map(|(z, r)| (*z, r.load())).collect::<Vec<_>>()
    );
    assert!(!table.contains_key(&CROWDED));
    // Each zone reports the quarters it owns, with the crowd's NPCs spread over them.
    let reported: u32 = loads
        .values()
        .flat_map(|r| r.entities_per_cell.iter().filter(|(c, _)| CROWDED.covers(**c)).map(|(_, n)| *n))
        .sum();
    // (But a few: an NPC patrols, and may have stepped out or be between the zones' reports.)
    assert!(reported >= CROWD * 95 / 100, "the crowd is in the quarters: {reported} of {CROWD}");

    let events = registry.events(1000).await.unwrap();
    let split = events.iter().find_map(|e| match &e.kind {
        EventKind::CellSplit { cell, zone, load, .. } if e.at_unix_ms >= crowded_ms => Some((*cell, *zone, *load)),
        _ => None,
    });
    assert_eq!(split.map(|s| (s.0, s.1)), Some((CROWDED, hot)), "the split is in the decision log");
    let moved: Vec<(CellId, ZoneId)> = events
        .iter()
        .filter(|e| e.at_unix_ms >= crowded_ms)
        .filter_map(|e| match &e.kind {
            EventKind::CellMoved { cell, to, .. } => Some((*cell, *to)),
            _ => None,
        })
        .collect();

    // The players play on through two more seconds of the world's reports after it settled.
    let settled_ms = mmo_world::unix_ms();
    let reported = poll_until(GIVE_UP, || async {
        registry.loads().await.unwrap().values().all(|r| r.at_unix_ms > settled_ms + 2_000)
    })
    .await;
    assert!(reported, "the zones keep reporting");
    stop.send(true).unwrap();
    let mut streams = Vec::new();
    for p in players {
        streams.push(p.await.expect("player task").expect("the player's session lasted"));
    }
    for (i, ticks) in streams.iter().enumerate() {
        assert!(ticks.len() > 40, "player{i} played ({} snapshots)", ticks.len());
        let worst = ticks.windows(2).map(|w| w[1] - w[0]).max().unwrap();
        assert!(worst <= 2, "player{i}: a snapshot gap of {worst} ticks");
    }
    let gaps: usize = streams.iter().map(|t| t.windows(2).filter(|w| w[1] != w[0] + 1).count()).sum();
    eprintln!(
        "split: settled in {:.1} s; split {CROWDED} (load {:.2}), moves {moved:?}; loads after: {:?}; snapshot gaps over {PLAYERS} players: {gaps}",
        settled.as_secs_f64(),
        split.map_or(0.0, |s| s.2),
        loads.iter().map(|(z, r)| format!("{z}={:.2}", r.load())).collect::<Vec<_>>()
    );
    world.stop().await;
}
