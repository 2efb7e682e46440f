//! What the learned brain costs: one decision of the hunter's policy, and the tick of a zone
//! full of hunters fighting players with the learned brain against the same zone with the
//! scripted one.
//!
//! An 8 x 4 cell world (1024 x 512 tiles), every cell owned by one zone; hunters on random
//! standing places and a player beside every fifth one (so most hunters have a player within
//! chase range and decide with their brain every tick), the players pressing random buttons.
//!
//! `cargo bench -p mmo-zone-core --bench hunters`
#![allow(clippy::print_stdout, reason = "a benchmark reports its table on stdout")]
#![allow(clippy::disallowed_methods, reason = "a benchmark times the core with the real clock")]

mod support;

use glam::IVec2;
use hdrhistogram::Histogram;
use mmo_world::rng::SplitMix64;
use mmo_world::{Buttons, Tick, WorldGeometry, ZoneId};
use mmo_zone_core::learned::{NpcBrain, Observation, Policy, INPUTS};
use mmo_zone_core::{rules, Phase, ZoneConfig, ZoneCore};
use std::hint::black_box;
use std::time::{Duration, Instant};
use support::PhaseClock;

const SIZES: [u32; 2] = [1_000, 5_000];
const WARMUP_TICKS: u64 = 50;
const MEASURED_TICKS: u64 = 300;
const DECISIONS: usize = 1_000_000;

fn world(hunters: u32, npc_brain: NpcBrain) -> (ZoneCore, Vec<mmo_world::EntityId>) {
    let geometry = WorldGeometry { width_cells: 8, height_cells: 4, cell_tiles: 128 };
    let (mut core, spots) =
        support::whole_world(ZoneConfig { zone: ZoneId(1), seed: 7, geometry, npcs_per_cell: 0, npc_brain });
    let mut rng = SplitMix64::new(11);
    let mut players = Vec::new();
    for i in 0..hunters {
        let pos = spots[rng.below(spots.len() as u32) as usize];
        core.spawn_npc(pos, rules::HUNTER).expect("ids in hand");
        if i % 5 == 0 {
            let player = core.join_at(format!("bot{i}").into(), None, pos + IVec2::new(3 * 256, 0));
            players.extend(player.ok());
        }
    }
    (core, players)
}

/// Tick times (p50, p99) and the AI phase's mean, in ms.
fn ticks(hunters: u32, npc_brain: NpcBrain) -> (f64, f64, f64) {
    let (mut core, players) = world(hunters, npc_brain);
    let mut rng = SplitMix64::new(5);
    let mut held = vec![Buttons::default(); players.len()];
    let mut histogram = Histogram::<u64>::new(3).expect("valid precision");
    let mut clock = PhaseClock::new();
    for t in 0..WARMUP_TICKS + MEASURED_TICKS {
        for (i, id) in players.iter().enumerate() {
            if rng.below(10) == 0 {
                held[i] = Buttons(rng.below(32) as u8);
            }
            core.push_input(*id, t as u32 + 1, held[i]);
        }
        let start = Instant::now();
        clock.last = start;
        core.tick(Tick(t), &mut clock);
        if t == WARMUP_TICKS {
            clock.spent = [Duration::ZERO; Phase::ALL.len()];
        }
        if t >= WARMUP_TICKS {
            histogram.record(start.elapsed().as_nanos() as u64).expect("in range");
        }
    }
    let ms = |ns: u64| ns as f64 / 1e6;
    let ai = clock.of(Phase::Ai).as_secs_f64() * 1e3 / MEASURED_TICKS as f64;
    (ms(histogram.value_at_quantile(0.5)), ms(histogram.value_at_quantile(0.99)), ai)
}

fn main() {
    let policy = Policy::hunter();
    let mut rng = SplitMix64::new(3);
    let observations: Vec<Observation> =
        (0..1024).map(|_| std::array::from_fn::<i16, INPUTS, _>(|_| rng.below(513) as i16 - 256)).collect();
    let start = Instant::now();
    for i in 0..DECISIONS {
        black_box(policy.act(black_box(&observations[i % observations.len()])));
    }
    let ns = start.elapsed().as_nanos() as f64 / DECISIONS as f64;
    println!("one decision of the hunter's policy ({} parameters): {ns:.0} ns", policy.mlp().parameters());
    println!("{:>8} {:>9} {:>8} {:>8} {:>10}", "hunters", "brain", "p50 ms", "p99 ms", "AI ms/tick");
    for hunters in SIZES {
        for brain in [NpcBrain::Scripted, NpcBrain::Learned] {
            let (p50, p99, ai) = ticks(hunters, brain);
            println!("{hunters:>8} {brain:>9} {p50:>8.2} {p99:>8.2} {ai:>10.3}");
        }
    }
}
