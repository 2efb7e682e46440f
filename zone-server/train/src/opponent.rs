//! Scripted players of varied skill, the hunter's opponents in training and measurement. Each
//! plays as the load tester's fighter does (walk to the monster, face it, swing when it is in
//! reach), with its own reaction time (it sees the hunter as it was some ticks ago), swing
//! rate, habit of stepping back from a swing it sees coming, of backing off when hurt, and of
//! jumping.

use mmo_protocol::cell::pose;
use mmo_protocol::EntityState;
use mmo_world::physics::{HALF_WIDTH, SUB};
use mmo_world::rng::SplitMix64;
use mmo_world::Buttons;
use mmo_zone_core::rules;
use std::collections::VecDeque;

/// How a scripted player fights. Rates are per mille per tick.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Skill {
    pub name: &'static str,
    /// Ticks between the hunter moving and this player seeing it.
    pub reaction: usize,
    /// Chance to swing while the hunter is in reach.
    pub swing: u32,
    /// Chance to step back while the hunter's attack pose shows.
    pub dodge: u32,
    /// Backs off (swinging only if the hunter follows into reach) at or below these hit points.
    pub back_off_hp: u16,
    /// Chance to jump.
    pub jump: u32,
}

/// The opponents, from the load tester's fighter to a careful duelist.
pub const SKILLS: [Skill; 4] = [
    Skill { name: "fighter", reaction: 0, swing: 1000, dodge: 0, back_off_hp: 0, jump: 0 },
    Skill { name: "novice", reaction: 6, swing: 350, dodge: 0, back_off_hp: 0, jump: 30 },
    Skill { name: "duelist", reaction: 2, swing: 900, dodge: 700, back_off_hp: 0, jump: 10 },
    Skill { name: "kiter", reaction: 3, swing: 800, dodge: 300, back_off_hp: 40, jump: 20 },
];

/// A player's swing reaches the centre of a monster this close, with a little to spare.
const REACH_X: i32 = HALF_WIDTH + rules::PLAYER_REACH - SUB / 8;
const REACH_Y: i32 = 2 * SUB;

#[derive(Debug)]
pub struct Opponent {
    skill: Skill,
    rng: SplitMix64,
    /// The hunter as seen each tick, newest last.
    seen: VecDeque<EntityState>,
    /// Where it stood last tick, to jump when stuck.
    last_x: i32,
}

impl Opponent {
    pub fn new(skill: Skill, seed: u64) -> Self {
        Opponent { skill, rng: SplitMix64::new(seed), seen: VecDeque::new(), last_x: i32::MIN }
    }

    /// This tick's buttons, for this player `me` facing the hunter as it is now.
    pub fn buttons(&mut self, me: &EntityState, hunter: &EntityState) -> Buttons {
        self.seen.push_back(hunter.clone());
        while self.seen.len() > self.skill.reaction + 1 {
            self.seen.pop_front();
        }
        let hunter = self.seen.front().expect("just pushed");
        let roll = |rng: &mut SplitMix64, per_mille: u32| rng.below(1000) < per_mille;
        let d = hunter.body.pos - me.body.pos;
        let (toward, away) = if d.x >= 0 { (Buttons::RIGHT, Buttons::LEFT) } else { (Buttons::LEFT, Buttons::RIGHT) };
        let in_reach = d.x.abs() <= REACH_X && d.y.abs() <= REACH_Y;
        let stuck = me.body.pos.x == self.last_x;
        self.last_x = me.body.pos.x;
        let mut b = if roll(&mut self.rng, self.skill.jump) { Buttons::JUMP } else { 0 };
        let swinging = hunter.pose & pose::ATTACKING != 0;
        if me.hp <= self.skill.back_off_hp || (swinging && roll(&mut self.rng, self.skill.dodge)) {
            b |= away;
            if in_reach && roll(&mut self.rng, self.skill.swing) {
                // Turning to swing, then backing off again.
                b = toward | Buttons::ATTACK;
            }
        } else if in_reach {
            b |= toward;
            if roll(&mut self.rng, self.skill.swing) {
                b |= Buttons::ATTACK;
            }
        } else {
            b |= toward;
            if stuck && me.body.on_ground {
                b |= Buttons::JUMP;
            }
        }
        Buttons(b)
    }
}
