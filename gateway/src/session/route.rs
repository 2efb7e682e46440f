//! Where the player's inputs go, and what to do when no frame shows the player. Sans-IO apart
//! from the non-blocking send into the zone's bounded queue.
//!
//! The player walks between zones without the session noticing: the newest frame holding the
//! player's entity names the zone simulating it, and inputs follow that zone from the next tick
//! on (the zone it left forwards what still reaches it). A player missing from every frame
//! waits a while; if its zone left the registry (it died) the session tries each tick to have
//! the cell's new owner re-create it ([`mmo_cluster::revive`]).

use mmo_cluster::{ZoneCommand, ZoneHandle};
use mmo_protocol::InputFrame;
use mmo_world::{Buttons, EntityId, Tick, ZoneId};
use tracing::{debug, warn};

/// Ticks without seeing the player's entity before giving up on its zone.
const MISSING_TICKS: u32 = 100;
/// Ticks to wait for a dead zone's cells to get a new owner that takes the player back.
const ORPHAN_TICKS: u32 = 1200;

/// The zone simulating the player, and the inputs already forwarded to it.
#[derive(Debug)]
pub(super) struct Route {
    pub(super) zone: ZoneHandle,
    /// The next input sequence number to forward; older ones are repeats.
    next_seq: u32,
}

impl Route {
    pub(super) fn new(zone: ZoneHandle) -> Self {
        Route { zone, next_seq: 1 }
    }

    /// Forwards the inputs of a checked `frame` not forwarded yet, oldest first. A full queue
    /// drops them (the client sends each input in several datagrams).
    pub(super) fn forward(&mut self, entity: EntityId, frame: &InputFrame) {
        let n = frame.buttons.len() as u32;
        for (i, &b) in frame.buttons.iter().enumerate() {
            let Some(seq) = frame.seq.checked_sub(n - 1 - i as u32) else { continue };
            if seq >= self.next_seq {
                let _ = self.zone.try_send(ZoneCommand::Input { entity, seq, buttons: Buttons(b) });
                self.next_seq = seq + 1;
            }
        }
    }

    /// Follows the player to `simulated_by`, the zone of the newest frame of `tick` holding it;
    /// `lookup` finds a zone's handle (`None`: unknown, and the route stays).
    pub(super) fn follow(
        &mut self,
        simulated_by: ZoneId,
        tick: Tick,
        lookup: impl FnOnce(ZoneId) -> Option<ZoneHandle>,
    ) {
        if simulated_by == self.zone.zone {
            return;
        }
        match lookup(simulated_by) {
            Some(zone) => {
                debug!(from = %self.zone.zone, to = %zone.zone, %tick, "player handed over; rerouting input");
                metrics::counter!("mmo_gateway_reroutes_total").increment(1);
                self.zone = zone;
            }
            None => warn!(zone = %simulated_by, "player simulated by an unknown zone"),
        }
    }
}

/// What the session does on a tick that showed no frame holding the player.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum MissingStep {
    /// Keep waiting.
    Wait,
    /// The zone died: try to have the cell's new owner re-create the player; if that fails
    /// and `or_give_up`, end the session.
    Revive { or_give_up: bool },
    /// End the session with `ZoneUnavailable`.
    GiveUp,
}

/// Ticks in a row the player was missing from every frame.
#[derive(Debug, Default)]
pub(super) struct Missing {
    ticks: u32,
}

impl Missing {
    /// Ticks in a row without the player so far.
    pub(super) fn ticks(&self) -> u32 {
        self.ticks
    }

    /// The player was seen (or re-created).
    pub(super) fn found(&mut self) {
        self.ticks = 0;
    }

    /// One more tick without the player; `zone_alive` tells whether its zone is still in the
    /// registry.
    pub(super) fn tick(&mut self, zone_alive: bool) -> MissingStep {
        self.ticks += 1;
        match zone_alive {
            false => MissingStep::Revive { or_give_up: self.ticks > ORPHAN_TICKS },
            true if self.ticks > MISSING_TICKS => MissingStep::GiveUp,
            true => MissingStep::Wait,
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use tokio::sync::mpsc;

    /// The inputs a zone received, as (seq, buttons).
    pub(in crate::session) fn inputs(rx: &mut mpsc::Receiver<ZoneCommand>) -> Vec<(u32, u8)> {
        std::iter::from_fn(|| rx.try_recv().ok())
            .filter_map(|c| match c {
                ZoneCommand::Input { seq, buttons, .. } => Some((seq, buttons.0)),
                _ => None,
            })
            .collect()
    }

    fn input(seq: u32, buttons: &[u8]) -> InputFrame {
        InputFrame { seq, ack: None, buttons: buttons.to_vec() }
    }

    #[test]
    fn each_input_is_forwarded_once_oldest_first() {
        let (zone, mut rx) = ZoneHandle::channel(ZoneId(1), 16);
        let mut route = Route::new(zone);
        // Each datagram repeats the last inputs, the newest last.
        route.forward(EntityId(1), &input(2, &[1, 2]));
        route.forward(EntityId(1), &input(4, &[2, 3, 4]));
        route.forward(EntityId(1), &input(4, &[3, 4]));
        assert_eq!(inputs(&mut rx), [(1, 1), (2, 2), (3, 3), (4, 4)]);
        // An older datagram arriving late adds nothing.
        route.forward(EntityId(1), &input(3, &[2, 3]));
        assert_eq!(inputs(&mut rx), []);
    }

    #[test]
    fn inputs_follow_the_zone_that_simulates_the_player() {
        let (one, mut rx1) = ZoneHandle::channel(ZoneId(1), 16);
        let (two, mut rx2) = ZoneHandle::channel(ZoneId(2), 16);
        let mut route = Route::new(one);
        route.forward(EntityId(1), &input(1, &[1]));
        route.follow(ZoneId(2), Tick(11), |z| (z == ZoneId(2)).then(|| two.clone()));
        route.forward(EntityId(1), &input(2, &[1, 2]));
        assert_eq!(inputs(&mut rx1), [(1, 1)]);
        assert_eq!(inputs(&mut rx2), [(2, 2)], "the repeat of input 1 is not sent again");
        // A zone the gateway does not know: the route stays.
        route.follow(ZoneId(9), Tick(12), |_| None);
        assert_eq!(route.zone.zone, ZoneId(2));
    }

    #[test]
    fn a_missing_player_is_waited_for_then_given_up() {
        let mut missing = Missing::default();
        for _ in 0..MISSING_TICKS {
            assert_eq!(missing.tick(true), MissingStep::Wait);
        }
        assert_eq!(missing.tick(true), MissingStep::GiveUp);
        missing.found();
        assert_eq!(missing.tick(true), MissingStep::Wait, "seen again: the count restarts");
    }

    #[test]
    fn a_player_of_a_dead_zone_is_revived_until_the_orphan_limit() {
        let mut missing = Missing::default();
        for _ in 0..ORPHAN_TICKS {
            assert_eq!(missing.tick(false), MissingStep::Revive { or_give_up: false });
        }
        assert_eq!(missing.tick(false), MissingStep::Revive { or_give_up: true });
    }
}
