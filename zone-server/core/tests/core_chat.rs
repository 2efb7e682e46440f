//! Chat shows up once, in the next frame of the cell the speaker stands in.

use mmo_protocol::{CellEvent, CellFrame};
use mmo_world::{Epoch, Tick, WorldGeometry, ZoneId};
use mmo_zone_core::{ZoneConfig, ZoneCore};
use std::sync::Arc;

/// Entity ids for the core under test (the host takes them from the store).
const FIRST_IDS: mmo_world::SerialBlock = mmo_world::SerialBlock::from_start(1, 1 << 20);

fn chats(frames: &[CellFrame]) -> Vec<(mmo_world::CellId, CellEvent)> {
    frames.iter().flat_map(|f| f.events.iter().map(move |e| (f.cell, e.clone()))).collect()
}

#[test]
fn chat_appears_in_exactly_one_frame_of_the_speakers_cell() {
    let geometry = WorldGeometry::default();
    let mut core = ZoneCore::new(
        ZoneConfig { zone: ZoneId(6), seed: 3, geometry, npcs_per_cell: 2, npc_brain: Default::default() },
        FIRST_IDS,
    );
    for cell in geometry.cells() {
        core.own_cell(cell, Epoch(1));
    }
    let ada = core.join_player("ada".into()).unwrap();
    let bob = core.join_player("bob".into()).unwrap();
    assert!(chats(&core.tick(Tick(1), &mut ())).is_empty());

    core.chat(ada, "hello".into());
    core.chat(bob, "hi ada".into());
    let frames = core.tick(Tick(2), &mut ());
    let cell = geometry.cell_of_pos(core.entity(ada).unwrap().body.pos);
    let expected =
        |from, name: &str, text: &str| CellEvent::Chat { from, name: Arc::from(name), text: Arc::from(text) };
    let mut said = vec![
        (cell, expected(ada, "ada", "hello")),
        (geometry.cell_of_pos(core.entity(bob).unwrap().body.pos), expected(bob, "bob", "hi ada")),
    ];
    // Frames come in cell order (the two may stand on either side of a cell border).
    said.sort_by_key(|(cell, _)| *cell);
    assert_eq!(chats(&frames), said, "in order of arrival, in the speakers' cells");
    for t in 3..10 {
        assert!(chats(&core.tick(Tick(t), &mut ())).is_empty(), "said once");
    }
    core.chat(ada, "bye".into());
    core.leave_player(ada);
    assert!(chats(&core.tick(Tick(10), &mut ())).is_empty(), "a speaker who left says nothing");
}
