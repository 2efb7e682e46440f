//! A rolling restart of every zone of the multi-process cluster, one after another, as
//! Kubernetes rolls a StatefulSet: each zone gets SIGTERM, drains its cells into the others,
//! exits, starts again under the same id and is given cells again. Bots play through it over
//! both transports, border-crossers among them. What players must not notice: no session
//! closed, no login refused, no snapshot tick skipped; and every zone took part (drained, its
//! cells, if it had any then, moved out by drain, and given cells again). The round trip is printed (measured, not asserted).
//!
//! Needs the service binaries (`cargo build --bins`), etcd and Redis (see `zone_death.rs`).

mod support;

use mmo_cluster::etcd::{EtcdConfig, EtcdRegistry};
use mmo_cluster::{EventKind, MoveReason, Registry};
use mmo_launcher::{Cluster, ClusterConfig};
use mmo_loadtest::Scenario;
use mmo_world::ZoneId;
use std::collections::BTreeSet;
use support::{bin_dir, bots_online, notable_warnings, playing_bots, Bots};

const ZONES: u32 = 4;
const BOTS: usize = 24;

fn scenario(target: &str) -> Scenario {
    playing_bots("rolling-restart", 5, target, BOTS, "4s", "border_crosser = 3, wander = 2, fighter = 1", &[])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn players_do_not_notice_a_rolling_restart_of_every_zone() {
    let config = ClusterConfig {
        zones: ZONES,
        coordinators: 1,
        coordinator_args: vec!["--period-ms=250".into()],
        ..ClusterConfig::new(bin_dir())
    };
    let mut cluster = Cluster::up(&config).await.expect("the cluster starts");
    let play = cluster.play_url().expect("a gateway");
    let scenario = scenario(&play);
    let mut bots = Bots::start(scenario, cluster.run_dir());

    // Once every bot plays, roll every zone while they play; the bots leave once the roll is
    // over (however long a busy machine takes) and they all still play.
    let online = url::Url::parse(&play).unwrap();
    bots.wait_until("every bot online", || bots_online(&online, BOTS)).await;
    cluster.roll_zones().await.expect("every zone restarted");
    bots.wait_until("every bot online after the roll", || bots_online(&online, BOTS)).await;
    let report = bots.finish().await;

    let (registry, follower) =
        EtcdRegistry::connect(EtcdConfig::new([cluster.etcd_endpoint()], config.world.as_str())).await.unwrap();
    tokio::spawn(follower.run());
    // Replaying the event log: each zone seen draining with cells moved them away by drain. A
    // zone can be left with none when it is stopped (the rebalance after the previous restart
    // may give its cells to that zone); it then drains at once, often before the coordinator
    // sees its mark, so not every zone shows in the log.
    let events = registry.events(1000).await.unwrap();
    let mut owner = std::collections::BTreeMap::new();
    let (mut owned_at_drain, mut drained) = (BTreeSet::new(), BTreeSet::new());
    for event in &events {
        match &event.kind {
            EventKind::CellMoved { cell, to, reason, from, .. } => {
                owner.insert(*cell, *to);
                if let (MoveReason::Drain, Some(from)) = (reason, from) {
                    drained.insert(*from);
                }
            }
            EventKind::DrainStarted { zone } if owner.values().any(|z| z == zone) => {
                owned_at_drain.insert(*zone);
            }
            _ => {}
        }
    }
    assert_eq!(drained, owned_at_drain, "each zone owning cells when its drain started drained them away");
    assert!(drained.len() >= 2, "several zones drained their cells away: {drained:?}");
    assert!(registry.draining().await.unwrap().is_empty(), "every restarted zone cleared its draining mark");
    let owners: BTreeSet<ZoneId> = registry.assignments().values().map(|a| a.zone).collect();
    assert!(owners.len() >= 2, "the restarted zones own cells again: {owners:?}");

    let json = serde_json::to_value(&report).unwrap();
    let saved = cluster.run_dir().join("report.json");
    std::fs::write(&saved, serde_json::to_vec_pretty(&json).unwrap()).unwrap();
    let slow: Vec<String> = json["timeline"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| s["rtt"]["p99"].as_f64().is_some_and(|p| p > 80.0))
        .map(|s| format!("{:.0}s: {:.0}", s["t"].as_f64().unwrap_or(0.0), s["rtt"]["p99"].as_f64().unwrap_or(0.0)))
        .collect();
    eprintln!("seconds with round trip p99 over 80 ms: {slow:?} (report: {})", saved.display());
    let metric = |name: &str| json["metrics"][name].as_f64().unwrap_or_else(|| panic!("metric {name} missing"));
    eprintln!(
        "rolling restart: {} bots, round trip p50 {:.1} ms p99 {:.1} ms, {} snapshots, {} handoffs, gaps {}, unexpected disconnects {}",
        json["bots"].as_array().map_or(0, Vec::len),
        metric("rtt_p50_ms"),
        metric("rtt_p99_ms"),
        json["totals"]["counts"]["snapshots"],
        metric("handoffs_seen"),
        metric("snapshot_gaps"),
        metric("unexpected_disconnects"),
    );
    for bot in json["bots"].as_array().into_iter().flatten().filter(|b| b["snapshot_gaps"] != 0) {
        eprintln!("  {} ({}): gaps {}", bot["name"], bot["transport"], bot["first_gaps"]);
    }
    if metric("unexpected_disconnects") + metric("connect_failures") + metric("snapshot_gaps") > 0.0 {
        eprintln!("warnings in the services' logs:\n{}", notable_warnings(cluster.run_dir(), 200));
    }
    assert_eq!(
        metric("unexpected_disconnects"),
        0.0,
        "no player was disconnected: {} (logs: {})",
        json["totals"]["disconnects_by_reason"],
        cluster.run_dir().display()
    );
    assert_eq!(metric("connect_failures"), 0.0, "{}", json["totals"]["connect_failures_by_reason"]);
    assert_eq!(metric("snapshot_gaps"), 0.0, "every bot got every tick (their gaps are printed above)");
    assert!(metric("handoffs_seen") > 0.0, "players moved between zones");
    cluster.stop().await;
}
