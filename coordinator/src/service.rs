//! The coordinator service: every period, while this replica leads, it reads the registry
//! (assignments, live zones, drain marks, loads), derives each zone's [`ZoneState`], runs the
//! [`Policy`], writes each move through a [`CellWriter`] and logs it with its reason, and keeps
//! track of the migrations in flight. It also logs membership changes (zone joined, died, drain
//! started and finished) and carries out operators' moves ([`ServiceHandle::move_cell`]).
//!
//! Nothing is spawned: the host drives [`Coordinator::lead`] while it leads and
//! [`Coordinator::stand_by`] while it does not (then operators' moves are refused with
//! [`ServiceError::NotLeader`]).
//!
//! A migration is in flight from its write until the new owner's load report lists the cell
//! (it simulates it), or for at most `migration_timeout`.

use crate::election::LeaderInfo;
use crate::flight::InFlight;
use crate::plan::{self, MoveRefused};
use crate::policy::{simulates_all, CellMove, Policy, PolicyConfig, PolicyInput, Reshape, ZoneState};
use crate::writer::{CellWriter, WriteError};
use mmo_cluster::{Event, EventKind, LoadReport, MoveReason, Registry, RegistryError, Reshaping, ZoneInfo};
use mmo_world::{unix_ms, CellId, Epoch, Layout, WorldGeometry, ZoneId};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot, watch};
use tracing::{info, warn};

/// Operators' requests waiting for the loop.
const REQUEST_QUEUE: usize = 64;
/// Events a new leader reads back for the cooldowns of earlier moves.
const RECALL_EVENTS: usize = 1000;

/// How the service runs.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceConfig {
    pub geometry: WorldGeometry,
    /// How often the policy runs.
    pub period: Duration,
    pub policy: PolicyConfig,
    /// Whether the policy moves cells by itself; off: only operators move cells.
    pub rebalance: bool,
    /// The policy waits until this many zones are active (a cluster starting up is not
    /// rebalanced onto its first zone).
    pub min_zones: usize,
    /// A migration counts as in flight at most this long.
    pub migration_timeout: Duration,
}

impl ServiceConfig {
    pub fn new(geometry: WorldGeometry) -> Self {
        ServiceConfig {
            geometry,
            period: Duration::from_secs(1),
            policy: PolicyConfig::default(),
            rebalance: true,
            min_zones: 1,
            migration_timeout: Duration::from_secs(10),
        }
    }
}

/// Why the service could not do something.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceError {
    /// This replica does not lead; `leader` is who does, if known.
    #[error("this coordinator is not the leader (leader: {})", leader.as_deref().unwrap_or("unknown"))]
    NotLeader { leader: Option<String> },
    #[error("no cell {0} in this world")]
    NoSuchCell(CellId),
    #[error("no live zone {0}")]
    NoSuchZone(ZoneId),
    #[error("zone {0} is draining: it takes no cells")]
    ZoneDraining(ZoneId),
    #[error("cell {0} cannot be split: it is no cell of the world now (split already, or inside a cell not split), or at the deepest level")]
    CannotSplit(CellId),
    #[error("the quarters of cell {0} are not four cells of the world owned by one zone")]
    CannotMerge(CellId),
    #[error(
        "cell {0} is moving between zones (or its zone does not report simulating it yet): try again once it arrived"
    )]
    InFlight(CellId),
    #[error(transparent)]
    Refused(#[from] MoveRefused),
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error(transparent)]
    Write(WriteError),
    /// The service loop is not running.
    #[error("the coordinator service stopped")]
    Stopped,
}

impl From<WriteError> for ServiceError {
    fn from(error: WriteError) -> Self {
        match error {
            WriteError::NotLeader => ServiceError::NotLeader { leader: None },
            WriteError::Registry(e) => ServiceError::Registry(e),
            other => ServiceError::Write(other),
        }
    }
}

pub use crate::flight::Migration;

/// What the service shows operators besides the registry.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Status {
    /// Whether this replica leads now.
    pub leading: bool,
    /// Who leads, if known.
    pub leader: Option<LeaderView>,
    pub rebalance: bool,
    /// Migrations in flight, by cell.
    pub migrations: Vec<Migration>,
    /// When the last period ran (unix ms), 0 before the first.
    pub last_step_unix_ms: u64,
}

/// The leader, as the API shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LeaderView {
    pub name: String,
    pub epoch: Epoch,
}

impl From<LeaderInfo> for LeaderView {
    fn from(info: LeaderInfo) -> Self {
        LeaderView { name: info.candidate, epoch: info.epoch }
    }
}

enum Request {
    MoveCell {
        cell: CellId,
        zone: ZoneId,
        reply: oneshot::Sender<Result<Epoch, ServiceError>>,
    },
    /// Split `cell` (`split`) or merge its quarters.
    Reshape {
        cell: CellId,
        split: bool,
        reply: oneshot::Sender<Result<Epoch, ServiceError>>,
    },
}

impl Request {
    fn refuse(self, error: ServiceError) {
        let (Request::MoveCell { reply, .. } | Request::Reshape { reply, .. }) = self;
        let _ = reply.send(Err(error));
    }
}

/// The operators' handle on the service (the API holds one). Cheap to clone.
#[derive(Clone, Debug)]
pub struct ServiceHandle {
    requests: mpsc::Sender<Request>,
    status: Arc<watch::Sender<Status>>,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Request::MoveCell { cell, zone, .. } => write!(f, "MoveCell({cell} -> {zone})"),
            Request::Reshape { cell, split: true, .. } => write!(f, "SplitCell({cell})"),
            Request::Reshape { cell, split: false, .. } => write!(f, "MergeCell({cell})"),
        }
    }
}

impl ServiceHandle {
    /// Moves `cell` with everything in it to `zone` (an operator's move: logged with
    /// [`MoveReason::Manual`], and the policy leaves the cell there for its cooldown).
    pub async fn move_cell(&self, cell: CellId, zone: ZoneId) -> Result<Epoch, ServiceError> {
        let (reply, answer) = oneshot::channel();
        self.requests.send(Request::MoveCell { cell, zone, reply }).await.map_err(|_| ServiceError::Stopped)?;
        answer.await.map_err(|_| ServiceError::Stopped)?
    }

    /// Splits `cell` into its quarters, which its zone keeps (an operator's split: logged,
    /// and the policy does not merge them within its cooldown).
    pub async fn split_cell(&self, cell: CellId) -> Result<Epoch, ServiceError> {
        self.ask_reshape(cell, true).await
    }

    /// Merges the four quarters of `cell`, owned by one zone, back into it.
    pub async fn merge_cell(&self, cell: CellId) -> Result<Epoch, ServiceError> {
        self.ask_reshape(cell, false).await
    }

    async fn ask_reshape(&self, cell: CellId, split: bool) -> Result<Epoch, ServiceError> {
        let (reply, answer) = oneshot::channel();
        self.requests.send(Request::Reshape { cell, split, reply }).await.map_err(|_| ServiceError::Stopped)?;
        answer.await.map_err(|_| ServiceError::Stopped)?
    }

    pub fn status(&self) -> Status {
        self.status.borrow().clone()
    }

    /// Records who leads (hosts with an election call it as the role changes).
    pub fn set_leader(&self, leader: Option<LeaderView>) {
        self.status.send_if_modified(|status| {
            let changed = status.leader != leader;
            status.leader = leader;
            changed
        });
    }
}

/// The service's state between periods.
#[derive(Debug)]
pub struct Coordinator<R> {
    registry: Arc<R>,
    config: ServiceConfig,
    policy: Policy,
    in_flight: InFlight,
    /// Live zones seen at the last period (to log joins and deaths), `None` before the first.
    live: Option<BTreeSet<ZoneId>>,
    /// Draining zones seen at the last period, and the ones that finished.
    draining: BTreeSet<ZoneId>,
    drained: BTreeSet<ZoneId>,
    requests: mpsc::Receiver<Request>,
    status: Arc<watch::Sender<Status>>,
}

/// What one period read from the registry.
struct View {
    assignment: BTreeMap<CellId, ZoneId>,
    live: BTreeMap<ZoneId, ZoneInfo>,
    draining: BTreeSet<ZoneId>,
    loads: BTreeMap<ZoneId, LoadReport>,
}

impl<R: Registry> Coordinator<R> {
    pub fn new(registry: Arc<R>, config: ServiceConfig) -> (Self, ServiceHandle) {
        let (requests_tx, requests) = mpsc::channel(REQUEST_QUEUE);
        let status = Arc::new(watch::Sender::new(Status { rebalance: config.rebalance, ..Status::default() }));
        let handle = ServiceHandle { requests: requests_tx, status: status.clone() };
        let coordinator = Coordinator {
            registry,
            policy: Policy::new(config.policy.clone()),
            config,
            in_flight: InFlight::default(),
            live: None,
            draining: BTreeSet::new(),
            drained: BTreeSet::new(),
            requests,
            status,
        };
        (coordinator, handle)
    }

    pub fn config(&self) -> &ServiceConfig {
        &self.config
    }

    /// Runs the periods and answers operators, writing through `writer`, until `until`
    /// completes (then `Ok`) or the writer finds this replica deposed (then
    /// [`ServiceError::NotLeader`]).
    pub async fn lead<W: CellWriter>(
        &mut self,
        writer: &W,
        until: impl Future<Output = ()>,
    ) -> Result<(), ServiceError> {
        tokio::pin!(until);
        self.status.send_modify(|s| s.leading = true);
        self.recall().await;
        let mut every = tokio::time::interval(self.config.period);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let outcome = loop {
            tokio::select! {
                () = &mut until => break Ok(()),
                _ = every.tick() => match self.step(writer).await {
                    Err(error @ ServiceError::NotLeader { .. }) => break Err(error),
                    Err(error) => warn!(%error, "coordinator period failed"),
                    Ok(()) => {}
                },
                Some(request) = self.requests.recv() => {
                    if let Err(error @ ServiceError::NotLeader { .. }) = self.handle(writer, request).await {
                        break Err(error);
                    }
                }
            }
        };
        self.status.send_modify(|s| s.leading = false);
        metrics::gauge!("mmo_coordinator_leading").set(0.0);
        outcome
    }

    /// On taking the lead: the cooldowns of the moves earlier leaders wrote, from the registry's
    /// event log ([`Policy::recall`]), so that this leader does not move a cell straight back.
    async fn recall(&mut self) {
        match self.registry.events(RECALL_EVENTS).await {
            Ok(events) => {
                let moves = events.iter().filter_map(|e| match &e.kind {
                    EventKind::CellMoved { cell, reason, .. } => Some((*cell, e.at_unix_ms, reason)),
                    _ => None,
                });
                self.policy.recall(moves, unix_ms());
                for e in &events {
                    if let EventKind::CellSplit { cell, .. } | EventKind::CellsMerged { cell, .. } = &e.kind {
                        self.policy.hold_shape(*cell, e.at_unix_ms);
                    }
                }
            }
            Err(error) => warn!(%error, "cannot read the event log: earlier leaders' cooldowns are not known"),
        }
    }

    /// Answers operators' moves with [`ServiceError::NotLeader`] until `until` completes.
    pub async fn stand_by(&mut self, until: impl Future<Output = ()>) {
        tokio::pin!(until);
        loop {
            tokio::select! {
                () = &mut until => return,
                Some(request) = self.requests.recv() => {
                    let leader = self.status.borrow().leader.as_ref().map(|l| l.name.clone());
                    request.refuse(ServiceError::NotLeader { leader });
                }
            }
        }
    }

    /// One period (see the module doc).
    pub async fn step<W: CellWriter>(&mut self, writer: &W) -> Result<(), ServiceError> {
        let started = Instant::now();
        metrics::gauge!("mmo_coordinator_leading").set(1.0);
        let now = unix_ms();
        let view = self.read().await?;
        self.settle(&view.loads, now);
        self.note_membership(&view, now).await;
        let zones = zone_states(&view);
        let active = zones.values().filter(|s| **s == ZoneState::Active).count();
        if self.config.rebalance && active >= self.config.min_zones.max(1) {
            let in_flight = self.in_flight.cells();
            let layout = match Layout::implied(self.config.geometry, view.assignment.keys().copied()) {
                Ok(layout) => layout,
                Err(error) => {
                    warn!(%error, "the assignment table is no layout of the world; not rebalancing");
                    self.publish_status(now);
                    return Ok(());
                }
            };
            let input = PolicyInput {
                now_ms: now,
                layout: &layout,
                assignment: &view.assignment,
                zones: &zones,
                loads: &view.loads,
                in_flight: &in_flight,
            };
            let decisions = self.policy.plan(&input);
            for step in decisions.moves {
                let migration = step.is_migration();
                self.apply(writer, step, migration, now).await?;
            }
            for reshape in decisions.reshapes {
                self.reshape(writer, &reshape, now).await?;
            }
        }
        self.publish_status(now);
        metrics::histogram!("mmo_coordinator_period_seconds").record(started.elapsed());
        Ok(())
    }

    async fn read(&self) -> Result<View, ServiceError> {
        let assignment = self.registry.assignments().iter().map(|(c, a)| (*c, a.zone)).collect();
        let live = self.registry.zones().await?;
        let draining = self.registry.draining().await?;
        let loads = self.registry.loads().await?;
        Ok(View { assignment, live, draining, loads })
    }

    /// Writes one move, logs it, and tracks it while in flight.
    /// `migration`: a live owner hands the cell over (else the receiver starts it afresh).
    async fn apply<W: CellWriter>(
        &mut self,
        writer: &W,
        step: CellMove,
        migration: bool,
        now: u64,
    ) -> Result<Epoch, ServiceError> {
        let epoch = writer.write(step.cell, step.from, step.to, migration).await?;
        info!(cell = %step.cell, from = ?step.from, to = %step.to, %epoch, reason = ?step.reason, "cell moved");
        metrics::counter!("mmo_coordinator_moves_total", "reason" => step.reason.name()).increment(1);
        if migration {
            self.in_flight.start(Migration {
                cell: step.cell,
                from: step.from,
                to: step.to,
                epoch,
                started_unix_ms: now,
                reason: step.reason.clone(),
            });
        }
        let kind = EventKind::CellMoved { cell: step.cell, from: step.from, to: step.to, epoch, reason: step.reason };
        self.log(kind, now).await;
        Ok(epoch)
    }

    /// An operator's split or merge of `cell` (see [`ServiceHandle::split_cell`]).
    async fn reshape_by_hand<W: CellWriter>(
        &mut self,
        writer: &W,
        cell: CellId,
        split: bool,
    ) -> Result<Epoch, ServiceError> {
        let table = self.registry.assignments();
        let layout =
            Layout::implied(self.config.geometry, table.keys().copied()).map_err(|_| ServiceError::NoSuchCell(cell))?;
        let reshape = if split {
            let owner = table.get(&cell).filter(|_| layout.can_split(cell)).ok_or(ServiceError::CannotSplit(cell))?;
            Reshape::Split { cell, zone: owner.zone, load: 0.0 }
        } else {
            let quarters = cell.quarters();
            let owners: BTreeSet<ZoneId> = quarters.iter().filter_map(|q| table.get(q).map(|a| a.zone)).collect();
            let whole = quarters.iter().all(|q| layout.is_leaf(*q) && table.contains_key(q));
            match owners.first() {
                Some(&zone) if whole && owners.len() == 1 => Reshape::Merge { cell, zone, load: 0.0 },
                _ => return Err(ServiceError::CannotMerge(cell)),
            }
        };
        let in_flight = self.in_flight.cells();
        if let Some(moving) = reshape.cells().0.into_iter().find(|c| in_flight.contains(c)) {
            return Err(ServiceError::InFlight(moving));
        }
        // A quarter whose handover timed out may still be with the zone it left.
        if !split && !simulates_all(&self.registry.loads().await?, reshape.zone(), &cell.quarters()) {
            return Err(ServiceError::InFlight(cell));
        }
        let now = unix_ms();
        let epoch = self.reshape(writer, &reshape, now).await?.ok_or(ServiceError::InFlight(cell))?;
        self.policy.hold_shape(cell, now);
        self.publish_status(now);
        Ok(epoch)
    }

    /// Writes a split or a merge and logs it; its epoch, or `None` if a cell moved meanwhile
    /// (the write refused: the policy tries again next period).
    async fn reshape<W: CellWriter>(
        &mut self,
        writer: &W,
        reshape: &Reshape,
        now: u64,
    ) -> Result<Option<Epoch>, ServiceError> {
        let (cell, zone) = (reshape.cell(), reshape.zone());
        let reshaping = match reshape {
            Reshape::Split { .. } => Reshaping::split(cell, zone),
            Reshape::Merge { .. } => Reshaping::merge(cell, zone),
        };
        let epoch = match writer.reshape(&reshaping).await {
            Ok(epoch) => epoch,
            Err(WriteError::Registry(RegistryError::NotOwned { cell: moved, .. })) => {
                warn!(%cell, %zone, %moved, "not reshaped: a cell moved meanwhile");
                return Ok(None);
            }
            Err(error) => return Err(error.into()),
        };
        let kind = match *reshape {
            Reshape::Split { load, .. } => EventKind::CellSplit { cell, zone, epoch, load },
            Reshape::Merge { load, .. } => EventKind::CellsMerged { cell, zone, epoch, load },
        };
        let name = if matches!(reshape, Reshape::Split { .. }) { "split" } else { "merge" };
        info!(%cell, %zone, %epoch, ?reshape, "cells reshaped");
        metrics::counter!("mmo_coordinator_reshapes_total", "kind" => name).increment(1);
        self.log(kind, now).await;
        Ok(Some(epoch))
    }

    async fn handle<W: CellWriter>(&mut self, writer: &W, request: Request) -> Result<(), ServiceError> {
        let (result, reply) = match request {
            Request::MoveCell { cell, zone, reply } => (self.move_by_hand(writer, cell, zone).await, reply),
            Request::Reshape { cell, split, reply } => (self.reshape_by_hand(writer, cell, split).await, reply),
        };
        let deposed = matches!(result, Err(ServiceError::NotLeader { .. }));
        let _ = reply.send(result);
        if deposed {
            return Err(ServiceError::NotLeader { leader: None });
        }
        Ok(())
    }

    async fn move_by_hand<W: CellWriter>(
        &mut self,
        writer: &W,
        cell: CellId,
        to: ZoneId,
    ) -> Result<Epoch, ServiceError> {
        let table = self.registry.assignments();
        let is_cell = match Layout::implied(self.config.geometry, table.keys().copied()) {
            Ok(layout) => layout.is_leaf(cell),
            Err(_) => self.config.geometry.contains_cell(cell),
        };
        if !is_cell {
            return Err(ServiceError::NoSuchCell(cell));
        }
        let live = self.registry.zones().await?;
        if !live.contains_key(&to) {
            return Err(ServiceError::NoSuchZone(to));
        }
        if self.registry.draining().await?.contains(&to) {
            return Err(ServiceError::ZoneDraining(to));
        }
        let table = self.registry.assignments();
        let from = match plan::migration(&table, cell, to) {
            Ok(from) => Some(from),
            Err(MoveRefused::NoOwner(_)) => None,
            Err(refused) => return Err(refused.into()),
        };
        let now = unix_ms();
        // From a dead owner (or none) it is a recovery: the receiver starts the cell afresh.
        let handed_over = from.is_some_and(|z| live.contains_key(&z));
        let epoch = self.apply(writer, CellMove { cell, from, to, reason: MoveReason::Manual }, handed_over, now).await;
        self.policy.hold(cell, now);
        self.publish_status(now);
        epoch
    }

    /// Logs zones joining, dying, starting and finishing a drain.
    async fn note_membership(&mut self, view: &View, now: u64) {
        let live: BTreeSet<ZoneId> = view.live.keys().copied().collect();
        let mut events = Vec::new();
        if let Some(before) = &self.live {
            events.extend(live.difference(before).map(|&zone| EventKind::ZoneJoined { zone }));
            events.extend(before.difference(&live).map(|&zone| EventKind::ZoneDied { zone }));
        } else {
            events.extend(live.iter().map(|&zone| EventKind::ZoneJoined { zone }));
        }
        for &zone in view.draining.difference(&self.draining) {
            events.push(EventKind::DrainStarted { zone });
            self.drained.remove(&zone);
        }
        for &zone in &view.draining {
            let owns = view.assignment.values().any(|z| *z == zone);
            let moving = self.in_flight.leaving(zone);
            if !owns && !moving && self.drained.insert(zone) {
                events.push(EventKind::DrainFinished { zone });
            }
        }
        self.drained.retain(|z| view.draining.contains(z));
        self.draining = view.draining.clone();
        self.live = Some(live);
        for kind in events {
            info!(?kind, "membership changed");
            self.log(kind, now).await;
        }
    }

    /// Ends the migrations whose new owner reports the cell, or that took too long.
    fn settle(&mut self, loads: &BTreeMap<ZoneId, LoadReport>, now: u64) {
        let timeout = u64::try_from(self.config.migration_timeout.as_millis()).unwrap_or(u64::MAX);
        for m in self.in_flight.settle(loads, now, timeout) {
            warn!(cell = %m.cell, to = %m.to, "migration not reported done in time; no longer counted in flight");
        }
        metrics::gauge!("mmo_coordinator_migrations_in_flight").set(self.in_flight.len() as f64);
    }

    async fn log(&self, kind: EventKind, now: u64) {
        if let Err(error) = self.registry.log_event(Event { at_unix_ms: now, kind }).await {
            warn!(%error, "could not log an event");
        }
    }

    fn publish_status(&self, now: u64) {
        let migrations = self.in_flight.migrations().cloned().collect();
        self.status.send_modify(|s| {
            s.migrations = migrations;
            s.last_step_unix_ms = now;
        });
    }
}

/// Each zone's state: live ones are active or draining; owners without a lease are dead.
fn zone_states(view: &View) -> BTreeMap<ZoneId, ZoneState> {
    let mut zones: BTreeMap<ZoneId, ZoneState> = view
        .live
        .keys()
        .map(|&z| (z, if view.draining.contains(&z) { ZoneState::Draining } else { ZoneState::Active }))
        .collect();
    for zone in view.assignment.values() {
        zones.entry(*zone).or_insert(ZoneState::Dead);
    }
    zones
}
