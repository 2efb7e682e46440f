//! Experience from kills, shared in a party. A player's gateway tells the zone who else is in
//! the player's party ([`ZoneCore::set_party`](crate::ZoneCore::set_party), sent when the party
//! changes and whenever the player starts playing on another zone), and a kill's experience is
//! split among the killer and the members standing near it on this zone, with a bonus for each
//! member: [`SHARE_BONUS_PERCENT`] more in all per member besides the killer.

use super::entities::{Entity, Role};
use mmo_world::physics::SUB;
use mmo_world::EntityId;
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

    /// Gives `player` (held here) a kill's `xp`, shared with its members alive near it here;
    /// false if `player` is not a player held here.
    pub(crate) fn award(&self, entities: &mut [Entity], player: EntityId, xp: u32) -> bool {
        let Ok(killer) = entities.binary_search_by_key(&player, |e| e.id) else { return false };
        let Role::Player(p) = &entities[killer].role else { return false };
        let mut sharing = vec![killer];
        if let Some(members) = self.members.get(&p.name) {
            let at = entities[killer].body.pos;
            sharing.extend(entities.iter().enumerate().filter_map(|(i, e)| match &e.role {
                Role::Player(q)
                    if i != killer
                        && e.alive()
                        && members.iter().any(|m| m.eq_ignore_ascii_case(&q.name))
                        && (e.body.pos - at).abs().max_element() <= SHARE_REACH =>
                {
                    Some(i)
                }
                _ => None,
            }));
        }
        let n = sharing.len() as u32;
        let each = share_of(xp, n);
        for i in sharing {
            if let Role::Player(p) = &mut entities[i].role {
                p.xp = p.xp.saturating_add(each);
            }
        }
        true
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
        let (ann, bob) = (es[0].id, es[1].id);
        assert!(parties.award(&mut es, ann, 10));
        // Ann and Bob share (Cy is far, Dee is in no party with Ann, Eve is dead): 12 / 2.
        assert_eq!(es.iter().map(xp).collect::<Vec<_>>(), [6, 6, 0, 0, 0]);
        // Bob's kill: his gateway named nobody, so it is his alone.
        assert!(parties.award(&mut es, bob, 10));
        assert_eq!(xp(&es[1]), 16);
        assert!(!parties.award(&mut es, EntityId::new(ZoneId(1), 9), 10), "not here");
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
