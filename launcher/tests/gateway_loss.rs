//! Sessions outlive their gateway: bots play on gateway 2 of a two-gateway cluster (their
//! target is gateway 2 too), then gateway 2 is killed with `kill -9` and not started again.
//! Each bot notices (the connection drops, or snapshots stop), finds gateway 1 among the
//! others gateway 2's `/api/connect` named, and resumes its character there with its session
//! token. The zones log the killed gateway's players out once its lease expired (saving them)
//! and release their names, so the resume finds the state they played to and the world never
//! holds two avatars of one character.
//!
//! What players must not notice: no session lost, no login refused, no second avatar of
//! anyone; how long they were without snapshots and how far from where they stood they came
//! back is printed (measured, not asserted).
//!
//! Needs the service binaries (`cargo build --bins`), etcd and Redis (see `zone_death.rs`).

mod support;

use mmo_launcher::{Cluster, Role};
use mmo_loadtest::Scenario;
use std::time::Instant;
use support::{bots_on, bots_online, playing_bots, two_gateways, Bots};

const BOTS: usize = 16;

fn scenario(target: &str) -> Scenario {
    playing_bots("gateway-loss", 17, target, BOTS, "3s", "wander = 2, border_crosser = 1, trader = 1", &[])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn players_of_a_killed_gateway_resume_on_another_with_their_characters() {
    let config = two_gateways();
    let mut cluster = Cluster::up(&config).await.expect("the cluster starts");
    let url = |n| url::Url::parse(&cluster.service(&Role::Gateway(n)).expect("gateway").ready).unwrap();
    let (one, two) = (url(1), url(2));
    let scenario = scenario(two.as_str());
    let mut bots = Bots::start(scenario, cluster.run_dir());

    bots.wait_until("every bot plays on gateway 2", || async { bots_on(&one, 2).await >= BOTS }).await;
    cluster.kill(&Role::Gateway(2)).await.expect("kill -9 gateway 2");
    let killed = Instant::now();
    bots.wait_until("every bot plays on gateway 1", || async { bots_on(&one, 1).await >= BOTS }).await;
    let took = killed.elapsed();
    // A few seconds of play after the move, then the bots leave.
    let back = Instant::now();
    bots.wait_until("a little play on gateway 1", || async {
        back.elapsed().as_secs() >= 3 && bots_online(&one, BOTS).await
    })
    .await;
    let report = bots.finish().await;

    let json = serde_json::to_value(&report).unwrap();
    let saved = cluster.run_dir().join("report.json");
    std::fs::write(&saved, serde_json::to_vec_pretty(&json).unwrap()).unwrap();
    let metric = |name: &str| json["metrics"][name].as_f64().unwrap_or_else(|| panic!("metric {name} missing"));
    let bots = json["bots"].as_array().expect("bots").clone();
    let losses: Vec<u64> = bots.iter().map(|b| b["gateway_losses"].as_u64().unwrap_or(0)).collect();
    eprintln!(
        "gateway loss: {} bots all on gateway 1 {:.1} s after the kill; longest snapshot outage {:.0} ms, \
         farthest rollback {:.2} tiles, losses per bot {losses:?}, twins seen {}, unexpected disconnects {} (report: {})",
        bots.len(),
        took.as_secs_f64(),
        metric("move_outage_max_ms"),
        metric("move_rollback_max_tiles"),
        metric("twins_seen"),
        metric("unexpected_disconnects"),
        saved.display(),
    );
    assert_eq!(
        metric("unexpected_disconnects"),
        0.0,
        "no session was lost: {} (logs: {})",
        json["totals"]["disconnects_by_reason"],
        cluster.run_dir().display()
    );
    assert_eq!(metric("connect_failures"), 0.0, "{}", json["totals"]["connect_failures_by_reason"]);
    assert_eq!(bots.len(), BOTS, "no bot had to be replaced");
    assert!(losses.iter().all(|&l| l >= 1), "every bot took its gateway for lost and resumed: {losses:?}");
    assert_eq!(metric("twins_seen"), 0.0, "no bot ever saw a second avatar of its character");
    cluster.stop().await;
}
