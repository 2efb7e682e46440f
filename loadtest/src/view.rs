//! The views one client rebuilds from snapshots, exactly as the browser does
//! ([`mmo_protocol::View::apply`]): each snapshot applies onto the view of the baseline it
//! names (kept for the last [`HISTORY`] ticks); the client acknowledges the newest tick rebuilt.

use mmo_protocol::snapshot::{ApplyError, Extrapolations};
use mmo_protocol::{Snapshot, View};
use mmo_world::Tick;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

/// Extrapolations shared by the bots of one process (most see the same entities).
pub type SharedExtrapolations = Arc<Mutex<Extrapolations>>;

/// Rebuilt views kept as possible baselines (the gateway keeps 64).
pub const HISTORY: usize = 64;

#[derive(Debug, Default)]
pub struct Views {
    /// Oldest first.
    history: VecDeque<Arc<View>>,
    extrapolations: SharedExtrapolations,
}

impl Views {
    /// Views that extrapolate through `extrapolations`, shared with other clients'.
    pub fn new(extrapolations: SharedExtrapolations) -> Self {
        Views { history: VecDeque::new(), extrapolations }
    }

    /// Rebuilds the view of `snap`. A late snapshot is kept as a baseline too. Fails when the
    /// baseline is no longer held or the snapshot does not fit it.
    pub fn apply(&mut self, snap: &Snapshot) -> Result<Arc<View>, ApplyError> {
        let at = self.history.partition_point(|v| v.tick < snap.tick);
        if let Some(v) = self.history.get(at).filter(|v| v.tick == snap.tick) {
            return Ok(v.clone());
        }
        let base = snap.baseline.and_then(|b| self.history.iter().find(|v| v.tick == b));
        let mut memo = self.extrapolations.lock().unwrap_or_else(PoisonError::into_inner);
        let view = Arc::new(View::apply_with(base.map(|v| &**v), snap, &mut memo)?);
        drop(memo);
        self.history.insert(at, view.clone());
        if self.history.len() > HISTORY {
            self.history.pop_front();
        }
        Ok(view)
    }

    /// The newest tick rebuilt: what the client acknowledges.
    pub fn newest_tick(&self) -> Option<Tick> {
        self.history.back().map(|v| v.tick)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use glam::IVec2;
    use mmo_protocol::snapshot::{Motion, OwnUpdate, Spawn, Update};
    use mmo_protocol::EntityKind;
    use mmo_world::{Body, EntityId};

    pub(crate) fn snap(tick: u64, baseline: Option<u64>, spawns: Vec<Spawn>, updates: Vec<Update>) -> Snapshot {
        let you = OwnUpdate { entity: baseline.is_none().then_some(EntityId(1)), ..OwnUpdate::default() };
        Snapshot { tick: Tick(tick), baseline: baseline.map(Tick), you, removed: vec![], spawns, updates }
    }

    /// An NPC standing at `pos` under `handle`.
    pub(crate) fn npc(handle: u16, id: u64, pos: IVec2) -> Spawn {
        let body = Body { pos, vel: IVec2::ZERO, on_ground: true };
        let motion = Motion { body, hint: Default::default() };
        Spawn { handle, id: EntityId(id), kind: EntityKind::Npc { species: 0 }, max_hp: 30, motion, hp: 30, pose: 0 }
    }

    #[test]
    fn deltas_apply_on_their_baseline() {
        let mut v = Views::default();
        v.apply(&snap(10, None, vec![npc(0, 7, IVec2::new(100, 512))], vec![])).unwrap();
        let hurt = Update { handle: 0, motion: None, hp: Some(20), pose: None };
        let view = v.apply(&snap(11, Some(10), vec![], vec![hurt])).unwrap();
        let k = view.entities.get(&0).expect("spawned");
        assert_eq!((k.id, k.motion.body.pos, k.hp), (EntityId(7), IVec2::new(100, 512), 20));
        assert_eq!(v.newest_tick(), Some(Tick(11)));
        // Another delta against 10 (the ack had not moved on): same base, not 11's.
        let mut gone = snap(12, Some(10), vec![], vec![]);
        gone.removed = vec![0];
        assert!(v.apply(&gone).unwrap().entities.is_empty());
    }

    #[test]
    fn a_missing_baseline_is_refused() {
        let mut v = Views::default();
        assert_eq!(
            v.apply(&snap(5, Some(4), vec![], vec![])).err(),
            Some(ApplyError::MissingBaseline { tick: Tick(5), baseline: Tick(4) })
        );
        v.apply(&snap(9, None, vec![], vec![])).unwrap();
        v.apply(&snap(8, None, vec![], vec![])).unwrap();
        assert_eq!(v.newest_tick(), Some(Tick(9)), "a late snapshot does not become the newest");
    }
}
