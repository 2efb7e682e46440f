//! The gateway's cache of the cells its players need, fed by cell streams.
//!
//! Sessions declare the cells around their player ([`CellCache::set_interest`]); the first
//! interest in a cell subscribes to its owner zone, the last one leaving unsubscribes. One pump
//! task ([`run_pump`]) files arriving frames and announces each tick once every cell of interest
//! has reached it, so every client's snapshot of tick T is built from frames of tick T. The
//! last few frames of each cell are kept, so a session woken late still sends every tick
//! ([`crate::held`]).
//!
//! When a cell changes owner (a migration), its subscribers move with it to the new owner, which
//! sends its frames from the first tick it simulates the cell; the pump also follows the
//! registry and subscribes each cell of interest at its new owner (idempotent). A frame from an
//! older ownership epoch than the one held is ignored (fencing).

use crate::held::HeldFrames;
use mmo_cluster::registry::AssignmentTable;
use mmo_cluster::{SubscriberId, ZoneCommand, ZoneDirectory, ZoneHandle};
use mmo_protocol::{CellEvent, CellFrame};
use mmo_world::{CellId, GatewayId, Layout, SessionId, Tick, WorldGeometry, ZoneId};
use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tracing::{debug, warn};

/// Ticks of events kept per cell for sessions that fall a little behind.
const EVENT_TICKS: usize = 40;
/// A cell this many ticks behind the newest is not waited for.
const MAX_LAG_TICKS: u64 = 2;
/// Frames kept per cell: more than a session woken late sends (`CATCH_UP_TICKS`), and
/// a zone sends a late subscriber this many (its history, see `mmo_zone`'s subscribers).
const FRAME_HISTORY: usize = 8;
/// How often the cells' owners are checked besides on registry and zone directory changes.
const RECHECK: Duration = Duration::from_millis(250);
/// Frames buffered between zones and the pump.
pub const FRAME_QUEUE: usize = 4096;

/// Recent events of one cell, by tick.
type EventLog = VecDeque<(Tick, Arc<[CellEvent]>)>;

#[derive(Debug, Default)]
struct State {
    /// The newest frames of each cell, oldest first.
    frames: HashMap<CellId, VecDeque<Arc<CellFrame>>>,
    events: HashMap<CellId, EventLog>,
    interest: HashMap<CellId, HashSet<SessionId>>,
    by_session: HashMap<SessionId, Vec<CellId>>,
    /// The zone connection each cell of interest was last subscribed at: a zone restarted
    /// under the same id (a new address, a new process) is a new connection.
    subscribed_at: HashMap<CellId, ZoneHandle>,
}

/// Cell frames by cell, and who needs which cell.
#[derive(Debug)]
pub struct CellCache {
    gateway: GatewayId,
    state: Mutex<State>,
    ticks: watch::Sender<Tick>,
    frames_tx: mpsc::Sender<Arc<CellFrame>>,
    zones: ZoneDirectory,
    assignments: watch::Receiver<AssignmentTable>,
    geometry: WorldGeometry,
    /// The layout of the last table read, with that table.
    layout: Mutex<Option<(AssignmentTable, Arc<Layout>)>>,
    /// Held while deciding and sending (un)subscriptions, so that the commands of two sessions
    /// reach a zone in the order their decisions were made: without it, one session's
    /// unsubscribe could overtake another's later subscribe of the same cell and leave the
    /// gateway deaf to a cell it believes it follows.
    subscribing: tokio::sync::Mutex<()>,
}

impl CellCache {
    /// A cache and the receiver its pump reads.
    pub fn new(
        gateway: GatewayId,
        zones: ZoneDirectory,
        assignments: watch::Receiver<AssignmentTable>,
        geometry: WorldGeometry,
    ) -> (Arc<Self>, mpsc::Receiver<Arc<CellFrame>>) {
        let (frames_tx, frames_rx) = mpsc::channel(FRAME_QUEUE);
        let cache = CellCache {
            gateway,
            state: Mutex::default(),
            ticks: watch::Sender::new(Tick(0)),
            frames_tx,
            zones,
            assignments,
            geometry,
            layout: Mutex::new(None),
            subscribing: tokio::sync::Mutex::new(()),
        };
        (Arc::new(cache), frames_rx)
    }

    /// The zone owning `cell` now.
    pub fn owner(&self, cell: CellId) -> Option<ZoneHandle> {
        let zone = self.assignments.borrow().get(&cell)?.zone;
        self.zones.get(zone)
    }

    /// The world's cells as the registry's table has them now (the grid, some cells split into
    /// quarters), computed once per table.
    pub fn layout(&self) -> Arc<Layout> {
        let table = self.assignments.borrow().clone();
        let mut cached = self.layout.lock().expect("layout lock");
        if let Some((seen, layout)) = cached.as_ref() {
            if Arc::ptr_eq(seen, &table) {
                return layout.clone();
            }
        }
        let layout = Arc::new(Layout::implied(self.geometry, table.keys().copied()).unwrap_or_else(|error| {
            warn!(%error, "the assignment table is no layout of the world; using the grid");
            Layout::new(self.geometry)
        }));
        *cached = Some((table, layout.clone()));
        layout
    }

    /// The ownership epoch of `cell` now.
    pub fn epoch(&self, cell: CellId) -> Option<mmo_world::Epoch> {
        Some(self.assignments.borrow().get(&cell)?.epoch)
    }

    /// The handle of a zone.
    pub fn zone(&self, zone: ZoneId) -> Option<ZoneHandle> {
        self.zones.get(zone)
    }

    /// Announces each tick whose frames are all in.
    pub fn ticks(&self) -> watch::Receiver<Tick> {
        self.ticks.subscribe()
    }

    /// Sets the cells `session` needs; subscribes and unsubscribes zones as counts change.
    pub async fn set_interest(&self, session: SessionId, cells: &[CellId]) {
        let _order = self.subscribing.lock().await;
        let (added, removed) = {
            let mut st = self.state.lock().expect("cell cache lock");
            let old: BTreeSet<CellId> = st.by_session.get(&session).into_iter().flatten().copied().collect();
            let new: BTreeSet<CellId> = cells.iter().copied().collect();
            let mut added = Vec::new();
            let mut removed = Vec::new();
            for &cell in new.difference(&old) {
                let set = st.interest.entry(cell).or_default();
                set.insert(session);
                if set.len() == 1 {
                    added.push(cell);
                }
            }
            for &cell in old.difference(&new) {
                if let Some(set) = st.interest.get_mut(&cell) {
                    set.remove(&session);
                    if set.is_empty() {
                        st.interest.remove(&cell);
                        st.frames.remove(&cell);
                        st.events.remove(&cell);
                        removed.push(cell);
                    }
                }
            }
            if new.is_empty() {
                st.by_session.remove(&session);
            } else {
                st.by_session.insert(session, new.into_iter().collect());
            }
            (added, removed)
        };
        let subscriber = SubscriberId::Gateway(self.gateway);
        for cell in added {
            debug!(%cell, "subscribing");
            self.subscribe(cell).await;
        }
        for cell in removed {
            let at = self.state.lock().expect("cell cache lock").subscribed_at.remove(&cell);
            let owner = self.owner(cell).filter(|o| !at.as_ref().is_some_and(|a| a.same_connection(o)));
            for handle in at.into_iter().chain(owner) {
                let _ = handle.send(ZoneCommand::Unsubscribe { cell, subscriber }).await;
            }
        }
    }

    /// Subscribes to a cell at its current owner.
    async fn subscribe(&self, cell: CellId) {
        let Some(zone) = self.owner(cell) else {
            warn!(%cell, "no owner for cell");
            return;
        };
        self.state.lock().expect("cell cache lock").subscribed_at.insert(cell, zone.clone());
        let cmd = ZoneCommand::Subscribe {
            cell,
            subscriber: SubscriberId::Gateway(self.gateway),
            frames: self.frames_tx.clone(),
        };
        if zone.send(cmd).await.is_err() {
            warn!(%cell, zone = %zone.zone, "zone gone; cannot subscribe");
        }
    }

    /// After a registry change (and every [`RECHECK`]): subscribes each cell of interest whose
    /// owner changed at its new owner (the old owner moved the subscription along with the
    /// cell, or has stopped sending), and each whose owner is now reached through another
    /// connection (it restarted under its id; the old connection leads nowhere).
    pub async fn follow_owners(&self) {
        let _order = self.subscribing.lock().await;
        let moved: Vec<CellId> = {
            let st = self.state.lock().expect("cell cache lock");
            st.interest
                .keys()
                .filter(|cell| {
                    let owner = self.owner(**cell);
                    match (owner, st.subscribed_at.get(cell)) {
                        (Some(owner), Some(at)) => !owner.same_connection(at),
                        (owner, at) => owner.is_some() != at.is_some(),
                    }
                })
                .copied()
                .collect()
        };
        for cell in moved {
            debug!(%cell, "cell changed owner; subscribing at the new one");
            self.subscribe(cell).await;
        }
    }

    /// The frames held of `cells`: the last few ticks of each.
    pub fn frames(&self, cells: &[CellId]) -> HeldFrames {
        let st = self.state.lock().expect("cell cache lock");
        HeldFrames::new(cells.iter().filter_map(|c| st.frames.get(c)).flatten().cloned().collect())
    }

    /// Events in `cells` after tick `after`, oldest first.
    pub fn events_since(&self, cells: &[CellId], after: Tick) -> Vec<(Tick, CellEvent)> {
        let st = self.state.lock().expect("cell cache lock");
        let mut out: Vec<(Tick, CellEvent)> = cells
            .iter()
            .filter_map(|c| st.events.get(c))
            .flat_map(|q| q.iter().filter(|(t, _)| *t > after))
            .flat_map(|(t, evs)| evs.iter().map(move |e| (*t, e.clone())))
            .collect();
        out.sort_by_key(|(t, _)| *t);
        out
    }

    /// Files one frame. Frames older than the one held, or from an older ownership epoch, are
    /// ignored.
    fn insert(&self, frame: Arc<CellFrame>) {
        let mut st = self.state.lock().expect("cell cache lock");
        if !st.interest.contains_key(&frame.cell) {
            return;
        }
        let newest = st.frames.get(&frame.cell).and_then(|q| q.back());
        if newest.is_some_and(|f| f.tick >= frame.tick || f.epoch > frame.epoch) {
            return;
        }
        if !frame.events.is_empty() {
            let q = st.events.entry(frame.cell).or_default();
            q.push_back((frame.tick, frame.events.clone().into()));
            while q.len() > EVENT_TICKS {
                q.pop_front();
            }
        }
        let q = st.frames.entry(frame.cell).or_default();
        q.push_back(frame);
        while q.len() > FRAME_HISTORY {
            q.pop_front();
        }
    }

    /// The newest tick every cell of interest has reached (cells far behind are not waited for).
    fn complete_tick(&self) -> Option<Tick> {
        let st = self.state.lock().expect("cell cache lock");
        let reached = || st.frames.values().filter_map(|q| q.back()).map(|f| f.tick);
        let newest = reached().max()?;
        reached().filter(|t| newest.since(*t) <= MAX_LAG_TICKS).min()
    }
}

/// Files frames as they arrive and announces completed ticks, until `shutdown`.
pub async fn run_pump(
    cache: Arc<CellCache>,
    mut frames: mpsc::Receiver<Arc<CellFrame>>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut owners = cache.assignments.clone();
    // A zone's new connection (after it restarted elsewhere) shows in the zone directory, not
    // in the assignments.
    let mut connections = cache.zones.changes();
    let mut following = true;
    let mut recheck = tokio::time::interval(RECHECK);
    recheck.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let frame = tokio::select! {
            f = frames.recv() => match f {
                Some(f) => Some(f),
                None => return,
            },
            changed = owners.changed(), if following => {
                following = changed.is_ok();
                None
            }
            _ = connections.changed() => None,
            _ = recheck.tick() => None,
            _ = shutdown.wait_for(|stop| *stop) => return,
        };
        let Some(frame) = frame else {
            owners.borrow_and_update();
            connections.borrow_and_update();
            cache.follow_owners().await;
            continue;
        };
        cache.insert(frame);
        while let Ok(frame) = frames.try_recv() {
            cache.insert(frame);
        }
        if let Some(tick) = cache.complete_tick() {
            cache.ticks.send_if_modified(|t| {
                let newer = tick > *t;
                if newer {
                    *t = tick;
                }
                newer
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::held::tests::frame;
    use crate::view::tests::npc;
    use mmo_world::{EntityId, Epoch};

    #[tokio::test]
    async fn a_cell_keeps_its_last_frames_for_a_session_that_wakes_late() {
        let (_owners, assignments) = watch::channel(AssignmentTable::default());
        let (cache, _frames) =
            CellCache::new(GatewayId(1), ZoneDirectory::default(), assignments, WorldGeometry::default());
        let cell = CellId::new(0, 0);
        cache.set_interest(SessionId(1), &[cell]).await;
        let newest = FRAME_HISTORY as u64 + 2;
        for tick in 1..=newest {
            cache.insert(frame(0, 1, tick, vec![npc(7, tick as i32)]));
        }
        assert_eq!(cache.complete_tick(), Some(Tick(newest)));
        // The session sent tick 3 and then slept through the next ones: it still gets each one.
        let held = cache.frames(&[cell]);
        let mut last = Tick(3);
        let mut sent = Vec::new();
        while let Some((f, _)) = held.next_own(EntityId(7), last, Tick(newest)) {
            sent.push(f.tick.0);
            last = f.tick;
        }
        assert_eq!(sent, (4..=newest).collect::<Vec<_>>());
        // Older ticks are forgotten; a late frame of an old tick or an old epoch is ignored.
        cache.insert(frame(0, 1, 5, vec![]));
        let mut stale = (*frame(0, 1, newest + 3, vec![])).clone();
        stale.epoch = Epoch(0);
        cache.insert(Arc::new(stale));
        let ticks: Vec<u64> = cache.frames(&[cell]).at(Tick(newest + 3)).iter().map(|f| f.tick.0).collect();
        assert_eq!(ticks, [newest]);
        assert!(cache.frames(&[cell]).next_own(EntityId(7), Tick(0), Tick(2)).is_none(), "only {FRAME_HISTORY} kept");
    }
}
