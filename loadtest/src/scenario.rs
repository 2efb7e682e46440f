//! What a run does: read from a TOML scenario file (every table refuses unknown keys), then
//! overridden by command-line flags, then checked as a whole ([`Scenario::resolve`]).

use crate::duration;
use crate::mix::{Behaviour, Mix, Transport};
use crate::stages::{Plan, Stage};
use crate::threshold::{self, Threshold};
use crate::LoadtestError;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Most bots one stage may ask for.
pub const MAX_BOTS: u32 = 100_000;

/// A scenario file as written. Everything is optional; [`Scenario::resolve`] fills defaults.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    pub name: Option<String>,
    pub description: Option<String>,
    pub seed: Option<u64>,
    /// The gateway's HTTP base URL; absent: an in-process local world.
    pub target: Option<String>,
    /// Allow a target that is not on this machine.
    pub allow_remote: Option<bool>,
    pub stages: Option<Vec<Stage>>,
    pub thresholds: Option<Vec<String>>,
    pub transport_mix: Option<TransportWeights>,
    pub behaviours: Option<BehaviourWeights>,
    pub bots: Option<BotFile>,
    pub world: Option<WorldFile>,
}

#[derive(Clone, Copy, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransportWeights {
    #[serde(default)]
    pub webtransport: u32,
    #[serde(default)]
    pub websocket: u32,
}

#[derive(Clone, Copy, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BehaviourWeights {
    #[serde(default)]
    pub wander: u32,
    #[serde(default)]
    pub border_crosser: u32,
    #[serde(default)]
    pub hotspot: u32,
    #[serde(default)]
    pub idle: u32,
    #[serde(default)]
    pub chatter: u32,
    #[serde(default)]
    pub fighter: u32,
    #[serde(default)]
    pub trader: u32,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BotFile {
    /// How often a chatter speaks (the gateway allows 5 lines per 5 s).
    #[serde(default, deserialize_with = "opt_duration")]
    pub chat_every: Option<Duration>,
    /// The point hotspot bots converge on, in tiles `[x, y]`; default: the world's middle.
    pub hotspot: Option<[i32; 2]>,
    /// QUIC client endpoints (UDP sockets) shared by the WebTransport bots.
    pub endpoints: Option<usize>,
    /// UDP socket buffer size asked for, in bytes (the kernel may cap it: net.core.rmem_max).
    pub udp_buffer_bytes: Option<usize>,
    #[serde(default, deserialize_with = "opt_duration")]
    pub connect_timeout: Option<Duration>,
    /// Bots started per second at most while ramping up.
    pub max_connect_rate: Option<u32>,
}

/// The in-process local world (used when there is no target).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorldFile {
    pub zones: Option<u32>,
    pub width_cells: Option<u16>,
    pub height_cells: Option<u16>,
    pub cell_tiles: Option<u16>,
    pub npcs_per_cell: Option<u32>,
    pub seed: Option<u64>,
    pub max_sessions: Option<usize>,
    /// Start points new bots spread over across the world's width (1: the middle).
    pub start_points: Option<u32>,
}

fn opt_duration<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    duration::deserialize(d).map(Some)
}

impl ScenarioFile {
    /// Reads and parses a scenario file.
    pub fn load(path: &Path) -> Result<Self, LoadtestError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| LoadtestError::ReadScenario { path: path.to_path_buf(), source })?;
        Self::parse(&text).map_err(|message| LoadtestError::ParseScenario { path: path.to_path_buf(), message })
    }

    /// Parses scenario text; the error names the offending key and shows its line.
    pub fn parse(text: &str) -> Result<Self, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }
}

/// How bots behave, whatever they do.
#[derive(Clone, Debug, PartialEq)]
pub struct BotSettings {
    pub chat_every: Duration,
    pub hotspot: Option<[i32; 2]>,
    pub endpoints: usize,
    pub udp_buffer_bytes: usize,
    pub connect_timeout: Duration,
    pub max_connect_rate: u32,
}

/// The in-process world's shape.
#[derive(Clone, Debug, PartialEq)]
pub struct WorldSettings {
    pub zones: u32,
    pub width_cells: u16,
    pub height_cells: u16,
    pub cell_tiles: u16,
    pub npcs_per_cell: u32,
    pub seed: u64,
    pub max_sessions: usize,
    pub start_points: u32,
}

/// A checked, complete scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    pub source: Option<PathBuf>,
    pub seed: u64,
    pub target: Option<url::Url>,
    pub plan: Plan,
    pub transports: Mix<Transport>,
    pub behaviours: Mix<Behaviour>,
    pub thresholds: Vec<Threshold>,
    /// True when no threshold was given and [`threshold::defaults`] apply.
    pub default_thresholds: bool,
    pub bots: BotSettings,
    pub world: WorldSettings,
}

impl Scenario {
    /// Fills defaults and checks every value; errors name the field.
    pub fn resolve(file: ScenarioFile, source: Option<PathBuf>) -> Result<Scenario, LoadtestError> {
        let stages = file.stages.unwrap_or_else(|| {
            ["5s:10", "10s:10", "5s:0"].iter().map(|s| s.parse().expect("default stages")).collect()
        });
        if stages.is_empty() {
            return Err(LoadtestError::invalid("stages", "at least one stage is needed"));
        }
        for (i, s) in stages.iter().enumerate() {
            if s.target > MAX_BOTS {
                return Err(LoadtestError::invalid(
                    format!("stages[{i}].target"),
                    format!("{} is over {MAX_BOTS}", s.target),
                ));
            }
        }
        let plan = Plan::new(stages);
        if plan.total().is_zero() || plan.total() > Duration::from_secs(24 * 3600) {
            return Err(LoadtestError::invalid("stages", "the stages must last between 1 ms and 24 h in all"));
        }

        let tw = file.transport_mix.unwrap_or(TransportWeights { webtransport: 1, websocket: 0 });
        let transports = Mix::new(
            vec![(Transport::WebTransport, tw.webtransport), (Transport::WebSocket, tw.websocket)],
            "transport_mix",
        )?;
        let bw = file.behaviours.unwrap_or(BehaviourWeights { wander: 1, ..Default::default() });
        let behaviours = Mix::new(
            vec![
                (Behaviour::Wander, bw.wander),
                (Behaviour::BorderCrosser, bw.border_crosser),
                (Behaviour::Hotspot, bw.hotspot),
                (Behaviour::Idle, bw.idle),
                (Behaviour::Chatter, bw.chatter),
                (Behaviour::Fighter, bw.fighter),
                (Behaviour::Trader, bw.trader),
            ],
            "behaviours",
        )?;

        let (thresholds, default_thresholds) = match file.thresholds {
            None => (threshold::defaults(), true),
            Some(list) => {
                let parsed = list
                    .iter()
                    .enumerate()
                    .map(|(i, t)| t.parse().map_err(|e| LoadtestError::invalid(format!("thresholds[{i}]"), e)))
                    .collect::<Result<Vec<_>, _>>()?;
                (parsed, false)
            }
        };

        let target = match file.target {
            None => None,
            Some(text) => Some(parse_target(&text, file.allow_remote.unwrap_or(false))?),
        };

        let b = file.bots.unwrap_or_default();
        let bots = BotSettings {
            chat_every: b.chat_every.unwrap_or(Duration::from_secs(3)),
            hotspot: b.hotspot,
            endpoints: b.endpoints.unwrap_or(2),
            udp_buffer_bytes: b.udp_buffer_bytes.unwrap_or(8 * 1024 * 1024),
            connect_timeout: b.connect_timeout.unwrap_or(Duration::from_secs(10)),
            max_connect_rate: b.max_connect_rate.unwrap_or(200),
        };
        if bots.chat_every < Duration::from_millis(1100) {
            return Err(LoadtestError::invalid(
                "bots.chat_every",
                "at least 1100ms: the gateway allows 5 lines per 5 s",
            ));
        }
        if !(1..=64).contains(&bots.endpoints) {
            return Err(LoadtestError::invalid("bots.endpoints", "1 to 64"));
        }
        if !(64 * 1024..=256 * 1024 * 1024).contains(&bots.udp_buffer_bytes) {
            return Err(LoadtestError::invalid("bots.udp_buffer_bytes", "64 KiB to 256 MiB"));
        }
        if bots.connect_timeout.is_zero() {
            return Err(LoadtestError::invalid("bots.connect_timeout", "must be above 0"));
        }
        if bots.max_connect_rate == 0 {
            return Err(LoadtestError::invalid("bots.max_connect_rate", "must be above 0"));
        }

        let w = file.world.unwrap_or_default();
        let world = WorldSettings {
            zones: w.zones.unwrap_or(1),
            width_cells: w.width_cells.unwrap_or(4),
            height_cells: w.height_cells.unwrap_or(2),
            cell_tiles: w.cell_tiles.unwrap_or(128),
            npcs_per_cell: w.npcs_per_cell.unwrap_or(12),
            seed: w.seed.unwrap_or(42),
            max_sessions: w.max_sessions.unwrap_or(10_000),
            start_points: w.start_points.unwrap_or(1),
        };
        if !(1..=64).contains(&world.zones) {
            return Err(LoadtestError::invalid("world.zones", "1 to 64"));
        }
        if !(1..=256).contains(&world.width_cells) {
            return Err(LoadtestError::invalid("world.width_cells", "1 to 256"));
        }
        if !(1..=256).contains(&world.height_cells) {
            return Err(LoadtestError::invalid("world.height_cells", "1 to 256"));
        }
        if !(32..=1024).contains(&world.cell_tiles) {
            return Err(LoadtestError::invalid("world.cell_tiles", "32 to 1024"));
        }
        if !(1..=256).contains(&world.start_points) {
            return Err(LoadtestError::invalid("world.start_points", "1 to 256"));
        }

        Ok(Scenario {
            name: file.name.unwrap_or_else(|| "adhoc".into()),
            description: file.description.unwrap_or_default(),
            source,
            seed: file.seed.unwrap_or(1),
            target,
            plan,
            transports,
            behaviours,
            thresholds,
            default_thresholds,
            bots,
            world,
        })
    }
}

/// Parses the target URL (`http://`, or `https://` for a gateway with a CA-signed certificate);
/// only loopback hosts unless `allow_remote`.
pub fn parse_target(text: &str, allow_remote: bool) -> Result<url::Url, LoadtestError> {
    let url = url::Url::parse(text).map_err(|e| LoadtestError::invalid("target", format!("{text:?}: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(LoadtestError::invalid("target", format!("{text:?}: only http:// and https:// gateway URLs")));
    }
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d == "localhost",
        None => return Err(LoadtestError::invalid("target", format!("{text:?}: no host"))),
    };
    if !loopback && !allow_remote {
        return Err(LoadtestError::invalid(
            "target",
            format!("{text:?} is not on this machine; pass --allow-remote to load-test it on purpose"),
        ));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(text: &str) -> Result<Scenario, String> {
        let file = ScenarioFile::parse(text)?;
        Scenario::resolve(file, None).map_err(|e| e.to_string())
    }

    #[test]
    fn a_full_scenario_parses() {
        let s = resolve(
            r#"
            name = "demo"
            seed = 7
            target = "http://127.0.0.1:8080/"
            stages = [{ duration = "10s", target = 50 }, { duration = "30s", target = 50 }]
            thresholds = ["rtt_p99_ms < 100", "snapshot_gaps == 0"]
            transport_mix = { webtransport = 80, websocket = 20 }
            behaviours = { wander = 2, border_crosser = 1, fighter = 1 }
            [bots]
            chat_every = "2s"
            hotspot = [256, 100]
            [world]
            zones = 2
            "#,
        )
        .unwrap();
        assert_eq!(s.name, "demo");
        assert_eq!(s.seed, 7);
        assert_eq!(s.plan.total(), Duration::from_secs(40));
        assert_eq!(s.transports.to_string(), "webtransport=80,websocket=20");
        assert_eq!(s.behaviours.share(Behaviour::Wander), 0.5);
        assert_eq!(s.thresholds.len(), 2);
        assert!(!s.default_thresholds);
        assert_eq!(s.bots.chat_every, Duration::from_secs(2));
        assert_eq!(s.world.zones, 2);
        assert_eq!(s.target.unwrap().port(), Some(8080));
    }

    #[test]
    fn defaults_apply() {
        let s = resolve("").unwrap();
        assert!(s.target.is_none());
        assert!(s.default_thresholds);
        assert_eq!(s.plan.peak(), 10);
    }

    #[test]
    fn bad_values_name_their_field() {
        let e = resolve("stages = [{ duration = \"10q\", target = 5 }]").unwrap_err();
        assert!(e.contains("duration") && e.contains("unknown unit"), "{e}");
        let e = resolve("stages = [{ duration = \"10s\", target = -5 }]").unwrap_err();
        assert!(e.contains("target"), "{e}");
        let e = resolve("[transport_mix]\nquic = 3").unwrap_err();
        assert!(e.contains("quic") && e.contains("unknown field"), "{e}");
        let e = resolve("transport_mix = { websocket = 0 }").unwrap_err();
        assert!(e.starts_with("transport_mix:"), "{e}");
        let e = resolve("thresholds = [\"rtt_p99_ms < 100\", \"latency < 3\"]").unwrap_err();
        assert!(e.starts_with("thresholds[1]:"), "{e}");
        let e = resolve("[bots]\nchat_every = \"500ms\"").unwrap_err();
        assert!(e.starts_with("bots.chat_every:"), "{e}");
        let e = resolve("stages = [{ duration = \"1s\", target = 200000 }]").unwrap_err();
        assert!(e.starts_with("stages[0].target:"), "{e}");
        let e = resolve("colour = \"red\"").unwrap_err();
        assert!(e.contains("colour"), "{e}");
        let e = resolve("[world]\ncell_tiles = 8").unwrap_err();
        assert!(e.starts_with("world.cell_tiles:"), "{e}");
    }

    #[test]
    fn remote_targets_need_consent() {
        assert!(parse_target("http://localhost:8080/", false).is_ok());
        assert!(parse_target("http://[::1]:8080/", false).is_ok());
        let e = parse_target("http://192.0.2.1:8080/", false).unwrap_err().to_string();
        assert!(e.starts_with("target:") && e.contains("--allow-remote"), "{e}");
        assert!(parse_target("http://192.0.2.1:8080/", true).is_ok());
        assert!(parse_target("ftp://127.0.0.1/", false).is_err());
        assert!(parse_target("https://localhost:8443/", false).is_ok(), "a gateway with a CA-signed certificate");
    }
}
