//! NPC behaviour: each tick a monster's brain turns what it sees into [`Buttons`], exactly as a
//! player's client would; the physics and combat then treat both alike.
//!
//! In order of priority:
//! 1. **Leash**: farther than [`rules::LEASH`] from its spawn point, it walks home (jumping
//!    walls) and ignores players until it is back within [`rules::LEASH_HOME`].
//! 2. **Chase**: the nearest living player within 10 tiles horizontally and 3 vertically. It
//!    walks toward them (jumping when a wall blocks the way) until about a tile away, turns to
//!    face them and swings whenever its cooldown allows and they are in reach. A hunter
//!    ([`rules::HUNTER`]) with the learned brain fights as its policy says instead
//!    ([`crate::learned`]).
//! 3. **Patrol**: walks one way, turns at a wall or before a ledge, hops single-tile steps, and
//!    now and then turns or pauses at random.
//!
//! Randomness is a hash of (world seed, entity, tick), so a decision depends on nothing but
//! the entity's own situation (not on how many other entities rolled dice before it).

use super::entities::{Entity, Role};
use super::grid::BucketGrid;
use super::learned::{self, flag, ratio, sign, Observation, Policy};
use super::rules;
use glam::IVec2;
use mmo_world::physics::{HALF_WIDTH, HEIGHT, JUMP_SPEED, RUN_SPEED, SUB, SUB_SHIFT};
use mmo_world::rng::hash3;
use mmo_world::{Buttons, Tick, Tile, TileSource};

const SALT_PATROL: u64 = 0x70a7_0001;
/// Per mille chance per tick that a patrolling NPC turns around...
const TURN_PER_MILLE: u64 = 4;
/// ...or pauses.
const PAUSE_PER_MILLE: u64 = 4;
const PAUSE_MIN: u64 = 20;
const PAUSE_SPREAD: u64 = 40;
/// How far beyond its front edge an NPC looks for walls and ledges.
const LOOKAHEAD: i32 = SUB / 2;

/// What lies just ahead of a body standing on the ground.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ahead {
    Clear,
    /// A one-tile step up: a hop clears it.
    Step,
    /// Two tiles or more.
    Wall,
    /// No ground within two tiles below.
    Ledge,
}

/// A living player an NPC may chase, as the zone sees it (its own entity, or a ghost).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Target {
    pub pos: IVec2,
    pub vel: IVec2,
    pub facing_left: bool,
    pub hp: u16,
    pub max_hp: u16,
    /// Its attack pose shows.
    pub swinging: bool,
}

impl Target {
    /// A target standing still at `pos` with full hit points (tests).
    #[cfg(test)]
    pub fn at(pos: IVec2) -> Target {
        Target { pos, vel: IVec2::ZERO, facing_left: false, hp: 100, max_hp: 100, swinging: false }
    }
}

/// Finds the nearest of `targets` (indexed by the grid's items) that an NPC at `pos` would
/// chase. Ties go to the lower item number.
pub(crate) fn nearest_target(grid: &BucketGrid, targets: &[Target], pos: IVec2) -> Option<Target> {
    let range = IVec2::new(rules::CHASE_RANGE_X, rules::CHASE_RANGE_Y);
    let mut best: Option<(i64, u32)> = None;
    grid.query(pos - range, pos + range, |k| {
        let d = targets[k as usize].pos - pos;
        if d.x.abs() > range.x || d.y.abs() > range.y {
            return;
        }
        let dist = i64::from(d.x).pow(2) + i64::from(d.y).pow(2);
        if best.is_none_or(|b| (dist, k) < b) {
            best = Some((dist, k));
        }
    });
    best.map(|(_, k)| targets[k as usize])
}

fn toward(dir: i32) -> u8 {
    if dir < 0 {
        Buttons::LEFT
    } else {
        Buttons::RIGHT
    }
}

/// What NPCs think with during one tick.
#[derive(Debug)]
pub(crate) struct Mind<'a, T> {
    pub tiles: &'a T,
    pub seed: u64,
    pub now: Tick,
    /// The hunters' learned policy (`None`: they fight as scripted).
    pub hunter: Option<&'a Policy>,
}

impl<T: TileSource> Mind<'_, T> {
    /// This tick's buttons for a living NPC, given the nearest player it could chase.
    pub fn decide(&self, e: &mut Entity, target: Option<Target>) -> Buttons {
        let attack_ready = e.attack_ready(self.now);
        let Role::Npc(npc) = &mut e.role else {
            return Buttons::default();
        };
        let (body, brain) = (e.body, &mut npc.brain);
        // Keep holding jump while rising, so a jump clears what it was for.
        let mut b = if !body.on_ground && body.vel.y < 0 { Buttons::JUMP } else { 0 };

        let home = npc.home.x - body.pos.x;
        if brain.returning && home.abs() <= rules::LEASH_HOME {
            brain.returning = false;
        } else if home.abs() > rules::LEASH {
            brain.returning = true;
        }
        if brain.returning {
            brain.dir = home.signum();
            return Buttons(b | self.walk(body, brain.dir));
        }

        if let Some(target) = target {
            let d = target.pos - body.pos;
            let dir = if d.x < 0 { -1 } else { 1 };
            brain.dir = dir;
            if let Some(policy) = self.hunter.filter(|_| npc.species == rules::HUNTER) {
                return policy.act(&self.observe(e, &target)).buttons(dir);
            }
            let facing = if e.facing_left { -1 } else { 1 };
            if d.x.abs() > rules::CHASE_STOP {
                b |= self.walk(body, dir);
            } else if d.x != 0 && dir != facing {
                b |= toward(dir);
            }
            if d.x.abs() <= rules::NPC_SWING_RANGE && d.y.abs() < HEIGHT && attack_ready {
                b |= Buttons::ATTACK;
            }
            return Buttons(b);
        }

        if self.now < brain.idle_until {
            return Buttons(b);
        }
        let roll = hash3(self.seed, SALT_PATROL, e.id.0 as i64, self.now.0 as i64);
        match roll % 1000 {
            r if r < TURN_PER_MILLE => brain.dir = -brain.dir,
            r if r < TURN_PER_MILLE + PAUSE_PER_MILLE => {
                brain.idle_until = Tick(self.now.0 + PAUSE_MIN + (roll >> 32) % PAUSE_SPREAD);
                return Buttons(b);
            }
            _ => {}
        }
        if body.on_ground {
            match self.ahead(body, brain.dir) {
                Ahead::Wall | Ahead::Ledge => brain.dir = -brain.dir,
                Ahead::Step => b |= Buttons::JUMP,
                Ahead::Clear => {}
            }
        }
        Buttons(b | toward(brain.dir))
    }

    /// What a hunter sees of its fight with `target` (the layout of [`crate::learned`]).
    pub fn observe(&self, e: &Entity, target: &Target) -> Observation {
        let Role::Npc(npc) = &e.role else { return [0; learned::INPUTS] };
        let body = e.body;
        let d = target.pos - body.pos;
        let dir = if d.x < 0 { -1 } else { 1 };
        let since_attack = e.last_attack.map_or(u64::MAX, |at| self.now.since(at));
        let cooldown_left = rules::NPC_ATTACK_COOLDOWN.saturating_sub(since_attack) as i32;
        let terrain = |dir: i32| match self.ahead(body, dir) {
            Ahead::Wall => (learned::mlp::ONE, 0),
            Ahead::Step => (learned::mlp::ONE / 2, 0),
            Ahead::Ledge => (0, learned::mlp::ONE),
            Ahead::Clear => (0, 0),
        };
        let (front, front_ledge) = terrain(dir);
        let (back, back_ledge) = terrain(-dir);
        [
            ratio(d.x.abs(), rules::CHASE_RANGE_X),
            ratio(d.y, rules::CHASE_RANGE_Y),
            flag(d.x.abs() <= rules::NPC_SWING_RANGE && d.y.abs() < HEIGHT),
            ratio(body.vel.x * dir, RUN_SPEED),
            ratio(body.vel.y, JUMP_SPEED),
            flag(body.on_ground),
            sign(e.facing_left == (dir < 0)),
            flag(e.attack_ready(self.now)),
            ratio(cooldown_left, rules::NPC_ATTACK_COOLDOWN as i32),
            ratio(-target.vel.x * dir, RUN_SPEED),
            sign(target.facing_left == (dir > 0)),
            flag(target.swinging),
            ratio(i32::from(e.hp), i32::from(e.max_hp)),
            ratio(i32::from(target.hp), i32::from(target.max_hp)),
            front,
            front_ledge,
            back,
            back_ledge,
            ratio((npc.home.x - body.pos.x) * dir, rules::LEASH),
        ]
    }

    /// Walks `dir`, jumping whatever blocks the way, and does not mind ledges.
    fn walk(&self, body: mmo_world::Body, dir: i32) -> u8 {
        let blocked = body.on_ground && matches!(self.ahead(body, dir), Ahead::Wall | Ahead::Step);
        toward(dir) | if blocked { Buttons::JUMP } else { 0 }
    }

    fn ahead(&self, body: mmo_world::Body, dir: i32) -> Ahead {
        let col = (body.pos.x + dir * (HALF_WIDTH + LOOKAHEAD)) >> SUB_SHIFT;
        // The row the feet stand on.
        let ground = body.pos.y >> SUB_SHIFT;
        let tile = |row: i32| self.tiles.tile(col, row);
        if tile(ground - 2) == Tile::Solid || tile(ground - 3) == Tile::Solid {
            Ahead::Wall
        } else if tile(ground - 1) == Tile::Solid {
            Ahead::Step
        } else if (0..3).all(|k| tile(ground + k) == Tile::Empty) {
            Ahead::Ledge
        } else {
            Ahead::Clear
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::brain::Brain;
    use mmo_world::terrain::TileGrid;
    use mmo_world::{EntityId, ZoneId};

    fn grid(rows: &[&str]) -> TileGrid {
        TileGrid { rows: rows.iter().map(|s| s.to_string()).collect() }
    }

    /// An NPC standing on row `ground` at column `col`.
    fn npc_at(col: i32, ground: i32, dir: i32) -> Entity {
        let mut e =
            Entity::npc(EntityId::new(ZoneId(1), 1), 0, IVec2::new(col * SUB + SUB / 2, ground * SUB), Brain::new(dir));
        e.body.on_ground = true;
        e
    }

    /// Runs the NPC's brain and body for `ticks`, returning its positions.
    fn run(e: &mut Entity, tiles: &TileGrid, target: Option<IVec2>, ticks: u64) -> Vec<IVec2> {
        (0..ticks)
            .map(|t| {
                let mind = Mind { tiles, seed: 9, now: Tick(t), hunter: None };
                e.buttons = mind.decide(e, target.map(Target::at));
                e.step(tiles);
                e.body.pos
            })
            .collect()
    }

    #[test]
    fn patrol_stays_on_its_platform_and_walks_both_ways() {
        let tiles = grid(&[
            "##########################",
            "#........................#",
            "#........................#",
            "#........................#",
            "#.....==========.........#",
            "#........................#",
            "#........................#",
            "#........................#",
            "##########################",
        ]);
        let mut e = npc_at(8, 4, 1);
        let path = run(&mut e, &tiles, None, 600);
        assert!(path.iter().all(|p| p.y == 4 * SUB), "never fell off the platform");
        let (lo, hi) = path.iter().fold((i32::MAX, i32::MIN), |(lo, hi), p| (lo.min(p.x), hi.max(p.x)));
        assert!(lo < 8 * SUB && hi > 14 * SUB, "walked the platform from end to end: {lo}..{hi}");
    }

    #[test]
    fn patrol_turns_at_a_wall_and_hops_a_step() {
        let tiles = grid(&[
            "####################",
            "#..................#",
            "#..................#",
            "#..................#",
            "#.........#.......##",
            "#.........#.......##",
            "#.....#...#.......##",
            "####################",
        ]);
        let mut e = npc_at(2, 7, 1);
        let path = run(&mut e, &tiles, None, 80);
        assert!(path.iter().any(|p| p.x > 7 * SUB), "hopped the one-tile step at column 6");
        assert!(path.iter().all(|p| p.x < 10 * SUB), "never crossed the wall at column 10");
        assert!(path.last().unwrap().x < path.iter().map(|p| p.x).max().unwrap(), "turned back");
    }

    #[test]
    fn chaser_jumps_a_wall_and_swings_when_close() {
        let tiles = grid(&[
            "####################",
            "#..................#",
            "#..................#",
            "#..................#",
            "#..................#",
            "#.......#..........#",
            "#.......#..........#",
            "####################",
        ]);
        let mut e = npc_at(3, 7, -1);
        let target = IVec2::new(14 * SUB, 7 * SUB);
        let mut swung = false;
        for t in 0..120 {
            let mind = Mind { tiles: &tiles, seed: 9, now: Tick(t), hunter: None };
            e.buttons = mind.decide(&mut e, Some(Target::at(target)));
            swung |= e.buttons.has(Buttons::ATTACK);
            if e.buttons.has(Buttons::ATTACK) {
                e.last_attack = Some(Tick(t));
            }
            e.step(&tiles);
        }
        assert!((e.body.pos.x - target.x).abs() <= rules::CHASE_STOP + SUB / 2, "reached the target: {:?}", e.body.pos);
        assert!(!e.facing_left);
        assert!(swung);
    }

    #[test]
    fn a_leashed_npc_walks_home_and_ignores_players() {
        let tiles = grid(&[
            "#".repeat(60).as_str(),
            &format!("#{}#", ".".repeat(58)),
            &format!("#{}#", ".".repeat(58)),
            &"#".repeat(60),
        ]);
        let mut e = npc_at(3, 3, 1);
        e.body.pos.x = 40 * SUB;
        let path = run(&mut e, &tiles, Some(IVec2::new(45 * SUB, 3 * SUB)), 200);
        assert!(path.iter().all(|p| p.x <= 40 * SUB), "never went after the player");
        assert!(path.iter().any(|p| p.x < 6 * SUB), "went home");
    }

    #[test]
    fn nearest_target_respects_the_chase_box() {
        let targets =
            [IVec2::new(5000, 0), IVec2::new(-900, 100), IVec2::new(800, 0), IVec2::new(0, 1000)].map(Target::at);
        let mut grid = BucketGrid::default();
        grid.rebuild(targets.iter().enumerate().map(|(i, t)| (i as u32, t.pos)));
        assert_eq!(nearest_target(&grid, &targets, IVec2::ZERO), Some(Target::at(IVec2::new(800, 0))));
        assert_eq!(nearest_target(&grid, &targets, IVec2::new(0, 2000)), None);
    }
}
