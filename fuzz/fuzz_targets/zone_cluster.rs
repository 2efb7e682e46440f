//! Structure-aware: two zone cores sharing a small world (zone 1 the west cell, zone 2 the
//! east one), driven by an arbitrary sequence of operations: ticks, player inputs (walking,
//! jumping, fighting), `/drop`, `/give NAME` (on one zone, or across the border through
//! escrow: every tick's writes count as durable at once, and the players' records taken then
//! are what an unanswered offer is judged by), messages between the zones delivered late and interleaved
//! across links (each link in order, as a connection or channel keeps it), messages lost as a
//! broken link connection loses them (those the link does not number: transfers, their
//! answers and settlements, inputs; `mmo_cluster::net::reliable`), and cells moved between the
//! zones while nothing is in flight (as the coordinator moves them).
//!
//! Checked after every operation: no entity simulated by both zones, and no item serial held
//! twice (inventories of simulated entities and the ground; an item in escrow is in flight).
//! Then every message is delivered and the zones tick until nothing is in flight and every give
//! settled: every serial the world ever had (the starter items, what NPCs dropped) is held
//! exactly once.
#![no_main]
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use mmo_cluster::net::reliable::numbered;
use mmo_records::{PeerMessage, PlayerRecord};
use mmo_world::{Buttons, CellId, EntityId, Epoch, ItemSerial, SerialBlock, Tick, WorldGeometry, ZoneId};
use mmo_zone_core::{ZoneConfig, ZoneCore};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;

const GEOMETRY: WorldGeometry = WorldGeometry { width_cells: 2, height_cells: 1, cell_tiles: 32 };
const ZONES: [ZoneId; 2] = [ZoneId(1), ZoneId(2)];
const PLAYERS: usize = 3;

#[derive(Arbitrary, Debug)]
enum Op {
    Tick,
    Input {
        player: u8,
        buttons: u8,
    },
    Drop {
        player: u8,
    },
    /// `/give NAME` from one player to another (done when they stand within reach on one zone).
    Give {
        from: u8,
        to: u8,
    },
    /// Delivers the oldest message of one link (of those with messages waiting).
    Deliver {
        link: u8,
    },
    /// Loses the oldest message of one link, if the link can lose it (a connection broke).
    Lose {
        link: u8,
    },
    MoveCell {
        east: bool,
        to: bool,
    },
}

struct Cluster {
    cores: Vec<ZoneCore>,
    /// Messages in flight, per (from, to) link, oldest first.
    links: BTreeMap<(usize, usize), VecDeque<PeerMessage>>,
    now: Tick,
    epoch: u64,
    /// The players' records as last taken (the store, where every write lands at once).
    stored: BTreeMap<String, PlayerRecord>,
}

impl Cluster {
    fn new() -> Cluster {
        let mut cores: Vec<ZoneCore> = ZONES
            .iter()
            .enumerate()
            .map(|(i, &zone)| {
                let ids = SerialBlock::from_start(1 + (i as u64) * (1 << 20), 1 << 20);
                ZoneCore::new(ZoneConfig { zone, seed: 7, geometry: GEOMETRY, npcs_per_cell: 2, npc_brain: Default::default() }, ids)
            })
            .collect();
        let mut cluster =
            Cluster { cores: Vec::new(), links: BTreeMap::new(), now: Tick(0), epoch: 0, stored: BTreeMap::new() };
        for (i, cell) in [CellId::new(0, 0), CellId::new(1, 0)].into_iter().enumerate() {
            cluster.epoch += 1;
            cores[i].own_cell(cell, Epoch(cluster.epoch));
            for core in &mut cores {
                core.set_owner(cell, ZONES[i], Epoch(cluster.epoch));
            }
        }
        cluster.cores = cores;
        cluster
    }

    fn index(zone: ZoneId) -> usize {
        ZONES.iter().position(|&z| z == zone).expect("a zone of the cluster")
    }

    /// Queues what the zones sent.
    fn collect(&mut self) {
        for from in 0..self.cores.len() {
            for (to, msg) in self.cores[from].drain_outbox() {
                self.links.entry((from, Self::index(to))).or_default().push_back(msg);
            }
        }
    }

    fn in_flight(&self) -> usize {
        self.links.values().map(VecDeque::len).sum()
    }

    /// The oldest message of one of the links with messages waiting (`pick` chooses which).
    fn oldest(&mut self, pick: usize) -> Option<((usize, usize), &mut VecDeque<PeerMessage>)> {
        let waiting: Vec<(usize, usize)> = self.links.iter().filter(|(_, q)| !q.is_empty()).map(|(k, _)| *k).collect();
        let link = *waiting.get(pick % waiting.len().max(1))?;
        Some((link, self.links.get_mut(&link)?))
    }

    fn deliver(&mut self, pick: usize) {
        let Some(((from, to), queue)) = self.oldest(pick) else { return };
        let msg = queue.pop_front().expect("a waiting message");
        self.cores[to].handle_peer(ZONES[from], msg);
        self.collect();
    }

    fn lose(&mut self, pick: usize) {
        let Some((_, queue)) = self.oldest(pick) else { return };
        if queue.front().is_some_and(|msg| !numbered(msg)) {
            queue.pop_front();
        }
    }

    fn tick(&mut self) {
        self.now = self.now.next();
        let now = self.now;
        let frames: Vec<_> = self.cores.iter_mut().flat_map(|c| c.tick(now, &mut ())).collect();
        for core in &mut self.cores {
            let wanted = core.ghost_cells();
            for f in &frames {
                if wanted.contains(&(f.cell, f.zone)) {
                    core.ghost_frame(Arc::new(f.clone()));
                }
            }
            // The tick's writes, durable at once.
            let changed = core.take_inventory_changes();
            for record in core.take_saves_of(&changed).into_iter().chain(core.take_saves()) {
                self.stored.insert(record.name.clone(), record);
            }
            let batch = core.seal_batch();
            core.saved(batch);
            for (id, name) in core.take_give_checks() {
                core.give_checked(id, self.stored.get(&*name));
            }
        }
        self.collect();
    }

    fn settled(&self) -> bool {
        self.cores.iter().all(|c| c.transfers_pending() == 0 && c.gives_pending() == 0)
    }

    /// The zone simulating `id`, if any.
    fn holder(&self, id: EntityId) -> Option<usize> {
        let holders: Vec<usize> = (0..self.cores.len()).filter(|&i| self.cores[i].authority(id).is_some()).collect();
        assert!(holders.len() <= 1, "{id} simulated by zones {holders:?} at {}", self.now);
        holders.first().copied()
    }

    /// Every serial held: in the inventories of simulated entities and on the ground; none twice.
    fn census(&self) -> BTreeSet<ItemSerial> {
        let mut held = BTreeSet::new();
        for core in &self.cores {
            let report = core.report();
            let carried = report.entities.iter().filter(|e| !e.frozen).flat_map(|e| &e.items);
            for item in carried.chain(&report.ground_items) {
                assert!(held.insert(item.serial), "{} held twice at {}", item.serial, self.now);
            }
        }
        held
    }

    fn minted(&self) -> BTreeSet<ItemSerial> {
        self.cores.iter().flat_map(|c| c.report().minted).collect()
    }
}

fuzz_target!(|ops: Vec<Op>| {
    if ops.len() > 400 {
        return;
    }
    let mut cluster = Cluster::new();
    let mut players = Vec::new();
    for n in 0..PLAYERS {
        let name: Arc<str> = format!("p{n}").into();
        let joined = (0..ZONES.len()).find_map(|i| cluster.cores[i].join_player(name.clone()).ok());
        players.push((joined.expect("a zone takes the player"), 0u32));
    }
    let mut ever: BTreeSet<ItemSerial> = cluster.census();
    for op in ops {
        match op {
            Op::Tick => cluster.tick(),
            Op::Input { player, buttons } => {
                let (id, seq) = &mut players[usize::from(player) % PLAYERS];
                *seq += 1;
                let at = cluster.holder(*id).unwrap_or(0);
                cluster.cores[at].push_input(*id, *seq, Buttons(buttons));
                cluster.collect();
            }
            Op::Drop { player } => {
                let (id, _) = players[usize::from(player) % PLAYERS];
                let at = cluster.holder(id).unwrap_or(0);
                cluster.cores[at].chat(id, "/drop".into());
                cluster.collect();
            }
            Op::Give { from, to } => {
                let (id, _) = players[usize::from(from) % PLAYERS];
                let at = cluster.holder(id).unwrap_or(0);
                cluster.cores[at].chat(id, format!("/give p{}", usize::from(to) % PLAYERS).into());
                cluster.collect();
            }
            Op::Deliver { link } => cluster.deliver(usize::from(link)),
            Op::Lose { link } => cluster.lose(usize::from(link)),
            Op::MoveCell { east, to } if cluster.in_flight() == 0 => {
                let cell = CellId::new(u16::from(east), 0);
                cluster.epoch += 1;
                let epoch = Epoch(cluster.epoch);
                for core in &mut cluster.cores {
                    core.set_owner(cell, ZONES[usize::from(to)], epoch);
                }
            }
            Op::MoveCell { .. } => {}
        }
        for &(id, _) in &players {
            cluster.holder(id);
        }
        ever.extend(cluster.minted());
        let held = cluster.census();
        assert!(held.is_subset(&ever), "serials from nowhere: {:?}", held.difference(&ever).collect::<Vec<_>>());
    }
    // Heal: everything delivered, ticks until no transfer waits for its answer and every give
    // settled (an unanswered one after `ANSWER_TICKS`).
    for _ in 0..600 {
        // Each message at most forwarded on: a few hops per message, never without end.
        let mut hops = 0;
        while cluster.in_flight() > 0 {
            hops += 1;
            assert!(hops < 100_000, "messages bounce between the zones without end");
            cluster.deliver(0);
        }
        if cluster.settled() {
            break;
        }
        cluster.tick();
    }
    assert!(cluster.settled(), "transfers or gives never settle");
    ever.extend(cluster.minted());
    let held = cluster.census();
    let lost: Vec<_> = ever.difference(&held).collect();
    assert!(lost.is_empty(), "items lost: {lost:?}");
});
