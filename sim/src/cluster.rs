//! One simulated cluster run: zones, players, the network, the registry and the coordinator
//! leader, advanced tick by tick on a simulated clock, every choice drawn from one seed. The
//! same seed gives the same run, step for step: a failing seed replays exactly.
//!
//! Each tick, in order: the faults due start or end; the zones see the registry's assignment as
//! it was `watch_delay_ticks` ago; messages due are delivered (what they cause is sent on);
//! players send their inputs; every zone ticks and publishes its frames (neighbours get the
//! frames they ghost, unless their link is cut); the zones report their loads every
//! `report_ticks` and the leader runs the policy every `period_ticks`; then the invariants are
//! checked ([`crate::check`]). After the last tick the network heals and the cluster runs until
//! nothing is in flight, and the item census must balance.

use crate::check::{Checker, Observed, Violation};
use crate::leader::SimLeader;
use crate::net::{LinkFaults, Network};
use crate::players::{Orphan, Players, Rush};
use crate::registry::SimRegistry;
use crate::stores::Stores;
use crate::zone::{SimZone, TICK_MS};
use mmo_cluster::registry::Assignment;
use mmo_cluster::revive::record_from_state;
use mmo_cluster::MoveReason;
use mmo_coordinator::plan;
use mmo_coordinator::policy::{PolicyConfig, Reshape, ZoneState};
use mmo_protocol::CellFrame;
use mmo_records::SessionRoute;
use mmo_world::rng::SplitMix64;
use mmo_world::{CellId, Epoch, GatewayId, Layout, SessionId, Tick, WorldGeometry, ZoneId};
use mmo_zone_core::GiveCounts;
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

/// Which faults a run injects (their times and victims are drawn from the seed).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Faults {
    pub link: LinkFaults,
    /// Cut the link between two zones now and then, for 1 to 4 seconds.
    pub partitions: bool,
    /// Make a zone slow (its tick time 3 to 6 times the model's) for 5 to 15 seconds, and
    /// stall one (a pause of its process: no ticks, nothing read) for 0.5 to 1.5 seconds.
    pub slow_zones: bool,
    /// Kill the coordinator leader now and then; the next leads after the election TTL.
    pub leader_changes: bool,
    /// Stop a zone once, and start it again under its id later: its process killed (kill -9),
    /// or cut from the registry (it sees no more assignments and its lease is not refreshed:
    /// it simulates on until its own view of the lease lapses, then stops, as the zone host
    /// does). Its lease expires after the election's TTL and the coordinator gives its cells to
    /// others.
    pub zone_crashes: bool,
}

impl Faults {
    pub const NONE: Faults = Faults {
        link: LinkFaults::NONE,
        partitions: false,
        slow_zones: false,
        leader_changes: false,
        zone_crashes: false,
    };
    pub const ALL: Faults = Faults {
        link: LinkFaults { min_delay_ms: 0, max_delay_ms: 120, loss_per_mille: 5 },
        partitions: true,
        slow_zones: true,
        leader_changes: true,
        zone_crashes: true,
    };
}

#[derive(Clone, Debug, PartialEq)]
pub struct SimConfig {
    pub seed: u64,
    pub zones: u32,
    pub geometry: WorldGeometry,
    pub players: usize,
    pub npcs_per_cell: u32,
    /// Ticks of play (50 ms each), before the network heals.
    pub ticks: u64,
    /// Entities each zone is sized for (the entity term of its load).
    pub capacity: u32,
    pub period_ticks: u64,
    pub report_ticks: u64,
    /// How long the registry's watch takes to tell the zones of a write.
    pub watch_delay_ticks: u64,
    /// The election's lease TTL: how long the cluster has no leader after the leader dies.
    pub leader_ttl_ms: u64,
    pub migration_timeout_ms: u64,
    pub policy: PolicyConfig,
    pub faults: Faults,
    /// One crowd event in the middle of the run.
    pub rush: bool,
}

impl SimConfig {
    /// A small cluster every invariant can be checked on in well under a second: 4 zones on 8x2
    /// cells of 32 tiles, 40 players, 30 s of play with a rush, every fault.
    pub fn small(seed: u64) -> SimConfig {
        SimConfig {
            seed,
            zones: 4,
            geometry: WorldGeometry { width_cells: 8, height_cells: 2, cell_tiles: 32 },
            players: 40,
            npcs_per_cell: 3,
            ticks: 600,
            capacity: 30,
            period_ticks: 20,
            report_ticks: 20,
            watch_delay_ticks: 2,
            leader_ttl_ms: 2_000,
            migration_timeout_ms: 10_000,
            policy: PolicyConfig { cell_cooldown_ms: 10_000, split_merge: true, ..PolicyConfig::default() },
            faults: Faults::ALL,
            rush: true,
        }
    }
}

/// What a run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub ticks: u64,
    /// Cell moves written, by reason.
    pub moves: BTreeMap<&'static str, usize>,
    /// Splits and merges written.
    pub splits: usize,
    pub merges: usize,
    pub leader_terms: u32,
    pub messages_lost: u64,
    /// Item serials held at the end (every one the world ever had, but those lost with zones).
    pub items: usize,
    /// Item serials a crashed zone held that no save or checkpoint had made durable yet
    /// (loot and starter items of the last moments, writes still on their way).
    pub items_lost_with_zones: usize,
    /// Players re-created on another zone after theirs died, by their gateways.
    pub players_revived: usize,
    /// Gives across zone borders, by how they ended (zone runs that were replaced included).
    pub gives: GiveCounts,
    /// Cells taken from their checkpoints (no live zone handed them over).
    pub cells_restored: usize,
    pub zone_crashes: u32,
    /// Faults injected, by kind (`cut`, `slow`, `stall`, `leader_dies`, `crash`,
    /// `registry_cut`, ...).
    pub faults: BTreeMap<&'static str, u32>,
    /// The highest load any zone reported, in thousandths.
    pub max_load_milli: u32,
    /// Ticks the heal took until nothing was in flight.
    pub heal_ticks: u64,
    /// A hash of every cell move written (when, which cell, to whom, at which epoch): equal
    /// for two runs of one seed.
    pub digest: u64,
}

/// A fault in the schedule.
#[derive(Clone, Copy, Debug)]
enum Fault {
    Cut(ZoneId, ZoneId),
    Heal,
    Slow(ZoneId, f32),
    Normal(ZoneId),
    Stall(ZoneId),
    Resume(ZoneId),
    LeaderDies,
    Crash(ZoneId),
    /// The zone can no longer reach the registry: no assignments reach it, it reports no load
    /// and cannot refresh its lease.
    RegistryCut(ZoneId),
    /// A zone cut from the registry sees its lease lapse (its own view, before the registry
    /// expires it) and stops.
    LeaseLost(ZoneId),
    /// A crashed zone's lease expires: it leaves the registry.
    LeaseExpires(ZoneId),
    Restart(ZoneId),
}

impl Fault {
    fn kind(&self) -> &'static str {
        match self {
            Fault::Cut(..) => "cut",
            Fault::Heal => "heal",
            Fault::Slow(..) => "slow",
            Fault::Normal(_) => "normal",
            Fault::Stall(_) => "stall",
            Fault::Resume(_) => "resume",
            Fault::LeaderDies => "leader_dies",
            Fault::Crash(_) => "crash",
            Fault::RegistryCut(_) => "registry_cut",
            Fault::LeaseLost(_) => "lease_lost",
            Fault::LeaseExpires(_) => "lease_expires",
            Fault::Restart(_) => "restart",
        }
    }
}

struct Sim {
    config: SimConfig,
    rng: SplitMix64,
    zones: Vec<SimZone>,
    net: Network,
    registry: SimRegistry,
    leader: SimLeader,
    players: Players,
    /// Assignment tables written, with the tick the zones see them.
    watch: VecDeque<(u64, BTreeMap<CellId, Assignment>)>,
    /// The assignment table the zones last read.
    visible: BTreeMap<CellId, Assignment>,
    /// Frames of the last tick, for ghosts.
    frames: Vec<CellFrame>,
    schedule: BTreeMap<u64, Vec<Fault>>,
    link: LinkFaults,
    now: u64,
    max_load: f32,
    /// Zones registered (alive, or crashed with their lease not expired yet), with the epoch
    /// their run registered at.
    registered: BTreeMap<ZoneId, Epoch>,
    /// How many times each zone was started.
    runs: BTreeMap<ZoneId, u64>,
    /// Faults injected in play, by kind.
    faults: BTreeMap<&'static str, u32>,
    /// The durable store and hot state every zone and gateway shares.
    stores: Stores,
    /// Players re-created after their zone died, and cells restored by zone runs that ended.
    revived: usize,
    restored: usize,
    /// How the gives of zone runs that ended went.
    gives: GiveCounts,
}

/// Runs one seed; the violation that ended it, if any.
pub fn run(config: SimConfig) -> Result<Summary, Violation> {
    let mut sim = Sim::new(config);
    let mut checker = Checker::new(&sim.zones)?;
    let rush = sim.config.rush.then(|| sim.rush());
    for tick in 1..=sim.config.ticks {
        sim.step(tick, rush, &mut checker);
        sim.check(&mut checker)?;
    }
    let heal_ticks = sim.heal(&mut checker)?;
    let items = checker.at_rest(sim.now, &sim.zones, &sim.players)?;
    let mut moves = BTreeMap::new();
    let mut digest = 0u64;
    for w in &sim.registry.written {
        *moves.entry(w.reason.name()).or_insert(0) += 1;
        let cell = u64::from(w.cell.x) << 16 | u64::from(w.cell.y);
        for part in [w.at_ms, cell, u64::from(w.to.0), w.epoch.0] {
            digest = mmo_world::rng::mix(digest ^ part);
        }
    }
    let splits = sim.registry.reshaped.iter().filter(|r| matches!(r.reshape, Reshape::Split { .. })).count();
    for r in &sim.registry.reshaped {
        let cell = u64::from(r.reshape.cell().x) << 16
            | u64::from(r.reshape.cell().y)
            | u64::from(r.reshape.cell().depth) << 32;
        for part in [r.at_ms, cell, r.epoch.0] {
            digest = mmo_world::rng::mix(digest ^ part);
        }
    }
    Ok(Summary {
        ticks: sim.now,
        moves,
        splits,
        merges: sim.registry.reshaped.len() - splits,
        leader_terms: sim.leader.term,
        messages_lost: sim.net.lost,
        items,
        items_lost_with_zones: checker.items_lost_with_zones(),
        players_revived: sim.revived,
        gives: sim.zones.iter().fold(sim.gives, |mut all, z| {
            all += z.core.give_counts();
            all
        }),
        cells_restored: sim.restored + sim.zones.iter().map(|z| z.restored).sum::<usize>(),
        zone_crashes: sim.runs.values().map(|r| (*r - 1) as u32).sum(),
        faults: sim.faults.clone(),
        max_load_milli: (sim.max_load * 1000.0) as u32,
        heal_ticks,
        digest,
    })
}

impl Sim {
    fn new(config: SimConfig) -> Sim {
        let mut rng = SplitMix64::new(config.seed);
        let ids: Vec<ZoneId> = (1..=config.zones).map(ZoneId).collect();
        let stores = Stores::default();
        let mut zones: Vec<SimZone> = ids
            .iter()
            .map(|&z| SimZone::new(z, 0, config.seed, &stores, config.geometry, config.npcs_per_cell, config.capacity))
            .collect();
        let mut registry = SimRegistry::default();
        let registered: BTreeMap<ZoneId, Epoch> = ids.iter().map(|z| (*z, registry.register())).collect();
        for (cell, zone) in plan::initial(&config.geometry, &ids) {
            registry.write(0, cell, zone, MoveReason::Unowned, 1);
        }
        for zone in &mut zones {
            zone.sync(&registry.table, &registered);
        }
        let mut players = Players::default();
        for n in 0..config.players {
            let zone = &mut zones[n % ids.len()];
            let name: Arc<str> = format!("p{n}").into();
            if let Ok(id) = zone.core.join_player(name.clone()) {
                players.add(id, name, zone.id(), registered[&zone.id()]);
            }
        }
        let schedule = schedule(&config, &ids, &mut rng);
        let visible = registry.table.clone();
        Sim {
            leader: SimLeader::new(config.policy.clone(), config.migration_timeout_ms),
            link: config.faults.link,
            config,
            rng,
            zones,
            net: Network::default(),
            registry,
            players,
            watch: VecDeque::new(),
            visible,
            frames: Vec::new(),
            schedule,
            now: 0,
            max_load: 0.0,
            registered,
            runs: ids.iter().map(|z| (*z, 1)).collect(),
            faults: BTreeMap::new(),
            stores,
            revived: 0,
            restored: 0,
            gives: GiveCounts::default(),
        }
    }

    /// The crowd event: a third of the way in, for a third of the run, towards a column drawn
    /// from the seed.
    fn rush(&mut self) -> Rush {
        let width = i32::from(self.config.geometry.width_cells) * i32::from(self.config.geometry.cell_tiles);
        let x = 8 + self.rng.below((width - 16).max(1) as u32) as i32;
        Rush { start: self.config.ticks / 3, end: self.config.ticks * 2 / 3, x }
    }

    fn now_ms(&self) -> u64 {
        self.now * TICK_MS
    }

    fn index(&self, zone: ZoneId) -> usize {
        self.zones.iter().position(|z| z.id() == zone).expect("a zone of the cluster")
    }

    /// Sends what `zone` has to send.
    fn collect(&mut self, zone: usize) {
        let from = self.zones[zone].id();
        let now = self.now_ms();
        for (to, msg) in self.zones[zone].core.drain_outbox() {
            self.net.send(from, to, msg, now, &self.link, &mut self.rng);
        }
        self.zones[zone].core.take_released();
    }

    fn deliver(&mut self, mail: Vec<(ZoneId, ZoneId, mmo_records::PeerMessage)>) {
        for (from, to, msg) in mail {
            let i = self.index(to);
            if !self.zones[i].running() {
                continue; // nobody reads it
            }
            self.zones[i].core.handle_peer(from, msg);
            self.collect(i);
        }
    }

    fn step(&mut self, tick: u64, rush: Option<Rush>, checker: &mut Checker) {
        self.now = tick;
        for fault in self.schedule.remove(&tick).unwrap_or_default() {
            *self.faults.entry(fault.kind()).or_insert(0) += 1;
            self.apply(fault);
            if let Fault::Crash(zone) | Fault::LeaseLost(zone) = fault {
                let dead = &self.zones[self.index(zone)];
                let durable = self.stores.durable_items(
                    self.players.names(),
                    dead.core.owned_cells().into_iter().map(|(cell, _)| cell),
                    self.config.geometry,
                );
                checker.crashed(dead, &durable);
            }
        }
        self.sync_assignment();
        let mail = self.net.due(self.now_ms());
        self.deliver(mail);
        for input in self.players.inputs(tick, rush, &mut self.rng) {
            let i = self.index(input.zone);
            if !self.zones[i].running() {
                continue; // clients send their recent inputs again
            }
            self.zones[i].core.push_input(input.id, input.seq, input.buttons);
            self.collect(i);
        }
        for give in self.players.gives(&mut self.rng) {
            let i = self.index(give.zone);
            if self.zones[i].running() {
                self.zones[i].core.chat(give.id, give.command.into());
                self.collect(i);
            }
        }
        self.tick_zones();
        self.revive(checker);
        if tick.is_multiple_of(self.config.report_ticks) {
            let now = self.now_ms();
            for zone in self.zones.iter().filter(|z| z.reads_registry()) {
                let report = zone.load_report(now);
                self.max_load = self.max_load.max(report.load());
                self.registry.loads.insert(zone.id(), report);
            }
        }
        if tick.is_multiple_of(self.config.period_ticks) {
            let states: BTreeMap<ZoneId, ZoneState> = self.registered.keys().map(|z| (*z, ZoneState::Active)).collect();
            let now = self.now_ms();
            let before = self.registry.written.len();
            if self.leader.period(now, &self.config.geometry, &states, &mut self.registry) > 0 {
                for w in &self.registry.written[before..] {
                    tracing::info!(tick, cell = %w.cell, from = ?w.from, to = %w.to, epoch = %w.epoch, reason = ?w.reason, term = w.term, "cell moved");
                }
                self.watch.push_back((tick + self.config.watch_delay_ticks, self.registry.table.clone()));
            }
        }
    }

    /// The zones see the newest table whose watch event reached them.
    fn sync_assignment(&mut self) {
        let mut newest = None;
        while self.watch.front().is_some_and(|(at, _)| *at <= self.now) {
            newest = self.watch.pop_front().map(|(_, table)| table);
        }
        if let Some(table) = newest {
            for zone in self.zones.iter_mut().filter(|z| z.reads_registry()) {
                zone.sync(&table, &self.registered);
            }
            self.visible = table;
        }
    }

    fn tick_zones(&mut self) {
        let tick = Tick(self.now);
        let mut frames = Vec::new();
        for i in 0..self.zones.len() {
            if !self.zones[i].running() {
                continue;
            }
            frames.extend(self.zones[i].tick(tick.0));
            self.collect(i);
        }
        for zone in self.zones.iter_mut().filter(|z| z.running()) {
            let me = zone.id();
            let wanted = zone.core.ghost_cells();
            for f in &frames {
                if wanted.contains(&(f.cell, f.zone)) && !self.net.is_cut(me, f.zone) {
                    zone.core.ghost_frame(Arc::new(f.clone()));
                }
            }
        }
        self.players.observe(&frames, &self.registered);
        self.frames = frames;
    }

    /// The gateways re-create each player no frame shows whose zone run died, on the owner of
    /// the cell it was last seen in (a zone other than that run: another, or the same id
    /// started again), once that owner has taken the cell; a player never seen logs in again.
    fn revive(&mut self, checker: &mut Checker) {
        let orphans = self.players.orphans(&self.registered);
        if orphans.is_empty() {
            return;
        }
        let Ok(layout) = Layout::implied(self.config.geometry, self.visible.keys().copied()) else { return };
        for orphan in orphans {
            let saved = self.stores.load(&orphan.name);
            let pos = match (&orphan.seen, &saved) {
                (Some((state, _)), _) => state.body.pos,
                (None, Some(record)) if record.version > 0 => record.position,
                (None, _) => {
                    self.log_in_anew(&orphan, checker);
                    continue;
                }
            };
            let cell = layout.cell_of_pos(pos);
            let Some(a) = self.visible.get(&cell) else { continue };
            let Some(&run) = self.registered.get(&a.zone) else { continue };
            let i = self.index(a.zone);
            if (a.zone, run) == (orphan.zone, orphan.run) || !self.zones[i].running() {
                continue;
            }
            let core = &mut self.zones[i].core;
            let done = match &orphan.seen {
                Some((state, tick)) => {
                    let route = SessionRoute { gateway: GatewayId(1), session: SessionId(orphan.index as u64) };
                    record_from_state(state, *tick, route, a.epoch, saved.as_ref()).map(|r| core.restore(r))
                }
                None => saved.map(|record| core.join_saved(record, None)),
            };
            if let Some(Ok(id)) = done {
                tracing::info!(tick = self.now, player = %id, from = %orphan.zone, to = %a.zone, "player revived");
                self.players.revived(orphan.index, id, a.zone, run);
                self.revived += 1;
                self.collect(i);
            }
        }
    }

    /// A player never seen, whose zone died before its first save: its client logs in again as
    /// a new character (with new starter items), on the first zone with room.
    fn log_in_anew(&mut self, orphan: &Orphan, checker: &mut Checker) {
        for i in 0..self.zones.len() {
            let zone = self.zones[i].id();
            let Some(&run) = self.registered.get(&zone) else { continue };
            if !self.zones[i].running() || (zone, run) == (orphan.zone, orphan.run) {
                continue;
            }
            if let Ok(id) = self.zones[i].core.join_player(orphan.name.clone()) {
                checker.joined(&self.zones[i].core, id);
                self.players.revived(orphan.index, id, zone, run);
                self.collect(i);
                return;
            }
        }
    }

    fn apply(&mut self, fault: Fault) {
        tracing::info!(tick = self.now, ?fault, "fault");
        match fault {
            Fault::Cut(a, b) => self.net.cut(a, b),
            Fault::Heal => self.net.heal(),
            Fault::Slow(zone, factor) => {
                let i = self.index(zone);
                self.zones[i].slowness = factor;
            }
            Fault::Normal(zone) => {
                let i = self.index(zone);
                self.zones[i].slowness = 1.0;
            }
            Fault::LeaderDies => self.leader.fail_over(self.now_ms(), self.config.leader_ttl_ms),
            Fault::Crash(zone) | Fault::LeaseLost(zone) => {
                let i = self.index(zone);
                self.zones[i].kill();
                self.net.killed(zone);
            }
            Fault::Stall(zone) => {
                let i = self.index(zone);
                self.zones[i].stalled = true;
                self.net.set_paused(zone, true);
            }
            Fault::Resume(zone) => {
                let i = self.index(zone);
                self.zones[i].stalled = false;
                self.net.set_paused(zone, false);
                if self.zones[i].reads_registry() {
                    self.zones[i].sync(&self.visible, &self.registered); // what it missed
                }
            }
            Fault::RegistryCut(zone) => {
                let i = self.index(zone);
                self.zones[i].registry_cut = true;
            }
            Fault::LeaseExpires(zone) => {
                self.registered.remove(&zone);
                self.registry.loads.remove(&zone);
                for z in self.zones.iter_mut().filter(|z| z.alive) {
                    z.lost(zone);
                }
            }
            Fault::Restart(zone) => self.restart(zone),
        }
        for zone in &mut self.zones {
            zone.core.set_unreachable(self.net.unreachable_from(zone.id()));
        }
    }

    /// Starts a crashed zone again under its id (after its lease expired, as the host waits for
    /// it): a fresh core, ids and serials no earlier run had, the assignment as it stands now.
    fn restart(&mut self, zone: ZoneId) {
        let run = self.runs.entry(zone).or_insert(0);
        let c = &self.config;
        let mut fresh = SimZone::new(zone, *run, c.seed, &self.stores, c.geometry, c.npcs_per_cell, c.capacity);
        *run += 1;
        self.registered.insert(zone, self.registry.register());
        fresh.sync(&self.registry.table, &self.registered);
        let i = self.index(zone);
        self.restored += self.zones[i].restored;
        self.gives += self.zones[i].core.give_counts();
        self.zones[i] = fresh;
        for z in self.zones.iter_mut().filter(|z| z.alive && z.id() != zone) {
            z.back(zone, &self.registered);
        }
    }

    fn check(&self, checker: &mut Checker) -> Result<(), Violation> {
        checker.after_tick(&Observed {
            tick: self.now,
            zones: &self.zones,
            players: &self.players,
            registry: &self.registry,
            net: &self.net,
            leading: self.leader.leading(self.now_ms()),
            cooldown_ms: self.leader.cooldown_ms(),
        })
    }

    /// Heals the network, stops the players and the faults, and runs until nothing is in flight
    /// and every zone holds the cells the registry gives it. The ticks it took.
    fn heal(&mut self, checker: &mut Checker) -> Result<u64, Violation> {
        self.apply(Fault::Heal);
        self.link = LinkFaults::NONE;
        for zone in &mut self.zones {
            zone.slowness = 1.0;
        }
        let stalled: Vec<ZoneId> = self.zones.iter().filter(|z| z.stalled).map(SimZone::id).collect();
        for zone in stalled {
            self.apply(Fault::Resume(zone));
        }
        let down: Vec<ZoneId> = self.zones.iter().filter(|z| !z.alive).map(SimZone::id).collect();
        for zone in down {
            if self.registered.contains_key(&zone) {
                self.apply(Fault::LeaseExpires(zone));
            }
            self.restart(zone);
        }
        let start = self.now;
        for _ in 0..400 {
            // The registry's watch catches up at once.
            for (at, _) in &mut self.watch {
                *at = self.now;
            }
            self.sync_assignment();
            let mut rounds = 0;
            while self.net.in_flight() > 0 {
                rounds += 1;
                let mail = self.net.all_reachable();
                if rounds > 1_000 {
                    let what = format!("zones keep answering each other's messages, such as {:?}", mail.first());
                    return Err(Violation { tick: self.now, what });
                }
                self.deliver(mail);
            }
            if self.now.is_multiple_of(self.config.period_ticks) {
                let states: BTreeMap<ZoneId, ZoneState> =
                    self.registered.keys().map(|z| (*z, ZoneState::Active)).collect();
                if self.leader.period(self.now_ms(), &self.config.geometry, &states, &mut self.registry) > 0 {
                    self.watch.push_back((self.now, self.registry.table.clone()));
                }
            }
            let settled = self.zones.iter().all(|z| z.core.transfers_pending() == 0 && z.core.gives_pending() == 0)
                && self.players.missing_ids().is_empty();
            let placed = self
                .registry
                .table
                .iter()
                .all(|(cell, a)| self.zones[self.index(a.zone)].core.owned_cells().iter().any(|(c, _)| c == cell));
            if settled && placed {
                return Ok(self.now - start);
            }
            self.now += 1;
            self.tick_zones();
            self.revive(checker);
            self.check(checker)?;
        }
        let pending: Vec<(ZoneId, usize)> =
            self.zones.iter().map(|z| (z.id(), z.core.transfers_pending())).filter(|(_, n)| *n > 0).collect();
        let gives: Vec<(ZoneId, usize)> =
            self.zones.iter().map(|z| (z.id(), z.core.gives_pending())).filter(|(_, n)| *n > 0).collect();
        let unplaced: Vec<CellId> = self
            .registry
            .table
            .iter()
            .filter(|(cell, a)| !self.zones[self.index(a.zone)].core.owned_cells().iter().any(|(c, _)| c == *cell))
            .map(|(cell, _)| *cell)
            .collect();
        let what = format!(
            "the cluster never came to rest after the network healed: transfers pending {pending:?}, gives pending {gives:?}, players missing {:?}, cells not taken by their owners {unplaced:?}",
            self.players.missing_ids()
        );
        Err(Violation { tick: self.now, what })
    }
}

/// The faults of a run, by tick, drawn from the seed.
fn schedule(config: &SimConfig, zones: &[ZoneId], rng: &mut SplitMix64) -> BTreeMap<u64, Vec<Fault>> {
    let mut at: BTreeMap<u64, Vec<Fault>> = BTreeMap::new();
    let ticks = config.ticks.max(1);
    let n = zones.len() as u32;
    let when = |rng: &mut SplitMix64| 1 + u64::from(rng.below(u32::try_from(ticks).unwrap_or(u32::MAX)));
    if config.faults.partitions && n >= 2 {
        for _ in 0..2 {
            let a = zones[rng.below(n) as usize];
            let b = zones[rng.below(n) as usize];
            if a != b {
                let start = when(rng);
                at.entry(start).or_default().push(Fault::Cut(a, b));
                at.entry(start + 20 + u64::from(rng.below(60))).or_default().push(Fault::Heal);
            }
        }
    }
    if config.faults.slow_zones {
        let zone = zones[rng.below(n) as usize];
        let start = when(rng);
        let factor = 3.0 + rng.below(4) as f32;
        at.entry(start).or_default().push(Fault::Slow(zone, factor));
        at.entry(start + 100 + u64::from(rng.below(200))).or_default().push(Fault::Normal(zone));
    }
    let mut stop = None;
    if config.faults.zone_crashes {
        // In the first half, so that its cells are recovered and it is back before the end.
        let zone = zones[rng.below(n) as usize];
        let start = 1 + u64::from(rng.below(u32::try_from(ticks / 2).unwrap_or(u32::MAX).max(1)));
        let ttl = config.leader_ttl_ms / TICK_MS;
        at.entry(start + ttl).or_default().push(Fault::LeaseExpires(zone));
        at.entry(start + ttl + 40 + u64::from(rng.below(60))).or_default().push(Fault::Restart(zone));
        stop = Some((zone, start, ttl));
    }
    if config.faults.leader_changes {
        for _ in 0..2 {
            at.entry(when(rng)).or_default().push(Fault::LeaderDies);
        }
    }
    if config.faults.slow_zones {
        let zone = zones[rng.below(n) as usize];
        let start = when(rng);
        at.entry(start).or_default().push(Fault::Stall(zone));
        at.entry(start + 10 + u64::from(rng.below(21))).or_default().push(Fault::Resume(zone));
    }
    if let Some((zone, start, ttl)) = stop {
        // Killed, or cut from the registry: its lease, refreshed every third of its TTL, lapses
        // in its own view between two thirds of the TTL and the TTL after the cut.
        if rng.below(2) == 0 {
            at.entry(start).or_default().push(Fault::Crash(zone));
        } else {
            at.entry(start).or_default().push(Fault::RegistryCut(zone));
            let lapse = ttl * 2 / 3 + u64::from(rng.below(u32::try_from(ttl / 3).unwrap_or(1).max(1)));
            at.entry(start + lapse).or_default().push(Fault::LeaseLost(zone));
        }
    }
    at
}
