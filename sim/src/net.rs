//! The simulated zone links: one ordered queue per (from, to) pair, as a TCP connection keeps
//! order. Each message gets a delay drawn from the seed (a later message never overtakes an
//! earlier one on its link). A link can lose the messages a broken connection loses (those the
//! real link does not number: `mmo_cluster::net::reliable::numbered`), at random and whenever the
//! pair is cut by a partition; the numbered ones wait on a cut link and arrive once it heals,
//! as the real link sends them again after it reconnects.

use mmo_cluster::net::reliable::numbered;
use mmo_records::PeerMessage;
use mmo_world::rng::SplitMix64;
use mmo_world::ZoneId;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// How the links behave.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LinkFaults {
    /// Every message takes at least this long (milliseconds).
    pub min_delay_ms: u64,
    /// ... and at most this long.
    pub max_delay_ms: u64,
    /// Chance in 1,000 that a message the link may lose is lost.
    pub loss_per_mille: u32,
}

impl LinkFaults {
    pub const NONE: LinkFaults = LinkFaults { min_delay_ms: 0, max_delay_ms: 0, loss_per_mille: 0 };
}

/// Messages in flight between zones.
#[derive(Debug, Default)]
pub struct Network {
    links: BTreeMap<(ZoneId, ZoneId), VecDeque<(u64, PeerMessage)>>,
    /// Pairs that cannot reach each other (the smaller id first).
    cut: BTreeSet<(ZoneId, ZoneId)>,
    /// Zones that read nothing now (stalled): what is sent to them waits, in order.
    paused: BTreeSet<ZoneId>,
    /// Messages lost so far.
    pub lost: u64,
}

fn pair(a: ZoneId, b: ZoneId) -> (ZoneId, ZoneId) {
    (a.min(b), a.max(b))
}

impl Network {
    /// Sends `msg` at `now_ms`.
    pub fn send(
        &mut self,
        from: ZoneId,
        to: ZoneId,
        msg: PeerMessage,
        now_ms: u64,
        faults: &LinkFaults,
        rng: &mut SplitMix64,
    ) {
        let losable = !numbered(&msg);
        let lost_at_random = faults.loss_per_mille > 0 && rng.below(1000) < faults.loss_per_mille;
        if losable && (self.is_cut(from, to) || lost_at_random) {
            self.lost += 1;
            return;
        }
        let spread = faults.max_delay_ms.saturating_sub(faults.min_delay_ms);
        let delay = faults.min_delay_ms + u64::from(rng.below(u32::try_from(spread + 1).unwrap_or(u32::MAX)));
        let queue = self.links.entry((from, to)).or_default();
        let due = queue.back().map_or(0, |(d, _)| *d).max(now_ms + delay);
        queue.push_back((due, msg));
    }

    /// The messages due by `now_ms` on links that are not cut to zones that read them, link by
    /// link, each in order.
    pub fn due(&mut self, now_ms: u64) -> Vec<(ZoneId, ZoneId, PeerMessage)> {
        let mut out = Vec::new();
        for (&(from, to), queue) in &mut self.links {
            if self.cut.contains(&pair(from, to)) || self.paused.contains(&to) {
                continue;
            }
            while queue.front().is_some_and(|(due, _)| *due <= now_ms) {
                let (_, msg) = queue.pop_front().expect("a message due");
                out.push((from, to, msg));
            }
        }
        out
    }

    /// Every message on links that are not cut, whatever its delay (healing the network).
    pub fn all_reachable(&mut self) -> Vec<(ZoneId, ZoneId, PeerMessage)> {
        self.due(u64::MAX)
    }

    pub fn in_flight(&self) -> usize {
        self.links.values().map(VecDeque::len).sum()
    }

    /// Cuts the link between `a` and `b`: the connection breaks, losing what it may lose of
    /// what was on its way.
    pub fn cut(&mut self, a: ZoneId, b: ZoneId) {
        self.cut.insert(pair(a, b));
        for key in [(a, b), (b, a)] {
            if let Some(queue) = self.links.get_mut(&key) {
                let before = queue.len();
                queue.retain(|(_, msg)| numbered(msg));
                self.lost += (before - queue.len()) as u64;
            }
        }
    }

    /// `zone` was killed: what it sent on a cut link waited for the connection to come back to
    /// be sent again, and is lost with it (what is on its way on a link that is up arrives:
    /// the kernel sends what the process wrote before it died).
    pub fn killed(&mut self, zone: ZoneId) {
        for (&(from, to), queue) in &mut self.links {
            if from == zone && self.cut.contains(&pair(from, to)) {
                self.lost += queue.len() as u64;
                queue.clear();
            }
        }
    }

    pub fn heal(&mut self) {
        self.cut.clear();
    }

    /// Whether `zone` reads its links (a stalled zone does not: messages to it wait).
    pub fn set_paused(&mut self, zone: ZoneId, paused: bool) {
        if paused {
            self.paused.insert(zone);
        } else {
            self.paused.remove(&zone);
        }
    }

    pub fn is_cut(&self, a: ZoneId, b: ZoneId) -> bool {
        self.cut.contains(&pair(a, b))
    }

    /// The zones `zone` cannot reach now.
    pub fn unreachable_from(&self, zone: ZoneId) -> BTreeSet<ZoneId> {
        self.cut.iter().filter_map(|&(a, b)| if a == zone { Some(b) } else { (b == zone).then_some(a) }).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mmo_world::{Buttons, EntityId};

    fn input(seq: u32) -> PeerMessage {
        PeerMessage::Input { entity: EntityId(1), seq, buttons: Buttons(0) }
    }

    fn seqs(msgs: &[(ZoneId, ZoneId, PeerMessage)]) -> Vec<u32> {
        msgs.iter()
            .map(|(_, _, m)| match m {
                PeerMessage::Input { seq, .. } => *seq,
                _ => unreachable!(),
            })
            .collect()
    }

    #[test]
    fn a_link_keeps_order_whatever_the_delays_and_a_cut_drops_what_may_be_lost() {
        let (a, b) = (ZoneId(1), ZoneId(2));
        let faults = LinkFaults { min_delay_ms: 0, max_delay_ms: 200, loss_per_mille: 0 };
        let mut rng = SplitMix64::new(5);
        let mut net = Network::default();
        for seq in 0..50 {
            net.send(a, b, input(seq), seq as u64, &faults, &mut rng);
        }
        let mut got = Vec::new();
        for now in 0..300 {
            got.extend(seqs(&net.due(now)));
        }
        assert_eq!(got, (0..50).collect::<Vec<_>>(), "in order, all delivered by 300 ms");
        net.cut(b, a);
        assert_eq!(net.unreachable_from(a), BTreeSet::from([b]));
        net.send(a, b, input(99), 300, &LinkFaults::NONE, &mut rng);
        assert_eq!(net.in_flight(), 0, "an input on a cut link is lost");
        assert_eq!(net.lost, 1);
    }
}
