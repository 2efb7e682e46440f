//! The chaos soak's report: what was struck when, how each fault recovered and what it cost
//! the players, the census, the targets and the verdict; as `chaos.json` and `chaos.html` (a
//! self-contained page: tables and inline SVG, the fault timeline over the bots' own plots).
//! The bots' load-test reports, one per swarm (a swarm enters through each gateway), are
//! written beside it (`bots-N/report.{json,html}`).

use super::census::{CharacterCensus, ItemCensus};
use super::schedule::FaultKind;
use super::ChaosConfig;
use mmo_loadtest::report::html::STYLE;
use mmo_loadtest::report::svg::{esc, line_chart_marked, Mark, Series};
use mmo_loadtest::Report;
use serde::Serialize;
use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long after a fault its effects are counted (unless the next fault comes sooner).
pub const EFFECT_WINDOW: Duration = Duration::from_secs(20);
/// How long after a gateway kill its bots' moves count as recovering from it.
pub const RECOVERY_WINDOW: Duration = Duration::from_secs(60);
/// Movement a zone kill may roll back (the target).
pub const ROLLBACK_TARGET_S: f64 = 1.0;

/// One fault, its recovery and its effects.
#[derive(Clone, Debug, Serialize)]
pub struct FaultRecord {
    pub kind: FaultKind,
    pub target: String,
    /// Seconds since the faults began.
    pub at_s: f64,
    pub at_unix_ms: u64,
    /// What `recovered_ms` measures.
    pub recovery: &'static str,
    /// None: not recovered within the probe's patience.
    pub recovered_ms: Option<f64>,
    pub detail: String,
    /// Players on the struck zone or gateway when it was struck.
    pub players_hit: usize,
    /// A pause: when the zone was resumed, and the durable writes the store accepted from it
    /// that it sent with its lease no longer known valid (must be 0), as its saver counted them.
    pub resumed_unix_ms: Option<u64>,
    pub fenced_writes_accepted: Option<u64>,
    /// Those the store refused (stale versions): the fence at work.
    pub fenced_writes_refused: Option<u64>,
    /// Saves the paused run did not send at all, its lease being gone.
    pub fenced_writes_withheld: Option<u64>,
    #[serde(skip)]
    pub log: Option<PathBuf>,
    pub effects: Effects,
}

/// What the bots saw in the window after a fault.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Effects {
    pub window_s: f64,
    pub snapshot_gaps: u64,
    pub missed_snapshots: u64,
    pub unexpected_disconnects: u64,
    pub gateway_moves: u64,
    /// Characters put back where they stood earlier, and the most progress one lost.
    pub rollbacks: u64,
    pub rollback_max_s: Option<f64>,
}

impl FaultRecord {
    pub fn new(kind: FaultKind, at_unix_ms: u64, at: Duration) -> FaultRecord {
        FaultRecord {
            kind,
            target: String::new(),
            at_s: at.as_secs_f64(),
            at_unix_ms,
            recovery: "",
            recovered_ms: None,
            detail: String::new(),
            players_hit: 0,
            resumed_unix_ms: None,
            fenced_writes_accepted: None,
            fenced_writes_refused: None,
            fenced_writes_withheld: None,
            log: None,
            effects: Effects::default(),
        }
    }

    /// A pause's fencing: the writes the store accepted from the paused run once its lease was
    /// no longer known valid (its saver withholds what it has not sent by then and counts apart
    /// what was on the way, and logs both when it stops, after the zone was resumed and found
    /// its lease gone).
    pub fn read_fencing(&mut self) {
        let (Some(log), Some(resumed)) = (&self.log, self.resumed_unix_ms) else {
            return;
        };
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let after = super::probe::log_time(resumed);
        match super::probe::saver_total(&text, &after, "written_after_lease") {
            Some(accepted) => self.fenced_writes_accepted = Some(accepted),
            None => self.detail.push_str("; the paused run logged no saver totals (did it stop?)"),
        }
        self.fenced_writes_refused = super::probe::saver_total(&text, &after, "stale_after_lease");
        self.fenced_writes_withheld = super::probe::saver_total(&text, &after, "withheld");
    }
}

/// A service the supervisor started again.
#[derive(Clone, Debug, Serialize)]
pub struct RestartRecord {
    pub role: String,
    pub at_s: f64,
    pub at_unix_ms: u64,
    pub status: String,
    pub backoff_s: f64,
}

/// One target of the soak and whether it held.
#[derive(Clone, Debug, Serialize)]
pub struct Target {
    pub name: String,
    pub measured: String,
    pub limit: String,
    pub held: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct ChaosReport {
    pub passed: bool,
    pub started_unix_ms: u64,
    pub faults_started_unix_ms: u64,
    pub bots: u32,
    pub duration_s: f64,
    pub zones: u32,
    pub gateways: u32,
    pub coordinators: u32,
    pub lease_ttl_s: u64,
    pub targets: Vec<Target>,
    pub faults: Vec<FaultRecord>,
    pub restarts: Vec<RestartRecord>,
    pub items: ItemCensus,
    pub characters: CharacterCensus,
    /// Bots that played and did not leave on purpose, with why.
    pub sessions_lost: Vec<(String, String)>,
    #[serde(skip)]
    pub bots_reports: Vec<Report>,
}

impl ChaosReport {
    #[allow(clippy::too_many_arguments)]
    pub fn build(
        config: &ChaosConfig,
        started_unix_ms: u64,
        faults_started_unix_ms: u64,
        mut faults: Vec<FaultRecord>,
        restarts: Vec<RestartRecord>,
        items: ItemCensus,
        characters: CharacterCensus,
        bots_reports: Vec<Report>,
    ) -> ChaosReport {
        let starts: Vec<u64> = faults.iter().map(|f| f.at_unix_ms).collect();
        for (i, fault) in faults.iter_mut().enumerate() {
            let until =
                starts.get(i + 1).copied().unwrap_or(u64::MAX).min(fault.at_unix_ms + EFFECT_WINDOW.as_millis() as u64);
            fault.effects = effects(&bots_reports, fault.at_unix_ms, until);
            if fault.kind == FaultKind::GatewayKill {
                fault.recovered_ms = all_moved(&bots_reports, fault.at_unix_ms, fault.players_hit);
            }
        }
        let sessions_lost: Vec<(String, String)> = bots_reports
            .iter()
            .flat_map(|r| r.bots.iter())
            .filter(|b| b.joined && b.end != "Left")
            .map(|b| (b.name.clone(), b.end.clone()))
            .collect();
        let ttl_ms = config.cluster.lease_ttl as f64 * 1000.0;
        let targets = targets(&faults, &items, &characters, sessions_lost.len(), ttl_ms);
        ChaosReport {
            passed: targets.iter().all(|t| t.held),
            started_unix_ms,
            faults_started_unix_ms,
            bots: config.bots,
            duration_s: config.duration.as_secs_f64(),
            zones: config.cluster.zones,
            gateways: config.cluster.gateways,
            coordinators: config.cluster.coordinators,
            lease_ttl_s: config.cluster.lease_ttl,
            targets,
            faults,
            restarts,
            items,
            characters,
            sessions_lost,
            bots_reports,
        }
    }

    /// Writes `chaos.json`, `chaos.html` and the bots' report into `dir`.
    pub fn write(&self, dir: &Path) -> std::io::Result<(PathBuf, PathBuf)> {
        std::fs::create_dir_all(dir)?;
        let json = dir.join("chaos.json");
        std::fs::write(&json, serde_json::to_string_pretty(self).map_err(std::io::Error::other)?)?;
        let html = dir.join("chaos.html");
        std::fs::write(&html, page(self))?;
        for (i, bots) in self.bots_reports.iter().enumerate() {
            bots.write(&dir.join(format!("bots-{}", i + 1))).map_err(std::io::Error::other)?;
        }
        Ok((json, html))
    }

    /// The end summary, a few lines for the terminal.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        let verdict = if self.passed { "PASSED" } else { "FAILED" };
        let _ = writeln!(
            out,
            "chaos soak: {verdict} ({} bots, {:.0} s, {} faults)",
            self.bots,
            self.duration_s,
            self.faults.len()
        );
        for t in &self.targets {
            let _ = writeln!(
                out,
                "  {} {}: {} (limit {})",
                if t.held { "ok  " } else { "FAIL" },
                t.name,
                t.measured,
                t.limit
            );
        }
        for (name, why) in self.sessions_lost.iter().take(10) {
            let _ = writeln!(out, "  session lost: {name}: {why}");
        }
        out
    }
}

/// What the bots' reports show between `from` and `until` (unix ms).
fn effects(swarms: &[Report], from: u64, until: u64) -> Effects {
    let mut e = Effects { window_s: until.saturating_sub(from) as f64 / 1000.0, ..Effects::default() };
    for bots in swarms {
        add_effects(&mut e, bots, from, until);
    }
    e
}

fn add_effects(e: &mut Effects, bots: &Report, from: u64, until: u64) {
    let t0 = bots.meta.started_unix_ms;
    for s in &bots.timeline {
        let end = t0 + (s.t * 1000.0) as u64;
        let start = end.saturating_sub((s.window_secs * 1000.0) as u64);
        if end <= from || start >= until {
            continue;
        }
        e.snapshot_gaps += s.counts.snapshot_gaps;
        e.missed_snapshots += s.counts.missed_snapshots;
        e.unexpected_disconnects += s.counts.unexpected_disconnects;
        e.gateway_moves += s.counts.gateway_moves;
    }
    for r in bots.rollbacks.iter().filter(|r| r.at_unix_ms >= from && r.at_unix_ms < until) {
        e.rollbacks += 1;
        if let Some(s) = r.seconds {
            e.rollback_max_s = Some(e.rollback_max_s.map_or(s, |m: f64| m.max(s)));
        }
    }
}

/// When the `players`-th bot of the swarms played again after losing its gateway, counted
/// from `from` (ms); None if fewer did within [`RECOVERY_WINDOW`].
fn all_moved(swarms: &[Report], from: u64, players: usize) -> Option<f64> {
    let until = from + RECOVERY_WINDOW.as_millis() as u64;
    let mut back: Vec<u64> = swarms
        .iter()
        .flat_map(|r| r.moves.iter())
        .filter(|m| m.lost && m.at_unix_ms >= from && m.at_unix_ms < until)
        .map(|m| m.at_unix_ms)
        .collect();
    back.sort_unstable();
    match players {
        0 => Some(0.0),
        n => back.get(n - 1).map(|at| (at - from) as f64),
    }
}

fn target(name: &str, measured: String, limit: &str, held: bool) -> Target {
    Target { name: name.into(), measured, limit: limit.into(), held }
}

fn targets(
    faults: &[FaultRecord],
    items: &ItemCensus,
    characters: &CharacterCensus,
    lost: usize,
    ttl_ms: f64,
) -> Vec<Target> {
    let of = |k: FaultKind| faults.iter().filter(move |f| f.kind == k);
    let worst = |k: FaultKind| {
        of(k)
            .map(|f| f.recovered_ms.unwrap_or(f64::INFINITY))
            .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))))
    };
    let show = |v: Option<f64>| {
        v.map_or_else(
            || "none struck".into(),
            |v| if v.is_finite() { format!("{v:.0} ms") } else { "not recovered".into() },
        )
    };
    let leader = worst(FaultKind::LeaderKill);
    let zone = worst(FaultKind::ZoneKill);
    let rollback = of(FaultKind::ZoneKill).filter_map(|f| f.effects.rollback_max_s).fold(0.0_f64, f64::max);
    let unmeasured_rollbacks: u64 = of(FaultKind::ZoneKill).map(|f| f.effects.rollbacks).sum();
    let fenced: Vec<Option<u64>> = of(FaultKind::ZonePause).map(|f| f.fenced_writes_accepted).collect();
    let fenced_sum: u64 = fenced.iter().flatten().sum();
    vec![
        target(
            "census complete (every zone read)",
            format!("{} unread", items.zones_unread.len()),
            "0",
            items.zones_unread.is_empty(),
        ),
        target("items duplicated", items.duplicated.len().to_string(), "0", items.duplicated.is_empty()),
        target(
            "items lost",
            format!("{} of {} committed", items.lost.len(), items.committed),
            "0",
            items.lost.is_empty(),
        ),
        target(
            "characters missing or misplaced",
            format!("{} of {}", characters.misplaced.len(), characters.characters),
            "0",
            characters.misplaced.is_empty(),
        ),
        target("sessions lost", lost.to_string(), "0", lost == 0),
        target(
            "leader failover (worst)",
            show(leader),
            &format!("lease TTL + 0.5 s = {:.0} ms", ttl_ms + 500.0),
            leader.is_none_or(|v| v <= ttl_ms + 500.0),
        ),
        target("zone kill: cells owned again (worst)", show(zone), "recovered", zone.is_none_or(f64::is_finite)),
        target(
            "movement lost per zone kill (worst)",
            format!("{rollback:.2} s ({unmeasured_rollbacks} rollbacks)"),
            &format!("{ROLLBACK_TARGET_S} s"),
            rollback <= ROLLBACK_TARGET_S,
        ),
        target(
            "writes accepted from a zone paused past its lease",
            if fenced.iter().any(Option::is_none) {
                format!("{fenced_sum} (a pause not read)")
            } else {
                fenced_sum.to_string()
            },
            "0",
            fenced_sum == 0 && fenced.iter().all(Option::is_some),
        ),
    ]
}

fn colour(kind: FaultKind) -> &'static str {
    match kind {
        FaultKind::ZoneKill => "#dc2626",
        FaultKind::LeaderKill => "#9333ea",
        FaultKind::GatewayKill => "#ea580c",
        FaultKind::ZonePause => "#0891b2",
    }
}

fn page(r: &ChaosReport) -> String {
    let mut out = String::new();
    let verdict = if r.passed { "<span class=pass>PASSED</span>" } else { "<span class=fail>FAILED</span>" };
    let _ = write!(
        out,
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>Chaos soak</title><style>{STYLE}</style></head><body>\
         <h1>Chaos soak — {verdict}</h1><p>{} bots on {} zones, {} gateways, {} coordinators (lease TTL {} s); faults for {:.0} s. \
         The bots' own reports, a swarm through each gateway: {}.</p>",
        r.bots,
        r.zones,
        r.gateways,
        r.coordinators,
        r.lease_ttl_s,
        r.duration_s,
        (1..=r.bots_reports.len()).map(|i| format!("<a href=\"bots-{i}/report.html\">bots-{i}</a>")).collect::<Vec<_>>().join(", ")
    );
    out.push_str("<h2>Targets</h2><table><tr><th>target</th><th>measured</th><th>limit</th><th></th></tr>");
    for t in &r.targets {
        let held = if t.held { "<span class=pass>held</span>" } else { "<span class=fail>missed</span>" };
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{held}</td></tr>",
            esc(&t.name),
            esc(&t.measured),
            esc(&t.limit)
        );
    }
    out.push_str("</table>");

    // The timeline: the bots' plots with every fault marked, on the first swarm's clock.
    let t0 = r.bots_reports.first().map_or(r.faults_started_unix_ms, |b| b.meta.started_unix_ms);
    let marks: Vec<Mark> = r
        .faults
        .iter()
        .map(|f| Mark {
            x: (f.at_unix_ms as f64 - t0 as f64) / 1000.0,
            label: format!("{} {}", f.kind.name(), f.target),
            colour: colour(f.kind),
        })
        .collect();
    // One series per swarm, on the first swarm's clock.
    let per_swarm = |what: &str, f: &dyn Fn(&mmo_loadtest::swarm::Sample) -> Option<f64>| -> Vec<Series> {
        r.bots_reports
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let shift = (b.meta.started_unix_ms as f64 - t0 as f64) / 1000.0;
                Series::new(
                    &format!("{what}, swarm {}", i + 1),
                    b.timeline.iter().filter_map(|s| Some((s.t + shift, f(s)?))).collect(),
                )
            })
            .collect()
    };
    let per_s = |v: u64, s: &mmo_loadtest::swarm::Sample| Some(v as f64 / s.window_secs.max(1e-3));
    out.push_str("<h2>Timeline</h2>");
    out.push_str(&line_chart_marked(
        "Bots playing",
        "bots",
        &per_swarm("playing", &|s| Some(s.connected as f64)),
        false,
        &marks,
    ));
    let mut moves = per_swarm("gaps", &|s| per_s(s.counts.snapshot_gaps, s));
    moves.extend(per_swarm("gateway moves", &|s| per_s(s.counts.gateway_moves, s)));
    out.push_str(&line_chart_marked("Snapshot gaps and gateway moves per second", "per second", &moves, true, &marks));
    out.push_str(&line_chart_marked(
        "Input round trip p99",
        "ms",
        &per_swarm("p99", &|s| (s.rtt.count > 0).then_some(s.rtt.p99)),
        false,
        &marks,
    ));

    out.push_str(
        "<h2>Faults</h2><table><tr><th>at (s)</th><th>fault</th><th>recovery</th><th>gaps / missed</th>\
         <th>disconnects</th><th>rollbacks (max s)</th><th>notes</th></tr>",
    );
    for f in &r.faults {
        let recovered = f.recovered_ms.map_or_else(|| "not recovered".into(), |v| format!("{v:.0} ms"));
        let e = &f.effects;
        let rollback = e.rollback_max_s.map_or_else(|| "-".into(), |s| format!("{s:.2}"));
        let mut notes = f.detail.clone();
        if let Some(w) = f.fenced_writes_accepted {
            let refused = f.fenced_writes_refused.unwrap_or(0);
            let withheld = f.fenced_writes_withheld.unwrap_or(0);
            let _ =
                write!(notes, "; saves after its lease was gone: {withheld} withheld, {w} accepted, {refused} refused");
        }
        let _ = write!(
            out,
            "<tr><td>{:.1}</td><td>{} {} ({} players on it)</td><td>{} ({})</td><td>{} / {}</td><td>{}</td><td>{} ({rollback})</td><td>{}</td></tr>",
            f.at_s,
            esc(f.kind.name()),
            esc(&f.target),
            f.players_hit,
            esc(&recovered),
            esc(f.recovery),
            e.snapshot_gaps,
            e.missed_snapshots,
            e.unexpected_disconnects,
            e.rollbacks,
            esc(&notes)
        );
    }
    out.push_str("</table>");

    out.push_str(
        "<h2>Supervisor restarts</h2><table><tr><th>at (s)</th><th>service</th><th>exit</th><th>backoff (s)</th></tr>",
    );
    for s in &r.restarts {
        let _ = write!(
            out,
            "<tr><td>{:.1}</td><td>{}</td><td>{}</td><td>{:.1}</td></tr>",
            s.at_s,
            esc(&s.role),
            esc(&s.status),
            s.backoff_s
        );
    }
    out.push_str("</table>");

    let i = &r.items;
    let _ = write!(
        out,
        "<h2>Census</h2><p>Items committed during the run (seen in a durable record or a checkpoint, {} readings): {}; \
         found at the end: {}; duplicated: {}; lost: {}; players still in play: {}. Characters: {}, missing or misplaced: {}.</p>",
        i.samples,
        i.committed,
        i.found,
        i.duplicated.len(),
        i.lost.len(),
        i.players_in_play,
        r.characters.characters,
        r.characters.misplaced.len()
    );
    for d in i.duplicated.iter().take(20) {
        let _ = write!(out, "<p class=fail>serial {} in {}</p>", d.serial, esc(&d.places.join(", ")));
    }
    for l in i.lost.iter().take(20) {
        let _ = write!(out, "<p class=fail>serial {} lost (first seen in {})</p>", l.serial, esc(&l.first_seen));
    }
    for (name, why) in r.sessions_lost.iter().take(20) {
        let _ = write!(out, "<p class=fail>session of {} lost: {}</p>", esc(name), esc(why));
    }
    out.push_str("</body></html>");
    out
}
