//! The world one bot sees, rebuilt from delta snapshots the way the browser does: each
//! snapshot applies onto the baseline it names (kept for the last [`HISTORY`] ticks); the bot
//! acknowledges the newest tick it rebuilt.

use glam::IVec2;
use mmo_protocol::datagram::QUANT_SHIFT;
use mmo_protocol::{EntityKind, Snapshot};
use mmo_world::{EntityId, Tick};
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

/// Rebuilt views kept as possible baselines (the gateway keeps 64).
pub const HISTORY: usize = 64;

/// What the bot knows of another entity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seen {
    pub npc: bool,
    /// Fixed-point position (from the 1/16-tile quantized one).
    pub pos: IVec2,
    pub hp: u16,
    pub pose: u8,
}

type Entities = Arc<HashMap<EntityId, Seen>>;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("snapshot {tick} is a delta against {baseline}, which is no longer held")]
pub struct MissingBaseline {
    pub tick: Tick,
    pub baseline: Tick,
}

#[derive(Debug, Default)]
pub struct View {
    history: VecDeque<(Tick, Entities)>,
}

impl View {
    /// Applies `snap`. A late snapshot is kept as a baseline too.
    pub fn apply(&mut self, snap: &Snapshot) -> Result<(), MissingBaseline> {
        if self.history.iter().any(|(t, _)| *t == snap.tick) {
            return Ok(());
        }
        let mut entities: HashMap<EntityId, Seen> = match snap.baseline {
            None => HashMap::with_capacity(snap.entities.len()),
            Some(b) => match self.history.iter().find(|(t, _)| *t == b) {
                Some((_, e)) => e.as_ref().clone(),
                None => return Err(MissingBaseline { tick: snap.tick, baseline: b }),
            },
        };
        for id in &snap.removed {
            entities.remove(id);
        }
        for d in &snap.entities {
            let seen = match (&d.spawn, entities.get(&d.id)) {
                (Some(spawn), _) => Seen {
                    npc: matches!(spawn.kind, EntityKind::Npc { .. }),
                    pos: d.pos.unwrap_or_default() << QUANT_SHIFT,
                    hp: d.hp.unwrap_or(spawn.max_hp),
                    pose: d.pose.unwrap_or(0),
                },
                (None, Some(before)) => Seen {
                    pos: before.pos + (d.pos.unwrap_or_default() << QUANT_SHIFT),
                    hp: d.hp.unwrap_or(before.hp),
                    pose: d.pose.unwrap_or(before.pose),
                    ..*before
                },
                // A delta for an entity the baseline lacks: cannot be applied; skip it.
                (None, None) => continue,
            };
            entities.insert(d.id, seen);
        }
        let at = self.history.partition_point(|(t, _)| *t < snap.tick);
        self.history.insert(at, (snap.tick, Arc::new(entities)));
        while self.history.len() > HISTORY {
            self.history.pop_front();
        }
        Ok(())
    }

    /// The newest tick rebuilt: what the bot acknowledges.
    pub fn newest_tick(&self) -> Option<Tick> {
        self.history.back().map(|(t, _)| *t)
    }

    /// The entities of the newest rebuilt view.
    pub fn entities(&self) -> impl Iterator<Item = (&EntityId, &Seen)> {
        self.history.back().into_iter().flat_map(|(_, e)| e.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mmo_protocol::{EntityDelta, EntitySpawn, OwnState};
    use mmo_world::{Body, CellId, ZoneId};

    fn snap(tick: u64, baseline: Option<u64>, entities: Vec<EntityDelta>, removed: Vec<u64>) -> Snapshot {
        Snapshot {
            tick: Tick(tick),
            baseline: baseline.map(Tick),
            you: OwnState {
                entity: EntityId(1),
                last_input_seq: 0,
                body: Body::default(),
                hp: 100,
                max_hp: 100,
                xp: 0,
                level: 1,
                pose: 0,
                cell: CellId::new(0, 0),
                zone: ZoneId(1),
            },
            entities,
            removed: removed.into_iter().map(EntityId).collect(),
        }
    }

    fn spawn(id: u64, q: IVec2) -> EntityDelta {
        EntityDelta {
            id: EntityId(id),
            spawn: Some(EntitySpawn { kind: EntityKind::Npc { species: 0 }, max_hp: 30 }),
            pos: Some(q),
            hp: Some(30),
            pose: Some(0),
        }
    }

    #[test]
    fn deltas_apply_on_their_baseline() {
        let mut v = View::default();
        v.apply(&snap(10, None, vec![spawn(7, IVec2::new(100, 50))], vec![])).unwrap();
        let moved = EntityDelta { id: EntityId(7), spawn: None, pos: Some(IVec2::new(2, 0)), hp: Some(20), pose: None };
        v.apply(&snap(11, Some(10), vec![moved], vec![])).unwrap();
        let (_, seen) = v.entities().next().unwrap();
        assert_eq!(seen.pos, IVec2::new(102, 50) << QUANT_SHIFT);
        assert_eq!((seen.hp, seen.npc), (20, true));
        assert_eq!(v.newest_tick(), Some(Tick(11)));
        // Another delta against 10 (the ack had not moved on): same base, not 11's.
        v.apply(&snap(12, Some(10), vec![], vec![7])).unwrap();
        assert_eq!(v.entities().count(), 0);
    }

    #[test]
    fn a_missing_baseline_is_refused() {
        let mut v = View::default();
        assert_eq!(
            v.apply(&snap(5, Some(4), vec![], vec![])),
            Err(MissingBaseline { tick: Tick(5), baseline: Tick(4) })
        );
        v.apply(&snap(9, None, vec![], vec![])).unwrap();
        v.apply(&snap(8, None, vec![], vec![])).unwrap();
        assert_eq!(v.newest_tick(), Some(Tick(9)), "a late snapshot does not become the newest");
    }
}
