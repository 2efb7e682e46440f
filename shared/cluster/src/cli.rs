//! Command-line flags the services share (clap), each also read from an `MMO_*` environment
//! variable: where etcd is, the world's name (`--world`), its size (`--world-size`), cell size,
//! seed and tick clock, and the lease's time to live. All services of one world must be started
//! with the same world flags.

use crate::etcd::EtcdConfig;
use mmo_world::{TickClock, WorldGeometry};
use std::time::Duration;

/// Unix milliseconds of tick 0 for every service (the local world's value).
pub const CLOCK_EPOCH_MS: u64 = 1_767_225_600_000;

/// Where the registry is, and which world.
#[derive(Clone, Debug, clap::Args)]
pub struct RegistryArgs {
    /// etcd client URLs, comma-separated.
    #[arg(long, env = "MMO_ETCD", value_delimiter = ',', default_value = "http://127.0.0.1:2379")]
    pub etcd: Vec<String>,
    /// The world's name (its keys live under /mmo/<world>/).
    #[arg(long, env = "MMO_WORLD", default_value = "dev")]
    pub world: String,
    /// Time to live of this service's registry lease, in seconds (etcd's minimum is 2).
    #[arg(long, env = "MMO_LEASE_TTL", default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=60))]
    pub lease_ttl: u64,
}

impl RegistryArgs {
    pub fn etcd_config(&self) -> EtcdConfig {
        EtcdConfig::new(self.etcd.clone(), self.world.clone())
    }

    pub fn lease_ttl(&self) -> Duration {
        Duration::from_secs(self.lease_ttl)
    }
}

/// The world every service of a cluster simulates or shows.
#[derive(Clone, Debug, clap::Args)]
pub struct WorldArgs {
    /// World size in cells, as WIDTHxHEIGHT (1 to 256 each).
    #[arg(long = "world-size", env = "MMO_WORLD_SIZE", default_value = "4x2", value_parser = parse_world_size)]
    pub cells: (u16, u16),
    /// Cell size in tiles.
    #[arg(long, env = "MMO_CELL_TILES", default_value_t = WorldGeometry::default().cell_tiles, value_parser = clap::value_parser!(u16).range(32..=1024))]
    pub cell_tiles: u16,
    /// World seed: the same seed gives the same terrain.
    #[arg(long, env = "MMO_SEED", default_value_t = 42)]
    pub seed: u64,
    /// Simulation tick length in milliseconds (50 = 20 Hz).
    #[arg(long, env = "MMO_TICK_MS", default_value_t = TickClock::DEFAULT_TICK_MS, value_parser = clap::value_parser!(u32).range(10..=1000))]
    pub tick_ms: u32,
}

impl WorldArgs {
    pub fn geometry(&self) -> WorldGeometry {
        WorldGeometry { width_cells: self.cells.0, height_cells: self.cells.1, cell_tiles: self.cell_tiles }
    }

    pub fn clock(&self) -> TickClock {
        TickClock { epoch_ms: CLOCK_EPOCH_MS, tick_ms: self.tick_ms }
    }
}

/// Parses a `--world-size` value: `WIDTHxHEIGHT` in cells, each 1 to 256.
pub fn parse_world_size(s: &str) -> Result<(u16, u16), String> {
    let (w, h) = s.split_once('x').ok_or_else(|| format!("expected WIDTHxHEIGHT like 4x2, got {s:?}"))?;
    let parse = |v: &str| v.parse::<u16>().ok().filter(|n| (1..=256).contains(n));
    match (parse(w), parse(h)) {
        (Some(w), Some(h)) => Ok((w, h)),
        _ => Err(format!("width and height must be 1 to 256 cells, got {s:?}")),
    }
}

/// Parses an address others dial: `HOST:PORT` (a name or an IP; IPv6 in brackets), port 1 to
/// 65535.
pub fn parse_host_port(s: &str) -> Result<String, String> {
    let (host, port) = s.rsplit_once(':').ok_or_else(|| format!("expected HOST:PORT, got {s:?}"))?;
    let port_ok = port.parse::<u16>().is_ok_and(|p| p > 0);
    if host.is_empty() || !port_ok || host.contains(char::is_whitespace) {
        return Err(format!("expected HOST:PORT with a port from 1 to 65535, got {s:?}"));
    }
    Ok(s.to_string())
}

/// Where players' records and accounts live, and the key that signs session tokens. Every
/// gateway and zone of one world must name the same durable store (e.g. one Redis) and
/// gateways the same token key, or players lose what they saved and their tokens.
#[derive(Clone, Debug, clap::Args)]
pub struct StoreArgs {
    /// The durable store of accounts and player records: `redis://HOST:PORT`,
    /// `scylla://HOST:PORT/KEYSPACE` (feature `scylla`), `redb:PATH` (one process only) or
    /// `memory` (this process only, lost on exit).
    #[arg(long, env = "MMO_DURABLE", default_value = "memory", value_parser = parse_store)]
    pub durable: mmo_store::StoreSpec,
    /// Hot state (cell checkpoints for failover, online sessions): `durable` (beside the
    /// durable store: its Redis, its redb file, or memory), `redis://HOST:PORT` or `memory`.
    /// Every zone of one world must name the same one.
    #[arg(long, env = "MMO_HOT", default_value = "durable", value_parser = parse_hot)]
    pub hot: mmo_store::HotSpec,
    /// Secret that signs session tokens (at least 32 bytes); a random one per process by default.
    #[arg(long, env = "MMO_TOKEN_KEY", value_parser = parse_token_key, hide_env_values = true)]
    pub token_key: Option<mmo_store::token::TokenKey>,
    /// How long a session token stays valid, in seconds.
    #[arg(long, env = "MMO_TOKEN_TTL_SECS", default_value_t = 900, value_parser = clap::value_parser!(u64).range(10..=86_400))]
    pub token_ttl_secs: u64,
}

/// Parses a `--durable` value.
pub fn parse_store(s: &str) -> Result<mmo_store::StoreSpec, String> {
    mmo_store::StoreSpec::parse(s).map_err(|e| e.to_string())
}

/// Parses a `--hot` value.
pub fn parse_hot(s: &str) -> Result<mmo_store::HotSpec, String> {
    mmo_store::HotSpec::parse(s).map_err(|e| e.to_string())
}

/// Parses a `--token-key` value.
pub fn parse_token_key(s: &str) -> Result<mmo_store::token::TokenKey, String> {
    mmo_store::token::TokenKey::new(s.as_bytes().to_vec()).map_err(|e| e.to_string())
}

/// The placeholder in an advertised address that [`with_ordinal`] replaces by the ordinal.
pub const ORDINAL_PLACEHOLDER: &str = "{ordinal}";

/// Why a service's id could not be made from its flags.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdError {
    #[error("give either {id_flag} or {ordinal_flag}, not both")]
    Both { id_flag: &'static str, ordinal_flag: &'static str },
    #[error("one of {id_flag} or {ordinal_flag} is required")]
    Neither { id_flag: &'static str, ordinal_flag: &'static str },
    #[error("{id_flag} must be greater than 0")]
    ZeroId { id_flag: &'static str },
    #[error("{ordinal_flag} {ordinal} is too large (the id is ordinal + 1)")]
    OrdinalTooLarge { ordinal_flag: &'static str, ordinal: u32 },
    #[error("{flag} contains {ORDINAL_PLACEHOLDER} but {ordinal_flag} was not given")]
    NoOrdinal { flag: &'static str, ordinal_flag: &'static str },
}

/// The flag names behind a service's id: `--id` and `--ordinal` (each binary has its own
/// environment variables), named in errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IdFlags {
    pub id: &'static str,
    pub ordinal: &'static str,
}

impl IdFlags {
    /// `--id` / `--ordinal`.
    pub const DEFAULT: IdFlags = IdFlags { id: "--id", ordinal: "--ordinal" };
}

/// A service's id from `--id N` or `--ordinal N` (a Kubernetes StatefulSet pod's index, from 0:
/// the id is N + 1, as ids start at 1). Exactly one must be given (binaries also say so with a
/// clap `ArgGroup`, so `--help` shows it).
pub fn id_from(id: Option<u32>, ordinal: Option<u32>) -> Result<u32, IdError> {
    let IdFlags { id: id_flag, ordinal: ordinal_flag } = IdFlags::DEFAULT;
    match (id, ordinal) {
        (Some(_), Some(_)) => Err(IdError::Both { id_flag, ordinal_flag }),
        (None, None) => Err(IdError::Neither { id_flag, ordinal_flag }),
        (Some(0), None) => Err(IdError::ZeroId { id_flag }),
        (Some(id), None) => Ok(id),
        (None, Some(ordinal)) => ordinal.checked_add(1).ok_or(IdError::OrdinalTooLarge { ordinal_flag, ordinal }),
    }
}

/// `template` (the value of `flag`) with every `{ordinal}` replaced by `ordinal`: one pod
/// template advertises a different address per StatefulSet pod. A template with the
/// placeholder and no ordinal is an error naming `flag`.
pub fn with_ordinal(flag: &'static str, template: &str, ordinal: Option<u32>) -> Result<String, IdError> {
    match ordinal {
        Some(n) => Ok(template.replace(ORDINAL_PLACEHOLDER, &n.to_string())),
        None if template.contains(ORDINAL_PLACEHOLDER) => {
            Err(IdError::NoOrdinal { flag, ordinal_flag: IdFlags::DEFAULT.ordinal })
        }
        None => Ok(template.to_string()),
    }
}

/// Resolves when the process is asked to stop: Ctrl-C (SIGINT) or SIGTERM (what `kill`,
/// systemd and container runtimes send). Every service binary stops cleanly on either.
pub async fn stop_requested() {
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut term) => tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        },
        Err(error) => {
            tracing::warn!(%error, "cannot watch for SIGTERM; only Ctrl-C stops this process");
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// Buckets of every histogram in seconds (the default).
const SECONDS_BUCKETS: [f64; 11] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0];
/// Buckets of the histograms in bytes (names ending in `_bytes`).
const BYTES_BUCKETS: [f64; 10] = [64.0, 128.0, 256.0, 512.0, 1024.0, 1500.0, 4096.0, 16_384.0, 65_536.0, 262_144.0];
/// Buckets of the histograms in ticks (names ending in `_ticks`).
const TICKS_BUCKETS: [f64; 8] = [0.0, 1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 50.0];

/// How often histogram samples are folded into their buckets when nobody reads `/metrics`.
const METRICS_UPKEEP: std::time::Duration = std::time::Duration::from_secs(5);

/// Installs the process's Prometheus recorder, with the same histogram buckets in every
/// service: seconds by default, bytes for `*_bytes`, ticks for `*_ticks`. Call it inside a
/// Tokio runtime: it starts the upkeep task that folds histogram samples into buckets every
/// few seconds (without it they pile up in memory until `/metrics` is read: one sample for
/// every snapshot a gateway sends).
pub fn install_metrics(
) -> Result<metrics_exporter_prometheus::PrometheusHandle, metrics_exporter_prometheus::BuildError> {
    use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};
    let handle = PrometheusBuilder::new()
        .set_buckets(&SECONDS_BUCKETS)?
        .set_buckets_for_metric(Matcher::Suffix("_bytes".into()), &BYTES_BUCKETS)?
        .set_buckets_for_metric(Matcher::Suffix("_ticks".into()), &TICKS_BUCKETS)?
        .install_recorder()?;
    let upkeep = handle.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(METRICS_UPKEEP);
        loop {
            every.tick().await;
            upkeep.run_upkeep();
        }
    });
    Ok(handle)
}

/// Logs to stderr with `RUST_LOG`'s filter, or `default` (e.g. `"info"`) when it is not set:
/// the same for every service binary.
pub fn init_logging(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    // Colours only on a terminal: a log file (the launcher's, a container's) gets plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi).init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_is_the_id_flag_or_the_ordinal_plus_one() {
        assert_eq!(id_from(Some(7), None), Ok(7));
        assert_eq!(id_from(None, Some(0)), Ok(1));
        assert_eq!(id_from(None, Some(4)), Ok(5));
        for bad in
            [id_from(Some(1), Some(0)), id_from(None, None), id_from(Some(0), None), id_from(None, Some(u32::MAX))]
        {
            let text = bad.expect_err("refused").to_string();
            assert!(text.contains("--id") || text.contains("--ordinal"), "{text:?} names no flag");
        }
    }

    #[test]
    fn the_ordinal_fills_in_advertised_addresses() {
        let url = "https://gw-{ordinal}.play.example.com";
        assert_eq!(with_ordinal("--public-url", url, Some(2)).unwrap(), "https://gw-2.play.example.com");
        assert_eq!(with_ordinal("--public-url", "https://play.example.com", None).unwrap(), "https://play.example.com");
        let error = with_ordinal("--public-url", url, None).unwrap_err().to_string();
        assert!(error.contains("--public-url") && error.contains("--ordinal"), "{error}");
    }

    #[test]
    fn a_world_size_is_two_numbers_of_cells_from_1_to_256() {
        assert_eq!(parse_world_size("4x2"), Ok((4, 2)));
        assert_eq!(parse_world_size("256x1"), Ok((256, 1)));
        for bad in ["4", "0x2", "4x257", "ax2", "4x", "-1x2"] {
            assert!(parse_world_size(bad).is_err(), "{bad:?} accepted");
        }
    }
}
