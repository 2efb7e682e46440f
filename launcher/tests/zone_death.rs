//! Zone death in the multi-process cluster: `kill -9` a zone server while players play in its
//! cells; its cells are owned again within the lease TTL plus one second, and the players keep
//! their gateway sessions and get snapshots again (same entity). Prints the re-ownership time.
//!
//! Needs the service binaries next to the test's target directory (`cargo build --bins`; CI's
//! `cargo build --workspace --all-targets` does it) or in `$MMO_BIN_DIR`, and etcd
//! (Debian `etcd-server`).

use mmo_launcher::{Cluster, ClusterConfig, Role};
use mmo_loadtest::client::{http_get, Client, Event};
use mmo_protocol::{ClientControl, InputFrame, ServerControl, PROTOCOL_VERSION};
use mmo_world::{CellId, EntityId, Tick, WorldGeometry};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio::sync::watch;

const PLAYERS: usize = 3;
const LEASE_TTL: u64 = 2;
const POLICY_PERIOD_MS: u64 = 250;
/// Bound on waiting for things that should happen within seconds (a hang must not stall CI).
const PATIENCE: Duration = Duration::from_secs(60);

fn bin_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("MMO_BIN_DIR") {
        return dir.into();
    }
    // target/<profile>/deps/<test> -> target/<profile>
    let exe = std::env::current_exe().expect("test executable");
    exe.parent().and_then(|d| d.parent()).expect("target directory").to_path_buf()
}

/// The coordinator's view: cell -> owning zone, and migrations in flight.
async fn owners(base: &url::Url) -> (BTreeMap<CellId, u32>, usize) {
    let text = http_get(base, "/api/state").await.expect("coordinator state");
    let state: serde_json::Value = serde_json::from_str(&text).expect("JSON state");
    let cells = state["cells"]
        .as_array()
        .expect("cells")
        .iter()
        .map(|c| {
            let cell = CellId::new(c["x"].as_u64().unwrap() as u16, c["y"].as_u64().unwrap() as u16);
            (cell, c["zone"].as_u64().unwrap_or(0) as u32)
        })
        .collect();
    (cells, state["migrations"].as_array().map_or(0, Vec::len))
}

/// The last snapshot a client got: when, its tick, its own entity; `None` once closed.
type Seen = watch::Receiver<Option<(Instant, Tick, EntityId)>>;

async fn play(ws: String, name: String) -> (EntityId, Seen, tokio::task::JoinHandle<Option<u32>>) {
    let mut client = Client::websocket(&ws).await.expect("websocket");
    client.send_control(&ClientControl::Hello { version: PROTOCOL_VERSION }).await.unwrap();
    client.send_control(&ClientControl::Login { name, password: None }).await.unwrap();
    let (tx, rx) = watch::channel(None);
    let entity = loop {
        match client.recv().await.unwrap() {
            Event::Control(ServerControl::Joined { entity, .. }) => break entity,
            Event::Control(ServerControl::Error { code }) => panic!("login refused: {code:?}"),
            Event::Closed(code) => panic!("closed before joining: {code:?}"),
            _ => {}
        }
    };
    let task = tokio::spawn(async move {
        let mut seq = 0;
        loop {
            match client.recv().await {
                Ok(Event::Snapshot(s)) => {
                    let _ = tx.send(Some((Instant::now(), s.tick, s.you.entity)));
                    seq += 1;
                    let input = InputFrame { seq, ack: Some(s.tick), buttons: vec![0] };
                    if client.send_input(input).await.is_err() {
                        return None;
                    }
                }
                Ok(Event::Closed(code)) => return code.or(Some(0)),
                Ok(Event::Control(_)) => {}
                Err(_) => return Some(u32::MAX),
            }
        }
    });
    (entity, rx, task)
}

async fn within<T>(what: &str, f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(PATIENCE, f).await.unwrap_or_else(|_| panic!("{what}: nothing within {PATIENCE:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_zones_cells_are_owned_again_and_its_players_keep_playing() {
    // The policy runs every 250 ms (default 1 s): a dead zone is noticed within that of its
    // lease expiring.
    let config = ClusterConfig {
        lease_ttl: LEASE_TTL,
        coordinator_args: vec![format!("--period-ms={POLICY_PERIOD_MS}")],
        ..ClusterConfig::new(bin_dir())
    };
    let mut cluster = Cluster::up(&config).await.expect("cluster up");
    let dashboard = cluster.dashboard_url().unwrap();
    let coordinator = url::Url::parse(dashboard.trim_end_matches("dashboard")).unwrap();
    let gateway = url::Url::parse(&cluster.play_url().unwrap()).unwrap();
    let ws = format!("ws://{}:{}/ws", gateway.host_str().unwrap(), gateway.port().unwrap());

    // Wait for the coordinator to spread the cells over the four zones.
    within("cells spread over every zone", async {
        loop {
            let (cells, migrating) = owners(&coordinator).await;
            let zones: std::collections::BTreeSet<u32> = cells.values().copied().collect();
            if migrating == 0 && zones.len() == 4 && cells.len() == 8 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;

    let mut players = Vec::new();
    for n in 0..PLAYERS {
        players.push(play(ws.clone(), format!("player{n}")).await);
    }
    // Every player sees snapshots; the victim is the zone of the first player's cell.
    let geometry = WorldGeometry::default();
    for (entity, seen, _) in &mut players {
        let got = within("a first snapshot", seen.wait_for(|s| s.is_some())).await.unwrap().unwrap();
        assert_eq!(got.2, *entity);
    }
    let (cells, _) = owners(&coordinator).await;
    // The players stand where they joined: the gateway's start cell, the middle of the world.
    let start_cell = {
        let terrain = mmo_world::Terrain::new(42, geometry);
        geometry.cell_of_pos(terrain.spawn_point(geometry.width_tiles() / 2))
    };
    let victim = cells[&start_cell];
    let victim_cells: Vec<CellId> = cells.iter().filter(|(_, z)| **z == victim).map(|(c, _)| *c).collect();

    let killed_at = Instant::now();
    cluster.kill(&Role::Zone(victim)).await.unwrap();
    let reowned = within("the dead zone's cells owned again", async {
        loop {
            let (cells, _) = owners(&coordinator).await;
            if victim_cells.iter().all(|c| cells.get(c).is_some_and(|z| *z != victim && *z != 0)) {
                return killed_at.elapsed();
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;

    // Every player gets snapshots of its own entity again, on the same session.
    let mut resumed = Vec::new();
    for (entity, seen, task) in &mut players {
        let after = within("snapshots again", seen.wait_for(|s| s.is_some_and(|(at, _, _)| at > killed_at + reowned)))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(after.2, *entity, "same entity after the zone died");
        assert!(!task.is_finished(), "the session stayed open");
        resumed.push(after.0 - killed_at);
    }
    eprintln!(
        "zone {victim} killed: its {} cells owned again after {} ms (lease TTL {LEASE_TTL} s, policy period {POLICY_PERIOD_MS} ms); players' snapshots resumed after {:?} ms",
        victim_cells.len(),
        reowned.as_millis(),
        resumed.iter().map(|d| d.as_millis()).collect::<Vec<_>>()
    );
    assert!(
        reowned <= Duration::from_secs(LEASE_TTL + 1),
        "re-owned after {reowned:?}, more than the lease TTL plus one second"
    );
    for (_, _, task) in players {
        task.abort();
    }
    cluster.stop().await;
}
