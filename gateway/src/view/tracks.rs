//! What a client view keeps about each entity it deals with, in one record per entity: its
//! handle, the newest remembered view holding it, and, while it stays in view, its last body
//! (to guess held buttons), how long its change has waited and when it was last sent.
//!
//! Handles are small integers named in snapshots instead of global ids. An entity keeps its
//! handle while any view the client may still build on holds it; a handle is given again
//! only once no such view does, so a delta never mistakes one entity for another.

use mmo_protocol::snapshot::{Handle, MAX_HANDLES};
use mmo_world::{Body, EntityId, Tick};
use rustc_hash::FxHashMap as HashMap;
use std::collections::BTreeSet;

/// How long a change has waited and how urgent it has become.
#[derive(Debug, Clone, Copy)]
pub(super) struct Waiting {
    pub(super) since: Tick,
    pub(super) priority: u32,
}

/// One entity as the view tracks it.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Track {
    pub(super) handle: Option<Handle>,
    /// The newest remembered view holding the entity (`None`: assigned, in no view yet).
    last_held: Option<Tick>,
    /// The snapshot it was last in view for; what follows is kept only while it stays in view.
    seen: Option<Tick>,
    /// Its body at `seen`.
    pub(super) body: Option<Body>,
    pub(super) waiting: Option<Waiting>,
    /// The snapshot its change was last sent in.
    pub(super) sent: Option<Tick>,
}

#[derive(Debug, Default)]
pub(super) struct Tracks {
    by_id: HashMap<EntityId, Track>,
    /// Handles given back, reused smallest first.
    free: BTreeSet<Handle>,
    /// The smallest handle never given yet.
    fresh: u32,
    /// Scratch: the handles the newest view holds, as bits.
    held: Vec<u64>,
}

impl Tracks {
    /// The track of `id`, in view for the snapshot of `tick`, the previous one having been
    /// `previous`: what it kept from an earlier stay in view is forgotten.
    pub(super) fn in_view(&mut self, id: EntityId, tick: Tick, previous: Option<Tick>) -> &mut Track {
        let track = self.by_id.entry(id).or_default();
        if track.seen != previous || previous.is_none() {
            *track = Track { handle: track.handle, last_held: track.last_held, ..Track::default() };
        }
        track.seen = Some(tick);
        track
    }

    /// The track of `id`, if it has one.
    pub(super) fn get_mut(&mut self, id: EntityId) -> Option<&mut Track> {
        self.by_id.get_mut(&id)
    }

    /// The handle of `id`, assigning one if it has none; `None` when all are taken.
    pub(super) fn assign(&mut self, id: EntityId) -> Option<Handle> {
        let track = self.by_id.entry(id).or_default();
        if let Some(handle) = track.handle {
            return Some(handle);
        }
        let handle = match self.free.pop_first() {
            Some(h) => h,
            None if (self.fresh as usize) < MAX_HANDLES => {
                let h = self.fresh as Handle;
                self.fresh += 1;
                h
            }
            None => return None,
        };
        track.handle = Some(handle);
        Some(handle)
    }

    /// After the snapshot of `tick`, whose view holds `held`: marks their entities held,
    /// gives back the handles of entities no view from `oldest` on holds, and forgets
    /// entities neither in view nor holding a handle.
    pub(super) fn end_of_snapshot(&mut self, tick: Tick, held: impl Iterator<Item = Handle>, oldest: Tick) {
        self.held.clear();
        for h in held {
            let (word, bit) = (usize::from(h) / 64, h % 64);
            if self.held.len() <= word {
                self.held.resize(word + 1, 0);
            }
            self.held[word] |= 1 << bit;
        }
        let (bits, free) = (&self.held, &mut self.free);
        self.by_id.retain(|_, track| {
            if let Some(h) = track.handle {
                if bits.get(usize::from(h) / 64).is_some_and(|w| w & (1 << (h % 64)) != 0) {
                    track.last_held = Some(tick);
                }
                if track.last_held.is_none_or(|t| t < oldest) {
                    free.insert(h);
                    track.handle = None;
                    track.last_held = None;
                }
            }
            track.handle.is_some() || track.seen == Some(tick)
        });
    }

    #[cfg(test)]
    pub(super) fn handles_given(&self) -> usize {
        self.by_id.values().filter(|t| t.handle.is_some()).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_are_reused_only_once_no_view_holds_their_entity() {
        let mut t = Tracks::default();
        let (a, b) = (EntityId(100), EntityId(200));
        assert_eq!((t.assign(a), t.assign(b), t.assign(a)), (Some(0), Some(1), Some(0)));
        t.end_of_snapshot(Tick(5), [0].into_iter(), Tick(5));
        assert_eq!(t.handles_given(), 1, "b is in no view: its handle is given back");
        assert_eq!(t.assign(b), Some(1));
        t.end_of_snapshot(Tick(7), [1].into_iter(), Tick(5));
        assert_eq!(t.handles_given(), 2, "views from tick 5 on hold a and b");
        t.end_of_snapshot(Tick(8), [1].into_iter(), Tick(6));
        assert_eq!(t.handles_given(), 1, "a is in no view from tick 6 on");
        assert_eq!(t.assign(EntityId(300)), Some(0), "its handle goes to the next newcomer");
        assert_eq!(t.assign(b), Some(1));
    }

    #[test]
    fn what_is_kept_while_in_view_is_forgotten_when_it_leaves() {
        let mut t = Tracks::default();
        let a = EntityId(100);
        t.in_view(a, Tick(1), None).sent = Some(Tick(1));
        t.end_of_snapshot(Tick(1), std::iter::empty(), Tick(1));
        assert_eq!(t.in_view(a, Tick(2), Some(Tick(1))).sent, Some(Tick(1)), "still in view");
        t.end_of_snapshot(Tick(2), std::iter::empty(), Tick(1));
        // Out of view at tick 3, back at 4.
        t.end_of_snapshot(Tick(3), std::iter::empty(), Tick(1));
        assert_eq!(t.in_view(a, Tick(4), Some(Tick(3))).sent, None, "forgotten");
    }
}
