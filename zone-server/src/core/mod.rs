//! The sans-IO zone simulation: no sockets, no clock, no tokio. The runtime feeds it
//! commands and tick numbers; it returns one [`CellFrame`] per owned cell per tick.
//!
//! API CONTRACT (the runtime in `../runtime.rs` calls exactly this).

use mmo_protocol::CellFrame;
use mmo_world::{Buttons, CellId, EntityId, Epoch, Tick, WorldGeometry, ZoneId};
use std::sync::Arc;

/// How a zone's simulation is set up.
#[derive(Clone, Debug)]
pub struct ZoneConfig {
    pub zone: ZoneId,
    pub seed: u64,
    pub geometry: WorldGeometry,
    /// NPCs spawned in each owned cell when the zone takes it.
    pub npcs_per_cell: u32,
}

/// A tick phase, in the order they run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Inputs,
    Ai,
    Physics,
    Combat,
    Respawn,
    Publish,
}

/// Told when each phase of a tick ends, so the runtime can time them without the core reading a clock.
pub trait PhaseTimer {
    fn phase_done(&mut self, phase: Phase);
}

/// Why a player could not join.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum JoinError {
    #[error("this zone owns no cell to spawn in")]
    NoCell,
}

#[derive(Debug)]
pub struct ZoneCore {}

impl ZoneCore {
    pub fn new(_config: ZoneConfig) -> Self {
        todo!()
    }
    /// Takes a cell: generates its terrain (and its neighbours'), spawns its NPCs.
    pub fn own_cell(&mut self, _cell: CellId, _epoch: Epoch) {
        todo!()
    }
    pub fn join_player(&mut self, _name: Arc<str>) -> Result<EntityId, JoinError> {
        todo!()
    }
    pub fn leave_player(&mut self, _id: EntityId) -> bool {
        todo!()
    }
    pub fn push_input(&mut self, _id: EntityId, _seq: u32, _buttons: Buttons) {
        todo!()
    }
    pub fn chat(&mut self, _id: EntityId, _text: Arc<str>) {
        todo!()
    }
    pub fn tick(&mut self, _tick: Tick, _timer: &mut impl PhaseTimer) -> Vec<CellFrame> {
        todo!()
    }
}
