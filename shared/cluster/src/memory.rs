//! The in-memory registry of the local world and of fast tests. Leases expire on the tokio
//! clock (so paused-clock tests can advance it); expired entries are dropped when read.

use crate::records::{Event, GatewayInfo, LoadReport, ZoneInfo};
use crate::registry::{Assignment, AssignmentTable, Lease, LeaseId, Member, Registry, RegistryError, Reshaping};
use mmo_world::{CellId, Epoch, GatewayId, ZoneId};
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::convert::Infallible;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::Instant;

/// How many events the log keeps.
const EVENT_CAPACITY: usize = 1000;

/// The in-memory registry. Clones share it (every host of the local world holds one).
#[derive(Clone, Debug)]
pub struct MemoryRegistry {
    state: Arc<Mutex<State>>,
    table: Arc<watch::Sender<AssignmentTable>>,
}

#[derive(Debug, Default)]
struct State {
    revision: u64,
    next_lease: i64,
    /// Live leases and when each expires.
    leases: HashMap<LeaseId, Instant>,
    /// Each live zone, its lease and the revision it registered at.
    zones: BTreeMap<ZoneId, (ZoneInfo, LeaseId, Epoch)>,
    gateways: BTreeMap<GatewayId, (GatewayInfo, LeaseId)>,
    loads: BTreeMap<ZoneId, (LoadReport, LeaseId)>,
    draining: BTreeSet<ZoneId>,
    events: VecDeque<Event>,
}

impl State {
    /// Drops expired leases and everything registered under them.
    fn expire(&mut self, now: Instant) {
        self.leases.retain(|_, deadline| *deadline > now);
        let live = &self.leases;
        self.zones.retain(|_, (_, lease, _)| live.contains_key(lease));
        self.gateways.retain(|_, (_, lease)| live.contains_key(lease));
        self.loads.retain(|_, (_, lease)| live.contains_key(lease));
    }

    fn grant(&mut self, ttl: Duration, member: Member) -> Lease {
        self.next_lease += 1;
        let id = LeaseId(self.next_lease);
        let now = Instant::now();
        self.leases.insert(id, now + ttl);
        Lease::new(id, ttl, member, now)
    }
}

impl Default for MemoryRegistry {
    fn default() -> Self {
        MemoryRegistry { state: Arc::default(), table: Arc::new(watch::Sender::new(Arc::default())) }
    }
}

impl MemoryRegistry {
    fn state(&self) -> MutexGuard<'_, State> {
        let mut state = self.state.lock().expect("registry lock");
        state.expire(Instant::now());
        state
    }
}

impl Registry for MemoryRegistry {
    async fn assign(&self, cell: CellId, zone: ZoneId) -> Result<Epoch, RegistryError> {
        let mut state = self.state();
        state.revision += 1;
        let epoch = Epoch(state.revision);
        self.table.send_modify(|table| {
            let previous = table.get(&cell).map(|a| a.zone);
            Arc::make_mut(table).insert(cell, Assignment::new(zone, epoch, previous));
        });
        Ok(epoch)
    }

    async fn reshape(&self, reshaping: &Reshaping) -> Result<Epoch, RegistryError> {
        let mut state = self.state();
        let table = self.table.borrow().clone();
        if let Some(&cell) = reshaping.gone.iter().find(|c| table.get(c).is_none_or(|a| a.zone != reshaping.zone)) {
            return Err(RegistryError::NotOwned { cell, zone: reshaping.zone });
        }
        state.revision += 1;
        let epoch = Epoch(state.revision);
        self.table.send_modify(|table| {
            let table = Arc::make_mut(table);
            for cell in &reshaping.gone {
                table.remove(cell);
            }
            for &cell in &reshaping.made {
                table.insert(cell, Assignment::new(reshaping.zone, epoch, Some(reshaping.zone)));
            }
        });
        Ok(epoch)
    }

    fn assignments(&self) -> AssignmentTable {
        self.table.borrow().clone()
    }

    fn watch(&self) -> watch::Receiver<AssignmentTable> {
        self.table.subscribe()
    }

    async fn catch_up(&self) -> Result<(), RegistryError> {
        Ok(()) // every write is in the table at once
    }

    async fn register_zone(&self, info: ZoneInfo, ttl: Duration) -> Result<Lease, RegistryError> {
        let mut state = self.state();
        let member = Member::Zone(info.id);
        if state.zones.contains_key(&info.id) {
            return Err(RegistryError::AlreadyRegistered(member));
        }
        let lease = state.grant(ttl, member);
        state.revision += 1;
        let registered = Epoch(state.revision);
        state.zones.insert(info.id, (info, lease.id(), registered));
        Ok(lease)
    }

    async fn register_gateway(&self, info: GatewayInfo, ttl: Duration) -> Result<Lease, RegistryError> {
        let mut state = self.state();
        let member = Member::Gateway(info.id);
        if state.gateways.contains_key(&info.id) {
            return Err(RegistryError::AlreadyRegistered(member));
        }
        let lease = state.grant(ttl, member);
        state.gateways.insert(info.id, (info, lease.id()));
        Ok(lease)
    }

    async fn update_gateway(&self, lease: &Lease, info: GatewayInfo) -> Result<(), RegistryError> {
        let record = Member::Gateway(info.id);
        if lease.member() != record {
            return Err(RegistryError::NotItsLease { lease: lease.id(), member: lease.member(), record });
        }
        let mut guard = self.state();
        let state = &mut *guard;
        match state.gateways.get_mut(&info.id) {
            Some((held, id)) if *id == lease.id() && state.leases.contains_key(&lease.id()) => *held = info,
            _ => return Err(RegistryError::LeaseExpired(lease.id())),
        }
        Ok(())
    }

    async fn keep_alive(&self, lease: &Lease) -> Result<Infallible, RegistryError> {
        loop {
            {
                let mut state = self.state();
                let Some(deadline) = state.leases.get_mut(&lease.id()) else {
                    return Err(RegistryError::LeaseExpired(lease.id()));
                };
                *deadline = Instant::now() + lease.ttl();
                lease.validity().extend(*deadline);
            }
            tokio::time::sleep(lease.refresh_interval()).await;
        }
    }

    async fn revoke(&self, lease: &Lease) -> Result<(), RegistryError> {
        let mut state = self.state();
        state.leases.remove(&lease.id());
        state.expire(Instant::now());
        Ok(())
    }

    async fn zones(&self) -> Result<BTreeMap<ZoneId, ZoneInfo>, RegistryError> {
        Ok(self.state().zones.iter().map(|(id, (info, _, _))| (*id, info.clone())).collect())
    }

    async fn zone_runs(&self) -> Result<BTreeMap<ZoneId, Epoch>, RegistryError> {
        Ok(self.state().zones.iter().map(|(id, (_, _, registered))| (*id, *registered)).collect())
    }

    async fn gateways(&self) -> Result<BTreeMap<GatewayId, GatewayInfo>, RegistryError> {
        Ok(self.state().gateways.iter().map(|(id, (info, _))| (*id, info.clone())).collect())
    }

    async fn report_load(&self, lease: &Lease, report: LoadReport) -> Result<(), RegistryError> {
        let Member::Zone(zone) = lease.member() else {
            return Err(RegistryError::NotAZoneLease { lease: lease.id(), member: lease.member() });
        };
        let mut state = self.state();
        if !state.leases.contains_key(&lease.id()) {
            return Err(RegistryError::LeaseExpired(lease.id()));
        }
        state.loads.insert(zone, (report, lease.id()));
        Ok(())
    }

    async fn loads(&self) -> Result<BTreeMap<ZoneId, LoadReport>, RegistryError> {
        Ok(self.state().loads.iter().map(|(id, (report, _))| (*id, report.clone())).collect())
    }

    async fn set_draining(&self, zone: ZoneId, draining: bool) -> Result<(), RegistryError> {
        let mut state = self.state();
        if draining {
            state.draining.insert(zone);
        } else {
            state.draining.remove(&zone);
        }
        Ok(())
    }

    async fn draining(&self) -> Result<BTreeSet<ZoneId>, RegistryError> {
        Ok(self.state().draining.clone())
    }

    async fn log_event(&self, event: Event) -> Result<(), RegistryError> {
        let mut state = self.state();
        if state.events.len() == EVENT_CAPACITY {
            state.events.pop_front();
        }
        state.events.push_back(event);
        Ok(())
    }

    async fn events(&self, limit: usize) -> Result<Vec<Event>, RegistryError> {
        let state = self.state();
        Ok(state.events.iter().skip(state.events.len().saturating_sub(limit)).cloned().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::CertHash;

    #[tokio::test]
    async fn epochs_only_grow_and_watchers_see_changes() {
        let reg = MemoryRegistry::default();
        let mut watch = reg.watch();
        let a = reg.assign(CellId::new(0, 0), ZoneId(1)).await.unwrap();
        let b = reg.assign(CellId::new(0, 0), ZoneId(2)).await.unwrap();
        assert!(b > a);
        assert!(watch.has_changed().unwrap());
        let table = watch.borrow_and_update().clone();
        assert_eq!(table[&CellId::new(0, 0)], Assignment::new(ZoneId(2), b, Some(ZoneId(1))));
    }

    #[tokio::test(start_paused = true)]
    async fn leases_expire_on_the_tokio_clock_unless_kept_alive() {
        let reg = Arc::new(MemoryRegistry::default());
        let info =
            |id| ZoneInfo { id: ZoneId(id), address: String::new(), cert_hash: CertHash::default(), capacity: 1 };
        let ttl = Duration::from_secs(2);
        let kept = reg.register_zone(info(1), ttl).await.unwrap();
        let dropped = reg.register_zone(info(2), ttl).await.unwrap();
        let keeper = tokio::spawn({
            let (reg, kept) = (reg.clone(), kept.clone());
            async move { reg.keep_alive(&kept).await }
        });
        tokio::time::sleep(Duration::from_secs(10)).await;
        assert_eq!(reg.zones().await.unwrap().keys().copied().collect::<Vec<_>>(), [ZoneId(1)]);
        // What each holder knows: the kept lease's validity follows its keep-alive.
        assert!(kept.validity().held());
        assert!(!dropped.validity().held());
        assert_eq!(
            reg.report_load(&dropped, LoadReport::default()).await,
            Err(RegistryError::LeaseExpired(dropped.id()))
        );
        reg.revoke(&kept).await.unwrap();
        assert_eq!(keeper.await.unwrap(), Err(RegistryError::LeaseExpired(kept.id())));
        assert!(reg.zones().await.unwrap().is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn a_restarted_member_waits_for_its_previous_runs_lease_and_no_longer() {
        let reg = Arc::new(MemoryRegistry::default());
        let info =
            |id| ZoneInfo { id: ZoneId(id), address: String::new(), cert_hash: CertHash::default(), capacity: 1 };
        let ttl = Duration::from_secs(2);
        // A run that died at once: its lease is not kept alive and expires within its TTL.
        reg.register_zone(info(1), ttl).await.unwrap();
        let started = Instant::now();
        let again = crate::register_after_previous_run(ttl, || reg.register_zone(info(1), ttl)).await;
        assert!(again.is_ok(), "{again:?}");
        assert!(started.elapsed() <= ttl + Duration::from_millis(200), "registered once the old lease expired");
        // A live process holding the id (kept alive): refused after the TTL and a second.
        let live = again.unwrap();
        tokio::spawn({
            let reg = reg.clone();
            async move { reg.keep_alive(&live).await }
        });
        let started = Instant::now();
        let refused = crate::register_after_previous_run(ttl, || reg.register_zone(info(1), ttl)).await;
        assert!(matches!(refused, Err(RegistryError::AlreadyRegistered(_))), "{refused:?}");
        assert!(started.elapsed() >= ttl + Duration::from_secs(1));
    }
}
