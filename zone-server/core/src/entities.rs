//! The zone's entities (players and NPCs) and the table that holds them sorted by id.

use super::brain::Brain;
use super::input::{InputQueue, TickSteps};
use super::rules;
use glam::IVec2;
use mmo_protocol::cell::pose;
use mmo_protocol::{EntityKind, EntityState, InventoryItem};
use mmo_records::{Item, Persistence, SessionRoute};
use mmo_world::{Body, Buttons, CellId, EntityId, Epoch, ItemSerial, Tick, TileSource};
use std::sync::Arc;

/// One simulated thing.
#[derive(Clone, Debug)]
pub(crate) struct Entity {
    pub id: EntityId,
    /// Raised by each handoff: the copy with the highest epoch is the real one.
    pub epoch: Epoch,
    pub body: Body,
    /// The owned cell whose frame it was last published in.
    pub shown_in: Option<CellId>,
    /// The buttons of the current tick (from the input queue or the NPC's brain).
    pub buttons: Buttons,
    pub hp: u16,
    pub max_hp: u16,
    pub facing_left: bool,
    pub last_attack: Option<Tick>,
    pub last_hurt: Option<Tick>,
    /// When it died; `None` while alive.
    pub died: Option<Tick>,
    pub role: Role,
}

#[derive(Clone, Debug)]
pub(crate) enum Role {
    Player(Player),
    Npc(Npc),
}

#[derive(Clone, Debug)]
pub(crate) struct Player {
    pub name: Arc<str>,
    pub xp: u32,
    pub items: Vec<Item>,
    pub inputs: InputQueue,
    /// The steps of the current tick, taken from `inputs`.
    pub steps: TickSteps,
    pub route: Option<SessionRoute>,
    /// Credentials and version for saving the player's durable record.
    pub persist: Persistence,
    /// Receipts of the latest pickups, saved with the record
    /// ([`mmo_records::PlayerRecord::picked`]).
    pub picked: Vec<ItemSerial>,
    /// What the last record taken for saving held (`None`: never taken on this zone).
    pub saved: Option<SavedState>,
}

#[derive(Clone, Debug)]
pub(crate) struct Npc {
    pub species: u8,
    /// Where it spawned, comes back to when leashed, and respawns.
    pub home: IVec2,
    pub brain: Brain,
}

/// What a player's last saved record held, to tell whether anything changed since.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SavedState {
    pos: IVec2,
    hp: u16,
    xp: u32,
    items: Vec<Item>,
}

impl SavedState {
    pub fn of(e: &Entity) -> Option<SavedState> {
        let Role::Player(p) = &e.role else { return None };
        Some(SavedState { pos: e.body.pos, hp: e.hp, xp: p.xp, items: p.items.clone() })
    }
}

/// True if `at` is set and `now` is less than `ticks` ticks after it.
fn within(at: Option<Tick>, now: Tick, ticks: u64) -> bool {
    at.is_some_and(|at| now >= at && now.since(at) < ticks)
}

impl Entity {
    pub fn player(id: EntityId, name: Arc<str>, pos: IVec2) -> Self {
        let role = Role::Player(Player {
            name,
            xp: 0,
            items: Vec::new(),
            inputs: InputQueue::default(),
            steps: TickSteps::default(),
            route: None,
            persist: Persistence::default(),
            picked: Vec::new(),
            saved: None,
        });
        Self::new(id, Body { pos, vel: IVec2::ZERO, on_ground: true }, rules::PLAYER_MAX_HP, role)
    }

    pub fn npc(id: EntityId, species: u8, pos: IVec2, brain: Brain) -> Self {
        let role = Role::Npc(Npc { species, home: pos, brain });
        Self::new(id, Body::at(pos), rules::species(species).max_hp, role)
    }

    fn new(id: EntityId, body: Body, max_hp: u16, role: Role) -> Self {
        Entity {
            id,
            epoch: Epoch(1),
            body,
            shown_in: None,
            buttons: Buttons::default(),
            hp: max_hp,
            max_hp,
            facing_left: false,
            last_attack: None,
            last_hurt: None,
            died: None,
            role,
        }
    }

    pub fn alive(&self) -> bool {
        self.died.is_none()
    }

    pub fn is_player(&self) -> bool {
        matches!(self.role, Role::Player(_))
    }

    pub fn attack_cooldown(&self) -> u64 {
        match self.role {
            Role::Player(_) => rules::PLAYER_ATTACK_COOLDOWN,
            Role::Npc(_) => rules::NPC_ATTACK_COOLDOWN,
        }
    }

    pub fn attack_ready(&self, now: Tick) -> bool {
        !within(self.last_attack, now, self.attack_cooldown())
    }

    /// Moves the body through the tick: a living player one step per input of the tick (none
    /// while its inputs are late), anything else one step under its buttons.
    pub fn advance(&mut self, tiles: &impl TileSource) {
        match &self.role {
            Role::Player(p) if self.alive() => {
                let steps = p.steps;
                for buttons in steps.iter() {
                    self.buttons = buttons;
                    self.step(tiles);
                }
                self.buttons = steps.held();
            }
            _ => self.step(tiles),
        }
    }

    /// Moves the body one step under its buttons; the facing follows the direction held.
    /// A dead player's body still falls (no buttons) so it lies on the ground; dead NPCs are
    /// gone and do not move.
    pub fn step(&mut self, tiles: &impl TileSource) {
        if !self.alive() {
            if self.is_player() {
                self.body = self.body.step(Buttons::default(), tiles);
            }
            return;
        }
        self.body = self.body.step(self.buttons, tiles);
        match self.buttons.direction() {
            d if d < 0 => self.facing_left = true,
            d if d > 0 => self.facing_left = false,
            _ => {}
        }
    }

    /// Takes damage; returns true if this blow killed it.
    pub fn hurt(&mut self, damage: u16, now: Tick) -> bool {
        self.hp = self.hp.saturating_sub(damage);
        self.last_hurt = Some(now);
        if self.hp == 0 {
            self.died = Some(now);
            self.buttons = Buttons::default();
            return true;
        }
        false
    }

    /// Comes back to life at `pos` with full hit points and a fresh state.
    pub fn respawn(&mut self, pos: IVec2) {
        self.body = Body { pos, vel: IVec2::ZERO, on_ground: self.is_player() };
        self.hp = self.max_hp;
        self.died = None;
        self.last_attack = None;
        self.last_hurt = None;
        self.buttons = Buttons::default();
        match &mut self.role {
            Role::Player(p) => p.inputs.clear(),
            Role::Npc(n) => n.brain.reset(),
        }
    }

    pub fn pose(&self, now: Tick) -> u8 {
        let mut bits = 0;
        if self.facing_left {
            bits |= pose::FACING_LEFT;
        }
        if within(self.last_attack, now, rules::ATTACK_POSE_TICKS) {
            bits |= pose::ATTACKING;
        }
        if within(self.last_hurt, now, rules::HURT_POSE_TICKS) {
            bits |= pose::HURT;
        }
        if !self.alive() {
            bits |= pose::DEAD;
        }
        if self.body.on_ground {
            bits |= pose::ON_GROUND;
        }
        bits
    }

    /// What subscribers see of it at the end of tick `now`.
    pub fn state(&self, now: Tick) -> EntityState {
        let (kind, xp, last_input_seq, items) = match &self.role {
            Role::Player(p) => (
                EntityKind::Player { name: p.name.clone() },
                p.xp,
                p.inputs.last_applied(),
                p.items.iter().map(|i| InventoryItem { serial: i.serial, kind: i.kind }).collect(),
            ),
            Role::Npc(n) => (EntityKind::Npc { species: n.species }, 0, 0, Vec::new()),
        };
        EntityState {
            id: self.id,
            kind,
            body: self.body,
            hp: self.hp,
            max_hp: self.max_hp,
            pose: self.pose(now),
            xp,
            level: rules::level(xp),
            last_input_seq,
            items,
        }
    }
}

/// Entities sorted by id, found by binary search. Iterating it is iterating in id order,
/// which is what keeps every phase deterministic.
#[derive(Clone, Debug, Default)]
pub(crate) struct Entities {
    list: Vec<Entity>,
}

impl Entities {
    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn index_of(&self, id: EntityId) -> Option<usize> {
        self.list.binary_search_by_key(&id, |e| e.id).ok()
    }

    pub fn get(&self, id: EntityId) -> Option<&Entity> {
        self.index_of(id).map(|i| &self.list[i])
    }

    pub fn get_mut(&mut self, id: EntityId) -> Option<&mut Entity> {
        self.index_of(id).map(|i| &mut self.list[i])
    }

    /// Adds an entity; one with the same id is replaced.
    pub fn insert(&mut self, entity: Entity) {
        match self.list.binary_search_by_key(&entity.id, |e| e.id) {
            Ok(i) => self.list[i] = entity,
            Err(i) => self.list.insert(i, entity),
        }
    }

    pub fn remove(&mut self, id: EntityId) -> Option<Entity> {
        self.index_of(id).map(|i| self.list.remove(i))
    }

    pub fn as_slice(&self) -> &[Entity] {
        &self.list
    }

    pub fn as_mut_slice(&mut self) -> &mut [Entity] {
        &mut self.list
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mmo_world::ZoneId;

    fn id(n: u64) -> EntityId {
        EntityId::new(ZoneId(3), n)
    }

    #[test]
    fn table_stays_sorted_and_finds_by_id() {
        let mut t = Entities::default();
        for n in [5, 1, 9, 3] {
            t.insert(Entity::npc(id(n), 0, IVec2::ZERO, Brain::new(1)));
        }
        let ids: Vec<u64> = t.as_slice().iter().map(|e| e.id.0 & 0xff).collect();
        assert_eq!(ids, [1, 3, 5, 9]);
        assert_eq!(t.get(id(9)).map(|e| e.id), Some(id(9)));
        assert!(t.remove(id(3)).is_some());
        assert!(t.remove(id(3)).is_none());
        assert_eq!(t.index_of(id(5)), Some(1));
        assert_eq!(t.len(), 3);
    }

    #[test]
    fn poses_follow_the_timers() {
        let mut e = Entity::player(id(1), "a".into(), IVec2::ZERO);
        e.last_attack = Some(Tick(10));
        assert_eq!(e.pose(Tick(10)) & pose::ATTACKING, pose::ATTACKING);
        assert_eq!(e.pose(Tick(13)) & pose::ATTACKING, pose::ATTACKING);
        assert_eq!(e.pose(Tick(14)) & pose::ATTACKING, 0);
        assert!(!e.attack_ready(Tick(17)));
        assert!(e.attack_ready(Tick(18)));
        assert!(e.hurt(250, Tick(20)));
        assert_eq!(e.pose(Tick(20)) & (pose::DEAD | pose::HURT), pose::DEAD | pose::HURT);
        e.respawn(IVec2::new(5, 5));
        assert_eq!((e.hp, e.pose(Tick(21)) & pose::DEAD), (100, 0));
    }
}
