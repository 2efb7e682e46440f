//! Simulated players: each joins on a zone, then sends one input a tick to the zone its last
//! frame named, as its gateway does (so an input can reach a zone the player just left, and is
//! forwarded). They wander (a direction held for a while, a jump now and then, and a jump when
//! stuck against a wall) except during a rush, when every player walks towards one column of
//! the world, then wanders off again: the crowd event that makes cells hot. They swing at what
//! is in front of them a quarter of the time (NPCs they kill drop items, which walkers pick up).

use mmo_protocol::CellFrame;
use mmo_world::physics::SUB_SHIFT;
use mmo_world::rng::SplitMix64;
use mmo_world::{Buttons, EntityId, ZoneId};

/// A crowd event: from `start` to `end` (ticks) every player heads for column `x` (tiles).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rush {
    pub start: u64,
    pub end: u64,
    pub x: i32,
}

#[derive(Debug)]
struct Player {
    id: EntityId,
    /// The zone the last frame showing the player named.
    route: ZoneId,
    seq: u32,
    held: u8,
    hold_until: u64,
    /// Tile column at the last frame, and frames in a row without moving.
    x: i32,
    stuck: u32,
}

/// One input to deliver to a zone.
#[derive(Clone, Copy, Debug)]
pub struct Input {
    pub zone: ZoneId,
    pub id: EntityId,
    pub seq: u32,
    pub buttons: Buttons,
}

#[derive(Debug, Default)]
pub struct Players {
    list: Vec<Player>,
}

impl Players {
    pub fn add(&mut self, id: EntityId, zone: ZoneId) {
        self.list.push(Player { id, route: zone, seq: 0, held: 0, hold_until: 0, x: 0, stuck: 0 });
    }

    pub fn ids(&self) -> impl Iterator<Item = EntityId> + '_ {
        self.list.iter().map(|p| p.id)
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Reads a tick's frames: where each player is and which zone simulates it.
    pub fn observe(&mut self, frames: &[CellFrame]) {
        let mut seen = std::collections::BTreeMap::new();
        for f in frames {
            for e in &f.entities {
                seen.insert(e.id, (f.zone, e.body.pos.x >> SUB_SHIFT));
            }
        }
        for p in &mut self.list {
            if let Some(&(zone, x)) = seen.get(&p.id) {
                p.route = zone;
                p.stuck = if x == p.x { p.stuck + 1 } else { 0 };
                p.x = x;
            }
        }
    }

    /// This tick's inputs.
    pub fn inputs(&mut self, tick: u64, rush: Option<Rush>, rng: &mut SplitMix64) -> Vec<Input> {
        let mut out = Vec::with_capacity(self.list.len());
        for p in &mut self.list {
            let rushing = rush.filter(|r| (r.start..r.end).contains(&tick));
            let mut buttons = match rushing {
                Some(r) if p.x < r.x - 2 => Buttons::RIGHT,
                Some(r) if p.x > r.x + 2 => Buttons::LEFT,
                Some(_) => 0,
                None => {
                    if tick >= p.hold_until {
                        p.held =
                            [0, Buttons::LEFT, Buttons::RIGHT, Buttons::RIGHT, Buttons::LEFT][rng.below(5) as usize];
                        p.hold_until = tick + 10 + u64::from(rng.below(60));
                    }
                    p.held
                }
            };
            if p.stuck > 3 || rng.below(40) == 0 {
                buttons |= Buttons::JUMP;
            }
            if rng.below(4) == 0 {
                buttons |= Buttons::ATTACK;
            }
            p.seq += 1;
            out.push(Input { zone: p.route, id: p.id, seq: p.seq, buttons: Buttons(buttons) });
        }
        out
    }
}
