//! One run from start to report: start the in-process world if there is no target, ask the
//! gateway how to connect, bind the QUIC client endpoints, drive the swarm through the stages,
//! stop what was started, and build the [`Report`].

use crate::bot::BotContext;
use crate::client::{ConnectInfo, Endpoints, GatewayRoute, Trust};
use crate::local::InProcessWorld;
use crate::mix::Transport;
use crate::progress::Progress;
use crate::recorder::Recorder;
use crate::report::meta::{self, Machine, Meta, ScenarioMeta, WorldMeta};
use crate::report::Report;
use crate::scenario::Scenario;
use crate::swarm;
use crate::LoadtestError;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::watch;
use tracing::{info, warn};

/// How to run, beyond the scenario.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Draw the live progress line on stderr.
    pub progress: bool,
    /// The pid of the process serving the bots, to sample its CPU and memory (without it: this
    /// process, which is right for the in-process world).
    pub target_pid: Option<u32>,
    /// A PEM file of CA certificates trusted besides the system's roots (gateways with
    /// CA-signed certificates; development certificates are pinned by hash).
    pub ca_file: Option<std::path::PathBuf>,
}

/// Runs `scenario` to the end of its stages (or until `shutdown`).
pub async fn run(
    scenario: &Scenario,
    options: RunOptions,
    shutdown: watch::Receiver<bool>,
) -> Result<Report, LoadtestError> {
    let started_ms = mmo_world::unix_ms();
    let world = match &scenario.target {
        Some(_) => None,
        None => Some(InProcessWorld::start(&scenario.world).await?),
    };
    let base = match (&scenario.target, &world) {
        (Some(url), _) => url.clone(),
        (None, Some(w)) => w.url(),
        (None, None) => unreachable!("a world was started"),
    };
    let target_err = |message: String| LoadtestError::Target { url: base.to_string(), message };
    let trust = match &options.ca_file {
        Some(path) => Trust::system().with_ca_file(path).map_err(|e| LoadtestError::Endpoint(e.to_string()))?,
        None => Trust::system(),
    };
    let info = ConnectInfo::fetch(&base, scenario.bots.connect_timeout, &trust)
        .await
        .map_err(|e| target_err(e.to_string()))?;
    if info.protocol_version != mmo_protocol::PROTOCOL_VERSION {
        return Err(target_err(format!(
            "speaks protocol {}, this load tester {}",
            info.protocol_version,
            mmo_protocol::PROTOCOL_VERSION
        )));
    }

    let route = GatewayRoute::from_connect(&info, &base).map_err(|e| target_err(e.to_string()))?;
    let mut endpoints = None;
    if scenario.transports.share(Transport::WebTransport) > 0.0 {
        let wt = route.webtransport.as_ref().ok_or_else(|| target_err("offers no WebTransport".into()))?;
        let remote = resolve(&wt.url).await.map_err(target_err)?;
        let bound = Endpoints::bind(scenario.bots.endpoints, remote, scenario.bots.udp_buffer_bytes, &trust)
            .map_err(|e| LoadtestError::Endpoint(e.to_string()))?;
        info!(endpoints = scenario.bots.endpoints, buffers = ?bound.buffers, "QUIC client endpoints bound");
        endpoints = Some(Arc::new(bound));
    }

    let recorder = Arc::new(Recorder::default());
    let ctx = Arc::new(BotContext {
        recorder: recorder.clone(),
        route,
        target: base.clone(),
        endpoints: endpoints.clone(),
        trust,
        connect_timeout: scenario.bots.connect_timeout,
        hotspot: scenario.bots.hotspot,
        chat_every: scenario.bots.chat_every,
        extrapolations: Default::default(),
        gateways: std::sync::Mutex::new(info.other_bases()),
    });
    info!(target = %base, scenario = %scenario.name, "run starts");
    let progress = options.progress.then(Progress::default);
    let outcome = swarm::drive(scenario, ctx, progress, options.target_pid, shutdown).await;

    if let Some(e) = &endpoints {
        e.close().await;
    }
    if let Some(w) = world {
        if let Err(e) = w.stop().await {
            warn!(error = %e, "the in-process world did not stop cleanly");
        }
    }

    let meta = Meta {
        tool: "mmo-loadtest",
        version: env!("CARGO_PKG_VERSION"),
        git_commit: meta::git_commit(),
        started_at: meta::rfc3339(started_ms),
        started_unix_ms: started_ms,
        duration_s: outcome.elapsed.as_secs_f64(),
        scenario: ScenarioMeta::of(scenario),
        target: base.to_string(),
        in_process_world: scenario.target.is_none().then(|| WorldMeta::of(scenario)),
        machine: Machine::this(),
        udp_buffers: endpoints.as_ref().map(|e| e.buffers),
        quic_endpoints: endpoints.as_ref().map_or(0, |_| scenario.bots.endpoints),
    };
    let note = match (options.target_pid, scenario.target.is_none()) {
        (Some(_), _) => "a separate process (the pid given)".to_string(),
        (None, true) => "this process: the in-process world and the bots together".to_string(),
        (None, false) => "this process: the bots only (pass --target-pid for the gateway's)".to_string(),
    };
    let pid = options.target_pid.map_or_else(|| "self".to_string(), |p| p.to_string());
    Ok(Report::build(meta, &scenario.thresholds, recorder.totals(), outcome, recorder.events(), Some((pid, note))))
}

/// The socket address of a URL's host and port.
async fn resolve(url: &url::Url) -> Result<SocketAddr, String> {
    let host = url.host_str().ok_or("the WebTransport URL has no host")?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port = url.port_or_known_default().unwrap_or(443);
    let mut addrs = tokio::net::lookup_host((host, port)).await.map_err(|e| format!("resolving {host}: {e}"))?;
    addrs.next().ok_or_else(|| format!("{host} has no address"))
}
