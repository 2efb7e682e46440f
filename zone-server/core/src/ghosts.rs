//! Ghosts: read-only copies of the entities just across the zone's borders, from the cell
//! streams of neighbouring cells that other zones own. NPC AI chases ghost players, swings hit
//! ghosts (as requests to their owner); nothing here is ever simulated.
//!
//! The latest frame of each watched cell is kept; each tick the list is rebuilt from frames at
//! most [`GHOST_TICKS`] old. An entity in handoff can show in two frames (the tick it left one
//! cell and the next in the other) or be simulated here already: the list holds each entity
//! once, from the newest frame, and never one this zone holds itself.

use glam::IVec2;
use mmo_protocol::cell::pose;
use mmo_protocol::{CellFrame, EntityKind};
use mmo_world::{CellId, EntityId, Tick, ZoneId};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// Frames older than this many ticks no longer make ghosts.
pub const GHOST_TICKS: u64 = 10;

/// An entity across the border, as its owner last published it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Ghost {
    pub id: EntityId,
    pub zone: ZoneId,
    pub pos: IVec2,
    pub is_player: bool,
    pub alive: bool,
    /// What a hunter's learned brain sees of a player across the border.
    pub vel: IVec2,
    pub facing_left: bool,
    pub hp: u16,
    pub max_hp: u16,
    pub swinging: bool,
}

#[derive(Debug, Default)]
pub(crate) struct Ghosts {
    frames: BTreeMap<CellId, Arc<CellFrame>>,
    list: Vec<Ghost>,
}

impl Ghosts {
    /// Keeps a frame unless a newer one of its cell is held.
    pub fn insert(&mut self, frame: Arc<CellFrame>) {
        if self.frames.get(&frame.cell).is_some_and(|f| (f.epoch, f.tick) >= (frame.epoch, frame.tick)) {
            return;
        }
        self.frames.insert(frame.cell, frame);
    }

    /// Stops watching a cell (the zone owns it now, or it is no longer a neighbour).
    pub fn forget(&mut self, cell: CellId) {
        self.frames.remove(&cell);
    }

    /// Rebuilds the list for tick `now` from fresh frames, leaving out entities `is_local` says
    /// this zone holds.
    pub fn rebuild(&mut self, now: Tick, is_local: impl Fn(EntityId) -> bool) {
        self.frames.retain(|_, f| now.since(f.tick) <= GHOST_TICKS);
        let mut newest: HashMap<EntityId, (Tick, Ghost)> = HashMap::new();
        for f in self.frames.values() {
            for e in &f.entities {
                if is_local(e.id) {
                    continue;
                }
                let ghost = Ghost {
                    id: e.id,
                    zone: f.zone,
                    pos: e.body.pos,
                    is_player: matches!(e.kind, EntityKind::Player { .. }),
                    alive: e.pose & pose::DEAD == 0,
                    vel: e.body.vel,
                    facing_left: e.pose & pose::FACING_LEFT != 0,
                    hp: e.hp,
                    max_hp: e.max_hp,
                    swinging: e.pose & pose::ATTACKING != 0,
                };
                if newest.get(&e.id).is_none_or(|(t, _)| *t < f.tick) {
                    newest.insert(e.id, (f.tick, ghost));
                }
            }
        }
        self.list.clear();
        self.list.extend(newest.into_values().map(|(_, g)| g));
        self.list.sort_unstable_by_key(|g| g.id);
    }

    /// This tick's ghosts, sorted by id.
    pub fn list(&self) -> &[Ghost] {
        &self.list
    }

    /// The name of ghost player `id`, from the frames held (looked up only for a kill, so the
    /// tick does not keep the names).
    pub fn name_of(&self, id: EntityId) -> Option<&str> {
        self.frames.values().flat_map(|f| &f.entities).find(|e| e.id == id).and_then(|e| match &e.kind {
            EntityKind::Player { name } => Some(&**name),
            EntityKind::Npc { .. } => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mmo_protocol::EntityState;
    use mmo_world::{Body, Epoch};

    fn frame(cell: u16, zone: u32, tick: u64, ids: &[u64]) -> Arc<CellFrame> {
        let entities = ids
            .iter()
            .map(|&id| EntityState {
                id: EntityId(id),
                kind: EntityKind::Npc { species: 0 },
                body: Body::at(IVec2::new(id as i32 * 10 + tick as i32, 0)),
                hp: 30,
                max_hp: 30,
                pose: 0,
                xp: 0,
                level: 1,
                last_input_seq: 0,
                items: Vec::new(),
            })
            .collect();
        Arc::new(CellFrame::new(CellId::new(cell, 0), ZoneId(zone), Epoch(1), Tick(tick), entities))
    }

    #[test]
    fn each_ghost_once_from_the_newest_frame_and_never_a_local_one() {
        let mut g = Ghosts::default();
        g.insert(frame(1, 2, 10, &[1, 2]));
        g.insert(frame(2, 3, 11, &[2, 3]));
        g.insert(frame(1, 2, 9, &[9]));
        g.rebuild(Tick(11), |id| id == EntityId(3));
        let got: Vec<(u64, u32, i32)> = g.list().iter().map(|g| (g.id.0, g.zone.0, g.pos.x)).collect();
        assert_eq!(got, [(1, 2, 20), (2, 3, 31)], "e2 from the newer frame, e3 is ours, the old frame ignored");
        g.rebuild(Tick(11 + GHOST_TICKS + 1), |_| false);
        assert!(g.list().is_empty(), "stale frames make no ghosts");
    }
}
