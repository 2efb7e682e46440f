//! The invariants, checked after every simulated tick:
//! - no entity simulated by two zones; every player simulated or frozen (in a transfer)
//!   somewhere;
//! - no item serial held twice (inventories of simulated entities and the ground; an item in
//!   escrow, given across a border and not answered yet, is in flight like a frozen entity's),
//!   and none that the world never had (starter items, NPC drops);
//! - a crashed zone's cells go to live zones within the lease TTL and a period or two;
//! - no cell owned by two zones, nor a cell by one and a quarter of it (a split's or a merge's
//!   leftovers) by another; no cell left without an owner for longer than the takeover
//!   allowance (counting only time with its new owner's links up: a handover caught by a
//!   partition waits for the link); the registry's owner of a cell takes it within the
//!   allowance of the time its link to the previous owner was up;
//! - no flap: the policy never moves a cell back where it came from within its cooldown.
//!
//! And at the end, after the network healed: every player is simulated again (its gateway
//! re-created it if its zone died), and every serial the world ever had is held exactly once,
//! except those a crashed zone held that neither a stored record nor a checkpoint of its cells
//! had yet when it died (loot and starter items of its last moments, writes on their way).

use crate::net::Network;
use crate::players::Players;
use crate::registry::{SimRegistry, Written};
use crate::zone::SimZone;
use mmo_cluster::MoveReason;
use mmo_world::{CellId, EntityId, ItemSerial, ZoneId};
use mmo_zone_core::ZoneCore;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// An invariant broken, at a tick.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub tick: u64,
    pub what: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "tick {}: {}", self.tick, self.what)
    }
}

impl std::error::Error for Violation {}

/// Ticks a cell may be simulated by nobody (a handover or a takeover in progress).
pub const UNOWNED_TICKS: u64 = 40;
/// Ticks (with the link between the two zones up) the registry's owner may take to get a cell.
pub const TAKEOVER_TICKS: u64 = 100;

#[derive(Debug, Default)]
pub struct Checker {
    /// Every serial the world has had.
    ever: BTreeSet<ItemSerial>,
    /// Cells simulated by nobody: for how many ticks their owner's links were all up.
    unowned: BTreeMap<CellId, u64>,
    /// Cells whose registry owner does not simulate them: ticks counted while it could get them.
    waiting: BTreeMap<CellId, u64>,
    /// How many moves of the registry's log are checked for flaps: each tick checks only the
    /// moves written since the last.
    flaps_checked: usize,
    /// What crashed zones were simulating when they died: those players may be on no zone
    /// until their gateways re-create them, and those of its items that were not durable yet
    /// may be missing at the end.
    lost_players: BTreeSet<EntityId>,
    lost_items: BTreeSet<ItemSerial>,
    /// Cells whose registry owner is dead: for how many ticks a coordinator leader could have
    /// recovered them.
    orphaned: BTreeMap<CellId, u64>,
}

/// Ticks (with a coordinator leader) a dead zone's cell may wait to be given to a live zone:
/// the lease TTL (40), a period (20), the watch (2), and slack.
pub const RECOVERY_TICKS: u64 = 80;

/// What the cluster looks like after a tick, for the checks.
#[derive(Debug)]
pub struct Observed<'a> {
    pub tick: u64,
    pub zones: &'a [SimZone],
    pub players: &'a Players,
    pub registry: &'a SimRegistry,
    pub net: &'a Network,
    /// Whether a coordinator leads.
    pub leading: bool,
    pub cooldown_ms: u64,
}

impl Observed<'_> {
    fn alive(&self, zone: ZoneId) -> bool {
        self.zones.iter().any(|z| z.alive && z.id() == zone)
    }

    /// Alive and not stalled: able to take a cell over now.
    fn running(&self, zone: ZoneId) -> bool {
        self.zones.iter().any(|z| z.running() && z.id() == zone)
    }
}

/// What the live zones hold, for the checks.
struct Holdings {
    simulated: BTreeMap<EntityId, ZoneId>,
    frozen: BTreeSet<EntityId>,
    items: BTreeSet<ItemSerial>,
    owners: BTreeMap<CellId, ZoneId>,
    /// Serials the zones put into play since they started.
    minted: Vec<ItemSerial>,
}

impl Holdings {
    /// The zone simulating `cell`: owning it, a cell it lies in (a zone that has not read a
    /// split yet), or every cell in it (one that has not read a merge yet).
    fn simulator(&self, cell: CellId) -> Option<ZoneId> {
        let covering = std::iter::successors(Some(cell), |c| c.parent()).find_map(|c| self.owners.get(&c).copied());
        covering.or_else(|| self.filled(cell))
    }

    /// The owner of the cells that fill `cell` (its quarters, or theirs), if they all have one.
    fn filled(&self, cell: CellId) -> Option<ZoneId> {
        if let Some(owner) = self.owners.get(&cell) {
            return Some(*owner);
        }
        if cell.depth >= mmo_world::MAX_DEPTH {
            return None;
        }
        let owners: Option<Vec<ZoneId>> = cell.quarters().into_iter().map(|q| self.filled(q)).collect();
        owners?.first().copied()
    }
}

fn holdings(zones: &[SimZone], tick: u64) -> Result<Holdings, Violation> {
    let broken = |what: String| Violation { tick, what };
    let mut h = Holdings {
        simulated: BTreeMap::new(),
        frozen: BTreeSet::new(),
        items: BTreeSet::new(),
        owners: BTreeMap::new(),
        minted: Vec::new(),
    };
    // Where each serial was seen, to name both places of one held twice.
    let mut at: BTreeMap<ItemSerial, String> = BTreeMap::new();
    let mut twice = |serial: ItemSerial, place: String| match at.insert(serial, place.clone()) {
        Some(first) => Err(broken(format!("item {serial} held twice: {first} and {place}"))),
        None => Ok(()),
    };
    for zone in zones.iter().filter(|z| z.alive) {
        let report = zone.core.report();
        h.minted.extend(&report.minted);
        for (cell, _) in &report.owned {
            // A cell, or one it lies in or that lies in it (a split's quarters, a merge's parent).
            let mut above = cell.parent();
            while let Some(a) = above {
                if let Some(other) = h.owners.get(&a) {
                    return Err(broken(format!(
                        "cell {cell} owned by {} and the cell {a} it lies in by {other}",
                        report.zone
                    )));
                }
                above = a.parent();
            }
            if let Some((inner, other)) = h.owners.iter().find(|(c, _)| cell.covers(**c) && *c != cell) {
                return Err(broken(format!(
                    "cell {cell} owned by {} and the cell {inner} in it by {other}",
                    report.zone
                )));
            }
            if let Some(other) = h.owners.insert(*cell, report.zone) {
                return Err(broken(format!("cell {cell} owned by zones {other} and {}", report.zone)));
            }
        }
        for item in &report.ground_items {
            h.items.insert(item.serial);
            twice(item.serial, format!("on the ground of {}", report.zone))?;
        }
        for e in &report.entities {
            if e.frozen {
                h.frozen.insert(e.id);
                continue;
            }
            if let Some(other) = h.simulated.insert(e.id, report.zone) {
                return Err(broken(format!("{} simulated by zones {other} and {}", e.id, report.zone)));
            }
            for item in &e.items {
                h.items.insert(item.serial);
                twice(item.serial, format!("by {} on {}", e.id, report.zone))?;
            }
        }
    }
    Ok(h)
}

impl Checker {
    /// Starts with what the zones hold before the first tick (the NPCs' and the players'
    /// starter items).
    pub fn new(zones: &[SimZone]) -> Result<Checker, Violation> {
        let ever = holdings(zones, 0)?.items;
        Ok(Checker { ever, ..Checker::default() })
    }

    /// Checks the cluster after a tick.
    pub fn after_tick(&mut self, o: &Observed<'_>) -> Result<(), Violation> {
        let tick = o.tick;
        let broken = |what: String| Violation { tick, what };
        let h = holdings(o.zones, tick)?;
        self.ever.extend(&h.minted);
        if let Some(stray) = h.items.difference(&self.ever).next() {
            return Err(broken(format!("item {stray} appeared from nowhere")));
        }
        self.lost_players.retain(|id| !h.simulated.contains_key(id));
        for id in o.players.ids() {
            if !h.simulated.contains_key(&id) && !h.frozen.contains(&id) && !self.lost_players.contains(&id) {
                return Err(broken(format!("player {id} is on no zone")));
            }
        }
        for (&cell, a) in &o.registry.table {
            let owner = a.zone;
            if o.alive(owner) {
                self.orphaned.remove(&cell);
            } else {
                let ticks = self.orphaned.entry(cell).or_insert(0);
                *ticks += u64::from(o.leading);
                if *ticks > RECOVERY_TICKS {
                    return Err(broken(format!(
                        "cell {cell} of dead zone {owner} not given to a live zone for {ticks} ticks with a leader"
                    )));
                }
            }
            match h.simulator(cell) {
                Some(_) => {
                    self.unowned.remove(&cell);
                }
                None => {
                    // A handover caught by a partition waits for the link (the source cannot
                    // tell whether the destination took the cell): only time with every link
                    // of the new owner up counts.
                    let ticks = self.unowned.entry(cell).or_insert(0);
                    if o.running(owner) && o.net.unreachable_from(owner).is_empty() {
                        *ticks += 1;
                    }
                    if *ticks > UNOWNED_TICKS {
                        return Err(broken(format!(
                            "cell {cell} simulated by nobody for {ticks} ticks with {owner}'s links up"
                        )));
                    }
                }
            }
            match h.simulator(cell) {
                Some(holder) if holder != owner && !o.net.is_cut(holder, owner) => {
                    let waited = self.waiting.entry(cell).or_insert(0);
                    *waited += u64::from(o.running(holder) && o.running(owner));
                    if *waited > TAKEOVER_TICKS {
                        return Err(broken(format!(
                            "cell {cell} given to {owner} still simulated by {holder} after {waited} ticks"
                        )));
                    }
                }
                Some(holder) if holder == owner => {
                    self.waiting.remove(&cell);
                }
                _ => {}
            }
        }
        self.check_flaps(tick, &o.registry.written, o.cooldown_ms)
    }

    /// A policy move that sends a cell back to the zone it left, within the cooldown of the
    /// move that took it there.
    fn check_flaps(&mut self, tick: u64, written: &[Written], cooldown_ms: u64) -> Result<(), Violation> {
        let policy = |w: &Written| matches!(w.reason, MoveReason::Hotspot { .. } | MoveReason::NewZone);
        for (i, w) in written.iter().enumerate().skip(self.flaps_checked) {
            if !policy(w) {
                continue;
            }
            let back = written[..i].iter().rev().find(|earlier| earlier.cell == w.cell);
            if let Some(earlier) = back.filter(|e| policy(e) && e.from == Some(w.to)) {
                if w.at_ms - earlier.at_ms < cooldown_ms {
                    return Err(Violation {
                        tick,
                        what: format!(
                            "cell {} moved {:?} -> {} at {} ms (term {}) and back at {} ms (term {}), within the {} ms cooldown",
                            w.cell, earlier.from, earlier.to, earlier.at_ms, earlier.term, w.at_ms, w.term, cooldown_ms
                        ),
                    });
                }
            }
        }
        self.flaps_checked = written.len();
        Ok(())
    }

    /// A zone crashed: its players are on no zone until their gateways re-create them (what
    /// it had frozen in a transfer lives on if that transfer still arrives), and of the items
    /// it held, its frozen players' too, only those in `durable` (what the stores hold now)
    /// must come back.
    pub fn crashed(&mut self, zone: &SimZone, durable: &BTreeSet<ItemSerial>) {
        let report = zone.core.report();
        let mut held = Vec::new();
        for e in &report.entities {
            self.lost_players.insert(e.id);
            held.extend(e.items.iter().map(|i| i.serial));
        }
        held.extend(report.ground_items.iter().chain(&report.escrow).map(|i| i.serial));
        self.lost_items.extend(held.into_iter().filter(|s| !durable.contains(s)));
        self.ever.extend(report.minted);
    }

    /// A player logged in anew on `zone` as `id`: its starter items join the world's.
    pub fn joined(&mut self, zone: &ZoneCore, id: EntityId) {
        let report = zone.report();
        let items = report.entities.iter().filter(|e| e.id == id).flat_map(|e| &e.items);
        self.ever.extend(items.map(|i| i.serial));
    }

    /// Items that died with crashed zones before they were durable.
    pub fn items_lost_with_zones(&self) -> usize {
        self.lost_items.len()
    }

    /// After the network healed and nothing is in flight: every player is simulated, and every
    /// serial ever had is held once.
    pub fn at_rest(&mut self, tick: u64, zones: &[SimZone], players: &Players) -> Result<usize, Violation> {
        let h = holdings(zones, tick)?;
        if let Some(id) = players.ids().find(|id| !h.simulated.contains_key(id)) {
            return Err(Violation { tick, what: format!("player {id} never came back") });
        }
        self.ever.extend(&h.minted);
        let lost: Vec<_> = self.ever.difference(&h.items).filter(|s| !self.lost_items.contains(s)).collect();
        if !lost.is_empty() {
            return Err(Violation { tick, what: format!("items lost: {lost:?}") });
        }
        Ok(h.items.len())
    }
}
