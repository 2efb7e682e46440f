//! `mmo-launcher chaos`: a soak under many faults at once, with an item census at the end.
//!
//! It starts a multi-process cluster (etcd, Redis, coordinators, zones, gateways; gateways on
//! ports kept across restarts), lets load-test bots play on it (trading, dropping and picking
//! up items, fighting, wandering, crossing borders), and strikes on a [`Schedule`]: kill -9 of
//! a zone, of the coordinator that leads, of a gateway, and one SIGSTOP of a zone past its
//! lease then SIGCONT. The launcher's supervisor starts every killed service again under its
//! id, as Kubernetes would. Each fault's recovery is measured where it shows (the cells
//! re-owned, a new leader, the bots back online); its effects (snapshot gaps, movement rolled
//! back, sessions lost) are read from the bots' report in the window after it. At the end the
//! bots leave and the census (module [`census`]) reads every item and character. The report
//! (module [`report`]) is JSON and a self-contained HTML page with the fault timeline.

pub mod census;
pub mod probe;
pub mod report;
pub mod schedule;

use crate::{Cluster, ClusterConfig, Role};
use anyhow::Context;
use census::{Holdings, Ledger};
use mmo_cluster::checkpoint::{CellCheckpoint, CheckpointCodec};
use mmo_cluster::etcd::{EtcdConfig, EtcdRegistry};
use mmo_cluster::Registry;
use mmo_loadtest::scenario::ScenarioFile;
use mmo_loadtest::{RunOptions, Scenario};
use mmo_store::{AnyHot, AnyStore, DurableStore, HotSpec, HotState, StoreSpec};
use mmo_world::{unix_ms, CellId, WorldGeometry};
use report::{ChaosReport, FaultRecord};
use schedule::{FaultKind, Plan, Schedule};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tracing::{info, warn};

/// How often the ledger reads the durable places.
const LEDGER_PERIOD: Duration = Duration::from_secs(2);
/// How long a recovery may take before it counts as not recovered.
const PATIENCE: Duration = Duration::from_secs(60);
/// How long the soak waits for the bots to be in, after the ramp.
const JOIN_PATIENCE: Duration = Duration::from_secs(60);

/// What to run.
#[derive(Clone, Debug)]
pub struct ChaosConfig {
    pub cluster: ClusterConfig,
    pub bots: u32,
    /// How long the bots take to come in (faults begin once they are in).
    pub ramp: Duration,
    /// How long the soak runs once the bots are in.
    pub duration: Duration,
    pub schedule: Schedule,
    /// How long a paused zone stays stopped (longer than its lease).
    pub pause_for: Duration,
    /// Where the report goes.
    pub out_dir: PathBuf,
    pub seed: u64,
}

/// Runs the soak and writes its report; the report, whatever its verdict.
pub async fn run(config: &ChaosConfig) -> anyhow::Result<ChaosReport> {
    // New characters start spread over the world's width, one start point per column of cells,
    // as in a live world, so that every zone has players to lose.
    let (width, _) = mmo_cluster::cli::parse_world_size(&config.cluster.world_size).map_err(anyhow::Error::msg)?;
    let mut cluster_config = ClusterConfig { pin_gateway_ports: true, ..config.cluster.clone() };
    cluster_config.gateway_args.push(format!("--start-points={width}"));
    let mut cluster = Cluster::up(&cluster_config).await?;
    let outcome = soak(config, &mut cluster).await;
    let run_dir = cluster.run_dir().to_path_buf();
    cluster.stop().await;
    let report = outcome?;
    let (json, html) = report.write(&config.out_dir).context("writing the chaos report")?;
    info!(json = %json.display(), html = %html.display(), logs = %run_dir.display(), "chaos report written");
    Ok(report)
}

async fn soak(config: &ChaosConfig, cluster: &mut Cluster) -> anyhow::Result<ChaosReport> {
    let started_unix_ms = unix_ms();
    let store = AnyStore::open(&StoreSpec::parse(&cluster.redis_url())?).await.context("opening Redis")?;
    let hot = AnyHot::open(&HotSpec::Durable, &store).await.context("opening Redis's hot state")?;
    let (registry, follower) = EtcdRegistry::connect(EtcdConfig::new([cluster.etcd_endpoint()], cluster.world()))
        .await
        .context("following etcd")?;
    let following = tokio::spawn(follower.run());
    let (w, h) = mmo_cluster::cli::parse_world_size(&config.cluster.world_size).map_err(anyhow::Error::msg)?;
    let geometry = WorldGeometry { width_cells: w, height_cells: h, cell_tiles: config.cluster.cell_tiles };
    let cells: Vec<CellId> = geometry.cells().collect();
    let urls = Urls::of(cluster);
    let (zone_urls, zones_now) = watch::channel(urls.zones.clone());

    // The bots (a swarm through each gateway), and the ledger of committed items.
    let (stop_bots, bots_stopped) = watch::channel(false);
    let mut swarms = Vec::new();
    let gateways = urls.gateways.len().max(1) as u32;
    for (i, play) in urls.gateways.iter().enumerate() {
        let i = i as u32;
        let bots = config.bots / gateways + u32::from(i < config.bots % gateways);
        let scenario = scenario(config, play, bots, config.seed + u64::from(i))?;
        let stopped = bots_stopped.clone();
        swarms.push(tokio::spawn(async move { mmo_loadtest::run(&scenario, RunOptions::default(), stopped).await }));
    }
    let (stop_ledger, ledger_stopped) = watch::channel(false);
    let ledger = tokio::spawn(keep_ledger(store.clone(), hot.clone(), cells.clone(), ledger_stopped));
    let joined = wait_for_bots(cluster, &urls, config.bots as usize, config.ramp + JOIN_PATIENCE).await;
    info!(joined, bots = config.bots, "bots in; the faults begin");

    let t0 = Instant::now();
    let soak_started_ms = unix_ms();
    let plan = config.schedule.plan(config.duration);
    let mut turns = Plan::new(config.cluster.zones, config.cluster.gateways);
    let mut measuring: JoinSet<FaultRecord> = JoinSet::new();
    let mut restarts = Vec::new();
    let mut next = plan.into_iter().peekable();
    let mut supervise = tokio::time::interval(Duration::from_millis(250));
    let end = t0 + config.duration;
    loop {
        let due = next.peek().map(|(at, _)| t0 + *at);
        tokio::select! {
            () = tokio::time::sleep_until(end) => break,
            () = sleep_until(due) => {
                let (at, kind) = next.next().expect("peeked");
                let mut record = FaultRecord::new(kind, soak_started_ms + at.as_millis() as u64, at);
                match strike(cluster, &registry, &zones_now, &mut turns, config, &mut record).await {
                    Ok(measure) => { measuring.spawn(measure); }
                    Err(error) => {
                        warn!(?kind, %error, "could not strike");
                        record.detail = format!("not struck: {error:#}");
                        measuring.spawn(async move { record });
                    }
                }
            }
            _ = supervise.tick() => {
                restarts.extend(revive(cluster, soak_started_ms, t0).await);
                zone_urls.send_if_modified(|z| replace(z, Urls::of(cluster).zones));
            }
        }
    }
    info!("faults over; waiting for the recoveries and a settled cluster");
    let mut faults = Vec::new();
    while !measuring.is_empty() {
        tokio::select! {
            done = measuring.join_next() => if let Some(done) = done { faults.push(done.context("a fault's probe")?) },
            _ = supervise.tick() => restarts.extend(revive(cluster, soak_started_ms, t0).await),
        }
    }
    let settled = Instant::now();
    while !(cluster.all_up() && every_cell_owned(&registry, &cells).await) && settled.elapsed() < PATIENCE {
        supervise.tick().await;
        restarts.extend(revive(cluster, soak_started_ms, t0).await);
    }
    faults.sort_by(|a, b| a.at_s.total_cmp(&b.at_s));

    // The bots leave; their players are saved and logged out; then the census.
    let _ = stop_bots.send(true);
    let mut bots_reports = Vec::new();
    for swarm in swarms {
        bots_reports.push(swarm.await.context("the bots' task")?.context("the bots' run")?);
    }
    let played: Vec<&mmo_loadtest::bot::BotSummary> =
        bots_reports.iter().flat_map(|r| r.bots.iter()).filter(|b| b.joined).collect();
    let left = Instant::now();
    while online_bots(&hot).await > 0 && left.elapsed() < PATIENCE {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let _ = stop_ledger.send(true);
    let mut ledger = ledger.await.context("the ledger's task")?;
    ledger.names.extend(played.iter().map(|b| b.name.clone()));
    let mut holdings = Holdings::default();
    let mut records = BTreeMap::new();
    for name in &ledger.names {
        match store.load(name).await {
            Ok(Some(record)) => {
                holdings.add_record(&record);
                records.insert(record.name.clone(), record);
            }
            // The character's check names it missing.
            Ok(None) => {}
            Err(error) => warn!(%name, %error, "the census cannot read this player's record"),
        }
    }
    for zone in Urls::of(cluster).zones {
        match probe::zone_report_patiently(&zone).await {
            Some(report) => holdings.add_zone(&report),
            None => {
                warn!(%zone, "the census cannot read this zone's report");
                holdings.unread.push(zone.to_string());
            }
        }
    }
    let items = census::judge(&ledger, &holdings);
    let last: Vec<(String, Option<[f64; 2]>)> = played.iter().map(|b| (b.name.clone(), b.last_position)).collect();
    let characters = census::characters(&last, &records);
    for fault in faults.iter_mut().filter(|f| f.kind == FaultKind::ZonePause) {
        fault.read_fencing();
    }
    following.abort();
    Ok(ChaosReport::build(config, started_unix_ms, soak_started_ms, faults, restarts, items, characters, bots_reports))
}

/// The scenario of the soak's bots: they trade, fight, wander and cross borders, half over
/// WebTransport, half over the WebSocket, until told to leave.
fn scenario(config: &ChaosConfig, play: &url::Url, bots: u32, seed: u64) -> anyhow::Result<Scenario> {
    let text = format!(
        r#"
name = "chaos"
seed = {seed}
target = "{play}"
stages = [
  {{ duration = "{ramp}ms", target = {bots} }},
  {{ duration = "12h", target = {bots} }},
]
transport_mix = {{ webtransport = 50, websocket = 50 }}
behaviours = {{ trader = 3, fighter = 2, wander = 1, border_crosser = 2 }}
"#,
        ramp = config.ramp.as_millis().max(1),
    );
    let file = ScenarioFile::parse(&text).map_err(anyhow::Error::msg)?;
    Scenario::resolve(file, None).map_err(anyhow::Error::msg)
}

/// The services' HTTP addresses, from their ready lines.
#[derive(Clone, Debug, Default, PartialEq)]
struct Urls {
    coordinators: Vec<(u32, url::Url)>,
    gateways: Vec<url::Url>,
    zones: Vec<url::Url>,
}

impl Urls {
    fn of(cluster: &Cluster) -> Urls {
        let mut urls = Urls::default();
        // Running services only: one waiting for its restart holds nothing and answers nothing.
        for s in cluster.services().iter().filter(|s| s.pid().is_some()) {
            match s.role {
                Role::Coordinator(n) => {
                    if let Some(url) = s.ready.split_whitespace().next().and_then(|u| url::Url::parse(u).ok()) {
                        urls.coordinators.push((n, url));
                    }
                }
                Role::Gateway(_) => urls.gateways.extend(url::Url::parse(&s.ready).ok()),
                Role::Zone(_) => urls.zones.extend(probe::url_in_ready(&s.ready, "http")),
            }
        }
        urls
    }
}

/// Replaces `old` with `new` if they differ; whether they did.
fn replace<T: PartialEq>(old: &mut T, new: T) -> bool {
    let changed = *old != new;
    if changed {
        *old = new;
    }
    changed
}

fn gateway_url(cluster: &Cluster, id: u32) -> Option<url::Url> {
    cluster.service(&Role::Gateway(id)).and_then(|s| url::Url::parse(&s.ready).ok())
}

fn coordinator_urls(cluster: &Cluster) -> Vec<(u32, url::Url)> {
    Urls::of(cluster).coordinators
}

/// What measures one fault's recovery, run beside the supervisor.
type Probe = std::pin::Pin<Box<dyn std::future::Future<Output = FaultRecord> + Send>>;

/// Strikes the next fault of `record.kind`; what measures its recovery.
async fn strike(
    cluster: &mut Cluster,
    registry: &EtcdRegistry,
    zones: &watch::Receiver<Vec<url::Url>>,
    turns: &mut Plan,
    config: &ChaosConfig,
    record: &mut FaultRecord,
) -> anyhow::Result<Probe> {
    let since = Instant::now();
    let mut record = record.clone();
    let measure: Probe = match record.kind {
        FaultKind::ZoneKill | FaultKind::ZonePause => {
            let live: Vec<url::Url> = zones.borrow().clone();
            let (id, players) = match busiest_zone(&live).await {
                Some(busiest) => busiest,
                None => (turns.next_zone(), 0),
            };
            record.players_hit = players;
            let role = Role::Zone(id);
            let zone = mmo_world::ZoneId(id);
            let owned: Vec<(CellId, mmo_world::Epoch)> =
                registry.assignments().iter().filter(|(_, a)| a.zone == zone).map(|(c, a)| (*c, a.epoch)).collect();
            record.target = format!("zone {id}");
            record.detail = format!("owned {} cells", owned.len());
            let (zones, registry) = (zones.clone(), registry.clone());
            if record.kind == FaultKind::ZoneKill {
                cluster.kill(&role).await?;
                info!(zone = id, cells = owned.len(), "chaos: zone killed");
            } else {
                let service = cluster.service(&role).context("no such zone")?;
                let pid = service.pid().context("zone not running")?;
                record.log = Some(service.log.clone());
                cluster.signal(&role, mmo_test_services::Signal::Stop)?;
                info!(
                    zone = id,
                    cells = owned.len(),
                    pause_ms = config.pause_for.as_millis() as u64,
                    "chaos: zone paused"
                );
                let pause_for = config.pause_for;
                record.recovery = "its cells owned again (new epoch)";
                return Ok(Box::pin(async move {
                    let resumed = async move {
                        tokio::time::sleep(pause_for).await;
                        // Taken before the signal: the zone writes nothing while stopped.
                        let at = unix_ms();
                        if let Err(error) = mmo_test_services::signal(pid, mmo_test_services::Signal::Cont) {
                            warn!(%error, "could not resume the paused zone");
                        }
                        info!(zone = id, "chaos: zone resumed");
                        at
                    };
                    let (reowned, resumed_ms) =
                        tokio::join!(probe::cells_reowned(registry, zones, owned, since, PATIENCE), resumed);
                    record.resumed_unix_ms = Some(resumed_ms);
                    record.recovered_ms = reowned.map(ms);
                    record
                }));
            }
            record.recovery = "its cells owned again (new epoch)";
            Box::pin(async move {
                record.recovered_ms = probe::cells_reowned(registry, zones, owned, since, PATIENCE).await.map(ms);
                record
            })
        }
        FaultKind::LeaderKill => {
            let mut leader = None;
            let coordinators = coordinator_urls(cluster);
            for (_, url) in &coordinators {
                if let Some(l) = probe::leader(url).await {
                    leader = Some(l);
                    break;
                }
            }
            let (name, epoch) = leader.context("no coordinator names a leader")?;
            record.players_hit = 0;
            let n: u32 = name.rsplit('-').next().and_then(|n| n.parse().ok()).context("leader's name")?;
            cluster.kill(&Role::Coordinator(n)).await?;
            info!(%name, epoch, "chaos: leader killed");
            record.target = name;
            record.recovery = "another leader elected";
            let others: Vec<url::Url> = coordinators.iter().filter(|(m, _)| *m != n).map(|(_, u)| u.clone()).collect();
            Box::pin(async move {
                record.recovered_ms = probe::new_leader(&others, epoch, since, PATIENCE).await.map(ms);
                record
            })
        }
        FaultKind::GatewayKill => {
            let id = turns.next_gateway();
            let others: Vec<url::Url> =
                (1..=config.cluster.gateways).filter(|g| *g != id).filter_map(|g| gateway_url(cluster, g)).collect();
            let mut online = Vec::new();
            for g in &others {
                if let Some(bots) = probe::bots_online(g).await {
                    online = bots;
                    break;
                }
            }
            let before = online.len();
            let on_it = online.iter().filter(|(_, on)| *on == u64::from(id)).count();
            cluster.kill(&Role::Gateway(id)).await?;
            info!(gateway = id, online = before, "chaos: gateway killed");
            record.target = format!("gateway {id}");
            record.detail = format!("{on_it} of {before} bots online on it");
            record.players_hit = on_it;
            // Measured from the bots' own account of their moves, when the report is built.
            record.recovery = "every bot on it playing on a gateway again";
            Box::pin(async move { record })
        }
    };
    Ok(measure)
}

/// The zone simulating the most players now (by the zones' `/report`), if any has one, and
/// how many.
async fn busiest_zone(zones: &[url::Url]) -> Option<(u32, usize)> {
    let mut busiest: Option<(usize, u32)> = None;
    for zone in zones {
        if let Some(report) = probe::zone_report(zone).await {
            let players = report.entities.iter().filter(|e| e.is_player && !e.frozen).count();
            if players > 0 && busiest.is_none_or(|(most, _)| players > most) {
                busiest = Some((players, report.zone.0));
            }
        }
    }
    busiest.map(|(players, id)| (id, players))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The supervisor's round: restarts what exited, as timeline entries.
async fn revive(cluster: &mut Cluster, soak_started_ms: u64, t0: Instant) -> Vec<report::RestartRecord> {
    cluster
        .revive_exited()
        .await
        .into_iter()
        .map(|r| {
            info!(role = ?r.role, status = %r.status, "chaos: supervisor restarted");
            report::RestartRecord {
                role: format!("{:?}", r.role),
                at_s: t0.elapsed().as_secs_f64(),
                at_unix_ms: soak_started_ms + t0.elapsed().as_millis() as u64,
                status: r.status,
                backoff_s: r.backoff.as_secs_f64(),
            }
        })
        .collect()
}

/// Waits until `bots` bots are online (or `patience` passed), supervising meanwhile; how many.
async fn wait_for_bots(cluster: &mut Cluster, urls: &Urls, bots: usize, patience: Duration) -> usize {
    let since = Instant::now();
    let mut seen = 0;
    while since.elapsed() < patience {
        cluster.revive_exited().await;
        for g in &urls.gateways {
            seen = seen.max(probe::bots_online(g).await.map_or(0, |b| b.len()));
        }
        if seen >= bots {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    seen
}

async fn every_cell_owned(registry: &EtcdRegistry, cells: &[CellId]) -> bool {
    let Ok(zones) = registry.zones().await else { return false };
    let table = registry.assignments();
    cells.iter().all(|c| table.get(c).is_some_and(|a| zones.contains_key(&a.zone)))
}

async fn online_bots(hot: &AnyHot) -> usize {
    hot.online().await.map_or(usize::MAX, |o| o.iter().filter(|s| s.name.starts_with("lt")).count())
}

/// Notes every committed item, every [`LEDGER_PERIOD`], until `stopped`.
async fn keep_ledger(store: AnyStore, hot: AnyHot, cells: Vec<CellId>, mut stopped: watch::Receiver<bool>) -> Ledger {
    let mut ledger = Ledger::default();
    loop {
        if let Ok(online) = hot.online().await {
            ledger.names.extend(online.into_iter().map(|s| s.name).filter(|n| n.starts_with("lt")));
        }
        for name in &ledger.names.clone() {
            if let Ok(Some(record)) = store.load(name).await {
                ledger.note_record(&record);
            }
        }
        for cell in &cells {
            if let Ok(Some(checkpoint)) = hot.latest_checkpoint(*cell).await {
                match CellCheckpoint::decode(&checkpoint.bytes) {
                    Ok(checkpoint) => ledger.note_checkpoint(&checkpoint),
                    Err(error) => warn!(%cell, %error, "a checkpoint the census cannot read"),
                }
            }
        }
        ledger.samples += 1;
        tokio::select! {
            () = tokio::time::sleep(LEDGER_PERIOD) => {}
            _ = stopped.wait_for(|s| *s) => return ledger,
        }
    }
}
