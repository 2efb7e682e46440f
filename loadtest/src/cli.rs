//! Command-line flags. Each overrides the same value of the scenario file, if one is given.

use crate::mix::{Behaviour, Mix, Transport};
use crate::scenario::{BehaviourWeights, Scenario, ScenarioFile, TransportWeights};
use crate::stages::Stage;
use crate::LoadtestError;
use clap::Parser;
use std::path::PathBuf;

/// Bot swarms over the real protocol, with stages, thresholds, a live progress line and a
/// JSON + HTML report. Exit code: 0 when every threshold holds, 99 when one fails, 1 on error.
#[derive(Parser, Debug, Clone, Default)]
#[command(name = "loadtest", version, about)]
pub struct Args {
    /// A scenario file (TOML, see loadtest/scenarios/); flags override its values.
    #[arg(long, env = "MMO_LOADTEST_SCENARIO")]
    pub scenario: Option<PathBuf>,
    /// The gateway's HTTP URL, e.g. http://127.0.0.1:8080/. Without one, the load tester starts
    /// a local world in its own process.
    #[arg(long, env = "MMO_LOADTEST_TARGET")]
    pub target: Option<String>,
    /// Allow a target that is not on this machine.
    #[arg(long, env = "MMO_LOADTEST_ALLOW_REMOTE")]
    pub allow_remote: bool,
    /// A stage DURATION:BOTS (repeat the flag, or separate with commas): --stage 10s:50 --stage 30s:50 --stage 10s:0.
    #[arg(long = "stage", env = "MMO_LOADTEST_STAGES", value_delimiter = ',')]
    pub stages: Vec<Stage>,
    /// Transport weights, e.g. webtransport=80,websocket=20.
    #[arg(long, env = "MMO_LOADTEST_TRANSPORT_MIX")]
    pub transport_mix: Option<String>,
    /// Behaviour weights, e.g. wander=2,border-crosser=1,hotspot=1,idle=1,chatter=1,fighter=1,trader=1.
    #[arg(long, env = "MMO_LOADTEST_BEHAVIOURS")]
    pub behaviours: Option<String>,
    /// A threshold METRIC OP NUMBER (repeat the flag, or separate with ';'): --threshold 'rtt_p99_ms < 100'.
    #[arg(long = "threshold", env = "MMO_LOADTEST_THRESHOLDS", value_delimiter = ';')]
    pub thresholds: Vec<String>,
    /// Seed of the bots' choices.
    #[arg(long, env = "MMO_LOADTEST_SEED")]
    pub seed: Option<u64>,
    /// Name of the run in the report.
    #[arg(long, env = "MMO_LOADTEST_NAME")]
    pub name: Option<String>,
    /// Where to write report.json and report.html (default: target/loadtest/<timestamp>/).
    #[arg(long, env = "MMO_LOADTEST_OUT")]
    pub out: Option<PathBuf>,
    /// QUIC client endpoints (UDP sockets) shared by the WebTransport bots.
    #[arg(long, env = "MMO_LOADTEST_ENDPOINTS")]
    pub endpoints: Option<usize>,
    /// Zone servers of the in-process world (without --target).
    #[arg(long, env = "MMO_LOADTEST_ZONES")]
    pub zones: Option<u32>,
    /// Sample this process's CPU and memory into the report (e.g. the pid of a separate mmo-local).
    #[arg(long, env = "MMO_LOADTEST_TARGET_PID")]
    pub target_pid: Option<u32>,
    /// No live progress line.
    #[arg(long, env = "MMO_LOADTEST_QUIET")]
    pub quiet: bool,
    /// Also trust the CA certificates in this PEM file (a deployment's private CA, e.g.
    /// cert-manager's) for gateways with CA-signed certificates, besides the system's roots.
    #[arg(long, env = "MMO_LOADTEST_CA_FILE")]
    pub ca_file: Option<PathBuf>,
}

impl Args {
    /// The scenario: the file's values, overridden by the flags given, checked.
    pub fn scenario(&self) -> Result<Scenario, LoadtestError> {
        let mut file = match &self.scenario {
            Some(path) => ScenarioFile::load(path)?,
            None => ScenarioFile::default(),
        };
        if let Some(t) = &self.target {
            file.target = Some(t.clone());
        }
        if self.allow_remote {
            file.allow_remote = Some(true);
        }
        if !self.stages.is_empty() {
            file.stages = Some(self.stages.clone());
        }
        if let Some(text) = &self.transport_mix {
            let mix = Mix::<Transport>::parse(text, "--transport-mix")?;
            let mut w = TransportWeights::default();
            for &(k, weight) in mix.weights() {
                match k {
                    Transport::WebTransport => w.webtransport = weight,
                    Transport::WebSocket => w.websocket = weight,
                }
            }
            file.transport_mix = Some(w);
        }
        if let Some(text) = &self.behaviours {
            let mix = Mix::<Behaviour>::parse(text, "--behaviours")?;
            let mut w = BehaviourWeights::default();
            for &(k, weight) in mix.weights() {
                *match k {
                    Behaviour::Wander => &mut w.wander,
                    Behaviour::BorderCrosser => &mut w.border_crosser,
                    Behaviour::Hotspot => &mut w.hotspot,
                    Behaviour::Idle => &mut w.idle,
                    Behaviour::Chatter => &mut w.chatter,
                    Behaviour::Fighter => &mut w.fighter,
                    Behaviour::Trader => &mut w.trader,
                } = weight;
            }
            file.behaviours = Some(w);
        }
        if !self.thresholds.is_empty() {
            file.thresholds = Some(self.thresholds.iter().map(|t| t.trim().to_string()).collect());
        }
        if let Some(seed) = self.seed {
            file.seed = Some(seed);
        }
        if let Some(name) = &self.name {
            file.name = Some(name.clone());
        }
        if let Some(n) = self.endpoints {
            file.bots.get_or_insert_with(Default::default).endpoints = Some(n);
        }
        if let Some(z) = self.zones {
            file.world.get_or_insert_with(Default::default).zones = Some(z);
        }
        Scenario::resolve(file, self.scenario.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_build_a_scenario() {
        let args = Args::try_parse_from([
            "loadtest",
            "--stage",
            "10s:50",
            "--stage",
            "30s:50,10s:0",
            "--transport-mix",
            "webtransport=80,websocket=20",
            "--behaviours",
            "border-crosser=1,fighter=1",
            "--threshold",
            "rtt_p99_ms < 100",
            "--threshold",
            "snapshot_gaps == 0",
            "--seed",
            "9",
        ])
        .unwrap();
        let s = args.scenario().unwrap();
        assert_eq!(s.plan.stages().len(), 3);
        assert_eq!(s.plan.peak(), 50);
        assert_eq!(s.transports.to_string(), "webtransport=80,websocket=20");
        assert_eq!(s.behaviours.to_string(), "border_crosser=1,fighter=1");
        assert_eq!(s.thresholds.len(), 2);
        assert_eq!(s.seed, 9);
    }

    #[test]
    fn flags_override_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.toml");
        std::fs::write(&path, "name = \"file\"\nseed = 3\nstages = [{ duration = \"5s\", target = 5 }]\n").unwrap();
        let args = Args::try_parse_from(["loadtest", "--scenario", path.to_str().unwrap(), "--seed", "4"]).unwrap();
        let s = args.scenario().unwrap();
        assert_eq!((s.name.as_str(), s.seed, s.plan.peak()), ("file", 4, 5));
        let bad = Args::try_parse_from(["loadtest", "--transport-mix", "carrier-pigeon=1"]).unwrap();
        assert!(bad.scenario().unwrap_err().to_string().starts_with("--transport-mix:"));
    }
}
