//! The async runtime around [`ZoneCore`]: paces ticks on the global clock, feeds the core the
//! commands that arrived since the last tick (from gateways, the coordinator and other zones),
//! publishes each cell's frame to its subscribers and carries the core's messages to other
//! zones ([`links`]).
//!
//! One tick, in order: follow the registry (cell owners), apply queued commands, file ghost
//! frames, run the core's tick, publish its frames, send its messages to other zones, move the
//! subscribers of cells handed over, and (re)subscribe to the neighbouring cells it keeps
//! ghosts of.

mod links;
mod load;
mod subscribers;

pub use links::ZoneLinks;
pub use load::{DEFAULT_CAPACITY, DEFAULT_REPORT_PERIOD};

use crate::core::{PeerOutcome, Phase, PhaseTimer, ZoneConfig, ZoneCore};
use links::Links;
use load::LoadMeter;
use mmo_cluster::LoadReport;
use mmo_cluster::{JoinAccepted, JoinRefused, ZoneCommand};
use mmo_world::{Tick, TickClock, WorldGeometry, ZoneId};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use subscribers::Subscribers;
use tokio::sync::{mpsc, watch};
use tracing::{debug, info, instrument, warn};

/// Handoff latencies a zone keeps for [`mmo_cluster::peer::ZoneReport`].
const LATENCY_SAMPLES: usize = 100_000;

/// Milliseconds since the Unix epoch, from the system clock.
pub fn unix_ms() -> u64 {
    unix_us() / 1000
}

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

impl ZoneRuntime {
    pub fn new(config: ZoneConfig, commands: mpsc::Receiver<ZoneCommand>, clock: TickClock, links: ZoneLinks) -> Self {
        ZoneRuntime {
            zone: config.zone,
            geometry: config.geometry,
            links: Links::new(config.zone, links),
            core: ZoneCore::new(config),
            commands,
            clock,
            subscribers: Subscribers::default(),
            ticks_skipped: 0,
            arrivals: Vec::new(),
            latencies: Vec::new(),
            load: LoadMeter::new(clock.tick_ms, DEFAULT_REPORT_PERIOD, DEFAULT_CAPACITY),
        }
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
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = shutdown.changed() => {}
                }
            }
            if *shutdown.borrow() {
                break;
            }
            self.links.follow_registry(&mut self.core);
            if !self.drain_commands() {
                break;
            }
            // Answers to transfers go out at once, not after the tick.
            self.links.send_outbox(&mut self.core);
            self.links.file_ghost_frames(&mut self.core);
            self.step(tick);
        }
        info!("zone stopped");
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
            ZoneCommand::CellOwner { cell, zone, epoch } => self.core.set_owner(cell, zone, epoch),
            ZoneCommand::Join { name, route, reply } => {
                let result =
                    self.core.join(name.clone(), Some(route)).map_err(|_| JoinRefused::NoCell).and_then(|entity| {
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
            ZoneCommand::Leave { entity } => {
                self.core.leave_player(entity);
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
            ZoneCommand::PeerLost { zone } => {
                warn!(lost = %zone, "zone lost; taking back transfers it did not answer");
                self.core.zone_lost(zone);
            }
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
