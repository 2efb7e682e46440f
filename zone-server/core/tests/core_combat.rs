//! Players kill NPCs by attacking them and get their experience once.

use glam::IVec2;
use mmo_protocol::cell::pose;
use mmo_protocol::{CellFrame, EntityState};
use mmo_world::{Buttons, EntityId, Epoch, Terrain, Tick, WorldGeometry, ZoneId};
use mmo_zone_core::{ZoneConfig, ZoneCore};

/// Entity ids for the core under test (the host takes them from the store).
const FIRST_IDS: mmo_world::SerialBlock = mmo_world::SerialBlock::from_start(1, 1 << 20);

const SEED: u64 = 77;

fn world() -> ZoneCore {
    let geometry = WorldGeometry::default();
    let mut core = ZoneCore::new(
        ZoneConfig { zone: ZoneId(3), seed: SEED, geometry, npcs_per_cell: 0, npc_brain: Default::default() },
        FIRST_IDS,
    );
    for cell in geometry.cells() {
        core.own_cell(cell, Epoch(1));
    }
    core
}

/// The ground `dx` tiles to the right of an entity.
fn ground_beside(core: &ZoneCore, id: EntityId, dx: i32) -> IVec2 {
    let terrain = Terrain::new(SEED, core.config().geometry);
    terrain.spawn_point((core.entity(id).unwrap().body.pos.x >> 8) + dx)
}

fn find(frames: &[CellFrame], id: EntityId) -> Option<&EntityState> {
    frames.iter().flat_map(|f| &f.entities).find(|e| e.id == id)
}

#[test]
fn attacking_an_npc_kills_it_and_gives_its_xp_once() {
    let mut core = world();
    let hero = core.join_player("hero".into()).unwrap();
    let slime = core.spawn_npc(ground_beside(&core, hero, 1), 0).expect("ids in hand");
    let mut seq = 0;
    let mut attack = |core: &mut ZoneCore, t: u64| {
        seq += 1;
        core.push_input(hero, seq, Buttons(Buttons::ATTACK));
        core.tick(Tick(t), &mut ())
    };

    let frames = attack(&mut core, 1);
    let me = find(&frames, hero).unwrap();
    assert_eq!(me.pose & pose::ATTACKING, pose::ATTACKING);
    let npc = find(&frames, slime).unwrap();
    assert_eq!((npc.hp, npc.max_hp), (18, 30), "one hit of 12");
    assert_eq!(npc.pose & pose::HURT, pose::HURT);

    // Holding attack swings every 8 ticks: the second hit lands at tick 9, the third kills.
    let mut died = None;
    for t in 2..=40 {
        let frames = attack(&mut core, t);
        let npc = find(&frames, slime);
        if t < 9 {
            assert_eq!(npc.unwrap().hp, 18, "cooldown, tick {t}");
        }
        if npc.is_none() && died.is_none() {
            died = Some(t);
            let me = find(&frames, hero).unwrap();
            assert_eq!((me.xp, me.level), (10, 1));
        }
    }
    assert_eq!(died, Some(17), "the third hit, 16 ticks after the first");
    let corpse = core.entity(slime).unwrap();
    assert_eq!((corpse.hp, corpse.pose & pose::DEAD), (0, pose::DEAD));
    assert_eq!(core.entity(hero).unwrap().xp, 10, "credited once while swinging at nothing");
}

#[test]
fn ten_kills_in_one_swing_make_a_level() {
    let mut core = world();
    let hero = core.join_player("hero".into()).unwrap();
    let spot = ground_beside(&core, hero, 1);
    let pack: Vec<EntityId> = (0..10).map(|_| core.spawn_npc(spot, 0).expect("ids in hand")).collect();
    let mut worst_hp = 100;
    for t in 1..=20 {
        core.push_input(hero, t as u32, Buttons(Buttons::ATTACK));
        let frames = core.tick(Tick(t), &mut ());
        worst_hp = worst_hp.min(find(&frames, hero).unwrap().hp);
    }
    assert!(pack.iter().all(|id| core.entity(*id).unwrap().pose & pose::DEAD != 0));
    let me = core.entity(hero).unwrap();
    assert_eq!((me.xp, me.level), (100, 2));
    assert!(worst_hp < 100, "the pack hit back");
}

#[test]
fn attacks_reach_only_in_front() {
    let mut core = world();
    let hero = core.join_player("hero".into()).unwrap();
    let behind = core.spawn_npc(ground_beside(&core, hero, -2), 1).expect("ids in hand");
    let far = core.spawn_npc(ground_beside(&core, hero, 4), 1).expect("ids in hand");
    core.push_input(hero, 1, Buttons(Buttons::ATTACK));
    core.tick(Tick(1), &mut ());
    assert_eq!(core.entity(behind).unwrap().hp, 60);
    assert_eq!(core.entity(far).unwrap().hp, 60);
    // Facing left, the one behind is in reach (attack held until the cooldown allows a swing).
    core.push_input(hero, 2, Buttons(Buttons::LEFT));
    core.tick(Tick(2), &mut ());
    for t in 3..=9 {
        core.push_input(hero, t as u32, Buttons(Buttons::ATTACK));
        core.tick(Tick(t), &mut ());
    }
    assert_eq!(core.entity(behind).unwrap().hp, 48);
    assert_eq!(core.entity(far).unwrap().hp, 60);
}
