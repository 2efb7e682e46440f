//! Attacks, damage, deaths and experience.
//!
//! Every living entity holding ATTACK with its cooldown over swings this tick. All swings are
//! collected first, then resolved in id order: a swing hits every living opponent (players hit
//! NPCs, NPCs hit players; no PvP) whose body overlaps its hitbox. The hitbox spans the body's
//! height and, horizontally, from the body's centre to its reach beyond the front edge, so an
//! enemy standing inside the attacker is hit too. Swings are simultaneous: an attacker killed
//! by an earlier swing of the same tick still lands its own. The blow that takes a target to
//! 0 HP kills it; an NPC's XP goes to the player who struck that blow, once ([`Combat::take_kills`];
//! shared with the player's party near it, `party.rs`).
//!
//! Across a zone border: a swing that reaches a ghost becomes a [`HitRequest`] to the zone that
//! owns the real entity ([`Combat::ghost_hits`]); that zone decides ([`Combat::apply_remote`]):
//! it applies the hit in its next combat phase if the target is still alive and still near the
//! hitbox, and for a kill sends the experience back to the attacker's zone, once.

use super::entities::{Entity, Role};
use super::ghosts::Ghost;
use super::grid::BucketGrid;
use super::rules;
use glam::IVec2;
use mmo_records::{HitRequest, PeerMessage};
use mmo_world::physics::{HALF_WIDTH, HEIGHT, SUB};
use mmo_world::{Buttons, EntityId, Tick, ZoneId};

/// How far a remote hit's target may have moved from the hitbox its attacker saw (the ghost was
/// a tick or two old): two tiles.
const REMOTE_SLACK: i32 = 2 * SUB;

#[derive(Clone, Copy, Debug)]
struct Swing {
    attacker: usize,
    /// Hitbox, half-open: `[lo, hi)`.
    lo: IVec2,
    hi: IVec2,
    damage: u16,
    hits_players: bool,
}

/// What a tick's combat did, for metrics and logs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct CombatSummary {
    pub swings: u32,
    pub hits: u32,
    pub kills: u32,
}

/// The combat phase, with buffers reused from tick to tick.
#[derive(Debug, Default)]
pub(crate) struct Combat {
    swings: Vec<Swing>,
    players: BucketGrid,
    npcs: BucketGrid,
    hits: Vec<u32>,
    /// Kills of NPCs by players since the last [`Combat::take_kills`]: (killer, victim, XP).
    kills: Vec<(EntityId, EntityId, u32)>,
}

fn swing_of(index: usize, e: &Entity) -> Swing {
    let (reach, damage, hits_players) = match &e.role {
        Role::Player(_) => (rules::PLAYER_REACH, rules::PLAYER_ATTACK_DAMAGE, false),
        Role::Npc(n) => (rules::NPC_REACH, rules::species(n.species).damage, true),
    };
    let p = e.body.pos;
    let (x0, x1) = if e.facing_left { (p.x - HALF_WIDTH - reach, p.x) } else { (p.x, p.x + HALF_WIDTH + reach) };
    Swing { attacker: index, lo: IVec2::new(x0, p.y - HEIGHT), hi: IVec2::new(x1, p.y), damage, hits_players }
}

/// Whether a body standing at `pos` overlaps the half-open box `[lo, hi)`.
fn overlaps(pos: IVec2, lo: IVec2, hi: IVec2) -> bool {
    pos.x - HALF_WIDTH < hi.x && pos.x + HALF_WIDTH > lo.x && pos.y - HEIGHT < hi.y && pos.y > lo.y
}

impl Combat {
    pub fn resolve(&mut self, entities: &mut [Entity], now: Tick) -> CombatSummary {
        let mut summary = CombatSummary::default();
        self.swings.clear();
        for (i, e) in entities.iter_mut().enumerate() {
            if e.alive() && e.buttons.has(Buttons::ATTACK) && e.attack_ready(now) {
                e.last_attack = Some(now);
                self.swings.push(swing_of(i, e));
            }
        }
        if self.swings.is_empty() {
            return summary;
        }
        summary.swings = self.swings.len() as u32;
        let living = |want_player: bool| {
            entities
                .iter()
                .enumerate()
                .filter(move |(_, e)| e.alive() && e.is_player() == want_player)
                .map(|(i, e)| (i as u32, e.body.pos))
        };
        if self.swings.iter().any(|s| s.hits_players) {
            self.players.rebuild(living(true));
        }
        if self.swings.iter().any(|s| !s.hits_players) {
            self.npcs.rebuild(living(false));
        }
        for s in &self.swings {
            let grid = if s.hits_players { &self.players } else { &self.npcs };
            self.hits.clear();
            let (lo, hi) = (s.lo - IVec2::new(HALF_WIDTH, 0), s.hi + IVec2::new(HALF_WIDTH, HEIGHT));
            grid.query(lo, hi, |t| self.hits.push(t));
            for &t in &self.hits {
                let target = &mut entities[t as usize];
                if !target.alive() || !overlaps(target.body.pos, s.lo, s.hi) {
                    continue;
                }
                summary.hits += 1;
                if !target.hurt(s.damage, now) {
                    continue;
                }
                summary.kills += 1;
                if let Role::Npc(n) = &target.role {
                    let (victim, xp) = (target.id, rules::species(n.species).xp);
                    let attacker = &entities[s.attacker];
                    if attacker.is_player() {
                        self.kills.push((attacker.id, victim, xp));
                    }
                }
            }
        }
        summary
    }

    /// The kills of NPCs by players held here since the last call: (killer, the NPC, its XP).
    pub fn take_kills(&mut self) -> Vec<(EntityId, EntityId, u32)> {
        std::mem::take(&mut self.kills)
    }

    /// After [`Combat::resolve`]: this tick's swings that reach ghosts, as requests to their
    /// owners (one per swing and ghost).
    pub fn ghost_hits(
        &self,
        entities: &[Entity],
        ghosts: &[Ghost],
        zone: ZoneId,
        now: Tick,
    ) -> Vec<(ZoneId, HitRequest)> {
        let mut out = Vec::new();
        if ghosts.is_empty() {
            return out;
        }
        for s in &self.swings {
            for g in ghosts {
                if g.alive && g.is_player == s.hits_players && overlaps(g.pos, s.lo, s.hi) {
                    let hit = HitRequest {
                        attacker: entities[s.attacker].id,
                        attacker_zone: zone,
                        target: g.id,
                        damage: s.damage,
                        tick: now,
                        lo: s.lo,
                        hi: s.hi,
                    };
                    out.push((g.zone, hit));
                }
            }
        }
        out
    }

    /// Applies hits other zones asked for, in arrival order; returns the kill credits to send
    /// (to the attacker's zone). Hits on the dead, the gone or the far moved are dropped.
    pub fn apply_remote(
        &mut self,
        entities: &mut [Entity],
        hits: &[HitRequest],
        now: Tick,
    ) -> (CombatSummary, Vec<(ZoneId, PeerMessage)>) {
        let mut summary = CombatSummary::default();
        let mut credits = Vec::new();
        for hit in hits {
            let Ok(i) = entities.binary_search_by_key(&hit.target, |e| e.id) else { continue };
            let target = &mut entities[i];
            let slack = IVec2::splat(REMOTE_SLACK);
            if !target.alive() || !overlaps(target.body.pos, hit.lo - slack, hit.hi + slack) {
                continue;
            }
            summary.hits += 1;
            if !target.hurt(hit.damage, now) {
                continue;
            }
            summary.kills += 1;
            if let Role::Npc(n) = &target.role {
                let xp = rules::species(n.species).xp;
                let credit = PeerMessage::Credit { entity: hit.attacker, xp, victim: target.id };
                credits.push((hit.attacker_zone, credit));
            }
        }
        (summary, credits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::brain::Brain;
    use mmo_world::physics::SUB;
    use mmo_world::{EntityId, ZoneId};

    fn id(n: u64) -> EntityId {
        EntityId::new(ZoneId(1), n)
    }

    fn player(n: u64, x: i32) -> Entity {
        let mut e = Entity::player(id(n), "p".into(), IVec2::new(x, 10 * SUB));
        e.buttons = Buttons(Buttons::ATTACK);
        e
    }

    fn npc(n: u64, x: i32, species: u8) -> Entity {
        let mut e = Entity::npc(id(n), species, IVec2::new(x, 10 * SUB), Brain::new(1));
        e.body.on_ground = true;
        e
    }

    #[test]
    fn a_swing_hits_every_npc_in_reach_in_front_and_no_player() {
        let x = 20 * SUB;
        let mut es = vec![
            player(1, x),
            npc(2, x + HALF_WIDTH + rules::PLAYER_REACH + HALF_WIDTH - 1, 0),
            npc(3, x + HALF_WIDTH + rules::PLAYER_REACH + HALF_WIDTH, 0),
            npc(4, x - SUB, 0),
            npc(5, x, 1),
            player(6, x + SUB),
        ];
        es[5].buttons = Buttons::default();
        let summary = Combat::default().resolve(&mut es, Tick(1));
        let hp: Vec<u16> = es.iter().map(|e| e.hp).collect();
        assert_eq!(hp, [100, 18, 30, 30, 48, 100]);
        assert_eq!(summary, CombatSummary { swings: 1, hits: 2, kills: 0 });
    }

    #[test]
    fn the_killing_blow_gets_the_xp_once_and_cooldown_holds() {
        let x = 20 * SUB;
        let mut es = vec![player(1, x), player(2, x), npc(3, x + SUB, 0)];
        es[2].hp = 20;
        let mut combat = Combat::default();
        combat.resolve(&mut es, Tick(1));
        assert_eq!((es[0].hp, es[2].hp), (100, 0));
        assert_eq!(combat.take_kills(), [(id(2), id(3), 10)], "the second swing of the tick killed it");
        for t in 2..30 {
            combat.resolve(&mut es, Tick(t));
        }
        assert!(combat.take_kills().is_empty(), "a dead NPC gives nothing more");
        let mut fresh = vec![player(1, x), npc(2, x + SUB, 1)];
        let swings: u32 = (0..16).map(|t| combat.resolve(&mut fresh, Tick(t)).swings).sum();
        assert_eq!(swings, 2, "one swing per 8 ticks");
        assert_eq!(fresh[1].hp, 60 - 24);
    }

    #[test]
    fn npcs_hit_players_facing_left() {
        let x = 20 * SUB;
        let mut bad = npc(2, x, 1);
        bad.facing_left = true;
        bad.buttons = Buttons(Buttons::ATTACK);
        let mut es = vec![player(1, x - SUB), bad, player(3, x + SUB)];
        es[0].buttons = Buttons::default();
        es[2].buttons = Buttons::default();
        Combat::default().resolve(&mut es, Tick(5));
        assert_eq!((es[0].hp, es[2].hp), (86, 100));
        assert_eq!(es[0].last_hurt, Some(Tick(5)));
    }
}
