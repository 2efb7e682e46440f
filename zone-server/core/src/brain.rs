//! An NPC's memory between ticks ([`Brain`]), and its plain-data form in transfers and
//! checkpoints. What the brain decides is `ai`'s.

use mmo_records::BrainRecord;
use mmo_world::Tick;

/// An NPC's memory between ticks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Brain {
    /// Patrol direction, -1 or 1.
    pub dir: i32,
    /// Standing still until this tick.
    pub idle_until: Tick,
    /// Walking back to its spawn point.
    pub returning: bool,
    first_dir: i32,
}

impl Brain {
    pub fn new(dir: i32) -> Self {
        let dir = if dir < 0 { -1 } else { 1 };
        Brain { dir, idle_until: Tick(0), returning: false, first_dir: dir }
    }

    pub fn reset(&mut self) {
        *self = Brain::new(self.first_dir);
    }

    pub fn to_record(&self) -> BrainRecord {
        BrainRecord { dir: self.dir, idle_until: self.idle_until, returning: self.returning, first_dir: self.first_dir }
    }

    pub fn from_record(r: BrainRecord) -> Self {
        Brain { dir: r.dir, idle_until: r.idle_until, returning: r.returning, first_dir: r.first_dir }
    }
}
