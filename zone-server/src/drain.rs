//! Draining a zone before it stops (what `mmo-zone` does on SIGTERM, e.g. a Kubernetes rolling
//! update): the zone marks itself draining in the registry, the coordinator hands its cells to
//! the other zones by the normal migration (players and NPCs move with them, as at any border),
//! and the zone stops once every cell it owned is simulated by its new owner. Without a zone to
//! drain into (it is the last one, or every other one drains too) or past the timeout, it stops
//! anyway; its cells are then taken over from their checkpoints, as after a crash.

use mmo_cluster::{Registry, RegistryError};
use mmo_world::{unix_ms, CellId, ZoneId};
use std::collections::BTreeSet;
use std::time::Duration;
use tokio::time::Instant;
use tracing::{info, warn};

/// How often the drain looks at the registry.
const POLL: Duration = Duration::from_millis(100);

/// How a drain ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Drained {
    /// Every cell the zone owned is simulated by another zone.
    HandedOver { cells: usize },
    /// No other live zone takes cells (none, or all draining): nothing to wait for.
    NowhereToGo { cells: usize },
    /// The timeout passed with these cells still here or in flight.
    TimedOut { left: Vec<CellId> },
}

/// Marks `zone` draining and waits until its cells are handed over (see the module docs).
pub async fn drain<R: Registry>(registry: &R, zone: ZoneId, timeout: Duration) -> Result<Drained, RegistryError> {
    let started = unix_ms();
    let deadline = Instant::now() + timeout;
    let mine: BTreeSet<CellId> =
        registry.assignments().iter().filter(|(_, a)| a.zone == zone).map(|(c, _)| *c).collect();
    registry.set_draining(zone, true).await?;
    info!(%zone, cells = mine.len(), timeout_s = timeout.as_secs_f64(), "draining");
    loop {
        let left = not_taken_yet(registry, zone, &mine, started).await?;
        if left.is_empty() {
            info!(%zone, cells = mine.len(), "drained: every cell is simulated by its new owner");
            return Ok(Drained::HandedOver { cells: mine.len() });
        }
        if !someone_takes_cells(registry, zone).await? {
            info!(%zone, cells = left.len(), "no other zone takes cells; stopping without a handover");
            return Ok(Drained::NowhereToGo { cells: left.len() });
        }
        if Instant::now() >= deadline {
            warn!(%zone, left = left.len(), "drain timed out; the cells left are taken over from their checkpoints");
            return Ok(Drained::TimedOut { left });
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Clears the draining mark `zone` set for itself (after it stopped), so that the next zone
/// started under its id takes cells again.
pub async fn clear<R: Registry>(registry: &R, zone: ZoneId) -> Result<(), RegistryError> {
    registry.set_draining(zone, false).await
}

/// The cells of `mine` still assigned to `zone`, or assigned elsewhere but not yet reported
/// by their new owner in a load report newer than `since` (the migration is under way).
async fn not_taken_yet<R: Registry>(
    registry: &R,
    zone: ZoneId,
    mine: &BTreeSet<CellId>,
    since: u64,
) -> Result<Vec<CellId>, RegistryError> {
    let table = registry.assignments();
    let loads = registry.loads().await?;
    let taken = |cell: &CellId| {
        table
            .get(cell)
            .filter(|a| a.zone != zone)
            .is_some_and(|a| loads.get(&a.zone).is_some_and(|r| r.at_unix_ms >= since && r.simulates(*cell)))
    };
    let mut left: Vec<CellId> = mine.iter().filter(|c| !taken(c)).copied().collect();
    // Cells given to this zone after the drain began (a move already under way) count too.
    left.extend(table.iter().filter(|(c, a)| a.zone == zone && !mine.contains(c)).map(|(c, _)| *c));
    Ok(left)
}

/// Whether a live zone other than `zone` is not draining.
async fn someone_takes_cells<R: Registry>(registry: &R, zone: ZoneId) -> Result<bool, RegistryError> {
    let live = registry.zones().await?;
    let draining = registry.draining().await?;
    Ok(live.keys().any(|z| *z != zone && !draining.contains(z)))
}
