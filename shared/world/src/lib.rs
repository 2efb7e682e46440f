//! The world every service agrees on: newtype ids, the cell grid, the deterministic terrain
//! generator and the fixed-point movement physics.
//!
//! Nothing here does I/O, and only [`unix_ms`] reads a clock (for callers to pass the time in). The physics is integer-only so the TypeScript client
//! (`browser-client/src/physics.ts`) reproduces it bit for bit; the golden vectors in
//! `shared/protocol/golden/physics.json` pin both sides. Change one side and CI fails until the
//! other follows and the vectors are regenerated (`cargo run -p mmo-protocol --bin golden`).

pub mod geometry;
pub mod ids;
pub mod physics;
pub mod quadtree;
pub mod rng;
pub mod terrain;
pub mod tick;

pub use geometry::{CellId, TilePos, WorldGeometry};
pub use ids::{EntityId, Epoch, GatewayId, GatewayRun, ItemSerial, SerialBlock, SessionId, ZoneId};
pub use physics::{Body, Buttons};
pub use quadtree::{Layout, LayoutError, MAX_DEPTH};
pub use terrain::{CellTerrain, Terrain, Tile, TileSource};
pub use tick::{unix_ms, Tick, TickClock};
