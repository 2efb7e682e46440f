//! Frames: one per owned cell, every entity in exactly one, sorted by id.

use mmo_protocol::cell::pose;
use mmo_protocol::{CellFrame, EntityKind};
use mmo_world::rng::SplitMix64;
use mmo_world::{Buttons, CellId, EntityId, Epoch, Tick, WorldGeometry, ZoneId};
use mmo_zone_core::{JoinError, Phase, PhaseTimer, ZoneConfig, ZoneCore};
use proptest::prelude::*;
use std::collections::BTreeSet;

/// Entity ids for the core under test (the host takes them from the store).
const FIRST_IDS: mmo_world::SerialBlock = mmo_world::SerialBlock::from_start(1, 1 << 20);

const ZONE: ZoneId = ZoneId(8);

/// Checks a tick's frames against the core: one frame per owned cell in cell order, each
/// entity in the frame of the cell its feet are in, once, sorted; dead NPCs left out.
fn check(core: &ZoneCore, frames: &[CellFrame], tick: Tick, next_id: u64) {
    let geometry = core.config().geometry;
    let owned: Vec<(CellId, Epoch)> = core.owned_cells();
    let cells: Vec<(CellId, Epoch)> = frames.iter().map(|f| (f.cell, f.epoch)).collect();
    assert_eq!(cells, owned);
    let mut seen = BTreeSet::new();
    for f in frames {
        assert_eq!((f.zone, f.tick), (ZONE, tick));
        assert!(f.entities.windows(2).all(|w| w[0].id < w[1].id), "sorted by id in {:?}", f.cell);
        for e in &f.entities {
            assert!(seen.insert(e.id), "{} in two frames", e.id);
            assert_eq!(geometry.cell_of_pos(e.body.pos), f.cell);
            assert!(e.hp <= e.max_hp);
            assert_eq!(Some(e), core.entity(e.id).as_ref());
        }
    }
    for n in 1..next_id {
        let id = EntityId::new(ZONE, n);
        let Some(e) = core.entity(id) else { continue };
        let in_owned = owned.iter().any(|(c, _)| *c == geometry.cell_of_pos(e.body.pos));
        let gone_npc = matches!(e.kind, EntityKind::Npc { .. }) && e.pose & pose::DEAD != 0;
        assert_eq!(seen.contains(&id), in_owned && !gone_npc, "{id} listed iff alive (or a player) in an owned cell");
    }
}

#[derive(Default)]
struct Phases(Vec<Phase>);

impl PhaseTimer for Phases {
    fn phase_done(&mut self, phase: Phase) {
        self.0.push(phase);
    }
}

#[test]
fn every_owned_cell_has_a_frame_and_every_entity_one_place() {
    let geometry = WorldGeometry::default();
    let mut core = ZoneCore::new(
        ZoneConfig { zone: ZONE, seed: 11, geometry, npcs_per_cell: 25, npc_brain: Default::default() },
        FIRST_IDS,
    );
    assert_eq!(core.join_player("early".into()), Err(JoinError::NoCell));
    // Half the world: the NPCs of these cells can walk into the unowned neighbours.
    for cell in [CellId::new(1, 1), CellId::new(0, 1), CellId::new(0, 0), CellId::new(1, 0)] {
        core.own_cell(cell, Epoch(9));
    }
    core.own_cell(CellId::new(0, 0), Epoch(12));
    core.own_cell(CellId::new(9, 9), Epoch(1));
    assert_eq!(
        core.owned_cells(),
        [
            (CellId::new(0, 0), Epoch(12)),
            (CellId::new(0, 1), Epoch(9)),
            (CellId::new(1, 0), Epoch(9)),
            (CellId::new(1, 1), Epoch(9))
        ],
        "in CellId order, the epoch only growing, cells outside the world refused"
    );
    let players: Vec<EntityId> = (0..4).map(|i| core.join_player(format!("p{i}").into()).unwrap()).collect();
    let next_id = 4 * 25 + 4 + 1;
    let mut rng = SplitMix64::new(1);
    let mut phases = Phases::default();
    for t in 1..=300 {
        for (i, id) in players.iter().enumerate() {
            core.push_input(*id, t as u32, Buttons(if i == 0 { Buttons::ATTACK } else { rng.below(32) as u8 }));
        }
        phases.0.clear();
        let frames = core.tick(Tick(t), &mut phases);
        assert_eq!(phases.0, Phase::ALL, "phases in order, each once");
        check(&core, &frames, Tick(t), next_id);
    }
    assert_eq!(core.entity_count(), next_id as usize - 1);
}

#[test]
fn an_empty_owned_cell_still_gets_its_frame() {
    let geometry = WorldGeometry::default();
    let mut core = ZoneCore::new(
        ZoneConfig { zone: ZONE, seed: 11, geometry, npcs_per_cell: 0, npc_brain: Default::default() },
        FIRST_IDS,
    );
    core.own_cell(CellId::new(3, 0), Epoch(2));
    let frames = core.tick(Tick(5), &mut ());
    assert_eq!(frames.len(), 1);
    assert_eq!((frames[0].cell, frames[0].epoch, frames[0].entities.len()), (CellId::new(3, 0), Epoch(2), 0));
}

#[derive(Clone, Debug)]
enum Command {
    Join,
    Leave(u8),
    Input(u8, u32, u8),
    Chat(u8),
    Tick,
}

fn command() -> impl Strategy<Value = Command> {
    prop_oneof![
        1 => Just(Command::Join),
        1 => any::<u8>().prop_map(Command::Leave),
        6 => (any::<u8>(), 0..40u32, 0..32u8).prop_map(|(p, s, b)| Command::Input(p, s, b)),
        1 => any::<u8>().prop_map(Command::Chat),
        6 => Just(Command::Tick),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn frames_stay_consistent_whatever_the_clients_do(
        commands in proptest::collection::vec(command(), 1..150)
    ) {
        let geometry = WorldGeometry { width_cells: 2, height_cells: 2, cell_tiles: 64 };
        let config = ZoneConfig { zone: ZONE, seed: 4, geometry, npcs_per_cell: 6, npc_brain: Default::default() };
        let mut core = ZoneCore::new(config, FIRST_IDS);
        for cell in geometry.cells() {
            core.own_cell(cell, Epoch(1));
        }
        let mut players: Vec<EntityId> = Vec::new();
        let mut next_id = 4 * 6 + 1;
        let mut tick = 0;
        for c in commands {
            let pick = |p: u8| players.get(usize::from(p) % players.len().max(1)).copied();
            match c {
                Command::Join => {
                    players.push(core.join_player("x".into()).unwrap());
                    next_id += 1;
                }
                Command::Leave(p) => if let Some(id) = pick(p) {
                    prop_assert!(core.leave_player(id));
                    players.retain(|q| *q != id);
                },
                Command::Input(p, seq, b) => if let Some(id) = pick(p) {
                    core.push_input(id, seq, Buttons(b));
                },
                Command::Chat(p) => if let Some(id) = pick(p) { core.chat(id, "hey".into()) },
                Command::Tick => {
                    tick += 1;
                    let frames = core.tick(Tick(tick), &mut ());
                    check(&core, &frames, Tick(tick), next_id);
                }
            }
        }
    }
}
