//! The zone's load report: every reporting period, the tick durations and entity counts of the
//! period become one [`LoadReport`], published on a watch channel
//! ([`ZoneRuntime::load_reports`](super::ZoneRuntime::load_reports)). Whoever hosts the zone
//! publishes it in the registry (`Registry::report_load`) under the zone's lease.

use mmo_cluster::LoadReport;
use mmo_world::CellId;
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::sync::watch;

/// How often a zone reports its load, unless told otherwise.
pub const DEFAULT_REPORT_PERIOD: Duration = Duration::from_secs(1);

/// How many entities a zone is sized for, unless told otherwise (the registry's
/// `ZoneInfo::capacity` and the report's `capacity`).
pub const DEFAULT_CAPACITY: u32 = 2000;

/// Collects one period's ticks and publishes a report at the end of each period.
#[derive(Debug)]
pub(super) struct LoadMeter {
    period_ms: u64,
    budget_ms: f32,
    capacity: u32,
    /// When the current period started (unix ms); 0 before the first tick.
    period_start_ms: u64,
    /// Tick durations of the current period, in milliseconds.
    tick_ms: Vec<f32>,
    /// Entities per owned cell at the period's last tick.
    cells: BTreeMap<CellId, u32>,
    reports: watch::Sender<LoadReport>,
}

impl LoadMeter {
    pub fn new(budget_ms: u32, period: Duration, capacity: u32) -> Self {
        LoadMeter {
            period_ms: u64::try_from(period.as_millis()).unwrap_or(u64::MAX).max(1),
            budget_ms: budget_ms as f32,
            capacity,
            period_start_ms: 0,
            tick_ms: Vec::new(),
            cells: BTreeMap::new(),
            reports: watch::Sender::new(LoadReport { budget_ms: budget_ms as f32, capacity, ..LoadReport::default() }),
        }
    }

    pub fn set_period(&mut self, period: Duration) {
        self.period_ms = u64::try_from(period.as_millis()).unwrap_or(u64::MAX).max(1);
    }

    pub fn set_capacity(&mut self, capacity: u32) {
        self.capacity = capacity;
    }

    pub fn subscribe(&self) -> watch::Receiver<LoadReport> {
        self.reports.subscribe()
    }

    /// Files one tick (its duration and the entities of each owned cell, from the frames it
    /// published); at the end of a period publishes the report.
    pub fn record(&mut self, now_ms: u64, took: Duration, cells: impl IntoIterator<Item = (CellId, u32)>) {
        if self.period_start_ms == 0 {
            self.period_start_ms = now_ms;
        }
        self.tick_ms.push(took.as_secs_f32() * 1000.0);
        self.cells = cells.into_iter().collect();
        if now_ms.saturating_sub(self.period_start_ms) >= self.period_ms {
            let report = self.report(now_ms);
            self.reports.send_replace(report);
            self.period_start_ms = now_ms;
            self.tick_ms.clear();
        }
    }

    fn report(&mut self, now_ms: u64) -> LoadReport {
        LoadReport {
            at_unix_ms: now_ms,
            tick_time_ms_p99: p99(&mut self.tick_ms),
            budget_ms: self.budget_ms,
            entities: self.cells.values().sum(),
            entities_per_cell: self.cells.clone(),
            capacity: self.capacity,
        }
    }
}

/// The 99th percentile (nearest rank) of `samples`; 0 when empty.
fn p99(samples: &mut [f32]) -> f32 {
    if samples.is_empty() {
        return 0.0;
    }
    samples.sort_by(f32::total_cmp);
    let rank = (samples.len() * 99).div_ceil(100).max(1);
    samples[rank - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_period_of_ticks_becomes_one_report() {
        let mut meter = LoadMeter::new(50, Duration::from_millis(1000), 100);
        let reports = meter.subscribe();
        let frames = [(CellId::new(0, 0), 3), (CellId::new(1, 0), 5)];
        // 100 ticks of 1..=100 ms over one second: p99 = 99 ms.
        for i in 1..=100u64 {
            meter.record(1_000_000 + (i - 1) * 10, Duration::from_millis(i), frames);
        }
        assert_eq!(reports.borrow().at_unix_ms, 0, "no report before the period ends");
        meter.record(1_001_000, Duration::from_millis(1), frames[..1].to_vec());
        let report = reports.borrow().clone();
        assert_eq!(report.at_unix_ms, 1_001_000);
        assert_eq!(report.tick_time_ms_p99, 99.0);
        assert_eq!(report.budget_ms, 50.0);
        assert_eq!(report.entities, 3, "the counts of the period's last tick");
        assert_eq!(report.entities_per_cell, BTreeMap::from([(CellId::new(0, 0), 3)]));
        assert_eq!(report.capacity, 100);
    }

    #[test]
    fn p99_by_nearest_rank() {
        assert_eq!(p99(&mut []), 0.0);
        assert_eq!(p99(&mut [4.0]), 4.0);
        assert_eq!(p99(&mut [3.0, 1.0, 2.0]), 3.0);
    }
}
