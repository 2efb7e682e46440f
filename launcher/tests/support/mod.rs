//! What the multi-process tests share: where the service binaries are, bounded waits, and a
//! WebSocket login.

#![allow(dead_code)]

use mmo_launcher::{Cluster, Restarted, Role};
use mmo_loadtest::client::{Client, Event, Trust};
use mmo_loadtest::scenario::ScenarioFile;
use mmo_loadtest::{LoadtestError, Report, RunOptions, Scenario};
use mmo_protocol::{ClientControl, ErrorCode, ServerControl, PROTOCOL_VERSION};
use mmo_test_services::wait::poll_until;
use mmo_world::EntityId;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Bound on waiting for things that should happen within seconds (a hang must not stall CI).
pub const PATIENCE: Duration = Duration::from_secs(60);

/// Where `mmo-zone`, `mmo-gateway` and `mmo-coordinator` are: `$MMO_BIN_DIR`, else next to the
/// test's target directory (`cargo build --bins`).
pub fn bin_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("MMO_BIN_DIR") {
        return dir.into();
    }
    // target/<profile>/deps/<test> -> target/<profile>
    let exe = std::env::current_exe().expect("test executable");
    exe.parent().and_then(|d| d.parent()).expect("target directory").to_path_buf()
}

pub async fn within<T>(what: &str, f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(PATIENCE, f).await.unwrap_or_else(|_| panic!("{what}: nothing within {PATIENCE:?}"))
}

/// The WebSocket URL of a gateway whose play URL is `play`.
pub fn websocket_url(play: &str) -> String {
    let url = url::Url::parse(play).expect("play URL");
    format!("ws://{}:{}/ws", url.host_str().unwrap(), url.port().unwrap())
}

/// Logs in as guest `name` over WebSocket; the client and its entity, or the error code.
pub async fn login(ws: &str, name: &str) -> Result<(Client, EntityId), ErrorCode> {
    let mut client = Client::websocket(ws, &Trust::default()).await.expect("websocket");
    client.send_control(&ClientControl::Hello { version: PROTOCOL_VERSION }).await.unwrap();
    client.send_control(&ClientControl::Login { name: name.into(), password: None }).await.unwrap();
    loop {
        match client.recv().await.unwrap() {
            Event::Control(ServerControl::Joined { entity, .. }) => return Ok((client, entity)),
            Event::Control(ServerControl::Error { code }) => return Err(code),
            Event::Closed(code) => panic!("closed before joining: {code:?}"),
            _ => {}
        }
    }
}

/// Whether `/api/online` of the gateway at `play` lists at least `bots` load-test bots (the
/// world's players, on any gateway).
pub async fn bots_online(play: &url::Url, bots: usize) -> bool {
    let Ok(body) = mmo_loadtest::client::http_get(play, "/api/online", &Trust::default()).await else { return false };
    let rows: Vec<serde_json::Value> = serde_json::from_str(&body).unwrap_or_default();
    rows.iter().filter(|r| r["name"].as_str().is_some_and(|n| n.starts_with("lt"))).count() >= bots
}

/// How many load-test bots `/api/online` of the gateway at `play` lists on `gateway`.
pub async fn bots_on(play: &url::Url, gateway: u64) -> usize {
    let Ok(body) = mmo_loadtest::client::http_get(play, "/api/online", &Trust::default()).await else { return 0 };
    let rows: Vec<serde_json::Value> = serde_json::from_str(&body).unwrap_or_default();
    rows.iter()
        .filter(|r| r["name"].as_str().is_some_and(|n| n.starts_with("lt")) && r["gateway"].as_u64() == Some(gateway))
        .count()
}

/// What the bots of a test do: `name`'s `bots` bots (half over WebTransport, half over the
/// WebSocket) against `target`, ramped up over `ramp` (e.g. `"3s"`) and then playing until the
/// test stops them (a 10-minute hold it cuts short); `behaviours` is a TOML inline table's
/// body (`wander = 2, fighter = 1`); the run holds no session lost and no login refused, and
/// `extra_thresholds`.
pub fn playing_bots(
    name: &str,
    seed: u64,
    target: &str,
    bots: usize,
    ramp: &str,
    behaviours: &str,
    extra_thresholds: &[&str],
) -> Scenario {
    let thresholds: Vec<String> = ["unexpected_disconnects == 0", "connect_failures == 0"]
        .iter()
        .chain(extra_thresholds)
        .map(|t| format!("{t:?}"))
        .collect();
    let text = format!(
        r#"
name = "{name}"
seed = {seed}
target = "{target}"
stages = [
  {{ duration = "{ramp}", target = {bots} }},
  {{ duration = "10m", target = {bots} }},
]
thresholds = [{thresholds}]
transport_mix = {{ webtransport = 50, websocket = 50 }}
behaviours = {{ {behaviours} }}
"#,
        thresholds = thresholds.join(", ")
    );
    Scenario::resolve(ScenarioFile::parse(&text).expect("the test's scenario parses"), None).expect("and resolves")
}

/// A test's bots, playing in a task until [`finish`](Bots::finish) makes them leave.
pub struct Bots {
    stop: watch::Sender<bool>,
    run: JoinHandle<Result<Report, LoadtestError>>,
    /// The cluster's run directory, named when a wait fails.
    logs: PathBuf,
}

impl Bots {
    /// Starts `scenario`'s bots against a cluster whose logs are in `logs`.
    pub fn start(scenario: Scenario, logs: &Path) -> Bots {
        let (stop, shutdown) = watch::channel(false);
        let run = tokio::spawn(async move { mmo_loadtest::run(&scenario, RunOptions::default(), shutdown).await });
        Bots { stop, run, logs: logs.to_path_buf() }
    }

    /// Polls `check` until it holds. After [`PATIENCE`] without it, stops the bots and panics
    /// naming `what`, how each bot's session ended and what the services warned of: a failure
    /// on CI, whose run directory is gone, says which bot was left behind and why.
    pub async fn wait_until<F: Future<Output = bool>>(&mut self, what: &str, check: impl FnMut() -> F) {
        if poll_until(PATIENCE, check).await {
            return;
        }
        let _ = self.stop.send(true);
        let bots = match (&mut self.run).await {
            Ok(Ok(report)) => bot_lines(&report),
            Ok(Err(e)) => format!("the run failed: {e}"),
            Err(e) => format!("the bots' task failed: {e}"),
        };
        panic!(
            "{what}: not within {PATIENCE:?}\nthe bots:\n{bots}\nwarnings (logs: {}):\n{}",
            self.logs.display(),
            notable_warnings(&self.logs, 40)
        );
    }

    /// Makes the bots leave; the run's report.
    pub async fn finish(self) -> Report {
        let _ = self.stop.send(true);
        self.run.await.expect("the bots ran").expect("the run completes")
    }
}

/// One line per bot of `report`: its name, transport, how its session ended and its moves.
fn bot_lines(report: &Report) -> String {
    let json = serde_json::to_value(report).expect("a report is JSON");
    let bots = json["bots"].as_array().cloned().unwrap_or_default();
    bots.iter()
        .map(|b| {
            format!(
                "  {} ({}): end {}, gateway moves {}, losses {}, snapshots {}",
                b["name"].as_str().unwrap_or("?"),
                b["transport"].as_str().unwrap_or("?"),
                b["end"].as_str().unwrap_or("?"),
                b["gateway_moves"],
                b["gateway_losses"],
                b["snapshots"],
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A cluster of 2 zones and 2 gateways, with one coordinator deciding every 250 ms.
pub fn two_gateways() -> mmo_launcher::ClusterConfig {
    mmo_launcher::ClusterConfig {
        zones: 2,
        gateways: 2,
        coordinators: 1,
        coordinator_args: vec!["--period-ms=250".into()],
        ..mmo_launcher::ClusterConfig::new(bin_dir())
    }
}

/// Supervises `cluster` until it restarts `role`.
pub async fn restart_of(cluster: &mut Cluster, role: &Role) -> Restarted {
    within(&format!("a restart of {role:?}"), async {
        loop {
            if let Some(r) = cluster.revive_exited().await.into_iter().find(|r| &r.role == role) {
                return r;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
}

/// The warnings and errors of every service's log in `run_dir`, without the zone links'
/// reconnection noise and at most `max` lines: what a failed test prints so that a failure on
/// CI, whose run directory is gone, can still be understood.
pub fn notable_warnings(run_dir: &std::path::Path, max: usize) -> String {
    let mut files: Vec<PathBuf> = std::fs::read_dir(run_dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "log"))
        .collect();
    files.sort();
    let noise = ["zone link", "link peer", "no link to zone"];
    let mut lines = Vec::new();
    for file in files {
        let name = file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        for line in std::fs::read_to_string(&file).unwrap_or_default().lines() {
            let plain = strip_ansi(line);
            if (plain.contains(" WARN ") || plain.contains(" ERROR ")) && !noise.iter().any(|n| plain.contains(n)) {
                lines.push(format!("{name}: {}", plain.chars().take(400).collect::<String>()));
            }
        }
    }
    let left = lines.len().saturating_sub(max);
    lines.truncate(max);
    if left > 0 {
        lines.push(format!("... and {left} more"));
    }
    lines.join("\n")
}

/// `line` without terminal colour codes.
fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}
