//! The run's metadata: what ran, where, when, on what.

use crate::client::UdpBuffers;
use crate::scenario::Scenario;
use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct Meta {
    pub tool: &'static str,
    pub version: &'static str,
    pub git_commit: Option<String>,
    pub started_at: String,
    pub started_unix_ms: u64,
    pub duration_s: f64,
    pub scenario: ScenarioMeta,
    /// The gateway URL, or the in-process world's.
    pub target: String,
    pub in_process_world: Option<WorldMeta>,
    pub machine: Machine,
    pub udp_buffers: Option<UdpBuffers>,
    pub quic_endpoints: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct ScenarioMeta {
    pub name: String,
    pub description: String,
    pub source: Option<String>,
    pub seed: u64,
    pub stages: Vec<String>,
    pub transport_mix: String,
    pub behaviours: String,
    pub thresholds: Vec<String>,
    pub default_thresholds: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct WorldMeta {
    pub zones: u32,
    pub width_cells: u16,
    pub height_cells: u16,
    pub cell_tiles: u16,
    pub npcs_per_cell: u32,
    pub seed: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Machine {
    pub cores: usize,
    pub os: &'static str,
    pub arch: &'static str,
}

impl ScenarioMeta {
    pub fn of(s: &Scenario) -> Self {
        ScenarioMeta {
            name: s.name.clone(),
            description: s.description.clone(),
            source: s.source.as_ref().map(|p| p.display().to_string()),
            seed: s.seed,
            stages: s.plan.stages().iter().map(ToString::to_string).collect(),
            transport_mix: s.transports.to_string(),
            behaviours: s.behaviours.to_string(),
            thresholds: s.thresholds.iter().map(ToString::to_string).collect(),
            default_thresholds: s.default_thresholds,
        }
    }
}

impl WorldMeta {
    pub fn of(s: &Scenario) -> Self {
        let w = &s.world;
        WorldMeta {
            zones: w.zones,
            width_cells: w.width_cells,
            height_cells: w.height_cells,
            cell_tiles: w.cell_tiles,
            npcs_per_cell: w.npcs_per_cell,
            seed: w.seed,
        }
    }
}

impl Machine {
    pub fn this() -> Self {
        Machine {
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            os: std::env::consts::OS,
            arch: std::env::consts::ARCH,
        }
    }
}

/// `git rev-parse HEAD` in the working directory, if git and a repository are there.
pub fn git_commit() -> Option<String> {
    let out = std::process::Command::new("git").args(["rev-parse", "HEAD"]).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string()).filter(|s| !s.is_empty())
}

/// `2026-05-01T12:34:56Z` for Unix milliseconds (UTC).
pub fn rfc3339(ms: u64) -> String {
    let secs = ms / 1000;
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem / 60 % 60, rem % 60)
}

/// `20260501-123456` for directory names.
pub fn compact(ms: u64) -> String {
    rfc3339(ms).replace(['-', ':'], "").replace('T', "-").trim_end_matches('Z').to_string()
}

/// Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_767_225_600_000), "2026-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400_000 + 3_723_000), "2000-02-29T01:02:03Z");
        assert_eq!(compact(1_767_225_600_000), "20260101-000000");
    }
}
