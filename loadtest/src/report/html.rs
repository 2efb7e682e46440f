//! The report as one HTML page: tables and inline SVG plots, no scripts, no external files.

use super::svg::{bar_chart, esc, line_chart, Series};
use super::Report;
use std::fmt::Write;

/// The report pages' style sheet (the chaos soak's report uses it too).
pub const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:24px auto;max-width:800px;color:#111}\
h1{font-size:22px}h2{font-size:17px;margin-top:28px}table{border-collapse:collapse;margin:8px 0}\
td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}th{background:#f3f4f6}\
.pass{color:#15803d;font-weight:600}.fail{color:#b91c1c;font-weight:600}\
.chart{width:100%;height:auto;margin:6px 0 14px}.chart .title{font-weight:600;font-size:13px}\
.chart .ylab{font-size:11px;text-anchor:end}.chart .xlab{font-size:11px;text-anchor:middle}\
.chart .axis{font-size:11px;fill:#555;text-anchor:middle}.chart .legend{font-size:11px}code{font-size:12px}";

fn row(out: &mut String, k: &str, v: &str) {
    let _ = write!(out, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(v));
}

/// The page.
pub fn page(r: &Report) -> String {
    let m = &r.meta;
    let s = &m.scenario;
    let c = &r.totals.counts;
    let mut out = String::new();
    let verdict = if r.passed { "<span class=pass>PASSED</span>" } else { "<span class=fail>FAILED</span>" };
    let _ = write!(
        out,
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>Load test: {name}</title><style>{STYLE}</style></head><body><h1>Load test: {name} — {verdict}</h1>",
        name = esc(&s.name)
    );
    if !s.description.is_empty() {
        let _ = write!(out, "<p>{}</p>", esc(&s.description));
    }

    out.push_str("<h2>Thresholds</h2><table><tr><th>threshold</th><th>measured</th><th>result</th></tr>");
    for v in &r.thresholds {
        let actual = v.actual.map_or_else(|| "no value".into(), |a| format!("{a:.2}"));
        let result = if v.passed { "<span class=pass>pass</span>" } else { "<span class=fail>fail</span>" };
        let _ = write!(out, "<tr><td><code>{}</code></td><td>{actual}</td><td>{result}</td></tr>", esc(&v.threshold));
    }
    out.push_str("</table>");

    let t = &r.timeline;
    let series = |name: &str, f: &dyn Fn(&crate::swarm::Sample) -> f64| {
        Series::new(name, t.iter().map(|s| (s.t, f(s))).collect())
    };
    let per_s = |v: u64, s: &crate::swarm::Sample| v as f64 / s.window_secs.max(1e-3);
    out.push_str("<h2>Plots</h2>");
    out.push_str(&line_chart(
        "Bots over time",
        "bots",
        &[series("connected", &|s| s.connected as f64), series("target", &|s| f64::from(s.target))],
        false,
    ));
    let with_rtt = |name: &str, f: &dyn Fn(&crate::swarm::Sample) -> f64| {
        Series::new(name, t.iter().filter(|s| s.rtt.count > 0).map(|s| (s.t, f(s))).collect())
    };
    out.push_str(&line_chart(
        "Input round trip per second (corrected for coordinated omission)",
        "ms",
        &[
            with_rtt("p50", &|s| s.rtt.p50),
            with_rtt("p90", &|s| s.rtt.p90),
            with_rtt("p99", &|s| s.rtt.p99),
            with_rtt("max", &|s| s.rtt.max),
        ],
        false,
    ));
    out.push_str(&line_chart(
        "Snapshot gaps per second",
        "count",
        &[
            series("gaps", &|s| s.counts.snapshot_gaps as f64),
            series("ticks missed", &|s| s.counts.missed_snapshots as f64),
            series("late", &|s| s.counts.late_snapshots as f64),
        ],
        true,
    ));
    out.push_str(&line_chart(
        "Handoffs seen, cell crossings and gateway moves per second",
        "count",
        &[
            series("handoffs", &|s| s.counts.handoffs_seen as f64),
            series("cell crossings", &|s| s.counts.cell_crossings as f64),
            series("gateway moves", &|s| s.counts.gateway_moves as f64),
        ],
        true,
    ));
    let mut bars: Vec<(String, f64)> =
        r.totals.disconnects_by_reason.iter().map(|(k, v)| (k.clone(), *v as f64)).collect();
    bars.extend(r.totals.connect_failures_by_reason.iter().map(|(k, v)| (format!("connect: {k}"), *v as f64)));
    out.push_str(&bar_chart("Disconnects by reason (Left = planned)", &bars));
    out.push_str(&line_chart(
        "Bytes per client per second",
        "bytes/s",
        &[series("received", &|s| s.bytes_in_per_client_s), series("sent", &|s| s.bytes_out_per_client_s)],
        false,
    ));
    out.push_str(&line_chart(
        "Messages per second",
        "msgs/s",
        &[series("received", &|s| per_s(s.counts.msgs_in, s)), series("sent", &|s| per_s(s.counts.msgs_out, s))],
        false,
    ));
    if t.iter().any(|s| s.target_proc.is_some()) {
        let cpu = |s: &crate::swarm::Sample| s.target_proc.map_or(f64::NAN, |p| p.cpu_pct);
        let rss = |s: &crate::swarm::Sample| s.target_proc.map_or(f64::NAN, |p| p.rss_mib);
        out.push_str(&line_chart("Serving process CPU (% of one core)", "%", &[series("cpu", &cpu)], false));
        out.push_str(&line_chart("Serving process memory (RSS)", "MiB", &[series("rss", &rss)], false));
    }

    out.push_str("<h2>Totals</h2><table>");
    let p = |p: &crate::recorder::Percentiles| {
        format!("p50 {:.1} / p90 {:.1} / p99 {:.1} / max {:.1} ms ({} samples)", p.p50, p.p90, p.p99, p.max, p.count)
    };
    row(&mut out, "input round trip (corrected)", &p(&r.totals.rtt));
    row(&mut out, "input round trip (from actual send)", &p(&r.totals.rtt_raw));
    row(&mut out, "connect to Joined", &p(&r.totals.connect));
    row(
        &mut out,
        "bots started / joined",
        &format!("{} / {}", r.bots.len(), r.bots.iter().filter(|b| b.joined).count()),
    );
    row(
        &mut out,
        "snapshots / gaps / ticks missed",
        &format!("{} / {} / {}", c.snapshots, c.snapshot_gaps, c.missed_snapshots),
    );
    row(&mut out, "handoffs seen / cell crossings", &format!("{} / {}", c.handoffs_seen, c.cell_crossings));
    row(&mut out, "stall notices (gateway alive, no snapshot)", &c.stall_notices.to_string());
    row(
        &mut out,
        "gateway moves / longest snapshot outage across one",
        &format!("{} / {:.0} ms", c.gateway_moves, r.totals.move_outage.max),
    );
    if c.rollbacks > 0 {
        let tiles = r.rollbacks.iter().map(|e| e.tiles).fold(0.0, f64::max);
        let secs = r.metrics.get("rollback_max_s").copied().unwrap_or(0.0);
        let unmatched = r.rollbacks.iter().filter(|e| e.seconds.is_none()).count();
        row(
            &mut out,
            "rollbacks of a bot's own position / most progress lost / longest jump",
            &format!("{} / {secs:.2} s / {tiles:.1} tiles ({unmatched} to places never held)", c.rollbacks),
        );
    }
    row(
        &mut out,
        "unexpected / planned disconnects",
        &format!("{} / {}", c.unexpected_disconnects, c.planned_disconnects),
    );
    row(&mut out, "messages out / in", &format!("{} / {}", c.msgs_out, c.msgs_in));
    row(&mut out, "bytes out / in", &format!("{} / {}", c.bytes_out, c.bytes_in));
    row(&mut out, "chat sent / received, attacks", &format!("{} / {}, {}", c.chat_sent, c.chat_received, c.attacks));
    let errors: Vec<String> = r.totals.server_errors_by_code.iter().map(|(k, v)| format!("{k} {v}")).collect();
    row(&mut out, "server errors", &if errors.is_empty() { "none".into() } else { errors.join(", ") });
    if let Some(pc) = &r.target_process {
        row(
            &mut out,
            "serving process",
            &format!(
                "pid {}: {:.1}% CPU, {:.1} MiB at {} bots; per session {:.3}% CPU, {:.1} KiB — {}",
                pc.pid,
                pc.cpu_pct_at_peak,
                pc.rss_mib_at_peak,
                pc.peak_bots,
                pc.cpu_pct_per_session,
                pc.rss_kib_per_session,
                pc.note
            ),
        );
    }
    out.push_str("</table>");

    out.push_str("<h2>Run</h2><table>");
    row(&mut out, "started", &m.started_at);
    row(&mut out, "duration", &format!("{:.1} s", m.duration_s));
    row(&mut out, "git commit", m.git_commit.as_deref().unwrap_or("unknown"));
    row(
        &mut out,
        "scenario",
        &format!("{}{}", s.name, s.source.as_deref().map(|p| format!(" ({p})")).unwrap_or_default()),
    );
    row(&mut out, "seed", &s.seed.to_string());
    row(&mut out, "stages", &s.stages.join(", "));
    row(&mut out, "transport mix", &s.transport_mix);
    row(&mut out, "behaviours", &s.behaviours);
    row(&mut out, "target", &m.target);
    if let Some(w) = &m.in_process_world {
        row(
            &mut out,
            "in-process world",
            &format!(
                "{} zone(s), {}x{} cells of {} tiles, {} NPCs per cell, seed {}",
                w.zones, w.width_cells, w.height_cells, w.cell_tiles, w.npcs_per_cell, w.seed
            ),
        );
    }
    row(&mut out, "machine", &format!("{} cores, {} {}", m.machine.cores, m.machine.os, m.machine.arch));
    if let Some(b) = &m.udp_buffers {
        row(
            &mut out,
            "UDP buffers (asked / granted rx / tx)",
            &format!("{} / {} / {} bytes, {} QUIC endpoint(s)", b.requested, b.recv, b.send, m.quic_endpoints),
        );
    }
    row(&mut out, "tool", &format!("{} {}", m.tool, m.version));
    out.push_str("</table></body></html>\n");
    out
}
