//! What a client view keeps about each entity it deals with, in one record per entity: its
//! handle, the newest remembered view holding it, and, while it stays in view, its last body
//! (to guess held buttons), how long its change has waited and when it was last sent.
//!
//! Handles are small integers named in snapshots instead of global ids. An entity keeps its
//! handle while any view the client may still build on holds it; a handle is given again
//! only once no such view does, so a delta never mistakes one entity for another.

use mmo_protocol::snapshot::{Handle, MAX_HANDLES};
use mmo_world::{Body, EntityId, Tick};
use std::collections::BTreeSet;

/// A set of handles, as bits (kept as scratch, so clearing it keeps its allocation).
#[derive(Debug, Default)]
pub(super) struct HandleSet(Vec<u64>);

impl HandleSet {
    pub(super) fn clear(&mut self) {
        self.0.clear();
    }

    pub(super) fn insert(&mut self, h: Handle) {
        let word = usize::from(h) / 64;
        if self.0.len() <= word {
            self.0.resize(word + 1, 0);
        }
        self.0[word] |= 1 << (h % 64);
    }

    pub(super) fn contains(&self, h: Handle) -> bool {
        self.0.get(usize::from(h) / 64).is_some_and(|w| w & (1 << (h % 64)) != 0)
    }
}

/// How long a change has waited and how urgent it has become.
#[derive(Debug, Clone, Copy)]
pub(super) struct Waiting {
    pub(super) since: Tick,
    pub(super) priority: u32,
}

/// One entity as the view tracks it.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Track {
    id: EntityId,
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

/// The tracks, sorted by entity id: the entities in view come sorted too, so matching them
/// up each tick is one pass, without hashing.
#[derive(Debug, Default)]
pub(super) struct Tracks {
    by_id: Vec<Track>,
    /// Where the track of each entity in view is in `by_id`, in the order they were given.
    in_view: Vec<usize>,
    /// Scratch: the allocation `by_id` is rebuilt in when entities come into view.
    spare: Vec<Track>,
    /// Handles given back, reused smallest first.
    free: BTreeSet<Handle>,
    /// The smallest handle never given yet.
    fresh: u32,
    /// Scratch: the handles the newest view holds.
    held: HandleSet,
}

impl Tracks {
    /// Takes the entities in view for the snapshot of `tick` (`ids`, ascending), the previous
    /// snapshot having been `previous`: each gets a track, and what a track kept from an
    /// earlier stay in view is forgotten. Their tracks are then [`Tracks::in_view`].
    pub(super) fn enter(&mut self, ids: impl Iterator<Item = EntityId> + Clone, tick: Tick, previous: Option<Tick>) {
        self.in_view.clear();
        if !self.find_all(ids.clone()) {
            self.add_missing(ids);
        }
        for &i in &self.in_view {
            let track = &mut self.by_id[i];
            if track.seen != previous || previous.is_none() {
                *track = Track { id: track.id, handle: track.handle, last_held: track.last_held, ..Track::default() };
            }
            track.seen = Some(tick);
        }
    }

    /// Notes where the tracks of `ids` are; false if some have none.
    fn find_all(&mut self, ids: impl Iterator<Item = EntityId>) -> bool {
        let mut at = 0;
        for id in ids {
            match self.by_id[at..].iter().position(|t| t.id >= id) {
                Some(i) if self.by_id[at + i].id == id => {
                    at += i;
                    self.in_view.push(at);
                }
                _ => {
                    self.in_view.clear();
                    return false;
                }
            }
        }
        true
    }

    /// Gives the entities of `ids` without a track one, noting where each track is.
    fn add_missing(&mut self, ids: impl Iterator<Item = EntityId>) {
        let mut merged = std::mem::take(&mut self.spare);
        merged.clear();
        merged.reserve(self.by_id.len());
        let mut old = self.by_id.drain(..).peekable();
        for id in ids {
            while let Some(t) = old.next_if(|t| t.id < id) {
                merged.push(t);
            }
            let track = old.next_if(|t| t.id == id).unwrap_or(Track { id, ..Track::default() });
            self.in_view.push(merged.len());
            merged.push(track);
        }
        merged.extend(old);
        self.spare = std::mem::replace(&mut self.by_id, merged);
    }

    /// The track of the `i`th entity given to [`Tracks::enter`].
    pub(super) fn in_view(&mut self, i: usize) -> &mut Track {
        &mut self.by_id[self.in_view[i]]
    }

    /// The track of `id`, if it has one.
    pub(super) fn get_mut(&mut self, id: EntityId) -> Option<&mut Track> {
        let i = self.by_id.binary_search_by_key(&id, |t| t.id).ok()?;
        Some(&mut self.by_id[i])
    }

    /// The handle of `id`, assigning one if it has none; `None` when all are taken.
    pub(super) fn assign(&mut self, id: EntityId) -> Option<Handle> {
        let i = match self.by_id.binary_search_by_key(&id, |t| t.id) {
            Ok(i) => i,
            Err(i) => {
                self.by_id.insert(i, Track { id, ..Track::default() });
                i
            }
        };
        let track = &mut self.by_id[i];
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
            self.held.insert(h);
        }
        let (held, free) = (&self.held, &mut self.free);
        self.by_id.retain_mut(|track| {
            if let Some(h) = track.handle {
                if held.contains(h) {
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
        self.by_id.iter().filter(|t| t.handle.is_some()).count()
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
        let b = EntityId(50);
        t.enter([a].into_iter(), Tick(1), None);
        t.in_view(0).sent = Some(Tick(1));
        t.end_of_snapshot(Tick(1), std::iter::empty(), Tick(1));
        t.enter([b, a].into_iter(), Tick(2), Some(Tick(1)));
        assert_eq!((t.in_view(0).sent, t.in_view(1).sent), (None, Some(Tick(1))), "a is still in view");
        t.end_of_snapshot(Tick(2), std::iter::empty(), Tick(1));
        // Out of view at tick 3, back at 4.
        t.enter([b].into_iter(), Tick(3), Some(Tick(2)));
        t.end_of_snapshot(Tick(3), std::iter::empty(), Tick(1));
        t.enter([a].into_iter(), Tick(4), Some(Tick(3)));
        assert_eq!(t.in_view(0).sent, None, "forgotten");
    }
}
