//! Peer messages that matter reach the zone exactly once, across broken connections: a kill
//! credit (the killer's experience), a leave (else the player's avatar stays in the zone), a
//! chat line, and a hit for a short while (a swing that lands seconds late would land on where
//! the target no longer is). Transfers are not numbered: the zone core resends them until they
//! are answered. Inputs are not either: the client sends newer ones every tick.
//!
//! The client ([`Unacked`]) numbers each such message on its link (link version 3, see
//! [`super::tls::LINK_ALPN`]) and keeps it until the zone acknowledges it (`FromZone::Acked`);
//! one sent while the connection is down is only kept. On every new connection the client
//! names its link (`ToZone::Hello`) and sends again, first, every message still kept: those
//! written just before a connection broke, which the zone may or may not have read, and those
//! sent while it was down. The zone ([`Delivered`]) remembers the highest number it handed to
//! the zone per link and drops what it has already seen, so a message sent twice counts once.
//! A message kept longer than its kind's limit is dropped
//! (`mmo_link_peer_messages_expired_total`), and at most [`KEPT_MAX`] are kept (the oldest
//! give way), so a peer that never comes back costs bounded memory. A peer of an earlier
//! release (link version 2 or 1) gets them unnumbered: those sent while the connection is down
//! wait for the next one, as before.
//!
//! What this does not cover: a zone that restarts under its id has forgotten what it saw, so
//! it takes what is sent again (its state went back to its last checkpoint anyway).

use super::wire::ToZone;
use mmo_records::PeerMessage;
use mmo_world::ZoneId;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// How long a kill credit, a leave or a chat line is kept for the zone.
pub const KEPT_FOR: Duration = Duration::from_secs(30);
/// How long a hit is kept.
pub const HIT_KEPT_FOR: Duration = Duration::from_secs(2);
/// Messages kept at most.
pub const KEPT_MAX: usize = 4096;
/// Links a zone remembers what it delivered for (the least recently heard from are forgotten).
pub const LINKS_REMEMBERED: usize = 4096;

/// Numbers a link's messages: ours is the first number after `0`.
pub type Seq = u64;
/// Names one client's link to a zone across its connections (random, chosen once per link).
pub type LinkId = u64;

/// A new link's id, random: a client that restarted, or another one, is never taken for it.
pub fn new_link_id() -> LinkId {
    let mut bytes = [0u8; 8];
    if rustls::crypto::ring::default_provider().secure_random.fill(&mut bytes).is_err() {
        // No system randomness: the clock's nanoseconds are unique enough for one zone's links.
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        bytes = (nanos.as_nanos() as u64).to_le_bytes();
    }
    u64::from_le_bytes(bytes)
}

/// Whether a message of this kind reaches the zone once across broken connections; one that
/// is not may be lost with a connection (its sender's own resends or newer messages make up).
pub fn numbered(msg: &PeerMessage) -> bool {
    keep_for(msg).is_some()
}

/// How long a message of this kind is kept for the zone; None: it is not numbered.
fn keep_for(msg: &PeerMessage) -> Option<Duration> {
    match msg {
        PeerMessage::Credit { .. }
        | PeerMessage::SharedCredit { .. }
        | PeerMessage::GiveOffer(_)
        | PeerMessage::GiveAnswer { .. }
        | PeerMessage::Leave { .. }
        | PeerMessage::Chat { .. } => Some(KEPT_FOR),
        PeerMessage::Hit(_) => Some(HIT_KEPT_FOR),
        PeerMessage::Transfer(_)
        | PeerMessage::TransferAnswer { .. }
        | PeerMessage::TransferSettled { .. }
        | PeerMessage::Input { .. } => None,
    }
}

/// One kept message.
#[derive(Debug)]
struct Kept {
    seq: Seq,
    until: Instant,
    from: ZoneId,
    msg: PeerMessage,
    sent_us: u64,
}

impl Kept {
    fn numbered(&self) -> ToZone {
        ToZone::PeerNumbered { seq: self.seq, from: self.from, msg: self.msg.clone(), sent_us: self.sent_us }
    }

    fn unnumbered(self) -> ToZone {
        ToZone::Peer { from: self.from, msg: self.msg, sent_us: self.sent_us }
    }
}

/// The client's messages not acknowledged yet, oldest first.
#[derive(Debug, Default)]
pub struct Unacked {
    queue: VecDeque<Kept>,
    last_seq: Seq,
}

impl Unacked {
    /// The wire form of `msg` (sent by zone `from`) on a connection that acknowledges:
    /// numbered and kept until acknowledged if its kind is numbered, else as it is.
    pub fn send(&mut self, from: ZoneId, msg: PeerMessage, sent_us: u64) -> ToZone {
        match keep_for(&msg) {
            Some(keep) => self.push(keep, from, msg, sent_us).numbered(),
            None => ToZone::Peer { from, msg, sent_us },
        }
    }

    /// Keeps `msg`, sent while the connection is down, for the next one if its kind is
    /// numbered; false if it is not kept (it is dropped).
    pub fn hold(&mut self, from: ZoneId, msg: PeerMessage, sent_us: u64) -> bool {
        let Some(keep) = keep_for(&msg) else { return false };
        self.push(keep, from, msg, sent_us);
        true
    }

    /// Numbers `msg` and keeps it for `keep`.
    fn push(&mut self, keep: Duration, from: ZoneId, msg: PeerMessage, sent_us: u64) -> &Kept {
        if self.queue.len() == KEPT_MAX {
            self.queue.pop_front();
            metrics::counter!("mmo_link_peer_messages_expired_total").increment(1);
        }
        self.last_seq += 1;
        self.queue.push_back(Kept { seq: self.last_seq, until: Instant::now() + keep, from, msg, sent_us });
        self.queue.back().expect("just pushed")
    }

    /// The zone has every message up to `seq`.
    pub fn acked(&mut self, seq: Seq) {
        while self.queue.front().is_some_and(|k| k.seq <= seq) {
            self.queue.pop_front();
        }
    }

    /// What a new connection that acknowledges sends first: every kept message still within
    /// its limit, oldest first, numbered; they stay kept until acknowledged.
    pub fn resend(&mut self) -> Vec<ToZone> {
        self.expire();
        metrics::counter!("mmo_link_peer_messages_resent_total").increment(self.queue.len() as u64);
        self.queue.iter().map(Kept::numbered).collect()
    }

    /// What a new connection of an earlier release (no acknowledgements) sends first: every
    /// kept message still within its limit, oldest first, unnumbered; none stays kept.
    pub fn take(&mut self) -> Vec<ToZone> {
        self.expire();
        metrics::counter!("mmo_link_peer_messages_resent_total").increment(self.queue.len() as u64);
        self.queue.drain(..).map(Kept::unnumbered).collect()
    }

    fn expire(&mut self) {
        let now = Instant::now();
        let before = self.queue.len();
        self.queue.retain(|k| k.until >= now);
        metrics::counter!("mmo_link_peer_messages_expired_total").increment((before - self.queue.len()) as u64);
    }

    pub fn len(&self) -> usize {
        self.queue.len()
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }
}

/// What a zone's link handed to the zone, per client link: the highest number, and when that
/// link was last heard from. Shared by the link's connections (a client's new connection may
/// start while its old one is still being read).
#[derive(Clone, Debug, Default)]
pub struct Delivered(Arc<Mutex<HashMap<LinkId, (Seq, Instant)>>>);

impl Delivered {
    /// Whether message `seq` of `link` is new (then it counts as delivered: the caller hands
    /// it to the zone), and the highest number delivered on `link` (what to acknowledge).
    pub fn first_time(&self, link: LinkId, seq: Seq) -> (bool, Seq) {
        let mut links = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if !links.contains_key(&link) && links.len() >= LINKS_REMEMBERED {
            if let Some(oldest) = links.iter().min_by_key(|(_, (_, heard))| *heard).map(|(id, _)| *id) {
                links.remove(&oldest);
            }
        }
        let (highest, heard) = links.entry(link).or_insert((0, Instant::now()));
        *heard = Instant::now();
        let new = seq > *highest;
        if new {
            *highest = seq;
        }
        (new, *highest)
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

    fn numbers(sent: &[ToZone]) -> Vec<(Seq, PeerMessage)> {
        sent.iter()
            .map(|m| match m {
                ToZone::PeerNumbered { seq, msg, .. } => (*seq, msg.clone()),
                other => panic!("not a numbered peer message: {other:?}"),
            })
            .collect()
    }

    fn unnumbered(sent: Vec<ToZone>) -> Vec<PeerMessage> {
        sent.into_iter()
            .map(|m| match m {
                ToZone::Peer { msg, .. } => msg,
                other => panic!("not a peer message: {other:?}"),
            })
            .collect()
    }

    #[tokio::test(start_paused = true)]
    async fn credits_and_hits_are_numbered_and_kept_in_order_and_transfers_and_inputs_are_not() {
        let mut kept = Unacked::default();
        let sent: Vec<ToZone> = [credit(1), hit()].into_iter().map(|m| kept.send(FROM, m, 0)).collect();
        assert_eq!(numbers(&sent), [(1, credit(1)), (2, hit())]);
        let input = PeerMessage::Input { entity: EntityId::new(ZoneId(1), 1), seq: 3, buttons: mmo_world::Buttons(0) };
        assert!(matches!(kept.send(FROM, input, 0), ToZone::Peer { .. }), "inputs are not numbered");
        let settled = PeerMessage::TransferSettled { id: TransferId { zone: FROM, run: 1, n: 1 } };
        assert!(!kept.hold(FROM, settled, 0), "the core resends transfers: not kept while the link is down");
        assert_eq!(kept.len(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn what_is_not_acknowledged_is_sent_again_on_every_connection_until_it_is() {
        let mut kept = Unacked::default();
        for n in 1..=3 {
            kept.hold(FROM, credit(n), 0);
        }
        kept.acked(1);
        assert_eq!(numbers(&kept.resend()), [(2, credit(2)), (3, credit(3))]);
        assert_eq!(numbers(&kept.resend()), [(2, credit(2)), (3, credit(3))], "still kept after a resend");
        kept.acked(3);
        assert!(kept.resend().is_empty() && kept.is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn a_connection_without_acknowledgements_takes_them_once_unnumbered() {
        let mut kept = Unacked::default();
        kept.hold(FROM, credit(1), 0);
        kept.hold(FROM, hit(), 0);
        assert_eq!(unnumbered(kept.take()), [credit(1), hit()]);
        assert!(kept.is_empty(), "taken once");
    }

    #[tokio::test(start_paused = true)]
    async fn a_hit_expires_long_before_a_credit() {
        let mut kept = Unacked::default();
        kept.hold(FROM, hit(), 0);
        kept.hold(FROM, credit(1), 0);
        tokio::time::advance(HIT_KEPT_FOR + Duration::from_millis(1)).await;
        assert_eq!(numbers(&kept.resend()), [(2, credit(1))], "the late hit is dropped");
        kept.hold(FROM, credit(2), 0);
        tokio::time::advance(KEPT_FOR + Duration::from_millis(1)).await;
        assert!(kept.resend().is_empty(), "credits kept past their limit are dropped too");
    }

    #[tokio::test(start_paused = true)]
    async fn the_oldest_give_way_past_the_bound() {
        let mut kept = Unacked::default();
        for n in 0..KEPT_MAX as u64 + 3 {
            kept.hold(FROM, credit(n), 0);
        }
        assert_eq!(kept.len(), KEPT_MAX);
        assert_eq!(numbers(&kept.resend()).first(), Some(&(4, credit(3))));
    }

    #[tokio::test(start_paused = true)]
    async fn a_zone_hands_each_message_of_a_link_over_once() {
        let delivered = Delivered::default();
        assert_eq!(delivered.first_time(7, 1), (true, 1));
        assert_eq!(delivered.first_time(7, 2), (true, 2));
        // The connection broke before the acknowledgement: both come again, then a new one.
        assert_eq!(delivered.first_time(7, 1), (false, 2));
        assert_eq!(delivered.first_time(7, 2), (false, 2));
        assert_eq!(delivered.first_time(7, 3), (true, 3));
        assert_eq!(delivered.first_time(8, 1), (true, 1), "another link counts on its own");
    }

    #[tokio::test(start_paused = true)]
    async fn a_zone_forgets_the_link_heard_from_least_recently_past_the_bound() {
        let delivered = Delivered::default();
        for link in 0..LINKS_REMEMBERED as u64 {
            delivered.first_time(link, 5);
            tokio::time::advance(Duration::from_millis(1)).await;
        }
        delivered.first_time(0, 6);
        delivered.first_time(LINKS_REMEMBERED as u64, 1);
        assert_eq!(delivered.first_time(0, 6), (false, 6), "link 0 was heard from lately");
        assert_eq!(delivered.first_time(1, 5), (true, 5), "link 1 was forgotten");
    }
}
