//! A player's queue of inputs: one is applied per tick, whatever the network does.
//!
//! Clients resend their last few inputs in every datagram against loss, so duplicates and
//! stale sequence numbers are normal and ignored; gaps are tolerated. A client cannot bank
//! inputs to act several times in a tick or to play them out later in a burst: a backlog of
//! more than [`MAX_BACKLOG`] is cut down to [`KEPT_AFTER_CUT`].

use mmo_cluster::peer::InputRecord;
use mmo_world::Buttons;
use std::collections::VecDeque;

/// More queued inputs than this at a tick means the client is ahead or was flooding.
pub const MAX_BACKLOG: usize = 4;
/// What is left of a backlog after it is cut: the newest inputs.
pub const KEPT_AFTER_CUT: usize = 2;
/// Hard bound between two ticks, whatever arrives.
const MAX_QUEUED: usize = 32;

#[derive(Clone, Debug, Default)]
pub(crate) struct InputQueue {
    queue: VecDeque<(u32, Buttons)>,
    newest_seen: Option<u32>,
    last_applied: u32,
    last_buttons: Buttons,
}

impl InputQueue {
    /// Queues an input unless its sequence number is not newer than every one seen before.
    pub fn push(&mut self, seq: u32, buttons: Buttons) {
        if self.newest_seen.is_some_and(|newest| seq <= newest) {
            return;
        }
        self.newest_seen = Some(seq);
        if self.queue.len() >= MAX_QUEUED {
            self.queue.pop_front();
        }
        self.queue.push_back((seq, buttons));
    }

    /// The buttons for this tick: the oldest queued input, or the last buttons again when the
    /// queue is empty (a late or lost packet should not stop a running player).
    pub fn pop(&mut self) -> Buttons {
        if self.queue.len() > MAX_BACKLOG {
            let drop = self.queue.len() - KEPT_AFTER_CUT;
            self.queue.drain(..drop);
        }
        if let Some((seq, buttons)) = self.queue.pop_front() {
            self.last_applied = seq;
            self.last_buttons = buttons;
        }
        self.last_buttons
    }

    /// Sequence number of the input applied most recently (0 before the first).
    pub fn last_applied(&self) -> u32 {
        self.last_applied
    }

    /// The queue as plain data, to travel in a handoff.
    pub fn to_record(&self) -> InputRecord {
        InputRecord {
            queued: self.queue.iter().copied().collect(),
            newest_seen: self.newest_seen,
            last_applied: self.last_applied,
            last_buttons: self.last_buttons,
        }
    }

    pub fn from_record(r: InputRecord) -> Self {
        InputQueue {
            queue: r.queued.into_iter().take(MAX_QUEUED).collect(),
            newest_seen: r.newest_seen,
            last_applied: r.last_applied,
            last_buttons: r.last_buttons,
        }
    }

    /// Forgets queued inputs and held buttons (on respawn), keeping the sequence numbers.
    pub fn clear(&mut self) {
        self.queue.clear();
        self.last_buttons = Buttons::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const R: Buttons = Buttons(Buttons::RIGHT);
    const L: Buttons = Buttons(Buttons::LEFT);

    #[test]
    fn one_input_per_pop_and_repeat_when_empty() {
        let mut q = InputQueue::default();
        assert_eq!(q.pop(), Buttons::default());
        q.push(1, R);
        q.push(2, L);
        assert_eq!((q.pop(), q.last_applied()), (R, 1));
        assert_eq!((q.pop(), q.last_applied()), (L, 2));
        assert_eq!((q.pop(), q.last_applied()), (L, 2), "repeats the last buttons");
    }

    #[test]
    fn duplicates_and_old_seqs_are_ignored_and_gaps_tolerated() {
        let mut q = InputQueue::default();
        q.push(5, R);
        q.push(5, L);
        q.push(3, L);
        q.push(9, L);
        assert_eq!((q.pop(), q.last_applied()), (R, 5));
        assert_eq!((q.pop(), q.last_applied()), (L, 9));
        q.push(9, R);
        assert_eq!(q.pop(), L);
    }

    #[test]
    fn a_backlog_is_cut_to_the_newest_two() {
        let mut q = InputQueue::default();
        for seq in 1..=5 {
            q.push(seq, Buttons(seq as u8));
        }
        assert_eq!((q.pop(), q.last_applied()), (Buttons(4), 4));
        assert_eq!((q.pop(), q.last_applied()), (Buttons(5), 5));
        for seq in 6..=9 {
            q.push(seq, Buttons(seq as u8));
        }
        assert_eq!(q.last_applied(), 5);
        assert_eq!(q.pop(), Buttons(6), "four queued is not a backlog");
    }

    #[test]
    fn the_queue_is_bounded_between_ticks() {
        let mut q = InputQueue::default();
        for seq in 1..=1000 {
            q.push(seq, R);
        }
        assert!(q.queue.len() <= MAX_QUEUED);
        q.pop();
        assert_eq!(q.last_applied(), 999);
    }
}
