//! Experience from kills, shared in a party. A player's gateway tells the zone who else is in
//! the player's party ([`ZoneCore::set_party`](crate::ZoneCore::set_party), sent when the party
//! changes and whenever the player starts playing on another zone), and a kill's experience is
//! split among the killer and the members standing near it, with a bonus for each member:
//! [`SHARE_BONUS_PERCENT`] more in all per member besides the killer. A member across a zone
//! border (a ghost here) gets its share from its own zone, sent as a
//! [`PeerMessage::SharedCredit`] (credited as it is, not shared again).

use super::entities::{Entity, Role};
use super::ghosts::{Ghost, Ghosts};
use glam::IVec2;
use mmo_records::PeerMessage;
use mmo_world::physics::SUB;
use mmo_world::{EntityId, ZoneId};
use std::collections::HashMap;
use std::sync::Arc;

/// How near (in sub-units, either axis) a member must stand to the killer to share.
pub const SHARE_REACH: i32 = 24 * SUB;
/// Extra experience in all, per member sharing besides the killer, in percent of the kill's.
pub const SHARE_BONUS_PERCENT: u32 = 20;

/// Each player's other party members, by name, as its gateway last said.
#[derive(Debug, Default)]
pub(crate) struct Parties {
    members: HashMap<Arc<str>, Vec<Arc<str>>>,
}

impl Parties {
    /// `player`'s other members are now `members` (none: it is in no party).
    pub(crate) fn set(&mut self, player: Arc<str>, members: Vec<Arc<str>>) {
        if members.is_empty() {
            self.members.remove(&player);
        } else {
            self.members.insert(player, members);
        }
    }

    /// Forgets the parties of players no longer here.
    pub(crate) fn retain_present(&mut self, entities: &[Entity]) {
        if self.members.is_empty() {
            return;
        }
        let here: std::collections::HashSet<&str> = entities
            .iter()
            .filter_map(|e| match &e.role {
                Role::Player(p) => Some(&*p.name),
                Role::Npc(_) => None,
            })
            .collect();
        self.members.retain(|name, _| here.contains(&**name));
    }

    /// Gives `player` (held here) the experience of a kill of `victim`, shared with its
    /// members alive within [`SHARE_REACH`]: those held here are credited at once, those across
    /// a border (ghosts) get their share as [`PeerMessage::SharedCredit`]s to their zones,
    /// returned. Nothing if `player` is not a player held here.
    pub(crate) fn award(
        &self,
        entities: &mut [Entity],
        ghosts: &Ghosts,
        (player, victim): (EntityId, EntityId),
        xp: u32,
    ) -> Vec<(ZoneId, PeerMessage)> {
        let Ok(killer) = entities.binary_search_by_key(&player, |e| e.id) else { return Vec::new() };
        let Role::Player(p) = &entities[killer].role else { return Vec::new() };
        let (mut here, mut across): (Vec<usize>, Vec<&Ghost>) = (vec![killer], Vec::new());
        if let Some(members) = self.members.get(&p.name) {
            let at = entities[killer].body.pos;
            let near = |pos: IVec2| (pos - at).abs().max_element() <= SHARE_REACH;
            let member = |name: &str| members.iter().any(|m| m.eq_ignore_ascii_case(name));
            here.extend(entities.iter().enumerate().filter_map(|(i, e)| match &e.role {
                Role::Player(q) if i != killer && e.alive() && member(&q.name) && near(e.body.pos) => Some(i),
                _ => None,
            }));
            across.extend(
                ghosts
                    .list()
                    .iter()
                    .filter(|g| g.is_player && g.alive && near(g.pos) && ghosts.name_of(g.id).is_some_and(member)),
            );
        }
        let each = share_of(xp, (here.len() + across.len()) as u32);
        for i in here {
            credit(&mut entities[i], each);
        }
        across.into_iter().map(|g| (g.zone, PeerMessage::SharedCredit { entity: g.id, xp: each, victim })).collect()
    }
}

/// Adds `xp` to a player's experience.
pub(crate) fn credit(e: &mut Entity, xp: u32) {
    if let Role::Player(p) = &mut e.role {
        p.xp = p.xp.saturating_add(xp);
    }
}

/// What each of `n` players sharing a kill of `xp` gets: the kill's experience plus the bonus,
/// split evenly, rounded up.
pub fn share_of(xp: u32, n: u32) -> u32 {
    let n = n.max(1);
    let total = xp.saturating_add(xp.saturating_mul(n - 1).saturating_mul(SHARE_BONUS_PERCENT) / 100);
    total.div_ceil(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use glam::IVec2;
    use mmo_world::ZoneId;

    fn player(n: u64, name: &str, x: i32) -> Entity {
        Entity::player(EntityId::new(ZoneId(1), n), name.into(), IVec2::new(x * SUB, 10 * SUB))
    }

    fn xp(e: &Entity) -> u32 {
        match &e.role {
            Role::Player(p) => p.xp,
            Role::Npc(_) => 0,
        }
    }

    fn ghosts(players: &[(u64, &str, i32)]) -> Ghosts {
        let entities = players
            .iter()
            .map(|&(n, name, x)| {
                let mut e = player(n, name, x);
                e.id = EntityId::new(ZoneId(2), n);
                e.state(mmo_world::Tick(1))
            })
            .collect();
        let (cell, epoch, tick) = (mmo_world::CellId::new(1, 0), mmo_world::Epoch(1), mmo_world::Tick(1));
        let frame = mmo_protocol::CellFrame::new(cell, ZoneId(2), epoch, tick, entities);
        let mut ghosts = Ghosts::default();
        ghosts.insert(std::sync::Arc::new(frame));
        ghosts.rebuild(mmo_world::Tick(1), |_| false);
        ghosts
    }

    #[test]
    fn a_kill_is_shared_with_members_near_and_alive_with_a_bonus() {
        let mut es = vec![
            player(1, "ann", 0),
            player(2, "bob", 10),
            player(3, "cy", 100),
            player(4, "dee", 5),
            player(5, "eve", 2),
        ];
        es[4].died = Some(mmo_world::Tick(1));
        let mut parties = Parties::default();
        parties.set("ann".into(), vec!["Bob".into(), "cy".into(), "eve".into()]);
        let (ann, bob, slime) = (es[0].id, es[1].id, EntityId::new(ZoneId(1), 99));
        let none = Ghosts::default();
        assert!(parties.award(&mut es, &none, (ann, slime), 10).is_empty());
        // Ann and Bob share (Cy is far, Dee is in no party with Ann, Eve is dead): 12 / 2.
        assert_eq!(es.iter().map(xp).collect::<Vec<_>>(), [6, 6, 0, 0, 0]);
        // Bob's kill: his gateway named nobody, so it is his alone.
        parties.award(&mut es, &none, (bob, slime), 10);
        assert_eq!(xp(&es[1]), 16);
        assert!(parties.award(&mut es, &none, (EntityId::new(ZoneId(1), 9), slime), 10).is_empty(), "not here");
        assert_eq!(xp(&es[1]), 16);
    }

    #[test]
    fn members_across_the_border_get_their_share_from_their_zone() {
        let mut es = vec![player(1, "ann", 0)];
        let mut parties = Parties::default();
        parties.set("ann".into(), vec!["bob".into(), "cy".into()]);
        // Bob stands 10 tiles away on zone 2; Cy too, but 30 tiles away; Dee is no member.
        let across = ghosts(&[(7, "BOB", 10), (8, "cy", 30), (9, "dee", 1)]);
        let slime = EntityId::new(ZoneId(1), 99);
        let ann = es[0].id;
        let sent = parties.award(&mut es, &across, (ann, slime), 10);
        assert_eq!(xp(&es[0]), 6);
        let bob = EntityId::new(ZoneId(2), 7);
        assert_eq!(sent, [(ZoneId(2), PeerMessage::SharedCredit { entity: bob, xp: 6, victim: slime })]);
    }

    #[test]
    fn shares_grow_with_the_bonus_and_round_up() {
        assert_eq!(share_of(10, 1), 10);
        assert_eq!(share_of(10, 2), 6);
        assert_eq!(share_of(40, 3), 19, "40 + 16 = 56, a third rounded up");
        assert_eq!(share_of(u32::MAX, 6), u32::MAX.div_ceil(6), "saturates");
    }

    #[test]
    fn parties_of_players_who_left_are_forgotten() {
        let mut parties = Parties::default();
        parties.set("ann".into(), vec!["bob".into()]);
        parties.set("gone".into(), vec!["bob".into()]);
        parties.retain_present(&[player(1, "ann", 0)]);
        assert_eq!(parties.members.keys().map(|k| &**k).collect::<Vec<_>>(), ["ann"]);
        parties.set("ann".into(), vec![]);
        assert!(parties.members.is_empty());
    }
}
