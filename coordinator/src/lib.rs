//! Coordinator: decides which zone owns which cell and writes it to the registry.
//!
//! - [`plan`]: the initial assignment and move checks (pure);
//! - [`policy`]: the rebalancing policy (pure): dead, draining, new and hot zones;
//! - [`service`]: the loop that reads the registry each period, runs the policy and writes its
//!   moves through a [`writer::CellWriter`] (plain, or guarded by the [`election`]'s leader key);
//! - [`api`]: the operators' JSON API and the dashboard page.
//!
//! The `mmo-coordinator` binary runs the service on etcd (`run`) and is the operators' CLI.

pub mod api;
pub mod election;
pub mod plan;
pub mod policy;
pub mod service;
pub mod writer;

use mmo_cluster::{Registry, RegistryError, ZoneHandle};
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
    writer::notify(zones, cell, Some(from), to, epoch, true).await;
    Ok(epoch)
}
