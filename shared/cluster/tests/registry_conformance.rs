//! One behaviour suite, run against both registries: the in-memory one and etcd (a real etcd
//! started for each test on free ports; a missing etcd binary fails the test with install
//! instructions).
//!
//! Each check gets two handles on the same registry: `a` writes, `b` reads where it matters,
//! so that for etcd the reader is another connection that only learns through etcd.

use mmo_cluster::etcd::{EtcdConfig, EtcdRegistry};
use mmo_cluster::{
    Assignment, AssignmentTable, CertHash, Event, EventKind, GatewayInfo, LoadReport, Member, MoveReason, Registry,
    RegistryError, Reshaping, ZoneInfo,
};
use mmo_world::{CellId, Epoch, GatewayId, ZoneId};
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::time::{timeout, Instant};

const TTL: Duration = Duration::from_secs(2);

fn zone(id: u32) -> ZoneInfo {
    ZoneInfo {
        id: ZoneId(id),
        address: format!("10.0.0.{id}:4433"),
        cert_hash: CertHash([id as u8; 32]),
        capacity: 400,
    }
}

fn gateway(id: u32) -> GatewayInfo {
    GatewayInfo {
        id: GatewayId(id),
        address: "127.0.0.1:4443".into(),
        cert_hash: CertHash([7; 32]),
        link_cert_hash: CertHash([8; 32]),
        capacity: 1000,
        webtransport_url: "https://127.0.0.1:4433/play".into(),
        websocket_url: "ws://127.0.0.1:4443/ws".into(),
        draining: false,
        run: 1,
    }
}

fn load(entities: u32) -> LoadReport {
    LoadReport {
        at_unix_ms: 1,
        tick_time_ms_p99: 10.0,
        budget_ms: 50.0,
        entities,
        entities_per_cell: BTreeMap::from([(CellId::new(0, 0), entities)]),
        capacity: 1000,
    }
}

/// Polls `check` every 50 ms until it holds or `within` passes; returns the time it took.
async fn eventually<F: std::future::Future<Output = bool>>(
    within: Duration,
    mut check: impl FnMut() -> F,
) -> Option<Duration> {
    let start = Instant::now();
    while start.elapsed() < within {
        if check().await {
            return Some(start.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

mod suite {
    use super::*;

    pub async fn assign_epochs_only_grow<R: Registry>(a: &R, b: &R) {
        let c00 = CellId::new(0, 0);
        let c10 = CellId::new(1, 0);
        let e1 = a.assign(c00, ZoneId(1)).await.unwrap();
        let e2 = a.assign(c10, ZoneId(1)).await.unwrap();
        let e3 = a.assign(c00, ZoneId(2)).await.unwrap();
        assert!(e1 < e2 && e2 < e3, "{e1} {e2} {e3}");
        assert_eq!(a.assignments()[&c00].zone, ZoneId(2));
        assert_eq!(a.assignments()[&c00].epoch, e3);
        // The other handle converges on the same table, with the same epochs.
        let mut watch = b.watch();
        let seen = timeout(Duration::from_secs(5), watch.wait_for(|t| t.get(&c00).is_some_and(|x| x.epoch == e3)))
            .await
            .expect("the reader sees the last write")
            .unwrap()
            .clone();
        assert_eq!(seen[&c10].epoch, e2);
        assert_eq!(seen[&c10].zone, ZoneId(1));
        assert_eq!(seen.len(), 2);
        // Each write records the owner it took the cell from.
        assert_eq!((seen[&c00].previous, seen[&c10].previous), (Some(ZoneId(1)), None));
    }

    pub async fn watch_sees_every_change<R: Registry>(a: &R, b: &R) {
        let mut watch = b.watch();
        watch.borrow_and_update();
        let cell = CellId::new(3, 2);
        for owner in 1..=5 {
            let epoch = a.assign(cell, ZoneId(owner)).await.unwrap();
            let table =
                timeout(Duration::from_secs(5), watch.wait_for(|t| t.get(&cell).is_some_and(|x| x.epoch >= epoch)))
                    .await
                    .expect("the watcher is told")
                    .unwrap()
                    .clone();
            assert_eq!(table[&cell].zone, ZoneId(owner));
            assert_eq!(table[&cell].epoch, epoch);
        }
    }

    pub async fn leases_expire_and_take_registrations_and_loads_with_them<R: Registry>(a: &R, b: &R) {
        let kept = a.register_zone(zone(1), TTL).await.unwrap();
        let abandoned = a.register_zone(zone(2), TTL).await.unwrap();
        let gateway = gateway(1);
        let gateway_lease = a.register_gateway(gateway.clone(), TTL).await.unwrap();
        assert_eq!(abandoned.member(), Member::Zone(ZoneId(2)));
        assert!(abandoned.ttl() >= TTL);
        a.report_load(&kept, load(10)).await.unwrap();
        a.report_load(&abandoned, load(20)).await.unwrap();
        assert_eq!(
            a.report_load(&gateway_lease, load(1)).await,
            Err(RegistryError::NotAZoneLease { lease: gateway_lease.id(), member: Member::Gateway(GatewayId(1)) })
        );

        let registered = Instant::now();
        let zones = b.zones().await.unwrap();
        assert_eq!(zones.get(&ZoneId(2)), Some(&zone(2)), "registered zones are listed with their info");
        assert_eq!(b.loads().await.unwrap()[&ZoneId(2)], load(20));
        assert_eq!(b.gateways().await.unwrap()[&GatewayId(1)], gateway);

        let result = tokio::select! {
            result = a.keep_alive(&kept) => Some(result),
            gone = eventually(TTL * 3, || async { !b.zones().await.unwrap().contains_key(&ZoneId(2)) }) => {
                assert!(gone.is_some(), "an abandoned lease expires");
                None
            }
        };
        assert!(result.is_none(), "keep-alive of a live lease ended: {result:?}");
        let expired_after = registered.elapsed();
        assert!(expired_after >= TTL - Duration::from_millis(300), "expired too early: {expired_after:?}");
        let loads = b.loads().await.unwrap();
        assert!(!loads.contains_key(&ZoneId(2)), "a dead zone's load goes with its lease");
        assert_eq!(loads.get(&ZoneId(1)), Some(&load(10)), "a kept lease keeps its load");
        assert!(b.zones().await.unwrap().contains_key(&ZoneId(1)), "a kept lease stays registered");
        assert!(kept.validity().held(), "its holder knows a kept lease valid");
        assert!(!abandoned.validity().held(), "its holder knows an abandoned lease gone");
        assert!(!b.gateways().await.unwrap().contains_key(&GatewayId(1)), "the gateway did not keep its lease");
        assert_eq!(a.report_load(&abandoned, load(1)).await, Err(RegistryError::LeaseExpired(abandoned.id())));

        // Revoking ends the lease at once, and its keep-alive reports the loss.
        a.revoke(&kept).await.unwrap();
        assert!(!b.zones().await.unwrap().contains_key(&ZoneId(1)));
        let lost = timeout(TTL * 2, a.keep_alive(&kept)).await.expect("keep-alive of a revoked lease returns");
        assert_eq!(lost, Err(RegistryError::LeaseExpired(kept.id())));
    }

    pub async fn a_zone_registers_once_while_its_lease_lives<R: Registry>(a: &R, b: &R) {
        let first = a.register_zone(zone(5), TTL).await.unwrap();
        assert_eq!(b.register_zone(zone(5), TTL).await, Err(RegistryError::AlreadyRegistered(Member::Zone(ZoneId(5)))));
        let first_run = b.zone_runs().await.unwrap()[&ZoneId(5)];
        // A cell moved away from the first run, then the zone started again under its id: the
        // second run registered after the move, so whoever gets the cell knows it has no live
        // holder.
        let moved = a.assign(CellId::new(3, 0), ZoneId(6)).await.unwrap();
        assert!(first_run < moved, "the first run registered before the move");
        a.revoke(&first).await.unwrap();
        assert!(!b.zone_runs().await.unwrap().contains_key(&ZoneId(5)), "a run is listed while its lease lives");
        let second = b.register_zone(zone(5), TTL).await.unwrap();
        assert_ne!(first.id(), second.id());
        let second_run = a.zone_runs().await.unwrap()[&ZoneId(5)];
        assert!(second_run > moved, "the second run registered after the move: {second_run} vs {moved}");
    }

    pub async fn a_gateway_marks_only_its_own_record_draining<R: Registry>(a: &R, b: &R) {
        let lease = a.register_gateway(gateway(7), TTL).await.unwrap();
        let zone_lease = a.register_zone(zone(8), TTL).await.unwrap();
        let draining = GatewayInfo { draining: true, ..gateway(7) };
        a.update_gateway(&lease, draining.clone()).await.unwrap();
        assert_eq!(b.gateways().await.unwrap()[&GatewayId(7)], draining, "others see the mark");

        let not_its = |lease: &mmo_cluster::Lease, record| RegistryError::NotItsLease {
            lease: lease.id(),
            member: lease.member(),
            record: Member::Gateway(GatewayId(record)),
        };
        assert_eq!(a.update_gateway(&zone_lease, gateway(7)).await, Err(not_its(&zone_lease, 7)));
        assert_eq!(a.update_gateway(&lease, gateway(9)).await, Err(not_its(&lease, 9)));
        assert!(!b.gateways().await.unwrap().contains_key(&GatewayId(9)), "no record written for another gateway");

        a.revoke(&lease).await.unwrap();
        assert_eq!(a.update_gateway(&lease, draining).await, Err(RegistryError::LeaseExpired(lease.id())));
        assert!(b.gateways().await.unwrap().is_empty(), "a gone gateway's record is not brought back");
    }

    pub async fn loads_replace_the_previous_report<R: Registry>(a: &R, b: &R) {
        let lease = a.register_zone(zone(3), TTL).await.unwrap();
        a.report_load(&lease, load(1)).await.unwrap();
        a.report_load(&lease, load(42)).await.unwrap();
        let loads = b.loads().await.unwrap();
        assert_eq!(loads.len(), 1);
        assert_eq!(loads[&ZoneId(3)].entities, 42);
        assert_eq!(loads[&ZoneId(3)].load(), 0.2);
    }

    pub async fn events_come_back_in_order_and_limited<R: Registry>(a: &R, b: &R) {
        assert!(b.events(10).await.unwrap().is_empty());
        let moved = |i: u64| Event {
            at_unix_ms: 1000 + i,
            kind: EventKind::CellMoved {
                cell: CellId::new(i as u16, 0),
                from: Some(ZoneId(1)),
                to: ZoneId(2),
                epoch: Epoch(i),
                reason: MoveReason::Hotspot { from_load: 0.9, to_load: 0.2 },
            },
        };
        for i in 0..5 {
            a.log_event(moved(i)).await.unwrap();
        }
        a.log_event(Event { at_unix_ms: 2000, kind: EventKind::ZoneDied { zone: ZoneId(1) } }).await.unwrap();
        let all = b.events(100).await.unwrap();
        assert_eq!(all.len(), 6);
        assert_eq!(all[0], moved(0));
        assert_eq!(all[5].kind, EventKind::ZoneDied { zone: ZoneId(1) });
        let last = b.events(2).await.unwrap();
        assert_eq!(last, vec![moved(4), all[5].clone()], "the newest, oldest first");
        assert!(b.events(0).await.unwrap().is_empty());
    }

    pub async fn a_split_and_a_merge_replace_cells_in_one_write<R: Registry>(a: &R, b: &R) {
        let (cell, other) = (CellId::new(1, 0), CellId::new(0, 0));
        let quarters = cell.quarters();
        a.assign(cell, ZoneId(1)).await.unwrap();
        a.assign(other, ZoneId(2)).await.unwrap();
        let mut watch = b.watch();
        watch.borrow_and_update();
        // Every table the other handle sees holds the cell or its four quarters, never both or neither.
        let whole = |t: &AssignmentTable| {
            let parts = quarters.iter().filter(|q| t.contains_key(q)).count();
            assert!(
                t.contains_key(&cell) != (parts == 4) && (parts == 0 || parts == 4),
                "a half-written reshape: {t:?}"
            );
            t.contains_key(&cell)
        };
        let refused = a.reshape(&Reshaping::split(cell, ZoneId(2))).await;
        assert!(matches!(refused, Err(RegistryError::NotOwned { zone: ZoneId(2), .. })), "{refused:?}");
        let split = a.reshape(&Reshaping::split(cell, ZoneId(1))).await.unwrap();
        let seen = timeout(Duration::from_secs(5), watch.wait_for(|t| !whole(t))).await.unwrap().unwrap().clone();
        assert!(quarters.iter().all(|q| seen[q] == Assignment::new(ZoneId(1), split, Some(ZoneId(1)))), "{seen:?}");
        assert_eq!(seen[&other].zone, ZoneId(2));
        // A quarter moved away: the zone cannot merge them.
        a.assign(quarters[2], ZoneId(2)).await.unwrap();
        let refused = a.reshape(&Reshaping::merge(cell, ZoneId(1))).await;
        assert!(matches!(refused, Err(RegistryError::NotOwned { .. })), "{refused:?}");
        a.assign(quarters[2], ZoneId(1)).await.unwrap();
        let merged = a.reshape(&Reshaping::merge(cell, ZoneId(1))).await.unwrap();
        let seen = timeout(Duration::from_secs(5), watch.wait_for(|t| whole(t))).await.unwrap().unwrap().clone();
        assert_eq!(seen[&cell], Assignment::new(ZoneId(1), merged, Some(ZoneId(1))));
        assert_eq!(seen.len(), 2);
        assert_eq!(a.assignments().len(), 2);
    }

    pub async fn drain_marks_are_kept_until_cleared<R: Registry>(a: &R, b: &R) {
        a.set_draining(ZoneId(4), true).await.unwrap();
        a.set_draining(ZoneId(6), true).await.unwrap();
        a.set_draining(ZoneId(4), false).await.unwrap();
        assert_eq!(b.draining().await.unwrap().into_iter().collect::<Vec<_>>(), [ZoneId(6)]);
    }
}

macro_rules! conformance {
    ($($check:ident),* $(,)?) => {
        mod memory {
            use mmo_cluster::MemoryRegistry;
            $(
                #[tokio::test]
                async fn $check() {
                    let registry = MemoryRegistry::default();
                    super::suite::$check(&registry, &registry).await;
                }
            )*
        }

        mod etcd {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $check() {
                    let etcd = mmo_test_services::Etcd::start().expect("a real etcd for the etcd registry suite");
                    let (a, _fa) = connect(etcd.endpoint()).await;
                    let (b, _fb) = connect(etcd.endpoint()).await;
                    super::suite::$check(&a, &b).await;
                }
            )*
        }
    };
}

/// A handle with its follower running until the returned guard drops.
async fn connect(endpoint: &str) -> (EtcdRegistry, AbortOnDrop) {
    let (registry, follower) = EtcdRegistry::connect(EtcdConfig::new([endpoint], "conformance")).await.unwrap();
    (registry, AbortOnDrop(tokio::spawn(follower.run())))
}

struct AbortOnDrop(tokio::task::JoinHandle<std::convert::Infallible>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

conformance!(
    assign_epochs_only_grow,
    watch_sees_every_change,
    leases_expire_and_take_registrations_and_loads_with_them,
    a_zone_registers_once_while_its_lease_lives,
    loads_replace_the_previous_report,
    a_gateway_marks_only_its_own_record_draining,
    events_come_back_in_order_and_limited,
    drain_marks_are_kept_until_cleared,
    a_split_and_a_merge_replace_cells_in_one_write,
);

/// A handle whose follower is not running sees nothing written after it connected until it
/// catches up: then it sees every earlier write, a split's removed cell included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catching_up_brings_a_stale_table_to_every_earlier_write() {
    let etcd = mmo_test_services::Etcd::start().expect("a real etcd for the etcd registry suite");
    let cell = CellId::new(2, 1);
    let (writer, stale, _follower) = writer_and_lagging(&etcd, cell).await;
    assert_eq!(stale.assignments()[&cell].zone, ZoneId(1));
    let moved = writer.assign(CellId::new(5, 0), ZoneId(2)).await.unwrap();
    let split = writer.reshape(&Reshaping::split(cell, ZoneId(1))).await.unwrap();
    assert!(!stale.assignments().contains_key(&CellId::new(5, 0)), "nobody follows for it");
    stale.catch_up().await.unwrap();
    let table = stale.assignments();
    assert_eq!(table[&CellId::new(5, 0)].epoch, moved);
    assert!(!table.contains_key(&cell), "the split cell is gone");
    assert!(cell.quarters().iter().all(|q| table[q].epoch == split), "{table:?}");
}

/// A handle whose table lags (its follower not running) records the owner a cell really had
/// when it assigns it, not the one its table shows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_assignment_records_the_owner_it_replaces_even_from_a_lagging_table() {
    let etcd = mmo_test_services::Etcd::start().expect("a real etcd for the etcd registry suite");
    let cell = CellId::new(4, 1);
    let (writer, stale, _follower) = writer_and_lagging(&etcd, cell).await;
    writer.assign(cell, ZoneId(2)).await.unwrap();
    assert_eq!(stale.assignments()[&cell].zone, ZoneId(1), "its table lags");
    let epoch = stale.assign(cell, ZoneId(3)).await.unwrap();
    let mut watch = writer.watch();
    let seen = timeout(Duration::from_secs(5), watch.wait_for(|t| t.get(&cell).is_some_and(|a| a.epoch == epoch)))
        .await
        .expect("the writer's follower sees the write")
        .unwrap()
        .clone();
    assert_eq!((seen[&cell].zone, seen[&cell].previous), (ZoneId(3), Some(ZoneId(2))));
}

/// A followed handle that gave `cell` to zone 1, and a handle connected after that whose
/// follower does not run (its table stays as it read it), with the guard of the first's.
async fn writer_and_lagging(etcd: &mmo_test_services::Etcd, cell: CellId) -> (EtcdRegistry, EtcdRegistry, AbortOnDrop) {
    let (writer, follower) = connect(etcd.endpoint()).await;
    writer.assign(cell, ZoneId(1)).await.unwrap();
    let (lagging, _unfollowed) =
        EtcdRegistry::connect(EtcdConfig::new([etcd.endpoint()], "conformance")).await.unwrap();
    (writer, lagging, follower)
}
