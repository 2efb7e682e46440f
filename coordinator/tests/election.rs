//! Leader election between in-process replicas, against a real etcd.

mod support;

use mmo_cluster::{EventKind, Registry};
use mmo_coordinator::election::{current_leader, Election, ElectionConfig, ElectionError, LeaderInfo, Role};
use mmo_world::{CellId, ZoneId};
use std::time::Duration;
use support::{is_leader, registry, wait_candidates, Replica, TTL};
use tokio::time::Instant;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_leads_the_other_stands_by_and_sees_it() {
    let etcd = support::etcd();
    let mut a = Replica::start(etcd.endpoint(), "watch", "a").await;
    let Role::Leader(won) = a.wait_role(Duration::from_secs(10), is_leader).await else { unreachable!() };
    let mut b = Replica::start(etcd.endpoint(), "watch", "b").await;
    let expected = LeaderInfo { candidate: "a".into(), epoch: won.epoch() };
    let seen = b.wait_role(Duration::from_secs(5), |r| matches!(r, Role::Standby { leader: Some(_) })).await;
    assert_eq!(seen, Role::Standby { leader: Some(expected.clone()) });
    let observer = registry(etcd.endpoint(), "watch").await;
    assert_eq!(current_leader(&observer).await.unwrap(), Some(expected));
    // Standing by for a while changes nothing.
    tokio::time::sleep(TTL * 2).await;
    assert!(is_leader(&a.role.borrow()));
    assert!(!is_leader(&b.role.borrow()));
    let events = observer.events(10).await.unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].kind, EventKind::LeaderElected { leader: "a".into(), epoch: won.epoch() });
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resigning_leader_hands_over_at_once() {
    let etcd = support::etcd();
    let mut a = Replica::start(etcd.endpoint(), "resign", "a").await;
    let Role::Leader(first) = a.wait_role(Duration::from_secs(10), is_leader).await else { unreachable!() };
    let mut b = Replica::start(etcd.endpoint(), "resign", "b").await;
    wait_candidates(&registry(etcd.endpoint(), "resign").await, 2).await;

    let resigned = Instant::now();
    a.stop().await;
    let Role::Leader(second) = b.wait_role(Duration::from_secs(1), is_leader).await else { unreachable!() };
    assert!(resigned.elapsed() < Duration::from_secs(1), "a resignation does not wait for the TTL");
    assert!(second.epoch() > first.epoch(), "leader epochs grow: {first:?} then {second:?}");
    assert_eq!(second.candidate(), "b");
    b.stop().await;
    let observer = registry(etcd.endpoint(), "resign").await;
    assert_eq!(current_leader(&observer).await.unwrap(), None, "b resigned too");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashed_leader_is_replaced_within_the_ttl_plus_one_second() {
    let etcd = support::etcd();
    let mut a = Replica::start(etcd.endpoint(), "crash", "a").await;
    let Role::Leader(first) = a.wait_role(Duration::from_secs(10), is_leader).await else { unreachable!() };
    let mut b = Replica::start(etcd.endpoint(), "crash", "b").await;
    wait_candidates(&registry(etcd.endpoint(), "crash").await, 2).await;

    let crashed = Instant::now();
    a.crash();
    let Role::Leader(second) = b.wait_role(first.ttl() + Duration::from_secs(3), is_leader).await else {
        unreachable!()
    };
    let took = crashed.elapsed();
    assert!(took <= first.ttl() + Duration::from_secs(1), "failover took {took:?} (TTL {:?})", first.ttl());
    assert!(took >= Duration::from_millis(500), "the standby waited for the lease: {took:?}");
    assert!(second.epoch() > first.epoch());
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deposed_leader_cannot_write_but_the_new_one_can() {
    let etcd = support::etcd();
    let config = |name: &str| ElectionConfig { candidate: name.into(), ttl: TTL };
    let a = Election::new(registry(etcd.endpoint(), "depose").await, config("a"));
    let b = Election::new(registry(etcd.endpoint(), "depose").await, config("b"));
    let cell = CellId::new(4, 2);

    let old = a.campaign().await.unwrap();
    let first = a.assign_as_leader(&old, cell, ZoneId(1)).await.unwrap();
    assert!(first > old.epoch());
    // `a` never holds its leadership (as if frozen right after winning): the lease lapses.
    let new = tokio::time::timeout(TTL * 3, b.campaign()).await.expect("b wins once a's lease lapses").unwrap();
    assert!(new.epoch() > first, "the new leader's key was created after the old leader's last write");

    assert_eq!(a.assign_as_leader(&old, cell, ZoneId(1)).await, Err(ElectionError::NotLeader));
    let second = b.assign_as_leader(&new, cell, ZoneId(2)).await.unwrap();
    assert!(second > new.epoch());
    assert_eq!(a.assign_as_leader(&old, cell, ZoneId(1)).await, Err(ElectionError::NotLeader));
    let table = registry(etcd.endpoint(), "depose").await.assignments();
    assert_eq!((table[&cell].zone, table[&cell].epoch), (ZoneId(2), second));
    b.resign(&new).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn losing_the_leader_key_ends_the_hold() {
    let etcd = support::etcd();
    let mut a = Replica::start(etcd.endpoint(), "lose", "a").await;
    let Role::Leader(won) = a.wait_role(Duration::from_secs(10), is_leader).await else { unreachable!() };
    // An operator (or etcd itself) removes the key: the replica stops counting itself leader
    // at once, and campaigns again.
    let mut client = registry(etcd.endpoint(), "lose").await.client();
    client.delete(won.guard().key.as_str(), None).await.unwrap();
    a.wait_role(Duration::from_secs(2), |r| !is_leader(r)).await;
    let Role::Leader(again) = a.wait_role(Duration::from_secs(5), is_leader).await else { unreachable!() };
    assert!(again.epoch() > won.epoch());
    a.stop().await;
}
