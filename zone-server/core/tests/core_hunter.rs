//! The hunter and its learned brain in the zone: it fights a player, decides the same on any
//! zone (fixed point, no dice), continues the same fight on the zone that restores it from a
//! checkpoint, records the policy version in its checkpoints, and `--npc-brain scripted` gives
//! it the scripted brain.

use glam::IVec2;
use mmo_protocol::EntityState;
use mmo_world::{Buttons, EntityId, Epoch, SerialBlock, Terrain, Tick, WorldGeometry, ZoneId};
use mmo_zone_core::learned::{NpcBrain, Policy};
use mmo_zone_core::{rules, ZoneConfig, ZoneCore, CHECKPOINT_EVERY_TICKS};

const SEED: u64 = 77;

/// A zone owning the whole world, with no NPCs but a hunter 4 tiles left of a player who walks
/// at it and swings.
struct Fight {
    core: ZoneCore,
    hunter: EntityId,
    player: EntityId,
}

impl Fight {
    fn new(zone: ZoneId, ids: SerialBlock, npc_brain: NpcBrain) -> Fight {
        let geometry = WorldGeometry::default();
        let mut core = ZoneCore::new(ZoneConfig { zone, seed: SEED, geometry, npcs_per_cell: 0, npc_brain }, ids);
        for cell in geometry.cells() {
            core.own_cell(cell, Epoch(1));
        }
        let player = core.join_player("hero".into()).unwrap();
        let terrain = Terrain::new(SEED, geometry);
        let x = core.entity(player).unwrap().body.pos.x >> 8;
        let hunter = core.spawn_npc(terrain.spawn_point(x - 4), rules::HUNTER).expect("ids in hand");
        Fight { core, hunter, player }
    }

    fn state(&self, id: EntityId) -> EntityState {
        self.core.entity(id).unwrap()
    }

    /// One tick: the player walks at the hunter, swinging.
    fn tick(&mut self, t: u64) {
        let (me, it) = (self.state(self.player), self.state(self.hunter));
        let toward = if it.body.pos.x < me.body.pos.x { Buttons::LEFT } else { Buttons::RIGHT };
        self.core.push_input(self.player, t as u32, Buttons(toward | Buttons::ATTACK));
        self.core.tick(Tick(t), &mut ());
    }
}

#[test]
fn the_learned_hunter_fights_and_every_zone_decides_alike() {
    let mut here = Fight::new(ZoneId(1), SerialBlock::from_start(1, 1 << 20), NpcBrain::Learned);
    let mut there = Fight::new(ZoneId(9), SerialBlock::from_start(5_000_000, 1 << 20), NpcBrain::Learned);
    let mut hurt_player = false;
    for t in 1..=120 {
        here.tick(t);
        there.tick(t);
        let (a, b) = (here.state(here.hunter), there.state(there.hunter));
        assert_eq!((a.body, a.hp, a.pose), (b.body, b.hp, b.pose), "tick {t}: another zone, the same hunter");
        hurt_player |= here.state(here.player).hp < rules::PLAYER_MAX_HP;
        if a.hp == 0 {
            break;
        }
    }
    assert!(hurt_player, "the hunter hit the player");
}

/// The policy the hunter's zone ran, as the checkpoint of the hunter's cell records it.
fn recorded_policy(fight: &mut Fight) -> u16 {
    for t in 1..=CHECKPOINT_EVERY_TICKS {
        fight.tick(t);
    }
    let checkpoints = fight.core.take_checkpoints();
    let of_hunter = checkpoints.iter().find(|c| c.npcs.iter().any(|n| n.id == fight.hunter));
    of_hunter.expect("the hunter is in its cell's checkpoint").policy
}

#[test]
fn checkpoints_record_the_brain_and_scripted_hunters_fight_otherwise() {
    let ids = SerialBlock::from_start(1, 1 << 20);
    let mut learned = Fight::new(ZoneId(1), ids, NpcBrain::Learned);
    let mut scripted = Fight::new(ZoneId(1), ids, NpcBrain::Scripted);
    assert_eq!(recorded_policy(&mut learned), Policy::hunter().version());
    assert_eq!(recorded_policy(&mut scripted), 0, "no learned policy decided");
    let positions = |f: &Fight| -> IVec2 { f.state(f.hunter).body.pos };
    assert_ne!(positions(&learned), positions(&scripted), "two brains, two fights");
}

/// Zone A runs a fight with a player standing still; at a checkpoint tick zone B restores the
/// hunter's cell from A's checkpoint and the player as its gateway would (from the last frame,
/// `mmo_cluster::revive`). From then on both zones run the same fight, tick for tick.
#[test]
fn a_hunter_restored_on_another_zone_from_a_checkpoint_fights_on_the_same() {
    let geometry = WorldGeometry::default();
    let mut a = Fight::new(ZoneId(1), SerialBlock::from_start(1, 1 << 20), NpcBrain::Learned);
    let stand = |f: &mut Fight, t: u64| {
        f.core.push_input(f.player, t as u32, Buttons::default());
        f.core.tick(Tick(t), &mut ());
    };
    let mut t = 0;
    while t < CHECKPOINT_EVERY_TICKS * 2 {
        t += 1;
        stand(&mut a, t);
    }
    let hunter_cell = geometry.cell_of_pos(a.state(a.hunter).body.pos);
    let checkpoint =
        a.core.take_checkpoints().into_iter().find(|c| c.cell == hunter_cell).expect("its cell's checkpoint");
    assert!(!checkpoint.npcs.is_empty(), "the hunter is in it");

    let config = ZoneConfig { zone: ZoneId(2), seed: SEED, geometry, npcs_per_cell: 0, npc_brain: NpcBrain::Learned };
    let mut b = ZoneCore::new(config, SerialBlock::from_start(9_000_000, 1 << 20));
    for cell in geometry.cells() {
        if cell == hunter_cell {
            let restored = checkpoint.clone().resolve(|_| None);
            b.restore_cell(cell, Epoch(2), restored);
        } else {
            b.own_cell(cell, Epoch(2));
        }
    }
    let route = mmo_records::SessionRoute { gateway: mmo_world::GatewayId(1), session: mmo_world::SessionId(1) };
    let shown = a.state(a.player);
    let record = mmo_cluster::revive::record_from_state(&shown, Tick(t), route, Epoch(2), None).expect("a player");
    let player_b = b.restore(record).expect("B owns the player's cell");
    let hunter_b = b.report().entities.iter().find(|e| !e.is_player).expect("the restored hunter").id;

    let mut fought = false;
    for _ in 0..100 {
        t += 1;
        stand(&mut a, t);
        b.push_input(player_b, t as u32, Buttons::default());
        b.tick(Tick(t), &mut ());
        let (ha, hb) = (a.state(a.hunter), b.entity(hunter_b).unwrap());
        let (pa, pb) = (a.state(a.player), b.entity(player_b).unwrap());
        assert_eq!((ha.body, ha.hp, ha.pose), (hb.body, hb.hp, hb.pose), "tick {t}: the same hunter");
        assert_eq!((pa.body, pa.hp), (pb.body, pb.hp), "tick {t}: the same player");
        fought |= pa.hp < shown.hp;
    }
    assert!(fought, "the hunter fought on after the restore");
}
