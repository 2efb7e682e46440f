//! Coordinator: decides which zone owns which cell and writes it to the registry.
//!
//! Today it makes the initial assignment of the local world; leader election, rebalancing by
//! load and zone join/drain/death build on the same [`plan`] + registry write.

pub mod election;
pub mod plan;
pub mod policy;

use mmo_cluster::{Registry, RegistryError, ZoneCommand, ZoneHandle};
use mmo_world::{CellId, Epoch, WorldGeometry, ZoneId};
use std::collections::HashMap;
use tracing::info;

/// Assigns every cell of the world to `zones` and returns what was written, with epochs.
pub async fn assign_world(
    registry: &impl Registry,
    geometry: &WorldGeometry,
    zones: &[ZoneId],
) -> Result<Vec<(CellId, ZoneId, Epoch)>, RegistryError> {
    let mut written = Vec::new();
    for (cell, zone) in plan::initial(geometry, zones) {
        let epoch = registry.assign(cell, zone).await?;
        info!(%cell, %zone, %epoch, "cell assigned");
        written.push((cell, zone, epoch));
    }
    Ok(written)
}

/// Why a cell could not be migrated.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MigrateError {
    #[error(transparent)]
    Refused(#[from] plan::MoveRefused),
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error("no link to zone {0}")]
    UnknownZone(ZoneId),
}

/// Moves one cell, with every entity in it, from its owner to zone `to`; returns the new
/// ownership epoch.
///
/// The registry is written first: the new epoch fences the old owner, which from then on can
/// only give the cell away. Both zones are told at once (they also follow the registry). The
/// old owner simulates the cell for the tick it learns it in, publishes it, then hands the
/// whole cell over (one transfer with the cell's epoch and all its entities; the cell's
/// subscribers follow); the new owner simulates it from the next tick on. Subscribers get the
/// new owner's frames, whole-cell keyframes, with no tick missing.
pub async fn migrate_cell(
    registry: &impl Registry,
    zones: &HashMap<ZoneId, ZoneHandle>,
    cell: CellId,
    to: ZoneId,
) -> Result<Epoch, MigrateError> {
    let from = plan::migration(&registry.assignments(), cell, to)?;
    if !zones.contains_key(&to) {
        return Err(MigrateError::UnknownZone(to));
    }
    let epoch = registry.assign(cell, to).await?;
    info!(%cell, %from, %to, %epoch, "cell migrating");
    for zone in [from, to] {
        if let Some(handle) = zones.get(&zone) {
            // A zone that is gone learns nothing; the registry holds the truth either way.
            let _ = handle.send(ZoneCommand::CellOwner { cell, zone: to, epoch }).await;
        }
    }
    Ok(epoch)
}
