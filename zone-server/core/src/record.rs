//! Live entities to plain records and back, for handoff transfers: nothing of an entity's state
//! is left behind (position and speed, hit points, timers, experience, items, queued inputs,
//! an NPC's memory, the player's session route).

use super::brain::Brain;
use super::entities::{Entity, Npc, Player, Role};
use super::input::{InputQueue, TickSteps};
use mmo_records::{EntityRecord, NpcPart, PlayerPart, RecordKind};
use mmo_world::Buttons;

impl Entity {
    pub fn to_record(&self) -> EntityRecord {
        let kind = match &self.role {
            Role::Player(p) => RecordKind::Player(PlayerPart {
                name: p.name.clone(),
                xp: p.xp,
                items: p.items.clone(),
                inputs: p.inputs.to_record(),
                route: p.route,
                persist: p.persist.clone(),
                picked: p.picked.clone(),
            }),
            Role::Npc(n) => RecordKind::Npc(NpcPart { species: n.species, home: n.home, brain: n.brain.to_record() }),
        };
        EntityRecord {
            id: self.id,
            authority_epoch: self.epoch,
            body: self.body,
            hp: self.hp,
            max_hp: self.max_hp,
            facing_left: self.facing_left,
            last_attack: self.last_attack,
            last_hurt: self.last_hurt,
            died: self.died,
            kind,
        }
    }

    pub fn from_record(r: EntityRecord) -> Self {
        let role = match r.kind {
            RecordKind::Player(p) => Role::Player(Player {
                name: p.name,
                xp: p.xp,
                items: p.items,
                inputs: InputQueue::from_record(p.inputs),
                steps: TickSteps::default(),
                route: p.route,
                persist: p.persist,
                picked: p.picked,
                saved: None,
            }),
            RecordKind::Npc(n) => {
                Role::Npc(Npc { species: n.species, home: n.home, brain: Brain::from_record(n.brain) })
            }
        };
        Entity {
            id: r.id,
            epoch: r.authority_epoch,
            body: r.body,
            shown_in: None,
            buttons: Buttons::default(),
            hp: r.hp,
            max_hp: r.max_hp,
            facing_left: r.facing_left,
            last_attack: r.last_attack,
            last_hurt: r.last_hurt,
            died: r.died,
            role,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use glam::IVec2;
    use mmo_records::{Item, SessionRoute};
    use mmo_world::{EntityId, Epoch, GatewayId, ItemSerial, SessionId, Tick, ZoneId};

    #[test]
    fn records_round_trip() {
        let mut p = Entity::player(EntityId::new(ZoneId(2), 7), "ada".into(), IVec2::new(900, 512));
        p.epoch = Epoch(4);
        p.hp = 33;
        p.last_attack = Some(Tick(9));
        if let Role::Player(pl) = &mut p.role {
            pl.xp = 250;
            pl.items = vec![Item::one(ItemSerial(5), 1)];
            pl.route = Some(SessionRoute { gateway: GatewayId(1), session: SessionId(3) });
            pl.picked = vec![ItemSerial(5), ItemSerial(2)];
            pl.inputs.push(4, Buttons(Buttons::RIGHT));
            pl.inputs.take_tick();
            pl.inputs.push(5, Buttons(Buttons::JUMP));
        }
        let r = p.to_record();
        assert_eq!((r.last_input_seq(), r.items().len(), r.authority_epoch), (4, 1, Epoch(4)));
        let back = Entity::from_record(r.clone());
        assert_eq!(back.to_record(), r);
        let Role::Player(pl) = &back.role else { panic!("a player") };
        assert_eq!(pl.picked, vec![ItemSerial(5), ItemSerial(2)], "the receipts travel with the player");
        let mut n = Entity::npc(EntityId::new(ZoneId(2), 8), 1, IVec2::new(3, 4), Brain::new(-1));
        n.died = Some(Tick(3));
        let r = n.to_record();
        assert_eq!(Entity::from_record(r.clone()).to_record(), r);
    }
}
