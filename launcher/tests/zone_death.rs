//! Zone death in the multi-process cluster: `kill -9` a zone server while players play in its
//! cells, one of them walking back and forth across its border with another zone, one handing
//! an item to another and one dropping an item at the moment of the kill, and another item
//! lying on its ground. Then:
//! - its cells are owned again within the lease TTL plus one second;
//! - the players keep their gateway sessions and entity ids and get snapshots again; through
//!   a long outage their gateway says `Stalled` (so a client does not take it for dead);
//! - every player's state is at most the loss window older than at the kill (the inputs the
//!   kill lost, counted by input sequence numbers);
//! - the multiset of item serials in the world (inventories and ground, as the zones report
//!   them) is the same as before the kill: none lost, none twice.
//!
//! Prints the re-ownership time, each player's movement loss and the item count.
//!
//! Needs the service binaries next to the test's target directory (`cargo build --bins`; CI's
//! `cargo build --workspace --all-targets` does it) or in `$MMO_BIN_DIR`, etcd (Debian
//! `etcd-server`) and Redis (`redis-server`): the cluster's durable store and hot state.

use mmo_cluster::etcd::{EtcdConfig, EtcdRegistry};
use mmo_cluster::net::LinkIdentity;
use mmo_cluster::{CertHash, GatewayInfo, Registry, ZoneHandle};
use mmo_launcher::{Cluster, ClusterConfig, Role};
use mmo_loadtest::client::{http_get, Event, Trust};
use mmo_protocol::{ClientControl, InputFrame, OwnState};
use mmo_world::physics::SUB;
use mmo_world::{Buttons, CellId, EntityId, GatewayId, ItemSerial, Tick, WorldGeometry, ZoneId};
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, watch};

mod support;

use support::{bin_dir, login, websocket_url, within};

const LEASE_TTL: u64 = 2;
const POLICY_PERIOD_MS: u64 = 250;
/// The stated loss window: a player's restored state misses at most this many ticks of its
/// inputs (1 s at 20 Hz). The gateway restores from the last frame it saw, a tick or two old.
const LOSS_WINDOW_TICKS: u32 = 20;
const TICK_MS: u32 = 50;

/// The coordinator's view: cell -> owning zone, and migrations in flight.
async fn owners(base: &url::Url) -> (BTreeMap<CellId, u32>, usize) {
    let text = http_get(base, "/api/state", &Trust::default()).await.expect("coordinator state");
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

/// A minimal HTTP/1.1 POST of a JSON body; the status line and body.
async fn http_post(base: &url::Url, path: &str, body: &str) -> (String, String) {
    let (host, port) = (base.host_str().unwrap(), base.port().unwrap());
    let mut stream = tokio::net::TcpStream::connect((host, port)).await.expect("connect");
    let req = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut resp = String::new();
    stream.read_to_string(&mut resp).await.unwrap();
    let (head, body) = resp.split_once("\r\n\r\n").unwrap_or((&resp, ""));
    (head.lines().next().unwrap_or_default().to_owned(), body.to_owned())
}

/// What a player's client last saw.
#[derive(Clone, Debug)]
struct Seen {
    at: Instant,
    you: OwnState,
    /// The sequence number of the last input sent.
    sent: u32,
}

/// What the test tells a player's client to do.
#[derive(Debug)]
enum Do {
    Say(String),
    /// Walk back and forth between these two x positions (fixed-point).
    Patrol(i32, i32),
    /// Walk to within a tile of this x position, then stand.
    GoTo(i32),
}

struct Player {
    name: String,
    entity: EntityId,
    seen: watch::Receiver<Option<Seen>>,
    orders: mpsc::Sender<Do>,
    task: tokio::task::JoinHandle<Option<u32>>,
    /// The last snapshot before and the first after the longest pause in its snapshots.
    outage: watch::Receiver<Option<(Seen, Seen)>>,
    /// When the gateway's `Stalled` notices came.
    stalls: std::sync::Arc<std::sync::Mutex<Vec<Instant>>>,
}

/// Outages at least this long get a `Stalled` notice (the gateway sends one after 500 ms
/// without a snapshot; this leaves it room on a busy machine).
const NOTICED_OUTAGE: Duration = Duration::from_secs(2);

/// Snapshots further apart than this are an outage (they come every 50 ms).
const OUTAGE: Duration = Duration::from_millis(500);

/// The buttons that move a player at `x` toward `target` (jumping over bumps), none within a tile.
fn toward(x: i32, target: i32, tick: Tick) -> u8 {
    let jump = if tick.0.is_multiple_of(8) { Buttons::JUMP } else { 0 };
    if x < target - SUB {
        Buttons::RIGHT | jump
    } else if x > target + SUB {
        Buttons::LEFT | jump
    } else {
        0
    }
}

/// Logs `name` in over WebSocket and plays: one input per snapshot, following the test's orders.
async fn play(ws: &str, name: &str) -> Player {
    let (mut client, entity) = login(ws, name).await.unwrap_or_else(|code| panic!("{name}: login refused: {code:?}"));
    let (tx, seen) = watch::channel::<Option<Seen>>(None);
    let (outage_tx, outage) = watch::channel(None);
    let (orders, mut todo) = mpsc::channel(16);
    let stalls = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let noticed = stalls.clone();
    let task = tokio::spawn(async move {
        let (mut seq, mut plan, mut heading_to_b) = (0, None, true);
        loop {
            match client.recv().await {
                Ok(Event::Snapshot(s)) => {
                    while let Ok(order) = todo.try_recv() {
                        match order {
                            Do::Say(text) => {
                                if client.send_control(&ClientControl::Chat { text }).await.is_err() {
                                    return None;
                                }
                            }
                            other => plan = Some(other),
                        }
                    }
                    let x = s.you.body.pos.x;
                    let buttons = match plan {
                        Some(Do::GoTo(target)) => toward(x, target, s.tick),
                        Some(Do::Patrol(a, b)) => {
                            let target = if heading_to_b { b } else { a };
                            if (x - target).abs() <= SUB {
                                heading_to_b = !heading_to_b;
                            }
                            toward(x, target, s.tick)
                        }
                        _ => 0,
                    };
                    seq += 1;
                    let input = InputFrame { seq, ack: client.ack(), buttons: vec![buttons] };
                    if client.send_input(input).await.is_err() {
                        return None;
                    }
                    let now = Seen { at: Instant::now(), you: s.you.clone(), sent: seq };
                    if let Some(last) = tx.borrow().clone() {
                        let longest = outage_tx.borrow().as_ref().map_or(OUTAGE, |(a, b): &(Seen, Seen)| b.at - a.at);
                        if now.at - last.at > longest {
                            let _ = outage_tx.send(Some((last, now.clone())));
                        }
                    }
                    let _ = tx.send(Some(now));
                }
                Ok(Event::Closed(code)) => return code.or(Some(0)),
                Ok(Event::Control(mmo_protocol::ServerControl::Stalled)) => {
                    noticed.lock().unwrap().push(Instant::now())
                }
                Ok(Event::Control(_) | Event::Unrebuilt { .. }) => {}
                Err(_) => return Some(u32::MAX),
            }
        }
    });
    Player { name: name.into(), entity, seen, orders, task, outage, stalls }
}

/// The test's own member of the cluster, to ask zones for their reports over their links:
/// registered like a gateway without sessions, so that zones accept its link certificate.
struct Inspector {
    identity: LinkIdentity,
    links: BTreeMap<ZoneId, ZoneHandle>,
}

impl Inspector {
    async fn register(registry: &EtcdRegistry) -> Self {
        let identity = LinkIdentity::generate().unwrap();
        let info = GatewayInfo {
            id: GatewayId(99),
            address: "zone_death test".into(),
            cert_hash: CertHash::default(),
            link_cert_hash: identity.hash(),
            capacity: 0,
            webtransport_url: String::new(),
            websocket_url: String::new(),
            draining: false,
            run: 1,
        };
        let lease =
            registry.register_gateway(info, Duration::from_secs(LEASE_TTL)).await.expect("registering the inspector");
        let registry = registry.clone();
        tokio::spawn(async move { registry.keep_alive(&lease).await });
        Inspector { identity, links: BTreeMap::new() }
    }
}

/// Every item serial in the world and how many times it is held (inventories of the players
/// simulated, and ground items), asked of every live zone until each player is simulated by
/// exactly one of them (none in a transfer): the zones' reports then describe one state.
async fn world_items(
    registry: &EtcdRegistry,
    inspector: &mut Inspector,
    players: &[EntityId],
) -> BTreeMap<ItemSerial, usize> {
    loop {
        let zones = registry.zones().await.expect("registry zones");
        let mut reports = Vec::new();
        for (id, info) in &zones {
            let identity = &inspector.identity;
            let link = inspector.links.entry(*id).or_insert_with(|| {
                let (handle, driver) = mmo_cluster::net::connect(info, identity).expect("link");
                tokio::spawn(driver);
                handle
            });
            if let Ok(Ok(report)) = tokio::time::timeout(Duration::from_secs(2), link.inspect()).await {
                reports.push(report);
            }
        }
        let simulated: Vec<EntityId> =
            reports.iter().flat_map(|r| r.entities.iter().filter(|e| !e.frozen && e.is_player)).map(|e| e.id).collect();
        let settled =
            reports.len() == zones.len() && players.iter().all(|p| simulated.iter().filter(|id| *id == p).count() == 1);
        if settled {
            let mut items = BTreeMap::new();
            let held = reports.iter().flat_map(|r| r.entities.iter().filter(|e| !e.frozen)).flat_map(|e| &e.items);
            for item in held.chain(reports.iter().flat_map(|r| &r.ground_items)) {
                *items.entry(item.serial).or_insert(0) += 1;
            }
            return items;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_zones_cells_come_back_with_its_players_and_items() {
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
    let ws = websocket_url(&cluster.play_url().unwrap());
    let (registry, _follower) =
        EtcdRegistry::connect(EtcdConfig::new([cluster.etcd_endpoint()], config.world.clone())).await.unwrap();

    let settled = |want_zones: usize| {
        let coordinator = coordinator.clone();
        async move {
            loop {
                let (cells, migrating) = owners(&coordinator).await;
                let zones: BTreeSet<u32> = cells.values().copied().collect();
                if migrating == 0 && zones.len() == want_zones && cells.len() == 8 && !zones.contains(&0) {
                    return cells;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    let cells = within("cells spread over every zone", settled(4)).await;

    // Players join in the gateway's start cell, in the middle of the world; the victim is its
    // owner. The cell across the middle border goes to another zone, for the walker to cross.
    let geometry = WorldGeometry::default();
    let terrain = mmo_world::Terrain::new(42, geometry);
    let start_cell = geometry.cell_of_pos(terrain.spawn_point(geometry.width_tiles() / 2));
    let victim = cells[&start_cell];
    let middle = geometry.width_cells / 2;
    let across = CellId::new(if start_cell.x == middle { middle - 1 } else { middle }, start_cell.y);
    if cells[&across] == victim {
        let other = cells.values().copied().find(|z| *z != victim).unwrap();
        let body = format!(r#"{{"cell":"{}.{}","zone":{other}}}"#, across.x, across.y);
        let (status, answer) = http_post(&coordinator, "/api/move-cell", &body).await;
        assert!(status.contains(" 200 "), "move-cell: {status} {answer}");
        within("the cell across the border moved", async {
            loop {
                let cells = settled(4).await;
                if cells[&across] == other {
                    return;
                }
            }
        })
        .await;
    }
    let border = i32::from(middle) * i32::from(geometry.cell_tiles) * SUB;

    let mut players = Vec::new();
    for name in ["giver", "taker", "dropper", "walker"] {
        players.push(play(&ws, name).await);
    }
    for p in &mut players {
        let first = within("a first snapshot", p.seen.wait_for(|s| s.is_some())).await.unwrap().clone().unwrap();
        assert_eq!(first.you.entity, p.entity);
    }
    let entities: Vec<EntityId> = players.iter().map(|p| p.entity).collect();
    let x_of = |p: &Player| p.seen.borrow().as_ref().unwrap().you.body.pos.x;
    // The giver walks up to the taker (a give reaches 6 tiles); the walker patrols across the
    // border, 4 tiles to either side; the dropper drops an item, which lies on the ground, and
    // patrols inside the victim's cell (to be moving when it dies).
    let taker_x = x_of(&players[1]);
    players[0].orders.try_send(Do::GoTo(taker_x)).unwrap();
    players[3].orders.try_send(Do::Patrol(border - 4 * SUB, border + 4 * SUB)).unwrap();
    players[2].orders.try_send(Do::Say("/drop".into())).unwrap();
    let inward = if start_cell.x == middle { SUB } else { -SUB };
    players[2].orders.try_send(Do::Patrol(border + 12 * inward, border + 24 * inward)).unwrap();
    within("the giver beside the taker, the walker across the border", async {
        let mut walker = players[3].seen.clone();
        let mut zones_seen = BTreeSet::new();
        loop {
            let s = walker.wait_for(|s| s.is_some()).await.unwrap().clone().unwrap();
            zones_seen.insert(s.you.zone);
            let near = (x_of(&players[0]) - x_of(&players[1])).abs() <= 2 * SUB;
            if near && zones_seen.len() >= 2 {
                return;
            }
            walker.changed().await.unwrap();
        }
    })
    .await;

    let mut inspector = Inspector::register(&registry).await;
    let before = within("the world's items before the kill", world_items(&registry, &mut inspector, &entities)).await;
    assert_eq!(before.values().sum::<usize>(), 2 * players.len(), "the starter items, each once");
    assert!(before.values().all(|n| *n == 1), "no serial twice before the kill: {before:?}");

    // The kill comes as the walker, on the victim's side, is about to cross the border (when it
    // gets there within 10 s: terrain can hold it up), as the giver gives and the walker drops.
    let mut walker = players[3].seen.clone();
    let at_border = |s: &Option<Seen>| {
        s.as_ref().is_some_and(|s| s.you.zone == ZoneId(victim) && (s.you.body.pos.x - border).abs() <= 2 * SUB)
    };
    let crossing = tokio::time::timeout(Duration::from_secs(10), walker.wait_for(at_border)).await.is_ok();
    players[0].orders.try_send(Do::Say("/give taker".into())).unwrap();
    players[3].orders.try_send(Do::Say("/drop".into())).unwrap();
    let mut giver = players[0].seen.clone();
    giver.changed().await.unwrap();
    giver.changed().await.unwrap();
    let at_kill: Vec<Seen> = players.iter().map(|p| p.seen.borrow().clone().unwrap()).collect();
    let victim_cells: Vec<CellId> = cells.iter().filter(|(_, z)| **z == victim).map(|(c, _)| *c).collect();
    let killed_at = Instant::now();
    cluster.kill(&Role::Zone(victim)).await.unwrap();
    inspector.links.remove(&ZoneId(victim));

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

    // Every player gets snapshots of its own entity again, on the same session, missing at
    // most the loss window of its inputs.
    let mut losses = Vec::new();
    for (p, at_kill) in players.iter_mut().zip(&at_kill) {
        let again =
            within("snapshots again", p.seen.wait_for(|s| s.as_ref().is_some_and(|s| s.at > killed_at + reowned)))
                .await
                .map(|seen| seen.clone());
        let Ok(Some(after)) = again else {
            let code = (&mut p.task).await.ok().flatten();
            panic!("{}: session closed after the kill: {}", p.name, mmo_loadtest::client::close_reason(code));
        };
        assert_eq!(after.you.entity, p.entity, "{}: same entity after the zone died", p.name);
        assert!(!p.task.is_finished(), "{}: the session stayed open", p.name);
        // A player whose zone died has an outage: its state after it is the restored one.
        let outage = p.outage.borrow().clone().filter(|(before, _)| before.at <= killed_at + OUTAGE);
        let Some((before, resumed)) = outage else {
            losses.push((p.name.clone(), None));
            continue;
        };
        assert!(before.at >= at_kill.at, "{}: the outage is the kill's", p.name);
        let lost_ticks = before.sent.saturating_sub(resumed.you.last_input_seq.min(before.sent));
        let moved = (resumed.you.body.pos - before.you.body.pos).abs();
        let notices = p.stalls.lock().unwrap().iter().filter(|t| (before.at..resumed.at).contains(*t)).count();
        if resumed.at - before.at >= NOTICED_OUTAGE {
            assert!(notices > 0, "{}: no Stalled notice in {:?} without a snapshot", p.name, resumed.at - before.at);
        }
        losses.push((p.name.clone(), Some((lost_ticks, moved, resumed.at - before.at, notices))));
        assert!(
            lost_ticks <= LOSS_WINDOW_TICKS,
            "{}: {lost_ticks} ticks of input lost, more than the {LOSS_WINDOW_TICKS}-tick window",
            p.name
        );
    }

    let after = within("the world's items after recovery", world_items(&registry, &mut inspector, &entities)).await;
    let twice: Vec<ItemSerial> = after.iter().filter(|(_, n)| **n > 1).map(|(s, _)| *s).collect();
    let lost: Vec<ItemSerial> = before.keys().filter(|s| !after.contains_key(s)).copied().collect();
    let appeared: Vec<ItemSerial> = after.keys().filter(|s| !before.contains_key(s)).copied().collect();
    eprintln!(
        "zone {victim} killed: its {} cells owned again after {} ms (lease TTL {LEASE_TTL} s, policy period {POLICY_PERIOD_MS} ms)",
        victim_cells.len(),
        reowned.as_millis()
    );
    for (name, loss) in &losses {
        match loss {
            Some((ticks, moved, outage, notices)) => eprintln!(
                "  {name}: {ticks} ticks ({} ms) of its inputs lost; restored {:.2} x {:.2} tiles from its last state before the outage; no snapshot for {} ms, {notices} Stalled notices meanwhile",
                ticks * TICK_MS,
                f64::from(moved.x) / f64::from(SUB),
                f64::from(moved.y) / f64::from(SUB),
                outage.as_millis()
            ),
            None => eprintln!("  {name}: no outage (simulated by another zone at the kill)"),
        }
    }
    eprintln!(
        "  the walker was {}at the border, on the victim's side, at the kill",
        if crossing { "" } else { "not " }
    );
    eprintln!(
        "  items: {} before, {} after; lost {lost:?}, twice {twice:?}, new {appeared:?}",
        before.len(),
        after.values().sum::<usize>()
    );
    assert!(twice.is_empty() && lost.is_empty() && appeared.is_empty(), "item serials changed across the zone's death");
    assert!(
        reowned <= Duration::from_secs(LEASE_TTL + 1),
        "re-owned after {reowned:?}, more than the lease TTL plus one second"
    );
    for p in players {
        p.task.abort();
    }
    cluster.stop().await;
}
