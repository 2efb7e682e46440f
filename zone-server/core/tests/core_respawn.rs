//! The dead: players lie dead for 60 ticks and come back at full health; NPCs vanish for 100.

use glam::IVec2;
use mmo_protocol::cell::pose;
use mmo_protocol::{CellFrame, EntityState};
use mmo_world::{Buttons, EntityId, Epoch, Terrain, Tick, WorldGeometry, ZoneId};
use mmo_zone_core::{ZoneConfig, ZoneCore};

/// Entity ids for the core under test (the host takes them from the store).
const FIRST_IDS: mmo_world::SerialBlock = mmo_world::SerialBlock::from_start(1, 1 << 20);

const SEED: u64 = 31;

fn world() -> ZoneCore {
    let geometry = WorldGeometry::default();
    let mut core = ZoneCore::new(
        ZoneConfig { zone: ZoneId(5), seed: SEED, geometry, npcs_per_cell: 0, npc_brain: Default::default() },
        FIRST_IDS,
    );
    for cell in geometry.cells() {
        core.own_cell(cell, Epoch(1));
    }
    core
}

fn ground_beside(core: &ZoneCore, id: EntityId, dx: i32) -> IVec2 {
    Terrain::new(SEED, core.config().geometry).spawn_point((core.entity(id).unwrap().body.pos.x >> 8) + dx)
}

fn find(frames: &[CellFrame], id: EntityId) -> Option<EntityState> {
    frames.iter().flat_map(|f| &f.entities).find(|e| e.id == id).cloned()
}

#[test]
fn a_killed_player_lies_dead_ignores_input_and_respawns_after_60_ticks() {
    let mut core = world();
    let hero = core.join_player("hero".into()).unwrap();
    let spot = ground_beside(&core, hero, 0);
    for _ in 0..8 {
        core.spawn_npc(spot, 1).expect("ids in hand");
    }
    let mut seq = 0;
    let mut died = None;
    for t in 1..=40 {
        let me = find(&core.tick(Tick(t), &mut ()), hero).unwrap();
        if me.pose & pose::DEAD != 0 {
            assert_eq!(me.hp, 0);
            died = Some(t);
            break;
        }
    }
    let died = died.expect("eight monsters kill a player");
    let corpse = core.entity(hero).unwrap().body.pos;
    for t in died + 1..died + 60 {
        seq += 1;
        core.push_input(hero, seq, Buttons(Buttons::RIGHT | Buttons::JUMP | Buttons::ATTACK));
        let me = find(&core.tick(Tick(t), &mut ()), hero).expect("the dead stay in the frames");
        assert_eq!(me.pose & pose::DEAD, pose::DEAD, "tick {t}");
        assert_eq!(me.pose & pose::ATTACKING, 0);
        assert_eq!((me.hp, me.body.pos), (0, corpse), "tick {t}: no moving while dead");
    }
    let me = find(&core.tick(Tick(died + 60), &mut ()), hero).unwrap();
    assert_eq!(me.pose & pose::DEAD, 0, "back 60 ticks after dying");
    assert_eq!(me.hp, 100);
    assert!(me.body.on_ground);
}

#[test]
fn a_player_killed_far_from_the_start_comes_back_where_it_fell() {
    let mut core = world();
    let g = core.config().geometry;
    let column = g.width_tiles() - i32::from(g.cell_tiles) / 2;
    let ground = Terrain::new(SEED, g).spawn_point(column);
    assert_eq!(g.cell_of_pos(ground).x, g.width_cells - 1, "in the last column of cells");
    let hero = core.join_at("far".into(), None, ground).unwrap();
    for _ in 0..8 {
        core.spawn_npc(ground, 1).expect("ids in hand");
    }
    let mut t = 0;
    let corpse = loop {
        t += 1;
        assert!(t < 200, "eight monsters kill a player");
        let me = find(&core.tick(Tick(t), &mut ()), hero).unwrap();
        if me.pose & pose::DEAD != 0 {
            break me.body.pos;
        }
    };
    let back = loop {
        t += 1;
        let me = find(&core.tick(Tick(t), &mut ()), hero).unwrap();
        if me.pose & pose::DEAD == 0 {
            break me;
        }
    };
    assert_eq!(g.cell_of_pos(back.body.pos), g.cell_of_pos(corpse), "back in the cell it fell in");
    assert!(((back.body.pos.x - corpse.x) >> 8).abs() <= 2, "in the column it fell in: {back:?} {corpse}");
}

#[test]
fn a_dead_npc_respawns_at_home_after_100_ticks() {
    let mut core = world();
    let hero = core.join_player("hero".into()).unwrap();
    let home = ground_beside(&core, hero, 1);
    let slime = core.spawn_npc(home, 0).expect("ids in hand");
    let mut died = None;
    for t in 1..=30 {
        core.push_input(hero, t as u32, Buttons(Buttons::ATTACK));
        if find(&core.tick(Tick(t), &mut ()), slime).is_none() {
            died = Some(t);
            break;
        }
    }
    let died = died.expect("killed by three hits");
    core.push_input(hero, 100, Buttons::default());
    for t in died + 1..died + 100 {
        assert!(find(&core.tick(Tick(t), &mut ()), slime).is_none(), "still gone at tick {t}");
    }
    let back = find(&core.tick(Tick(died + 100), &mut ()), slime).expect("back after 100 ticks");
    assert_eq!((back.hp, back.max_hp, back.pose & pose::DEAD), (30, 30, 0));
    assert_eq!(back.body.pos, home);
    assert_eq!(core.entity(hero).unwrap().xp, 10);
}
