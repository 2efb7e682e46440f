//! Coordinator: decides which zone owns which cell and writes it to the registry.
//!
//! - [`plan`]: the initial assignment and move checks (pure);
//! - [`policy`]: the rebalancing policy (pure): dead, draining, new and hot zones;
//! - [`service`]: the loop that reads the registry each period, runs the policy and writes its
//!   moves through a [`writer::CellWriter`] (plain, or guarded by the [`election`]'s leader key);
//! - [`api`]: the operators' JSON API and the dashboard page; [`requests`]: what it reads from
//!   a request, parsed and checked (pure);
//! - [`host`]: the one way a coordinator is hosted, sole (local world) or elected (etcd).
//!
//! The `mmo-coordinator` binary runs the service on etcd (`run`) and is the operators' CLI.

pub mod api;
pub mod auth;
pub mod config;
pub mod election;
pub mod flight;
pub mod host;
pub mod plan;
pub mod policy;
pub mod requests;
pub mod service;
pub mod writer;

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
