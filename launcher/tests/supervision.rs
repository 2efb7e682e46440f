//! The launcher supervises its services: a zone killed with `kill -9` from outside (a crash) is
//! started again with the same id after its backoff, is given cells again by the coordinator,
//! and a second crash soon after waits twice as long.
//!
//! Needs the service binaries (`cargo build --bins`), etcd and Redis, like the other
//! multi-process tests.

use mmo_cluster::etcd::{EtcdConfig, EtcdRegistry};
use mmo_cluster::Registry;
use mmo_launcher::{Cluster, ClusterConfig, Role};
use mmo_test_services::{signal, Signal};
use mmo_world::ZoneId;
use std::time::Duration;

mod support;

use support::{bin_dir, restart_of, within};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashed_zone_is_started_again_with_its_id_and_backs_off_when_it_keeps_crashing() {
    let config = ClusterConfig { coordinators: 1, zones: 2, ..ClusterConfig::new(bin_dir()) };
    let mut cluster = Cluster::up(&config).await.expect("cluster up");
    let (registry, follower) =
        EtcdRegistry::connect(EtcdConfig::new([cluster.etcd_endpoint()], config.world.as_str())).await.unwrap();
    let following = tokio::spawn(follower.run());
    let zone = Role::Zone(2);
    let mut assignments = registry.watch();
    within("zone 2 owns cells", assignments.wait_for(|t| t.values().any(|a| a.zone == ZoneId(2)))).await.unwrap();

    // A crash, from outside the launcher.
    let first = cluster.service(&zone).and_then(|s| s.pid()).expect("zone 2 runs");
    signal(first, Signal::Kill).unwrap();
    let r = restart_of(&mut cluster, &zone).await;
    assert!(r.status.contains("9") || r.status.contains("KILL"), "how it exited: {}", r.status);
    assert_eq!((r.backoff, r.quick_exits), (Duration::from_secs(1), 1));
    let second = cluster.service(&zone).and_then(|s| s.pid()).expect("zone 2 runs again");
    assert_ne!(second, first, "a new process");
    // Its cells went to zone 1 meanwhile; the coordinator gives the new zone 2 its share back.
    within(
        "the restarted zone 2 owns cells again",
        assignments.wait_for(|t| t.values().any(|a| a.zone == ZoneId(2)) && t.values().any(|a| a.zone == ZoneId(1))),
    )
    .await
    .unwrap();

    // It crashes again within a minute of starting: the backoff doubles.
    signal(second, Signal::Kill).unwrap();
    let r = restart_of(&mut cluster, &zone).await;
    assert_eq!((r.backoff, r.quick_exits), (Duration::from_secs(2), 2));
    assert!(cluster.service(&zone).and_then(|s| s.pid()).is_some_and(|pid| pid != second));
    // The other services were left alone.
    assert!(cluster.revive_exited().await.is_empty());
    following.abort();
    cluster.stop().await;
}
