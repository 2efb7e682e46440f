//! The short chaos soak: 100 bots (a swarm through each of 2 gateways) on 4 zones and 2
//! coordinators, with one fault of each kind (kill -9 of a zone, of the leading coordinator,
//! of a gateway, and a zone paused past its lease), then the census. What a player would
//! check: no item duplicated or lost, every character saved where its bot left it, no session
//! lost, every fault recovered from, and nothing written by the paused zone once its lease was
//! gone (it withholds its players' last saves). (How fast each recovery was, and how much movement a kill rolled back, is reported,
//! not asserted: timings are measured by the long soak, see README "Chaos soak".)
//!
//! Needs the service binaries (`cargo build --bins`), etcd and Redis, like the other
//! multi-process tests.

use mmo_launcher::chaos::schedule::{Every, FaultKind, Schedule};
use mmo_launcher::chaos::{run, ChaosConfig};
use mmo_launcher::ClusterConfig;
use std::time::Duration;

mod support;

use support::bin_dir;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_soak_with_one_fault_of_each_kind_loses_and_duplicates_nothing() {
    let s = Duration::from_secs;
    let once = |at| Every { first: s(at), every: Duration::ZERO };
    let out = std::env::temp_dir().join(format!("mmo-chaos-{}", std::process::id()));
    let config = ChaosConfig {
        cluster: ClusterConfig { gateways: 2, ..ClusterConfig::new(bin_dir()) },
        bots: 100,
        ramp: s(10),
        duration: s(90),
        schedule: Schedule {
            zone_kill: once(12),
            leader_kill: once(26),
            gateway_kill: once(40),
            pause_at: Some(s(54)),
            quiet_tail: s(25),
        },
        pause_for: s(6),
        out_dir: out.clone(),
        seed: 7,
    };
    let report = run(&config).await.expect("the soak runs");
    eprint!("{}", report.summary());
    eprintln!("chaos report: {}", out.join("chaos.html").display());

    let kinds: Vec<FaultKind> = report.faults.iter().map(|f| f.kind).collect();
    assert_eq!(kinds, [FaultKind::ZoneKill, FaultKind::LeaderKill, FaultKind::GatewayKill, FaultKind::ZonePause]);
    for fault in &report.faults {
        assert!(fault.recovered_ms.is_some(), "{} {} not recovered: {fault:?}", fault.kind.name(), fault.target);
    }
    let items = &report.items;
    assert!(items.committed > 0, "the bots moved items around: {items:?}");
    assert!(items.duplicated.is_empty(), "duplicated: {:?}", items.duplicated);
    assert!(items.lost.is_empty(), "lost: {:?}", items.lost);
    assert_eq!(items.players_in_play, 0, "every player logged out");
    assert!(report.characters.characters >= 95, "the bots played: {:?}", report.characters);
    assert!(report.characters.misplaced.is_empty(), "{:?}", report.characters.misplaced);
    assert!(report.sessions_lost.is_empty(), "sessions lost: {:?}", report.sessions_lost);
    let pause = report.faults.iter().find(|f| f.kind == FaultKind::ZonePause).expect("paused");
    assert_eq!(pause.fenced_writes_accepted, Some(0), "writes accepted from the deposed zone: {pause:?}");
    assert!(
        pause.players_hit == 0 || pause.fenced_writes_withheld.is_some_and(|w| w > 0),
        "the paused zone woke up holding players and withheld their last saves: {pause:?}"
    );
    assert!(out.join("chaos.html").is_file() && out.join("chaos.json").is_file());
}
