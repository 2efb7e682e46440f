//! A player's queue of inputs: each input is one physics step, whatever the network does.
//!
//! The client predicts its own body by stepping once per input it sends; the server steps once
//! per input it receives, so the body it reports after input `seq` is exactly what the client
//! predicted for `seq` (reconciliation corrects nothing unless an input was lost). When inputs
//! arrive late (jitter, a stall), the player waits (no step is invented) and then catches up: a
//! tick may step several queued inputs, bounded by a budget that grows by one step per tick up
//! to [`MAX_STEPS_PER_TICK`], so over time a client never gets more steps than ticks passed
//! (no speed-up by banking inputs or flooding) and a late burst does not linger as latency.
//!
//! Clients resend their last few inputs in every datagram against loss, so duplicates and
//! stale sequence numbers are normal and ignored; gaps are tolerated. A client whose clock runs
//! ahead builds a backlog; more than [`MAX_BACKLOG`] queued inputs are cut, oldest first.

use mmo_records::InputRecord;
use mmo_world::Buttons;
use std::collections::VecDeque;

/// Steps a player may take in one tick to catch up after its inputs were late (a stall of up to
/// this many ticks is absorbed without losing an input).
pub const MAX_STEPS_PER_TICK: usize = 5;
/// Queued inputs kept at most after a tick's steps: a client running ahead of the clock loses
/// its oldest ones rather than playing with ever more latency.
pub const MAX_BACKLOG: usize = 4;
/// Hard bound between two ticks, whatever arrives.
const MAX_QUEUED: usize = 32;

/// The buttons of each step a player takes this tick, oldest first (none while its inputs are
/// late).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct TickSteps {
    buttons: [Buttons; MAX_STEPS_PER_TICK],
    len: usize,
}

impl TickSteps {
    pub fn iter(&self) -> impl Iterator<Item = Buttons> + '_ {
        self.buttons[..self.len].iter().copied()
    }

    /// The buttons the tick is remembered by (facing, combat): the last step's, with an attack
    /// if any step attacked; none without steps.
    pub fn held(&self) -> Buttons {
        let Some(&last) = self.buttons[..self.len].last() else { return Buttons::default() };
        let attacked = self.iter().any(|b| b.has(Buttons::ATTACK));
        if attacked {
            Buttons(last.0 | Buttons::ATTACK)
        } else {
            last
        }
    }
}

#[derive(Clone, Debug, Default)]
pub(crate) struct InputQueue {
    queue: VecDeque<(u32, Buttons)>,
    newest_seen: Option<u32>,
    last_applied: u32,
    last_buttons: Buttons,
    /// Steps the player may take this tick (grows by one per tick, up to the cap).
    budget: usize,
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

    /// The steps of this tick: the oldest queued inputs, as many as the budget allows (none
    /// when none arrived: the player waits for its inputs).
    pub fn take_tick(&mut self) -> TickSteps {
        self.budget = (self.budget + 1).min(MAX_STEPS_PER_TICK);
        let mut steps = TickSteps::default();
        while steps.len < self.budget {
            let Some((seq, buttons)) = self.queue.pop_front() else { break };
            self.last_applied = seq;
            self.last_buttons = buttons;
            steps.buttons[steps.len] = buttons;
            steps.len += 1;
        }
        self.budget -= steps.len;
        if self.queue.len() > MAX_BACKLOG {
            let drop = self.queue.len() - MAX_BACKLOG;
            self.queue.drain(..drop);
        }
        steps
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

    /// The queue from a handoff; the step budget starts afresh (one step on the first tick).
    pub fn from_record(r: InputRecord) -> Self {
        InputQueue {
            queue: r.queued.into_iter().take(MAX_QUEUED).collect(),
            newest_seen: r.newest_seen,
            last_applied: r.last_applied,
            last_buttons: r.last_buttons,
            budget: 0,
        }
    }

    /// Forgets queued inputs (on respawn), keeping the sequence numbers.
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

    fn steps(q: &mut InputQueue) -> Vec<Buttons> {
        q.take_tick().iter().collect()
    }

    #[test]
    fn one_step_per_input_and_none_without_input() {
        let mut q = InputQueue::default();
        assert_eq!(steps(&mut q), []);
        q.push(1, R);
        assert_eq!((steps(&mut q), q.last_applied()), (vec![R], 1));
        q.push(2, L);
        assert_eq!((steps(&mut q), q.last_applied()), (vec![L], 2));
        assert_eq!((steps(&mut q), q.last_applied()), (vec![], 2), "no input, no step");
    }

    #[test]
    fn late_inputs_are_caught_up_within_the_budget() {
        let mut q = InputQueue::default();
        q.push(1, R);
        steps(&mut q);
        // Two ticks without input, then three inputs at once: all three step now.
        assert_eq!(steps(&mut q), []);
        assert_eq!(steps(&mut q), []);
        for seq in 2..=4 {
            q.push(seq, L);
        }
        assert_eq!((steps(&mut q).len(), q.last_applied()), (3, 4));
        // With no budget banked, a burst steps one per tick: no speed-up by flooding.
        for seq in 5..=7 {
            q.push(seq, R);
        }
        assert_eq!(steps(&mut q).len(), 1);
        assert_eq!(steps(&mut q).len(), 1);
        assert_eq!(steps(&mut q).len(), 1);
        assert_eq!(q.last_applied(), 7);
    }

    #[test]
    fn the_budget_is_capped_and_a_backlog_cut() {
        let mut q = InputQueue::default();
        for _ in 0..20 {
            steps(&mut q);
        }
        for seq in 1..=12 {
            q.push(seq, Buttons(seq as u8));
        }
        let first: Vec<Buttons> = steps(&mut q);
        assert_eq!(first.len(), MAX_STEPS_PER_TICK, "a long stall banks at most {MAX_STEPS_PER_TICK} steps");
        assert_eq!(first[0], Buttons(1));
        // 7 were left; the oldest 3 were cut to keep 4: the next step is input 9.
        assert_eq!(steps(&mut q), [Buttons(9)]);
        assert_eq!(q.last_applied(), 9);
    }

    #[test]
    fn duplicates_and_old_seqs_are_ignored_and_gaps_tolerated() {
        let mut q = InputQueue::default();
        q.push(5, R);
        q.push(5, L);
        q.push(3, L);
        assert_eq!(steps(&mut q), [R]);
        q.push(9, L);
        q.push(9, R);
        assert_eq!((steps(&mut q), q.last_applied()), (vec![L], 9));
    }

    #[test]
    fn an_attack_in_any_step_of_a_tick_is_held() {
        let mut q = InputQueue::default();
        steps(&mut q);
        q.push(1, Buttons(Buttons::ATTACK));
        q.push(2, L);
        let tick = q.take_tick();
        assert_eq!(tick.iter().count(), 2);
        assert!(tick.held().has(Buttons::ATTACK) && tick.held().direction() < 0);
        assert_eq!(TickSteps::default().held(), Buttons::default());
    }

    #[test]
    fn the_queue_is_bounded_between_ticks() {
        let mut q = InputQueue::default();
        for seq in 1..=1000 {
            q.push(seq, R);
        }
        assert!(q.queue.len() <= MAX_QUEUED);
        steps(&mut q);
        assert_eq!(q.last_applied(), 969);
    }
}
