//! What a bot presses each tick, by behaviour. Sans-IO: a [`Brain`] takes what the bot sees
//! (its own body, the rebuilt [`View`]) and a seeded RNG, and returns buttons and chat lines.

use crate::mix::Behaviour;
use glam::IVec2;
use mmo_protocol::cell::pose;
use mmo_protocol::{EntityKind, View};
use mmo_world::physics::{HALF_WIDTH, SUB};
use mmo_world::{Body, Buttons, WorldGeometry};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// How far past a border a border-crosser walks before turning back (tiles).
const CROSS_MARGIN: i32 = 6;
/// Ticks without horizontal progress before a walker gives up on its goal.
const GIVE_UP_TICKS: u32 = 80;
/// A fighter swings when an NPC's centre is this close horizontally (sub-units)...
const SWING_X: i32 = HALF_WIDTH + SUB;
/// ...and vertically.
const SWING_Y: i32 = 2 * SUB;

/// One bot's decision-making.
#[derive(Debug)]
pub struct Brain {
    behaviour: Behaviour,
    rng: SmallRng,
    geometry: WorldGeometry,
    /// Hotspot bots converge here (fixed-point).
    hotspot: IVec2,
    /// Where the bot walks to (fixed-point x).
    goal: Option<i32>,
    /// Ticks to stand still before the next goal.
    pause: u32,
    /// Border-crossers: the border being crossed and which side to reach next.
    border: Option<(i32, i32)>,
    best_distance: i32,
    no_progress: u32,
    tick: u64,
    chat_every: u64,
    next_chat: u64,
    said: u32,
}

impl Brain {
    /// `hotspot` in tiles; `chat_every` in ticks.
    pub fn new(behaviour: Behaviour, seed: u64, geometry: WorldGeometry, hotspot: IVec2, chat_every: u64) -> Self {
        let mut rng = SmallRng::seed_from_u64(seed);
        let next_chat = rng.random_range(0..chat_every.max(1));
        Brain {
            behaviour,
            rng,
            geometry,
            hotspot: hotspot * SUB,
            goal: None,
            pause: 0,
            border: None,
            best_distance: i32::MAX,
            no_progress: 0,
            tick: 0,
            chat_every: chat_every.max(1),
            next_chat,
            said: 0,
        }
    }

    pub fn behaviour(&self) -> Behaviour {
        self.behaviour
    }

    /// The buttons for the next tick.
    pub fn buttons(&mut self, me: &Body, view: &View) -> u8 {
        self.tick += 1;
        match self.behaviour {
            Behaviour::Idle => 0,
            Behaviour::Wander | Behaviour::Chatter => self.wander(me),
            Behaviour::BorderCrosser => self.cross_borders(me),
            Behaviour::Hotspot => self.crowd(me),
            Behaviour::Fighter | Behaviour::Trader => self.fight(me, view).unwrap_or_else(|| self.wander(me)),
        }
    }

    /// A chat line when one is due: a chatter's hello, a trader's `/give NAME` to the nearest
    /// other player in `view` (from `me`, the bot's body) or `/drop` when it sees none.
    pub fn chat(&mut self, name: &str, me: Option<&Body>, view: &View) -> Option<String> {
        if !matches!(self.behaviour, Behaviour::Chatter | Behaviour::Trader) || self.tick < self.next_chat {
            return None;
        }
        // Up to 20 % later than the period, never sooner, to stay under the chat limit.
        self.next_chat = self.tick + self.chat_every + self.rng.random_range(0..=self.chat_every / 5);
        self.said += 1;
        if self.behaviour == Behaviour::Trader {
            return Some(match me.and_then(|me| nearest_player(me, view, name)) {
                Some(other) => format!("/give {other}"),
                None => "/drop".to_string(),
            });
        }
        Some(format!("{name} says hello #{}", self.said))
    }

    fn set_goal(&mut self, x: i32) {
        let max = self.geometry.width_tiles() * SUB;
        self.goal = Some(x.clamp(2 * SUB, max - 2 * SUB));
        self.best_distance = i32::MAX;
        self.no_progress = 0;
    }

    /// Walks toward the goal, jumping over steps; `None` once there or stuck.
    fn walk(&mut self, me: &Body, hop: bool) -> Option<u8> {
        let goal = self.goal?;
        let dx = goal - me.pos.x;
        if dx.abs() <= SUB / 2 {
            self.goal = None;
            return None;
        }
        if dx.abs() < self.best_distance - SUB / 4 {
            self.best_distance = dx.abs();
            self.no_progress = 0;
        } else {
            self.no_progress += 1;
            if self.no_progress > GIVE_UP_TICKS {
                self.goal = None;
                return None;
            }
        }
        let dir = if dx > 0 { Buttons::RIGHT } else { Buttons::LEFT };
        // Jump when blocked (no progress for a few ticks), or all the time when asked to hop.
        let jump = hop || self.no_progress > 3 || self.rng.random_ratio(1, 40);
        Some(dir | if jump { Buttons::JUMP } else { 0 })
    }

    fn wander(&mut self, me: &Body) -> u8 {
        if let Some(b) = self.walk(me, false) {
            return b;
        }
        if self.pause > 0 {
            self.pause -= 1;
            return 0;
        }
        self.pause = self.rng.random_range(0..40);
        let step = self.rng.random_range(10..60) * SUB * if self.rng.random_bool(0.5) { 1 } else { -1 };
        self.set_goal(me.pos.x + step);
        0
    }

    fn cross_borders(&mut self, me: &Body) -> u8 {
        if let Some(b) = self.walk(me, true) {
            return b;
        }
        let size = i32::from(self.geometry.cell_tiles) * SUB;
        let (border, side) = match self.border {
            // Arrived (or stuck): go to the other side of the same border.
            Some((border, side)) if self.goal.is_none() => (border, -side),
            Some(b) => b,
            None => {
                // The nearest border inside the world.
                let cells = i32::from(self.geometry.width_cells);
                let k = ((me.pos.x + size / 2) / size).clamp(1, (cells - 1).max(1));
                let border = k * size;
                (border, if me.pos.x < border { 1 } else { -1 })
            }
        };
        self.border = Some((border, side));
        self.set_goal(border + side * CROSS_MARGIN * SUB);
        self.walk(me, true).unwrap_or(0)
    }

    fn crowd(&mut self, me: &Body) -> u8 {
        if let Some(b) = self.walk(me, false) {
            return b;
        }
        if (me.pos.x - self.hotspot.x).abs() > 4 * SUB {
            self.set_goal(self.hotspot.x);
        } else {
            // Mill about the hotspot.
            let jitter = self.rng.random_range(-3..=3) * SUB;
            self.set_goal(self.hotspot.x + jitter);
        }
        self.walk(me, false).unwrap_or(0)
    }

    /// Hunts the nearest living NPC in view; `None` if there is none.
    fn fight(&mut self, me: &Body, view: &View) -> Option<u8> {
        let centre = me.pos;
        let target = view
            .entities
            .values()
            .filter(|k| matches!(k.kind, EntityKind::Npc { .. }) && k.hp > 0 && k.pose & pose::DEAD == 0)
            .map(|k| k.motion.body.pos)
            .min_by_key(|pos| ((*pos - centre).abs().element_sum(), pos.x, pos.y))?;
        let d = target - centre;
        let dir = if d.x >= 0 { Buttons::RIGHT } else { Buttons::LEFT };
        if d.x.abs() <= SWING_X && d.y.abs() <= SWING_Y {
            return Some(dir | Buttons::ATTACK);
        }
        self.set_goal(target.x);
        self.walk(me, false).or(Some(dir))
    }
}

/// The name of the player in `view` nearest to `me`, other than `own`.
fn nearest_player(me: &Body, view: &View, own: &str) -> Option<String> {
    view.entities
        .values()
        .filter_map(|k| match &k.kind {
            EntityKind::Player { name } if !name.eq_ignore_ascii_case(own) => Some((k.motion.body.pos, name)),
            _ => None,
        })
        .min_by_key(|(pos, name)| ((*pos - me.pos).abs().element_sum(), name.to_string()))
        .map(|(_, name)| name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geometry() -> WorldGeometry {
        WorldGeometry { width_cells: 4, height_cells: 2, cell_tiles: 128 }
    }

    fn brain(b: Behaviour) -> Brain {
        Brain::new(b, 1, geometry(), IVec2::new(256, 100), 60)
    }

    /// Moves a body along x as the buttons say (no terrain), a crude stand-in for the zone.
    fn step(body: &mut Body, buttons: u8) {
        body.pos.x += Buttons(buttons).direction() * 102;
    }

    #[test]
    fn border_crossers_go_back_and_forth_over_the_nearest_border() {
        let mut b = brain(Behaviour::BorderCrosser);
        let mut body = Body::at(IVec2::new(100 * SUB, 50 * SUB));
        let view = View::default();
        let mut sides = Vec::new();
        for _ in 0..2000 {
            let buttons = b.buttons(&body, &view);
            step(&mut body, buttons);
            let side = body.pos.x >= 128 * SUB;
            if sides.last() != Some(&side) {
                sides.push(side);
            }
        }
        assert!(sides.len() >= 4, "crossed the border at x=128 back and forth: {sides:?}");
        assert!(body.pos.x > 110 * SUB && body.pos.x < 146 * SUB, "stayed near the border");
    }

    #[test]
    fn hotspot_bots_converge() {
        let mut b = brain(Behaviour::Hotspot);
        let mut body = Body::at(IVec2::new(60 * SUB, 50 * SUB));
        for _ in 0..1000 {
            let buttons = b.buttons(&body, &View::default());
            step(&mut body, buttons);
        }
        assert!((body.pos.x - 256 * SUB).abs() <= 5 * SUB, "at {}", body.pos.x / SUB);
    }

    #[test]
    fn idle_bots_press_nothing_and_chatters_chat_at_their_pace() {
        let mut idle = brain(Behaviour::Idle);
        assert!((0..100).all(|_| idle.buttons(&Body::default(), &View::default()) == 0));
        let mut c = brain(Behaviour::Chatter);
        let mut lines = 0;
        for _ in 0..600 {
            c.buttons(&Body::default(), &View::default());
            lines += usize::from(c.chat("bot", None, &View::default()).is_some());
        }
        // 600 ticks at one line per 60 to 72 ticks.
        assert!((8..=10).contains(&lines), "{lines} lines");
    }

    #[test]
    fn fighters_attack_a_close_npc() {
        use crate::view::tests::{npc, snap};
        let me = Body::at(IVec2::new(100 * SUB, 50 * SUB));
        let view = View::apply(None, &snap(1, None, vec![npc(0, 9, me.pos - IVec2::new(SUB, 0))], vec![])).unwrap();
        let mut f = brain(Behaviour::Fighter);
        assert_eq!(f.buttons(&me, &view), Buttons::LEFT | Buttons::ATTACK);
    }

    #[test]
    fn traders_give_to_the_nearest_player_they_see_and_drop_when_alone() {
        use crate::view::tests::{npc, snap};
        let me = Body::at(IVec2::new(100 * SUB, 50 * SUB));
        let player = |handle, id, name: &str, x| mmo_protocol::snapshot::Spawn {
            kind: EntityKind::Player { name: name.into() },
            ..npc(handle, id, IVec2::new(x * SUB, 50 * SUB))
        };
        let others = vec![player(0, 5, "far", 140), player(1, 6, "near", 104), player(2, 7, "me", 100)];
        let view = View::apply(None, &snap(1, None, others, vec![])).unwrap();
        let mut t = Brain::new(Behaviour::Trader, 1, geometry(), IVec2::new(256, 100), 20);
        let mut lines = Vec::new();
        for _ in 0..100 {
            t.buttons(&me, &view);
            lines.extend(t.chat("me", Some(&me), &view));
            lines.extend(t.chat("me", Some(&me), &View::default()));
        }
        assert!(lines.len() >= 4, "{lines:?}");
        assert!(lines.iter().all(|l| l == "/give near" || l == "/drop"), "{lines:?}");
        assert!(lines.iter().any(|l| l == "/give near"), "{lines:?}");
    }
}
