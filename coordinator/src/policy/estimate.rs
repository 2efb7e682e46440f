//! Load estimates on a changing assignment.
//!
//! Reports lag behind moves: a zone's last report may still count a cell it just gave away, and
//! the receiver's does not count it yet. So the policy never compares raw reports: it projects
//! each zone's load onto the assignment being planned,
//!
//! `projected(z) = reported_load(z) + marginal_cost * (entities now assigned to z - entities z reported)`,
//!
//! where a cell's entities come from the freshest report that lists it (the old owner's until
//! the new owner reports) and `marginal_cost` is the cluster's load per entity. Planned moves
//! are therefore counted as soon as they are planned, which is what keeps the policy from
//! moving the same load twice while reports catch up.

use mmo_cluster::LoadReport;
use mmo_world::{CellId, ZoneId};
use std::collections::BTreeMap;

#[derive(Debug)]
pub(super) struct Estimates {
    /// Entities per cell, from the freshest report that lists the cell.
    cell_entities: BTreeMap<CellId, u32>,
    /// Per zone: (reported load, entities counted in its report).
    reported: BTreeMap<ZoneId, (f32, u64)>,
    /// Load per entity across the cluster.
    marginal_cost: f32,
}

impl Estimates {
    /// From the reports known (current ones and remembered ones of zones that died).
    pub(super) fn new<'a>(reports: impl IntoIterator<Item = (&'a ZoneId, &'a LoadReport)>) -> Self {
        let mut freshest: BTreeMap<CellId, (u64, u32)> = BTreeMap::new();
        let mut reported = BTreeMap::new();
        let (mut total_load, mut total_entities) = (0.0f32, 0u64);
        for (&zone, report) in reports {
            let counted: u64 = report.entities_per_cell.values().map(|&n| u64::from(n)).sum();
            reported.insert(zone, (report.load(), counted));
            total_load += report.load();
            total_entities += counted;
            for (&cell, &entities) in &report.entities_per_cell {
                let entry = freshest.entry(cell).or_insert((report.at_unix_ms, entities));
                if report.at_unix_ms > entry.0 {
                    *entry = (report.at_unix_ms, entities);
                }
            }
        }
        let marginal_cost = if total_entities > 0 { total_load / total_entities as f32 } else { 0.0 };
        Estimates { cell_entities: freshest.into_iter().map(|(c, (_, n))| (c, n)).collect(), reported, marginal_cost }
    }

    /// The entities in `cell`. A cell no report lists yet, just split or merged, is estimated
    /// from the cell it came from: a quarter of its parent's, or the sum of its quarters'.
    pub(super) fn entities(&self, cell: CellId) -> u32 {
        if let Some(&n) = self.cell_entities.get(&cell) {
            return n;
        }
        if let Some(&n) = cell.parent().and_then(|p| self.cell_entities.get(&p)) {
            return n / 4;
        }
        cell.quarters().iter().filter_map(|q| self.cell_entities.get(q)).sum()
    }

    /// The load `entities` add to (or take from) a zone.
    pub(super) fn cost(&self, entities: u32) -> f32 {
        self.marginal_cost * entities as f32
    }

    /// Every zone's projected load on `owner` (zones listed in `zones`).
    pub(super) fn loads(
        &self,
        owner: &BTreeMap<CellId, ZoneId>,
        zones: impl IntoIterator<Item = ZoneId>,
    ) -> BTreeMap<ZoneId, f32> {
        let mut assigned: BTreeMap<ZoneId, u64> = BTreeMap::new();
        for (&cell, &zone) in owner {
            *assigned.entry(zone).or_default() += u64::from(self.entities(cell));
        }
        zones
            .into_iter()
            .map(|zone| {
                let (load, counted) = self.reported.get(&zone).copied().unwrap_or((0.0, 0));
                let now = assigned.get(&zone).copied().unwrap_or(0);
                let projected = load + self.marginal_cost * (now as f32 - counted as f32);
                (zone, projected.max(0.0))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(at: u64, load: f32, cells: &[(CellId, u32)]) -> LoadReport {
        LoadReport {
            at_unix_ms: at,
            tick_time_ms_p99: load * 50.0,
            budget_ms: 50.0,
            entities: cells.iter().map(|c| c.1).sum(),
            entities_per_cell: cells.iter().copied().collect(),
            capacity: 0,
        }
    }

    #[test]
    fn a_move_shows_at_once_even_before_the_reports_catch_up() {
        let (a, b) = (CellId::new(0, 0), CellId::new(1, 0));
        // Zone 1 reported both cells (100 entities), zone 2 reported nothing yet.
        let reports =
            BTreeMap::from([(ZoneId(1), report(10, 0.8, &[(a, 60), (b, 40)])), (ZoneId(2), report(10, 0.0, &[]))]);
        let estimates = Estimates::new(&reports);
        assert_eq!(estimates.entities(b), 40);
        // Cell b moved to zone 2: 40 % of zone 1's load moves with it.
        let owner = BTreeMap::from([(a, ZoneId(1)), (b, ZoneId(2))]);
        let loads = estimates.loads(&owner, [ZoneId(1), ZoneId(2)]);
        assert!((loads[&ZoneId(1)] - 0.48).abs() < 1e-4, "{loads:?}");
        assert!((loads[&ZoneId(2)] - 0.32).abs() < 1e-4, "{loads:?}");
    }

    #[test]
    fn a_cell_just_split_or_merged_is_estimated_from_the_cells_it_came_from() {
        let (c, other) = (CellId::new(0, 0), CellId::new(1, 0));
        let q = other.quarters();
        let reports = BTreeMap::from([(ZoneId(1), report(10, 0.5, &[(c, 80), (q[0], 7), (q[3], 5)]))]);
        let estimates = Estimates::new(&reports);
        assert_eq!(estimates.entities(c.quarter(2)), 20, "a quarter of its parent's");
        assert_eq!(estimates.entities(other), 12, "the sum of its quarters'");
        assert_eq!(estimates.entities(q[0]), 7);
    }

    #[test]
    fn the_freshest_report_of_a_cell_wins() {
        let c = CellId::new(0, 0);
        let reports =
            BTreeMap::from([(ZoneId(1), report(10, 0.5, &[(c, 50)])), (ZoneId(2), report(20, 0.1, &[(c, 5)]))]);
        assert_eq!(Estimates::new(&reports).entities(c), 5);
    }
}
