//! The async runtime around [`ZoneCore`]: paces ticks on the global clock, feeds the core the
//! commands that arrived since the last tick (from gateways, the coordinator and other zones),
//! publishes each cell's frame to its subscribers and carries the core's messages to other
//! zones ([`links`]).
//!
//! One tick, in order: follow the registry (cell owners), apply queued commands, file ghost
//! frames, run the core's tick, publish its frames, send its messages to other zones, move the
//! subscribers of cells handed over, (re)subscribe to the neighbouring cells it keeps
//! ghosts of, and every [`SAVE_EVERY_TICKS`] hand the changed players' records to the saver.
//!
//! Saving (with [`ZoneRuntime::with_saver`]): periodic saves go through
//! [`Saver::try_submit`](mmo_store::Saver::try_submit) (write-behind, coalesced; a full queue
//! keeps the record for the next round, `mmo_zone_saves_deferred_total`); a logout is flushed at
//! once ([`Saver::flush_now`](mmo_store::Saver::flush_now)) and the gateway's `Leave` answered
//! once it is durable; at shutdown every player is flushed before the runtime returns. Flushes
//! run in a `JoinSet` the runtime owns and drains.
//!
//! Checkpoints (with [`ZoneRuntime::with_hot`]): after each tick the core's cell checkpoints
//! ([`ZoneCore::take_checkpoints`]) are written to hot state, in the same task as that tick's
//! item moves and before them (see [`mmo_cluster::checkpoint`] for why that order). That task
//! reports whether all of it landed ([`ZoneCore::seal_batch`]): a give across a zone border
//! waits for it ([`gives`]).

mod gives;
mod gone;
mod links;
mod load;
mod refill;
mod subscribers;

pub use links::ZoneLinks;
pub use load::{DEFAULT_CAPACITY, DEFAULT_REPORT_PERIOD};

use crate::core::{PeerOutcome, Phase, PhaseTimer, ZoneConfig, ZoneCore};
use gives::GiveIo;
use gone::GoneRuns;
use links::Links;
use load::LoadMeter;
use mmo_cluster::checkpoint::{CellCheckpoint, CheckpointCodec};
use mmo_cluster::{JoinAccepted, JoinRefused, ZoneCommand};
use mmo_cluster::{LeaseValidity, LoadReport};
use mmo_store::{AnyHot, AnyStore, DurableStore, HotState, PlayerRecord, Saver, StoreError, SubmitError};
use mmo_world::{unix_ms, EntityId, GatewayRun, Tick, TickClock, WorldGeometry, ZoneId};
use refill::Refill;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use subscribers::Subscribers;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinSet;
use tracing::{debug, info, instrument, warn};

/// Handoff latencies a zone keeps for [`mmo_cluster::peer::ZoneReport`].
const LATENCY_SAMPLES: usize = 100_000;
/// Ticks between two rounds of write-behind saves (1 s at 20 Hz).
pub const SAVE_EVERY_TICKS: u64 = 20;
/// How long shutdown waits for the last saves.
const FINAL_SAVE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a zone asked to stop keeps ticking for the transfers it sent to be answered.
const SETTLE_LIMIT: Duration = Duration::from_secs(2);

/// Microseconds since the Unix epoch, from the system clock.
pub fn unix_us() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_micros() as u64).unwrap_or(0)
}

/// A zone's runtime state besides the simulation.
pub struct ZoneRuntime {
    zone: ZoneId,
    geometry: WorldGeometry,
    core: ZoneCore,
    commands: mpsc::Receiver<ZoneCommand>,
    clock: TickClock,
    subscribers: Subscribers,
    links: Links,
    ticks_skipped: u64,
    /// Transfers accepted and not started yet: (their first tick here, the tick the source froze
    /// them at, when it sent them in Unix microseconds).
    arrivals: Vec<(Tick, Tick, u64)>,
    /// (ticks, microseconds) from a transfer's sending to its first tick here.
    latencies: Vec<(u64, u64)>,
    load: LoadMeter,
    saver: Option<Saver>,
    /// The durable store: item serials and item transfers between players.
    store: Option<AnyStore>,
    /// Blocks of item serials and of entity ids being allocated.
    serials: Refill,
    ids: Refill,
    /// Records the saver's queue had no room for, submitted first in the next round.
    deferred: Vec<PlayerRecord>,
    /// Flushes under way (logouts); each answers its waiter when durable.
    flushes: JoinSet<()>,
    /// Stored records being read for players taken back from a dead zone
    /// ([`ZoneCore::reconcile`]).
    reconciles: JoinSet<Option<(EntityId, PlayerRecord)>>,
    /// Where cell checkpoints go.
    hot: Option<AnyHot>,
    /// Batches of writes that landed, and receivers' records read, for gives across borders.
    gives: GiveIo,
    /// Closed when the last item write (a batch, a logout's save) finished: the next starts after it.
    last_batch: Option<oneshot::Receiver<()>>,
    /// Gateway runs lately gone: their players landing here later are logged out and released.
    gone: GoneRuns,
    /// The zone's lease, as its keep-alive knows it: once it is not known valid, the zone stops
    /// at once and writes nothing more.
    lease: Option<LeaseValidity>,
}

impl std::fmt::Debug for ZoneRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZoneRuntime").field("zone", &self.zone).finish_non_exhaustive()
    }
}

/// Times each tick phase into `mmo_zone_phase_seconds`.
struct MetricsTimer {
    last: Instant,
}

impl PhaseTimer for MetricsTimer {
    fn phase_done(&mut self, phase: Phase) {
        let now = Instant::now();
        metrics::histogram!("mmo_zone_phase_seconds", "phase" => phase.name()).record(now - self.last);
        self.last = now;
    }
}

/// Writes `checkpoints` to hot state (a failed write is logged and counted; the next one, a
/// second later at most, replaces it); whether all of them were written.
async fn write_checkpoints(hot: &AnyHot, checkpoints: Vec<CellCheckpoint>) -> bool {
    let mut all = true;
    for checkpoint in checkpoints {
        let (cell, tick) = (checkpoint.cell, checkpoint.tick);
        let written = match checkpoint.encode() {
            Ok(bytes) => {
                metrics::histogram!("mmo_zone_checkpoint_bytes").record(bytes.len() as f64);
                hot.put_checkpoint(cell, tick, bytes).await.map_err(|e| e.to_string())
            }
            Err(error) => Err(error.to_string()),
        };
        match written {
            Ok(()) => metrics::counter!("mmo_zone_checkpoints_written_total").increment(1),
            Err(error) => {
                all = false;
                metrics::counter!("mmo_zone_checkpoint_failures_total").increment(1);
                warn!(%cell, %tick, %error, "checkpoint not written");
            }
        }
    }
    all
}

/// A write task's place in the line ([`ZoneRuntime::next_in_line`]).
struct Turn {
    after: Option<oneshot::Receiver<()>>,
    done: oneshot::Sender<()>,
}

impl Turn {
    /// Waits for the write before; the guard whose drop (when the task ends, however it ends)
    /// lets the next one go.
    async fn wait(self) -> oneshot::Sender<()> {
        if let Some(before) = self.after {
            let _ = before.await;
        }
        self.done
    }
}

fn log_flush(done: Result<(), tokio::task::JoinError>) {
    if let Err(error) = done {
        warn!(%error, "a save task failed");
    }
}

impl ZoneRuntime {
    /// `ids`: the first block of unique numbers for entity ids (see [`ZoneCore::new`]); the
    /// runtime asks the store for more as the core uses them up.
    pub fn new(
        config: ZoneConfig,
        ids: mmo_world::SerialBlock,
        commands: mpsc::Receiver<ZoneCommand>,
        clock: TickClock,
        links: ZoneLinks,
    ) -> Self {
        ZoneRuntime {
            zone: config.zone,
            geometry: config.geometry,
            links: Links::new(config.zone, links),
            core: ZoneCore::new(config, ids),
            commands,
            clock,
            subscribers: Subscribers::default(),
            ticks_skipped: 0,
            arrivals: Vec::new(),
            latencies: Vec::new(),
            load: LoadMeter::new(clock.tick_ms, DEFAULT_REPORT_PERIOD, DEFAULT_CAPACITY),
            saver: None,
            store: None,
            serials: Refill::new("item serials"),
            ids: Refill::new("entity ids"),
            deferred: Vec::new(),
            flushes: JoinSet::new(),
            reconciles: JoinSet::new(),
            gives: GiveIo::default(),
            last_batch: None,
            gone: GoneRuns::default(),
            lease: None,
            hot: None,
        }
    }

    /// Saves players through `saver` into `store`, and takes item serials from `store` (see the
    /// module docs); without them nothing is saved and NPCs drop nothing.
    pub fn with_persistence(mut self, store: AnyStore, saver: Saver) -> Self {
        self.saver = Some(saver);
        self.store = Some(store);
        self
    }

    /// Writes cell checkpoints to `hot` (see the module docs).
    pub fn with_hot(mut self, hot: AnyHot) -> Self {
        self.hot = Some(hot);
        self
    }

    /// Sets how often the zone reports its load (default [`DEFAULT_REPORT_PERIOD`]).
    pub fn with_report_period(mut self, period: Duration) -> Self {
        self.load.set_period(period);
        self
    }

    /// Sets the entity capacity the load reports carry (default [`DEFAULT_CAPACITY`]); give the
    /// same as the zone's `ZoneInfo::capacity`.
    pub fn with_capacity(mut self, capacity: u32) -> Self {
        self.load.set_capacity(capacity);
        self
    }

    /// Stops the zone, before its next tick, once `lease` is no longer known valid (a zone
    /// frozen past its TTL that wakes up): no tick, publish, checkpoint, item move or save of
    /// its players follows, since its cells and players are someone else's by then.
    pub fn with_lease(mut self, lease: LeaseValidity) -> Self {
        self.lease = Some(lease);
        self
    }

    /// Whether the zone's lease is gone, as far as it knows.
    fn deposed(&self) -> bool {
        self.lease.as_ref().is_some_and(|lease| !lease.held())
    }

    /// Follows the zone's load: one [`LoadReport`] per reporting period (p99 tick time against
    /// the tick budget, entities per owned cell, capacity). The host publishes it in the
    /// registry under the zone's lease.
    pub fn load_reports(&self) -> watch::Receiver<LoadReport> {
        self.load.subscribe()
    }

    /// Runs until `shutdown` turns true or every command sender is gone.
    #[instrument(name = "zone", skip_all, fields(zone = %self.zone))]
    pub async fn run(mut self, mut shutdown: watch::Receiver<bool>) {
        info!("zone running");
        let mut tick = self.clock.tick_at(unix_ms());
        // Once asked to stop: until when it may still tick for its transfers to be answered.
        let mut stopping = None;
        loop {
            tick = tick.next();
            let start_ms = self.clock.start_of(tick);
            let now_ms = unix_ms();
            if now_ms >= start_ms + u64::from(self.clock.tick_ms) {
                // More than a whole tick late: skip to the current one rather than replaying.
                let current = self.clock.tick_at(now_ms);
                metrics::counter!("mmo_zone_ticks_skipped_total").increment(current.since(tick));
                warn!(behind = current.since(tick), "zone fell behind the clock");
                self.ticks_skipped += current.since(tick);
                tick = current;
            } else {
                let wait = Duration::from_millis(start_ms.saturating_sub(now_ms));
                let deadline = tokio::time::Instant::now() + wait;
                loop {
                    tokio::select! {
                        _ = tokio::time::sleep_until(deadline) => break,
                        _ = shutdown.changed() => break,
                        Some(done) = self.flushes.join_next(), if !self.flushes.is_empty() => log_flush(done),
                        // Commands are handled as they come, between ticks: what they make for
                        // other zones goes at once (an input for a player just handed over
                        // reaches its new zone before that zone's next tick, not one later).
                        cmd = self.commands.recv() => match cmd {
                            Some(cmd) => {
                                self.handle(cmd);
                                self.links.send_outbox(&mut self.core);
                            }
                            None => break,
                        },
                    }
                }
            }
            if self.deposed() {
                warn!("lease no longer known valid: stopping at once");
                break;
            }
            if *shutdown.borrow()
                && self.settled_or_past(*stopping.get_or_insert_with(|| Instant::now() + SETTLE_LIMIT))
            {
                break;
            }
            self.links.follow_registry(&mut self.core);
            self.core.set_unreachable(self.links.unreachable(Instant::now()));
            if !self.drain_commands() {
                break;
            }
            for out in self.core.take_logged_out() {
                let gone = out.gateway.and_then(|gateway| self.gone.of(gateway));
                self.save_then_release(out.record, gone);
            }
            self.refill().await;
            self.reconcile_taken_back();
            self.gives.settle(&mut self.core, self.store.as_ref());
            self.links.retry_backlogs();
            // Answers to transfers go out at once, not after the tick.
            self.links.send_outbox(&mut self.core);
            self.links.file_ghost_frames(&mut self.core);
            self.step(tick);
            self.save_items();
            if tick.0.is_multiple_of(SAVE_EVERY_TICKS) {
                self.save_changed();
            }
        }
        self.final_saves().await;
        info!("zone stopped");
    }

    /// Whether a zone asked to stop may stop now: every transfer it sent was answered (a player
    /// in an unanswered transfer is only a frozen copy here, which stopping would lose if the
    /// transfer never arrives) and every one it accepted started, or `limit` passed.
    fn settled_or_past(&self, limit: Instant) -> bool {
        let pending = self.core.transfers_pending();
        if pending > 0 && Instant::now() < limit {
            return false;
        }
        if pending > 0 {
            warn!(pending, "stopping with transfers unanswered");
        }
        true
    }

    /// Hands the players that changed since their last save to the saver (write-behind).
    fn save_changed(&mut self) {
        let Some(saver) = &self.saver else { return };
        let mut records = std::mem::take(&mut self.deferred);
        records.extend(self.core.take_saves());
        for record in records {
            match saver.try_submit(record) {
                Ok(()) => {}
                Err(SubmitError::Full(record)) => {
                    metrics::counter!("mmo_zone_saves_deferred_total").increment(1);
                    self.deferred.push(record);
                }
                Err(error) => warn!(%error, "saver gone; save dropped"),
            }
        }
    }

    /// Reads the stored records of the players taken back from a dead zone.
    fn read_taken_back(&mut self) {
        let Some(store) = &self.store else { return };
        for (id, name) in self.core.take_reconciles() {
            let store = store.clone();
            self.reconciles.spawn(async move {
                match store.load(&name).await {
                    Ok(record) => record.map(|r| (id, r)),
                    Err(error) => {
                        warn!(%error, player = %name, "stored record unreadable; the player goes on as taken back");
                        None
                    }
                }
            });
        }
    }

    /// Hands the core the stored records read since the last tick.
    fn reconcile_taken_back(&mut self) {
        while let Some(read) = self.reconciles.try_join_next() {
            if let Ok(Some((id, record))) = read {
                self.core.reconcile(id, &record);
            }
        }
    }

    /// Hands the core the blocks of item serials and entity ids that came, and asks the store
    /// for more when the core runs low.
    async fn refill(&mut self) {
        if let Some(block) = self.serials.take_done().await {
            self.core.add_serials(block);
        }
        if let Some(block) = self.ids.take_done().await {
            self.core.add_entity_ids(block);
        }
        if let Some(store) = &self.store {
            self.serials.request(store, self.core.serials_wanted());
            self.ids.request(store, self.core.entity_ids_wanted());
        }
    }

    /// Makes this tick's checkpoints and item moves durable, in that order: checkpoints to hot
    /// state, then gives as one store transaction each (the zone then saves both players at
    /// newer versions), then every other changed inventory flushed at once. The batch reports
    /// whether all of it landed. Batches are written one after another: a later tick's save of
    /// a player who was given an item never lands while the giver's save without it is still
    /// on its way (and lost if the zone dies then).
    fn save_items(&mut self) {
        let checkpoints = if self.hot.is_some() { self.core.take_checkpoints() } else { Vec::new() };
        let gives = self.core.take_gives();
        let changed = self.core.take_inventory_changes();
        let records = if self.saver.is_some() { self.core.take_saves_of(&changed) } else { Vec::new() };
        let batch = self.core.seal_batch();
        if checkpoints.is_empty() && gives.is_empty() && records.is_empty() {
            self.core.saved(batch);
            return;
        }
        let (hot, store, saver) = (self.hot.clone(), self.store.clone(), self.saver.clone());
        let report = self.gives.reporter();
        let turn = self.next_in_line();
        self.flushes.spawn(async move {
            let _done = turn.wait().await;
            let mut durable = true;
            if let Some(hot) = hot {
                durable &= write_checkpoints(&hot, checkpoints).await;
            }
            let (Some(store), Some(saver)) = (store, saver) else {
                let _ = report.send((batch, durable));
                return;
            };
            // A give first moves the item in the stored records, so the item is never in two
            // stored inventories; if the store refuses (the item was not saved with the giver
            // yet), the flushes below carry the move, giver first.
            for give in gives {
                match store.give_item(&give.from, &give.to, give.serial).await {
                    Ok(_) => debug!(from = %give.from, to = %give.to, serial = %give.serial, "give stored"),
                    Err(StoreError::ItemNotHeld { .. }) => {}
                    Err(error) => warn!(%error, from = %give.from, to = %give.to, "give not stored as a transfer"),
                }
            }
            for record in records {
                let (name, version) = (record.name.clone(), record.version);
                match saver.flush_now(record).await {
                    Ok(outcome) => debug!(player = %name, version, ?outcome, "inventory saved"),
                    Err(error) => {
                        durable = false;
                        warn!(player = %name, version, %error, "inventory flush failed");
                    }
                }
            }
            let _ = report.send((batch, durable));
        });
    }

    /// A place in the line of item writes (a tick's batch, a logout's save): its task writes once
    /// the one before it finished.
    fn next_in_line(&mut self) -> Turn {
        let (done, next) = oneshot::channel();
        Turn { after: self.last_batch.replace(next), done }
    }

    /// Flushes `record` at once (after the item writes before it); `saved` is answered once it
    /// is durable.
    fn flush(&mut self, record: PlayerRecord, saved: Option<oneshot::Sender<()>>) {
        let Some(saver) = self.saver.clone() else {
            if let Some(saved) = saved {
                let _ = saved.send(());
            }
            return;
        };
        let turn = self.next_in_line();
        self.flushes.spawn(async move {
            let _done = turn.wait().await;
            let (name, version) = (record.name.clone(), record.version);
            match saver.flush_now(record).await {
                Ok(outcome) => debug!(player = %name, version, ?outcome, "player saved"),
                Err(error) => warn!(player = %name, version, %error, "flush failed"),
            }
            if let Some(saved) = saved {
                let _ = saved.send(());
            }
        });
    }

    /// Logs out the players of a gateway run that is gone ([`ZoneCommand::GatewayGone`]): each
    /// is saved at once, then its online claim released if that run still holds it, so that
    /// its client resumes on another gateway with this state. A player in transit (in a
    /// transfer from or to this zone) is logged out where it lands, and saved and released
    /// there (that zone heard of the gone run too: [`GoneRuns`]).
    fn log_out_gateway(&mut self, gone: GatewayRun) {
        self.gone.note(gone);
        let gateway = gone.gateway;
        let in_transit = self.core.leave_in_transit(gateway);
        if in_transit > 0 {
            warn!(%gateway, players = in_transit, "gateway gone: its players in transit log out where they land");
        }
        let players = self.core.players_routed_through(gateway);
        if players.is_empty() {
            return;
        }
        warn!(%gateway, players = players.len(), "gateway gone: logging its players out");
        metrics::counter!("mmo_zone_gone_gateway_players_total").increment(players.len() as u64);
        for id in players {
            if let Some(record) = self.core.leave_saved(id) {
                self.save_then_release(record, Some(gone));
            }
        }
    }

    /// Flushes a logged-out player's record; once it is durable, releases the claim of its
    /// name that `gone` (its gateway's run, gone) still holds.
    fn save_then_release(&mut self, record: PlayerRecord, gone: Option<GatewayRun>) {
        let (Some(gone), Some(hot)) = (gone, self.hot.clone()) else {
            self.flush(record, None);
            return;
        };
        let name = record.name.to_ascii_lowercase();
        let (saved, durable) = oneshot::channel();
        self.flush(record, Some(saved));
        self.flushes.spawn(async move {
            if durable.await.is_err() {
                return;
            }
            match hot.release_online(&name, gone).await {
                Ok(released) => debug!(player = %name, gateway = %gone, released, "gone gateway's claim"),
                Err(error) => warn!(player = %name, gateway = %gone, %error, "cannot release a gone gateway's claim"),
            }
        });
    }

    /// At shutdown: flushes every player still here and waits for all flushes.
    async fn final_saves(&mut self) {
        self.serials.finish().await;
        self.ids.finish().await;
        if self.saver.is_none() {
            return;
        }
        let records: Vec<PlayerRecord> =
            std::mem::take(&mut self.deferred).into_iter().chain(self.core.take_all_saves()).collect();
        if self.deposed() {
            // Handed to the saver all the same, which withholds and counts them.
            warn!(
                players = records.len(),
                "lease gone: the players' last saves are not sent (they play elsewhere now)"
            );
            if let Some(saver) = self.saver.take() {
                for record in records {
                    let _ = saver.try_submit(record);
                }
            }
            return;
        }
        info!(players = records.len(), "saving players before stopping");
        for record in records {
            self.flush(record, None);
        }
        let drained = tokio::time::timeout(FINAL_SAVE_TIMEOUT, async {
            while let Some(done) = self.flushes.join_next().await {
                log_flush(done);
            }
        });
        if drained.await.is_err() {
            warn!(pending = self.flushes.len(), "gave up waiting for the last saves");
            self.flushes.shutdown().await;
        }
        self.saver = None;
    }

    /// Applies every queued command. False when no sender is left.
    fn drain_commands(&mut self) -> bool {
        loop {
            match self.commands.try_recv() {
                Ok(cmd) => self.handle(cmd),
                Err(mpsc::error::TryRecvError::Empty) => return true,
                Err(mpsc::error::TryRecvError::Disconnected) => return false,
            }
        }
    }

    fn handle(&mut self, cmd: ZoneCommand) {
        match cmd {
            ZoneCommand::OwnCell { cell, epoch } => {
                info!(%cell, %epoch, "owning cell");
                self.core.own_cell(cell, epoch);
            }
            ZoneCommand::RestoreCell { cell, epoch, restored } => self.core.restore_cell(cell, epoch, *restored),
            ZoneCommand::CellOwner { cell, zone, epoch } => self.core.set_owner(cell, zone, epoch),
            ZoneCommand::Join { record, route, reply } => {
                let name = record.name.clone();
                let result =
                    self.core.join_saved(*record, Some(route)).map_err(|_| JoinRefused::NoCell).and_then(|entity| {
                        let state = self.core.entity(entity).ok_or(JoinRefused::NoCell)?;
                        let cell = self.geometry.cell_of_pos(state.body.pos);
                        Ok(JoinAccepted { entity, cell, pos: state.body.pos })
                    });
                debug!(session = %route.session, %name, ?result, "join");
                let _ = reply.send(result);
            }
            ZoneCommand::Restore { record, reply } => {
                let result = self.core.restore(record).map_err(|_| JoinRefused::NotOwner).and_then(|entity| {
                    let state = self.core.entity(entity).ok_or(JoinRefused::NotOwner)?;
                    let cell = self.geometry.cell_of_pos(state.body.pos);
                    Ok(JoinAccepted { entity, cell, pos: state.body.pos })
                });
                info!(?result, "restore");
                let _ = reply.send(result);
            }
            ZoneCommand::Input { entity, seq, buttons } => self.core.push_input(entity, seq, buttons),
            ZoneCommand::Chat { entity, text } => self.core.chat(entity, text),
            ZoneCommand::Party { entity, members } => self.core.set_party(entity, members),
            ZoneCommand::Leave { entity, saved } => {
                if let Some(record) = self.core.leave_saved(entity) {
                    self.flush(record, saved);
                }
            }
            ZoneCommand::Subscribe { cell, subscriber, frames } => self.subscribers.add(cell, subscriber, frames),
            ZoneCommand::Unsubscribe { cell, subscriber } => self.subscribers.remove(cell, subscriber),
            ZoneCommand::Subscribers { cell, subscribers } => {
                for (id, frames) in subscribers {
                    if id != mmo_cluster::SubscriberId::Zone(self.zone) {
                        self.subscribers.add(cell, id, frames);
                    }
                }
            }
            ZoneCommand::Peer { from, msg, sent_us } => {
                if let PeerOutcome::Accepted { sent_at, starts, entities } = self.core.handle_peer(from, msg) {
                    metrics::counter!("mmo_zone_transfers_accepted_total").increment(1);
                    metrics::counter!("mmo_zone_entities_arrived_total").increment(entities as u64);
                    self.arrivals.push((starts, sent_at, sent_us));
                }
            }
            ZoneCommand::GatewayGone { gateway } => self.log_out_gateway(gateway),
            ZoneCommand::PeerLost { zone } => {
                warn!(lost = %zone, "zone lost; taking back transfers it did not answer");
                self.core.zone_lost(zone);
                self.read_taken_back();
            }
            ZoneCommand::PeerBack { zone } => self.core.zone_back(zone),
            ZoneCommand::Inspect { reply } => {
                let mut report = self.core.report();
                report.ticks_skipped = self.ticks_skipped;
                report.handoff_latencies = self.latencies.clone();
                let _ = reply.send(report);
            }
            ZoneCommand::SpawnNpcs { cell, count, at, reply } => {
                let _ = reply.send(self.core.spawn_npcs_in(cell, count, at));
            }
        }
    }

    fn step(&mut self, tick: Tick) {
        let started = Instant::now();
        let started_us = unix_us();
        let (started_now, later): (Vec<_>, Vec<_>) =
            std::mem::take(&mut self.arrivals).into_iter().partition(|(starts, _, _)| *starts <= tick);
        self.arrivals = later;
        for (_, sent_at, sent_us) in started_now {
            let (ticks, micros) = (tick.since(sent_at), started_us.saturating_sub(sent_us));
            metrics::histogram!("mmo_zone_handoff_latency_ticks").record(ticks as f64);
            metrics::histogram!("mmo_zone_handoff_latency_seconds").record(micros as f64 / 1e6);
            if self.latencies.len() < LATENCY_SAMPLES {
                self.latencies.push((ticks, micros));
            }
        }
        let mut timer = MetricsTimer { last: started };
        let frames = self.core.tick(tick, &mut timer);
        let cells: Vec<_> =
            frames.iter().map(|f| (f.cell, u32::try_from(f.entities.len()).unwrap_or(u32::MAX))).collect();
        self.subscribers.publish(frames);
        self.links.send_outbox(&mut self.core);
        for (cell, to) in self.core.take_released() {
            let moving = self.subscribers.take(cell);
            self.links.hand_over_subscribers(cell, to, moving);
        }
        self.links.update_ghost_subscriptions(&self.core);
        let took = started.elapsed();
        metrics::histogram!("mmo_zone_tick_seconds").record(took);
        self.load.record(unix_ms(), took, cells);
        metrics::gauge!("mmo_zone_entities", "zone" => self.zone.to_string()).set(self.core.entity_count() as f64);
        metrics::gauge!("mmo_zone_transfers_pending", "zone" => self.zone.to_string())
            .set(self.core.transfers_pending() as f64);
    }
}
