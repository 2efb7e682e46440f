//! The coordinator service on the in-memory registry: zones (simulated by their leases and load
//! reports) die, drain and join; the service moves their cells and logs why.

use mmo_cluster::{CertHash, EventKind, Lease, LoadReport, MemoryRegistry, MoveReason, Registry, ZoneInfo};
use mmo_coordinator::policy::PolicyConfig;
use mmo_coordinator::service::{Coordinator, ServiceConfig, ServiceError};
use mmo_coordinator::writer::RegistryWriter;
use mmo_world::{unix_ms, CellId, WorldGeometry, ZoneId};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

const GEOMETRY: WorldGeometry = WorldGeometry { width_cells: 4, height_cells: 2, cell_tiles: 128 };
const LONG: Duration = Duration::from_secs(3600);

struct World {
    registry: Arc<MemoryRegistry>,
    leases: BTreeMap<ZoneId, Lease>,
    coordinator: Coordinator<MemoryRegistry>,
    writer: RegistryWriter<MemoryRegistry>,
    handle: mmo_coordinator::service::ServiceHandle,
}

impl World {
    /// `zones` registered (TTL `ttl`), the world split among the first `owners` of them.
    async fn start(zones: &[(u32, Duration)], owners: usize) -> World {
        World::start_with(zones, owners, PolicyConfig { max_in_flight: 2, ..PolicyConfig::default() }).await
    }

    async fn start_with(zones: &[(u32, Duration)], owners: usize, policy: PolicyConfig) -> World {
        let registry = Arc::new(MemoryRegistry::default());
        let mut leases = BTreeMap::new();
        for &(id, ttl) in zones {
            let info = ZoneInfo {
                id: ZoneId(id),
                address: format!("zone{id}"),
                cert_hash: CertHash::default(),
                capacity: 100,
            };
            leases.insert(ZoneId(id), registry.register_zone(info, ttl).await.unwrap());
        }
        let ids: Vec<ZoneId> = zones.iter().take(owners).map(|(id, _)| ZoneId(*id)).collect();
        mmo_coordinator::assign_world(registry.as_ref(), &GEOMETRY, &ids).await.unwrap();
        let config = ServiceConfig { period: Duration::from_millis(10), policy, ..ServiceConfig::new(GEOMETRY) };
        let (coordinator, handle) = Coordinator::new(registry.clone(), config);
        let writer = RegistryWriter::new(registry.clone());
        World { registry, leases, coordinator, writer, handle }
    }

    /// Every live zone reports the cells it owns (3 entities each), as a zone would after
    /// taking them.
    async fn report(&self) {
        report_owned(&self.registry, &self.leases).await;
    }

    /// Runs periods (zones reporting between them) until `done` or 50 periods.
    async fn settle(&mut self, done: impl Fn(&Self) -> bool) {
        for _ in 0..50 {
            self.report().await;
            self.coordinator.step(&self.writer).await.unwrap();
            if done(self) {
                self.report().await;
                return;
            }
        }
        panic!("not settled after 50 periods: {:?}", self.owners());
    }

    fn owners(&self) -> BTreeMap<CellId, ZoneId> {
        self.registry.assignments().iter().map(|(c, a)| (*c, a.zone)).collect()
    }

    fn count(&self, zone: ZoneId) -> usize {
        self.owners().values().filter(|z| **z == zone).count()
    }

    async fn moves(&self) -> Vec<(CellId, Option<ZoneId>, ZoneId, MoveReason)> {
        let events = self.registry.events(1000).await.unwrap();
        events
            .into_iter()
            .filter_map(|e| match e.kind {
                EventKind::CellMoved { cell, from, to, reason, .. } => Some((cell, from, to, reason)),
                _ => None,
            })
            .collect()
    }

    async fn logged(&self, wanted: &EventKind) -> bool {
        self.registry.events(1000).await.unwrap().iter().any(|e| &e.kind == wanted)
    }
}

#[tokio::test(start_paused = true)]
async fn a_dead_zones_cells_go_to_survivors() {
    let mut world = World::start(&[(1, LONG), (2, LONG), (3, Duration::from_secs(2))], 3).await;
    world.settle(|_| true).await;
    assert!(world.count(ZoneId(3)) > 0);
    let before = world.owners();

    // Zone 3 stops refreshing its lease.
    tokio::time::advance(Duration::from_secs(3)).await;
    world.settle(|w| w.count(ZoneId(3)) == 0).await;

    let moves = world.moves().await;
    for (cell, owner) in &before {
        let now = world.owners()[cell];
        if *owner == ZoneId(3) {
            assert!(now == ZoneId(1) || now == ZoneId(2), "{cell} went to a survivor, not {now}");
            assert!(moves.contains(&(*cell, Some(ZoneId(3)), now, MoveReason::ZoneDead)), "{cell} logged: {moves:?}");
        } else {
            assert_eq!(now, *owner, "{cell} of a survivor stays put");
        }
    }
    assert!(world.logged(&EventKind::ZoneDied { zone: ZoneId(3) }).await);
}

#[tokio::test]
async fn a_draining_zone_gives_all_of_its_cells_away() {
    let mut world = World::start(&[(1, LONG), (2, LONG), (3, LONG)], 3).await;
    world.settle(|_| true).await;
    let drained = world.count(ZoneId(2));
    assert!(drained > 0);
    world.registry.set_draining(ZoneId(2), true).await.unwrap();
    world.settle(|w| w.count(ZoneId(2)) == 0).await;
    // One more period notices the drain finished.
    world.coordinator.step(&world.writer).await.unwrap();

    let moves = world.moves().await;
    let drain_moves: Vec<_> = moves.iter().filter(|m| m.3 == MoveReason::Drain).collect();
    assert_eq!(drain_moves.len(), drained, "each of its cells moved once: {moves:?}");
    assert!(drain_moves.iter().all(|m| m.1 == Some(ZoneId(2)) && m.2 != ZoneId(2)));
    assert!(world.logged(&EventKind::DrainStarted { zone: ZoneId(2) }).await);
    assert!(world.logged(&EventKind::DrainFinished { zone: ZoneId(2) }).await);

    // A draining zone takes no cell from an operator either.
    let err = world.coordinator_move(CellId::new(0, 0), ZoneId(2)).await.unwrap_err();
    assert!(matches!(err, ServiceError::ZoneDraining(ZoneId(2))), "{err}");
}

#[tokio::test]
async fn a_new_zone_takes_a_share_of_the_cells() {
    let mut world = World::start(&[(1, LONG), (2, LONG), (3, LONG)], 2).await;
    assert_eq!(world.count(ZoneId(3)), 0);
    world.settle(|w| w.count(ZoneId(3)) >= 2).await;
    assert_eq!(world.count(ZoneId(3)), 2, "a fair share of 8 cells among 3 zones");
    let moves = world.moves().await;
    assert!(moves.iter().all(|m| m.3 == MoveReason::NewZone && m.2 == ZoneId(3)), "{moves:?}");
    assert!(world.logged(&EventKind::ZoneJoined { zone: ZoneId(3) }).await);
}

#[tokio::test(start_paused = true)]
async fn a_crowded_cell_is_split_in_one_write_and_the_split_is_logged() {
    let policy = PolicyConfig { split_merge: true, ..PolicyConfig::default() };
    let mut world = World::start_with(&[(1, LONG)], 1, policy).await;
    let hot = CellId::new(1, 0);
    let mut watch = world.registry.watch();
    for _ in 0..20 {
        // 80 entities in the hot cell (or its quarters), 3 in each other cell.
        let table = world.registry.assignments();
        let cells: BTreeMap<CellId, u32> =
            table.keys().map(|c| (*c, if hot.covers(*c) { 80 >> (2 * c.depth) } else { 3 })).collect();
        world.registry.report_load(&world.leases[&ZoneId(1)], report_of(cells)).await.unwrap();
        world.coordinator.step(&world.writer).await.unwrap();
        // Every table anyone sees holds the hot cell or all four of its quarters.
        let seen = watch.borrow_and_update().clone();
        assert!(seen.contains_key(&hot) != hot.quarters().iter().all(|q| seen.contains_key(q)), "{seen:?}");
    }
    let owners = world.owners();
    assert!(!owners.contains_key(&hot));
    assert!(
        hot.quarters().iter().all(|q| owners.get(q) == Some(&ZoneId(1))),
        "its zone keeps the quarters: {owners:?}"
    );
    assert!(owners.keys().all(|c| c.depth <= 1), "the quarters (20 entities each) are not split again");
    let events = world.registry.events(100).await.unwrap();
    let split = events.iter().find_map(|e| match &e.kind {
        EventKind::CellSplit { cell, zone, load, .. } => Some((*cell, *zone, *load)),
        _ => None,
    });
    let (cell, zone, load) = split.expect("the split is in the decision log");
    assert_eq!((cell, zone), (hot, ZoneId(1)));
    assert!(load > 0.5, "the cell's own load is logged: {load}");
}

#[tokio::test]
async fn operators_move_cells_through_the_leading_service() {
    let (handle, registry, stop, leading) = lead_in_background(World::start(&[(1, LONG), (2, LONG)], 2).await);
    let cell = CellId::new(0, 0);
    let epoch = handle.move_cell(cell, ZoneId(2)).await.unwrap();
    assert_eq!(registry.assignments()[&cell].zone, ZoneId(2));
    assert_eq!(registry.assignments()[&cell].epoch, epoch);
    assert!(matches!(handle.move_cell(cell, ZoneId(2)).await, Err(ServiceError::Refused(_))));
    assert!(matches!(handle.move_cell(cell, ZoneId(7)).await, Err(ServiceError::NoSuchZone(ZoneId(7)))));
    assert!(matches!(handle.move_cell(CellId::new(9, 9), ZoneId(1)).await, Err(ServiceError::NoSuchCell(_))));
    let events = registry.events(100).await.unwrap();
    assert!(events
        .iter()
        .any(|e| matches!(&e.kind, EventKind::CellMoved { reason: MoveReason::Manual, to: ZoneId(2), .. })));

    // Standing by, it refuses.
    stop.send(()).unwrap();
    let mut coordinator = leading.await.unwrap();
    let standby = tokio::spawn(async move { coordinator.stand_by(std::future::pending()).await });
    assert!(matches!(handle.move_cell(cell, ZoneId(1)).await, Err(ServiceError::NotLeader { .. })));
    standby.abort();
}

#[tokio::test]
async fn operators_split_and_merge_cells_through_the_leading_service() {
    let world = World::start(&[(1, LONG), (2, LONG)], 2).await;
    let leases = world.leases.clone();
    let (handle, registry, stop, leading) = lead_in_background(world);
    let cell = CellId::new(1, 0);
    let owner = registry.assignments()[&cell].zone;
    let epoch = handle.split_cell(cell).await.unwrap();
    let table = registry.assignments();
    assert!(!table.contains_key(&cell));
    for q in cell.quarters() {
        assert_eq!((table[&q].zone, table[&q].epoch), (owner, epoch), "its zone keeps {q}");
    }
    assert!(matches!(handle.split_cell(cell).await, Err(ServiceError::CannotSplit(_))), "split already");
    let quarter = cell.quarter(3);
    handle.split_cell(quarter).await.unwrap();
    assert!(matches!(handle.split_cell(quarter.quarter(0)).await, Err(ServiceError::CannotSplit(_))), "too deep");
    assert!(matches!(handle.merge_cell(cell).await, Err(ServiceError::CannotMerge(_))), "a quarter is split");
    // Not until its zone reports simulating every quarter (a handover may have timed out).
    assert!(matches!(handle.merge_cell(quarter).await, Err(ServiceError::InFlight(_))), "no report yet");
    report_owned(&registry, &leases).await;
    handle.merge_cell(quarter).await.unwrap();
    // A quarter moved to the other zone: the quarters are no longer one zone's.
    let other = if owner == ZoneId(1) { ZoneId(2) } else { ZoneId(1) };
    handle.move_cell(cell.quarter(0), other).await.unwrap();
    assert!(matches!(handle.merge_cell(cell).await, Err(ServiceError::CannotMerge(_))), "owned by two zones");
    let events = registry.events(100).await.unwrap();
    let reshapes =
        events.iter().filter(|e| matches!(e.kind, EventKind::CellSplit { .. } | EventKind::CellsMerged { .. }));
    assert_eq!(reshapes.count(), 3, "two splits and a merge logged");
    stop.send(()).unwrap();
    leading.await.unwrap();
}

/// Every live zone of `leases` reports the cells it owns (3 entities each), as a zone would
/// after taking them.
async fn report_owned(registry: &MemoryRegistry, leases: &BTreeMap<ZoneId, Lease>) {
    let live = registry.zones().await.unwrap();
    let table = registry.assignments();
    for (zone, lease) in leases {
        if !live.contains_key(zone) {
            continue;
        }
        let cells: BTreeMap<CellId, u32> =
            table.iter().filter(|(_, a)| a.zone == *zone).map(|(c, _)| (*c, 3)).collect();
        registry.report_load(lease, report_of(cells)).await.unwrap();
    }
}

/// A zone's report now of `cells` (entities per cell), 5 ms ticks of 50, sized for 100.
fn report_of(cells: BTreeMap<CellId, u32>) -> LoadReport {
    LoadReport {
        at_unix_ms: unix_ms(),
        tick_time_ms_p99: 5.0,
        budget_ms: 50.0,
        entities: cells.values().sum(),
        entities_per_cell: cells,
        capacity: 100,
    }
}

/// The world's coordinator leading in a task until `stop` is sent; the task gives it back.
fn lead_in_background(
    world: World,
) -> (
    mmo_coordinator::service::ServiceHandle,
    Arc<MemoryRegistry>,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<Coordinator<MemoryRegistry>>,
) {
    let World { mut coordinator, writer, handle, registry, .. } = world;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let leading = tokio::spawn(async move {
        coordinator
            .lead(&writer, async {
                stopped.await.ok();
            })
            .await
            .unwrap();
        coordinator
    });
    (handle, registry, stop, leading)
}

impl World {
    async fn coordinator_move(&mut self, cell: CellId, zone: ZoneId) -> Result<mmo_world::Epoch, ServiceError> {
        let handle = self.handle.clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let ask = async move {
            let answer = handle.move_cell(cell, zone).await;
            stop.send(()).ok();
            answer
        };
        let lead = self.coordinator.lead(&self.writer, async {
            stopped.await.ok();
        });
        let (answer, led) = tokio::join!(ask, lead);
        led.unwrap();
        answer
    }
}
