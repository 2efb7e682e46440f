//! The scale run's report: `scale.json` (the figures and every period) and `scale.html` (the
//! same figures and two plots: the hottest zone's load and the zones above the watermark, and
//! the moves per period), in the load tester's style.

use crate::scale::ScaleRun;
use mmo_loadtest::report::html::STYLE;
use mmo_loadtest::report::svg::{esc, line_chart_marked, Mark, Series};
use std::path::{Path, PathBuf};

pub fn json(run: &ScaleRun) -> serde_json::Value {
    let c = &run.config;
    serde_json::json!({
        "seed": c.seed,
        "zones": c.zones,
        "cells": c.geometry.cell_count(),
        "players": c.players,
        "capacity": c.capacity,
        "high_watermark": c.policy.high_watermark,
        "rush": { "cell": run.rush_cell.to_string(), "start_s": c.rush_start, "end_s": c.rush_end, "share_per_mille": c.rush_share },
        "max_load": run.max_load,
        "calm_after_rush_s": run.calm_after_rush_s,
        "moves_per_minute_mean": run.moves_per_minute_mean,
        "moves_per_minute_max": run.moves_per_minute_max,
        "players_at_end": run.players_at_end,
        "periods": run.periods.iter().map(|p| serde_json::json!({
            "at_s": p.at_s, "max_load": p.max_load, "zones_over": p.zones_over, "moves": p.moves, "crowd": p.crowd,
        })).collect::<Vec<_>>(),
    })
}

pub fn html(run: &ScaleRun) -> String {
    let c = &run.config;
    let marks = [
        Mark { x: c.rush_start as f64, label: "rush".into(), colour: "#dc2626" },
        Mark { x: c.rush_end as f64, label: "disperse".into(), colour: "#16a34a" },
    ];
    let series = |name: &str, f: &dyn Fn(&crate::scale::Period) -> f64| {
        Series::new(name, run.periods.iter().map(|p| (p.at_s as f64, f(p))).collect())
    };
    let load = line_chart_marked(
        "Hottest zone's load (1.0 = full) and zones above the watermark",
        "",
        &[
            series("hottest zone's load", &|p| f64::from(p.max_load)),
            series("zones above the watermark", &|p| f64::from(p.zones_over)),
        ],
        false,
        &marks,
    );
    let moves =
        line_chart_marked("Cell moves per second", "moves", &[series("moves", &|p| f64::from(p.moves))], true, &marks);
    let calm = match run.calm_after_rush_s {
        Some(s) => format!("{s} s after the rush began"),
        None => "never (a zone was still above it at the end)".into(),
    };
    format!(
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>Cluster at scale</title><style>{STYLE}</style></head><body>\
         <h1>Cluster at scale (simulated)</h1>\
         <p>{zones} zones, {cells} cells, {players} players (zones sized for {capacity}), seed {seed}; from {rs} s to {re} s \
         {share} ‰ of the players rush to cell {cell}.</p>\
         <table><tr><th>hottest zone's load, at any time</th><td>{max:.2}</td></tr>\
         <tr><th>every zone under the watermark ({wm}) again</th><td>{calm}</td></tr>\
         <tr><th>moves per minute, mean / max</th><td>{mean:.1} / {mmax}</td></tr></table>{load}{moves}</body></html>",
        zones = c.zones,
        cells = c.geometry.cell_count(),
        players = c.players,
        capacity = c.capacity,
        seed = c.seed,
        rs = c.rush_start,
        re = c.rush_end,
        share = c.rush_share,
        cell = esc(&run.rush_cell.to_string()),
        max = run.max_load,
        wm = c.policy.high_watermark,
        calm = esc(&calm),
        mean = run.moves_per_minute_mean,
        mmax = run.moves_per_minute_max,
    )
}

/// Writes `scale.json` and `scale.html` into `dir`.
pub fn write(run: &ScaleRun, dir: &Path) -> std::io::Result<(PathBuf, PathBuf)> {
    std::fs::create_dir_all(dir)?;
    let (j, h) = (dir.join("scale.json"), dir.join("scale.html"));
    std::fs::write(&j, serde_json::to_string_pretty(&json(run))?)?;
    std::fs::write(&h, html(run))?;
    Ok((j, h))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scale::{run_scale, ScaleConfig};

    #[test]
    fn the_report_has_every_period_and_both_plots() {
        let mut config = ScaleConfig::hundred_zones(1);
        config.periods = 30;
        let run = run_scale(config);
        let dir = std::env::temp_dir().join(format!("mmo-sim-report-{}", std::process::id()));
        let (json_path, html_path) = write(&run, &dir).unwrap();
        let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(json_path).unwrap()).unwrap();
        assert_eq!(json["periods"].as_array().unwrap().len(), 30);
        assert_eq!(json["players_at_end"], 100_000);
        let html = std::fs::read_to_string(html_path).unwrap();
        assert_eq!(html.matches("<svg").count(), 2, "two plots");
        assert!(!html.contains("<script"));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
