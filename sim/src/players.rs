//! Simulated players: each joins on a zone, then sends one input a tick to the zone its last
//! frame named, as its gateway does (so an input can reach a zone the player just left, and is
//! forwarded). They wander (a direction held for a while, a jump now and then, and a jump when
//! stuck against a wall) except during a rush, when every player walks towards one column of
//! the world, then wanders off again: the crowd event that makes cells hot. They swing at what
//! is in front of them a quarter of the time (NPCs they kill drop items, which walkers pick up).
//!
//! Now and then a player gives its newest item to another player standing within reach
//! (`/give NAME`), often one simulated by another zone across a border ([`Players::gives`]).
//!
//! When no frame shows a player and the zone run that last simulated it left the registry (it
//! died), its gateway has the cell's new owner re-create it from its last frame and its stored
//! record ([`Players::orphans`], `mmo_cluster::revive`), as the real gateway's session does. A
//! player no frame ever showed cannot be re-created: its gateway gives up, and its client logs
//! in again (from its stored record, or as a new character when it has none yet).

use mmo_protocol::{CellFrame, EntityState};
use mmo_world::physics::SUB_SHIFT;
use mmo_world::rng::SplitMix64;
use mmo_world::{Buttons, EntityId, Epoch, Tick, ZoneId};
use std::collections::BTreeMap;
use std::sync::Arc;

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
    name: Arc<str>,
    /// The zone the last frame showing the player named, and the registration of its run.
    route: ZoneId,
    run: Epoch,
    /// The player as the last frame showing it had it, and that frame's tick.
    seen: Option<(EntityState, Tick)>,
    /// Ticks in a row no frame showed it.
    missing: u32,
    seq: u32,
    held: u8,
    hold_until: u64,
    /// Tile column at the last frame, and frames in a row without moving.
    x: i32,
    stuck: u32,
}

/// One chat command to deliver to a zone.
#[derive(Clone, Debug)]
pub struct Command {
    pub zone: ZoneId,
    pub id: EntityId,
    pub command: String,
}

/// How near (tiles, each axis) a player must stand to another to give it an item: within the
/// zone's reach (6 tiles).
const GIVE_TILES: i32 = 5;
/// One player in this many gives an item in a tick (with someone within reach).
const GIVE_ONE_IN: u32 = 400;

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

/// A player no frame shows whose zone run died: its gateway tries to have the owner of the
/// cell it was last seen in re-create it.
#[derive(Clone, Debug)]
pub struct Orphan {
    /// Its place in the list (the gateway session's number).
    pub index: usize,
    pub name: Arc<str>,
    /// The player as the last frame showing it had it, and that frame's tick (`None`: no frame
    /// showed it yet).
    pub seen: Option<(EntityState, Tick)>,
    /// The zone run that lost it.
    pub zone: ZoneId,
    pub run: Epoch,
}

impl Players {
    /// A player that joined zone `zone` (whose run registered at `run`) as `id`.
    pub fn add(&mut self, id: EntityId, name: Arc<str>, zone: ZoneId, run: Epoch) {
        let (seq, held, hold_until, x, stuck) = (0, 0, 0, 0, 0);
        self.list.push(Player { id, name, route: zone, run, seen: None, missing: 0, seq, held, hold_until, x, stuck });
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

    /// Reads a tick's frames: where each player is and which zone simulates it (`runs`: the
    /// registration of each zone's run now).
    pub fn observe(&mut self, frames: &[CellFrame], runs: &BTreeMap<ZoneId, Epoch>) {
        let mut seen = BTreeMap::new();
        for f in frames {
            for e in &f.entities {
                seen.insert(e.id, (f.zone, f.tick, e));
            }
        }
        for p in &mut self.list {
            let Some(&(zone, tick, state)) = seen.get(&p.id) else {
                p.missing += 1;
                continue;
            };
            let x = state.body.pos.x >> SUB_SHIFT;
            p.route = zone;
            p.run = runs.get(&zone).copied().unwrap_or_default();
            p.stuck = if x == p.x { p.stuck + 1 } else { 0 };
            p.x = x;
            p.seen = Some((state.clone(), tick));
            p.missing = 0;
        }
    }

    /// The players no frame showed last tick whose zone run is no longer registered (`runs`).
    pub fn orphans(&self, runs: &BTreeMap<ZoneId, Epoch>) -> Vec<Orphan> {
        self.list
            .iter()
            .enumerate()
            .filter(|(_, p)| p.missing > 0 && runs.get(&p.route) != Some(&p.run))
            .map(|(index, p)| Orphan { index, name: p.name.clone(), seen: p.seen.clone(), zone: p.route, run: p.run })
            .collect()
    }

    /// Player `index` was re-created (or logged in again) as `id` on `zone`'s run `run`.
    pub fn revived(&mut self, index: usize, id: EntityId, zone: ZoneId, run: Epoch) {
        let p = &mut self.list[index];
        (p.id, p.route, p.run, p.missing) = (id, zone, run, 0);
    }

    /// The players no frame showed last tick.
    pub fn missing_ids(&self) -> Vec<EntityId> {
        self.list.iter().filter(|p| p.missing > 0).map(|p| p.id).collect()
    }

    /// Every player's name.
    pub fn names(&self) -> impl Iterator<Item = String> + '_ {
        self.list.iter().map(|p| p.name.to_string())
    }

    /// This tick's gives: players with an item and another player within reach give it the
    /// newest one, one in [`GIVE_ONE_IN`] each tick. The two stood where their last frames
    /// showed them; the zone gives only if they still stand within its reach.
    pub fn gives(&mut self, rng: &mut SplitMix64) -> Vec<Command> {
        let standing: Vec<(usize, i32, i32, ZoneId)> = self
            .list
            .iter()
            .enumerate()
            .filter_map(|(i, p)| {
                let (state, _) = p.seen.as_ref()?;
                let pos = state.body.pos;
                Some((i, pos.x >> SUB_SHIFT, pos.y >> SUB_SHIFT, p.route))
            })
            .collect();
        let mut out = Vec::new();
        for &(i, x, y, zone) in &standing {
            let p = &self.list[i];
            let holds = p.seen.as_ref().is_some_and(|(s, _)| !s.items.is_empty());
            if !holds || p.missing > 0 || rng.below(GIVE_ONE_IN) != 0 {
                continue;
            }
            let near = |&&(j, xj, yj, _): &&(usize, i32, i32, ZoneId)| {
                j != i && (xj - x).abs() <= GIVE_TILES && (yj - y).abs() <= GIVE_TILES
            };
            // Across a border if anyone near is simulated elsewhere.
            let mut near: Vec<_> = standing.iter().filter(near).collect();
            near.sort_by_key(|(_, _, _, z)| *z == zone);
            if let Some(&&(j, ..)) = near.first() {
                out.push(Command { zone, id: p.id, command: format!("/give {}", self.list[j].name) });
            }
        }
        out
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
