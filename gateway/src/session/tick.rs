//! One completed tick of the cell cache, for one session: runs the steps in the order the
//! module doc of [`super`] lists, and does their I/O (datagrams, control messages, the cell
//! cache's interest, re-creating a player whose zone died).

use super::chat::chat_lines;
use super::interest::{TERRAIN_HALF, VIEW_HALF};
use super::playing::Playing;
use super::route::MissingStep;
use super::snapshot::{self, Seen};
use super::{send_control, End, Session};
use crate::state::GatewayState;
use crate::transport::Transport;
use bytes::Bytes;
use mmo_cluster::peer::SessionRoute;
use mmo_protocol::limits::MAX_SNAPSHOT_BYTES;
use mmo_protocol::{EntityKind, ErrorCode, ServerControl};
use mmo_store::DurableStore;
use mmo_world::{SessionId, Tick};
use tracing::{debug, info, warn};

/// Ticks without the player after which the session logs where it last saw it (it gives up
/// later, see [`super::route`]).
const NOTICE_MISSING_TICKS: u32 = 20;

impl Session {
    /// Sends this client's snapshot of every complete tick since the last one (up to
    /// `complete`), then inventory, ground items, chat and new terrain; whether it sent a
    /// snapshot.
    pub(super) async fn on_tick<T: Transport>(&mut self, t: &mut T, complete: Tick) -> Result<bool, End> {
        let state = self.state.clone();
        let playing = self.playing.as_mut().expect("playing after login");
        let held = state.cells.frames(&playing.interest);
        let budget = MAX_SNAPSHOT_BYTES.min(t.max_datagram());

        // 1. Snapshots of the held ticks, oldest first.
        let caught = playing.stream.catch_up(&held, complete, &state.world.geometry, budget);
        let shown = !caught.snapshots.is_empty();
        for snapshot in caught.snapshots {
            send_snapshot(t, snapshot, budget).await?;
        }

        // 2. No frame held the player: wait, revive it on a new owner, or give up. The cells
        // around where it was last seen may have been split or merged meanwhile: follow the new
        // ones, which hold it.
        let Some(newest) = caught.newest else {
            let pos = playing.last_known_pos();
            follow_interest(&state, self.id, playing, pos).await;
            // Alive: the zone is registered and reached through the same connection. A zone
            // restarted under its id (a new connection) holds none of its old run's players.
            let zone_alive =
                state.cells.zone(playing.route.zone.zone).is_some_and(|now| now.same_connection(&playing.route.zone));
            return match playing.missing.tick(zone_alive) {
                MissingStep::Wait => {
                    if playing.missing.ticks() == NOTICE_MISSING_TICKS {
                        let seen = playing.stream.last_seen().map(|s| (s.tick, s.zone, s.state.body.pos));
                        warn!(entity = %playing.entity, route = %playing.route.zone.zone, last_seen = ?seen, cells = ?playing.interest, "player missing from every cell stream for a second");
                    }
                    Ok(shown)
                }
                MissingStep::GiveUp => {
                    warn!(entity = %playing.entity, "player's entity missing from every cell stream");
                    Err(ErrorCode::ZoneUnavailable.into())
                }
                MissingStep::Revive { or_give_up } => {
                    if revive(&state, self.id, playing).await {
                        playing.missing.found();
                    } else if or_give_up {
                        warn!(entity = %playing.entity, "no zone took the player back after its zone died");
                        return Err(ErrorCode::ZoneUnavailable.into());
                    }
                    Ok(shown)
                }
            };
        };
        playing.missing.found();
        let tick = newest.frame.tick;

        // 3. Inputs follow the zone of the newest frame holding the player.
        playing.route.follow(newest.frame.zone, tick, |zone| state.cells.zone(zone));

        // 4. Inventory and ground items, when changed.
        let items = playing.items.changes(newest.own, &newest.frames);
        let pos = newest.own.body.pos;
        drop(newest);
        drop(held);
        for msg in items {
            send_control(t, &msg).await?;
        }

        // 5. Chat said in the cells of interest since the last tick sent.
        let events = state.cells.events_since(&playing.interest, playing.last_event_tick);
        playing.last_event_tick = tick;
        for msg in chat_lines(events) {
            send_control(t, &msg).await?;
        }

        // 6. The cells around the player, followed through the cell cache.
        follow_interest(&state, self.id, playing, pos).await;

        // 7. Terrain of the cells coming near, once each.
        for cell in playing.terrain.new_cells(state.grid_cells_around(pos, TERRAIN_HALF)) {
            let rle = state.terrain.rle(cell).as_ref().clone();
            send_control(t, &ServerControl::Terrain { cell, rle }).await?;
        }
        Ok(shown)
    }
}

/// Follows the cells around `pos` (fixed point) through the cell cache, if they changed.
async fn follow_interest(state: &GatewayState, session: SessionId, playing: &mut Playing, pos: glam::IVec2) {
    let interest = state.cells_around(pos, VIEW_HALF);
    if interest != playing.interest {
        debug!(?interest, "interest changed");
        state.cells.set_interest(session, &interest).await;
        playing.interest = interest;
    }
}

/// Re-creates the player on the new owner of the cell it was last seen in, once that cell has
/// an owner other than the dead zone (another zone, or the same id started again: a new
/// connection); true when the new owner took it (inputs go there now).
async fn revive(state: &GatewayState, session: SessionId, playing: &mut Playing) -> bool {
    let Some(Seen { state: last, tick, .. }) = playing.stream.last_seen() else { return false };
    let cell = state.cell_of_pos(last.body.pos);
    let Some(owner) = state.cells.owner(cell) else { return false };
    if owner.same_connection(&playing.route.zone) {
        return false;
    }
    let epoch = state.cells.epoch(cell).unwrap_or_default();
    let route = SessionRoute { gateway: state.id, session };
    let EntityKind::Player { name } = &last.kind else { return false };
    let saved = match state.accounts.store().load(name).await {
        Ok(saved) => saved,
        Err(error) => {
            warn!(%error, player = %name, "stored record unreadable; the player comes back without items");
            None
        }
    };
    let Some(record) = mmo_cluster::revive::record_from_state(last, *tick, route, epoch, saved.as_ref()) else {
        return false;
    };
    match owner.restore(record).await {
        Ok(Ok(accepted)) => {
            info!(entity = %accepted.entity, from = %playing.route.zone.zone, to = %owner.zone, %cell, "player restored after its zone died");
            metrics::counter!("mmo_gateway_players_restored_total").increment(1);
            playing.route.zone = owner;
            true
        }
        Ok(Err(refused)) => {
            debug!(%refused, to = %owner.zone, "new owner cannot take the player yet");
            false
        }
        Err(error) => {
            debug!(%error, to = %owner.zone, "new owner unreachable");
            false
        }
    }
}

/// Sends one snapshot datagram.
async fn send_snapshot<T: Transport>(t: &mut T, snapshot: mmo_protocol::Snapshot, budget: usize) -> Result<(), End> {
    let bytes = snapshot::encode(snapshot, budget)?;
    metrics::histogram!("mmo_gateway_snapshot_bytes").record(bytes.len() as f64);
    metrics::counter!("mmo_gateway_snapshot_bytes_total").increment(bytes.len() as u64);
    t.send_datagram(Bytes::from(bytes)).await.map_err(End::from)
}
