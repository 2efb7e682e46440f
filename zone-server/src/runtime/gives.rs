//! The runtime's side of gives across zone borders (see `mmo_zone_core`'s `gives`): the core
//! sends an offer, or answers one, only once the writes it waits for are durable, so each batch
//! of writes a tick makes reports back whether all of it landed; and an offer left unanswered
//! is judged from the receiver's stored record, read here. How the gives ended is counted in
//! `mmo_zone_gives_total{outcome="accepted"|"refused"|"checked"}` (checked: judged from the
//! stored record, counted besides accepted or refused).

use crate::core::{GiveCounts, ZoneCore};
use mmo_records::GiveId;
use mmo_store::{AnyStore, DurableStore, PlayerRecord};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tracing::warn;

/// What a batch's task reports: its number and whether every write of it landed.
pub(super) type BatchDone = (u64, bool);

#[derive(Debug)]
pub(super) struct GiveIo {
    done_tx: mpsc::UnboundedSender<BatchDone>,
    done_rx: mpsc::UnboundedReceiver<BatchDone>,
    /// Receivers' stored records being read (`None`: the read failed; the core asks again).
    checks: JoinSet<Option<(GiveId, Option<PlayerRecord>)>>,
    /// The core's counts at the last call, for the metrics.
    counted: GiveCounts,
}

impl Default for GiveIo {
    fn default() -> Self {
        let (done_tx, done_rx) = mpsc::unbounded_channel();
        GiveIo { done_tx, done_rx, checks: JoinSet::new(), counted: GiveCounts::default() }
    }
}

impl GiveIo {
    fn count(&mut self, now: GiveCounts) {
        let last = std::mem::replace(&mut self.counted, now);
        for (outcome, n) in [
            ("accepted", now.accepted - last.accepted),
            ("refused", now.refused - last.refused),
            ("checked", now.checked - last.checked),
        ] {
            if n > 0 {
                metrics::counter!("mmo_zone_gives_total", "outcome" => outcome).increment(n);
            }
        }
    }

    /// Where the task writing a batch reports it.
    pub fn reporter(&self) -> mpsc::UnboundedSender<BatchDone> {
        self.done_tx.clone()
    }

    /// Hands the core the batches that landed (or failed) and the stored records read since
    /// the last call, and starts reading those it asks for now.
    pub fn settle(&mut self, core: &mut ZoneCore, store: Option<&AnyStore>) {
        while let Ok((batch, durable)) = self.done_rx.try_recv() {
            if durable {
                core.saved(batch);
            } else {
                core.unsaved(batch);
            }
        }
        while let Some(read) = self.checks.try_join_next() {
            if let Ok(Some((id, record))) = read {
                core.give_checked(id, record.as_ref());
            }
        }
        self.count(core.give_counts());
        for (id, name) in core.take_give_checks() {
            let Some(store) = store.cloned() else {
                // No store: nothing was saved, so nothing was accepted durably.
                core.give_checked(id, None);
                continue;
            };
            self.checks.spawn(async move {
                match store.load(&name).await {
                    Ok(record) => Some((id, record)),
                    Err(error) => {
                        warn!(%error, player = %name, give = %id, "receiver's record unreadable; asking again later");
                        None
                    }
                }
            });
        }
    }
}
