//! Hotspot: NPCs crowd the cells of one zone while a few players keep playing over real
//! WebTransport sessions next to it; the in-process coordinator (rebalancing on) moves cells
//! away until every zone's load is within the high watermark. No player session ends, their
//! snapshot streams stay contiguous, and no cell moves back and forth. Prints the convergence
//! time and the number of migrations.

mod support;

use mmo_cluster::{EventKind, MoveReason, Registry};
use mmo_coordinator::policy::PolicyConfig;
use mmo_coordinator::service::ServiceConfig;
use mmo_local::LocalWorldConfig;
use mmo_test_services::wait::poll_until;
use mmo_world::{CellId, WorldGeometry, ZoneId};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use support::{keep_playing, Client, TestWorld};
use tokio::sync::watch;

const PLAYERS: usize = 3;
/// The crowded zone: it owns columns 2 and 3 of the 8 x 2 world.
const HOT: ZoneId = ZoneId(2);
/// NPCs added to each of its four cells.
const CROWD: u32 = 60;
const CAPACITY: u32 = 200;
const HIGH: f32 = 0.7;
/// How long the coordinator may take before the test gives up (a bound, not a measurement).
const GIVE_UP: Duration = Duration::from_secs(90);

fn config() -> LocalWorldConfig {
    let geometry = WorldGeometry { width_cells: 8, height_cells: 2, cell_tiles: 128 };
    LocalWorldConfig {
        geometry,
        zone_capacity: CAPACITY,
        report_period: Duration::from_millis(250),
        coordinator: ServiceConfig {
            rebalance: true,
            period: Duration::from_millis(300),
            policy: PolicyConfig {
                high_watermark: HIGH,
                sustain_periods: 2,
                // Longer than the test: a cell moved once could only move back through flapping.
                cell_cooldown_ms: 120_000,
                ..PolicyConfig::default()
            },
            ..ServiceConfig::new(geometry)
        },
        ..LocalWorldConfig::for_tests()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_coordinator_relieves_a_crowded_zone_without_disturbing_players() {
    let world = TestWorld::start_with(config()).await;
    let control = world.control.clone();
    let registry = control.registry();
    let hot_cells: Vec<CellId> =
        registry.assignments().iter().filter(|(_, a)| a.zone == HOT).map(|(c, _)| *c).collect();
    assert_eq!(hot_cells.len(), 4);

    let (stop, stopped) = watch::channel(false);
    let mut players = Vec::new();
    for i in 0..PLAYERS {
        let client = Client::webtransport(&world).await;
        players.push(tokio::spawn(keep_playing(client, format!("player{i}"), stopped.clone())));
    }

    // Before the crowd: everyone within the watermark, no move.
    let owners_before = registry.assignments();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(registry.assignments().len(), owners_before.len());
    assert!(owners_before.iter().all(|(c, a)| registry.assignments()[c].zone == a.zone), "a calm world stays put");

    // Crowd the hot zone's cells.
    let crowded_at = Instant::now();
    let crowded_ms = mmo_world::unix_ms();
    for &cell in &hot_cells {
        let spawned = control.zones()[&HOT].spawn_npcs(cell, CROWD, None).await.unwrap();
        assert_eq!(spawned.len(), CROWD as usize);
    }

    // Wait until the hot zone reported the crowd, then until the coordinator settled: nothing
    // in flight, every zone reporting after the last move, every load within the watermark.
    let saw_hot = poll_until(GIVE_UP, || async {
        registry.loads().await.unwrap().get(&HOT).is_some_and(|r| r.at_unix_ms > crowded_ms && r.load() > HIGH)
    })
    .await;
    assert!(saw_hot, "the crowded zone reports a load above the watermark");
    let converged = poll_until(GIVE_UP, || async {
        let moves = moves_since(registry, crowded_ms).await;
        let Some(last) = moves.last().map(|m| m.0) else { return false };
        let loads = registry.loads().await.unwrap();
        control.coordinator().status().migrations.is_empty()
            && loads.values().all(|r| r.at_unix_ms > last + 500 && r.load() <= HIGH)
    })
    .await;
    let convergence = crowded_at.elapsed();
    let loads = registry.loads().await.unwrap();
    assert!(
        converged,
        "loads within {HIGH} in time: {:?}",
        loads.iter().map(|(z, r)| (*z, r.load())).collect::<Vec<_>>()
    );

    // It stays settled: a few more periods without a move.
    let moved = moves_since(registry, crowded_ms).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let moved_later = moves_since(registry, crowded_ms).await;
    assert_eq!(moved.len(), moved_later.len(), "no move once settled: {moved_later:?}");

    stop.send(true).unwrap();
    let mut streams = Vec::new();
    for p in players {
        streams.push(p.await.expect("player task").expect("the player's session lasted"));
    }

    // Only the hot zone gave cells away, for the hotspot, each cell at most once (so none went
    // back and forth), and no more than it had.
    for (_, cell, from, to, reason) in &moved {
        assert_eq!(*from, Some(HOT), "{cell} moved from {from:?}");
        assert_ne!(*to, HOT);
        assert!(matches!(reason, MoveReason::Hotspot { .. }), "{cell} moved for {reason:?}");
    }
    let mut per_cell: BTreeMap<CellId, usize> = BTreeMap::new();
    for (_, cell, ..) in &moved {
        *per_cell.entry(*cell).or_default() += 1;
    }
    assert!(per_cell.values().all(|n| *n == 1), "a cell moved twice: {moved:?}");
    assert!(!moved.is_empty() && moved.len() < hot_cells.len(), "migrations: {moved:?}");

    // Players: contiguous snapshot streams across the migrations (a gap of at most one tick).
    for (i, ticks) in streams.iter().enumerate() {
        assert!(ticks.len() > 40, "player{i} played ({} snapshots)", ticks.len());
        let worst = ticks.windows(2).map(|w| w[1] - w[0]).max().unwrap();
        assert!(worst <= 2, "player{i}: a snapshot gap of {worst} ticks");
    }
    let gaps: usize = streams.iter().map(|t| t.windows(2).filter(|w| w[1] != w[0] + 1).count()).sum();
    let loads: Vec<String> = loads.iter().map(|(z, r)| format!("{z}={:.2}", r.load())).collect();
    eprintln!(
        "hotspot: converged in {:.1} s with {} migrations ({}); loads after: {}; snapshot gaps over {PLAYERS} players: {gaps}",
        convergence.as_secs_f64(),
        moved.len(),
        moved.iter().map(|m| format!("{} {:?}->{}", m.1, m.2, m.3)).collect::<Vec<_>>().join(", "),
        loads.join(" ")
    );
    world.stop().await;
}

/// Cell moves logged after `since_ms`: (time, cell, from, to, reason).
async fn moves_since(
    registry: &impl Registry,
    since_ms: u64,
) -> Vec<(u64, CellId, Option<ZoneId>, ZoneId, MoveReason)> {
    registry
        .events(1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.at_unix_ms >= since_ms)
        .filter_map(|e| match e.kind {
            EventKind::CellMoved { cell, from, to, reason, .. } => Some((e.at_unix_ms, cell, from, to, reason)),
            _ => None,
        })
        .collect()
}
