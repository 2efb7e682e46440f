//! The sans-IO zone simulation: no sockets, no clock, no tokio. The runtime feeds it
//! commands and tick numbers; it returns one [`CellFrame`] per owned cell per tick.
//!
//! Same config, same commands, same ticks: same frames. All randomness comes from the
//! configured seed (a [`SplitMix64`] for spawns, hashes of seed, entity and tick for NPC
//! decisions), entities are kept sorted by id and every phase walks them in that order.
//!
//! The plain data it takes and returns (peer messages, entity records, items, player records,
//! checkpoints) comes from `mmo_records`; its dependencies are plain-data crates only, which
//! `tests/purity.rs` checks (and `clippy.toml` bans reading the clock, sleeping, spawning and
//! sockets here).
//!
//! # Modules, in layers
//! Imports point down only; no module imports one that imports it.
//! 1. Leaves: [`rules`] (the numbers), `grid` (spatial buckets for neighbour queries), `input`
//!    (per-player input queues), `brain` (an NPC's memory), [`spawn`] (standing places),
//!    `owners` (who owns every cell), `ghosts` (entities across the border), [`handoff`] (the
//!    handoff state machine).
//! 2. `entities` (the entities and their table, with what a player's last save held): uses
//!    `brain`, `input`, `rules`.
//! 3. On top of entities: `ai` (what NPCs decide), `combat`, `publish` (cell frames), `record`
//!    (entities as plain data for transfers).
//! 4. [`ZoneCore`]: this file (the state and the tick) and its methods by topic, each file an
//!    `impl ZoneCore` using the layers below: `persist` (joining from a saved player record, and
//!    the records to save), `peer` (messages from other zones, and when entities and cells
//!    leave; uses `persist` for the final record of a forwarded leave), `items` (loot, pickups,
//!    drops and gives) and `checkpoint` (cell checkpoints for failover, and restoring them).
//!
//! # Authority
//! The core simulates the entities whose feet are in the cells it owns. One that ends a tick in
//! a cell another zone owns is published by this zone for that tick, then frozen and sent to
//! the owner ([`handoff`]), which simulates it from the next tick on: each tick of each entity
//! is simulated, and published, by exactly one zone. A cell given to another zone (migration)
//! leaves the same way, with all its entities, at the end of the first tick after the core
//! learns of it ([`ZoneCore::set_owner`]).

mod ai;
mod brain;
mod checkpoint;
mod combat;
mod entities;
mod ghosts;
mod gives;
mod grid;
pub mod handoff;
mod input;
mod items;
pub mod learned;
mod owners;
pub mod party;
mod peer;
mod persist;
mod publish;
mod record;
mod reserve;
mod reshape;
pub mod rules;
pub mod spawn;

use ai::Mind;
use brain::Brain;
use combat::Combat;
use entities::{Entities, Entity, Role};
use ghosts::Ghosts;
use glam::IVec2;
use grid::BucketGrid;
use handoff::Handoff;
use mmo_protocol::{CellFrame, EntityState};
use mmo_records::{EntityRecord, HitRequest, Item, PeerMessage, SessionRoute, Transfer};
use mmo_world::physics::SUB_SHIFT;
use mmo_world::rng::SplitMix64;
use mmo_world::terrain::TerrainMap;
use mmo_world::{
    Buttons, CellId, EntityId, Epoch, ItemSerial, Layout, SerialBlock, Terrain, Tick, WorldGeometry, ZoneId,
};
use owners::Owners;
use publish::{OwnedCells, Published};
use std::sync::Arc;

pub use checkpoint::CHECKPOINT_EVERY_TICKS;
pub use gives::{GiveCounts, ANSWER_TICKS, OFFER_TICKS};
pub use items::{ItemGive, PICKED_KEEP_TICKS, SERIAL_BLOCK};
pub use peer::PeerOutcome;
pub use persist::LoggedOut;

pub use input::{MAX_BACKLOG, MAX_STEPS_PER_TICK};
pub use spawn::standing_spots;

/// How a zone's simulation is set up.
#[derive(Clone, Debug)]
pub struct ZoneConfig {
    pub zone: ZoneId,
    pub seed: u64,
    pub geometry: WorldGeometry,
    /// NPCs spawned in each owned cell when the zone takes it.
    pub npcs_per_cell: u32,
    /// Which brain fights for the hunters (`--npc-brain`).
    pub npc_brain: learned::NpcBrain,
}

/// A tick phase, in the order they run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Phase {
    Inputs,
    Ai,
    Physics,
    Combat,
    Respawn,
    Handoff,
    Publish,
}

impl Phase {
    pub const ALL: [Phase; 7] =
        [Phase::Inputs, Phase::Ai, Phase::Physics, Phase::Combat, Phase::Respawn, Phase::Handoff, Phase::Publish];

    /// A short lowercase name, for metric labels.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Inputs => "inputs",
            Phase::Ai => "ai",
            Phase::Physics => "physics",
            Phase::Combat => "combat",
            Phase::Respawn => "respawn",
            Phase::Handoff => "handoff",
            Phase::Publish => "publish",
        }
    }
}

/// Told when each phase of a tick ends, so the runtime can time them without the core
/// reading a clock.
pub trait PhaseTimer {
    fn phase_done(&mut self, phase: Phase);
}

/// No timing.
impl PhaseTimer for () {
    fn phase_done(&mut self, _phase: Phase) {}
}

/// Why a player could not join.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum JoinError {
    #[error("this zone owns no cell to spawn in")]
    NoCell,
    #[error("this zone has no fresh entity ids in hand (its store is not answering); try again")]
    NoIds,
}

/// Players join within this many columns of their start column (or of the owned column nearest
/// to it).
const JOIN_SPREAD: u32 = 8;
/// What every player starts with (item kinds): a placeholder inventory that handoffs must carry.
const STARTER_ITEMS: [u16; 2] = [1, 2];
/// Numbers for entity ids kept in hand; below half of it the zone asks for another block.
pub const ENTITY_ID_BLOCK: u64 = 1024;

/// The simulation of the cells one zone owns.
#[derive(Debug)]
pub struct ZoneCore {
    config: ZoneConfig,
    generator: Terrain,
    /// Terrain of the owned cells and their neighbours; anything else reads solid.
    tiles: TerrainMap,
    owned: OwnedCells,
    entities: Entities,
    /// Numbers for new entity ids, from the store: unique across zones and restarts.
    ids: reserve::Reserve,
    rng: SplitMix64,
    /// The tick last run (or running).
    now: Tick,
    /// Chat said since the last tick: (speaker, text), in arrival order.
    chats: Vec<(EntityId, Arc<str>)>,
    /// Reused buffers: living players and a grid over them, for NPC chases.
    targets: Vec<ai::Target>,
    target_grid: BucketGrid,
    /// The hunters' learned policy (`None`: scripted, `--npc-brain scripted`).
    hunter: Option<learned::Policy>,
    combat: Combat,
    /// Whom each player shares kills with.
    parties: party::Parties,
    frame_slots: Vec<Option<u32>>,
    /// Who owns every cell, as far as the zone knows.
    owners: Owners,
    /// The world's cells (the grid, some split into quarters), as far as the zone knows.
    layout: Layout,
    handoff: Handoff,
    ghosts: Ghosts,
    /// Messages for other zones besides the handoff's own.
    outbox: Vec<(ZoneId, PeerMessage)>,
    /// Hits other zones asked for, applied in the next combat phase.
    remote_hits: Vec<HitRequest>,
    /// Cells handed over at the end of the last tick, and to whom.
    released: Vec<(CellId, ZoneId)>,
    /// Accepted transfers that start at a later tick than the next one (this zone runs late):
    /// an entity is simulated from the tick after the source's last, never twice in one tick.
    arrivals: Vec<(Tick, Transfer)>,
    /// Messages for entities among `arrivals`, replayed when they start.
    held: Vec<PeerMessage>,
    /// Final records of players whose forwarded leave reached them here, to save at once.
    logged_out: Vec<persist::LoggedOut>,
    /// Cells handed to a zone that died before it answered, as they left: checkpoints to write
    /// ([`ZoneCore::take_checkpoints`]).
    handbacks: Vec<mmo_records::CellCheckpoint>,
    /// Players taken back from a zone that died before it answered, whose stored records the
    /// runtime reads for [`ZoneCore::reconcile`].
    reconciling: Vec<(EntityId, Arc<str>)>,
    /// Ground items, serials in hand, inventory changes to save.
    items: items::Items,
    /// Gives across zone borders: items in escrow here, acceptances waiting for a save.
    gives: gives::Gives,
    /// Zones declared gone ([`ZoneCore::zone_lost`]) and not given a cell since: nothing is
    /// handed to them.
    lost: std::collections::BTreeSet<ZoneId>,
    /// Zones this zone cannot reach for now ([`ZoneCore::set_unreachable`]): cells and players
    /// wait here rather than being sent into a link that is down.
    unreachable: std::collections::BTreeSet<ZoneId>,
}

impl ZoneCore {
    /// A core with no cells. `ids`: the first block of unique numbers the host reserved for this
    /// run of the zone (from the store's `allocate_serials`); new entities take their ids from
    /// it, and its first number names this run in the transfers it sends.
    pub fn new(config: ZoneConfig, ids: SerialBlock) -> Self {
        let mut reserve = reserve::Reserve::new(ENTITY_ID_BLOCK);
        reserve.add(ids);
        ZoneCore {
            generator: Terrain::new(config.seed, config.geometry),
            tiles: TerrainMap::new(&config.geometry),
            owned: OwnedCells::default(),
            entities: Entities::default(),
            ids: reserve,
            rng: SplitMix64::new(config.seed),
            now: Tick(0),
            chats: Vec::new(),
            targets: Vec::new(),
            target_grid: BucketGrid::default(),
            hunter: match config.npc_brain {
                learned::NpcBrain::Learned => Some(learned::Policy::hunter()),
                learned::NpcBrain::Scripted => None,
            },
            combat: Combat::default(),
            parties: party::Parties::default(),
            frame_slots: Vec::new(),
            owners: Owners::default(),
            layout: Layout::new(config.geometry),
            handoff: Handoff::new(config.zone, ids.start.0),
            ghosts: Ghosts::default(),
            outbox: Vec::new(),
            remote_hits: Vec::new(),
            released: Vec::new(),
            arrivals: Vec::new(),
            held: Vec::new(),
            logged_out: Vec::new(),
            handbacks: Vec::new(),
            reconciling: Vec::new(),
            items: items::Items::default(),
            gives: gives::Gives::new(config.zone, ids.start.0),
            lost: std::collections::BTreeSet::new(),
            unreachable: std::collections::BTreeSet::new(),
            config,
        }
    }

    pub fn config(&self) -> &ZoneConfig {
        &self.config
    }

    /// The terrain the zone simulates on: its owned cells and their neighbours.
    pub fn terrain(&self) -> &TerrainMap {
        &self.tiles
    }

    /// Takes a cell: generates its terrain (and its neighbours'), spawns its NPCs on standing
    /// places chosen with the zone's RNG. Taking a cell again only raises its epoch.
    pub fn own_cell(&mut self, cell: CellId, epoch: Epoch) {
        if self.take_cell(cell, epoch) {
            self.spawn_cell_npcs(cell, epoch);
        }
    }

    /// Starts owning a cell (no NPCs: a migrated cell brings its own); true if it is new here.
    fn take_cell(&mut self, cell: CellId, epoch: Epoch) -> bool {
        if !self.config.geometry.holds(cell) {
            return false;
        }
        if !self.layout.is_leaf(cell) {
            // Handed a quarter (or a merged cell) before the registry's reshape reached here.
            self.reshape_to(cell);
        }
        self.owners.set(cell, self.config.zone, epoch);
        if !self.owned.insert(cell, epoch) {
            return false;
        }
        self.ghosts.forget(cell);
        for near in self.config.geometry.neighbourhood(cell) {
            if !self.tiles.contains(near) {
                self.tiles.insert(Arc::new(self.generator.generate_cell(near)));
            }
        }
        true
    }

    fn spawn_cell_npcs(&mut self, cell: CellId, epoch: Epoch) {
        // A cell with nowhere to stand (solid rock) gets no NPCs.
        let spots = standing_spots(&self.tiles, &self.config.geometry, cell);
        // A quarter gets its share of a cell's NPCs.
        let npcs = if spots.is_empty() { 0 } else { self.config.npcs_per_cell >> (2 * cell.depth) };
        tracing::debug!(zone = %self.config.zone, %cell, %epoch, npcs, "cell owned");
        for _ in 0..npcs {
            let pos = spots[self.rng.below(spots.len() as u32) as usize];
            let species = match self.rng.below(10) {
                0..=4 => 0,
                5..=7 => 1,
                _ => rules::HUNTER,
            };
            self.spawn_npc(pos, species);
        }
    }

    /// The owned cells and their epochs, in cell order.
    pub fn owned_cells(&self) -> Vec<(CellId, Epoch)> {
        self.owned.iter().collect()
    }

    /// A fresh entity id, if the reserve has a number.
    fn new_id(&mut self) -> Option<EntityId> {
        let id = self.ids.take().map(|n| EntityId::new(self.config.zone, n));
        if id.is_none() {
            tracing::warn!(zone = %self.config.zone, "no entity ids in hand");
        }
        id
    }

    /// More unique numbers for entity ids (a block from the store's `allocate_serials`).
    pub fn add_entity_ids(&mut self, ids: SerialBlock) {
        self.ids.add(ids);
    }

    /// How many numbers for entity ids to ask the store for now (0: enough in hand).
    pub fn entity_ids_wanted(&self) -> u64 {
        self.ids.wanted()
    }

    /// The world's middle column (tiles), where the zones' borders are.
    fn middle_column(&self) -> i32 {
        self.config.geometry.width_tiles() / 2
    }

    /// Where a player (re)enters: on the ground near `column` (tiles; the gateway's start point
    /// for a new character, else the world's middle, where the zones' borders are), a few random
    /// columns to either side, moved into the owned cell (whose ground is owned too) nearest to
    /// it; else any standing place of an owned cell.
    fn player_spawn(&mut self, column: i32) -> Option<IVec2> {
        let g = self.config.geometry;
        let spread = self.rng.below(2 * JOIN_SPREAD + 1) as i32 - JOIN_SPREAD as i32;
        let want = column + spread;
        let near = self
            .owned
            .iter()
            .filter_map(|(cell, _)| {
                let (origin, size) = g.cell_square(cell);
                let spot = self.generator.spawn_point(want.clamp(origin.x + 2, origin.x + size - 3));
                self.owned.get(self.layout.cell_of_pos(spot)).map(|_| spot)
            })
            .min_by_key(|spot| ((spot.x >> SUB_SHIFT) - want).abs());
        if near.is_some() {
            return near;
        }
        let cells: Vec<CellId> = self.owned.iter().map(|(c, _)| c).collect();
        cells.into_iter().find_map(|cell| {
            let spots = standing_spots(&self.tiles, &g, cell);
            (!spots.is_empty()).then(|| spots[self.rng.below(spots.len() as u32) as usize])
        })
    }

    /// Where a dead player comes back: on the ground of the column it died in (kept inside its
    /// cell), if this zone owns that cell and the ground there. A player never comes back far
    /// from where it fell: its gateway follows it through the cells around it, and a jump to
    /// the other side of the world would leave those.
    fn respawn_spot(&self, corpse: IVec2) -> Option<IVec2> {
        let cell = self.layout.cell_of_pos(corpse);
        self.owned.get(cell)?;
        let (origin, size) = self.config.geometry.cell_square(cell);
        let column = (corpse.x >> SUB_SHIFT).clamp(origin.x + 2, origin.x + size - 3);
        let spot = self.generator.spawn_point(column);
        (self.layout.cell_of_pos(spot) == cell).then_some(spot)
    }

    /// Adds a player standing on the ground in an owned cell.
    pub fn join_player(&mut self, name: Arc<str>) -> Result<EntityId, JoinError> {
        self.join(name, None)
    }

    /// Adds a player standing on the ground in an owned cell, playing from `route`, with the
    /// starter items.
    pub fn join(&mut self, name: Arc<str>, route: Option<SessionRoute>) -> Result<EntityId, JoinError> {
        let pos = self.player_spawn(self.middle_column()).ok_or(JoinError::NoCell)?;
        self.join_at(name, route, pos)
    }

    /// Adds a player standing at `pos` (tests and tools; [`ZoneCore::join`] picks the place).
    pub fn join_at(&mut self, name: Arc<str>, route: Option<SessionRoute>, pos: IVec2) -> Result<EntityId, JoinError> {
        let id = self.new_id().ok_or(JoinError::NoIds)?;
        // The starter items' serials are entity ids of this zone (unique in the cluster, never reused).
        let items = STARTER_ITEMS
            .iter()
            .map(|&kind| Some(Item::one(ItemSerial(self.new_id()?.0), kind)))
            .collect::<Option<Vec<Item>>>()
            .ok_or(JoinError::NoIds)?;
        tracing::debug!(zone = %self.config.zone, %id, %name, ?pos, "player joined");
        let mut player = Entity::player(id, name, pos);
        if let Role::Player(p) = &mut player.role {
            p.items = items;
            p.route = route;
        }
        self.entities.insert(player);
        Ok(id)
    }

    /// Re-creates a player whose zone died from the last state its gateway saw, under the same
    /// id (zone death: no handover came). Refused unless the player stands in an owned cell.
    pub fn restore(&mut self, record: EntityRecord) -> Result<EntityId, JoinError> {
        let cell = self.layout.cell_of_pos(record.body.pos);
        if self.owned.get(cell).is_none() {
            return Err(JoinError::NoCell);
        }
        let id = record.id;
        if self.entities.get(id).is_some() {
            // Asked again (the gateway reached this zone through a new connection, or its
            // first request's answer was lost): the player is here already.
            return Ok(id);
        }
        tracing::info!(zone = %self.config.zone, %id, %cell, "player restored after its zone died");
        self.entities.insert(Entity::from_record(record));
        Ok(id)
    }

    /// Removes a player; false if `id` is not a player here. A player this zone handed over
    /// (or is handing over) is removed where it went.
    pub fn leave_player(&mut self, id: EntityId) -> bool {
        self.leave_saved(id).is_some()
    }

    /// Queues a player's input for the coming ticks. Inputs whose `seq` is not newer than every
    /// one seen before are dropped (clients resend recent inputs); gaps are fine. Inputs for a
    /// player that left for another zone are forwarded there.
    pub fn push_input(&mut self, id: EntityId, seq: u32, buttons: Buttons) {
        self.deliver(PeerMessage::Input { entity: id, seq, buttons });
    }

    /// A player says something: a [`mmo_protocol::CellEvent::Chat`] in the next tick's frame of
    /// the cell the player stands in.
    pub fn chat(&mut self, id: EntityId, text: Arc<str>) {
        self.deliver(PeerMessage::Chat { entity: id, text });
    }

    /// Player `id`'s other party members are now `members` (by name; none: in no party): it
    /// shares kills with those standing near it here. Ignored if `id` is not a player here (its
    /// gateway tells the zone it plays on next).
    pub fn set_party(&mut self, id: EntityId, members: Vec<Arc<str>>) {
        let Some(Role::Player(p)) = self.entities.get(id).map(|e| &e.role) else { return };
        let name = p.name.clone();
        self.parties.set(name, members);
        self.parties.retain_present(self.entities.as_slice());
    }

    /// Runs one tick and returns one frame per owned cell (in cell order, also for empty cells).
    ///
    /// Phases, in order; `timer.phase_done` is called after each:
    /// 1. [`Phase::Inputs`]: every player takes the inputs it steps through this tick: one
    ///    per input received, none while its inputs are late, up to [`MAX_STEPS_PER_TICK`] to
    ///    catch up after a stall (a budget of one step per tick; a backlog over
    ///    [`MAX_BACKLOG`] is cut). The dead take theirs too but act on none.
    /// 2. [`Phase::Ai`]: every living NPC picks its buttons: leash home, chase the nearest
    ///    living player in range (found through a bucket grid), or patrol.
    /// 3. [`Phase::Physics`]: [`mmo_world::Body::step`] for every living entity against the
    ///    zone's terrain: a player once per input of the tick, an NPC once with its buttons;
    ///    facing follows the direction held. Dead players fall without buttons; dead NPCs do
    ///    not move. Living players then pick up the ground items at their feet.
    /// 4. [`Phase::Combat`]: swings resolve in id order against a bucket grid of opponents:
    ///    damage, hurt and death marks, XP for the killing blow. Swings reaching ghosts become
    ///    hit requests to their owners; hits other zones asked for are applied. Every NPC that
    ///    died drops an item (a fresh serial) where it fell.
    /// 5. [`Phase::Respawn`]: players dead for [`rules::PLAYER_RESPAWN_TICKS`] come back at a
    ///    spawn point, NPCs dead for [`rules::NPC_RESPAWN_TICKS`] at their own, both at full HP.
    /// 6. [`Phase::Handoff`]: entities whose feet are in a cell another zone owns, and cells
    ///    given to another zone, are marked to leave (an entity whose own arrival is not settled
    ///    yet waits, simulated here, until it is).
    /// 7. [`Phase::Publish`]: the frames: every entity in the owned cell its feet are in (one in
    ///    another zone's cell in the cell it was last published in), sorted by id (dead NPCs left
    ///    out), the chat said since the last tick and the cell's ground items. Then the leaving entities and cells are
    ///    frozen and sent ([`ZoneCore::drain_outbox`]), and unanswered transfers resent.
    ///
    /// First, transfers accepted for this tick start (see [`ZoneCore::handle_peer`]), and the
    /// ghosts seen by AI and combat are rebuilt from the frames received since the last tick.
    pub fn tick(&mut self, tick: Tick, timer: &mut impl PhaseTimer) -> Vec<CellFrame> {
        self.now = tick;
        self.start_arrivals();
        let (entities, handoff) = (&self.entities, &self.handoff);
        self.ghosts.rebuild(tick, |id| entities.get(id).is_some() || handoff.is_frozen(id));

        for e in self.entities.as_mut_slice() {
            if let Role::Player(p) = &mut e.role {
                p.steps = p.inputs.take_tick();
                e.buttons = if e.died.is_none() { p.steps.held() } else { Buttons::default() };
            }
        }
        timer.phase_done(Phase::Inputs);

        self.think();
        timer.phase_done(Phase::Ai);

        for e in self.entities.as_mut_slice() {
            e.advance(&self.tiles);
        }
        self.pick_up();
        timer.phase_done(Phase::Physics);

        self.combat_phase();
        self.drop_loot();
        timer.phase_done(Phase::Combat);

        self.respawn();
        timer.phase_done(Phase::Respawn);

        let plan = self.plan_departures();
        timer.phase_done(Phase::Handoff);

        let published =
            Published { zone: self.config.zone, now: tick, owned: &self.owned, layout: &self.layout, away: &plan.away };
        let mut frames =
            publish::frames(published, self.entities.as_mut_slice(), &mut self.chats, &mut self.frame_slots);
        if !self.items.ground.is_empty() {
            for frame in &mut frames {
                frame.items = self.ground_in(frame.cell);
            }
        }
        self.depart(plan);
        self.age_gives();
        timer.phase_done(Phase::Publish);
        frames
    }

    fn combat_phase(&mut self) {
        let zone = self.config.zone;
        let summary = self.combat.resolve(self.entities.as_mut_slice(), self.now);
        for (killer, victim, xp) in self.combat.take_kills() {
            for (to, share) in self.parties.award(self.entities.as_mut_slice(), &self.ghosts, (killer, victim), xp) {
                self.send_peer(to, share);
            }
        }
        for (to, hit) in self.combat.ghost_hits(self.entities.as_slice(), self.ghosts.list(), zone, self.now) {
            self.outbox.push((to, PeerMessage::Hit(hit)));
        }
        let hits = std::mem::take(&mut self.remote_hits);
        let (remote, credits) = self.combat.apply_remote(self.entities.as_mut_slice(), &hits, self.now);
        for (to, credit) in credits {
            self.send_peer(to, credit);
        }
        if summary.kills + remote.kills > 0 {
            tracing::trace!(zone = %zone, tick = %self.now, ?summary, ?remote, "combat");
        }
    }

    fn think(&mut self) {
        self.targets.clear();
        let now = self.now;
        let players = self.entities.as_slice().iter().filter(|e| e.is_player() && e.alive());
        self.targets.extend(players.map(|e| ai::Target {
            pos: e.body.pos,
            vel: e.body.vel,
            facing_left: e.facing_left,
            hp: e.hp,
            max_hp: e.max_hp,
            swinging: e.last_attack.is_some_and(|at| now.since(at) < rules::ATTACK_POSE_TICKS),
        }));
        let ghosts = self.ghosts.list().iter().filter(|g| g.is_player && g.alive);
        self.targets.extend(ghosts.map(|g| ai::Target {
            pos: g.pos,
            vel: g.vel,
            facing_left: g.facing_left,
            hp: g.hp,
            max_hp: g.max_hp,
            swinging: g.swinging,
        }));
        self.target_grid.rebuild(self.targets.iter().enumerate().map(|(k, t)| (k as u32, t.pos)));
        let mind = Mind { tiles: &self.tiles, seed: self.config.seed, now: self.now, hunter: self.hunter.as_ref() };
        for e in self.entities.as_mut_slice() {
            if e.is_player() || !e.alive() {
                continue;
            }
            let target = ai::nearest_target(&self.target_grid, &self.targets, e.body.pos);
            e.buttons = mind.decide(e, target);
        }
    }

    fn respawn(&mut self) {
        let now = self.now;
        for i in 0..self.entities.len() {
            let e = &self.entities.as_slice()[i];
            let Some(died) = e.died else { continue };
            let pos = match &e.role {
                Role::Player(_) if now.since(died) >= rules::PLAYER_RESPAWN_TICKS => {
                    let corpse = e.body.pos;
                    let middle = self.middle_column();
                    self.respawn_spot(corpse).or_else(|| self.player_spawn(middle)).unwrap_or(corpse)
                }
                Role::Npc(n) if now.since(died) >= rules::NPC_RESPAWN_TICKS => n.home,
                _ => continue,
            };
            self.entities.as_mut_slice()[i].respawn(pos);
        }
    }

    /// The state of one entity as of the last tick (also while dead).
    pub fn entity(&self, id: EntityId) -> Option<EntityState> {
        self.entities.get(id).map(|e| e.state(self.now))
    }

    /// Entities the zone simulates, players and NPCs, dead ones waiting to respawn included
    /// (not those frozen in a transfer).
    pub fn entity_count(&self) -> usize {
        self.entities.len()
    }

    /// Has the hunters fight with `policy` (training, and tools comparing policies).
    pub fn set_hunter_policy(&mut self, policy: learned::Policy) {
        self.hunter = Some(policy);
    }

    /// Adds an NPC of `species` whose spawn point (home) is `pos`, walking a random way.
    /// None: no entity id in hand (the store is not answering), no NPC.
    pub fn spawn_npc(&mut self, pos: IVec2, species: u8) -> Option<EntityId> {
        let id = self.new_id()?;
        let dir = if self.rng.below(2) == 0 { -1 } else { 1 };
        self.entities.insert(Entity::npc(id, species, pos, Brain::new(dir)));
        Some(id)
    }
}
