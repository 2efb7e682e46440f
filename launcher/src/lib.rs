//! A local multi-process cluster: etcd (Debian `etcd-server`, free ports, temporary data
//! directory), Redis (Debian `redis-server`, likewise: the durable store of accounts and player
//! records every zone and gateway shares, with one token key), coordinators, zone servers and
//! gateways, each its own process started from the
//! workspace's binaries (`mmo-coordinator`, `mmo-zone`, `mmo-gateway`). Each service is waited
//! for on the `ready: ...` line it prints (no sleeps); logs go to files in a temporary run
//! directory. Dropping the [`Cluster`] (or [`Cluster::stop`]) ends every process it started.

pub mod chaos;

use anyhow::{bail, Context};
use mmo_cluster::etcd::{EtcdConfig, EtcdRegistry};
use mmo_cluster::Registry;
use mmo_test_services::{Etcd, Redis};
use mmo_world::{GatewayId, ZoneId};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tracing::{info, warn};

/// How long a service may take to print its ready line.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a service may take to exit after SIGTERM before it is killed, when the whole
/// cluster stops (zones stopping together find no zone to drain into and stop at once).
const STOP_TIMEOUT: Duration = Duration::from_secs(5);
/// A zone's drain timeout (`--drain-timeout-secs`), and how long a restart waits for it.
const ZONE_DRAIN_SECS: u64 = 20;
/// A gateway's drain timeout: a restarted gateway's players move to another gateway within
/// it (the gateway exits as soon as they have). Stopping the whole cluster cuts it short with
/// a second SIGTERM after [`GATEWAY_STOP_DRAIN`] (there is nowhere to move then).
const GATEWAY_DRAIN_SECS: u64 = 10;
/// How long gateways drain when the whole cluster stops, before the second SIGTERM.
const GATEWAY_STOP_DRAIN: Duration = Duration::from_secs(1);
/// How long a rolling restart waits for a restarted gateway to be registered again.
const REREGISTER_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a rolling restart waits for a restarted zone to be given cells again.
const REFILL_TIMEOUT: Duration = Duration::from_secs(30);

/// A service that exits on its own is started again after this, doubled for each exit in a
/// row that came within [`STEADY`] of its start, up to [`RESTART_MAX`].
const RESTART_FIRST: Duration = Duration::from_secs(1);
const RESTART_MAX: Duration = Duration::from_secs(30);
/// A service that ran this long before exiting starts again after [`RESTART_FIRST`].
const STEADY: Duration = Duration::from_secs(60);

/// What to start.
#[derive(Clone, Debug)]
pub struct ClusterConfig {
    /// Where `mmo-zone`, `mmo-gateway` and `mmo-coordinator` are.
    pub bin_dir: PathBuf,
    pub coordinators: u32,
    pub zones: u32,
    pub gateways: u32,
    /// The first gateway's HTTP and WebTransport addresses (port 0: any free port); further
    /// gateways take any free ports.
    pub http: String,
    pub quic: String,
    /// The built browser client (served by gateways and the coordinators' dashboard).
    pub client_dir: Option<PathBuf>,
    /// Lease time to live of every service, in seconds.
    pub lease_ttl: u64,
    /// World name, size and cell size, passed to every service.
    pub world: String,
    pub world_size: String,
    pub cell_tiles: u16,
    pub npcs_per_cell: u32,
    /// The hunters' brain on every zone: `learned` or `scripted`.
    pub npc_brain: String,
    /// Extra flags for the coordinators (e.g. `--rebalance off`).
    pub coordinator_args: Vec<String>,
    /// Extra flags for the gateways (e.g. `--start-points=4`).
    pub gateway_args: Vec<String>,
    /// Gateways whose addresses have port 0 get free ports picked once, at start, so that a
    /// gateway restarted after a crash answers at the same URLs (else it takes new ones).
    pub pin_gateway_ports: bool,
}

impl ClusterConfig {
    /// Two coordinators, four zones, one gateway on free ports, binaries next to this program.
    pub fn new(bin_dir: PathBuf) -> Self {
        ClusterConfig {
            bin_dir,
            coordinators: 2,
            zones: 4,
            gateways: 1,
            http: "127.0.0.1:0".into(),
            quic: "127.0.0.1:0".into(),
            client_dir: None,
            lease_ttl: 2,
            world: "local".into(),
            world_size: "4x2".into(),
            cell_tiles: 128,
            npcs_per_cell: 6,
            npc_brain: "learned".into(),
            coordinator_args: Vec::new(),
            gateway_args: Vec::new(),
            pin_gateway_ports: false,
        }
    }
}

/// What a service is, in a cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Role {
    Coordinator(u32),
    Zone(u32),
    Gateway(u32),
}

/// One running service.
#[derive(Debug)]
pub struct Service {
    pub role: Role,
    /// The binary and its flags (a restart starts the same).
    binary: String,
    args: Vec<String>,
    /// What its ready line said after `ready: `.
    pub ready: String,
    pub log: PathBuf,
    child: Child,
    /// When this run started.
    started: Instant,
    /// Exits in a row, each soon after its start (the restart backoff doubles with each).
    quick_exits: u32,
    /// Since when it has been gone, with how it exited and when it starts again.
    down: Option<Down>,
}

/// A service that exited on its own, waiting for its restart.
#[derive(Debug, Clone)]
struct Down {
    status: String,
    restart_at: Instant,
}

impl Service {
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }
}

/// A service the supervisor started again after it exited on its own.
#[derive(Debug, Clone)]
pub struct Restarted {
    pub role: Role,
    /// How it exited (`signal: 9 (SIGKILL)`, `exit status: 1`).
    pub status: String,
    /// How long it waited before starting again (the backoff).
    pub backoff: Duration,
    /// Its exits in a row soon after starting, this one included.
    pub quick_exits: u32,
}

/// The restart backoff after `quick_exits` exits in a row soon after starting.
fn backoff(quick_exits: u32) -> Duration {
    RESTART_FIRST.saturating_mul(1 << quick_exits.saturating_sub(1).min(5)).min(RESTART_MAX)
}

/// A running cluster.
#[derive(Debug)]
pub struct Cluster {
    etcd: Etcd,
    redis: Redis,
    /// The key every gateway signs session tokens with (hex).
    token_key: String,
    run_dir: PathBuf,
    bin_dir: PathBuf,
    /// The world's name (its keys in etcd).
    world: String,
    services: Vec<Service>,
}

impl Cluster {
    /// Starts etcd, then the coordinators, the zones and the gateways, each once the previous
    /// is ready.
    pub async fn up(config: &ClusterConfig) -> anyhow::Result<Cluster> {
        let etcd = tokio::task::spawn_blocking(Etcd::start).await?.context("starting etcd (Debian etcd-server)")?;
        let redis = tokio::task::spawn_blocking(Redis::start).await?.context("starting Redis (Debian redis-server)")?;
        let token_key = random_hex(32).context("a token key from /dev/urandom")?;
        let run_dir = std::env::temp_dir().join(format!("mmo-launcher-{}", std::process::id()));
        std::fs::create_dir_all(&run_dir).with_context(|| format!("creating {}", run_dir.display()))?;
        let bin_dir = config.bin_dir.clone();
        let world = config.world.clone();
        let mut cluster = Cluster { etcd, redis, token_key, run_dir, bin_dir, world, services: Vec::new() };
        info!(etcd = cluster.etcd.endpoint(), "etcd ready");
        let common = |c: &Cluster| {
            vec![
                format!("--etcd={}", c.etcd.endpoint()),
                format!("--world={}", config.world),
                format!("--world-size={}", config.world_size),
                format!("--cell-tiles={}", config.cell_tiles),
            ]
        };
        for n in 1..=config.coordinators {
            let mut args = vec!["run".to_string()];
            args.extend(common(&cluster));
            args.extend([
                format!("--candidate=coordinator-{n}"),
                "--http=127.0.0.1:0".into(),
                format!("--leader-ttl-secs={}", config.lease_ttl),
            ]);
            if let Some(dir) = &config.client_dir {
                args.push(format!("--client-dir={}", dir.display()));
            }
            args.extend(config.coordinator_args.iter().cloned());
            cluster.start("mmo-coordinator", Role::Coordinator(n), args).await?;
        }
        let store = |c: &Cluster| vec![format!("--durable={}", c.redis.url()), format!("--token-key={}", c.token_key)];
        for n in 1..=config.zones {
            let mut args = common(&cluster);
            args.extend(store(&cluster));
            args.extend([
                format!("--id={n}"),
                format!("--lease-ttl={}", config.lease_ttl),
                format!("--npcs-per-cell={}", config.npcs_per_cell),
                format!("--npc-brain={}", config.npc_brain),
                format!("--drain-timeout-secs={ZONE_DRAIN_SECS}"),
            ]);
            cluster.start("mmo-zone", Role::Zone(n), args).await?;
        }
        for n in 1..=config.gateways {
            let mut args = common(&cluster);
            args.extend(store(&cluster));
            let (mut http, mut quic) = if n == 1 {
                (config.http.clone(), config.quic.clone())
            } else {
                ("127.0.0.1:0".into(), "127.0.0.1:0".into())
            };
            if config.pin_gateway_ports {
                http = pinned(&http, Proto::Tcp).with_context(|| format!("a free TCP port for gateway {n}"))?;
                quic = pinned(&quic, Proto::Udp).with_context(|| format!("a free UDP port for gateway {n}"))?;
            }
            args.extend([
                format!("--id={n}"),
                format!("--lease-ttl={}", config.lease_ttl),
                format!("--http={http}"),
                format!("--quic={quic}"),
                format!("--drain-timeout-secs={GATEWAY_DRAIN_SECS}"),
            ]);
            if let Some(dir) = &config.client_dir {
                args.push(format!("--client-dir={}", dir.display()));
            }
            args.extend(config.gateway_args.iter().cloned());
            cluster.start("mmo-gateway", Role::Gateway(n), args).await?;
        }
        Ok(cluster)
    }

    async fn start(&mut self, binary: &str, role: Role, args: Vec<String>) -> anyhow::Result<()> {
        let path = self.bin_dir.join(binary);
        if !path.is_file() {
            bail!("{} not found (build it: cargo build --bins; or pass --bin-dir)", path.display());
        }
        let name = match &role {
            Role::Coordinator(n) => format!("coordinator-{n}"),
            Role::Zone(n) => format!("zone-{n}"),
            Role::Gateway(n) => format!("gateway-{n}"),
        };
        let log = self.run_dir.join(format!("{name}.log"));
        // Appended to: a restarted service writes after its earlier run.
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .with_context(|| format!("opening {}", log.display()))?;
        let mut child = Command::new(&path)
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log_file)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", path.display()))?;
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let started = Instant::now();
        let ready = tokio::time::timeout(READY_TIMEOUT, async {
            while let Some(line) = lines.next_line().await? {
                if let Some(rest) = line.strip_prefix("ready: ") {
                    return Ok::<_, std::io::Error>(Some(rest.to_string()));
                }
            }
            Ok(None)
        })
        .await;
        let ready = match ready {
            Ok(Ok(Some(ready))) => ready,
            Ok(Ok(None)) | Ok(Err(_)) => {
                bail!("{name} exited before it was ready; see {}:\n{}", log.display(), tail(&log))
            }
            Err(_) => bail!("{name} not ready within {READY_TIMEOUT:?}; see {}:\n{}", log.display(), tail(&log)),
        };
        // Keep draining stdout so the service never blocks on it.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        info!(%name, %ready, took_ms = started.elapsed().as_millis() as u64, "ready");
        let started = Instant::now();
        self.services.push(Service {
            role,
            binary: binary.to_string(),
            args,
            ready,
            log,
            child,
            started,
            quick_exits: 0,
            down: None,
        });
        Ok(())
    }

    /// Supervises: notes every service that exited on its own (a crash, `kill -9`) and starts
    /// again, with the same flags (the same id), each one whose backoff has passed: 1 s, then
    /// doubling for each exit in a row within a minute of its start, up to 30 s. Call it often
    /// (e.g. every 250 ms); returns what it restarted. Services stopped on purpose
    /// ([`Cluster::restart`], [`Cluster::stop`]) are not its business. A restart that fails
    /// (not ready in time) counts as one more quick exit.
    pub async fn revive_exited(&mut self) -> Vec<Restarted> {
        let now = Instant::now();
        for service in &mut self.services {
            if service.down.is_some() {
                continue;
            }
            if let Ok(Some(status)) = service.child.try_wait() {
                let quick = now.duration_since(service.started) < STEADY;
                service.quick_exits = if quick { service.quick_exits + 1 } else { 1 };
                let wait = backoff(service.quick_exits);
                warn!(role = ?service.role, %status, restart_in_ms = wait.as_millis() as u64, "exited on its own; restarting");
                service.down = Some(Down { status: status.to_string(), restart_at: now + wait });
            }
        }
        let mut restarted = Vec::new();
        while let Some(index) =
            self.services.iter().position(|s| s.down.as_ref().is_some_and(|d| d.restart_at <= Instant::now()))
        {
            let service = self.services.remove(index);
            let down = service.down.clone().expect("down");
            let waited = backoff(service.quick_exits);
            match self.start(&service.binary, service.role.clone(), service.args.clone()).await {
                Ok(()) => {
                    let new = self.services.last_mut().expect("just started");
                    new.quick_exits = service.quick_exits;
                    info!(role = ?new.role, pid = new.pid(), "restarted");
                    restarted.push(Restarted {
                        role: service.role,
                        status: down.status,
                        backoff: waited,
                        quick_exits: service.quick_exits,
                    });
                }
                Err(error) => {
                    let quick_exits = service.quick_exits + 1;
                    let wait = backoff(quick_exits);
                    warn!(role = ?service.role, %error, restart_in_ms = wait.as_millis() as u64, "restart failed; trying again");
                    self.services.push(Service {
                        quick_exits,
                        down: Some(Down { status: down.status, restart_at: Instant::now() + wait }),
                        ..service
                    });
                }
            }
        }
        restarted
    }

    pub fn etcd_endpoint(&self) -> &str {
        self.etcd.endpoint()
    }

    /// The Redis every zone and gateway keeps players in (`redis://...`).
    pub fn redis_url(&self) -> String {
        self.redis.url()
    }

    /// The world's name (its keys in etcd).
    pub fn world(&self) -> &str {
        &self.world
    }

    /// Sends `signal` to a running service (SIGSTOP pauses it, SIGCONT resumes it).
    pub fn signal(&self, role: &Role, signal: mmo_test_services::Signal) -> anyhow::Result<()> {
        let pid = self.service(role).and_then(Service::pid).context("no such running service")?;
        mmo_test_services::signal(pid, signal).with_context(|| format!("signalling {role:?} ({pid})"))
    }

    /// Whether every service runs (none is waiting for its restart).
    pub fn all_up(&self) -> bool {
        self.services.iter().all(|s| s.down.is_none())
    }

    /// Where the services' logs are.
    pub fn run_dir(&self) -> &Path {
        &self.run_dir
    }

    pub fn services(&self) -> &[Service] {
        &self.services
    }

    pub fn service(&self, role: &Role) -> Option<&Service> {
        self.services.iter().find(|s| &s.role == role)
    }

    /// The first gateway's play URL.
    pub fn play_url(&self) -> Option<String> {
        self.service(&Role::Gateway(1)).map(|s| s.ready.clone())
    }

    /// The first coordinator's dashboard URL.
    pub fn dashboard_url(&self) -> Option<String> {
        let base =
            self.service(&Role::Coordinator(1))?.ready.split_whitespace().next()?.trim_end_matches('/').to_string();
        Some(format!("{base}/dashboard"))
    }

    /// Kills a service with SIGKILL (a crash) and waits for it to be gone.
    pub async fn kill(&mut self, role: &Role) -> anyhow::Result<()> {
        let service = self.services.iter_mut().find(|s| &s.role == role).context("no such service")?;
        service.child.kill().await.context("killing")?;
        Ok(())
    }

    /// Stops a service as Kubernetes would (SIGTERM: a zone drains, a gateway moves its
    /// players), waits for it to exit (killing it past its drain timeout), and starts it
    /// again with the same flags.
    pub async fn restart(&mut self, role: &Role) -> anyhow::Result<()> {
        let index = self.services.iter().position(|s| &s.role == role).context("no such service")?;
        let mut service = self.services.remove(index);
        let drain = match role {
            Role::Gateway(_) => GATEWAY_DRAIN_SECS,
            Role::Zone(_) | Role::Coordinator(_) => ZONE_DRAIN_SECS,
        };
        let wait = Duration::from_secs(drain) + STOP_TIMEOUT;
        let started = Instant::now();
        sigterm(&service);
        wait_or_kill(&mut service, tokio::time::Instant::now() + wait).await;
        info!(role = ?service.role, took_ms = started.elapsed().as_millis() as u64, "stopped; starting again");
        self.start(&service.binary, service.role, service.args).await
    }

    /// Restarts every zone, one after another (a rolling update): each drains into the others,
    /// starts again and is given cells before the next one goes.
    pub async fn roll_zones(&mut self) -> anyhow::Result<()> {
        let (registry, follower) =
            EtcdRegistry::connect(EtcdConfig::new([self.etcd.endpoint()], self.world.as_str())).await?;
        let following = tokio::spawn(follower.run());
        let zones: Vec<Role> =
            self.services.iter().filter(|s| matches!(s.role, Role::Zone(_))).map(|s| s.role.clone()).collect();
        for role in zones {
            let Role::Zone(id) = role else { continue };
            self.restart(&role).await?;
            let started = Instant::now();
            let mut assignments = registry.watch();
            let refilled = tokio::time::timeout(
                REFILL_TIMEOUT,
                assignments.wait_for(|t| t.values().any(|a| a.zone == ZoneId(id))),
            )
            .await;
            match refilled {
                Ok(Ok(_)) => {
                    info!(zone = id, took_ms = started.elapsed().as_millis() as u64, "restarted zone owns cells again")
                }
                _ => warn!(zone = id, "restarted zone was not given a cell within {REFILL_TIMEOUT:?}"),
            }
        }
        following.abort();
        Ok(())
    }

    /// Restarts every gateway, one after another (a rolling update): each drains (its players
    /// move to another gateway and resume there), exits, starts again and is registered before
    /// the next one goes.
    pub async fn roll_gateways(&mut self) -> anyhow::Result<()> {
        let (registry, follower) =
            EtcdRegistry::connect(EtcdConfig::new([self.etcd.endpoint()], self.world.as_str())).await?;
        let following = tokio::spawn(follower.run());
        let gateways: Vec<Role> =
            self.services.iter().filter(|s| matches!(s.role, Role::Gateway(_))).map(|s| s.role.clone()).collect();
        let rolled = async {
            for role in gateways {
                let Role::Gateway(id) = role else { continue };
                self.restart(&role).await?;
                let started = Instant::now();
                let ready = self.service(&role).map(|s| s.ready.clone()).unwrap_or_default();
                let address = ready.split("://").nth(1).unwrap_or_default().trim_end_matches('/').to_string();
                let registered = tokio::time::timeout(REREGISTER_TIMEOUT, async {
                    loop {
                        let gateways = registry.gateways().await?;
                        if gateways.get(&GatewayId(id)).is_some_and(|g| g.address == address) {
                            return Ok::<_, mmo_cluster::RegistryError>(());
                        }
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                })
                .await;
                match registered {
                    Ok(Ok(())) => info!(
                        gateway = id,
                        took_ms = started.elapsed().as_millis() as u64,
                        "restarted gateway registered"
                    ),
                    Ok(Err(error)) => bail!("reading the registry's gateways: {error}"),
                    Err(_) => bail!("restarted gateway {id} not registered at {address} within {REREGISTER_TIMEOUT:?}"),
                }
            }
            Ok(())
        }
        .await;
        following.abort();
        rolled
    }

    /// Stops every service, gateways first (their players are saved), then the zones, then
    /// the coordinators, each group together (SIGTERM, then SIGKILL after a while), then etcd.
    /// Gateways get a second SIGTERM after [`GATEWAY_STOP_DRAIN`]: their drain has nowhere to
    /// send players when every gateway stops.
    pub async fn stop(mut self) {
        for group in [Kind::Gateway, Kind::Zone, Kind::Coordinator] {
            let mut members: Vec<&mut Service> =
                self.services.iter_mut().filter(|s| Kind::of(&s.role) == group).collect();
            members.iter().for_each(|s| sigterm(s));
            let deadline = tokio::time::Instant::now() + STOP_TIMEOUT;
            if group == Kind::Gateway {
                let cut = tokio::time::Instant::now() + GATEWAY_STOP_DRAIN;
                for service in members.iter_mut() {
                    if tokio::time::timeout_at(cut, service.child.wait()).await.is_err() {
                        sigterm(service);
                    }
                }
            }
            for service in members {
                wait_or_kill(service, deadline).await;
            }
        }
        self.services.clear();
    }
}

/// A service's kind, to stop them in groups.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Coordinator,
    Zone,
    Gateway,
}

impl Kind {
    fn of(role: &Role) -> Kind {
        match role {
            Role::Coordinator(_) => Kind::Coordinator,
            Role::Zone(_) => Kind::Zone,
            Role::Gateway(_) => Kind::Gateway,
        }
    }
}

fn sigterm(service: &Service) {
    if let Some(pid) = service.child.id() {
        if let Err(error) = mmo_test_services::signal(pid, mmo_test_services::Signal::Term) {
            warn!(%error, pid, "could not send SIGTERM");
        }
    }
}

/// Waits for a service sent SIGTERM to exit, and kills it if it still runs at `deadline`.
async fn wait_or_kill(service: &mut Service, deadline: tokio::time::Instant) {
    if tokio::time::timeout_at(deadline, service.child.wait()).await.is_err() {
        warn!(role = ?service.role, "did not stop in time; killing");
        let _ = service.child.kill().await;
    }
}

#[derive(Clone, Copy)]
enum Proto {
    Tcp,
    Udp,
}

/// `address` itself, or with a free port of `proto` in place of port 0 (picked now, then let
/// go: a service binding it a moment later gets it, barring a race with another process).
fn pinned(address: &str, proto: Proto) -> std::io::Result<String> {
    let addr: std::net::SocketAddr =
        address.parse().map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    if addr.port() != 0 {
        return Ok(address.to_string());
    }
    let port = match proto {
        Proto::Tcp => std::net::TcpListener::bind(addr)?.local_addr()?.port(),
        Proto::Udp => std::net::UdpSocket::bind(addr)?.local_addr()?.port(),
    };
    Ok(std::net::SocketAddr::new(addr.ip(), port).to_string())
}

fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let start = text.len().saturating_sub(3000);
    text.get(start..).unwrap_or_default().to_string()
}

/// `bytes` random bytes from `/dev/urandom`, as lowercase hex.
fn random_hex(bytes: usize) -> std::io::Result<String> {
    use std::io::Read;
    let mut buf = vec![0u8; bytes];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut buf)?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}
