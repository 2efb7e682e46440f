//! `mmo-train`: trains the hunter's learned brain, and measures it against the scripted one.
//!
//! - `mmo-train train --out zone-server/core/data`: trains from `--seed` (the same seed gives
//!   the same weights), prints a line per generation, and writes `hunter-v1.mlp`,
//!   `hunter-v1.golden` and `training.json` (the figures of each generation);
//! - `mmo-train measure [--weights FILE]`: the learned brain (the built-in one by default)
//!   against the scripted one on held-out fights, as a Markdown table with 95% intervals.

use anyhow::Context;
use clap::{Parser, Subcommand};
use mmo_train::measure;
use mmo_train::train::{self, TrainConfig};
use mmo_zone_core::learned::Policy;
use std::io::Write;
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(about = "Trains and measures the hunter's learned brain on the zone's own rules")]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Trains a policy and writes its weights and golden file.
    Train {
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, default_value_t = TrainConfig::default().generations)]
        generations: u32,
        /// Antithetic pairs of candidates per generation.
        #[arg(long, default_value_t = TrainConfig::default().pairs)]
        pairs: usize,
        /// Fights each candidate plays per generation.
        #[arg(long, default_value_t = TrainConfig::default().episodes)]
        episodes: u64,
        #[arg(long, default_value_t = TrainConfig::default().threads)]
        threads: usize,
        /// The folder the weights, golden and training files go to.
        #[arg(long, default_value = "zone-server/core/data")]
        out: PathBuf,
    },
    /// Measures a policy against the scripted brain on held-out fights.
    Measure {
        /// A weights file (default: the policy built into the zone).
        #[arg(long)]
        weights: Option<PathBuf>,
        #[arg(long, default_value_t = 1000)]
        fights: u64,
        #[arg(long, default_value_t = TrainConfig::default().threads)]
        threads: usize,
        /// Also write the figures as JSON here.
        #[arg(long)]
        json: Option<PathBuf>,
    },
}

fn main() -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match Args::parse().command {
        Command::Train { seed, generations, pairs, episodes, threads, out: folder } => {
            let config = TrainConfig { seed, generations, pairs, episodes, threads, ..TrainConfig::default() };
            let (policy, history) = train::train(&config, &mut out)?;
            std::fs::create_dir_all(&folder).with_context(|| format!("creating {}", folder.display()))?;
            let weights = folder.join("hunter-v1.mlp");
            std::fs::write(&weights, policy.mlp().to_bytes())
                .with_context(|| format!("writing {}", weights.display()))?;
            std::fs::write(folder.join("hunter-v1.golden"), train::golden(&policy, seed, 200))?;
            std::fs::write(folder.join("training.json"), serde_json::to_string_pretty(&history)?)?;
            writeln!(
                out,
                "wrote {} ({} parameters) and its golden file",
                weights.display(),
                policy.mlp().parameters()
            )?;
        }
        Command::Measure { weights, fights, threads, json } => {
            let policy = match weights {
                Some(path) => {
                    let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
                    Policy::from_bytes(&bytes).with_context(|| format!("--weights {}", path.display()))?
                }
                None => Policy::hunter(),
            };
            let rows = measure::compare(&policy, fights, threads);
            writeln!(out, "{fights} held-out fights of 20 s at most, policy version {}:\n", policy.version())?;
            write!(out, "{}", measure::table(&rows))?;
            if let Some(path) = json {
                std::fs::write(&path, serde_json::to_string_pretty(&rows)?)?;
            }
        }
    }
    Ok(())
}
