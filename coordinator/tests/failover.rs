//! Coordinator failover against a real etcd, with the leader as its own process:
//! - `kill -9` the leader: the in-process standby leads within the lease TTL plus one second
//!   (measured over five runs; the p50 is printed, see `--nocapture`);
//! - `kill -STOP` the leader past its TTL: the standby leads; `kill -CONT` it: it goes on
//!   writing with the leadership it lost, and etcd accepts none of those writes.
//!
//! Figures: `cargo test -p mmo-coordinator --test failover -- --nocapture`.

mod support;

use etcd_client::EventType;
use mmo_cluster::Registry;
use mmo_coordinator::election::Role;
use mmo_test_services::{signal, Signal};
use mmo_world::{unix_ms, CellId, ZoneId};
use std::time::Duration;
use support::{is_leader, median, registry, wait_candidates, CandidateProcess, Replica};
use tokio::time::Instant;

/// The bound: the lease TTL plus one second.
const SLACK: Duration = Duration::from_secs(1);
const RUNS: usize = 5;

/// Parses `LEADER <epoch> <ttl ms> <key>`.
fn leader_line(text: &str) -> (u64, Duration, String) {
    let parts: Vec<&str> = text.split(' ').collect();
    assert_eq!(parts.len(), 4, "{text}");
    (parts[1].parse().unwrap(), Duration::from_millis(parts[2].parse().unwrap()), parts[3].to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_leader_process_hands_over_within_the_ttl_plus_one_second() {
    let etcd = support::etcd();
    let mut took = Vec::new();
    for run in 0..RUNS {
        let world = format!("kill{run}");
        let mut leader = CandidateProcess::spawn(etcd.endpoint(), &world, "a", 1);
        let (epoch, ttl, _) = leader_line(&leader.expect(Duration::from_secs(15), "LEADER").await.text);
        leader.expect(Duration::from_secs(5), "WRITE ACCEPTED").await;
        let mut standby = Replica::start(etcd.endpoint(), &world, "b").await;
        wait_candidates(&registry(etcd.endpoint(), &world).await, 2).await;
        // Kill at a different point of the leader's keep-alive cycle (a third of the TTL) each run.
        tokio::time::sleep(Duration::from_millis(500 + 150 * run as u64)).await;

        signal(leader.pid(), Signal::Kill).unwrap();
        let killed = Instant::now();
        let Role::Leader(next) = standby.wait_role(ttl + SLACK * 3, is_leader).await else { unreachable!() };
        let elapsed = killed.elapsed();
        assert!(elapsed <= ttl + SLACK, "run {run}: the standby led {elapsed:?} after the kill (TTL {ttl:?})");
        assert!(next.epoch().0 > epoch);
        took.push(elapsed);
        standby.stop().await;
    }
    let ms: Vec<u128> = took.iter().map(Duration::as_millis).collect();
    eprintln!(
        "leader failover after kill -9 (TTL {:?}): p50 {} ms, runs {ms:?} ms",
        support::TTL,
        median(took).as_millis()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_leader_that_wakes_up_cannot_write() {
    let etcd = support::etcd();
    let world = "freeze";
    let cell = CellId::new(0, 0);
    let mut old = CandidateProcess::spawn(etcd.endpoint(), world, "old", 1);
    let (old_epoch, ttl, old_key) = leader_line(&old.expect(Duration::from_secs(15), "LEADER").await.text);
    old.expect(Duration::from_secs(5), "WRITE ACCEPTED").await;
    let mut standby = Replica::start(etcd.endpoint(), world, "new").await;
    let observer = registry(etcd.endpoint(), world).await;
    wait_candidates(&observer, 2).await;

    // Freeze the leader past its TTL: the standby takes over.
    signal(old.pid(), Signal::Stop).unwrap();
    let stopped = Instant::now();
    let Role::Leader(new) = standby.wait_role(ttl + SLACK * 3, is_leader).await else { unreachable!() };
    assert!(stopped.elapsed() <= ttl + SLACK, "the standby led {:?} after the freeze", stopped.elapsed());
    assert!(new.epoch().0 > old_epoch);
    let new_write = standby.election.assign_as_leader(&new, cell, ZoneId(2)).await.unwrap();

    // Wake the old leader: it still holds its old leadership and keeps writing with it.
    let resumed_ms = unix_ms();
    signal(old.pid(), Signal::Cont).unwrap();
    old.collect(Duration::from_secs(2)).await;
    let after: Vec<&str> = old.seen.iter().filter(|l| l.at_ms >= resumed_ms).map(|l| l.text.as_str()).collect();
    let rejected = after.iter().filter(|t| **t == "WRITE REJECTED").count();
    assert!(rejected >= 3, "the old leader tried to write after waking up: {after:?}");
    assert!(
        !after.iter().any(|t| t.starts_with("WRITE ACCEPTED")),
        "a write of the deposed leader was accepted: {after:?}"
    );
    assert!(after.iter().any(|t| t.starts_with("LOST")), "the old leader noticed: {after:?}");

    // etcd's own history agrees: every write of the old leader (zone 1) precedes the deletion
    // of its leader key, and the last word is the new leader's.
    let mut client = observer.client();
    let key_history =
        support::history(&mut client, &old_key, |events| events.iter().any(|e| e.1 == EventType::Delete)).await;
    let lost_at = key_history.iter().find(|e| e.1 == EventType::Delete).unwrap().0;
    let cell_key = observer.keys().cell(cell);
    let last = client.get(cell_key.as_str(), None).await.unwrap().kvs()[0].mod_revision();
    let cell_history =
        support::history(&mut client, &cell_key, |events| events.last().is_some_and(|e| e.0 >= last)).await;
    let zone_of = |value: &[u8]| serde_json::from_slice::<serde_json::Value>(value).ok().map(|v| v["zone"].clone());
    let old_writes: Vec<i64> = cell_history.iter().filter(|e| zone_of(&e.2) == Some(1.into())).map(|e| e.0).collect();
    assert!(!old_writes.is_empty());
    assert!(old_writes.iter().all(|rev| *rev < lost_at), "old writes {old_writes:?}, leadership lost at {lost_at}");
    assert!(lost_at > old_epoch as i64);
    assert_eq!(zone_of(&cell_history.last().unwrap().2), Some(2.into()));
    assert_eq!(observer.assignments()[&cell].epoch, new_write);
    standby.stop().await;
}
