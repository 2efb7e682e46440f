//! Zone server: authoritative simulation of the cells it owns.
//!
//! - [`core`]: the sans-IO simulation (tick number, inputs and a seeded RNG in; cell frames out),
//!   its own crate `mmo-zone-core` (no tokio, no sockets, no clock), re-exported here.
//! - [`runtime`]: the tokio task that paces ticks on the global clock, feeds the core the
//!   commands arriving from gateways and publishes cell frames to subscribers.
//! - [`host`]: the zone as its own process (`mmo-zone`): registry lease, network link, taking
//!   cells of dead zones; [`ops`]: its operator endpoints; [`restore`]: taking a cell from its
//!   latest checkpoint.

pub use mmo_zone_core as core;
pub mod drain;
pub mod host;
pub mod ops;
pub mod restore;
pub mod runtime;
mod takes;

pub use runtime::ZoneRuntime;
