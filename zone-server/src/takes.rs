//! Which cells a zone takes itself, and when (see [`mmo_cluster::takeover`]): the cells the
//! assignment table gives it that no live run of a zone hands over, the cells a zone lost or
//! restarted was to hand over, each taken from the checkpoints covering it ([`crate::restore`])
//! or afresh. The core is told of zones lost and back under their id.

use crate::host::{until_stopped, Stores};
use mmo_cluster::follow::ZoneChange;
use mmo_cluster::registry::AssignmentTable;
use mmo_cluster::takeover;
use mmo_cluster::{Registry, ZoneCommand, ZoneHandle};
use mmo_world::{Epoch, WorldGeometry, ZoneId};
use std::collections::BTreeMap;
use tokio::sync::{mpsc, watch};
use tracing::{info, warn};

/// Takes the cells assigned to this zone that no live zone hands over (see the module
/// documentation), and tells the core about dead zones and zones back under their id.
pub(crate) async fn take_cells<R: Registry>(
    registry: R,
    taker: Taker,
    mut changes: mpsc::Receiver<ZoneChange>,
    mut stopped: watch::Receiver<bool>,
) {
    let me = taker.zone.zone;
    if let Err(error) = registry.catch_up().await {
        warn!(%error, "cannot read the assignment table afresh; deciding from the followed one");
    }
    let mut assignments = registry.watch();
    let mut before: AssignmentTable = AssignmentTable::default();
    let mut awaiting = takeover::Awaiting::default();
    loop {
        let table = assignments.borrow_and_update().clone();
        let gained = takeover::gained(&before, &table, me);
        let runs = if takeover::needs_membership(&gained) {
            match registry.zone_runs().await {
                Ok(runs) => runs,
                Err(error) => {
                    warn!(%error, "cannot tell whether cells' previous owners live; assuming they do");
                    gained.iter().filter_map(|g| g.previous).map(|z| (z, Epoch(0))).collect()
                }
            }
        } else {
            BTreeMap::new()
        };
        let decided = takeover::takeover(&gained, &runs, me);
        awaiting.update(&table, me, &decided.wait);
        for g in decided.take {
            if !taker.take(g).await {
                return;
            }
        }
        for gone in decided.dead {
            if !taker.lost(gone, &mut awaiting).await {
                return;
            }
        }
        before = table;
        tokio::select! {
            changed = assignments.changed() => if changed.is_err() { return },
            Some(change) = changes.recv() => match change {
                ZoneChange::Lost(gone) => {
                    if !taker.lost(gone, &mut awaiting).await {
                        return;
                    }
                }
                ZoneChange::Found(back) => {
                    let _ = taker.zone.send(ZoneCommand::PeerBack { zone: back }).await;
                    if !taker.restarted(&registry, &mut awaiting).await {
                        return;
                    }
                }
            },
            _ = until_stopped(&mut stopped) => return,
        }
    }
}

/// What takes cells for a zone: its handle, its stores (checkpoints and player records) and
/// the world's geometry (a quarter's state may be cut from its parent's checkpoint).
pub(crate) struct Taker {
    pub zone: ZoneHandle,
    pub stores: Stores,
    pub geometry: WorldGeometry,
}

impl Taker {
    /// Zone `gone` is lost: the core is told (transfers it sent there are taken back), and the
    /// cells it was to hand over here are taken (nobody else will); false once this zone is
    /// gone.
    async fn lost(&self, gone: ZoneId, awaiting: &mut takeover::Awaiting) -> bool {
        let _ = self.zone.send(ZoneCommand::PeerLost { zone: gone }).await;
        for g in awaiting.lost(gone) {
            if !self.take(g).await {
                return false;
            }
        }
        true
    }

    /// A zone registered again: the cells waited for from a run of it that is no more are
    /// taken (the new run does not hold them); false once this zone is gone.
    async fn restarted<R: Registry>(&self, registry: &R, awaiting: &mut takeover::Awaiting) -> bool {
        let runs = match registry.zone_runs().await {
            Ok(runs) => runs,
            Err(error) => {
                warn!(%error, "cannot read the zones' runs: cells waited for from a restarted zone wait on");
                return true;
            }
        };
        for g in awaiting.restarted(&runs) {
            if !self.take(g).await {
                return false;
            }
        }
        true
    }

    /// Takes a cell nobody hands over (from the checkpoints covering it, or afresh); false once
    /// the zone is gone.
    async fn take(&self, g: takeover::Gained) -> bool {
        info!(cell = %g.cell, epoch = %g.epoch, previous = ?g.previous, "taking a cell no live zone hands over");
        metrics::counter!("mmo_zone_cells_taken_total").increment(1);
        let (hot, durable) = (&self.stores.hot, &self.stores.durable);
        let take = crate::restore::take_cell(g.cell, g.epoch, self.geometry, hot, durable).await;
        self.zone.send(take).await.is_ok()
    }
}
