//! A measurement, not run by default: bots (real WebTransport sessions) walk back and forth
//! across the border between zones 2 and 3 until they crossed it 1,000 times together, and we
//! count the snapshot gaps at the crossings (the goal is zero) and read the handoff latency
//! (transfer sent to destination simulating) from the zones.
//!
//! `cargo test --release -p mmo-local --test crossings -- --ignored --nocapture`
//! (`MMO_CROSSINGS` and `MMO_BOTS` change the counts).

mod support;

use mmo_local::LocalWorldConfig;
use mmo_world::{Buttons, TickClock};
use std::time::Duration;
use support::{Client, TestWorld};

/// What one bot saw: (snapshot tick, zone) per snapshot.
async fn bot(mut client: Client, name: String, crossings: usize) -> Vec<(u64, u32)> {
    client.join(&name).await;
    let mut seen = Vec::new();
    let mut west = true;
    let mut crossed = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(600);
    while crossed < crossings && tokio::time::Instant::now() < deadline {
        let s = client.snapshot().await;
        if seen.last().is_some_and(|&(_, z)| z != s.you.zone.0) {
            crossed += 1;
            west = !west;
        }
        seen.push((s.tick.0, s.you.zone.0));
        client.send_input(if west { Buttons::LEFT } else { Buttons::RIGHT } | Buttons::JUMP).await;
    }
    seen
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement: about a minute; run with --ignored --nocapture"]
async fn a_thousand_border_crossings() {
    let total: usize = std::env::var("MMO_CROSSINGS").ok().and_then(|v| v.parse().ok()).unwrap_or(1000);
    let bots: usize = std::env::var("MMO_BOTS").ok().and_then(|v| v.parse().ok()).unwrap_or(20);
    let world = TestWorld::start_with(LocalWorldConfig { npcs_per_cell: 0, ..LocalWorldConfig::for_tests() }).await;
    let mut tasks = Vec::new();
    for i in 0..bots {
        let client = Client::webtransport(&world).await;
        tasks.push(tokio::spawn(bot(client, format!("bot{i}"), total.div_ceil(bots))));
    }
    let mut crossings = 0;
    let (mut gaps_at_crossings, mut gaps_near_crossings, mut gaps, mut snapshots) = (0, 0, 0, 0);
    for t in tasks {
        let seen = t.await.expect("bot");
        snapshots += seen.len();
        gaps += seen.windows(2).filter(|w| w[1].0 != w[0].0 + 1).count();
        for i in 1..seen.len() {
            if seen[i].1 == seen[i - 1].1 {
                continue;
            }
            crossings += 1;
            if seen[i].0 != seen[i - 1].0 + 1 {
                gaps_at_crossings += 1;
            }
            let (lo, hi) = (i.saturating_sub(3).max(1), (i + 3).min(seen.len() - 1));
            if (lo..=hi).any(|j| seen[j].0 != seen[j - 1].0 + 1) {
                gaps_near_crossings += 1;
            }
        }
    }
    let reports = world.control.inspect().await;
    let mut ticks: Vec<u64> = reports.iter().flat_map(|r| r.handoff_latencies.iter().map(|l| l.0)).collect();
    let mut micros: Vec<u64> = reports.iter().flat_map(|r| r.handoff_latencies.iter().map(|l| l.1)).collect();
    ticks.sort_unstable();
    micros.sort_unstable();
    let skipped: u64 = reports.iter().map(|r| r.ticks_skipped).sum();
    let tick_ms = TickClock::DEFAULT_TICK_MS;
    eprintln!("crossings: {crossings} by {bots} bots over {snapshots} snapshots");
    eprintln!("snapshot gaps: {gaps_at_crossings} at a crossing, {gaps_near_crossings} within 3 snapshots of one, {gaps} in all");
    eprintln!("zones skipped {skipped} ticks (fell behind the clock)");
    let late = ticks.iter().filter(|&&t| t > 1).count();
    eprintln!("handoffs that started late (the player in transit, shown as last seen, for a tick or more): {late}");
    eprintln!(
        "handoff latency over {} handoffs: p50 {} ticks / {:.1} ms, p99 {} ticks / {:.1} ms, max {} ticks / {:.1} ms (tick {tick_ms} ms)",
        ticks.len(),
        percentile(&ticks, 0.5),
        percentile(&micros, 0.5) as f64 / 1000.0,
        percentile(&ticks, 0.99),
        percentile(&micros, 0.99) as f64 / 1000.0,
        ticks.last().unwrap(),
        *micros.last().unwrap() as f64 / 1000.0,
    );
    assert!(crossings >= total, "only {crossings} crossings");
    assert_eq!(gaps_at_crossings, 0, "snapshot gaps at crossings");
    world.stop().await;
}
