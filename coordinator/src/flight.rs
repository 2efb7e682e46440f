//! Migrations in flight: from the write that gives a cell to a new owner until that owner's load
//! report lists the cell (it simulates it), or for at most a timeout. Pure bookkeeping, no I/O
//! and no clock (the caller passes `now`): the service keeps one, and so does the whole-cluster
//! simulation (`mmo-sim`).

use mmo_cluster::{LoadReport, MoveReason};
use mmo_world::{CellId, Epoch, ZoneId};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// A migration whose new owner has not taken the cell yet.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Migration {
    #[serde(serialize_with = "crate::api::ser_cell")]
    pub cell: CellId,
    pub from: Option<ZoneId>,
    pub to: ZoneId,
    pub epoch: Epoch,
    pub started_unix_ms: u64,
    pub reason: MoveReason,
}

/// The migrations in flight, by cell.
#[derive(Clone, Debug, Default)]
pub struct InFlight {
    migrations: BTreeMap<CellId, Migration>,
}

impl InFlight {
    pub fn start(&mut self, migration: Migration) {
        self.migrations.insert(migration.cell, migration);
    }

    pub fn cells(&self) -> BTreeSet<CellId> {
        self.migrations.keys().copied().collect()
    }

    pub fn len(&self) -> usize {
        self.migrations.len()
    }

    pub fn is_empty(&self) -> bool {
        self.migrations.is_empty()
    }

    pub fn migrations(&self) -> impl Iterator<Item = &Migration> + '_ {
        self.migrations.values()
    }

    /// Whether a cell is still leaving `zone`.
    pub fn leaving(&self, zone: ZoneId) -> bool {
        self.migrations.values().any(|m| m.from == Some(zone))
    }

    /// Ends the migrations whose new owner reports the cell (in a report made after the move),
    /// and those older than `timeout_ms`; returns the ones that timed out untaken.
    pub fn settle(&mut self, loads: &BTreeMap<ZoneId, LoadReport>, now_ms: u64, timeout_ms: u64) -> Vec<Migration> {
        let mut expired = Vec::new();
        self.migrations.retain(|cell, m| {
            let taken = loads.get(&m.to).is_some_and(|r| r.at_unix_ms >= m.started_unix_ms && r.simulates(*cell));
            let late = now_ms.saturating_sub(m.started_unix_ms) > timeout_ms;
            if late && !taken {
                expired.push(m.clone());
            }
            !(taken || late)
        });
        expired
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(at: u64, cells: &[CellId]) -> LoadReport {
        LoadReport {
            at_unix_ms: at,
            entities_per_cell: cells.iter().map(|c| (*c, 0)).collect(),
            ..LoadReport::default()
        }
    }

    #[test]
    fn a_migration_ends_when_a_newer_report_of_its_receiver_lists_the_cell_or_it_times_out() {
        let (a, b) = (CellId::new(0, 0), CellId::new(1, 0));
        let mut flight = InFlight::default();
        for cell in [a, b] {
            let reason = MoveReason::Manual;
            flight.start(Migration {
                cell,
                from: Some(ZoneId(1)),
                to: ZoneId(2),
                epoch: Epoch(2),
                started_unix_ms: 1_000,
                reason,
            });
        }
        assert!(flight.leaving(ZoneId(1)));
        // A report from before the move lists the cell: not yet.
        let old = BTreeMap::from([(ZoneId(2), report(900, &[a]))]);
        assert!(flight.settle(&old, 1_100, 5_000).is_empty());
        assert_eq!(flight.len(), 2);
        let new = BTreeMap::from([(ZoneId(2), report(1_200, &[a]))]);
        assert!(flight.settle(&new, 1_300, 5_000).is_empty());
        assert_eq!(flight.cells(), BTreeSet::from([b]));
        let expired = flight.settle(&new, 6_001, 5_000);
        assert_eq!(expired.iter().map(|m| m.cell).collect::<Vec<_>>(), [b]);
        assert!(flight.is_empty() && !flight.leaving(ZoneId(1)));
    }
}
