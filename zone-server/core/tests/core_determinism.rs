//! The same seed and the same commands give the same frames, tick for tick.

use mmo_protocol::CellFrame;
use mmo_world::rng::SplitMix64;
use mmo_world::{Buttons, Epoch, Tick, WorldGeometry, ZoneId};
use mmo_zone_core::{ZoneConfig, ZoneCore};

/// Entity ids for the core under test (the host takes them from the store).
const FIRST_IDS: mmo_world::SerialBlock = mmo_world::SerialBlock::from_start(1, 1 << 20);

/// Runs a world with three players pressing random buttons and chatting; returns every frame.
fn run(seed: u64, ticks: u64) -> Vec<Vec<CellFrame>> {
    let geometry = WorldGeometry::default();
    let mut core = ZoneCore::new(
        ZoneConfig { zone: ZoneId(7), seed, geometry, npcs_per_cell: 15, npc_brain: Default::default() },
        FIRST_IDS,
    );
    for cell in geometry.cells() {
        core.own_cell(cell, Epoch(3));
    }
    let players: Vec<_> = ["ada", "bob", "cy"].iter().map(|n| core.join_player((*n).into()).unwrap()).collect();
    let mut inputs = SplitMix64::new(99);
    let mut held = [Buttons::default(); 3];
    (1..=ticks)
        .map(|t| {
            for (i, id) in players.iter().enumerate() {
                if inputs.below(8) == 0 {
                    held[i] = Buttons(inputs.below(32) as u8);
                }
                // Resends and duplicates, as clients do.
                for seq in (t as u32).saturating_sub(2)..=t as u32 {
                    core.push_input(*id, seq, held[i]);
                }
                if inputs.below(100) == 0 {
                    core.chat(*id, format!("tick {t}").into());
                }
            }
            core.tick(Tick(t), &mut ())
        })
        .collect()
}

#[test]
fn same_seed_and_inputs_give_identical_frames() {
    let (a, b) = (run(2024, 500), run(2024, 500));
    for (t, (fa, fb)) in a.iter().zip(&b).enumerate() {
        assert_eq!(fa, fb, "tick {}", t + 1);
    }
    let c = run(2025, 50);
    assert_ne!(a[..50], c[..], "another seed is another world");
    // Something happened: players moved and fought.
    let last = &a[499];
    assert!(last.iter().flat_map(|f| &f.entities).any(|e| e.hp < e.max_hp || e.xp > 0));
}
