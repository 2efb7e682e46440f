//! Step 5 of the policy: hot cells split into quarters, cool quarters merge back
//! ([`mmo_world::quadtree`]). Only with `split_merge` on.
//!
//! - **Split.** A cell whose own load is at least `split_load` while its zone is hot (above the
//!   high watermark for `sustain_periods`), for `sustain_periods` in a row, is split into its
//!   four quarters, which its zone keeps; hotspot relief (step 4) then moves quarters to cooler
//!   neighbours as it moves any cell. Not past the deepest level
//!   ([`mmo_world::MAX_DEPTH`]), not a cell in flight or moved this
//!   period, not within `cell_cooldown_ms` of the merge that made it.
//! - **Gather.** Four quarters whose load together stays below `merge_load` for
//!   `sustain_periods` but that several zones own move to the zone owning most of them (within
//!   the migration budget, and only while that zone stays under the high watermark).
//! - **Merge.** Four such quarters owned by one active zone, none in flight and all listed in
//!   that zone's latest report (a handover that timed out may have left one with the zone it
//!   was leaving), merge back into their parent; not within `cell_cooldown_ms` of the split
//!   that made them.
//!
//! `merge_load` well below `split_load` is the hysteresis: a cell just split carries about
//! `split_load` in its quarters, far above what merges them.

use super::{Plan, Policy, ZoneState};
use mmo_cluster::{LoadReport, MoveReason};
use mmo_world::{CellId, ZoneId};
use std::collections::{BTreeMap, BTreeSet};

/// A change of the world's layout, written by the leader as one change of the assignment table.
#[derive(Clone, Debug, PartialEq)]
pub enum Reshape {
    /// Split `cell` into its quarters, all owned by `zone` (its owner).
    Split { cell: CellId, zone: ZoneId, load: f32 },
    /// Merge the quarters of `cell`, all owned by `zone`, back into it.
    Merge { cell: CellId, zone: ZoneId, load: f32 },
}

impl Reshape {
    /// The cell split, or made by the merge.
    pub fn cell(&self) -> CellId {
        match self {
            Reshape::Split { cell, .. } | Reshape::Merge { cell, .. } => *cell,
        }
    }

    /// The zone that owns the cells before and after.
    pub fn zone(&self) -> ZoneId {
        match self {
            Reshape::Split { zone, .. } | Reshape::Merge { zone, .. } => *zone,
        }
    }

    /// The cells it replaces, and the cells it makes.
    pub fn cells(&self) -> (Vec<CellId>, Vec<CellId>) {
        match *self {
            Reshape::Split { cell, .. } => (vec![cell], cell.quarters().to_vec()),
            Reshape::Merge { cell, .. } => (cell.quarters().to_vec(), vec![cell]),
        }
    }
}

/// What step 5 remembers between periods.
#[derive(Debug, Default)]
pub(super) struct Memory {
    /// Periods in a row each cell was hot enough to split.
    split_streak: BTreeMap<CellId, u32>,
    /// Periods in a row the quarters of each split cell were cool enough to merge.
    merge_streak: BTreeMap<CellId, u32>,
    /// When each cell was split or made by a merge (within the cooldown).
    reshaped: BTreeMap<CellId, u64>,
}

impl Memory {
    /// Starts `cell`'s reshape cooldown (a leader taking over the log's reshapes, or an operator's).
    pub(super) fn hold(&mut self, cell: CellId, at_ms: u64) {
        let known = self.reshaped.entry(cell).or_insert(at_ms);
        *known = (*known).max(at_ms);
    }
}

/// Counts one more period in the streak of each cell of `keep`, and forgets the others.
fn streak(streaks: &mut BTreeMap<CellId, u32>, keep: &BTreeSet<CellId>) {
    streaks.retain(|c, _| keep.contains(c));
    for cell in keep {
        *streaks.entry(*cell).or_default() += 1;
    }
}

impl Policy {
    /// Step 5 (see the module documentation): the splits and merges of this period, and the
    /// gathering moves added to `plan`.
    pub(super) fn reshape(&mut self, plan: &mut Plan<'_>) -> Vec<Reshape> {
        if !self.config.split_merge {
            return Vec::new();
        }
        let now = plan.input.now_ms;
        let cooldown = self.config.cell_cooldown_ms;
        self.shapes.reshaped.retain(|_, at| now.saturating_sub(*at) < cooldown);
        let mut out = self.splits(plan);
        out.extend(self.merges(plan));
        for r in &out {
            self.shapes.reshaped.insert(r.cell(), now);
        }
        out
    }

    fn splits(&mut self, plan: &Plan<'_>) -> Vec<Reshape> {
        let loads = plan.loads();
        let (high, sustain) = (self.config.high_watermark, self.config.sustain_periods);
        let hot = |z: &ZoneId| {
            loads.get(z).is_some_and(|l| *l > high) && self.hot_streak.get(z).is_some_and(|n| *n >= sustain)
        };
        let cell_load = |c: &CellId| plan.estimates.cost(plan.estimates.entities(*c));
        let splittable: BTreeSet<CellId> = plan
            .owner
            .iter()
            .filter(|(c, z)| {
                plan.input.layout.can_split(**c)
                    && plan.state(**z) == ZoneState::Active
                    && hot(z)
                    && cell_load(c) >= self.config.split_load
                    && plan.movable(**c)
                    && !self.shapes.reshaped.contains_key(c)
            })
            .map(|(c, _)| *c)
            .collect();
        streak(&mut self.shapes.split_streak, &splittable);
        let ready: Vec<CellId> = splittable.into_iter().filter(|c| self.shapes.split_streak[c] >= sustain).collect();
        ready
            .into_iter()
            .map(|cell| {
                self.shapes.split_streak.remove(&cell);
                Reshape::Split { cell, zone: plan.owner[&cell], load: cell_load(&cell) }
            })
            .collect()
    }

    fn merges(&mut self, plan: &mut Plan<'_>) -> Vec<Reshape> {
        let layout = plan.input.layout;
        let parents: BTreeSet<CellId> = plan
            .owner
            .keys()
            .filter_map(|c| c.parent())
            .filter(|p| p.quarters().iter().all(|q| layout.is_leaf(*q) && plan.owner.contains_key(q)))
            .collect();
        let totals: BTreeMap<CellId, f32> = parents
            .into_iter()
            .map(|p| (p, p.quarters().iter().map(|q| plan.estimates.cost(plan.estimates.entities(*q))).sum()))
            .collect();
        let cool: BTreeSet<CellId> = totals
            .iter()
            .filter(|(p, total)| **total < self.config.merge_load && !self.shapes.reshaped.contains_key(p))
            .map(|(p, _)| *p)
            .collect();
        streak(&mut self.shapes.merge_streak, &cool);
        let ready: Vec<CellId> =
            cool.into_iter().filter(|p| self.shapes.merge_streak[p] >= self.config.sustain_periods).collect();
        let mut out = Vec::new();
        for parent in ready {
            let quarters = parent.quarters();
            if !quarters.iter().all(|q| plan.movable(*q)) {
                continue; // a quarter in flight: next period
            }
            let owners: Vec<ZoneId> = quarters.iter().map(|q| plan.owner[q]).collect();
            let Some(gatherer) = gatherer(plan, &owners) else { continue };
            if owners.iter().all(|z| *z == gatherer) {
                if !simulates_all(plan.input.loads, gatherer, &quarters) {
                    continue; // a handover that timed out: the zone it left may hold it still
                }
                self.shapes.merge_streak.remove(&parent);
                out.push(Reshape::Merge { cell: parent, zone: gatherer, load: totals[&parent] });
                continue;
            }
            for q in quarters {
                let shift = plan.estimates.cost(plan.estimates.entities(q));
                let room = plan.loads().get(&gatherer).is_some_and(|l| l + shift <= self.config.high_watermark);
                if plan.owner[&q] != gatherer && plan.budget > 0 && room {
                    plan.apply(q, gatherer, MoveReason::Gather);
                }
            }
        }
        out
    }
}

/// Whether `zone`'s latest report lists every one of `quarters` (it simulates them: a merge
/// then leaves no piece of the merged cell with another zone).
pub fn simulates_all(loads: &BTreeMap<ZoneId, LoadReport>, zone: ZoneId, quarters: &[CellId]) -> bool {
    loads.get(&zone).is_some_and(|r| quarters.iter().all(|q| r.simulates(*q)))
}

/// The active zone that gathers quarters owned by `owners`: the one owning most of them (ties:
/// the least loaded); `None` if none of them is active.
fn gatherer(plan: &Plan<'_>, owners: &[ZoneId]) -> Option<ZoneId> {
    let loads = plan.loads();
    let mut counts: BTreeMap<ZoneId, usize> = BTreeMap::new();
    for z in owners.iter().filter(|z| plan.state(**z) == ZoneState::Active) {
        *counts.entry(*z).or_default() += 1;
    }
    counts
        .into_iter()
        .max_by(|(za, na), (zb, nb)| {
            let load = |z: &ZoneId| loads.get(z).copied().unwrap_or(0.0);
            na.cmp(nb).then(load(zb).total_cmp(&load(za))).then(zb.cmp(za))
        })
        .map(|(z, _)| z)
}
