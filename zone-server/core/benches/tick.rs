//! How long one zone tick takes as the entity count grows.
//!
//! An 8 x 4 cell world (1024 x 512 tiles), every cell owned by one zone, NPCs on random
//! standing places plus a few players pressing random buttons. Each size warms up, then every
//! tick's duration goes into an HDR histogram. The budget is one tick at 20 Hz: 50 ms.
//!
//! `cargo bench -p mmo-zone-core --bench tick`
#![allow(clippy::print_stdout, reason = "a benchmark reports its table on stdout")]
#![allow(clippy::disallowed_methods, reason = "a benchmark times the core with the real clock")]

mod support;

use hdrhistogram::Histogram;
use mmo_world::rng::SplitMix64;
use mmo_world::{Buttons, Tick, WorldGeometry, ZoneId};
use mmo_zone_core::{Phase, ZoneConfig, ZoneCore};
use std::time::{Duration, Instant};
use support::PhaseClock;

const SIZES: [u32; 2] = [1_000, 10_000];
const PLAYERS: u32 = 20;
const WARMUP_TICKS: u64 = 100;
const MEASURED_TICKS: u64 = 400;

fn world(npcs: u32) -> (ZoneCore, Vec<mmo_world::EntityId>) {
    let geometry = WorldGeometry { width_cells: 8, height_cells: 4, cell_tiles: 128 };
    let config = ZoneConfig { zone: ZoneId(1), seed: 7, geometry, npcs_per_cell: 0, npc_brain: Default::default() };
    let (mut core, spots) = support::whole_world(config);
    let mut rng = SplitMix64::new(11);
    for _ in 0..npcs {
        let pos = spots[rng.below(spots.len() as u32) as usize];
        core.spawn_npc(pos, u8::from(rng.below(10) >= 7)).expect("ids in hand");
    }
    let players = (0..PLAYERS).map(|i| core.join_player(format!("bot{i}").into()).expect("owns cells")).collect();
    (core, players)
}

fn main() {
    println!("{:>9} {:>8} {:>8} {:>8}   mean ms per phase", "entities", "p50 ms", "p99 ms", "max ms");
    for npcs in SIZES {
        let (mut core, players) = world(npcs);
        let mut rng = SplitMix64::new(5);
        let mut held = vec![Buttons::default(); players.len()];
        let mut histogram = Histogram::<u64>::new(3).expect("valid precision");
        let mut clock = PhaseClock::new();
        let mut published = 0;
        for t in 0..WARMUP_TICKS + MEASURED_TICKS {
            for (i, id) in players.iter().enumerate() {
                if rng.below(10) == 0 {
                    held[i] = Buttons(rng.below(32) as u8);
                }
                core.push_input(*id, t as u32 + 1, held[i]);
            }
            let start = Instant::now();
            clock.last = start;
            let frames = core.tick(Tick(t), &mut clock);
            let took = start.elapsed();
            if t == WARMUP_TICKS {
                clock.spent = [Duration::ZERO; Phase::ALL.len()];
            }
            if t >= WARMUP_TICKS {
                histogram.record(took.as_nanos() as u64).expect("in range");
                published = frames.iter().map(|f| f.entities.len()).sum::<usize>();
            }
        }
        let ms = |ns: u64| ns as f64 / 1e6;
        let phases: Vec<String> = Phase::ALL
            .iter()
            .map(|p| format!("{} {:.2}", p.name(), clock.of(*p).as_secs_f64() * 1e3 / MEASURED_TICKS as f64))
            .collect();
        println!(
            "{:>9} {:>8.2} {:>8.2} {:>8.2}   {}",
            core.entity_count(),
            ms(histogram.value_at_quantile(0.5)),
            ms(histogram.value_at_quantile(0.99)),
            ms(histogram.max()),
            phases.join(", ")
        );
        assert!(published > 0, "frames carry the entities");
    }
}
