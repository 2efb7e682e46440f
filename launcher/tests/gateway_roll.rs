//! A rolling restart of both gateways of a multi-process cluster while bots play: each gateway
//! gets SIGTERM and drains; its bots are told to reconnect, ask the draining gateway's
//! `/api/connect` (which names the other gateway), and resume their characters there with
//! their session tokens; the gateway exits once they have left, starts again, and the next one
//! goes. The bots all target gateway 1, so when it drains they can only reach gateway 2 through
//! its answer. What players must not notice: no session lost, no login refused; every bot
//! moved.
//!
//! Needs the service binaries (`cargo build --bins`), etcd and Redis (see `zone_death.rs`).

mod support;

use mmo_launcher::Cluster;
use mmo_loadtest::Scenario;
use support::{bots_on, bots_online, playing_bots, two_gateways, Bots};

const BOTS: usize = 20;

fn scenario(target: &str) -> Scenario {
    playing_bots("gateway-roll", 11, target, BOTS, "3s", "wander = 2, border_crosser = 1, fighter = 1", &[])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn players_move_to_the_other_gateway_when_theirs_restarts() {
    let config = two_gateways();
    let mut cluster = Cluster::up(&config).await.expect("the cluster starts");
    let play = cluster.play_url().expect("gateway 1");
    let scenario = scenario(&play);
    let mut bots = Bots::start(scenario, cluster.run_dir());

    // Every bot plays on gateway 1, then both gateways restart one after the other.
    // The bots play until the roll is over and they are all back (however long a busy machine
    // takes), then leave.
    let play = url::Url::parse(&play).unwrap();
    bots.wait_until("every bot online", || bots_online(&play, BOTS)).await;
    cluster.roll_gateways().await.expect("every gateway restarted");
    // Gateway 2 drained last: every bot ends on gateway 1; a little play there, then they leave.
    let play = url::Url::parse(&cluster.play_url().expect("gateway 1")).unwrap();
    bots.wait_until("every bot on gateway 1 after the roll", || async { bots_on(&play, 1).await >= BOTS }).await;
    let back = std::time::Instant::now();
    bots.wait_until("a little play after the roll", || async {
        back.elapsed().as_secs() >= 3 && bots_online(&play, BOTS).await
    })
    .await;
    let report = bots.finish().await;

    let json = serde_json::to_value(&report).unwrap();
    let metric = |name: &str| json["metrics"][name].as_f64().unwrap_or_else(|| panic!("metric {name} missing"));
    let bots = json["bots"].as_array().expect("bots").clone();
    let moves: Vec<u64> = bots.iter().map(|b| b["gateway_moves"].as_u64().unwrap_or(0)).collect();
    eprintln!(
        "gateway roll: {} bots, {} gateway moves (per bot {:?}), longest snapshot outage across a move {:.0} ms, \
         round trip p50 {:.1} ms p99 {:.1} ms, snapshot gaps within sessions {}, handoffs {}, unexpected disconnects {}",
        bots.len(),
        metric("gateway_moves"),
        moves,
        metric("move_outage_max_ms"),
        metric("rtt_p50_ms"),
        metric("rtt_p99_ms"),
        metric("snapshot_gaps"),
        metric("handoffs_seen"),
        metric("unexpected_disconnects"),
    );
    assert_eq!(
        metric("unexpected_disconnects"),
        0.0,
        "no player was disconnected: {} (logs: {})",
        json["totals"]["disconnects_by_reason"],
        cluster.run_dir().display()
    );
    assert_eq!(metric("connect_failures"), 0.0, "{}", json["totals"]["connect_failures_by_reason"]);
    assert_eq!(bots.len(), BOTS, "no bot had to be replaced");
    // Every bot was on gateway 1 when it restarted: each moved at least once (to gateway 2;
    // most back again when gateway 2 restarted).
    assert!(moves.iter().all(|&m| m >= 1), "every bot moved: {moves:?}");
    assert!(metric("gateway_moves") >= BOTS as f64);
    cluster.stop().await;
}
