//! A scripted player walks back and forth across the borders of four zones, over a real
//! WebTransport session, and never notices: one session, a tick-contiguous snapshot stream,
//! exactly one zone simulating (and publishing) the player at every tick, HP, XP and items as
//! they were.

mod support;

use mmo_local::LocalWorldConfig;
use mmo_protocol::ServerControl;
use mmo_world::physics::SUB;
use mmo_world::{Buttons, EntityId, WorldGeometry, ZoneId};
use std::time::Duration;
use support::audit::Audit;
use support::{Client, TestWorld};

/// Four zones, one column of cells each, cells of 16 tiles: borders every 16 tiles.
fn narrow_world() -> LocalWorldConfig {
    LocalWorldConfig {
        geometry: WorldGeometry { width_cells: 4, height_cells: 4, cell_tiles: 16 },
        npcs_per_cell: 0,
        ..LocalWorldConfig::for_tests()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_player_walks_across_ten_borders_without_noticing() {
    walk_across_borders(narrow_world(), 10).await;
}

/// With 60 ms between zones, a transfer sent at the end of tick T reaches the destination after
/// it ran T+1: it simulates the player from T+2. The gateway shows the player as last seen for
/// the tick it was in transit, so the client's stream still has no gap.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handoff_slowed_by_zone_latency_leaves_no_gap() {
    let config = LocalWorldConfig { zone_latency: Duration::from_millis(60), ..narrow_world() };
    let in_transit = walk_across_borders(config, 6).await;
    assert!(in_transit > 0, "the late handoffs left ticks in transit");
}

/// A player walks back and forth until it crossed `crossings` borders; checks everything the
/// module docs list and returns the number of ticks it was shown in transit.
async fn walk_across_borders(config: LocalWorldConfig, wanted: usize) -> usize {
    let world = TestWorld::start_with(config).await;
    let audit = Audit::start(&world.control).await;
    let mut client = Client::webtransport(&world).await;
    let ServerControl::Joined { entity, zone: joined_zone, .. } = client.join("walker").await else { unreachable!() };

    let first = client.snapshot().await;
    let start_items =
        world.control.inspect().await.into_iter().flat_map(|r| r.entities).find(|e| e.id == entity).unwrap();
    let mut snapshots: Vec<std::sync::Arc<mmo_protocol::View>> = vec![first];
    let (mut left, mut crossings, mut sweeps_checked) = (true, 0, 0);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    while crossings < wanted {
        assert!(tokio::time::Instant::now() < deadline, "only {crossings} crossings in time");
        let dir = if left { Buttons::LEFT } else { Buttons::RIGHT };
        client.send_input(dir | Buttons::JUMP).await;
        let s = client.snapshot().await;
        let x_tiles = s.you.body.pos.x / SUB;
        // Sweep between the west and east ends: crossing 3 borders each way.
        if left && x_tiles < 8 || !left && x_tiles > 56 {
            left = !left;
        }
        if s.you.zone != snapshots.last().unwrap().you.zone {
            crossings += 1;
        }
        assert_eq!((s.you.hp, s.you.xp, s.you.entity), (100, 0, entity), "crossings change nothing");
        snapshots.push(s);
        // Now and then, every zone's own account: exactly one simulates the player (or it is in
        // transit between two).
        if snapshots.len().is_multiple_of(25) {
            let rs = world.control.inspect().await;
            if rs.iter().all(|r| r.tick == rs[0].tick) {
                let holders: Vec<ZoneId> = rs
                    .iter()
                    .filter(|r| r.entities.iter().any(|e| e.id == entity && !e.frozen))
                    .map(|r| r.zone)
                    .collect();
                // None only while it is in transit: frozen at the source, the transfer on its way.
                let in_transit = rs.iter().any(|r| r.entities.iter().any(|e| e.id == entity && e.frozen));
                assert!(
                    holders.len() == 1 || holders.is_empty() && in_transit,
                    "simulated by one zone at {}: {holders:?}",
                    rs[0].tick
                );
                sweeps_checked += 1;
            }
        }
    }
    // Stand still.
    for _ in 0..10 {
        client.send_input(0).await;
        client.snapshot().await;
    }
    audit.wait_past(snapshots.last().unwrap().tick).await;

    // The session never changed; the snapshot stream is tick-contiguous across every crossing.
    let ticks: Vec<u64> = snapshots.iter().map(|s| s.tick.0).collect();
    let gaps: Vec<(u64, u64)> = ticks.windows(2).filter(|w| w[1] != w[0] + 1).map(|w| (w[0], w[1])).collect();
    let zones_seen: std::collections::BTreeSet<ZoneId> = snapshots.iter().map(|s| s.you.zone).collect();
    assert!(zones_seen.len() >= 3, "walked through zones {zones_seen:?}");
    assert_eq!(snapshots[0].you.zone, joined_zone);
    let skipped: u64 = world.control.inspect().await.iter().map(|r| r.ticks_skipped).sum();
    let around = |t: u64| -> Vec<String> {
        audit
            .by_tick()
            .range(mmo_world::Tick(t - 2)..=mmo_world::Tick(t + 2))
            .flat_map(|(t, fs)| fs.iter().filter(|f| f.shows(entity)).map(move |f| format!("{t}: {}", f.zone)))
            .collect()
    };
    let published: Vec<_> = gaps.iter().map(|&(a, _)| around(a + 1)).collect();
    assert!(
        gaps.is_empty(),
        "snapshot gaps {gaps:?} over {} snapshots (zones skipped {skipped} ticks); published around them: {published:?}",
        ticks.len()
    );

    // Every tick of the walk was published by exactly one zone (the one simulating it), and the
    // zone the client was told matches; or, at a crossing whose destination started a tick late,
    // by none: the player was in transit, and the gateway sent it as last seen.
    let publishers = audit.publishers(entity);
    let mut in_transit = 0;
    for (i, s) in snapshots.iter().enumerate() {
        let zones = &publishers[&s.tick];
        if zones.is_empty() && i > 0 {
            let before = &snapshots[i - 1].you;
            assert_eq!(
                (s.you.body, s.you.last_input_seq),
                (before.body, before.last_input_seq),
                "{}: as last seen",
                s.tick
            );
            let next = snapshots[i + 1..].iter().find(|n| !publishers[&n.tick].is_empty()).expect("published again");
            assert_ne!(next.you.zone, before.zone, "{}: in transit only between two zones", s.tick);
            in_transit += 1;
            continue;
        }
        if zones.len() != 1 {
            for (t, fs) in audit.by_tick().range(mmo_world::Tick(s.tick.0 - 3)..mmo_world::Tick(s.tick.0 + 3)) {
                for f in fs {
                    if let Some(e) = f.entities.iter().find(|e| e.id == entity) {
                        eprintln!(
                            "{t} {} {} epoch {} pos {} seq {}",
                            f.zone, f.cell, f.epoch, e.body.pos, e.last_input_seq
                        );
                    }
                }
            }
        }
        assert_eq!(zones, &vec![s.you.zone], "tick {}: published by {zones:?}, snapshot says {}", s.tick, s.you.zone);
    }
    assert!(sweeps_checked > 0, "zone reports were compared at least once");
    eprintln!("{crossings} crossings, {} snapshots, {in_transit} ticks in transit", snapshots.len());

    let end = world.control.inspect().await;
    let holders: Vec<_> = end.iter().flat_map(|r| r.entities.iter()).filter(|e| e.id == entity && !e.frozen).collect();
    assert_eq!(holders.len(), 1, "one zone simulates it: {holders:?}");
    let me = holders[0];
    assert_eq!((me.hp, me.xp, &me.items, me.frozen), (100, 0, &start_items.items, false), "HP, XP, items kept");
    assert!(me.authority_epoch.0 as usize >= wanted, "one authority epoch per handoff");
    drop(client);
    world.stop().await;
    in_transit
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_reroutes_input_to_the_new_zone() {
    let world = TestWorld::start_with(narrow_world()).await;
    let mut client = Client::webtransport(&world).await;
    let ServerControl::Joined { entity, .. } = client.join("runner").await else { unreachable!() };
    let mut last = client.snapshot().await;
    let start_zone = last.you.zone;
    // Walk west until another zone simulates the player, then keep going a while: the inputs
    // reach the new zone (it keeps applying them, in order).
    let mut after = 0;
    for _ in 0..400 {
        client.send_input(Buttons::LEFT | Buttons::JUMP).await;
        let s = client.snapshot().await;
        assert!(s.you.last_input_seq >= last.you.last_input_seq);
        last = s;
        if last.you.zone != start_zone {
            after += 1;
            if after == 40 {
                break;
            }
        }
    }
    assert_eq!(after, 40, "crossed into another zone");
    assert!(client.seq - last.you.last_input_seq <= 4, "inputs keep being applied after the crossing");
    let reports = world.control.inspect().await;
    let simulating: Vec<ZoneId> =
        reports.iter().filter(|r| r.entities.iter().any(|e| e.id == entity && !e.frozen)).map(|r| r.zone).collect();
    assert_eq!(simulating, [last.you.zone]);
    let _: EntityId = entity;
    world.stop().await;
}
