//! Who receives each cell's frames, and the last few frames of each cell for new subscribers.
//!
//! A subscriber that arrives late gets the frames it missed: a gateway following a migrated
//! cell subscribes at the new owner only once it has seen the registry change, by which time
//! the new owner may have simulated the cell for a tick or two. Frames of other processes'
//! subscribers do not move with the cell (see `mmo_cluster::net`), so without this history
//! those ticks would be lost to every player in the cell.

use mmo_cluster::SubscriberId;
use mmo_protocol::CellFrame;
use mmo_world::CellId;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use tokio::sync::mpsc;

type FrameSender = mpsc::Sender<Arc<CellFrame>>;

/// Frames kept per cell for late subscribers: 400 ms at 20 ticks per second (a gateway keeps
/// as many).
const HISTORY: usize = 8;

#[derive(Debug, Default)]
pub(super) struct Subscribers {
    by_cell: HashMap<CellId, Vec<(SubscriberId, FrameSender)>>,
    /// The newest frames of each cell, oldest first.
    history: HashMap<CellId, VecDeque<Arc<CellFrame>>>,
}

impl Subscribers {
    /// Adds (or replaces) a subscriber and sends it the cell's last few frames, oldest first.
    pub fn add(&mut self, cell: CellId, id: SubscriberId, frames: FrameSender) {
        for frame in self.history.get(&cell).into_iter().flatten() {
            let _ = frames.try_send(frame.clone());
        }
        let subs = self.by_cell.entry(cell).or_default();
        subs.retain(|(s, _)| *s != id);
        subs.push((id, frames));
    }

    pub fn remove(&mut self, cell: CellId, id: SubscriberId) {
        if let Some(subs) = self.by_cell.get_mut(&cell) {
            subs.retain(|(s, _)| *s != id);
        }
    }

    /// Sends each frame to its cell's subscribers, never waiting: a full subscriber misses it.
    pub fn publish(&mut self, frames: Vec<CellFrame>) {
        for frame in frames {
            let frame = Arc::new(frame);
            if let Some(subs) = self.by_cell.get_mut(&frame.cell) {
                subs.retain(|(_, tx)| match tx.try_send(frame.clone()) {
                    Ok(()) => true,
                    Err(mpsc::error::TrySendError::Full(_)) => {
                        metrics::counter!("mmo_zone_frames_dropped_total").increment(1);
                        true
                    }
                    Err(mpsc::error::TrySendError::Closed(_)) => false,
                });
            }
            let kept = self.history.entry(frame.cell).or_default();
            kept.push_back(frame);
            if kept.len() > HISTORY {
                kept.pop_front();
            }
        }
    }

    /// Takes a cell's subscribers away (the cell was handed over), forgetting its frames.
    pub fn take(&mut self, cell: CellId) -> Vec<(SubscriberId, FrameSender)> {
        self.history.remove(&cell);
        self.by_cell.remove(&cell).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mmo_world::{Epoch, GatewayId, Tick, ZoneId};

    fn frame(tick: u64) -> CellFrame {
        CellFrame::new(CellId::new(0, 0), ZoneId(1), Epoch(1), Tick(tick), vec![])
    }

    fn ticks(rx: &mut mpsc::Receiver<Arc<CellFrame>>) -> Vec<u64> {
        std::iter::from_fn(|| rx.try_recv().ok()).map(|f| f.tick.0).collect()
    }

    #[test]
    fn a_late_subscriber_gets_the_ticks_it_missed_then_each_new_one() {
        let mut subs = Subscribers::default();
        for tick in 1..=HISTORY as u64 + 2 {
            subs.publish(vec![frame(tick)]);
        }
        let (tx, mut rx) = mpsc::channel(16);
        subs.add(CellId::new(0, 0), SubscriberId::Gateway(GatewayId(1)), tx);
        let last = HISTORY as u64 + 2;
        assert_eq!(ticks(&mut rx), (3..=last).collect::<Vec<_>>(), "the last {HISTORY}, oldest first");
        subs.publish(vec![frame(last + 1)]);
        assert_eq!(ticks(&mut rx), [last + 1]);
    }

    #[test]
    fn a_cell_handed_over_forgets_its_subscribers_and_frames() {
        let mut subs = Subscribers::default();
        let cell = CellId::new(0, 0);
        let (tx, mut rx) = mpsc::channel(16);
        subs.add(cell, SubscriberId::Gateway(GatewayId(1)), tx.clone());
        subs.publish(vec![frame(1)]);
        assert_eq!(subs.take(cell).len(), 1);
        assert_eq!(ticks(&mut rx), [1]);
        let (late, mut late_rx) = mpsc::channel(16);
        subs.add(cell, SubscriberId::Gateway(GatewayId(2)), late);
        assert!(ticks(&mut late_rx).is_empty(), "no frames of the old ownership");
    }
}
