//! A logged-in player's part of the session, and what it does with the client's messages while
//! playing. Sans-IO apart from the non-blocking sends into the zone's bounded queue: the caller
//! decodes, passes the time in and sends the answer back.

use super::chat::ChatGate;
use super::interest::TerrainSent;
use super::items::ItemsSent;
use super::party::PartyFeed;
use super::route::{Missing, Route};
use super::snapshot::Stream;
use crate::view::SharedExtrapolations;
use mmo_cluster::{ZoneCommand, ZoneHandle};
use mmo_protocol::limits::MAX_INPUTS_PER_FRAME;
use mmo_protocol::{ClientControl, ErrorCode, InputFrame, ServerControl};
use mmo_world::{Buttons, CellId, EntityId, Tick};
use std::sync::Arc;
use std::time::Instant;

/// A logged-in player's part of the session.
#[derive(Debug)]
pub(super) struct Playing {
    pub(super) entity: EntityId,
    pub(super) name: Arc<str>,
    pub(super) route: Route,
    pub(super) stream: Stream,
    pub(super) missing: Missing,
    /// The cells around the player the session follows.
    pub(super) interest: Vec<CellId>,
    /// Where the player joined (fixed point): where to look for it until a frame showed it.
    pub(super) joined_at: glam::IVec2,
    pub(super) terrain: TerrainSent,
    pub(super) items: ItemsSent,
    pub(super) chat: ChatGate,
    /// The tick up to which the chat of the cells of interest was sent.
    pub(super) last_event_tick: Tick,
    /// What the client was told of its party.
    pub(super) party: PartyFeed,
}

impl Playing {
    /// The player `entity` just joined on `zone` at `joined_at`, with `interest` the cells
    /// around it; its snapshots extrapolate through the gateway's `extrapolations`.
    pub(super) fn new(
        entity: EntityId,
        name: Arc<str>,
        zone: ZoneHandle,
        (joined_at, interest): (glam::IVec2, Vec<CellId>),
        now: Instant,
        extrapolations: SharedExtrapolations,
    ) -> Self {
        Playing {
            entity,
            name,
            route: Route::new(zone),
            stream: Stream::new(entity, extrapolations),
            missing: Missing::default(),
            interest,
            joined_at,
            terrain: TerrainSent::default(),
            items: ItemsSent::default(),
            chat: ChatGate::new(now),
            last_event_tick: Tick(0),
            party: PartyFeed::default(),
        }
    }

    /// Where the player was last seen in a frame, else where it joined (fixed point).
    pub(super) fn last_known_pos(&self) -> glam::IVec2 {
        self.stream.last_seen().map_or(self.joined_at, |s| s.state.body.pos)
    }

    /// An input datagram: takes its ack and forwards its new inputs to the player's zone. Too
    /// many inputs or unknown buttons end the session (`MalformedMessage`).
    pub(super) fn on_input(&mut self, frame: InputFrame) -> Result<(), ErrorCode> {
        if frame.buttons.len() > MAX_INPUTS_PER_FRAME || frame.buttons.iter().any(|b| b & !Buttons::ALL != 0) {
            return Err(ErrorCode::MalformedMessage);
        }
        self.stream.acknowledge(frame.ack);
        self.route.forward(self.entity, &frame);
        Ok(())
    }

    /// A control message while playing: a chat line goes to the zone, or is refused with the
    /// answer to send (the session stays); any other message ends the session.
    pub(super) fn on_control(&mut self, msg: ClientControl, now: Instant) -> Result<Option<ServerControl>, ErrorCode> {
        match msg {
            ClientControl::Chat { text } => match self.chat.admit(&text, now) {
                Ok(()) => {
                    let _ = self.route.zone.try_send(ZoneCommand::Chat { entity: self.entity, text: text.into() });
                    Ok(None)
                }
                Err(code) => Ok(Some(ServerControl::Error { code })),
            },
            ClientControl::Hello { .. } | ClientControl::Login { .. } | ClientControl::Resume { .. } => {
                Err(ErrorCode::UnexpectedMessage)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::held::tests::frame;
    use crate::held::HeldFrames;
    use crate::session::route::tests::inputs;
    use crate::session::snapshot::tests::player;
    use mmo_protocol::limits::MAX_SNAPSHOT_BYTES;
    use mmo_world::{WorldGeometry, ZoneId};
    use tokio::sync::mpsc;

    fn playing() -> (Playing, mpsc::Receiver<ZoneCommand>) {
        let (zone, rx) = ZoneHandle::channel(ZoneId(1), 64);
        let at = (glam::IVec2::ZERO, Vec::new());
        (Playing::new(EntityId(1), "ann".into(), zone, at, Instant::now(), Default::default()), rx)
    }

    fn chats(rx: &mut mpsc::Receiver<ZoneCommand>) -> Vec<String> {
        std::iter::from_fn(|| rx.try_recv().ok())
            .filter_map(|c| match c {
                ZoneCommand::Chat { text, .. } => Some(text.to_string()),
                _ => None,
            })
            .collect()
    }

    fn say(text: &str) -> ClientControl {
        ClientControl::Chat { text: text.into() }
    }

    #[test]
    fn chat_over_the_limit_is_refused_with_chat_flood_and_the_session_stays() {
        let (mut p, mut rx) = playing();
        let now = Instant::now();
        for i in 0..5 {
            assert_eq!(p.on_control(say(&format!("line {i}")), now), Ok(None));
        }
        let flood = ServerControl::Error { code: ErrorCode::ChatFlood };
        assert_eq!(p.on_control(say("one too many"), now), Ok(Some(flood)));
        assert_eq!(chats(&mut rx), ["line 0", "line 1", "line 2", "line 3", "line 4"]);
        // Still playing: inputs go through.
        p.on_input(InputFrame { seq: 1, ack: None, buttons: vec![1] }).unwrap();
        assert_eq!(inputs(&mut rx), [(1, 1)]);
    }

    #[test]
    fn an_invalid_chat_line_is_answered_and_not_said() {
        let (mut p, mut rx) = playing();
        let invalid = ServerControl::Error { code: ErrorCode::ChatInvalid };
        assert_eq!(p.on_control(say(""), Instant::now()), Ok(Some(invalid)));
        assert!(chats(&mut rx).is_empty());
    }

    #[test]
    fn a_login_message_while_playing_ends_the_session() {
        let (mut p, _rx) = playing();
        let hello = ClientControl::Hello { version: mmo_protocol::PROTOCOL_VERSION };
        assert_eq!(p.on_control(hello, Instant::now()), Err(ErrorCode::UnexpectedMessage));
        let resume = ClientControl::Resume { token: "t".into() };
        assert_eq!(p.on_control(resume, Instant::now()), Err(ErrorCode::UnexpectedMessage));
    }

    #[test]
    fn malformed_input_frames_end_the_session_and_forward_nothing() {
        let (mut p, mut rx) = playing();
        let too_many = InputFrame { seq: 20, ack: None, buttons: vec![0; MAX_INPUTS_PER_FRAME + 1] };
        assert_eq!(p.on_input(too_many), Err(ErrorCode::MalformedMessage));
        let unknown_button = InputFrame { seq: 1, ack: None, buttons: vec![!Buttons::ALL] };
        assert_eq!(p.on_input(unknown_button), Err(ErrorCode::MalformedMessage));
        assert!(inputs(&mut rx).is_empty());
    }

    #[test]
    fn the_ack_of_an_input_datagram_is_the_baseline_of_the_next_snapshot() {
        let (mut p, _rx) = playing();
        let held = HeldFrames::new((1..=3).map(|t| frame(0, 1, t, vec![player(t as i32, 0)])).collect());
        let geometry = WorldGeometry::default();
        p.stream.catch_up(&held, Tick(2), &geometry, MAX_SNAPSHOT_BYTES);
        p.on_input(InputFrame { seq: 1, ack: Some(Tick(2)), buttons: vec![0] }).unwrap();
        let next = p.stream.catch_up(&held, Tick(3), &geometry, MAX_SNAPSHOT_BYTES);
        assert_eq!(next.snapshots[0].baseline, Some(Tick(2)));
    }

    #[test]
    fn a_rerouted_input_goes_to_the_zone_of_the_newest_frame_holding_the_player() {
        let (mut p, mut rx1) = playing();
        let (two, mut rx2) = ZoneHandle::channel(ZoneId(2), 16);
        // Tick 10 in zone 1's cell, tick 11 in zone 2's: a handoff both ticks of which came in
        // before the session woke.
        let held = HeldFrames::new(vec![
            frame(0, 1, 10, vec![player(10, 0)]),
            frame(1, 2, 10, vec![]),
            frame(0, 1, 11, vec![]),
            frame(1, 2, 11, vec![player(11, 0)]),
        ]);
        let caught = p.stream.catch_up(&held, Tick(11), &WorldGeometry::default(), MAX_SNAPSHOT_BYTES);
        let newest = caught.newest.expect("the player was seen");
        p.route.follow(newest.frame.zone, newest.frame.tick, |z| (z == ZoneId(2)).then(|| two.clone()));
        p.on_input(InputFrame { seq: 1, ack: None, buttons: vec![1] }).unwrap();
        assert_eq!(inputs(&mut rx2), [(1, 1)]);
        assert!(inputs(&mut rx1).is_empty());
    }
}
