//! The coordinator service's knobs as command-line flags, shared by `mmo-coordinator run` and
//! `mmo-local`.

use crate::policy::PolicyConfig;
use crate::service::ServiceConfig;
use mmo_world::WorldGeometry;
use std::time::Duration;

/// The service's and the policy's knobs (flags of `run`; `mmo-local` takes the same).
#[derive(Clone, Debug, clap::Args)]
pub struct PolicyArgs {
    /// Whether the coordinator moves cells by itself (`on`) or only operators do (`off`).
    #[arg(long, env = "MMO_REBALANCE", default_value = "on", value_parser = parse_on_off, action = clap::ArgAction::Set)]
    pub rebalance: bool,
    /// How often the policy runs, in milliseconds.
    #[arg(long, env = "MMO_REBALANCE_PERIOD_MS", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(50..=60_000))]
    pub period_ms: u64,
    /// Relieve a zone only above this load (1.0 = full tick or full capacity).
    #[arg(long, env = "MMO_HIGH_WATERMARK", default_value_t = 0.7, value_parser = parse_fraction)]
    pub high_watermark: f32,
    /// ... towards a neighbour at least this much cooler.
    #[arg(long, env = "MMO_MARGIN", default_value_t = 0.15, value_parser = parse_fraction)]
    pub margin: f32,
    /// ... after this many periods above the watermark in a row.
    #[arg(long, env = "MMO_SUSTAIN_PERIODS", default_value_t = 3)]
    pub sustain_periods: u32,
    /// Migrations in flight at most.
    #[arg(long, env = "MMO_MAX_IN_FLIGHT", default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub max_in_flight: u64,
    /// A moved cell stays put this long, in milliseconds.
    #[arg(long, env = "MMO_CELL_COOLDOWN_MS", default_value_t = 30_000)]
    pub cell_cooldown_ms: u64,
    /// The policy waits until this many zones are active.
    #[arg(long, env = "MMO_MIN_ZONES", default_value_t = 1)]
    pub min_zones: usize,
    /// Whether a hot zone's crowded cell splits into quarters that several zones may own, and
    /// cool quarters merge back (`on`), or cells stay whole (`off`).
    #[arg(long, env = "MMO_SPLIT_MERGE", default_value = "off", value_parser = parse_on_off, action = clap::ArgAction::Set)]
    pub split_merge: bool,
    /// Split a hot zone's cell whose own load is at least this.
    #[arg(long, env = "MMO_SPLIT_LOAD", default_value_t = 0.35, value_parser = parse_fraction)]
    pub split_load: f32,
    /// Merge four quarters whose load together is below this.
    #[arg(long, env = "MMO_MERGE_LOAD", default_value_t = 0.1, value_parser = parse_fraction)]
    pub merge_load: f32,
}

impl PolicyArgs {
    /// The service's configuration for a world of `geometry`.
    pub fn service_config(&self, geometry: WorldGeometry) -> ServiceConfig {
        let defaults = PolicyConfig::default();
        ServiceConfig {
            period: Duration::from_millis(self.period_ms),
            policy: PolicyConfig {
                high_watermark: self.high_watermark,
                margin: self.margin,
                sustain_periods: self.sustain_periods,
                max_in_flight: usize::try_from(self.max_in_flight).unwrap_or(defaults.max_in_flight),
                cell_cooldown_ms: self.cell_cooldown_ms,
                split_merge: self.split_merge,
                split_load: self.split_load,
                merge_load: self.merge_load,
                ..defaults
            },
            rebalance: self.rebalance,
            min_zones: self.min_zones,
            ..ServiceConfig::new(geometry)
        }
    }
}

fn parse_on_off(s: &str) -> Result<bool, String> {
    match s {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err(format!("expected on or off, got {s:?}")),
    }
}

fn parse_fraction(s: &str) -> Result<f32, String> {
    s.parse::<f32>()
        .ok()
        .filter(|v| (0.0..=10.0).contains(v))
        .ok_or_else(|| format!("expected a number from 0 to 10, got {s:?}"))
}
