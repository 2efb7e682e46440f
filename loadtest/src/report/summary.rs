//! The end-of-run summary printed to stdout, k6 style: the thresholds with a mark each, then
//! one dotted line per figure.

use super::Report;
use crate::progress::si;
use crate::recorder::Percentiles;
use std::collections::BTreeMap;
use std::fmt::Write;

fn dots(name: &str) -> String {
    format!("{name:.<28}:")
}

fn pct(p: &Percentiles) -> String {
    if p.count == 0 {
        return "none".into();
    }
    format!(
        "avg={:.1}ms p50={:.1}ms p90={:.1}ms p99={:.1}ms p99.9={:.1}ms max={:.1}ms count={}",
        p.mean, p.p50, p.p90, p.p99, p.p999, p.max, p.count
    )
}

fn reasons(map: &BTreeMap<String, u64>) -> String {
    if map.is_empty() {
        return "none".into();
    }
    map.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", ")
}

/// The summary text.
pub fn text(r: &Report) -> String {
    let m = &r.meta;
    let c = &r.totals.counts;
    let mut out = String::new();
    let s = &m.scenario;
    let _ = writeln!(out);
    let source = s.source.as_deref().map(|p| format!(" ({p})")).unwrap_or_default();
    let _ = writeln!(out, "  scenario: {}{source}, seed {}", s.name, s.seed);
    let target = match &m.in_process_world {
        Some(w) => format!(
            "in-process local world at {} ({} zone(s), {}x{} cells of {} tiles)",
            m.target, w.zones, w.width_cells, w.height_cells, w.cell_tiles
        ),
        None => m.target.clone(),
    };
    let _ = writeln!(out, "  target:   {target}");
    let _ = writeln!(out, "  stages:   {}", s.stages.join(", "));
    let _ = writeln!(out, "  mix:      transports {}; behaviours {}", s.transport_mix, s.behaviours);
    let _ = writeln!(out, "  machine:  {} cores ({} {})", m.machine.cores, m.machine.os, m.machine.arch);
    let _ = writeln!(out);
    let default = if s.default_thresholds { " (defaults)" } else { "" };
    let _ = writeln!(out, "  THRESHOLDS{default}");
    for v in &r.thresholds {
        let mark = if v.passed { "✓" } else { "✗" };
        let actual = v.actual.map_or_else(|| "no value".to_string(), |a| format!("{a:.2}"));
        let _ = writeln!(out, "    {mark} {:.<40} {actual}", format!("{} ", v.threshold));
    }
    let _ = writeln!(out);
    let peak = r.metrics.get("bots_peak").copied().unwrap_or(0.0);
    let joined = r.metrics.get("bots_joined").copied().unwrap_or(0.0);
    let lines: Vec<(&str, String)> = vec![
        (
            "bots",
            format!(
                "started {} joined {joined} peak {peak} connect failures {} ({})",
                r.bots.len(),
                c.connect_failures,
                reasons(&r.totals.connect_failures_by_reason)
            ),
        ),
        ("connect (to Joined)", pct(&r.totals.connect)),
        ("input round trip", pct(&r.totals.rtt)),
        ("  from actual send", pct(&r.totals.rtt_raw)),
        (
            "snapshots",
            format!(
                "{} gaps {} ({} ticks missed) late {} missing baselines {}",
                c.snapshots, c.snapshot_gaps, c.missed_snapshots, c.late_snapshots, c.missing_baselines
            ),
        ),
        ("handoffs seen", c.handoffs_seen.to_string()),
        ("cell crossings", c.cell_crossings.to_string()),
        (
            "gateway moves",
            format!(
                "{} ({} ticks skipped across them); snapshot outage {}",
                c.gateway_moves,
                c.move_skipped_ticks,
                pct(&r.totals.move_outage)
            ),
        ),
        (
            "rollbacks",
            format!(
                "{} (most progress lost {:.2}s)",
                c.rollbacks,
                r.metrics.get("rollback_max_s").copied().unwrap_or(0.0)
            ),
        ),
        (
            "disconnects",
            format!(
                "unexpected {} planned {} ({})",
                c.unexpected_disconnects,
                c.planned_disconnects,
                reasons(&r.totals.disconnects_by_reason)
            ),
        ),
        ("server errors", reasons(&r.totals.server_errors_by_code)),
        ("chat", format!("sent {} received {}", c.chat_sent, c.chat_received)),
        ("attacks", c.attacks.to_string()),
        (
            "messages",
            format!(
                "out {} ({}/s) in {} ({}/s)",
                c.msgs_out,
                si(c.msgs_out as f64 / m.duration_s.max(1e-3)),
                c.msgs_in,
                si(c.msgs_in as f64 / m.duration_s.max(1e-3))
            ),
        ),
        (
            "bytes per client per second",
            format!(
                "in {} out {}",
                si(r.metrics.get("bytes_in_per_client_s").copied().unwrap_or(0.0)),
                si(r.metrics.get("bytes_out_per_client_s").copied().unwrap_or(0.0))
            ),
        ),
    ];
    for (name, value) in lines {
        let _ = writeln!(out, "  {} {value}", dots(name));
    }
    if let Some(p) = &r.target_process {
        let _ = writeln!(
            out,
            "  {} pid {}: {:.1}% CPU, {:.1} MiB at {} bots; per session {:.3}% CPU, {:.1} KiB ({})",
            dots("serving process"),
            p.pid,
            p.cpu_pct_at_peak,
            p.rss_mib_at_peak,
            p.peak_bots,
            p.cpu_pct_per_session,
            p.rss_kib_per_session,
            p.note
        );
    }
    let failed = r.thresholds.iter().filter(|v| !v.passed).count();
    let _ = writeln!(out);
    if r.passed {
        let _ = writeln!(out, "  PASSED: {} threshold(s) held", r.thresholds.len());
    } else {
        let _ = writeln!(out, "  FAILED: {failed} of {} threshold(s) crossed", r.thresholds.len());
    }
    if r.interrupted {
        let _ = writeln!(out, "  (interrupted before the end of the last stage)");
    }
    out
}
