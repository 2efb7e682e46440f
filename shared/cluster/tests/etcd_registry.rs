//! What only the etcd registry does: guarded writes, the key layout operators read, world
//! isolation. Against a real etcd started per test.

use etcd_client::{Compare, CompareOp, GetOptions, PutOptions, Txn, TxnOp};
use mmo_cluster::etcd::{EtcdConfig, EtcdRegistry, LeaderGuard};
use mmo_cluster::{CertHash, Registry, RegistryError, ZoneInfo};
use mmo_world::{CellId, ZoneId};
use std::time::Duration;

async fn connect(endpoint: &str, world: &str) -> EtcdRegistry {
    let (registry, follower) = EtcdRegistry::connect(EtcdConfig::new([endpoint], world)).await.unwrap();
    // The follower ends with the test's runtime.
    tokio::spawn(follower.run());
    registry
}

fn start_etcd() -> mmo_test_services::Etcd {
    mmo_test_services::Etcd::start().expect("a real etcd for the etcd registry tests")
}

#[tokio::test]
async fn a_guarded_write_applies_only_while_the_leader_key_lives() {
    let etcd = start_etcd();
    let registry = connect(etcd.endpoint(), "guard").await;
    let mut client = registry.client();
    // Stand in for an election: a leader key under a lease.
    let (lease, _) = registry.grant_lease(Duration::from_secs(10)).await.unwrap();
    let key = format!("{}/{:x}", registry.keys().election(), lease.0);
    let put = TxnOp::put(key.as_str(), "me", Some(PutOptions::new().with_lease(lease.0)));
    let created = client
        .txn(Txn::new().when([Compare::version(key.as_str(), CompareOp::Equal, 0)]).and_then([put]))
        .await
        .unwrap();
    let guard = LeaderGuard { key: key.clone(), create_revision: created.header().unwrap().revision() };

    let cell = CellId::new(1, 1);
    let epoch = registry.assign_guarded(cell, ZoneId(1), &guard).await.unwrap();
    assert_eq!(registry.assignments()[&cell].epoch, epoch);

    // A guard with another create_revision (an older or newer leader) is refused.
    let stale = LeaderGuard { create_revision: guard.create_revision - 1, ..guard.clone() };
    assert_eq!(
        registry.assign_guarded(cell, ZoneId(9), &stale).await,
        Err(RegistryError::NotLeader { key: key.clone() })
    );

    // Once the key is gone (lease ended), the rightful guard is refused too, and nothing changed.
    registry.revoke_lease(lease).await.unwrap();
    assert_eq!(
        registry.assign_guarded(cell, ZoneId(2), &guard).await,
        Err(RegistryError::NotLeader { key: key.clone() })
    );
    let stored = client.get(registry.keys().cell(cell), None).await.unwrap();
    assert_eq!(stored.kvs()[0].mod_revision() as u64, epoch.0);
    assert_eq!(registry.assignments()[&cell].zone, ZoneId(1));
}

#[tokio::test]
async fn operators_read_plain_json_under_the_world_prefix() {
    let etcd = start_etcd();
    let registry = connect(etcd.endpoint(), "layout").await;
    let epoch = registry.assign(CellId::new(2, 1), ZoneId(3)).await.unwrap();
    let info = ZoneInfo { id: ZoneId(3), address: "zone-3:4433".into(), cert_hash: CertHash([1; 32]), capacity: 10 };
    registry.register_zone(info, Duration::from_secs(5)).await.unwrap();

    let mut client = registry.client();
    let all = client.get("/mmo/layout/", Some(GetOptions::new().with_prefix())).await.unwrap();
    let by_key: Vec<(String, String)> =
        all.kvs().iter().map(|kv| (kv.key_str().unwrap().to_owned(), kv.value_str().unwrap().to_owned())).collect();
    assert!(by_key.contains(&("/mmo/layout/cells/2.1".into(), r#"{"zone":3}"#.into())), "{by_key:?}");
    let zone = by_key.iter().find(|(k, _)| k == "/mmo/layout/zones/3").expect("zone key");
    assert!(zone.1.contains(r#""address":"zone-3:4433""#), "{zone:?}");
    let cell = all.kvs().iter().find(|kv| kv.key() == b"/mmo/layout/cells/2.1").unwrap();
    assert_eq!(cell.mod_revision() as u64, epoch.0, "the epoch is the key's mod_revision");
}

#[tokio::test]
async fn worlds_do_not_see_each_other() {
    let etcd = start_etcd();
    let one = connect(etcd.endpoint(), "w1").await;
    let ten = connect(etcd.endpoint(), "w10").await;
    one.assign(CellId::new(0, 0), ZoneId(1)).await.unwrap();
    let mut watch = ten.watch();
    ten.assign(CellId::new(5, 5), ZoneId(10)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let table = watch.borrow_and_update().clone();
    assert_eq!(table.keys().copied().collect::<Vec<_>>(), [CellId::new(5, 5)]);
    // A fresh handle on w1 reads only w1.
    let again = connect(etcd.endpoint(), "w1").await;
    assert_eq!(again.assignments().keys().copied().collect::<Vec<_>>(), [CellId::new(0, 0)]);
}

#[tokio::test]
async fn connecting_to_nothing_fails_fast_with_unavailable() {
    let port = mmo_test_services::free_port().unwrap();
    let mut config = EtcdConfig::new([format!("http://127.0.0.1:{port}")], "none");
    config.connect_timeout = Duration::from_millis(500);
    let started = std::time::Instant::now();
    let error = EtcdRegistry::connect(config).await.unwrap_err();
    assert!(matches!(error, RegistryError::Unavailable(_)), "{error}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

/// A process that only follows the table (an operator's tool, the launcher) keeps its one
/// connection to etcd: the client pings no more often than etcd allows. It pinged every 2 s;
/// with nothing else on the connection (a lease's keep-alive answers reset etcd's count),
/// etcd answered GOAWAY `too_many_pings` and the watch broke every 8 s or so.
#[tokio::test]
async fn the_watch_of_a_quiet_follower_does_not_break() {
    let etcd = start_etcd();
    let registry = connect(etcd.endpoint(), "quiet").await;
    let started = std::time::Instant::now();
    let mut assignments = registry.watch();
    while started.elapsed() < Duration::from_secs(15) {
        let _ = tokio::time::timeout(Duration::from_secs(1), assignments.changed()).await;
        assert_eq!(registry.watch_breaks(), 0, "the watch broke after {:?}", started.elapsed());
    }
}
