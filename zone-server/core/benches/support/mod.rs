//! What the benchmarks share: a zone owning a whole world, its standing places, and a clock
//! adding up the time each tick phase takes.
#![allow(clippy::disallowed_methods, reason = "a benchmark times the core with the real clock")]

use glam::IVec2;
use mmo_world::Epoch;
use mmo_zone_core::{standing_spots, Phase, PhaseTimer, ZoneConfig, ZoneCore};
use std::time::{Duration, Instant};

/// Entity ids for the core under test (the host takes them from the store).
pub const FIRST_IDS: mmo_world::SerialBlock = mmo_world::SerialBlock::from_start(1, 1 << 20);

/// A zone owning every cell of its world, and every place in it where a body can stand.
pub fn whole_world(config: ZoneConfig) -> (ZoneCore, Vec<IVec2>) {
    let geometry = config.geometry;
    let mut core = ZoneCore::new(config, FIRST_IDS);
    for cell in geometry.cells() {
        core.own_cell(cell, Epoch(1));
    }
    let spots = geometry.cells().flat_map(|c| standing_spots(core.terrain(), &geometry, c)).collect();
    (core, spots)
}

/// Adds up the time spent in each phase.
pub struct PhaseClock {
    pub last: Instant,
    pub spent: [Duration; Phase::ALL.len()],
}

impl PhaseClock {
    pub fn new() -> Self {
        PhaseClock { last: Instant::now(), spent: [Duration::ZERO; Phase::ALL.len()] }
    }

    /// The time spent in `phase` so far.
    pub fn of(&self, phase: Phase) -> Duration {
        self.spent[Phase::ALL.iter().position(|p| *p == phase).expect("a known phase")]
    }
}

impl PhaseTimer for PhaseClock {
    fn phase_done(&mut self, phase: Phase) {
        let now = Instant::now();
        let i = Phase::ALL.iter().position(|p| *p == phase).expect("a known phase");
        self.spent[i] += now - self.last;
        self.last = now;
    }
}
