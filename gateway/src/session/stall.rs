//! Telling a client that its world stalls while the gateway is still here: after
//! [`STALL_NOTICE`] without a snapshot, and again every [`STALL_NOTICE`] until one goes out,
//! the session sends `Stalled` (a zone died and its cells are being taken over, or the world
//! is late). A client whose gateway died hears nothing at all, so it can tell the two apart:
//! it waits through a stall, and moves to another gateway only when it hears nothing.
//! Sans-IO: the session's loop asks when to look next and whether a notice is due.

use tokio::time::{Duration, Instant};

/// How long without a snapshot before the first notice, and between notices.
pub(super) const STALL_NOTICE: Duration = Duration::from_millis(500);

#[derive(Debug)]
pub(super) struct Stall {
    /// When the last snapshot went out (or the session started playing).
    shown: Instant,
    /// When the last notice went out, if since the last snapshot.
    noticed: Option<Instant>,
}

impl Stall {
    pub(super) fn new(now: Instant) -> Self {
        Stall { shown: now, noticed: None }
    }

    /// A snapshot went out.
    pub(super) fn shown(&mut self, now: Instant) {
        self.shown = now;
        self.noticed = None;
    }

    /// When a notice may next be due.
    pub(super) fn next_check(&self) -> Instant {
        self.noticed.unwrap_or(self.shown) + STALL_NOTICE
    }

    /// Whether a notice is due at `now` (then it counts as sent).
    pub(super) fn due(&mut self, now: Instant) -> bool {
        let due = now >= self.next_check();
        if due {
            self.noticed = Some(now);
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notice_every_half_second_without_snapshots_and_none_while_they_come() {
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        let mut stall = Stall::new(t0);
        for n in 1..=20 {
            // Snapshots every 50 ms: never a notice.
            assert!(!stall.due(ms(n * 50 - 1)));
            stall.shown(ms(n * 50));
        }
        assert_eq!(stall.next_check(), ms(1500));
        assert!(!stall.due(ms(1499)));
        assert!(stall.due(ms(1500)), "half a second without a snapshot");
        assert!(!stall.due(ms(1700)), "not again at once");
        assert!(stall.due(ms(2000)), "again half a second later");
        stall.shown(ms(2100));
        assert!(!stall.due(ms(2500)), "snapshots resumed");
        assert!(stall.due(ms(2600)));
    }
}
