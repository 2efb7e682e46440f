//! The publish phase: one [`CellFrame`] per owned cell, holding the entities whose feet are in
//! it (sorted by id; dead NPCs are gone until they respawn) and the cell's events of the tick.
//!
//! An entity whose feet are in a cell another zone owns is still simulated here this tick (it
//! leaves at the end of it, or waits until the handoff that brought it is settled): it is
//! published in the frame of the owned cell it was last published in, so that every tick of
//! every entity is published by exactly the zone that simulated it.

use super::entities::{Entity, Role};
use mmo_protocol::{CellEvent, CellFrame};
use mmo_world::{CellId, EntityId, Epoch, Layout, Tick, ZoneId};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The cells a zone owns (cells of the layout, of any depth), each with its frame's slot.
#[derive(Clone, Debug, Default)]
pub(crate) struct OwnedCells {
    cells: BTreeMap<CellId, Epoch>,
    /// Each owned cell's position in `cells`.
    slots: BTreeMap<CellId, u32>,
}

impl OwnedCells {
    pub fn get(&self, cell: CellId) -> Option<Epoch> {
        self.cells.get(&cell).copied()
    }

    /// Records ownership; returns true if the cell is new to the zone. The epoch only grows.
    pub fn insert(&mut self, cell: CellId, epoch: Epoch) -> bool {
        if let Some(known) = self.cells.get_mut(&cell) {
            *known = (*known).max(epoch);
            return false;
        }
        self.cells.insert(cell, epoch);
        self.reslot();
        true
    }

    /// Gives a cell up; true if it was owned.
    pub fn remove(&mut self, cell: CellId) -> bool {
        let had = self.cells.remove(&cell).is_some();
        if had {
            self.reslot();
        }
        had
    }

    fn reslot(&mut self) {
        self.slots = self.cells.keys().enumerate().map(|(n, c)| (*c, n as u32)).collect();
    }

    pub fn contains(&self, cell: CellId) -> bool {
        self.slots.contains_key(&cell)
    }

    /// The frame slot of a cell, if the zone owns it.
    fn slot(&self, cell: CellId) -> Option<usize> {
        self.slots.get(&cell).map(|s| *s as usize)
    }

    pub fn iter(&self) -> impl Iterator<Item = (CellId, Epoch)> + '_ {
        self.cells.iter().map(|(c, e)| (*c, *e))
    }

    /// An owned cell next to `cell` (else any owned cell) and its frame slot: where an entity
    /// outside the owned cells is shown when it was never shown here before (taken back from a
    /// transfer to a zone that died).
    fn near(&self, cell: CellId, layout: &Layout) -> Option<(CellId, usize)> {
        let beside = layout.around(cell).into_iter().find(|c| self.contains(*c));
        let c = beside.or_else(|| self.cells.keys().next().copied())?;
        Some((c, self.slot(c)?))
    }
}

/// What a tick publishes from.
pub(crate) struct Published<'a> {
    pub zone: ZoneId,
    pub now: Tick,
    pub owned: &'a OwnedCells,
    pub layout: &'a Layout,
    /// Indices (sorted) of the entities in cells other zones own (leaving or waiting to).
    pub away: &'a [usize],
}

/// Builds the frames of tick `now`, draining `chats` (speaker, text) into them; remembers in
/// each entity the cell it was published in.
pub(crate) fn frames(
    p: Published<'_>,
    entities: &mut [Entity],
    chats: &mut Vec<(EntityId, Arc<str>)>,
    slots: &mut Vec<Option<u32>>,
) -> Vec<CellFrame> {
    let Published { zone, now, owned, layout, away } = p;
    // Count first so every frame's list is allocated once.
    let mut counts = vec![0usize; owned.cells.len()];
    slots.clear();
    for (i, e) in entities.iter_mut().enumerate() {
        let cell = layout.cell_of_pos(e.body.pos);
        let (shown, slot) = match owned.slot(cell) {
            Some(s) => (Some(cell), Some(s)),
            None if away.binary_search(&i).is_ok() => {
                match e.shown_in.and_then(|c| owned.slot(c).map(|s| (c, s))).or_else(|| owned.near(cell, layout)) {
                    Some((c, s)) => (Some(c), Some(s)),
                    None => (None, None),
                }
            }
            None => (None, None),
        };
        e.shown_in = shown;
        let slot = slot.filter(|_| e.alive() || e.is_player());
        if let Some(s) = slot {
            counts[s] += 1;
        }
        slots.push(slot.map(|s| s as u32));
    }
    let entities = &*entities;
    let mut frames: Vec<CellFrame> = owned
        .iter()
        .zip(&counts)
        .map(|((cell, epoch), &n)| CellFrame::new(cell, zone, epoch, now, Vec::with_capacity(n)))
        .collect();
    for (e, slot) in entities.iter().zip(slots.iter()) {
        if let Some(s) = slot {
            frames[*s as usize].entities.push(e.state(now));
        }
    }
    for (from, text) in chats.drain(..) {
        let Some(i) = entities.binary_search_by_key(&from, |e| e.id).ok() else {
            continue;
        };
        let (speaker, Some(s)) = (&entities[i], slots[i]) else {
            continue;
        };
        if let Role::Player(p) = &speaker.role {
            frames[s as usize].events.push(CellEvent::Chat { from, name: p.name.clone(), text });
        }
    }
    frames
}
