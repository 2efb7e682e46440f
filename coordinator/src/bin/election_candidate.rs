//! A coordinator election candidate as its own process, for failover tests and by-hand
//! measurements: it campaigns once; when it leads, it holds leadership and, every
//! `--write-every-ms`, writes `--cell` -> `--zone` through the leader-guarded transaction. It
//! keeps writing with the leadership it won even after losing it: it is a probe of the fence,
//! not a coordinator. One line per fact on stdout, each starting with the unix time in ms:
//!
//! ```text
//! <ms> CAMPAIGNING
//! <ms> LEADER <epoch> <ttl ms> <leader key>
//! <ms> WRITE ACCEPTED <epoch> | WRITE REJECTED | WRITE ERROR <message>
//! <ms> LOST <reason>
//! ```
//!
//! Logs go to stderr (`RUST_LOG`).

use clap::Parser;
use mmo_cluster::etcd::{EtcdConfig, EtcdRegistry};
use mmo_coordinator::election::{Election, ElectionConfig, ElectionError};
use mmo_world::{CellId, ZoneId};
use std::io::Write;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(about = "Joins the coordinator election and probes the leader-guarded write")]
struct Config {
    /// etcd client URL.
    #[arg(long, env = "MMO_ETCD", default_value = "http://127.0.0.1:2379")]
    etcd: String,
    /// The world (key prefix `/mmo/<world>/`).
    #[arg(long, env = "MMO_WORLD", default_value = "dev")]
    world: String,
    /// This candidate's name.
    #[arg(long, env = "MMO_CANDIDATE")]
    name: String,
    /// Lease TTL in seconds.
    #[arg(long, env = "MMO_LEADER_TTL_SECS", default_value_t = 2)]
    ttl_secs: u64,
    /// The cell written as leader, `x.y`.
    #[arg(long, env = "MMO_CELL", default_value = "0.0", value_parser = parse_cell)]
    cell: CellId,
    /// The zone written as the cell's owner (marks whose write it is).
    #[arg(long, env = "MMO_ZONE")]
    zone: u32,
    /// How often the leader writes, in milliseconds.
    #[arg(long, env = "MMO_WRITE_EVERY_MS", default_value_t = 100)]
    write_every_ms: u64,
}

fn parse_cell(text: &str) -> Result<CellId, String> {
    let (x, y) = text.split_once('.').ok_or("expected x.y")?;
    Ok(CellId::new(x.parse().map_err(|e| format!("{e}"))?, y.parse().map_err(|e| format!("{e}"))?))
}

fn say(line: &str) {
    let ms = mmo_world::unix_ms();
    let mut out = std::io::stdout().lock();
    // The reader may be gone (the test ended): nothing to do about it.
    let _ = writeln!(out, "{ms} {line}");
    let _ = out.flush();
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    mmo_cluster::cli::init_logging("warn");
    let config = Config::parse();
    let (registry, _follower) =
        EtcdRegistry::connect(EtcdConfig::new([config.etcd.as_str()], config.world.as_str())).await?;
    let election = Election::new(
        registry,
        ElectionConfig { candidate: config.name.clone(), ttl: Duration::from_secs(config.ttl_secs) },
    );
    say("CAMPAIGNING");
    let leadership = election.campaign().await?;
    say(&format!("LEADER {} {} {}", leadership.epoch().0, leadership.ttl().as_millis(), leadership.guard().key));

    let writes = async {
        let mut every = tokio::time::interval(Duration::from_millis(config.write_every_ms));
        loop {
            every.tick().await;
            match election.assign_as_leader(&leadership, config.cell, ZoneId(config.zone)).await {
                Ok(epoch) => say(&format!("WRITE ACCEPTED {}", epoch.0)),
                Err(ElectionError::NotLeader) => say("WRITE REJECTED"),
                Err(error) => say(&format!("WRITE ERROR {error}")),
            }
        }
    };
    let hold = async {
        let lost = election.hold(&leadership).await;
        say(&format!("LOST {lost}"));
        std::future::pending::<()>().await
    };
    tokio::join!(writes, hold);
    Ok(())
}
