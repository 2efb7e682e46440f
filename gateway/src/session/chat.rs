//! Chat, both ways. Sans-IO: the caller passes the time in and sends what comes back.
//!
//! A line the player types is checked ([`validate_chat`]) and then counted against the chat
//! limit ([`CHAT_LIMIT`] lines per 5 s); a refused line is answered with its error code
//! (`ChatInvalid`, `ChatFlood`) and the session stays. An invalid line does not count. Lines
//! said in the cells of interest reach the client as [`ServerControl::Chat`].

use crate::rate::RateWindow;
use mmo_protocol::control::validate_chat;
use mmo_protocol::{CellEvent, ErrorCode, ServerControl};
use mmo_world::Tick;
use std::time::Instant;

/// Chat lines a player may say per [`CHAT_WINDOW_MS`].
pub(super) const CHAT_LIMIT: u32 = 5;
/// The window of the chat limit.
pub(super) const CHAT_WINDOW_MS: u64 = 5000;

/// The player's outgoing chat: which lines may go to the zone.
#[derive(Debug)]
pub(super) struct ChatGate {
    window: RateWindow,
}

impl ChatGate {
    pub(super) fn new(now: Instant) -> Self {
        ChatGate { window: RateWindow::new(CHAT_LIMIT, CHAT_WINDOW_MS, now) }
    }

    /// Whether `text` may be said now; the error is sent to the client, the session stays.
    pub(super) fn admit(&mut self, text: &str, now: Instant) -> Result<(), ErrorCode> {
        validate_chat(text)?;
        if self.window.allow(now) {
            Ok(())
        } else {
            Err(ErrorCode::ChatFlood)
        }
    }
}

/// The control messages telling the client the chat `events` of its cells, in order.
pub(super) fn chat_lines(events: Vec<(Tick, CellEvent)>) -> Vec<ServerControl> {
    events
        .into_iter()
        .map(|(_, event)| {
            let CellEvent::Chat { name, text, .. } = event;
            ServerControl::Chat { from: name.to_string(), text: text.to_string() }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use mmo_world::EntityId;
    use std::time::Duration;

    #[test]
    fn the_sixth_line_within_five_seconds_is_a_flood() {
        let t0 = Instant::now();
        let mut gate = ChatGate::new(t0);
        for i in 0..5 {
            assert_eq!(gate.admit("hello", t0 + Duration::from_millis(i * 100)), Ok(()), "line {i}");
        }
        assert_eq!(gate.admit("hello", t0 + Duration::from_millis(4999)), Err(ErrorCode::ChatFlood));
        // A new window lets the player speak again.
        assert_eq!(gate.admit("hello", t0 + Duration::from_millis(5000)), Ok(()));
    }

    #[test]
    fn an_invalid_line_is_refused_and_does_not_count() {
        let t0 = Instant::now();
        let mut gate = ChatGate::new(t0);
        for _ in 0..10 {
            assert_eq!(gate.admit("   ", t0), Err(ErrorCode::ChatInvalid));
            assert_eq!(gate.admit("bell\u{7}", t0), Err(ErrorCode::ChatInvalid));
        }
        for _ in 0..5 {
            assert_eq!(gate.admit("fine", t0), Ok(()));
        }
    }

    #[test]
    fn chat_events_become_chat_messages_in_order() {
        let said = |tick, name: &str, text: &str| {
            (Tick(tick), CellEvent::Chat { from: EntityId(1), name: name.into(), text: text.into() })
        };
        let lines = chat_lines(vec![said(3, "ann", "hi"), said(4, "bob", "hey")]);
        assert_eq!(
            lines,
            [
                ServerControl::Chat { from: "ann".into(), text: "hi".into() },
                ServerControl::Chat { from: "bob".into(), text: "hey".into() },
            ]
        );
    }
}
