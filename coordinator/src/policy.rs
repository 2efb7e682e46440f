//! The rebalancing policy: pure code (no I/O, no clock: the caller passes `now`), called once
//! per period by the leader with what it read from the registry. It returns cell moves with
//! their reasons; the caller writes them (guarded by its leadership) and logs them.
//!
//! Each period, in this order:
//! 1. **Recover.** Cells whose owner is dead (lease expired, or unknown) or that have no owner
//!    go to active zones at once, uncapped: nobody simulates them. Each goes to the least
//!    loaded active zone that owns a neighbour (growing the survivors' regions into the hole),
//!    or to the least loaded active zone if none borders it. Its new owner starts the cell from
//!    the world's generated state (terrain, NPC spawns) until checkpoints exist; the players
//!    in it come back from their gateways' last state (see the zone-death design notes).
//! 2. **Drain.** A draining zone gives its cells away, border cells first, each to the least
//!    loaded adjacent active zone; capped by the migration budget, no cooldown, no watermark.
//! 3. **Fill.** A zone that joins with no cell takes cells (contiguous, from its most loaded
//!    neighbours) until it holds a fair share (`cells / active zones`), within the budget.
//! 4. **Relieve hotspots.** While the hottest active zone is above `high_watermark`, move one of
//!    its border cells to an adjacent zone cooler by more than `margin`, choosing the move that
//!    lowers the pair's maximum most, and only moves after which the receiver is still no hotter
//!    than the giver (no overshoot, so the pair never trades the cell back).
//! 5. **Split and merge** (with `split_merge`; see [`reshape`]). A hot zone's cell that carries at
//!    least `split_load` by itself is split into quarters (which step 4 then spreads), and four
//!    quarters cool together merge back, gathered first into one zone.
//!
//! A zone's load is [`LoadReport::load`]: the larger of its p99 tick time per tick budget and its
//! entities per capacity. The entity term makes a crowded zone read as loaded on any machine
//! (tick time on a shared machine is noisy, and only rises near the limit); the tick term still
//! catches a zone that is slow for other reasons.
//!
//! Anti-flapping: loads are projected on the planned assignment ([`estimate`]), so a move counts
//! at once even though reports lag; a migrated cell is not moved again by steps 3–4 for
//! `cell_cooldown_ms`; a zone must stay hot for `sustain_periods` before it is relieved, and a
//! relief move must take at least `min_relief` off it; migrations (moves from a live owner: steps 2–4) never exceed
//! `max_in_flight` together with the ones still in flight; and the hysteresis of step 4
//! (watermark + margin + no overshoot) leaves a balanced or merely noisy world alone.

mod estimate;
mod reshape;
#[cfg(test)]
mod tests;

use estimate::Estimates;
use mmo_cluster::{LoadReport, MoveReason};
use mmo_world::{CellId, Layout, ZoneId};
pub use reshape::{simulates_all, Reshape};
use std::collections::{BTreeMap, BTreeSet};

/// A zone's state as the coordinator sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ZoneState {
    /// Registered, takes and keeps cells.
    Active,
    /// Registered, but gives all of its cells away (then may exit).
    Draining,
    /// Its lease expired: its cells have no live owner.
    Dead,
}

/// The policy's knobs. Loads are [`LoadReport::load`]: the larger of tick time per budget and
/// entities per capacity (1.0 = full).
#[derive(Clone, Debug, PartialEq)]
pub struct PolicyConfig {
    /// Relieve a zone only above this load.
    pub high_watermark: f32,
    /// ... and only towards a neighbour at least this much cooler.
    pub margin: f32,
    /// ... and only after it stayed above the watermark this many periods in a row.
    pub sustain_periods: u32,
    /// A relief move must take at least this much load off the source: moving near-empty
    /// cells is churn.
    pub min_relief: f32,
    /// Migrations in flight at most (including the ones planned this period).
    pub max_in_flight: usize,
    /// A cell moved by fill or hotspot relief stays put this long; a cell split or merged is
    /// not reshaped again for as long.
    pub cell_cooldown_ms: u64,
    /// Whether hot cells split into quarters and cool quarters merge back (step 5).
    pub split_merge: bool,
    /// Split a cell of a hot zone whose own load is at least this.
    pub split_load: f32,
    /// Merge four quarters whose load together is below this.
    pub merge_load: f32,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        PolicyConfig {
            high_watermark: 0.7,
            margin: 0.15,
            sustain_periods: 3,
            min_relief: 0.05,
            max_in_flight: 2,
            cell_cooldown_ms: 30_000,
            split_merge: false,
            split_load: 0.35,
            merge_load: 0.1,
        }
    }
}

/// What the policy sees in one period.
#[derive(Clone, Copy, Debug)]
pub struct PolicyInput<'a> {
    pub now_ms: u64,
    /// The world's cells (the grid, some cells split into quarters).
    pub layout: &'a Layout,
    /// The current owner of each cell.
    pub assignment: &'a BTreeMap<CellId, ZoneId>,
    /// Known zones; a zone that owns cells but is missing here counts as dead.
    pub zones: &'a BTreeMap<ZoneId, ZoneState>,
    /// The latest load report of each live zone.
    pub loads: &'a BTreeMap<ZoneId, LoadReport>,
    /// Cells whose migration has not finished yet.
    pub in_flight: &'a BTreeSet<CellId>,
}

/// A period's decisions: the moves first, then the reshapes (which never touch a cell moved).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Decisions {
    pub moves: Vec<CellMove>,
    pub reshapes: Vec<Reshape>,
}

/// One decision.
#[derive(Clone, Debug, PartialEq)]
pub struct CellMove {
    pub cell: CellId,
    /// The owner it leaves (`None`: it had none).
    pub from: Option<ZoneId>,
    pub to: ZoneId,
    pub reason: MoveReason,
}

impl CellMove {
    /// Whether the move hands a live simulation over (a migration), rather than recovering a
    /// cell nobody simulates.
    pub fn is_migration(&self) -> bool {
        !matches!(self.reason, MoveReason::ZoneDead | MoveReason::Unowned)
    }
}

/// The policy with its memory: cooldowns, zones being filled, and the last report of each zone
/// (a dead zone's cells keep their last known entity counts).
#[derive(Debug, Default)]
pub struct Policy {
    config: PolicyConfig,
    last_moved: BTreeMap<CellId, u64>,
    filling: BTreeMap<ZoneId, usize>,
    /// Periods in a row each zone has been above the watermark.
    hot_streak: BTreeMap<ZoneId, u32>,
    remembered: BTreeMap<ZoneId, LoadReport>,
    shapes: reshape::Memory,
}

/// The assignment being planned, with the moves made so far.
struct Plan<'a> {
    input: &'a PolicyInput<'a>,
    owner: BTreeMap<CellId, ZoneId>,
    moves: Vec<CellMove>,
    budget: usize,
    estimates: Estimates,
}

impl Plan<'_> {
    fn state(&self, zone: ZoneId) -> ZoneState {
        self.input.zones.get(&zone).copied().unwrap_or(ZoneState::Dead)
    }

    fn active(&self) -> Vec<ZoneId> {
        self.input.zones.iter().filter(|(_, s)| **s == ZoneState::Active).map(|(z, _)| *z).collect()
    }

    fn loads(&self) -> BTreeMap<ZoneId, f32> {
        self.estimates.loads(&self.owner, self.input.zones.keys().copied())
    }

    fn cells_of(&self, zone: ZoneId) -> Vec<CellId> {
        self.owner.iter().filter(|(_, z)| **z == zone).map(|(c, _)| *c).collect()
    }

    fn count(&self, zone: ZoneId) -> usize {
        self.owner.values().filter(|z| **z == zone).count()
    }

    /// The owners of a cell's edge neighbours.
    fn neighbour_owners(&self, cell: CellId) -> BTreeSet<ZoneId> {
        self.input.layout.edge_neighbours(cell).into_iter().filter_map(|n| self.owner.get(&n).copied()).collect()
    }

    fn movable(&self, cell: CellId) -> bool {
        !self.input.in_flight.contains(&cell) && !self.moves.iter().any(|m| m.cell == cell)
    }

    fn apply(&mut self, cell: CellId, to: ZoneId, reason: MoveReason) {
        let from = self.owner.insert(cell, to);
        let step = CellMove { cell, from, to, reason };
        if step.is_migration() {
            self.budget = self.budget.saturating_sub(1);
        }
        self.moves.push(step);
    }

    /// The least loaded of `candidates` (ties: fewer cells, then lower id).
    fn least_loaded(&self, candidates: impl IntoIterator<Item = ZoneId>) -> Option<ZoneId> {
        let loads = self.loads();
        candidates.into_iter().min_by(|a, b| {
            let key = |z: &ZoneId| (loads.get(z).copied().unwrap_or(0.0), self.count(*z), *z);
            let (ka, kb) = (key(a), key(b));
            ka.0.total_cmp(&kb.0).then(ka.1.cmp(&kb.1)).then(ka.2.cmp(&kb.2))
        })
    }
}

impl Policy {
    pub fn new(config: PolicyConfig) -> Self {
        Policy { config, ..Policy::default() }
    }

    pub fn config(&self) -> &PolicyConfig {
        &self.config
    }

    /// Plans this period's moves and reshapes (see the module doc) and remembers them for the
    /// cooldowns.
    pub fn plan(&mut self, input: &PolicyInput<'_>) -> Decisions {
        for (zone, report) in input.loads {
            self.remembered.insert(*zone, report.clone());
        }
        self.remembered.retain(|z, _| input.loads.contains_key(z) || input.assignment.values().any(|owner| owner == z));
        self.last_moved.retain(|_, at| input.now_ms.saturating_sub(*at) < self.config.cell_cooldown_ms);

        let owner =
            input.layout.leaves().into_iter().filter_map(|c| input.assignment.get(&c).map(|z| (c, *z))).collect();
        let mut plan = Plan {
            input,
            owner,
            moves: Vec::new(),
            budget: self.config.max_in_flight.saturating_sub(input.in_flight.len()),
            estimates: Estimates::new(&self.remembered),
        };
        if plan.active().is_empty() {
            return Decisions::default();
        }
        recover(&mut plan);
        drain(&mut plan);
        self.fill(&mut plan);
        self.relieve(&mut plan);
        let reshapes = self.reshape(&mut plan);
        for step in plan.moves.iter().filter(|m| m.is_migration()) {
            self.last_moved.insert(step.cell, input.now_ms);
        }
        Decisions { moves: plan.moves, reshapes }
    }

    /// Starts `cell`'s cooldown as if the policy had just moved it (an operator's move: the
    /// policy leaves the cell where the operator put it for `cell_cooldown_ms`).
    pub fn hold(&mut self, cell: CellId, now_ms: u64) {
        self.last_moved.insert(cell, now_ms);
    }

    /// Starts the reshape cooldown of `cell` as if the policy had just split it or made it by a
    /// merge (an operator's split or merge, or an earlier leader's).
    pub fn hold_shape(&mut self, cell: CellId, at_ms: u64) {
        self.shapes.hold(cell, at_ms);
    }

    /// A leader that starts leading takes over the cooldowns of the migrations written before it
    /// (`moves`: cell, when, why; from the registry's event log), so that a cell one leader
    /// moved is not moved back by the next within its cooldown (the whole-cluster simulation
    /// found a new leader, which starts with no memory, doing just that).
    pub fn recall<'a>(&mut self, moves: impl IntoIterator<Item = (CellId, u64, &'a MoveReason)>, now_ms: u64) {
        for (cell, at_ms, reason) in moves {
            let migration = !matches!(reason, MoveReason::ZoneDead | MoveReason::Unowned);
            let recent = now_ms.saturating_sub(at_ms) < self.config.cell_cooldown_ms;
            if migration && recent && self.last_moved.get(&cell).is_none_or(|t| *t < at_ms) {
                self.last_moved.insert(cell, at_ms);
            }
        }
    }

    fn cooling(&self, cell: CellId, now_ms: u64) -> bool {
        self.last_moved.get(&cell).is_some_and(|at| now_ms.saturating_sub(*at) < self.config.cell_cooldown_ms)
    }

    /// Step 3: zones that joined with no cell take a fair share.
    fn fill(&mut self, plan: &mut Plan<'_>) {
        let active = plan.active();
        let fair = (plan.input.layout.leaves().len() / active.len()).max(1);
        for &zone in &active {
            if plan.count(zone) == 0 && !self.filling.contains_key(&zone) {
                self.filling.insert(zone, fair);
            }
        }
        self.filling.retain(|z, target| active.contains(z) && plan.count(*z) < *target);
        let filling: Vec<(ZoneId, usize)> = self.filling.iter().map(|(z, t)| (*z, *t)).collect();
        for (zone, target) in filling {
            while plan.budget > 0 && plan.count(zone) < target {
                // Nothing to take now (cells in flight or cooling, donors too small or too cool):
                // try again next period.
                let Some(cell) = self.fill_candidate(plan, zone) else { break };
                plan.apply(cell, zone, MoveReason::NewZone);
            }
        }
    }

    /// The cell a filling zone takes next: next to its cells (for its first, on a border), from
    /// the most loaded donor that has more cells than the taker, busiest cell first; never so
    /// much load that the taker ends hotter than the donor by more than the margin (which would
    /// make it a hotspot that gives the cell back).
    fn fill_candidate(&self, plan: &Plan<'_>, zone: ZoneId) -> Option<CellId> {
        let loads = plan.loads();
        let load = |z: &ZoneId| loads.get(z).copied().unwrap_or(0.0);
        let mine = plan.count(zone);
        // A first cell on a border between zones lets the new region grow into several donors.
        let seed_score = |cell: &CellId, donor: &ZoneId| {
            if mine > 0 {
                return 0;
            }
            plan.neighbour_owners(*cell).into_iter().filter(|z| z != donor).count()
        };
        let eligible = |cell: CellId, donor: ZoneId| {
            let shift = plan.estimates.cost(plan.estimates.entities(cell));
            donor != zone
                && plan.state(donor) == ZoneState::Active
                && !self.filling.contains_key(&donor)
                && plan.count(donor) > mine
                && plan.movable(cell)
                && !self.cooling(cell, plan.input.now_ms)
                && (mine == 0 || plan.neighbour_owners(cell).contains(&zone))
                && load(&zone) + shift <= load(&donor) - shift + self.config.margin
        };
        plan.owner
            .iter()
            .filter(|(cell, donor)| eligible(**cell, **donor))
            .max_by(|(ca, da), (cb, db)| {
                load(da)
                    .total_cmp(&load(db))
                    .then(seed_score(ca, da).cmp(&seed_score(cb, db)))
                    .then(plan.estimates.entities(**ca).cmp(&plan.estimates.entities(**cb)))
                    .then(cb.cmp(ca))
            })
            .map(|(c, _)| *c)
    }

    /// Step 4: hotspot relief.
    fn relieve(&mut self, plan: &mut Plan<'_>) {
        let loads = plan.loads();
        let active = plan.active();
        let high = self.config.high_watermark;
        self.hot_streak.retain(|z, _| active.contains(z) && loads.get(z).is_some_and(|l| *l > high));
        for zone in &active {
            if loads.get(zone).is_some_and(|l| *l > high) {
                *self.hot_streak.entry(*zone).or_default() += 1;
            }
        }
        while plan.budget > 0 {
            let loads = plan.loads();
            let mut hot: Vec<ZoneId> = plan
                .active()
                .into_iter()
                .filter(|z| loads.get(z).is_some_and(|l| *l > high))
                .filter(|z| self.hot_streak.get(z).is_some_and(|n| *n >= self.config.sustain_periods))
                .collect();
            hot.sort_by(|a, b| loads[b].total_cmp(&loads[a]).then(a.cmp(b)));
            let Some(step) = hot.into_iter().find_map(|source| self.best_relief(plan, &loads, source)) else { return };
            plan.apply(step.cell, step.to, step.reason);
        }
    }

    /// The best single move out of `source`: a border cell to an adjacent cooler active zone.
    fn best_relief(&self, plan: &Plan<'_>, loads: &BTreeMap<ZoneId, f32>, source: ZoneId) -> Option<CellMove> {
        let load_h = loads[&source];
        let cells = plan.cells_of(source);
        if cells.len() < 2 {
            return None;
        }
        let mut best: Option<(f32, CellMove)> = None;
        for cell in cells {
            let entities = plan.estimates.entities(cell);
            let shift = plan.estimates.cost(entities);
            if shift < self.config.min_relief || !plan.movable(cell) || self.cooling(cell, plan.input.now_ms) {
                continue;
            }
            for to in plan.neighbour_owners(cell) {
                let load_d = loads.get(&to).copied().unwrap_or(0.0);
                if to == source || plan.state(to) != ZoneState::Active || load_h - load_d <= self.config.margin {
                    continue;
                }
                let (after_h, after_d) = (load_h - shift, load_d + shift);
                if after_d > after_h {
                    continue; // overshoot: the pair would want the cell back
                }
                let worst = after_h.max(after_d);
                if best.as_ref().is_none_or(|(w, m)| worst < *w || (worst == *w && (cell, to) < (m.cell, m.to))) {
                    let reason = MoveReason::Hotspot { from_load: load_h, to_load: load_d };
                    best = Some((worst, CellMove { cell, from: Some(source), to, reason }));
                }
            }
        }
        best.map(|(_, m)| m)
    }
}

/// Step 1: cells without a live owner go to active zones, filling the hole like water: each
/// time, the least loaded active zone that borders an orphan takes it (a zone bordering none,
/// only when no orphan borders any: the least loaded takes the first orphan).
fn recover(plan: &mut Plan<'_>) {
    let active = plan.active();
    let mut orphans: BTreeMap<CellId, MoveReason> = plan
        .input
        .layout
        .leaves()
        .into_iter()
        .filter_map(|cell| match plan.owner.get(&cell) {
            None => Some((cell, MoveReason::Unowned)),
            Some(z) if plan.state(*z) == ZoneState::Dead => Some((cell, MoveReason::ZoneDead)),
            Some(_) => None,
        })
        .collect();
    while let Some(&first) = orphans.keys().next() {
        let bordering: BTreeMap<ZoneId, CellId> = orphans
            .keys()
            .rev()
            .flat_map(|&cell| {
                plan.neighbour_owners(cell).into_iter().filter(|z| active.contains(z)).map(move |z| (z, cell))
            })
            .collect();
        let (cell, to) = match plan.least_loaded(bordering.keys().copied()) {
            Some(zone) => (bordering[&zone], zone),
            None => (first, plan.least_loaded(active.iter().copied()).expect("an active zone")),
        };
        let reason = orphans.remove(&cell).expect("an orphan");
        plan.apply(cell, to, reason);
    }
}

/// Step 2: draining zones give their cells away, border first.
fn drain(plan: &mut Plan<'_>) {
    let draining: Vec<ZoneId> =
        plan.input.zones.iter().filter(|(_, s)| **s == ZoneState::Draining).map(|(z, _)| *z).collect();
    let active = plan.active();
    for zone in draining {
        while plan.budget > 0 {
            let cells: Vec<CellId> = plan.cells_of(zone).into_iter().filter(|c| plan.movable(*c)).collect();
            let Some(&first) = cells.first() else { break };
            let adjacent = |c: &CellId| -> Vec<ZoneId> {
                plan.neighbour_owners(*c).into_iter().filter(|z| active.contains(z)).collect()
            };
            let (cell, candidates) = match cells.iter().find(|c| !adjacent(c).is_empty()) {
                Some(c) => (*c, adjacent(c)),
                None => (first, active.clone()),
            };
            let to = plan.least_loaded(candidates).expect("an active zone");
            plan.apply(cell, to, MoveReason::Drain);
        }
    }
}
