//! NPCs live in the cells a zone takes: they stand on the ground, patrol near home, chase
//! players who come close and hurt them.

use glam::IVec2;
use mmo_protocol::cell::pose;
use mmo_protocol::EntityKind;
use mmo_world::physics::SUB;
use mmo_world::terrain::TerrainMap;
use mmo_world::{CellId, EntityId, Epoch, Terrain, Tick, Tile, TileSource, WorldGeometry, ZoneId};
use mmo_zone_core::{ZoneConfig, ZoneCore};

/// Entity ids for the core under test (the host takes them from the store).
const FIRST_IDS: mmo_world::SerialBlock = mmo_world::SerialBlock::from_start(1, 1 << 20);

const SEED: u64 = 5;

fn world(npcs_per_cell: u32) -> ZoneCore {
    let geometry = WorldGeometry::default();
    let mut core = ZoneCore::new(
        ZoneConfig { zone: ZoneId(4), seed: SEED, geometry, npcs_per_cell, npc_brain: Default::default() },
        FIRST_IDS,
    );
    for cell in geometry.cells() {
        core.own_cell(cell, Epoch(1));
    }
    core
}

fn ground_beside(core: &ZoneCore, id: EntityId, dx: i32) -> IVec2 {
    let terrain = Terrain::new(SEED, core.config().geometry);
    terrain.spawn_point((core.entity(id).unwrap().body.pos.x >> 8) + dx)
}

fn supported(tiles: &TerrainMap, pos: IVec2) -> bool {
    let row = pos.y >> 8;
    [pos.x - 96, pos.x + 95].iter().any(|x| tiles.tile(x >> 8, row) != Tile::Empty)
}

#[test]
fn taking_cells_spawns_npcs_standing_in_them() {
    let core = world(12);
    let geometry = core.config().geometry;
    assert_eq!(core.owned_cells().len(), 8);
    let mut per_cell = std::collections::BTreeMap::<CellId, u32>::new();
    let mut species = [0; 3];
    for n in 1..=core.entity_count() as u64 {
        let npc = core.entity(EntityId::new(ZoneId(4), n)).expect("ids count up from 1");
        let EntityKind::Npc { species: s } = npc.kind else { panic!("only NPCs") };
        species[usize::from(s)] += 1;
        assert!(supported(core.terrain(), npc.body.pos), "{:?} stands on something", npc.body.pos);
        *per_cell.entry(geometry.cell_of_pos(npc.body.pos)).or_default() += 1;
        let max = [30, 60, 45][usize::from(s)];
        assert_eq!((npc.hp, npc.max_hp), (max, max));
    }
    assert!(per_cell.values().all(|&n| n == 12), "{per_cell:?}");
    assert_eq!(per_cell.len(), 8);
    // Half slimes, then brutes, then hunters.
    assert!(species[0] > species[1] && species[1] > species[2] && species[2] > 0, "{species:?}");
}

#[test]
fn patrolling_npcs_stay_near_home_and_on_their_feet() {
    let mut core = world(10);
    let ids: Vec<EntityId> = (1..=core.entity_count() as u64).map(|n| EntityId::new(ZoneId(4), n)).collect();
    let homes: Vec<IVec2> = ids.iter().map(|id| core.entity(*id).unwrap().body.pos).collect();
    let mut moved = 0;
    let mut grounded = 0;
    for t in 1..=400 {
        core.tick(Tick(t), &mut ());
    }
    for (id, home) in ids.iter().zip(&homes) {
        let npc = core.entity(*id).unwrap();
        assert!((npc.body.pos.x - home.x).abs() <= 26 * SUB, "{id} wandered off: {home} -> {}", npc.body.pos);
        moved += usize::from(npc.body.pos != *home);
        grounded += usize::from(npc.pose & pose::ON_GROUND != 0);
    }
    assert!(moved * 10 > ids.len() * 8, "most patrol: {moved} of {}", ids.len());
    assert!(grounded * 10 > ids.len() * 8, "most walk on the ground: {grounded} of {}", ids.len());
}

#[test]
fn an_npc_chases_a_nearby_player_and_hurts_them() {
    let mut core = world(0);
    let hero = core.join_player("hero".into()).unwrap();
    let start = ground_beside(&core, hero, 6);
    let wolf = core.spawn_npc(start, 1).expect("ids in hand");
    let mut hurt_seen = false;
    let mut hit_at = None;
    for t in 1..=80 {
        let frames = core.tick(Tick(t), &mut ());
        let me = frames.iter().flat_map(|f| &f.entities).find(|e| e.id == hero).unwrap();
        hurt_seen |= me.pose & pose::HURT != 0;
        if me.hp < 100 && hit_at.is_none() {
            hit_at = Some(t);
            assert_eq!(me.hp, 86, "a species 1 hit is 14");
        }
    }
    let hit_at = hit_at.expect("the NPC hurt the player");
    assert!(hurt_seen);
    let (me, npc) = (core.entity(hero).unwrap(), core.entity(wolf).unwrap());
    assert!((npc.body.pos.x - me.body.pos.x).abs() <= 2 * SUB, "came close: {} vs {}", npc.body.pos, me.body.pos);
    // 80 ticks: the first hit and then one every 20 ticks.
    let hits = 1 + (80 - hit_at) / 20;
    assert_eq!(u64::from(100 - me.hp), 14 * hits);
}

#[test]
fn npcs_ignore_players_out_of_range() {
    let mut core = world(0);
    let hero = core.join_player("hero".into()).unwrap();
    let far = core.spawn_npc(ground_beside(&core, hero, 40), 1).expect("ids in hand");
    let home = core.entity(far).unwrap().body.pos;
    for t in 1..=200 {
        core.tick(Tick(t), &mut ());
    }
    assert_eq!(core.entity(hero).unwrap().hp, 100);
    assert!((core.entity(far).unwrap().body.pos.x - home.x).abs() <= 26 * SUB);
}
