//! The scale run's report: `scale.json` (the figures and every period of both runs, with
//! split/merge and without) and `scale.html` (the figures side by side and three plots: the
//! hottest zone's load, the zones above the watermark, and the moves, splits and merges per
//! period), in the load tester's style.

use crate::scale::{Comparison, Period, ScaleRun};
use mmo_loadtest::report::html::STYLE;
use mmo_loadtest::report::svg::{esc, line_chart_marked, Mark, Series};
use std::path::{Path, PathBuf};

fn run_json(run: &ScaleRun) -> serde_json::Value {
    serde_json::json!({
        "split_merge": run.config.policy.split_merge,
        "max_load": run.max_load,
        "calm_after_rush_s": run.calm_after_rush_s,
        "moves_per_minute_mean": run.moves_per_minute_mean,
        "moves_per_minute_max": run.moves_per_minute_max,
        "splits": run.splits,
        "merges": run.merges,
        "players_at_end": run.players_at_end,
        "periods": run.periods.iter().map(|p| serde_json::json!({
            "at_s": p.at_s, "max_load": p.max_load, "zones_over": p.zones_over, "moves": p.moves,
            "splits": p.splits, "merges": p.merges, "cells": p.cells, "crowd": p.crowd,
        })).collect::<Vec<_>>(),
    })
}

pub fn json(runs: &Comparison) -> serde_json::Value {
    let c = &runs.with.config;
    serde_json::json!({
        "seed": c.seed,
        "zones": c.zones,
        "cells": c.geometry.cell_count(),
        "players": c.players,
        "capacity": c.capacity,
        "high_watermark": c.policy.high_watermark,
        "rush": { "cell": runs.with.rush_cell.to_string(), "start_s": c.rush_start, "end_s": c.rush_end, "share_per_mille": c.rush_share },
        "with_split_merge": run_json(&runs.with),
        "without_split_merge": run_json(&runs.without),
    })
}

pub fn html(runs: &Comparison) -> String {
    let c = &runs.with.config;
    let marks = [
        Mark { x: c.rush_start as f64, label: "rush".into(), colour: "#dc2626" },
        Mark { x: c.rush_end as f64, label: "disperse".into(), colour: "#16a34a" },
    ];
    let series = |name: &str, run: &ScaleRun, f: &dyn Fn(&Period) -> f64| {
        Series::new(name, run.periods.iter().map(|p| (p.at_s as f64, f(p))).collect())
    };
    let both =
        |f: &dyn Fn(&Period) -> f64| [series("with split/merge", &runs.with, f), series("without", &runs.without, f)];
    let load =
        line_chart_marked("Hottest zone's load (1.0 = full)", "", &both(&|p| f64::from(p.max_load)), false, &marks);
    let over =
        line_chart_marked("Zones above the watermark", "zones", &both(&|p| f64::from(p.zones_over)), true, &marks);
    let moves = line_chart_marked(
        "Cell moves, splits and merges per second (with split/merge)",
        "",
        &[
            series("moves", &runs.with, &|p| f64::from(p.moves)),
            series("splits", &runs.with, &|p| f64::from(p.splits)),
            series("merges", &runs.with, &|p| f64::from(p.merges)),
        ],
        true,
        &marks,
    );
    let calm = |run: &ScaleRun| match run.calm_after_rush_s {
        Some(s) => format!("{s} s after the rush began"),
        None => "never (a zone was still above it at the end)".into(),
    };
    let row = |name: &str, f: &dyn Fn(&ScaleRun) -> String| {
        format!("<tr><th>{}</th><td>{}</td><td>{}</td></tr>", esc(name), esc(&f(&runs.with)), esc(&f(&runs.without)))
    };
    let rows = [
        row("hottest zone's load, at any time", &|r| format!("{:.2}", r.max_load)),
        row(&format!("every zone under the watermark ({}) again", c.policy.high_watermark), &|r| calm(r)),
        row("moves per minute, mean / max", &|r| {
            format!("{:.1} / {}", r.moves_per_minute_mean, r.moves_per_minute_max)
        }),
        row("splits / merges", &|r| format!("{} / {}", r.splits, r.merges)),
    ]
    .concat();
    format!(
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>Cluster at scale</title><style>{STYLE}</style></head><body>\
         <h1>Cluster at scale (simulated)</h1>\
         <p>{zones} zones, {cells} cells, {players} players (zones sized for {capacity}), seed {seed}; from {rs} s to {re} s \
         {share} ‰ of the players rush to cell {cell}.</p>\
         <table><tr><th></th><th>with split/merge</th><th>without</th></tr>{rows}</table>{load}{over}{moves}</body></html>",
        zones = c.zones,
        cells = c.geometry.cell_count(),
        players = c.players,
        capacity = c.capacity,
        seed = c.seed,
        rs = c.rush_start,
        re = c.rush_end,
        share = c.rush_share,
        cell = esc(&runs.with.rush_cell.to_string()),
    )
}

/// Writes `scale.json` and `scale.html` into `dir`.
pub fn write(runs: &Comparison, dir: &Path) -> std::io::Result<(PathBuf, PathBuf)> {
    std::fs::create_dir_all(dir)?;
    let (j, h) = (dir.join("scale.json"), dir.join("scale.html"));
    std::fs::write(&j, serde_json::to_string_pretty(&json(runs))?)?;
    std::fs::write(&h, html(runs))?;
    Ok((j, h))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scale::ScaleConfig;

    #[test]
    fn the_report_has_every_period_of_both_runs_and_three_plots() {
        let mut config = ScaleConfig::hundred_zones(1);
        config.periods = 30;
        let runs = Comparison::run(config);
        let dir = std::env::temp_dir().join(format!("mmo-sim-report-{}", std::process::id()));
        let (json_path, html_path) = write(&runs, &dir).unwrap();
        let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(json_path).unwrap()).unwrap();
        for run in ["with_split_merge", "without_split_merge"] {
            assert_eq!(json[run]["periods"].as_array().unwrap().len(), 30);
            assert_eq!(json[run]["players_at_end"], 100_000);
        }
        assert_eq!(json["with_split_merge"]["split_merge"], true);
        let html = std::fs::read_to_string(html_path).unwrap();
        assert_eq!(html.matches("<svg").count(), 3, "three plots");
        assert!(!html.contains("<script"));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
