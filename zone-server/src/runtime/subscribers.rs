//! Who receives each cell's frames, and the last frame of each cell for new subscribers.

use mmo_cluster::SubscriberId;
use mmo_protocol::CellFrame;
use mmo_world::CellId;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::mpsc;

type FrameSender = mpsc::Sender<Arc<CellFrame>>;

#[derive(Debug, Default)]
pub(super) struct Subscribers {
    by_cell: HashMap<CellId, Vec<(SubscriberId, FrameSender)>>,
    last_frames: HashMap<CellId, Arc<CellFrame>>,
}

impl Subscribers {
    /// Adds (or replaces) a subscriber and sends it the cell's latest frame, if any.
    pub fn add(&mut self, cell: CellId, id: SubscriberId, frames: FrameSender) {
        if let Some(frame) = self.last_frames.get(&cell) {
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
    pub fn publish(&mut self, frames: Vec<mmo_protocol::CellFrame>) {
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
            self.last_frames.insert(frame.cell, frame);
        }
    }

    /// Takes a cell's subscribers away (the cell was handed over), forgetting its last frame.
    pub fn take(&mut self, cell: CellId) -> Vec<(SubscriberId, FrameSender)> {
        self.last_frames.remove(&cell);
        self.by_cell.remove(&cell).unwrap_or_default()
    }
}
