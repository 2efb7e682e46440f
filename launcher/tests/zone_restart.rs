//! A zone killed with `kill -9` and started again under its id by the supervisor, in a world
//! of one zone: the restarted zone takes its cells back from their checkpoints, and the
//! gateway re-creates each player there from the last state it saw (the zone is reached
//! through a new connection: it holds none of its old run's players). Before, the gateway
//! only re-created players on a zone of another id, so they stayed missing and their
//! sessions were closed with `ZoneUnavailable` (or the bots gave up on their gateway).
//!
//! What players must not notice: no session lost; they come back in the restarted zone (a
//! bot whose snapshots stopped for 4 s takes its gateway for lost and resumes instead, from
//! its saved record: that also counts as not lost). How many were re-created in place and how
//! long it took is printed (measured, not asserted).
//!
//! Needs the service binaries (`cargo build --bins`), etcd and Redis (see `zone_death.rs`).

mod support;

use mmo_launcher::{Cluster, ClusterConfig, Role};
use mmo_loadtest::client::{http_get, Trust};
use std::time::Instant;
use support::{bin_dir, bots_online, playing_bots, Bots};

const BOTS: usize = 12;

/// `mmo_gateway_players_restored_total` of the gateway at `play`.
async fn restored(play: &url::Url) -> u64 {
    let text = http_get(play, "/metrics", &Trust::default()).await.unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix("mmo_gateway_players_restored_total "))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .unwrap_or(0.0) as u64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn players_of_a_zone_restarted_under_its_id_come_back_in_it() {
    let config = ClusterConfig {
        zones: 1,
        coordinators: 1,
        coordinator_args: vec!["--period-ms=250".into()],
        ..ClusterConfig::new(bin_dir())
    };
    let mut cluster = Cluster::up(&config).await.expect("the cluster starts");
    let play = url::Url::parse(&cluster.play_url().expect("a gateway")).unwrap();
    let scenario = playing_bots("zone-restart", 23, play.as_str(), BOTS, "2s", "wander = 2, fighter = 1", &[]);
    let mut bots = Bots::start(scenario, cluster.run_dir());
    bots.wait_until("every bot plays", || async { bots_online(&play, BOTS).await }).await;
    assert_eq!(restored(&play).await, 0);

    cluster.kill(&Role::Zone(1)).await.expect("kill -9 zone 1");
    let killed = Instant::now();
    support::restart_of(&mut cluster, &Role::Zone(1)).await;
    let restarted = killed.elapsed();
    bots.wait_until("the gateway re-creates players in the restarted zone", || async { restored(&play).await >= 1 })
        .await;
    let back = killed.elapsed();
    bots.wait_until("every bot plays again", || async { bots_online(&play, BOTS).await }).await;
    let in_place = restored(&play).await;
    // A little play in the restarted zone, then the bots leave.
    let after = Instant::now();
    bots.wait_until("a little play after", || async {
        after.elapsed().as_secs() >= 3 && bots_online(&play, BOTS).await
    })
    .await;
    let report = bots.finish().await;
    let json = serde_json::to_value(&report).unwrap();
    eprintln!(
        "zone restart: zone 1 started again {:.1} s after the kill, players re-created in it from {:.1} s after \
         ({in_place} of {BOTS} in place); gateway moves {}, rollbacks {}, longest rollback {:.2} s",
        restarted.as_secs_f64(),
        back.as_secs_f64(),
        json["metrics"]["gateway_moves"],
        json["metrics"]["rollbacks"],
        json["metrics"]["rollback_max_s"].as_f64().unwrap_or(0.0),
    );
    assert!(report.passed, "no session lost, no login refused: {:?}", report.thresholds);
    cluster.stop().await;
}
