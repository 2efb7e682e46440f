//! Coordinator: decides which zone owns which cell and writes it to the registry.
//!
//! Today it makes the initial assignment of the local world; leader election, rebalancing by
//! load and zone join/drain/death build on the same [`plan`] + registry write.

pub mod plan;

use mmo_cluster::{Registry, RegistryError};
use mmo_world::{CellId, Epoch, WorldGeometry, ZoneId};
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
