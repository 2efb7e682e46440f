//! The cluster at a scale no machine here runs (issue 17, part 3): 100 zones and 100,000
//! players, under the real policy and migration bookkeeping ([`SimLeader`]) and the simulated
//! registry. At this scale the players are modelled, not simulated: each cell holds a count of
//! players, who step to a neighbouring cell now and then (wanderers) or, during a crowd event,
//! walk cell by cell towards one place (rushers), and after it wander off again. A zone's load is
//! its players per capacity (the entity term of `LoadReport::load`); a migration hands its cell
//! over `migration_periods` after the write, and its receiver's next report lists it.
//!
//! What a run reports, per period: the largest true load of any zone, the zones above the high
//! watermark, the moves written; and in all: how long after the rush began every zone was under
//! the watermark again (if ever), and the moves per minute.

use crate::leader::SimLeader;
use crate::registry::SimRegistry;
use mmo_cluster::{LoadReport, MoveReason};
use mmo_coordinator::plan;
use mmo_coordinator::policy::{PolicyConfig, ZoneState};
use mmo_world::rng::SplitMix64;
use mmo_world::{CellId, WorldGeometry, ZoneId};
use std::collections::BTreeMap;

/// One period: 1 s.
const PERIOD_MS: u64 = 1_000;

#[derive(Clone, Debug, PartialEq)]
pub struct ScaleConfig {
    pub seed: u64,
    pub zones: u32,
    pub geometry: WorldGeometry,
    pub players: u32,
    /// Players a zone is sized for.
    pub capacity: u32,
    pub periods: u64,
    /// The rush: from `rush_start` to `rush_end` (periods) `rush_share` per mille of the
    /// players head for one cell.
    pub rush_start: u64,
    pub rush_end: u64,
    pub rush_share: u32,
    /// Per mille of a cell's wanderers that step to a neighbour each period.
    pub wander: u32,
    /// Per mille of a cell's rushers that step one cell closer each period (a cell of 128
    /// tiles at 8 tiles/s takes 16 s to cross).
    pub rush_step: u32,
    pub migration_periods: u64,
    pub policy: PolicyConfig,
}

impl ScaleConfig {
    /// 100 zones (a column of 10 cells each to start), 100,000 players (half a zone's capacity
    /// each on average), 10 minutes, half of them rushing to one cell from minute 2 to minute 5.
    pub fn hundred_zones(seed: u64) -> ScaleConfig {
        ScaleConfig {
            seed,
            zones: 100,
            geometry: WorldGeometry { width_cells: 100, height_cells: 10, cell_tiles: 128 },
            players: 100_000,
            capacity: 2_000,
            periods: 600,
            rush_start: 120,
            rush_end: 300,
            rush_share: 500,
            wander: 50,
            rush_step: 62,
            migration_periods: 2,
            policy: PolicyConfig::default(),
        }
    }
}

/// One period's figures.
#[derive(Clone, Debug, PartialEq)]
pub struct Period {
    pub at_s: u64,
    pub max_load: f32,
    pub zones_over: u32,
    pub moves: u32,
    /// Players in the rush's target cell.
    pub crowd: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ScaleRun {
    pub config: ScaleConfig,
    pub periods: Vec<Period>,
    pub rush_cell: CellId,
    /// Seconds from the rush's start until every zone was under the high watermark again and
    /// stayed so to the end; `None`: never.
    pub calm_after_rush_s: Option<u64>,
    pub moves_per_minute_mean: f64,
    pub moves_per_minute_max: u32,
    pub max_load: f32,
    /// Players in the world at the end (as many as at the start).
    pub players_at_end: u32,
}

struct World {
    geometry: WorldGeometry,
    wanderers: Vec<u32>,
    rushers: Vec<u32>,
}

impl World {
    fn index(&self, cell: CellId) -> usize {
        usize::from(cell.y) * usize::from(self.geometry.width_cells) + usize::from(cell.x)
    }

    fn cell(&self, i: usize) -> CellId {
        let w = usize::from(self.geometry.width_cells);
        CellId::new((i % w) as u16, (i / w) as u16)
    }

    fn neighbours(&self, i: usize) -> Vec<usize> {
        let c = self.cell(i);
        let (w, h) = (self.geometry.width_cells, self.geometry.height_cells);
        let mut out = Vec::with_capacity(4);
        if c.x > 0 {
            out.push(self.index(CellId::new(c.x - 1, c.y)));
        }
        if c.x + 1 < w {
            out.push(self.index(CellId::new(c.x + 1, c.y)));
        }
        if c.y > 0 {
            out.push(self.index(CellId::new(c.x, c.y - 1)));
        }
        if c.y + 1 < h {
            out.push(self.index(CellId::new(c.x, c.y + 1)));
        }
        out
    }

    /// The neighbour one step closer to `target`.
    fn towards(&self, i: usize, target: CellId) -> usize {
        let c = self.cell(i);
        let step = |a: u16, b: u16| {
            if a < b {
                a + 1
            } else if a > b {
                a - 1
            } else {
                a
            }
        };
        if c.x != target.x {
            self.index(CellId::new(step(c.x, target.x), c.y))
        } else {
            self.index(CellId::new(c.x, step(c.y, target.y)))
        }
    }

    fn count(&self, i: usize) -> u32 {
        self.wanderers[i] + self.rushers[i]
    }
}

/// `n * per_mille / 1000`, the remainder rounded up or down at random.
fn share(n: u32, per_mille: u32, rng: &mut SplitMix64) -> u32 {
    let scaled = u64::from(n) * u64::from(per_mille);
    let whole = (scaled / 1000) as u32;
    whole + u32::from(u64::from(rng.below(1000)) < scaled % 1000)
}

/// Runs one scale simulation.
pub fn run_scale(config: ScaleConfig) -> ScaleRun {
    let mut rng = SplitMix64::new(config.seed);
    let geometry = config.geometry;
    let cells = geometry.cell_count();
    let mut world = World { geometry, wanderers: vec![0; cells], rushers: vec![0; cells] };
    for _ in 0..config.players {
        world.wanderers[rng.below(cells as u32) as usize] += 1;
    }
    let rush_cell = CellId::new(
        rng.below(u32::from(geometry.width_cells)) as u16,
        rng.below(u32::from(geometry.height_cells)) as u16,
    );
    let ids: Vec<ZoneId> = (1..=config.zones).map(ZoneId).collect();
    let mut registry = SimRegistry::default();
    for (cell, zone) in plan::initial(&geometry, &ids) {
        registry.write(0, cell, zone, MoveReason::Unowned, 1);
    }
    // Who simulates each cell: the registry's owner once its migration is done.
    let mut simulator: BTreeMap<CellId, ZoneId> = registry.owners();
    let mut handovers: Vec<(u64, CellId, ZoneId)> = Vec::new();
    let mut leader = SimLeader::new(config.policy.clone(), 10 * PERIOD_MS);
    let states: BTreeMap<ZoneId, ZoneState> = ids.iter().map(|z| (*z, ZoneState::Active)).collect();
    let mut periods = Vec::with_capacity(config.periods as usize);

    for p in 1..=config.periods {
        let now = p * PERIOD_MS;
        if p == config.rush_start {
            for i in 0..cells {
                let going = share(world.wanderers[i], config.rush_share, &mut rng);
                world.wanderers[i] -= going;
                world.rushers[i] += going;
            }
        }
        if p == config.rush_end {
            for i in 0..cells {
                world.wanderers[i] += std::mem::take(&mut world.rushers[i]);
            }
        }
        step_players(&mut world, &config, rush_cell, &mut rng);
        // Handovers due: the receiver simulates the cell from now on.
        handovers.retain(|&(due, cell, to)| {
            if due <= p {
                simulator.insert(cell, to);
            }
            due > p
        });
        let loads = reports(&world, &simulator, config.capacity, now);
        let true_max = loads.values().map(LoadReport::load).fold(0.0f32, f32::max);
        let over = loads.values().filter(|r| r.load() > config.policy.high_watermark).count() as u32;
        registry.loads = loads;
        let before = registry.written.len();
        leader.period(now, &geometry, &states, &mut registry);
        for w in &registry.written[before..] {
            handovers.push((p + config.migration_periods, w.cell, w.to));
        }
        let moves = (registry.written.len() - before) as u32;
        periods.push(Period {
            at_s: p,
            max_load: true_max,
            zones_over: over,
            moves,
            crowd: world.count(world.index(rush_cell)),
        });
    }
    let players_at_end = (0..cells).map(|i| world.count(i)).sum();
    summarise(config, periods, rush_cell, players_at_end)
}

fn step_players(world: &mut World, config: &ScaleConfig, rush_cell: CellId, rng: &mut SplitMix64) {
    let cells = world.wanderers.len();
    let mut wanderers = world.wanderers.clone();
    let mut rushers = world.rushers.clone();
    for i in 0..cells {
        let moving = share(world.wanderers[i], config.wander, rng);
        if moving > 0 {
            let near = world.neighbours(i);
            let first = rng.below(near.len() as u32) as usize;
            for k in 0..moving as usize {
                wanderers[near[(first + k) % near.len()]] += 1;
            }
            wanderers[i] -= moving;
        }
        let target = world.index(rush_cell);
        if i != target {
            let stepping = share(world.rushers[i], config.rush_step, rng);
            rushers[i] -= stepping;
            rushers[world.towards(i, rush_cell)] += stepping;
        }
    }
    world.wanderers = wanderers;
    world.rushers = rushers;
}

/// Each zone's report of the cells it simulates.
fn reports(
    world: &World,
    simulator: &BTreeMap<CellId, ZoneId>,
    capacity: u32,
    now: u64,
) -> BTreeMap<ZoneId, LoadReport> {
    let mut out: BTreeMap<ZoneId, LoadReport> = BTreeMap::new();
    for (&cell, &zone) in simulator {
        let n = world.count(world.index(cell));
        let r = out.entry(zone).or_insert_with(|| LoadReport {
            at_unix_ms: now,
            budget_ms: 50.0,
            capacity,
            ..LoadReport::default()
        });
        r.entities += n;
        r.entities_per_cell.insert(cell, n);
    }
    out
}

fn summarise(config: ScaleConfig, periods: Vec<Period>, rush_cell: CellId, players_at_end: u32) -> ScaleRun {
    let watermark = config.policy.high_watermark;
    let last_hot = periods.iter().rposition(|p| p.max_load > watermark);
    let calm_after_rush_s = match last_hot {
        None => Some(0),
        Some(i) if i + 1 < periods.len() => Some(periods[i + 1].at_s.saturating_sub(config.rush_start)),
        Some(_) => None,
    };
    let minutes: Vec<u32> = periods.chunks(60).map(|m| m.iter().map(|p| p.moves).sum()).collect();
    let moves_per_minute_mean = minutes.iter().map(|&m| f64::from(m)).sum::<f64>() / minutes.len().max(1) as f64;
    ScaleRun {
        moves_per_minute_max: minutes.iter().copied().max().unwrap_or(0),
        max_load: periods.iter().map(|p| p.max_load).fold(0.0, f32::max),
        config,
        periods,
        rush_cell,
        calm_after_rush_s,
        moves_per_minute_mean,
        players_at_end,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn players_are_neither_made_nor_lost_and_the_rush_gathers_a_crowd() {
        let mut config = ScaleConfig::hundred_zones(3);
        config.zones = 10;
        config.geometry = WorldGeometry { width_cells: 20, height_cells: 5, cell_tiles: 128 };
        config.players = 10_000;
        config.periods = 200;
        config.rush_start = 20;
        config.rush_end = 150;
        let run = run_scale(config);
        assert_eq!(run.players_at_end, 10_000);
        let before = run.periods[18].crowd;
        let during = run.periods[140].crowd;
        assert!(during > before * 10, "the crowd gathers: {before} -> {during}");
        assert!(run.max_load > 1.0, "one cell's crowd is more than a zone can carry");
        assert!(run.periods.iter().map(|p| p.moves).sum::<u32>() > 0, "the policy moved cells");
    }
}
