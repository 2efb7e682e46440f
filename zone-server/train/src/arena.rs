//! One fight on the real zone core: a hunter and a scripted player a few tiles apart, somewhere
//! in a world generated from the episode's seed, ticked by `ZoneCore::tick` (the zone's own
//! physics, combat and NPC brains) until one of them dies or time runs out.

use crate::opponent::{Opponent, Skill, SKILLS};
use glam::IVec2;
use mmo_protocol::EntityState;
use mmo_world::physics::SUB;
use mmo_world::rng::SplitMix64;
use mmo_world::{CellId, Epoch, SerialBlock, Terrain, Tick, WorldGeometry, ZoneId};
use mmo_zone_core::learned::{NpcBrain, Policy};
use mmo_zone_core::spawn::standing_spots;
use mmo_zone_core::{rules, ZoneConfig, ZoneCore};

/// Two cells of 32 tiles: room to chase, flee and be leashed.
const GEOMETRY: WorldGeometry = WorldGeometry { width_cells: 2, height_cells: 1, cell_tiles: 32 };
/// 20 seconds.
pub const MAX_TICKS: u64 = 400;

/// One fight: its world and places come from `seed`, its opponent is `SKILLS[skill]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Episode {
    pub seed: u64,
    pub skill: usize,
}

impl Episode {
    /// The `n`th episode of a stream of seeds (opponents in turn).
    pub fn nth(stream: u64, n: u64) -> Episode {
        Episode {
            seed: mmo_world::rng::mix(stream ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15)),
            skill: (n % SKILLS.len() as u64) as usize,
        }
    }

    pub fn skill(&self) -> Skill {
        SKILLS[self.skill]
    }
}

/// What happened in a fight.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Hit points the hunter took from the player...
    pub dealt: u32,
    /// ...and the player from the hunter.
    pub taken: u32,
    pub ticks: u64,
    pub hunter_died: bool,
    pub player_died: bool,
    /// Times the player left the hunter's chase range while both lived.
    pub lost_target: u32,
}

/// What losing the target costs in training, in hit points: a hunter should bait, not flee.
const LOST_TARGET_COST: f64 = 3.0;

impl Outcome {
    /// The fight's result: damage dealt less damage taken.
    pub fn score(&self) -> f64 {
        f64::from(self.dealt) - f64::from(self.taken)
    }

    /// What training maximises: the score, less a cost for each time the target got away.
    pub fn fitness(&self) -> f64 {
        self.score() - LOST_TARGET_COST * f64::from(self.lost_target)
    }
}

/// Where the hunter and the player start: standing spots 3 to 8 tiles apart, on about the
/// same level.
fn places(seed: u64) -> Option<(IVec2, IVec2)> {
    let terrain = Terrain::new(seed, GEOMETRY);
    let spots: Vec<IVec2> = GEOMETRY.cells().flat_map(|cell| standing_spots(&terrain, &GEOMETRY, cell)).collect();
    let mut rng = SplitMix64::new(seed);
    for _ in 0..64 {
        let hunter = *spots.get(rng.below(spots.len().max(1) as u32) as usize)?;
        let near: Vec<IVec2> = spots
            .iter()
            .copied()
            .filter(|p| (3 * SUB..=8 * SUB).contains(&(p.x - hunter.x).abs()) && (p.y - hunter.y).abs() <= SUB)
            .collect();
        if !near.is_empty() {
            return Some((hunter, near[rng.below(near.len() as u32) as usize]));
        }
    }
    None
}

/// Plays `episode` with the hunter driven by `policy` (`None`: the scripted brain).
pub fn play(policy: Option<&Policy>, episode: Episode) -> Outcome {
    // A world with no two spots close enough tries the next seed.
    let (seed, (home, start)) = (0..)
        .map(|k| episode.seed.wrapping_add(k))
        .find_map(|seed| places(seed).map(|p| (seed, p)))
        .expect("some world has room for a fight");
    let npc_brain = if policy.is_some() { NpcBrain::Learned } else { NpcBrain::Scripted };
    let config = ZoneConfig { zone: ZoneId(1), seed, geometry: GEOMETRY, npcs_per_cell: 0, npc_brain };
    let mut core = ZoneCore::new(config, SerialBlock::from_start(1, 1 << 20));
    if let Some(p) = policy {
        core.set_hunter_policy(p.clone());
    }
    for cell in GEOMETRY.cells() {
        core.own_cell(cell, Epoch(1));
    }
    let hunter = core.spawn_npc(home, rules::HUNTER).expect("ids in hand");
    let player = core.join_at("opponent".into(), None, start).expect("the player joins");
    let mut opponent = Opponent::new(episode.skill(), seed ^ 0x0bb0);
    let state = |core: &ZoneCore, id| core.entity(id).expect("neither leaves the arena");
    let (mut h, mut p) = (state(&core, hunter), state(&core, player));
    let mut out = Outcome::default();
    let mut in_range = within_chase(&h, &p);
    for t in 1..=MAX_TICKS {
        let buttons = opponent.buttons(&p, &h);
        core.push_input(player, t as u32, buttons);
        core.tick(Tick(t), &mut ());
        let (h2, p2) = (state(&core, hunter), state(&core, player));
        out.dealt += u32::from(p.hp.saturating_sub(p2.hp));
        out.taken += u32::from(h.hp.saturating_sub(h2.hp));
        (h, p) = (h2, p2);
        out.ticks = t;
        out.hunter_died = h.hp == 0;
        out.player_died = p.hp == 0;
        if out.hunter_died || out.player_died {
            break;
        }
        let now_in_range = within_chase(&h, &p);
        out.lost_target += u32::from(in_range && !now_in_range);
        in_range = now_in_range;
    }
    out
}

fn within_chase(hunter: &EntityState, player: &EntityState) -> bool {
    let d = (player.body.pos - hunter.body.pos).abs();
    d.x <= rules::CHASE_RANGE_X && d.y <= rules::CHASE_RANGE_Y
}

/// The cells of the arena's world (for tests).
pub fn cells() -> Vec<CellId> {
    GEOMETRY.cells().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fight_is_played_to_an_end_and_replays_exactly() {
        let episodes: Vec<Episode> = (0..8).map(|n| Episode::nth(5, n)).collect();
        let outcomes: Vec<Outcome> = episodes.iter().map(|e| play(None, *e)).collect();
        assert_eq!(outcomes, episodes.iter().map(|e| play(None, *e)).collect::<Vec<_>>());
        assert!(outcomes.iter().any(|o| o.dealt > 0 && o.taken > 0), "they fight: {outcomes:?}");
        assert!(outcomes.iter().any(|o| o.hunter_died || o.player_died), "someone falls: {outcomes:?}");
        assert_eq!(cells().len(), 2);
    }
}
