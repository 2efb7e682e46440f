//! Per-client entity handles: small integers named in snapshots instead of global ids. An
//! entity keeps its handle while any view the client may still build on holds it; a handle is
//! given again only once no such view does, so a delta never mistakes one entity for another.

use mmo_protocol::snapshot::Handle;
use mmo_world::{EntityId, Tick};
use rustc_hash::FxHashMap as HashMap;
use std::collections::BTreeSet;

#[derive(Debug, Clone, Copy)]
struct Slot {
    handle: Handle,
    /// The newest view tick holding the entity (`None`: assigned, in no view yet).
    last_held: Option<Tick>,
}

#[derive(Debug, Default)]
pub(super) struct Handles {
    by_id: HashMap<EntityId, Slot>,
    /// Handles given back, reused smallest first.
    free: BTreeSet<Handle>,
    /// The smallest handle never given yet.
    fresh: u32,
}

impl Handles {
    /// The handle of `id`, assigning one if it has none; `None` when all are taken.
    pub(super) fn assign(&mut self, id: EntityId) -> Option<Handle> {
        if let Some(slot) = self.by_id.get(&id) {
            return Some(slot.handle);
        }
        let handle = match self.free.pop_first() {
            Some(h) => h,
            None => {
                let h = Handle::try_from(self.fresh).ok()?;
                self.fresh += 1;
                h
            }
        };
        self.by_id.insert(id, Slot { handle, last_held: None });
        Some(handle)
    }

    /// The handle of `id`, if it has one.
    pub(super) fn get(&self, id: EntityId) -> Option<Handle> {
        self.by_id.get(&id).map(|slot| slot.handle)
    }

    /// Marks `id` as held by the view of `tick`.
    pub(super) fn held(&mut self, id: EntityId, tick: Tick) {
        if let Some(slot) = self.by_id.get_mut(&id) {
            slot.last_held = Some(tick);
        }
    }

    /// Gives back the handles of entities no view from `oldest` on holds.
    pub(super) fn release_older_than(&mut self, oldest: Tick) {
        let free = &mut self.free;
        self.by_id.retain(|_, slot| {
            let keep = slot.last_held.is_some_and(|t| t >= oldest);
            if !keep {
                free.insert(slot.handle);
            }
            keep
        });
    }

    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.by_id.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_are_reused_only_once_no_view_holds_their_entity() {
        let mut h = Handles::default();
        let (a, b) = (EntityId(100), EntityId(200));
        assert_eq!((h.assign(a), h.assign(b), h.assign(a)), (Some(0), Some(1), Some(0)));
        h.held(a, Tick(5));
        h.held(b, Tick(7));
        h.release_older_than(Tick(6));
        assert_eq!(h.len(), 1, "a is in no view from tick 6 on");
        assert_eq!(h.assign(EntityId(300)), Some(0), "its handle goes to the next newcomer");
        assert_eq!(h.assign(b), Some(1));
    }
}
