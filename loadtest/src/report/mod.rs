//! The report: what a run measured, as JSON (`report.json`) and as one self-contained HTML
//! page (`report.html`, inline SVG plots, no scripts), plus the k6-like end summary text.

pub mod html;
pub mod meta;
pub mod summary;
pub mod svg;

use crate::bot::BotSummary;
use crate::procstat::ProcSample;
use crate::recorder::{Events, MoveEvent, RollbackEvent, Totals};
use crate::swarm::{Sample, SwarmOutcome};
use crate::threshold::{Threshold, Verdict};
use crate::LoadtestError;
pub use meta::Meta;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub meta: Meta,
    /// Every threshold held.
    pub passed: bool,
    /// The run was stopped early (Ctrl-C).
    pub interrupted: bool,
    pub thresholds: Vec<Verdict>,
    /// The values thresholds are checked against (see `threshold::METRICS`).
    pub metrics: BTreeMap<String, f64>,
    pub totals: Totals,
    /// CPU and memory of the process serving the bots, when it was sampled.
    pub target_process: Option<ProcessCost>,
    pub timeline: Vec<Sample>,
    pub bots: Vec<BotSummary>,
    /// Jumps of the bots' own positions (the first 10,000; `metrics.rollbacks` counts all).
    pub rollbacks: Vec<RollbackEvent>,
    /// Gateway moves, each when its bot played again (the first 10,000).
    pub moves: Vec<MoveEvent>,
}

/// What the sessions cost the process serving them.
#[derive(Clone, Debug, Serialize)]
pub struct ProcessCost {
    /// `self` (the in-process world shares the load tester's process) or the pid given.
    pub pid: String,
    pub note: String,
    pub idle: Option<ProcSample>,
    pub peak_bots: u64,
    /// Mean CPU (percent of one core) over the seconds at peak.
    pub cpu_pct_at_peak: f64,
    pub rss_mib_at_peak: f64,
    pub cpu_pct_per_session: f64,
    pub rss_kib_per_session: f64,
}

impl Report {
    pub fn build(
        meta: Meta,
        thresholds: &[Threshold],
        totals: Totals,
        swarm: SwarmOutcome,
        events: Events,
        proc_note: Option<(String, String)>,
    ) -> Report {
        let metrics = metrics(&totals, &swarm);
        let verdicts: Vec<Verdict> = thresholds.iter().map(|t| t.evaluate(&metrics)).collect();
        let target_process = proc_note.and_then(|(pid, note)| process_cost(&swarm, pid, note));
        Report {
            meta,
            passed: verdicts.iter().all(|v| v.passed),
            interrupted: swarm.interrupted,
            thresholds: verdicts,
            metrics,
            totals,
            target_process,
            timeline: swarm.timeline,
            bots: swarm.bots,
            rollbacks: events.rollbacks,
            moves: events.moves,
        }
    }

    /// Writes `report.json` and `report.html` into `dir` (created if needed); returns their paths.
    pub fn write(&self, dir: &Path) -> Result<(PathBuf, PathBuf), LoadtestError> {
        let err = |path: &Path| {
            let path = path.to_path_buf();
            move |source| LoadtestError::WriteReport { path, source }
        };
        std::fs::create_dir_all(dir).map_err(err(dir))?;
        let json = dir.join("report.json");
        let text = serde_json::to_string_pretty(self).expect("the report serializes");
        std::fs::write(&json, text).map_err(err(&json))?;
        let html_path = dir.join("report.html");
        std::fs::write(&html_path, html::page(self)).map_err(err(&html_path))?;
        Ok((json, html_path))
    }
}

/// The values thresholds can name.
fn metrics(t: &Totals, swarm: &SwarmOutcome) -> BTreeMap<String, f64> {
    let c = &t.counts;
    let mut m = BTreeMap::new();
    let mut put = |k: &str, v: f64| {
        m.insert(k.to_string(), v);
    };
    if t.rtt.count > 0 {
        put("rtt_p50_ms", t.rtt.p50);
        put("rtt_p90_ms", t.rtt.p90);
        put("rtt_p99_ms", t.rtt.p99);
        put("rtt_p999_ms", t.rtt.p999);
        put("rtt_max_ms", t.rtt.max);
        put("rtt_raw_p99_ms", t.rtt_raw.p99);
    }
    if t.connect.count > 0 {
        put("connect_p99_ms", t.connect.p99);
    }
    put("rtt_count", t.rtt.count as f64);
    put("snapshot_gaps", c.snapshot_gaps as f64);
    put("missed_snapshots", c.missed_snapshots as f64);
    put("snapshot_timeouts", c.snapshot_timeouts as f64);
    put("unexpected_disconnects", c.unexpected_disconnects as f64);
    put("connect_failures", c.connect_failures as f64);
    put("server_errors", c.server_errors as f64);
    put("errors", c.errors() as f64);
    put("handoffs_seen", c.handoffs_seen as f64);
    if c.snapshots > 0 {
        put("entities_in_view_mean", c.entities_in_view as f64 / c.snapshots as f64);
    }
    put("cell_crossings", c.cell_crossings as f64);
    put("gateway_moves", c.gateway_moves as f64);
    put("gateway_losses", c.gateway_losses as f64);
    put("stall_notices", c.stall_notices as f64);
    put("twins_seen", swarm.bots.iter().map(|b| b.twins_seen).sum::<u64>() as f64);
    if t.move_outage.count > 0 {
        put("move_outage_max_ms", t.move_outage.max);
    }
    if let Some(tiles) = swarm.bots.iter().filter_map(|b| b.longest_rollback_tiles).reduce(f64::max) {
        put("move_rollback_max_tiles", tiles);
    }
    put("rollbacks", c.rollbacks as f64);
    put("rollback_max_s", swarm.bots.iter().filter_map(|b| b.longest_rollback_s).fold(0.0, f64::max));
    put("bots_peak", swarm.timeline.iter().map(|s| s.connected).max().unwrap_or(0) as f64);
    put("bots_started", swarm.bots.len() as f64);
    put("bots_joined", swarm.bots.iter().filter(|b| b.joined).count() as f64);
    let bot_secs: f64 = swarm.timeline.iter().map(|s| s.connected as f64 * s.window_secs).sum();
    if bot_secs > 0.0 {
        put("bytes_in_per_client_s", c.bytes_in as f64 / bot_secs);
        put("bytes_out_per_client_s", c.bytes_out as f64 / bot_secs);
    }
    m
}

/// CPU and memory at the peak, per session.
fn process_cost(swarm: &SwarmOutcome, pid: String, note: String) -> Option<ProcessCost> {
    let peak = swarm.timeline.iter().map(|s| s.connected).max()?;
    // Seconds at (nearly) the peak, skipping the first one after reaching it.
    let at_peak: Vec<ProcSample> = swarm
        .timeline
        .iter()
        .filter(|s| peak > 0 && s.connected as f64 >= peak as f64 * 0.98)
        .skip(1)
        .filter_map(|s| s.target_proc)
        .collect();
    if at_peak.is_empty() {
        return None;
    }
    let cpu = at_peak.iter().map(|p| p.cpu_pct).sum::<f64>() / at_peak.len() as f64;
    let rss = at_peak.iter().map(|p| p.rss_mib).fold(0.0, f64::max);
    let idle = swarm.target_idle;
    let idle_cpu = idle.map_or(0.0, |i| i.cpu_pct);
    let idle_rss = idle.map_or(0.0, |i| i.rss_mib);
    let per = |v: f64| if peak == 0 { 0.0 } else { v / peak as f64 };
    Some(ProcessCost {
        pid,
        note,
        idle,
        peak_bots: peak,
        cpu_pct_at_peak: cpu,
        rss_mib_at_peak: rss,
        cpu_pct_per_session: per(cpu - idle_cpu),
        rss_kib_per_session: per((rss - idle_rss) * 1024.0),
    })
}
