//! The cluster at a scale no machine here runs (issue 17, part 3): 100 zones and 100,000
//! players, under the real policy and migration bookkeeping ([`SimLeader`]) and the simulated
//! registry. At this scale the players are modelled, not simulated: the world is cut into
//! squares of the deepest quadtree level (a sixteenth of a cell), each holding a count of
//! players, who step to a neighbouring square now and then (wanderers) or, during a crowd event,
//! walk square by square to one cell and mill about in it (rushers, each followed on its own),
//! and after it walk back to where they came from and wander again. A zone's load is its players per capacity (the entity term of `LoadReport::load`),
//! summed over the cells of the layout it owns (cells, or quarters of split cells); a migration
//! hands its cell over `migration_periods` after the write, and its receiver's next report
//! lists it. A split or a merge stays with its zone and takes effect at once.
//!
//! What a run reports, per period: the largest true load of any zone, the zones above the high
//! watermark, the moves, splits and merges written, the cells of the layout; and in all: how
//! long after the rush began every zone was under the watermark again (if ever), and the moves
//! and reshapes per minute.

use crate::leader::SimLeader;
use crate::registry::SimRegistry;
use mmo_cluster::{LoadReport, MoveReason};
use mmo_coordinator::plan;
use mmo_coordinator::policy::Reshape;
use mmo_coordinator::policy::{PolicyConfig, ZoneState};
use mmo_world::rng::SplitMix64;
use mmo_world::{CellId, Layout, WorldGeometry, ZoneId, MAX_DEPTH};
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
    /// Per mille of a square's wanderers that step to a neighbour each period.
    pub wander: u32,
    /// Per mille of a square's rushers that step one square closer each period (a square of
    /// 32 tiles at 8 tiles/s takes 4 s to cross).
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
            wander: 200,
            rush_step: 250,
            migration_periods: 2,
            policy: PolicyConfig::default(),
        }
    }
}

/// The same run with split/merge and without.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    pub with: ScaleRun,
    pub without: ScaleRun,
}

impl Comparison {
    /// Runs `config` with split/merge on, then off.
    pub fn run(config: ScaleConfig) -> Comparison {
        let with =
            ScaleConfig { policy: PolicyConfig { split_merge: true, ..config.policy.clone() }, ..config.clone() };
        let without = ScaleConfig { policy: PolicyConfig { split_merge: false, ..config.policy.clone() }, ..config };
        Comparison { with: run_scale(with), without: run_scale(without) }
    }
}

/// One period's figures.
#[derive(Clone, Debug, PartialEq)]
pub struct Period {
    pub at_s: u64,
    pub max_load: f32,
    pub zones_over: u32,
    pub moves: u32,
    pub splits: u32,
    pub merges: u32,
    /// Cells of the layout (the grid's, split ones counted by their leaves).
    pub cells: u32,
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
    pub splits: u32,
    pub merges: u32,
    pub max_load: f32,
    /// Players in the world at the end (as many as at the start).
    pub players_at_end: u32,
}

/// The players, by square of the deepest level.
struct World {
    /// Squares across and down.
    width: u16,
    height: u16,
    wanderers: Vec<u32>,
    /// Rushers per square (counted from `agents` each period).
    rushers: Vec<u32>,
    agents: Vec<Rusher>,
    /// The rush's target, in squares: first and last (inclusive).
    rush: ((u16, u16), (u16, u16)),
}

impl World {
    fn new(geometry: &WorldGeometry, rush_cell: CellId) -> World {
        let (width, height) = (geometry.width_cells << MAX_DEPTH, geometry.height_cells << MAX_DEPTH);
        let squares = usize::from(width) * usize::from(height);
        let side = 1 << MAX_DEPTH;
        let first = (rush_cell.x << MAX_DEPTH, rush_cell.y << MAX_DEPTH);
        World {
            width,
            height,
            wanderers: vec![0; squares],
            rushers: vec![0; squares],
            agents: Vec::new(),
            rush: (first, (first.0 + side - 1, first.1 + side - 1)),
        }
    }

    fn index(&self, x: u16, y: u16) -> usize {
        usize::from(y) * usize::from(self.width) + usize::from(x)
    }

    fn at(&self, i: usize) -> (u16, u16) {
        let w = usize::from(self.width);
        ((i % w) as u16, (i / w) as u16)
    }

    fn in_rush(&self, (x, y): (u16, u16)) -> bool {
        let ((x0, y0), (x1, y1)) = self.rush;
        (x0..=x1).contains(&x) && (y0..=y1).contains(&y)
    }

    /// The squares sharing an edge with square `i` (inside the rush's target only, for
    /// `inside_rush`).
    fn neighbours(&self, i: usize, inside_rush: bool) -> Vec<usize> {
        let (x, y) = self.at(i);
        let mut out = Vec::with_capacity(4);
        let mut push = |nx: u16, ny: u16| {
            if !inside_rush || self.in_rush((nx, ny)) {
                out.push(self.index(nx, ny));
            }
        };
        if x > 0 {
            push(x - 1, y);
        }
        if x + 1 < self.width {
            push(x + 1, y);
        }
        if y > 0 {
            push(x, y - 1);
        }
        if y + 1 < self.height {
            push(x, y + 1);
        }
        out
    }

    /// The neighbour of square `i` one step closer to square `to` (across first).
    fn towards(&self, i: usize, to: usize) -> usize {
        let ((x, y), (tx, ty)) = (self.at(i), self.at(to));
        let step = |a: u16, b: u16| if a < b { a + 1 } else { a - 1 };
        if x != tx {
            self.index(step(x, tx), y)
        } else if y != ty {
            self.index(x, step(y, ty))
        } else {
            i
        }
    }

    /// The square of the rush's target nearest to square `i`.
    fn nearest_in_rush(&self, i: usize) -> usize {
        let ((x, y), ((x0, y0), (x1, y1))) = (self.at(i), self.rush);
        self.index(x.clamp(x0, x1), y.clamp(y0, y1))
    }

    fn count(&self, i: usize) -> u32 {
        self.wanderers[i] + self.rushers[i]
    }

    /// Players in `cell` (of any depth).
    fn players_in(&self, cell: CellId) -> u32 {
        let shift = MAX_DEPTH - cell.depth;
        let side = 1u16 << shift;
        let (x0, y0) = (cell.x << shift, cell.y << shift);
        (y0..y0 + side)
            .flat_map(|y| (x0..x0 + side).map(move |x| (x, y)))
            .map(|(x, y)| self.count(self.index(x, y)))
            .sum()
    }

    fn rush_crowd(&self) -> u32 {
        let ((x0, y0), (x1, y1)) = self.rush;
        (y0..=y1).flat_map(|y| (x0..=x1).map(move |x| (x, y))).map(|(x, y)| self.count(self.index(x, y))).sum()
    }
}

/// A player of the rush, followed on its own: where it is, and the square it came from.
#[derive(Clone, Copy, Debug)]
struct Rusher {
    at: usize,
    home: usize,
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
    let rush_cell = CellId::new(
        rng.below(u32::from(geometry.width_cells)) as u16,
        rng.below(u32::from(geometry.height_cells)) as u16,
    );
    let mut world = World::new(&geometry, rush_cell);
    let squares = world.wanderers.len();
    for _ in 0..config.players {
        world.wanderers[rng.below(squares as u32) as usize] += 1;
    }
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
            for i in 0..squares {
                let going = share(world.wanderers[i], config.rush_share, &mut rng);
                world.wanderers[i] -= going;
                world.agents.extend((0..going).map(|_| Rusher { at: i, home: i }));
            }
        }
        step_players(&mut world, &config, p < config.rush_end, &mut rng);
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
        let (moves_before, reshapes_before) = (registry.written.len(), registry.reshaped.len());
        leader.period(now, &geometry, &states, &mut registry);
        for w in &registry.written[moves_before..] {
            handovers.push((p + config.migration_periods, w.cell, w.to));
        }
        let reshaped = &registry.reshaped[reshapes_before..];
        for r in reshaped {
            let (gone, made) = r.reshape.cells();
            for cell in gone {
                simulator.remove(&cell);
            }
            simulator.extend(made.into_iter().map(|c| (c, r.reshape.zone())));
        }
        let splits = reshaped.iter().filter(|r| matches!(r.reshape, Reshape::Split { .. })).count() as u32;
        periods.push(Period {
            at_s: p,
            max_load: true_max,
            zones_over: over,
            moves: (registry.written.len() - moves_before) as u32,
            splits,
            merges: reshaped.len() as u32 - splits,
            cells: registry.table.len() as u32,
            crowd: world.rush_crowd(),
        });
    }
    debug_assert!(Layout::from_leaves(geometry, registry.table.keys().copied()).is_ok());
    let players_at_end = (0..squares).map(|i| world.count(i)).sum();
    summarise(config, periods, rush_cell, players_at_end)
}

fn step_players(world: &mut World, config: &ScaleConfig, rushing: bool, rng: &mut SplitMix64) {
    let mut wanderers = world.wanderers.clone();
    for i in 0..world.wanderers.len() {
        let moving = share(world.wanderers[i], config.wander, rng);
        scatter(&mut wanderers, i, moving, &world.neighbours(i, false), rng);
    }
    let mut agents = std::mem::take(&mut world.agents);
    let chance = |per_mille: u32, rng: &mut SplitMix64| rng.below(1000) < per_mille;
    agents.retain_mut(|r| {
        if !rushing && r.at == r.home {
            wanderers[r.home] += 1; // home again: one of the wanderers
            return false;
        }
        let target = if rushing { world.nearest_in_rush(r.at) } else { r.home };
        if r.at != target {
            if chance(config.rush_step, rng) {
                r.at = world.towards(r.at, target);
            }
        } else if chance(config.wander, rng) {
            // Arrived: it mills about the target cell.
            let near = world.neighbours(r.at, true);
            r.at = near[rng.below(near.len() as u32) as usize];
        }
        true
    });
    world.rushers.fill(0);
    for r in &agents {
        world.rushers[r.at] += 1;
    }
    world.agents = agents;
    world.wanderers = wanderers;
}

/// Moves `moving` of the players counted at square `i` to the squares `near`, round robin from
/// a random one.
fn scatter(counts: &mut [u32], i: usize, moving: u32, near: &[usize], rng: &mut SplitMix64) {
    if moving == 0 || near.is_empty() {
        return;
    }
    let first = rng.below(near.len() as u32) as usize;
    for k in 0..moving as usize {
        counts[near[(first + k) % near.len()]] += 1;
    }
    counts[i] -= moving;
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
        let n = world.players_in(cell);
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
        splits: periods.iter().map(|p| p.splits).sum(),
        merges: periods.iter().map(|p| p.merges).sum(),
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

    /// Ten zones, 10,000 players, a rush from period 20 to 150.
    fn small(seed: u64) -> ScaleConfig {
        let mut config = ScaleConfig::hundred_zones(seed);
        config.zones = 10;
        config.geometry = WorldGeometry { width_cells: 20, height_cells: 5, cell_tiles: 128 };
        config.players = 10_000;
        config.periods = 200;
        config.rush_start = 20;
        config.rush_end = 150;
        config
    }

    #[test]
    fn splitting_the_crowded_cell_shares_it_and_its_quarters_merge_once_the_crowd_left() {
        for seed in 1..=4 {
            let mut config = small(seed);
            config.periods = 400;
            let runs = Comparison::run(config);
            let (with, without) = (&runs.with, &runs.without);
            eprintln!(
                "seed {seed}: hottest zone with split/merge {:.2}, without {:.2}; {} splits, {} merges",
                with.max_load, without.max_load, with.splits, with.merges
            );
            assert!(with.splits > 0 && without.splits == 0);
            assert!(with.max_load + 0.2 < without.max_load, "sharing the crowded cell lowers the hottest zone's load");
            assert_eq!(with.merges, with.splits, "every split cell merged back once the crowd left");
            assert_eq!(with.periods.last().unwrap().cells, 100);
            assert_eq!(with.players_at_end, 10_000);
        }
    }

    #[test]
    fn players_are_neither_made_nor_lost_and_the_rush_gathers_a_crowd() {
        let run = run_scale(small(3));
        assert_eq!(run.players_at_end, 10_000);
        let before = run.periods[18].crowd;
        let during = run.periods[140].crowd;
        assert!(during > before * 10, "the crowd gathers: {before} -> {during}");
        assert!(run.max_load > 1.0, "one cell's crowd is more than a zone can carry");
        assert!(run.periods.iter().map(|p| p.moves).sum::<u32>() > 0, "the policy moved cells");
    }
}
