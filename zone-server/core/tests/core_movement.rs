//! Players move by their inputs only, exactly as the shared physics says, one input per tick.

use mmo_protocol::cell::pose;
use mmo_protocol::{CellFrame, EntityState};
use mmo_world::{Body, Buttons, EntityId, Epoch, Tick, WorldGeometry, ZoneId};
use mmo_zone_core::{ZoneConfig, ZoneCore, MAX_BACKLOG};

/// Entity ids for the core under test (the host takes them from the store).
const FIRST_IDS: mmo_world::SerialBlock = mmo_world::SerialBlock::from_start(1, 1 << 20);

fn world() -> ZoneCore {
    let geometry = WorldGeometry::default();
    let mut core = ZoneCore::new(
        ZoneConfig { zone: ZoneId(2), seed: 1234, geometry, npcs_per_cell: 0, npc_brain: Default::default() },
        FIRST_IDS,
    );
    for cell in geometry.cells() {
        core.own_cell(cell, Epoch(1));
    }
    core
}

fn seen(frames: &[CellFrame], id: EntityId) -> EntityState {
    let mut found = frames.iter().flat_map(|f| &f.entities).filter(|e| e.id == id);
    let state = found.next().expect("the player is in a frame").clone();
    assert!(found.next().is_none(), "and in only one");
    state
}

#[test]
fn a_new_player_stands_on_the_ground() {
    let mut core = world();
    let id = core.join_player("ada".into()).unwrap();
    let start = core.entity(id).unwrap();
    let frames = core.tick(Tick(1), &mut ());
    let me = seen(&frames, id);
    assert_eq!((me.hp, me.max_hp, me.level, me.xp), (100, 100, 1, 0));
    assert!(me.body.on_ground);
    assert_eq!(me.pose & pose::ON_GROUND, pose::ON_GROUND);
    assert_eq!(me.body.pos, start.body.pos, "did not sink or fall");
    for t in 2..40 {
        core.tick(Tick(t), &mut ());
    }
    assert_eq!(core.entity(id).unwrap().body.pos, start.body.pos, "still standing there");
}

#[test]
fn holding_right_moves_as_the_shared_physics_says() {
    let mut core = world();
    let id = core.join_player("ada".into()).unwrap();
    core.tick(Tick(1), &mut ());
    let mut expected: Body = core.entity(id).unwrap().body;
    let start = expected.pos;
    // Jumping too, so a step in the ground near the spawn does not stop the run.
    let run = Buttons(Buttons::RIGHT | Buttons::JUMP);
    for t in 0..30u32 {
        core.push_input(id, t + 1, run);
        let frames = core.tick(Tick(u64::from(t) + 2), &mut ());
        expected = expected.step(run, core.terrain());
        let me = seen(&frames, id);
        assert_eq!(me.body, expected, "tick {t}");
        assert_eq!(me.last_input_seq, t + 1);
        assert_eq!(me.pose & pose::FACING_LEFT, 0);
    }
    assert!(expected.pos.x > start.x + 4 * 256, "ran right: {start} -> {}", expected.pos);
    core.push_input(id, 31, Buttons(Buttons::LEFT));
    let frames = core.tick(Tick(40), &mut ());
    assert_eq!(seen(&frames, id).pose & pose::FACING_LEFT, pose::FACING_LEFT);
}

#[test]
fn stale_and_duplicate_inputs_are_ignored() {
    let mut core = world();
    let id = core.join_player("ada".into()).unwrap();
    core.push_input(id, 1, Buttons(Buttons::RIGHT));
    let frames = core.tick(Tick(1), &mut ());
    assert_eq!(seen(&frames, id).last_input_seq, 1);

    // A resend of seq 1 with other buttons, and an older seq: both dropped; without a new
    // input the player waits where it is (no step is invented).
    let before = seen(&frames, id).body;
    core.push_input(id, 1, Buttons(Buttons::LEFT));
    core.push_input(id, 0, Buttons(Buttons::LEFT));
    let frames = core.tick(Tick(2), &mut ());
    let me = seen(&frames, id);
    assert_eq!((me.last_input_seq, me.body), (1, before));

    // A gap is fine: both inputs step, in sequence order, catching up the tick without input.
    core.push_input(id, 5, Buttons(Buttons::LEFT));
    core.push_input(id, 4, Buttons(Buttons::RIGHT));
    let frames = core.tick(Tick(3), &mut ());
    let me = seen(&frames, id);
    assert_eq!(me.last_input_seq, 5);
    assert_eq!(me.body, before.step(Buttons(Buttons::LEFT), core.terrain()), "4 was older than 5: dropped");
}

#[test]
fn one_step_per_input_caught_up_after_a_stall_and_no_speed_up() {
    let mut core = world();
    let id = core.join_player("ada".into()).unwrap();
    core.tick(Tick(1), &mut ());
    let mut expected: Body = core.entity(id).unwrap().body;
    let run = Buttons(Buttons::RIGHT | Buttons::JUMP);
    // Four ticks without input, then five inputs at once: all five step in one tick, exactly
    // as the client predicted them (one step per input).
    for t in 2..=4 {
        assert_eq!(seen(&core.tick(Tick(t), &mut ()), id).body, expected, "waits for its inputs");
    }
    for seq in 1..=5 {
        core.push_input(id, seq, run);
        expected = expected.step(run, core.terrain());
    }
    let me = seen(&core.tick(Tick(5), &mut ()), id);
    assert_eq!((me.last_input_seq, me.body), (5, expected));

    // A flood with no budget banked: one step per tick, and a backlog over the bound is cut.
    for seq in 10..20 {
        core.push_input(id, seq, Buttons(Buttons::LEFT));
    }
    let applied: Vec<u32> = (6..=9).map(|t| seen(&core.tick(Tick(t), &mut ()), id).last_input_seq).collect();
    let kept = MAX_BACKLOG as u32;
    assert_eq!(applied, [10, 20 - kept, 21 - kept, 22 - kept]);
}

#[test]
fn unknown_ids_and_leaving_players() {
    let mut core = world();
    let id = core.join_player("ada".into()).unwrap();
    let ghost = EntityId::new(ZoneId(2), 999);
    core.push_input(ghost, 1, Buttons(Buttons::RIGHT));
    core.chat(ghost, "boo".into());
    assert!(!core.leave_player(ghost));
    assert!(core.leave_player(id));
    assert!(!core.leave_player(id), "only once");
    let frames = core.tick(Tick(1), &mut ());
    assert!(frames.iter().all(|f| f.entities.is_empty() && f.events.is_empty()));
    assert_eq!(core.entity(id), None);
    assert_eq!(core.entity_count(), 0);
}
