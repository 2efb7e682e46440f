//! Two `mmo-coordinator run` replicas against a real etcd: one leads; when a zone's lease
//! expires, the leader gives its cells to the surviving zone through leader-guarded writes
//! and logs why; the standby refuses operators' moves and names the leader; the CLI reads the
//! API; after the leader is killed, the standby leads and serves moves.

mod support;

use mmo_cluster::{CertHash, Event, EventKind, LoadReport, MoveReason, Registry, ZoneInfo};
use mmo_test_services::wait::wait_until;
use mmo_world::{WorldGeometry, ZoneId};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_mmo-coordinator");
const WORLD: &str = "binary";

/// A replica as a child process; killed when dropped.
struct Replica {
    child: Child,
    api: String,
}

impl Replica {
    fn start(endpoint: &str, name: &str) -> Replica {
        Replica::start_with(endpoint, WORLD, name, &[])
    }

    fn start_with(endpoint: &str, world: &str, name: &str, extra: &[(&str, &str)]) -> Replica {
        let mut child = Command::new(BIN)
            .args(["run", "--etcd", endpoint, "--world", world, "--candidate", name, "--http", "127.0.0.1:0"])
            .args(["--period-ms", "200", "--leader-ttl-secs", "2"])
            .envs(extra.iter().copied())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("mmo-coordinator starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let api = line
            .strip_prefix("ready: ")
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("a ready line, got {line:?}"))
            .trim_end_matches('/')
            .to_string();
        Replica { child, api }
    }

    /// Runs a CLI subcommand against this replica's API.
    fn cli(&self, args: &[&str]) -> Output {
        self.cli_with(args, &[])
    }

    fn cli_with(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        Command::new(BIN)
            .args(args)
            .args(["--api", &self.api])
            .env_remove("MMO_API_TOKEN")
            .envs(env.iter().copied())
            .output()
            .expect("the CLI runs")
    }

    fn state(&self) -> Value {
        let out = self.cli(&["state"]);
        assert!(out.status.success(), "state: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).expect("state prints JSON")
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_lead_recover_a_dead_zones_cells_and_answer_operators() {
    let etcd = support::etcd();
    let registry = support::registry(etcd.endpoint(), WORLD).await;
    let zone =
        |id: u32| ZoneInfo { id: ZoneId(id), address: format!("z{id}"), cert_hash: CertHash::default(), capacity: 100 };
    let survivor = registry.register_zone(zone(1), Duration::from_secs(2)).await.unwrap();
    // Zone 2 never refreshes its lease: it dies 2 s after registering.
    registry.register_zone(zone(2), Duration::from_secs(2)).await.unwrap();
    let survivor_lease = survivor.clone();
    let keep = tokio::spawn({
        let registry = registry.clone();
        async move { registry.keep_alive(&survivor).await }
    });
    let geometry = WorldGeometry { width_cells: 4, height_cells: 2, cell_tiles: 128 };
    mmo_coordinator::assign_world(&registry, &geometry, &[ZoneId(1), ZoneId(2)]).await.unwrap();

    let a = Replica::start(etcd.endpoint(), "a");
    let b = Replica::start(etcd.endpoint(), "b");
    wait_until("a leader", Duration::from_secs(10), || async { a.state()["leader"]["name"].is_string() }).await;
    let (leader, standby) = if a.state()["leading"] == true { (a, b) } else { (b, a) };
    let leader_name = leader.state()["leader"]["name"].as_str().unwrap().to_string();
    wait_until("the standby knows the leader", Duration::from_secs(5), || async {
        standby.state()["leader"]["name"].as_str() == Some(leader_name.as_str())
    })
    .await;
    let state = leader.state();
    assert_eq!(state["cells"].as_array().unwrap().len(), 8);
    assert_eq!(state["zones"].as_array().unwrap().len(), 2);

    // Zone 2's lease expired: its cells go to zone 1.
    wait_until("zone 2's cells recovered", Duration::from_secs(10), || async {
        registry.assignments().values().all(|a| a.zone == ZoneId(1))
    })
    .await;
    // The log is written after each move (a separate write): the last entry may trail the table.
    let recovered = |events: &[Event]| {
        events
            .iter()
            .filter(|e| matches!(&e.kind, EventKind::CellMoved { reason: MoveReason::ZoneDead, to: ZoneId(1), .. }))
            .count()
    };
    wait_until("the log shows the four recoveries", Duration::from_secs(10), || async {
        recovered(&registry.events(100).await.unwrap()) >= 4
    })
    .await;
    let events = registry.events(100).await.unwrap();
    assert!(events.iter().any(|e| e.kind == EventKind::ZoneDied { zone: ZoneId(2) }), "{events:?}");
    assert_eq!(recovered(&events), 4, "each of zone 2's cells recovered once: {events:?}");

    // The standby refuses moves and names the leader; bad input names its field.
    let out = standby.cli(&["move-cell", "--cell", "0.0", "--zone", "1"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not_leader") && err.contains(&leader_name), "{err}");
    let out = leader.cli(&["move-cell", "--cell", "9.9", "--zone", "1"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains(r#""field":"cell""#));
    let out = leader.cli(&["events", "--limit", "5"]);
    assert!(out.status.success());
    assert_eq!(serde_json::from_slice::<Value>(&out.stdout).unwrap().as_array().unwrap().len(), 5);

    // The leader dies: the standby leads and writes. A new zone (reporting the cells it owns,
    // as a zone does) takes a share; an operator moves one more to it; drained, it gives all back.
    drop(leader);
    wait_until("the standby leads", Duration::from_secs(10), || async { standby.state()["leading"] == true }).await;
    let zone3 = registry.register_zone(zone(3), Duration::from_secs(30)).await.unwrap();
    let reporters = [
        report_owned_cells(&registry, survivor_lease.clone(), ZoneId(1)),
        report_owned_cells(&registry, zone3.clone(), ZoneId(3)),
    ];
    // It fills up to its fair share (8 cells / 2 zones) over several periods; a cell picked
    // while it is still filling could move to it before the operator's command arrives.
    wait_until("the new zone holds its fair share", Duration::from_secs(10), || async {
        registry.assignments().values().filter(|a| a.zone == ZoneId(3)).count() == 4
    })
    .await;
    let cell = *registry.assignments().iter().find(|(_, a)| a.zone == ZoneId(1)).unwrap().0;
    let out = standby.cli(&["move-cell", "--cell", &format!("{}.{}", cell.x, cell.y), "--zone", "3"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(registry.assignments()[&cell].zone, ZoneId(3));
    let out = standby.cli(&["drain", "--zone", "3"]);
    assert!(out.status.success());
    wait_until("zone 3 drained", Duration::from_secs(20), || async {
        registry.assignments().values().all(|a| a.zone == ZoneId(1))
    })
    .await;
    let events = registry.events(100).await.unwrap();
    assert!(events.iter().any(|e| matches!(&e.kind, EventKind::CellMoved { reason: MoveReason::NewZone, .. })));
    assert!(events.iter().any(|e| matches!(&e.kind, EventKind::CellMoved { reason: MoveReason::Drain, .. })));
    reporters.iter().for_each(|r| r.abort());
    registry.revoke(&zone3).await.unwrap();
    keep.abort();
}

/// With `MMO_API_TOKEN` set, moves and drains need the token (the CLI takes it from the same
/// variable); reads stay open; a short token is refused at start, naming the flag.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_token_guards_moves_and_drains() {
    const TOKEN: &str = "s3cret-operator-token";
    let etcd = support::etcd();
    let registry = support::registry(etcd.endpoint(), "guarded").await;
    let zone = ZoneInfo { id: ZoneId(1), address: "z1".into(), cert_hash: CertHash::default(), capacity: 100 };
    let lease = registry.register_zone(zone, Duration::from_secs(30)).await.unwrap();
    let geometry = WorldGeometry { width_cells: 2, height_cells: 1, cell_tiles: 128 };
    mmo_coordinator::assign_world(&registry, &geometry, &[ZoneId(1)]).await.unwrap();
    let replica =
        Replica::start_with(etcd.endpoint(), "guarded", "a", &[("MMO_API_TOKEN", TOKEN), ("MMO_WORLD_SIZE", "2x1")]);
    wait_until("it leads", Duration::from_secs(10), || async { replica.state()["leading"] == true }).await;

    let refused = replica.cli(&["drain", "--zone", "1"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("unauthorized"), "{refused:?}");
    let wrong = replica.cli_with(&["drain", "--zone", "1"], &[("MMO_API_TOKEN", "not-the-operator-token")]);
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("unauthorized"), "{wrong:?}");
    assert!(registry.draining().await.unwrap().is_empty(), "nothing changed without the token");

    let done = replica.cli_with(&["drain", "--zone", "1"], &[("MMO_API_TOKEN", TOKEN)]);
    assert!(done.status.success(), "{}", String::from_utf8_lossy(&done.stderr));
    assert!(registry.draining().await.unwrap().contains(&ZoneId(1)));
    let out = replica.cli_with(&["drain", "--zone", "1", "--undo"], &[("MMO_API_TOKEN", TOKEN)]);
    assert!(out.status.success());

    let short = Command::new(BIN)
        .args(["run", "--etcd", etcd.endpoint(), "--candidate", "b", "--api-token", "short"])
        .output()
        .unwrap();
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("--api-token"), "{short:?}");
    registry.revoke(&lease).await.unwrap();
}

/// Reports the cells `zone` owns every 100 ms, one entity each, as a running zone does; a
/// migration counts as done when its receiver reports the cell.
fn report_owned_cells<R: Registry + Clone + 'static>(
    registry: &R,
    lease: mmo_cluster::Lease,
    zone: ZoneId,
) -> tokio::task::JoinHandle<()> {
    let registry = registry.clone();
    tokio::spawn(async move {
        loop {
            let cells = registry.assignments().iter().filter(|(_, a)| a.zone == zone).map(|(c, _)| (*c, 1)).collect();
            let report = LoadReport {
                at_unix_ms: mmo_world::unix_ms(),
                budget_ms: 50.0,
                entities_per_cell: cells,
                ..LoadReport::default()
            };
            registry.report_load(&lease, report).await.unwrap();
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
}
