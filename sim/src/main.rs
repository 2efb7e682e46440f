//! `mmo-sim`: runs seeds of the whole-cluster simulation and reports each failing one.

use anyhow::bail;
use clap::Parser;
use mmo_sim::{run, Faults, SimConfig};
use std::io::Write;
use std::time::Instant;

#[derive(Parser, Debug)]
#[command(about = "Seeded whole-cluster simulation: real zone cores and policy, simulated registry, network and clock")]
struct Args {
    /// How many seeds to run.
    #[arg(long, default_value_t = 100)]
    seeds: u64,
    /// The first seed.
    #[arg(long, default_value_t = 0)]
    from: u64,
    /// Run this one seed only (to replay a failure).
    #[arg(long)]
    seed: Option<u64>,
    /// Ticks of play per seed (50 ms each).
    #[arg(long, default_value_t = 600)]
    ticks: u64,
    /// Inject no faults.
    #[arg(long)]
    no_faults: bool,
    /// Crash no zone (by default one zone per seed is killed and started again under its id).
    #[arg(long)]
    no_crashes: bool,
    /// Log each fault and cell move (with `--seed`, to follow a failure).
    #[arg(long)]
    trace: bool,
    /// Run the 100-zone, 100,000-player model instead (players as moving loads), seed `--seed`
    /// (default 1), with split/merge and without, and write its report (scale.json, scale.html)
    /// to `--out`.
    #[arg(long)]
    scale: bool,
    /// Where the scale run's report goes.
    #[arg(long, default_value = "target/sim-scale")]
    out: std::path::PathBuf,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.trace {
        // INFO, or what RUST_LOG asks for.
        let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).without_time().init();
    }
    if args.scale {
        let seed = args.seed.unwrap_or(1);
        let runs = mmo_sim::scale::Comparison::run(mmo_sim::ScaleConfig::hundred_zones(seed));
        let (json, html) = mmo_sim::report::write(&runs, &args.out)?;
        for (name, run) in [("with split/merge", &runs.with), ("without", &runs.without)] {
            let calm = run.calm_after_rush_s.map_or("never".to_string(), |s| format!("{s} s after the rush began"));
            writeln!(
                std::io::stdout(),
                "{name}: hottest zone's load {:.2}; every zone under the watermark again: {calm}; moves per minute {:.1} (max {}); {} splits, {} merges",
                run.max_load,
                run.moves_per_minute_mean,
                run.moves_per_minute_max,
                run.splits,
                run.merges,
            )?;
        }
        writeln!(std::io::stdout(), "report: {} {}", json.display(), html.display())?;
        return Ok(());
    }
    let seeds = match args.seed {
        Some(seed) => seed..seed + 1,
        None => args.from..args.from + args.seeds,
    };
    let started = Instant::now();
    let mut out = std::io::stdout().lock();
    let (mut passed, mut failed) = (0u64, Vec::new());
    let (mut revived, mut undurable, mut items) = (0usize, 0usize, 0usize);
    let mut gives = mmo_zone_core::GiveCounts::default();
    for seed in seeds {
        let mut config = SimConfig::small(seed);
        config.ticks = args.ticks;
        if args.no_faults {
            config.faults = Faults::NONE;
        }
        config.faults.zone_crashes &= !args.no_crashes;
        match run(config) {
            Ok(summary) => {
                passed += 1;
                revived += summary.players_revived;
                undurable += summary.items_lost_with_zones;
                items += summary.items;
                gives += summary.gives;
                if args.seed.is_some() {
                    writeln!(out, "seed {seed}: {summary:?}")?;
                }
            }
            Err(violation) => {
                writeln!(out, "seed {seed} FAILED: {violation}")?;
                failed.push(seed);
            }
        }
    }
    writeln!(
        out,
        "{passed} seeds passed, {} failed, in {:.1} s{}",
        failed.len(),
        started.elapsed().as_secs_f64(),
        if failed.is_empty() { String::new() } else { format!(" (failed: {failed:?})") }
    )?;
    writeln!(
        out,
        "in the seeds passed: {revived} players re-created after their zone died; {items} items held at the end, \
         {undurable} lost with a zone before a save or checkpoint held them; gives across zone borders: {} accepted, \
         {} refused or not taken, {} judged from the receiver's stored record",
        gives.accepted, gives.refused, gives.checked
    )?;
    if !failed.is_empty() {
        bail!("{} seeds failed", failed.len());
    }
    Ok(())
}
