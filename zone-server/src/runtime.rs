//! The async runtime around [`ZoneCore`]: paces ticks on the global clock, feeds the core the
//! commands that arrived since the last tick, and publishes each cell's frame to its subscribers.

use crate::core::{Phase, PhaseTimer, ZoneConfig, ZoneCore};
use mmo_cluster::{JoinAccepted, JoinRefused, SubscriberId, ZoneCommand};
use mmo_protocol::CellFrame;
use mmo_world::{CellId, Tick, TickClock, WorldGeometry, ZoneId};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::{mpsc, watch};
use tracing::{debug, info, instrument, warn};

/// Milliseconds since the Unix epoch, from the system clock.
pub fn unix_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

struct Subscriber {
    id: SubscriberId,
    frames: mpsc::Sender<Arc<CellFrame>>,
}

/// A zone's runtime state besides the simulation: subscribers and the last frame of each cell.
pub struct ZoneRuntime {
    zone: ZoneId,
    geometry: WorldGeometry,
    core: ZoneCore,
    commands: mpsc::Receiver<ZoneCommand>,
    clock: TickClock,
    subscribers: HashMap<CellId, Vec<Subscriber>>,
    last_frames: HashMap<CellId, Arc<CellFrame>>,
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
    pub fn new(config: ZoneConfig, commands: mpsc::Receiver<ZoneCommand>, clock: TickClock) -> Self {
        ZoneRuntime {
            zone: config.zone,
            geometry: config.geometry,
            core: ZoneCore::new(config),
            commands,
            clock,
            subscribers: HashMap::new(),
            last_frames: HashMap::new(),
        }
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
            if !self.drain_commands() {
                break;
            }
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
            ZoneCommand::Join { name, session, reply } => {
                let result = self.core.join_player(name.clone()).map_err(|_| JoinRefused::NoCell).and_then(|entity| {
                    let state = self.core.entity(entity).ok_or(JoinRefused::NoCell)?;
                    Ok(JoinAccepted { entity, cell: self.geometry.cell_of_pos(state.body.pos), pos: state.body.pos })
                });
                debug!(%session, %name, ?result, "join");
                let _ = reply.send(result);
            }
            ZoneCommand::Input { entity, seq, buttons } => self.core.push_input(entity, seq, buttons),
            ZoneCommand::Chat { entity, text } => self.core.chat(entity, text),
            ZoneCommand::Leave { entity } => {
                self.core.leave_player(entity);
            }
            ZoneCommand::Subscribe { cell, subscriber, frames } => {
                if let Some(frame) = self.last_frames.get(&cell) {
                    let _ = frames.try_send(frame.clone());
                }
                let subs = self.subscribers.entry(cell).or_default();
                subs.retain(|s| s.id != subscriber);
                subs.push(Subscriber { id: subscriber, frames });
            }
            ZoneCommand::Unsubscribe { cell, subscriber } => {
                if let Some(subs) = self.subscribers.get_mut(&cell) {
                    subs.retain(|s| s.id != subscriber);
                }
            }
        }
    }

    fn step(&mut self, tick: Tick) {
        let started = Instant::now();
        let mut timer = MetricsTimer { last: started };
        let frames = self.core.tick(tick, &mut timer);
        for frame in frames {
            let frame = Arc::new(frame);
            if let Some(subs) = self.subscribers.get_mut(&frame.cell) {
                subs.retain(|s| match s.frames.try_send(frame.clone()) {
                    Ok(()) => true,
                    Err(mpsc::error::TrySendError::Full(_)) => {
                        metrics::counter!("mmo_zone_frames_dropped_total").increment(1);
                        true
                    }
                    Err(mpsc::error::TrySendError::Closed(_)) => false,
                });
            }
            self.last_frames.insert(frame.cell, frame);
        }
        metrics::histogram!("mmo_zone_tick_seconds").record(started.elapsed());
        metrics::gauge!("mmo_zone_entities", "zone" => self.zone.to_string()).set(self.core.entity_count() as f64);
    }
}
