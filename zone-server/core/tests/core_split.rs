//! A crowded cell split into quarters and merged back, with two zone cores linked
//! deterministically: the zone that owned the cell keeps simulating everything in it (now in
//! four frames), a quarter moves to the other zone like any cell, a player walks across the
//! border between two quarters of different zones, and the quarters, gathered again, merge.

mod support;

use mmo_world::physics::SUB;
use mmo_world::{Buttons, CellId, EntityId, WorldGeometry, ZoneId};
use std::collections::BTreeSet;
use support::{shown_in, Cluster};

const WEST: ZoneId = ZoneId(1);
const EAST: ZoneId = ZoneId(2);
const GEOMETRY: WorldGeometry = WorldGeometry { width_cells: 4, height_cells: 1, cell_tiles: 128 };

/// Every entity of the tick is in exactly one frame; the ids of all of them.
fn each_once(frames: &[mmo_protocol::CellFrame]) -> BTreeSet<EntityId> {
    let mut seen = BTreeSet::new();
    for f in frames {
        for e in &f.entities {
            assert!(seen.insert(e.id), "{} in two frames", e.id);
        }
    }
    seen
}

#[test]
fn a_split_and_a_move_of_a_quarter_read_at_once_hand_the_quarter_over() {
    let mut cluster = Cluster::halves(5, GEOMETRY, 8);
    let crowded = CellId::new(1, 0);
    let before = each_once(&cluster.tick());
    cluster.split_unread(crowded);
    cluster.move_unread(crowded.quarter(1), EAST);
    cluster.read_table();
    let mut frames = Vec::new();
    for _ in 0..4 {
        frames = cluster.tick();
    }
    assert_eq!(each_once(&frames), before, "nothing lost");
    let by = |cell: CellId| frames.iter().find(|f| f.cell == cell).map(|f| f.zone);
    assert_eq!(by(crowded.quarter(1)), Some(EAST), "the moved quarter went to zone 2");
    for q in [0, 2, 3] {
        assert_eq!(by(crowded.quarter(q)), Some(WEST), "quarter {q} stayed");
    }
    assert_eq!(by(crowded), None, "nobody publishes the split cell");
}

#[test]
fn a_split_cell_is_shared_between_zones_and_merges_back_with_nothing_lost() {
    let mut cluster = Cluster::halves(11, GEOMETRY, 4);
    let crowded = CellId::new(1, 0);
    let q = crowded.quarters();
    // Players in each half of the crowded cell (columns 140 and 240 of 128..256).
    let ground = mmo_world::Terrain::new(11, GEOMETRY);
    let players: Vec<EntityId> = [140, 160, 230, 240]
        .iter()
        .enumerate()
        .map(|(i, &x)| cluster.core_mut(WEST).join_at(format!("p{i}").into(), None, ground.spawn_point(x)).unwrap())
        .collect();
    let before = each_once(&cluster.tick());

    // The split: zone 1 keeps all four quarters and publishes them, with everything it had.
    cluster.split(crowded);
    let frames = cluster.tick();
    assert_eq!(each_once(&frames), before, "the split moved or lost nothing");
    let west_cells: BTreeSet<CellId> = frames.iter().filter(|f| f.zone == WEST).map(|f| f.cell).collect();
    assert_eq!(west_cells, BTreeSet::from([CellId::new(0, 0), q[0], q[1], q[2], q[3]]));
    for f in &frames {
        for e in &f.entities {
            assert_eq!(
                cluster.core(f.zone).layout().cell_of_pos(e.body.pos),
                f.cell,
                "{} in its quarter's frame",
                e.id
            );
        }
    }

    // The quarters bordering zone 2 move there, with what is in them.
    cluster.move_cell(q[1], EAST);
    cluster.move_cell(q[3], EAST);
    let mut frames = cluster.tick();
    for _ in 0..3 {
        frames = cluster.tick();
    }
    assert_eq!(each_once(&frames), before, "the migrations moved or lost nothing");
    let east_cells: BTreeSet<CellId> = frames.iter().filter(|f| f.zone == EAST).map(|f| f.cell).collect();
    assert!(east_cells.contains(&q[1]) && east_cells.contains(&q[3]), "{east_cells:?}");
    let east_players = players.iter().filter(|p| shown_in(&frames, **p)[0].zone == EAST).count();
    assert_eq!(east_players, 2, "the players in the east quarters went with them");

    // A player walks east across the border between two quarters of different zones.
    let walker = players[1];
    let border = (128 + 64) * SUB;
    let mut shown_by = WEST;
    let mut crossed = false;
    for seq in 1..400 {
        cluster.core_mut(shown_by).push_input(walker, seq, Buttons(Buttons::RIGHT | Buttons::JUMP));
        assert_eq!(cluster.holders(walker).len(), 1, "one zone holds the walker");
        let frames = cluster.tick();
        let shown = shown_in(&frames, walker);
        assert_eq!(shown.len(), 1, "the walker in one frame every tick");
        shown_by = shown[0].zone;
        let x = shown[0].entities.iter().find(|e| e.id == walker).unwrap().body.pos.x;
        if x > border + 4 * SUB {
            crossed = true;
            break;
        }
    }
    assert!(crossed && shown_by == EAST, "the walker crossed into zone 2's quarter");

    // The crowd leaves: the quarters come back to zone 1 and merge.
    cluster.move_cell(q[1], WEST);
    cluster.move_cell(q[3], WEST);
    for _ in 0..4 {
        cluster.tick();
    }
    cluster.merge(crowded);
    let frames = cluster.tick();
    assert_eq!(each_once(&frames), before, "nothing lost through split, moves, walk and merge");
    let west_cells: BTreeSet<CellId> = frames.iter().filter(|f| f.zone == WEST).map(|f| f.cell).collect();
    assert_eq!(west_cells, BTreeSet::from([CellId::new(0, 0), crowded]));
    assert!(cluster.cores.iter().all(|c| c.layout().is_grid()), "every zone sees the grid again");
}
