//! `mmo-launcher up`: a local multi-process cluster (etcd, 2 coordinators, 4 zone servers, 1
//! gateway by default). Prints the play URL and the dashboard URL once everything is ready,
//! and a line per gateway, `gateway 2: http://127.0.0.1:PORT/ (pid 1234)` (again for a gateway
//! started anew);
//! Typing `roll zones` (or `roll`) restarts every zone one after another (SIGTERM: each drains
//! into the others first, as in a Kubernetes rolling update), `roll gateways` every gateway
//! (each drains: its players move to another gateway and resume there); Ctrl-C, SIGTERM or
//! typing `stop` stops every process it started. A service that exits on its own (a crash,
//! `kill -9`) is started again with the same id, after a backoff (1 s, doubling for repeated
//! quick exits, up to 30 s), as Kubernetes or systemd would.
//!
//! `mmo-launcher chaos`: the same cluster (2 gateways) under many faults while load-test bots
//! play (kill -9 of a zone every 60 s, of the leading coordinator every 90 s, of a gateway
//! every 120 s, one zone paused past its lease), then an item census; writes
//! `chaos.json` and `chaos.html` and exits non-zero if a target was missed (see
//! `mmo_launcher::chaos`).

use clap::{Parser, Subcommand};
use mmo_launcher::chaos::schedule::{Every, Schedule};
use mmo_launcher::chaos::ChaosConfig;
use mmo_launcher::{Cluster, ClusterConfig, Role, Service};
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};

#[derive(Parser, Debug)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Starts the cluster and runs it until Ctrl-C or `stop`.
    Up(UpArgs),
    /// A soak under faults with bots playing, and an item census at the end.
    Chaos(ChaosArgs),
}

fn duration(text: &str) -> Result<Duration, String> {
    mmo_loadtest::duration::parse(text)
}

#[derive(clap::Args, Debug)]
struct ChaosArgs {
    /// Where mmo-zone, mmo-gateway and mmo-coordinator are (default: next to this program).
    #[arg(long, env = "MMO_BIN_DIR")]
    bin_dir: Option<PathBuf>,
    /// Load-test bots playing through the soak.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..=5000))]
    bots: u32,
    /// How long the faults go on, once the bots are in (e.g. 10m, 90s).
    #[arg(long, default_value = "10m", value_parser = duration)]
    duration: Duration,
    /// How long the bots take to come in.
    #[arg(long, default_value = "60s", value_parser = duration)]
    ramp: Duration,
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(2..=64))]
    zones: u32,
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(2..=8))]
    gateways: u32,
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(2..=8))]
    coordinators: u32,
    /// Lease time to live of every service, in seconds.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(2..=60))]
    lease_ttl: u64,
    /// A zone is killed first after this, then every --zone-kill-every (0: once).
    #[arg(long, default_value = "30s", value_parser = duration)]
    zone_kill_first: Duration,
    #[arg(long, default_value = "60s", value_parser = duration)]
    zone_kill_every: Duration,
    #[arg(long, default_value = "45s", value_parser = duration)]
    leader_kill_first: Duration,
    #[arg(long, default_value = "90s", value_parser = duration)]
    leader_kill_every: Duration,
    #[arg(long, default_value = "60s", value_parser = duration)]
    gateway_kill_first: Duration,
    #[arg(long, default_value = "120s", value_parser = duration)]
    gateway_kill_every: Duration,
    /// When a zone is paused (SIGSTOP), once.
    #[arg(long, default_value = "110s", value_parser = duration)]
    pause_at: Duration,
    /// How long it stays paused (default: three lease TTLs).
    #[arg(long, value_parser = duration)]
    pause_for: Option<Duration>,
    /// No fault in this last stretch: the world settles before the census.
    #[arg(long, default_value = "30s", value_parser = duration)]
    quiet_tail: Duration,
    /// The report's directory (default: chaos-report/<time>).
    #[arg(long)]
    out: Option<PathBuf>,
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

fn bin_dir(given: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    Ok(match given {
        Some(dir) => dir,
        None => std::env::current_exe()?.parent().map(PathBuf::from).unwrap_or_default(),
    })
}

async fn chaos(args: ChaosArgs) -> anyhow::Result<()> {
    let cluster = ClusterConfig {
        coordinators: args.coordinators,
        zones: args.zones,
        gateways: args.gateways,
        lease_ttl: args.lease_ttl,
        ..ClusterConfig::new(bin_dir(args.bin_dir)?)
    };
    let schedule = Schedule {
        zone_kill: Every { first: args.zone_kill_first, every: args.zone_kill_every },
        leader_kill: Every { first: args.leader_kill_first, every: args.leader_kill_every },
        gateway_kill: Every { first: args.gateway_kill_first, every: args.gateway_kill_every },
        pause_at: Some(args.pause_at),
        quiet_tail: args.quiet_tail,
    };
    let out = args.out.unwrap_or_else(|| {
        PathBuf::from("chaos-report").join(mmo_loadtest::report::meta::compact(mmo_world::unix_ms()))
    });
    let config = ChaosConfig {
        cluster,
        bots: args.bots,
        ramp: args.ramp,
        duration: args.duration,
        schedule,
        pause_for: args.pause_for.unwrap_or(Duration::from_secs(3 * args.lease_ttl)),
        out_dir: out.clone(),
        seed: args.seed,
    };
    let report = mmo_launcher::chaos::run(&config).await?;
    let mut stdout = std::io::stdout();
    write!(stdout, "{}", report.summary())?;
    writeln!(stdout, "report: {}", out.join("chaos.html").display())?;
    if !report.passed {
        anyhow::bail!("the chaos soak missed a target");
    }
    Ok(())
}

#[derive(clap::Args, Debug)]
struct UpArgs {
    /// Where mmo-zone, mmo-gateway and mmo-coordinator are (default: next to this program).
    #[arg(long, env = "MMO_BIN_DIR")]
    bin_dir: Option<PathBuf>,
    /// Coordinator replicas (one leads, elected in etcd).
    #[arg(long, env = "MMO_COORDINATORS", default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=8))]
    coordinators: u32,
    /// Zone servers.
    #[arg(long, env = "MMO_ZONES", default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=64))]
    zones: u32,
    /// Gateways (the first on --http and --quic, the others on free ports).
    #[arg(long, env = "MMO_GATEWAYS", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=8))]
    gateways: u32,
    /// The first gateway's HTTP address (the play URL).
    #[arg(long, env = "MMO_HTTP", default_value = "127.0.0.1:8080")]
    http: String,
    /// The first gateway's WebTransport (UDP) address.
    #[arg(long, env = "MMO_QUIC", default_value = "127.0.0.1:4433")]
    quic: String,
    /// The built browser client (scripts/build-client.sh builds browser-client/dist).
    #[arg(long, env = "MMO_CLIENT_DIR", default_value = "browser-client/dist")]
    client_dir: PathBuf,
    /// Lease time to live of every service, in seconds.
    #[arg(long, env = "MMO_LEASE_TTL", default_value_t = 2, value_parser = clap::value_parser!(u64).range(2..=60))]
    lease_ttl: u64,
    /// World size in cells, as WIDTHxHEIGHT (1 to 256 each).
    #[arg(long, env = "MMO_WORLD_SIZE", default_value = "4x2", value_parser = mmo_cluster::cli::parse_world_size)]
    world_size: (u16, u16),
    /// Mobs each zone spawns in every cell it takes fresh.
    #[arg(long, env = "MMO_NPCS_PER_CELL", default_value_t = 6)]
    npcs_per_cell: u32,
    /// The hunters' brain on every zone: `learned` (the trained policy) or `scripted`.
    #[arg(long, env = "MMO_NPC_BRAIN", default_value = "learned", value_parser = ["learned", "scripted"])]
    npc_brain: String,
}

/// What a `roll` command restarts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Roll {
    Zones,
    Gateways,
}

impl Roll {
    /// `roll` and `roll zones`: the zones; `roll gateways`: the gateways.
    fn parse(line: &str) -> Option<Roll> {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["roll"] | ["roll", "zones"] => Some(Roll::Zones),
            ["roll", "gateways"] => Some(Roll::Gateways),
            _ => None,
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Roll::Zones => "zone",
            Roll::Gateways => "gateway",
        }
    }
}

/// `gateway 2: http://127.0.0.1:PORT/ (pid 1234)` for a gateway (its page and pid, for tests
/// and operators that kill one), None for other services.
fn gateway_line(service: &Service) -> Option<String> {
    let Role::Gateway(id) = service.role else { return None };
    let pid = service.pid().map_or_else(|| "exited".to_string(), |pid| format!("pid {pid}"));
    Some(format!("gateway {id}: {} ({pid})", service.ready))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    mmo_cluster::cli::init_logging("info");
    let args = match Cli::parse().command {
        Cmd::Up(args) => args,
        Cmd::Chaos(args) => return chaos(args).await,
    };
    let bin_dir = bin_dir(args.bin_dir)?;
    let client_dir = args.client_dir.join("index.html").exists().then_some(args.client_dir.clone());
    if client_dir.is_none() {
        tracing::warn!(dir = %args.client_dir.display(), "--client-dir has no index.html: no page and no dashboard (run scripts/build-client.sh)");
    }
    let config = ClusterConfig {
        coordinators: args.coordinators,
        zones: args.zones,
        gateways: args.gateways,
        http: args.http,
        quic: args.quic,
        client_dir,
        lease_ttl: args.lease_ttl,
        world_size: format!("{}x{}", args.world_size.0, args.world_size.1),
        npcs_per_cell: args.npcs_per_cell,
        npc_brain: args.npc_brain,
        ..ClusterConfig::new(bin_dir)
    };
    let mut cluster = Cluster::up(&config).await?;
    let mut out = std::io::stdout();
    writeln!(out, "play:      {}", cluster.play_url().unwrap_or_default())?;
    writeln!(out, "dashboard: {}", cluster.dashboard_url().unwrap_or_default())?;
    writeln!(out, "etcd:      {}   logs: {}", cluster.etcd_endpoint(), cluster.run_dir().display())?;
    for service in cluster.services() {
        if let Some(line) = gateway_line(service) {
            writeln!(out, "{line}")?;
        }
    }
    writeln!(
        out,
        "ready: type `roll zones` or `roll gateways` for a rolling restart; `stop` or Ctrl-C stops everything"
    )?;
    out.flush()?;
    let stop = mmo_cluster::cli::stop_requested();
    tokio::pin!(stop);
    let mut stdin = BufReader::new(tokio::io::stdin()).lines();
    let mut stdin_open = true;
    let mut supervise = tokio::time::interval(std::time::Duration::from_millis(250));
    loop {
        tokio::select! {
            () = &mut stop => break,
            _ = supervise.tick() => {
                for r in cluster.revive_exited().await {
                    writeln!(out, "restarted {:?} ({}), after {:.1} s", r.role, r.status, r.backoff.as_secs_f64())?;
                    if let Some(line) = cluster.service(&r.role).and_then(gateway_line) {
                        writeln!(out, "{line}")?;
                    }
                }
            }
            line = stdin.next_line(), if stdin_open => match line {
                Ok(Some(line)) if line.trim() == "stop" => break,
                Ok(Some(line)) if Roll::parse(&line).is_some() => {
                    let roll = Roll::parse(&line).expect("checked");
                    writeln!(out, "rolling restart of every {}...", roll.noun())?;
                    let rolled = match roll {
                        Roll::Zones => cluster.roll_zones().await,
                        Roll::Gateways => cluster.roll_gateways().await,
                    };
                    match rolled {
                        Ok(()) => {
                            writeln!(out, "rolled: every {} restarted", roll.noun())?;
                            for line in cluster.services().iter().filter_map(gateway_line) {
                                writeln!(out, "{line}")?;
                            }
                        }
                        Err(error) => writeln!(out, "rolling restart failed: {error:#}")?,
                    }
                }
                Ok(Some(_)) => writeln!(
                    out,
                    "type `roll zones` (or `roll`) or `roll gateways` to restart them one by one, `stop` to stop the cluster"
                )?,
                _ => stdin_open = false,
            },
        }
    }
    writeln!(out, "stopping...")?;
    cluster.stop().await;
    writeln!(out, "stopped")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::Roll;

    #[test]
    fn roll_commands() {
        assert_eq!(Roll::parse("roll"), Some(Roll::Zones), "`roll` rolls the zones, as before");
        assert_eq!(Roll::parse(" roll  zones "), Some(Roll::Zones));
        assert_eq!(Roll::parse("roll gateways"), Some(Roll::Gateways));
        assert_eq!(Roll::parse("roll coordinators"), None);
        assert_eq!(Roll::parse("stop"), None);
    }
}
