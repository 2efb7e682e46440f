//! Peer messages that matter, held while a zone link is down and sent first once it is up
//! again: a kill credit (the killer's experience), a leave (else the player's avatar stays in
//! the zone), a chat line, and a hit for a short while (a swing that lands seconds late would
//! land on where the target no longer is). Transfers are not held: the zone core resends them
//! until they are answered. Inputs are not either: the client sends newer ones every tick. A
//! message that waited longer than its kind's limit is dropped when the link comes back
//! (`mmo_link_peer_messages_expired_total`), and at most [`HELD_MAX`] wait (the oldest give
//! way), so a peer that never comes back costs bounded memory.
//!
//! What this does not cover: messages written to a connection just before it broke, which
//! the other side may or may not have read (no acknowledgements on the link).

use super::wire::ToZone;
use mmo_records::PeerMessage;
use mmo_world::ZoneId;
use std::collections::VecDeque;
use std::time::Duration;
use tokio::time::Instant;

/// How long a kill credit, a leave or a chat line waits for the link.
pub const HELD_FOR: Duration = Duration::from_secs(30);
/// How long a hit waits.
pub const HIT_HELD_FOR: Duration = Duration::from_secs(2);
/// Messages held at most.
pub const HELD_MAX: usize = 4096;

/// How long a message of this kind may wait for the link; None: it is not held.
fn keep_for(msg: &PeerMessage) -> Option<Duration> {
    match msg {
        PeerMessage::Credit { .. } | PeerMessage::Leave { .. } | PeerMessage::Chat { .. } => Some(HELD_FOR),
        PeerMessage::Hit(_) => Some(HIT_HELD_FOR),
        PeerMessage::Transfer(_)
        | PeerMessage::TransferAnswer { .. }
        | PeerMessage::TransferSettled { .. }
        | PeerMessage::Input { .. } => None,
    }
}

/// The messages waiting for the link, oldest first, each with when it expires.
#[derive(Debug, Default)]
pub struct Held {
    queue: VecDeque<(Instant, ToZone)>,
}

impl Held {
    /// Holds `msg` (sent by zone `from`) if its kind is held; false if it is not.
    pub fn hold(&mut self, from: ZoneId, msg: PeerMessage, sent_us: u64) -> bool {
        let Some(keep) = keep_for(&msg) else { return false };
        if self.queue.len() == HELD_MAX {
            self.queue.pop_front();
            metrics::counter!("mmo_link_peer_messages_expired_total").increment(1);
        }
        self.queue.push_back((Instant::now() + keep, ToZone::Peer { from, msg, sent_us }));
        true
    }

    /// The held messages still within their limit, oldest first; the link sends them before
    /// anything else. Leaves none held.
    pub fn take(&mut self) -> Vec<ToZone> {
        let now = Instant::now();
        let (fresh, expired): (Vec<_>, Vec<_>) = self.queue.drain(..).partition(|(until, _)| *until >= now);
        metrics::counter!("mmo_link_peer_messages_expired_total").increment(expired.len() as u64);
        metrics::counter!("mmo_link_peer_messages_resent_total").increment(fresh.len() as u64);
        fresh.into_iter().map(|(_, msg)| msg).collect()
    }

    pub fn len(&self) -> usize {
        self.queue.len()
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mmo_records::peer::{HitRequest, TransferId};
    use mmo_world::{EntityId, Tick};

    const FROM: ZoneId = ZoneId(2);

    fn credit(n: u64) -> PeerMessage {
        PeerMessage::Credit { entity: EntityId::new(ZoneId(1), n), xp: 10, victim: EntityId::new(FROM, n) }
    }

    fn hit() -> PeerMessage {
        PeerMessage::Hit(HitRequest {
            attacker: EntityId::new(FROM, 1),
            attacker_zone: FROM,
            target: EntityId::new(ZoneId(1), 1),
            damage: 5,
            tick: Tick(9),
            lo: glam::IVec2::ZERO,
            hi: glam::IVec2::ONE,
        })
    }

    fn held_messages(held: &mut Held) -> Vec<PeerMessage> {
        held.take()
            .into_iter()
            .map(|m| match m {
                ToZone::Peer { msg, .. } => msg,
                other => panic!("not a peer message: {other:?}"),
            })
            .collect()
    }

    #[tokio::test(start_paused = true)]
    async fn credits_and_hits_wait_for_the_link_in_order_and_transfers_and_inputs_do_not() {
        let mut held = Held::default();
        assert!(held.hold(FROM, credit(1), 0));
        assert!(held.hold(FROM, hit(), 0));
        let input = PeerMessage::Input { entity: EntityId::new(ZoneId(1), 1), seq: 3, buttons: mmo_world::Buttons(0) };
        assert!(!held.hold(FROM, input, 0), "inputs are not held");
        assert!(
            !held.hold(FROM, PeerMessage::TransferSettled { id: TransferId { zone: FROM, run: 1, n: 1 } }, 0),
            "the core resends transfers"
        );
        assert_eq!(held_messages(&mut held), [credit(1), hit()]);
        assert!(held.is_empty(), "taken once");
    }

    #[tokio::test(start_paused = true)]
    async fn a_hit_expires_long_before_a_credit() {
        let mut held = Held::default();
        held.hold(FROM, hit(), 0);
        held.hold(FROM, credit(1), 0);
        tokio::time::advance(HIT_HELD_FOR + Duration::from_millis(1)).await;
        assert_eq!(held_messages(&mut held), [credit(1)], "the late hit is dropped");
        held.hold(FROM, credit(2), 0);
        tokio::time::advance(HELD_FOR + Duration::from_millis(1)).await;
        assert!(held_messages(&mut held).is_empty(), "a credit held past its limit is dropped too");
    }

    #[tokio::test(start_paused = true)]
    async fn the_oldest_give_way_past_the_bound() {
        let mut held = Held::default();
        for n in 0..HELD_MAX as u64 + 3 {
            held.hold(FROM, credit(n), 0);
        }
        assert_eq!(held.len(), HELD_MAX);
        assert_eq!(held_messages(&mut held).first(), Some(&credit(3)));
    }
}
