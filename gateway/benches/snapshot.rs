//! What one client's snapshots cost: bytes per entity in view per snapshot, and the gateway's
//! time to build and encode them, for crowds of 10, 50 and 200 players that stand idle, walk,
//! jump or fight (among as many NPCs as half the crowd).
//!
//! A zone core simulates the crowd, all within one screen of a watching player. Each tick the
//! watcher's snapshot is built by the gateway's `ClientView` against the snapshot acknowledged
//! [`ACK_LAG`] ticks before (a 100 ms round trip), within its budgets, then encoded, then
//! rebuilt as the client does. Columns: bytes of the whole datagram (header and the watcher's
//! own state included) per entity in view; bytes per snapshot; entities carried per snapshot
//! (spawned or updated); entities whose state the client has wrong after a snapshot (not
//! exactly the truth: a change left out for the budget, or not yet sent), on average and the
//! longest any stayed wrong, in ticks; how far off the view has entities on average and at
//! most (the larger of x and y, in 1/256 tile); build and encode time per entity in view. The last two: the bytes per tick of the crowd's cell streams on the zone
//! link between processes, as whole frames (link version 1) and as deltas (version 2).
//!
//! `cargo bench -p mmo-gateway --bench snapshot [-- CASE...]` (a case: `walking/200`, `idle`, `/50`)
#![allow(clippy::print_stdout, reason = "a benchmark reports its table on stdout")]
#![allow(clippy::disallowed_methods, reason = "a benchmark times the encoder with the real clock")]

use mmo_cluster::net::codec::encode_framed;
use mmo_cluster::net::wire::FromZone;
use mmo_gateway::view::ClientView;
use mmo_protocol::limits::MAX_SNAPSHOT_BYTES;
use mmo_protocol::snapshot::wire::encode;
use mmo_protocol::{CellFrame, CellFrameDelta, EntityState, OwnState, View};
use mmo_world::physics::SUB;
use mmo_world::rng::SplitMix64;
use mmo_world::{Buttons, CellId, EntityId, Epoch, Terrain, Tick, WorldGeometry, ZoneId};
use mmo_zone_core::{ZoneConfig, ZoneCore};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

const FIRST_IDS: mmo_world::SerialBlock = mmo_world::SerialBlock::from_start(1, 1 << 20);
const CROWDS: [usize; 3] = [10, 50, 200];
const WARMUP_TICKS: u64 = 40;
const MEASURED_TICKS: u64 = 400;
/// The crowd stands within this many tiles either side of the watcher (its view reaches 48).
const SPREAD_TILES: i32 = 40;
const SEED: u64 = 3;
/// Ticks between a snapshot and the gateway hearing it acknowledged (a 100 ms round trip).
const ACK_LAG: u64 = 2;

#[derive(Clone, Copy, Debug)]
enum Behaviour {
    Idle,
    Walking,
    Jumping,
    Fighting,
}

impl Behaviour {
    const ALL: [Behaviour; 4] = [Behaviour::Idle, Behaviour::Walking, Behaviour::Jumping, Behaviour::Fighting];

    /// The buttons crowd member `i` presses at tick `t`: walkers turn every 30 to 60 ticks,
    /// each at its own phase; jumpers also jump now and then; fighters swing and shuffle.
    fn buttons(self, i: usize, t: u64, rng: &mut SplitMix64) -> u8 {
        let period = 30 + (i as u64 * 7) % 31;
        let dir = if ((t + i as u64 * 13) / period).is_multiple_of(2) { Buttons::RIGHT } else { Buttons::LEFT };
        match self {
            Behaviour::Idle => 0,
            Behaviour::Walking => dir,
            Behaviour::Jumping => dir | if rng.below(8) == 0 { Buttons::JUMP } else { 0 },
            Behaviour::Fighting => (if rng.below(4) == 0 { dir } else { 0 }) | Buttons::ATTACK,
        }
    }
}

/// Since when each entity the client has wrong has been wrong.
#[derive(Default)]
struct Staleness {
    wrong_since: HashMap<EntityId, u64>,
}

impl Staleness {
    /// Entities the client's view has wrong (not exactly the truth), the longest any has been
    /// wrong, in ticks, and the sum and largest of the distances (sub-tile units) between
    /// where the view has an entity and where it is.
    fn wrong(&mut self, view: &View, truth: &[&EntityState], t: u64) -> (usize, u64, i64, i64) {
        let known: HashMap<EntityId, &mmo_protocol::snapshot::Known> =
            view.entities.values().map(|k| (k.id, k)).collect();
        let mut wrong = 0;
        let mut longest = 0;
        let (mut off_sum, mut off_max) = (0i64, 0i64);
        for e in truth {
            if let Some(k) = known.get(&e.id) {
                let off = i64::from((k.motion.body.pos - e.body.pos).abs().max_element());
                off_sum += off;
                off_max = off_max.max(off);
            }
            let right = known.get(&e.id).is_some_and(|k| k.motion.body == e.body && k.hp == e.hp && k.pose == e.pose);
            if right {
                self.wrong_since.remove(&e.id);
            } else {
                wrong += 1;
                let since = *self.wrong_since.entry(e.id).or_insert(t);
                longest = longest.max(t - since + 1);
            }
        }
        // An entity out of view is not wrong; back in view, it counts from then.
        self.wrong_since.retain(|id, _| truth.iter().any(|e| e.id == *id));
        (wrong, longest, off_sum, off_max)
    }
}

#[derive(Default)]
struct Totals {
    snapshots: u64,
    bytes: usize,
    in_view: usize,
    carried: usize,
    wrong: usize,
    longest_wrong: u64,
    off_sum: i64,
    off_max: i64,
    spent: Duration,
    link_whole: usize,
    link_delta: usize,
}

fn own_state(me: &EntityState) -> OwnState {
    OwnState {
        entity: me.id,
        last_input_seq: me.last_input_seq,
        body: me.body,
        hp: me.hp,
        max_hp: me.max_hp,
        xp: me.xp,
        level: me.level,
        pose: me.pose,
        cell: CellId::new(0, 0),
        zone: ZoneId(1),
    }
}

fn run(behaviour: Behaviour, crowd: usize) -> Totals {
    let geometry = WorldGeometry { width_cells: 2, height_cells: 1, cell_tiles: 128 };
    let mut core = ZoneCore::new(
        ZoneConfig { zone: ZoneId(1), seed: SEED, geometry, npcs_per_cell: 0, npc_brain: Default::default() },
        FIRST_IDS,
    );
    for cell in geometry.cells() {
        core.own_cell(cell, Epoch(1));
    }
    let terrain = Terrain::new(SEED, geometry);
    let centre = geometry.width_tiles() / 2;
    let mut rng = SplitMix64::new(9);
    let spot =
        |rng: &mut SplitMix64| terrain.spawn_point(centre - SPREAD_TILES + rng.below((2 * SPREAD_TILES) as u32) as i32);
    let watcher = core.join_at("watcher".into(), None, terrain.spawn_point(centre)).expect("joins");
    let members: Vec<EntityId> =
        (0..crowd).map(|i| core.join_at(format!("p{i}").into(), None, spot(&mut rng)).expect("joins")).collect();
    if let Behaviour::Fighting = behaviour {
        for _ in 0..crowd / 2 {
            core.spawn_npc(spot(&mut rng), 0).expect("ids in hand");
        }
    }
    let (mut view, mut stale, mut totals) = (ClientView::default(), Staleness::default(), Totals::default());
    let mut client: HashMap<Tick, View> = HashMap::new();
    let mut sent: HashMap<CellId, Arc<CellFrame>> = HashMap::new();
    for t in 1..=WARMUP_TICKS + MEASURED_TICKS {
        for (i, id) in members.iter().enumerate() {
            core.push_input(*id, t as u32, Buttons(behaviour.buttons(i, t, &mut rng)));
        }
        let frames = core.tick(Tick(t), &mut ());
        let framed_len = |msg: &FromZone| encode_framed(msg).expect("encodes").len();
        let (mut whole, mut deltas) = (0, 0);
        for frame in &frames {
            let frame = Arc::new(frame.clone());
            let as_whole = FromZone::Frame { stream: 1, frame: frame.clone() };
            whole += framed_len(&as_whole);
            deltas += match sent.get(&frame.cell).and_then(|last| CellFrameDelta::between(last, &frame)) {
                Some(delta) => framed_len(&FromZone::FrameDelta { stream: 1, delta }),
                None => framed_len(&as_whole),
            };
            sent.insert(frame.cell, frame);
        }
        let all: Vec<&EntityState> = frames.iter().flat_map(|f| &f.entities).collect();
        let me = *all.iter().find(|e| e.id == watcher).expect("the watcher is in a frame");
        let others: Vec<&EntityState> =
            all.iter().filter(|e| e.id != watcher && (e.body.pos - me.body.pos).x.abs() <= 48 * SUB).copied().collect();

        let ack = t.checked_sub(ACK_LAG).filter(|a| *a > 0).map(Tick);
        let started = Instant::now();
        let snapshot = view.build(Tick(t), own_state(me), &others, ack, MAX_SNAPSHOT_BYTES);
        let datagram = encode(&snapshot);
        let took = started.elapsed();
        assert!(datagram.len() <= MAX_SNAPSHOT_BYTES, "within the datagram limit");
        let base = snapshot.baseline.map(|b| &client[&b]);
        let rebuilt = View::apply(base, &snapshot).expect("the client rebuilds it");
        let (wrong, longest, off_sum, off_max) = stale.wrong(&rebuilt, &others, t);
        client.insert(Tick(t), rebuilt);
        client.retain(|tick, _| tick.0 + 8 > t);
        if t > WARMUP_TICKS {
            totals.snapshots += 1;
            totals.bytes += datagram.len();
            totals.in_view += others.len();
            totals.carried += snapshot.spawns.len() + snapshot.updates.len();
            totals.wrong += wrong;
            totals.longest_wrong = totals.longest_wrong.max(longest);
            totals.off_sum += off_sum;
            totals.off_max = totals.off_max.max(off_max);
            totals.spent += took;
            totals.link_whole += whole;
            totals.link_delta += deltas;
        }
    }
    totals
}

fn main() {
    println!(
        "{:>9} {:>5} {:>8} {:>13} {:>11} {:>8} {:>7} {:>12} {:>9} {:>8} {:>10} {:>11} {:>11}",
        "behaviour",
        "crowd",
        "in view",
        "B/entity/snap",
        "B/snapshot",
        "carried",
        "wrong",
        "longest wrong",
        "off mean",
        "off max",
        "ns/entity",
        "link whole",
        "link delta"
    );
    // `cargo bench ... -- walking/200 idle` runs only the cases whose name contains an argument;
    // flags are cargo's (it passes `--bench` to every benchmark binary), not cases.
    let only: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    for behaviour in Behaviour::ALL {
        for crowd in CROWDS {
            let name = format!("{}/{crowd}", format!("{behaviour:?}").to_lowercase());
            if !only.is_empty() && !only.iter().any(|o| name.contains(o.as_str())) {
                continue;
            }
            let t = run(behaviour, crowd);
            let n = t.snapshots as f64;
            let per_entity = |x: f64| x / t.in_view.max(1) as f64;
            println!(
                "{:>9} {:>5} {:>8.1} {:>13.2} {:>11.1} {:>8.1} {:>7.1} {:>12} {:>9.2} {:>8} {:>10.0} {:>11.0} {:>11.0}",
                format!("{behaviour:?}").to_lowercase(),
                crowd,
                t.in_view as f64 / n,
                per_entity(t.bytes as f64),
                t.bytes as f64 / n,
                t.carried as f64 / n,
                t.wrong as f64 / n,
                t.longest_wrong,
                per_entity(t.off_sum as f64),
                t.off_max,
                per_entity(t.spent.as_nanos() as f64),
                t.link_whole as f64 / n,
                t.link_delta as f64 / n,
            );
        }
    }
}
